"""What the forecast page tells a KAM who plans with it (issue 17, read as the reader):

* under a year of history, the calendar months the history never saw (a seasonal rise there, such as a
  year-end peak, cannot be in the forecast): said once by the forecast stage, shown on the account page, the
  portfolio's forecast section and the methods note; nothing with a full year;
* an 80% range whose low end lies far below the forecast says what the backtest holds behind it (how often
  accounts like this one bought that little, and how many of those had stopped ordering), from figures the
  forecast stage writes into ``forecast_summary``.
"""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from kamtools.forecast import accounts
from kamtools.history import OrderHistory


def _history(first: str, complete_months: int) -> OrderHistory:
    first_ts = pd.Timestamp(first)
    return OrderHistory(first_ts, first_ts, first_ts, complete_months, complete_months)


def test_the_months_a_short_history_never_saw_are_named_and_a_full_year_says_nothing():
    # CDNOW as of 1997-06-30: January to June 1997
    note = accounts.unseen_months_note(_history("1997-01-01", 6), pd.Timestamp("1997-06-01"))
    assert note == (
        "The history holds January to June only: a seasonal rise in July to December, such as a year-end peak, "
        "cannot be in this forecast."
    )
    # across the turn of the year; the year end seen, so no peak named
    note = accounts.unseen_months_note(_history("2025-11-01", 8), pd.Timestamp("2026-06-01"))
    assert (
        note
        == "The history holds November to June only: a seasonal rise in July to October cannot be in this forecast."
    )
    # one month missing, one month seen
    assert "a seasonal rise in December, such as" in accounts.unseen_months_note(
        _history("2025-01-01", 11), pd.Timestamp("2025-11-01")
    )
    assert accounts.unseen_months_note(_history("2026-03-01", 1), pd.Timestamp("2026-03-01")).startswith(
        "The history holds March only: a seasonal rise in April to February, such as a year-end peak,"
    )
    # a full year or more, or nothing complete: no sentence
    assert accounts.unseen_months_note(_history("2025-01-01", 12), pd.Timestamp("2025-12-01")) is None
    assert accounts.unseen_months_note(_history("2023-01-01", 40), pd.Timestamp("2026-04-01")) is None
    assert accounts.unseen_months_note(_history("2026-03-01", 0), pd.Timestamp("2026-02-01")) is None


class _Evidence:
    """40 backtest rows (one class), each forecast 100 a month for 6 months: 34 bought 100 a month, 2 bought 10
    in the first month only (stopped ordering), 2 bought 5 a month throughout (still ordering, little), 2 bought
    300 a month."""

    def __init__(self):
        actual = np.full((40, 6), 100.0)
        actual[34:36] = 0.0
        actual[34:36, 0] = 10.0
        actual[36:38] = 5.0
        actual[38:40] = 300.0
        self.klass = np.zeros(40, dtype=int)
        self.account = np.array([f"X{i}" for i in range(40)])
        self.actual = actual
        self.paths = {"level_12m": np.full((40, 6), 100.0)}
        self.horizon = 6


def _selection(methods=("level_12m", "level_12m", "level_12m", "zero")):
    return types.SimpleNamespace(
        ids=np.array(["A", "B", "C", "Z"]),
        method=np.array(methods),
        factor=np.ones(len(methods)),
        klass=np.zeros(len(methods), dtype=int),
        evidence=_Evidence(),
    )


def test_the_stage_writes_what_the_backtest_holds_behind_a_low_end_far_below_the_forecast():
    m = np.array([1000.0, 1000.0, 1000.0, 0.0])
    lo = np.array([250.0, 600.0, 0.0, 0.0])  # A at 25% of its forecast, B at 60%, C from zero, Z lapsed
    out = accounts.low_end_evidence(_selection(), m, lo)
    assert set(out) == set(accounts.LOW_END_COLUMNS)
    # A: 4 of 40 cases bought under 25% of their forecast (10/600 and 30/600); the 2 that stopped had no order
    # in their last 3 months, the 2 that kept buying a little did
    assert [out[c][0] for c in accounts.LOW_END_COLUMNS] == [6, 40, 4, 2]
    # B's low end is above half its forecast: nothing to explain; Z is lapsed
    assert all(np.isnan(out[c][1]) and np.isnan(out[c][3]) for c in accounts.LOW_END_COLUMNS)
    # C's range starts at zero: how many bought nothing (none did)
    assert [out[c][2] for c in accounts.LOW_END_COLUMNS] == [6, 40, 0, 0]
    # without a backtest, nothing
    none = accounts.low_end_evidence(types.SimpleNamespace(**{**vars(_selection()), "evidence": None}), m, lo)
    assert all(np.isnan(v).all() for v in none.values())


