"""Returns, credit notes and rebates in the order lines, and the optional order columns (issue 17).

Real ERP exports book returns and credit notes as lines with a negative quantity, revenue and
cost, and rebates as lines with a negative revenue and no quantity. kamtools keeps them by
default (netted against revenue and margin, never counted as an order), can drop or reject
them (``--negative-lines`` or the mapping's ``orders: {negative_lines: ...}``), warns when
they dominate, and shows a returns rate in the KPIs. ``line``, ``cost`` and
``customer_since`` may be left out of the export: they are derived, with a warning.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _factory import valid_tables, write_folder

from kamtools.cli import main
from kamtools.data.loader import load_portfolio, validate_source
from kamtools.data.validation import DataValidationError
from kamtools.kpis import portfolio_kpis, revenue_kpis
from kamtools.value import rfm_summary

# order_id, line, account, product, date, quantity, net_revenue, cost (text, as exported)
RETURN = ["CN-9001", "1", "A001", "P01", "2024-05-27", "-10", "-415", "-270"]  # A001 returns 10 of SO-1009
REBATE = ["RB-9002", "1", "A002", "P02", "2024-06-03", "", "-300", ""]  # a yearly rebate for A002


def export(tmp_path: Path, *lines: list[str], drop: tuple[str, ...] = (), mapping: str | None = None) -> Path:
    """The factory export with extra order lines and, optionally, columns left out."""
    tables = valid_tables()
    orders = tables["orders"]
    for line in lines:
        orders.loc[len(orders)] = line
    for column in drop:
        table = "accounts" if column == "customer_since" else "orders"
        tables[table] = tables[table].drop(columns=column)
    folder = write_folder(tmp_path / "export", tables)
    if mapping is not None:
        (tmp_path / "mapping.yml").write_text(mapping, encoding="utf-8")
    return folder


def warning_text(report, kind: str) -> str:
    found = [w for w in report.warnings if w.kind == kind]
    assert found, f"no {kind} warning in {[w.kind for w in report.warnings]}"
    return str(found[0])


# ---- keep (the default) -------------------------------------------------------------------------------


def test_credit_note_nets_revenue_and_margin_and_is_not_an_order(tmp_path):
    plain = load_portfolio(export(tmp_path / "a"))
    with_return = load_portfolio(export(tmp_path / "b", RETURN))
    before = revenue_kpis(plain).set_index("account_id").loc["A001"]
    after = revenue_kpis(with_return).set_index("account_id").loc["A001"]
    assert after["revenue_ltm"] == pytest.approx(before["revenue_ltm"] - 415)
    assert after["margin_ltm"] == pytest.approx(before["margin_ltm"] - (415 - 270))
    assert after["orders_ltm"] == before["orders_ltm"]  # a credit note is not an order
    assert after["last_order_date"] == pd.Timestamp("2024-05-17")  # the return on 05-27 is not a purchase
    assert after["returns_ltm"] == pytest.approx(415)
    assert after["revenue_gross_ltm"] == pytest.approx(before["revenue_ltm"])
    assert after["returns_rate"] == pytest.approx(415 / before["revenue_ltm"])
    # BTYD: the same purchase occasions, the credit netted into the last purchase's value
    rfm_before = rfm_summary(plain).set_index("account_id").loc["A001"]
    rfm_after = rfm_summary(with_return).set_index("account_id").loc["A001"]
    assert rfm_after["frequency"] == rfm_before["frequency"]
    assert rfm_after["recency"] == rfm_before["recency"]
    assert rfm_after["last_purchase"] == rfm_before["last_purchase"]
    total_before = rfm_before["monetary"] * rfm_before["frequency"]
    assert rfm_after["monetary"] * rfm_after["frequency"] == pytest.approx(total_before - 415)
    totals = portfolio_kpis(revenue_kpis(with_return)).iloc[0]
    assert totals["returns_ltm"] == pytest.approx(415)
    assert totals["returns_rate"] == pytest.approx(415 / totals["revenue_gross_ltm"])


def test_rebate_line_without_quantity_is_accepted_and_said(tmp_path, capsys):
    folder = export(tmp_path, RETURN, REBATE)
    code = main(["validate", str(folder)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (
        "2 order lines are returns, credit notes or rebates (negative quantity or net_revenue, 715 of revenue in "
        "total): netted against revenue and margin, and not counted as orders or purchase occasions." in out
    )
    assert "Result: VALID" in out
    rebate = load_portfolio(folder).orders.set_index("order_id").loc["RB-9002"]
    assert (rebate["quantity"], rebate["net_revenue"], rebate["cost"]) == (0.0, -300.0, 0.0)


def test_return_with_a_positive_revenue_is_an_error_with_its_line(tmp_path):
    wrong = ["CN-9003", "1", "A001", "P01", "2024-05-27", "-10", "415", "-270"]
    report = validate_source(export(tmp_path, wrong))
    assert not report.ok
    text = report.to_text()
    assert "1 line has a negative quantity but a positive net_revenue" in text
    assert "line 14: -10" in text
    assert "--negative-lines drop" in text


def test_monthly_series_never_go_negative_from_a_credit_month(tmp_path):
    """A credit note booked in a month without sales nets against the following months."""
    credit = ["CN-9004", "1", "A004", "P02", "2024-04-10", "-2", "-360", "-240"]  # no A004 sale in April
    portfolio = load_portfolio(export(tmp_path, credit))
    monthly = portfolio.monthly()
    a004 = monthly[monthly["account_id"] == "A004"].set_index("ds")["y"]
    assert (a004 >= 0).all()
    assert a004.sum() == pytest.approx(880 + 2480 - 360)  # the total is kept
    assert a004[pd.Timestamp("2024-04-01")] == 0


def test_credits_beyond_every_sale_leave_a_series_of_zeros_not_a_negative_one():
    from kamtools.data.portfolio import net_negative_months

    grouped = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "B", "B"],
            "ds": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-01-01", "2024-02-01"]),
            "net_revenue": [100.0, -150.0, 80.0, 10.0, -30.0],
        }
    )
    out = net_negative_months(grouped, ["account_id"], "net_revenue")
    assert out["net_revenue"].tolist() == [
        30.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ]  # A keeps its total of 30; B bought 10, returned 30


# ---- drop and reject ----------------------------------------------------------------------------------


def test_drop_leaves_the_lines_out_and_counts_them(tmp_path, capsys):
    folder = export(tmp_path, RETURN, REBATE)
    code = main(["validate", str(folder), "--negative-lines", "drop"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (
        "2 order lines with a negative quantity, net_revenue or cost (returns, credit notes, rebates) were left out "
        "(negative_lines: drop): 715 of credited revenue is not netted" in out
    )
    assert "line 14: -415; line 15: -300" in out
    orders = load_portfolio(folder, negative_lines="drop").orders
    assert len(orders) == 12 and (orders["net_revenue"] > 0).all()


def test_reject_lists_every_negative_line_as_before(tmp_path, capsys):
    folder = export(tmp_path, RETURN)
    code = main(["validate", str(folder), "--negative-lines", "reject"])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 value of quantity is zero or negative; quantity must be greater than 0." in out
    assert "1 value of net_revenue is negative" in out and "line 14: -415" in out
    assert "1 value of cost is negative" in out and "line 14: -270" in out
    assert "--negative-lines keep" in out  # the way back to the default
    with pytest.raises(DataValidationError):
        load_portfolio(folder, negative_lines="reject")


def test_mapping_sets_the_choice_and_the_command_line_overrides_it(tmp_path, capsys):
    folder = export(tmp_path, RETURN, mapping="orders:\n  negative_lines: reject\n")
    mapping = str(tmp_path / "mapping.yml")
    assert main(["validate", str(folder), "--mapping", mapping]) == 1
    assert "1 value of net_revenue is negative" in capsys.readouterr().out
    assert main(["validate", str(folder), "--mapping", mapping, "--negative-lines", "keep"]) == 0
    assert "1 order line is a return, credit note or rebate" in capsys.readouterr().out


def test_a_wrong_choice_is_refused_with_the_choices(tmp_path, capsys):
    folder = export(tmp_path, RETURN)
    with pytest.raises(SystemExit) as info:
        main(["validate", str(folder), "--negative-lines", "delete"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--negative-lines: invalid choice: 'delete'" in err and "keep" in err and "reject" in err
    with pytest.raises(ValueError, match="negative_lines must be keep, drop or reject, not 'delete'"):
        validate_source(folder, negative_lines="delete")


def test_analyze_rejecting_negative_lines_writes_no_bundle(tmp_path, capsys):
    folder = export(tmp_path, RETURN)
    code = main(["analyze", str(folder), "--out", str(tmp_path / "bundle"), "--negative-lines", "reject", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "1 value of net_revenue is negative" in err and "No bundle was written" in err
    assert "Traceback" not in err
    assert not (tmp_path / "bundle").exists()


# ---- dominating returns ---------------------------------------------------------------------------------


def test_returns_that_dominate_an_account_are_warned_with_its_name(tmp_path):
    big = ["CN-9005", "1", "A004", "P01", "2024-06-10", "-60", "-2480", "-1620"]  # 74% of A004's sales
    over = ["CN-9006", "1", "A003", "P01", "2024-06-11", "-60", "-2600", "-1700"]  # more than A003 bought
    report = validate_source(export(tmp_path, big, over))
    assert report.ok
    text = warning_text(report, "returns_dominate")
    assert "in 2 accounts: A003 (net revenue -180 over the whole history), A004 (74% over the whole history)" in text
    assert "exceed 30% of gross revenue" in text


def test_returns_that_dominate_the_portfolio_are_warned(tmp_path):
    lines = [
        [f"CN-95{i}", "1", acc, "P02", "2024-06-20", "-10", f"-{amount}", "-1"]
        for i, (acc, amount) in enumerate([("A001", 9000), ("A002", 5000), ("A003", 1500)])
    ]
    report = validate_source(export(tmp_path, *lines))
    text = warning_text(report, "returns_dominate")
    assert "returns, credit notes and rebates are 65% of gross revenue over the whole history (more than 30%)" in text
    assert "A001 (80% over the whole history)" in text and "A002 (72% over the whole history)" in text


def test_a_few_returns_do_not_warn(tmp_path):
    report = validate_source(export(tmp_path, RETURN))
    assert not [w for w in report.warnings if w.kind == "returns_dominate"]


# ---- optional columns ---------------------------------------------------------------------------------


def test_missing_line_cost_and_customer_since_are_derived_and_said(tmp_path):
    report = validate_source(export(tmp_path, drop=("line", "cost", "customer_since")))
    assert report.ok, report.to_text()
    p = report.portfolio
    assert p.orders["line"].tolist() == [1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]  # SO-1001 and SO-1006 have two lines
    assert p.orders["cost"].tolist()[:3] == [2700.0, 20 * 6.1, 1200.0]  # quantity x unit_cost
    since = p.accounts.set_index("account_id")["customer_since"]
    assert since["A001"] == pd.Timestamp("2023-01-12") and since["A004"] == pd.Timestamp("2023-05-05")
    assert "the lines are numbered 1, 2, ... within each order" in warning_text(report, "derived_line")
    assert (
        "cost derived from products.unit_cost for 12 lines (quantity x unit_cost): the orders have no cost column"
        in (warning_text(report, "derived_cost"))
    )
    assert "each account's first order date is used as the date it became a customer" in (
        warning_text(report, "derived_customer_since")
    )
    assert "optional columns not supplied" not in report.to_text()


def test_empty_cost_and_customer_since_cells_are_derived_per_line_and_account(tmp_path):
    tables = valid_tables()
    tables["orders"].loc[2, "cost"] = ""
    tables["accounts"].loc[1, "customer_since"] = ""
    report = validate_source(write_folder(tmp_path / "export", tables))
    assert report.ok, report.to_text()
    p = report.portfolio
    assert p.orders.loc[2, "cost"] == 10 * 120.0
    assert p.orders.loc[0, "cost"] == 2700.0  # booked costs are kept
    assert p.accounts.loc[1, "customer_since"] == pd.Timestamp("2023-02-03")
    assert p.accounts.loc[0, "customer_since"] == pd.Timestamp("2015-03-01")
    assert "cost derived from products.unit_cost for 1 line" in warning_text(report, "derived_cost")
    assert "1 account without customer_since" in warning_text(report, "derived_customer_since")


def test_the_data_dictionary_says_which_columns_are_optional():
    from kamtools.data.dictionary import markdown

    text = markdown()
    readme = (Path(__file__).parents[1] / "data" / "README.md").read_text(encoding="utf-8")
    for row in (
        "| `line` | int | no |",
        "| `cost` | float | no |",
        "| `customer_since` | date | no |",
    ):
        assert row in text and row in readme
    assert "quantity x products.unit_cost" in readme
    assert "negative on returns, credit notes and rebates" in readme


def test_readme_marks_the_derived_columns_optional():
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "*line* (numbered per order when absent)" in text
    assert "*cost* (quantity x products.unit_cost when absent or empty" in text
    assert "*customer_since* (first order date when absent or empty)" in text
    assert "`--negative-lines drop`" in text


# ---- a whole analysis with returns -----------------------------------------------------------------------


@pytest.mark.slow
def test_analyze_finishes_on_a_portfolio_with_returns_and_shows_the_returns_rate(tmp_path):
    from kamtools.bundle import analyze
    from kamtools.data.portfolio import Portfolio
    from kamtools.datasets import make_portfolio
    from kamtools.sections.kpis import kpi_cards, portfolio_cards

    demo, _ = make_portfolio(n_accounts=20, years=2, seed=3)
    orders = demo.orders
    recent = orders[orders["order_date"] > demo.as_of - pd.DateOffset(months=6)]
    picked = recent.sort_values(["net_revenue", "order_id"], ascending=[False, True]).head(8)
    returns = picked.assign(
        order_id=[f"CN-{i}" for i in range(len(picked))],
        line=1,
        order_date=(picked["order_date"] + pd.Timedelta(days=20)).clip(upper=demo.as_of),
        quantity=-picked["quantity"] / 2,
        net_revenue=-picked["net_revenue"] / 2,
        cost=-picked["cost"] / 2,
    )
    rebate = picked.head(1).assign(order_id="RB-1", line=1, quantity=0.0, net_revenue=-1000.0, cost=0.0)
    portfolio = Portfolio(
        {**demo.tables, "orders": pd.concat([orders, returns, rebate], ignore_index=True)}, demo.as_of
    )

    bundle = analyze(portfolio, tmp_path / "bundle", progress=False)
    kpis = bundle.table("kpis").set_index("account_id")
    expected = (picked["net_revenue"] / 2).groupby(picked["account_id"]).sum()
    for account, credited in expected.items():
        extra = 1000.0 if account == rebate["account_id"].iloc[0] else 0.0
        assert kpis.loc[account, "returns_ltm"] == pytest.approx(credited + extra)
    assert (kpis["returns_rate"].dropna() < 1).all()
    untouched = kpis.index.difference(expected.index.union(rebate["account_id"]))
    assert (kpis.loc[untouched, "returns_ltm"] == 0).all()
    history = bundle.table("forecast_history")
    assert (history["y"] >= 0).all()
    assert "net of returns, credit notes and rebates" in bundle.note("kpis")
    account = expected.index[0]
    cards = dict((label, text) for label, text, _ in kpi_cards(kpis.loc[account].to_dict()))
    rate = kpis.loc[account, "returns_rate"]
    assert cards["Returns and credit notes, last 12 months"].startswith(f"{rate:.0%} of gross")
    totals = bundle.table("kpis_portfolio").iloc[0].to_dict()
    assert "Returns and credit notes, last 12 months" in dict((c[0], c[1]) for c in portfolio_cards(totals))


def test_segments_and_churn_features_do_not_count_a_credit_note_as_an_order(tmp_path):
    """A return after the last purchase moves neither the last order date nor the order count."""
    from kamtools.churn.features import features as churn_features
    from kamtools.segment import account_activity

    plain = load_portfolio(export(tmp_path / "a"))
    with_return = load_portfolio(export(tmp_path / "b", RETURN))
    before = account_activity(plain).set_index("account_id").loc["A001"]
    after = account_activity(with_return).set_index("account_id").loc["A001"]
    assert after["last_order_date"] == before["last_order_date"] == pd.Timestamp("2024-05-17")
    assert after["orders_ltm"] == before["orders_ltm"]
    assert after["recency_days"] == before["recency_days"]
    assert after["revenue_ltm"] == pytest.approx(before["revenue_ltm"] - 415)
    f_before = churn_features(plain, use_value=False).set_index("account_id").loc["A001"]
    f_after = churn_features(with_return, use_value=False).set_index("account_id").loc["A001"]
    assert f_after["days_since_last_order"] == f_before["days_since_last_order"]
    assert f_after["order_days_12m"] == f_before["order_days_12m"]
