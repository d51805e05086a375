"""Data-quality findings: :class:`Problem`, :class:`DataValidationError` and the report.

The loader (:mod:`kamtools.data.loader`) collects *every* problem in *every* table and
raises one :class:`DataValidationError` listing them all. Each problem names the table,
the file it came from, the column, a few offending row numbers with their values and
what to do about it, both as readable text (``str(problem)``) and as fields.

Row numbers are what the user sees in the file: for CSV the 1-based line number (the
header is line 1, so the first data row is line 2), for Excel the worksheet row number,
for Parquet and SQL tables the 1-based position of the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

MAX_EXAMPLES = 5
"""How many offending rows a problem shows."""


@dataclass
class Problem:
    """One data-quality finding.

    Attributes
    ----------
    table : canonical table name ("orders"), or "mapping" / "source" for problems that
        are not about one table.
    column : canonical column name, or None when the problem is about the whole table.
    message : what is wrong, in one sentence.
    hint : what to do about it.
    rows : up to :data:`MAX_EXAMPLES` row numbers (see ``row_label``) of offending rows.
    values : the offending values at those rows, as text (same length as ``rows``).
    n_rows : how many rows are affected in total (0 when not row-related).
    origin : where the table came from ("orders.csv", "SQL table orders").
    row_label : "line" (CSV) or "row" (Excel, Parquet, SQL).
    kind : short machine-readable code ("missing_column", "not_a_number", ...).
    level : "error", "warning" or "info" (a fact worth knowing, listed with the warnings).
    """

    table: str
    column: str | None
    message: str
    hint: str = ""
    rows: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    n_rows: int = 0
    origin: str = ""
    row_label: str = "row"
    kind: str = ""
    level: str = "error"

    @property
    def where(self) -> str:
        """'orders (orders.csv), column quantity' style location."""
        where = self.table
        if self.origin and self.origin != self.table:
            where += f" ({self.origin})"
        if self.column:
            where += f", column '{self.column}'"
        return where

    def examples_text(self) -> str:
        """'line 5: -2; line 9: 0 ... and 3 more rows' or '' when no rows."""
        if not self.rows:
            return ""
        parts = []
        for i, r in enumerate(self.rows):
            v = self.values[i] if i < len(self.values) else None
            parts.append(f"{self.row_label} {r}: {v}" if v is not None else f"{self.row_label} {r}")
        text = "; ".join(parts)
        more = self.n_rows - len(self.rows)
        if more > 0:
            text += f" ... and {more:,} more {self.row_label}s"
        return text

    def __str__(self) -> str:
        lines = [f"{self.where}: {self.message}"]
        ex = self.examples_text()
        if ex:
            lines.append(f"    {ex}")
        if self.hint:
            lines.append(f"    What to do: {self.hint}")
        return "\n".join(lines)

    def one_line(self) -> str:
        """The finding on one line (used for ``Portfolio.warnings``)."""
        text = f"{self.where}: {self.message}"
        ex = self.examples_text()
        if ex:
            text += f" ({ex})"
        if self.hint:
            text += f" {self.hint}"
        return text


def sort_problems(problems: Sequence[Problem]) -> list[Problem]:
    """Mapping and source findings first, then tables in model order; stable within a table."""
    from kamtools.data.model import TABLES

    order = {"mapping": -2, "source": -1, **{name: i for i, name in enumerate(TABLES)}}
    return sorted(problems, key=lambda p: order.get(p.table, len(order)))


def format_problems(problems: Sequence[Problem], indent: str = "  ") -> str:
    """Problems grouped by table (mapping, source, then model order), numbered, as text."""
    groups: dict[str, list[Problem]] = {}
    for p in sort_problems(problems):
        key = p.table + (f" ({p.origin})" if p.origin and p.origin != p.table else "")
        groups.setdefault(key, []).append(p)
    out: list[str] = []
    n = 0
    for key, items in groups.items():
        out.append(f"{indent}{key}")
        for p in items:
            n += 1
            col = f"column '{p.column}': " if p.column else ""
            out.append(f"{indent}  {n}. {col}{p.message}")
            ex = p.examples_text()
            if ex:
                out.append(f"{indent}     {ex}")
            if p.hint:
                out.append(f"{indent}     What to do: {p.hint}")
    return "\n".join(out)


class DataValidationError(ValueError):
    """The input data has problems; ``problems`` lists every one of them.

    Attributes
    ----------
    problems : list[Problem]
        Every error found, in every table.
    warnings : list[Problem]
        Non-fatal findings collected along the way.
    source : str
        The folder or database the data came from.
    """

    def __init__(self, problems: Sequence[Problem], warnings: Sequence[Problem] = (), source: str = "") -> None:
        self.problems = sort_problems(problems)
        self.warnings = sort_problems(warnings)
        self.source = str(source)
        n = len(self.problems)
        head = f"{n} data problem{'s' if n != 1 else ''} found"
        if self.source:
            head += f" in {self.source}"
        head += "; nothing was loaded. Fix all of them and load again:"
        super().__init__(head + "\n" + format_problems(self.problems))


# ---- helpers to build problems from boolean masks ------------------------------------------


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 value', '2 values', '1,204 rows'."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def a_column(name: str) -> str:
    """A column's name with its article, as a message reads it: 'a name', 'an account_id', 'an order_date', 'a
    unit_cost' (the names are English words; 'u' is read as in 'unit')."""
    return f"{'an' if name[:1].lower() in 'aeio' else 'a'} {name}"


