"""A credit line and a sale of the same product to the same account on the same day are one correction (issue 17).

UCI Online Retail's C15749 (top 100 at 2011-11-30) bought 23.0k in January; on 2011-04-18 its invoices were credited
in full and billed again at 21.5k for the same products. Its page read "returns and credit notes 52% of gross" and
"bought in 2 different weeks", and the overview named it among the three accounts whose returns exceed 30% of gross.
The loader now nets such lines into one (kamtools.data.loader.corrections), keeps revenue and margin as they were,
and says so in a warning.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _factory import valid_tables, write_folder

from kamtools.data.loader import load_portfolio, validate_source
from kamtools.kpis import revenue_kpis

# order_id, line, account, product, date, quantity, net_revenue, cost (text, as exported)
CREDIT_SO_1009 = ["CN-2001", "1", "A001", "P01", "2024-06-03", "-120", "-4980", "-3240"]  # SO-1009 credited in full
REBILLED = ["SO-2002", "1", "A001", "P01", "2024-06-03", "120", "4700", "3240"]  # ... and billed again, 280 less
CANCELLED_SALE = ["SO-3001", "1", "A002", "P02", "2024-06-10", "50", "1000", "600"]
CANCELLED_CREDIT = ["CN-3001", "1", "A002", "P02", "2024-06-10", "-50", "-1000", "-600"]  # the same day, in full


def _export(tmp_path: Path, *lines: list[str]) -> Path:
    tables = valid_tables()
    orders = tables["orders"]
    for line in lines:
        orders.loc[len(orders)] = line
    return write_folder(tmp_path, tables)


def _kpis(folder: Path, **kw) -> pd.DataFrame:
    return revenue_kpis(load_portfolio(folder, **kw)).set_index("account_id")


def test_a_repriced_invoice_is_a_price_credit_not_a_return_of_everything_and_a_new_order(tmp_path):
    plain = _kpis(_export(tmp_path / "plain")).loc["A001"]
    rebilled = _kpis(_export(tmp_path / "rebilled", CREDIT_SO_1009, REBILLED)).loc["A001"]
    # revenue and margin net of the correction, as before the loader netted it
    assert rebilled["revenue_ltm"] == pytest.approx(plain["revenue_ltm"] - 280)
    assert rebilled["margin_ltm"] == pytest.approx(plain["margin_ltm"] - 280)
    # only the 280 the account was given back counts as a credit; the re-billing is no new order
    assert rebilled["returns_ltm"] == pytest.approx(280)
    assert rebilled["orders_ltm"] == plain["orders_ltm"]
    assert rebilled["last_order_date"] == plain["last_order_date"]


def test_an_order_cancelled_the_same_day_leaves_no_order_and_no_return(tmp_path):
    plain = _kpis(_export(tmp_path / "plain")).loc["A002"]
    cancelled = _kpis(_export(tmp_path / "cancelled", CANCELLED_SALE, CANCELLED_CREDIT)).loc["A002"]
    assert cancelled["revenue_ltm"] == pytest.approx(plain["revenue_ltm"])
    assert cancelled["returns_ltm"] == pytest.approx(0)
    assert cancelled["orders_ltm"] == plain["orders_ltm"]
    assert cancelled["last_order_date"] == plain["last_order_date"]


def test_a_same_day_partial_return_leaves_what_was_kept(tmp_path):
    sale = ["SO-4001", "1", "A002", "P02", "2024-06-10", "10", "200", "120"]
    back = ["CN-4001", "1", "A002", "P02", "2024-06-10", "-2", "-40", "-24"]
    orders = load_portfolio(_export(tmp_path, sale, back)).orders
    day = orders[(orders["account_id"] == "A002") & (orders["order_date"] == "2024-06-10")]
    assert day[["order_id", "quantity", "net_revenue", "cost"]].values.tolist() == [["SO-4001", 8, 160, 96]]


def test_the_load_says_how_many_credit_lines_were_read_as_corrections(tmp_path):
    report = validate_source(_export(tmp_path, CREDIT_SO_1009, REBILLED, CANCELLED_SALE, CANCELLED_CREDIT))
    found = [str(w) for w in report.warnings if w.kind == "same_day_corrections"]
    assert len(found) == 1
    assert (
        "2 credit lines (5,980 of credited revenue) were booked on the same day as a sale of the same product"
        in (found[0])
    )
    assert "(2 cases, 1 of them cancelled in full)" in found[0]
    assert "revenue, margin and totals are unchanged" in found[0]


def test_dropping_negative_lines_leaves_the_same_day_sale_as_it_was_exported(tmp_path):
    folder = _export(tmp_path, CREDIT_SO_1009, REBILLED)
    report = validate_source(folder, negative_lines="drop")
    assert not [w for w in report.warnings if w.kind == "same_day_corrections"]
    assert _kpis(folder, negative_lines="drop").loc["A001", "returns_ltm"] == pytest.approx(0)


def test_a_same_day_sum_whose_signs_disagree_is_left_as_exported(tmp_path):
    # Online Retail: more units credited than sold that day, for less money than the sale (the credit is of an
    # earlier order); summed, the line would have a negative quantity and a positive revenue, which no line may have
    sale = ["SO-5001", "1", "A002", "P02", "2024-06-10", "3", "200", "120"]
    back = ["CN-5001", "1", "A002", "P02", "2024-06-10", "-5", "-10", "-6"]
    report = validate_source(_export(tmp_path, sale, back))
    assert not report.problems
    assert not [w for w in report.warnings if w.kind == "same_day_corrections"]
    orders = report.portfolio.orders
    day = orders[(orders["account_id"] == "A002") & (orders["order_date"] == "2024-06-10")]
    assert sorted(day["order_id"]) == ["CN-5001", "SO-5001"]


def test_the_pages_say_which_credit_lines_the_returns_share_leaves_out(tmp_path):
    from kamtools.stages.runner import execute

    portfolio = load_portfolio(_export(tmp_path, CREDIT_SO_1009, REBILLED, CANCELLED_SALE, CANCELLED_CREDIT))
    # the figures travel as the load's facts, not read back from the warning's words
    assert portfolio.facts["same_day_corrections"] == {"lines": 2, "credited": 5_980.0}
    note = execute(portfolio, names=["kpis"]).results["kpis"].notes["kpis"]
    assert (
        "2 credit lines (5,980 of credited revenue) booked on the same day as a sale of the same product to the same "
        "account are read as cancelled or repriced orders, not as returns"
    ) in note
