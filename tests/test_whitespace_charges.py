"""Whitespace does not recommend a category of charges (postage, fees) (issue 17, UCI Online Retail).

The Online Retail bench maps stock codes to two categories, Giftware and Charges (postage, carriage, bank charges,
manual adjustments): every customer buys Giftware, so the only whitespace left was Charges, recommended to most
accounts, which is nothing a KAM can sell. ``products.line_type`` (optional; empty = product) lets an export mark
such lines ``charge``; a category whose products are all charges is then no whitespace: never recommended, shown as
"charge" in the grid and not counted as never bought.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _portfolio import monthly

from kamtools.data.portfolio import Portfolio
from kamtools.sections.whitespace import no_recommendations
from kamtools.whitespace import recommend, whitespace_grid

AS_OF = "2025-11-30"


def _portfolio(line_type: bool) -> Portfolio:
    """36 accounts buying giftware every month for 3 years; the first 24 also pay postage on each order."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(36):
        size = float(rng.choice([300.0, 900.0, 2_700.0]))
        for day in monthly("2022-12-01", "2025-11-01", day=int(rng.integers(1, 28))):
            rows.append((f"C{i:02d}", day, "G1", size * float(rng.uniform(0.8, 1.2))))
            if i < 24:
                rows.append((f"C{i:02d}", day, "POST", 18.0))
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "product_id", "net_revenue"])
    orders.insert(0, "order_id", [f"O{k}" for k in range(len(orders))])
    orders.insert(1, "line", 1)
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["quantity"] = 1.0
    orders["cost"] = 0.0
    ids = sorted(orders["account_id"].unique())
    accounts = pd.DataFrame(
        {"account_id": ids, "name": ids, "industry": "Retail", "customer_since": pd.Timestamp("2022-12-01")}
    )
    products = pd.DataFrame(
        {
            "product_id": ["G1", "POST"],
            "name": ["Heart T-light holder", "Postage"],
            "category": ["Giftware", "Charges"],
            "list_price": [2.5, 18.0],
            "unit_cost": [0.0, 0.0],
        }
    )
    if line_type:
        products["line_type"] = ["product", "charge"]
    return Portfolio({"accounts": accounts, "products": products, "orders": orders}, pd.Timestamp(AS_OF))


def test_a_category_of_charges_is_not_recommended():
    unmarked = recommend(_portfolio(line_type=False), n=3)
    assert set(unmarked["category"]) == {"Charges"}  # what the bench's accounts were offered
    marked = _portfolio(line_type=True)
    assert recommend(marked, n=3).empty
    grid = whitespace_grid(marked)
    one = grid[grid["account_id"] == "C30"]
    assert dict(zip(one["category"], one["status"])) == {"Giftware": "bought", "Charges": "charge"}
    assert no_recommendations(one, "the account") == (
        "No recommendations: the account already buys every product category in the data (1 product category); "
        "Charges is a category of charges (postage, fees), not recommended."
    )


def test_the_loader_reads_line_type_and_leaves_products_without_it_as_products(tmp_path):
    from _factory import valid_tables, write_folder

    from kamtools.data.loader import load_portfolio

    tables = valid_tables()
    plain = load_portfolio(write_folder(tmp_path / "plain", tables))
    assert set(plain.products["line_type"]) == {"product"}
    assert not any("line_type" in str(w) for w in plain.warnings)  # no "optional column not supplied" for it
    products = tables["products"]
    products["line_type"] = ["charge"] + [""] * (len(products) - 1)
    marked = load_portfolio(write_folder(tmp_path / "marked", tables))
    kinds = marked.products.set_index("product_id")["line_type"]
    assert kinds.iloc[0] == "charge" and set(kinds.iloc[1:]) == {"product"}
