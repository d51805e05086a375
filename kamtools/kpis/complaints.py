"""Complaint KPIs per account."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import order_history
from kamtools.kpis.base import DAY, _at, _base, _codes, _count, _ratio, _total

SEVERE = ("high", "critical")


def complaint_kpis(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, lookback_days: int = 365
) -> pd.DataFrame | NotAvailable:
    """Open complaints by severity, resolution time and the complaint trend, per account.

    Returns columns: account_id, complaints_open, open_low, open_medium, open_high,
    open_critical, open_severe (high + critical), oldest_open_severe_days, complaints_12m
    (opened in the lookback), severe_12m, complaints_prior_12m (the lookback before),
    complaints_trend (12m minus prior 12m, count), resolved_12m, mean_days_to_resolve
    (complaints resolved in the lookback). A complaints table that holds no complaint by ``as_of`` counts
    none (the demo at one month read "No complaints table was supplied" beside a table of 27 later
    complaints). ``complaints_prior_12m`` and ``complaints_trend`` are NaN where neither the order history
    nor the complaints table reaches back over the lookback before the last one, as for revenue growth.
    """
    p, as_of = _at(portfolio, as_of)
    if "complaints" not in p.tables:
        return NotAvailable("No complaints table was supplied, so complaint KPIs are not available.")
    c = p.tables["complaints"]
    idx = _codes(p, "complaints")
    n = len(p.accounts)
    t = np.datetime64(as_of, "ns")
    w = lookback_days * DAY
    opened = c["opened_date"].to_numpy()
    resolved = c["resolved_date"].to_numpy()
    sev = c["severity"].astype(str).str.lower().to_numpy()
    known = opened <= t
    is_open = known & (np.isnat(resolved) | (resolved > t))
    out = _base(p)
    out["complaints_open"] = _count(idx, is_open, n)
    for s in ("low", "medium", "high", "critical"):
        out[f"open_{s}"] = _count(idx, is_open & (sev == s), n)
    severe = np.isin(sev, SEVERE)
    out["open_severe"] = _count(idx, is_open & severe, n)
    oldest = np.full(n, -1.0)
    keep = is_open & severe & (idx >= 0)
    np.maximum.at(oldest, idx[keep], ((t - opened[keep]) / DAY))
    out["oldest_open_severe_days"] = np.where(oldest >= 0, oldest, np.nan)
    recent = known & (opened > t - w)
    prior = (opened <= t - w) & (opened > t - 2 * w)
    out["complaints_12m"] = _count(idx, recent, n)
    out["severe_12m"] = _count(idx, recent & severe, n)
    out["complaints_prior_12m"] = _count(idx, prior, n)
    out["complaints_trend"] = out["complaints_12m"] - out["complaints_prior_12m"]
    start = as_of - 2 * pd.Timedelta(days=lookback_days)
    logged = len(c) and pd.notna(c["opened_date"].min()) and c["opened_date"].min() <= start  # the log reaches back
    if not (logged or order_history(p, as_of).covers(start)):
        out["complaints_prior_12m"] = out["complaints_trend"] = np.nan  # the year before lies before the data
    done = known & ~np.isnat(resolved) & (resolved <= t) & (resolved > t - w)
    out["resolved_12m"] = _count(idx, done, n)
    ttr = np.nan_to_num((resolved - opened) / DAY)
    out["mean_days_to_resolve"] = _ratio(_total(idx, done, ttr, n), out["resolved_12m"])
    return out
