"""Report section "Since the last review": this account compared with the previous bundle.

The account report notebook passes ``since`` (the previous bundle's folder, or ``""``),
``tasks`` (a CRM task export, or ``""``) and ``tasks_mapping``; :func:`with_previous`
wraps the account with them and :func:`account_section` draws the changes that
:func:`kamtools.review.since.compare_bundles` finds for this one account (it reads only
the account's rows of both bundles).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kamtools import display, formatting

TITLE = "Since the last review"


@dataclass
class SinceView:
    """An account of the current bundle plus where to find the previous review's data."""

    acct: object
    since: str = ""
    tasks: str = ""
    tasks_mapping: str = ""

    @property
    def bundle(self):
        return self.acct.bundle

    @property
    def account_id(self) -> str:
        return self.acct.account_id


def with_previous(acct, since: str = "", tasks: str = "", tasks_mapping: str = "") -> SinceView:
    """``acct`` with the report's ``since``, ``tasks`` and ``tasks_mapping`` parameters."""
    return SinceView(acct, str(since or ""), str(tasks or ""), str(tasks_mapping or ""))


def account_changes(view: SinceView):
    """The :class:`kamtools.review.since.AccountChanges` of the view's account (None without ``since``)."""
    from kamtools.review.since import compare_bundles, open_previous, read_task_export

    if not view.since:
        return None
    current = view.bundle
    previous = open_previous(view.since, current)
    tasks = read_task_export(view.tasks, view.tasks_mapping or None) if view.tasks else None
    changes = compare_bundles(current, previous, tasks=tasks, accounts=[view.account_id])
    return changes.for_account(view.account_id)


def account_section(view) -> None:
    """What changed for this account since the previous bundle: figures, churn drivers, risks, actions."""
    display.heading(TITLE)
    if not isinstance(view, SinceView) or not view.since:
        display.paragraph(
            "No earlier analysis was given, so there is nothing to compare with. Render the reports with "
            "kamtools reports BUNDLE --since PREVIOUS_BUNDLE to see what changed since the last review."
        )
        return
    ch = account_changes(view)
    display.paragraph(
        f"Compared with the analysis of {ch.previous_as_of.date()} (the last review); "
        f"this report's data is as of {ch.current_as_of.date()}."
    )
    if ch.status != "both":
        display.paragraph(ch.sentences[0])
        return
    if ch.highlights:
        display.bullets(ch.highlights)
    else:
        display.paragraph(
            "Nothing notable changed: the churn band and tier are the same, no new high risk, no target slipping "
            "and no forecast revision of 10% or more."
        )
    figures = ch.figures
    if len(figures):
        shown = figures.drop(columns=["change", "previous", "current"]).rename(
            columns={
                "label": "",
                "previous_text": f"{ch.previous_as_of.date()}",
                "current_text": f"{ch.current_as_of.date()}",
                "change_text": "change",
            }
        )
        display.table(shown[["", f"{ch.previous_as_of.date()}", f"{ch.current_as_of.date()}", "change"]])

    _drivers(ch)
    _risks(view, ch)
    _actions(view, ch)
    for note in ch.notes:
        display.paragraph(note)


def _drivers(ch) -> None:
    """The churn drivers that are new, gone or changed since the last review."""
    display.heading("Churn drivers that moved", 3)
    if ch.drivers.empty:
        display.paragraph("The churn drivers are the same as at the last review.")
    else:
        items = []
        for _, d in ch.drivers.iterrows():
            if d["status"] == "new":
                items.append(f"New: {d['current']}")
            elif d["status"] == "no longer a driver":
                items.append(f"No longer a driver: {d['previous']}")
            else:
                items.append(f"Changed: {d['current']} At the last review: {d['previous']}")
        display.bullets(items)


def _risks(view, ch) -> None:
    """The risks that are new or resolved since the last review, with their value at stake."""
    display.heading("New and resolved risks", 3)
    if ch.risks.empty:
        display.paragraph("No risk is new and none was resolved since the last review.")
    else:
        risks = ch.risks.assign(
            value=[
                display.money(v, formatting.currency_of(view.bundle)) if pd.notna(v) else ""
                for v in ch.risks["value_at_stake"]
            ]
        )
        display.table(
            risks,
            {"status": "", "severity": "severity", "risk": "risk", "value": "value at stake"},
            money=["value"],
            currency=formatting.currency_of(view.bundle),
        )


