"""Coverage and width of the range of an account's horizon total, out of time, by kind of account.

Issue 17 (RANGEWIDTH): the demo's largest, steadiest account (A0050, 3.55M a year, orders in 190 of 208 weeks)
was given a 12-month range of 0.14x to 2x its forecast. This bench measures, per case and kind of account
(:func:`bench_total_ranges.kind_of_account`: steady, erratic, new, lapsed; ``steady large``: the steady
accounts among the case's top fifth by revenue of their last 12 months), how many accounts' actual totals over
the ``H`` months after the cut (12, or up to the data's end) fell inside the range
:func:`kamtools.forecast.selection.total_range` gives them for ``H`` months (with the ranges of the lapsed
accounts forecast a return and of the window mean, as the forecast stage builds its 12-month range), and how
wide it is (median ``(hi - lo) / forecast``, median ``hi / lo`` where ``lo > 0``). Beside it the simple range of
the class's own out-of-time multiples (:func:`kamtools.forecast.selection.total_ratio_range`: the 10% and 90%
quantiles of actual / forecast of the account's class, nothing else), the baseline the rules widen.

The forecast stage runs once per case; its :class:`Selection`, monthly forecast and actuals are kept in
``--cache`` (pickles), so that the ranges can be measured again with other code (``PYTHONPATH`` of another
checkout) without running the forecasts again: ``--cache DIR`` reuses what it finds there.

Cases: the demo of 300 (4 years, seed 7) cut 12 months before its end (2025-10, 12 months ahead); CDNOW
(``CDNOW_MASTER``) top 300 by revenue and a random 2,000 (seed 1) at 1997-09-30 (9 months to the log's end) and
1997-12-31 (6); the Complete Journey's (``--data2``) top 250 at 2017-09-30 (3); Online Retail (``--data3``) all
customers at 2011-05-31 (6).

Results (RANGEWIDTH, 2026-12-06; inside the 80% range / median (hi - lo) / forecast, before -> after the rule
below; ``class``: the class's own multiples)::

    case (H)                   group          n      range before -> after       class baseline
    demo 300 2025-10 (12)      steady         91     85.7 / 0.86 -> 84.6 / 0.83  86.8 / 0.84
                               steady large   45     91.1 / 0.84 -> 91.1 / 0.80  95.6 / 1.00
                               all            276    83.3 / 1.16 -> 82.6 / 1.14  74.3 / 1.00
    demo 300, 5 cuts pooled    steady         429    82.7 / 0.86 -> 80.9 / 0.79
                               steady large   222    86.0 / 0.84 -> 84.7 / 0.79
                               erratic        923    78.9 / 1.37 -> 78.1 / 1.37
                               all            1431   79.8 / 1.16 -> 78.8 / 1.14
    quick 60, 5 cuts pooled    steady         99     76.8 / 0.86 -> 75.8 / 0.70
                               all            282    72.0 / 0.94 -> 71.3 / 0.94
    CDNOW top 300 1997-09 (9)  all            294    91.5 / 3.76 (unchanged)     81.6 / 1.57
    CDNOW random 2000 1997-09  all            1901   83.9 / 1.00 (unchanged)     81.1 / 1.00
    CDNOW top 300 1997-12 (6)  all            289    81.0 / 2.07 (unchanged)     82.0 / 1.89
    CDNOW random 2000 1997-12  all            1771   89.3 / 1.35 (unchanged)     88.0 / 1.35
    CJ top 250 2017-09 (3)     all            249    76.3 / 1.07 (unchanged)     73.5 / 0.73
    OR all 2011-05 (6)         steady large   73     94.5 / 2.50 (unchanged)     57.5 / 1.52
                               all            2717   79.2 / 1.65 (unchanged)     73.3 / 1.52

(5 demo cuts: 12, 15, 18, 21 and 24 months before its end, 12 months ahead.) Diagnosis on the quick demo: A0050's
class multiples give 0.24x-1.50x, its own steadiness (0.95) 0.29x-1.48x, and the later-origin widening (x1.62,
one factor per class) 0.15x-2.00x; the widening is applied to the range of all origins, whose rows already hold
the latest origin's wider spread. Rule tried, set before measuring: an account in the steadier half of a class
that splits is widened only as far as its class's range of all origins fell short of the latest origin's totals.
A0050 537k-7.43M -> 912k-5.92M, the stage's own total coverage 90.6% -> 88.9%; only the demo moves (the real
logs' backtests have one origin, so no later-origin widening). **Dropped:** it costs coverage where coverage was
already short (quick 60 at 2025-04 70.2% -> 68.4%, its steady accounts 70.0% -> 65.0%; the erratic group at
2025-07 75.4% -> 74.9% on the demo, 75.8% -> 72.7% on the quick demo), and pooled over five cuts the demo's
steady large accounts hold 86%, not the 91% of one cut, so the evidence does not support narrowing them much.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_real_data as B  # noqa: E402
from bench_total_ranges import _CAPTURED, _capture, kind_of_account  # noqa: E402

from kamtools.forecast.selection import (  # noqa: E402
    returning_range,
    short_range,
    total_range,
    total_ratio_range,
)
from kamtools.forecast.selection.multiples import ratio_bounds, total_ratios  # noqa: E402


def months_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def case_list(args, tmp: Path):
    """(label, portfolio loader, ids, as_of, horizon) of every case; the portfolios are built lazily."""
    from kamtools.datasets import make_portfolio

    if "demo" in args.only:
        demo, _ = make_portfolio(n_accounts=300, years=4, seed=7)
        as_of = str((demo.as_of.to_period("M") - 12).to_timestamp(how="end").normalize().date())
        yield "demo 300", demo, sorted(demo.accounts["account_id"].astype(str)), as_of, 12
    if "cdnow" in args.only:
        full, all_ids, end = B.cdnow(tmp)
        rng = np.random.default_rng(args.seed)
        for as_of in ("1997-09-30", "1997-12-31"):
            ts = pd.Timestamp(as_of)
            h = min(12, months_between(ts, end))
            yield "CDNOW top 300", full, B.top_by_revenue(full, ts, 300), as_of, h
            yield "CDNOW random 2000", full, sorted(rng.choice(all_ids, 2000, replace=False)), as_of, h
    if "cj" in args.only and args.data2:
        full = B.complete_journey_portfolio(B.read_complete_journey(B.complete_journey_path(args.data2)), tmp / "cj")
        ts = pd.Timestamp("2017-09-30")
        yield "CJ top 250", full, B.top_by_revenue(full, ts, 250), str(ts.date()), min(12, months_between(ts, B.CJ_END))
    if "or" in args.only and args.data3:
        lines, _ = B.read_online_retail(B.online_retail_path(args.data3))
        full = B.online_retail_portfolio(lines, tmp / "or")
        end = B.online_retail_end(lines)
        ts = pd.Timestamp("2011-05-31")
        ids = sorted(full.accounts["account_id"].astype(str))
        yield "OR all", full, ids, str(ts.date()), min(12, months_between(ts, end))


def captured_case(label, full, ids, as_of, h, cache: Path) -> dict:
    """The forecast stage's Selection, the forecast over ``h`` months and the actual totals of one case (cached)."""
    path = cache / f"{label.replace(' ', '_')}_{as_of}_{h}.pkl"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    t0 = time.perf_counter()
    past, tables, fc, act = B.forecast_case(full, ids, as_of, h)
    sel, y = _CAPTURED["sel"], _CAPTURED["y"]
    m = fc.groupby("account_id")["forecast"].sum().reindex(sel.ids).fillna(0.0).to_numpy()
    actual = act.groupby("account_id")["actual"].sum().reindex(sel.ids).fillna(0.0).to_numpy()
    last12 = np.nansum(np.asarray(y, dtype=float)[:, -12:], axis=1)
    out = {"sel": sel, "y": y, "m": m, "actual": actual, "last12": last12}
    with path.open("wb") as f:
        pickle.dump(out, f)
    print(f"  [{label} {as_of}: forecast in {time.perf_counter() - t0:.0f} s]", flush=True)
    return out


