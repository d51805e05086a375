"""The zero forecast of a whole class is bounded by a bias budget (ZERO_BIAS_BUDGET of what was
bought): a class seen at one backtest origin of two is measured against that origin's revenue,
not both origins', so it cannot look half its size and be zeroed against the budget."""

from __future__ import annotations

import numpy as np

from kamtools.forecast import selection as S

H = 3


def _evidence(n_active: int, n_quiet: int, with_origin: bool = True) -> S.Evidence:
    # class 1: steady buyers at both origins, 10 a month, forecast exactly
    # class 3: seen at the second origin only; forecast 1 a month, 9 of 10 buy nothing, 1 in 10 buys 12 a month
    klass, origin, actual, fc = [], [], [], []
    for o in (0, 1):
        for _ in range(n_active):
            klass.append(1), origin.append(o), actual.append([10.0] * H), fc.append([10.0] * H)
    for i in range(n_quiet):
        buys = i % 10 == 0
        klass.append(3), origin.append(1), actual.append([12.0 if buys else 0.0] * H), fc.append([1.0] * H)
    r = len(klass)
    return S.Evidence(
        account=np.array([f"A{i}" for i in range(r)], dtype=object),
        klass=np.array(klass),
        scale=np.ones(r),
        actual=np.array(actual),
        paths={"recent_mean": np.array(fc)},
        lapsed_ref=np.full(r, 5.0),
        horizon=H,
        origin=np.array(origin) if with_origin else None,
    )


def test_a_class_seen_at_one_origin_is_measured_against_that_origin_only():
    # class 3 bought 50 x 3.6 = 180: 5.7% of the second origin's 3,180, 2.9% of both origins' 6,180
    choices, _ = S.choose_by_class(_evidence(100, 50), ("recent_mean",))
    assert choices[3].mae["recent_mean"] > float(np.mean(_evidence(100, 50).actual[200:].sum(axis=1)))  # zero wins MAE
    assert choices[3].method == "recent_mean"  # but zeroing it would spend more than the 5% budget
    assert choices[1].method == "recent_mean"


def test_within_the_budget_the_class_is_zeroed():
    # 300 steady accounts: the quiet class's 180 is 2.0% of the second origin's 9,180
    choices, _ = S.choose_by_class(_evidence(300, 50), ("recent_mean",))
    assert choices[3].method == "zero"


def test_without_origins_every_row_counts_as_before():
    choices, _ = S.choose_by_class(_evidence(100, 50, with_origin=False), ("recent_mean",))
    assert choices[3].method == "zero"  # 2.9% of everything bought: inside the budget
