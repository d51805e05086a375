"""A plan that prioritises: risk bands by probability, value at stake, caps, staggered dates, new rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools import plan as P
from kamtools.churn import risk_bands
from kamtools.churn.scoring import HIGH_RISK_P, MEDIUM_RISK_P
from kamtools.display import money
from kamtools.sections import plan as plan_section
from kamtools.whitespace import MIN_USEFUL_P

AS_OF = pd.Timestamp("2026-06-30")


def _kpis(**accounts: dict) -> pd.DataFrame:
    base = {"name": "Acme", "owner": "Kim", "revenue_ltm": 500_000.0, "revenue_prior_ltm": 480_000.0}
    return pd.DataFrame([{"account_id": aid, **base, **row} for aid, row in accounts.items()])


def _plan(kpis: pd.DataFrame, **tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    facts, _ = P.account_facts({"kpis": kpis, **tables}, AS_OF)
    return P.apply_playbook(facts, None, AS_OF)


def _churn(rows: dict[str, tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": list(rows),
            "churn_probability": [p for p, _ in rows.values()],
            "risk_band": pd.Series([None] * len(rows), dtype="str"),  # the churn table's columns (no band here)
            "revenue_at_risk": [r for _, r in rows.values()],
        }
    )


def _tiers(**tiers: str) -> pd.DataFrame:
    """A segments table with the columns the plan reads (only the tiers known)."""
    n = len(tiers)
    none = pd.Series([None] * n, dtype="str")
    return pd.DataFrame(
        {"account_id": list(tiers), "tier": list(tiers.values()), "cluster_name": none, "quadrant": none}
    )


# ---- risk bands ------------------------------------------------------------------------------
def test_risk_band_is_a_monotone_function_of_the_probability():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 500)
    rar = rng.lognormal(10, 2, 500)  # money must not move an account between bands
    bands, thr = risk_bands(p, rar)
    assert thr == {"high": HIGH_RISK_P, "medium": MEDIUM_RISK_P}
    assert (bands[p >= HIGH_RISK_P] == "high").all()
    assert (bands[(p >= MEDIUM_RISK_P) & (p < HIGH_RISK_P)] == "medium").all()
    assert (bands[p < MEDIUM_RISK_P] == "low").all()
    rank = pd.Series(bands).map({"high": 2, "medium": 1, "low": 0}).to_numpy()
    assert (np.diff(rank[np.argsort(p)]) >= 0).all()


# ---- value at stake, materiality, caps, due dates ----------------------------------------
def test_every_action_carries_its_value_at_stake_and_immaterial_ones_are_dropped():
    kpis = _kpis(
        A1={"overdue_60_plus": 210.0, "oldest_overdue_days": 95.0},
        A2={"overdue_60_plus": 52_000.0, "oldest_overdue_days": 120.0},
        A3={"revenue_ltm": 384.0, "days_since_last_order": 200.0},
    )
    risks, actions = _plan(kpis)
    esc = actions[actions["rule_id"] == "finance_escalation"]
    assert esc["account_id"].tolist() == ["A2"]  # 210 of receivables is not worth an escalation
    assert (
        esc["value_at_stake"].iloc[0] == 52_000.0 and esc["value_basis"].iloc[0] == "receivables over 60 days overdue"
    )
    assert "A3" not in set(actions["account_id"]) and "A3" not in set(risks["account_id"])  # a call about 384
    assert pd.api.types.is_float_dtype(actions["value_at_stake"])


def test_actions_are_ranked_by_priority_then_value_capped_by_tier_and_due_one_after_another():
    busy = {
        "days_since_last_order": 150.0,  # order gap: revenue_ltm at stake
        "overdue_60_plus": 40_000.0,
        "oldest_overdue_days": 90.0,
        "target": 900_000.0,
        "target_pace": 0.5,
        "target_gap": 600_000.0,
        "revenue_ytd": 300_000.0,
        "target_attainment": 0.33,
        "margin_ltm": -20_000.0,
        "margin_pct": -0.04,
        "open_severe": 2.0,
        "oldest_open_severe_days": 40.0,
        "decision_makers": 0.0,
        "contacts": 1.0,
    }
    kpis = _kpis(T1=busy, T2=busy, T3=busy)
    _, actions = _plan(kpis, segments=_tiers(T1="1", T2="2", T3="3"))
    counts = actions.groupby("account_id").size()
    assert counts["T1"] == 5 and counts["T2"] == 3 and counts["T3"] == 2
    for _, g in actions.groupby("account_id"):
        assert g["order"].tolist() == list(range(1, len(g) + 1))
        assert g["due_date"].is_monotonic_increasing and g["due_date"].is_unique  # staggered, first soonest
        assert (g["due_date"].diff().dropna() >= pd.Timedelta(days=P.STAGGER_DAYS)).all()
    t1 = actions[actions["account_id"] == "T1"]
    rank = t1["priority"].map(P.PRIORITIES)
    assert rank.is_monotonic_increasing  # every high action before any medium, every medium before any low
    assert t1["priority"].iloc[0] == "high"
    for _, same in t1.groupby("priority"):
        assert same["value_at_stake"].dropna().is_monotonic_decreasing


def test_most_urgent_list_is_sorted_by_value_at_stake():
    kpis = _kpis(
        A1={"overdue_60_plus": 5_000.0},
        A2={"overdue_60_plus": 900_000.0},
        A3={"days_since_last_order": 200.0, "revenue_ltm": 75_000.0},
        A4={"overdue_60_plus": 30_000.0},
    )
    _, actions = _plan(kpis)
    urgent = plan_section.most_urgent(actions, n=10)
    assert urgent["account_id"].tolist()[:4] == ["A2", "A3", "A4", "A1"]
    assert urgent["value_at_stake"].is_monotonic_decreasing


# ---- rules that need facts -------------------------------------------------------------------
def test_no_decision_maker_means_find_one_not_agree_with_one():
    kpis = _kpis(N={"decision_makers": 0.0, "contacts": 2.0}, D={"decision_makers": 2.0, "contacts": 4.0})
    drivers = pd.DataFrame(  # the churn drivers the retention plan addresses
        {"account_id": ["N", "D"], "rank": 1, "direction": "raises risk", "sentence": "Orders fell by half."}
    )
    _, actions = _plan(kpis, churn=_churn({"N": (0.62, 310_000.0), "D": (0.62, 310_000.0)}), churn_drivers=drivers)
    n = actions[actions["account_id"] == "N"]
    assert n["action"].iloc[0].startswith("Find and meet a decision maker")
    assert not n["action"].str.contains("with the decision maker").any()
    assert n["value_at_stake"].iloc[0] == 310_000.0
    d = actions[actions["account_id"] == "D"]
    assert d["action"].iloc[0].startswith("Agree a retention plan with the decision maker")


def test_an_account_with_falling_categories_gets_a_risk_and_an_action():
    kpis = _kpis(C={"revenue_ltm": 500_000.0})
    lanes = pd.DataFrame(
        {
            "account_id": ["C", "C", "C"],
            "category": ["Diagnostics", "Animal health", "Lab consumables"],
            "revenue_ltm": [340_000.0, 92_000.0, 68_000.0],
            "revenue_prior": [500_000.0, 200_000.0, 60_000.0],
        }
    )
    risks, actions = _plan(kpis, tradelanes=lanes)
    risk = risks[risks["rule_id"] == "category_decline"]
    assert len(risk) == 1
    text = risk["risk"].iloc[0]
    assert "Diagnostics -32%" in text and "Animal health -54%" in text and "Lab consumables" not in text
    assert money(268_000.0) in text
    act = actions[actions["rule_id"] == "category_decline"]
    assert "Diagnostics" in act["action"].iloc[0] and act["value_at_stake"].iloc[0] == 268_000.0


def test_a_category_loss_that_is_small_for_the_account_is_a_low_priority_question_not_its_first_call():
    """Demo of 2026-10-31, A0050 (3.55M a year): Protective wear -26%, 28.2k less, was a high-priority action
    ahead of a 236k margin gap; a loss of under 5% of the account's revenue is now low priority."""
    kpis = _kpis(BIG={"revenue_ltm": 3_553_642.0}, SMALL={"revenue_ltm": 400_000.0})
    lanes = pd.DataFrame(
        {
            "account_id": ["BIG", "BIG", "SMALL", "SMALL"],
            "category": ["Cleaning & disinfection", "Protective wear", "Diagnostics", "Packaging"],
            "revenue_ltm": [3_471_800.0, 81_600.0, 320_000.0, 80_000.0],
            "revenue_prior": [3_300_000.0, 109_800.0, 330_000.0, 120_000.0],
        }
    )
    risks, actions = _plan(kpis, tradelanes=lanes)
    big = actions[actions["account_id"] == "BIG"]
    minor = big[big["rule_id"] == "category_decline_minor"]
    assert len(minor) == 1 and minor["priority"].iloc[0] == "low"
    assert minor["action"].iloc[0].startswith("At the next business review, ask why Protective wear is falling")
    assert "category_decline" not in set(big["rule_id"])
    text = risks.loc[(risks["account_id"] == "BIG") & (risks["rule_id"] == "category_decline_minor"), "risk"].iloc[0]
    assert "Protective wear -26%" in text and "0.8% of the account's revenue then" in text
    small = actions[(actions["account_id"] == "SMALL") & (actions["rule_id"] == "category_decline")]
    assert len(small) == 1 and small["priority"].iloc[0] == "high"  # 40k of 450k: 9%


