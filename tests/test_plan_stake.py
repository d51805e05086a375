"""Every action shows a value at stake or the reason it has none, in the plan tables, on page one,
in the deck and in the CRM export; never a blank."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools import plan as P
from kamtools.plan.actions import NO_MONEY_PREFIX, stake_text
from kamtools.sections import plan as plan_section
from kamtools.sections.summary import actions_table

AS_OF = pd.Timestamp("2026-06-30")

PLAYBOOK = {
    "version": 1,
    "min_value_at_stake": 1000,
    "rules": [
        {  # a rule with a money fact the account has
            "id": "big_overdue",
            "type": "receivables",
            "when": "overdue_ar > 0",
            "action": "Chase the overdue invoices",
            "risk": "Overdue receivables {overdue_ar:money}",
            "priority": "high",
            "due_in_days": 7,
            "value": "overdue_ar",
        },
        {  # a rule without a money fact: its reason comes from its type
            "id": "meet_the_buyer",
            "type": "relationship",
            "when": "revenue_ltm > 0",
            "action": "Meet the buyer",
            "evidence": "No meeting this quarter",
            "priority": "medium",
            "due_in_days": 14,
        },
        {  # a money fact the account lacks
            "id": "risk_review",
            "type": "retention",
            "when": "revenue_ltm > 0",
            "action": "Review the retention plan",
            "evidence": "Annual review",
            "priority": "low",
            "due_in_days": 30,
            "value": "revenue_at_risk",
        },
    ],
}


def _actions() -> pd.DataFrame:
    kpis = pd.DataFrame(
        [{"account_id": "A1", "name": "Acme", "owner": "Kim", "revenue_ltm": 500_000.0, "overdue_ar": 52_000.0}]
    )
    facts, _ = P.account_facts({"kpis": kpis}, AS_OF)
    _, actions = P.apply_playbook(facts, P.load_playbook(PLAYBOOK), AS_OF)
    return actions.set_index("rule_id")


def test_an_action_without_money_states_why_in_its_value_basis():
    a = _actions()
    assert a.loc["big_overdue", "value_at_stake"] == 52_000.0
    assert a.loc["big_overdue", "value_basis"] == "overdue receivables"
    assert np.isnan(a.loc["meet_the_buyer", "value_at_stake"])
    assert a.loc["meet_the_buyer", "value_basis"] == "no money figure: relationship risk"
    assert np.isnan(a.loc["risk_review", "value_at_stake"])
    assert a.loc["risk_review", "value_basis"] == "no money figure: revenue at risk is not known for this account"
    assert list(a.index) == ["big_overdue", "meet_the_buyer", "risk_review"]  # money first, then the rest


def test_page_one_and_the_plan_table_show_money_or_the_reason_never_a_blank():
    a = _actions().reset_index()
    page_one = actions_table(a, "EUR").set_index(a["rule_id"])["stake"]
    assert page_one["big_overdue"] == "€52.0k (overdue receivables)"
    assert page_one["meet_the_buyer"] == "no money figure: relationship risk"
    plan = plan_section._with_value(a, "EUR").set_index("rule_id")["value"]
    assert plan.to_dict() == page_one.to_dict()
    assert all(v.strip() for v in plan)


def test_stake_text_of_rows_written_before_reasons_were_recorded():
    assert stake_text(float("nan"), "revenue at risk") == "no money figure"  # not a figure's name beside a blank
    assert stake_text(None, None) == "no money figure"
    assert stake_text(1_250_000, "revenue at risk", "GBP") == "£1.25M (revenue at risk)"
    assert stake_text(812, "") == "812"
    assert NO_MONEY_PREFIX == "no money figure: "
