"""Text on slides: strings from data made literal, numbers formatted for people.

Every string a deck shows that comes from data (account names, categories, competitor
names, ids) passes through :func:`literal`: characters that XML cannot carry are dropped,
line breaks become spaces and very long values are shortened, so a name shows as the
same characters it has in the data and is never read as a formula, a field or markup
(python-pptx writes text runs as plain XML text; chart workbooks are written with
formulas and links turned off, see :mod:`kamtools.deck.charts`).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from kamtools.display import money as _money

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"[\r\n\t]+")


def missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas' NA."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:
        return False


def literal(value: object, limit: int = 160) -> str:
    """``value`` as one line of plain text (empty for a missing value), at most ``limit`` characters."""
    if missing(value):
        return ""
    text = _SPACES.sub(" ", _NOT_XML.sub("", str(value))).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def money(value: object) -> str:
    """1234567 -> '1.23M' ('-' when missing)."""
    return "-" if missing(value) else _money(float(value))


def pct(value: object, signed: bool = False, digits: int = 0) -> str:
    """0.053 -> '5%' (or '+5%'); '-' when missing."""
    if missing(value):
        return "-"
    return f"{float(value):{'+' if signed else ''}.{digits}%}"


def count(value: object) -> str:
    """An integer with thousands separators ('-' when missing)."""
    return "-" if missing(value) else f"{float(value):,.0f}"


def date(value: object) -> str:
    """A date as 2026-10-31 ('-' when missing)."""
    if missing(value):
        return "-"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def day(value: object) -> str:
    """A date as '30 Nov 2026' ('-' when missing)."""
    if missing(value):
        return "-"
    return pd.Timestamp(value).strftime("%d %b %Y").lstrip("0")


def month(value: object) -> str:
    """A month as 'Oct 2026'."""
    return pd.Timestamp(value).strftime("%b %Y")


def number(value: object, digits: int = 0) -> str:
    return "-" if missing(value) else f"{float(value):,.{digits}f}"


__all__ = ["count", "date", "day", "literal", "missing", "money", "month", "number", "pct"]
