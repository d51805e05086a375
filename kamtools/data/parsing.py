"""Vectorised conversion of raw export columns to canonical dtypes, with problems.

Every converter takes the raw column (text from CSV/Excel, or typed from Parquet/SQL)
and returns ``(converted, problems, bad)`` where ``bad`` marks the rows that were
reported (so later checks do not report the same cell twice). The index of the raw
column holds the row numbers the user sees; converters keep it.

Canonical dtypes: ids, text and categories -> pandas ``str`` (missing = NaN), dates ->
``datetime64[ns]`` at midnight, floats -> ``float64``, ints -> ``int64`` (``float64``
while the column still holds unreadable cells).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kamtools.data.model import MAX_MAGNITUDE, Column
from kamtools.data.schemas import NOT_YET, PLACEHOLDER_DATES, min_date, today
from kamtools.data.validation import Problem, count, examples, fmt_value, verb

NA_TOKENS = ("n/a", "na", "#n/a", "null", "none", "nan", "nat", "-", "--", "?")
"""Spellings of "no value" accepted as empty cells in columns that may be empty."""

SPREADSHEET_ERRORS = ("#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")
"""Error values of spreadsheet formulas; they end up in exports as text."""

_SPACES = "\u00a0\u202f"  # no-break and narrow no-break space, used as thousands separators
_PLACEHOLDER_DAYS = np.array(PLACEHOLDER_DATES, dtype="datetime64[D]")
_ZERO_DATE = r"0{1,4}([-./])0{1,2}\1?0{1,4}(?:[ T]0{1,2}:00(?::00)?)?|0{8}"  # MySQL 0000-00-00, SAP 00000000
_NS_FIRST, _NS_LAST = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")  # what datetime64[ns] can hold
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"

# (label, regex of the whole value, strptime format of the date part or None when it
# depends on day/month order)
DATE_SHAPES = [
    ("YYYY-MM-DD", r"\d{4}-\d{1,2}-\d{1,2}" + _TIME, "%Y-%m-%d"),
    ("YYYY/MM/DD", r"\d{4}/\d{1,2}/\d{1,2}" + _TIME, "%Y/%m/%d"),
    ("DD/MM/YYYY", r"\d{1,2}/\d{1,2}/\d{4}" + _TIME, None),
    ("DD-MM-YYYY", r"\d{1,2}-\d{1,2}-\d{4}" + _TIME, None),
    ("DD.MM.YYYY", r"\d{1,2}\.\d{1,2}\.\d{4}" + _TIME, "%d.%m.%Y"),
    ("YYYYMMDD", r"(?:19|20)\d{6}|9999\d{4}", "%Y%m%d"),
]
_ORDER_DEPENDENT = {"DD/MM/YYYY": "/", "DD-MM-YYYY": "-"}


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


def _none(index: pd.Index) -> pd.Series:
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


def _apply_value_map(t: pd.Series, vmap: dict[str, str] | None) -> pd.Series:
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


def to_id(s: pd.Series, where: Where, vmap: dict[str, str] | None = None) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Identifier column -> stripped ``str``; "1001.0" -> "1001"."""
    t = as_text(s)
    if t.str.contains(".", regex=False).any():
        t = t.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    if where.column.nullable:
        t = t.mask(is_na_token(t))
    problems, bad = _spreadsheet_errors(t, where)
    return _apply_value_map(t.mask(bad), vmap), problems, bad


def to_text(
    s: pd.Series, where: Where, vmap: dict[str, str] | None = None
) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Free-text column -> stripped ``str``."""
    t = as_text(s)
    if where.column.nullable:
        t = t.mask(is_na_token(t))
    problems, bad = _spreadsheet_errors(t, where)
    return _apply_value_map(t.mask(bad), vmap), problems, bad


def _spreadsheet_errors(t: pd.Series, where: Where) -> tuple[list[Problem], pd.Series]:
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


def _canonical_token(t: pd.Series) -> pd.Series:
    return t.str.lower().str.replace(r"[\s\-]+", "_", regex=True)


def to_category(
    s: pd.Series, where: Where, vmap: dict[str, str] | None = None
) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Closed-list column: value map, then case/spacing-insensitive match to ``allowed``."""
    from kamtools.data.mapping import closest

    col = where.column
    allowed = list(col.allowed or ())
    t = as_text(s)
    if col.nullable:
        t = t.mask(is_na_token(t))
    t = _apply_value_map(t, vmap)
    norm = _canonical_token(t)
    ok = norm.isin(allowed)
    t = t.where(~ok, norm)
    bad = t.notna() & ~ok
    problems = []
    if bad.any():
        counts = t[bad].value_counts()
        shown = []
        for value in counts.index[:5]:
            guess = closest(str(value), allowed, cutoff=0.4)
            shown.append(f"'{value}' ({counts[value]:,}x" + (f", closest allowed: '{guess}')" if guess else ")"))
        example_map = ", ".join(
            f"'{v}': {closest(str(v), allowed, cutoff=0.0) or allowed[0]}" for v in counts.index[:2]
        )
        problems.append(
            where.problem(
                "not_allowed",
                f"{count(int(counts.sum()), 'row')} {verb(int(counts.sum()), 'holds a value', 'hold values')} that {verb(int(counts.sum()), 'is', 'are')} not allowed for {col.name}: {', '.join(shown)}"
                + (f" and {len(counts) - 5} more distinct values" if len(counts) > 5 else "")
                + f". Allowed: {', '.join(allowed)}.",
                f"Map your values to the allowed ones in the mapping file, e.g. "
                f"{where.table}: {{values: {{{col.name}: {{{example_map}}}}}}}.",
                t,
                bad,
            )
        )
    return t.mask(bad), problems, bad


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
    bad = _none(s.index)
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
    sep_class = f"[{_SPACES}' ]"
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
            ", and leave the cell empty when unknown." if col.nullable else f"; every row needs a {col.name}."
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
    sp = f"[{_SPACES}' ]"

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


