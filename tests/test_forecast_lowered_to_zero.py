"""A forecast corrected to zero says "lowered to zero", not "lowered by 100%" (issue 17, SWEEPDEMO).

On the 2-year demo with one order kept per account (one-time buyers only, as of 2026-10-31) no account bought again
after a past date, so the correction factor of the average of the last 6 months was 0, and A0040's page read
"Based on its average month over the last 6 months, lowered by 100%" above a forecast of 0.
"""

from __future__ import annotations

from kamtools.forecast.selection.plain import PLAIN_BANNED, adjusted


def test_a_factor_of_zero_reads_lowered_to_zero():
    assert adjusted(0.0) == ", lowered to zero"
    assert adjusted(0.003) == ", lowered by over 99%"  # not zero, and not "100%" either
    assert adjusted(0.63) == ", lowered by 37%" and adjusted(1.06) == ", raised by 6%"  # as before


def test_the_class_reason_of_a_zero_correction_reads_as_a_zero():
    import numpy as np

    from kamtools.forecast.selection.choice import ClassChoice
    from kamtools.forecast.selection.class_reasons import _class_reason

    choice = ClassChoice(
        method="recent_mean",
        factor={"recent_mean": 0.0, "level_12m": 0.0},
        mae={"recent_mean": 0.0, "level_12m": 0.0, "model": np.nan},
        n_rows=25,
        pooled=True,
        bought_back=0.0,
    )
    text = _class_reason("recent_mean", 0, choice, 0.0, 12)
    assert text.startswith("Based on its average month over the last 6 months, lowered to zero. ")
    assert "by 100%" not in text
    for word in PLAIN_BANNED:
        assert word.lower() not in text.lower()
