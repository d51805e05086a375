"""Validation of the issue-20 columns: unknown parents, cycles, attitudes; group parents without orders."""

from __future__ import annotations

import pandas as pd
import pytest
from _factory import valid_tables, write_folder

from kamtools.data.dictionary import markdown
from kamtools.data.loader import load_portfolio, validate_source
from kamtools.data.schemas import validate_tables
from kamtools.data.validation import DataValidationError


def _with_group(parents: list[str]) -> dict[str, pd.DataFrame]:
    """The factory export plus a group account G01 (no orders); ``parents`` for A001..A004."""
    t = valid_tables()
    acc = t["accounts"]
    group = acc.iloc[[0]].assign(account_id="G01", name="Nordic Group", customer_since="", parent_account_id="")
    acc["parent_account_id"] = parents
    t["accounts"] = pd.concat([acc, group], ignore_index=True)
    return t


def _error(tmp_path, tables) -> str:
    with pytest.raises(DataValidationError) as exc:
        load_portfolio(write_folder(tmp_path / "src", tables))
    return str(exc.value)


def test_account_cycle_names_rows_and_chain(tmp_path):
    text = _error(tmp_path, _with_group(["A002", "A003", "A002", "G01"]))
    assert "accounts.parent_account_id forms a cycle: A002 -> A003 -> A002" in text
    assert "an account cannot be its own parent, directly or through other accounts" in text
    assert "line 3: 'A003'; line 4: 'A002'" in text  # A002 and A003, the rows on the cycle (header is line 1)
    assert "line 2" not in text.split("forms a cycle")[1]  # A001 only hangs below the cycle
    assert "What to do: Fix the parent_account_id of one account on each cycle" in text


def test_self_parent_is_a_cycle(tmp_path):
    text = _error(tmp_path, _with_group(["A001", "", "", ""]))
    assert "accounts.parent_account_id forms a cycle: A001 -> A001" in text


def test_several_cycles_listed(tmp_path):
    text = _error(tmp_path, _with_group(["A002", "A001", "A004", "A003"]))
    assert "forms 2 cycles: A001 -> A002 -> A001; A003 -> A004 -> A003" in text


def test_unknown_parent_is_an_error_naming_the_id(tmp_path):
    text = _error(tmp_path, _with_group(["G09", "G01", "", ""]))
    assert "accounts (accounts.csv)" in text and "column 'parent_account_id'" in text
    assert "1 row refers to 1 parent_account_id value not in accounts: 'G09' (1 row)" in text
    assert "leave parent_account_id empty where there is none" in text


def test_reporting_line_cycle_and_unknown_manager(tmp_path):
    t = valid_tables()
    t["contacts"]["reports_to"] = ["K-2", "K-1", "K-99"]
    text = _error(tmp_path, t)
    assert "contacts.reports_to forms a cycle: K-1 -> K-2 -> K-1" in text
    assert "a person cannot report to themselves" in text
    assert "refers to 1 reports_to value not in contacts: 'K-99'" in text


def test_attitude_outside_the_list_is_an_error(tmp_path):
    t = valid_tables()
    t["contacts"]["attitude"] = ["champion", "friendly", ""]
    text = _error(tmp_path, t)
    assert "column 'attitude'" in text and "'friendly'" in text


def test_validate_tables_reports_cycles(tmp_path):
    acc = load_portfolio(write_folder(tmp_path / "src")).accounts.copy()
    acc["parent_account_id"] = pd.Series(["A002", "A001", None, None], dtype="str")
    with pytest.raises(DataValidationError, match="forms a cycle: A001 -> A002 -> A001") as exc:
        validate_tables({"accounts": acc})
    assert [(p.column, p.rows, p.kind) for p in exc.value.problems] == [("parent_account_id", [1, 2], "cycle")]


