"""`kamtools analyze` on a Dask distributed cluster gives the same bundle as on one machine.

A real two-process ``distributed.LocalCluster`` on this machine stands in for a cluster.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local_cluster:
        yield local_cluster


@pytest.fixture(scope="module")
def portfolio():
    from kamtools.datasets import make_portfolio

    return make_portfolio(n_accounts=40, years=3, seed=2)[0]


def _task_prefixes(address: str) -> set[str]:
    """Names of the task kinds the scheduler has seen (kept after the tasks are done; a
    task named after `_fit_chunk` has the prefix `fit_chunk`)."""
    with distributed.Client(address) as client:
        return set(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes)))


def _assert_same_bundle(left: Path, right: Path) -> list[str]:
    m1 = json.loads((left / "manifest.json").read_text())
    m2 = json.loads((right / "manifest.json").read_text())
    assert sorted(m1["tables"]) == sorted(m2["tables"])
    assert m1["skipped"] == m2["skipped"]
    assert m1["fingerprint"] == m2["fingerprint"]
    for name in m1["tables"]:
        pd.testing.assert_frame_equal(
            pd.read_parquet(left / f"{name}.parquet"), pd.read_parquet(right / f"{name}.parquet"), obj=name
        )
    return sorted(m1["tables"])


def test_analyze_on_dask_equals_one_machine(cluster, portfolio, tmp_path):
    from kamtools.bundle import analyze

    local = analyze(portfolio, tmp_path / "local", progress=False)
    assert local.manifest["scheduler"] is None
    assert "fit_chunk" not in _task_prefixes(cluster.scheduler_address)

    remote = analyze(portfolio, tmp_path / "dask", progress=False, scheduler=cluster.scheduler_address)
    assert remote.manifest["scheduler"] == cluster.scheduler_address
    # the per-series forecasts really ran as tasks on the cluster
    assert "fit_chunk" in _task_prefixes(cluster.scheduler_address)

    tables = _assert_same_bundle(tmp_path / "local", tmp_path / "dask")
    for expected in ("value", "segments", "forecast", "forecast_category", "forecast_backtest", "churn", "accounts"):
        assert expected in tables
    assert set(local.manifest["cpu_seconds"]) >= {"load", "forecast", "write", "total"}


def test_parallel_map_on_cluster_keeps_order(cluster):
    from kamtools.parallel import active_client, dask_scheduler, n_workers, parallel_map

    with dask_scheduler(cluster.scheduler_address) as client:
        assert active_client() is client
        assert n_workers(1) == 2  # the cluster's worker threads, not the local n_jobs
        out = parallel_map(abs, list(range(-30, 0)), n_jobs=1)
    assert out == list(range(30, 0, -1))
    assert active_client() is None


def test_monthly_from_parquet_on_cluster(cluster, portfolio, tmp_path):
    from kamtools.data.loader import load_portfolio
    from kamtools.datasets import write_tables
    from kamtools.parallel import dask_scheduler, monthly_revenue_from_parquet

    write_tables(portfolio, tmp_path / "src", fmt="parquet")
    expected = load_portfolio(tmp_path / "src").monthly(by="account_category")
    with dask_scheduler(cluster.scheduler_address):
        got = monthly_revenue_from_parquet(tmp_path / "src", by="account_category")
    pd.testing.assert_frame_equal(got, expected)


def test_cli_analyze_with_scheduler(cluster, portfolio, tmp_path):
    from kamtools.datasets import write_tables

    src = tmp_path / "src"
    write_tables(portfolio, src, fmt="parquet")
    out = tmp_path / "bundle"
    cmd = [sys.executable, "-m", "kamtools", "analyze", str(src), "--out", str(out)]
    cmd += ["--scheduler", cluster.scheduler_address, "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "bundle written to" in done.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scheduler"] == cluster.scheduler_address
    assert manifest["n_accounts"] == len(portfolio.accounts)
    forecast = pd.read_parquet(out / "forecast.parquet")
    assert forecast["account_id"].nunique() > 0


def _pid() -> int:
    import os

    return os.getpid()


def test_joblib_calls_follow_the_cluster(cluster):
    import os

    from joblib import Parallel, delayed

    from kamtools.parallel import dask_scheduler, joblib_backend

    with dask_scheduler(cluster.scheduler_address) as client:
        worker_pids = set(client.run(_pid).values())
        with joblib_backend(1) as n_jobs:
            assert n_jobs == 2
            pids = Parallel(n_jobs=n_jobs)(delayed(_pid)() for _ in range(6))
    assert set(pids) <= worker_pids
    assert os.getpid() not in pids


def test_churn_model_folds_on_cluster_give_the_same_model(cluster, monkeypatch):
    import numpy as np

    import kamtools.churn.model as churn_model
    from kamtools.parallel import dask_scheduler

    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame(
        {
            "recency": rng.exponential(60, n),
            "trend": rng.normal(0, 1, n),
            "region": rng.choice(["north", "south", "east"], n),
            "account_id": [f"A{i % 200}" for i in range(n)],
        }
    )
    y = (X["recency"] / 60 + rng.normal(0, 1, n) > 1.5).to_numpy()
    serial = churn_model.ChurnModel(model="boosting", max_iter=30, time_column=None).fit(X, y)
    monkeypatch.setattr(churn_model, "_PARALLEL_FOLDS_FROM", 0)  # parallel folds even on small data
    with dask_scheduler(cluster.scheduler_address):
        spread = churn_model.ChurnModel(model="boosting", max_iter=30, time_column=None).fit(X, y)
    np.testing.assert_array_equal(serial.predict_proba(X), spread.predict_proba(X))


def test_cli_analyze_says_when_the_scheduler_is_unreachable(tmp_path):
    import os

    env = dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="1s")
    out = tmp_path / "bundle"
    cmd = [sys.executable, "-m", "kamtools", "analyze", str(tmp_path / "no-data"), "--out", str(out)]
    cmd += ["--scheduler", "tcp://127.0.0.1:9", "--quiet"]  # nothing listens on the discard port
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done.stderr
    assert "dask scheduler" in done.stderr
    assert not out.exists()


def test_overlapped_stages_give_the_same_bundle_as_one_after_the_other(portfolio, tmp_path):
    from kamtools.bundle import analyze
    from kamtools.stages import ordered, overlap_until

    # churn reads the forecast (revenue at risk on it), so the stages that overlap it here are whitespace and kpis
    stages = ["value", "segment", "forecast", "whitespace", "kpis", "plan"]
    serial = analyze(portfolio, tmp_path / "serial", stages=stages, progress=False, overlap=False)
    together = analyze(portfolio, tmp_path / "overlap", stages=stages, progress=False)
    assert serial.manifest["overlapped_stages"] == {}
    assert together.manifest["overlapped_stages"] == {"forecast": ["whitespace", "kpis"]}
    assert overlap_until(ordered(stages)) == {"forecast": "plan"}  # plan reads the forecast tables: it waited
    _assert_same_bundle(tmp_path / "serial", tmp_path / "overlap")
    assert list(pd.read_parquet(tmp_path / "serial" / "accounts.parquet").columns) == list(
        pd.read_parquet(tmp_path / "overlap" / "accounts.parquet").columns
    )


def test_an_error_in_the_background_stage_reaches_the_caller(portfolio, tmp_path, monkeypatch):
    import kamtools.forecast
    from kamtools.bundle import analyze

    def broken(portfolio, context):
        raise RuntimeError("forecast exploded")

    monkeypatch.setattr(kamtools.forecast, "bundle_tables", broken)
    with pytest.raises(RuntimeError, match="forecast exploded"):
        analyze(portfolio, tmp_path / "b", stages=["value", "forecast", "churn"], progress=False)
    assert not (tmp_path / "b").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".b.tmp")]
