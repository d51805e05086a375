"""Newton steps to the exact minimum of a smooth objective, so that a fit ends at the same point on every machine.

Optimisers such as L-BFGS-B stop where their tolerances say, and where that is depends on the last bits of the
machine's maths kernels (numpy's dispatched loops, OpenBLAS's core type, glibc's FMA variants): the value model's
BTYD fits and the forecast's ETS fits differed between CPUs in their eighth to fifth digit. A few Newton steps
from where the optimiser stopped land on the minimum itself.
"""

from __future__ import annotations

import numpy as np


def newton_polish(objective, phi: np.ndarray, bounds: tuple, max_steps: int = 25) -> np.ndarray:
    """Newton steps from ``phi`` on a well-conditioned smooth objective (value, gradient) to its minimum.

    L-BFGS-B stops where its tolerances say, and where that is depends on the last bits of the
    machine's maths kernels; Newton steps with a numeric Hessian from the analytic gradient land on
    the minimum itself (to about 1e-12 relative), so the same data give the same parameters on
    every machine. A coordinate that stands on a bound with the gradient pushing it outwards (the
    minimum on that face of the box, e.g. an MBG/NBD ``a`` at e^-18) is held there and the others are
    polished. Returns ``phi`` unchanged where the Hessian of the free coordinates is not positive
    definite or a step (clipped to the bounds, halved up to 11 times) improves neither the objective nor (where the objective is
    flat to its rounding) the gradient. ``bounds`` is ``(lower, upper)``, each a number or one per coordinate
    (``-inf``/``inf`` for none).
    """
    phi = np.asarray(phi, dtype=np.float64).copy()
    lower = np.broadcast_to(np.asarray(bounds[0], dtype=np.float64), phi.shape)
    upper = np.broadcast_to(np.asarray(bounds[1], dtype=np.float64), phi.shape)
    norm = np.linalg.norm

    def projected(point, gradient):
        """The coordinates held on their bound, and the gradient of the others (held ones zeroed)."""
        held = ((point <= lower) & (gradient > 0)) | ((point >= upper) & (gradient < 0))
        return held, np.where(held, 0.0, gradient)

    with np.errstate(all="ignore"):
        value, grad = objective(phi)
        for _ in range(max_steps):
            held, pgrad = projected(phi, grad)
            free = np.flatnonzero(~held)
            if len(free) == 0:
                break
            hess = np.empty((len(free), len(free)))
            for col, i in enumerate(free):
                h = 1e-5 * max(1.0, abs(phi[i]))
                up, down = phi.copy(), phi.copy()
                up[i] += h
                down[i] -= h
                hess[:, col] = (objective(up)[1][free] - objective(down)[1][free]) / (2 * h)
            hess = (hess + hess.T) / 2
            if not np.all(np.isfinite(hess)) or np.any(np.linalg.eigvalsh(hess) <= 0):
                break
            step = np.linalg.solve(hess, grad[free])
            # the Newton step, clipped to the bounds (a bound met on the way is kept), halved while it does not
            # help: near the minimum the value is flat to its rounding, so a step that does not raise it beyond
            # that counts as progress when it shrinks the gradient (of the coordinates not held on a bound)
            for shrink in 0.5 ** np.arange(12):
                new = phi.copy()
                new[free] = np.clip(phi[free] - shrink * step, lower[free], upper[free])
                new_value, new_grad = objective(new)
                flat = new_value <= value + 1e-12 * max(1.0, abs(value))
                shrinks = norm(projected(new, new_grad)[1]) < norm(pgrad)
                if np.isfinite(new_value) and (new_value < value or (flat and shrinks)):
                    break
            else:
                break
            moved = np.max(np.abs(new - phi))
            phi, value, grad = new, new_value, new_grad
            if moved < 1e-13 * max(1.0, float(np.max(np.abs(phi)))):
                break
    return phi
