"""The pandera checks carry the user's words: a rule's failure found by the schemas (``validate_tables``, or
``schema(...).validate`` called directly) says what the loader says for the same fault in a file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from _factory import valid_tables, write_folder

from kamtools.data.loader import load_portfolio, validate_source
from kamtools.data.schemas import schema, validate_tables
from kamtools.data.validation import DataValidationError


@pytest.fixture(scope="module")
def canonical(tmp_path_factory):
    """The canonical tables of the factory export, as the loader returns them."""
    return dict(load_portfolio(write_folder(tmp_path_factory.mktemp("good"))).tables)


def _from_file(tmp_path, table, column, row, text):
    """The loader's single finding on ``table.column`` after writing ``text`` into ``row`` of the export."""
    tables = valid_tables()
    tables[table].loc[row, column] = text
    report = validate_source(write_folder(tmp_path / "bad", tables))
    found = [p for p in report.problems if p.table == table and p.column == column]
    assert len(found) == 1, [str(p) for p in report.problems]
    return found[0]


def _from_tables(canonical, table, column, row, value):
    """validate_tables' single finding on ``table.column`` after putting ``value`` into ``row``."""
    frame = canonical[table].copy()
    frame.loc[row, column] = value
    with pytest.raises(DataValidationError) as info:
        validate_tables({**canonical, table: frame})
    found = [p for p in info.value.problems if p.table == table and p.column == column]
    assert len(found) == 1, [str(p) for p in info.value.problems]
    return found[0]


@pytest.mark.parametrize(
    ("table", "column", "row", "text", "value", "message"),
    [
        # a bound (pandera's greater_than_or_equal_to)
        (
            "products",
            "list_price",
            1,
            "-180",
            -180.0,
            "1 value of list_price is negative; list_price must be at least 0.",
        ),
        # a column that must be filled (pandera's not_nullable)
        ("products", "name", 2, "", np.nan, "1 row has no name."),
        # the earliest date (pandera's greater_than_or_equal_to on a date)
        ("complaints", "opened_date", 0, "1985-03-01", pd.Timestamp("1985-03-01"), None),
    ],
    ids=["bound", "filled", "earliest-date"],
)
def test_schema_failure_says_what_the_loader_says(tmp_path, canonical, table, column, row, text, value, message):
    from_file = _from_file(tmp_path, table, column, row, text)
    if message is not None:
        assert from_file.message == message
    from_tables = _from_tables(canonical, table, column, row, value)
    assert (from_tables.message, from_tables.hint) == (from_file.message, from_file.hint)
    assert from_tables.rows == [row + 1]  # 1-based positions in the table
    assert from_tables.kind == "schema"


def test_date_order_failure_says_what_the_loader_says(tmp_path, canonical):
    from_file = _from_file(tmp_path, "complaints", "resolved_date", 0, "2000-01-01")
    assert from_file.message == "1 row has resolved_date before opened_date."
    from_tables = _from_tables(canonical, "complaints", "resolved_date", 0, pd.Timestamp("2000-01-01"))
    assert (from_tables.message, from_tables.hint, from_tables.values) == (
        from_file.message,
        from_file.hint,
        from_file.values,
    )


def test_pandera_error_carries_rule_and_hint_and_keeps_the_check_name(tmp_path, canonical):
    from_file = _from_file(tmp_path, "products", "list_price", 1, "-180")
    products = canonical["products"].copy()
    products.loc[1, "list_price"] = -180.0
    check = next(c for c in schema("products").columns["list_price"].checks if c.name == "greater_than_or_equal_to")
    assert check.error == f"greater_than_or_equal_to(0): list_price must be at least 0. What to do: {from_file.hint}"
    with pytest.raises(pa.errors.SchemaError) as info:
        schema("products").validate(products)
    assert "list_price must be at least 0. What to do: " + from_file.hint in str(info.value)


def test_as_of_bound_carries_the_loaders_hint(tmp_path, canonical):
    """The loader's after-as_of finding and the schema's 'not after as_of' check give the same advice."""
    tables = valid_tables()
    tables["complaints"].loc[0, "opened_date"] = "2024-08-01"
    report = validate_source(write_folder(tmp_path / "bad", tables), as_of=None)
    (from_file,) = [p for p in report.problems if p.kind == "after_as_of"]
    complaints = canonical["complaints"].copy()
    complaints.loc[0, "opened_date"] = pd.Timestamp("2024-08-01")
    as_of = canonical["orders"]["order_date"].max()
    with pytest.raises(DataValidationError) as info:
        validate_tables({"complaints": complaints}, as_of=as_of)
    (from_tables,) = [p for p in info.value.problems if p.column == "opened_date"]
    assert from_tables.message.startswith("failed the schema check less_than_or_equal_to(")
    assert from_tables.hint == f"opened_date must not be after as_of ({as_of.date()}): {from_file.hint}"
    assert from_tables.rows == [1]


def test_checks_without_a_rule_keep_pandera_words(canonical):
    orders = canonical["orders"].copy()
    orders.loc[0, "net_revenue"] = float("inf")
    with pytest.raises(DataValidationError) as info:
        validate_tables({"orders": orders})
    (found,) = info.value.problems
    assert found.message.startswith("failed the schema check in_range(")
    assert (found.column, found.rows, found.hint) == ("net_revenue", [1], "")


def test_reference_check_carries_the_loaders_words(tmp_path, canonical):
    from_file = _from_file(tmp_path, "orders", "account_id", 4, "A999")
    assert from_file.kind == "unknown_reference"
    orders = canonical["orders"].copy()
    orders.loc[4, "account_id"] = "A999"
    with_references = schema("orders", references=canonical)
    assert "account_id_in_accounts" in [c.name for c in with_references.columns["account_id"].checks]
    assert "account_id_in_accounts" not in [c.name for c in schema("orders").columns["account_id"].checks]
    with pytest.raises(pa.errors.SchemaError) as info:
        with_references.validate(orders)
    assert "account_id must exist in accounts.account_id. What to do: " + from_file.hint in str(info.value)

    from_tables = _from_tables(canonical, "orders", "account_id", 4, "A999")
    assert (from_tables.message, from_tables.hint, from_tables.kind) == (
        from_file.message,
        from_file.hint,
        "unknown_reference",
    )
    assert (from_tables.rows, from_tables.values) == ([5], ["'A999'"])
