"""Bad values from real CRM/ERP exports: each case builds a small portfolio folder with one
defect, validates it and checks what the user reads (table, column, rows, what to do), or,
for findings that are only warnings, that the data loads with the right values.

Covers: repeated column names, infinite and absurd numbers, far-future dates and the
default as_of, "no date" placeholders (9999-12-31, 0000-00-00), text that looks like a
missing value (NA = North America / Namibia), European number formats, credit-note
signs, ids with leading zeros or spaces, spreadsheet errors and encodings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _factory import LAST_ORDER, valid_tables, write_folder, write_sqlite

from kamtools.cli import main
from kamtools.data.loader import load_portfolio, parse_as_of, validate_source
from kamtools.data.portfolio import Portfolio
from kamtools.data.schemas import far_future, validate_tables
from kamtools.data.validation import DataValidationError

Tables = dict[str, pd.DataFrame]


@dataclass
class Case:
    """One defect. ``level`` "error": the load fails with the problem; "warning": the data
    loads, the warning is shown and ``check`` sees the loaded portfolio."""

    id: str
    expect: list[str]  # substrings of the validation report the user reads
    kind: str  # Problem.kind of the main finding
    table: str
    column: str | None = None
    rows: list[int] = field(default_factory=list)  # must be among the finding's rows
    level: str = "error"
    edit: Callable[[Tables], None] | None = None
    after: Callable[[Path], None] | None = None
    mapping: dict | None = None
    fmt: str = "csv"
    sep: str = ","
    as_of: str | None = None
    check: Callable[[Portfolio], None] | None = None
    absent: list[str] = field(default_factory=list)  # must NOT be in the report


def setcell(table: str, row: int, column: str, value: object) -> Callable[[Tables], None]:
    def edit(t: Tables) -> None:
        t[table].loc[row, column] = value

    return edit


def setcol(table: str, column: str, values: list) -> Callable[[Tables], None]:
    def edit(t: Tables) -> None:
        t[table][column] = values

    return edit


def both(*edits: Callable[[Tables], None]) -> Callable[[Tables], None]:
    def edit(t: Tables) -> None:
        for e in edits:
            e(t)

    return edit


def repeat_column(table: str, column: str, first: object, spaced: bool = False) -> Callable[[Tables], None]:
    """Insert a second column named ``column`` (holding ``first``) just before the real one."""

    def edit(t: Tables) -> None:
        df = t[table]
        pos = list(df.columns).index(column)
        df.insert(pos, "__copy__", first)
        df.columns = [(column + (" " if spaced else "")) if c == "__copy__" else c for c in df.columns]

    return edit


def parquet_with_repeated_column(folder: Path) -> None:
    """orders.parquet whose schema names net_revenue twice (zeros first), instead of orders.csv."""
    orders = valid_tables()["orders"]
    arrays, names = [], []
    for c in orders.columns:
        if c == "net_revenue":
            arrays.append(pa.array([0.0] * len(orders)))
            names.append(c)
        arrays.append(pa.array(orders[c].tolist()))
        names.append(c)
    pq.write_table(pa.Table.from_arrays(arrays, names=names), folder / "orders.parquet")
    (folder / "orders.csv").unlink()


def parquet_paid_dates(folder: Path) -> None:
    """invoices.parquet with a real date32 column whose last value is SAP's 9999-12-31."""
    inv = valid_tables()["invoices"]
    table = pa.table(
        {
            **{c: pa.array(inv[c].tolist()) for c in ["invoice_id", "account_id", "issue_date", "due_date"]},
            "paid_date": pa.array([dt.date(2023, 3, 1), dt.date(2023, 4, 15), dt.date(9999, 12, 31)]),
            "amount": pa.array([4240.0, 1750.0, 2480.0]),
        }
    )
    pq.write_table(table, folder / "invoices.parquet")
    (folder / "invoices.csv").unlink()


def parquet_order_timestamps(folder: Path) -> None:
    """orders.parquet with order_date as timestamp[ms] (which can hold any year); row 3 says 2999-06-01."""
    orders = valid_tables()["orders"]
    dates = [dt.datetime.fromisoformat(d) for d in orders["order_date"]]
    dates[2] = dt.datetime(2999, 6, 1)
    columns = {c: pa.array(orders[c].tolist()) for c in orders.columns if c != "order_date"}
    columns["order_date"] = pa.array(dates, pa.timestamp("ms"))
    pq.write_table(pa.table(columns), folder / "orders.parquet")
    (folder / "orders.csv").unlink()


