"""Churn features: one row per account, computed only from what was known on ``as_of``.

:func:`features` first cuts the portfolio back to ``as_of`` with
:meth:`Portfolio.truncate`, so nothing dated later (orders, complaints, resolutions,
payments, bid outcomes) can reach a feature: leakage is impossible by construction.
All computations are vectorised (``np.bincount`` over integer account codes and
pandas ``groupby``), so 10,000 accounts with millions of order lines take seconds.

A revenue or ordering trend ("last 6 months vs the 6 months before") whose earlier window
lies before the first order of the portfolio is NaN (unknown), not a jump from zero: the
data does not say what the account bought then (see :mod:`kamtools.history`).

Each feature has a plain-language label (:data:`FEATURE_LABELS`) and a unit
(:data:`FEATURE_UNITS`) used to write drivers as sentences. Features that need an
optional table are *absent* (not zero) when the table is missing; the reason is kept in
``df.attrs["unavailable"]`` and returned by :func:`feature_availability`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn._arrays import _day, _OrderArrays
from kamtools.churn.account_features import _account_features, _complaint_features, _invoice_features
from kamtools.churn.catalogue import (
    CATEGORICAL_FEATURES,
    FEATURE_LABELS,
    FEATURE_SOURCES,
    FEATURE_UNITS,
    feature_availability,
    format_value,
)
from kamtools.churn.market_features import _competitor_price_features, _opportunity_features
from kamtools.churn.order_features import _order_features
from kamtools.churn.reasons import PRESENTABLE_FEATURES, RISK_DIRECTION, reassuring_side, risky_side
from kamtools.churn.relationship_features import _SPONSOR_LEFT_MONTHS as _SPONSOR_LEFT_MONTHS  # a test reads it here
from kamtools.churn.relationship_features import _has_left_dates, _relationship_features
from kamtools.churn.sentences import driver_text
from kamtools.data.portfolio import Portfolio

__all__ = [
    "FEATURE_LABELS",
    "FEATURE_UNITS",
    "FEATURE_SOURCES",
    "CATEGORICAL_FEATURES",
    "PRESENTABLE_FEATURES",
    "RISK_DIRECTION",
    "driver_text",
    "features",
    "feature_availability",
    "format_value",
    "reassuring_side",
    "risky_side",
]


def _value_features(p: Portfolio, out: dict[str, np.ndarray], unavailable: dict[str, str]) -> None:
    from kamtools.churn._value import value_table

    table = value_table(p)
    if isinstance(table, str):
        for f in FEATURE_SOURCES["value"]:
            unavailable[f] = table
        return
    aligned = p.accounts[["account_id"]].merge(table, on="account_id", how="left")
    out["p_alive"] = aligned["p_alive"].to_numpy(dtype=float)
    out["expected_value_12m"] = aligned["expected_value_12m"].to_numpy(dtype=float)


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------
def features(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, use_value: bool = True) -> pd.DataFrame:
    """Churn features per account from the data known on ``as_of``.

    Parameters
    ----------
    portfolio : the validated portfolio.
    as_of : snapshot date (default ``portfolio.as_of``). The portfolio is cut back to it
        with :meth:`Portfolio.truncate` first, so no later fact can leak in.
    use_value : add ``p_alive`` and ``expected_value_12m`` from :mod:`kamtools.value`
        when that module is importable and fits (it refits the value model at ``as_of``).

    Returns
    -------
    DataFrame, one row per account that was a customer on ``as_of``: ``account_id`` then
    the available features of :data:`FEATURE_LABELS` (numbers as float64, the
    :data:`CATEGORICAL_FEATURES` as text). Features whose optional table is missing are
    absent; ``df.attrs["unavailable"]`` maps each absent feature to the reason.

    Example
    -------
    >>> X = features(portfolio, "2025-06-30")  # doctest: +SKIP
    >>> X[["account_id", "days_since_last_order", "revenue_change_6m"]].head()  # doctest: +SKIP
    """
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    p = portfolio if as_of == portfolio.as_of else portfolio.truncate(as_of)
    index = pd.Index(p.accounts["account_id"].astype(object))
    t = _day(p.as_of)
    out: dict[str, np.ndarray] = {}
    unavailable: dict[str, str] = {}
    orders = _OrderArrays.build(p, index)
    _order_features(p, index, t, orders, out)
    _account_features(p, out, unavailable)
    groups = [
        ("complaints", _complaint_features),
        ("invoices", _invoice_features),
        ("opportunities", _opportunity_features),
        ("competitor_prices", _competitor_price_features),
    ]
    for table, fn in groups:
        if p.has(table):
            if fn is _competitor_price_features:
                fn(p, index, t, orders, out)
            else:
                fn(p, index, t, out)
        else:
            for f in FEATURE_SOURCES[table]:
                unavailable[f] = f"No {table} table was supplied."
    if p.has("contacts") or p.has("interactions"):
        _relationship_features(p, index, t, out, unavailable, _has_left_dates(portfolio))
    else:
        for f in FEATURE_SOURCES["contacts"] + FEATURE_SOURCES["interactions"]:
            unavailable[f] = "No contacts or interactions table was supplied."
    if use_value:
        _value_features(p, out, unavailable)
    else:
        for f in FEATURE_SOURCES["value"]:
            unavailable[f] = "The value model was not used for these features."
    cols = [f for f in FEATURE_LABELS if f in out]
    df = pd.DataFrame({"account_id": p.accounts["account_id"].astype(str).to_numpy()})
    for f in cols:
        if f in CATEGORICAL_FEATURES:
            df[f] = pd.Series(list(out[f]), dtype="str")
        else:
            df[f] = np.asarray(out[f], dtype=float)
    df.attrs["unavailable"] = unavailable
    df.attrs["as_of"] = str(p.as_of.date())
    return df
