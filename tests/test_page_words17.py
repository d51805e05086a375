"""The last method words on a KAM's pages (issue 17, WORDS).

SWEEPREAL read "The forecast uses the kamtools model (a combination (median) of exponential smoothing, Theta and
ARIMA forecasts). Based on a model of its own monthly history (the kamtools model), lowered by 37%. ..."; a one-time
buyer's P(alive) sentence named "MBG/NBD" in the value section; and the churn backtest called the model "the better
guide" however few churn events its test held (the demo's test snapshot: 56 accounts, 12 churned), as the bid desk
did before SWEEPDEMO's MIN_SCORED.
"""

from __future__ import annotations

import pandas as pd

from kamtools.churn.scoring import MIN_CHURN_EVENTS
from kamtools.forecast.selection import ClassChoice
from kamtools.forecast.selection.class_reasons import _class_reason
from kamtools.forecast.selection.plain import PLAIN_BANNED
from kamtools.sections.churn import backtest_sentence
from kamtools.sections.forecast import method_sentence
from kamtools.sections.value import _verdict

MODEL_WORDS = "a combination (median) of exponential smoothing, Theta and ARIMA forecasts"


def test_the_kamtools_models_reason_names_the_model_once():
    c = ClassChoice(
        method="model",
        factor={"recent_mean": 0.9, "level_12m": 0.9, "model": 0.63},
        mae={"recent_mean": 656.0, "level_12m": 656.2, "model": 410.0},
        n_rows=40,
        pooled=False,
        bought_back=0.9,
    )
    reason = _class_reason("model", 1, c, 0.63, 6)
    text = method_sentence(pd.Series({"method": "kamtools model", "method_reason": reason}), MODEL_WORDS)
    assert text.startswith(
        "The forecast is based on a model of its own monthly history (the kamtools model: a combination (median) of "
        "exponential smoothing, Theta and ARIMA forecasts), lowered by 37%. In a test on past data among accounts"
    )
    assert text.count("kamtools model") == 1 and "Based on" not in text
    assert text.endswith("such accounts bought 63% of what it forecast.")
    # a reason that does not restate the basis keeps the head as it was
    other = method_sentence(pd.Series({"method": "kamtools model", "method_reason": "Its own tests chose it."}), "x")
    assert other == "The forecast uses the kamtools model (x). Its own tests chose it."


def _evaluation(n_accounts: int, n_churned: int) -> pd.DataFrame:
    """The demo's churn test where the model wins on both counts (AUC 0.71 vs 0.66, Brier 0.150 vs 0.160)."""
    return pd.DataFrame(
        {
            "metric": ["roc_auc", "brier", "n_accounts", "n_churned"],
            "model": [0.71, 0.150, float(n_accounts), float(n_churned)],
            "baseline": [0.66, 0.160, float(n_accounts), float(n_churned)],
        }
    )


def test_a_churn_model_tested_on_few_churn_events_is_not_called_the_better_guide():
    text = backtest_sentence(_evaluation(56, 12))
    assert "better guide" not in text
    assert (
        f"but the test held only 12 churn events, and the model is trained only on {MIN_CHURN_EVENTS} or more, too "
        "few to tell the two apart, so read the churn probability beside the gap since the last order." in text
    )
    few_stayed = backtest_sentence(_evaluation(60, 52))
    assert "only 8 accounts that kept buying" in few_stayed and "better guide" not in few_stayed
    assert backtest_sentence(_evaluation(200, 40)).endswith("its probabilities are the better guide.")
    # a bundle without the test's counts reads as before
    old = _evaluation(56, 12).iloc[:2]
    assert backtest_sentence(old).endswith("its probabilities are the better guide.")


def test_a_one_time_buyers_p_alive_sentence_names_no_model():
    for mixed in (True, False):
        text = _verdict(0.12, "ok", "mbg_nbd", True, 30.0, True, mixed=mixed)
        assert "MBG/NBD" not in text and "BG/NBD" not in text
        assert "an account to stop right after its first purchase" in text
        assert "puts the chance that it is still an active buyer at 12%: treat it as a win-back case." in text
        for word in PLAIN_BANNED:
            assert word.lower() not in text.lower()
