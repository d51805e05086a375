"""`Forecaster` and `forecast`: many series in, one long frame of forecasts out."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from kamtools.forecast._engine import METHODS, SeriesForecast, fit_series
from kamtools.forecast._validate import ForecastInputError, validate_history

# Below this many series the work runs in the calling process: starting worker
# processes costs more than it saves.
MIN_SERIES_FOR_PARALLEL = 32
CHUNKS_PER_WORKER = 4


def level_columns(level: tuple[float, ...]) -> list[str]:
    """Interval column names for ``level``, lower and upper per level: lo_80, hi_80, ..."""
    cols = []
    for lev in level:
        cols += [f"lo_{lev:g}", f"hi_{lev:g}"]
    return cols


def _check_level(level) -> tuple[float, ...]:
    if np.isscalar(level):
        level = (level,)
    out = tuple(sorted(float(v) for v in level))
    if not out or any(not 0 < v < 100 for v in out):
        raise ValueError(f"level must be interval coverages in percent strictly between 0 and 100, got {level!r}")
    return out


def _fit_chunk(
    chunk: list[np.ndarray], horizon: int, season_length: int, level, combine: str, method: str
) -> list[SeriesForecast]:
    """Worker task: fit a list of series (one BLAS thread; the matrices are tiny)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return [fit_series(y, horizon, season_length, level, combine, method) for y in chunk]


def fit_many(
    arrays: list[np.ndarray],
    horizon: int,
    season_length: int,
    level,
    combine: str = "median",
    n_jobs: int | None = -1,
    method: str = "auto",
) -> list[SeriesForecast]:
    """Fit every array, in parallel when it pays off; result order = input order.

    The chunks run through :func:`kamtools.parallel.parallel_map`: on the Dask cluster of
    an active :func:`kamtools.parallel.dask_scheduler` block, else in ``n_jobs`` local
    worker processes. Each series is fitted on its own, so the result does not depend on
    how the series are chunked or where they ran (n_jobs=1, n_jobs=2 and a Dask cluster
    give identical numbers).
    """
    from kamtools.parallel import n_workers, parallel_map

    jobs = n_workers(n_jobs)
    if jobs == 1 or len(arrays) < MIN_SERIES_FOR_PARALLEL:
        return _fit_chunk(arrays, horizon, season_length, level, combine, method)
    n_chunks = min(len(arrays), jobs * CHUNKS_PER_WORKER)
    # deal longest series first, round robin, so chunks carry similar work
    order = np.argsort([-len(a) for a in arrays], kind="stable")
    chunks = [order[i::n_chunks] for i in range(n_chunks)]
    task = functools.partial(
        _fit_chunk, horizon=horizon, season_length=season_length, level=level, combine=combine, method=method
    )
    parts = parallel_map(task, [[arrays[i] for i in idx] for idx in chunks], n_jobs=jobs)
    out: list[SeriesForecast | None] = [None] * len(arrays)
    for idx, part in zip(chunks, parts):
        for i, res in zip(idx, part):
            out[i] = res
    return out  # type: ignore[return-value]


