"""A list chosen by revenue checked at a single backtest origin scales no method up, its classes included: the few
accounts checked there are among its heaviest, and a factor above 1 on them (the BTYD pulls the heaviest towards
the list's average) over-forecast the Complete Journey's top 250 of 2017-06-30 by 16.8%. Scaling down stays (the
list's fall back), and from two origins a factor above 1 stands as before."""

from __future__ import annotations

import numpy as np

from kamtools.forecast import selection as S

H = 3


def _evidence(origins: int = 1, chosen: bool = True, n: int = 40, bought: float = 13.0) -> S.Evidence:
    # every account forecast 10 a month by the mean of 6 months and the BTYD; they bought ``bought`` a month
    r = n * origins
    return S.Evidence(
        account=np.array([f"A{i % n}" for i in range(r)], dtype=object),
        klass=np.full(r, 1),
        scale=np.ones(r),
        actual=np.full((r, H), bought) + np.tile(np.arange(r) % 3, (H, 1)).T,
        paths={"recent_mean": np.full((r, H), 10.0), "btyd": np.full((r, H), 10.5)},
        lapsed_ref=np.full(r, 10.0),
        horizon=H,
        origin=np.repeat(np.arange(origins), n),
        chosen=chosen,
    )


def test_a_chosen_list_at_one_origin_is_not_scaled_up():
    choices, pooled = S.choose_by_class(_evidence(), ("recent_mean", "btyd"))
    own = choices[1]  # 40 rows: a class with a choice of its own
    assert not own.pooled
    assert max(own.factor[m] for m in ("recent_mean", "btyd")) <= 1.0
    assert max(pooled.factor[m] for m in ("recent_mean", "btyd")) <= 1.0
    assert own.uncorrected and own.list_capped
    reason = S._class_reason(own.method, 1, own, own.factor[own.method])
    assert "not raised" in reason and "list chosen by revenue" in reason and "lowered by" not in reason


def test_a_chosen_list_at_one_origin_still_scales_down():
    ev = _evidence(bought=6.0)
    choices, _ = S.choose_by_class(ev, ("recent_mean",))
    own = choices[1]
    assert abs(own.factor["recent_mean"] - ev.actual.sum() / ev.paths["recent_mean"].sum()) < 1e-9  # about 0.70
    assert not own.uncorrected
    reason = S._class_reason("recent_mean", 1, own, own.factor["recent_mean"])
    assert "lowered by 30%" in reason and "bought 70% of what it forecast" in reason and "not raised" not in reason


def test_two_origins_or_a_list_not_chosen_scale_up_as_before():
    for ev in (_evidence(origins=2), _evidence(chosen=False)):
        choices, _ = S.choose_by_class(ev, ("recent_mean",))
        assert abs(choices[1].factor["recent_mean"] - ev.actual.sum() / ev.paths["recent_mean"].sum()) < 1e-9  # 1.4


def test_the_forecast_of_a_chosen_list_at_one_origin_stays_at_the_method_path():
    """What the user sees: no account of such a list is forecast above its chosen method's own path."""
    rng = np.random.default_rng(3)
    n, months, cut = 40, 12, 5
    y = 100.0 + rng.normal(0.0, 10.0, (n, months))
    y[:, cut + 1 :] *= 1.3  # the list bought 30% more after the origin than before: every method under-forecast it
    ids = np.array([f"A{i:02d}" for i in range(n)])
    model = {cut: 100.0 + rng.normal(0.0, 5.0, (n, H))}
    btyd = {cut: 100.0 + rng.normal(0.0, 5.0, (n, H))}
    ev = S.build_evidence(y, ids, [cut], H, model, btyd)
    now = np.full((n, H), 100.0)
    lo, hi = {80: now * 0.8, 95: now * 0.7}, {80: now * 1.2, 95: now * 1.3}
    ev.chosen = True  # every method under-forecast the origin by 30%: before, the list was scaled up by about 1.3
    sel = S.select(y, ids, now, lo, hi, now * 0.1, ev, now)
    assert (sel.factor <= 1.0).all()
    assert "list chosen by revenue" in sel.reason[0]
