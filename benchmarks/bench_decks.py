"""Benchmark of the PowerPoint decks: seconds per deck for N demo accounts.

Analyses a generated demo portfolio of N accounts once (or reuses ``--bundle``), then
writes every account's deck with :func:`kamtools.deck.write_decks`, internal and
customer, and the portfolio deck, in this one process (no workers: decks are charts as
data, not rendered images). Prints seconds per deck (the whole run divided by the decks,
and the median and 95th percentile of single decks built and saved one at a time) beside
the HTML report's time per account, which comes from ``benchmarks/bench_reports.py`` (or
the README's demo timing when that is not run here).

Usage: python benchmarks/bench_decks.py [--accounts 200] [--years 3] [--bundle DIR] [--html-seconds S]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# the README's measured demo run: 301 reports (300 accounts and the overview) in 6 min 10 s with 2 workers
README_HTML_SECONDS_PER_REPORT = 370 / 301


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bundle", help="reuse this analysis bundle instead of analysing a new demo portfolio")
    ap.add_argument("--html-seconds", type=float, help="HTML seconds per report measured by bench_reports.py")
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
        summary = write_decks(bundle, out, audience=audience, progress=False, portfolio=False)
        assert not summary.failed, summary.failed
        results[audience] = summary.seconds / len(summary.written)
        print(
            f"{audience} decks: {len(summary.written)} in {summary.seconds:.1f} s = "
            f"{results[audience]:.3f} s per deck (the whole run: reading the bundle, building, writing)"
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

    html = args.html_seconds or README_HTML_SECONDS_PER_REPORT
    source = "bench_reports.py" if args.html_seconds else "README demo run, 2 workers"
    print(
        f"HTML report: {html:.2f} s per account ({source}); deck: {results['internal']:.3f} s internal, "
        f"{results['customer']:.3f} s customer per account, one process ({n} accounts)"
    )
    aim = 0.2
    print(f"aim < {aim} s per deck: {'met' if max(results.values()) < aim else 'NOT met'}")


if __name__ == "__main__":
    main()