@dataclass
class _Fitted:
    unique_ids: np.ndarray
    last_pos: np.ndarray
    results: list[SeriesForecast]
    nonnegative: np.ndarray

    @functools.cached_property
    def sum_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per series, stacked: clipped point forecasts (k, h), error covariances (k, h, h), dof (k)."""
        means = np.vstack([r.mean for r in self.results])
        means = np.where(self.nonnegative[:, None], np.maximum(means, 0.0), means)
        cov = np.stack([r.covariance() for r in self.results])
        return means, cov, np.array([r.dof for r in self.results], dtype=float)


class Forecaster(BaseEstimator):
    """Automatic forecaster for many series in long format (``unique_id, ds, y``).

    Per series it picks the method (see :mod:`kamtools.forecast._engine`): a median
    combination of ETS (chosen by AICc), Theta and ARIMA on the seasonally adjusted
    series; TSB for intermittent demand; the mean for very short series; zeros for
    all-zero series. Prediction intervals come from the forecast-error structure of the
    selected ETS model with the combination's own residual spread.

    Parameters
    ----------
    horizon : int
        Periods to forecast after each series' last date.
    season_length : int
        Periods per seasonal cycle (12 for monthly data).
    level : tuple of float
        Interval coverages in percent; columns ``lo_<level>``/``hi_<level>``.
    freq : str, optional
        Frequency of ``ds``: 'MS' / 'ME' (month starts / ends), 'QS', 'QE', 'YS', 'YE', 'W',
        'D'. Inferred when None (mostly month starts -> monthly, or quarterly / yearly when
        consecutive dates are 3 / 12 months apart).
    nonnegative : bool, optional
        Clip forecasts and intervals at zero. None (default): per series, when its
        history has no negative value (sales never go negative).
    fill_value : float or None
        Value for periods missing inside a series (0.0: no sales that month);
        None rejects such gaps.
    combine : {'median', 'mean'}
        How the ETS, Theta and ARIMA forecasts are combined.
    method : {'auto', 'ets', 'theta', 'arima'}
        'auto' (default) combines the three families; the others use one family alone
        (same seasonal adjustment and special cases), e.g. to compare against.
    n_jobs : int
        Worker processes (-1: all cores). Results do not depend on it.

    Attributes (after ``fit``)
    --------------------------
    freq_ : str (e.g. 'MS'); grid_ : the date grid (step and phase) future dates follow
    unique_ids_ : ndarray of str
    models_ : DataFrame ``unique_id, model, n_obs`` (the method chosen per series)

    Example
    -------
    >>> fc = Forecaster(horizon=12).fit(history).predict()  # doctest: +SKIP
    """

    def __init__(
        self,
        horizon: int = 12,
        season_length: int = 12,
        level: tuple[float, ...] = (80, 95),
        freq: str | None = None,
        nonnegative: bool | None = None,
        fill_value: float | None = 0.0,
        combine: str = "median",
        method: str = "auto",
        n_jobs: int | None = -1,
    ):
        self.horizon = horizon
        self.season_length = season_length
        self.level = level
        self.freq = freq
        self.nonnegative = nonnegative
        self.fill_value = fill_value
        self.combine = combine
        self.method = method
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------------------
    def fit(self, history: pd.DataFrame, y=None) -> Forecaster:
        """Validate ``history`` and fit every series. Returns self."""
        if int(self.horizon) < 1:
            raise ValueError(f"horizon must be a positive number of periods, got {self.horizon!r}")
        if int(self.season_length) < 1:
            raise ValueError(f"season_length must be >= 1, got {self.season_length!r}")
        if self.combine not in ("median", "mean"):
            raise ValueError(f"combine must be 'median' or 'mean', got {self.combine!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        level = _check_level(self.level)
        clean, grid = validate_history(history, self.freq, self.fill_value)
        ids, starts = np.unique(clean["unique_id"].to_numpy(), return_index=True)
        bounds = np.r_[starts, len(clean)]
        yv = clean["y"].to_numpy()
        arrays = [yv[bounds[i] : bounds[i + 1]] for i in range(len(ids))]
        last_pos = clean["pos"].to_numpy()[bounds[1:] - 1]
        results = fit_many(
            arrays, int(self.horizon), int(self.season_length), level, self.combine, self.n_jobs, self.method
        )
        if self.nonnegative is None:
            nonneg = np.array([bool(np.all(a >= 0)) for a in arrays])
        else:
            nonneg = np.full(len(ids), bool(self.nonnegative))
        self.freq_ = grid.freq
        self.grid_ = grid
        self.level_ = level
        self.unique_ids_ = ids
        self.n_obs_ = np.array([len(a) for a in arrays])
        self._fitted = _Fitted(ids, last_pos, results, nonneg)
        self.models_ = pd.DataFrame({"unique_id": ids, "model": [r.model for r in results], "n_obs": self.n_obs_})
        return self

    def _check_fitted(self) -> _Fitted:
        check_is_fitted(self, "_fitted", msg="This Forecaster is not fitted yet; call fit(history) first.")
        return self._fitted

    def _future_dates(self) -> np.ndarray:
        f = self._check_fitted()
        h = int(self.horizon)
        pos = (f.last_pos[:, None] + np.arange(1, h + 1)[None, :]).ravel()
        return self.grid_.dates(pos).to_numpy()

    def predict(self) -> pd.DataFrame:
        """The forecasts: one row per series and future period.

        Columns ``unique_id, ds, forecast, lo_80, hi_80, lo_95, hi_95, model`` (interval
        columns follow ``level``), with ``lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95``.
        """
        f = self._check_fitted()
        h = int(self.horizon)
        k = len(f.results)
        mean = np.vstack([r.mean for r in f.results]) if k else np.empty((0, h))
        lo = np.stack([r.lo for r in f.results]) if k else np.empty((0, len(self.level_), h))  # (k, L, h)
        hi = np.stack([r.hi for r in f.results]) if k else np.empty((0, len(self.level_), h))
        clip = f.nonnegative[:, None]
        mean = np.where(clip, np.maximum(mean, 0.0), mean)
        lo = np.where(clip[:, :, None], np.maximum(lo, 0.0), lo)
        hi = np.where(clip[:, :, None], np.maximum(hi, 0.0), hi)
        # enforce nesting: wider levels contain narrower ones, all contain the point forecast
        lo = np.minimum(lo, mean[:, None, :])
        hi = np.maximum(hi, mean[:, None, :])
        lo = _nest_lower(lo)
        hi = _nest_upper(hi)
        out = {
            "unique_id": np.repeat(f.unique_ids, h),
            "ds": self._future_dates(),
            "forecast": mean.ravel(),
        }
        for i, lev in enumerate(self.level_):
            out[f"lo_{lev:g}"] = lo[:, i, :].ravel()
            out[f"hi_{lev:g}"] = hi[:, i, :].ravel()
        out["model"] = np.repeat(np.array([r.model for r in f.results], dtype=object), h)
        df = pd.DataFrame(out)
        df["unique_id"] = df["unique_id"].astype(str)
        df["model"] = df["model"].astype(str)
        return df

    def covariance(self, unique_id: str) -> np.ndarray:
        """(horizon, horizon) covariance of the forecast errors of one series."""
        f = self._check_fitted()
        i = np.searchsorted(f.unique_ids, unique_id)
        if i >= len(f.unique_ids) or f.unique_ids[i] != unique_id:
            raise KeyError(f"unique_id {unique_id!r} was not in the fitted history")
        return f.results[i].covariance()

    def series_result(self, unique_id: str) -> SeriesForecast:
        """The fitted :class:`SeriesForecast` of one series."""
        f = self._check_fitted()
        i = np.searchsorted(f.unique_ids, unique_id)
        if i >= len(f.unique_ids) or f.unique_ids[i] != unique_id:
            raise KeyError(f"unique_id {unique_id!r} was not in the fitted history")
        return f.results[i]

    def sum_distribution(self, unique_id: str, weights: np.ndarray) -> tuple[float, float, float]:
        """Mean, standard deviation and Student-t dof of ``sum_h weights[h] * Y_{n+h}``.

        Uses the full error covariance across periods (errors of neighbouring months are
        correlated through the shared level/trend), not an independence assumption.
        The mean uses the clipped (non-negative) point forecasts.
        """
        m, sd, dof = self.sum_distributions([unique_id], np.asarray(weights, dtype=float)[None, :])
        return float(m[0]), float(sd[0]), float(dof[0])

    def sum_distributions(self, unique_ids, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`sum_distribution` for many rows at once.

        ``unique_ids``: r fitted ids (repeats allowed); ``weights``: (r, horizon). Returns
        arrays (mean, sd, dof) of length r.
        """
        f = self._check_fitted()
        ids = np.asarray(unique_ids, dtype=object).astype(str)
        w = np.asarray(weights, dtype=float)
        pos = np.searchsorted(f.unique_ids, ids)
        bad = (pos >= len(f.unique_ids)) | (f.unique_ids[np.minimum(pos, len(f.unique_ids) - 1)] != ids)
        if bad.any():
            raise KeyError(f"unique_id {ids[bad][0]!r} was not in the fitted history")
        means, cov, dof = f.sum_parts
        m = np.einsum("rh,rh->r", w, means[pos])
        v = np.einsum("rh,rhk,rk->r", w, cov[pos], w)
        return m, np.sqrt(np.maximum(v, 0.0)), dof[pos]

    def period_sd(self) -> pd.DataFrame:
        """Per series and period: ``unique_id, ds, sd``, the forecast error's spread.

        ``sd`` is normal-equivalent: the standard deviation of a normal distribution with
        the same central 80% interval as the (Student-t) forecast distribution, so that
        ``forecast +- 1.28 sd`` is the 80% interval and sums over many series can be
        treated as normal.
        """
        f = self._check_fitted()
        h = int(self.horizon)
        z80 = stats.norm.ppf(0.9)
        sd = np.vstack(
            [
                np.sqrt(np.clip(np.diag(r.covariance()), 0, None))
                * (1.0 if np.isinf(r.dof) else stats.t.ppf(0.9, r.dof) / z80)
                for r in f.results
            ]
        )
        return pd.DataFrame(
            {"unique_id": np.repeat(f.unique_ids, h).astype(str), "ds": self._future_dates(), "sd": sd.ravel()}
        )


def _nest_lower(lo: np.ndarray) -> np.ndarray:
    """Lower bounds sorted by level ascending: each wider level is <= the narrower one."""
    return np.minimum.accumulate(lo, axis=1)


def _nest_upper(hi: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(hi, axis=1)


def forecast(
    history: pd.DataFrame,
    horizon: int,
    season_length: int = 12,
    level: tuple[float, ...] = (80, 95),
    freq: str | None = None,
    n_jobs: int | None = -1,
    **kwargs,
) -> pd.DataFrame:
    """Forecast every series of a long frame ``unique_id, ds, y`` ``horizon`` periods ahead.

    Returns a long frame ``unique_id, ds, forecast, lo_80, hi_80, lo_95, hi_95, model``:
    one row per series and future period. Works for any collection of series (account
    revenue or not). Further keyword arguments go to :class:`Forecaster`
    (``nonnegative``, ``fill_value``, ``combine``).

    >>> forecast(portfolio.monthly(), horizon=12)  # doctest: +SKIP
    """
    return Forecaster(horizon, season_length, level, freq, n_jobs=n_jobs, **kwargs).fit(history).predict()


__all__ = ["Forecaster", "ForecastInputError", "forecast", "fit_many", "level_columns"]
