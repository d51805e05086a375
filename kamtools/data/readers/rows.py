"""Rows that are not data: NUL bytes, a trailing totals row, blank rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.readers.base import TOTAL_RE, RawTable
from kamtools.data.validation import Problem, count, fmt_value, verb


def report_nul(raw: RawTable, nul_lines: list[int], header_line: int, header_end: int) -> None:
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


def drop_total_rows(raw: RawTable) -> None:
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


def drop_blank_rows(raw: RawTable) -> None:
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
