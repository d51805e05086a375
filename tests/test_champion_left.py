"""The churn feature champion_left (a sponsor left in the last 12 months) and the playbook rules on a sponsor
who left and on a single-threaded key account."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_relationships import AS_OF, _accounts, _contacts, portfolio

from kamtools.churn.features import FEATURE_LABELS, driver_text, feature_availability, features


def _churn_portfolio(contacts=None):
    acc = _accounts().assign(industry="Feed", region="North", channel="Direct")
    return portfolio(accounts=acc, contacts=_contacts() if contacts is None else contacts)


def test_feature_as_of_each_snapshot_without_leakage():
    p = _churn_portfolio()  # Anna Lind (A1, champion) left on 2026-02-15; Gus Holm (A3) on 2025-01-10
    by_date = {}
    for snap in ["2024-12-31", "2025-01-10", "2025-06-30", "2026-02-14", "2026-02-15", "2026-06-30"]:
        X = features(p, snap, use_value=False).set_index("account_id")
        by_date[snap] = X["champion_left"].to_dict()
    # nobody has left yet on the first snapshot: a departure dated later never leaks back
    assert by_date["2024-12-31"] == {"G1": 0.0, "A1": 0.0, "A2": 0.0, "A3": 0.0, "B1": 0.0}
    assert by_date["2025-01-10"]["A3"] == 1.0 and by_date["2025-06-30"]["A3"] == 1.0
    assert by_date["2026-02-14"]["A1"] == 0.0 and by_date["2026-02-15"]["A1"] == 1.0
    # more than 12 months after the departure the signal is gone
    assert by_date["2026-06-30"]["A3"] == 0.0 and by_date["2026-06-30"]["A1"] == 1.0


def test_who_counts_as_a_sponsor():
    c = _contacts()
    # a detractor decision maker leaving is no lost sponsor; a neutral user neither
    c.loc[c["contact_id"] == "K1", "attitude"] = "detractor"
    c.loc[c["contact_id"] == "K4", "left_date"] = pd.Timestamp("2026-03-01")
    X = features(_churn_portfolio(c), use_value=False).set_index("account_id")
    assert X.loc["A1", "champion_left"] == 0.0
    # a decision maker without a known attitude counts
    c.loc[c["contact_id"] == "K1", "attitude"] = None
    X = features(_churn_portfolio(c), use_value=False).set_index("account_id")
    assert X.loc["A1", "champion_left"] == 1.0


def test_absent_without_leaving_dates_and_other_features_unchanged():
    with_dates = features(_churn_portfolio(), use_value=False)
    empty = _contacts().assign(left_date=pd.NaT)
    no_dates = features(_churn_portfolio(empty), use_value=False)
    old = features(_churn_portfolio(_contacts().drop(columns=["left_date", "attitude", "reports_to"])), use_value=False)
    assert "champion_left" in with_dates.columns
    assert "champion_left" not in no_dates.columns and "champion_left" not in old.columns
    reason = feature_availability(old).set_index("feature").loc["champion_left", "reason"]
    assert reason.startswith("No contact has a leaving date (contacts.left_date)")
    # the feature is added last and shifts nothing
    assert list(with_dates.columns[:-1]) == list(old.columns) and with_dates.columns[-1] == "champion_left"
    pd.testing.assert_frame_equal(with_dates.drop(columns="champion_left"), old)
    assert list(FEATURE_LABELS)[-1] == "champion_left"


def test_driver_sentence():
    assert driver_text("champion_left", {"champion_left": 1.0}) == (
        "A champion, supporter or decision maker left the customer in the last 12 months"
    )
    assert driver_text("champion_left", {"champion_left": np.nan}) is None


def test_months_match_the_relationship_map():
    import importlib

    from kamtools.relationships import CHAMPION_LEFT_MONTHS

    F = importlib.import_module("kamtools.churn.features")
    assert F._SPONSOR_LEFT_MONTHS == CHAMPION_LEFT_MONTHS


# ---- playbook rules ---------------------------------------------------------------------------
def _facts(**over) -> pd.DataFrame:
    from kamtools.plan.facts import FACT_UNITS

    row = {k: (np.nan if u != "text" else None) for k, u in FACT_UNITS.items()}
    row.update(
        account_id="A1",
        name="Feed France SA",
        owner="M. Berg",
        revenue_ltm=250000.0,
        revenue_at_risk=60000.0,
        tier="1",
        single_threaded=0.0,
    )
    row.update(over)
    return pd.DataFrame([row])


@pytest.fixture(scope="module")
def rules():
    from kamtools.plan.playbook import load_playbook

    pb = load_playbook()
    return pb.rule("champion_left"), pb.rule("multi_thread_key_account")


def _fires(rule, facts) -> bool:
    return bool(rule.when.evaluate(facts)[0])


def test_champion_left_rule_fires_with_the_successor_and_revenue_at_risk(rules):
    from kamtools.plan.actions import apply_playbook
    from kamtools.plan.playbook import load_playbook

    rule = rules[0]
    f = _facts(
        champion_left=1.0,
        champion_left_days=135.0,
        successor_role="the successor of Anna Lind as Purchasing Director",
    )
    assert _fires(rule, f)
    assert rule.value == "revenue_at_risk" and rule.priority == "high"
    pb = load_playbook()
    out = apply_playbook(f, pb, AS_OF)
    actions = out[1] if isinstance(out, tuple) else out
    row = actions[actions["rule_id"] == "champion_left"].iloc[0]
    assert (
        row["action"]
        == "Re-establish a sponsor: meet the successor of Anna Lind as Purchasing Director at Feed France SA"
    )
    assert row["value_at_stake"] == 60000.0


def test_champion_left_rule_does_not_fire_when_unknown_or_false(rules):
    rule = rules[0]
    assert not _fires(rule, _facts())  # unknown: no relationship map, no leaving dates
    assert not _fires(rule, _facts(champion_left=0.0))


def test_multi_thread_rule(rules):
    rule = rules[1]
    assert _fires(rule, _facts(single_threaded_12m=1.0, thread_share=0.85))
    assert not _fires(rule, _facts(single_threaded_12m=1.0, thread_share=0.85, tier="2"))  # not a key account
    assert not _fires(rule, _facts(single_threaded_12m=0.0, thread_share=0.5))
    assert not _fires(rule, _facts())  # unknown
    # the engaged-contacts rule already covers it: no second action
    assert not _fires(rule, _facts(single_threaded_12m=1.0, thread_share=1.0, single_threaded=1.0))
    assert not _fires(rule, _facts(single_threaded_12m=1.0, thread_share=1.0, single_threaded=np.nan))


def test_facts_from_the_relationship_table():
    from kamtools.plan.facts import _relationship_facts

    f = _facts()[["account_id"]].copy()
    t = pd.DataFrame(
        {
            "account_id": ["A1"],
            "thread_share": [0.8],
            "single_threaded": [True],
            "champion_left": [True],
            "champion_left_date": [pd.Timestamp("2026-02-15")],
            "successor_role": ["the successor of Anna Lind as Purchasing Director"],
        }
    )
    _relationship_facts({"relationship_accounts": t}, f, AS_OF)
    assert f.loc[0, "champion_left_days"] == 135.0 and bool(f.loc[0, "champion_left"])
    assert f.loc[0, "successor_role"] == "the successor of Anna Lind as Purchasing Director"