def euro(t: Tables) -> None:
    """orders as a German ERP writes them: decimal comma, dots between thousands."""
    o = t["orders"]
    o["quantity"] = ["1.000", "2.500", "10", "50", "5", "12", "80", "40", "30", "60", "120", "8"]
    o["net_revenue"] = [v.replace(".", ",") for v in o["net_revenue"]]
    o["cost"] = ["2.700,50"] + [v.replace(".", ",") for v in o["cost"][1:]]


def whole_numbers(t: Tables) -> None:
    """Revenue and cost without decimals (nothing says which separator is the decimal one)."""
    for c in ("net_revenue", "cost"):
        t["orders"][c] = [v.replace(".0", "") for v in t["orders"][c]]


def zero_padded(t: Tables) -> None:
    """Account A001 is called 00123 in every table (an ERP customer number with leading zeros)."""
    for df in t.values():
        if "account_id" in df.columns:
            df["account_id"] = df["account_id"].replace("A001", "00123")


def cp1252_accounts(folder: Path) -> None:
    text = (folder / "accounts.csv").read_text(encoding="utf-8")
    (folder / "accounts.csv").write_bytes(text.encode("cp1252"))


def one_legacy_line(folder: Path) -> None:
    """accounts.csv in UTF-8, except line 5, pasted from a Windows-1252 system."""
    data = (folder / "accounts.csv").read_bytes()
    (folder / "accounts.csv").write_bytes(data.replace(b"Prairie Mills Inc", "Prairie Mühle Inc".encode("cp1252")))


def check(table: str, column: str, expected: list) -> Callable[[Portfolio], None]:
    def run(p: Portfolio) -> None:
        got = p.tables[table][column].tolist()
        assert got == expected, got

    return run


def first(table: str, column: str, expected: list) -> Callable[[Portfolio], None]:
    """The first values of a loaded column are ``expected``."""

    def run(p: Portfolio) -> None:
        got = p.tables[table][column].tolist()[: len(expected)]
        assert got == expected, got

    return run


def all_of(*checks: Callable[[Portfolio], None]) -> Callable[[Portfolio], None]:
    def run(p: Portfolio) -> None:
        for c in checks:
            c(p)

    return run


def line_values(p: Portfolio, row: int, expected: tuple[float, float, float]) -> None:
    """Quantity, net_revenue and cost of one loaded order line (0-based row of the export)."""
    got = tuple(float(x) for x in p.orders.loc[row, ["quantity", "net_revenue", "cost"]])
    assert got == expected, got


def check_row(table: str, key: str, value: str, column: str, expected: object) -> Callable[[Portfolio], None]:
    def run(p: Portfolio) -> None:
        df = p.tables[table].set_index(key)
        got = df.loc[value, column]
        assert (pd.isna(got) and pd.isna(expected)) or got == expected, got

    return run


