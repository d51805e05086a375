"""The health components: what each measures, the direction that means less health, when an
account's value is a weakness and how it reads as a sentence."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from kamtools.formatting import counted

# candidate components computed from the KPI table: column -> label
# a component is a weak point only where the account sits below this percentile (worse than the typical one)
WEAK_PERCENTILE = 0.5

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
    if round(v) == 0:
        return f"no {one}"
    return counted(v, one, many)  # '1 complaint', '1,200 complaints': as every face counts


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
        return f"No order for {counted(v, 'day')}"
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
        never = row.get("dm_contact_never")
        if isinstance(never, (bool, np.bool_)) and never:  # the days then count the whole relationship
            return "No contact with a decision maker on record"
        return f"No contact with a decision maker for {counted(v, 'day')}"
    if component == "engaged_contacts_90d":
        return f"{_plural(v, 'contact').capitalize()} at the account engaged in the last 90 days"
    return None
