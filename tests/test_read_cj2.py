"""Issue 17 (FACECJ2): the grocery panel's pages read again as a KAM would, after FACECJ.

- H1564 of the random 40 households at 2017-09-30 (115 days without an order where it usually ordered every 9.5
  days): the plan read "it has probably stopped buying" from a churn figure the churn section calls a score, not a
  probability; its churn section gave no reason for the score (the 115 days of silence appeared only in the plan's
  risk).
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
from _segment_page import segment_row, segment_section_text

from kamtools.plan.objectives import objectives


def _text(shown: list[str]) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(shown))))


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
    # within its usual gap nothing says it stopped: the objective keeps it buying, and the revenue objective is not
    # reached "by winning the account back"
    within = objectives(_winback_facts(0.85, 4.0, 12.0))
    kept = within[within["objective"] == "retention"].iloc[0]
    assert kept["text"].startswith("Keep the account: get a repeat order (churn score 85/100")
    assert not within["text"].str.contains("Win back|winning the account back").any()


class _ChurnAccount:
    """One account's churn tables as the value model's fallback writes them: a score, no drivers."""

    bundle = None

    def __init__(self, days: float, usual: float):
        self._tables = {
            "churn": pd.DataFrame(
                [
                    {
                        "account_id": "H1564",
                        "churn_probability": 0.809,
                        "risk_band": "high",
                        "revenue_at_risk": 62.76,
                        "expected_value_12m": 71.55,
                        "risk_base": "forecast",
                        "method": "a churn score, not a probability: the value model's chance of no order in the next "
                        "6 months, which could not be checked against the history",
                    }
                ]
            ),
            "churn_drivers": pd.DataFrame(columns=["account_id", "rank", "direction", "sentence"]),
            "churn_features": pd.DataFrame(
                [{"account_id": "H1564", "days_since_last_order": days, "usual_order_gap_days": usual}]
            ),
            "churn_evaluation": pd.DataFrame(),
        }

    def table(self, name):
        return self._tables.get(name, pd.DataFrame())

    def portfolio_table(self, name):
        return self._tables.get(name, pd.DataFrame())


def test_a_churn_score_without_drivers_gives_the_order_gap_as_its_reason(captured):
    from kamtools.sections.churn import _rule_why

    _rule_why(_ChurnAccount(115.0, 9.5))
    page = _text(captured)
    assert "Why" in page
    assert "No order for 115 days, where it usually orders every 9.5 days." in page
    assert "buying rhythm" in page
    captured.clear()
    _rule_why(_ChurnAccount(3.0, 12.0))
    assert "Last order 3 days ago, within its usual gap of 12 days." in _text(captured)


def _segment_line(captured, scores: str, segment: str) -> str:
    row = segment_row(
        "H2317",
        recency_days=48.0,
        monetary=612.0,
        revenue_ltm=612.0,
        r_score=int(scores[0]),
        f_score=int(scores[1]),
        m_score=int(scores[2]),
        rfm_score=scores,
        rfm_segment=segment,
    )
    return re.search(rf"RFM {scores} \(.*?(?= ABC class)", segment_section_text(captured, row)).group(0)


def test_an_rfm_line_describes_the_account_s_own_scores_not_its_segment_s_one_description(captured):
    # the grocery panel's top 60 at 2017-03-31 (H2318): 'RFM 132 (at risk): order often and spend well ...' with a
    # spend score of 2 (the segment averages the order and spend scores: 3 and 2 read 3)
    line = _segment_line(captured, "132", "at risk")
    assert "order often and spend well" not in line
    assert line.startswith(
        "RFM 132 (at risk): among the least recent last orders of the portfolio, about as many orders as the typical "
        "account, less spend than most accounts (named 'at risk' from its recency and the average of its order and "
        "spend scores); last order 48 days ago"
    )
    captured.clear()
    assert _segment_line(captured, "555", "champions").startswith(
        "RFM 555 (champions): among the most recent last orders of the portfolio, among the most orders, among the "
        "highest spend; last order"
    )


def test_the_rfm_segment_meanings_follow_the_rule_that_names_them():
    # 'at risk' covers an averaged order-and-spend score of 3 or 4 (RFM 132: orders 3, spend 2), so 'order often and
    # spend well' overstated it; the meaning says what the rule takes
    from kamtools.segment import RFM_SEGMENT_MEANING, rfm_segment_name

    assert rfm_segment_name(1, 3) == "at risk"
    assert RFM_SEGMENT_MEANING["at risk"] == (
        "typical or more orders and spend (the two scores averaged), but ordered less recently than most accounts"
    )
    assert "averaged" in RFM_SEGMENT_MEANING["loyal"] and "averaged" in RFM_SEGMENT_MEANING["cannot lose"]
