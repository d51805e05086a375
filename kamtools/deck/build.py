"""The deck of one account: the internal review deck or the deck shown to the customer.

Both read only the account's rows of the analysis bundle (:mod:`kamtools.deck.source`).
The customer deck is built by its own functions from customer-safe facts only (see
:mod:`kamtools.deck.audience`); the internal deck adds risks and drivers, margins,
competitors, whitespace figures and the plan.
"""

from __future__ import annotations

import re

import pandas as pd

from kamtools.churn.bands import HIGH_RISK_P, MEDIUM_RISK_P, churn_is_score, score_text
from kamtools.churn.sentences import silence_sentence
from kamtools.competitors.wallet import share_text
from kamtools.credit_only import credit_only, no_orders_phrase, since_is_a_credit_note
from kamtools.deck.audience import check_audience
from kamtools.deck.charts import add_chart, add_table
from kamtools.deck.slides import NOTES_LIMIT, Deck
from kamtools.deck.source import AccountRows
from kamtools.deck.text import literal, missing, with_detail, wording
from kamtools.forecast.selection import YOUNG_MONTHS
from kamtools.forecast.selection.plain import slide_words
from kamtools.forecast.selection.year_mix import MIX_WORDS
from kamtools.formatting import (
    NO_COST,
    attainment,
    count,
    currency_of,
    date,
    day,
    margin_pct,
    money,
    month,
    no_cost,
    number,
    pct,
    pct_banded,
)
from kamtools.kpis.components import WEAK_PERCENTILE
from kamtools.kpis.health import NOT_SCORED
from kamtools.plan.actions import stake_once, stake_text
from kamtools.sections import last_12_months_label
from kamtools.sections.churn import NO_STOP_SEEN_SHORT, long_silence, no_stop_seen
from kamtools.sections.forecast import UNCHECKED_CHANCE, chance_text, lapsed_sentence, no_target_sentence, unchecked
from kamtools.sections.whitespace import (
    SCORE_LABEL,
    calibrated,
    min_useful_p,
    no_recommendations,
    split_recommended,
    uncalibrated_reason,
)

CHURN_EDGES = (MEDIUM_RISK_P, HIGH_RISK_P)  # a churn probability never rounds across a band edge

MAX_ROWS = 8  # table rows per slide; the rest is counted below the table
EXTRA_POSITION = 2  # extra slides (since the last review) go after the title and the overview slide


def account_name(account: AccountRows) -> str:
    name = literal(account.info.get("name"), 90)
    return name or literal(account.account_id, 90) or "account"


def _why(account: AccountRows, table: str, empty: str) -> str:
    """``empty`` when the account has no rows in ``table``; the bundle's reason when the table is missing."""
    if account.bundle.has(table):
        return empty
    return literal(str(account.bundle.reason(table)), 300)


def _rows(df: pd.DataFrame | None) -> pd.DataFrame:
    return df if df is not None else pd.DataFrame()


def _first(df: pd.DataFrame | None) -> dict:
    return {} if df is None or df.empty else df.iloc[0].to_dict()


def _value(*sources: dict, key: str):
    for source in sources:
        v = source.get(key)
        if not missing(v):
            return v
    return None


def _more(deck: Deck, slide, box, shown: int, total: int, what: str) -> None:
    if total > shown:
        left, top, width, height = box
        deck.text(
            slide,
            (left, top + height - int(height * 0.08), width, int(height * 0.08)),
            [f"{total - shown} more {what} not shown (see the account report)."],
            11,
        )


def _monthly(account: AccountRows) -> pd.DataFrame:
    hist = _rows(account.table("forecast_history"))
    if hist.empty:
        return pd.DataFrame(columns=["ds", "y"])
    return hist.sort_values("ds")[["ds", "y"]].reset_index(drop=True)


def _categories(account: AccountRows) -> pd.DataFrame:
    lanes = _rows(account.table("tradelanes"))
    if lanes.empty:
        return lanes
    lanes = lanes[(lanes["revenue_ltm"] > 0) | (lanes["revenue_prior"] > 0)]
    return lanes.sort_values(["revenue_ltm", "revenue_prior"], ascending=False).reset_index(drop=True)


