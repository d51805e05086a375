"""A steady account's monthly range from its own spread on the months it orders (issue 17, helper STEADY).

The class "7 or more ordering months in the last 12" mixes accounts that skip a month in three with accounts that
order every month; its 10% monthly multiple is 0, so an account ordering every month read a range from 0 each
month. It now takes its own chance of an empty month and its own spread (kamtools.forecast.selection.steady); a
sparse buyer of the same class keeps a range from 0, and the forecast does not move.
"""

from __future__ import annotations

import numpy as np
import pytest

from kamtools.forecast import selection
from kamtools.forecast.selection import steady

T, H = 36, 6


def _portfolio(seed: int = 3):
    """40 accounts ordering every month (about 100, log-spread 0.15) and 60 skipping a month in three at random
    (about 100, log-spread 0.6), all in the class of 7 or more ordering months with a recent order."""
    rng = np.random.default_rng(seed)
    rows, ids = [], []
    for i in range(40):
        rows.append(100.0 * np.exp(rng.normal(0.0, 0.15, T)))
        ids.append(f"E{i:02d}")
    for i in range(60):
        r = 100.0 * np.exp(rng.normal(0.0, 0.6, T))
        r[rng.random(T) < 1 / 3] = 0.0
        r[-1] = max(r[-1], 50.0)  # an order in the last month: the same class as the others
        rows.append(r)
        ids.append(f"S{i:02d}")
    return np.array(rows), np.array(ids)


def _select(y, ids):
    ev = selection.build_evidence(y, ids, [T - 1 - 2 * H, T - 1 - H], H)
    mean = np.repeat(np.nanmean(y[:, -12:], axis=1, keepdims=True), H, axis=1)
    return selection.select(
        y, ids, mean, {80: mean * 0.8, 95: mean * 0.7}, {80: mean * 1.2, 95: mean * 1.3}, mean * 0.15, ev, None
    )


def test_an_account_ordering_every_month_gets_a_lower_bound_above_zero_and_a_sparse_buyer_keeps_zero():
    y, ids = _portfolio()
    sel = _select(y, ids)
    every = np.char.startswith(ids.astype(str), "E")
    assert set(sel.klass[every]) == {10}  # 7 or more ordering months, the last within 3 months
    assert np.sum(sel.klass[~every] == 10) >= 40  # most sparse buyers too: their empty months are in its multiples
    assert np.all(sel.lo[80][every] > 0)
    assert np.all(sel.lo[80][every] < sel.mean[every])
    assert np.all(sel.hi[80][every] > sel.mean[every])
    assert np.all(sel.lo[80][~every] == 0)  # skipping a month of 12 or more: p0 = 2/14 reaches the 10% tail
    # its own range is narrower than its class's, which reaches the sparse buyers' spread
    width = (sel.hi[80] - sel.lo[80]) / np.where(sel.mean > 0, sel.mean, 1.0)
    assert np.median(width[every]) < 0.6 * np.median(width[~every])
    # the 95% range is wider and (p0 = 1/14 above its 2.5% tail) starts at zero
    assert np.all(sel.lo[95][every] == 0)
    assert np.all(sel.hi[95][every] >= sel.hi[80][every])


def test_the_forecast_and_the_sparse_buyers_ranges_do_not_move(monkeypatch):
    y, ids = _portfolio()
    sel = _select(y, ids)
    monkeypatch.setattr(steady, "STEADY_MONTHS", 13)  # no account qualifies: the class's multiples for all
    before = _select(y, ids)
    every = np.char.startswith(ids.astype(str), "E")
    np.testing.assert_allclose(sel.mean, before.mean)
    sparse = (y[:, -12:] > 0).sum(axis=1) < 9  # under 9 ordering months of 12: as before
    assert sparse.sum() >= 20
    np.testing.assert_allclose(sel.lo[80][sparse], before.lo[80][sparse])
    np.testing.assert_allclose(sel.hi[80][sparse], before.hi[80][sparse])
    np.testing.assert_allclose(sel.sd[sparse], before.sd[sparse])
    assert np.all(before.lo[80][every] == 0)  # what an every-month account read before: a range from zero


@pytest.mark.parametrize("skipped, starts_at_zero", [(0, False), (1, True), (3, True)])
def test_its_own_chance_of_an_empty_month_decides_whether_the_80_range_starts_at_zero(skipped, starts_at_zero):
    scores = steady.SteadyScores(np.sort(np.random.default_rng(0).normal(0.0, 1.0, 400)), 100, 0.2**2)
    lo, hi = steady.steady_band(np.full(H, 100.0), 12 - skipped, 0.2, scores, 80)
    assert (lo == 0).all() == starts_at_zero
    assert (hi > 100).all()
    if not starts_at_zero:  # 12 of 12: p0 = 1/14, the lower bound read at (0.1 - 1/14) / (1 - 1/14) of the scores
        assert 60 < lo[0] < 100


def test_ordering_spread_needs_twelve_months():
    y = np.array([[np.nan] * 3 + [100.0] * 9, [100.0, 0.0] * 6, [100.0, 200.0] * 6])
    k, s = selection.state.ordering_spread(y)
    assert list(k) == [9, 6, 12]
    assert np.isnan(s[0])
    assert s[1] == 0
    assert s[2] == pytest.approx(np.std(np.log([100.0, 200.0] * 6), ddof=1))


def test_an_own_spread_is_shrunk_towards_the_class_median_as_8_degrees_of_freedom():
    # 12 ordering months: 11 degrees of freedom of its own against the median's 8
    assert steady.shrunk(0.0, 12, 0.3**2) == pytest.approx(0.3 * np.sqrt(8 / 19))
    assert steady.shrunk(0.3, 12, 0.3**2) == pytest.approx(0.3)
    assert steady.shrunk(0.6, 9, 0.3**2) == pytest.approx(np.sqrt((8 * 0.36 + 8 * 0.09) / 16))
