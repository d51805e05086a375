"""``kamtools make-demo-data``: write a generated demo portfolio as CSV or Parquet files."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

NAME = "make-demo-data"
HELP = "Generate a realistic demo portfolio (every canonical table) into a folder of CSV or Parquet files."
EXAMPLE = "kamtools make-demo-data demo_data --accounts 300 --years 4 --seed 7 --format csv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments: OUT_DIR, --accounts, --years, --seed, --format, --as-of, --groups."""
    parser.add_argument(
        "out_dir",
        metavar="OUT_DIR",
        help="folder to write one file per table into: new, empty, or a demo folder kamtools wrote",
    )
    parser.add_argument("--accounts", type=int, default=300, metavar="N", help="number of accounts (default 300)")
    parser.add_argument("--years", type=int, default=4, metavar="Y", help="years of order history (default 4)")
    parser.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    parser.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", dest="fmt", help="file format (default csv)"
    )
    parser.add_argument("--as-of", default=None, metavar="DATE", help="analysis date YYYY-MM-DD (default 2026-10-31)")
    parser.add_argument(
        "--groups",
        type=int,
        default=None,
        metavar="N",
        help="global-account groups of 3 to 12 units each (default: one per 15 accounts; 0 = no groups, "
        "reporting lines or attitudes: the demo of earlier versions)",
    )


def run(args: argparse.Namespace) -> int:
    """Generate the portfolio, write it, print what was written; returns the exit code."""
    import sys
    import time

    from kamtools.datasets import make_portfolio

    if args.accounts < 10:
        print(f"make-demo-data: --accounts must be at least 10 (got {args.accounts})", file=sys.stderr)
        return 2
    if args.years < 2:
        print(f"make-demo-data: --years must be at least 2 (got {args.years})", file=sys.stderr)
        return 2
    if args.groups is not None and args.groups < 0:
        print(f"make-demo-data: --groups must be 0 or more (got {args.groups})", file=sys.stderr)
        return 2
    from kamtools.outputs import OutputError, check_output_dir, remove_stale

    out = Path(args.out_dir)
    try:  # a folder kamtools did not write (e.g. your own exports) is never written into
        check_output_dir(out, "demo-data", flag="OUT_DIR")
    except OutputError as exc:
        print(f"make-demo-data: {exc}", file=sys.stderr)
        return 1
    remove_stale(out.parent, out.name)  # temporaries of killed runs
    start = time.perf_counter()
    try:
        portfolio, truth = make_portfolio(
            n_accounts=args.accounts, years=args.years, seed=args.seed, as_of=args.as_of, groups=args.groups
        )
    except ValueError as exc:
        print(f"make-demo-data: {exc}", file=sys.stderr)
        return 2
    try:
        paths = write_demo_folder(portfolio, out, args.fmt)
    except OutputError as exc:
        print(f"make-demo-data: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        rows = len(portfolio.tables[path.stem])
        print(f"wrote {path}  ({rows:,} rows, {path.stat().st_size / 1e6:.2f} MB)")
    print(
        f"demo portfolio: {args.accounts} accounts, {args.years} years, seed {args.seed}, "
        f"as_of {portfolio.as_of.date()}, {time.perf_counter() - start:.1f} s"
    )
    print(group_summary(portfolio, truth))
    return 0


def write_demo_folder(portfolio, out: Path, fmt: str) -> list[Path]:
    """Write the tables into ``out`` (checked beforehand with kamtools.outputs.check_output_dir).

    The files are written into a temporary sibling folder first, so a full disk or a killed
    run never leaves half a table: a new ``out`` is that folder renamed; into an empty folder
    or a demo folder kamtools wrote earlier, each table file is moved (tables of the other
    format are removed so the folder holds one file per table). Raises OutputError.
    """
    from kamtools.datasets import write_tables
    from kamtools.outputs import MARKER, OutputError, marker_text, temp_name, write_failure

    full = out.resolve()
    tmp = full.parent / temp_name(full.name)
    try:
        full.parent.mkdir(parents=True, exist_ok=True)
        written = write_tables(portfolio, tmp, fmt=fmt)
        (tmp / MARKER).write_text(marker_text("demo-data"), encoding="utf-8")
        if not out.exists():
            tmp.rename(out)
        else:
            other = "parquet" if fmt == "csv" else "csv"
            for path in written:
                stale = out / f"{path.stem}.{other}"
                if stale.is_file():
                    stale.unlink()
            for path in [*written, tmp / MARKER]:
                os.replace(path, out / path.name)
            tmp.rmdir()
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(write_failure(out, exc, flag="OUT_DIR")) from exc
    return [out / path.name for path in written]


def group_summary(portfolio, truth) -> str:
    """One line on the groups of a demo: how many, their units, parent rows, trading parents."""
    from kamtools.groups.tree import hierarchy

    hier = hierarchy(portfolio.accounts)
    parents = hier[hier["is_group"]]
    if parents.empty:
        return "groups: none (stand-alone accounts only)"
    units = hier[(hier["depth"] > 0) & ~hier["is_group"]]
    trading = parents["account_id"].isin(portfolio.orders["account_id"].unique())
    n_groups = int((parents["depth"] == 0).sum())
    return (
        f"groups: {n_groups} with {len(units)} units ({len(parents)} parent accounts, {int(trading.sum())} of them "
        f"with orders of their own); {len(hier) - len(units) - len(parents)} stand-alone accounts; "
        f"{len(truth.champions_left)} champions left"
    )
