"""Report sections: the registry and the order in which reports show them.

Each analysis topic has a module ``kamtools/sections/<key>.py`` with::

    def account_section(acct: AccountView) -> None   # one account's section
    def portfolio_section(bundle: Bundle) -> None    # the management overview's section

A section function renders its own level-2 heading and draws only with the
:mod:`kamtools.display` helpers (which escape every string) and the chart functions of
:mod:`kamtools.plotting`; it reads bundle tables and never refits a model.

The report notebooks stay thin: each cell calls :func:`account` or :func:`portfolio`
with a section key. Those wrappers guarantee that the report always shows every
section of :data:`ACCOUNT_SECTIONS` / :data:`PORTFOLIO_SECTIONS`:

* a section whose module is not part of this kamtools version, or whose analysis was
  skipped when the bundle was written, shows its heading and a sentence saying why
  (the bundle's recorded reason);
* every section starts with an invisible anchor ``id="sec-<key>"`` (the report's table
  of contents links to it, and tests find sections by it);
* a section that raises shows its heading and a short error sentence instead of
  breaking the whole report; the error is also attached to the output's metadata
  (``kamtools.section_error``) so that ``kamtools reports`` can list the account as
  ``partial`` in its index and run log. Set :data:`STRICT` to True to let the exception
  propagate instead (the tests do; useful while developing a section).
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass

import pandas as pd

from kamtools import display, formatting
from kamtools.credit_only import credit_only, no_orders_phrase, since_is_a_credit_note

__all__ = [
    "Section",
    "ACCOUNT_SECTIONS",
    "PORTFOLIO_SECTIONS",
    "SECTION_ERROR_KEY",
    "account",
    "portfolio",
    "open_account",
    "open_bundle",
    "account_header",
    "shown_account_sections",
    "APPENDIX_TITLE",
    "portfolio_header",
    "preload",
    "history_sentence",
    "no_cost_booked",
    "show_notes",
    "STRICT",
]

SECTION_ERROR_KEY = "kamtools.section_error"

STRICT = False
"""True: a section that raises lets its exception propagate instead of showing an error line (a switch for
tests and for developing a section, e.g. ``monkeypatch.setattr(kamtools.sections, "STRICT", True)``;
reports always leave it False)."""


@dataclass(frozen=True)
class Section:
    """One report section.

    key : module name under ``kamtools.sections``.
    title : heading shown when the section cannot draw itself.
    stage : the bundle stage (see :data:`kamtools.stages.STAGES`) whose tables it reads,
        or None for sections that need only ``accounts.parquet``.
    """

    key: str
    title: str
    stage: str | None


APPENDIX_TITLE = "Appendix: how sure are these numbers"

# The account strategy report, in reading order: page one (who the account is, the numbers that
# matter, the first actions, what changed), the evidence section by section (performance ->
# position -> risks -> growth -> operations -> plan), and the model diagnostics in an appendix.
ACCOUNT_SECTIONS: tuple[Section, ...] = (
    Section("summary", "Summary", None),
    Section("since", "Since the last review", None),
    Section("forecast", "Revenue history and forecast", "forecast"),
    Section("segment", "Segment and portfolio position", "segment"),
    Section("value", "Expected future value", "value"),
    Section("churn", "Churn risk and its drivers", "churn"),
    Section("competitors", "Competitor position", "competitors"),
    Section("bids", "Bids and tenders", "bids"),
    Section("whitespace", "Whitespace, recommendations and trade lanes", "whitespace"),
    Section("kpis", "Pipeline, receivables, complaints and relationships", "kpis"),
    Section("relationships", "Relationship map and coverage", "relationships"),
    Section("plan", "Account plan: objectives, risks and actions", "plan"),
    Section("appendix", APPENDIX_TITLE, None),
)

# The management overview, in reading order; its model diagnostics in an appendix too.
PORTFOLIO_SECTIONS: tuple[Section, ...] = (
    Section("summary", "Portfolio at a glance", None),
    Section("since", "Since the last review", None),
    Section("segment", "Portfolio matrix and tiers", "segment"),
    Section("value", "Expected future value", "value"),
    Section("churn", "Risks ranked by revenue at risk", "churn"),
    Section("forecast", "Forecast against target", "forecast"),
    Section("competitors", "Competitors", "competitors"),
    Section("bids", "Bid desk", "bids"),
    Section("whitespace", "Top whitespace", "whitespace"),
    Section("kpis", "Pipeline, receivables, complaints and relationships", "kpis"),
    Section("plan", "Account plans", "plan"),
    Section("appendix", APPENDIX_TITLE, None),
)

_ACCOUNT_BY_KEY = {s.key: s for s in ACCOUNT_SECTIONS}
_PORTFOLIO_BY_KEY = {s.key: s for s in PORTFOLIO_SECTIONS}


def account_names(accounts) -> dict[str, str]:
    """``account_id -> name`` from an accounts table (empty when it is missing or has no names)."""
    if isinstance(accounts, pd.DataFrame) and {"account_id", "name"} <= set(accounts.columns):
        return dict(zip(accounts["account_id"], accounts["name"].astype(str)))
    return {}


def no_cost_booked(bundle) -> bool:
    """The portfolio's orders of the last 12 months carry no cost (its gross margin is 100%): every margin
    the faces could show equals revenue (CDNOW's order log has no costs). Read from ``kpis_portfolio``,
    else from the accounts' margin and revenue."""
    table = getattr(bundle, "table", None)
    tot = table("kpis_portfolio") if callable(table) else None
    if isinstance(tot, pd.DataFrame) and len(tot) and "margin_pct" in tot.columns:
        return formatting.no_cost(tot["margin_pct"].iloc[0])
    acc = getattr(bundle, "accounts", None)
    if isinstance(acc, pd.DataFrame) and {"margin_ltm", "revenue_ltm"} <= set(acc.columns):
        revenue = float(pd.to_numeric(acc["revenue_ltm"], errors="coerce").sum())
        margin = float(pd.to_numeric(acc["margin_ltm"], errors="coerce").sum())
        return revenue > 0 and formatting.no_cost(margin / revenue)
    return False


def history_sentence(bundle) -> str | None:
    """One sentence on a short order history (under two years), from the bundle's manifest;
    None when the history is long enough for every comparison or the bundle does not record it."""
    history = bundle.manifest.get("history") or {}
    months = history.get("months")
    if months is None or months >= 24 or not history.get("description"):
        return None
    if months < 12:
        span = "figures for the last 12 months cover only that span, and"
    else:
        span = ""
    return (
        f"This portfolio has {history['description']}: {span} comparisons with earlier periods are left out where "
        "the history does not reach back, and each section says which."
    ).replace(":  ", ": ")


def last_12_months_label(bundle, label: str = "Revenue, last 12 months") -> str:
    """``label`` with the span it really covers where the order history is shorter than 12 months, for the decks'
    glance tables, which carry no history sentence: the grocery panel's H0973 read 'Revenue, last 12 months 4.6k'
    beside a 9.0k forecast, its 4.6k being 6 months of orders."""
    history = getattr(bundle, "manifest", {}).get("history") or {}
    months = history.get("months")
    if months is None or months >= 12:
        return label
    return f"{label} ({'the only month' if months == 1 else f'all {months} months'} of order history)"


def show_notes(bundle, *names: str) -> None:
    """Show the bundle's notes (what an analysis could do only in part, and why) for ``names``."""
    seen = set()
    for name in names:
        note = bundle.note(name) if hasattr(bundle, "note") else None
        if note and note not in seen:
            seen.add(note)
            display.paragraph(note)


def _module(key: str):
    """The section module, or None when it is not part of this kamtools version."""
    name = f"kamtools.sections.{key}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def _missing_reason(section: Section, bundle) -> str:
    """Why a section whose module is missing cannot be shown."""
    if section.stage is not None and section.stage in bundle.manifest.get("skipped", {}):
        return str(bundle.reason(section.stage))
    return f"The {section.title.lower()} section is not part of this kamtools version."


def _section_failed(section: Section, exc: BaseException) -> str:
    """Show a short error sentence and attach the details to the output's metadata."""
    message = f"{type(exc).__name__}: {exc}"
    markup = (
        f'<h2 class="kam-h2">{display.esc(section.title)}</h2>'
        f'<p class="kam-na kam-error">This section could not be drawn: {display.esc(message[:300])}</p>'
    )
    details = {"section": section.key, "error": message[:2000], "traceback": traceback.format_exc()[-4000:]}
    try:
        from IPython import get_ipython
        from IPython.display import HTML
        from IPython.display import display as ipy_display

        if get_ipython() is not None:
            ipy_display(HTML(markup), metadata={SECTION_ERROR_KEY: details})
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass
    return markup


def _shown(section: Section, target) -> bool:
    """Whether a report shows ``section``: "Since the last review" only when the report was given
    an earlier bundle (``target.since``); every other section always (a skipped analysis says why)."""
    if section.key == "since":
        return bool(getattr(target, "since", ""))
    return True


def shown_account_sections(since: str = "") -> tuple[Section, ...]:
    """The sections an account report shows (and its contents lists), in order."""

    class _Target:
        pass

    target = _Target()
    target.since = since
    return tuple(s for s in ACCOUNT_SECTIONS if _shown(s, target))


def _render(section_key: str, fn_name: str, target, bundle) -> None:
    registry = _ACCOUNT_BY_KEY if fn_name == "account_section" else _PORTFOLIO_BY_KEY
    section = registry.get(section_key)
    if section is None:
        raise KeyError(f"unknown report section {section_key!r}; known: {sorted(registry)}")
    if fn_name == "account_section" and not _shown(section, target):
        return
    display.anchor(section.key)
    module = _module(section.key)
    fn = getattr(module, fn_name, None) if module is not None else None
    if fn is None:
        display.heading(section.title)
        display.not_available(_missing_reason(section, bundle))
        return
    try:
        fn(target)
    except Exception as exc:
        if STRICT:
            raise
        _section_failed(section, exc)


def account(section_key: str, acct) -> None:
    """Render one section of an account report (see the module docstring)."""
    _render(section_key, "account_section", acct, acct.bundle)


def portfolio(section_key: str, bundle) -> None:
    """Render one section of the portfolio overview (see the module docstring)."""
    _render(section_key, "portfolio_section", bundle, bundle)


def open_bundle(path: str):
    """Open the bundle at ``path`` (a report's ``bundle`` parameter)."""
    from kamtools.bundle import Bundle

    return Bundle.open(path)


def open_account(path: str, account_id: str):
    """One account's view of the bundle at ``path``; KeyError for an unknown account."""
    return open_bundle(path).account(account_id)


def _setup_page() -> None:
    from kamtools.plotting.style import apply_style

    apply_style()
    display.style()


def _known(value: object) -> bool:
    return value is not None and value is not pd.NaT and str(value) not in ("", "nan", "None", "NaT", "<NA>")


def account_header(acct, since: str = "") -> None:
    """Stylesheet, the account name as the report title, who the account is (id, KAM, industry,
    country or region, customer since, the data's date) and the contents: the sections the
    report shows (``since``: the earlier bundle the report compares with, if any)."""
    _setup_page()
    info = acct.info
    bits = [f"Account {acct.account_id}"]
    for key, label in (("owner", "KAM"), ("industry", None), ("country", None)):
        if _known(info.get(key)):
            bits.append(f"{label}: {info[key]}" if label else str(info[key]))
    if not _known(info.get("country")) and _known(info.get("region")):
        bits.append(f"{info['region']} region")
    first = info.get("customer_since") if _known(info.get("customer_since")) else info.get("first_order_date")
    if _known(first) and not since_is_a_credit_note(info):
        bits.append(f"customer since {pd.Timestamp(first).year}")
    if credit_only(info):
        bits.append(no_orders_phrase(info))
    bits.append(f"data as of {acct.as_of.date()}")
    display.title(str(info.get("name") or acct.account_id), " · ".join(bits))
    display.contents((s.key, s.title) for s in shown_account_sections(since))


def portfolio_header(bundle) -> None:
    """Stylesheet, the overview title and its context line. Its count of accounts is the customers', as on the
    overview's cards and the index page (:func:`kamtools.groups.customers.customers`): the 12-month demo's header read
    '42 accounts' beside a card of 40, counting the 2 group parents without orders of their own."""
    from kamtools.groups.customers import customers

    _setup_page()
    m = bundle.manifest
    accounts = bundle.accounts
    n = len(customers(accounts)) if isinstance(accounts, pd.DataFrame) else m.get("n_accounts", 0)
    display.title(
        "Portfolio overview",
        f"{formatting.counted(n, 'account')} · data as of {m['as_of']} · kamtools {m.get('kamtools_version', '')}",
    )
    display.contents((s.key, s.title) for s in PORTFOLIO_SECTIONS)


def preload() -> None:
    """Import every section module that exists (warm report kernels call this once)."""
    for section in ACCOUNT_SECTIONS + PORTFOLIO_SECTIONS:
        _module(section.key)
