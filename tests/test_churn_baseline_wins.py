"""A churn model that loses to the recency rule out of time is not shown as if it won: the
churn table then carries the rule's probabilities, and its method says why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn import baseline_beats_model, rescore_with_recency


def _metrics(ll_model: float, ll_base: float, auc_model: float, auc_base: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"metric": ["roc_auc", "log_loss"], "model": [auc_model, ll_model], "baseline": [auc_base, ll_base]}
    )


def test_the_rule_is_shown_only_when_it_wins_on_probability_and_ranking():
    assert baseline_beats_model(_metrics(0.40, 0.30, 0.32, 0.61))
    assert not baseline_beats_model(_metrics(0.28, 0.30, 0.70, 0.61))  # the model wins
    assert not baseline_beats_model(_metrics(0.40, 0.30, 0.70, 0.61))  # mixed: the model ranks better
    assert not baseline_beats_model(_metrics(np.nan, 0.30, 0.32, 0.61))  # nothing to compare


def test_rescoring_uses_the_recency_rule_and_keeps_lapsed_accounts():
    rng = np.random.default_rng(0)
    ratio = rng.gamma(2.0, 1.0, 400)
    training = pd.DataFrame({"recency_ratio": ratio, "churned": rng.random(400) < 1 / (1 + np.exp(-(ratio - 3)))})
    table = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "risk_rank": [1, 2, 3],
            "churn_probability": [0.9, 0.1, 1.0],
            "risk_band": ["high", "medium", "lapsed"],
            "revenue_at_risk": [90.0, 10.0, 50.0],
            "expected_value_12m": [100.0, 100.0, 50.0],
            "p_alive": [0.9, 0.9, 0.1],
            "method": ["churn model", "churn model", "lapsed: no orders in the last 6 months"],
            "driver_1": ["No order for 40 days", "", ""],
        }
    )
    features = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "recency_ratio": [0.5, 6.0, 9.0]})
    out = rescore_with_recency(table, features, training, "the recency rule, because ...", 0.30, 0.10)
    by_id = out.set_index("account_id")
    assert by_id.loc["A2", "churn_probability"] > by_id.loc["A1", "churn_probability"]  # long silence: riskier
    assert (by_id.loc[["A1", "A2"], "method"] == "the recency rule, because ...").all()
    assert by_id.loc["A3", "method"].startswith("lapsed") and by_id.loc["A3", "churn_probability"] == 1.0
    assert np.allclose(out["revenue_at_risk"], out["churn_probability"] * out["expected_value_12m"])
    assert out["risk_rank"].tolist() == [1, 2, 3] and out["revenue_at_risk"].is_monotonic_decreasing
    # the reason explains the figure shown: the order gap the rule rests on (CHURNFIX17, issue 17)
    assert by_id.loc["A1", "driver_1"] == "Last order within its usual gap"
    assert by_id.loc["A2", "driver_1"] == "No order for 6.0 times its usual gap"
