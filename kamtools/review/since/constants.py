"""Thresholds, measures and follow-up statuses of the comparison, and its error."""

from __future__ import annotations

TARGET_SLIP = 0.05
"""A drop of expected target attainment (0.05 = 5 percentage points) that counts as a slipping target."""


REVISION_SHARE = 0.10
"""A forecast revision of at least this share of the previous forecast is listed in the digest."""


DIGEST_REVISIONS = 10
"""At most this many forecast revisions (the largest) are listed in the digest."""


# measure key -> (accounts.parquet column, label, kind) ; kind: money, pct (share), prob
MEASURES: dict[str, tuple[str, str, str]] = {
    "revenue": ("revenue_ltm", "Revenue, last 12 months", "money"),
    "forecast": ("forecast_next_12m", "Forecast, next 12 months", "money"),
    "attainment": ("target_attainment", "Target attainment, year to date", "pct"),
    "expected_attainment": ("target_expected_attainment", "Expected attainment of the year's target", "pct"),
    "churn": ("churn_probability", "Churn probability", "pct"),
    "revenue_at_risk": ("revenue_at_risk", "Revenue at risk", "money"),
}


TEXT_FIELDS = ("name", "owner", "tier", "quadrant", "risk_band", "target_period")


BAND_ORDER = {"low": 0, "medium": 1, "high": 2, "lapsed": 3}


ACTION_STATUSES = ("done", "resolved", "overdue", "open", "account gone")


ACTION_STATUS_TEXT = {
    "done": "done (marked done in the CRM)",
    "resolved": "resolved: the condition no longer holds",
    "overdue": "overdue",
    "open": "still open",
    "account gone": "account no longer in the portfolio",
}


class SinceError(ValueError):
    """The bundles cannot be compared (wrong order, unreadable previous bundle or task export)."""
