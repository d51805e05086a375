"""A lapsed account's probability follows the drift of the history (issue 17, LAPSED17).

Accounts lost for good pile up among the lapsed ones while intermittent buyers keep coming and
going, so the share of lapsed accounts that stay away rises over a history. The probability
shown is read at the analysis date from the line through the earlier dates, not averaged over
them; on a steady history it is the history's own share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_churn_lapsed import _monthly, _portfolio

from kamtools.churn import ChurnDefinition
from kamtools.churn.lapsed import lapsed_rate
from kamtools.churn.scoring import _active_mask

CUT, END = pd.Timestamp("2024-12-31"), "2025-06-30"


def _every_9_months(j: int, end: str, stop: pd.Timestamp | None = None) -> list[str]:
    """An order every 9 months from 2021-01-10 + (j mod 9) months, up to ``end``, the last one the first on or
    after ``stop``."""
    days: list[str] = []
    for k in range(20):
        day = pd.Timestamp("2021-01-10") + pd.DateOffset(months=j % 9 + 9 * k)
        if day > pd.Timestamp(end):
            break
        days.append(str(day.date()))
        if stop is not None and day >= stop:
            break
    return days


def _scored(days: dict[str, list[str]]):
    """The lapsed accounts on CUT, the probability shown for each, whether each placed no order up to END, and the
    LapsedRate."""
    full = _portfolio(days, END)
    p = full.truncate(CUT)
    active, ever = _active_mask(p, ChurnDefinition())
    lapsed = ~active & ever
    rate = lapsed_rate(p, 6, 6, lapsed)
    ids = p.accounts["account_id"].astype(str).to_numpy()
    after = full.orders[full.orders["order_date"] > CUT]
    stayed = ~np.isin(ids, after["account_id"].astype(str).unique())
    return ids[lapsed], rate.probability[lapsed], stayed[lapsed], rate


def _share_at(days: dict[str, list[str]], t: str) -> float:
    """The share of accounts lapsed on ``t`` (no order in the 6 months before) that placed no order in the next 6."""
    t0 = pd.Timestamp(t)
    lapsed = []
    for account, dates in days.items():
        before = [pd.Timestamp(x) for x in dates if pd.Timestamp(x) <= t0]
        if before and max(before) <= t0 - pd.DateOffset(months=6):
            lapsed.append(account)
    back = [a for a in lapsed if any(t0 < pd.Timestamp(x) <= t0 + pd.DateOffset(months=6) for x in days[a])]
    return 1 - len(back) / len(lapsed)


def test_lost_accounts_piling_up_raise_the_rate_shown_to_what_came_true():
    """36 accounts order every 9 months and always come back; from 2022 on one more account a month stops
    for good after its next order. At the end of 2024, 24 of the 39 lapsed accounts (62%) placed no order in the
    next 6 months; the earlier dates saw 0% (2021) rising to 50% (mid-2024)."""
    days = {f"S{i:02d}": _monthly("2021-01-01", END) for i in range(30)}
    for j in range(72):
        stop = pd.Timestamp("2022-01-01") + pd.DateOffset(months=j - 36) if j >= 36 else None
        days[f"Q{j:02d}"] = _every_9_months(j, END, stop)
    ids, shown, stayed, rate = _scored(days)
    assert len(ids) == 39 and stayed.sum() == 24
    assert _share_at(days, "2024-06-30") == 0.5 and _share_at(days, "2021-12-31") == 0.0
    assert abs(shown.mean() - stayed.mean()) < 0.05, (shown.mean(), stayed.mean())
    assert shown.mean() > 0.5 > rate.stayed_away / rate.n  # above the newest date's share, far above the average
    assert rate.sentence.endswith("carried to today by the drift of that share across the dates")


def test_on_a_steady_history_the_rate_is_the_history_s_own_share():
    """12 accounts stopped for good in March 2021 and 36 order every 9 months (a third of them between two orders
    6 months apart or more at any date): the lost ones read near 100%, the intermittent ones near 0%."""
    days = {f"S{i:02d}": _monthly("2021-01-01", END) for i in range(30)}
    days |= {f"L{i:02d}": _monthly("2021-01-01", "2021-03-31") for i in range(12)}
    days |= {f"Q{j:02d}": _every_9_months(j, END) for j in range(36)}
    ids, shown, stayed, rate = _scored(days)
    lost, intermittent = np.char.startswith(ids.astype(str), "L"), np.char.startswith(ids.astype(str), "Q")
    assert lost.sum() == 12 and intermittent.sum() == 12 and stayed[lost].all() and not stayed[intermittent].any()
    assert (shown[lost] > 0.9).all() and (shown[intermittent] < 0.1).all(), shown
    assert abs(shown.mean() - stayed.mean()) < 0.05
