"""Strength rests on evidence of our position, and a lapsed account is never tiered "strong" (issue 17).

The CDNOW audit: with only the required tables, strength was tenure alone, and tenure came from each
account's first order (customer_since derived), so a one-time buyer silent for a year read "Strong position
(strength 99/100)", Tier 2, and the top customer "attractive account where we are weak (strength 9/100)".
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kamtools.churn.labels import ChurnDefinition
from kamtools.data import NotAvailable, Portfolio
from kamtools.segment import bundle_tables, segment_accounts, tenure_from_first_order

QUADRANT_WORDS = ("Strong position", "we are strong", "where we are weak", "Strategic account")


def _order_log_only(portfolio: Portfolio, potential: float | None = None, keep_since: bool = False) -> Portfolio:
    """Only the required tables; customer_since is the first order date (as the loader fills it) unless
    ``keep_since``; potential_revenue unknown unless ``potential`` (given to every other account)."""
    orders = portfolio.orders
    accounts = portfolio.accounts.copy()
    if not keep_since:
        first = orders.groupby("account_id")["order_date"].min()
        accounts["customer_since"] = accounts["account_id"].map(first).fillna(portfolio.as_of)
    accounts["potential_revenue"] = np.nan
    if potential is not None:
        accounts.loc[accounts.index[::2], "potential_revenue"] = potential
    tables = {"accounts": accounts, "products": portfolio.products, "orders": orders}
    return Portfolio(tables, portfolio.as_of)


def _lapsed_ids(portfolio: Portfolio, months: int) -> set[str]:
    last = portfolio.orders.groupby("account_id")["order_date"].max()
    return set(last[last <= portfolio.as_of - pd.DateOffset(months=months)].index.astype(str))


@pytest.fixture(scope="module")
def order_log(small_portfolio):
    p = _order_log_only(small_portfolio)
    return p, bundle_tables(p, {})


def test_an_order_log_only_portfolio_says_strength_is_not_available(order_log):
    p, tables = order_log
    assert tenure_from_first_order(p)
    seg = tables["segments"]
    assert seg["strength"].isna().all()
    assert set(seg["quadrant"]) == {"attractive", "less attractive"}
    assert "score_tenure_years" not in seg.columns  # a derived tenure is not weighed at all
    reasons = seg["tier_reason"]
    assert reasons.str.contains("strength not available").all()
    assert not reasons.str.contains("|".join(QUADRANT_WORDS)).any()
    assert not reasons.str.contains(r"strength \d+/100").any()
    note = tables["_notes"]["segments"]
    assert (
        "Our strength with the customer is not available: the data holds no share of wallet "
        "(accounts.potential_revenue), no contacts with interactions and no decided bids (opportunities), and "
        "tenure (counted from each account's first order) alone says how long an account has bought, not how "
        "strong our position is; every account is placed and tiered by attractiveness only, and none is called "
        "strong or weak."
    ) in note
    # attractiveness-only tiering: the attractive half is tier 1 or 2, the rest tier 3 unless in the top value
    assert set(seg["tier"]) <= {1, 2, 3}
    assert (seg.loc[seg["quadrant"] == "less attractive", "tier"] == 3).all()


def test_no_lapsed_account_is_tiered_strong_or_tier_one(order_log):
    p, tables = order_log
    seg = tables["segments"].set_index("account_id")
    lapsed = _lapsed_ids(p, 6)
    assert lapsed, "the demo should hold lapsed accounts"
    for acc in lapsed:
        assert seg.loc[acc, "tier"] in (2, 3)
        assert seg.loc[acc, "tier_reason"].startswith("Lapsed (no order in the last 6 months)")
        assert "win-back case" in seg.loc[acc, "tier_reason"]
    active = seg.drop(index=list(lapsed))
    assert not active["tier_reason"].str.startswith("Lapsed").any()


def test_a_true_tenure_alone_is_no_strength_either(small_portfolio):
    p = _order_log_only(small_portfolio, keep_since=True)
    assert not tenure_from_first_order(p)
    tables = bundle_tables(p, {})
    seg = tables["segments"]
    assert seg["strength"].isna().all()
    note = tables["_notes"]["segments"]
    assert "and tenure alone says how long an account has bought" in note
    assert "first order" not in note


def test_strength_is_known_only_where_a_position_criterion_is(small_portfolio):
    p = _order_log_only(small_portfolio, potential=50_000.0)
    tables = bundle_tables(p, {})
    seg = tables["segments"].set_index("account_id")
    has_wallet = p.accounts.set_index("account_id")["potential_revenue"].notna()
    known = seg["strength"].notna()
    assert (known == has_wallet.reindex(seg.index)).all()
    assert set(seg.loc[known, "quadrant"]) <= {"strategic", "develop", "maintain", "streamline"}
    assert set(seg.loc[~known, "quadrant"]) <= {"attractive", "less attractive"}
    n_unknown, n = int((~known).sum()), len(seg)
    assert (
        f"Our strength with the customer is not available: for {n_unknown} of {n} accounts the data holds no "
        "share of wallet"
    ) in tables["_notes"]["segments"]
    assert "those accounts are placed and tiered by attractiveness only" in tables["_notes"]["segments"]


def test_lapsed_follows_the_churn_definition_given_to_analyze(small_portfolio):
    p = _order_log_only(small_portfolio)
    tables = bundle_tables(p, {"_churn_definition": ChurnDefinition(horizon_months=3)})
    seg = tables["segments"].set_index("account_id")
    three = _lapsed_ids(p, 3)
    assert len(three) > len(_lapsed_ids(p, 6))
    assert all(seg.loc[a, "tier_reason"].startswith("Lapsed (no order in the last 3 months)") for a in three)


def test_with_position_evidence_lapsed_accounts_are_never_strong(small_portfolio):
    seg = segment_accounts(small_portfolio)["segments"].set_index("account_id")
    assert seg["strength"].notna().all()  # the demo has contacts, bids and wallets
    lapsed = _lapsed_ids(small_portfolio, 6)
    assert lapsed
    reasons = seg.loc[sorted(lapsed), "tier_reason"]
    assert not reasons.str.contains("|".join(QUADRANT_WORDS)).any()
    assert (seg.loc[sorted(lapsed), "tier"] > 1).all()


# ---- what the report says -----------------------------------------------------------------------------------


def _recorder():
    shown: list[tuple[str, object]] = []
    rec = SimpleNamespace(
        heading=lambda text, *a, **k: shown.append(("heading", text)),
        paragraph=lambda text: shown.append(("paragraph", text)),
        bullets=lambda items: shown.extend(("bullet", b) for b in items),
        kpi_cards=lambda cards: shown.extend(("card", c) for c in cards),
        table=lambda df, columns=None, **k: shown.append(("table", columns)),
        figure=lambda fig, alt="": shown.append(("figure", alt)),
        not_available=lambda r: shown.append(("paragraph", str(r))),
    )
    return rec, shown


def test_the_report_says_strength_is_not_available_and_draws_no_matrix(order_log, monkeypatch):
    from kamtools.sections import segment as section

    _, tables = order_log
    seg = tables["segments"]
    rec, shown = _recorder()
    monkeypatch.setattr(section, "display", rec)
    monkeypatch.setattr(section, "show_notes", lambda *a, **k: None)
    monkeypatch.setattr(section, "portfolio_matrix_chart", lambda *a, **k: None)
    bundle = SimpleNamespace(table=lambda n: NotAvailable(n), manifest={})
    section._matrix(bundle, seg)
    paragraphs = [t for kind, t in shown if kind == "paragraph"]
    assert paragraphs == [
        "Our strength with the customer is not available for any account (see the note above), so there is no "
        "matrix: accounts are split by attractiveness (size, growth, margin, expected value, wallet; 0-100 as a "
        "percentile among all accounts) into attractive and less attractive."
    ]
    assert not [t for kind, t in shown if kind == "figure"]
    assert [c["quadrant"] for kind, c in shown if kind == "table"] == ["Attractiveness"]

    shown.clear()
    row = seg[seg["quadrant"] == "less attractive"].head(1)
    acct = SimpleNamespace(
        bundle=bundle,
        account_id=row["account_id"].iloc[0],
        info={},
        table=lambda n: row,
        portfolio_table=lambda n: seg,
    )
    section.account_section(acct)
    bullets = [t for kind, t in shown if kind == "bullet"]
    assert bullets[0] == (
        "Placed by attractiveness only: less attractive account, our strength with it not known: serve it "
        "efficiently, at low cost."
    )
    assert not [t for kind, t in shown if kind == "figure"]
    assert "strength not available" in [t for kind, t in shown if kind == "paragraph"][0]
    assert ("heading", "What places it by attractiveness (percentile among all accounts, 0-100)") in shown
