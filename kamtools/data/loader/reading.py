"""Phase 1: find and read every table of the source (raw text, no conversion yet)."""

from __future__ import annotations

from kamtools.data.loader.state import Findings, ReadTables
from kamtools.data.mapping import Mapping, TableMapping, closest, resolve_columns
from kamtools.data.model import TABLES
from kamtools.data.readers import Source
from kamtools.data.validation import Problem

SECTION_NEEDS = {
    "opportunities": "pipeline, win/loss and competitor bid analyses",
    "complaints": "complaint analysis",
    "invoices": "receivables and payment analysis",
    "contacts": "stakeholder coverage",
    "interactions": "relationship (last contact) analysis",
    "targets": "target attainment",
    "competitor_prices": "competitor price monitoring",
}


def read_tables(src: Source, mapping: Mapping, findings: Findings) -> ReadTables:
    """Read every table the source holds; report absent tables and files that no table uses."""
    out = ReadTables()
    used = set()
    missing_required = []
    for name, spec in TABLES.items():
        tmap = mapping.for_table(name)
        located, probs = src.locate(name, tmap)
        findings.problems.extend(probs)
        if located is None:
            if probs:
                out.failed.add(name)
            elif spec.required:
                missing_required.append(name)
            else:
                findings.warnings.append(_optional_absent(name))
            continue
        used.add(located)
        _read_one(src, name, located, tmap, out, findings)
    unused = src.unused(used)
    for name in missing_required:
        findings.problems.append(_required_absent(src, name, unused))
    if unused and not missing_required:
        findings.warnings.append(_unused_files(unused))
    return out


def _read_one(src: Source, name: str, located: object, tmap: TableMapping, out: ReadTables, findings: Findings) -> None:
    """Read one located table, keeping only the columns the mapping can use."""

    def select(names: list[str]) -> list[str]:
        rename, _, _ = resolve_columns(name, names, tmap)
        return [n for n in names if n in rename]

    raw = src.read(name, located, tmap, select)
    findings.problems.extend(raw.problems)
    findings.warnings.extend(raw.warnings)
    out.meta[name] = (raw.origin, raw.row_label)
    if raw.frame.shape[1] == 0 and raw.problems:
        out.failed.add(name)
        return
    out.raw[name] = raw


def _optional_absent(name: str) -> Problem:
    return Problem(
        name,
        None,
        f"optional table not supplied: the {SECTION_NEEDS.get(name, 'related analyses')} will be skipped.",
        kind="table_absent",
        level="warning",
    )


def _required_absent(src: Source, name: str, unused: list[str]) -> Problem:
    absent = src.missing(name)  # a database or workbook says what it holds instead
    if absent is not None:
        return Problem(name, None, absent[0], hint=absent[1], kind="missing_table")
    hint = f"Put a file named {name}.csv (or .parquet / .xlsx) in the source"
    if unused:
        guess = closest(name, unused, cutoff=0.3) or unused[0]
        hint += (
            f", or tell the mapping which file holds it, e.g. {name}: {{file: {guess}}}. "
            f"Files not used: {', '.join(unused[:8])}"
        )
    return Problem(
        name,
        None,
        f"required table {name} is missing (expected: {TABLES[name].meaning.rstrip('.')}).",
        hint=hint + ".",
        kind="missing_table",
    )


def _unused_files(unused: list[str]) -> Problem:
    return Problem(
        "source",
        None,
        f"not used (no table of that name): {', '.join(unused[:10])}"
        + (f" and {len(unused) - 10} more" if len(unused) > 10 else "")
        + ".",
        hint="If one of them holds a kamtools table, name it in the mapping (e.g. orders: {file: ...}).",
        kind="unused_file",
        level="warning",
    )
