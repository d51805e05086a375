"""When an owner has more actions than the playbook's weekly capacity clears in a quarter, the
plan says so: the portfolio page names the owner and the last due date, and an account whose
action was pushed out says why its date is late."""

from __future__ import annotations

import html

import pandas as pd
import pytest
import yaml

from kamtools.sections import plan as plan_section

RULES = [
    {
        "id": "call",
        "type": "relationship",
        "when": "revenue_ltm > 0",
        "action": "Call the buyer",
        "evidence": "Quarterly call",
        "priority": "high",
        "due_in_days": 7,
    },
]


def _bundle(root, per_week: int):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    playbook = {"version": 1, "min_value_at_stake": 0, "owner_actions_per_week": per_week, "rules": RULES}
    (root / "playbook.yml").write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")
    portfolio, _ = make_portfolio(n_accounts=30, years=2, seed=3, groups=0)
    portfolio.accounts["owner"] = "Kim"  # one owner for every account
    return analyze(portfolio, root / "b", stages=["kpis", "plan"], playbook=root / "playbook.yml", progress=False)


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    return _bundle(tmp_path_factory.mktemp("crowded"), per_week=1)


def test_the_portfolio_page_names_the_overloaded_owner_and_the_last_due_date(crowded, captured):
    actions = crowded.table("plan_actions")
    last = pd.to_datetime(actions["due_date"]).max()
    assert last > crowded.as_of + pd.Timedelta(weeks=13)  # 30 calls at one a week
    plan_section.portfolio_section(crowded)
    text = html.unescape("".join(captured))
    assert "1 owner has more actions than the playbook's weekly capacity" in text
    assert f"Kim's last of {len(actions)} actions is due {last.strftime('%d %b %Y').lstrip('0')}" in text


def test_a_pushed_back_action_says_why_its_date_is_late(crowded, captured):
    actions = crowded.table("plan_actions")
    late = actions.loc[pd.to_datetime(actions["due_date"]) > crowded.as_of + pd.Timedelta(weeks=13), "account_id"]
    early = actions.loc[pd.to_datetime(actions["due_date"]) <= crowded.as_of + pd.Timedelta(weeks=2), "account_id"]
    plan_section.account_section(crowded.account(late.iloc[-1]))
    assert "due more than 13 weeks out only because the owner already has" in html.unescape("".join(captured))
    captured.clear()
    plan_section.account_section(crowded.account(early.iloc[0]))
    assert "only because the owner already has" not in html.unescape("".join(captured))


def test_no_sentence_when_the_capacity_suffices(tmp_path, captured):
    roomy = _bundle(tmp_path, per_week=100)
    plan_section.portfolio_section(roomy)
    assert "weekly capacity" not in html.unescape("".join(captured))
