"""Relationship maps and coverage findings: who decides, who supports us, who left, where we are thin.

The ``relationships`` stage of :func:`kamtools.bundle.analyze` (declared in :mod:`kamtools.stages`)
writes:

* ``relationship_map``: one row per contact (role, seniority, attitude, reporting line, whether and
  when they left, days since we last met them, interactions in the last 12 months and our owner of
  the relationship: the employee with the most interactions with them);
* ``coverage_findings``: what a KAM should act on, each with an evidence sentence
  (:data:`~kamtools.relationships.coverage.FINDING_KINDS`; thresholds in
  :mod:`kamtools.relationships.coverage`);
* ``relationship_accounts``: one row per account (contacts still there, the share of interactions
  through the most-met person, ``single_threaded``, ``champion_left`` and whom to meet instead).

``accounts.parquet`` gains ``champion_left``, ``n_contacts_active`` and ``thread_share``; its
``single_threaded`` stays the KPI stage's (one contact engaged in the last 180 days: an earlier stage's
column of the same name is kept), so the share-based flag is read from ``relationship_accounts`` (or
``thread_share`` >= :data:`~kamtools.relationships.coverage.SINGLE_THREAD_SHARE` with enough interactions).

The chart is :func:`kamtools.plotting.relationships.org_chart`; the report section
:mod:`kamtools.sections.relationships`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.relationships.coverage import (
    CHAMPION_LEFT_MONTHS,
    DETRACTOR_PLAN_DAYS,
    DM_NOT_MET_DAYS,
    FINDING_KINDS,
    MAP_COLUMNS,
    SINGLE_THREAD_MIN_INTERACTIONS,
    SINGLE_THREAD_SHARE,
    SPONSOR_ATTITUDES,
    account_summary,
    coverage_findings,
    left_sponsors,
    relationship_map,
)

__all__ = [
    "CHAMPION_LEFT_MONTHS",
    "DETRACTOR_PLAN_DAYS",
    "DM_NOT_MET_DAYS",
    "FINDING_KINDS",
    "MAP_COLUMNS",
    "SINGLE_THREAD_MIN_INTERACTIONS",
    "SINGLE_THREAD_SHARE",
    "SPONSOR_ATTITUDES",
    "SUMMARY_COLUMNS",
    "account_summary",
    "bundle_tables",
    "coverage_findings",
    "left_sponsors",
    "relationship_map",
]

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
        revenue = pd.Series(kpis["revenue_ltm"].to_numpy(dtype=float), index=kpis["account_id"].astype(str).to_numpy())
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
