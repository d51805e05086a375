"""Loading real exports: formats, encodings, mapping, dtypes, as_of and warnings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _factory import LAST_ORDER, valid_tables, write_folder, write_sqlite
from hypothesis import given, settings
from hypothesis import strategies as st

from kamtools.data.dictionary import markdown
from kamtools.data.loader import load_portfolio, validate_source
from kamtools.data.mapping import load_mapping
from kamtools.data.model import TABLES
from kamtools.data.parsing import Where, to_date, to_number
from kamtools.data.readers import SourceNotFoundError
from kamtools.data.schemas import PANDAS_DTYPES
from kamtools.data.validation import DataValidationError

ROOT = Path(__file__).resolve().parents[1]


def assert_canonical(portfolio) -> None:
    """Every table has exactly the canonical columns with the canonical dtypes."""
    for name, df in portfolio.tables.items():
        spec = TABLES[name]
        assert list(df.columns) == spec.column_names, name
        for col in spec.columns:
            want = PANDAS_DTYPES[col.dtype]
            got = df[col.name].dtype
            assert str(got) == want or (want == "str" and got == "str"), f"{name}.{col.name}: {got}"
        assert isinstance(df.index, pd.RangeIndex) and df.index.start == 0


# ---- sources and formats ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_valid_folder_loads(tmp_path, fmt):
    portfolio = load_portfolio(write_folder(tmp_path / "export", fmt=fmt))
    assert portfolio.as_of == pd.Timestamp(LAST_ORDER)
    assert portfolio.warnings == []
    assert {k: len(v) for k, v in portfolio.tables.items()} == {k: len(v) for k, v in valid_tables().items()}
    assert_canonical(portfolio)
    orders = portfolio.orders
    assert orders.loc[0, "order_id"] == "SO-1001" and orders.loc[0, "line"] == 1
    assert orders["net_revenue"].sum() == pytest.approx(24030.0)
    assert portfolio.accounts.loc[1, "name"] == "Müller Mühle GmbH"
    assert pd.isna(portfolio.accounts.loc[2, "potential_revenue"])
    assert pd.isna(portfolio.tables["invoices"].loc[2, "paid_date"])
    assert pd.isna(portfolio.tables["interactions"].loc[3, "contact_id"])


def test_sqlite_database_loads(tmp_path):
    url = write_sqlite(tmp_path / "crm.db")
    portfolio = load_portfolio(url)
    assert_canonical(portfolio)
    assert len(portfolio.orders) == 12 and portfolio.as_of == pd.Timestamp(LAST_ORDER)


def test_sqlite_problems_use_row_numbers(tmp_path):
    tables = valid_tables()
    tables["orders"].loc[2, "quantity"] = "-4"
    with pytest.raises(DataValidationError) as info:
        load_portfolio(write_sqlite(tmp_path / "crm.db", tables))
    assert "orders (database table orders)\n    1. column 'quantity'" in str(info.value)
    assert "row 3: -4" in str(info.value)


def test_missing_sqlite_file_is_not_created(tmp_path):
    with pytest.raises(SourceNotFoundError):
        load_portfolio(f"sqlite:///{tmp_path / 'nope.db'}")
    assert not (tmp_path / "nope.db").exists()


def test_single_workbook_with_a_sheet_per_table(tmp_path):
    path = tmp_path / "exports.xlsx"
    with pd.ExcelWriter(path) as xw:
        for name, df in valid_tables().items():
            if name in ("accounts", "products", "orders"):
                df.to_excel(xw, sheet_name=name.capitalize(), index=False)
    portfolio = load_portfolio(path)
    assert len(portfolio.orders) == 12
    assert not portfolio.has("opportunities")


def test_gzip_csv_and_mixed_formats(tmp_path):
    folder = write_folder(tmp_path / "export")
    (folder / "orders.csv").unlink()
    valid_tables()["orders"].to_csv(folder / "orders.csv.gz", index=False)
    (folder / "accounts.csv").unlink()
    valid_tables()["accounts"].to_parquet(folder / "accounts.parquet")
    assert len(load_portfolio(folder).orders) == 12


def test_source_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="source not found"):
        load_portfolio(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="mapping file not found"):
        load_portfolio(write_folder(tmp_path / "export"), mapping=tmp_path / "nope.yml")


def test_lazy_top_level_export():
    import kamtools

    assert kamtools.load_portfolio is load_portfolio


# ---- text files as they really come ------------------------------------------------------------


def test_cp1252_file_is_read_correctly_with_a_warning(tmp_path):
    folder = write_folder(tmp_path / "export")
    valid_tables()["accounts"].to_csv(folder / "accounts.csv", index=False, encoding="cp1252")
    valid_tables()["contacts"].to_csv(folder / "contacts.csv", index=False, encoding="latin-1")
    portfolio = load_portfolio(folder)
    assert portfolio.accounts["name"].tolist()[1:3] == ["Müller Mühle GmbH", "Café Agro SA"]
    assert portfolio.tables["contacts"]["name"].tolist()[1:] == ["Jörg Weiß", "Élodie Roux"]
    enc = [w for w in portfolio.warnings if "not UTF-8" in w]
    assert any("accounts.csv" in w and "cp1252" in w for w in enc)
    assert len(enc) == 2


def test_utf8_bom_semicolons_and_decimal_comma(tmp_path):
    folder = write_folder(tmp_path / "export")
    orders = valid_tables()["orders"]
    for col in ("net_revenue", "cost"):
        orders[col] = orders[col].str.replace(".", ",", regex=False)
    orders.loc[0, "net_revenue"] = "4.000,00"
    orders.to_csv(folder / "orders.csv", index=False, sep=";", encoding="utf-8-sig")
    mapping = {"orders": {"decimal": ","}}
    portfolio = load_portfolio(folder, mapping=mapping)
    assert portfolio.orders["net_revenue"].sum() == pytest.approx(24030.0)
    assert portfolio.orders.columns[0] == "order_id"  # BOM gone from the header
    assert portfolio.warnings == []


def test_utf16_tab_separated(tmp_path):
    folder = write_folder(tmp_path / "export")
    valid_tables()["products"].to_csv(folder / "products.csv", index=False, sep="\t", encoding="utf-16")
    portfolio = load_portfolio(folder)
    assert portfolio.products["list_price"].tolist() == [42.5, 180.0, 12.75]


def test_thousands_separators(tmp_path):
    tables = valid_tables()
    tables["accounts"]["potential_revenue"] = ["1,250,000", "800 000", "", "450,000.50"]
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert portfolio.accounts["potential_revenue"].tolist()[:2] == [1_250_000.0, 800_000.0]
    assert portfolio.accounts["potential_revenue"].iloc[3] == 450_000.5


def test_blank_lines_are_skipped_and_line_numbers_stay_true(tmp_path):
    folder = write_folder(tmp_path / "export")
    text = (folder / "orders.csv").read_text().replace("\nSO-1003", "\n\n\nSO-1003") + "\n\n"
    text = text.replace("SO-1005,1,A001,P02,2023-09-14,12", "SO-1005,1,A001,P02,2023-09-14,-12")
    (folder / "orders.csv").write_text(text)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(folder)
    (p,) = info.value.problems
    assert p.rows == [9] and p.values == ["-12"]  # data line 7 + the two blank lines
    blank = [w for w in info.value.warnings if w.kind == "blank_lines"]
    assert blank and blank[0].rows == [5, 6]


def test_ids_are_text_without_float_artefacts_or_spaces(tmp_path):
    tables = valid_tables()
    tables["accounts"]["account_id"] = ["1001.0", " 1002 ", "1003", "1004"]
    tables["orders"]["account_id"] = [
        "1001",
        "1001",
        "1002",
        "1003",
        "1004",
        "1001",
        "1002",
        "1002",
        "1003",
        "1004",
        "1001.0",
        "1002",
    ]
    for name in ["opportunities", "complaints", "invoices", "contacts", "interactions", "targets", "competitor_prices"]:
        del tables[name]
    folder = write_folder(tmp_path / "export", tables)
    pd.DataFrame({"account_id": [1001.0, 1002.0, 1003.0, 1004.0]}).merge(
        tables["accounts"].drop(columns="account_id").assign(k=range(4)), left_index=True, right_on="k"
    ).drop(columns="k").to_parquet(folder / "accounts.parquet")
    (folder / "accounts.csv").unlink()
    portfolio = load_portfolio(folder)
    assert portfolio.accounts["account_id"].tolist() == ["1001", "1002", "1003", "1004"]
    assert set(portfolio.orders["account_id"]) == {"1001", "1002", "1003", "1004"}


def test_extra_columns_are_left_out_with_a_warning(tmp_path):
    tables = valid_tables()
    tables["orders"]["Sales Rep"] = "X"
    tables["orders"]["Unnamed: 9"] = ""
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert "Sales Rep" not in portfolio.orders.columns
    assert any("orders" in w and "'Sales Rep'" in w and "not used" in w for w in portfolio.warnings)


def test_headers_match_ignoring_case_and_spacing(tmp_path):
    tables = valid_tables()
    tables["orders"].columns = [
        "Order ID",
        "LINE",
        "Account-ID",
        "ProductID",
        "Order Date",
        "Quantity",
        "NetRevenue",
        "cost",
    ]
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert list(portfolio.orders.columns) == TABLES["orders"].column_names


def test_placeholders_are_empty_in_nullable_columns(tmp_path):
    tables = valid_tables()
    tables["invoices"]["paid_date"] = ["2023-03-01", "2023-04-15", "NULL"]
    tables["opportunities"]["probability"] = ["1", "0", "1", "n/a"]
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert portfolio.tables["invoices"]["paid_date"].isna().tolist() == [False, False, True]
    assert pd.isna(portfolio.tables["opportunities"].loc[3, "probability"])


def test_category_values_match_ignoring_case_and_spacing(tmp_path):
    tables = valid_tables()
    tables["contacts"]["role"] = ["Decision Maker", "decision-maker", "USER"]
    tables["opportunities"]["status"] = ["Won", "LOST", "won", " Open "]
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert portfolio.tables["contacts"]["role"].tolist() == ["decision_maker", "decision_maker", "user"]
    assert portfolio.tables["opportunities"]["status"].tolist() == ["won", "lost", "won", "open"]


# ---- dates ---------------------------------------------------------------------------------------


def test_day_first_dates_decided_across_tables(tmp_path):
    tables = valid_tables()
    iso = pd.to_datetime(tables["orders"]["order_date"])
    tables["orders"]["order_date"] = iso.dt.strftime("%d/%m/%Y")  # has days > 12: day first
    tables["complaints"]["opened_date"] = ["02/06/2023", "10/02/2024", "01/06/2024"]  # ambiguous alone
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert portfolio.orders["order_date"].tolist() == iso.tolist()
    assert portfolio.tables["complaints"]["opened_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-06-02",
        "2024-02-10",
        "2024-06-01",
    ]


def test_month_first_dates_and_times_and_other_shapes(tmp_path):
    tables = valid_tables()
    iso = pd.to_datetime(tables["orders"]["order_date"])
    tables["orders"]["order_date"] = iso.dt.strftime("%m/%d/%Y") + " 13:45"
    tables["accounts"]["customer_since"] = ["01.03.2015", "15.07.2018", "10.01.2020", "30.11.2021"]
    tables["interactions"]["date"] = ["20240201", "20240315", "20240520", "20240610"]
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert portfolio.orders["order_date"].tolist() == iso.tolist()
    assert portfolio.accounts["customer_since"].iloc[1] == pd.Timestamp("2018-07-15")
    assert portfolio.tables["interactions"]["date"].iloc[3] == pd.Timestamp("2024-06-10")


def test_date_format_from_the_mapping(tmp_path):
    tables = valid_tables()
    tables["complaints"]["opened_date"] = ["02/06/2023", "10/02/2024", "01/06/2024"]
    tables["complaints"]["resolved_date"] = ["20/06/2023", "12/02/2024", ""]
    mapping = {"complaints": {"date_format": "%d/%m/%Y"}}
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables), mapping=mapping)
    assert portfolio.tables["complaints"]["opened_date"].iloc[0] == pd.Timestamp("2023-06-02")


def test_old_customers_are_allowed(tmp_path):
    tables = valid_tables()
    tables["accounts"].loc[0, "customer_since"] = "1978-05-01"
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert portfolio.accounts["customer_since"].min() == pd.Timestamp("1978-05-01")


# ---- mapping ---------------------------------------------------------------------------------------


def crm_style(tables):
    """Rename the opportunity export the way a CRM writes it."""
    opp = tables["opportunities"].rename(
        columns={
            "opportunity_id": "Opportunity ID",
            "account_id": "Account",
            "created_date": "Created",
            "amount": "Amount (EUR)",
        }
    )
    opp["stage"] = ["Closed Won", "Closed Lost", "closed won", "Negotiation"]
    opp = opp.drop(columns="status").rename(columns={"stage": "Stage"})
    tables["opportunities"] = opp
    tables["orders"] = tables["orders"].rename(columns={"order_date": "Belegdatum"})
    return tables


CRM_MAPPING = {
    "opportunities": {
        "file": "crm_opps.csv",
        "columns": {
            "Opportunity ID": "opportunity_id",
            "account": "account_id",  # matched ignoring case
            "Created": "created_date",
            "Amount (EUR)": "amount",
            "Stage": ["stage", "status"],
        },
        "values": {"status": {"Closed Won": "won", "Closed Lost": "lost", "*": "open"}},
    },
    "orders": {"columns": {"Belegdatum": "order_date"}},
}


def test_mapping_renames_columns_files_and_values(tmp_path):
    tables = crm_style(valid_tables())
    folder = write_folder(tmp_path / "export", tables)
    (folder / "opportunities.csv").rename(folder / "crm_opps.csv")
    portfolio = load_portfolio(folder, mapping=CRM_MAPPING)
    opp = portfolio.tables["opportunities"]
    assert opp["status"].tolist() == ["won", "lost", "won", "open"]
    assert opp["stage"].tolist() == ["Closed Won", "Closed Lost", "closed won", "Negotiation"]
    assert opp["amount"].sum() == 197000
    assert portfolio.orders["order_date"].max() == pd.Timestamp(LAST_ORDER)


def test_mapping_from_yaml_file(tmp_path):
    import yaml

    tables = crm_style(valid_tables())
    folder = write_folder(tmp_path / "export", tables)
    (folder / "opportunities.csv").rename(folder / "crm_opps.csv")
    path = tmp_path / "mapping.yml"
    path.write_text(yaml.safe_dump(CRM_MAPPING))
    assert load_portfolio(folder, mapping=path).tables["opportunities"]["status"].iloc[1] == "lost"


def test_example_mapping_file_is_valid():
    m = load_mapping(ROOT / "data" / "mapping.example.yml")
    assert m.problems == []
    assert m.tables["orders"].file == "sales_lines.csv.gz"
    assert m.tables["opportunities"].values["status"]["*"] == "open"
    assert m.tables["accounts"].decimal == ","  # from defaults
    assert m.tables["opportunities"].decimal == "."  # overridden


def test_bad_yaml_is_reported_as_a_problem(tmp_path):
    path = tmp_path / "mapping.yml"
    path.write_text("orders:\n  columns: {a: b\n")
    with pytest.raises(DataValidationError, match="not valid YAML"):
        load_portfolio(write_folder(tmp_path / "export"), mapping=path)


# ---- as_of and warnings -------------------------------------------------------------------------


def test_given_as_of_drops_later_rows_with_counts(tmp_path):
    portfolio = load_portfolio(write_folder(tmp_path / "export"), as_of="2024-01-31")
    assert portfolio.as_of == pd.Timestamp("2024-01-31")
    assert portfolio.orders["order_date"].max() <= portfolio.as_of
    assert len(portfolio.orders) == 9
    (dropped,) = [w for w in portfolio.warnings if "left out" in w]
    assert "orders: 3" in dropped and "interactions: 4" in dropped and "opportunities: 1" in dropped
    assert "complaints: 2" in dropped and "invoices: 1" in dropped and "competitor_prices: 1" in dropped
    opp = portfolio.tables["opportunities"].set_index("opportunity_id")
    assert opp.loc["OP-3", "status"] == "open"  # decided on 2024-03-01, after as_of
    assert any("set back to open" in w for w in portfolio.warnings)


def test_given_as_of_later_than_data_drops_nothing(tmp_path):
    portfolio = load_portfolio(write_folder(tmp_path / "export"), as_of="2024-12-31")
    assert portfolio.as_of == pd.Timestamp("2024-12-31")
    assert len(portfolio.orders) == 12 and portfolio.warnings == []


def test_given_as_of_before_all_orders_is_an_error(tmp_path):
    with pytest.raises(DataValidationError, match="no order lines on or before as_of 2020-01-01"):
        load_portfolio(write_folder(tmp_path / "export"), as_of="2020-01-01")


def test_unreadable_as_of():
    with pytest.raises(ValueError, match="not a date"):
        load_portfolio("anything", as_of="last tuesday")


def test_usage_and_absent_table_warnings(tmp_path):
    tables = valid_tables()
    for name in ["opportunities", "complaints", "invoices", "targets", "competitor_prices"]:
        del tables[name]
    tables["accounts"] = pd.concat([tables["accounts"], tables["accounts"].iloc[[0]].assign(account_id="A005")])
    tables["products"] = pd.concat([tables["products"], tables["products"].iloc[[0]].assign(product_id="P04")])
    tables["contacts"] = pd.concat([tables["contacts"], tables["contacts"].iloc[[0]].assign(contact_id="K-4")])
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    text = "\n".join(portfolio.warnings)
    assert "1 of 5 accounts have no orders: A005" in text
    assert "1 of 4 products were never ordered: P04" in text
    assert "1 of 4 contacts have no interactions: K-4" in text
    assert "opportunities: optional table not supplied" in text and "pipeline" in text
    assert not portfolio.has("opportunities")
    assert "No opportunities table" in str(portfolio.missing_reason("opportunities"))


def test_optional_column_absent_is_added_empty(tmp_path):
    tables = valid_tables()
    tables["accounts"] = tables["accounts"].drop(columns="potential_revenue")
    portfolio = load_portfolio(write_folder(tmp_path / "export", tables))
    assert portfolio.accounts["potential_revenue"].isna().all()
    assert portfolio.accounts["potential_revenue"].dtype == "float64"
    assert any("optional column not supplied (left empty): potential_revenue" in w for w in portfolio.warnings)


def test_validate_source_reports_instead_of_raising(tmp_path):
    tables = valid_tables()
    tables["orders"].loc[0, "quantity"] = "-1"
    report = validate_source(write_folder(tmp_path / "export", tables))
    assert not report.ok and report.portfolio is None
    orders = next(t for t in report.tables if t.name == "orders")
    assert orders.rows == 12 and orders.date_ranges["order_date"][1] == pd.Timestamp(LAST_ORDER)


# ---- the generated demo data round-trips ------------------------------------------------------------


def test_demo_portfolio_round_trips_through_parquet(tmp_path, small_portfolio):
    from kamtools.datasets import write_tables

    write_tables(small_portfolio, tmp_path / "demo", fmt="parquet")
    loaded = load_portfolio(tmp_path / "demo")
    assert loaded.as_of == small_portfolio.orders["order_date"].max()
    for name, df in small_portfolio.tables.items():
        pd.testing.assert_frame_equal(loaded.tables[name], df.reset_index(drop=True))


# ---- the data dictionary ------------------------------------------------------------------------------


def test_readme_holds_the_generated_dictionary():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert markdown() in readme, "data/README.md is stale: run python -m kamtools.data.dictionary data/README.md"


def test_dictionary_lists_every_column_with_rules():
    md = markdown()
    for name, spec in TABLES.items():
        assert f"### {name}" in md
        for col in spec.columns:
            assert f"| `{col.name}` | {col.dtype} |" in md
    assert "one of open, won, lost" in md
    assert "must exist in accounts.account_id" in md
    assert "not before opened_date" in md


# ---- number and date parsing, property-based ------------------------------------------------------

REVENUE = Where("orders", TABLES["orders"].column("net_revenue"), "orders.csv", "line")
ORDER_DATE = Where("orders", TABLES["orders"].column("order_date"), "orders.csv", "line")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=10**9, places=2), min_size=1, max_size=20))
def test_numbers_read_the_same_in_every_export_style(values):
    plain = [f"{v:.2f}" for v in values]
    styles = {
        ".": [plain, [f"{v:,.2f}" for v in values]],  # 1,234.50
        ",": [[f"{v:,.2f}".replace(",", " ").replace(".", ",") for v in values]],  # 1 234,50
    }
    expected = [float(v) for v in values]
    for decimal, variants in styles.items():
        for texts in variants:
            out, problems, bad = to_number(pd.Series(texts, dtype="str"), REVENUE, decimal=decimal)
            assert problems == [] and not bad.any(), (texts, problems)
            assert out.tolist() == pytest.approx(expected)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2099-12-31").date()),
        min_size=1,
        max_size=15,
    )
)
def test_dates_read_the_same_in_every_unambiguous_format(dates):
    expected = pd.to_datetime(pd.Series(dates)).astype("datetime64[ns]").tolist()
    for fmt in ["%Y-%m-%d", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d", "%Y-%m-%d 00:00:00"]:
        texts = pd.Series([d.strftime(fmt) for d in dates], dtype="str")
        out, problems, _ = to_date(texts, ORDER_DATE)
        assert problems == [] and out.tolist() == expected, fmt
    slash = pd.Series([d.strftime("%d/%m/%Y") for d in dates], dtype="str")
    out, problems, _ = to_date(slash, ORDER_DATE, dayfirst=True)
    assert problems == [] and out.tolist() == expected
