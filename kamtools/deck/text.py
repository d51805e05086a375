"""Text on slides: strings from data made literal (numbers are written by :mod:`kamtools.formatting`).

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


__all__ = ["literal", "missing"]
