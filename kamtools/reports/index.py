"""``OUT_DIR/index.html``: every account with its KAM, tier, health, churn risk, revenue and its report.

The page is static HTML plus one small inline script that sorts the table when a
column heading is clicked and filters it by KAM, tier and risk band. The totals of every
filter combination are worked out here (with :func:`kamtools.formatting.money`, the one
money format of every face) and carried as data, so the script only shows them. The page is
the template ``templates/index.html`` rendered by :mod:`kamtools.templating` (Jinja2 with
autoescape): this module gathers what it shows, as plain values, and every data value is
HTML-escaped (text and attributes). The page's Content-Security-Policy allows exactly its one
script (by its SHA-256), so even a value that slipped past escaping could not run code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import pandas as pd

from kamtools import templating
from kamtools.churn.bands import HIGH_RISK_P, MEDIUM_RISK_P, is_score, score_text
from kamtools.formatting import code, count, currency_of, money, pct_banded
from kamtools.groups.customers import not_counted_sentence, parents_without_orders
from kamtools.reports.render import atomic_write
from kamtools.reports.state import (
    PORTFOLIO_DECK,
    account_paths,
    deck_href,
    group_paths,
    overview_paths,
    read_state,
)

INDEX_COLUMNS = [
    "account_id",
    "name",
    "owner",
    "tier",
    "health",
    "health_band",
    "churn",
    "risk_band",
    "revenue",
    "forecast",
    "revenue_at_risk",
    "status",
    "error",
    "href",
    "pdf_href",
    "deck_href",
    "customer_deck_href",
    "group_id",
    "group_name",
    "is_group",
    "customer",
]
REPORT_COLUMNS = ("status", "error", "href", "pdf_href", "deck_href", "customer_deck_href")
DECK_COLUMNS = (("deck_href", "internal"), ("customer_deck_href", "customer"))


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """The summary column ``name`` (see kamtools.stages), empty when its stage did not run."""
    if name in df.columns:
        return df[name]
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def index_rows(
    bundle, out_dir: str | os.PathLike, failed: dict[str, dict] | None = None, since_fresh: dict | None = None
) -> pd.DataFrame:
    """One row per bundle account: the index columns plus the report status and link.

    Columns: ``account_id, name, owner (the KAM), tier, health (0-100 score), health_band,
    churn (probability 0-1), risk_band, revenue (last 12 months), forecast (next 12
    months), revenue_at_risk, status (ok, partial, failed, outdated, not rendered), error,
    href, pdf_href, deck_href, customer_deck_href`` (links relative to ``out_dir``; None
    when there is no such file), ``group_id, group_name`` (the top-most parent of an account
    that belongs to a group, the account itself for a parent at the top; None for a
    stand-alone account), ``is_group`` (a parent of other accounts) and ``customer`` (False for a group
    parent without orders of its own: :func:`kamtools.groups.customers.parents_without_orders`; the
    page's counts and totals leave it out, as the portfolio overview does).

    ``failed`` maps account ids to this run's failed results (``{"error": ...}``): they
    are shown as failed with that error, whatever the report's record on disk says (a
    report whose record could not be written has none). ``since_fresh``: the ``--since``
    values of this run (see :func:`kamtools.review.since.since_freshness`), part of what makes
    a report up to date.
    """
    acc = bundle.accounts
    df = pd.DataFrame(
        {
            "account_id": acc["account_id"].astype(str),
            "name": acc["name"].astype(str),
            "owner": _col(acc, "owner"),
            "tier": _col(acc, "tier"),
            "health": _col(acc, "health_score"),
            "health_band": _col(acc, "health_band"),
            "churn": _col(acc, "churn_probability"),
            "risk_band": _col(acc, "risk_band"),
            "revenue": _col(acc, "revenue_ltm"),
            "forecast": _col(acc, "forecast_next_12m"),
            "revenue_at_risk": _col(acc, "revenue_at_risk"),
        }
    )
    links = _report_links(bundle, Path(out_dir), df["account_id"], failed or {}, since_fresh)
    for column, values in links.items():
        df[column] = pd.Series(values, index=df.index, dtype=object)
    top = _top_groups(acc)
    names = dict(zip(df["account_id"], df["name"], strict=True))
    df["group_id"] = pd.Series([top.get(a) for a in df["account_id"]], index=df.index, dtype=object)
    df["group_name"] = pd.Series([names.get(g) if g else None for g in df["group_id"]], index=df.index, dtype=object)
    df["is_group"] = df["account_id"].isin(_parents(acc))
    df["customer"] = ~parents_without_orders(acc).to_numpy()
    return df[INDEX_COLUMNS]


def _report_links(bundle, out_dir: Path, ids: pd.Series, failed: dict, since_fresh: dict | None) -> dict[str, list]:
    """The report columns of :func:`index_rows` (``REPORT_COLUMNS``), one value per account id."""
    columns: dict[str, list] = {c: [] for c in REPORT_COLUMNS}
    fresh_cache: dict[str, dict] = {}
    for account_id in ids:
        paths = account_paths(out_dir, account_id)
        status, error, href = _report_state(bundle, paths, fresh_cache, since_fresh)
        if account_id in failed:
            status, error, href = "failed", failed[account_id].get("error") or "the report failed", None
        columns["status"].append(status)
        columns["error"].append(error)
        columns["href"].append(href)
        columns["pdf_href"].append(href[:-5] + ".pdf" if href and paths.pdf.is_file() else None)
        for column, audience in DECK_COLUMNS:
            deck = deck_href(account_id, audience)
            columns[column].append(deck if (out_dir / deck).is_file() else None)
    return columns


def _report_state(bundle, paths, fresh_cache: dict, since_fresh: dict | None) -> tuple[str, str | None, str | None]:
    """(status, error, link) of one account's report from its record on disk and its file."""
    from kamtools.reports.state import freshness  # local: avoids a cycle at import time

    state = read_state(paths.state)
    if state is None:
        return "not rendered", None, None
    status, error = state.get("status", "failed"), state.get("error")
    if status not in ("ok", "partial"):
        return status, error, None
    if not paths.html.is_file():
        return "not rendered", error, None
    nb = state.get("notebook")
    if nb is not None:
        fresh = fresh_cache.setdefault(nb, freshness(bundle, nb) if os.path.exists(nb) else {})
        if since_fresh and fresh:
            fresh = {**fresh, "since": since_fresh}
        if state.get("freshness") != fresh:
            status = "outdated"
    return status, error, paths.href


