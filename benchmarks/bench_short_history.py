"""The account forecast on short histories, out of time: bias, MAE and the 12-month range's coverage.

Cases (the ones an audit of issue 17 found misleading):

* ``s1000`` - 1,000 CDNOW customers drawn with ``numpy.random.default_rng(17)`` from the sorted
  ids of the master log (``lifetimes/datasets/CDNOW_master.txt``), written with the required
  tables only (no ``line``, no ``cost``: ``products.unit_cost`` 9, no ``customer_since``), cut at
  1, 3, 6 and 12 months of history (1997-01-31, 1997-03-31, 1997-06-30, 1997-12-31);
* ``top500`` - the 500 customers with the most revenue up to 1997-12-31, cut there (12 months);
* ``demo`` - ``make_portfolio(40 accounts, 2 years, seed 1)``, cut at 2025-10-31 (12 months).

Per case the forecast stage of ``kamtools analyze`` runs with the value stage's tables in its
context (:func:`bench_real_data.forecast_case`), and its forecasts are compared with what each
account bought after the cut:

* ``bias6`` / ``MAE6`` - bias of the total and mean absolute error of the accounts' next-6-month
  totals, beside the mean of each account's last 6 months (``mean6``) and the BG/NBD +
  Gamma-Gamma expected value (``btyd``);
* ``fc12 / act12`` - the 12-month forecast total against what was bought (CDNOW ends in June
  1998: at 12 months of history only 6 months are known, marked ``6 m``);
* ``cov12`` - share of accounts whose 12-month total lies inside its 80% range (where 12
  months are known);
* ``zero in range`` - of the accounts that bought nothing in the next 6 months, the share whose
  80% range starts at zero.

Run: ``python benchmarks/bench_short_history.py [--case s1000:1997-03-31 ...]`` (all cases by
default, about 2 minutes on 2 shared cores).

Results (2026-12-05; before -> after the change of that day in ``kamtools.forecast.selection``):
see the module docstring of :mod:`kamtools.forecast.selection` and the table below.

RESULTS_TABLE
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_real_data as brd  # noqa: E402

from kamtools import load_portfolio  # noqa: E402


def _write(folder: Path, log: pd.DataFrame) -> None:
    """The required tables only (no line, no cost, no customer_since), as the audit wrote them."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = sorted(log["customer"].unique())
    pd.DataFrame(
        {
            "account_id": ids,
            "name": ["Customer " + i[1:] for i in ids],
            "industry": "Consumer",
            "region": "US",
            "country": "US",
            "channel": "Online",
            "owner": "CDNOW",
        }
    ).to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        {"product_id": ["CD"], "name": ["Compact disc"], "category": ["CDs"], "list_price": [15.0], "unit_cost": [9.0]}
    ).to_csv(folder / "products.csv", index=False)
    log = log.sort_values(["customer", "date"], kind="stable").reset_index(drop=True)
    pd.DataFrame(
        {
            "order_id": [f"O{i:06d}" for i in range(len(log))],
            "account_id": log["customer"],
            "product_id": "CD",
            "order_date": log["date"].dt.strftime("%Y-%m-%d"),
            "quantity": log["qty"],
            "net_revenue": log["amount"],
        }
    ).to_csv(folder / "orders.csv", index=False)


