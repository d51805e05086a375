"""Receivables KPIs per account: open and overdue amounts, ageing buckets, days sales outstanding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.kpis.base import DAY, _at, _base, _codes, _count, _ratio, _total

AGEING_BUCKETS = [
    ("not_due", "not yet due"),
    ("0_30", "0-30 days past due"),
    ("31_60", "31-60 days past due"),
    ("61_90", "61-90 days past due"),
    ("90_plus", "over 90 days past due"),
]


def _invoice_state(p: Portfolio, as_of: pd.Timestamp):
    inv = p.tables["invoices"]
    idx = _codes(p, "invoices")
    t = np.datetime64(as_of, "ns")
    issue = inv["issue_date"].to_numpy()
    due = inv["due_date"].to_numpy()
    paid = inv["paid_date"].to_numpy()
    amount = inv["amount"].to_numpy(dtype=float)
    known = issue <= t
    unpaid = known & (np.isnat(paid) | (paid > t))
    dpd = (t - due) / DAY  # days past due (negative: not yet due)
    return inv, idx, issue, due, paid, amount, known, unpaid, dpd


def _bucket_masks(unpaid: np.ndarray, dpd: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "not_due": unpaid & (dpd < 0),
        "0_30": unpaid & (dpd >= 0) & (dpd <= 30),
        "31_60": unpaid & (dpd > 30) & (dpd <= 60),
        "61_90": unpaid & (dpd > 60) & (dpd <= 90),
        "90_plus": unpaid & (dpd > 90),
    }


def receivables_kpis(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Accounts receivable, ageing, DSO and payment behaviour, per account.

    An invoice is open when it is not paid by ``as_of``; days past due = ``as_of`` - due
    date. DSO (days sales outstanding) = open AR / amount invoiced in the last 90 days x 90
    (NaN when nothing was invoiced in the last 90 days). An invoice is late when it was
    paid after its due date, or is still unpaid after it. ``late_share_12m`` is the share of
    invoices due in the last 12 months that were late; ``late_share_trend`` is that minus
    the same share of the 12 months before (positive = paying later than a year ago).

    Returns columns: account_id, open_ar, overdue_ar, ar_not_due, ar_0_30, ar_31_60, ar_61_90,
    ar_90_plus, overdue_60_plus (more than 60 days past due), overdue_invoices,
    oldest_overdue_days, invoiced_90d, dso_days, invoices_due_12m, late_invoices_12m,
    late_share_12m, late_share_prior_12m, late_share_trend, avg_days_late_12m.
    """
    p, as_of = _at(portfolio, as_of)
    if not p.has("invoices"):
        return NotAvailable("No invoices table was supplied, so receivables (AR ageing, DSO) are not available.")
    _, idx, issue, due, paid, amount, known, unpaid, dpd = _invoice_state(p, as_of)
    n = len(p.accounts)
    t = np.datetime64(as_of, "ns")
    out = _base(p)
    out["open_ar"] = _total(idx, unpaid, amount, n)
    out["overdue_ar"] = _total(idx, unpaid & (dpd >= 0), amount, n)
    for key, mask in _bucket_masks(unpaid, dpd).items():
        out[f"ar_{key}"] = _total(idx, mask, amount, n)
    out["overdue_60_plus"] = out["ar_61_90"] + out["ar_90_plus"]
    overdue = unpaid & (dpd > 0)
    out["overdue_invoices"] = _count(idx, overdue, n)
    oldest = np.full(n, -1.0)
    keep = overdue & (idx >= 0)
    np.maximum.at(oldest, idx[keep], dpd[keep])
    out["oldest_overdue_days"] = np.where(oldest >= 0, oldest, np.nan)
    out["invoiced_90d"] = _total(idx, known & (issue > t - 90 * DAY), amount, n)
    out["dso_days"] = _ratio(out["open_ar"], out["invoiced_90d"]) * 90
    late = (~np.isnat(paid) & (paid <= t) & (paid > due)) | (unpaid & (due < t))
    w12 = known & (due <= t) & (due > t - 365 * DAY)
    w24 = known & (due <= t - 365 * DAY) & (due > t - 730 * DAY)
    out["invoices_due_12m"] = _count(idx, w12, n)
    out["late_invoices_12m"] = _count(idx, w12 & late, n)
    out["late_share_12m"] = _ratio(out["late_invoices_12m"], out["invoices_due_12m"])
    out["late_share_prior_12m"] = _ratio(_count(idx, w24 & late, n), _count(idx, w24, n))
    out["late_share_trend"] = out["late_share_12m"] - out["late_share_prior_12m"]
    settle = np.where(~np.isnat(paid) & (paid <= t), paid, t)
    days_late = np.clip((settle - due) / DAY, 0, None)
    out["avg_days_late_12m"] = _ratio(_total(idx, w12, np.nan_to_num(days_late), n), out["invoices_due_12m"])
    return out


def receivables_ageing(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Open AR per account and ageing bucket (long format, for tables and charts).

    One row per account with any invoice and per bucket (all five buckets, zeros included,
    in ageing order). Returns columns: account_id, bucket (not_due, 0_30, 31_60, 61_90,
    90_plus), bucket_label, bucket_order (0-4), amount, invoices.
    """
    p, as_of = _at(portfolio, as_of)
    if not p.has("invoices"):
        return NotAvailable("No invoices table was supplied, so receivables ageing is not available.")
    _, idx, _, _, _, amount, known, unpaid, dpd = _invoice_state(p, as_of)
    n = len(p.accounts)
    ids = p.accounts["account_id"].to_numpy()
    has = _count(idx, known, n) > 0
    frames = []
    for order, ((key, label), mask) in enumerate(zip(AGEING_BUCKETS, _bucket_masks(unpaid, dpd).values())):
        frames.append(
            pd.DataFrame(
                {
                    "account_id": ids[has],
                    "bucket": key,
                    "bucket_label": label,
                    "bucket_order": order,
                    "amount": _total(idx, mask, amount, n)[has],
                    "invoices": _count(idx, mask, n)[has],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["account_id", "bucket_order"], kind="stable").reset_index(drop=True)
