"""Where the header is: column names as pandas writes them, the header row among title rows,
the delimiter and layout of a CSV file."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from kamtools.data.readers.base import DELIMITERS, HEADER_SCAN, Select, problem
from kamtools.data.validation import Problem, count


def header_names(cells: list) -> list[str]:
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


def score(select: Select | None, cells: list[str]) -> int:
    """How many of the cells are expected column names of the table (after the mapping)."""
    names = [c for c in cells if c]
    if select is None or not names:
        return 0
    return len(select(names))


def pick(candidates: list[tuple[int, int, int]]) -> int:
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


def title_warning(table: str, origin: str, label: str, header: int, titles: list[str], mapped: bool) -> Problem:
    shown = "; ".join(repr(t[:60]) for t in titles[:2]) + (" ..." if len(titles) > 2 else "")
    n = header - 1
    return problem(
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


def renamed_duplicates(columns: object) -> bool:
    """True when pandas may have renamed a repeated header name ('net_revenue' -> 'net_revenue.1')."""
    names = {str(c) for c in columns}  # type: ignore[union-attr]
    return any(m is not None and m.group(1) in names for m in (re.fullmatch(r"(.*)\.\d+", n) for n in names))


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV header line: the most frequent of , ; TAB | outside quotes."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


@dataclass
class Layout:
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


def find_header(
    text: str, select: Select | None, header_row: int | None, table: str, origin: str, whole: bool
) -> Layout | Problem | None:
    """The header's place and delimiter; a Problem when ``header_row`` points nowhere; None for no text."""
    per = {d: _records(text, d) for d in DELIMITERS}
    sniffed = sniff_delimiter(text)
    order = {d: (d != sniffed, i) for i, d in enumerate(DELIMITERS)}  # sniffed delimiter first on ties
    options = []  # (score, line, (sep, index)) of the first non-blank records
    for d, recs in per.items():
        top = [(i, r) for i, r in enumerate(recs) if any(f.strip() for f in r[2])][:HEADER_SCAN]
        for i, (start, _, fields) in top:
            options.append((score(select, [f.strip() for f in fields]), start, (d, i)))
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
            return problem(
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
        sep, i = options[pick([(score, line, k) for k, (score, line, _) in enumerate(options)])][2]
    recs = per[sep]
    start, end, _ = recs[i]
    titles = [sep.join(f for f in r[2] if f.strip()).strip() for r in recs[:i] if any(f.strip() for f in r[2])]
    next_fields = len(recs[i + 1][2]) if i + 1 < len(recs) else None
    return Layout(sep, i, start, end, titles, next_fields)