def _parents(accounts: pd.DataFrame) -> set[str]:
    from kamtools.sections.group import group_ids

    return set(group_ids(accounts))


def _top_groups(accounts: pd.DataFrame) -> dict[str, str]:
    """account id -> its top-most parent, for every account in a group (a top parent maps to itself)."""
    from kamtools.sections.group import group_ids, hierarchy_of

    if not group_ids(accounts):
        return {}
    hier = hierarchy_of(accounts)
    in_group = hier[(hier["depth"] > 0) | hier["is_group"]]
    return dict(zip(in_group["account_id"].astype(str), in_group["group_id"].astype(str), strict=True))


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


RISK_ORDER = ("high", "medium", "low", "lapsed")  # the churn stage's bands, most urgent first
NO_KAM = "no KAM on file"
NO_TIER = "no tier"
NOT_SCORED = "not scored"
STAND_ALONE = "stand-alone accounts"


@dataclass
class _Layout:
    """What the page shows of a bundle: its optional columns, filter values and explanations."""

    kam: bool
    tier: bool
    health: bool
    churn: bool
    forecast: bool
    currency: str | None
    groups: bool = False  # the bundle has global accounts (parents with units)
    churn_score: bool = False  # every churn figure shown is a score, not a probability (the unchecked fallback)
    scored: frozenset[str] = frozenset()  # accounts whose churn figure is a score (a lapsed one's may be a rate)
    notes: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)  # filter -> option labels (index = value)
    keys: dict[str, pd.Series] = field(default_factory=dict)  # filter -> each row's option index as text


def _tier_label(tier: object) -> str:
    """'Tier 1' (a tier column with gaps holds 1.0: :func:`kamtools.formatting.code`), or NO_TIER."""
    return NO_TIER if _is_missing(tier) else f"Tier {code(tier)}"


STAGE_WORDS = {"kpis": "KPI and health", "segment": "segmentation"}  # stage names in a reader's words


def _absent(bundle, label: str, sources: tuple[str, ...]) -> str:
    """The sentence shown instead of a column whose analysis is not in the bundle."""
    skipped = bundle.manifest.get("skipped", {})
    reason = next((str(skipped[t]) for t in sources if t in skipped), None)
    if reason is None:
        words = STAGE_WORDS.get(sources[-1], sources[-1])
        reason = f"the {words} analysis was not run for this bundle (kamtools analyze runs it)."
    return f"{label} not shown: {reason}"


