"""The portfolio deck for the monthly management review (always internal).

Concentration, tiers, the accounts that moved, revenue at risk, forecast against target
and the most valuable actions, all read from the analysis bundle. ``extra`` slides (the
changes since the last review) go right after the title when given.
"""

from __future__ import annotations

import pandas as pd

from kamtools.bundle import Bundle
from kamtools.churn.bands import HIGH_RISK_P, MEDIUM_RISK_P, is_score, score_text
from kamtools.deck.build import open_year
from kamtools.deck.charts import MONEY_FORMAT, PCT_FORMAT, add_chart, add_table
from kamtools.deck.slides import NOTES_LIMIT, Deck
from kamtools.deck.text import literal, missing, with_detail, wording
from kamtools.formatting import attainment, count, currency_of, date, margin_pct, money, pct, pct_banded
from kamtools.groups.customers import customers
from kamtools.sections import last_12_months_label
from kamtools.sections.churn import driver_heading
from kamtools.sections.forecast import (
    chance_text,
    change_sentence,
    no_target_sentence,
    portfolio_forecast_line,
    range_rests_on,
    shipped_test_sentence,
    unchecked,
)

TOP = 10


def _names(accounts: pd.DataFrame) -> pd.Series:
    names = accounts["name"].map(lambda n: literal(n, 50))
    return names.where(names != "", accounts["account_id"].map(lambda a: literal(a, 50)))


def _table(bundle: Bundle, name: str) -> pd.DataFrame:
    return bundle.table(name) if bundle.has(name) else pd.DataFrame()


def _scored(bundle: Bundle) -> frozenset[str]:
    """Accounts whose churn figure is a score, not a probability (the churn stage's unconfirmed fallback)."""
    churn = _table(bundle, "churn")
    if churn.empty or "method" not in churn.columns:
        return frozenset()
    return frozenset(churn.loc[churn["method"].map(is_score), "account_id"].astype(str))


def _headline(deck: Deck, bundle: Bundle, acc: pd.DataFrame) -> None:
    k = _table(bundle, "kpis_portfolio")
    k = k.iloc[0].to_dict() if not k.empty else {}
    rows = [
        # customers, as the overview counts them: a group parent without orders of its own is no account here
        ("Accounts (active)", with_detail(count(len(customers(acc))), count(k.get("active_accounts")))),
        (
            last_12_months_label(bundle),
            with_detail(money(acc["revenue_ltm"].sum(), deck.currency), pct(k.get("growth_pct"), True)),
        ),
        (
            "Revenue so far this year",
            with_detail(money(k.get("revenue_ytd"), deck.currency), pct(k.get("growth_ytd_pct"), True)),
        ),
        ("Target attainment so far", attainment(k.get("target_attainment"))),
        ("Gross margin, last 12 months", margin_pct(k.get("margin_pct"), digits=1)),
    ]
    if "revenue_at_risk" in acc:
        label = "Revenue at risk (churn score-weighted)" if _scored(bundle) else "Revenue at risk (churn)"
        rows.append((label, money(acc["revenue_at_risk"].sum(), deck.currency)))
    if "health_band" in acc:
        bands = acc["health_band"].value_counts()
        rows.append(
            ("Health red / amber / green", " / ".join(count(bands.get(b, 0)) for b in ("red", "amber", "green")))
        )
    rows.append(
        (
            "Open bids (weighted value)",
            with_detail(count(k.get("open_bids")), money(k.get("weighted_value"), deck.currency)),
        )
    )
    rows.append(("Overdue receivables", money(k.get("overdue_ar"), deck.currency)))
    rows = [(label, value) for label, value in rows if str(value).strip()]  # a figure the data lacks: no blank row
    slide = deck.slide("The portfolio at a glance")
    add_table(slide, deck.split(0.6)[0], None, rows, [1.6, 1.2], 14, [False, True])


def _concentration(deck: Deck, bundle: Bundle, acc: pd.DataFrame) -> None:
    conc = _table(bundle, "segment_concentration")
    slide = deck.slide("Concentration")
    left, right = deck.split(0.6)
    if conc.empty:
        deck.text(slide, deck.area, ["The concentration analysis is not in this bundle."], 16)
        return
    rev = conc[conc["measure"] == "revenue"].sort_values("rank")
    add_chart(
        slide,
        "line_plain",
        left,
        [pct(x) for x in rev["cum_share_accounts"]],
        {"Share of revenue": rev["cum_share_value"].tolist()},
        number_format=PCT_FORMAT,
        title="Cumulative share of revenue by share of accounts",
    )
    n = len(rev)
    lines = []
    for share in (0.1, 0.2):
        top = rev[rev["cum_share_accounts"] <= share + 1e-9]
        if len(top):
            lines.append(
                f"The largest {pct(share)} of accounts ({count(len(top))}) bring {pct(top['cum_share_value'].iloc[-1])} of revenue."
            )
    if "abc_class" in rev:
        classes = rev["abc_class"].value_counts()
        lines.append(
            "ABC classes: " + ", ".join(f"{c} {count(classes.get(c, 0))}" for c in ("A", "B", "C")) + f" of {count(n)}."
        )
    deck.text(slide, right, lines, 15)


