"""Share of wallet and the threat's wallet evidence only against a prior year that is in the data (issue 17).

A change in share of wallet compares the last 12 months with the 12 before. When the order history
does not reach back 24 months that prior year is missing or only partly there, and counting it as
zero (or as a part) would invent a gain. The prior figures are then NaN, the account card says "not
enough history" and the threat leaves the wallet evidence out; with 24 months nothing changes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import kamtools.competitors as comp
from kamtools.data.portfolio import Portfolio


@lru_cache(maxsize=1)
def _demo() -> Portfolio:
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=30, years=2, seed=1, groups=0)  # 24 months of orders
    return portfolio


def _last_months(months: int) -> Portfolio:
    p = _demo()
    start = p.as_of + pd.Timedelta(days=1) - pd.DateOffset(months=months)
    return Portfolio({**p.tables, "orders": p.orders[p.orders["order_date"] >= start].reset_index(drop=True)}, p.as_of)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    from kamtools.bundle import analyze

    out = {}
    for months, portfolio in ((12, _last_months(12)), (24, _demo())):
        out[months] = analyze(
            portfolio, tmp_path_factory.mktemp(f"c{months}") / "b", stages=["competitors"], progress=False
        )
    return out


def _wallet_account(bundle) -> str:
    sow = bundle.table("share_of_wallet")
    return str(sow.loc[sow["wallet_known"], "account_id"].iloc[0])


def test_share_of_wallet_change_needs_the_prior_year():
    short = comp.share_of_wallet(_last_months(12))
    known = short[short["wallet_known"]]
    assert len(known) and known["share_of_wallet"].notna().all()
    for col in ("revenue_prior_12m", "share_of_wallet_prior", "share_of_wallet_change"):
        assert short[col].isna().all(), col
    full = comp.share_of_wallet(_demo())
    known = full[full["wallet_known"]]
    assert known["share_of_wallet_change"].notna().all()
    np.testing.assert_allclose(
        known["share_of_wallet_change"],
        (known["revenue_ltm"] - known["revenue_prior_12m"]) / known["potential_revenue"],
    )


def test_wallet_card_on_twelve_months_says_not_enough_history(bundles, captured):
    from kamtools.sections import competitors as section

    bundle = bundles[12]
    section.account_section(bundle.account(_wallet_account(bundle)))
    html = "".join(captured)
    assert "Share-of-wallet change" in html and "not enough history" in html
    assert "Share-of-wallet change (points)" not in html
    assert "needs 24 months of order history and this portfolio has 12 months of order history" in html
    captured.clear()
    section.portfolio_section(bundle)
    html = "".join(captured)
    assert "lost more than 5 points" not in html
    assert "The change in share of wallet compares the last 12 months with the 12 before" in html
    assert "the threat scores leave it out and count only lost bids and price gaps" in html


def test_wallet_card_on_a_full_history_is_unchanged(bundles, captured):
    from kamtools.sections import competitors as section

    bundle = bundles[24]
    account = _wallet_account(bundle)
    change = bundle.table("share_of_wallet").set_index("account_id").loc[account, "share_of_wallet_change"]
    section.account_section(bundle.account(account))
    html = "".join(captured)
    assert "Share-of-wallet change (points)" in html and f"{change * 100:+.0f}" in html
    assert "not enough history" not in html
    assert bundle.note("share_of_wallet") is None and bundle.note("competitor_threat") is None


def test_threat_at_eighteen_months_does_not_compare_with_a_half_year():
    threat = comp.threat_score(_last_months(18))
    for col in ("revenue_prior_12m", "revenue_change_pct", "share_of_wallet_prior"):
        assert threat[col].isna().all(), col
    assert (threat["threat_wallet"] == 0).all()
    assert not threat["reasons"].str.contains("fell").any()
    quiet = threat[(threat["n_lost_recent"] == 0) & ~(threat["price_gap"] > 0.005)]
    assert len(quiet)
    assert (
        quiet["reasons"]
        == "No recent losses or price gap. Revenue and share of wallet are not compared with the prior 12 months "
        "(not enough history: that needs 24 months of orders)."
    ).all()
    # with the whole 24 months the prior year is compared as before
    full = comp.threat_score(_demo())
    assert full["revenue_change_pct"].notna().any()
