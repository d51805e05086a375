"""The noise-gate variants of benchmarks/bench_forecast_variants.py (M, not shipped): a class switches away from
a well-calibrated method to a strongly corrected one only when the gain passes ``CORRECTION_MARGIN`` beyond
the noise of the paired errors; a real, large gain still switches; the portfolio's own choice is untouched."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from kamtools.forecast import selection as sel_mod

METHODS = ("recent_mean", "btyd")


@pytest.fixture(scope="module")
def variants():
    path = Path(__file__).parents[1] / "benchmarks" / "bench_forecast_variants.py"
    spec = importlib.util.spec_from_file_location("bench_forecast_variants", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_forecast_variants", module)
    spec.loader.exec_module(module)
    return module


def _class(rows: int, mean_noise: float, seed: int, klass: int = 1):
    """One class: the BTYD right on average (factor about 1) with a per-row error of 0.9 on the log scale; the mean
    of 6 months three times too high (factor about 1/3) with ``mean_noise`` (as large: no real gain; smaller: a real
    one)."""
    rng = np.random.default_rng(seed)
    h = 3
    act = rng.gamma(0.6, 20.0, size=(rows, h))
    level = act.mean(axis=1, keepdims=True)
    btyd = np.repeat(level, h, axis=1) * np.exp(rng.normal(-0.405, 0.9, size=(rows, 1)))
    mean6 = 3.0 * np.repeat(level, h, axis=1) * np.exp(rng.normal(0, mean_noise, size=(rows, 1)))
    return sel_mod.Evidence(
        account=np.array([f"A{i}" for i in range(rows)]),
        klass=np.full(rows, klass),
        scale=np.ones(rows),
        actual=act,
        paths={"btyd": btyd, "recent_mean": mean6},
        lapsed_ref=np.ones(rows),
        horizon=h,
        origin=None,
        silent_long=None,
    )


def _two_classes():
    """Class 1: 40 rows with no real gain (:func:`test_small_noisy_class_keeps_the_calibrated_method`); class 2:
    3,000 rows with a real one."""
    a, b = _class(40, 0.9, seed=1, klass=1), _class(3000, 0.3, seed=1, klass=2)
    return sel_mod.Evidence(
        account=np.concatenate([a.account, np.char.add("B", b.account)]),
        klass=np.concatenate([a.klass, b.klass]),
        scale=np.ones(3040),
        actual=np.vstack([a.actual, b.actual]),
        paths={m: np.vstack([a.paths[m], b.paths[m]]) for m in METHODS},
        lapsed_ref=np.ones(3040),
        horizon=a.horizon,
        origin=None,
        silent_long=None,
    )


def test_small_noisy_class_keeps_the_calibrated_method(variants):
    ev = _class(40, 0.9, seed=1)
    rows = np.arange(40)
    method, factor, mae = sel_mod._choose_on(ev, rows, METHODS)
    # today: the corrected mean wins by more than the margin on 40 rows, so the class switches to it
    assert method == "recent_mean" and factor["recent_mean"] < 0.5 and 0.8 < factor["btyd"] < 1.25
    assert mae["recent_mean"] < (1 - sel_mod.CORRECTION_MARGIN) * mae["btyd"]
    # the two methods err alike on 3,000 such rows: the small class's gain was noise
    big = _class(3000, 0.9, seed=1)
    _, _, big_mae = sel_mod._choose_on(big, np.arange(3000), METHODS)
    assert big_mae["recent_mean"] > (1 - sel_mod.CORRECTION_MARGIN) * big_mae["btyd"]
    gated, _, _ = variants.choose_on_gated(ev, rows, METHODS, z_gain=2.0)
    assert gated == "btyd"  # the gain is within two standard errors of the margin: the calibrated method stays


def test_real_large_gain_still_switches(variants):
    ev = _class(3000, 0.3, seed=1)
    rows = np.arange(3000)
    method, factor, _ = sel_mod._choose_on(ev, rows, METHODS)
    assert method == "recent_mean" and factor["recent_mean"] < 0.5
    assert variants.choose_on_gated(ev, rows, METHODS, z_gain=2.0)[0] == "recent_mean"


def test_noise_gate_restores_the_comparison_and_leaves_the_portfolio_alone(variants):
    ev = _two_classes()
    before, pooled_before = sel_mod.choose_by_class(ev, METHODS)
    assert before[1].method == "recent_mean" and before[2].method == "recent_mean"
    with variants.noise_gate(z_gain=2.0):
        after, pooled = sel_mod.choose_by_class(ev, METHODS)
    assert sel_mod._choose_on is variants._CHOOSE_ON
    assert after[1].method == "btyd" and after[2].method == "recent_mean"
    assert pooled.method == pooled_before.method and pooled.factor == pytest.approx(pooled_before.factor)


def test_paired_se_and_factor_se(variants):
    assert variants._paired_se(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(0.0)
    assert variants._paired_se(np.array([2.0, 0.0]), np.array([0.0, 0.0])) == pytest.approx(1.0)
    assert variants._paired_se(np.array([1.0]), np.array([0.0])) == 0.0
    assert variants._factor_se(np.array([1.0, 1.0]), np.array([1.0, 1.0]), 1.0) == pytest.approx(0.0)
    assert variants._factor_se(np.array([1.0]), np.array([1.0]), 1.0) == np.inf
