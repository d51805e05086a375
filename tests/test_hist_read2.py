"""What the HIST reading left on the pages (issue 17): the words a KAM reads, fixed and held here.

A chance of reaching a target with no out-of-time check of any kind behind it read bare ('100%') and coloured on
the overview, the forecast section and the decks, where page one marked it; a returns share over the whole history
(the load's warning, 31%) and one of the last 12 months (the returns card, 49%) named no window and the page kept no
trace of the warning; 'our price -2% above theirs'; 'Lost 3 of 5 bids ..., 1 to Vetro (lost value 411.9k)', whose
value unsaid; '2 months, the largest (72.3k) was over ...', no sentence.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_hist_read import _shown  # noqa: E402
from test_short_history import months_of_history  # noqa: E402

MARK = "(unchecked: too little history)"


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    """The 2-year demo's orders of January and February 2026, analysed at 2026-02-28: no out-of-time check of any
    kind, and the year 2026 inside the history, so its chances are shown (a 1-month history at 2026-10-31 began
    after the year did and shows only 2027's)."""
    from kamtools.bundle import analyze

    portfolio = months_of_history(10).truncate(pd.Timestamp("2026-02-28"))
    return analyze(portfolio, tmp_path_factory.mktemp("words2") / "bundle", progress=False)


@pytest.fixture(scope="module")
def ten_months(tmp_path_factory):
    """The demo's orders of January to October 2026: one out-of-time comparison of the simple methods."""
    from kamtools.bundle import analyze

    return analyze(months_of_history(10), tmp_path_factory.mktemp("words10") / "bundle", progress=False)


def _chance_cards(text: str) -> list[tuple[str, str]]:
    """(card class, value) of every KPI card whose label speaks of a chance to reach a target."""
    cards = re.findall(r'<div class="(kam-card[^"]*)"><div class="v">([^<]*)</div><div class="l">([^<]*)</div>', text)
    return [(cls, value) for cls, value, label in cards if "reach the" in label]


# ---- 1. an unchecked chance of reaching a target is marked on every face and colours nothing ------------------------


def test_the_forecast_cards_mark_an_unchecked_chance_and_do_not_colour_it(two_months, ten_months, captured):
    """2 months of the demo: the forecast section's 'Chance to reach the 2026 target' read '100%' in green (and the
    overview's portfolio card likewise), beside page one's '(unchecked: too little history)'."""
    from kamtools.sections import forecast as section

    short = []
    for aid in two_months.accounts["account_id"]:
        short += _chance_cards(_shown(captured, section.account_section, two_months.account(aid)))
    short += _chance_cards(_shown(captured, section.portfolio_section, two_months))
    assert short and all(value.endswith(MARK) and cls == "kam-card" for cls, value in short)
    checked = []
    for aid in ten_months.accounts["account_id"][:5]:
        checked += _chance_cards(_shown(captured, section.account_section, ten_months.account(aid)))
    assert checked and not any(MARK in value for _, value in checked)
    assert any(cls != "kam-card" for cls, _ in checked)  # a checked chance still colours its card


def _deck_chances(bundle, out: Path, account: str) -> list[str]:
    """The 'Chance to reach' cells of the targets tables of ``account``'s internal deck and the portfolio deck."""
    pytest.importorskip("pptx")
    from pptx import Presentation

    from kamtools.deck.files import PORTFOLIO_DECK, deck_path, write_decks

    write_decks(bundle, out, accounts=[account], progress=False, portfolio=True)
    cells = []
    for path in (deck_path(out, account, "internal"), out / PORTFOLIO_DECK):
        prs = Presentation(str(path))
        for table in (s.table for slide in prs.slides for s in slide.shapes if s.has_table):
            head = [c.text for c in table.rows[0].cells]
            if "Chance to reach" in head:
                col = head.index("Chance to reach")
                cells += [row.cells[col].text for row in list(table.rows)[1:]]
    return cells


def test_the_decks_mark_an_unchecked_chance_to_reach_the_target(two_months, ten_months, tmp_path):
    """The decks' targets tables read '0.2%' or '100%' (2 months of the demo) where the account page marks it."""
    aid = str(two_months.accounts["account_id"].iloc[0])
    short = _deck_chances(two_months, tmp_path / "m2", aid)
    assert short and all(cell.endswith(MARK) for cell in short)
    checked = _deck_chances(ten_months, tmp_path / "m10", aid)
    assert checked and not any(MARK in cell for cell in checked)


def test_the_target_charts_mark_an_unchecked_chance(two_months, ten_months, captured, monkeypatch):
    """The 'Booked, expected and target per year' charts' year labels read 'P(target) 100%' beside the marked card."""
    from kamtools.plotting import forecast as plotting
    from kamtools.sections import forecast as section

    labels: list[str] = []

    def keep(*args, **kwargs):
        fig = plotting.target_gap_chart(*args, **kwargs)
        labels.extend(t.get_text() for ax in fig.axes for t in ax.get_yticklabels())
        return fig

    monkeypatch.setattr(section, "target_gap_chart", keep)
    aid = str(two_months.accounts["account_id"].iloc[0])
    _shown(captured, section.account_section, two_months.account(aid))
    _shown(captured, section.portfolio_section, two_months)
    chances = [lab for lab in labels if "P(target)" in lab]
    assert chances and all(lab.endswith("(unchecked)") for lab in chances)
    text = _shown(captured, section.account_section, two_months.account(aid))
    said = re.findall(r"probability of reaching the target (\S+%)( \(unchecked: too little history\))?\.", text)
    assert said and all(mark for _, mark in said)
    labels.clear()
    _shown(captured, section.account_section, ten_months.account(aid))
    assert any("P(target)" in lab for lab in labels) and not any("unchecked" in lab for lab in labels)


# ---- 2. returns: the window of each share, and the load's warning on the page -----------------------------------


def test_the_returns_shares_name_their_window_and_the_page_keeps_the_warning(tmp_path, captured):
    """A credit-heavy demo account (A0005): the load warned '31%' (whole history) and the returns card read '49%'
    (last 12 months) with neither naming its window, and the page kept no trace of the warning."""
    from test_credit_notes import export

    from kamtools.bundle import analyze
    from kamtools.data.loader import load_portfolio, validate_source
    from kamtools.sections import kpis as section

    big = ["CN-9005", "1", "A004", "P01", "2024-06-10", "-60", "-2480", "-1620"]  # 74% of A004's sales
    folder = export(tmp_path, big)
    warning = [str(w) for w in validate_source(folder).warnings if w.kind == "returns_dominate"]
    assert warning and "A004 (74% over the whole history)" in warning[0]
    bundle = analyze(load_portfolio(folder), tmp_path / "bundle", progress=False)
    text = _shown(captured, section.account_section, bundle.account("A004"))
    assert "A004 (74% over the whole history)" in text  # what the load said, on the page
    assert "Check that the export books only returns, credit notes and rebates as negative lines" in text
    assert "Returns and credit notes, last 12 months" in text


# ---- 3. wording -------------------------------------------------------------------------------------------------


def test_a_signed_price_gap_reads_above_or_below():
    """'our price -2% above theirs on the lost bids' (the playbook's lost_value_to_competitor risk)."""
    from kamtools.plan.rules import Template

    text = Template("our price {gap:above} theirs", {"gap": "share"})
    assert text.render({"gap": -0.02}) == "our price 2% below theirs"
    assert text.render({"gap": 0.08}) == "our price 8% above theirs"
    assert text.render({"gap": -0.009}) == "our price 0.9% below theirs"
    assert text.render({"gap": 0.0}) == "our price level with theirs"
    playbook = (Path(__file__).parents[1] / "kamtools" / "playbook.yml").read_text(encoding="utf-8")
    assert "{lost_value_price_gap_pct:pct} above" not in playbook
    assert "our price {lost_value_price_gap_pct:above} theirs" in playbook


def test_the_lost_value_of_a_threat_reason_says_whose_it_is():
    """'Lost 3 of 5 bids in the last 12 months, 1 to Vetro (lost value 411.9k)': Vetro's 411.9k or all three's?"""
    from kamtools.competitors.threat import _threat_reasons

    out = pd.DataFrame(
        {
            "main_competitor": ["Vetro", "Vetro"],
            "n_lost_recent": [3, 1],
            "n_bids_recent": [5, 2],
            "lost_to_main": [1, 1],
            "lost_amount_recent": [411_900.0, 8_000.0],
            "price_gap": [np.nan, np.nan],
            "price_gap_source": ["", ""],
            "share_of_wallet": [np.nan, np.nan],
            "share_of_wallet_prior": [np.nan, np.nan],
            "revenue_change_pct": [np.nan, np.nan],
        }
    )
    reasons = list(_threat_reasons(out, 12))
    assert reasons[0].startswith("Lost 3 of 5 bids in the last 12 months, worth 411.9k in all; 1 of them to Vetro.")
    assert reasons[1].startswith("Lost 1 of 2 bids in the last 12 months, worth 8.0k; it went to Vetro.")
    assert not any("lost value" in r for r in reasons)


def test_a_spike_note_of_several_months_is_a_sentence():
    """'2 months, the largest (72.3k) was over 3 times its usual ordering month and counts as ...'."""
    from kamtools.forecast.selection.state import spike_notes

    y = np.array([[10.0, 10, 10, 10, 72_300, 10, 10, 50_000, 10, 10, 10, 10]])
    note = spike_notes(y, np.array(["level_12m"]))[0]
    assert "2 months were each over 3 times its usual ordering month (the largest 72.3k) and each counts as" in note
    assert "months, the largest" not in note


# ---- 4. an RFM name of a short history says what it rests on -----------------------------------------------------


def test_an_rfm_lost_on_a_short_history_says_what_it_rests_on(ten_months, tmp_path_factory, captured):
    """3 months of the demo: 'RFM 111 (lost): ...; last order 78 days ago, 1 order and 1.4k revenue in the last 12
    months' beside a low churn risk, with nothing on the page saying the label ranks 3 months of orders."""
    from kamtools.bundle import analyze
    from kamtools.sections import segment as section

    three = analyze(months_of_history(3), tmp_path_factory.mktemp("words3") / "bundle", progress=False)
    seg = three.table("segments")
    quiet = seg[
        seg["rfm_segment"].isin(["lost", "hibernating", "at risk", "cannot lose"]) & seg["lapsed_months"].isna()
    ]
    ordered = quiet[quiet["recency_days"].notna()]
    assert len(ordered) and len(ordered) < len(quiet)
    text = _shown(captured, section.account_section, three.account(str(ordered["account_id"].iloc[0])))
    assert "RFM segment (from 3 months of orders)" in text
    assert "revenue in the 3 months of order history." in text and "revenue in the last 12 months" not in text
    assert "it does not say the account has stopped buying" in text
    seg10 = ten_months.table("segments")
    text = _shown(captured, section.account_section, ten_months.account(str(seg10["account_id"].iloc[0])))
    assert "RFM segment</div>" in text and "it does not say the account has stopped buying" not in text
    # an account without an order in the 3 months (its recency unknown) raised 'cannot convert float NaN to integer'
    silent = quiet[quiet["recency_days"].isna()]
    text = _shown(captured, section.account_section, three.account(str(silent["account_id"].iloc[0])))
    assert "no order in the 3 months of order history." in text


def test_a_talking_point_quoting_a_risk_that_ends_a_sentence_has_one_full_stop():
    from kamtools.plan.talking_points import talking_points

    facts = pd.DataFrame({"account_id": ["A0001"], "revenue_ltm": [100_000.0]})
    objectives_df = pd.DataFrame(columns=["account_id", "order", "objective", "text", "basis"])
    risks = pd.DataFrame(
        {
            "account_id": ["A0001", "A0001"],
            "order": [1, 2],
            "risk": [
                "Competitor threat 64/100 from Vetro: Our bids were on average 14% above Vetro.",
                "No order for 150 days",
            ],
        }
    )
    actions = pd.DataFrame(
        {
            "account_id": ["A0001"],
            "order": [1],
            "action": ["Call the buyer"],
            "due_date": pd.to_datetime(["2026-11-14"]),
        }
    )
    tp = talking_points(facts, objectives_df, risks, actions, "2026-10-31")
    said = tp.loc[tp["topic"].isin(["risk", "action"]), "text"].tolist()
    assert said == [
        "Risk: Competitor threat 64/100 from Vetro: Our bids were on average 14% above Vetro.",
        "Risk: No order for 150 days.",
        "Next step: Call the buyer (by 2026-11-14).",
    ]
