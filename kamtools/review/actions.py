"""Plan actions as CRM tasks: stable ids, the export frame, and reading a CRM task export back.

Every action of the account plan (the bundle's ``plan_actions`` table) gets an id that
depends only on its account and the playbook rule that raised it (:func:`action_id`), so
the same action keeps its id in every monthly bundle and a re-import into the CRM updates
the task instead of duplicating it.

* :func:`actions_frame` -- one row per plan action with :data:`EXPORT_COLUMNS` (the default
  columns of ``kamtools export-actions``) followed by :data:`MORE_COLUMNS`.
* :func:`read_tasks` -- a CRM task export (CSV or Excel) with its columns renamed to
  kamtools' names and a ``done`` flag per action id, e.g. to follow up last month's actions.
* :func:`load_crm_mapping` -- the mapping file shared by both directions (YAML)::

      columns:            # CRM column: kamtools column
        Subject: subject
        ActivityDate: due_date
        Priority: priority
        Status: status
        WhatId: account_id
      values:             # per CRM column: kamtools value -> CRM value (read back in reverse)
        Priority: {high: High, medium: Normal, low: Low}
        Status: {open: Not Started, done: Completed}
      fixed:              # CRM columns written with the same value on every row
        Type: Other

Example
-------
>>> from kamtools.review.actions import actions_frame, read_tasks  # doctest: +SKIP
>>> actions = actions_frame("bundles/2026-11")  # doctest: +SKIP
>>> tasks = read_tasks("crm_tasks.csv", mapping="crm.yml")  # doctest: +SKIP
>>> actions.merge(tasks[["action_id", "done"]], on="action_id", how="left")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kamtools import formatting
from kamtools.plan.actions import NO_MONEY_PREFIX

__all__ = [
    "ACTION_ID_PATTERN",
    "DONE_STATUSES",
    "EXPORT_COLUMNS",
    "MORE_COLUMNS",
    "CrmMapping",
    "CrmMappingError",
    "TaskFileError",
    "action_id",
    "actions_frame",
    "latest_occurrence",
    "occurrence_id",
    "open_occurrence",
    "load_crm_mapping",
    "read_tasks",
]

EXPORT_COLUMNS = [
    "action_id",
    "account_id",
    "account_name",
    "subject",
    "description",
    "due_date",
    "priority",
    "owner",
    "value_at_stake",
    "status",
]
"""The default columns of an export, in order (they fit a generic CRM task import)."""

MORE_COLUMNS = ["rule_id", "type", "value_basis", "evidence", "facts", "rank", "as_of"]
"""Further kamtools columns of :func:`actions_frame` that a mapping may export."""

ACTION_ID_PATTERN = re.compile(r"\bKA-[0-9a-f]{12}\b")
"""What an action id looks like (``KA-`` and 12 hex digits); also found inside a description."""

DONE_STATUSES = frozenset({"done", "completed", "complete", "closed", "finished", "resolved"})
"""Task statuses (after the mapping's values, any case) that mark an action as done."""

OPEN_STATUS = "open"
SUBJECT_MAX = 255  # most CRMs (Salesforce Task.Subject among them) keep at most 255 characters


class CrmMappingError(ValueError):
    """A CRM mapping file cannot be used; the message names the file, the entry and what to do."""


class TaskFileError(ValueError):
    """A CRM task export cannot be read; the message names the file, the column and the rows."""


def action_id(account_id: object, rule_id: object) -> str:
    """The stable id of the action that playbook rule ``rule_id`` raises for ``account_id``.

    ``KA-`` and the first 12 hex digits of SHA-256 over both (separated by a byte that
    cannot occur in either), so the same account and rule give the same id in every bundle.
    """
    text = f"{account_id}\x1f{rule_id}".encode("utf-8", "surrogatepass")
    return "KA-" + hashlib.sha256(text).hexdigest()[:12]


MAX_OCCURRENCES = 1000  # a rule firing again after this many closed tasks keeps the last id


def occurrence_id(account_id: object, rule_id: object, n: int = 1) -> str:
    """The id of the ``n``-th task for rule ``rule_id`` on ``account_id``: :func:`action_id` for the
    first; for a later one (the condition holds again after the CRM closed the task before it) the
    same hash over the rule id with ``#n`` appended, so every occurrence keeps its own stable id."""
    return action_id(account_id, rule_id) if n <= 1 else action_id(account_id, f"{rule_id}#{int(n)}")


def open_occurrence(account_id: object, rule_id: object, done: set[str] | frozenset[str]) -> tuple[str, int]:
    """``(id, n)`` of the task to export for this account and rule: the first occurrence whose id is
    not marked done in the CRM (``done``: ids of closed tasks). The same id every month until the
    CRM closes it; then the next one."""
    n = 1
    while n < MAX_OCCURRENCES and occurrence_id(account_id, rule_id, n) in done:
        n += 1
    return occurrence_id(account_id, rule_id, n), n


def latest_occurrence(account_id: object, rule_id: object, known: set[str] | frozenset[str]) -> tuple[str, int]:
    """``(id, n)`` of the latest occurrence of this account and rule that the CRM task export
    holds (``known``: every id in it); the first occurrence when it holds none."""
    n = 1
    while n < MAX_OCCURRENCES and occurrence_id(account_id, rule_id, n + 1) in known:
        n += 1
    return occurrence_id(account_id, rule_id, n), n


# ---- the export frame ------------------------------------------------------------------------


def _bundle(bundle):
    from kamtools.bundle import Bundle

    return bundle if isinstance(bundle, Bundle) else Bundle.open(bundle)


def _description(row: pd.Series, currency: str | None = None) -> str:
    parts = []
    evidence = str(row["evidence"] or "").strip()
    if evidence:
        parts.append(f"Why: {evidence}")
    value = row["value_at_stake"]
    if pd.isna(value) and str(row["value_basis"] or "").startswith(NO_MONEY_PREFIX):
        parts.append(f"Value at stake: none ({str(row['value_basis'])[len(NO_MONEY_PREFIX) :]}).")
    if pd.notna(value):
        basis = str(row["value_basis"] or "").strip()
        parts.append(f"Value at stake: {formatting.money(value, currency)}" + (f" ({basis})" if basis else "") + ".")
    facts = str(row["facts"] or "").strip()
    if facts:
        parts.append(f"Facts: {facts}")
    parts.append(f"kamtools action {row['action_id']} (rule {row['rule_id']}, data as of {row['as_of']}).")
    return "\n".join(parts)


def actions_frame(bundle, tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every action of the bundle's account plans, one row each, ready for a CRM task import.

    ``bundle`` is a :class:`kamtools.bundle.Bundle` or a bundle folder. Columns:
    :data:`EXPORT_COLUMNS` -- ``action_id`` (:func:`action_id`), ``account_id``,
    ``account_name``, ``subject`` (the action, at most 255 characters), ``description``
    (why, with the evidence and the account's numbers, the value at stake, the facts the
    rule read, and the action id), ``due_date`` (ISO date text), ``priority``
    (high/medium/low), ``owner``, ``value_at_stake`` (money, empty when the rule has no
    money figure), ``status`` (``open``: the plan lists only actions still to do) -- then
    :data:`MORE_COLUMNS` (rule_id, type, value_basis, evidence, facts, rank within the
    account, as_of). Rows are in plan order (account, then rank).

    ``tasks``: a CRM task export read by :func:`read_tasks`. An action whose task the CRM has
    closed, but whose rule still fires, is not exported under that id again (a re-import would
    reopen the closed task): it gets the id of its next occurrence (:func:`open_occurrence`),
    status open, and its description says which task was closed. The closed task itself is
    not in the export, so the CRM keeps it as it is.

    Raises :class:`kamtools.bundle.BundleError` when the bundle has no plan actions.
    """
    from kamtools.bundle import BundleError
    from kamtools.data.portfolio import NotAvailable

    b = _bundle(bundle)
    table = b.table("plan_actions")
    if isinstance(table, NotAvailable):
        raise BundleError(f"the bundle {b.path} has no plan actions: {table.reason}")
    as_of = str(b.as_of.date())
    names = b.accounts.drop_duplicates("account_id").set_index("account_id")["name"]
    a = table.sort_values(["account_id", "order"], kind="stable").reset_index(drop=True)
    done = frozenset() if tasks is None else frozenset(tasks.loc[tasks["done"].astype(bool), "action_id"].astype(str))
    occurrences = [open_occurrence(acc, rule, done) for acc, rule in zip(a["account_id"], a["rule_id"], strict=True)]
    out = pd.DataFrame(
        {
            "action_id": [o[0] for o in occurrences],
            "account_id": a["account_id"],
            "account_name": a["account_id"].map(names).fillna("").astype(str),
            "subject": a["action"].astype(str).map(_subject),
            "description": "",
            "due_date": pd.to_datetime(a["due_date"]).dt.strftime("%Y-%m-%d"),
            "priority": a["priority"].astype(str),
            "owner": a["owner"].astype(str),
            "value_at_stake": pd.to_numeric(a["value_at_stake"], errors="coerce").round(2),
            "status": OPEN_STATUS,
            "rule_id": a["rule_id"],
            "type": a["type"].astype(str),
            "value_basis": a["value_basis"].fillna("").astype(str),
            "evidence": a["evidence"].fillna("").astype(str),
            "facts": a["facts"].fillna("").astype(str) if "facts" in a.columns else "",
            "rank": a["order"].astype("int64"),
            "as_of": as_of,
        }
    )
    currency = formatting.currency_of(b)
    out["description"] = [_description(row, currency) for _, row in out.iterrows()] if len(out) else []
    for i, (_, n) in enumerate(occurrences):
        if n > 1:
            closed = occurrence_id(out.at[i, "account_id"], out.at[i, "rule_id"], n - 1)
            out.at[i, "description"] = (
                f"The condition holds again: task {closed} for it was marked done in the CRM, so this is a new "
                f"task (occurrence {n}).\n" + out.at[i, "description"]
            )
    out["description"] = out["description"].astype(str)
    return out[EXPORT_COLUMNS + MORE_COLUMNS]


def _subject(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 1].rstrip() + "…"


# ---- the mapping ----------------------------------------------------------------------------


@dataclass
class CrmMapping:
    """How kamtools' action columns are named and valued in a CRM (see the module docs).

    ``columns``: CRM column -> kamtools column, in output order; ``values``: CRM column ->
    {kamtools value: CRM value}; ``fixed``: CRM column -> the value written on every row.
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    source: str = "(default)"

    @classmethod
    def default(cls) -> CrmMapping:
        """kamtools' own column names (:data:`EXPORT_COLUMNS`), values unchanged."""
        return cls(columns={c: c for c in EXPORT_COLUMNS})

    def crm_column(self, kamtools_column: str) -> str | None:
        """The CRM column that holds ``kamtools_column`` (the first one), or None."""
        for crm, ours in self.columns.items():
            if ours == kamtools_column:
                return crm
        return None


_KNOWN = EXPORT_COLUMNS + MORE_COLUMNS
_MAPPING_KEYS = ("columns", "values", "fixed")


def load_crm_mapping(mapping: str | os.PathLike | Mapping | CrmMapping | None) -> CrmMapping:
    """Read and check a CRM mapping (YAML file, dict, or :class:`CrmMapping`; None: the default).

    Raises :class:`CrmMappingError` naming the file and the entry: a missing or unreadable
    file, YAML that is not a mapping, unknown top-level keys, a kamtools column that does
    not exist (with the closest name), a ``values`` or ``fixed`` entry that is not a table of
    text, or a CRM column named twice.
    """
    if mapping is None:
        return CrmMapping.default()
    if isinstance(mapping, CrmMapping):
        return mapping
    raw, where = _raw_mapping(mapping)
    if not isinstance(raw, dict) or not raw:
        raise CrmMappingError(
            f"{where} must be a YAML mapping with a 'columns' section (CRM column: kamtools column); "
            f"see kamtools/templates/crm/salesforce_task.yml for an example"
        )
    unknown = [str(k) for k in raw if k not in _MAPPING_KEYS]
    if unknown:
        raise CrmMappingError(
            f"{where}: unknown section(s) {', '.join(repr(u) for u in unknown)}; "
            f"the sections are {', '.join(_MAPPING_KEYS)}"
        )
    cols = _mapped_columns(raw.get("columns"), where)
    values = _mapped_values(raw.get("values") or {}, cols, where)
    fixed = _fixed_values(raw.get("fixed") or {}, cols, where)
    return CrmMapping(cols, values, fixed, source=str(mapping) if not isinstance(mapping, Mapping) else "(dict)")


def _raw_mapping(mapping: str | os.PathLike | Mapping) -> tuple[object, str]:
    """The mapping as parsed (a dict as given, else the YAML file read) and how messages name it."""
    if isinstance(mapping, Mapping):
        return dict(mapping), "the mapping"
    import yaml

    path = Path(mapping)
    where = f"the mapping file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CrmMappingError(f"{where} does not exist; check the path given to --mapping") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CrmMappingError(f"cannot read {where}: {reason}") from exc
    try:
        return yaml.safe_load(text), where
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise CrmMappingError(f"{where} is not valid YAML{at}: {problem}") from exc


def _mapped_columns(columns: object, where: str) -> dict[str, str]:
    """The ``columns`` section checked: CRM column -> an existing kamtools action column."""
    if not isinstance(columns, dict) or not columns:
        raise CrmMappingError(
            f"{where}: 'columns' must list CRM column: kamtools column pairs, e.g. 'Subject: subject'; "
            f"kamtools columns are {', '.join(_KNOWN)}"
        )
    cols: dict[str, str] = {}
    for crm, ours in columns.items():
        crm_name = str(crm).strip()
        ours_name = str(ours).strip() if isinstance(ours, str) else None
        if not crm_name:
            raise CrmMappingError(f"{where}: columns: an empty CRM column name")
        if ours_name not in _KNOWN:
            import difflib

            near = difflib.get_close_matches(str(ours), _KNOWN, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise CrmMappingError(
                f"{where}: columns: {crm_name}: {ours!r} is not a kamtools action column{hint}; "
                f"choose one of {', '.join(_KNOWN)}"
            )
        cols[crm_name] = ours_name
    return cols


def _mapped_values(values_raw: object, cols: dict[str, str], where: str) -> dict[str, dict[str, str]]:
    """The ``values`` section checked: per mapped CRM column, kamtools value -> CRM value."""
    if not isinstance(values_raw, dict):
        raise CrmMappingError(f"{where}: 'values' must map a CRM column to {{kamtools value: CRM value}}")
    values: dict[str, dict[str, str]] = {}
    for crm, table in values_raw.items():
        if str(crm) not in cols:
            raise CrmMappingError(
                f"{where}: values: {crm!r} is not a CRM column listed under 'columns' ({', '.join(cols)})"
            )
        if not isinstance(table, dict) or not table:
            raise CrmMappingError(f"{where}: values: {crm}: give kamtools value: CRM value pairs, e.g. 'high: High'")
        values[str(crm)] = {str(k): _text(v) for k, v in table.items()}
    return values


def _fixed_values(fixed_raw: object, cols: dict[str, str], where: str) -> dict[str, str]:
    """The ``fixed`` section checked: CRM columns (not also mapped) with one value for every row."""
    if not isinstance(fixed_raw, dict):
        raise CrmMappingError(f"{where}: 'fixed' must map a CRM column to the value written on every row")
    fixed: dict[str, str] = {}
    for crm, value in fixed_raw.items():
        if str(crm) in cols:
            raise CrmMappingError(f"{where}: fixed: {crm!r} is also under 'columns'; keep it in one of them")
        if isinstance(value, (dict, list)):
            raise CrmMappingError(f"{where}: fixed: {crm}: the value must be a single text or number")
        fixed[str(crm)] = _text(value)
    return fixed


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def apply_mapping(frame: pd.DataFrame, mapping: CrmMapping) -> pd.DataFrame:
    """``frame`` (from :func:`actions_frame`) with the mapping's CRM columns, values and fixed values."""
    out = pd.DataFrame(index=frame.index)
    for crm, ours in mapping.columns.items():
        col = frame[ours]
        table = mapping.values.get(crm)
        if table:
            col = col.map(lambda v, t=table: t.get(_text(v), v) if pd.notna(v) else v)
        out[crm] = col
    for crm, value in mapping.fixed.items():
        out[crm] = value
    return out.reset_index(drop=True)


# ---- reading a CRM task export --------------------------------------------------------------


def _read_raw(path: Path):
    from kamtools.data.readers import CSV_EXTS, EXCEL_EXTS, read_csv, read_excel

    name = path.name.lower()
    if name.endswith(EXCEL_EXTS):
        from kamtools.extras import require

        require("excel", "reading an Excel task export")
        return read_excel("tasks", path, None, origin=str(path))
    if name.endswith(CSV_EXTS):
        return read_csv("tasks", path, origin=str(path))
    raise TaskFileError(f"{path}: a CRM task export must be a CSV (.csv, .tsv, .txt) or Excel (.xlsx) file")


def _rows_text(label: str, rows: list) -> str:
    shown = ", ".join(str(r) for r in rows[:8]) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
    return f"{label}{'s' if len(rows) != 1 else ''} {shown}"


def read_tasks(
    path: str | os.PathLike, mapping: str | os.PathLike | Mapping | CrmMapping | None = None
) -> pd.DataFrame:
    """A CRM task export, its columns renamed to kamtools' action columns.

    ``mapping`` is the same file as for ``kamtools export-actions --mapping`` (None: the
    file uses kamtools' own column names); its ``values`` are applied in reverse (``Completed``
    -> ``done``) and its ``fixed`` columns are ignored. The export needs a status column and
    the action id: an ``action_id`` column, or else the ``kamtools action KA-...`` line that
    kamtools writes into each task's description.

    Returns one row per kamtools action found: ``action_id``, the other mapped kamtools
    columns present in the file, ``done`` (True when the status is one of
    :data:`DONE_STATUSES`, any case) and ``row`` (the file's line or row number). Tasks
    without a kamtools action id (made by hand in the CRM) are left out and counted in
    ``frame.attrs["skipped_rows"]``. An action listed twice counts as done when any of its
    rows is done.

    Raises :class:`TaskFileError` naming the file, the column and the rows (a missing file,
    an unreadable one, no status or action id column, empty statuses) and
    :class:`CrmMappingError` for a bad mapping.
    """
    crm = load_crm_mapping(mapping)
    p = Path(path)
    raw = _task_file(p)
    frame = raw.frame
    present = [str(c) for c in frame.columns]
    rename = _task_renames(crm, present)
    status_src = next((c for c, o in rename.items() if o == "status"), None)
    if status_src is None:
        expected = crm.crm_column("status") or "status"
        raise TaskFileError(
            f"{p}: no column {expected!r} with the task status; the file has the columns "
            f"{', '.join(present[:20]) or '(none)'}"
            + ("" if mapping is not None else "; give --mapping with the CRM's column names")
        )
    id_src = next((c for c, o in rename.items() if o == "action_id"), None)
    desc_src = next((c for c, o in rename.items() if o == "description"), None)
    if id_src is None and desc_src is None:
        raise TaskFileError(
            f"{p}: no column with the kamtools action id: map a column to action_id, or keep the task "
            f"description that kamtools wrote (it holds 'kamtools action KA-...'); the file has the columns "
            f"{', '.join(present[:20]) or '(none)'}"
        )
    out = _renamed_tasks(frame, rename, crm)
    out["action_id"] = _found_ids(out, desc_src is not None)
    out["row"] = out.index.astype("int64")
    keep = out["action_id"].notna()
    skipped = int((~keep).sum())
    out = _with_done(out[keep], f"{p}, column {status_src!r}", raw.row_label)
    cols = ["action_id"] + [c for c in _KNOWN if c in out.columns and c != "action_id"] + ["done", "row"]
    result = out[cols].reset_index(drop=True)
    result.attrs["skipped_rows"] = skipped
    result.attrs["source"] = str(p)
    return result


def _task_file(p: Path):
    """The task export read (:func:`_read_raw`); a missing file, a folder or a read error is a
    :class:`TaskFileError` naming the path."""
    if not p.is_file():
        if p.is_dir():
            raise TaskFileError(f"{p} is a folder; give the CRM task export file (CSV or Excel)")
        raise TaskFileError(f"{p}: the CRM task export does not exist; check the path")
    raw = _read_raw(p)
    errors = [pr for pr in raw.problems if pr.level == "error"]
    if errors:
        first = errors[0]
        hint = f" {first.hint}" if first.hint else ""
        raise TaskFileError(f"{p}: {first.message}{hint}")
    return raw


def _task_renames(crm: CrmMapping, present: list[str]) -> dict[str, str]:
    """File column -> kamtools column: the mapping's CRM columns, and kamtools' own names where
    the mapping does not rename them."""
    rename: dict[str, str] = {}
    for crm_col, ours in crm.columns.items():
        if crm_col in present and ours not in rename.values():
            rename[crm_col] = ours
    for ours in _KNOWN:
        if ours in present and ours not in rename.values() and ours not in rename:
            rename[ours] = ours
    return rename


def _renamed_tasks(frame: pd.DataFrame, rename: dict[str, str], crm: CrmMapping) -> pd.DataFrame:
    """The file's mapped columns under kamtools' names, with the mapping's values read back in reverse."""
    out = pd.DataFrame({ours: frame[src] for src, ours in rename.items()}, index=frame.index)
    reverse = {
        rename[crm_col]: {crm_value: ours_value for ours_value, crm_value in table.items()}
        for crm_col, table in crm.values.items()
        if crm_col in rename
    }
    for ours, table in reverse.items():
        out[ours] = out[ours].map(lambda v, t=table: t.get(_text(v).strip(), v) if pd.notna(v) else v)
    return out


def _found_ids(out: pd.DataFrame, has_description: bool) -> list[str | None]:
    """Per task, the kamtools action id in its action_id column, else in its description, else None."""

    def found_id(row_id: object, desc: object) -> str | None:
        for value in (row_id, desc):
            if isinstance(value, str):
                m = ACTION_ID_PATTERN.search(value)
                if m:
                    return m.group(0)
        return None

    return [
        found_id(
            out["action_id"].get(i) if "action_id" in out else None,
            out["description"].get(i) if has_description else None,
        )
        for i in out.index
    ]


def _with_done(out: pd.DataFrame, where: str, label: str) -> pd.DataFrame:
    """The tasks with a trimmed ``status`` and a ``done`` flag, one row per action id (done when
    any of its rows is); an empty status is a :class:`TaskFileError` naming ``where`` and the rows."""
    status = out["status"].map(lambda v: _text(v).strip() if pd.notna(v) else "")
    empty = out.loc[status == "", "row"].tolist()
    if empty:
        raise TaskFileError(
            f"{where}: the status is empty on {_rows_text(label, empty)}; "
            "fill it in (e.g. Completed or Not Started) or remove those tasks from the export"
        )
    out["status"] = status
    out["done"] = status.str.lower().isin(DONE_STATUSES)
    if out["action_id"].duplicated().any():
        any_done = out.groupby("action_id")["done"].transform("any")
        out["done"] = any_done
        out = out.sort_values(["action_id", "done", "row"], kind="stable").drop_duplicates("action_id", keep="first")
        out = out.sort_values("row", kind="stable")
    return out
