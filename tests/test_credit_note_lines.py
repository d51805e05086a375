"""A product line with credit notes and no sales stays on the account's page, so its lines add up (issue 17).

Online Retail's top 100 at 2011-11-30: C16029's page listed Giftware at 58.2k beside a net revenue of 51.0k; the
other -7.2k, manual adjustments under Charges, had been dropped from the trade lanes with the lines worth 0 (so that
a credit note no longer read as a "new" line). Such a line is now kept as "credit notes only": never new or lost,
left out of the portfolio's trade-lane summary, named under the account's product lines (page) and under its
category table (deck).
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pandas as pd
from _portfolio import one_product_portfolio
from test_read_or import _deck_text, _DeckAccount

from kamtools.data.portfolio import Portfolio
from kamtools.whitespace import CREDITS_ONLY, tradelane_summary, tradelanes, without_prior_year


def _portfolio() -> Portfolio:
    """BUYER: 200 of Premixes and a 50 credit under Charges; CREDITS: only a credit note; ZERO: an order worth 0."""
    lines = [("BUYER", "2011-02-10", 120.0, 10.0), ("BUYER", "2011-05-10", 80.0, 8.0)]
    lines += [("BUYER", "2011-06-01", -50.0, -1.0), ("CREDITS", "2011-03-04", -45.0, -3.0)]
    lines += [("ZERO", "2011-04-01", 0.0, 1.0)]
    base = one_product_portfolio(lines, "2011-11-30")
    tables = dict(base.tables)
    charge = tables["products"].iloc[[0]].assign(product_id="CHG", name="Manual", category="Charges")
    tables["products"] = pd.concat([tables["products"], charge], ignore_index=True)
    orders = tables["orders"].copy()
    orders.loc[orders["net_revenue"].eq(-50.0), ["product_id", "cost"]] = ["CHG", 0.0]
    tables["orders"] = orders
    return Portfolio(tables, base.as_of, warnings=[])


def test_a_line_with_only_credit_notes_is_kept_as_credit_notes_only_never_new():
    lanes = tradelanes(_portfolio())
    got = lanes[["account_id", "category", "status", "revenue_ltm"]].values.tolist()
    assert got == [
        ["BUYER", "Charges", CREDITS_ONLY, -50.0],
        ["BUYER", "Premixes", "new", 200.0],
        ["CREDITS", "Premixes", CREDITS_ONLY, -45.0],
    ]  # ZERO's order worth 0 is no line at all
    assert lanes.groupby("account_id")["revenue_ltm"].sum().to_dict() == {"BUYER": 150.0, "CREDITS": -45.0}
    assert not lanes["loss_making"].any()
    # the portfolio's summary counts traded lines only
    summary = tradelane_summary(lanes).set_index("status")
    assert summary.loc["all lines", "n_lanes"] == 1 and summary.loc["all lines", "revenue_ltm"] == 200.0
    assert summary.loc["new", "n_lanes"] == 1
    # without the prior year, the credit-only lines keep their status; the others compare nothing
    short = without_prior_year(lanes)
    assert short["status"].tolist() == [CREDITS_ONLY, "no prior year", CREDITS_ONLY]


def _page(captured, lanes: pd.DataFrame, revenue_ltm: float) -> str:
    from kamtools.sections.whitespace import _account_lanes

    bundle = SimpleNamespace(note=lambda name: "", manifest={"settings": {}})
    acct = SimpleNamespace(info={"revenue_ltm": revenue_ltm}, table=lambda name: lanes, bundle=bundle)
    _account_lanes(acct)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "".join(captured))))


def test_the_page_lists_the_credit_only_line_and_says_the_lines_add_up_to_the_net_revenue(captured):
    lanes = without_prior_year(tradelanes(_portfolio()))
    page = _page(captured, lanes[lanes["account_id"] == "BUYER"], 150.0)
    assert "Charges -50" in page and "Premixes 200" in page  # both rows of the table
    assert (
        "Credit notes only (Charges -50): returns, credit notes or adjustments on lines with no net sales in the last "
        "12 months; with them the lines add up to the account's net revenue, 150."
    ) in page
    captured.clear()
    assert "Credit notes only" not in _page(captured, lanes[lanes["category"] == "Premixes"].head(1), 200.0)


def test_the_deck_names_the_credit_only_line_it_leaves_out_of_its_category_table():
    from kamtools.deck.build import _internal_categories
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    lanes = tradelanes(_portfolio())
    buyer = lanes[lanes["account_id"] == "BUYER"]
    deck = Deck(default_template().read_bytes())
    _internal_categories(deck, _DeckAccount({"revenue_ltm": 150.0}, {"tradelanes": buyer}))
    text = _deck_text(deck)
    assert "Not shown: categories whose credit notes exceed their sales in the last 12 months (Charges -50)" in text
    # a line sold the year before and credited this year is in the table itself, so it is not called "not shown"
    lost = buyer.assign(revenue_prior=[30.0, 0.0], status=["lost", "new"])
    deck = Deck(default_template().read_bytes())
    _internal_categories(deck, _DeckAccount({"revenue_ltm": 150.0}, {"tradelanes": lost}))
    text = _deck_text(deck)
    assert "Charges" in text and "Not shown" not in text


def test_the_decks_category_chart_has_no_legend_for_a_year_before_the_data():
    from kamtools.deck.build import _internal_categories
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    def series_names(lanes: pd.DataFrame) -> list[str]:
        deck = Deck(default_template().read_bytes())
        _internal_categories(deck, _DeckAccount({"revenue_ltm": 150.0}, {"tradelanes": lanes}))
        chart = next(s.chart for s in deck.prs.slides[-1].shapes if s.has_chart)
        return [s.name for s in chart.plots[0].series]

    # Online Retail's C16029 (12 months of data): a '12 months before' legend over no bars
    short = without_prior_year(tradelanes(_portfolio()))
    assert series_names(short[short["account_id"] == "BUYER"]) == ["Last 12 months"]
    full = tradelanes(_portfolio())
    assert series_names(full[full["account_id"] == "BUYER"]) == ["Last 12 months", "12 months before"]


def test_the_customer_deck_says_the_credits_in_its_own_words_and_drops_empty_columns():
    from kamtools.deck.audience import customer_amounts
    from kamtools.deck.build import _customer_categories
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    def slide(lanes: pd.DataFrame) -> tuple[str, list[list[str]]]:
        deck = Deck(default_template().read_bytes())
        account = _DeckAccount({"revenue_ltm": 150.0}, {"tradelanes": lanes})
        _customer_categories(deck, account)
        shapes = deck.prs.slides[-1].shapes
        table = next(s.table for s in shapes if s.has_table)
        text = "\n".join(s.text_frame.text for s in shapes if s.has_text_frame)
        return text, [[c.text for c in r.cells] for r in table.rows]

    # Online Retail's C16029: 'Your purchases, last 12 months 51.0k' on one slide and 'Giftware 58.2k' on the next
    short = without_prior_year(tradelanes(_portfolio()))
    buyer = short[short["account_id"] == "BUYER"]
    text, rows = slide(buyer)
    assert (
        "Not shown: credit notes and adjustments in the last 12 months on categories without purchases then "
        "(Charges -50); your net purchases are 150."
    ) in text
    assert rows == [["Category", "Last 12 months"], ["Premixes", "200"]]  # no empty 'Before' and 'Change'
    # the figures it shows are the customer's own purchases (the audience check's allowed amounts)
    account = _DeckAccount({"revenue_ltm": 150.0}, {"tradelanes": buyer})
    assert {"-50", "150", "200"} <= customer_amounts(account)
    full = tradelanes(_portfolio())
    assert slide(full[full["account_id"] == "BUYER"])[1][0] == ["Category", "Last 12 months", "Before", "Change"]