# orders row i sits on CSV line i + 2 (the header is line 1); invoices/complaints likewise
CASES = [
    # ---- the same column name twice -----------------------------------------------------------
    Case(
        "repeated_column_csv",
        [
            "orders (orders.csv)",
            "column 'net_revenue': the column name",
            "the column name 'net_revenue' occurs 2 times in the header (columns 7 and 8)",
            "uses neither",
            "Delete the extra column",
        ],
        "duplicate_column_name",
        "orders",
        "net_revenue",
        edit=repeat_column("orders", "net_revenue", "0"),
        absent=["net_revenue.1"],
    ),
    Case(
        "repeated_column_xlsx",
        ["orders (orders.xlsx)", "occurs 2 times in the header (columns 7 (G) and 8 (H))"],
        "duplicate_column_name",
        "orders",
        "net_revenue",
        edit=repeat_column("orders", "net_revenue", 0),
        fmt="xlsx",
        absent=["net_revenue.1"],
    ),
    Case(
        "repeated_column_parquet",
        ["orders (orders.parquet)", "the column name 'net_revenue' occurs 2 times in the header (columns 7 and 8)"],
        "duplicate_column_name",
        "orders",
        "net_revenue",
        after=parquet_with_repeated_column,
    ),
    Case(
        "repeated_column_trailing_space",
        ["the column name 'account_id' occurs 2 times in the header (columns 3 and 4)"],
        "duplicate_column_name",
        "orders",
        "account_id",
        edit=repeat_column("orders", "account_id", "A001", spaced=True),
    ),
    Case(
        "repeated_unused_column",
        ["the column name 'Comment' occurs 2 times in the header (columns 9 and 10); kamtools does not use it"],
        "duplicate_column_name",
        "orders",
        level="warning",
        edit=both(setcol("orders", "Comment", ["x"] * 12), repeat_column("orders", "Comment", "y")),
        check=check("orders", "net_revenue", [4000.0, 240.0, 1750, 2050, 880, 2100, 3300, 480, 370, 2480, 4980, 1400]),
    ),
    # ---- infinite and absurd numbers ------------------------------------------------------------
    Case(
        "inf_revenue",
        ["column 'net_revenue'", "1 value of net_revenue is infinite", "line 4: 'inf'", "division by"],
        "not_finite",
        "orders",
        "net_revenue",
        [4],
        edit=setcell("orders", 2, "net_revenue", "inf"),
    ),
    Case(
        "infinity_cost",
        ["1 value of cost is infinite", "line 6: 'Infinity'"],
        "not_finite",
        "orders",
        "cost",
        [6],
        edit=setcell("orders", 4, "cost", "Infinity"),
    ),
    Case(
        "minus_inf_invoice",
        ["invoices (invoices.csv)", "1 value of amount is infinite", "line 3: '-inf'"],
        "not_finite",
        "invoices",
        "amount",
        [3],
        edit=setcell("invoices", 1, "amount", "-inf"),
    ),
    Case(
        "overflow_1e400",
        ["1 value of list_price is infinite", "line 2: '1e400'"],
        "not_finite",
        "products",
        "list_price",
        [2],
        edit=setcell("products", 0, "list_price", "1e400"),
    ),
    Case(
        "quantity_1e308",
        ["1 value of quantity is implausibly large (more than 1,000,000,000,000,000", "line 5: '1e308'"],
        "too_large",
        "orders",
        "quantity",
        [5],
        edit=setcell("orders", 3, "quantity", "1e308"),
    ),
    Case(
        "phone_number_as_target",
        ["1 value of revenue_target is implausibly large", "line 3: '4930123456789012345'", "wrong column"],
        "too_large",
        "targets",
        "revenue_target",
        [3],
        edit=setcell("targets", 1, "revenue_target", "4930123456789012345"),
    ),
    Case(
        "parquet_float_inf",
        ["orders (orders.parquet)", "1 value of net_revenue is infinite", "row 3: inf"],
        "not_finite",
        "orders",
        "net_revenue",
        [3],
        edit=setcol("orders", "net_revenue", [4000.0, 240.0, float("inf")] + [100.0] * 9),
        fmt="parquet",
    ),
    # ---- far-future dates and the default as_of ----------------------------------------------------
    Case(
        "order_date_2206",
        [
            "as_of: 2024-06-28 (last order date)",
            "column 'order_date': 1 date in order_date lies far in the future",
            "line 4: 2206-11-01",
            "(such as 2206 for 2026)",
        ],
        "far_future",
        "orders",
        "order_date",
        [4],
        edit=setcell("orders", 2, "order_date", "2206-11-01"),
    ),
    Case(
        "order_date_2206_with_given_as_of",
        ["as_of: 2024-01-31 (given)", "1 date in order_date lies far in the future", "line 2: 2206-01-12"],
        "far_future",
        "orders",
        "order_date",
        [2],
        edit=setcell("orders", 0, "order_date", "2206-01-12"),
        as_of="2024-01-31",
        absent=["the last order date before them"],
    ),
    Case(
        "parquet_timestamp_ms_year_2999",
        ["orders (orders.parquet)", "1 value of order_date is not a plausible date (year 2999)", "row 3: 2999-06-01"],
        "date_out_of_range",
        "orders",
        "order_date",
        [3],
        after=parquet_order_timestamps,
    ),
    Case(
        "customer_since_2105",
        ["accounts (accounts.csv)", "1 date in customer_since lies far in the future", "line 3: 2105-07-15"],
        "far_future",
        "accounts",
        "customer_since",
        [3],
        edit=setcell("accounts", 1, "customer_since", "2105-07-15"),
    ),
    Case(
        "as_of_years_after_last_order",
        ["as_of 2026-06-30 is 2.0 years after the last order date (2024-06-28)", "stopped buying"],
        "as_of_after_data",
        "source",
        level="warning",
        as_of="2026-06-30",
    ),
    # ---- future dates in every date column ----------------------------------------------------------
    Case(
        "resolved_in_2200",
        ["complaints (complaints.csv)", "1 date in resolved_date lies far in the future", "line 2: 2200-01-01"],
        "far_future",
        "complaints",
        "resolved_date",
        [2],
        edit=setcell("complaints", 0, "resolved_date", "2200-01-01"),
    ),
    Case(
        "paid_in_2230",
        ["1 date in paid_date lies far in the future", "line 3: 2230-04-15", "leave the cell empty (not paid)"],
        "far_future",
        "invoices",
        "paid_date",
        [3],
        edit=setcell("invoices", 1, "paid_date", "2230-04-15"),
    ),
    Case(
        "interaction_in_2207",
        ["interactions (interactions.csv)", "1 date in date lies far in the future", "line 4: 2207-05-20"],
        "far_future",
        "interactions",
        "date",
        [4],
        edit=setcell("interactions", 2, "date", "2207-05-20"),
    ),
    Case(
        "competitor_price_in_2250",
        ["competitor_prices (competitor_prices.csv)", "lies far in the future", "line 3: 2250-04-15"],
        "far_future",
        "competitor_prices",
        "date",
        [3],
        edit=setcell("competitor_prices", 1, "date", "2250-04-15"),
    ),
    Case(
        "open_deal_closing_in_2090",
        ["1 date in close_date lies far more than 5 years after today", "line 5: 2090-09-30"],
        "far_future",
        "opportunities",
        "close_date",
        [5],
        edit=setcell("opportunities", 3, "close_date", "2090-09-30"),
    ),
    Case(
        "paid_after_last_order",
        ["1 row has paid_date after the analysis date 2024-06-28", "line 4: 2024-07-15", "not yet paid", "--as-of"],
        "end_after_as_of",
        "invoices",
        "paid_date",
        [4],
        level="warning",
        edit=setcell("invoices", 2, "paid_date", "2024-07-15"),
    ),
    Case(
        "won_after_last_order",
        ["1 row has close_date after the analysis date 2024-06-28", "not yet decided"],
        "end_after_as_of",
        "opportunities",
        "close_date",
        [5],
        level="warning",
        edit=both(
            setcell("opportunities", 3, "status", "won"), setcell("opportunities", 3, "close_date", "2024-08-01")
        ),
    ),
    # ---- "no date" placeholders ------------------------------------------------------------------
    Case(
        "sap_paid_9999",
        ["column 'paid_date': 1 value of paid_date is a placeholder for 'no date'", "line 3: '9999-12-31'", "not paid"],
        "placeholder_date",
        "invoices",
        "paid_date",
        [3],
        level="warning",
        edit=setcell("invoices", 1, "paid_date", "9999-12-31"),
        check=check_row("invoices", "invoice_id", "INV-2", "paid_date", pd.NaT),
        absent=["Out of bounds"],
    ),
    Case(
        "german_paid_31_12_9999",
        ["is a placeholder for 'no date' ('31.12.9999'", "line 2: '31.12.9999'"],
        "placeholder_date",
        "invoices",
        "paid_date",
        [2],
        level="warning",
        edit=setcell("invoices", 0, "paid_date", "31.12.9999"),
        absent=["mixes date formats"],
        check=check_row("invoices", "invoice_id", "INV-1", "paid_date", pd.NaT),
    ),
    Case(
        "resolved_9999_12_30",
        ["1 value of resolved_date is a placeholder", "read as empty (not resolved)"],
        "placeholder_date",
        "complaints",
        "resolved_date",
        [3],
        level="warning",
        edit=setcell("complaints", 1, "resolved_date", "9999-12-30"),
        check=check_row("complaints", "complaint_id", "C-2", "resolved_date", pd.NaT),
    ),
    Case(
        "open_deal_close_2999",
        ["1 value of close_date is a placeholder", "(no close date)"],
        "placeholder_date",
        "opportunities",
        "close_date",
        [5],
        level="warning",
        edit=setcell("opportunities", 3, "close_date", "2999-12-31"),
    ),
    Case(
        "mysql_zero_paid_date",
        ["is a placeholder for 'no date' ('0000-00-00'", "line 3"],
        "placeholder_date",
        "invoices",
        "paid_date",
        [3],
        level="warning",
        edit=setcell("invoices", 1, "paid_date", "0000-00-00"),
    ),
    Case(
        "parquet_date32_9999",
        ["invoices (invoices.parquet)", "1 value of paid_date is a placeholder", "row 3: 9999-12-31"],
        "placeholder_date",
        "invoices",
        "paid_date",
        [3],
        level="warning",
        after=parquet_paid_dates,
        check=check_row("invoices", "invoice_id", "INV-3", "paid_date", pd.NaT),
    ),
    Case(
        "order_date_2999_12_31",
        [
            "orders (orders.csv)",
            "column 'order_date': 1 value of order_date",
            "is a placeholder for 'no date' ('2999-12-31'",
            "every row needs a real order_date",
            "line 4: '2999-12-31'",
        ],
        "placeholder_date",
        "orders",
        "order_date",
        [4],
        edit=setcell("orders", 2, "order_date", "2999-12-31"),
        absent=["Out of bounds", "nanosecond"],
    ),
    Case(
        "order_date_typo_3024",
        ["1 value of order_date is not a plausible date (year 3024)", "line 7: '3024-09-14'", "Correct the year"],
        "date_out_of_range",
        "orders",
        "order_date",
        [7],
        edit=setcell("orders", 5, "order_date", "3024-09-14"),
        absent=["Out of bounds"],
    ),
    Case(
        "due_date_9999",
        ["1 value of due_date is a placeholder", "every row needs a real due_date"],
        "placeholder_date",
        "invoices",
        "due_date",
        [2],
        edit=setcell("invoices", 0, "due_date", "9999-12-31"),
    ),
    Case(
        "customer_since_1900_01_01",
        [
            "1 value of customer_since is a placeholder for 'no date' ('1900-01-01' (1x)): read as empty, so "
            "customer_since is the account's first order date",
            "line 5",
        ],
        "placeholder_date",
        "accounts",
        "customer_since",
        [5],
        level="warning",
        edit=setcell("accounts", 3, "customer_since", "1900-01-01"),
    ),
    # ---- text is text ----------------------------------------------------------------------------
    Case(
        "xlsx_na_is_north_america",
        ["Result: VALID"],
        "",
        "accounts",
        level="warning",
        edit=both(
            setcell("accounts", 0, "region", "NA"),
            setcell("accounts", 1, "country", "NA"),
            setcell("accounts", 2, "owner", "None"),
        ),
        fmt="xlsx",
        check=all_of(
            first("accounts", "region", ["NA", "Central", "South"]),
            first("accounts", "country", ["SE", "NA", "FR"]),
            first("accounts", "owner", ["M. Berg", "M. Berg", "None"]),
        ),
    ),
    Case(
        "lookup_error_in_region",
        ["1 value of region is a spreadsheet error (#N/A)", "line 3: '#N/A'", "paste it as values"],
        "spreadsheet_error",
        "accounts",
        "region",
        [3],
        edit=setcell("accounts", 1, "region", "#N/A"),
    ),
    Case(
        "xlsx_error_cell_is_named",
        ["accounts (accounts.xlsx)", "1 row has no region", "row 3: (empty)"],
        "missing_value",
        "accounts",
        "region",
        [3],
        edit=setcell("accounts", 1, "region", "#N/A"),  # stored as an Excel error cell
        fmt="xlsx",
    ),
    Case(
        "csv_ref_error_in_name",
        ["1 value of name is a spreadsheet error (#REF!)", "line 4: '#REF!'"],
        "spreadsheet_error",
        "products",
        "name",
        [4],
        edit=setcell("products", 2, "name", "#REF!"),
    ),
    Case(
        "div0_in_cost",
        ["1 value of cost is not a number", "line 3: '#DIV/0!'", "failed spreadsheet formulas"],
        "not_a_number",
        "orders",
        "cost",
        [3],
        edit=setcell("orders", 1, "cost", "#DIV/0!"),
    ),
    # ---- European and other number formats -----------------------------------------------------------
    Case(
        "semicolon_decimal_comma_thousands_dot",
        ["numbers in orders.csv are written with a decimal comma", "1.000 is one thousand"],
        "decimal_comma_detected",
        "orders",
        level="warning",
        edit=euro,
        sep=";",
        check=all_of(first("orders", "quantity", [1000.0, 2500.0, 10.0]), first("orders", "cost", [2700.5, 122.0])),
    ),
    Case(
        "ambiguous_thousands_dot",
        [
            "column 'quantity': every value of quantity with a dot has exactly three digits after it",
            "read with a decimal point (1.000 = 1)",
            "line 2: '1.000'; line 3: '2.500'",
            "orders: {decimal: ','}",
        ],
        "ambiguous_separator",
        "orders",
        "quantity",
        [2, 3],
        level="warning",
        edit=both(whole_numbers, setcol("orders", "quantity", ["1.000", "2.500"] + ["10"] * 10)),
        sep=";",
    ),
    Case(
        "ambiguous_thousands_comma",
        ["every value of net_revenue with a comma has exactly three digits after it", "1,000 = 1000"],
        "ambiguous_separator",
        "orders",
        "net_revenue",
        [2],
        level="warning",
        edit=both(whole_numbers, setcell("orders", 0, "net_revenue", "4,000")),
        check=first("orders", "net_revenue", [4000.0, 240.0]),
    ),
    Case(
        "declared_decimal_silences_ambiguity",
        ["Result: VALID", "Warnings: none"],
        "",
        "orders",
        level="warning",
        edit=both(whole_numbers, setcol("orders", "quantity", ["1.000", "2.500"] + ["10"] * 10)),
        mapping={"orders": {"decimal": ","}},
        check=first("orders", "quantity", [1000.0, 2500.0, 10.0]),
    ),
    Case(
        "french_spaces_decimal_comma",
        ["numbers in products.csv are written with a decimal comma"],
        "decimal_comma_detected",
        "products",
        level="warning",
        edit=both(
            setcol("products", "list_price", ["1\u202f042,50", "180,00", "12,75"]),
            setcol("products", "unit_cost", ["27", "120", "6,1"]),
        ),
        sep=";",
        check=check("products", "list_price", [1042.5, 180.0, 12.75]),
    ),
    Case(
        "swiss_apostrophe_thousands",
        ["Result: VALID"],
        "",
        "products",
        level="warning",
        edit=setcol("products", "list_price", ["1'042.50", "180", "12.75"]),
        check=check("products", "list_price", [1042.5, 180.0, 12.75]),
    ),
    Case(
        "mixed_decimal_styles_in_one_file",
        ["1 value of net_revenue uses a comma as decimal separator", "line 3: '240,5'"],
        "decimal_comma",
        "orders",
        "net_revenue",
        [3],
        edit=setcell("orders", 1, "net_revenue", "240,5"),
    ),
    # ---- credit notes and signs -----------------------------------------------------------------------
    Case(
        "sap_trailing_minus_credit_note_rejected",
        ["1 value of net_revenue is negative", "line 13: -1400", "remove credit notes and returns"],
        "out_of_range",
        "orders",
        "net_revenue",
        [13],
        edit=setcell("orders", 11, "net_revenue", "1400-"),
        mapping={"orders": {"negative_lines": "reject"}},
    ),
    Case(
        "accounting_parentheses_return_rejected",
        ["1 value of quantity is zero or negative", "line 9: -40", "remove returns and credit notes"],
        "out_of_range",
        "orders",
        "quantity",
        [9],
        edit=setcell("orders", 7, "quantity", "(40)"),
        mapping={"orders": {"negative_lines": "reject"}},
    ),
    Case(
        "sap_trailing_minus_credit_note_kept",
        ["1 order line is a return, credit note or rebate", "netted against revenue and margin", "Result: VALID"],
        "negative_lines",
        "orders",
        level="warning",
        edit=setcell("orders", 11, "net_revenue", "1400-"),
        check=check_row("orders", "order_id", "SO-1010", "net_revenue", -1400.0),
    ),
    Case(
        "accounting_parentheses_return_kept",
        ["1 order line is a return, credit note or rebate", "Result: VALID"],
        "negative_lines",
        "orders",
        level="warning",
        edit=both(
            setcell("orders", 7, "quantity", "(40)"),
            setcell("orders", 7, "net_revenue", "(480)"),
            setcell("orders", 7, "cost", "(244)"),
        ),
        check=lambda p: line_values(p, 7, (-40.0, -480.0, -244.0)),
    ),
    Case(
        "return_with_a_positive_revenue",
        ["1 line has a negative quantity but a positive net_revenue", "line 9: -40", "--negative-lines drop"],
        "sign_mismatch",
        "orders",
        "quantity",
        [9],
        edit=setcell("orders", 7, "quantity", "(40)"),
    ),
    Case(
        "rebate_line_without_quantity",
        ["1 order line is a return, credit note or rebate", "Result: VALID"],
        "negative_lines",
        "orders",
        level="warning",
        edit=both(
            setcell("orders", 11, "quantity", ""),
            setcell("orders", 11, "net_revenue", "-1400"),
            setcell("orders", 11, "cost", "0"),
        ),
        check=check_row("orders", "order_id", "SO-1010", "quantity", 0.0),
    ),
    Case(
        "negative_lines_option_misspelt",
        ["orders.negative_lines must be keep, drop or reject, not 'delete'"],
        "mapping",
        "mapping",
        mapping={"orders": {"negative_lines": "delete"}},
    ),
    # ---- identifiers ----------------------------------------------------------------------------------
    Case(
        "leading_zeros_kept",
        ["Result: VALID"],
        "",
        "accounts",
        level="warning",
        edit=zero_padded,
        check=all_of(first("accounts", "account_id", ["00123", "A002"]), first("orders", "account_id", ["00123"] * 2)),
    ),
    Case(
        "leading_zeros_lost_in_orders",
        ["1 row refers to 1 account_id value not in accounts: '123'", "line 2: '123'", "leading zeros"],
        "unknown_reference",
        "orders",
        "account_id",
        [2],
        edit=both(zero_padded, setcell("orders", 0, "account_id", "123")),
        absent=["'00123' ("],
    ),
    Case(
        "ids_padded_with_spaces",
        ["Result: VALID"],
        "",
        "orders",
        level="warning",
        edit=both(setcell("orders", 0, "account_id", "  A001 "), setcell("orders", 1, "product_id", "\u00a0P03\u00a0")),
        check=all_of(first("orders", "account_id", ["A001"]), first("orders", "product_id", ["P01", "P03"])),
    ),
    Case(
        "id_with_inner_space",
        ["account_id value not in accounts: 'A 001'", "line 6: 'A 001'"],
        "unknown_reference",
        "orders",
        "account_id",
        [6],
        edit=setcell("orders", 4, "account_id", "A 001"),
    ),
    # ---- encodings ----------------------------------------------------------------------------------------
    Case(
        "utf8_with_one_windows_1252_line",
        ["accounts.csv mixes encodings: 1 line is Windows-1252, the others UTF-8", "line 5"],
        "encoding",
        "accounts",
        level="warning",
        after=one_legacy_line,
        check=check("accounts", "name", ["Nordic Feed AB", "Müller Mühle GmbH", "Café Agro SA", "Prairie Mühle Inc"]),
        absent=["MÃ¼ller"],
    ),
    Case(
        "windows_1252_accounts",
        ["accounts.csv is not UTF-8; it was read as cp1252"],
        "encoding",
        "accounts",
        level="warning",
        after=cp1252_accounts,
        check=check("accounts", "name", ["Nordic Feed AB", "Müller Mühle GmbH", "Café Agro SA", "Prairie Mills Inc"]),
    ),
]


