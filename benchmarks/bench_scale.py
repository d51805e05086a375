"""End-to-end scale benchmark: `kamtools analyze` on a whole organisation's portfolio.

For each size it generates a portfolio with every optional table, writes it as Parquet,
runs `kamtools analyze` in a fresh process and prints wall and CPU time per stage (from
the bundle manifest), the peak resident memory of that process and the machine's load
average (the machine may be shared: compare CPU seconds, and repeat when the load is high).

    python benchmarks/bench_scale.py                   # 1,000, 3,000 and 10,000 accounts
    python benchmarks/bench_scale.py --sizes 10000     # only the big one
    python benchmarks/bench_scale.py --workdir /tmp/scale   # keep (and reuse) the generated data
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
    """Write the demo portfolio as Parquet (reused when ``out`` already holds it); return its order lines."""
    import pyarrow.parquet as pq

    from kamtools.datasets import make_portfolio, write_tables

    done = out / ".complete"
    if not done.exists():
        portfolio, _ = make_portfolio(n_accounts=n_accounts, years=4, seed=1)
        write_tables(portfolio, out, fmt="parquet")
        done.write_text(f"make_portfolio(n_accounts={n_accounts}, years=4, seed=1)\n")
    return pq.ParquetFile(out / "orders.parquet").metadata.num_rows


def run_analyze(source: Path, bundle: Path, scheduler: str | None) -> tuple[float, float, float, float]:
    """Run `kamtools analyze` in a child process.

    Returns (wall s, CPU s of the process and its local workers, peak RSS GB of the main
    process, peak RSS GB of the whole process tree: main process plus worker processes,
    sampled every 0.2 s).
    """
    import psutil

    cmd = [sys.executable, "-m", "kamtools", "analyze", str(source), "--out", str(bundle), "--quiet"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    # measure the child alone: wrap it so its own RUSAGE_CHILDREN is clean
    wrapper = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter(); r = subprocess.run(sys.argv[1:]);"
        "w = time.perf_counter() - t;"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(w, u.ru_maxrss, u.ru_utime + u.ru_stime);"
        "sys.exit(r.returncode)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", wrapper, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    tree_peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            members = [root, *root.children(recursive=True)]
            tree_peak = max(tree_peak, sum(m.memory_info().rss for m in members if m.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.stderr.write(stderr)
        raise SystemExit(f"kamtools analyze failed for {source}")
    wall, maxrss_kb, cpu = stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu), int(maxrss_kb) / 1024 / 1024, tree_peak / 1024**3


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
            load_before = os.getloadavg()[0]
            wall, cpu, peak_gb, tree_gb = run_analyze(src, base / f"bundle_{n}", args.scheduler)
            manifest = json.loads((base / f"bundle_{n}" / "manifest.json").read_text())
            timings, cpus = manifest["timings_seconds"], manifest.get("cpu_seconds", {})
            groups = {g: sum(timings.get(s, 0.0) for s in stages) for g, stages in STAGE_GROUPS.items()}
            cpu_groups = {g: sum(cpus.get(s, 0.0) for s in stages) for g, stages in STAGE_GROUPS.items()}
            rows.append((n, n_lines, wall, cpu, peak_gb, tree_gb))
            print(f"\n{n:,} accounts, {n_lines:,} order lines (data ready in {gen_s:.0f} s)")
            print(f"  {'stage':<24s}{'wall s':>8s}{'CPU s':>8s}")
            for g, s in groups.items():
                print(f"  {g:<24s}{s:8.1f}{cpu_groups[g]:8.1f}")
            print(f"  {'total (process)':<24s}{wall:8.1f}{cpu:8.1f}")
            print(f"  peak memory: main process {peak_gb:.2f} GB, with worker processes {tree_gb:.2f} GB")
            print(
                f"  load average before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            )

    print("\naccounts  order lines   wall s    CPU s   peak GB (main / all)   CPU s per 1k accounts   GB per 1M lines")
    for n, n_lines, wall, cpu, peak_gb, tree_gb in rows:
        print(
            f"{n:>8,} {n_lines:>12,} {wall:8.1f} {cpu:8.1f} {peak_gb:9.2f} / {tree_gb:5.2f}      "
            f"{cpu / n * 1000:18.1f} {tree_gb / n_lines * 1e6:17.2f}"
        )
    print(
        f"\ncores: {os.cpu_count()}, max RSS of this driver: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GB"
    )


if __name__ == "__main__":
    main()
