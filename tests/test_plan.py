"""Tests of kamtools.plan: the safe evaluator, templates, the playbook as data, plans on the demo."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd
import pytest

from kamtools import kpis as K
from kamtools import plan as P
from kamtools.data.portfolio import NotAvailable
from kamtools.display import money

# ---- the safe condition evaluator -------------------------------------------------------------


@pytest.fixture
def facts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D"],
            "days_since_dm_contact": [140.0, 30.0, np.nan, 200.0],
            "decision_makers": [1.0, 2.0, 1.0, 0.0],
            "tier": pd.Series(["1", "2", None, "1"], dtype="str"),
            "single_threaded": [1.0, 0.0, np.nan, 0.0],
            "growth_pct": [-0.2, 0.1, 0.0, -0.05],
        }
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("days_since_dm_contact > 120", [True, False, False, True]),
        ("days_since_dm_contact > 120 and decision_makers > 0", [True, False, False, False]),
        ("days_since_dm_contact > 120 or decision_makers >= 2", [True, True, False, True]),
        ("not days_since_dm_contact > 120", [False, True, True, False]),  # missing -> comparison False
        ("100 < days_since_dm_contact <= 150", [True, False, False, False]),
        ('tier == "1"', [True, False, False, True]),
        ('tier != "1"', [False, True, False, False]),  # missing text never matches
        ('tier in ("2", "3")', [False, True, False, False]),
        ('tier not in ("2",)', [True, False, False, True]),
        ("single_threaded == True", [True, False, False, False]),
        ("single_threaded", [True, False, False, False]),
        ("growth_pct < -0.1", [True, False, False, False]),
        ("(growth_pct < 0) and not (decision_makers == 0)", [True, False, False, False]),
    ],
)
def test_condition_evaluates_vectorised(facts, text, expected):
    assert P.Condition(text).evaluate(facts).tolist() == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os')", "call"),
        ("__import__('os').system('echo hi') == 0", "call"),
        ("revenue_ltm.__class__ == 1", "attribute"),
        ("owner.upper() == 'X'", "call"),
        ("open('/etc/passwd')", "call"),
        ("revenue_ltm[0] > 1", "subscript"),
        ("revenue_ltm + 1 > 2", "binop"),
        ("(lambda: 1)() == 1", "call"),
        ("[x for x in (1, 2)] == 1", "listcomp"),
        ("(x := 3) > 1", "namedexpr"),
        ("os > 1", "unknown fact"),
        ("revenu_ltm > 1", "did you mean revenue_ltm"),
        ('tier > "1"', "ordering text"),
        ("tier == 1", "comparing text with a number"),
        ('revenue_ltm in ("a",)', "mixing"),
        ("revenue_ltm in (1, revenue_ytd)", "inside a literal list"),
        ("revenue_ltm >", "not valid"),
        ("f'{revenue_ltm}' == 'x'", "joinedstr"),
        ("'x'", "must be true or false"),
        ("-revenue_ltm < 0", "minus sign"),
    ],
)
def test_condition_rejects_code(text, message):
    with pytest.raises(P.PlaybookError) as err:
        P.Condition(text)
    assert message in str(err.value).lower() or message in str(err.value)


def test_condition_never_executes_anything(monkeypatch):
    import builtins

    called = []
    monkeypatch.setattr(builtins, "__import__", lambda *a, **k: called.append(a) or None, raising=True)
    with pytest.raises(P.PlaybookError):
        P.Condition("__import__('os') == 1")
    monkeypatch.undo()
    assert called == []


# ---- templates ------------------------------------------------------------------------------
def test_template_fills_and_formats():
    t = P.Template("Lost {lost_to_top_competitor:int} bids to {top_loss_competitor} at {loss_price_gap_pct:pct}")
    assert t.names == {"lost_to_top_competitor", "top_loss_competitor", "loss_price_gap_pct"}
    text = t.render({"lost_to_top_competitor": 3.0, "top_loss_competitor": "Vetro", "loss_price_gap_pct": 0.07})
    assert text == "Lost 3 bids to Vetro at 7%"
    t = P.Template("{overdue_60_plus} overdue for {days_since_dm_contact}, {{literal}} {dso_days:.1f}")
    out = t.render({"overdue_60_plus": 85200.0, "days_since_dm_contact": 140.0, "dso_days": np.nan})
    assert out == "85.2k overdue for 140 days, {literal} n/a"
    df = pd.DataFrame({"revenue_ltm": [1_250_000.0, 900.0], "growth_pct": [0.123, -0.5]})
    assert P.Template("{revenue_ltm:money} ({growth_pct:pct})").render_many(df) == ["1.25M (12%)", "900 (-50%)"]


def test_a_count_reads_with_its_words_in_the_right_number():
    """The quick demo's A0009 read '1 open bids worth 254.2k are expected to close in the next 90 days'."""
    t = P.Template("{bids_closing_90d:count open bid|open bids} worth {value_closing_90d:money}")
    df = pd.DataFrame({"bids_closing_90d": [1.0, 3.0, 0.0, np.nan], "value_closing_90d": [254_200.0, 5e4, 0.0, 0.0]})
    assert t.render_many(df) == [
        "1 open bid worth 254.2k",
        "3 open bids worth 50.0k",
        "0 open bids worth 0",
        "n/a open bids worth 0",
    ]
    pb = P.load_playbook()
    closing = next(r for r in pb.rules if r.id == "closing_bids").evidence
    assert closing.render({"bids_closing_90d": 1.0, "value_closing_90d": 254_200.0}) == (
        "1 open bid worth 254.2k expected to close in the next 90 days"
    )
    dm = next(
        r for r in pb.rules if "{dm_engaged_90d:int} of" in r.risk.text
    ).risk  # the quick demo: '0 of 1 ... makers'
    assert "(0 of 1 decision maker engaged in the last 90 days)" in dm.render(
        {"days_since_dm_contact": 122.0, "dm_engaged_90d": 0.0, "decision_makers": 1.0}
    )
    severe = next(r for r in pb.rules if r.id == "severe_complaints").risk
    assert severe.render({"open_severe": 1.0, "oldest_open_severe_days": 12.0}).startswith(
        "1 unresolved high/critical complaint, the oldest"
    )