def _actions(view, ch) -> None:
    """The actions of the last review and how each was followed up."""
    display.heading("Actions of the last review, followed up", 3)
    owners = ch.actions["owner"].dropna().astype(str).unique() if len(ch.actions) else []
    one_owner = len(owners) == 1
    display.paragraph(ch.action_summary + (f" Owner of all of them: {owners[0]}." if one_owner else ""))
    if len(ch.actions):
        acts = ch.actions.assign(
            due=pd.to_datetime(ch.actions["due_date"]).dt.strftime("%Y-%m-%d"),
            value=[
                display.money(v, formatting.currency_of(view.bundle)) if pd.notna(v) else ""
                for v in ch.actions["value_at_stake"]
            ],
        )
        display.table(
            acts,
            {
                "action": "action",
                **({} if one_owner else {"owner": "owner"}),
                "due": "due",
                "value": "value at stake",
                "follow_up_text": "follow-up",
                "action_id": "CRM id",
            },
            money=["value"],
            currency=formatting.currency_of(view.bundle),
        )


# ---- portfolio overview -------------------------------------------------------------------

DIGEST_ROWS = 15  # changes listed in the overview; since.html beside it lists them all


@dataclass
class PortfolioSinceView:
    """The current bundle plus where to find the previous review's data (portfolio overview)."""

    bundle: object
    since: str = ""
    tasks: str = ""
    tasks_mapping: str = ""


def portfolio_with_previous(bundle, since: str = "", tasks: str = "", tasks_mapping: str = "") -> PortfolioSinceView:
    """``bundle`` with the overview's ``since``, ``tasks`` and ``tasks_mapping`` parameters."""
    return PortfolioSinceView(bundle, str(since or ""), str(tasks or ""), str(tasks_mapping or ""))


def portfolio_changes(view: PortfolioSinceView):
    """The :class:`kamtools.review.since.Changes` of the whole portfolio (None without ``since``)."""
    from kamtools.review.since import compare_bundles, open_previous, read_task_export

    if not view.since:
        return None
    previous = open_previous(view.since, view.bundle)
    tasks = read_task_export(view.tasks, view.tasks_mapping or None) if view.tasks else None
    return compare_bundles(view.bundle, previous, tasks=tasks)


def portfolio_section(view) -> None:
    """The portfolio change digest: how many accounts moved and the largest changes by value at stake."""
    from kamtools.formatting import money

    display.heading(TITLE)
    if not isinstance(view, PortfolioSinceView) or not view.since:
        display.paragraph(
            "No earlier analysis was given, so there is nothing to compare with. Render the reports with "
            "kamtools reports BUNDLE --since PREVIOUS_BUNDLE to see what changed since the last review."
        )
        return
    ch = portfolio_changes(view)
    acc = ch.accounts
    status = acc["status"].value_counts()
    kinds = ch.digest["kind"].value_counts() if len(ch.digest) else pd.Series(dtype=int)
    display.paragraph(
        f"Compared with the analysis of {ch.previous_as_of.date()} (the last review); this overview's data is as of "
        f"{ch.current_as_of.date()}. The changes are ranked by the money at stake in each account."
    )
    cards = [("Accounts in both reviews", int(status.get("both", 0)))]
    cards += [(label, int(status.get(key, 0))) for key, label in (("new", "New accounts"), ("gone", "Accounts gone"))]
    cards += [(str(kind)[:1].upper() + str(kind)[1:], int(n)) for kind, n in kinds.items()]
    display.kpi_cards(cards)
    if ch.digest.empty:
        display.paragraph(
            "Nothing notable changed: no churn band or tier moved, no new high risk, no target slipping and no "
            "forecast revision of 10% or more."
        )
    else:
        top = ch.digest.head(DIGEST_ROWS).copy()
        top["value_at_stake"] = [money(v, formatting.currency_of(view.bundle)) for v in top["value_at_stake"]]
        display.table(
            top,
            {
                "account_id": "Account",
                "name": "Name",
                "owner": "Key account manager",
                "sentence": "What changed",
                "value_at_stake": "Value at stake",
            },
            money=["value_at_stake"],
            currency=formatting.currency_of(view.bundle),
        )
        if len(ch.digest) > DIGEST_ROWS:
            display.paragraph(
                f"The {DIGEST_ROWS} largest of {len(ch.digest)} changes; since.html beside this page lists every "
                "change, grouped by account, with links to the reports."
            )
    if ch.notes:
        display.bullets(ch.notes)
