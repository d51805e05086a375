"""The churn probability of a lapsed account, estimated from the portfolio's own history.

An account is *lapsed* on a date when it has ordered before but placed no order (sales lines
only: returns and credit notes are not orders) in the ``lookback_months`` before it. Whether
it stays gone is not certain: on the CDNOW log 11-26% of such accounts ordered again within
6 months. So the probability shown comes from the accounts that were lapsed by the same rule
on earlier dates inside the history (every month whose next ``horizon_months`` lie before the
analysis date, out of time) and whether they placed an order in those months.

The rate is read by how long the account has been silent against its usual gap between
order days (:data:`RATIO_EDGES`; accounts with a single order day form their own group): an
account silent for many of its usual gaps comes back less often than a seasonal buyer between
two orders. The usual gap is the time from the account's first order day to the date, over
its order days less one (the inverse of its ordering rate, the current silence included): a
few orders close together long ago do not make a short gap.

The share of lapsed accounts that stay away drifts as a portfolio ages: accounts lost for good
pile up among the lapsed ones, while intermittent buyers keep coming and going. So the rate is
a straight line in time through the earlier dates' outcomes (least squares, one level per
silence group shrunk toward the pooled level by :data:`PRIOR_ACCOUNTS` pseudo-accounts, one
drift for all), read at the analysis date and kept between 0 and 1. A straight line rather
than a logistic curve: the share of lost accounts among the lapsed rises ever more slowly as
they pile up, and a logistic curve fitted to the start of that rise runs far past it (a
constructed history where the share rose from 0% to 38% over a year read 75% where 50% came
true; the straight line read 31%). Only a rising line is carried to the analysis date: a share
that falls across the dates comes from who was present at them (a portfolio whose early lapsed
accounts are its heaviest, a season of returns), not from lost accounts leaving, and the
levels are then refitted without a drift. A silence longer (in gaps) than any seen at
the earlier dates takes the rate of the longest group that was seen. With fewer than
:data:`MIN_LAPSED` lapsed account-dates (a history too short for an earlier date whose horizon
has passed), no probability is given: the account is shown as lapsed without a percentage.

A key-account portfolio is often the accounts with the most revenue, and then its own history
makes lapsed accounts look loyal: an account that lapsed at an earlier date and stayed away
stopped adding revenue and rarely made the list, one that came back did (CDNOW's top 500 by
revenue up to the analysis date: 33-47% of its lapsed accounts stayed away at each earlier
date, 67% after it). Such a portfolio shows a crowd just above its smallest account's revenue
(:func:`revenue_floor`: at least :data:`FLOOR_SHARE` of the accounts less than
:data:`FLOOR_BAND` times it; 13-35% for CDNOW's top 500 lists, 8-17% for the demo's top 150,
a cut through the middle of its revenue range, so 2 of 10 seeds go undetected; at most 2% for
the demo, a random 1,000 of CDNOW or all of it; accounts tied at the smallest amount are a
common order size and do not count). An earlier date then counts only the lapsed accounts whose revenue by
that date had already reached the floor: the list holds them whatever they did next. The
others are left out (the sentence says how many); when too few remain, no probability is given.
The forecast's backtest reads the same detector (:func:`chosen_at`) with the floor in proportion to the
time (the level of a list, not whether its lapsed accounts came back), and of those accounts it keeps, by
the same reasoning, only the ones whose revenue outside the months it checks reaches the floor: the list
holds them whatever they bought in those months (``kamtools.forecast.accounts.place_held``;
``benchmarks/bench_real_data.py``). A list chosen at an earlier date than the analysis date shows its crowd
most at that date (:func:`choice_date`), which the forecast's methods note names.

Measured by ``benchmarks/bench_lapsed_churn.py`` (calibration in the large: the mean shown
against the share that placed no order in the next 6 months, in points; one standard error of
that gap, were the figures right, is 5-10 points on the demo's 20-34 lapsed accounts). Demo
(300 accounts, 4 years, scored 6 months before its end), seeds 1, 2, 3, 4, 7: -6, +10, -12,
+2, +5, and seeds 5, 6, 8, 9, 10, on which nothing was chosen: -7, -11, +3, -13, +3 (the
groups' shares weighted by recency, before the line: -15, -12, -26, -20, -9 and -22, -21, -7,
-25, -26). The demo plants its churn in its last two years only, so the lapsed accounts at its
earlier dates are intermittent buyers that come back (0-31% stayed away at each date before
churn starts, seed 7), and at the analysis date 62% of them have stopped for good. CDNOW
random 1,000 at 13 months (5 months of truth) -4; with a 3-month rule at 15 months, random
1,000 +2, all 23,570 -0, top 500 by revenue up to the cut -2 (without the revenue floor -18,
the recency-weighted rate -25; Brier 0.222 against 0.244), the top 500 of 1997-06-30 -10 (its
shares fall late in 1997 as lapsed accounts came back for the holidays; 15 months hold no
earlier March to read). The demo's own top 150 by revenue has 0-10 lapsed accounts: the floor
leaves too few earlier account-dates on 7 of 10 seeds (no probability shown, where the line
without the floor read -38, -45 and -46 on three of them and -7 to +0 on the others).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.churn._arrays import _codes, _count, _day, _days
from kamtools.data.portfolio import Portfolio, credit_lines

MIN_LAPSED = 20  # lapsed account-dates in the history needed to estimate a rate
FLOOR_BAND = 1.25  # a portfolio looks chosen by revenue when FLOOR_SHARE of its accounts' revenue lies within
FLOOR_SHARE = 0.10  # FLOOR_BAND times its smallest (a natural portfolio: 0-2%; a top 500 or top 150: 8-35%)
FLOOR_ACCOUNTS = 20  # accounts with revenue needed to see a cut at all
CHOICE_MARGIN = 1.5  # an earlier choice date shows this many times the analysis date's crowd above the floor (the
# CDNOW lists chosen 3-7 months before their analysis date: 1.7-3.2 times; the demo's top 150: at most 1.1)
PRIOR_ACCOUNTS = 20.0  # pseudo-accounts at the pooled level that each group's own level is shrunk with
DRIFT_PENALTY = 1.0  # ridge on the drift per year: with a single earlier date there is no drift to read
RATIO_EDGES = (0.0, 1.5, 3.0, 6.0)  # silence as a multiple of the account's usual gap between orders: group starts
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


def _group(silence: np.ndarray, usual_gap: np.ndarray) -> np.ndarray:
    """0 for accounts with one order day only; 1.. by silence / usual gap (:data:`RATIO_EDGES`) otherwise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = silence / usual_gap
    g = np.searchsorted(np.asarray(RATIO_EDGES), np.nan_to_num(ratio, nan=0.0), side="right")
    return np.where(np.isfinite(ratio) & (usual_gap > 0), np.maximum(g, 1), 0)


