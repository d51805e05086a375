"""The planner's scopes spread as the forecast stage's portfolio does: the accounts' common error share ``rho``
(``forecast_portfolio_range``, :mod:`kamtools.forecast.portfolio_range`) ties the accounts of any scope, so a tier's
range and chance follow the rule of the portfolio's, and the whole portfolio shows ``forecast_portfolio_target``."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_scenario import add_table, build_bundle
from test_scenario_chance import YEAR, Z80, _pair, flat_forecast

from kamtools import formatting
from kamtools import scenario as sc
from kamtools.bundle import Bundle
from kamtools.forecast.portfolio_range import total_sd
from kamtools.forecast.targets import portfolio_target
from kamtools.scenario import Scenario, ScenarioError, evaluate
from kamtools.target_draws import independent_scores, shared_scores

RHO = 0.6
# two accounts of one tier; symmetric year totals (so that draws and the forecast stage's normal agree), the
# chance of each its own normal's: the targets lie above the expected totals
EXPECTED, SPREAD, TARGET = (150_000.0, 100_000.0), (20_000.0, 10_000.0), (165_000.0, 105_000.0)


@pytest.fixture(scope="module")
def base_bundle(tmp_path_factory):
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=3, seed=5)
    return build_bundle(portfolio, tmp_path_factory.mktemp("share") / "bundle")


def _tier_of_two(bundle) -> tuple[str, list[str]]:
    scope, _, two = _pair(bundle)
    return scope, two


def _bundle(base_bundle, path, rho: float | None):
    """A copy of the small bundle: a 14-month forecast for every account, the forecast stage's year totals of two
    accounts of one tier, the common share ``rho`` (None: no forecast_portfolio_range, a bundle written before it)
    and the portfolio row the forecast stage writes with it."""
    shutil.copytree(base_bundle.path, path)
    accounts = base_bundle.accounts["account_id"].tolist()
    _, two = _tier_of_two(base_bundle)
    add_table(path, "forecast", flat_forecast(accounts, dict(zip(two, EXPECTED, strict=True))))
    targets = pd.DataFrame(
        {
            "account_id": two,
            "period": [YEAR, YEAR],
            "revenue_target": list(TARGET),
            "booked_ytd": [0.0, 0.0],
            "expected_total": list(EXPECTED),
            "total_lo_80": [e - Z80 * s for e, s in zip(EXPECTED, SPREAD, strict=True)],
            "total_hi_80": [e + Z80 * s for e, s in zip(EXPECTED, SPREAD, strict=True)],
            "p_reach_target": [stats.norm.sf(t, e, s) for t, e, s in zip(TARGET, EXPECTED, SPREAD, strict=True)],
            "months_remaining": [12, 12],
        }
    )
    add_table(path, "forecast_targets", targets)
    add_table(path, "forecast_portfolio_target", portfolio_target(targets, rho=rho or 0.0))
    if rho is not None:
        add_table(path, "forecast_portfolio_range", pd.DataFrame({"rho": [rho], "n_origins": [3], "n_months": [18]}))
    return Bundle.open(path)


@pytest.fixture(scope="module")
def tied(base_bundle, tmp_path_factory):
    return _bundle(base_bundle, tmp_path_factory.mktemp("tied") / "bundle", RHO)


@pytest.fixture(scope="module")
def independent(base_bundle, tmp_path_factory):
    return _bundle(base_bundle, tmp_path_factory.mktemp("independent") / "bundle", 0.0)


@pytest.fixture(scope="module")
def older(base_bundle, tmp_path_factory):
    return _bundle(base_bundle, tmp_path_factory.mktemp("older") / "bundle", None)


def _p(bundle, scope: str, **levers) -> tuple[float, float]:
    y = evaluate(bundle, Scenario(scope=scope, **levers)).yearly.set_index("year").loc[YEAR]
    return float(y["p_target_baseline"]), float(y["p_target_scenario"])


def test_a_tier_with_a_common_share_has_a_wider_range_and_the_portfolios_rule(tied, independent):
    scope, _ = _tier_of_two(tied)
    c_tied, c_indep = sc.baseline(tied, scope).chance[YEAR], sc.baseline(independent, scope).chance[YEAR]
    width_tied = np.subtract(*c_tied.range80()[::-1])
    width_indep = np.subtract(*c_indep.range80()[::-1])
    # the forecast stage's rule for a sum of accounts: Var = (1 - rho) sum s_i^2 + rho (sum s_i)^2
    assert width_indep == pytest.approx(2 * Z80 * total_sd(np.array(SPREAD), 0.0), rel=0.03)
    assert width_tied == pytest.approx(2 * Z80 * total_sd(np.array(SPREAD), RHO), rel=0.03)
    assert width_tied > 1.15 * width_indep
    # the targets lie above the expected totals: a wider spread makes reaching them likelier
    truth_tied = stats.norm.sf(sum(TARGET), sum(EXPECTED), total_sd(np.array(SPREAD), RHO))
    truth_indep = stats.norm.sf(sum(TARGET), sum(EXPECTED), total_sd(np.array(SPREAD), 0.0))
    assert _p(tied, scope)[0] == pytest.approx(truth_tied, abs=0.012)
    assert _p(independent, scope)[0] == pytest.approx(truth_indep, abs=0.012)
    assert truth_tied - truth_indep > 0.03
    assert any(
        "move together as far as they did in the forecast's test on past data" in n and "0.60" in n
        for n in sc.baseline(tied, scope).notes
    )


def test_the_tiers_chance_is_the_published_portfolio_chance_where_it_holds_every_target(tied):
    scope, _ = _tier_of_two(tied)
    published = tied.table("forecast_portfolio_target").set_index("period").loc[YEAR]
    # the tier holds both accounts with a target: it shows the forecast stage's figure, to the digit shown
    assert formatting.pct(_p(tied, scope)[0]) == formatting.pct(float(published["p_reach_target"]))
    lo, hi = sc.baseline(tied, scope).chance[YEAR].range80()
    assert lo == pytest.approx(float(published["total_lo_80"]), rel=0.01)
    assert hi == pytest.approx(float(published["total_hi_80"]), rel=0.01)


def test_the_whole_portfolio_is_forecast_portfolio_target(tied):
    published = tied.table("forecast_portfolio_target").set_index("period").loc[YEAR]
    p, same = _p(tied, "portfolio")
    assert p == same == pytest.approx(float(published["p_reach_target"]), abs=1e-12)
    lo, hi = sc.baseline(tied, "portfolio").chance[YEAR].range80()
    assert (lo, hi) == pytest.approx((float(published["total_lo_80"]), float(published["total_hi_80"])), rel=1e-9)


def test_the_year_spread_of_several_accounts_takes_the_common_share(tied, independent):
    scope, ids = _tier_of_two(tied)
    b_tied, b_indep = sc.baseline(tied, scope), sc.baseline(independent, scope)
    assert b_tied.rho == RHO and b_indep.rho == 0.0
    own = [SPREAD[0], SPREAD[1]] + [0.0] * (b_tied.n_accounts - 2)
    # accounts without a year row take their months' spread; the two with one take the forecast's year spread
    assert b_tied.sd[YEAR] > b_indep.sd[YEAR] >= total_sd(np.array(own), 0.0)


def test_no_common_share_draws_exactly_as_before(independent, older):
    scope, _ = _tier_of_two(independent)
    assert np.array_equal(independent_scores("k", 50, 3), shared_scores("k", 50, 3, 0.0))
    a, b = sc.baseline(independent, scope), sc.baseline(older, scope)
    assert np.array_equal(a.chance[YEAR].totals, b.chance[YEAR].totals)
    assert a.sd == b.sd
    # a bundle written before the forecast stage stored the share says that its accounts are taken as independent
    assert any("forecast_portfolio_range" not in n and "taken as independent" in n for n in b.notes)
    assert not any("taken as independent" in n for n in a.notes)


def test_a_bad_common_share_is_refused_naming_the_table_and_column(base_bundle, tmp_path):
    bundle = _bundle(base_bundle, tmp_path / "bad", 1.5)
    scope, _ = _tier_of_two(bundle)
    with pytest.raises(ScenarioError, match=r"forecast_portfolio_range\.rho must lie between 0 and 1"):
        sc.baseline(bundle, scope)
    # one account reads no common share
    assert sc.baseline(bundle, f"account:{_tier_of_two(bundle)[1][0]}").rho == 0.0
