"""An account that has stopped buying does not carry a full forecast, and never reads growth (issue 17).

An account silent for 6 months or more (the churn rule), four times its own rhythm and longer than any
earlier pause in its history is forecast the mean of its last 12 months scaled by survival (what accounts
as silent bought back in the backtest, else the buying-rhythm model's chance that it orders again, else
zero), with a reason that says so. An account whose own history has pauses as long keeps its forecast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.data.portfolio import Portfolio
from kamtools.forecast import accounts, selection
from kamtools.forecast.accounts import bundle_tables

AS_OF = pd.Timestamp("2026-06-30")
MONTHS = 30


def _portfolio() -> Portfolio:
    """30 steady accounts (about 1,000 a month for 30 months); STOPPED (about 1,500 every month, then
    nothing for the last 8 months); PAUSER (orders in bursts with pauses of 9 months, silent for the last 8)."""
    rng = np.random.default_rng(11)
    months = pd.date_range(end=AS_OF, periods=MONTHS, freq="MS")
    plan = {f"S{i:02d}": (1000.0, list(range(MONTHS))) for i in range(30)}
    plan["STOPPED"] = (1500.0, list(range(MONTHS - 8)))
    plan["PAUSER"] = (1500.0, [0, 1, 2, 12, 13, 14, 20, 21])  # pauses of 9 and 5 months, now silent 8
    rows = []
    for acc, (base, active) in plan.items():
        for j in active:
            value = base * (1 + 0.1 * rng.standard_normal())
            rows.append((acc, months[j] + pd.Timedelta(days=5), round(value, 2), 1.0))
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue", "quantity"])
    orders.insert(0, "order_id", [f"O{i:06d}" for i in range(len(orders))])
    orders.insert(1, "line", 1)
    orders["product_id"] = "P1"
    orders["cost"] = orders["net_revenue"] * 0.6
    ids = list(plan)
    accounts_t = pd.DataFrame({"account_id": ids, "name": ids, "customer_since": months[0], "industry": "Feed"})
    products = pd.DataFrame(
        {"product_id": ["P1"], "name": ["Premix"], "category": ["Premixes"], "list_price": [1.0], "unit_cost": [0.6]}
    )
    return Portfolio({"accounts": accounts_t, "products": products, "orders": orders}, AS_OF)


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return bundle_tables(_portfolio(), {})["forecast_summary"].set_index("account_id")


@pytest.fixture(scope="module")
def summary_no_btyd() -> pd.DataFrame:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "btyd_fit", lambda *a, **k: None)
        mp.setattr(accounts, "btyd_paths", lambda *a, **k: None)
        return bundle_tables(_portfolio(), {})["forecast_summary"].set_index("account_id")


HEAD = "No order for 8 months, while it used to order about every month and never paused this long before"


def test_a_long_silent_account_is_not_forecast_growth(summary):
    row = summary.loc["STOPPED"]
    assert row["revenue_last_12m"] > 0
    assert row["forecast_next_12m"] < row["revenue_last_12m"]
    assert row["forecast_growth_pct"] < 0
    assert row["forecast_method"] == "mean of last 12 months"
    assert row["forecast_method_reason"].startswith("Based on its average month over the last 12 months")
    assert ". " + HEAD + ": " in row["forecast_method_reason"]
    # the steady accounts keep their level
    steady = summary.loc[[f"S{i:02d}" for i in range(30)]]
    assert (steady["forecast_next_12m"] > 0.8 * steady["revenue_last_12m"]).all()


def test_without_a_measure_of_survival_a_long_silent_account_is_forecast_zero(summary_no_btyd):
    row = summary_no_btyd.loc["STOPPED"]
    assert row["forecast_next_12m"] == 0
    assert row["forecast_method_reason"] == (
        "Forecast zero. "
        + HEAD
        + ": the test on past data had too few accounts silent this long to measure how many come back and no checked "
        "buying-rhythm model gives its chance of ordering again, so the forecast counts on no return."
    )


def test_an_account_whose_history_has_such_pauses_keeps_its_forecast(summary):
    row = summary.loc["PAUSER"]
    assert "never paused" not in row["forecast_method_reason"]
    assert row["forecast_next_12m"] > 0


def test_silent_against_history_reads_the_own_rhythm_not_the_last_12_months():
    y = np.zeros((3, 30))
    y[0, :22] = 100.0  # monthly, then 8 months silent: stopped
    y[1, [0, 1, 2, 12, 13, 14, 20, 21]] = 100.0  # earlier pause of 9 months: its silence of 8 is normal
    y[2, ::12] = 100.0  # once a year (months 0, 12, 24), 5 months silent: not even the churn rule's 6
    gap = np.array([8.0, 8.0, 5.0])
    silent, rhythm = selection.silent_against_history(y, gap)
    assert silent.tolist() == [True, False, False]
    assert rhythm[0] == pytest.approx(1.0)


def test_an_unchecked_p_alive_does_not_scale_the_forecast():
    """Where the value stage's check could not vouch for P(alive) (shown as a score), the BTYD chance of an
    order is not used as a probability: with no backtest share either, the long-silent account is zero."""
    score = pd.DataFrame(
        {"model": ["p_alive_check"], "parameter": ["check_status"], "estimate": [2.0], "note": ["not vouched"]}
    )
    row = bundle_tables(_portfolio(), {"value_model": score})["forecast_summary"].set_index("account_id").loc["STOPPED"]
    assert row["forecast_next_12m"] == 0
    assert row["forecast_method_reason"].endswith("so the forecast counts on no return.")


def test_a_survival_chance_under_1_percent_is_the_zero_forecast_not_a_few_cents():
    # demo A0048: 9 months silent, the buying-rhythm model's chance 0.001%: 'forecast 0.08' and a 2027 range of
    # 1.3k-11.7k with a 40% chance to reach its target; now the lapsed zero, whose year keeps 0%
    from types import SimpleNamespace

    cx = SimpleNamespace(own_rhythm=np.array([1.0]), survival=(np.nan, 0), buys_again=np.array([1e-5]), horizon=12)
    method, factor, reason = selection._silent_scale(0, 9.0, cx)
    assert (method, factor) == ("zero", 0.0)
    assert reason.endswith("puts its chance of ordering again in the next 12 months under 1%.")
    cx.buys_again = np.array([0.2])
    assert selection._silent_scale(0, 9.0, cx)[:2] == ("level_12m", 0.2)


def test_the_year_chart_draws_a_range_beside_its_expected_total():
    from kamtools.plotting.forecast import target_gap_chart

    years = pd.DataFrame(
        {
            "period": [2026, 2027],
            "revenue_target": [47_700.0, 7_500.0],
            "booked_ytd": [1_351.0, 0.0],
            "expected_total": [1_351.0, 0.0],
            "total_lo_80": [1_351.0, 1_305.0],  # a silent account's rest of the year may sit above its expected total
            "total_hi_80": [3_458.0, 11_725.0],
        }
    )
    fig = target_gap_chart(years)
    assert fig.axes  # drawn, where matplotlib refused a negative error bar
