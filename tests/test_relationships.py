"""The relationship map and its coverage findings on small hand-made contacts and interactions.

Each kind of finding is planted once in :func:`portfolio` and checked by the sentence a KAM reads;
old data (no reports_to, attitude, left_date, employee) and accounts without contacts are covered too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.relationships import (
    CHAMPION_LEFT_MONTHS,
    DETRACTOR_PLAN_DAYS,
    DM_NOT_MET_DAYS,
    SINGLE_THREAD_SHARE,
    bundle_tables,
    coverage_findings,
    relationship_map,
)

AS_OF = pd.Timestamp("2026-06-30")


def _accounts(parent: dict[str, str] | None = None) -> pd.DataFrame:
    ids = ["G1", "A1", "A2", "A3", "B1"]
    names = ["Global Feed Group", "Feed France SA", "Feed Italia Srl", "Feed Polska", "Solo Mills"]
    df = pd.DataFrame({"account_id": ids, "name": names, "customer_since": pd.Timestamp("2020-01-01")})
    parent = {"A1": "G1", "A2": "G1", "A3": "G1"} if parent is None else parent
    df["parent_account_id"] = pd.Series([parent.get(i) for i in ids], dtype="str")
    return df


def _orders(ids=("A1", "A2", "A3", "B1")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(len(ids))],
            "account_id": list(ids),
            "product_id": "P1",
            "order_date": AS_OF - pd.Timedelta(days=30),
            "quantity": 1.0,
            "net_revenue": 1000.0,
            "cost": 600.0,
        }
    )


def _contacts() -> pd.DataFrame:
    rows = [
        # id, account, name, title, role, seniority, reports_to, attitude, left_date
        ("K1", "A1", "Anna Lind", "Purchasing Director", "decision_maker", "executive", None, "champion", "2026-02-15"),
        ("K2", "A1", "Bo Berg", "Buyer", "user", "staff", "K3", "supporter", None),
        ("K3", "A1", "Carl Dahl", "CEO", "decision_maker", "executive", None, "detractor", None),
        ("K4", "A1", "Dora Ek", "Quality Manager", "influencer", "manager", "K3", "neutral", None),
        ("K5", "A2", "Eva Fors", "Plant Manager", "decision_maker", "senior", None, None, None),
        ("K6", "B1", "Finn Gran", "Owner", "decision_maker", "executive", None, "supporter", None),
        ("K7", "A3", "Gus Holm", "Buyer", "user", "staff", None, "champion", "2025-01-10"),
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "contact_id",
            "account_id",
            "name",
            "title",
            "role",
            "seniority",
            "reports_to",
            "attitude",
            "left_date",
        ],
    )
    df["left_date"] = pd.to_datetime(df["left_date"])
    return df


def _interactions() -> pd.DataFrame:
    rows = []
    # A1: Bo Berg met 8 times in the last year (by M. Berg 6, by L. Roux 2), Dora once, Anna once before she left
    for i in range(8):
        rows.append(("A1", "K2", AS_OF - pd.Timedelta(days=20 + 30 * i), "M. Berg" if i < 6 else "L. Roux"))
    rows.append(("A1", "K4", AS_OF - pd.Timedelta(days=100), "L. Roux"))
    rows.append(("A1", "K1", pd.Timestamp("2026-01-20"), "M. Berg"))
    # the CEO, a detractor, was last met 200 days ago
    rows.append(("A1", "K3", AS_OF - pd.Timedelta(days=200), "M. Berg"))
    # A2: the plant manager (a decision maker) last met 400 days ago
    rows.append(("A2", "K5", AS_OF - pd.Timedelta(days=400), "J. Smith"))
    # B1: the owner met recently
    rows.append(("B1", "K6", AS_OF - pd.Timedelta(days=10), "J. Smith"))
    df = pd.DataFrame(rows, columns=["account_id", "contact_id", "date", "employee"])
    df["type"] = "meeting"
    return df


def portfolio(contacts=None, interactions=None, accounts=None, orders=None) -> Portfolio:
    tables = {
        "accounts": _accounts() if accounts is None else accounts,
        "products": pd.DataFrame({"product_id": ["P1"], "name": ["Premix"], "category": ["Premixes"]}),
        "orders": _orders() if orders is None else orders,
        "contacts": _contacts() if contacts is None else contacts,
        "interactions": _interactions() if interactions is None else interactions,
    }
    return Portfolio({k: v for k, v in tables.items() if v is not False}, AS_OF)


@pytest.fixture(scope="module")
def found():
    p = portfolio()
    rmap = relationship_map(p)
    return rmap, coverage_findings(p, rmap)


def _one(findings: pd.DataFrame, kind: str, account: str) -> dict:
    rows = findings[(findings["kind"] == kind) & (findings["account_id"] == account)]
    assert len(rows) == 1, findings[["account_id", "kind", "evidence"]].to_string()
    return rows.iloc[0].to_dict()


def test_map_has_one_row_per_contact_with_owner_days_and_flags(found):
    rmap, _ = found
    assert len(rmap) == 7 and rmap["contact_id"].is_unique
    bo = rmap.set_index("contact_id").loc["K2"]
    assert bo["owner"] == "M. Berg"  # 6 of his 8 interactions
    assert bo["n_interactions_12m"] == 8 and bo["days_since_contact"] == 20
    assert bo["group_id"] == "G1" and bo["reports_to"] == "K3"
    anna = rmap.set_index("contact_id").loc["K1"]
    assert bool(anna["has_left"]) and bool(anna["is_decision_maker"])
    solo = rmap.set_index("contact_id").loc["K6"]
    assert solo["group_id"] == "B1"
    # executives first within an account
    a1 = rmap[rmap["account_id"] == "A1"]["seniority"].tolist()
    assert a1[:2] == ["executive", "executive"]


def test_champion_left_names_the_person_and_the_date(found):
    _, f = found
    row = _one(f, "champion_left", "A1")
    assert row["severity"] == "high" and row["contact_id"] == "K1"
    assert (
        "Anna Lind (Purchasing Director), our champion and decision maker, left Feed France SA on 15 Feb 2026"
        in (row["evidence"])
    )
    assert row["days"] == (AS_OF - pd.Timestamp("2026-02-15")).days
    assert "Bo Berg (Buyer)" in row["evidence"]  # the supporter still there
    # a champion who left more than CHAMPION_LEFT_MONTHS ago is history, not a finding
    assert CHAMPION_LEFT_MONTHS == 12
    assert f[(f["kind"] == "champion_left") & (f["account_id"] == "A3")].empty


def test_single_threaded_states_the_share_and_the_rule(found):
    _, f = found
    row = _one(f, "single_threaded", "A1")
    assert row["contact_id"] == "K2"
    # 8 of the 10 named interactions of the last 12 months (Bo 8, Dora 1, the CEO 1; Anna left)
    assert row["evidence"].startswith(
        "Single-threaded: 80% of the 10 interactions with a named contact in the last 12 months were with Bo Berg (Buyer)"
    )
    assert f"{SINGLE_THREAD_SHARE:.0%} or more through one person" in row["evidence"]
    assert "2 other current contacts are on file" in row["evidence"]
    # B1 has one interaction: too few to call it single-threaded
    assert f[(f["kind"] == "single_threaded") & (f["account_id"] == "B1")].empty


def test_detractor_decision_maker_without_a_plan(found):
    _, f = found
    row = _one(f, "detractor_dm", "A1")
    assert row["contact_id"] == "K3" and row["severity"] == "high" and row["days"] == 200
    assert (
        f"no one on our side has met them in the last {DETRACTOR_PLAN_DAYS} days (last met 200 days ago)"
        in (row["evidence"])
    )
    # told once: not also as a decision maker not met
    assert f[(f["kind"] == "dm_not_met") & (f["contact_id"] == "K3")].empty


def test_detractor_met_recently_has_a_plan():
    inter = _interactions()
    inter.loc[inter["contact_id"] == "K3", "date"] = AS_OF - pd.Timedelta(days=10)
    f = coverage_findings(portfolio(interactions=inter))
    assert f[f["kind"] == "detractor_dm"].empty


def test_decision_maker_not_met_states_days_and_threshold(found):
    _, f = found
    row = _one(f, "dm_not_met", "A2")
    assert row["contact_id"] == "K5" and row["days"] == 400 and row["severity"] == "high"
    assert "Decision maker Eva Fors (Plant Manager) was last met 400 days ago" in row["evidence"]
    assert f"by J. Smith); {DM_NOT_MET_DAYS} days or more without contact is a gap" in row["evidence"]


def test_unit_without_contact(found):
    _, f = found
    row = _one(f, "unit_no_contact", "A3")
    assert row["group_id"] == "G1" and pd.isna(row["contact_id"])
    assert row["evidence"] == (
        "Feed Polska, a unit of Global Feed Group, has no current contact on file (its only contact on file has "
        "left): nobody there is known to us. Ask our contacts at the group for an introduction to its buyer."
    )
    # the holding without orders of its own and the stand-alone account are no units
    assert f[(f["kind"] == "unit_no_contact") & f["account_id"].isin(["G1", "B1"])].empty


def test_unit_without_contact_graded_by_revenue():
    p = portfolio()
    f = coverage_findings(p, revenue_12m=pd.Series({"A3": 52000.0}))
    row = _one(f, "unit_no_contact", "A3")
    assert row["severity"] == "medium" and "although it bought 52.0k in the last 12 months" in row["evidence"]


def test_old_data_without_the_new_columns():
    contacts = _contacts().drop(columns=["reports_to", "attitude", "left_date"])
    inter = _interactions().drop(columns=["employee"])
    accounts = _accounts().drop(columns=["parent_account_id"])
    p = portfolio(contacts=contacts, interactions=inter, accounts=accounts)
    out = bundle_tables(p, {})
    rmap, f, acc = out["relationship_map"], out["coverage_findings"], out["relationship_accounts"]
    assert rmap["attitude"].isna().all() and rmap["owner"].isna().all() and not rmap["has_left"].any()
    assert (rmap["group_id"] == rmap["account_id"]).all()
    assert set(f["kind"]) <= {"single_threaded", "dm_not_met"}  # no attitude, nobody left, no groups
    assert not acc["champion_left"].any()
    assert "so our owner of each contact is unknown" in out["_notes"]["relationships"]
    assert "so detractors are not found" in out["_notes"]["relationships"]


def test_accounts_without_contacts_and_no_contacts_table():
    out = bundle_tables(portfolio(), {})
    acc = out["relationship_accounts"].set_index("account_id")
    assert acc.loc["A3", "n_contacts_active"] == 0 and acc.loc["A3", "n_contacts"] == 1
    assert acc.loc["G1", "n_contacts"] == 0 and not acc.loc["G1", "single_threaded"]
    assert bool(acc.loc["A1", "champion_left"]) and bool(acc.loc["A1", "single_threaded"])
    assert acc.loc["A1", "successor_role"] == "the successor of Anna Lind as Purchasing Director"
    assert acc.loc["A1", "thread_share"] == pytest.approx(0.8)
    none = bundle_tables(portfolio(contacts=False, interactions=False), {})
    assert all(isinstance(v, NotAvailable) for v in none.values())
    assert "add contacts.csv" in str(none["relationship_map"])


def test_contacts_without_interactions():
    out = bundle_tables(portfolio(interactions=False), {})
    f = out["coverage_findings"]
    assert not (f["kind"].isin(["single_threaded", "dm_not_met"])).any()
    assert "champion_left" in set(f["kind"])  # leaving dates need no interactions
    assert out["relationship_map"]["days_since_contact"].isna().all()
    assert "No interactions table was supplied" in out["_notes"]["relationships"]


def test_stage_tables_match_their_declaration():
    from kamtools import stages as S

    out = bundle_tables(portfolio(), {})
    for name in ("relationship_map", "coverage_findings", "relationship_accounts"):
        S.validate_table(S.stage("relationships"), name, out[name])
    assert set(out["coverage_findings"]["kind"]) == {
        "champion_left",
        "detractor_dm",
        "single_threaded",
        "dm_not_met",
        "unit_no_contact",
    }
    assert np.isin(out["coverage_findings"]["severity"], ["high", "medium", "low"]).all()


def test_demo_with_groups_finds_the_planted_champions_who_left():
    from kamtools.datasets import make_portfolio

    p, truth = make_portfolio(n_accounts=60, years=4, seed=7)
    out = bundle_tables(p, {})
    planted = truth.champions_left
    recent = planted[(planted["left_date"] <= p.as_of) & (planted["left_date"] > p.as_of - pd.DateOffset(months=12))]
    acc = out["relationship_accounts"].set_index("account_id")
    assert len(recent) > 0
    assert acc.loc[recent["account_id"].unique(), "champion_left"].all()
    found = out["coverage_findings"]
    left = found[found["kind"] == "champion_left"]
    assert set(recent["contact_id"]) <= set(left["contact_id"])
    # the demo's reporting lines, attitudes and employees are read
    rmap = out["relationship_map"]
    assert rmap["reports_to"].notna().any() and rmap["attitude"].notna().any() and rmap["owner"].notna().all()
    assert "_notes" not in out
