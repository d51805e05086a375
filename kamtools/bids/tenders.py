"""The tender calendar: accounts that tender the same category at a regular rhythm.

An account's bids in one category are grouped into tenders (bids opened within
:data:`SAME_TENDER_DAYS` days of the first bid of a tender belong to it). When the
account has at least :data:`MIN_TENDERS` tenders of a category and the gaps between them
are regular (yearly: median 10-14 months, every gap within 3 months of it; half-yearly:
median 5-7 months, every gap within 1.5 months), the next tenders are predicted by adding
the median gap to the last one, and kept when they fall after the as-of date and within
:data:`HORIZON_MONTHS` months. Expected value: the median value of the past tenders.
Confidence: "high" with 4 or more tenders whose gaps are all within 1 month of the median,
"medium" within 2 months, else "low"; one step lower when a predicted tender before the
as-of date is missing from the data (and no prediction at all when two or more are). The opportunities table has no contract end dates,
so recurring tenders are the only source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio

SAME_TENDER_DAYS = 60
MIN_TENDERS = 3
HORIZON_MONTHS = 18
DAYS_PER_MONTH = 365.25 / 12
_RHYTHMS = (("about yearly", 10.0, 14.0, 3.0), ("about every six months", 5.0, 7.0, 1.5))
_LEVELS = ("low", "medium", "high")
COLUMNS = [
    "account_id",
    "category",
    "expected_month",
    "expected_value",
    "last_tender_date",
    "n_past_tenders",
    "interval_months",
    "basis",
    "confidence",
]


def _tenders(dates: np.ndarray) -> list[int]:
    """Indices (into the sorted dates) of the first bid of each tender."""
    starts = [0]
    for i in range(1, len(dates)):
        if (dates[i] - dates[starts[-1]]) / np.timedelta64(1, "D") > SAME_TENDER_DAYS:
            starts.append(i)
    return starts


def _months_text(months: list[str]) -> str:
    if len(months) > 4:
        return f"{months[0]}, ..., {months[-2]} and {months[-1]} ({len(months)} times)"
    return ", ".join(months[:-1]) + f" and {months[-1]}"


def _predict(group: pd.DataFrame, as_of: pd.Timestamp) -> list[dict]:
    """Predicted tenders of one account and category (empty when not regular)."""
    group = group.sort_values("created_date", kind="stable")
    dates = group["created_date"].to_numpy()
    starts = _tenders(dates)
    if len(starts) < MIN_TENDERS:
        return []
    first = group["created_date"].iloc[starts]
    values = np.add.reduceat(group["amount"].to_numpy(float), starts)
    gaps = np.diff(first.to_numpy()) / np.timedelta64(1, "D") / DAYS_PER_MONTH
    median = float(np.median(gaps))
    spread = float(np.max(np.abs(gaps - median)))
    rhythm = next((r for r in _RHYTHMS if r[1] <= median <= r[2] and spread <= r[3]), None)
    if rhythm is None:
        return []
    level = 2 if (len(starts) >= 4 and spread <= 1) else 1 if spread <= 2 else 0
    step = pd.DateOffset(months=int(round(median)))
    last = first.iloc[-1]
    nxt, missed = last + step, 0
    while nxt <= as_of:
        missed += 1
        nxt = nxt + step
    if missed > 1:  # the rhythm has broken: more than one expected tender is not in the data
        return []
    level = max(level - missed, 0)
    months = [d.strftime("%Y-%m") for d in first]
    basis = f"tendered {group['category'].iloc[0]} in {_months_text(months)}: {rhythm[0]}"
    if missed:
        basis += "; the last expected tender is not in the data"
    out = []
    while nxt <= as_of + pd.DateOffset(months=HORIZON_MONTHS):
        out.append(
            {
                "account_id": group["account_id"].iloc[0],
                "category": group["category"].iloc[0],
                "expected_month": nxt.to_period("M").start_time,
                "expected_value": float(np.median(values)),
                "last_tender_date": last,
                "n_past_tenders": len(starts),
                "interval_months": round(median, 1),
                "basis": basis,
                "confidence": _LEVELS[level],
            }
        )
        nxt = nxt + step
    return out


def tender_calendar(portfolio: Portfolio) -> pd.DataFrame | NotAvailable:
    """Predicted recurring tenders after the as-of date (see module docstring)."""
    if not portfolio.has("opportunities"):
        return NotAvailable("No opportunities table was supplied, so past tenders are unknown.")
    opp = portfolio.tables["opportunities"]
    if "category" not in opp.columns:
        return NotAvailable("The opportunities table has no category column, so recurring tenders cannot be seen.")
    opp = opp[opp["category"].notna() & (opp["created_date"] <= portfolio.as_of)]
    frame = pd.DataFrame(
        {
            "account_id": opp["account_id"].astype("str"),
            "category": opp["category"].astype("str"),
            "created_date": opp["created_date"],
            "amount": opp["amount"].astype(float),
        }
    )
    counts = frame.groupby(["account_id", "category"])["created_date"].transform("size")
    frame = frame[counts >= MIN_TENDERS]
    rows: list[dict] = []
    for _, group in frame.groupby(["account_id", "category"], sort=True):
        rows.extend(_predict(group, portfolio.as_of))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["expected_month"] = pd.to_datetime(out["expected_month"]).astype("datetime64[ns]")
    out["last_tender_date"] = pd.to_datetime(out["last_tender_date"]).astype("datetime64[ns]")
    out["n_past_tenders"] = out["n_past_tenders"].astype(np.int64)
    for col in ("account_id", "category", "basis", "confidence"):
        out[col] = out[col].astype("str")
    return out.sort_values(["expected_month", "account_id", "category"], kind="stable").reset_index(drop=True)
