"""kamtools.value: BTYD summary, BG/NBD, Gamma-Gamma, expected value, bundle tables.

Correctness is checked on the real CDNOW transaction sample (Fader, Hardie & Lee 2005),
shipped as data files by the ``lifetimes`` package: our summary reproduces the
published one, our fits reproduce the published parameters, and our predictions match
lifetimes' independent implementation.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from kamtools.data import NotAvailable, Portfolio
from kamtools.value import (
    SUMMARY_COLUMNS,
    VALUE_COLUMNS,
    BetaGeo,
    GammaGamma,
    bundle_tables,
    expected_value,
    rfm_summary,
)


# ---------------------------------------------------------------------------------------
# CDNOW (real transactions)
# ---------------------------------------------------------------------------------------
def _lifetimes_datasets() -> Path:
    spec = importlib.util.find_spec("lifetimes")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the CDNOW data ships with the 'lifetimes' package (test extra), which is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


@pytest.fixture(scope="module")
def cdnow_transactions() -> pd.DataFrame:
    """The CDNOW 1/10 sample: 6,919 purchases of 2,357 customers, Jan 1997 - Jun 1998."""
    raw = pd.read_csv(
        _lifetimes_datasets() / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "dollars"],
    )
    return pd.DataFrame(
        {
            "account_id": raw["customer"].astype(str),
            "order_date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
            "net_revenue": raw["dollars"].astype(float),
        }
    )


@pytest.fixture(scope="module")
def cdnow_published() -> pd.DataFrame:
    """The published 39-week calibration summary (x, t_x, T in weeks, zbar in dollars)."""
    df = pd.read_csv(_lifetimes_datasets() / "cdnow_customers_summary_with_transactions.csv")
    return df.assign(account_id=df["ID"].astype(str))


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_transactions) -> pd.DataFrame:
    # daily purchases measured in weeks; calibration = the first 39 weeks of 1997, holdout = next 39
    return rfm_summary(cdnow_transactions, as_of="1998-06-30", freq="D", unit="W", calibration_end="1997-09-30")


@pytest.fixture(scope="module")
def cdnow_bg(cdnow_summary) -> BetaGeo:
    return BetaGeo().fit(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])


def test_rfm_summary_reproduces_the_published_cdnow_summary(cdnow_summary, cdnow_published):
    assert len(cdnow_summary) == 2357
    m = cdnow_published.merge(cdnow_summary, on="account_id", validate="one_to_one")
    assert len(m) == 2357
    assert (m["x"] == m["frequency"]).all()
    # the published file rounds to 2 decimals
    assert np.abs(m["t_x"] - m["recency"]).max() <= 0.0051
    assert np.abs(m["T_x"] - m["T_y"]).max() <= 0.0051
    assert np.abs(m["zbar"] - m["monetary"]).max() <= 0.0051
    assert (m["duration_holdout"] == 39).all()
    assert m["frequency_holdout"].sum() > 0


def test_betageo_recovers_the_published_cdnow_estimates(cdnow_bg):
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert cdnow_bg.params_[name] == pytest.approx(value, rel=0.01), name
    assert cdnow_bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    assert cdnow_bg.converged_
    se = cdnow_bg.standard_errors_
    assert all(0 < se[k] < cdnow_bg.params_[k] for k in published)


def test_gammagamma_recovers_the_published_cdnow_estimates(cdnow_summary):
    gg = GammaGamma().fit(cdnow_summary["frequency"], cdnow_summary["monetary"])
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert gg.params_[name] == pytest.approx(value, rel=0.01), name
    assert gg.n_obs_ == 946
    assert abs(gg.frequency_monetary_corr_) < 0.3
    # shrinkage: an account's expected value lies between its own mean and the population mean
    ev = gg.expected_average_value([1, 10], [200.0, 200.0])
    assert gg.population_mean() < ev[0] < ev[1] < 200.0


def test_predictions_match_the_lifetimes_implementation(cdnow_summary, cdnow_bg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lifetimes = pytest.importorskip("lifetimes")
        theirs = lifetimes.BetaGeoFitter()
    theirs.params_ = pd.Series(cdnow_bg.params_)
    x, tx, T = cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]
    for t in (1, 10, 39, 52, 200):
        ours = cdnow_bg.expected_purchases(t, x, tx, T)
        ref = np.asarray(theirs.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T))
        np.testing.assert_allclose(ours, ref, rtol=1e-8)
    np.testing.assert_allclose(
        cdnow_bg.p_alive(x, tx, T), np.asarray(theirs.conditional_probability_alive(x, tx, T)), rtol=1e-10
    )
    assert cdnow_bg.expected_purchases_new(39) == pytest.approx(
        float(theirs.expected_number_of_purchases_up_to_time(39)), rel=1e-8
    )


def test_cdnow_holdout_forecast_is_close_to_actual(cdnow_summary, cdnow_bg):
    s = cdnow_summary
    predicted = cdnow_bg.expected_purchases(s["duration_holdout"], s["frequency"], s["recency"], s["T"])
    # the BG/NBD forecast of the 39-week holdout of CDNOW is known to undershoot slightly
    assert predicted.sum() == pytest.approx(s["frequency_holdout"].sum(), rel=0.15)
    # and it ranks customers: heavier calibration buyers buy more in the holdout
    top = predicted > np.quantile(predicted, 0.9)
    assert s.loc[top, "frequency_holdout"].mean() > 3 * s.loc[~top, "frequency_holdout"].mean()


# ---------------------------------------------------------------------------------------
# numerics
# ---------------------------------------------------------------------------------------
def _series_2f1(a: float, b: float, c: float, z: float, terms: int = 20_000) -> float:
    """Gauss' series summed term by term (independent of scipy; needs |z| < 1 and no overflow)."""
    total, term = 1.0, 1.0
    for k in range(terms):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if abs(term) < 1e-17 * abs(total) and k > 10:
            break
    return total


