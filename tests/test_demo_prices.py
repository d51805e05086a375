"""Planted truth of the demo's prices and targets (issue 18): the planner can estimate the
elasticities the generator planted, and the targets mix reachable and stretching ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.datasets import CATEGORY_NAMES, make_portfolio
from kamtools.scenario.elasticity import estimate_elasticity, price_volume_table


@pytest.fixture(scope="module")
def demo():
    return make_portfolio(300, 4, 7)


def test_the_price_index_moves_within_accounts(demo):
    portfolio, _ = demo
    pv = price_volume_table(portfolio)
    logp = np.log(pv["price_index"].dropna())
    within = logp - logp.groupby([pv["account_id"], pv["category"]]).transform("mean")
    assert within.std() > 0.04  # list-price rises, renegotiated discounts and promotions


def test_planner_recovers_the_planted_elasticities(demo):
    """Every usable portfolio estimate's 95% interval holds the planted elasticity, and most
    categories are usable (the rest fall back to the default, as the planner says)."""
    portfolio, truth = demo
    assert set(truth.price_elasticity) == set(CATEGORY_NAMES)
    assert all(-2.2 <= e <= -0.4 for e in truth.price_elasticity.values())
    est = estimate_elasticity(portfolio)
    est["planted"] = est["category"].map(truth.price_elasticity)
    usable = est[est["usable"]]
    assert len(usable) >= 8, est[["category", "estimate", "reason"]].to_string()
    inside = (usable["ci_low"] <= usable["planted"]) & (usable["planted"] <= usable["ci_high"])
    assert inside.all(), usable[["category", "estimate", "ci_low", "ci_high", "planted"]].to_string()
    # and the ranking follows: price-sensitive categories are estimated as such
    assert np.corrcoef(usable["estimate"], usable["planted"])[0, 1] > 0.7


def test_targets_mix_reachable_and_stretching(demo):
    """Targets are anchored on last year's booked revenue: for established accounts the ratio of
    this year's target to last year's revenue spreads below and above 1."""
    portfolio, truth = demo
    orders = portfolio.tables["orders"]
    year = pd.DatetimeIndex(orders["order_date"]).year
    booked = orders[year == 2025].groupby("account_id")["net_revenue"].sum()
    t = portfolio.tables["targets"]
    t26 = t[t["period"] == 2026].set_index("account_id")["revenue_target"]
    un = set(truth.unreachable_targets.loc[truth.unreachable_targets["period"] == 2026, "account_id"])
    ratio = (t26 / booked).dropna()
    ratio = ratio[~ratio.index.isin(un) & (booked.reindex(ratio.index) > 20_000)]
    below, above = (ratio < 1.0).mean(), (ratio > 1.08).mean()
    assert 0.25 < below < 0.75 and 0.15 < above < 0.6, ratio.describe()