def _layout(bundle, rows: pd.DataFrame) -> _Layout:
    """The page's columns, the notes that explain the missing ones, and the filters' options."""
    have = set(bundle.accounts.columns)
    lay = _Layout(
        kam="owner" in have,
        tier="tier" in have,
        health="health_score" in have or "health_band" in have,
        churn="churn_probability" in have or "risk_band" in have,
        forecast="forecast_next_12m" in have,
        currency=currency_of(bundle),
        groups="group_id" in rows.columns and rows["group_id"].notna().any(),
    )
    if lay.churn:
        lay.scored = _scored_accounts(bundle)
        valued = set(rows.loc[~rows["churn"].map(_is_missing), "account_id"].astype(str))
        lay.churn_score = bool(valued) and valued <= lay.scored  # every figure shown is a score
    lay.notes = _notes(bundle, rows, lay)
    if lay.kam:
        owner = rows["owner"].map(lambda o: NO_KAM if _is_missing(o) or not str(o).strip() else str(o))
        labels = sorted(set(owner) - {NO_KAM}, key=str.lower) + ([NO_KAM] if (owner == NO_KAM).any() else [])
        _add_filter(lay, "kam", labels, owner)
    if lay.tier:
        tier = rows["tier"].map(_tier_label)
        tiers = [t for t in rows["tier"].dropna().unique()]
        labels = [_tier_label(t) for t in sorted(tiers, key=lambda t: (str(type(t)), t))]
        labels = list(dict.fromkeys(labels)) + ([NO_TIER] if (tier == NO_TIER).any() else [])
        _add_filter(lay, "tier", labels, tier)
    if lay.churn:
        band = rows["risk_band"].map(lambda b: NOT_SCORED if _is_missing(b) or not str(b).strip() else str(b))
        found = set(band)
        labels = [b for b in RISK_ORDER if b in found]
        labels += sorted(found - set(RISK_ORDER) - {NOT_SCORED}) + ([NOT_SCORED] if NOT_SCORED in found else [])
        _add_filter(lay, "band", labels, band)
    if lay.groups:
        _add_group_filter(lay, rows)
    return lay


def _scored_accounts(bundle) -> frozenset[str]:
    """Ids of the accounts whose churn figure is a score, not a probability (the churn stage's unchecked
    fallback, named in the churn table's ``method``); none when the bundle has no churn table to read."""
    churn = bundle.table("churn") if hasattr(bundle, "table") else None
    if not isinstance(churn, pd.DataFrame) or churn.empty or "method" not in churn.columns:
        return frozenset()
    return frozenset(churn.loc[churn["method"].map(is_score), "account_id"].astype(str))


def _add_filter(lay: _Layout, key: str, labels: list[str], shown: pd.Series) -> None:
    """Filter ``key`` with these option labels; each row's key is the index of its label ``shown``."""
    lay.filters[key] = labels
    lay.keys[key] = shown.map({v: str(i) for i, v in enumerate(labels)})


def _add_group_filter(lay: _Layout, rows: pd.DataFrame) -> None:
    """The group filter: one option per top group (its name, with its id when two share it), then stand-alone."""
    named = rows[rows["group_id"].notna()].drop_duplicates("group_id")
    counts = named["group_name"].value_counts()
    label_of = {
        g: (f"{n} ({g})" if counts.get(n, 0) > 1 else str(n))
        for g, n in zip(named["group_id"], named["group_name"], strict=True)
    }
    labels = sorted(set(label_of.values()), key=str.lower) + [STAND_ALONE]
    _add_filter(lay, "group", labels, rows["group_id"].map(lambda g: label_of.get(g, STAND_ALONE)))


SCORE_NOTE = (  # {example}: one score of the table, e.g. '(such as 57/100)', or '' (READCJ: '57/100' was fixed
    # text, read on the grocery panel's index where every household showed 'score 0/100 (low)')
    "Churn figures marked 'score'{example} are scores, not probabilities: no churn model could be trained on "
    "this history and the fallback could not be confirmed against it (each account's churn section says why), so "
    "they rank accounts, and the revenue at risk weighted by them is not an expected loss."
)


def _score_example(rows: pd.DataFrame, scored: set[str]) -> str:
    """' (such as 57/100)': the highest churn score the table shows, as its cells read it; '' without one."""
    ids = rows["account_id"].astype(str)
    p = pd.to_numeric(rows.loc[ids.isin(scored), "churn"], errors="coerce").dropna()
    return f" (such as {score_text(float(p.max()))})" if len(p) else ""


