"""Numeric columns: decimal and thousands separators, SAP and accounting signs, magnitude."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kamtools.data.model import MAX_MAGNITUDE
from kamtools.data.parsing.cells import SPACES, SPREADSHEET_ERRORS, Where, as_text, is_na_token, no_rows
from kamtools.data.validation import Problem, a_column, count, verb


def to_number(
    s: pd.Series, where: Where, decimal: str = ".", integer: bool = False
) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Numeric column -> ``float64`` (``int64`` when ``integer`` and every value is whole).

    Text is read with "." as decimal separator and optional thousands separators
    ("1,234.5", "1 234.5"), or with ``decimal=","`` as "1.234,5" / "12,5". Negative
    numbers may be written "-150", "150-" (SAP) or "(150)" (accounting). Infinite values
    and values above :data:`~kamtools.data.model.MAX_MAGNITUDE` are problems.
    """
    col = where.column
    problems: list[Problem] = []
    bad = no_rows(s.index)
    if ptypes.is_bool_dtype(s) or not ptypes.is_numeric_dtype(s):
        numeric_cells = _numeric_cells(s)
        t = as_text(s)
        if col.nullable:
            t = t.mask(is_na_token(t))
        if numeric_cells is not None:  # Excel: real numbers need no parsing, whatever the decimal separator
            v, problems, bad = _parse_number_text(t.mask(numeric_cells), where, decimal)
            v = v.where(~numeric_cells, pd.to_numeric(s.where(numeric_cells), errors="coerce").astype("float64"))
        else:
            v, problems, bad = _parse_number_text(t, where, decimal)
    else:
        v = s.astype("float64")
        t = s
    infinite = pd.Series(np.isinf(v.to_numpy()), index=v.index)
    huge = (v.abs() > MAX_MAGNITUDE) & ~infinite
    if infinite.any():
        n = int(infinite.sum())
        problems.append(
            where.problem(
                "not_finite",
                f"{count(n, 'value')} of {col.name} {verb(n, 'is', 'are')} infinite (inf, -inf or Infinity), "
                "which no analysis can use.",
                f"Replace them with the real {col.name} or remove the rows: infinite values come from a division by "
                "zero or an overflow in the system or spreadsheet that produced the export.",
                t,
                infinite,
            )
        )
    if huge.any():
        n = int(huge.sum())
        problems.append(
            where.problem(
                "too_large",
                f"{count(n, 'value')} of {col.name} {verb(n, 'is', 'are')} implausibly large (more than "
                f"{MAX_MAGNITUDE:,.0f} in absolute value).",
                f"Correct these values of {col.name}: numbers this large are overflows, a wrong unit, or an id or "
                "phone number in the wrong column.",
                t,
                huge,
            )
        )
    if infinite.any() or huge.any():
        bad = bad | infinite | huge
        v = v.mask(infinite | huge)
    if integer:
        frac = v.notna() & (v % 1 != 0)
        if frac.any():
            problems.append(
                where.problem(
                    "not_whole",
                    f"{count(int(frac.sum()), 'value')} of {col.name} {verb(int(frac.sum()), 'is not a whole number', 'are not whole numbers')}.",
                    f"{col.name} must be a whole number such as {col.example}.",
                    t,
                    frac,
                )
            )
            bad = bad | frac
            v = v.mask(frac)
        if v.notna().all():
            v = v.astype("int64")
    return v, problems, bad


def _numeric_cells(s: pd.Series) -> pd.Series | None:
    """For an object column (Excel): True where the cell holds a number rather than text; None if none does."""
    if s.dtype != object or len(s) == 0:
        return None
    kinds = s.map(type)
    hit = kinds.isin([int, float, np.int64, np.float64]) & s.notna()
    return hit if hit.any() else None


