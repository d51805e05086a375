"""The churn probability of a lapsed account, estimated from the portfolio's own history.

An account is *lapsed* on a date when it has ordered before but placed no order (sales lines
only: returns and credit notes are not orders) in the ``lookback_months`` before it. Whether
it stays gone is not certain: on the CDNOW log 11-26% of such accounts ordered again within
6 months. So the probability shown is the share of accounts that were lapsed by the same rule
on earlier dates inside the history (every month whose next ``horizon_months`` lie before the
analysis date, out of time) and placed no order in those months.

The rate is read by how long the account has been silent (:data:`GAP_EDGES`, months beyond
the lookback): a long silence returns less often. Each group's rate is shrunk toward the
pooled rate by :data:`PRIOR_ACCOUNTS` pseudo-accounts, so a group of a few accounts reads
close to the pool; a silence longer than any seen at the earlier dates takes the rate of the
longest group that was seen. With fewer than :data:`MIN_LAPSED` lapsed account-dates (a
history too short for an earlier date whose horizon has passed), no probability is given:
the account is shown as lapsed without a percentage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.churn._arrays import _codes, _count, _day, _days, _max
from kamtools.data.portfolio import Portfolio, credit_lines

MIN_LAPSED = 20  # lapsed account-dates in the history needed to estimate a rate
PRIOR_ACCOUNTS = 20.0  # pseudo-accounts at the pooled rate added to each silence group
GAP_EDGES = (0, 3, 6, 12)  # months of silence beyond the lookback where the groups start
_MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class LapsedRate:
    """What the history says about lapsed accounts.

    probability : per account of the portfolio (NaN when not lapsed or not estimable);
    n : lapsed account-dates observed; stayed_away : how many of them placed no order in the
    horizon; dates : earlier dates used; sentence : how the figure was obtained (for the
    ``method`` column).
    """

    probability: np.ndarray
    n: int
    stayed_away: int
    dates: int
    sentence: str


def _sales(p: Portfolio, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    orders = p.orders[~credit_lines(p.orders)]
    return _codes(orders["account_id"], index), _days(orders["order_date"])


def _group(gap_months: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(GAP_EDGES, dtype=float), gap_months, side="right") - 1


def lapsed_rate(p: Portfolio, lookback_months: int, horizon_months: int, lapsed: np.ndarray) -> LapsedRate:
    """The probability that each account flagged in ``lapsed`` (over ``p.accounts``) places no
    order in the next ``horizon_months``, from earlier dates of ``p``'s history (module docstring)."""
    index = pd.Index(p.accounts["account_id"].astype(object))
    n_acc = len(index)
    code, day = _sales(p, index)
    out = np.full(n_acc, np.nan)
    if not len(day) or not lapsed.any():
        return LapsedRate(out, 0, 0, 0, "")
    first = pd.Timestamp(p.orders.loc[~credit_lines(p.orders), "order_date"].min())
    gaps: list[np.ndarray] = []
    stayed: list[np.ndarray] = []
    dates = 0
    k = 0
    while k < 600:
        t = (p.as_of - pd.DateOffset(months=horizon_months + k)).normalize()
        k += 1
        if t < first + pd.DateOffset(months=lookback_months):
            break
        td = _day(t)
        last = _max(code, day, day <= td, n_acc)
        was_lapsed = ~np.isnan(last) & (last <= _day(t - pd.DateOffset(months=lookback_months)))
        if not was_lapsed.any():
            continue
        came_back = _count(code, (day > td) & (day <= _day(t + pd.DateOffset(months=horizon_months))), n_acc) > 0
        dates += 1
        gaps.append((td - last[was_lapsed]) / _MONTH_DAYS - lookback_months)
        stayed.append(~came_back[was_lapsed])
    n = int(sum(len(s) for s in stayed))
    away = int(sum(int(s.sum()) for s in stayed))
    if n < MIN_LAPSED:
        seen = f"only {n} lapsed account-dates" if n else "no account that had lapsed"
        return LapsedRate(
            out,
            n,
            away,
            dates,
            f"the history holds {seen} on an earlier date whose next {horizon_months} months have passed "
            f"(it needs {MIN_LAPSED}), so no probability of staying away is given",
        )
    g_past, s_past = _group(np.maximum(np.concatenate(gaps), 0.0)), np.concatenate(stayed)  # calendar vs 30.4 days
    pooled = away / n
    n_groups = len(GAP_EDGES)
    cnt = np.bincount(g_past, minlength=n_groups).astype(float)
    hit = np.bincount(g_past, weights=s_past.astype(float), minlength=n_groups)
    rate = (hit + PRIOR_ACCOUNTS * pooled) / (cnt + PRIOR_ACCOUNTS)
    seen = np.flatnonzero(cnt > 0)
    for g in range(n_groups):  # a silence longer than any seen takes the longest group's rate
        if cnt[g] == 0:
            lower = seen[seen < g]
            rate[g] = rate[lower.max()] if len(lower) else pooled
    last_now = _max(code, day, day <= _day(p.as_of), n_acc)
    gap_now = (_day(p.as_of) - last_now) / _MONTH_DAYS - lookback_months
    now = lapsed & ~np.isnan(last_now)
    out[now] = rate[_group(np.maximum(gap_now[now], 0.0))]
    sentence = (
        f"the share of accounts lapsed by the same rule on {dates} earlier date{'s' if dates != 1 else ''} of "
        f"the history that placed no order in the next {horizon_months} months ({away:,} of {n:,}, "
        f"{pooled:.0%}), read by how long the account has been silent"
    )
    return LapsedRate(out, n, away, dates, sentence)
