"""Where a factor may not scale up (one backtest origin), it scales down only when the evidence puts it below 1
beyond sampling noise: capping a noisy factor at 1 and keeping every fall would scale a portfolio down on
average where its accounts bought as forecast (CDNOW samples of 2,000 customers at 1997-06)."""

from __future__ import annotations

import numpy as np

from kamtools.forecast import selection as S

H = 3


def _evidence(bought: np.ndarray) -> S.Evidence:
    # one origin, every account forecast 10 a month by the BTYD; what each bought next is ``bought`` a month
    n = len(bought)
    return S.Evidence(
        account=np.array([f"A{i}" for i in range(n)], dtype=object),
        klass=np.ones(n, dtype=int),
        scale=np.ones(n),
        actual=np.repeat(np.asarray(bought, dtype=float)[:, None], H, axis=1),
        paths={"btyd": np.full((n, H), 10.0)},
        lapsed_ref=np.full(n, 10.0),
        horizon=H,
        origin=np.zeros(n, dtype=int),
    )


def test_a_fall_within_noise_is_not_carried():
    # 20 accounts (too few for a class of their own): most bought nothing, a few bought a lot; together 95% of
    # the forecast, a shortfall well inside the sampling error of so lumpy a total
    bought = np.zeros(20)
    bought[:4] = [60.0, 50.0, 40.0, 40.0]
    assert abs(bought.sum() / 200 - 0.95) < 1e-9
    choices, pooled = S.choose_by_class(_evidence(bought), ("btyd",))
    assert pooled.factor["btyd"] == 1.0
    assert choices[1].pooled and choices[1].factor["btyd"] == 1.0


def test_a_clear_fall_is_carried():
    # the same 95% from accounts that each bought about what they were forecast: the fall is no accident
    bought = np.full(20, 9.5) + np.tile([-0.2, 0.2], 10)
    _, pooled = S.choose_by_class(_evidence(bought), ("btyd",))
    assert abs(pooled.factor["btyd"] - 0.95) < 1e-9
