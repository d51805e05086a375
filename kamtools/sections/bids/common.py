"""Shared helpers of the bid desk sections: the title, how many curves an account gets, number and text formatting."""

from __future__ import annotations

import math

import pandas as pd

from kamtools import formatting
from kamtools.data.portfolio import NotAvailable
from kamtools.plotting.bids import price_text

TITLE = "Bids and tenders"
CHARTS_PER_ACCOUNT = 2
"""How many open bids of one account get a win/margin curve chart (the largest gains first)."""


def _num(value: object) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v


def _price(value: object) -> str:
    v = _num(value)
    return "" if math.isnan(v) else price_text(v)


def _pct(value: object) -> str:
    v = _num(value)
    return "" if math.isnan(v) else f"{v:.0%}"


def _m(value: object, signed: bool = False, currency: str | None = None) -> str:
    v = _num(value)
    if math.isnan(v):
        return ""
    return formatting.signed_money(v, currency) if signed else formatting.money(v, currency)


def _text(value: object, missing: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return missing
    s = str(value)
    return missing if s in ("", "nan", "None", "<NA>") else s


def _month(value: object) -> str:
    ts = pd.to_datetime(_text(value), errors="coerce") if _text(value) else pd.NaT
    return "" if pd.isna(ts) else ts.strftime("%b %Y")


def _months(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.astype(str), errors="coerce")


def _range(lo: object, hi: object, fmt) -> str:
    a, b = fmt(lo), fmt(hi)
    return f"{a} to {b}" if a and b else ""


def _table(acct, name: str) -> pd.DataFrame | NotAvailable:
    """This account's rows of ``name`` (a portfolio-level table is cut to the account)."""
    try:
        return acct.table(name)
    except ValueError:
        whole = acct.portfolio_table(name)
        if isinstance(whole, NotAvailable) or "account_id" not in whole.columns:
            return whole
        return whole[whole["account_id"] == acct.account_id].reset_index(drop=True)


def _competitor(row) -> str:
    from kamtools.competitors import UNKNOWN_COMPETITOR

    name = _text(row.get("competitor"), "no known competitor")
    return "no known competitor" if name == UNKNOWN_COMPETITOR else name


def _kept(row) -> bool:
    """The bid keeps its current price (the recommendation is exactly ours: in the good range, a gain that is
    not certain, or an evidence rule; :mod:`kamtools.bids.recommend`, :mod:`kamtools.bids.evidence`)."""
    rec, our = _num(row.get("recommended_price")), _num(row.get("our_price"))
    return not math.isnan(rec) and not math.isnan(our) and abs(rec - our) < 1e-9
