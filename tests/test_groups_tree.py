"""The account hierarchy helpers (kamtools.groups.tree) and the new optional columns of issue 20."""

from __future__ import annotations

import pandas as pd
import pytest
from _factory import valid_tables, write_folder

from kamtools.data.loader import load_portfolio
from kamtools.data.model import ATTITUDES, TABLES
from kamtools.groups.tree import children, descendants, find_cycle, hierarchy, parent_map


def _accounts(pairs: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame({"account_id": list(pairs), "parent_account_id": pd.Series(list(pairs.values()), dtype="str")})


GROUP = _accounts({"A1": "R1", "A2": "G1", "G1": None, "R1": "G1", "A3": None, "A4": "R1"})


def test_hierarchy_columns_depth_path_and_sizes():
    h = hierarchy(GROUP)
    assert list(h.columns) == [
        "account_id",
        "parent_account_id",
        "group_id",
        "depth",
        "path",
        "n_children",
        "n_descendants",
        "is_group",
    ]
    assert h["account_id"].tolist() == ["A1", "A2", "A3", "A4", "G1", "R1"]
    row = h.set_index("account_id")
    assert row.loc["A1", "path"] == "G1 > R1 > A1"
    assert row.loc["A1", "depth"] == 2 and row.loc["A1", "group_id"] == "G1"
    assert pd.isna(row.loc["G1", "parent_account_id"]) and row.loc["G1", "depth"] == 0
    assert (row.loc["G1", "n_children"], row.loc["G1", "n_descendants"]) == (2, 4)
    assert (row.loc["R1", "n_children"], row.loc["R1", "n_descendants"]) == (2, 2)
    assert row["is_group"].to_dict() == {"A1": False, "A2": False, "A3": False, "A4": False, "G1": True, "R1": True}
    assert row.loc["A3", "group_id"] == "A3" and row.loc["A3", "path"] == "A3"


def test_descendants_and_children_sorted():
    h = hierarchy(GROUP)
    assert descendants(h, "G1") == ["A1", "A2", "A4", "R1"]
    assert descendants(h, "G1", include_self=True) == ["A1", "A2", "A4", "G1", "R1"]
    assert descendants(h, "R1") == ["A1", "A4"]
    assert descendants(h, "A3") == [] and descendants(h, "nope") == []
    assert children(h, "G1") == ["A2", "R1"] and children(h, "A1") == []


def test_flat_portfolio_every_account_its_own_group():
    flat = pd.DataFrame({"account_id": ["B", "A"]})  # no parent column at all
    h = hierarchy(flat)
    assert h["group_id"].tolist() == ["A", "B"]
    assert h["depth"].tolist() == [0, 0] and not h["is_group"].any()
    assert h["parent_account_id"].isna().all() and parent_map(flat) == {}


def test_deep_chain_has_unlimited_depth():
    n = 3000  # deeper than Python's recursion limit
    pairs = {f"U{i:05d}": (f"U{i - 1:05d}" if i else None) for i in range(n)}
    h = hierarchy(_accounts(pairs))
    assert h["depth"].max() == n - 1
    assert (h["group_id"] == "U00000").all()
    assert h.set_index("account_id").loc["U00000", "n_descendants"] == n - 1


def test_find_cycle_chain():
    assert find_cycle({"G2": "G1", "G1": "G2", "A": "G1"}) == ["G1", "G2", "G1"]
    assert find_cycle({"X": "X"}) == ["X", "X"]
    assert find_cycle({"A": "B", "B": "C"}) is None
    assert find_cycle({"C": "A", "A": "B", "B": "C", "D": "E"}) == ["A", "B", "C", "A"]
    with pytest.raises(ValueError, match="G1 -> G2 -> G1"):
        hierarchy(_accounts({"G1": "G2", "G2": "G1"}))


def test_parent_map_for_reporting_lines():
    contacts = pd.DataFrame({"contact_id": ["K1", "K2"], "reports_to": pd.Series(["K2", None], dtype="str")})
    assert parent_map(contacts, "contact_id", "reports_to") == {"K1": "K2"}


def test_model_declares_the_new_optional_columns():
    assert ATTITUDES == ("champion", "supporter", "neutral", "detractor")
    acc = TABLES["accounts"].column("parent_account_id")
    assert (acc.dtype, acc.required, acc.nullable, acc.references) == ("id", False, True, "accounts.account_id")
    assert TABLES["contacts"].column("reports_to").references == "contacts.contact_id"
    assert TABLES["contacts"].column("attitude").allowed == ATTITUDES
    assert TABLES["contacts"].column("left_date").dtype == "date"
    assert TABLES["interactions"].column("employee").dtype == "text"


NEW_COLUMNS = {
    "accounts": ["parent_account_id"],
    "contacts": ["reports_to", "attitude", "left_date"],
    "interactions": ["employee"],
}


def test_old_data_loads_with_the_new_columns_empty(tmp_path):
    t = valid_tables()
    for name, cols in NEW_COLUMNS.items():
        t[name] = t[name].drop(columns=cols)
    p = load_portfolio(write_folder(tmp_path / "src", t))
    said = "\n".join(p.warnings)
    for name, cols in NEW_COLUMNS.items():
        assert f"{name} ({name}.csv): optional column{'s' if len(cols) > 1 else ''} not supplied" in said
    assert p.accounts["parent_account_id"].isna().all()
    contacts, interactions = p.tables["contacts"], p.tables["interactions"]
    assert contacts["reports_to"].isna().all() and contacts["attitude"].isna().all()
    assert str(contacts["left_date"].dtype) == "datetime64[ns]" and contacts["left_date"].isna().all()
    assert interactions["employee"].isna().all()


def test_new_columns_load_typed(tmp_path):
    t = valid_tables()
    t["accounts"]["parent_account_id"] = ["", "A001", "A001", ""]
    t["contacts"]["reports_to"] = ["", "K-1", "K-2"]
    t["contacts"]["attitude"] = ["champion", "", "detractor"]
    t["contacts"]["left_date"] = ["", "2024-03-31", ""]
    t["interactions"]["employee"] = ["M. Berg", "", "L. Roux", "M. Berg"]
    p = load_portfolio(write_folder(tmp_path / "src", t))
    assert p.accounts["parent_account_id"].tolist()[1:3] == ["A001", "A001"]
    c = p.tables["contacts"]
    assert c["attitude"].tolist()[0] == "champion" and pd.isna(c["attitude"].iloc[1])
    assert c["left_date"].iloc[1] == pd.Timestamp("2024-03-31")
    assert p.tables["interactions"]["employee"].iloc[2] == "L. Roux"
    assert hierarchy(p.accounts).set_index("account_id").loc["A001", "n_children"] == 2