def _notes(bundle, rows: pd.DataFrame, lay: _Layout) -> list[str]:
    """The sentences above the table: columns not shown and why, scores missing, group parents."""
    notes = []
    if not lay.kam:
        notes.append("KAM not shown: the accounts table has no owner column.")
    if not lay.tier:
        notes.append(_absent(bundle, "Tier", ("segments", "segment")))
    if not lay.health:
        notes.append(_absent(bundle, "Health", ("health", "kpis")))
    if not lay.churn:
        notes.append(_absent(bundle, "Churn risk and revenue at risk", ("churn",)))
    if not lay.forecast:
        notes.append(_absent(bundle, "Forecast", ("forecast_summary", "forecast")))
    if lay.scored:  # the one sentence that says why the churn figures read "score"
        notes.append(SCORE_NOTE.format(example=_score_example(rows, lay.scored)))
    idle = ~rows["customer"].astype(bool)
    churn_label = "churn score" if lay.scored else "churn probability"
    for shown, score, label in ((lay.health, "health", "health score"), (lay.churn, "churn", churn_label)):
        # a group parent without orders of its own is not scored: said once below, not counted here
        gap = rows[score].map(_is_missing) & ~idle if shown else pd.Series(False, index=rows.index)
        # a lapsed account has no churn probability while the history cannot show how often such accounts return
        lapsed = gap & rows["risk_band"].astype(str).eq("lapsed") if score == "churn" else gap & False
        if int(lapsed.sum()):
            n = int(lapsed.sum())
            noun = "lapsed account has" if n == 1 else "lapsed accounts have"
            notes.append(  # a lapsed account's figure is the history's return rate: a probability
                f"{count(n)} {noun} no churn probability: the history cannot yet show how often lapsed accounts "
                "come back."
            )
        missing = int((gap & ~lapsed).sum())
        if missing:
            noun = "account has" if missing == 1 else "accounts have"
            notes.append(f"{count(missing)} {noun} no {label}: the analysis gave them no value.")
    if idle.any():  # the same sentence as the portfolio overview's, which counts the same customers
        scores = "It has" if int(idle.sum()) == 1 else "They have"
        notes.append(
            f"{not_counted_sentence(int(idle.sum()))} {scores} no scores: "
            "the global accounts' roll-ups below carry their figures."
        )
    return notes


FILTERS = (("kam", "KAM", "All KAMs"), ("tier", "Tier", "All tiers"), ("band", "Risk band", "All risk bands"))
GROUP_FILTER = ("group", "Group", "All groups and stand-alone accounts")  # only when the bundle has groups


def _filters_of(lay: _Layout) -> tuple[tuple[str, str, str], ...]:
    """The page's filters in key order (the group filter last, and only with groups)."""
    return FILTERS + ((GROUP_FILTER,) if lay.groups else ())


TOTALS = (  # (row column, label) of the money totals, after the count of accounts
    ("revenue", "Revenue, last 12 months"),
    ("forecast", "Forecast, next 12 months"),
    ("revenue_at_risk", "Revenue at risk"),
)


def _total_columns(lay: _Layout) -> list[tuple[str, str]]:
    shown = {"revenue": True, "forecast": lay.forecast, "revenue_at_risk": lay.churn}
    return [(col, label) for col, label in TOTALS if shown[col]]


def totals(rows: pd.DataFrame, lay: _Layout) -> dict[str, list[str]]:
    """The totals line of every filter combination, as the page shows it.

    Keys are ``"kam|tier|band"`` (``"kam|tier|band|group"`` when the bundle has groups) with
    each part the option's index ("" for all, and always "" for a filter the page does not
    have); each account counts once with its own figures (a parent with its own orders
    only, never its units' roll-up), so revenue is never counted twice; values are the texts ``[accounts shown,
    revenue last 12 months, forecast next 12 months, revenue at risk]`` (the money totals
    the bundle has), formatted with :func:`kamtools.formatting.money`. ``"none"`` is the
    line of a combination no account matches. The accounts are the customers (rows with
    ``customer``): a group parent without orders of its own is not counted, on the page as in the
    portfolio overview (:mod:`kamtools.groups.customers`).
    """
    columns = [col for col, _ in _total_columns(lay)]
    counted = rows["customer"].astype(bool).to_numpy()
    n_all = int(counted.sum())
    sums: dict[str, list[float]] = {}
    values = rows[columns].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(dtype=float)
    filters = _filters_of(lay)
    parts = [lay.keys[f].tolist() if f in lay.keys else [""] * len(rows) for f, _, _ in filters]
    for i, own in enumerate(zip(*parts, strict=True)):
        if not counted[i]:
            continue
        for key in dict.fromkeys("|".join(k) for k in product(*[(v, "") for v in own])):
            acc = sums.setdefault(key, [0.0] * (len(columns) + 1))
            acc[0] += 1
            for j, v in enumerate(values[i]):
                acc[j + 1] += v
    everything = "|" * (len(filters) - 1)
    sums.setdefault(everything, [0.0] * (len(columns) + 1))
    sums["none"] = [0.0] * (len(columns) + 1)

    def text(key: str, acc: list[float]) -> list[str]:
        n = int(acc[0])
        shown = f"{count(n_all)} accounts" if key == everything else f"{count(n)} of {count(n_all)} accounts"
        return [shown] + [money(v, lay.currency) for v in acc[1:]]

    return {key: text(key, acc) for key, acc in sums.items()}


