"""The tender calendar: accounts that tender the same category at a regular rhythm.

An account's bids in one category are grouped into tenders (a bid opened within
:data:`SAME_TENDER_DAYS` days of the account's previous bid in the category belongs to the
same tender). When the
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


def _months_text(months: list[str]) -> str:
    if len(months) > 4:
        return f"{months[0]}, ..., {months[-2]} and {months[-1]} ({len(months)} times)"
    return ", ".join(months[:-1]) + f" and {months[-1]}"


def _tender_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per tender: account_id, category, start (first bid), value (sum of its bids)."""
    frame = frame.sort_values(["account_id", "category", "created_date"], kind="stable")
    key = frame["account_id"] + "\x1f" + frame["category"]
    gap = frame["created_date"].diff() > pd.Timedelta(days=SAME_TENDER_DAYS)
    tender = ((key != key.shift()) | gap).cumsum()
    return (
        frame.groupby(tender.to_numpy(), sort=True)
        .agg(
            account_id=("account_id", "first"),
            category=("category", "first"),
            start=("created_date", "min"),
            value=("amount", "sum"),
        )
        .reset_index(drop=True)
    )


def _regular(tenders: pd.DataFrame) -> pd.DataFrame:
    """Per account and category with a regular rhythm: n, median gap (months), spread, rhythm words."""
    g = tenders.groupby(["account_id", "category"], sort=True)
    gaps = g["start"].diff().dt.days / DAYS_PER_MONTH
    stats = gaps.groupby([tenders["account_id"], tenders["category"]]).agg(["size", "median"])
    spread = (gaps - gaps.groupby([tenders["account_id"], tenders["category"]]).transform("median")).abs()
    stats["spread"] = spread.groupby([tenders["account_id"], tenders["category"]]).max()
    stats = stats[stats["size"] >= MIN_TENDERS]  # size counts the first tender's missing gap too
    stats["rhythm"] = ""
    for words, low, high, within in _RHYTHMS:
        hit = stats["median"].between(low, high) & (stats["spread"] <= within) & (stats["rhythm"] == "")
        stats.loc[hit, "rhythm"] = words
    return stats[stats["rhythm"] != ""]


def _predict(tenders: pd.DataFrame, median: float, spread: float, rhythm: str, as_of: pd.Timestamp) -> list[dict]:
    """Predicted tenders of one account and category with a regular rhythm."""
    first, n = tenders["start"], len(tenders)
    level = 2 if (n >= 4 and spread <= 1) else 1 if spread <= 2 else 0
    step = pd.DateOffset(months=int(round(median)))
    last = first.iloc[-1]
    nxt, missed = last + step, 0
    while nxt <= as_of:
        missed += 1
        nxt = nxt + step
    if missed > 1:  # the rhythm has broken: more than one expected tender is not in the data
        return []
    months = [d.strftime("%Y-%m") for d in first]
    basis = f"tendered {tenders['category'].iloc[0]} in {_months_text(months)}: {rhythm}"
    if missed:
        basis += "; the last expected tender is not in the data"
    out = []
    while nxt <= as_of + pd.DateOffset(months=HORIZON_MONTHS):
        out.append(
            {
                "account_id": tenders["account_id"].iloc[0],
                "category": tenders["category"].iloc[0],
                "expected_month": nxt.to_period("M").start_time,
                "expected_value": float(tenders["value"].median()),
                "last_tender_date": last,
                "n_past_tenders": n,
                "interval_months": round(median, 1),
                "basis": basis,
                "confidence": _LEVELS[max(level - missed, 0)],
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
            "account_id": opp["account_id"],
            "category": opp["category"].astype("str"),
            "created_date": opp["created_date"],
            "amount": opp["amount"].astype(float),
        }
    )
    tenders = _tender_table(frame)
    regular = _regular(tenders)
    rows: list[dict] = []
    if len(regular):
        chosen = tenders.set_index(["account_id", "category"]).loc[regular.index].reset_index()
        for (acc, cat), group in chosen.groupby(["account_id", "category"], sort=True):
            stats = regular.loc[(acc, cat)]
            rows.extend(_predict(group, stats["median"], stats["spread"], stats["rhythm"], portfolio.as_of))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["expected_month"] = pd.to_datetime(out["expected_month"]).astype("datetime64[ns]")
    out["last_tender_date"] = pd.to_datetime(out["last_tender_date"]).astype("datetime64[ns]")
    out["n_past_tenders"] = out["n_past_tenders"].astype(np.int64)
    for col in ("account_id", "category", "basis", "confidence"):
        out[col] = out[col].astype("str")
    return out.sort_values(["expected_month", "account_id", "category"], kind="stable").reset_index(drop=True)
