"""Tests of kamtools.kpis: exact KPIs on a tiny hand-made portfolio, health, bundle tables, sections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from kamtools import kpis as K
from kamtools.data.portfolio import NotAvailable, Portfolio

AS_OF = pd.Timestamp("2026-06-30")
D = pd.Timestamp


def _frame(rows: list[tuple], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=cols)


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Two accounts whose every KPI can be worked out by hand (see the expected values below)."""
    accounts = _frame(
        [
            ("A1", "Alpha Feeds", "Feed milling", "North", "SE", "Direct", "K. One", D("2020-01-01"), 50000.0),
            ("A2", "Beta Foods", "Retail", "West", "NL", "Direct", "K. Two", D("2026-01-12"), np.nan),
        ],
        [
            "account_id",
            "name",
            "industry",
            "region",
            "country",
            "channel",
            "owner",
            "customer_since",
            "potential_revenue",
        ],
    )
    products = _frame(
        [("P1", "Premix", "X", 10.0, 6.0), ("P2", "Gloves", "Y", 5.0, 3.0)],
        ["product_id", "name", "category", "list_price", "unit_cost"],
    )
    orders = _frame(
        [
            # before every comparison window: the order history reaches back two years
            ("O0", 1, "A1", "P1", D("2024-06-10"), 1.0, 10.0, 6.0),
            ("O1", 1, "A1", "P1", D("2025-03-10"), 10.0, 100.0, 60.0),  # prior YTD, prior LTM
            ("O2", 1, "A1", "P1", D("2025-08-15"), 20.0, 200.0, 150.0),  # LTM
            ("O2", 2, "A1", "P2", D("2025-08-15"), 10.0, 50.0, 20.0),  # LTM (same order)
            ("O3", 1, "A1", "P1", D("2026-02-01"), 30.0, 300.0, 200.0),  # YTD, LTM
            ("O5", 1, "A2", "P2", D("2026-01-15"), 80.0, 400.0, 300.0),  # YTD, LTM
        ],
        ["order_id", "line", "account_id", "product_id", "order_date", "quantity", "net_revenue", "cost"],
    )
    targets = _frame([("A1", 2026, 1000.0), ("A1", 2027, 1200.0)], ["account_id", "period", "revenue_target"])
    nat = pd.NaT
    opps = _frame(
        [
            ("OP1", "A1", D("2026-05-01"), D("2026-08-15"), "Proposal", "open", 1000.0, 0.4, "X", np.nan, None, np.nan, None),
            ("OP2", "A1", D("2026-06-01"), D("2026-12-01"), "Qualification", "open", 500.0, np.nan, "Y", np.nan, None, np.nan, None),
            ("OP3", "A1", D("2026-01-01"), D("2026-02-15"), "Closed Lost", "lost", 200.0, 0.0, "X", 107.0, "Vetro", 100.0, "price"),
            ("OP4", "A1", D("2026-02-01"), D("2026-03-03"), "Closed Lost", "lost", 300.0, 0.0, "X", 104.0, "Vetro", 100.0, "price"),
            ("OP5", "A1", D("2026-03-01"), D("2026-04-30"), "Closed Won", "won", 400.0, 1.0, "Y", 100.0, "Kestrel", 101.0, None),
            ("OP6", "A1", D("2026-03-01"), D("2026-04-01"), "Closed Lost", "lost", 100.0, 0.0, "Y", 100.0, "Kestrel", 100.0, "relationship"),
            ("OP7", "A1", D("2024-01-01"), D("2024-02-01"), "Closed Lost", "lost", 900.0, 0.0, "X", 120.0, "Vetro", 100.0, "price"),
        ],
        [
            "opportunity_id", "account_id", "created_date", "close_date", "stage", "status", "amount", "probability",
            "category", "our_price", "competitor", "competitor_price", "loss_reason",
        ],
    )  # fmt: skip
    invoices = _frame(
        [
            ("I1", "A1", D("2026-06-15"), D("2026-07-15"), nat, 500.0),  # not due
            ("I2", "A1", D("2026-05-01"), D("2026-05-31"), nat, 200.0),  # 30 days past due
            ("I3", "A1", D("2026-03-01"), D("2026-03-31"), nat, 300.0),  # 91 days past due
            ("I4", "A1", D("2026-03-15"), D("2026-04-20"), D("2026-04-25"), 100.0),  # paid late
            ("I5", "A1", D("2026-02-01"), D("2026-03-01"), D("2026-02-20"), 100.0),  # paid on time
            ("I7", "A1", D("2025-03-01"), D("2025-03-31"), D("2025-03-30"), 100.0),  # prior year, on time
            ("I8", "A2", D("2026-01-31"), D("2026-03-02"), D("2026-03-01"), 400.0),  # on time
        ],
        ["invoice_id", "account_id", "issue_date", "due_date", "paid_date", "amount"],
    )
    complaints = _frame(
        [
            ("C1", "A1", D("2026-06-01"), nat, "high", "Quality", "Batch out of spec"),
            ("C2", "A1", D("2026-01-10"), D("2026-01-20"), "low", "Delivery", "Late"),
            ("C3", "A1", D("2025-03-01"), D("2025-03-05"), "medium", "Delivery", "Late"),
        ],
        ["complaint_id", "account_id", "opened_date", "resolved_date", "severity", "category", "description"],
    )
    contacts = _frame(
        [
            ("K1", "A1", "Anna", "Managing Director", "decision_maker", "executive"),
            ("K2", "A1", "Erik", "Quality Manager", "influencer", "manager"),
            ("K3", "A1", "Sofia", "Plant Supervisor", "user", "staff"),
            ("K4", "A2", "Lars", "Buyer", "gatekeeper", "staff"),
        ],
        ["contact_id", "account_id", "name", "title", "role", "seniority"],
    )
    interactions = _frame(
        [
            ("A1", "K1", D("2026-01-10"), "meeting", None),  # the only decision-maker contact
            ("A2", "K4", D("2026-06-01"), "call", None),
            ("A1", "K2", D("2026-05-01"), "call", None),
            ("A1", "K2", D("2026-06-20"), "visit", None),
            ("A1", None, D("2026-06-25"), "email", None),
        ],
        ["account_id", "contact_id", "date", "type", "notes"],
    )
    tables = {
        "accounts": accounts,
        "products": products,
        "orders": orders,
        "targets": targets,
        "opportunities": opps,
        "invoices": invoices,
        "complaints": complaints,
        "contacts": contacts,
        "interactions": interactions,
    }
    for df in tables.values():
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].astype("str")
    return tables


