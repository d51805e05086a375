"""Churn features of the account record, its complaints and its invoices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn._arrays import _codes, _count, _days, _mean, _months_before, _ratio, _sum
from kamtools.data.portfolio import Portfolio

_SEVERE = ("high", "critical")


def _account_features(p: Portfolio, out: dict[str, np.ndarray], unavailable: dict[str, str]) -> None:
    acc = p.accounts
    for col in ("industry", "region", "channel"):
        out[col] = acc[col].astype(object).where(acc[col].notna(), None).to_numpy()
    pot = acc["potential_revenue"].to_numpy(dtype=float) if "potential_revenue" in acc.columns else None
    if pot is None or np.isnan(pot).all():
        unavailable["share_of_wallet"] = "No potential revenue (estimated spend) is given for the accounts."
    else:
        out["share_of_wallet"] = np.minimum(_ratio(out["revenue_12m"], pot), 1.5)


def _complaint_features(p: Portfolio, index: pd.Index, t: float, out: dict[str, np.ndarray]) -> None:
    n = len(index)
    c = p.tables["complaints"]
    code = _codes(c["account_id"], index)
    opened = _days(c["opened_date"])
    resolved = _days(c["resolved_date"])
    last12 = opened > _months_before(p.as_of, 12)
    severe = c["severity"].astype(object).isin(_SEVERE).to_numpy()
    is_open = np.isnan(resolved)
    out["complaints_12m"] = _count(code, last12, n)
    out["complaints_severe_12m"] = _count(code, last12 & severe, n)
    out["complaints_open"] = _count(code, is_open, n)
    duration = np.where(is_open, t, resolved) - opened
    res = _mean(code, duration, last12, n)
    out["complaint_resolution_days"] = np.where(np.isnan(res), 0.0, res)


def _invoice_features(p: Portfolio, index: pd.Index, t: float, out: dict[str, np.ndarray]) -> None:
    n = len(index)
    inv = p.tables["invoices"]
    code = _codes(inv["account_id"], index)
    due = _days(inv["due_date"])
    paid = _days(inv["paid_date"])
    amount = inv["amount"].to_numpy(dtype=float)
    late = np.maximum(np.where(np.isnan(paid), t, paid) - due, 0.0)
    is_due = due <= t
    m6, m12 = _months_before(p.as_of, 6), _months_before(p.as_of, 12)
    last12 = is_due & (due > m12)
    avg12 = _mean(code, late, last12, n)
    out["days_late_avg_12m"] = avg12
    recent = _mean(code, late, is_due & (due > m6), n)
    before = _mean(code, late, (due > m12) & (due <= m6), n)
    out["days_late_change_6m"] = np.where(np.isnan(recent) | np.isnan(before), 0.0, recent - before)
    unpaid = np.isnan(paid)
    open_amt = _sum(code, amount, unpaid, n)
    overdue_amt = _sum(code, amount, unpaid & (due < t), n)
    out["overdue_share"] = np.where(open_amt > 0, overdue_amt / np.maximum(open_amt, 1e-12), 0.0)
