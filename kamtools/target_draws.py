"""Year totals drawn along each account's own distribution, and the chance that several accounts
together reach the sum of their targets.

The forecast stage describes each account's year total in ``forecast_targets`` (expected total,
80% range, chance to reach the target); that distribution is lopsided, not a normal. Adding
normals refitted to it misjudges the chance of a few accounts together (measured in
``benchmarks/bench_target_probability.py``: on sets of 10 accounts, Brier 0.1066 drawn along each
account's own distribution against 0.1088 for the sum of normals). The group roll-up
(:mod:`kamtools.groups.rollup`, units tied by a copula) and the scenario planner
(:mod:`kamtools.scenario`, accounts sharing the forecast stage's common error share ``rho``, from the
bundle's ``forecast_portfolio_range``) both draw with :func:`year_total_draws`.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "N_DRAWS",
    "chance_to_reach",
    "independent_scores",
    "shared_scores",
    "year_total_draws",
    "year_totals_of",
]

N_DRAWS = 10_000  # the planner's draws of a scope: the chance within about half a point (one standard error)
_Z80 = float(stats.norm.ppf(0.9))
_CHUNK = 64  # accounts drawn at a time when only the sum is kept (memory: draws x chunk)


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as floats, all NaN where the frame lacks it."""
    return frame[name].to_numpy(dtype=float) if name in frame.columns else np.full(len(frame), np.nan)


def year_total_draws(z: np.ndarray, t_rows: pd.DataFrame) -> np.ndarray:
    """Each unit's year total at the standard-normal scores ``z`` (n x k), following the unit's own
    distribution as the forecast stage describes it (``forecast_targets``), not a normal refitted to it.

    The forecast stage's year total is not a normal (similar accounts' out-of-time ratios plus part of
    the account's own spread), so three of its points are kept exactly: ``total_lo_80`` at the score of
    10%, ``total_hi_80`` at 90% and ``revenue_target`` at the score where ``1 - p_reach_target`` of the
    draws lie below (a unit drawn alone reaches its target as often as its own probability says and
    falls in its own range 8 times in 10). Between them the total is linear in the score, beyond them
    it goes on with the outermost slope; never below ``booked_ytd``. A unit without those points is
    drawn at its expected total."""
    n, k = z.shape
    lo, hi = _column(t_rows, "total_lo_80"), _column(t_rows, "total_hi_80")
    target = t_rows["revenue_target"].to_numpy(dtype=float)
    p = _column(t_rows, "p_reach_target")
    booked = np.nan_to_num(_column(t_rows, "booked_ytd"))
    expected = np.nan_to_num(_column(t_rows, "expected_total"))
    out = np.tile(np.maximum(expected, booked), (n, 1))
    for j in range(k):
        if not (np.isfinite(lo[j]) and np.isfinite(hi[j])) or hi[j] <= lo[j]:
            continue
        knots = [(-_Z80, lo[j]), (_Z80, hi[j])]
        if np.isfinite(p[j]) and np.isfinite(target[j]) and 0 < p[j] < 1 and target[j] > booked[j]:
            knots.append((float(stats.norm.ppf(1 - np.clip(p[j], 1e-6, 1 - 1e-6))), target[j]))
        zs, vals = (np.array(v, dtype=float) for v in zip(*sorted(knots)))
        vals = np.maximum.accumulate(vals)  # never decreasing, whatever rounding did to the points
        slope_lo = max((vals[1] - vals[0]) / max(zs[1] - zs[0], 1e-9), 0.0)
        slope_hi = max((vals[-1] - vals[-2]) / max(zs[-1] - zs[-2], 1e-9), 0.0)
        zj = z[:, j]
        draw = np.interp(zj, zs, vals)
        draw = np.where(zj < zs[0], vals[0] + slope_lo * (zj - zs[0]), draw)
        draw = np.where(zj > zs[-1], vals[-1] + slope_hi * (zj - zs[-1]), draw)
        out[:, j] = np.maximum(draw, booked[j])
    return out


def independent_scores(key: str, n: int, k: int) -> np.ndarray:
    """``n`` x ``k`` independent standard-normal scores, the same for the same ``key`` (deterministic)."""
    return np.random.default_rng(zlib.crc32(key.encode("utf-8"))).standard_normal((n, k))


def shared_scores(key: str, n: int, k: int, rho: float = 0.0) -> np.ndarray:
    """``n`` x ``k`` standard-normal scores whose columns correlate by ``rho`` (one common part:
    ``sqrt(rho) * common + sqrt(1 - rho) * own``), the same for the same ``key``. For accounts drawn
    linearly in the score this is the forecast stage's rule for a sum of accounts
    (:mod:`kamtools.forecast.portfolio_range`: ``Var = (1 - rho) sum s_i^2 + rho (sum s_i)^2``);
    ``rho = 0`` gives exactly :func:`independent_scores`."""
    if not (np.isfinite(rho) and 0.0 <= rho <= 1.0):
        raise ValueError(f"shared_scores: the common error share must lie in [0, 1], got {rho!r}")
    z = independent_scores(key, n, k)
    if rho > 0:
        common = independent_scores(f"{key}:common", n, 1)
        z = np.sqrt(1.0 - rho) * z + np.sqrt(rho) * common
    return z


def year_totals_of(t_rows: pd.DataFrame, key: str, n: int = N_DRAWS, rho: float = 0.0) -> np.ndarray:
    """``n`` draws of the summed year total of the accounts ``t_rows`` (rows of ``forecast_targets``),
    each account drawn along its own distribution (:func:`year_total_draws`), their scores sharing the
    common error share ``rho`` (:func:`shared_scores`; 0: independent accounts); seeded by ``key``.
    Only the sum is kept, so a whole portfolio needs no more memory than ``n`` x 64 values."""
    z = shared_scores(key, n, len(t_rows), rho)
    total = np.zeros(n)
    for start in range(0, len(t_rows), _CHUNK):
        part = slice(start, start + _CHUNK)
        total += year_total_draws(z[:, part], t_rows.iloc[part]).sum(axis=1)
    return total


def chance_to_reach(totals: np.ndarray, goal: float) -> float:
    """The share of drawn totals that reach ``goal``."""
    return float((np.asarray(totals) >= goal).mean())
