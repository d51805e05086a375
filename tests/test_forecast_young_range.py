"""A new account's 80% range of its next 12 months is wide (issue 17: intervals keep their coverage).

One or two orders tell little about an account's next year. Its range used to come from the out-of-time
multiples of its class, made of settled accounts (about +-7% around the point for a one-order account).
Now it comes from what accounts as new bought next in the history, else the BTYD count distribution, else
the account's own ordering months as a count model; the settled accounts' ranges do not move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_forecast_young_and_credit import AS_OF, MONTHS, _portfolio

from kamtools.data.portfolio import Portfolio
from kamtools.forecast import accounts, selection
from kamtools.forecast.accounts import bundle_tables


def _no_btyd(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(accounts, "btyd_fit", lambda *a, **k: None)
    mp.setattr(accounts, "btyd_paths", lambda *a, **k: None)


def _row(tables: dict, account: str) -> tuple[float, float, float]:
    s = tables["forecast_summary"].set_index("account_id").loc[account]
    return s["forecast_next_12m_lo_80"], s["forecast_next_12m"], s["forecast_next_12m_hi_80"]


def test_a_one_order_account_without_any_model_gets_a_wide_range():
    """No BTYD fit and no account in the history was new with months after it: the account's own one ordering
    month in one month is the evidence, and its range spans from a small part of the point to twice it."""
    with pytest.MonkeyPatch.context() as mp:
        _no_btyd(mp)
        tables = bundle_tables(_portfolio(), {})
    lo, point, hi = _row(tables, "NEW")
    assert 0 <= lo < 0.2 * point
    assert hi > 2 * point
    # the settled accounts keep the narrow range their out-of-time multiples give (about +-7%)
    s = tables["forecast_summary"].set_index("account_id")
    steady = s.loc[s.index.str.startswith("S")]
    width = (steady["forecast_next_12m_hi_80"] - steady["forecast_next_12m_lo_80"]) / steady["forecast_next_12m"]
    assert width.max() < 0.3
    note = tables["_notes"]["forecast_methods"]
    assert "A new account (under 6 months since its first order) takes the range its own ordering months give" in note


def _acquisitions() -> Portfolio:
    """30 steady accounts over 30 months and one new account in each month from the 7th on (each first buys
    600, then 1,500 in each of its later months: new accounts grow), the last of them NEW (its first order
    last month)."""
    months = 30
    as_of = pd.Timestamp("2026-06-30")
    dates = pd.date_range(end=as_of, periods=months, freq="MS")
    rng = np.random.default_rng(3)
    rows, since = [], {}
    for i in range(30):
        acc = f"S{i:02d}"
        since[acc] = dates[0]
        base = 1000.0 * (1 + 0.3 * rng.random())
        rows += [(acc, d + pd.Timedelta(days=4), round(base * (1 + 0.1 * rng.standard_normal()), 2)) for d in dates]
    for j, start in enumerate(range(6, months)):
        acc = "NEW" if start == months - 1 else f"N{j:02d}"
        since[acc] = dates[start]
        rows.append((acc, dates[start] + pd.Timedelta(days=9), 600.0))
        rows += [(acc, d + pd.Timedelta(days=9), 1500.0) for d in dates[start + 1 :]]
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    orders.insert(0, "order_id", [f"O{i:06d}" for i in range(len(orders))])
    orders.insert(1, "line", 1)
    orders["product_id"] = "P1"
    orders["quantity"] = 1.0
    orders["cost"] = orders["net_revenue"] * 0.6
    ids = list(since)
    accs = pd.DataFrame({"account_id": ids, "name": ids, "customer_since": [since[a] for a in ids], "industry": "Feed"})
    products = pd.DataFrame(
        {"product_id": ["P1"], "name": ["Premix"], "category": ["Premixes"], "list_price": [1.0], "unit_cost": [0.6]}
    )
    return Portfolio({"accounts": accs, "products": products, "orders": orders}, as_of)


def test_a_new_account_s_range_follows_what_new_accounts_bought_next():
    """Accounts acquired in earlier months grew from 600 to 1,500 a month: a new account's mean so far (600
    spread over three months, 200 a month) is far below what such accounts bought next, and its range reaches
    up to that (12 x 1,500 = 18,000), where its class of settled accounts gave a few percent around the point."""
    with pytest.MonkeyPatch.context() as mp:
        _no_btyd(mp)
        tables = bundle_tables(_acquisitions(), {})
    lo, point, hi = _row(tables, "NEW")
    assert lo <= point <= hi
    assert hi >= 0.9 * 12 * 1500.0
    assert hi > 3 * point
    note = tables["_notes"]["forecast_methods"]
    assert "A new account (under 6 months since its first order) takes instead what accounts as new bought in the" in (
        note
    )


def test_young_evidence_measures_new_accounts_next_months_against_their_mean_so_far():
    nan = np.nan
    months = 20
    y = np.full((25, months), nan)
    y[:5] = 100.0  # settled from the first month: never young inside the data
    for j in range(20):  # one new account a month from month 0: 300 in its first month, 100 a month after
        y[5 + j, j:] = 100.0
        y[5 + j, j] = 300.0
    ev = selection.young_evidence(y)
    assert ev is not None and ev.months >= selection.MIN_YOUNG_HORIZON
    # a first month of 300 spread over three months is 100 a month: the multiples of what followed are 1
    first_month = ev.ratios[np.isclose(ev.ratios, 1.0)]
    assert len(first_month) >= 1
    assert np.all(ev.ratios > 0)
    # no account was ever new with months after it: nothing to measure
    assert selection.young_evidence(np.full((5, months), 100.0)) is None


def test_the_fixture_history_is_what_the_young_tests_assume():
    tables = _portfolio().tables
    orders = tables["orders"]
    new = orders[orders["account_id"] == "NEW"]
    assert len(new) == 1 and new["order_date"].min() > AS_OF - pd.DateOffset(months=1)
    assert orders["order_date"].min() < AS_OF - pd.DateOffset(months=MONTHS - 1)


def _with_targets(portfolio: Portfolio) -> Portfolio:
    ids = portfolio.tables["accounts"]["account_id"]
    tables = dict(portfolio.tables)
    tables["targets"] = pd.DataFrame({"account_id": ids, "period": 2026, "revenue_target": 6000.0})
    return Portfolio(tables, portfolio.as_of)


def test_a_new_account_s_monthly_and_year_ranges_follow_what_new_accounts_bought_next():
    """The same evidence as its 12-month range: a new account's month is its mean so far (200) times what
    accounts as new bought in a month ahead as a multiple of theirs (up to 1,500 a month here), and so is the
    rest of its year; its class of settled accounts gave a few percent around the point for both."""
    with pytest.MonkeyPatch.context() as mp:
        _no_btyd(mp)
        tables = bundle_tables(_with_targets(_acquisitions()), {})
    fc = tables["forecast"]
    new = fc[fc["account_id"] == "NEW"]
    assert (new["lo_80"] <= new["forecast"] + 1e-9).all() and (new["hi_80"] >= new["forecast"] - 1e-9).all()
    assert (new["hi_80"] >= 0.9 * 1500.0).all()
    assert (new["hi_80"] > 3 * new["forecast"]).all()
    steady = fc[fc["account_id"].str.startswith("S")]
    assert ((steady["hi_80"] - steady["lo_80"]) / steady["forecast"]).max() < 1.0  # the settled keep theirs
    year = tables["forecast_targets"].set_index("account_id").loc["NEW"]
    assert year["months_remaining"] == 6
    assert year["total_lo_80"] <= year["expected_total"] <= year["total_hi_80"]
    assert year["total_hi_80"] >= 0.9 * 6 * 1500.0  # what accounts as new bought in their next 6 months
    assert year["p_reach_target"] > 0.2  # a target of 6,000: within reach for accounts as new
