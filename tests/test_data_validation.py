"""A corpus of broken exports: each case breaks one thing in a small valid folder and
checks the message the user sees (table, column, row numbers, what to do)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _factory import valid_tables, write_folder

from kamtools.data.loader import load_portfolio
from kamtools.data.schemas import SCHEMAS, schema, validate_tables
from kamtools.data.validation import DataValidationError, Problem

Tables = dict[str, pd.DataFrame]


@dataclass
class Case:
    """One defect: ``edit`` changes the tables before writing, ``after`` the folder."""

    id: str
    expect: list[str]  # substrings of the error message
    kind: str  # Problem.kind of the main problem
    table: str
    column: str | None = None
    rows: list[int] = field(default_factory=list)  # must be among the problem's rows
    edit: Callable[[Tables], None] | None = None
    after: Callable[[Path], None] | None = None
    mapping: dict | None = None
    fmt: str = "csv"


def setcell(table: str, row: int, column: str, value: object) -> Callable[[Tables], None]:
    def edit(t: Tables) -> None:
        t[table].loc[row, column] = value

    return edit


def rename(table: str, old: str, new: str) -> Callable[[Tables], None]:
    def edit(t: Tables) -> None:
        t[table] = t[table].rename(columns={old: new})

    return edit


def both(*edits: Callable[[Tables], None]) -> Callable[[Tables], None]:
    def edit(t: Tables) -> None:
        for e in edits:
            e(t)

    return edit


def write_bytes(name: str, data: bytes, remove: str | None = None) -> Callable[[Path], None]:
    def after(folder: Path) -> None:
        if remove:
            (folder / remove).unlink()
        (folder / name).write_bytes(data)

    return after


def add_field(name: str, line_index: int) -> Callable[[Path], None]:
    def after(folder: Path) -> None:
        lines = (folder / name).read_text().splitlines()
        lines[line_index] += ",surplus"
        (folder / name).write_text("\n".join(lines) + "\n")

    return after


def xlsx_as_csv(folder: Path) -> None:
    valid_tables()["products"].to_excel(folder / "tmp.xlsx", index=False)
    shutil.move(folder / "tmp.xlsx", folder / "products.csv")


# orders row i sits on CSV line i + 2 (the header is line 1)
CASES = [
    Case(
        "missing_required_table",
        ["required table orders is missing", "Put a file named orders.csv"],
        "missing_table",
        "orders",
        after=lambda f: (f / "orders.csv").unlink(),
    ),
    Case(
        "missing_table_renamed_file",
        ["required table orders is missing", "orders: {file: sales_lines.csv}"],
        "missing_table",
        "orders",
        after=lambda f: (f / "orders.csv").rename(f / "sales_lines.csv"),
    ),
    Case(
        "mapped_file_missing",
        ["the mapping names the file 'sales.csv' for table orders", "Did you mean 'orders.csv'?"],
        "missing_file",
        "orders",
        mapping={"orders": {"file": "sales.csv"}},
    ),
    Case(
        "missing_required_column",
        ["required column order_date is missing", "'Order Dt'", "orders: {columns: {'Order Dt': order_date}}"],
        "missing_column",
        "orders",
        "order_date",
        edit=rename("orders", "order_date", "Order Dt"),
    ),
    Case(
        "mapping_names_absent_column",
        ["the mapping takes it from 'Kunde', but the file has no such column"],
        "missing_column",
        "orders",
        "account_id",
        edit=rename("orders", "account_id", "Customer"),
        mapping={"orders": {"columns": {"Kunde": "account_id"}}},
    ),
    Case(
        "decimal_comma",
        ["orders (orders.csv)", "column 'quantity'", "line 5: '12,5'", "decimal: ','"],
        "decimal_comma",
        "orders",
        "quantity",
        [5],
        edit=setcell("orders", 3, "quantity", "12,5"),
    ),
    Case(
        "number_placeholder",
        ["1 value of quantity is not a number", "line 6: 'n/a'", "Placeholders such as 'n/a' are not allowed"],
        "not_a_number",
        "orders",
        "quantity",
        [6],
        edit=setcell("orders", 4, "quantity", "n/a"),
    ),
    Case(
        "number_with_unit",
        ["1 value of list_price is not a number", "line 3: '180 EUR'", "no units, currency symbols"],
        "not_a_number",
        "products",
        "list_price",
        [3],
        edit=setcell("products", 1, "list_price", "180 EUR"),
    ),
    Case(
        "invalid_date",
        ["1 value of order_date is not a valid date", "line 9: '2023-02-30'", "YYYY-MM-DD"],
        "not_a_date",
        "orders",
        "order_date",
        [9],
        edit=setcell("orders", 7, "order_date", "2023-02-30"),
    ),
    Case(
        "excel_serial_date",
        ["line 4: '45123'", "Excel serial dates"],
        "not_a_date",
        "orders",
        "order_date",
        [4],
        edit=setcell("orders", 2, "order_date", "45123"),
    ),
    Case(
        "mixed_date_formats",
        [
            "order_date mixes date formats",
            "YYYY-MM-DD in 10 rows",
            "DD/MM/YYYY in 2 rows (lines 4, 7)",
            "line 4: '03/02/2023'; line 7: '14/09/2023'",
            "one format, preferably YYYY-MM-DD",
        ],
        "mixed_date_formats",
        "orders",
        "order_date",
        [4, 7],
        edit=both(setcell("orders", 2, "order_date", "03/02/2023"), setcell("orders", 5, "order_date", "14/09/2023")),
    ),
    Case(
        "mixed_day_month_order",
        ["mixes day-first and month-first dates", "lines 2", "lines 3"],
        "mixed_day_month",
        "complaints",
        "opened_date",
        edit=lambda t: t["complaints"].__setitem__("opened_date", ["25/06/2023", "02/13/2024", "01/06/2024"]),
    ),
    Case(
        "ambiguous_day_month",
        ["can be read day-first or month-first", "complaints: {date_format: '%d/%m/%Y'}"],
        "ambiguous_dates",
        "complaints",
        "opened_date",
        edit=lambda t: t["complaints"].__setitem__("opened_date", ["02/06/2023", "10/02/2024", "01/06/2024"]),
    ),
    Case(
        "negative_quantity",
        ["1 line has a negative quantity but a positive net_revenue", "line 7: -3", "Correct the sign"],
        "sign_mismatch",
        "orders",
        "quantity",
        [7],
        edit=setcell("orders", 5, "quantity", "-3"),
    ),
    Case(
        "zero_quantity",
        ["quantity must be greater than 0", "line 2: 0"],
        "out_of_range",
        "orders",
        "quantity",
        [2],
        edit=setcell("orders", 0, "quantity", "0"),
    ),
    Case(
        "negative_revenue",
        ["1 value of net_revenue is negative", "line 13: -1400", "credit notes"],
        "out_of_range",
        "orders",
        "net_revenue",
        [13],
        edit=setcell("orders", 11, "net_revenue", "-1400"),
        mapping={"orders": {"negative_lines": "reject"}},
    ),
    Case(
        "negative_price",
        ["products (products.csv)", "list_price is negative", "line 4: -12.75"],
        "out_of_range",
        "products",
        "list_price",
        [4],
        edit=setcell("products", 2, "list_price", "-12.75"),
    ),
    Case(
        "status_not_allowed",
        [
            "'Closed Won' (1x, closest allowed: 'won')",
            "Allowed: open, won, lost",
            "values: {status: {'Closed Won': won}}",
        ],
        "not_allowed",
        "opportunities",
        "status",
        [2],
        edit=setcell("opportunities", 0, "status", "Closed Won"),
    ),
    Case(
        "severity_not_allowed",
        ["'urgent'", "Allowed: low, medium, high, critical", "line 3"],
        "not_allowed",
        "complaints",
        "severity",
        [3],
        edit=setcell("complaints", 1, "severity", "urgent"),
    ),
    Case(
        "probability_percent",
        ["probability looks like a percentage", "Divide probability by 100"],
        "percent_not_fraction",
        "opportunities",
        "probability",
        [2, 4, 5],
        edit=lambda t: t["opportunities"].__setitem__("probability", ["100", "0", "100", "40"]),
    ),
    Case(
        "probability_above_one",
        ["1 value of probability is above 1", "line 3: 1.5"],
        "out_of_range",
        "opportunities",
        "probability",
        [3],
        edit=setcell("opportunities", 1, "probability", "1.5"),
    ),
    Case(
        "duplicate_account_id",
        [
            "1 account_id value occurs more than once (2 rows)",
            "line 3: 'A002'; line 6: 'A002'",
            "Remove duplicated rows",
        ],
        "duplicate_key",
        "accounts",
        "account_id",
        [3, 6],
        edit=lambda t: t.__setitem__(
            "accounts", pd.concat([t["accounts"], t["accounts"].iloc[[1]]], ignore_index=True)
        ),
    ),
    Case(
        "duplicate_order_line",
        ["order_id + line value occurs more than once", "line 2: 'SO-1001/1'; line 3: 'SO-1001/1'"],
        "duplicate_key",
        "orders",
        None,
        [2, 3],
        edit=setcell("orders", 1, "line", "1"),
    ),
    Case(
        "unknown_account",
        ["1 row refers to 1 account_id value not in accounts: 'A999'", "line 6: 'A999'", "leading zeros"],
        "unknown_reference",
        "orders",
        "account_id",
        [6],
        edit=setcell("orders", 4, "account_id", "A999"),
    ),
    Case(
        "unknown_product",
        ["product_id value not in products: 'P99'", "line 8: 'P99'"],
        "unknown_reference",
        "orders",
        "product_id",
        [8],
        edit=setcell("orders", 6, "product_id", "P99"),
    ),
    Case(
        "unknown_contact",
        ["interactions (interactions.csv)", "contact_id value not in contacts: 'K-9'", "line 3"],
        "unknown_reference",
        "interactions",
        "contact_id",
        [3],
        edit=setcell("interactions", 1, "contact_id", "K-9"),
    ),
    Case(
        "date_after_as_of",
        ["dated after the last order date (2024-06-28)", "line 2: 2024-07-30", "--as-of"],
        "after_as_of",
        "interactions",
        "date",
        [2],
        edit=setcell("interactions", 0, "date", "2024-07-30"),
    ),
    Case(
        "date_before_1990",
        ["1 date in issue_date is before 1990-01-01", "line 2: 1985-01-31", "placeholders"],
        "date_too_early",
        "invoices",
        "issue_date",
        [2],
        edit=setcell("invoices", 0, "issue_date", "1985-01-31"),
    ),
    Case(
        "resolved_before_opened",
        ["1 row has resolved_date before opened_date", "line 2: opened_date 2023-06-02, resolved_date 2023-05-01"],
        "date_order",
        "complaints",
        "resolved_date",
        [2],
        edit=setcell("complaints", 0, "resolved_date", "2023-05-01"),
    ),
    Case(
        "paid_before_issued",
        ["paid_date before issue_date", "line 3"],
        "date_order",
        "invoices",
        "paid_date",
        [3],
        edit=setcell("invoices", 1, "paid_date", "2023-01-15"),
    ),
    Case(
        "due_before_issued",
        ["due_date before issue_date", "line 4: issue_date 2024-03-31, due_date 2024-03-01"],
        "date_order",
        "invoices",
        "due_date",
        [4],
        edit=setcell("invoices", 2, "due_date", "2024-03-01"),
    ),
    Case(
        "closed_before_created",
        ["close_date before created_date"],
        "date_order",
        "opportunities",
        "close_date",
        [3],
        edit=setcell("opportunities", 1, "close_date", "2023-05-01"),
    ),
    Case(
        "empty_required_table",
        ["required table products has no rows", "at least one row"],
        "empty_table",
        "products",
        edit=lambda t: t.__setitem__("products", t["products"].head(0)),
    ),
    Case(
        "empty_required_value",
        ["1 row has no name", "line 4: (empty)", "Every row needs a name"],
        "missing_value",
        "accounts",
        "name",
        [4],
        edit=setcell("accounts", 2, "name", ""),
    ),
    Case(
        "empty_required_id",  # issue 17 (OTHERLOG): a real log's lines without a customer read "needs a account_id"
        ["1 row has no account_id", "Every row needs an account_id"],
        "missing_value",
        "orders",
        "account_id",
        [3],
        edit=setcell("orders", 1, "account_id", ""),
    ),
    Case(
        "line_not_whole",
        ["1 value of line is not a whole number", "line 3: '2.5'"],
        "not_whole",
        "orders",
        "line",
        [3],
        edit=setcell("orders", 1, "line", "2.5"),
    ),
    Case(
        "binary_garbage_csv",
        ["products.csv is not a CSV text file (it holds binary data)"],
        "not_csv",
        "products",
        after=write_bytes("products.csv", bytes(range(256)) * 8),
    ),
    Case(
        "excel_named_csv",
        ["products.csv is not a CSV text file: it is an Excel workbook"],
        "not_csv",
        "products",
        after=xlsx_as_csv,
    ),
    Case(
        "corrupt_parquet",
        ["orders.parquet is not a readable Parquet file", "damaged"],
        "unreadable",
        "orders",
        after=write_bytes("orders.parquet", b"PAR1" + b"\x00garbage" * 20 + b"PAR1", remove="orders.csv"),
    ),
    Case(
        "corrupt_xlsx",
        ["accounts.xlsx could not be read as an Excel workbook", "save it again as .xlsx"],
        "unreadable",
        "accounts",
        after=write_bytes("accounts.xlsx", b"PK\x03\x04 this is not really a zip", remove="accounts.csv"),
    ),
    Case(
        "old_xls",
        ["products.xls is not a supported file type", "save it as .xlsx"],
        "bad_format",
        "products",
        after=write_bytes("products.xls", b"\xd0\xcf\x11\xe0 old", remove="products.csv"),
    ),
    Case(
        "empty_file",
        ["orders.csv could not be read as CSV: the file is empty"],
        "unreadable",
        "orders",
        after=write_bytes("orders.csv", b""),
    ),
    Case(
        "too_many_fields",
        ["1 line has more fields than the header (8)", "line 5: 9 fields", "double quotes"],
        "bad_lines",
        "orders",
        None,
        [5],
        after=add_field("orders.csv", 4),
    ),
    Case(
        "two_files_one_table",
        ["several files could hold table targets", "targets.csv", "targets.parquet"],
        "ambiguous_file",
        "targets",
        after=lambda f: valid_tables()["targets"].to_parquet(f / "targets.parquet"),
    ),
    Case(
        "two_columns_one_canonical",
        ["several columns could be order_date", "'Datum'", "'order_date'"],
        "duplicate_column",
        "orders",
        "order_date",
        edit=lambda t: t["orders"].__setitem__("Datum", t["orders"]["order_date"]),
        mapping={"orders": {"columns": {"Datum": "order_date"}}},
    ),
    Case(
        "mapping_unknown_table",
        ["'order' is not a kamtools table", "Did you mean 'orders'?"],
        "mapping_table",
        "mapping",
        mapping={"order": {"file": "orders.csv"}},
    ),
    Case(
        "mapping_unknown_column",
        ["table 'orders' has no column 'order_dat'", "Did you mean 'order_date'?"],
        "mapping_column",
        "mapping",
        "order_dat",
        mapping={"orders": {"columns": {"Date": "order_dat"}}},
    ),
    Case(
        "excel_row_numbers",
        ["accounts (accounts.xlsx)", "row 4: (empty)", "1 row has no owner"],
        "missing_value",
        "accounts",
        "owner",
        [4],
        edit=setcell("accounts", 2, "owner", None),
        fmt="xlsx",
    ),
    Case(
        "parquet_row_numbers",
        ["orders (orders.parquet)", "row 3: -1"],
        "out_of_range",
        "orders",
        "cost",
        [3],
        edit=setcell("orders", 2, "cost", "-1"),
        fmt="parquet",
    ),
]


def build(tmp_path: Path, case: Case) -> Path:
    tables = valid_tables()
    if case.edit:
        case.edit(tables)
    folder = write_folder(tmp_path / "export", tables, fmt=case.fmt)
    if case.after:
        case.after(folder)
    return folder


def test_corpus_is_large_enough():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input_is_reported(tmp_path, case):
    folder = build(tmp_path, case)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(folder, mapping=case.mapping)
    err = info.value
    text = str(err)
    for piece in case.expect:
        assert piece in text, f"{piece!r} not in:\n{text}"
    main = [p for p in err.problems if p.kind == case.kind and p.table == case.table]
    assert main, f"no {case.kind} problem for {case.table}: {[(p.table, p.kind) for p in err.problems]}"
    p = main[0]
    if case.column is not None:
        assert p.column == case.column
    assert set(case.rows) <= set(p.rows)
    assert isinstance(err, ValueError)
    assert "Traceback" not in text


def test_all_problems_collected_in_one_error(tmp_path):
    """Three defects in two tables: all three are listed in one error."""
    tables = valid_tables()
    tables["orders"].loc[3, "quantity"] = "-5"
    tables["orders"].loc[6, "product_id"] = "P77"
    tables["accounts"].loc[1, "customer_since"] = "not a date"
    folder = write_folder(tmp_path / "export", tables)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(folder)
    err = info.value
    kinds = {(p.table, p.column, p.kind) for p in err.problems}
    assert ("orders", "quantity", "sign_mismatch") in kinds  # a negative quantity on a sale
    assert ("orders", "product_id", "unknown_reference") in kinds
    assert ("accounts", "customer_since", "not_a_date") in kinds
    assert len(err.problems) == 3
    text = str(err)
    assert text.startswith("3 data problems found in")
    assert text.index("accounts (accounts.csv)") < text.index("orders (orders.csv)")
    assert "line 5: -5" in text and "line 8: 'P77'" in text and "line 3: 'not a date'" in text


def test_problem_is_structured(tmp_path):
    tables = valid_tables()
    tables["orders"]["quantity"] = ["-1"] * 12
    folder = write_folder(tmp_path / "export", tables)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(folder)
    (p,) = info.value.problems
    assert isinstance(p, Problem)
    assert (p.table, p.column, p.origin, p.row_label) == ("orders", "quantity", "orders.csv", "line")
    assert p.rows == [2, 3, 4, 5, 6] and p.values == ["-1"] * 5 and p.n_rows == 12
    assert p.message and p.hint
    assert "... and 7 more lines" in str(p)


def test_cell_reported_once(tmp_path):
    """An unreadable required number is one problem, not also 'missing' or 'out of range'."""
    tables = valid_tables()
    tables["orders"].loc[0, "quantity"] = "lots"
    folder = write_folder(tmp_path / "export", tables)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(folder)
    assert [p.kind for p in info.value.problems] == ["not_a_number"]


def test_unknown_values_are_summarised(tmp_path):
    tables = valid_tables()
    tables["contacts"]["role"] = ["Decision Maker", "Economic Buyer", "Economic Buyer"]
    folder = write_folder(tmp_path / "export", tables)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(folder)
    text = str(info.value)
    # "Decision Maker" is matched ignoring case and spacing; "Economic Buyer" is not allowed
    assert "2 rows hold values that are not allowed for role: 'Economic Buyer' (2x" in text
    assert "lines" not in text.split("role")[0][-5:]


# ---- the schemas, derived from the model ---------------------------------------------------


def test_schemas_cover_every_table_and_column():
    from kamtools.data.model import TABLES

    assert set(SCHEMAS) == set(TABLES)
    for name, spec in TABLES.items():
        s = SCHEMAS[name]
        assert list(s.columns) == spec.column_names
        for col in spec.columns:
            # columns the loader derives when the export lacks them are always in the loaded table
            assert s.columns[col.name].nullable == (col.nullable and not col.derived)
            assert s.columns[col.name].required == (col.required or col.derived is not None)


def test_schema_accepts_loaded_portfolio(tmp_path):
    portfolio = load_portfolio(write_folder(tmp_path / "export"))
    validate_tables(portfolio.tables, as_of=portfolio.as_of)


def test_schema_rejects_bad_values():
    p_frame = pd.DataFrame(
        {
            "product_id": pd.Series(["P1", "P1"], dtype="str"),
            "name": pd.Series(["a", "b"], dtype="str"),
            "category": pd.Series(["c", "c"], dtype="str"),
            "list_price": [1.0, -2.0],
            "unit_cost": [0.5, 0.5],
        }
    )
    with pytest.raises(DataValidationError) as info:
        validate_tables({"products": p_frame})
    kinds = {(p.column, p.kind) for p in info.value.problems}
    assert ("list_price", "schema") in kinds
    assert any(p.column == "product_id" or "uniqueness" in p.message for p in info.value.problems)


def test_schema_as_of_bound_and_date_order():
    s = schema("complaints", as_of="2024-01-31")
    frame = pd.DataFrame(
        {
            "complaint_id": pd.Series(["C1", "C2"], dtype="str"),
            "account_id": pd.Series(["A", "A"], dtype="str"),
            "opened_date": pd.to_datetime(["2024-01-10", "2024-02-10"]).astype("datetime64[ns]"),
            "resolved_date": pd.to_datetime(["2024-01-05", None]).astype("datetime64[ns]"),
            "severity": pd.Series(["low", "high"], dtype="str"),
            "category": pd.Series(["x", np.nan], dtype="str"),
            "description": pd.Series([np.nan, np.nan], dtype="str"),
        }
    )
    import pandera.pandas as pa

    with pytest.raises(pa.errors.SchemaErrors) as info:
        s.validate(frame, lazy=True)
    checks = set(info.value.failure_cases["check"].astype(str))
    assert any("less_than_or_equal_to" in c for c in checks)
    assert "resolved_date_not_before_opened_date" in checks
