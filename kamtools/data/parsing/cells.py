"""Cells as text: where a column came from, stripping, "no value" spellings, value maps and
spreadsheet formula errors, shared by every converter."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kamtools.data.model import Column
from kamtools.data.validation import Problem, count, examples, verb

NA_TOKENS = ("n/a", "na", "#n/a", "null", "none", "nan", "nat", "-", "--", "?")
"""Spellings of "no value" accepted as empty cells in columns that may be empty."""

SPREADSHEET_ERRORS = ("#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")
"""Error values of spreadsheet formulas; they end up in exports as text."""

SPACES = "\u00a0\u202f"  # no-break and narrow no-break space, used as thousands separators


@dataclass
class Where:
    """Where a column came from, for building problems."""

    table: str
    column: Column
    origin: str
    row_label: str

    def problem(
        self, kind: str, message: str, hint: str, values: pd.Series, mask: pd.Series | None, level: str = "error"
    ) -> Problem:
        rows, vals, n = examples(values, mask)
        return Problem(
            table=self.table,
            column=self.column.name,
            message=message,
            hint=hint,
            rows=rows,
            values=vals,
            n_rows=n,
            origin=self.origin,
            row_label=self.row_label,
            kind=kind,
            level=level,
        )


def no_rows(index: pd.Index) -> pd.Series:
    return pd.Series(False, index=index)


def as_text(s: pd.Series) -> pd.Series:
    """Any column -> ``str`` dtype, stripped, empty strings as missing (NaN)."""
    if ptypes.is_float_dtype(s):
        # 1001.0 -> "1001" (numbers read from Excel/Parquet), keep other floats as written
        whole = s.notna() & (s % 1 == 0) & (s.abs() < 1e15)
        out = s.astype("str")
        if whole.any():
            out = out.where(~whole, s[whole].astype("int64").astype("str"))
        t = out
    elif ptypes.is_string_dtype(s) and s.dtype != object:
        t = s
    else:
        t = s.astype("str")
    t = t.str.strip()
    return t.mask(t == "")


def is_na_token(t: pd.Series) -> pd.Series:
    """True where the text is one of :data:`NA_TOKENS` (case-insensitive)."""
    return t.str.lower().isin(NA_TOKENS).fillna(False).astype(bool)


def apply_value_map(t: pd.Series, vmap: dict[str, str] | None) -> pd.Series:
    if not vmap:
        return t
    exact = {k: v for k, v in vmap.items() if k != "*"}
    mapped = t.map(exact) if exact else pd.Series(np.nan, index=t.index, dtype="str")
    if exact:
        lower = {k.lower(): v for k, v in exact.items()}
        todo = mapped.isna() & t.notna()
        if todo.any():
            mapped = mapped.where(~todo, t[todo].str.lower().map(lower))
    if "*" in vmap:
        mapped = mapped.where(mapped.notna() | t.isna(), vmap["*"])
    return mapped.where(mapped.notna(), t).astype("str")


def spreadsheet_errors(t: pd.Series, where: Where) -> tuple[list[Problem], pd.Series]:
    """Cells holding a formula error such as '#N/A' or '#REF!' (a failed lookup, a deleted cell)."""
    hit = t.str.startswith("#").fillna(False).astype(bool)
    if not hit.any():
        return [], hit
    hit = hit & t.str.upper().isin(SPREADSHEET_ERRORS).fillna(False).astype(bool)
    if not hit.any():
        return [], hit
    col = where.column
    n = int(hit.sum())
    return [
        where.problem(
            "spreadsheet_error",
            f"{count(n, 'value')} of {col.name} {verb(n, 'is a spreadsheet error', 'are spreadsheet errors')} "
            f"({', '.join(sorted(set(t[hit].head(50))))}), not {col.meaning.rstrip('.').lower()}.",
            "A formula in the export failed (a lookup that found nothing, a deleted cell): fix it in the "
            "spreadsheet, or copy the column and paste it as values, then export again"
            + (", or leave the cell empty when unknown." if col.nullable else "."),
            t,
            hit,
        )
    ], hit