LOSSES = {  # the competitor analysis (24 months) and, without it, the post-bid table (12 months)
    "competitor_account_bids": {"losses": [2, 1, 3], "lost_amount": [1_847_900.0, 40_000.0, 2_500_000.0],
                                "avg_price_gap_lost": [0.0907, 0.01, 0.2]},
    "pipeline_losses": {"bids_lost": [2, 1, 3], "lost_value": [1_847_900.0, 40_000.0, 2_500_000.0],
                        "price_gap_pct": [0.0907, 0.01, 0.2]},
}  # fmt: skip


@pytest.mark.parametrize("table", list(LOSSES))
def test_heavy_losses_to_one_competitor_get_an_action(table):
    kpis = _kpis(A0140={"revenue_ltm": 10_640_522.0}, SMALL={"revenue_ltm": 90_000_000.0})
    losses = pd.DataFrame(
        {"account_id": ["A0140", "A0140", "A0140"], "competitor": ["Vetro", "Kestrel Agro", "(not recorded)"]}
        | LOSSES[table]
    )
    small = losses.iloc[[0]].assign(account_id="SMALL")  # 1.85M is 2% of 90M: not heavy
    risks, actions = _plan(kpis, **{table: pd.concat([losses, small], ignore_index=True)})
    act = actions[actions["rule_id"] == "competitor_losses"]
    assert act["account_id"].tolist() == ["A0140"] and act["priority"].iloc[0] == "high"
    assert "Vetro" in act["action"].iloc[0]  # an unrecorded competitor is not named as the attacker
    assert act["value_at_stake"].iloc[0] == 1_847_900.0 and act["order"].iloc[0] == 1
    evidence = act["evidence"].iloc[0]
    assert "Lost 1.85M of bids to Vetro" in evidence and "2 bids" in evidence and "9% above" in evidence


