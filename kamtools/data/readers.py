"""Reading raw tables from a folder (CSV, Parquet, Excel), one workbook, or a database.

A reader returns the export exactly as written (CSV and Excel as text/objects, Parquet
and SQL with their own types) with the index set to the row numbers a user sees:

* CSV: the file line number (header = line 1), blank lines and skipped lines accounted for;
* Excel: the worksheet row number (header = row 1);
* Parquet / SQL: the 1-based row position.

File-level trouble (binary garbage named .csv, corrupt Parquet, lines with too many
fields, a workbook that will not open) comes back as problems, never as exceptions;
text encodings other than UTF-8 are read correctly and reported as warnings.
"""

from __future__ import annotations

import gzip
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamtools.data.mapping import TableMapping, closest, normalize_name
from kamtools.data.validation import Problem, count, verb
from kamtools.extras import import_optional, require

CSV_EXTS = (".csv", ".csv.gz", ".tsv", ".txt")
PARQUET_EXTS = (".parquet", ".pq")
EXCEL_EXTS = (".xlsx", ".xlsm")
SUPPORTED_EXTS = CSV_EXTS + PARQUET_EXTS + EXCEL_EXTS
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")

MAGIC = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip archive",
    b"PAR1": "a Parquet file",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF document",
}


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


Select = Callable[[list[str]], list[str]]
"""Given the export's column names, the ones to read."""


def _problem(table: str, origin: str, message: str, hint: str, kind: str, level: str = "error", **kw) -> Problem:
    return Problem(table=table, column=None, message=message, hint=hint, origin=origin, kind=kind, level=level, **kw)


def _unreadable(table: str, origin: str, message: str, hint: str, row_label: str = "row") -> RawTable:
    """An empty table that carries one 'unreadable' problem (the file or table could not be read)."""
    return RawTable(
        table, origin, pd.DataFrame(), row_label, problems=[_problem(table, origin, message, hint, "unreadable")]
    )


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
    raise SourceNotFoundError(f"source not found: {path}")


class FolderSource(Source):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = str(folder)
        self.files = {p.name.lower(): p for p in sorted(folder.iterdir()) if p.is_file()}

    def candidates(self) -> list[str]:
        return [p.name for p in self.files.values() if p.name.lower().endswith(SUPPORTED_EXTS)]

    def locate(self, table: str, tmap: TableMapping) -> tuple[Path | None, list[Problem]]:
        if tmap.file:
            path = Path(tmap.file)
            if not path.is_absolute():
                path = self.folder / path
            if not path.is_file():
                hit = self.files.get(Path(tmap.file).name.lower())
                if hit is not None:
                    return hit, []
                default = [p.name for n, p in self.files.items() if n in {table + ext for ext in SUPPORTED_EXTS}]
                guess = default[0] if default else closest(Path(tmap.file).name, self.candidates())
                return None, [
                    _problem(
                        table,
                        tmap.file,
                        f"the mapping names the file '{tmap.file}' for table {table}, but it is not in {self.folder}.",
                        (f"Did you mean '{guess}'? " if guess else "") + "Correct the file name in the mapping.",
                        "missing_file",
                    )
                ]
            return path, []
        found = [p for name, p in self.files.items() if name in {table + ext for ext in SUPPORTED_EXTS}]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            return None, [
                _problem(
                    table,
                    names,
                    f"several files could hold table {table}: {names}.",
                    f"Keep one of them, or name the file in the mapping: {table}: {{file: {found[0].name}}}.",
                    "ambiguous_file",
                )
            ]
        if found:
            return found[0], []
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

    def read(self, table: str, located: Path, tmap: TableMapping, select: Select) -> RawTable:
        name = located.name.lower()
        if name.endswith(PARQUET_EXTS):
            return read_parquet(table, located, select)
        if name.endswith(EXCEL_EXTS):
            return read_excel(table, located, tmap.sheet)
        return read_csv(table, located)

    def unused(self, used: set) -> list[str]:
        return [p.name for p in self.files.values() if p not in used and p.name.lower().endswith(SUPPORTED_EXTS)]


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
        return read_excel(table, self.path, located, origin=f"{self.path.name}, sheet {located}")

    def unused(self, used: set) -> list[str]:
        return [f"sheet {s}" for s in self.sheets if s not in used]


class SqlSource(Source):
    """A SQLAlchemy database URL; tables named after the canonical tables (any case)."""

    def __init__(self, url: str) -> None:
        sa = import_optional("sqlalchemy", "sql", "reading from a database URL")

        self.url = url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = Path(url[len("sqlite:///") :])
            if not path.is_file():
                raise SourceNotFoundError(f"SQLite database not found: {path}")
        try:
            self.engine = sa.create_engine(url)
            self.tables = sa.inspect(self.engine).get_table_names()
        except Exception as exc:  # noqa: BLE001 - driver/connection errors vary by backend
            raise SourceNotFoundError(f"could not open the database {self._safe_url()}: {exc}") from exc
        self.description = self._safe_url()

    def _safe_url(self) -> str:
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.url)

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
                    f"the mapping names the database table '{wanted}' for table {table}, but the database has no such table.",
                    (f"Did you mean '{guess}'? " if guess else "") + "Correct the table name in the mapping.",
                    "missing_file",
                )
            ]
        return None, []

    def read(self, table: str, located: str, tmap: TableMapping, select: Select) -> RawTable:
        import sqlalchemy as sa

        origin = f"database table {located}"
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
        return RawTable(table, origin, frame, "row", all_columns=names)

    def unused(self, used: set) -> list[str]:
        return [f"database table {t}" for t in self.tables if t not in used]


# ---- file readers ------------------------------------------------------------------------------