@pytest.fixture
def tiny() -> Portfolio:
    return Portfolio(tiny_tables(), AS_OF)


def _row(df: pd.DataFrame, account_id: str) -> dict:
    return df[df["account_id"] == account_id].iloc[0].to_dict()


# ---- revenue and targets --------------------------------------------------------------------
def test_revenue_kpis_by_hand(tiny):
    r = K.revenue_kpis(tiny)
    assert list(r["account_id"]) == ["A1", "A2"]
    a1 = _row(r, "A1")
    assert a1["revenue_ytd"] == 300 and a1["revenue_ytd_prior"] == 100
    assert a1["growth_ytd_pct"] == pytest.approx(2.0)
    assert a1["revenue_ltm"] == 550 and a1["revenue_prior_ltm"] == 100
    assert a1["growth_pct"] == pytest.approx(4.5)
    assert a1["margin_ltm"] == pytest.approx(180) and a1["margin_pct"] == pytest.approx(180 / 550)
    assert a1["orders_ltm"] == 2 and a1["avg_order_value"] == pytest.approx(275)
    assert a1["days_since_last_order"] == 149
    a2 = _row(r, "A2")
    assert a2["revenue_ytd"] == 400 and np.isnan(a2["growth_ytd_pct"]) and np.isnan(a2["growth_pct"])


def test_kpis_use_only_data_up_to_as_of(tiny):
    r = _row(K.revenue_kpis(tiny, as_of="2026-01-31"), "A1")
    assert r["revenue_ytd"] == 0  # O3 (2026-02-01) is after the date
    assert r["revenue_ltm"] == 350  # O1 and O2
    rec = _row(K.receivables_kpis(tiny, as_of="2026-04-22"), "A1")
    # I4 was paid on 2026-04-25, after that date: it was still open (2 days past due)
    assert rec["open_ar"] == pytest.approx(300 + 100)  # I3 and I4 (I1, I2 not yet issued; I5 paid)
    p = K.pipeline_kpis(tiny, as_of="2026-04-15")
    a1 = _row(p, "A1")
    # OP5 (won 04-30) and OP6 (lost 04-01 -> decided) : OP5 is open again on 04-15
    assert a1["bids_won_12m"] == 0 and a1["bids_lost_12m"] == 3


def test_target_kpis(tiny):
    t = _row(K.target_kpis(tiny), "A1")
    assert t["target"] == 1000 and t["target_attainment"] == pytest.approx(0.3)
    elapsed = 181 / 365
    assert t["year_elapsed"] == pytest.approx(elapsed)
    assert t["target_pace"] == pytest.approx(300 / (1000 * elapsed))
    assert t["target_gap"] == 700 and t["next_target"] == 1200
    assert np.isnan(_row(K.target_kpis(tiny), "A2")["target"])


