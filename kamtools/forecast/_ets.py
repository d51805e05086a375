"""ETS(A,N,N) and ETS(A,Ad,N) fitted by statsmodels, then taken to the exact least-squares point.

statsmodels' ``ETSModel.fit`` maximises the likelihood with L-BFGS-B on finite-difference gradients and stops
where its tolerances say; where that is depends on the machine's maths kernels (numpy's dispatched sums, glibc's
``log``), so the same series gave smoothing constants and forecasts that differed in their fifth digit between
CPUs (the demo's monthly forecasts by up to 2.6e-5, relative). With additive errors and the scale concentrated out
the likelihood is a decreasing function of the sum of squared one-step errors, so the fit is polished here by
Newton steps on that sum, computed with its exact gradient in plain float arithmetic (additions and
multiplications only, the same bits on every machine), in statsmodels' own parameters and bounds: smoothing level
``alpha`` and ``beta* = beta / alpha`` in [1e-4, 1 - 1e-4], damping ``phi`` in [0.8, 0.98], initial level and
trend free. A parameter on its bound stays there when the minimum lies beyond it. The polish is local: where the
sum of squares is not convex around statsmodels' point (its Hessian not positive definite) the fit is left as
statsmodels gave it, so no fit moves to another basin of the likelihood.
"""

from __future__ import annotations

import numpy as np

from kamtools._newton import newton_polish

_LOW, _HIGH = 1e-4, 1.0 - 1e-4  # statsmodels' bounds on alpha and beta* (ETSModel._setup_bounds)
_PHI_LOW, _PHI_HIGH = 0.8, 0.98


def _sse_damped(u, y: list[float]) -> tuple[float, list[float]]:
    """Sum of squared one-step errors of ETS(A,Ad,N) and its gradient wrt ``u = (alpha, beta*, phi, l0, b0)``."""
    alpha, bstar, phi, level, trend = (float(v) for v in u)
    beta = bstar * alpha
    dl = [0.0, 0.0, 0.0, 1.0, 0.0]
    db = [0.0, 0.0, 0.0, 0.0, 1.0]
    total, dtotal = 0.0, [0.0] * 5
    for value in y:
        f = level + phi * trend
        df = [dl[i] + phi * db[i] for i in range(5)]
        df[2] += trend
        e = value - f
        total += e * e
        for i in range(5):
            dtotal[i] -= 2.0 * e * df[i]
        # level and trend after this observation (de = -df)
        new_dl = [df[i] - alpha * df[i] for i in range(5)]
        new_dl[0] += e
        new_db = [phi * db[i] - beta * df[i] for i in range(5)]
        new_db[2] += trend
        new_db[0] += bstar * e
        new_db[1] += alpha * e
        level, trend, dl, db = f + alpha * e, phi * trend + beta * e, new_dl, new_db
    return total, dtotal


def _sse_simple(u, y: list[float]) -> tuple[float, list[float]]:
    """Sum of squared one-step errors of ETS(A,N,N) and its gradient wrt ``u = (alpha, l0)``."""
    alpha, level = float(u[0]), float(u[1])
    dl = [0.0, 1.0]
    total, dtotal = 0.0, [0.0, 0.0]
    for value in y:
        e = value - level
        total += e * e
        dtotal[0] -= 2.0 * e * dl[0]
        dtotal[1] -= 2.0 * e * dl[1]
        dl = [dl[0] - alpha * dl[0] + e, dl[1] - alpha * dl[1]]
        level = level + alpha * e
    return total, dtotal


def polished(res, x: np.ndarray):
    """The statsmodels ETS result ``res`` (additive error, no season) at the exact least-squares point of ``x``.

    Returns ``res`` itself where the polish cannot improve it (a Hessian that is not positive definite, a step
    out of the bounds), else the model smoothed at the polished parameters.
    """
    model = res.model
    params = np.asarray(res.params, dtype=np.float64)
    y = [float(v) for v in np.asarray(x, dtype=np.float64)]
    scale = max(sum(v * v for v in y) / len(y), 1e-300)  # plain float sums: the same on every machine
    if model.damped_trend:
        alpha, beta, phi, level, trend = params
        u0 = np.array([alpha, beta / alpha, phi, level, trend])
        lower = np.array([_LOW, _LOW, _PHI_LOW, -np.inf, -np.inf])
        upper = np.array([_HIGH, _HIGH, _PHI_HIGH, np.inf, np.inf])
        sse = _sse_damped
    elif not model.has_trend:
        u0 = params.copy()
        lower, upper = np.array([_LOW, -np.inf]), np.array([_HIGH, np.inf])
        sse = _sse_simple
    else:  # undamped Holt is not a candidate of the forecast
        return res
    # the initial states in units of the series' size, so that every coordinate's curvature is of one order
    size = np.ones(len(u0))
    size[-2 if model.damped_trend else -1 :] = scale**0.5
    u0 = np.clip(u0, lower, upper) / size

    def objective(v):
        total, grad = sse(v * size, y)
        return total / scale, np.array(grad) * size / scale

    v = newton_polish(objective, u0, (lower / size, upper / size), max_steps=50)
    if np.array_equal(v, u0) or not objective(v)[0] <= objective(u0)[0]:
        return res
    new = v * size
    if model.damped_trend:
        new[1] = new[1] * new[0]
    return model.smooth(new)