def _row(lo: float, months=12, cases=130, below=14, stopped=10) -> pd.Series:
    return pd.Series(
        {
            "forecast_next_12m": 4_057_084.0,
            "forecast_next_12m_lo_80": lo,
            "forecast_next_12m_hi_80": 6_599_062.0,
            "range_low_months": months,
            "range_low_cases": cases,
            "range_low_below": below,
            "range_low_stopped": stopped,
        }
    )


def test_the_sentence_reads_the_figures_the_stage_wrote():
    from kamtools.sections.forecast import low_end_sentence

    text = low_end_sentence(_row(996_435.0), "EUR")
    assert text == (
        "The low end of the 80% range, €996.4k, is 25% of the forecast: in a test on past data, accounts like this one bought "
        "less than 25% of their forecast over the 12 months after a past date in 14 of 130 cases (11%), and in "
        "10 of those 14 they had stopped ordering (no order in the last 3 of those months)."
    )
    # other figures, other words: no stopped accounts, a range from zero, a low end the backtest never reached
    assert "none of them an account that had stopped ordering" in low_end_sentence(_row(996_435.0, stopped=0))
    zero = low_end_sentence(_row(0.0, months=6, below=3, stopped=3))
    assert zero.startswith(
        "The 80% range starts at zero: in a test on past data, accounts like this one bought nothing over"
    )
    assert "the 6 months after a past date in 3 of 130 cases (2%), all of them accounts that had stopped" in zero
    assert "lower than the test on past data went: in none of its 130 cases" in low_end_sentence(
        _row(996_435.0, below=0)
    )
    # the stage wrote nothing (a low end near the forecast, a bundle written before): no sentence
    assert low_end_sentence(_row(996_435.0, cases=np.nan)) is None
    assert low_end_sentence(_row(996_435.0).drop(["range_low_cases"])) is None
    assert low_end_sentence(None) is None


class _Bundle:
    manifest = {"settings": {"currency": "EUR"}}

    def __init__(self, notes=None):
        self._notes = notes or {}

    def note(self, name):
        return self._notes.get(name)


@pytest.mark.parametrize("lo, shown", [(996_435.0, True), (2_500_000.0, False)])
def test_the_account_page_says_it_under_the_forecast(captured, lo, shown):
    from kamtools.sections import forecast as section

    row = _row(lo)
    if not shown:  # the stage writes the figures only for a low end under half the forecast
        row[list(accounts.LOW_END_COLUMNS)] = np.nan
    section._range_paragraphs(types.SimpleNamespace(bundle=_Bundle()), row)
    html = "".join(captured)
    assert ("in 14 of 130 cases (11%), and in 10 of those 14 they had stopped ordering" in html) is shown


def _years(lo: float, months: int = 12) -> pd.DataFrame:
    return pd.DataFrame(
        {"period": [2026], "months_remaining": [months], "expected_total": [705_068.0], "total_lo_80": [lo]}
    )


def test_a_year_range_from_near_zero_says_it_is_not_a_sign_of_stopping_and_what_to_plan_on():
    from kamtools.forecast.targets import year_low_end_note

    # the A0037 (40 accounts, as of 2025-10-31): 2026 from 28.6k, next 12 months 401k-1.58M
    summary = pd.Series({"forecast_next_12m_lo_80": 401_108.0, "forecast_next_12m_hi_80": 1_581_482.0})
    text = year_low_end_note(_years(28_597.0), summary, (0.0, 136_100.0))
    assert text.startswith(
        "The 80% range of 2026 reaches down to 28.6k, far below the next 12 months' range (401.1k-1.58M) although "
        "both cover nearly the same months. That low end is not a sign that this account may stop buying"
    )
    assert "the spread of this account's monthly band (about 0-136.1k a month)" in text
    assert text.endswith(
        "Plan on the expected 705.1k; the year's range is what the chance of reaching the 2026 target is read from."
    )
    # a low end near the 12 months' (or a 12-month range from zero), a year mostly booked: nothing to say
    assert year_low_end_note(_years(250_000.0), summary) is None
    assert year_low_end_note(_years(28_597.0), summary.replace(401_108.0, 0.0)) is None
    assert year_low_end_note(_years(28_597.0, months=2), summary) is None
    assert year_low_end_note(_years(28_597.0), None) is None
    # without the monthly band, the same sentence without its figures
    assert "monthly band, months moving partly together" in year_low_end_note(_years(28_597.0), summary)
