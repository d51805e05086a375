"""The summary card of an account report and the "portfolio at a glance" overview section.

Both read only ``accounts.parquet`` (the one summary row per account that
:func:`kamtools.bundle.analyze` writes, with the headline columns that analysis modules
declare in ``SUMMARY_COLUMNS``), so they work whatever stages the bundle holds. A
headline whose analysis is missing is listed with the bundle's reason.
"""

from __future__ import annotations

import math

import pandas as pd

from kamtools import display, formatting
from kamtools.churn.bands import HIGH_RISK_P, MEDIUM_RISK_P, churn_is_score, score_text
from kamtools.credit_only import credit_only, no_orders_phrase, since_is_a_credit_note
from kamtools.sections import history_sentence
from kamtools.sections.forecast import UNCHECKED_CHANCE  # one mark for every face

CHURN_EDGES = (MEDIUM_RISK_P, HIGH_RISK_P)  # the churn bands start here: a probability never rounds across one

# Headline columns of accounts.parquet, with the analysis stage that writes them. A tuple
# lists alternatives in order of preference (the segment stage writes ``cluster_name`` only
# when the portfolio is large enough to cluster, ``quadrant`` always).
SEGMENT_COLUMNS = ("cluster_name", "quadrant")  # segment
TIER_COLUMNS = ("tier",)  # segment
FORECAST_COLUMNS = ("forecast_next_12m",)  # forecast: the one headline for the next 12 months
HEALTH_SCORE_COLUMNS = ("health_score",)  # kpis
HEALTH_BAND_COLUMNS = ("health_band",)  # kpis
CHURN_COLUMNS = ("churn_probability",)  # churn
CHURN_SCORE_CARD = "Churn score (not a probability)"  # page one's churn card when the churn stage gave a score
RISK_BAND_COLUMNS = ("risk_band",)  # churn
AT_RISK_COLUMNS = ("revenue_at_risk",)  # churn
TARGET_PROB_COLUMNS = ("target_probability",)  # forecast
TARGET_STATUS_COLUMNS = ("target_status",)  # kpis (older bundles)

_GOOD = ("good", "healthy", "green", "low", "on track", "on_track", "likely")
_WARN = ("watch", "amber", "medium", "fair", "moderate", "at risk", "at_risk", "possible")
_BAD = ("poor", "critical", "red", "bad", "high", "off track", "off_track", "unlikely", "very high")


def _first(info: dict, names: tuple[str, ...]) -> object | None:
    for name in names:
        value = info.get(name)
        if _present(value):
            return value
    return None


def _present(value: object) -> bool:
    if value is None or value is pd.NaT:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return str(value) not in ("", "nan", "None", "<NA>")


def band_status(text: object) -> str:
    """Map a band label (e.g. 'high', 'watch', 'healthy') to a card status good/warn/bad ('' if unknown)."""
    if not _present(text):
        return ""
    t = str(text).strip().lower()
    for words, status in ((_BAD, "bad"), (_WARN, "warn"), (_GOOD, "good")):
        if t in words:
            return status
    for words, status in ((_BAD, "bad"), (_WARN, "warn"), (_GOOD, "good")):
        if any(w in t for w in words):
            return status
    return ""


def churn_status(probability: float | None, band: object = None) -> str:
    """Card status of a churn risk: the band when known, else thresholds 20% / 50%."""
    status = band_status(band)
    if status or probability is None:
        return status
    return "bad" if probability >= 0.5 else "warn" if probability >= 0.2 else "good"


def _pct(x: float) -> str:
    """Percent text; small non-zero shares keep one decimal (0.2%, not 0%)."""
    return formatting.pct(x)


