"""Odd but possible data, read as its user (issue 17, a sweep of 62 perturbed demo exports through every command).

Five faults the sweep found, each asserted as the user sees it: a competitor section that failed to draw with a
rounding error, "nan%" in the whitespace test's sentence, an accuracy table of "nan" measured on 0 accounts, shares
of wallet of 396% beside "share of wallet not shown", and one order line dated after today that moved the analysis
date two months ahead without a word.
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from _factory import valid_tables, write_folder

from kamtools.data.portfolio import NotAvailable


def _text(captured) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(captured))))


def test_a_competitor_never_beaten_in_three_bids_is_drawn():
    """0 wins of 3: the Wilson interval's low end is 5.6e-17, a hair above the rate of 0, and matplotlib refused the
    negative error bar, so the overview's competitor section read 'could not be drawn'."""
    from kamtools.competitors.winloss import wilson_interval
    from kamtools.plotting.competitors import winloss_chart

    lo, hi = wilson_interval(0, 3)
    lo_all, hi_all = wilson_interval(10, 10)
    rows = pd.DataFrame(
        {
            "competitor": ["Vetro", "Kestrel", "All competitors"],
            "n": [3, 10, 13],
            "win_rate": [0.0, 1.0, 10 / 13],
            "ci_low": [float(lo), float(lo_all), 0.5],
            "ci_high": [float(hi), float(hi_all), 0.9],
            "small_sample": [True, False, False],
        }
    )
    fig = winloss_chart(rows, title="Win rate by competitor")
    assert fig.axes and fig.axes[0].get_yticklabels()


def test_the_whitespace_test_without_a_new_category_says_so_not_nan(captured):
    from kamtools.sections.whitespace import _portfolio_backtest

    row = {
        "ranking": "expected value",
        "cutoff": pd.Timestamp("2025-10-31"),
        "n": 5,
        "horizon_months": 12,
        "precision_at_n": 0.0,
        "base_rate": 0.0,
        "hit_rate": np.nan,
        "n_adopting_accounts": 0,
    }
    bt = pd.DataFrame(
        [{**row, "scorer": "peers", "selected": True}, {**row, "scorer": "popularity", "selected": False}]
    )
    _portfolio_backtest(SimpleNamespace(table=lambda name: {"whitespace_backtest": bt}.get(name, NotAvailable("x"))))
    page = _text(captured)
    assert "nan" not in page.lower()
    assert (
        "no account started a new category in those months, so whether a new category had been recommended "
        "beforehand cannot be measured" in page
    )


def _wallet(shares: list[float], prior: list[float]) -> pd.DataFrame:
    n = len(shares)
    return pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "potential_revenue": [100_000.0] * n,
            "share_of_wallet": shares,
            "share_of_wallet_prior": prior,
            "share_of_wallet_change": np.array(shares) - np.array(prior),
            "wallet_known": [True] * n,
        }
    )


def test_a_share_of_wallet_over_100_percent_is_not_shown_as_one(captured):
    """A wallet estimate below what the account bought gave a card of 396% and a change of -44 points, beside the
    threat reason's 'share of wallet not shown: the wallet estimate ... is below what the account bought'."""
    from kamtools.competitors.wallet import ABOVE_ESTIMATE, share_text
    from kamtools.sections.competitors import account_section

    assert share_text(3.96) == ABOVE_ESTIMATE and share_text(0.35) == "35%" and share_text(1.0) == "100%"
    sow = _wallet([3.96], [4.40])
    acct = SimpleNamespace(
        table=lambda name: sow if name == "share_of_wallet" else NotAvailable(f"no {name}"),
        bundle=SimpleNamespace(note=lambda key: None),
    )
    account_section(acct)
    page = _text(captured)
    assert "396%" not in page and "-44" not in page
    # a card reads its value, then its label
    assert "above its wallet estimate Share of wallet " in page
    assert "not shown: potential_revenue is below what it bought Share-of-wallet change " in page


def test_the_overview_leaves_shares_over_100_percent_out_of_its_median(captured):
    from kamtools.sections.competitors import _share_of_wallet

    sow = _wallet([3.96, 2.12, 0.30, 0.40, 0.50], [3.0, 1.5, 0.40, 0.40, 0.45])
    _share_of_wallet(SimpleNamespace(table=lambda name: sow, note=lambda key: None))
    page = _text(captured)
    assert (
        "Share of wallet is known for 5 of 5 accounts; 2 of them bought more than their wallet estimate "
        "(potential_revenue) in a year, so the estimate is too low and their share is left out; median 40% of the "
        "3 others. 1 account lost more than 5 points" in page
    )


def test_a_backtest_that_scored_no_account_is_not_shown_as_a_table(tmp_path):
    """Credit notes matching every account's orders: the forecast learns from net revenue of zero everywhere, and the
    overview's accuracy table read 'MASE nan' over 0 accounts with 100% of months inside every interval."""
    from kamtools.bundle import analyze
    from kamtools.data.portfolio import Portfolio
    from kamtools.datasets import make_portfolio

    p, _ = make_portfolio(n_accounts=20, years=3, seed=1, groups=0)
    o = p.orders
    credits = o.assign(
        order_id="CN-" + o["order_id"].astype(str),
        **{c: -o[c] for c in ("quantity", "net_revenue", "cost") if c in o.columns},
    )
    p = Portfolio({**p.tables, "orders": pd.concat([o, credits], ignore_index=True)}, p.as_of)
    b = analyze(p, tmp_path / "bundle", stages=["value", "forecast"], progress=False)
    acc = b.table("forecast_accuracy")
    assert isinstance(acc, NotAvailable)
    assert "No account's forecast error could be scored in that test" in acc.reason
    assert "net of its returns and credit notes, was zero" in acc.reason
    assert isinstance(b.table("forecast_backtest"), NotAvailable)


