"""Under a year of history the whole portfolio's movement at the backtest origins (a fall after a seasonal peak) is
not carried to the months ahead: each class keeps its factor relative to the portfolio's. With a year or more, in a
list chosen by revenue, and for a movement as large as a young cohort's decay, the factors stand."""

from __future__ import annotations

import numpy as np

from kamtools.forecast import selection as S
from kamtools.forecast.selection.phase import without_portfolio_movement

H = 3


def _evidence(history: int, low: float = 6.0, high: float = 10.0, chosen: bool = False) -> S.Evidence:
    # one origin; every account forecast 10 a month by the mean of 6 months; the one-month buyers (class 1)
    # bought ``low`` a month after it, the accounts ordering most months (class 4) ``high``
    n = S.MIN_CLASS_ROWS + 10
    r = 2 * n
    actual = np.vstack([np.full((n, H), low), np.full((n, H), high)])
    return S.Evidence(
        account=np.array([f"A{i}" for i in range(r)], dtype=object),
        klass=np.repeat([1, 4], n),
        scale=np.ones(r),
        actual=actual,
        paths={"recent_mean": np.full((r, H), 10.0)},
        lapsed_ref=np.full(r, 10.0),
        horizon=H,
        origin=np.zeros(r, dtype=int),
        chosen=chosen,
        history=history,
    )


def _factors(ev: S.Evidence) -> tuple[float, float, float]:
    choices, pooled = without_portfolio_movement(ev, *S.choose_by_class(ev, ("recent_mean",)))
    return choices[1].factor["recent_mean"], choices[4].factor["recent_mean"], pooled.factor["recent_mean"]


def test_under_a_year_the_portfolio_fall_at_the_origin_is_not_carried():
    # the portfolio bought 0.8 of the forecast at its origin (a post-peak fall); the one-month buyers 0.6 of it,
    # 0.75 of the portfolio's; the regular ones 1.0, 1.25 of it
    one, regular, whole = _factors(_evidence(history=9))
    assert abs(one - 0.75) < 1e-9 and abs(regular - 1.25) < 1e-9 and abs(whole - 1.0) < 1e-9


def test_the_interval_multiples_move_with_the_factor():
    ev = _evidence(history=9)
    before, _ = S.choose_by_class(ev, ("recent_mean",))
    after, _ = without_portfolio_movement(ev, *S.choose_by_class(ev, ("recent_mean",)))
    ratio = after[1].q["recent_mean"] / before[1].q["recent_mean"]
    assert np.allclose(ratio, 0.8)  # the same rows against a factor 1 / 0.8 times as large


def test_a_year_of_history_keeps_the_factors():
    one, regular, whole = _factors(_evidence(history=12))
    assert abs(one - 0.6) < 1e-9 and abs(regular - 1.0) < 1e-9 and abs(whole - 0.8) < 1e-9


def test_a_list_chosen_by_revenue_keeps_its_regression_to_the_mean():
    one, regular, _ = _factors(_evidence(history=9, chosen=True))
    assert abs(one - 0.6) < 1e-9 and abs(regular - 1.0) < 1e-9


def test_a_young_cohort_decay_is_the_accounts_own():
    # the portfolio bought a third of the mean of its first months (CDNOW's first-quarter cohort: 0.34)
    one, regular, whole = _factors(_evidence(history=6, low=1.0, high=5.0))
    assert abs(one - 0.1) < 1e-9 and abs(regular - 0.5) < 1e-9 and abs(whole - 0.3) < 1e-9
