"""The whole portfolio's movement at the backtest origins, not carried ahead on a history under a year.

A class's calibration factor (:func:`~kamtools.forecast.selection.choice.choose_by_class`) is what its accounts
bought over what a method forecast, at the backtest origins. It mixes two things: how such accounts regress (a
property of the accounts, which carries to the months ahead) and how the whole portfolio's level moved from the
origin's past to its future (the calendar: a fall after a seasonal peak, a growth). With a year of history or more
the origins lie in different phases of the year; under a year they share one phase, which the months ahead need not
repeat. :func:`without_portfolio_movement` divides each method's class factors by the whole portfolio's factor of
that method (:attr:`ClassChoice.factor` of the pooled choice), so a class keeps how its accounts bought against the
portfolio's, and the portfolio's own movement at the origins is not carried.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kamtools.forecast.selection.choice import FACTOR_BOUNDS, WELL_CALIBRATED, ClassChoice
from kamtools.forecast.selection.evidence import Evidence

PHASE_MONTHS = 12  # a history of fewer months (today's data from its first month) has origins in one phase only


def portfolio_movement(ev: Evidence | None, pooled: ClassChoice) -> dict[str, float]:
    """Per method, the whole portfolio's factor at the origins that :func:`without_portfolio_movement` takes out:
    the pooled choice's factor, where the history (``ev.history``) is under :data:`PHASE_MONTHS` months, the
    portfolio is not chosen by revenue (a list's regression to the mean is its accounts') and the factor lies within
    :data:`~kamtools.forecast.selection.choice.WELL_CALIBRATED` (a larger one, as a young cohort's decay, is the
    accounts' own dropout); empty elsewhere."""
    if ev is None or ev.chosen or not 0 < ev.history < PHASE_MONTHS:
        return {}
    return {
        m: float(f)
        for m, f in pooled.factor.items()
        if WELL_CALIBRATED[0] <= f <= WELL_CALIBRATED[1] and f > 0 and f != 1.0
    }


def _divided(c: ClassChoice, part: dict[str, float]) -> ClassChoice:
    factor = {m: float(np.clip(f / part[m], *FACTOR_BOUNDS)) if m in part else f for m, f in c.factor.items()}
    q = {
        m: (v * (c.factor[m] / factor[m]) if m in part and v is not None and factor[m] > 0 else v)
        for m, v in c.q.items()
    }
    return replace(c, factor=factor, q=q)


def without_portfolio_movement(
    ev: Evidence | None, choices: dict[int, ClassChoice], pooled: ClassChoice
) -> tuple[dict[int, ClassChoice], ClassChoice]:
    """``choices`` and ``pooled`` (:func:`~kamtools.forecast.selection.choice.choose_by_class`) with each method's
    factors divided by :func:`portfolio_movement` (bounded by :data:`~kamtools.forecast.selection.choice.
    FACTOR_BOUNDS`), and their interval multiples moved with them (the same rows, read against the new factor);
    the methods chosen do not change. Unchanged where portfolio_movement is empty."""
    part = portfolio_movement(ev, pooled)
    if not part:
        return choices, pooled
    return {k: _divided(c, part) for k, c in choices.items()}, _divided(pooled, part)
