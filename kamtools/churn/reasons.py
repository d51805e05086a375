"""Which churn features may be shown to a KAM as an account's reasons, and on which side a value lies."""

from __future__ import annotations

import numpy as np

from kamtools.churn.catalogue import FEATURE_UNITS

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
