"""Report section: KPIs, health, pipeline, receivables, complaints and relationships.

Reads the tables written by :func:`kamtools.kpis.bundle_tables` (``kpis``, ``health``,
``health_components``, ``pipeline``, ``pipeline_losses``, ``receivables``,
``complaints_summary``, ``relationships``, ``kpis_portfolio``) and draws them; nothing
is recomputed. A part whose table is missing shows the bundle's reason instead.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kamtools import display, formatting
from kamtools.data.portfolio import NotAvailable
from kamtools.kpis.health import NO_ORDERS_HEALTH, NOT_SCORED
from kamtools.plotting.style import money
from kamtools.sections import show_notes

TITLE = "Pipeline, receivables, complaints and relationships"


def _num(row: dict, key: str) -> float:
    v = row.get(key)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return math.nan
    return v


def _margin(v: float) -> str:
    """A gross margin % ('n/a' when unknown; '100% (no cost booked)' where every cost is 0)."""
    return "n/a" if math.isnan(v) else formatting.margin_pct(v, digits=0)


def _pct(v: float, signed: bool = False) -> str:
    if math.isnan(v):
        return "n/a"
    return f"{v:+.0%}" if signed else f"{v:.0%}"


def _m(v: float, currency: str | None = None) -> str:
    return "n/a" if math.isnan(v) else money(v, currency)


def _days(v: float) -> str:
    return "n/a" if math.isnan(v) else formatting.counted(v, "day")


def returns_card(row: dict, currency: str | None = None) -> tuple[str, str, str] | None:
    """The returns-rate card (returned / gross revenue, last 12 months: its label says so, since the load's warning
    and the KPI note give an account's share over the whole history), or None without returns."""
    returned = _num(row, "returns_ltm")
    if math.isnan(returned) or returned <= 0:
        return None
    rate = _num(row, "returns_rate")
    status = "" if math.isnan(rate) else ("bad" if rate > 0.3 else "warn" if rate > 0.1 else "")
    text = (
        f"{rate:.1%} of gross ({_m(returned, currency)})"  # one decimal as in the returns note
        if not math.isnan(rate) and rate < 0.1
        else f"{_pct(rate)} of gross ({_m(returned, currency)})"
        if not math.isnan(rate)
        else f"{_m(returned, currency)}, no sales"
    )
    return ("Returns and credit notes, last 12 months", text, status)


def _no_target(as_of: object) -> str:
    """A target card's figure where the year has no target (the demo cut at 13 months read "n/a (n/a)")."""
    return f"no {pd.Timestamp(as_of).year} target" if as_of is not None else "no target this year"


def kpi_cards(row: dict, currency: str | None = None, as_of: object = None) -> list[tuple[str, str, str]]:
    """The headline KPI cards of one account's ``kpis`` row as (label, text, status); the revenue
    amounts in ``currency`` (the bundle's), so they read as on page one and the index. With ``as_of`` the
    year-to-date cards say to which date they count (as the overview's do)."""
    cards: list[tuple[str, str, str]] = []
    g = _num(row, "growth_ytd_pct")
    ytd_label, att_label, vs = "Revenue YTD", "Target attainment (pace)", "vs last year"
    if as_of is not None:
        year, when = pd.Timestamp(as_of).year, f"1 Jan-{formatting.day(as_of)}"
        ytd_label, vs = f"Revenue booked {when}", f"vs the same months of {year - 1}"
        att_label = f"Target attainment so far (pace): booked {when} / the {year} target"
    cards.append(
        (
            ytd_label + ("" if math.isnan(g) else f" ({_pct(g, True)} {vs})"),
            _m(_num(row, "revenue_ytd"), currency),
            "" if math.isnan(g) else ("good" if g >= 0 else "warn" if g > -0.15 else "bad"),
        )
    )
    gl = _num(row, "growth_pct")
    change = "" if math.isnan(gl) else f" ({_pct(gl, True)})"  # NaN: no prior year in the data
    cards.append(("Revenue, last 12 months", _m(_num(row, "revenue_ltm"), currency) + change, ""))
    m = _num(row, "margin_pct")
    cards.append(("Gross margin %, last 12 months", _margin(m), "bad" if m < 0 else ""))
    if "target_attainment" in row:
        pace = _num(row, "target_pace")
        status = "" if math.isnan(pace) else ("good" if pace >= 1 else "warn" if pace >= 0.8 else "bad")
        attained = _num(row, "target_attainment")
        # no target for the year: say so rather than "n/a (n/a)" (the demo cut at 13 months, its targets from 2025)
        text = (
            _no_target(as_of)
            if math.isnan(attained) and math.isnan(pace)
            else f"{formatting.attainment(attained, 'n/a')} ({formatting.attainment(pace, 'n/a')})"
        )
        cards.append((att_label, text, status))
    cards.append(
        (
            "Orders / avg order, 12 months",
            f"{_num(row, 'orders_ltm'):,.0f} / {_m(_num(row, 'avg_order_value'), currency)}",
            "",
        )
    )
    card = returns_card(row, currency)
    if card:
        cards.append(card)
    if "weighted_value" in row:
        cards.append(
            (
                "Pipeline (weighted)",
                f"{_m(_num(row, 'open_value'), currency)} ({_m(_num(row, 'weighted_value'), currency)})",
                "",
            )
        )
        cards.append(("Win rate, 12 months", _pct(_num(row, "win_rate")), ""))
    if "open_ar" in row:
        od = _num(row, "overdue_60_plus")
        cards.append(
            (
                "Open AR (overdue)",
                f"{_m(_num(row, 'open_ar'), currency)} ({_m(_num(row, 'overdue_ar'), currency)})",
                "bad" if od > 0 else "",
            )
        )
        cards.append(("DSO", _days(_num(row, "dso_days")), ""))
    if "complaints_open" in row:
        sev = _num(row, "open_severe")
        cards.append(
            ("Open complaints (severe)", f"{_num(row, 'complaints_open'):.0f} ({sev:.0f})", "bad" if sev > 0 else "")
        )
    if "days_since_dm_contact" in row:
        d = _num(row, "days_since_dm_contact")
        cards.append(
            ("Days since decision-maker contact", _days(d), "bad" if d > 120 else "warn" if d > 60 else "good")
        )
    if "health_score" in row:
        band = str(row.get("health_band"))
        status = {"red": "bad", "amber": "warn", "green": "good"}.get(band, "")
        score = _num(row, "health_score")
        cards.append(
            ("Health", f"{score:.0f}/100 ({band})" if np.isfinite(score) else f"{NOT_SCORED}: no orders", status)
        )
    return cards


def account_section(acct) -> None:
    """KPI cards, health with its components, pipeline, receivables ageing, complaints, relationships."""
    display.heading(TITLE)
    kpis = acct.table("kpis")
    if isinstance(kpis, NotAvailable):
        display.not_available(kpis)
        return
    if kpis.empty:
        display.not_available("No KPIs were computed for this account.")
        return
    row = kpis.iloc[0].to_dict()
    display.kpi_cards(kpi_cards(row, formatting.currency_of(acct.bundle), acct.as_of))
    show_notes(acct.bundle, "kpis")

    _health(acct)
    _pipeline(acct, row)
    _receivables(acct, row)
    _complaints(acct)
    _relationships(acct)


def _health(acct) -> None:
    """The health score, its weakest point and its components."""
    from kamtools.plotting.kpis import health_components_chart

    # ---- health ------------------------------------------------------------------------
    display.heading("Account health", level=3)
    health = acct.table("health")
    comps = acct.table("health_components")
    if isinstance(health, NotAvailable) or health.empty:
        display.not_available(health if isinstance(health, NotAvailable) else "No health score for this account.")
    elif not np.isfinite(float(health.iloc[0]["health_score"])):  # an account without an order
        display.paragraph(NO_ORDERS_HEALTH)
    else:
        h = health.iloc[0]
        weak = str(h.get("top_weakness", "") or "")
        weak_text = (
            f"Weakest point: {weak.rstrip('.')}."
            if weak and weak != "nan"
            else "No component is on its unhealthy side."
        )
        display.paragraph(
            f"Health {h['health_score']:.0f}/100 ({h['health_band']}). {weak_text} "
            f"The components and their weights are those that predicted churn on this portfolio's history "
            f"({h['health_basis']})."
        )
        if isinstance(comps, pd.DataFrame) and not comps.empty:
            display.figure(health_components_chart(comps), alt="Health score points per component")
            display.table(
                comps,
                columns={
                    "label": "Component",
                    **({"sentence": "This account"} if "sentence" in comps.columns else {"value": "Value"}),
                    "percentile": "Percentile (1 = healthiest)",
                    "contribution": "Points",
                    "max_points": "Out of",
                },
            )


def _pipeline(acct, row: dict) -> None:
    """Open bids, win rate and cycle, the bid table and the losses by competitor."""
    # ---- pipeline ----------------------------------------------------------------------
    display.heading("Pipeline and bids", level=3)
    bids = acct.table("pipeline")
    if isinstance(bids, NotAvailable):
        display.not_available(bids)
    else:
        wr = _num(row, "win_rate")
        display.paragraph(
            f"{formatting.counted(_num(row, 'open_bids'), 'open bid')} worth {_m(_num(row, 'open_value'))} "
            f"(weighted by win probability {_m(_num(row, 'weighted_value'))}); "
            f"{formatting.count(_num(row, 'bids_closing_90d'))} expected to close in the next 90 days. "
            f"Last 12 months: {_num(row, 'bids_won_12m'):.0f} won of {_num(row, 'bids_decided_12m'):.0f} decided "
            f"(win rate {_pct(wr)}), average cycle {_days(_num(row, 'avg_cycle_days'))}."
        )
        if not bids.empty:
            display.table(
                bids,
                columns={
                    "opportunity_id": "Bid",
                    "stage": "Stage",
                    "category": "Category",
                    "competitor": "Competitor",
                    "amount": "Amount",
                    "probability": "Probability",
                    "weighted_value": "Weighted",
                    "close_date": "Expected close",
                },
                money=["amount", "weighted_value"],
                currency=formatting.currency_of(acct.bundle),
                pct=["probability"],
            )
        _pipeline_losses(acct)


def _pipeline_losses(acct) -> None:
    """The bids lost in the last 12 months: a pointer to the competitor section, or the table by competitor."""
    losses = acct.table("pipeline_losses")
    by_competitor = acct.table("competitor_account_bids")
    shown_there = isinstance(by_competitor, pd.DataFrame) and not by_competitor.empty
    if isinstance(losses, pd.DataFrame) and not losses.empty and shown_there:
        # the competitor section's table already lists the losses, lost value and price gaps by competitor
        display.paragraph(
            f"{formatting.counted(losses['bids_lost'].sum(), 'bid')} lost in the last 12 months; the losses by "
            "competitor, with the price gaps, are in the competitor section."
        )
    elif isinstance(losses, pd.DataFrame) and not losses.empty:
        display.paragraph("Bids lost in the last 12 months, by competitor (price gap: + = we were dearer):")
        display.table(
            losses,
            columns={
                "competitor": "Lost to",
                "bids_lost": "Lost",
                "bids_decided": "Decided",
                "lost_value": "Lost value",
                "price_gap_pct": "Price gap",
                "top_reason": "Main reason",
                "top_category": "Category",
            },
            money=["lost_value"],
            currency=formatting.currency_of(acct.bundle),
        )


def _receivables(acct, row: dict) -> None:
    """Open receivables, overdue, DSO, late payments and the ageing chart."""
    from kamtools.plotting.kpis import ageing_chart

    # ---- receivables -------------------------------------------------------------------
    display.heading("Receivables", level=3)
    ageing = acct.table("receivables")
    if isinstance(ageing, NotAvailable):
        display.not_available(ageing)
    elif ageing.empty or float(ageing["amount"].sum()) == 0:
        display.paragraph("No open invoices.")
    else:
        trend = _num(row, "late_share_trend")
        trend_txt = "" if math.isnan(trend) else f" ({trend * 100:+.0f} percentage points on the year before)"
        display.paragraph(
            f"Open receivables {_m(_num(row, 'open_ar'))}, of which {_m(_num(row, 'overdue_ar'))} overdue and "
            f"{_m(_num(row, 'overdue_60_plus'))} more than 60 days past due. DSO {_days(_num(row, 'dso_days'))} "
            f"(open AR / last 90 days' invoicing x 90). {_pct(_num(row, 'late_share_12m'))} of the invoices due in "
            f"the last 12 months were paid late{trend_txt}."
        )
        display.figure(
            ageing_chart(ageing, currency=formatting.currency_of(acct.bundle)), alt="Open receivables by days past due"
        )


def _complaints(acct) -> None:
    """Open complaints by severity, the year's count against the year before, time to resolve."""
    # ---- complaints --------------------------------------------------------------------
    display.heading("Complaints", level=3)
    comp = acct.table("complaints_summary")
    if isinstance(comp, NotAvailable):
        display.not_available(comp)
    elif not comp.empty:
        c = comp.iloc[0].to_dict()
        sev = _num(c, "open_severe")
        oldest = _num(c, "oldest_open_severe_days")
        display.paragraph(
            f"Open complaints: {_num(c, 'complaints_open'):.0f} (low {_num(c, 'open_low'):.0f}, medium "
            f"{_num(c, 'open_medium'):.0f}, high {_num(c, 'open_high'):.0f}, critical {_num(c, 'open_critical'):.0f})"
            + (f"; the oldest severe one has been open {_days(oldest)}" if sev > 0 else "")
            + f". {formatting.counted(_num(c, 'complaints_12m'), 'complaint')} in the last 12 months "
            + (
                f"vs {_num(c, 'complaints_prior_12m'):.0f} the year before"
                if pd.notna(_num(c, "complaints_prior_12m"))
                else "(no comparison with the year before: it lies before the order history)"
            )
            + f"; mean time to resolve {_days(_num(c, 'mean_days_to_resolve'))}."
        )


def _relationships(acct) -> None:
    """Who we know at the account: contacts by role, engagement and the last decision-maker contact."""
    # ---- relationships -----------------------------------------------------------------
    display.heading("Relationships", level=3)
    rel = acct.table("relationships")
    if isinstance(rel, NotAvailable):
        display.not_available(rel)
    elif not rel.empty:
        r = rel.iloc[0].to_dict()
        roles = pd.DataFrame(
            {
                "role": ["Decision makers", "Influencers", "Users", "Gatekeepers", "Executive/senior"],
                "contacts": [
                    _num(r, "decision_makers"),
                    _num(r, "influencers"),
                    _num(r, "users"),
                    _num(r, "gatekeepers"),
                    _num(r, "senior_contacts"),
                ],
            }
        )
        never = bool(r.get("dm_contact_never"))
        dm_txt = (
            f"no decision-maker contact is recorded (at least {_days(_num(r, 'days_since_dm_contact'))})"
            if never
            else f"last decision-maker contact {_days(_num(r, 'days_since_dm_contact'))} ago"
        )
        single = bool(r.get("single_threaded"))
        display.paragraph(
            f"{_num(r, 'engaged_contacts_90d'):.0f} of {formatting.counted(_num(r, 'contacts'), 'contact')} engaged in the last 90 days, "
            f"{formatting.of_them(_num(r, 'dm_engaged_90d'), 'decision maker')}; {dm_txt}; last executive/senior contact "
            f"{_days(_num(r, 'days_since_senior_contact'))} ago."
            + (" Single-threaded: only one contact engaged in the last 180 days." if single else "")
        )
        display.table(roles, columns={"role": "Role", "contacts": "Contacts"})


# ---- portfolio overview -------------------------------------------------------------------
def portfolio_cards(tot: dict, currency: str | None = None, as_of: object = None) -> list[tuple[str, str, str]]:
    """Headline cards of the ``kpis_portfolio`` row. With ``as_of`` the year-to-date cards say their dates
    and what they count (all accounts; booked revenue against the year's target), so they read apart from
    the forecast's expected year total and expected attainment on the same page."""
    if as_of is not None:
        when = f"1 Jan-{formatting.day(as_of)}"
        ytd_label = f"Revenue booked {when}, all accounts"
        if not math.isnan(_num(tot, "growth_ytd_pct")):  # the label names a change only where the card shows one
            ytd_label += f" (change on the same months of {pd.Timestamp(as_of).year - 1})"
        att_label = f"Target attainment so far: booked {when} / the {pd.Timestamp(as_of).year} target"
    else:
        ytd_label, att_label = "Revenue YTD", "Target attainment"
    cards = [
        (
            ytd_label,
            _m(_num(tot, "revenue_ytd"), currency)
            + ("" if math.isnan(_num(tot, "growth_ytd_pct")) else f" ({_pct(_num(tot, 'growth_ytd_pct'), True)})"),
            "",
        ),
        ("Gross margin %, 12 months", _margin(_num(tot, "margin_pct")), ""),
    ]
    card = returns_card(tot)
    if card:
        cards.append(card)
    if "target_attainment" in tot:
        missing = _no_target(as_of)
        cards.append((att_label, formatting.attainment(_num(tot, "target_attainment"), missing), ""))
    if "weighted_value" in tot:
        cards.append(
            (
                "Pipeline (weighted)",
                f"{_m(_num(tot, 'open_value'), currency)} ({_m(_num(tot, 'weighted_value'), currency)})",
                "",
            )
        )
        cards.append(("Win rate, 12 months", _pct(_num(tot, "win_rate")), ""))
    if "open_ar" in tot:
        cards.append(
            (
                "Open AR (60+ days overdue)",
                f"{_m(_num(tot, 'open_ar'), currency)} ({_m(_num(tot, 'overdue_60_plus'), currency)})",
                "",
            )
        )
        cards.append(("DSO", _days(_num(tot, "dso_days")), ""))
    if "complaints_open" in tot:
        cards.append(
            ("Open complaints (severe)", f"{_num(tot, 'complaints_open'):.0f} ({_num(tot, 'open_severe'):.0f})", "")
        )
    if "accounts_single_threaded" in tot:
        cards.append(("Single-threaded accounts", formatting.count(_num(tot, "accounts_single_threaded")), ""))
    return cards


def ranked_risks(kpis: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """Accounts in the red health band, largest revenue first (the revenue most exposed)."""
    if "health_band" not in kpis.columns:
        return kpis.iloc[0:0]
    red = kpis[(kpis["health_band"] == "red") & (kpis["revenue_ltm"] > 0)]
    return red.sort_values("revenue_ltm", ascending=False).head(n)


def portfolio_section(bundle) -> None:
    """Portfolio totals, the health distribution and the accounts most at risk."""
    from kamtools.plotting.kpis import health_distribution_chart

    display.heading(TITLE)
    tot = bundle.table("kpis_portfolio")
    if isinstance(tot, NotAvailable):
        display.not_available(tot)
        return
    display.kpi_cards(portfolio_cards(tot.iloc[0].to_dict(), formatting.currency_of(bundle), bundle.as_of))
    show_notes(bundle, "kpis")
    kpis = bundle.table("kpis")
    health = bundle.table("health")
    display.heading("Account health", level=3)
    if isinstance(health, NotAvailable):
        display.not_available(health)
    else:
        counts = health["health_band"].value_counts()
        unscored = int(counts.get(NOT_SCORED, 0))
        display.paragraph(
            f"{formatting.counted(counts.get('red', 0), 'account')} red, {counts.get('amber', 0):,} amber, {counts.get('green', 0):,} green"
            + (f", {unscored:,} not scored (no order in the data)" if unscored else "")
            + f". Health weights: {health['health_basis'].iloc[0]}."
        )
        display.figure(health_distribution_chart(health), alt="Histogram of account health scores by band")
    if isinstance(kpis, NotAvailable):
        display.not_available(kpis)
        return
    if not isinstance(health, NotAvailable) or "health_band" in kpis.columns:
        # without health scores (said just above) no account can be in the red band: no list, not "none is red"
        _most_at_risk(bundle, kpis)
    _overdue(bundle, kpis)
    _severe_complaints(kpis)


def _most_at_risk(bundle, kpis: pd.DataFrame) -> None:
    """Accounts in the red health band, largest revenue first."""
    display.heading("Accounts most at risk (red health, largest revenue first)", level=3)
    risky = ranked_risks(kpis)
    if "health_score" in risky.columns:  # a whole score, as the index and the account pages show it ('24', not '24.30')
        risky = risky.assign(health_score=pd.to_numeric(risky["health_score"], errors="coerce").round(0))
    if risky.empty:
        display.paragraph("No ordering account is in the red health band.")
    else:
        display.table(
            risky,
            columns={
                "account_id": "Account id",
                "name": "Account",
                "owner": "KAM",
                "revenue_ltm": "Revenue, 12 months",
                "health_score": "Health",
                "top_weakness": "Weakest point",
            },
            money=["revenue_ltm"],
            currency=formatting.currency_of(bundle),
        )


def _overdue(bundle, kpis: pd.DataFrame) -> None:
    """Accounts with invoices more than 60 days overdue, most overdue first."""
    if "overdue_60_plus" in kpis.columns:
        od = kpis[kpis["overdue_60_plus"] > 0].sort_values("overdue_60_plus", ascending=False)
        display.heading("Receivables more than 60 days overdue", level=3)
        if od.empty:
            display.paragraph("No account has invoices more than 60 days overdue.")
        else:
            display.table(
                od,
                columns={
                    "account_id": "Account id",
                    "name": "Account",
                    "owner": "KAM",
                    "overdue_60_plus": "60+ days overdue",
                    "oldest_overdue_days": "Oldest (days)",
                    "dso_days": "DSO (days)",
                },
                max_rows=15,
                money=["overdue_60_plus"],
                currency=formatting.currency_of(bundle),
            )


def _severe_complaints(kpis: pd.DataFrame) -> None:
    """Accounts with open high or critical complaints, most first."""
    if "open_severe" in kpis.columns:
        sev = kpis[kpis["open_severe"] > 0].sort_values(["open_severe", "revenue_ltm"], ascending=False)
        display.heading("Open severe complaints", level=3)
        if sev.empty:
            display.paragraph("No open high or critical complaint.")
        else:
            display.table(
                sev,
                columns={
                    "account_id": "Account id",
                    "name": "Account",
                    "owner": "KAM",
                    "open_severe": "Open severe",
                    "oldest_open_severe_days": "Oldest (days)",
                },
                max_rows=15,
            )
