"""What changed since the last review: one analysis bundle compared with an earlier one.

``kamtools analyze`` runs each month; :func:`compare_bundles` puts this month's bundle
beside last month's (or last quarter's) and says, per account:

* status: ``both`` (in both bundles), ``new`` (only in the current one), ``gone`` (only in
  the previous one);
* revenue of the last 12 months (``revenue_ltm``), next-12-month forecast
  (``forecast_next_12m``), target attainment year to date (``target_attainment``) and
  the expected attainment of the year's target (``target_expected_attainment``; compared
  only when both bundles measure the same target year), churn probability and band
  (``churn_probability``, ``risk_band``), tier and portfolio quadrant (``tier``,
  ``quadrant``): before, now and the difference;
* the churn drivers that moved (``churn_drivers``, by feature): new, no longer a driver,
  or still a driver with its value then and now;
* new and resolved risks (``plan_risks``, by playbook rule);
* the previous plan's actions followed up (``plan_actions``): ``done`` (marked done in a
  CRM task export, see :func:`kamtools.review.actions.read_tasks`), ``resolved`` (the
  playbook rule behind it no longer fires for the account: neither a risk nor an action of
  the current plan), ``overdue`` (due before the current as-of date) or ``open``; each
  action carries its stable id (:func:`kamtools.review.actions.action_id`);
* value at stake: the money the account's current plan actions protect or win
  (``plan_summary.value_at_stake``; the previous plan's for an account that is gone).

:attr:`Changes.digest` ranks the portfolio's notable changes by value at stake: accounts
that changed churn band or tier, new high-severity risks, targets slipping (expected
attainment down by :data:`TARGET_SLIP` or more and now below 100%), the largest forecast revisions (at least
:data:`REVISION_SHARE` of the previous forecast), new accounts and accounts gone.

Bundles written by different kamtools versions, with different account sets or with a
table in only one of them are compared where they can be; :attr:`Changes.notes` says
what was left out and why. The previous bundle must be the earlier one
(:class:`SinceError` otherwise). Both bundles are only read.

Example
-------
>>> from kamtools.bundle import Bundle  # doctest: +SKIP
>>> changes = compare_bundles(Bundle.open("bundles/2026-11"), Bundle.open("bundles/2026-10"))  # doctest: +SKIP
>>> changes.digest.head()  # doctest: +SKIP
>>> changes.for_account("A0002").sentences  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamtools.formatting import currency_of, money, pct, signed_money

__all__ = [
    "ACTION_STATUSES",
    "MEASURES",
    "REVISION_SHARE",
    "TARGET_SLIP",
    "AccountChanges",
    "Changes",
    "SinceError",
    "compare_bundles",
    "open_previous",
    "since_freshness",
]

TARGET_SLIP = 0.05
"""A drop of expected target attainment (0.05 = 5 percentage points) that counts as a slipping target."""

REVISION_SHARE = 0.10
"""A forecast revision of at least this share of the previous forecast is listed in the digest."""

DIGEST_REVISIONS = 10
"""At most this many forecast revisions (the largest) are listed in the digest."""

# measure key -> (accounts.parquet column, label, kind) ; kind: money, pct (share), prob
MEASURES: dict[str, tuple[str, str, str]] = {
    "revenue": ("revenue_ltm", "Revenue, last 12 months", "money"),
    "forecast": ("forecast_next_12m", "Forecast, next 12 months", "money"),
    "attainment": ("target_attainment", "Target attainment, year to date", "pct"),
    "expected_attainment": ("target_expected_attainment", "Expected attainment of the year's target", "pct"),
    "churn": ("churn_probability", "Churn probability", "pct"),
    "revenue_at_risk": ("revenue_at_risk", "Revenue at risk", "money"),
}

TEXT_FIELDS = ("name", "owner", "tier", "quadrant", "risk_band", "target_period")
BAND_ORDER = {"low": 0, "medium": 1, "high": 2, "lapsed": 3}
ACTION_STATUSES = ("done", "resolved", "overdue", "open", "account gone")
ACTION_STATUS_TEXT = {
    "done": "done (marked done in the CRM)",
    "resolved": "resolved: the condition no longer holds",
    "overdue": "overdue",
    "open": "still open",
    "account gone": "account no longer in the portfolio",
}


class SinceError(ValueError):
    """The bundles cannot be compared (wrong order, unreadable previous bundle or task export)."""


# ---- reading ---------------------------------------------------------------------------------


def open_previous(path: str | os.PathLike, current=None):
    """Open the previous bundle at ``path`` (read only); :class:`SinceError` with one sentence otherwise.

    With ``current`` (a :class:`kamtools.bundle.Bundle`), the previous bundle must be dated
    before it and must not be the same folder.
    """
    from kamtools.bundle import Bundle, BundleError

    p = Path(path)
    if not p.exists():
        raise SinceError(f"--since: {p} does not exist; give the folder of the previous analysis bundle")
    if not p.is_dir():
        raise SinceError(f"--since: {p} is not a folder; give the folder of the previous analysis bundle")
    try:
        previous = Bundle.open(p)
        previous.as_of  # noqa: B018 - a manifest without a date is not a bundle
    except (BundleError, KeyError, ValueError, OSError) as exc:
        raise SinceError(
            f"--since: {exc}"
            if isinstance(exc, BundleError)
            else f"--since: {p} is not a readable kamtools bundle ({exc})"
        ) from exc
    if current is not None:
        check_order(current, previous)
    return previous


def check_order(current, previous) -> None:
    """:class:`SinceError` unless ``previous`` is dated before ``current``."""
    if Path(previous.path).resolve() == Path(current.path).resolve():
        raise SinceError(f"--since: {previous.path} is the bundle being reported on; give the previous month's bundle")
    if previous.as_of >= current.as_of:
        raise SinceError(
            f"--since: the previous bundle {previous.path} is dated {previous.as_of.date()}, not before the current "
            f"bundle ({current.as_of.date()}); give the older bundle to --since"
        )


def _read(bundle, name: str, accounts: list[str] | None) -> pd.DataFrame | None:
    """Table ``name`` of ``bundle`` (only ``accounts``' rows when given), or None when it is not there."""
    if not bundle.has(name):
        return None
    if accounts is None:
        return bundle.table(name)
    return pd.read_parquet(Path(bundle.path) / f"{name}.parquet", filters=[("account_id", "in", list(accounts))])


def since_freshness(
    previous, tasks_path: str | os.PathLike | None = None, mapping: str | os.PathLike | None = None
) -> dict:
    """What a report rendered ``--since`` depends on: the previous bundle and the task export (hashes)."""

    def digest(path) -> str | None:
        if path is None or str(path) == "":
            return None
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]

    return {
        "previous_fingerprint": previous.fingerprint,
        "previous_manifest": digest(Path(previous.path) / "manifest.json"),
        "tasks": digest(tasks_path),
        "tasks_mapping": digest(mapping),
    }


