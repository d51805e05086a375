"""Revenue, margin, order and target KPIs per account."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines
from kamtools.history import order_history
from kamtools.kpis.base import DAY, _at, _base, _codes, _days_since, _last_date, _ratio, _total


def revenue_kpis(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Revenue, growth, margin and order KPIs per account (one row per account).

    Windows: YTD = 1 January of ``as_of``'s year to ``as_of``; its prior = the same dates a
    year earlier; LTM = the 12 months ending on ``as_of``; prior LTM = the 12 months before.
    ``growth_pct`` is LTM over prior LTM minus 1 (NaN without prior revenue), as a fraction.
    A prior window that lies (partly) before the first order of the portfolio is not in the
    data: its revenue and the growth against it are NaN (see :mod:`kamtools.history`).
    Revenue and margin are net of returns, credit notes and rebates (lines with a negative
    quantity or net_revenue); those lines are not orders (``orders_ltm``, ``last_order_date``).

    Returns columns: account_id, revenue_ytd, revenue_ytd_prior, growth_ytd_pct, revenue_ltm,
    revenue_prior_ltm, growth_pct, margin_ytd, margin_ltm, margin_pct (LTM margin / LTM revenue),
    orders_ltm (distinct orders), avg_order_value (LTM revenue of the sales lines / orders), revenue_gross_ltm
    (LTM revenue of the sales lines), returns_ltm (LTM revenue credited by returns, credit notes
    and rebates, as a positive amount), returns_rate (returns_ltm / revenue_gross_ltm, NaN
    without sales), revenue_90d, last_order_date, days_since_last_order, tenure_years (since
    ``customer_since``).
    """
    p, as_of = _at(portfolio, as_of)
    n = len(p.accounts)
    o = p.orders
    idx = _codes(p, "orders")
    d = o["order_date"].to_numpy()
    rev = o["net_revenue"].to_numpy(dtype=float)
    mar = rev - o["cost"].to_numpy(dtype=float)
    buy = ~credit_lines(o).to_numpy()  # returns, credit notes and rebates are not orders
    t = np.datetime64(as_of, "ns")
    y0 = np.datetime64(as_of.replace(month=1, day=1), "ns")
    prior_as_of = as_of - pd.DateOffset(years=1)
    py0 = np.datetime64(prior_as_of.replace(month=1, day=1), "ns")
    l0 = np.datetime64(as_of - pd.DateOffset(months=12), "ns")
    l1 = np.datetime64(as_of - pd.DateOffset(months=24), "ns")
    d90 = np.datetime64(as_of - pd.Timedelta(days=90), "ns")
    upto = d <= t
    ytd = upto & (d >= y0)
    ytd_prior = (d >= py0) & (d <= np.datetime64(prior_as_of, "ns"))
    ltm = upto & (d > l0)
    pltm = (d > l1) & (d <= l0)
    out = _base(p)
    out["revenue_ytd"] = _total(idx, ytd, rev, n)
    out["revenue_ytd_prior"] = _total(idx, ytd_prior, rev, n)
    out["growth_ytd_pct"] = _ratio(out["revenue_ytd"], out["revenue_ytd_prior"]) - 1
    out["revenue_ltm"] = _total(idx, ltm, rev, n)
    out["revenue_prior_ltm"] = _total(idx, pltm, rev, n)
    out["growth_pct"] = _ratio(out["revenue_ltm"], out["revenue_prior_ltm"]) - 1
    history = order_history(p, as_of)
    if not history.covers(prior_as_of.replace(month=1, day=1)):
        out["revenue_ytd_prior"] = out["growth_ytd_pct"] = np.nan
    if not history.covers_months_back(24):
        out["revenue_prior_ltm"] = out["growth_pct"] = np.nan
    out["margin_ytd"] = _total(idx, ytd, mar, n)
    out["margin_ltm"] = _total(idx, ltm, mar, n)
    out["margin_pct"] = _ratio(out["margin_ltm"], out["revenue_ltm"])
    # distinct orders in the LTM window: first line of each order id
    sel = np.nonzero(ltm & buy & (idx >= 0))[0]
    ocodes = pd.factorize(o["order_id"].take(sel))[0]
    _, first = np.unique(ocodes, return_index=True)
    out["orders_ltm"] = np.bincount(idx[sel[first]], minlength=n).astype(np.int64)
    gross = _total(idx, ltm, np.clip(rev, 0, None), n)
    # an order's value is what was ordered, over the same lines as the count: credit notes are not orders (they
    # are the returns rate); net revenue over orders read 'avg order -668' where credit notes exceeded the orders
    out["avg_order_value"] = _ratio(gross, out["orders_ltm"])
    out["revenue_gross_ltm"] = gross
    out["returns_ltm"] = _total(idx, ltm, np.clip(-rev, 0, None), n)
    out["returns_rate"] = _ratio(out["returns_ltm"], out["revenue_gross_ltm"])
    out["revenue_90d"] = _total(idx, upto & (d > d90), rev, n)
    last = _last_date(idx, upto & buy, d, n)
    out["last_order_date"] = last
    out["days_since_last_order"] = _days_since(as_of, last)
    since = p.accounts["customer_since"].to_numpy()
    out["tenure_years"] = np.round((t - since) / DAY / 365.25, 2)
    return out


def target_kpis(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Attainment of the current calendar year's revenue target, per account.

    Returns columns: account_id, target (revenue_target of ``as_of.year``; NaN without one),
    revenue_ytd, target_attainment (YTD / target, at least 0), year_elapsed (fraction of the year up to
    ``as_of``), target_pace (YTD / (target x year_elapsed); 1 = on pace), target_gap
    (target - YTD, still to sell), next_target (next year's target, NaN without one).
    Attainment, pace and gap are NaN when the order history starts after 1 January (the
    revenue booked before it is not in the data).
    """
    p, as_of = _at(portfolio, as_of)
    if not p.has("targets"):
        return NotAvailable("No targets table was supplied, so target attainment is not available.")
    tg = p.tables["targets"]
    idx = _codes(p, "targets")
    n = len(p.accounts)
    per = tg["period"].to_numpy()
    val = tg["revenue_target"].to_numpy(dtype=float)
    cur, nxt = np.full(n, np.nan), np.full(n, np.nan)
    m = (per == as_of.year) & (idx >= 0)
    cur[idx[m]] = val[m]
    m = (per == as_of.year + 1) & (idx >= 0)
    nxt[idx[m]] = val[m]
    o = p.orders
    d = o["order_date"].to_numpy()
    start = as_of.replace(month=1, day=1)
    in_ytd = (d >= np.datetime64(start, "ns")) & (d <= np.datetime64(as_of, "ns"))
    ytd = _total(_codes(p, "orders"), in_ytd, o["net_revenue"].to_numpy(dtype=float), n)
    days_in_year = 366 if start.is_leap_year else 365
    elapsed = ((as_of - start).days + 1) / days_in_year
    out = _base(p)
    out["target"] = cur
    out["revenue_ytd"] = ytd
    # returns and credit notes above the orders booked (net YTD below 0) reach nothing: floor at 0
    out["target_attainment"] = np.maximum(_ratio(out["revenue_ytd"], cur), 0.0)
    out["year_elapsed"] = elapsed
    out["target_pace"] = np.maximum(_ratio(out["revenue_ytd"], cur * elapsed), 0.0)
    out["target_gap"] = cur - out["revenue_ytd"]
    out["next_target"] = nxt
    if not order_history(p, as_of).covers(start):  # what was booked since 1 January is not all in the data
        out["target_attainment"] = out["target_pace"] = out["target_gap"] = np.nan
    return out