def summary_cards(
    info: dict, currency: str | None = None, churn_score: bool = False, unchecked: bool = False
) -> list[tuple[str, str, str]]:
    """The summary card of one account as (label, text, status) triples.

    ``info`` is the account's row of ``accounts.parquet``; money is written with ``currency``
    (see :func:`kamtools.formatting.currency_of`). Only headlines whose column exists are
    returned; see :func:`missing_headlines` for the others. ``unchecked``: the history allowed no out-of-time
    check of any kind, so the target card's chance is marked as such (:func:`target_card`).
    """
    money = _money(currency)
    cards: list[tuple[str, str, str]] = []
    segment = _first(info, SEGMENT_COLUMNS)
    if segment is not None:
        growth = _first(info, ("growth_pct",))
        usual, one_off = _first(info, ("usual_growth",)), _first(info, ("one_off_ltm",))
        cards.append(("Segment", segment_text(str(segment), growth, usual, one_off), ""))
    tier = _first(info, TIER_COLUMNS)
    if tier is not None:
        cards.append(("Tier", formatting.code(tier), ""))  # a tier column with gaps (group rows) is float
    revenue = _first(info, ("revenue_ltm",))
    if revenue is not None:
        cards.append(("Revenue, last 12 months", money(float(revenue)), ""))
    margin_pct = _first(info, ("margin_pct_ltm",))
    if margin_pct is not None:
        m = float(margin_pct)
        cards.append(("Margin, last 12 months", formatting.margin_pct(m), "bad" if m < 0 else ""))
    forecast = _first(info, FORECAST_COLUMNS)
    if forecast is not None:
        cards.append(forecast_card(info, float(forecast), currency, unchecked))
    score = _first(info, HEALTH_SCORE_COLUMNS)
    band = _first(info, HEALTH_BAND_COLUMNS)
    if score is not None or band is not None:
        text = f"{float(score):.0f}" if score is not None else ""
        if band is not None:
            text = f"{text} ({band})" if text else str(band)
        cards.append(("Health", text, band_status(band)))
    prob = _first(info, CHURN_COLUMNS)
    risk_band = _first(info, RISK_BAND_COLUMNS)
    if risk_band == "no orders yet" and credit_only(info):  # it bought, before the data began
        risk_band = "no orders in the data"
    if prob is not None or risk_band is not None:
        text = formatting.pct_banded(float(prob), CHURN_EDGES) if prob is not None else ""
        if churn_score and prob is not None:  # the churn stage's unchecked fallback: a score, never a percent
            text = f"score {score_text(float(prob))}"
        if risk_band is not None:
            text = f"{text} ({risk_band})" if text else str(risk_band)
        label = CHURN_SCORE_CARD if churn_score else "Churn risk"
        cards.append((label, text, churn_status(None if prob is None else float(prob), risk_band)))
    at_risk = _first(info, AT_RISK_COLUMNS)
    if at_risk is not None:
        label = "Revenue at risk (score-weighted)" if churn_score else "Revenue at risk"
        cards.append((label, money(float(at_risk)), ""))
    target_status = target_card(info, unchecked)
    if target_status is not None:
        cards.append(target_status)
    competitor = _first(info, ("main_competitor",))
    if competitor is not None:
        threat = _first(info, ("threat_band",))
        text = f"{competitor} ({threat} threat)" if threat is not None else str(competitor)
        cards.append(("Main competitor", text, band_status(threat)))
    objective = _first(info, ("revenue_objective",))
    if objective is not None and not _same_amount(objective, forecast):
        cards.append(("Revenue objective, next 12 months", money(float(objective)), ""))
    return cards


def segment_text(segment: str, growth: object, usual_growth: object = None, one_off: object = None) -> str:
    """The segment's name, with the account's own growth when the name (which describes the
    typical account of its cluster) says the opposite: "growing" beside an account that fell.

    With one-off order months in the last 12 months (``one_off`` > 0, the segment stage's ``one_off_ltm``) the
    account's growth is read without them (``usual_growth``, as segmentation reads it): a growth word that fits
    only the one-off order gets the clause saying so, and so does a revenue rise that is only that order."""
    if growth is None and usual_growth is None:
        return segment
    spiked = one_off is not None and float(one_off) > 0 and usual_growth is not None
    g = float(usual_growth) if spiked or growth is None else float(growth)
    if _contradicts(segment, g):
        if spiked:
            return f"{segment} (the group's profile; this account {g:+.0%} on the year before, not counting one-off orders)"
        return f"{segment} (the group's profile; this account {g:+.0%} on the year before)"
    if spiked and growth is not None and _contradicts(segment, float(growth)):
        return f"{segment} (this account's {float(growth):+.0%} on the year before comes from one-off orders; {g:+.0%} without them)"
    return segment