def read_task_export(path: str | os.PathLike, mapping: str | os.PathLike | None = None) -> pd.DataFrame:
    """A CRM task export read with :func:`kamtools.review.actions.read_tasks`; its errors as :class:`SinceError`."""
    from kamtools.review.actions import CrmMappingError, TaskFileError, read_tasks

    try:
        return read_tasks(path, mapping=mapping or None)
    except (TaskFileError, CrmMappingError) as exc:
        raise SinceError(f"--tasks: {exc}") from exc


# ---- small helpers -------------------------------------------------------------------------------


def _missing(v: object) -> bool:
    return (
        v is None
        or v is pd.NA
        or v is pd.NaT
        or (isinstance(v, float) and math.isnan(v))
        or str(v) in ("nan", "None", "")
    )


def _fmt(value: object, kind: str, currency: str | None = None) -> str:
    """A figure of the comparison: money with the bundle's currency, shares as whole percents
    (the same rounding as the points of a change beside them)."""
    if _missing(value):
        return "n/a"
    return money(value, currency) if kind == "money" else pct(value, digits=0)


def _fmt_change(
    value: object, kind: str, before: object = None, after: object = None, currency: str | None = None
) -> str:
    """A change as text: money signed, shares in percentage points. With ``before`` and
    ``after`` the points are those between the two rounded percentages shown beside it
    (73% to 81% reads +8 pts, whatever the decimals)."""
    if _missing(value):
        return ""
    v = float(value)
    if kind == "money":
        return signed_money(v, currency)
    pts = round(v * 100)
    if not _missing(before) and not _missing(after):
        pts = round(float(after) * 100) - round(float(before) * 100)
    return f"{pts:+d} pts" if pts != 0 else "±0 pts"


def _band_move(before: object, after: object) -> str:
    b, a = BAND_ORDER.get(str(before)), BAND_ORDER.get(str(after))
    if b is None or a is None or a == b:
        return ""
    return "worse" if a > b else "better"


def _tier_text(v: object) -> str:
    if _missing(v):
        return "n/a"
    try:
        return f"tier {int(float(v))}"
    except (TypeError, ValueError):
        return f"tier {v}"


