"""Benchmark: what the churn feature champion_left adds out of time on the demo with groups.

    .venv/bin/python benchmarks/bench_champion_left.py [--accounts 300] [--years 4] [--seeds 7] [--tests 3]

For each seed, generates ``make_portfolio(n_accounts, years, seed)`` with its default groups (the
generator plants champions who leave some months before a churn, and a few at accounts that stay),
builds the labelled snapshots once (``training_set``: features at each snapshot from what was known
then; ``left_date <= snapshot``), and backtests the churn model out of time (``kamtools.churn.evaluate``:
train on snapshots whose label window ends before the test snapshot) twice on the same snapshots:
with every feature, and with champion_left dropped. Prints log loss, ROC AUC, PR AUC and the Brier
score of both on each of the last ``--tests`` test snapshots, and their means.
"""

from __future__ import annotations

import argparse
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=300)
    ap.add_argument("--years", type=int, default=4)
    ap.add_argument("--seeds", type=int, nargs="+", default=[7])
    ap.add_argument("--tests", type=int, default=3, help="backtest on each of the last N labelled snapshots")
    args = ap.parse_args()

    import numpy as np
    import pandas as pd

    from kamtools.churn import ChurnDefinition, evaluate, training_set
    from kamtools.datasets import make_portfolio

    d = ChurnDefinition()
    rows = []
    for seed in args.seeds:
        t = time.perf_counter()
        portfolio, truth = make_portfolio(n_accounts=args.accounts, years=args.years, seed=seed)
        training = training_set(portfolio, d)
        if "champion_left" not in training.columns:
            print(f"seed {seed}: the data records no leaving date, so there is no champion_left feature")
            continue
        snaps = sorted(training["as_of"].unique())
        planted = len(getattr(truth, "champions_left", []))
        flagged = training.groupby("churned")["champion_left"].mean()
        print(
            f"seed {seed}: {len(portfolio.accounts):,} accounts, {planted} planted champions leaving, "
            f"{len(snaps)} snapshots, {len(training):,} account-snapshots "
            f"(champion_left = 1 in {flagged.get(True, np.nan):.1%} of churners' rows, "
            f"{flagged.get(False, np.nan):.1%} of the others'); built in {time.perf_counter() - t:.0f} s"
        )
        for t_test in snaps[-args.tests :]:
            results = {}
            for name, data in (("with", training), ("without", training.drop(columns="champion_left"))):
                ev = evaluate(portfolio, d, test_as_of=t_test, training=data, random_state=0)
                if not hasattr(ev, "metrics"):
                    print(f"  {pd.Timestamp(t_test).date()}: {ev}")
                    break
                results[name] = ev.metrics.set_index("metric")["model"]
            if len(results) < 2:
                continue
            w, wo = results["with"], results["without"]
            rows.append(
                {
                    "seed": seed,
                    "test_as_of": str(pd.Timestamp(t_test).date()),
                    "n": int(w["n_accounts"]),
                    "churned": int(w["n_churned"]),
                    **{f"{m}_with": w[m] for m in ("log_loss", "roc_auc", "pr_auc", "brier")},
                    **{f"{m}_without": wo[m] for m in ("log_loss", "roc_auc", "pr_auc", "brier")},
                }
            )
    if not rows:
        print("no out-of-time backtest could be run")
        return 1
    out = pd.DataFrame(rows)
    for m in ("log_loss", "roc_auc", "pr_auc", "brier"):
        out[f"{m}_gain"] = out[f"{m}_with"] - out[f"{m}_without"]
    pd.set_option("display.width", 200)
    cols = ["seed", "test_as_of", "n", "churned"] + [
        f"{m}_{k}" for m in ("log_loss", "roc_auc", "pr_auc") for k in ("without", "with")
    ]
    print(out[cols].round(4).to_string(index=False))
    mean = out.mean(numeric_only=True)
    print(
        f"mean over {len(out)} test snapshots: log loss {mean['log_loss_without']:.4f} without -> "
        f"{mean['log_loss_with']:.4f} with champion_left ({mean['log_loss_gain']:+.4f}; lower is better), "
        f"ROC AUC {mean['roc_auc_without']:.4f} -> {mean['roc_auc_with']:.4f} ({mean['roc_auc_gain']:+.4f}), "
        f"PR AUC {mean['pr_auc_without']:.4f} -> {mean['pr_auc_with']:.4f} ({mean['pr_auc_gain']:+.4f}), "
        f"Brier {mean['brier_without']:.4f} -> {mean['brier_with']:.4f} ({mean['brier_gain']:+.4f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
