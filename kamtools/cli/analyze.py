"""`kamtools analyze`: fit every analysis once and write the bundle."""

from __future__ import annotations

import argparse
import sys

NAME = "analyze"
HELP = "Load and validate the data, fit every analysis once, and write the analysis bundle."
EXAMPLE = "kamtools analyze data/demo --out reports/demo/bundle --as-of 2026-10-31"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="folder of CSV/Parquet/Excel tables, or a SQLAlchemy database URL")
    p.add_argument("--out", required=True, help="bundle folder to write (replaced atomically)")
    p.add_argument("--mapping", help="YAML file mapping your column names and values to kamtools' names")
    p.add_argument("--as-of", dest="as_of", help="analysis date YYYY-MM-DD (default: last order date)")
    p.add_argument("--scheduler", help="address of a Dask distributed scheduler for the parallel parts")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from kamtools.bundle import analyze
    from kamtools.data.validation import DataValidationError

    try:
        bundle = analyze(
            args.source,
            args.out,
            mapping=args.mapping,
            as_of=args.as_of,
            progress=not args.quiet,
        )
    except DataValidationError as exc:
        print(str(exc), file=sys.stderr)
        print(
            "\nNo bundle was written. Fix the problems above (see `kamtools validate`) and run again.", file=sys.stderr
        )
        return 1
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m = bundle.manifest
    print(f"bundle written to {bundle.path} (as of {m['as_of']}, {m['n_accounts']} accounts)")
    print(f"tables: {', '.join(sorted(m['tables']))}")
    for name, reason in sorted(m["skipped"].items()):
        print(f"skipped {name}: {reason}")
    print(f"total time: {m['timings_seconds']['total']:.1f} s")
    return 0