# ---- what the template shows: plain values, escaped by the template -------------------------------


@dataclass(frozen=True)
class _Cell:
    """One table cell: its text, and what the template writes around it."""

    text: str
    sort: object = None  # data-sort (the value the script sorts by); None: no attribute
    cls: str = ""
    filt: str | None = None  # data-f: the row's option of the filter that reads this column
    href: str | None = None  # the text links there
    span: str = ""  # class of a span around the text
    links: tuple[tuple[str, str], ...] = ()  # (href, label) links after it (the PDF and decks)
    customer: bool = True  # False on the first cell of a group parent without orders of its own (not counted)


def _money_cell(value: object, currency: str | None) -> _Cell:
    if _is_missing(value):
        return _Cell("", "", "num")
    return _Cell(money(float(value), currency), f"{float(value):.2f}", "num")


def _change_cell(change: tuple[str, bool] | None) -> list[_Cell]:
    """The index's "since the last review" cell: the account's change badge (none without ``--since``)."""
    if change is None:
        return []
    change, worse = change
    if not change:
        return [_Cell("", "")]
    return [_Cell(change, change, span="kam-change worse" if worse else "kam-change")]


def _score_cells(r: pd.Series, lay: _Layout, keys: dict[str, str]) -> list[_Cell]:
    """The health and churn cells: the figure with its band, the band alone, or 'not scored'."""
    cells = []
    if lay.health:
        band = "" if _is_missing(r["health_band"]) else str(r["health_band"])
        if _is_missing(r["health"]):
            cells.append(_Cell(band or NOT_SCORED, "", "num" if band else "num kam-muted"))
        else:
            score = float(r["health"])
            cells.append(_Cell(f"{score:.0f}" + (f" ({band})" if band else ""), f"{score:.6g}", "num"))
    if lay.churn:
        band = "" if _is_missing(r["risk_band"]) else str(r["risk_band"])
        if _is_missing(r["churn"]):
            cells.append(_Cell(band or NOT_SCORED, "", "num" if band else "num kam-muted", keys["band"]))
        else:
            p = float(r["churn"])
            cells.append(
                _Cell(
                    (
                        f"score {score_text(p)}"
                        if str(r["account_id"]) in lay.scored
                        else pct_banded(p, (MEDIUM_RISK_P, HIGH_RISK_P))
                    )
                    + (f" ({band})" if band else ""),
                    f"{p:.6g}",
                    "num",
                    keys["band"],
                )
            )
    return cells


def _report_cell(r: pd.Series) -> _Cell:
    """The report's state, linked to the report when there is one, then its PDF and decks."""
    status = str(r["status"])
    text = {"ok": "report", "partial": "report (some sections failed)"}.get(status, status)
    if not _is_missing(r["error"]) and r["error"] and status in ("failed", "partial"):
        text = f"{text}: {r['error']}"
    links = tuple(
        (r[column], label)
        for column, label in (("pdf_href", "PDF"), ("deck_href", "deck"), ("customer_deck_href", "customer deck"))
        if not _is_missing(r.get(column)) and r.get(column)
    )
    href = r["href"] if not _is_missing(r["href"]) and r["href"] else None
    return _Cell(text, status, href=href, span=f"kam-status {status}", links=links)


def _row(r: pd.Series, lay: _Layout, keys: dict[str, str], change: tuple[str, bool] | None = None) -> list[_Cell]:
    """The cells of one account's row, in the order of :func:`_heads`."""
    href = r["href"] if not _is_missing(r["href"]) and r["href"] else None
    customer = bool(r["customer"])
    name = _Cell(r["name"], r["name"], href=href, customer=customer) if href else _Cell(r["name"], customer=customer)
    cells = [name, _Cell(str(r["account_id"]))]
    if lay.groups:
        group = lay.filters["group"][int(keys["group"])]
        shown = "" if group == STAND_ALONE else group
        cells.append(_Cell(shown, shown.lower(), "" if shown else "kam-muted", keys["group"]))
    if lay.kam:
        kam = lay.filters["kam"][int(keys["kam"])]
        cells.append(
            _Cell(kam, "" if kam == NO_KAM else kam.lower(), "kam-muted" if kam == NO_KAM else "", keys["kam"])
        )
    if lay.tier:
        tier = "" if _is_missing(r["tier"]) else str(_tier_label(r["tier"])).removeprefix("Tier ")
        cells.append(_Cell(tier, None, "", keys["tier"]))
    cells += _score_cells(r, lay, keys)
    cells += [_money_cell(r[col], lay.currency) for col, _ in _total_columns(lay)]
    return cells + _change_cell(change) + [_report_cell(r)]


