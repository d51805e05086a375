"""The third real order log of benchmarks/bench_real_data.py (UCI Online Retail, ``--data3``): how an export of
it is read (its lines without a customer number left out, its cancellations kept), the tables written from it,
and the messages when it is absent or cannot be read."""

import sys

import pandas as pd
import pytest
from _bench import load_benchmark

UCI_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
# the UCI layout as the CSV copies in circulation have it: Latin-1, month/day/year times
UCI_ROWS = (
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
    "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom\n"
    "536366,POST,POSTAGE,1,12/13/2010 9:00,18.00,12583,France\n"
    "536367,85123a,WHITE HANGING HEART T-LIGHT HOLDER,12,1/5/2011 10:00,2.95,12583,France\n"
    "536368,22139,RETROSPOT TEA SET CERAMIC 11 PC \xa3,3,1/6/2011 11:00,4.95,,United Kingdom\n"
    "C536369,71053,WHITE METAL LANTERN,-2,2/2/2011 12:00,3.39,17850,United Kingdom\n"
    "536370,71053,WHITE METAL LANTERN,1,2/28/2011 13:00,3.50,17850,EIRE\n"
)


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_real_data")


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes((UCI_HEADER + UCI_ROWS).encode("latin-1"))
    return path


def test_lines_without_a_customer_are_left_out_and_cancellations_kept(bench, csv):
    lines, dropped = bench.read_online_retail(csv)
    assert dropped == {"lines": 1, "revenue": pytest.approx(14.85), "of_lines": 7}
    assert lines["customer"].tolist() == ["C17850", "C17850", "C12583", "C12583", "C17850", "C17850"]
    assert lines["line"].tolist() == [1, 2, 1, 1, 1, 1]  # numbered within each invoice
    assert lines["date"].tolist()[2] == pd.Timestamp("2010-12-13 09:00")  # month first: the 13th is a day
    cancel = lines[lines["invoice"] == "C536369"].iloc[0]
    assert (cancel["qty"], cancel["price"]) == (-2, 3.39)
    assert lines.loc[3, "product"] == "85123A"  # stock codes compared in upper case


def test_online_retail_ii_names_are_read_as_the_same_columns(bench, csv, tmp_path):
    ii = tmp_path / "online_retail_II.csv"
    header = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    ii.write_bytes((header + UCI_ROWS).encode("latin-1"))
    pd.testing.assert_frame_equal(bench.read_online_retail(ii)[0], bench.read_online_retail(csv)[0])


def test_the_tables_are_those_the_readme_asks_for(bench, csv, tmp_path):
    lines, _ = bench.read_online_retail(csv)
    full = bench.online_retail_portfolio(lines, tmp_path / "tables")
    acc = full.accounts.set_index("account_id")
    assert acc.loc["C17850", "country"] == "United Kingdom"  # its most frequent country (one order from EIRE)
    assert acc.loc["C17850", "region"] == "UK" and acc.loc["C12583", "region"] == "Export"
    assert acc.loc["C12583", "customer_since"] == pd.Timestamp("2010-12-13")  # left empty: the first order
    prod = full.products.set_index("product_id")
    assert prod.loc["POST", "category"] == "Charges" and prod.loc["71053", "category"] == "Giftware"
    assert prod.loc["71053", "list_price"] == pytest.approx(3.445)  # the median price of its sales
    assert "22139" not in prod.index  # ordered only on the line without a customer
    orders = full.orders
    assert len(orders) == 6 and orders["net_revenue"].sum() == pytest.approx(15.30 + 20.34 + 18 + 35.40 - 6.78 + 3.50)
    assert orders.loc[orders["order_id"] == "C536369", "net_revenue"].item() == pytest.approx(-6.78)


def test_the_horizon_ends_with_the_last_whole_month(bench, csv):
    lines, _ = bench.read_online_retail(csv)
    assert bench.online_retail_end(lines) == pd.Timestamp("2011-02-28")  # its last line is of 2011-02-28
    lines.loc[len(lines) - 1, "date"] = pd.Timestamp("2011-02-27 13:00")  # the UCI log stops on a 9th
    assert bench.online_retail_end(lines) == pd.Timestamp("2011-01-31")


def test_dates_in_no_known_format_stop_with_what_was_found(bench, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(UCI_HEADER + "1,A,X,1,Jan 5th 2011 10am,1.0,1,France\n")
    with pytest.raises(SystemExit, match="InvoiceDate is in none of the formats .*Jan 5th 2011 10am"):
        bench.read_online_retail(bad)


def test_another_file_is_refused_naming_the_missing_columns(bench, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("customer,date,amount\n1,2011-01-05,3\n")
    with pytest.raises(SystemExit, match="not the Online Retail log .*CustomerID"):
        bench.read_online_retail(other)


def test_r_data_without_pyreadr_says_what_to_install(bench, tmp_path, monkeypatch):
    rda = tmp_path / "onlineretail.rda"
    rda.write_bytes(b"RDX3\n")
    monkeypatch.setitem(sys.modules, "pyreadr", None)  # import fails as when it is not installed
    with pytest.raises(SystemExit, match="needs pyreadr"):
        bench.read_online_retail(rda)


def test_an_absent_log_is_skipped_with_what_to_do(bench, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ONLINE_RETAIL", raising=False)
    args = bench.argparse.Namespace(
        data3=str(tmp_path / "nowhere.csv"), data3_as_of=["2011-05-31"], data3_sample=0, data3_top=0, seed=1
    )
    assert bench.online_retail_cases(args, tmp_path) == []
    said = capsys.readouterr().out
    assert "Online Retail skipped" in said and "nowhere.csv" in said and "--data3" in said
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "onlineretail_0.1.2.tar.gz").write_bytes(b"")
    assert bench.online_retail_path(str(folder)) == folder / "onlineretail_0.1.2.tar.gz"
