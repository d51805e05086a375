"""Benchmark of the PowerPoint decks: seconds per deck for N demo accounts.

Analyses a generated demo portfolio of N accounts once (or reuses ``--bundle``), then
writes every account's deck with :func:`kamtools.deck.write_decks`, internal and
customer, and the portfolio deck, in this one process (no workers: decks are charts as
data, not rendered images). Prints seconds per deck (the whole run divided by the decks,
and the median and 95th percentile of single decks built and saved one at a time) beside
the HTML report's time per account, measured here on the same bundle: the reports of the
first ``--html-accounts`` accounts (20 by default; no overview) rendered with
:func:`kamtools.reports.render_reports` and ``--workers`` warm kernels (1 by default, like the
decks' one process): the run's wall time per report (kernel start-up included) and the
median of the reports' own times.

Measured on 2026-12-05 (200 demo accounts, 220 with the group parents, 3 years, seed 7; 2 shared cores):

* load average 2 (after the deck fixes of the issue-19 audit): internal decks 0.080 s per deck for the
  whole run (CPU 0.079 s; median 0.076 s one at a time, 95th percentile 0.089 s), customer decks 0.042 s
  (CPU 0.042 s), portfolio deck 0.102 s; HTML reports of 5 of those accounts with 1 warm worker 3.28 s
  per report (median 2.29 s): a deck takes 2.4% of an HTML report's time. Aim of 0.2 s met.
* an earlier run at load about 8, sharing the cores with other jobs: internal 0.207 s, customer 0.109 s,
  HTML 6.59 s per report (20 reports). The CPU seconds per deck, now printed, do not depend on the load.

Usage: python benchmarks/bench_decks.py [--accounts 200] [--years 3] [--bundle DIR] [--html-accounts 20] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def html_reports(bundle, out: Path, n: int, workers: int) -> tuple[float, float, int]:
    """(wall seconds per report, median seconds of one report, reports rendered) of the HTML
    reports of the bundle's first ``n`` accounts (no overview, no PDF)."""
    from kamtools.reports import render_reports

    ids = [str(a) for a in bundle.account_ids()[:n]]
    summary = render_reports(
        bundle, out, accounts=ids, workers=workers, formats=["html"], overview=False, progress=False
    )
    ok = [r for r in summary.results if r["status"] in ("ok", "partial") and r.get("seconds")]
    assert len(ok) == len(ids), [r for r in summary.results if r["status"] not in ("ok", "partial")][:3]
    return summary.seconds / len(ids), statistics.median(r["seconds"] for r in ok), len(ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bundle", help="reuse this analysis bundle instead of analysing a new demo portfolio")
    ap.add_argument("--html-accounts", type=int, default=20, help="accounts whose HTML report is timed (default 20)")
    ap.add_argument("--workers", type=int, default=1, help="workers rendering the HTML reports (default 1)")
    args = ap.parse_args()

    from kamtools.bundle import Bundle, analyze
    from kamtools.datasets import make_portfolio
    from kamtools.deck import write_decks
    from kamtools.deck.build import account_deck
    from kamtools.deck.portfolio import portfolio_deck
    from kamtools.deck.source import BundleRows
    from kamtools.deck.template import read_template

    work = Path(tempfile.mkdtemp(prefix="kamtools-bench-decks-"))
    if args.bundle:
        bundle = Bundle.open(args.bundle)
        print(f"bundle: {args.bundle} ({len(bundle.account_ids())} accounts)")
    else:
        t = time.perf_counter()
        portfolio, _ = make_portfolio(n_accounts=args.accounts, years=args.years, seed=args.seed)
        bundle = analyze(portfolio, work / "bundle", progress=False)
        print(f"analysis of {args.accounts} demo accounts ({args.years} years): {time.perf_counter() - t:.1f} s")
    n = len(bundle.account_ids())

    results = {}
    for audience in ("internal", "customer"):
        out = work / f"out-{audience}"
        cpu = time.process_time()  # CPU seconds of this process: what the decks cost whatever else runs
        summary = write_decks(bundle, out, audience=audience, progress=False, portfolio=False)
        cpu = time.process_time() - cpu
        assert not summary.failed, summary.failed
        results[audience] = summary.seconds / len(summary.written)
        print(
            f"{audience} decks: {len(summary.written)} in {summary.seconds:.1f} s = "
            f"{results[audience]:.3f} s per deck (the whole run: reading the bundle, building, writing); "
            f"CPU {cpu / len(summary.written):.3f} s per deck, load average {os.getloadavg()[0]:.1f}"
        )

    template = read_template(None)
    rows = BundleRows(bundle)
    ids = bundle.account_ids()
    for a in ids:  # read every table once, as write_decks does, so the single-deck times are build + save
        account_deck(rows.account(a), template, "customer")
        break
    singles: dict[str, list[float]] = {"internal": [], "customer": []}
    sizes: list[int] = []
    for a in ids:
        for audience in singles:
            t = time.perf_counter()
            data = account_deck(rows.account(a), template, audience)
            (work / "single.pptx").write_bytes(data)
            singles[audience].append(time.perf_counter() - t)
            if audience == "internal":
                sizes.append(len(data))
    for audience, times in singles.items():
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"{audience} deck, one at a time: median {statistics.median(times):.3f} s, 95th percentile {p95:.3f} s")
    print(f"internal deck size: median {statistics.median(sizes) / 1024:.0f} KiB")
    t = time.perf_counter()
    portfolio_deck(bundle, template)
    print(f"portfolio deck: {time.perf_counter() - t:.3f} s")

    m = max(1, min(args.html_accounts, n))
    wall, median, done = html_reports(bundle, work / "out-html", m, max(1, args.workers))
    print(
        f"HTML reports: {done} in {wall * done:.1f} s with {args.workers} worker(s) = {wall:.2f} s per report "
        f"(median of one report {median:.2f} s), measured on the same bundle"
    )
    print(
        f"per account: HTML report {wall:.2f} s (measured, {done} reports); deck {results['internal']:.3f} s internal, "
        f"{results['customer']:.3f} s customer, one process ({n} accounts): "
        f"a deck takes {results['internal'] / wall:.1%} of an HTML report's time"
    )
    aim = 0.2
    print(f"aim < {aim} s per deck: {'met' if max(results.values()) < aim else 'NOT met'}")


if __name__ == "__main__":
    main()
