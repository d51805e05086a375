"""The bid desk of the management overview: cards, the open pipeline by expected gain, losses by competitor, the
tender calendar; the win model's calibration in the appendix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools import display, formatting
from kamtools.data.portfolio import NotAvailable
from kamtools.plotting.style import money
from kamtools.sections import show_notes
from kamtools.sections.bids.tables import (
    CALIBRATION_COLUMNS,
    LOSS_COLUMNS,
    PIPELINE_COLUMNS,
    TENDER_COLUMNS,
    _gap_text,
    _total_band,
    calibration_sentence,
    gain_card,
    held_sentences,
    loss_by_competitor,
    loss_sentence,
    open_bids_table,
    pipeline_sentence,
    price_moves,
    rules_text,
    tender_rows,
    upcoming_tenders,
    window_start,
)


def _names(bundle) -> dict:
    from kamtools.sections import account_names

    accounts = bundle.accounts
    return account_names(accounts)


def _account_text(names: dict, account_id: object) -> str:
    name = names.get(account_id)
    return f"{name} ({account_id})" if name else str(account_id)


def _pipeline(bundle, recs, names) -> None:
    moves = isinstance(recs, pd.DataFrame) and sum(price_moves(recs)) > 0
    display.heading("Open pipeline by expected margin gained" if moves else "Open pipeline", 3)
    if isinstance(recs, NotAvailable):
        display.not_available(recs)
        return
    if recs.empty:
        display.paragraph("There are no open bids in the portfolio, so there is no price to recommend.")
        return
    from kamtools.plotting.bids import pipeline_gain_chart

    currency = formatting.currency_of(bundle)
    display.paragraph(pipeline_sentence(recs, bundle.table("bid_pipeline"), currency))
    for sentence in held_sentences(recs, bundle.table("bid_calibration") if bundle.has("bid_calibration") else None):
        display.paragraph(sentence)
    display.paragraph(rules_text(bundle.table("bid_pipeline")))
    shown = open_bids_table(recs, currency)
    shown = shown.assign(account_text=[_account_text(names, a) for a in shown["account_id"]])
    labels = pd.Series(
        [
            f"{o} · {names.get(a, a)} · {c}"
            for o, a, c in zip(shown["opportunity_id"], shown["account_id"], shown["competitor_text"])
        ],
        index=shown.index,
    )
    if not moves:  # every bid keeps its price: a chart of zero gains, and what a gain is, would say nothing
        display.table(shown, columns=PIPELINE_COLUMNS, max_rows=25)
        return
    display.figure(
        pipeline_gain_chart(shown, labels=labels, currency=currency), alt="open bids ranked by expected margin gained"
    )
    display.table(shown, columns=PIPELINE_COLUMNS, max_rows=25)
    display.paragraph(
        "Gain = expected margin (P(win) x margin) at the recommended price minus at the current one; the band "
        "carries the uncertainty of the price response and, where no competitor quote is known, of the competitor's "
        "price around the price index (90%). Bands of single bids do not add up to the band of the "
        "total quoted above."
    )


def _losses(bundle) -> None:
    display.heading("Where we lose: on price or on other reasons", 3)
    summary = bundle.table("bid_loss_summary")
    if isinstance(summary, NotAvailable):
        display.not_available(summary)
        return
    if summary.empty:
        display.paragraph("No bid against a named competitor has been decided yet.")
        return
    from kamtools.plotting.bids import loss_reasons_chart

    sentence = loss_sentence(summary)
    if sentence:
        display.paragraph(sentence)
    display.figure(loss_reasons_chart(summary), alt="bids won, lost on price and lost on other reasons by competitor")
    display.table(
        loss_by_competitor(summary),
        columns={k: v for k, v in LOSS_COLUMNS.items() if k != "category"},
        pct=["win_rate"],
    )
    on_price = summary[summary["lost_on_price"] > 0].sort_values(["lost_on_price", "n"], ascending=False)
    if len(on_price):
        display.heading("Where price costs us most: competitor and category", 3)
        display.table(_gap_text(on_price), columns=LOSS_COLUMNS, max_rows=15, pct=["win_rate"])
        display.paragraph(
            "Mean price gap = our price over the competitor's, averaged over the decided bids (+5%: we were 5% dearer). "
            "Where we lose: price when at least two thirds of the losses with a recorded reason were on price, other "
            "reasons when at most a third were, mixed in between."
        )


def _calibration(bundle) -> None:
    display.heading("Bid win model: out-of-time calibration", 3)
    cal = bundle.table("bid_calibration")
    if isinstance(cal, NotAvailable):
        display.not_available(cal)
        return
    if cal.empty:
        display.paragraph("Too few bids have been decided to backtest the win model.")
        return
    shown = cal.assign(
        citl_text=cal.get("calibration_in_the_large", pd.Series(np.nan, index=cal.index)).map(
            lambda v: "" if pd.isna(v) else f"{v * 100:+.1f} points"
        ),
        brier=cal["brier"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
        log_loss=cal["log_loss"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
        auc=cal["auc"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
    )
    display.table(shown, columns=CALIBRATION_COLUMNS)
    display.paragraph(calibration_sentence(cal))
    rel = bundle.table("bid_reliability")
    if isinstance(rel, pd.DataFrame) and len(rel):
        from kamtools.plotting.bids import reliability_chart

        display.figure(reliability_chart(rel), alt="predicted win probability against the share of bids won")


def _low_confidence(upcoming: pd.DataFrame) -> pd.Series:
    """Rows of low confidence (a rhythm of past tenders whose expected tender is missing from the data)."""
    return upcoming.get("confidence", pd.Series("", index=upcoming.index)).astype("str").eq("low")


def _by_source(upcoming: pd.DataFrame) -> str:
    """Where the expected tenders come from, in brackets after the total (empty for a bundle without sources)."""
    if "source" not in upcoming.columns:
        return ""
    ends = int(upcoming["source"].astype("str").str.startswith("contract end").sum())
    if not ends:
        return " (all from a rhythm of past tenders)"
    if ends == len(upcoming):
        return " (all a few months before a contract of ours ends)"
    rest = "the other" if len(upcoming) - ends == 1 else "the others"
    return f" ({ends:,} a few months before a contract of ours ends, {rest} from a rhythm of past tenders)"


def _calendar(bundle, names) -> None:
    currency = formatting.currency_of(bundle)
    display.heading("Tender calendar, next 12 months", 3)
    cal = bundle.table("tender_calendar")
    if isinstance(cal, NotAvailable):
        display.not_available(cal)
        return
    upcoming = upcoming_tenders(cal, bundle.as_of)
    if upcoming.empty:
        display.paragraph("No recurring tender or contract end is expected in the next 12 months.")
        return
    from kamtools.plotting.bids import tender_calendar_chart

    low = _low_confidence(upcoming)
    sure = upcoming[~low]
    value = pd.to_numeric(sure["expected_value"], errors="coerce").sum()
    n_low = int(low.sum())
    more = ""
    if n_low:
        n_rhythms = len(upcoming.loc[low, ["account_id", "category"]].drop_duplicates())
        low_value = money(pd.to_numeric(upcoming.loc[low, "expected_value"], errors="coerce").sum(), currency)
        more = (
            f" {n_low:,} more {'tender' if n_low == 1 else 'tenders'} worth about {low_value} may come from "
            f"{'a rhythm' if n_rhythms == 1 else f'{n_rhythms:,} rhythms'} of past tenders with low confidence "
            '(a tender the rhythm expected is missing from the data): listed with confidence "low", left out of '
            "these figures and of the chart."
        )
    if sure.empty:
        display.paragraph(f"No tender is expected with confidence in the next 12 months.{more}")
    else:
        n_acc = sure["account_id"].nunique()
        display.paragraph(
            f"{'One tender' if len(sure) == 1 else f'{len(sure):,} tenders'} from {n_acc:,} "
            f"{'account' if n_acc == 1 else 'accounts'} {'is' if len(sure) == 1 else 'are'} expected in the next "
            f"12 months, worth about {money(value, currency)}{_by_source(sure)}; the table lists the soonest first, "
            f"so the pre-RFQ work can start months ahead.{more}"
        )
        display.figure(
            tender_calendar_chart(sure, start=window_start(bundle.as_of), currency=currency),
            alt="expected tender value by month",
        )
    display.table(tender_rows(upcoming, names), columns=TENDER_COLUMNS, max_rows=30)


def _portfolio_cards(recs, bundle) -> None:
    currency = formatting.currency_of(bundle)
    if not isinstance(recs, pd.DataFrame):
        return
    cards: list[tuple] = [
        ("Open bids", f"{len(recs):,}"),
        (
            "Open pipeline value",
            money(float(pd.to_numeric(recs["amount"], errors="coerce").sum()), currency) if len(recs) else "0",
        ),
        gain_card(recs, _total_band(bundle.table("bid_pipeline"), currency), currency),
    ]
    cal = bundle.table("tender_calendar")
    if isinstance(cal, pd.DataFrame):
        upcoming = upcoming_tenders(cal, bundle.as_of)
        n_low = int(_low_confidence(upcoming).sum())
        count = f"{len(upcoming) - n_low:,}" + (f" (+{n_low:,} low confidence)" if n_low else "")
        cards.append(("Tenders expected, next 12 months", count))
    display.kpi_cards(cards)


def portfolio_section(bundle) -> None:
    """The bid desk of the management overview."""
    display.heading("Bid desk")
    recs = bundle.table("bid_recommendations")
    names = _names(bundle)
    _portfolio_cards(recs, bundle)
    _pipeline(bundle, recs, names)
    show_notes(bundle, "bid_recommendations")
    _losses(bundle)
    show_notes(bundle, "bid_postmortem")
    if bundle.has("bid_calibration"):
        display.paragraph(
            "How well the win model's chances matched what happened in a test on past data: see the appendix."
        )
    _calendar(bundle, names)


def portfolio_appendix(bundle) -> None:
    """Appendix part of the portfolio overview: the win model's out-of-time calibration and its chart."""
    _calibration(bundle)
    show_notes(bundle, "bid_calibration")