@dataclass(frozen=True)
class _Head:
    label: str
    kind: str  # num or text: how the script sorts the column
    filter: str = ""  # the filter that reads this column
    sorted: bool = False  # the table comes sorted by it (largest first)


def _heads(lay: _Layout, changes) -> list[_Head]:
    """The table's column headings (``filter`` marks the column a filter reads)."""
    heads = [_Head("Account", "text"), _Head("Id", "text")]
    if lay.groups:
        heads.append(_Head("Group", "text", "group"))
    if lay.kam:
        heads.append(_Head("KAM", "text", "kam"))
    if lay.tier:
        heads.append(_Head("Tier", "text", "tier"))
    if lay.health:
        heads.append(_Head("Health", "num"))
    if lay.churn:
        heads.append(_Head("Churn score (not a probability)" if lay.churn_score else "Churn risk", "num", "band"))
    heads += [_Head(label, "num", sorted=label == TOTALS[0][1]) for _, label in _total_columns(lay)]
    if changes is not None:
        heads.append(_Head("Since the last review", "text"))
    return heads + [_Head("Report", "text")]


@dataclass(frozen=True)
class _Filter:
    key: str
    label: str
    everyone: str  # the option that shows every row
    options: list[str]  # option labels; an option's value is its index


def _filters(lay: _Layout) -> list[_Filter]:
    """The filter boxes the page has."""
    return [_Filter(k, label, every, lay.filters[k]) for k, label, every in _filters_of(lay) if k in lay.filters]


@dataclass(frozen=True)
class _Totals:
    data: str  # the JSON of every combination's line (see :func:`totals`)
    keys: str  # the filters of a key, in order
    items: list[tuple[str, str]]  # (label, text) of the line of every row


def _totals_line(rows: pd.DataFrame, lay: _Layout) -> _Totals:
    """The totals line of the rows shown; the page's script swaps in another combination's texts."""
    table = totals(rows, lay)
    everything = "|" * (len(_filters_of(lay)) - 1)
    labels = ["Shown"] + [label for _, label in _total_columns(lay)]
    return _Totals(
        json.dumps(table, ensure_ascii=True, separators=(",", ":")),
        ",".join(f for f, _, _ in _filters_of(lay)),
        list(zip(labels, table[everything], strict=True)),
    )


def _rollups(bundle) -> dict[str, dict]:
    """group id -> its roll-up row (``group_rollup``), empty when the bundle has none."""
    table = bundle.table("group_rollup") if hasattr(bundle, "table") else None
    if not isinstance(table, pd.DataFrame) or table.empty:
        return {}
    return {str(r["account_id"]): r for r in table.to_dict("records")}


@dataclass(frozen=True)
class _GroupLink:
    """A group's name, linked to its report (and PDF), or with why there is no report."""

    name: str
    href: str | None = None
    pdf: str | None = None
    why: str = ""


@dataclass(frozen=True)
class _Unit:
    name: str
    href: str | None
    revenue: str | None  # its revenue as money text; None when unknown
    own: bool = False  # the line of a parent's own orders


@dataclass(frozen=True)
class _Group:
    link: _GroupLink
    account_id: str
    units: str  # "3 units"
    figures: str  # the roll-up's figures
    members: list  # _Unit and _Group, largest revenue first


@dataclass(frozen=True)
class _Groups:
    count: str
    tops: list[_Group]


def _group_link(out: Path, group_id: str, name: str) -> _GroupLink:
    """The group's name linked to its report, or the name with the report's state when there is none."""
    paths = group_paths(out, group_id)
    if paths.html.is_file():
        return _GroupLink(name, paths.href, paths.href[:-5] + ".pdf" if paths.pdf.is_file() else None)
    state = read_state(paths.state) or {}
    return _GroupLink(name, why=str(state.get("error") or "group report not rendered")[:200])


