"""A win model scored on a handful of bids does not count as beating the baseline (issue 17, SWEEPDEMO).

The demo at 8 months (``make-demo-data --accounts 40 --years 2 --seed 1``, analysed as of 2025-06-30) backtested
the win model on 2 decided bids: Brier score 0.273 against 0.289 for the historical win rate, AUC 0.00 against 1.00,
and the pages read "its probabilities are the better guide to a bid's chances" while the bid desk recommended the
model's prices. A lower Brier score now counts only over at least as many scored bids as a win model needs to be
fitted (MIN_SCORED, 20); below that the baseline's P(win) is shown, no price change is recommended, and each face
says why.
"""

from __future__ import annotations

import pandas as pd

from kamtools.bids.evidence import MIN_SCORED, RULE_BASELINE, model_verdict
from kamtools.bids.reasons import reason
from kamtools.sections.bids.tables import calibration_sentence, held_sentences


def _calibration(n: int, model_brier: float = 0.273) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": ["win model", "historical win rate", "per-competitor win rate"],
            "n": [n, n, n],
            "brier": [model_brier, 0.289, 0.314],
            "log_loss": [0.742, 0.779, 0.829],
            "auc": [0.0, 1.0, 0.0],
            "calibration_in_the_large": [-0.15, -0.21, -0.12],
            "scored_from": pd.Timestamp("2025-05-11"),
            "scored_to": pd.Timestamp("2025-06-03"),
        }
    )


def test_two_scored_bids_do_not_make_the_model_better():
    assert MIN_SCORED == 20
    few = model_verdict(_calibration(2))
    assert few.n == 2 and few.too_few and not few.beats
    assert model_verdict(_calibration(20)).beats  # enough bids: the lower Brier score stands
    assert not model_verdict(_calibration(40, model_brier=0.3)).beats  # a higher one loses as before
    assert model_verdict(_calibration(2).drop(columns="n")).beats  # a table without counts reads as before


def test_the_appendix_says_two_bids_cannot_tell_them_apart():
    text = calibration_sentence(_calibration(2))
    assert text.endswith(
        "Here the win model scores a Brier score of 0.273 against 0.289 for the historical win rate and AUC 0.00 "
        "against 1.00: on 2 decided bids that difference cannot tell them apart (it takes 20), so the bid desk "
        "shows that baseline's win probabilities and recommends no price change."
    )
    assert "better guide" not in text
    assert calibration_sentence(_calibration(40)).endswith("its probabilities are the better guide to a bid's chances.")


def test_the_overview_and_each_bid_say_why_the_price_is_kept():
    (said,) = held_sentences(pd.DataFrame({"reason": ["x"]}), _calibration(2))
    assert said.startswith(
        "In a test on past bids the win model's probabilities came closer to the outcomes than the historical win "
        "rate's (Brier score 0.273 against 0.289; lower is closer), but on 2 decided bids, too few to tell them apart (it takes 20), so every P(win) below is that rate's and no price "
        "change is recommended."
    )
    row = pd.Series(
        {
            "price_rule": RULE_BASELINE,
            "our_price": 100.0,
            "recommended_price": 100.0,
            "floor_price": 90.0,
            "model_brier": 0.273,
            "baseline_brier": 0.289,
            "baseline_method": "historical win rate",
            "p_win_current": 0.4,
            "p_win_recommended": 0.4,
            "expected_margin_current": 5000.0,
            "expected_margin_recommended": 5000.0,
            "expected_margin_gain": 0.0,
        }
    )
    text = reason(row)
    assert text.startswith(
        "Keep 100.0: in a test on past bids the win model's probabilities came closer to the outcomes than the "
        "historical win rate's (Brier score 0.273 against 0.289; lower is closer) on fewer than 20 decided bids, too few to tell them apart, so kamtools shows that rate's P(win) and "
        "recommends no price change"
    )
    assert "no closer" not in text
