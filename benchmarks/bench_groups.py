"""Global accounts (issue 20): the cross-unit whitespace against the peer-based one, the group
forecast's out-of-time interval coverage, and the analyze time of a large grouped portfolio.

1. On the demo (``make_portfolio()``: 300 accounts, 4 years, seed 7, its default groups) the
   stages up to ``groups`` run in memory; the ``cross_unit_backtest`` table gives precision at 5
   of the cross-unit ranking and of the peer-based whitespace scorer (as of 12 months before the
   analysis date, adoptions in the 12 months after).
2. Out of time: the same stages on the demo as known 12 months earlier (``Portfolio.truncate``);
   each group's monthly forecast interval (80%) is checked against what its units really sold in
   those 12 months, beside two intervals built from the same unit forecasts without the joint
   draws: the sum of the units' bounds, and independent units (variances add).
3. ``kamtools analyze`` in a fresh process on ``make_portfolio(n_accounts=10000, groups=1000)``
   written as Parquet: wall and CPU seconds (this process's children, like ``/usr/bin/time``) and the
   groups stage's own seconds from the manifest.

    python benchmarks/bench_groups.py                 # all three
    python benchmarks/bench_groups.py --skip-large    # 1 and 2 only
    python benchmarks/bench_groups.py --workdir /tmp/groups   # keep (and reuse) the generated 10k data

Measured 2026-12-05 on the shared 2-core machine, on the demo with moving prices (issue 18); the
large run shared the machine with a CI run, so compare CPU seconds:

* demo backtest as of 2025-10-31 (142 units, 32 adoptions): precision at 5 cross-unit 0.044, peer
  0.039 (the best any ranking could reach: 0.045); AUC 0.92 against 0.86.
* group forecast made 2025-10-31, 30 groups x 12 months: 80% interval coverage 0.81 reconciled
  (mean width 99k), 0.94 for the sum of the units' bounds (156k), 0.81 for independent units (96k).
* 10,000 units in 1,000 groups (11,935 accounts with the 2,147 parents): analyze 361 CPU s (282 s
  wall), peak memory 3.09 GB (3.58 GB with workers); the groups stage 21 CPU s. (An earlier run
  under load average 12-18: 430 CPU s, 1,665 s wall.)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))


def _group_tables(portfolio):
    from kamtools.stages import run_stages

    return run_stages(portfolio, upto="groups")


def backtest_figures(tables) -> pd.DataFrame:
    bt = tables["cross_unit_backtest"]
    print("\n== cross-unit whitespace vs peer-based whitespace (precision at 5) ==")
    print(bt.to_string(index=False))
    return bt


def coverage(full, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Interval coverage of the group forecast made at ``cutoff``, against the 12 months after it."""
    from kamtools.groups.rollup import membership

    past = full.truncate(cutoff)
    t0 = time.perf_counter()
    tables = _group_tables(past)
    print(f"\n(stages up to groups as of {cutoff.date()}: {time.perf_counter() - t0:.0f} s)")
    gf = tables["group_forecast"]
    if gf.empty:
        print("no group forecast as of", cutoff.date())
        return pd.DataFrame()
    hier = tables["group_hierarchy"]
    members = membership(hier)
    fc = tables["forecast"]
    members = members[members["account_id"].isin(set(fc["account_id"]))]
    lines = full.order_lines
    lines = lines[(lines["order_date"] > cutoff) & (lines["order_date"] <= full.as_of)]
    actual = (
        lines.assign(ds=lines["order_date"].dt.to_period("M").dt.to_timestamp())
        .groupby(["account_id", "ds"])["net_revenue"]
        .sum()
        .rename("y")
        .reset_index()
    )
    z80 = stats.norm.ppf(0.9)
    unit = fc[["account_id", "ds", "forecast", "lo_80", "hi_80"]].assign(
        var=(fc["hi_80"] - fc["lo_80"]) ** 2 / (2 * z80) ** 2
    )
    joined = members.merge(unit, on="account_id").merge(actual, on=["account_id", "ds"], how="left").fillna({"y": 0.0})
    per = joined.groupby(["parent", "ds"]).agg(
        y=("y", "sum"), mean=("forecast", "sum"), lo_sum=("lo_80", "sum"), hi_sum=("hi_80", "sum"), var=("var", "sum")
    )
    per["lo_ind"] = np.maximum(per["mean"] - z80 * np.sqrt(per["var"]), 0.0)
    per["hi_ind"] = per["mean"] + z80 * np.sqrt(per["var"])
    rec = gf.rename(columns={"unique_id": "parent"}).set_index(["parent", "ds"])[["y_low", "y_high"]]
    per = per.join(rec, how="inner")
    last = full.last_complete_month
    per = per[per.index.get_level_values("ds") <= last]
    rows = []
    for name, lo, hi in (
        ("reconciled (joint draws)", "y_low", "y_high"),
        ("sum of the units' bounds", "lo_sum", "hi_sum"),
        ("independent units", "lo_ind", "hi_ind"),
    ):
        inside = (per["y"] >= per[lo]) & (per["y"] <= per[hi])
        rows.append(
            {
                "interval": name,
                "coverage_80": float(inside.mean()),
                "mean_width": float((per[hi] - per[lo]).mean()),
                "group_months": int(len(per)),
                "groups": int(per.index.get_level_values("parent").nunique()),
            }
        )
    out = pd.DataFrame(rows)
    print(f"\n== group forecast made {cutoff.date()}: 80% interval coverage over the next 12 months ==")
    print(out.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    return out


def large(workdir: Path, n_accounts: int = 10_000, n_groups: int = 1_000) -> dict:
    from bench_scale import run_analyze

    from kamtools.datasets import make_portfolio, write_tables

    data = workdir / f"groups-{n_accounts}-{n_groups}"
    done = data / ".complete"
    if not done.exists():
        t0 = time.perf_counter()
        portfolio, _ = make_portfolio(n_accounts=n_accounts, years=4, seed=1, groups=n_groups)
        write_tables(portfolio, data, fmt="parquet")
        done.write_text(f"make_portfolio(n_accounts={n_accounts}, years=4, seed=1, groups={n_groups})\n")
        print(f"generated {len(portfolio.accounts):,} accounts in {time.perf_counter() - t0:.0f} s")
    bundle = workdir / f"bundle-{n_accounts}-{n_groups}"
    wall, cpu, rss_main, rss_tree = run_analyze(data, bundle, None)
    manifest = json.loads((bundle / "manifest.json").read_text())
    roll = pd.read_parquet(bundle / "group_rollup.parquet")
    result = {
        "accounts": manifest["n_accounts"],
        "groups (top level)": int((roll["depth"] == 0).sum()),
        "parents (all levels)": len(roll),
        "analyze wall s": round(wall, 1),
        "analyze CPU s": round(cpu, 1),
        "groups stage wall s": manifest["timings_seconds"].get("groups"),
        "groups stage CPU s": manifest["cpu_seconds"].get("groups"),
        "peak RSS GB (main / tree)": f"{rss_main:.2f} / {rss_tree:.2f}",
    }
    print(f"\n== kamtools analyze, {n_accounts:,} accounts in {n_groups:,} groups ==")
    for k, v in result.items():
        print(f"{k:>28}: {v}")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-large", action="store_true", help="skip the 10,000-account analyze")
    ap.add_argument("--skip-demo", action="store_true", help="skip the 300-account backtest and coverage")
    ap.add_argument("--workdir", type=Path, default=None, help="folder for the generated data (kept)")
    args = ap.parse_args(argv)
    if not args.skip_demo:
        from kamtools.datasets import make_portfolio

        portfolio, _ = make_portfolio()
        t0 = time.perf_counter()
        tables = _group_tables(portfolio)
        print(f"(demo: {len(portfolio.accounts)} accounts, stages up to groups in {time.perf_counter() - t0:.0f} s)")
        backtest_figures(tables)
        coverage(portfolio, portfolio.as_of - pd.DateOffset(months=12))
    if not args.skip_large:
        if args.workdir is not None:
            args.workdir.mkdir(parents=True, exist_ok=True)
            large(args.workdir)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                large(Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