class _GroupTree:
    """The global accounts of the page: one block per top group, its units (sub-groups in turn) inside."""

    def __init__(self, bundle, rows: pd.DataFrame, lay: _Layout, out: Path):
        from kamtools.sections.group import hierarchy_of

        self.hier = hierarchy_of(bundle.accounts)
        self.leaves = set(self.hier.loc[~self.hier["is_group"], "account_id"])
        below = self.hier[self.hier["parent_account_id"].notna()]
        self.kids = below.groupby("parent_account_id")["account_id"].agg(list).to_dict()
        self.by_id = rows.set_index("account_id")
        self.revenue = pd.to_numeric(self.by_id["revenue"], errors="coerce").fillna(0.0)
        self.roll = _rollups(bundle)
        self.currency = lay.currency
        self.out = out

    def tops(self) -> list[str]:
        hier = self.hier
        tops = hier[(hier["depth"] == 0) & hier["is_group"]]["account_id"].tolist()
        return sorted(tops, key=lambda g: (-float((self.roll.get(g) or {}).get("revenue_12m") or 0.0), g))

    def figures(self, group_id: str) -> str:
        """The group's roll-up figures (without a roll-up: the sum of its accounts' own revenue, each once)."""
        from kamtools.groups.tree import descendants

        m = lambda v: money(v, self.currency)  # noqa: E731
        r = self.roll.get(group_id)
        if r is None:
            members = [a for a in descendants(self.hier, group_id, include_self=True) if a in self.by_id.index]
            return (
                f"{m(pd.to_numeric(self.by_id.loc[members, 'revenue'], errors='coerce').sum())} revenue, last 12 months"
            )
        bits = [f"{m(r.get('revenue_12m'))} revenue, last 12 months"]
        if not _is_missing(r.get("forecast_12m")):
            bits.append(f"{m(r.get('forecast_12m'))} forecast")
        if not _is_missing(r.get("revenue_at_risk")):
            bits.append(f"{m(r.get('revenue_at_risk'))} at risk")
        return " · ".join(bits)

    def unit(self, account_id: str, own: bool = False) -> _Unit:
        r = self.by_id.loc[account_id]
        href = r["href"] if not _is_missing(r["href"]) and r["href"] else None
        revenue = None if _is_missing(r["revenue"]) else money(r["revenue"], self.currency)
        return _Unit(str(r["name"]), href, revenue, own)

    def group(self, group_id: str) -> _Group:
        from kamtools.groups.tree import descendants, units_text

        r = self.by_id.loc[group_id]
        below = sorted(self.kids.get(group_id, []), key=lambda a: (-float(self.revenue.get(a, 0.0)), a))
        n_units = sum(1 for a in descendants(self.hier, group_id) if a in self.leaves)  # not the levels between
        members = []
        if not _is_missing(r["revenue"]) and float(r["revenue"] or 0) > 0:  # a parent that orders itself
            members.append(self.unit(group_id, own=True))
        members += [self.group(a) if a in self.kids else self.unit(a) for a in below]
        link = _group_link(self.out, group_id, str(r["name"]))
        return _Group(link, str(group_id), units_text(n_units), self.figures(group_id), members)


def _groups(bundle, rows: pd.DataFrame, lay: _Layout, out: Path) -> _Groups | None:
    """The global accounts block (roll-up figures, link to each group's plan, its units); None without groups."""
    if not lay.groups:
        return None
    tree = _GroupTree(bundle, rows, lay, out)
    tops = tree.tops()
    return _Groups(count(len(tops)), [tree.group(g) for g in tops])


STATUS_WORDS = {  # the reports line of the page's subtitle, in this order
    "ok": "ready",
    "partial": "with failed sections",
    "outdated": "outdated (run kamtools reports again)",
    "failed": "failed",
    "not rendered": "not rendered",
}


def _badges(changes, account_id: str) -> tuple[str, bool] | None:
    """(change badge, is it a change for the worse) of ``account_id``; None without ``--since``."""
    if changes is None:
        return None
    if not hasattr(changes, "_badge_map"):
        acc = changes.accounts
        changes._badge_map = {
            str(a): (str(b), bool(w))
            for a, b, w in zip(acc["account_id"], acc["badge"], acc["badge_worse"], strict=True)
        }
    return changes._badge_map.get(str(account_id), ("", False))


