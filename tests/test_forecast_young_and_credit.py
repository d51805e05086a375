"""A new account's first order and a credit note do not drive the account forecast (issue 17).

An account one month old with a single order is not forecast that order every month (the means
spread an account's orders over at least three months of the data, its months before the first
order counting as nothing, and the kamtools model is not used on so few months), and a credit note larger than
an active account's recent sales does not make it read as an account that stopped buying (returns
enter the forecast as the account's returns rate, not in the month they were booked).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.data.portfolio import Portfolio
from kamtools.forecast import accounts, selection
from kamtools.forecast.accounts import bundle_tables

AS_OF = pd.Timestamp("2026-06-30")
MONTHS = 18


def _portfolio() -> Portfolio:
    """30 steady accounts (about 1,000 a month for 18 months), NEW (one order of 6,000 last month, its
    first) and CREDIT (a customer for three months, ordering twice a month, then last month a credit
    note of 4,000: more than all it bought, so netted as booked its history is nothing)."""
    rng = np.random.default_rng(5)
    months = pd.date_range(end=AS_OF, periods=MONTHS, freq="MS")
    ids = [f"S{i:02d}" for i in range(30)] + ["CREDIT"]
    rows = []
    for acc in ids:
        base = 1000.0 * (1 + 0.3 * rng.random())
        for m in months[-3:] if acc == "CREDIT" else months:
            value = base * (1 + 0.1 * rng.standard_normal())
            for k in range(2):
                rows.append((acc, m + pd.Timedelta(days=3 + 10 * k), round(value / 2, 2), 1.0))
    rows.append(("NEW", months[-1] + pd.Timedelta(days=5), 6000.0, 1.0))
    rows.append(("CREDIT", months[-1] + pd.Timedelta(days=20), -4000.0, -1.0))
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue", "quantity"])
    orders.insert(0, "order_id", [f"O{i:06d}" for i in range(len(orders))])
    orders.insert(1, "line", 1)
    orders["product_id"] = "P1"
    orders["cost"] = orders["net_revenue"] * 0.6
    ids.append("NEW")
    accounts = pd.DataFrame({"account_id": ids, "name": ids, "customer_since": months[0], "industry": "Feed"})
    accounts.loc[accounts["account_id"] == "NEW", "customer_since"] = months[-1]
    accounts.loc[accounts["account_id"] == "CREDIT", "customer_since"] = months[-3]
    products = pd.DataFrame(
        {"product_id": ["P1"], "name": ["Premix"], "category": ["Premixes"], "list_price": [1.0], "unit_cost": [0.6]}
    )
    return Portfolio({"accounts": accounts, "products": products, "orders": orders}, AS_OF)


@pytest.fixture(scope="module")
def tables() -> dict:
    """The forecast stage where no BTYD model is fitted (as in a portfolio too small for one), so the choice
    is among the kamtools model and the means, the methods a first order or a credit note could mislead."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "btyd_fit", lambda *a, **k: None)
        mp.setattr(accounts, "btyd_paths", lambda *a, **k: None)
        return bundle_tables(_portfolio(), {})


def test_a_new_account_s_first_order_is_not_its_monthly_level(tables):
    summary = tables["forecast_summary"].set_index("account_id")
    new = summary.loc["NEW"]
    # one order of 6,000 a month ago: a third of it a month (about 24,000 for the year), not 12 x 6,000
    assert 0.3 * 12 * 6000.0 < new["forecast_next_12m"] < 0.4 * 12 * 6000.0
    assert new["forecast_next_12m_lo_80"] <= new["forecast_next_12m"] <= new["forecast_next_12m_hi_80"]
    assert new["revenue_last_12m"] == 6000.0
    assert new["forecast_method"] == "mean of last 6 months"
    assert new["forecast_method_reason"].startswith(
        "A new account (first order 1 month ago): based on its average month over the last 6 months"
    )
    assert (
        "its orders spread over at least 3 months, not on a model fitted to its own 1 month, which would take a first "
        "order for its monthly level" in new["forecast_method_reason"]
    )


def test_an_active_account_with_a_credit_note_keeps_a_forecast(tables):
    summary = tables["forecast_summary"].set_index("account_id")
    credit = summary.loc["CREDIT"]
    steady = summary.loc[summary.index.str.startswith("S"), "forecast_next_12m"]
    # it bought every month of its three; the credit note lowers its forecast, it does not wipe it out
    assert 0.2 * steady.min() < credit["forecast_next_12m"] < steady.max()
    assert credit["forecast_next_12m_hi_80"] > credit["forecast_next_12m"] > credit["forecast_next_12m_lo_80"] > 0
    assert credit["forecast_method"] != "lapsed: zero"
    # the history shown stays net of the credit as booked (its last month nets to nothing)
    hist = tables["forecast_history"]
    last = hist[(hist["account_id"] == "CREDIT") & (hist["ds"] == hist["ds"].max())]
    assert float(last["y"].iloc[0]) == 0.0
    note = tables["_notes"]["forecast"]
    assert "credit notes" in note and "returns rate" in note


def test_a_portfolio_without_credit_lines_has_no_returns_note():
    tables = bundle_tables(_portfolio_without_credit(), {})
    assert "returns rate" not in tables["_notes"].get("forecast", "")


def _portfolio_without_credit() -> Portfolio:
    p = _portfolio()
    orders = p.tables["orders"]
    return Portfolio({**p.tables, "orders": orders[orders["net_revenue"] > 0].reset_index(drop=True)}, AS_OF)


def test_means_spread_a_first_order_over_three_months_of_the_data():
    nan = np.nan
    y = np.array(
        [
            [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0],
            [nan, nan, nan, nan, nan, nan, nan, 600.0],  # first order in the last month
            [nan, nan, nan, nan, 50.0, 50.0, 50.0, 50.0],  # four months: its own mean
            [nan, nan, nan, nan, nan, nan, nan, nan],  # no months
        ]
    )
    st = selection.account_state(y, 6)
    assert np.allclose(st.recent, [100.0, 200.0, 50.0, 0.0])  # 600 over three months, not 600 a month
    assert np.allclose(st.level, [100.0, 200.0, 50.0, 0.0])
    assert st.young.tolist() == [0, 1, 4, 0]  # months since a first order inside the data, under 6
    short = selection.account_state(np.array([[nan, 80.0], [40.0, 40.0]]), 6)  # the data has two months only
    assert np.allclose(short.recent, [40.0, 40.0])