def _contradicts(segment: str, g: float) -> bool:
    """True when the segment name's growth word says the opposite of the growth ``g`` (a fraction)."""
    words = set(segment.replace(",", " ").split())
    return bool(
        (words & {"growing", "fast-growing"} and g < -0.02)
        or (words & {"shrinking", "lapsing"} and g > 0.02)
        or ("stable" in words and abs(g) > 0.15)
    )


def _same_amount(a: object, b: object) -> bool:
    """True when two money amounts round to the same figure (within half a percent)."""
    if b is None:
        return False
    a, b = float(a), float(b)
    return abs(a - b) <= 0.005 * max(abs(a), abs(b), 1.0)


def _money(currency: str | None):
    """``formatting.money`` with the bundle's currency."""
    return lambda value: formatting.money(value, currency)


def forecast_card(
    info: dict, forecast: float, currency: str | None = None, unchecked: bool = False
) -> tuple[str, str, str]:
    """The one next-12-months revenue headline: the forecast stage's figure, its 80% range
    and the change against the last 12 months (the value model's expectation is shown
    only in the value section, as a cross-check, so page one has a single number).

    ``unchecked`` (no out-of-time check of any kind): the figure reads "(unchecked: too little history)" and
    colours nothing, since on a one-month cohort of CDNOW it carries that month forward at several times what
    the accounts went on to buy (the forecast section says so in words)."""
    money = _money(currency)
    text = money(forecast)
    lo, hi = info.get("forecast_next_12m_lo_80"), info.get("forecast_next_12m_hi_80")
    if _present(lo) and _present(hi):
        text += f" (80% range {money(float(lo))} to {money(float(hi))})"
    if unchecked:
        return ("Forecast revenue, next 12 months", text + UNCHECKED_CHANCE, "")
    last = _first(info, ("revenue_ltm",))
    status = ""
    if last is not None and float(last) > 0:
        change = forecast / float(last) - 1.0
        status = "bad" if change <= -0.2 else "warn" if change <= -0.05 else ""
    return ("Forecast revenue, next 12 months", text, status)


def target_card(info: dict, unchecked: bool = False) -> tuple[str, str, str] | None:
    """The 'target status' card from the forecast's probability of reaching this year's
    target and/or the KPIs' attainment and pace (year-to-date revenue against target).

    ``unchecked`` (no out-of-time check of any kind: 1 to 3 months of orders, one order day): the chance reads
    "(unchecked: too little history)" and does not colour the card, since on 1 month of the demo it read
    "100% chance to make it" beside a 12-month range of 11.7k-328.2k."""
    p = _first(info, TARGET_PROB_COLUMNS)
    label = _first(info, TARGET_STATUS_COLUMNS)
    attainment = _first(info, ("target_attainment",))
    pace = _first(info, ("target_pace",))
    if p is None and label is None and attainment is None:
        return None
    parts = []
    if label is not None:
        parts.append(str(label))
    if attainment is not None:
        parts.append(f"{formatting.attainment(float(attainment))} reached")
    if p is not None:
        parts.append(f"{formatting.pct(float(p))} chance to make it" + (UNCHECKED_CHANCE if unchecked else ""))
    year = _first(info, ("target_period",))
    if year is not None and parts:
        parts[0] = f"{int(float(year))}: {parts[0]}"
    status = band_status(label)
    if not status and p is not None and not unchecked:
        status = "good" if float(p) >= 0.6 else "warn" if float(p) >= 0.3 else "bad"
    if not status and pace is not None:
        status = "good" if float(pace) >= 1.0 else "warn" if float(pace) >= 0.9 else "bad"
    return ("Target status", ", ".join(parts), status)


