"""Tests of kamtools.churn: features (and their leakage-proofing), labels, the ChurnModel
estimator contract, scoring, the backtest, bundle tables, sections and the notebook."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_notebook
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from kamtools.churn import (
    FEATURE_LABELS,
    FEATURE_SOURCES,
    ChurnDefinition,
    ChurnModel,
    bundle_tables,
    evaluate,
    feature_availability,
    features,
    label_accounts,
    risk_bands,
    score,
    score_details,
    snapshot_dates,
    training_set,
)
from kamtools.data.portfolio import NotAvailable, Portfolio

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------
# a tiny hand-made portfolio
# ---------------------------------------------------------------------------------------
def _tiny(extra_orders: list[tuple] | None = None, as_of: str = "2024-12-31", with_optional: bool = True) -> Portfolio:
    accounts = pd.DataFrame(
        {
            "account_id": pd.Series(["A1", "A2", "A3"], dtype="str"),
            "name": pd.Series(["One", "Two", "Three"], dtype="str"),
            "industry": pd.Series(["Retail", "Retail", "Hospitals"], dtype="str"),
            "region": pd.Series(["North", "South", "North"], dtype="str"),
            "country": pd.Series(["SE", "ES", "SE"], dtype="str"),
            "channel": pd.Series(["Direct", "Direct", "Online"], dtype="str"),
            "owner": pd.Series(["M. Berg"] * 3, dtype="str"),
            "customer_since": pd.to_datetime(["2020-01-01", "2020-01-01", "2024-11-01"]),
            "potential_revenue": [10000.0, np.nan, 5000.0],
        }
    )
    products = pd.DataFrame(
        {
            "product_id": pd.Series(["P1", "P2"], dtype="str"),
            "name": pd.Series(["Premix", "Gloves"], dtype="str"),
            "category": pd.Series(["Premixes", "Protective wear"], dtype="str"),
            "list_price": [10.0, 2.0],
            "unit_cost": [6.0, 1.0],
        }
    )
    rows = [
        # order_id, account, product, date, revenue, cost
        ("O1", "A1", "P1", "2024-01-15", 1000.0, 600.0),
        ("O1", "A1", "P2", "2024-01-15", 200.0, 100.0),
        ("O2", "A1", "P1", "2024-03-15", 1000.0, 600.0),
        ("O3", "A1", "P1", "2024-05-15", 1000.0, 600.0),
        ("O4", "A1", "P1", "2024-07-15", 1000.0, 600.0),
        ("O5", "A1", "P1", "2024-09-15", 500.0, 400.0),
        ("O6", "A2", "P2", "2024-02-01", 300.0, 150.0),
        ("O7", "A2", "P2", "2024-12-20", 300.0, 150.0),
    ] + (extra_orders or [])
    orders = pd.DataFrame(
        {
            "order_id": pd.Series([r[0] for r in rows], dtype="str"),
            "line": np.arange(1, len(rows) + 1),
            "account_id": pd.Series([r[1] for r in rows], dtype="str"),
            "product_id": pd.Series([r[2] for r in rows], dtype="str"),
            "order_date": pd.to_datetime([r[3] for r in rows]),
            "quantity": np.ones(len(rows)),
            "net_revenue": [r[4] for r in rows],
            "cost": [r[5] for r in rows],
        }
    )
    tables = {"accounts": accounts, "products": products, "orders": orders}
    if with_optional:
        tables["complaints"] = pd.DataFrame(
            {
                "complaint_id": pd.Series(["C1", "C2"], dtype="str"),
                "account_id": pd.Series(["A1", "A1"], dtype="str"),
                "opened_date": pd.to_datetime(["2024-08-01", "2024-12-01"]),
                "resolved_date": pd.to_datetime(["2024-08-11", None]),
                "severity": pd.Series(["high", "low"], dtype="str"),
                "category": pd.Series(["Delivery", "Quality"], dtype="str"),
                "description": pd.Series([None, None], dtype="str"),
            }
        )
    return Portfolio(tables, pd.Timestamp(as_of))


# ---------------------------------------------------------------------------------------
# features
# ---------------------------------------------------------------------------------------
def test_features_by_hand_on_a_tiny_portfolio():
    X = features(_tiny(), use_value=False).set_index("account_id")
    a1, a2 = X.loc["A1"], X.loc["A2"]
    assert a1["days_since_last_order"] == (pd.Timestamp("2024-12-31") - pd.Timestamp("2024-09-15")).days
    assert a1["usual_order_gap_days"] == 61  # median of 60, 61, 61, 62 days between order days
    assert a1["recency_ratio"] == pytest.approx(107 / 61)
    assert a1["revenue_12m"] == pytest.approx(4700.0)
    assert a1["order_days_12m"] == 5
    # last 3 months (Oct-Dec): nothing; the 3 before (Jul-Sep): 1500 -> down 100%
    assert a1["revenue_change_3m"] == pytest.approx(-1.0)
    # Protective wear bought in Jan 2024 (6-18 months back window is Jul 2023 - Jun 2024), not in the last 6
    assert a1["categories_dropped"] == 1 and a1["categories_dropped_share"] == pytest.approx(0.5)
    assert a1["share_of_wallet"] == pytest.approx(0.47)
    assert np.isnan(a2["share_of_wallet"])  # no potential given: unknown, not zero
    assert a1["complaints_12m"] == 2 and a1["complaints_severe_12m"] == 1 and a1["complaints_open"] == 1
    assert a1["complaint_resolution_days"] == pytest.approx((10 + 30) / 2)  # the open one counted to date
    # A3 became a customer in Nov 2024 and never ordered: days since start, no revenue
    assert X.loc["A3", "days_since_last_order"] == 60 and X.loc["A3", "revenue_12m"] == 0
    assert X.loc["A3", "industry"] == "Hospitals"


def test_missing_optional_tables_make_features_absent_with_reasons():
    X = features(_tiny(with_optional=False), use_value=False)
    for table in ("complaints", "invoices", "opportunities", "contacts", "interactions", "competitor_prices"):
        for f in FEATURE_SOURCES[table]:
            assert f not in X.columns
            assert table in X.attrs["unavailable"][f] or "contacts" in X.attrs["unavailable"][f]
    avail = feature_availability(X).set_index("feature")
    assert not avail.loc["complaints_12m", "available"] and avail.loc["revenue_12m", "available"]
    assert set(avail.index) == set(FEATURE_LABELS)


def test_features_on_the_demo_are_complete_and_labelled(small_portfolio):
    X = features(small_portfolio, use_value=False)
    assert X["account_id"].is_unique and len(X) == len(small_portfolio.accounts)
    feature_cols = [c for c in X.columns if c != "account_id"]
    assert all(c in FEATURE_LABELS for c in feature_cols)
    assert len(feature_cols) >= 35  # every optional table is present in the demo
    # the demo without global-account groups records no leaving dates (contacts.left_date): no champion_left
    assert X.attrs["unavailable"].keys() == {"p_alive", "expected_value_12m", "champion_left"}
    numeric = X[feature_cols].select_dtypes("number")
    assert np.isfinite(numeric.fillna(0).to_numpy()).all()


def _future_rows(p: Portfolio, t: pd.Timestamp) -> Portfolio:
    """The portfolio with extra facts dated after ``t`` in every dated table (still <= as_of)."""
    rng = np.random.default_rng(0)
    tables = {k: v.copy() for k, v in p.tables.items()}
    later = t + pd.Timedelta(days=10)
    ids = p.accounts["account_id"].iloc[:40].to_numpy()
    orders = tables["orders"].sample(len(ids), random_state=1).copy()
    orders["order_id"] = [f"FUT-{i}" for i in range(len(ids))]
    orders["account_id"] = ids
    orders["order_date"] = later
    orders["net_revenue"] = rng.uniform(1e4, 1e5, len(ids))
    tables["orders"] = pd.concat([tables["orders"], orders], ignore_index=True)
    comp = tables["complaints"].head(len(ids)).copy()
    comp["complaint_id"] = [f"FC-{i}" for i in range(len(ids))]
    comp["account_id"] = ids
    comp["opened_date"] = later
    comp["resolved_date"] = pd.NaT
    comp["severity"] = "critical"
    # resolve, after t, complaints that were open on t
    c = tables["complaints"]
    open_then = (c["opened_date"] <= t) & ((c["resolved_date"] > t) | c["resolved_date"].isna())
    c.loc[open_then, "resolved_date"] = later
    tables["complaints"] = pd.concat([c, comp], ignore_index=True)
    inv = tables["invoices"]
    inv.loc[inv["paid_date"].isna() | (inv["paid_date"] > t), "paid_date"] = later
    inter = tables["interactions"].head(len(ids)).copy()
    inter["account_id"] = ids
    inter["date"] = later
    tables["interactions"] = pd.concat([tables["interactions"], inter], ignore_index=True)
    opp = tables["opportunities"]
    decided_later = (opp["created_date"] <= t) & (opp["close_date"] > t)
    opp.loc[decided_later, "status"] = "lost"
    opp.loc[decided_later, "loss_reason"] = "price"
    cp = tables["competitor_prices"].head(len(ids)).copy()
    cp["date"] = later
    cp["account_id"] = ids
    cp["price_index"] = 50.0
    tables["competitor_prices"] = pd.concat([tables["competitor_prices"], cp], ignore_index=True)
    return Portfolio(tables, p.as_of)


def test_no_fact_after_as_of_can_change_features(small_portfolio):
    t = small_portfolio.as_of - pd.DateOffset(months=8)
    before = features(small_portfolio, t, use_value=False)
    after = features(_future_rows(small_portfolio, t), t, use_value=False)
    pd.testing.assert_frame_equal(before, after)
    # and the features really use those tables: at a later date the added facts do count
    later = small_portfolio.as_of
    changed = features(_future_rows(small_portfolio, t), later, use_value=False)
    base = features(small_portfolio, later, use_value=False)
    assert (changed["revenue_12m"] > base["revenue_12m"]).sum() >= 30
    assert (changed["complaints_12m"] > base["complaints_12m"]).sum() >= 30


def test_value_features_are_leak_free_too(small_portfolio):
    t = small_portfolio.as_of - pd.DateOffset(months=8)
    before = features(small_portfolio, t)
    if "p_alive" not in before.columns:
        pytest.skip(f"value model unavailable: {before.attrs['unavailable'].get('p_alive')}")
    after = features(_future_rows(small_portfolio, t), t)
    pd.testing.assert_frame_equal(
        before[["account_id", "p_alive", "expected_value_12m"]], after[["account_id", "p_alive", "expected_value_12m"]]
    )


# ---------------------------------------------------------------------------------------
# labels and training data
# ---------------------------------------------------------------------------------------
def test_labels_follow_the_definition():
    p = _tiny(as_of="2025-12-31", extra_orders=[("O8", "A2", "P2", "2025-03-01", 50.0, 20.0)])
    lab = label_accounts(p, "2024-12-31", ChurnDefinition(kind="full")).set_index("account_id")["churned"]
    # A1 ordered last in Sep 2024 (within 6 months) and never again: churned; A2 ordered
    # in Dec 2024 and again in Mar 2025: kept; A3 never ordered: not active, excluded
    assert lab.to_dict() == {"A1": True, "A2": False}
    partial = label_accounts(p, "2024-12-31", ChurnDefinition(kind="partial")).set_index("account_id")["churned"]
    assert partial["A2"]  # 50 in the next 12 months vs 600 before: down more than 50%
    either = label_accounts(p, "2024-12-31").set_index("account_id")["churned"]
    assert either.to_dict() == {"A1": True, "A2": True}  # default kind="any": full or partial
    with pytest.raises(ValueError, match="after the data's as_of"):
        label_accounts(p, "2025-10-31")
    with pytest.raises(ValueError, match="kind"):
        ChurnDefinition(kind="sometimes")
    assert "no orders in the next 6 months" in ChurnDefinition().describe()


def test_training_snapshots_have_complete_label_windows(small_portfolio):
    d = ChurnDefinition()
    dates = snapshot_dates(small_portfolio, d)
    assert len(dates) >= 6 and dates == sorted(dates)
    window = d.label_window_months  # 12 for the default "any" (partial churn needs a year)
    assert all(t + pd.DateOffset(months=window) <= small_portfolio.as_of for t in dates)
    assert dates[-1] == (small_portfolio.as_of - pd.DateOffset(months=window)).normalize()
    assert all((b - a).days in range(89, 93) for a, b in zip(dates, dates[1:]))
    ts = training_set(small_portfolio, d, max_snapshots=3, use_value=False)
    assert sorted(ts["as_of"].unique()) == dates[-3:]
    t = dates[-1]
    lab = label_accounts(small_portfolio, t, d)
    got = ts[ts["as_of"] == t][["account_id", "churned"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, lab.reset_index(drop=True), check_dtype=False)
    # lapsed accounts are excluded: everyone in the snapshot ordered in the 6 months before
    assert (ts["days_since_last_order"] <= 184).all()


# ---------------------------------------------------------------------------------------
# ChurnModel: the estimator contract on any tabular data
# ---------------------------------------------------------------------------------------
def _mixed(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.exponential(size=n) * 100
    plan = rng.choice(["basic", "plus", "pro"], size=n)
    logit = -1.5 + 1.4 * x1 + np.where(plan == "basic", 1.0, -0.5)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    X = pd.DataFrame(
        {"x1": x1, "x2": x2, "plan": pd.Series(plan, dtype="str"), "region": rng.choice(["n", "s"], size=n)}
    )
    X.loc[rng.random(n) < 0.1, "x1"] = np.nan
    X.loc[rng.random(n) < 0.1, "plan"] = None
    return X, np.where(y, "yes", "no")


def test_churn_model_is_a_clonable_sklearn_classifier():
    X, y = _mixed()
    model = ChurnModel(model="logistic", cv=3, random_state=1)
    params = model.get_params()
    assert params["model"] == "logistic" and params["random_state"] == 1
    cloned = clone(model)
    assert cloned.get_params() == params and not hasattr(cloned, "estimators_")
    scores = cross_val_score(ChurnModel(model="logistic", cv=2), X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,) and scores.mean() > 0.7
    assert model.fit(X, y) is model
    assert list(model.classes_) == ["no", "yes"]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert set(model.predict(X)) <= {"no", "yes"}
    # in a pipeline
    pipe = make_pipeline(FunctionTransformer(lambda d: d.assign(x3=d["x1"] * 2)), ChurnModel(model="logistic"))
    assert pipe.fit(X, y).predict_proba(X).shape == (len(X), 2)


def test_unseen_categories_missing_values_and_array_input():
    X, y = _mixed()
    new = X.head(20).copy()
    new.loc[:4, "plan"] = "enterprise"  # never seen in fit
    new.loc[5:9, "x2"] = np.nan
    new.loc[10:12, "region"] = None
    for family in ("logistic", "boosting"):
        model = ChurnModel(model=family, max_iter=30).fit(X, y)
        p = model.predict_proba(new)[:, 1]
        assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()
    with pytest.raises(ValueError, match="lacks the column"):
        model.predict_proba(new.drop(columns="x2"))
    arr = np.random.default_rng(0).normal(size=(200, 3))
    ya = (arr[:, 0] + np.random.default_rng(1).normal(size=200)) > 0.5
    assert ChurnModel(model="logistic").fit(arr, ya).predict_proba(arr).shape == (200, 2)
    with pytest.raises(ValueError, match="two classes"):
        ChurnModel().fit(X, np.zeros(len(X)))


def test_auto_selection_is_recorded_and_deterministic():
    X, y = _mixed(n=300)
    a = ChurnModel(max_iter=30, cv=2, random_state=3).fit(X, y)
    b = ChurnModel(max_iter=30, cv=2, random_state=3).fit(X, y)
    assert a.chosen_model_ in ("logistic", "boosting", "blend")
    assert set(a.selection_scores_["model"]) == {"logistic", "boosting", "blend"}
    best = a.selection_scores_.sort_values("log_loss").iloc[0]["model"]
    assert a.chosen_model_ == best
    assert "cross-validation" in a.selection_scores_["scheme"].iloc[0]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    pd.testing.assert_frame_equal(a.explain(X.head(10)), b.explain(X.head(10)))


def test_out_of_time_selection_uses_the_time_column():
    X, y = _mixed(n=600)
    X["as_of"] = pd.to_datetime(np.repeat(["2024-01-31", "2024-04-30", "2024-07-31"], 200))
    X["account_id"] = np.tile([f"A{i}" for i in range(200)], 3)
    m = ChurnModel(max_iter=30, time_gap_months=3).fit(X, y)
    scheme = m.selection_scores_["scheme"].iloc[0]
    assert scheme.startswith("out of time") and "2024-07-31" in scheme
    assert m.selection_scores_["n_valid"].iloc[0] == 200
    assert "as_of" not in m.numeric_columns_ + m.categorical_columns_
    assert "account_id" not in m.categorical_columns_


def test_explanations_add_up_and_name_features():
    X, y = _mixed()
    lin = ChurnModel(model="logistic", calibration=None).fit(X, y)
    contrib = lin.contributions(X)
    assert list(contrib.columns) == ["x1", "x2", "plan", "region"]
    pipe = lin.estimators_["logistic"]
    margin = pipe.decision_function(lin._prepare(X))
    np.testing.assert_allclose(contrib.sum(axis=1) + pipe.named_steps["clf"].intercept_[0], margin, atol=1e-8)
    ex = lin.explain(X.head(5), top=2)
    assert list(ex.columns) == ["row", "rank", "feature", "label", "contribution", "direction", "value", "value_text"]
    assert len(ex) == 10 and (ex.groupby("row")["contribution"].apply(lambda c: c.abs().is_monotonic_decreasing)).all()
    assert set(ex["direction"]) <= {"raises risk", "lowers risk", "no effect"}
    # x1 raises churn in the data: higher x1 -> positive contribution
    imp = lin.global_importance(X).set_index("feature")
    assert imp.loc["x1", "direction"] == 1 and imp["share"].sum() == pytest.approx(1)
    # boosting: occlusion against the typical row gives 0 where the row is typical
    gb = ChurnModel(model="boosting", max_iter=40).fit(X, y)
    typical = X.head(3).copy()
    assert "x1" not in gb.log_columns_ and "x2" in gb.log_columns_  # x2 is skewed: modelled on a log scale
    typical["x1"] = gb.reference_["x1"].iloc[0]
    assert np.allclose(gb.contributions(typical)["x1"], 0.0)
    assert gb.global_importance(X).set_index("feature").loc["x1", "direction"] == 1


# ---------------------------------------------------------------------------------------
# bands, scoring, evaluation, bundle
# ---------------------------------------------------------------------------------------
def test_risk_bands_follow_the_probability_only():
    p = np.array([0.9, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05, 0.02, np.nan])
    ev = np.full(len(p), 100.0)
    ev[-2] = 1e9  # a huge account at a low probability stays low: money does not set the band
    bands, thr = risk_bands(p, p * ev)
    assert list(bands) == ["high"] * 4 + ["medium"] * 2 + ["low"] * 3
    assert thr == {"high": 0.3, "medium": 0.1}
    order = np.argsort(-np.nan_to_num(p))
    rank = {"high": 2, "medium": 1, "low": 0}
    assert all(rank[a] >= rank[b] for a, b in zip(bands[order], bands[order][1:]))
    assert list(risk_bands(p, None, high=0.5, medium=0.2)[0][:5]) == ["high", "high", "medium", "medium", "medium"]
    with pytest.raises(ValueError):
        risk_bands(p, None, high=0.1, medium=0.5)


@pytest.fixture(scope="module")
def demo_bundle(demo):
    portfolio, _ = demo
    return bundle_tables(portfolio, {})


def test_bundle_tables_and_scores(demo, demo_bundle, tmp_path):
    portfolio, truth = demo
    t = demo_bundle
    assert {
        "churn",
        "churn_drivers",
        "churn_features",
        "churn_evaluation",
        "churn_calibration",
        "churn_importance",
    } <= set(t)
    churn = t["churn"]
    assert churn["account_id"].is_unique and set(churn["account_id"]) == set(portfolio.accounts["account_id"])
    assert set(churn["risk_band"]) <= {"high", "medium", "low", "lapsed", "no orders yet"}
    active = churn[churn["risk_band"].isin(["high", "medium", "low"])]
    assert active["method"].str.startswith("churn model").all()
    np.testing.assert_allclose(
        churn["revenue_at_risk"], churn["churn_probability"].fillna(0) * churn["expected_value_12m"]
    )
    assert active["churn_probability"].between(0, 1).all()
    # the high band really is riskier than the low band
    assert (
        active.groupby("risk_band")["churn_probability"].min()["high"]
        >= active.groupby("risk_band")["churn_probability"].max()["low"]
    )
    drivers = t["churn_drivers"]
    # only presentable reasons that raise the risk: most active accounts have some, none more than 3
    assert set(drivers["account_id"]) <= set(active["account_id"])
    assert drivers["account_id"].nunique() >= 0.5 * len(active)
    assert drivers.groupby("account_id")["rank"].max().max() == 3
    assert (drivers["direction"] == "raises risk").all() and (drivers["contribution"] > 0).all()
    assert drivers["label"].str.len().min() > 3 and drivers["sentence"].str.len().min() > 10
    ev = t["churn_evaluation"].set_index("metric")
    assert ev.loc["roc_auc", "model"] > ev.loc["roc_auc", "baseline"]
    # on this 120-account demo the AUC is one draw: over seeds 11-20 it is 0.65-0.87 (mean 0.75) since the
    # demo's prices move over time (issue 18; 0.65-0.85, mean 0.77, before), and seed 11 now draws 0.65
    assert ev.loc["roc_auc", "model"] > 0.62
    imp = t["churn_importance"]
    assert {"feature", "label", "importance", "share", "direction"} <= set(imp.columns)
    assert imp["share"].sum() == pytest.approx(1)
    # every table is storable as Parquet and reads back the same
    for name, df in t.items():
        if isinstance(df, pd.DataFrame):
            df.to_parquet(tmp_path / f"{name}.parquet", index=False)
            back = pd.read_parquet(tmp_path / f"{name}.parquet")
            assert list(back.columns) == list(df.columns) and len(back) == len(df)


def test_evaluate_is_out_of_time(demo):
    portfolio, _ = demo
    ts = training_set(portfolio, max_snapshots=6, use_value=False)
    ev = evaluate(portfolio, training=ts, model={"max_iter": 60})
    assert ev.test_as_of == ts["as_of"].max()
    assert max(ev.train_snapshots) <= ev.test_as_of - pd.DateOffset(months=6)
    assert set(ev.calibration["model"]) == {"churn model", "recency baseline"}
    assert ev.predictions["as_of"].nunique() == 1
    m = ev.metrics.set_index("metric")
    assert 0 < m.loc["brier", "model"] < 0.25 and m.loc["lift_top_decile", "model"] > 1


def test_short_history_falls_back_to_the_value_models_no_order_probability(small_portfolio):
    short = small_portfolio.truncate(small_portfolio.as_of)
    tables = dict(short.tables)
    start = short.as_of - pd.DateOffset(months=14)
    tables["orders"] = tables["orders"][tables["orders"]["order_date"] > start].reset_index(drop=True)
    p = Portfolio(tables, short.as_of)
    res = score(p)
    if isinstance(res, NotAvailable):
        pytest.skip(f"value model unavailable: {res}")
    active = res[res["risk_band"].isin(["high", "medium", "low"])]
    # the churn event's probability (no order in the next 6 months), not 1 - P(alive) (already stopped)
    assert active["method"].str.startswith("the value model's probability of no order in the next 6 months").all()
    assert active["method"].str.contains("a revenue drop \\(partial churn\\) is not covered").all()
    assert (active["churn_probability"] >= 1 - active["p_alive"] - 1e-12).all()
    assert active["churn_probability"].between(0, 1).all()


def test_prefitted_model_scores_without_training(demo, demo_bundle):
    portfolio, _ = demo
    ts = training_set(portfolio, max_snapshots=4, use_value=False)
    model = ChurnModel(model="logistic", time_gap_months=6).fit(ts.drop(columns="churned"), ts["churned"])
    res = score_details(
        portfolio, model=model, value=demo_bundle["churn"][["account_id", "p_alive", "expected_value_12m"]]
    )
    assert res.model is model and "fitted beforehand" in res.method
    assert res.training.empty


# ---------------------------------------------------------------------------------------
# sections and the notebook
# ---------------------------------------------------------------------------------------


def test_sections_render_from_a_bundle(demo, demo_bundle, tmp_path, captured, monkeypatch):
    import kamtools.churn
    from kamtools.bundle import analyze
    from kamtools.sections import churn as section

    portfolio, _ = demo
    # the churn stage's tables were computed once for this module (demo_bundle)
    monkeypatch.setattr(kamtools.churn, "bundle_tables", lambda p, context: demo_bundle)
    bundle = analyze(portfolio, tmp_path / "b", stages=["value", "churn"], progress=False)
    assert {"churn_probability", "risk_band", "revenue_at_risk"} <= set(bundle.accounts.columns)
    churn = bundle.table("churn")
    # a high-band account whose drivers are things it does gets the drivers chart; one whose estimate comes only
    # from its profile says so instead (after RIDGE's value model, the demo's first high-band account is such a one)
    pages = []
    for high in churn[churn["risk_band"] == "high"]["account_id"]:
        captured.clear()
        section.account_section(bundle.account(high))
        pages.append("".join(captured))
        if "<img" in pages[-1]:
            break
    html = pages[-1]
    assert "Churn risk and its drivers" in html and "high band" in html and "<img" in html
    for other in pages[:-1]:
        assert "high band" in other and "Nothing the account does stands out as a reason" in other
    assert "high band (churn probability 30% or more)" in html  # bands follow the probability, not money
    assert "Why" in html and "this raises the risk" not in html
    lapsed = churn[churn["risk_band"] == "lapsed"]["account_id"]
    if len(lapsed):
        captured.clear()
        section.account_section(bundle.account(lapsed.iloc[0]))
        assert "win-back" in "".join(captured)
    captured.clear()
    section.portfolio_section(bundle)
    section.portfolio_appendix(bundle)  # the backtest and calibration are in the overview's appendix
    html = "".join(captured)
    for text in (
        "Risks ranked by revenue at risk",
        "out-of-time backtest",
        "Recency baseline",
        "Accounts ranked by revenue at risk",
    ):
        assert text in html
    assert html.count("<img") >= 2


def test_sections_say_why_when_churn_is_missing(small_portfolio, tmp_path, captured):
    from kamtools.bundle import analyze
    from kamtools.sections import churn as section

    bundle = analyze(small_portfolio, tmp_path / "b", stages=["value"], progress=False)
    section.account_section(bundle.account(small_portfolio.accounts["account_id"].iloc[0]))
    section.portfolio_section(bundle)
    html = "".join(captured)
    assert html.count('class="kam-na"') >= 2


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(tmp_path):
    images, _ = run_notebook("churn.ipynb", {"n_accounts": 80, "seed": 5, "check_planted": False}, tmp_path)
    assert images >= 3
