"""A one-product portfolio built from order lines, for tests that need a few accounts' order dates and amounts."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from kamtools.data.portfolio import Portfolio


def monthly(start: str, end: str, day: int = 15) -> list[str]:
    """The ``day``-th of every month from ``start`` to ``end``, as ISO dates."""
    return [str(d.date()) for d in pd.date_range(start, end, freq="MS") + pd.Timedelta(days=day - 1)]


def one_product_portfolio(
    lines: Iterable[tuple[str, str, float, float]], as_of: str, customer_since: str = "2020-01-01"
) -> Portfolio:
    """Accounts buying one product (P1, category Premixes): an order per line ``(account, date, net revenue,
    quantity)`` at a cost of 60% of its revenue (a negative line is a credit note); every account named in
    ``lines`` is in the accounts table, a customer since ``customer_since``."""
    rows = list(lines)
    ids = sorted({r[0] for r in rows})

    def same(value: str) -> pd.Series:
        return pd.Series([value] * len(ids), dtype="str")

    accounts = pd.DataFrame(
        {
            "account_id": pd.Series(ids, dtype="str"),
            "name": pd.Series([f"Customer {i}" for i in ids], dtype="str"),
            "industry": same("Retail"),
            "region": same("North"),
            "country": same("SE"),
            "channel": same("Direct"),
            "owner": same("M. Berg"),
            "customer_since": pd.to_datetime([customer_since] * len(ids)),
        }
    )
    products = pd.DataFrame(
        {
            "product_id": pd.Series(["P1"], dtype="str"),
            "name": pd.Series(["Premix"], dtype="str"),
            "category": pd.Series(["Premixes"], dtype="str"),
            "list_price": [10.0],
            "unit_cost": [6.0],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": pd.Series([f"O{i}" for i in range(len(rows))], dtype="str"),
            "line": np.ones(len(rows), dtype=int),
            "account_id": pd.Series([r[0] for r in rows], dtype="str"),
            "product_id": pd.Series(["P1"] * len(rows), dtype="str"),
            "order_date": pd.to_datetime([r[1] for r in rows]),
            "quantity": [float(r[3]) for r in rows],
            "net_revenue": [float(r[2]) for r in rows],
            "cost": [0.6 * r[2] for r in rows],
        }
    )
    return Portfolio({"accounts": accounts, "products": products, "orders": orders}, pd.Timestamp(as_of))
