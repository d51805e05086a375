"""The summary over many draws of benchmarks/bench_real_data.py (``--draws``): pooled bias, spread,
lowest-MAE counts, and what choosing the top accounts adds to a method's bias."""

import numpy as np
import pandas as pd
import pytest
from _bench import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_real_data")


def _row(as_of, draw, method, fc, act, mae):
    return {
        "as_of": as_of,
        "draw": draw,
        "method": method,
        "forecast_total": fc,
        "actual_total": act,
        "bias_pct": 100 * (fc / act - 1),
        "mae": mae,
    }


def test_the_summary_pools_the_totals_and_counts_the_draws_each_method_won(bench):
    res = pd.DataFrame(
        [
            _row("1997-09-30", 1, "kamtools", 90.0, 100.0, 10.0),  # -10%, lowest MAE: aim met
            _row("1997-09-30", 1, "BTYD expected value", 150.0, 100.0, 12.0),
            _row("1997-09-30", 1, "zero for all", 0.0, 100.0, 5.0),  # lower, but a reference only
            _row("1997-09-30", 2, "kamtools", 120.0, 300.0, 20.0),  # -60%, lowest MAE: aim not met
            _row("1997-09-30", 2, "BTYD expected value", 330.0, 300.0, 21.0),
            _row("1997-09-30", 2, "zero for all", 0.0, 300.0, 15.0),
            _row("1997-09-30", 3, "kamtools", 220.0, 200.0, 30.0),  # +10%, loses to the BTYD
            _row("1997-09-30", 3, "BTYD expected value", 200.0, 200.0, 29.0),
            _row("1997-09-30", 3, "zero for all", 0.0, 200.0, 25.0),
        ]
    )
    got = bench.summarise_draws(res).set_index("method")
    k = got.loc["kamtools"]
    assert k["draws"] == 3
    assert k["pooled_bias_pct"] == pytest.approx(100 * (430 / 600 - 1))  # -28.3%, not the mean of the draws
    assert k["mean_bias_pct"] == pytest.approx((-10 - 60 + 10) / 3)
    assert k["p10_bias_pct"] == pytest.approx(np.percentile([-10, -60, 10], 10))
    assert k["p90_bias_pct"] == pytest.approx(np.percentile([-10, -60, 10], 90))
    assert k["mean_mae"] == pytest.approx(20.0)
    assert (k["lowest_mae"], k["aim_met"]) == (2, 1)
    b = got.loc["BTYD expected value"]
    assert (b["lowest_mae"], b["aim_met"]) == (1, 1)
    assert b["pooled_bias_pct"] == pytest.approx(100 * (680 / 600 - 1))
    z = got.loc["zero for all"]
    assert np.isnan(z["lowest_mae"]) and np.isnan(z["aim_met"])  # never counted as a winner
    assert z["pooled_bias_pct"] == pytest.approx(-100.0)


def test_the_summary_keeps_the_dates_apart(bench):
    res = pd.DataFrame(
        [
            _row("1997-06-30", 1, "kamtools", 100.0, 100.0, 1.0),
            _row("1997-06-30", 1, "seasonal naive", 100.0, 100.0, 2.0),
            _row("1997-12-31", 1, "kamtools", 100.0, 100.0, 3.0),
            _row("1997-12-31", 1, "seasonal naive", 100.0, 100.0, 2.0),
        ]
    )
    got = bench.summarise_draws(res).set_index(["as_of", "method"])["lowest_mae"]
    assert got[("1997-06-30", "kamtools")] == 1 and got[("1997-12-31", "kamtools")] == 0
    assert got[("1997-12-31", "seasonal naive")] == 1


def test_the_selection_effect_is_what_the_top_adds_to_the_methods_own_bias(bench):
    top = pd.DataFrame({"as_of": ["d", "d"], "method": ["kamtools", "BTYD"], "bias_pct": [32.0, 50.0]})
    whole = pd.DataFrame({"as_of": ["d", "d"], "method": ["kamtools", "BTYD"], "bias_pct": [10.0, -25.0]})
    got = bench.selection_effect(top, whole).set_index("method")["added_pct"]
    assert got["kamtools"] == pytest.approx(20.0)  # 1.32 = 1.10 x 1.20
    assert got["BTYD"] == pytest.approx(100.0)  # 1.50 = 0.75 x 2.00


