"""The plan stage of :func:`kamtools.bundle.analyze` (its contract: :mod:`kamtools.stages`)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.plan.actions import stake_once
from kamtools.plan.assembly import plans
from kamtools.plan.facts import _present
from kamtools.plan.playbook import PLAYBOOK_CONTEXT_KEY, Playbook
from kamtools.stages.runner import StageInputs


# ------------------------------------------------------------------------------------------
# bundle
# ------------------------------------------------------------------------------------------
def bundle_tables(
    portfolio: Portfolio,
    inputs: Mapping[str, object],
    playbook: str | os.PathLike | Mapping | Playbook | None = None,
) -> dict[str, pd.DataFrame | NotAvailable]:
    """The plan stage of :func:`kamtools.bundle.analyze`: plans for every account.

    Tables (per account, rows in order): ``plan_objectives``, ``plan_risks``,
    ``plan_actions``, ``plan_talking_points``; ``plan_summary`` (one row per account:
    revenue_objective, margin_pct_objective, n_risks, n_actions, n_high_priority,
    value_at_stake (over its actions, each sum of money once: the largest of revenue at risk, the
    forecast's shortfall and the last 12 months' revenue, not their sum; see :func:`kamtools.plan.actions.stake_once`), top_action, top_risk); ``plan_unavailable`` (portfolio-level: part, reason).
    The playbook is ``playbook``, else the one :func:`kamtools.bundle.analyze` checked and
    put in its ``inputs`` (under :data:`PLAYBOOK_CONTEXT_KEY`), else the built-in one.
    """
    # a table an earlier stage left out comes with its reason, which the plan's missing part then gives
    left_out = inputs.left_out() if isinstance(inputs, StageInputs) else {}
    ctx: dict[str, pd.DataFrame | NotAvailable] = {**left_out, **inputs}
    if not _present(ctx.get("kpis")):
        reason = ctx.get("kpis")
        na = NotAvailable(
            "Account plans need the KPIs, which are not available"
            + (f": {reason.reason}" if isinstance(reason, NotAvailable) else ".")
        )
        return {n: na for n in ("plan_objectives", "plan_risks", "plan_actions", "plan_talking_points", "plan_summary")}
    pb = playbook if playbook is not None else inputs.get(PLAYBOOK_CONTEXT_KEY)
    built = plans(ctx, portfolio.as_of, pb)
    f = built.facts
    a, r = built.actions, built.risks
    summary = pd.DataFrame({"account_id": f["account_id"]})
    summary["revenue_objective"] = f["revenue_objective"].to_numpy()
    summary["margin_pct_objective"] = f["margin_pct_objective"].to_numpy()
    summary["n_risks"] = summary["account_id"].map(r.groupby("account_id").size()).fillna(0).astype(np.int64)
    summary["n_actions"] = summary["account_id"].map(a.groupby("account_id").size()).fillna(0).astype(np.int64)
    high = a[a["priority"] == "high"].groupby("account_id").size()
    summary["n_high_priority"] = summary["account_id"].map(high).fillna(0).astype(np.int64)
    # each account's money once: revenue at risk and the last 12 months' revenue are not added together
    once = {k: stake_once(g["value_at_stake"], g["value_basis"])[0] for k, g in a.groupby("account_id")}
    summary["value_at_stake"] = summary["account_id"].map(once).astype(float).fillna(0.0)
    first_a = a[a["order"] == 1].set_index("account_id")["action"]
    first_r = r[r["order"] == 1].set_index("account_id")["risk"]
    summary["top_action"] = summary["account_id"].map(first_a).astype("str")
    summary["top_risk"] = summary["account_id"].map(first_r).astype("str")
    missing = dict(built.unavailable)
    unavailable = pd.DataFrame({"part": list(missing), "reason": list(missing.values())}, dtype="str")
    return {
        "plan_objectives": built.objectives,
        "plan_risks": r,
        "plan_actions": a,
        "plan_talking_points": built.talking_points,
        "plan_summary": summary,
        "plan_unavailable": unavailable,
    }
