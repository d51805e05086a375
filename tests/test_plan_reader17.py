"""The plan as a key account manager read it in the issue-17 audit (READER17).

1. A lapsed account that bought in the last 12 months keeps its win-back objective although its revenue at
   risk is 0 (demo A0286: 22.4k bought, forecast 0, "No objective could be set: the account has no revenue,
   forecast or whitespace"); a plan with no objective says the true reason.
2. A lapsed one-time buyer gets the low-cost win-back, not a high-priority call ahead of the top customer (CDNOW
   C20991: one order 291 days ago, a high "Win-back call" due first), and a lapsed account gets no margin action
   "at the next price negotiation".
3. A churn score with no driver listed (CDNOW at 1 month, C05805) asks for the next order, not for "a retention plan
   that addresses the churn drivers" with "drivers: none listed", and its objective is the repeat order that lowers
   the score, not "bring churn score from 57/100 below 30/100".
"""

from __future__ import annotations

import pandas as pd

from kamtools import plan as P
from kamtools.sections.plan import _no_objective_text

AS_OF = pd.Timestamp("2026-10-31")


def _kpis(rows: list[dict]) -> pd.DataFrame:
    base = {"name": "Acme", "owner": "Kim", "revenue_prior_ltm": 0.0, "decision_makers": 1.0}
    return pd.DataFrame([{**base, **r} for r in rows])


def _lapsed_churn(ids: list[str], rar: float = 0.0002) -> pd.DataFrame:
    return pd.DataFrame({"account_id": ids, "churn_probability": 0.96, "risk_band": "lapsed", "revenue_at_risk": rar})


# ---- 1. a lapsed account's win-back objective is valued at what it bought --------------------------------------


def test_a_lapsed_account_with_no_revenue_at_risk_keeps_its_win_back_objective():
    kpis = _kpis(
        [
            {"account_id": "A0286", "revenue_ltm": 22_436.0, "days_since_last_order": 249.0, "orders_ltm": 19.0},
            {"account_id": "TINY", "revenue_ltm": 300.0, "days_since_last_order": 249.0, "orders_ltm": 2.0},
        ]
    )
    built = P.plans({"kpis": kpis, "churn": _lapsed_churn(["A0286", "TINY"])}, AS_OF)
    ret = built.objectives[built.objectives["objective"] == "retention"]
    texts = ret.groupby("account_id")["text"].apply(list).to_dict()
    assert texts["A0286"] == [
        "Win back the account: it has probably stopped buying (churn probability 96%, last order 249 days ago); "
        "a new order would bring back part of the 22.4k of the last 12 months"
    ]
    # the playbook's win-back rule, valued at the same 22.4k, backs it
    win = built.actions[(built.actions["account_id"] == "A0286") & (built.actions["rule_id"] == "win_back")]
    assert win["value_at_stake"].round().tolist() == [22_436.0]
    # 300 bought is under the playbook's floor of 1,000: no win-back objective there, as no action
    assert "TINY" not in texts


