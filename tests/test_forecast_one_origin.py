"""The whole portfolio's calibration factor does not scale up from a single backtest origin (it would carry one
period's swing of every account forward), nor in a portfolio chosen by revenue, whose regression to the mean of
the choice scales it down; a class with rows of its own keeps its factor, except in such a list."""

from __future__ import annotations

import numpy as np

from kamtools.forecast import selection as S

H = 3


def _evidence(origins: int, chosen: bool = False, n: int = 20, klass: int = 1) -> S.Evidence:
    # every account forecast 10 a month by the mean of 6 months; they all bought 13 a month (a 30% swing)
    r = n * origins
    return S.Evidence(
        account=np.array([f"A{i % n}" for i in range(r)], dtype=object),
        klass=np.full(r, klass),
        scale=np.ones(r),
        actual=np.full((r, H), 13.0),
        paths={"recent_mean": np.full((r, H), 10.0)},
        lapsed_ref=np.full(r, 10.0),
        horizon=H,
        origin=np.repeat(np.arange(origins), n),
        chosen=chosen,
    )


def test_one_origin_leaves_the_whole_portfolio_unscaled():
    choices, pooled = S.choose_by_class(_evidence(1), ("recent_mean",))
    assert pooled.factor["recent_mean"] == 1.0
    assert pooled.uncorrected
    small = choices[1]  # 20 rows: too few for a factor of its own, it takes the portfolio's
    assert small.pooled and small.factor["recent_mean"] == 1.0
    reason = S._class_reason("recent_mean", 1, small, small.factor["recent_mean"])
    assert "not raised" in reason and "single past date" in reason


def test_two_origins_scale_as_before():
    _, pooled = S.choose_by_class(_evidence(2), ("recent_mean",))
    assert abs(pooled.factor["recent_mean"] - 1.3) < 1e-9
    assert not pooled.uncorrected


def test_a_portfolio_chosen_by_revenue_is_not_scaled_up_at_one_origin():
    # its few accounts checked there are among its heaviest (tests/test_forecast_list_capped.py); from two origins
    # its factor of 1.3 stands
    choices, pooled = S.choose_by_class(_evidence(1, chosen=True), ("recent_mean",))
    assert pooled.factor["recent_mean"] == 1.0 and pooled.uncorrected
    reason = S._class_reason("recent_mean", 1, choices[1], choices[1].factor["recent_mean"])
    assert "not raised" in reason and "list chosen by revenue" in reason
    _, pooled = S.choose_by_class(_evidence(2, chosen=True), ("recent_mean",))
    assert abs(pooled.factor["recent_mean"] - 1.3) < 1e-9


def test_a_class_with_rows_of_its_own_keeps_its_factor_at_one_origin():
    choices, pooled = S.choose_by_class(_evidence(1, n=S.MIN_CLASS_ROWS + 10), ("recent_mean",))
    assert pooled.factor["recent_mean"] == 1.0
    assert not choices[1].pooled
    assert abs(choices[1].factor["recent_mean"] - 1.3) < 1e-9


def test_one_origin_still_scales_down_for_accounts_that_stopped_buying():
    ev = _evidence(1)
    ev.actual[:] = 1.0  # a young cohort: most bought next to nothing after their first order
    choices, pooled = S.choose_by_class(ev, ("recent_mean",))
    assert abs(pooled.factor["recent_mean"] - 0.1) < 1e-9
    assert not pooled.uncorrected
    reason = S._class_reason("recent_mean", 1, choices[1], choices[1].factor["recent_mean"])
    assert "lowered by 90%" in reason and "bought 10% of what it forecast" in reason and "not raised" not in reason
