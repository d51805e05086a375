"""The scenario stage of :func:`kamtools.bundle.analyze` (its contract: :mod:`kamtools.stages`):\nprice/volume history, elasticities and payment terms from the Portfolio.\n"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.scenario.elasticity import _account_elasticities, _pooled_elasticities, price_volume_table


def _payment_terms(portfolio: Portfolio) -> pd.DataFrame:
    """Per account: median contractual payment terms and mean days late of the last 12 months' invoices."""
    inv = portfolio.get("invoices")
    out = pd.DataFrame({"account_id": portfolio.accounts["account_id"]})
    if inv is None or inv.empty:
        out["payment_terms_days"] = np.nan
        out["days_late_avg"] = np.nan
        return out
    recent = inv[inv["issue_date"] > portfolio.as_of - pd.DateOffset(months=12)]
    if recent.empty:
        recent = inv
    terms = (recent["due_date"] - recent["issue_date"]).dt.days.astype(float)
    late = ((recent["paid_date"] - recent["due_date"]).dt.days.astype(float)).clip(lower=0)
    agg = (
        pd.DataFrame({"account_id": recent["account_id"], "terms": terms, "late": late})
        .groupby("account_id")
        .agg(payment_terms_days=("terms", "median"), days_late_avg=("late", "mean"))
    )
    return out.merge(agg.reset_index(), on="account_id", how="left")


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The scenario stage of ``kamtools analyze``.

    ``scenario_price_volume`` (per account x category x month, see
    :func:`price_volume_table`), ``scenario_elasticity`` (per account x category:
    ``estimate, std_err, ci_low, ci_high, n_obs, price_variation, usable, reason``, the
    ``elasticity`` used and its ``elasticity_source``: account, tier pooled, portfolio
    pooled or default), portfolio-level ``scenario_elasticity_pooled`` (``scope,
    category`` and the estimate columns, for ``portfolio`` and each ``tier:<value>``)
    and ``scenario_terms`` (per account: ``payment_terms_days``, ``days_late_avg``).
    Uses ``inputs["segments"]`` for the tiers when present.
    """
    pv = price_volume_table(portfolio)
    if pv.empty:
        na = NotAvailable(
            "No complete month of orders before the analysis date (the planner works on whole months"
            + ("; the orders so far all fall in the current month" if len(portfolio.orders) else "")
            + "), so there is nothing to plan from yet."
        )
        return {n: na for n in ("scenario_price_volume", "scenario_elasticity", "scenario_elasticity_pooled")} | {
            "scenario_terms": _payment_terms(portfolio)
        }
    accounts = portfolio.accounts[["account_id"]]
    segments = inputs.get("segments")
    tiers = None
    if isinstance(segments, pd.DataFrame) and "tier" in segments.columns:
        seg = segments[["account_id", "tier"]]
        accounts = accounts.merge(seg, on="account_id", how="left")
        tiers = seg.dropna().assign(tier=lambda d: d["tier"].astype(str)).set_index("account_id")["tier"]
    pooled = _pooled_elasticities(pv, accounts)
    own = _account_elasticities(pv, pooled, tiers)
    return {
        "scenario_price_volume": pv,
        "scenario_elasticity": own,
        "scenario_elasticity_pooled": pooled,
        "scenario_terms": _payment_terms(portfolio),
    }
