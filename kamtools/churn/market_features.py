"""Churn features of the competition: bids won and lost (and to whom) and competitor prices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn._arrays import _codes, _count, _days, _mean, _months_before, _OrderArrays, _ratio
from kamtools.data.portfolio import Portfolio


def _opportunity_features(p: Portfolio, index: pd.Index, t: float, out: dict[str, np.ndarray]) -> None:
    n = len(index)
    opp = p.tables["opportunities"]
    code = _codes(opp["account_id"], index)
    close = _days(opp["close_date"])
    created = _days(opp["created_date"])
    status = opp["status"].astype(object).to_numpy()
    m12, m24 = _months_before(p.as_of, 12), _months_before(p.as_of, 24)
    decided12 = (close <= t) & (close > m12)
    lost12 = decided12 & (status == "lost")
    won12 = decided12 & (status == "won")
    out["bids_lost_12m"] = _count(code, lost12, n)
    won = _count(code, won12, n)
    out["win_rate_12m"] = _ratio(won, won + out["bids_lost_12m"])
    # competitor lost to most often in the last 24 months ("none" when no bid was lost)
    lost24 = (status == "lost") & (close <= t) & (close > m24) & (code >= 0)
    comp = opp["competitor"].astype(object).to_numpy()
    named = pd.DataFrame({"c": code[lost24], "k": comp[lost24]})
    named["k"] = named["k"].where(pd.notna(named["k"]), "unknown")
    to_whom = np.full(n, "none", dtype=object)
    if len(named):
        counts = (
            named.groupby(["c", "k"])
            .size()
            .reset_index(name="n")
            .sort_values(["c", "n", "k"], ascending=[True, False, True])
        )
        top = counts.drop_duplicates("c")
        to_whom[top["c"].to_numpy()] = top["k"].to_numpy()
    out["lost_to_competitor"] = to_whom
    if "our_price" in opp.columns and "competitor_price" in opp.columns:
        ours = opp["our_price"].to_numpy(dtype=float)
        theirs = opp["competitor_price"].to_numpy(dtype=float)
        gap = (ours / theirs - 1.0) * 100.0
        recent = (created > m12) & (created <= t)
        g = _mean(code, gap, recent, n)
        out["bid_price_gap_pct"] = g


def _competitor_price_features(
    p: Portfolio, index: pd.Index, t: float, o: _OrderArrays, out: dict[str, np.ndarray]
) -> None:
    n = len(index)
    cp = p.tables["competitor_prices"]
    day = _days(cp["date"])
    acc_code = _codes(cp["account_id"], index)
    m3, m12 = _months_before(p.as_of, 3), _months_before(p.as_of, 12)
    out["competitor_sightings_12m"] = _count(acc_code, day > m12, n)
    cat = cp["category"].astype(object).to_numpy()
    comp = cp["competitor"].astype(object).to_numpy()
    idx = cp["price_index"].to_numpy(dtype=float)
    market_mask = cp["account_id"].isna().to_numpy()
    # market level: the last 3 months' mean per category and competitor (the last 12 when sparse)
    market = pd.DataFrame({"cat": cat, "comp": comp, "idx": idx, "recent": day > m3})[market_mask & (day > m12)]
    m_recent = market[market["recent"]].groupby(["cat", "comp"])["idx"].mean()
    m_year = market.groupby(["cat", "comp"])["idx"].mean()
    m_idx = m_recent.combine_first(m_year).rename("market").reset_index()
    # account level: sightings at the account in the last 12 months
    mask_a = (acc_code >= 0) & (day > m12)
    acc_obs = pd.DataFrame({"c": acc_code[mask_a], "cat": cat[mask_a], "comp": comp[mask_a], "idx": idx[mask_a]})
    a_idx = acc_obs.groupby(["c", "cat", "comp"])["idx"].mean().rename("account").reset_index()
    # the account's categories (last 12 months' revenue), crossed with competitors
    keep = (o.day > m12) & (o.code >= 0) & (o.cat_code >= 0)
    rev = (
        pd.DataFrame({"c": o.code[keep], "k": o.cat_code[keep], "rev": o.rev[keep]})
        .groupby(["c", "k"])["rev"]
        .sum()
        .reset_index()
    )
    rev["cat"] = o.categories[rev["k"].to_numpy()] if len(rev) else pd.Series([], dtype=object)
    rev = rev.drop(columns="k")
    comps = pd.concat([m_idx[["cat", "comp"]], a_idx[["cat", "comp"]]]).drop_duplicates()
    grid = rev.merge(comps, on="cat", how="inner").merge(m_idx, on=["cat", "comp"], how="left")
    grid = grid.merge(a_idx, on=["c", "cat", "comp"], how="left")
    grid["idx"] = grid["account"].fillna(grid["market"])
    grid = grid.dropna(subset=["idx"])
    gap = np.full(n, np.nan)
    if len(grid):
        per_cat = grid.groupby(["c", "cat"]).agg(idx=("idx", "min"), rev=("rev", "first")).reset_index()
        per_cat["w"] = per_cat["rev"].clip(lower=0) + 1e-9
        per_cat["wg"] = (100.0 - per_cat["idx"]) * per_cat["w"]
        agg = per_cat.groupby("c")[["wg", "w"]].sum()
        gap[agg.index.to_numpy()] = (agg["wg"] / agg["w"]).to_numpy()
    out["competitor_price_gap_pct"] = gap
