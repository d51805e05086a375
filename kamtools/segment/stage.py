"""The segmentation stage: every segmentation per account, as the bundle stores it."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import order_history
from kamtools.segment.abc import abc_classes, concentration_curve
from kamtools.segment.activity import account_activity
from kamtools.segment.clusters import behavioural_clusters
from kamtools.segment.matrix import NO_STRENGTH, portfolio_matrix, tenure_from_first_order
from kamtools.segment.rfm import relabel_lapsed, rfm_scores
from kamtools.segment.tiers import assign_tiers
from kamtools.stages.contract import CHURN_DEFINITION
from kamtools.value.reading import expected_value_ranks, p_alive_shown_as

SUMMARY_COLUMNS = {
    "segments": ["tier", "quadrant", "cluster_name", "rfm_segment", "abc_revenue", "usual_growth", "one_off_ltm"]
}


SEGMENT_COLUMNS = [
    "account_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "rfm_segment",
    "revenue_ltm",
    "margin_ltm",
    "abc_revenue",
    "abc_margin",
    "cluster",
    "cluster_name",
    "attractiveness",
    "strength",
    "quadrant",
    "tier",
    "tier_reason",
    "lapsed_months",  # a lapsed account: the months without an order that made it so (the tier rule's); else NaN
    "usual_growth",  # the growth segmentation reads: one-off order months counted as usual ones (NaN: history short)
    "one_off_ltm",  # what one-off order months add to the last 12 months' revenue (0 when none)
]


def segment_accounts(
    portfolio: Portfolio,
    value: pd.DataFrame | None = None,
    random_state: int = 0,
    abc_thresholds: tuple[float, float] = (0.8, 0.95),
    rfm_bins: int | Sequence[float] = 5,
    attractiveness_weights: Mapping[str, float] | None = None,
    strength_weights: Mapping[str, float] | None = None,
    top_value_share: float = 0.10,
    value_model: pd.DataFrame | None = None,
    lapsed_months: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Every segmentation of every account, as the bundle stores it.

    ``value`` is the value table (:func:`kamtools.value.bundle_tables`), or None; ``value_model``
    its model table (whether P(alive) is a probability or an activity score), or None.
    ``lapsed_months``: an account without an order in that many months is lapsed (the churn
    definition's window; None: the default churn definition's) and never tiered as strong.
    Returns ``{"segments": per account (:data:`SEGMENT_COLUMNS` + ``score_<criterion>``
    matrix criterion scores), "segment_profiles": per cluster, "segment_concentration":
    the concentration curves (``measure`` revenue / margin, ``rank, cum_share_accounts,
    cum_share_value, value, abc_class``; no account_id, portfolio-level)}``. With too few
    active accounts to cluster, ``cluster`` is -1 and the profiles table is empty.
    """
    act = account_activity(portfolio)
    rfm = rfm_scores(portfolio, bins=rfm_bins, activity=act)
    abc = abc_classes(portfolio, abc_thresholds, activity=act)
    try:
        clusters, profiles = behavioural_clusters(
            portfolio,
            value,
            activity=act,
            random_state=random_state,
            p_alive_is_probability=p_alive_shown_as(value_model)[0] == "probability",
        )
    except ValueError as exc:
        clusters = pd.DataFrame(
            {
                "account_id": act["account_id"],
                "cluster": np.int64(-1),
                "cluster_name": pd.Series(["not clustered"] * len(act), dtype="str"),
            }
        )
        profiles = pd.DataFrame(
            {
                "cluster": pd.Series(dtype="int64"),
                "cluster_name": pd.Series(dtype="str"),
                "note": pd.Series(dtype="str"),
            }
        )
        warnings.warn(f"segment: accounts not clustered: {exc}", RuntimeWarning, stacklevel=2)
    ranks = value if expected_value_ranks(value_model) else None  # one purchase rate for all: basket size only
    matrix = portfolio_matrix(portfolio, ranks, attractiveness_weights, strength_weights, activity=act)
    months = default_lapsed_months() if lapsed_months is None else int(lapsed_months)
    lapsed = lapsed_accounts(act, portfolio.as_of, months)
    tiers = assign_tiers(matrix, value, top_value_share, value_model, lapsed=lapsed, lapsed_months=months)
    score_cols = [c for c in matrix.columns if c.startswith("score_")]
    seg = (
        rfm.merge(abc[["account_id", "revenue_ltm", "margin_ltm", "abc_revenue", "abc_margin"]], on="account_id")
        .merge(clusters, on="account_id")
        .merge(matrix[["account_id", "attractiveness", "strength", "quadrant", *score_cols]], on="account_id")
        .merge(tiers, on="account_id")
    )
    # what the tier rule found, as a fact the reports read (not parsed back out of tier_reason)
    gone = seg["account_id"].map(lapsed).fillna(False).astype(bool)
    seg["lapsed_months"] = np.where(gone, float(months), np.nan)
    seg["rfm_segment"] = relabel_lapsed(seg["rfm_segment"], gone.to_numpy())  # never a lapsed "champion"
    usual = act.set_index("account_id")
    seg["usual_growth"] = seg["account_id"].map(usual["growth"]).astype(np.float64)
    seg["one_off_ltm"] = seg["account_id"].map(usual["one_off_ltm"]).fillna(0.0).astype(np.float64)
    seg = seg[SEGMENT_COLUMNS + score_cols]
    curves = []
    for measure, col in (("revenue", "revenue_ltm"), ("margin", "margin_ltm")):
        c = concentration_curve(act, col, abc_thresholds).drop(columns="account_id")
        c.insert(0, "measure", measure)
        curves.append(c)
    concentration = pd.concat(curves, ignore_index=True)
    concentration["measure"] = concentration["measure"].astype("str")
    return {
        "segments": seg.reset_index(drop=True),
        "segment_profiles": profiles,
        "segment_concentration": concentration,
    }


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """Bundle stage: ``segments`` (per account), ``segment_profiles`` and ``segment_concentration``.

    Reads the value model's results from ``inputs["value"]`` (and whether its P(alive) is a
    probability from ``inputs["value_model"]``) when present.
    """
    if portfolio.orders.empty:
        reason = NotAvailable("There are no orders, so accounts cannot be segmented.")
        return {"segments": reason, "segment_profiles": reason, "segment_concentration": reason}
    value = inputs.get("value")
    definition = inputs.get(CHURN_DEFINITION)
    months = getattr(definition, "lookback_months", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = segment_accounts(portfolio, value, value_model=inputs.get("value_model"), lapsed_months=months)
    tables: dict[str, pd.DataFrame | NotAvailable] = dict(out)
    if out["segment_profiles"].empty:
        tables["segment_profiles"] = NotAvailable("Too few accounts with recent orders to form behavioural clusters.")
    notes = history_notes(portfolio) + strength_notes(portfolio, out["segments"])
    if notes:
        tables["_notes"] = {"segments": " ".join(notes)}
    return tables


def default_lapsed_months() -> int:
    """The months without an order after which the default churn definition calls an account lapsed."""
    from kamtools.churn.labels import ChurnDefinition

    return ChurnDefinition().lookback_months


def lapsed_accounts(activity: pd.DataFrame, as_of: pd.Timestamp, months: int) -> pd.Series:
    """Per account_id, True when it ordered before but not in the last ``months`` months (as the churn stage)."""
    start = pd.Timestamp(as_of) - pd.DateOffset(months=int(months))
    last = pd.to_datetime(activity["last_order_date"])
    return pd.Series((last.notna() & (last <= start)).to_numpy(), index=activity["account_id"].to_numpy())


def strength_notes(portfolio: Portfolio, segments: pd.DataFrame) -> list[str]:
    """One sentence when our strength with the customers is not known for some or all accounts (else empty)."""
    unknown = int(segments["strength"].isna().sum()) if "strength" in segments.columns else 0
    if unknown == 0:
        return []
    derived = " (counted from each account's first order)" if tenure_from_first_order(portfolio) else ""
    what = NO_STRENGTH.replace("tenure alone", f"tenure{derived} alone")
    if unknown < len(segments):
        what = what.replace("the data holds no", f"for {unknown} of {len(segments)} accounts the data holds no")
    whom = "those accounts are" if unknown < len(segments) else "every account is"
    return [f"{what}; {whom} placed and tiered by attractiveness only, and none is called strong or weak."]


def history_notes(portfolio: Portfolio) -> list[str]:
    """Sentences on what segmentation left out because the order history is short (empty when nothing)."""
    history = order_history(portfolio)
    if history.covers_months_back(24):
        return []
    return [
        f"Growth and the revenue trend are not used: they compare the last 12 months with the 12 before (the "
        f"trend fits 24 months), and this portfolio has {history.describe()}; so no cluster is called growing or "
        "shrinking and the portfolio matrix weighs the other attractiveness criteria."
    ]
