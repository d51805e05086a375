"""Benchmark: load and validate 5 million order lines from Parquet.

Builds a synthetic canonical export (accounts, products, orders; numpy, seeded) in a
folder, then times ``kamtools.load_portfolio`` in a fresh subprocess and prints wall
seconds and peak resident memory (``ru_maxrss``) of that subprocess.

    .venv/bin/python benchmarks/bench_load.py                 # 5,000,000 lines, Parquet
    .venv/bin/python benchmarks/bench_load.py --rows 1000000 --format csv
    .venv/bin/python benchmarks/bench_load.py --dir /tmp/bench --keep

Target on the 2-core reference machine: under 30 s and under 3 GB for 5M lines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_export(folder: Path, rows: int, fmt: str = "parquet", seed: int = 0) -> dict[str, int]:
    """Write accounts/products/orders with ``rows`` order lines; returns row counts."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_accounts = max(rows // 250, 10)
    n_products = max(rows // 2500, 10)
    folder.mkdir(parents=True, exist_ok=True)

    def ids(prefix: str, n: int, width: int):
        return prefix + pd.Series(np.arange(1, n + 1)).astype("str").str.zfill(width)

    account_ids = ids("A", n_accounts, 6)
    accounts = pd.DataFrame(
        {
            "account_id": account_ids,
            "name": "Account " + account_ids,
            "industry": rng.choice(["Feed milling", "Retail", "Hospitals", "Logistics"], n_accounts),
            "region": rng.choice(["North", "South", "East", "West"], n_accounts),
            "country": rng.choice(["SE", "DE", "FR", "US", "GB"], n_accounts),
            "channel": rng.choice(["Direct", "Distributor"], n_accounts),
            "owner": rng.choice([f"KAM {i}" for i in range(40)], n_accounts),
            "customer_since": pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 5000, n_accounts), unit="D"),
            "potential_revenue": rng.gamma(2.0, 5e5, n_accounts).round(2),
        }
    )
    product_ids = ids("P", n_products, 5)
    price = rng.gamma(3.0, 20.0, n_products).round(2) + 1
    products = pd.DataFrame(
        {
            "product_id": product_ids,
            "name": "Product " + product_ids,
            "category": rng.choice([f"Category {i}" for i in range(25)], n_products),
            "list_price": price,
            "unit_cost": (price * rng.uniform(0.5, 0.8, n_products)).round(2),
        }
    )
    # orders of 1-5 lines
    lines_per = rng.integers(1, 6, rows // 3 + 10)
    lines_per = lines_per[: np.searchsorted(np.cumsum(lines_per), rows) + 1]
    lines_per[-1] -= lines_per.sum() - rows
    n_orders = len(lines_per)
    order_no = np.repeat(np.arange(1, n_orders + 1), lines_per)
    line = np.arange(rows) - np.repeat(np.cumsum(lines_per) - lines_per, lines_per) + 1
    order_acc = rng.integers(0, n_accounts, n_orders)
    order_day = np.sort(rng.integers(0, 4 * 365, n_orders))
    prod = rng.integers(0, n_products, rows)
    qty = rng.integers(1, 200, rows).astype("float64")
    revenue = (qty * price[prod] * rng.uniform(0.8, 1.0, rows)).round(2)
    cost = (qty * products["unit_cost"].to_numpy()[prod]).round(2)
    start = np.datetime64("2021-01-01")
    order_ids = pa.array(("SO-" + pd.Series(order_no).astype("str").str.zfill(9)).to_numpy(dtype=object))
    orders = pa.table(
        {
            "order_id": order_ids,
            "line": pa.array(line.astype("int64")),
            "account_id": pa.array(account_ids.to_numpy(dtype=object)[np.repeat(order_acc, lines_per)]),
            "product_id": pa.array(product_ids.to_numpy(dtype=object)[prod]),
            "order_date": pa.array((start + np.repeat(order_day, lines_per)).astype("datetime64[D]")),  # date32
            "quantity": pa.array(qty),
            "net_revenue": pa.array(revenue),
            "cost": pa.array(cost),
        }
    )
    if fmt == "parquet":
        accounts.to_parquet(folder / "accounts.parquet", index=False)
        products.to_parquet(folder / "products.parquet", index=False)
        pq.write_table(orders, folder / "orders.parquet")
    elif fmt == "csv":
        accounts.to_csv(folder / "accounts.csv", index=False, date_format="%Y-%m-%d")
        products.to_csv(folder / "products.csv", index=False)
        orders.to_pandas().to_csv(folder / "orders.csv", index=False, date_format="%Y-%m-%d")
    else:
        raise ValueError(fmt)
    return {"accounts": n_accounts, "products": n_products, "orders": rows}


CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from kamtools.data.loader import load_portfolio
import kamtools.data.schemas  # noqa: F401 - count imports separately
t1 = time.perf_counter()
rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
c1 = time.process_time()
p = load_portfolio(sys.argv[1])
t2 = time.perf_counter()
c2 = time.process_time()
print(json.dumps({
    "import_s": t1 - t0,
    "load_s": t2 - t1,
    "load_cpu_s": c2 - c1,
    "rows": {k: len(v) for k, v in p.tables.items()},
    "warnings": len(p.warnings),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_after_imports_mb": rss_imports / 1024,
    "vm_hwm_mb": next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024,
}))
"""


def measure(folder: Path) -> dict:
    """Load ``folder`` in a fresh Python process; returns its timings and peak RSS."""
    res = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_000_000, help="order lines (default 5,000,000)")
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    ap.add_argument("--dir", type=Path, default=None, help="folder for the export (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated export")
    ap.add_argument("--repeat", type=int, default=1, help="measure this many times (fresh process each)")
    ap.add_argument("--make-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_only is not None:
        print(json.dumps(make_export(args.make_only, args.rows, args.format)))
        return

    tmp = None
    folder = args.dir
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="kamtools-bench-")
        folder = Path(tmp.name)
    t = time.perf_counter()
    # build the export in its own process: ru_maxrss survives exec, so the measuring
    # child must not descend from a process that once held the whole export
    cmd = [sys.executable, __file__, "--make-only", str(folder), "--rows", str(args.rows), "--format", args.format]
    counts = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    print(f"export: {counts} as {args.format}, {size:,.0f} MB, built in {time.perf_counter() - t:.1f} s")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for i in range(args.repeat):
        r = measure(folder)
        print(
            f"run {i + 1}: load_portfolio {r['load_s']:.1f} s wall, {r['load_cpu_s']:.1f} s CPU "
            f"(imports {r['import_s']:.1f} s), "
            f"peak RSS {r['peak_rss_mb']:,.0f} MB (ru_maxrss; VmHWM {r['vm_hwm_mb']:,.0f} MB; "
            f"after imports {r['rss_after_imports_mb']:,.0f} MB), "
            f"rows {r['rows']}"
        )
    if tmp is not None and not args.keep:
        tmp.cleanup()
    elif args.keep:
        print(f"export kept in {folder}")


if __name__ == "__main__":
    main()
