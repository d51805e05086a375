"""The groups stage inside ``analyze`` on a small demo with global accounts: the bundle's group tables
add up to the per-account tables, and group parents without orders get no per-account judgement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.groups.parents import group_parents
from kamtools.groups.rollup import membership

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def grouped_bundle(tmp_path_factory):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=60, years=3, seed=5, groups=4)
    out = tmp_path_factory.mktemp("groups") / "bundle"
    analyze(portfolio, out, progress=False)
    return portfolio, out


def _read(folder, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{name}.parquet")


def test_group_parents_without_orders_get_no_per_account_judgement(grouped_bundle):
    portfolio, out = grouped_bundle
    parents = group_parents(portfolio)
    assert "G0003" in parents and "G0001" not in parents  # G0001 trades: a customer like any other
    for name in ("kpis", "churn", "segments", "health", "plan_summary", "plan_actions", "plan_talking_points"):
        table = _read(out, name)
        assert not table["account_id"].isin(parents).any(), name
    assert "G0001" in set(_read(out, "kpis")["account_id"])
    accounts = _read(out, "accounts").set_index("account_id")
    assert set(parents) <= set(accounts.index)  # still listed, as groups
    assert accounts.loc[parents, "is_group"].all()
    assert accounts.loc["G0003-R1", "group_id"] == "G0003" and accounts.loc["G0003-R1", "depth"] == 1
    stand_alone = accounts[accounts["group_id"] == accounts.index]
    assert (stand_alone.loc[~stand_alone["is_group"], "depth"] == 0).all()


def test_bundle_group_tables_add_up_to_the_unit_tables(grouped_bundle):
    _, out = grouped_bundle
    hier = _read(out, "group_hierarchy")
    roll = _read(out, "group_rollup").set_index("account_id")
    assert sorted(roll.index) == sorted(hier.loc[hier["is_group"], "account_id"])
    members = membership(hier)
    kp = _read(out, "kpis").set_index("account_id")
    risk = _read(out, "churn").set_index("account_id")["revenue_at_risk"]
    for parent, sub in members.groupby("parent"):
        ids = [a for a in sub["account_id"] if a in kp.index]
        assert roll.loc[parent, "revenue_12m"] == pytest.approx(kp.loc[ids, "revenue_ltm"].sum())
        assert roll.loc[parent, "margin_12m"] == pytest.approx(kp.loc[ids, "margin_ltm"].sum())
        assert roll.loc[parent, "revenue_at_risk"] == pytest.approx(risk.reindex(ids).sum())
    # the reconciled monthly forecast is the sum of the units' forecasts, with an interval around it
    gf = _read(out, "group_forecast")
    fc = _read(out, "forecast")
    joined = members.merge(fc[["account_id", "ds", "forecast"]], on="account_id")
    expected = joined.groupby(["parent", "ds"])["forecast"].sum()
    got = gf.set_index(["unique_id", "ds"])["y_hat"]
    np.testing.assert_allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy(), rtol=1e-9)
    assert (gf["y_low"] <= gf["y_hat"]).all() and (gf["y_hat"] <= gf["y_high"]).all()
    assert roll["reconciliation"].str.startswith("the sum of the units' forecasts at every level").all()


def test_opportunity_map_and_backtest_in_the_bundle(grouped_bundle):
    _, out = grouped_bundle
    opp = _read(out, "opportunity_map")
    hier = _read(out, "group_hierarchy").set_index("account_id")
    assert len(opp) and opp["reason"].str.len().gt(0).all()
    assert (opp["group_id"] == opp["account_id"].map(hier["group_id"])).all()
    gaps = opp[~opp["buys"] & opp["p_adopt"].notna()]
    assert gaps["p_adopt"].between(0, 1).all()
    assert (gaps["expected_value"] >= 0).all()
    bt = _read(out, "cross_unit_backtest")
    assert sorted(bt["method"]) == ["cross_unit", "peer"]
    assert bt["precision_at_5"].between(0, 1).all() and (bt["precision_at_5"] <= bt["precision_ceiling"] + 1e-12).all()
