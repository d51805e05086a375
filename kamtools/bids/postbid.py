"""Post-bid analysis and the out-of-time backtest of the win model.

Every decided bid is scored by models fitted only on bids decided before it was opened:
the bids are grouped by the month of their ``created_date``; for the month starting on
day ``c`` the win model (and the two baselines: the plain historical win rate and the
per-competitor win rate) is fitted on the bids whose ``close_date`` is before ``c``. So a
bid's ``p_win_at_time`` never sees its own outcome or any outcome known after it was
opened (a rolling-origin backtest with one cut-off per month). The price it would have
recommended follows the first evidence rule of :mod:`kamtools.bids.evidence` as of that
cut-off: a bid without a quote keeps its price unless the bids without a quote decided
before showed a price response. Months with fewer than
:data:`~kamtools.bids.winmodel.MIN_BIDS` earlier decided bids (or only wins or only
losses) get no probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.bids.evidence import response_test
from kamtools.bids.recommend import DEFAULT_SETTINGS, best_price, cost_prices, cost_ratios, price_bounds, price_levels
from kamtools.bids.references import training_bids
from kamtools.bids.winmodel import MIN_BIDS, WinModel
from kamtools.data.portfolio import NotAvailable, Portfolio

METHODS = ("win model", "historical win rate", "per-competitor win rate")
_PRED = {
    "win model": "p_win_at_time",
    "historical win rate": "p_history_at_time",
    "per-competitor win rate": "p_competitor_at_time",
}
POST_COLUMNS = [
    "opportunity_id",
    "account_id",
    "created_date",
    "close_date",
    "category",
    "competitor",
    "status",
    "amount",
    "our_price",
    "competitor_price",
    "price_gap_pct",
    "loss_reason",
    "loss_type",
    "p_win_at_time",
    "recommended_price_at_time",
    "p_history_at_time",
    "p_competitor_at_time",
    "n_bids_before",
    "at_time_note",
]


def loss_type(status: pd.Series, reason: pd.Series) -> np.ndarray:
    """ "price", "other" or "unknown" for lost bids, "" for wins."""
    text = reason.astype("object").where(reason.notna(), "").astype("str").str.strip().str.lower()
    kind = np.where(text == "", "unknown", np.where(text.str.contains("price"), "price", "other"))
    return np.where(status.to_numpy() == "won", "", kind)


def _score_month(model: WinModel, rows: pd.DataFrame, ratio: np.ndarray, levels: pd.Series, settings=DEFAULT_SETTINGS):
    """P(win) at the time and the price the model would have recommended, for one month's bids
    (``levels``: the categories' price levels over the bids decided before)."""
    p = model.predict(rows)
    lr = rows["log_ratio"].to_numpy(float)
    priced = np.isfinite(lr)
    our = rows["our_price"].to_numpy(float) if "our_price" in rows.columns else np.full(len(rows), np.nan)
    ok = our > 0
    cost = cost_prices(ratio, rows, our, levels)
    rec = np.full(len(rows), np.nan)
    if ok.any():
        sub = rows[ok]
        our_ok, lr_ok = our[ok], lr[ok]
        ref = np.where(priced[ok], our_ok / np.exp(np.where(priced[ok], lr_ok, 0.0)), our_ok)
        base = model.base_logit(sub, priced[ok])
        floor, ceiling = price_bounds(our_ok, cost[ok], settings)
        amount = sub["amount"].to_numpy(float)
        rec[ok] = best_price(base, model.slope, ref, our_ok, cost[ok], amount, floor, ceiling)[0]
    return p, rec


def _no_quote_gaps(portfolio: Portfolio, bids: pd.DataFrame) -> np.ndarray:
    """log(100 / the price index each decided bid would have used) for the bids without a quote (NaN for the
    others and where no index was seen), aligned with ``bids``: what the evidence rule tests on."""
    from kamtools.bids.references import _index_history

    out = np.full(len(bids), np.nan)
    history = _index_history(portfolio)
    if history is None:
        return out
    seen, index = history
    idx = np.where(
        np.isnan(index["account"]),
        np.where(np.isnan(index["competitor"]), index["market"], index["competitor"]),
        index["account"],
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        by_id = pd.Series(np.log(100 / idx), index=seen["opportunity_id"].to_numpy())
    by_id = by_id[~by_id.index.duplicated()]
    out = bids["opportunity_id"].map(by_id).to_numpy(float)
    return np.where(bids["log_ratio"].isna().to_numpy(), out, np.nan)


def _hold_unquoted(rec, rows, bids, gap, train_rows, ratio, levels, settings=DEFAULT_SETTINGS) -> None:
    """The first evidence rule at the time (:mod:`kamtools.bids.evidence`): when the bids without a quote
    decided before showed no measurable price response, the month's bids without a quote would have kept
    their price (raised to the floor only), as an open one does today."""
    unquoted = rows[bids["log_ratio"].iloc[rows].isna().to_numpy()]
    if not len(unquoted):
        return
    test = response_test(bids["won"].to_numpy(float)[train_rows], gap[train_rows], settings.response_alpha)
    if test.supported:
        return
    sub = bids.iloc[unquoted]
    our = sub["our_price"].to_numpy(float) if "our_price" in sub.columns else np.full(len(sub), np.nan)
    cost = cost_prices(ratio[unquoted], sub, our, levels)
    floor, _ = price_bounds(our, cost, settings)
    rec[unquoted] = np.where(our > 0, np.maximum(our, floor), np.nan)


def postmortem(portfolio: Portfolio, settings=DEFAULT_SETTINGS) -> pd.DataFrame | NotAvailable:
    """One row per decided bid with its price gap, loss type and the model's view at the time (the price it would
    have recommended under the pricing policy ``settings``, :class:`~kamtools.bids.recommend.BidSettings`)."""
    bids = training_bids(portfolio)
    if isinstance(bids, NotAvailable):
        return bids
    bids = bids.sort_values(["created_date", "opportunity_id"], kind="stable").reset_index(drop=True)
    month = bids["created_date"].dt.to_period("M").dt.start_time
    ratio = np.full(len(bids), np.nan)
    for start in month.unique():  # the margins known when each month's bids were opened (no later orders)
        rows = np.flatnonzero((month == start).to_numpy())
        ratio[rows] = cost_ratios(portfolio, bids.iloc[rows], before=start)
    gap = _no_quote_gaps(portfolio, bids)
    n = len(bids)
    cols = {k: np.full(n, np.nan) for k in ("p_win_at_time", "rec", "p_hist", "p_comp", "n_before")}
    model = None
    for start in month.unique():
        rows = np.flatnonzero((month == start).to_numpy())
        train = bids[bids["close_date"] < start]
        cols["n_before"][rows] = len(train)
        y = train["won"].to_numpy(float)
        if len(train) < MIN_BIDS or y.min() == y.max():
            continue
        model = WinModel().fit(train, warm=model)  # starts from last month's fit: same optimum, fewer steps
        cols["p_win_at_time"][rows], cols["rec"][rows] = _score_month(
            model, bids.iloc[rows], ratio[rows], price_levels(train), settings
        )
        _hold_unquoted(cols["rec"], rows, bids, gap, train.index.to_numpy(), ratio, price_levels(train), settings)
        rate = float(y.mean())
        cols["p_hist"][rows] = rate
        per = train.groupby("competitor")["won"].mean()
        cols["p_comp"][rows] = bids["competitor"].iloc[rows].map(per).fillna(rate).to_numpy(float)
    out = bids.assign(
        price_gap_pct=np.expm1(bids["log_ratio"]),
        loss_type=loss_type(bids["status"], bids.get("loss_reason", pd.Series(np.nan, index=bids.index))),
        p_win_at_time=cols["p_win_at_time"],
        recommended_price_at_time=np.round(cols["rec"], 1),
        p_history_at_time=cols["p_hist"],
        p_competitor_at_time=cols["p_comp"],
        n_bids_before=cols["n_before"].astype(np.int64),
    )
    out["at_time_note"] = np.where(
        out["p_win_at_time"].isna(),
        f"Fewer than {MIN_BIDS} bids (with both wins and losses) were decided before this one was opened.",
        "",
    )
    for col in ("our_price", "competitor_price", "loss_reason"):
        if col not in out.columns:
            out[col] = np.nan
    return out[POST_COLUMNS]


def loss_summary(post: pd.DataFrame | NotAvailable) -> pd.DataFrame | NotAvailable:
    """Per competitor and category: bids, wins, losses on price and on other reasons.

    ``where_we_lose`` is "price" when at least two thirds of the losses with a known reason
    were on price, "other reasons" when at most one third were, else "mixed"; empty when
    no loss with a known reason was recorded.
    """
    if isinstance(post, NotAvailable):
        return post
    frame = post.assign(
        _lost=post["status"] == "lost",
        _won=post["status"] == "won",
        _price=post["loss_type"] == "price",
        _other=post["loss_type"] == "other",
    )
    out = (
        frame.groupby(["competitor", "category"])
        .agg(
            n=("opportunity_id", "size"),
            won=("_won", "sum"),
            lost=("_lost", "sum"),
            lost_on_price=("_price", "sum"),
            lost_other=("_other", "sum"),
            mean_price_gap_pct=("price_gap_pct", "mean"),
        )
        .reset_index()
    )
    for col in ("n", "won", "lost", "lost_on_price", "lost_other"):
        out[col] = out[col].astype(np.int64)
    out["win_rate"] = out["won"] / out["n"]
    known = out["lost_on_price"] + out["lost_other"]
    share = out["lost_on_price"] / known.where(known > 0)
    out["where_we_lose"] = np.select(
        [known == 0, share >= 2 / 3, share <= 1 / 3], ["", "price", "other reasons"], "mixed"
    ).astype(object)
    order = ["competitor", "category", "n", "won", "lost", "lost_on_price", "lost_other", "win_rate"]
    return out[[*order, "mean_price_gap_pct", "where_we_lose"]]


def _metrics(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    q = np.clip(p, 1e-6, 1 - 1e-6)
    return {
        "n": len(y),
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))),
        "auc": float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else np.nan,
        "calibration_in_the_large": float(p.mean() - y.mean()),
    }


