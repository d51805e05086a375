"""One rule for counting accounts (issue 18): customers are the accounts with orders; a group parent
without orders of its own is not counted, and the page says so. The index page (its totals line, the
totals its filters show, its subtitle) and the portfolio overview's "Accounts" card count the same.

The pages are written from small hand-made summaries (no analysis run); one case drives the filters
in headless Chromium. tests/test_report_coherence.py checks the same on an analysed, rendered portfolio.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from report_helpers import headless_chrome, index_ids_shown, index_totals_shown
from test_report_index import FakeBundle, manifest, summary, totals_table

from kamtools.formatting import money
from kamtools.groups.customers import customers, not_counted_sentence, parents_without_orders
from kamtools.reports.index import write_index

HOSTILE_PARENT = '<script>alert("p")</script> Holding "&" Co'


def grouped() -> pd.DataFrame:
    """The six accounts of test_report_index, two of them under a holding (G1, no orders of its own,
    with a KAM of its own) through a region (R1, also without orders), and a trading parent (H1: a
    head office that buys for itself, lapsed: orders years ago, none in the last 12 months) above A6."""
    acc = summary()
    acc["first_order_date"] = pd.Timestamp("2020-01-15")
    parents = pd.DataFrame(
        [
            {"account_id": "G1", "name": HOSTILE_PARENT, "owner": "Z. Holder", "revenue_ltm": 0.0},
            {"account_id": "R1", "name": "Region North", "owner": "B. Berg", "revenue_ltm": 0.0},
            {
                "account_id": "H1",
                "name": "Head Office",
                "owner": "a. Aalto",
                "revenue_ltm": 0.0,
                "first_order_date": pd.Timestamp("2019-03-01"),
            },
        ]
    )
    acc = pd.concat([acc, parents], ignore_index=True)
    acc["parent_account_id"] = acc["account_id"].map({"A1": "R1", "A2": "R1", "R1": "G1", "A6": "H1"})
    return acc


def notes(page: str) -> list[str]:
    block = re.search(r'<ul class="kam-index-notes">(.*?)</ul>', page, flags=re.S)
    return [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", block.group(1))] if block else []


def subtitle(page: str) -> str:
    return html.unescape(re.search(r'<p class="kam-sub">(.*?)</p>', page).group(1))


def test_the_rule_leaves_out_parents_without_orders_only():
    acc = grouped()
    idle = acc.loc[parents_without_orders(acc), "account_id"].tolist()
    assert idle == ["G1", "R1"]  # H1 ordered (years ago): a lapsed customer, counted
    assert len(customers(acc)) == 7
    assert not_counted_sentence(0) == ""
    assert not_counted_sentence(1) == "1 group parent without orders of its own is not counted (its units are)."
    assert not_counted_sentence(2) == "2 group parents without orders of their own are not counted (their units are)."
    # a summary without parents, or without order dates at all (a parent with revenue orders)
    assert not parents_without_orders(summary()).any()
    no_dates = acc.drop(columns=["first_order_date"])
    assert no_dates.loc[parents_without_orders(no_dates), "account_id"].tolist() == ["G1", "R1", "H1"]


def test_index_counts_customers_and_says_which_parents_it_left_out(tmp_path):
    acc = grouped()
    page = write_index(FakeBundle(acc, manifest()), tmp_path).read_text(encoding="utf-8")
    table = totals_table(page)
    everything = table["|||"]
    assert everything[:2] == ["7 accounts", money(acc["revenue_ltm"].sum())]
    assert subtitle(page).startswith("7 accounts and 2 group parents without orders of their own (")
    assert notes(page)[-1] == (
        "2 group parents without orders of their own are not counted (their units are). "
        "They have no scores: the global accounts' roll-ups below carry their figures."
    )
    # A4 and the head office (a customer) have no scores in this summary; the two parents are not among them
    assert "2 accounts have no health score: the analysis gave them no value." in notes(page)
    # every row is still listed (the parents too, marked as not counted); the totals line shown is the page's
    assert len(re.findall(r'<td[^>]* data-customer="no"', page)) == 2
    shown = re.findall(r'<strong data-total="\d">([^<]*)</strong>', page)
    assert shown == everything
    # the KAM of the holding only: its row is there, but no account is counted
    kam = dict((label, value) for value, label in re.findall(r'<option value="(\d+)">([^<]*)</option>', page))
    assert table.get(f"{kam['Z. Holder']}|||", table["none"])[0] == "0 of 7 accounts"
    # B. Berg has A1, A3 and the region R1: two accounts counted
    assert table[f"{kam['B. Berg']}|||"][0] == "2 of 7 accounts"
    assert HOSTILE_PARENT not in page and html.escape(HOSTILE_PARENT) in page


def test_without_parents_nothing_changes(tmp_path):
    page = write_index(FakeBundle(summary(), manifest()), tmp_path).read_text(encoding="utf-8")
    assert totals_table(page)["||"][0] == "6 accounts"
    assert subtitle(page).startswith("6 accounts · data as of")
    assert not any("group parent" in n for n in notes(page))


def test_overview_card_counts_the_customers_the_index_counts(monkeypatch, tmp_path):
    from kamtools import display
    from kamtools.sections.summary import portfolio_section

    acc = grouped()
    acc["margin_ltm"] = acc["revenue_ltm"] * 0.2
    acc["region"] = ["North", "South", "North", "East", "South", "East", "North", "North", "East"]
    shown: list[str] = []
    monkeypatch.setattr(display, "_show", lambda markup: shown.append(str(markup)) or markup)

    class Overview(FakeBundle):
        def has(self, name):
            return False

        def table(self, name):
            from kamtools.data.portfolio import NotAvailable

            return NotAvailable(self.reason(name))

        def reason(self, name):
            return f"{name} is not in this hand-made bundle"

    portfolio_section(Overview(acc, manifest()))
    text = html.unescape(" ".join(shown))
    card = re.search(r'<div class="v">([^<]*)</div><div class="l">Accounts</div>', text)
    index = write_index(FakeBundle(acc, manifest()), tmp_path).read_text(encoding="utf-8")
    assert card.group(1) == totals_table(index)["|||"][0].removesuffix(" accounts") == "7"
    assert not_counted_sentence(2) in text and not_counted_sentence(2) in html.unescape(index)


def test_overview_header_counts_the_customers_its_card_counts(monkeypatch):
    """The 12-month demo's overview read '42 accounts · data as of ...' in its header beside its card of 40 (and the
    planner's and the deck's 40): the header counted the 2 group parents without orders of their own."""
    from kamtools import display, sections

    shown: list[str] = []
    monkeypatch.setattr(display, "_show", lambda markup: shown.append(str(markup)) or markup)
    monkeypatch.setattr(sections, "_setup_page", lambda: None)
    acc = grouped()
    sections.portfolio_header(FakeBundle(acc, manifest(n_accounts=len(acc))))
    text = html.unescape(" ".join(shown))
    assert f"{len(customers(acc))} accounts · data as of 2026-10-31" in text
    assert f"{len(acc)} accounts" not in text


@pytest.mark.browser
def test_filters_count_customers_in_the_browser(chromium, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    drv = headless_chrome(chromium)
    try:
        drv.get(write_index(FakeBundle(grouped(), manifest()), tmp_path).as_uri())
        assert index_totals_shown(drv)[0] == "7 accounts" and len(index_ids_shown(drv)) == 9
        group = Select(drv.find_element(By.CSS_SELECTOR, 'select[data-filter="group"]'))
        group.select_by_visible_text(HOSTILE_PARENT)
        assert sorted(index_ids_shown(drv)) == ["A1", "A2", "G1", "R1"]  # the holding, its region, its two units
        none = drv.find_element(By.ID, "kam-none")
        assert index_totals_shown(drv)[0] == "2 of 7 accounts" and not none.is_displayed()
        group.select_by_index(0)
        Select(drv.find_element(By.CSS_SELECTOR, 'select[data-filter="kam"]')).select_by_visible_text("Z. Holder")
        assert index_ids_shown(drv) == ["G1"]  # listed, not counted: no account matches
        assert index_totals_shown(drv) == ["0 of 7 accounts", "0", "0", "0"] and none.is_displayed()
        assert [e for e in drv.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        drv.quit()


def test_a_lapsed_account_without_a_churn_probability_is_given_the_real_reason(tmp_path):
    acc = summary()
    acc.loc[acc["account_id"] == "A5", "churn_probability"] = None  # lapsed: no probability yet
    page = write_index(FakeBundle(acc, manifest()), tmp_path).read_text(encoding="utf-8")
    said = notes(page)
    assert (
        "1 lapsed account has no churn probability: the history cannot yet show how often lapsed accounts come back."
        in said
    )
    # A4 (no band at all) keeps the plain sentence; the lapsed one is not counted twice
    assert "1 account has no churn probability: the analysis gave them no value." in said
