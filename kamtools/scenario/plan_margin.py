"""The sentence that tells one account's planner margin from the account plan's margin objective.

The planner's gross margin puts each category's margin of the last 12 months on the forecast's mix of
categories (:func:`kamtools.scenario.baseline`); the account plan's margin objective
(``plan_objectives``, :mod:`kamtools.plan.objectives`) starts from the account's margin of the last 12
months as a whole. On the 12-month demo the largest account, A0018, read 126.4k (23.3%) in the planner
beside the plan's 129.7k (24.0%) with nothing saying why: the forecast expects less Animal health (22% of
revenue against 27% in the last 12 months), its best-margin category. :func:`plan_margin_note` says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools import formatting

__all__ = ["plan_margin_note"]

MONTHS = 12  # the planner's and the plan's horizon: the next 12 months


def _objective(table: pd.DataFrame, account_id: str, kind: str) -> pd.Series | None:
    rows = table[(table["account_id"].astype(str) == account_id) & (table["objective"] == kind)]
    return rows.iloc[0] if len(rows) else None


def plan_margin_note(
    bundle,
    account_id: str,
    categories: np.ndarray,
    revenue: np.ndarray,
    cost_ratio: np.ndarray,
    last_12m: pd.DataFrame,
) -> str | None:
    """One sentence: what the planner's gross margin of one account is, beside the account plan's margin
    objective, and the category whose changed share of revenue moves it most; None where the two read the same
    (to 0.1%), or the bundle has no margin objective for the account (or no cost booked).

    ``revenue`` (categories x months) and ``cost_ratio`` are the baseline's; ``last_12m`` the account's
    ``net_revenue`` per category over the last 12 months (index: category).
    """
    table = bundle.table("plan_objectives")
    need = {"account_id", "objective", "baseline", "target_value"}
    if not isinstance(table, pd.DataFrame) or not need <= set(table.columns):
        return None
    margin, rev_obj = _objective(table, account_id, "margin"), _objective(table, account_id, "revenue")
    if margin is None:
        return None
    then, goal = float(margin["baseline"]), float(margin["target_value"])
    rev = np.asarray(revenue, dtype=float)[:, :MONTHS].sum(axis=1)
    total = float(rev.sum())
    if not (np.isfinite(then) and np.isfinite(goal)) or formatting.no_cost(then) or total <= 0:
        return None
    here = float(1.0 - (rev * np.asarray(cost_ratio, dtype=float)).sum() / total)
    if f"{here:.1%}" == f"{goal:.1%}":
        return None
    cur = formatting.currency_of(bundle)
    plan_rev = float(rev_obj["target_value"]) if rev_obj is not None else np.nan
    plan_money = ""
    if np.isfinite(plan_rev):
        same = formatting.money(plan_rev, cur) == formatting.money(total, cur)
        on = "" if same else f" on its revenue objective of {formatting.money(plan_rev, cur)}"
        plan_money = f" ({formatting.money(goal * plan_rev, cur)}{on})"
    plan = (
        f"the account plan's {goal:.1%}{plan_money} is the account's margin of the last 12 months as a whole"
        if f"{goal:.1%}" == f"{then:.1%}"
        else f"the account plan's objective, {goal:.1%}{plan_money}, closes half the gap from the account's margin "
        f"of the last 12 months as a whole, {then:.1%}, to the portfolio median"
    )
    sentence = (
        f"Gross margin here, {here:.1%} ({formatting.money(here * total, cur)} on "
        f"{formatting.money(total, cur)} over the next 12 months), is each category's margin of the last 12 "
        f"months on the forecast's mix of categories; {plan}"
    )
    past = last_12m.reindex(pd.Index(categories).astype(str))["net_revenue"].fillna(0.0).to_numpy(dtype=float)
    ratio = np.asarray(cost_ratio, dtype=float)
    share_now, share_then = rev / total, past / max(past.sum(), 1e-300)
    if past.sum() > 0 and f"{here:.1%}" != f"{float((share_then * (1.0 - ratio)).sum()):.1%}":
        moved = (share_now - share_then) * (1.0 - ratio)  # adds up to here - then: the change of mix, nothing else
        i = int(np.argmax(np.abs(moved)))
        digits = 0 if f"{share_now[i]:.0%}" != f"{share_then[i]:.0%}" else 1
        sentence += (
            f", and the forecast expects {'more' if share_now[i] > share_then[i] else 'less'} {categories[i]} "
            f"({share_now[i]:.{digits}%} of revenue, against {share_then[i]:.{digits}%}; its margin "
            f"{1.0 - float(ratio[i]):.0%})"
        )
    return sentence + "."
