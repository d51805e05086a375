"""Reasons a KAM can act on: churn drivers and health weaknesses on the demo portfolio.

What a KAM reads as an account's reasons must be something the KAM can see and change or
must know about (order gaps, dropped categories, falling volume, complaints, late
payments, contact gaps, lost bids, price gaps, a competitor), written as a sentence with
its number, never a static attribute (region, industry, tenure), another model's output
(P(alive), expected value) or an internal field name, and never a sentence that reads
against its own number ("revenue up 136%" as a reason for churn).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from kamtools import kpis as K
from kamtools.churn import bundle_tables as churn_tables
from kamtools.churn.features import FEATURE_LABELS, PRESENTABLE_FEATURES, RISK_DIRECTION, driver_text, risky_side
from kamtools.churn.sentences import gap_days

pytestmark = pytest.mark.slow  # the churn model is fitted once for the module (about 12 s)

NOT_REASONS = {"tenure_days", "region", "industry", "channel", "p_alive", "expected_value_12m"}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
WORDS_OF_HIDDEN = ("region", "industry", "channel", "days as a customer", "p(alive)", "expected revenue", "tenure")


@pytest.fixture(scope="module")
def tables(demo):
    portfolio, _ = demo
    churn = churn_tables(portfolio, {})
    context = {k: v for k, v in churn.items() if isinstance(v, pd.DataFrame)}
    health, comps = K.health_scores(portfolio, context=context)
    return churn, health, comps


def _presented_churn_texts(churn: dict) -> list[str]:
    table = churn["churn"]
    texts = list(churn["churn_drivers"]["sentence"])
    for col in [c for c in table.columns if c.startswith("driver_")] + ["in_our_favour"]:
        for cell in table[col]:
            texts.extend(t for t in str(cell).split("; ") if t and t != "nan")
    return texts


def test_presentable_set_excludes_static_attributes_and_other_models():
    assert NOT_REASONS.isdisjoint(PRESENTABLE_FEATURES)
    assert PRESENTABLE_FEATURES <= set(FEATURE_LABELS)
    for f in NOT_REASONS:
        assert driver_text(f, {f: 6187.0, "region": "West"}) is None


def test_churn_drivers_are_actionable_features_that_raise_the_risk(tables):
    churn, _, _ = tables
    drivers = churn["churn_drivers"]
    assert len(drivers) > 100  # most active accounts have reasons
    assert set(drivers["feature"]) <= PRESENTABLE_FEATURES
    assert not set(drivers["feature"]) & NOT_REASONS
    # every listed reason raises the risk, and its value is on the worrying side
    assert (drivers["direction"] == "raises risk").all() and (drivers["contribution"] > 0).all()
    feats = churn["churn_features"].set_index("account_id")
    reference = feats.median(numeric_only=True).to_dict()
    for _, d in drivers.iterrows():
        row = feats.loc[d["account_id"]].to_dict()
        assert risky_side(d["feature"], row, reference), (d["account_id"], d["feature"], d["sentence"])
        if RISK_DIRECTION.get(d["feature"]) == -1 and d["feature"].endswith(
            ("_change_3m", "_change_6m", "_change_12m")
        ):
            assert d["value"] < 0 and " down " in d["sentence"], d["sentence"]
    # one fact is told once (the order gap in days and as a ratio give one sentence)
    assert not drivers.duplicated(["account_id", "sentence"]).any()
    for cell in churn["churn"]["in_our_favour"]:
        parts = [t for t in cell.split("; ") if t]
        assert len(parts) == len(set(parts)), cell
    # the main driver of each account is one that raises the risk (the churn table's column)
    main = churn["churn"].set_index("account_id")["driver_1"]
    first = drivers[drivers["rank"] == 1].set_index("account_id")["sentence"]
    assert (main.loc[first.index] == first).all()


def test_driver_sentences_carry_their_number_and_no_field_name(tables):
    churn, health, comps = tables
    texts = _presented_churn_texts(churn) + [t for t in health["top_weakness"] if t]
    assert len(texts) > 200
    for text in texts:
        assert not SNAKE.search(text), text
        low = text.lower()
        assert not any(w in low for w in WORDS_OF_HIDDEN), text
        # the number behind the sentence: digits, or "no ..." for zero; a competitor is named
        zero = ("no ", "still buys", "invoices paid on time", "invoices paid as promptly", "our bids were priced level")
        assert re.search(r"\d", text) or low.startswith(zero) or "went to" in low, text
    for label in comps["label"].unique():
        assert not SNAKE.search(label), label
    shown = [t for t in comps["sentence"] if t]
    assert len(shown) > 0.5 * len(comps) and not any(SNAKE.search(t) for t in shown)
    # the sentences use the account's own numbers
    d = churn["churn_drivers"]
    tenure = churn["churn_features"].set_index("account_id")["tenure_days"]
    for _, r in d[d["feature"] == "days_since_decision_maker_contact"].iterrows():
        if abs(r["value"] - tenure[r["account_id"]]) < 0.5:  # never met one
            assert r["sentence"] == "No contact with a decision maker on record"
        else:
            assert r["sentence"] == f"No contact with a decision maker for {r['value']:,.0f} days"
    gaps = d[d["feature"].isin(["recency_ratio", "days_since_last_order"])]
    feats = churn["churn_features"].set_index("account_id")
    for _, r in gaps.iterrows():
        days = feats.loc[r["account_id"], "days_since_last_order"]
        usual = feats.loc[r["account_id"], "usual_order_gap_days"]
        # the usual gap as every other sentence gives it: '4.5 days' (one decimal under 10), not '4 days' (READCJ)
        assert r["sentence"] == f"No order for {days:,.0f} days, this account usually orders every {gap_days(usual)}"


def test_sentence_examples_read_in_the_customers_terms():
    row = {
        "days_since_last_order": 144.0,
        "usual_order_gap_days": 40.0,
        "recency_ratio": 3.6,
        "revenue_change_12m": -0.32,
        "complaints_12m": 2.0,
        "complaints_open": 1.0,
        "days_since_decision_maker_contact": 188.0,
        "lost_to_competitor": "Kestrel Agro",
        "bids_lost_12m": 3.0,
        "decision_makers": 0.0,
    }
    assert driver_text("recency_ratio", row) == "No order for 144 days, this account usually orders every 40 days"
    assert driver_text("revenue_change_12m", row) == "Revenue in the last 12 months down 32% on the 12 months before"
    assert driver_text("complaints_12m", row) == "2 complaints opened in the last 12 months, 1 still open"
    assert driver_text("days_since_decision_maker_contact", row) == "No contact with a decision maker for 188 days"
    # no competitor named: on a tie the feature keeps the alphabetically first name (issue 17, CHURNFIX17)
    assert (
        driver_text("lost_to_competitor", row)
        == "Bids lost to competitors in the last 24 months (3 bids lost in the last 12 months)"
    )
    assert driver_text("decision_makers", row) == "No decision maker on file for this account"
    # growth is never a reason for churn, whatever weight a model gives it
    assert not risky_side("revenue_change_12m", {"revenue_change_12m": 1.36})
    assert risky_side("revenue_change_12m", row)


def test_health_never_presents_static_attributes_and_long_tenure_does_not_lower_it(demo, tables):
    portfolio, _ = demo
    churn, health, comps = tables
    assert health["health_basis"].iloc[0].startswith("weights from the churn model")
    assert not set(comps["component"]) & NOT_REASONS
    assert set(comps["component"]) <= PRESENTABLE_FEATURES
    # a churn model that says long tenure and fast growth raise the risk: neither becomes a component
    feats = churn["churn_features"]
    importance = pd.DataFrame(
        {
            "feature": ["tenure_days", "revenue_change_12m", "complaints_12m", "days_since_decision_maker_contact"],
            "label": [
                FEATURE_LABELS[f]
                for f in ["tenure_days", "revenue_change_12m", "complaints_12m", "days_since_decision_maker_contact"]
            ],
            "importance": [0.9, 0.5, 0.3, 0.2],
            "direction": [1, 1, 1, 1],
        }
    )
    h, c = K.health_scores(portfolio, context={"churn_importance": importance, "churn_features": feats})
    assert set(c["component"]) == {"complaints_12m", "days_since_decision_maker_contact"}
    # so two accounts alike but for tenure get the same health
    longest = feats.loc[feats["tenure_days"].idxmax()]
    twin = feats.copy()
    twin.loc[:, "tenure_days"] = 1.0
    h_twin, _ = K.health_scores(portfolio, context={"churn_importance": importance, "churn_features": twin})
    a = longest["account_id"]
    assert h.set_index("account_id").loc[a, "health_score"] == h_twin.set_index("account_id").loc[a, "health_score"]
    # the learnt health (no churn stage) has no tenure component and every direction reads plainly
    learnt = K.health_scores(portfolio, context={})
    _, lc = learnt
    assert not any("tenure" in x for x in lc["component"])
    pts = lc.pivot(index="account_id", columns="component", values="value")
    score = lc.groupby("account_id")["contribution"].sum()
    for comp, direction in K.HEALTH_RISK_DIRECTION.items():
        if comp in pts.columns and pts[comp].notna().sum() > 10:
            rho = pts[comp].rank().corr(score.loc[pts.index].rank())
            assert not rho * direction > 0.2, (comp, rho)  # higher where worse never means healthier


def test_account_section_lists_reasons_apart_from_what_works(tables, captured):
    from kamtools.sections import churn as section

    churn, _, _ = tables
    table = churn["churn"]
    drivers = churn["churn_drivers"]
    aid = drivers["account_id"].iloc[0]

    class Acct:
        bundle = None

        def table(self, name):
            t = churn[name]
            return t[t["account_id"] == aid] if "account_id" in t.columns else t

        def portfolio_table(self, name):
            return churn[name]

    section.account_section(Acct())
    html = "".join(captured)
    assert "Why" in html and "this raises the risk" not in html and "this lowers the risk" not in html
    for s in drivers.loc[drivers["account_id"] == aid, "sentence"]:
        assert s.replace("'", "&#x27;") in html or s in html
    favour = table.loc[table["account_id"] == aid, "in_our_favour"].iloc[0]
    if favour:
        assert "What works for us" in html
    assert not SNAKE.search(re.sub(r"<[^>]+>", " ", html.split("Why", 1)[1].split("<img", 1)[0]))
    assert np.isfinite(drivers["contribution"]).all()


def test_account_without_actionable_reasons_says_so(tables, captured):
    from kamtools.sections import churn as section

    churn, _, _ = tables
    table = churn["churn"]
    active = table[table["risk_band"].isin(["high", "medium", "low"])]
    aid = active["account_id"].iloc[0]

    class Acct:
        bundle = None

        def table(self, name):
            t = churn[name]
            if name == "churn_drivers":
                return t.iloc[0:0]  # the model found nothing presentable that raises the risk
            return t[t["account_id"] == aid] if "account_id" in t.columns else t

        def portfolio_table(self, name):
            return churn[name]

    section.account_section(Acct())
    html = "".join(captured)
    assert "Nothing the account does stands out as a reason" in html
    assert "<img" not in html.split("Why", 1)[1]  # no empty drivers chart


def test_a_decision_maker_never_met_reads_as_none_on_record_not_as_thousands_of_days():
    """Never meeting a decision maker counts the days from the first order (a lower bound); the reader
    sees 'none on record', not 'for 8,307 days'. A real gap keeps its days."""
    import numpy as np

    from kamtools.churn.features import driver_text
    from kamtools.kpis.components import health_sentence

    never = {"days_since_decision_maker_contact": 8307.0, "tenure_days": 8307.0}
    assert driver_text("days_since_decision_maker_contact", never) == "No contact with a decision maker on record"
    gap = {"days_since_decision_maker_contact": 188.0, "tenure_days": 8307.0}
    assert driver_text("days_since_decision_maker_contact", gap) == "No contact with a decision maker for 188 days"
    row = {"days_since_dm_contact": 5718.0, "dm_contact_never": np.bool_(True)}
    assert health_sentence("days_since_dm_contact", row) == "No contact with a decision maker on record"
    row = {"days_since_dm_contact": 140.0, "dm_contact_never": False}
    assert health_sentence("days_since_dm_contact", row) == "No contact with a decision maker for 140 days"
