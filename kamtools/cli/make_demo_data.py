"""``kamtools make-demo-data``: write a generated demo portfolio as CSV or Parquet files."""

from __future__ import annotations

import argparse

NAME = "make-demo-data"
HELP = "Generate a realistic demo portfolio (every canonical table) into a folder of CSV or Parquet files."
EXAMPLE = "kamtools make-demo-data data/demo --accounts 300 --years 4 --seed 7 --format csv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments: OUT_DIR, --accounts, --years, --seed, --format, --as-of."""
    parser.add_argument(
        "out_dir", metavar="OUT_DIR", help="folder to write one file per table into (created if missing)"
    )
    parser.add_argument("--accounts", type=int, default=300, metavar="N", help="number of accounts (default 300)")
    parser.add_argument("--years", type=int, default=4, metavar="Y", help="years of order history (default 4)")
    parser.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    parser.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", dest="fmt", help="file format (default csv)"
    )
    parser.add_argument("--as-of", default=None, metavar="DATE", help="analysis date YYYY-MM-DD (default 2026-10-31)")


def run(args: argparse.Namespace) -> int:
    """Generate the portfolio, write it, print what was written; returns the exit code."""
    import sys
    import time

    from kamtools.datasets import make_portfolio, write_tables

    if args.accounts < 10:
        print(f"make-demo-data: --accounts must be at least 10 (got {args.accounts})", file=sys.stderr)
        return 2
    if args.years < 2:
        print(f"make-demo-data: --years must be at least 2 (got {args.years})", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        portfolio, _truth = make_portfolio(n_accounts=args.accounts, years=args.years, seed=args.seed, as_of=args.as_of)
    except ValueError as exc:
        print(f"make-demo-data: {exc}", file=sys.stderr)
        return 2
    paths = write_tables(portfolio, args.out_dir, fmt=args.fmt)
    for path in paths:
        rows = len(portfolio.tables[path.stem])
        print(f"wrote {path}  ({rows:,} rows, {path.stat().st_size / 1e6:.2f} MB)")
    print(
        f"demo portfolio: {args.accounts} accounts, {args.years} years, seed {args.seed}, "
        f"as_of {portfolio.as_of.date()}, {time.perf_counter() - start:.1f} s"
    )
    return 0
