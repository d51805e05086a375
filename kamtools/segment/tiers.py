"""Account tiers from the other segmentations, each with its reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable
from kamtools.display import money
from kamtools.value.reading import expected_value_ranks, p_alive_shown_as

STOPPED_P = 0.3  # a P(alive) (checked as a probability) below this earns the tier reason a note
LOW_SCORE_SHARE = 0.2  # an activity score (a ranking) among the lowest fifth of the portfolio earns the note


def assign_tiers(
    matrix: pd.DataFrame,
    value: pd.DataFrame | None = None,
    top_value_share: float = 0.10,
    value_model: pd.DataFrame | None = None,
    lapsed: pd.Series | None = None,
    lapsed_months: int = 6,
) -> pd.DataFrame:
    """Tier 1/2/3 per account with the reason in plain words.

    Rules, first match wins: (0) lapsed (no order in the last ``lapsed_months`` months, as the
    churn section calls it): never tier 1 and never "strong" -> tier 2 as a win-back case when
    the account is attractive, else tier 3; (1) strategic quadrant -> tier 1; (2) expected
    12-month value in the top ``top_value_share`` of accounts (needs ``value``; by revenue of the last 12 months
    instead where ``value_model`` gives every account the same purchase rate, see
    :func:`kamtools.value.reading.expected_value_ranks`, and ``matrix`` has ``revenue_ltm``) -> tier 1; (3)
    develop quadrant -> tier 2; (4) maintain quadrant -> tier 2; (5) no strength known
    (quadrant ``attractive``): tier 2 when attractive; (6) otherwise tier 3.

    ``lapsed`` is a boolean Series indexed by account_id (None: no account is lapsed).

    ``matrix`` needs ``account_id, attractiveness, strength, quadrant``; ``value`` (optional)
    ``account_id, expected_value_12m`` and optionally ``p_alive``. A P(alive) under
    :data:`STOPPED_P` adds a note to the reason, "probably stopped buying", when it is a
    probability. When ``value_model`` (the value stage's table) says it is no probability on this
    portfolio (:func:`kamtools.value.reading.p_alive_shown_as`) it is an activity score, a ranking
    whose level means nothing by itself: the note then goes to the lowest :data:`LOW_SCORE_SHARE`
    of the accounts by that score as shown (whole points; accounts that read the same tie, so where
    every account reads 100 out of 100, as without drop-out, none gets it).
    Returns ``account_id, tier`` (int) and ``tier_reason``.
    """
    m = matrix[["account_id", "attractiveness", "strength", "quadrant"]].copy()
    if value is not None and not isinstance(value, NotAvailable) and "expected_value_12m" in value.columns:
        keep = ["account_id", "expected_value_12m"] + (["p_alive"] if "p_alive" in value.columns else [])
        m = m.merge(value[keep], on="account_id", how="left")
    else:
        m["expected_value_12m"] = np.nan
    if "p_alive" not in m.columns:
        m["p_alive"] = np.nan
    # one purchase rate for all: the expected value ranks by basket size alone, so the top share is by revenue
    by_revenue = not expected_value_ranks(value_model)
    if not by_revenue:
        rank_by = m["expected_value_12m"].to_numpy(dtype=np.float64)
    elif "revenue_ltm" in matrix.columns:
        rank_by = matrix["revenue_ltm"].to_numpy(dtype=np.float64)
    else:
        rank_by = np.full(len(m), np.nan)
    n_top = int(np.ceil(top_value_share * np.isfinite(rank_by).sum())) if np.isfinite(rank_by).any() else 0
    top = np.zeros(len(m), dtype=bool)
    if n_top > 0:
        order = np.argsort(-np.nan_to_num(rank_by, nan=-np.inf), kind="stable")[:n_top]
        top[order] = True
    probability = p_alive_shown_as(value_model)[0] == "probability"
    gone = (
        m["account_id"].map(lapsed).fillna(False).astype(bool).to_numpy()
        if lapsed is not None
        else np.zeros(len(m), dtype=bool)
    )
    scores = m["p_alive"].to_numpy(dtype=np.float64)
    if probability:
        low = np.isfinite(scores) & (scores < STOPPED_P)
    else:
        # ranked as shown (whole points): scores that read the same (all 100 without drop-out) tie, no note
        rank = pd.Series(np.round(scores * 100)).rank(pct=True, method="max").to_numpy()
        low = np.isfinite(scores) & (rank <= LOW_SCORE_SHARE)
    tiers, reasons = [], []
    for i, row in enumerate(m.itertuples(index=False)):
        a, s = row.attractiveness, row.strength
        strength = f"strength {s:.0f}/100" if np.isfinite(s) else "strength not available"
        pos = f"attractiveness {a:.0f}/100, {strength}"
        if gone[i]:
            silent = f"Lapsed (no order in the last {lapsed_months} months)"
            if row.quadrant in ("strategic", "develop", "attractive"):
                tiers.append(2)
                reasons.append(f"{silent} but attractive: a win-back case worth pursuing ({pos}).")
            else:
                tiers.append(3)
                reasons.append(f"{silent} and less attractive: a win-back case to pursue at low cost ({pos}).")
        elif row.quadrant == "strategic":
            tiers.append(1)
            reasons.append(f"Strategic account: attractive and we are strong ({pos}).")
        elif top[i]:
            tiers.append(1)
            reasons.append(
                f"Among the top {top_value_share:.0%} of accounts by "
                + ("revenue, last 12 months " if by_revenue else "expected 12-month value ")
                + (
                    f"({money(rank_by[i])}), although in the {row.quadrant} quadrant ({pos})."
                    if np.isfinite(s)
                    else f"({money(rank_by[i])}; {pos})."
                )
                + (
                    " Not by expected 12-month value: the value model gives every account the same purchase rate, "
                    "so that figure would rank accounts only by what a purchase week is worth."
                    if by_revenue
                    else ""
                )
            )
        elif row.quadrant == "develop":
            tiers.append(2)
            reasons.append(f"Attractive account where our position is weak: develop it ({pos}).")
        elif row.quadrant == "maintain":
            tiers.append(2)
            reasons.append(f"Strong position in a less attractive account: maintain it efficiently ({pos}).")
        elif row.quadrant == "attractive":
            tiers.append(2)
            reasons.append(f"Attractive account; tiered by attractiveness only, our strength is not known ({pos}).")
        elif row.quadrant == "less attractive":
            tiers.append(3)
            reasons.append(
                f"Less attractive account: serve it efficiently; tiered by attractiveness only, our strength is "
                f"not known ({pos})."
            )
        else:
            tiers.append(3)
            reasons.append(f"Less attractive account with a weak position: serve it efficiently ({pos}).")
        if low[i]:
            reasons[-1] += (
                f" Note: it has probably stopped buying (P(alive) {row.p_alive:.0%})."
                if probability
                else f" Note: among the lowest {LOW_SCORE_SHARE:.0%} of accounts by activity score ("
                f"{row.p_alive * 100:.0f} out of 100, where the other accounts score higher: a ranking, not a "
                "probability)."
            )
    return pd.DataFrame(
        {
            "account_id": m["account_id"],
            "tier": np.array(tiers, dtype=np.int64),
            "tier_reason": pd.Series(reasons, dtype="str"),
        }
    )
