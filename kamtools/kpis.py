"""Account KPIs: performance, pipeline, receivables, complaints, relationships and health.

Every block is one vectorised function ``block(portfolio, as_of=None, ...) -> DataFrame``
with one row per account (``account_id`` first) or :class:`~kamtools.data.NotAvailable`
when the table it needs was not supplied. All of them read nothing dated after ``as_of``
(default: the portfolio's ``as_of``; an earlier date works on ``portfolio.truncate(as_of)``
so that facts learnt later, such as payments and bid outcomes, are hidden too).

Blocks and their headline columns (money in the revenue currency, days are calendar days):

=====================  ==================================================================
:func:`revenue_kpis`   revenue_ytd, revenue_ytd_prior, growth_ytd_pct, revenue_ltm,
                       revenue_prior_ltm, growth_pct (LTM vs the 12 months before),
                       margin_ltm, margin_pct, orders_ltm, avg_order_value,
                       returns_ltm, returns_rate (returned / gross revenue, LTM),
                       days_since_last_order, tenure_years
:func:`target_kpis`    target, target_attainment (YTD / target of the current calendar
                       year), target_pace (YTD / pro-rata target), target_gap, next_target
:func:`pipeline_kpis`  open_bids, open_value, weighted_value (amount x probability),
                       win_rate, avg_cycle_days, bids_closing_90d, post-bid summary of the
                       last 12 months' losses (top_loss_competitor, loss_price_gap_pct, ...)
:func:`receivables_kpis` open_ar, overdue_ar, ar_not_due / ar_0_30 / ar_31_60 / ar_61_90 /
                       ar_90_plus (by days past due), overdue_60_plus, dso_days,
                       late_share_12m and its trend
:func:`complaint_kpis` complaints_open, open by severity, open_severe, mean_days_to_resolve,
                       complaints_12m and its trend
:func:`relationship_kpis` contacts by role, dm_engaged_90d, days_since_dm_contact,
                       days_since_senior_contact, engaged_contacts_180d, single_threaded
=====================  ==================================================================

Health (:func:`health_scores`) is a 0-100 score whose components and weights come from
what predicts churn on this portfolio's history (see :class:`HealthScorer`).

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=50, years=3, seed=1)
>>> revenue_kpis(portfolio).columns[0]
'account_id'
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines
from kamtools.history import order_history

__all__ = [
    "SUMMARY_COLUMNS",
    "HEALTH_COMPONENTS",
    "HEALTH_RISK_DIRECTION",
    "health_sentence",
    "HealthScorer",
    "account_kpis",
    "bid_losses",
    "bundle_tables",
    "complaint_kpis",
    "health_scores",
    "open_bids",
    "pipeline_kpis",
    "portfolio_kpis",
    "receivables_ageing",
    "receivables_kpis",
    "relationship_kpis",
    "revenue_kpis",
    "target_kpis",
]

SUMMARY_COLUMNS = {
    "kpis": [
        "health_score",
        "health_band",
        "revenue_ytd",
        "growth_pct",
        "target_attainment",
        "target_pace",
        "weighted_value",
        "win_rate",
        "open_ar",
        "overdue_ar",
        "dso_days",
        "complaints_open",
        "open_severe",
        "days_since_dm_contact",
        "single_threaded",
    ]
}

DAY = np.timedelta64(1, "D")
AGEING_BUCKETS = [
    ("not_due", "not yet due"),
    ("0_30", "0-30 days past due"),
    ("31_60", "31-60 days past due"),
    ("61_90", "61-90 days past due"),
    ("90_plus", "over 90 days past due"),
]
SEVERE = ("high", "critical")
SENIOR = ("executive", "senior")

# ------------------------------------------------------------------------------------------
# shared helpers
# ------------------------------------------------------------------------------------------
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
        ids = pd.Index(portfolio.accounts["account_id"].astype(str))
        # factorize first: looking up the few distinct ids is much faster than every row
        codes, uniques = pd.factorize(portfolio.tables[table][column], use_na_sentinel=True)
        lookup = np.append(ids.get_indexer(uniques.astype(str)), -1)
        cache[key] = lookup[codes]
    return cache[key]


def _base(portfolio: Portfolio) -> pd.DataFrame:
    return pd.DataFrame({"account_id": portfolio.accounts["account_id"].astype(str).to_numpy()})


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


# ------------------------------------------------------------------------------------------
# revenue, margin, orders, targets
# ------------------------------------------------------------------------------------------
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
    orders_ltm (distinct orders), avg_order_value (LTM revenue / orders), revenue_gross_ltm
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
    out["avg_order_value"] = _ratio(out["revenue_ltm"], out["orders_ltm"])
    out["revenue_gross_ltm"] = _total(idx, ltm, np.clip(rev, 0, None), n)
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
    revenue_ytd, target_attainment (YTD / target), year_elapsed (fraction of the year up to
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
    out["target_attainment"] = _ratio(out["revenue_ytd"], cur)
    out["year_elapsed"] = elapsed
    out["target_pace"] = _ratio(out["revenue_ytd"], cur * elapsed)
    out["target_gap"] = cur - out["revenue_ytd"]
    out["next_target"] = nxt
    if not order_history(p, as_of).covers(start):  # what was booked since 1 January is not all in the data
        out["target_attainment"] = out["target_pace"] = out["target_gap"] = np.nan
    return out


# ------------------------------------------------------------------------------------------
# pipeline and bids
# ------------------------------------------------------------------------------------------
def _opportunities(p: Portfolio) -> tuple[pd.DataFrame, np.ndarray] | NotAvailable:
    if not p.has("opportunities"):
        return NotAvailable("No opportunities table was supplied, so pipeline and bid KPIs are not available.")
    return p.tables["opportunities"], _codes(p, "opportunities")


def _price_gap(df: pd.DataFrame) -> pd.Series:
    """Our price over the competitor's minus 1 (0.07 = we were 7% more expensive)."""
    our = df["our_price"] if "our_price" in df.columns else pd.Series(np.nan, index=df.index)
    theirs = df["competitor_price"] if "competitor_price" in df.columns else pd.Series(np.nan, index=df.index)
    return our.astype(float) / theirs.astype(float) - 1


