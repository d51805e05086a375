"""The relationships stage of :func:`kamtools.bundle.analyze`: the relationship map, the coverage
findings and the per-account summary, with notes on what the data could not say."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.relationships.coverage import account_summary, coverage_findings, relationship_map

__all__ = ["SUMMARY_COLUMNS", "TABLES", "bundle_tables"]

SUMMARY_COLUMNS = {"relationship_accounts": ["champion_left", "single_threaded", "n_contacts_active", "thread_share"]}

TABLES = ("relationship_map", "coverage_findings", "relationship_accounts")


def _notes(portfolio: Portfolio, rmap: pd.DataFrame) -> list[str]:
    """Sentences on what the data could not say (no interactions, no attitudes, no reporting lines)."""
    notes = []
    if not portfolio.has("interactions"):
        notes.append(
            "No interactions table was supplied, so days since contact, our owners, single-threaded accounts "
            "and decision makers not met cannot be judged."
        )
    elif rmap["owner"].isna().all():
        notes.append(
            "No interaction names an employee (interactions.employee), so our owner of each contact is unknown."
        )
    if rmap["attitude"].isna().all():
        notes.append(
            "No contact has an attitude (contacts.attitude: champion, supporter, neutral or detractor), so detractors "
            "are not found and only decision makers count as sponsors."
        )
    return notes


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The relationships stage: ``relationship_map``, ``coverage_findings`` and ``relationship_accounts``.

    NotAvailable for all three when there is no contacts table. ``inputs["kpis"]`` (revenue of the last
    12 months) grades the units of a group that have no contact.
    """
    if not portfolio.has("contacts"):
        na = NotAvailable(
            "No contacts table was supplied, so there is no relationship map: add contacts.csv (contact_id, "
            "account_id, name, title, role, seniority; optionally reports_to, attitude and left_date)."
        )
        return dict.fromkeys(TABLES, na)
    rmap = relationship_map(portfolio)
    kpis = inputs.get("kpis")
    revenue = None
    if isinstance(kpis, pd.DataFrame) and "revenue_ltm" in kpis.columns:
        revenue = pd.Series(kpis["revenue_ltm"].to_numpy(dtype=float), index=kpis["account_id"].to_numpy())
    findings = coverage_findings(portfolio, rmap, revenue_12m=revenue)
    out: dict[str, object] = {
        "relationship_map": rmap,
        "coverage_findings": findings,
        "relationship_accounts": account_summary(portfolio, rmap, findings),
    }
    notes = _notes(portfolio, rmap)
    if notes:
        out["_notes"] = {"relationships": " ".join(notes)}
    return out  # type: ignore[return-value]
