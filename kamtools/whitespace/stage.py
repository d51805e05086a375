"""The whitespace stage: the bundle's whitespace and trade-lane tables."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import order_history
from kamtools.whitespace.model import CrossSellModel
from kamtools.whitespace.tradelanes import LANE_STATUSES, tradelane_summary, tradelanes, without_prior_year

SUMMARY_COLUMNS = {
    "whitespace_accounts": ["whitespace_value", "top_whitespace_category", "loss_making_lines"],
}


def _account_summary(
    snap_grid: pd.DataFrame, recs: pd.DataFrame, lanes: pd.DataFrame, accounts: pd.Series, calibrated: bool = True
) -> pd.DataFrame:
    base = pd.DataFrame({"account_id": accounts})
    g = snap_grid.assign(
        _bought=snap_grid["status"] == "bought",
        _lapsed=snap_grid["status"] == "lapsed",
        _never=snap_grid["status"] == "never",
    )
    cells = g.groupby("account_id", observed=True).agg(
        n_categories_bought=("_bought", "sum"), n_lapsed=("_lapsed", "sum"), n_never=("_never", "sum")
    )
    useful = recs[recs["recommended"]] if "recommended" in recs.columns else recs
    r = useful.groupby("account_id", observed=True).agg(
        whitespace_value=("expected_value", "sum"), n_recommendations=("category", "size")
    )
    top = useful.drop_duplicates("account_id").set_index("account_id")[["category", "expected_value"]]
    top.columns = ["top_whitespace_category", "top_whitespace_value"]
    lane_counts = pd.crosstab(lanes["account_id"], lanes["status"]).reindex(columns=list(LANE_STATUSES), fill_value=0)
    lane_counts.columns = [f"lines_{c.replace('-', '_')}" for c in lane_counts.columns]
    lm = lanes.groupby("account_id", observed=True)["loss_making"].sum().rename("loss_making_lines")
    out = base.merge(cells, on="account_id", how="left").merge(r, on="account_id", how="left")
    out = out.merge(top, on="account_id", how="left").merge(lane_counts, on="account_id", how="left")
    out = out.merge(lm, on="account_id", how="left")
    ints = ["n_categories_bought", "n_lapsed", "n_never", "n_recommendations", "loss_making_lines"]
    ints += list(lane_counts.columns)
    for c in ints:
        out[c] = out[c].fillna(0).astype(np.int64)
    # uncalibrated scores give no probability, so no probability-weighted value either (NaN, not 0)
    out["whitespace_value"] = out["whitespace_value"].fillna(0.0)
    if not calibrated:
        out.loc[out["n_recommendations"] > 0, "whitespace_value"] = np.nan
    out["top_whitespace_category"] = out["top_whitespace_category"].astype("str")
    return out


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The whitespace and trade-lane tables of the analysis bundle.

    Per account: ``whitespace_grid`` (account x category with status, revenue, p_adopt,
    expected_value), ``whitespace_recommendations`` (top 5), ``whitespace_accounts``
    (one row: whitespace_value (NaN when the scores could not be calibrated), top category, lapsed/never counts, trade-lane counts,
    loss-making lines), ``tradelanes`` (account x category). Portfolio-level:
    ``whitespace_backtest``, ``whitespace_value_backtest``, ``whitespace_calibration``,
    ``whitespace_affinity``, ``tradelanes_summary``. Uses ``inputs["segments"]`` for
    the peer groups when present.
    """
    segments = inputs.get("segments")
    if isinstance(segments, NotAvailable):
        segments = None
    out: dict[str, pd.DataFrame | NotAvailable] = {}
    model = CrossSellModel().fit(portfolio, segments=segments)
    scored = model._score(portfolio, segments)
    grid = model._grid_from(scored)
    recs = model._recommend_from(scored, None, None)
    lanes = tradelanes(portfolio)
    history = order_history(portfolio)
    lanes_missing: NotAvailable | None = None
    if not history.covers_months_back(24):  # the prior 12 months are not (all) in the data
        lanes_missing = NotAvailable(
            "The trade-lane review compares each product line's last 12 months with the 12 before; that needs 24 "
            f"months of order history and this portfolio has {history.describe()}, so no line is called new, "
            "up-trading, down-trading or lost (loss-making lines are still shown)."
        )
        lanes = without_prior_year(lanes)
    out["whitespace_grid"] = grid
    out["whitespace_recommendations"] = recs
    out["whitespace_accounts"] = _account_summary(
        grid, recs, lanes, portfolio.accounts["account_id"], calibrated=model.calibrated_
    )
    out["whitespace_backtest"] = model.backtest_
    out["whitespace_value_backtest"] = model.value_backtest_
    out["whitespace_calibration"] = model.calibration_
    out["whitespace_affinity"] = model.affinity_
    notes: dict[str, str] = {}
    if not model.calibrated_:
        notes["whitespace_recommendations"] = model.uncalibrated_reason_
    if lanes_missing is not None:
        out["tradelanes_summary"] = lanes_missing
        out["tradelanes"] = lanes if len(lanes) else lanes_missing
        notes["tradelanes"] = lanes_missing.reason
    elif len(lanes):
        out["tradelanes"] = lanes
        out["tradelanes_summary"] = tradelane_summary(lanes)
    else:
        out["tradelanes"] = out["tradelanes_summary"] = NotAvailable(
            "No orders in the last two years, so there is no trade-lane review."
        )
    if notes:
        out["_notes"] = notes
    return out