def test_group_parent_without_orders_loads_with_an_info_line(tmp_path):
    t = _with_group(["G01", "G01", "", ""])
    report = validate_source(write_folder(tmp_path / "src", t))
    assert report.ok, report.to_text()
    text = report.to_text()
    assert "1 group parent without orders of its own (G01): read as a group of its units, not as customers." in text
    assert "have no orders" not in text
    accounts = report.portfolio.accounts.set_index("account_id")
    assert accounts.loc["G01", "customer_since"] == report.portfolio.as_of  # derived: no orders


def test_deep_hierarchy_loads(tmp_path):
    t = valid_tables()
    n = 60
    acc = t["accounts"]
    levels = acc.iloc[[0] * n].assign(
        account_id=[f"L{i:02d}" for i in range(n)],
        parent_account_id=[""] + [f"L{i - 1:02d}" for i in range(1, n)],
    )
    acc["parent_account_id"] = [f"L{n - 1:02d}", "L10", "", ""]
    t["accounts"] = pd.concat([acc, levels], ignore_index=True)
    p = load_portfolio(write_folder(tmp_path / "src", t))
    from kamtools.groups.tree import hierarchy

    assert hierarchy(p.accounts).set_index("account_id").loc["A001", "depth"] == n


def test_truncate_keeps_group_parents_and_resets_later_departures(tmp_path):
    t = _with_group(["G01", "G01", "", ""])
    t["contacts"]["left_date"] = ["2024-05-31", "2023-12-31", ""]
    p = load_portfolio(write_folder(tmp_path / "src", t))
    early = p.truncate("2024-01-31")
    ids = early.accounts["account_id"].tolist()
    assert ids == ["A001", "A002", "A003", "A004", "G01"]
    assert early.accounts.set_index("account_id").loc["G01", "customer_since"] == pd.Timestamp("2024-01-31")
    left = early.tables["contacts"].set_index("contact_id")["left_date"]
    assert pd.isna(left["K-1"]) and left["K-2"] == pd.Timestamp("2023-12-31")


def test_dictionary_states_the_tree_rule():
    text = markdown()
    assert "`parent_account_id`" in text and "`reports_to`" in text and "`employee`" in text
    assert "must exist in accounts.account_id; any depth; no cycles" in text
    assert "one of champion, supporter, neutral, detractor" in text


def test_mapping_renames_the_new_columns_and_values(tmp_path):
    t = _with_group(["G01", "G01", "", ""])
    t["accounts"] = t["accounts"].rename(columns={"parent_account_id": "Parent Account"})
    t["contacts"] = t["contacts"].rename(columns={"attitude": "Relationship", "reports_to": "Reports To"})
    t["contacts"]["Relationship"] = ["Advocate", "Negative", ""]
    t["interactions"] = t["interactions"].rename(columns={"employee": "Assigned To"})
    mapping = {
        "accounts": {"columns": {"Parent Account": "parent_account_id"}},
        "contacts": {
            "columns": {"Relationship": "attitude", "Reports To": "reports_to"},
            "values": {"attitude": {"Advocate": "champion", "Negative": "detractor"}},
        },
        "interactions": {"columns": {"Assigned To": "employee"}},
    }
    p = load_portfolio(write_folder(tmp_path / "src", t), mapping=mapping)
    assert p.accounts.set_index("account_id").loc["A002", "parent_account_id"] == "G01"
    assert p.tables["contacts"]["attitude"].tolist()[:2] == ["champion", "detractor"]
    assert p.tables["interactions"]["employee"].iloc[0] == "M. Berg"


def test_validate_command_exits_1_and_prints_the_chain(tmp_path, capsys):
    from kamtools.cli import main

    code = main(["validate", str(write_folder(tmp_path / "src", _with_group(["G01", "G01", "A004", "A003"])))])
    out = capsys.readouterr().out
    assert code == 1
    assert "accounts.parent_account_id forms a cycle: A003 -> A004 -> A003" in out
    assert "Result: NOT VALID - 1 problem to fix." in out