class _Acct:
    """One account's tables, as the report section reads them."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self._tables, self.bundle = tables, type("B", (), {"manifest": {"settings": {"currency": "EUR"}}})()

    def table(self, name: str) -> pd.DataFrame:
        return self._tables.get(name, pd.DataFrame())


def test_a_plan_without_an_objective_says_why():
    tiny = _Acct({"kpis": pd.DataFrame({"revenue_ltm": [300.0]}), "churn": _lapsed_churn(["TINY"])})
    assert _no_objective_text(tiny) == (
        "No objective could be set: the account bought €300 in the last 12 months but its forecast for the next "
        "12 is 0 with no whitespace to add, and its retention stake (€300) is under the playbook's materiality "
        "floor (min_value_at_stake), below which the plan sets no objective or action."
    )
    gone = _Acct({"kpis": pd.DataFrame({"revenue_ltm": [0.0]}), "churn": _lapsed_churn(["GONE"])})
    assert _no_objective_text(gone) == (
        "No objective could be set: the account bought nothing in the last 12 months and has no forecast or "
        "whitespace to aim for."
    )
    calm = _Acct(
        {
            "kpis": pd.DataFrame({"revenue_ltm": [5_000.0]}),
            "churn": pd.DataFrame({"churn_probability": [0.1], "risk_band": ["low"], "revenue_at_risk": [0.0]}),
        }
    )
    assert _no_objective_text(calm).endswith("and it is not at risk of churning, so no retention objective applies.")


# ---- 2. a lapsed one-time buyer is a low-odds win-back; no price negotiation with a lapsed account ----------


def test_a_lapsed_one_time_buyer_gets_the_low_cost_win_back_and_no_margin_action():
    kpis = _kpis(
        [
            # CDNOW C20991: one order of 221 some 291 days ago, no history before; a thin margin
            {"account_id": "ONCE", "revenue_ltm": 2_214.6, "orders_ltm": 1.0, "days_since_last_order": 291.0},
            # a regular buyer that lapsed: still worth the call
            {"account_id": "REGULAR", "revenue_ltm": 15_000.0, "orders_ltm": 9.0, "days_since_last_order": 200.0},
            # one order this year after buying the year before: a habit, not a one-off
            {
                "account_id": "HABIT",
                "revenue_ltm": 4_000.0,
                "revenue_prior_ltm": 9_000.0,
                "orders_ltm": 1.0,
                "days_since_last_order": 250.0,
            },
            {"account_id": "TOP", "revenue_ltm": 150_000.0, "orders_ltm": 40.0, "days_since_last_order": 10.0},
        ]
    )
    kpis["margin_ltm"] = kpis["revenue_ltm"] * [0.05, 0.05, 0.05, 0.40]
    kpis["margin_pct"] = [0.05, 0.05, 0.05, 0.40]
    churn = pd.concat(
        [
            _lapsed_churn(["ONCE", "REGULAR", "HABIT"], rar=0.0),
            pd.DataFrame(
                {"account_id": ["TOP"], "churn_probability": [0.1], "risk_band": ["low"], "revenue_at_risk": [0.0]}
            ),
        ]
    )
    portfolio = pd.DataFrame({"median_margin_pct": [0.30]})  # the lapsed accounts' 5% is well below it
    built = P.plans({"kpis": kpis, "churn": churn, "kpis_portfolio": portfolio}, AS_OF)
    a = built.actions.set_index("account_id")
    assert a.loc[["ONCE"], ["rule_id", "priority", "action"]].values.tolist() == [
        [
            "win_back_one_time",
            "low",
            "Low-cost win-back: a short e-mail or inside-sales call asking what would bring them back",
        ]
    ]
    risk = built.risks[built.risks["account_id"] == "ONCE"]["risk"].tolist()
    assert risk == ["Lapsed after a single order: no order for 291 days since one order of 2.2k"]
    for acc in ("REGULAR", "HABIT"):
        assert a.loc[[acc], ["rule_id", "priority"]].values.tolist() == [["win_back", "high"]]
    # no "Review discounts and mix ... at the next price negotiation" with an account that stopped buying
    lapsed_rules = set(built.actions[built.actions["account_id"] != "TOP"]["rule_id"])
    assert not lapsed_rules & {"margin_below_peers", "negative_margin"}
    # the one-time buyer's win-back is not due before other work: it is last of the lapsed accounts' actions
    due = built.actions.set_index("account_id")["due_date"]
    assert due["ONCE"] > due["REGULAR"]


def test_the_one_time_buyer_fact_is_unknown_without_an_order_count():
    kpis = _kpis([{"account_id": "X", "revenue_ltm": 5_000.0}])
    facts, _ = P.account_facts({"kpis": kpis}, AS_OF)
    assert facts["one_time_buyer"].isna().all()
    assert "one_time_buyer" in P.FACTS


# ---- 3. a churn score with no driver: the next order, not a plan for drivers nobody listed -----------------


_SCORE_METHOD = "a churn score, not a probability: the value model's activity score (no churn model was trained)"


def _score_plans(drivers: pd.DataFrame | None = None, decision_makers: float | None = None):
    kpis = _kpis([{"account_id": "C05805", "revenue_ltm": 2_118.3, "days_since_last_order": 40.0, "orders_ltm": 1.0}])
    if decision_makers is not None:
        kpis["decision_makers"] = decision_makers
    else:
        kpis = kpis.drop(columns="decision_makers")
    churn = pd.DataFrame(
        {
            "account_id": ["C05805"],
            "churn_probability": [0.567],
            "risk_band": ["high"],
            "revenue_at_risk": [1_344.4],
            "method": [_SCORE_METHOD],
        }
    )
    tables = {"kpis": kpis, "churn": churn}
    if drivers is not None:
        tables["churn_drivers"] = drivers
    return P.plans(tables, AS_OF)


def test_a_churn_score_without_drivers_asks_for_the_next_order():
    built = _score_plans()
    assert built.actions[["rule_id", "priority", "action"]].values.tolist() == [
        [
            "churn_risk_unexplained",
            "high",
            "Call the buyer to confirm the next order and what would make them reorder",
        ]
    ]
    assert built.risks["risk"].tolist() == ["Churn score 57/100 with 1.3k revenue at risk; last order 40 days ago"]
    ret = built.objectives[built.objectives["objective"] == "retention"]["text"].tolist()
    assert ret == [
        "Keep the account: get a repeat order (churn score 57/100, high from 30/100: the score reads the account's "
        "buying, and a new order is what lowers it), protecting 1.3k of revenue at risk"
    ]
    everything = " ".join(str(v) for t in (built.objectives, built.risks, built.actions) for v in t.to_numpy().ravel())
    assert "none listed" not in everything and "below 30/100" not in everything
    # no decision maker on file: find one, and still ask for the order
    none_on_file = _score_plans(decision_makers=0.0)
    assert none_on_file.actions["action"].tolist() == [
        "Find the buyer and a decision maker (no one on file), then confirm the next order and what would make "
        "them reorder"
    ]


def test_listed_drivers_keep_the_retention_plan():
    drivers = pd.DataFrame(
        {
            "account_id": ["C05805"],
            "rank": [1],
            "direction": ["raises risk"],
            "sentence": ["Order frequency fell by half against the year before."],
        }
    )
    built = _score_plans(drivers)
    assert built.actions["action"].tolist() == [
        "Agree a retention plan with the decision maker that addresses the churn drivers"
    ]
    assert built.risks["risk"].iloc[0].endswith("drivers: Order frequency fell by half against the year before")
    assert built.facts["churn_driver_count"].tolist() == [1.0]


def _same_score_plans(probs):
    ids = [f"C{i:05d}" for i in range(len(probs))]
    kpis = _kpis(
        [{"account_id": a, "revenue_ltm": 2_000.0, "days_since_last_order": 40.0, "orders_ltm": 2.0} for a in ids]
    ).drop(columns="decision_makers")
    churn = pd.DataFrame(
        {
            "account_id": ids,
            "churn_probability": probs,
            "risk_band": ["high" if p >= 0.3 else "low" for p in probs],
            "revenue_at_risk": [2_000.0 * p for p in probs],
            "method": [_SCORE_METHOD] * len(probs),
        }
    )
    return P.plans({"kpis": kpis, "churn": churn}, AS_OF)


def test_a_churn_score_every_active_account_shares_raises_no_retention_action():
    # a 3-month history: the fallback gives every account 47/100, which says how many may stop, not which
    same = _same_score_plans([0.47, 0.4701, 0.4699, 0.47])
    assert set(same.facts["churn_same_for_all"]) == {1.0}
    assert not same.actions["rule_id"].astype(str).str.startswith("churn_risk").any()
    # scores that tell the accounts apart still raise the action on the high ones
    apart = _same_score_plans([0.47, 0.12, 0.35, 0.05])
    assert set(apart.facts["churn_same_for_all"]) == {0.0}
    flagged = apart.actions.loc[apart.actions["rule_id"] == "churn_risk_unexplained", "account_id"]
    assert sorted(flagged) == ["C00000", "C00002"]


def test_one_account_alone_is_not_read_as_a_score_shared_by_all():
    one = _score_plans()  # one account's tables (a planner's slice): nothing to compare it with
    assert set(one.facts["churn_same_for_all"]) == {0.0}
    assert list(one.actions["rule_id"]) == ["churn_risk_unexplained"]
