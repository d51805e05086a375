"""The planner's chance of reaching target for a scope of several accounts: drawn along each account's
own year-total distribution, one number with the account pages, page one and the widget."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_scenario import add_table, build_bundle

from kamtools import formatting
from kamtools import scenario as sc
from kamtools.bundle import Bundle
from kamtools.scenario import Scenario, evaluate
from kamtools.target_draws import year_total_draws

Z80 = float(stats.norm.ppf(0.9))
YEAR = 2027


@pytest.fixture(scope="module")
def base_bundle(tmp_path_factory):
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=3, seed=5)
    return build_bundle(portfolio, tmp_path_factory.mktemp("chance") / "bundle")


def flat_forecast(accounts: list[str], year_totals: dict[str, float]) -> pd.DataFrame:
    """The forecast table of a 14-month forecast from November of the year before ``YEAR``: flat at a twelfth of
    ``year_totals`` for the accounts it names and at 1,000 a month for the others, one 80% band of 1,000 +/- 100 z."""
    months = pd.date_range(f"{YEAR - 1}-11-01", periods=14, freq="MS")
    monthly = [year_totals[a] / 12 if a in year_totals else 1000.0 for a in accounts]
    return pd.DataFrame(
        {
            "unique_id": np.repeat(accounts, len(months)),
            "account_id": np.repeat(accounts, len(months)),
            "ds": np.tile(months, len(accounts)),
            "forecast": np.repeat(monthly, len(months)),
            "lo_80": 1000.0 - 100 * Z80,
            "hi_80": 1000.0 + 100 * Z80,
            "sd": 100.0,
        }
    )


def _pair(bundle) -> tuple[str, list[str], list[str]]:
    """A tier with at least two accounts: (scope, its accounts, two of them)."""
    acc = bundle.accounts.dropna(subset=["tier"])
    for tier, g in acc.groupby(acc["tier"].astype(str)):
        if len(g) >= 2:
            ids = sorted(g["account_id"])
            return f"tier:{tier}", ids, ids[:2]
    pytest.skip("no tier with two accounts")


ROWS = {  # two accounts: lopsided year totals (the forecast stage's), nothing booked yet
    0: {"revenue_target": 160_000.0, "expected_total": 150_000.0, "lo": 80_000.0, "hi": 260_000.0, "p": 0.31},
    1: {"revenue_target": 90_000.0, "expected_total": 100_000.0, "lo": 70_000.0, "hi": 125_000.0, "p": 0.62},
}


@pytest.fixture(scope="module")
def bundle(base_bundle, tmp_path_factory):
    """The small bundle with a 14-month forecast for every account and the forecast stage's year
    totals for two accounts of one tier (and a portfolio row as page one shows it)."""
    path = tmp_path_factory.mktemp("chance2") / "bundle"
    shutil.copytree(base_bundle.path, path)
    accounts = base_bundle.accounts["account_id"].tolist()
    _, _, two = _pair(base_bundle)
    totals = {a: ROWS[two.index(a)]["expected_total"] for a in two}
    add_table(path, "forecast", flat_forecast(accounts, totals))
    targets = pd.DataFrame(
        {
            "account_id": two,
            "period": [YEAR, YEAR],
            "revenue_target": [ROWS[i]["revenue_target"] for i in (0, 1)],
            "booked_ytd": [0.0, 0.0],
            "expected_total": [ROWS[i]["expected_total"] for i in (0, 1)],
            "total_lo_80": [ROWS[i]["lo"] for i in (0, 1)],
            "total_hi_80": [ROWS[i]["hi"] for i in (0, 1)],
            "p_reach_target": [ROWS[i]["p"] for i in (0, 1)],
        }
    )
    add_table(path, "forecast_targets", targets)
    add_table(
        path,
        "forecast_portfolio_target",
        pd.DataFrame(
            {
                "period": [YEAR],
                "revenue_target": [250_000.0],
                "booked_ytd": [0.0],
                "expected_total": [250_000.0],
                "expected_attainment": [1.0],
                "p_reach_target": [0.5],
                "total_lo_80": [250_000.0 - 30_000.0 * Z80],
                "total_hi_80": [250_000.0 + 30_000.0 * Z80],
                "months_remaining": [12],
                "n_accounts": [2],
            }
        ),
    )
    return Bundle.open(path)


def _chance(b, scope: str, **levers) -> tuple[float, float]:
    y = evaluate(b, Scenario(scope=scope, **levers)).yearly.set_index("year").loc[YEAR]
    return float(y["p_target_baseline"]), float(y["p_target_scenario"])


def test_a_scope_of_one_account_shows_the_accounts_own_chance(bundle):
    _, _, two = _pair(bundle)
    assert _chance(bundle, f"account:{two[0]}")[0] == pytest.approx(0.31, abs=1e-9)
    assert _chance(bundle, f"account:{two[1]}")[0] == pytest.approx(0.62, abs=1e-9)


def test_two_accounts_match_a_brute_force_monte_carlo(bundle):
    scope, _, two = _pair(bundle)
    p, _ = _chance(bundle, scope)
    # brute force: 400,000 independent draws of each account along its own distribution, other seeds
    rows = bundle.table("forecast_targets").set_index("account_id").loc[two]
    rng = np.random.default_rng(2024)
    a = year_total_draws(rng.standard_normal((400_000, 1)), rows.iloc[[0]])[:, 0]
    b = year_total_draws(rng.standard_normal((400_000, 1)), rows.iloc[[1]])[:, 0]
    truth = float((a + b >= 250_000.0).mean())
    assert p == pytest.approx(truth, abs=0.012)
    # the sum of two normals refitted from the upper bounds (what the planner showed before) is not it
    sd = np.hypot((260_000 - 150_000) / Z80, (125_000 - 100_000) / Z80)
    assert abs(stats.norm.sf(250_000, loc=250_000, scale=sd) - truth) > 0.03


def test_the_chance_is_repeatable_and_moves_with_the_levers(bundle):
    scope, _, _ = _pair(bundle)
    base, same = _chance(bundle, scope)
    assert base == same  # zero levers: the baseline's chance
    assert _chance(bundle, scope) == (base, same)  # seeded: the same number on every call
    up, down = _chance(bundle, scope, volume_change=10.0)[1], _chance(bundle, scope, volume_change=-10.0)[1]
    assert down < base < up
    b = sc.baseline(bundle, scope)
    assert any("adds the 2 accounts with a target" in n and "10,000 draws" in n for n in b.notes)


def test_the_whole_portfolio_shows_page_ones_chance(bundle):
    p, same = _chance(bundle, "portfolio")
    assert p == same == pytest.approx(0.5, abs=1e-12)  # forecast_portfolio_target's, not a recomputed one
    assert _chance(bundle, "portfolio", volume_change=10.0)[1] > 0.5


def test_a_larger_scope_with_one_account_with_a_target_shows_that_accounts_chance(bundle, tmp_path):
    scope, ids, two = _pair(bundle)
    path = tmp_path / "one"
    shutil.copytree(bundle.path, path)
    ft = bundle.table("forecast_targets")
    add_table(path, "forecast_targets", ft[ft["account_id"] == two[0]])
    p, _ = _chance(Bundle.open(path), scope)
    assert p == pytest.approx(0.31, abs=1e-12)


def test_the_widget_shows_the_engines_chance(bundle):
    from kamtools.widgets import ScenarioPlanner

    scope, _, _ = _pair(bundle)
    planner = ScenarioPlanner(bundle, debounce=0, chart=False)
    planner.set_scope(scope)
    p = float(planner.result.yearly.set_index("year").loc[YEAR, "p_target_baseline"])
    assert p == _chance(bundle, scope)[0]
    row = re.search(rf"{YEAR}</t[hd]>(.*?)</tr>", planner.year_table.value, re.S)
    assert row is not None and formatting.pct(p, digits=1) in row.group(1)
    metric = re.search(rf"<tr data-metric='p_target_{YEAR}'>.*?data-value='([^']+)'", planner.kpi_table.value, re.S)
    assert float(metric.group(1)) == pytest.approx(p, rel=1e-5)


@pytest.mark.slow
def test_an_account_groups_scope_shows_the_group_reports_chance(tmp_path):
    """A ``group_id`` scope draws as the group roll-up does (its copula and seed): one number in the
    planner and in the group report (about 25 s: the forecast and groups stages run)."""
    from kamtools import bundle as kb
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=16, years=3, seed=7, groups=2)
    stages = ["value", "segment", "forecast", "kpis", "groups", "scenario"]
    b = kb.analyze(portfolio, tmp_path / "b", stages=stages, progress=False)
    roll = b.table("group_rollup").set_index("account_id")
    assert len(roll) == 2
    year = b.as_of.year
    for group, row in roll.iterrows():
        base = sc.baseline(b, f"group_id:{group}")
        y = evaluate(base, Scenario(scope=f"group_id:{group}")).yearly.set_index("year").loc[year]
        assert y["target"] == pytest.approx(row["target"])
        assert y["p_target_baseline"] == pytest.approx(row["p_reach_target"], abs=1e-12)
        assert any("tied as in the group roll-up, 2,000 draws" in n for n in base.notes)
