"""A one-off order is not growth: segmentation and the pages read growth as the forecast reads a spike (issue 17).

Demo with a 31.5k one-off order (A0040, about 3k in its usual ordering months): its revenue rose 99% on the year
before, all of it that order, yet its page called it "fast-growing" (the cluster's growth word) beside a forecast
of -65%. Growth and the revenue trend now count a one-off month as the forecast does (``cap_spikes``), and where a
page's growth word fits only the one-off order, or the order alone makes the rise, the page says so.
"""

from __future__ import annotations

import pytest
from _portfolio import monthly, one_product_portfolio

from kamtools.sections.segment import _cluster_text
from kamtools.sections.summary import segment_text, summary_cards
from kamtools.segment.activity import account_activity
from kamtools.segment.clusters import cluster_features

AS_OF = "2024-12-31"


def _spiked_portfolio():
    """24 months: 'SPIKE' orders 3,000 every third month and once 33,000 (two months ago); 'STEADY' orders 1,000
    a month and 2,000 a month in the last 12 (real growth); 'FLAT' 1,000 a month throughout."""
    lines = []
    for i, d in enumerate(monthly("2023-01-01", AS_OF)):
        if i % 3 == 1:
            lines.append(("SPIKE", d, 33_000.0 if d.startswith("2024-11") else 3_000.0, 1.0))
        lines.append(("STEADY", d, 2_000.0 if d >= "2024-01" else 1_000.0, 1.0))
        lines.append(("FLAT", d, 1_000.0, 1.0))
    return one_product_portfolio(lines, AS_OF)


def test_a_one_off_order_is_not_growth_but_real_growth_is():
    act = account_activity(_spiked_portfolio()).set_index("account_id")
    spike, steady = act.loc["SPIKE"], act.loc["STEADY"]
    # the revenue figures stay what was booked ...
    assert spike["revenue_ltm"] == pytest.approx(42_000.0)
    assert spike["revenue_prior"] == pytest.approx(12_000.0)
    # ... the growth reads the one-off month as a usual one: flat, not +250%
    assert spike["one_off_ltm"] == pytest.approx(30_000.0)  # the 33,000 month counts as a usual 3,000
    assert spike["usual_revenue_ltm"] == pytest.approx(12_000.0)
    assert spike["growth"] == pytest.approx(0.0)
    assert abs(spike["revenue_trend"]) < abs(act.loc["STEADY", "revenue_trend"])
    # an account whose every month doubled has no one-off month and keeps its growth
    assert steady["one_off_ltm"] == 0.0
    assert steady["growth"] == pytest.approx(1.0)
    # the clusters' growth feature is the same reading
    feats = cluster_features(act.reset_index()).set_index("account_id")
    assert feats.loc["SPIKE", "growth"] == pytest.approx(0.0)
    assert feats.loc["STEADY", "growth"] > 0.5


def test_the_segment_line_says_when_a_growth_word_fits_only_a_one_off_order():
    info = {"cluster_name": "mid-size, fast-growing, occasional orders", "growth_pct": 0.99}
    # without one-off orders the +99% fits "fast-growing": no clause
    assert summary_cards(info)[0] == ("Segment", info["cluster_name"], "")
    # with them, the account's own growth is the usual one, and it does not fit the group's word
    info.update(usual_growth=-0.34, one_off_ltm=31_535.0)
    assert summary_cards(info)[0][1] == (
        "mid-size, fast-growing, occasional orders (the group's profile; this account -34% on the year before, "
        "not counting one-off orders)"
    )
    # a shrinking group fits the usual growth; the booked +99% is the one-off order, and the line says it
    assert segment_text("small, shrinking, occasional orders", 0.99, -0.34, 31_535.0) == (
        "small, shrinking, occasional orders (this account's +99% on the year before comes from one-off orders; "
        "-34% without them)"
    )
    # a one-off order that changes no word: nothing added
    assert segment_text("large, growing", 0.5, 0.3, 10_000.0) == "large, growing"
    assert segment_text("large, growing", 0.5, None, None) == "large, growing"


def test_the_segment_section_reads_the_account_growth_as_page_one():
    row = {"cluster_name": "small, shrinking, occasional orders", "usual_growth": -0.34, "one_off_ltm": 31_535.0}
    assert _cluster_text(row, {"growth_pct": 0.99}).endswith("comes from one-off orders; -34% without them)")
    assert _cluster_text(row, {}) == "small, shrinking, occasional orders"
    assert _cluster_text({**row, "usual_growth": float("nan"), "one_off_ltm": float("nan")}, {"growth_pct": 0.5}) == (
        "small, shrinking, occasional orders (the group's profile; this account +50% on the year before)"
    )


def test_the_talking_point_does_not_talk_up_a_rise_that_is_one_off_orders():
    import pandas as pd

    from kamtools.plan.talking_points import talking_points

    facts = pd.DataFrame(
        {
            "account_id": ["SPIKE", "STEADY", "SMALL"],
            "revenue_ytd": [34_961.0, 20_000.0, 20_000.0],
            "revenue_ytd_prior": [17_597.0, 10_000.0, 10_000.0],
            "growth_ytd_pct": [0.987, 1.0, 1.0],
            "margin_pct": [0.332, 0.2, 0.2],
            "revenue_ltm": [34_961.0, 24_000.0, 24_000.0],
            "one_off_ltm": [28_457.0, 0.0, 2_000.0],  # SMALL: a one-off month adding under a tenth of the year
        }
    )
    none = pd.DataFrame(columns=["account_id", "order", "objective", "text", "basis", "risk", "action", "due_date"])
    none["due_date"] = pd.to_datetime(none["due_date"])
    points = talking_points(facts, none, none, none, "2026-10-31").set_index("account_id")["text"]
    assert points["SPIKE"] == (
        "Revenue so far in 2026: 35.0k, +99% on the same period last year (one-off orders add 28.5k to the last 12 "
        "months; the forecast does not carry them on), at a 33.2% gross margin (last 12 months)."
    )
    plain = (
        "Revenue so far in 2026: 20.0k, +100% on the same period last year, at a 20.0% gross margin (last 12 months)."
    )
    assert points["STEADY"] == plain and points["SMALL"] == plain
