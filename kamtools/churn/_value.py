"""Bridge to :mod:`kamtools.value` (optional): P(alive) and expected 12-month value.

The churn model needs them at each training snapshot (an earlier as_of), where no value
stage has run: it fits the value model there with :func:`kamtools.value.fit_value` (the
library function, not the value stage). Today's figures come from the value stage's tables,
which the churn stage declares it reads. When the value model cannot be fitted, the value
features are marked unavailable with the reason, never filled with zeros.
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
            result = value_module.fit_value(portfolio, activity_score=False)["value"]  # P(alive) in every snapshot
    except (ValueError, ArithmeticError, KeyError, RuntimeError) as exc:
        return f"The value model could not be fitted on the data of {portfolio.as_of.date()}: {exc}"
    if isinstance(result, NotAvailable):
        return result.reason
    return from_context(result)


def no_order_probability(
    portfolio: Portfolio, value: pd.DataFrame | None, value_model: pd.DataFrame | None, months: int
) -> pd.Series | None:
    """The value model's probability of no order in the next ``months`` months, per account_id.

    Uses the ``value`` and ``value_model`` tables when given (as in ``kamtools analyze``),
    else fits the value model on ``portfolio``. None when there is no fitted value model.
    """
    try:
        from kamtools import value as value_module
    except ImportError:
        return None
    if not isinstance(value, pd.DataFrame) or not isinstance(value_model, pd.DataFrame):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tables = value_module.fit_value(portfolio)
        except (ValueError, ArithmeticError, KeyError, RuntimeError):
            return None
        value, value_model = tables["value"], tables["value_model"]
    if not isinstance(value, pd.DataFrame) or not isinstance(value_model, pd.DataFrame):
        return None
    try:
        return value_module.p_no_order(value, value_model, months)
    except (ValueError, KeyError):
        return None


def from_context(table: pd.DataFrame) -> pd.DataFrame | str:
    """The value columns churn needs from a ``value`` bundle table (or a sentence why not)."""
    missing = [c for c in VALUE_COLUMNS if c not in table.columns]
    if missing:
        return f"The value table has no column(s) {missing}."
    out = table[VALUE_COLUMNS].copy()
    if "p_alive_model" in table.columns:  # the model's P(alive) where the table shows an activity score instead
        out["p_alive"] = table["p_alive_model"].to_numpy(dtype=float)
    out["account_id"] = out["account_id"].astype(str)
    return out.drop_duplicates("account_id")
