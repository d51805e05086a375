"""The year mix below the year, where the history can test it (issue 17, 18-23 months of history).

With 18 to 23 months the backtest's one past date holds under a year, so no 12-month method is checked there. A level
forecast above its year was already mixed with the year's mean month; below it, it was left alone (a fading account).
The demo cut 18-20 months after its first order then lost to seasonal naive in one case of 12. Now a date 12 months
into the data, with 6 or more months after it, tests the mix on the accounts then below their year, and the mix is
applied below the year only where it missed those months by less.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from kamtools.forecast.selection.year_mix import (
    CHECK_ACCOUNTS,
    MIX_WEIGHT,
    below_check,
    mix_reason,
    year_level,
    year_mixed,
)


def _trough_then_recovery(n: int, months: int, after: float) -> np.ndarray:
    """``n`` accounts at 104 a month for 6 months, 60 a month for the next 6 (a trough at the end of the first year),
    then ``after`` a month: their year's mean month is 80 (the first month, an account's start, left out)."""
    row = np.r_[np.full(6, 104.0), np.full(6, 60.0), np.full(months - 12, after)]
    return np.tile(row, (n, 1))


def test_no_test_where_fewer_than_6_months_follow_a_year():
    assert below_check(_trough_then_recovery(40, 17, 80.0)) is None  # 5 months after the year
    check = below_check(_trough_then_recovery(40, 18, 80.0))
    assert check is not None and check.months == 6 and check.accounts == 40


def test_the_mix_is_favoured_where_the_accounts_came_back_to_their_year():
    y = _trough_then_recovery(40, 19, 80.0)
    assert year_level(y[:, :12]) == pytest.approx(np.full(40, 80.0))  # the trough's 60 ran below it
    check = below_check(y)
    # per account over 7 months: bought 560; the level said 420 (miss 140), the mix 7 x 70 = 490 (miss 70)
    assert check.level_error == pytest.approx(40 * 140) and check.mix_error == pytest.approx(40 * 70)
    assert check.favours_mix and check.change == pytest.approx(-0.5)


def test_the_mix_is_not_favoured_where_the_accounts_kept_falling():
    check = below_check(_trough_then_recovery(40, 19, 40.0))
    assert check.mix_error > check.level_error and not check.favours_mix


def test_too_few_accounts_below_their_year_decide_nothing():
    check = below_check(_trough_then_recovery(CHECK_ACCOUNTS - 1, 19, 80.0))
    assert check.mix_error < check.level_error and not check.favours_mix


def test_only_accounts_with_a_whole_year_then_and_below_it_are_tested():
    y = _trough_then_recovery(40, 19, 80.0)
    y[:5, :3] = np.nan  # five began after the data's first month: not a year of their own at the date
    y[5:10, 6:12] = 140.0  # five ran above their year then
    assert below_check(y).accounts == 30


def test_below_the_year_is_mixed_only_when_the_test_says_so():
    y = _trough_then_recovery(3, 19, 60.0)
    level = year_level(y)
    mean = np.vstack([np.full(12, 120.0), np.full(12, 50.0), np.full(12, 50.0)])  # above, below, below
    method = np.array(["model", "model", "btyd"])
    assert year_mixed(y, method, mean, np.array([6]), level).tolist() == [True, False, False]
    assert year_mixed(y, method, mean, np.array([6]), level, below=True).tolist() == [True, True, False]
    # a backtest that held a year tests 12-month methods itself: nothing is mixed either way
    assert not year_mixed(y, method, mean, np.array([12]), level, below=True).any()


def test_the_reason_names_the_side_and_the_test():
    check = below_check(_trough_then_recovery(40, 19, 80.0))
    below = mix_reason(70.0, 19, above=False, check=check)
    assert "which it ran below" in below
    assert "the mix missed the next 7 months of the accounts then below their year by 50% less" in below
    assert "which it ran above" in mix_reason(70.0, 19, above=True, check=check)
    assert "season's peak" in mix_reason(70.0, 19, above=True, check=check)


@lru_cache(maxsize=2)
def _bundles(fade: bool):
    """The 2-year demo of 120 accounts cut 19 months after its first order (``fade``: every order after the first
    year halved, a portfolio buying less and less), analysed with the forecast as shipped."""
    import tempfile
    from pathlib import Path

    from kamtools.bundle import analyze
    from kamtools.data.portfolio import Portfolio
    from kamtools.datasets import make_portfolio

    p, _ = make_portfolio(n_accounts=120, years=2, seed=1, groups=0)
    start = p.orders["order_date"].min().to_period("M")
    p = p.truncate((start + 18).to_timestamp(how="end").normalize())
    if fade:
        o = p.orders.copy()
        late = o["order_date"] >= (start + 12).to_timestamp()
        for col in ("quantity", "net_revenue", "cost"):
            if col in o.columns:
                o.loc[late, col] = o.loc[late, col] * 0.5
        p = Portfolio({**p.tables, "orders": o}, p.as_of)
    out = Path(tempfile.mkdtemp(prefix="kamtools-yearbelow-")) / "bundle"
    return analyze(p, out, stages=["value", "forecast"], progress=False)


def test_nineteen_months_mixes_below_the_year_and_says_why():
    b = _bundles(False)
    s = b.table("forecast_summary").set_index("account_id")
    reason = s["forecast_method_reason"]
    below = reason.str.contains("which it ran below", regex=False)
    assert below.sum() >= 10
    assert set(s.loc[below, "forecast_method"]) <= {"kamtools model", "mean of last 6 months"}
    assert reason[below].str.contains("from the date a year into the data the mix missed the next 7 months").all()
    note = b.note("forecast_methods")
    assert "over the 7 months after it the mix with the year's mean month missed their totals by" in note
    assert f"so {int(below.sum()):,} accounts forecast below their year are mixed the same way" in note
    # a mixed account's 12 months are half its level and half its year: the forecast sits between the two
    hist = b.table("forecast_history").pivot_table(index="account_id", columns="ds", values="y", aggfunc="sum")
    ids = s.index[below]
    year = pd.Series(year_level(hist.reindex(ids).to_numpy(dtype=float)), index=ids) * 12
    fc = s.loc[ids, "forecast_next_12m"]
    assert (fc < year).all()
    level = (fc - MIX_WEIGHT * year) / (1 - MIX_WEIGHT)  # the forecast before the mix
    assert (level < fc).all() and (level > 0).all()


def test_a_fading_portfolio_keeps_its_level_below_the_year_and_says_so():
    b = _bundles(True)
    s = b.table("forecast_summary")
    assert not s["forecast_method_reason"].str.contains("which it ran below", regex=False).any()
    note = b.note("forecast_methods")
    assert "more than the latest 6 months' level, so a forecast below its year is left as it is." in note
