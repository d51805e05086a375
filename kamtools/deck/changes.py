""" "Since the last review" slides, from :func:`kamtools.review.since.compare_bundles`.

The internal account deck gets the figures then and now, the churn drivers that moved,
new and resolved risks and the previous plan's actions followed up; the customer deck
only how their purchases moved; the portfolio deck opens with the change digest ranked
by value at stake.
"""

from __future__ import annotations

from kamtools.deck.charts import add_table
from kamtools.deck.slides import Deck
from kamtools.deck.text import literal, missing
from kamtools.formatting import date, day, money, pct

CUSTOMER_MEASURES = {"revenue": "Your purchases, last 12 months"}


def account_slides(changes):
    """``extra(deck, account, audience)`` for :func:`kamtools.deck.build.account_deck`."""

    def extra(deck: Deck, account, audience: str) -> None:
        try:
            ch = changes.for_account(account.account_id)
        except KeyError:
            return
        if audience == "customer":
            _customer(deck, ch, day(ch.previous_as_of))
        else:
            _internal(deck, ch, date(ch.previous_as_of))

    return extra


def _customer(deck: Deck, ch, when: str) -> None:
    slide = deck.slide(f"Since our last review ({when})")
    figures = ch.figures[ch.figures["measure"].isin(list(CUSTOMER_MEASURES))] if not ch.figures.empty else ch.figures
    if ch.status != "both" or figures.empty:
        deck.text(slide, deck.area, ["This is our first review with these figures."], 16)
        return
    rows = [
        (CUSTOMER_MEASURES[f.measure], literal(f.previous_text), literal(f.current_text), literal(f.change_text))
        for f in figures.itertuples()
    ]
    top, bottom = deck.rows(0.3)
    add_table(slide, top, ["", f"At {when}", "Now", "Change"], rows, [3, 1.3, 1.3, 1.3], 14, [False, True, True, True])
    first = figures.iloc[0]
    if not missing(first["previous"]) and not missing(first["current"]) and float(first["previous"]) > 0:
        change = float(first["current"]) - float(first["previous"])
        verb = "grew" if change > 0 else "fell" if change < 0 else "stayed"
        size = (
            f" by {money(abs(change), deck.currency)} ({pct(change / float(first['previous']), signed=True)})"
            if change
            else ""
        )
        deck.text(
            slide,
            bottom,
            [f"Your purchases over the last 12 months {verb}{size} since our review of {when}. Thank you."],
            16,
        )


def _internal(deck: Deck, ch, when: str) -> None:
    slide = deck.slide(f"Since the last review ({when})")
    if ch.status != "both":
        deck.text(slide, deck.area, [literal(s, 300) for s in ch.sentences], 16)
        return
    left, right = deck.split(0.5)
    if not ch.figures.empty:
        rows = [
            (literal(f.label, 60), literal(f.previous_text), literal(f.current_text), literal(f.change_text))
            for f in ch.figures.itertuples()
        ]
        add_table(slide, left, ["", "Then", "Now", "Change"], rows, [2.6, 1.2, 1.2, 1.2], 11, [False, True, True, True])
    parts = []
    notable = [literal(s, 240) for s in getattr(ch, "highlights", [])[:4]]
    if notable:
        parts.append(("Notable", notable))
    if not ch.drivers.empty:
        parts.append(
            (
                "Churn drivers that moved",
                [f"{literal(d.label, 120)} ({literal(d.status)})" for d in ch.drivers.head(4).itertuples()],
            )
        )
    parts.append(("The last plan's actions", [literal(ch.action_summary, 300)]))
    deck.headed(slide, right, parts, 12)
    if ch.risks.empty and ch.actions.empty:
        return
    slide = deck.slide("Risks and actions since the last review")
    top, bottom = deck.rows(0.45)
    if not ch.risks.empty:
        rows = [
            (literal(r.status), literal(r.severity), literal(r.risk, 200), money(r.value_at_stake, deck.currency))
            for r in ch.risks.head(5).itertuples()
        ]
        add_table(
            slide,
            top,
            ["", "Severity", "Risk", "Value at stake"],
            rows,
            [1, 1, 6, 1.4],
            11,
            [False, False, False, True],
        )
    else:
        deck.text(slide, top, ["No new or resolved risks."], 14)
    if not ch.actions.empty:
        rows = [
            (
                literal(a.action, 200),
                date(a.due_date) if "due_date" in ch.actions else "-",
                literal(a.follow_up_text, 80),
            )
            for a in ch.actions.head(6).itertuples()
        ]
        add_table(slide, bottom, ["Action of the last plan", "Due", "Follow-up"], rows, [6, 1.3, 2.6], 11)
    else:
        deck.text(slide, bottom, [literal(ch.action_summary, 300)], 14)


def portfolio_slides(changes):
    """``extra(deck, bundle)`` for :func:`kamtools.deck.portfolio.portfolio_deck`: the change digest."""

    def extra(deck: Deck, bundle) -> None:
        when = date(changes.previous_as_of)
        slide = deck.slide(f"Since the last review ({when}): what changed")
        digest = changes.digest
        if digest.empty:
            deck.text(slide, deck.area, ["No account changed band or tier, no new high risks, no large revisions."], 16)
            return
        top = digest.sort_values("rank").head(10)
        rows = [
            (literal(d.name, 50), literal(d.kind, 30), literal(d.sentence, 220), money(d.value_at_stake, deck.currency))
            for d in top.itertuples()
        ]
        add_table(
            slide,
            deck.area,
            ["Account", "Change", "What", "Value at stake"],
            rows,
            [2, 1.5, 6, 1.3],
            10,
            [False, False, False, True],
        )
        if changes.notes:
            deck.notes(slide, [literal(n, 600) for n in changes.notes])

    return extra


__all__ = ["account_slides", "portfolio_slides"]
