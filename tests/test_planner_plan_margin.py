"""One account's gross margin in the planner beside the account plan's margin objective (issue 17, planfix).

On the 12-month demo the largest account, A0018, read 126.4k (23.3%) in the planner and 'Gross margin of 24.0%
(129.7k on the revenue objective)' in its plan, both on the same 541.6k, with nothing saying why: the planner
puts each category's margin of the last 12 months on the forecast's mix of categories (less Animal health, its
best-margin category), the plan takes the account's margin of the last 12 months as a whole. The planner's
notes now say so in one sentence."""

from __future__ import annotations

import html
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from test_planner_reader17 import _cells
from test_scenario import add_table
from test_scenario_chance import base_bundle  # noqa: F401  (fixture)

from kamtools import scenario as sc
from kamtools.bundle import Bundle
from kamtools.scenario.plan_margin import plan_margin_note


class _Tables:
    """A bundle that holds only ``plan_objectives`` (no currency)."""

    manifest: dict = {}

    def __init__(self, objectives: pd.DataFrame):
        self.objectives = objectives

    def table(self, name: str) -> pd.DataFrame:
        assert name == "plan_objectives"
        return self.objectives


def _objectives(account: str, revenue: float, margin_then: float, margin_goal: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [account, account],
            "objective": ["revenue", "margin"],
            "baseline": [revenue, margin_then],
            "target_value": [revenue, margin_goal],
        }
    )


def test_the_sentence_names_both_figures_and_the_category_whose_share_moves_the_margin():
    # the last 12 months: Animal health 50 at a 40% margin, Feed 50 at 10%: 25% as a whole (the plan's);
    # the forecast: Animal health 30% of 1,000, Feed 70%: 0.3 * 40% + 0.7 * 10% = 19% (the planner's)
    cats = np.array(["Animal health", "Feed"], dtype=object)
    revenue = np.array([[25.0] * 12, [700.0 / 12] * 12])
    ratio = np.array([0.6, 0.9])
    last = pd.DataFrame({"net_revenue": [50.0, 50.0]}, index=["Animal health", "Feed"])
    said = plan_margin_note(_Tables(_objectives("A1", 1000.0, 0.25, 0.25)), "A1", cats, revenue, ratio, last)
    assert said == (
        "Gross margin here, 19.0% (190 on 1.0k over the next 12 months), is each category's margin of the last 12 "
        "months on the forecast's mix of categories; the account plan's 25.0% (250) is the account's margin of the "
        "last 12 months as a whole, and the forecast expects less Animal health (30% of revenue, against 50%; its "
        "margin 40%)."
    )
    # a plan that closes half of a gap to the portfolio median says so (and its own revenue objective)
    said = plan_margin_note(_Tables(_objectives("A1", 1200.0, 0.25, 0.28)), "A1", cats, revenue, ratio, last)
    assert "the account plan's objective, 28.0% (336 on its revenue objective of 1.2k), closes half the gap " in said
    assert "of the last 12 months as a whole, 25.0%, to the portfolio median" in said
    # the same figure to 0.1%, or no margin objective for the account: nothing to explain
    assert plan_margin_note(_Tables(_objectives("A1", 1000.0, 0.19, 0.19)), "A1", cats, revenue, ratio, last) is None
    assert plan_margin_note(_Tables(_objectives("A2", 1000.0, 0.25, 0.25)), "A1", cats, revenue, ratio, last) is None
    # no cost booked (the plan's margin is 100%): no margin objective to compare with
    assert plan_margin_note(_Tables(_objectives("A1", 1000.0, 1.0, 1.0)), "A1", cats, revenue, ratio, last) is None


def test_the_planner_says_what_its_margin_is_beside_the_plans(base_bundle, tmp_path):  # noqa: F811
    pytest.importorskip("ipywidgets")
    from kamtools.widgets import ScenarioPlanner

    path = tmp_path / "bundle"
    shutil.copytree(base_bundle.path, path)
    a = str(base_bundle.accounts["account_id"].iloc[0])
    b = sc.baseline(base_bundle, f"account:{a}")
    assert not any(n.startswith("Gross margin here") for n in b.notes)  # no plan in this bundle: nothing said
    revenue = sc.evaluate(b, sc.Scenario(name="zero", scope=b.scope)).kpi("revenue_12m")
    add_table(path, "plan_objectives", _objectives(a, revenue, 0.5, 0.5))  # a plan whose margin reads 50.0%
    planner = ScenarioPlanner(Bundle.open(path), scope=f"account:{a}", debounce=0, chart=False)
    shown = _cells(planner.kpi_table.value, "Gross margin %")[1]
    margin = _cells(planner.kpi_table.value, "Gross margin, next 12 months")[1]
    on = _cells(planner.kpi_table.value, "Revenue, next 12 months")[1]
    notes = html.unescape(re.sub(r"<[^>]+>", "\n", planner.notes.value))
    assert (
        f"Gross margin here, {shown} ({margin} on {on} over the next 12 months), is each category's margin of the "
        f"last 12 months on the forecast's mix of categories; the account plan's 50.0% ("
    ) in notes
    assert "is the account's margin of the last 12 months as a whole" in notes
