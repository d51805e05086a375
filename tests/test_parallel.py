"""kamtools.parallel: parallel_map locally, worker counts, fit_many, and the Parquet reader."""

from __future__ import annotations

import functools
import os
import threading
import time

import numpy as np
import pandas as pd
import pytest

from kamtools.parallel import active_client, monthly_revenue_from_parquet, n_workers, parallel_map, resolve_jobs


def _square_plus(x: int, offset: int = 0) -> int:
    return x * x + offset


def _pid(_: int) -> int:
    return os.getpid()


def test_resolve_jobs():
    cpus = os.cpu_count() or 1
    assert resolve_jobs(None) == 1
    assert resolve_jobs(0) == 1
    assert resolve_jobs(3) == 3
    assert resolve_jobs(-1) == cpus
    assert resolve_jobs(-2) == max(1, cpus - 1)
    assert resolve_jobs(-1000) == 1


def test_parallel_map_in_process_keeps_order():
    assert active_client() is None
    assert n_workers(3) == 3
    items = list(range(20))
    assert parallel_map(functools.partial(_square_plus, offset=1), items, n_jobs=1) == [x * x + 1 for x in items]
    assert parallel_map(_pid, [1, 2, 3], n_jobs=1) == [os.getpid()] * 3
    assert parallel_map(_square_plus, [], n_jobs=2) == []


def test_parallel_map_worker_processes_keep_order():
    items = list(range(50))
    out = parallel_map(functools.partial(_square_plus, offset=7), items, n_jobs=2)
    assert out == [x * x + 7 for x in items]
    pids = parallel_map(_pid, list(range(8)), n_jobs=2)
    assert os.getpid() not in pids  # ran in worker processes, not here


def test_fit_many_same_result_in_process_and_in_workers():
    from kamtools.forecast.core import MIN_SERIES_FOR_PARALLEL, fit_many

    rng = np.random.default_rng(3)
    n = MIN_SERIES_FOR_PARALLEL + 4
    arrays = [np.abs(100 + np.cumsum(rng.normal(0, 5, size=int(rng.integers(6, 30))))) * (i % 5 != 0) for i in range(n)]
    serial = fit_many(arrays, horizon=3, season_length=12, level=(80,), n_jobs=1)
    spread = fit_many(arrays, horizon=3, season_length=12, level=(80,), n_jobs=2)
    assert len(serial) == len(spread) == n
    for a, b, y in zip(serial, spread, arrays):
        assert a.model == b.model
        np.testing.assert_array_equal(a.mean, b.mean)
        np.testing.assert_array_equal(a.lo, b.lo)
        np.testing.assert_array_equal(a.hi, b.hi)
        if not y.any():
            np.testing.assert_array_equal(a.mean, 0.0)  # the all-zero series stayed in its slot


@pytest.fixture(scope="module")
def parquet_source(tmp_path_factory):
    """A small demo portfolio written as Parquet files, and the same data loaded back."""
    from kamtools.data.loader import load_portfolio
    from kamtools.datasets import make_portfolio, write_tables

    portfolio, _ = make_portfolio(n_accounts=30, years=3, seed=5)
    folder = tmp_path_factory.mktemp("parquet_source")
    write_tables(portfolio, folder, fmt="parquet")
    return folder, load_portfolio(folder)


@pytest.mark.parametrize(
    ("by", "value"), [("account", "net_revenue"), ("account_category", "net_revenue"), ("account", "margin")]
)
def test_monthly_revenue_from_parquet_equals_portfolio_monthly(parquet_source, by, value):
    folder, loaded = parquet_source
    got = monthly_revenue_from_parquet(folder, by=by, value=value)
    expected = loaded.monthly(by=by, value=value)
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, expected)


def test_monthly_revenue_from_parquet_with_as_of(parquet_source):
    from kamtools.data.loader import load_portfolio

    folder, loaded = parquet_source
    as_of = loaded.as_of - pd.DateOffset(months=7, days=3)
    got = monthly_revenue_from_parquet(folder, by="account_category", as_of=as_of)
    expected = load_portfolio(folder, as_of=as_of).monthly(by="account_category")
    assert got["ds"].max() < as_of
    pd.testing.assert_frame_equal(got, expected)


def test_monthly_revenue_from_parquet_reads_a_folder_of_parts(parquet_source, tmp_path):
    folder, loaded = parquet_source
    orders = pd.read_parquet(folder / "orders.parquet")
    (tmp_path / "orders").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(orders)), 3)):
        orders.iloc[part].to_parquet(tmp_path / "orders" / f"part-{i}.parquet", index=False)
    got = monthly_revenue_from_parquet(tmp_path, by="account")
    pd.testing.assert_frame_equal(got, loaded.monthly(by="account"))


def test_monthly_revenue_from_parquet_says_what_is_missing(parquet_source, tmp_path):
    folder, _ = parquet_source
    with pytest.raises(FileNotFoundError, match="orders.parquet"):
        monthly_revenue_from_parquet(tmp_path)
    pd.read_parquet(folder / "orders.parquet").to_parquet(tmp_path / "orders.parquet", index=False)
    with pytest.raises(FileNotFoundError, match="products.parquet"):
        monthly_revenue_from_parquet(tmp_path, by="account_category")
    with pytest.raises(ValueError, match="by must be"):
        monthly_revenue_from_parquet(tmp_path, by="region")
    pd.read_parquet(folder / "orders.parquet").drop(columns="net_revenue").to_parquet(
        tmp_path / "orders.parquet", index=False
    )
    with pytest.raises(ValueError, match="net_revenue"):
        monthly_revenue_from_parquet(tmp_path)


def test_joblib_backend_runs_local_processes_without_a_cluster():
    from joblib import Parallel, delayed

    from kamtools.parallel import joblib_backend

    with joblib_backend(2) as n_jobs:
        assert n_jobs == 2
        pids = Parallel(n_jobs=n_jobs)(delayed(_pid)(i) for i in range(6))
    assert os.getpid() not in pids


def test_churn_model_parallel_folds_give_the_same_model(monkeypatch):
    import kamtools.churn.model as churn_model

    rng = np.random.default_rng(1)
    n = 500
    X = pd.DataFrame({"recency": rng.exponential(60, n), "trend": rng.normal(0, 1, n)})
    y = (X["recency"] / 60 + rng.normal(0, 1, n) > 1.5).to_numpy()
    serial = churn_model.ChurnModel(model="logistic", time_column=None, id_column=None).fit(X, y)
    monkeypatch.setattr(churn_model, "_PARALLEL_FOLDS_FROM", 0)
    spread = churn_model.ChurnModel(model="logistic", time_column=None, id_column=None).fit(X, y)
    np.testing.assert_array_equal(serial.predict_proba(X), spread.predict_proba(X))


def _sleep_and_return(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_joblib_work_runs_here_while_the_local_workers_are_busy():
    from kamtools.parallel import joblib_backend, local_pool_busy

    assert not local_pool_busy()
    # a parallel_map in another thread (as the forecast stage running in the background) ...
    other = threading.Thread(target=parallel_map, args=(_sleep_and_return, [1.0, 1.0]), kwargs={"n_jobs": 2})
    other.start()
    try:
        deadline = time.monotonic() + 30
        while not local_pool_busy() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert local_pool_busy()
        with joblib_backend(2) as n_jobs:  # ... so joblib work here runs in this process
            assert n_jobs == 1
    finally:
        other.join()
    assert not local_pool_busy()
    with joblib_backend(2) as n_jobs:
        assert n_jobs == 2
