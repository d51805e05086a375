"""Vectorised conversion of raw export columns to canonical dtypes, with problems.

Every converter takes the raw column (text from CSV/Excel, or typed from Parquet/SQL)
and returns ``(converted, problems, bad)`` where ``bad`` marks the rows that were
reported (so later checks do not report the same cell twice). The index of the raw
column holds the row numbers the user sees; converters keep it.

Canonical dtypes: ids, text and categories -> pandas ``str`` (missing = NaN), dates ->
``datetime64[ns]`` at midnight, floats -> ``float64``, ints -> ``int64`` (``float64``
while the column still holds unreadable cells).

One module per kind of column: :mod:`.cells` (text handling shared by all), :mod:`.text`
(ids, free text, categories), :mod:`.numbers`, :mod:`.dates` and :mod:`.date_checks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.model import Column
from kamtools.data.parsing.cells import NA_TOKENS, SPREADSHEET_ERRORS, Where, as_text, is_na_token
from kamtools.data.parsing.dates import DATE_SHAPES, slash_order_evidence, to_date
from kamtools.data.parsing.numbers import AMBIGUOUS_COMMA, AMBIGUOUS_DOT, separator_evidence, to_number
from kamtools.data.parsing.text import to_category, to_id, to_text
from kamtools.data.validation import Problem

__all__ = [
    "AMBIGUOUS_COMMA",
    "AMBIGUOUS_DOT",
    "DATE_SHAPES",
    "NA_TOKENS",
    "SPREADSHEET_ERRORS",
    "Where",
    "as_text",
    "convert",
    "empty_column",
    "is_na_token",
    "separator_evidence",
    "slash_order_evidence",
    "to_category",
    "to_date",
    "to_id",
    "to_number",
    "to_text",
]


def convert(
    s: pd.Series,
    where: Where,
    *,
    vmap: dict[str, str] | None = None,
    decimal: str = ".",
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Dispatch on the canonical dtype of ``where.column``."""
    dtype = where.column.dtype
    if dtype == "id":
        return to_id(s, where, vmap)
    if dtype == "text":
        return to_text(s, where, vmap)
    if dtype == "category":
        return to_category(s, where, vmap)
    if dtype == "float":
        return to_number(s, where, decimal)
    if dtype == "int":
        return to_number(s, where, decimal, integer=True)
    if dtype == "date":
        return to_date(s, where, date_format, dayfirst)
    raise ValueError(f"unknown canonical dtype {dtype!r}")


def empty_column(column: Column, index: pd.Index) -> pd.Series:
    """An all-missing column of the canonical dtype (for optional columns not supplied)."""
    if column.dtype in ("id", "text", "category"):
        return pd.Series(np.nan, index=index, dtype="str")
    if column.dtype == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    return pd.Series(np.nan, index=index, dtype="float64")
