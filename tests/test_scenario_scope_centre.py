"""A scope's year total in the planner centres on its accounts' expected totals (issue 17, SCOPEDRAWS).

Each account's year total is drawn along the forecast stage's description of it (``forecast_targets``): its 80%
range, the point of its target and its expected total. Drawn through the first three alone, an account whose low
end is cut at what was booked (the CDNOW case: 1998 from 0) centred far above its expected total, and a tier of
such accounts showed a chance and a range for a year the forecast does not expect."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from test_scenario import add_table, build_bundle

from kamtools import scenario as sc
from kamtools.bundle import Bundle
from kamtools.forecast.targets import portfolio_target
from kamtools.target_draws import year_total_draws

YEAR = 2027
# two accounts of one tier, nothing booked yet: A's range is cut at 0 (what was booked) and its middle lies
# above its expected total; B's upper tail is long. p_reach_target is each account's own chance.
ROWS = {
    "expected_total": (40_000.0, 100_000.0),
    "total_lo_80": (0.0, 60_000.0),
    "total_hi_80": (150_000.0, 220_000.0),
    "revenue_target": (60_000.0, 120_000.0),
    "p_reach_target": (0.25, 0.35),
}


@pytest.fixture(scope="module")
def base_bundle(tmp_path_factory):
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=3, seed=5)
    return build_bundle(portfolio, tmp_path_factory.mktemp("centre") / "bundle")


def _tier_of_two(bundle) -> tuple[str, list[str]]:
    acc = bundle.accounts.dropna(subset=["tier"])
    for tier, g in acc.groupby(acc["tier"].astype(str)):
        if len(g) >= 2:
            return f"tier:{tier}", sorted(g["account_id"])[:2]
    pytest.skip("no tier with two accounts")


def _rows(two: list[str], rows: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {"account_id": two, "period": [YEAR, YEAR], "booked_ytd": [0.0, 0.0], **rows, "months_remaining": [12, 12]}
    )


def _bundle(base_bundle, path, rows: dict, rho: float) -> Bundle:
    """A copy of the small bundle: a 14-month forecast for every account, the year totals ``rows`` of two accounts
    of one tier and the common error share ``rho``."""
    shutil.copytree(base_bundle.path, path)
    accounts = base_bundle.accounts["account_id"].tolist()
    _, two = _tier_of_two(base_bundle)
    expected = dict(zip(two, rows["expected_total"], strict=True))
    months = pd.date_range(f"{YEAR - 1}-11-01", periods=14, freq="MS")
    add_table(
        path,
        "forecast",
        pd.DataFrame(
            {
                "unique_id": np.repeat(accounts, len(months)),
                "account_id": np.repeat(accounts, len(months)),
                "ds": np.tile(months, len(accounts)),
                "forecast": np.repeat([expected.get(a, 12_000.0) / 12 for a in accounts], len(months)),
                "lo_80": 500.0,
                "hi_80": 1500.0,
                "sd": 400.0,
            }
        ),
    )
    targets = _rows(two, rows)
    add_table(path, "forecast_targets", targets)
    add_table(path, "forecast_portfolio_target", portfolio_target(targets, rho=rho))
    add_table(path, "forecast_portfolio_range", pd.DataFrame({"rho": [rho], "n_origins": [3], "n_months": [18]}))
    return Bundle.open(path)


def test_each_accounts_draws_keep_its_range_its_chance_and_its_expected_total():
    rows = _rows(["A", "B"], ROWS)
    draws = year_total_draws(np.random.default_rng(3).standard_normal((400_000, 2)), rows)
    for j in range(2):
        d, r = draws[:, j], rows.iloc[j]
        assert d.mean() == pytest.approx(r["expected_total"], rel=0.01)  # was 1.5 times A's, 0.96 times B's
        lo, hi = np.quantile(d, [0.1, 0.9])
        assert lo == pytest.approx(r["total_lo_80"], abs=0.01 * r["total_hi_80"])
        assert hi == pytest.approx(r["total_hi_80"], rel=0.01)
        assert (d >= r["revenue_target"]).mean() == pytest.approx(r["p_reach_target"], abs=0.005)
        assert d.min() >= 0.0  # never below what was booked


def test_a_tiers_draws_centre_on_the_sum_of_its_accounts_expected_totals(base_bundle, tmp_path):
    bundle = _bundle(base_bundle, tmp_path / "b", ROWS, rho=0.0)
    scope, _ = _tier_of_two(base_bundle)
    chance = sc.baseline(bundle, scope).chance[YEAR]
    totals = chance.totals
    error = 3 * totals.std() / np.sqrt(len(totals))  # three Monte-Carlo standard errors
    assert abs(totals.mean() - sum(ROWS["expected_total"])) < error


def test_a_tier_of_accounts_moving_as_one_shows_their_own_chance_and_centre(base_bundle, tmp_path):
    # B is A twice over and the two move as one (rho 1): the tier reaches its summed target exactly when each
    # account reaches its own, so the chance shown is the accounts' own, and their ranges add up
    rows = {k: (v[0], 2 * v[0]) for k, v in ROWS.items()}
    rows["p_reach_target"] = (0.25, 0.25)
    bundle = _bundle(base_bundle, tmp_path / "b", rows, rho=1.0)
    scope, _ = _tier_of_two(base_bundle)
    chance = sc.baseline(bundle, scope).chance[YEAR]
    y = sc.evaluate(bundle, sc.Scenario(scope=scope)).yearly.set_index("year").loc[YEAR]
    assert float(y["p_target_baseline"]) == pytest.approx(0.25, abs=0.01)
    # the summed range holds 8 draws in 10, none below it (its low end is what was booked)
    assert np.mean(chance.totals <= 3 * 150_000 + 1e-6) == pytest.approx(0.9, abs=0.01)
    assert chance.totals.min() >= 0.0
    error = 3 * chance.totals.std() / np.sqrt(len(chance.totals))
    assert abs(chance.totals.mean() - 3 * 40_000) < error  # was 1.5 times the expected 120,000