def _state(code: np.ndarray, day: np.ndarray, td: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(last order day, usual gap in days) per account on day ``td``: the gap is the days from the first order
    day to ``td`` over the order days less one (NaN with one order day)."""
    keep = (code >= 0) & (day <= td)
    shift = 1 << 31  # day numbers may be negative (before 1970)
    pairs = np.unique(code[keep].astype(np.int64) * (1 << 32) + (day[keep].astype(np.int64) + shift))  # order days
    c, d = pairs >> 32, (pairs & ((1 << 32) - 1)).astype(float) - shift
    last, first = np.full(n, np.nan), np.full(n, np.nan)
    days = np.bincount(c, minlength=n).astype(float)
    if len(c):
        np.fmax.at(last, c, d)
        np.fmin.at(first, c, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(days > 1, (td - first) / (days - 1), np.nan)
    return last, gap


def revenue_floor(p: Portfolio, index: pd.Index) -> tuple[float | None, float]:
    """(the smallest account revenue up to the analysis date, the share of accounts above it and within
    :data:`FLOOR_BAND` times it) when the portfolio looks chosen by revenue (that share at least
    :data:`FLOOR_SHARE`: a cut leaves many accounts spread just above it), else (None, share).

    Revenue is net of credit notes, over the accounts with a positive total."""
    code, day = _codes(p.orders["account_id"], index), _days(p.orders["order_date"])
    total = _revenue_to(p, code, day, _day(p.as_of), len(index))
    total = total[total > 0]
    if len(total) < FLOOR_ACCOUNTS:
        return None, 0.0
    low, share = _crowd_above_smallest(total)
    return (low, share) if share >= FLOOR_SHARE else (None, share)


def _crowd_above_smallest(total: np.ndarray) -> tuple[float, float]:
    """(the smallest of the positive revenues ``total``, the share of them above it and within :data:`FLOOR_BAND`
    times it): the crowd a cut by revenue leaves just above itself. Accounts tied at the smallest amount are a
    common order size (one order of the same price), not a cut, so they do not count."""
    low = float(total.min())
    return low, float(np.mean((total > low) & (total <= FLOOR_BAND * low)))


def chosen_at(p: Portfolio, index: pd.Index, dates: list[pd.Timestamp]) -> tuple[list[np.ndarray] | None, float]:
    """When ``p`` looks chosen by revenue (:func:`revenue_floor`): per date of ``dates`` (earlier dates of its
    history), which accounts of ``index`` the same cut would have taken then, and the floor; (None, NaN) otherwise.

    The list is chosen on the revenue from the start of the data to the analysis date, so an earlier date's cut is
    on the revenue from the start to that date, at the floor in proportion to the time: the floor times the days
    from the first order to the date over those to the analysis date. At the floor itself an earlier date would
    take only the accounts that had bought faster than the list's smallest (a year into two years of data, at
    twice its rate: a more extreme choice than the list, whose later regression to the mean is larger)."""
    floor, _ = revenue_floor(p, index)
    if floor is None:
        return None, np.nan
    code, day = _codes(p.orders["account_id"], index), _days(p.orders["order_date"])
    start, end = float(np.nanmin(day[code >= 0])), _day(p.as_of)
    out = []
    for t in dates:
        td = _day(t)
        share = (td - start) / (end - start) if end > start else 1.0
        out.append(_revenue_to(p, code, day, td, len(index)) >= floor * share)
    return out, floor


def choice_date(p: Portfolio, index: pd.Index) -> pd.Timestamp | None:
    """The date at which ``p``, a portfolio that looks chosen by revenue (:func:`revenue_floor`), was chosen: the
    analysis date, or an earlier month end whose revenue to date shows a clearly larger crowd just above its
    smallest; None where ``p`` does not look chosen by revenue.

    A key-account list is often set once a year, the top accounts by revenue at that date, and analysed months
    later. What its accounts bought since has spread the crowd above the cut (CDNOW's top 300 by revenue to
    1997-06-30: 41% of its accounts within :data:`FLOOR_BAND` times the smallest at that date, 27% a month later,
    13% seven months later; a natural portfolio: under 1% at every month end, too few to be taken for a list). So
    a month end before the analysis date at which every account of the list had revenue (a cut takes only accounts
    that bought) is the choice date when its share (:func:`revenue_floor`'s) is the largest and at least
    :data:`CHOICE_MARGIN` times the analysis date's: the demo's top 150 by revenue, whose crowd is thin (10-17%),
    shows a month end within a tenth of its analysis date's share now and then."""
    floor, at_end = revenue_floor(p, index)
    if floor is None:
        return None
    code, day = _codes(p.orders["account_id"], index), _days(p.orders["order_date"])
    as_of = pd.Timestamp(p.as_of).normalize()
    start = pd.Timestamp(np.nanmin(day[code >= 0]), unit="D")
    best, best_share = as_of, CHOICE_MARGIN * at_end
    for t in pd.date_range(start + pd.offsets.MonthEnd(0), as_of - pd.Timedelta(days=1), freq="ME"):
        total = _revenue_to(p, code, day, _day(t), len(index))
        if not (total > 0).all():
            continue
        share = _crowd_above_smallest(total)[1]
        if share >= best_share:
            best, best_share = t, share
    return best


def _revenue_to(p: Portfolio, code: np.ndarray, day: np.ndarray, td: float, n: int) -> np.ndarray:
    """Net revenue per account on the lines of day ``td`` or earlier (``code``, ``day``: every line of p.orders)."""
    keep = (code >= 0) & (day <= td)
    return np.bincount(code[keep], weights=p.orders["net_revenue"].to_numpy(float)[keep], minlength=n)


def _rates(g: np.ndarray, stayed: np.ndarray, years_before: np.ndarray) -> tuple[np.ndarray, bool]:
    """(the probability of staying away per group on the analysis date, whether a drift was carried): a straight
    line in time through the earlier lapsed account-dates (least squares; each group's own level shrunk toward
    the pool by :data:`PRIOR_ACCOUNTS` pseudo-accounts, the drift by :data:`DRIFT_PENALTY`), read at the analysis
    date. A falling line is not carried forward (the levels are refitted without a drift): what the line
    follows is lost accounts piling up, which only rises; a share that falls across the dates comes from the
    accounts present at them (e.g. a portfolio whose early lapsed accounts are its heaviest)."""
    n_groups = len(RATIO_EDGES) + 1
    X = np.zeros((len(g), n_groups + 2))
    X[np.arange(len(g)), g] = 1.0  # the group's difference from the pool
    X[:, n_groups] = -years_before  # the drift per year (0 on the analysis date)
    X[:, n_groups + 1] = 1.0  # the pool
    penalty = np.r_[np.full(n_groups, PRIOR_ACCOUNTS), DRIFT_PENALTY, 0.0]
    beta = np.linalg.solve(X.T @ X + np.diag(penalty), X.T @ stayed.astype(float))
    drift = bool(beta[n_groups] > 0)
    if not drift:
        penalty[n_groups] = 1e12  # no drift: the levels alone
        beta = np.linalg.solve(X.T @ X + np.diag(penalty), X.T @ stayed.astype(float))
    rate = np.clip(beta[:n_groups] + beta[n_groups + 1], 0.0, 1.0)
    seen = np.flatnonzero(np.bincount(g, minlength=n_groups) > 0)
    for k in range(1, n_groups):  # a silence longer than any seen takes the longest seen group's rate
        if k not in seen:
            lower = seen[(seen < k) & (seen > 0)]
            if len(lower):
                rate[k] = rate[lower.max()]
    return rate, drift


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
    floor, floor_share = revenue_floor(p, index)
    line_code, line_day = _codes(p.orders["account_id"], index), _days(p.orders["order_date"])
    left_out = 0  # lapsed account-dates below the floor
    groups: list[np.ndarray] = []
    stayed: list[np.ndarray] = []
    years: list[np.ndarray] = []  # years before the analysis date
    dates = 0
    k = 0
    while k < 600:
        t = (p.as_of - pd.DateOffset(months=horizon_months + k)).normalize()
        k += 1
        if t < first + pd.DateOffset(months=lookback_months):
            break
        td = _day(t)
        last, gap = _state(code, day, td, n_acc)
        was_lapsed = ~np.isnan(last) & (last <= _day(t - pd.DateOffset(months=lookback_months)))
        if (
            floor is not None
        ):  # only accounts that the portfolio's revenue floor would have taken in whatever came after
            below = was_lapsed & (_revenue_to(p, line_code, line_day, td, n_acc) < floor)
            left_out += int(below.sum())
            was_lapsed &= ~below
        if not was_lapsed.any():
            continue
        came_back = _count(code, (day > td) & (day <= _day(t + pd.DateOffset(months=horizon_months))), n_acc) > 0
        dates += 1
        groups.append(_group(td - last[was_lapsed], gap[was_lapsed]))
        stayed.append(~came_back[was_lapsed])
        years.append(np.full(int(was_lapsed.sum()), (horizon_months + k - 1) / 12.0))
    n = int(sum(len(s) for s in stayed))
    away = int(sum(int(s.sum()) for s in stayed))
    chosen = ""
    if floor is not None and left_out:
        chosen = (
            f"the portfolio looks chosen by revenue ({floor_share:.0%} of its accounts lie less than "
            f"{FLOOR_BAND - 1:.0%} above the smallest, {floor:,.0f}), so an earlier date counts only the accounts whose "
            f"revenue by then had reached it ({left_out:,} lapsed account-dates below it are left out: they are in "
            "the portfolio because they came back)"
        )
    if n < MIN_LAPSED:
        seen = f"only {n} lapsed account-dates" if n else "no account that had lapsed"
        if chosen:
            seen += f" above the revenue floor (of {n + left_out:,})"
        return LapsedRate(
            out,
            n,
            away,
            dates,
            f"the history holds {seen} on an earlier date whose next {horizon_months} months have passed "
            f"(it needs {MIN_LAPSED}), so no probability of staying away is given" + (f"; {chosen}" if chosen else ""),
        )
    rate, drift = _rates(np.concatenate(groups), np.concatenate(stayed), np.concatenate(years))
    last_now, gap_now = _state(code, day, _day(p.as_of), n_acc)
    now = lapsed & ~np.isnan(last_now)
    out[now] = rate[_group(_day(p.as_of) - last_now[now], gap_now[now])]
    sentence = (
        f"the share of accounts lapsed by the same rule on {dates} earlier date{'s' if dates != 1 else ''} of "
        f"the history that placed no order in the next {horizon_months} months ({away:,} of {n:,}, "
        f"{away / n:.0%}), read by how long the account has been silent against its usual gap between orders "
        + (
            "and carried to today by the drift of that share across the dates"
            if drift
            else "(the share did not rise across the dates, so no drift is carried to today)"
        )
        + (f"; {chosen}" if chosen else "")
    )
    return LapsedRate(out, n, away, dates, sentence)
