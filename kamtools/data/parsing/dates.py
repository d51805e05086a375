"""Date columns: recognise each value's shape, decide day/month order, read placeholders."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kamtools.data.parsing.cells import Where, as_text, is_na_token
from kamtools.data.parsing.date_checks import finish_date
from kamtools.data.schemas import PLACEHOLDER_DATES
from kamtools.data.validation import Problem, a_column, count, examples, verb

_ZERO_DATE = r"0{1,4}([-./])0{1,2}\1?0{1,4}(?:[ T]0{1,2}:00(?::00)?)?|0{8}"  # MySQL 0000-00-00, SAP 00000000
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


Read = tuple[pd.Series, list[Problem], pd.Series]  # (dates, problems, rows reported)


def to_date(s: pd.Series, where: Where, date_format: str | None = None, dayfirst: bool | None = None) -> Read:
    """Date column -> ``datetime64[ns]`` at midnight.

    Without ``date_format`` every value's shape is recognised (YYYY-MM-DD, DD/MM/YYYY,
    DD.MM.YYYY, ...); a column mixing shapes is a problem. Day/month order of 05/01/2024
    is decided by values with a part > 12, else by ``dayfirst`` (decided elsewhere in the
    source), else it is reported as ambiguous.
    """
    if ptypes.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return finish_date(s, where, s, [], pd.Series(False, index=s.index))
    shown = as_text(s)
    t = shown
    if where.column.nullable:
        t = t.mask(is_na_token(t))
    zero = t.str.fullmatch(_ZERO_DATE).fillna(False).astype(bool)
    if zero.any():  # 0000-00-00 / 00000000: "no date" written as zeros
        t = t.mask(zero)
    if date_format:
        out, problems, failed = _with_format(t, where, date_format)
        return finish_date(out, where, shown, problems, failed, zero)
    out = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce")
    failed = out.isna() & t.notna()
    if not failed.any():
        return finish_date(out, where, shown, [], failed, zero)
    out, problems, bad = _by_shape(t, where, dayfirst)
    return finish_date(out, where, shown, problems, bad, zero)


def _with_format(t: pd.Series, where: Where, date_format: str) -> Read:
    """Every date read with the mapping's ``date_format``."""
    col = where.column
    out = pd.to_datetime(t, format=date_format, errors="coerce")
    failed = out.isna() & t.notna()
    problems = []
    if failed.any():
        n = int(failed.sum())
        problems.append(
            where.problem(
                "not_a_date",
                f"{count(n, 'value')} of {col.name} {verb(n, 'does', 'do')} not match the date format "
                f"'{date_format}' given in the mapping.",
                "Fix these cells, or correct date_format in the mapping.",
                t,
                failed,
            )
        )
    return out, problems, failed


def _by_shape(t: pd.Series, where: Where, dayfirst: bool | None) -> Read:
    """The slow path: recognise the shape of every value and read each shape with its format.

    Placeholders (31.12.9999) are read on their own, so that they neither count as another
    format nor decide the day/month order.
    """
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
    problems: list[Problem] = []
    bad = pd.Series(False, index=t.index)
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[us]")  # [us]: 9999-12-31 fits
    part = _date_part(t)
    labels_used = {}
    for label, _, fmt in DATE_SHAPES:
        if label not in counts.index:
            continue
        hit = shape == label
        if fmt is None:
            fmt, written, found, reported = _day_month_format(t, part, hit, label, where, dayfirst)
            problems.extend(found)
            bad = bad | reported
            if fmt is None:
                continue
            labels_used[label] = written
        else:
            labels_used[label] = label
        out[hit] = pd.to_datetime(part[hit], format=fmt, errors="coerce")
    if len(labels_used) > 1:
        problem, minority = _mixed_formats(t, shape, counts, labels_used, where)
        problems.append(problem)
        bad = bad | minority
    unparsed = present & out.isna() & ~bad
    if unparsed.any():
        problems.append(_not_dates(t, unparsed, where))
        bad = bad | unparsed
    if spelled.notna().any():
        out[spelled.notna()] = pd.to_datetime(spelled.dropna(), format="%Y-%m-%d")
    return out, problems, bad


def _day_month_format(
    t: pd.Series, part: pd.Series, hit: pd.Series, label: str, where: Where, dayfirst: bool | None
) -> tuple[str | None, str, list[Problem], pd.Series]:
    """(strptime format or None when undecidable, the shape as read, problems, rows reported) of the
    dates of one day/month-order-dependent shape (DD/MM/YYYY or DD-MM-YYYY)."""
    col = where.column
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
    problems = []
    reported = pd.Series(False, index=t.index)
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
        reported = m1 | m2
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
        return None, "", problems, hit
    if order == "dmy":
        return f"%d{sep}%m{sep}%Y", f"DD{sep}MM{sep}YYYY", problems, reported
    return f"%m{sep}%d{sep}%Y", f"MM{sep}DD{sep}YYYY", problems, reported


def _mixed_formats(
    t: pd.Series, shape: pd.Series, counts: pd.Series, labels_used: dict[str, str], where: Where
) -> tuple[Problem, pd.Series]:
    """The problem of a column that mixes date shapes, and its rows in a shape other than the main one."""
    col = where.column
    parts = []
    minority_mask = pd.Series(False, index=t.index)
    main = counts.index[0]
    for label in counts.index:
        if label not in labels_used:
            continue
        hit = shape == label
        r, _, n = examples(t, hit, 3)
        rows = f"{where.row_label}{'s' if len(r) > 1 else ''} {', '.join(map(str, r))}"
        parts.append(f"{labels_used[label]} in {count(n, 'row')} ({rows})")
        if label != main:
            minority_mask |= hit
    problem = where.problem(
        "mixed_date_formats",
        f"{col.name} mixes date formats: {'; '.join(parts)}.",
        f"Export every date of {col.name} in one format, preferably YYYY-MM-DD; the rows listed use a "
        f"different format than most ({labels_used[main]}).",
        t,
        minority_mask,
    )
    return problem, minority_mask


def _not_dates(t: pd.Series, unparsed: pd.Series, where: Where) -> Problem:
    col = where.column
    serial = t[unparsed].str.fullmatch(r"\d{5}(?:\.\d+)?").fillna(False).any()
    hint = f"Write dates as YYYY-MM-DD (e.g. {col.example})" + (
        ", and leave the cell empty when unknown." if col.nullable else f"; every row needs {a_column(col.name)}."
    )
    if serial:
        hint += " Numbers like 45123 are Excel serial dates: format the column as a date before exporting."
    n = int(unparsed.sum())
    return where.problem(
        "not_a_date",
        f"{count(n, 'value')} of {col.name} {verb(n, 'is not a valid date', 'are not valid dates')}.",
        hint,
        t,
        unparsed,
    )
