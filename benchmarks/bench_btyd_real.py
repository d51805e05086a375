"""Buy-till-you-die and churn risk on real orders: are P(alive) and the churn risk honest?

Data: the CDNOW master log (23,570 real customers who first bought in Q1 1997, every
purchase to June 1998), read and turned into kamtools' required tables exactly as in
``benchmarks/bench_real_data.py`` (shipped with the ``lifetimes`` test dependency).

Part 1, the value model (weekly purchase periods, as ``kamtools analyze`` fits it):
calibration to 1997-09-30 (39 weeks), holdout to 1998-06-30 (39 weeks). On the whole
set, a random sample of 2,000 customers and the top 500 by calibration revenue (a
key-account-like portfolio of heavy buyers), BG/NBD, MBG/NBD and the model
:func:`kamtools.value.choose_btyd` picks (it holds out the end of the calibration period
itself; the real holdout is never seen) are compared with what happened:

* one-time buyers (a single purchase week in the calibration period): mean P(alive),
  mean predicted probability of buying in the holdout (``p_purchase``) and the share that
  really bought again;
* all customers: mean predicted probability of buying in the holdout vs the share that
  did, and predicted vs actual repeat purchase weeks in the holdout (calibration in the
  large);
* the log-likelihood of the real holdout given the calibration period (higher is better);
* the fit status (identified, or which degenerate limit) of each fit.

Part 1b (``--palive-only``), P(alive) as the reports show it against who bought again, at 6,
9 and 12 months of history (as of 1997-06-30, 09-30, 12-31), on the whole set, a random
2,000, the top 500 by revenue to the as-of date and the issue-17 audit's 300 customers
(seed 17): mean P(alive) of the model kamtools chooses beside the share that bought again in
the next 6 and 12 months (the log ends 1998-06-30, so 12 months only from 6 months of
history). Buying again proves being alive, so an honest P(alive) is never below those shares.
kamtools checks P(alive) on the last weeks of the history (:func:`kamtools.value.p_alive_check`:
the shown model scores each account at an inner cut and is compared with who bought after
it) and shows it as a probability only when that holdout is at least 26 weeks and the model
does not understate who bought again by more than 10 points there (else it recalibrates
Platt-style, or calls it a score). Figures (shares; "1x" = one-time buyers):

==========  =====  =======  ============  ==========  ===========  =============
set         hist.  model    mean P(alive)  bought 6 m  bought 12 m  reports show
==========  =====  =======  ============  ==========  ===========  =============
all         6 m    MBG/NBD  0.345          0.272       0.354        score
all, 1x     6 m    MBG/NBD  0.250          0.161       0.227        score
2,000       6 m    MBG/NBD  0.408          0.285       0.368        score
2,000, 1x   6 m    MBG/NBD  0.308          0.168       0.237        score
top 500     6 m    MBG/NBD  0.782          0.730       0.808        score
audit 300   6 m    MBG/NBD  0.181          0.257       0.327        score
audit, 1x   6 m    MBG/NBD  0.072          0.140       0.196        score
all         9 m    MBG/NBD  0.360          0.258       --           score
2,000       9 m    MBG/NBD  0.395          0.269       --           score
top 500     9 m    MBG/NBD  0.821          0.780       --           score
audit 300   9 m    BG/NBD   0.881          0.230       --           score
all         12 m   MBG/NBD  0.407          0.228       --           score
all, 1x     12 m   MBG/NBD  0.287          0.078       --           score
2,000       12 m   BG/NBD   0.838          0.239       --           score
top 500     12 m   BG/NBD   0.842          0.782       --           score
audit 300   12 m   MBG/NBD  0.333          0.227       --           score
==========  =====  =======  ============  ==========  ===========  =============

Before this change every row was shown as a probability, with "Accounts probably no longer
buying" counted from it. At 6 months P(alive) is at most 3 points below the 12-month floor on the
whole set, the 2,000 and the top 500, but 14.6 points below it on the audit's 300 (18.1% vs
32.7%; one-time buyers 7.2% vs 19.6%) and 14.0 on another 300 (seed 3: 24.7% vs 38.7%; seeds
1 and 2: 6.0 and 2.1 points). No check inside a 6- to 12-month history catches this: on the
audit's 300 the shown model expected 14% of the accounts to buy in the last 9 weeks and 12%
did (at 13 and 17 weeks held out: 20% expected, 20% bought; 25% expected, 23% bought). It comes from
accounts returning after silences longer than any the history holds, so the inner check
never asked for a recalibration on CDNOW (every row within 10 points on its holdout; the
largest gap, audit 300 at 12 m, 21.3% bought vs 18.5% expected) and a recalibration would
have changed nothing. With holdouts of 9 to 18 weeks every row above is therefore shown as
an activity score (no lapsed count, no win-back wording, one sentence why). The demo (4
years, 53 weeks held out: 95% bought again, the model expected 97%) passes the check and
is unchanged. A simulated understatement on a 53-week holdout (tests/test_palive_real.py:
73% bought again, 55% expected) is recalibrated to 74%.

Part 2, churn risk: the churn stage of ``kamtools analyze`` (``kamtools.churn.bundle_tables``)
runs on the portfolio as it was on the as-of date and is judged by what happened after:
AUC, Brier score and calibration in the large (mean predicted - observed rate), beside a
recency rule (days since the last order, turned into a probability by a one-variable
logistic fit on the latest earlier snapshot whose outcome was known by the as-of date;
with no such snapshot only its ranking (AUC) is given). Two set-ups:

* 12 months of history (as of 1997-12-31), churn = no order in the next 6 months
  (``--churn-definition kind=full,inactive=6``);
* 6 months of history (as of 1997-06-30), the default definition (no order in 6 months,
  or revenue down more than 50% over 12 months).

With less history than a churn model needs (both set-ups), what is shown is the fallback:
the value model's probability of no order in the next 6 months, named so in the
``method`` column (and, under the default definition, with "a revenue drop (partial churn)
is not covered"). It is therefore judged also against the event it predicts ("vs 'no
order' only", beside the recency rule's ranking of the same event). Results (2 shared
cores; CITL in probability points):

===============================  ===============================  =====  =====  ======
set, set-up                      method                           AUC    Brier  CITL
===============================  ===============================  =====  =====  ======
all, 12 m, no order in 6         kamtools (fallback)              0.690  0.220  +0.6
all, 12 m, no order in 6         recency rule                     0.618  0.261  +11.5
all, 6 m, default definition     kamtools (fallback)              0.681  0.160  -0.4
all, 6 m, default definition     same, vs 'no order' only         0.726  0.165  +4.4
all, 6 m, default definition     recency rank, vs 'no order'      0.711  --     --
sample 2000, 12 m, no order in 6 kamtools (fallback)              0.717  0.214  +0.6
sample 2000, 12 m, no order in 6 recency rule                     0.621  0.257  +10.1
sample 2000, 6 m, default        kamtools (fallback)              0.690  0.165  -1.5
sample 2000, 6 m, default        same, vs 'no order' only         0.729  0.165  +2.7
sample 2000, 6 m, default        recency rank, vs 'no order'      0.719  --     --
top 500, 12 m, no order in 6     kamtools (fallback)              0.738  0.138  -5.0
top 500, 12 m, no order in 6     recency rule                     0.727  0.143  -9.5
top 500, 6 m, default definition kamtools (fallback)              0.566  0.180  -8.3
top 500, 6 m, default definition same, vs 'no order' only         0.758  0.068  +6.3
top 500, 6 m, default definition recency rank, vs 'no order'      0.778  --     --
===============================  ===============================  =====  =====  ======

Every probability shown is calibrated in the large within 10 points (the old fallback,
1 - P(alive), ran 10 to 24 points low). On the top 500 with 6 months the fallback ranks
the no-order event a little below days since the last order (AUC 0.758 against 0.778),
and the default definition's churn rate (21.6%) is above what it predicts (13.3%) by the
revenue drops it does not cover - which is what its ``method`` sentence says. The recency
rule cannot be made a probability there: no earlier snapshot's outcome is known yet.

Both tables and part 1 (whole set: one-time buyers' P(alive) 1.000 under BG/NBD, 0.279 under the
chosen MBG/NBD; holdout log-likelihood -76,847.5 against -76,912.9) were rerun on the tree of issue
17's tenth session (4267040, 2026-12-06, 47 s on 2 shared cores) and came out the same to the last
digit shown.

Usage::

    .venv/bin/python benchmarks/bench_btyd_real.py            # everything (a few minutes)
    .venv/bin/python benchmarks/bench_btyd_real.py --no-churn # the value model only (seconds)
    .venv/bin/python benchmarks/bench_btyd_real.py --palive-only  # part 1b only (about 3 minutes)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_real_data import cdnow_path, cdnow_portfolio, keep_accounts, read_cdnow  # noqa: E402

from kamtools import churn as churn_module  # noqa: E402
from kamtools.churn import ChurnDefinition, definition_from, label_accounts  # noqa: E402
from kamtools.value import (  # noqa: E402
    MODEL_LABELS,
    BetaGeo,
    ModifiedBetaGeo,
    choose_btyd,
    fit_status,
    p_alive_check,
    rfm_summary,
)

CAL_END = pd.Timestamp("1997-09-28")  # a Sunday: 39 whole weeks after 1997-01-01 minus three days
AS_OF = pd.Timestamp("1998-06-30")


# ---------------------------------------------------------------------------------------
# part 1: the value model against the holdout
# ---------------------------------------------------------------------------------------
def _orders(log: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"account_id": log["customer"], "order_date": log["date"], "net_revenue": log["amount"]})


def btyd_rows(name: str, orders: pd.DataFrame) -> list[dict]:
    cal_orders = orders[orders["order_date"] <= CAL_END]
    summary = rfm_summary(orders, as_of=AS_OF, freq="W", calibration_end=CAL_END)
    x, tx, T = summary["frequency"], summary["recency"], summary["T"]
    horizon = summary["duration_holdout"].to_numpy()
    bought = summary["frequency_holdout"].to_numpy()
    one = x.to_numpy() == 0
    whole = rfm_summary(orders, as_of=AS_OF, freq="W").set_index("account_id").loc[summary["account_id"]]
    t0 = time.perf_counter()
    choice = choose_btyd(cal_orders, as_of=CAL_END)
    seconds = time.perf_counter() - t0
    rows = []
    for label, est in (("BG/NBD", choice.fits["bg_nbd"]), ("MBG/NBD", choice.fits["mbg_nbd"])):
        chosen = est is choice.model
        p_alive = est.p_alive(x, tx, T)
        p_buy = est.p_purchase(horizon, x, tx, T)
        predicted = est.expected_purchases(horizon, x, tx, T)
        # log-likelihood of the real holdout given the calibration period: whole history minus calibration part
        ll = est.log_likelihood(whole["frequency"], whole["recency"], whole["T"]) - est.log_likelihood(x, tx, T)
        rows.append(
            {
                "set": name,
                "model": label + (" (chosen)" if chosen else ""),
                "customers": len(summary),
                "one-time": int(one.sum()),
                "P(alive) 1x": p_alive[one].mean() if one.any() else np.nan,
                "P(buy) 1x": p_buy[one].mean() if one.any() else np.nan,
                "bought 1x": (bought[one] > 0).mean() if one.any() else np.nan,
                "P(buy) all": p_buy.mean(),
                "bought all": (bought > 0).mean(),
                "pred weeks": predicted.sum(),
                "actual weeks": bought.sum(),
                "holdout LL": ll.sum(),
                "status": fit_status(est)[0],
                "fit s": seconds if chosen else np.nan,
            }
        )
    print(f"  {name}: {choice.reason}")
    return rows


def part_btyd(log: pd.DataFrame, sample: int, seed: int) -> pd.DataFrame:
    orders = _orders(log)
    cal = orders[orders["order_date"] <= CAL_END]
    ids = np.sort(cal["account_id"].unique())
    rng = np.random.default_rng(seed)
    sampled = set(rng.choice(ids, size=min(sample, len(ids)), replace=False))
    top = set(cal.groupby("account_id")["net_revenue"].sum().nlargest(500).index)
    rows = []
    for name, keep in (("all", None), (f"sample {sample}", sampled), ("top 500", top)):
        part = orders if keep is None else orders[orders["account_id"].isin(keep)]
        rows += btyd_rows(name, part)
    return pd.DataFrame(rows)


def check_lifetimes_agreement(log: pd.DataFrame) -> None:
    """MBG/NBD on the whole calibration set against lifetimes' ModifiedBetaGeoFitter (same parameters)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import lifetimes
    except ImportError:
        print("  (lifetimes not installed: no cross-check)")
        return
    s = rfm_summary(_orders(log), as_of=CAL_END, freq="W")
    ours = ModifiedBetaGeo().fit(s)
    theirs = lifetimes.ModifiedBetaGeoFitter()
    theirs.params_ = pd.Series(ours.params_)
    diff = np.max(
        np.abs(
            ours.p_alive(s["frequency"], s["recency"], s["T"])
            - theirs.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
        )
    )
    print(f"  MBG/NBD vs lifetimes.ModifiedBetaGeoFitter, max |P(alive) difference| = {diff:.1e}")
    bg = BetaGeo().fit(s)
    print(f"  in-sample log-likelihood: BG/NBD {bg.log_likelihood_:,.1f}, MBG/NBD {ours.log_likelihood_:,.1f}")