def missing_headlines(info: dict, bundle) -> list[str]:
    """Sentences naming each headline that is not in the summary row, with the reason."""
    wanted = [  # label, columns, tables/stages whose skip reason explains it
        ("segment", SEGMENT_COLUMNS, ("segments", "segment")),
        ("tier", TIER_COLUMNS, ("segments", "segment")),
        ("forecast", FORECAST_COLUMNS, ("forecast_summary", "forecast")),
        ("health", HEALTH_SCORE_COLUMNS + HEALTH_BAND_COLUMNS, ("health", "kpis")),
        ("churn risk", CHURN_COLUMNS + RISK_BAND_COLUMNS, ("churn",)),
        (
            "target status",
            TARGET_PROB_COLUMNS + TARGET_STATUS_COLUMNS + ("target_attainment",),
            ("forecast_targets", "forecast", "kpis"),
        ),
    ]
    skipped = bundle.manifest.get("skipped", {})
    out = []
    for label, cols, sources in wanted:
        if _first(info, cols) is not None:
            continue
        reason = next((skipped[t] for t in sources if t in skipped), None)
        if reason is None and label == "target status" and hasattr(bundle, "note"):
            reason = bundle.note("forecast_targets")  # e.g. the target years lie beyond the forecast
        if reason is None:
            if any(c in info for c in cols):
                reason = "the analysis gave this account no value."
            else:
                reason = f"the {sources[-1]} analysis did not provide it for this bundle."
        # a reason that already names the subject ("Health is not available: ...") reads best alone
        if label.split()[0] in reason.lower():
            out.append(reason[:1].upper() + reason[1:])
        else:
            out.append(f"{label[:1].upper()}{label[1:]} not shown: {reason}")
    return out


PROFILE_FIELDS = [
    ("account_id", "Account id"),
    ("industry", "Industry"),
    ("region", "Region"),
    ("country", "Country"),
    ("channel", "Channel"),
    ("owner", "Key account manager"),
    ("customer_since", "Customer since"),
    ("first_order_date", "First order"),
    ("last_order_date", "Last order"),
    ("potential_revenue", "Estimated wallet (yearly)"),
    ("revenue_ltm", "Revenue, last 12 months"),
    ("margin_ltm", "Margin, last 12 months"),
]

# The numbers that matter on page one, in reading order; the other cards of
# :func:`summary_cards` (segment, tier, margin, competitor, objective) follow in the position table.
PAGE_ONE_CARDS = (
    "Revenue, last 12 months",
    "Forecast revenue, next 12 months",
    "Target status",
    "Churn risk",
    CHURN_SCORE_CARD,
    "Revenue at risk",
    "Revenue at risk (score-weighted)",
    "Health",
)
PAGE_ONE_ACTIONS = 5
"""At most this many plan actions on page one (the plan section lists them all)."""


