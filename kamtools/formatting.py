"""How kamtools writes numbers, money, percentages and dates: one set of rules for every face.

Reports, decks, the planner, the index, CRM exports and sentences built by the analyses all
format through these functions, so the same figure reads the same everywhere:

>>> money(1_234_567), money(45_300), money(812), money(-2_500)
('1.23M', '45.3k', '812', '-2.5k')
>>> money(1_234_567, "EUR"), money(45_300, "USD"), money(812, "SEK")
('€1.23M', '$45.3k', 'SEK 812')
>>> pct(0.053), pct(0.004), pct(-0.12, signed=True), points(0.031)
('5%', '0.4%', '-12%', '+3 pts')
>>> money(None), pct(float("nan"))
('', '')

Missing values (None, NaN, NaT, pandas' NA) are written as :data:`MISSING` (an empty
string) unless a caller passes its own ``missing=`` text. Money is compact (k, M, B) since
every face shows it beside other figures; exact amounts for a CRM field or a spreadsheet
come from :func:`amount`.

The currency is a setting of the analysis (``kamtools analyze --currency EUR``) recorded in
the bundle's manifest; faces pass it to :func:`money`. Without it, amounts carry no symbol.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = [
    "MISSING",
    "CURRENCY_SYMBOLS",
    "amount",
    "attainment",
    "code",
    "count",
    "counted",
    "currency_of",
    "date",
    "day",
    "is_missing",
    "money",
    "month",
    "number",
    "pct",
    "points",
    "signed_money",
]

MISSING = ""
"""Text of a missing value."""

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹"}
"""Currencies written with a symbol in front; any other ISO code is written as 'CHF 1.2M'."""

_UNITS = ((1.0, "", 0), (1e3, "k", 1), (1e6, "M", 2), (1e9, "B", 2))


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT, pandas' NA and empty text."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _prefix(currency: str | None) -> str:
    if not currency:
        return ""
    code = str(currency).strip().upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def currency_of(bundle: object) -> str | None:
    """The currency of an analysis bundle: ``settings.currency`` of its manifest (e.g. 'EUR'), or None
    (amounts then carry no symbol). ``bundle`` is anything with a ``manifest`` dict, or the manifest itself."""
    manifest = bundle if isinstance(bundle, dict) else getattr(bundle, "manifest", None)
    settings = manifest.get("settings") if isinstance(manifest, dict) else None
    code = settings.get("currency") if isinstance(settings, dict) else None
    if code is None or is_missing(code):
        return None
    return str(code).strip().upper()


def money(value: object, currency: str | None = None, missing: str = MISSING) -> str:
    """Compact money with three significant digits: 1234567 -> '1.23M', 45300 -> '45.3k', 812 -> '812',
    45.34 -> '45.3', 1.437 -> '1.44', 45.0 -> '45' (with the currency's symbol or code). Amounts under 100 keep
    their decimals, so a portfolio booked in thousands or in small units does not read '1 against 1'.

    >>> money(1234567), money(45300), money(812.4), money(45.34), money(1.437), money(45.0), money(0.004)
    ('1.23M', '45.3k', '812', '45.3', '1.44', '45', '0')
    """
    if is_missing(value):
        return missing
    x = float(value)
    a = abs(x)
    # the smallest unit whose rounded figure stays under a thousand: 999.6 -> '1.0k', not '1000'
    size, suffix, digits = next((u for u in _UNITS if round(a / u[0], u[2]) < 1000), _UNITS[-1])
    if size == 1.0:
        text = _small_amount(a)
    else:
        text = f"{a / size:.{digits}f}"
    sign = "-" if x < 0 and text != "0" else ""
    return f"{sign}{_prefix(currency)}{text}{suffix}"


def _small_amount(a: float) -> str:
    """An amount under a thousand with three significant digits, a whole number without decimals: 9.996 -> '10'."""
    digits = 2 if round(a, 2) < 10 else 1 if round(a, 1) < 100 else 0
    text = f"{a:.{digits}f}"
    return f"{a:.0f}" if digits and float(text).is_integer() else text


def signed_money(value: object, currency: str | None = None, missing: str = MISSING) -> str:
    """A change of money with its sign: '+45.3k', '-1.20M', '±0'."""
    if is_missing(value):
        return missing
    x = float(value)
    if money(abs(x)) == "0":
        return "±0"
    return ("+" if x > 0 else "") + money(x, currency)


def amount(value: object, missing: str = MISSING) -> str:
    """An exact amount with thousands separators and no decimals: 1234567.8 -> '1,234,568'."""
    return missing if is_missing(value) else f"{float(value):,.0f}"


def pct(value: object, signed: bool = False, digits: int | None = None, missing: str = MISSING) -> str:
    """A share (0-1) as percent: 0.053 -> '5%'; a small non-zero share keeps one decimal (0.4%)."""
    if is_missing(value):
        return missing
    x = float(value)
    if digits is None:
        if 0 < x < 0.0005 and not signed:  # a share above zero never reads '0.0%' beside an exact '0%'
            return "<0.1%"
        digits = 1 if 0 < round(abs(x) * 100, 1) < 1 else 0  # 0.0099 -> "1%", not "1.0%" beside "1%"
    return f"{x:{'+' if signed else ''}.{digits}%}"


NO_COST = "no cost booked"


def margin_pct(value: object, digits: int | None = None, missing: str = MISSING) -> str:
    """A gross margin % as :func:`pct`, and where it is 100% (margin = revenue: every cost on the orders
    is 0, as in an order log without costs) with what that means: '100% (no cost booked)', so the
    figure is not read as a real margin beside the plan's 'not set until the costs are booked'.

    >>> margin_pct(0.234), margin_pct(1.0), margin_pct(1.0, digits=1)
    ('23%', '100% (no cost booked)', '100.0% (no cost booked)')
    """
    text = pct(value, digits=digits, missing=missing)
    if no_cost(value):
        text += f" ({NO_COST})"
    return text


def no_cost(margin_pct: object) -> bool:
    """A margin rate of 100%: every cost on the orders behind it is 0 (not booked), so no real margin.

    >>> no_cost(1.0), no_cost(0.23), no_cost(None)
    (True, False, False)
    """
    try:
        return float(margin_pct) >= 1.0 - 1e-9
    except (TypeError, ValueError):
        return False


def all_no_cost(margin_pcts) -> bool:
    """Every known margin rate of ``margin_pcts`` is 100% (no cost booked anywhere), and at least one is known:
    a table of such margins only repeats the revenue, so the faces leave its margin out.

    >>> all_no_cost([1.0, float("nan"), 1.0]), all_no_cost([1.0, 0.4]), all_no_cost([float("nan")])
    (True, False, False)
    """
    known = [v for v in margin_pcts if not is_missing(v)]
    return bool(known) and all(no_cost(v) for v in known)


def attainment(value: object, missing: str = MISSING) -> str:
    """What share of a target was reached (booked / target) as percent: like :func:`pct`, but a target
    missed never reads '100%' (0.996 -> '99.6%'), so the figure agrees with 'missed' beside it.

    >>> attainment(0.996), attainment(1.0), attainment(0.87), attainment(1.004)
    ('99.6%', '100%', '87%', '100%')
    """
    return pct_banded(value, (1.0,), missing=missing)


def pct_banded(value: object, edges: tuple[float, ...], missing: str = MISSING) -> str:
    """A share shown beside a band that starts at one of ``edges`` (``share >= edge``): like :func:`pct`,
    but rounding never carries a share up onto an edge it is below, so the number agrees with its
    band (0.0996 with an edge at 0.10 reads '9.9%', not '10%' beside 'low').

    >>> pct_banded(0.0996, (0.10, 0.30)), pct_banded(0.1004, (0.10, 0.30)), pct_banded(0.23, (0.10, 0.30))
    ('9.9%', '10%', '23%')
    """
    text = pct(value, missing=missing)
    if is_missing(value):
        return text
    x = float(value)
    for edge in edges:
        if x < edge and round(x * 100) >= round(edge * 100):
            return f"{math.floor(x * 1000) / 10:.1f}%"
    return text


def points(value: object, missing: str = MISSING, digits: int = 0) -> str:
    """A change of a share in percentage points: 0.031 -> '+3 pts', -0.004 -> '±0 pts'
    (``digits=1``: 0.004 -> '+0.4 pts', for the planner's small moves)."""
    if is_missing(value):
        return missing
    p = round(float(value) * 100, digits)
    return f"±{0:.{digits}f} pts" if p == 0 else f"{p:+.{digits}f} pts"


def code(value: object, missing: str = MISSING) -> str:
    """A code from the data (a tier, a band) as text: a whole number without decimals, whatever
    its dtype (a tier read from a column with gaps is 1.0: '1'), anything else as it is.

    >>> code(1.0), code(2), code("A"), code(2.5), code(None)
    ('1', '2', 'A', '2.5', '')
    """
    if is_missing(value):
        return missing
    if isinstance(value, bool):
        return str(value)
    try:
        x = float(value)  # numbers and numpy scalars; text such as 'A' stays as it is
    except (TypeError, ValueError):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return f"{int(x)}" if math.isfinite(x) and x.is_integer() else str(value)


def count(value: object, missing: str = MISSING) -> str:
    """A whole number with thousands separators: 12345 -> '12,345'."""
    return missing if is_missing(value) else f"{float(value):,.0f}"


def counted(value: object, noun: str, plural: str | None = None, missing: str = MISSING) -> str:
    """A count with its noun in the right number and thousands separators: '1 day', '2 days', '1,000 accounts'
    (``plural`` for a noun that does not just add an s: counted(3, 'category', 'categories')).

    >>> counted(1, "day"), counted(2, "week"), counted(1000, "account"), counted(1, "category", "categories")
    ('1 day', '2 weeks', '1,000 accounts', '1 category')
    """
    if is_missing(value):
        return missing
    x = float(value)
    return f"{count(x)} {noun if count(x) in ('1', '-1') else (plural or noun + 's')}"  # as it reads: 0.6 is '1 day'


def of_them(value: object, noun: str, plural: str | None = None, missing: str = MISSING) -> str:
    """How many of a group just counted are a ``noun``, in the right number: '1 of them a decision maker',
    '3 of them decision makers', '0 of them decision makers'.

    >>> of_them(1, "decision maker"), of_them(2, "decision maker")
    ('1 of them a decision maker', '2 of them decision makers')
    """
    if is_missing(value):
        return missing
    n = count(value)
    return f"{n} of them a {noun}" if n == "1" else f"{n} of them {plural or noun + 's'}"


def number(value: object, digits: int = 1, missing: str = MISSING) -> str:
    """A plain number with ``digits`` decimals and thousands separators."""
    return missing if is_missing(value) else f"{float(value):,.{digits}f}"


def date(value: object, missing: str = MISSING) -> str:
    """A date as ISO text: 2026-10-31."""
    return missing if is_missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def day(value: object, missing: str = MISSING) -> str:
    """A date as people say it: '30 Nov 2026'."""
    return missing if is_missing(value) else pd.Timestamp(value).strftime("%d %b %Y").lstrip("0")


def month(value: object, missing: str = MISSING) -> str:
    """A month as 'Oct 2026'."""
    return missing if is_missing(value) else pd.Timestamp(value).strftime("%b %Y")