def _direct_expected(params: dict, t: float, x: float, tx: float, T: float) -> float:
    """E[Y(t) | x, t_x, T] straight from Fader, Hardie & Lee (2005), eq. 10."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    z = t / (alpha + T + t)
    hyp = _series_2f1(r + x, b + x, a + b + x - 1, z)
    lead = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x) if x > 0 else 0.0
    return lead / (1 + odds)


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},  # CDNOW
        {"r": 1.45, "alpha": 2.94, "a": 3.0, "b": 900.0},  # B2B: frequent buyers, rare drop-out
        {"r": 1.45, "alpha": 2.94, "a": 4.2e4, "b": 6.5e7},  # no-spread limit where scipy's direct 2F1 overflows
    ],
)
def test_expected_purchases_match_the_direct_formula_for_large_frequencies(params):
    bg = BetaGeo()
    bg.params_ = params
    x = np.array([0.0, 1, 5, 40, 120, 200])
    tx = np.array([0.0, 30, 100, 180, 200, 205])
    T = np.full(6, 206.0)
    ours = bg.expected_purchases(52.0, x, tx, T)
    ref = np.array([_direct_expected(params, 52.0, *row) for row in zip(x, tx, T)])
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    # with rare drop-out, an active weekly buyer keeps buying about weekly
    if params["b"] > 1e6:
        assert ours[-1] == pytest.approx(52 * (200 + params["r"]) / (206 + params["alpha"]), rel=0.05)


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        {"r": 1.59, "alpha": 3.23, "a": 1.55e4, "b": 3.9e7},  # demo backtest fit: both scipy forms overflow
    ],
)
def test_expected_purchases_for_young_accounts_over_long_horizons(params):
    bg = BetaGeo()
    bg.params_ = params
    x, tx, T = np.array([7.0, 14.0, 0.0]), np.array([11.0, 20.0, 0.0]), np.array([11.0, 20.0, 3.0])
    for t in (52.0, 156.0):
        ours = bg.expected_purchases(t, x, tx, T)
        ref = np.array([_direct_expected(params, t, *row) for row in zip(x, tx, T)])
        np.testing.assert_allclose(ours, ref, rtol=1e-6)
    assert bg.expected_purchases_new(52.0) == pytest.approx(_direct_expected(params, 52.0, 0.0, 0.0, 0.0), rel=1e-6)


def test_expected_purchases_are_smooth_where_the_transformation_switches():
    bg = BetaGeo()
    bg.params_ = {"r": 0.5, "alpha": 5.0, "a": 1.5, "b": 3.0}
    x, tx, T = np.array([3.0]), np.array([20.0]), np.array([30.0])
    edge = 5.0 + 30.0  # |w| = t / (alpha + T) crosses 1 here
    below = bg.expected_purchases(edge * (1 - 1e-9), x, tx, T)[0]
    above = bg.expected_purchases(edge * (1 + 1e-9), x, tx, T)[0]
    assert below == pytest.approx(above, rel=1e-7)
    grid = bg.expected_purchases(np.linspace(0, 500, 60), np.full(60, 3.0), np.full(60, 20.0), np.full(60, 30.0))
    assert grid[0] == 0 and np.all(np.diff(grid) > 0)


def test_expected_purchases_are_continuous_at_a_equal_one():
    bg = BetaGeo()
    values = []
    for a in (1 - 1e-3, 1 - 1e-6, 1.0, 1 + 1e-6, 1 + 1e-3):
        bg.params_ = {"r": 0.8, "alpha": 6.0, "a": a, "b": 2.5}
        values.append(bg.expected_purchases(26, [2, 0], [10, 0], [30, 30]))
    values = np.array(values)
    assert np.all(np.isfinite(values))
    np.testing.assert_allclose(values, values[[2]].repeat(5, axis=0), rtol=2e-3)


def test_loglikelihood_gradients_are_exact():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 30, 200).astype(float)
    T = rng.uniform(10, 200, 200)
    tx = np.where(x > 0, rng.uniform(0, 1, 200) * T, 0.0)
    theta = np.array([0.7, 3.0, 1.3, 4.0])
    f = lambda th: BetaGeo._loglik_terms(th, x, tx, T)[0].sum()  # noqa: E731
    g = lambda th: BetaGeo._loglik_terms(th, x, tx, T)[1].sum(axis=0)  # noqa: E731
    assert optimize.check_grad(f, g, theta) < 1e-4 * np.linalg.norm(g(theta))
    m = rng.gamma(5, 20, 200)
    xs = x + 1
    f = lambda th: GammaGamma._loglik_terms(th, xs, m)[0].sum()  # noqa: E731
    g = lambda th: GammaGamma._loglik_terms(th, xs, m)[1].sum(axis=0)  # noqa: E731
    th = np.array([4.0, 3.0, 50.0])
    assert optimize.check_grad(f, g, th) < 1e-4 * np.linalg.norm(g(th))


def test_betageo_recovers_parameters_of_simulated_data():
    """Simulate the BG/NBD process with known parameters and fit it back."""
    rng = np.random.default_rng(42)
    n, T_len = 4000, 52.0
    true = {"r": 0.8, "alpha": 4.0, "a": 0.9, "b": 3.0}
    lam = rng.gamma(true["r"], 1 / true["alpha"], n)
    p = rng.beta(true["a"], true["b"], n)
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T_len:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    bg = BetaGeo().fit(x, tx, np.full(n, T_len))
    for k, v in true.items():
        assert abs(bg.params_[k] - v) < 3.5 * bg.standard_errors_[k] + 0.05 * v, k


# ---------------------------------------------------------------------------------------
# rfm_summary edge cases
# ---------------------------------------------------------------------------------------
def _orders(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


def test_rfm_summary_definitions_on_a_hand_made_example():
    orders = _orders(
        [
            ("A", "2024-01-01", 100.0),  # Monday, week 0
            ("A", "2024-01-03", 50.0),  # same week: one purchase period
            ("A", "2024-01-15", 30.0),  # week 2
            ("A", "2024-02-05", 0.0),  # week 5: a zero-revenue line still counts as a purchase
            ("B", "2024-01-20", 999.0),  # one order only
            ("C", "2024-03-01", 10.0),  # after as_of: ignored entirely
        ]
    )
    s = rfm_summary(orders, as_of="2024-02-12", freq="W").set_index("account_id")
    assert list(s.index) == ["A", "B"]
    assert s.loc["A", "frequency"] == 2
    assert s.loc["A", "recency"] == 5
    assert s.loc["A", "T"] == 6
    assert s.loc["A", "monetary"] == pytest.approx((30.0 + 0.0) / 2)
    assert (s.loc["B", ["frequency", "recency", "monetary"]] == 0).all()
    assert s.loc["B", "T"] == 4  # week of Mon 2024-01-15 to the week of Mon 2024-02-12
    assert s.loc["A", "first_purchase"] == pd.Timestamp("2024-01-01")
    assert s["frequency"].dtype == np.int64
    days = rfm_summary(orders, as_of="2024-02-12", freq="D", unit="W").set_index("account_id")
    assert days.loc["A", "frequency"] == 3
    assert days.loc["A", "recency"] == pytest.approx(35 / 7)


def test_rfm_summary_holdout_and_portfolio_input(small_portfolio):
    s = rfm_summary(small_portfolio, freq="W", calibration_end=small_portfolio.as_of - pd.DateOffset(months=6))
    assert {"frequency_holdout", "monetary_holdout", "duration_holdout"} <= set(s.columns)
    assert (s["last_purchase"] <= small_portfolio.as_of - pd.DateOffset(months=6)).all()
    assert s["duration_holdout"].nunique() == 1 and s["duration_holdout"].iloc[0] > 20
    assert ((s["frequency_holdout"] > 0) | (s["monetary_holdout"] == 0)).all()
    full = rfm_summary(small_portfolio)  # as_of from the portfolio
    assert full["T"].max() <= (small_portfolio.as_of - small_portfolio.orders["order_date"].min()).days / 7 + 1


def test_rfm_summary_rejects_bad_input_with_clear_messages():
    with pytest.raises(ValueError, match="net_revenue"):
        rfm_summary(pd.DataFrame({"account_id": ["A"], "order_date": pd.to_datetime(["2024-01-01"])}))
    bad = _orders([("A", "2024-01-01", np.nan)])
    with pytest.raises(ValueError, match="missing"):
        rfm_summary(bad)
    with pytest.raises(ValueError, match="freq"):
        rfm_summary(_orders([("A", "2024-01-01", 1.0)]), freq="Q")
    with pytest.raises(ValueError, match="after as_of"):
        rfm_summary(_orders([("A", "2024-01-01", 1.0)]), as_of="2024-01-05", calibration_end="2024-02-01")
    empty = rfm_summary(_orders([("A", "2024-01-01", 1.0)]), as_of="2023-01-01")
    assert empty.empty and "frequency" in empty.columns


# ---------------------------------------------------------------------------------------
# estimator contracts and edge cases
# ---------------------------------------------------------------------------------------
def test_estimators_follow_the_sklearn_contract():
    for est in (BetaGeo(penalizer=0.01), GammaGamma(corr_threshold=0.5)):
        twin = clone(est)
        assert twin.get_params() == est.get_params()
        assert not hasattr(twin, "params_")
    bg = BetaGeo()
    with pytest.raises(NotFittedError, match="not fitted"):
        bg.p_alive([1], [1], [2])
    assert bg.set_params(penalizer=0.1) is bg and bg.penalizer == 0.1
    assert BetaGeo().fit([1, 0, 3], [2.0, 0.0, 5.0], [6.0, 6.0, 6.0]) is not None


def test_betageo_fits_a_single_account_and_accounts_without_repeats():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = BetaGeo().fit([3], [10.0], [20.0])
        none = BetaGeo().fit([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 10.0, 20.0])
    for bg in (one, none):
        assert all(np.isfinite(v) and v > 0 for v in bg.params_.values())
        assert np.all(np.isfinite(bg.expected_purchases(10, [0, 3], [0, 10], [20, 20])))
    assert none.p_alive([0], [0], [20])[0] == 1.0  # no repeat purchase: no evidence of drop-out


def test_betageo_input_checks():
    with pytest.raises(ValueError, match="recency > T"):
        BetaGeo().fit([1], [5.0], [3.0])
    with pytest.raises(ValueError, match="frequency 0"):
        BetaGeo().fit([0], [2.0], [3.0])
    with pytest.raises(ValueError, match="negative"):
        BetaGeo().fit([-1], [0.0], [3.0])
    with pytest.raises(ValueError, match="whole"):
        BetaGeo().fit([1.5], [1.0], [3.0])
    with pytest.raises(ValueError, match="missing"):
        BetaGeo().fit([1], [np.nan], [3.0])
    with pytest.raises(ValueError, match="no accounts"):
        BetaGeo().fit([], [], [])


def test_gammagamma_warns_when_value_depends_on_frequency_and_needs_repeaters():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 40, 300)
    m = 10 * x * rng.gamma(20, 1 / 20, 300)  # value grows with frequency: the assumption fails
    with pytest.warns(UserWarning, match="correlated"):
        gg = GammaGamma().fit(x, m)
    assert gg.frequency_monetary_corr_ > 0.3
    with pytest.raises(ValueError, match="at least 3"):
        GammaGamma().fit([0, 1, 2], [0.0, 5.0, 0.0])  # zero-value repeaters are left out


# ---------------------------------------------------------------------------------------
# expected value and the bundle on the demo portfolio
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_value(demo):
    portfolio, _ = demo
    return bundle_tables(portfolio, {})


def test_expected_value_discounts_monthly_and_applies_margin():
    bg = BetaGeo()
    bg.params_ = {"r": 1.0, "alpha": 2.0, "a": 1.2, "b": 50.0}
    s = pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "frequency": [20, 0],
            "recency": [50.0, 0.0],
            "T": [52.0, 52.0],
            "monetary": [100.0, 0.0],
        }
    )
    flat = expected_value(s, bg, None, months=12, discount_rate=0.0, margin_pct=0.25)
    assert flat["expected_value_12m"].iloc[0] == pytest.approx(flat["expected_purchases_12m"].iloc[0] * 100.0)
    assert flat["expected_margin_12m"].iloc[0] == pytest.approx(0.25 * flat["expected_value_12m"].iloc[0])
    assert flat["expected_avg_value"].iloc[1] == 100.0  # no repeat history: the mean of the repeaters
    disc = expected_value(s, bg, None, months=12, discount_rate=0.2)
    assert (
        0.85 * flat["expected_value_12m"].iloc[0]
        < disc["expected_value_12m"].iloc[0]
        < flat["expected_value_12m"].iloc[0]
    )
    assert disc["expected_margin_12m"].isna().all()
    per_acct = expected_value(
        s, bg, None, margin_pct=pd.DataFrame({"account_id": ["B", "A"], "margin_pct": [0.1, 0.4]})
    )
    assert per_acct["expected_margin_12m"].iloc[0] == pytest.approx(0.4 * per_acct["expected_value_12m"].iloc[0])
    six = expected_value(s, bg, None, months=6)
    assert (
        "expected_value_6m" in six.columns
        and six["expected_value_6m"].iloc[0] < disc["expected_value_12m"].iloc[0] * 1.2
    )


def test_expected_value_without_a_gamma_gamma_population_mean():
    bg = BetaGeo()
    bg.params_ = {"r": 1.0, "alpha": 2.0, "a": 1.2, "b": 50.0}
    gg = GammaGamma()
    gg.params_ = {"p": 0.4, "q": 0.8, "v": 100.0}  # q <= 1: the population mean does not exist
    s = pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "frequency": [1, 0],
            "recency": [5.0, 0.0],
            "T": [52.0, 52.0],
            "monetary": [80.0, 0.0],
        }
    )
    out = expected_value(s, bg, gg)
    assert np.isnan(gg.population_mean())
    assert out["expected_avg_value"].tolist() == pytest.approx([0.4 * (100 + 80) / (0.4 + 0.8 - 1), 80.0])
    assert np.isfinite(out["expected_value_12m"]).all()


def test_full_churners_have_lower_p_alive_than_active_accounts(demo, demo_value):
    _, truth = demo
    v = demo_value["value"].merge(truth.churn, on="account_id")
    full = v["churn_kind"] == "full"
    assert full.sum() >= 3
    assert v.loc[full, "p_alive"].median() < 0.5 < v.loc[~v["churned"], "p_alive"].median()
    # rank separation (AUC) of churned-for-good vs not churned
    pa_full, pa_active = v.loc[full, "p_alive"].to_numpy(), v.loc[~v["churned"], "p_alive"].to_numpy()
    auc = (pa_active[:, None] > pa_full[None, :]).mean() + 0.5 * (pa_active[:, None] == pa_full[None, :]).mean()
    assert auc > 0.9
    assert v.loc[full, "expected_value_12m"].median() < 0.1 * v.loc[~v["churned"], "expected_value_12m"].median()


def test_value_bundle_tables(demo, demo_value):
    portfolio, _ = demo
    v, model = demo_value["value"], demo_value["value_model"]
    assert list(v.columns) == VALUE_COLUMNS
    assert v["account_id"].is_unique and set(v["account_id"]) <= set(portfolio.accounts["account_id"])
    assert v["p_alive"].between(0, 1).all()
    assert (v["expected_value_12m"] >= 0).all() and v["value_share"].sum() == pytest.approx(1.0)
    ok = v["margin_pct"].notna()
    np.testing.assert_allclose(
        v.loc[ok, "expected_margin_12m"], v.loc[ok, "expected_value_12m"] * v.loc[ok, "margin_pct"]
    )
    assert set(SUMMARY_COLUMNS["value"]) <= set(v.columns)
    assert {"bg_nbd", "gamma_gamma"} <= set(model["model"])
    assert {"r", "alpha", "a", "b", "p", "q", "v", "log_likelihood"} <= set(model["parameter"])
    assert "account_id" not in model.columns


def test_demo_backtest_holdout_purchases(small_portfolio):
    cal = rfm_summary(small_portfolio, freq="W", calibration_end=small_portfolio.as_of - pd.DateOffset(years=1))
    bg = BetaGeo().fit(cal)
    predicted = bg.expected_purchases(cal["duration_holdout"], cal["frequency"], cal["recency"], cal["T"])
    assert predicted.sum() == pytest.approx(cal["frequency_holdout"].sum(), rel=0.2)


def _subset(portfolio: Portfolio, ids) -> Portfolio:
    tables = {}
    for name, df in portfolio.tables.items():
        tables[name] = df[df["account_id"].isin(ids)].reset_index(drop=True) if "account_id" in df.columns else df
    return Portfolio(tables, portfolio.as_of)


def test_value_bundle_is_not_available_for_too_few_accounts(small_portfolio):
    tiny = _subset(small_portfolio, small_portfolio.accounts["account_id"].iloc[:3])
    out = bundle_tables(tiny, {})
    assert isinstance(out["value"], NotAvailable) and "at least" in out["value"].reason