def test_whitespace_below_a_useful_probability_is_not_proposed():
    recs = pd.DataFrame(
        {
            "account_id": ["W", "W", "L"],
            "rank": [1, 2, 1],
            "category": ["Feed additives", "Diagnostics", "Animal health"],
            "p_adopt": [0.04, 0.25, 0.02],
            "spend_if_adopted": [900_000.0, 80_000.0, 500_000.0],
            "recommended": [False, True, False],
        }
    )
    facts, _ = P.account_facts({"kpis": _kpis(W={}, L={}), "whitespace_recommendations": recs}, AS_OF)
    w = facts.set_index("account_id")
    assert w.loc["W", "top_whitespace_category"] == "Diagnostics"
    assert w.loc["W", "top_whitespace_ev"] == pytest.approx(20_000.0)
    assert w.loc["L", "whitespace_recommendations"] == 0
    _, actions = P.apply_playbook(facts, None, AS_OF)
    ws = actions[actions["rule_id"] == "whitespace"]
    assert ws["account_id"].tolist() == ["W"] and "Diagnostics" in ws["action"].iloc[0]
    assert ws["value_at_stake"].iloc[0] == pytest.approx(20_000.0)


def test_playbook_rejects_a_value_that_is_not_money(tmp_path):
    path = tmp_path / "pb.yml"
    path.write_text(
        "rules:\n  - id: r\n    when: revenue_ltm > 0\n    risk: x\n    action: y\n    value: win_rate\n",
        encoding="utf-8",
    )
    with pytest.raises(P.PlaybookError, match="value 'win_rate' must name a money fact"):
        P.load_playbook(path)
    path.write_text("max_actions_per_account: {'1': 0}\nrules: []\n", encoding="utf-8")
    with pytest.raises(P.PlaybookError, match="max_actions_per_account"):
        P.load_playbook(path)


