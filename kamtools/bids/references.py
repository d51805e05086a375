"""What the bid desk knows about each bid's competitor price, and the bids it learns from.

For an open bid the competitor's price is, in order of preference:

1. ``competitor_price`` of the opportunity (basis ``"competitor's quoted price"``);
2. the ``competitor_prices`` index (competitor's price as % of ours) observed in the last
   :data:`INDEX_DAYS` days before the as-of date, for the same account, category and
   competitor, else the same category and competitor, else the category's mean over all
   competitors; the competitor's price is then ``our_price * index / 100`` (basis
   ``"market price index"``);
3. nothing: the win probability at our current price is the account's (pooled) record on
   bids without a competitor price, moved by the portfolio's price response as our price
   moves (basis ``"account's win history only"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.bids.winmodel import bid_keys, log_ratio
from kamtools.competitors import decided_bids
from kamtools.data.portfolio import NotAvailable, Portfolio

QUOTED = "competitor's quoted price"
INDEX = "market price index"
HISTORY = "account's win history only"
INDEX_DAYS = 365
DEFAULT_PRICE = 100.0  # our_price of a bid that has none: 100 = our standard price level


def training_bids(portfolio: Portfolio) -> pd.DataFrame | NotAvailable:
    """Decided bids with ``won``, plain-string keys and ``log_ratio`` (NaN without both prices)."""
    bids = decided_bids(portfolio)
    if isinstance(bids, NotAvailable):
        return bids
    if bids.empty:
        return NotAvailable("No bid has been decided (won or lost) yet, so there is nothing to learn prices from.")
    out = bids.copy()
    out[["account_id", "competitor", "category"]] = bid_keys(bids)
    if "our_price" in out.columns and "competitor_price" in out.columns:
        out["log_ratio"] = log_ratio(out["our_price"], out["competitor_price"])
    else:
        out["log_ratio"] = np.nan
    return out


def open_bids(portfolio: Portfolio) -> pd.DataFrame | NotAvailable:
    """The open opportunities (status ``open``) with plain-string keys."""
    if not portfolio.has("opportunities"):
        return NotAvailable("No opportunities table was supplied, so there are no bids to price.")
    opp = portfolio.tables["opportunities"]
    open_ = opp[opp["status"] == "open"].copy()
    keys = bid_keys(open_)
    open_["account_id"] = keys["account_id"]
    open_["competitor_name"] = keys["competitor"]
    open_["category_name"] = keys["category"]
    for col in ("our_price", "competitor_price"):
        if col not in open_.columns:
            open_[col] = np.nan
        open_[col] = open_[col].astype(float)
    open_["price_given"] = open_["our_price"].gt(0)
    open_["our_price"] = open_["our_price"].where(open_["price_given"], DEFAULT_PRICE)
    return open_.reset_index(drop=True)


def _index_lookup(portfolio: Portfolio) -> tuple[pd.Series, pd.Series, pd.Series] | None:
    """Mean price index by (account, category, competitor), (category, competitor) and category."""
    if not portfolio.has("competitor_prices"):
        return None
    cp = portfolio.tables["competitor_prices"]
    cp = cp[(cp["date"] <= portfolio.as_of) & (cp["date"] > portfolio.as_of - pd.Timedelta(days=INDEX_DAYS))]
    cp = cp[cp["price_index"].astype(float) > 0]
    if cp.empty:
        return None
    cat, comp = cp["category"].astype("str"), cp["competitor"].astype("str")
    idx = cp["price_index"].astype(float)
    if "account_id" in cp.columns:
        acc = cp["account_id"]
        has = acc.notna()
        by_acc = idx[has].groupby([acc[has], cat[has], comp[has]]).mean()
    else:
        by_acc = pd.Series(dtype=float)
    by_comp = idx.groupby([cat, comp]).mean()
    by_cat = idx.groupby(cat).mean()
    return by_acc, by_comp, by_cat


def _lookup(series: pd.Series, keys: list[tuple]) -> np.ndarray:
    if series.empty:
        return np.full(len(keys), np.nan)
    return series.reindex(pd.MultiIndex.from_tuples(keys) if isinstance(keys[0], tuple) else keys).to_numpy(float)


def reference_prices(portfolio: Portfolio, bids: pd.DataFrame) -> pd.DataFrame:
    """Per open bid: ``competitor_price_used`` (NaN when unknown), ``price_basis``, ``price_index_used`` and
    ``price_index_scope`` (where the index came from: "account", "competitor", "market" or "")."""
    n = len(bids)
    quoted = bids["competitor_price"].where(bids["competitor_price"] > 0)
    index = np.full(n, np.nan)
    scope = np.full(n, "", dtype=object)
    found = _index_lookup(portfolio)
    if found is not None and n:
        by_acc, by_comp, by_cat = found
        acc, cat, comp = bids["account_id"], bids["category_name"], bids["competitor_name"]
        at_account = _lookup(by_acc, list(zip(acc, cat, comp, strict=True)))
        of_competitor = _lookup(by_comp, list(zip(cat, comp, strict=True)))
        market = by_cat.reindex(cat).to_numpy(float)
        index = np.where(np.isnan(at_account), np.where(np.isnan(of_competitor), market, of_competitor), at_account)
        scope = np.where(
            np.isfinite(at_account), "account", np.where(np.isfinite(of_competitor), "competitor", "market")
        )
    from_index = bids["our_price"].to_numpy(float) * index / 100
    used = np.where(quoted.notna(), quoted.to_numpy(float), from_index)
    basis = np.where(quoted.notna(), QUOTED, np.where(np.isfinite(from_index), INDEX, HISTORY))
    return pd.DataFrame(
        {
            "competitor_price_used": used,
            "price_basis": basis.astype(object),
            "price_index_used": np.where(quoted.notna(), np.nan, index),
            "price_index_scope": np.where(quoted.notna() | np.isnan(index), "", scope).astype(object),
        },
        index=bids.index,
    )
