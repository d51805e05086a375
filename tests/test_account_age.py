"""An account's age for segment names: a first order at the start of the history is a lower bound."""

from __future__ import annotations

import pytest
from _portfolio import monthly, one_product_portfolio

from kamtools.segment.activity import account_activity


def _ages(months: int) -> dict[str, float]:
    """Two accounts over a history of ``months`` months ending 2025-12-31: A buys from the first month, B
    from the last year only; both are customers since 2012 by the accounts table."""
    start = {24: "2024-01", 12: "2025-01"}[months]
    days = monthly(start, "2025-12")
    lines = [("A", d, 1000.0, 10.0) for d in days] + [("B", d, 500.0, 5.0) for d in monthly("2025-03", "2025-12")]
    p = one_product_portfolio(lines, as_of="2025-12-31", customer_since="2012-05-01")
    act = account_activity(p).set_index("account_id")
    return act["account_age_years"].to_dict()


@pytest.mark.parametrize("months", [12, 24])
def test_a_first_order_at_the_start_of_two_years_or_less_is_not_new(months):
    """A history of exactly two years (the FACES3 demo's A0040, a customer since 2012, was named "new") or less:
    the account buying from its first month takes its tenure as a customer; the one that started later is new."""
    ages = _ages(months)
    assert ages["A"] == pytest.approx(13.67, abs=0.01)
    assert ages["B"] < 1.0
