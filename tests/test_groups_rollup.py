"""Group roll-ups, the reconciled group forecast, the opportunity map and the cross-unit backtest
(kamtools.groups), on small hand-made hierarchies with the earlier stages' tables written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kamtools import formatting
from kamtools.data.portfolio import Portfolio
from kamtools.groups import opportunity
from kamtools.groups import stage as groups_stage
from kamtools.groups.parents import group_parents, without_group_parents
from kamtools.stages import StageInputs, stage, validate_table

AS_OF = pd.Timestamp("2026-10-31")
GROUP_TABLES = ("group_hierarchy", "group_rollup", "group_forecast", "opportunity_map", "cross_unit_backtest")

# G (no orders) -> R1 (no orders) -> U1, U2;  G -> R2 (trades) -> U3, U4;  G -> U5;  S1..S3 stand alone
LINKS = {"R1": "G", "R2": "G", "U5": "G", "U1": "R1", "U2": "R1", "U3": "R2", "U4": "R2"}
TRADING = ["R2", "S1", "S2", "S3", "U1", "U2", "U3", "U4", "U5"]


def _portfolio(
    buys: dict[str, list[tuple[str, str, str | None]]],
    links: dict[str, str] | None,
    extra_accounts: list[str] = (),
    tables: dict[str, pd.DataFrame] | None = None,
    scale: dict[str, float] | None = None,
) -> Portfolio:
    """Accounts ``buys`` (id -> [(category, first month, last month or None)]) ordering 1,000 a month
    of each category in its span (times ``scale`` of the account), plus ``extra_accounts`` without orders;
    ``links`` child -> parent."""
    ids = sorted(set(buys) | set(extra_accounts))
    accounts = pd.DataFrame(
        {
            "account_id": pd.Series(ids, dtype="str"),
            "name": pd.Series([f"Account {i}" for i in ids], dtype="str"),
            "industry": pd.Series(["Food"] * len(ids), dtype="str"),
            "region": pd.Series(["North"] * len(ids), dtype="str"),
            "country": pd.Series(["SE"] * len(ids), dtype="str"),
            "channel": pd.Series(["Direct"] * len(ids), dtype="str"),
            "owner": pd.Series(["M. Berg"] * len(ids), dtype="str"),
            "customer_since": pd.to_datetime(["2020-01-01"] * len(ids)),
            "potential_revenue": np.full(len(ids), np.nan),
        }
    )
    if links is not None:
        accounts["parent_account_id"] = pd.Series([links.get(i) for i in ids], dtype="str")
    cats = sorted({c for spans in buys.values() for c, _, _ in spans})
    products = pd.DataFrame(
        {
            "product_id": pd.Series([f"P-{c}" for c in cats], dtype="str"),
            "name": pd.Series(cats, dtype="str"),
            "category": pd.Series(cats, dtype="str"),
            "list_price": np.full(len(cats), 10.0),
            "unit_cost": np.full(len(cats), 7.0),
        }
    )
    rows = []
    for account, spans in buys.items():
        for category, first, last in spans:
            for month in pd.date_range(first, last or "2026-10-01", freq="MS"):
                rows.append((account, f"P-{category}", month + pd.Timedelta(days=9)))
    orders = pd.DataFrame(rows, columns=["account_id", "product_id", "order_date"])
    orders.insert(0, "order_id", pd.Series([f"SO-{i:06d}" for i in range(len(orders))], dtype="str"))
    orders.insert(1, "line", np.ones(len(orders), dtype=np.int64))
    orders = orders.astype({"account_id": "str", "product_id": "str"})
    orders["quantity"] = 100.0
    orders["net_revenue"] = 1000.0 * orders["account_id"].map(scale or {}).fillna(1.0).astype(float)
    orders["cost"] = 0.7 * orders["net_revenue"]
    return Portfolio({"accounts": accounts, "products": products, "orders": orders, **(tables or {})}, AS_OF)


def _hierarchy_portfolio(tables=None) -> Portfolio:
    buys = {a: [("Base", "2023-11-01", None)] for a in TRADING}
    return _portfolio(buys, LINKS, extra_accounts=["G", "R1"], tables=tables)


def _inputs(rng: np.random.Generator, history_corr: float = 0.0) -> dict[str, pd.DataFrame]:
    """The earlier stages' tables for the trading accounts (the per-account stages never see G and R1)."""
    ids = TRADING
    n = len(ids)
    kpis = pd.DataFrame(
        {
            "account_id": ids,
            "revenue_ltm": rng.uniform(1e4, 1e5, n),
            "revenue_prior_ltm": rng.uniform(1e4, 1e5, n),
            "margin_ltm": rng.uniform(1e3, 1e4, n),
            "open_value": rng.uniform(0, 5e4, n),
            "open_ar": rng.uniform(0, 2e4, n),
            "overdue_ar": rng.uniform(0, 5e3, n),
            "complaints_open": rng.integers(0, 4, n),
        }
    )
    churn = pd.DataFrame({"account_id": ids, "revenue_at_risk": rng.uniform(0, 2e4, n)})
    sow = pd.DataFrame(
        {
            "account_id": ids,
            "potential_revenue": rng.uniform(1e5, 2e5, n),
            "revenue_ltm": kpis["revenue_ltm"],
            "wallet_known": np.arange(n) % 3 != 0,
        }
    )
    months = pd.date_range("2026-11-01", periods=12, freq="MS")
    level = rng.uniform(2e3, 8e3, n)
    sd = level * 0.3
    fc = pd.DataFrame(
        {
            "account_id": np.repeat(ids, 12),
            "ds": np.tile(months, n),
            "forecast": np.repeat(level, 12),
            "sd": np.repeat(sd, 12),
        }
    )
    z80, z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)
    fc["lo_80"], fc["hi_80"] = fc["forecast"] - z80 * fc["sd"], fc["forecast"] + z80 * fc["sd"]
    fc["lo_95"], fc["hi_95"] = fc["forecast"] - z95 * fc["sd"], fc["forecast"] + z95 * fc["sd"]
    year_sd = sd * np.sqrt(12) * 1.5
    summary = pd.DataFrame(
        {
            "account_id": ids,
            "forecast_next_12m": level * 12,
            "forecast_next_12m_lo_80": level * 12 - z80 * year_sd,
            "forecast_next_12m_hi_80": level * 12 + z80 * year_sd,
        }
    )
    total_sd = sd * 2
    booked = level * 10
    targets = pd.DataFrame(
        {
            "account_id": ids,
            "period": 2026,
            "revenue_target": level * 12 * rng.uniform(0.9, 1.1, n),
            "booked_ytd": booked,
            "expected_total": booked + 2 * level,
            "total_lo_80": booked + 2 * level - z80 * total_sd,
            "total_hi_80": booked + 2 * level + z80 * total_sd,
        }
    )
    targets["p_reach_target"] = 1 - stats.norm.cdf((targets["revenue_target"] - targets["expected_total"]) / total_sd)
    past = pd.date_range("2023-11-01", periods=36, freq="MS")
    common = rng.standard_normal(36)
    hist = pd.DataFrame(
        {
            "account_id": np.repeat(ids, 36),
            "ds": np.tile(past, n),
            "y": np.concatenate(
                [
                    level[i] + sd[i] * (history_corr * common + np.sqrt(1 - history_corr**2) * rng.standard_normal(36))
                    for i in range(n)
                ]
            ),
        }
    )
    return {
        "kpis": kpis,
        "churn": churn,
        "share_of_wallet": sow,
        "forecast": fc,
        "forecast_summary": summary,
        "forecast_targets": targets,
        "forecast_history": hist,
    }


