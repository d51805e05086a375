"""The probability of reaching a yearly target and the year total's 80% range (issues 17/18): a target
already booked is certain, the range never goes below what is booked, and the rest of the year is spread
as similar accounts' out-of-time totals over the months left (often nothing) plus part of the account's
own spread (kamtools.forecast.targets, measured in benchmarks/bench_target_probability.py)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from test_forecast_total_range import AS_OF, _occasional_buyers

from kamtools.data.portfolio import Portfolio
from kamtools.forecast import accounts, selection, targets


@lru_cache(maxsize=1)
def _run() -> tuple[pd.DataFrame, object, object]:
    """(forecast_targets, the stage's selection, target_attainment with its forecast for other targets), with
    targets at each account's revenue booked this year (already reached) for half the accounts and twice that
    for the others."""
    base = _occasional_buyers()
    orders = base.orders
    booked = orders[orders["order_date"].dt.year == AS_OF.year].groupby("account_id")["net_revenue"].sum()
    ids = sorted(base.accounts["account_id"])
    target = [booked.get(a, 0.0) * (1 if n % 2 == 0 else 2) + 1.0 * (n % 2) for n, a in enumerate(ids)]
    targets = pd.DataFrame({"account_id": ids, "period": AS_OF.year, "revenue_target": target})
    kept = {}
    g = accounts._target_tables.__globals__
    shipped = g["target_attainment"]

    def keep(forecaster, hist, t, **kw):
        kept["sel"] = forecaster.selection
        kept["again"] = lambda other: shipped(forecaster, hist, other, **kw)
        return shipped(forecaster, hist, t, **kw)

    g["target_attainment"] = keep
    try:
        tables = accounts.bundle_tables(Portfolio({**base.tables, "targets": targets}, AS_OF), {})
    finally:
        g["target_attainment"] = shipped
    return tables["forecast_targets"], kept["sel"], kept["again"]


def test_a_target_already_booked_is_certain_and_its_range_starts_at_what_is_booked():
    tt, _, _ = _run()
    done = tt[tt["booked_ytd"] >= tt["revenue_target"]]
    assert len(done) >= 15
    assert (done["p_reach_target"] == 1.0).all()
    assert (done["total_lo_80"] >= done["booked_ytd"] - 1e-9).all()
    open_ = tt[tt["booked_ytd"] < tt["revenue_target"]]
    assert len(open_) >= 15 and (open_["p_reach_target"] < 1.0).all()


def test_similar_accounts_totals_over_the_months_left_include_those_that_bought_nothing():
    tt, sel, _ = _run()
    months = int(tt["months_remaining"].max())
    assert months == 6  # July to December
    ratios = sel.total_ratios(months)
    have = [r for r, m in zip(ratios, sel.method) if m != "zero"]
    assert have and all(r is not None and np.all(np.diff(r) >= 0) for r in have)
    # accounts that order about once a year: a good share of six-month windows bought nothing
    zero_share = np.mean(have[0] == 0)
    assert 0.2 < zero_share < 0.8
    assert selection.ratio_bounds(have[0])[0] == 0.0
    # the 12-month range shown on page one reads the same ratios over the backtest's horizon
    full = selection.total_ratios(sel.evidence, sel.klass, sel.method, sel.factor, sel.total_months)
    i = next(i for i, r in enumerate(full) if r is not None)
    assert np.allclose(sel.total_ratio[i], selection.ratio_bounds(full[i]))


def test_the_chance_falls_as_the_target_rises_and_the_range_holds_what_is_booked_and_expected():
    tt, _, again = _run()
    open_ = tt[(tt["booked_ytd"] < tt["revenue_target"]) & (tt["expected_total"] > tt["booked_ytd"])]
    assert len(open_) >= 10
    lo, hi = open_["total_lo_80"], open_["total_hi_80"]
    assert (lo >= open_["booked_ytd"] - 1e-9).all() and (lo <= open_["expected_total"] + 1e-9).all()
    assert (hi >= open_["expected_total"] - 1e-9).all()
    rest = open_["expected_total"] - open_["booked_ytd"]
    chances = []
    for k in (0.5, 1.0, 2.0, 100.0):  # targets at booked + k times the forecast of the months left
        t = pd.DataFrame(
            {
                "account_id": open_["account_id"],
                "period": open_["period"],
                "revenue_target": open_["booked_ytd"] + k * rest,
            }
        )
        chances.append(again(t).set_index("account_id")["p_reach_target"].reindex(open_["account_id"]).to_numpy())
    assert all(np.all(a >= b - 1e-12) for a, b in zip(chances, chances[1:]))
    assert np.all(chances[0] > 0.5) and np.all(chances[-1] < 0.01)


def test_the_stage_shows_the_blended_chance_and_range_not_the_normal_one():
    tt, _, _ = _run()
    g = accounts._target_tables.__globals__
    assert g["target_attainment"] is targets.target_attainment  # the stage calls the package's function
    open_ = tt[(tt["booked_ytd"] < tt["revenue_target"]) & (tt["expected_total"] > tt["booked_ytd"])]
    # similar accounts that bought nothing over the months left put the bottom of the range at what is booked
    assert (np.isclose(open_["total_lo_80"], open_["booked_ytd"])).mean() > 0.5


# ---------------------------------------------------------------------------------------------------------
# a small constructed case: two accounts, 600 booked from January to June, 100 a month forecast for the rest
# ---------------------------------------------------------------------------------------------------------
_IDS = np.array(["A", "B"])
_FUTURE = pd.date_range("2026-07-01", periods=6, freq="MS")


class _Evidence:
    """Stands in for :class:`kamtools.forecast.selection.Evidence`: 40 backtest rows of class 0 whose mean of
    the last 6 months forecast 10 a month; half bought 0 over the months after, half 120."""

    klass = np.zeros(40, dtype=int)
    account = np.array([f"X{i}" for i in range(40)])
    actual = np.where(np.arange(40)[:, None] % 2 == 0, 0.0, 20.0) * np.ones((40, 6))
    paths = {"recent_mean": np.full((40, 6), 10.0)}
    horizon = 6


class _Selection:
    """The parts of :class:`kamtools.forecast.selection.Selection` the target range reads; ``total_ratios``
    returns ``ratios`` for A (None for B: its method has too few out-of-time totals) and records what it
    was asked."""

    def __init__(self, ratios, sd: float = 0.0):
        self.ids, self.method, self.klass = _IDS, np.array(["recent_mean", "seasonal_naive"]), np.array([0, 0])
        self.sd, self.rho, self.evidence = np.full((2, 6), sd), 0.5, _Evidence()
        self.ratios, self.asked = ratios, []

    def total_ratios(self, months: int) -> list:
        self.asked.append(months)
        return [self.ratios, None]


class _Forecaster:
    """A fitted forecaster of 100 a month from July to December 2026 for A and B, carrying ``sel``."""

    unique_ids_, horizon = _IDS, 6

    def __init__(self, sel):
        self.selection = sel

    def _future_dates(self) -> np.ndarray:
        return np.tile(_FUTURE.to_numpy(), 2)

    def sum_distributions(self, unique_ids, weights):
        w = np.asarray(weights, dtype=float)
        return w.sum(axis=1) * 100.0, np.sqrt((w**2).sum(axis=1)) * 30.0, np.full(len(w), np.inf)


def _attain(sel, target: float, **kw) -> pd.DataFrame:
    hist = pd.DataFrame(
        {
            "unique_id": np.repeat(_IDS, 6),
            "ds": np.tile(pd.date_range("2026-01-01", periods=6, freq="MS"), 2),
            "y": 100.0,
        }
    )
    t = pd.DataFrame({"account_id": _IDS, "period": 2026, "revenue_target": target})
    return targets.target_attainment(_Forecaster(sel), hist, t, as_of="2026-06-30", **kw).set_index("account_id")


def test_with_every_out_of_time_ratio_1_and_no_own_spread_the_range_is_the_forecast():
    sel = _Selection(np.ones(50))
    a = _attain(sel, 1150.0, own_spread=0.0).loc["A"]
    assert sel.asked == [6]  # the totals of similar accounts over the six months left
    assert a["booked_ytd"] == 600.0 and a["expected_total"] == 1200.0 and a["months_remaining"] == 6
    assert a["total_lo_80"] == pytest.approx(1200.0) and a["total_hi_80"] == pytest.approx(1200.0)
    assert a["p_reach_target"] == 1.0  # 1200 is sure to reach 1150 ...
    assert _attain(sel, 1250.0, own_spread=0.0).loc["A", "p_reach_target"] == 0.0  # ... and never 1250
    p, lo, hi = targets.blended_summary(600.0, 600.0, np.ones(5), 0.0, [1150.0])
    assert (p[0], lo[0], hi[0]) == (1.0, pytest.approx(1200.0), pytest.approx(1200.0))


def test_the_range_widens_with_the_ratios_and_the_own_spread_and_never_goes_below_what_is_booked():
    ratios = np.linspace(0.0, 2.0, 41)  # similar accounts bought 0 to 2 times their forecast
    alone = _attain(_Selection(ratios), 1200.0, own_spread=0.0).loc["A"]
    assert alone["total_lo_80"] == pytest.approx(600.0 + 0.2 * 600.0, abs=1.0)  # their 10% quantile
    assert alone["total_hi_80"] == pytest.approx(600.0 + 1.8 * 600.0, abs=1.0)  # their 90% quantile
    assert alone["p_reach_target"] == pytest.approx(21 / 41)  # the ratios of at least 1
    spread = _attain(_Selection(ratios, sd=50.0), 1200.0).loc["A"]
    assert spread["total_lo_80"] < alone["total_lo_80"] and spread["total_hi_80"] > alone["total_hi_80"]
    zeros = _attain(_Selection(np.r_[np.zeros(30), np.ones(10)]), 700.0, own_spread=0.0).loc["A"]
    assert zeros["total_lo_80"] == pytest.approx(600.0)  # three in four bought nothing: what is booked
    assert zeros["p_reach_target"] == pytest.approx(0.25)


def test_an_account_whose_method_has_too_few_ratios_takes_its_class_s_recent_mean_ratios():
    ratios = targets.class_fallback_ratios(_Evidence(), 0, 6)
    # half bought nothing, half twice the forecast: scaled so that they average to what the class bought
    assert np.allclose(np.sort(ratios), np.r_[np.zeros(20), np.full(20, 2.0)])
    b = _attain(_Selection(np.ones(50)), 1250.0, own_spread=0.0).loc["B"]
    assert b["total_lo_80"] == pytest.approx(600.0) and b["total_hi_80"] == pytest.approx(1800.0)
    assert b["p_reach_target"] == pytest.approx(0.5)


def test_the_normal_method_is_still_there_for_comparison_and_a_target_far_out_of_reach_is_near_zero():
    sel = _Selection(np.linspace(0.5, 1.5, 41), sd=30.0)
    normal = _attain(sel, 1200.0, method="normal").loc["A"]
    z = 1.2815515655446004  # the normal's 90% quantile: 1200 +- z * 30 * sqrt(6)
    assert normal["total_hi_80"] == pytest.approx(1200.0 + z * 30.0 * np.sqrt(6))
    assert _attain(sel, 5000.0).loc["A", "p_reach_target"] < 1e-6
    assert _attain(sel, 600.0).loc["A", "p_reach_target"] == 1.0  # booked already reaches it
    with pytest.raises(ValueError, match="method must be one of"):
        _attain(sel, 1200.0, method="student")
