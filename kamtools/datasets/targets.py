"""Yearly revenue targets: a planner's target from last year's revenue and the company's growth plan,
mostly reachable or stretching, a few planted far out of reach."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import _str
from .state import GenState

_PLANNED_GROWTH = 0.06  # the yearly growth a demo planner puts into every established account's target


def make_targets(s: GenState) -> pd.DataFrame:
    """Yearly targets for the last 2 calendar years and the next one.

    A planner's target: the account's booked revenue of the 12 months before the year
    (the last 12 months before ``as_of`` when that year is not complete yet), grown by the
    company's plan of :data:`_PLANNED_GROWTH` a year (for an account
    younger than that, the expected churn-free revenue of the year, an adopted category
    counted with its ramp) times a factor: about 45% of account-years get a reachable one
    (0.90-1.00), 40% a stretching one (1.02-1.12), 7% one at par (1.00-1.02), and ~8% a
    target far out of reach (1.45-1.9 times the larger of that anchor and the expected
    churn-free revenue, planted truth).
    """
    n, M = s.n, s.M
    year = s.month_days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    last_year = s.as_of.year
    t = np.arange(M + 12)[None, :]
    ramp = np.where(s.adopt_cat[:, None] >= 0, np.clip((t - s.adopt_month[:, None] + 1) / 4.0, 0, 1), 0.0)
    month_rev = s.base[:, None] / 12 * s.plan_level * (1 + s.adopt_share[:, None] * ramp)  # (n, M+12)
    # revenue booked per account and history month
    booked = np.zeros((n, M))
    np.add.at(booked, (s.line_a, s.line_m), s.line_net)
    rows_a, rows_p, rows_v, unreach = [], [], [], []
    for p in [last_year - 1, last_year, last_year + 1]:
        cols = np.nonzero(year[: M + 12] == p)[0]
        if len(cols) == 0:
            continue
        # a full year, extrapolated from the months inside the grid
        expected = month_rev[:, cols].sum(axis=1) * 12 / len(cols)
        anchor = _anchor(s, booked, expected, cols)
        active = s.start_month <= np.max(cols)
        active &= ~(s.churn_full & (s.churn_month < cols.min() - 12)) & (anchor > 0)
        out, factor = _factors(s)
        # a planted target out of reach stays so for a lumpy account after a weak year
        anchor = np.where(out, np.maximum(anchor, expected), anchor)
        val = np.round(anchor * factor * s.rng.normal(1, 0.03, n), -2)
        idx = np.nonzero(active)[0]
        rows_a.append(idx)
        rows_p.append(np.full(len(idx), p))
        rows_v.append(val[idx])
        unreach.append(pd.DataFrame({"account_id": s.acc_ids[idx[out[idx]]], "period": p}))
    a = np.concatenate(rows_a)
    per = np.concatenate(rows_p)
    v = np.concatenate(rows_v)
    order = np.lexsort((per, a))
    s.unreachable = pd.concat(unreach, ignore_index=True)
    return pd.DataFrame(
        {
            "account_id": _str(s.acc_ids[a[order]]),
            "period": per[order].astype(np.int64),
            "revenue_target": np.maximum(v[order], 0.0).astype(float),
        }
    )


def _anchor(s: GenState, booked: np.ndarray, expected: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """What a year's target starts from: the revenue booked in the 12 months before the year (or the
    last 12 months booked before as_of) grown by the plan; the expected revenue for a younger account
    or when the history does not reach that far back."""
    M = s.M
    end = min(int(cols.min()), M)
    start = end - 12
    if start < 0:
        return expected
    last12 = booked[:, start:end].sum(axis=1)
    if end == M:  # the last history month is booked up to as_of only: scaled to the full month
        full = s.month_days[M] - s.month_days[M - 1]
        last12 += booked[:, M - 1] * (full / s.n_days[M - 1] - 1)
    young = s.start_month > start
    # carried forward by the company's growth plan, from the middle of the anchor
    # window to the middle of the year (the account's own trend is what spreads the chances)
    ahead = (cols.min() - start) / 12
    return np.where(young, expected, last12 * (1 + _PLANNED_GROWTH) ** ahead)


def _factors(s: GenState) -> tuple[np.ndarray, np.ndarray]:
    """Which accounts get a target out of reach this year, and every account's factor on its anchor."""
    rng, n = s.rng, s.n
    rng.uniform(0.0, 0.08, n)  # the stretch of earlier versions: drawn so the planted draws stay
    out = rng.random(n) < 0.08
    u = s.target_rng.random(n)
    mix = np.where(
        u < 0.49,
        s.target_rng.uniform(0.90, 1.00, n),
        np.where(u < 0.92, s.target_rng.uniform(1.02, 1.12, n), s.target_rng.uniform(1.00, 1.02, n)),
    )
    return out, np.where(out, rng.uniform(1.45, 1.9, n), mix)