def _read_numbers(t: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Text -> float64 (NaN where unreadable), and the mask of values that use a decimal comma
    although ``decimal`` is "." (left unread)."""
    sep_class = f"[{SPACES}' ]"
    comma_mask = pd.Series(False, index=t.index)
    if decimal == ".":
        v = pd.to_numeric(t, errors="coerce").astype("float64")
        failed = v.isna() & t.notna()
        if failed.any():
            sub = t[failed]
            thousands = sub.str.fullmatch(rf"[+-]?\d{{1,3}}(?:(?:,|{sep_class})\d{{3}})+(?:\.\d+)?").astype(bool)
            comma = (
                sub.str.fullmatch(r"[+-]?\d*,\d+").astype(bool)
                | sub.str.fullmatch(r"[+-]?\d{1,3}(?:\.\d{3})+,\d+").astype(bool)  # 1.234,5
            ) & ~thousands
            if comma.any():
                comma_mask[sub.index[comma | (thousands & sub.str.contains(",", regex=False)).to_numpy()]] = True
                thousands = thousands & ~sub.str.contains(",", regex=False)
            cleaned = sub[thousands].str.replace(rf"(?:,|{sep_class})", "", regex=True)
            v.loc[cleaned.index] = pd.to_numeric(cleaned, errors="coerce")
            v = v.mask(comma_mask)
    else:
        thousands = t.str.fullmatch(rf"[+-]?\d{{1,3}}(?:(?:\.|{sep_class})\d{{3}})+(?:,\d+)?").fillna(False)
        plain = t.str.fullmatch(r"[+-]?\d+(?:,\d+)?(?:[eE][+-]?\d+)?").fillna(False)
        conv = t.where(~thousands, t.str.replace(rf"(?:\.|{sep_class})", "", regex=True))
        conv = conv.where(~(thousands | plain), conv.str.replace(",", ".", regex=False))
        v = pd.to_numeric(conv.where(thousands | plain), errors="coerce").astype("float64")
    return v, comma_mask


def _move_sign(t: pd.Series) -> pd.Series:
    """'150-' (SAP) and '(150)' (accounting) -> '-150'; NaN for other text."""
    m = t.str.extract(r"^\(\s*([\d.,' \u00a0\u202f]*\d)\s*\)$|^([\d.,' \u00a0\u202f]*\d)\s*-$")
    body = m[0].fillna(m[1])
    return ("-" + body).where(body.notna())


def _parse_number_text(t: pd.Series, where: Where, decimal: str) -> tuple[pd.Series, list[Problem], pd.Series]:
    col = where.column
    problems: list[Problem] = []
    v, mask = _read_numbers(t, decimal)
    failed = v.isna() & t.notna() & ~mask
    if failed.any():
        moved = _move_sign(t[failed]).dropna()
        if len(moved):
            v2, mask2 = _read_numbers(moved, decimal)
            v.loc[v2.index] = v2
            mask.loc[mask2.index[mask2.to_numpy()]] = True
    if mask.any():
        problems.append(
            where.problem(
                "decimal_comma",
                f"{count(int(mask.sum()), 'value')} of {col.name} {verb(int(mask.sum()), 'uses', 'use')} a comma as decimal separator "
                "(or a thousands separator that cannot be told apart from one).",
                "Export numbers with a dot as decimal separator (12.5), or declare the decimal comma "
                f"in the mapping: {where.table}: {{decimal: ','}} (or defaults: {{decimal: ','}}).",
                t,
                mask,
            )
        )
    failed = v.isna() & t.notna() & ~mask
    bad = mask.copy()
    if failed.any():
        bad = bad | failed
        na_like = is_na_token(t) & failed
        hint = f"Write plain numbers such as {col.example} (no units, currency symbols or text)" + (
            ", and leave the cell empty when unknown." if col.nullable else f"; every row needs {a_column(col.name)}."
        )
        if decimal == "," and t[failed].str.contains(".", regex=False).any():
            hint += " The file uses a decimal comma, so '12.5' is not read; write 12,5."
        if na_like.any() and not col.nullable:
            hint += f" Placeholders such as 'n/a' are not allowed in {col.name}."
        if t[failed].str.upper().isin(SPREADSHEET_ERRORS).any():
            hint += (
                " Values such as '#DIV/0!' are failed spreadsheet formulas: fix them, or paste the column as values."
            )
        problems.append(
            where.problem(
                "not_a_number",
                f"{count(int(failed.sum()), 'value')} of {col.name} {verb(int(failed.sum()), 'is not a number', 'are not numbers')}.",
                hint,
                t,
                failed,
            )
        )
    return v.astype("float64"), problems, bad


AMBIGUOUS_DOT = r"[+-]?[1-9]\d{0,2}\.\d{3}"
"""1.000 / 2.500: one with a decimal point, one thousand with a thousands dot."""
AMBIGUOUS_COMMA = r"[+-]?[1-9]\d{0,2},\d{3}"
"""1,000 / 2,500: one thousand with a thousands comma, one with a decimal comma."""


def separator_evidence(t: pd.Series) -> tuple[bool, bool, pd.Series, pd.Series]:
    """How the text numbers of one column use '.' and ','.

    Returns ``(point, comma, ambiguous_dot, ambiguous_comma)``: ``point`` when some value
    can only be read with a decimal point (12.5, 0.125, 1,234.5, 1,234,567), ``comma`` when
    some value can only be read with a decimal comma (12,5, 1.234,5, 1.234.567); the masks
    mark the values that read either way (1.000, 2,500: one to three digits, one separator,
    three digits).
    """
    none = pd.Series(False, index=t.index)
    sep = t.dropna()
    sep = sep[sep.str.contains(r"[.,]", regex=True)]
    if sep.empty:
        return False, False, none, none
    u = pd.Series(sep.unique()[:20_000], dtype="str")  # a sample of distinct values is evidence enough
    sp = f"[{SPACES}' ]"

    def match(pattern: str) -> pd.Series:
        return u.str.fullmatch(pattern).fillna(False).astype(bool)

    amb_dot, amb_comma = match(AMBIGUOUS_DOT), match(AMBIGUOUS_COMMA)
    point = (
        (match(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?") & ~amb_dot)
        | match(rf"[+-]?\d{{1,3}}(?:(?:,|{sp})\d{{3}})+\.\d+")
        | match(r"[+-]?\d{1,3}(?:,\d{3}){2,}")
    )
    comma = (
        (match(r"[+-]?\d*,\d+") & ~amb_comma)
        | match(rf"[+-]?\d{{1,3}}(?:(?:\.|{sp})\d{{3}})+,\d+")
        | match(r"[+-]?\d{1,3}(?:\.\d{3}){2,}")
    )
    dot_mask = t.isin(set(u[amb_dot])).fillna(False).astype(bool) if amb_dot.any() else none
    comma_mask = t.isin(set(u[amb_comma])).fillna(False).astype(bool) if amb_comma.any() else none
    return bool(point.any()), bool(comma.any()), dot_mask, comma_mask
