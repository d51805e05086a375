"""Facts: one row per account of named numbers and texts, gathered from the analysis tables.

Each table is read through the columns the plan stage declares in :mod:`kamtools.stages`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamtools.churn.bands import churn_figure, churn_measure, is_score, same_for_all
from kamtools.churn.sentences import gap_days
from kamtools.data.portfolio import NotAvailable
from kamtools.forecast.selection.paths import WEIGHS_STOPPING
from kamtools.plan.constants import CATEGORY_DECLINE, WHITESPACE_TOP_N
from kamtools.plan.objectives import objectives

# ------------------------------------------------------------------------------------------
# facts
# ------------------------------------------------------------------------------------------
# name -> (unit, meaning). Units: money, share (fraction shown as %), pp (difference of
# fractions, shown as percentage points), days, count, number, score, prob, flag (0/1),
# text, date. Facts whose analysis is missing are NaN/empty; conditions on them are False.
_FACT_SPEC: dict[str, tuple[str, str]] = {
    # account
    "name": ("text", "Account name"),
    "owner": ("text", "Key account manager who owns the account"),
    "industry": ("text", "Industry"),
    "region": ("text", "Sales region"),
    "tenure_years": ("number", "Years as a customer"),
    # performance
    "revenue_ytd": ("money", "Revenue this calendar year to date"),
    "revenue_ytd_prior": ("money", "Revenue in the same period last year"),
    "growth_ytd_pct": ("share", "YTD revenue vs the same period last year, minus 1"),
    "revenue_ltm": ("money", "Revenue in the last 12 months"),
    "revenue_prior_ltm": ("money", "Revenue in the 12 months before"),
    "growth_pct": ("share", "Last 12 months' revenue vs the 12 months before, minus 1"),
    "margin_ltm": ("money", "Gross margin in the last 12 months"),
    "margin_pct": ("share", "Gross margin % in the last 12 months"),
    "margin_benchmark": ("share", "Median gross margin % of the portfolio's active accounts"),
    "margin_gap_pct": ("pp", "Margin % against the portfolio's median margin %"),
    "margin_loss": ("money", "Gross margin lost in the last 12 months (0 when the margin is positive)"),
    "margin_gap_value": ("money", "Margin gained by reaching the portfolio median on the last 12 months' revenue"),
    "orders_ltm": ("count", "Orders in the last 12 months"),
    "one_time_buyer": (
        "flag",
        "One order in the last 12 months and no revenue in the 12 before (or no history before them): a single "
        "purchase, no buying habit to win back",
    ),
    "avg_order_value": ("money", "Average order value, last 12 months"),
    "days_since_last_order": ("days", "Days since the last order"),
    "usual_order_gap_days": (
        "days",
        "The account's usual gap between orders (its days since the first order over its order days, as the churn "
        "features give it)",
    ),
    "usual_gap_clause": (
        "text",
        "The usual gap as a clause to follow the days since the last order (', where it usually orders every 38 "
        "days'); empty where the gap is unknown (fewer than two order days)",
    ),
    # targets
    "target": ("money", "Revenue target of the current calendar year"),
    "target_attainment": ("share", "YTD revenue / this year's target"),
    "target_pace": ("share", "YTD revenue / pro-rata target (1 = on pace)"),
    "target_gap": ("money", "This year's target minus YTD revenue"),
    "next_target": ("money", "Revenue target of next calendar year"),
    # pipeline
    "open_bids": ("count", "Open bids"),
    "open_value": ("money", "Value of open bids"),
    "weighted_value": ("money", "Open bids weighted by win probability"),
    "bids_closing_90d": ("count", "Open bids expected to close in the next 90 days"),
    "value_closing_90d": ("money", "Value of the bids closing in the next 90 days"),
    "bids_decided_12m": ("count", "Bids decided (won or lost) in the last 12 months"),
    "bids_lost_12m": ("count", "Bids lost in the last 12 months"),
    "win_rate": ("share", "Bids won / decided, last 12 months"),
    "avg_cycle_days": ("days", "Average days from bid creation to decision"),
    "top_loss_competitor": ("text", "Competitor we lost most bids to (last 12 months)"),
    "lost_to_top_competitor": ("count", "Bids lost to that competitor (last 12 months)"),
    "loss_price_gap_pct": ("share", "Our price vs that competitor's on those lost bids, minus 1"),
    "top_loss_category": ("text", "Category most of those lost bids were for"),
    "top_loss_reason": ("text", "Most frequent loss reason (last 12 months)"),
    "lost_value_12m": ("money", "Value of the bids lost in the last 12 months"),
    "value_loss_competitor": ("text", "Competitor we lost the most bid value to (last 24 months)"),
    "lost_value_to_competitor": ("money", "Bid value lost to that competitor (last 24 months)"),
    "lost_bids_to_competitor": ("count", "Bids lost to that competitor (last 24 months)"),
    "lost_value_price_gap_pct": ("share", "Our price vs that competitor's on those lost bids, minus 1"),
    "lost_value_vs_revenue": ("share", "Value lost to that competitor as a share of the last 12 months' revenue"),
    # category trends (last 12 months vs the 12 before, per product category)
    "category_declines": ("count", "Categories whose revenue fell by 25% or more (or stopped)"),
    "category_decline_value": ("money", "Revenue lost in those categories vs the 12 months before"),
    "declining_categories": ("text", "The declining categories with their change, largest loss first"),
    "top_declining_category": ("text", "The category with the largest revenue loss"),
    "category_decline_share": (
        "share",
        "Revenue lost in those categories as a share of the account's revenue in the 12 months before",
    ),
    # receivables
    "open_ar": ("money", "Open receivables"),
    "overdue_ar": ("money", "Receivables past their due date"),
    "overdue_60_plus": ("money", "Receivables more than 60 days past due"),
    "ar_90_plus": ("money", "Receivables more than 90 days past due"),
    "overdue_invoices": ("count", "Invoices past due"),
    "oldest_overdue_days": ("days", "Days past due of the oldest unpaid invoice"),
    "dso_days": ("days", "Days sales outstanding (open AR / last 90 days' invoicing x 90)"),
    "late_share_12m": ("share", "Share of invoices due in the last 12 months paid late"),
    "late_share_trend": ("pp", "Share of invoices paid late, change against a year earlier"),
    # complaints
    "complaints_open": ("count", "Open complaints"),
    "open_severe": ("count", "Open high or critical complaints"),
    "oldest_open_severe_days": ("days", "Age of the oldest open high/critical complaint"),
    "complaints_12m": ("count", "Complaints opened in the last 12 months"),
    "complaints_trend": ("number", "Complaints in the last 12 months minus the 12 months before"),
    "mean_days_to_resolve": ("days", "Mean days to resolve a complaint (last 12 months)"),
    # relationships
    "contacts": ("count", "Contacts known at the account"),
    "decision_makers": ("count", "Decision makers known at the account"),
    "dm_engaged_90d": ("count", "Decision makers met or spoken to in the last 90 days"),
    "days_since_dm_contact": ("days", "Days since the last decision-maker contact"),
    "days_since_senior_contact": ("days", "Days since the last executive/senior contact"),
    "days_since_last_contact": ("days", "Days since the last logged interaction"),
    "engaged_contacts_90d": ("count", "Contacts engaged in the last 90 days"),
    "engaged_contacts_180d": ("count", "Contacts engaged in the last 180 days"),
    "interactions_90d": ("count", "Interactions in the last 90 days"),
    "single_threaded": ("flag", "Exactly one contact engaged in the last 180 days"),
    "thread_share": (
        "share",
        "Share of the last 12 months' interactions with a named contact that went through the most-met person",
    ),
    "single_threaded_12m": (
        "flag",
        "70% or more of the last 12 months' interactions (at least 4) went through one person (relationship map)",
    ),
    "champion_left": ("flag", "A champion, supporter or decision maker left the customer in the last 12 months"),
    "champion_left_days": ("days", "Days since that sponsor left"),
    "successor_role": ("text", "Whom to meet after a sponsor left: the successor of that person in their role"),
    # health
    "health_score": ("score", "Health score 0-100"),
    "health_band": ("text", "Health band: red, amber or green"),
    "top_weakness": ("text", "Health component losing most points"),
    # churn
    "churn_probability": ("prob", "Churn probability (see the churn section for how it was estimated)"),
    "churn_is_score": (
        "flag",
        "The churn figure is a score, not a probability (no churn model could be trained and its fallback could "
        "not be confirmed on the history)",
    ),
    "churn_same_for_all": (
        "flag",
        "Every active account shows the same churn figure (in whole points): it tells no account apart from another, "
        "so it raises no account's retention action (a short history's score, say)",
    ),
    "churn_label": ("text", "What the churn figure is, to start a sentence: 'Churn probability' or 'Churn score'"),
    "churn_figure": ("text", "The churn figure as the reports write it: '57%' for a probability, '57/100' for a score"),
    "churn_risk_band": ("text", "Churn risk band"),
    "revenue_at_risk": ("money", "Revenue at risk (churn probability x the 12-month forecast)"),
    "churn_drivers": ("text", "Top churn drivers in words"),
    "churn_driver_count": (
        "count",
        "Churn drivers listed that raise the risk (0 where the account has a churn figure but no driver is listed)",
    ),
    # competitors
    "threat_score": ("score", "Competitor threat score 0-100"),
    "threat_band": ("text", "Competitor threat band"),
    "main_competitor": ("text", "Main competitor at the account"),
    "threat_reasons": ("text", "Why the competitor threat is rated so"),
    "share_of_wallet": ("share", "Our share of the account's estimated spend"),
    # value and segment
    "expected_value_12m": ("money", "Expected revenue in the next 12 months (value model)"),
    "p_alive": (
        "prob",
        "Probability the account is still buying (unknown where the value model's P(alive) is only an activity score)",
    ),
    "value_win_back": ("flag", "The value model calls it a win-back case (P(alive) a checked probability under 50%)"),
    "segment": ("text", "Behavioural segment"),
    "tier": ("text", "Account tier"),
    "quadrant": ("text", "Portfolio-matrix quadrant"),
    "one_off_ltm": (
        "money",
        "What one-off order months (over 3 times the usual ordering month) add to the last 12 months' revenue, "
        "which segment growth and the forecast do not count",
    ),
    # forecast
    "forecast_12m": ("money", "Forecast revenue for the next 12 months"),
    "forecast_own_history": (
        "flag",
        "The 12-month forecast follows the account's own months as if it goes on buying as it has (not what "
        "accounts as silent bought back, nor a buying model that weighs the chance it has stopped)",
    ),
    "forecast_vs_next_target": ("share", "Forecast for the next 12 months against the next target"),
    "next_target_shortfall": ("money", "Next target minus the forecast (0 when the forecast reaches it)"),
    "forecast_vs_ltm": ("share", "Forecast for the next 12 months against the last 12 months' revenue, minus 1"),
    "forecast_shortfall": (
        "money",
        "Last 12 months' revenue minus the forecast for the next 12 months (0 when the forecast is as high)",
    ),
    "p_target": ("prob", "Probability of reaching the target (forecast)"),
    # whitespace
    "whitespace_capture": (
        "money",
        "Realistic whitespace capture: sum of p_adopt x yearly spend if adopted over the top 3 recommended "
        "categories (adoption probability of 10% or more), i.e. probability-weighted",
    ),
    "top_whitespace_category": ("text", "Top whitespace recommendation"),
    "top_whitespace_p": ("prob", "Adoption probability of the top recommendation"),
    "top_whitespace_value": ("money", "Yearly spend of the top recommendation if adopted (unweighted)"),
    "top_whitespace_ev": ("money", "Probability-weighted yearly value of the top recommendation"),
    "whitespace_recommendations": ("count", "Recommended whitespace categories (adoption probability of 10% or more)"),
    # objectives (computed before the playbook runs, so rules may use them)
    "revenue_objective": ("money", "Revenue objective for the next 12 months"),
    "margin_pct_objective": ("share", "Margin % objective for the next 12 months"),
    # the portfolio
    "revenue_per_active_account": (
        "money",
        "The portfolio's revenue of the last 12 months per account that bought in them (the scale of the "
        "playbook's materiality floor, see material_floor)",
    ),
}
FACTS: dict[str, str] = {k: v[1] for k, v in _FACT_SPEC.items()}
"""Fact name -> meaning: the names a playbook condition or template may use."""
FACT_UNITS: dict[str, str] = {k: v[0] for k, v in _FACT_SPEC.items()}
_TEXT_FACTS = {k for k, u in FACT_UNITS.items() if u == "text"}
SCORE_FACTS: dict[str, tuple[str, str]] = {
    "churn_probability": ("churn_is_score", "Churn score, not a probability (see the churn section for why)"),
}
"""A probability fact that is a score on accounts where its flag fact is 1 -> (flag, its meaning then):
templates write it '57/100' there and evidence names it so, never '57%'."""


def scored(facts: pd.DataFrame | Mapping[str, object], name: str) -> list[bool]:
    """Per row of ``facts`` (or for one account's mapping): is fact ``name`` a score there (:data:`SCORE_FACTS`)?"""
    flag = SCORE_FACTS.get(name, (None,))[0]
    if isinstance(facts, pd.DataFrame):
        if flag is None or flag not in facts.columns:
            return [False] * len(facts)
        return (pd.to_numeric(facts[flag], errors="coerce") == 1).tolist()
    value = facts.get(flag) if flag is not None else None
    return [value is not None and not pd.isna(value) and float(value) == 1]


# ------------------------------------------------------------------------------------------
# facts from the analysis tables
# ------------------------------------------------------------------------------------------
def _present(t: object) -> bool:
    return isinstance(t, pd.DataFrame) and "account_id" in t.columns


def _one_per_account(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop_duplicates("account_id")


def _reason(tables: Mapping[str, object], name: str, what: str) -> str:
    t = tables.get(name)
    if isinstance(t, NotAvailable):
        return t.reason
    return (
        f"No {what} results are available (that analysis was skipped or not run), so its part of the plan is missing."
    )


# (table, {fact: the table's column}, plan part, what the part is called): one fact per account
_FACT_COLUMNS: tuple[tuple[str, dict[str, str], str, str], ...] = (
    (
        "churn",
        {
            "churn_probability": "churn_probability",
            "churn_risk_band": "risk_band",
            "revenue_at_risk": "revenue_at_risk",
        },
        "churn",
        "churn",
    ),
    (
        "competitor_threat",
        {
            "threat_score": "threat_score",
            "threat_band": "threat_band",
            "main_competitor": "main_competitor",
            "threat_reasons": "reasons",
            "share_of_wallet": "share_of_wallet",
        },
        "competitors",
        "competitor",
    ),
    ("value", {"expected_value_12m": "expected_value_12m", "p_alive": "p_alive"}, "value", "value"),
    (
        "segments",
        {"segment": "cluster_name", "tier": "tier", "quadrant": "quadrant", "one_off_ltm": "one_off_ltm"},
        "segment",
        "segment",
    ),
)
# the relationship map's per-account facts (none of them is a plan part of its own: a missing table
# leaves them unknown, so no rule reading them fires)
_RELATIONSHIP_FACTS = {
    "thread_share": "thread_share",
    "single_threaded_12m": "single_threaded",
    "champion_left": "champion_left",
    "successor_role": "successor_role",
}


def account_facts(
    tables: Mapping[str, pd.DataFrame | NotAvailable], as_of: pd.Timestamp | str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The facts table (one row per account, every column of :data:`FACTS`).

    ``tables`` maps result-table names to DataFrames (whole tables or one account's slice;
    NotAvailable or absent tables leave their facts missing): ``kpis`` (required),
    ``kpis_portfolio``, ``churn``, ``churn_drivers``, ``competitor_threat``, ``value``,
    ``segments``, ``forecast``, ``forecast_summary`` (whether the change against the last 12 months
    is shown), ``forecast_targets``, ``whitespace_recommendations``,
    ``tradelanes`` (declining categories), ``competitor_account_bids`` or ``pipeline_losses``
    (bid value lost per competitor).

    Returns ``(facts, unavailable)`` where ``unavailable`` maps a plan part (``churn``,
    ``competitors``, ``forecast``, ``whitespace``, ``segment``, ``value``, ``targets``,
    ``pipeline``, ``receivables``, ``complaints``, ``relationships``, ``health``) to the
    reason it is missing.
    """
    as_of = pd.Timestamp(as_of)
    kpis = tables.get("kpis")
    if not _present(kpis):
        raise ValueError("account_facts: the 'kpis' table is required (run kamtools.kpis first)")
    f = _one_per_account(kpis).reset_index(drop=True)
    f = f[[c for c in f.columns if c in FACTS or c == "account_id"]].copy()
    unavailable = _missing_kpi_blocks(tables, f)
    _margin_benchmark(tables, f)
    _portfolio_scale(tables, f)
    for name, cols, part, what in _FACT_COLUMNS:
        f = _merged_facts(tables, f, name, cols, part, what, unavailable)
    _relationship_facts(tables, f, as_of)
    _churn_driver_facts(tables, f, unavailable)
    _churn_score_facts(tables, f)
    _order_gap_facts(tables, f)
    _value_facts(tables, f)
    f = _forecast_facts(tables, f, as_of, unavailable)
    f = _whitespace_facts(tables, f, unavailable)
    f = _category_facts(tables, f)
    f = _competitor_loss_facts(tables, f)

    for name, unit in FACT_UNITS.items():
        if name not in f.columns:
            f[name] = pd.Series(pd.NA, index=f.index, dtype="str") if unit == "text" else np.nan
    _money_facts(f)
    for name in _TEXT_FACTS:
        f[name] = f[name].astype("str")
    for flag in (
        "single_threaded",
        "single_threaded_12m",
        "champion_left",
        "value_win_back",
        "churn_is_score",
        "churn_same_for_all",
        "one_time_buyer",
        "forecast_own_history",
    ):
        f[flag] = pd.to_numeric(f[flag].astype(float), errors="coerce")
    obj = objectives(f)
    rev = obj[obj["objective"] == "revenue"].set_index("account_id")["target_value"]
    mar = obj[obj["objective"] == "margin"].set_index("account_id")["target_value"]
    f["revenue_objective"] = f["account_id"].map(rev).astype(float)
    f["margin_pct_objective"] = f["account_id"].map(mar).astype(float)
    return f[["account_id", *FACTS]], unavailable


# the KPI stage's blocks: a column that is absent when the block's input table was not supplied
_KPI_BLOCKS = {
    "targets": ("target", "No targets table was supplied, so there is no target attainment."),
    "pipeline": ("open_value", "No opportunities table was supplied, so there are no pipeline and bid facts."),
    "receivables": ("open_ar", "No invoices table was supplied, so there are no receivables facts."),
    "complaints": ("complaints_open", "No complaints table was supplied, so there are no complaint facts."),
    "relationships": (
        "contacts",
        "No contacts or interactions table was supplied, so there are no relationship facts.",
    ),
    "health": ("health_score", "No health score is available (no churn evidence to weight it)."),
}


def _missing_kpi_blocks(tables: Mapping[str, pd.DataFrame | NotAvailable], f: pd.DataFrame) -> dict[str, str]:
    """Plan part -> why it is missing, for the KPI blocks whose column the facts lack."""
    unavailable = {block: why for block, (col, why) in _KPI_BLOCKS.items() if col not in f.columns}
    if "health" in unavailable:
        h = tables.get("health")
        if isinstance(h, NotAvailable):
            unavailable["health"] = h.reason
    return unavailable


def _margin_benchmark(tables: Mapping[str, pd.DataFrame | NotAvailable], f: pd.DataFrame) -> None:
    """``margin_benchmark`` and ``margin_gap_pct``: against the portfolio median of active accounts
    (from the portfolio table when only this account's slice is at hand)."""
    kp = tables.get("kpis_portfolio")
    if isinstance(kp, pd.DataFrame) and "median_margin_pct" in kp.columns and len(kp):
        bench = float(kp["median_margin_pct"].iloc[0])
    elif len(f) > 1 and "margin_pct" in f.columns:
        bench = float(f.loc[f["revenue_ltm"] > 0, "margin_pct"].median())
    else:
        bench = np.nan
    f["margin_benchmark"] = bench
    f["margin_gap_pct"] = f["margin_pct"] - bench if "margin_pct" in f.columns else np.nan


MIN_VALUE_SHARE = 0.05  # the materiality floor is at most this share of the revenue per active account


def material_floor(floor: float, facts: pd.DataFrame) -> float:
    """The playbook's materiality floor ``floor`` (``min_value_at_stake``) made relative to the portfolio.

    The lower of ``floor`` and :data:`MIN_VALUE_SHARE` of the portfolio's revenue of the last 12
    months per active account (the fact ``revenue_per_active_account``): a fixed 1,000 suits key
    accounts buying hundreds of thousands a year and leaves them unchanged, but it would silence
    every action in a portfolio of small customers (an order log whose accounts buy tens a year).
    Without that fact (one account's slice with no portfolio table) ``floor`` itself.
    """
    if "revenue_per_active_account" not in facts.columns or facts.empty:
        return float(floor)
    scale = pd.to_numeric(facts["revenue_per_active_account"], errors="coerce").dropna()
    if scale.empty or not float(scale.iloc[0]) > 0:
        return float(floor)
    return float(min(float(floor), MIN_VALUE_SHARE * float(scale.iloc[0])))


def _portfolio_scale(tables: Mapping[str, pd.DataFrame | NotAvailable], f: pd.DataFrame) -> None:
    """``revenue_per_active_account``: from the portfolio table when present, else from ``f`` when it holds
    more than one account (one account's slice alone says nothing about the portfolio)."""
    kp = tables.get("kpis_portfolio")
    scale = np.nan
    if isinstance(kp, pd.DataFrame) and len(kp) and {"revenue_ltm", "active_accounts"} <= set(kp.columns):
        revenue, active = float(kp["revenue_ltm"].iloc[0]), float(kp["active_accounts"].iloc[0])
        scale = revenue / active if active > 0 else np.nan
    elif len(f) > 1 and "revenue_ltm" in f.columns:
        rev = pd.to_numeric(f["revenue_ltm"], errors="coerce")
        scale = float(rev[rev > 0].mean()) if (rev > 0).any() else np.nan
    f["revenue_per_active_account"] = scale


def _merged_facts(
    tables: Mapping[str, pd.DataFrame | NotAvailable],
    f: pd.DataFrame,
    name: str,
    cols: dict[str, str],
    part: str,
    what: str,
    unavailable: dict[str, str],
) -> pd.DataFrame:
    """``f`` with facts ``cols`` (fact: the column of table ``name`` declared in kamtools.stages) of
    each account; a missing table leaves them out and records why under ``part``."""
    t = tables.get(name)
    if not _present(t):
        unavailable.setdefault(part, _reason(tables, name, what))
        return f
    pick = {fact: col for fact, col in cols.items() if fact not in f.columns and col in t.columns}  # an older bundle
    sub = _one_per_account(t)[["account_id", *pick.values()]].rename(columns={v: k for k, v in pick.items()})
    return f.merge(sub, on="account_id", how="left")


def _value_facts(tables: Mapping[str, pd.DataFrame | NotAvailable], f: pd.DataFrame) -> None:
    """``value_win_back`` as the value section decides it (:func:`kamtools.value.reading.win_back`), and
    ``p_alive`` unknown where the value model's check found it no probability (an activity score)."""
    from kamtools.value.reading import p_alive_shown_as, win_back_cases

    value, model = tables.get("value"), tables.get("value_model")
    if not _present(value) or "p_alive" not in value.columns:
        return
    model = model if isinstance(model, pd.DataFrame) else None
    value = _one_per_account(value)
    flags = pd.Series(win_back_cases(value, model).to_numpy(dtype=float), index=value["account_id"].to_numpy())
    f["value_win_back"] = f["account_id"].map(flags).astype(float)
    if p_alive_shown_as(model)[0] == "score" and "p_alive" in f.columns:
        f["p_alive"] = np.nan


def _money_facts(f: pd.DataFrame) -> None:
    """Facts that put a figure of money on a situation (the value at stake of its actions)."""

    def num(name: str) -> pd.Series:
        return pd.to_numeric(f[name], errors="coerce").astype(float)

    rev, margin = num("revenue_ltm"), num("margin_ltm")
    f["margin_loss"] = (-margin).clip(lower=0.0)
    f["margin_gap_value"] = (rev * (num("margin_benchmark") - num("margin_pct"))).clip(lower=0.0)
    f["next_target_shortfall"] = (num("next_target") - num("forecast_12m")).clip(lower=0.0)
    # the change is left unknown where the forecast stage does not show it (:func:`_forecast_facts`)
    vs_ltm = (num("forecast_12m") / rev - 1).where((rev > 0) & ~f["_ltm_partial"].astype(bool))
    f["forecast_vs_ltm"] = vs_ltm
    f["forecast_shortfall"] = (rev - num("forecast_12m")).clip(lower=0.0).where(vs_ltm.notna())
    f["top_whitespace_ev"] = num("top_whitespace_p") * num("top_whitespace_value")
    # two years of lost bids against "the last 12 months' revenue" only where those 12 months are all in the data
    # (on 1 month of orders a risk read '788% of the last 12 months' revenue')
    f["lost_value_vs_revenue"] = (num("lost_value_to_competitor") / rev).where(
        (rev > 0) & ~f["_ltm_partial"].astype(bool)
    )
    del f["_ltm_partial"]
    # a single order in two years (the year before unknown counts as none): unknown without an order count
    orders = num("orders_ltm")
    f["one_time_buyer"] = ((orders <= 1) & ~(num("revenue_prior_ltm") > 0)).astype(float).where(orders.notna())


def _category_facts(tables: Mapping[str, object], f: pd.DataFrame) -> pd.DataFrame:
    """Declining categories from the trade-lane table (each category's last 12 months vs the 12 before)."""
    x = tables.get("tradelanes")
    if not _present(x) or x.empty:
        return f
    ltm = pd.to_numeric(x["revenue_ltm"], errors="coerce").fillna(0.0)
    prior = pd.to_numeric(x["revenue_prior"], errors="coerce")
    before = prior.clip(lower=0.0).groupby(x["account_id"]).sum()  # the account's revenue the 12 months before
    change = ltm / prior - 1
    x = x.assign(_loss=prior - ltm, _chg=change)[(prior > 0) & (change <= CATEGORY_DECLINE)]
    x = x.sort_values(["account_id", "_loss"], ascending=[True, False], kind="stable")
    f["category_declines"] = f["account_id"].map(x.groupby("account_id").size()).fillna(0).astype(float)
    f["category_decline_value"] = f["account_id"].map(x.groupby("account_id")["_loss"].sum()).fillna(0.0)
    # how much of the account the falling categories were: 28.2k of a 3.55M account is not its first call
    f["category_decline_share"] = f["category_decline_value"] / f["account_id"].map(before.where(before > 0))
    words = x["category"].astype(str) + " " + (x["_chg"] * 100).map(lambda v: f"{v:+.0f}%").astype(str)
    top3 = words.groupby(x["account_id"], sort=False).agg(lambda s: ", ".join(s.head(3)))
    f["declining_categories"] = f["account_id"].map(top3).astype("str")
    first = x.drop_duplicates("account_id").set_index("account_id")["category"].astype(str)
    f["top_declining_category"] = f["account_id"].map(first).astype("str")
    return f


_LOSS_SOURCES = (  # table, lost value, bids lost, price gap on the lost bids
    ("competitor_account_bids", "lost_amount", "losses", "avg_price_gap_lost"),  # last 24 months
    ("pipeline_losses", "lost_value", "bids_lost", "price_gap_pct"),  # last 12 months (without the above)
)


def _competitor_loss_facts(tables: Mapping[str, object], f: pd.DataFrame) -> pd.DataFrame:
    """The competitor we lost the most bid value to: the competitor analysis, else the post-bid table."""
    found = [
        (tables[name], value, count, gap)
        for name, value, count, gap in _LOSS_SOURCES
        if _present(tables.get(name)) and not tables[name].empty and {"competitor", value} <= set(tables[name].columns)
    ]
    if not found:
        return f
    t, value, count, gap = found[0]
    x = t.assign(_v=pd.to_numeric(t[value], errors="coerce"))
    named = ~x["competitor"].astype(str).str.strip().str.lower().isin(["unknown", "(not recorded)", "", "nan"])
    x = x[named & (x["_v"] > 0)].sort_values(["account_id", "_v"], ascending=[True, False], kind="stable")
    top = x.drop_duplicates("account_id").set_index("account_id")
    f["value_loss_competitor"] = f["account_id"].map(top["competitor"].astype(str)).astype("str")
    f["lost_value_to_competitor"] = f["account_id"].map(top["_v"]).astype(float)
    if count in top.columns:
        f["lost_bids_to_competitor"] = f["account_id"].map(top[count]).astype(float)
    if gap in top.columns:
        f["lost_value_price_gap_pct"] = f["account_id"].map(top[gap]).astype(float)
    return f


def _relationship_facts(tables: Mapping[str, object], f: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """Thread share, single-threaded (by share) and a sponsor who left, from ``relationship_accounts``."""
    t = tables.get("relationship_accounts")
    if not _present(t):
        return
    x = _one_per_account(t).set_index("account_id")
    for fact, col in _RELATIONSHIP_FACTS.items():
        if col in x.columns:
            f[fact] = f["account_id"].map(x[col].astype(object))
    if "champion_left_date" in x.columns:
        left = pd.to_datetime(x["champion_left_date"], errors="coerce")
        f["champion_left_days"] = f["account_id"].map((as_of - left).dt.days.astype(float))


def _churn_driver_facts(tables: Mapping[str, object], f: pd.DataFrame, unavailable: dict[str, str]) -> None:
    d = tables.get("churn_drivers")
    if _present(d) and not d.empty:
        # the churn stage's drivers in rank order; only those that raise the risk
        d = d[d["direction"] == "raises risk"].sort_values(["account_id", "rank"], kind="stable")
        top = d.groupby("account_id", sort=False).head(3)
        joined = top.groupby("account_id", sort=False)["sentence"].agg(
            lambda s: "; ".join(str(x).rstrip(".") for x in s)
        )
        f["churn_drivers"] = f["account_id"].map(joined).astype("str")
        f["churn_driver_count"] = f["account_id"].map(d.groupby("account_id").size()).astype(float)
    if "churn_probability" in f.columns:
        # an account with a churn probability but no driver listed says so in words, not "n/a"
        known = pd.to_numeric(f["churn_probability"], errors="coerce").notna()
        count = f["churn_driver_count"] if "churn_driver_count" in f.columns else pd.Series(np.nan, index=f.index)
        f["churn_driver_count"] = count.mask(known & count.isna(), 0.0)
        drivers = f["churn_drivers"] if "churn_drivers" in f.columns else pd.Series(pd.NA, index=f.index, dtype="str")
        f["churn_drivers"] = drivers.astype("str").mask(known & drivers.isna(), "none listed (see the churn section)")


def _churn_score_facts(tables: Mapping[str, object], f: pd.DataFrame) -> None:
    """Whether each account's churn figure is a score (the churn table's ``method`` names it so), and the
    figure's name and text as the reports write them, so the plan words a score as one from the start."""
    if "churn_probability" not in f.columns:
        return
    churn = tables.get("churn")
    score = pd.Series(False, index=f.index)  # a churn table that does not say how it was made: a probability
    if _present(churn) and "method" in churn.columns:
        method = _one_per_account(churn).set_index("account_id")["method"]
        score = f["account_id"].map(method.map(is_score)).fillna(False).astype(bool)
    known = pd.to_numeric(f["churn_probability"], errors="coerce")
    f["churn_is_score"] = np.where(known.notna(), score.astype(float), np.nan)
    f["churn_same_for_all"] = np.where(known.notna(), float(same_for_all(churn)), np.nan)
    f["churn_label"] = pd.Series(
        [churn_measure(s).capitalize() if pd.notna(v) else pd.NA for s, v in zip(score, known, strict=True)],
        index=f.index,
        dtype="str",
    )
    f["churn_figure"] = pd.Series(
        [churn_figure(v, s) if pd.notna(v) else pd.NA for s, v in zip(score, known, strict=True)],
        index=f.index,
        dtype="str",
    )


def _order_gap_facts(tables: Mapping[str, object], f: pd.DataFrame) -> None:
    """``usual_order_gap_days`` from the churn features (left unknown without them): beside the days since the last
    order, the fact a churn score stands on, so that the plan says how long the account has been silent against its
    own rhythm rather than reading a score as a chance."""
    feats = tables.get("churn_features")
    if not _present(feats) or "usual_order_gap_days" not in feats.columns or "usual_order_gap_days" in f.columns:
        if "usual_gap_clause" not in f.columns:
            f["usual_gap_clause"] = pd.Series("", index=f.index, dtype="str")  # the gap unknown: no clause
        return
    gap = _one_per_account(feats).set_index("account_id")["usual_order_gap_days"]
    f["usual_order_gap_days"] = f["account_id"].map(pd.to_numeric(gap, errors="coerce")).astype(float)
    f["usual_gap_clause"] = pd.Series(
        ["" if np.isnan(g) else f", where it usually orders every {gap_days(g)}" for g in f["usual_order_gap_days"]],
        index=f.index,
        dtype="str",
    )


def _forecast_facts(
    tables: Mapping[str, object], f: pd.DataFrame, as_of: pd.Timestamp, unavailable: dict[str, str]
) -> pd.DataFrame:
    fc = tables.get("forecast")
    got = False
    if _present(fc) and not fc.empty:
        # the account-level series (unique_id == account_id) over the 12 months after the last
        # complete month of history (what the forecast covers)
        x = fc[fc["unique_id"] == fc["account_id"]]
        last_complete = (as_of + pd.Timedelta(days=1)).to_period("M") - 1
        first = (last_complete + 1).to_timestamp()
        x = x[(x["ds"] >= first) & (x["ds"] < first + pd.DateOffset(months=12))]
        s = x.groupby("account_id")["forecast"].sum(min_count=1)
        f["forecast_12m"] = f["account_id"].map(s).astype(float)
        got = True
    if not got:
        unavailable["forecast"] = _reason(tables, "forecast", "forecast")
    # where the forecast stage leaves the change against the last 12 months out (a history shorter than a
    # year: "the last 12 months" hold only part of one), the plan does not compare with them either
    summary = tables.get("forecast_summary")
    partial = pd.Series(False, index=f.index)
    if _present(summary) and "forecast_growth_pct" in summary.columns and "revenue_last_12m" in summary.columns:
        s = summary.drop_duplicates("account_id").set_index("account_id")
        left_out = s["forecast_growth_pct"].isna() & (pd.to_numeric(s["revenue_last_12m"], errors="coerce") > 0)
        partial = f["account_id"].map(left_out).fillna(False).astype(bool)
    f["_ltm_partial"] = partial
    if _present(summary) and "forecast_method" in summary.columns:
        method = summary.drop_duplicates("account_id").set_index("account_id")["forecast_method"].astype("str")
        f["forecast_own_history"] = f["account_id"].map(~method.isin(WEIGHS_STOPPING)).astype(float)
    ft = tables.get("forecast_targets")
    if _present(ft) and not ft.empty:
        # this calendar year's target (the forecast's probability of reaching it)
        x = ft[pd.to_numeric(ft["period"], errors="coerce") == as_of.year]
        p_reach = x.drop_duplicates("account_id").set_index("account_id")["p_reach_target"]
        f["p_target"] = pd.to_numeric(f["account_id"].map(p_reach), errors="coerce")
    if "forecast_12m" in f.columns and "next_target" in f.columns:
        nt = f["next_target"].astype(float)
        f["forecast_vs_next_target"] = (f["forecast_12m"] / nt - 1).where(nt > 0)
    return f


def _whitespace_facts(tables: Mapping[str, object], f: pd.DataFrame, unavailable: dict[str, str]) -> pd.DataFrame:
    ws = tables.get("whitespace_recommendations")
    if not _present(ws):
        unavailable["whitespace"] = _reason(tables, "whitespace_recommendations", "whitespace")
        return f
    if ws.empty:
        f["whitespace_recommendations"] = 0.0
        f["whitespace_capture"] = 0.0
        return f
    # the value if the account adopts (whitespace's expected_value is already p_adopt x it); only
    # the recommendations with a useful adoption probability count (whitespace's own flag)
    x = ws.assign(
        _p=pd.to_numeric(ws["p_adopt"], errors="coerce"), _v=pd.to_numeric(ws["spend_if_adopted"], errors="coerce")
    )
    uncalibrated = bool(x["_p"].isna().all())  # the history was too short to calibrate the scores
    x = x[x["recommended"].astype(bool)]
    if uncalibrated:  # no adoption probability, so no probability-weighted value
        unavailable["whitespace"] = (
            "Cross-sell opportunities are ranked by a score that is not a probability (the history is too short to "
            "test it on past data and turn it into adoption probabilities), so no whitespace value is counted in the revenue objective."
        )
    x["_ev"] = x["_p"] * x["_v"]
    x = x.sort_values(["account_id", "rank"], kind="stable")
    top = x.groupby("account_id", sort=False).head(WHITESPACE_TOP_N)
    first = top.drop_duplicates("account_id").set_index("account_id")
    f["whitespace_recommendations"] = f["account_id"].map(x.groupby("account_id").size()).fillna(0).astype(float)
    f["whitespace_capture"] = f["account_id"].map(top.groupby("account_id")["_ev"].sum(min_count=1))
    if not uncalibrated:
        f["whitespace_capture"] = f["whitespace_capture"].fillna(0.0)
    f["top_whitespace_p"] = f["account_id"].map(first["_p"]).astype(float)
    f["top_whitespace_value"] = f["account_id"].map(first["_v"]).astype(float)
    f["top_whitespace_category"] = f["account_id"].map(first["category"].astype(str)).astype("str")
    return f