# ---- pipeline -------------------------------------------------------------------------------
def test_pipeline_kpis_by_hand(tiny):
    a1 = _row(K.pipeline_kpis(tiny), "A1")
    assert a1["open_bids"] == 2 and a1["open_value"] == 1500
    # OP2 has no probability: the portfolio's win rate over the lookback (1 of 4) is used
    assert a1["weighted_value"] == pytest.approx(1000 * 0.4 + 500 * 0.25)
    assert a1["bids_closing_90d"] == 1 and a1["value_closing_90d"] == 1000
    assert a1["bids_decided_12m"] == 4 and a1["bids_won_12m"] == 1 and a1["win_rate"] == pytest.approx(0.25)
    assert a1["avg_cycle_days"] == pytest.approx((45 + 30 + 60 + 31) / 4)
    assert a1["top_loss_competitor"] == "Vetro" and a1["lost_to_top_competitor"] == 2
    assert a1["loss_price_gap_pct"] == pytest.approx((0.07 + 0.04) / 2)
    assert a1["top_loss_category"] == "X" and a1["top_loss_reason"] == "price"
    a2 = _row(K.pipeline_kpis(tiny), "A2")
    assert a2["open_bids"] == 0 and np.isnan(a2["win_rate"]) and pd.isna(a2["top_loss_competitor"])


def test_open_bids_and_losses(tiny):
    bids = K.open_bids(tiny)
    assert list(bids["opportunity_id"]) == ["OP1", "OP2"]
    assert bids["closes_within_horizon"].tolist() == [True, False]
    losses = K.bid_losses(tiny)
    assert list(losses["competitor"]) == ["Vetro", "Kestrel"]
    vetro = losses.iloc[0]
    assert vetro["bids_lost"] == 2 and vetro["lost_value"] == 500 and vetro["top_category"] == "X"


# ---- receivables ----------------------------------------------------------------------------
def test_receivables_kpis_by_hand(tiny):
    a1 = _row(K.receivables_kpis(tiny), "A1")
    assert a1["open_ar"] == 1000 and a1["overdue_ar"] == 500
    assert (a1["ar_not_due"], a1["ar_0_30"], a1["ar_31_60"], a1["ar_61_90"], a1["ar_90_plus"]) == (500, 200, 0, 0, 300)
    assert a1["overdue_60_plus"] == 300 and a1["overdue_invoices"] == 2 and a1["oldest_overdue_days"] == 91
    assert a1["invoiced_90d"] == 700 and a1["dso_days"] == pytest.approx(1000 / 700 * 90)
    assert a1["invoices_due_12m"] == 4 and a1["late_invoices_12m"] == 3 and a1["late_share_12m"] == pytest.approx(0.75)
    assert a1["late_share_prior_12m"] == 0 and a1["late_share_trend"] == pytest.approx(0.75)
    a2 = _row(K.receivables_kpis(tiny), "A2")
    assert a2["open_ar"] == 0 and np.isnan(a2["dso_days"]) and a2["late_share_12m"] == 0


def test_receivables_ageing_long_format(tiny):
    ag = K.receivables_ageing(tiny)
    a1 = ag[ag["account_id"] == "A1"]
    assert list(a1["bucket"]) == ["not_due", "0_30", "31_60", "61_90", "90_plus"]
    assert a1["amount"].tolist() == [500, 200, 0, 0, 300]
    assert a1["amount"].sum() == _row(K.receivables_kpis(tiny), "A1")["open_ar"]


# ---- complaints and relationships -------------------------------------------------------------
def test_complaint_kpis_by_hand(tiny):
    a1 = _row(K.complaint_kpis(tiny), "A1")
    assert a1["complaints_open"] == 1 and a1["open_high"] == 1 and a1["open_severe"] == 1
    assert a1["oldest_open_severe_days"] == 29
    assert a1["complaints_12m"] == 2 and a1["complaints_prior_12m"] == 1 and a1["complaints_trend"] == 1
    assert a1["resolved_12m"] == 1 and a1["mean_days_to_resolve"] == pytest.approx(10)


