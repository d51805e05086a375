"""One month of history with no buying-rhythm model (issue 17, CDNOW's top 500 at 1997-01-31).

With one month of orders and a BTYD fit that gives every account the same rate (so it is not used), each account's
forecast is its one month carried forward. On a new cohort that month holds first orders: CDNOW's top 500 were
forecast +574% against what they bought in the next 6 months (the Complete Journey's households at one month, who
shop every week, +3.5%). Nothing measured from inside one month held on both (the bench docstring records what was
tried), so the reason says plainly what the forecast is and what it risks, instead of calling the month "a mean
over the 1 month of the data ... not a projection of its own first months".
"""

from __future__ import annotations

import numpy as np

from kamtools.forecast import selection


def _select(y: np.ndarray, ids: np.ndarray, horizon: int = 6):
    mean = np.nan_to_num(y[:, -1:]) + np.zeros((len(ids), horizon))
    lo = {80: mean * 0.8, 95: mean * 0.7}
    hi = {80: mean * 1.2, 95: mean * 1.3}
    return selection.select(y, ids, mean, lo, hi, mean * 0.15, None, None)


def test_one_month_carried_forward_says_so_and_what_it_risks():
    ids = np.array(["A", "B", "C"])
    sel = _select(np.array([[120.0], [40.0], [0.0]]), ids)
    assert set(sel.method) == {"window_mean"}
    assert (sel.reason == selection.NO_CHECK_ONE_MONTH).all()
    reason = sel.reason[0]
    assert "carries this account's one month forward to every coming month, unchecked" in reason
    assert "several times too high" in reason and "nor how many stop" in reason
    assert "not a projection of its own first months" not in reason  # what the one month is, said plainly
    assert np.allclose(sel.mean[0], 120.0) and np.allclose(sel.mean[1], 40.0)  # the forecast itself is unchanged


def test_two_months_keep_the_mean_of_the_months_known():
    ids = np.array(["A", "B"])
    sel = _select(np.array([[100.0, 50.0], [np.nan, 60.0]]), ids)
    assert set(sel.method) == {"window_mean"}
    assert (sel.reason == selection.NO_CHECK_WINDOW.format(months=2, s="s")).all()
    assert np.allclose(sel.mean[0], 75.0)
