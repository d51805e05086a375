"""``kamtools validate SOURCE``: the data-quality report of an export folder or database."""

from __future__ import annotations

import argparse
import sys

NAME = "validate"
HELP = "Check exports (folder of CSV/Parquet/Excel files or a database) and print a data-quality report."
EXAMPLE = "kamtools validate data/export --mapping data/mapping.yml --as-of 2025-06-30"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        metavar="SOURCE",
        help="folder with one file per table (orders.csv, accounts.parquet, ...), an .xlsx workbook with one "
        "sheet per table, or a database URL such as sqlite:///exports.db",
    )
    parser.add_argument("--mapping", metavar="FILE", help="YAML mapping of export column names and values")
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        dest="as_of",
        help="analysis date YYYY-MM-DD (default: the last order date); later rows are left out",
    )
    add_negative_lines(parser)


def add_negative_lines(parser: argparse.ArgumentParser) -> None:
    """``--negative-lines keep|drop|reject`` (shared by validate and analyze)."""
    parser.add_argument(
        "--negative-lines",
        dest="negative_lines",
        choices=("keep", "drop", "reject"),
        default=None,
        help="order lines with a negative quantity, net revenue or cost (returns, credit notes, rebates): keep them "
        "netted against revenue and margin (default), drop them with a warning, or reject them as errors; "
        "overrides the mapping's orders: {negative_lines: ...}",
    )


def run(args: argparse.Namespace) -> int:
    """Print the report; exit 0 when valid, 1 on data problems, 2 when SOURCE/mapping is missing."""
    from kamtools.data.loader import validate_source

    try:
        report = validate_source(
            args.source, mapping=args.mapping, as_of=args.as_of, negative_lines=args.negative_lines
        )
    except OSError as exc:  # FileNotFoundError, SourceNotFoundError, PermissionError
        print(f"kamtools validate: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # an unreadable --as-of
        print(f"kamtools validate: {exc}", file=sys.stderr)
        return 2
    print(report.to_text())
    return 0 if report.ok else 1
