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
    the account's own spread); it states four things of it, and the draws keep all four: ``total_lo_80``
    at the score of 10%, ``total_hi_80`` at 90%, ``revenue_target`` at the score where ``1 - p_reach_target``
    of the draws lie below (a unit drawn alone reaches its target as often as its own probability says and
    falls in its own range 8 times in 10), and ``expected_total`` as the draws' mean. Through those points the
    total is linear in the score, beyond them it goes on with the outermost slopes, never below ``booked_ytd``
    (:func:`_linear`); that shape alone put the mean elsewhere (above the expected total where the low end is
    cut at what was booked: at CDNOW 1998 up to 2.5 times it; below it where the upper tail is long), so each
    segment between the points is then bent until the mean is the expected total (:func:`_bent`,
    :func:`_bend_for`). A unit without those points is drawn at its expected total."""
    n, k = z.shape
    lo, hi = _column(t_rows, "total_lo_80"), _column(t_rows, "total_hi_80")
    target = t_rows["revenue_target"].to_numpy(dtype=float)
    p = _column(t_rows, "p_reach_target")
    booked = np.nan_to_num(_column(t_rows, "booked_ytd"))
    expected = np.maximum(np.nan_to_num(_column(t_rows, "expected_total")), booked)
    out = np.tile(expected, (n, 1))
    drawn = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
    if not drawn.any():
        return out
    cols = np.flatnonzero(drawn)
    grid = np.empty((len(_GRID), len(cols)))
    fixed = np.full((_N_FIXED, len(cols)), np.nan)  # per unit: the floor and its points, rising (NaN: none)
    for c, j in enumerate(cols):
        knots = [(-_Z80, lo[j]), (_Z80, hi[j])]
        if np.isfinite(p[j]) and np.isfinite(target[j]) and 0 < p[j] < 1 and target[j] > booked[j]:
            knots.append((float(stats.norm.ppf(1 - np.clip(p[j], 1e-6, 1 - 1e-6))), target[j]))
        zs, vals = (np.array(v, dtype=float) for v in zip(*sorted(knots)))
        vals = np.maximum.accumulate(vals)  # never decreasing, whatever rounding did to the points
        both = _linear(np.r_[z[:, j], _GRID], zs, vals, booked[j])  # the draws, then the grid
        out[:, j], grid[:, c] = both[:n], both[n:]
        kept = np.unique(np.r_[min(booked[j], vals[0]), vals])
        fixed[: len(kept), c] = kept
    power = _bend_for(grid, fixed, expected[cols])
    out[:, cols] = _bent(out[:, cols], fixed, power)
    return out


_N_FIXED = 4  # the floor and up to three points
_GRID = stats.norm.ppf((np.arange(512) + 0.5) / 512)  # scores at evenly spaced probabilities: a shape's mean
_LOG_BEND = (-6.0, 6.0)  # the bend's power lies in exp(-6) .. exp(6)
_BEND_STEPS = 22  # halvings of that bracket (the power to a part in 10^5: the mean far inside the draws' error)


def _linear(z: np.ndarray, zs: np.ndarray, vals: np.ndarray, booked: float) -> np.ndarray:
    """A unit's year total at the scores ``z``: through ``vals`` at the scores ``zs``, linear in the score
    between them and beyond them with the outermost slopes, never below ``booked``."""
    slope_lo = max((vals[1] - vals[0]) / max(zs[1] - zs[0], 1e-9), 0.0)
    slope_hi = max((vals[-1] - vals[-2]) / max(zs[-1] - zs[-2], 1e-9), 0.0)
    draw = np.interp(z, zs, vals)
    draw = np.where(z < zs[0], vals[0] + slope_lo * (z - zs[0]), draw)
    draw = np.where(z > zs[-1], vals[-1] + slope_hi * (z - zs[-1]), draw)
    return np.maximum(draw, booked)


def _pieces(x: np.ndarray, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each value of ``x`` (rows x units) lies among its unit's kept values ``fixed`` (a column per unit,
    rising, NaN-padded): the bottom ``a`` and width ``b - a`` of its segment and its position ``t`` in it (width 0
    and ``t`` 1 where it sits on a kept value or below the lowest), and whether it lies above the top one."""
    base = np.array(x, dtype=float, copy=True)
    width = np.zeros_like(base)
    t = np.ones_like(base)
    for s in range(fixed.shape[0] - 1):
        a, b = fixed[s], fixed[s + 1]
        with np.errstate(invalid="ignore"):
            inside = (x > a) & (x < b)
        span = np.broadcast_to(b - a, x.shape)
        base = np.where(inside, a, base)
        width = np.where(inside, span, width)
        t = np.where(inside, (x - a) / np.where(inside, span, 1.0), t)
    top = np.broadcast_to(np.nanmax(fixed, axis=0), x.shape)
    return base, width, t, np.where(x > top, top, np.nan)


def _bent(x: np.ndarray, fixed: np.ndarray, power: np.ndarray, pieces=None) -> np.ndarray:
    """Values ``x`` (rows x units, of :func:`_linear`) with every segment between two of a unit's kept values
    ``a < b`` (``fixed``, a column per unit) bent to ``a + (b - a) t ** power`` (``t`` the position in the
    segment) and the part above the top one ``c`` to ``c + (x - c) / power``: the kept values, and so the
    range, the target's point and the floor, stay where they are, the draws keep their order, and the mean
    falls as ``power`` grows (1: ``x`` itself). ``pieces``: :func:`_pieces` of ``x``, where already known."""
    base, width, t, top = _pieces(x, fixed) if pieces is None else pieces
    inner = np.where(width > 0, base + width * t**power, base)
    return np.where(np.isnan(top), inner, top + (x - np.nan_to_num(top)) / power)


def _bend_for(grid: np.ndarray, fixed: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Per unit, the power of :func:`_bent` whose shape (its values ``grid`` at evenly spaced probabilities)
    has the mean ``mean``; where the unit's points allow no such mean (an expected total below the least mean
    a shape through them can have), the end of the bracket nearest to it."""
    pieces = _pieces(grid, fixed)
    lo = np.full(grid.shape[1], _LOG_BEND[0])
    hi = np.full(grid.shape[1], _LOG_BEND[1])
    for _ in range(_BEND_STEPS):
        mid = (lo + hi) / 2
        above = _bent(grid, fixed, np.exp(mid), pieces).mean(axis=0) > mean  # too high: bend further
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return np.exp((lo + hi) / 2)


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