def profile_table(info: dict, currency: str | None = None) -> pd.DataFrame:
    """Two columns (``field``, ``value``) describing the account; values are display text."""
    rows = []
    for key, label in PROFILE_FIELDS:
        value = info.get(key)
        if key == "first_order_date" and credit_only(info):
            rows.append(("First order", no_orders_phrase(info)))
            continue
        if not _present(value) or (key == "customer_since" and since_is_a_credit_note(info)):
            continue
        if key == "margin_ltm" and formatting.no_cost(info.get("margin_pct_ltm")):
            text = formatting.NO_COST  # margin = revenue: every cost on the orders is 0, no margin to show
        elif isinstance(value, pd.Timestamp):
            text = formatting.date(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            text = formatting.money(float(value), currency)
        else:
            text = str(value)
        rows.append((label, text))
    return pd.DataFrame(rows, columns=["field", "value"])


def top_actions(actions: pd.DataFrame, n: int = PAGE_ONE_ACTIONS) -> pd.DataFrame:
    """The plan's first ``n`` actions in the plan's own order (priority, then value at stake, then
    playbook order: the first is the account's top action)."""
    order = [c for c in ("order", "due_date") if c in actions.columns]
    ranked = actions.sort_values(order, kind="stable") if order else actions
    return ranked.head(n).reset_index(drop=True)


def actions_table(actions: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """Page one's action list as display text: action, value at stake (with what it is), owner, due date."""
    value = pd.to_numeric(actions.get("value_at_stake", pd.Series(index=actions.index, dtype=float)), errors="coerce")
    basis = actions["value_basis"] if "value_basis" in actions.columns else pd.Series("", index=actions.index)
    from kamtools.plan.actions import stake_text

    stake = [stake_text(v, b, currency) for v, b in zip(value, basis, strict=True)]
    return pd.DataFrame(
        {
            "priority": actions.get("priority", pd.Series("", index=actions.index)).fillna("").astype(str),
            "action": actions["action"].astype(str),
            "stake": stake,
            "owner": actions.get("owner", pd.Series("", index=actions.index)).fillna("").astype(str),
            "due": pd.to_datetime(actions.get("due_date", pd.Series(pd.NaT, index=actions.index))),
        }
    )


def _plan_actions(acct, currency: str | None) -> None:
    from kamtools.data.portfolio import NotAvailable

    display.heading("What we do next", level=3)
    actions = acct.table("plan_actions")
    if isinstance(actions, NotAvailable):
        display.not_available(actions)
        return
    if actions.empty:
        display.paragraph("The playbook calls for no action on this account now.")
        return
    top = top_actions(actions)
    shown = actions_table(top, currency)
    columns = {"priority": "Priority", "action": "Action", "stake": "Value at stake", "owner": "Owner", "due": "Due"}
    owners = shown["owner"].unique()
    if len(owners) == 1:  # one owner for all: say it once instead of a column
        del columns["owner"]
    display.table(shown, columns=columns)
    if len(owners) == 1 and owners[0]:
        display.paragraph(f"Owner of these actions: {owners[0]}.")
    more = len(actions) - len(top)
    if more > 0:
        display.paragraph(f"{more} more action(s), with their evidence, in the account plan section.")


def _changes(view) -> None:
    """One line on what changed since the last review (only when the report was given one)."""
    if not getattr(view, "since", ""):
        return
    from kamtools.sections.since import account_changes

    ch = account_changes(view)
    if ch is None:
        return
    display.heading(f"What changed since the last review ({formatting.date(ch.previous_as_of)})", level=3)
    if ch.status != "both":
        display.paragraph(ch.sentences[0])
        return
    lines = list(ch.highlights[:3])
    more = len(ch.highlights) - len(lines)
    if more > 0:
        lines.append(f"{more} more change(s) in the section 'Since the last review'.")
    if not lines:
        lines.append("No band, tier, risk or forecast moved enough to note.")
    if getattr(ch, "action_summary", ""):
        lines.append(str(ch.action_summary))  # how the last review's actions were followed up
    display.bullets(lines)


def _with_loss_leader(acct, text: str) -> str:
    """The main competitor's card text, with the competitor we lost the most bid value to (last 24 months) when
    that is another one: the plan's win-back action names it, so page one says why two names appear."""
    from kamtools.sections.competitors import most_value_lost_to

    top = most_value_lost_to(acct.table("competitor_account_bids"))
    main = acct.info.get("main_competitor")
    if top is None or not _present(main) or top[0] == str(main).strip():
        return text
    return f"{text}; most bid value lost (24 months): {top[0]}"


def _with_forecast_target(info: dict, targets) -> dict:
    """``info`` with the forecast's target outlook (its first year in ``forecast_targets``) where the summary
    row has no target figure at all, so page one shows the target the forecast section speaks of."""
    cols = TARGET_PROB_COLUMNS + TARGET_STATUS_COLUMNS + ("target_attainment",)
    if _first(info, cols) is not None or not isinstance(targets, pd.DataFrame) or targets.empty:
        return info
    row = targets.sort_values("period").iloc[0]
    if not _present(row.get("p_reach_target")):
        return info
    return {**info, "target_period": row["period"], "target_probability": row["p_reach_target"]}


def account_section(view) -> None:
    """Page one of the account report (under the header, which says who the account is): the numbers that matter (money in the
    bundle's currency), the first actions of the plan with their value at stake and, when the
    report compares with a previous bundle, what changed. ``view`` is the account, or the account
    with the previous review (:func:`kamtools.sections.since.with_previous`)."""
    acct = getattr(view, "acct", view)
    info = _with_forecast_target(acct.info, acct.table("forecast_targets"))
    currency = formatting.currency_of(acct.bundle)
    display.heading("Summary")
    from kamtools.sections.group import group_line  # the unit's group and its plan (nothing when stand-alone)

    group_line(acct)
    from kamtools.sections.forecast import unchecked as no_check

    unchecked = no_check(acct.bundle)  # no out-of-time check of any kind
    cards = summary_cards(info, currency, churn_is_score(acct.table("churn")), unchecked)
    key = {card[0]: card for card in cards if card[0] in PAGE_ONE_CARDS}
    if key:
        display.kpi_cards([key[label] for label in PAGE_ONE_CARDS if label in key])
    position = [(label, text) for label, text, _ in cards if label not in PAGE_ONE_CARDS]
    position = [
        (label, _with_loss_leader(acct, text) if label == "Main competitor" else text) for label, text in position
    ]
    if _present(info.get("last_order_date")):
        position.append(("Last order", formatting.date(info["last_order_date"])))
    if _present(info.get("potential_revenue")):
        position.append(("Estimated wallet (yearly)", formatting.money(info["potential_revenue"], currency)))
    if position:  # one line: the account's position and profile facts beside the numbers
        display.paragraph(" · ".join(f"{label}: {text}" for label, text in position))
    short = history_sentence(acct.bundle)
    if short:
        display.paragraph(short)
    missing = missing_headlines(info, acct.bundle)
    if missing:
        display.bullets(missing)
    _plan_actions(acct, currency)
    _changes(view)


# ---- portfolio overview -------------------------------------------------------------------


def concentration(accounts: pd.DataFrame, value: str = "revenue_ltm") -> pd.DataFrame:
    """Pareto view of revenue concentration.

    Returns one row per account, sorted by ``value`` descending, with columns
    ``account_id, name, value, share, cum_share, cum_account_share`` (shares 0-1).
    """
    df = accounts[["account_id", "name", value]].rename(columns={value: "value"}).copy()
    df["value"] = df["value"].fillna(0.0).clip(lower=0.0)
    df = df.sort_values(["value", "account_id"], ascending=[False, True]).reset_index(drop=True)
    total = float(df["value"].sum())
    df["share"] = df["value"] / total if total > 0 else 0.0
    df["cum_share"] = df["share"].cumsum()
    df["cum_account_share"] = (pd.Series(range(1, len(df) + 1)) / max(len(df), 1)).to_numpy()
    return df


def top_share(conc: pd.DataFrame, account_fraction: float) -> float:
    """Share of total revenue held by the top ``account_fraction`` of accounts (0-1)."""
    if conc.empty:
        return float("nan")
    n = max(1, math.ceil(account_fraction * len(conc)))
    return float(conc["share"].head(n).sum())


def portfolio_section(bundle) -> None:
    """Portfolio at a glance: size, revenue, margin, concentration in one number, largest
    accounts and revenue by region (the concentration curve is the segment section's)."""
    from kamtools.groups.customers import customers, not_counted_sentence

    accounts = customers(bundle.accounts)  # the same rule as the index page's totals: parents without orders left out
    money = _money(formatting.currency_of(bundle))
    display.heading("Portfolio at a glance")
    revenue = float(accounts["revenue_ltm"].sum())
    margin = float(accounts["margin_ltm"].sum())
    active = int((accounts["revenue_ltm"] > 0).sum())
    conc = concentration(accounts)
    cards = [
        ("Accounts", f"{len(accounts):,}", ""),
        ("Ordering in the last 12 months", f"{active:,}", "warn" if active < len(accounts) else ""),
        ("Revenue, last 12 months", money(revenue), ""),
        ("Margin, last 12 months", formatting.margin_pct(margin / revenue) if revenue > 0 else "", ""),
        ("Revenue share of top 20% accounts", _pct(top_share(conc, 0.2)) if revenue > 0 else "", ""),
    ]
    display.kpi_cards(cards)
    if len(accounts) < len(bundle.accounts):
        display.paragraph(not_counted_sentence(len(bundle.accounts) - len(accounts)))
    short = history_sentence(bundle)
    if short:
        display.paragraph(short)
    if revenue <= 0:
        display.not_available("No account ordered in the last 12 months, so there is no revenue to break down.")
        return
    display.paragraph(
        f"The top 10% of accounts bring {_pct(top_share(conc, 0.1))} and the top 20% bring "
        f"{_pct(top_share(conc, 0.2))} of the last twelve months' revenue."
    )
    display.heading("Largest accounts", level=3)
    currency = formatting.currency_of(bundle)
    display.table(
        conc.head(15),
        columns={"account_id": "Account id", "name": "Account", "value": "Revenue, last 12 months", "share": "Share"},
        money=["value"],
        currency=currency,
        pct=["share"],
    )
    by_region = (
        accounts.groupby("region", observed=True)
        .agg(accounts=("account_id", "size"), revenue=("revenue_ltm", "sum"))
        .reset_index()
        .sort_values("revenue", ascending=False)
    )
    by_region["revenue_share"] = by_region["revenue"] / revenue
    display.heading("Revenue by region", level=3)
    display.table(
        by_region,
        columns={
            "region": "Region",
            "accounts": "Accounts",
            "revenue": "Revenue, last 12 months",
            "revenue_share": "Share",
        },
        money=["revenue"],
        currency=currency,
        pct=["revenue_share"],
    )
    _global_accounts(bundle, revenue, currency)


def _global_accounts(bundle, revenue: float, currency: str | None) -> None:
    """The largest groups by roll-up revenue, with their units and revenue at risk (only when the portfolio
    has groups). The overview's revenue adds each account's own orders once; a group's roll-up is shown
    beside it, never added to it."""
    from kamtools.groups.tree import UNITS_HEADER
    from kamtools.sections.group import group_ids, top_groups

    if not group_ids(bundle.accounts):
        return
    display.heading("Global accounts", level=3)
    top = top_groups(bundle)
    if top is None:
        display.not_available(bundle.reason("group_rollup"))
        return
    roll = bundle.table("group_rollup")
    tops = roll[roll["depth"] == 0] if "depth" in roll.columns else roll
    in_groups = float(pd.to_numeric(tops["revenue_12m"], errors="coerce").sum())
    display.paragraph(
        f"{formatting.counted(len(tops), 'global account')} (groups of units) bring {formatting.money(in_groups, currency)}"
        f" of the {formatting.money(revenue, currency)} above ({_pct(in_groups / revenue) if revenue > 0 else ''}); "
        "each unit's revenue is counted once, in its group and in the portfolio total alike. Each group has its "
        "own report, the global account plan."
    )
    display.table(
        top,
        columns={
            "name": "Group",
            "n_units": UNITS_HEADER,
            "revenue_12m": "Revenue, last 12 months",
            "revenue_at_risk": "Revenue at risk",
        },
        money=["revenue_12m", "revenue_at_risk"],
        currency=currency,
    )
