"""The price-volume history nets returns, credit notes and rebates as the revenue KPIs do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools import kpis
from kamtools.data.portfolio import Portfolio
from kamtools.scenario import price_volume_table


def _portfolio(extra: list[dict]) -> Portfolio:
    accounts = pd.DataFrame(
        {
            "account_id": ["A1"],
            "name": ["Alpha"],
            "industry": ["Food"],
            "region": ["North"],
            "country": ["DE"],
            "channel": ["Direct"],
            "owner": ["KAM 1"],
            "customer_since": pd.to_datetime(["2023-01-01"]),
        }
    )
    products = pd.DataFrame(
        {"product_id": ["P1"], "name": ["Premix"], "category": ["Premixes"], "list_price": [10.0], "unit_cost": [6.0]}
    )
    rows = [
        {"order_id": f"S{m}", "order_date": f"2024-{m:02d}-10", "quantity": 100.0, "net_revenue": 1000.0, "cost": 600.0}
        for m in range(1, 7)
    ] + extra
    orders = pd.DataFrame(rows).assign(line=1, account_id="A1", product_id="P1")
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    return Portfolio({"accounts": accounts, "products": products, "orders": orders}, pd.Timestamp("2024-06-30"))


def test_a_return_takes_its_units_and_amount_off_the_month_at_an_unchanged_price():
    p = _portfolio(
        [{"order_id": "R1", "order_date": "2024-03-20", "quantity": -20.0, "net_revenue": -200.0, "cost": -120.0}]
    )
    pv = price_volume_table(p).set_index("ds")
    march = pv.loc[pd.Timestamp("2024-03-01")]
    assert march["quantity"] == 80 and march["net_revenue"] == 800 and march["cost"] == 480
    assert march["volume"] == pytest.approx(800.0)
    assert march["price_index"] == pytest.approx(1.0)  # goods came back at the price paid: no price change
    # the table's revenue is the revenue the KPIs report, net of the return
    k = kpis.revenue_kpis(p).set_index("account_id")
    assert pv["net_revenue"].sum() == pytest.approx(k.loc["A1", "revenue_ltm"])


def test_a_rebate_lowers_the_price_not_the_volume():
    p = _portfolio([{"order_id": "B1", "order_date": "2024-04-28", "quantity": 0.0, "net_revenue": -100.0, "cost": 0}])
    april = price_volume_table(p).set_index("ds").loc[pd.Timestamp("2024-04-01")]
    assert april["quantity"] == 100 and april["volume"] == pytest.approx(1000.0)
    assert april["net_revenue"] == 900 and april["price_index"] == pytest.approx(0.9)


def test_a_month_of_credits_only_has_no_price_and_the_reference_price_is_from_sales():
    p = _portfolio(
        [{"order_id": "R2", "order_date": "2024-02-05", "quantity": -300.0, "net_revenue": -2400.0, "cost": -1800}]
    )
    pv = price_volume_table(p).set_index("ds")
    feb = pv.loc[pd.Timestamp("2024-02-01")]
    assert feb["quantity"] == -200 and np.isnan(feb["price_index"])
    # the other months keep the sales lines' price (10 a unit) as their reference
    assert pv.drop(index=pd.Timestamp("2024-02-01"))["price_index"].tolist() == pytest.approx([1.0] * 5)
