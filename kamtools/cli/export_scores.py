"""``kamtools export-scores BUNDLE --out FILE``: one row of scores per account for CRM fields."""

from __future__ import annotations

import argparse
import sys

NAME = "export-scores"
HELP = "Write each account's tier, health, churn probability and band, revenue at risk and next-12-month revenue."
EXAMPLE = "kamtools export-scores bundles/2026-11 --out scores.csv"

DESCRIPTION = """\
Columns (read from the bundle's accounts summary table): account_id, account_name, owner, tier,
health_score (0-100), health_band, churn_probability (0-1), churn_band, revenue_at_risk,
revenue_next_12m (the forecast), as_of (the bundle's data date). A column whose analysis was
skipped in the bundle is left empty and said on the console.

The file is written under a temporary name and renamed into place; an existing --out file is
replaced only when it is an earlier scores export (same header), never another file. CSV text
cells starting with = + - @ get a leading apostrophe so spreadsheets do not run them as formulas.
Exit codes: 0 written, 1 the output cannot be written, 2 a bad bundle."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = f"{HELP}\n\n{DESCRIPTION}"
    p.add_argument("bundle", metavar="BUNDLE_DIR", help="analysis bundle written by `kamtools analyze`")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (new, or an earlier scores export)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json (a list of records)")


def run(args: argparse.Namespace) -> int:
    from kamtools.bundle import BundleError
    from kamtools.review.export import ExportError, export_scores

    try:
        result = export_scores(args.bundle, args.out, fmt=args.format)
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    verb = "replaced" if result.replaced else "wrote"
    print(f"export-scores: {verb} {result.path}: {result.rows} accounts")
    return 0
