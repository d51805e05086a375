"""Applying the playbook: risks and actions with evidence, value at stake, caps and due dates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn.bands import churn_figure
from kamtools.plan.constants import PRIORITIES
from kamtools.plan.facts import FACT_UNITS, FACTS, SCORE_FACTS, material_floor, scored
from kamtools.plan.playbook import Playbook, Rule, load_playbook
from kamtools.plan.rules import _format, _missing


# ------------------------------------------------------------------------------------------
# applying the playbook
# ------------------------------------------------------------------------------------------
def _facts_text(facts: pd.DataFrame, names: list[str], guards: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """'Label: value; ...' of the facts a condition read, per row, in the reader's words
    (e.g. 'Days since the last contact with a decision maker: 140 days'), never field names.

    A fact of ``guards`` (read only under a ``not``) that is a flag that is off or a count of none is
    left out: 'not one_time_buyer == True' or 'not churn_driver_count > 0' only route the account
    to this rule rather than a sibling one, and 'a single purchase ...: no' or 'Churn drivers listed
    ...: 0' tell the reader nothing about the risk."""
    if not names:
        return [""] * len(facts)
    cols = [
        [
            None
            if _missing(v) or _idle_guard(n, v, guards)
            else f"{SCORE_FACTS[n][1]}: {churn_figure(v, score=True)}"  # a score named and written as one
            if s
            else f"{FACTS.get(n, n.replace('_', ' '))}: {_format(v, '', FACT_UNITS.get(n, ''))}"
            for v, s in zip(facts[n].tolist(), scored(facts, n), strict=True)
        ]
        for n in names
    ]
    return ["; ".join(p for p in parts if p is not None) for parts in zip(*cols)]


def _idle_guard(name: str, value: object, guards: set[str] | frozenset[str]) -> bool:
    """A guard fact (see :func:`_facts_text`) whose value says only that the sibling rule's case is absent."""
    if name not in guards or FACT_UNITS.get(name) not in ("flag", "count"):
        return False
    try:
        return float(value) == 0.0
    except (TypeError, ValueError):
        return False


_RISK_COLUMNS = [
    "account_id",
    "order",
    "rule_id",
    "type",
    "severity",
    "risk",
    "value_at_stake",
    "value_basis",
    "evidence",
]
_ACTION_COLUMNS = [
    "account_id",
    "order",
    "rule_id",
    "type",
    "priority",
    "owner",
    "due_date",
    "due_in_days",
    "action",
    "value_at_stake",
    "value_basis",
    "evidence",
    "facts",
]


