"""Out-of-time accuracy with 18-20 months of history: one backtest origin a year ahead, a year the test cannot hold.

No history length between 13 and 23 months had been measured out of time on a 12-month horizon (the real logs end
too soon after it; the demo cases of ``bench_real_data.py`` hold 36 and 42 months). With 18-20 months the forecast
stage tests 12 months ahead from a single past date 6-8 months into the data
(:func:`kamtools.forecast.backtest.plan_backtest`), so every correction and choice is learnt on accounts then 6-8
months old, and no 12-month method (the mean of the last 12 months, seasonal naive) can be checked there.

Cases (set before the first run): the demo generator, 300 accounts, 4 years, seeds 1, 2, 3 and 7, cut 18, 19 and
20 months after its first order month, the next 12 months compared; and, with ``--grocery PATH``, the grocer of
``bench_grocery.py`` at 2007-06-30 (18 months, the 6 months its log still holds), all 1,525 and the top 300.
Per case, as in ``bench_real_data.py`` (:func:`bench_real_data.run_case`): bias of the total, MAE of each account's
total and the account-months inside the 80% interval, beside the mean of the last 6 months, seasonal naive (each
month as the same month a year earlier for an account with 12+ months), zero if lapsed and the BTYD expected value.

Run: ``python benchmarks/bench_year_and_half.py [--grocery PATH] [--held-out] [--variant halfh|yearboth|aboveonly]`` (70 CPU seconds, 49 s
on 2 cores, with the grocer; a variant is a rule tried here, patched in for the run only).

Results (2026-12-08; 12 demo cases)::

    variant          MAE summed over the cases   lowest MAE of all methods   bias of the total   80% interval, mean (min-max)
    before the test  711,516                     5 of 12                     -7.0% to +9.4%      78.9% (72.7-86.3)
    halfh            731,799                     0 of 12                     -4.2% to +12.6%     83.2% (80.4-85.3)
    yearboth         701,838                     6 of 12                     -7.0% to +9.4%      79.4% (74.0-86.4)
    as shipped       701,838                     6 of 12                     -7.0% to +9.4%      79.4% (74.0-86.4)
    (seasonal naive 703,481 summed; the best other method per case is seasonal naive in 10 of 12, the BTYD and the
    mean of the last 6 months in one each)

Before the test below the year (``--variant aboveonly``), every demo total lay within 15% and the summed MAE was 1.1%
above seasonal naive's. By the 90% intervals over the accounts (``print_aims``) kamtools had the lowest MAE in 5
cases, a tie within sampling error in 6, and was behind in 1: seed 1 at 19 months, 60,790 against seasonal naive's
51,035 (difference 90% -18,443 to -2,367), where the 223 accounts on the kamtools model missed by 14.8M summed against
seasonal naive's 12.1M (a level carried from the latest months against a whole year repeated).

As shipped (2026-12-08, YEARCHECK: :func:`kamtools.forecast.selection.year_mix.below_check`, written after
``yearboth`` below): the date 12 months into the data tests the mix on the accounts then below their year, over the
6-8 months after it, and the mix is applied below the year only where it missed those months by less. It did in all
12 cases (by 8% to 17% over 88-106 accounts), so the figures are ``yearboth``'s: 6 lowest, 6 ties, none behind (seed
1 at 19 months: 56,909 against seasonal naive's 51,035, 90% -13,865 to +407). Held out (``--held-out``, seeds 11, 13, 17 and 19 at
18, 20 and 22 months, chosen before they were run): before -> as shipped, MAE summed 679,299 -> 673,639 (seasonal
naive 680,947), the lowest MAE in 6 -> 8 of 12, behind in 1 -> 1 (seed 11 at 20 months: -4,979 -> -5,104 against
seasonal naive, 90% -9,364 to -1,065), the totals' bias -16.4%..+1.9% -> -12.2%..+3.3% (seed 13 at 18 months came
inside 15%), 80% interval 80.5% -> 81.0%; the test favoured the mix in all 12 (by 3% to 9%). The grocer at
2007-06 (18 months): the test found the mix worse (117 accounts; top 300: 55) and nothing moved: -18.5% / 0.590
(zero if lapsed +13.5% / 0.586, a tie) and the top 300 -20.0% / 1.957 (1.940, a tie), both within sampling error
of 15% (90% -23.6% to -12.9% and -26.6% to -13.1%).

Rules tried, each set before its run and dropped:

* ``halfh``: where the full horizon allows one past date and half of it two or more, test 6 months ahead from the
  later dates instead (18 months: 3 dates, 10-12 months into the data, where 12 months ahead allows one at 6). On
  the grocer at 2007-06 it closes the gap (all 1,525: -18.5% / 0.590 -> +4.4% / 0.619, zero if lapsed +13.5% /
  0.586, a tie; top 300: -20.0% / 1.957 -> -0.9% / 1.873, now the lowest): its cohort's buying fell fast in its
  first months and slowly later, and the later dates see the slower fall. On the demo it raises the summed MAE by
  2.9% and wins no case: a 6-month test cannot see a year's season, which the demo has and the grocer does not. A
  single cohort followed from its first order (the grocer's log) is not what a key-account portfolio of mixed ages
  looks like, so the demo's loss counts more than the grocer's gain.
* ``yearboth``: the year mix of :mod:`kamtools.forecast.selection.year_mix` (a level forecast mixed half and half
  with the mean of the last 12 months where the test could not hold a year) applied both ways, not only where the
  forecast runs above the year, with no test (what is shipped applies it below only where the test favours it). The demo's summed MAE -1.4% (701,838, now 0.2% under seasonal naive), the grocer
  unchanged (-18.2%); on CDNOW at 12 months the same rule raised the moved accounts' error by 27% (a cohort whose
  buying fell all year; year_mix's docstring), and the 18-20 month cases have no real log with a season to check
  it on. Also tried: the same with the year's level scaled by the portfolio's year-on-year ratio over the months the
  history holds twice (708,490; the grocer -18.4%). Neither kept.
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

MONTHS = (18, 19, 20)
SEEDS = (1, 2, 3, 7)
HELD_OUT = ((11, 13, 17, 19), (18, 20, 22))  # seeds and months set aside for the year mix's test below the year


def _halfh() -> None:
    """Patch the forecast stage's backtest plan: a half horizon where the full one allows a single past date."""
    import kamtools.forecast.accounts as accounts
    from kamtools.forecast.backtest import plan_backtest

    def plan(n, horizon=12, windows=3, **kw):
        full = plan_backtest(n, horizon, windows, **kw)
        if full.possible and full.horizon == horizon and full.n_windows == 1:
            half = plan_backtest(n, horizon // 2, windows, horizons=(horizon // 2,), **kw)
            if half.n_windows >= 2:
                return half
        return full

    accounts.plan_backtest = plan


def _yearboth() -> None:
    """Patch the year mix to apply below the year too, with no test."""
    import kamtools.forecast.selection.assembly as assembly
    from kamtools.forecast.selection import year_mix as ym

    def mixed(y, method, mean, origins, level, below=False):
        if y.shape[1] < ym.YEAR_MONTHS or not ym.untested_year(origins):
            return np.zeros(len(method), dtype=bool)
        own = np.sum(np.isfinite(y), axis=1) >= ym.YEAR_MONTHS
        return np.isin(np.asarray(method), ym.LEVEL_METHODS) & own & np.all(mean > 0, axis=1)

    assembly.year_mixed = mixed


def _aboveonly() -> None:
    """Patch the year mix back to one way (above the year only), as before its test below the year."""
    import kamtools.forecast.selection.assembly as assembly
    from kamtools.forecast.selection import year_mix as ym

    def mixed(y, method, mean, origins, level, below=False):
        return ym.year_mixed(y, method, mean, origins, level, below=False)

    assembly.year_mixed = mixed


VARIANTS = {"halfh": _halfh, "yearboth": _yearboth, "aboveonly": _aboveonly}


def demo_results(seeds=SEEDS, cuts=MONTHS) -> list[pd.DataFrame]:
    from kamtools.datasets import make_portfolio

    out = []
    for seed in seeds:
        demo, _ = make_portfolio(n_accounts=300, years=4, seed=seed)
        start = demo.orders["order_date"].min().to_period("M")
        ids = sorted(demo.accounts["account_id"].astype(str))
        for months in cuts:
            as_of = str((start + months - 1).to_timestamp(how="end").normalize().date())
            print(f"demo 300 seed {seed}, {months} months, as of {as_of}, 12 months ahead")
            out.append(B.run_case(f"demo 300 seed {seed}", demo, ids, as_of, 12, verbose=False))
    return out


def grocery_results(path: Path) -> list[pd.DataFrame]:
    import bench_grocery as G

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        full = G.grocery_portfolio(G.read_grocery(path), Path(tmp) / "grocery")
        as_of = "2007-06-30"
        all_ids = sorted(full.accounts["account_id"].astype(str))
        for label, ids in (
            ("grocery all", all_ids),
            ("grocery top 300", B.top_by_revenue(full, pd.Timestamp(as_of), 300)),
        ):
            print(f"{label}, as of {as_of}, 6 months ahead")
            out.append(B.run_case(label, full, ids, as_of, 6, verbose=False))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grocery", type=Path, default=None, help="bench_grocery.py's log: also the grocer at 2007-06")
    ap.add_argument("--variant", choices=sorted(VARIANTS), default=None, help="a rule tried (see the docstring)")
    ap.add_argument("--no-demo", action="store_true")
    ap.add_argument(
        "--held-out", action="store_true", help="the held-out demo cases (seeds 11, 13, 17, 19 at 18, 20, 22)"
    )
    ap.add_argument("--out", default=None, help="write the figures as CSV here")
    args = ap.parse_args(argv)
    if args.variant:
        VARIANTS[args.variant]()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [] if args.no_demo else demo_results(*(HELD_OUT if args.held_out else (SEEDS, MONTHS)))
        if args.grocery:
            results += grocery_results(args.grocery)
    res = pd.concat(results, ignore_index=True)
    pd.set_option("display.width", 200)
    cols = ["case", "as_of", "months_ahead", "method", "bias_pct", "mae", "cov80"]
    shown = res[~res["method"].str.contains("diagnostic") & (res["method"] != "zero for all")]
    print(shown[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    k = res[res["method"] == "kamtools"]
    others = shown[shown["method"] != "kamtools"]
    best = others.groupby(["case", "as_of"])["mae"].min()
    lowest = (k.set_index(["case", "as_of"])["mae"] <= best).sum()
    demo = k[k["case"].str.startswith("demo")]
    if len(demo):
        seasonal = res[(res["method"] == "seasonal naive") & res["case"].str.startswith("demo")]["mae"].sum()
        print(
            f"\ndemo: MAE summed {demo['mae'].sum():,.0f} (seasonal naive {seasonal:,.0f}); bias "
            f"{demo['bias_pct'].min():+.1f}% to {demo['bias_pct'].max():+.1f}%; 80% interval {demo['cov80'].mean():.1f}% "
            f"({demo['cov80'].min():.1f}-{demo['cov80'].max():.1f})"
        )
    print(f"kamtools has the lowest MAE in {lowest} of {len(k)} cases")
    return B.close_run(res, args.out, t0)


if __name__ == "__main__":
    raise SystemExit(main())
