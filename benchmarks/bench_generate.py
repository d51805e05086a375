"""Benchmark of the demo generator: wall time and peak memory at organisation scale.

Run: ``.venv/bin/python benchmarks/bench_generate.py [--accounts 10000] [--years 4] [--write DIR]``
Prints the generation time, table sizes and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", default=None, metavar="DIR", help="also time writing Parquet files to DIR")
    args = parser.parse_args(argv)

    import kamtools.datasets as ds

    base_mb = peak_rss_mb()
    start = time.perf_counter()
    portfolio, truth = ds.make_portfolio(n_accounts=args.accounts, years=args.years, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(f"make_portfolio(n_accounts={args.accounts}, years={args.years}, seed={args.seed})")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"  wall time        {elapsed:8.1f} s")
    print(f"  cpu time         {usage.ru_utime + usage.ru_stime:8.1f} s (whole process, incl. imports)")
    print(f"  peak memory      {peak_rss_mb():8.0f} MB (after imports: {base_mb:.0f} MB)")
    for name, df in portfolio.tables.items():
        print(f"  {name:18s} {len(df):>12,} rows  {df.memory_usage(deep=True).sum() / 1e6:9.1f} MB")
    lines = len(portfolio.orders)
    print(f"  order lines/s    {lines / elapsed:12,.0f}")
    print(f"  churned accounts {truth.churn['churned'].mean():8.1%}")
    if args.write:
        start = time.perf_counter()
        ds.write_tables(portfolio, args.write, fmt="parquet")
        print(f"  write parquet    {time.perf_counter() - start:8.1f} s -> {args.write}")
        print(f"  peak memory      {peak_rss_mb():8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