@pytest.mark.parametrize(
    "text",
    [
        "{bids_closing_90d:count bid}",
        "{bids_closing_90d:count {x}|bids}",
        "{bids_closing_90d:count bid|bids!}",
        "{revenue_ltm.__class__}",
        "{revenue_ltm[0]}",
        "{revenue_ltm!r}",
        "{nope}",
        "{revenue_ltm:{dso_days}}",
        "{revenue_ltm:%Y-%m}",
        "a lone { brace",
        "{}",
    ],
)
def test_template_rejects_unsafe_placeholders(text):
    with pytest.raises(P.PlaybookError):
        P.Template(text)


# ---- the playbook as data -------------------------------------------------------------------
def test_default_playbook_is_valid_and_complete():
    pb = P.load_playbook()
    assert len(pb) >= 15 and len(set(pb.ids)) == len(pb.ids)
    for needed in ("exec_meeting", "finance_escalation", "bid_pricing", "severe_complaints", "single_threaded"):
        assert needed in pb.ids
    for rule in pb.rules:
        assert rule.priority in P.PRIORITIES and rule.due_in_days >= 0
        if rule.action is not None:
            assert rule.risk is not None or rule.evidence is not None, rule.id


def _write(tmp_path, text: str):
    path = tmp_path / "playbook.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body, message",
    [
        ("rules: [{id: x, when: 'revenue_ltm > 0'}]", "give a 'risk' text"),
        ("rules: [{id: x, when: 'revenue_ltm > 0', action: 'do it'}]", "needs its evidence"),
        ("rules: [{id: x, when: '__import__(\"os\")', risk: 'r'}]", "rule 'x'"),
        ("rules: [{id: x, when: 'revenue_ltm > 0', risk: '{revenue_ltm.real}'}]", "plain fact name"),
        ("rules: [{id: x, when: 'revenue_ltm > 0', risk: 'r', priority: urgent}]", "priority"),
        ("rules: [{id: x, when: 'revenue_ltm > 0', risk: 'r', due_in_days: soon}]", "due_in_days"),
        ("rules: [{id: x, when: 'revenue_ltm > 0', risk: 'r', colour: red}]", "unknown field"),
        (
            "rules: [{id: x, when: 'revenue_ltm > 0', risk: 'r'}, {id: x, when: 'revenue_ltm > 1', risk: 'r'}]",
            "more than once",
        ),
        ("extends: default\ndisable: [no_such_rule]\nrules: []", "cannot disable"),
        ("rules: [", "not valid YAML"),
        ("rules: []", "has no rules"),
    ],
)
def test_invalid_playbooks_are_explained(tmp_path, body, message):
    with pytest.raises(P.PlaybookError, match=re.escape(message)):
        P.load_playbook(_write(tmp_path, body))


