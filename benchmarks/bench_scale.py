"""End-to-end scale benchmark: `kamtools analyze` on a whole organisation's portfolio.

For each size it generates a portfolio with every optional table, writes it as Parquet,
runs `kamtools analyze` in a fresh process and prints wall time per stage (from the
bundle manifest) and the peak resident memory of that process.

    python benchmarks/bench_scale.py                   # 1,000, 3,000 and 10,000 accounts
    python benchmarks/bench_scale.py --sizes 10000     # only the big one
    python benchmarks/bench_scale.py --scheduler tcp://127.0.0.1:8786

Aim (issue 10): 10,000 accounts / ~5M order lines under 5 minutes and 8 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGE_GROUPS = {
    "load+validate": ["load"],
    "segment+value": ["value", "segment"],
    "forecast": ["forecast"],
    "churn": ["churn"],
    "competitors+whitespace": ["competitors", "whitespace"],
    "KPIs+plans": ["kpis", "plan"],
    "scenario inputs": ["scenario"],
    "bundle write": ["write"],
}


def generate(n_accounts: int, out: Path) -> int:
    from kamtools.datasets import make_portfolio, write_tables

    portfolio, _ = make_portfolio(n_accounts=n_accounts, years=4, seed=1)
    write_tables(portfolio, out, fmt="parquet")
    return len(portfolio.orders)


def run_analyze(source: Path, bundle: Path, scheduler: str | None) -> tuple[float, float]:
    """Run `kamtools analyze` in a child process; return (wall seconds, peak RSS GB)."""
    cmd = [sys.executable, "-m", "kamtools", "analyze", str(source), "--out", str(bundle), "--quiet"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    # measure the child alone: wrap it so its own RUSAGE_CHILDREN is clean
    wrapper = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter(); r = subprocess.run(sys.argv[1:]);"
        "w = time.perf_counter() - t;"
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
        "sys.exit(r.returncode)"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"kamtools analyze failed for {source}")
    wall, maxrss_kb = out.stdout.strip().splitlines()[-1].split()
    return float(wall), int(maxrss_kb) / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--scheduler", help="Dask scheduler address for the parallel parts")
    parser.add_argument("--workdir", help="keep generated data here (default: a temporary folder)")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.workdir or tmp)
        for n in args.sizes:
            src = base / f"portfolio_{n}"
            t = time.perf_counter()
            n_lines = generate(n, src)
            gen_s = time.perf_counter() - t
            wall, peak_gb = run_analyze(src, base / f"bundle_{n}", args.scheduler)
            manifest = json.loads((base / f"bundle_{n}" / "manifest.json").read_text())
            timings = manifest["timings_seconds"]
            groups = {g: sum(timings.get(s, 0.0) for s in stages) for g, stages in STAGE_GROUPS.items()}
            rows.append((n, n_lines, wall, peak_gb, groups))
            print(f"\n{n:,} accounts, {n_lines:,} order lines (generated in {gen_s:.0f} s)")
            for g, s in groups.items():
                print(f"  {g:<24s}{s:8.1f} s")
            print(f"  {'total (wall, process)':<24s}{wall:8.1f} s   peak memory {peak_gb:.2f} GB")

    print("\naccounts  order lines   wall s   peak GB   s per 1k accounts   GB per 1M lines")
    for n, n_lines, wall, peak_gb, _ in rows:
        print(
            f"{n:>8,} {n_lines:>12,} {wall:8.1f} {peak_gb:9.2f} {wall / n * 1000:19.1f} {peak_gb / n_lines * 1e6:17.2f}"
        )
    print(
        f"\ncores: {os.cpu_count()}, max RSS of this driver: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GB"
    )


if __name__ == "__main__":
    main()
