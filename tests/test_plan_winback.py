"""The plan agrees with itself on a lapsed account: a likely-lost account gets a win-back objective,
never "Keep the account", and no retention objective where the playbook drops the risk as immaterial
(the CDNOW audit's C00014: "Keep the account: bring churn probability from 96% below 30%" beside
"The playbook calls for no action on this account now")."""

from __future__ import annotations

import pandas as pd

from kamtools import plan as P

AS_OF = pd.Timestamp("2026-06-30")


def _kpis(rows: list[dict]) -> pd.DataFrame:
    base = {"name": "Acme", "owner": "Kim", "revenue_prior_ltm": 0.0, "decision_makers": 1.0}
    return pd.DataFrame([{**base, **r} for r in rows])


def _churn(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).assign(
        risk_band=lambda d: ["high" if p >= 0.3 else "low" for p in d["churn_probability"]]
    )


def _plans(kpis: pd.DataFrame, churn: pd.DataFrame):
    return P.plans({"kpis": kpis, "churn": churn}, AS_OF)


def test_a_likely_lost_account_gets_a_win_back_objective_and_a_playbook_action():
    kpis = _kpis(
        [
            {"account_id": "LOST", "revenue_ltm": 60_000.0, "days_since_last_order": 200.0},
            {"account_id": "RISK", "revenue_ltm": 80_000.0, "days_since_last_order": 30.0},
        ]
    )
    churn = _churn(
        [
            {"account_id": "LOST", "churn_probability": 0.96, "revenue_at_risk": 57_600.0},
            {"account_id": "RISK", "churn_probability": 0.45, "revenue_at_risk": 36_000.0},
        ]
    )
    built = _plans(kpis, churn)
    ret = built.objectives[built.objectives["objective"] == "retention"].set_index("account_id")["text"]
    assert ret["LOST"] == (
        "Win back the account: it has probably stopped buying (churn probability 96%, last order 200 days ago); "
        "a new order would bring back part of the 60.0k of the last 12 months"
    )
    assert "Keep the account" not in ret["LOST"]
    # an account at risk but still buying keeps its "keep" objective, unchanged
    assert ret["RISK"].startswith("Keep the account: bring churn probability from 45% below 30%")
    # the playbook acts on both: the objective never stands without an action
    acted = set(built.actions[built.actions["type"] == "retention"]["account_id"])
    assert {"LOST", "RISK"} <= acted


def test_no_retention_objective_where_the_playbook_finds_the_stake_immaterial():
    # C00014 of the audit: churn 96%, 4 of revenue at risk, under the playbook's floor of 1,000
    kpis = _kpis([{"account_id": "C00014", "revenue_ltm": 39.0, "days_since_last_order": 181.0}])
    churn = _churn([{"account_id": "C00014", "churn_probability": 0.96, "revenue_at_risk": 4.0}])
    built = _plans(kpis, churn)
    assert built.actions.empty  # "The playbook calls for no action on this account now"
    texts = built.objectives["text"].tolist()
    assert not [t for t in texts if "Keep the account" in t or "Win back" in t]
    assert texts == ["Reach 39 revenue in the next 12 months"]


def test_without_a_floor_the_objective_stays_as_before():
    facts = pd.DataFrame([{"account_id": "A", "revenue_ltm": 39.0, "churn_probability": 0.5, "revenue_at_risk": 4.0}])
    obj = P.objectives(facts)
    assert obj[obj["objective"] == "retention"]["text"].iloc[0].startswith("Keep the account: bring churn")
