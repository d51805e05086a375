"""Three months of steady buyers, no out-of-time check (issue 17, the Complete Journey at 2017-03).

Where every account has ordered all along, the BTYD fit finds no drop-out (the value stage flags it) and its
expected values pull every account towards the portfolio's mean: the Complete Journey's households at 3 months got
2.5 times what the lowest fifth bought and 0.77 times the highest. Such a fit is not the forecast: each account keeps
its own mean of the months known, and its reason says why.
"""

from __future__ import annotations

from html import unescape

import numpy as np
import pandas as pd

AS_OF = "2026-03-31"


def _steady_portfolio(folder, n: int = 40, end: str = AS_OF):
    """Three months (January to March 2026) of accounts that order in a share of the weeks from 1 in 20 to every
    week, each in every month, none stopping, at levels from about 60 to 9,000 an order: S000, the biggest, orders
    about 9,000 in most weeks."""
    from kamtools import load_portfolio

    rng = np.random.default_rng(5)
    ids = [f"S{i:03d}" for i in range(n)]
    rows = []
    weeks = pd.date_range("2026-01-02", "2026-09-30", freq="7D")  # the months after AS_OF to score against
    for i, acc in enumerate(ids):
        size = 9000.0 if i == 0 else float(np.exp(rng.uniform(np.log(60), np.log(3000))))
        share = 0.9 if i == 0 else float(np.exp(rng.uniform(np.log(0.05), 0.0)))
        ordered = rng.random(len(weeks)) < share
        ordered[[0, 5, 10]] = True  # an order in each month
        for day in weeks[ordered]:
            rows.append((acc, day + pd.Timedelta(days=int(rng.integers(0, 3))), size * float(rng.uniform(0.8, 1.2))))
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    orders = orders[orders["order_date"] <= pd.Timestamp(end)]
    orders.insert(0, "order_id", [f"O{i:05d}" for i in range(len(orders))])
    orders = orders.assign(product_id="P1", quantity=1)
    folder.mkdir(parents=True, exist_ok=True)
    orders.to_csv(folder / "orders.csv", index=False)
    pd.DataFrame(
        {
            "account_id": ids,
            "name": ids,
            "industry": "Retail",
            "region": "US",
            "country": "US",
            "channel": "Direct",
            "owner": "Ann",
        }
    ).to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        {"product_id": ["P1"], "name": ["Goods"], "category": ["All"], "list_price": [100.0], "unit_cost": [60.0]}
    ).to_csv(folder / "products.csv", index=False)
    return load_portfolio(folder, as_of=end)


def test_steady_accounts_keep_their_own_mean_where_the_btyd_finds_no_drop_out(tmp_path, captured):
    from kamtools.bundle import analyze
    from kamtools.forecast.selection import NO_CHECK_NO_DROPOUT, btyd_fit
    from kamtools.sections import forecast as forecast_section

    portfolio = _steady_portfolio(tmp_path / "data")
    ids = np.array(sorted(portfolio.accounts["account_id"]))
    fit = btyd_fit(portfolio.orders, pd.Timestamp(AS_OF), ids, 12, "bg_nbd")
    assert fit is not None and fit.status == "no_dropout"  # the case: nobody has stopped, the fit cannot tell
    bundle = analyze(portfolio, tmp_path / "bundle", progress=False)
    assert "too short to test the" in bundle.manifest["skipped"]["forecast_backtest"]
    summary = bundle.table("forecast_summary").set_index("account_id")
    reason = NO_CHECK_NO_DROPOUT.format(months=3)
    assert (summary["forecast_method"] == "mean of all months in the data").all()
    assert summary["forecast_method_reason"].str.startswith(reason).all()  # a spike note may follow
    # the biggest account's forecast is its own level, not pulled towards the portfolio's mean
    bought = portfolio.orders.groupby("account_id")["net_revenue"].sum()
    own_year = bought / 3 * 12
    row = summary.loc["S000"]
    assert abs(row["forecast_next_12m"] / own_year["S000"] - 1) < 0.05
    assert row["forecast_next_12m_lo_80"] <= row["forecast_next_12m"] <= row["forecast_next_12m_hi_80"]
    # every account's forecast follows its own months: the ranking by level holds
    order = summary["forecast_next_12m"].reindex(own_year.index)
    assert np.corrcoef(order.to_numpy(), own_year.to_numpy())[0, 1] > 0.99
    # the methods note says where the ranges come from: the accounts' own weeks, not the BTYD model
    note = bundle.note("forecast_methods")
    assert "found no account that has stopped buying" in note and "from its own weeks with an order" in note
    assert "is the BTYD model's" not in note
    # what the account page says
    captured.clear()
    forecast_section.account_section(bundle.account("S000"))
    html = unescape("".join(captured))
    assert reason in html and "found no account that has stopped buying" in html
    # the value section does not explain the gap to its own expected value by an out-of-time check there was not
    from kamtools.sections import value as value_section

    captured.clear()
    value_section.account_section(bundle.account("S000"))
    html = unescape("".join(captured))
    assert "the method the forecast section names" in html
    assert "really bought after past dates" not in html