# ---- plans on the demo portfolio -------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_context(demo):
    portfolio, _ = demo
    return K.bundle_tables(portfolio, {})


@pytest.fixture(scope="module")
def demo_plans(demo, demo_context):
    portfolio, _ = demo
    return P.bundle_tables(portfolio, dict(demo_context))


def test_churner_with_fading_contacts_gets_executive_meeting(demo, demo_context, demo_plans):
    portfolio, truth = demo
    kpis = demo_context["kpis"]
    ch = truth.churn.merge(kpis, on="account_id")
    fading = ch[
        ch["churned"]
        & (ch["signal_start"] <= portfolio.as_of - pd.Timedelta(days=150))
        & (ch["revenue_ltm"] > 0)
        & (ch["decision_makers"] > 0)
    ]
    assert len(fading) >= 3
    risks = demo_plans["plan_risks"]  # the rule fires for all; the action may be ranked out by bigger stakes
    assert fading["account_id"].isin(risks.loc[risks["rule_id"] == "exec_meeting", "account_id"]).all()
    actions = demo_plans["plan_actions"]
    meet = actions[(actions["rule_id"] == "exec_meeting") & actions["account_id"].isin(fading["account_id"])]
    assert len(meet) >= 1
    row = meet.iloc[0]
    assert row["action"].startswith("Book an executive meeting")
    days = int(kpis.set_index("account_id").loc[row["account_id"], "days_since_dm_contact"])
    assert f"No decision-maker contact for {days:,} days" in row["evidence"]
    assert row["priority"] == "high" and row["due_date"] >= portfolio.as_of + pd.Timedelta(days=14)
    owner = portfolio.accounts.set_index("account_id").loc[row["account_id"], "owner"]
    assert row["owner"] == owner


def test_overdue_invoices_get_finance_escalation(demo_context, demo_plans):
    kpis = demo_context["kpis"]
    overdue = kpis[kpis["overdue_60_plus"] >= P.MIN_VALUE_AT_STAKE]  # smaller sums are immaterial
    assert len(overdue) >= 1
    risks = demo_plans["plan_risks"]
    assert set(risks.loc[risks["rule_id"] == "finance_escalation", "account_id"]) == set(overdue["account_id"])
    actions = demo_plans["plan_actions"]
    esc = actions[actions["rule_id"] == "finance_escalation"]
    assert set(esc["account_id"]) <= set(overdue["account_id"])
    for _, a in esc.iterrows():
        amount = overdue.set_index("account_id").loc[a["account_id"], "overdue_60_plus"]
        assert money(amount) in a["evidence"]
        assert "finance" in a["action"] and a["owner"].endswith("+ finance")