def _date_part(t: pd.Series) -> pd.Series:
    return t.str.extract(r"^([\d./-]+)", expand=False)


def _placeholder_text(t: pd.Series) -> pd.Series:
    """The placeholder date (as YYYY-MM-DD) that a text date spells in any recognised shape
    (9999-12-31, 31.12.9999, 12/31/9999, 99991231); NaN for every other value."""
    out = pd.Series(np.nan, index=t.index, dtype="str")
    years = sorted({d[:4] for d in PLACEHOLDER_DATES})
    cand = t.str.contains("|".join(years), regex=True).fillna(False).astype(bool)
    if not cand.any():
        return out
    sub = t[cand].str.strip()
    known = set(PLACEHOLDER_DATES)

    def iso(y: pd.Series, m: pd.Series, d: pd.Series) -> pd.Series:
        text = y + "-" + m.str.zfill(2) + "-" + d.str.zfill(2)
        return text.where(text.isin(known))

    ymd = sub.str.extract(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$")
    dmy = sub.str.extract(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME + "$")
    compact = sub.str.extract(r"^(\d{4})(\d{2})(\d{2})$")
    found = iso(ymd[0], ymd[1], ymd[2])
    for guess in (iso(dmy[2], dmy[1], dmy[0]), iso(dmy[2], dmy[0], dmy[1]), iso(compact[0], compact[1], compact[2])):
        found = found.fillna(guess)
    out.loc[sub.index] = found
    return out


def slash_order_evidence(s: pd.Series) -> str | None:
    """For text dates like 05/01/2024: 'dmy' if some first part > 12, 'mdy' if some
    second part > 12, 'both' if both happen, None if nothing decides (or no such dates)."""
    if ptypes.is_datetime64_any_dtype(s) or ptypes.is_numeric_dtype(s):
        return None
    t = s if (ptypes.is_string_dtype(s) and s.dtype != object) else s.astype("str")
    hit = t.str.contains(r"^\s*\d{1,2}[/-]\d{1,2}[/-]\d{4}", regex=True).fillna(False).astype(bool)
    if not hit.any():
        return None
    cand = t[hit].str.strip()
    cand = cand[_placeholder_text(cand).isna()]  # 12/31/9999 says nothing about the export's date order
    if cand.empty:
        return None
    parts = cand.str.extract(r"^(\d{1,2})[/-](\d{1,2})[/-]").astype("int64")
    day_first = bool((parts[0] > 12).any())
    month_first = bool((parts[1] > 12).any())
    if day_first and month_first:
        return "both"
    return "dmy" if day_first else "mdy" if month_first else None


def to_date(
    s: pd.Series, where: Where, date_format: str | None = None, dayfirst: bool | None = None
) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Date column -> ``datetime64[ns]`` at midnight.

    Without ``date_format`` every value's shape is recognised (YYYY-MM-DD, DD/MM/YYYY,
    DD.MM.YYYY, ...); a column mixing shapes is a problem. Day/month order of 05/01/2024
    is decided by values with a part > 12, else by ``dayfirst`` (decided elsewhere in the
    source), else it is reported as ambiguous.
    """
    col = where.column
    if ptypes.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return _finish_date(s, where, s, [], _none(s.index))
    shown = as_text(s)
    t = shown
    if col.nullable:
        t = t.mask(is_na_token(t))
    zero = t.str.fullmatch(_ZERO_DATE).fillna(False).astype(bool)
    if zero.any():  # 0000-00-00 / 00000000: "no date" written as zeros
        t = t.mask(zero)
    present = t.notna()
    problems: list[Problem] = []
    if date_format:
        out = pd.to_datetime(t, format=date_format, errors="coerce")
        failed = out.isna() & present
        if failed.any():
            problems.append(
                where.problem(
                    "not_a_date",
                    f"{count(int(failed.sum()), 'value')} of {col.name} {verb(int(failed.sum()), 'does', 'do')} not match the date format "
                    f"'{date_format}' given in the mapping.",
                    "Fix these cells, or correct date_format in the mapping.",
                    t,
                    failed,
                )
            )
        return _finish_date(out, where, shown, problems, failed, zero)

    out = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce")
    failed = out.isna() & present
    if not failed.any():
        return _finish_date(out, where, shown, problems, failed, zero)

    # slow path: recognise the shape of every value; placeholders (31.12.9999) are read on
    # their own, so that they neither count as another format nor decide the day/month order
    spelled = _placeholder_text(t)
    if spelled.notna().any():
        t = t.mask(spelled.notna())
        present = t.notna()
    shape = pd.Series(pd.NA, index=t.index, dtype="object")
    for label, regex, _ in DATE_SHAPES:
        hit = present & shape.isna() & t.str.fullmatch(regex).fillna(False).astype(bool)
        if hit.any():
            shape[hit] = label
    counts = shape.value_counts()
    bad = pd.Series(False, index=t.index)
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[us]")  # [us]: 9999-12-31 fits
    part = _date_part(t)
    labels_used = {}
    for label, _, fmt in DATE_SHAPES:
        if label not in counts.index:
            continue
        hit = shape == label
        if fmt is None:
            sep = _ORDER_DEPENDENT[label]
            nums = part[hit].str.extract(r"^(\d{1,2})\D(\d{1,2})\D").astype("int64")
            dmy_rows = nums.index[nums[0] > 12]
            mdy_rows = nums.index[nums[1] > 12]
            if len(dmy_rows) and len(mdy_rows):
                order = "both"
            elif len(dmy_rows):
                order = "dmy"
            elif len(mdy_rows):
                order = "mdy"
            else:
                order = {True: "dmy", False: "mdy", None: None}[dayfirst]
            if order == "both":
                m1 = pd.Series(False, index=t.index)
                m1[dmy_rows] = True
                m2 = pd.Series(False, index=t.index)
                m2[mdy_rows] = True
                r1, v1, _ = examples(t, m1, 3)
                r2, v2, _ = examples(t, m2, 3)
                problems.append(
                    where.problem(
                        "mixed_day_month",
                        f"{col.name} mixes day-first and month-first dates: day first (DD{sep}MM{sep}YYYY) on "
                        f"{where.row_label}s {', '.join(map(str, r1))} ({', '.join(v1)}), month first "
                        f"(MM{sep}DD{sep}YYYY) on {where.row_label}s {', '.join(map(str, r2))} ({', '.join(v2)}).",
                        "Export every date in one format, preferably YYYY-MM-DD.",
                        t,
                        m1 | m2,
                    )
                )
                bad = bad | m1 | m2
                order = "dmy"
            elif order is None:
                problems.append(
                    where.problem(
                        "ambiguous_dates",
                        f"dates in {col.name} such as {t[hit].iloc[0]} can be read day-first or month-first, "
                        "and no value in the data decides (no day above 12).",
                        f"Add the format to the mapping: {where.table}: {{date_format: '%d{sep}%m{sep}%Y'}} "
                        f"(or '%m{sep}%d{sep}%Y'), or export dates as YYYY-MM-DD.",
                        t,
                        hit,
                    )
                )
                bad = bad | hit
                continue
            fmt = f"%d{sep}%m{sep}%Y" if order == "dmy" else f"%m{sep}%d{sep}%Y"
            labels_used[label] = f"DD{sep}MM{sep}YYYY" if order == "dmy" else f"MM{sep}DD{sep}YYYY"
        else:
            labels_used[label] = label
        out[hit] = pd.to_datetime(part[hit], format=fmt, errors="coerce")

    if len(labels_used) > 1:
        parts = []
        minority_mask = pd.Series(False, index=t.index)
        main = counts.index[0]
        for label in counts.index:
            if label not in labels_used:
                continue
            hit = shape == label
            r, _, n = examples(t, hit, 3)
            parts.append(
                f"{labels_used[label]} in {count(n, 'row')} ({where.row_label}{'s' if len(r) > 1 else ''} {', '.join(map(str, r))})"
            )
            if label != main:
                minority_mask |= hit
        problems.append(
            where.problem(
                "mixed_date_formats",
                f"{col.name} mixes date formats: {'; '.join(parts)}.",
                f"Export every date of {col.name} in one format, preferably YYYY-MM-DD; the rows listed use a "
                f"different format than most ({labels_used[main]}).",
                t,
                minority_mask,
            )
        )
        bad = bad | minority_mask

    unparsed = present & out.isna() & ~bad
    if unparsed.any():
        serial = t[unparsed].str.fullmatch(r"\d{5}(?:\.\d+)?").fillna(False).any()
        hint = f"Write dates as YYYY-MM-DD (e.g. {col.example})" + (
            ", and leave the cell empty when unknown." if col.nullable else f"; every row needs a {col.name}."
        )
        if serial:
            hint += " Numbers like 45123 are Excel serial dates: format the column as a date before exporting."
        problems.append(
            where.problem(
                "not_a_date",
                f"{count(int(unparsed.sum()), 'value')} of {col.name} {verb(int(unparsed.sum()), 'is not a valid date', 'are not valid dates')}.",
                hint,
                t,
                unparsed,
            )
        )
        bad = bad | unparsed
    if spelled.notna().any():
        out[spelled.notna()] = pd.to_datetime(spelled.dropna(), format="%Y-%m-%d")
    return _finish_date(out, where, shown, problems, bad, zero)


def _finish_date(
    out: pd.Series,
    where: Where,
    shown: pd.Series,
    problems: list[Problem],
    bad: pd.Series,
    zero: pd.Series | None = None,
) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Midnight ``datetime64[ns]``, after sorting out "no date" placeholders and impossible years.

    In a column that may be empty, placeholders (:data:`~kamtools.data.schemas.PLACEHOLDER_DATES`,
    zero dates) become empty with a warning. Elsewhere a placeholder is an error when it
    cannot be a real date (year 9999), a warning when it could (1900-01-01 as customer_since).
    Other dates outside 1678-2261 are errors naming their rows.
    """
    col = where.column
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    out = out.dt.normalize()
    days = out.to_numpy().astype("datetime64[D]")
    placeholder = pd.Series(np.isin(days, _PLACEHOLDER_DAYS), index=out.index)
    if zero is not None:
        placeholder |= zero
    impossible = out.notna() & ((out < _NS_FIRST) | (out > _NS_LAST))
    if placeholder.any():
        counts = shown[placeholder].value_counts()
        listed = ", ".join(f"{fmt_value(v)} ({c:,}x)" for v, c in counts.head(4).items())
        listed += f" and {len(counts) - 4} more" if len(counts) > 4 else ""
        n = int(placeholder.sum())
        if col.nullable:
            if (where.table, col.name) in NOT_YET:
                meaning = f" ({NOT_YET[where.table, col.name]})"
            else:
                meaning = f", so {col.name} is {col.derived}" if col.derived else ""
            problems.append(
                where.problem(
                    "placeholder_date",
                    f"{count(n, 'value')} of {col.name} {verb(n, 'is a placeholder', 'are placeholders')} for "
                    f"'no date' ({listed}): read as empty{meaning}.",
                    "Nothing to do if that is right; export such cells empty to avoid this warning.",
                    shown,
                    placeholder,
                    level="warning",
                )
            )
            out = out.mask(placeholder)
            impossible &= ~placeholder
        else:
            fatal = placeholder & (impossible | (zero if zero is not None else False))
            if fatal.any():
                nf = int(fatal.sum())
                problems.append(
                    where.problem(
                        "placeholder_date",
                        f"{count(nf, 'value')} of {col.name} {verb(nf, 'is a placeholder', 'are placeholders')} for "
                        f"'no date' ({listed}), but every row needs a real {col.name}.",
                        f"Fill in the real {col.name.replace('_', ' ')} or remove these rows from the export.",
                        shown,
                        fatal,
                    )
                )
                bad = bad | fatal
                out = out.mask(fatal)
                impossible &= ~fatal
            doubtful = placeholder & ~fatal & out.notna() & (out >= min_date(where.table, col.name)) & (out <= today())
            if doubtful.any():
                nd = int(doubtful.sum())
                problems.append(
                    where.problem(
                        "placeholder_date",
                        f"{count(nd, 'value')} of {col.name} {verb(nd, 'is', 'are')} a date that systems often write "
                        f"for 'no date' ({', '.join(sorted(set(str(d.date()) for d in out[doubtful].head(50))))}).",
                        f"Check these rows: if the real {col.name.replace('_', ' ')} is unknown, correct it in the source.",
                        shown,
                        doubtful,
                        level="warning",
                    )
                )
    if impossible.any():
        ni = int(impossible.sum())
        problems.append(
            where.problem(
                "date_out_of_range",
                f"{count(ni, 'value')} of {col.name} {verb(ni, 'is', 'are')} not a plausible date (year "
                f"{', '.join(sorted(set(str(y) for y in out[impossible].dt.year.head(50))))}).",
                "Correct the year (a typo?)" + (" or leave the cell empty when unknown." if col.nullable else "."),
                shown,
                impossible,
            )
        )
        bad = bad | impossible
        out = out.mask(impossible)
    return out.astype("datetime64[ns]"), problems, bad


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
