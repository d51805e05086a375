"""Deliver a reports folder to the key account managers: a pack per KAM, optionally by e-mail.

:func:`plan_delivery` reads a reports folder (``kamtools reports --out OUT``), the analysis
bundle it was rendered from and an owners file (``owner,email``: the owner name exactly as
in ``accounts.owner``, and the KAM's e-mail address), and works out each KAM's pack: their
accounts' report files (``accounts/<stem>.html``, ``.pdf``, ``.pptx`` decks) and a digest page
of their accounts (tier, health, churn risk, revenue; the largest risks and actions; and, when
the reports were rendered with ``--since``, the changes since the last review on their own
accounts, read from the record ``kamtools reports --since`` left in the folder: see
:func:`kamtools.review.since_pages.read_record`).
:func:`build_packs` writes ``DEST/<kam>/`` (digest.html, accounts/) and ``DEST/<kam>.zip``
for every KAM into a new delivery folder, which replaces the previous one only when it is
complete (:mod:`kamtools.outputs` rules). :func:`send_packs` sends one e-mail per KAM over
SMTP (:mod:`smtplib`, :class:`email.message.EmailMessage`): the digest in the body and the
zip attached when it is under a size limit, else the folder's link or path; each send is
tried a bounded number of times with a growing wait, and every KAM who did not get the
e-mail is in the result with the reason -- nothing is dropped silently.

Names, account names and texts from the data are escaped in the digest (Jinja2 autoescape)
and never form a path (folders are named with :func:`kamtools.reports.state.report_stem`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import smtplib
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pandas as pd

from kamtools import formatting
from kamtools.review.smtp import describe_failure, is_permanent, is_unreachable, send_once

__all__ = [
    "DEFAULT_MAX_ATTACH_MB",
    "PASSWORD_ENV",
    "DeliveryError",
    "DeliveryPlan",
    "KamPack",
    "SendResult",
    "SmtpSettings",
    "build_packs",
    "find_bundle",
    "plan_delivery",
    "read_owners",
    "record_bundle",
    "send_packs",
]

DEFAULT_MAX_ATTACH_MB = 10.0
PASSWORD_ENV = "KAMTOOLS_SMTP_PASSWORD"
DELIVERY_DIR = "delivery"
DIGEST = "digest.html"
RECORD = "delivery.json"
BUNDLE_RECORD = "source-bundle.json"  # in the reports folder's state folder: the bundle its reports came from
REPORT_EXTS = ("html", "pdf", "pptx")
REPORT_FOLDERS = ("accounts", "decks")
TOP_N = 10  # risks and actions listed in a digest
SINCE_ACTIONS_N = 100  # followed-up actions of the last review listed in a digest (all are counted)
FOLLOW_UP_ORDER = ("overdue", "open", "done", "resolved", "account gone")  # what needs the KAM first
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+$")


class DeliveryError(ValueError):
    """The reports folder, bundle, owners file or SMTP settings cannot be used (one sentence)."""


# ---- inputs ---------------------------------------------------------------------------------


def _clean_name(value: object) -> str:
    """A name as one line of single-spaced text (also safe in an e-mail header)."""
    return " ".join(str(value).split()) if value is not None and not pd.isna(value) else ""


def read_owners(path: str | os.PathLike) -> pd.DataFrame:
    """The owners file: columns ``owner`` and ``email`` (header names in any case).

    Returns ``owner`` (single-spaced), ``email`` and ``line``. Raises :class:`DeliveryError`
    naming the file, the column and the lines: a missing or unreadable file, a missing
    column, empty cells, an address that is not one plain e-mail address, or an owner
    listed twice with different addresses.
    """
    from kamtools.data.readers import read_csv

    p = Path(path)
    if not p.is_file():
        raise DeliveryError(f"the owners file {p} does not exist; give a CSV with the columns owner,email")
    raw = read_csv("owners", p, origin=str(p))
    errors = [pr for pr in raw.problems if pr.level == "error"]
    if errors:
        raise DeliveryError(f"{p}: {errors[0].message} {errors[0].hint}".strip())
    frame = raw.frame
    label = raw.row_label
    by_lower = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ("owner", "email") if c not in by_lower]
    if missing:
        raise DeliveryError(
            f"{p}: no column {' or '.join(repr(m) for m in missing)}; the owners file needs the columns owner "
            f"(the name as in accounts.owner) and email; it has {', '.join(map(str, frame.columns)) or 'no columns'}"
        )
    out = pd.DataFrame(
        {
            "owner": frame[by_lower["owner"]].map(_clean_name),
            "email": frame[by_lower["email"]].map(lambda v: "" if pd.isna(v) else str(v).strip()),
            "line": frame.index.astype("int64"),
        }
    )

    def lines(mask: pd.Series) -> str:
        rows = out.loc[mask, "line"].tolist()
        shown = ", ".join(map(str, rows[:8])) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
        return f"{label}{'s' if len(rows) != 1 else ''} {shown}"

    if (out["owner"] == "").any():
        raise DeliveryError(f"{p}, column 'owner': empty on {lines(out['owner'] == '')}; fill in the KAM's name")
    bad = ~out["email"].map(lambda e: bool(_EMAIL.match(e)))
    if bad.any():
        example = out.loc[bad, "email"].iloc[0]
        raise DeliveryError(
            f"{p}, column 'email': not one plain e-mail address on {lines(bad)} (e.g. {example!r}); "
            "write one address such as kam@example.com per line"
        )
    firsts = out.drop_duplicates("owner")
    clash = out["owner"].map(firsts.set_index("owner")["email"]) != out["email"]
    if clash.any():
        name = out.loc[clash, "owner"].iloc[0]
        raise DeliveryError(
            f"{p}, column 'email': {name!r} has two different addresses ({lines(out['owner'] == name)}); keep one"
        )
    return firsts.reset_index(drop=True)


def find_bundle(out_dir: str | os.PathLike, bundle: str | os.PathLike | None = None):
    """The analysis bundle behind the reports folder ``out_dir``.

    ``bundle`` when given; else a bundle folder inside ``out_dir`` (``kamtools demo`` keeps it
    at ``OUT/bundle``) whose data fingerprint matches the reports' records. Raises
    :class:`DeliveryError` saying to pass ``--bundle`` when there is none.
    """
    from kamtools.bundle import Bundle, BundleError
    from kamtools.outputs import output_kind

    out = Path(out_dir)
    if bundle is not None:
        try:
            return Bundle.open(bundle)
        except BundleError as exc:
            raise DeliveryError(str(exc)) from exc
    prints = _report_fingerprints(out)
    recorded, why_not = _recorded_bundle(out, prints)
    if recorded is not None:
        return recorded
    found = []
    for sub in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if output_kind(sub) == "bundle":
            try:
                b = Bundle.open(sub)
            except BundleError:
                continue
            if not prints or b.fingerprint in prints:
                found.append(b)
    if len(found) == 1:
        return found[0]
    if not found:
        raise DeliveryError(
            f"{out} does not hold the analysis bundle its reports were made from{why_not}; "
            "give it with --bundle BUNDLE_DIR (the folder given to `kamtools reports`)"
        )
    raise DeliveryError(
        f"{out} holds several bundles ({', '.join(b.path.name for b in found)}); choose one with --bundle BUNDLE_DIR"
    )


def record_bundle(out_dir: str | os.PathLike, bundle) -> Path:
    """Note in the reports folder ``out_dir`` which bundle its reports were rendered from (its
    absolute path and data fingerprint), so that ``kamtools deliver OUT`` finds it without
    ``--bundle``. Written by ``kamtools reports`` after a run; returns the record's path."""
    from kamtools.bundle import Bundle
    from kamtools.outputs import write_atomic
    from kamtools.reports.state import STATE_DIR

    b = bundle if isinstance(bundle, Bundle) else Bundle.open(bundle)
    state = Path(out_dir) / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    path = state / BUNDLE_RECORD
    record = {"bundle": str(Path(b.path).resolve()), "fingerprint": b.fingerprint, "as_of": str(b.as_of.date())}
    write_atomic(path, json.dumps(record, indent=1) + "\n")
    return path


