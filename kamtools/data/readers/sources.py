"""Where the tables come from: a folder of files, one workbook, or a database."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from kamtools.data.mapping import TableMapping, closest, normalize_name
from kamtools.data.readers.base import (
    EXCEL_EXTS,
    PARQUET_EXTS,
    SUPPORTED_EXTS,
    Parts,
    RawTable,
    Select,
    SourceNotFoundError,
    header_row_ignored,
    listing,
    problem,
    unreadable,
)
from kamtools.data.readers.csvfile import read_csv
from kamtools.data.readers.excel import read_excel
from kamtools.data.readers.parquet import find_parts, read_parquet, read_parts
from kamtools.data.validation import Problem
from kamtools.extras import import_optional


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
        return problem(
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
        return problem(
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
                problem(
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
                problem(table, p.name, f"{p.name} is not a supported file type for table {table}.", hint, "bad_format")
            ]
        return None, []

    def _locate_mapped(self, table: str, file: str) -> tuple[Path | Parts | None, list[Problem]]:
        norm = os.path.normpath(file)
        if os.path.isabs(file) or norm == os.pardir or norm.startswith(os.pardir + os.sep):
            return None, [
                problem(
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
                problem(
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
                raw.warnings.append(header_row_ignored(table, raw.origin))
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
            problem(
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
                problem(
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
            f"(sheets there: {listing(self.sheets)}).",
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
                problem(
                    table,
                    wanted,
                    f"the mapping names the database table '{wanted}' for table {table}, but the database has no "
                    f"such table or view (tables and views there: {listing(self.tables) or 'none'}).",
                    (f"Did you mean '{guess}'? " if guess else "") + "Correct the table name in the mapping.",
                    "missing_file",
                )
            ]
        return None, []

    def missing(self, table: str) -> tuple[str, str]:
        there = listing(self.tables) if self.tables else "none"
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
            return unreadable(table, origin, f"could not be read: {exc}", "Check the table in the database.")
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        raw = RawTable(table, origin, frame, "row", all_columns=names)
        if tmap.header_row is not None:
            raw.warnings.append(header_row_ignored(table, origin))
        return raw

    def unused(self, used: set) -> list[str]:
        return [f"database {self._kind(t)} {t}" for t in self.tables if t not in used]