def apply_playbook(
    facts: pd.DataFrame, playbook: Playbook | None = None, as_of: pd.Timestamp | str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate every rule on every account (vectorised); return ``(risks, actions)``.

    ``risks``: account_id, order, rule_id, type, severity (the rule's priority), risk,
    value_at_stake, value_basis, evidence (the facts the condition read, e.g.
    ``Days since the last contact with a decision maker: 140 days``; not a flag that is off or a
    count of 0 read only under ``not``, see :func:`_facts_text`).
    ``actions``: account_id, order, rule_id, type, priority, owner, due_date, due_in_days,
    action, value_at_stake (the money the action protects or wins, from the rule's
    ``value`` fact: revenue at risk, overdue receivables, probability-weighted whitespace,
    lost bid value, ...), value_basis (what that figure is), evidence (the risk or evidence
    text with the account's numbers), facts (as in risks).

    Prioritising: a risk or action whose value at stake is known and below the playbook's
    ``min_value_at_stake`` is dropped (immaterial); the rest are ranked per account by priority
    (high, medium, low: what a KAM does first is the high-priority action), then value at stake
    (largest first; unknown last), then playbook order, and ``order`` numbers them in that rank
    (so the first row of an account, its top action or risk, is its most important); each
    account keeps at most ``max_actions_per_account`` actions for its tier (see :func:`_capped`
    for which); due dates are staggered so the first action is due first: each is due on its
    rule's ``due_in_days`` or ``stagger_days`` after the action before it, whichever is later,
    and an owner has at most ``owner_actions_per_week`` actions due in a week (the rest move to
    later weeks).
    """
    playbook = load_playbook(playbook)
    as_of = pd.Timestamp(as_of if as_of is not None else pd.Timestamp.today()).normalize()
    risk_parts, action_parts = [], []
    for k, rule in enumerate(playbook.rules):
        hit = rule.when.evaluate(facts)
        if not hit.any():
            continue
        risk, action = _rule_rows(rule, k, facts.loc[hit], as_of)
        risk_parts += [] if risk is None else [risk]
        action_parts += [] if action is None else [action]
    floor = material_floor(playbook.min_value_at_stake, facts)  # relative to the portfolio's scale
    risk_parts = [_material(x, floor) for x in risk_parts]
    action_parts = [_material(x, floor) for x in action_parts]
    risks = _ordered(risk_parts, RANK_KEYS, _RISK_COLUMNS)
    actions = _ordered(action_parts, RANK_KEYS, _ACTION_COLUMNS)
    actions = _capped(actions, facts, playbook)
    actions = _staggered(actions, as_of, playbook.stagger_days, playbook.owner_actions_per_week)
    return risks, actions


def _rule_rows(
    rule: Rule, k: int, sub: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The risk and action rows (None when the rule has no risk or no action) of rule number ``k``
    for the accounts ``sub`` on which its condition holds, with the ranking columns ``_rank``, ``_k``."""
    ids = sub["account_id"].to_numpy()
    value = (
        pd.to_numeric(sub[rule.value], errors="coerce").to_numpy(dtype=float)
        if rule.value is not None and rule.value in sub.columns
        else np.full(len(sub), np.nan)
    )
    basis = _basis(rule, value)
    facts_txt = _facts_text(sub, rule.names, rule.guards)
    risk_txt = rule.risk.render_many(sub) if rule.risk is not None else None
    risk = action = None
    if risk_txt is not None:
        risk = pd.DataFrame(
            {
                "account_id": ids,
                "rule_id": rule.id,
                "type": rule.type,
                "severity": rule.priority,
                "risk": risk_txt,
                "value_at_stake": value,
                "value_basis": basis,
                "evidence": facts_txt,
                "_rank": PRIORITIES[rule.priority],
                "_k": k,
            }
        )
    if rule.action is not None:
        ev = rule.evidence.render_many(sub) if rule.evidence is not None else risk_txt
        owner = rule.owner.render_many(sub) if rule.owner is not None else sub["owner"].astype(str).tolist()
        action = pd.DataFrame(
            {
                "account_id": ids,
                "rule_id": rule.id,
                "type": rule.type,
                "priority": rule.priority,
                "owner": owner,
                "due_date": as_of + pd.Timedelta(days=rule.due_in_days),
                "due_in_days": np.int64(rule.due_in_days),
                "action": rule.action.render_many(sub),
                "value_at_stake": value,
                "value_basis": basis,
                "evidence": ev,
                "facts": facts_txt,
                "_rank": PRIORITIES[rule.priority],
                "_k": k,
            }
        )
    return risk, action


_VALUE_BASIS = {
    "revenue_at_risk": "revenue at risk",
    "revenue_ltm": "last 12 months' revenue",
    "revenue_prior_ltm": "revenue of the 12 months before",
    "overdue_60_plus": "receivables over 60 days overdue",
    "overdue_ar": "overdue receivables",
    "open_ar": "open receivables",
    "value_closing_90d": "open bids closing in 90 days",
    "lost_value_12m": "bids lost in the last 12 months",
    "lost_value_to_competitor": "bids lost to the competitor",
    "target_gap": "revenue still to sell for the target",
    "next_target_shortfall": "forecast shortfall against next year's target",
    "forecast_shortfall": "forecast below the last 12 months",
    "top_whitespace_ev": "whitespace, probability-weighted",
    "margin_loss": "margin lost",
    "margin_gap_value": "margin to gain",
    "category_decline_value": "revenue lost in declining categories",
}


_NO_MONEY = {
    "relationship": "relationship risk",
    "targets": "a gap to our own target",
    "complaints": "service risk",
    "retention": "retention risk",
}
"""Why an action of a rule type without a money fact has no value at stake (shown in its place)."""

NO_MONEY_PREFIX = "no money figure: "


def _basis(rule, value: np.ndarray) -> np.ndarray:
    """``value_basis`` of each row of one rule: what the value at stake is, or, where there is no
    figure, the reason there is none (so no action shows a blank value at stake)."""
    if rule.value:
        what = _VALUE_BASIS.get(rule.value, FACTS.get(rule.value, rule.value))
        missing = f"{NO_MONEY_PREFIX}{what} is not known for this account"
    else:
        what = ""
        missing = NO_MONEY_PREFIX + _NO_MONEY.get(rule.type, f"{rule.type} risk")
    return np.where(np.isnan(value), missing, what).astype(object)


def stake_text(value: object, basis: object = "", currency: str | None = None) -> str:
    """An action's value at stake as people read it: '€1.20M (revenue at risk)', or where the
    action has no money figure, the reason from its ``value_basis`` ('no money figure: relationship
    risk'); a row written before reasons were recorded reads 'no money figure'."""
    from kamtools import formatting

    why = "" if formatting.is_missing(basis) else str(basis).strip()
    if formatting.is_missing(value):
        return why if why.startswith(NO_MONEY_PREFIX) else NO_MONEY_PREFIX.rstrip(": ")
    text = formatting.money(value, currency)
    return f"{text} ({why})" if why else text


_SAME_MONEY = {
    "revenue": (("revenue_ltm", "revenue_prior_ltm"), ("revenue_at_risk", "forecast_shortfall")),
    "receivables": (("overdue_60_plus", "overdue_ar", "open_ar"), ()),
    "margin": (("margin_loss", "margin_gap_value"), ()),
}
"""Values at stake that measure the same money, as (wholes, parts): revenue at risk (churn probability x
forecast) and the forecast's shortfall (last 12 months minus forecast) are separate parts of the last 12
months' revenue; receivables overdue 60 days are part of those overdue, which are part of those open; the
margin lost is part of the margin to gain. A total counts each group once: the largest whole, or the
parts' sum where that is larger. Bids lost in 12 months and bids lost to one competitor in 24 overlap
without one holding the other: both add."""

_GROUP_OF = {
    _VALUE_BASIS[k]: (group, kind)
    for group, (wholes, parts) in _SAME_MONEY.items()
    for kind, keys in (("whole", wholes), ("part", parts))
    for k in keys
}


def stake_once(values: object, bases: object) -> tuple[float, list[str]]:
    """One account's value at stake with each sum of money counted once (:data:`_SAME_MONEY`): of its
    actions' values that measure the same money (e.g. the revenue at risk and the last 12 months'
    revenue of one account) only the largest whole is added (or the sum of the separate parts, where
    larger); the other values (whitespace, open bids, ...) add. Returns the total (0.0 without any money
    figure) and, per group where a figure was left out, what it is part of, e.g. "revenue at risk 1.7k
    is part of last 12 months' revenue 4.1k, counted once".

    >>> stake_once([4143.83, 1656.7, 500.0], ["last 12 months' revenue", "revenue at risk", "open bids"])[0]
    4643.83
    """
    from kamtools.formatting import money

    v = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)
    b = ["" if _missing(x) else str(x) for x in bases]
    # two actions on the same fact (two rules quoting the revenue at risk) stake the same money: once
    same: dict[tuple[str, str], list[float]] = {}
    for i, (value, basis) in enumerate(zip(v, b, strict=True)):
        if not np.isnan(value):
            key = (basis, "") if basis else ("", str(i))  # a value without a basis is its own money
            same.setdefault(key, []).append(float(value))
    total, seen, notes = 0.0, {}, []
    for (basis, _), found in same.items():
        value = max(found)
        if len(found) > 1:
            notes.append(f"{basis} {money(value)} is staked by {len(found)} actions, counted once")
        key = _GROUP_OF.get(basis)
        if key is None:
            total += value
        else:
            seen.setdefault(key[0], []).append((value, basis, key[1]))
    for rows in seen.values():
        wholes = sorted((r for r in rows if r[2] == "whole"), reverse=True)
        parts = [r for r in rows if r[2] == "part"]
        part_sum = sum(r[0] for r in parts)
        if wholes and wholes[0][0] >= part_sum:
            counted, others = [wholes[0]], wholes[1:] + parts
        else:
            counted, others = parts, wholes
        total += sum(r[0] for r in counted)
        if others:
            notes.append(
                ", ".join(f"{b} {money(x)}" for x, b, _ in others)
                + f" {'is' if len(others) == 1 else 'are'} part of "
                + " and ".join(f"{b} {money(x)}" for x, b, _ in counted)
                + ", counted once"
            )
    return total, notes


RANK_KEYS = ["_rank", "_v", "_k"]
"""How a plan ranks each account's risks and actions: priority (``_rank``: high 1, medium 2, low 3),
then value at stake (``_v``: largest first, unknown last), then playbook order (``_k``)."""


def _material(part: pd.DataFrame, floor: float) -> pd.DataFrame:
    """Drop rows whose value at stake is known and below ``floor``; add the ranking key."""
    v = part["value_at_stake"].astype(float)
    part = part[~(v < floor)].copy()
    part["_v"] = -part["value_at_stake"].astype(float).fillna(-np.inf)  # largest first, unknown last
    return part


def _capped(actions: pd.DataFrame, facts: pd.DataFrame, playbook: Playbook) -> pd.DataFrame:
    """Keep at most the tier's number of actions per account, still in rank order.

    The actions arrive in rank order (priority, value at stake, playbook order). Which are kept:
    every high-priority action before any medium one, and any medium before any low; within one
    priority, a second action of the same type (two target actions, say) yields to the first
    action of every other type, so the few actions kept cover different topics. One exception: on an
    account the churn section calls lapsed, its first retention action (the win-back) is always kept,
    whatever its priority, because the churn section and the forecast send the reader to the plan for
    it (the demo cut to 12 months: a lapsed tier-3 account kept a gap-closing plan and its closing bids
    and dropped its low-cost win-back). The kept actions stay in rank order and are numbered 1, 2, ... again.
    """
    if actions.empty:
        return actions
    rank = actions["priority"].map(PRIORITIES).to_numpy()
    repeat = actions.groupby(["account_id", "priority", "type"], sort=False).cumcount().to_numpy() > 0
    lapsed = set()
    if "churn_risk_band" in facts:
        band = facts["churn_risk_band"].astype(str).str.strip().str.lower()
        lapsed = set(facts.loc[band.eq("lapsed").to_numpy(), "account_id"])
    retention = actions["type"].eq("retention") & actions["account_id"].isin(lapsed)
    first_win_back = retention & ~actions[retention].duplicated("account_id").reindex(actions.index, fill_value=True)
    pick = actions.assign(_rank=rank, _repeat=repeat, _win_back=~first_win_back.to_numpy())
    pick = pick.sort_values(["account_id", "_win_back", "_rank", "_repeat", "order"], kind="stable")
    taken = pick.groupby("account_id").cumcount().to_numpy() + 1
    tier = facts.drop_duplicates("account_id")
    tier = tier.set_index("account_id")["tier"].astype(str).str.strip().str.removeprefix("Tier ").str.strip()
    cap = pick["account_id"].map(tier).map(playbook.max_actions).fillna(playbook.max_actions_default)
    kept = actions.loc[pick.index[taken <= cap.to_numpy()]].sort_values(["account_id", "order"], kind="stable")
    kept = kept.reset_index(drop=True)
    kept["order"] = kept.groupby("account_id").cumcount().astype(np.int64) + 1
    return kept


def _staggered(actions: pd.DataFrame, as_of: pd.Timestamp, step: int, per_week: int) -> pd.DataFrame:
    """Due dates in rank order and within each owner's capacity.

    Each action is due at its rule's time or ``step`` days after the account's action ranked
    before it, whichever is later; and no owner gets more than ``per_week`` actions due in
    one week (weeks counted from the data date): the rest move to the next week with room.
    The owner's capacity goes to the most important actions first: every account's first
    action (high priority before medium before low, then the largest value first), then every
    second action, and so on.
    """
    if actions.empty:
        return actions
    rule_due = actions["due_in_days"].to_numpy(dtype=np.int64)
    due = rule_due.copy()
    acc = actions["account_id"].to_numpy()
    owner = actions["owner"].astype(str).str.replace(r" \+ .*$", "", regex=True).to_numpy()
    value = actions["value_at_stake"].astype(float).fillna(-np.inf).to_numpy()
    rank = actions["priority"].map(PRIORITIES).to_numpy()
    visit = np.lexsort((-value, rank, actions["order"].to_numpy()))  # by order, then priority, then largest value
    prev = np.full(len(due), -1)  # row of the action ranked before, in the same account
    same = np.r_[False, acc[1:] == acc[:-1]]  # rows are sorted by account, then rank
    prev[same] = np.nonzero(same)[0] - 1
    load: dict[tuple[str, int], int] = {}
    for i in visit:  # an account's earlier actions are always placed first (lower order)
        d = int(rule_due[i]) if prev[i] < 0 else max(int(rule_due[i]), int(due[prev[i]]) + step)
        week = d // 7
        while load.get((owner[i], week), 0) >= per_week:
            week += 1
        if week > d // 7:
            d = week * 7
        load[(owner[i], week)] = load.get((owner[i], week), 0) + 1
        due[i] = d
    actions = actions.copy()
    actions["due_in_days"] = due
    actions["due_date"] = as_of + pd.to_timedelta(due, unit="D")
    return actions


def _ordered(parts: list[pd.DataFrame], keys: list[str], cols: list[str]) -> pd.DataFrame:
    if not parts:
        empty = {c: pd.Series([], dtype="str") for c in cols}
        empty["order"] = pd.Series([], dtype=np.int64)
        empty["value_at_stake"] = pd.Series([], dtype=float)
        if "due_date" in cols:
            empty["due_date"] = pd.Series([], dtype="datetime64[ns]")
            empty["due_in_days"] = pd.Series([], dtype=np.int64)
        return pd.DataFrame(empty)[cols]
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(["account_id", *keys], kind="stable")
    df["order"] = df.groupby("account_id").cumcount().astype(np.int64) + 1
    df = df[cols].reset_index(drop=True)
    for c in cols:
        if c not in ("order", "due_date", "due_in_days", "value_at_stake"):
            df[c] = df[c].astype("str")
    return df
