"""Out-of-time coverage and width of the monthly 80% and 95% intervals of the ``forecast`` table, by kind of account.

Issue 17 (MONTH95): every account page's forecast chart shades the monthly 80% and 95% intervals (``forecast``:
``lo_80, hi_80, lo_95, hi_95``). The 80% band's coverage was measured on the real logs (``bench_real_data.py``
``cov80``), the 95% band's never. Per case, per account-month of the ``H`` months after the cut: ``cov80`` /
``cov95`` (share of account-months whose actual lies inside the band, %), ``below95`` / ``above95`` (share under /
over the 95% band), and over the account-months with a forecast above zero the median ``hi / forecast`` and
``(hi - lo) / forecast`` of each band; overall and by kind of account at the cut
(:func:`bench_total_ranges.kind_of_account`: steady, erratic, new, lapsed). Beside it the simple baseline: each
account's own last 24 months (fewer where it has fewer), the 10%-90% and 2.5%-97.5% quantiles of its monthly
revenue as its 80% and 95% bands (``own80`` / ``own95``; widths over the same forecast).

Cases: the demo of 300 (``make_portfolio``, 4 years, seed 7) cut at 2025-10-31 (12 months ahead) and 2026-04-30 (6),
and its top 10 by revenue to the cut forecast alone (a heavy-buyer-only portfolio), also at 9 cuts 6 to 30 months
before its end pooled (6 months ahead each; ``--only demo10``); CDNOW (``CDNOW_MASTER``) a random 2,000 (seed 1) and
the top 500 at 1997-12-31 (6); the Complete Journey (``--data2``) all households at 2017-06-30 (6); Online Retail
(``--data3``) all customers at 2011-08-31 (3, to the log's last whole month).

Results (MONTH95, 2026-12-07, main at 161ecaa; ``acc`` accounts, ``months`` account-months; ``abv95`` % above the 95%
band; ``hi/f``, ``w``: median ``hi / forecast``, ``(hi - lo) / forecast`` of the months forecast above zero; ``max95``
the largest ``hi_95 / forecast``; ``q97.5`` the 97.5% quantile of ``actual / forecast`` of those months, about where
a 95% band's upper end belongs; ``own95``: the baseline's 95% coverage and ``hi / forecast``)::

    case (H)                       group    acc months cov80 cov95 abv95 hi/f80  w80 hi/f95  w95 max95 q97.5 own95 hi/f
    demo 300 2025-10 (12)          steady    91   1092  83.2  97.5   2.5   1.70 1.50   2.37 2.37   3.5  2.42  78.2 1.73
                                   erratic  180   2160  81.7  97.3   2.7   2.20 2.13   3.70 3.70  33.0  4.97  86.5 2.97
                                   new        5     60  76.7  90.0  10.0   8.62 8.62  24.48 24.48  25.0 57.75  25.0 2.51
                                   lapsed    24    288  90.6  90.6   9.4      -    -      -    -     -     -  99.3    -
                                   all      300   3600  82.8  96.7   3.3   2.00 1.85   3.09 3.09  33.0  4.71  84.0 2.37
    demo top 10 2025-10 (12)       steady    10    120  95.0 100.0   0.0   1.75 1.43   3.09 2.98   3.1  1.68  75.8 1.32
                                   all       10    120  95.0 100.0   0.0   1.75 1.43   3.09 2.98   3.1  1.68  75.8 1.32
    demo 300 2026-04 (6)           steady    85    510  86.7  97.8   2.2   1.64 1.48   2.32 2.32   6.9  2.45  83.3 1.64
                                   erratic  183   1098  80.4  92.6   7.4   2.08 2.04   3.64 3.64  18.6  6.16  87.8 3.06
                                   lapsed    32    192  92.2  92.2   7.8      -    -      -    -     -     - 100.0    -
                                   all      300   1800  83.4  94.1   5.9   1.86 1.80   2.96 2.96  18.6  4.53  87.8 2.26
    demo top 10 2026-04 (6)        steady    10     60  98.3 100.0   0.0   1.64 1.58   2.84 2.84   7.3  1.55  85.0 1.31
                                   all       10     60  98.3 100.0   0.0   1.64 1.58   2.84 2.84   7.3  1.55  85.0 1.31
    demo top 10, 9 cuts (6)        steady    88    528  88.3 100.0   0.0   1.72 1.43   2.95 2.85   7.3  1.83  76.1 1.36
                                   erratic    2     12 100.0 100.0   0.0   1.96 1.94   4.37 4.37   4.7  0.68  58.3 2.05
                                   all       90    540  88.5 100.0   0.0   1.72 1.43   2.95 2.87   7.3  1.83  75.7 1.36
    CDNOW random 2000 1997-12 (6)  erratic  547   3282  87.0  97.6   2.4   3.68 3.68  11.77 11.77  18.4 13.65  95.1 8.04
                                   lapsed  1453   8718  97.9  98.1   1.9   1.00 1.00  14.14 14.14  14.1  0.00  98.9 28.88
                                   all     2000  12000  95.0  97.9   2.1   1.00 1.00  14.14 14.14  18.4  8.31  97.9 19.36
    CDNOW top 500 1997-12 (6)      steady     5     30  93.3 100.0   0.0   3.10 3.10   5.94 5.94   5.9  4.20  66.7 2.73
                                   erratic  460   2760  91.1  97.9   2.1   3.10 3.10   5.94 5.94  20.6  5.51  93.2 4.93
                                   lapsed    35    210  92.9  92.9   7.1   3.10 3.10   5.94 5.94   5.9  9.78 100.0 60.99
                                   all      500   3000  91.2  97.6   2.4   3.10 3.10   5.94 5.94  20.6  5.52  93.4 4.96
    CJ all 2017-06 (6)             steady   952   5712  99.1 100.0   0.0   3.00 3.00   8.76 8.76   8.8  2.45  54.8 1.43
                                   erratic 1030   6180  85.4  97.2   2.8   3.00 3.00   8.76 8.76   8.8  7.99  68.3 2.26
                                   new      411   2466  95.7  99.1   0.9  11.06 11.06  30.02 30.02  30.5 13.85  47.5 2.11
                                   all     2393  14358  92.6  98.7   1.3   3.00 3.00   8.76 8.76  30.5  6.91  59.4 1.78
    OR all 2011-08 (3)             steady    54    162  84.0  96.9   1.9   2.51 2.51   5.56 5.56   5.6  4.42  54.3 1.89
                                   erratic 1595   4785  76.6  87.3  11.2   1.87 1.87   5.47 5.47  14.6  9.93  82.5 3.53
                                   new     1171   3513  85.0  93.1   5.9   4.68 4.68  10.21 10.21 202.1 12.36  56.0 5.77
                                   lapsed   540   1620  85.6  85.7  13.6   2.51 2.51   5.56 5.56   5.6 53.23  89.6 13.91
                                   all     3360  10080  81.1  89.2   9.6   2.51 2.51   5.56 5.56 202.1 17.01  73.9 5.17

(``-``: no month forecast above zero; the lapsed accounts forecast nothing get no band, so they are inside both bands
only when they stay silent.) The lower ends are zero almost everywhere (``w`` = ``hi/f``; 0-1.5% of months below).

Reading: the 95% band holds 94.1-98.7% of the account-months on every case of 300 accounts or more but Online
Retail (89.2%, its erratic 87.3% and lapsed 85.7% customers; the lapsed miss both bands alike, 85.6% and 85.7%,
which no width can mend), so it is not off in the large in one direction: the Complete Journey's is wide (98.7%,
hi 8.76x, its steady households 100% at 8.76x where the top 2.5% of months reached 2.45x) and Online Retail's short.
Over-wide for heavy buyers: the demo's top 10 alone held all 540 account-months of 9 cuts at a median 2.95x (the top
2.5% of their months reached 1.83x), but their 80% band over-covers as well (88.5%, and the Complete Journey's
steady 99.1%): the band's base, not the 95/80 step, is wide there, and narrowing it would move the 80% band. The
largest ``hi_95 / forecast`` of the heavy buyers was 7.3x (A0127, seasonal naive, first month after 2026-04-30),
not the 18x a sweep reported; 18-33x occur on the demo's erratic accounts and 202x on new Online Retail customers.
The baseline (each account's own last 24 months' 2.5%-97.5% quantiles) covers 59-98% at narrower upper ends
(1.3-2.4x on the demo and the Complete Journey) and misses the heavy buyers' good months (75.7%).
Decision: no rule tried (the brief's bar, several logs above 99% with very wide bands or under 88%, is not met);
nothing in kamtools changed.
"""

