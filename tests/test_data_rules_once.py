"""Each data rule is worded once (kamtools.data.schemas): the loader, which reports file rows,
and validate_tables, which checks canonical tables, say the same thing for the same fault."""

from __future__ import annotations

import pytest
from _factory import valid_tables, write_folder

from kamtools.data.loader import load_portfolio, validate_source
from kamtools.data.schemas import validate_tables
from kamtools.data.validation import DataValidationError


def _loaded(tmp_path):
    return load_portfolio(write_folder(tmp_path / "good"))


def _problem(report_or_error, kind):
    found = [p for p in report_or_error.problems if p.kind == kind]
    assert len(found) == 1, [str(p) for p in report_or_error.problems]
    return found[0]


def test_unknown_reference_same_words_in_loader_and_validate_tables(tmp_path):
    tables = valid_tables()
    tables["orders"].loc[4, "account_id"] = "A999"
    from_file = _problem(validate_source(write_folder(tmp_path / "bad", tables)), "unknown_reference")
    assert from_file.message == "1 row refers to 1 account_id value not in accounts: 'A999' (1 row)."

    canonical = dict(_loaded(tmp_path).tables)
    orders = canonical["orders"].copy()
    orders.loc[4, "account_id"] = "A999"
    canonical["orders"] = orders
    with pytest.raises(DataValidationError) as info:
        validate_tables(canonical)
    from_tables = _problem(info.value, "unknown_reference")
    assert (from_tables.message, from_tables.hint) == (from_file.message, from_file.hint)
    assert (from_tables.column, from_tables.rows, from_tables.values) == ("account_id", [5], ["'A999'"])


def test_duplicate_key_same_words_in_loader_and_validate_tables(tmp_path):
    tables = valid_tables()
    tables["products"].loc[1, "product_id"] = tables["products"].loc[0, "product_id"]
    from_file = _problem(validate_source(write_folder(tmp_path / "bad", tables)), "duplicate_key")

    canonical = dict(_loaded(tmp_path).tables)
    products = canonical["products"].copy()
    products.loc[1, "product_id"] = products.loc[0, "product_id"]
    canonical["products"] = products
    with pytest.raises(DataValidationError) as info:
        validate_tables({"products": products})
    from_tables = _problem(info.value, "duplicate_key")
    assert "occurs more than once" in from_tables.message
    assert (from_tables.message, from_tables.hint) == (from_file.message, from_file.hint)
    assert from_tables.rows == [1, 2]
