"""Scenario engine: hand-checked arithmetic, properties (hypothesis), elasticity, bundle integration."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from kamtools import scenario as sc
from kamtools.data.portfolio import Portfolio
from kamtools.scenario import Baseline, Scenario, ScenarioError, evaluate
from kamtools.scenario.baseline import _sum_sd

SCOPE = "account:A1"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def make_baseline(
    revenue=None,
    categories=("X",),
    start="2027-01-01",
    cost_ratio=0.6,
    elasticity=-2.0,
    whitespace=0.0,
    **kw,
) -> Baseline:
    cats = np.array(categories, dtype=object)
    T = 12 if revenue is None else np.asarray(revenue).reshape(len(cats), -1).shape[1]
    rev = np.full((len(cats), T), 100.0) if revenue is None else np.asarray(revenue, dtype=float)
    return Baseline(
        scope=kw.pop("scope", SCOPE),
        label="test account",
        as_of=pd.Timestamp(start) - pd.Timedelta(days=1),
        categories=cats,
        months=pd.date_range(start, periods=T, freq="MS"),
        revenue=rev,
        cost_ratio=cost_ratio,
        elasticity=elasticity,
        whitespace=whitespace,
        **kw,
    )


def monthly(res, col: str) -> np.ndarray:
    return res.monthly[col].to_numpy()


def build_bundle(portfolio, path, stages=("value", "segment", "whitespace", "kpis", "scenario")):
    """A bundle of the stages the scenario planner reads."""
    from kamtools import bundle as kb

    return kb.analyze(portfolio, path, stages=list(stages), progress=False)


def add_table(bundle_path, name: str, df: pd.DataFrame) -> None:
    """Write one more table into a bundle folder (for tables of stages not run in tests)."""
    from kamtools.bundle import MANIFEST, _write_table

    _write_table(df, bundle_path / f"{name}.parquet")
    mf = bundle_path / MANIFEST
    m = json.loads(mf.read_text())
    m["tables"][name] = {
        "stage": "test",
        "rows": len(df),
        "columns": [str(c) for c in df.columns],
        "per_account": "account_id" in df.columns,
    }
    mf.write_text(json.dumps(m))


# ---------------------------------------------------------------------------------------
# hand-checkable arithmetic
# ---------------------------------------------------------------------------------------
def test_price_rise_with_elasticity_minus_two():
    res = evaluate(make_baseline(), Scenario(scope=SCOPE, price_change=10.0))
    vol = 1.1**-2.0
    assert monthly(res, "revenue_scenario") == pytest.approx(np.full(12, 100 * 1.1 * vol))
    assert monthly(res, "cost_scenario") == pytest.approx(np.full(12, 60 * vol))
    assert res.kpi("gross_margin_12m") == pytest.approx(12 * (110 - 60) * vol)
    assert res.kpi("volume_change_12m") == pytest.approx(vol - 1)
    assert res.kpi("trade_investment_12m") == 0.0  # a price rise is no investment
    assert res.by_category["volume_change_pct"].iloc[0] == pytest.approx((vol - 1) * 100)


def test_price_cut_counts_as_trade_investment():
    res = evaluate(make_baseline(elasticity=-1.0), Scenario(scope=SCOPE, price_change=-10.0))
    # unit elasticity: revenue unchanged, volume up by 1/0.9; the discount on that volume is invested
    assert monthly(res, "revenue_scenario") == pytest.approx(np.full(12, 100.0))
    assert res.kpi("trade_investment_12m") == pytest.approx(12 * (100 / 0.9) * 0.1)
    assert res.kpi("gross_margin_12m") == pytest.approx(12 * (100 - 60 / 0.9))


def test_volume_and_category_overrides():
    b = make_baseline(revenue=np.vstack([np.full(12, 100.0), np.full(12, 50.0)]), categories=("X", "Y"))
    s = Scenario(scope=SCOPE, volume_change=5.0, volume_change_by_category={"Y": -20.0})
    res = evaluate(b, s)
    assert res.by_category["revenue_scenario"].to_numpy() == pytest.approx([12 * 105.0, 12 * 40.0])
    s2 = Scenario(scope=SCOPE, price_change_by_category={"Y": 10.0}, elasticity_by_category={"Y": 0.0})
    res2 = evaluate(b, s2)
    assert res2.by_category["revenue_scenario"].to_numpy() == pytest.approx([1200.0, 12 * 55.0])
    assert res2.by_category["price_change_pct"].to_numpy() == pytest.approx([0.0, 10.0])


def test_promotion_spend_and_uplift():
    res = evaluate(make_baseline(), Scenario(scope=SCOPE, promotion_spend=1200.0, promotion_uplift=2.0))
    assert monthly(res, "revenue_scenario") == pytest.approx(np.full(12, 300.0))  # 100 + 100 spend x 2
    assert monthly(res, "promotion_spend_scenario") == pytest.approx(np.full(12, 100.0))
    assert res.kpi("trade_investment_12m") == pytest.approx(1200.0)
    gm = 12 * (300 - 0.6 * 300)
    assert res.kpi("gross_margin_12m") == pytest.approx(gm)
    assert res.kpi("margin_after_trade_12m") == pytest.approx(gm - 1200.0)


def test_churn_reduction_keeps_part_of_revenue_at_risk():
    b = make_baseline(revenue_at_risk=120.0)  # 10% of the first year's 1,200
    res = evaluate(b, Scenario(scope=SCOPE, churn_reduction=50.0))
    assert monthly(res, "revenue_scenario") == pytest.approx(np.full(12, 105.0))
    assert res.kpi("revenue_12m") - res.kpi("revenue_12m", "baseline") == pytest.approx(60.0)


def test_whitespace_capture_ramps_up():
    b = make_baseline(
        revenue=np.vstack([np.full(12, 100.0), np.zeros(12)]), categories=("X", "New"), whitespace=[0.0, 2400.0]
    )
    res = evaluate(b, Scenario(scope=SCOPE, whitespace_capture=50.0, whitespace_ramp_months=3))
    full = 0.5 * 2400 / 12
    new = monthly(res, "revenue_scenario") - 100.0
    assert new[:4] == pytest.approx([full / 3, 2 * full / 3, full, full])
    assert res.by_category.set_index("category").loc["New", "revenue_scenario"] == pytest.approx(
        full * (1 / 3 + 2 / 3 + 1 + 9)
    )


def test_payment_terms_drive_receivables_and_their_cost():
    b = make_baseline(dso_days=40.0, payment_terms_days=30.0)
    res = evaluate(b, Scenario(scope=SCOPE, payment_terms_days=60.0, cost_of_capital=10.0))
    assert monthly(res, "receivables_baseline") == pytest.approx(np.full(12, 100 * 12 / 365 * 40))
    assert monthly(res, "receivables_scenario") == pytest.approx(np.full(12, 100 * 12 / 365 * 70))
    assert res.kpi("working_capital_cost_12m") == pytest.approx(12 * 100 * 12 / 365 * 70 * 0.10 / 12)
    assert monthly(res, "revenue_scenario") == pytest.approx(monthly(res, "revenue_baseline"))


def test_yearly_attainment_and_probability_of_target():
    b = make_baseline(booked={2027: 0.0}, targets={2027: 1200.0}, sd={2027: 100.0})
    base = evaluate(b, Scenario(scope=SCOPE))
    y = base.yearly.iloc[0]
    assert y["complete"] and y["attainment_baseline"] == pytest.approx(1.0)
    assert y["p_target_baseline"] == pytest.approx(0.5)  # forecast exactly on target
    res = evaluate(b, Scenario(scope=SCOPE, volume_change=10.0))
    y = res.yearly.iloc[0]
    assert y["attainment_scenario"] == pytest.approx(1.1)
    # the uncertainty scales with the revenue level: sd 110 around 1,320
    assert y["p_target_scenario"] == pytest.approx(stats.norm.sf(1200, loc=1320, scale=110))
    assert res.kpi("p_target_2027") == pytest.approx(y["p_target_scenario"])


def test_partial_years_and_booked_revenue():
    # forecast from November: the current year is booked Jan-Oct + 2 forecast months; next year has 10 months only
    b = make_baseline(start="2026-11-01", booked={2026: 1000.0, 2027: 0.0}, targets={2026: 1100.0, 2027: 2000.0})
    res = evaluate(b, Scenario(scope=SCOPE))
    y = res.yearly.set_index("year")
    assert y.loc[2026, "months"] == 2 and y.loc[2026, "complete"]
    assert y.loc[2026, "revenue_year_baseline"] == pytest.approx(1200.0)
    assert y.loc[2026, "attainment_baseline"] == pytest.approx(1200 / 1100)
    assert not y.loc[2027, "complete"] and np.isnan(y.loc[2027, "attainment_baseline"])
    assert "attainment_2027" not in set(res.kpis["metric"])
    assert np.isnan(y.loc[2026, "p_target_baseline"])  # no forecast uncertainty known


def test_result_frames_have_documented_columns():
    res = evaluate(make_baseline(), Scenario(name="s1", scope=SCOPE, price_change=2))
    for frame in (res.monthly, res.yearly, res.by_category, res.kpis):
        assert {"scope", "scenario"} <= set(frame.columns)
        assert set(frame["scenario"]) == {"s1"}
    assert {
        "ds",
        "year",
        "revenue_baseline",
        "revenue_scenario",
        "gross_margin_scenario",
        "receivables_scenario",
    } <= set(res.monthly.columns)
    assert list(res.kpis.columns[-3:]) == ["baseline_value", "scenario_value", "delta"]
    with pytest.raises(KeyError, match="no KPI"):
        res.kpi("nonsense")


# ---------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------
@st.composite
def baselines(draw):
    C = draw(st.integers(1, 4))
    T = draw(st.integers(1, 24))
    rev = draw(
        st.lists(st.floats(0, 1e6, allow_nan=False), min_size=C * T, max_size=C * T).map(
            lambda v: np.array(v).reshape(C, T)
        )
    )
    cats = [f"c{i}" for i in range(C)]
    return make_baseline(
        revenue=rev,
        categories=cats,
        start=draw(st.sampled_from(["2026-01-01", "2026-07-01", "2026-11-01"])),
        cost_ratio=np.array(draw(st.lists(st.floats(0, 1.5), min_size=C, max_size=C))),
        elasticity=np.array(draw(st.lists(st.floats(-6, 0), min_size=C, max_size=C))),
        whitespace=np.array(draw(st.lists(st.floats(0, 1e6), min_size=C, max_size=C))),
        revenue_at_risk=draw(st.floats(0, 1e6)),
        dso_days=draw(st.floats(0, 120)),
        payment_terms_days=draw(st.floats(0, 90)),
        targets={2026: draw(st.floats(1, 1e7)), 2027: draw(st.floats(1, 1e7))},
        sd={2026: draw(st.floats(0, 1e5)), 2027: draw(st.floats(0, 1e5))},
        booked={2026: draw(st.floats(0, 1e6))},
    )


@FAST
@given(b=baselines(), coc=st.floats(0, 100), uplift=st.floats(0, 50), ramp=st.integers(0, 36))
def test_zero_levers_reproduce_the_baseline_exactly(b, coc, uplift, ramp):
    s = Scenario(scope=SCOPE, cost_of_capital=coc, promotion_uplift=uplift, whitespace_ramp_months=ramp)
    assert s.is_neutral
    res = evaluate(b, s)
    m, y = res.monthly, res.yearly
    for measure in ("revenue", "cost", "gross_margin", "trade_investment", "receivables", "financing_cost"):
        assert np.array_equal(m[f"{measure}_scenario"].to_numpy(), m[f"{measure}_baseline"].to_numpy())
    np.testing.assert_array_equal(m["revenue_baseline"].to_numpy(), b.revenue.sum(axis=0))
    for col in ("revenue_year", "attainment", "p_target", "gross_margin_pct"):
        np.testing.assert_array_equal(y[f"{col}_scenario"].to_numpy(), y[f"{col}_baseline"].to_numpy())
    assert (res.kpis["delta"].fillna(0.0) == 0.0).all()


@FAST
@given(b=baselines(), price=st.floats(0.01, 200), e=st.floats(-6, 0))
def test_a_higher_price_with_negative_elasticity_never_raises_volume(b, price, e):
    res = evaluate(b, Scenario(scope=SCOPE, price_change=price, elasticity=e))
    assert (res.by_category["volume_change_pct"].dropna() <= 1e-9).all()
    vol = res.kpi("volume_change_12m")
    assert math.isnan(vol) or vol <= 1e-12
    # and revenue moves with (1 + p) ** (1 + e): up when demand is inelastic, down when elastic
    rev_b, rev_s = res.kpi("revenue_12m", "baseline"), res.kpi("revenue_12m")
    if e > -1:
        assert rev_s >= rev_b * (1 - 1e-12)
    elif e < -1:
        assert rev_s <= rev_b * (1 + 1e-12)


@FAST
@given(b=baselines(), v1=st.floats(-100, 500), v2=st.floats(-100, 500))
def test_revenue_is_monotone_in_volume(b, v1, v2):
    lo, hi = sorted((v1, v2))
    r_lo = evaluate(b, Scenario(scope=SCOPE, volume_change=lo)).kpi("revenue_12m")
    r_hi = evaluate(b, Scenario(scope=SCOPE, volume_change=hi)).kpi("revenue_12m")
    assert r_lo <= r_hi * (1 + 1e-12) + 1e-9


@FAST
@given(b=baselines(), d1=st.floats(0, 365), d2=st.floats(0, 365))
def test_longer_payment_terms_mean_more_receivables_and_no_other_change(b, d1, d2):
    lo, hi = sorted((d1, d2))
    a = evaluate(b, Scenario(scope=SCOPE, payment_terms_days=lo))
    z = evaluate(b, Scenario(scope=SCOPE, payment_terms_days=hi))
    assert (a.monthly["receivables_scenario"] <= z.monthly["receivables_scenario"] + 1e-9).all()
    np.testing.assert_array_equal(a.monthly["revenue_scenario"], z.monthly["revenue_scenario"])


@FAST
@given(b=baselines(), spend=st.floats(0, 1e7))
def test_promotion_without_uplift_only_costs(b, spend):
    res = evaluate(b, Scenario(scope=SCOPE, promotion_spend=spend, promotion_uplift=0.0))
    assert res.kpi("revenue_12m") == res.kpi("revenue_12m", "baseline")
    n = min(12, len(b.months))
    assert res.kpi("trade_investment_12m") == pytest.approx(spend / 12 * n)
    assert res.kpi("margin_after_trade_12m") == pytest.approx(
        res.kpi("margin_after_trade_12m", "baseline") - spend / 12 * n, rel=1e-9, abs=1e-6
    )


scenarios = st.builds(
    Scenario,
    name=st.text(min_size=1, max_size=20),
    scope=st.sampled_from(["portfolio", "account:A0001", "tier:1", "region:North Sea"]),
    price_change=st.floats(-90, 200),
    price_change_by_category=st.dictionaries(st.text(min_size=1, max_size=8), st.floats(-90, 200), max_size=3),
    volume_change=st.floats(-100, 500),
    volume_change_by_category=st.dictionaries(st.text(min_size=1, max_size=8), st.floats(-100, 500), max_size=3),
    elasticity=st.none() | st.floats(-6, 0),
    elasticity_by_category=st.dictionaries(st.text(min_size=1, max_size=8), st.floats(-6, 0), max_size=2),
    churn_reduction=st.floats(0, 100),
    whitespace_capture=st.floats(0, 100),
    whitespace_ramp_months=st.integers(0, 36),
    promotion_spend=st.floats(0, 1e9),
    promotion_uplift=st.floats(0, 50),
    payment_terms_days=st.none() | st.floats(0, 365),
    cost_of_capital=st.floats(0, 100),
    notes=st.text(max_size=40),
)


@FAST
@given(s=scenarios)
def test_json_round_trip(s):
    assert Scenario.from_json(s.to_json()) == s
    assert Scenario.from_dict(json.loads(json.dumps(s.to_dict()))) == s


# ---------------------------------------------------------------------------------------
# persistence and validation
# ---------------------------------------------------------------------------------------
def test_save_and_load_files(tmp_path):
    a = Scenario(name="Price +3%", scope="account:A0001", price_change=3.0, notes="QBR")
    b = Scenario(name="Promo", scope="tier:1", promotion_spend=5e4)
    path = a.save(tmp_path)
    assert path.name == sc.file_name("Price +3%") and path.name.startswith("price-3-") and Scenario.load(path) == a
    both = sc.save([a, b], tmp_path / "all.json")
    assert sc.load(both) == [a, b]
    assert sc.load(path) == [a]
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        sc.load(tmp_path / "bad.json")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"price_change": -95}, "price_change must be between -90 and 200"),
        ({"churn_reduction": 120}, "churn_reduction must be between 0 and 100"),
        ({"elasticity": 0.5}, "elasticity must be between -6 and 0"),
        ({"price_change_by_category": {"Premixes": float("nan")}}, r"price_change_by_category\['Premixes'\]"),
        ({"payment_terms_days": -1}, "payment_terms_days"),
        ({"scope": "account"}, "scope must be"),
        ({"promotion_spend": "lots"}, "promotion_spend must be a number"),
    ],
)
def test_bad_levers_are_named(kwargs, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario(**kwargs)


def test_unknown_fields_and_categories_are_named():
    with pytest.raises(ScenarioError, match=r"unknown scenario field\(s\) \['price'\]"):
        Scenario.from_dict({"name": "x", "price": 3})
    with pytest.raises(ScenarioError, match="unknown scenario format"):
        Scenario.from_dict({"format": "other/2"})
    with pytest.raises(ScenarioError, match=r"unknown category \['Nope'\].*categories are \['X'\]"):
        evaluate(make_baseline(), Scenario(scope=SCOPE, price_change_by_category={"Nope": 1.0}))
    with pytest.raises(ScenarioError, match="baseline is for"):
        evaluate(make_baseline(), Scenario(scope="portfolio"))


def test_scope_parsing_and_selection():
    acc = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "tier": ["1", "2", "1"], "name": ["One", "Two", "Three"]})
    assert sc.parse_scope("portfolio") == ("portfolio", None)
    assert sc.parse_scope("region:North:East") == ("region", "North:East")
    assert list(sc.scope_accounts(acc, "tier:1")) == ["A1", "A3"]
    assert list(sc.scope_accounts(acc, "account:A2")) == ["A2"]
    assert len(sc.scope_accounts(acc, "portfolio")) == 3
    with pytest.raises(ScenarioError, match="'A9' is not in"):
        sc.scope_accounts(acc, "account:A9")
    with pytest.raises(ScenarioError, match="no column 'region'"):
        sc.scope_accounts(acc, "region:North")
    with pytest.raises(ScenarioError, match=r"no account has tier = '7'"):
        sc.scope_accounts(acc, "tier:7")
    assert sc.scope_label("account:A2", acc) == "A2 Two"
    assert sc.scope_label("tier:1") == "Tier 1"
    labels = [v for _, v in sc.scopes(acc)]
    assert labels[:3] == ["portfolio", "tier:1", "tier:2"] and "account:A3" in labels


# ---------------------------------------------------------------------------------------
# elasticity
# ---------------------------------------------------------------------------------------
def planted_portfolio(elasticity: float = -1.5, n_accounts: int = 3, months: int = 48, price_sd: float = 0.08, seed=0):
    """Accounts buying one product per category monthly with a planted constant elasticity."""
    rng = np.random.default_rng(seed)
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n_accounts)],
            "name": [f"Account {i}" for i in range(n_accounts)],
            "industry": "Feed milling",
            "region": "North",
            "country": "SE",
            "channel": "Direct",
            "owner": "M. Berg",
            "customer_since": pd.Timestamp("2015-01-01"),
            "potential_revenue": np.nan,
        }
    )
    products = pd.DataFrame(
        {
            "product_id": ["P1", "P2"],
            "name": ["Premix", "Bag"],
            "category": ["Premixes", "Packaging"],
            "list_price": [10.0, 2.0],
            "unit_cost": [6.0, 1.0],
        }
    )
    rows = []
    dates = pd.date_range("2022-11-01", periods=months, freq="MS") + pd.Timedelta(days=9)
    for a in range(n_accounts):
        level = 1000 * (a + 1)
        for pid, base_price, sd in (("P1", 10.0, price_sd), ("P2", 2.0, 0.0)):
            price = base_price * np.exp(rng.normal(0, sd, months))
            season = 1 + 0.25 * np.sin(2 * np.pi * dates.month.to_numpy() / 12)
            qty = np.round(level * (price / base_price) ** elasticity * season * np.exp(rng.normal(0, 0.05, months)))
            rows.append(
                pd.DataFrame(
                    {
                        "order_id": [f"SO-{a}-{pid}-{i}" for i in range(months)],
                        "line": 1,
                        "account_id": f"A{a}",
                        "product_id": pid,
                        "order_date": dates,
                        "quantity": qty,
                        "net_revenue": qty * price,
                        "cost": qty * base_price * 0.6,
                    }
                )
            )
    orders = pd.concat(rows, ignore_index=True)
    return Portfolio({"accounts": accounts, "products": products, "orders": orders}, dates[-1] + pd.Timedelta(days=30))


def test_price_volume_table_values_volume_at_reference_prices():
    p = planted_portfolio(n_accounts=1, months=30)
    pv = sc.price_volume_table(p)
    assert list(pv.columns) == sc.PRICE_VOLUME_COLUMNS
    assert pv["ds"].max() <= p.last_complete_month
    packaging = pv[pv["category"] == "Packaging"]
    np.testing.assert_allclose(packaging["price_index"], 1.0)  # constant price = the reference
    np.testing.assert_allclose(pv["volume"] * pv["price_index"], pv["net_revenue"])


def test_estimate_recovers_a_planted_elasticity_for_one_account():
    p = planted_portfolio(elasticity=-1.5, n_accounts=1)
    est = sc.estimate_elasticity(p, "account:A0").set_index("category")
    pm = est.loc["Premixes"]
    assert pm["usable"] and pm["ci_low"] < -1.5 < pm["ci_high"]
    assert abs(pm["estimate"] + 1.5) < 0.15
    pk = est.loc["Packaging"]
    assert not pk["usable"] and "price hardly moved" in pk["reason"] and np.isnan(pk["estimate"])


def test_pooled_estimate_with_account_effects():
    p = planted_portfolio(elasticity=-0.7, n_accounts=4, seed=3)
    est = sc.estimate_elasticity(p, "portfolio").set_index("category")
    pm = est.loc["Premixes"]
    assert pm["n_accounts"] == 4 and pm["usable"]
    assert pm["ci_low"] < -0.7 < pm["ci_high"] and pm["ci_high"] - pm["ci_low"] < 0.3


def test_too_few_months_fall_back():
    p = planted_portfolio(n_accounts=1, months=14)
    est = sc.estimate_elasticity(p, "account:A0").set_index("category")
    assert not est.loc["Premixes", "usable"] and "months with purchases" in est.loc["Premixes", "reason"]


def test_batch_estimates_equal_statsmodels():
    p = planted_portfolio(elasticity=-1.2, n_accounts=3, seed=7)
    pv = sc.price_volume_table(p)
    pv = pv.drop(index=pv.index[::7])  # gaps: months without purchases
    batch = sc.batch_account_elasticities(pv).set_index(["account_id", "category"])
    for (aid, cat), g in pv.groupby(["account_id", "category"]):
        one = sc.elasticity._fit_elasticity(g, pooled=False)
        row = batch.loc[(aid, cat)]
        assert row["usable"] == one["usable"]
        if one["usable"]:
            assert row["estimate"] == pytest.approx(one["estimate"], rel=1e-9)
            assert row["std_err"] == pytest.approx(one["std_err"], rel=1e-9)
            assert row["ci_low"] == pytest.approx(one["ci_low"], rel=1e-9)


def test_bundle_tables_fall_back_through_tier_portfolio_default():
    p = planted_portfolio(elasticity=-1.5, n_accounts=3)
    segments = pd.DataFrame({"account_id": ["A0", "A1", "A2"], "tier": ["1", "1", "2"]})
    out = sc.bundle_tables(p, {"segments": segments})
    assert set(out) == {"scenario_price_volume", "scenario_elasticity", "scenario_elasticity_pooled", "scenario_terms"}
    own = out["scenario_elasticity"].set_index(["account_id", "category"])
    assert own.loc[("A0", "Premixes"), "elasticity_source"] == "account"
    assert own.loc[("A0", "Packaging"), "elasticity_source"] == "default"
    assert own.loc[("A0", "Packaging"), "elasticity"] == sc.DEFAULT_ELASTICITY
    pooled = out["scenario_elasticity_pooled"]
    assert set(pooled["scope"]) == {"portfolio", "tier:1", "tier:2"}
    # no invoices: payment terms unknown (NaN), not invented
    assert out["scenario_terms"]["payment_terms_days"].isna().all()


# ---------------------------------------------------------------------------------------
# integration with a real bundle
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=40, years=4, seed=3)
    return build_bundle(portfolio, tmp_path_factory.mktemp("scen") / "bundle")


def test_bundle_has_scenario_tables(bundle):
    pv = bundle.table("scenario_price_volume")
    assert list(pv.columns) == sc.PRICE_VOLUME_COLUMNS and len(pv) > 100
    el = bundle.table("scenario_elasticity")
    assert {"account_id", "category", "estimate", "ci_low", "ci_high", "elasticity", "elasticity_source"} <= set(
        el.columns
    )
    assert el["elasticity"].between(*sc.ELASTICITY_RANGE).all()
    terms = bundle.table("scenario_terms")
    assert terms["payment_terms_days"].notna().mean() > 0.5


def test_baseline_of_an_account_without_forecast_repeats_last_year(bundle):
    aid = bundle.accounts.sort_values("revenue_ltm").iloc[-1]["account_id"]
    b = sc.baseline(bundle, f"account:{aid}")
    assert b.baseline_method == "same month last year"
    assert any("No forecast" in n for n in b.notes)
    # twelve months and on to the end of next year, so that next year's target can be judged
    assert len(b.months) == 14 and b.months[0] == pd.Timestamp("2026-11-01") and b.months[-1].month == 12
    ltm = bundle.accounts.set_index("account_id").loc[aid, "revenue_ltm"]
    assert b.revenue[:, :12].sum() == pytest.approx(ltm, rel=0.02)
    assert 0 < b.dso_days < 200 and b.targets
    res = evaluate(bundle, Scenario(scope=f"account:{aid}", price_change=3))
    assert res.kpi("revenue_12m", "baseline") == pytest.approx(b.revenue[:, :12].sum())
    assert res.yearly["complete"].all()


def test_group_baselines_add_up(bundle):
    ids = bundle.accounts["account_id"].tolist()
    s = dict(volume_change=7.0, promotion_spend=1000.0)
    total = sum(
        evaluate(sc.baseline(bundle, f"account:{a}"), Scenario(scope=f"account:{a}", **s)).kpi("revenue_12m")
        for a in ids
    )
    port = evaluate(bundle, Scenario(scope="portfolio", promotion_spend=1000.0 * len(ids), volume_change=7.0))
    assert port.kpi("revenue_12m") == pytest.approx(total, rel=1e-9)
    tier = str(bundle.accounts["tier"].dropna().astype(str).iloc[0])
    tb = sc.baseline(bundle, f"tier:{tier}")
    assert tb.n_accounts == (bundle.accounts["tier"].astype(str) == tier).sum()


def test_forecast_and_churn_tables_are_used_when_present(bundle, tmp_path):
    path = tmp_path / "with_forecast"
    shutil.copytree(bundle.path, path)
    accounts = bundle.accounts["account_id"].tolist()
    months = pd.date_range("2026-11-01", periods=14, freq="MS")
    fc = pd.DataFrame(
        {
            "unique_id": np.repeat(accounts, len(months)),
            "account_id": np.repeat(accounts, len(months)),
            "ds": np.tile(months, len(accounts)),
            "forecast": 1000.0,
            "lo_80": 1000.0 - 100 * 1.2815515655446004,
            "hi_80": 1000.0 + 100 * 1.2815515655446004,
            "sd": 100.0,
        }
    )
    add_table(path, "forecast", fc)
    add_table(path, "churn", pd.DataFrame({"account_id": accounts, "revenue_at_risk": 1200.0}))
    # the forecast's own year-total distribution for the first account only (sd 500)
    z80 = stats.norm.ppf(0.9)
    targets = pd.DataFrame(
        {
            "account_id": [accounts[0]],
            "period": [2027],
            "revenue_target": [12_500.0],
            "expected_total": [12_000.0],
            "total_lo_80": [12_000.0 - 500 * z80],
            "total_hi_80": [12_000.0 + 500 * z80],
        }
    )
    add_table(path, "forecast_targets", targets)
    from kamtools.bundle import Bundle

    b2 = Bundle.open(path)
    aid, other = accounts[0], accounts[1]
    base = sc.baseline(b2, f"account:{aid}")
    assert base.baseline_method == "forecast" and len(base.months) == 14
    assert base.revenue.sum() == pytest.approx(14_000.0)
    assert base.sd[2027] == pytest.approx(500.0)
    assert base.targets == {2027: 12_500.0}
    assert base.revenue_at_risk == 1200.0
    res = evaluate(base, Scenario(scope=f"account:{aid}", churn_reduction=100.0))
    assert res.kpi("revenue_12m") - res.kpi("revenue_12m", "baseline") == pytest.approx(1200.0)
    y = res.yearly.set_index("year").loc[2027]
    assert y["p_target_baseline"] == pytest.approx(stats.norm.sf(12_500, loc=12_000, scale=500))
    assert y["p_target_scenario"] > y["p_target_baseline"]
    # without the forecast's year interval: monthly sds combined with correlated months
    assert sc.baseline(b2, f"account:{other}").sd[2027] == pytest.approx(_sum_sd(np.full(12, 100.0)))
    pair = sc.baseline(b2, "portfolio")
    n = len(accounts)
    assert pair.sd[2027] == pytest.approx(np.sqrt(500.0**2 + (n - 1) * _sum_sd(np.full(12, 100.0)) ** 2))


def test_a_twelve_month_forecast_is_completed_to_the_year_end(bundle, tmp_path):
    path = tmp_path / "twelve"
    shutil.copytree(bundle.path, path)
    accounts = bundle.accounts["account_id"].tolist()
    months = pd.date_range("2026-11-01", periods=12, freq="MS")  # to Oct 2027
    z80 = stats.norm.ppf(0.9)
    fc = pd.DataFrame(
        {
            "account_id": np.repeat(accounts, 12),
            "unique_id": np.repeat(accounts, 12),
            "ds": np.tile(months, len(accounts)),
            "forecast": 1000.0,
            "lo_80": 1000.0 - 100 * z80,
            "hi_80": 1000.0 + 100 * z80,
            "sd": 100.0,
        }
    )
    add_table(path, "forecast", fc)
    a, other = accounts[0], accounts[1]
    targets = pd.DataFrame(
        {
            "account_id": [a],
            "period": [2027],
            "revenue_target": [13_000.0],
            "booked_ytd": [0.0],
            "expected_total": [12_400.0],  # 10 forecast months of 1,000 + 2,400 for Nov-Dec
            "total_hi_80": [12_400.0 + 800 * z80],
            "p_reach_target": [0.2],  # the forecast's own (e.g. Student-t) probability
        }
    )
    add_table(path, "forecast_targets", targets)
    from kamtools.bundle import Bundle

    b2 = Bundle.open(path)
    base = sc.baseline(b2, f"account:{a}")
    assert base.months[-1] == pd.Timestamp("2027-12-01") and len(base.months) == 14
    assert base.revenue[:, -2:].sum() == pytest.approx(2_400.0)
    assert any("Nov-Dec 2027" in n and "expected year total" in n for n in base.notes)
    res = evaluate(base, Scenario(scope=f"account:{a}"))
    y = res.yearly.set_index("year").loc[2027]
    assert y["revenue_year_baseline"] == pytest.approx(12_400.0)
    assert y["p_target_baseline"] == pytest.approx(0.2)  # matches the forecast at zero levers
    assert evaluate(base, Scenario(scope=f"account:{a}", volume_change=5)).yearly["p_target_scenario"].iloc[-1] > 0.2
    # an account without the forecast's year total repeats November and December a year
    # earlier, which are forecast months (Nov-Dec 2026, after as_of), not zeros from history
    ob = sc.baseline(b2, f"account:{other}")
    assert ob.revenue[:, -2:].sum(axis=0) == pytest.approx([1000.0, 1000.0])
    assert any("same months a year earlier" in n for n in ob.notes)
    # horizon cuts without extending
    assert len(sc.baseline(b2, f"account:{a}", horizon=6).months) == 6


def test_compare_several_scenarios(bundle):
    aid = bundle.accounts["account_id"].iloc[2]
    table = sc.compare(
        bundle,
        [
            Scenario(name="price", scope=f"account:{aid}", price_change=4, elasticity=-0.5),
            Scenario(name="promo", scope=f"account:{aid}", promotion_spend=20_000),
            Scenario(name="portfolio volume", scope="portfolio", volume_change=5),
        ],
    )
    assert table["scenario"].tolist() == ["baseline", "price", "promo", "baseline", "portfolio volume"]
    assert {"revenue_12m", "gross_margin_12m", "trade_investment_12m", "revenue_vs_baseline"} <= set(table.columns)
    assert table.loc[table["scenario"] == "baseline", "revenue_vs_baseline"].eq(0).all()
    row = table.set_index("scenario").loc["portfolio volume"]
    assert row["revenue_vs_baseline"] == pytest.approx(0.05 * table.iloc[3]["revenue_12m"])
    with pytest.raises(ScenarioError, match="at least one"):
        sc.compare(bundle, [])


def test_bundle_without_scenario_tables_says_what_to_do(tmp_path):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    p, _ = make_portfolio(n_accounts=10, years=2, seed=1)
    b = analyze(p, tmp_path / "b", stages=["segment"], progress=False)
    with pytest.raises(ScenarioError, match="re-run `kamtools analyze`"):
        sc.baseline(b, "portfolio")
