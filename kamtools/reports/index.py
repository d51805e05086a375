"""``OUT_DIR/index.html``: every account with its KAM, tier, health, churn risk, revenue and its report.

The page is static HTML plus one small inline script that sorts the table when a
column heading is clicked and filters it by KAM, tier and risk band. The totals of every
filter combination are worked out here (with :func:`kamtools.formatting.money`, the one
money format of every face) and carried as data, so the script only shows them. Every
data value is HTML-escaped (text and attributes), and the page's Content-Security-Policy
allows exactly that one script (by its SHA-256), so even a value that slipped past
escaping could not run code.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from string import Template

import pandas as pd

from kamtools.formatting import count, currency_of, money, pct
from kamtools.reports.render import _template, atomic_write
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
]


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
    stand-alone account).

    ``failed`` maps account ids to this run's failed results (``{"error": ...}``): they
    are shown as failed with that error, whatever the report's record on disk says (a
    report whose record could not be written has none). ``since_fresh``: the ``--since``
    values of this run (see :func:`kamtools.review.since.since_freshness`), part of what makes
    a report up to date.
    """
    failed = failed or {}
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
    from kamtools.reports.state import freshness  # local: avoids a cycle at import time

    statuses, errors, hrefs, pdfs = [], [], [], []
    decks: dict[str, list] = {"internal": [], "customer": []}
    out_dir = Path(out_dir)
    fresh_cache: dict[str, dict] = {}
    for account_id in df["account_id"]:
        paths = account_paths(out_dir, account_id)
        state = read_state(paths.state)
        status, error, href = "not rendered", None, None
        if state is not None:
            status, error = state.get("status", "failed"), state.get("error")
            if status in ("ok", "partial"):
                if not paths.html.is_file():
                    status = "not rendered"
                else:
                    href = paths.href
                    nb = state.get("notebook")
                    if nb is not None:
                        fresh = fresh_cache.setdefault(nb, freshness(bundle, nb) if os.path.exists(nb) else {})
                        if since_fresh and fresh:
                            fresh = {**fresh, "since": since_fresh}
                        if state.get("freshness") != fresh:
                            status = "outdated"
        if account_id in failed:
            status, error, href = "failed", failed[account_id].get("error") or "the report failed", None
        statuses.append(status)
        errors.append(error)
        hrefs.append(href)
        pdfs.append(href[:-5] + ".pdf" if href and paths.pdf.is_file() else None)
        for audience, found in decks.items():
            deck = deck_href(account_id, audience)
            found.append(deck if (out_dir / deck).is_file() else None)
    df["status"] = pd.Series(statuses, index=df.index, dtype=object)
    df["error"] = pd.Series(errors, index=df.index, dtype=object)
    df["href"] = pd.Series(hrefs, index=df.index, dtype=object)
    df["pdf_href"] = pd.Series(pdfs, index=df.index, dtype=object)
    df["deck_href"] = pd.Series(decks["internal"], index=df.index, dtype=object)
    df["customer_deck_href"] = pd.Series(decks["customer"], index=df.index, dtype=object)
    top = _top_groups(acc)
    names = dict(zip(df["account_id"], df["name"], strict=True))
    df["group_id"] = pd.Series([top.get(a) for a in df["account_id"]], index=df.index, dtype=object)
    df["group_name"] = pd.Series([names.get(g) if g else None for g in df["group_id"]], index=df.index, dtype=object)
    parents = _parents(acc)
    df["is_group"] = df["account_id"].isin(parents)
    return df[INDEX_COLUMNS]


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
    notes: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)  # filter -> option labels (index = value)
    keys: dict[str, pd.Series] = field(default_factory=dict)  # filter -> each row's option index as text


def _tier_label(tier: object) -> str:
    if _is_missing(tier):
        return NO_TIER
    if isinstance(tier, float) and tier.is_integer():
        tier = int(tier)
    return f"Tier {tier}"


STAGE_WORDS = {"kpis": "KPI and health", "segment": "segmentation"}  # stage names in a reader's words


