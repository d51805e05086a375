"""The year-over-year trade-lane review: each account x product line new, lost, up, down or stable."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import Portfolio
from kamtools.whitespace.grid import _at

LANE_STATUSES = ("new", "up-trading", "stable", "down-trading", "lost")
# a line with credit notes (returns, adjustments) but no net sales in either period: not traded, so neither new nor
# lost, but kept so an account's lines add up to its net revenue (Online Retail's C16029: Giftware 58.2k beside a net
# 51.0k, its manual adjustments of -7.0k on Charges left out)
CREDITS_ONLY = "credit notes only"


def tradelanes(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    up: float = 0.10,
    down: float = 0.10,
    months: int = 12,
) -> pd.DataFrame:
    """Year-over-year review of each account x product line (category).

    Compares the last ``months`` months with the ``months`` before. ``status``: ``new``
    (nothing before), ``lost`` (nothing now), ``up-trading`` (revenue up more than
    ``up``), ``down-trading`` (down more than ``down``), else ``stable``.

    Returns one row per account x category with net revenue above zero in either period:
    ``account_id, category, status, revenue_ltm, revenue_prior, revenue_change,
    revenue_change_pct, margin_ltm, margin_prior, margin_change, margin_pct_ltm,
    margin_pct_prior, loss_making`` (margin in the last period below zero).
    """
    portfolio = _at(portfolio, as_of)
    lines = portfolio.order_lines
    t1 = portfolio.as_of - pd.DateOffset(months=months)
    t0 = portfolio.as_of - pd.DateOffset(months=2 * months)
    od = lines["order_date"]
    keep = (od > t0) & (od <= portfolio.as_of)
    sub = lines.loc[keep, ["account_id", "category", "net_revenue", "margin"]]
    now = (od[keep] > t1).to_numpy()
    frame = sub.assign(
        revenue_ltm=np.where(now, sub["net_revenue"], 0.0),
        revenue_prior=np.where(now, 0.0, sub["net_revenue"]),
        margin_ltm=np.where(now, sub["margin"], 0.0),
        margin_prior=np.where(now, 0.0, sub["margin"]),
    )
    out = (
        frame.groupby(["account_id", "category"], observed=True, sort=True)[
            ["revenue_ltm", "revenue_prior", "margin_ltm", "margin_prior"]
        ]
        .sum()
        .reset_index()
    )
    # a line with no net sales in either period was not traded: orders worth 0 are left out, credit notes kept as
    # CREDITS_ONLY, neither new nor lost (an account whose only lines were credit notes read "new" on them)
    out = out[(out["revenue_prior"] != 0) | (out["revenue_ltm"] != 0)].reset_index(drop=True)
    out["revenue_change"] = out["revenue_ltm"] - out["revenue_prior"]
    prior = out["revenue_prior"]
    out["revenue_change_pct"] = (out["revenue_change"] / prior).where(prior > 0)
    out["margin_change"] = out["margin_ltm"] - out["margin_prior"]
    out["margin_pct_ltm"] = (out["margin_ltm"] / out["revenue_ltm"]).where(out["revenue_ltm"] > 0)
    out["margin_pct_prior"] = (out["margin_prior"] / prior).where(prior > 0)
    chg = out["revenue_change_pct"]
    status = np.select(
        [(prior <= 0) & (out["revenue_ltm"] <= 0), prior <= 0, out["revenue_ltm"] <= 0, chg > up, chg < -down],
        [CREDITS_ONLY, "new", "lost", "up-trading", "down-trading"],
        "stable",
    )
    out.insert(2, "status", pd.Series(status, dtype="str"))
    out["loss_making"] = (out["margin_ltm"] < 0) & (out["revenue_ltm"] > 0)
    out["category"] = out["category"].astype("str")
    return out


NO_PRIOR_YEAR = "no prior year"  # trade-lane status when the prior 12 months are not in the data


def without_prior_year(lanes: pd.DataFrame) -> pd.DataFrame:
    """:func:`tradelanes` rows when the 12 months before the last 12 are not in the order
    history: the prior-year figures are unknown (NaN), not zero, and the status is
    :data:`NO_PRIOR_YEAR` instead of a comparison (:data:`CREDITS_ONLY` stays: it compares
    nothing); the last 12 months and ``loss_making`` stay."""
    out = lanes[lanes["revenue_ltm"] != 0].copy()
    for col in ("revenue_prior", "revenue_change", "revenue_change_pct", "margin_prior", "margin_change"):
        out[col] = np.nan
    out["margin_pct_prior"] = np.nan
    credits = (out["status"] == CREDITS_ONLY) | (out["revenue_ltm"] < 0)
    out["status"] = pd.Series(np.where(credits, CREDITS_ONLY, NO_PRIOR_YEAR), index=out.index, dtype="str")
    return out.reset_index(drop=True)


def tradelane_summary(lanes: pd.DataFrame) -> pd.DataFrame:
    """Portfolio summary of :func:`tradelanes`: one row per status plus ``all lines`` (the traded
    lines: :data:`CREDITS_ONLY` rows are left out).

    Columns ``status, n_lanes, n_accounts, revenue_ltm, revenue_prior, revenue_change,
    margin_ltm, margin_prior, margin_change, n_loss_making, margin_loss_making``.
    """
    lanes = lanes[lanes["status"] != CREDITS_ONLY]
    frame = lanes.assign(
        _lm_margin=lanes["margin_ltm"].where(lanes["loss_making"], 0.0), _lm=lanes["loss_making"].astype(int)
    )
    aggs = {
        "n_lanes": ("category", "size"),
        "n_accounts": ("account_id", "nunique"),
        "revenue_ltm": ("revenue_ltm", "sum"),
        "revenue_prior": ("revenue_prior", "sum"),
        "revenue_change": ("revenue_change", "sum"),
        "margin_ltm": ("margin_ltm", "sum"),
        "margin_prior": ("margin_prior", "sum"),
        "margin_change": ("margin_change", "sum"),
        "n_loss_making": ("_lm", "sum"),
        "margin_loss_making": ("_lm_margin", "sum"),
    }
    per = frame.groupby("status", observed=True).agg(**aggs).reindex(list(LANE_STATUSES))
    per = per.fillna(0).reset_index()
    total = frame.assign(status="all lines").groupby("status").agg(**aggs).reset_index()
    out = pd.concat([per, total], ignore_index=True)
    for c in ("n_lanes", "n_accounts", "n_loss_making"):
        out[c] = out[c].astype(np.int64)
    out["status"] = out["status"].astype("str")
    return out
