"""The group forecast, reconciled bottom-up with coherent intervals.

Method (the text of :data:`METHOD`, stated in every ``group_rollup`` row):

* **Bottom-up.** A group's point forecast is the sum of the forecasts of the accounts that trade in
  it (its own orders, if any, and every unit below it at all levels), month by month, so a group
  equals the sum of its units at every level of the hierarchy.
* **Joint sample paths for the intervals.** Summing the units' 80% bounds would give the interval
  of a world where every unit has its worst (or best) month at once; treating units as independent
  would ignore a shock that hits the whole group. Instead, for each top-level group, the units'
  monthly forecast distributions (the forecast stage's own: normal with its point forecast and
  standard deviation; a group's bounds are cut at zero) are tied together by a Gaussian copula whose
  correlation is that of the units' monthly revenue surprises (actual minus the mean of the six
  months before) over the last 36 months of the forecast history, shrunk with Ledoit-Wolf. Every
  level's interval is taken from the same draws (2,000 per group), summed over its units: the
  draws of a parent are the sums of the draws of its children, so the intervals of all levels
  come from one joint distribution.
* The 12-month total and the chance to reach the year's target use the same draws with each unit's
  12-month total (``forecast_summary``) and year total (``forecast_targets``, cut at what is
  already booked) as the margins, their spread read from the upper 80% bound, so the serial
  correlation the forecast stage modelled within a unit is kept.

Nothing is refitted: only the forecast stage's tables are read.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "LEVEL",
    "METHOD",
    "N_DRAWS",
    "copula_draws",
    "correlation_of",
    "method_words",
    "normal_draws",
    "sd_from_upper",
    "surprise_correlation",
    "surprise_months",
    "surprises",
]

LEVEL = 80
N_DRAWS = 2000
SURPRISE_MONTHS = 36
SURPRISE_BASE = 6  # months whose mean is the naive expectation of the next
MIN_SURPRISE_MONTHS = 12  # months with a surprise needed to measure how units move together (else independent)


def method_words(months: int = SURPRISE_MONTHS) -> str:
    """What the global account plan tells its reader about the group forecast (in a KAM's words; the module
    docstring has the method: a Gaussian copula of the units' forecast distributions, its correlation shrunk by
    Ledoit-Wolf), ``months``: the months with a revenue surprise the correlation was measured on
    (:func:`surprise_months`). Under :data:`MIN_SURPRISE_MONTHS` the units are drawn as independent, and the words
    say so rather than claim a window the history does not hold."""
    head = f"the sum of the units' forecasts at every level; its 80% range comes from {N_DRAWS:,} draws of the units"
    if months >= MIN_SURPRISE_MONTHS:
        return (
            f"{head} together, whose surprises move together as far as their monthly revenue did over the last "
            f"{months} months, so it is not the sum of the units' ranges"
        )
    return (
        f"{head} together, each unit drawn independently of the others: how units move together is measured on at "
        f"least {MIN_SURPRISE_MONTHS} months that each follow {SURPRISE_BASE} months of history, and this history has "
        f"{months} such months, so a shock that hits the whole group is not in the range (read it as the narrowest "
        "the total could spread)"
    )


METHOD = method_words()  # the words with a history of SURPRISE_MONTHS months or more
_Z80 = float(stats.norm.ppf(0.9))
_Z95 = float(stats.norm.ppf(0.975))


def surprises(history: pd.DataFrame | None, ids: list[str], months: int) -> pd.DataFrame:
    """The units' monthly revenue surprises (months x ``ids``): a month's revenue minus the mean of the
    :data:`SURPRISE_BASE` months before it, over the last ``months`` months; NaN where a unit has no such month."""
    if history is None or history.empty:
        return pd.DataFrame(columns=ids, dtype=float)
    h = history[history["account_id"].isin(ids)]
    wide = h.pivot_table(index="ds", columns="account_id", values="y", aggfunc="sum").reindex(columns=ids)
    wide = wide.sort_index()
    base = wide.rolling(SURPRISE_BASE, min_periods=SURPRISE_BASE).mean().shift(1)
    return (wide - base).iloc[-months:]


def surprise_months(surprise: pd.DataFrame) -> int:
    """The months of a :func:`surprises` frame in which at least one unit has a revenue surprise: what
    :func:`correlation_of` measures on."""
    return int(len(surprise.dropna(how="all")))


def correlation_of(surprise: pd.DataFrame) -> np.ndarray:
    """Correlation (k x k, in the order of the frame's columns) of the units' monthly revenue surprises
    (:func:`surprises`), each standardised per unit; a unit with no variation, or months before a unit's first
    order, count as no surprise. Shrunk with :class:`sklearn.covariance.LedoitWolf`; the identity when fewer than
    :data:`MIN_SURPRISE_MONTHS` months or a single unit are there."""
    k = surprise.shape[1]
    if k < 2 or surprise_months(surprise) < MIN_SURPRISE_MONTHS:
        return np.eye(k)
    sd = surprise.std(ddof=0)
    z = ((surprise - surprise.mean()) / sd.where(sd > 0)).fillna(0.0).to_numpy()
    from sklearn.covariance import LedoitWolf

    cov = LedoitWolf(assume_centered=True).fit(z).covariance_
    d = np.sqrt(np.clip(np.diag(cov), 1e-12, None))
    corr = cov / np.outer(d, d)
    corr[np.diag(cov) <= 1e-12, :] = 0.0
    corr[:, np.diag(cov) <= 1e-12] = 0.0
    np.fill_diagonal(corr, 1.0)
    return corr


def surprise_correlation(history: pd.DataFrame, ids: list[str], months: int = SURPRISE_MONTHS) -> np.ndarray:
    """Correlation (k x k, in the order of ``ids``) of the units' monthly revenue surprises over the last ``months``
    months of ``history`` (``account_id, ds, y``, monthly actuals): :func:`correlation_of` of :func:`surprises`."""
    return correlation_of(surprises(history, ids, months))


def copula_draws(corr: np.ndarray, key: str, n: int = N_DRAWS) -> np.ndarray:
    """``n`` standard-normal draws (n x k) with correlation ``corr``; seeded by ``key`` (deterministic)."""
    k = corr.shape[0]
    rng = np.random.default_rng(zlib.crc32(key.encode("utf-8")))
    z = rng.standard_normal((n, k))
    if k < 2:
        return z
    w, v = np.linalg.eigh((corr + corr.T) / 2)
    root = v * np.sqrt(np.clip(w, 0.0, None))
    return z @ root.T


def normal_draws(z: np.ndarray, mean, sd, floor=None) -> np.ndarray:
    """Values of each unit at the standard-normal scores ``z`` (n x k): ``mean + sd * z``, cut at
    ``floor`` (e.g. zero revenue, or revenue already booked). ``mean``, ``sd`` and ``floor`` are
    arrays of shape (k,), giving (n, k), or (k, T) for T periods drawn with the same scores,
    giving (n, k, T); a missing sd counts as none (the unit's forecast is then certain)."""
    mean = np.nan_to_num(np.asarray(mean, dtype=float))
    sd = np.clip(np.nan_to_num(np.asarray(sd, dtype=float)), 0.0, None)
    zz = z if mean.ndim == 1 else z[..., None]
    out = mean[None, ...] + sd[None, ...] * zz
    if floor is not None:
        out = np.maximum(out, np.asarray(floor, dtype=float)[None, ...])
    return out


def sd_from_upper(mean, upper, z: float = _Z80) -> np.ndarray:
    """The standard deviation implied by an upper bound at score ``z`` (the lower bound may be cut
    at zero, the upper one never is)."""
    return np.clip((np.asarray(upper, dtype=float) - np.asarray(mean, dtype=float)) / z, 0.0, None)


def sd_from_range(lower, upper, z: float = _Z80) -> np.ndarray:
    """The standard deviation of a normal whose central 80% range is as wide as [``lower``, ``upper``]:
    for ranges read from quantiles of past outcomes (not cut from a normal), possibly lopsided, e.g.
    from zero to a high quantile where many similar accounts bought nothing."""
    return np.clip((np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)) / (2.0 * z), 0.0, None)
