"""Decided bids, win rates with their Wilson intervals, the win trend and the loss reasons."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from kamtools.data.portfolio import NotAvailable, Portfolio

UNKNOWN_COMPETITOR = "(not recorded)"
MIN_N = 10


def _at(portfolio: Portfolio, as_of: str | pd.Timestamp | None) -> Portfolio:
    """The portfolio as known on ``as_of`` (itself when ``as_of`` is None or its own date)."""
    if as_of is None or pd.Timestamp(as_of).normalize() == portfolio.as_of:
        return portfolio
    return portfolio.truncate(as_of)


def wilson_interval(
    wins: np.ndarray | Sequence[float] | float, n: np.ndarray | Sequence[float] | float, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion, vectorised.

    Parameters
    ----------
    wins, n : successes and trials (arrays of the same shape, or scalars).
    confidence : two-sided coverage, e.g. 0.95.

    Returns ``(low, high)`` arrays in [0, 1]; NaN where ``n == 0``.

    >>> lo, hi = wilson_interval(7, 10)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.397, 0.892)
    """
    wins = np.asarray(wins, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = wins / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


def _period_start(dates: pd.Series, freq: str) -> pd.Series:
    """Start of the quarter ("Q"), half-year ("H") or year ("Y") of each date."""
    if freq == "Q":
        return dates.dt.to_period("Q").dt.start_time.astype("datetime64[ns]")
    if freq == "H":
        month = np.where(dates.dt.month <= 6, 1, 7)
        return pd.to_datetime(pd.DataFrame({"year": dates.dt.year, "month": month, "day": 1})).astype("datetime64[ns]")
    if freq == "Y":
        return dates.dt.to_period("Y").dt.start_time.astype("datetime64[ns]")
    raise ValueError(f"freq must be 'Q' (quarter), 'H' (half-year) or 'Y' (year), not {freq!r}")


def _period_label(start: pd.Series, freq: str) -> pd.Series:
    year = start.dt.year.astype(str)
    if freq == "Q":
        return year + "-Q" + start.dt.quarter.astype(str)
    if freq == "H":
        return year + "-H" + np.where(start.dt.month <= 6, "1", "2")
    return year


# ---------------------------------------------------------------------------------------
# win / loss
# ---------------------------------------------------------------------------------------
def decided_bids(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Won and lost opportunities decided on or before ``as_of``, ready for analysis.

    Returns the opportunities rows (all their columns) with ``status`` in won/lost and
    ``close_date <= as_of``, plus:

    ``won`` (bool), ``competitor`` (missing names -> ``"(not recorded)"``),
    ``price_gap`` (our_price / competitor_price - 1; NaN when either price is missing),
    ``log_price_ratio`` (log(our_price / competitor_price)).

    NotAvailable when no opportunities table was supplied.
    """
    portfolio = _at(portfolio, as_of)
    if not portfolio.has("opportunities"):
        return NotAvailable(
            "No opportunities table was supplied, so bids won and lost against competitors are unknown."
        )
    opp = portfolio.tables["opportunities"]
    decided = opp[opp["status"].isin(["won", "lost"]) & (opp["close_date"] <= portfolio.as_of)].copy()
    decided["won"] = decided["status"] == "won"
    if "competitor" in decided.columns:
        decided["competitor"] = decided["competitor"].astype("str").fillna(UNKNOWN_COMPETITOR)
    else:
        decided["competitor"] = UNKNOWN_COMPETITOR
    if "our_price" in decided.columns and "competitor_price" in decided.columns:
        ratio = decided["our_price"].astype(float) / decided["competitor_price"].astype(float)
        ratio = ratio.where(np.isfinite(ratio) & (ratio > 0))
        decided["price_gap"] = ratio - 1
        decided["log_price_ratio"] = np.log(ratio)
    else:
        decided["price_gap"] = np.nan
        decided["log_price_ratio"] = np.nan
    return decided.reset_index(drop=True)


def _win_loss_table(bids: pd.DataFrame, keys: list[str], min_n: int, confidence: float) -> pd.DataFrame:
    """Aggregate decided bids by ``keys`` into win counts, Wilson CIs and average price gaps."""
    frame = bids.assign(
        _one=1,
        _lost=~bids["won"],
        _gap_won=bids["price_gap"].where(bids["won"]),
        _gap_lost=bids["price_gap"].where(~bids["won"]),
        _amt_won=bids["amount"].where(bids["won"], 0.0),
        _amt_lost=bids["amount"].where(~bids["won"], 0.0),
    )
    if not keys:
        frame = frame.assign(_all="all bids")
        keys = ["_all"]
    out = (
        frame.groupby(keys, observed=True, sort=True)
        .agg(
            n=("_one", "sum"),
            wins=("won", "sum"),
            losses=("_lost", "sum"),
            avg_price_gap=("price_gap", "mean"),
            avg_price_gap_won=("_gap_won", "mean"),
            avg_price_gap_lost=("_gap_lost", "mean"),
            n_priced=("price_gap", "count"),
            won_amount=("_amt_won", "sum"),
            lost_amount=("_amt_lost", "sum"),
        )
        .reset_index()
    )
    if "_all" in out.columns:
        out = out.drop(columns="_all")
    out["n"] = out["n"].astype(np.int64)
    out["wins"] = out["wins"].astype(np.int64)
    out["losses"] = out["losses"].astype(np.int64)
    out["n_priced"] = out["n_priced"].astype(np.int64)
    out["win_rate"] = out["wins"] / out["n"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["wins"].to_numpy(), out["n"].to_numpy(), confidence)
    out["small_sample"] = out["n"] < min_n
    order = [k for k in keys if k != "_all"] + [
        "n",
        "wins",
        "losses",
        "win_rate",
        "ci_low",
        "ci_high",
        "small_sample",
        "avg_price_gap",
        "avg_price_gap_won",
        "avg_price_gap_lost",
        "n_priced",
        "won_amount",
        "lost_amount",
    ]
    return out[order]


def win_loss(
    portfolio: Portfolio,
    by: str | Sequence[str] | None = "competitor",
    as_of: str | pd.Timestamp | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
    since: str | pd.Timestamp | None = None,
) -> pd.DataFrame | NotAvailable:
    """Win rate of decided bids, overall (``by=None``) or per group (default: per competitor).

    Parameters
    ----------
    by : column(s) of :func:`decided_bids` to group by, e.g. ``"competitor"``,
        ``["competitor", "category"]``, ``"account_id"``; None for one overall row.
    min_n : groups with fewer decided bids are flagged ``small_sample``.
    confidence : coverage of the Wilson interval.
    since : only bids closed after this date (e.g. the last 12 months).

    Returns one row per group: the ``by`` columns, ``n`` (decided bids), ``wins``,
    ``losses``, ``win_rate``, ``ci_low``, ``ci_high``, ``small_sample``,
    ``avg_price_gap`` / ``avg_price_gap_won`` / ``avg_price_gap_lost`` (mean of
    our_price / competitor_price - 1; positive = we were dearer), ``n_priced`` (bids
    with both prices), ``won_amount``, ``lost_amount`` (sum of ``amount``).
    """
    bids = decided_bids(portfolio, as_of)
    if isinstance(bids, NotAvailable):
        return bids
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [k for k in keys if k not in bids.columns]
    if missing:
        raise ValueError(f"win_loss: the opportunities table has no column(s) {missing} to group by")
    if since is not None:
        bids = bids[bids["close_date"] > pd.Timestamp(since)]
    for k in keys:
        if bids[k].dtype == object or pd.api.types.is_string_dtype(bids[k]):
            bids = bids.assign(**{k: bids[k].fillna("(missing)")})
    return _win_loss_table(bids, keys, min_n, confidence)


def win_trend(
    portfolio: Portfolio,
    freq: str = "Q",
    by: str | None = None,
    as_of: str | pd.Timestamp | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
) -> pd.DataFrame | NotAvailable:
    """Win rate per period of the close date: quarter (``"Q"``), half-year (``"H"``) or year (``"Y"``).

    Returns the :func:`win_loss` columns per period (and per ``by`` group when given),
    with ``period_start`` (datetime) and ``period`` (label such as ``"2025-Q3"``).
    """
    bids = decided_bids(portfolio, as_of)
    if isinstance(bids, NotAvailable):
        return bids
    bids = bids.assign(period_start=_period_start(bids["close_date"], freq))
    keys = ([by] if by else []) + ["period_start"]
    out = _win_loss_table(bids, keys, min_n, confidence)
    out.insert(len(keys), "period", _period_label(out["period_start"], freq))
    return out


def loss_reasons(
    portfolio: Portfolio, by: str | None = "competitor", as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame | NotAvailable:
    """Why bids were lost: counts and shares of ``loss_reason`` (per ``by`` group).

    Returns ``[by], loss_reason, n, share, lost_amount`` (share within the group), sorted
    by group and descending count. Missing reasons are counted as ``"(not recorded)"``.
    """
    bids = decided_bids(portfolio, as_of)
    if isinstance(bids, NotAvailable):
        return bids
    if "loss_reason" not in bids.columns:
        return NotAvailable("The opportunities table has no loss_reason column, so loss reasons are unknown.")
    lost = bids[~bids["won"]].assign(loss_reason=lambda d: d["loss_reason"].astype("str").fillna("(not recorded)"))
    keys = ([by] if by else []) + ["loss_reason"]
    out = (
        lost.groupby(keys, observed=True).agg(n=("opportunity_id", "size"), lost_amount=("amount", "sum")).reset_index()
    )
    total = out.groupby(by)["n"].transform("sum") if by else out["n"].sum()
    out["share"] = out["n"] / total
    out["n"] = out["n"].astype(np.int64)
    sort = ([by] if by else []) + ["n"]
    return out.sort_values(sort, ascending=[True] * (len(sort) - 1) + [False], kind="stable")[
        keys + ["n", "share", "lost_amount"]
    ].reset_index(drop=True)