def test_every_action_and_risk_carries_numeric_evidence(demo_plans):
    actions, risks = demo_plans["plan_actions"], demo_plans["plan_risks"]
    assert len(actions) > 50 and len(risks) > 50
    for df in (actions, risks):
        assert df["evidence"].str.len().gt(0).all()
        assert df["evidence"].str.contains(r"\d").all()
    assert not actions["evidence"].str.contains("n/a").any()
    assert actions["facts"].str.contains(": ").all()
    # the facts are in the reader's words, never internal field names
    assert not actions["facts"].str.contains(r"\b[a-z]+_[a-z_0-9]+\b").any()
    assert not risks["evidence"].str.contains(r"\b[a-z]+_[a-z_0-9]+\b").any()


def test_plan_tables_are_ordered_per_account(demo_plans):
    for name in ("plan_objectives", "plan_risks", "plan_actions", "plan_talking_points"):
        df = demo_plans[name]
        assert "account_id" in df.columns, name
        for _, g in df.groupby("account_id"):
            assert g["order"].tolist() == list(range(1, len(g) + 1)), name
    rank = {"high": 1, "medium": 2, "low": 3}
    for name, level in (("plan_actions", "priority"), ("plan_risks", "severity")):
        for _, g in demo_plans[name].groupby("account_id"):  # priority first, then the most at stake
            assert g[level].map(rank).is_monotonic_increasing, name
            for _, same in g.groupby(level):
                v = same["value_at_stake"]
                known = v.dropna()
                assert known.is_monotonic_decreasing and not v.iloc[: len(known)].isna().any(), name
    s = demo_plans["plan_summary"]
    assert s["account_id"].is_unique and (s["n_actions"] >= s["n_high_priority"]).all()


def test_playbook_can_be_extended_and_edited_without_code(demo, demo_context, tmp_path):
    portfolio, _ = demo
    kpis = demo_context["kpis"]
    path = _write(
        tmp_path,
        """
        extends: default
        disable: [margin_below_peers]
        max_actions_per_account: {default: 40}   # no cap: every rule's action is kept
        rules:
          - id: exec_meeting            # same id: replaces the built-in threshold and wording
            type: relationship
            when: decision_makers > 0 and days_since_dm_contact > 365 and revenue_ltm > 0
            risk: "A year without a decision maker ({days_since_dm_contact:days})"
            action: "Ask the sales director to call the decision maker"
            priority: high
            due_in_days: 7
          - id: big_pipeline            # a new rule
            type: pipeline
            when: open_value > 50000 and win_rate >= 0.5
            evidence: "{open_bids:int} open bids worth {open_value:money}, win rate {win_rate:pct}"
            action: "Ask for a bid-review slot with {owner}'s manager"
            priority: low
            due_in_days: 60
        """,
    )
    out = P.bundle_tables(portfolio, dict(demo_context), playbook=path)
    a = out["plan_actions"]
    assert "margin_below_peers" not in set(a["rule_id"])
    big = kpis[(kpis["open_value"] > 50000) & (kpis["win_rate"] >= 0.5)]
    assert len(big) > 0
    assert set(a.loc[a["rule_id"] == "big_pipeline", "account_id"]) == set(big["account_id"])
    row = a[a["rule_id"] == "big_pipeline"].iloc[0]
    assert re.search(r"\d+ open bids worth", row["evidence"]) and "manager" in row["action"]
    em = a[a["rule_id"] == "exec_meeting"]
    expected = kpis[(kpis["decision_makers"] > 0) & (kpis["days_since_dm_contact"] > 365) & (kpis["revenue_ltm"] > 0)]
    assert set(em["account_id"]) == set(expected["account_id"])
    assert em["action"].eq("Ask the sales director to call the decision maker").all()
    # a plan for one account with the same file
    plan = P.account_plan(portfolio, row["account_id"], playbook=path, context=demo_context)
    assert "big_pipeline" in plan.actions["rule_id"].tolist()


def test_a_team_playbook_can_replace_the_built_in_one(demo, demo_context, tmp_path):
    portfolio, _ = demo
    path = _write(
        tmp_path,
        """
        rules:
          - id: only_rule
            when: revenue_ltm > 0 and tier in ("1",)
            risk: "Tier-1 account with {revenue_ltm:money} revenue"
            priority: low
        """,
    )
    out = P.bundle_tables(portfolio, dict(demo_context), playbook=path)
    assert out["plan_actions"].empty and set(out["plan_risks"]["rule_id"]) <= {"only_rule"}


