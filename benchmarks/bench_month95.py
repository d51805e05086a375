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

RESULTS
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


def months_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def case_list(args, tmp: Path):
    """(label, portfolio, ids, as_of, horizon) of every case; the portfolios are built lazily."""
    if "demo" in args.only:
        from kamtools.datasets import make_portfolio

        demo = make_portfolio(n_accounts=300, years=4, seed=7)[0]
        ids = sorted(demo.accounts["account_id"].astype(str))
        for as_of in ("2025-10-31", "2026-04-30"):
            ts = pd.Timestamp(as_of)
            h = min(12, months_between(ts, demo.as_of))
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
        h = min(6, months_between(ts, end))
        yield "CDNOW random 2000", full, sorted(rng.choice(all_ids, 2000, replace=False)), str(ts.date()), h
        yield "CDNOW top 500", full, B.top_by_revenue(full, ts, 500), str(ts.date()), h
    if "cj" in args.only and args.data2:
        full = B.complete_journey_portfolio(B.read_complete_journey(B.complete_journey_path(args.data2)), tmp / "cj")
        ts = pd.Timestamp(args.cj_as_of)
        ids = (
            B.top_by_revenue(full, ts, args.cj_top) if args.cj_top else sorted(full.accounts["account_id"].astype(str))
        )
        label = f"CJ top {args.cj_top}" if args.cj_top else "CJ all"
        yield label, full, ids, str(ts.date()), min(6, months_between(ts, B.CJ_END))
    if "or" in args.only and args.data3:
        lines, _ = B.read_online_retail(B.online_retail_path(args.data3))
        full = B.online_retail_portfolio(lines, tmp / "or")
        end = B.online_retail_end(lines)
        ts = pd.Timestamp("2011-08-31")
        ids = sorted(full.accounts["account_id"].astype(str))
        yield "OR all", full, ids, str(ts.date()), min(6, months_between(ts, end))


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