def _recommended(recs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(recommended, not recommended) rows, each by rank, as the HTML report splits them."""
    if recs.empty:  # a bundle without the table reads as an empty frame, without columns
        return recs, recs
    useful, weak = split_recommended(recs)
    return useful.sort_values("rank"), weak.sort_values("rank")


def _change(now: object, before: object) -> object:
    if missing(now) or missing(before) or float(before) <= 0:
        return None
    return float(now) / float(before) - 1


# ---- shared slides -----------------------------------------------------------------------------


def _purchases_by_month(deck: Deck, account: AccountRows, title: str, names: tuple[str, str]) -> None:
    """This 12 months against the 12 before, month by month (a clustered column chart); with no month before the
    last 12 the title drops its ', year on year' (the 12-month demo's new A0006 had it over one series)."""
    monthly = _monthly(account)
    recent = monthly.tail(12).reset_index(drop=True)
    before = monthly.iloc[max(0, len(monthly) - 24) : max(0, len(monthly) - 12)].reset_index(drop=True)
    slide = deck.slide(title if len(before) else title.removesuffix(", year on year"))
    top, bottom = deck.rows(0.78)
    if len(monthly) < 2:
        deck.text(slide, deck.area, ["Not enough order history for a monthly comparison yet."], 16)
        return
    labels = [pd.Timestamp(d).strftime("%b") for d in recent["ds"]]
    span_now = f"{month(recent['ds'].iloc[0])} to {month(recent['ds'].iloc[-1])}"
    series = {f"{names[0]} ({span_now})": recent["y"].tolist()}
    if len(before):
        pad = [None] * (len(recent) - len(before))
        span_before = f"{month(before['ds'].iloc[0])} to {month(before['ds'].iloc[-1])}"
        series[f"{names[1]} ({span_before})"] = pad + before["y"].tolist()
    add_chart(slide, "column", top, labels, series)
    total_now = float(recent["y"].sum())
    total_before = float(before["y"].sum()) if len(before) == 12 else None
    line = f"Last 12 months: {money(total_now, deck.currency)}"
    change = _change(total_now, total_before)
    if change is not None:
        line += f", {pct(change, signed=True)} on the 12 months before ({money(total_before, deck.currency)})"
    deck.text(slide, bottom, [line + "."], 16)


def _prior_year_known(cats: pd.DataFrame) -> bool:
    """Some category has a figure for the 12 months before the last 12 (NaN throughout where they are not in the
    data): else the slides show no column, series or legend for that year."""
    return bool(pd.to_numeric(cats["revenue_prior"], errors="coerce").notna().any())


def _category_chart(deck: Deck, slide, box, cats: pd.DataFrame, names: tuple[str, str]) -> None:
    shown = cats.head(MAX_ROWS)
    series = {names[0]: shown["revenue_ltm"].tolist()}
    if _prior_year_known(shown):
        series[names[1]] = shown["revenue_prior"].tolist()
    add_chart(slide, "bar", box, shown["category"].tolist(), series)


# ---- the customer deck -------------------------------------------------------------------------

_CUSTOMER_STEPS = {
    "relationship": "Meet more of your team (operations, quality, purchasing) to plan the coming year together",
    "complaints": "Agree a resolution date for each open service case and review how we handle them",
    "targets": "Align on your volume plans for next year",
    "retention": "Check your demand plans for the coming months together",
}


def _customer_title(deck: Deck, account: AccountRows) -> None:
    owner = literal(account.info.get("owner"), 60)
    lines = [f"Business review, {month(account.as_of)}"]
    if owner:
        lines.append(f"Your account manager: {owner}")
    deck.title_slide(account_name(account), lines)


def _customer_since(since: pd.Timestamp, as_of: pd.Timestamp) -> str:
    """ "2016 (10 years)": the year and the whole years completed by ``as_of`` (never rounded up)."""
    years = as_of.year - since.year - ((as_of.month, as_of.day) < (since.month, since.day))
    if years < 1:
        return f"{since.year} (less than a year)"
    return f"{since.year} ({years} year{'s' if years != 1 else ''})"


def _customer_partnership(deck: Deck, account: AccountRows) -> None:
    info = account.info
    kpis = _first(account.table("kpis"))
    rel = _first(account.table("relationships"))
    cats = _categories(account)
    since = _value(info, key="customer_since") or _value(info, key="first_order_date")
    rows = []
    if since is not None and not since_is_a_credit_note(info):
        rows.append(("Customer since", _customer_since(pd.Timestamp(since), account.as_of)))
    if credit_only(info):
        phrase = no_orders_phrase(info)
        rows.append(("Your orders", phrase[:1].upper() + phrase[1:]))
    where = ", ".join(x for x in (literal(info.get("industry"), 60), literal(info.get("country"), 40)) if x)
    if where:
        rows.append(("Industry, country", where))
    rows.append(("Your purchases, last 12 months", money(info.get("revenue_ltm"), deck.currency)))
    if not cats.empty:
        rows.append(("Product categories you buy", count(int((cats["revenue_ltm"] > 0).sum()))))
    if kpis.get("orders_ltm") is not None:
        rows.append(("Orders in the last 12 months", count(kpis.get("orders_ltm"))))
    if rel.get("contacts") is not None:
        rows.append(("People we work with at your company", count(rel.get("contacts"))))
    if rel.get("interactions_90d") is not None:
        rows.append(("Meetings, calls and visits, last 90 days", count(rel.get("interactions_90d"))))
    slide = deck.slide("Our partnership")
    left, right = deck.split(0.62)
    add_table(slide, left, None, rows, widths=[3, 2], font_size=14, numeric=[False, True])
    deck.text(
        slide,
        right,
        [
            "Thank you for your business.",
            "This review looks back at the last 12 months and ahead at what we can do together.",
        ],
        16,
        bold_first=True,
    )


def _customer_categories(deck: Deck, account: AccountRows) -> None:
    cats = _categories(account)
    slide = deck.slide("What you buy from us")
    if cats.empty:
        deck.text(slide, deck.area, ["No purchases by category in the last two years."], 16)
        return
    left, right = deck.split(0.5)
    _category_chart(deck, slide, left, cats, ("Last 12 months", "12 months before"))
    shown = cats.head(MAX_ROWS)
    rows = [
        (
            c.category,
            money(c.revenue_ltm, deck.currency),
            money(c.revenue_prior, deck.currency),
            pct(_change(c.revenue_ltm, c.revenue_prior), True),
        )
        for c in shown.itertuples()
    ]
    heads, widths = ["Category", "Last 12 months", "Before", "Change"], [3, 2, 2, 1.5]
    if not _prior_year_known(shown):
        rows, heads, widths = [r[:2] for r in rows], heads[:2], widths[:2]
    add_table(slide, right, heads, rows, widths, 12, [False, True, True, True][: len(heads)])
    _more(deck, slide, right, len(shown), len(cats), "categories")
    _credited_categories(deck, slide, right, account, customer=True)


def _opportunity_sentence(rec, industry: str) -> str:
    category = literal(rec.get("category"), 60)
    if rec.get("status") == "lapsed" and not missing(rec.get("last_order_date")):
        return f"You bought {category} from us until {month(rec['last_order_date'])}: does it still fit your needs?"
    related = literal(rec.get("related_category"), 60)
    if related and not missing(rec.get("related_share")):
        return f"{pct(rec['related_share'])} of our customers who buy {related} (as you do) also buy {category}."
    if not missing(rec.get("peer_share")):
        who = f"{industry} customers" if industry else "customers like you"
        return f"{pct(rec['peer_share'])} of comparable {who} buy {category} from us."
    return f"{category} complements what you already buy."


def _customer_opportunities(deck: Deck, account: AccountRows) -> list[str]:
    """The recommended categories framed as opportunities for the customer; no slide when none is recommended
    (a category below the useful adoption probability is not put to the customer)."""
    recs, _ = _recommended(_rows(account.table("whitespace_recommendations")))
    if recs.empty:
        return []
    slide = deck.slide("Opportunities for you")
    recs = recs.head(5)
    industry = literal(account.info.get("industry"), 40)
    rows = [(literal(r["category"], 60), _opportunity_sentence(r, industry)) for r in recs.to_dict("records")]
    top, bottom = deck.rows(0.12)
    deck.text(
        slide,
        top,
        [
            "Products that customers like you buy with what you already use; we would be glad to "
            "show you samples and prices."
        ],
        14,
    )
    add_table(slide, bottom, ["Category", "Why it may fit you"], rows, [1, 3], 13)
    return [r[0] for r in rows]


def _complaints_note(account: AccountRows, comp: dict) -> str:
    """What the service slide says about complaints: only what the complaints data shows (nothing without it)."""
    if not account.bundle.has("complaints_summary"):
        return ""
    if not comp or missing(comp.get("complaints_12m")) or float(comp["complaints_12m"]) == 0:
        if comp and float(comp.get("complaints_open") or 0) > 0:
            return "We are working on the open cases and will confirm a resolution date for each."
        return "No complaints recorded in the last 12 months."
    if float(comp.get("complaints_open") or 0) > 0:
        return "We are working on the open cases and will confirm a resolution date for each."
    resolved = comp.get("resolved_12m")
    if not missing(resolved) and float(resolved) >= float(comp["complaints_12m"]):
        return "Every complaint of the last 12 months has been resolved."
    return ""


def _customer_service(deck: Deck, account: AccountRows) -> None:
    comp = _first(account.table("complaints_summary"))
    kpis = _first(account.table("kpis"))
    rows = []
    if kpis:
        rows.append(("Orders, last 12 months", count(kpis.get("orders_ltm"))))
        if not missing(kpis.get("avg_order_value")):
            rows.append(("Average order value", money(kpis.get("avg_order_value"), deck.currency)))
    if comp:
        rows.append(("Complaints raised, last 12 months", count(comp.get("complaints_12m"))))
        rows.append(("Complaints resolved, last 12 months", count(comp.get("resolved_12m"))))
        if not missing(comp.get("mean_days_to_resolve")):
            rows.append(("Average days to resolve", number(comp.get("mean_days_to_resolve"), 0)))
        rows.append(("Open today", count(comp.get("complaints_open"))))
    slide = deck.slide("Service")
    if not rows:
        deck.text(slide, deck.area, ["No service records are available for this period."], 16)
        return
    left, right = deck.split(0.6)
    add_table(slide, left, None, rows, [3, 1.2], 14, [False, True])
    note = _complaints_note(account, comp)
    if note:
        deck.text(slide, right, [note], 16)


def _customer_next_steps(deck: Deck, account: AccountRows, opportunities: list[str]) -> None:
    objectives = []
    if opportunities:
        objectives.append(f"Explore {' and '.join(opportunities[:2])} together")
    comp = _first(account.table("complaints_summary"))
    if comp and float(comp.get("complaints_open") or 0) > 0:
        objectives.append("Resolve every open service case")
    elif comp and not missing(comp.get("mean_days_to_resolve")):
        objectives.append(f"Keep resolving service cases within about {number(comp['mean_days_to_resolve'], 0)} days")
    next_review = (account.as_of + pd.DateOffset(months=3)).strftime("%B %Y")
    objectives.append(f"Review progress together every quarter; next review in {next_review}")
    steps: list[str] = []
    actions = _rows(account.table("plan_actions"))
    for action in actions.sort_values("order").to_dict("records") if not actions.empty else []:
        text = None
        if action.get("type") in _CUSTOMER_STEPS:
            text = _CUSTOMER_STEPS[action["type"]]
        elif action.get("rule_id") == "whitespace" and opportunities:
            text = f"Present {opportunities[0]} to your team"
        elif action.get("rule_id") == "closing_bids":
            text = "Decide on the open proposals: confirm dates and what matters most to you"
        if text and all(not s.startswith(text) for s in steps):
            steps.append(text + (f" (by {day(action.get('due_date'))})" if not missing(action.get("due_date")) else ""))
    steps.append("Share your plans and priorities for the coming year with us")
    items = ["Joint objectives:", *objectives, "Next steps:", *steps[:5]]
    slide = deck.bullet_slide("Joint objectives and next steps", items, 16)
    body = next((s for s in slide.placeholders if s.has_text_frame and s != slide.shapes.title), None)
    if body is not None:
        for paragraph in body.text_frame.paragraphs:
            if paragraph.text in ("Joint objectives:", "Next steps:"):
                paragraph.font.bold = True
            else:
                paragraph.level = 1


def customer_deck(deck: Deck, account: AccountRows) -> None:
    _customer_title(deck, account)
    _customer_partnership(deck, account)
    _purchases_by_month(deck, account, "Your purchases over time", ("Last 12 months", "12 months before"))
    _customer_categories(deck, account)
    opportunities = _customer_opportunities(deck, account)
    _customer_service(deck, account)
    _customer_next_steps(deck, account, opportunities)


# ---- the internal deck -------------------------------------------------------------------------


def _internal_title(deck: Deck, account: AccountRows) -> None:
    info = account.info
    owner = literal(info.get("owner"), 60)
    tier = info.get("tier")
    where = ", ".join(x for x in (literal(info.get("industry"), 60), literal(info.get("country"), 40)) if x)
    bits = [
        b for b in (f"Owner: {owner}" if owner else "", f"Tier {int(tier)}" if not missing(tier) else "", where) if b
    ]
    lines = [f"Account review (internal), data as of {date(account.as_of)}", " | ".join(bits)]
    lines.append(f"Account id: {literal(account.account_id, 60)}")
    deck.title_slide(account_name(account), lines)


def _whitespace_value(deck: Deck, account: AccountRows) -> str:
    """The account's whitespace expected value, or why there is none (nothing recommended, or scores only)."""
    recs = _rows(account.table("whitespace_recommendations"))
    if recs.empty and account.table("whitespace_recommendations") is not None:
        # the grocery panel (one category) and Online Retail read 'Whitespace (expected value) 0'
        return "none: no category to recommend (see the whitespace slide)"
    if not recs.empty:
        if not calibrated(recs):
            return "not estimated (scores, not probabilities)"
        if _recommended(recs)[0].empty:
            return "none recommended"
    return money(account.info.get("whitespace_value"), deck.currency)


def _churn_score(account: AccountRows) -> bool:
    """The churn stage gave a score, not a probability (its fallback could not be checked on the history)."""
    return churn_is_score(account.table("churn"))


def _churn_figure(account: AccountRows) -> str:
    """The churn figure as the reports show it: '57/100' for a score, '57%' for a probability."""
    p = account.info.get("churn_probability")
    if _churn_score(account) and not missing(p):
        return score_text(float(p))
    return pct_banded(p, CHURN_EDGES)


def _plan_stake(account: AccountRows, plan: dict, currency: str | None) -> list[str]:
    """The plan's value at stake with what it adds: each sum of money once (revenue at risk is part of the
    last 12 months' revenue, so the two are not added; :func:`kamtools.plan.actions.stake_once`), read from
    the account's actions (a bundle written before summed them in ``plan_summary``)."""
    actions = _rows(account.table("plan_actions"))
    if {"value_at_stake", "value_basis"} <= set(actions.columns) and actions["value_at_stake"].notna().any():
        total, notes = stake_once(actions["value_at_stake"], actions["value_basis"])
        n = int(actions["value_at_stake"].notna().sum())
        if n == 1:
            return [money(total, currency)]
        head = f"{money(total, currency)} over {n:,} actions, " + ("each sum of money once" if notes else "added")
        return [head, *(f"{t[:1].upper()}{t[1:]}." for t in notes)]
    if actions.empty and account.table("plan_actions") is not None:  # no action: no '0' at stake ('The plan' says so)
        return []
    if not missing(plan.get("value_at_stake")):
        return [money(plan["value_at_stake"], currency)]
    return []


def _internal_glance(deck: Deck, account: AccountRows) -> None:
    info = account.info
    plan = _first(account.table("plan_summary"))
    rows = [
        (
            last_12_months_label(account.bundle),
            with_detail(money(info.get("revenue_ltm"), deck.currency), pct(info.get("growth_pct"), True)),
        ),
        ("Revenue so far this year", money(info.get("revenue_ytd"), deck.currency)),
        (
            "Target attainment / pace",
            f"{attainment(info.get('target_attainment'))} / {attainment(info.get('target_pace'))}",
        ),
        (
            "Forecast, next 12 months (80% range)",
            f"{money(info.get('forecast_next_12m'), deck.currency)} ({money(info.get('forecast_next_12m_lo_80'), deck.currency)}"
            f" to {money(info.get('forecast_next_12m_hi_80'), deck.currency)})"
            + (UNCHECKED_CHANCE if unchecked(account.bundle) else ""),
        ),
        (
            "Gross margin, last 12 months",
            NO_COST
            if no_cost(info.get("margin_pct_ltm"))  # margin = revenue: no margin to show, not '10.4k (100.0%)'
            else with_detail(
                money(info.get("margin_ltm"), deck.currency), margin_pct(info.get("margin_pct_ltm"), digits=1)
            ),
        ),
        (
            "Health",
            f"{number(info.get('health_score'), 0)}/100 ({literal(info.get('health_band'))})"
            if not missing(info.get("health_score"))
            else f"{NOT_SCORED} (no orders)",
        ),
        (
            "Churn score (not a probability)" if _churn_score(account) else "Churn probability",
            f"{_churn_figure(account)} ({literal(info.get('risk_band'))}), "
            f"{money(info.get('revenue_at_risk'), deck.currency)} revenue at risk"
            + (" (score-weighted)" if _churn_score(account) else ""),
        ),
        ("Share of wallet", share_text(info.get("share_of_wallet"))),
        ("Tier, portfolio quadrant", f"{count(info.get('tier'))}, {literal(info.get('quadrant'))}"),
        ("Whitespace (expected value)", _whitespace_value(deck, account)),
    ]
    keys = (
        "revenue_ltm",
        "revenue_ytd",
        "target_attainment",
        "forecast_next_12m",
        "margin_ltm",
        "health_band",  # an account without an order has a band ('not scored') and no score: the row says so
        "churn_probability",
        "share_of_wallet",
        "tier",
        "whitespace_value",
    )
    rows = [row for row, key in zip(rows, keys, strict=True) if not missing(info.get(key))]
    slide = deck.slide("At a glance")
    left, right = deck.split(0.58)
    add_table(slide, left, None, rows or [("Revenue, last 12 months", "-")], [1.6, 1.4], 12, [False, True])
    parts = []
    # a plan without risks or actions writes none (NaN, which is truthy): no heading over an empty line
    if not missing(plan.get("top_risk")) and wording(plan["top_risk"], 300):
        parts.append(("Top risk", [wording(plan["top_risk"], 300)]))
    if not missing(plan.get("top_action")) and wording(plan["top_action"], 300):
        parts.append(("Top action", [wording(plan["top_action"], 300)]))
    stake = _plan_stake(account, plan, deck.currency)
    if stake:
        parts.append(("Value at stake in the plan", stake))
    deck.headed(slide, right, parts or [("Plan", ["No plan actions for this account."])], 14)
    points = _rows(account.table("plan_talking_points"))
    if not points.empty:
        deck.notes(slide, [wording(t, 600) for t in points.sort_values("order")["text"]])


def _internal_forecast(deck: Deck, account: AccountRows) -> None:
    monthly = _monthly(account).tail(24)
    fc = _rows(account.table("forecast"))
    slide = deck.slide("Revenue and forecast")
    top, bottom = deck.rows(0.8)
    if monthly.empty and fc.empty:
        deck.text(slide, deck.area, [_why(account, "forecast", "No order history or forecast for this account.")], 16)
        return
    fc = fc.sort_values("ds") if not fc.empty else fc
    months = list(monthly["ds"]) + (list(fc["ds"]) if not fc.empty else [])
    n_hist = len(monthly)
    actual = list(monthly["y"]) + [None] * len(fc)
    series = {"Revenue": actual}
    if not fc.empty:
        bridge = [None] * max(0, n_hist - 1) + ([monthly["y"].iloc[-1]] if n_hist else [])
        series["Forecast"] = bridge + list(fc["forecast"])
        series["80% range, low"] = [None] * n_hist + list(fc["lo_80"].clip(lower=0))
        series["80% range, high"] = [None] * n_hist + list(fc["hi_80"])
    add_chart(
        slide,
        "line",
        top,
        [pd.Timestamp(d).strftime("%b %Y") for d in months],
        series,
        dashed=("80% range, low", "80% range, high"),
    )
    info = account.info
    growth = info.get("forecast_growth_pct")  # none on under 12 months of history: no empty '( on the last ...)'
    change = "" if missing(growth) else f" ({pct(float(growth) / 100, True)} on the last 12 months"
    age = _months_of_orders(info.get("first_order_date"), account.bundle.as_of) if change else None
    if age is not None and age < YOUNG_MONTHS:  # the forecast's new account: its first months only
        change += f", a new account whose last 12 months hold only its first {age} months of orders"
    change += ")" if change else ""
    lines = [
        f"Forecast for the next 12 months: {money(info.get('forecast_next_12m'), deck.currency)}{change}"
        + _based_on(info.get("forecast_method"))
        + (f", {MIX_WORDS}" if MIX_WORDS in str(info.get("forecast_method_reason") or "").lower() else "")
        + (UNCHECKED_CHANCE.rstrip() if unchecked(account.bundle) else "")
        + "."
    ]
    # a lapsed account's forecast from its own months comes only with a win-back, as its page says (C15749)
    lapsed = lapsed_sentence(account, pd.Series(info), treated_by="the risks slide and the plan treat")
    lines += [lapsed] if lapsed else []
    deck.text(slide, bottom, lines, 13)
    if not missing(info.get("forecast_method_reason")):
        deck.notes(slide, [literal(info["forecast_method_reason"], NOTES_LIMIT)])


def _months_of_orders(first_order: object, as_of: object) -> int | None:
    """Calendar months from the month of the first order to the analysis month, both counted (the forecast's
    'first order 2 months ago' for a first order in September and data as of 31 October); None when unknown."""
    if missing(first_order) or missing(as_of):
        return None
    first, now = pd.Timestamp(first_order), pd.Timestamp(as_of)
    return (now.year - first.year) * 12 + now.month - first.month + 1


def _based_on(method: object) -> str:
    """', based on the buying-rhythm model': the method in a KAM's words (the speaker notes give the reason), not
    its analyst's name ('method: BTYD expected value', CDNOW top 100 at 1997-12-31)."""
    words = slide_words(method)
    if words is not None:
        return f", based on {words}"
    return "" if missing(method) else f", method: {literal(method, 60)}"


def open_year(t) -> bool:
    """A target row whose year still has months to come (a chance of a finished year is no forecast)."""
    months = getattr(t, "months_remaining", None)
    return missing(months) or float(months) > 0


def _internal_targets(deck: Deck, account: AccountRows) -> None:
    targets = _rows(account.table("forecast_targets"))
    slide = deck.slide("Targets")
    if targets.empty:
        deck.text(
            slide,
            deck.area,
            [_why(account, "forecast_targets", literal(no_target_sentence(account.bundle), 600))],
            16,
        )
        return
    targets = targets.sort_values("period")
    bare = unchecked(account.bundle)
    top, bottom = deck.rows(0.55)
    add_chart(
        slide,
        "column",
        top,
        [str(int(p)) for p in targets["period"]],
        {
            "Target": targets["revenue_target"].tolist(),
            "Expected (booked + forecast)": targets["expected_total"].tolist(),
        },
    )
    rows = [
        (
            str(int(t.period)),
            money(t.revenue_target, deck.currency),
            money(t.booked_ytd, deck.currency),
            money(t.expected_total, deck.currency),
            attainment(t.expected_attainment),
            # marked as on the account page where no out-of-time check of any kind stands behind it
            chance_text(t.p_reach_target, bare and open_year(t)),
        )
        for t in targets.itertuples()
    ]
    add_table(
        slide,
        bottom,
        ["Year", "Target", "Booked", "Expected", "Attainment", "Chance to reach"],
        rows,
        None,
        12,
        [False, True, True, True, True, True],
    )


def _internal_categories(deck: Deck, account: AccountRows) -> None:
    cats = _categories(account)
    slide = deck.slide("Category mix and margins")
    if cats.empty:
        deck.text(slide, deck.area, [_why(account, "tradelanes", "No revenue by category in the last two years.")], 16)
        return
    left, right = deck.split(0.45)
    _category_chart(deck, slide, left, cats, ("Last 12 months", "12 months before"))
    shown = cats.head(MAX_ROWS)
    rows = [
        (
            c.category,
            money(c.revenue_ltm, deck.currency),
            pct(c.revenue_change_pct, True),
            NO_COST if no_cost(c.margin_pct_ltm) else margin_pct(c.margin_pct_ltm, digits=1),
            literal(c.status, 20) + (" (loss-making)" if bool(c.loss_making) else ""),
        )
        for c in shown.itertuples()
    ]
    add_table(
        slide,
        right,
        ["Category", "Last 12 m", "Change", "Margin", "Trend"],
        rows,
        [3, 1.6, 1.3, 1.3, 2],
        11,
        [False, True, True, True, False],
    )
    _more(deck, slide, right, len(shown), len(cats), "categories")
    _credited_categories(deck, slide, right, account)


def _credited_categories(deck: Deck, slide, box, account: AccountRows, customer: bool = False) -> None:
    """Under the table, the categories left out because credit notes net them to zero or below in the last 12
    months (Online Retail's C15098: Giftware 39.6k shown alone, Charges -39.0k, revenue 650), so the table is
    not read as what the account bought net; ``customer``: in the customer deck's words (its C16029 read 'Your
    purchases, last 12 months 51.0k' and 'Giftware 58.2k')."""
    lanes = _rows(account.table("tradelanes"))
    if lanes.empty or "revenue_ltm" not in lanes.columns:
        return
    # the lines the table leaves out (_categories): credits in the last 12 months, no net sales in the 12 before
    credited = lanes[(lanes["revenue_ltm"] < 0) & ~(lanes["revenue_prior"] > 0)].sort_values("revenue_ltm")
    if credited.empty:
        return
    names = "; ".join(f"{literal(c.category, 40)} {money(c.revenue_ltm, deck.currency)}" for c in credited.itertuples())
    net = money(account.info.get("revenue_ltm"), deck.currency)
    left, top, width, height = box  # above the "more categories" line of _more
    deck.text(
        slide,
        (left, top + height - int(height * 0.22), width, int(height * 0.13)),
        [
            f"Not shown: credit notes and adjustments in the last 12 months on categories without purchases then "
            f"({names}); your net purchases are {net}."
            if customer
            else f"Not shown: categories whose credit notes exceed their sales in the last 12 months ({names}); "
            f"the account's net revenue is {net}."
        ],
        11,
    )


def _internal_risks(deck: Deck, account: AccountRows) -> None:
    risks = _rows(account.table("plan_risks"))
    drivers = _rows(account.table("churn_drivers"))
    health = _rows(account.table("health_components"))
    slide = deck.slide("Risks and their drivers")
    top, bottom = deck.rows(0.58)
    if risks.empty:
        deck.text(slide, top, [_why(account, "plan_risks", "The account plan found no risks.")], 14)
    else:
        shown = risks.sort_values("order").head(6)
        rows = [
            (
                literal(r.severity),
                wording(r.risk, 220),
                money(r.value_at_stake, deck.currency) or stake_text(None, getattr(r, "value_basis", "")),
            )
            for r in shown.itertuples()
        ]
        add_table(slide, top, ["Severity", "Risk", "Value at stake"], rows, [1.1, 6, 1.4], 11, [False, False, True])
    info = account.info
    churn = (
        f"{'Churn score' if _churn_score(account) else 'Churn probability'} {_churn_figure(account)} "
        f"({literal(info.get('risk_band'))} band)"
    )
    lines = []
    if not drivers.empty:
        lines += [wording(s, 200) for s in drivers.sort_values("rank")["sentence"].head(3) if literal(s)]
    else:  # a figure no driver explains (the value model's chance of no order): the order gap it reads, as the page
        gap = _order_gap(account)
        lines += [gap] if gap else []
    health_text = [wording(s, 160) for s in _weak_points(account, health)]
    half = bottom[2] // 2
    if not missing(info.get("churn_probability")):
        deck.headed(slide, (bottom[0], bottom[1], half, bottom[3]), [(churn, lines or ["no drivers listed"])], 12)
    if not missing(info.get("health_score")):
        deck.headed(
            slide,
            (bottom[0] + half, bottom[1], bottom[2] - half, bottom[3]),
            [
                (
                    f"Health {number(info.get('health_score'), 0)}/100, weakest points",
                    health_text or ["No component is on its unhealthy side."],
                )
            ],
            12,
        )


def _weak_points(account: AccountRows, comps: pd.DataFrame, most: int = 2) -> list[str]:
    """Up to ``most`` weak points of the health score: the health stage's own weakest point (a component on its
    unhealthy side), then the components losing most points where the account is worse than the typical one. The
    demo's Oakwood Hospital SA listed 'Revenue in the last 3 months up 11% on the 3 months before' as a weakest
    point: it lost points only for rising less than most (percentile 0.57)."""
    top = literal(_first(account.table("health")).get("top_weakness"))
    out = [top] if top and top != "nan" else []
    if not comps.empty and {"max_points", "contribution", "percentile", "sentence"} <= set(comps.columns):
        worse = comps[comps["percentile"] < WEAK_PERCENTILE]
        worse = worse.assign(lost=worse["max_points"] - worse["contribution"]).sort_values("lost", ascending=False)
        out += [s for s in worse["sentence"] if literal(s) and s not in out]
    return out[:most]


def _order_gap(account: AccountRows) -> str:
    """The account's silence against its usual gap between orders (the churn section's "Why" where no driver
    explains the figure), from its churn features; empty without them."""
    feats = _first(account.table("churn_features"))
    if missing(feats.get("days_since_last_order")):
        return ""
    usual = float("nan") if missing(feats.get("usual_order_gap_days")) else float(feats["usual_order_gap_days"])
    days = float(feats["days_since_last_order"])
    sentence = silence_sentence(days, usual)
    if not sentence:
        return ""
    # a low figure beside a silence longer than usual says why it stays low, as the page does
    return (
        f"{sentence}. {NO_STOP_SEEN_SHORT}" if long_silence(days, usual) and no_stop_seen(account) else f"{sentence}."
    )


def _price_gaps(account: AccountRows, threat: dict) -> str:
    """One sentence naming what each price gap of the internal deck compares, so that the health score's,
    the threat's and the plan's figures (different bids, competitors and periods) are not read as one."""
    parts = []
    health = _rows(account.table("health_components"))
    if not health.empty and "component" in health.columns:
        row = health[health["component"] == "bid_price_gap_pct"]
        if len(row) and not missing(row["value"].iloc[0]):
            parts.append(
                f"{pct(float(row['value'].iloc[0]) / 100, True, digits=1)} on all our bids against the competitor's "
                "price, last 12 months (health score)"
            )
    if threat and not missing(threat.get("price_gap")):
        main = literal(threat.get("main_competitor"), 60) or "the main competitor"
        parts.append(f"{pct(threat['price_gap'], True)} on our bids against {main}, last 12 months (threat)")
    if not parts:
        return ""
    return (
        "Price gaps compare different bids: "
        + "; ".join(parts)
        + "; the table's \"Our price gap (lost)\" and the plan's risks compare the lost bids only (the risks over "
        "the last two years)."
    )


def _internal_competitors(deck: Deck, account: AccountRows) -> None:
    bids = _rows(account.table("competitor_account_bids"))
    threat = _first(account.table("competitor_threat"))
    slide = deck.slide("Competitors")
    top, bottom = deck.rows(0.22)
    reason = wording(threat.get("reasons"), 400) if threat else ""
    band = literal(threat.get("threat_band")) if threat else ""
    # without the threat analysis (no opportunities nor competitor prices) its reason, never "no losses recorded"
    empty = _why(account, "competitor_threat", "No competitive losses recorded.")
    lines = [f"Competitive threat: {band or 'not scored'}", reason or empty]
    gaps = _price_gaps(account, threat)
    if gaps:
        lines.append(gaps)
    deck.text(slide, top, lines, 12 if gaps else 13, bold_first=True)
    if bids.empty:
        return
    bids = bids.sort_values(["n_bids", "lost_amount"], ascending=False)
    shown = bids.head(MAX_ROWS)
    rows = [
        (
            literal(b.competitor, 60),
            count(b.n_bids),
            count(b.wins),
            count(b.losses),
            pct(b.win_rate),
            pct(b.avg_price_gap_lost, True),
            money(b.lost_amount, deck.currency),
        )
        for b in shown.itertuples()
    ]
    add_table(
        slide,
        bottom,
        ["Competitor", "Bids", "Won", "Lost", "Win rate", "Our price gap (lost)", "Lost value"],
        rows,
        [2.5, 1, 1, 1, 1.2, 1.8, 1.4],
        12,
        [False, True, True, True, True, True, True],
    )
    _more(deck, slide, bottom, len(shown), len(bids), "competitors")


_STATUS = {"never": "never bought", "lapsed": "lapsed"}


SCORES_NOT_COUNTED = (
    "The figures below are scores, not adoption probabilities: no probability-weighted value is given, and none is "
    "counted in the plan's revenue objective."
)


def _uncalibrated_note(bundle) -> str:
    """Why the scores are no probabilities, in two sentences that fit the slide: the bundle's first (why) and what
    follows for the plan. Cut at 400 characters, Online Retail's note lost its end, 'and none is counted in the
    plan's revenue objective', the part the KAM needs."""
    reason = str(uncalibrated_reason(bundle))
    first = re.split(r"(?<=\.)\s+(?=[A-Z])", reason, maxsplit=1)[0]
    if "revenue objective" in first:
        return literal(first, 400)
    return f"{literal(first, 250)} {SCORES_NOT_COUNTED}"


def _internal_whitespace(deck: Deck, account: AccountRows) -> None:
    recs = _rows(account.table("whitespace_recommendations"))
    slide = deck.slide("Whitespace: what they could buy")
    if recs.empty:
        deck.text(
            slide,
            deck.area,
            [
                _why(
                    account,
                    "whitespace_recommendations",
                    no_recommendations(account.table("whitespace_grid"), "the account"),
                )
            ],
            16,
        )
        return
    # no adoption probability when the history was too short to calibrate the scores: the raw score, named so
    probabilities = calibrated(recs)
    useful, weak = _recommended(recs)
    floor = f"{min_useful_p():.0%}"
    notes = [] if probabilities else [_uncalibrated_note(account.bundle)]
    if weak.empty:
        pass
    elif probabilities:
        listed = ", ".join(f"{literal(r.category, 60)} ({pct(r.p_adopt, digits=1)})" for r in weak.head(8).itertuples())
        more = f" and {len(weak) - 8} more" if len(weak) > 8 else ""
        notes.append(f"Not recommended (adoption probability below {floor}): {listed}{more}.")
    else:
        listed = ", ".join(literal(c, 60) for c in weak["category"].head(8))
        more = f" and {len(weak) - 8} more" if len(weak) > 8 else ""
        notes.append(f"Scoring below {floor}, not listed: {listed}{more}.")
    if useful.empty:
        if probabilities:
            first = (
                f"No category is recommended: every opportunity has an adoption probability below {floor}, "
                "too low to be worth a KAM's time."
            )
        else:
            first = f"No category is listed: every opportunity scores below {floor}."
        deck.text(slide, deck.area, [first, *notes], 16, bold_first=True)
        return
    shown = useful.head(6)
    rows = [
        (
            literal(r.category, 60),
            _STATUS.get(r.status, literal(r.status)),
            pct(r.p_adopt if probabilities else r.score, digits=1),
            money(r.spend_if_adopted, deck.currency),
            money(r.expected_value, deck.currency) if probabilities else "not estimated",
            literal(r.rationale, 220),
        )
        for r in shown.itertuples()
    ]
    chance = "Chance to start" if probabilities else SCORE_LABEL
    top, bottom = deck.rows(0.8) if notes else (deck.area, None)
    add_table(
        slide,
        top,
        ["Category", "Status", chance, "Spend if adopted", "Expected", "Why"],
        rows,
        [1.6, 0.9, 1, 1.2, 1.1, 5],
        11,
        [False, False, True, True, True, False],
    )
    _more(deck, slide, top, len(shown), len(useful), "recommended categories")
    if bottom is not None:
        deck.text(slide, bottom, notes, 11)


def _internal_service(deck: Deck, account: AccountRows) -> None:
    kpis = _first(account.table("kpis"))
    slide = deck.slide("Service, receivables and relationships")
    left, right = deck.split(0.5)
    service = [
        ("Complaints open (severe)", with_detail(count(kpis.get("complaints_open")), count(kpis.get("open_severe")))),
        _pair_row(
            "Complaints, last 12 months / before",
            count(kpis.get("complaints_12m")),
            count(kpis.get("complaints_prior_12m")),
        ),
        ("Average days to resolve", number(kpis.get("mean_days_to_resolve"), 0)),
        (
            "Open receivables (overdue)",
            with_detail(money(kpis.get("open_ar"), deck.currency), money(kpis.get("overdue_ar"), deck.currency)),
        ),
        ("DSO, days", number(kpis.get("dso_days"), 0)),
        ("Invoices paid late, last 12 months", pct(kpis.get("late_share_12m"))),
    ]
    _figures_table(slide, left, "Service and payment", service, "No complaints or invoices table was supplied.", deck)
    contacts = not missing(kpis.get("contacts"))
    people = [
        ("Contacts (decision makers)", with_detail(count(kpis.get("contacts")), count(kpis.get("decision_makers")))),
        _pair_row(
            "Interactions, last 90 days / before",
            count(kpis.get("interactions_90d")),
            count(kpis.get("interactions_prior_90d")),
        ),
        (
            "Days since decision-maker contact",
            "never" if kpis.get("dm_contact_never") else number(kpis.get("days_since_dm_contact"), 0),
        ),
        # single-threaded is read from the contacts: without them it is not known, not 'no'
        ("Single-threaded", ("yes" if kpis.get("single_threaded") else "no") if contacts else ""),
        (
            "Open bids (weighted)",
            with_detail(count(kpis.get("open_bids")), money(kpis.get("weighted_value"), deck.currency)),
        ),
        ("Win rate, last 12 months", pct(kpis.get("win_rate"))),
    ]
    _figures_table(
        slide, right, "Relationship and pipeline", people, "No contacts or opportunities table was supplied.", deck
    )


def _pair(now: str, before: str) -> str:
    """'3 / 5', or one side alone where the other is not known, or empty."""
    if now.strip() and before.strip():
        return f"{now} / {before}"
    return now if now.strip() else ""


def _pair_row(label: str, now: str, before: str) -> tuple[str, str]:
    """A row of a now / before pair: the label loses its ' / before' where only one side is known
    ('Complaints, last 12 months | 1', not 'Complaints, last 12 months / before | 1')."""
    value = _pair(now, before)
    return (label if " / " in value else label.removesuffix(" / before")), value


def _figures_table(slide, box, title: str, rows: list[tuple[str, str]], none: str, deck: Deck) -> None:
    """A two-column table of the rows that have a figure (a row whose data was not supplied is left out,
    not shown blank or as '()'); ``none`` where no row has one."""
    shown = [(label, value) for label, value in rows if str(value).strip()]
    if shown:
        add_table(slide, box, [title, ""], shown, [2.4, 1.4], 12, [False, True])
    else:
        deck.text(slide, box, [title, none], 12, bold_first=True)


def _internal_plan(deck: Deck, account: AccountRows) -> None:
    objectives = _rows(account.table("plan_objectives"))
    actions = _rows(account.table("plan_actions"))
    slide = deck.slide("The plan")
    top, bottom = deck.rows(0.25)
    lines = ["Objectives"] + (
        [wording(t, 240) for t in objectives.sort_values("order")["text"]] if not objectives.empty else ["none set"]
    )
    deck.text(slide, top, lines, 12, bold_first=True)
    if actions.empty:
        deck.text(
            slide,
            bottom,
            [_why(account, "plan_actions", "No actions: nothing in the playbook applies to this account.")],
            14,
        )
        return
    shown = actions.sort_values("order").head(6)
    rows = [
        (
            literal(a.priority),
            wording(a.action, 240),
            literal(a.owner, 40),
            date(a.due_date),
            money(a.value_at_stake, deck.currency) or stake_text(None, getattr(a, "value_basis", "")),
        )
        for a in shown.itertuples()
    ]
    add_table(
        slide,
        bottom,
        ["Priority", "Action", "Owner", "Due", "Value at stake"],
        rows,
        [1, 6, 1.4, 1.3, 1.3],
        11,
        [False, False, False, False, True],
    )
    _more(deck, slide, bottom, len(shown), len(actions), "actions")
    deck.notes(slide, [f"{wording(a.action, 300)}: {wording(a.evidence, 400)}" for a in shown.itertuples()])


def internal_deck(deck: Deck, account: AccountRows) -> None:
    _internal_title(deck, account)
    _internal_glance(deck, account)
    _internal_forecast(deck, account)
    _purchases_by_month(deck, account, "Revenue by month, year on year", ("Last 12 months", "12 months before"))
    _internal_targets(deck, account)
    _internal_categories(deck, account)
    _internal_risks(deck, account)
    _internal_competitors(deck, account)
    _internal_whitespace(deck, account)
    _internal_service(deck, account)
    _internal_plan(deck, account)


def account_deck(account: AccountRows, template: bytes, audience: str = "internal", extra=None) -> bytes:
    """The .pptx bytes of one account's deck for ``audience`` (customer or internal).

    ``extra(deck, account, audience)``, when given, adds slides (e.g. the changes since
    the last review); they are moved to :data:`EXTRA_POSITION` (after the title and the
    first overview slide).
    """
    audience = check_audience(audience)
    deck = Deck(template, currency_of(account.bundle))
    (customer_deck if audience == "customer" else internal_deck)(deck, account)
    if extra is not None:
        before = len(deck.prs.slides)
        extra(deck, account, audience)
        deck.move_slides(before, EXTRA_POSITION)
    return deck.save()


__all__ = ["account_deck", "account_name", "customer_deck", "internal_deck"]
