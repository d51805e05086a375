"""Portfolio: shared views and time travel on a tiny hand-built portfolio."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.data import NotAvailable, Portfolio


def _tiny() -> Portfolio:
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "name": ["Alpha", "Beta"],
            "industry": ["Retail", "Retail"],
            "region": ["North", "South"],
            "country": ["SE", "DK"],
            "channel": ["Direct", "Direct"],
            "owner": ["M. Berg", "M. Berg"],
            "customer_since": pd.to_datetime(["2020-01-01", "2024-03-01"]),
        }
    )
    products = pd.DataFrame(
        {
            "product_id": ["P1", "P2"],
            "name": ["Premix", "Mineral"],
            "category": ["Premixes", "Minerals"],
            "list_price": [10.0, 20.0],
            "unit_cost": [6.0, 15.0],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "line": [1, 1, 1, 1],
            "account_id": ["A1", "A1", "A2", "A1"],
            "product_id": ["P1", "P2", "P1", "P1"],
            "order_date": pd.to_datetime(["2024-01-10", "2024-03-05", "2024-03-20", "2024-04-15"]),
            "quantity": [1.0, 2.0, 3.0, 4.0],
            "net_revenue": [100.0, 200.0, 300.0, 400.0],
            "cost": [60.0, 150.0, 180.0, 240.0],
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["I1", "I2"],
            "account_id": ["A1", "A1"],
            "issue_date": pd.to_datetime(["2024-01-10", "2024-03-05"]),
            "due_date": pd.to_datetime(["2024-02-10", "2024-04-05"]),
            "paid_date": pd.to_datetime(["2024-02-01", "2024-04-20"]),
            "amount": [100.0, 200.0],
        }
    )
    return Portfolio({"accounts": accounts, "products": products, "orders": orders, "invoices": invoices}, "2024-04-20")


def test_monthly_by_account_is_zero_filled_and_stops_before_partial_month():
    p = _tiny()
    m = p.monthly()
    a1 = m[m["unique_id"] == "A1"]
    # April 2024 is incomplete on 2024-04-20, so the series ends in March.
    assert a1["ds"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03"]
    assert a1["y"].tolist() == [100.0, 0.0, 200.0]
    assert list(m.columns[:3]) == ["unique_id", "ds", "y"]


def test_monthly_by_account_category_uses_compound_ids():
    m = _tiny().monthly(by="account_category")
    assert set(m["unique_id"]) == {"A1|Premixes", "A1|Minerals", "A2|Premixes"}
    assert m.loc[m["unique_id"] == "A1|Minerals", "y"].tolist() == [200.0]


def test_monthly_includes_month_when_as_of_is_month_end():
    p = _tiny()
    p2 = Portfolio(p.tables, "2024-04-30")
    assert p2.monthly()["ds"].max() == pd.Timestamp("2024-04-01")


def test_truncate_drops_later_rows_and_resets_later_facts():
    p = _tiny().truncate("2024-03-10")
    assert p.as_of == pd.Timestamp("2024-03-10")
    assert p.orders["order_id"].tolist() == ["O1", "O2"]
    # A2 became a customer on 2024-03-01, before the cut, so it stays (without orders)
    assert set(p.accounts["account_id"]) == {"A1", "A2"}
    inv = p.tables["invoices"].set_index("invoice_id")
    assert inv.loc["I1", "paid_date"] == pd.Timestamp("2024-02-01")
    assert pd.isna(inv.loc["I2", "paid_date"])  # paid on 2024-04-20, unknown on 2024-03-10


def test_truncate_refuses_later_date():
    with pytest.raises(ValueError, match="after the portfolio's as_of"):
        _tiny().truncate("2025-01-01")


def test_order_lines_adds_category_and_margin():
    lines = _tiny().order_lines
    assert lines.loc[lines["order_id"] == "O2", "margin"].item() == 50.0
    assert lines.loc[lines["order_id"] == "O2", "category"].item() == "Minerals"


def test_fingerprint_is_stable_and_sensitive():
    p = _tiny()
    assert p.fingerprint() == _tiny().fingerprint()
    tables = dict(p.tables)
    tables["orders"] = tables["orders"].assign(quantity=tables["orders"]["quantity"] + 1)
    assert Portfolio(tables, p.as_of).fingerprint() != p.fingerprint()


def test_missing_optional_table_gives_reason():
    p = _tiny()
    assert p.has("invoices") and not p.has("complaints")
    reason = p.missing_reason("invoices", "complaints")
    assert isinstance(reason, NotAvailable) and not reason
    assert "complaints" in reason.reason