def read_parquet(table: str, path: Path, select: Select) -> RawTable:
    """Only the selected columns are read; date columns come back as datetime64."""
    import pyarrow as pa
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
    # date32/date64 would arrive as Python objects; cast to timestamps in Arrow (vectorised);
    # microseconds, so that placeholders such as 9999-12-31 reach the date checks instead of overflowing
    for i, fld in enumerate(tbl.schema):
        if pa.types.is_date(fld.type):
            tbl = tbl.set_column(i, fld.name, tbl.column(i).cast(pa.timestamp("us")))
    frame = tbl.to_pandas(ignore_metadata=True, split_blocks=True, self_destruct=True)
    del tbl
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return RawTable(table, origin, frame, "row", all_columns=names)


def read_excel(table: str, path: Path, sheet: str | int | None, origin: str | None = None) -> RawTable:
    """First (or named) worksheet; header on row 1; cells as Python objects."""
    origin = origin or path.name
    require("excel", f"reading the Excel file {path.name}")
    try:
        # text is text: 'NA' (North America, Namibia) and 'None' are values; only empty cells are missing
        sheet_arg = sheet if sheet is not None else 0
        kw = dict(sheet_name=sheet_arg, dtype=object, engine="openpyxl", keep_default_na=False, na_values=[""])
        frame = pd.read_excel(path, **kw)
        header = None
        if _renamed_duplicates(frame.columns):
            first = pd.read_excel(path, **kw, header=None, nrows=1).iloc[0]
            header = ["" if pd.isna(c) else str(c).strip() for c in first]
    except Exception as exc:  # noqa: BLE001 - openpyxl/zipfile raise many types
        return _unreadable(
            table,
            origin,
            f"{origin} could not be read as an Excel workbook ({type(exc).__name__}: {exc}).",
            "Open it in Excel and save it again as .xlsx, or export the table as CSV.",
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    # header cells left empty: drop the column when it is empty too
    unnamed = [c for c in frame.columns if c.startswith("Unnamed: ") and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    raw = RawTable(table, origin, frame, "row", header=header)
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


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV header line: the most frequent of , ; TAB | outside quotes."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv(table: str, path: Path) -> RawTable:
    """A delimited text file, every cell as text.

    Detects gzip, the delimiter (, ; TAB |), UTF-8 (with or without BOM), UTF-16 and falls
    back to cp1252 / latin-1 with a warning. Only empty cells are missing values.
    """
    origin = path.name
    head, compression, prob = _head_bytes(path)
    if prob is not None:
        prob.table = table
        return RawTable(table, origin, pd.DataFrame(), "line", problems=[prob])
    encodings: tuple[str, ...] = ENCODINGS
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ("utf-16",)
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
        sample = head[:4096]
        if b"\x00" in sample or (sample and sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) * 0.05):
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
    head_text = head.decode(encodings[0] if encodings[0] != "utf-8-sig" else "utf-8", errors="replace")
    head_text = head_text.lstrip("\ufeff")
    sep = sniff_delimiter(head_text)
    lead_blank = 0
    for ln in head_text.splitlines():
        if ln.strip():
            break
        lead_blank += 1

    used_encoding = None
    frame = None
    bad_lines: list[tuple[int, int, int]] = []
    for enc in encodings:
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
                    skiprows=lead_blank,
                    encoding=enc,
                    compression=compression,
                    on_bad_lines="warn",
                    engine="c",
                )
            for w in caught:
                for m in re.finditer(r"line (\d+): expected (\d+) fields, saw (\d+)", str(w.message)):
                    bad_lines.append((int(m.group(1)) + lead_blank, int(m.group(2)), int(m.group(3))))
            used_encoding = enc
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError, EOFError) as exc:
            msg = str(exc).strip() or type(exc).__name__
            hint = "Export the table again as CSV with a header row."
            if isinstance(exc, pd.errors.EmptyDataError):
                msg = "the file is empty (no header row)"
                hint = f"Export {table} again with a header row naming the columns."
            return _unreadable(table, origin, f"{origin} could not be read as CSV: {msg}.", hint, "line")
    assert frame is not None  # latin-1 decodes any byte sequence
    raw = RawTable(table, origin, frame, "line")
    if used_encoding not in ("utf-8-sig",):
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
            skiprows=lead_blank,
            encoding=used_encoding,
            compression=compression,
        ).iloc[0]
        raw.header = [str(c).replace("\ufeff", "").strip() for c in row1]
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    # row numbers: header on line 1 + leading blank lines; skipped bad lines shift the rest
    first = 2 + lead_blank
    skipped = sorted(b[0] for b in bad_lines)
    if skipped:
        lines = np.arange(first, first + len(frame) + len(skipped))
        lines = lines[~np.isin(lines, skipped)][: len(frame)]
        frame.index = pd.Index(lines)
    else:
        frame.index = pd.RangeIndex(first, first + len(frame))
    if bad_lines:
        expected = bad_lines[0][1]
        sample = bad_lines[:5]
        raw.problems.append(
            Problem(
                table=table,
                column=None,
                message=f"{count(len(bad_lines), 'line')} {verb(len(bad_lines), 'has', 'have')} more fields than the header ({expected}) and cannot be read.",
                hint=f"A value probably contains the delimiter '{_sep_name(sep)}': put such values in double quotes, "
                "or check that the header names every column.",
                rows=[b[0] for b in sample],
                values=[f"{b[2]} fields" for b in sample],
                n_rows=len(bad_lines),
                origin=origin,
                row_label="line",
                kind="bad_lines",
            )
        )
    _drop_blank_rows(raw)
    return raw


def _sep_name(sep: str) -> str:
    return {"\t": "TAB"}.get(sep, sep)


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