def test_objectives_from_forecast_and_whitespace(demo, demo_context):
    portfolio, _ = demo
    kpis = demo_context["kpis"]
    aid = kpis.loc[kpis["revenue_ltm"].idxmax(), "account_id"]
    months = pd.date_range(portfolio.as_of + pd.Timedelta(days=1), periods=13, freq="MS")
    forecast = pd.DataFrame({"account_id": aid, "unique_id": aid, "ds": months, "forecast": 1000.0})
    recs = pd.DataFrame(
        {
            "account_id": aid,
            "rank": [1, 2, 3, 4],
            "category": ["Premixes", "Diagnostics", "Packaging", "Spare parts"],
            "p_adopt": [0.5, 0.2, 0.1, 0.9],
            "spend_if_adopted": [10000.0, 5000.0, 20000.0, 99999.0],
            "recommended": [True, True, True, True],  # whitespace flags p_adopt of 10% or more
        }
    )
    churn = pd.DataFrame(
        {"account_id": [aid], "churn_probability": [0.7], "risk_band": ["high"], "revenue_at_risk": [5e5]}
    )
    ctx = {**demo_context, "forecast": forecast, "whitespace_recommendations": recs, "churn": churn}
    plan = P.account_plan(portfolio, aid, context=ctx)
    obj = plan.objectives.set_index("objective")
    capture = 0.5 * 10000 + 0.2 * 5000 + 0.1 * 20000  # top 3 by rank only
    assert plan.facts["forecast_12m"] == pytest.approx(12 * 1000.0)  # the 13th month is beyond 12 months
    assert obj.loc["revenue", "target_value"] == pytest.approx(12000 + capture)
    assert "forecast for the next 12 months 12.0k" in obj.loc["revenue", "basis"]
    assert obj.loc["retention", "target_value"] == P.RETENTION_TARGET_P
    margin, bench = plan.facts["margin_pct"], plan.facts["margin_benchmark"]
    want = margin if margin >= bench else margin + 0.5 * (bench - margin)
    assert obj.loc["margin", "target_value"] == pytest.approx(want)
    # the churn risk is flagged (this churn table lists no driver: the rule for an unexplained risk)
    assert "churn_risk_unexplained" in plan.risks["rule_id"].tolist()
    assert "forecast" not in plan.unavailable and "whitespace" not in plan.unavailable


def test_account_plan_object_and_missing_parts(demo, demo_context):
    portfolio, _ = demo
    plan = P.account_plan(portfolio, "A0002", context=demo_context)
    assert isinstance(plan, P.AccountPlan) and plan.account_id == "A0002"
    frames = plan.to_frames()
    assert set(frames) == {"profile", "objectives", "risks", "actions", "talking_points", "unavailable"}
    assert all(isinstance(v, pd.DataFrame) for v in frames.values())
    assert set(plan.profile) >= {"segment", "tier", "quadrant", "tenure_years", "expected_value_12m"}
    assert plan.points and all(isinstance(t, str) and t.endswith(".") for t in plan.points)
    for part in ("churn", "forecast", "whitespace", "segment", "value", "competitors"):
        assert part in plan.unavailable and "not run" in plan.unavailable[part]
    with pytest.raises(KeyError):
        P.account_plan(portfolio, "NOPE", context=demo_context)


def test_account_plan_from_bundle_matches_the_bundle_tables(demo, tmp_path):
    from kamtools.bundle import analyze

    portfolio, _ = demo
    bundle = analyze(portfolio, tmp_path / "b", stages=["kpis", "plan"], progress=False)
    actions = bundle.table("plan_actions")
    aid = actions["account_id"].iloc[0]
    plan = P.account_plan(bundle, aid)
    stored = bundle.account(aid).table("plan_actions")
    assert plan.actions["action"].tolist() == stored["action"].tolist()
    assert plan.actions["evidence"].tolist() == stored["evidence"].tolist()
    assert "churn" in plan.unavailable
    assert "plan_summary" in bundle.manifest["tables"]
    assert {"n_actions", "top_action"} <= set(bundle.accounts.columns)


