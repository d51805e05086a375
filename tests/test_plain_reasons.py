"""The forecast's reason on the account page reads in plain words (issue 17, READABLE): what the forecast rests on,
then the evidence in figures a KAM can check, without the analyst's method names.

Before, the page read e.g. "Mean of last 6 months was as good as the mean of last 12 months out of time among
accounts with one ordering month in the last 12, last order 0 to 2 months ago (horizon totals off by 456 on average
for both), scaled by 0.63 to what such accounts really bought."
"""

import pandas as pd
import pytest

from kamtools.forecast.selection import ClassChoice
from kamtools.forecast.selection.class_reasons import _class_reason, _zero_class_reason
from kamtools.forecast.selection.lapsed import _lapsed_reason, _one_time_reason
from kamtools.forecast.selection.plain import PLAIN_BANNED
from kamtools.forecast.selection.reasons import NO_CHECK_BTYD, NO_CHECK_NO_DROPOUT, NO_CHECK_WINDOW, _young_reason
from kamtools.sections.forecast import method_sentence

BANNED = (
    "out of time",
    "out-of-time",
    "horizon total",
    "backtest",
    "BTYD",
    "BG/NBD",
    "expected value",
    "scaled by",
    "as fitted",
    "MAE",
    "calibrat",
    "mean of last",
)


def _page(method: str, reason: str) -> str:
    """The sentence the account page's forecast section shows beside the chart."""
    return method_sentence(pd.Series({"method": method, "method_reason": reason}), "a combination of models")


def _class(factor: float) -> ClassChoice:
    return ClassChoice(
        method="recent_mean",
        factor={"recent_mean": factor, "level_12m": factor, "model": 1.0},
        mae={"recent_mean": 456.0, "level_12m": 456.2, "model": 610.0},
        n_rows=40,
        pooled=False,
        bought_back=0.9,
    )


def test_a_zero_class_where_most_bought_nothing_says_so_before_what_they_bought_together():
    """Online Retail at 2011-05: 268 accounts forecast zero read "similar accounts ... bought back only 79% of their
    former level", a reason to expect most of it; most of them bought nothing and a few much."""
    c = ClassChoice("zero", {}, {"zero": 613.0}, 120, False, 0.79, bought_none=0.72)
    text = _zero_class_reason(1, c, 6)
    assert "72% of similar accounts (" in text and ") bought nothing and all of them together bought 79% of" in text
    assert "so for a typical account a forecast of zero missed least" in text
    assert "only 79%" not in text
    few = _zero_class_reason(1, ClassChoice("zero", {}, {"zero": 80.0}, 40, False, 0.03, bought_none=0.3), 6)
    assert "bought back only 3% of their former level" in few


CASES = {
    "lapsed": (
        "lapsed: zero",
        _lapsed_reason(14, ClassChoice("zero", {}, {"zero": 80.0}, 40, False, 0.03)),
        ("The forecast is zero", "14 months", "3% of their former level"),
    ),
    "lapsed class": (
        "lapsed: zero",
        _zero_class_reason(1, ClassChoice("zero", {}, {"zero": 80.0}, 40, False, 0.03), 6),
        ("The forecast is zero", "3% of their former level", "6-month totals off by 80"),
    ),
    "new account": (
        "mean of last 6 months",
        _young_reason(2, "recent_mean", 0.63),
        (
            "A new account (first order 2 months ago): based on its average month over the last 6 months, lowered by 37%",
            "63%",
        ),
    ),
    "class choice with a factor": (
        "mean of last 6 months",
        _class_reason("recent_mean", 1, _class(0.63), 0.63, 6),
        (
            "Based on its average month over the last 6 months, lowered by 37%.",
            "one ordering month in the last 12",
            "missed their 6-month totals by 456 on average, as little as the average of the last 12 months",
            "the kamtools model missed by 610",
            "such accounts bought 63% of what it forecast",
        ),
    ),
    "no check, buying rhythm": (
        "BTYD expected value",
        NO_CHECK_BTYD,
        ("Based on how often and how much all accounts buy", "too short to test any forecast on past data"),
    ),
    "no check, own months": (
        "mean of all months in the data",
        NO_CHECK_WINDOW.format(months=3, s="s"),
        ("Based on this account's average month over the 3 months of the data", "too short to test"),
    ),
    "no check, no drop-out": (
        "mean of all months in the data",
        NO_CHECK_NO_DROPOUT.format(months=3),
        ("Based on this account's own average month over the 3 months of the data", "no account that has stopped"),
    ),
    "one-time buyer": (
        "BTYD expected value",
        _one_time_reason(9, False),
        ("Ordered in one month only, none in the last 9 months", "stop after the first order"),
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_the_page_sentence_has_no_method_jargon_and_gives_the_key_figure(kind):
    method, reason, figures = CASES[kind]
    text = _page(method, reason)
    for word in PLAIN_BANNED:
        assert word.lower() not in text.lower(), f"{kind}: {word!r} in {text!r}"
    for figure in figures:
        assert figure in text, f"{kind}: {figure!r} not in {text!r}"


def test_a_zero_forecast_says_so_once():
    method, reason, _ = CASES["lapsed"]
    text = _page(method, reason)
    assert text.startswith("The forecast is zero: this account is treated as lapsed; no order for 14 months")
    assert text.count("zero") == 1


def test_the_methods_appendix_keys_the_plain_words_to_the_method_names():
    from kamtools.forecast.selection.plain import glossary

    text = glossary()
    assert '"a test on past data" is this out-of-time comparison' in text
    assert "mean of last 6 months: its average month over the last 6 months" in text
    assert "BTYD expected value: how often and how much it has bought" in text
    assert '"lowered by 37%" a correction factor of 0.63' in text
