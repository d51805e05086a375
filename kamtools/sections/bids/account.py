"""The bid desk of one account: cards, open bids with their win/margin curves, decided bids, tenders ahead."""

from __future__ import annotations

import pandas as pd

from kamtools import display, formatting
from kamtools.bids.evidence import model_verdict
from kamtools.data.portfolio import NotAvailable
from kamtools.plotting.style import money
from kamtools.sections.bids.common import (
    CHARTS_PER_ACCOUNT,
    TITLE,
    _competitor,
    _month,
    _months,
    _num,
    _table,
    _text,
)
from kamtools.sections.bids.tables import (
    OPEN_COLUMNS,
    POST_COLUMNS,
    POST_ROWS,
    TENDER_COLUMNS,
    _loss_counts,
    bid_sentence,
    gain_card,
    open_bids_table,
    pooling_note,
    postmortem_sentence,
    postmortem_table,
    rules_text,
    tender_rows,
    upcoming_tenders,
)


def _open_bids(acct, recs) -> None:
    display.heading("Open bids: what to bid", 3)
    if isinstance(recs, NotAvailable):
        display.not_available(recs)
        return
    if recs.empty:
        display.paragraph("This account has no open bids, so there is no price to recommend.")
        return
    currency = formatting.currency_of(acct.bundle)
    shown = open_bids_table(recs, currency)
    pooled = pooling_note(recs)
    if pooled:
        display.paragraph(pooled)
    display.table(shown, columns=OPEN_COLUMNS, max_rows=20)
    display.paragraph(rules_text(acct.portfolio_table("bid_pipeline")))
    curves = _table(acct, "bid_curves")
    if isinstance(curves, NotAvailable):
        display.not_available(curves)
        return
    from kamtools.plotting.bids import bid_curve_chart

    drawn = 0
    for row in shown.head(CHARTS_PER_ACCOUNT).to_dict("records"):
        curve = curves[curves["opportunity_id"].astype(str) == str(row["opportunity_id"])]
        display.paragraph(bid_sentence(row, currency))
        if curve.empty:
            held = abs(_num(row.get("recommended_price")) - _num(row.get("our_price"))) < 1e-9
            display.paragraph(
                "No curve is drawn for this bid: kamtools recommends no price change (the Why column says why)."
                if held
                else "The bundle holds no price curve for this bid."
            )
            continue
        fig = bid_curve_chart(
            curve,
            current_price=_num(row.get("our_price")),
            recommended_price=_num(row.get("recommended_price")),
            floor_price=_num(row.get("floor_price")),
            current_values=(_num(row.get("p_win_current")), _num(row.get("expected_margin_current"))),
            recommended_values=(_num(row.get("p_win_recommended")), _num(row.get("expected_margin_recommended"))),
            good_range=(_num(row.get("price_low")), _num(row.get("price_high"))),
            title=f"{_text(row.get('opportunity_id'))} against {_competitor(row)}: P(win) and expected margin",
            currency=currency,
            competitor=_competitor_mark(row),
        )
        display.figure(fig, alt=f"win probability and expected margin by price for {row['opportunity_id']}")
        drawn += 1
    if len(shown) > CHARTS_PER_ACCOUNT:
        display.paragraph(
            f"Curves are drawn for the {CHARTS_PER_ACCOUNT} bids with the largest expected gain; "
            f"the scenario planner's bid lever moves the price of any of the {len(shown)} open bids."
        )


def _competitor_mark(row: dict) -> tuple[str, float] | None:
    """(label, price) of the competitor's price on a bid's curve chart: 'Vetro quoted' or 'Vetro (index)';
    None when no competitor price is known."""
    quoted, used = _num(row.get("competitor_price")), _num(row.get("competitor_price_used"))
    name = _competitor(row)
    if quoted == quoted:
        return f"{name} quoted", quoted
    if used == used:
        return f"{name} (index)", used
    return None


def _postmortem(post, verdict=None) -> None:
    """The decided bids. ``verdict`` (:func:`kamtools.bids.evidence.model_verdict`): where the win model did not
    beat the better baseline out of time, the price it would have recommended is left out, as the open bids keep
    their price for the same reason."""
    display.heading("Post-bid analysis: decided bids", 3)
    if isinstance(post, NotAvailable):
        display.not_available(post)
        return
    if post.empty:
        display.paragraph("No bid of this account has been decided yet.")
        return
    display.paragraph(postmortem_sentence(post))
    held = verdict is not None and not verdict.beats
    columns = {k: v for k, v in POST_COLUMNS.items() if not (held and k == "rec_text")}
    display.table(postmortem_table(post), columns=columns, max_rows=POST_ROWS)
    gap = "Price gap = our price over the competitor's (+5% means we were 5% dearer). "
    if held:
        display.paragraph(
            f"{gap}The probability is the one the model would have given on the day the bid was opened, from the "
            "bids decided before it only. No price it would have recommended is shown: in a test on past bids the "
            f"win model came no closer to the outcomes than the {verdict.baseline}, so kamtools recommends no price "
            "change, for these bids as for the open ones."
        )
        return
    display.paragraph(
        f"{gap}The probability and the recommended price are those the model would have given on the day the bid "
        "was opened, from the bids decided before it only."
    )


