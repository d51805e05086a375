"""kamtools.forecast: contract, special series, intervals, errors, backtest, targets, bundle, notebook."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_notebook

from kamtools.forecast import (
    Forecaster,
    ForecastInputError,
    backtest,
    forecast,
    reconcile,
    seasonal_naive,
    target_attainment,
)
from kamtools.forecast import core as forecast_core

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["unique_id", "ds", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "model"]


def frame(series: dict[str, np.ndarray], start: str = "2021-01-01") -> pd.DataFrame:
    """Long frame from {id: values}, monthly from ``start``."""
    parts = []
    for uid, y in series.items():
        ds = pd.date_range(start, periods=len(y), freq="MS")
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(y, dtype=float)}))
    return pd.concat(parts, ignore_index=True)


def seasonal_series(n: int = 48, seed: int = 0, level: float = 1000.0, trend: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (level + trend * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * np.exp(rng.normal(0, 0.05, n))


# ---------------------------------------------------------------------------------------
# output contract
# ---------------------------------------------------------------------------------------
def test_columns_shape_and_future_dates():
    hist = frame({"a": seasonal_series(40, 1), "b": seasonal_series(30, 2)})
    fc = forecast(hist, horizon=6, n_jobs=1)
    assert list(fc.columns) == COLUMNS
    assert len(fc) == 12
    assert fc.groupby("unique_id").size().to_dict() == {"a": 6, "b": 6}
    last = hist.groupby("unique_id")["ds"].max()
    for uid, g in fc.groupby("unique_id"):
        expected = pd.date_range(last[uid] + pd.DateOffset(months=1), periods=6, freq="MS")
        assert (pd.DatetimeIndex(g["ds"]) == expected).all()
    assert fc[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]].notna().all().all()


def test_intervals_are_nested_around_the_forecast_and_sales_never_negative():
    rng = np.random.default_rng(3)
    falling = np.maximum(500 - 20 * np.arange(36) + rng.normal(0, 30, 36), 0)  # heads below zero
    hist = frame({"fall": falling, "season": seasonal_series(48, 4), "noisy": rng.gamma(2, 50, 30)})
    fc = forecast(hist, horizon=18, n_jobs=1)
    values = fc[["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]].to_numpy()
    assert (np.diff(values, axis=1) >= -1e-9).all()
    assert (values >= 0).all()
    assert (fc.loc[fc.unique_id == "fall", "forecast"] >= 0).all()


def test_negative_series_are_not_clipped_and_level_names_follow():
    y = -100 + np.random.default_rng(5).normal(0, 5, 24)
    fc = forecast(frame({"neg": y}), horizon=3, level=(50, 90), n_jobs=1)
    assert list(fc.columns) == ["unique_id", "ds", "forecast", "lo_50", "hi_50", "lo_90", "hi_90", "model"]
    assert (fc["forecast"] < 0).all()


def test_interval_coverage_on_series_with_known_distribution():
    """White noise around a fixed level: future draws from the same normal must be covered
    about as often as the interval levels say (with sampling slack)."""
    rng = np.random.default_rng(7)
    n_series, n, h = 40, 48, 6
    hist = frame({f"s{i}": 100 + rng.normal(0, 10, n) for i in range(n_series)})
    fc = forecast(hist, horizon=h, n_jobs=1)
    future = 100 + rng.normal(0, 10, len(fc))  # independent draws: the row order does not matter
    cov80 = np.mean((future >= fc["lo_80"]) & (future <= fc["hi_80"]))
    cov95 = np.mean((future >= fc["lo_95"]) & (future <= fc["hi_95"]))
    assert 0.70 <= cov80 <= 0.95
    assert 0.88 <= cov95 <= 1.0


# ---------------------------------------------------------------------------------------
# special series
# ---------------------------------------------------------------------------------------
def test_short_series_one_and_three_points():
    fc = forecast(frame({"one": [120.0], "three": [100.0, 130.0, 110.0]}), horizon=4, n_jobs=1)
    one = fc[fc.unique_id == "one"]
    three = fc[fc.unique_id == "three"]
    assert (one["model"] == "mean").all() and (three["model"] == "mean").all()
    assert np.allclose(one["forecast"], 120.0)
    assert np.allclose(three["forecast"], 340.0 / 3)
    assert (one["hi_95"] > one["hi_80"]).all() and (one["hi_80"] > 120).all()
    # three points: Student-t with 2 degrees of freedom, widened for the uncertain mean
    from scipy import stats

    sd = np.std([100.0, 130.0, 110.0], ddof=1) * np.sqrt(1 + 1 / 3)
    assert np.allclose(three["hi_95"], 340.0 / 3 + stats.t.ppf(0.975, 2) * sd)


def test_all_zero_series_forecasts_zero():
    fc = forecast(frame({"z": np.zeros(30)}), horizon=5, n_jobs=1)
    assert (fc["model"] == "zero").all()
    assert (fc[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]].to_numpy() == 0).all()


def test_intermittent_series_use_tsb_with_mixture_intervals():
    rng = np.random.default_rng(11)
    y = np.where(rng.random(48) < 0.35, rng.gamma(2, 500, 48), 0.0)
    fc = forecast(frame({"lumpy": y}), horizon=6, n_jobs=1)
    assert fc["model"].str.startswith("TSB").all()
    assert (fc["forecast"] > 0).all() and np.allclose(fc["forecast"], fc["forecast"].iloc[0])
    assert (fc["lo_80"] == 0).all()  # most months have no order
    assert (fc["hi_95"] >= fc["hi_80"]).all() and (fc["hi_80"] >= fc["forecast"]).all()
    # the TSB level is close to the mean demand per month
    assert 0.4 * y.mean() < fc["forecast"].iloc[0] < 2.0 * y.mean()


def test_gaps_are_filled_with_zero_or_rejected():
    y = seasonal_series(30, 8)
    full = frame({"g": np.r_[y[:10], 0.0, y[11:]]})
    gappy = full.drop(index=10)
    assert forecast(gappy, horizon=3, n_jobs=1).equals(forecast(full, horizon=3, n_jobs=1))
    with pytest.raises(ForecastInputError, match=r"missing inside unique_id 'g'"):
        Forecaster(horizon=3, fill_value=None, n_jobs=1).fit(gappy)


def test_unsorted_rows_and_string_ids_are_accepted():
    hist = frame({"1": seasonal_series(26, 9), "2": seasonal_series(26, 10)})
    shuffled = hist.sample(frac=1.0, random_state=0)
    shuffled["unique_id"] = shuffled["unique_id"].astype(int)
    assert forecast(shuffled, horizon=3, n_jobs=1).equals(forecast(hist, horizon=3, n_jobs=1))


def test_other_frequencies_quarterly_weekly_month_end():
    rng = np.random.default_rng(15)
    q = pd.DataFrame(
        {"unique_id": "q", "ds": pd.date_range("2015-02-01", periods=24, freq="QS-FEB"), "y": rng.normal(100, 5, 24)}
    )
    fq = forecast(q, 3, season_length=4, n_jobs=1)  # frequency inferred: every third month start
    assert list(fq["ds"]) == list(pd.to_datetime(["2021-02-01", "2021-05-01", "2021-08-01"]))
    w = pd.DataFrame(
        {"unique_id": "w", "ds": pd.date_range("2024-01-01", periods=20, freq="W-MON"), "y": rng.normal(50, 2, 20)}
    )
    fw = forecast(w, 2, season_length=52, freq="W", n_jobs=1)
    assert list(fw["ds"]) == list(pd.to_datetime(["2024-05-20", "2024-05-27"]))
    me = pd.DataFrame(
        {"unique_id": "m", "ds": pd.date_range("2023-01-31", periods=12, freq="ME"), "y": rng.normal(10, 1, 12)}
    )
    assert list(forecast(me, 2, n_jobs=1)["ds"]) == list(pd.to_datetime(["2024-01-31", "2024-02-29"]))


def test_single_family_methods_for_comparison():
    hist = frame({"a": seasonal_series(40, 16, trend=3)})
    for method, prefix in (("ets", "ETS("), ("theta", "Theta"), ("arima", "ARIMA(")):
        fc = forecast(hist, 4, method=method, n_jobs=1)
        assert fc["model"].iloc[0].startswith(prefix)
    with pytest.raises(ValueError, match="method"):
        forecast(hist, 4, method="prophet", n_jobs=1)


# ---------------------------------------------------------------------------------------
# determinism and parallelism
# ---------------------------------------------------------------------------------------
def test_deterministic():
    hist = frame({"a": seasonal_series(40, 12), "b": seasonal_series(40, 13, trend=5)})
    assert forecast(hist, 6, n_jobs=1).equals(forecast(hist, 6, n_jobs=1))


def test_n_jobs_one_and_two_give_identical_results(monkeypatch):
    monkeypatch.setattr(forecast_core, "MIN_SERIES_FOR_PARALLEL", 2)  # run even this small set in workers
    rng = np.random.default_rng(14)
    series = {f"s{i}": seasonal_series(36, 20 + i, trend=rng.normal(0, 3)) for i in range(5)}
    series["lumpy"] = np.where(rng.random(36) < 0.4, 100.0, 0.0)
    series["short"] = np.array([5.0, 7.0])
    hist = frame(series)
    one = forecast(hist, 6, n_jobs=1)
    two = forecast(hist, 6, n_jobs=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


# ---------------------------------------------------------------------------------------
# malformed input
# ---------------------------------------------------------------------------------------
def test_missing_column_is_named():
    with pytest.raises(ForecastInputError, match=r"missing the column\(s\) \['y'\]"):
        forecast(pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2024-01-01")]}), 3)


def test_duplicate_pairs_name_the_series():
    hist = frame({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0]})
    hist = pd.concat([hist, hist[hist.unique_id == "b"].head(1)])
    with pytest.raises(ForecastInputError, match=r"repeat a \(unique_id, ds\) pair, in unique_id 'b'"):
        forecast(hist, 3)


def test_irregular_dates_name_the_series():
    hist = frame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    hist.loc[4, "ds"] = pd.Timestamp("2021-02-15")
    with pytest.raises(ForecastInputError, match=r"'ds'.*unique_id 'b' are irregular"):
        forecast(hist, 3)


def test_non_numeric_and_missing_y_name_the_series():
    hist = frame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    bad = hist.astype({"y": object})
    bad.loc[1, "y"] = "n/a"
    with pytest.raises(ForecastInputError, match=r"'y' must be numeric.*unique_id 'a'"):
        forecast(bad, 3)
    nan = hist.copy()
    nan.loc[5, "y"] = np.nan
    with pytest.raises(ForecastInputError, match=r"'y' has missing.*unique_id 'b'"):
        forecast(nan, 3)


def test_unparseable_dates_and_bad_parameters():
    hist = frame({"a": [1.0, 2.0, 3.0]})
    bad = hist.astype({"ds": object})
    bad.loc[0, "ds"] = "yesterday"
    with pytest.raises(ForecastInputError, match=r"'ds' has values that are not dates"):
        forecast(bad, 3)
    with pytest.raises(ValueError, match="horizon"):
        forecast(hist, 0)
    with pytest.raises(ValueError, match="level"):
        forecast(hist, 3, level=(80, 120))


# ---------------------------------------------------------------------------------------
# backtest
# ---------------------------------------------------------------------------------------
def test_backtest_reports_metrics_beside_seasonal_naive_and_beats_it_on_trends():
    rng = np.random.default_rng(21)
    t = np.arange(42)
    hist = frame({f"t{i}": 200 + (5 + i) * t + rng.normal(0, 8, 42) for i in range(3)})
    bt = backtest(hist, horizon=6, n_windows=2, step=3, n_jobs=1)
    assert list(bt.overall["method"]) == ["forecast", "seasonal_naive"]
    for col in ("mase", "smape", "bias_pct", "coverage_80", "coverage_95", "n_series"):
        assert col in bt.overall.columns
    for col in ("mase", "mase_naive", "smape_naive", "bias_pct_naive", "coverage_80", "mase_ratio", "n_windows"):
        assert col in bt.per_series.columns
    assert (bt.per_series["n_windows"] == 2).all()
    assert len(bt.forecasts) == 3 * 2 * 6
    # a steady trend: seasonal naive lags a year behind, the forecast should not
    assert (bt.per_series["mase"] < bt.per_series["mase_naive"]).all()
    assert bt.overall.set_index("method").loc["seasonal_naive", "bias_pct"] < -5  # naive under-forecasts growth


def test_seasonal_naive_repeats_last_season():
    y = np.arange(1.0, 25.0)
    mean, lo, hi = seasonal_naive(y, 14, 12, (80,))
    assert np.array_equal(mean, np.r_[y[12:], y[12:14]])
    assert (lo[0] < mean).all() and (hi[0, 12:] - mean[12:] > hi[0, :2] - mean[:2]).all()  # wider a year on


# ---------------------------------------------------------------------------------------
# sums, targets, reconciliation
# ---------------------------------------------------------------------------------------
def stable_accounts():
    rng = np.random.default_rng(31)
    hist = frame({"A1": 100 + rng.normal(0, 5, 34), "A2": 250 + rng.normal(0, 10, 34)}, start="2023-01-01")
    return hist  # ends 2025-10-01


def test_sum_of_months_accounts_for_correlation():
    hist = stable_accounts()
    model = Forecaster(horizon=12, n_jobs=1).fit(hist)
    cov = model.covariance("A1")
    assert cov.shape == (12, 12) and np.allclose(cov, cov.T)
    mean, sd, _ = model.sum_distribution("A1", np.ones(12))
    assert mean == pytest.approx(model.predict().query("unique_id == 'A1'")["forecast"].sum())
    assert sd**2 >= np.trace(cov) - 1e-9  # positively correlated months: more spread than independent ones


def test_sum_distributions_equals_one_row_at_a_time():
    hist = stable_accounts()
    model = Forecaster(horizon=12, n_jobs=1).fit(hist)
    rng = np.random.default_rng(5)
    ids = np.array(["A2", "A1", "A1", "A2"])
    weights = rng.uniform(0, 1, (4, 12)) * (rng.uniform(size=(4, 12)) > 0.3)
    m, sd, dof = model.sum_distributions(ids, weights)
    fc = model.predict()
    for i, uid in enumerate(ids):
        w = weights[i]
        mean = w @ fc.loc[fc.unique_id == uid, "forecast"].to_numpy()
        spread = np.sqrt(w @ model.covariance(uid) @ w)
        expected = (mean, spread, model.series_result(uid).dof)
        assert (m[i], sd[i], dof[i]) == pytest.approx(expected)
        assert model.sum_distribution(uid, w) == pytest.approx(expected)
    with pytest.raises(KeyError, match="NOPE"):
        model.sum_distributions(["A1", "NOPE"], weights[:2])


def test_target_probability_sanity():
    hist = stable_accounts()
    model = Forecaster(horizon=14, n_jobs=1).fit(hist)
    as_of = pd.Timestamp("2025-10-31")
    booked_2025 = hist[(hist.unique_id == "A1") & (hist.ds.dt.year == 2025)]["y"].sum()
    expected = booked_2025 + 2 * 100  # Nov + Dec at about 100 a month
    targets = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A1", "A1", "A2", "NEW", "NEW", "NEW"],
            "period": [2025, 2025, 2025, 2026, 2024, 2025, 2026, 2027],
            "revenue_target": [expected * 0.8, expected * 1.3, expected, 1200.0, 1000.0, 500.0, 600.0, 700.0],
        }
    )
    out = target_attainment(model, hist, targets, as_of=as_of)
    a1 = out[(out.account_id == "A1") & (out.period == 2025)].sort_values("revenue_target")
    p_low, p_mid, p_high = a1["p_reach_target"].to_numpy()
    assert p_low > 0.999 and p_high < 0.001 and 0.2 < p_mid < 0.8
    assert a1["booked_ytd"].iloc[0] == pytest.approx(booked_2025)
    assert a1["expected_total"].iloc[0] == pytest.approx(expected, rel=0.05)
    assert (a1["months_remaining"] == 2).all()
    nxt = out[(out.account_id == "A1") & (out.period == 2026)].iloc[0]
    assert nxt["months_remaining"] == 12 and nxt["booked_ytd"] == 0
    assert nxt["total_lo_80"] < nxt["expected_total"] < nxt["total_hi_80"]
    past = out[out.account_id == "A2"].iloc[0]  # 2024 is fully booked: certain
    assert past["months_remaining"] == 0 and past["p_reach_target"] in (0.0, 1.0)
    new = out[out.account_id == "NEW"].set_index("period")  # no history at all: nothing expected
    assert (new["expected_total"] == 0).all() and (new["p_reach_target"] == 0).all()
    # ... but its years are as open as everyone's: 2025 still has Nov and Dec to come and 2026 all of it (not a
    # year that ended with nothing booked, which the pages would call missed), and 2027 lies beyond the forecast
    # (December 2026) as it does for A1
    assert new.loc[2025, "months_remaining"] == 2 and new.loc[2026, "months_remaining"] == 12
    assert 2027 not in new.index


def test_partial_month_counts_booked_revenue_and_only_the_rest_of_the_month():
    hist = stable_accounts()
    model = Forecaster(horizon=3, n_jobs=1).fit(hist)
    targets = pd.DataFrame({"account_id": ["A1"], "period": [2025], "revenue_target": [1e9]})
    whole = target_attainment(model, hist, targets, as_of="2025-10-31")  # Nov, Dec ahead
    part = target_attainment(
        model, hist, targets, as_of="2025-11-10", booked_partial=pd.DataFrame({"unique_id": ["A1"], "booked": [30.0]})
    )
    fc_nov = model.predict().query("unique_id == 'A1'")["forecast"].iloc[0]
    assert part["booked_ytd"].iloc[0] == pytest.approx(whole["booked_ytd"].iloc[0] + 30.0)
    diff = whole["expected_total"].iloc[0] - part["expected_total"].iloc[0]
    assert diff == pytest.approx(fc_nov * 10 / 30 - 30.0)


def test_reconcile_scales_categories_to_the_account():
    ds = pd.date_range("2026-01-01", periods=2, freq="MS")
    acc = pd.DataFrame({"account_id": ["A", "A", "B", "B"], "ds": list(ds) * 2, "forecast": [100.0, 90.0, 50.0, 0.0]})
    cat = pd.DataFrame(
        {
            "account_id": ["A"] * 4 + ["B"] * 4,
            "category": ["x", "x", "y", "y"] * 2,
            "ds": [ds[0], ds[1], ds[0], ds[1]] * 2,
            "forecast": [30.0, 30.0, 10.0, 20.0, 0.0, 5.0, 0.0, 5.0],
            "lo_80": [20.0, 20.0, 5.0, 10.0, 0.0, 1.0, 0.0, 1.0],
            "hi_80": [40.0, 40.0, 15.0, 30.0, 0.0, 9.0, 0.0, 9.0],
            "lo_95": [10.0, 10.0, 2.0, 5.0, 0.0, 0.0, 0.0, 0.0],
            "hi_95": [50.0, 50.0, 20.0, 40.0, 0.0, 12.0, 0.0, 12.0],
        }
    )
    out = reconcile(acc, cat)
    sums = out.groupby(["account_id", "ds"])["forecast"].sum().to_numpy()
    assert np.allclose(sums, acc.sort_values(["account_id", "ds"])["forecast"].to_numpy())
    vals = out[["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]].to_numpy()
    assert (np.diff(vals, axis=1) >= -1e-9).all()
    # B in January: categories forecast 0 but the account 50 -> split evenly (no history given)
    b_jan = out[(out.account_id == "B") & (out.ds == ds[0])]["forecast"]
    assert np.allclose(b_jan, 25.0)


# ---------------------------------------------------------------------------------------
# bundle, sections, plots
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=2, seed=3)
    bundle = analyze(portfolio, tmp_path_factory.mktemp("fc") / "b", stages=["forecast"], progress=False)
    return portfolio, bundle


def test_bundle_tables_contract(tiny_bundle):
    portfolio, bundle = tiny_bundle
    assert not bundle.manifest["skipped"]
    fc = bundle.table("forecast")
    for col in ("account_id", "unique_id", "ds", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "sd", "model"):
        assert col in fc.columns
    assert fc.groupby("account_id").size().eq(12).all()
    assert fc["ds"].min() == portfolio.last_complete_month + pd.DateOffset(months=1)
    cat = bundle.table("forecast_category")
    # categories only set the split: Theta alone (or a special case), never the combination
    assert not cat["model"].str.contains("median").any()
    total = cat.groupby(["account_id", "ds"])["forecast"].sum()
    acc = fc.set_index(["account_id", "ds"])["forecast"].reindex(total.index)
    assert np.allclose(total.to_numpy(), acc.to_numpy(), rtol=1e-9, atol=1e-6)
    port = bundle.table("forecast_portfolio")
    fsum = fc.groupby("ds")["forecast"].sum()
    pf = port[port.kind == "forecast"].set_index("ds")["forecast"]
    assert np.allclose(pf.reindex(fsum.index).to_numpy(), fsum.to_numpy())
    assert "account_id" not in port.columns and "account_id" not in bundle.table("forecast_accuracy").columns
    acc_tab = bundle.table("forecast_accuracy")
    # two years of history: every backtest window trains on less than two years, so the
    # baseline is the mean of recent months (not a "seasonal naive" that cannot repeat a season)
    # first the forecast as shipped (each account's chosen method), then the kamtools model as one candidate
    assert list(acc_tab["method"]) == ["chosen", "model", "recent_mean"]
    assert acc_tab["description"].iloc[1].startswith("kamtools model (one candidate, used by ")
    assert acc_tab.set_index("method").loc["recent_mean", "description"] == "the mean of the last 6 months"
    assert (bundle.table("forecast_backtest")["baseline"] == "recent_mean").all()
    assert "tested on past data 12 months ahead from 3 past dates" in bundle.note("forecast_backtest")
    targets = bundle.table("forecast_targets")
    for col in (
        "account_id",
        "period",
        "revenue_target",
        "booked_ytd",
        "expected_total",
        "expected_attainment",
        "p_reach_target",
    ):
        assert col in targets.columns
    assert targets["p_reach_target"].between(0, 1).all()
    assert {"forecast_next_12m", "target_probability"} <= set(bundle.accounts.columns)
    hist = bundle.table("forecast_history")
    assert list(hist.columns) == ["account_id", "ds", "y"]


def test_no_targets_table_gives_not_available(tiny_bundle, monkeypatch):
    from kamtools.data.portfolio import NotAvailable, Portfolio
    from kamtools.forecast import accounts, bundle_tables

    monkeypatch.setattr(accounts, "BACKTEST_WINDOWS", 1)

    portfolio, _ = tiny_bundle
    tables = {k: v for k, v in portfolio.tables.items() if k != "targets"}
    out = bundle_tables(Portfolio(tables, portfolio.as_of), {})
    assert isinstance(out["forecast_targets"], NotAvailable)
    assert "targets" in out["forecast_targets"].reason
    assert isinstance(out["forecast"], pd.DataFrame)


def test_sections_render(tiny_bundle, captured):
    from kamtools.sections import forecast as section

    _, bundle = tiny_bundle
    acct = bundle.account(bundle.account_ids()[0])
    section.account_section(acct)
    section.account_appendix(acct)  # the backtest is in the report's appendix
    html = "".join(captured)
    assert "Revenue history and forecast" in html and "<img" in html
    # two years of history: the baseline is named as what it is, never "repeating last year's months"
    assert "the mean of the last 6 months" in html and "repeating last year" not in html
    assert "probability of reaching the target" in html or "attained" in html
    # the category table writes money as page one does ('370.4k'), not as '370,363'
    cats = html[html.index("Forecast by product category") :]
    cats = cats[: cats.index("</table>")]
    assert not re.search(r"\d{1,3}(,\d{3})+", cats), cats
    captured.clear()
    section.portfolio_section(bundle)
    html = "".join(captured)
    assert "Forecast against target" in html and html.count("<img") >= 2
    assert "MASE" not in html and "see the appendix" in html  # the backtest is in the overview's appendix
    # beside the portfolio range, what it rests on: the accounts' common error share measured on the backtest
    rests_on = bundle.note("forecast_portfolio")
    assert rests_on.startswith("The portfolio range ") and "3 past dates" in rests_on
    assert rests_on in unescape(html)
    captured.clear()
    section.portfolio_appendix(bundle)
    html = "".join(captured)
    assert "MASE" in html and "<img" in html


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(tmp_path):
    images, _ = run_notebook("forecasting.ipynb", {"n_accounts": 15, "seed": 5}, tmp_path)
    assert images >= 3


# ---------------------------------------------------------------------------------------
# numpy members against the statsmodels estimators they reproduce
# ---------------------------------------------------------------------------------------
def member_test_series():
    rng = np.random.default_rng(17)
    out = []
    for i in range(25):
        n = 20 + 4 * i
        trend = rng.normal(0, 0.5) * np.arange(n)
        out.append(50 + trend + np.cumsum(rng.normal(0, 1 + i % 4, n)) + rng.normal(0, 3, n))
    return out


def test_numpy_arima_equals_statsmodels_autoreg():
    import warnings

    from statsmodels.tsa.ar_model import AutoReg

    from kamtools.forecast._engine import _fit_arima

    for x in member_test_series():
        dx = np.diff(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits = [(AutoReg(dx, lags=p, trend=t, hold_back=2).fit(), p, t) for p in (1, 2) for t in ("c", "n")]
        res, p, t = min(fits, key=lambda f: f[0].aicc)
        ours = _fit_arima(x, 12)
        assert ours.name == f"ARIMA({p},1,0)" + ("+drift" if t == "c" else "")
        np.testing.assert_allclose(ours.forecast, x[-1] + np.cumsum(res.forecast(12)), rtol=1e-9)
        np.testing.assert_allclose(ours.fitted[3:], x[2:-1] + res.fittedvalues, rtol=1e-9)


def test_numpy_theta_equals_statsmodels_or_finds_a_lower_error():
    import warnings

    from statsmodels.tsa.forecasting.theta import ThetaModel

    from kamtools.forecast._engine import _fit_theta, _ses_alpha, _ses_sse

    same = 0
    for x in member_test_series():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ThetaModel(x, period=1, deseasonalize=False).fit()
        theirs = float(res.params["alpha"])
        ours = _ses_alpha(x)
        sse_ours, sse_theirs = _ses_sse(x.tolist(), np.array([ours, theirs]))
        assert sse_ours <= sse_theirs * (1 + 1e-9)  # least squares: never worse than statsmodels
        if abs(ours - theirs) < 1e-3:
            same += 1
            expected = np.asarray(res.forecast(12))
            np.testing.assert_allclose(_fit_theta(x, 12).forecast, expected, rtol=1e-3)
    assert same >= 20
