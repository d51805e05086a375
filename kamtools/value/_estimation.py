"""What the BTYD estimators share: input checks, the optimiser and its Newton polish, standard errors and a 2F1 fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from threadpoolctl import threadpool_limits

from kamtools._newton import newton_polish as _newton_polish  # noqa: F401 - btyd and gamma_gamma import it here


def _as_float_array(name: str, values, allow_negative: bool = False) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has {int((~np.isfinite(arr)).sum())} missing or infinite value(s)")
    if not allow_negative and np.any(arr < 0):
        raise ValueError(f"{name} has {int((arr < 0).sum())} negative value(s); it must be >= 0")
    return arr


def _check_btyd_inputs(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _as_float_array("frequency", frequency)
    t_x = _as_float_array("recency", recency)
    t_cal = _as_float_array("T", T)
    if not (len(x) == len(t_x) == len(t_cal)):
        raise ValueError(f"frequency, recency and T differ in length ({len(x)}, {len(t_x)}, {len(t_cal)})")
    if np.any(np.abs(x - np.round(x)) > 1e-9):
        raise ValueError("frequency must hold whole numbers (repeat purchase periods)")
    if np.any(t_x > t_cal + 1e-9):
        raise ValueError(
            f"{int((t_x > t_cal + 1e-9).sum())} row(s) have recency > T; recency is the time from first to last "
            "purchase and cannot exceed the time from first purchase to the analysis date"
        )
    if np.any((x == 0) & (t_x > 0)):
        raise ValueError("rows with frequency 0 must have recency 0 (no repeat purchase)")
    return x, t_x, t_cal


def _unpack(caller: str, frequency, recency=None, T=None):
    """Accept fit(frequency, recency, T) or fit(DataFrame with those columns)."""
    if recency is None and T is None and isinstance(frequency, pd.DataFrame):
        missing = [c for c in ("frequency", "recency", "T") if c not in frequency.columns]
        if missing:
            raise ValueError(f"the summary table has no column(s) {missing}; use rfm_summary() to build it")
        return frequency["frequency"], frequency["recency"], frequency["T"]
    if recency is None or T is None:
        raise TypeError(f"{caller} needs frequency, recency and T (or one DataFrame holding them)")
    return frequency, recency, T


def _numeric_hessian(grad, theta: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
    """Central-difference Hessian of a function from its analytic gradient (steps relative to each
    parameter, at least ``1e-5 * floor`` where a parameter may be near zero, e.g. a logit)."""
    k = len(theta)
    floor = np.full(k, 1e-8) if floor is None else np.asarray(floor, dtype=np.float64)
    hess = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * max(abs(theta[i]), floor[i])
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        hess[:, i] = (grad(up) - grad(down)) / (2 * h)
    return (hess + hess.T) / 2


def _standard_errors(hess: np.ndarray) -> np.ndarray:
    """Standard errors from the Hessian of the total log-likelihood (NaN when not invertible)."""
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return np.full(len(hess), np.nan)
    diag = np.diag(cov)
    return np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)


def _minimise(objective, starts: list[np.ndarray], bounds: tuple[float, float], max_iter: int):
    """Best L-BFGS-B result over several starting points (in log-parameter space)."""
    best = None
    for x0 in starts:
        # a 3-4 parameter problem: multi-threaded BLAS inside L-BFGS-B only adds overhead (50x here)
        with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
            res = optimize.minimize(
                objective,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=[bounds] * len(x0),
                options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-8},
            )
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise RuntimeError("the likelihood could not be evaluated at any starting point")
    return best


def _log_hyp2f1_series(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, max_terms: int = 200_000
) -> np.ndarray:
    """log 2F1(a, b; c; z) by summing Gauss' series in log space, for 0 <= z < 1 and a, b, c > 0.

    The fallback for the few arguments where scipy's hyp2f1 over- or underflows (very
    large ``b`` and ``c`` together with ``z`` near 1): every term is positive, so the sum
    is accumulated as a running log-sum-exp and stops when the terms no longer matter.
    """
    a, b, c, z = (np.asarray(v, dtype=np.float64).copy() for v in (a, b, c, z))
    log_z = np.log(np.where(z > 0, z, 1.0))
    log_term = np.zeros_like(z)
    log_total = np.zeros_like(z)
    active = z > 0
    for k in range(max_terms):
        if not active.any():
            break
        idx = np.nonzero(active)[0]
        log_term[idx] += np.log((a[idx] + k) * (b[idx] + k) / ((c[idx] + k) * (k + 1))) + log_z[idx]
        log_total[idx] = np.logaddexp(log_total[idx], log_term[idx])
        # done once terms shrink (ratio < 1) and are negligible against the sum
        ratio = (a[idx] + k + 1) * (b[idx] + k + 1) / ((c[idx] + k + 1) * (k + 2)) * z[idx]
        active[idx] = ~((ratio < 1) & (log_term[idx] - log_total[idx] < -40))
    return log_total
