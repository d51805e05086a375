"""The plan agrees with the report on a lapsed account, and the playbook's money floor does not silence a
portfolio of small customers (issue 17, the CDNOW audit: "0 actions across 1,000 account plans", and a lapsed
account that read "treat it as a win-back case" beside "The playbook calls for no action")."""

from __future__ import annotations

import pandas as pd

from kamtools import plan as P
from kamtools.plan.facts import MIN_VALUE_SHARE, material_floor

AS_OF = pd.Timestamp("1997-12-31")


def _tables(revenues: dict[str, float], lapsed: set[str], days: dict[str, float], with_portfolio: bool = True):
    ids = list(revenues)
    kpis = pd.DataFrame(
        {
            "account_id": ids,
            "name": ids,
            "owner": "Kim",
            "revenue_ltm": [revenues[a] for a in ids],
            "revenue_prior_ltm": 0.0,
            "decision_makers": 0.0,
            "days_since_last_order": [days[a] for a in ids],
        }
    )
    churn = pd.DataFrame(
        {
            "account_id": ids,
            "churn_probability": [0.9 if a in lapsed else 0.1 for a in ids],
            "risk_band": ["lapsed" if a in lapsed else "low" for a in ids],
            "revenue_at_risk": [0.9 * revenues[a] if a in lapsed else 0.1 * revenues[a] for a in ids],
        }
    )
    tables = {"kpis": kpis, "churn": churn}
    if with_portfolio:
        active = sum(1 for a in ids if revenues[a] > 0)
        tables["kpis_portfolio"] = pd.DataFrame(
            {"median_margin_pct": [0.3], "revenue_ltm": [sum(revenues.values())], "active_accounts": [active]}
        )
    return tables


def test_the_floor_is_relative_to_the_portfolio():
    small = pd.DataFrame({"revenue_per_active_account": [40.0, 40.0]})
    assert material_floor(1000.0, small) == MIN_VALUE_SHARE * 40.0 == 2.0
    big = pd.DataFrame({"revenue_per_active_account": [500_000.0]})
    assert material_floor(1000.0, big) == 1000.0  # key accounts: the playbook's figure stands
    unknown = pd.DataFrame({"revenue_per_active_account": [float("nan")]})
    assert material_floor(1000.0, unknown) == 1000.0
    assert material_floor(1000.0, pd.DataFrame({"x": [1]})) == 1000.0


def test_a_lapsed_small_customer_gets_the_win_back_action_the_report_advises():
    # C00001 of the audit: 12 of revenue in the last 12 months, last order 364 days ago, lapsed by the churn
    # definition; the others are small active customers
    revenues = {"C00001": 12.0, "C2": 40.0, "C3": 90.0, "C4": 30.0}
    days = {"C00001": 364.0, "C2": 20.0, "C3": 200.0, "C4": 10.0}
    built = P.plans(_tables(revenues, {"C00001"}, days), AS_OF)
    assert built.facts["revenue_per_active_account"].iloc[0] == 43.0
    acts = built.actions.set_index("account_id")
    assert acts.loc["C00001", "rule_id"] == "win_back"
    assert acts.loc["C00001", "action"] == (
        "Win-back call: find out why they stopped buying and what would bring them back"
    )
    assert acts.loc["C00001", "evidence"] == "Lapsed: no order for 364 days after 12 in the last 12 months"
    assert acts.loc["C00001", "priority"] == "high"
    # a lapsed account gets the win-back call, not the retention plan nor the order-gap call as well
    assert set(built.actions.loc[built.actions["account_id"] == "C00001", "rule_id"]) == {"win_back"}
    # an active small customer silent for 200 days still gets the order-gap call (worth 90, above 2.15)
    assert "order_gap" in set(built.actions.loc[built.actions["account_id"] == "C3", "rule_id"])
    assert "order_gap" not in set(built.actions["rule_id"][built.actions["account_id"] != "C3"])


def test_key_accounts_keep_the_playbooks_floor():
    revenues = {"K1": 400_000.0, "K2": 600_000.0, "K3": 800.0}
    days = {"K1": 20.0, "K2": 30.0, "K3": 200.0}
    built = P.plans(_tables(revenues, set(), days), AS_OF)
    # K3's order gap is worth 800: under the floor of 1,000 (5% of 333,600 per account is higher)
    assert "K3" not in set(built.actions["account_id"])


def test_one_account_alone_keeps_the_playbooks_floor():
    built = P.plans(_tables({"C00001": 12.0}, {"C00001"}, {"C00001": 364.0}, with_portfolio=False), AS_OF)
    assert built.facts["revenue_per_active_account"].isna().all()
    assert built.actions.empty  # 12 at stake is under 1,000, and one account says nothing about a portfolio


def test_a_lapsed_tier_3_account_gets_a_low_cost_low_priority_win_back():
    # the segment section calls a lapsed, less attractive (tier 3) account a win-back case to pursue at low
    # cost: the plan agrees, so a portfolio of many small lapsed customers is not flooded with high actions
    revenues = {"C00001": 12.0, "C2": 40.0, "C3": 90.0, "C4": 30.0}
    days = {"C00001": 364.0, "C2": 20.0, "C3": 200.0, "C4": 10.0}
    tables = _tables(revenues, {"C00001"}, days)
    tables["kpis"] = tables["kpis"].assign(tier=["3", "1", "2", "3"])
    built = P.plans(tables, AS_OF)
    mine = built.actions[built.actions["account_id"] == "C00001"]
    assert mine["rule_id"].tolist() == ["win_back_low_cost"]
    assert mine["priority"].tolist() == ["low"]
    assert mine["action"].iloc[0].startswith("Low-cost win-back")
