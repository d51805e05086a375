"""A portfolio chosen by revenue: its earlier lapsed accounts look too loyal (issue 17, LAPSED17).

A key-account list is the accounts with the most revenue. An account that lapsed at an earlier
date and stayed away stopped adding revenue, so it rarely makes the list; one that came back
did. Read from the list's own history, lapsed accounts seem to come back more often than they
do (CDNOW's top 500 at the cut: 49% shown where 67% stayed away). When the portfolio looks cut
at a revenue floor, an earlier date counts only the accounts whose revenue by then had reached
it: the list would hold them whatever they did next.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _portfolio import monthly as _monthly
from _portfolio import one_product_portfolio

from kamtools.churn import ChurnDefinition
from kamtools.churn import lapsed as L
from kamtools.churn.lapsed import lapsed_rate, revenue_floor
from kamtools.churn.scoring import _active_mask
from kamtools.data.portfolio import Portfolio

AS_OF = "2024-12-31"


def _portfolio(orders: dict[str, list[tuple[str, float]]]) -> Portfolio:
    """Accounts with one order of the amount given on each date."""
    lines = [(a, d, amount, 1.0) for a, dated in orders.items() for d, amount in dated]
    return one_product_portfolio(lines, AS_OF, customer_since="2022-01-01")


def _top_accounts() -> dict[str, list[tuple[str, float]]]:
    """The 70 accounts with the most revenue of a larger customer base:

    * 30 monthly buyers throughout (3,600-3,900 each);
    * 20 that bought monthly in 2022 and never again (1,200-1,295): lapsed from mid-2023 and stayed away;
    * 20 that bought as often in 2022 but little (10 an order), then came back, one to six months into 2024, with
      200 a month: they reached the list only by coming back.

    The small buyers of the base that lapsed and stayed away are not on the list."""
    days: dict[str, list[tuple[str, float]]] = {}
    for i in range(30):
        days[f"S{i:02d}"] = [(d, 100.0 + i) for d in _monthly("2022-01-01", AS_OF)]
    for i in range(20):
        days[f"B{i:02d}"] = [(d, 100.0 + 0.5 * i) for d in _monthly("2022-01-01", "2022-12-31")]
    for i in range(20):
        back = str((pd.Timestamp("2024-01-01") + pd.DateOffset(months=i % 6)).date())
        days[f"C{i:02d}"] = [(d, 10.0) for d in _monthly("2022-01-01", "2022-12-31")]
        days[f"C{i:02d}"] += [(d, 200.0 + i) for d in _monthly(back, AS_OF)]
    return days


def _lapsed(p: Portfolio) -> np.ndarray:
    active, ever = _active_mask(p, ChurnDefinition())
    return ~active & ever


def test_a_portfolio_chosen_by_revenue_counts_only_accounts_above_its_floor_at_earlier_dates(monkeypatch):
    p = _portfolio(_top_accounts())
    ids = p.accounts["account_id"].astype(str).to_numpy()
    lapsed = _lapsed(p)
    assert set(ids[lapsed]) == {f"B{i:02d}" for i in range(20)}
    floor, share = revenue_floor(p, pd.Index(ids.astype(object)))
    assert floor == 1200.0 and share == 19 / 70
    rate = lapsed_rate(p, 6, 6, lapsed)
    shown = rate.probability[lapsed]
    # the lost 2022 buyers are the only lapsed accounts with 1,200 by then: every one of them stayed away
    assert (shown > 0.9).all(), shown
    assert (
        "the portfolio looks chosen by revenue (27% of its accounts lie less than 25% above the smallest, 1,200)"
        in (rate.sentence)
    )
    assert "lapsed account-dates below it are left out: they are in the portfolio because they came back" in (
        rate.sentence
    )
    # read without the floor, the small buyers that came back make a lost account look like a coin toss
    monkeypatch.setattr(L, "FLOOR_SHARE", 1.01)
    unfloored = lapsed_rate(p, 6, 6, lapsed)
    assert (unfloored.probability[lapsed] < 0.75).all(), unfloored.probability[lapsed]
    assert "chosen by revenue" not in unfloored.sentence and unfloored.n > rate.n


def test_too_few_accounts_above_the_floor_give_no_probability_and_say_why(monkeypatch):
    """Needing 300 lapsed account-dates: the 446 of the history would do, the 260 above the floor do not."""
    monkeypatch.setattr(L, "MIN_LAPSED", 300)
    p = _portfolio(_top_accounts())
    lapsed = _lapsed(p)
    rate = lapsed_rate(p, 6, 6, lapsed)
    assert np.isnan(rate.probability).all()
    assert rate.sentence.startswith(
        "the history holds only 260 lapsed account-dates above the revenue floor (of 446) on an earlier date whose "
        "next 6 months have passed (it needs 300), so no probability of staying away is given; the portfolio looks "
        "chosen by revenue"
    )


def test_a_portfolio_with_small_accounts_at_the_bottom_is_not_taken_for_a_chosen_one():
    """Ten small accounts (100 to 1,000) below the same 70: nothing crowds above the smallest, no floor."""
    days = _top_accounts()
    for i in range(10):
        days[f"T{i:02d}"] = [("2022-03-15", 100.0 * (i + 1))]
    p = _portfolio(days)
    ids = pd.Index(p.accounts["account_id"].astype(object))
    assert revenue_floor(p, ids) == (None, 0.0)
    rate = lapsed_rate(p, 6, 6, _lapsed(p))
    assert "chosen by revenue" not in rate.sentence


def test_one_order_size_shared_by_many_accounts_is_not_a_revenue_floor():
    """Twenty accounts with the same single 100 order are the smallest: a common price, not a cut."""
    days = _top_accounts()
    for i in range(20):
        days[f"U{i:02d}"] = [("2022-03-15", 100.0)]
    p = _portfolio(days)
    assert revenue_floor(p, pd.Index(p.accounts["account_id"].astype(object)))[0] is None
