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


def with_detail(main: str, *details: str, sep: str = ", ") -> str:
    """``main`` followed by the details that are there in brackets: '4.1k (+12%)', or '4.1k' where the
    change is not known (never '4.1k ()'). Empty when ``main`` is empty and no detail is there."""
    shown = [d for d in details if str(d).strip()]
    if not shown:
        return main
    return f"{main} ({sep.join(shown)})" if str(main).strip() else sep.join(shown)


def literal(value: object, limit: int = 160) -> str:
    """``value`` as one line of plain text (empty for a missing value), at most ``limit`` characters."""
    if missing(value):
        return ""
    text = _SPACES.sub(" ", _NOT_XML.sub("", str(value))).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis (mid-word only for
    a single word longer than most of the limit)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rfind(" ")
    if cut >= limit // 2:
        head = head[:cut]
    return head.rstrip(" ,;:-(") + "\u2026"


# "1 categories" -> "1 category" in generated sentences (playbook templates, change figures): a count of
# exactly one (not 11, 1.5 or 0.1) followed by one of these plurals
_SINGULAR = {
    "pts": "pt",
    "categories": "category",
    "bids": "bid",
    "accounts": "account",
    "complaints": "complaint",
    "days": "day",
    "months": "month",
    "orders": "order",
    "invoices": "invoice",
    "contacts": "contact",
    "actions": "action",
    "risks": "risk",
    "open bids": "open bid",
    "decision makers": "decision maker",
}
_ONE_PLURAL = re.compile(
    r"(?<![\d.,])([+\-\u2212\u00b1]?1) (" + "|".join(sorted(map(re.escape, _SINGULAR), key=len, reverse=True)) + r")\b"
)


def singular(text: str) -> str:
    """``text`` with a count of one followed by its singular noun ("1 categories" -> "1 category", "-1 pts" ->
    "-1 pt"); for the sentences kamtools writes from templates, never for names from data."""
    return _ONE_PLURAL.sub(lambda m: f"{m.group(1)} {_SINGULAR[m.group(2)]}", text)


def wording(value: object, limit: int = 160) -> str:
    """:func:`literal` of a sentence kamtools wrote (a risk, an action, a change), with :func:`singular` applied
    and cut at a word boundary (names from data keep :func:`literal`'s cut, which keeps more of a long name)."""
    text = literal(value, 100_000)
    return shorten(singular(text), limit)


__all__ = ["literal", "missing", "shorten", "singular", "wording"]
