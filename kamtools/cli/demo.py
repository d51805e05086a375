"""``kamtools demo``: the whole job on the bundled demo portfolio, in one command."""

from __future__ import annotations

import argparse
import sys

from kamtools.demo import ensure_bundle, subset

NAME = "demo"
HELP = "Analyse the bundled demo portfolio and render every account report, the overview and the index page."
EXAMPLE = "kamtools demo --quick --out reports/demo"

QUICK_ACCOUNTS = 60  # the fewest first demo accounts on which every analysis has enough history
QUICK_REPORTS = 10  # --quick renders the reports of this many accounts (the largest by revenue)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        default="reports/demo",
        metavar="OUT_DIR",
        help="output folder (default reports/demo): new, empty, or one kamtools wrote",
    )
    p.add_argument("--accounts", type=int, metavar="N", help="use only the first N demo accounts (default: all)")
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"a quick look (about a minute on 2 cores): the first {QUICK_ACCOUNTS} accounts analysed, "
        f"reports for the {QUICK_REPORTS} largest",
    )
    p.add_argument("--workers", type=int, default=2, metavar="N", help="parallel report workers (default 2)")
    p.add_argument("--format", default="html", metavar="FORMATS", help="html, or html,pdf (needs Chromium)")
    p.add_argument("--force", action="store_true", help="re-analyse and re-render even when up to date")
    p.add_argument(
        "--playbook",
        metavar="FILE",
        help="YAML file of the account-plan rules (default: the built-in kamtools/playbook.yml); checked first",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from kamtools.cli.reports import print_summary
    from kamtools.outputs import OutputError

    t0 = time.perf_counter()
    out = Path(args.out)
    code = _checked_before_work(args, out)
    if code:
        return code
    portfolio, t_load = _demo_portfolio(args)
    n_accounts = len(portfolio.accounts)
    print(f"analysing {n_accounts} accounts, every model fitted once: {about(analysis_seconds(n_accounts, t_load))}")
    try:
        bundle, reused = ensure_bundle(
            portfolio, out / "bundle", force=args.force, progress=not args.quiet, playbook=args.playbook
        )
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _print_bundle(bundle, reused)
    chosen = quick_accounts(bundle) if args.quick else None
    summary = _render(args, bundle, out, chosen, t_load)
    if isinstance(summary, int):
        return summary
    print_summary(summary)
    print(f"demo finished in {time.perf_counter() - t0:.1f} s. Open {summary.index.resolve()} in a browser.")
    if args.quick:
        print(f"(quick demo: {len(chosen)} of {len(bundle.accounts)} account reports; `kamtools demo` renders all)")
    return summary.exit_code


def _checked_before_work(args: argparse.Namespace, out) -> int:
    """0 when the playbook, the output folders and ``--accounts`` are fine; else the message is
    printed and the exit code returned."""
    from kamtools.cli.analyze import playbook_message
    from kamtools.outputs import OutputError, check_output_dir
    from kamtools.plan import PlaybookError, checked_playbook

    try:
        checked_playbook(args.playbook)  # a bad playbook stops the demo before any work
    except PlaybookError as exc:
        print(playbook_message(exc, "bundle or report"), file=sys.stderr)
        return 1
    try:  # the reports folder and its bundle/ must be new, empty or kamtools' own: checked before any work
        check_output_dir(out, "reports", flag="--out")
        check_output_dir(out / "bundle", "bundle", flag="--out (its bundle/ folder)")
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.accounts is not None and args.accounts < 1:
        print("error: --accounts must be at least 1", file=sys.stderr)
        return 2
    return 0


def _demo_portfolio(args: argparse.Namespace):
    """The demo portfolio (its first accounts with ``--accounts`` or ``--quick``) and the seconds it
    took to read and validate, which scale the time estimates."""
    import time

    from kamtools.datasets import load_demo

    t_load = time.perf_counter()
    portfolio = load_demo()
    t_load = time.perf_counter() - t_load
    if args.accounts or args.quick:
        portfolio = subset(portfolio, args.accounts or QUICK_ACCOUNTS)
    print(
        f"demo portfolio: {len(portfolio.accounts)} accounts, data as of {portfolio.as_of.date()} "
        f"(read and validated in {t_load:.1f} s)"
    )
    return portfolio, t_load


def _print_bundle(bundle, reused: bool) -> None:
    """Whether the bundle was written or reused, and the tables it skipped, grouped by reason."""
    m = bundle.manifest
    if reused:
        print(f"bundle {bundle.path} is up to date (analysis skipped)")
    else:
        print(f"bundle written to {bundle.path} in {m['timings_seconds']['total']:.1f} s")
    by_reason: dict[str, list[str]] = {}
    for name, reason in sorted(m["skipped"].items()):
        by_reason.setdefault(reason, []).append(name)
    for reason, names in by_reason.items():
        print(f"  skipped {', '.join(names)}: {reason}")


def _render(args: argparse.Namespace, bundle, out, chosen: list[str] | None, t_load: float):
    """Render the reports (the summary), or print the error and return its exit code."""
    from kamtools.outputs import OutputError
    from kamtools.reports import ReportError, render_reports

    n_reports = (len(chosen) if chosen is not None else len(bundle.accounts)) + 1
    print(
        f"rendering {n_reports} reports (accounts and the portfolio overview) with {args.workers} worker(s): "
        f"{about(report_seconds(n_reports, args.workers, t_load))}, less for reports that are up to date"
    )
    try:
        return render_reports(
            bundle,
            out,
            accounts=chosen,
            workers=args.workers,
            formats=args.format.split(","),
            force=args.force,
            progress=not args.quiet,
        )
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (ReportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def quick_accounts(bundle) -> list[str]:
    """The ``QUICK_REPORTS`` accounts of ``bundle`` with the highest revenue of the last 12 months."""
    accounts = bundle.accounts
    if "revenue_ltm" in accounts.columns:
        accounts = accounts.sort_values(["revenue_ltm", "account_id"], ascending=[False, True], na_position="last")
    return [str(a) for a in accounts["account_id"].head(QUICK_REPORTS)]


# How long the steps take, in multiples of the time this machine took to read and validate the
# demo portfolio (one process, 1.5 s on the 2-core machine of the README): the ratios stay about
# the same on a faster or a busier machine, so the estimate follows the machine. Fitted to
# `kamtools demo` (300 accounts: analysis 30 s, 301 reports 369 s) and `kamtools demo --quick`
# (60 accounts: 15 s, 11 reports 41 s) on that machine.
ANALYSIS_FIXED = 5.5  # analysis: the part that does not grow with the accounts
ANALYSIS_PER_ACCOUNT = 0.047  # ... plus this much per account
REPORTS_FIXED = 14.0  # starting the report kernels with their imports, the overview, the index page
REPORT_EACH = 1.5  # one account report on one worker


def analysis_seconds(n_accounts: int, unit: float) -> float:
    """About how long analysing ``n_accounts`` demo accounts takes (``unit``: the load step's seconds)."""
    return unit * (ANALYSIS_FIXED + ANALYSIS_PER_ACCOUNT * n_accounts)


def report_seconds(n_reports: int, workers: int, unit: float) -> float:
    """About how long ``n_reports`` reports take with ``workers`` workers on this machine's cores."""
    import os

    parallel = max(1, min(workers, n_reports, os.cpu_count() or 1))
    return unit * (REPORTS_FIXED + REPORT_EACH * n_reports / parallel)


def about(seconds: float) -> str:
    """'about 40 s on this machine', 'about 6 min on this machine'."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5)} s on this machine"
    return f"about {round(seconds / 60)} min on this machine"
