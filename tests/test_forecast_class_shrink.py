"""The class-shrinkage variant of benchmarks/bench_forecast_variants.py (L, not shipped): a small class's
factors and relative MAE pulled toward the portfolio's before its choice, the portfolio's own choice untouched."""

import numpy as np
import pytest
from _bench import load_benchmark

from kamtools.forecast import selection as sel_mod

METHODS = ("recent_mean", "btyd")


@pytest.fixture(scope="module")
def variants():
    return load_benchmark("bench_forecast_variants")


def _evidence(small_noise: float = 0.45, large_noise: float = 0.3, small_rows: int = 30):
    """Six large classes where the BTYD (factor 1) beats the mean of 6 months (forecast 3x, factor about
    1/3); one small class (class 7) where the corrected mean wins by more than the margin on few, noisy rows."""
    rng = np.random.default_rng(7)
    h, parts = 3, []
    for k, n in [(1, 300), (2, 300), (3, 300), (4, 300), (5, 300), (6, 300), (7, small_rows)]:
        act = rng.gamma(2.0, 10.0, size=(n, h))
        tot = act.sum(axis=1, keepdims=True)
        if k < 7:
            btyd = act * np.exp(rng.normal(0, 0.2, size=(n, 1)))
            mean6 = 3.0 * act * np.exp(rng.normal(0, large_noise, size=(n, 1)))
        else:
            btyd = act * np.exp(rng.normal(0, 0.5, size=(n, 1)))
            mean6 = 3.0 * np.repeat(tot / h, h, axis=1) * np.exp(rng.normal(0, small_noise, size=(n, 1)))
        parts.append((k, act, btyd, mean6))
    act = np.vstack([p[1] for p in parts])
    r = len(act)
    return sel_mod.Evidence(
        account=np.array([f"A{i}" for i in range(r)]),
        klass=np.concatenate([np.full(len(p[1]), p[0]) for p in parts]),
        scale=np.ones(r),
        actual=act,
        paths={"btyd": np.vstack([p[2] for p in parts]), "recent_mean": np.vstack([p[3] for p in parts])},
        lapsed_ref=np.ones(r),
        horizon=h,
        origin=None,
        silent_long=None,
    )


def test_small_class_takes_the_portfolio_method_after_shrinkage(variants):
    ev = _evidence()
    raw, _ = sel_mod.choose_by_class(ev, METHODS)
    assert raw[7].method == "recent_mean" and raw[7].factor["recent_mean"] < 0.5  # strongly corrected, wins alone
    assert all(raw[k].method == "btyd" for k in range(1, 7))
    with variants.class_shrink():
        shrunk, pooled = sel_mod.choose_by_class(ev, METHODS)
    assert shrunk[7].method == "btyd"
    assert all(shrunk[k].method == "btyd" for k in range(1, 7))
    assert pooled.method == "btyd"


def test_class_shrink_restores_the_comparison_and_leaves_the_portfolio_alone(variants):
    ev = _evidence()
    before = sel_mod._choose_on(ev, np.arange(len(ev.account)), METHODS)
    with variants.class_shrink():
        during = sel_mod._choose_on(ev, np.arange(len(ev.account)), METHODS)
    assert sel_mod._choose_on is variants._CHOOSE_ON
    assert during[0] == before[0] and during[1] == pytest.approx(before[1])


def test_shrunk_value_weights_by_sampling_variance(variants):
    assert variants._shrunk(1.0, 0.0, 0.0, 0.5) == pytest.approx(1.0)  # no noise: the class's own value
    assert variants._shrunk(1.0, np.inf, 0.0, 0.5) == pytest.approx(0.0)  # no information: the portfolio's
    assert variants._shrunk(1.0, 0.5, 0.0, 0.5) == pytest.approx(0.5)


def test_a_class_with_strong_evidence_of_its_own_keeps_its_choice(variants):
    ev = _evidence(small_noise=0.05, small_rows=300)
    with variants.class_shrink():
        shrunk, _ = sel_mod.choose_by_class(ev, METHODS)
    assert shrunk[7].method == "recent_mean"
    assert all(shrunk[k].method == "btyd" for k in range(1, 7))