def build(tmp_path: Path, case: Case) -> Path:
    tables = valid_tables()
    if case.edit:
        case.edit(tables)
    kw = {"sep": case.sep} if case.fmt == "csv" and case.sep != "," else {}
    folder = write_folder(tmp_path / "export", tables, fmt=case.fmt, **kw)
    if case.after:
        case.after(folder)
    return folder


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


def test_whole_bad_input_corpus_has_100_cases():
    """This file's values, the original corpus and the readers' corpus together."""
    import importlib

    sizes = {m: len(importlib.import_module(m).CASES) for m in ("test_data_validation", "test_bad_inputs_sources")}
    assert sum(sizes.values()) + len(CASES) >= 100, sizes


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_value_is_reported(tmp_path, case):
    folder = build(tmp_path, case)
    report = validate_source(folder, mapping=case.mapping, as_of=case.as_of)
    text = report.to_text()
    for piece in case.expect:
        assert piece in text, f"{piece!r} not in:\n{text}"
    for piece in case.absent:
        assert piece not in text, f"{piece!r} in:\n{text}"
    assert "Traceback" not in text
    found = report.problems if case.level == "error" else report.warnings
    if case.kind:
        main_ = [p for p in found if p.kind == case.kind and p.table == case.table]
        assert main_, f"no {case.level} {case.kind} for {case.table}: {[(p.table, p.kind) for p in found]}"
        p = main_[0]
        if case.column is not None:
            assert p.column == case.column
        assert set(case.rows) <= set(p.rows), p.rows
    if case.level == "error":
        assert not report.ok
        with pytest.raises(DataValidationError) as info:
            load_portfolio(folder, mapping=case.mapping, as_of=case.as_of)
        for piece in case.expect:
            if not piece.startswith("as_of:"):
                assert piece in str(info.value)
    else:
        assert report.ok, text
        assert isinstance(report.portfolio, Portfolio)
        if case.check:
            case.check(report.portfolio)


