"""Churn drivers as sentences in the customer's terms, with the number behind them: :func:`driver_text`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kamtools.churn.reasons import PRESENTABLE_FEATURES, _num
from kamtools.formatting import counted


def _n(v: float, one: str, many: str | None = None) -> str:
    """'1 complaint', '3 complaints', 'no complaint'."""
    many = many or one + "s"
    if round(v) == 0:
        return f"no {one}"
    return counted(v, one, many)


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
        return _lost_to_sentence(row)
    v = _num(row, feature)
    if np.isnan(v):
        return None
    if feature in ("days_since_last_order", "recency_ratio"):
        return _recency_sentence(row)
    for what, prefix in (("Revenue", "revenue_change_"), ("Days with an order", "order_days_change_")):
        if feature.startswith(prefix):
            return _change_sentence(what, v, feature.removeprefix(prefix))
    write = _WRITERS.get(feature)
    return write(feature, v, row) if write is not None else None


def _lost_to_sentence(row: object) -> str | None:
    v = row.get("lost_to_competitor")  # type: ignore[union-attr]
    if not isinstance(v, str) or v in ("", "none", "unknown", "nan"):
        return None
    lost = _num(row, "bids_lost_12m")
    extra = f" ({_n(lost, 'bid')} lost in the last 12 months)" if not np.isnan(lost) and lost > 0 else ""
    # no name: on a tie the feature keeps the alphabetically first competitor, so the name alone would single out
    # one of several (issue 17); who won the bids, with counts, is in the competitor tables
    return f"Bids lost to competitors in the last 24 months{extra}"


def _recency_sentence(row: object) -> str | None:
    days = _num(row, "days_since_last_order")
    if np.isnan(days):
        return None
    gap = _num(row, "usual_order_gap_days")
    usual = f", this account usually orders every {gap_days(gap)}" if not np.isnan(gap) else ""
    ratio = _num(row, "recency_ratio")
    if not np.isnan(ratio) and ratio <= 1.0:
        return f"Last order {_days(days)} ago{usual}"
    return f"No order for {_days(days)}{usual}"


def _days(v: float) -> str:
    return counted(v, "day")


def gap_days(v: float) -> str:
    """A usual gap between orders in days as a KAM reads it: '9.5 days', '1 day', '42 days' (one decimal under 10,
    where rounding would change the gap by a fifth)."""
    return f"{v:.1f} days" if v < 10 and round(v, 1) != round(v) else counted(round(v), "day")


def silence_sentence(days: float, usual: float) -> str | None:
    """The account's silence against its own rhythm: 'No order for 115 days, where it usually orders every 9.5
    days', 'Last order 4 days ago, within its usual gap of 12 days', 'No order for 40 days' (usual gap unknown);
    None when the days since the last order are unknown."""
    if days is None or np.isnan(days):
        return None
    if usual is None or np.isnan(usual):
        return f"No order for {counted(days, 'day')}"
    if days > usual:
        return f"No order for {counted(days, 'day')}, where it usually orders every {gap_days(usual)}"
    when = "today" if round(days) == 0 else f"{counted(days, 'day')} ago"
    return f"Last order {when}, within its usual gap of {gap_days(usual)}"


def recency_rule_reason(row: object) -> str | None:
    """The reason behind a churn probability the recency rule gave: the order gap it rests on, in numbers.

    ``"No order for 45 days, 3.0 times its usual gap of 15 days"`` (the rule's risk grows with that
    multiple) or ``"Last order 2 days ago, within its usual gap of 3 days"``. None when the ratio is unknown.
    """
    ratio = _num(row, "recency_ratio")
    if np.isnan(ratio):
        return None
    days, gap = _num(row, "days_since_last_order"), _num(row, "usual_order_gap_days")
    usual = f"its usual gap of {gap_days(gap)}" if not np.isnan(gap) else "its usual gap"
    if ratio > 1.0:
        silent = f"No order for {_days(days)}, " if not np.isnan(days) else "No order for "
        return f"{silent}{ratio:,.1f} times {usual}"
    if np.isnan(days):
        return f"Last order within {usual}"
    when = "today" if round(days) == 0 else f"{_days(days)} ago"
    return f"Last order {when}, within {usual}"


def _buying_sentence(feature: str, v: float, row: object) -> str | None:
    if feature in ("categories_dropped", "categories_dropped_share") and v == 0:
        return "Still buys every product category it bought 6 to 18 months ago"
    if feature == "categories_dropped":
        return f"Stopped buying {_n(v, 'product category', 'product categories')} it bought 6 to 18 months ago"
    if feature == "categories_dropped_share":
        return f"Stopped buying {v:.0%} of the product categories it bought 6 to 18 months ago"
    return f"We have {v:.0%} of this account's estimated spend"  # share_of_wallet


def _complaint_sentence(feature: str, v: float, row: object) -> str | None:
    if feature == "complaints_12m":
        still = _num(row, "complaints_open")
        tail = f", {still:,.0f} still open" if not np.isnan(still) and still > 0 and v > 0 else ""
        return f"{_n(v, 'complaint').capitalize()} opened in the last 12 months{tail}"
    if feature == "complaints_severe_12m":
        return f"{_n(v, 'high or critical complaint').capitalize()} in the last 12 months"
    if feature == "complaints_open":
        return "No complaint open" if v == 0 else f"{_n(v, 'complaint')} still open"
    if v == 0:  # complaint_resolution_days: no complaint in the last 12 months, nothing to resolve
        return None
    return f"Complaints took {_days(v)} on average to resolve (last 12 months)"


def _invoice_sentence(feature: str, v: float, row: object) -> str | None:
    if feature == "days_late_avg_12m":
        if v < 0.5:
            return "Invoices paid on time in the last 12 months"
        return f"Invoices paid {_days(v)} late on average in the last 12 months"
    if feature == "days_late_change_6m":
        if abs(v) < 0.5:
            return "Invoices paid as promptly in the last 6 months as in the 6 before"
        way = "later" if v > 0 else "sooner"
        return f"Invoices paid {_days(abs(v))} {way} in the last 6 months than in the 6 before"
    if v < 0.005:  # overdue_share
        return "No part of the open receivable is overdue"
    return f"{v:.0%} of the open receivable is overdue"


def _contact_sentence(feature: str, v: float, row: object) -> str | None:
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
        if abs(v - _num(row, "tenure_days")) < 0.5:  # never met one: the count runs from the first day
            return "No contact with a decision maker on record"
        if v <= 90:
            return f"Last contact with a decision maker {_days(v)} ago"
        return f"No contact with a decision maker for {_days(v)}"
    if feature == "interactions_90d":
        return f"{_n(v, 'meeting, call, e-mail or visit', 'meetings, calls, e-mails and visits').capitalize()} in the last 90 days"
    if feature == "interactions_change_6m":
        return _change_sentence("Meetings, calls, e-mails and visits", v, "6m")
    if v < 0.5:  # champion_left
        return "No champion, supporter or decision maker left the customer in the last 12 months"
    return "A champion, supporter or decision maker left the customer in the last 12 months"


def _competition_sentence(feature: str, v: float, row: object) -> str | None:
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
    return (  # competitor_sightings_12m
        f"Competitor prices seen at this account {_n(v, 'time').removeprefix('no ')} in the last 12 months"
        if v > 0
        else "No competitor price seen at this account in the last 12 months"
    )


# feature -> the writer of its sentence, by the kind of fact it tells
_WRITERS: dict[str, Callable[[str, float, object], str | None]] = {
    **dict.fromkeys(("categories_dropped", "categories_dropped_share", "share_of_wallet"), _buying_sentence),
    **dict.fromkeys(
        ("complaints_12m", "complaints_severe_12m", "complaints_open", "complaint_resolution_days"),
        _complaint_sentence,
    ),
    **dict.fromkeys(("days_late_avg_12m", "days_late_change_6m", "overdue_share"), _invoice_sentence),
    **dict.fromkeys(
        (
            "decision_makers",
            "decision_maker_coverage_12m",
            "days_since_decision_maker_contact",
            "interactions_90d",
            "interactions_change_6m",
            "champion_left",
        ),
        _contact_sentence,
    ),
    **dict.fromkeys(
        ("bids_lost_12m", "win_rate_12m", "bid_price_gap_pct", "competitor_price_gap_pct", "competitor_sightings_12m"),
        _competition_sentence,
    ),
}
