"""Reading raw tables from a folder (CSV, Parquet, Excel), one workbook, or a database.

A reader returns the export exactly as written (CSV and Excel as text/objects, Parquet
and SQL with their own types) with the index set to the row numbers a user sees:

* CSV: the file line number (header = line 1 unless title lines sit above it), blank
  lines, skipped lines and values spanning several lines (quoted newlines) accounted for;
* Excel: the worksheet row number;
* Parquet / SQL: the 1-based row position; a folder of Parquet or CSV parts counts its
  rows across the parts in name order (part-2 before part-10).

Title lines above the header (``Sales report Q3`` and a blank line, as Excel and many
ERP exports write them) are skipped: the header is the first of the top rows that holds
the expected column names, or the row the mapping names with ``header_row``; a warning
says what was skipped. A trailing totals row (``Total`` with sums) is left out with a
warning. File-level trouble (binary garbage named .csv, NUL bytes, corrupt Parquet, lines
with too many fields, a workbook that will not open, a folder or a broken link where a
file should be) comes back as problems naming the file and lines, never as exceptions;
text encodings other than UTF-8 are read correctly and reported as warnings.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamtools.data.mapping import TableMapping, closest, normalize_name
from kamtools.data.validation import Problem, count, fmt_value, verb
from kamtools.extras import import_optional, require

CSV_EXTS = (".csv", ".csv.gz", ".tsv", ".txt")
PARQUET_EXTS = (".parquet", ".pq")
EXCEL_EXTS = (".xlsx", ".xlsm")
SUPPORTED_EXTS = CSV_EXTS + PARQUET_EXTS + EXCEL_EXTS
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
MIXED_ENCODING = "kamtools-utf8-cp1252"
"""UTF-8 where the bytes are UTF-8, Windows-1252 (else Latin-1) where they are not: for files
that mix both (a UTF-8 export with lines pasted from an old system)."""


def _legacy_bytes(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as Windows-1252 (Latin-1 for its gaps)."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    chunk = err.object[err.start : err.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in chunk), err.end


def _find_mixed_codec(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != MIXED_ENCODING:
        return None
    utf8 = codecs.lookup("utf-8")

    class Decoder(codecs.BufferedIncrementalDecoder):
        def _buffer_decode(self, data, errors, final):  # type: ignore[no-untyped-def]
            return codecs.utf_8_decode(data, "kamtools-legacy-bytes", final)

    return codecs.CodecInfo(
        name=MIXED_ENCODING,
        encode=utf8.encode,
        decode=lambda data, errors="strict": codecs.utf_8_decode(data, "kamtools-legacy-bytes", True),
        incrementalencoder=utf8.incrementalencoder,
        incrementaldecoder=Decoder,
        streamreader=utf8.streamreader,
        streamwriter=utf8.streamwriter,
    )


codecs.register_error("kamtools-legacy-bytes", _legacy_bytes)
codecs.register(_find_mixed_codec)


def _legacy_lines(path: Path, compression: str | None) -> list[int]:
    """The lines that are not UTF-8 when other lines hold UTF-8 text beyond ASCII (a mixed file); else []."""
    opener = gzip.open if compression == "gzip" else open
    legacy: list[int] = []
    utf8 = False
    with opener(path, "rb") as fh:
        for i, line in enumerate(fh, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8 = True
            except UnicodeDecodeError:
                legacy.append(i)
    return legacy if utf8 else []


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


def _problem(table: str, origin: str, message: str, hint: str, kind: str, level: str = "error", **kw) -> Problem:
    return Problem(table=table, column=None, message=message, hint=hint, origin=origin, kind=kind, level=level, **kw)


def _unreadable(table: str, origin: str, message: str, hint: str, row_label: str = "row") -> RawTable:
    """An empty table that carries one 'unreadable' problem (the file or table could not be read)."""
    return RawTable(
        table, origin, pd.DataFrame(), row_label, problems=[_problem(table, origin, message, hint, "unreadable")]
    )


def _natural_key(path: Path) -> list:
    """Sort key that puts part-2 before part-10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def _listing(names: list[str], limit: int = 15) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ---- sources ---------------------------------------------------------------------------------


class Source:
    """Where the tables come from. ``locate`` finds a table, ``read`` reads it."""

    description: str

    def locate(self, table: str, tmap: TableMapping) -> tuple[object | None, list[Problem]]:
        raise NotImplementedError

    def read(self, table: str, located: object, tmap: TableMapping, select: Select) -> RawTable:
        raise NotImplementedError

    def unused(self, used: set) -> list[str]:
        """Data files/tables in the source that no canonical table took."""
        return []

    def candidates(self) -> list[str]:
        """Names of everything readable in the source (for 'did you mean' hints)."""
        return []

    def missing(self, table: str) -> tuple[str, str] | None:
        """(message, hint) for a required table that is not in the source, or None for the generic one."""
        return None


def open_source(source: str | Path) -> Source:
    """A folder, a single .xlsx workbook (one sheet per table), or a SQLAlchemy URL.

    Raises :class:`SourceNotFoundError` when it does not exist.
    """
    text = str(source)
    if "://" in text:
        return SqlSource(text)
    path = Path(source)
    if path.is_dir():
        return FolderSource(path)
    if path.is_file() and path.name.lower().endswith(EXCEL_EXTS):
        return WorkbookSource(path)
    if path.is_file():
        raise SourceNotFoundError(
            f"{path} is a file; give the folder that holds one file per table "
            "(accounts.csv, products.csv, orders.csv, ...), an .xlsx workbook with one sheet per table, "
            "or a database URL such as sqlite:///path/to/file.db"
        )
    if path.is_symlink():
        raise SourceNotFoundError(f"source not found: {path} is a broken link to {os.readlink(path)}")
    raise SourceNotFoundError(f"source not found: {path}")


