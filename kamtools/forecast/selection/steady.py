"""A steady account's monthly range from its own spread on the months it orders.

A class such as "7 or more ordering months in the last 12" mixes accounts that skip a month in three with
accounts that order every month, and its 10% monthly multiple is 0: a hospital ordering 300-450k every month
(the quick demo's A0009) read 0-620k a month. An account with :data:`STEADY_MONTHS` ordering months or more in its
last 12 takes instead a range of its own (:func:`steady_band`), mixed of two parts:

* its own chance of a month without an order, the mean of Beta(1, 1) updated by its last 12 months,
  p0 = (months without + 1) / 14, so 1/14 for an account that ordered every month: the lower bound is 0 where
  p0 reaches the bound's tail (an account that skipped one month in 12 has p0 = 2/14, above the 80% range's 10%);
* on the months with an order, its own spread of log revenue ``s`` (:func:`~kamtools.forecast.selection.state.
  ordering_spread`) times the class's scores: the quantiles, over the class's evidence rows that were as steady
  at their origin, of log(actual / calibrated forecast) / the row's own ``s`` then, on the months it ordered.
  The class's multiples rescaled to the account's own spread: a level that strayed from the forecast is in them
  (a row's whole error, not only the spread of its past months), and in proportion to how lumpy the account is.
  Every ``s`` (the account's and the rows') is first shrunk towards the median squared spread of those rows, its
  own weighing as its ordering months less one degrees of freedom and the median as :data:`PRIOR_DF` (8):
  :func:`shrunk`. An account whose last 12 months happened to lie close together is not as steady as they say,
  and the unshrunk spread gave the steadiest accounts too narrow a range (below).

The bound at level ``a`` reads the scores at (a - p0) / (1 - p0) (the upper at (1 - a - p0) / (1 - p0)), at
split conformal's rank for the number of steady rows (:func:`~kamtools.forecast.selection.choice.conformal_levels`).
A class with fewer than :data:`~kamtools.forecast.selection.state.MIN_CLASS_ROWS` such rows takes the whole
portfolio's; with fewer there too, or an account whose ordering months were all the same, the class's multiples
stay. The forecast itself does not move, nor the 12-month total's range.

Why 9: the spread then rests on 8 degrees of freedom or more, and the months without an order are under a third
(p0 at most 4/14), so the months with one carry most of the range. HURDLE (issue 17) took the own chance of an
empty month with the class's multiples of ordering months, whose spread is the class's: a steady account's range
grew (``benchmarks/bench_total_ranges.py``).

Measured (issue 17, STEADY; account-months inside the monthly 80% range, out of time, ``bench_total_ranges.py
--groups``; 90% intervals over accounts): the demo of 300, steady accounts 86.5% -> 81.9% [79.9, 83.9], erratic
74.6% -> 81.8%, all 78.7% -> 81.9%; the accounts it acts on, 12 of 12 months 82.0% -> 81.6%, 9-11 of 12 62.6% ->
82.6%. The rule as first decided, without the shrinking, took the steady accounts to 77.6% [75.3, 79.7] (their
misses above the range doubled) and the erratic ones to 84.0%: the shrinking was added after seeing that, once.
CDNOW and the Complete Journey do not move: at the dates measured their accounts, or the backtest's, have under
12 months of history (extending the rule to 6-11 months was tried and dropped, SHORTBAND in
``benchmarks/bench_real_data.py``). The quick demo's A0009 (every month, 300-450k; forecast 338.1k a month): 80% range 0-620.1k -> 49.2k-501.7k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kamtools.forecast.selection.choice import ClassChoice, conformal_levels
from kamtools.forecast.selection.evidence import Evidence
from kamtools.forecast.selection.state import MIN_CLASS_ROWS

STEADY_MONTHS = 9  # ordering months in the last 12 from which an account's monthly range is its own
PRIOR_DF = STEADY_MONTHS - 1  # the class's typical spread weighs as this many degrees of freedom (0: not shrunk)


@dataclass
class SteadyScores:
    """The sorted scores log(actual / forecast) / own spread of a class's steady evidence rows' ordering months, and
    the number of rows (accounts x origins) behind them."""

    z: np.ndarray
    rows: int
    prior: float = 0.0  # the median squared spread of those rows (what an account's own is shrunk towards)


def shrunk(spread, ordering, prior: float):
    """The spread of log revenue shrunk towards ``prior`` (a squared spread), the own weighing as its ``ordering -
    1`` degrees of freedom and the prior as :data:`PRIOR_DF`."""
    df = np.asarray(ordering, dtype=float) - 1
    return np.sqrt((df * np.asarray(spread) ** 2 + PRIOR_DF * prior) / (df + PRIOR_DF))


def _scores(ev: Evidence, rows: np.ndarray, method: str, factor: float) -> SteadyScores | None:
    """The :class:`SteadyScores` of ``rows`` for ``method`` calibrated by ``factor``; None under
    :data:`MIN_CLASS_ROWS` steady rows with an ordering month."""
    if ev.ordering is None or ev.log_spread is None or method not in ev.paths:
        return None
    s = ev.log_spread[rows]
    rows = rows[(ev.ordering[rows] >= STEADY_MONTHS) & np.isfinite(s) & (s > 0)]
    if len(rows) < MIN_CLASS_ROWS:
        return None
    f = factor * ev.paths[method][rows]
    act = ev.actual[rows]
    ok = np.isfinite(f) & (f > 0) & (act > 0)
    n = int(np.any(ok, axis=1).sum())
    if n < MIN_CLASS_ROWS:
        return None
    prior = float(np.median(ev.log_spread[rows] ** 2))
    s = shrunk(ev.log_spread[rows], ev.ordering[rows], prior)
    z = np.log(act[ok] / f[ok]) / np.broadcast_to(s[:, None], ok.shape)[ok]
    return SteadyScores(np.sort(z), n, prior)


def steady_scores(
    ev: Evidence,
    choices: dict[int, ClassChoice],
    pooled: ClassChoice,
    klass: np.ndarray,
    method: np.ndarray,
    ordering: np.ndarray,
) -> list:
    """Per account, the :class:`SteadyScores` of its class (the whole portfolio's where the class has too few rows
    of its own or too few steady ones) for its method, or None (fewer than :data:`STEADY_MONTHS` ordering months,
    the zero forecast, no such scores)."""
    out: list = [None] * len(method)
    cache: dict = {}
    every = np.arange(len(ev.account))
    for i in np.flatnonzero((np.asarray(ordering) >= STEADY_MONTHS) & (np.asarray(method) != "zero")):
        k, m = int(klass[i]), str(method[i])
        c = choices.get(k)
        if (k, m) not in cache:
            own = None
            if c is not None and not c.pooled:
                own = _scores(ev, np.flatnonzero(ev.klass == k), m, c.factor.get(m, 1.0))
            if own is None:
                if ("pooled", m) not in cache:
                    cache[("pooled", m)] = _scores(ev, every, m, pooled.factor.get(m, 1.0))
                own = cache[("pooled", m)]
            cache[(k, m)] = own
        out[i] = cache[(k, m)]
    return out


def steady_band(
    mean: np.ndarray, ordering: int, spread: float, scores: SteadyScores, lev: float
) -> tuple[np.ndarray, np.ndarray]:
    """The (lo, hi) bounds at ``lev`` of a steady account's months (``mean``: its forecast path; ``ordering``: its
    ordering months in the last 12; ``spread``: their spread of log revenue; ``scores``: its class's): see the
    module docstring."""
    a = (1 - lev / 100) / 2
    p0 = (12 - ordering + 1) / 14
    spread = float(shrunk(spread, ordering, scores.prior))

    def multiple(p: float) -> float:
        level = float(conformal_levels(scores.rows, [(p - p0) / (1 - p0)])[0])  # split conformal's rank
        return float(np.exp(spread * np.quantile(scores.z, level)))

    low = np.zeros_like(mean) if p0 >= a else mean * multiple(a)
    high = mean * multiple(1 - a)
    return np.minimum(low, mean), np.maximum(high, mean)
