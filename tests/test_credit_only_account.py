"""An account whose only lines are credit notes does not read "customer since" its first credit note (issue 17).

In the UCI Online Retail log some customers appear only through credit notes (what they bought was booked before
the log began). Without an exported customer_since the loader dates an account from its first line, here a credit
note, and the page read "customer since 2011". It now says what the data holds, and its value and churn sections
do not call it an account that has "not ordered yet".
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pandas as pd
from _portfolio import one_product_portfolio

from kamtools.bundle import _base_summary


def _text(shown: list[str]) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(shown))))


def _info(customer_since: str) -> dict:
    lines = [("BUYER", "2011-02-10", 120.0, 10.0), ("BUYER", "2011-05-10", 80.0, 8.0)]
    lines += [("CREDITS", "2011-03-04", -45.0, -3.0), ("CREDITS", "2011-07-19", -12.5, -1.0)]
    summary = _base_summary(one_product_portfolio(lines, "2011-11-30", customer_since=customer_since))
    return summary.set_index("account_id").loc["CREDITS"].to_dict()


def _header(info: dict) -> str:
    from kamtools.sections import account_header

    shown: list[str] = []
    from kamtools import display

    original = display._show
    display._show = shown.append
    try:
        account_header(SimpleNamespace(info=info, account_id="CREDITS", as_of=pd.Timestamp("2011-11-30")))
    finally:
        display._show = original
    return _text(shown)


def test_a_credit_only_account_is_not_a_customer_since_its_first_credit_note():
    info = _info(customer_since="2011-03-04")  # as the loader derives it: the date of its first line
    assert pd.isna(info["first_order_date"]) and info["first_credit_date"] == pd.Timestamp("2011-03-04")
    header = _header(info)
    assert "no orders in the data, only returns or credit notes (the first on 2011-03-04)" in header
    assert "customer since" not in header
    from kamtools.sections.summary import profile_table

    profile = dict(profile_table(info).itertuples(index=False))
    assert "Customer since" not in profile
    assert profile["First order"] == "no orders in the data, only returns or credit notes (the first on 2011-03-04)"


def test_an_exported_customer_since_before_the_credit_notes_is_still_shown():
    header = _header(_info(customer_since="2008-06-01"))
    assert "customer since 2008" in header
    assert "no orders in the data, only returns or credit notes (the first on 2011-03-04)" in header


def test_its_value_and_churn_sections_do_not_say_it_has_not_ordered_yet(captured):
    from kamtools.sections import churn, value

    info = _info(customer_since="2011-03-04")
    tables = {
        "value": pd.DataFrame(columns=["account_id", "p_alive"]),
        "churn": pd.DataFrame([{"account_id": "CREDITS", "risk_band": "no orders yet", "churn_probability": None}]),
    }
    acct = SimpleNamespace(
        info=info,
        table=lambda name: tables.get(name, pd.DataFrame()),
        portfolio_table=lambda name: pd.DataFrame(),
    )
    value.account_section(acct)
    churn.account_section(acct)
    page = _text(captured)
    assert "not ordered yet" not in page and "no orders yet" not in page
    assert page.count("This account has no orders in the data, only returns or credit notes") == 2


def test_its_credit_notes_are_no_new_product_line():
    from kamtools.whitespace import tradelanes

    lines = [("BUYER", "2011-02-10", 120.0, 10.0), ("BUYER", "2011-05-10", 80.0, 8.0)]
    lines += [("CREDITS", "2011-03-04", -45.0, -3.0), ("ZERO", "2011-04-01", 0.0, 1.0)]
    lanes = tradelanes(one_product_portfolio(lines, "2011-11-30"))
    # before: CREDITS' Premixes line read "new" at -45, and ZERO's order worth 0 a "new" line at 0; the credit
    # notes stay on the page (they are part of its net revenue), as what they are
    assert lanes[["account_id", "status"]].values.tolist() == [["BUYER", "new"], ["CREDITS", "credit notes only"]]