def _absent(bundle, label: str, sources: tuple[str, ...]) -> str:
    """The sentence shown instead of a column whose analysis is not in the bundle."""
    skipped = bundle.manifest.get("skipped", {})
    reason = next((str(skipped[t]) for t in sources if t in skipped), None)
    if reason is None:
        words = STAGE_WORDS.get(sources[-1], sources[-1])
        reason = f"the {words} analysis was not run for this bundle (kamtools analyze runs it)."
    return f"{label} not shown: {reason}"


def _idle_parents(rows: pd.DataFrame) -> pd.Series:
    """Rows of group parents that do not order themselves."""
    if "is_group" not in rows.columns:
        return pd.Series(False, index=rows.index)
    revenue = pd.to_numeric(rows["revenue"], errors="coerce").fillna(0.0)
    return rows["is_group"].fillna(False).astype(bool) & (revenue <= 0)


def _layout(bundle, rows: pd.DataFrame) -> _Layout:
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
    if not lay.kam:
        lay.notes.append("KAM not shown: the accounts table has no owner column.")
    if not lay.tier:
        lay.notes.append(_absent(bundle, "Tier", ("segments", "segment")))
    if not lay.health:
        lay.notes.append(_absent(bundle, "Health", ("health", "kpis")))
    if not lay.churn:
        lay.notes.append(_absent(bundle, "Churn risk and revenue at risk", ("churn",)))
    if not lay.forecast:
        lay.notes.append(_absent(bundle, "Forecast", ("forecast_summary", "forecast")))
    for shown, score, label in ((lay.health, "health", "health score"), (lay.churn, "churn", "churn probability")):
        # a group parent without orders of its own is not scored: said once below, not counted here
        idle = _idle_parents(rows)
        missing = int((rows[score].map(_is_missing) & ~idle).sum()) if shown else 0
        if missing:
            noun = "account has" if missing == 1 else "accounts have"
            lay.notes.append(f"{count(missing)} {noun} no {label}: the analysis gave them no value.")

    n_idle = int(_idle_parents(rows).sum())
    if n_idle:
        noun = "group parent has no orders of its own" if n_idle == 1 else "group parents have no orders of their own"
        lay.notes.append(
            f"{count(n_idle)} {noun}, so no scores: their figures are the global accounts' roll-ups below."
        )
    if lay.kam:
        owner = rows["owner"].map(lambda o: NO_KAM if _is_missing(o) or not str(o).strip() else str(o))
        labels = sorted(set(owner) - {NO_KAM}, key=str.lower) + ([NO_KAM] if (owner == NO_KAM).any() else [])
        lay.filters["kam"] = labels
        lay.keys["kam"] = owner.map({v: str(i) for i, v in enumerate(labels)})
    if lay.tier:
        tier = rows["tier"].map(_tier_label)
        tiers = [t for t in rows["tier"].dropna().unique()]
        labels = [_tier_label(t) for t in sorted(tiers, key=lambda t: (str(type(t)), t))]
        labels = list(dict.fromkeys(labels)) + ([NO_TIER] if (tier == NO_TIER).any() else [])
        lay.filters["tier"] = labels
        lay.keys["tier"] = tier.map({v: str(i) for i, v in enumerate(labels)})
    if lay.churn:
        band = rows["risk_band"].map(lambda b: NOT_SCORED if _is_missing(b) or not str(b).strip() else str(b))
        found = set(band)
        labels = [b for b in RISK_ORDER if b in found]
        labels += sorted(found - set(RISK_ORDER) - {NOT_SCORED}) + ([NOT_SCORED] if NOT_SCORED in found else [])
        lay.filters["band"] = labels
        lay.keys["band"] = band.map({v: str(i) for i, v in enumerate(labels)})
    if lay.groups:
        named = rows[rows["group_id"].notna()].drop_duplicates("group_id")
        counts = named["group_name"].value_counts()
        label_of = {
            g: (f"{n} ({g})" if counts.get(n, 0) > 1 else str(n))
            for g, n in zip(named["group_id"], named["group_name"], strict=True)
        }
        labels = sorted(set(label_of.values()), key=str.lower) + [STAND_ALONE]
        index = {v: str(i) for i, v in enumerate(labels)}
        lay.filters["group"] = labels
        lay.keys["group"] = rows["group_id"].map(lambda g: index[label_of[g]] if g in label_of else index[STAND_ALONE])
    return lay


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
    line of a combination no account matches.
    """
    columns = [col for col, _ in _total_columns(lay)]
    n_all = len(rows)
    sums: dict[str, list[float]] = {}
    values = rows[columns].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(dtype=float)
    filters = _filters_of(lay)
    parts = [lay.keys[f].tolist() if f in lay.keys else [""] * n_all for f, _, _ in filters]
    for i, own in enumerate(zip(*parts, strict=True)):
        for key in {"|".join(k) for k in product(*[(v, "") for v in own])}:
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


def _td(text: str, sort: object = None, cls: str = "", filt: str | None = None) -> str:
    attr = f' class="{cls}"' if cls else ""
    if sort is not None:
        attr += f' data-sort="{html.escape(str(sort), quote=True)}"'
    if filt is not None:
        attr += f' data-f="{html.escape(filt, quote=True)}"'
    return f"<td{attr}>{html.escape(text, quote=True)}</td>"


def _change_cell(change: tuple[str, bool] | None) -> str:
    """The index's "since the last review" cell: the account's change badge (escaped)."""
    if change is None:
        return ""
    change, worse = change
    if not change:
        return _td("", "")
    cls = "kam-change worse" if worse else "kam-change"
    return f'<td data-sort="{html.escape(change, quote=True)}"><span class="{cls}">{html.escape(change)}</span></td>'


def _money_td(value: object, currency: str | None) -> str:
    if _is_missing(value):
        return _td("", "", "num")
    return _td(money(float(value), currency), f"{float(value):.2f}", "num")


def _row(r: pd.Series, lay: _Layout, keys: dict[str, str], change: tuple[str, bool] | None = None) -> str:
    e = html.escape
    if not _is_missing(r["href"]) and r["href"]:
        name = (
            f'<td data-sort="{e(r["name"], quote=True)}"><a href="{e(r["href"], quote=True)}">{e(r["name"])}</a></td>'
        )
    else:
        name = _td(r["name"])
    cells = name + _td(str(r["account_id"]))
    if lay.groups:
        group = lay.filters["group"][int(keys["group"])]
        shown = "" if group == STAND_ALONE else group
        cells += _td(shown, shown.lower(), "" if shown else "kam-muted", keys["group"])
    if lay.kam:
        kam = lay.filters["kam"][int(keys["kam"])]
        cells += _td(kam, "" if kam == NO_KAM else kam.lower(), "kam-muted" if kam == NO_KAM else "", keys["kam"])
    if lay.tier:
        tier = "" if _is_missing(r["tier"]) else str(_tier_label(r["tier"])).removeprefix("Tier ")
        cells += _td(tier, None, "", keys["tier"])
    if lay.health:
        if _is_missing(r["health"]):
            band = "" if _is_missing(r["health_band"]) else str(r["health_band"])
            cells += _td(band or NOT_SCORED, "", "num" if band else "num kam-muted")
        else:
            band = "" if _is_missing(r["health_band"]) else f" ({r['health_band']})"
            cells += _td(f"{float(r['health']):.0f}{band}", f"{float(r['health']):.6g}", "num")
    if lay.churn:
        if _is_missing(r["churn"]):
            band = "" if _is_missing(r["risk_band"]) else str(r["risk_band"])
            cells += _td(band or NOT_SCORED, "", "num" if band else "num kam-muted", keys["band"])
        else:
            band = "" if _is_missing(r["risk_band"]) else f" ({r['risk_band']})"
            cells += _td(f"{pct(float(r['churn']))}{band}", f"{float(r['churn']):.6g}", "num", keys["band"])
    cells += _money_td(r["revenue"], lay.currency)
    if lay.forecast:
        cells += _money_td(r["forecast"], lay.currency)
    if lay.churn:
        cells += _money_td(r["revenue_at_risk"], lay.currency)
    status = str(r["status"])
    text = {"ok": "report", "partial": "report (some sections failed)"}.get(status, status)
    if not _is_missing(r["error"]) and r["error"] and status in ("failed", "partial"):
        text = f"{text}: {r['error']}"
    pdf = ""
    for column, label in (("pdf_href", "PDF"), ("deck_href", "deck"), ("customer_deck_href", "customer deck")):
        if not _is_missing(r.get(column)) and r.get(column):
            pdf += f' <a class="kam-pdf" href="{e(r[column], quote=True)}">{label}</a>'
    shown = e(text)
    if not _is_missing(r["href"]) and r["href"]:  # the report itself, beside its PDF and decks
        shown = f'<a href="{e(r["href"], quote=True)}">{shown}</a>'
    report = f'<td data-sort="{e(status, quote=True)}"><span class="kam-status {e(status, quote=True)}">{shown}</span>{pdf}</td>'
    return "<tr>" + cells + _change_cell(change) + report + "</tr>"


def _heads(lay: _Layout, changes) -> str:
    """The table's column headings (``data-filter`` marks the column a filter reads)."""
    heads = [("Account", "text", ""), ("Id", "text", "")]
    if lay.groups:
        heads.append(("Group", "text", "group"))
    if lay.kam:
        heads.append(("KAM", "text", "kam"))
    if lay.tier:
        heads.append(("Tier", "text", "tier"))
    if lay.health:
        heads.append(("Health", "num", ""))
    if lay.churn:
        heads.append(("Churn risk", "num", "band"))
    heads += [(label, "num", "") for _, label in _total_columns(lay)]
    out = [
        f'<th scope="col" data-type="{kind}"'
        + (f' data-filter="{filt}"' if filt else "")
        + (' aria-sort="descending"' if label == TOTALS[0][1] else "")
        + f">{html.escape(label)}</th>"
        for label, kind, filt in heads
    ]
    if changes is not None:
        out.append('<th scope="col" data-type="text">Since the last review</th>')
    out.append('<th scope="col" data-type="text">Report</th>')
    return "\n".join(out)


