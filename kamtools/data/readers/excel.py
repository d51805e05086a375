"""Excel worksheets (.xlsx), cells as Python objects, rows numbered as Excel shows them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kamtools.data.readers.base import HEADER_SCAN, RawTable, Select, problem, unreadable
from kamtools.data.readers.header import header_names, pick, renamed_duplicates, score, title_warning
from kamtools.data.readers.rows import drop_blank_rows, drop_total_rows
from kamtools.extras import require


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
        return unreadable(
            table,
            origin,
            f"{origin} could not be read as an Excel workbook ({type(exc).__name__}: {exc}).",
            "Open it in Excel and save it again as .xlsx, or export the table as CSV.",
        )
    filled = grid.notna().any(axis=1).to_numpy() if len(grid) else np.zeros(0, dtype=bool)
    top = np.flatnonzero(filled)[:HEADER_SCAN]
    h = _header_index(table, origin, grid, filled, top, select, header_row)
    if isinstance(h, RawTable):
        return h
    frame = grid.iloc[h + 1 :].copy()
    frame.columns = header_names(grid.iloc[h].tolist())
    header = None
    if renamed_duplicates(frame.columns):
        header = ["" if pd.isna(c) else str(c).strip() for c in grid.iloc[h].tolist()]
    # header cells left empty: drop the column when it is empty too
    unnamed = [c for c in frame.columns if c.startswith("Unnamed: ") and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed)
    frame.index = pd.RangeIndex(h + 2, h + 2 + len(frame))
    raw = RawTable(table, origin, frame, "row", header=header)
    first = int(top[0]) if len(top) else h
    if h > first:
        titles = [" ".join(str(v) for v in grid.iloc[i].tolist() if pd.notna(v)) for i in range(h) if filled[i]]
        raw.warnings.append(title_warning(table, origin, "row", h + 1, titles, header_row is not None))
    drop_total_rows(raw)
    drop_blank_rows(raw)
    return raw


def _header_index(
    table: str,
    origin: str,
    grid: pd.DataFrame,
    filled: np.ndarray,
    top: np.ndarray,
    select: Select | None,
    header_row: int | None,
) -> int | RawTable:
    """Position of the header row in ``grid`` (``header_row`` or detected), or an unreadable table."""
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
                    problem(
                        table,
                        origin,
                        f"the mapping says the header of {table} is in row {header_row}, but {origin} {what}.",
                        "Set header_row to the row number that holds the column names, as Excel shows it.",
                        "header_row",
                    )
                ],
            )
        return h
    if len(top) == 0:
        return unreadable(
            table, origin, f"{origin} is empty (no header row).", f"Export {table} again with a header row."
        )
    cells = {i: [str(v).strip() for v in grid.iloc[i].tolist() if pd.notna(v)] for i in top}
    return pick([(score(select, cells[i]), int(i), int(i)) for i in top])
