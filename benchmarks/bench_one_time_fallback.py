"""Silent one-time buyers without a usable BTYD value: what they bought next against what they were forecast.

A silent one-time buyer (:func:`kamtools.forecast.selection.silent_one_time`: one ordering month, none in the last 6)
in a class the backtest did not see takes the modified BG/NBD expected value where that fit is usable; where it is
not, it falls through to its class's (or the whole portfolio's) own-history choice: Online Retail's top 100 at
2011-11-30 forecast C12590 (9.9k in one month, 2011-05) 16.4k for the next 12 months. This bench finds the accounts
on that path at each case (silent one-time, not lapsed, not on the one-time BTYD, class unseen by the backtest,
method not ``btyd``, ``zero`` or ``returning``) and scores, out of time, over the next 6 months (the months left
where fewer; 12 where the data allows):

* ``kamtools`` - the forecast as shipped;
* ``A`` - the lapsed path's history evidence (:meth:`~kamtools.forecast.selection.ReturnHistory.like` with
  ``once=True``): former monthly level x :func:`~kamtools.forecast.selection.return_median`; zero where the history
  has too few such silences, they bought back under 1%, or only pooled evidence exists;
* ``B`` - the mean instead of the median (former level x the share bought back), never above ``kamtools``;
* ``C`` - zero;
* ``BTYD`` - the BG/NBD expected value kamtools fitted (where finite);
* the mean of the last 6 months is zero for every such account (silent 6 months), so it is ``C``.

Printed per case: the accounts on the path, how many ordered, what they bought and were forecast, and the whole
case's per-account MAE / bias of its totals with the path's accounts forecast by each rule.

The rules and the decision (the first of A, B, C that lowers or keeps every case's MAE and keeps every |bias|) were
written down before measuring (helper ONETIME, 2026-12-07). Results of that day (6-month totals, or the months left;
MAE / bias of the whole case)::

    case               as of       h  path bought  buyers  kamtools  BTYD  | case: kamtools    A = B = C        BTYD
    OR top 100         2011-06-30  5     1      0      0        0      2.9k |  7,342.26 -34.7%  unchanged   7,371.70 -34.5%
    OR all             2011-06-30  5   235  84.3k    111        0     48.0k |    720.34 -31.1%  unchanged     721.75 -29.7%
    OR all             2011-07-31  4   339  86.0k    132        0     51.4k |    604.57 -26.9%  unchanged     608.28 -25.2%
    OR all             2011-08-31  3   449  77.9k    149    20.2k     45.1k |    523.90 -37.9%  522.07 -38.7% 526.42 -36.9%

No account took the path in the demo of 300 (2025-10-31, 6 and 12 months; 2026-04-30), the CDNOW sample of 1,000
or top 500 (1997-09-30, 1997-12-31, 1998-01-31: every silent one-time buyer was on the modified BG/NBD or in a class
the backtest saw), nor OR top 100 at 2011-05-31, -07-31 and -08-31 (OR all at 2011-05-31 has 6 months: no silent
one-time buyer yet). In Online Retail the history held no evidence of such silences (``A`` is zero everywhere) and
a third of these accounts ordered again within 3 to 5 months, buying 17.5% of their former monthly level at
2011-08-31: zero lowers that case's MAE by 0.35% but moves its bias from -37.9% to -38.7%; BTYD raises every MAE.
No rule won everywhere, so none was implemented. At 2011-11-30 (12 months, no out-of-time truth) C12590 is the top
100's only account on the path, and ``A`` would give it zero (no evidence).

Run: ``python benchmarks/bench_one_time_fallback.py [--data3 /path/to/onlineretail.parquet] [--no-demo]
[--no-cdnow]`` (about 12 minutes on 2 shared cores).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_real_data as B  # noqa: E402

from kamtools.forecast.selection import assembly  # noqa: E402
from kamtools.forecast.selection.lapsed import MIN_SURVIVAL, _lapsed_by_gap  # noqa: E402
from kamtools.forecast.selection.state import MIN_CLASS_ROWS, history_returns, return_median  # noqa: E402

RULES = ("kamtools", "A", "B", "C", "BTYD")


@contextmanager
def captured():
    """What the selection saw and chose at its last call: its history, state, evidence and each account's method."""
    seen: dict = {}
    choose, state_of = assembly._choose_all, assembly.account_state

    def _state(y, h):
        s = state_of(y, h)
        seen.update(y=np.asarray(y, dtype=float), state=s)
        return s

    def _choose(state, ids, paths, ev, btyd_now, *args, **kwargs):
        out = choose(state, ids, paths, ev, btyd_now, *args, **kwargs)
        seen.update(ids=np.asarray(ids).astype(str), ev=ev, method=out[0].astype(str), one_time=out[6])
        seen["btyd"] = None if btyd_now is None else np.asarray(btyd_now, dtype=float)
        return out

    assembly._choose_all, assembly.account_state = _choose, _state
    try:
        yield seen
    finally:
        assembly._choose_all, assembly.account_state = choose, state_of


