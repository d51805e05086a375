"""A year wholly ahead on the issue's 12-month example: its 80% range and target chance (issue 17).

The issue's example (``make-demo-data --accounts 40 --years 2``, analysed as of 2025-10-31: 12 months of
history, one backtest origin) showed A0037's 2026 range from 28.6k beside a 12-month range of 401k-1.58M. Here
the same kind of portfolio (:func:`kamtools.datasets.make_portfolio`, 40 accounts, generated to 2026-12-31 so
that 2026 is complete; the orders before 2024-11-01 dropped and the rest cut at 2025-10-31) is analysed by the
value and forecast stages, and each account's 2026 row of ``forecast_targets`` is scored against what it
bought in 2026: ``cov80`` (actual inside the 80% range, %), ``below`` / ``above`` (outside it, %), ``Brier`` of
``p_reach_target`` and ``large`` (mean chance minus the share that reached the target, points), with the share
of the own spread a year wholly ahead carries (:data:`kamtools.forecast.targets.OWN_SPREAD_AHEAD`) set to 1
(shipped), 0.75, 0.5 and 0 (similar accounts' totals alone), and the whole spread as a lognormal factor on the
rest of the year (measured, not shipped). Figures: the module docstring of :mod:`kamtools.forecast.targets`.

Usage::

    python benchmarks/bench_year_low_end.py --seeds 1 2 3 4 5 6 7 8   # about 10 s a seed on 2 shared cores
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kamtools.forecast.accounts as fc_accounts  # noqa: E402
from kamtools.data.portfolio import Portfolio  # noqa: E402
from kamtools.datasets import make_portfolio  # noqa: E402
from kamtools.forecast import targets  # noqa: E402

AS_OF = pd.Timestamp("2025-10-31")
FIRST = "2024-11-01"  # 12 months of history
YEAR = 2026
_CAPTURED: dict = {}
_SHIPPED = targets.blended_summary


def _lognormal_summary(booked, rest, ratios, spread, target, level=80):
    """:func:`~kamtools.forecast.targets.blended_summary` with the own spread as a lognormal factor of mean 1 on
    ``r * rest`` (coefficient of variation ``spread / rest``) instead of a normal added to it."""
    booked, rest, spread, target = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, float)) for a in (booked, rest, spread, target))
    )
    scale = targets._ratio_points(ratios)[None, :] * rest[:, None]
    sig = np.sqrt(np.log1p(np.where(rest > 0, spread / np.where(rest > 0, rest, 1.0), 0.0) ** 2))[:, None]

    def cdf(x):
        gap = (x - booked)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(np.where(gap > 0, gap, 1e-300) / np.where(scale > 0, scale, 1.0)) + sig**2 / 2) / np.where(
                sig > 0, sig, 1.0
            )
        pos = (scale > 0) & (sig > 0)
        return np.where(pos, np.where(gap > 0, special.ndtr(z), 0.0), (gap >= scale).astype(float)).mean(axis=1)

    p = np.where(target <= booked + 1e-9, 1.0, 1 - cdf(target - 1e-9))
    tail, bounds = (1 - level / 100) / 2, []
    for prob in (tail, 1 - tail):
        low, high = booked.copy(), booked + scale.max(axis=1) * np.exp(8 * sig[:, 0]) + 1.0
        for _ in range(60):
            mid = (low + high) / 2
            short = cdf(mid) < prob
            low, high = np.where(short, mid, low), np.where(short, high, mid)
        bounds.append(np.maximum(booked, high))
    return p, bounds[0], bounds[1]


def _lognormal_ahead(booked, rest, ratios, spread, target, level=80):
    """The shipped summary, with the rows of a year not yet started (nothing booked) on the lognormal factor."""
    booked, rest, spread, target = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, float)) for a in (booked, rest, spread, target))
    )
    p, lo, hi = _SHIPPED(booked, rest, ratios, spread, target, level)
    ahead = booked <= 0
    if ahead.any():
        p[ahead], lo[ahead], hi[ahead] = _lognormal_summary(
            booked[ahead], rest[ahead], ratios, spread[ahead], target[ahead], level
        )
    return p, lo, hi


def _case(seed: int) -> dict:
    from bench_target_probability import stage_tables

    full, _ = make_portfolio(n_accounts=40, years=3, seed=seed, as_of="2026-12-31")
    past = full.truncate(AS_OF)
    past = Portfolio(
        {**past.tables, "orders": past.orders[past.orders["order_date"] >= FIRST].reset_index(drop=True)}, AS_OF
    )
    shipped = fc_accounts.target_attainment

    def keep(forecaster, hist, tgt, **kw):
        _CAPTURED.update(forecaster=forecaster, hist=hist, targets=tgt, kw=kw)
        return shipped(forecaster, hist, tgt, **kw)

    fc_accounts.target_attainment = keep
    try:
        stage_tables(past)
    finally:
        fc_accounts.target_attainment = shipped
    bought = full.orders[full.orders["order_date"].dt.year == YEAR]
    return {**_CAPTURED, "actual": bought.groupby(bought["account_id"].astype(str))["net_revenue"].sum()}


SETTINGS = (
    ("whole own spread (shipped)", 1.0, None),
    ("0.75", 0.75, None),
    ("0.5", 0.5, None),
    ("similar accounts' totals", 0.0, None),
    ("whole, lognormal factor", 1.0, _lognormal_ahead),
)


def score(case: dict, own: float, summary=None) -> dict:
    targets.blended_summary = summary or _SHIPPED
    try:
        t = targets.target_attainment(
            case["forecaster"], case["hist"], case["targets"], **case["kw"], own_spread_ahead=own
        )
    finally:
        targets.blended_summary = _SHIPPED
    t = t[t["period"] == YEAR]
    actual = t["account_id"].map(case["actual"]).fillna(0.0)
    label = (actual >= t["revenue_target"] - 1e-9).to_numpy()
    p = t["p_reach_target"].to_numpy(dtype=float)
    return {
        "n": len(t),
        "cov80": 100 * float(((actual >= t["total_lo_80"] - 1e-6) & (actual <= t["total_hi_80"] + 1e-6)).mean()),
        "below": 100 * float((actual < t["total_lo_80"] - 1e-6).mean()),
        "above": 100 * float((actual > t["total_hi_80"] + 1e-6).mean()),
        "brier": float(np.mean((p - label) ** 2)),
        "large": 100 * float(p.mean() - label.mean()),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 9)))
    args = ap.parse_args(argv)
    rows = []
    for seed in args.seeds:
        case = _case(seed)
        rows += [{"seed": seed, "setting": name, **score(case, own, fn)} for name, own, fn in SETTINGS]
        print(f"seed {seed} done", flush=True)
    out = pd.DataFrame(rows).groupby("setting", sort=False)[["n", "cov80", "below", "above", "brier", "large"]].mean()
    print(out.round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
