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

from kamtools.data.model import Column
from kamtools.data.validation import Problem, count, examples, verb

NA_TOKENS = ("n/a", "na", "#n/a", "null", "none", "nan", "nat", "-", "--", "?")
"""Spellings of "no value" accepted as empty cells in columns that may be empty."""

_SPACES = "\u00a0\u202f"  # no-break and narrow no-break space, used as thousands separators
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"

# (label, regex of the whole value, strptime format of the date part or None when it
# depends on day/month order)
DATE_SHAPES = [
    ("YYYY-MM-DD", r"\d{4}-\d{1,2}-\d{1,2}" + _TIME, "%Y-%m-%d"),
    ("YYYY/MM/DD", r"\d{4}/\d{1,2}/\d{1,2}" + _TIME, "%Y/%m/%d"),
    ("DD/MM/YYYY", r"\d{1,2}/\d{1,2}/\d{4}" + _TIME, None),
    ("DD-MM-YYYY", r"\d{1,2}-\d{1,2}-\d{4}" + _TIME, None),
    ("DD.MM.YYYY", r"\d{1,2}\.\d{1,2}\.\d{4}" + _TIME, "%d.%m.%Y"),
    ("YYYYMMDD", r"(?:19|20)\d{6}", "%Y%m%d"),
]
_ORDER_DEPENDENT = {"DD/MM/YYYY": "/", "DD-MM-YYYY": "-"}


@dataclass
class Where:
    """Where a column came from, for building problems."""

    table: str
    column: Column
    origin: str
    row_label: str

    def problem(self, kind: str, message: str, hint: str, values: pd.Series, mask: pd.Series | None) -> Problem:
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
    return _apply_value_map(t, vmap), [], _none(s.index)


def to_text(
    s: pd.Series, where: Where, vmap: dict[str, str] | None = None
) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Free-text column -> stripped ``str``."""
    t = as_text(s)
    if where.column.nullable:
        t = t.mask(is_na_token(t))
    return _apply_value_map(t, vmap), [], _none(s.index)


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
    ("1,234.5", "1 234.5"), or with ``decimal=","`` as "1.234,5" / "12,5".
    """
    col = where.column
    problems: list[Problem] = []
    bad = _none(s.index)
    if ptypes.is_bool_dtype(s) or not ptypes.is_numeric_dtype(s):
        t = as_text(s)
        if col.nullable:
            t = t.mask(is_na_token(t))
        v, problems, bad = _parse_number_text(t, where, decimal)
    else:
        v = s.astype("float64")
        t = s
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


def _parse_number_text(t: pd.Series, where: Where, decimal: str) -> tuple[pd.Series, list[Problem], pd.Series]:
    col = where.column
    problems: list[Problem] = []
    mask = pd.Series(False, index=t.index)  # rows reported for a decimal comma
    sep_class = f"[{_SPACES}' ]"
    if decimal == ".":
        v = pd.to_numeric(t, errors="coerce")
        failed = v.isna() & t.notna()
        if failed.any():
            sub = t[failed]
            thousands = sub.str.fullmatch(rf"[+-]?\d{{1,3}}(?:(?:,|{sep_class})\d{{3}})+(?:\.\d+)?").astype(bool)
            comma = (
                sub.str.fullmatch(r"[+-]?\d*,\d+").astype(bool)
                | sub.str.fullmatch(r"[+-]?\d{1,3}(?:\.\d{3})+,\d+").astype(bool)  # 1.234,5
            ) & ~thousands
            if comma.any():
                mask[sub.index[comma | (thousands & sub.str.contains(",", regex=False)).to_numpy()]] = True
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
                thousands = thousands & ~sub.str.contains(",", regex=False)
            cleaned = sub[thousands].str.replace(rf"(?:,|{sep_class})", "", regex=True)
            v.loc[cleaned.index] = pd.to_numeric(cleaned, errors="coerce")
            v = v.mask(mask)
            failed = failed & ~mask
    else:
        thousands = t.str.fullmatch(rf"[+-]?\d{{1,3}}(?:(?:\.|{sep_class})\d{{3}})+(?:,\d+)?").fillna(False)
        plain = t.str.fullmatch(r"[+-]?\d+(?:,\d+)?(?:[eE][+-]?\d+)?").fillna(False)
        conv = t.where(~thousands, t.str.replace(rf"(?:\.|{sep_class})", "", regex=True))
        conv = conv.where(~(thousands | plain), conv.str.replace(",", ".", regex=False))
        v = pd.to_numeric(conv.where(thousands | plain), errors="coerce")
        failed = v.isna() & t.notna()
    failed = failed & v.isna()
    bad = mask.copy()
    if failed.any():
        bad = bad | failed
        na_like = is_na_token(t) & failed
        hint = f"Write plain numbers such as {col.example} (no units, currency symbols or text)" + (
            ", and leave the cell empty when unknown." if col.nullable else f"; every row needs a {col.name}."
        )
        if decimal == "," and t[failed].str.contains(".", regex=False).any():
            hint += " The mapping declares a decimal comma, so '12.5' is not read; write 12,5."
        if na_like.any() and not col.nullable:
            hint += f" Placeholders such as 'n/a' are not allowed in {col.name}."
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


def _date_part(t: pd.Series) -> pd.Series:
    return t.str.extract(r"^([\d./-]+)", expand=False)


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
        return s.dt.normalize().astype("datetime64[ns]"), [], _none(s.index)
    t = as_text(s)
    if col.nullable:
        t = t.mask(is_na_token(t))
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
        return _finish_date(out), problems, failed

    out = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce")
    failed = out.isna() & present
    if not failed.any():
        return _finish_date(out), problems, failed

    # slow path: recognise the shape of every value
    shape = pd.Series(pd.NA, index=t.index, dtype="object")
    for label, regex, _ in DATE_SHAPES:
        hit = present & shape.isna() & t.str.fullmatch(regex).fillna(False).astype(bool)
        if hit.any():
            shape[hit] = label
    counts = shape.value_counts()
    bad = pd.Series(False, index=t.index)
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
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
    return _finish_date(out), problems, bad


def _finish_date(out: pd.Series) -> pd.Series:
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.dt.normalize().astype("datetime64[ns]")


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
