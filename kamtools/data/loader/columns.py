"""Which export column feeds which canonical column: clashes, repeated, missing and extra columns."""

from __future__ import annotations

from kamtools.data.loader.state import Findings
from kamtools.data.mapping import TableMapping, closest, resolve_columns
from kamtools.data.model import TABLES, Column
from kamtools.data.readers import EXCEL_EXTS, RawTable
from kamtools.data.validation import Problem


def resolve_table_columns(name: str, raw: RawTable, tmap: TableMapping, findings: Findings) -> dict[str, list[str]]:
    """Export column -> canonical columns it feeds; reports clashes, missing, extra and absent columns."""
    all_cols = raw.all_columns if raw.all_columns is not None else list(raw.frame.columns)
    rename, extra, clashes = resolve_columns(name, all_cols, tmap)
    for col, raws in clashes.items():
        findings.problems.append(_clash(name, col, raws, raw.origin))
        for r in raws[1:]:
            rename[r] = [t for t in rename[r] if t != col]
    present = {t for ts in rename.values() for t in ts}
    for col in TABLES[name].columns:
        if col.name in present or not col.required:
            continue
        findings.problems.append(_missing_column(name, col, tmap, extra, raw.origin))
    shown_extra = [e for e in extra if not e.startswith("Unnamed: ")]
    if shown_extra:
        findings.warnings.append(_extra_columns(name, shown_extra, raw.origin))
    absent_optional = [
        c.name for c in TABLES[name].columns if not c.required and c.name not in present and not c.derived
    ]
    if absent_optional:
        findings.warnings.append(_optional_columns_absent(name, absent_optional, raw.origin))
    return rename


def _clash(name: str, col: str, raws: list[str], origin: str) -> Problem:
    return Problem(
        name,
        col,
        f"several columns could be {col}: {', '.join(repr(r) for r in raws)}.",
        hint=f"Keep one of them in the export, or say in the mapping which one is {col}: "
        f"{name}: {{columns: {{'{raws[0]}': {col}}}}}.",
        origin=origin,
        kind="duplicate_column",
    )


def _missing_column(name: str, col: Column, tmap: TableMapping, extra: list[str], origin: str) -> Problem:
    mapped_from = [k for k, ts in tmap.columns.items() if col.name in ts]
    guess = closest(col.name, extra, cutoff=0.4)
    if mapped_from:
        msg = (
            f"required column {col.name} is missing: the mapping takes it from "
            f"'{mapped_from[0]}', but the file has no such column."
        )
    else:
        msg = f"required column {col.name} is missing ({col.meaning.rstrip('.').lower()})."
    if guess:
        hint = (
            f"The file has a column '{guess}': if that is {col.name}, add it to the mapping: "
            f"{name}: {{columns: {{'{guess}': {col.name}}}}}."
        )
    else:
        hint = (
            f"Add a {col.name} column (e.g. {col.example}), or map your column to it in the mapping: "
            f"{name}: {{columns: {{'Your column': {col.name}}}}}."
        )
    if extra and not guess:
        hint += f" Columns in the file that are not used: {', '.join(repr(e) for e in extra[:8])}."
    return Problem(name, col.name, msg, hint=hint, origin=origin, kind="missing_column")


def _extra_columns(name: str, shown_extra: list[str], origin: str) -> Problem:
    return Problem(
        name,
        None,
        f"{len(shown_extra)} column{'s' if len(shown_extra) != 1 else ''} not used: "
        + ", ".join(repr(e) for e in shown_extra[:10])
        + (" ..." if len(shown_extra) > 10 else "")
        + ".",
        hint="Map them in the mapping file if they hold a kamtools column.",
        origin=origin,
        kind="extra_columns",
        level="warning",
    )


def _optional_columns_absent(name: str, absent_optional: list[str], origin: str) -> Problem:
    return Problem(
        name,
        None,
        f"optional column{'s' if len(absent_optional) != 1 else ''} not supplied (left empty): "
        + ", ".join(absent_optional)
        + ".",
        origin=origin,
        kind="optional_column_absent",
        level="warning",
    )


def repeated_names(name: str, raw: RawTable, tmap: TableMapping, findings: Findings) -> set[str]:
    """Report column names that occur more than once in the header; returns the canonical
    columns they would feed (those are not loaded). The frame keeps one column per name."""
    written = raw.header if raw.header is not None else raw.all_columns
    if written is None:
        written = [str(c) for c in raw.frame.columns]
    positions: dict[str, list[int]] = {}
    for i, col in enumerate(written, start=1):
        text = str(col).strip()
        if text and not text.startswith("Unnamed: "):
            positions.setdefault(text, []).append(i)
    repeated = {n: pos for n, pos in positions.items() if len(pos) > 1}
    if not repeated:
        return set()
    _keep_one_per_name(raw, set(positions))
    excel = raw.origin.lower().endswith(EXCEL_EXTS) or ", sheet " in raw.origin
    fed: set[str] = set()
    for col, pos in repeated.items():
        targets = resolve_columns(name, [col], tmap)[0].get(col, [])
        places = ", ".join(_column_place(i, excel) for i in pos[:-1]) + f" and {_column_place(pos[-1], excel)}"
        fed.update(targets)
        findings.add([_repeated_problem(name, col, len(pos), places, targets, raw.origin)])
    return fed


def _keep_one_per_name(raw: RawTable, as_written: set[str]) -> None:
    """Drop the copies pandas renamed ('x.1') or kept under the same label."""
    frame = raw.frame
    if raw.header is not None:
        frame = frame[[c for c in frame.columns if str(c) in as_written]]
    raw.frame = frame.loc[:, ~frame.columns.duplicated()]
    if raw.all_columns is not None:
        raw.all_columns = list(dict.fromkeys(raw.all_columns))


def _column_place(i: int, excel: bool) -> str:
    """Column number as the user finds it: '3', or '3 (C)' in a workbook."""
    if not excel:
        return str(i)
    from openpyxl.utils import get_column_letter  # an Excel source: the excel extra is installed

    return f"{i} ({get_column_letter(i)})"


def _repeated_problem(name: str, col: str, times: int, places: str, targets: list[str], origin: str) -> Problem:
    if not targets:
        return Problem(
            name,
            None,
            f"the column name '{col}' occurs {times} times in the header (columns {places}); kamtools does not use it.",
            hint="Nothing to fix for kamtools; rename the copies to keep the export tidy.",
            origin=origin,
            kind="duplicate_column_name",
            level="warning",
        )
    return Problem(
        name,
        targets[0],
        f"the column name '{col}' occurs {times} times in the header (columns {places}); kamtools "
        f"cannot tell which one holds {' and '.join(targets)}, so it uses neither.",
        hint=f"Delete the extra column(s) from the export, or rename them so that one column is named "
        f"'{col}' (a renamed copy that holds data can be mapped: {name}: {{columns: {{'Your name': "
        f"{targets[0]}}}}}).",
        origin=origin,
        kind="duplicate_column_name",
    )
