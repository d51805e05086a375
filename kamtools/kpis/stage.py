"""The KPI stage: the bundle's KPI, health and bid tables."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import order_history
from kamtools.kpis.health import health_scores
from kamtools.kpis.pipeline import bid_losses, open_bids
from kamtools.kpis.receivables import receivables_ageing
from kamtools.kpis.table import _kpis_and_blocks, portfolio_kpis

SUMMARY_COLUMNS = {
    "kpis": [
        "health_score",
        "health_band",
        "revenue_ytd",
        "growth_pct",
        "target_attainment",
        "target_pace",
        "weighted_value",
        "win_rate",
        "open_ar",
        "overdue_ar",
        "dso_days",
        "complaints_open",
        "open_severe",
        "days_since_dm_contact",
        "single_threaded",
    ]
}


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The KPI stage of :func:`kamtools.bundle.analyze`.

    Tables: ``kpis`` (one row per account: every headline KPI plus health_score and
    health_band), ``kpis_portfolio`` (one row of portfolio totals), ``pipeline`` (open bids
    per account), ``pipeline_losses`` (post-bid analysis per account and competitor),
    ``receivables`` (AR ageing per account and bucket), ``complaints_summary``,
    ``relationships``, ``health`` and ``health_components``; NotAvailable for those whose
    input table is missing.
    """
    kpis, blocks = _kpis_and_blocks(portfolio)
    out: dict[str, pd.DataFrame | NotAvailable] = {}
    hs = health_scores(portfolio, kpis, inputs)
    if isinstance(hs, NotAvailable):
        out["health"] = out["health_components"] = hs
        health = None
    else:
        health, comps = hs
        out["health"], out["health_components"] = health, comps
        kpis = kpis.merge(health[["account_id", "health_score", "health_band", "top_weakness"]], on="account_id")
    out["kpis"] = kpis
    out["kpis_portfolio"] = portfolio_kpis(kpis, health)
    out["pipeline"] = open_bids(portfolio)
    out["pipeline_losses"] = bid_losses(portfolio)
    out["receivables"] = receivables_ageing(portfolio)
    out["complaints_summary"] = blocks["complaints"]
    out["relationships"] = blocks["relationships"]
    notes = (
        history_notes(portfolio)
        + returns_notes(out["kpis_portfolio"])
        + dropped_returns_notes(portfolio.facts)
        + corrections_notes(portfolio.facts)
        + heavy_returns_notes(portfolio.orders)
        + cost_notes(kpis)
    )
    if notes:
        out["_notes"] = {"kpis": " ".join(notes)}
    return out


def returns_notes(totals: pd.DataFrame) -> list[str]:
    """The sentence on returns, credit notes and rebates netted in the revenue KPIs (none without them)."""
    if totals.empty or "returns_ltm" not in totals.columns:
        return []
    row = totals.iloc[0]
    if not row["returns_ltm"] > 0:
        return []
    rate = row["returns_rate"]
    share = f"{rate:.1%} of gross revenue" if np.isfinite(rate) else "more than the gross revenue"
    return [  # a portfolio figure shown on each account page too: say whose it is
        f"Revenue, margin and growth are net of returns, credit notes and rebates (across the portfolio {share} "
        "in the last 12 months; each account's own share is on its returns card); those lines are not counted "
        "as orders."
    ]


def _load_fact(facts: dict[str, dict[str, float]] | None, name: str) -> tuple[int, float] | None:
    """(credit lines, credited revenue) of the load fact ``name`` (:attr:`kamtools.data.portfolio.Portfolio.facts`),
    or None where the load recorded none."""
    fact = (facts or {}).get(name)
    return (int(fact["lines"]), float(fact["credited"])) if fact else None


