"""Phase 7b: a credit line and a sale of the same product to the same account on the same day are one correction.

ERP exports book a cancelled order as the order and a credit note of it, and a repriced invoice as a credit note of
the old invoice and a new invoice, often on one day. Read line by line, both look like a return and a new order:
UCI Online Retail's C15749 (top 100 at 2011-11-30) bought 23.0k in January; on 2011-04-18 a credit note of all 23.0k
and a new invoice of 21.5k for the same five products were booked. Its page read "returns and credit notes 52% of
gross", "last order 2011-04-18" and "bought in 2 different weeks", while the monthly chart (which nets a negative
month into the month before, see :func:`kamtools.data.portfolio.net_negative_months`) showed one January order.
In the whole log, 1,267 of the 8,905 credit lines, 61% of all credited revenue (373.0k of 611.3k), are cancelled or
billed again the same day. The top 100's overview named three accounts whose returns exceeded 30% of gross: C16029
(37%), C15749 (52%) and C14607 (32%); netted, none does (18%, 16% and 0.7%), and the portfolio's share of
returns in the last 12 months is 2.8%, was 4.8%. C15749 keeps 16%: its credit note names one product (47566B) that
the new invoice and the January order spell 47556B, so that line is not matched.

:func:`net_same_day_corrections` sums such lines (same account, product and day) into one: a sale when the net
revenue is positive (a same-day partial return leaves what was kept), a credit line when it is negative (C15749's
five lines become rebates of 1.46k in all, 6% of gross), nothing when all of it was cancelled. Revenue, quantity
and cost totals are unchanged; the share of returns, the counts of orders and purchase days and the last order
date follow what the account kept. A warning says how many lines were netted and how much credited revenue that was; the same two figures are kept
as the load's fact ``same_day_corrections`` (:attr:`kamtools.data.portfolio.Portfolio.facts`) for the pages' note.
"""

from __future__ import annotations

import pandas as pd

from kamtools.data.loader.state import Findings, Loaded
from kamtools.data.portfolio import credit_lines
from kamtools.data.validation import Problem, count, verb

_SUMMED = ("quantity", "net_revenue", "cost")


def net_same_day_corrections(loaded: Loaded, findings: Findings) -> None:
    """Sum every (account, product, day) that holds both a credit line and a sale into one line (see the module).

    Writes ``loaded.tables["orders"]`` (and its reported rows) with the netted lines; adds one warning."""
    df = loaded.tables.get("orders")
    needed = ("account_id", "product_id", "order_date", "quantity", "net_revenue")
    if df is None or len(df) == 0 or any(c not in df.columns for c in needed):
        return
    credit = credit_lines(df).fillna(False).astype(bool)
    mixed, groups = _cases(df, credit)
    if not mixed.any():
        return
    cols = [c for c in _SUMMED if c in df.columns]
    totals = df.loc[mixed, cols].groupby(groups[mixed]).sum(min_count=1)
    outcome = _outcomes(totals)
    # a sum whose signs disagree (e.g. more units credited than sold, for less money) is left as it was exported
    mixed &= ~groups.isin(outcome.index[outcome == UNMATCHED])
    outcome = outcome[outcome != UNMATCHED]
    if outcome.empty:
        return
    netted, keep = _netted(df, credit, mixed, groups, totals.loc[outcome.index, cols], outcome)
    loaded.tables["orders"] = netted[keep].copy()
    loaded.bad["orders"] = {k: v[keep] for k, v in loaded.bad.get("orders", {}).items()}
    fact = {
        "lines": int((credit & mixed).sum()),
        "credited": float(-df.loc[credit & mixed, "net_revenue"].clip(upper=0).sum()),
    }
    findings.facts["same_day_corrections"] = fact
    findings.warnings.append(_warning(loaded, df.loc[mixed, "net_revenue"], credit[mixed], outcome, fact))


KEPT, CREDITED, CANCELLED, UNMATCHED = "kept", "credited", "cancelled", "unmatched"  # what a case's lines sum to


def _cases(df: pd.DataFrame, credit: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(mixed, groups): whether each line's (account, product, day) holds both a credit line and a sale, and that
    group's number (-1 where a key is missing)."""
    day = pd.to_datetime(df["order_date"], errors="coerce").dt.normalize()
    key = pd.DataFrame({"a": df["account_id"], "p": df["product_id"], "d": day}, index=df.index)
    groups = key.groupby(["a", "p", "d"], sort=False, dropna=True).ngroup()
    has_credit = credit.groupby(groups).transform("any")
    has_sale = (~credit).groupby(groups).transform("any")
    return has_credit & has_sale & (groups >= 0), groups


def _outcomes(totals: pd.DataFrame) -> pd.Series:
    """What each case's summed lines are: a sale where something was kept (revenue, units and cost all positive or
    cost zero), a credit where more was credited than sold, cancelled where everything nets to zero, else
    unmatched (signs that disagree)."""
    r, q = totals["net_revenue"], totals["quantity"].fillna(0)
    cost = totals["cost"].fillna(0) if "cost" in totals.columns else pd.Series(0.0, index=totals.index)
    outcome = pd.Series(UNMATCHED, index=totals.index, dtype="object")
    outcome[(r > 0) & (q > 0) & (cost >= 0)] = KEPT
    outcome[(r < 0) & (q <= 0) & (cost <= 0)] = CREDITED
    outcome[(r == 0) & (q == 0) & (cost == 0)] = CANCELLED
    return outcome


def _netted(
    df: pd.DataFrame, credit: pd.Series, mixed: pd.Series, groups: pd.Series, totals: pd.DataFrame, outcome: pd.Series
) -> tuple[pd.DataFrame, pd.Series]:
    """(orders, keep): each case's total written on one of its lines (its first sale where something was kept,
    else its first credit line; none for a cancelled case), and which lines remain."""
    lines = df.index.to_series()[mixed]
    g = groups[mixed]
    first_sale = lines[~credit[mixed]].groupby(g[~credit[mixed]]).first().reindex(outcome.index)
    first_credit = lines[credit[mixed]].groupby(g[credit[mixed]]).first().reindex(outcome.index)
    carrier = first_sale.where(outcome == KEPT, first_credit)[outcome != CANCELLED].astype("int64")
    out = df.copy()
    for c in totals.columns:
        out.loc[carrier.to_numpy(), c] = totals.loc[carrier.index, c].to_numpy()
    keep = ~mixed
    keep.loc[carrier.to_numpy()] = True
    return out, keep


def _warning(
    loaded: Loaded, revenue: pd.Series, credit: pd.Series, outcome: pd.Series, fact: dict[str, float]
) -> Problem:
    """The load's warning: how many credit lines were read as corrections (``fact``), worth how much credited revenue,
    pointing at the netted lines (``revenue`` and ``credit`` of those lines)."""
    n_credit, credited = int(fact["lines"]), float(fact["credited"])
    return loaded.problem(
        "orders",
        None,
        "same_day_corrections",
        f"{count(n_credit, 'credit line')} ({credited:,.0f} of credited revenue) {verb(n_credit, 'was', 'were')} "
        f"booked on the same day as a sale of the same product to the same account ({count(len(outcome), 'case')}, "
        f"{int((outcome == CANCELLED).sum())} of them cancelled in full): each is read as one correction, a cancelled "
        "or repriced order, not as a return and a new order. Each case is netted into one line: revenue, margin "
        "and totals are unchanged; the returns share, the order counts and the last order date count only what "
        "the account kept.",
        "Nothing to do if the export books cancellations and repriced invoices this way. Use --negative-lines "
        "drop to leave all credit lines out instead.",
        revenue,
        credit,
    )