def test_relationship_kpis_by_hand(tiny):
    rel = K.relationship_kpis(tiny)
    a1 = _row(rel, "A1")
    assert (a1["contacts"], a1["decision_makers"], a1["influencers"], a1["users"]) == (3, 1, 1, 1)
    assert a1["senior_contacts"] == 1
    assert a1["interactions_90d"] == 3 and a1["engaged_contacts_90d"] == 1 and a1["dm_engaged_90d"] == 0
    assert a1["days_since_dm_contact"] == 171 and a1["days_since_senior_contact"] == 171
    assert not a1["dm_contact_never"] and a1["days_since_last_contact"] == 5
    assert a1["engaged_contacts_180d"] == 2 and not a1["single_threaded"]
    a2 = _row(rel, "A2")
    assert a2["single_threaded"] and a2["decision_makers"] == 0 and a2["dm_contact_never"]
    # never met a decision maker: counted from the later of customer_since and the history start
    assert a2["days_since_dm_contact"] == (AS_OF - D("2026-01-12")).days


def test_missing_tables_give_not_available(tiny):
    tables = {k: v for k, v in tiny.tables.items() if k in ("accounts", "products", "orders")}
    p = Portfolio(tables, AS_OF)
    for fn in (K.target_kpis, K.pipeline_kpis, K.receivables_kpis, K.complaint_kpis, K.relationship_kpis):
        res = fn(p)
        assert isinstance(res, NotAvailable) and "was supplied" in res.reason
    kpis, missing = K.account_kpis(p)
    assert set(missing) == {"targets", "pipeline", "receivables", "complaints", "relationships"}
    assert len(kpis) == 2 and "revenue_ltm" in kpis.columns and "open_ar" not in kpis.columns
    out = K.bundle_tables(p, {})
    for name in ("pipeline", "receivables", "complaints_summary", "relationships"):
        assert isinstance(out[name], NotAvailable), name
    assert isinstance(out["kpis"], pd.DataFrame) and isinstance(out["kpis_portfolio"], pd.DataFrame)


def test_portfolio_totals_pool_ratios(tiny):
    kpis, _ = K.account_kpis(tiny)
    tot = K.portfolio_kpis(kpis).iloc[0]
    assert "account_id" not in K.portfolio_kpis(kpis).columns
    assert tot["revenue_ltm"] == 950 and tot["accounts"] == 2
    assert tot["margin_pct"] == pytest.approx((180 + 100) / 950)
    assert tot["win_rate"] == pytest.approx(0.25)
    assert tot["dso_days"] == pytest.approx(1000 / 700 * 90)


# ---- health ---------------------------------------------------------------------------------
def test_health_scorer_is_an_estimator_and_adds_up():
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"late": rng.random(n), "noise": rng.random(n), "growth": rng.normal(0, 1, n)})
    logit = 3 * X["late"] - 1.5 * X["growth"] - 1.5
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    s = K.HealthScorer(C=10.0)
    assert clone(s).get_params() == s.get_params()
    s.fit(X, y)
    assert s.direction_[s.components_.index("late")] == 1  # more late payment -> less healthy
    assert s.direction_[s.components_.index("growth")] == -1
    assert s.weights_.sum() == pytest.approx(1.0)
    score = s.predict(X)
    assert np.allclose(s.contributions(X).sum(axis=1), score)
    assert score.min() >= 0 and score.max() <= 100
    assert score[y].mean() < score[~y].mean() - 10  # churners are less healthy
    assert set(s.band(score)) <= {"red", "amber", "green"}


def test_health_scorer_with_given_importance():
    X = pd.DataFrame({"late": [0.0, 0.1, 0.5, 0.9], "growth": [0.2, 0.1, -0.3, -0.5], "other": [1, 2, 3, 4]})
    s = K.HealthScorer(importance={"late": 2.0, "growth": -1.0}).fit(X)
    assert s.components_ == ["late", "growth"] and s.coef_ is None
    assert s.weights_ == pytest.approx([2 / 3, 1 / 3])
    score = s.predict(X)
    assert list(np.argsort(-score)) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="churn labels"):
        K.HealthScorer().fit(X)
    with pytest.raises(ValueError, match="one class"):
        K.HealthScorer().fit(X, [0, 0, 0, 0])


@pytest.fixture(scope="module")
def demo_kpis(demo):
    portfolio, truth = demo
    return K.bundle_tables(portfolio, {})


def test_health_separates_planted_churners(demo, demo_kpis):
    _, truth = demo
    health = demo_kpis["health"]
    assert "logistic regression" in health["health_basis"].iloc[0]
    h = health.merge(truth.churn, on="account_id")
    churned = h[h["churned"]]
    assert churned["health_score"].mean() < h.loc[~h["churned"], "health_score"].mean() - 10
    assert (churned["health_band"] == "red").mean() >= 0.6


