""" "Since the last review" slides, from :func:`kamtools.review.since.compare_bundles`.

The internal account deck gets the figures then and now, the churn drivers that moved,
new and resolved risks and the previous plan's actions followed up; the customer deck
only how their purchases moved; the portfolio deck opens with the change digest ranked
by value at stake.
"""

from __future__ import annotations

from kamtools.deck.charts import add_table
from kamtools.deck.slides import Deck
from kamtools.deck.text import literal, missing, wording
from kamtools.formatting import date, day, money, pct
from kamtools.review.since_pages import DIGEST_PAGE

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
        (CUSTOMER_MEASURES[f.measure], literal(f.previous_text), literal(f.current_text), wording(f.change_text))
        for f in figures.itertuples()
    ]
    top, bottom = deck.rows(0.3)
    add_table(slide, top, ["", f"At {when}", "Now", "Change"], rows, [3, 1.3, 1.3, 1.3], 14, [False, True, True, True])
    first = figures.iloc[0]
    if not missing(first["previous"]) and not missing(first["current"]) and float(first["previous"]) > 0:
        deck.text(
            slide, bottom, [purchases_sentence(float(first["previous"]), float(first["current"]), when, deck)], 16
        )


ABOUT_UNCHANGED = 0.01  # a relative change below 1% is said to be about unchanged


def purchases_sentence(previous: float, current: float, when: str, deck: Deck) -> str:
    """How the customer's last-12-month purchases moved since the review of ``when``, in money with the
    bundle's currency; thanks only for growth, and a change under 1% is about unchanged."""
    change = current - previous
    share = change / previous
    now = money(current, deck.currency)
    if abs(share) < ABOUT_UNCHANGED:
        return f"Your purchases over the last 12 months are about unchanged since our review of {when} ({now})."
    verb = "grew" if change > 0 else "fell"
    sentence = (
        f"Your purchases over the last 12 months {verb} by {money(abs(change), deck.currency)} "
        f"({pct(share, signed=True)}) since our review of {when}, to {now}."
    )
    return sentence + (" Thank you for your trust." if change > 0 else "")


def _internal(deck: Deck, ch, when: str) -> None:
    slide = deck.slide(f"Since the last review ({when})")
    if ch.status != "both":
        deck.text(slide, deck.area, [literal(s, 300) for s in ch.sentences], 16)
        return
    left, right = deck.split(0.5)
    if not ch.figures.empty:
        rows = [
            (literal(f.label, 60), literal(f.previous_text), literal(f.current_text), wording(f.change_text))
            for f in ch.figures.itertuples()
        ]
        add_table(slide, left, ["", "Then", "Now", "Change"], rows, [2.6, 1.2, 1.2, 1.2], 11, [False, True, True, True])
    parts = []
    notable = [wording(s, 240) for s in getattr(ch, "highlights", [])[:4]]
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
            (literal(r.status), literal(r.severity), wording(r.risk, 200), money(r.value_at_stake, deck.currency))
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
                wording(a.action, 200),
                date(a.due_date) if "due_date" in ch.actions else "-",
                literal(a.follow_up_text, 80),
            )
            for a in ch.actions.head(6).itertuples()
        ]
        add_table(slide, bottom, ["Action of the last plan", "Due", "Follow-up"], rows, [6, 1.3, 2.6], 11)
    else:
        deck.text(slide, bottom, [literal(ch.action_summary, 300)], 14)


DIGEST_ROWS = 10  # digest rows per slide
DIGEST_SLIDES = 4  # at most this many digest slides; the rest is counted and left to since.html
_ADVERSE = ("band worsened", "new high risk", "target slipping", "forecast cut", "account gone")


def _adverse(kind: str, sentence: str) -> int:
    """The adverse group of a digest row (0 band worsened, 1 new high risk, 2 target slipping, 3 forecast cut,
    4 account gone), or len(_ADVERSE) for the others (improvements, raises, tier moves, new accounts)."""
    if kind == "churn band":
        return 0 if sentence.startswith("Churn risk up") else len(_ADVERSE)
    if kind == "forecast revision":
        return 3 if "forecast cut" in sentence else len(_ADVERSE)
    if kind == "new high risk":
        return 1
    if kind == "target slipping":
        return 2
    if kind == "account gone":
        return 4
    return len(_ADVERSE)


def digest_order(digest):
    """The digest with the adverse changes first (band worsened, new high risks, targets slipping, forecast
    cuts, accounts gone), each group by its rank (value at stake), then the rest by rank."""
    group = [_adverse(str(k), str(t)) for k, t in zip(digest["kind"], digest["sentence"], strict=True)]
    return digest.assign(_group=group).sort_values(["_group", "rank"], kind="stable").drop(columns="_group")


def portfolio_slides(changes):
    """``extra(deck, bundle)`` for :func:`kamtools.deck.portfolio.portfolio_deck`: the change digest, adverse
    changes first, :data:`DIGEST_ROWS` a slide over at most :data:`DIGEST_SLIDES` slides."""

    def extra(deck: Deck, bundle) -> None:
        when = date(changes.previous_as_of)
        title = f"Since the last review ({when}): what changed"
        digest = changes.digest
        if digest.empty:
            slide = deck.slide(title)
            deck.text(slide, deck.area, ["No account changed band or tier, no new high risks, no large revisions."], 16)
            return
        ordered = digest_order(digest)
        n_adverse = sum(_adverse(str(k), str(t)) < len(_ADVERSE) for k, t in zip(digest["kind"], digest["sentence"]))
        shown = ordered.head(DIGEST_ROWS * DIGEST_SLIDES)
        pages = [shown.iloc[i : i + DIGEST_ROWS] for i in range(0, len(shown), DIGEST_ROWS)]
        left = len(ordered) - len(shown)
        for i, page in enumerate(pages):
            slide = deck.slide(title if i == 0 else f"{title} ({i + 1} of {len(pages)})")
            rows = [
                (
                    literal(d.name, 50),
                    literal(d.kind, 30),
                    wording(d.sentence, 220),
                    money(d.value_at_stake, deck.currency),
                )
                for d in page.itertuples()
            ]
            head = (
                [
                    f"{len(digest):,} changes, {n_adverse:,} of them adverse (shown first: churn band worsened, new high "
                    "risks, targets slipping, forecast cuts, accounts gone), then the rest by value at stake."
                ]
                if i == 0
                else []
            )
            foot = [f"And {left} more: see {DIGEST_PAGE}."] if i == len(pages) - 1 and left else []
            x, y, width, height = deck.area
            head_h = int(height * 0.1) if head else 0
            foot_h = int(height * 0.08) if foot else 0
            if head:
                deck.text(slide, (x, y, width, head_h), head, 12)
            if foot:
                deck.text(slide, (x, y + height - foot_h, width, foot_h), foot, 12)
            box = (x, y + head_h, width, height - head_h - foot_h)
            add_table(
                slide,
                box,
                ["Account", "Change", "What", "Value at stake"],
                rows,
                [2, 1.5, 6, 1.3],
                10,
                [False, False, False, True],
            )
            if i == 0 and changes.notes:
                deck.notes(slide, [literal(n, 600) for n in changes.notes])

    return extra


__all__ = ["account_slides", "portfolio_slides"]