def _tier_move(before: object, after: object) -> str:
    if _missing(before) or _missing(after) or str(before) == str(after):
        return ""
    try:
        return "up" if float(after) < float(before) else "down"  # tier 1 is the top tier
    except (TypeError, ValueError):
        return "changed"


# ---- the result ------------------------------------------------------------------------------------


@dataclass
class AccountChanges:
    """One account's changes since the last review, as sentences and small tables (for reports and decks).

    ``figures``: measure, label, previous, current, change, previous_text, current_text,
    change_text. ``highlights``: the notable changes (the account's lines of the digest:
    band or tier moved, new high risks, target slipping, a forecast revision of
    :data:`REVISION_SHARE` or more), as sentences. ``drivers``: status (new / no longer a driver / still a driver), label,
    previous, current (sentences). ``risks``: status (new / resolved), severity, risk,
    value_at_stake. ``actions``: the previous plan's actions with ``follow_up``
    (:data:`ACTION_STATUSES`) and ``follow_up_text``.
    """

    account_id: str
    name: str
    status: str
    previous_as_of: pd.Timestamp
    current_as_of: pd.Timestamp
    row: dict
    figures: pd.DataFrame
    drivers: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)
    currency: str | None = None  # the current bundle's (settings.currency): money is written with it

    @property
    def sentences(self) -> list[str]:
        """Plain sentences on what changed (what a KAM says in the review)."""
        out: list[str] = []
        prev, cur = self.previous_as_of.date(), self.current_as_of.date()
        if self.status == "new":
            return [f"This account is new since the review of {prev}: it was not in the previous analysis."]
        if self.status == "gone":
            return [f"This account was in the analysis of {prev} but is no longer in the one of {cur}."]
        r = self.row
        for key in ("revenue", "forecast"):
            col, label, kind = MEASURES[key]
            b, a = r.get(f"{col}_previous"), r.get(f"{col}_current")
            if _missing(b) or _missing(a):
                continue
            ch = float(a) - float(b)
            rel = f" ({pct(ch / float(b), signed=True, digits=0)})" if float(b) and abs(ch / float(b)) >= 0.005 else ""
            if round(ch) == 0:
                out.append(f"{label}: unchanged at {_fmt(a, kind, self.currency)}.")
            else:
                verb = "up" if ch > 0 else "down"
                out.append(
                    f"{label}: {verb} {money(abs(ch), self.currency)}{rel}, from {_fmt(b, kind, self.currency)} to {_fmt(a, kind, self.currency)}."
                )
        for key in ("attainment", "expected_attainment"):
            col, label, kind = MEASURES[key]
            b, a = r.get(f"{col}_previous"), r.get(f"{col}_current")
            if _missing(b) or _missing(a):
                continue
            if round(float(a) * 100) == round(float(b) * 100):
                out.append(f"{label}: unchanged at {_fmt(a, kind, self.currency)}.")
            else:
                out.append(
                    f"{label}: {_fmt(a, kind, self.currency)}, was {_fmt(b, kind, self.currency)} ({_fmt_change(float(a) - float(b), kind, b, a, self.currency)})."
                )
        b, a = r.get("risk_band_previous"), r.get("risk_band_current")
        pb, pa = r.get("churn_probability_previous"), r.get("churn_probability_current")
        if not _missing(a) and not _missing(b):
            probs = ""
            if not _missing(pb) and not _missing(pa):
                probs = f" (probability {_fmt(pb, 'pct')} then, {_fmt(pa, 'pct')} now)"
            if str(a) != str(b):
                word = (
                    "rose" if r.get("band_move") == "worse" else "fell" if r.get("band_move") == "better" else "moved"
                )
                out.append(f"Churn risk {word} from {b} to {a}{probs}.")
            else:
                out.append(f"Churn risk stays {a}{probs}.")
        b, a = r.get("tier_previous"), r.get("tier_current")
        if not _missing(a) and not _missing(b) and str(a) != str(b):
            out.append(f"Tier moved from {_tier_text(b)} to {_tier_text(a)}.")
        bq, aq = r.get("quadrant_previous"), r.get("quadrant_current")
        if not _missing(aq) and not _missing(bq) and str(aq) != str(bq):
            out.append(f"Portfolio quadrant moved from {bq} to {aq}.")
        return out

    @property
    def action_summary(self) -> str:
        """One sentence counting the previous plan's actions by follow-up status."""
        if self.actions.empty:
            return f"The plan of {self.previous_as_of.date()} had no actions for this account."
        counts = self.actions["follow_up"].value_counts()
        parts = [f"{int(counts[s])} {ACTION_STATUS_TEXT[s].split(':')[0]}" for s in ACTION_STATUSES if s in counts]
        n = len(self.actions)
        return (
            f"Of the {n} action{'s' if n != 1 else ''} planned on {self.previous_as_of.date()}: "
            + ", ".join(parts)
            + "."
        )


