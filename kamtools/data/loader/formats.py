"""How the export writes numbers and dates: decimal separator per file, day/month order per source."""

from __future__ import annotations

import pandas as pd

from kamtools.data.loader.state import Findings
from kamtools.data.model import TABLES
from kamtools.data.parsing import as_text, separator_evidence, slash_order_evidence
from kamtools.data.readers import RawTable
from kamtools.data.validation import Problem, examples

Ambiguous = tuple[str, pd.Series, pd.Series, pd.Series]  # (column, text, ambiguous dots, ambiguous commas)


def number_format(name: str, raw: RawTable, rename: dict[str, list[str]], findings: Findings) -> str:
    """The decimal separator of one file's numbers ('.' or ','), when the mapping does not say.

    Values such as 12,5 or 1.234,56 can only be written with a decimal comma, 12.5 or
    1,234.56 only with a decimal point. A file that shows only the comma style is read
    with a decimal comma (then 1.000 is one thousand); one that shows neither but has
    columns where every separated value looks like 1.000 or 2,500 gets a warning, as
    those read either way.
    """
    point, comma, ambiguous = _separator_evidence(name, raw, rename)
    if comma and not point:
        findings.warnings.append(_decimal_comma(name, raw.origin))
        return ","
    if point or comma:
        return "."
    for col, t, amb_dot, amb_comma in ambiguous:
        findings.warnings.extend(_ambiguous(name, col, t, amb_dot, amb_comma, raw.origin, raw.row_label))
    return "."


def _separator_evidence(name: str, raw: RawTable, rename: dict[str, list[str]]) -> tuple[bool, bool, list[Ambiguous]]:
    """(a decimal point seen, a decimal comma seen, columns that read either way) over the numeric columns."""
    spec = TABLES[name]
    point = comma = False
    ambiguous: list[Ambiguous] = []
    for rawcol, targets in rename.items():
        if not any(spec.column(t).dtype in ("float", "int") for t in targets) or rawcol not in raw.frame.columns:
            continue
        s = raw.frame[rawcol]
        if isinstance(s, pd.DataFrame) or (pd.api.types.is_numeric_dtype(s) and s.dtype != object):
            continue
        if s.dtype == object:  # Excel: cells holding real numbers say nothing about how text is written
            s = s[s.map(lambda x: isinstance(x, str))]
        t = as_text(s)
        p, c, amb_dot, amb_comma = separator_evidence(t)
        point, comma = point or p, comma or c
        if amb_dot.any() or amb_comma.any():
            ambiguous.append((targets[0], t, amb_dot, amb_comma))
    return point, comma, ambiguous


def _decimal_comma(name: str, origin: str) -> Problem:
    return Problem(
        name,
        None,
        f"numbers in {origin} are written with a decimal comma (such as 12,5 or 1.234,56), "
        "so they were read that way: 1.000 is one thousand.",
        hint=f"Nothing to do if that is right; otherwise declare the separator in the mapping: "
        f"{name}: {{decimal: '.'}}.",
        origin=origin,
        kind="decimal_comma_detected",
        level="warning",
    )


def _ambiguous(
    name: str, col: str, t: pd.Series, amb_dot: pd.Series, amb_comma: pd.Series, origin: str, label: str
) -> list[Problem]:
    out = []
    for mask, sep, reading, otherwise in (
        (amb_dot, "dot", "a decimal point (1.000 = 1)", "separates thousands (1.000 = 1000)"),
        (amb_comma, "comma", "a thousands separator (1,000 = 1000)", "is the decimal comma (1,000 = 1)"),
    ):
        if not mask.any():
            continue
        rows, vals, n = examples(t, mask)
        out.append(
            Problem(
                name,
                col,
                f"every value of {col} with a {sep} has exactly three digits after it, and no other number "
                f"in {origin} shows which separator is the decimal one: read with {reading}.",
                hint=f"If the {sep} {otherwise}, declare the decimal comma in the mapping: "
                f"{name}: {{decimal: ','}}; if the reading is right, declare {name}: {{decimal: '.'}} "
                "to silence this warning.",
                rows=rows,
                values=vals,
                n_rows=n,
                origin=origin,
                row_label=label,
                kind="ambiguous_separator",
                level="warning",
            )
        )
    return out


def day_first(raw: dict[str, RawTable], resolved: dict[str, dict[str, list[str]]], date_formats: dict) -> bool | None:
    """Day/month order of dd/mm/yyyy dates, decided across all tables of the source.

    ``date_formats``: table -> the mapping's date_format (tables with one say nothing here).
    """
    evidence = set()
    for name, table in raw.items():
        if date_formats.get(name):
            continue
        for rawcol, targets in resolved[name].items():
            if any(TABLES[name].column(t).dtype == "date" for t in targets):
                e = slash_order_evidence(table.frame[rawcol])
                if e in ("dmy", "mdy"):
                    evidence.add(e)
    if evidence == {"dmy"}:
        return True
    if evidence == {"mdy"}:
        return False
    return None
