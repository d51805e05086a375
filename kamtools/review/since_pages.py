"""The faces of :mod:`kamtools.review.since` in ``kamtools reports --since``: checking the
inputs before any report is rendered, and the portfolio change digest page ``OUT_DIR/since.html``.

Beside the page, :func:`write_record` keeps the comparison's digest rows and followed-up actions as
JSON (``OUT_DIR/.kamtools-state/since.json``, with the data fingerprints they belong to), so that
``kamtools deliver`` gives each KAM the changes of their own accounts without comparing the
bundles again (:func:`read_record`).

The digest page is rendered with Jinja2 with autoescaping on, so every value from the data
(account names, risk texts, owners) is inert text; the page runs no script (its
Content-Security-Policy allows none).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from kamtools.display import money
from kamtools.templating import LIST_PAGE_CSS, environment, trusted

DIGEST_PAGE = "since.html"
RECORD = "since.json"  # in the reports folder's state folder (kamtools.reports.state.STATE_DIR)
RECORD_FORMAT = 1
DIGEST_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; base-uri 'none'"

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{ csp | safe }}">
<meta name="generator" content="kamtools">
<title>Since the last review</title>
<style>
{{ css | safe }}
.kam-digest td ul { margin: 0; padding-left: 1.1em; }
.kam-digest .kind { color: var(--muted); font-size: .85em; }
.kam-digest td.owner, .kam-digest td.num { white-space: nowrap; }
</style>
</head>
<body class="kam-report">
<main class="kam-page">
<h1 class="kam-h1">Since the last review</h1>
<p class="kam-sub">{{ previous_as_of }} → {{ current_as_of }} · {{ n_accounts }} accounts with notable changes ·
<a href="index.html">all reports</a></p>
<p class="kam-p">Accounts that changed churn band or tier, new high risks, targets slipping (expected attainment of the
year's target down {{ slip }} points or more and now below target) and the largest forecast revisions (at least
{{ revision }} of the previous forecast), ranked by value at stake: the money the account plan's actions protect or
win.</p>
<p class="kam-p">{{ counts }}</p>
{% for note in notes %}<p class="kam-na">{{ note }}</p>
{% endfor %}
{% if rows %}
<table class="kam-index kam-digest">
<thead><tr><th>#</th><th>Account</th><th>KAM</th><th class="num">Value at stake</th><th>What changed</th></tr></thead>
<tbody>
{% for r in rows %}<tr>
<td class="num">{{ r.rank }}</td>
<td>{% if r.href %}<a href="{{ r.href }}">{{ r.name }}</a>{% else %}{{ r.name }}{% endif %}<br><span class="kind">{{ r.account_id }}</span></td>
<td class="owner">{{ r.owner }}</td>
<td class="num">{{ r.value }}</td>
<td><ul>{% for item in r["items"] %}<li><span class="kind">{{ item.kind }}:</span> {{ item.sentence }}</li>{% endfor %}</ul></td>
</tr>
{% endfor %}</tbody>
</table>
{% else %}
<p class="kam-p">Nothing notable changed since the last review.</p>
{% endif %}
</main>
</body>
</html>
"""


def check_out_dir(out_dir: str | os.PathLike, since: str | os.PathLike, bundle=None) -> None:
    """:class:`kamtools.review.since.SinceError` when ``since`` is not an earlier bundle than ``bundle``
    (see :func:`kamtools.review.since.open_previous`) or the output folder is inside it."""
    from kamtools.review.since import SinceError, open_previous

    open_previous(since, bundle)
    out, previous = Path(out_dir).expanduser().resolve(), Path(since).expanduser().resolve()
    if out == previous or previous in out.parents:
        raise SinceError(
            f"--out {out_dir} is inside the previous bundle {since}, which --since only reads; choose another folder"
        )


def prepare_since(bundle, since: str | os.PathLike, tasks=None, tasks_mapping=None):
    """Check ``--since`` (and ``--tasks``) before any work and compare the bundles once.

    Returns ``(changes, notebook parameters, freshness values)``; raises
    :class:`kamtools.review.since.SinceError` with one sentence for a bad path, a folder
    that is not a bundle, a previous bundle that is not older, or a bad task export.
    """
    from kamtools.review.since import SinceError, compare_bundles, open_previous, read_task_export, since_freshness

    previous = open_previous(since, bundle)
    if tasks_mapping is not None and tasks is None:
        raise SinceError("--tasks-mapping needs --tasks (the CRM task export it describes)")
    frame = read_task_export(tasks, tasks_mapping) if tasks is not None else None
    changes = compare_bundles(bundle, previous, tasks=frame)
    fresh = since_freshness(previous, tasks, tasks_mapping)
    changes.freshness = fresh
    params = {
        "since": str(Path(previous.path).resolve()),
        "tasks": str(Path(tasks).resolve()) if tasks is not None else "",
        "tasks_mapping": str(Path(tasks_mapping).resolve()) if tasks_mapping is not None else "",
    }
    return changes, params, fresh


