"""Where the churn stage could only give a score (its fallback unchecked on the history), every face says
"score" and none says "probability" (re-audit of issue 17: CDNOW with one month of history showed
"Churn score (not a probability)" in the churn section beside "57% (high)" on page one and "bring churn
probability from 57% below 30%" in the plan). A probability bundle reads as before."""

from __future__ import annotations

from html import escape as esc

import pandas as pd

from kamtools import plan as P
from kamtools.churn.bands import churn_is_score
from kamtools.sections.summary import summary_cards

AS_OF = pd.Timestamp("2026-06-30")
SCORE = "a churn score, not a probability: the value model's chance of no order in the next 6 months"
PROBABILITY = "the value model's probability of no order in the next 6 months, checked on the history"


def _churn(method: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "account_id": "A1",
                "risk_rank": 1,
                "churn_probability": 0.57,
                "risk_band": "high",
                "revenue_at_risk": 34.0,
                "expected_value_12m": 60.0,
                "p_alive": 0.5,
                "method": method,
            }
        ]
    )


class _Account:
    def __init__(self, method: str):
        self.account_id = "A1"
        self._churn = _churn(method)
        self.bundle = None

    def table(self, name):
        return self._churn

    def portfolio_table(self, name):
        return self._churn if name == "churn" else pd.DataFrame()


def test_the_flag_is_read_from_the_churn_method():
    assert churn_is_score(_churn(SCORE)) and not churn_is_score(_churn(PROBABILITY))
    assert not churn_is_score(pd.DataFrame()) and not churn_is_score(None)


def test_page_one_card_says_score_on_a_score_bundle_and_percent_on_a_probability_bundle():
    info = {"churn_probability": 0.57, "risk_band": "high", "revenue_at_risk": 34.0}
    cards = {label: text for label, text, _ in summary_cards(info, None, churn_is_score(_churn(SCORE)))}
    assert cards["Churn score (not a probability)"] == "score 57/100 (high)"
    assert "Revenue at risk (score-weighted)" in cards and "Churn risk" not in cards
    cards = {label: text for label, text, _ in summary_cards(info, None, churn_is_score(_churn(PROBABILITY)))}
    assert cards["Churn risk"] == "57% (high)" and "Revenue at risk" in cards


def test_the_churn_paragraph_of_a_score_never_calls_it_a_probability(captured):
    from kamtools.sections import churn as section

    section.account_section(_Account(SCORE))
    html = "".join(captured)
    assert "The churn score (a ranking, not a probability) for this account is 57/100." in html
    assert "It is in the high band (churn score 30/100 or more)." in html
    assert esc("score x expected 12-month revenue: a figure to rank accounts by, not an expected loss") in html
    assert "churn probability" not in html.replace(esc(SCORE), "").lower()
    assert "57%" not in html


def test_the_churn_paragraph_of_a_probability_is_unchanged(captured):
    from kamtools.sections import churn as section

    section.account_section(_Account(PROBABILITY))
    html = "".join(captured)
    assert "It is in the high band (churn probability 30% or more)." in html
    assert "Revenue at risk = probability x expected 12-month revenue = 34." in html


def _plans(method: str):
    kpis = pd.DataFrame(
        [
            {
                "account_id": "A1",
                "name": "Acme",
                "owner": "Kim",
                "revenue_prior_ltm": 0.0,
                "decision_makers": 0.0,
                "revenue_ltm": 80_000.0,
                "days_since_last_order": 30.0,
            }
        ]
    )
    churn = _churn(method).assign(revenue_at_risk=36_000.0)
    return P.plans({"kpis": kpis, "churn": churn}, AS_OF)


def test_the_plan_of_a_score_bundle_says_churn_score():
    built = _plans(SCORE)
    ret = built.objectives[built.objectives["objective"] == "retention"].iloc[0]
    assert ret["text"].startswith("Keep the account: bring churn score from 57/100 below 30/100")
    assert ret["basis"] == "churn score 57/100 (threshold 30/100)"
    risks = " ".join(built.risks.astype(str).to_numpy().ravel())
    assert "Churn score 57/100" in risks
    texts = " ".join(str(v) for t in (built.objectives, built.risks, built.actions) for v in t.to_numpy().ravel())
    assert "churn probability" not in texts.lower() and "57%" not in texts


def test_the_plan_of_a_probability_bundle_is_unchanged():
    built = _plans(PROBABILITY)
    ret = built.objectives[built.objectives["objective"] == "retention"].iloc[0]
    assert ret["text"].startswith("Keep the account: bring churn probability from 57% below 30%")
    assert ret["basis"] == "churn probability 57% (threshold 30%)"
    assert "Churn probability 57%" in " ".join(built.risks.astype(str).to_numpy().ravel())