def _subtitle(rows: pd.DataFrame, as_of: object) -> str:
    """'N accounts (global accounts ...) · data as of ... · reports: 10 ready, 2 failed' (the accounts are the
    customers; the group parents without orders of their own are named beside them)."""
    counts = rows["status"].value_counts().to_dict()
    order = list(STATUS_WORDS) + sorted(set(counts) - set(STATUS_WORDS))
    summary = ", ".join(f"{counts[s]} {STATUS_WORDS.get(s, s)}" for s in order if s in counts)
    n_groups = rows.loc[rows["group_id"].notna(), "group_id"].nunique() if "group_id" in rows.columns else 0
    global_accounts = ""
    if n_groups:
        global_accounts = (
            f" ({n_groups} global account{'s' if n_groups != 1 else ''} with their units, and stand-alone)"
        )
    n_idle = int((~rows["customer"].astype(bool)).sum())
    parents = ""
    if n_idle == 1:
        parents = " and 1 group parent without orders of its own"
    elif n_idle:
        parents = f" and {count(n_idle)} group parents without orders of their own"
    return f"{count(len(rows) - n_idle)} accounts{parents}{global_accounts} · data as of {as_of} · reports: {summary}"


@dataclass(frozen=True)
class _Links:
    """The line under the subtitle: the overview (or why it is missing), the portfolio deck, the digest."""

    overview_href: str | None = None
    overview_pdf: str | None = None
    overview_error: str = ""
    deck: str | None = None
    since: str | None = None  # the previous review's date, when the digest page is there


def _links(out: Path, changes) -> _Links:
    ov = overview_paths(out)
    if ov.html.is_file():
        overview = {"overview_href": ov.href, "overview_pdf": ov.href[:-5] + ".pdf" if ov.pdf.is_file() else None}
    else:
        overview = {"overview_error": str((read_state(ov.state) or {}).get("error") or "not rendered")}
    deck = PORTFOLIO_DECK if (out / PORTFOLIO_DECK).is_file() else None
    since = None
    if changes is not None and (out / "since.html").is_file():
        since = str(changes.previous_as_of.date())
    return _Links(**overview, deck=deck, since=since)


def _problems(rows: pd.DataFrame, problems: list[str] | None) -> list[str]:
    """This run's problems, then each failed or partial report (at most 200 lines)."""
    items = list(problems or [])
    failed = rows[rows["status"].isin(["failed", "partial"])]
    for _, r in failed.iterrows():
        items.append(f"{r['account_id']} ({r['name']}): {r['status']}: {r['error']}")
    return [str(p) for p in items[:200]]


def _csp(script: str):
    """The page's Content-Security-Policy: inline styles, data images and this one script, nothing else
    (kamtools' own text, as markup: the template writes its quotes as they are)."""
    from markupsafe import Markup

    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return Markup(
        f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; base-uri 'none'"
    )


def _largest_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Largest revenue first (the column heading says so); accounts without revenue last, in id order."""
    revenue = pd.to_numeric(rows["revenue"], errors="coerce")
    order = revenue.reset_index(drop=True).sort_values(ascending=False, kind="stable", na_position="last").index
    return rows.iloc[order]


def write_index(
    bundle,
    out_dir: str | os.PathLike,
    rows: pd.DataFrame | None = None,
    problems: list[str] | None = None,
    failed: dict[str, dict] | None = None,
    changes=None,
) -> Path:
    """Write ``OUT_DIR/index.html`` atomically and return its path (``failed``: see :func:`index_rows`).

    ``changes`` (:class:`kamtools.review.since.Changes`, from ``--since``) adds a "since the
    last review" column and a link to the change digest page.
    """
    out = Path(out_dir)
    since_fresh = getattr(changes, "freshness", None)
    rows = index_rows(bundle, out, failed=failed, since_fresh=since_fresh) if rows is None else rows
    subtitle = _subtitle(rows, bundle.manifest["as_of"])
    problem_items = _problems(rows, problems)
    rows = _largest_first(rows)
    lay = _layout(bundle, rows)
    body = []
    for i, (_, r) in enumerate(rows.iterrows()):
        keys = {f: str(lay.keys[f].iloc[i]) for f in lay.keys}
        body.append(_row(r, lay, keys, _badges(changes, r["account_id"])))
    page = (
        templating.environment("reports", "writing the index page")
        .get_template("index.html")
        .render(
            csp=_csp(templating.source("index.js")),
            css=templating.trusted(*templating.LIST_PAGE_CSS),
            title="Account strategy reports",
            subtitle=subtitle,
            links=_links(out, changes),
            problems=problem_items,
            notes=lay.notes,
            groups=_groups(bundle, rows, lay, out),
            filters=_filters(lay),
            totals=_totals_line(rows, lay),
            heads=_heads(lay, changes),
            rows=body,
            script=templating.trusted("index.js"),
        )
    )
    path = out / "index.html"
    atomic_write(path, page)
    return path