def pipeline_kpis(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    horizon_days: int = 90,
    lookback_days: int = 365,
) -> pd.DataFrame | NotAvailable:
    """Pipeline, win rate, cycle time and a post-bid summary of recent losses, per account.

    Open bids are those with status ``open``; their weighted value is amount x probability
    (a missing probability is replaced by the portfolio's win rate over the lookback).
    Decided bids are won/lost bids closed in the ``lookback_days`` before ``as_of``.

    Returns columns: account_id, open_bids, open_value, weighted_value, bids_closing_90d and
    value_closing_90d (open, expected close within ``horizon_days``), overdue_bids (open,
    expected close already passed), bids_decided_12m, bids_won_12m, bids_lost_12m,
    win_rate (won / decided), lost_value_12m, avg_cycle_days (created -> close of decided
    bids), top_loss_competitor (whom we lost most bids to), lost_to_top_competitor,
    loss_price_gap_pct (mean our_price / competitor_price - 1 on those losses; 0.07 = we
    were 7% dearer), top_loss_category, top_loss_reason (most frequent over all losses).
    """
    p, as_of = _at(portfolio, as_of)
    got = _opportunities(p)
    if isinstance(got, NotAvailable):
        return got
    opp, idx = got
    n = len(p.accounts)
    t = np.datetime64(as_of, "ns")
    status = opp["status"].astype(str).to_numpy()
    created = opp["created_date"].to_numpy()
    close = opp["close_date"].to_numpy()
    amount = opp["amount"].to_numpy(dtype=float)
    known = created <= t
    is_open = known & (status == "open")
    decided = known & np.isin(status, ["won", "lost"]) & (close <= t) & (close > t - lookback_days * DAY)
    won = decided & (status == "won")
    lost = decided & (status == "lost")
    base_rate = won.sum() / decided.sum() if decided.sum() else 0.5
    prob = opp["probability"].to_numpy(dtype=float) if "probability" in opp.columns else np.full(len(opp), np.nan)
    prob = np.where(np.isnan(prob), base_rate, prob)
    out = _base(p)
    out["open_bids"] = _count(idx, is_open, n)
    out["open_value"] = _total(idx, is_open, amount, n)
    out["weighted_value"] = _total(idx, is_open, amount * prob, n)
    soon = is_open & (close >= t) & (close <= t + horizon_days * DAY)
    out["bids_closing_90d"] = _count(idx, soon, n)
    out["value_closing_90d"] = _total(idx, soon, amount, n)
    out["overdue_bids"] = _count(idx, is_open & (close < t), n)
    out["bids_decided_12m"] = _count(idx, decided, n)
    out["bids_won_12m"] = _count(idx, won, n)
    out["bids_lost_12m"] = _count(idx, lost, n)
    out["win_rate"] = _ratio(out["bids_won_12m"], out["bids_decided_12m"])
    out["lost_value_12m"] = _total(idx, lost, amount, n)
    cycle = (close - created) / DAY
    out["avg_cycle_days"] = _ratio(_total(idx, decided, np.nan_to_num(cycle), n), out["bids_decided_12m"])

    losses = opp.loc[lost].assign(_i=idx[lost], price_gap=_price_gap(opp.loc[lost]))
    top = _mode(losses, ["_i"], "competitor", weight=None) if "competitor" in losses.columns else None
    cols = {
        "top_loss_competitor": pd.Series(pd.NA, index=out.index, dtype="str"),
        "lost_to_top_competitor": np.zeros(n, dtype=np.int64),
        "loss_price_gap_pct": np.full(n, np.nan),
        "top_loss_category": pd.Series(pd.NA, index=out.index, dtype="str"),
        "top_loss_reason": pd.Series(pd.NA, index=out.index, dtype="str"),
    }
    if top is not None and len(top):
        ti = top["_i"].to_numpy()
        cols["top_loss_competitor"].iloc[ti] = top["competitor"].astype(str).to_numpy()
        vs = losses.merge(top, on=["_i", "competitor"], how="inner")
        g = vs.groupby("_i", sort=False).agg(k=("competitor", "size"), gap=("price_gap", "mean"))
        cols["lost_to_top_competitor"][g.index.to_numpy()] = g["k"].to_numpy()
        cols["loss_price_gap_pct"][g.index.to_numpy()] = g["gap"].to_numpy()
        if "category" in vs.columns:
            cat = _mode(vs, ["_i"], "category")
            cols["top_loss_category"].iloc[cat["_i"].to_numpy()] = cat["category"].astype(str).to_numpy()
    if "loss_reason" in losses.columns:
        rs = _mode(losses, ["_i"], "loss_reason")
        cols["top_loss_reason"].iloc[rs["_i"].to_numpy()] = rs["loss_reason"].astype(str).to_numpy()
    for k, v in cols.items():
        out[k] = v.to_numpy() if isinstance(v, pd.Series) else v
    return out


def open_bids(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, horizon_days: int = 90
) -> pd.DataFrame | NotAvailable:
    """The open bids of every account, soonest expected close first within an account.

    Returns columns: account_id, opportunity_id, stage, category, competitor, amount,
    probability, weighted_value, created_date, close_date, days_open, days_to_close
    (negative = expected close passed), closes_within_horizon (bool).
    """
    p, as_of = _at(portfolio, as_of)
    got = _opportunities(p)
    if isinstance(got, NotAvailable):
        return got
    opp, _ = got
    o = opp[(opp["status"].astype(str) == "open") & (opp["created_date"] <= as_of)]
    cols = ["account_id", "opportunity_id", "stage", "category", "competitor", "amount", "probability"]
    out = o.reindex(columns=cols).copy()
    out["account_id"] = out["account_id"].astype(str)
    out["weighted_value"] = out["amount"] * out["probability"]
    out["created_date"] = o["created_date"]
    out["close_date"] = o["close_date"]
    out["days_open"] = (as_of - o["created_date"]).dt.days.astype(float)
    out["days_to_close"] = (o["close_date"] - as_of).dt.days.astype(float)
    out["closes_within_horizon"] = out["days_to_close"].between(0, horizon_days)
    return out.sort_values(["account_id", "close_date", "opportunity_id"], kind="stable").reset_index(drop=True)