def horizon_range(sel, m: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """The range of each account's ``h``-month total as the forecast stage builds its 12-month one (NaN where no
    rule gives one)."""
    lo, hi = total_range(sel, m, h)
    for b_lo, b_hi in (returning_range(sel, h), short_range(sel, m, h)):
        back = np.isfinite(b_lo)
        lo[back], hi[back] = b_lo[back], b_hi[back]
    has = np.isfinite(lo) & np.isfinite(hi) & (m >= 0)
    lo[has], hi[has] = np.minimum(lo[has], m[has]), np.maximum(hi[has], m[has])
    return lo, hi


def class_range(sel, m: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """The baseline: the class's own 10%-90% out-of-time multiples times the forecast."""
    n = len(m)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    if sel.evidence is None or sel.klass is None:
        return lo, hi
    if h >= sel.evidence.horizon:
        b = total_ratio_range(sel.evidence, sel.klass, sel.method, sel.factor)
        lo, hi = m * b[:, 0], m * b[:, 1]
    else:
        for i, r in enumerate(total_ratios(sel.evidence, sel.klass, sel.method, sel.factor, h)):
            if r is not None:
                lo[i], hi[i] = (m[i] * v for v in ratio_bounds(r))
    ok = np.isfinite(lo)
    lo[ok], hi[ok] = np.minimum(lo[ok], m[ok]), np.maximum(hi[ok], m[ok])
    return lo, hi


def figures(label: str, as_of: str, h: int, c: dict) -> pd.DataFrame:
    sel, m, actual = c["sel"], c["m"], c["actual"]
    kind = kind_of_account(sel, np.asarray(c["y"], dtype=float))
    large = c["last12"] >= np.quantile(c["last12"], 0.8)
    groups = {k: kind == k for k in ("steady", "erratic", "new", "lapsed")}
    groups["steady large"] = (kind == "steady") & large
    groups["all"] = np.ones(len(kind), dtype=bool)
    rows = []
    for name, (lo, hi) in (("range", horizon_range(sel, m, h)), ("class", class_range(sel, m, h))):
        has = np.isfinite(lo) & np.isfinite(hi) & (m > 0)
        inside = (actual >= lo - 1e-6) & (actual <= hi + 1e-6)
        for g, w in groups.items():
            w = w & has
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(lo[w] > 0, hi[w] / lo[w], np.inf)
            rows.append(
                {
                    "case": f"{label} {as_of[:7]} ({h})",
                    "range": name,
                    "group": g,
                    "n": int(w.sum()),
                    "cov": 100 * float(inside[w].mean()) if w.any() else np.nan,
                    "below": 100 * float(np.mean(actual[w] < lo[w] - 1e-6)) if w.any() else np.nan,
                    "width": float(np.median((hi[w] - lo[w]) / m[w])) if w.any() else np.nan,
                    "hi/lo": float(np.median(ratio)) if w.any() else np.nan,
                }
            )
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=["demo", "cdnow", "cj", "or"])
    ap.add_argument("--data2", default=None, help="the Complete Journey wheel or folder")
    ap.add_argument("--data3", default=None, help="the Online Retail log (.parquet, .rda, .csv)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache", default=None, help="keep (and reuse) each case's forecast here")
    args = ap.parse_args(argv)
    _capture()
    res = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.cache) if args.cache else Path(tmp) / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for label, full, ids, as_of, h in case_list(args, Path(tmp)):
                res.append(figures(label, as_of, h, captured_case(label, full, ids, as_of, h, cache)))
    out = pd.concat(res, ignore_index=True)
    pd.set_option("display.width", 200)
    print(out.round(2).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