def _recorded_bundle(out: Path, prints: set[str]):
    """(the bundle recorded by :func:`record_bundle`, "") when it is still there with the reports'
    data; else (None, a clause on why it was not used, or "" without a record)."""
    from kamtools.bundle import Bundle, BundleError
    from kamtools.reports.state import STATE_DIR

    try:
        record = json.loads((out / STATE_DIR / BUNDLE_RECORD).read_text(encoding="utf-8"))
        where = str(record["bundle"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, ""
    try:
        b = Bundle.open(where)
        fingerprint = b.fingerprint
    except (BundleError, OSError, KeyError, ValueError):
        return None, f" (`kamtools reports` rendered them from {where}, which is no longer a readable bundle)"
    wanted = prints or {str(record.get("fingerprint"))}
    if fingerprint not in wanted:
        return None, f" (`kamtools reports` rendered them from {where}, which now holds other data)"
    return b, ""


def _report_fingerprints(out: Path) -> set[str]:
    prints: set[str] = set()
    state = out / ".kamtools-state"
    if state.is_dir():
        for f in sorted(state.glob("*.json"))[:2000]:
            try:
                fresh = json.loads(f.read_text(encoding="utf-8")).get("freshness") or {}
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(fresh, dict) and fresh.get("bundle_fingerprint"):
                prints.add(str(fresh["bundle_fingerprint"]))
    return prints


# ---- the plan -------------------------------------------------------------------------------


@dataclass
class KamPack:
    """One KAM's pack: who, which accounts, which files, and the digest page."""

    owner: str
    email: str
    folder: str  # the folder name under the delivery folder (safe characters only)
    accounts: pd.DataFrame
    files: list[tuple[Path, str]]  # (source file, path inside the pack)
    missing_reports: list[str]  # account ids without any report file
    digest_html: str = ""
    email_html: str = ""
    since_summary: str = ""  # one sentence on the changes since the last review (or why there are none)

    @property
    def size(self) -> int:
        return sum(src.stat().st_size for src, _ in self.files if src.exists())


@dataclass
class DeliveryPlan:
    """Every KAM's pack, and who or what is left out (with the reason)."""

    out_dir: Path
    bundle_path: Path
    as_of: str
    packs: list[KamPack]
    owners_without_accounts: list[str] = field(default_factory=list)
    unowned_accounts: dict[str, list[str]] = field(default_factory=dict)  # owner name -> account ids
    mismatch: str | None = None  # the reports were made from another bundle's data
    since_note: str = ""  # where the digests' changes since the last review come from, or why there are none

    def notes(self) -> list[str]:
        """Sentences on the changes since the last review, owners without accounts and accounts
        whose owner has no e-mail."""
        out = [self.mismatch] if self.mismatch else []
        if self.since_note:
            out.append(self.since_note)
        if self.owners_without_accounts:
            out.append(
                f"{len(self.owners_without_accounts)} owner(s) in the owners file have no account in the bundle "
                f"(nothing to send): {', '.join(self.owners_without_accounts)}"
            )
        for owner, ids in self.unowned_accounts.items():
            shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
            who = repr(owner) if owner else "no owner"
            out.append(
                f"{len(ids)} account(s) of {who} are not delivered: that owner is not in the owners file ({shown})"
            )
        return out


_DIGEST_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Accounts of {{ owner }}, data as of {{ as_of }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2937;margin:24px;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.num{text-align:right;white-space:nowrap}.muted{color:#6b7280}
</style></head><body>
<h1>Accounts of {{ owner }}</h1>
<p class="muted">{{ accounts|length }} account(s); data as of {{ as_of }}; made by kamtools.</p>
<h2>Accounts</h2>
<table><thead><tr><th>Account</th><th>Tier</th><th>Health</th><th>Churn risk</th>
<th>Revenue, last 12 months</th><th>Revenue at risk</th><th>Reports</th></tr></thead><tbody>
{% for a in accounts %}<tr><td>{{ a.name }} <span class="muted">({{ a.account_id }})</span></td>
<td>{{ a.tier or "–" }}</td><td>{{ a.health or "–" }}</td><td>{{ a.churn or "–" }}</td>
<td class="num">{{ a.revenue or "–" }}</td><td class="num">{{ a.at_risk or "–" }}</td>
<td>{% for f in a.files %}{% if links %}<a href="{{ f.href }}">{{ f.label }}</a>{% else %}{{ f.label }}{% endif %}{% if not loop.last %}, {% endif %}{% else %}<span class="muted">no report rendered</span>{% endfor %}</td></tr>
{% endfor %}</tbody></table>
<h2>Largest risks</h2>
{% if risks %}<table><thead><tr><th>Account</th><th>Risk</th><th>Severity</th><th>Value at stake</th></tr></thead><tbody>
{% for r in risks %}<tr><td>{{ r.name }}</td><td>{{ r.risk }}</td><td>{{ r.severity }}</td><td class="num">{{ r.value or "–" }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p class="muted">{{ risks_note }}</p>{% endif %}
<h2>Most valuable actions</h2>
{% if actions %}<table><thead><tr><th>Account</th><th>Action</th><th>Due</th><th>Priority</th><th>Value at stake</th><th>Id</th></tr></thead><tbody>
{% for x in actions %}<tr><td>{{ x.name }}</td><td>{{ x.subject }}{% if x.note %}<br><span class="muted">{{ x.note }}</span>{% endif %}</td><td>{{ x.due_date }}</td><td>{{ x.priority }}</td>
<td class="num">{{ x.value or "–" }}</td><td class="muted">{{ x.action_id }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p class="muted">{{ actions_note }}</p>{% endif %}
<h2>Since the last review</h2>
{% if since %}<p class="muted">{{ since.previous_as_of }} → {{ as_of }}. {{ since.summary }}</p>
{% if since.changes %}<table><thead><tr><th>Account</th><th>What changed</th><th>Value at stake</th></tr></thead><tbody>
{% for c in since.changes %}<tr><td>{{ c.name }} <span class="muted">({{ c.account_id }})</span></td>
<td>{% for item in c["items"] %}<span class="muted">{{ item.kind }}:</span> {{ item.sentence }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td>
<td class="num">{{ c.value or "–" }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p class="muted">Nothing notable changed on these accounts since the review of {{ since.previous_as_of }}.</p>{% endif %}
<h2>Actions of the last review, followed up</h2>
{% if since.actions %}<table><thead><tr><th>Account</th><th>Action</th><th>Due</th><th>Follow-up</th><th>Value at stake</th><th>Id</th></tr></thead><tbody>
{% for x in since.actions %}<tr><td>{{ x.name }}</td><td>{{ x.action }}</td><td>{{ x.due_date or "–" }}</td><td>{{ x.follow_up }}</td>
<td class="num">{{ x.value or "–" }}</td><td class="muted">{{ x.action_id }}</td></tr>
{% endfor %}</tbody></table>{% if since.more %}<p class="muted">{{ since.more }}</p>{% endif %}
{% else %}<p class="muted">The plan of {{ since.previous_as_of }} had no actions for these accounts.</p>{% endif %}
{% else %}<p class="muted">{{ since_note }}</p>{% endif %}
{% if footer %}<p class="muted">{{ footer }}</p>{% endif %}
</body></html>
"""


def _cell(v: object) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _tier(v: object) -> str:
    """A tier as the report writes it: "Tier 1" (tiers are stored as numbers, 1.0 in parquet)."""
    text = _cell(v)
    if not text:
        return ""
    try:
        number = float(text)
    except ValueError:
        return text if text.lower().startswith("tier") else f"Tier {text}"
    return f"Tier {int(number)}" if number.is_integer() else f"Tier {text}"


def _band(row: pd.Series, band: str, value: str, pct: bool) -> str:
    b = _cell(row.get(band))
    x = row.get(value)
    num = ""
    if x is not None and not pd.isna(x):
        num = formatting.pct(x) if pct else formatting.number(x, 0)
    return f"{b} ({num})" if b and num else (b or num)


def _environment():
    """A Jinja2 environment that escapes every value (Jinja2 comes with the ``reports`` extra,
    which made the reports folder; without it, one sentence naming the extra)."""
    from kamtools.templating import environment

    return environment("reports", "writing the digest pages of `kamtools deliver`")


def plan_delivery(
    out_dir: str | os.PathLike,
    owners: str | os.PathLike | pd.DataFrame,
    bundle: str | os.PathLike | None = None,
    link_base: str | None = None,
) -> DeliveryPlan:
    """Work out every KAM's pack (nothing is written). See the module docs.

    ``link_base``: a URL under which the delivery folder will be reachable (a file share or
    intranet); the e-mail then links each file and folder under it.
    """
    from kamtools.reports.state import report_stem

    out = Path(out_dir)
    _check_reports_folder(out)
    b = find_bundle(out, bundle)
    owner_table = read_owners(owners) if not isinstance(owners, pd.DataFrame) else owners
    acc = b.accounts.drop_duplicates("account_id").copy()
    acc["_owner"] = acc["owner"].map(_clean_name)
    plan = _empty_plan(out, b, owner_table, acc)
    actions, actions_note, risks, risks_note = _plan_tables(b)
    since, since_note = _since_record(out, b, plan)

    env = _environment()
    template = env.from_string(_DIGEST_TEMPLATE)
    currency = formatting.currency_of(b)
    by_stem = report_files(out)
    for _, who in owner_table.iterrows():
        mine = _accounts_of(acc, who["owner"])
        if mine.empty:
            continue
        folder = report_stem(who["owner"])
        rows, files, missing = _account_rows(mine, by_stem, currency)
        names = mine.set_index("account_id")["name"].map(_cell)
        ids = set(mine["account_id"])
        pack = KamPack(who["owner"], who["email"], folder, mine, files, missing)
        common = {
            "owner": who["owner"],
            "as_of": plan.as_of,
            "accounts": rows,
            "risks": _top_risks(risks, ids, names, currency),
            "actions": _top_actions(actions, ids, currency, since),
            "risks_note": risks_note,
            "actions_note": actions_note,
            "since": _since_of(since, ids, who["owner"], names, currency),
            "since_note": since_note,
        }
        if common["since"]:
            pack.since_summary = (
                f"Since the review of {common['since']['previous_as_of']}: {common['since']['summary']}"
            )
        else:
            pack.since_summary = since_note
        _render_digests(pack, template, common, link_base)
        plan.packs.append(pack)
    return plan


def _check_reports_folder(out: Path) -> None:
    """Refuse anything but a reports folder written by ``kamtools reports --out``."""
    from kamtools.outputs import output_kind

    if not out.is_dir():
        raise DeliveryError(f"{out} is not a folder; give the reports folder written by `kamtools reports --out`")
    if output_kind(out) != "reports":
        raise DeliveryError(
            f"{out} is not a kamtools reports folder; give the folder written by `kamtools reports --out OUT`"
        )


def _empty_plan(out: Path, b, owner_table: pd.DataFrame, acc: pd.DataFrame) -> DeliveryPlan:
    """The plan without packs: the data fingerprint check, owners without accounts and
    accounts whose owner is not in the owners file."""
    known = set(owner_table["owner"])
    owned = set(acc["_owner"])
    plan = DeliveryPlan(out.resolve(), Path(b.path).resolve(), str(b.as_of.date()), [])
    prints = _report_fingerprints(out)
    if prints and b.fingerprint not in prints:
        plan.mismatch = (
            f"the reports in {out} were rendered from other data than the bundle {b.path} "
            "(their records name another data fingerprint); the owners and digests come from that bundle"
        )
    plan.owners_without_accounts = [o for o in owner_table["owner"] if o not in owned]
    for owner, part in acc[~acc["_owner"].isin(known)].groupby("_owner", sort=True):
        plan.unowned_accounts[str(owner)] = part["account_id"].tolist()
    return plan


def _plan_tables(b) -> tuple[pd.DataFrame | None, str, pd.DataFrame | None, str]:
    """The bundle's plan actions and risks (None when it has no plans) with the sentence a
    digest shows when a KAM has none."""
    from kamtools.data.portfolio import NotAvailable
    from kamtools.review.actions import actions_frame

    try:
        actions = actions_frame(b)
        actions_note = "No account plan actions are due for these accounts."
    except Exception as exc:  # noqa: BLE001 - a bundle without plans still delivers its reports
        actions, actions_note = None, f"No account plans in this bundle ({exc})."

    risks = b.table("plan_risks")
    risks_note = "No risks were found for these accounts."
    if isinstance(risks, NotAvailable):
        risks_note, risks = f"No account plans in this bundle ({risks.reason}).", None
    return actions, actions_note, risks, risks_note


def _since_record(out: Path, b, plan: DeliveryPlan) -> tuple[dict | None, str]:
    """The ``--since`` record of the reports folder for bundle ``b`` (or None) and the sentence a
    digest shows without it; sets the plan's note on where the changes come from."""
    from kamtools.review.since_pages import read_record

    record, sentence = read_record(out, b)
    if record is None:
        plan.since_note = sentence
        return None, sentence
    plan.since_note = (
        f"each digest lists the changes on the KAM's own accounts since the review of {record['previous_as_of']} "
        f"(the reports were rendered with --since {record.get('previous_path')})"
    )
    return record, sentence


def _since_of(record: dict | None, ids: set, owner: str, names: pd.Series, currency: str | None) -> dict | None:
    """One KAM's part of the ``--since`` record: the digest rows of their accounts (grouped per
    account, in rank order) and the last review's actions on them, followed up; never another
    KAM's accounts. An account gone since the last review is theirs when it was theirs then."""
    from kamtools.review.since.constants import ACTION_STATUS_TEXT

    if record is None:
        return None
    ids = {str(a) for a in ids}
    gone = {
        str(d["account_id"])
        for d in record["digest"]
        if d.get("kind") == "account gone" and _clean_name(d.get("owner")) == owner and str(d["account_id"]) not in ids
    }
    mine = ids | gone
    changes: list[dict] = []
    by_account: dict[str, dict] = {}
    for d in sorted(record["digest"], key=lambda d: d.get("rank") or 0):
        acc = str(d["account_id"])
        if acc not in mine:
            continue
        if acc not in by_account:
            value = d.get("value_at_stake")
            by_account[acc] = {
                "account_id": acc,
                "name": names.get(acc) or _cell(d.get("name")) or acc,
                "value": formatting.money(value, currency) if value is not None else "",
                "items": [],
            }
            changes.append(by_account[acc])
        kind, sentence = str(d.get("kind") or ""), str(d.get("sentence") or "")
        prefix = f"{kind[:1].upper()}{kind[1:]}: "
        by_account[acc]["items"].append({"kind": kind, "sentence": sentence.removeprefix(prefix)})
    order = {s: i for i, s in enumerate(FOLLOW_UP_ORDER)}
    acts = [x for x in record["actions"] if str(x["account_id"]) in mine]
    acts.sort(key=lambda x: (order.get(x.get("follow_up"), len(order)), -(x.get("value_at_stake") or 0.0)))
    digest_names = {str(d["account_id"]): _cell(d.get("name")) for d in record["digest"]}
    shown = [
        {
            "name": names.get(str(x["account_id"])) or digest_names.get(str(x["account_id"])) or str(x["account_id"]),
            "action": _cell(x.get("action")),
            "due_date": _cell(x.get("due_date")),
            "follow_up": _cell(x.get("follow_up_text")) or _cell(x.get("follow_up")),
            "value": formatting.money(x.get("value_at_stake"), currency) if x.get("value_at_stake") is not None else "",
            "action_id": _cell(x.get("action_id")),
        }
        for x in acts[:SINCE_ACTIONS_N]
    ]
    counts = pd.Series([x.get("follow_up") for x in acts], dtype="object").value_counts()
    n_items = sum(len(c["items"]) for c in changes)
    parts = [f"{int(counts[s])} {ACTION_STATUS_TEXT[s].split(':')[0]}" for s in FOLLOW_UP_ORDER if s in counts]
    summary = f"{n_items} notable change(s) on {len(changes)} of these accounts" + (
        f"; of the {len(acts)} action(s) planned then: {', '.join(parts)}." if acts else "; no action was planned then."
    )
    return {
        "previous_as_of": record.get("previous_as_of", ""),
        "summary": summary,
        "changes": changes,
        "actions": shown,
        "more": (
            f"The {SINCE_ACTIONS_N} first of {len(acts)} actions (overdue and open first); the others are counted above."
            if len(acts) > SINCE_ACTIONS_N
            else ""
        ),
    }


def _accounts_of(acc: pd.DataFrame, owner: str) -> pd.DataFrame:
    """One owner's accounts, largest revenue first (by id when there is no revenue)."""
    return acc[acc["_owner"] == owner].sort_values(
        ["revenue_ltm", "account_id"] if "revenue_ltm" in acc.columns else ["account_id"],
        ascending=[False, True] if "revenue_ltm" in acc.columns else [True],
        kind="stable",
    )


def _account_rows(
    mine: pd.DataFrame, by_stem: dict[str, list[Path]], currency: str | None
) -> tuple[list[dict], list[tuple[Path, str]], list[str]]:
    """The digest's account rows, the report files of the pack and the accounts without one."""
    from kamtools.reports.state import report_stem

    files: list[tuple[Path, str]] = []
    rows, missing = [], []
    for _, a in mine.iterrows():
        found = by_stem.get(report_stem(a["account_id"]), [])
        if not found:
            missing.append(a["account_id"])
        links = []
        for src in found:
            inner = f"accounts/{src.name}"
            files.append((src, inner))
            links.append({"label": _label(src), "href": inner})
        rows.append(
            {
                "account_id": a["account_id"],
                "name": _cell(a.get("name")) or a["account_id"],
                "tier": _tier(a.get("tier")),
                "health": _band(a, "health_band", "health_score", pct=False),
                "churn": _band(a, "risk_band", "churn_probability", pct=True),
                "revenue": formatting.money(a.get("revenue_ltm"), currency),
                "at_risk": formatting.money(a.get("revenue_at_risk"), currency),
                "files": links,
            }
        )
    return rows, files, missing


def _top_risks(risks: pd.DataFrame | None, ids: set, names: pd.Series, currency: str | None) -> list[dict]:
    """The largest risks of these accounts by value at stake."""
    if risks is None:
        return []
    r = risks[risks["account_id"].isin(ids)].copy()
    r = r.sort_values("value_at_stake", ascending=False, na_position="last", kind="stable").head(TOP_N)
    return [
        {
            "name": names.get(str(x["account_id"]), str(x["account_id"])),
            "risk": _cell(x["risk"]),
            "severity": _cell(x.get("severity")),
            "value": formatting.money(x["value_at_stake"], currency),
        }
        for _, x in r.iterrows()
    ]


def _top_actions(actions: pd.DataFrame | None, ids: set, currency: str | None, since: dict | None = None) -> list[dict]:
    """The most valuable plan actions of these accounts. An action the last review's follow-up found
    done in the CRM while its condition still holds says so, under the id of its new task (the one
    ``kamtools export-actions --tasks`` writes), so it does not read as the closed task reopened."""
    from kamtools.review.actions import open_occurrence

    if actions is None:
        return []
    again = {
        (str(a["account_id"]), str(a.get("rule_id"))): a
        for a in (since or {}).get("actions", [])
        if a.get("follow_up") == "done" and a.get("condition_holds")
    }
    closed = {str(a["action_id"]) for a in again.values()}
    x = actions[actions["account_id"].isin(ids)]
    x = x.sort_values("value_at_stake", ascending=False, na_position="last", kind="stable").head(TOP_N)
    rows = []
    for _, y in x.iterrows():
        row = {
            "name": _cell(y["account_name"]) or y["account_id"],
            "subject": y["subject"],
            "note": "",
            "due_date": y["due_date"],
            "priority": y["priority"],
            "value": formatting.money(y["value_at_stake"], currency),
            "action_id": y["action_id"],
        }
        done = again.get((str(y["account_id"]), str(y["rule_id"])))
        if done is not None:
            row["action_id"] = open_occurrence(y["account_id"], y["rule_id"], closed)[0]
            row["note"] = (
                f"Task {done['action_id']} was marked done in the CRM, but the condition still holds; "
                "this is a new task for it."
            )
        rows.append(row)
    return rows


def _render_digests(pack: KamPack, template, common: dict, link_base: str | None) -> None:
    """The pack's digest page (links into the pack) and e-mail body (links under ``link_base``,
    or plain labels without it)."""
    pack.digest_html = template.render(**common, links=True, footer="")
    if link_base:
        base = link_base.rstrip("/") + "/" + pack.folder + "/"
        mail_rows = [{**r, "files": [{**f, "href": base + f["href"]} for f in r["files"]]} for r in common["accounts"]]
        pack.email_html = template.render(
            **{**common, "accounts": mail_rows}, links=True, footer=f"The pack is at {base}"
        )
    else:
        pack.email_html = template.render(**common, links=False, footer="")


_REPORT_FILE = re.compile(
    rf"^(?P<stem>.+-[0-9a-f]{{10}})(?:[.-](?P<variant>[A-Za-z]+))?\.(?P<ext>{'|'.join(REPORT_EXTS)})$"
)


def report_files(out: str | os.PathLike) -> dict[str, list[Path]]:
    """The report files of a reports folder by account file stem
    (:func:`kamtools.reports.state.report_stem`): ``<stem>.<ext>`` and
    ``<stem>-<variant>.<ext>`` (decks: ``-internal``, ``-customer``) in the report folders,
    for the extensions of :data:`REPORT_EXTS`; each folder is listed once."""
    found: dict[str, list[Path]] = {}
    for sub in REPORT_FOLDERS:
        folder = Path(out) / sub
        if not folder.is_dir():
            continue
        for f in sorted(folder.iterdir()):
            m = _REPORT_FILE.match(f.name)
            if m and f.is_file() and not f.is_symlink():
                found.setdefault(m["stem"], []).append(f)
    return found


def _label(path: Path) -> str:
    m = _REPORT_FILE.match(path.name)
    variant = m["variant"] if m else None
    return path.suffix[1:].upper() + (f" ({variant})" if variant else "")


# ---- writing the packs ----------------------------------------------------------------------


STORED_EXTS = (".pdf", ".pptx", ".zip", ".png", ".jpg")  # already compressed: stored as they are


def _zip_pack(folder: Path, zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                how = zipfile.ZIP_STORED if f.suffix.lower() in STORED_EXTS else zipfile.ZIP_DEFLATED
                zf.write(f, f"{folder.name}/{f.relative_to(folder).as_posix()}", compress_type=how)


def build_packs(plan: DeliveryPlan, dest: str | os.PathLike | None = None) -> Path:
    """Write every pack into the delivery folder ``dest`` (default ``OUT/delivery``); returns it.

    The folder is new, empty or an earlier delivery folder (replaced only once the new one
    is complete); anything else raises :class:`kamtools.outputs.OutputError`.
    """
    from kamtools.outputs import (
        MARKER,
        OutputError,
        check_output_dir,
        marker_text,
        remove_stale,
        replace_folder,
        temp_name,
        write_failure,
    )

    target = Path(dest) if dest is not None else plan.out_dir / DELIVERY_DIR
    check_output_dir(target, "delivery", flag="--to", reading=plan.bundle_path)
    remove_stale(target.parent, target.name)
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / temp_name(target.name)
        tmp.mkdir()
        (tmp / MARKER).write_text(marker_text("delivery"), encoding="utf-8")
        for pack in plan.packs:
            folder = tmp / pack.folder
            (folder / "accounts").mkdir(parents=True)
            (folder / DIGEST).write_text(pack.digest_html, encoding="utf-8")
            for src, inner in pack.files:
                shutil.copyfile(src, folder / inner)
            _zip_pack(folder, tmp / f"{pack.folder}.zip")
        replace_folder(tmp, target, "delivery", flag="--to")  # nothing else appeared meanwhile
    except OSError as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(
            write_failure(target, exc, flag="--to") + "; the previous delivery folder is unchanged"
        ) from exc
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def write_record(folder: Path, plan: DeliveryPlan, results: list[SendResult] | None) -> None:
    """``delivery.json`` in the delivery folder: what each KAM was given (and sent)."""
    from kamtools.outputs import write_atomic

    by_owner = {r.owner: r for r in results or []}
    record = {
        "reports": str(plan.out_dir),
        "bundle": str(plan.bundle_path),
        "as_of": plan.as_of,
        "made": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "kams": [
            {
                "owner": p.owner,
                "email": p.email,
                "folder": p.folder,
                "accounts": p.accounts["account_id"].tolist(),
                "files": [inner for _, inner in p.files],
                "missing_reports": p.missing_reports,
                "sent": None if p.owner not in by_owner else by_owner[p.owner].sent,
                "attempts": None if p.owner not in by_owner else by_owner[p.owner].attempts,
                "error": None if p.owner not in by_owner else by_owner[p.owner].error,
            }
            for p in plan.packs
        ],
        "owners_without_accounts": plan.owners_without_accounts,
        "unowned_accounts": plan.unowned_accounts,
    }
    write_atomic(folder / RECORD, json.dumps(record, indent=1, ensure_ascii=False) + "\n")


# ---- sending --------------------------------------------------------------------------------


@dataclass
class SmtpSettings:
    """Where and how to send. ``password`` comes from :data:`PASSWORD_ENV`, never a flag."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    tls: str = "auto"  # auto (STARTTLS when offered), starttls, ssl, none
    timeout: float = 30.0
    tries: int = 3
    wait: float = 2.0  # seconds before the first retry; doubled for each further one
    max_attach: int = int(DEFAULT_MAX_ATTACH_MB * 1024 * 1024)
    link_base: str | None = None

    @classmethod
    def parse(cls, address: str, sender: str, **kw) -> SmtpSettings:
        """From ``HOST:PORT`` (port 25 when left out) and the sender address; checked."""
        text = str(address).strip()
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "25")
        if text.startswith("[") and "]" in text:  # [::1]:25
            host, _, port = text[1:].partition("]")
            port = port.lstrip(":") or "25"
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise DeliveryError(f"--smtp {address!r}: give HOST:PORT, e.g. smtp.example.com:587")
        if not sender or not _EMAIL.match(sender.strip()):
            raise DeliveryError(f"--from {sender!r}: give the sender's e-mail address, e.g. kam-reports@example.com")
        settings = cls(host, int(port), sender.strip(), **kw)
        if settings.tries < 1:
            raise DeliveryError("--tries must be 1 or more")
        if settings.tls not in ("auto", "starttls", "ssl", "none"):
            raise DeliveryError(f"--tls {settings.tls!r}: choose auto, starttls, ssl or none")
        if settings.user and settings.tls == "none":
            raise DeliveryError("--smtp-user needs an encrypted connection; use --tls auto, starttls or ssl")
        if settings.user and settings.password is None:
            raise DeliveryError(
                f"--smtp-user {settings.user!r} needs the password in the environment variable {PASSWORD_ENV} "
                "(kamtools never takes a password on the command line)"
            )
        return settings


@dataclass
class SendResult:
    """What happened to one KAM's e-mail."""

    owner: str
    email: str
    sent: bool
    attempts: int
    attached: bool
    error: str | None = None


def _message(pack: KamPack, plan: DeliveryPlan, zip_path: Path, folder: Path, s: SmtpSettings) -> tuple:
    msg = EmailMessage()
    msg["From"] = s.sender
    msg["To"] = pack.email
    msg["Subject"] = f"Account pack for {pack.owner}: {len(pack.accounts)} accounts, data as of {plan.as_of}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=s.sender.rpartition("@")[2] or None)
    size = zip_path.stat().st_size
    attach = size <= s.max_attach
    where = (s.link_base.rstrip("/") + "/" + pack.folder + "/") if s.link_base else str(folder)
    if attach:
        lead = f"Your account pack is attached ({zip_path.name}, {size / 1e6:.1f} MB)."
    else:
        lead = (
            f"Your account pack ({size / 1e6:.1f} MB) is larger than the attachment limit "
            f"({s.max_attach / 1e6:.1f} MB), so it is not attached; it is at {where}"
        )
    names = ", ".join(_cell(n) for n in pack.accounts["name"].head(20))
    more = f" and {len(pack.accounts) - 20} more" if len(pack.accounts) > 20 else ""
    msg.set_content(
        f"Hello {pack.owner},\n\n{lead}\n\nYour accounts (data as of {plan.as_of}): {names}{more}.\n"
        f"{pack.since_summary}\n"
        "The digest of your accounts (largest risks and actions, and what changed since the last review) "
        f"is in the HTML part of this e-mail and in {DIGEST} in the pack.\n\n-- kamtools\n"
    )
    html = pack.email_html.replace("<body>", f"<body><p>{_escape(lead)}</p>", 1)  # the lead sentence above the digest
    msg.add_alternative(html, subtype="html")
    if attach:
        msg.add_attachment(zip_path.read_bytes(), maintype="application", subtype="zip", filename=zip_path.name)
    return msg, attach


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def send_packs(
    plan: DeliveryPlan,
    folder: Path,
    settings: SmtpSettings,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SendResult]:
    """Send each KAM their e-mail; returns one result per pack, in order.

    Each e-mail is tried up to ``settings.tries`` times, waiting ``wait``, ``2*wait``, ...
    in between; a 5xx reply (unknown address, refused login) is not tried again. When the
    server could not be reached on any try of one KAM, the KAMs after it are tried once
    each until a send gets through again (then every KAM gets all its tries), so a server
    that is down costs one timeout per KAM rather than several; every one of them is
    still in the result with the reason.
    """
    results = []
    down = False  # the previous KAM's every try failed to reach the server
    for pack in plan.packs:
        zip_path = folder / f"{pack.folder}.zip"
        msg, attached = _message(pack, plan, zip_path, folder / pack.folder, settings)
        error = None
        attempts = 0
        tries = 1 if down else settings.tries
        all_unreachable = True
        for attempt in range(1, tries + 1):
            attempts = attempt
            try:
                send_once(msg, settings)
                error = None
                all_unreachable = False
                break
            except (smtplib.SMTPException, OSError) as exc:
                error = describe_failure(exc)
                all_unreachable = all_unreachable and is_unreachable(exc)
                last = attempt == tries or is_permanent(exc)
                note = ""
                if not last:
                    note = f"; trying again in {settings.wait * 2 ** (attempt - 1):g} s"
                elif down:
                    note = " (the server was unreachable for the KAM before: tried once)"
                say(f"  {pack.owner} <{pack.email}>: try {attempt} of {tries} failed: {error}{note}")
                if last:
                    break
                sleep(settings.wait * 2 ** (attempt - 1))
        down = error is not None and all_unreachable
        results.append(SendResult(pack.owner, pack.email, error is None, attempts, attached, error))
    return results