from __future__ import annotations

import argparse
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

EPS = 1e-6
POOLED = "demo top 10 9 cuts"  # cases of this label are also reported pooled
OWN_MONTHS = 24  # months of the account's own history in the baseline's quantiles


def case_list(args, tmp: Path):
    """(label, portfolio, ids, as_of, horizon) of every case; the portfolios are built lazily."""
    if "demo" in args.only:
        from kamtools.datasets import make_portfolio

        demo = make_portfolio(n_accounts=300, years=4, seed=7)[0]
        ids = sorted(demo.accounts["account_id"].astype(str))
        for as_of in ("2025-10-31", "2026-04-30"):
            ts = pd.Timestamp(as_of)
            h = min(12, B.months_between(ts, demo.as_of))
            yield "demo 300", demo, ids, as_of, h
            yield "demo top 10", demo, B.top_by_revenue(demo, ts, 10), as_of, h
    if "demo10" in args.only:  # the heavy buyers alone, 9 cuts 6 to 30 months before the end, 6 months ahead each
        from kamtools.datasets import make_portfolio

        demo = make_portfolio(n_accounts=300, years=4, seed=7)[0]
        for back in range(6, 31, 3):
            ts = (demo.as_of.to_period("M") - back).to_timestamp(how="end").normalize()
            yield POOLED, demo, B.top_by_revenue(demo, ts, 10), str(ts.date()), 6
    if "cdnow" in args.only:
        full, all_ids, end = B.cdnow(tmp)
        rng = np.random.default_rng(args.seed)
        ts = pd.Timestamp("1997-12-31")
        h = min(6, B.months_between(ts, end))
        yield "CDNOW random 2000", full, sorted(rng.choice(all_ids, 2000, replace=False)), str(ts.date()), h
        yield "CDNOW top 500", full, B.top_by_revenue(full, ts, 500), str(ts.date()), h
    if "cj" in args.only and args.data2:
        full = B.complete_journey_portfolio(B.read_complete_journey(B.complete_journey_path(args.data2)), tmp / "cj")
        ts = pd.Timestamp(args.cj_as_of)
        ids = (
            B.top_by_revenue(full, ts, args.cj_top) if args.cj_top else sorted(full.accounts["account_id"].astype(str))
        )
        label = f"CJ top {args.cj_top}" if args.cj_top else "CJ all"
        yield label, full, ids, str(ts.date()), min(6, B.months_between(ts, B.CJ_END))
    if "or" in args.only and args.data3:
        yield "OR all", *B.online_retail_all(args.data3, tmp / "or", "2011-08-31", 6)


