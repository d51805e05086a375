"""Churn features of the orders: recency against the usual gap, revenue and ordering trends, categories, margin."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn._arrays import (
    _change,
    _count,
    _days,
    _max,
    _months_before,
    _OrderArrays,
    _ratio,
    _sum,
    _unique,
)
from kamtools.data.portfolio import Portfolio
from kamtools.history import order_history

_WINDOW_MONTHS = (3, 6, 12, 18, 24)


class _Windows:
    """Masks of order lines and ordering occasions dated within a window of months before ``as_of``."""

    def __init__(self, as_of: pd.Timestamp, t: float, o: _OrderArrays) -> None:
        self.as_of, self.t, self.o = as_of, t, o
        self.m = {k: _months_before(as_of, k) for k in _WINDOW_MONTHS}

    def lines(self, lo_months: int, hi_months: int | None = None) -> np.ndarray:
        """Lines dated in (as_of - hi, as_of - lo] months (lo=0: up to as_of)."""
        upper = self.t if lo_months == 0 else self.m[lo_months]
        lower = self.m[hi_months] if hi_months is not None else -np.inf
        return (self.o.day > lower) & (self.o.day <= upper)

    def n_orders(self, lo: int, hi: int, n: int) -> np.ndarray:
        """Ordering occasions per account dated in (as_of - hi, as_of - lo] months."""
        upper = self.t if lo == 0 else self.m[lo]
        od = self.o.order_day
        return _count(self.o.order_code, (od > self.m[hi]) & (od <= upper), n)


def _order_features(p: Portfolio, index: pd.Index, t: float, o: _OrderArrays, out: dict[str, np.ndarray]) -> None:
    n = len(index)
    w = _Windows(p.as_of, t, o)
    _recency_features(p, t, o, w, n, out)
    _trend_features(p, o, w, n, out)
    _category_features(o, w, n, out)
    _margin_features(o, w, n, out)


def _recency_features(p: Portfolio, t: float, o: _OrderArrays, w: _Windows, n: int, out: dict[str, np.ndarray]) -> None:
    """Days since the last order, tenure, the usual gap between orders and the recency ratio."""
    oc, od = o.order_code, o.order_day  # ordering occasions: one per (account, order day)
    last = _max(oc, od, np.ones(len(od), bool), n)  # the last purchase day (credit notes are not orders)
    since_start = _days(p.accounts["customer_since"])
    out["days_since_last_order"] = np.where(np.isnan(last), t - since_start, t - last)
    out["tenure_days"] = t - since_start

    # usual gap: median gap between distinct order days, over the last 24 months when that
    # holds at least two gaps, else over the whole history
    gaps = np.diff(od)
    same = oc[1:] == oc[:-1]
    gap_df = pd.DataFrame({"c": oc[1:][same], "g": gaps[same], "d": od[1:][same]})
    recent = gap_df[gap_df["d"] > w.m[24]]
    med_all = gap_df.groupby("c")["g"].median()
    med_recent = recent.groupby("c")["g"].agg(["median", "size"])
    usual = np.full(n, np.nan)
    usual[med_all.index.to_numpy()] = med_all.to_numpy()
    ok = med_recent[med_recent["size"] >= 2]
    usual[ok.index.to_numpy()] = ok["median"].to_numpy()
    usual = np.maximum(usual, 1.0)
    out["usual_order_gap_days"] = usual
    out["recency_ratio"] = out["days_since_last_order"] / usual


def _trend_features(p: Portfolio, o: _OrderArrays, w: _Windows, n: int, out: dict[str, np.ndarray]) -> None:
    """Revenue and ordering days in the last 12 months and their trends over 3, 6 and 12 months."""
    code, day, rev = o.code, o.day, o.rev
    oc, od = o.order_code, o.order_day
    out["revenue_12m"] = _sum(code, rev, w.lines(0, 12), n)
    out["order_days_12m"] = w.n_orders(0, 12, n)
    for k in (3, 6, 12):
        start = _months_before(p.as_of, 2 * k)
        recent_rev = _sum(code, rev, w.lines(0, k), n)
        before_rev = _sum(code, rev, (day > start) & (day <= w.m[k]), n)
        out[f"revenue_change_{k}m"] = _change(recent_rev, before_rev)
        before_orders = _count(oc, (od > start) & (od <= w.m[k]), n)
        out[f"order_days_change_{k}m"] = _change(w.n_orders(0, k, n), before_orders)
    # sums over windows that reach back before the order history are unknown, not zero (rates
    # such as the margin % and counts of categories dropped only see fewer lines)
    history = order_history(p)
    for k in (3, 6, 12):
        if not history.covers_months_back(2 * k):
            out[f"revenue_change_{k}m"] = np.full(n, np.nan)
            out[f"order_days_change_{k}m"] = np.full(n, np.nan)


def _category_features(o: _OrderArrays, w: _Windows, n: int, out: dict[str, np.ndarray]) -> None:
    """Product categories bought in the last 12 months, and those dropped (bought 6-18 months ago, not since)."""
    code, cat_code = o.code, o.cat_code
    n_cat = max(len(o.categories), 1)
    key = code * n_cat + cat_code
    valid = (code >= 0) & (cat_code >= 0)
    k12 = _unique(key[valid & w.lines(0, 12)])
    out["categories_12m"] = np.bincount(k12 // n_cat, minlength=n).astype(float)
    before = _unique(key[valid & w.lines(6, 18)])
    recent_k = _unique(key[valid & w.lines(0, 6)])
    pos = np.searchsorted(recent_k, before)
    found = (
        (pos < len(recent_k)) & (recent_k[np.minimum(pos, max(len(recent_k) - 1, 0))] == before)
        if len(recent_k)
        else np.zeros(len(before), bool)
    )
    dropped = before[~found]
    n_before = np.bincount(before // n_cat, minlength=n).astype(float)
    out["categories_dropped"] = np.bincount(dropped // n_cat, minlength=n).astype(float)
    out["categories_dropped_share"] = np.where(n_before > 0, out["categories_dropped"] / np.maximum(n_before, 1), 0.0)


def _margin_features(o: _OrderArrays, w: _Windows, n: int, out: dict[str, np.ndarray]) -> None:
    """Margin in the last 12 months and its trend (last 6 months vs the 6 before, in percentage points)."""
    code, rev, margin = o.code, o.rev, o.margin
    r12, m12 = _sum(code, rev, w.lines(0, 12), n), _sum(code, margin, w.lines(0, 12), n)
    out["margin_pct_12m"] = _ratio(m12, r12)
    r6, mg6 = _sum(code, rev, w.lines(0, 6), n), _sum(code, margin, w.lines(0, 6), n)
    r6b, mg6b = _sum(code, rev, w.lines(6, 12), n), _sum(code, margin, w.lines(6, 12), n)
    out["margin_change_6m"] = (_ratio(mg6, r6) - _ratio(mg6b, r6b)) * 100.0
