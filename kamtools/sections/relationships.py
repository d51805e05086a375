"""Report section: the relationship map of one account and its coverage findings.

Reads the ``relationships`` stage's tables of the bundle (``relationship_map``, ``coverage_findings``)
and draws them: the org chart (:func:`kamtools.plotting.relationships.org_chart`), the findings with
their evidence, and our owner of each relationship. Nothing is refitted.
"""

from __future__ import annotations

import pandas as pd

from kamtools import display, formatting
from kamtools.data.portfolio import NotAvailable
from kamtools.sections import show_notes

TITLE = "Relationship map and coverage"

NO_CONTACTS = (
    "No contacts are on file for this account, so there is no relationship map. Add the people you deal with "
    "to contacts.csv (contact_id, account_id, name, title, role, seniority; reports_to, attitude and left_date "
    "draw the reporting lines, who is on our side and who left) and log meetings, calls and visits in "
    "interactions.csv with the employee who held them."
)
_SEVERITY = {"high": "High", "medium": "Medium", "low": "Low"}


def _owners(rmap: pd.DataFrame) -> pd.DataFrame:
    """One row per person: who they are, where they stand, when we last met them and who owns them on our side."""
    out = rmap.copy()
    out["status"] = [
        f"left {pd.Timestamp(d).date()}" if left and pd.notna(d) else ("left" if left else "")
        for left, d in zip(out["has_left"], out["left_date"])
    ]
    out["role"] = out["role"].astype("str").str.replace("_", " ")
    out["owner"] = out["owner"].fillna("(nobody named)")
    out["attitude"] = out["attitude"].fillna("(unknown)")
    return out


def _group_rows(acct, name: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """For the head of a group: the relationship map and the findings of every unit of the group
    (None for an account that heads no group or when the tables are missing)."""
    full = acct.bundle.table("relationship_map")
    found = acct.bundle.table("coverage_findings")
    if isinstance(full, NotAvailable) or isinstance(found, NotAvailable) or "group_id" not in full.columns:
        return None
    group = full[full["group_id"] == acct.account_id]
    if not (group["account_id"] != acct.account_id).any():
        return None
    return group, found[found["group_id"] == acct.account_id]


def account_section(acct) -> None:
    """The org chart, the coverage findings and our owner of each relationship (for the head of a
    group: across its units, each unit's people under its name)."""
    from kamtools.plotting.relationships import org_chart

    display.heading(TITLE)
    rmap = acct.table("relationship_map")
    if isinstance(rmap, NotAvailable):
        display.not_available(rmap)
        return
    findings = acct.table("coverage_findings")
    name = str(acct.info.get("name") or acct.account_id)
    names: dict[str, str] = {}
    group = _group_rows(acct, name)
    if group is not None:
        rmap, findings = group
        accounts = acct.bundle.accounts
        names = dict(zip(accounts["account_id"], accounts["name"].astype(str)))
        units = rmap["account_id"].nunique()
        display.paragraph(f"{name} heads a group: the map shows the people of its {units} units with contacts on file.")
    if rmap.empty:
        display.paragraph(NO_CONTACTS)
    else:
        active = int((~rmap["has_left"].astype(bool)).sum())
        dms = int((rmap["is_decision_maker"].astype(bool) & ~rmap["has_left"].astype(bool)).sum())
        display.paragraph(
            f"{formatting.counted(active, 'person', 'people')} on file at {name} ({formatting.of_them(dms, 'decision maker')})"
            + (f", and {len(rmap) - active} who left" if len(rmap) > active else "")
            + ". Each box shows the person's title, role and seniority, where they stand towards us, when we last "
            "met them and who on our side owns the relationship."
        )
        display.figure(
            org_chart(rmap, title=f"{name}: who is who", account_names=names), alt=f"Relationship map of {name}"
        )
    show_notes(acct.bundle, "relationships")

    if isinstance(findings, NotAvailable):
        display.heading("Coverage findings", level=3)
        display.not_available(findings)
    elif not findings.empty:
        display.heading("Coverage findings", level=3)
        display.bullets(
            f"{_SEVERITY.get(str(s), str(s))}: {e}" for s, e in zip(findings["severity"], findings["evidence"])
        )
    elif not rmap.empty:
        display.heading("Coverage findings", level=3)
        display.paragraph(
            "No coverage gap found: no sponsor left in the last 12 months, no decision maker unmet for 180 days, "
            "no detractor among the decision makers without a recent meeting, and contact is not concentrated on "
            "one person."
        )

    if not rmap.empty:
        display.heading("Our owner of each relationship", level=3)
        table = _owners(rmap)
        columns = {"name": "Name", "title": "Title", "role": "Role", "attitude": "Attitude"}
        if names:
            table["unit"] = table["account_id"].map(names).fillna(table["account_id"])
            columns = {"unit": "Unit", **columns}
        display.table(
            table,
            columns={
                **columns,
                "last_contact_date": "Last contact",
                "days_since_contact": "Days since",
                "n_interactions_12m": "Interactions (12 months)",
                "owner": "Our owner",
                "status": "Left",
            },
            max_rows=40,
        )