@dataclass
class Changes:
    """Everything that changed between two bundles (see the module docs).

    ``accounts``: one row per account in either bundle: account_id, name, owner, status
    (both/new/gone), for each column of :data:`MEASURES` ``<col>_previous``,
    ``<col>_current``, ``<col>_change``; ``risk_band_previous/_current``, ``band_move``
    (worse/better/''), ``tier_previous/_current``, ``tier_move`` (up/down/''),
    ``quadrant_previous/_current``, ``forecast_change_pct``, ``value_at_stake``, ``badge``
    (a short text for the report index).
    ``drivers``, ``risks``, ``actions``: see :class:`AccountChanges` (with account_id).
    ``digest``: rank, account_id, name, owner, kind, sentence, value_at_stake.
    """

    current_as_of: pd.Timestamp
    previous_as_of: pd.Timestamp
    previous_path: str
    accounts: pd.DataFrame
    drivers: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame
    digest: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    freshness: dict | None = None  # what reports rendered from these changes depend on (set by kamtools reports)
    currency: str | None = None  # the current bundle's (settings.currency): money is written with it

    def for_account(self, account_id: str) -> AccountChanges:
        """One account's changes; KeyError when the account is in neither bundle."""
        account_id = str(account_id)
        rows = self.accounts[self.accounts["account_id"] == account_id]
        if rows.empty:
            raise KeyError(f"account_id {account_id!r} is in neither bundle")
        row = rows.iloc[0].to_dict()
        figures = []
        for key, (col, label, kind) in MEASURES.items():
            if f"{col}_previous" not in row:
                continue
            b, a, ch = row[f"{col}_previous"], row[f"{col}_current"], row.get(f"{col}_change")
            if _missing(b) and _missing(a):
                continue
            figures.append(
                {
                    "measure": key,
                    "label": label,
                    "previous": b,
                    "current": a,
                    "change": ch,
                    "previous_text": _fmt(b, kind, self.currency),
                    "current_text": _fmt(a, kind, self.currency),
                    "change_text": _fmt_change(ch, kind, b, a, self.currency),
                }
            )
        for col, label, fmt in (
            ("risk_band", "Churn band", str),
            ("tier", "Tier", _tier_text),
            ("quadrant", "Portfolio quadrant", str),
        ):
            b, a = row.get(f"{col}_previous"), row.get(f"{col}_current")
            if _missing(b) and _missing(a):
                continue
            bt = "n/a" if _missing(b) else fmt(b)
            at = "n/a" if _missing(a) else fmt(a)
            figures.append(
                {
                    "measure": col,
                    "label": label,
                    "previous": b,
                    "current": a,
                    "change": None,
                    "previous_text": bt,
                    "current_text": at,
                    "change_text": "" if bt == at else "changed",
                }
            )
        fig_cols = ["measure", "label", "previous", "current", "change", "previous_text", "current_text", "change_text"]

        def part(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["account_id"] == account_id].drop(columns="account_id").reset_index(drop=True)

        return AccountChanges(
            account_id=account_id,
            name=str(row.get("name") or account_id),
            status=str(row["status"]),
            previous_as_of=self.previous_as_of,
            current_as_of=self.current_as_of,
            row=row,
            figures=pd.DataFrame(figures, columns=fig_cols),
            drivers=part(self.drivers),
            risks=part(self.risks),
            actions=part(self.actions),
            notes=list(self.notes),
            highlights=list(
                _digest(
                    rows,
                    self.risks[self.risks["account_id"] == account_id],
                    self.previous_as_of.date(),
                    self.current_as_of.date(),
                    top=None,
                    currency=self.currency,
                )["sentence"]
            ),
            currency=self.currency,
        )


# ---- comparing ----------------------------------------------------------------------------------------


