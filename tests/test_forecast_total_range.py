"""The 80% range of an account's 12-month total comes from what similar accounts bought out of time
(issues 17/18): lopsided, starting at zero where more than 10% of them bought nothing, and
holding the point forecast."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from _portfolio import one_product_portfolio

from kamtools.data.portfolio import Portfolio
from kamtools.forecast import selection
from kamtools.forecast.accounts import bundle_tables

AS_OF = pd.Timestamp("2026-06-30")


def _occasional_buyers(n: int = 40, months: int = 36, p: float = 0.08) -> Portfolio:
    """Accounts that order in about one month in twelve: in a third of their 12-month windows nothing."""
    rng = np.random.default_rng(5)
    month_starts = pd.date_range(end=AS_OF, periods=months, freq="MS")
    ids = [f"R{i:02d}" for i in range(n)]
    acc_col, dates, values = [], [], []
    for acc in ids:
        bought = rng.random(months) < p
        bought[-1 - rng.integers(0, 6)] = True  # every account ordered in its last 6 months
        for m in month_starts[bought]:
            acc_col.append(acc)
            dates.append(m + pd.Timedelta(days=9))
            values.append(round(float(rng.uniform(2000, 4000)), 2))
    lines = [(a, d, v, 1.0) for a, d, v in zip(acc_col, dates, values)]
    return one_product_portfolio(lines, str(AS_OF.date()))


@lru_cache(maxsize=1)
def _tables() -> dict:
    return bundle_tables(_occasional_buyers(), {})


def test_where_most_similar_accounts_bought_nothing_the_range_starts_at_zero_and_holds_the_forecast():
    summary = _tables()["forecast_summary"]
    forecast = summary[summary["forecast_next_12m"] > 0]
    assert len(forecast) >= 30
    assert (forecast["forecast_next_12m_lo_80"] == 0).all()
    assert (forecast["forecast_next_12m_hi_80"] > forecast["forecast_next_12m"]).all()
    assert (summary["forecast_next_12m_lo_80"] <= summary["forecast_next_12m"] + 1e-9).all()
    assert (summary["forecast_next_12m_hi_80"] >= summary["forecast_next_12m"] - 1e-9).all()
    note = _tables()["_notes"]["forecast_methods"]
    # one kind of account, too few cases for a class of its own: the ratios are the whole portfolio's, and say so
    assert "The 80% range of an account's 12-month total is where 8 in 10 accounts of this portfolio ended out" in note
    assert "accounts like this one" not in note


def _evidence(actual_totals: np.ndarray, forecast: float = 100.0) -> selection.Evidence:
    """One class, one month ahead: every row forecast ``forecast`` by the mean of the last 6 months."""
    r = len(actual_totals)
    paths = {m: np.full((r, 1), np.nan) for m in selection.CANDIDATES}
    paths["recent_mean"] = np.full((r, 1), forecast)
    return selection.Evidence(
        account=np.array([f"A{i:02d}" for i in range(r)]),
        klass=np.full(r, 4),
        scale=np.ones(r),
        actual=actual_totals.reshape(-1, 1).astype(float),
        paths=paths,
        lapsed_ref=np.full(r, forecast),
        horizon=1,
    )


def test_the_range_is_the_class_quantiles_of_actual_over_forecast_totals():
    actual = np.linspace(50.0, 150.0, 41)  # everyone bought: 10% / 90% quantiles 0.6 and 1.4 of the forecast
    ratio = selection.total_ratio_range(_evidence(actual), np.array([4]), np.array(["recent_mean"]), np.ones(1))
    assert np.allclose(ratio, [[0.6, 1.4]])
    # a third bought nothing: from zero to the 80% quantile (that range holds 8 in 10 of them)
    actual[::3] = 0.0
    ratio = selection.total_ratio_range(_evidence(actual), np.array([4]), np.array(["recent_mean"]), np.ones(1))
    assert ratio[0, 0] == 0.0 and np.isclose(ratio[0, 1], np.quantile(actual / 100.0, 0.8))


def test_the_zero_forecast_and_a_class_without_enough_cases_get_no_ratio():
    ev = _evidence(np.linspace(50.0, 150.0, 10))
    ratio = selection.total_ratio_range(ev, np.array([4, 4]), np.array(["recent_mean", "zero"]), np.array([1.0, 0.0]))
    assert np.isnan(ratio).all()
