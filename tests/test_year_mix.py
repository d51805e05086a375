"""A year of history the backtest could not test: level forecasts mixed with the last 12 months (issue 17).

Online Retail's top 100 at 2011-11-30 (12 months, ending after the autumn): the kamtools model and the mean of the
last 6 months carried the autumn's level into the whole year ahead (C14911: 125.6k in its year, 310.4k forecast).
Such accounts are now forecast half by their method and half by the mean of their last 12 months, and say so.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from kamtools.forecast.selection.year_mix import MIX_WEIGHT, mix_ratio, untested_year, year_level, year_mixed


def _history(months: int, young_from: int | None = None) -> np.ndarray:
    """Three accounts x ``months``: a spring of 100 a month and an autumn of 200 in the last 3 months; the third
    account's months before ``young_from`` are before its first order (NaN)."""
    row = np.r_[np.full(months - 3, 100.0), np.full(3, 200.0)]
    y = np.vstack([row, row, row])
    if young_from is not None:
        y[2, :young_from] = np.nan
    return y


def test_only_a_backtest_whose_origins_all_hold_under_a_year_leaves_the_year_untested():
    assert untested_year(None) and untested_year(np.array([], dtype=int))
    assert untested_year(np.array([5, 6]))  # origins after 6 and 7 months (13 months of history, 6 ahead)
    assert not untested_year(np.array([6, 11]))  # an origin with 12 months: the 12-month mean was compared


def test_which_accounts_are_mixed():
    y = _history(13, young_from=6)  # the third has 7 months of its own
    method = np.array(["model", "btyd", "model"])
    mean = np.full((3, 12), 180.0)  # above the year's 125 a month
    assert year_mixed(y, method, mean, np.array([6]), year_level(y)).tolist() == [True, False, False]
    assert year_mixed(y, np.array(["recent_mean"] * 3), mean, None, year_level(y)).tolist() == [True, True, False]
    assert not year_mixed(y, method, mean, np.array([12]), year_level(y)).any()  # the backtest could test a year
    assert not year_mixed(
        _history(11), method, mean, None, year_level(_history(11))
    ).any()  # no account has a year of its own
    zero_month = mean.copy()
    zero_month[0, 4] = 0.0  # a month forecast nothing: no multiple can scale its range
    assert not year_mixed(y, method, zero_month, None, year_level(y))[0]
    # a forecast below its year is left alone: the latest months may be an account fading
    assert not year_mixed(y, method, np.full((3, 12), 110.0), None, year_level(y)).any()


def test_the_year_level_leaves_out_an_account_s_first_month_inside_the_year():
    y = np.array(
        [[np.nan, 900.0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100], np.r_[100.0, np.full(12, 50)]]
    )
    # the first row's first month (900, a start like CDNOW's customers') is not its level; spikes are capped too
    assert year_level(y)[0] == pytest.approx(100.0)
    assert year_level(y)[1] == pytest.approx(50.0)  # first month outside the last 12: the 12 months' mean


def test_the_mix_is_half_the_forecast_and_half_the_year_and_scales_the_range_with_it():
    y = _history(13)
    level = (9 * 100 + 3 * 200) / 12  # the mean of the last 12 months, 125 a month
    assert year_level(y)[0] == pytest.approx(level)
    mean = np.full((3, 12), 200.0)  # the autumn's level carried through the year
    mixed = np.array([True, False, True])
    ratio = mix_ratio(mean, mixed, year_level(y))
    assert (mean * ratio)[0] == pytest.approx(np.full(12, (1 - MIX_WEIGHT) * 200 + MIX_WEIGHT * level))
    assert (mean * ratio)[1] == pytest.approx(mean[1])  # not mixed: unchanged
    hi = mean * 2.0
    assert ((hi * ratio) / (mean * ratio))[0] == pytest.approx(np.full(12, 2.0))  # the range keeps its width