def find_parts(folder: Path) -> Parts | str:
    """The Parquet or CSV parts of a part folder, or why it is not one.

    Parts are the data files anywhere below ``folder`` (Hive-style ``year=2024/``
    subfolders included); names starting with '.' or '_' (``_SUCCESS``, ``.crc`` files)
    are ignored, as Spark and pyarrow write them.
    """
    try:
        files = [
            p
            for p in folder.rglob("*")
            if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
        ]
    except OSError as exc:
        return f"cannot be listed ({exc})"
    parquet = sorted((p for p in files if p.name.lower().endswith(PARQUET_EXTS)), key=_natural_key)
    texts = sorted((p for p in files if p.name.lower().endswith(CSV_EXTS)), key=_natural_key)
    name = folder.name.lower()
    if parquet and (not texts or name.endswith(PARQUET_EXTS)):
        return Parts(folder, "parquet", tuple(parquet))
    if texts and (not parquet or name.endswith(CSV_EXTS)):
        return Parts(folder, "csv", tuple(texts))
    if parquet and texts:
        return f"holds both Parquet and CSV files ({parquet[0].name}, {texts[0].name})"
    return "holds no .parquet or .csv parts" + (f" (it holds {files[0].name})" if files else " (it is empty)")


class FolderSource(Source):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = str(folder)
        entries = sorted(folder.iterdir())
        self.files = {p.name.lower(): p for p in entries if p.is_file()}
        self.dirs = {p.name.lower(): p for p in entries if p.is_dir()}
        self.broken = {p.name.lower(): p for p in entries if p.is_symlink() and not p.exists()}

    def candidates(self) -> list[str]:
        return [p.name for p in self.files.values() if p.name.lower().endswith(SUPPORTED_EXTS)]

    def _not_a_file(self, table: str, path: Path, why: str) -> Problem:
        return _problem(
            table,
            path.name,
            f"{path.name} is a folder, not a file: it {why}.",
            f"Put the {table} export there as a file ({table}.csv, .parquet or .xlsx), or its parts in a folder "
            f"{table}/ as {table}/part-0.parquet, {table}/part-1.parquet, ...",
            "not_a_file",
        )

    def _broken(self, table: str, path: Path) -> Problem:
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return _problem(
            table,
            path.name,
            f"{path.name} is a broken link to '{target}': nothing is there.",
            "Point the link at the exported file, or put the file itself in the folder.",
            "broken_link",
        )

    def locate(self, table: str, tmap: TableMapping) -> tuple[Path | Parts | None, list[Problem]]:
        if tmap.file:
            return self._locate_mapped(table, tmap.file)
        names = {table + ext for ext in SUPPORTED_EXTS}
        found: list[Path | Parts] = [p for name, p in self.files.items() if name in names]
        trouble: list[Problem] = []
        for name, d in self.dirs.items():
            if name != table and name not in names:
                continue
            parts = find_parts(d)
            if isinstance(parts, Parts):
                found.append(parts)
            elif name != table:  # a folder named like a file; a plain folder 'orders' may hold anything
                trouble.append(self._not_a_file(table, d, parts))
        for name, link in self.broken.items():
            if name == table or name in names:
                trouble.append(self._broken(table, link))
        if len(found) > 1:
            names_found = ", ".join(_shown(p) for p in found)
            return None, [
                _problem(
                    table,
                    names_found,
                    f"several files could hold table {table}: {names_found}.",
                    f"Keep one of them, or name the file in the mapping: {table}: {{file: {_shown(found[0])}}}.",
                    "ambiguous_file",
                )
            ]
        if found:
            return found[0], []
        if trouble:
            return None, trouble
        other = [
            p for name, p in self.files.items() if name.split(".")[0] == table and not name.endswith(SUPPORTED_EXTS)
        ]
        if other:
            p = other[0]
            hint = "Save it as .csv, .parquet or .xlsx."
            if p.name.lower().endswith(".xls"):
                hint = "Open it in Excel and save it as .xlsx (the old .xls format is not read)."
            return None, [
                _problem(table, p.name, f"{p.name} is not a supported file type for table {table}.", hint, "bad_format")
            ]
        return None, []

    def _locate_mapped(self, table: str, file: str) -> tuple[Path | Parts | None, list[Problem]]:
        norm = os.path.normpath(file)
        if os.path.isabs(file) or norm == os.pardir or norm.startswith(os.pardir + os.sep):
            return None, [
                _problem(
                    table,
                    "mapping",
                    f"the mapping names the file '{file}' for table {table}, which is outside the source folder "
                    f"{self.folder}; a mapping may only name files inside it.",
                    f"Copy the file into {self.folder} (or a subfolder of it) and name it relative to the folder, "
                    f"e.g. {table}: {{file: {Path(file).name}}}.",
                    "outside_source",
                )
            ]
        path = self.folder / norm
        if path.is_dir():
            parts = find_parts(path)
            if isinstance(parts, Parts):
                return parts, []
            return None, [self._not_a_file(table, path, parts)]
        if path.is_symlink() and not path.exists():
            return None, [self._broken(table, path)]
        if not path.is_file():
            hit = self.files.get(Path(file).name.lower())
            if hit is not None:
                return hit, []
            default = [p.name for n, p in self.files.items() if n in {table + ext for ext in SUPPORTED_EXTS}]
            guess = default[0] if default else closest(Path(file).name, self.candidates())
            return None, [
                _problem(
                    table,
                    file,
                    f"the mapping names the file '{file}' for table {table}, but it is not in {self.folder}.",
                    (f"Did you mean '{guess}'? " if guess else "") + "Correct the file name in the mapping.",
                    "missing_file",
                )
            ]
        return path, []

    def read(self, table: str, located: Path | Parts, tmap: TableMapping, select: Select) -> RawTable:
        if isinstance(located, Parts):
            return read_parts(table, located, tmap, select)
        name = located.name.lower()
        if name.endswith(PARQUET_EXTS):
            raw = read_parquet(table, located, select)
            if tmap.header_row is not None:
                raw.warnings.append(_header_row_ignored(table, raw.origin))
        elif name.endswith(EXCEL_EXTS):
            raw = read_excel(table, located, tmap.sheet, select=select, header_row=tmap.header_row)
        else:
            raw = read_csv(table, located, select=select, header_row=tmap.header_row)
        raw.warnings.extend(self._outside_link(table, located, raw.origin))
        return raw

    def _outside_link(self, table: str, path: Path, origin: str) -> list[Problem]:
        """A note when the file is a link that leads out of the source folder (read all the same)."""
        if not path.is_symlink():
            return []
        try:
            target = path.resolve()
            inside = target.is_relative_to(self.folder.resolve())
        except OSError:
            return []
        if inside:
            return []
        return [
            _problem(
                table,
                origin,
                f"{path.name} is a link to {target}, outside the source folder; it was read from there.",
                "",
                "link_outside",
                level="warning",
            )
        ]

    def unused(self, used: set) -> list[str]:
        return [p.name for p in self.files.values() if p not in used and p.name.lower().endswith(SUPPORTED_EXTS)]


