"""Talking points for the quarterly business review."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.display import money
from kamtools.formatting import attainment, counted, no_cost


# ------------------------------------------------------------------------------------------
# talking points
# ------------------------------------------------------------------------------------------
def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return np.nan


def talking_points(
    facts: pd.DataFrame,
    objectives_df: pd.DataFrame,
    risks: pd.DataFrame,
    actions: pd.DataFrame,
    as_of: pd.Timestamp | str,
    max_risks: int = 2,
    max_actions: int = 3,
) -> pd.DataFrame:
    """A few QBR sentences per account, from its facts, objectives, risks and actions.

    Returns columns: account_id, order, topic (performance, target, objective, pipeline,
    relationship, risk, action), text.
    """
    year = pd.Timestamp(as_of).year
    obj = objectives_df[objectives_df["order"] == 1].set_index("account_id")["text"].to_dict()
    rev_basis = objectives_df[objectives_df["objective"] == "revenue"].set_index("account_id")["basis"].to_dict()
    top_r, top_a = _top_risks_and_actions(risks, actions, max_risks, max_actions)
    rows: list[tuple[str, str, str]] = []
    has_prior = "revenue_ytd_prior" in facts.columns
    for rec in facts.reindex(columns=_USED_FACTS).to_dict("records"):
        aid = rec["account_id"]
        rows.append((aid, "performance", _performance_point(rec, year, has_prior)))
        target = _target_point(rec, year)
        if target:
            rows.append((aid, "target", target))
        if aid in obj:
            basis = rev_basis.get(aid)
            rows.append((aid, "objective", obj[aid] + (f" ({basis})." if basis else ".")))
        pipeline = _pipeline_point(rec)
        if pipeline:
            rows.append((aid, "pipeline", pipeline))
        health = _health_point(rec)
        if health:
            rows.append((aid, "relationship", health))
        for r in top_r.get(aid, []):  # a risk that quotes a reason may end in a full stop already
            rows.append((aid, "risk", f"Risk: {r.rstrip('.')}."))
        for a in top_a.get(aid, []):
            rows.append((aid, "action", f"Next step: {a.rstrip('.')}."))
    out = pd.DataFrame(rows, columns=["account_id", "topic", "text"])
    out.insert(1, "order", out.groupby("account_id", sort=False).cumcount().astype(np.int64) + 1)
    for c in ("account_id", "topic", "text"):
        out[c] = out[c].astype("str")
    return out


_USED_FACTS = [
    "account_id", "revenue_ytd", "revenue_ytd_prior", "growth_ytd_pct", "margin_pct", "target", "target_pace",
    "target_attainment", "p_target", "open_bids", "open_value", "weighted_value", "bids_closing_90d",
    "health_score", "health_band", "top_weakness", "one_off_ltm", "revenue_ltm",
]  # fmt: skip


def _top_risks_and_actions(
    risks: pd.DataFrame, actions: pd.DataFrame, max_risks: int, max_actions: int
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per account, the texts of its first risks and of its first actions with their due dates."""
    top_r: dict[str, list[str]] = {}
    sel = risks[risks["order"] <= max_risks]
    for aid, text in zip(sel["account_id"].tolist(), sel["risk"].tolist()):
        top_r.setdefault(aid, []).append(text)
    top_a: dict[str, list[str]] = {}
    sel = actions[actions["order"] <= max_actions]
    due = sel["due_date"].dt.strftime("%Y-%m-%d").tolist()
    for aid, text, d in zip(sel["account_id"].tolist(), sel["action"].tolist(), due):
        top_a.setdefault(aid, []).append(f"{text} (by {d})")
    return top_r, top_a


def _performance_point(rec: dict, year: int, has_prior: bool) -> str:
    """Revenue so far this year, against the same period last year, and the margin."""
    ytd, prior = _num(rec.get("revenue_ytd")), _num(rec.get("revenue_ytd_prior"))
    g = _num(rec.get("growth_ytd_pct"))
    perf = f"Revenue so far in {year}: {money(ytd)}"
    if not np.isnan(g) and prior > 0:
        perf += f", {g:+.0%} on the same period last year"
        one_off = _num(rec.get("one_off_ltm"))
        if g > 0 and one_off >= 0.1 * _num(rec.get("revenue_ltm")):  # a rise that may be one order: not a trend
            perf += f" (one-off orders add {money(one_off)} to the last 12 months; the forecast does not carry them on)"
    elif has_prior and np.isnan(prior):  # the KPIs leave it NaN when it lies before the order history
        perf += " (no comparison with the same period last year: it lies before the order history)"
    m = _num(rec.get("margin_pct"))
    if not np.isnan(m) and not no_cost(m):  # 100%: every cost is 0, no margin to talk about (the objectives say so)
        perf += f", at a {m:.1%} gross margin (last 12 months)"
    return perf + "."


def _target_point(rec: dict, year: int) -> str | None:
    """How much of this year's target is reached, the pace and the chance to reach it (None without a target)."""
    tgt = _num(rec.get("target"))
    if not tgt > 0:
        return None
    pace = _num(rec.get("target_pace"))
    att = _num(rec.get("target_attainment"))
    if np.isnan(att):  # the KPIs leave it NaN when part of the year lies before the order history
        txt = f"The {year} target is {money(tgt)}: how much of it is reached is not shown, as the revenue booked earlier in {year} lies before the order history"
    else:
        txt = f"{attainment(att)} of the {year} target of {money(tgt)} reached"
    if not np.isnan(pace):
        txt += "; on pace" if pace >= 1 else f"; {1 - pace:.0%} behind the pro-rata pace"
    p_t = _num(rec.get("p_target"))
    if not np.isnan(p_t):
        txt += f"; {p_t:.0%} probability of reaching it"
    return txt + "."


def _pipeline_point(rec: dict) -> str | None:
    """The open bids, their value and how many close soon (None without open bids)."""
    ob = _num(rec.get("open_bids"))
    if not ob > 0:
        return None
    return (
        f"{counted(ob, 'open bid')} worth {money(_num(rec.get('open_value')))} "
        f"(weighted {money(_num(rec.get('weighted_value')))}), "
        f"{_num(rec.get('bids_closing_90d')):.0f} closing in the next 90 days."
    )


def _health_point(rec: dict) -> str | None:
    """The account's health score, band and weakest point (None without a score)."""
    hs = _num(rec.get("health_score"))
    if np.isnan(hs):
        return None
    weak = rec.get("top_weakness")
    weak_txt = f"; weakest point: {str(weak).lower()}" if isinstance(weak, str) and weak else ""
    return f"Account health {hs:.0f}/100 ({rec.get('health_band')}){weak_txt}."