def test_an_order_dated_after_today_is_warned_about_when_it_becomes_the_analysis_date(tmp_path, monkeypatch):
    from kamtools.data import schemas
    from kamtools.data.loader import validate_source

    tables = valid_tables()  # its last order: 2024-06-28
    monkeypatch.setattr(schemas, "today", lambda: pd.Timestamp("2024-05-20"))
    report = validate_source(write_folder(tmp_path / "export", tables))
    (w,) = [w for w in report.warnings if w.kind == "orders_after_today"]
    assert report.as_of == pd.Timestamp("2024-06-28")
    assert w.table == "orders" and w.column == "order_date"
    assert "dated after today (2024-05-20), the last on 2024-06-28" in w.message
    assert "pass the export date as --as-of" in w.hint and w.rows
    # a day or two ahead is a time zone or a late clock, and an --as-of given is the user's choice: no warning
    for today, as_of in ((pd.Timestamp("2024-06-27"), None), (pd.Timestamp("2024-05-20"), "2024-05-20")):
        monkeypatch.setattr(schemas, "today", lambda t=today: t)
        report = validate_source(write_folder(tmp_path / f"export-{today.date()}-{as_of}", tables), as_of=as_of)
        assert not [w for w in report.warnings if w.kind == "orders_after_today"]


@pytest.mark.parametrize("share", [np.nan, None])
def test_a_missing_share_reads_as_missing(share):
    from kamtools.competitors.wallet import share_text
    from kamtools.formatting import MISSING

    assert share_text(share) == MISSING


def test_the_average_order_is_what_was_ordered_not_net_of_credit_notes(tmp_path):
    """Credit notes exceeding the orders read 'Orders / avg order 38 / -668': the count was of orders, the amount net
    of the credit notes. The average is now over the same lines as the count; the credit notes are the returns."""
    from kamtools.data.loader import load_portfolio
    from kamtools.kpis.table import account_kpis, portfolio_kpis

    tables = valid_tables()
    tables["orders"].loc[len(tables["orders"])] = ["CN-9001", "1", "A001", "P01", "2024-06-01", "-500", "-20000", ""]
    p = load_portfolio(write_folder(tmp_path / "export", tables))
    kpis, _ = account_kpis(p)
    a = kpis.set_index("account_id").loc["A001"]
    assert a["revenue_ltm"] < 0 < a["avg_order_value"]
    assert a["avg_order_value"] == pytest.approx(a["revenue_gross_ltm"] / a["orders_ltm"])
    assert a["returns_ltm"] >= 20_000
    row = portfolio_kpis(kpis).iloc[0]
    assert row["avg_order_value"] == pytest.approx(row["revenue_gross_ltm"] / row["orders_ltm"])


def _with_unordered_accounts():
    """The 3-year demo of 40 accounts with a new account that never ordered (NEW01) and A0002's lines all turned into
    credit notes (an account seen only through its returns)."""
    from kamtools.data.portfolio import Portfolio
    from kamtools.datasets import make_portfolio

    p, _ = make_portfolio(n_accounts=40, years=3, seed=1, groups=0)
    accounts = pd.concat([p.accounts, p.accounts.iloc[[0]].assign(account_id="NEW01", name="Brand New Ltd")])
    o = p.orders.copy()
    mine = o["account_id"] == "A0002"
    for col in ("quantity", "net_revenue", "cost"):
        if col in o.columns:
            o.loc[mine, col] = -o.loc[mine, col].abs()
    return Portfolio({**p.tables, "accounts": accounts.reset_index(drop=True), "orders": o}, p.as_of)


def test_an_account_without_an_order_gets_no_health_score(captured):
    """A brand-new account and one seen only through credit notes scored 62 and 66 (green): every component was
    missing and counted as the median."""
    from kamtools.kpis import health_scores
    from kamtools.kpis.health import NO_ORDERS_HEALTH, NOT_SCORED
    from kamtools.sections.kpis import _health, kpi_cards

    result = health_scores(_with_unordered_accounts())
    assert not isinstance(result, NotAvailable), result
    health, components = result
    h = health.set_index("account_id")
    for account in ("NEW01", "A0002"):
        assert np.isnan(h.loc[account, "health_score"]) and h.loc[account, "health_band"] == NOT_SCORED
        assert account not in set(components["account_id"])
    scored = h.drop(index=["NEW01", "A0002"])
    assert scored["health_score"].notna().all() and set(scored["health_band"]) <= {"red", "amber", "green"}

    row = {"health_score": np.nan, "health_band": NOT_SCORED}
    assert ("Health", "not scored: no orders", "") in kpi_cards(row, None, pd.Timestamp("2026-10-31"))
    one = health[health["account_id"] == "NEW01"]
    _health(SimpleNamespace(table=lambda name: {"health": one}.get(name, NotAvailable(f"no {name}"))))
    page = _text(captured)
    assert NO_ORDERS_HEALTH in page and "nan" not in page.lower()
