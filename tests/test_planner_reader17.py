"""The scenario planner read as a KAM beside the account page of the same bundle (issue 17): at zero
levers one account's chance to reach its target is the page's (``forecast_targets.p_reach_target``),
also where a normal cannot be matched to it (a target already passed by booked revenue, a lopsided
year total whose expected value lies below the target while the chance is above one half)."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from test_scenario import add_table
from test_scenario_chance import YEAR, base_bundle, flat_forecast  # noqa: F401  (fixture)

from kamtools import scenario as sc
from kamtools.bundle import Bundle


def _cells(html: str, start: str) -> list[str]:
    """The text of the cells of the row of ``html`` whose first cell starts with ``start``."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        if cells and cells[0].startswith(start):
            return cells
    raise AssertionError(f"no row starting with {start!r} in {html}")


@pytest.fixture(scope="module")
def one_account(base_bundle, tmp_path_factory):  # noqa: F811
    """A bundle whose first account passed its target of the analysis year with booked revenue (the page: 100%)
    and has a lopsided next year (expected 12,000 below a target of 12,500, yet the page's chance is 55%)."""
    path = tmp_path_factory.mktemp("reader17") / "bundle"
    shutil.copytree(base_bundle.path, path)
    accounts = base_bundle.accounts["account_id"].tolist()
    add_table(path, "forecast", flat_forecast(accounts, {}))  # 1,000 a month for every account
    a = accounts[0]
    booked = sc.baseline(Bundle.open(path), f"account:{a}").booked[YEAR - 1]
    assert booked > 10_000
    targets = pd.DataFrame(
        {
            "account_id": [a, a],
            "period": [YEAR - 1, YEAR],
            "revenue_target": [0.97 * booked, 12_500.0],
            "booked_ytd": [booked, 0.0],
            "expected_total": [booked + 2_000.0, 12_000.0],
            "total_lo_80": [booked, 8_000.0],
            "total_hi_80": [1.5 * booked, 20_000.0],
            "p_reach_target": [1.0, 0.55],
        }
    )
    add_table(path, "forecast_targets", targets)
    return Bundle.open(path), a


def test_one_account_shows_the_pages_chance_to_reach_its_target(one_account):
    from kamtools.widgets import ScenarioPlanner

    bundle, a = one_account
    planner = ScenarioPlanner(bundle, scope=f"account:{a}", debounce=0, chart=False)
    # the target of the analysis year is already passed by what was booked: the page says 100%
    assert _cells(planner.kpi_table.value, f"Probability of reaching the {YEAR - 1} target")[1:3] == [
        "100.0%",
        "100.0%",
    ]
    assert _cells(planner.year_table.value, str(YEAR - 1))[-1] == "100.0% → 100.0%"
    # next year's total is lopsided: below the target on average, yet reached 55 times in 100 (the page's)
    assert _cells(planner.kpi_table.value, f"Probability of reaching the {YEAR} target")[1:3] == ["55.0%", "55.0%"]
    assert _cells(planner.year_table.value, str(YEAR))[-1] == "55.0% → 55.0%"
    # the levers still move it, and a passed target stays passed whatever the levers
    planner.levers["volume_change"].value = 10.0
    assert float(_cells(planner.kpi_table.value, f"Probability of reaching the {YEAR} target")[2][:-1]) > 55.0
    planner.levers["volume_change"].value = -30.0
    assert _cells(planner.kpi_table.value, f"Probability of reaching the {YEAR - 1} target")[2] == "100.0%"
    assert float(_cells(planner.kpi_table.value, f"Probability of reaching the {YEAR} target")[2][:-1]) < 55.0
    # one account's notes do not speak of adding accounts up
    assert not any("accounts with a target" in n for n in planner.baseline.notes)


def test_a_bid_without_a_curve_holds_the_slider_at_its_price(tmp_path):
    """Every bid of the 12-month demo keeps its price (no curve): the slider read 'Our price 100.0' beside a bid
    quoted at 99.4 and moved nothing. It is held at the quoted price and greyed out; a bid with a curve frees it."""
    pytest.importorskip("ipywidgets")
    from test_bid_faces import held_tables, write_bundle

    from kamtools.scenario_bids import BidLever

    lever = BidLever(write_bundle(tmp_path / "held", held_tables("no response")))
    lever.set_account("A1")
    lever.select("OP-2")  # kept at 99.0: no curve
    assert lever.point is None
    assert lever.price.value == pytest.approx(99.0)
    assert lever.price.disabled and lever.current_button.disabled and lever.recommended_button.disabled
    lever.select("OP-1")  # the quoted bid keeps its curve: the slider moves again
    assert not lever.price.disabled and not lever.recommended_button.disabled
    assert lever.price.value == pytest.approx(101.5)
    lever.price.value = 99.0
    assert lever.point is not None and lever.point.price == pytest.approx(99.0)
