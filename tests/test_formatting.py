"""One set of rules for numbers, money, percentages and dates (kamtools.formatting)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from kamtools import display, formatting
from kamtools.formatting import amount, count, date, money, month, pct, points, signed_money


def test_the_module_examples_hold():
    result = doctest.testmod(formatting)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (812, "812"),
        (999.4, "999"),
        (999.6, "1.0k"),  # rounds up into the next unit instead of '1000'
        (45_300, "45.3k"),
        (999_960, "1.00M"),  # not '1000.0k'
        (1_234_567, "1.23M"),
        (2_500_000_000, "2.50B"),
        (-2_500, "-2.5k"),
        # under 100 the decimals stay (three significant digits): a portfolio booked in thousands or in small
        # units read "off by 1 against 1" where the figures were 1.27 and 1.50
        (45.34, "45.3"),
        (1.437, "1.44"),
        (45.0, "45"),
        (9.996, "10"),
        (99.96, "100"),
        (0.004, "0"),
        (-0.004, "0"),
        (-3.456, "-3.46"),
    ],
)
def test_money_is_compact_and_never_shows_a_thousand_of_a_unit(value, text):
    assert money(value) == text


def test_money_with_a_currency():
    assert money(1_234_567, "EUR") == "€1.23M"
    assert money(-45_300, "usd") == "-$45.3k"
    assert money(812, "CHF") == "CHF 812"
    assert signed_money(45_300, "GBP") == "+£45.3k" and signed_money(-1_200_000) == "-1.20M"
    assert signed_money(0.002) == "±0" and signed_money(0.2) == "+0.20" and signed_money(-1.5) == "-1.50"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT, ""])
def test_missing_values_are_empty_everywhere(missing):
    for f in (money, signed_money, amount, pct, points, count, date, month):
        assert f(missing) == ""
    assert money(missing, missing="-") == "-"


def test_percentages_and_points():
    assert pct(0.053) == "5%" and pct(0.004) == "0.4%" and pct(0) == "0%" and pct(1.5) == "150%"
    assert pct(0.0099) == "1%" and pct(0.0094) == "0.9%"  # never "1.0%" beside "1%" in one column
    assert pct(0.053, signed=True) == "+5%" and pct(0.0534, digits=1) == "5.3%"
    assert points(0.031) == "+3 pts" and points(-0.12) == "-12 pts" and points(0.004) == "±0 pts"


def test_exact_amounts_counts_and_dates():
    assert amount(1_234_567.8) == "1,234,568" and count(12345) == "12,345"
    assert date(pd.Timestamp("2026-10-31 13:00")) == "2026-10-31" and month("2026-10-01") == "Oct 2026"


def test_report_helpers_use_the_same_rules():
    assert display.money(999_960) == money(999_960) == "1.00M"
    assert display.signed_pct(0.053) == "+5%" and display.signed_pct(float("nan")) == ""


def test_report_tables_write_money_columns_as_money(captured):
    df = pd.DataFrame({"name": ["Acme"], "revenue": [803_800.26], "share": [0.25]})
    display.table(
        df,
        {"name": "Account", "revenue": "Revenue", "share": "Share"},
        money=["revenue"],
        currency="EUR",
        pct=["share"],
    )
    page = captured[-1]
    assert '<td class="num">€803.8k</td>' in page and "803,800" not in page and ">25%<" in page


def test_a_churn_probability_never_rounds_onto_the_edge_of_a_band_it_is_below():
    """Seen on the demo index: '10% (low)' beside '10% (medium)'. A share below an edge keeps one decimal."""
    from kamtools.churn.bands import HIGH_RISK_P, MEDIUM_RISK_P, risk_bands
    from kamtools.formatting import pct_banded
    from kamtools.sections.summary import summary_cards

    edges = (MEDIUM_RISK_P, HIGH_RISK_P)
    shares = [0.0996, 0.1004, 0.2996, 0.3, 0.05, 0.0004]
    bands, _ = risk_bands(shares)
    assert [pct_banded(p, edges) for p in shares] == ["9.9%", "10%", "29.9%", "30%", "5%", "<0.1%"]
    assert list(bands) == ["low", "medium", "medium", "high", "low", "low"]
    cards = {label: text for label, text, _ in summary_cards({"churn_probability": 0.0996, "risk_band": "low"})}
    assert cards["Churn risk"] == "9.9% (low)"
