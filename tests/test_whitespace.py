"""Tests of kamtools.whitespace: grid, affinities, scorers, calibration, backtest, recommend, trade lanes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_notebook
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from kamtools import whitespace as ws
from kamtools.data.portfolio import NotAvailable, Portfolio

AS_OF = pd.Timestamp("2025-12-31")
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------
# a tiny hand-made portfolio with known answers
# ---------------------------------------------------------------------------------------
def tiny_portfolio() -> Portfolio:
    """A1: Premixes now, Additives lapsed, Vaccines never. A2: Premixes lost, Vaccines new.
    A3: Premixes up, Additives stable, Vaccines down and loss-making. A4: never ordered."""
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4"],
            "name": ["One", "Two", "Three", "Four"],
            "industry": ["Feed milling", "Feed milling", "Farming", "Farming"],
            "region": ["North"] * 4,
            "country": ["SE"] * 4,
            "channel": ["Direct"] * 4,
            "owner": ["M. Berg"] * 4,
            "customer_since": pd.to_datetime(["2020-01-01"] * 4),
            "potential_revenue": [np.nan] * 4,
        }
    )
    products = pd.DataFrame(
        {
            "product_id": ["P1", "P2", "P3"],
            "name": ["Premix", "Enzyme", "Vaccine"],
            "category": ["Premixes", "Additives", "Vaccines"],
            "list_price": [10.0, 20.0, 30.0],
            "unit_cost": [6.0, 12.0, 18.0],
        }
    )
    rows = [
        # account, product, date, revenue, cost
        ("A1", "P1", "2024-05-01", 100.0, 60.0),
        ("A1", "P1", "2025-05-01", 100.0, 60.0),
        ("A1", "P2", "2023-06-01", 50.0, 30.0),
        ("A2", "P1", "2024-06-01", 200.0, 120.0),
        ("A2", "P3", "2025-06-01", 80.0, 40.0),
        ("A3", "P1", "2024-07-01", 100.0, 60.0),
        ("A3", "P1", "2025-07-01", 150.0, 90.0),
        ("A3", "P2", "2024-07-01", 100.0, 60.0),
        ("A3", "P2", "2025-07-01", 95.0, 57.0),
        ("A3", "P3", "2024-07-01", 100.0, 60.0),
        ("A3", "P3", "2025-07-01", 50.0, 70.0),
    ]
    orders = pd.DataFrame(
        {
            "order_id": [f"SO-{i}" for i in range(len(rows))],
            "line": 1,
            "account_id": [r[0] for r in rows],
            "product_id": [r[1] for r in rows],
            "order_date": pd.to_datetime([r[2] for r in rows]),
            "quantity": 1.0,
            "net_revenue": [r[3] for r in rows],
            "cost": [r[4] for r in rows],
        }
    )
    return Portfolio({"accounts": accounts, "products": products, "orders": orders}, AS_OF)


# ---------------------------------------------------------------------------------------
# grid and trade lanes (exact)
# ---------------------------------------------------------------------------------------
def test_whitespace_grid_statuses_and_revenue():
    grid = ws.whitespace_grid(tiny_portfolio()).set_index(["account_id", "category"])
    assert len(grid) == 4 * 3
    assert grid.loc[("A1", "Premixes"), "status"] == "bought"
    assert grid.loc[("A1", "Premixes"), "revenue_ltm"] == 100.0
    assert grid.loc[("A1", "Additives"), "status"] == "lapsed"
    assert grid.loc[("A1", "Additives"), "last_order_date"] == pd.Timestamp("2023-06-01")
    assert grid.loc[("A1", "Vaccines"), "status"] == "never"
    assert grid.loc[("A2", "Premixes"), "status"] == "lapsed"
    assert (grid.loc["A4", "status"] == "never").all()
    # as_of: on 2024-12-31 A1 still bought Additives within 12 months? no (2023-06) -> lapsed; A2 Vaccines never
    early = ws.whitespace_grid(tiny_portfolio(), as_of="2024-12-31").set_index(["account_id", "category"])
    assert early.loc[("A2", "Vaccines"), "status"] == "never"
    assert early.loc[("A2", "Premixes"), "status"] == "bought"


def test_tradelanes_classify_each_line_with_thresholds():
    lanes = ws.tradelanes(tiny_portfolio()).set_index(["account_id", "category"])
    assert lanes.loc[("A1", "Premixes"), "status"] == "stable"
    assert lanes.loc[("A2", "Premixes"), "status"] == "lost"
    assert lanes.loc[("A2", "Vaccines"), "status"] == "new"
    assert lanes.loc[("A3", "Premixes"), "status"] == "up-trading"
    assert lanes.loc[("A3", "Additives"), "status"] == "stable"  # -5% is within +/-10%
    assert lanes.loc[("A3", "Vaccines"), "status"] == "down-trading"
    assert ("A1", "Additives") not in lanes.index  # no revenue in either year
    vac = lanes.loc[("A3", "Vaccines")]
    assert vac["loss_making"] and vac["margin_ltm"] == pytest.approx(-20.0)
    assert vac["margin_change"] == pytest.approx(-20.0 - 40.0)
    assert lanes["loss_making"].sum() == 1
    tight = ws.tradelanes(tiny_portfolio(), up=0.6, down=0.04).set_index(["account_id", "category"])
    assert tight.loc[("A3", "Premixes"), "status"] == "stable"  # +50% < 60%
    assert tight.loc[("A3", "Additives"), "status"] == "down-trading"  # -5% < -4%


def test_tradelane_summary_adds_up():
    lanes = ws.tradelanes(tiny_portfolio())
    summary = ws.tradelane_summary(lanes).set_index("status")
    assert list(summary.index) == [*ws.LANE_STATUSES, "all lines"]
    per = summary.drop("all lines")
    for col in ("n_lanes", "revenue_ltm", "revenue_prior", "revenue_change", "margin_change", "n_loss_making"):
        assert per[col].sum() == pytest.approx(summary.loc["all lines", col])
    assert summary.loc["lost", "revenue_change"] == pytest.approx(-200.0)
    assert summary.loc["all lines", "n_loss_making"] == 1


# ---------------------------------------------------------------------------------------
# scorers and calibration on small matrices
# ---------------------------------------------------------------------------------------
def test_peer_scorer_shares_with_shrinkage_and_unseen_groups():
    X = np.array([[1, 0], [1, 1], [0, 1], [1, 0], [0, 0]], dtype=float)  # last row inactive
    groups = np.array(["a", "a", "b", "b", "b"])
    s = ws.PeerScorer(prior_strength=0.0).fit(X, groups=groups)
    np.testing.assert_allclose(s.predict(X[:1], ["a"]), [[1.0, 0.5]])
    share, size = s.peer_share(X[:1], ["b"])
    np.testing.assert_allclose(share, [[0.5, 0.5]]) and np.testing.assert_allclose(size, [2])
    shrunk = ws.PeerScorer(prior_strength=2.0).fit(X, groups=groups).predict(X[:1], ["a"])
    overall = np.array([3 / 4, 2 / 4])
    np.testing.assert_allclose(shrunk, [(np.array([2, 1]) + 2 * overall) / 4])
    np.testing.assert_allclose(s.predict(X[:1], ["zzz"]), [overall])  # unseen group -> overall share


def test_itemcf_scores_co_bought_categories_higher():
    # categories 0 and 1 go together, 2 is independent
    X = np.array([[1, 1, 0], [1, 1, 0], [1, 1, 1], [0, 0, 1], [0, 0, 1], [1, 1, 0]], dtype=float)
    cf = ws.ItemCFScorer(prior_strength=0.0).fit(X)
    assert cf.confidence_[0, 1] == 1.0 and cf.confidence_[0, 2] == pytest.approx(0.25)
    assert cf.similarity_[0, 1] > cf.similarity_[0, 2]
    assert cf.lift_[0, 1] > 1 > cf.lift_[0, 2]
    score = cf.predict(np.array([[1, 0, 0], [0, 0, 0]], dtype=float))
    assert score[0, 1] > score[0, 2]
    np.testing.assert_allclose(score[1], X.astype(bool).mean(axis=0))  # buys nothing -> popularity
    link, conf = cf.strongest_link(np.array([[1, 0, 1]], dtype=float))
    assert link[0, 1] == 0 and conf[0, 1] == 1.0
    assert clone(ws.BlendScorer(weight=0.3)).get_params()["weight"] == 0.3


def test_adoption_calibrator_is_monotone_and_separates_lapsed():
    rng = np.random.default_rng(0)
    score = rng.random(5000)
    lapsed = rng.random(5000) < 0.1
    p_true = np.where(lapsed, 0.3, 0.02 + 0.1 * score)
    y = rng.random(5000) < p_true
    cal = ws.AdoptionCalibrator().fit(score, y, lapsed)
    grid = np.linspace(0, 1, 50)
    never = cal.predict(grid, np.zeros(50, bool))
    assert np.all(np.diff(never) >= -1e-12) and never[-1] > never[0]
    assert 0.2 < cal.predict([0.5], [True])[0] < 0.4
    assert set(cal.table_["status"]) == {"never", "lapsed"}
    with pytest.raises(ValueError, match="no candidate"):
        ws.AdoptionCalibrator().fit([], [])


# ---------------------------------------------------------------------------------------
# planted truth on the demo
# ---------------------------------------------------------------------------------------
def test_planted_affinities_show_high_lift_and_similarity(demo):
    portfolio, truth = demo
    aff = ws.category_affinity(portfolio)
    pairs = aff.assign(key=[frozenset(p) for p in zip(aff["category_a"], aff["category_b"])])
    unordered = pairs.drop_duplicates("key").sort_values("lift", ascending=False).reset_index(drop=True)
    top = set(unordered["key"].head(len(truth.affinities) + 3))
    snap = ws.snapshot(portfolio, months=None)
    cf = ws.ItemCFScorer().fit(snap.spend_ltm)
    cats = list(snap.categories)
    off_diag = cf.similarity_[~np.eye(len(cats), dtype=bool)]
    for row in truth.affinities.itertuples():
        key = frozenset((row.category_a, row.category_b))
        assert key in top, key
        ours = unordered.loc[unordered["key"] == key, "lift"].iloc[0]
        assert ours == pytest.approx(row.lift, rel=0.05) and ours > 1.3
        i, j = cats.index(row.category_a), cats.index(row.category_b)
        assert cf.similarity_[i, j] > np.median(off_diag)


def test_backtest_table_on_the_demo(demo):
    portfolio, _ = demo
    bt = ws.backtest(portfolio, n=5)
    assert set(bt["scorer"]) == {"peers", "co_purchase", "blend", "popularity"}
    assert set(bt["ranking"]) == {"score", "calibrated", "expected_value"}
    assert bt["selected"].sum() == 1 and bt.loc[bt["selected"], "ranking"].iloc[0] == "calibrated"
    assert (bt["calibration"][bt["ranking"] != "score"] == "previous window").all()
    assert bt["cutoff"].iloc[0] == portfolio.as_of - pd.DateOffset(months=12)
    assert bt[["precision_at_n", "hit_rate", "recall_at_n"]].apply(lambda c: c.between(0, 1)).all().all()
    assert (bt["n_adoptions"] > 0).all()
    short = portfolio.truncate(portfolio.orders["order_date"].min() + pd.DateOffset(months=18))
    assert isinstance(ws.backtest(short), NotAvailable)


@pytest.mark.slow
def test_backtest_beats_popularity_on_a_larger_demo():
    from kamtools.datasets import make_portfolio

    # groups=0: the adoptions planted by category affinity only (a group unit's adoption of what its
    # sister units buy is the cross-unit signal, backtested by the groups stage)
    portfolio, truth = make_portfolio(n_accounts=600, years=4, seed=5, groups=0)
    bt = ws.backtest(portfolio, n=5).set_index(["scorer", "ranking"])
    pop = bt.loc[("popularity", "score")]
    sel = bt[bt["selected"]].iloc[0]
    assert sel["precision_at_n"] > pop["precision_at_n"]
    assert sel["hit_rate"] > pop["hit_rate"]
    assert bt.loc[("co_purchase", "score"), "auc"] > pop["auc"] + 0.05
    # the planted adoptions of the last year are mostly among the recommendations made a year before
    adopted = truth.whitespace_adoptions
    cutoff = portfolio.as_of - pd.DateOffset(months=12)
    recent = adopted[adopted["start_date"] > cutoff]
    past = portfolio.truncate(cutoff)
    model = ws.CrossSellModel().fit(past)
    recs = model.recommend(past)
    found = recent.merge(recs, on=["account_id", "category"], how="inner")
    eligible = recent[recent["account_id"].isin(recs["account_id"])]
    assert len(found) / len(eligible) > 0.6


# ---------------------------------------------------------------------------------------
# recommend
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(demo):
    portfolio, _ = demo
    return ws.CrossSellModel().fit(portfolio)


def test_recommendations_are_open_cells_with_values_and_reasons(demo, fitted):
    portfolio, _ = demo
    recs = fitted.recommend(portfolio)
    grid = ws.whitespace_grid(portfolio)
    merged = recs.merge(grid, on=["account_id", "category"], suffixes=("", "_grid"))
    assert len(merged) == len(recs)
    assert (merged["status_grid"] != "bought").all() and (merged["status"] == merged["status_grid"]).all()
    assert recs.groupby("account_id").size().max() <= 5
    assert (recs.groupby("account_id")["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1)))).all()
    assert recs["p_adopt"].between(0, 1).all()
    np.testing.assert_allclose(recs["expected_value"], recs["p_adopt"] * recs["spend_if_adopted"])
    # ranked by adoption probability within each account
    assert recs.groupby("account_id")["p_adopt"].apply(lambda p: p.is_monotonic_decreasing).all()
    assert all(c in r for c, r in zip(recs["category"], recs["rationale"]))
    assert recs["rationale"].str.contains("similar accounts|also buy").all()
    lapsed = recs[recs["status"] == "lapsed"]
    assert lapsed["rationale"].str.contains("Bought until").all()
    # accounts without revenue in the last 12 months get no recommendations
    active = grid.groupby("account_id")["revenue_ltm"].sum() > 0
    assert set(recs["account_id"]) <= set(active[active].index)


def test_recommend_for_one_account_and_bad_ids(demo, fitted):
    portfolio, _ = demo
    one = fitted.recommend(portfolio, account_id="A0005", n=3)
    assert set(one["account_id"]) <= {"A0005"} and len(one) <= 3
    with pytest.raises(KeyError, match="NOPE"):
        fitted.recommend(portfolio, account_id=["A0005", "NOPE"])
    with pytest.raises(ValueError, match="at least 1"):
        fitted.recommend(portfolio, n=0)
    with pytest.raises(NotFittedError, match="not fitted"):
        ws.CrossSellModel().recommend(portfolio)
    with pytest.raises(ValueError, match="scorer"):
        ws.CrossSellModel(scorer="magic").fit(portfolio)


def short_portfolio() -> Portfolio:
    """The tiny portfolio without its orders before March 2024: too little history for a backtest."""
    p = tiny_portfolio()
    orders = p.orders[p.orders["order_date"] >= "2024-03-01"].reset_index(drop=True)
    return Portfolio({**p.tables, "orders": orders}, p.as_of)


def test_recommend_without_enough_history_is_uncalibrated_but_works():
    p = short_portfolio()
    model = ws.CrossSellModel().fit(p)
    assert not model.calibrated_ and isinstance(model.backtest_, NotAvailable)
    recs = ws.recommend(p, model=model)
    assert set(recs["account_id"]) == {"A1", "A2"}  # A3 buys every category, A4 nothing
    a2 = recs[recs["account_id"] == "A2"].set_index("category")
    assert set(a2.index) == {"Premixes", "Additives"} and a2.loc["Premixes", "status"] == "lapsed"
    assert "Bought until Jun 2024" in a2.loc["Premixes", "rationale"]


def test_backtest_with_two_years_calibrates_in_sample():
    bt = ws.backtest(tiny_portfolio())
    assert (bt.loc[bt["ranking"] != "score", "calibration"] == "in-sample").all()
    assert bt["n_adoptions"].iloc[0] == 1  # A2 started buying Vaccines


def test_segments_define_peer_groups(demo):
    portfolio, _ = demo
    seg = pd.DataFrame({"account_id": portfolio.accounts["account_id"], "tier": "A"})
    snap = ws.snapshot(portfolio, segments=seg)
    assert all(g.endswith(", tier A") for g in snap.peer_group)
    with pytest.raises(ValueError, match="no column"):
        ws.snapshot(portfolio, segments=seg, peer_column="colour")


# ---------------------------------------------------------------------------------------
# bundle and sections
# ---------------------------------------------------------------------------------------
def test_bundle_tables_on_the_demo(demo):
    portfolio, _ = demo
    seg = pd.DataFrame({"account_id": portfolio.accounts["account_id"], "tier": "B"})
    out = ws.bundle_tables(portfolio, {"segments": seg})
    per_account = ("whitespace_grid", "whitespace_recommendations", "whitespace_accounts", "tradelanes")
    portfolio_level = ("whitespace_backtest", "whitespace_calibration", "whitespace_affinity", "tradelanes_summary")
    for name in per_account:
        assert "account_id" in out[name].columns, name
    for name in portfolio_level:
        assert "account_id" not in out[name].columns, name
    assert out["whitespace_recommendations"]["peer_group"].str.endswith("tier B").all()
    summary = out["whitespace_accounts"]
    assert summary["account_id"].is_unique and len(summary) == len(portfolio.accounts)
    recs = out["whitespace_recommendations"]
    assert (recs["recommended"] == (recs["p_adopt"] >= ws.MIN_USEFUL_P)).all()
    total = recs[recs["recommended"]].groupby("account_id")["expected_value"].sum()
    s = summary.set_index("account_id")
    np.testing.assert_allclose(s.loc[total.index, "whitespace_value"], total)
    assert (s.drop(index=total.index)["whitespace_value"] == 0).all()  # nothing recommended: no value counted
    for col in ws.SUMMARY_COLUMNS["whitespace_accounts"]:
        assert col in summary.columns


def test_bundle_tables_without_orders_explain_rather_than_fail():
    p = tiny_portfolio()
    empty = Portfolio({**p.tables, "orders": p.orders.iloc[0:0]}, p.as_of)
    out = ws.bundle_tables(empty, {})
    assert isinstance(out["tradelanes"], NotAvailable) and isinstance(out["tradelanes_summary"], NotAvailable)
    assert isinstance(out["whitespace_backtest"], NotAvailable) and "too short" in out["whitespace_backtest"].reason
    assert out["whitespace_recommendations"].empty
    assert (out["whitespace_grid"]["status"] == "never").all()
    assert (out["whitespace_accounts"]["whitespace_value"] == 0).all()


def test_sections_render_from_a_bundle(tmp_path, captured):
    from kamtools.bundle import analyze
    from kamtools.sections import whitespace as section

    bundle = analyze(short_portfolio(), tmp_path / "b", stages=["whitespace"], progress=False)
    section.account_section(bundle.account("A3"))
    html = "".join(captured)
    assert "Whitespace and cross-sell" in html and "<img" in html
    assert "Vaccines: margin -20" in html  # the loss-making line is called out
    captured.clear()
    section.account_section(bundle.account("A4"))  # never ordered
    html = "".join(captured)
    assert "No recommendations" in html and "no product-line review" in html
    captured.clear()
    section.portfolio_section(bundle)
    html = "".join(captured)
    assert "Top whitespace" in html and "Trade-lane review" in html
    assert "too short to test the cross-sell recommendations on past data" in html


# ---------------------------------------------------------------------------------------
# the notebook
# ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_notebook_runs_top_to_bottom(tmp_path):
    run_notebook("competitors_whitespace.ipynb", {"N_ACCOUNTS": 150, "SEED": 3}, tmp_path)