def _tiers(deck: Deck, acc: pd.DataFrame) -> None:
    slide = deck.slide("Tiers")
    if "tier" not in acc or acc["tier"].isna().all():
        deck.text(slide, deck.area, ["Tiers are not in this bundle."], 16)
        return
    by = acc.groupby("tier").agg(
        accounts=("account_id", "size"),
        revenue=("revenue_ltm", "sum"),
        at_risk=("revenue_at_risk", "sum") if "revenue_at_risk" in acc else ("revenue_ltm", "size"),
        forecast=("forecast_next_12m", "sum") if "forecast_next_12m" in acc else ("revenue_ltm", "size"),
    )
    left, right = deck.split(0.5)
    labels = [f"Tier {int(t)}" for t in by.index]
    add_chart(
        slide,
        "column",
        left,
        labels,
        {"Revenue, last 12 months": by["revenue"].tolist(), "Forecast, next 12 months": by["forecast"].tolist()},
    )
    rows = [
        (
            lab,
            count(r.accounts),
            money(r.revenue, deck.currency),
            money(r.forecast, deck.currency),
            money(r.at_risk, deck.currency),
        )
        for lab, r in zip(labels, by.itertuples(), strict=True)
    ]
    add_table(
        slide,
        right,
        ["Tier", "Accounts", "Revenue", "Forecast", "At risk"],
        rows,
        None,
        13,
        [False, True, True, True, True],
    )


def _movers(deck: Deck, acc: pd.DataFrame) -> None:
    slide = deck.slide("Accounts that moved (last 12 months against the 12 before)")
    if "growth_pct" not in acc:
        deck.text(slide, deck.area, ["Revenue growth is not in this bundle."], 16)
        return
    prior = acc["revenue_ltm"] / (1 + acc["growth_pct"])
    moved = acc.assign(change=acc["revenue_ltm"] - prior, name_=_names(acc)).dropna(subset=["change"])
    if moved.empty:  # e.g. 12 months of history: the 12 months before lie before it
        deck.text(
            slide,
            deck.area,
            [
                "No account is compared with the 12 months before: the order history does not reach back that far, "
                "so no growth is known."
            ],
            16,
        )
        return
    up = moved.sort_values("change", ascending=False).head(5)
    down = moved.sort_values("change").head(5)
    left, right = deck.split(0.5)
    for box, part, label in ((left, up, "Grew most"), (right, down, "Fell most")):
        rows = [
            (r.name_, money(r.revenue_ltm, deck.currency), money(r.change, deck.currency), pct(r.growth_pct, True))
            for r in part.itertuples()
        ]
        add_table(slide, box, [label, "Revenue", "Change", "%"], rows, [3, 1.4, 1.4, 1], 12, [False, True, True, True])


def _at_risk(deck: Deck, acc: pd.DataFrame, bundle: Bundle) -> None:
    slide = deck.slide("Revenue at risk")
    if "revenue_at_risk" not in acc:
        deck.text(slide, deck.area, ["The churn model is not in this bundle."], 16)
        return
    top = acc.assign(name_=_names(acc)).sort_values("revenue_at_risk", ascending=False).head(TOP)
    churn = _table(bundle, "churn")
    driver = dict(zip(churn["account_id"], churn["driver_1"], strict=False)) if "driver_1" in churn else {}
    # a figure from the buying rhythm (no churn model) names no driver: no empty "Main driver" column
    drivers = any(literal(driver.get(a), 80) for a in top["account_id"])
    listed = churn[churn["account_id"].isin(top["account_id"])] if "account_id" in churn else churn
    methods = listed["method"].tolist() if "method" in listed else []
    left, right = deck.split(0.42)
    add_chart(slide, "bar", left, top["name_"].tolist(), {"Revenue at risk": top["revenue_at_risk"].tolist()})
    scored = _scored(bundle)  # a score reads '57/100' as on the index, never a percent
    rows = [
        (
            r.name_,
            score_text(r.churn_probability)
            if str(r.account_id) in scored and not missing(r.churn_probability)
            else pct_banded(r.churn_probability, (MEDIUM_RISK_P, HIGH_RISK_P)),
            literal(r.risk_band),
            money(r.revenue_at_risk, deck.currency),
        )
        + ((literal(driver.get(r.account_id), 80),) if drivers else ())
        for r in top.itertuples()
    ]
    add_table(  # a "Main driver" column only where the churn stage gives drivers (never an empty column)
        slide,
        right,
        [
            "Account",
            "Churn score" if scored and set(top["account_id"].astype(str)) <= scored else "Churn",
            "Band",
            "At risk",
        ]
        + ([driver_heading(methods)] if drivers else []),
        rows,
        [2.4, 0.9, 1, 1.1, 3] if drivers else [3.4, 1.3, 1.4, 1.5],
        10,
        [False, True, False, True, False] if drivers else [False, True, False, True],
    )
    if methods:  # how the figures were made, as the overview says above its list
        deck.notes(slide, [f"How the churn risk was estimated: {literal(methods[0], NOTES_LIMIT)}."])


