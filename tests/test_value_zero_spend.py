"""An account whose only order is worth 0 is not valued at the population's mean purchase (issue 17, CDNOW).

CDNOW has 70 customers whose only purchase, in January 1997, is a single $0 line. Purchase counts keep such lines,
and an account without repeat purchases is valued at the Gamma-Gamma population mean, so each of them was given a
12-month value as if it spent like an average one-time buyer. Out of time they spent 1.29 on average in the 6
months after 1997-06-30 and 1997-09-30 (2 of 70 bought again) and nothing after 1997-12-31.
"""

from __future__ import annotations

import numpy as np
from _portfolio import monthly, one_product_portfolio

from kamtools.value.stage import fit_value


def _lines():
    rng = np.random.default_rng(3)
    lines = []
    for i in range(40):
        every = int(rng.choice([1, 2, 3]))
        size = float(rng.choice([100.0, 400.0]))
        for k, day in enumerate(monthly("2024-01-01", "2025-11-01", day=int(rng.integers(1, 28)))):
            if k % every == 0:
                lines.append((f"A{i:02d}", day, size * float(rng.uniform(0.8, 1.2)), 1.0))
    lines.append(("ONCE", "2025-03-10", 250.0, 1.0))  # a one-time buyer of 250
    lines.append(("ZERO", "2025-03-10", 0.0, 1.0))  # a single order line worth 0
    return lines


def test_an_account_whose_only_order_is_worth_zero_has_no_expected_value():
    value = fit_value(one_product_portfolio(_lines(), "2025-11-30"))["value"].set_index("account_id")
    zero, once = value.loc["ZERO"], value.loc["ONCE"]
    assert zero["frequency"] == once["frequency"] == 0
    assert zero["expected_purchases_12m"] == once["expected_purchases_12m"] > 0  # it may still order
    assert zero["expected_value_12m"] == 0.0 and zero["expected_avg_value"] == 0.0  # but it never spent
    assert once["expected_value_12m"] > 0  # a one-time buyer who paid is valued as before


def test_its_buy_till_you_die_forecast_is_zero_not_the_mean_purchase():
    from kamtools.forecast.selection.paths import btyd_fit

    p = one_product_portfolio(_lines(), "2025-11-30")
    fit = btyd_fit(p.orders, p.as_of, np.array(["ZERO", "ONCE"]), 6)
    assert fit.paths[0].sum() == 0.0  # before: what a one-time buyer of the population's mean value would buy
    assert fit.paths[1].sum() > 0
    assert fit.p_none[0, -1] == fit.p_none[1, -1]  # the chance it orders again is not what changed


def test_the_value_section_says_why_it_expects_nothing():
    from types import SimpleNamespace

    import pandas as pd

    from kamtools.sections.value import _outlook

    acct = SimpleNamespace(info={}, table=lambda name: pd.DataFrame())
    row = pd.Series({"expected_purchases_12m": 1.6, "expected_avg_value": 0.0, "expected_value_12m": 0.0})
    text = _outlook(acct, row, float("nan"))
    assert "about 1.6 purchase weeks of about 0 each: 0 revenue" in text
    assert "Every order it placed was worth 0: that shows no spend" in text
    paid = _outlook(acct, pd.Series({**row, "expected_avg_value": 37.3, "expected_value_12m": 55.0}), float("nan"))
    assert "worth 0" not in paid