def digest_rows(changes, out_dir: str | os.PathLike | None = None) -> list[dict]:
    """The digest grouped per account (in rank order of its first item), with its report link."""
    from kamtools.reports.state import account_paths

    rows: list[dict] = []
    by_account: dict[str, dict] = {}
    for _, d in changes.digest.iterrows():
        acc = str(d["account_id"])
        if acc not in by_account:
            href = None
            if out_dir is not None:
                paths = account_paths(out_dir, acc)
                href = paths.href if paths.html.is_file() else None
            by_account[acc] = {
                "rank": len(rows) + 1,
                "account_id": acc,
                "name": "" if pd.isna(d["name"]) else str(d["name"]),
                "owner": "" if pd.isna(d["owner"]) else str(d["owner"]),
                "value": money(float(d["value_at_stake"])) if pd.notna(d["value_at_stake"]) else "",
                "href": href,
                "items": [],
            }
            rows.append(by_account[acc])
        kind, sentence = str(d["kind"]), str(d["sentence"])
        prefix = f"{kind[:1].upper()}{kind[1:]}: "
        if sentence.startswith(prefix):  # the kind is shown beside it
            sentence = sentence[len(prefix) :]
        by_account[acc]["items"].append({"kind": kind, "sentence": sentence})
    return rows


def write_digest(changes, bundle, out_dir: str | os.PathLike) -> Path:
    """Write ``OUT_DIR/since.html`` (atomically) and return its path."""
    from kamtools.reports.render import atomic_write
    from kamtools.review.since import REVISION_SHARE, TARGET_SLIP

    out = Path(out_dir)
    rows = digest_rows(changes, out)
    counts = changes.digest["kind"].value_counts() if len(changes.digest) else pd.Series(dtype=int)
    counts_text = "Listed: " + ", ".join(f"{kind} {int(n)}" for kind, n in counts.items()) + "." if len(counts) else ""
    env = environment("reports", "writing the change digest page")  # kamtools' one Jinja2 setup (autoescape)
    page = env.from_string(_TEMPLATE).render(
        csp=DIGEST_CSP,
        css=trusted(*LIST_PAGE_CSS),  # kamtools' own stylesheets (not data), as on the index page
        previous_as_of=str(changes.previous_as_of.date()),
        current_as_of=str(changes.current_as_of.date()),
        n_accounts=len(rows),
        slip=f"{TARGET_SLIP * 100:.0f}",
        revision=f"{REVISION_SHARE:.0%}",
        counts=counts_text,
        notes=list(changes.notes),
        rows=rows,
    )
    path = out / DIGEST_PAGE
    atomic_write(path, page)
    write_record(changes, bundle, out)
    return path


def _plain(value):
    """A JSON value: None for a missing number or date, ISO text for a date, str for ids and texts."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_record(changes, bundle, out_dir: str | os.PathLike) -> Path:
    """Write ``OUT_DIR/.kamtools-state/since.json`` (atomically): the digest rows, the previous plan's
    actions followed up and the notes of ``changes``, with the fingerprints of both bundles and the
    ``--since`` freshness values of the run (see :func:`read_record`)."""
    from kamtools.outputs import write_atomic
    from kamtools.reports.state import STATE_DIR

    digest_cols = ["rank", "account_id", "name", "owner", "kind", "sentence", "value_at_stake"]
    action_cols = ["account_id", "action_id", "action", "priority", "due_date", "value_at_stake", "follow_up"]
    action_cols += ["follow_up_text", "rule_id", "condition_holds"]
    record = {
        "format": RECORD_FORMAT,
        "bundle_fingerprint": bundle.fingerprint,
        "since": changes.freshness,
        "previous_path": str(changes.previous_path),
        "previous_as_of": str(changes.previous_as_of.date()),
        "current_as_of": str(changes.current_as_of.date()),
        "notes": list(changes.notes),
        "digest": [{c: _plain(r.get(c)) for c in digest_cols} for r in changes.digest.to_dict("records")],
        "actions": [{c: _plain(r.get(c)) for c in action_cols} for r in changes.actions.to_dict("records")],
    }
    for row in record["digest"] + record["actions"]:
        row["account_id"] = str(row["account_id"])
    folder = Path(out_dir) / STATE_DIR
    folder.mkdir(exist_ok=True)
    path = folder / RECORD
    write_atomic(path, json.dumps(record, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    return path


def read_record(out_dir: str | os.PathLike, bundle) -> tuple[dict | None, str]:
    """The ``--since`` record of the reports folder ``out_dir`` for ``bundle``, and one sentence on it.

    ``(record, sentence)``: the record of :func:`write_record` when it belongs to ``bundle``'s data
    and no report of that data was rendered after it with another ``--since`` or without one;
    else ``(None, why)``. The sentence names no path: a KAM's digest shows it.
    """
    from kamtools.reports.state import STATE_DIR

    out = Path(out_dir)
    path = out / STATE_DIR / RECORD
    none = "so this digest has no changes since the last review"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
            raise ValueError("not a record of this kamtools version")
        if not isinstance(record["digest"], list) or not isinstance(record["actions"], list):
            raise ValueError("no digest or actions list")
    except FileNotFoundError:
        return None, f"The reports were rendered without --since, {none}."
    except (OSError, ValueError, KeyError, TypeError):
        return (
            None,
            f"The record of the last --since run cannot be read, {none}; render the reports again with --since.",
        )
    if record.get("bundle_fingerprint") != bundle.fingerprint:
        return None, f"The change digest of the reports folder was made from other data than these accounts, {none}."
    made = path.stat().st_mtime
    for sidecar in sorted((out / STATE_DIR).glob("*.json"))[:5000]:
        if sidecar.name == RECORD or sidecar.stat().st_mtime <= made:
            continue
        try:
            fresh = json.loads(sidecar.read_text(encoding="utf-8")).get("freshness") or {}
        except (OSError, ValueError, AttributeError):
            continue
        if fresh.get("bundle_fingerprint") == bundle.fingerprint and fresh.get("since") != record.get("since"):
            return None, (
                f"The reports were rendered again without the --since of the change digest of "
                f"{record.get('previous_as_of')}, {none}."
            )
    return record, f"Changes since the review of {record.get('previous_as_of')}."
