"""The churn features' catalogue: label, unit and source of each feature, and a value in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.display import money
from kamtools.formatting import counted

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
        return counted(v, "day")
    if unit == "days_change":
        return ("+" if round(v) > 0 else "") + counted(v, "day")
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