def bid_losses(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, lookback_days: int = 365
) -> pd.DataFrame | NotAvailable:
    """Post-bid analysis: per account and competitor, bids decided and lost in the lookback.

    Only pairs with at least one loss are returned, most losses first within an account.
    Returns columns: account_id, competitor ('unknown' when not recorded), bids_decided,
    bids_lost, lost_value, price_gap_pct (mean our_price / competitor_price - 1 on the lost
    bids), top_reason, top_category.
    """
    p, as_of = _at(portfolio, as_of)
    got = _opportunities(p)
    if isinstance(got, NotAvailable):
        return got
    opp, _ = got
    cl = opp["close_date"]
    status = opp["status"].astype(str)
    dec = opp[status.isin(["won", "lost"]) & (cl <= as_of) & (cl > as_of - pd.Timedelta(days=lookback_days))]
    dec = dec.assign(
        account_id=dec["account_id"].astype(str),
        competitor=dec["competitor"].astype(str).where(dec["competitor"].notna(), "unknown")
        if "competitor" in dec.columns
        else "unknown",
        lost=(dec["status"].astype(str) == "lost"),
        price_gap=_price_gap(dec),
    )
    lost = dec[dec["lost"]]
    keys = ["account_id", "competitor"]
    g = dec.groupby(keys, sort=False).agg(bids_decided=("lost", "size"), bids_lost=("lost", "sum")).reset_index()
    lv = lost.groupby(keys, sort=False).agg(lost_value=("amount", "sum"), price_gap_pct=("price_gap", "mean"))
    g = g.merge(lv.reset_index(), on=keys, how="inner")
    if "loss_reason" in lost.columns:
        g = g.merge(_mode(lost, keys, "loss_reason").rename(columns={"loss_reason": "top_reason"}), on=keys, how="left")
    else:
        g["top_reason"] = pd.NA
    if "category" in lost.columns:
        g = g.merge(_mode(lost, keys, "category").rename(columns={"category": "top_category"}), on=keys, how="left")
    else:
        g["top_category"] = pd.NA
    g["bids_lost"] = g["bids_lost"].astype(np.int64)
    g = g.sort_values(["account_id", "bids_lost", "lost_value"], ascending=[True, False, False], kind="stable")
    cols = ["account_id", "competitor", "bids_decided", "bids_lost", "lost_value", "price_gap_pct"]
    return g[[*cols, "top_reason", "top_category"]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# receivables
# ------------------------------------------------------------------------------------------
def _invoice_state(p: Portfolio, as_of: pd.Timestamp):
    inv = p.tables["invoices"]
    idx = _codes(p, "invoices")
    t = np.datetime64(as_of, "ns")
    issue = inv["issue_date"].to_numpy()
    due = inv["due_date"].to_numpy()
    paid = inv["paid_date"].to_numpy()
    amount = inv["amount"].to_numpy(dtype=float)
    known = issue <= t
    unpaid = known & (np.isnat(paid) | (paid > t))
    dpd = (t - due) / DAY  # days past due (negative: not yet due)
    return inv, idx, issue, due, paid, amount, known, unpaid, dpd


def _bucket_masks(unpaid: np.ndarray, dpd: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "not_due": unpaid & (dpd < 0),
        "0_30": unpaid & (dpd >= 0) & (dpd <= 30),
        "31_60": unpaid & (dpd > 30) & (dpd <= 60),
        "61_90": unpaid & (dpd > 60) & (dpd <= 90),
        "90_plus": unpaid & (dpd > 90),
    }


def receivables_kpis(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Accounts receivable, ageing, DSO and payment behaviour, per account.

    An invoice is open when it is not paid by ``as_of``; days past due = ``as_of`` - due
    date. DSO (days sales outstanding) = open AR / amount invoiced in the last 90 days x 90
    (NaN when nothing was invoiced in the last 90 days). An invoice is late when it was
    paid after its due date, or is still unpaid after it. ``late_share_12m`` is the share of
    invoices due in the last 12 months that were late; ``late_share_trend`` is that minus
    the same share of the 12 months before (positive = paying later than a year ago).

    Returns columns: account_id, open_ar, overdue_ar, ar_not_due, ar_0_30, ar_31_60, ar_61_90,
    ar_90_plus, overdue_60_plus (more than 60 days past due), overdue_invoices,
    oldest_overdue_days, invoiced_90d, dso_days, invoices_due_12m, late_invoices_12m,
    late_share_12m, late_share_prior_12m, late_share_trend, avg_days_late_12m.
    """
    p, as_of = _at(portfolio, as_of)
    if not p.has("invoices"):
        return NotAvailable("No invoices table was supplied, so receivables (AR ageing, DSO) are not available.")
    _, idx, issue, due, paid, amount, known, unpaid, dpd = _invoice_state(p, as_of)
    n = len(p.accounts)
    t = np.datetime64(as_of, "ns")
    out = _base(p)
    out["open_ar"] = _total(idx, unpaid, amount, n)
    out["overdue_ar"] = _total(idx, unpaid & (dpd >= 0), amount, n)
    for key, mask in _bucket_masks(unpaid, dpd).items():
        out[f"ar_{key}"] = _total(idx, mask, amount, n)
    out["overdue_60_plus"] = out["ar_61_90"] + out["ar_90_plus"]
    overdue = unpaid & (dpd > 0)
    out["overdue_invoices"] = _count(idx, overdue, n)
    oldest = np.full(n, -1.0)
    keep = overdue & (idx >= 0)
    np.maximum.at(oldest, idx[keep], dpd[keep])
    out["oldest_overdue_days"] = np.where(oldest >= 0, oldest, np.nan)
    out["invoiced_90d"] = _total(idx, known & (issue > t - 90 * DAY), amount, n)
    out["dso_days"] = _ratio(out["open_ar"], out["invoiced_90d"]) * 90
    late = (~np.isnat(paid) & (paid <= t) & (paid > due)) | (unpaid & (due < t))
    w12 = known & (due <= t) & (due > t - 365 * DAY)
    w24 = known & (due <= t - 365 * DAY) & (due > t - 730 * DAY)
    out["invoices_due_12m"] = _count(idx, w12, n)
    out["late_invoices_12m"] = _count(idx, w12 & late, n)
    out["late_share_12m"] = _ratio(out["late_invoices_12m"], out["invoices_due_12m"])
    out["late_share_prior_12m"] = _ratio(_count(idx, w24 & late, n), _count(idx, w24, n))
    out["late_share_trend"] = out["late_share_12m"] - out["late_share_prior_12m"]
    settle = np.where(~np.isnat(paid) & (paid <= t), paid, t)
    days_late = np.clip((settle - due) / DAY, 0, None)
    out["avg_days_late_12m"] = _ratio(_total(idx, w12, np.nan_to_num(days_late), n), out["invoices_due_12m"])
    return out


def receivables_ageing(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Open AR per account and ageing bucket (long format, for tables and charts).

    One row per account with any invoice and per bucket (all five buckets, zeros included,
    in ageing order). Returns columns: account_id, bucket (not_due, 0_30, 31_60, 61_90,
    90_plus), bucket_label, bucket_order (0-4), amount, invoices.
    """
    p, as_of = _at(portfolio, as_of)
    if not p.has("invoices"):
        return NotAvailable("No invoices table was supplied, so receivables ageing is not available.")
    _, idx, _, _, _, amount, known, unpaid, dpd = _invoice_state(p, as_of)
    n = len(p.accounts)
    ids = p.accounts["account_id"].astype(str).to_numpy()
    has = _count(idx, known, n) > 0
    frames = []
    for order, ((key, label), mask) in enumerate(zip(AGEING_BUCKETS, _bucket_masks(unpaid, dpd).values())):
        frames.append(
            pd.DataFrame(
                {
                    "account_id": ids[has],
                    "bucket": key,
                    "bucket_label": label,
                    "bucket_order": order,
                    "amount": _total(idx, mask, amount, n)[has],
                    "invoices": _count(idx, mask, n)[has],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["account_id", "bucket_order"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# complaints
# ------------------------------------------------------------------------------------------
def complaint_kpis(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, lookback_days: int = 365
) -> pd.DataFrame | NotAvailable:
    """Open complaints by severity, resolution time and the complaint trend, per account.

    Returns columns: account_id, complaints_open, open_low, open_medium, open_high,
    open_critical, open_severe (high + critical), oldest_open_severe_days, complaints_12m
    (opened in the lookback), severe_12m, complaints_prior_12m (the lookback before),
    complaints_trend (12m minus prior 12m, count), resolved_12m, mean_days_to_resolve
    (complaints resolved in the lookback).
    """
    p, as_of = _at(portfolio, as_of)
    if not p.has("complaints"):
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
    done = known & ~np.isnat(resolved) & (resolved <= t) & (resolved > t - w)
    out["resolved_12m"] = _count(idx, done, n)
    ttr = np.nan_to_num((resolved - opened) / DAY)
    out["mean_days_to_resolve"] = _ratio(_total(idx, done, ttr, n), out["resolved_12m"])
    return out


# ------------------------------------------------------------------------------------------
# relationships
# ------------------------------------------------------------------------------------------
def relationship_kpis(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    window_days: int = 90,
    thread_window_days: int = 180,
) -> pd.DataFrame | NotAvailable:
    """Stakeholder coverage and engagement per account.

    A contact is *engaged* when an interaction with them is logged in the window. Senior =
    seniority executive or senior. When an account never had a decision-maker (or senior)
    interaction in the data, ``days_since_dm_contact`` (``days_since_senior_contact``)
    counts from the later of the start of the interaction history and ``customer_since``
    (a lower bound) and ``dm_contact_never`` is True. An account is ``single_threaded`` when
    exactly one contact was engaged in the last ``thread_window_days``.

    Returns columns: account_id, contacts, decision_makers, influencers, users, gatekeepers,
    senior_contacts, interactions_90d, interactions_prior_90d, engaged_contacts_90d,
    dm_engaged_90d, senior_engaged_90d, days_since_last_contact, days_since_dm_contact,
    dm_contact_never, days_since_senior_contact, engaged_contacts_180d, single_threaded.
    """
    p, as_of = _at(portfolio, as_of)
    miss = p.missing_reason("contacts", "interactions")
    if miss is not None:
        return NotAvailable(miss.reason.replace("this section is skipped", "relationship KPIs are not available"))
    ct, it = p.tables["contacts"], p.tables["interactions"]
    n = len(p.accounts)
    t = np.datetime64(as_of, "ns")
    cidx = _codes(p, "contacts")
    role = ct["role"].astype(str).str.lower().to_numpy()
    senior = np.isin(ct["seniority"].astype(str).str.lower().to_numpy(), SENIOR)
    all_rows = np.ones(len(ct), dtype=bool)
    out = _base(p)
    out["contacts"] = _count(cidx, all_rows, n)
    for r, col in [("decision_maker", "decision_makers"), ("influencer", "influencers"), ("user", "users")]:
        out[col] = _count(cidx, role == r, n)
    out["gatekeepers"] = _count(cidx, role == "gatekeeper", n)
    out["senior_contacts"] = _count(cidx, senior, n)

    iidx = _codes(p, "interactions")
    d = it["date"].to_numpy()
    known = d <= t
    # the contact of each interaction: position in the contacts table (-1 when missing)
    cache = _CODES.setdefault(p, {})
    if "interaction_contact" not in cache:
        cache["interaction_contact"] = pd.Index(ct["contact_id"].astype(str)).get_indexer(it["contact_id"])
    cpos = cache["interaction_contact"]
    has_c = cpos >= 0
    i_dm = has_c & (role[np.maximum(cpos, 0)] == "decision_maker")
    i_sen = has_c & senior[np.maximum(cpos, 0)]
    w = window_days * DAY
    recent = known & (d > t - w)
    out["interactions_90d"] = _count(iidx, recent, n)
    out["interactions_prior_90d"] = _count(iidx, known & (d <= t - w) & (d > t - 2 * w), n)

    def engaged(mask: np.ndarray) -> np.ndarray:
        sel = mask & has_c & (iidx >= 0)
        uniq = np.unique(cpos[sel])
        return np.bincount(cidx[uniq][cidx[uniq] >= 0], minlength=n).astype(np.int64)

    out["engaged_contacts_90d"] = engaged(recent)
    out["dm_engaged_90d"] = engaged(recent & i_dm)
    out["senior_engaged_90d"] = engaged(recent & i_sen)
    last = _last_date(iidx, known, d, n)
    out["days_since_last_contact"] = _days_since(as_of, last)
    history_start = d[known].min() if known.any() else t
    since = p.accounts["customer_since"].to_numpy()
    floor_days = _days_since(as_of, np.maximum(since, history_start))
    dm_last = _last_date(iidx, known & i_dm, d, n)
    out["days_since_dm_contact"] = np.where(np.isnat(dm_last), floor_days, _days_since(as_of, dm_last))
    out["dm_contact_never"] = np.isnat(dm_last)
    sen_last = _last_date(iidx, known & i_sen, d, n)
    out["days_since_senior_contact"] = np.where(np.isnat(sen_last), floor_days, _days_since(as_of, sen_last))
    out["engaged_contacts_180d"] = engaged(known & (d > t - thread_window_days * DAY))
    out["single_threaded"] = out["engaged_contacts_180d"] == 1
    return out


# ------------------------------------------------------------------------------------------
# all blocks together
# ------------------------------------------------------------------------------------------
BLOCKS = {
    "targets": target_kpis,
    "pipeline": pipeline_kpis,
    "receivables": receivables_kpis,
    "complaints": complaint_kpis,
    "relationships": relationship_kpis,
}


def account_kpis(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None
) -> tuple[pd.DataFrame, dict[str, NotAvailable]]:
    """Every KPI block merged into one row per account, plus the blocks not available.

    Returns ``(kpis, missing)``: ``kpis`` has account_id, name, owner, industry, region and
    the columns of :func:`revenue_kpis` and of every available block (``revenue_ytd`` is
    not repeated); ``missing`` maps block name -> NotAvailable for the blocks whose table
    is absent.
    """
    kpis, blocks = _kpis_and_blocks(portfolio, as_of)
    return kpis, {k: v for k, v in blocks.items() if isinstance(v, NotAvailable)}


def _kpis_and_blocks(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame | NotAvailable]]:
    p, as_of = _at(portfolio, as_of)
    base_cols = [c for c in ("account_id", "name", "owner", "industry", "region") if c in p.accounts.columns]
    out = p.accounts[base_cols].astype(str).reset_index(drop=True)
    out = pd.concat([out, revenue_kpis(p).drop(columns="account_id")], axis=1)
    blocks: dict[str, pd.DataFrame | NotAvailable] = {}
    for name, fn in BLOCKS.items():
        res = fn(p)
        blocks[name] = res
        if isinstance(res, NotAvailable):
            continue
        extra = res.drop(columns=[c for c in res.columns if c in out.columns])
        out = pd.concat([out, extra], axis=1)
    return out, blocks


def portfolio_kpis(kpis: pd.DataFrame, health: pd.DataFrame | None = None) -> pd.DataFrame:
    """Portfolio totals from the per-account KPI table (one row, no account_id).

    Sums money and counts; pooled ratios (growth, margin %, attainment, win rate, DSO, late
    share) are recomputed from the totals, not averaged. Includes ``median_margin_pct`` of
    active accounts (the benchmark for margin objectives) and, when ``health`` is given,
    the number of accounts in each health band.
    """
    k = kpis
    active = k["revenue_ltm"] > 0

    def s(col: str) -> float:
        return float(k[col].sum(min_count=1)) if col in k.columns else np.nan

    row: dict[str, float | int] = {
        "accounts": int(len(k)),
        "active_accounts": int(active.sum()),
        "revenue_ytd": s("revenue_ytd"),
        "revenue_ytd_prior": s("revenue_ytd_prior"),
        "revenue_ltm": s("revenue_ltm"),
        "revenue_prior_ltm": s("revenue_prior_ltm"),
        "margin_ltm": s("margin_ltm"),
        "orders_ltm": s("orders_ltm"),
    }
    if "returns_ltm" in k.columns:
        row["revenue_gross_ltm"], row["returns_ltm"] = s("revenue_gross_ltm"), s("returns_ltm")
        gross = row["revenue_gross_ltm"]
        row["returns_rate"] = row["returns_ltm"] / gross if gross > 0 else np.nan
    row["growth_ytd_pct"] = (
        row["revenue_ytd"] / row["revenue_ytd_prior"] - 1 if row["revenue_ytd_prior"] > 0 else np.nan
    )
    row["growth_pct"] = row["revenue_ltm"] / row["revenue_prior_ltm"] - 1 if row["revenue_prior_ltm"] > 0 else np.nan
    row["margin_pct"] = row["margin_ltm"] / row["revenue_ltm"] if row["revenue_ltm"] else np.nan
    row["median_margin_pct"] = float(k.loc[active, "margin_pct"].median()) if active.any() else np.nan
    row["avg_order_value"] = row["revenue_ltm"] / row["orders_ltm"] if row["orders_ltm"] else np.nan
    if "target" in k.columns:
        has_t = k["target"].notna()
        row["target_total"] = float(k.loc[has_t, "target"].sum())
        ytd_t = float(k.loc[has_t, "revenue_ytd"].sum())
        known = "target_attainment" not in k.columns or k.loc[has_t, "target_attainment"].notna().any()
        row["target_attainment"] = ytd_t / row["target_total"] if row["target_total"] and known else np.nan
        row["accounts_behind_target_pace"] = int((k["target_pace"] < 0.9).sum())
    if "open_value" in k.columns:
        for c in ("open_bids", "open_value", "weighted_value", "bids_closing_90d", "value_closing_90d"):
            row[c] = s(c)
        row["bids_won_12m"], row["bids_decided_12m"] = s("bids_won_12m"), s("bids_decided_12m")
        row["win_rate"] = row["bids_won_12m"] / row["bids_decided_12m"] if row["bids_decided_12m"] else np.nan
        cyc = k["avg_cycle_days"] * k["bids_decided_12m"]
        row["avg_cycle_days"] = float(cyc.sum() / row["bids_decided_12m"]) if row["bids_decided_12m"] else np.nan
    if "open_ar" in k.columns:
        for c in ("open_ar", "overdue_ar", "ar_not_due", "ar_0_30", "ar_31_60", "ar_61_90", "ar_90_plus"):
            row[c] = s(c)
        row["overdue_60_plus"] = s("overdue_60_plus")
        inv90 = s("invoiced_90d")
        row["dso_days"] = row["open_ar"] / inv90 * 90 if inv90 else np.nan
        due = s("invoices_due_12m")
        row["late_share_12m"] = s("late_invoices_12m") / due if due else np.nan
        row["accounts_overdue_60_plus"] = int((k["overdue_60_plus"] > 0).sum())
    if "complaints_open" in k.columns:
        for c in ("complaints_open", "open_severe", "complaints_12m", "complaints_prior_12m"):
            row[c] = s(c)
        res = s("resolved_12m")
        row["mean_days_to_resolve"] = (
            float((k["mean_days_to_resolve"].fillna(0) * k["resolved_12m"]).sum() / res) if res else np.nan
        )
    if "single_threaded" in k.columns:
        row["accounts_single_threaded"] = int(k.loc[active, "single_threaded"].sum())
        row["accounts_no_dm_contact_90d"] = int((active & (k["dm_engaged_90d"] == 0)).sum())
        row["contacts"] = s("contacts")
    if health is not None and len(health):
        for band in ("red", "amber", "green"):
            row[f"health_{band}"] = int((health["health_band"] == band).sum())
        row["health_mean"] = float(health["health_score"].mean())
    return pd.DataFrame([row])


# ------------------------------------------------------------------------------------------
# health
# ------------------------------------------------------------------------------------------
# candidate components computed from the KPI table: column -> label
HEALTH_COMPONENTS: dict[str, str] = {
    "growth_pct": "Revenue growth (last 12 months vs prior)",
    "days_since_last_order": "Days since last order",
    "orders_trend": "Orders, last 6 months vs the 6 before",
    "margin_pct": "Gross margin %",
    "target_pace": "Pace against this year's target",
    "win_rate": "Bid win rate (12 months)",
    "late_share_12m": "Share of invoices paid late (12 months)",
    "complaints_12m": "Complaints opened (12 months)",
    "open_severe": "Open high/critical complaints",
    "days_since_dm_contact": "Days since decision-maker contact",
    "engaged_contacts_90d": "Contacts engaged (90 days)",
    "interactions_trend": "Interactions, last 90 days vs the 90 before",
}


HEALTH_RISK_DIRECTION: dict[str, int] = {
    # +1: a higher value is less healthy; -1: a lower value is less healthy. A component whose
    # learnt weight points the other way is left out, so no component reads against common sense
    "growth_pct": -1,
    "days_since_last_order": 1,
    "orders_trend": -1,
    "margin_pct": -1,
    "target_pace": -1,
    "win_rate": -1,
    "late_share_12m": 1,
    "complaints_12m": 1,
    "open_severe": 1,
    "days_since_dm_contact": 1,
    "engaged_contacts_90d": -1,
    "interactions_trend": -1,
}
"""Direction in which each of :data:`HEALTH_COMPONENTS` means less health."""

_HEALTH_LINE: dict[str, float] = {
    # the natural line past which a component is a weakness (else: worse than the typical account)
    "growth_pct": 0.0,
    "orders_trend": 0.0,
    "interactions_trend": 0.0,
    "target_pace": 1.0,
    "late_share_12m": 0.0,
    "complaints_12m": 0.0,
    "open_severe": 0.0,
    "days_since_dm_contact": 90.0,
}


def _is_weak(component: str, row: Mapping[str, object], reference: Mapping[str, float]) -> bool:
    """True when the account's value of ``component`` is on its unhealthy side."""
    if component not in HEALTH_COMPONENTS:
        try:
            from kamtools.churn.features import risky_side
        except ImportError:
            return False
        return risky_side(component, row, reference)
    try:
        v = float(row.get(component))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    line = _HEALTH_LINE.get(component, reference.get(component, np.nan))
    if np.isnan(v) or line is None or np.isnan(line):
        return False
    return HEALTH_RISK_DIRECTION.get(component, 1) * (v - line) > 0


def _plural(v: float, one: str, many: str | None = None) -> str:
    if v == 0:
        return f"no {one}"
    return f"{v:,.0f} {one if v == 1 else (many or one + 's')}"


def _up_down(v: float) -> str:
    return "the same as" if abs(v) < 0.005 else f"{'up' if v > 0 else 'down'} {abs(v):.0%} on"


def health_sentence(component: str, row: Mapping[str, object]) -> str | None:
    """One health component as a sentence with its number, e.g. 'No contact with a decision maker for 188 days'.

    ``row`` maps component (or churn feature) names to the account's values. Components
    that are churn features use :func:`kamtools.churn.features.driver_text`. None when the
    value is unknown or the component is not one a KAM can act on.
    """
    try:
        v = float(row.get(component))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        v = np.nan
    if component not in HEALTH_COMPONENTS:
        try:
            from kamtools.churn.features import driver_text
        except ImportError:
            return None
        return driver_text(component, row)
    if np.isnan(v):
        return None
    if component == "growth_pct":
        return f"Revenue in the last 12 months {_up_down(v)} the 12 months before"
    if component == "days_since_last_order":
        return f"No order for {v:,.0f} days"
    if component == "orders_trend":  # log ratio of (1 + orders): shown as a relative change
        return f"Orders in the last 6 months {_up_down(float(np.expm1(v)))} the 6 months before"
    if component == "interactions_trend":
        return f"Meetings, calls, e-mails and visits in the last 90 days {_up_down(float(np.expm1(v)))} the 90 before"
    if component == "margin_pct":
        return f"Gross margin {v:.0%} in the last 12 months"
    if component == "target_pace":
        return f"Revenue this year at {v:.0%} of the pace this year's target needs"
    if component == "win_rate":
        return f"Won {v:.0%} of the bids decided in the last 12 months"
    if component == "late_share_12m":
        return f"{v:.0%} of the invoices due in the last 12 months were paid late"
    if component == "complaints_12m":
        return f"{_plural(v, 'complaint').capitalize()} opened in the last 12 months"
    if component == "open_severe":
        return f"{_plural(v, 'high or critical complaint').capitalize()} open"
    if component == "days_since_dm_contact":
        return f"No contact with a decision maker for {v:,.0f} days"
    if component == "engaged_contacts_90d":
        return f"{_plural(v, 'contact').capitalize()} at the account engaged in the last 90 days"
    return None


def _health_frame(portfolio: Portfolio, kpis: pd.DataFrame) -> pd.DataFrame:
    """The candidate health components (columns of HEALTH_COMPONENTS) per account."""
    p = portfolio
    o = p.orders
    idx = _codes(p, "orders")
    d = o["order_date"].to_numpy()
    t = np.datetime64(p.as_of, "ns")
    m6 = np.datetime64(p.as_of - pd.DateOffset(months=6), "ns")
    m12 = np.datetime64(p.as_of - pd.DateOffset(months=12), "ns")
    n = len(p.accounts)
    first_line = o["line"].to_numpy() == 1 if "line" in o.columns else np.ones(len(o), dtype=bool)
    first_line &= ~credit_lines(o).to_numpy()  # a credit note is not an order
    last6 = _count(idx, first_line & (d <= t) & (d > m6), n)
    prev6 = _count(idx, first_line & (d <= m6) & (d > m12), n)
    out = kpis.reindex(columns=["account_id", *HEALTH_COMPONENTS]).copy()
    out["orders_trend"] = np.log1p(last6) - np.log1p(prev6)
    if not order_history(p).covers_months_back(12):  # the 6 months before are not all in the data
        out["orders_trend"] = np.nan
    if "interactions_90d" in kpis.columns:
        out["interactions_trend"] = np.log1p(kpis["interactions_90d"]) - np.log1p(kpis["interactions_prior_90d"])
    # a lost account has no meaningful growth ratio: -100%
    out["growth_pct"] = out["growth_pct"].where(~((kpis["revenue_ltm"] == 0) & (kpis["revenue_prior_ltm"] > 0)), -1.0)
    out["growth_pct"] = out["growth_pct"].clip(upper=3.0)
    return out


class HealthScorer(BaseEstimator):
    """A 0-100 account health score from components weighted by their churn evidence.

    Each component is turned into a percentile (0-1) against the accounts seen in ``fit``
    and oriented so that 1 is the healthy end. The score is ``100 * sum_c w_c * g_c`` with
    ``sum_c w_c = 1``, so each component contributes at most ``100 * w_c`` points and the
    contributions add up to the score. Missing values count as the median (0.5).

    Weights and directions come either from ``importance`` (signed: positive means a
    higher value raises churn risk, e.g. the churn model's global importance), or, when
    ``importance`` is None, from a logistic regression of the churn label ``y`` on the
    component percentiles (``fit(X, y)``): ``w_c`` is proportional to ``|coef_c|``; a
    component whose joint coefficient has the opposite sign of its own association with
    churn is dropped (and the regression refitted), so every direction can be explained.
    Components whose share of the total weight is below ``min_weight`` are dropped.

    Parameters
    ----------
    importance : mapping component -> signed importance, or None (learn from ``y``).
    C : inverse L2 regularisation strength of the logistic regression.
    min_weight : drop components with a weight share below this.
    bands : (red_below, green_from): score < red_below is red, >= green_from green.
    random_state : seed for the logistic regression solver.

    Attributes
    ----------
    components_ : list of kept component names.
    weights_ : ndarray, weight shares (sum 1).
    direction_ : ndarray, +1 when higher values mean more churn risk, else -1.
    reference_ : dict component -> sorted reference values (for percentiles).
    coef_ : ndarray or None, logistic coefficients per kept component (learnt case).

    Example
    -------
    >>> X = pd.DataFrame({"late": [0.0, 0.1, 0.5, 0.9], "growth": [0.2, 0.1, -0.3, -0.5]})
    >>> s = HealthScorer(importance={"late": 1.0, "growth": -1.0}).fit(X)
    >>> s.predict(X).round().tolist()
    [100.0, 75.0, 38.0, 12.0]
    """

    def __init__(
        self,
        importance: Mapping[str, float] | None = None,
        C: float = 1.0,
        min_weight: float = 0.02,
        bands: tuple[float, float] = (40.0, 60.0),
        random_state: int = 0,
    ) -> None:
        self.importance = importance
        self.C = C
        self.min_weight = min_weight
        self.bands = bands
        self.random_state = random_state

    def _percentiles(self, X: pd.DataFrame, components: list[str], reference: dict) -> np.ndarray:
        out = np.full((len(X), len(components)), 0.5)
        for j, c in enumerate(components):
            ref = reference[c]
            if c not in X.columns or len(ref) == 0:
                continue
            v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float)
            ok = ~np.isnan(v)
            lo = np.searchsorted(ref, v[ok], side="left")
            hi = np.searchsorted(ref, v[ok], side="right")
            out[ok, j] = (lo + hi) / (2.0 * len(ref))
        return out

    def fit(self, X: pd.DataFrame, y=None) -> HealthScorer:
        """Learn reference distributions and (without ``importance``) weights from ``y``.

        X : DataFrame (n_accounts, n_components) of numeric component values.
        y : array of 0/1 churn labels, required when ``importance`` is None.
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError("HealthScorer.fit: X must be a DataFrame with one column per component")
        comps = [c for c in X.columns if c != "account_id"]
        if self.importance is not None:
            comps = [c for c in comps if c in self.importance and np.isfinite(self.importance[c])]
        if not comps:
            raise ValueError("HealthScorer.fit: no component of X has an importance; nothing to score")
        reference = {}
        for c in comps:
            v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float)
            reference[c] = np.sort(v[~np.isnan(v)])
        if self.importance is not None:
            signed = np.array([float(self.importance[c]) for c in comps])
            self.coef_ = None
        else:
            if y is None:
                raise ValueError("HealthScorer.fit: give y (churn labels) or importance")
            from sklearn.linear_model import LogisticRegression

            y = np.asarray(y).astype(int)
            if len(np.unique(y)) < 2:
                raise ValueError("HealthScorer.fit: y holds only one class; cannot learn what predicts churn")
            P = self._percentiles(X, comps, reference) - 0.5
            # direction of each component on its own; a joint coefficient of the opposite sign
            # (a suppressor effect of correlated components) would be unexplainable in a
            # report ("more complaints = healthier"), so such components are dropped and the
            # regression refitted without them
            yc = y - y.mean()
            marginal = np.sign((P * yc[:, None]).sum(axis=0))
            active = np.ones(len(comps), dtype=bool)
            signed = np.zeros(len(comps))
            for _ in range(len(comps)):
                lr = LogisticRegression(C=self.C, max_iter=500, random_state=self.random_state)
                lr.fit(P[:, active], y)
                signed = np.zeros(len(comps))
                signed[active] = lr.coef_[0]
                wrong = active & (np.sign(signed) != marginal) & (signed != 0)
                if not wrong.any():
                    break
                active &= ~wrong
                if not active.any():
                    break
            self.coef_ = signed.copy()
        total = np.abs(signed).sum()
        if total <= 0:
            raise ValueError("HealthScorer.fit: every component has zero weight")
        share = np.abs(signed) / total
        keep = share >= self.min_weight
        self.components_ = [c for c, k in zip(comps, keep) if k]
        self.weights_ = share[keep] / share[keep].sum()
        self.direction_ = np.where(signed[keep] > 0, 1, -1)
        if self.coef_ is not None:
            self.coef_ = self.coef_[keep]
        self.reference_ = {c: reference[c] for c in self.components_}
        return self

    def goodness(self, X: pd.DataFrame) -> np.ndarray:
        """(n, n_components) array in [0, 1]: 1 = the healthiest end of the reference."""
        P = self._percentiles(X, self.components_, self.reference_)
        return np.where(self.direction_[None, :] > 0, 1 - P, P)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """(n, n_components) points per component; rows sum to the health score."""
        return 100.0 * self.goodness(X) * self.weights_[None, :]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Health score 0-100 per row of ``X``."""
        return self.contributions(X).sum(axis=1)

    def band(self, score: np.ndarray) -> np.ndarray:
        """'red' / 'amber' / 'green' per score."""
        red, green = self.bands
        score = np.asarray(score, dtype=float)
        return np.where(score < red, "red", np.where(score >= green, "green", "amber"))


def _churn_evidence(context: Mapping[str, object]) -> tuple[dict[str, float], pd.DataFrame, dict] | None:
    """(signed importance, per-account feature values, labels) from the churn stage, if usable."""
    imp = context.get("churn_importance")
    feats = context.get("churn_features")
    if not isinstance(imp, pd.DataFrame) or not isinstance(feats, pd.DataFrame) or imp.empty:
        return None
    # the churn stage's importance (a magnitude) signed by its direction (+1 raises the risk)
    mag = pd.to_numeric(imp["importance"], errors="coerce").abs()
    signed = mag * np.sign(imp["direction"].astype(float).to_numpy())
    names = imp["feature"].astype(str)
    numeric = [c for c in feats.columns if c != "account_id" and pd.api.types.is_numeric_dtype(feats[c])]
    signed = np.asarray(signed, dtype=float)
    importance = {n: float(v) for n, v in zip(names, signed) if n in numeric and np.isfinite(v) and v != 0}
    # a health component is something a KAM can see and act on, weighed the way common sense
    # reads it: static attributes (tenure, region), the account's size and other models'
    # outputs (P(alive), expected value) are left out, and so is a feature whose effect runs
    # against its plain meaning (long tenure or fast growth must not lower health)
    try:
        from kamtools.churn.features import FEATURE_LABELS, PRESENTABLE_FEATURES, RISK_DIRECTION
    except ImportError:
        return None
    hidden = set(FEATURE_LABELS) - PRESENTABLE_FEATURES  # a feature of another model passes as given
    importance = {
        n: v for n, v in importance.items() if n not in hidden and np.sign(v) == RISK_DIRECTION.get(n, np.sign(v))
    }
    # leave out features whose model effect contradicts their plain association with the
    # predicted churn probability (a suppressor effect of correlated features): a health
    # component must read the same way on its own ("more complaints, less healthy")
    churn = context.get("churn")
    if isinstance(churn, pd.DataFrame) and "churn_probability" in churn.columns and importance:
        both = feats[["account_id", *importance]].merge(
            churn[["account_id", "churn_probability"]].drop_duplicates("account_id"), on="account_id", how="inner"
        )
        if len(both) >= 10:
            rho = both[list(importance)].corrwith(both["churn_probability"], method="spearman").fillna(0.0)
            importance = {
                n: v for n, v in importance.items() if not (abs(rho[n]) >= 0.05 and np.sign(rho[n]) != np.sign(v))
            }
    if len(importance) < 2:
        return None
    labels = {}
    if "label" in imp.columns:
        labels = {n: str(lab) for n, lab in zip(names, imp["label"]) if n in importance and pd.notna(lab)}
    return importance, feats, labels


def _churn_labels(portfolio: Portfolio, cutoff: pd.Timestamp, kind: str) -> pd.DataFrame | None:
    """Churn labels (account_id, churned) of the accounts active at ``cutoff``, from kamtools.churn.

    None when the churn module (or its labelling) is not part of this kamtools version.
    """
    try:
        from kamtools.churn.labels import ChurnDefinition, label_accounts
    except ImportError as exc:
        if getattr(exc, "name", None) not in ("kamtools.churn", "kamtools.churn.labels", None):
            raise
        return None
    return label_accounts(portfolio, cutoff, ChurnDefinition(kind=kind))


def _label_window(kind: str) -> int | None:
    try:
        from kamtools.churn.labels import ChurnDefinition
    except ImportError:
        return None
    return ChurnDefinition(kind=kind).label_window_months


def _learn_health(
    portfolio: Portfolio, churn_kind: str, snapshots: int, step_months: int
) -> tuple[HealthScorer, str] | NotAvailable:
    """Fit a HealthScorer on past snapshots of this portfolio and the churn that followed."""
    window = _label_window(churn_kind)
    if window is None:
        return NotAvailable(
            "Health is not available: the churn analysis is not part of this kamtools version, so there is "
            "no evidence of what predicts churn to weight the health components."
        )
    latest = (portfolio.as_of - pd.DateOffset(months=window)).normalize()
    cutoffs = [(latest - pd.DateOffset(months=k * step_months)).normalize() for k in range(snapshots)]
    first_order = portfolio.orders["order_date"].min() if len(portfolio.orders) else latest
    cutoffs = [c for c in cutoffs if c > first_order + pd.DateOffset(months=12)]
    parts = []
    for cutoff in cutoffs:
        labels = _churn_labels(portfolio, cutoff, churn_kind)
        if labels is None or labels.empty:
            continue
        past = portfolio.truncate(cutoff)
        past_kpis, _ = account_kpis(past)
        parts.append(_health_frame(past, past_kpis).merge(labels, on="account_id", how="inner"))
    if not parts:
        history = order_history(portfolio)
        return NotAvailable(
            f"Health is not available: its weights are learnt from the churn in the {window} months after past "
            f"dates that have at least 12 months of orders before them, so it needs more than {12 + window} months "
            f"of order history, and this portfolio has {history.describe()}."
        )
    Xp = pd.concat(parts, ignore_index=True)
    n_churn = int(Xp["churned"].sum())
    if n_churn < 5 or n_churn == len(Xp):
        return NotAvailable(
            f"Health is not available: only {n_churn} of {len(Xp)} account snapshots churned in the "
            f"{window} months after {', '.join(str(c.date()) for c in cutoffs)}; too few to learn what predicts churn."
        )
    comps = [c for c in HEALTH_COMPONENTS if c in Xp.columns and Xp[c].notna().mean() > 0.2]
    scorer = HealthScorer().fit(Xp[comps], Xp["churned"].to_numpy())
    for _ in range(len(comps)):  # no component may read against common sense ("more orders, less healthy")
        wrong = [
            c
            for c, d in zip(scorer.components_, scorer.direction_, strict=True)
            if d != HEALTH_RISK_DIRECTION.get(c, d)
        ]
        comps = [c for c in comps if c not in wrong]
        if not wrong or len(comps) < 2:
            break
        scorer = HealthScorer().fit(Xp[comps], Xp["churned"].to_numpy())
    dates = ", ".join(str(c.date()) for c in cutoffs)
    when = "that date" if len(cutoffs) == 1 else "those dates"
    basis = (
        f"weights from a logistic regression of churn ({n_churn} of {len(Xp)} account snapshots) in the "
        f"{window} months after {dates} on these components measured on {when}"
    )
    return scorer, basis


def _weaknesses(X: pd.DataFrame, comps: list[str], good: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Per account, the sentence of the component losing most points whose value is on the
    unhealthy side (worse than the typical account and past its natural line, e.g. revenue
    falling, a complaint opened); '' when none is. ``X`` holds the components (and, for churn
    features, the other features that give a sentence its context)."""
    lost = np.where(good < 0.5, lost, -np.inf)
    numeric = [c for c in X.columns if c != "account_id" and pd.api.types.is_numeric_dtype(X[c])]
    reference = X[numeric].median().to_dict() if numeric else {}
    records = X.to_dict("records")
    out = np.full(len(X), "", dtype=object)
    for i in range(len(X)):
        for j in np.argsort(-lost[i], kind="stable"):
            if not np.isfinite(lost[i, j]):
                break
            if not _is_weak(comps[j], records[i], reference):
                continue
            text = health_sentence(comps[j], records[i])
            if text:
                out[i] = text
                break
    return out


def health_scores(
    portfolio: Portfolio,
    kpis: pd.DataFrame | None = None,
    context: Mapping[str, object] | None = None,
    top_components: int = 8,
    churn_kind: str = "any",
    snapshots: int | None = None,
    step_months: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame] | NotAvailable:
    """Health score (0-100), band and component contributions per account.

    Evidence, in order of preference:

    1. the churn stage's ``churn_importance`` (signed global importance: positive = raises
       churn risk) with ``churn_features`` (feature values per account as of now): the
       ``top_components`` strongest numeric features become the components (a feature
       whose model effect has the opposite sign of its rank correlation with the
       predicted ``churn_probability`` is left out, so each component reads one way);
    2. otherwise a logistic regression fitted here on history (:func:`_learn_health`): the
       components of :data:`HEALTH_COMPONENTS` measured on ``snapshots`` past dates
       ``step_months`` apart (default: one date for 3,000 accounts or more, else two),
       against the churn label that followed each date
       (``kamtools.churn.labels.label_accounts`` with ``ChurnDefinition(kind=churn_kind)``;
       ``"any"`` = stopped ordering or revenue more than halved);
    3. otherwise NotAvailable.

    Only what a KAM can see and act on becomes a component: static attributes (tenure,
    region, industry) and other models' outputs (P(alive), expected value) never do, and a
    component whose weight runs against its plain meaning is left out
    (:data:`HEALTH_RISK_DIRECTION`, :data:`kamtools.churn.features.RISK_DIRECTION`).

    Returns ``(health, components)``: ``health`` has account_id, health_score, health_band
    (red/amber/green), top_weakness (the component losing most points among those on the
    unhealthy side, as a sentence with its number; empty when none is),
    health_basis (plain-words source of the weights); ``components`` (long, per account and
    component, strongest weight first) has account_id, component, label, value, percentile
    (goodness 0-1, 1 = healthiest), weight, max_points, contribution (points; they sum to
    the score) and sentence (the account's value in words, e.g. "2 complaints opened in the
    last 12 months"; empty when unknown).
    """
    context = context or {}
    if kpis is None:
        kpis, _ = account_kpis(portfolio)
    evidence = _churn_evidence(context)
    if evidence is not None:
        importance, feats, labels = evidence
        top = sorted(importance, key=lambda c: -abs(importance[c]))[:top_components]
        X = kpis[["account_id"]].merge(feats[["account_id", *top]], on="account_id", how="left")
        scorer = HealthScorer(importance={c: importance[c] for c in top}).fit(X[top])
        basis = "weights from the churn model's global feature importance"
        context_X = kpis[["account_id"]].merge(feats, on="account_id", how="left")  # gives sentences their context
        label_of = {c: labels.get(c, HEALTH_COMPONENTS.get(c, c.replace("_", " ").capitalize())) for c in top}
    else:
        if snapshots is None:
            snapshots = 1 if len(portfolio.accounts) >= 3000 else 2
        learnt = _learn_health(portfolio, churn_kind, snapshots, step_months)
        if isinstance(learnt, NotAvailable):
            return learnt
        scorer, basis = learnt
        X = _health_frame(portfolio, kpis)
        label_of = HEALTH_COMPONENTS
        context_X = X
    comps = scorer.components_
    good = scorer.goodness(X)
    contrib = 100.0 * good * scorer.weights_[None, :]
    score = contrib.sum(axis=1)
    lost = 100.0 * scorer.weights_[None, :] - contrib
    weakest = _weaknesses(context_X, comps, good, lost)
    health = pd.DataFrame(
        {
            "account_id": kpis["account_id"].astype(str).to_numpy(),
            "health_score": np.round(score, 1),
            "health_band": scorer.band(score),
            "top_weakness": pd.array(weakest, dtype="str"),
            "health_basis": basis,
        }
    )
    n, k = len(X), len(comps)
    order = np.argsort(-scorer.weights_, kind="stable")
    values = np.column_stack([pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float) for c in comps])
    components = pd.DataFrame(
        {
            "account_id": np.repeat(health["account_id"].to_numpy(), k),
            "component": np.tile(np.array(comps, dtype=object)[order], n),
            "label": np.tile(np.array([label_of.get(c, c) for c in comps], dtype=object)[order], n),
            "value": values[:, order].ravel(),
            "percentile": np.round(good[:, order].ravel(), 3),
            "weight": np.tile(scorer.weights_[order], n),
            "max_points": np.tile(100.0 * scorer.weights_[order], n),
            "contribution": contrib[:, order].ravel(),
        }
    )
    components["component"] = components["component"].astype("str")
    components["label"] = components["label"].astype("str")
    ordered = [comps[j] for j in order]
    components["sentence"] = pd.array(
        [health_sentence(c, rec) or "" for rec in context_X.to_dict("records") for c in ordered], dtype="str"
    )
    return health, components


# ------------------------------------------------------------------------------------------
# bundle
# ------------------------------------------------------------------------------------------
def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The KPI stage of :func:`kamtools.bundle.analyze`.

    Tables: ``kpis`` (one row per account: every headline KPI plus health_score and
    health_band), ``kpis_portfolio`` (one row of portfolio totals), ``pipeline`` (open bids
    per account), ``pipeline_losses`` (post-bid analysis per account and competitor),
    ``receivables`` (AR ageing per account and bucket), ``complaints_summary``,
    ``relationships``, ``health`` and ``health_components``; NotAvailable for those whose
    input table is missing.
    """
    kpis, blocks = _kpis_and_blocks(portfolio)
    out: dict[str, pd.DataFrame | NotAvailable] = {}
    hs = health_scores(portfolio, kpis, inputs)
    if isinstance(hs, NotAvailable):
        out["health"] = out["health_components"] = hs
        health = None
    else:
        health, comps = hs
        out["health"], out["health_components"] = health, comps
        kpis = kpis.merge(health[["account_id", "health_score", "health_band", "top_weakness"]], on="account_id")
    out["kpis"] = kpis
    out["kpis_portfolio"] = portfolio_kpis(kpis, health)
    out["pipeline"] = open_bids(portfolio)
    out["pipeline_losses"] = bid_losses(portfolio)
    out["receivables"] = receivables_ageing(portfolio)
    out["complaints_summary"] = blocks["complaints"]
    out["relationships"] = blocks["relationships"]
    notes = history_notes(portfolio) + returns_notes(out["kpis_portfolio"])
    if notes:
        out["_notes"] = {"kpis": " ".join(notes)}
    return out


def returns_notes(totals: pd.DataFrame) -> list[str]:
    """The sentence on returns, credit notes and rebates netted in the revenue KPIs (none without them)."""
    if totals.empty or "returns_ltm" not in totals.columns:
        return []
    row = totals.iloc[0]
    if not row["returns_ltm"] > 0:
        return []
    rate = row["returns_rate"]
    share = f"{rate:.1%} of gross revenue" if np.isfinite(rate) else "more than the gross revenue"
    return [
        f"Revenue, margin and growth are net of returns, credit notes and rebates ({share} in the last 12 "
        "months); those lines are not counted as orders."
    ]


def history_notes(portfolio: Portfolio) -> list[str]:
    """Sentences on the KPIs left out because the order history does not cover their comparison window."""
    history = order_history(portfolio)
    prior_year = portfolio.as_of - pd.DateOffset(years=1)
    left = []
    if not history.covers_months_back(24):
        left.append("growth against the 12 months before the last 12")
    if not history.covers(prior_year.replace(month=1, day=1)):
        left.append("year-to-date growth against the same period last year")
    if portfolio.has("targets") and not history.covers(portfolio.as_of.replace(month=1, day=1)):
        left.append(f"attainment of the {portfolio.as_of.year} target")
    if not left:
        return []
    what = " and ".join(left)
    return [
        f"{what[0].upper()}{what[1:]} {'are' if len(left) > 1 else 'is'} not shown: this portfolio has "
        f"{history.describe()} and the comparison period lies before it."
    ]
