"""A forecast corrected to zero has no band of its own months' spread around it (issue 17, SWEEPDEMO).

The 2-year demo with one order kept per account (one-time buyers only, as of 2026-10-31): no account bought again
after a past date, so the average of the last 6 months was corrected by a factor of 0 and A0040's forecast was 0;
yet its monthly band came from the spread of its last 12 months (one month of 142.3k), so the page read "0 (80%
range 0 to 104.5k)" and "2026: ... probability of reaching the target 50%" (59 short of it) beside "such accounts
bought 0% of what it forecast". The band of a zero that the evidence set is zero, as a lapsed account's is.
"""

from __future__ import annotations

import numpy as np

from kamtools.forecast.selection.assembly import _forecasts

H = 12


def _run(factor: float):
    y = np.zeros((1, 24))
    y[0, -8] = 142_340.55  # one order, 8 months before the analysis date
    paths = {"model": np.full((1, H), 9_000.0), "recent_mean": np.full((1, H), 142_340.55 / 6)}
    none = {lev: np.zeros((1, H)) for lev in (80, 95)}
    return _forecasts(
        y, paths, np.array(["recent_mean"]), np.array([factor]), [None], none, none, False, (80, 95), None, None, None
    )


def test_a_zero_factor_gives_a_zero_band():
    mean, lo, hi, model_iv = _run(0.0)
    assert (mean == 0).all()
    for lev in (80, 95):
        assert (lo[lev] == 0).all() and (hi[lev] == 0).all()  # before: up to about 60k (80%) a month


def test_a_factor_above_zero_keeps_its_band():
    mean, lo, hi, _ = _run(0.5)
    assert (mean > 0).all() and (hi[80] > mean).all()
