"""Benchmark: portfolio KPIs, health and account plans for 10,000 accounts.

Generates ``make_portfolio(n_accounts=10000, years=4, seed=1)`` (not timed), then times

* ``kamtools.kpis.bundle_tables`` (every KPI block, AR ageing, open bids, post-bid
  losses and the health score; without churn results in the context, so health learns
  its weights itself from two past snapshots: the slowest path),
* ``kamtools.plan.bundle_tables`` (facts, objectives, the whole playbook, talking points
  for every account),
* ``kamtools.plan.account_plan`` for single accounts from the in-memory results,
* writing both stages to a bundle and reading one account's plan back from it.

Run: ``.venv/bin/python benchmarks/bench_kpis.py [n_accounts]``. Prints the figures;
the budget is 60 s for KPIs + plans.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

BUDGET_SECONDS = 60.0


def main(n_accounts: int = 10_000) -> int:
    from kamtools import kpis, plan
    from kamtools.datasets import make_portfolio

    t0 = time.perf_counter()
    portfolio, _ = make_portfolio(n_accounts=n_accounts, years=4, seed=1)
    gen = time.perf_counter() - t0
    print(f"generated {portfolio} in {gen:.1f} s (not timed)")

    t0 = time.perf_counter()
    kpi_tables = kpis.bundle_tables(portfolio, {})
    t_kpis = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan_tables = plan.bundle_tables(portfolio, dict(kpi_tables))
    t_plan = time.perf_counter() - t0
    total = t_kpis + t_plan

    def rows(tables: dict) -> str:
        return ", ".join(f"{k}={len(v):,}" if hasattr(v, "__len__") else f"{k}=n/a" for k, v in tables.items())

    print(f"kpis.bundle_tables: {t_kpis:.2f} s  ({rows(kpi_tables)})")
    health = kpi_tables["health"]
    if hasattr(health, "columns"):
        print(f"  health: {health['health_basis'].iloc[0]}")
        print(f"  health bands: {health['health_band'].value_counts().to_dict()}")
    print(f"plan.bundle_tables: {t_plan:.2f} s  ({rows(plan_tables)})")
    actions = plan_tables["plan_actions"]
    print(
        f"  actions per account: {len(actions) / n_accounts:.2f}; by rule: {actions['rule_id'].value_counts().to_dict()}"
    )
    print(f"KPIs + plans for {n_accounts:,} accounts: {total:.2f} s (budget {BUDGET_SECONDS:.0f} s)")

    ids = portfolio.accounts["account_id"].iloc[:: max(1, n_accounts // 20)].tolist()
    t0 = time.perf_counter()
    for aid in ids:
        plan.account_plan(portfolio, aid, context=kpi_tables)
    per_plan = (time.perf_counter() - t0) / len(ids)
    print(f"account_plan(portfolio, id) from in-memory results: {per_plan * 1000:.0f} ms per account")

    from kamtools.bundle import analyze

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        bundle = analyze(portfolio, Path(tmp) / "bundle", stages=["kpis", "plan"], progress=False)
        t_bundle = time.perf_counter() - t0
        t0 = time.perf_counter()
        for aid in ids:
            plan.account_plan(bundle, aid)
        per_bundle = (time.perf_counter() - t0) / len(ids)
    print(f"analyze(stages=kpis, plan) incl. Parquet writing: {t_bundle:.2f} s")
    print(f"account_plan(bundle, id), reading only that account's slice: {per_bundle * 1000:.0f} ms per account")
    ok = total < BUDGET_SECONDS
    print("PASS" if ok else "FAIL", f"({total:.1f} s < {BUDGET_SECONDS:.0f} s)" if ok else "")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