def test_health_components_sum_to_score(demo_kpis):
    comps, health = demo_kpis["health_components"], demo_kpis["health"]
    assert list(comps.columns[:5]) == ["account_id", "component", "label", "value", "percentile"]
    total = comps.groupby("account_id")["contribution"].sum()
    merged = health.set_index("account_id")["health_score"]
    assert np.allclose(total.loc[merged.index].round(1), merged, atol=0.06)
    assert comps.groupby("account_id")["max_points"].sum().round(6).eq(100).all()


def test_health_uses_churn_evidence_when_present(demo, demo_kpis):
    portfolio, _ = demo
    kpis = demo_kpis["kpis"]
    feats = kpis[["account_id", "days_since_last_order", "late_share_12m", "win_rate"]].rename(
        columns={"late_share_12m": "late_share", "win_rate": "wins"}
    )
    importance = pd.DataFrame(
        {
            "feature": ["days_since_last_order", "late_share", "wins", "industry"],
            "label": ["Days since the last order", "Late payments", "Win rate", "Industry"],
            "importance": [0.6, 0.3, 0.1, 0.4],
            "direction": [1, 1, -1, 0],
        }
    )
    res = K.health_scores(portfolio, kpis, {"churn_importance": importance, "churn_features": feats})
    health, comps = res
    assert health["health_basis"].iloc[0].startswith("weights from the churn model")
    assert set(comps["component"]) == {"days_since_last_order", "late_share", "wins"}
    w = comps.drop_duplicates("component").set_index("component")["weight"]
    assert w["days_since_last_order"] == pytest.approx(0.6) and w["wins"] == pytest.approx(0.1)
    worst = kpis.loc[kpis["days_since_last_order"].idxmax(), "account_id"]
    best = kpis.loc[kpis["days_since_last_order"].idxmin(), "account_id"]
    c = comps[comps["component"] == "days_since_last_order"].set_index("account_id")["contribution"]
    assert c[worst] < c[best]


def test_health_not_available_without_churn_evidence(demo, demo_kpis, monkeypatch):
    portfolio, _ = demo
    monkeypatch.setattr(K.health, "_label_window", lambda kind: None)  # where health_scores looks it up
    res = K.health_scores(portfolio, demo_kpis["kpis"], {})
    assert isinstance(res, NotAvailable) and "churn" in res.reason


def test_bundle_tables_shapes(demo, demo_kpis):
    portfolio, _ = demo
    out = demo_kpis
    n = len(portfolio.accounts)
    assert len(out["kpis"]) == n and out["kpis"]["account_id"].is_unique
    for col in K.SUMMARY_COLUMNS["kpis"]:
        assert col in out["kpis"].columns, col
    assert len(out["kpis_portfolio"]) == 1 and "account_id" not in out["kpis_portfolio"].columns
    assert out["kpis_portfolio"]["revenue_ltm"].iloc[0] == pytest.approx(out["kpis"]["revenue_ltm"].sum())
    assert len(out["receivables"]) % 5 == 0
    for name, df in out.items():
        if isinstance(df, pd.DataFrame) and name != "kpis_portfolio":
            assert "account_id" in df.columns, name
            assert not any(df[c].dtype == object for c in df.columns), f"{name} has object columns"


# ---- sections -------------------------------------------------------------------------------
def _capture(monkeypatch) -> list[str]:
    from kamtools import display

    out: list[str] = []
    monkeypatch.setattr(display, "_show", lambda markup: (out.append(markup), markup)[1])
    return out


def test_sections_render_from_a_bundle(demo, tmp_path, monkeypatch):
    from kamtools.bundle import analyze
    from kamtools.sections import kpis as section

    portfolio, _ = demo
    bundle = analyze(portfolio, tmp_path / "b", stages=["kpis"], progress=False)
    html = _capture(monkeypatch)
    acct = bundle.account("A0003")
    section.account_section(acct)
    text = "".join(html)
    for part in ("Account health", "Pipeline and bids", "Receivables", "Complaints", "Relationships"):
        assert part in text
    assert "<img" in text  # health components chart at least
    html.clear()
    section.portfolio_section(bundle)
    text = "".join(html)
    assert "Accounts most at risk" in text and "Account health" in text


def test_section_says_why_when_tables_are_missing(tiny, tmp_path, monkeypatch):
    from kamtools.bundle import analyze
    from kamtools.sections import kpis as section

    p = Portfolio({k: v for k, v in tiny.tables.items() if k in ("accounts", "products", "orders")}, AS_OF)
    bundle = analyze(p, tmp_path / "b", stages=["kpis"], progress=False)
    html = _capture(monkeypatch)
    section.account_section(bundle.account("A1"))
    text = "".join(html)
    assert "No opportunities table was supplied" in text
    assert "No invoices table was supplied" in text
    assert "kam-na" in text
