"""The forecast section's sentences on an unchecked year range use the plain words of its reasons (issue 17,
SWEEPDEMO).

On the demo at one and three months (A0007, A0037) the forecast section read "the history is too short for any
out-of-time check" under a reason that says "too short to test any forecast on past data", and the overview the
same; "out-of-time" is in :data:`~kamtools.forecast.selection.plain.PLAIN_BANNED` (the appendix explains it).
"""

from __future__ import annotations

import pandas as pd

from kamtools.forecast.selection.plain import PLAIN_BANNED
from kamtools.forecast.targets import unchecked_year_note
from kamtools.sections.forecast import UNCHECKED_YEARS


def _clean(text: str) -> None:
    for word in PLAIN_BANNED:
        assert word.lower() not in text.lower(), f"{word!r} in {text!r}"


def test_the_account_pages_year_range_note_has_no_method_jargon():
    # A0007 of the demo at one month: next 12 months 109.7k-3.18M, 2025 1.09M-1.58M, 100% chance
    years = pd.DataFrame(
        {
            "period": [2025],
            "months_remaining": [12],
            "total_lo_80": [1.09e6],
            "total_hi_80": [1.58e6],
            "p_reach_target": [1.0],
        }
    )
    summary = {"forecast_next_12m_lo_80": 109.7e3, "forecast_next_12m_hi_80": 3.18e6}
    text = unchecked_year_note(years, summary)
    assert "the history is too short to test any forecast on past data, and the year's range carries only" in text
    _clean(text)


def test_the_overviews_sentence_has_no_method_jargon():
    assert UNCHECKED_YEARS.startswith("The history is too short to test any forecast on past data, so these year")
    _clean(UNCHECKED_YEARS)


def test_the_value_sections_word_on_how_the_forecast_was_chosen_is_plain():
    """The demo at 3 and 8 months: "which the forecast stage chose for this account after one out-of-time comparison
    of the simple methods (the history is too short to backtest the kamtools model)", "... without an out-of-time
    check ...; neither has been checked out of time", on 24 months "by backtest"."""
    from types import SimpleNamespace

    from kamtools.sections.value import _outlook

    row = pd.Series({"expected_purchases_12m": 12.3, "expected_avg_value": 17.4e3, "expected_value_12m": 202.4e3})
    for tables, said in (
        (set(), "chose for this account without a test on past data (the history is too short for one)."),
        (
            {"forecast_methods"},
            "chose for this account after one test of the simple methods on past data (the history is too short to "
            "test the kamtools model on it).",
        ),
        ({"forecast_backtest", "forecast_methods"}, "chose for this account by a test on past data."),
    ):
        bundle = SimpleNamespace(has=lambda name, t=tables: name in t)
        acct = SimpleNamespace(
            bundle=bundle,
            info={"forecast_next_12m": 657.3e3, "forecast_method": "mean of last 6 months"},
            table=lambda name: pd.DataFrame(),
        )
        text = _outlook(acct, row, float("nan"))
        assert said in text
        _clean(text)