def _filters(lay: _Layout) -> str:
    """The filter boxes (option values are indexes; labels escaped)."""
    boxes = []
    for key, label, everyone in _filters_of(lay):
        if key not in lay.filters:
            continue
        opts = [f'<option value="">{html.escape(everyone)}</option>']
        opts += [f'<option value="{i}">{html.escape(v)}</option>' for i, v in enumerate(lay.filters[key])]
        boxes.append(
            f'<label class="kam-filter">{html.escape(label)} <select data-filter="{key}">{"".join(opts)}</select></label>'
        )
    if not boxes:
        return ""
    return f'<div class="kam-filters" id="kam-filters">{"".join(boxes)}</div>'


def _totals_html(rows: pd.DataFrame, lay: _Layout) -> str:
    """The totals line of the rows shown; the page's script swaps in another combination's texts."""
    table = totals(rows, lay)
    data = html.escape(json.dumps(table, ensure_ascii=True, separators=(",", ":")), quote=True)
    keys = ",".join(f for f, _, _ in _filters_of(lay))
    everything = "|" * (len(_filters_of(lay)) - 1)
    labels = ["Shown"] + [label for _, label in _total_columns(lay)]
    items = "".join(
        f'<span class="kam-total"><span class="kam-total-label">{html.escape(label)}</span> '
        f'<strong data-total="{i}">{html.escape(text)}</strong></span>'
        for i, (label, text) in enumerate(zip(labels, table[everything], strict=True))
    )
    return (
        f'<p class="kam-totals" id="kam-totals" data-totals="{data}" data-keys="{keys}" aria-live="polite">{items}</p>'
        '<p class="kam-na" id="kam-none" hidden>No account matches these filters.</p>'
    )