def _year_end_portfolio():
    """The 2-year demo of 30 accounts cut to its last 12 months, every order of the last 3 doubled (a season's peak
    at the end of the only year in the data)."""
    from test_short_history import months_of_history

    from kamtools.data.portfolio import Portfolio

    p = months_of_history(12)
    o = p.orders.copy()
    late = o["order_date"] >= pd.Timestamp("2026-08-01")
    for col in ("quantity", "net_revenue", "cost"):
        if col in o.columns:
            o.loc[late, col] = o.loc[late, col] * 2
    return Portfolio({**p.tables, "orders": o}, p.as_of)


@pytest.fixture(scope="module")
def year_end_bundles(tmp_path_factory):
    """(the bundle as shipped, the same analysis with the mix switched off)."""
    from kamtools.bundle import analyze
    from kamtools.forecast.selection import assembly

    p = _year_end_portfolio()
    shipped = analyze(p, tmp_path_factory.mktemp("yearmix") / "bundle", stages=["value", "forecast"], progress=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            assembly,
            "year_mixed",
            lambda y, method, mean, origins, level, below=False: np.zeros(len(method), dtype=bool),
        )
        off = analyze(
            p, tmp_path_factory.mktemp("yearmix-off") / "bundle", stages=["value", "forecast"], progress=False
        )
    return shipped, off


def test_a_year_ending_at_a_peak_is_forecast_half_by_its_last_12_months_and_the_reason_says_so(year_end_bundles):
    b, off = year_end_bundles
    s = b.table("forecast_summary").set_index("account_id")
    before = off.table("forecast_summary").set_index("account_id")["forecast_next_12m"].reindex(s.index)
    mixed = s["forecast_method_reason"].str.contains("Mixed half and half with the mean of its last 12 months")
    assert mixed.sum() >= 5, "the demo's steady accounts are forecast by level methods and have a year of their own"
    assert set(s.loc[mixed, "forecast_method"]) <= {"kamtools model", "mean of last 6 months"}
    assert (
        "with 12 months of history the test on past data could not check a forecast over a whole year"
        in (s.loc[mixed, "forecast_method_reason"].iloc[0])
    )
    # each mixed account: half its forecast without the mix, half 12 x the mean month of its year (spikes capped,
    # as every method reads them); every other account exactly as without the mix
    hist = b.table("forecast_history").pivot_table(index="account_id", columns="ds", values="y", aggfunc="sum")
    ids = s.index[mixed]
    level = pd.Series(year_level(hist.reindex(ids).to_numpy(dtype=float)), index=ids)
    want = (1 - MIX_WEIGHT) * before[ids] + MIX_WEIGHT * 12 * level
    assert s.loc[ids, "forecast_next_12m"].to_numpy() == pytest.approx(want.to_numpy(), rel=1e-6)
    assert s.loc[~mixed, "forecast_next_12m"].to_numpy() == pytest.approx(before[~mixed].to_numpy(), rel=1e-9)
    # the peak is not carried through the year: the mixed accounts' total falls
    assert s.loc[ids, "forecast_next_12m"].sum() < before[ids].sum()
    # the portfolio's methods note counts them
    note = b.note("forecast_methods")
    assert f"{int(mixed.sum()):,} accounts forecast by the kamtools model or the mean of the last 6 months" in note
    assert "are forecast half by that and half by that mean" in note


def test_the_account_deck_says_the_forecast_is_mixed_on_its_forecast_slide(year_end_bundles):
    from pptx import Presentation

    from kamtools.deck.build import account_deck
    from kamtools.deck.source import BundleRows
    from kamtools.deck.template import default_template, read_template

    b, _ = year_end_bundles
    rows, template = BundleRows(b), read_template(default_template())
    s = b.table("forecast_summary").set_index("account_id")
    mixed = s.index[s["forecast_method_reason"].str.contains("Mixed half and half", regex=False)]
    plain = s.index[~s["forecast_method_reason"].str.contains("Mixed half and half", regex=False)]
    for account, said in ((mixed[0], True), (plain[0], False)):
        prs = Presentation(io.BytesIO(account_deck(rows.account(account), template, "internal")))
        slide = next(
            x for x in prs.slides if x.shapes.title is not None and x.shapes.title.text == "Revenue and forecast"
        )
        text = "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        assert ("mixed half and half with the mean of its last 12 months" in text) is said, (account, text)
