"""What the export may leave out and the loader fills in: cost, customer_since and line_type."""

from __future__ import annotations

import pandas as pd

from kamtools.data.loader.state import Findings, Loaded
from kamtools.data.validation import Problem, count


def derive_columns(tables: dict[str, pd.DataFrame], loaded: Loaded, as_of: pd.Timestamp, findings: Findings) -> None:
    """Fill empty costs from products.unit_cost, empty customer_since from the first order and empty line types
    with product (no warning: a product is what a line is unless the export marks it a charge)."""
    _derive_cost(tables, loaded, findings)
    _derive_customer_since(tables, loaded, as_of, findings)
    products = tables["products"]
    if "line_type" in products.columns:
        products["line_type"] = products["line_type"].fillna("product")


def _derive_cost(tables: dict[str, pd.DataFrame], loaded: Loaded, findings: Findings) -> None:
    orders = tables["orders"]
    need = orders["cost"].isna()
    if not need.any():
        return
    unit = tables["products"].drop_duplicates("product_id").set_index("product_id")["unit_cost"]
    orders.loc[need, "cost"] = orders.loc[need, "quantity"] * orders.loc[need, "product_id"].map(unit)
    n = int(need.sum())
    absent = need.all() and "cost" not in loaded.bad.get("orders", {})
    findings.warnings.append(
        Problem(
            "orders",
            "cost",
            f"cost derived from products.unit_cost for {count(n, 'line')} (quantity x unit_cost)"
            + (": the orders have no cost column." if absent else ": their cost cell is empty.")
            + " Margins of these lines use the standard cost, not the booked one.",
            hint="Export the cost of goods of each line (or map the column: orders: {columns: "
            "{'COGS': cost}}) for margins at booked cost.",
            n_rows=n,
            origin=loaded.meta.get("orders", ("orders", ""))[0],
            kind="derived_cost",
            level="warning",
        )
    )


def _derive_customer_since(
    tables: dict[str, pd.DataFrame], loaded: Loaded, as_of: pd.Timestamp, findings: Findings
) -> None:
    orders, accounts = tables["orders"], tables["accounts"]
    need = accounts["customer_since"].isna()
    if not need.any():
        return
    first = orders.groupby("account_id", sort=False)["order_date"].min()
    filled = accounts.loc[need, "account_id"].map(first)
    no_orders = filled.isna()
    accounts.loc[need, "customer_since"] = filled.fillna(as_of).astype("datetime64[ns]")
    n = int(need.sum())
    absent = need.all() and "customer_since" not in loaded.bad.get("accounts", {})
    message = (
        "the accounts have no customer_since column: " if absent else f"{count(n, 'account')} without customer_since: "
    ) + "each account's first order date is used as the date it became a customer"
    if no_orders.any():
        m = int(no_orders.sum())
        message += f" ({count(m, 'account')} without orders: the analysis date {as_of.date()})"
    findings.warnings.append(
        Problem(
            "accounts",
            "customer_since",
            message + "; tenure counts from there, so it is at most the length of the order history.",
            hint="Export the date each account became a customer (or map it: accounts: {columns: "
            "{'Customer since': customer_since}}) for true tenures.",
            n_rows=n,
            origin=loaded.meta.get("accounts", ("accounts", ""))[0],
            kind="derived_customer_since",
            level="warning",
        )
    )
