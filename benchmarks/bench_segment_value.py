"""Benchmark: account value (BTYD) and segmentation for a large portfolio.

    .venv/bin/python benchmarks/bench_segment_value.py [--accounts 10000] [--years 4] [--seed 1]

Generates ``make_portfolio(n_accounts, years, seed)`` (not timed), then times the two
bundle stages as ``kamtools analyze`` runs them: ``kamtools.value.bundle_tables`` (BTYD
summary, BG/NBD and Gamma-Gamma fits, expected value) and
``kamtools.segment.bundle_tables`` (RFM, ABC, clusters, portfolio matrix, tiers).
Prints the wall time of each step; the target is under 60 s for 10,000 accounts and
~5 million order lines on a 2-core machine.
"""

from __future__ import annotations

import argparse
import time
import warnings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--years", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=60.0, help="seconds allowed for value + segment")
    args = ap.parse_args()

    from kamtools import segment, value
    from kamtools.datasets import make_portfolio

    t = time.perf_counter()
    portfolio, _ = make_portfolio(n_accounts=args.accounts, years=args.years, seed=args.seed)
    gen = time.perf_counter() - t
    print(
        f"generated {len(portfolio.accounts):,} accounts, {len(portfolio.orders):,} order lines in {gen:.1f} s (not timed)"
    )

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    t = time.perf_counter()
    summary = value.rfm_summary(portfolio, freq="W")
    timings["value: rfm_summary (weekly)"] = time.perf_counter() - t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        bg = value.BetaGeo().fit(summary)
        timings["value: BetaGeo.fit"] = time.perf_counter() - t
        t = time.perf_counter()
        value.GammaGamma().fit(summary["frequency"], summary["monetary"])
        timings["value: GammaGamma.fit"] = time.perf_counter() - t
        t = time.perf_counter()
        bg.p_alive(summary["frequency"], summary["recency"], summary["T"])
        bg.expected_purchases(52, summary["frequency"], summary["recency"], summary["T"])
        timings["value: p_alive + expected_purchases"] = time.perf_counter() - t
    parts = time.perf_counter() - t0

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = value.bundle_tables(portfolio, {})
    t_value = time.perf_counter() - t0
    t = time.perf_counter()
    s = segment.bundle_tables(portfolio, {"value": v["value"]})
    t_segment = time.perf_counter() - t
    t = time.perf_counter()
    act = segment.account_activity(portfolio)
    timings["segment: account_activity"] = time.perf_counter() - t
    t = time.perf_counter()
    segment.behavioural_clusters(portfolio, v["value"], activity=act)
    timings["segment: behavioural_clusters"] = time.perf_counter() - t

    for name, sec in timings.items():
        print(f"  {name:<40s} {sec:7.2f} s")
    print(f"  (value building blocks together: {parts:.2f} s)")
    total = t_value + t_segment
    n_clusters = int(s["segment_profiles"]["cluster"].nunique())
    print(f"value stage   (bundle_tables): {t_value:7.2f} s  -> {len(v['value']):,} accounts scored")
    print(f"segment stage (bundle_tables): {t_segment:7.2f} s  -> {n_clusters} clusters")
    print(
        f"value + segment: {total:.2f} s (budget {args.budget:.0f} s) -> {'OK' if total < args.budget else 'TOO SLOW'}"
    )
    return 0 if total < args.budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
