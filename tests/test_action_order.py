"""The order a KAM sees the plan's actions in: priority (high, medium, low), then value at stake
(largest first, unknown last), then playbook order; on page one, in the plan section, in the deck,
in the CRM export and as the account's top action, the same."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
import yaml

from kamtools import plan as P
from kamtools.sections import plan as plan_section

AS_OF = pd.Timestamp("2026-06-30")


def _rule(rule_id: str, rule_type: str, priority: str, value: str | None, when: str = "revenue_ltm > 0") -> dict:
    rule = {
        "id": rule_id,
        "type": rule_type,
        "when": when,
        "action": f"Do {rule_id}",
        "evidence": f"Because of {rule_id}",
        "priority": priority,
        "due_in_days": 7,
    }
    return rule | ({"value": value} if value else {})


def _actions(rules: list[dict], kpis: list[dict], **settings) -> pd.DataFrame:
    facts, _ = P.account_facts({"kpis": pd.DataFrame([{"name": "Acme", "owner": "Kim"} | r for r in kpis])}, AS_OF)
    playbook = P.load_playbook({"version": 1, "min_value_at_stake": 1000, "rules": rules, **settings})
    return P.apply_playbook(facts, playbook, AS_OF)[1]


ACCOUNT = {"account_id": "A1", "revenue_ltm": 900_000.0, "open_ar": 5_000.0, "overdue_ar": 60_000.0}


def test_a_high_action_with_a_small_stake_comes_before_a_medium_one_with_a_large_stake():
    rules = [  # the medium rule first in the playbook, and its stake 180 times larger
        _rule("grow", "growth", "medium", "revenue_ltm"),
        _rule("chase", "receivables", "high", "open_ar"),
    ]
    a = _actions(rules, [ACCOUNT])
    assert a["rule_id"].tolist() == ["chase", "grow"]
    assert a["order"].tolist() == [1, 2]
    assert a["value_at_stake"].tolist() == [5_000.0, 900_000.0]
    assert a["due_date"].is_monotonic_increasing  # the first action is due first


def test_within_a_priority_the_largest_stake_first_unknown_last_then_playbook_order():
    rules = [
        _rule("no_money", "relationship", "high", None),
        _rule("low_big", "growth", "low", "revenue_ltm"),
        _rule("small", "receivables", "high", "open_ar"),
        _rule("big", "retention", "high", "revenue_ltm"),
        _rule("same_as_big", "targets", "high", "revenue_ltm"),  # a tie on value: playbook order
        _rule("medium", "margin", "medium", "overdue_ar"),
    ]
    a = _actions(rules, [ACCOUNT], max_actions_per_account={"default": 10})
    assert a["rule_id"].tolist() == ["big", "same_as_big", "small", "no_money", "medium", "low_big"]
    assert a["priority"].tolist() == ["high"] * 4 + ["medium", "low"]
    assert np.isnan(a["value_at_stake"].iloc[3])


def test_risks_follow_the_same_order_as_actions():
    rules = [
        _rule("grow", "growth", "medium", "revenue_ltm") | {"risk": "Growth stalls"},
        _rule("chase", "receivables", "high", "open_ar") | {"risk": "Invoices unpaid"},
    ]
    facts, _ = P.account_facts({"kpis": pd.DataFrame([{"name": "Acme", "owner": "Kim"} | ACCOUNT])}, AS_OF)
    risks, _ = P.apply_playbook(facts, P.load_playbook({"version": 1, "rules": rules}), AS_OF)
    assert risks["rule_id"].tolist() == ["chase", "grow"] and risks["severity"].tolist() == ["high", "medium"]


def test_the_cap_keeps_every_high_action_before_a_medium_one_and_one_per_topic_within_a_priority():
    rules = [
        _rule("medium_big", "growth", "medium", "revenue_ltm"),
        _rule("target_a", "targets", "high", "overdue_ar"),
        _rule("target_b", "targets", "high", "open_ar"),
        _rule("margin_small", "margin", "high", "open_ar"),
    ]
    # three actions: the two high topics first (the second target action yields to the margin one),
    # then the second target action before the medium one; shown by priority, then value
    a = _actions(rules, [ACCOUNT], max_actions_per_account={"default": 3})
    assert a["rule_id"].tolist() == ["target_a", "target_b", "margin_small"]
    two = _actions(rules, [ACCOUNT], max_actions_per_account={"default": 2})
    assert two["rule_id"].tolist() == ["target_a", "margin_small"]


def test_an_owners_full_week_goes_to_high_priority_first_actions():
    rules = [
        _rule("grow", "growth", "medium", "revenue_ltm", when="revenue_ltm > 100000"),
        _rule("chase", "receivables", "high", "open_ar", when="revenue_ltm <= 100000"),
    ]
    accounts = [
        {"account_id": "BIG", "revenue_ltm": 900_000.0, "open_ar": 0.0},
        {"account_id": "SMALL", "revenue_ltm": 50_000.0, "open_ar": 4_000.0},
    ]
    a = _actions(rules, accounts, owner_actions_per_week=1).set_index("account_id")
    assert a.loc["SMALL", "due_in_days"] < a.loc["BIG", "due_in_days"]  # one a week: the high one goes first


def test_the_most_urgent_list_of_the_portfolio_puts_high_priority_first():
    rules = [
        _rule("grow", "growth", "medium", "revenue_ltm", when="revenue_ltm > 100000"),
        _rule("chase", "receivables", "high", "open_ar", when="revenue_ltm <= 100000"),
        _rule("call", "relationship", "high", None, when="revenue_ltm <= 100000"),
    ]
    accounts = [
        {"account_id": "BIG", "revenue_ltm": 900_000.0, "open_ar": 0.0},
        {"account_id": "SMALL", "revenue_ltm": 50_000.0, "open_ar": 4_000.0},
    ]
    urgent = plan_section.most_urgent(_actions(rules, accounts))
    assert urgent["rule_id"].tolist() == ["chase", "call", "grow"]


# ---- what a user sees: page one, the plan section, the deck, the CRM export, the top action ----
HIGH = "Chase the open invoices with the finance team of the buyer"
MEDIUM = "Propose a bigger annual agreement"
PLAYBOOK = {
    "version": 1,
    "rules": [  # the medium rule first in the file, with the much larger stake
        {
            "id": "grow",
            "type": "growth",
            "when": "revenue_ltm > 0",
            "action": MEDIUM,
            "evidence": "Revenue {revenue_ltm:money} a year",
            "priority": "medium",
            "due_in_days": 7,
            "value": "revenue_ltm",
        },
        {
            "id": "chase",
            "type": "receivables",
            "when": "open_ar > 1000",
            "action": HIGH,
            "evidence": "Open receivables {open_ar:money}",
            "priority": "high",
            "due_in_days": 14,
            "value": "open_ar",
        },
    ],
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    root = tmp_path_factory.mktemp("order")
    (root / "playbook.yml").write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False), encoding="utf-8")
    portfolio, _ = make_portfolio(n_accounts=12, years=2, seed=3, groups=0)
    return analyze(portfolio, root / "b", stages=["kpis", "plan"], playbook=root / "playbook.yml", progress=False)


@pytest.fixture(scope="module")
def account_id(bundle):
    actions = bundle.table("plan_actions")
    both = actions.groupby("account_id")["rule_id"].agg(set)
    ids = sorted(both.index[both.map(lambda s: s == {"grow", "chase"})])
    assert ids, "the demo needs an account with open receivables"
    aid = ids[0]
    mine = actions[actions["account_id"] == aid].set_index("rule_id")["value_at_stake"]
    assert mine["chase"] < mine["grow"]  # the high action has the smaller stake
    return aid


def _page_order(text: str) -> bool:
    assert HIGH in text and MEDIUM in text
    return text.index(HIGH) < text.index(MEDIUM)


def test_the_bundle_ranks_and_names_the_high_action_first(bundle, account_id):
    a = bundle.table("plan_actions")
    mine = a[a["account_id"] == account_id].sort_values("order")
    assert mine["action"].tolist() == [HIGH, MEDIUM]
    summary = bundle.table("plan_summary").set_index("account_id")
    assert summary.loc[account_id, "top_action"] == HIGH
    firsts = a[a["order"] == 1].set_index("account_id")["action"]
    assert (summary.loc[firsts.index, "top_action"] == firsts).all()  # the top action is always the first


def test_page_one_and_the_plan_section_list_the_high_action_first(bundle, account_id, captured):
    from kamtools import sections

    acct = bundle.account(account_id)
    sections.account("summary", acct)
    page_one = "".join(captured)
    assert "What we do next" in page_one and _page_order(page_one)
    captured.clear()
    plan_section.account_section(acct)
    assert _page_order("".join(captured))
    captured.clear()
    plan_section.portfolio_section(bundle)
    urgent = "".join(captured)
    urgent = urgent[urgent.index("Most urgent actions: high priority first") :]
    assert urgent.index(HIGH) < urgent.index(MEDIUM)


def test_the_crm_export_lists_the_high_action_first(bundle, account_id, tmp_path):
    from kamtools.cli import main

    out = tmp_path / "actions.csv"
    assert main(["export-actions", str(bundle.path), "--out", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["account_id"] == account_id]
    assert [r["priority"] for r in rows] == ["high", "medium"]
    assert HIGH.split(":")[0] in rows[0]["subject"] and pd.Timestamp(rows[0]["due_date"]) < pd.Timestamp(
        rows[1]["due_date"]
    )


def test_the_internal_deck_names_and_lists_the_high_action_first(bundle, account_id, tmp_path):
    pytest.importorskip("pptx")
    from pptx import Presentation

    from kamtools.deck.files import deck_path, write_decks

    write_decks(bundle, tmp_path, accounts=[account_id], portfolio=False, progress=False)
    prs = Presentation(str(deck_path(tmp_path, account_id, "internal")))
    texts = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
    text = "\n".join(texts)
    glance = text[text.index("Top action") :]
    assert glance.split("\n")[1].startswith(HIGH[:40])  # the top action on the glance slide
    plan = text[text.rindex("Priority") :]
    assert plan.index(HIGH[:40]) < plan.index(MEDIUM[:30])


def test_a_lapsed_accounts_win_back_is_kept_whatever_the_cap():
    """The demo cut to 12 months: A0028, lapsed after one order, kept "Build a gap-closing plan" and "Prepare the
    closing bids" (medium) under its tier's cap of 2 and dropped its low-cost win-back (low), while its forecast
    section said the plan treats it as a win-back case."""
    rules = [
        _rule("gap", "targets", "medium", "revenue_ltm"),
        _rule("bids", "pipeline", "medium", "overdue_ar"),
        _rule("win_back", "retention", "low", "open_ar", when='churn_risk_band == "lapsed"'),
    ]
    tables = {
        "kpis": pd.DataFrame([{"name": "Acme", "owner": "Kim"} | ACCOUNT]),
        "churn": pd.DataFrame({"account_id": ["A1"], "churn_probability": [0.9], "risk_band": ["lapsed"]}),
    }
    facts, _ = P.account_facts(tables, AS_OF)
    playbook = P.load_playbook(
        {"version": 1, "min_value_at_stake": 1000, "rules": rules, "max_actions_per_account": {"default": 2}}
    )
    a = P.apply_playbook(facts, playbook, AS_OF)[1]
    assert a["rule_id"].tolist() == ["gap", "win_back"]  # still shown by priority: the win-back last
    assert a["order"].tolist() == [1, 2]
    # an account that still orders keeps the two medium actions
    tables["churn"]["risk_band"] = ["medium"]
    facts, _ = P.account_facts(tables, AS_OF)
    assert P.apply_playbook(facts, playbook, AS_OF)[1]["rule_id"].tolist() == ["gap", "bids"]