def on_path(seen: dict) -> np.ndarray:
    """The silent one-time buyers that fall through to an own-history method (see the module docstring)."""
    st, ev = seen["state"], seen["ev"]
    unseen = np.ones(len(seen["ids"]), dtype=bool)
    if ev is not None:
        k, rows = np.unique(ev.klass, return_counts=True)
        unseen = ~np.isin(st.klass, k[rows >= MIN_CLASS_ROWS])
    other = np.isin(seen["method"], ["btyd", "zero", "returning"])
    return st.silent_one_time & ~seen["one_time"] & unseen & ~_lapsed_by_gap(st) & ~other


def rule_totals(seen: dict, i: int, h: int, shipped: float) -> dict[str, float]:
    """Each rule's ``h``-month total for account ``i``."""
    st = seen["state"]
    returns = seen.setdefault("returns", history_returns(seen["y"]))
    r = None if returns is None else returns.like(float(st.gap[i]), True)
    former = float(st.former[i])
    usable = r is not None and former > 0 and r.share >= MIN_SURVIVAL
    a = former * min(return_median(r), 1.0) * h if usable and r.once is not None else 0.0
    b = min(former * r.share * h, shipped) if usable else 0.0
    bt = np.nan if seen["btyd"] is None else float(np.sum(seen["btyd"][i, :h]))
    return {"kamtools": shipped, "A": a, "B": b, "C": 0.0, "BTYD": bt if np.isfinite(bt) else shipped}


def measure(label: str, full, ids, as_of: str, horizon: int) -> list[dict]:
    """One row per horizon (6, and ``horizon`` where longer) of the case ``ids`` of ``full`` cut at ``as_of``."""
    with captured() as seen:
        _, _, fc, act = B.forecast_case(full, ids, as_of, horizon)
    path = on_path(seen)
    where = pd.Index(seen["ids"])
    rows = []
    for h in sorted({min(6, horizon), horizon}):
        a = act[act["step"] < h].groupby("account_id")["actual"].sum()
        f = fc[fc["step"] < h].groupby("account_id")["forecast"].sum().reindex(a.index).fillna(0.0)
        pos = where.get_indexer(a.index)
        hit = np.zeros(len(a), dtype=bool)
        hit[pos >= 0] = path[pos[pos >= 0]]
        totals = {m: f.to_numpy(dtype=float).copy() for m in RULES}
        for j in np.flatnonzero(hit):
            for m, v in rule_totals(seen, pos[j], h, float(f.iloc[j])).items():
                totals[m][j] = v
        act_v = a.to_numpy(dtype=float)
        row = {
            "case": label,
            "as_of": as_of,
            "h": h,
            "accounts": len(a),
            "silent_one_time": int(seen["state"].silent_one_time.sum()),
            "path": int(hit.sum()),
            "bought": float(act_v[hit].sum()),
            "buyers": int((act_v[hit] > 0).sum()),
        }
        for m, t in totals.items():
            row[f"{m} path"] = float(t[hit].sum())
            row[f"{m} mae"] = float(np.abs(t - act_v).mean())
            row[f"{m} bias%"] = float(100 * (t.sum() / act_v.sum() - 1)) if act_v.sum() > 0 else np.nan
        rows.append(row)
        print(
            f"{label:18s} {as_of} h{h:2d}: {row['path']} on the path of {row['silent_one_time']} silent one-time "
            f"buyers, {row['buyers']} ordered, bought {row['bought']:,.0f}; "
            + "; ".join(
                f"{m} {row[m + ' path']:,.0f} ({row[m + ' mae']:,.2f} {row[m + ' bias%']:+.1f}%)" for m in RULES
            ),
            flush=True,
        )
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data3", default=None, help="the Online Retail log (as bench_real_data.py --data3)")
    ap.add_argument("--no-demo", action="store_true")
    ap.add_argument("--no-cdnow", action="store_true")
    ap.add_argument("--out", default=None, help="write the rows as CSV here")
    args = ap.parse_args(argv)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_demo:
            for demo, ids, as_of in B.demo_cases():
                months = B.months_between(pd.Timestamp(as_of), demo.as_of)
                rows += measure("demo 300", demo, ids, as_of, min(12, months))
        if not args.no_cdnow:
            full, all_ids, end = B.cdnow(Path(tmp))
            dates = ["1997-09-30", "1997-12-31", "1998-01-31"]
            samples = B.sample_ids(all_ids, 1000, 1, len(dates))
            for i, as_of in enumerate(dates):
                ts = pd.Timestamp(as_of)
                h = min(12, B.months_between(ts, end))
                rows += measure("CDNOW sample 1000", full, samples[i], as_of, h)
                rows += measure("CDNOW top 500", full, B.top_by_revenue(full, ts, 500), as_of, h)
        path = B.online_retail_path(args.data3)
        if path is not None:
            lines, _ = B.read_online_retail(path)
            full = B.online_retail_portfolio(lines, Path(tmp) / "online_retail")
            end = B.online_retail_end(lines)
            all_ids = sorted(full.accounts["account_id"].astype(str))
            for as_of in ["2011-05-31", "2011-06-30", "2011-07-31", "2011-08-31"]:
                ts = pd.Timestamp(as_of)
                h = min(12, B.months_between(ts, end))
                rows += measure("OR top 100", full, B.top_by_revenue(full, ts, 100), as_of, h)
                rows += measure("OR all", full, all_ids, as_of, h)
    if args.out:
        pd.DataFrame(rows).to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