def test_one_or_two_months_without_drop_out_keep_the_btyd():
    """At 1 or 2 months no account has had time to stop, so a fit without drop-out says nothing: the BTYD stays
    (CDNOW's sample at 1997-01 and top 500 at 1997-02 fit so, and the BTYD is their better forecast); from 3 months
    on such a fit is set aside, and only such a fit."""
    from kamtools.forecast.selection import account_state
    from kamtools.forecast.selection.reasons import _no_dropout

    rng = np.random.default_rng(3)
    for months in (1, 2, 3):
        state = account_state(rng.uniform(10, 100, size=(6, months)), 6)
        has = np.array([True] * 5 + [False])
        own = _no_dropout(state, has, "no_dropout")
        assert own.tolist() == ([False] * 6 if months < 3 else [True] * 5 + [False])
        for status in ("identified", "common_dropout", "unidentified", None):
            assert not _no_dropout(state, has, status).any()


def test_the_own_means_monthly_ranges_hold_what_the_accounts_buy_next(tmp_path):
    """The monthly 80% band of an account on its own mean of 3 months is the prediction interval of a new month from
    them (t with 2 degrees of freedom, the spread with ddof 1 widened for the mean's own error), not the 3 months'
    plain spread, which held 49% of the Complete Journey's household-months: on this portfolio, whose months ahead
    come from the same process, it holds about 8 in 10 of the next 6 months."""
    from kamtools.forecast import accounts as fc_accounts

    full = _steady_portfolio(tmp_path / "data", end="2026-09-30")
    past = full.truncate(pd.Timestamp(AS_OF))
    fc = fc_accounts.bundle_tables(past, {})["forecast"]
    assert (fc["method"] == "mean of all months in the data").all()
    monthly = full.monthly(by="account")
    actual = monthly[monthly["ds"] > pd.Timestamp(AS_OF)]
    both = fc.merge(actual[["account_id", "ds", "y"]], on=["account_id", "ds"], how="inner")
    assert len(both) == 6 * 40
    inside = (both["y"] >= both["lo_80"]) & (both["y"] <= both["hi_80"])
    assert 0.7 <= inside.mean() <= 0.95


def test_no_drop_out_is_read_from_the_fit_not_from_whether_its_rate_errors_came_out_finite(tmp_path, monkeypatch):
    # on the lowest library versions the same fit (a at its bound) also lacks finite standard errors for r and
    # alpha, which the value stage calls "unidentified"; the forecast still reads it as a fit without drop-out
    from kamtools.forecast.selection import btyd_fit
    from kamtools.value import choice

    portfolio = _steady_portfolio(tmp_path / "data")
    ids = np.array(sorted(portfolio.accounts["account_id"]))
    monkeypatch.setattr(choice, "fit_status", lambda est: ("unidentified", "r, alpha, a and b undetermined"))
    fit = btyd_fit(portfolio.orders, pd.Timestamp(AS_OF), ids, 12, "bg_nbd")
    assert fit is not None and fit.status == "no_dropout"
    # a fit that found drop-out keeps its status
    monkeypatch.setattr(choice, "NO_DROPOUT_A", 0.0)
    assert btyd_fit(portfolio.orders, pd.Timestamp(AS_OF), ids, 12, "bg_nbd").status == "unidentified"
