"""The last step of every date column: "no date" placeholders and impossible years."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.parsing.cells import Where
from kamtools.data.schemas import NOT_YET, PLACEHOLDER_DATES, min_date, today
from kamtools.data.validation import Problem, count, fmt_value, verb

_PLACEHOLDER_DAYS = np.array(PLACEHOLDER_DATES, dtype="datetime64[D]")
_NS_FIRST, _NS_LAST = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")  # what datetime64[ns] can hold


def finish_date(
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
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    out = out.dt.normalize()
    days = out.to_numpy().astype("datetime64[D]")
    placeholder = pd.Series(np.isin(days, _PLACEHOLDER_DAYS), index=out.index)
    if zero is not None:
        placeholder |= zero
    impossible = out.notna() & ((out < _NS_FIRST) | (out > _NS_LAST))
    if placeholder.any():
        if where.column.nullable:
            problems.append(_placeholders_read_as_empty(where, shown, placeholder))
            out = out.mask(placeholder)
            impossible &= ~placeholder
        else:
            fatal = placeholder & (impossible | (zero if zero is not None else False))
            if fatal.any():
                problems.append(_placeholders_in_required(where, shown, placeholder, fatal))
                bad = bad | fatal
                out = out.mask(fatal)
                impossible &= ~fatal
            doubtful = placeholder & ~fatal & out.notna() & (out >= min_date(where.table, where.column.name))
            doubtful &= out <= today()
            if doubtful.any():
                problems.append(_doubtful_dates(where, shown, out, doubtful))
    if impossible.any():
        problems.append(_impossible_years(where, shown, out, impossible))
        bad = bad | impossible
        out = out.mask(impossible)
    return out.astype("datetime64[ns]"), problems, bad


def _listed(shown: pd.Series, placeholder: pd.Series) -> str:
    """The placeholders as written, with their counts: "'9999-12-31' (3x), ..."."""
    counts = shown[placeholder].value_counts()
    listed = ", ".join(f"{fmt_value(v)} ({c:,}x)" for v, c in counts.head(4).items())
    return listed + (f" and {len(counts) - 4} more" if len(counts) > 4 else "")


def _placeholders_read_as_empty(where: Where, shown: pd.Series, placeholder: pd.Series) -> Problem:
    col = where.column
    if (where.table, col.name) in NOT_YET:
        meaning = f" ({NOT_YET[where.table, col.name]})"
    else:
        meaning = f", so {col.name} is {col.derived}" if col.derived else ""
    n = int(placeholder.sum())
    return where.problem(
        "placeholder_date",
        f"{count(n, 'value')} of {col.name} {verb(n, 'is a placeholder', 'are placeholders')} for "
        f"'no date' ({_listed(shown, placeholder)}): read as empty{meaning}.",
        "Nothing to do if that is right; export such cells empty to avoid this warning.",
        shown,
        placeholder,
        level="warning",
    )


def _placeholders_in_required(where: Where, shown: pd.Series, placeholder: pd.Series, fatal: pd.Series) -> Problem:
    col = where.column
    nf = int(fatal.sum())
    return where.problem(
        "placeholder_date",
        f"{count(nf, 'value')} of {col.name} {verb(nf, 'is a placeholder', 'are placeholders')} for "
        f"'no date' ({_listed(shown, placeholder)}), but every row needs a real {col.name}.",
        f"Fill in the real {col.name.replace('_', ' ')} or remove these rows from the export.",
        shown,
        fatal,
    )


def _doubtful_dates(where: Where, shown: pd.Series, out: pd.Series, doubtful: pd.Series) -> Problem:
    col = where.column
    nd = int(doubtful.sum())
    dates = ", ".join(sorted(set(str(d.date()) for d in out[doubtful].head(50))))
    return where.problem(
        "placeholder_date",
        f"{count(nd, 'value')} of {col.name} {verb(nd, 'is', 'are')} a date that systems often write "
        f"for 'no date' ({dates}).",
        f"Check these rows: if the real {col.name.replace('_', ' ')} is unknown, correct it in the source.",
        shown,
        doubtful,
        level="warning",
    )


def _impossible_years(where: Where, shown: pd.Series, out: pd.Series, impossible: pd.Series) -> Problem:
    col = where.column
    ni = int(impossible.sum())
    years = ", ".join(sorted(set(str(y) for y in out[impossible].dt.year.head(50))))
    return where.problem(
        "date_out_of_range",
        f"{count(ni, 'value')} of {col.name} {verb(ni, 'is', 'are')} not a plausible date (year {years}).",
        "Correct the year (a typo?)" + (" or leave the cell empty when unknown." if col.nullable else "."),
        shown,
        impossible,
    )