def _shown(located: Path | Parts) -> str:
    return located.folder.name + "/" if isinstance(located, Parts) else located.name


def _header_row_ignored(table: str, origin: str) -> Problem:
    return _problem(
        table,
        origin,
        "header_row in the mapping was ignored: it applies to CSV and Excel files, and this file stores its "
        "column names itself.",
        f"Remove header_row from the mapping of {table}.",
        "header_row_ignored",
        level="warning",
    )


class WorkbookSource(Source):
    """One .xlsx workbook with a worksheet per table (sheet names match table names)."""

    def __init__(self, path: Path) -> None:
        openpyxl = import_optional("openpyxl", "excel", "reading an Excel workbook")

        self.path = path
        self.description = str(path)
        try:
            wb = openpyxl.load_workbook(path, read_only=True)
            self.sheets = list(wb.sheetnames)
            wb.close()
        except Exception as exc:  # noqa: BLE001 - any openpyxl failure means an unreadable workbook
            raise SourceNotFoundError(f"{path} could not be opened as an Excel workbook: {exc}") from exc

    def candidates(self) -> list[str]:
        return list(self.sheets)

    def locate(self, table: str, tmap: TableMapping) -> tuple[str | None, list[Problem]]:
        wanted = tmap.sheet if isinstance(tmap.sheet, str) else table
        for s in self.sheets:
            if s == wanted or normalize_name(s) == normalize_name(wanted):
                return s, []
        if tmap.sheet is not None:
            guess = closest(str(wanted), self.sheets)
            return None, [
                _problem(
                    table,
                    self.path.name,
                    f"the mapping names the sheet '{wanted}' for table {table}, but the workbook has no such sheet.",
                    (f"Did you mean '{guess}'? " if guess else "") + f"Sheets: {', '.join(self.sheets)}.",
                    "missing_file",
                )
            ]
        return None, []

    def read(self, table: str, located: str, tmap: TableMapping, select: Select) -> RawTable:
        return read_excel(
            table,
            self.path,
            located,
            origin=f"{self.path.name}, sheet {located}",
            select=select,
            header_row=tmap.header_row,
        )

    def missing(self, table: str) -> tuple[str, str]:
        guess = closest(table, self.sheets, cutoff=0.6) or "NAME"
        return (
            f"required table {table} not found: the workbook {self.path.name} has no sheet named {table} "
            f"(sheets there: {_listing(self.sheets)}).",
            f"Add a sheet named {table}, or name the sheet that holds it in the mapping: {table}: {{sheet: {guess}}}.",
        )

    def unused(self, used: set) -> list[str]:
        return [f"sheet {s}" for s in self.sheets if s not in used]


class SqlSource(Source):
    """A SQLAlchemy database URL; tables (and views) named after the canonical tables (any case)."""

    def __init__(self, url: str) -> None:
        sa = import_optional("sqlalchemy", "sql", "reading from a database URL")

        self.url = url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = Path(url[len("sqlite:///") :])
            if not path.is_file():
                raise SourceNotFoundError(f"SQLite database not found: {path}")
        try:
            self.engine = sa.create_engine(url)
            insp = sa.inspect(self.engine)
            tables = insp.get_table_names()
            self.views = [v for v in insp.get_view_names() if v not in tables]
            self.tables = tables + self.views
        except Exception as exc:  # noqa: BLE001 - driver/connection errors vary by backend
            raise SourceNotFoundError(f"could not open the database {self._safe_url()}: {exc}") from exc
        self.description = self._safe_url()

    def _safe_url(self) -> str:
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.url)

    def _kind(self, name: str) -> str:
        return "view" if name in self.views else "table"

    def candidates(self) -> list[str]:
        return list(self.tables)

    def locate(self, table: str, tmap: TableMapping) -> tuple[str | None, list[Problem]]:
        wanted = tmap.table or tmap.file or table
        for t in self.tables:
            if t == wanted or t.lower() == wanted.lower():
                return t, []
        if tmap.table or tmap.file:
            guess = closest(wanted, self.tables)
            return None, [
                _problem(
                    table,
                    wanted,
                    f"the mapping names the database table '{wanted}' for table {table}, but the database has no "
                    f"such table or view (tables and views there: {_listing(self.tables) or 'none'}).",
                    (f"Did you mean '{guess}'? " if guess else "") + "Correct the table name in the mapping.",
                    "missing_file",
                )
            ]
        return None, []

    def missing(self, table: str) -> tuple[str, str]:
        there = _listing(self.tables) if self.tables else "none"
        guess = closest(table, self.tables, cutoff=0.6) or "NAME"
        return (
            f"required table {table} not found in the database (tables and views there: {there}).",
            f"Create a table or view named {table}, or name the one that holds it in the mapping: "
            f"{table}: {{table: {guess}}}.",
        )

    def read(self, table: str, located: str, tmap: TableMapping, select: Select) -> RawTable:
        import sqlalchemy as sa

        origin = f"database {self._kind(located)} {located}"
        try:
            insp = sa.inspect(self.engine)
            names = [c["name"] for c in insp.get_columns(located)]
            cols = select(names) or names[:1]
            query = sa.select(*[sa.column(c) for c in cols]).select_from(sa.table(located))
            with self.engine.connect() as conn:
                frame = pd.read_sql(query, conn)
        except Exception as exc:  # noqa: BLE001 - database errors vary by backend
            return _unreadable(table, origin, f"could not be read: {exc}", "Check the table in the database.")
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        raw = RawTable(table, origin, frame, "row", all_columns=names)
        if tmap.header_row is not None:
            raw.warnings.append(_header_row_ignored(table, origin))
        return raw

    def unused(self, used: set) -> list[str]:
        return [f"database {self._kind(t)} {t}" for t in self.tables if t not in used]


