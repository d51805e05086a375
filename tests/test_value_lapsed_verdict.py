"""The value section on an account the rest of the page calls lapsed (demo of 2026-10-31, A0164 Western Foods
España: orders in 7 weeks of 175, none for 63 weeks; the value model's P(alive) 97% read "Its buying rhythm is
intact" beside the churn section's "88% (lapsed)" and a forecast of 0)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from _display import value_section_text

from kamtools.data.portfolio import NotAvailable

MODEL = pd.DataFrame(
    [
        {"model": "bg_nbd", "parameter": "chosen", "estimate": 1.0, "note": "BG/NBD fits the holdout better."},
        {"model": "bg_nbd", "parameter": "fit_status", "estimate": float("nan"), "note": "identified"},
    ]
)


def _page(band: str, forecast_method: str, forecast: float) -> str:
    value = pd.DataFrame(
        {
            "account_id": ["A0164"],
            "p_alive": [0.966506],
            "frequency": [6],
            "recency": [112.0],
            "T": [175.0],
            "monetary": [8466.9],
            "expected_purchases_12m": [2.2],
            "expected_avg_value": [9998.8],
            "expected_value_12m": [21144.4],
            "margin_pct": [0.28],
            "expected_margin_12m": [5906.3],
            "value_share": [0.001],
        }
    )
    churn = pd.DataFrame({"account_id": ["A0164"], "risk_band": [band], "churn_probability": [0.88]})
    tables = {"value": value, "churn": churn}
    acct = SimpleNamespace(
        bundle=SimpleNamespace(manifest={}, table=lambda n: NotAvailable(n), has=lambda n: False),
        account_id="A0164",
        info={"forecast_method": forecast_method, "forecast_next_12m": forecast},
        table=lambda n: tables.get(n, NotAvailable(n)),
        portfolio_table=lambda n: MODEL if n == "value_model" else NotAvailable(n),
    )
    with pytest.MonkeyPatch.context() as mp:
        return value_section_text(acct, mp).text


def test_a_lapsed_account_with_a_high_p_alive_is_not_called_intact():
    page = _page("lapsed", "lapsed: zero", 0.0)
    assert "intact" not in page
    assert "The value model still gives it a P(alive) of 97%" in page
    assert "63 weeks without one does not yet prove it has stopped" in page
    assert "But the churn section treats it as lapsed and the forecast counts on no return" in page
    assert "treat it as a win-back case" in page


def test_only_the_forecast_calls_it_lapsed_and_the_sentence_says_only_that():
    page = _page("high", "lapsed: survival-scaled", 3000.0)
    assert "churn section treats it as lapsed" not in page
    assert "But the forecast counts on less than its former level" in page


def test_an_active_account_keeps_its_intact_rhythm():
    page = _page("low", "mean of last 12 months", 20000.0)
    assert "Its buying rhythm is intact (P(alive) 97%)." in page