def verb(n: int, singular: str, plural: str) -> str:
    """The verb form agreeing with ``n`` ('is'/'are')."""
    return singular if n == 1 else plural


def fmt_value(v: object) -> str:
    """A cell value as the user would recognise it (quoted text, plain numbers, ISO dates)."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "(empty)"
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else str(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, str):
        return repr(v)
    return str(v)


def examples(
    series: pd.Series, mask: pd.Series | None = None, k: int = MAX_EXAMPLES
) -> tuple[list[int], list[str], int]:
    """(row numbers, formatted values, total count) of the rows where ``mask`` is True.

    ``series.index`` holds the row numbers (the loader sets it that way).
    """
    if mask is not None:
        n = int(mask.sum())
        if n == 0:
            return [], [], 0
        hit = series[mask]
    else:
        n = len(series)
        hit = series
    head = hit.iloc[:k]
    return [int(i) for i in head.index], [fmt_value(v) for v in head.tolist()], n


@dataclass
class TableSummary:
    """What was read for one table (for the validation report)."""

    name: str
    origin: str
    rows: int
    date_ranges: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=dict)
    required: bool = True
    unreadable: bool = False  # supplied, but the file/table could not be read


@dataclass
class ValidationReport:
    """The outcome of validating a source: summaries, problems, warnings, the portfolio.

    ``portfolio`` is None when there are problems.
    """

    source: str
    as_of: pd.Timestamp | None
    as_of_given: bool
    tables: list[TableSummary]
    problems: list[Problem]
    warnings: list[Problem]
    portfolio: object | None = None  # Portfolio; typed loosely to avoid an import cycle

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_text(self) -> str:
        """The readable data-quality report printed by ``kamtools validate``."""
        lines = [f"Data-quality report for {self.source}"]
        if self.as_of is not None:
            how = "given" if self.as_of_given else "last order date"
            lines.append(f"as_of: {self.as_of.date()} ({how})")
        lines.append("")
        lines.append("Tables")
        width = max([len(t.name) for t in self.tables] + [5])
        owidth = max([len(t.origin) for t in self.tables] + [4])
        for t in self.tables:
            if t.rows < 0:
                if t.unreadable:
                    status = "could not be read (see problems)"
                else:
                    status = "not supplied" + (" (REQUIRED)" if t.required else " (optional)")
                lines.append(f"  {t.name:<{width}}  {(t.origin or '-'):<{owidth}}  {status}")
                continue
            ranges = ", ".join(
                f"{col} {lo.date() if pd.notna(lo) else '?'} to {hi.date() if pd.notna(hi) else '?'}"
                for col, (lo, hi) in t.date_ranges.items()
            )
            lines.append(f"  {t.name:<{width}}  {t.origin:<{owidth}}  {t.rows:>10,} rows  {ranges}".rstrip())
        lines.append("")
        if self.problems:
            lines.append(f"Problems ({len(self.problems)})")
            lines.append(format_problems(self.problems))
        else:
            lines.append("Problems: none")
        lines.append("")
        if self.warnings:
            lines.append(f"Warnings ({len(self.warnings)})")
            lines.append(format_problems(self.warnings))
        else:
            lines.append("Warnings: none")
        lines.append("")
        if self.problems:
            n = len(self.problems)
            lines.append(
                f"Result: NOT VALID - {n} problem{'s' if n != 1 else ''} to fix. "
                "Fix them (or adjust the mapping) and run kamtools validate again."
            )
        else:
            lines.append("Result: VALID - the data can be loaded.")
        return "\n".join(lines)
