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
:mod:`kamtools.sections.relationships`. The map and the findings are in
:mod:`kamtools.relationships.coverage`, the bundle stage in :mod:`kamtools.relationships.stage`.
"""

from __future__ import annotations

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
from kamtools.relationships.stage import SUMMARY_COLUMNS, bundle_tables

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
