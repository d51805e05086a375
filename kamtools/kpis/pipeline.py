"""Pipeline KPIs per account (open, weighted and decided bids) and the bid tables behind them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.kpis.base import DAY, _at, _base, _codes, _count, _mode, _ratio, _total


def _opportunities(p: Portfolio) -> tuple[pd.DataFrame, np.ndarray] | NotAvailable:
    if not p.has("opportunities"):
        return NotAvailable("No opportunities table was supplied, so pipeline and bid KPIs are not available.")
    return p.tables["opportunities"], _codes(p, "opportunities")


def _price_gap(df: pd.DataFrame) -> pd.Series:
    """Our price over the competitor's minus 1 (0.07 = we were 7% more expensive)."""
    our = df["our_price"] if "our_price" in df.columns else pd.Series(np.nan, index=df.index)
    theirs = df["competitor_price"] if "competitor_price" in df.columns else pd.Series(np.nan, index=df.index)
    return our.astype(float) / theirs.astype(float) - 1


def pipeline_kpis(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    horizon_days: int = 90,
    lookback_days: int = 365,
) -> pd.DataFrame | NotAvailable:
    """Pipeline, win rate, cycle time and a post-bid summary of recent losses, per account.

    Open bids are those with status ``open``; their weighted value is amount x probability
    (a missing probability is replaced by the portfolio's win rate over the lookback).
    Decided bids are won/lost bids closed in the ``lookback_days`` before ``as_of``.

    Returns columns: account_id, open_bids, open_value, weighted_value, bids_closing_90d and
    value_closing_90d (open, expected close within ``horizon_days``), overdue_bids (open,
    expected close already passed), bids_decided_12m, bids_won_12m, bids_lost_12m,
    win_rate (won / decided), lost_value_12m, avg_cycle_days (created -> close of decided
    bids), top_loss_competitor (whom we lost most bids to), lost_to_top_competitor,
    loss_price_gap_pct (mean our_price / competitor_price - 1 on those losses; 0.07 = we
    were 7% dearer), top_loss_category, top_loss_reason (most frequent over all losses).
    """
    p, as_of = _at(portfolio, as_of)
    got = _opportunities(p)
    if isinstance(got, NotAvailable):
        return got
    opp, idx = got
    n = len(p.accounts)
    t = np.datetime64(as_of, "ns")
    status = opp["status"].astype(str).to_numpy()
    created = opp["created_date"].to_numpy()
    close = opp["close_date"].to_numpy()
    amount = opp["amount"].to_numpy(dtype=float)
    known = created <= t
    is_open = known & (status == "open")
    decided = known & np.isin(status, ["won", "lost"]) & (close <= t) & (close > t - lookback_days * DAY)
    won = decided & (status == "won")
    lost = decided & (status == "lost")
    prob = _win_probability(opp, t, lookback_days)
    out = _base(p)
    out["open_bids"] = _count(idx, is_open, n)
    out["open_value"] = _total(idx, is_open, amount, n)
    out["weighted_value"] = _total(idx, is_open, amount * prob, n)
    soon = is_open & (close >= t) & (close <= t + horizon_days * DAY)
    out["bids_closing_90d"] = _count(idx, soon, n)
    out["value_closing_90d"] = _total(idx, soon, amount, n)
    out["overdue_bids"] = _count(idx, is_open & (close < t), n)
    out["bids_decided_12m"] = _count(idx, decided, n)
    out["bids_won_12m"] = _count(idx, won, n)
    out["bids_lost_12m"] = _count(idx, lost, n)
    out["win_rate"] = _ratio(out["bids_won_12m"], out["bids_decided_12m"])
    out["lost_value_12m"] = _total(idx, lost, amount, n)
    cycle = (close - created) / DAY
    out["avg_cycle_days"] = _ratio(_total(idx, decided, np.nan_to_num(cycle), n), out["bids_decided_12m"])

    losses = opp.loc[lost].assign(_i=idx[lost], price_gap=_price_gap(opp.loc[lost]))
    top = _mode(losses, ["_i"], "competitor", weight=None) if "competitor" in losses.columns else None
    cols = {
        "top_loss_competitor": pd.Series(pd.NA, index=out.index, dtype="str"),
        "lost_to_top_competitor": np.zeros(n, dtype=np.int64),
        "loss_price_gap_pct": np.full(n, np.nan),
        "top_loss_category": pd.Series(pd.NA, index=out.index, dtype="str"),
        "top_loss_reason": pd.Series(pd.NA, index=out.index, dtype="str"),
    }
    if top is not None and len(top):
        ti = top["_i"].to_numpy()
        cols["top_loss_competitor"].iloc[ti] = top["competitor"].astype(str).to_numpy()
        vs = losses.merge(top, on=["_i", "competitor"], how="inner")
        g = vs.groupby("_i", sort=False).agg(k=("competitor", "size"), gap=("price_gap", "mean"))
        cols["lost_to_top_competitor"][g.index.to_numpy()] = g["k"].to_numpy()
        cols["loss_price_gap_pct"][g.index.to_numpy()] = g["gap"].to_numpy()
        if "category" in vs.columns:
            cat = _mode(vs, ["_i"], "category")
            cols["top_loss_category"].iloc[cat["_i"].to_numpy()] = cat["category"].astype(str).to_numpy()
    if "loss_reason" in losses.columns:
        rs = _mode(losses, ["_i"], "loss_reason")
        cols["top_loss_reason"].iloc[rs["_i"].to_numpy()] = rs["loss_reason"].astype(str).to_numpy()
    for k, v in cols.items():
        out[k] = v.to_numpy() if isinstance(v, pd.Series) else v
    return out


