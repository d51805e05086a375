"""Writing decks into a reports folder, beside the HTML reports.

``OUT_DIR/accounts/<stem>-internal.pptx`` or ``<stem>-customer.pptx`` per account (the
stem is :func:`kamtools.reports.state.report_stem`: safe characters and a hash of the
exact id, so no id can leave the folder) and, for the internal audience only,
``OUT_DIR/portfolio_review.pptx`` (the management review is not written by a customer run). The
folder follows the rules of :mod:`kamtools.outputs` (only a new, empty or kamtools
folder is written to) and every file is written atomically. Decks take a fraction of a
second each, so they are rebuilt on every run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kamtools.bundle import Bundle, requested_accounts
from kamtools.deck.audience import check_audience
from kamtools.deck.template import read_template
from kamtools.outputs import OutputError, claim_output_dir, is_disk_error, write_atomic, write_failure
from kamtools.reports.state import ACCOUNTS_DIR, PORTFOLIO_DECK, deck_href


def deck_path(out_dir: str | os.PathLike, account_id: str, audience: str = "internal") -> Path:
    """Where the deck of ``account_id`` for ``audience`` goes inside ``out_dir``."""
    return Path(out_dir) / deck_href(account_id, check_audience(audience))


def portfolio_deck_path(out_dir: str | os.PathLike) -> Path:
    return Path(out_dir) / PORTFOLIO_DECK


@dataclass
class DeckSummary:
    """What a :func:`write_decks` run wrote."""

    out_dir: Path
    audience: str
    written: dict[str, Path] = field(default_factory=dict)  # account id -> deck
    failed: dict[str, str] = field(default_factory=dict)  # account id -> error
    portfolio: Path | None = None
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def write_decks(
    bundle: Bundle | str | os.PathLike,
    out_dir: str | os.PathLike,
    accounts: Iterable[str] | None = None,
    audience: str = "internal",
    template: str | os.PathLike | None = None,
    portfolio: bool = True,
    progress: bool = True,
    account_extra: Callable | None = None,
    portfolio_extra: Callable | None = None,
    since: str | os.PathLike | None = None,
    tasks: str | os.PathLike | None = None,
    tasks_mapping: str | os.PathLike | None = None,
) -> DeckSummary:
    """Write a deck per account (and the portfolio deck) into ``out_dir``.

    ``template``: the company's .pptx (default: kamtools'); a bad one raises
    :class:`kamtools.deck.template.TemplateError` before anything is written. An account
    whose deck fails is recorded in ``failed`` and the others are still written; a full
    disk or read-only folder stops the run with :class:`kamtools.outputs.OutputError`.
    ``account_extra(deck, account, audience)`` and ``portfolio_extra(deck, bundle)`` add
    slides; ``since`` (the previous bundle, only read), with ``tasks`` and ``tasks_mapping``
    (a CRM task export) adds the "since the last review" slides of
    :mod:`kamtools.deck.changes` (a bad one raises :class:`kamtools.review.since.SinceError`
    before anything is written) and keeps the changes for ``kamtools deliver``
    (:func:`kamtools.review.since_pages.write_record`).
    """
    from kamtools.extras import require

    t0 = time.perf_counter()
    require("decks")
    audience = check_audience(audience)
    tpl = read_template(template)
    if not isinstance(bundle, Bundle):
        bundle = Bundle.open(bundle)
    changes = None
    if since is not None:
        from kamtools.deck.changes import account_slides, portfolio_slides
        from kamtools.review.since_pages import check_out_dir, prepare_since

        check_out_dir(out_dir, since, bundle)
        changes = prepare_since(bundle, since, tasks, tasks_mapping)[0]
        account_extra = account_extra or account_slides(changes)
        portfolio_extra = portfolio_extra or portfolio_slides(changes)
    out = claim_output_dir(out_dir, "reports", flag="--out", reading=bundle.path).resolve()
    try:
        (out / ACCOUNTS_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(write_failure(out / ACCOUNTS_DIR, exc)) from exc
    known = bundle.account_ids()
    wanted = requested_accounts(accounts, known) if accounts is not None else [str(a) for a in known]
    summary = DeckSummary(out, audience)
    _write_account_decks(summary, bundle, wanted, set(map(str, known)), tpl, account_extra, progress)
    # the portfolio deck is the internal management review (risks, tiers): never in a customer run's folder
    if portfolio and audience == "internal":
        _write_portfolio_deck(summary, bundle, tpl, portfolio_extra)
    if changes is not None:  # what `kamtools deliver` gives each KAM of their accounts' changes
        from kamtools.review.since_pages import write_record

        try:
            write_record(changes, bundle, out)
        except OSError as exc:
            raise OutputError(write_failure(out / ".kamtools-state", exc)) from exc
    summary.seconds = round(time.perf_counter() - t0, 3)
    return summary


def _save(path: Path, data: bytes) -> None:
    """Write one deck atomically; a full disk or read-only folder stops the run (OutputError)."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        if is_disk_error(exc):
            raise OutputError(f"{write_failure(path, exc)}; the decks written before are kept") from exc
        raise


def _write_account_decks(
    summary: DeckSummary,
    bundle: Bundle,
    wanted: list[str],
    known: set[str],
    tpl,
    account_extra: Callable | None,
    progress: bool,
) -> None:
    """Write the deck of every wanted account into ``summary.out_dir``; one account's failure is
    recorded in ``summary.failed`` and does not stop the others."""
    from tqdm.auto import tqdm

    from kamtools.deck.build import account_deck
    from kamtools.deck.source import BundleRows

    rows = BundleRows(bundle)
    for account_id in tqdm(wanted, desc="decks", unit="deck", disable=not progress):
        if account_id not in known:
            summary.failed[account_id] = "account id not in the bundle"
            continue
        path = deck_path(summary.out_dir, account_id, summary.audience)
        try:
            data = account_deck(rows.account(account_id), tpl, summary.audience, extra=account_extra)
            _save(path, data)
        except OutputError:
            raise
        except Exception as exc:  # one account's bad data must not stop the others
            summary.failed[account_id] = f"{type(exc).__name__}: {exc}"[:500]
            continue
        summary.written[account_id] = path


def _write_portfolio_deck(summary: DeckSummary, bundle: Bundle, tpl, portfolio_extra: Callable | None) -> None:
    """Write the portfolio deck (a failure is recorded in ``summary.failed``)."""
    from kamtools.deck.portfolio import portfolio_deck

    path = portfolio_deck_path(summary.out_dir)
    try:
        _save(path, portfolio_deck(bundle, tpl, extra=portfolio_extra))
        summary.portfolio = path
    except OutputError:
        raise
    except Exception as exc:
        summary.failed["(portfolio deck)"] = f"{type(exc).__name__}: {exc}"[:500]


__all__ = ["DeckSummary", "PORTFOLIO_DECK", "deck_path", "portfolio_deck_path", "write_decks"]
