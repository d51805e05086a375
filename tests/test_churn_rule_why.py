"""Where the recency rule gives the churn figure, the account page says what it rests on (the order gap) and lists
the trained model's drivers apart, as warning signs (issue 17, READER17: the section listed no reason at all)."""

from __future__ import annotations

import re

import pandas as pd

from kamtools.churn.baseline import WARNING_PREFIX
from kamtools.sections.churn import _rule_why


class _Account:
    def __init__(self, drivers: pd.DataFrame):
        self._drivers = drivers

    def table(self, name):
        assert name in ("churn_drivers", "churn_features")
        return self._drivers if name == "churn_drivers" else pd.DataFrame(columns=["account_id"])


def _text(shown: list[str]) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(shown)))


def test_the_rule_s_order_gap_is_the_reason_and_the_model_s_drivers_are_warning_signs(captured):
    drivers = pd.DataFrame(
        {
            "rank": [1, 2],
            "direction": ["raises risk", "warning sign"],
            "sentence": [
                "No order for 23 days, 11.5 times its usual gap of 2 days",
                WARNING_PREFIX + "68% of the open receivable is overdue",
            ],
        }
    )
    _rule_why(_Account(drivers))
    page = _text(captured)
    assert "Why No order for 23 days, 11.5 times its usual gap of 2 days." in page
    assert "Warning signs" in page and "68% of the open receivable is overdue." in page
    assert WARNING_PREFIX not in page  # the heading says it once


def test_a_fallback_without_drivers_adds_nothing(captured):
    _rule_why(_Account(pd.DataFrame(columns=["rank", "direction", "sentence"])))
    assert captured == []


def test_the_bids_lost_in_12_months_are_not_a_second_warning_sign_beside_the_bids_lost_to_competitors():
    # the quick demo's A0009 listed "Bids lost to competitors in the last 24 months (3 bids lost in the last 12
    # months)" and then "3 bids lost in the last 12 months" again
    from kamtools.churn.drivers import presentable_drivers

    X = pd.DataFrame(
        {
            "lost_to_competitor": ["Vetro", "none", "none"],
            "bids_lost_12m": [3.0, 0.0, 0.0],
            "complaints_12m": [4.0, 0.0, 0.0],
        }
    )
    contributions = pd.DataFrame(
        {"lost_to_competitor": [0.9, -0.1, -0.1], "bids_lost_12m": [0.5, -0.1, -0.1], "complaints_12m": [0.3, 0, 0]}
    )
    reasons, _ = presentable_drivers(X, contributions)
    said = reasons.loc[reasons["row"] == 0, "sentence"].tolist()
    assert said[0] == "Bids lost to competitors in the last 24 months (3 bids lost in the last 12 months)"
    assert not any(s.startswith("3 bids lost") for s in said)
    assert any("complaint" in s for s in said)  # the next driver takes the freed place