# ---------------------------------------------------------------------------------------
# part 1b: P(alive) as kamtools shows it against who bought again, at several history lengths
# ---------------------------------------------------------------------------------------
PALIVE_AS_OF = (  # months of history (CDNOW starts 1997-01-01), as-of date
    (6, pd.Timestamp("1997-06-30")),
    (9, pd.Timestamp("1997-09-30")),
    (12, pd.Timestamp("1997-12-31")),
)


def _bought_within(orders: pd.DataFrame, ids: np.ndarray, as_of: pd.Timestamp, months: int) -> np.ndarray | None:
    """Whether each account ordered in the ``months`` after ``as_of`` (None when the log ends before)."""
    end = as_of + pd.DateOffset(months=months)
    if end > AS_OF + pd.Timedelta(days=1):
        return None
    later = orders[(orders["order_date"] > as_of) & (orders["order_date"] <= end)]
    return np.isin(ids, later["account_id"].unique())


def palive_rows(name: str, orders: pd.DataFrame, months: int, as_of: pd.Timestamp) -> list[dict]:
    """Mean P(alive) before/after kamtools' inner-holdout check vs the share that bought again."""
    past = orders[orders["order_date"] <= as_of]
    summary = rfm_summary(past, as_of=as_of, freq="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        choice = choose_btyd(past, as_of=as_of)
    check = p_alive_check(choice, past, as_of)
    x, tx, T = summary["frequency"], summary["recency"], summary["T"]
    raw = choice.model.p_alive(x, tx, T)
    shown = check.apply(raw)
    ids = summary["account_id"].to_numpy()
    one = x.to_numpy() == 0
    rows = []
    for who, mask in (("all", np.ones(len(ids), dtype=bool)), ("one-time", one)):
        row = {
            "set": name,
            "history": f"{months} m",
            "model": MODEL_LABELS[choice.model.model_name],
            "who": who,
            "n": int(mask.sum()),
            "P(alive) raw": raw[mask].mean(),
            "P(alive) shown": shown[mask].mean(),
        }
        for h in (6, 12):
            b = _bought_within(orders, ids, as_of, h)
            row[f"bought {h}m"] = b[mask].mean() if b is not None else np.nan
        row["fit"] = choice.status
        row["check"] = check.status
        rows.append(row)
    print(
        f"  {name}, {months} m: inner holdout {check.weeks:.0f} weeks from {check.cut:%Y-%m-%d}: bought again "
        f"{check.bought_again:.1%}, model P(buy) {check.mean_p_buy:.1%}, P(alive) {check.mean_p_alive:.1%}"
        + (
            f"; recalibrated (c0 {check.coefficients[0]:+.2f}, c1 {check.coefficients[1]:.2f}): P(buy) "
            f"{check.calibrated_p_buy:.1%}, P(alive) {check.calibrated_p_alive:.1%} -> {check.status}"
            if check.understates
            else f" -> {check.status}"
        )
        if check.cut is not None
        else f"  {name}, {months} m: no inner holdout ({check.status})"
    )
    return rows


def part_palive(log: pd.DataFrame, sample: int, seed: int) -> pd.DataFrame:
    orders = _orders(log)
    rows = []
    for months, as_of in PALIVE_AS_OF:
        past = orders[orders["order_date"] <= as_of]
        ids = np.sort(past["account_id"].unique())
        rng = np.random.default_rng(seed)
        sampled = set(rng.choice(ids, size=min(sample, len(ids)), replace=False))
        top = set(past.groupby("account_id")["net_revenue"].sum().nlargest(500).index)
        # the issue-17 audit's portfolio: 300 customers drawn with seed 17 (every customer has bought by 1997-06-30)
        audit = set(np.random.default_rng(17).choice(np.sort(orders["account_id"].unique()), 300, replace=False))
        sets = (("all", None), (f"sample {sample}", sampled), ("top 500", top), ("audit 300", audit))
        for name, keep in sets:
            part = orders if keep is None else orders[orders["account_id"].isin(keep)]
            rows += palive_rows(name, part, months, as_of)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# part 2: churn risk against what happened
# ---------------------------------------------------------------------------------------
def _days_since_last(portfolio, as_of: pd.Timestamp) -> pd.Series:
    o = portfolio.orders[portfolio.orders["order_date"] <= as_of]
    return (as_of - o.groupby("account_id")["order_date"].max()).dt.days


def _recency_rule(full, as_of: pd.Timestamp, d: ChurnDefinition, ids: np.ndarray) -> np.ndarray | None:
    """Days since the last order, as a probability fitted on the latest snapshot whose outcome was known on as_of."""
    train_at = (as_of - pd.DateOffset(months=d.label_window_months)).normalize()
    first = full.orders["order_date"].min()
    if train_at <= first + pd.DateOffset(months=1):
        return None
    past = full.truncate(as_of)
    labels = label_accounts(past, train_at, d)
    if labels.empty or labels["churned"].nunique() < 2:
        return None
    x_train = _days_since_last(past, train_at).reindex(labels["account_id"]).to_numpy()[:, None]
    rule = LogisticRegression().fit(x_train, labels["churned"].to_numpy())
    x_now = _days_since_last(past, as_of).reindex(ids).to_numpy()[:, None]
    return rule.predict_proba(x_now)[:, 1]


def _figures(y: np.ndarray, p: np.ndarray | None) -> dict:
    if p is None:
        return {"AUC": np.nan, "Brier": np.nan, "mean p": np.nan, "CITL": np.nan}
    return {
        "AUC": roc_auc_score(y, p),
        "Brier": brier_score_loss(y, p),
        "mean p": float(np.mean(p)),
        "CITL": float(np.mean(p) - np.mean(y)),
    }


def churn_rows(name: str, full, as_of: pd.Timestamp, d: ChurnDefinition, user: bool) -> list[dict]:
    past = full.truncate(as_of)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = churn_module.bundle_tables(past, {churn_module.DEFINITION_CONTEXT_KEY: d if user else None})
    seconds = time.perf_counter() - t0
    table = tables["churn"]
    if not isinstance(table, pd.DataFrame):
        print(f"  {name}: churn not available: {table}")
        return []
    truth = label_accounts(full, as_of, d).set_index("account_id")["churned"]
    active = table[table["risk_band"].isin(["high", "medium", "low"])]
    active = active[active["account_id"].isin(truth.index)]
    y = truth.reindex(active["account_id"]).to_numpy().astype(int)
    p = active["churn_probability"].to_numpy(dtype=float)
    ids = active["account_id"].to_numpy()
    recency = _recency_rule(full, as_of, d, ids)
    days = _days_since_last(past, as_of).reindex(ids).to_numpy()
    method = str(active["method"].iloc[0]) if len(active) else ""
    p_alive = 1 - active["p_alive"].to_numpy(dtype=float)
    print(f"  {name}: {len(active):,} active accounts, churn rate {y.mean():.1%}; kamtools: {method[:150]}")
    rows = [
        {"set": name, "method": "kamtools churn risk", **_figures(y, p), "seconds": seconds},
    ]
    if d.kind != "full" and "no order" in method:
        # the fallback is the probability of no order: judged also against that event alone
        no_order = label_accounts(full, as_of, replace(d, kind="full")).set_index("account_id")["churned"]
        y_full = no_order.reindex(ids).to_numpy().astype(int)
        rows.append({"set": name, "method": "  same, vs 'no order' only", **_figures(y_full, p)})
        rows.append(
            {"set": name, "method": "  recency rule, vs 'no order' only (rank)", "AUC": roc_auc_score(y_full, days)}
        )
    rows += [
        {"set": name, "method": "1 - P(alive) (old fallback)", **_figures(y, p_alive)},
        {
            "set": name,
            "method": "recency rule" + ("" if recency is not None else " (rank only)"),
            **(_figures(y, recency) if recency is not None else {"AUC": roc_auc_score(y, days)}),
        },
    ]
    return rows


def part_churn(log: pd.DataFrame, sample: int, seed: int) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        full = cdnow_portfolio(log, Path(tmp) / "cdnow")
    ids = np.sort(full.accounts["account_id"].unique())
    rng = np.random.default_rng(seed)
    sampled = rng.choice(ids, size=min(sample, len(ids)), replace=False)
    first_year = full.orders[full.orders["order_date"] <= pd.Timestamp("1997-12-31")]
    top = first_year.groupby("account_id")["net_revenue"].sum().nlargest(500).index
    setups = [
        ("12 months, no order in 6", pd.Timestamp("1997-12-31"), definition_from("kind=full,inactive=6"), True),
        ("6 months, default definition", pd.Timestamp("1997-06-30"), ChurnDefinition(), False),
    ]
    rows = []
    for subset, keep in (("all", None), (f"sample {sample}", sampled), ("top 500", top)):
        portfolio = full if keep is None else keep_accounts(full, keep)
        for label, as_of, d, user in setups:
            rows += churn_rows(f"{subset}, {label}", portfolio, as_of, d, user)
    return pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-churn", action="store_true", help="only the value model part")
    ap.add_argument("--palive-only", action="store_true", help="only P(alive) against who bought again")
    args = ap.parse_args()
    pd.set_option("display.width", 220)
    pd.set_option("display.max_columns", 30)
    log = read_cdnow(cdnow_path())
    print(f"CDNOW master: {log['customer'].nunique():,} customers, {len(log):,} purchases")
    if args.palive_only:
        print("\nP(alive) as the reports show it vs the share that bought again (next 6 / 12 months)")
        print(part_palive(log, args.sample, args.seed).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return 0
    print("\nValue model: calibration to 1997-09-28, holdout to 1998-06-30 (weekly purchases)")
    check_lifetimes_agreement(log[log["date"] <= CAL_END])
    btyd = part_btyd(log, args.sample, args.seed)
    print(btyd.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print("  (1x = one-time buyers in the calibration period; P(buy) = predicted probability of buying in the holdout)")
    print(f"  labels: {MODEL_LABELS}")
    print("\nP(alive) as the reports show it vs the share that bought again (next 6 / 12 months)")
    palive = part_palive(log, args.sample, args.seed)
    print(palive.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if not args.no_churn:
        print("\nChurn risk out of time (CITL = mean predicted - observed churn rate)")
        churn = part_churn(log, args.sample, args.seed)
        print(churn.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
