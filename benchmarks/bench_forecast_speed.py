"""Speed of kamtools.forecast: 2,000 monthly series of 48 months, with model selection.

The series mimic account revenue: a level drawn log-normally, trend, multiplicative
seasonality of varying strength, noise, and a share of intermittent (many zero months)
series. Every series goes through the full automatic procedure (seasonality test, STL,
ETS selection by AICc, Theta, ARIMA selection by AICc, median combination; TSB for the
intermittent ones). Prints the wall time, the time per series, and the n_jobs=1 time for
comparison (skip it with --no-serial). Target: under 60 s on a 2-core machine.

Run: ``python benchmarks/bench_forecast_speed.py [--series 2000] [--months 48] [--n-jobs -1]``
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd

from kamtools.forecast import Forecaster


def make_series(n_series: int, months: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    level = rng.lognormal(10, 1, n_series)[:, None]
    trend = 1 + rng.normal(0, 0.004, n_series)[:, None] * t
    amp = rng.uniform(0, 0.35, n_series)[:, None]
    phase = rng.uniform(0, 2 * np.pi, n_series)[:, None]
    season = 1 + amp * np.sin(2 * np.pi * t / 12 + phase)
    noise = np.exp(rng.normal(0, rng.uniform(0.05, 0.4, n_series)[:, None], (n_series, months)))
    y = level * trend * season * noise
    lumpy = rng.random(n_series) < 0.15
    y[lumpy] *= rng.random((lumpy.sum(), months)) < 0.45
    ds = pd.date_range("2022-01-01", periods=months, freq="MS")
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"S{i:05d}" for i in range(n_series)], months),
            "ds": np.tile(ds, n_series),
            "y": y.ravel(),
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=2000)
    ap.add_argument("--months", type=int, default=48)
    ap.add_argument("--horizon", type=int, default=12)
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument("--no-serial", action="store_true", help="skip the n_jobs=1 comparison run")
    args = ap.parse_args()

    hist = make_series(args.series, args.months)
    print(f"{args.series} series x {args.months} months, horizon {args.horizon}, {os.cpu_count()} CPU cores")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other processes on the machine slow the timing down)")

    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # warm-up: start the worker processes and import statsmodels in them (a one-off cost
    # that a long-running session pays once); reported separately
    t = time.perf_counter()
    Forecaster(horizon=args.horizon, freq="MS", n_jobs=args.n_jobs).fit(hist.iloc[: 64 * args.months]).predict()
    warm = time.perf_counter() - t

    t = time.perf_counter()
    model = Forecaster(horizon=args.horizon, freq="MS", n_jobs=args.n_jobs).fit(hist)
    fc = model.predict()
    wall = time.perf_counter() - t
    kinds = model.models_["model"].str.extract(r"^(median|TSB|mean|zero|ETS|Theta|ARIMA)")[0].value_counts()
    get_reusable_executor().shutdown(wait=True)  # let the workers exit so their CPU time is counted
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(f"worker start-up + warm-up on 64 series: {warm:.1f} s")
    print(f"n_jobs={args.n_jobs}: {wall:.1f} s total, {1000 * wall / args.series:.1f} ms per series, {len(fc):,} rows")
    print(
        f"  CPU used by the workers (incl. start-up and warm-up): {worker_cpu:.1f} s -> on an otherwise idle "
        f"machine with {os.cpu_count()} cores about {worker_cpu / (os.cpu_count() or 1):.1f} s wall"
    )
    print("models chosen:", ", ".join(f"{k} {v}" for k, v in kinds.items()))
    if not args.no_serial:
        t = time.perf_counter()
        c = time.process_time()
        fc1 = Forecaster(horizon=args.horizon, freq="MS", n_jobs=1).fit(hist).predict()
        serial = time.perf_counter() - t
        serial_cpu = time.process_time() - c
        same = fc1.equals(fc)
        print(
            f"n_jobs=1: {serial:.1f} s total ({serial_cpu:.1f} s CPU, {1000 * serial_cpu / args.series:.1f} ms CPU "
            f"per series); identical to n_jobs={args.n_jobs}: {same}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
