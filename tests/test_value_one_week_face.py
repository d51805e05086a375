"""A one-week buyer's purchase value is not its own, and its value section says so (issue 17, SWEEPDEMO).

On the demo at one month (``make-demo-data --accounts 40 --years 2 --seed 1``, analysed as of 2024-11-30) every
account had bought in one week, and the value section read "about 32.1 purchase weeks of about 4.3k each: 130.2k
revenue" alike for A0007, which bought 111.2k in its week, and A0037, which bought 233: the value of a purchase week
of an account without a repeat purchase is what the accounts that bought again spend (Gamma-Gamma's mean, or their
mean where that fit is set aside), and the value stage's note said "its own mean purchase week".
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from kamtools.sections.value import _outlook

ROW = {"expected_purchases_12m": 32.1, "expected_avg_value": 4274.4, "expected_value_12m": 130197.1}


def _text(**row) -> str:
    acct = SimpleNamespace(info={}, table=lambda name: pd.DataFrame())
    return _outlook(acct, pd.Series({**ROW, **row}), float("nan"))


def test_a_one_week_buyers_purchase_value_is_said_to_be_the_repeat_buyers():
    text = _text(frequency=0)
    assert text.startswith(
        "Over the next 12 months the value model expects about 32.1 purchase weeks of about 4.3k each (not its own "
        "figure: what a purchase week of the accounts that bought again is worth, as one week of its own does not "
        "show what its next ones will be): 130.2k revenue (discounted at 10% a year)."
    )


def test_a_repeat_buyer_reads_as_before():
    for row in ({"frequency": 3}, {}):  # a bundle without the column reads as before
        text = _text(**row)
        assert "not its own figure" not in text
        assert "purchase weeks of about 4.3k each: 130.2k revenue" in text


def test_a_one_week_buyer_whose_order_was_worth_nothing_keeps_its_own_sentence():
    text = _text(frequency=0, expected_avg_value=0.0, expected_value_12m=0.0)
    assert "not its own figure" not in text
    assert "Every order it placed was worth 0" in text
