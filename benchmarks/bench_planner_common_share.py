"""The scenario planner's scopes with the forecast stage's common error share (issue 17, FACES).

The planner adds the accounts of a scope (a tier, a region, the whole portfolio). Before, it drew and summed them
as independent; now it ties them by the bundle's ``forecast_portfolio_range.rho``, the rule of the portfolio's own
range (:mod:`kamtools.forecast.portfolio_range`). The rule was set before these figures (the brief: the same
shared-error rule for every scope). For one bundle the bench prints, per scope and year, the year total's 80% range
and the chance to reach the summed target at zero levers, with the bundle's ``rho`` against ``rho = 0`` (a copy of
the bundle whose share is 0: exactly the planner's figures before, tests/test_scenario_common_share.py), and, with
``--cdnow``, out of time: each scope's January-June 1998 total against its 6-month 80% range from the bundle's
forecast (each account's months: the sum of its monthly sd; accounts combined independently or with ``rho``), beside
the forecast's own error and the mean of the last 6 months (the months before the cut, repeated).

The CDNOW case is bench_portfolio_range's sample 2000 (seed 1, third date) cut at 1997-12-31 (``rho`` 1.00, one
backtest origin, 6 months), with 1998 targets = each account's 1997 revenue and three regions by customer number
(mod 3, so that there are region scopes), analysed by the value, segment, forecast and scenario stages.

Results (issue 17, FACES, 2026-12-07). CDNOW 1997-12-31, rho 1.00, year 1998 (range of the year total; chance)::

    scope           accounts  independent: 80% range, chance      rho 1.00: 80% range, chance
    portfolio       2000      0 - 261.7k, 26.6% (published)       the same (forecast_portfolio_target)
    tier 1          198       55.5k - 73.2k, 6.9%                 0 - 142.8k, 25.7%
    tier 2          725       36.6k - 41.5k, 0.0%                 0.1k - 84.6k, 15.4%
    tier 3          1077      14.9k - 16.5k, 0.0%                 0 - 30.7k, 10.8%
    region Central  649       35.1k - 47.1k, 0.9%                 0 - 90.6k, 17.8%
    region East     668       33.5k - 43.0k, 0.1%                 0 - 82.5k, 18.1%
    region West     683       35.4k - 44.9k, 0.0%                 0.1k - 87.6k, 18.1%

Out of time, January-June 1998 (the scopes overlap; one date)::

    scope           actual   forecast  last 6 months  independent range     rho 1.00 range
    portfolio       40,223   +10%      +27%           40,461-48,093 out     0-110,546 in
    tier 1          22,532   +18%      +65%           23,188-30,137 out     0-59,742 in
    tier 2          13,629   +0%       +1%            12,074-15,189 in      0-43,389 in
    tier 3           4,062   -2%       -99%           3,727-4,240 in        552-7,415 in
    region Central  13,941   +8%       +28%           13,191-16,881 in      0-37,052 in
    region East     12,537   +12%      +26%           12,176-15,893 in      0-35,067 in
    region West     13,745   +11%      +26%           12,431-17,982 in      0-38,427 in

Before, a tier's chance (0-7%) said the opposite of the portfolio's (27%) on the same targets; now every scope
spreads by the portfolio's rule (11-26%). Coverage 5/7 -> 7/7, sharpness lost: the ranges span 0 to 2.2-2.5 times
the forecast, as the portfolio's own does at this date (bench_portfolio_range: one origin that missed by 8.1 times
the independent spread). The demo (``kamtools demo --quick``, 72 accounts, rho 0.012, 3 origins): the portfolio's
figures unchanged (published); tier and region chances move by at most 1.2 points (tier 1 2027 21.9% -> 23.1%),
ranges widen by 1-4 points of the expected total (tier 1 2027 50.9% -> 54.5%).

Left as it was (not this change): a scope's draws follow each account's lopsided year total (lo, hi and the
target's point), whose middle lies above the forecast's expected total where the low end is cut at what was booked;
at CDNOW the tiers' draws centre on 1.3-2 times their expected totals, and the demo's tier 1 range for 2027
(12.7M-22.2M) reaches lower than the whole portfolio's (16.8M-25.3M).

Usage::

    CDNOW_MASTER=.../CDNOW_master.txt python benchmarks/bench_planner_common_share.py --cdnow
    python benchmarks/bench_planner_common_share.py --bundle reports/demo/bundle
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_real_data as brd  # noqa: E402

from kamtools import scenario as sc  # noqa: E402
from kamtools.bundle import Bundle, analyze  # noqa: E402
from kamtools.data.portfolio import Portfolio  # noqa: E402
from kamtools.forecast.portfolio_range import total_sd  # noqa: E402

Z80 = float(stats.norm.ppf(0.9))
REGIONS = ("East", "West", "Central")


def cdnow_bundle(out: Path) -> Bundle:
    """The CDNOW case of the module docstring, analysed into ``out``."""
    tmp = Path(tempfile.mkdtemp(prefix="faces_cdnow_"))
    full, all_ids, _ = brd.cdnow(tmp)
    ids = brd.sample_ids(all_ids, 2000, 1, 3)[2]
    past = brd.keep_accounts(full, ids).truncate(pd.Timestamp("1997-12-31"))
    tables = dict(past.tables)
    acc = tables["accounts"].copy()
    acc["region"] = acc["account_id"].map(lambda a: REGIONS[int(a[1:]) % 3])
    tables["accounts"] = acc
    o = past.orders
    y97 = o[o["order_date"].dt.year == 1997].groupby("account_id")["net_revenue"].sum()
    y97 = y97[y97 > 0]
    tables["targets"] = pd.DataFrame(
        {"account_id": y97.index.astype(str), "period": 1998, "revenue_target": y97.to_numpy(float)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(
            Portfolio(tables, past.as_of, warnings=[]), out, stages=["value", "segment", "forecast", "scenario"]
        )


def scopes(bundle: Bundle) -> list[str]:
    acc = bundle.accounts
    out = ["portfolio"]
    if "tier" in acc:
        out += [f"tier:{t}" for t in sorted(acc["tier"].dropna().astype(int).unique())]
    if acc["region"].nunique() > 1:
        out += [f"region:{r}" for r in sorted(acc["region"].dropna().unique())]
    return out


def independent_copy(bundle: Bundle, folder: Path) -> Bundle:
    """The bundle with its common share set to 0 (the planner's figures before this change)."""
    path = folder / "independent"
    shutil.copytree(bundle.path, path)
    t = pd.read_parquet(path / "forecast_portfolio_range.parquet")
    t["rho"] = 0.0
    t.to_parquet(path / "forecast_portfolio_range.parquet", index=False)
    return Bundle.open(path)


def year_figures(bundle: Bundle, scope: str) -> dict[int, tuple[float, float, float]]:
    """{year: (80% range low, high, chance at zero levers)} of the scope's accounts with a target."""
    b = sc.baseline(bundle, scope)
    yearly = sc.evaluate(bundle, sc.Scenario(scope=scope)).yearly.set_index("year")
    return {y: (*c.range80(), float(yearly.loc[y, "p_target_baseline"])) for y, c in sorted(b.chance.items())}


def out_of_time(bundle: Bundle, rho: float) -> None:
    """The CDNOW scopes' January-June 1998 totals against their 6-month ranges (module docstring)."""
    log = brd.read_cdnow(brd.cdnow_path())
    act = log[(log["date"] >= "1998-01-01") & (log["date"] <= "1998-06-30")].groupby("customer")["amount"].sum()
    hist = bundle.table("forecast_history")
    recent = hist[hist["ds"] >= "1997-07-01"].groupby("account_id")["y"].sum()
    fc = bundle.table("forecast")
    fc = fc[(fc["ds"] >= "1998-01-01") & (fc["ds"] <= "1998-06-01")]
    g = fc.groupby("account_id").agg(f=("forecast", "sum"), s=("sd", "sum"))
    acc = bundle.accounts.set_index("account_id")
    for scope in scopes(bundle):
        kind, _, value = scope.partition(":")
        ids = acc.index if kind == "portfolio" else acc.index[acc[kind].astype(str) == value]
        x = g.reindex(ids).dropna()
        a, f = float(act.reindex(x.index).fillna(0).sum()), float(x["f"].sum())
        naive = float(recent.reindex(x.index).fillna(0).sum())
        cells = []
        for r in (0.0, rho):
            sd = total_sd(x["s"].to_numpy(), r)
            lo, hi = max(f - Z80 * sd, 0.0), f + Z80 * sd
            cells.append(f"{lo:,.0f}-{hi:,.0f} {'in' if lo <= a <= hi else 'out'}")
        print(
            f"  {scope:15s} actual {a:9,.0f}  forecast {f / a - 1:+.0%}  last 6 months {naive / a - 1:+.0%}  "
            f"independent {cells[0]}  rho {cells[1]}"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default=None, help="a bundle with forecast_portfolio_range")
    ap.add_argument("--cdnow", action="store_true", help="build the CDNOW case (module docstring) and use it")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="planner_share_"))
    if args.cdnow:
        bundle = cdnow_bundle(tmp / "cdnow")
    elif args.bundle:
        bundle = Bundle.open(args.bundle)
    else:
        ap.error("give --bundle or --cdnow")
    rho = float(bundle.table("forecast_portfolio_range")["rho"].iloc[0])
    before = independent_copy(bundle, tmp)
    print(f"rho {rho:.3f}")
    for scope in scopes(bundle):
        b, a = year_figures(before, scope), year_figures(bundle, scope)
        for y in a:
            (lo0, hi0, p0), (lo1, hi1, p1) = b[y], a[y]
            print(
                f"  {scope:15s} {y}  independent {lo0:,.0f}-{hi0:,.0f} ({p0:.1%})  rho {lo1:,.0f}-{hi1:,.0f} ({p1:.1%})"
            )
    if args.cdnow:
        out_of_time(bundle, rho)
    return 0


if __name__ == "__main__":
    sys.exit(main())
