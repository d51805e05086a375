"""Issue 17 (RISK17): revenue at risk is the churn probability x the account's 12-month forecast.

The reports tell the KAM to plan with the forecast, so revenue at risk multiplies the forecast too and can never
exceed it; the value model's expected 12-month value is used only for an account without a forecast (or when
:mod:`kamtools.churn` is called on a Portfolio alone), and every sentence that defines the figure says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn.bands import risk_base_phrase, risk_base_words
from kamtools.churn.baseline import rescore_with_recency
from kamtools.churn.scoring import risk_base
from kamtools.sections.churn import revenue_at_risk_sentence
from kamtools.stages import declarations
from kamtools.stages.runner import dependencies, ordered, stage

IDS = pd.Series(["A1", "A2", "A3"], dtype="str")
EV = np.array([579_900.0, 20_000.0, 5_000.0])  # the value model's expected 12-month value


def test_the_forecast_is_the_base_where_given_and_the_value_model_elsewhere():
    forecast = pd.DataFrame({"account_id": ["A2", "A1"], "forecast_next_12m": [15_000.0, 172_700.0]})
    amount, source, note = risk_base(IDS, EV, forecast)
    assert amount.tolist() == [172_700.0, 15_000.0, 5_000.0]
    assert source.tolist() == ["forecast", "forecast", "value model"]
    assert note == (
        "Revenue at risk is the churn probability x the account's 12-month forecast; 1 account without a forecast "
        "uses the value model's expected 12-month value."
    )


def test_every_account_with_a_forecast_reads_the_forecast_only():
    forecast = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "forecast_next_12m": [172_700.0, 0.0, 10.0]})
    amount, source, note = risk_base(IDS, EV, forecast)
    assert amount.tolist() == [172_700.0, 0.0, 10.0] and set(source) == {"forecast"}
    assert note == "Revenue at risk is the churn probability x the account's 12-month forecast."


def test_without_a_forecast_the_value_model_is_used_and_the_note_says_so():
    amount, source, note = risk_base(IDS, EV, None)
    assert amount.tolist() == EV.tolist() and set(source) == {"value model"}
    assert note == (
        "Revenue at risk is the churn probability x the value model's expected 12-month value "
        "(no 12-month forecast was given)."
    )
    _, source, note = risk_base(IDS, EV, None, ev_source=None)  # no value model either: the run rate
    assert set(source) == {"last 12 months' revenue"}
    assert "x the last 12 months' revenue as a run rate (no 12-month forecast was given)" in note


def _churn() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "risk_rank": [1, 2, 3],
            "churn_probability": [0.3, 0.2, 1.0],
            "risk_band": ["high", "medium", "lapsed"],
            "revenue_at_risk": [0.3 * 172_700.0, 0.2 * 15_000.0, 5_000.0],
            "expected_value_12m": EV,
            "risk_base_12m": [172_700.0, 15_000.0, 5_000.0],
            "risk_base": ["forecast", "forecast", "value model"],
            "p_alive": [0.9, 0.9, 0.1],
            "method": ["churn model", "churn model", "lapsed: no orders in the last 6 months"],
        }
    )


def test_the_recency_rule_rescores_on_the_forecast_too():
    rng = np.random.default_rng(3)
    ratio = rng.gamma(2.0, 1.0, 600)
    training = pd.DataFrame({"recency_ratio": ratio, "churned": rng.random(600) < ratio / (ratio + 2)})
    feats = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "recency_ratio": [0.5, 3.0, 9.0],
            "days_since_last_order": [10.0, 45.0, 270.0],
            "usual_order_gap_days": [20.0, 15.0, 30.0],
        }
    )
    out = rescore_with_recency(_churn(), feats, training, "the recency rule", 0.3, 0.1).set_index("account_id")
    for a in ("A1", "A2"):
        row = out.loc[a]
        assert row["revenue_at_risk"] == row["churn_probability"] * row["risk_base_12m"]
        assert row["revenue_at_risk"] <= row["risk_base_12m"] < row["expected_value_12m"]
    assert out.loc["A3", "revenue_at_risk"] == 5_000.0  # a lapsed account keeps its row


def test_the_portfolio_sentence_names_the_forecast_and_the_accounts_without_one():
    churn = _churn()
    text = revenue_at_risk_sentence(churn, "EUR")
    assert text.startswith(
        "Revenue at risk is the churn probability x the 12-month forecast (the value model's expected 12-month "
        "value for the 1 account without a forecast), added up over every account that has a probability"
    )
    assert "expected 12-month value, added up" not in revenue_at_risk_sentence(churn.assign(risk_base="forecast"))
    assert risk_base_phrase(churn.assign(risk_base="forecast")) == "the 12-month forecast"
    # a churn table written before the basis was recorded used the value model
    assert risk_base_phrase(churn.drop(columns=["risk_base"])) == "the value model's expected 12-month value"
    assert risk_base_words("forecast") == "the 12-month forecast"
    assert risk_base_words(None) == "the value model's expected 12-month value"


def test_the_churn_stage_reads_the_forecast_and_runs_after_it():
    churn = stage("churn")
    assert churn.reads["forecast_summary"] == ("account_id", "forecast_next_12m")
    assert "forecast" in dependencies(churn)
    names = [s.name for s in ordered()]
    assert names.index("forecast") < names.index("churn")
    cols = next(t for t in churn.writes if t.name == "churn").column_names
    assert {"risk_base_12m", "risk_base"} <= set(cols)
    assert declarations.STAGES  # the declarations load


class _Lapsed:
    """A lapsed account that bought 22.4k in the last 12 months."""

    bundle = None

    def table(self, name):
        assert name == "churn_features"
        return pd.DataFrame({"account_id": ["A3"], "revenue_12m": [22_436.23]})


def _lapsed_row(forecast: float) -> pd.Series:
    return pd.Series(
        {
            "account_id": "A3",
            "churn_probability": 0.96,
            "risk_band": "lapsed",
            "revenue_at_risk": 0.96 * forecast,
            "risk_base_12m": forecast,
            "risk_base": "forecast",
            "method": "lapsed: no orders in the last 6 months; the probability of no order is 96%",
        }
    )


def test_a_lapsed_account_the_forecast_writes_off_says_why_its_risk_reads_zero(captured):
    from kamtools.sections import churn as section

    section._lapsed(_Lapsed(), _lapsed_row(0.00003))
    text = "".join(captured)
    assert "It bought 22.4k in the last 12 months." in text
    assert (
        "Revenue at risk = probability x the 12-month forecast = 0: the forecast already expects next to nothing "
        "from it, so the plan does not count on what it bought; winning it back would add to the plan." in text
    )
    captured.clear()
    section._lapsed(_Lapsed(), _lapsed_row(10_000.0))
    text = "".join(captured)
    assert "Revenue at risk = probability x the 12-month forecast = 9.6k." in text and "next to nothing" not in text


def test_the_card_beside_revenue_at_risk_shows_the_figure_it_was_taken_of():
    """Demo of 2026-10-31, A0050: "Revenue at risk 686.0k" (18% x the forecast's 3.76M) sat beside a card reading
    "Value model's expected revenue, next 12 months 2.47M", of which 18% is 445k."""
    from kamtools.sections.churn import _base_card

    row = pd.Series({"expected_value_12m": 2_470_000.0, "risk_base_12m": 3_761_328.7, "risk_base": "forecast"})
    assert _base_card(row, "EUR") == ("Forecast revenue, next 12 months", "€3.76M")
    no_forecast = row.copy()
    no_forecast["risk_base"], no_forecast["risk_base_12m"] = "value model", 2_470_000.0
    assert _base_card(no_forecast, "EUR") == ("Value model's expected revenue, next 12 months", "€2.47M")
    before_the_column = pd.Series({"expected_value_12m": 2_470_000.0})
    assert _base_card(before_the_column, "EUR")[0] == "Value model's expected revenue, next 12 months"