def _tenders(acct, cal) -> None:
    currency = formatting.currency_of(acct.bundle)
    display.heading("Upcoming tenders", 3)
    if isinstance(cal, NotAvailable):
        display.not_available(cal)
        return
    if cal.empty:
        display.paragraph(
            "No recurring tender or contract end is known for this account, so no tender is expected from it."
        )
        return
    upcoming = upcoming_tenders(cal, acct.as_of)
    if upcoming.empty:
        display.paragraph(
            f"None of this account's {len(cal):,} predicted tenders is expected in the next 12 months "
            f"(the next one: {_month(_months(cal['expected_month']).min())})."
        )
        return
    low = _low_confidence(upcoming)
    sure = upcoming[~low]
    if sure.empty:
        display.paragraph(f"{_low_sentence(upcoming, currency, alone=True)}")
    else:
        value = pd.to_numeric(sure["expected_value"], errors="coerce").sum()
        first = sure.iloc[0]
        what = f"{_text(first.get('category'), 'an unknown category')}, in {_month(first['expected_month'])}"
        if len(sure) == 1:
            head = (
                f"One tender from this account is expected in the next 12 months, worth about "
                f"{money(value, currency)}: {what}."
            )
        else:
            head = (
                f"{len(sure):,} tenders from this account are expected in the next 12 months, worth about "
                f"{money(value, currency)} in all; the first: {what}."
            )
        more = f" {_low_sentence(upcoming[low], currency, alone=False)}" if low.any() else ""
        display.paragraph(
            f"{head} {_sources(sure)} Start the pre-RFQ work (specification, relationships, price position) "
            f"a few months before each.{more}"
        )
    cols = {k: v for k, v in TENDER_COLUMNS.items() if k != "account_text"}
    display.table(tender_rows(upcoming), columns=cols, max_rows=12)


def _low_confidence(upcoming: pd.DataFrame) -> pd.Series:
    """Rows of low confidence (a rhythm of past tenders whose expected tender is missing from the data)."""
    return upcoming.get("confidence", pd.Series("", index=upcoming.index)).astype("str").eq("low")


def _low_sentence(low: pd.DataFrame, currency, alone: bool) -> str:
    """The tenders of low confidence in a sentence: said apart, and left out of the expected figures."""
    value = money(pd.to_numeric(low["expected_value"], errors="coerce").sum(), currency)
    first = low.iloc[0]
    what = f"{_text(first.get('category'), 'an unknown category')}, about {_month(first['expected_month'])}"
    n = len(low)
    which = "one tender" if n == 1 else f"{n:,} tenders"
    why = (
        "its rhythm of past tenders is broken (a tender it expected is missing from the data), so ask the buyer "
        "before planning on it"
    )
    if alone:
        return (
            f"No tender from this account is expected with confidence in the next 12 months; with low confidence, "
            f"{which} worth about {value} may come ({what}): {why}."
        )
    more = "one more tender" if n == 1 else f"{n:,} more tenders"
    return f"With low confidence, {more} worth about {value} may come ({what}), left out of the figures above: {why}."


def _sources(upcoming: pd.DataFrame) -> str:
    """Where the expected tenders come from, in a sentence: contract ends in the data, a rhythm, or both."""
    source = upcoming.get("source", pd.Series("rhythm", index=upcoming.index)).astype("str")
    ends = int(source.str.startswith("contract end").sum())
    if not ends:
        return "Each is expected from the account's rhythm of past tenders."
    if ends == len(upcoming):
        return "Each is expected a few months before a contract of ours ends (its contract_end in the opportunities)."
    rest = "the other" if len(upcoming) - ends == 1 else "the others"
    return (
        f"{ends:,} {'is' if ends == 1 else 'are'} expected a few months before a contract of ours ends, "
        f"{rest} from the account's rhythm of past tenders."
    )


def _cards(acct, recs, post, cal) -> None:
    currency = formatting.currency_of(acct.bundle)
    cards: list[tuple] = []
    info = acct.info or {}
    if isinstance(recs, pd.DataFrame):
        cards.append(("Open bids", f"{len(recs):,}"))
        if len(recs):
            cards.append(gain_card(recs, currency=currency))
    elif _num(info.get("n_open_bids")) >= 0:
        cards.append(("Open bids", f"{_num(info.get('n_open_bids')):,.0f}"))
    if isinstance(post, pd.DataFrame) and len(post):
        _n, won, lost, on_price, _other = _loss_counts(post)
        cards.append(("Decided bids won / lost (of which on price)", f"{won:,} / {lost:,} ({on_price:,})"))
    nxt = ""
    if isinstance(cal, pd.DataFrame) and len(cal):
        upcoming = upcoming_tenders(cal, acct.as_of)
        nxt = _month(upcoming.iloc[0]["expected_month"]) if len(upcoming) else ""
        if nxt and _low_confidence(upcoming.iloc[:1]).iloc[0]:
            nxt += " (low confidence)"
    elif _text(info.get("next_tender_month")):
        nxt = _month(info.get("next_tender_month"))
    if nxt:
        cards.append(("Next expected tender", nxt))
    if cards:
        display.kpi_cards(cards)


def account_section(acct) -> None:
    """The bid desk of one account: open bids and what to bid, decided bids, tenders ahead."""
    display.heading(TITLE)
    recs = _table(acct, "bid_recommendations")
    post = _table(acct, "bid_postmortem")
    cal = _table(acct, "tender_calendar")
    _cards(acct, recs, post, cal)
    _open_bids(acct, recs)
    _postmortem(post, model_verdict(acct.portfolio_table("bid_calibration")))
    _tenders(acct, cal)