def dropped_returns_notes(facts: dict[str, dict[str, float]]) -> list[str]:
    """The sentence on returns, credit notes and rebates left out at load (negative_lines: drop), on the pages too:
    the load warned once on the command line, while every page's revenue read as if netted (Online Retail's top 200
    at 2011-05-31: 1,219 lines, 80,277 of credits, not a word on the pages). ``facts``: the portfolio's load facts
    (:attr:`kamtools.data.portfolio.Portfolio.facts`). None when nothing was dropped."""
    from kamtools.formatting import counted

    dropped = _load_fact(facts, "negative_lines_dropped")
    if dropped is None:
        return []
    lines, credited = dropped
    return [
        f"Returns, credit notes and rebates were left out when the data was loaded ({counted(lines, 'order line')} "
        f"with a negative quantity, revenue or cost, {credited:,.0f} of credited revenue): revenue, margin, growth "
        "and forecasts are gross of returns, higher than what the customers kept; load the data with "
        "--negative-lines keep (the default) to net them."
    ]


def corrections_notes(facts: dict[str, dict[str, float]]) -> list[str]:
    """The sentence on credit lines the load read as same-day corrections (cancelled or repriced orders,
    :mod:`kamtools.data.loader.corrections`), on the pages too, beside the returns share they no longer count in.
    ``facts``: the portfolio's load facts. None when there were none."""
    from kamtools.formatting import counted

    found = _load_fact(facts, "same_day_corrections")
    if found is None:
        return []
    lines, credited = found
    return [
        f"{counted(lines, 'credit line')} ({credited:,.0f} of credited revenue) booked on the same day as a sale of "
        "the same product to the same account are read as cancelled or repriced orders, not as returns: each is "
        "netted with its sale, so the returns shares count only what the customers were given back."
    ]


def heavy_returns_notes(orders: pd.DataFrame) -> list[str]:
    """The load's warning on accounts whose returns, credit notes and rebates dominate, on the pages too: the
    accounts with their share over the whole history, told apart from the returns card's last 12 months (A0005 of a
    credit-heavy demo: 31% over the whole history, 49% in the last 12 months); none when no account's dominate."""
    from kamtools.data.loader.notes import heavy_returns, heavy_returns_named
    from kamtools.data.schemas import RETURNS_DOMINATE
    from kamtools.formatting import counted

    if orders is None or orders.empty or not {"account_id", "net_revenue"} <= set(orders.columns):
        return []
    heavy = heavy_returns(orders)
    if heavy.empty:
        return []
    return [
        f"Returns, credit notes and rebates exceed {RETURNS_DOMINATE:.0%} of gross revenue (or make net revenue "
        f"negative) in {counted(len(heavy), 'account')}: {heavy_returns_named(heavy)}; an account's returns card "
        "gives its share in the last 12 months. Check that the export books only returns, credit notes and rebates "
        "as negative lines (not, e.g., cancellations of lines left out of the export): revenue, growth and "
        "forecasts are net of them."
    ]


def cost_notes(kpis: pd.DataFrame) -> list[str]:
    """The warning when no account has a cost booked in the last 12 months (every margin reads 100%)."""
    if not {"revenue_ltm", "margin_ltm"} <= set(kpis.columns):
        return []
    sold = kpis["revenue_ltm"] > 0
    if not sold.any() or not np.allclose(kpis.loc[sold, "margin_ltm"], kpis.loc[sold, "revenue_ltm"]):
        return []
    return [
        "Every cost on the orders of the last 12 months is 0, so each gross margin reads 100%: it is not a real "
        "margin, and no margin objective is set (add the cost of each order line, or products.unit_cost)."
    ]


def history_notes(portfolio: Portfolio) -> list[str]:
    """Sentences on the KPIs left out because the order history does not cover their comparison window."""
    history = order_history(portfolio)
    prior_year = portfolio.as_of - pd.DateOffset(years=1)
    left = []
    if not history.covers_months_back(24):
        left.append("growth against the 12 months before the last 12")
    if not history.covers(prior_year.replace(month=1, day=1)):
        left.append("year-to-date growth against the same period last year")
    if portfolio.has("targets") and not history.covers(portfolio.as_of.replace(month=1, day=1)):
        left.append(f"attainment of the {portfolio.as_of.year} target")
    if not left:
        return []
    what = " and ".join(left)
    return [
        f"{what[0].upper()}{what[1:]} {'are' if len(left) > 1 else 'is'} not shown: this portfolio has "
        f"{history.describe()} and the comparison period lies before it."
    ]