def _forecast(deck: Deck, bundle: Bundle) -> None:
    fp = _table(bundle, "forecast_portfolio")
    target = _table(bundle, "forecast_portfolio_target")
    slide = deck.slide("Forecast against target")
    top, rest = deck.rows(0.55)
    # what the range rests on, as the overview says it under its chart (the forecast stage's note), whole
    left, y, width, height = rest
    note_h = int(height * 0.45)
    note, bottom = (left, y, width, note_h), (left, y + note_h, width, height - note_h)
    if fp.empty:
        deck.text(slide, deck.area, ["The portfolio forecast is not in this bundle."], 16)
        return
    fp = fp.sort_values("ds").tail(36)
    actual = fp["y"].where(fp["kind"] == "actual").tolist()
    forecast = fp["forecast"].tolist()
    last = max((i for i, v in enumerate(actual) if not missing(v)), default=None)
    if last is not None and last + 1 < len(forecast):
        forecast[last] = actual[last]
    add_chart(
        slide,
        "line",
        top,
        [pd.Timestamp(d).strftime("%b %Y") for d in fp["ds"]],
        {
            "Revenue": actual,
            "Forecast": forecast,
            "80% range, low": fp["lo_80"].tolist(),
            "80% range, high": fp["hi_80"].tolist(),
        },
        dashed=("80% range, low", "80% range, high"),
    )
    deck.text(slide, note, [literal(range_rests_on(bundle), 2000)], 11)
    whole = _table(bundle, "forecast_portfolio")  # every month ahead, not only those the chart shows
    change = change_sentence(bundle, whole)  # where the change on the last 12 months comes from, as the overview says
    tested = shipped_test_sentence(bundle)  # how far the forecast as shipped missed in its own test
    if change or tested:
        deck.notes(slide, [literal(t, NOTES_LIMIT) for t in (change, tested) if t])
    if target.empty:  # the total the chart draws, in figures, as the overview's cards give it
        lines = [portfolio_forecast_line(bundle, whole), *([literal(change, 600)] if change else [])]
        deck.text(
            slide, bottom, [*lines, literal(no_target_sentence(bundle, account=False), 600)], 12 if change else 14
        )
        return
    bare = unchecked(bundle)
    rows = [
        (
            str(int(t.period)),
            money(t.revenue_target, deck.currency),
            money(t.booked_ytd, deck.currency),
            money(t.expected_total, deck.currency),
            attainment(t.expected_attainment),
            # marked as on the overview where no out-of-time check of any kind stands behind it
            chance_text(t.p_reach_target, bare and open_year(t)),
        )
        for t in target.sort_values("period").itertuples()
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


def _actions(deck: Deck, bundle: Bundle, acc: pd.DataFrame) -> None:
    actions = _table(bundle, "plan_actions")
    slide = deck.slide("The most valuable actions")
    if actions.empty:
        deck.text(slide, deck.area, ["No plan actions in this bundle."], 16)
        return
    names = dict(zip(acc["account_id"], _names(acc), strict=True))
    top = actions.dropna(subset=["value_at_stake"]).sort_values("value_at_stake", ascending=False).head(TOP)
    rows = [
        (
            names.get(a.account_id, literal(a.account_id)),
            wording(a.action, 240),  # the cell wraps; a longer action is cut at a word, with an ellipsis
            literal(a.owner, 30),
            date(a.due_date),
            money(a.value_at_stake, deck.currency),
        )
        for a in top.itertuples()
    ]
    add_table(
        slide,
        deck.area,
        ["Account", "Action", "Owner", "Due", "Value at stake"],
        rows,
        [2, 6, 1.3, 1.2, 1.2],
        10,
        [False, False, False, False, True],
    )


def portfolio_deck(bundle: Bundle, template: bytes, extra=None) -> bytes:
    """The .pptx bytes of the portfolio review deck; ``extra(deck, bundle)`` adds slides after the title."""
    acc = bundle.accounts
    deck = Deck(template, currency_of(bundle))
    as_of = pd.Timestamp(bundle.as_of)
    deck.title_slide(
        "Portfolio review",
        [f"Monthly management review, data as of {date(as_of)}", f"{count(len(customers(acc)))} accounts (internal)"],
    )
    if extra is not None:
        extra(deck, bundle)
    _headline(deck, bundle, acc)
    _concentration(deck, bundle, acc)
    _tiers(deck, acc)
    _movers(deck, acc)
    _at_risk(deck, acc, bundle)
    _forecast(deck, bundle)
    _actions(deck, bundle, acc)
    return deck.save()


__all__ = ["MONEY_FORMAT", "portfolio_deck"]
