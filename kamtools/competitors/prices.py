"""The competitor price index from market-intelligence price observations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.competitors.winloss import _at, _period_label, _period_start
from kamtools.data.portfolio import NotAvailable, Portfolio


def price_index(
    portfolio: Portfolio,
    freq: str = "Q",
    as_of: str | pd.Timestamp | None = None,
    scope: str = "all",
) -> pd.DataFrame | NotAvailable:
    """Competitors' price index (their price as % of ours) by competitor, category and period.

    Parameters
    ----------
    freq : ``"Q"``, ``"H"`` or ``"Y"`` periods of the observation date.
    scope : ``"all"`` observations, ``"market"`` (no account_id) or ``"account"`` only.

    Returns ``competitor, category, period_start, period, price_index`` (mean),
    ``price_index_median``, ``n_obs``, ``price_gap`` (our premium implied by the mean
    index: 100 / index - 1). Rows with ``category == "All categories"`` pool the
    categories of a competitor. NotAvailable without competitor_prices.
    """
    portfolio = _at(portfolio, as_of)
    if not portfolio.has("competitor_prices"):
        return NotAvailable("No competitor_prices table was supplied, so our price position is unknown.")
    cp = portfolio.tables["competitor_prices"]
    if scope == "market":
        cp = cp[cp["account_id"].isna()] if "account_id" in cp.columns else cp
    elif scope == "account":
        cp = cp[cp["account_id"].notna()] if "account_id" in cp.columns else cp.iloc[0:0]
    elif scope != "all":
        raise ValueError("price_index: scope must be 'all', 'market' or 'account'")
    if cp.empty:
        return NotAvailable(f"No competitor price observations in scope {scope!r}.")
    cp = cp.assign(period_start=_period_start(cp["date"], freq))
    both = pd.concat([cp, cp.assign(category="All categories")], ignore_index=True)
    out = (
        both.groupby(["competitor", "category", "period_start"], observed=True)["price_index"]
        .agg(price_index="mean", price_index_median="median", n_obs="size")
        .reset_index()
    )
    out.insert(3, "period", _period_label(out["period_start"], freq))
    out["n_obs"] = out["n_obs"].astype(np.int64)
    out["price_gap"] = 100 / out["price_index"] - 1
    return out
