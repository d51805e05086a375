"""Issue 17 (FACECJ2): the grocery panel's pages read again as a KAM would, after FACECJ.

- H1564 of the random 40 households at 2017-09-30 (115 days without an order where it usually ordered every 9.5
  days): the plan read "it has probably stopped buying" from a churn figure the churn section calls a score, not a
  probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.plan.objectives import objectives


def _winback_facts(score: float, days: float, usual: float, is_score: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["H1564"],
            "revenue_ltm": [200.16],
            "forecast_12m": [77.54],
            "churn_probability": [score],
            "churn_is_score": [is_score],
            "revenue_at_risk": [62.76],
            "churn_risk_band": ["high"],
            "days_since_last_order": [days],
            "usual_order_gap_days": [usual],
        }
    )


def _retention(facts: pd.DataFrame) -> pd.Series:
    obj = objectives(facts)
    return obj[obj["objective"] == "retention"].iloc[0]


def test_a_win_back_from_a_churn_score_states_the_silence_not_a_probable_stop():
    row = _retention(_winback_facts(0.809, 115.0, 9.5))
    assert row["text"] == (
        "Win back the account: no order for 115 days, where it usually orders every 9.5 days (its churn score "
        "81/100 ranks it among the accounts least likely to order again; a score, not a probability); a new order "
        "would bring back part of the 200 of the last 12 months"
    )
    assert "probably" not in row["text"] and "likely loss" not in row["basis"]
    assert row["basis"].startswith("no order for 115 days, where it usually orders every 9.5 days; churn score 81/100")
    # a churn probability (the trained model, checked out of time) still reads as one
    prob = _retention(_winback_facts(0.809, 115.0, 9.5, is_score=0.0))
    assert prob["text"].startswith("Win back the account: it has probably stopped buying (churn probability 81%")
    # without the usual gap, the silence alone; within it, the page says so
    assert _retention(_winback_facts(0.85, 40.0, np.nan))["text"].startswith(
        "Win back the account: no order for 40 days (its churn score 85/100 ranks"
    )
    assert _retention(_winback_facts(0.85, 4.0, 12.0))["text"].startswith(
        "Win back the account: last order 4 days ago, within its usual gap of 12 days (its churn score"
    )
