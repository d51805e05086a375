"""``kamtools export-actions BUNDLE --out FILE``: every plan action as CRM tasks, with stable ids."""

from __future__ import annotations

import argparse
import sys

NAME = "export-actions"
HELP = "Write every account-plan action as a CRM task (CSV or JSON) with an id that stays the same month after month."
EXAMPLE = (
    "kamtools export-actions bundles/2026-11 --out actions.csv --mapping kamtools/templates/crm/salesforce_task.yml"
)

DESCRIPTION = """\
Each action gets an id from its account and the playbook rule that raised it (KA- and 12 hex
digits), so next month's export of the same action has the same id and a CRM import can update
the task instead of creating a second one.

Default columns (a generic CRM task import): action_id, account_id, account_name, subject,
description (why, with the evidence and numbers, the value at stake and the action id),
due_date, priority (high/medium/low), owner, value_at_stake, status (open).

--mapping FILE renames them for a CRM (YAML):
  columns: {Subject: subject, Description: description, ActivityDate: due_date, WhatId: account_id}
  values:  {Priority: {high: High, medium: Normal, low: Low}}   # kamtools value: CRM value
  fixed:   {Type: Other}                                        # same value on every row
A Salesforce Task example ships with kamtools: kamtools/templates/crm/salesforce_task.yml.
Further columns a mapping may use: rule_id, type, value_basis, evidence, facts, rank, as_of.

The file is written under a temporary name and renamed into place. An existing --out file is
replaced only when it is an earlier export (same header, or every row holds a kamtools action
id); any other file is refused, so a file kamtools did not write is never overwritten. CSV text
cells starting with = + - @ get a leading apostrophe so spreadsheets do not run them as formulas.
--tasks FILE (the CRM's task export, read with --tasks-mapping or else --mapping): a task the
CRM has closed is never exported as open again, so a re-import does not reopen it. When its
rule still fires, the action is exported as a new task with the next occurrence's id (the same
hash over the rule id and '#2', '#3', ...), status open, its description naming the closed
task; that id then stays the same every month until the CRM closes it too. Without --tasks
every action is exported with its first id and status open.

Exit codes: 0 written, 1 the output cannot be written, 2 a bad bundle or mapping."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = f"{HELP}\n\n{DESCRIPTION}"
    p.add_argument("bundle", metavar="BUNDLE_DIR", help="analysis bundle written by `kamtools analyze`")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (new, or an earlier export)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json (a list of records)")
    p.add_argument("--mapping", metavar="FILE", help="YAML file renaming the columns and values for your CRM")
    p.add_argument(
        "--tasks",
        metavar="TASKS_FILE",
        help="the CRM's task export (CSV or Excel): an action done there is not exported as open again",
    )
    p.add_argument(
        "--tasks-mapping",
        metavar="CRM_YML",
        help="the CRM mapping of the task export's columns and values (default: --mapping)",
    )


def run(args: argparse.Namespace) -> int:
    from kamtools.bundle import BundleError
    from kamtools.review.actions import CrmMappingError, TaskFileError
    from kamtools.review.export import ExportError, export_actions

    if args.tasks_mapping and not args.tasks:
        print("error: --tasks-mapping needs --tasks (the CRM task export it describes)", file=sys.stderr)
        return 2
    try:
        result = export_actions(
            args.bundle,
            args.out,
            fmt=args.format,
            mapping=args.mapping,
            tasks=args.tasks,
            tasks_mapping=args.tasks_mapping,
        )
    except TaskFileError as exc:
        print(f"error: --tasks: {exc}", file=sys.stderr)
        return 2
    except (BundleError, CrmMappingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    verb = "replaced" if result.replaced else "wrote"
    print(f"export-actions: {verb} {result.path}: {result.rows} actions, columns {', '.join(result.columns)}")
    for note in result.notes:
        print(f"note: {note}")
    return 0
