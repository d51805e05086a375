"""``kamtools reports``: render every account's strategy report and the portfolio overview."""

from __future__ import annotations

import argparse
import sys

NAME = "reports"
HELP = (
    "Render every account's strategy report (HTML, optionally PDF), the portfolio overview and an index page; "
    "with --format pptx, a PowerPoint deck per account and a portfolio review deck."
)
EXAMPLE = "kamtools reports reports/demo/bundle --out reports/demo --workers 2 --format html,pdf"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("bundle", metavar="BUNDLE_DIR", help="analysis bundle written by `kamtools analyze`")
    p.add_argument(
        "--out",
        required=True,
        metavar="OUT_DIR",
        help="output folder (index.html, accounts/, run.log): new, empty, or one kamtools wrote",
    )
    p.add_argument("--accounts", nargs="+", metavar="ID", help="render only these account ids (default: all)")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="parallel workers (default 2; 1 = no pool)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed scheduler, e.g. tcp://host:8786")
    p.add_argument(
        "--format",
        default="html",
        metavar="FORMATS",
        help="comma-separated output formats: html, pdf (needs the system Chromium) and pptx (a PowerPoint deck "
        "per account and a portfolio review deck; pptx alone renders no HTML)",
    )
    p.add_argument(
        "--audience",
        choices=("internal", "customer"),
        default="internal",
        help="pptx: internal (default; risks, margins, competitors, the plan) or customer (nothing internal)",
    )
    p.add_argument("--template", metavar="PPTX", help="pptx: the company's PowerPoint template (default: kamtools')")
    p.add_argument("--force", action="store_true", help="re-render reports that are already up to date")
    p.add_argument(
        "--mode",
        choices=("warm", "cold"),
        default="warm",
        help="warm: reuse a preloaded kernel per worker (default, same output); cold: a new kernel per report",
    )
    p.add_argument("--timeout", type=float, default=600, metavar="S", help="seconds one notebook cell may run")
    p.add_argument("--no-overview", action="store_true", help="skip the portfolio overview report")
    p.add_argument(
        "--since",
        metavar="PREVIOUS_BUNDLE",
        help="the bundle of the last review (only read): reports, index and since.html show what changed since then",
    )
    p.add_argument(
        "--tasks",
        metavar="TASKS_FILE",
        help="with --since: a CRM task export (CSV or Excel) marking the last review's actions done",
    )
    p.add_argument(
        "--tasks-mapping",
        metavar="CRM_YML",
        help="the CRM mapping of the task export's columns and values (as for export-actions --mapping)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def print_summary(summary, stream=None) -> None:
    """The run's counts, its problems and where the index is (on ``stream``, default stdout)."""
    stream = stream if stream is not None else sys.stdout  # looked up now: stdout may have been replaced
    c = summary.count
    rendered = c("ok") + c("partial")
    print(
        f"reports: {rendered} rendered, {c('skipped')} up to date (skipped), {c('failed')} failed"
        + (f", {c('partial')} with failed sections" if c("partial") else "")
        + f" in {summary.seconds:.1f} s",
        file=stream,
    )
    for r in summary.problems[:20]:
        print(f"  {r['status']}: {r['account']}: {r['error']}", file=stream)
    if len(summary.problems) > 20:
        print(f"  ... and {len(summary.problems) - 20} more (see {summary.out_dir / 'run.log'})", file=stream)
    print(f"index: {summary.index}", file=stream)


def run(args: argparse.Namespace) -> int:
    from kamtools.bundle import BundleError
    from kamtools.outputs import OutputError
    from kamtools.reports import ReportError
    from kamtools.review.since import SinceError

    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    pages = [f for f in formats if f != "pptx"]
    unknown = [f for f in formats if f not in ("html", "pdf", "pptx")]
    if unknown:
        print(f"error: unknown --format {', '.join(unknown)}; choose from html, pdf and pptx", file=sys.stderr)
        return 2
    if "pptx" in formats:  # checked before any report is rendered
        from kamtools.deck import TemplateError, read_template
        from kamtools.extras import require

        require("decks")
        try:
            read_template(args.template)
        except TemplateError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    summary = None
    try:
        if "pptx" in formats:  # first, so that the index written with the reports links the decks
            decks = _decks(args)
        if pages or "pptx" not in formats:
            summary = _render(args, pages or ["html"])
    except SinceError as exc:  # --since / --tasks: a bad path, bundle or task export
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OutputError as exc:  # the output folder: refused, not writable, disk full
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (BundleError, ReportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _record_bundle(args)
    code = 0
    if summary is not None:
        print_summary(summary)
        code = summary.exit_code
    if "pptx" in formats:
        print_deck_summary(decks)
        code = max(code, decks.exit_code)
    return code


def _record_bundle(args: argparse.Namespace) -> None:
    """Note the bundle in OUT's state folder, so that `kamtools deliver OUT` finds it without --bundle."""
    from kamtools.bundle import BundleError
    from kamtools.review.deliver import record_bundle

    try:
        record_bundle(args.out, args.bundle)
    except (OSError, BundleError) as exc:  # the reports are written; deliver then asks for --bundle
        print(f"note: could not record the bundle in {args.out}: {exc}", file=sys.stderr)


def print_deck_summary(decks, stream=None) -> None:
    """How many decks were written, for whom, their failures and where the portfolio deck is."""
    stream = stream if stream is not None else sys.stdout
    print(
        f"decks: {len(decks.written)} {decks.audience} deck(s) written, {len(decks.failed)} failed "
        f"in {decks.seconds:.1f} s (in {decks.out_dir / 'accounts'})",
        file=stream,
    )
    for account, error in list(decks.failed.items())[:20]:
        print(f"  failed: {account}: {error}", file=stream)
    if decks.portfolio is not None:
        print(f"portfolio deck: {decks.portfolio}", file=stream)
    elif decks.audience == "customer":
        print("portfolio deck: not written for a customer audience (it is the internal management review)", file=stream)


def _decks(args: argparse.Namespace):
    from kamtools.deck import write_decks

    return write_decks(
        args.bundle,
        args.out,
        accounts=args.accounts,
        audience=args.audience,
        template=args.template,
        portfolio=not args.no_overview,
        progress=not args.quiet,
        since=args.since,
        tasks=args.tasks,
        tasks_mapping=args.tasks_mapping,
    )


def _render(args: argparse.Namespace, formats: list[str]):
    from kamtools.reports import render_reports

    return render_reports(
        args.bundle,
        args.out,
        accounts=args.accounts,
        workers=args.workers,
        scheduler=args.scheduler,
        formats=formats,
        force=args.force,
        mode=args.mode,
        progress=not args.quiet,
        overview=not args.no_overview,
        timeout=args.timeout,
        since=args.since,
        tasks=args.tasks,
        tasks_mapping=args.tasks_mapping,
    )