# ---- file readers ------------------------------------------------------------------------------


def _arrow_frame(tbl) -> pd.DataFrame:
    """An Arrow table as a DataFrame, dates as datetime64, rows numbered from 1."""
    import pyarrow as pa

    # date32/date64 would arrive as Python objects; cast to timestamps in Arrow (vectorised);
    # microseconds, so that placeholders such as 9999-12-31 reach the date checks instead of overflowing
    for i, fld in enumerate(tbl.schema):
        if pa.types.is_date(fld.type):
            tbl = tbl.set_column(i, fld.name, tbl.column(i).cast(pa.timestamp("us")))
    frame = tbl.to_pandas(ignore_metadata=True, split_blocks=True, self_destruct=True)
    del tbl
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def read_parquet(table: str, path: Path, select: Select) -> RawTable:
    """Only the selected columns are read; date columns come back as datetime64."""
    import pyarrow.parquet as pq

    origin = path.name
    try:
        pf = pq.ParquetFile(path)
        names = [n for n in pf.schema_arrow.names if not n.startswith("__index_level_")]
        cols = select(names) or names[:1]
        tbl = pf.read(columns=cols)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for corrupt files
        return _unreadable(
            table,
            origin,
            f"{origin} is not a readable Parquet file ({type(exc).__name__}: {exc}).",
            "Export the table again; the file is damaged or is not Parquet despite its name.",
        )
    return RawTable(table, origin, _arrow_frame(tbl), "row", all_columns=names)


def read_parts(table: str, parts: Parts, tmap: TableMapping, select: Select) -> RawTable:
    """A folder of parts as one table: Parquet through a pyarrow dataset, CSV part by part."""
    if parts.kind == "parquet":
        import pyarrow.dataset as ds

        try:
            dataset = ds.dataset(
                [str(p) for p in parts.files],
                format="parquet",
                partitioning="hive",
                partition_base_dir=str(parts.folder),
            )
            names = [n for n in dataset.schema.names if not n.startswith("__index_level_")]
            cols = select(names) or names[:1]
            tbl = dataset.to_table(columns=cols)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged or mismatched parts
            return _unreadable(
                table,
                parts.origin,
                f"the Parquet parts in {parts.folder.name}/ could not be read as one table "
                f"({type(exc).__name__}: {str(exc)[:300]}).",
                "Every part must be a Parquet file with the same columns and column types: export the parts again.",
            )
        raw = RawTable(table, parts.origin, _arrow_frame(tbl), "row", all_columns=names)
        if tmap.header_row is not None:
            raw.warnings.append(_header_row_ignored(table, raw.origin))
        return raw
    raws = [
        read_csv(
            table,
            p,
            select=select,
            header_row=tmap.header_row,
            origin=f"{parts.folder.name}/{p.relative_to(parts.folder).as_posix()}",
        )
        for p in parts.files
    ]
    if len(raws) == 1:
        return raws[0]  # one part: its own line numbers
    out = RawTable(table, parts.origin, pd.DataFrame(), "row")
    frames = []
    columns = None
    for raw in raws:
        out.problems.extend(raw.problems)
        out.warnings.extend(raw.warnings)
        if raw.frame.shape[1] == 0:
            continue
        if columns is None:
            columns = list(raw.frame.columns)
        elif list(raw.frame.columns) != columns:
            added = [c for c in raw.frame.columns if c not in columns]
            lacking = [c for c in columns if c not in raw.frame.columns]
            detail = "; ".join(
                x
                for x in (
                    f"extra: {', '.join(map(repr, added[:5]))}" if added else "",
                    f"lacking: {', '.join(map(repr, lacking[:5]))}" if lacking else "",
                    "same names in another order" if not added and not lacking else "",
                )
                if x
            )
            out.problems.append(
                _problem(
                    table,
                    raw.origin,
                    f"{raw.origin} has other columns than the first part {raws[0].origin} ({detail}); it was not read.",
                    "Export every part with the same header.",
                    "part_columns",
                )
            )
            continue
        frames.append(raw.frame)
    if frames:
        frame = pd.concat(frames, ignore_index=True)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        out.frame = frame
    return out


def _header_names(cells: list) -> list[str]:
    """Header cells as column names; empty cells 'Unnamed: i'; repeats 'x.1', 'x.2' as pandas names them."""
    names = []
    for i, c in enumerate(cells):
        if c is None or (not isinstance(c, str) and pd.isna(c)):
            names.append(f"Unnamed: {i}")
        elif isinstance(c, float) and c.is_integer():
            names.append(str(int(c)))
        else:
            names.append(str(c).replace("\ufeff", "").strip())
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        while k > 0:
            seen[n] = k + 1
            n = f"{n}.{k}"
            k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n)
    return out