def test_draw_s_is_the_sample_seed_s_draws_date_by_date(bench):
    ids = [f"C{i:05d}" for i in range(50)]
    a = bench.sample_ids(ids, 10, 1, 3)
    assert a == bench.sample_ids(ids, 10, 1, 3)  # reproducible
    rng = np.random.default_rng(1)  # what the single run did before: one generator over the dates
    assert a == [sorted(rng.choice(ids, 10, replace=False)) for _ in range(3)]
    assert len({tuple(x) for x in a}) == 3  # a new sample for each date
    assert bench.sample_ids(ids, 10, 2, 3) != a


def test_a_tie_within_the_accounts_sampling_error_is_called_a_tie_not_a_win(bench):
    rng = np.random.default_rng(3)
    actual = rng.gamma(0.3, 50.0, size=2000)  # zero-inflated-like totals
    kam = actual * rng.uniform(0.5, 1.5, size=2000)
    other = actual * rng.uniform(0.5, 1.5, size=2000)  # another forecast of the same quality
    far = np.full(2000, actual.mean())  # the portfolio mean for everyone: clearly worse per account
    ci = bench.sampling_intervals({"kamtools": kam, "mean": other, "flat": far}, actual).set_index("method")
    assert ci.loc["kamtools", "mae_minus_kamtools"] == 0.0
    assert ci.loc["mean", "mae_minus_kamtools_lo90"] < 0 < ci.loc["mean", "mae_minus_kamtools_hi90"]
    assert ci.loc["flat", "mae_minus_kamtools_lo90"] > 0  # kamtools clearly better than the flat forecast
    k = ci.loc["kamtools"]
    true_bias = 100 * (kam.sum() / actual.sum() - 1)
    assert k["bias_lo90"] < true_bias < k["bias_hi90"]
    # the same seed gives the same intervals
    again = bench.sampling_intervals({"kamtools": kam, "mean": other, "flat": far}, actual).set_index("method")
    pd.testing.assert_frame_equal(ci, again)


def _case(kam_bias, lo, hi, best_diff, best_lo, best_hi):
    return pd.DataFrame(
        [
            {
                "method": "kamtools",
                "mae": 10.0,
                "bias_pct": kam_bias,
                "bias_lo90": lo,
                "bias_hi90": hi,
                "mae_minus_kamtools": 0.0,
                "mae_minus_kamtools_lo90": 0.0,
                "mae_minus_kamtools_hi90": 0.0,
            },
            {
                "method": "BTYD expected value",
                "mae": 10.0 + best_diff,
                "bias_pct": -5.0,
                "bias_lo90": -8.0,
                "bias_hi90": -2.0,
                "mae_minus_kamtools": best_diff,
                "mae_minus_kamtools_lo90": best_lo,
                "mae_minus_kamtools_hi90": best_hi,
            },
            {
                "method": "zero for all",
                "mae": 1.0,
                "bias_pct": -100.0,
                "bias_lo90": -100.0,
                "bias_hi90": -100.0,
                "mae_minus_kamtools": -9.0,
                "mae_minus_kamtools_lo90": -9.5,
                "mae_minus_kamtools_hi90": -8.5,
            },
        ]
    )


def test_the_aim_verdict_reads_the_intervals_and_ignores_the_references(bench):
    met = bench.aim_verdict(_case(-9.0, -12.0, -6.0, 0.8, 0.3, 1.3))
    assert met.startswith("MAE lowest (BTYD expected value +0.800") and "bias -9.0% in" in met
    near = bench.aim_verdict(_case(-15.2, -17.6, -12.6, -0.005, -0.3, 0.3))
    assert "MAE tied within sampling error" in near
    assert "bias -15.2% out, within sampling error of 15%" in near
    lost = bench.aim_verdict(_case(-24.0, -28.0, -20.0, -0.9, -1.4, -0.4))
    assert "MAE behind" in lost and "bias -24.0% out (90%" in lost and "within sampling error" not in lost


def test_kamtools_choosing_the_best_other_method_itself_is_a_tie_not_a_loss(bench):
    same = bench.aim_verdict(_case(-3.0, -6.0, 0.0, 0.0, 0.0, 0.0))
    assert "MAE tied within sampling error" in same and "behind" not in same
