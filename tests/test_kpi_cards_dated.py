"""The account page's year-to-date cards say to which date they count (issue 17, a KAM reading the page).

The overview's cards were dated last session; the account page still read "Revenue YTD" and "Target
attainment (pace)" beside a forecast section whose year sentence says "booked 1 Jan-31 Oct 2026", so a
reader could not tell whether the two figures covered the same months.
"""

from __future__ import annotations

import pandas as pd

from kamtools.sections.kpis import kpi_cards, portfolio_cards

ROW = {
    "revenue_ytd": 493_154.0,
    "growth_ytd_pct": 0.052,
    "revenue_ltm": 601_000.0,
    "growth_pct": 0.03,
    "margin_pct": 0.31,
    "target_attainment": 0.726,
    "target_pace": 0.871,
    "orders_ltm": 40.0,
    "avg_order_value": 15_000.0,
}


def test_the_account_pages_ytd_cards_name_their_dates_and_the_target_year():
    cards = {label: text for label, text, _ in kpi_cards(ROW, "EUR", pd.Timestamp("2026-10-31"))}
    assert "Revenue booked 1 Jan-31 Oct 2026 (+5% vs the same months of 2025)" in cards
    assert cards["Target attainment so far (pace): booked 1 Jan-31 Oct 2026 / the 2026 target"] == "73% (87%)"
    assert not any(label.startswith("Revenue YTD") for label in cards)


def test_without_a_date_the_cards_keep_their_short_labels():
    labels = [label for label, _, _ in kpi_cards(ROW, "EUR")]
    assert "Revenue YTD (+5% vs last year)" in labels and "Target attainment (pace)" in labels


def test_a_year_without_a_target_says_so_instead_of_n_a():
    """The demo cut at 13 months (as of 2023-11-30, targets from 2025) read "n/a (n/a)" on the account page."""
    row = {**ROW, "target_attainment": float("nan"), "target_pace": float("nan")}
    cards = {label: text for label, text, _ in kpi_cards(row, "EUR", pd.Timestamp("2023-11-30"))}
    assert cards["Target attainment so far (pace): booked 1 Jan-30 Nov 2023 / the 2023 target"] == "no 2023 target"
    assert dict((label, text) for label, text, _ in kpi_cards(row, "EUR"))["Target attainment (pace)"] == (
        "no target this year"
    )

    overview = {label: text for label, text, _ in portfolio_cards(row, "EUR", pd.Timestamp("2023-11-30"))}
    assert overview["Target attainment so far: booked 1 Jan-30 Nov 2023 / the 2023 target"] == "no 2023 target"
