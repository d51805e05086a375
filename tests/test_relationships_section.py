"""The account report's relationship section, drawn from a bundle of hand-made contacts and interactions."""

from __future__ import annotations

import pandas as pd
import pytest
from test_relationships import _accounts, _contacts, portfolio


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from kamtools.bundle import analyze

    p = portfolio()
    contacts = _contacts()
    contacts.loc[contacts["contact_id"] == "K2", "name"] = "Bo <script>alert(1)</script> $x$"
    p.tables["contacts"] = contacts
    return analyze(p, tmp_path_factory.mktemp("rel") / "b", stages=["relationships"], progress=False)


def _render(acct, monkeypatch) -> str:
    from kamtools import display
    from kamtools.sections import relationships as section

    out: list[str] = []
    monkeypatch.setattr(display, "_show", lambda markup: (out.append(markup), markup)[1])
    section.account_section(acct)
    return "".join(out)


def test_section_shows_chart_findings_and_owners(bundle, monkeypatch):
    html = _render(bundle.account("A1"), monkeypatch)
    assert "Relationship map and coverage" in html
    assert "3 people on file at Feed France SA (1 of them a decision maker), and 1 who left." in html
    assert "<img" in html and 'alt="Relationship map of Feed France SA"' in html
    assert (
        "High: Anna Lind (Purchasing Director), our champion and decision maker, left Feed France SA on 15 Feb 2026"
        in (html)
    )
    assert "Our owner of each relationship" in html and "<td>M. Berg</td>" in html and "<td>L. Roux</td>" in html
    assert "<td>left 2026-02-15</td>" in html
    # a name from the data is escaped, never markup
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; $x$" in html


def test_unit_without_contact_shows_its_finding(bundle, monkeypatch):
    html = _render(bundle.account("A3"), monkeypatch)
    assert "Feed Polska, a unit of Global Feed Group, has no current contact on file" in html


def test_no_contacts_table(tmp_path, monkeypatch):
    from kamtools.bundle import analyze

    p = portfolio(contacts=False, interactions=False, accounts=_accounts())
    b = analyze(p, tmp_path / "b", stages=["relationships"], progress=False)
    html = _render(b.account("A1"), monkeypatch)
    assert "No contacts table was supplied, so there is no relationship map: add contacts.csv" in html


def test_section_is_registered_and_in_the_report_notebook():
    import json

    from kamtools.resources import notebooks_dir
    from kamtools.sections import ACCOUNT_SECTIONS

    keys = [s.key for s in ACCOUNT_SECTIONS]
    assert keys.index("relationships") == keys.index("kpis") + 1
    nb = json.loads((notebooks_dir() / "account_report.ipynb").read_text())
    assert 'sections.account("relationships", acct)' in ["".join(c["source"]) for c in nb["cells"]]
    assert pd is not None


def test_head_of_a_group_shows_the_map_across_its_units(bundle, monkeypatch):
    html = _render(bundle.account("G1"), monkeypatch)
    assert "Global Feed Group heads a group: the map shows the people of its 3 units with contacts on file." in html
    assert "<img" in html and "<th>Unit</th>" in html and "<td>Feed Italia Srl</td>" in html
    assert "Feed Polska, a unit of Global Feed Group, has no current contact on file" in html
    assert "No contacts are on file" not in html


def test_stand_alone_account_without_contacts(tmp_path, monkeypatch):
    from kamtools.bundle import analyze

    contacts = _contacts()
    p = portfolio(contacts=contacts[contacts["account_id"] != "B1"])
    b = analyze(p, tmp_path / "b", stages=["relationships"], progress=False)
    html = _render(b.account("B1"), monkeypatch)
    assert "No contacts are on file for this account" in html
    assert "No coverage gap found" not in html and "<img" not in html


def test_accounts_summary_gains_the_relationship_columns(bundle):
    acc = bundle.accounts.set_index("account_id")
    assert {"champion_left", "n_contacts_active", "thread_share", "single_threaded"} <= set(acc.columns)
    assert bool(acc.loc["A1", "champion_left"]) and acc.loc["A1", "n_contacts_active"] == 3
    assert acc.loc["A1", "thread_share"] == pytest.approx(0.8) and bool(acc.loc["A1", "single_threaded"])