# ---- text stays text in every format -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "sqlite"])
def test_na_and_none_are_text_in_every_format(tmp_path, fmt):
    tables = valid_tables()
    tables["accounts"]["region"] = ["NA", "None", "null", "EMEA"]
    tables["accounts"]["country"] = ["NA", "SE", "FR", "US"]  # Namibia
    if fmt == "sqlite":
        source = write_sqlite(tmp_path / "crm.db", tables)
    else:
        source = write_folder(tmp_path / "export", tables, fmt=fmt)
    portfolio = load_portfolio(source)
    assert portfolio.accounts["region"].tolist() == ["NA", "None", "null", "EMEA"]
    assert portfolio.accounts["country"].tolist()[0] == "NA"


# ---- the commands -------------------------------------------------------------------------------------


def test_validate_names_an_impossible_order_date_instead_of_a_timestamp_error(tmp_path, capsys):
    tables = valid_tables()
    tables["orders"].loc[2, "order_date"] = "2999-12-31"
    code = main(["validate", str(write_folder(tmp_path / "export", tables))])
    out = capsys.readouterr().out
    assert code == 1
    assert "orders (orders.csv)" in out and "column 'order_date'" in out and "line 4: '2999-12-31'" in out
    assert "Out of bounds" not in out and "Traceback" not in out


