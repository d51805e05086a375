"""Where the churn figure is the recency rule's, the at-risk lists call its reason what it is (issue 17).

The demo's overview and review deck listed Oakwood Hospital SA at 11% and 450.1k at risk with "Main driver: Last order
today, within its usual gap of 1 day": the rule's reading of the order gap (its lowest figure is 11%), not a driver,
while the warning sign a KAM can act on (our bids 5.9% dearer than the competitor's) was on its page only. The column
is now "Rests on (order gap)", the overview adds the first warning sign, and the deck's notes say how the figures
were made.
"""

from __future__ import annotations

import html
import re

import pandas as pd
from test_read_or import _Bundle, _table_cells

RULE = (
    "the recency rule (days since the last order against the account's usual gap), because the churn model lost to "
    "it in a test on past data"
)
PREFIX = "Warning sign, not in the churn figure: "


def _churn(method: str = RULE) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A0050", "A0009"],
            "churn_probability": [0.18, 0.11],
            "risk_band": ["medium", "medium"],
            "revenue_at_risk": [686_000.0, 450_100.0],
            "method": method,
            "driver_1": [
                "No order for 4 days, 2.0 times its usual gap of 2 days",
                "Last order today, within its usual gap of 1 day",
            ],
            "driver_2": ["", PREFIX + "Our bids were 5.9% dearer than the competitor's in the last 12 months"],
            "driver_3": ["", ""],
        }
    )


def _accounts(churn: pd.DataFrame) -> pd.DataFrame:
    return churn[["account_id", "churn_probability", "risk_band", "revenue_at_risk"]].assign(
        name=["Highland Farms Schweiz", "Oakwood Hospital SA"]
    )


def test_the_review_deck_names_the_order_gap_the_rule_rests_on_and_how_the_figures_were_made():
    from kamtools.deck.portfolio import _at_risk
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    churn = _churn()
    deck = Deck(default_template().read_bytes())
    _at_risk(deck, _accounts(churn), _Bundle({"churn": churn}))
    slide = deck.prs.slides[-1]
    rows = _table_cells(slide)
    assert rows[0][-1] == "Rests on (order gap)"
    assert rows[2] == [
        "Oakwood Hospital SA",
        "11%",
        "medium",
        "450.1k",
        "Last order today, within its usual gap of 1 day",
    ]
    assert slide.notes_slide.notes_text_frame.text == f"How the churn risk was estimated: {RULE}."
    # a trained model's figures keep 'Main driver'
    model = _churn("churn model (gradient boosting), calibrated")
    deck = Deck(default_template().read_bytes())
    _at_risk(deck, _accounts(model), _Bundle({"churn": model}))
    assert _table_cells(deck.prs.slides[-1])[0][-1] == "Main driver"


def test_the_overview_list_adds_the_warning_sign_to_check(captured):
    from kamtools.sections.churn import portfolio_section

    churn = _churn()
    bundle = _Bundle({"churn": churn})
    bundle.accounts = _accounts(churn)
    bundle.note = lambda name: None
    portfolio_section(bundle)
    page = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "".join(captured))))
    assert "Rests on (order gap) Warning sign to check (not in the figure)" in page
    assert (
        "Last order today, within its usual gap of 1 day Our bids were 5.9% dearer than the competitor's in the last "
        "12 months"
    ) in page
    assert "Main driver" not in page and PREFIX not in page


def test_the_notes_keep_a_long_method_sentence_whole():
    from kamtools.deck.portfolio import _at_risk
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    # Online Retail's top 100: the method's sentence (628 characters) was cut at 600, '... 12 months of or…'
    long = RULE + "; " + "a revenue drop (partial churn) is not covered " * 12 + "(since 2010-12-01)"
    churn = _churn(long)
    deck = Deck(default_template().read_bytes())
    _at_risk(deck, _accounts(churn), _Bundle({"churn": churn}))
    notes = deck.prs.slides[-1].notes_slide.notes_text_frame.text
    assert len(long) > 600 and notes == f"How the churn risk was estimated: {long}."
