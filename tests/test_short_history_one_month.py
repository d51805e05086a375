"""One month of history with no buying-rhythm model (issue 17, CDNOW's top 500 at 1997-01-31).

With one month of orders and a BTYD fit that gives every account the same rate (so it is not used), each account's
forecast is its one month carried forward. On a new cohort that month holds first orders: CDNOW's top 500 were
forecast +574% against what they bought in the next 6 months (the Complete Journey's households at one month, who
shop every week, +3.5%). Nothing measured from inside one month held on both (the bench docstring records what was
tried), so the reason says plainly what the forecast is and what it risks, instead of calling the month "a mean
over the 1 month of the data ... not a projection of its own first months".
"""

from __future__ import annotations

from html import unescape

import numpy as np
import pandas as pd

from kamtools.forecast import selection


def _select(y: np.ndarray, ids: np.ndarray, horizon: int = 6):
    mean = np.nan_to_num(y[:, -1:]) + np.zeros((len(ids), horizon))
    lo = {80: mean * 0.8, 95: mean * 0.7}
    hi = {80: mean * 1.2, 95: mean * 1.3}
    return selection.select(y, ids, mean, lo, hi, mean * 0.15, None, None)


def test_one_month_carried_forward_says_so_and_what_it_risks():
    ids = np.array(["A", "B", "C"])
    sel = _select(np.array([[120.0], [40.0], [0.0]]), ids)
    assert set(sel.method) == {"window_mean"}
    assert (sel.reason == selection.NO_CHECK_ONE_MONTH).all()
    reason = sel.reason[0]
    assert reason.startswith(
        "Based on this account's one month of data, carried forward to every coming month, unchecked"
    )
    assert "several times too high" in reason and "nor how many stop" in reason
    assert "not a projection of its own first months" not in reason  # what the one month is, said plainly
    assert np.allclose(sel.mean[0], 120.0) and np.allclose(sel.mean[1], 40.0)  # the forecast itself is unchanged


def test_two_months_keep_the_mean_of_the_months_known():
    ids = np.array(["A", "B"])
    sel = _select(np.array([[100.0, 50.0], [np.nan, 60.0]]), ids)
    assert set(sel.method) == {"window_mean"}
    assert (sel.reason == selection.NO_CHECK_WINDOW.format(months=2, s="s")).all()
    assert np.allclose(sel.mean[0], 75.0)


def _one_month_cohort(folder, n: int = 60):
    """January 2026 only, as a user would write it (required tables only): every account's first order falls in the
    month, one in three orders again a week or so later."""
    from kamtools import load_portfolio

    rng = np.random.default_rng(11)
    ids = [f"C{i:03d}" for i in range(n)]
    rows = []
    for i, acc in enumerate(ids):
        first = pd.Timestamp("2026-01-02") + pd.Timedelta(days=int(rng.integers(0, 20)))
        rows.append((acc, first, float(rng.uniform(20, 300))))
        if i % 3 == 0:
            rows.append((acc, first + pd.Timedelta(days=int(rng.integers(7, 10))), float(rng.uniform(20, 300))))
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    orders.insert(0, "order_id", [f"O{i:04d}" for i in range(len(orders))])
    orders = orders.assign(product_id="P1", quantity=1)
    folder.mkdir(parents=True, exist_ok=True)
    orders.to_csv(folder / "orders.csv", index=False)
    pd.DataFrame(
        {"account_id": ids, "name": ids, "industry": "Retail", "region": "US", "country": "US", "channel": "Online"}
    ).assign(owner="Shop").to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        {"product_id": ["P1"], "name": ["CD"], "category": ["Music"], "list_price": [15.0], "unit_cost": [9.0]}
    ).to_csv(folder / "products.csv", index=False)
    return load_portfolio(folder, as_of="2026-01-31")


def test_the_account_page_says_its_one_month_is_carried_forward_unchecked(tmp_path, monkeypatch, captured):
    # CDNOW's top 500 at 1997-01-31: the BTYD fit gives every account one rate and is set aside (forced here, as
    # this small cohort's fit still tells accounts apart), so the forecast is each account's January, every month
    from kamtools.bundle import analyze
    from kamtools.forecast import accounts
    from kamtools.sections import forecast as forecast_section

    monkeypatch.setattr(accounts, "btyd_unusable", lambda fit: True)
    portfolio = _one_month_cohort(tmp_path / "data")
    bundle = analyze(portfolio, tmp_path / "bundle", progress=False)
    summary = bundle.table("forecast_summary").set_index("account_id")
    assert (summary["forecast_method"] == "mean of all months in the data").all()
    january = portfolio.orders.groupby("account_id")["net_revenue"].sum()
    assert np.allclose(summary["forecast_next_12m"].reindex(january.index), 12 * january, rtol=1e-6)
    captured.clear()
    forecast_section.account_section(bundle.account("C000"))
    html = unescape("".join(captured))
    assert selection.NO_CHECK_ONE_MONTH in html
    assert "not a projection of its own first months" not in html


def test_page_one_and_the_forecast_cards_mark_the_unchecked_forecast(tmp_path, captured):
    # on one month the 12-month figure is that month carried forward (CDNOW's top 500: +574%): the headline card, the
    # forecast section's card and the overview's total say it is unchecked, as the target chance already does
    from kamtools.bundle import analyze
    from kamtools.sections import forecast as forecast_section
    from kamtools.sections import summary as summary_section
    from kamtools.sections.forecast import UNCHECKED_CHANCE

    bundle = analyze(_one_month_cohort(tmp_path / "data"), tmp_path / "bundle", progress=False)
    acct = bundle.account("C000")
    label, text, status = summary_section.forecast_card(
        dict(acct.info), float(acct.info["forecast_next_12m"]), unchecked=forecast_section.unchecked(bundle)
    )
    assert text.endswith(UNCHECKED_CHANCE) and status == ""  # marked, and coloured by nothing
    captured.clear()
    forecast_section.account_section(acct)
    assert f"{UNCHECKED_CHANCE.strip()}" in unescape("".join(captured))
    captured.clear()
    forecast_section.portfolio_section(bundle)
    page = unescape("".join(captured))
    assert "Portfolio forecast, next 12 months" in page and UNCHECKED_CHANCE.strip() in page
    # a history with a check carries no mark
    assert summary_section.forecast_card({"revenue_ltm": 100.0}, 90.0)[1] == "90"