# ---- on the demo portfolio -------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_plan(demo):
    portfolio, _ = demo
    from kamtools.stages import run_stages

    tables = run_stages(portfolio, upto="plan")  # the plan and every table it reads
    return tables, tables


@pytest.mark.slow
def test_demo_high_band_is_a_minority_and_follows_the_probability(demo_plan):
    context, _ = demo_plan
    churn = context["churn"]
    active = churn[churn["risk_band"].isin(["high", "medium", "low"])]
    assert len(active) >= 50
    rank = active["risk_band"].map({"high": 2, "medium": 1, "low": 0})
    ordered = rank.to_numpy()[np.argsort(active["churn_probability"].to_numpy(), kind="stable")]
    assert (np.diff(ordered) >= 0).all()
    high = (active["risk_band"] == "high").mean()
    assert 0 < high < 0.25, f"{high:.0%} of active accounts are high risk"


@pytest.mark.slow
def test_demo_plans_rank_by_value_and_respect_the_caps(demo_plan):
    context, out = demo_plan
    actions, summary = out["plan_actions"], out["plan_summary"]
    tiers = context["segments"].assign(account_id=lambda d: d["account_id"].astype(str)).set_index("account_id")
    cap = actions["account_id"].map(tiers["tier"].astype(str)).map(P.MAX_ACTIONS_BY_TIER).fillna(3)
    assert (actions["order"] <= cap).all()
    assert (actions["value_at_stake"].dropna() >= P.MIN_VALUE_AT_STAKE).all()
    assert len(actions) < 3 * len(summary)
    urgent = plan_section.most_urgent(actions)
    assert urgent["value_at_stake"].is_monotonic_decreasing
    recs = context["whitespace_recommendations"]
    assert (recs.loc[recs["recommended"], "p_adopt"] >= MIN_USEFUL_P).all()
    assert not recs.loc[~recs["recommended"], "p_adopt"].ge(MIN_USEFUL_P).any()


def test_an_owner_gets_at_most_the_weekly_capacity_biggest_stakes_first():
    kpis = _kpis(**{f"A{i:02d}": {"overdue_60_plus": 10_000.0 * (i + 1)} for i in range(25)})
    _, actions = _plan(kpis)
    esc = actions[actions["rule_id"] == "finance_escalation"]
    assert len(esc) == 25
    per_week = esc.groupby(esc["due_in_days"] // 7).size()
    assert per_week.max() <= P.OWNER_ACTIONS_PER_WEEK and len(per_week) == 3
    first_week = esc[esc["due_in_days"] == esc["due_in_days"].min()]
    assert first_week["value_at_stake"].min() > esc.loc[~esc.index.isin(first_week.index), "value_at_stake"].max()
    assert esc["due_in_days"].min() == 7  # the rule's own due time for the largest sums
