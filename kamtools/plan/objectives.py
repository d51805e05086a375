"""Objectives for the next 12 months: revenue, margin and retention."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn.bands import churn_measure, score_text
from kamtools.churn.sentences import silence_sentence
from kamtools.display import money
from kamtools.formatting import no_cost as margin_is_revenue
from kamtools.plan.constants import LIKELY_LOST_P, RETENTION_CHURN_P, RETENTION_HEALTH_TARGET, RETENTION_TARGET_P


def objectives(facts: pd.DataFrame, min_value_at_stake: float = 0.0) -> pd.DataFrame:
    """Objectives for the next 12 months per account, in order: revenue, margin, retention.

    * revenue = forecast for the next 12 months (else last 12 months' revenue as run rate)
      + realistic whitespace capture (sum of p_adopt x yearly spend if adopted of the top
      :data:`WHITESPACE_TOP_N` recommendations; left out, and the basis says so, when the
      cross-sell scores could not be calibrated into probabilities); not set when both are zero;
    * margin % = current margin when at or above the portfolio median, else current + half
      of the gap to the median; in money = revenue objective x that %;
    * retention, for accounts still buying and at risk: churn probability >=
      :data:`RETENTION_CHURN_P` -> get it below :data:`RETENTION_TARGET_P` ("Keep the
      account"); from :data:`LIKELY_LOST_P`, or from :data:`RETENTION_CHURN_P` where the value
      model calls it a win-back case (fact ``value_win_back``: the value section's own rule,
      :func:`kamtools.value.reading.win_back`), the account has probably stopped buying and the
      objective is to win it back (never "keep" an account the value section calls lost);
      without a churn model, health band red -> raise the score to
      :data:`RETENTION_HEALTH_TARGET` (amber). No retention objective when its stake is known
      and below ``min_value_at_stake`` (the playbook's materiality floor, under which it drops
      the retention risk and action too: the plan then sets no objective it has no action
      for); the stake is the revenue at risk, and for a lapsed account the revenue of the last
      12 months (what its win-back rule is valued at: its revenue at risk is 0 once the
      forecast expects no more orders).
    * Revenue objective of an account with a win-back objective: the forecast is what accounts like it bought on
      average, most of them nothing, so the objective is reached by winning it back and says so (READ, CDNOW top
      300: C22279, churn 92%, read "Reach 1.8k revenue" beside "it has probably stopped buying").

    Returns columns: account_id, order, objective (revenue / margin / retention), metric,
    baseline, target_value, unit (money / share / prob / score), text, basis (the numbers
    it is derived from).
    """
    ids = facts["account_id"].to_numpy()
    retention = _retention_objectives(facts, ids, min_value_at_stake)
    win_back = {r[0] for r in retention if str(r[6]).startswith(WIN_BACK)}
    revenue_rows, objective = _revenue_objectives(facts, ids, win_back)
    rows = revenue_rows + _margin_objectives(facts, ids, objective) + retention
    return _objectives_frame(rows)


WIN_BACK = "Win back the account"  # how a retention objective for an account that has probably stopped begins


def _column(facts: pd.DataFrame, name: str) -> np.ndarray:
    """Fact ``name`` as floats (NaN where missing, all NaN when the column is absent)."""
    if name not in facts:
        return np.full(len(facts), np.nan)
    return pd.to_numeric(facts[name], errors="coerce").to_numpy(dtype=float)


def _revenue_objectives(
    facts: pd.DataFrame, ids: np.ndarray, win_back: set | frozenset = frozenset()
) -> tuple[list[tuple], np.ndarray]:
    """The revenue objective rows and the objective per account (forecast or run rate + whitespace). An account of
    ``win_back`` (it has probably stopped buying) reaches its forecast, what accounts like it bought on average
    (most of them nothing, a few far more), by being won back, and its objective says so; where the forecast
    follows the account's own months instead (fact ``forecast_own_history``: Online Retail's C15749, silent 226
    days, forecast 27.3k from its two ordering months), the basis says that it comes only if the account is won
    back, not that accounts like it bought it."""
    n = len(facts)
    rev_ltm, fc = _column(facts, "revenue_ltm"), _column(facts, "forecast_12m")
    cap_raw = _column(facts, "whitespace_capture")
    cap = np.nan_to_num(cap_raw)
    # recommendations whose value is unknown (NaN): their scores could not be calibrated into probabilities
    ws_uncounted = np.isnan(cap_raw) & (np.nan_to_num(_column(facts, "whitespace_recommendations")) > 0)
    # the KPIs leave the prior year's revenue unknown (NaN) when the order history is under two years
    short = np.isnan(_column(facts, "revenue_prior_ltm")) if "revenue_prior_ltm" in facts else np.zeros(n, dtype=bool)
    has_fc = ~np.isnan(fc)
    baseline = np.where(has_fc, fc, np.nan_to_num(rev_ltm))
    objective = baseline + cap
    next_t = _column(facts, "next_target")
    cats = facts["top_whitespace_category"] if "top_whitespace_category" in facts else pd.Series([None] * n)
    own = _column(facts, "forecast_own_history") == 1
    rows = []
    for i in range(n):
        if objective[i] <= 0:
            continue
        back = has_fc[i] and ids[i] in win_back
        how = (
            ", from its own months as if it goes on buying as it has; it has probably stopped, so that comes only if the account is won back"
            if own[i]
            else ", what accounts like it bought on average: most of them nothing, a few far more"
        )
        base_txt = (
            f"forecast for the next 12 months {money(baseline[i])}" + (how if back else "")
            if has_fc[i]
            else f"no forecast available: last 12 months' revenue {money(baseline[i])} as run rate"
            + (" (the order history may hold less than 12 months of it)" if short[i] else "")
        )
        ws_txt = (
            f" + whitespace {money(cap[i])} (top recommendation: {cats.iloc[i]})"
            if cap[i] > 0 and isinstance(cats.iloc[i], str)
            else (f" + whitespace {money(cap[i])}" if cap[i] > 0 else "")
        )
        if ws_uncounted[i]:
            ws_txt = "; whitespace not counted: its cross-sell scores are not probabilities on this history (too short to test them)"
        tgt_txt = (
            f"; next year's target {money(next_t[i])} ({objective[i] / next_t[i]:.0%} covered)" if next_t[i] > 0 else ""
        )
        rows.append(
            (
                ids[i],
                "revenue",
                "revenue, next 12 months",
                baseline[i],
                objective[i],
                "money",
                f"Reach {money(objective[i])} revenue in the next 12 months"
                + (" by winning the account back" if back else ""),
                base_txt + ws_txt + tgt_txt,
            )
        )
    return rows, objective


def _margin_objectives(facts: pd.DataFrame, ids: np.ndarray, objective: np.ndarray) -> list[tuple]:
    """The margin objective rows: hold a margin at or above the portfolio median, else close half the gap."""
    margin, bench = _column(facts, "margin_pct"), _column(facts, "margin_benchmark")
    below = margin < bench
    m_obj = np.where(below, margin + 0.5 * (bench - margin), margin)
    rows = []
    for i in range(len(facts)):
        if objective[i] <= 0 or np.isnan(margin[i]):
            continue
        no_cost = margin_is_revenue(margin[i])  # margin = revenue: every cost on its orders is 0 (not booked)
        if no_cost:
            basis = (
                "no cost is booked on its orders in the last 12 months (every cost is 0), so the 100.0% margin is "
                "not a real margin: book the costs before setting a margin objective"
            )
        elif below[i]:
            basis = f"margin {margin[i]:.1%} vs portfolio median {bench[i]:.1%}: close half of the gap"
        elif not np.isnan(bench[i]):
            basis = f"margin {margin[i]:.1%} is at or above the portfolio median {bench[i]:.1%}: hold it"
        else:
            basis = f"margin {margin[i]:.1%}: hold it"
        rows.append(
            (
                ids[i],
                "margin",
                "gross margin %",
                margin[i],
                np.nan if no_cost else m_obj[i],  # no target until the costs are booked
                "share",
                "Gross margin: not set until the costs are booked (every cost on its orders is 0)"
                if no_cost
                else f"Gross margin of {m_obj[i]:.1%} ({money(objective[i] * m_obj[i])} on the revenue objective)",
                basis,
            )
        )
    return rows


def _churn_text(value: float, score: bool) -> str:
    """A churn figure in an objective: '57/100' for a score, '57%' for a probability."""
    return score_text(value) if score else f"{value:.0%}"


def _silence_reason(days: float, usual: float, p_txt: str) -> tuple[str, str]:
    """(why, basis) of a win-back objective whose churn figure is a score (no probability: the churn stage could
    not check it on the history). The fact is the account's silence against its own order rhythm; the score only
    ranks it among the accounts (READ, the grocery panel's random 40: H1564 'probably stopped buying' from a churn
    score of 81/100, after 115 days without an order where it usually ordered every 9.5 days)."""
    ranks = f"{p_txt} ranks it among the accounts least likely to order again; a score, not a probability"
    if np.isnan(days):
        return f"its {ranks}", f"{p_txt}: a ranking, not a probability (win back from {score_text(LIKELY_LOST_P)})"
    silence = silence_sentence(days, usual)
    silence = silence[0].lower() + silence[1:]
    return f"{silence} (its {ranks})", f"{silence}; {p_txt}, a ranking (win back from {score_text(LIKELY_LOST_P)})"


def _retention_objectives(facts: pd.DataFrame, ids: np.ndarray, min_value_at_stake: float = 0.0) -> list[tuple]:
    """The retention objective rows of accounts still buying and at risk (churn model, else health red);
    a win-back objective for those that have probably stopped; none where the stake is immaterial."""
    n = len(facts)
    rev_ltm = _column(facts, "revenue_ltm")
    p, rar, hs = _column(facts, "churn_probability"), _column(facts, "revenue_at_risk"), _column(facts, "health_score")
    days, usual = _column(facts, "days_since_last_order"), _column(facts, "usual_order_gap_days")
    # the value section's verdict (a P(alive) checked as a probability, under 50%): a win-back case
    value_lost = _column(facts, "value_win_back") == 1
    p_alive = _column(facts, "p_alive")
    band = facts["health_band"].astype(str).to_numpy() if "health_band" in facts else np.full(n, "")
    # lapsed by the churn definition (no order in its window): a win-back case whatever its probability,
    # which the churn stage estimates from earlier lapses or leaves unknown
    lapsed = (
        facts["churn_risk_band"].astype(str).str.lower().eq("lapsed").to_numpy()
        if "churn_risk_band" in facts
        else np.zeros(n, dtype=bool)
    )
    # the stake of the objective, as the playbook values its action: a lapsed account's win-back is worth what it
    # bought in the last 12 months (rule win_back), whatever its revenue at risk (0 once the forecast expects
    # nothing more); any other retention objective is worth the revenue at risk
    stake = np.where(lapsed, rev_ltm, rar)
    immaterial = stake < min_value_at_stake  # NaN (unknown) compares False: kept, as the playbook keeps it
    # a score (the churn stage's unconfirmed fallback) is worded as one: 'churn score 57/100', never a percent
    as_score = _column(facts, "churn_is_score") == 1
    rows = []
    for i in range(n):
        if immaterial[i]:
            continue
        score = bool(as_score[i])
        measure = churn_measure(score)
        lost_by_value = value_lost[i] and p[i] < LIKELY_LOST_P
        likely_lost = p[i] >= LIKELY_LOST_P or lapsed[i] or (lost_by_value and p[i] >= RETENTION_CHURN_P)
        # a high score alone, with the last order within the account's own usual gap: nothing says it stopped, so
        # the objective is to keep it buying, not to win it back (FACECJ2's leftover on the grocery panel)
        if score and likely_lost and not lapsed[i] and not lost_by_value and days[i] <= usual[i]:
            likely_lost = False
        if likely_lost and rev_ltm[i] > 0:
            since = f", last order {days[i]:.0f} days ago" if not np.isnan(days[i]) else ""
            alive = f"P(alive) {p_alive[i]:.0%}, " if lost_by_value and not np.isnan(p_alive[i]) else ""
            p_txt = f"{measure} {_churn_text(p[i], score)}" if not np.isnan(p[i]) else f"{measure} not estimated"
            if lapsed[i] and not p[i] >= LIKELY_LOST_P:
                basis = f"lapsed: no order within the churn definition's window ({p_txt})"
            elif lost_by_value:
                basis = f"{alive}the value model's win-back case (a checked P(alive) under 50%), with {p_txt}"
            else:
                basis = f"{p_txt} (a likely loss from {_churn_text(LIKELY_LOST_P, score)})"
            why = f"it has probably stopped buying ({alive}{p_txt}{since})"
            if score and not lapsed[i] and not lost_by_value:  # a score tells no chance: the order gap is the fact
                why, basis = _silence_reason(days[i], usual[i], p_txt)
            rows.append(
                (
                    ids[i],
                    "retention",
                    measure,
                    p[i],
                    RETENTION_TARGET_P,
                    "prob",
                    f"{WIN_BACK}: {why}; a new order would bring back part of the {money(rev_ltm[i])} of the last 12 "
                    "months",
                    basis,
                )
            )
        elif p[i] >= RETENTION_CHURN_P and rev_ltm[i] > 0:
            rar_txt = f", protecting {money(rar[i])} of revenue at risk" if rar[i] > 0 else ""
            now, high = _churn_text(p[i], score), _churn_text(RETENTION_CHURN_P, score)
            if score:  # a score is no target a manager can steer to: the objective is the buying it reads
                text = (
                    f"Keep the account: get a repeat order ({measure} {now}, high from {high}: the score reads the "
                    "account's buying, and a new order is what lowers it)"
                )
            else:
                text = f"Keep the account: bring {measure} from {now} below {_churn_text(RETENTION_TARGET_P, score)}"
                text += " (out of the high risk band)" if RETENTION_TARGET_P == RETENTION_CHURN_P else ""
            rows.append(
                (
                    ids[i],
                    "retention",
                    measure,
                    p[i],
                    RETENTION_TARGET_P,
                    "prob",
                    text + rar_txt,
                    f"{measure} {now} (threshold {high})",
                )
            )
        elif np.isnan(p[i]) and band[i] == "red" and rev_ltm[i] > 0:
            rows.append(
                (
                    ids[i],
                    "retention",
                    "health score",
                    hs[i],
                    RETENTION_HEALTH_TARGET,
                    "score",
                    f"Keep the account: raise health from {hs[i]:.0f} to at least {RETENTION_HEALTH_TARGET:.0f} (amber)",
                    f"health {hs[i]:.0f}/100 (red) with {money(rev_ltm[i])} revenue in the last 12 months",
                )
            )
    return rows


def _objectives_frame(rows: list[tuple]) -> pd.DataFrame:
    """The objective rows as a table ordered revenue, margin, retention within each account."""
    cols = ["account_id", "objective", "metric", "baseline", "target_value", "unit", "text", "basis"]
    out = pd.DataFrame(rows, columns=cols)
    kind_order = {"revenue": 0, "margin": 1, "retention": 2}
    out = out.assign(_k=out["objective"].map(kind_order)).sort_values(["account_id", "_k"], kind="stable")
    out.insert(1, "order", out.groupby("account_id").cumcount().astype(np.int64) + 1)
    out = out.drop(columns="_k").reset_index(drop=True)
    for c in ("account_id", "objective", "metric", "unit", "text", "basis"):
        out[c] = out[c].astype("str")
    return out


def no_objective_reason(revenue_ltm: float, at_risk: bool, stake: float, money_text=money) -> str:
    """The sentence a plan with no objective shows: why none could be set, from what the objectives read.

    ``revenue_ltm``: the account's revenue of the last 12 months; ``at_risk``: it is lapsed or in the
    high churn band (a retention objective would apply); ``stake``: that objective's stake (the revenue
    of the last 12 months when lapsed, else the revenue at risk). A plan with no objective has no
    forecast or whitespace to aim for; the rest of the sentence says why no retention objective stands in.
    """
    if not revenue_ltm > 0:
        return (
            "No objective could be set: the account bought nothing in the last 12 months and has no forecast "
            "or whitespace to aim for."
        )
    bought = f"the account bought {money_text(revenue_ltm)} in the last 12 months but its forecast for the next 12 is 0"
    if at_risk and not np.isnan(stake):
        return (
            f"No objective could be set: {bought} with no whitespace to add, and its retention stake "
            f"({money_text(stake)}) is under the playbook's materiality floor (min_value_at_stake), below which the "
            "plan sets no objective or action."
        )
    return (
        f"No objective could be set: {bought} with no whitespace to add, and it is not at risk of churning, "
        "so no retention objective applies."
    )
