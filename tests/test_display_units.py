"""Report tables and cards write numbers by kamtools.formatting, with the units their callers name.

No column or card label is read to guess a unit: a share is percent because the caller lists
its column in ``pct=``, money because it is in ``money=``. Numbers (and amounts) are
right-aligned; text, also a reason in a money column, is left-aligned. A tier stored as a
float (a column with gaps) reads '1'.
"""

from __future__ import annotations

import re

import pandas as pd

from kamtools import display, formatting
from kamtools.data.portfolio import NotAvailable


def _cells(page: str) -> list[tuple[str, str]]:
    """(class, text) of every body cell of a table."""
    return [(cls or "", text) for cls, text in re.findall(r'<td(?: class="([^"]*)")?>([^<]*)</td>', page)]


def test_a_share_is_percent_only_where_the_caller_says_so():
    df = pd.DataFrame({"win_rate": [0.25], "bias_pct": [0.52], "share": [0.004], "probability": [1.2]})
    page = display.table(df, pct=["share", "probability"])
    cells = dict(zip(df.columns, (t for _, t in _cells(page)), strict=True))
    # names that look like shares are not guessed: a bias of 0.52 percent is not '52%'
    assert cells == {"win_rate": "0.25", "bias_pct": "0.52", "share": "0.4%", "probability": "120%"}


def test_pct_names_the_source_column_even_when_it_is_renamed():
    df = pd.DataFrame({"p_adopt": [0.123], "n": [3]})
    page = display.table(df, columns={"p_adopt": "Adoption probability", "n": "Accounts"}, pct=["p_adopt"])
    assert _cells(page) == [("num", "12%"), ("num", "3")]


def test_other_numbers_use_the_shared_rules():
    df = pd.DataFrame({"a": [1234567.0], "b": [0.875], "c": [12], "d": [pd.Timestamp("2026-10-31")], "e": [True]})
    page = display.table(df)
    assert _cells(page) == [
        ("num", formatting.count(1234567)),
        ("num", formatting.number(0.875, 2)),
        ("num", "12"),
        ("date", "2026-10-31"),
        ("", "yes"),
    ]


def test_cards_do_not_guess_a_unit_from_their_label():
    page = display.kpi_cards([("Win rate", 0.45), ("Share of wallet", formatting.pct(0.45)), ("Open bids", 12)])
    values = re.findall(r'<div class="v">([^<]*)</div>', page)
    assert values == ["0.45", "45%", "12"]


def test_money_columns_align_figures_right_and_reasons_left():
    df = pd.DataFrame(
        {
            "action": ["call", "visit", "escalate", "plan"],
            "value": [45_300.0, "no money figure: relationship risk", "€1.20M (revenue at risk)", None],
        }
    )
    page = display.table(df, columns={"action": "Action", "value": "Value at stake"}, money=["value"], currency="EUR")
    value_cells = _cells(page)[1::2]
    assert value_cells == [
        ("num", "€45.3k"),
        ("", "no money figure: relationship risk"),
        ("num", "€1.20M (revenue at risk)"),
        ("", ""),
    ]
    # a currency written as its code, and a negative amount, still read as figures
    page = display.table(pd.DataFrame({"v": ["CHF 12.0k", "-€3.0k", "±0"]}), money=["v"])
    assert [c for c, _ in _cells(page)] == ["num", "num", "num"]


class _Bundle:
    manifest = {"settings": {"currency": "EUR"}}

    def table(self, name):
        return NotAvailable(f"no {name}")


class _Account:
    """What the plan section reads of one account: its plan tables and its bundle's currency."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = tables
        self.bundle = _Bundle()

    def table(self, name):
        return self.tables.get(name, NotAvailable(f"no {name}"))


def test_plan_table_shows_a_reason_left_aligned_and_money_right_aligned(captured):
    from kamtools.sections import plan

    actions = pd.DataFrame(
        {
            "priority": ["high", "medium"],
            "action": ["Agree a retention plan", "Find the decision maker"],
            "value_at_stake": [52_600.0, float("nan")],
            "value_basis": ["revenue at risk", "no money figure: relationship risk"],
            "owner": ["KAM", "KAM"],
            "due_date": pd.to_datetime(["2026-11-15", "2026-11-30"]),
            "evidence": ["no order for 144 days", "no decision maker on file"],
        }
    )
    acct = _Account(
        {
            "plan_objectives": pd.DataFrame(columns=["text", "basis"]),
            "plan_risks": pd.DataFrame(columns=["severity", "risk", "evidence"]),
            "plan_actions": actions,
            "plan_talking_points": pd.DataFrame(columns=["order", "text"]),
        }
    )
    plan.account_section(acct)
    page = next(p for p in captured if "Value at stake" in p)
    cells = _cells(page)
    assert ("num", "€52.6k (revenue at risk)") in cells
    assert ("", "no money figure: relationship risk") in cells
    assert ("num", "no money figure: relationship risk") not in cells


def test_a_float_tier_reads_as_a_whole_number():
    from kamtools.sections.summary import summary_cards

    # group parents have no tier, so the accounts table's tier column is float (1.0, 2.0, NaN)
    accounts = pd.DataFrame({"account_id": ["A", "G"], "tier": [1, None]})
    assert accounts["tier"].dtype == "float64"
    info = accounts.iloc[0].to_dict()
    cards = {label: text for label, text, _ in summary_cards(info)}
    assert cards["Tier"] == "1"
    assert all(label != "Tier" for label, _, _ in summary_cards(accounts.iloc[1].to_dict()))
    assert [formatting.code(v) for v in (1.0, 2, "A", 2.5, None)] == ["1", "2", "A", "2.5", ""]
