"""Accounts whose only order lines in the data are returns, credit notes or rebates (issue 17).

In the UCI Online Retail log some customers appear only through credit notes: what they bought was booked
before the log begins. Such an account has no first order (``first_order_date`` is empty in the accounts
summary) but a first credit line (``first_credit_date``). When the export has no ``customer_since`` the loader
dates the account from its first line, here a credit note: that is the date it was a customer by, not the
date it became one, so the pages do not read it as "customer since" and say what the data holds instead.
"""

from __future__ import annotations

import pandas as pd


def _date(value: object) -> pd.Timestamp | None:
    if value is None or value is pd.NaT or str(value) in ("", "nan", "None", "NaT", "<NA>"):
        return None
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError):
        return None


def credit_only(info: dict) -> bool:
    """True when the account has credit lines but no order in the data."""
    return _date(info.get("first_order_date")) is None and _date(info.get("first_credit_date")) is not None


def since_is_a_credit_note(info: dict) -> bool:
    """True when a credit-only account's ``customer_since`` is not before its first credit line (the date the
    loader fills in when the export has none): it tells when the account was a customer by, not since when."""
    if not credit_only(info):
        return False
    since = _date(info.get("customer_since"))
    return since is None or since >= _date(info.get("first_credit_date")) - pd.Timedelta(days=1)


def no_orders_phrase(info: dict) -> str:
    """'no orders in the data, only credit notes (the first on 2011-03-04)'."""
    first = _date(info.get("first_credit_date"))
    return f"no orders in the data, only returns or credit notes (the first on {first.date()})"
