"""Issue 17 (READER17): a churn reason explains the figure shown, and a tie of competitors is not named as one.

When the recency rule gives the churn probability (it beat the trained model out of time), the first driver is the
order gap the rule rests on; the model's drivers follow only as warning signs the figure does not use, on every face
that reads them (the churn table's driver columns, and ``churn_drivers``, which the plan and the deck read).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn.baseline import (
    WARNING_PREFIX,
    WARNING_SIGN,
    recency_drivers,
    recency_floor,
    rescore_with_recency,
)
from kamtools.churn.sentences import driver_text, recency_rule_reason


def _training(floor_high: bool) -> pd.DataFrame:
    """Account-snapshots whose churn rises with the order gap; ``floor_high``: even a just-ordered account churns often."""
    rng = np.random.default_rng(3)
    ratio = rng.gamma(2.0, 1.0, 600)
    ratio[:150] = 0.0
    shift = 1.0 if floor_high else 3.0
    churned = rng.random(600) < 1 / (1 + np.exp(-(np.log1p(ratio) - shift)))
    return pd.DataFrame({"recency_ratio": ratio, "churned": churned})


def _churn_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "risk_rank": [1, 2, 3],
            "churn_probability": [0.4, 0.2, 1.0],
            "risk_band": ["high", "medium", "lapsed"],
            "revenue_at_risk": [40.0, 20.0, 50.0],
            "expected_value_12m": [100.0, 100.0, 50.0],
            "p_alive": [0.9, 0.9, 0.1],
            "method": ["churn model", "churn model", "lapsed: no orders in the last 6 months"],
            "driver_1": [
                "Complaints took 80 days on average to resolve (last 12 months)",
                "No order for 45 days, this account usually orders every 15 days",
                "",
            ],
            "driver_2": ["68% of the open receivable is overdue", "1 complaint still open", ""],
            "driver_3": ["", "5 bids lost in the last 12 months", ""],
        }
    )


FEATURES = pd.DataFrame(
    {
        "account_id": ["A1", "A2", "A3"],
        "recency_ratio": [0.0, 3.0, 9.0],
        "days_since_last_order": [0.0, 45.0, 270.0],
        "usual_order_gap_days": [15.0, 15.0, 30.0],
    }
)


def test_recency_reason_says_the_gap_and_its_multiple():
    assert (
        recency_rule_reason({"recency_ratio": 3.0, "days_since_last_order": 45.0, "usual_order_gap_days": 15.0})
        == "No order for 45 days, 3.0 times its usual gap of 15 days"
    )
    assert (
        recency_rule_reason({"recency_ratio": 0.5, "days_since_last_order": 1.0, "usual_order_gap_days": 2.0})
        == "Last order 1 day ago, within its usual gap of 2 days"
    )
    assert (
        recency_rule_reason({"recency_ratio": 0.0, "days_since_last_order": 0.0, "usual_order_gap_days": 1.0})
        == "Last order today, within its usual gap of 1 day"
    )
    assert recency_rule_reason({"recency_ratio": float("nan")}) is None


def test_the_main_driver_explains_the_recency_figure_and_the_model_drivers_are_warning_signs():
    out = rescore_with_recency(_churn_table(), FEATURES, _training(False), "the recency rule, because ...", 0.3, 0.1)
    by_id = out.set_index("account_id")
    assert by_id.loc["A2", "driver_1"] == "No order for 45 days, 3.0 times its usual gap of 15 days"
    assert by_id.loc["A1", "driver_1"] == "Last order today, within its usual gap of 15 days"
    # the model's drivers stay only as warning signs; its own order-gap sentence is not repeated as one
    assert by_id.loc["A1", "driver_2"] == (
        "Warning sign, not in the churn figure: Complaints took 80 days on average to resolve (last 12 months)"
    )
    assert by_id.loc["A1", "driver_3"] == "Warning sign, not in the churn figure: 68% of the open receivable is overdue"
    assert by_id.loc["A2", "driver_2"] == "Warning sign, not in the churn figure: 1 complaint still open"
    assert by_id.loc["A2", "driver_3"] == "Warning sign, not in the churn figure: 5 bids lost in the last 12 months"
    assert by_id.loc["A3", "driver_1"] == ""  # a lapsed account keeps its row as it was


def test_churn_drivers_put_the_gap_first_so_the_plan_reads_it_alone():
    training = _training(False)
    churn = rescore_with_recency(_churn_table(), FEATURES, training, "the recency rule", 0.3, 0.1)
    drivers = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A2"],
            "rank": np.array([1, 2, 1, 2], dtype=np.int64),
            "feature": ["complaint_resolution_days", "overdue_share", "days_since_last_order", "complaints_open"],
            "label": ["a", "b", "c", "d"],
            "contribution": [1.0, 0.9, 0.8, 0.5],
            "direction": "raises risk",
            "value": [80.0, 0.68, 45.0, 1.0],
            "value_text": ["80 days", "68%", "45 days", "1"],
            "sentence": [
                "Complaints took 80 days on average to resolve (last 12 months)",
                "68% of the open receivable is overdue",
                "No order for 45 days, this account usually orders every 15 days",
                "1 complaint still open",
            ],
        }
    )
    out = recency_drivers(drivers, churn, FEATURES, training)
    assert list(out.columns) == list(drivers.columns)
    a2 = out[out["account_id"] == "A2"].sort_values("rank")
    assert a2["sentence"].tolist() == [
        "No order for 45 days, 3.0 times its usual gap of 15 days",
        "Warning sign, not in the churn figure: 1 complaint still open",
    ]
    assert a2["direction"].tolist() == ["raises risk", WARNING_SIGN]
    assert a2["rank"].tolist() == [1, 2] and a2["contribution"].iloc[0] > 0
    # what the plan reads as the reasons ("raises risk"): only the order gap the figure rests on
    reasons = out[out["direction"] == "raises risk"]
    assert reasons["sentence"].tolist() == ["No order for 45 days, 3.0 times its usual gap of 15 days"]
    a1 = out[out["account_id"] == "A1"].sort_values("rank")
    assert a1["direction"].tolist() == ["lowers risk", WARNING_SIGN, WARNING_SIGN]  # ordered today: no raising gap
    assert a1["sentence"].iloc[1].startswith(WARNING_PREFIX)
    assert "A3" not in set(out["account_id"])  # lapsed: no reasons


def test_the_method_says_when_no_account_can_be_in_the_low_band():
    high_floor = _training(True)
    floor = recency_floor(high_floor)
    assert floor >= 0.10
    out = rescore_with_recency(_churn_table(), FEATURES, high_floor, "the recency rule", 0.3, 0.1)
    active = out[out["risk_band"].isin(["high", "medium", "low"])]
    assert (active["churn_probability"] >= floor - 1e-12).all() and "low" not in set(active["risk_band"])
    assert active["method"].iloc[0] == (
        f"the recency rule; under this rule an account that has just ordered has a churn probability of "
        f"{floor:.0%}, the lowest it gives, so no active account is in the low band (under 10%)"
    )
    low_floor = _training(False)
    assert recency_floor(low_floor) < 0.10
    out = rescore_with_recency(_churn_table(), FEATURES, low_floor, "the recency rule", 0.3, 0.1)
    assert (out.loc[out["risk_band"] != "lapsed", "method"] == "the recency rule").all()


def test_a_tie_of_competitors_is_not_named_as_one():
    row = {"lost_to_competitor": "Brightwater Supply", "bids_lost_12m": 2.0}
    text = driver_text("lost_to_competitor", row)
    assert text == "Bids lost to competitors in the last 24 months (2 bids lost in the last 12 months)"
    assert "Brightwater" not in text and "as often as" not in text
    assert driver_text("lost_to_competitor", {"lost_to_competitor": "none", "bids_lost_12m": 0.0}) is None


def test_a_warning_sign_another_already_says_is_not_listed_twice():
    # the quick demo's A0009: "Bids lost to competitors in the last 24 months (3 bids lost in the last 12 months)"
    # and, from the model's other list, "3 bids lost in the last 12 months" again
    training = _training(False)
    churn = rescore_with_recency(_churn_table(), FEATURES, training, "the recency rule", 0.3, 0.1)
    drivers = pd.DataFrame(
        {
            "account_id": ["A2", "A2", "A2"],
            "rank": np.array([1, 2, 1], dtype=np.int64),
            "feature": ["lost_to_competitor", "win_rate_12m", "bids_lost_12m"],
            "label": ["a", "b", "c"],
            "contribution": [0.9, 0.5, -0.2],
            "direction": ["raises risk", "raises risk", "lowers risk"],
            "value": [np.nan, 0.4, 3.0],
            "value_text": ["Vetro", "40%", "3"],
            "sentence": [
                "Bids lost to competitors in the last 24 months (3 bids lost in the last 12 months)",
                "Won 40% of the bids decided in the last 12 months",
                "3 bids lost in the last 12 months",
            ],
        }
    )
    out = recency_drivers(drivers, churn, FEATURES, training)
    signs = out[(out["account_id"] == "A2") & (out["direction"] == WARNING_SIGN)].sort_values("rank")
    assert [s.removeprefix(WARNING_PREFIX) for s in signs["sentence"]] == [
        "Bids lost to competitors in the last 24 months (3 bids lost in the last 12 months)",
        "Won 40% of the bids decided in the last 12 months",
    ]
    assert signs["rank"].tolist() == [2, 3]