def _rollups(bundle) -> dict[str, dict]:
    """group id -> its roll-up row (``group_rollup``), empty when the bundle has none."""
    table = bundle.table("group_rollup") if hasattr(bundle, "table") else None
    if not isinstance(table, pd.DataFrame) or table.empty:
        return {}
    return {str(r["account_id"]): r for r in table.to_dict("records")}


def _group_report_link(out: Path, group_id: str, name: str) -> str:
    """The group's name linked to its report, or the name with the report's state when there is none."""
    paths = group_paths(out, group_id)
    e = html.escape
    if paths.html.is_file():
        link = f'<a href="{e(paths.href, quote=True)}">{e(name)}</a>'
        if paths.pdf.is_file():
            link += f' <a class="kam-pdf" href="{e(paths.href[:-5] + ".pdf", quote=True)}">PDF</a>'
        return link
    state = read_state(paths.state) or {}
    why = state.get("error") or "group report not rendered"
    return f'{e(name)} <span class="kam-status failed">({e(str(why)[:200])})</span>'


def _groups_html(bundle, rows: pd.DataFrame, lay: _Layout, out: Path) -> str:
    """The global accounts: one expandable line per top group (roll-up figures, link to its plan), its units
    inside (sub-groups expandable in turn, each unit linked to its report). Empty without groups."""
    if not lay.groups:
        return ""
    from kamtools.groups.tree import descendants
    from kamtools.sections.group import hierarchy_of

    e = html.escape
    hier = hierarchy_of(bundle.accounts)
    leaves = set(hier.loc[~hier["is_group"], "account_id"])
    kids = hier[hier["parent_account_id"].notna()].groupby("parent_account_id")["account_id"].agg(list).to_dict()
    by_id = rows.set_index("account_id")
    roll = _rollups(bundle)
    m = lambda v: money(v, lay.currency)  # noqa: E731

    def figures(group_id: str) -> str:
        r = roll.get(group_id)
        if r is None:  # no roll-up in the bundle: the sum of the accounts' own revenue, each once
            members = [a for a in descendants(hier, group_id, include_self=True) if a in by_id.index]
            rev = pd.to_numeric(by_id.loc[members, "revenue"], errors="coerce").sum()
            return f"{m(rev)} revenue, last 12 months"
        bits = [f"{m(r.get('revenue_12m'))} revenue, last 12 months"]
        if not _is_missing(r.get("forecast_12m")):
            bits.append(f"{m(r.get('forecast_12m'))} forecast")
        if not _is_missing(r.get("revenue_at_risk")):
            bits.append(f"{m(r.get('revenue_at_risk'))} at risk")
        return " · ".join(bits)

    def unit(account_id: str) -> str:
        r = by_id.loc[account_id]
        name = e(str(r["name"]))
        if not _is_missing(r["href"]) and r["href"]:
            name = f'<a href="{e(r["href"], quote=True)}">{name}</a>'
        rev = "" if _is_missing(r["revenue"]) else f' <span class="kam-status">{e(m(r["revenue"]))}</span>'
        return f"<li>{name}{rev}</li>"

    def block(group_id: str, top: bool) -> str:
        r = by_id.loc[group_id]
        revenue = pd.to_numeric(by_id["revenue"], errors="coerce").fillna(0.0)
        below = sorted(kids.get(group_id, []), key=lambda a: (-float(revenue.get(a, 0.0)), a))
        n_units = sum(1 for a in descendants(hier, group_id) if a in leaves)  # units, not the levels between
        items = []
        if not _is_missing(r["revenue"]) and float(r["revenue"] or 0) > 0:  # a parent that orders itself
            items.append(unit(group_id).replace("</li>", " (its own orders)</li>", 1))
        items += [block(a, False) if a in kids else unit(a) for a in below]
        head = (
            f"{_group_report_link(out, group_id, str(r['name']))} "
            f'<span class="kam-status">{e(str(group_id))} · {count(n_units)} units · {e(figures(group_id))}</span>'
        )
        cls = ' class="kam-group"' if top else ""
        inner = f"<details{cls}><summary>{head}</summary><ul>{''.join(items)}</ul></details>"
        return inner if top else f"<li>{inner}</li>"

    tops = hier[(hier["depth"] == 0) & hier["is_group"]]["account_id"].tolist()
    tops.sort(key=lambda g: (-float((roll.get(g) or {}).get("revenue_12m") or 0.0), g))
    blocks = "".join(block(g, True) for g in tops)
    return (
        f'<section class="kam-groups" id="kam-groups"><h2 class="kam-h2">Global accounts ({count(len(tops))})</h2>'
        '<p class="kam-hint">Each group shows its roll-up (all its units, each counted once); open it for its units. '
        "The totals under the filters add up the accounts in the table, each with its own orders only, so a group "
        f"and its units are never added together.</p>{blocks}</section>"
    )


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
    m = bundle.manifest
    counts = rows["status"].value_counts().to_dict()
    order = list(STATUS_WORDS) + sorted(set(counts) - set(STATUS_WORDS))
    summary = ", ".join(f"{counts[s]} {STATUS_WORDS.get(s, s)}" for s in order if s in counts)
    n_groups = rows.loc[rows["group_id"].notna(), "group_id"].nunique() if "group_id" in rows.columns else 0
    global_accounts = ""
    if n_groups:
        global_accounts = (
            f" ({n_groups} global account{'s' if n_groups != 1 else ''} with their units, and stand-alone)"
        )
    subtitle = f"{len(rows)} accounts{global_accounts} · data as of {m['as_of']} · reports: {summary}"
    ov = overview_paths(out)
    links = []
    if ov.html.is_file():
        links.append(f'<a href="{html.escape(ov.href, quote=True)}">Portfolio overview</a>')
        if ov.pdf.is_file():
            links.append(f'<a href="{html.escape(ov.href[:-5] + ".pdf", quote=True)}">(PDF)</a>')
    else:
        state = read_state(ov.state) or {}
        err = state.get("error") or "not rendered"
        links.append(f'<span class="kam-status failed">Portfolio overview: {html.escape(str(err))}</span>')
    if (out / PORTFOLIO_DECK).is_file():
        links.append(f' <a href="{PORTFOLIO_DECK}">Portfolio review deck</a>')
    if changes is not None and (out / "since.html").is_file():
        links.append(
            f' <a href="since.html">Since the last review ({html.escape(str(changes.previous_as_of.date()))})</a>'
        )
    overview = f'<p class="kam-links">{"".join(links)}</p>'
    problem_items = list(problems or [])
    failed = rows[rows["status"].isin(["failed", "partial"])]
    for _, r in failed.iterrows():
        problem_items.append(f"{r['account_id']} ({r['name']}): {r['status']}: {r['error']}")
    problems_html = ""
    if problem_items:
        lis = "".join(f"<li>{html.escape(str(p))}</li>" for p in problem_items[:200])
        problems_html = f'<div class="kam-problems"><p>Problems in this run:</p><ul>{lis}</ul></div>'
    script = _template("index.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; base-uri 'none'"
    # largest revenue first (the column heading says so); accounts without revenue last, in id order
    revenue = pd.to_numeric(rows["revenue"], errors="coerce")
    rows = rows.iloc[
        revenue.reset_index(drop=True).sort_values(ascending=False, kind="stable", na_position="last").index
    ]
    lay = _layout(bundle, rows)
    notes = ""
    if lay.notes:
        notes = '<ul class="kam-index-notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in lay.notes) + "</ul>"
    body = []
    for i, (_, r) in enumerate(rows.iterrows()):
        keys = {f: str(lay.keys[f].iloc[i]) for f in lay.keys}
        body.append(_row(r, lay, keys, _badges(changes, r["account_id"])))
    page = Template(_template("index.html")).substitute(
        csp=csp,
        css=_template("report.css") + "\n" + _template("index.css"),
        title="Account strategy reports",
        subtitle=html.escape(subtitle),
        overview=overview,
        problems=problems_html,
        notes=notes,
        groups=_groups_html(bundle, rows, lay, out),
        filters=_filters(lay),
        totals=_totals_html(rows, lay),
        heads=_heads(lay, changes),
        rows="\n".join(body),
        script=script,
    )
    path = out / "index.html"
    atomic_write(path, page)
    return path
