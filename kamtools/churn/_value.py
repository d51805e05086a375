"""Bridge to :mod:`kamtools.value` (optional): P(alive) and expected 12-month value.

The churn module uses the value model when it is importable and can be fitted; otherwise
the value features are marked unavailable with the reason, never filled with zeros.
"""

from __future__ import annotations

import warnings

import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio

VALUE_COLUMNS = ["account_id", "p_alive", "expected_value_12m"]


def value_table(portfolio: Portfolio) -> pd.DataFrame | str:
    """``account_id, p_alive, expected_value_12m`` fitted on ``portfolio`` (at its as_of).

    Returns a sentence (str) saying why when the value module is missing or cannot be
    fitted on this data (e.g. too few accounts with orders).
    """
    try:
        from kamtools import value as value_module
    except ImportError:
        return "The value module (kamtools.value) is not part of this kamtools version."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = value_module.bundle_tables(portfolio, {})["value"]
    except (ValueError, ArithmeticError, KeyError, RuntimeError) as exc:
        return f"The value model could not be fitted on the data of {portfolio.as_of.date()}: {exc}"
    if isinstance(result, NotAvailable):
        return result.reason
    return from_context(result)


def from_context(table: pd.DataFrame) -> pd.DataFrame | str:
    """The value columns churn needs from a ``value`` bundle table (or a sentence why not)."""
    missing = [c for c in VALUE_COLUMNS if c not in table.columns]
    if missing:
        return f"The value table has no column(s) {missing}."
    out = table[VALUE_COLUMNS].copy()
    out["account_id"] = out["account_id"].astype(str)
    return out.drop_duplicates("account_id")
