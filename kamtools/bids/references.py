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

For 2 and 3 the price response is borrowed from quoted bids; :mod:`kamtools.bids.evidence`
tests it on the decided bids without a quote (:func:`index_scatter` puts the test in its
``attrs["response"]``, :func:`reference_prices` in its own), and when they show none such
bids keep their current price.

An index is not the competitor's quote: :func:`index_scatter` measures, on the decided bids
where both were known, how far the competitor's quoted price lay from the index the bid
would have used (same scope, over the 12 months before the bid's month). For an index-priced
bid the competitor's price is then ``index price x exp(shift + sd x z)`` with ``z`` standard
normal: ``shift`` (the mean of log(quoted / index price)) moves the central estimate and
``sd`` (their standard deviation) is carried into P(win) (see
:func:`kamtools.bids.recommend.win_probability`). A scope with fewer than
:data:`MIN_SCATTER_BIDS` such bids borrows the next wider scope's figures (account ->
competitor -> market); with none at all the scatter is :data:`DEFAULT_INDEX_SD` and the shift 0.

Nor is an index-priced bid a quoted one in the win record: bids without a quote have their own
level in the win model (its ``no_competitor_price`` term). So the curve of an index-priced bid
is anchored on that record: at the index gap past bids without a quote typically had (the mean
log(our price / index price) over at least :data:`MIN_SCATTER_BIDS` of them, ``anchor_gap``)
it gives their pooled win probability, and it moves with the portfolio's price response as
this bid's gap (or our price) differs. With too few such bids the index price is used as a
quote would be.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.bids.evidence import RESPONSE_ALPHA, ResponseTest, no_quote_response
from kamtools.bids.winmodel import bid_keys, log_ratio
from kamtools.competitors import decided_bids
from kamtools.data.portfolio import NotAvailable, Portfolio

QUOTED = "competitor's quoted price"
INDEX = "market price index"
HISTORY = "account's win history only"
INDEX_DAYS = 365
INDEX_MONTHS = 12  # the index a decided bid would have used: sightings of the 12 months before its month
MIN_SCATTER_BIDS = 10  # bids with a quote and an index needed to measure a scope's scatter
DEFAULT_INDEX_SD = 0.05  # log-scale scatter of a quote around the index when none can be measured
SCOPES = ("account", "competitor", "market")
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


def _months(dates: pd.Series) -> np.ndarray:
    """Month number (year x 12 + month) of each date."""
    d = pd.to_datetime(dates)
    return (d.dt.year * 12 + d.dt.month).to_numpy(np.int64)


