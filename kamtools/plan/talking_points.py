"""Talking points for the quarterly business review."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.display import money


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
    top_r: dict[str, list[str]] = {}
    sel = risks[risks["order"] <= max_risks]
    for aid, text in zip(sel["account_id"].tolist(), sel["risk"].tolist()):
        top_r.setdefault(aid, []).append(text)
    top_a: dict[str, list[str]] = {}
    sel = actions[actions["order"] <= max_actions]
    due = sel["due_date"].dt.strftime("%Y-%m-%d").tolist()
    for aid, text, d in zip(sel["account_id"].tolist(), sel["action"].tolist(), due):
        top_a.setdefault(aid, []).append(f"{text} (by {d})")
    rows: list[tuple[str, str, str]] = []
    used = [
        "account_id", "revenue_ytd", "revenue_ytd_prior", "growth_ytd_pct", "margin_pct", "target", "target_pace",
        "target_attainment", "p_target", "open_bids", "open_value", "weighted_value", "bids_closing_90d",
        "health_score", "health_band", "top_weakness",
    ]  # fmt: skip
    has_prior = "revenue_ytd_prior" in facts.columns
    for rec in facts.reindex(columns=used).to_dict("records"):
        aid = rec["account_id"]
        ytd, prior = _num(rec.get("revenue_ytd")), _num(rec.get("revenue_ytd_prior"))
        g = _num(rec.get("growth_ytd_pct"))
        perf = f"Revenue so far in {year}: {money(ytd)}"
        if not np.isnan(g) and prior > 0:
            perf += f", {g:+.0%} on the same period last year"
        elif has_prior and np.isnan(prior):  # the KPIs leave it NaN when it lies before the order history
            perf += " (no comparison with the same period last year: it lies before the order history)"
        m = _num(rec.get("margin_pct"))
        if not np.isnan(m):
            perf += f", at a {m:.1%} gross margin (last 12 months)"
        rows.append((aid, "performance", perf + "."))
        tgt = _num(rec.get("target"))
        if tgt > 0:
            pace = _num(rec.get("target_pace"))
            txt = f"{_num(rec.get('target_attainment')):.0%} of the {year} target of {money(tgt)} reached"
            if not np.isnan(pace):
                txt += "; on pace" if pace >= 1 else f"; {1 - pace:.0%} behind the pro-rata pace"
            p_t = _num(rec.get("p_target"))
            if not np.isnan(p_t):
                txt += f"; {p_t:.0%} probability of reaching it"
            rows.append((aid, "target", txt + "."))
        if aid in obj:
            basis = rev_basis.get(aid)
            rows.append((aid, "objective", obj[aid] + (f" ({basis})." if basis else ".")))
        ob = _num(rec.get("open_bids"))
        if ob > 0:
            rows.append(
                (
                    aid,
                    "pipeline",
                    f"{ob:.0f} open bid{'s' if ob != 1 else ''} worth {money(_num(rec.get('open_value')))} "
                    f"(weighted {money(_num(rec.get('weighted_value')))}), "
                    f"{_num(rec.get('bids_closing_90d')):.0f} closing in the next 90 days.",
                )
            )
        hs = _num(rec.get("health_score"))
        if not np.isnan(hs):
            weak = rec.get("top_weakness")
            weak_txt = f"; weakest point: {str(weak).lower()}" if isinstance(weak, str) and weak else ""
            rows.append((aid, "relationship", f"Account health {hs:.0f}/100 ({rec.get('health_band')}){weak_txt}."))
        for r in top_r.get(aid, []):
            rows.append((aid, "risk", f"Risk: {r}."))
        for a in top_a.get(aid, []):
            rows.append((aid, "action", f"Next step: {a}."))
    out = pd.DataFrame(rows, columns=["account_id", "topic", "text"])
    out.insert(1, "order", out.groupby("account_id", sort=False).cumcount().astype(np.int64) + 1)
    for c in ("account_id", "topic", "text"):
        out[c] = out[c].astype("str")
    return out