def portfolios(tmp: Path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = brd.read_cdnow(brd.cdnow_path())
        ids = np.array(sorted(log["customer"].unique()))
        s1000 = set(np.random.default_rng(17).choice(ids, 1000, replace=False))
        _write(tmp / "s1000", log[log["customer"].isin(s1000)])
        past = log[log["date"] <= "1997-12-31"]
        top = set(past.groupby("customer")["amount"].sum().nlargest(500).index)
        _write(tmp / "top500", log[log["customer"].isin(top)])
        from kamtools.datasets import make_portfolio

        demo, _ = make_portfolio(n_accounts=40, years=2, seed=1)
        return {
            "s1000": load_portfolio(tmp / "s1000"),
            "top500": load_portfolio(tmp / "top500"),
            "demo": demo,
        }


CASES = [
    ("s1000", "1997-01-31"),
    ("s1000", "1997-03-31"),
    ("s1000", "1997-06-30"),
    ("s1000", "1997-12-31"),
    ("top500", "1997-12-31"),
    ("demo", "2025-10-31"),
]


def run(full, as_of: str) -> dict:
    ids = sorted(full.accounts["account_id"].astype(str))
    past, tables, fc, act = brd.forecast_case(full, ids, as_of, 6)
    methods = {"kamtools": fc[["account_id", "step", "forecast", "lo_80", "hi_80"]]}
    base = brd.baselines(past, 6)
    methods["mean6"] = base["mean of last 6 months"]
    b = brd.btyd(past, 6)
    if b is not None:
        methods["btyd"] = b
    out = {name: brd.score(f, act) for name, f in methods.items()}
    summ = tables["forecast_summary"].copy()
    ts = pd.Timestamp(as_of)
    end = full.orders["order_date"].max()
    known = min(12, (end.year - ts.year) * 12 + end.month - ts.month)
    a12 = brd.actuals(full, ts, known, summ["account_id"].astype(str))
    tot12 = a12.groupby("account_id")["actual"].sum()
    a6 = act.groupby("account_id")["actual"].sum()
    summ["act12"] = summ["account_id"].astype(str).map(tot12).fillna(0.0).to_numpy()
    summ["act6"] = summ["account_id"].astype(str).map(a6).fillna(0.0).to_numpy()
    inside = (summ["act12"] >= summ["forecast_next_12m_lo_80"] - 1e-9) & (
        summ["act12"] <= summ["forecast_next_12m_hi_80"] + 1e-9
    )
    none6 = summ["act6"] <= 0
    zero_lo = summ["forecast_next_12m_lo_80"] <= 1e-9
    out["range"] = {
        "fc12": float(summ["forecast_next_12m"].sum()),
        "act12": float(summ["act12"].sum()),
        "known": known,
        "cov12": 100 * float(inside.mean()) if known == 12 else np.nan,
        "zero_in_range": 100 * float(zero_lo[none6].mean()) if none6.any() else np.nan,
        "n_none6": int(none6.sum()),
        "methods": dict(summ["forecast_method"].value_counts()),
    }
    return out


def line(label: str, r: dict) -> str:
    k, m6, rg = r["kamtools"], r["mean6"], r["range"]
    bt = r.get("btyd")
    btxt = f"{bt['bias_pct']:+.0f}% / {bt['mae']:.1f}" if bt else "--"
    cov = f"{rg['cov12']:.0f}%" if np.isfinite(rg["cov12"]) else "--"
    known = "" if rg["known"] == 12 else f" ({rg['known']} m)"
    return (
        f"{label:<22} {k['bias_pct']:+6.0f}% / {k['mae']:<8.1f} {m6['bias_pct']:+6.0f}% / {m6['mae']:<8.1f} "
        f"{btxt:<16} {rg['fc12']:>9,.0f} / {rg['act12']:>9,.0f}{known:<6} {cov:>6} {rg['zero_in_range']:>6.0f}%"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", nargs="*", help="name:as_of, e.g. s1000:1997-03-31 (default: all)")
    args = ap.parse_args()
    cases = [tuple(c.split(":", 1)) for c in args.case] if args.case else CASES
    with tempfile.TemporaryDirectory() as tmp:
        ports = portfolios(Path(tmp))
        print(
            f"{'case':<22} {'kamtools bias6/MAE6':<17} {'mean6 bias6/MAE6':<17} {'btyd':<16} "
            f"{'fc12 / act12':<27} {'cov12':>6} {'zero in range':>6}"
        )
        for name, as_of in cases:
            t0 = time.perf_counter()
            r = run(ports[name], as_of)
            print(line(f"{name} {as_of}", r), f"[{time.perf_counter() - t0:.0f} s]", r["range"]["methods"], flush=True)


if __name__ == "__main__":
    main()