def own_bands(y: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The baseline: quantiles of each account's own last ``OWN_MONTHS`` monthly revenues (NaN: not yet a customer)."""
    last = np.asarray(y, dtype=float)[:, -OWN_MONTHS:]
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (a, b) in {"own80": (0.10, 0.90), "own95": (0.025, 0.975)}.items():
            out[name] = (np.nanquantile(last, a, axis=1), np.nanquantile(last, b, axis=1))
    return out


def case_frame(full, ids, as_of: str, h: int) -> pd.DataFrame:
    """One row per account-month: forecast, both bands, the actual, the kind of account and the baseline bands."""
    _, _, fc, act = B.forecast_case(full, ids, as_of, h)
    sel, y = _CAPTURED["sel"], _CAPTURED["y"]
    d = act.merge(fc[["account_id", "step", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]], on=["account_id", "step"])
    kind = dict(zip(map(str, sel.ids), kind_of_account(sel, np.asarray(y, dtype=float))))
    d["kind"] = d["account_id"].map(kind).fillna("erratic")
    pos = {str(a): i for i, a in enumerate(sel.ids)}
    rows = d["account_id"].map(pos).to_numpy()
    for name, (lo, hi) in own_bands(y).items():
        d[f"{name}_lo"], d[f"{name}_hi"] = lo[rows], hi[rows]
    return d


def figures(d: pd.DataFrame) -> dict:
    a, f = d["actual"].to_numpy(), d["forecast"].to_numpy()
    out = {"n": len(d)}
    pos = f > 0
    # the multiple of the forecast the top 2.5% of months exceeded: a 95% band's upper end needs about this
    out["q97.5 a/f"] = float(np.quantile(a[pos] / f[pos], 0.975)) if pos.any() else np.nan
    for name, lo, hi in (
        ("80", d["lo_80"], d["hi_80"]),
        ("95", d["lo_95"], d["hi_95"]),
        ("own80", d["own80_lo"], d["own80_hi"]),
        ("own95", d["own95_lo"], d["own95_hi"]),
    ):
        lo, hi = lo.to_numpy(), hi.to_numpy()
        has = np.isfinite(lo) & np.isfinite(hi)
        inside = has & (a >= lo - EPS) & (a <= hi + EPS)
        out[f"cov{name}"] = 100 * float(inside[has].mean()) if has.any() else np.nan
        w = pos & has
        out[f"hi/f {name}"] = float(np.median(hi[w] / f[w])) if w.any() else np.nan
        if name == "95":
            out["max hi/f 95"] = float(np.max(hi[w] / f[w])) if w.any() else np.nan
        out[f"w {name}"] = float(np.median((hi[w] - lo[w]) / f[w])) if w.any() else np.nan
        if name == "95":
            out["below95"] = 100 * float(np.mean(a[has] < lo[has] - EPS))
            out["above95"] = 100 * float(np.mean(a[has] > hi[has] + EPS))
    return out


def group_rows(case: str, d: pd.DataFrame) -> list[dict]:
    rows = []
    for g in ("steady", "erratic", "new", "lapsed", "all"):
        w = d if g == "all" else d[d["kind"] == g]
        if len(w):
            rows.append({"case": case, "group": g, "accounts": w["account_id"].nunique(), **figures(w)})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=["demo", "demo10", "cdnow", "cj", "or"])
    ap.add_argument("--data2", default=None, help="the Complete Journey wheel or folder")
    ap.add_argument("--cj-as-of", default="2017-06-30")
    ap.add_argument("--cj-top", type=int, default=0, help="its top households by revenue (0: all)")
    ap.add_argument("--data3", default=None, help="the Online Retail log (.parquet, .rda, .csv)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None, help="also write the table here (.csv)")
    args = ap.parse_args(argv)
    _capture()
    res, pooled = [], []
    pd.set_option("display.width", 250)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, full, ids, as_of, h in case_list(args, Path(tmp)):
            t0 = time.perf_counter()
            d = case_frame(full, ids, as_of, h)
            case = f"{label} {as_of[:7]} ({h})"
            if label == POOLED:
                pooled.append(d.assign(account_id=d["account_id"] + "@" + as_of))
            res += group_rows(case, d)
            print(f"[{case}: {time.perf_counter() - t0:.0f} s]", flush=True)
            print(pd.DataFrame([r for r in res if r["case"] == case]).round(2).to_string(index=False), flush=True)
    if pooled:
        res += group_rows(f"{POOLED} pooled", pd.concat(pooled, ignore_index=True))
    out = pd.DataFrame(res)
    print(out.round(2).to_string(index=False))
    if args.out:
        out.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
