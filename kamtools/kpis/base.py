"""Helpers every KPI block shares: the portfolio at a date, account codes per row (cached per
Portfolio in a WeakKeyDictionary, so a portfolio's codes go with it) and per-account counts,
totals, last dates and ratios."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from kamtools.data.portfolio import Portfolio

DAY = np.timedelta64(1, "D")

_CODES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _at(portfolio: Portfolio, as_of: str | pd.Timestamp | None) -> tuple[Portfolio, pd.Timestamp]:
    """The portfolio as known on ``as_of`` (itself when ``as_of`` is None or its own date)."""
    if not isinstance(portfolio, Portfolio):
        raise TypeError(f"expected a kamtools Portfolio, got {type(portfolio).__name__}")
    if as_of is None:
        return portfolio, portfolio.as_of
    as_of = pd.Timestamp(as_of).normalize()
    if as_of == portfolio.as_of:
        return portfolio, as_of
    return portfolio.truncate(as_of), as_of


def _codes(portfolio: Portfolio, table: str, column: str = "account_id") -> np.ndarray:
    """Row -> position of its account in ``portfolio.accounts`` (-1 when unknown); cached."""
    cache = _CODES.setdefault(portfolio, {})
    key = (table, column)
    if key not in cache:
        ids = pd.Index(portfolio.accounts["account_id"])
        # factorize first: looking up the few distinct ids is much faster than every row
        codes, uniques = pd.factorize(portfolio.tables[table][column], use_na_sentinel=True)
        lookup = np.append(ids.get_indexer(uniques), -1)
        cache[key] = lookup[codes]
    return cache[key]


def _base(portfolio: Portfolio) -> pd.DataFrame:
    return pd.DataFrame({"account_id": portfolio.accounts["account_id"].to_numpy()})


def _count(idx: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    keep = mask & (idx >= 0)
    return np.bincount(idx[keep], minlength=n).astype(np.int64)


def _total(idx: np.ndarray, mask: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    keep = mask & (idx >= 0)
    return np.bincount(idx[keep], weights=values[keep], minlength=n)


def _last_date(idx: np.ndarray, mask: np.ndarray, dates: np.ndarray, n: int) -> np.ndarray:
    """Latest date per account among masked rows (NaT when none), as datetime64[ns]."""
    keep = mask & (idx >= 0) & ~np.isnat(dates)
    out = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, idx[keep], dates[keep].astype("datetime64[ns]").astype(np.int64))
    res = out.astype("datetime64[ns]")
    res[out == np.iinfo(np.int64).min] = np.datetime64("NaT")
    return res


def _days_since(as_of: pd.Timestamp, dates: np.ndarray) -> np.ndarray:
    """Whole days from each date to ``as_of`` (float, NaN for NaT)."""
    d = (np.datetime64(as_of, "ns") - dates) / DAY
    return np.where(np.isnat(dates), np.nan, np.floor(d))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def _mode(df: pd.DataFrame, keys: list[str], col: str, weight: str | None = None) -> pd.DataFrame:
    """Most frequent (or heaviest) non-missing ``col`` per ``keys``; ties -> alphabetical."""
    d = df[df[col].notna()]
    if d.empty:
        return pd.DataFrame({**{k: pd.Series([], dtype=df[k].dtype) for k in keys}, col: pd.Series([], dtype="str")})
    if weight is None:
        g = d.groupby([*keys, col], observed=True, sort=False).size().rename("_w").reset_index()
    else:
        g = d.groupby([*keys, col], observed=True, sort=False)[weight].sum().rename("_w").reset_index()
    g = g.sort_values([*keys, "_w", col], ascending=[*([True] * len(keys)), False, True], kind="stable")
    return g.drop_duplicates(keys)[[*keys, col]].reset_index(drop=True)
