"""Identifier, free-text and closed-list (category) columns."""

from __future__ import annotations

import pandas as pd

from kamtools.data.parsing.cells import Where, apply_value_map, as_text, is_na_token, spreadsheet_errors
from kamtools.data.validation import Problem, count, verb


def to_id(s: pd.Series, where: Where, vmap: dict[str, str] | None = None) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Identifier column -> stripped ``str``; "1001.0" -> "1001"."""
    t = as_text(s)
    if t.str.contains(".", regex=False).any():
        t = t.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    if where.column.nullable:
        t = t.mask(is_na_token(t))
    problems, bad = spreadsheet_errors(t, where)
    return apply_value_map(t.mask(bad), vmap), problems, bad


def to_text(
    s: pd.Series, where: Where, vmap: dict[str, str] | None = None
) -> tuple[pd.Series, list[Problem], pd.Series]:
    """Free-text column -> stripped ``str``."""
    t = as_text(s)
    if where.column.nullable:
        t = t.mask(is_na_token(t))
    problems, bad = spreadsheet_errors(t, where)
    return apply_value_map(t.mask(bad), vmap), problems, bad


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
    t = apply_value_map(t, vmap)
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
