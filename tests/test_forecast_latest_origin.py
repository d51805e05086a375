"""The latest-origin and no-override variants of benchmarks/bench_forecast_variants.py (J, K): the evidence a
larger portfolio's one-window backtest gives, and the class choice without the accounts' own overrides."""

import numpy as np
import pytest
from _bench import load_benchmark

from kamtools.forecast import selection as sel_mod


@pytest.fixture(scope="module")
def variants():
    return load_benchmark("bench_forecast_variants")


def _evidence(origins):
    """Two accounts at each origin in ``origins``; each row's actual path tells its origin and account."""
    rows = [(o, a) for o in origins for a in range(2)]
    r, h = len(rows), 6
    actual = np.array([[10.0 * o + a] * h for o, a in rows])
    return sel_mod.Evidence(
        account=np.array([f"A{a}" for _, a in rows]),
        klass=np.array([1 + a for _, a in rows]),
        scale=np.ones(r),
        actual=actual,
        paths={"recent_mean": actual + 1.0, "btyd": actual * 2.0},
        lapsed_ref=np.ones(r),
        horizon=h,
        origin=np.array([o for o, _ in rows]),
        silent_long=np.array([a == 1 for _, a in rows]),
    )


def test_latest_origin_keeps_only_the_rows_of_the_newest_origin(variants):
    ev = _evidence([5, 6])
    last = variants.latest_origin(ev)
    assert list(last.origin) == [6, 6]
    assert list(last.account) == ["A0", "A1"]
    assert last.actual[:, 0].tolist() == [60.0, 61.0]
    assert last.paths["btyd"][:, 0].tolist() == [120.0, 122.0]
    assert last.silent_long.tolist() == [False, True]
    assert last.horizon == ev.horizon and len(ev.account) == 4  # the input is not changed


def test_latest_origin_leaves_one_origin_and_no_evidence_alone(variants):
    ev = _evidence([6])
    assert variants.latest_origin(ev) is ev
    assert variants.latest_origin(None) is None


def test_no_own_override_disables_the_override_and_restores_it(variants):
    kept = sel_mod.MIN_OWN_ORIGINS
    ev = _evidence([5, 6])
    ev.actual[:] = 1.0  # every account ordered in every evidence month: regular buyers with two origins
    with variants.no_own_override():
        own = sel_mod._own_evidence(ev, ("recent_mean", "btyd"), {}, sel_mod.ClassChoice("btyd", {}, {}, 4, True, 1.0))
        assert own.regular == set()
    assert sel_mod.MIN_OWN_ORIGINS == kept
    own = sel_mod._own_evidence(ev, ("recent_mean", "btyd"), {}, sel_mod.ClassChoice("btyd", {}, {}, 4, True, 1.0))
    assert own.regular == {"A0", "A1"}