def test_validate_reads_sap_open_items_as_unpaid(tmp_path, capsys):
    tables = valid_tables()
    tables["invoices"]["paid_date"] = ["2023-03-01", "9999-12-31", "9999-12-31"]
    code = main(["validate", str(write_folder(tmp_path / "export", tables))])
    out = capsys.readouterr().out
    assert code == 0
    assert "2 values of paid_date are placeholders for 'no date' ('9999-12-31' (2x)): read as empty (not paid)" in out
    assert "Result: VALID" in out


def test_analyze_stops_on_infinite_revenue_with_a_message(tmp_path, capsys):
    tables = valid_tables()
    tables["orders"].loc[2, "net_revenue"] = "inf"
    code = main(["analyze", str(write_folder(tmp_path / "export", tables)), "--out", str(tmp_path / "b"), "--quiet"])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 1
    assert "1 value of net_revenue is infinite" in text and "line 4: 'inf'" in text
    assert "Traceback" not in text
    assert not (tmp_path / "b").exists()


def test_far_order_date_does_not_move_the_default_as_of(tmp_path):
    tables = valid_tables()
    tables["orders"].loc[2, "order_date"] = "2206-11-01"
    report = validate_source(write_folder(tmp_path / "export", tables))
    assert report.as_of == pd.Timestamp(LAST_ORDER)
    (p,) = [p for p in report.problems if p.kind == "far_future"]
    assert p.rows == [4] and p.values == ["2206-11-01"]