def calibration(portfolio: Portfolio, post: pd.DataFrame | NotAvailable):
    """(bid_calibration, bid_reliability): the rolling out-of-time backtest beside the baselines."""
    if isinstance(post, NotAvailable):
        return post, post
    scored = post[post[list(_PRED.values())].notna().all(axis=1)]
    if scored.empty or scored["status"].nunique() < 2:
        reason = NotAvailable("Too few bids were decided over time to backtest the win model out of time.")
        return reason, reason
    y = (scored["status"] == "won").to_numpy(float)
    months = scored["created_date"].dt.to_period("M")
    rows, rel = [], []
    for method in METHODS:
        p = scored[_PRED[method]].to_numpy(float)
        rows.append({"method": method, **_metrics(p, y)})
        bins = np.minimum((p * 10).astype(int), 9)
        for b in np.unique(bins):
            m = bins == b
            rel.append(
                {
                    "method": method,
                    "bin_low": b / 10,
                    "bin_high": (b + 1) / 10,
                    "n": int(m.sum()),
                    "mean_predicted": float(p[m].mean()),
                    "observed_rate": float(y[m].mean()),
                }
            )
    table = pd.DataFrame(rows)
    table["n"] = table["n"].astype(np.int64)
    table["n_cutoffs"] = int(months.nunique())
    table["scored_from"] = scored["created_date"].min()
    table["scored_to"] = scored["created_date"].max()
    return table, pd.DataFrame(rel)