def _score(select: Select | None, cells: list[str]) -> int:
    """How many of the cells are expected column names of the table (after the mapping)."""
    names = [c for c in cells if c]
    if select is None or not names:
        return 0
    return len(select(names))


def _pick(candidates: list[tuple[int, int, int]]) -> int:
    """Choose the header among ``(score, line, key)`` of the top non-blank rows; returns the key.

    The first row is the header unless a later one holds at least two expected column
    names and more of them than the first row does (title rows above the header).
    """
    first_line = min(c[1] for c in candidates)
    first = max((c for c in candidates if c[1] == first_line), key=lambda c: c[0])
    best = max(candidates, key=lambda c: (c[0], -c[1]))
    if best[0] >= 2 and best[0] > first[0] and best[1] > first_line:
        return best[2]
    return first[2]


def _title_warning(table: str, origin: str, label: str, header: int, titles: list[str], mapped: bool) -> Problem:
    shown = "; ".join(repr(t[:60]) for t in titles[:2]) + (" ..." if len(titles) > 2 else "")
    n = header - 1
    return _problem(
        table,
        origin,
        f"skipped {count(n, 'title ' + label)} above the header on {label} {header}"
        + (f" ({shown})" if shown else "")
        + (", as the mapping's header_row says." if mapped else "."),
        ""
        if mapped
        else f"Nothing to fix. To set the header {label} yourself, add it to the mapping: "
        f"{table}: {{header_row: {header}}}.",
        "title_rows",
        level="warning",
    )


def read_excel(
    table: str,
    path: Path,
    sheet: str | int | None,
    origin: str | None = None,
    select: Select | None = None,
    header_row: int | None = None,
) -> RawTable:
    """First (or named) worksheet; header detected (or ``header_row``); cells as Python objects.

    Text cells stay text ('NA', 'None', 'n/a'); only empty cells are missing.
    """
    origin = origin or path.name
    require("excel", f"reading the Excel file {path.name}")
    try:
        # text is text: 'NA' (North America, Namibia) and 'None' are values; only empty cells are missing
        grid = pd.read_excel(
            path,
            sheet_name=sheet if sheet is not None else 0,
            header=None,
            dtype=object,
            engine="openpyxl",
            keep_default_na=False,
            na_values=[""],
        )
    except Exception as exc:  # noqa: BLE001 - openpyxl/zipfile raise many types
        return _unreadable(
            table,
            origin,
            f"{origin} could not be read as an Excel workbook ({type(exc).__name__}: {exc}).",
            "Open it in Excel and save it again as .xlsx, or export the table as CSV.",
        )
    filled = grid.notna().any(axis=1).to_numpy() if len(grid) else np.zeros(0, dtype=bool)
    top = np.flatnonzero(filled)[:HEADER_SCAN]
    if header_row is not None:
        h = header_row - 1
        if h >= len(grid) or not filled[h]:
            what = f"has only {len(grid)} rows" if h >= len(grid) else f"has nothing in row {header_row}"
            return RawTable(
                table,
                origin,
                pd.DataFrame(),
                "row",
                problems=[
                    _problem(
                        table,
                        origin,
                        f"the mapping says the header of {table} is in row {header_row}, but {origin} {what}.",
                        "Set header_row to the row number that holds the column names, as Excel shows it.",
                        "header_row",
                    )
                ],
            )
    elif len(top) == 0:
        return _unreadable(
            table, origin, f"{origin} is empty (no header row).", f"Export {table} again with a header row."
        )
    else:
        cells = {i: [str(v).strip() for v in grid.iloc[i].tolist() if pd.notna(v)] for i in top}
        h = _pick([(_score(select, cells[i]), int(i), int(i)) for i in top])
    frame = grid.iloc[h + 1 :].copy()
    frame.columns = _header_names(grid.iloc[h].tolist())
    header = None
    if _renamed_duplicates(frame.columns):
        header = ["" if pd.isna(c) else str(c).strip() for c in grid.iloc[h].tolist()]
    # header cells left empty: drop the column when it is empty too
    unnamed = [c for c in frame.columns if c.startswith("Unnamed: ") and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed)
    frame.index = pd.RangeIndex(h + 2, h + 2 + len(frame))
    raw = RawTable(table, origin, frame, "row", header=header)
    first = int(top[0]) if len(top) else h
    if h > first:
        titles = [" ".join(str(v) for v in grid.iloc[i].tolist() if pd.notna(v)) for i in range(h) if filled[i]]
        raw.warnings.append(_title_warning(table, origin, "row", h + 1, titles, header_row is not None))
    _drop_total_rows(raw)
    _drop_blank_rows(raw)
    return raw


def _renamed_duplicates(columns: object) -> bool:
    """True when pandas may have renamed a repeated header name ('net_revenue' -> 'net_revenue.1')."""
    names = {str(c) for c in columns}  # type: ignore[union-attr]
    return any(m is not None and m.group(1) in names for m in (re.fullmatch(r"(.*)\.\d+", n) for n in names))


def _head_bytes(path: Path, n: int = 65536) -> tuple[bytes, str | None, Problem | None]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(n)
    except OSError as exc:
        return (
            b"",
            None,
            _problem(
                "", path.name, f"{path.name} cannot be opened ({exc}).", "Check the file's permissions.", "unreadable"
            ),
        )
    compression = None
    if head[:2] == b"\x1f\x8b":
        compression = "gzip"
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(n)
        except (OSError, EOFError) as exc:
            return (
                b"",
                None,
                _problem(
                    "",
                    path.name,
                    f"{path.name} is a damaged gzip file ({exc}).",
                    "Compress the CSV again.",
                    "unreadable",
                ),
            )
    elif path.name.lower().endswith(".gz"):
        return (
            b"",
            None,
            _problem(
                "",
                path.name,
                f"{path.name} is named .gz but is not gzip-compressed.",
                "Rename it to .csv or compress it with gzip.",
                "unreadable",
            ),
        )
    return head, compression, None


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' for UTF-16 text without a byte order mark, else None."""
    half = len(sample) // 2
    if half < 8:
        return None
    even, odd = sample[0 : 2 * half : 2], sample[1 : 2 * half : 2]
    if odd.count(0) > 0.6 * half and even.count(0) < 0.1 * half:
        return "utf-16-le"
    if even.count(0) > 0.6 * half and odd.count(0) < 0.1 * half:
        return "utf-16-be"
    return None


