"""``OUT_DIR/index.html``: every account with tier, health, churn risk, revenue and its report.

The page is static HTML plus one small inline script that sorts the table when a
column heading is clicked. Every data value is HTML-escaped (text and attributes), and
the page's Content-Security-Policy allows exactly that one script (by its SHA-256), so
even a value that slipped past escaping could not run code.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import os
from pathlib import Path
from string import Template

import pandas as pd

from kamtools.display import money
from kamtools.reports.render import _template, atomic_write
from kamtools.reports.state import PORTFOLIO_DECK, account_paths, deck_href, overview_paths, read_state

INDEX_COLUMNS = [
    "account_id",
    "name",
    "tier",
    "health",
    "health_band",
    "churn",
    "risk_band",
    "revenue",
    "status",
    "error",
    "href",
    "pdf_href",
    "deck_href",
    "customer_deck_href",
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

    Columns: ``account_id, name, tier, health (0-100 score), health_band, churn
    (probability 0-1), risk_band, revenue (last 12 months), status (ok, partial,
    failed, outdated, not rendered), error, href, pdf_href`` (links relative to
    ``out_dir``; None when there is no such file).

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
            "tier": _col(acc, "tier"),
            "health": _col(acc, "health_score"),
            "health_band": _col(acc, "health_band"),
            "churn": _col(acc, "churn_probability"),
            "risk_band": _col(acc, "risk_band"),
            "revenue": _col(acc, "revenue_ltm"),
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
    return df[INDEX_COLUMNS]


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def _td(text: str, sort: object = None, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    if sort is not None:
        attr += f' data-sort="{html.escape(str(sort), quote=True)}"'
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


def _row(r: pd.Series, change: tuple[str, bool] | None = None) -> str:
    e = html.escape
    if not _is_missing(r["href"]) and r["href"]:
        name = (
            f'<td data-sort="{e(r["name"], quote=True)}"><a href="{e(r["href"], quote=True)}">{e(r["name"])}</a></td>'
        )
    else:
        name = _td(r["name"])
    tier = "" if _is_missing(r["tier"]) else str(r["tier"])
    if _is_missing(r["health"]):
        health = _td(str(r["health_band"]) if not _is_missing(r["health_band"]) else "", "", "num")
    else:
        band = "" if _is_missing(r["health_band"]) else f" ({r['health_band']})"
        health = _td(f"{float(r['health']):.0f}{band}", f"{float(r['health']):.6g}", "num")
    if _is_missing(r["churn"]):
        churn = _td(str(r["risk_band"]) if not _is_missing(r["risk_band"]) else "", "", "num")
    else:
        band = "" if _is_missing(r["risk_band"]) else f" ({r['risk_band']})"
        churn = _td(f"{float(r['churn']):.0%}{band}", f"{float(r['churn']):.6g}", "num")
    if _is_missing(r["revenue"]):
        revenue = _td("", "", "num")
    else:
        revenue = _td(money(float(r["revenue"])), f"{float(r['revenue']):.2f}", "num")
    status = str(r["status"])
    text = {"ok": "report", "partial": "report (some sections failed)"}.get(status, status)
    if not _is_missing(r["error"]) and r["error"] and status in ("failed", "partial"):
        text = f"{text}: {r['error']}"
    pdf = ""
    for column, label in (("pdf_href", "PDF"), ("deck_href", "deck"), ("customer_deck_href", "customer deck")):
        if not _is_missing(r.get(column)) and r.get(column):
            pdf += f' <a class="kam-pdf" href="{e(r[column], quote=True)}">{label}</a>'
    report = f'<td data-sort="{e(status, quote=True)}"><span class="kam-status {e(status, quote=True)}">{e(text)}</span>{pdf}</td>'
    cells = name + _td(str(r["account_id"])) + _td(tier) + health + churn + revenue + _change_cell(change)
    return "<tr>" + cells + report + "</tr>"


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
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    subtitle = f"{len(rows)} accounts · data as of {m['as_of']} · reports: {summary}"
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
    page = Template(_template("index.html")).substitute(
        csp=csp,
        css=_template("report.css") + "\n" + _template("index.css"),
        title="Account strategy reports",
        subtitle=html.escape(subtitle),
        overview=overview,
        problems=problems_html,
        change_head="" if changes is None else '<th scope="col" data-type="text">Since the last review</th>',
        rows="\n".join(_row(r, _badges(changes, r["account_id"])) for _, r in rows.iterrows()),
        script=script,
    )
    path = out / "index.html"
    atomic_write(path, page)
    return path