def test_as_of_far_in_the_future_is_refused():
    with pytest.raises(ValueError, match="as_of 2300-01-01 is more than a year in the future"):
        parse_as_of("2300-01-01")
    with pytest.raises(ValueError, match="more than a year in the future"):
        parse_as_of("9999-12-31")


# ---- the rules themselves ---------------------------------------------------------------------------------


def test_far_future_rule():
    now = pd.Timestamp("2026-12-04")
    bulk = list(pd.date_range("2023-01-01", "2024-06-28", periods=2000))
    # more than a year after today: always; after today and more than a year after the bulk: too
    dates = pd.Series(bulk + pd.to_datetime(["2026-12-20", "2027-06-01", "2028-01-10"]).tolist() + [pd.NaT])
    assert far_future(dates, now).tolist()[-5:] == [False, True, True, True, False]
    # data up to today: a date a few days ahead is a late export, not a typo
    recent = pd.Series(list(pd.date_range("2025-01-01", "2026-12-03", periods=500)) + [pd.Timestamp("2026-12-20")])
    assert not far_future(recent, now).any()
    # a handful of dates: 2206 by the hard rule, 2027 because it lies ahead of today and far beyond the rest
    few = pd.Series(pd.to_datetime(["2023-01-01", "2024-06-28", "2027-06-01", "2206-11-01"]))
    assert far_future(few, now).tolist() == [False, False, True, True]
    # two recent dates a day apart: neither is far from the other
    pair = pd.Series(pd.to_datetime(["2026-12-03", "2026-12-05"]))
    assert not far_future(pair, now).any()


def test_schema_contract_rejects_infinite_and_huge_numbers(tmp_path):
    portfolio = load_portfolio(write_folder(tmp_path / "export"))
    tables = dict(portfolio.tables)
    orders = tables["orders"].copy()
    orders.loc[0, "net_revenue"] = float("inf")
    orders.loc[1, "cost"] = 1e300
    tables["orders"] = orders
    with pytest.raises(DataValidationError) as info:
        validate_tables(tables, as_of=portfolio.as_of)
    text = str(info.value)
    assert "in_range" in text and "net_revenue" in text and "cost" in text