def _decode_head(head: bytes, encoding: str) -> str:
    """The first bytes as text (for finding the header), tolerating a character cut at the end."""
    if encoding.startswith("utf-16"):
        return head[: len(head) // 2 * 2].decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = head[: exc.start].decode("utf-8") if exc.start >= len(head) - 3 else head.decode("cp1252", "replace")
    return text.lstrip("\ufeff")


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV header line: the most frequent of , ; TAB | outside quotes."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


@dataclass
class _Layout:
    """Where the header of a CSV file is and how its fields are separated."""

    sep: str
    skip: int  # records above the header (pandas skiprows)
    line: int  # line where the header starts
    end: int  # line where the header ends (later than ``line`` only with quoted newlines)
    titles: list[str]  # the non-blank lines above the header
    next_fields: int | None  # fields of the record after the header (None: no such record in the head)


def _records(text: str, sep: str) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of the first records of ``text``, up to HEADER_SCAN non-blank ones + 1."""
    out: list[tuple[int, int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    prev = 0
    nonblank = 0
    try:
        for fields in reader:
            out.append((prev + 1, reader.line_num, fields))
            prev = reader.line_num
            if any(f.strip() for f in fields):
                nonblank += 1
                if nonblank > HEADER_SCAN:
                    break
    except csv.Error:
        pass
    return out


def _find_header(
    text: str, select: Select | None, header_row: int | None, table: str, origin: str, whole: bool
) -> _Layout | Problem | None:
    """The header's place and delimiter; a Problem when ``header_row`` points nowhere; None for no text."""
    per = {d: _records(text, d) for d in DELIMITERS}
    sniffed = sniff_delimiter(text)
    order = {d: (d != sniffed, i) for i, d in enumerate(DELIMITERS)}  # sniffed delimiter first on ties
    options = []  # (score, line, (sep, index)) of the first non-blank records
    for d, recs in per.items():
        top = [(i, r) for i, r in enumerate(recs) if any(f.strip() for f in r[2])][:HEADER_SCAN]
        for i, (start, _, fields) in top:
            options.append((_score(select, [f.strip() for f in fields]), start, (d, i)))
    options.sort(key=lambda o: order[o[2][0]])
    if header_row is not None:
        at = [o for o in options if o[1] == header_row]
        if not at:
            last = max((r[1] for recs in per.values() for r in recs), default=0)
            if any(r[0] == header_row for recs in per.values() for r in recs):
                what = f"line {header_row} is empty"
            elif whole and header_row > last:
                what = f"{origin} has only {count(last, 'line')}"
            else:
                what = f"the header is looked for in the first {count(last, 'line')} only"
            return _problem(
                table,
                origin,
                f"the mapping says the header of {table} is on line {header_row}, but {what}.",
                "Set header_row to the line that holds the column names, counting from 1 as a text editor does.",
                "header_row",
            )
        sep, i = max(at, key=lambda o: o[0])[2]
    elif not options:
        return None
    else:
        sep, i = options[_pick([(score, line, k) for k, (score, line, _) in enumerate(options)])][2]
    recs = per[sep]
    start, end, _ = recs[i]
    titles = [sep.join(f for f in r[2] if f.strip()).strip() for r in recs[:i] if any(f.strip() for f in r[2])]
    next_fields = len(recs[i + 1][2]) if i + 1 < len(recs) else None
    return _Layout(sep, i, start, end, titles, next_fields)


def _scan_bytes(path: Path, compression: str | None) -> tuple[int, list[int]]:
    """(number of lines, the lines holding NUL bytes) of the whole file, read in chunks."""
    opener = gzip.open if compression == "gzip" else open
    newlines = 0
    last = b"\n"
    nul_lines: list[int] = []
    with opener(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            if b"\x00" in chunk:
                arr = np.frombuffer(chunk, dtype=np.uint8)
                nl = np.flatnonzero(arr == 10)
                zeros = np.flatnonzero(arr == 0)
                nul_lines.extend(np.unique(newlines + np.searchsorted(nl, zeros) + 1).tolist())
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    lines = newlines + (0 if last == b"\n" else 1)
    return lines, sorted(set(nul_lines))


def _record_lines(
    path: Path, encoding: str, compression: str | None, sep: str, skip: int, width: int
) -> tuple[list[int], list[tuple[int, int, int]]] | None:
    """The first line of every data record, and the (line, expected, found) of records with too many fields.

    Needed when values span lines (quoted newlines) or lines end in a bare CR; None when
    the file cannot be walked with Python's csv module.
    """
    opener = gzip.open if compression == "gzip" else open
    starts: list[int] = []
    bad: list[tuple[int, int, int]] = []
    try:
        with opener(path, "rt", encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=sep)
            prev = 0
            for i, fields in enumerate(reader):
                start, prev = prev + 1, reader.line_num
                if i <= skip:
                    continue
                if len(fields) > width:
                    bad.append((start, width, len(fields)))
                else:
                    starts.append(start)
    except (csv.Error, UnicodeDecodeError, OSError, EOFError):
        return None
    return starts, bad


def read_csv(
    table: str,
    path: Path,
    select: Select | None = None,
    header_row: int | None = None,
    origin: str | None = None,
) -> RawTable:
    """A delimited text file, every cell as text.

    Detects gzip, the delimiter (, ; TAB |), UTF-8 (with or without BOM), UTF-16 (with or
    without BOM) and falls back to cp1252 / latin-1 with a warning. The header is the first
    of the top lines that holds the table's column names (``select`` tells which names are
    expected), or line ``header_row``. Only empty cells are missing values. Lines holding
    NUL bytes are errors naming the lines.
    """
    origin = origin or path.name
    head, compression, prob = _head_bytes(path)
    if prob is not None:
        prob.table = table
        prob.origin = origin
        return RawTable(table, origin, pd.DataFrame(), "line", problems=[prob])
    encodings: tuple[str, ...] = ENCODINGS
    sample = head[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ("utf-16",)
    elif utf16 := _utf16_without_bom(sample):
        encodings = (utf16,)
    else:
        for magic, what in MAGIC.items():
            if head.startswith(magic):
                return RawTable(
                    table,
                    origin,
                    pd.DataFrame(),
                    "line",
                    problems=[
                        _problem(
                            table,
                            origin,
                            f"{origin} is not a CSV text file: it is {what}.",
                            "Give the file the right extension (.xlsx, .parquet) or export the table as CSV.",
                            "not_csv",
                        )
                    ],
                )
        # binary: many control characters, or nothing but NULs (NULs inside text are named by line below)
        if sample and (sum(0 < b < 9 or 13 < b < 32 for b in sample) > len(sample) * 0.05 or not sample.strip(b"\x00")):
            return RawTable(
                table,
                origin,
                pd.DataFrame(),
                "line",
                problems=[
                    _problem(
                        table,
                        origin,
                        f"{origin} is not a CSV text file (it holds binary data).",
                        "Export the table again as CSV (comma- or semicolon-separated text).",
                        "not_csv",
                    )
                ],
            )
    layout = _find_header(_decode_head(head, encodings[0]), select, header_row, table, origin, whole=len(head) < 65536)
    if isinstance(layout, Problem):
        return RawTable(table, origin, pd.DataFrame(), "line", problems=[layout])
    sep = layout.sep if layout is not None else ","
    skip = layout.skip if layout is not None else 0

    used_encoding = None
    frame = None
    bad_lines: list[tuple[int, int, int]] = []
    first_truncated = False
    candidates = list(encodings)
    legacy_lines: list[int] = []
    for enc in candidates:
        bad_lines = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                frame = pd.read_csv(
                    path,
                    sep=sep,
                    dtype=str,
                    keep_default_na=False,
                    na_values=[""],
                    skip_blank_lines=False,
                    skiprows=skip,
                    index_col=False,
                    encoding=enc,
                    compression=compression,
                    on_bad_lines="warn",
                    engine="c",
                )
            for w in caught:
                text = str(w.message)
                for m in re.finditer(r"line (\d+): expected (\d+) fields, saw (\d+)", text):
                    bad_lines.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
                first_truncated |= "Length of header or names does not match" in text
            used_encoding = enc
            break
        except UnicodeDecodeError:
            if enc == "utf-8-sig" and (legacy_lines := _legacy_lines(path, compression)):
                candidates.insert(1, MIXED_ENCODING)  # UTF-8 and Windows-1252 lines in one file
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError, EOFError) as exc:
            msg = str(exc).strip() or type(exc).__name__
            hint = "Export the table again as CSV with a header row."
            if isinstance(exc, pd.errors.EmptyDataError):
                msg = "the file is empty (no header row)"
                hint = f"Export {table} again with a header row naming the columns."
            return _unreadable(table, origin, f"{origin} could not be read as CSV: {msg}.", hint, "line")
    assert frame is not None and used_encoding is not None  # latin-1 decodes any byte sequence
    raw = RawTable(table, origin, frame, "line")
    if used_encoding == MIXED_ENCODING:
        raw.warnings.append(
            _problem(
                table,
                origin,
                f"{origin} mixes encodings: {count(len(legacy_lines), 'line')} {verb(len(legacy_lines), 'is', 'are')} "
                "Windows-1252, the others UTF-8; each line was read in its own encoding.",
                "Check the text on these lines; save exports as UTF-8 to be sure.",
                "encoding",
                level="warning",
                rows=legacy_lines[:5],
                n_rows=len(legacy_lines),
                row_label="line",
            )
        )
    elif used_encoding not in ("utf-8-sig",):
        raw.warnings.append(
            _problem(
                table,
                origin,
                f"{origin} is not UTF-8; it was read as {used_encoding}.",
                "Nothing to fix if the text looks right; save exports as UTF-8 to be sure.",
                "encoding",
                level="warning",
            )
        )
    if _renamed_duplicates(frame.columns):  # read the header row as written (same options as above)
        row1 = pd.read_csv(
            path,
            sep=sep,
            header=None,
            nrows=1,
            dtype=str,
            keep_default_na=False,
            skiprows=skip,
            encoding=used_encoding,
            compression=compression,
        ).iloc[0]
        raw.header = [str(c).replace("\ufeff", "").strip() for c in row1]
    frame.columns = [str(c).replace("\ufeff", "").replace("\x00", "").strip() for c in frame.columns]
    width = frame.shape[1]
    header_line, header_end = (layout.line, layout.end) if layout is not None else (1, 1)
    if first_truncated and len(frame):
        # the first data record had more fields than the header; pandas cut it to size: treat it like the others
        frame = frame.iloc[1:]
        bad_lines.insert(0, (skip + 2, width, layout.next_fields or width + 1))
    # line numbers: pandas counts records; a record is one line unless a quoted value spans lines
    offset = header_end - (skip + 1)
    bad_lines = [(r + offset, e, s) for r, e, s in bad_lines]
    n_lines, nul_lines = (None, []) if used_encoding.startswith("utf-16") else _scan_bytes(path, compression)
    lines = None
    if n_lines is None or n_lines != header_end + len(frame) + len(bad_lines):
        walked = _record_lines(path, used_encoding, compression, sep, skip, width)
        if walked is not None and len(walked[0]) == len(frame):
            lines = np.asarray(walked[0], dtype="int64")
            bad_lines = walked[1]
    if lines is None:
        skipped = sorted(b[0] for b in bad_lines)
        lines = np.arange(header_end + 1, header_end + 1 + len(frame) + len(skipped))
        lines = lines[~np.isin(lines, skipped)][: len(frame)]
    frame.index = pd.Index(lines)
    raw.frame = frame
    if bad_lines:
        expected = bad_lines[0][1]
        shown = bad_lines[:5]
        raw.problems.append(
            Problem(
                table=table,
                column=None,
                message=f"{count(len(bad_lines), 'line')} {verb(len(bad_lines), 'has', 'have')} more fields than the header ({expected}) and cannot be read.",
                hint=f"A value probably contains the delimiter '{_sep_name(sep)}': put such values in double quotes, "
                "or check that the header names every column.",
                rows=[b[0] for b in shown],
                values=[f"{b[2]} fields" for b in shown],
                n_rows=len(bad_lines),
                origin=origin,
                row_label="line",
                kind="bad_lines",
            )
        )
    if nul_lines:
        _report_nul(raw, nul_lines, header_line, header_end)
    if layout is not None and layout.titles:
        raw.warnings.append(_title_warning(table, origin, "line", header_line, layout.titles, header_row is not None))
    _drop_total_rows(raw)
    _drop_blank_rows(raw)
    return raw


def _report_nul(raw: RawTable, nul_lines: list[int], header_line: int, header_end: int) -> None:
    """Lines holding NUL bytes: one error naming them; the NULs are removed so that later checks see the text."""
    frame = raw.frame
    values = []
    for line in nul_lines[:5]:
        if header_line <= line <= header_end:
            values.append("(the header)")
        elif line in frame.index:
            row = frame.loc[line]
            hit = [(c, v) for c, v in row.items() if isinstance(v, str) and "\x00" in v]
            shown = fmt_value(hit[0][1]) if hit else ""
            shown = shown if len(shown) <= 60 else shown[:56] + "...'"
            values.append(f"{hit[0][0]} {shown}" if hit else "(NUL between values)")
        else:
            values.append("(line not read)")
    n = len(nul_lines)
    raw.problems.append(
        Problem(
            table=raw.name,
            column=None,
            message=f"{count(n, 'line')} {verb(n, 'holds', 'hold')} NUL bytes (binary zeros, shown as \\x00), "
            "which a text export never contains: the file is damaged.",
            hint=f"Export {raw.name} again. If these lines look right in a text editor, delete the invisible "
            "NUL characters in them.",
            rows=nul_lines[:5],
            values=values,
            n_rows=n,
            origin=raw.origin,
            row_label="line",
            kind="nul_bytes",
        )
    )
    hit = frame.index.isin(nul_lines)
    if hit.any():  # what is left once the NULs are gone; a cell of NULs only becomes empty
        cleaned = frame.loc[hit].apply(lambda s: s.str.replace("\x00", "", regex=False))
        frame.loc[hit] = cleaned.mask(cleaned == "")


def _sep_name(sep: str) -> str:
    return {"\t": "TAB"}.get(sep, sep)


def _drop_total_rows(raw: RawTable) -> None:
    """Leave out a totals row at the end of an export ('Total' with sums), with a warning."""
    frame = raw.frame
    if frame.empty or frame.shape[1] == 0:
        return
    filled = frame.notna().any(axis=1).to_numpy()
    drop: list[int] = []
    shown: list[str] = []
    for pos in np.flatnonzero(filled)[::-1][:3]:
        cells = [v for v in frame.iloc[pos].tolist() if v is not None and not (not isinstance(v, str) and pd.isna(v))]
        if not (isinstance(cells[0], str) and TOTAL_RE.fullmatch(cells[0])):
            break
        drop.append(int(pos))
        shown.append(" | ".join(str(v) for v in cells)[:80])
    if not drop:
        return
    where = frame.index[drop[::-1]]
    raw.frame = frame.drop(index=where)
    n = len(drop)
    raw.warnings.append(
        Problem(
            table=raw.name,
            column=None,
            message=f"the last {raw.row_label if n == 1 else count(n, raw.row_label)} "
            f"{verb(n, 'is a totals row', 'are totals rows')} and {verb(n, 'was', 'were')} left out.",
            hint="Nothing to fix; kamtools adds up the rows itself. Export without totals to silence this.",
            rows=[int(i) for i in where],
            values=[repr(s) for s in shown[::-1]],
            n_rows=n,
            origin=raw.origin,
            row_label=raw.row_label,
            kind="total_row",
            level="warning",
        )
    )


def _drop_blank_rows(raw: RawTable) -> None:
    """Remove rows where every cell is empty; warn when they sat between data rows."""
    frame = raw.frame
    if frame.empty or frame.shape[1] == 0:
        return
    blank = frame.isna().all(axis=1).to_numpy()
    if not blank.any():
        return
    filled = np.flatnonzero(~blank)
    last = filled[-1] if len(filled) else -1
    inner = np.flatnonzero(blank[: last + 1])
    raw.frame = frame.loc[~blank]
    if len(inner):
        where = frame.index[inner]
        raw.warnings.append(
            Problem(
                table=raw.name,
                column=None,
                message=f"{count(len(inner), 'empty ' + raw.row_label)} {verb(len(inner), 'was', 'were')} skipped.",
                hint="",
                rows=[int(i) for i in where[:5]],
                values=[],
                n_rows=len(inner),
                origin=raw.origin,
                row_label=raw.row_label,
                kind="blank_lines",
                level="warning",
            )
        )
