"""Benchmark of batch reports: how close to papermill's floor, how much the bundle saves.

Prints, for this machine:

(a)  floor: papermill executing an empty parameterized notebook (new kernel each time);
(a') warm floor: the same empty notebook on a warm kernel (reset + execute);
(b)  batch time per report for N demo accounts with W workers, warm kernels (the default)
     and cold kernels (papermill's new kernel per notebook);
(c)  time per report when each notebook recomputes its analyses from the raw data
     (a variant notebook that loads the portfolio files and runs ``analyze`` before
     drawing the same sections), run the same way as (b) on a few accounts.

Usage: python benchmarks/bench_reports.py [--accounts 200] [--workers 2] [--recompute 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def empty_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    cell = nbformat.v4.new_code_cell('account_id = "A0001"\nbundle = ""')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, path)
    return path


def floor_cold(nb_path: Path, repeats: int) -> list[float]:
    import papermill

    times = []
    for i in range(repeats):
        t = time.perf_counter()
        papermill.execute_notebook(str(nb_path), None, parameters={"account_id": f"A{i:04d}"}, progress_bar=False)
        times.append(time.perf_counter() - t)
    return times


def floor_warm(nb_path: Path, repeats: int) -> list[float]:
    import papermill

    from kamtools.reports.kernels import ENGINE_NAME, WarmKernel

    times = []
    with WarmKernel() as kernel:
        for i in range(repeats + 1):
            t = time.perf_counter()
            kernel.reset()
            papermill.execute_notebook(
                str(nb_path),
                None,
                parameters={"account_id": f"A{i:04d}"},
                progress_bar=False,
                engine_name=ENGINE_NAME,
                kernel=kernel,
            )
            if i:  # the first use pays the kernel start
                times.append(time.perf_counter() - t)
    return times


def recompute_notebook(data_dir: Path, path: Path, stages: list[str] | None = None) -> Path:
    """The account report notebook, but analysing the raw tables itself instead of reading a bundle."""
    nb = nbformat.read(ROOT / "kamtools" / "notebooks" / "account_report.ipynb", as_version=4)
    for i, cell in enumerate(nb.cells):
        if "open_account" in cell.source:
            nb.cells[i] = nbformat.v4.new_code_cell(
                "import tempfile\n"
                "from kamtools import sections\n"
                "from kamtools.bundle import analyze\n\n"
                f"private = analyze({str(data_dir)!r}, tempfile.mkdtemp() + '/b', progress=False, stages={stages!r})\n"
                "acct = sections.open_account(str(private.path), account_id)\n"
                "sections.account_header(acct)"
            )
    nbformat.write(nb, path)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--recompute", type=int, default=4, help="accounts for (c)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-cold-batch", action="store_true")
    ap.add_argument("--stages", nargs="+", help="analyse only these stages (default: all)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (bundle, reports) for a look")
    args = ap.parse_args()

    from kamtools.bundle import analyze
    from kamtools.datasets import load_demo, write_tables
    from kamtools.demo import subset
    from kamtools.reports import render_reports

    work = Path(tempfile.mkdtemp(prefix="kamtools-bench-reports-"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; work dir {work}")

    nb_empty = empty_notebook(work / "empty.ipynb")
    a = floor_cold(nb_empty, args.repeats)
    print(
        f"(a)  floor, papermill empty notebook, new kernel: median {statistics.median(a):.2f} s  (runs {[round(x, 2) for x in a]})"
    )
    aw = floor_warm(nb_empty, args.repeats)
    print(f"(a') empty notebook on a warm kernel:            median {statistics.median(aw):.3f} s")

    portfolio = subset(load_demo(), args.accounts)
    t = time.perf_counter()
    bundle = analyze(portfolio, work / "bundle", progress=False, stages=args.stages)
    t_analyze = time.perf_counter() - t
    print(
        f"analyze {len(portfolio.accounts)} demo accounts once: {t_analyze:.1f} s; skipped: {sorted(bundle.manifest['skipped'])}"
    )

    n_reports = len(portfolio.accounts)
    summary = render_reports(bundle, work / "warm", workers=args.workers, mode="warm", progress=False, overview=False)
    b_warm = summary.seconds / n_reports
    print(
        f"(b)  batch, {n_reports} reports, {args.workers} workers, warm: {summary.seconds:.1f} s total, "
        f"{b_warm:.3f} s per report ({summary.count('ok')} ok, {summary.count('partial')} partial, {summary.count('failed')} failed)"
    )
    if not args.skip_cold_batch:
        cold = render_reports(bundle, work / "cold", workers=args.workers, mode="cold", progress=False, overview=False)
        b_cold = cold.seconds / n_reports
        print(f"(b') batch, cold kernels: {cold.seconds:.1f} s total, {b_cold:.3f} s per report")

    write_tables(portfolio, work / "raw")
    variant = recompute_notebook(work / "raw", work / "recompute.ipynb", args.stages)
    ids = bundle.account_ids()[: args.recompute]
    rc = render_reports(
        bundle,
        work / "recompute",
        accounts=ids,
        workers=args.workers,
        mode="warm",
        notebook=variant,
        progress=False,
        overview=False,
    )
    c = rc.seconds / len(ids)
    print(
        f"(c)  recompute from raw data per report ({len(ids)} reports, {args.workers} workers, warm): {c:.2f} s per report ({rc.count('failed')} failed)"
    )

    a_after = floor_cold(nb_empty, args.repeats)
    print(f"(a)  floor measured again after the batches: median {statistics.median(a_after):.2f} s")
    fa = statistics.median(a + a_after)
    print()
    print(f"load average now {os.getloadavg()[0]:.1f} (the figures are wall times on a shared machine)")
    print(
        f"(b)/(a) = {b_warm / fa:.2f}  (aim <= 1.5; floor = median of all {len(a) + len(a_after)} floor runs, {fa:.2f} s)"
    )
    print(f"(c)/(b) = {c / b_warm:.1f}  (aim >= 5)")
    if not args.skip_cold_batch:
        print(f"warm vs cold batch: {b_cold / b_warm:.1f}x faster per report")
    print(
        f"warm kernel, empty notebook: {statistics.median(aw) * 1000:.0f} ms vs the {fa:.2f} s floor ({fa / statistics.median(aw):.0f}x)"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