def _run(portfolio: Portfolio, inputs: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    s = stage("groups")
    out = groups_stage.bundle_tables(portfolio, StageInputs(s, inputs))
    for name in GROUP_TABLES:
        validate_table(s, name, out[name])
    return out


@pytest.fixture(scope="module")
def hierarchy_run():
    rng = np.random.default_rng(11)
    inputs = _inputs(rng)
    return _hierarchy_portfolio(), inputs, _run(_hierarchy_portfolio(), inputs)


def test_every_group_figure_is_the_sum_of_its_units_at_three_levels(hierarchy_run):
    _, inputs, out = hierarchy_run
    roll = out["group_rollup"].set_index("account_id")
    assert sorted(roll.index) == ["G", "R1", "R2"]
    assert roll.loc["G", "depth"] == 0 and roll.loc["R1", "depth"] == 1 and roll.loc["R2", "depth"] == 1
    # units: U1-U5 at the lowest level (R1 and R2 are sub-groups, not units, as the index counts them)
    assert roll.loc["G", "n_units"] == 5 and roll.loc["G", "n_children"] == 3
    members = {"G": ["R2", "U1", "U2", "U3", "U4", "U5"], "R1": ["U1", "U2"], "R2": ["R2", "U3", "U4"]}
    kp = inputs["kpis"].set_index("account_id")
    risk = inputs["churn"].set_index("account_id")["revenue_at_risk"]
    fs = inputs["forecast_summary"].set_index("account_id")["forecast_next_12m"]
    tg = inputs["forecast_targets"].set_index("account_id")["revenue_target"]
    for parent, units in members.items():
        row = roll.loc[parent]
        assert row["revenue_12m"] == pytest.approx(kp.loc[units, "revenue_ltm"].sum())
        assert row["revenue_prior_12m"] == pytest.approx(kp.loc[units, "revenue_prior_ltm"].sum())
        assert row["margin_12m"] == pytest.approx(kp.loc[units, "margin_ltm"].sum())
        assert row["pipeline_open"] == pytest.approx(kp.loc[units, "open_value"].sum())
        assert row["receivables_open"] == pytest.approx(kp.loc[units, "open_ar"].sum())
        assert row["receivables_overdue"] == pytest.approx(kp.loc[units, "overdue_ar"].sum())
        assert row["complaints_open"] == kp.loc[units, "complaints_open"].sum()
        assert row["revenue_at_risk"] == pytest.approx(risk[units].sum())  # summed, not averaged
        assert row["forecast_12m"] == pytest.approx(fs[units].sum())
        assert row["target"] == pytest.approx(tg[units].sum())
        assert row["growth"] == pytest.approx(row["revenue_12m"] / row["revenue_prior_12m"] - 1)
        assert row["margin_pct"] == pytest.approx(row["margin_12m"] / row["revenue_12m"])
        assert 0 <= row["p_reach_target"] <= 1
        assert row["forecast_low"] < row["forecast_12m"] < row["forecast_high"]
        assert row["reconciliation"].startswith("the sum of the units' forecasts")
        assert "not the sum of the units' ranges" in row["reconciliation"]
    # the top equals its children's roll-ups plus the unit directly below it
    for col, unit in (
        ("revenue_12m", kp.loc["U5", "revenue_ltm"]),
        ("revenue_at_risk", risk["U5"]),
        ("forecast_12m", fs["U5"]),
    ):
        assert roll.loc["G", col] == pytest.approx(roll.loc["R1", col] + roll.loc["R2", col] + unit)
    # share of wallet over the units whose potential is known
    sow = inputs["share_of_wallet"].set_index("account_id")
    known = [u for u in members["G"] if sow.loc[u, "wallet_known"]]
    expected = sow.loc[known, "revenue_ltm"].sum() / sow.loc[known, "potential_revenue"].sum()
    assert roll.loc["G", "share_of_wallet"] == pytest.approx(expected)


def test_group_forecast_is_coherent_at_every_level_and_not_the_sum_of_bounds(hierarchy_run):
    _, inputs, out = hierarchy_run
    gf = out["group_forecast"]
    assert set(gf["unique_id"]) == {"G", "R1", "R2"} and (gf["level"] == 80).all()
    assert len(gf) == 3 * 12
    wide = {k: g.set_index("ds") for k, g in gf.groupby("unique_id")}
    fc = inputs["forecast"].pivot(index="ds", columns="account_id", values="forecast")
    # a parent equals the sum of its children (its own trading counted once), every month
    np.testing.assert_allclose(wide["R1"]["y_hat"], fc[["U1", "U2"]].sum(axis=1))
    np.testing.assert_allclose(wide["R2"]["y_hat"], fc[["R2", "U3", "U4"]].sum(axis=1))
    np.testing.assert_allclose(wide["G"]["y_hat"], wide["R1"]["y_hat"] + wide["R2"]["y_hat"] + fc["U5"])
    assert (gf["y_low"] <= gf["y_hat"]).all() and (gf["y_hat"] <= gf["y_high"]).all()
    # intervals from joint draws: narrower than the summed unit bounds (units not perfectly correlated)
    hi = inputs["forecast"].pivot(index="ds", columns="account_id", values="hi_80")
    lo = inputs["forecast"].pivot(index="ds", columns="account_id", values="lo_80")
    units = ["R2", "U1", "U2", "U3", "U4", "U5"]
    assert (wide["G"]["y_high"] < hi[units].sum(axis=1) - 1.0).all()
    assert (wide["G"]["y_low"] > lo[units].sum(axis=1) + 1.0).all()
    # and wider for the parent than for any of its parts
    assert ((wide["G"]["y_high"] - wide["G"]["y_low"]) > (wide["R2"]["y_high"] - wide["R2"]["y_low"])).all()


def test_correlated_units_give_a_wider_group_interval_than_independent_ones():
    rng = np.random.default_rng(5)
    independent = _run(_hierarchy_portfolio(), _inputs(rng, history_corr=0.0))["group_forecast"]
    rng = np.random.default_rng(5)
    correlated = _run(_hierarchy_portfolio(), _inputs(rng, history_corr=0.95))["group_forecast"]
    width = {
        name: (df[df["unique_id"] == "G"]["y_high"] - df[df["unique_id"] == "G"]["y_low"]).mean()
        for name, df in (("independent", independent), ("correlated", correlated))
    }
    assert width["correlated"] > 1.3 * width["independent"]


def test_the_group_plan_says_how_many_months_its_range_rests_on():
    """The words name the months the units' co-movement was measured on, and a short history says the units were
    drawn as independent (seen at 19 months of history: 'over the last 36 months' with 13 such months)."""
    rng = np.random.default_rng(5)
    inputs = _inputs(rng, history_corr=0.95)
    full = _run(_hierarchy_portfolio(), inputs)["group_rollup"].set_index("account_id").loc["G", "reconciliation"]
    # 36 months of history: a surprise needs the 6 months before it, so 30 months carry one
    assert "over the last 30 months" in full and "36" not in full
    hist = inputs["forecast_history"]
    short = {**inputs, "forecast_history": hist[hist["ds"] >= hist["ds"].max() - pd.DateOffset(months=14)]}
    out = _run(_hierarchy_portfolio(), short)
    words = out["group_rollup"].set_index("account_id").loc["G", "reconciliation"]
    assert "each unit drawn independently of the others" in words and "this history has 9 such months" in words
    assert "move together as far as" not in words

    # and the range is what independent units give: narrower than with the correlated 30 months
    def width(tables):
        g = tables["group_forecast"]
        g = g[g["unique_id"] == "G"]
        return float((g["y_high"] - g["y_low"]).mean())

    assert width(out) < width(_run(_hierarchy_portfolio(), inputs)) / 1.3


def test_one_unit_groups_chance_to_reach_target_is_the_units_own():
    rng = np.random.default_rng(3)
    inputs = _inputs(rng)
    buys = {a: [("Base", "2023-11-01", None)] for a in TRADING}
    p = _portfolio(buys, {"U1": "G"}, extra_accounts=["G"])
    roll = _run(p, inputs)["group_rollup"].set_index("account_id")
    own = inputs["forecast_targets"].set_index("account_id").loc["U1", "p_reach_target"]
    assert roll.loc["G", "p_reach_target"] == pytest.approx(own, abs=0.03)


def test_a_portfolio_without_parents_has_no_group_rows():
    rng = np.random.default_rng(1)
    buys = {a: [("Base", "2023-11-01", None)] for a in TRADING}
    for links in (None, {}):  # no column at all, or the column all empty
        p = _portfolio(buys, links)
        assert group_parents(p) == [] and without_group_parents(p) is p
        out = _run(p, _inputs(rng))
        for name in GROUP_TABLES[1:]:
            assert out[name].empty, name
        hier = out["group_hierarchy"]
        assert list(hier["account_id"]) == sorted(TRADING)
        assert (hier["group_id"] == hier["account_id"]).all() and (hier["depth"] == 0).all()
        assert not hier["is_group"].any()


def test_a_parent_that_trades_stays_a_customer_and_counts_in_its_group(hierarchy_run):
    p, inputs, out = hierarchy_run
    assert group_parents(p) == ["G", "R1"]  # R2 trades: a customer like any other
    seen = without_group_parents(p)
    assert sorted(seen.accounts["account_id"]) == sorted(TRADING)
    hier = out["group_hierarchy"].set_index("account_id")
    assert hier.loc["R2", "is_group"] and hier.loc["R2", "trades"]
    assert not hier.loc["G", "trades"] and hier.loc["U3", "group_id"] == "G" and hier.loc["U3", "depth"] == 2
    kp = inputs["kpis"].set_index("account_id")
    roll = out["group_rollup"].set_index("account_id")
    assert roll.loc["R2", "revenue_12m"] == pytest.approx(kp.loc[["R2", "U3", "U4"], "revenue_ltm"].sum())


def test_the_runner_hides_group_parents_from_per_account_stages():
    from kamtools.stages import run_stages

    opportunities = pd.DataFrame(
        {
            "opportunity_id": pd.Series(["OP-1", "OP-2"], dtype="str"),
            "account_id": pd.Series(["G", "U1"], dtype="str"),
            "created_date": pd.to_datetime(["2026-09-01", "2026-09-15"]),
            "close_date": pd.to_datetime(["2026-12-15", "2026-12-20"]),
            "stage": pd.Series(["Proposal", "Proposal"], dtype="str"),
            "status": pd.Series(["open", "open"], dtype="str"),
            "amount": [50_000.0, 20_000.0],
            "probability": [0.5, 0.4],
            "category": pd.Series(["Base", "Base"], dtype="str"),
            "our_price": [np.nan, np.nan],
            "competitor": pd.Series([None, None], dtype="str"),
            "competitor_price": [np.nan, np.nan],
            "loss_reason": pd.Series([None, None], dtype="str"),
        }
    )
    p = _hierarchy_portfolio({"opportunities": opportunities})
    out = run_stages(p, stages=["kpis", "groups"])
    assert sorted(out["kpis"]["account_id"]) == sorted(TRADING)  # no KPI row (nor health, talking points) for G, R1
    roll = out["group_rollup"].set_index("account_id")
    # the group-level bid at G counts in G's pipeline: its own, read with the KPI stage's function
    assert roll.loc["G", "pipeline_open"] == pytest.approx(70_000.0)
    assert roll.loc["R1", "pipeline_open"] == pytest.approx(20_000.0)
    assert roll.loc["G", "revenue_12m"] == pytest.approx(6 * 12 * 1000.0)  # R2, U1..U5


# ---- opportunity map and cross-unit backtest --------------------------------------------------------
def _planted() -> Portfolio:
    """Two groups of five units and 20 stand-alone accounts, all in one industry and of one size (one
    peer group). Stand-alones buy P1..P6; in each group four units buy the group's favourite (X1, X2)
    and the fifth starts buying it only after 2025-10-31 (the backtest date)."""
    buys: dict[str, list] = {}
    links = {}
    for i in range(20):
        buys[f"S{i:02d}"] = [("Base", "2023-11-01", None)] + [(f"P{j}", "2023-11-01", None) for j in range(1, 7)]
    for g, fav in (("G1", "X1"), ("G2", "X2")):
        for u in range(1, 6):
            unit = f"{g}U{u}"
            links[unit] = g
            start = "2026-01-01" if u == 1 else "2023-11-01"
            buys[unit] = [("Base", "2023-11-01", None), (fav, start, None)]
    scale = {u: (7.0 if u.endswith("U1") else 3.5) for u in links}  # 7,000 a month like the stand-alones
    return _portfolio(buys, links, extra_accounts=["G1", "G2"], scale=scale)


def test_cross_unit_ranking_finds_the_planted_adoption_that_peers_miss():
    bt = opportunity.cross_unit_backtest(_planted()).set_index("method")
    assert list(bt.index) == ["cross_unit", "peer"]
    assert (bt["as_of"] == pd.Timestamp("2025-10-31")).all()
    assert (bt["n_units"] == 10).all() and (bt["n_adoptions"] == 2).all()
    # 10 units x 5 recommendations; the two adoptions are the sisters' favourite, top of the cross-unit list
    assert bt.loc["cross_unit", "precision_at_5"] == pytest.approx(2 / 50)
    assert bt.loc["peer", "precision_at_5"] == 0.0
    assert bt["precision_ceiling"].tolist() == pytest.approx([2 / 50, 2 / 50])  # cross-unit reaches the best possible
    assert bt.loc["cross_unit", "auc"] > bt.loc["peer", "auc"]


def test_opportunity_map_says_what_sisters_buy_in_a_kams_words():
    buys = {f"G1U{u}": [("Base", "2023-11-01", None), ("X1", "2023-11-01", None)] for u in range(2, 6)}
    buys["G1U1"] = [("Base", "2023-11-01", None)]
    for i in range(6):
        buys[f"S{i}"] = [("Base", "2023-11-01", None)]
    p = _portfolio(buys, {f"G1U{u}": "G1" for u in range(1, 6)}, extra_accounts=["G1"])
    opp, note = opportunity.opportunity_map(p)
    assert note == opportunity.UNCALIBRATED_NOTE  # a year of history: no past year to calibrate the score on
    assert set(opp["account_id"]) == {f"G1U{u}" for u in range(1, 6)} and (opp["group_id"] == "G1").all()
    gap = opp[(opp["account_id"] == "G1U1") & (opp["category"] == "X1")].iloc[0]
    assert not gap["buys"] and gap["n_sisters"] == 4 and gap["n_sisters_buying"] == 4 and gap["sister_share"] == 1.0
    assert 0 < gap["p_adopt"] < 1
    # spend if adopted: the sisters spend half their revenue on X1, times this unit's 12,000 a year
    assert gap["expected_value"] == pytest.approx(gap["p_adopt"] * 6_000.0)
    assert gap["reason"] == (
        f"Bought by 4 of 4 sister companies, not by this unit: expected {formatting.money(gap['expected_value'])} "
        f"a year (score {formatting.pct(gap['p_adopt'])}: the share of sister units buying it, not a tested chance)."
    )
    bought = opp[(opp["account_id"] == "G1U2") & (opp["category"] == "X1")].iloc[0]
    assert bought["buys"] and np.isnan(bought["p_adopt"])
    assert bought["reason"] == "Buys it (12.0k in the last 12 months); 3 of 4 sister companies buy it too."
    assert opportunity.reason(False, 1e4, 0.0, 8, 6, 0.4, 120_000.0, currency="EUR") == (
        "Bought by 6 of 8 sister companies, not by this unit: expected €120.0k a year (40% chance in the next 12 months)."
    )  # a calibrated chance (the default)


def test_a_units_lopsided_range_still_gives_the_group_spread():
    """A unit's 12-month range read from past outcomes may start at zero and sit below the point
    forecast's mirror image; its width, not its upper side alone, is the spread the group draws with."""
    from kamtools.groups import reconcile

    sd = reconcile.sd_from_range([0.0, 80.0], [256.3, 120.0])
    assert sd[0] == pytest.approx(100.0, rel=1e-3)  # from zero to the high quantile
    assert sd[1] == pytest.approx(40.0 / 2.5631, rel=1e-3)
    # the upper side alone would say "no spread" where the forecast sits at the range's top
    assert reconcile.sd_from_upper(256.3, 256.3) == 0.0 and sd[0] > 0


def _lopsided_targets(inputs: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """U1 and U2 with a year total as the forecast stage's blended method gives it: a range lopsided
    above the expected total and a chance a normal through that range would not give."""
    t = inputs["forecast_targets"].set_index("account_id")
    for u in ("U1", "U2"):
        t.loc[u, ["booked_ytd", "expected_total", "revenue_target"]] = [100_000.0, 150_000.0, 160_000.0]
        t.loc[u, ["total_lo_80", "total_hi_80", "p_reach_target"]] = [125_000.0, 230_000.0, 0.31]
    return {**inputs, "forecast_targets": t.reset_index()}


def test_one_unit_group_shows_exactly_its_accounts_chance_when_the_year_total_is_not_normal():
    inputs = _lopsided_targets(_inputs(np.random.default_rng(3)))
    buys = {a: [("Base", "2023-11-01", None)] for a in TRADING}
    roll = _run(_portfolio(buys, {"U1": "G"}, extra_accounts=["G"]), inputs)["group_rollup"].set_index("account_id")
    # a normal refitted from the upper bound would say 43%; the account page says 31%
    assert roll.loc["G", "p_reach_target"] == pytest.approx(0.31, abs=1e-12)
    assert roll.loc["G", "target"] == pytest.approx(160_000.0)


def test_one_unit_group_shows_its_accounts_lopsided_12_month_range():
    inputs = _inputs(np.random.default_rng(3))
    s = inputs["forecast_summary"].set_index("account_id")
    s.loc["U1", ["forecast_next_12m", "forecast_next_12m_lo_80", "forecast_next_12m_hi_80"]] = [60e3, 0.0, 180e3]
    inputs = {**inputs, "forecast_summary": s.reset_index()}
    buys = {a: [("Base", "2023-11-01", None)] for a in TRADING}
    roll = _run(_portfolio(buys, {"U1": "G"}, extra_accounts=["G"]), inputs)["group_rollup"].set_index("account_id")
    assert roll.loc["G", ["forecast_12m", "forecast_low", "forecast_high"]].tolist() == [60e3, 0.0, 180e3]


def test_a_units_year_total_drawn_alone_keeps_its_range_and_its_chance():
    from kamtools.groups import reconcile
    from kamtools.groups.rollup import year_total_draws

    t = _lopsided_targets(_inputs(np.random.default_rng(3)))["forecast_targets"].set_index("account_id")
    rows = t.loc[["U1"]]
    z = reconcile.copula_draws(np.eye(1), "one", 20_000)
    draws = year_total_draws(z, rows)[:, 0]
    assert np.quantile(draws, [0.1, 0.9]) == pytest.approx([125_000.0, 230_000.0], rel=0.01)
    assert float((draws >= 160_000.0).mean()) == pytest.approx(0.31, abs=0.01)
    assert draws.min() >= 100_000.0  # never below what is booked