def _win_probability(opp: pd.DataFrame, t: np.datetime64, lookback_days: int) -> np.ndarray:
    """Each bid's win probability, a missing one (none recorded, or a bid decided after the analysis date whose
    outcome :meth:`~kamtools.data.portfolio.Portfolio.truncate` hid) replaced by the portfolio's win rate over the
    lookback (0.5 where no bid was decided): the weighting of the KPIs and of the open-bids table alike."""
    status = opp["status"].astype(str).to_numpy()
    created, close = opp["created_date"].to_numpy(), opp["close_date"].to_numpy()
    decided = (created <= t) & np.isin(status, ["won", "lost"]) & (close <= t) & (close > t - lookback_days * DAY)
    base_rate = (decided & (status == "won")).sum() / decided.sum() if decided.sum() else 0.5
    prob = opp["probability"].to_numpy(dtype=float) if "probability" in opp.columns else np.full(len(opp), np.nan)
    return np.where(np.isnan(prob), base_rate, prob)


def open_bids(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, horizon_days: int = 90, lookback_days: int = 365
) -> pd.DataFrame | NotAvailable:
    """The open bids of every account, soonest expected close first within an account.

    Returns columns: account_id, opportunity_id, stage, category, competitor, amount,
    probability (a missing one: the portfolio's win rate over ``lookback_days``, as :func:`pipeline_kpis`
    weighs it), weighted_value, created_date, close_date, days_open, days_to_close
    (negative = expected close passed), closes_within_horizon (bool).
    """
    p, as_of = _at(portfolio, as_of)
    got = _opportunities(p)
    if isinstance(got, NotAvailable):
        return got
    opp, _ = got
    prob = pd.Series(_win_probability(opp, np.datetime64(as_of, "ns"), lookback_days), index=opp.index)
    o = opp[(opp["status"].astype(str) == "open") & (opp["created_date"] <= as_of)]
    cols = ["account_id", "opportunity_id", "stage", "category", "competitor", "amount", "probability"]
    out = o.reindex(columns=cols).copy()
    out["probability"] = prob.loc[o.index]  # as the KPIs weigh it (a missing one: the win rate)
    out["weighted_value"] = out["amount"] * out["probability"]
    out["created_date"] = o["created_date"]
    out["close_date"] = o["close_date"]
    out["days_open"] = (as_of - o["created_date"]).dt.days.astype(float)
    out["days_to_close"] = (o["close_date"] - as_of).dt.days.astype(float)
    out["closes_within_horizon"] = out["days_to_close"].between(0, horizon_days)
    return out.sort_values(["account_id", "close_date", "opportunity_id"], kind="stable").reset_index(drop=True)


def bid_losses(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, lookback_days: int = 365
) -> pd.DataFrame | NotAvailable:
    """Post-bid analysis: per account and competitor, bids decided and lost in the lookback.

    Only pairs with at least one loss are returned, most losses first within an account.
    Returns columns: account_id, competitor ('unknown' when not recorded), bids_decided,
    bids_lost, lost_value, price_gap_pct (mean our_price / competitor_price - 1 on the lost
    bids), top_reason, top_category.
    """
    p, as_of = _at(portfolio, as_of)
    got = _opportunities(p)
    if isinstance(got, NotAvailable):
        return got
    opp, _ = got
    cl = opp["close_date"]
    status = opp["status"].astype(str)
    dec = opp[status.isin(["won", "lost"]) & (cl <= as_of) & (cl > as_of - pd.Timedelta(days=lookback_days))]
    dec = dec.assign(
        competitor=dec["competitor"].astype(str).where(dec["competitor"].notna(), "unknown")
        if "competitor" in dec.columns
        else "unknown",
        lost=(dec["status"].astype(str) == "lost"),
        price_gap=_price_gap(dec),
    )
    lost = dec[dec["lost"]]
    keys = ["account_id", "competitor"]
    g = dec.groupby(keys, sort=False).agg(bids_decided=("lost", "size"), bids_lost=("lost", "sum")).reset_index()
    lv = lost.groupby(keys, sort=False).agg(lost_value=("amount", "sum"), price_gap_pct=("price_gap", "mean"))
    g = g.merge(lv.reset_index(), on=keys, how="inner")
    if "loss_reason" in lost.columns:
        g = g.merge(_mode(lost, keys, "loss_reason").rename(columns={"loss_reason": "top_reason"}), on=keys, how="left")
    else:
        g["top_reason"] = pd.NA
    if "category" in lost.columns:
        g = g.merge(_mode(lost, keys, "category").rename(columns={"category": "top_category"}), on=keys, how="left")
    else:
        g["top_category"] = pd.NA
    g["bids_lost"] = g["bids_lost"].astype(np.int64)
    g = g.sort_values(["account_id", "bids_lost", "lost_value"], ascending=[True, False, False], kind="stable")
    cols = ["account_id", "competitor", "bids_decided", "bids_lost", "lost_value", "price_gap_pct"]
    return g[[*cols, "top_reason", "top_category"]].reset_index(drop=True)
