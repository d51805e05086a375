"""A small, valid, hand-written export of every canonical table, and writers for it.

Tests start from :func:`valid_tables` (export-like text values), break one thing, write
the folder with :func:`write_folder` and load it. The data is consistent: every account
has orders, every product is ordered, every contact has an interaction, and nothing is
dated after the last order date (2024-06-28).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

LAST_ORDER = "2024-06-28"


def valid_tables() -> dict[str, pd.DataFrame]:
    """Every canonical table as text columns, as a CRM/ERP export would hold them."""
    t: dict[str, pd.DataFrame] = {}
    t["accounts"] = pd.DataFrame(
        {
            "account_id": ["A001", "A002", "A003", "A004"],
            "name": ["Nordic Feed AB", "Müller Mühle GmbH", "Café Agro SA", "Prairie Mills Inc"],
            "industry": ["Feed milling", "Feed milling", "Retail", "Feed milling"],
            "region": ["North", "Central", "South", "West"],
            "country": ["SE", "DE", "FR", "US"],
            "channel": ["Direct", "Direct", "Distributor", "Direct"],
            "owner": ["M. Berg", "M. Berg", "L. Roux", "J. Smith"],
            "customer_since": ["2015-03-01", "2018-07-15", "2020-01-10", "2021-11-30"],
            "potential_revenue": ["1250000", "800000", "", "450000.5"],
            "parent_account_id": ["", "", "", ""],
        }
    )
    t["products"] = pd.DataFrame(
        {
            "product_id": ["P01", "P02", "P03"],
            "name": ["Premix 5kg", "Premix 25kg", "Vitamin pack"],
            "category": ["Premixes", "Premixes", "Vitamins"],
            "list_price": ["42.5", "180", "12.75"],
            "unit_cost": ["27", "120", "6.1"],
        }
    )
    orders = [
        # order_id, line, account, product, date, qty, revenue, cost
        ("SO-1001", 1, "A001", "P01", "2023-01-12", 100, 4000.0, 2700.0),
        ("SO-1001", 2, "A001", "P03", "2023-01-12", 20, 240.0, 122.0),
        ("SO-1002", 1, "A002", "P02", "2023-02-03", 10, 1750.0, 1200.0),
        ("SO-1003", 1, "A003", "P01", "2023-03-20", 50, 2050.0, 1350.0),
        ("SO-1004", 1, "A004", "P02", "2023-05-05", 5, 880.0, 600.0),
        ("SO-1005", 1, "A001", "P02", "2023-09-14", 12, 2100.0, 1440.0),
        ("SO-1006", 1, "A002", "P01", "2023-11-02", 80, 3300.0, 2160.0),
        ("SO-1006", 2, "A002", "P03", "2023-11-02", 40, 480.0, 244.0),
        ("SO-1007", 1, "A003", "P03", "2024-01-25", 30, 370.0, 183.0),
        ("SO-1008", 1, "A004", "P01", "2024-03-08", 60, 2480.0, 1620.0),
        ("SO-1009", 1, "A001", "P01", "2024-05-17", 120, 4980.0, 3240.0),
        ("SO-1010", 1, "A002", "P02", LAST_ORDER, 8, 1400.0, 960.0),
    ]
    t["orders"] = pd.DataFrame(
        orders,
        columns=["order_id", "line", "account_id", "product_id", "order_date", "quantity", "net_revenue", "cost"],
    ).astype(str)
    t["opportunities"] = pd.DataFrame(
        {
            "opportunity_id": ["OP-1", "OP-2", "OP-3", "OP-4"],
            "account_id": ["A001", "A002", "A003", "A001"],
            "created_date": ["2023-02-01", "2023-06-10", "2024-01-05", "2024-04-01"],
            "close_date": ["2023-04-11", "2023-08-01", "2024-03-01", "2024-09-30"],
            "stage": ["Closed", "Closed", "Closed", "Proposal"],
            "status": ["won", "lost", "won", "open"],
            "amount": ["85000", "40000", "12000", "60000"],
            "probability": ["1", "0", "1", "0.4"],
            "category": ["Premixes", "Vitamins", "Premixes", "Premixes"],
            "our_price": ["101.5", "99", "", "100"],
            "competitor": ["", "Vetro", "", "Vetro"],
            "competitor_price": ["", "96", "", "97.5"],
            "loss_reason": ["", "price", "", ""],
            "contract_end": ["2024-04-30", "", "2025-02-28", ""],
        }
    )
    t["complaints"] = pd.DataFrame(
        {
            "complaint_id": ["C-1", "C-2", "C-3"],
            "account_id": ["A001", "A003", "A004"],
            "opened_date": ["2023-06-02", "2024-02-10", "2024-06-01"],
            "resolved_date": ["2023-06-20", "2024-02-12", ""],
            "severity": ["high", "low", "medium"],
            "category": ["Delivery", "Quality", "Invoice"],
            "description": ["Late delivery", "Bag torn", ""],
        }
    )
    t["invoices"] = pd.DataFrame(
        {
            "invoice_id": ["INV-1", "INV-2", "INV-3"],
            "account_id": ["A001", "A002", "A004"],
            "issue_date": ["2023-01-31", "2023-02-28", "2024-03-31"],
            "due_date": ["2023-03-02", "2023-03-30", "2024-04-30"],
            "paid_date": ["2023-03-01", "2023-04-15", ""],
            "amount": ["4240", "1750", "2480"],
        }
    )
    t["contacts"] = pd.DataFrame(
        {
            "contact_id": ["K-1", "K-2", "K-3"],
            "account_id": ["A001", "A002", "A003"],
            "name": ["Anna Lind", "Jörg Weiß", "Élodie Roux"],
            "title": ["Head of Purchasing", "CEO", ""],
            "role": ["decision_maker", "decision_maker", "user"],
            "seniority": ["senior", "executive", "staff"],
            "reports_to": ["", "", ""],
            "attitude": ["champion", "supporter", ""],
            "left_date": ["", "", ""],
        }
    )
    t["interactions"] = pd.DataFrame(
        {
            "account_id": ["A001", "A002", "A003", "A004"],
            "contact_id": ["K-1", "K-2", "K-3", ""],
            "date": ["2024-02-01", "2024-03-15", "2024-05-20", "2024-06-10"],
            "type": ["meeting", "call", "visit", "email"],
            "notes": ["QBR", "", "Plant visit", ""],
            "employee": ["M. Berg", "M. Berg", "L. Roux", ""],
        }
    )
    t["targets"] = pd.DataFrame(
        {
            "account_id": ["A001", "A002", "A003", "A004"],
            "period": ["2024", "2024", "2024", "2024"],
            "revenue_target": ["12000", "8000", "3000", "4000"],
        }
    )
    t["competitor_prices"] = pd.DataFrame(
        {
            "date": ["2024-01-15", "2024-04-15"],
            "account_id": ["A002", ""],
            "category": ["Premixes", "Vitamins"],
            "competitor": ["Vetro", "Vetro"],
            "price_index": ["96", "101.5"],
        }
    )
    return t


def write_folder(
    folder: Path, tables: dict[str, pd.DataFrame] | None = None, fmt: str = "csv", **csv_kw: object
) -> Path:
    """Write the tables as ``<table>.<fmt>`` into ``folder`` (created); returns ``folder``."""
    tables = valid_tables() if tables is None else tables
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False, **csv_kw)
        elif fmt == "parquet":
            df.to_parquet(folder / f"{name}.parquet", index=False)
        elif fmt == "xlsx":
            df.to_excel(
                folder / f"{name}.xlsx", index=False, engine="openpyxl"
            )  # as Excel stores "#N/A": an error cell
        else:
            raise ValueError(fmt)
    return folder


def write_sqlite(path: Path, tables: dict[str, pd.DataFrame] | None = None) -> str:
    """Write the tables into a SQLite file; returns its SQLAlchemy URL."""
    import sqlalchemy as sa

    tables = valid_tables() if tables is None else tables
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for name, df in tables.items():
            df.to_sql(name, conn, index=False)
    engine.dispose()
    return f"sqlite:///{path}"
