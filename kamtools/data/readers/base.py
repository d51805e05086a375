"""What every reader shares: file kinds, the raw table, parts, and problems about files."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kamtools.data.validation import Problem, count

CSV_EXTS = (".csv", ".csv.gz", ".tsv", ".txt")
PARQUET_EXTS = (".parquet", ".pq")
EXCEL_EXTS = (".xlsx", ".xlsm")
SUPPORTED_EXTS = CSV_EXTS + PARQUET_EXTS + EXCEL_EXTS
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
HEADER_SCAN = 20
"""How many non-blank rows at the top of a file are searched for the header."""

MAGIC = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip archive",
    b"PAR1": "a Parquet file",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF document",
}

TOTAL_RE = re.compile(
    r"\s*(grand\s*|sub\s*)?(total|totals|sum|summe|gesamt|gesamtsumme|totaal|totale|somme|suma|summa)\s*:?\s*",
    re.IGNORECASE,
)
"""A cell that labels a totals row ('Total', 'Grand total:', 'Summe')."""


class SourceNotFoundError(FileNotFoundError):
    """The folder, file or database given as source does not exist or cannot be opened."""


@dataclass
class RawTable:
    """One table as exported, before renaming and type conversion."""

    name: str
    origin: str
    frame: pd.DataFrame
    row_label: str
    problems: list[Problem] = field(default_factory=list)
    all_columns: list[str] | None = None  # every column of the export (Parquet/SQL read only some)
    warnings: list[Problem] = field(default_factory=list)
    # the header exactly as written, in file order, when pandas renamed repeated names ("x" -> "x.1")
    header: list[str] | None = None


@dataclass(frozen=True)
class Parts:
    """A folder holding one table as several files (``orders/part-0.parquet``, ...)."""

    folder: Path
    kind: str  # "parquet" or "csv"
    files: tuple[Path, ...]

    @property
    def origin(self) -> str:
        what = "Parquet" if self.kind == "parquet" else "CSV"
        return f"{self.folder.name}/ ({count(len(self.files), what + ' part')}, rows counted in name order)"


Select = Callable[[list[str]], list[str]]
"""Given the export's column names, the ones to read."""


def problem(table: str, origin: str, message: str, hint: str, kind: str, level: str = "error", **kw) -> Problem:
    return Problem(table=table, column=None, message=message, hint=hint, origin=origin, kind=kind, level=level, **kw)


def unreadable(table: str, origin: str, message: str, hint: str, row_label: str = "row") -> RawTable:
    """An empty table that carries one 'unreadable' problem (the file or table could not be read)."""
    return RawTable(
        table, origin, pd.DataFrame(), row_label, problems=[problem(table, origin, message, hint, "unreadable")]
    )


def natural_key(path: Path) -> list:
    """Sort key that puts part-2 before part-10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def listing(names: list[str], limit: int = 15) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def header_row_ignored(table: str, origin: str) -> Problem:
    return problem(
        table,
        origin,
        "header_row in the mapping was ignored: it applies to CSV and Excel files, and this file stores its "
        "column names itself.",
        f"Remove header_row from the mapping of {table}.",
        "header_row_ignored",
        level="warning",
    )