def _accounts_table(cur: pd.DataFrame, prev: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    cur = cur.drop_duplicates("account_id").set_index("account_id")
    prev = prev.drop_duplicates("account_id").set_index("account_id")
    ids = list(dict.fromkeys([*cur.index.astype(str), *prev.index.astype(str)]))
    cur.index, prev.index = cur.index.astype(str), prev.index.astype(str)
    out = pd.DataFrame({"account_id": ids})
    in_cur, in_prev = out["account_id"].isin(cur.index), out["account_id"].isin(prev.index)
    out["status"] = np.where(in_cur & in_prev, "both", np.where(in_cur, "new", "gone"))
    for col in ("name", "owner"):
        now = out["account_id"].map(cur[col]) if col in cur.columns else pd.Series(None, index=out.index)
        then = out["account_id"].map(prev[col]) if col in prev.columns else pd.Series(None, index=out.index)
        out[col] = now.where(now.notna(), then).astype(object)
    for col, label, _ in MEASURES.values():
        has_c, has_p = col in cur.columns, col in prev.columns
        if not (has_c and has_p):
            if has_c or has_p:
                which = "current" if has_c else "previous"
                notes.append(f"{label} is only in the {which} bundle, so its change is left out.")
            continue
        out[f"{col}_previous"] = pd.to_numeric(out["account_id"].map(prev[col]), errors="coerce")
        out[f"{col}_current"] = pd.to_numeric(out["account_id"].map(cur[col]), errors="coerce")
        out[f"{col}_change"] = out[f"{col}_current"] - out[f"{col}_previous"]
    # the expected attainment of the year's target compares only within one target year
    if {"target_period"} <= set(cur.columns) & set(prev.columns) and "target_expected_attainment_change" in out:
        p_then = out["account_id"].map(prev["target_period"])
        p_now = out["account_id"].map(cur["target_period"])
        other_year = p_then.notna() & p_now.notna() & (p_then.astype(str) != p_now.astype(str))
        if other_year.any():
            out.loc[other_year, "target_expected_attainment_change"] = np.nan
            notes.append(
                f"The target year changed for {int(other_year.sum())} account(s) (e.g. {p_then[other_year].iloc[0]} to "
                f"{p_now[other_year].iloc[0]}), so their expected target attainment is not compared."
            )
    for col in ("risk_band", "tier", "quadrant"):
        if col in cur.columns and col in prev.columns:
            out[f"{col}_previous"] = out["account_id"].map(prev[col]).astype(object)
            out[f"{col}_current"] = out["account_id"].map(cur[col]).astype(object)
        elif col in cur.columns or col in prev.columns:
            notes.append(f"The {col.replace('_', ' ')} is only in one of the bundles, so its change is left out.")
    if "risk_band_previous" in out:
        out["band_move"] = [
            _band_move(b, a) for b, a in zip(out["risk_band_previous"], out["risk_band_current"], strict=True)
        ]
    else:
        out["band_move"] = ""
    if "tier_previous" in out:
        out["tier_move"] = [_tier_move(b, a) for b, a in zip(out["tier_previous"], out["tier_current"], strict=True)]
    else:
        out["tier_move"] = ""
    if "forecast_next_12m_change" in out:
        base = out["forecast_next_12m_previous"]
        out["forecast_change_pct"] = (out["forecast_next_12m_change"] / base).where(base > 0)
    return out


def _value_at_stake(out: pd.DataFrame, cur_ps: pd.DataFrame | None, prev_ps: pd.DataFrame | None) -> pd.Series:
    def series(ps):
        if ps is None or "value_at_stake" not in ps.columns:
            return pd.Series(dtype=float)
        ps = ps.assign(account_id=ps["account_id"].astype(str)).drop_duplicates("account_id")
        return ps.set_index("account_id")["value_at_stake"]

    now = out["account_id"].map(series(cur_ps))
    then = out["account_id"].map(series(prev_ps))
    return pd.to_numeric(now.where(out["status"] != "gone", then), errors="coerce").fillna(0.0)


DRIVER_COLUMNS = ["account_id", "status", "feature", "label", "previous", "current", "contribution_change"]


def _drivers(cur: pd.DataFrame | None, prev: pd.DataFrame | None, both: set[str], notes: list[str]) -> pd.DataFrame:
    if cur is None or prev is None:
        if (cur is None) != (prev is None):
            notes.append("The churn drivers are in only one of the bundles, so the drivers that moved are left out.")
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    from kamtools.sections.churn import driver_sentence

    def prep(df):
        df = df[df["account_id"].astype(str).isin(both)].copy()
        df["account_id"] = df["account_id"].astype(str)
        records = df.drop_duplicates(["account_id", "feature"]).to_dict("records")
        return {(r["account_id"], r["feature"]): {**r, "text": driver_sentence(r)} for r in records}

    c, p = prep(cur), prep(prev)
    rows = []
    for key in list(dict.fromkeys([*c, *p])):
        acc, feat = key
        now, then = c.get(key), p.get(key)
        label = str((now if now is not None else then)["label"])
        if now is not None and then is not None:
            if str(now["value_text"]) == str(then["value_text"]):
                continue  # the same fact as at the last review: nothing moved
            status = "still a driver"
            change = float(now["contribution"]) - float(then["contribution"])
        elif now is not None:
            status, change = "new", float(now["contribution"])
        else:
            status, change = "no longer a driver", -float(then["contribution"])
        rows.append(
            {
                "account_id": acc,
                "status": status,
                "feature": feat,
                "label": label,
                "previous": None if then is None else str(then["text"]),
                "current": None if now is None else str(now["text"]),
                "contribution_change": change,
            }
        )
    order = {"new": 0, "still a driver": 1, "no longer a driver": 2}
    df = pd.DataFrame(rows, columns=DRIVER_COLUMNS)
    if len(df):
        df = df.sort_values(
            ["account_id", "status"], key=lambda s: s.map(order) if s.name == "status" else s, kind="stable"
        )
    return df.reset_index(drop=True)


RISK_COLUMNS = ["account_id", "status", "rule_id", "severity", "risk", "value_at_stake"]


def _risks(cur: pd.DataFrame | None, prev: pd.DataFrame | None, both: set[str], notes: list[str]) -> pd.DataFrame:
    if cur is None or prev is None:
        if (cur is None) != (prev is None):
            notes.append("The plan's risks are in only one of the bundles, so new and resolved risks are left out.")
        return pd.DataFrame(columns=RISK_COLUMNS)
    c = cur[cur["account_id"].astype(str).isin(both)].assign(account_id=lambda d: d["account_id"].astype(str))
    p = prev[prev["account_id"].astype(str).isin(both)].assign(account_id=lambda d: d["account_id"].astype(str))
    ckeys = set(zip(c["account_id"], c["rule_id"].astype(str), strict=True))
    pkeys = set(zip(p["account_id"], p["rule_id"].astype(str), strict=True))
    new = c[[(a, str(r)) not in pkeys for a, r in zip(c["account_id"], c["rule_id"], strict=True)]].assign(status="new")
    gone = p[[(a, str(r)) not in ckeys for a, r in zip(p["account_id"], p["rule_id"], strict=True)]].assign(
        status="resolved"
    )
    df = pd.concat([new, gone], ignore_index=True)
    if df.empty:
        return pd.DataFrame(columns=RISK_COLUMNS)
    df["value_at_stake"] = pd.to_numeric(df["value_at_stake"], errors="coerce")
    df = df.sort_values(["account_id", "status", "value_at_stake"], ascending=[True, True, False], kind="stable")
    return df[RISK_COLUMNS].reset_index(drop=True)


ACTION_COLUMNS = [
    "account_id",
    "action_id",
    "rule_id",
    "action",
    "priority",
    "owner",
    "due_date",
    "value_at_stake",
    "follow_up",
    "follow_up_text",
]


def _actions(
    cur_actions: pd.DataFrame | None,
    cur_risks: pd.DataFrame | None,
    prev_actions: pd.DataFrame | None,
    status: pd.Series,
    current_as_of: pd.Timestamp,
    tasks: pd.DataFrame | None,
    notes: list[str],
    whole: bool = True,
) -> pd.DataFrame:
    from kamtools.review.actions import action_id

    if prev_actions is None:
        notes.append("The previous bundle has no account plan actions, so there are no actions to follow up.")
        return pd.DataFrame(columns=ACTION_COLUMNS)
    p = prev_actions.copy()
    p["account_id"] = p["account_id"].astype(str)
    p = p.sort_values(["account_id", "order"], kind="stable") if "order" in p.columns else p
    p["action_id"] = [action_id(a, r) for a, r in zip(p["account_id"], p["rule_id"], strict=True)]
    p["due_date"] = pd.to_datetime(p["due_date"])
    firing: set[tuple[str, str]] | None = None
    if cur_actions is not None or cur_risks is not None:
        firing = set()
        for df in (cur_actions, cur_risks):
            if df is not None:
                firing |= set(zip(df["account_id"].astype(str), df["rule_id"].astype(str), strict=True))
    else:
        notes.append(
            "The current bundle has no account plan, so whether last review's conditions still hold is not known."
        )
    done: set[str] = set()
    if tasks is not None:
        if not {"action_id", "done"} <= set(tasks.columns):
            raise SinceError(
                "the CRM task export needs the columns action_id and done (see kamtools.review.actions.read_tasks)"
            )
        done = set(tasks.loc[tasks["done"].astype(bool), "action_id"].astype(str))
        unknown = set(tasks["action_id"].astype(str)) - set(p["action_id"])
        if unknown and whole:
            notes.append(
                f"{len(unknown)} task(s) of the CRM export match no action of the plan of the previous review "
                "(made for an older plan); they are not counted."
            )
    acc_status = dict(zip(status.index, status, strict=True))
    follow = []
    for a, r, aid, due in zip(p["account_id"], p["rule_id"].astype(str), p["action_id"], p["due_date"], strict=True):
        if aid in done:
            follow.append("done")
        elif acc_status.get(a) == "gone":
            follow.append("account gone")
        elif firing is not None and (a, r) not in firing:
            follow.append("resolved")
        elif pd.notna(due) and due < current_as_of:
            follow.append("overdue")
        else:
            follow.append("open")
    p["follow_up"] = follow
    p["follow_up_text"] = [
        f"overdue since {d.date()}" if f == "overdue" else ACTION_STATUS_TEXT[f]
        for f, d in zip(follow, p["due_date"], strict=True)
    ]
    p["value_at_stake"] = pd.to_numeric(p["value_at_stake"], errors="coerce")
    return p[ACTION_COLUMNS].reset_index(drop=True)


DIGEST_COLUMNS = ["rank", "account_id", "name", "owner", "kind", "sentence", "value_at_stake"]
DIGEST_KINDS = (
    "churn band",
    "tier",
    "new high risk",
    "target slipping",
    "forecast revision",
    "new account",
    "account gone",
)


def _digest(
    acc: pd.DataFrame,
    risks: pd.DataFrame,
    prev_date,
    cur_date,
    top: int | None = DIGEST_REVISIONS,
    currency: str | None = None,
) -> pd.DataFrame:
    rows = []

    def add(r, kind, sentence, value=None):
        v = r["value_at_stake"] if value is None or _missing(value) else float(value)
        rows.append(
            {
                "account_id": r["account_id"],
                "name": r["name"],
                "owner": r["owner"],
                "kind": kind,
                "sentence": sentence,
                "value_at_stake": float(v),
            }
        )

    for _, r in acc.iterrows():
        if r["status"] == "new":
            add(r, "new account", f"New since the review of {prev_date}.")
            continue
        if r["status"] == "gone":
            add(r, "account gone", f"In the analysis of {prev_date}, no longer in the one of {cur_date}.")
            continue
        if r.get("band_move"):
            pb, pa = r.get("churn_probability_previous"), r.get("churn_probability_current")
            probs = f" ({_fmt(pb, 'pct')} to {_fmt(pa, 'pct')})" if not _missing(pb) and not _missing(pa) else ""
            word = "up" if r["band_move"] == "worse" else "down"
            add(
                r, "churn band", f"Churn risk {word} from {r['risk_band_previous']} to {r['risk_band_current']}{probs}."
            )
        if r.get("tier_move"):
            add(
                r,
                "tier",
                f"Tier moved {r['tier_move']} from {_tier_text(r['tier_previous'])} to {_tier_text(r['tier_current'])}.",
            )
        ch = r.get("target_expected_attainment_change")
        now_att = r.get("target_expected_attainment_current")
        if not _missing(ch) and float(ch) <= -TARGET_SLIP and not _missing(now_att) and float(now_att) < 1:
            add(
                r,
                "target slipping",
                f"Expected attainment of the year's target down "
                f"{round(float(r['target_expected_attainment_previous']) * 100) - round(float(r['target_expected_attainment_current']) * 100)} pts, from "
                f"{_fmt(r['target_expected_attainment_previous'], 'pct')} to {_fmt(r['target_expected_attainment_current'], 'pct')}.",
            )
    if "forecast_change_pct" in acc:
        rev = acc[(acc["status"] == "both") & (acc["forecast_change_pct"].abs() >= REVISION_SHARE)]
        rev = rev.reindex(rev["forecast_next_12m_change"].abs().sort_values(ascending=False).index).head(
            top if top is not None else len(rev)
        )
        for _, r in rev.iterrows():
            ch = float(r["forecast_next_12m_change"])
            add(
                r,
                "forecast revision",
                f"Next-12-month forecast {'raised' if ch > 0 else 'cut'} by {money(abs(ch), currency)} "
                f"({r['forecast_change_pct']:+.0%}), "
                f"from {money(float(r['forecast_next_12m_previous']), currency)} to "
                f"{money(float(r['forecast_next_12m_current']), currency)}.",
            )
    if len(risks):
        high = risks[(risks["status"] == "new") & (risks["severity"].astype(str) == "high")]
        by_id = acc.set_index("account_id")
        for _, k in high.iterrows():
            r = by_id.loc[k["account_id"]].copy()
            r["account_id"] = k["account_id"]
            add(r, "new high risk", f"New high risk: {k['risk']}", k["value_at_stake"])
    df = pd.DataFrame(rows, columns=DIGEST_COLUMNS[1:])
    if df.empty:
        return pd.DataFrame(columns=DIGEST_COLUMNS)
    kind_order = {k: i for i, k in enumerate(DIGEST_KINDS)}
    df["_k"] = df["kind"].map(kind_order)
    df = df.sort_values(["value_at_stake", "account_id", "_k"], ascending=[False, True, True], kind="stable")
    df = df.drop(columns="_k").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df[DIGEST_COLUMNS]


def _badge(r: pd.Series) -> str:
    if r["status"] == "new":
        return "new account"
    if r["status"] == "gone":
        return "account gone"
    bits = []
    if r.get("band_move"):
        bits.append(f"churn {r['risk_band_previous']} → {r['risk_band_current']}")
    if r.get("tier_move"):
        bits.append(f"{_tier_text(r['tier_previous'])} → {_tier_text(r['tier_current'])}")
    change = r.get("forecast_change_pct")
    if not _missing(change) and abs(float(change)) >= REVISION_SHARE:
        bits.append(f"forecast {pct(change, signed=True, digits=0)}")
    return "; ".join(bits)


def compare_bundles(current, previous, tasks: pd.DataFrame | None = None, accounts: list[str] | None = None) -> Changes:
    """Compare ``current`` with the earlier bundle ``previous`` (both :class:`kamtools.bundle.Bundle`).

    ``tasks``: a CRM task export as read by :func:`kamtools.review.actions.read_tasks`
    (columns ``action_id`` and ``done``), or None. ``accounts``: compare only these
    account ids (reads only their rows; a report uses it for its one account).
    Raises :class:`SinceError` when ``previous`` is not dated before ``current``.
    """
    check_order(current, previous)
    ids = None if accounts is None else [str(a) for a in accounts]
    notes: list[str] = []
    v_cur, v_prev = current.manifest.get("kamtools_version"), previous.manifest.get("kamtools_version")
    if v_cur != v_prev:
        notes.append(
            f"The bundles were written by different kamtools versions ({v_prev} and {v_cur}); figures whose method changed may move for that reason alone."
        )
    pb_cur = (current.manifest.get("playbook") or {}).get("sha256")
    pb_prev = (previous.manifest.get("playbook") or {}).get("sha256")
    if pb_cur and pb_prev and pb_cur != pb_prev:
        notes.append(
            "The account-plan playbook changed between the two analyses, so some risks and actions may come and go because of the new rules."
        )
    cur_acc = _read(current, "accounts", ids)
    prev_acc = _read(previous, "accounts", ids)
    acc = _accounts_table(cur_acc, prev_acc, notes)
    acc["value_at_stake"] = _value_at_stake(
        acc, _read(current, "plan_summary", ids), _read(previous, "plan_summary", ids)
    )
    acc["badge"] = [_badge(r) for _, r in acc.iterrows()]
    acc["badge_worse"] = (
        (acc["status"] == "gone")
        | (acc["band_move"] == "worse")
        | (acc["tier_move"] == "down")
        | (acc.get("forecast_change_pct", pd.Series(np.nan, index=acc.index)) <= -REVISION_SHARE)
    )
    if accounts is None:
        n_new, n_gone = int((acc["status"] == "new").sum()), int((acc["status"] == "gone").sum())
        if n_new or n_gone:
            notes.append(
                f"{n_new} account(s) are new since {previous.as_of.date()} and {n_gone} are no longer in the portfolio; "
                "they are listed, but have no changes to compare."
            )
    both = set(acc.loc[acc["status"] == "both", "account_id"])
    drivers = _drivers(_read(current, "churn_drivers", ids), _read(previous, "churn_drivers", ids), both, notes)
    cur_risks = _read(current, "plan_risks", ids)
    risks = _risks(cur_risks, _read(previous, "plan_risks", ids), both, notes)
    actions = _actions(
        _read(current, "plan_actions", ids),
        cur_risks,
        _read(previous, "plan_actions", ids),
        acc.set_index("account_id")["status"],
        current.as_of,
        tasks,
        notes,
        whole=accounts is None,
    )
    currency = currency_of(current)
    digest = _digest(acc, risks, previous.as_of.date(), current.as_of.date(), currency=currency)
    return Changes(
        current_as_of=current.as_of,
        previous_as_of=previous.as_of,
        previous_path=str(previous.path),
        accounts=acc,
        drivers=drivers,
        risks=risks,
        actions=actions,
        digest=digest,
        notes=notes,
        currency=currency,
    )
