"""Churn features: one row per account, computed only from what was known on ``as_of``.

:func:`features` first cuts the portfolio back to ``as_of`` with
:meth:`Portfolio.truncate`, so nothing dated later (orders, complaints, resolutions,
payments, bid outcomes) can reach a feature: leakage is impossible by construction.
All computations are vectorised (``np.bincount`` over integer account codes and
pandas ``groupby``), so 10,000 accounts with millions of order lines take seconds.

A revenue or ordering trend ("last 6 months vs the 6 months before") whose earlier window
lies before the first order of the portfolio is NaN (unknown), not a jump from zero: the
data does not say what the account bought then (see :mod:`kamtools.history`).

Each feature has a plain-language label (:data:`FEATURE_LABELS`) and a unit
(:data:`FEATURE_UNITS`) used to write drivers as sentences. Features that need an
optional table are *absent* (not zero) when the table is missing; the reason is kept in
``df.attrs["unavailable"]`` and returned by :func:`feature_availability`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.data.portfolio import Portfolio, credit_lines
from kamtools.display import money
from kamtools.history import order_history

__all__ = [
    "FEATURE_LABELS",
    "FEATURE_UNITS",
    "FEATURE_SOURCES",
    "CATEGORICAL_FEATURES",
    "PRESENTABLE_FEATURES",
    "RISK_DIRECTION",
    "driver_text",
    "features",
    "feature_availability",
    "format_value",
    "reassuring_side",
    "risky_side",
]

# feature -> (plain-language label, unit). Units: days, days_change (difference in days),
# count, money, share (0-1 shown as %), change (relative change, -0.4 = down 40%), pp
# (percentage points), pct (percent, already x100), ratio, prob, category.
_SPEC: dict[str, tuple[str, str]] = {
    # orders
    "days_since_last_order": ("Days since the last order", "days"),
    "usual_order_gap_days": ("Usual days between orders", "days"),
    "recency_ratio": ("Time since last order vs the account's usual gap", "ratio"),
    "tenure_days": ("Days as a customer", "days"),
    "revenue_12m": ("Revenue in the last 12 months", "money"),
    "order_days_12m": ("Days with an order in the last 12 months", "count"),
    "revenue_change_3m": ("Revenue trend: last 3 months vs the 3 months before", "change"),
    "revenue_change_6m": ("Revenue trend: last 6 months vs the 6 months before", "change"),
    "revenue_change_12m": ("Revenue trend: last 12 months vs the 12 months before", "change"),
    "order_days_change_3m": ("Ordering frequency trend: last 3 months vs the 3 months before", "change"),
    "order_days_change_6m": ("Ordering frequency trend: last 6 months vs the 6 months before", "change"),
    "order_days_change_12m": ("Ordering frequency trend: last 12 months vs the 12 months before", "change"),
    "categories_12m": ("Product categories bought in the last 12 months", "count"),
    "categories_dropped": ("Product categories dropped (bought 6-18 months ago, not in the last 6)", "count"),
    "categories_dropped_share": ("Share of its product categories the account stopped buying", "share"),
    "margin_pct_12m": ("Margin in the last 12 months", "share"),
    "margin_change_6m": ("Margin trend: last 6 months vs the 6 months before", "pp"),
    # accounts
    "industry": ("Industry", "category"),
    "region": ("Region", "category"),
    "channel": ("Channel", "category"),
    "share_of_wallet": ("Share of the account's estimated spend that it buys from us", "share"),
    # complaints
    "complaints_12m": ("Complaints in the last 12 months", "count"),
    "complaints_severe_12m": ("High or critical complaints in the last 12 months", "count"),
    "complaints_open": ("Open complaints", "count"),
    "complaint_resolution_days": ("Average days to resolve a complaint (last 12 months, open ones to date)", "days"),
    # invoices
    "days_late_avg_12m": ("Average days invoices were paid late (last 12 months)", "days"),
    "days_late_change_6m": ("Payment delay trend: last 6 months vs the 6 months before", "days_change"),
    "overdue_share": ("Share of the open receivable that is overdue", "share"),
    # contacts / interactions
    "decision_makers": ("Decision makers known at the account", "count"),
    "decision_maker_coverage_12m": ("Share of decision makers met in the last 12 months", "share"),
    "days_since_decision_maker_contact": ("Days since the last contact with a decision maker", "days"),
    "interactions_90d": ("Meetings, calls, e-mails and visits in the last 90 days", "count"),
    "interactions_change_6m": ("Contact frequency trend: last 6 months vs the 6 months before", "change"),
    # opportunities
    "bids_lost_12m": ("Bids lost in the last 12 months", "count"),
    "win_rate_12m": ("Bid win rate in the last 12 months", "share"),
    "lost_to_competitor": ("Competitor most bids were lost to (last 24 months)", "category"),
    "bid_price_gap_pct": ("Our bid price vs the competitor's, last 12 months (+ = we are dearer)", "pct"),
    # competitor prices
    "competitor_price_gap_pct": ("How much cheaper the cheapest competitor is in the account's categories", "pct"),
    "competitor_sightings_12m": ("Competitor price sightings at this account in the last 12 months", "count"),
    # value module
    "p_alive": ("Probability the account is still buying (purchase-pattern model)", "prob"),
    "expected_value_12m": ("Expected revenue in the next 12 months (value model)", "money"),
    # contacts (last, so that data without leaving dates keeps every other column where it was)
    "champion_left": ("A champion, supporter or decision maker left the customer in the last 12 months", "count"),
}

FEATURE_LABELS: dict[str, str] = {k: v[0] for k, v in _SPEC.items()}
"""Feature name -> plain-language label for reports."""

FEATURE_UNITS: dict[str, str] = {k: v[1] for k, v in _SPEC.items()}
"""Feature name -> unit used by :func:`format_value`."""

CATEGORICAL_FEATURES = ["industry", "region", "channel", "lost_to_competitor"]

FEATURE_SOURCES: dict[str, list[str]] = {
    "orders": [
        "days_since_last_order",
        "usual_order_gap_days",
        "recency_ratio",
        "tenure_days",
        "revenue_12m",
        "order_days_12m",
        "revenue_change_3m",
        "revenue_change_6m",
        "revenue_change_12m",
        "order_days_change_3m",
        "order_days_change_6m",
        "order_days_change_12m",
        "categories_12m",
        "categories_dropped",
        "categories_dropped_share",
        "margin_pct_12m",
        "margin_change_6m",
    ],
    "accounts": ["industry", "region", "channel", "share_of_wallet"],
    "complaints": ["complaints_12m", "complaints_severe_12m", "complaints_open", "complaint_resolution_days"],
    "invoices": ["days_late_avg_12m", "days_late_change_6m", "overdue_share"],
    "contacts": [
        "decision_makers",
        "decision_maker_coverage_12m",
        "days_since_decision_maker_contact",
        "champion_left",
    ],
    "interactions": ["interactions_90d", "interactions_change_6m"],
    "opportunities": ["bids_lost_12m", "win_rate_12m", "lost_to_competitor", "bid_price_gap_pct"],
    "competitor_prices": ["competitor_price_gap_pct", "competitor_sightings_12m"],
    "value": ["p_alive", "expected_value_12m"],
}
"""Which input (table or module) each feature needs."""

_SEVERE = ("high", "critical")
_SPONSOR_LEFT_MONTHS = 12  # kamtools.relationships.CHAMPION_LEFT_MONTHS (a test keeps them equal)
_CHANGE_CAP = 3.0  # relative change capped at +300% (new or strongly growing activity)


# ---------------------------------------------------------------------------------------
# small vectorised helpers
# ---------------------------------------------------------------------------------------
def _days(dates: pd.Series) -> np.ndarray:
    """datetime64 Series -> float days since the epoch (NaN for NaT)."""
    values = dates.to_numpy(dtype="datetime64[ns]")
    out = values.astype("datetime64[D]").astype(np.int64).astype(float)
    out[np.isnat(values)] = np.nan
    return out


def _day(ts: pd.Timestamp) -> float:
    return float(pd.Timestamp(ts).normalize().to_datetime64().astype("datetime64[D]").astype(np.int64))


def _months_before(as_of: pd.Timestamp, months: int) -> float:
    """Day number of ``as_of`` minus ``months`` calendar months."""
    return _day(as_of - pd.DateOffset(months=months))


def _codes(ids: pd.Series, index: pd.Index) -> np.ndarray:
    """Account ids -> positions in ``index`` (-1 when unknown or missing).

    Factorises first (fast on Arrow-backed strings) and looks up only the unique ids.
    """
    codes, uniques = pd.factorize(ids)
    if len(uniques) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    lookup = index.get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    return np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1).astype(np.int64)


@dataclass
class _OrderArrays:
    """The orders table as flat numpy arrays, computed once per feature call."""

    code: np.ndarray  # account position, -1 unknown
    day: np.ndarray  # order day number
    rev: np.ndarray
    margin: np.ndarray
    cat_code: np.ndarray  # product category code, -1 unknown
    categories: np.ndarray  # category names by code
    order_code: np.ndarray  # account of each distinct (account, order day)
    order_day: np.ndarray  # day of each distinct (account, order day), sorted by account then day

    @classmethod
    def build(cls, p: Portfolio, index: pd.Index) -> _OrderArrays:
        orders = p.orders
        prod_codes, prod_uniques = pd.factorize(orders["product_id"])
        prods = p.products.drop_duplicates("product_id")
        cat_map = pd.Series(
            prods["category"].astype(object).to_numpy(), index=prods["product_id"].astype(object).to_numpy()
        )
        cat_of_product = cat_map.reindex(np.asarray(prod_uniques, dtype=object))
        cat_codes_u, categories = pd.factorize(cat_of_product, use_na_sentinel=True)
        cat_code = np.where(prod_codes >= 0, cat_codes_u[np.maximum(prod_codes, 0)] if len(cat_codes_u) else -1, -1)
        code = _codes(orders["account_id"], index)
        day = _days(orders["order_date"])
        # ordering occasions: distinct (account, day) pairs (robust to how order ids and
        # lines are numbered, and cheap: no hashing of millions of order-id strings); returns
        # and credit notes net into revenue but are not ordering occasions
        ok = (code >= 0) & ~np.isnan(day) & ~credit_lines(orders).to_numpy()
        span = 1 << 32
        keys = _unique(code[ok].astype(np.int64) * span + (day[ok].astype(np.int64) + (1 << 31)))
        rev = orders["net_revenue"].to_numpy(dtype=float)
        return cls(
            code=code,
            day=day,
            rev=rev,
            margin=rev - orders["cost"].to_numpy(dtype=float),
            cat_code=np.asarray(cat_code, dtype=np.int64),
            categories=np.asarray(categories, dtype=object),
            order_code=keys // span,
            order_day=(keys % span - (1 << 31)).astype(float),
        )


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values by sorting (numpy 2.4's hash-based ``np.unique`` of int64 was
    measured 20-200x slower than a sort on millions of values)."""
    s = np.sort(a)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def _count(codes: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    keep = mask & (codes >= 0)
    return np.bincount(codes[keep], minlength=n).astype(float)


def _sum(codes: np.ndarray, weights: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    keep = mask & (codes >= 0) & ~np.isnan(weights)
    return np.bincount(codes[keep], weights=weights[keep], minlength=n)


def _max(codes: np.ndarray, values: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    keep = mask & (codes >= 0) & ~np.isnan(values)
    out = np.full(n, -np.inf)
    np.maximum.at(out, codes[keep], values[keep])
    out[np.isneginf(out)] = np.nan
    return out


def _change(recent: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Relative change recent/before - 1, capped at +300%; 0 when both are zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(before > 0, recent / before - 1.0, np.where(recent > 0, _CHANGE_CAP, 0.0))
    return np.minimum(out, _CHANGE_CAP)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _mean(codes: np.ndarray, values: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    return _ratio(_sum(codes, values, mask, n), _count(codes, mask & ~np.isnan(values), n))


# ---------------------------------------------------------------------------------------
# feature groups
# ---------------------------------------------------------------------------------------
def _order_features(p: Portfolio, index: pd.Index, t: float, o: _OrderArrays, out: dict[str, np.ndarray]) -> None:
    n = len(index)
    as_of = p.as_of
    code, day, rev, margin = o.code, o.day, o.rev, o.margin
    m = {k: _months_before(as_of, k) for k in (3, 6, 12, 18, 24)}

    def window(lo_months: int, hi_months: int | None = None) -> np.ndarray:
        """Lines dated in (as_of - hi, as_of - lo] months (lo=0: up to as_of)."""
        upper = t if lo_months == 0 else m[lo_months]
        lower = m[hi_months] if hi_months is not None else -np.inf
        return (day > lower) & (day <= upper)

    # orders: one row per order (first line's account and date)
    oc, od = o.order_code, o.order_day

    def n_orders(lo: int, hi: int) -> np.ndarray:
        upper = t if lo == 0 else m[lo]
        return _count(oc, (od > m[hi]) & (od <= upper), n)

    last = _max(oc, od, np.ones(len(od), bool), n)  # the last purchase day (credit notes are not orders)
    since_start = _days(p.accounts["customer_since"])
    out["days_since_last_order"] = np.where(np.isnan(last), t - since_start, t - last)
    out["tenure_days"] = t - since_start

    # usual gap: median gap between distinct order days, over the last 24 months when that
    # holds at least two gaps, else over the whole history
    gaps = np.diff(od)
    same = oc[1:] == oc[:-1]
    gap_df = pd.DataFrame({"c": oc[1:][same], "g": gaps[same], "d": od[1:][same]})
    recent = gap_df[gap_df["d"] > m[24]]
    med_all = gap_df.groupby("c")["g"].median()
    med_recent = recent.groupby("c")["g"].agg(["median", "size"])
    usual = np.full(n, np.nan)
    usual[med_all.index.to_numpy()] = med_all.to_numpy()
    ok = med_recent[med_recent["size"] >= 2]
    usual[ok.index.to_numpy()] = ok["median"].to_numpy()
    usual = np.maximum(usual, 1.0)
    out["usual_order_gap_days"] = usual
    out["recency_ratio"] = out["days_since_last_order"] / usual

    out["revenue_12m"] = _sum(code, rev, window(0, 12), n)
    out["order_days_12m"] = n_orders(0, 12)
    for k in (3, 6, 12):
        recent_rev = _sum(code, rev, window(0, k), n)
        before_rev = _sum(code, rev, (day > _months_before(as_of, 2 * k)) & (day <= m[k]), n)
        out[f"revenue_change_{k}m"] = _change(recent_rev, before_rev)
        before_orders = _count(oc, (od > _months_before(as_of, 2 * k)) & (od <= m[k]), n)
        out[f"order_days_change_{k}m"] = _change(n_orders(0, k), before_orders)

    # categories bought and dropped
    cat_code = o.cat_code
    n_cat = max(len(o.categories), 1)
    key = code * n_cat + cat_code
    valid = (code >= 0) & (cat_code >= 0)
    k12 = _unique(key[valid & window(0, 12)])
    out["categories_12m"] = np.bincount(k12 // n_cat, minlength=n).astype(float)
    before = _unique(key[valid & window(6, 18)])
    recent_k = _unique(key[valid & window(0, 6)])
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

    # margin level and trend
    r12, m12 = _sum(code, rev, window(0, 12), n), _sum(code, margin, window(0, 12), n)
    out["margin_pct_12m"] = _ratio(m12, r12)
    r6, mg6 = _sum(code, rev, window(0, 6), n), _sum(code, margin, window(0, 6), n)
    r6b, mg6b = _sum(code, rev, window(6, 12), n), _sum(code, margin, window(6, 12), n)
    out["margin_change_6m"] = (_ratio(mg6, r6) - _ratio(mg6b, r6b)) * 100.0

    # sums over windows that reach back before the order history are unknown, not zero (rates
    # such as the margin % and counts of categories dropped only see fewer lines)
    history = order_history(p)
    for k in (3, 6, 12):
        if not history.covers_months_back(2 * k):
            out[f"revenue_change_{k}m"] = np.full(n, np.nan)
            out[f"order_days_change_{k}m"] = np.full(n, np.nan)


def _account_features(p: Portfolio, out: dict[str, np.ndarray], unavailable: dict[str, str]) -> None:
    acc = p.accounts
    for col in ("industry", "region", "channel"):
        out[col] = acc[col].astype(object).where(acc[col].notna(), None).to_numpy()
    pot = acc["potential_revenue"].to_numpy(dtype=float) if "potential_revenue" in acc.columns else None
    if pot is None or np.isnan(pot).all():
        unavailable["share_of_wallet"] = "No potential revenue (estimated spend) is given for the accounts."
    else:
        out["share_of_wallet"] = np.minimum(_ratio(out["revenue_12m"], pot), 1.5)


def _complaint_features(p: Portfolio, index: pd.Index, t: float, out: dict[str, np.ndarray]) -> None:
    n = len(index)
    c = p.tables["complaints"]
    code = _codes(c["account_id"], index)
    opened = _days(c["opened_date"])
    resolved = _days(c["resolved_date"])
    last12 = opened > _months_before(p.as_of, 12)
    severe = c["severity"].astype(object).isin(_SEVERE).to_numpy()
    is_open = np.isnan(resolved)
    out["complaints_12m"] = _count(code, last12, n)
    out["complaints_severe_12m"] = _count(code, last12 & severe, n)
    out["complaints_open"] = _count(code, is_open, n)
    duration = np.where(is_open, t, resolved) - opened
    res = _mean(code, duration, last12, n)
    out["complaint_resolution_days"] = np.where(np.isnan(res), 0.0, res)


def _invoice_features(p: Portfolio, index: pd.Index, t: float, out: dict[str, np.ndarray]) -> None:
    n = len(index)
    inv = p.tables["invoices"]
    code = _codes(inv["account_id"], index)
    due = _days(inv["due_date"])
    paid = _days(inv["paid_date"])
    amount = inv["amount"].to_numpy(dtype=float)
    late = np.maximum(np.where(np.isnan(paid), t, paid) - due, 0.0)
    is_due = due <= t
    m6, m12 = _months_before(p.as_of, 6), _months_before(p.as_of, 12)
    last12 = is_due & (due > m12)
    avg12 = _mean(code, late, last12, n)
    out["days_late_avg_12m"] = avg12
    recent = _mean(code, late, is_due & (due > m6), n)
    before = _mean(code, late, (due > m12) & (due <= m6), n)
    out["days_late_change_6m"] = np.where(np.isnan(recent) | np.isnan(before), 0.0, recent - before)
    unpaid = np.isnan(paid)
    open_amt = _sum(code, amount, unpaid, n)
    overdue_amt = _sum(code, amount, unpaid & (due < t), n)
    out["overdue_share"] = np.where(open_amt > 0, overdue_amt / np.maximum(open_amt, 1e-12), 0.0)


def _relationship_features(
    p: Portfolio,
    index: pd.Index,
    t: float,
    out: dict[str, np.ndarray],
    unavailable: dict[str, str],
    left_dates: bool = True,
) -> None:
    n = len(index)
    has_contacts, has_inter = p.has("contacts"), p.has("interactions")
    since_start = _days(p.accounts["customer_since"])
    if has_contacts:
        contacts = p.tables["contacts"]
        is_dm = (contacts["role"].astype(object) == "decision_maker").to_numpy()
        out["decision_makers"] = _count(_codes(contacts["account_id"], index), is_dm, n)
    if has_contacts and has_inter:
        inter = p.tables["interactions"]
        dm_ids = pd.Index(contacts.loc[is_dm, "contact_id"].astype(object))
        met_dm = inter["contact_id"].astype(object).isin(dm_ids).to_numpy()
        code = _codes(inter["account_id"], index)
        day = _days(inter["date"])
        last_dm = _max(code, day, met_dm, n)
        # never met a decision maker: the whole relationship so far without one
        out["days_since_decision_maker_contact"] = np.where(np.isnan(last_dm), t - since_start, t - last_dm)
        recent = met_dm & (day > _months_before(p.as_of, 12))
        pairs = pd.DataFrame({"c": code[recent], "k": inter["contact_id"].astype(object).to_numpy()[recent]})
        met = pairs[pairs["c"] >= 0].drop_duplicates().groupby("c").size()
        n_met = np.zeros(n)
        n_met[met.index.to_numpy()] = met.to_numpy()
        out["decision_maker_coverage_12m"] = np.where(
            out["decision_makers"] > 0, n_met / np.maximum(out["decision_makers"], 1), 0.0
        )
    elif has_inter:
        reason = "No contacts table was supplied, so decision-maker contact cannot be measured."
        for f in (
            "decision_makers",
            "decision_maker_coverage_12m",
            "days_since_decision_maker_contact",
            "champion_left",
        ):
            unavailable[f] = reason
    elif has_contacts:
        reason = "No interactions table was supplied, so contact with decision makers cannot be measured."
        for f in ("decision_maker_coverage_12m", "days_since_decision_maker_contact"):
            unavailable[f] = reason
    if has_contacts:
        _sponsor_left_feature(p, index, t, out, unavailable, left_dates)
    if has_inter:
        inter = p.tables["interactions"]
        code = _codes(inter["account_id"], index)
        day = _days(inter["date"])
        out["interactions_90d"] = _count(code, day > t - 90, n)
        recent = _count(code, day > _months_before(p.as_of, 6), n)
        before = _count(code, (day > _months_before(p.as_of, 12)) & (day <= _months_before(p.as_of, 6)), n)
        out["interactions_change_6m"] = _change(recent, before)


def _has_left_dates(p: Portfolio) -> bool:
    """Whether the contacts table records when people left (``contacts.left_date`` holds a date)."""
    contacts = p.tables.get("contacts")
    return contacts is not None and "left_date" in contacts.columns and bool(contacts["left_date"].notna().any())


def _sponsor_left_feature(
    p: Portfolio,
    index: pd.Index,
    t: float,
    out: dict[str, np.ndarray],
    unavailable: dict[str, str],
    left_dates: bool,
) -> None:
    """``champion_left``: 1 when a champion or supporter (or a decision maker not known to be neutral or a
    detractor) left in the last 12 months; only leaving dates on or before ``as_of`` count, so a later
    departure cannot leak into an earlier snapshot. Absent when the data records no leaving date at all
    (``left_dates``, judged on the data before it is cut back to the snapshot, so that every snapshot of
    one portfolio has the feature or none has it)."""
    contacts = p.tables["contacts"]
    left = contacts["left_date"] if "left_date" in contacts.columns else None
    if left is None or not left_dates:
        unavailable["champion_left"] = (
            "No contact has a leaving date (contacts.left_date), so a sponsor leaving the customer cannot be seen."
        )
        return
    from kamtools.relationships.coverage import SPONSOR_ATTITUDES

    day = _days(pd.to_datetime(left, errors="coerce"))
    recent = (day <= t) & (day > _months_before(p.as_of, _SPONSOR_LEFT_MONTHS))  # NaN (still there): False
    attitude = (
        contacts["attitude"].astype(object).str.strip().str.lower()
        if "attitude" in contacts.columns
        else pd.Series(None, index=contacts.index, dtype=object)
    )
    is_dm = (contacts["role"].astype(object) == "decision_maker").to_numpy()
    sponsor = attitude.isin(SPONSOR_ATTITUDES).to_numpy() | (
        is_dm & ~attitude.isin(("detractor", "neutral")).to_numpy()
    )
    n = len(index)
    out["champion_left"] = (_count(_codes(contacts["account_id"], index), recent & sponsor, n) > 0).astype(float)


def _opportunity_features(p: Portfolio, index: pd.Index, t: float, out: dict[str, np.ndarray]) -> None:
    n = len(index)
    opp = p.tables["opportunities"]
    code = _codes(opp["account_id"], index)
    close = _days(opp["close_date"])
    created = _days(opp["created_date"])
    status = opp["status"].astype(object).to_numpy()
    m12, m24 = _months_before(p.as_of, 12), _months_before(p.as_of, 24)
    decided12 = (close <= t) & (close > m12)
    lost12 = decided12 & (status == "lost")
    won12 = decided12 & (status == "won")
    out["bids_lost_12m"] = _count(code, lost12, n)
    won = _count(code, won12, n)
    out["win_rate_12m"] = _ratio(won, won + out["bids_lost_12m"])
    # competitor lost to most often in the last 24 months ("none" when no bid was lost)
    lost24 = (status == "lost") & (close <= t) & (close > m24) & (code >= 0)
    comp = opp["competitor"].astype(object).to_numpy()
    named = pd.DataFrame({"c": code[lost24], "k": comp[lost24]})
    named["k"] = named["k"].where(pd.notna(named["k"]), "unknown")
    to_whom = np.full(n, "none", dtype=object)
    if len(named):
        counts = (
            named.groupby(["c", "k"])
            .size()
            .reset_index(name="n")
            .sort_values(["c", "n", "k"], ascending=[True, False, True])
        )
        top = counts.drop_duplicates("c")
        to_whom[top["c"].to_numpy()] = top["k"].to_numpy()
    out["lost_to_competitor"] = to_whom
    if "our_price" in opp.columns and "competitor_price" in opp.columns:
        ours = opp["our_price"].to_numpy(dtype=float)
        theirs = opp["competitor_price"].to_numpy(dtype=float)
        gap = (ours / theirs - 1.0) * 100.0
        recent = (created > m12) & (created <= t)
        g = _mean(code, gap, recent, n)
        out["bid_price_gap_pct"] = g


def _competitor_price_features(
    p: Portfolio, index: pd.Index, t: float, o: _OrderArrays, out: dict[str, np.ndarray]
) -> None:
    n = len(index)
    cp = p.tables["competitor_prices"]
    day = _days(cp["date"])
    acc_code = _codes(cp["account_id"], index)
    m3, m12 = _months_before(p.as_of, 3), _months_before(p.as_of, 12)
    out["competitor_sightings_12m"] = _count(acc_code, day > m12, n)
    cat = cp["category"].astype(object).to_numpy()
    comp = cp["competitor"].astype(object).to_numpy()
    idx = cp["price_index"].to_numpy(dtype=float)
    market_mask = cp["account_id"].isna().to_numpy()
    # market level: the last 3 months' mean per category and competitor (the last 12 when sparse)
    market = pd.DataFrame({"cat": cat, "comp": comp, "idx": idx, "recent": day > m3})[market_mask & (day > m12)]
    m_recent = market[market["recent"]].groupby(["cat", "comp"])["idx"].mean()
    m_year = market.groupby(["cat", "comp"])["idx"].mean()
    m_idx = m_recent.combine_first(m_year).rename("market").reset_index()
    # account level: sightings at the account in the last 12 months
    mask_a = (acc_code >= 0) & (day > m12)
    acc_obs = pd.DataFrame({"c": acc_code[mask_a], "cat": cat[mask_a], "comp": comp[mask_a], "idx": idx[mask_a]})
    a_idx = acc_obs.groupby(["c", "cat", "comp"])["idx"].mean().rename("account").reset_index()
    # the account's categories (last 12 months' revenue), crossed with competitors
    keep = (o.day > m12) & (o.code >= 0) & (o.cat_code >= 0)
    rev = (
        pd.DataFrame({"c": o.code[keep], "k": o.cat_code[keep], "rev": o.rev[keep]})
        .groupby(["c", "k"])["rev"]
        .sum()
        .reset_index()
    )
    rev["cat"] = o.categories[rev["k"].to_numpy()] if len(rev) else pd.Series([], dtype=object)
    rev = rev.drop(columns="k")
    comps = pd.concat([m_idx[["cat", "comp"]], a_idx[["cat", "comp"]]]).drop_duplicates()
    grid = rev.merge(comps, on="cat", how="inner").merge(m_idx, on=["cat", "comp"], how="left")
    grid = grid.merge(a_idx, on=["c", "cat", "comp"], how="left")
    grid["idx"] = grid["account"].fillna(grid["market"])
    grid = grid.dropna(subset=["idx"])
    gap = np.full(n, np.nan)
    if len(grid):
        per_cat = grid.groupby(["c", "cat"]).agg(idx=("idx", "min"), rev=("rev", "first")).reset_index()
        per_cat["w"] = per_cat["rev"].clip(lower=0) + 1e-9
        per_cat["wg"] = (100.0 - per_cat["idx"]) * per_cat["w"]
        agg = per_cat.groupby("c")[["wg", "w"]].sum()
        gap[agg.index.to_numpy()] = (agg["wg"] / agg["w"]).to_numpy()
    out["competitor_price_gap_pct"] = gap


def _value_features(p: Portfolio, out: dict[str, np.ndarray], unavailable: dict[str, str]) -> None:
    from kamtools.churn._value import value_table

    table = value_table(p)
    if isinstance(table, str):
        for f in FEATURE_SOURCES["value"]:
            unavailable[f] = table
        return
    aligned = p.accounts[["account_id"]].merge(table, on="account_id", how="left")
    out["p_alive"] = aligned["p_alive"].to_numpy(dtype=float)
    out["expected_value_12m"] = aligned["expected_value_12m"].to_numpy(dtype=float)


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------
def features(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, use_value: bool = True) -> pd.DataFrame:
    """Churn features per account from the data known on ``as_of``.

    Parameters
    ----------
    portfolio : the validated portfolio.
    as_of : snapshot date (default ``portfolio.as_of``). The portfolio is cut back to it
        with :meth:`Portfolio.truncate` first, so no later fact can leak in.
    use_value : add ``p_alive`` and ``expected_value_12m`` from :mod:`kamtools.value`
        when that module is importable and fits (it refits the value model at ``as_of``).

    Returns
    -------
    DataFrame, one row per account that was a customer on ``as_of``: ``account_id`` then
    the available features of :data:`FEATURE_LABELS` (numbers as float64, the
    :data:`CATEGORICAL_FEATURES` as text). Features whose optional table is missing are
    absent; ``df.attrs["unavailable"]`` maps each absent feature to the reason.

    Example
    -------
    >>> X = features(portfolio, "2025-06-30")  # doctest: +SKIP
    >>> X[["account_id", "days_since_last_order", "revenue_change_6m"]].head()  # doctest: +SKIP
    """
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    p = portfolio if as_of == portfolio.as_of else portfolio.truncate(as_of)
    index = pd.Index(p.accounts["account_id"].astype(object))
    t = _day(p.as_of)
    out: dict[str, np.ndarray] = {}
    unavailable: dict[str, str] = {}
    orders = _OrderArrays.build(p, index)
    _order_features(p, index, t, orders, out)
    _account_features(p, out, unavailable)
    groups = [
        ("complaints", _complaint_features),
        ("invoices", _invoice_features),
        ("opportunities", _opportunity_features),
        ("competitor_prices", _competitor_price_features),
    ]
    for table, fn in groups:
        if p.has(table):
            if fn is _competitor_price_features:
                fn(p, index, t, orders, out)
            else:
                fn(p, index, t, out)
        else:
            for f in FEATURE_SOURCES[table]:
                unavailable[f] = f"No {table} table was supplied."
    if p.has("contacts") or p.has("interactions"):
        _relationship_features(p, index, t, out, unavailable, _has_left_dates(portfolio))
    else:
        for f in FEATURE_SOURCES["contacts"] + FEATURE_SOURCES["interactions"]:
            unavailable[f] = "No contacts or interactions table was supplied."
    if use_value:
        _value_features(p, out, unavailable)
    else:
        for f in FEATURE_SOURCES["value"]:
            unavailable[f] = "The value model was not used for these features."
    cols = [f for f in FEATURE_LABELS if f in out]
    df = pd.DataFrame({"account_id": p.accounts["account_id"].astype(str).to_numpy()})
    for f in cols:
        if f in CATEGORICAL_FEATURES:
            df[f] = pd.Series(list(out[f]), dtype="str")
        else:
            df[f] = np.asarray(out[f], dtype=float)
    df.attrs["unavailable"] = unavailable
    df.attrs["as_of"] = str(p.as_of.date())
    return df


def feature_availability(df: pd.DataFrame) -> pd.DataFrame:
    """Each known feature, whether ``df`` (from :func:`features`) has it, and why not.

    Returns columns ``feature, label, available, reason``.
    """
    unavailable = df.attrs.get("unavailable", {})
    rows = []
    for f, label in FEATURE_LABELS.items():
        rows.append(
            {
                "feature": f,
                "label": label,
                "available": f in df.columns,
                "reason": "" if f in df.columns else unavailable.get(f, "Not computed."),
            }
        )
    return pd.DataFrame(rows)


def format_value(feature: str, value: object) -> str:
    """A feature value in words for a report: ``format_value("overdue_share", 0.42) -> '42%'``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "unknown"
    unit = FEATURE_UNITS.get(feature, "")
    if unit == "category":
        return str(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if unit == "days":
        return f"{v:,.0f} days"
    if unit == "days_change":
        return f"{v:+,.0f} days"
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "money":
        return money(v)
    if unit in ("share", "prob"):
        return f"{v:.0%}"
    if unit == "change":
        return f"{v:+.0%}"
    if unit == "pp":
        return f"{v:+.1f} pp"
    if unit == "pct":
        return f"{v:+.1f}%"
    if unit == "ratio":
        return f"{v:.1f}x"
    return f"{v:,.3g}"


# ---------------------------------------------------------------------------------------
# drivers a KAM can act on: which features may be shown as an account's reasons, and how
# ---------------------------------------------------------------------------------------
RISK_DIRECTION: dict[str, int] = {
    # +1: a higher value means more risk; -1: a lower value means more risk
    "days_since_last_order": 1,
    "recency_ratio": 1,
    "revenue_change_3m": -1,
    "revenue_change_6m": -1,
    "revenue_change_12m": -1,
    "order_days_change_3m": -1,
    "order_days_change_6m": -1,
    "order_days_change_12m": -1,
    "categories_dropped": 1,
    "categories_dropped_share": 1,
    "share_of_wallet": -1,
    "complaints_12m": 1,
    "complaints_severe_12m": 1,
    "complaints_open": 1,
    "complaint_resolution_days": 1,
    "days_late_avg_12m": 1,
    "days_late_change_6m": 1,
    "overdue_share": 1,
    "decision_makers": -1,
    "decision_maker_coverage_12m": -1,
    "days_since_decision_maker_contact": 1,
    "interactions_90d": -1,
    "interactions_change_6m": -1,
    "bids_lost_12m": 1,
    "win_rate_12m": -1,
    "bid_price_gap_pct": 1,
    "competitor_price_gap_pct": 1,
    "competitor_sightings_12m": 1,
    "champion_left": 1,
}
"""Presentable numeric feature -> the direction in which its value means more churn risk."""

PRESENTABLE_FEATURES: frozenset[str] = frozenset(RISK_DIRECTION) | {"lost_to_competitor"}
"""The features that may be shown to a KAM as an account's reasons (churn drivers, health
weaknesses): what the KAM can see and change or must know about. Static attributes
(industry, region, channel, tenure), the account's size and buying pattern (revenue,
usual gap, categories, margin) and other models' outputs (P(alive), expected value) stay
in the model as features but are never presented as the account's reasons."""

# the natural line between a worrying and a reassuring value (None: the portfolio median)
_THRESHOLD: dict[str, float | None] = {
    "days_since_last_order": None,
    "recency_ratio": 1.0,
    "revenue_change_3m": 0.0,
    "revenue_change_6m": 0.0,
    "revenue_change_12m": 0.0,
    "order_days_change_3m": 0.0,
    "order_days_change_6m": 0.0,
    "order_days_change_12m": 0.0,
    "categories_dropped": 0.5,
    "categories_dropped_share": 0.005,
    "share_of_wallet": None,
    "complaints_12m": 0.5,
    "complaints_severe_12m": 0.5,
    "complaints_open": 0.5,
    "complaint_resolution_days": 14.0,
    "days_late_avg_12m": 0.5,
    "days_late_change_6m": 0.5,
    "overdue_share": 0.005,
    "decision_makers": 1.5,
    "decision_maker_coverage_12m": 0.5,
    "days_since_decision_maker_contact": 90.0,
    "interactions_90d": None,
    "interactions_change_6m": 0.0,
    "bids_lost_12m": 0.5,
    "win_rate_12m": 0.5,
    "bid_price_gap_pct": 0.0,
    "competitor_price_gap_pct": 0.0,
    "competitor_sightings_12m": 0.5,
    "champion_left": 0.5,
}


def _num(row: object, key: str) -> float:
    try:
        v = float(row.get(key))  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return float("nan")
    return v


def _side(feature: str, row: object, reference: object = None) -> int:
    """+1 when the account's value is on the risky side, -1 on the reassuring side, 0 neither/unknown."""
    if feature == "lost_to_competitor":
        v = row.get(feature)  # type: ignore[union-attr]
        return 1 if isinstance(v, str) and v not in ("", "none", "unknown", "nan") else 0
    direction = RISK_DIRECTION.get(feature)
    v = _num(row, feature)
    if direction is None or np.isnan(v):
        return 0
    if feature == "days_since_last_order" and not np.isnan(_num(row, "recency_ratio")):
        return 1 if _num(row, "recency_ratio") > 1.0 else -1
    threshold = _THRESHOLD.get(feature)
    if threshold is None:
        try:
            threshold = float(reference.get(feature))  # type: ignore[union-attr]
        except (AttributeError, TypeError, ValueError):
            return 0
        if np.isnan(threshold):
            return 0
    d = direction * (v - threshold)
    margin = 0.05 if FEATURE_UNITS.get(feature) == "change" else 0.0  # a 2% dip is no reason
    return 1 if d > margin else -1 if d < -margin else 0


def risky_side(feature: str, row: object, reference: object = None) -> bool:
    """True when ``row[feature]`` is on the side that means more churn risk.

    ``row`` maps feature names to one account's values (the other values give context,
    e.g. the usual order gap); ``reference`` maps features to a typical value (the
    portfolio median), used where a feature has no natural line (see :data:`_THRESHOLD`).
    A model may weigh a value the other way (a growing account flagged as risky because
    fast growth was followed by churn in the training data); such a value is not a
    reason a KAM can defend, so it is not presented as one.
    """
    return feature in PRESENTABLE_FEATURES and _side(feature, row, reference) > 0


def reassuring_side(feature: str, row: object, reference: object = None) -> bool:
    """True when ``row[feature]`` is on the side that means less churn risk (see :func:`risky_side`)."""
    return feature in PRESENTABLE_FEATURES and _side(feature, row, reference) < 0


def _n(v: float, one: str, many: str | None = None) -> str:
    """'1 complaint', '3 complaints', 'no complaint'."""
    many = many or one + "s"
    if v == 0:
        return f"no {one}"
    return f"{v:,.0f} {one if v == 1 else many}"


def _period(k: str) -> str:
    return {"3m": "3 months", "6m": "6 months", "12m": "12 months"}[k]


def _change_sentence(what: str, v: float, k: str) -> str:
    span = _period(k)
    if abs(v) < 0.005:
        return f"{what} in the last {span} the same as in the {span} before"
    if v >= 3.0:
        return f"{what} in the last {span} more than four times the {span} before"
    way = "up" if v > 0 else "down"
    return f"{what} in the last {span} {way} {abs(v):.0%} on the {span} before"


def driver_text(feature: str, row: object) -> str | None:
    """One driver as a sentence in the customer's terms, with the number behind it.

    ``row`` maps feature names to the account's values (a dict or a Series). Examples:
    ``"No order for 144 days, this account usually orders every 40 days"``, ``"Revenue in
    the last 12 months down 32% on the 12 months before"``. None when the feature is not
    presentable (:data:`PRESENTABLE_FEATURES`) or its value is unknown.
    """
    if feature not in PRESENTABLE_FEATURES:
        return None
    if feature == "lost_to_competitor":
        v = row.get(feature)  # type: ignore[union-attr]
        if not isinstance(v, str) or v in ("", "none", "unknown", "nan"):
            return None
        lost = _num(row, "bids_lost_12m")
        extra = f" ({_n(lost, 'bid')} lost in the last 12 months)" if not np.isnan(lost) and lost > 0 else ""
        return f"Most bids lost in the last 24 months went to {v}{extra}"
    v = _num(row, feature)
    if np.isnan(v):
        return None
    gap = _num(row, "usual_order_gap_days")
    if feature in ("days_since_last_order", "recency_ratio"):
        days = _num(row, "days_since_last_order")
        if np.isnan(days):
            return None
        usual = f", this account usually orders every {gap:,.0f} days" if not np.isnan(gap) else ""
        ratio = _num(row, "recency_ratio")
        if not np.isnan(ratio) and ratio <= 1.0:
            return f"Last order {days:,.0f} days ago{usual}"
        return f"No order for {days:,.0f} days{usual}"
    for what, prefix in (("Revenue", "revenue_change_"), ("Days with an order", "order_days_change_")):
        if feature.startswith(prefix):
            return _change_sentence(what, v, feature.removeprefix(prefix))
    if feature == "interactions_change_6m":
        return _change_sentence("Meetings, calls, e-mails and visits", v, "6m")
    if feature in ("categories_dropped", "categories_dropped_share") and v == 0:
        return "Still buys every product category it bought 6 to 18 months ago"
    if feature == "categories_dropped":
        return f"Stopped buying {_n(v, 'product category', 'product categories')} it bought 6 to 18 months ago"
    if feature == "categories_dropped_share":
        return f"Stopped buying {v:.0%} of the product categories it bought 6 to 18 months ago"
    if feature == "share_of_wallet":
        return f"We have {v:.0%} of this account's estimated spend"
    if feature == "complaints_12m":
        still = _num(row, "complaints_open")
        tail = f", {still:,.0f} still open" if not np.isnan(still) and still > 0 and v > 0 else ""
        return f"{_n(v, 'complaint').capitalize()} opened in the last 12 months{tail}"
    if feature == "complaints_severe_12m":
        return f"{_n(v, 'high or critical complaint').capitalize()} in the last 12 months"
    if feature == "complaints_open":
        return "No complaint open" if v == 0 else f"{_n(v, 'complaint')} still open"
    if feature == "complaint_resolution_days":
        if v == 0:
            return None  # no complaint in the last 12 months: nothing to resolve
        return f"Complaints took {v:,.0f} days on average to resolve (last 12 months)"
    if feature == "days_late_avg_12m":
        if v < 0.5:
            return "Invoices paid on time in the last 12 months"
        return f"Invoices paid {v:,.0f} days late on average in the last 12 months"
    if feature == "days_late_change_6m":
        if abs(v) < 0.5:
            return "Invoices paid as promptly in the last 6 months as in the 6 before"
        way = "later" if v > 0 else "sooner"
        return f"Invoices paid {abs(v):,.0f} days {way} in the last 6 months than in the 6 before"
    if feature == "overdue_share":
        if v < 0.005:
            return "No part of the open receivable is overdue"
        return f"{v:.0%} of the open receivable is overdue"
    if feature == "decision_makers":
        if v == 0:
            return "No decision maker on file for this account"
        return f"{_n(v, 'decision maker')} known at this account"
    if feature == "decision_maker_coverage_12m":
        known = _num(row, "decision_makers")
        if not np.isnan(known) and known == 1:
            met = "Met" if v >= 0.5 else "Did not meet"
            return f"{met} the account's decision maker in the last 12 months"
        if not np.isnan(known) and known > 1:
            return f"Met {round(v * known):,.0f} of its {known:,.0f} decision makers in the last 12 months"
        return f"Met {v:.0%} of the decision makers in the last 12 months"
    if feature == "days_since_decision_maker_contact":
        if v <= 90:
            return f"Last contact with a decision maker {v:,.0f} days ago"
        return f"No contact with a decision maker for {v:,.0f} days"
    if feature == "interactions_90d":
        return f"{_n(v, 'meeting, call, e-mail or visit', 'meetings, calls, e-mails and visits').capitalize()} in the last 90 days"
    if feature == "champion_left":
        if v < 0.5:
            return "No champion, supporter or decision maker left the customer in the last 12 months"
        return "A champion, supporter or decision maker left the customer in the last 12 months"
    if feature == "bids_lost_12m":
        return f"{_n(v, 'bid').capitalize()} lost in the last 12 months"
    if feature == "win_rate_12m":
        return f"Won {v:.0%} of the bids decided in the last 12 months"
    if feature == "bid_price_gap_pct":
        if abs(v) < 0.05:
            return "Our bids were priced level with the competitor's in the last 12 months"
        way = "dearer" if v > 0 else "cheaper"
        return f"Our bids were {abs(v):.1f}% {way} than the competitor's in the last 12 months"
    if feature == "competitor_price_gap_pct":
        if v > 0:
            return f"The cheapest competitor is {v:.1f}% cheaper than us in this account's categories"
        return f"No competitor is cheaper than us in this account's categories (the cheapest is {-v:.1f}% dearer)"
    if feature == "competitor_sightings_12m":
        return (
            f"Competitor prices seen at this account {_n(v, 'time').removeprefix('no ')} in the last 12 months"
            if v > 0
            else "No competitor price seen at this account in the last 12 months"
        )
    return None
