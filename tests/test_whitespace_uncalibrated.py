"""Cross-sell scores on a history too short to calibrate them (issue 17: every probability shown is calibrated).

Below 24 months of orders the whitespace backtest, and with it the calibration of the scores into
adoption probabilities, is impossible. The raw score is then no probability (on the demo its mean
is 15-35 points above the share of cells adopted), so the report names it an uncalibrated score,
gives no probability-weighted value and keeps it out of the plan's revenue objective. With 24
months the calibrated probabilities are shown as before.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from kamtools.data.portfolio import Portfolio

STAGES = ["kpis", "whitespace", "plan"]


@lru_cache(maxsize=1)
def _demo() -> Portfolio:
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=30, years=2, seed=1, groups=0)
    return portfolio


def _last_months(months: int) -> Portfolio:
    p = _demo()
    start = p.as_of + pd.Timedelta(days=1) - pd.DateOffset(months=months)
    return Portfolio({**p.tables, "orders": p.orders[p.orders["order_date"] >= start].reset_index(drop=True)}, p.as_of)


@pytest.fixture(scope="module")
def short_bundle(tmp_path_factory):
    from kamtools.bundle import analyze

    return analyze(_last_months(12), tmp_path_factory.mktemp("ws12") / "b", stages=STAGES, progress=False)


@pytest.fixture(scope="module")
def full_bundle(tmp_path_factory):
    from kamtools.bundle import analyze

    return analyze(_demo(), tmp_path_factory.mktemp("ws24") / "b", stages=STAGES, progress=False)


def _plain(html: str) -> None:
    """No word of the analyst's log (PLAIN_BANNED but "expected value", the whitespace's own defined term:
    "Expected value = probability x expected first-year spend") in what a KAM reads."""
    import html as markup
    import re

    from kamtools.forecast.selection.plain import PLAIN_BANNED

    text = markup.unescape(re.sub(r"<[^>]+>", " ", html))  # the words shown, not an image's bytes
    for word in PLAIN_BANNED:
        if word != "expected value":
            assert word.lower() not in text.lower(), f"{word!r} in {text!r}"


def _first_with_recommendations(bundle) -> str:
    recs = bundle.table("whitespace_recommendations")
    return str(recs.loc[recs["recommended"], "account_id"].iloc[0])


def test_short_history_tables_carry_no_probability(short_bundle):
    from kamtools.whitespace import MIN_USEFUL_P

    recs = short_bundle.table("whitespace_recommendations")
    assert len(recs) and recs["p_adopt"].isna().all() and recs["expected_value"].isna().all()
    assert recs["score"].notna().all()
    assert (recs["recommended"] == (recs["score"] >= MIN_USEFUL_P)).all()
    # ranked by the score within each account
    assert (recs.groupby("account_id")["score"].diff().dropna() <= 1e-12).all()
    summary = short_bundle.table("whitespace_accounts").set_index("account_id")
    with_recs = summary["n_recommendations"] > 0
    assert summary.loc[with_recs, "whitespace_value"].isna().all()
    assert (summary.loc[~with_recs, "whitespace_value"] == 0).all()
    note = short_bundle.note("whitespace_recommendations")
    assert "12 months of order history" in note and "cannot be turned into adoption probabilities" in note


def test_short_history_section_names_an_uncalibrated_score(short_bundle, captured):
    from kamtools.sections import whitespace as section

    section.account_section(short_bundle.account(_first_with_recommendations(short_bundle)))
    html = "".join(captured)
    assert "Score (not a probability)" in html
    assert "cannot be turned into adoption probabilities" in html
    _plain(html)
    assert "is not the chance that this account starts buying them" in html
    assert "not estimated" in html  # the whitespace value card
    assert "Adoption probability" not in html and "calibrated on what similar" not in html
    assert "probability-weighted (recommended" not in html
    captured.clear()
    section.portfolio_section(short_bundle)
    html = "".join(captured)
    assert "Score (not a probability)" in html and "not weighted by any probability" in html
    assert "Adoption probability" not in html and "total expected first-year value" not in html
    _plain(html)


def test_short_history_plan_objective_leaves_whitespace_out(short_bundle):
    obj = short_bundle.table("plan_objectives")
    rev = obj[obj["objective"] == "revenue"]
    assert len(rev)
    assert rev["basis"].str.contains("whitespace not counted: its cross-sell scores are not probabilities").all()
    assert not rev["basis"].str.contains(r"\+ whitespace").any()
    np.testing.assert_allclose(rev["target_value"], rev["baseline"])  # nothing added to the forecast or run rate
    un = short_bundle.table("plan_unavailable").set_index("part")["reason"]
    assert "ranked by a score that is not a probability" in un["whitespace"]
    for text in [*rev["basis"], un["whitespace"]]:
        _plain(text)


def test_full_history_section_shows_calibrated_probabilities(full_bundle, captured):
    from kamtools.sections import whitespace as section

    recs = full_bundle.table("whitespace_recommendations")
    assert recs["p_adopt"].notna().all() and full_bundle.note("whitespace_recommendations") is None
    section.account_section(full_bundle.account(str(recs["account_id"].iloc[0])))
    html = "".join(captured)
    assert "measured on what similar recommendations achieved in a test on past data" in html
    _plain(html)
    assert "lowered when the account&#x27;s own revenue fell by more than half in the last 12 months" in html
    assert "a fifth of the revenue, a fifth of the chances to buy it again" in html
    assert "uncalibrated" not in html
    obj = full_bundle.table("plan_objectives")
    assert not obj["basis"].str.contains("whitespace not counted").any()


def _facts(p_adopt: float) -> tuple[pd.DataFrame, dict[str, str]]:
    from kamtools.plan.facts import _whitespace_facts

    ws = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A1"],
            "rank": [1, 2, 3],
            "category": ["Vaccines", "Lab consumables", "Packaging"],
            "p_adopt": [p_adopt, p_adopt / 2, 0.05 if p_adopt == p_adopt else np.nan],
            "spend_if_adopted": [100_000.0, 40_000.0, 10_000.0],
            "recommended": [True, True, False],
        }
    )
    base = pd.DataFrame({"account_id": ["A1"], "revenue_ltm": [500_000.0], "forecast_12m": [550_000.0]})
    unavailable: dict[str, str] = {}
    return _whitespace_facts({"whitespace_recommendations": ws}, base, unavailable), unavailable


def test_plan_objective_with_calibrated_probabilities_adds_the_weighted_whitespace():
    from kamtools.plan.objectives import objectives

    facts, unavailable = _facts(0.4)
    assert facts["whitespace_capture"].iloc[0] == pytest.approx(0.4 * 100_000 + 0.2 * 40_000)
    assert "whitespace" not in unavailable
    rev = objectives(facts).query("objective == 'revenue'").iloc[0]
    assert rev["text"] == "Reach 598.0k revenue in the next 12 months"
    assert rev["basis"] == "forecast for the next 12 months 550.0k + whitespace 48.0k (top recommendation: Vaccines)"


def test_plan_objective_without_calibration_says_whitespace_is_not_counted():
    from kamtools.plan.objectives import objectives

    facts, unavailable = _facts(np.nan)
    assert np.isnan(facts["whitespace_capture"].iloc[0]) and facts["whitespace_recommendations"].iloc[0] == 2
    assert "no whitespace value is counted" in unavailable["whitespace"]
    rev = objectives(facts).query("objective == 'revenue'").iloc[0]
    assert rev["text"] == "Reach 550.0k revenue in the next 12 months"
    assert rev["basis"] == (
        "forecast for the next 12 months 550.0k; whitespace not counted: its cross-sell scores are not "
        "probabilities on this history (too short to test them)"
    )
    _plain(rev["basis"])
    _plain(unavailable["whitespace"])


def _deck_text(bundle, account_id: str) -> str:
    from io import BytesIO

    from pptx import Presentation

    from kamtools.deck.build import account_deck
    from kamtools.deck.source import BundleRows
    from kamtools.deck.template import default_template, read_template

    data = account_deck(BundleRows(bundle).account(account_id), read_template(default_template()), "internal")
    texts = []
    for slide in Presentation(BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return "\n".join(texts)


def test_internal_deck_names_the_score_as_uncalibrated(short_bundle, full_bundle):
    text = _deck_text(short_bundle, _first_with_recommendations(short_bundle))
    assert "Score (not a probability)" in text and "not estimated" in text
    assert "Chance to start" not in text and "Whitespace (expected value)" not in text
    # with a calibration the deck speaks of adoption probabilities (this demo recommends no category: the
    # recommended case's "Chance to start" column is tested in test_decks_truth)
    recs = full_bundle.table("whitespace_recommendations")
    assert not recs["recommended"].astype(bool).any()
    text = _deck_text(full_bundle, str(recs["account_id"].iloc[0]))
    assert "No category is recommended: every opportunity has an adoption probability below 10%" in text
    assert "uncalibrated" not in text