def _window_means(cp: pd.DataFrame, cols: list[str], keys: pd.DataFrame, months: np.ndarray) -> np.ndarray:
    """Mean ``price_index`` of the sightings with each row's key (``cols`` of ``keys``) over the
    :data:`INDEX_MONTHS` months before the row's month (NaN when there are none)."""
    sight = cp.dropna(subset=cols)
    if sight.empty or not len(keys):
        return np.full(len(keys), np.nan)
    grp = sight.groupby([*cols, "_m"], observed=True)["price_index"].agg(["sum", "count"])
    m0, m1 = int(sight["_m"].min()), int(sight["_m"].max())
    span = m1 - m0 + 1
    wide_sum = grp["sum"].unstack("_m").reindex(columns=range(m0, m1 + 1)).fillna(0.0)
    wide_n = grp["count"].unstack("_m").reindex(columns=range(m0, m1 + 1)).fillna(0.0)
    zeros = np.zeros((len(wide_sum), 1))
    cum_sum = np.hstack([zeros, np.cumsum(wide_sum.to_numpy(), axis=1)])  # [:, j]: months before m0 + j
    cum_n = np.hstack([zeros, np.cumsum(wide_n.to_numpy(), axis=1)])
    where = pd.MultiIndex.from_frame(keys[cols]) if len(cols) > 1 else pd.Index(keys[cols[0]])
    row = wide_sum.index.get_indexer(where)
    hi = np.clip(months - m0, 0, span)
    lo = np.clip(months - INDEX_MONTHS - m0, 0, span)
    r = np.maximum(row, 0)
    total = cum_sum[r, hi] - cum_sum[r, lo]
    count = cum_n[r, hi] - cum_n[r, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((row >= 0) & (count > 0), total / count, np.nan)


_SCOPE_KEYS = {
    "account": ["account_id", "category", "competitor"],
    "competitor": ["category", "competitor"],
    "market": ["category"],
}


def _index_history(portfolio: Portfolio) -> tuple[pd.DataFrame, dict[str, np.ndarray]] | None:
    """The decided bids with our price and a created date, and for each scope the index each
    would have used (mean over the 12 months before its month; NaN where none was seen)."""
    bids = training_bids(portfolio)
    if isinstance(bids, NotAvailable) or not portfolio.has("competitor_prices") or "our_price" not in bids.columns:
        return None
    bids = bids[(bids["our_price"].astype(float) > 0).to_numpy() & bids["created_date"].notna().to_numpy()]
    cp = portfolio.tables["competitor_prices"]
    cp = cp[(cp["date"] <= portfolio.as_of) & (cp["price_index"].astype(float) > 0)]
    if bids.empty or cp.empty:
        return None
    cp = pd.DataFrame(
        {
            "account_id": cp["account_id"].astype("str") if "account_id" in cp.columns else None,
            "category": cp["category"].astype("str"),
            "competitor": cp["competitor"].astype("str"),
            "price_index": cp["price_index"].astype(float),
            "_m": _months(cp["date"]),
        }
    )
    months = _months(bids["created_date"])
    return bids, {scope: _window_means(cp, key, bids, months) for scope, key in _SCOPE_KEYS.items()}


def index_scatter(portfolio: Portfolio) -> pd.DataFrame:
    """How far quoted competitor prices lay from the price index, per scope (see module docstring).

    One row per scope ("account", "competitor", "market") with ``n_bids`` (decided bids with a
    quote and an index at that scope), ``shift`` and ``sd`` (mean and standard deviation of
    log(quoted price / index price)) and ``source`` (the scope whose bids gave the figures, or
    "assumed" for :data:`DEFAULT_INDEX_SD`). Its ``attrs`` hold the anchor of index-priced bids:
    ``anchor_n`` decided bids without a quote but with an index, and ``anchor_gap``, the mean of
    log(our price / competitor's price from the index) over them (NaN when fewer than
    :data:`MIN_SCATTER_BIDS`; :func:`kamtools.bids.price_open_bids` anchors the curve on it)."""
    stats = {scope: (0, np.nan, np.nan) for scope in SCOPES}
    history = _index_history(portfolio)
    if history is not None:
        bids, index = history
        quoted = -bids["log_ratio"].to_numpy(float)  # log(competitor / our); NaN without a quote
        for scope in SCOPES:
            resid = quoted - np.log(index[scope] / 100)
            resid = resid[np.isfinite(resid)]
            if len(resid) >= 2:
                stats[scope] = (len(resid), float(resid.mean()), float(resid.std(ddof=1)))
    rows, borrowed = [], None
    for scope in reversed(SCOPES):  # the wider scope first: a thin narrow one borrows from it
        n, shift, sd = stats[scope]
        if n >= MIN_SCATTER_BIDS:
            borrowed = (scope, shift, sd)
        source, shift, sd = borrowed if borrowed is not None else ("assumed", 0.0, DEFAULT_INDEX_SD)
        rows.append({"scope": scope, "n_bids": int(n), "shift": shift, "sd": sd, "source": source})
    out = pd.DataFrame(rows[::-1])
    out.attrs.update(anchor_n=0, anchor_gap=np.nan, response=ResponseTest(0, np.nan, np.nan, np.nan, RESPONSE_ALPHA))
    if history is not None:
        bids, index = history
        unquoted = bids["log_ratio"].isna().to_numpy()
        # the index each would have used: the narrowest scope seen, as for an open bid
        idx = np.where(
            np.isnan(index["account"]),
            np.where(np.isnan(index["competitor"]), index["market"], index["competitor"]),
            index["account"],
        )
        out.attrs["response"] = no_quote_response(bids, idx)
        scope = np.where(np.isfinite(index["account"]), 0, np.where(np.isfinite(index["competitor"]), 1, 2))
        gap = np.log(100 / idx) - out["shift"].to_numpy(float)[scope]
        gap = gap[unquoted & np.isfinite(gap)]
        out.attrs["anchor_n"] = len(gap)
        if len(gap) >= MIN_SCATTER_BIDS:
            out.attrs["anchor_gap"] = float(gap.mean())
    return out


def reference_prices(portfolio: Portfolio, bids: pd.DataFrame) -> pd.DataFrame:
    """Per open bid: ``competitor_price_used`` (NaN when unknown), ``price_basis``, ``price_index_used``,
    ``price_index_scope`` (where the index came from: "account", "competitor", "market" or ""),
    ``index_shift`` and ``index_sd`` (log scale: the shift applied to the index price and the scatter
    of the competitor's price around it, 0 for a quote or no price; see :func:`index_scatter`),
    ``index_scatter_n`` and ``index_scatter_source`` (the bids they were measured on, and their scope),
    ``anchor_gap`` and ``anchor_n`` (NaN and 0 unless the bid is index-priced and past bids without a
    quote anchor its curve: see :func:`index_scatter`)."""
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
    on_index = quoted.isna().to_numpy() & np.isfinite(index)
    shift, sd = np.zeros(n), np.zeros(n)
    n_meas, source = np.zeros(n, dtype=np.int64), np.full(n, "", dtype=object)
    anchor_gap, anchor_n = np.full(n, np.nan), np.zeros(n, dtype=np.int64)
    response = ResponseTest(0, np.nan, np.nan, np.nan, RESPONSE_ALPHA)
    if quoted.isna().any():  # the test of the price response of bids without a quote (kamtools.bids.evidence)
        whole = index_scatter(portfolio)
        response = whole.attrs["response"]
    if on_index.any():
        scatter = whole.set_index("scope")
        anchor_gap[on_index] = scatter.attrs["anchor_gap"]
        anchor_n[on_index] = scatter.attrs["anchor_n"] if np.isfinite(scatter.attrs["anchor_gap"]) else 0
        at = scatter.reindex(scope[on_index])
        shift[on_index], sd[on_index] = at["shift"].to_numpy(float), at["sd"].to_numpy(float)
        source[on_index] = at["source"].to_numpy(object)
        n_meas[on_index] = scatter["n_bids"].reindex(at["source"]).fillna(0).to_numpy(np.int64)  # 0: assumed
    from_index = bids["our_price"].to_numpy(float) * index / 100 * np.exp(shift)
    used = np.where(quoted.notna(), quoted.to_numpy(float), from_index)
    basis = np.where(quoted.notna(), QUOTED, np.where(np.isfinite(from_index), INDEX, HISTORY))
    out = pd.DataFrame(
        {
            "competitor_price_used": used,
            "price_basis": basis.astype(object),
            "price_index_used": np.where(quoted.notna(), np.nan, index),
            "price_index_scope": np.where(quoted.notna() | np.isnan(index), "", scope).astype(object),
            "index_shift": shift,
            "index_sd": sd,
            "index_scatter_n": n_meas,
            "index_scatter_source": source,
            "anchor_gap": anchor_gap,
            "anchor_n": anchor_n,
        },
        index=bids.index,
    )
    out.attrs["response"] = response
    return out
