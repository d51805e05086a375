"""Comparing two bundles: accounts and their measures, churn drivers, risks and the previous plan's actions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.formatting import currency_of
from kamtools.review.since.constants import ACTION_STATUS_TEXT, MEASURES, REVISION_SHARE, SinceError
from kamtools.review.since.digest import _digest
from kamtools.review.since.reading import _read, check_order
from kamtools.review.since.result import Changes
from kamtools.review.since.wording import _badge, _band_move, _target_slipping, _tier_move


def _accounts_table(cur: pd.DataFrame, prev: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    cur = cur.drop_duplicates("account_id").set_index("account_id")
    prev = prev.drop_duplicates("account_id").set_index("account_id")
    ids = list(dict.fromkeys([*cur.index, *prev.index]))
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
        ps = ps.drop_duplicates("account_id")
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
        df = df[df["account_id"].isin(both)]
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
    c = cur[cur["account_id"].isin(both)]
    p = prev[prev["account_id"].isin(both)]
    ckeys = set(zip(c["account_id"], c["rule_id"], strict=True))
    pkeys = set(zip(p["account_id"], p["rule_id"], strict=True))
    new = c[[(a, r) not in pkeys for a, r in zip(c["account_id"], c["rule_id"], strict=True)]].assign(status="new")
    gone = p[[(a, r) not in ckeys for a, r in zip(p["account_id"], p["rule_id"], strict=True)]].assign(
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
    "condition_holds",
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
    from kamtools.review.actions import action_id, latest_occurrence

    if prev_actions is None:
        notes.append("The previous bundle has no account plan actions, so there are no actions to follow up.")
        return pd.DataFrame(columns=ACTION_COLUMNS)
    p = prev_actions.copy()
    p = p.sort_values(["account_id", "order"], kind="stable") if "order" in p.columns else p
    p["action_id"] = [action_id(a, r) for a, r in zip(p["account_id"], p["rule_id"], strict=True)]
    p["due_date"] = pd.to_datetime(p["due_date"])
    firing: set[tuple[str, str]] | None = None
    evidence: dict[tuple[str, str], str] = {}  # what the current plan says about a rule that still fires
    if cur_actions is not None or cur_risks is not None:
        firing = set()
        for df, col in ((cur_risks, "risk"), (cur_actions, "evidence")):
            if df is not None:
                firing |= set(zip(df["account_id"], df["rule_id"], strict=True))
                if col in df.columns:
                    for key, text in zip(zip(df["account_id"], df["rule_id"], strict=True), df[col], strict=True):
                        if isinstance(text, str) and text.strip():
                            evidence[key] = " ".join(text.split())
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
        # the CRM export is the user's file: its ids may have been read as numbers
        done = set(tasks.loc[tasks["done"].astype(bool), "action_id"].astype(str))
        known = set(tasks["action_id"].astype(str))
        # the task the CRM holds for each action: a later occurrence when an earlier one was closed
        p["action_id"] = [latest_occurrence(a, r, known)[0] for a, r in zip(p["account_id"], p["rule_id"], strict=True)]
        first = {action_id(a, r) for a, r in zip(p["account_id"], p["rule_id"], strict=True)}
        unknown = known - set(p["action_id"]) - first
        if unknown and whole:
            notes.append(
                f"{len(unknown)} task(s) of the CRM export match no action of the plan of the previous review "
                "(made for an older plan); they are not counted."
            )
    acc_status = dict(zip(status.index, status, strict=True))
    follow = []
    for a, r, aid, due in zip(p["account_id"], p["rule_id"], p["action_id"], p["due_date"], strict=True):
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
    p["condition_holds"] = [
        firing is not None and (a, r) in firing for a, r in zip(p["account_id"], p["rule_id"], strict=True)
    ]
    p["follow_up_text"] = [
        _follow_up_text(f, d, holds, evidence.get((a, r)), current_as_of)
        for f, d, holds, a, r in zip(
            follow, p["due_date"], p["condition_holds"], p["account_id"], p["rule_id"], strict=True
        )
    ]
    p["value_at_stake"] = pd.to_numeric(p["value_at_stake"], errors="coerce")
    return p[ACTION_COLUMNS].reset_index(drop=True)


def _badges(acc: pd.DataFrame, risks: pd.DataFrame) -> None:
    """The index's ``badge`` (band, tier and forecast moves, a slipping target, new high risks) and
    ``badge_worse`` (any of them a change for the worse) of every account, set in place."""
    high = pd.Series(dtype="int64")
    if len(risks):
        new_high = risks[(risks["status"] == "new") & (risks["severity"].astype(str) == "high")]
        high = new_high["account_id"].astype(str).value_counts()
    n_high = acc["account_id"].astype(str).map(high).fillna(0).astype(int)
    acc["badge"] = [_badge(r, int(n)) for (_, r), n in zip(acc.iterrows(), n_high, strict=True)]
    slipping = pd.Series([_target_slipping(r) for _, r in acc.iterrows()], index=acc.index, dtype=bool)
    acc["badge_worse"] = (
        (acc["status"] == "gone")
        | (acc["band_move"] == "worse")
        | (acc["tier_move"] == "down")
        | (acc.get("forecast_change_pct", pd.Series(np.nan, index=acc.index)) <= -REVISION_SHARE)
        | slipping
        | (n_high > 0)
    )


def _follow_up_text(follow: str, due, holds: bool, evidence: str | None, current_as_of: pd.Timestamp) -> str:
    """The follow-up as a KAM reads it; a done action whose rule still fires says so, with the evidence."""
    if follow == "overdue":
        return f"overdue since {due.date()}"
    if follow == "done" and holds:
        why = evidence or "the rule behind it still fires"
        return f"done in the CRM (by the review of {current_as_of.date()}), but the condition still holds: {why.rstrip('.')}."
    return ACTION_STATUS_TEXT[follow]


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
    _badges(acc, risks)
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
    digest = _digest(acc, risks, previous.as_of.date(), current.as_of.date(), currency=currency, actions=actions)
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