def test_plan_not_available_without_kpis(demo):
    portfolio, _ = demo
    out = P.bundle_tables(portfolio, {"kpis": NotAvailable("no orders")})
    assert all(isinstance(v, NotAvailable) for v in out.values())


def test_plan_sections_render(demo, tmp_path, monkeypatch):
    from kamtools import display
    from kamtools.bundle import analyze
    from kamtools.sections import plan as section

    portfolio, _ = demo
    bundle = analyze(portfolio, tmp_path / "b", stages=["kpis", "plan"], progress=False)
    html: list[str] = []
    monkeypatch.setattr(display, "_show", lambda markup: (html.append(markup), markup)[1])
    aid = bundle.table("plan_actions")["account_id"].iloc[0]
    section.account_section(bundle.account(aid))
    text = "".join(html)
    for part in ("Objectives for the next 12 months", "Risks and their evidence", "Actions", "Talking points"):
        assert part in text
    assert "Value at stake" in text
    html.clear()
    section.portfolio_section(bundle)
    text = "".join(html)
    assert "Actions by type" in text and "Actions by owner" in text and "<img" in text
    assert "Most urgent actions: high priority first, then by value at stake" in text
    high = bundle.table("plan_actions").query("priority == 'high'")
    top = high.sort_values("value_at_stake", ascending=False).iloc[0]
    urgent = text[text.index("Most urgent actions") :]
    assert urgent.index(money(top["value_at_stake"])) < urgent.index("</tr>", urgent.index("<tbody>"))  # first row


# ---- --playbook FILE: checked before any work, recorded in the manifest ----------------------
_TEAM_PLAYBOOK = """
rules:
  - id: team_rule
    type: growth
    when: revenue_ltm > 0
    risk: "Team rule: {revenue_ltm:money} revenue in the last 12 months"
    priority: low
    due_in_days: 30
"""


@pytest.fixture(scope="module")
def small_demo():
    from kamtools.datasets import make_portfolio

    return make_portfolio(n_accounts=12, years=3, seed=3)[0]


def test_checked_playbook_records_path_and_hash(tmp_path):
    import hashlib

    pb, record = P.checked_playbook(None)
    assert record == {
        "path": "built-in",
        "sha256": hashlib.sha256(P.DEFAULT_PLAYBOOK.read_bytes()).hexdigest(),
        "rules": len(pb),
    }
    path = _write(tmp_path, _TEAM_PLAYBOOK)
    pb, record = P.checked_playbook(path)
    assert pb.ids == ["team_rule"]
    assert record["path"] == str(path.resolve()) and len(record["sha256"]) == 64
    extended = _write(tmp_path, "extends: default\ndisable: [dso_high]\nrules: []")
    assert "built_in_sha256" in P.checked_playbook(extended)[1]


def test_analyze_uses_the_playbook_and_records_it(small_demo, tmp_path):
    import hashlib

    from kamtools.bundle import analyze

    path = _write(tmp_path, _TEAM_PLAYBOOK)
    bundle = analyze(small_demo, tmp_path / "b", stages=["kpis", "plan"], progress=False, playbook=path)
    record = bundle.manifest["playbook"]
    assert record["path"] == str(path.resolve())
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    risks = bundle.table("plan_risks")
    assert len(risks) and set(risks["rule_id"]) == {"team_rule"}
    default = analyze(small_demo, tmp_path / "d", stages=["kpis", "plan"], progress=False)
    assert default.manifest["playbook"]["path"] == "built-in"
    assert "team_rule" not in set(default.table("plan_risks")["rule_id"])


