"""Writing plan actions and account scores to files a CRM imports (CSV or JSON).

:func:`export_actions` writes every plan action (see :mod:`kamtools.review.actions`),
:func:`export_scores` one row of scores per account. Both follow kamtools' output rules
(:mod:`kamtools.outputs`): the file is written under a temporary name and renamed into
place, so a failed or killed run leaves the previous file as it was; and an existing file
is replaced only when it is an earlier export of the same kind (:func:`check_export_file`),
never a file kamtools did not write.

CSV cells that hold text beginning with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) get a leading apostrophe, so a spreadsheet opening the file shows the text instead
of running it as a formula (CSV formula injection; account names, owners and notes come
from CRM and ERP data). Numbers are written as numbers. JSON is written as it is.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kamtools import formatting
from kamtools.review.actions import (
    ACTION_ID_PATTERN,
    CrmMapping,
    actions_frame,
    apply_mapping,
    load_crm_mapping,
)

__all__ = [
    "FORMATS",
    "SCORE_COLUMNS",
    "SCORE_SOURCES",
    "ExportResult",
    "check_export_file",
    "export_actions",
    "export_scores",
    "neutralise",
    "scores_frame",
]

FORMATS = ("csv", "json")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
RECOGNISE_BYTES = 64 * 1024 * 1024  # an existing file larger than this is not read to recognise it

SCORE_COLUMNS: dict[str, str] = {
    "account_id": "account_id",
    "account_name": "name",
    "owner": "owner",
    "tier": "tier",
    "health_score": "health_score",
    "health_band": "health_band",
    "churn_probability": "churn_probability",
    "churn_band": "risk_band",
    "revenue_at_risk": "revenue_at_risk",
    "revenue_next_12m": "forecast_next_12m",
}
"""Export column -> column of the bundle's ``accounts`` summary table (``as_of`` comes last,
from the manifest)."""
SCORE_SOURCES: dict[str, str] = {
    "tier": "segments",
    "health_score": "health",
    "health_band": "health",
    "churn_probability": "churn",
    "churn_band": "churn",
    "revenue_at_risk": "churn",
    "revenue_next_12m": "forecast_summary",
}
"""Export column -> the bundle table whose analysis fills it (its skip reason says why the column is empty)."""


class ExportError(ValueError):
    """An export cannot be written where asked; the message names the path and what to do."""


@dataclass
class ExportResult:
    """What an export wrote: the file, its row count and columns, and notes for the user."""

    path: Path
    rows: int
    columns: list[str]
    replaced: bool
    notes: list[str]


# ---- formula injection -----------------------------------------------------------------------


def neutralise(value: object) -> object:
    """``value`` made inert for a spreadsheet: text starting with = + - @ (after any leading
    spaces) or a tab/carriage return gets a leading apostrophe; anything else is unchanged."""
    if isinstance(value, str) and value and (value[0] in FORMULA_START or value.lstrip(" ").startswith(FORMULA_START)):
        return "'" + value
    return value


def _csv_text(frame: pd.DataFrame) -> str:
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise)
    buf = io.StringIO()
    safe.to_csv(buf, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue()


def _json_text(frame: pd.DataFrame) -> str:
    records = json.loads(frame.to_json(orient="records", force_ascii=False, double_precision=10))
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


# ---- which existing files may be replaced ------------------------------------------------------


def _existing_header(path: Path, fmt: str) -> tuple[list[str] | None, list[dict] | list[list[str]] | None]:
    """(header, rows) of an existing export-like file, or (None, None) when it is not one."""
    try:
        if path.stat().st_size > RECOGNISE_BYTES:
            return None, None
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None, None
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError:
            return None, None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            return None, None
        return (list(data[0]) if data else []), data
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return None, None
    if not rows:
        return None, None
    return rows[0], rows[1:]


def _holds_action_ids(rows) -> bool:
    """True when every data row holds a kamtools action id (an earlier actions export)."""
    if not rows:
        return False
    for r in rows:
        cells = r.values() if isinstance(r, dict) else r
        if not any(isinstance(c, str) and ACTION_ID_PATTERN.search(c) for c in cells):
            return False
    return True


def check_export_file(
    path: str | os.PathLike,
    header: list[str],
    fmt: str,
    kind: str,
    *,
    reading: str | os.PathLike | None = None,
    flag: str = "--out",
) -> bool:
    """Raise :class:`ExportError` unless kamtools may write a ``kind`` export (``actions`` or
    ``scores``) at ``path``; returns True when an earlier export will be replaced.

    Allowed: a new path (its folder is created), an empty file, or an earlier export of the
    same kind -- a file whose header (CSV first line, keys of the first JSON record) is
    exactly ``header``, or for actions a file where every row holds a kamtools action id
    (an export made with another mapping). Refused: a folder, a file of anything else, a
    path inside the bundle being read.
    """
    given = Path(path).expanduser()
    if reading is not None:
        bundle = Path(reading).expanduser().resolve()
        full = given.resolve()
        if bundle == full or bundle in full.parents:
            raise ExportError(
                f"{given} is inside the analysis bundle {reading}, which `kamtools analyze` replaces as a whole; "
                f"choose a file outside it for {flag}"
            )
    if given.is_dir():
        raise ExportError(f"{given} is a folder; give a file name for {flag}, for example {given / f'{kind}.{fmt}'}")
    if given.is_symlink() and not given.exists():
        raise ExportError(f"{given} is a link to something that does not exist; remove it or choose another {flag}")
    if not given.exists():
        return False
    if not given.is_file():
        raise ExportError(f"{given} is not a regular file; choose another path for {flag}")
    try:
        if given.stat().st_size == 0:
            return True
    except OSError as exc:
        raise ExportError(f"cannot read {given} ({exc.strerror}); choose another path for {flag}") from exc
    found, rows = _existing_header(given, fmt)
    if fmt == "json" and found == [] and rows == []:
        return True  # an export with no rows: an empty JSON list
    if found is not None and ([h.strip() for h in found] == header or (kind == "actions" and _holds_action_ids(rows))):
        return True
    raise ExportError(
        f"{given} already exists and is not an earlier kamtools {kind} export in {fmt.upper()} "
        f"(its first line is not this export's header); kamtools only replaces its own exports, "
        f"so choose another file for {flag} or move that file away"
    )


def _write(path: Path, text: str, flag: str) -> None:
    from kamtools.outputs import remove_stale, write_atomic, write_failure

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path.parent, path.name)  # temporaries of killed runs
        write_atomic(path, text)
    except OSError as exc:
        raise ExportError(write_failure(path, exc, flag=flag) + "; the previous file (if any) is unchanged") from exc


def _check_format(fmt: str) -> str:
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose csv or json")
    return fmt


def _open(bundle):
    from kamtools.bundle import Bundle

    return bundle if isinstance(bundle, Bundle) else Bundle.open(bundle)


# ---- actions --------------------------------------------------------------------------------


def export_actions(
    bundle,
    out: str | os.PathLike,
    fmt: str = "csv",
    mapping: str | os.PathLike | dict | CrmMapping | None = None,
    tasks: str | os.PathLike | pd.DataFrame | None = None,
    tasks_mapping: str | os.PathLike | dict | CrmMapping | None = None,
) -> ExportResult:
    """Write every plan action of ``bundle`` to ``out`` (CSV or JSON), renamed by ``mapping``.

    Without a mapping the columns are :data:`kamtools.review.actions.EXPORT_COLUMNS`. The
    mapping is checked and the output path is checked before anything is written
    (:class:`kamtools.review.actions.CrmMappingError`, :class:`ExportError`).

    ``tasks``: the CRM's task export (a file read with
    :func:`kamtools.review.actions.read_tasks` and ``tasks_mapping``, by default ``mapping``; or
    its frame). An action whose task the CRM has closed is never written as open under that id:
    while its rule still fires it becomes a new task with the next occurrence's id (see
    :func:`kamtools.review.actions.actions_frame`); the result's notes count them.
    """
    from kamtools.review.actions import read_tasks

    fmt = _check_format(fmt)
    crm = load_crm_mapping(mapping)
    b = _open(bundle)
    header = list(crm.columns) + list(crm.fixed)
    out = Path(out)
    replaced = check_export_file(out, header, fmt, "actions", reading=b.path)
    task_frame = None
    if tasks is not None:
        task_frame = tasks if isinstance(tasks, pd.DataFrame) else read_tasks(tasks, tasks_mapping or crm)
    frame = actions_frame(b, tasks=task_frame)
    notes = []
    if task_frame is not None:
        again = frame["description"].str.startswith("The condition holds again:")
        closed = int(task_frame["done"].astype(bool).sum())
        notes.append(
            f"{closed} task(s) are done in the CRM task export; {int(again.sum())} of them hold again in this "
            "analysis and are written as new open tasks with their own id (the closed tasks are left as they are)"
        )
    frame = apply_mapping(frame, crm)
    text = _csv_text(frame) if fmt == "csv" else _json_text(frame)
    _write(out, text, "--out")
    return ExportResult(out, len(frame), header, replaced, notes)


# ---- scores ---------------------------------------------------------------------------------


def scores_frame(bundle) -> tuple[pd.DataFrame, list[str]]:
    """One row per account: :data:`SCORE_COLUMNS` read from the bundle's ``accounts`` table,
    then ``as_of``; returns (frame, notes). A column the bundle lacks (its analysis was
    skipped) is left empty and named in the notes with the reason the bundle gives."""
    b = _open(bundle)
    acc = b.accounts.drop_duplicates("account_id").reset_index(drop=True)
    out = pd.DataFrame(index=acc.index)
    notes: list[str] = []
    empty: list[str] = []
    skipped = b.manifest.get("skipped", {})
    for ours, theirs in SCORE_COLUMNS.items():
        if theirs in acc.columns:
            out[ours] = acc[theirs]
        else:
            out[ours] = pd.Series([None] * len(acc), dtype=object)
            empty.append(f"{ours} (no column {theirs!r})")
    if empty:
        # the reason of the analysis behind each empty column, once each (the first three skipped tables of the
        # bundle, whatever they were, stood here: a 13-month bundle's empty health columns were explained by the
        # churn backtest's reason three times over)
        sources = dict.fromkeys(SCORE_SOURCES.get(e.split(" ", 1)[0], "") for e in empty)
        why = "; ".join(f"{t}: {skipped[t]}" for t in sources if t in skipped)
        notes.append(
            f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty: the bundle's accounts table lacks "
            f"{'that column' if len(empty) == 1 else 'those columns'} (its analysis was not run or was skipped"
            + (f"; skipped in this bundle: {why})" if why else ")")
        )
    for col in ("churn_probability",):
        out[col] = pd.to_numeric(out[col], errors="coerce").round(4)
    for col in ("health_score",):
        out[col] = pd.to_numeric(out[col], errors="coerce").round(1)
    for col in ("revenue_at_risk", "revenue_next_12m"):
        out[col] = pd.to_numeric(out[col], errors="coerce").round(2)
    # a tier column with gaps (group parents have no tier) is float: the CRM field reads '1', not '1.0'
    out["tier"] = out["tier"].map(lambda v: None if pd.isna(v) else formatting.code(v))
    out["as_of"] = str(b.as_of.date())
    return out.reset_index(drop=True), notes


def export_scores(bundle, out: str | os.PathLike, fmt: str = "csv") -> ExportResult:
    """Write the account scores of ``bundle`` (:func:`scores_frame`) to ``out`` (CSV or JSON)."""
    fmt = _check_format(fmt)
    b = _open(bundle)
    header = [*SCORE_COLUMNS, "as_of"]
    out = Path(out)
    replaced = check_export_file(out, header, fmt, "scores", reading=b.path)
    frame, notes = scores_frame(b)
    text = _csv_text(frame) if fmt == "csv" else _json_text(frame)
    _write(out, text, "--out")
    return ExportResult(out, len(frame), header, replaced, notes)