def test_the_environment_variable_is_not_read_any_more(small_demo, tmp_path, monkeypatch):
    """The playbook comes from --playbook / playbook= only: what ran is what the manifest says."""
    from kamtools.bundle import analyze

    monkeypatch.setenv("KAMTOOLS_PLAYBOOK", str(_write(tmp_path, _TEAM_PLAYBOOK)))
    bundle = analyze(small_demo, tmp_path / "b", stages=["kpis", "plan"], progress=False)
    assert bundle.manifest["playbook"]["path"] == "built-in"
    assert "team_rule" not in set(bundle.table("plan_risks")["rule_id"])


_BAD_PLAYBOOKS = [
    (None, "does not exist"),
    ("rules: [{id: x, when: 'revenue_ltm > 0', risk: 'r'}", "is not valid YAML"),
    ("rules: [{id: lost_bids, when: 'revenue_ltm > 0', risk: 'r', colour: red}]", "rule 'lost_bids': unknown field"),
    ("rules: [{id: late, when: 'days_late > 3', risk: 'r'}]", "rule 'late': condition 'days_late > 3': unknown fact"),
    ("rules: [{id: big, when: 'revenue_ltm > 0', risk: '{revenue_ltm.real}'}]", "rule 'big'"),
    ("colour: red\nrules: []", "unknown top-level field"),
    ("rules: !!python/object/apply:os.system ['echo hi']", "YAML tags that build Python objects are never run"),
]


@pytest.mark.parametrize("body, message", _BAD_PLAYBOOKS)
def test_analyze_refuses_a_bad_playbook_before_any_work(tmp_path, capsys, body, message):
    from kamtools.cli import main

    path = tmp_path / "team.yml"
    if body is not None:
        path.write_text(body, encoding="utf-8")
    # the source does not exist either: the playbook is checked first, before any data is read
    code = main(["analyze", str(tmp_path / "no-data"), "--out", str(tmp_path / "bundle"), "--playbook", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: the playbook cannot be used:") and str(path) in err and message in err
    assert "No bundle was written" in err and "Traceback" not in err
    assert not (tmp_path / "bundle").exists() and sorted(p.name for p in tmp_path.iterdir()) == (
        ["team.yml"] if body is not None else []
    )


def test_demo_refuses_a_bad_playbook_before_any_work(tmp_path, capsys):
    from kamtools.cli import main

    path = _write(tmp_path, "rules: [{id: late, when: 'days_late > 3', risk: 'r'}]")
    code = main(["demo", "--out", str(tmp_path / "demo"), "--playbook", str(path), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert "rule 'late'" in captured.err and str(path) in captured.err and "Traceback" not in captured.err
    assert "demo portfolio" not in captured.out  # nothing was loaded
    assert not (tmp_path / "demo").exists()


@pytest.mark.slow
def test_demo_bundle_is_redone_when_the_playbook_changes(small_demo, tmp_path):
    from kamtools.demo import ensure_bundle

    team = _write(tmp_path, _TEAM_PLAYBOOK)
    bundle, reused = ensure_bundle(small_demo, tmp_path / "bundle", progress=False, playbook=team)
    assert not reused and bundle.manifest["playbook"]["path"] == str(team.resolve())
    assert ensure_bundle(small_demo, tmp_path / "bundle", progress=False, playbook=team)[1]
    bundle, reused = ensure_bundle(small_demo, tmp_path / "bundle", progress=False)
    assert not reused and bundle.manifest["playbook"]["path"] == "built-in"


@pytest.mark.slow
def test_account_plan_from_a_full_bundle_reads_portfolio_level_tables(demo, tmp_path):
    # the plan reads value_model (portfolio-level) since the one-time buyers' rule: account_plan on a
    # bundle with the value stage must take it whole, not fail with "table 'value_model' is portfolio-level"
    from kamtools.bundle import analyze

    portfolio, _ = demo
    bundle = analyze(portfolio, tmp_path / "b", stages=["kpis", "value", "churn", "plan"], progress=False)
    assert bundle.has("value_model")
    aid = bundle.table("plan_actions")["account_id"].iloc[0]
    plan = P.account_plan(bundle, aid)
    stored = bundle.account(aid).table("plan_actions")
    assert plan.actions["action"].tolist() == stored["action"].tolist()
