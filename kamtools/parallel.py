"""Where the parallel parts of kamtools run: local processes, or a Dask cluster.

Per-series forecasting, per-chunk scoring and report rendering are "map a function
over independent items" work. They all go through :func:`parallel_map`, which runs the
items

* on a Dask distributed cluster when one is active (``with dask_scheduler(address):``,
  or ``kamtools analyze/reports --scheduler ADDRESS``),
* otherwise in local worker processes (joblib's loky backend), or in this process
  when ``n_jobs == 1``.

Results come back in the order of the items whichever way they ran, so a function that
is deterministic per item gives identical results locally and on a cluster.

Also here:

* :func:`parallel_as_completed` - the same places, for work whose results are handled one
  by one as they finish (report rendering: progress, a log line per report, stopping at once
  on Ctrl-C with the workers killed);
* :func:`n_workers` - how many items can run at once (to decide how many chunks to cut);
* :func:`joblib_backend` - sends ``joblib.Parallel`` work (scikit-learn's ``n_jobs``, e.g.
  the churn model's calibration folds) to the same place as :func:`parallel_map`;
* :func:`monthly_revenue_from_parquet` - monthly revenue per account (and category)
  aggregated by Dask straight from Parquet order lines too large for one process.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools.extras import import_optional

_CLIENT: ContextVar[Any] = ContextVar("kamtools_dask_client", default=None)


def resolve_jobs(n_jobs: int | None) -> int:
    """Number of local workers: ``-1`` = all cores, ``-2`` = all but one, ``None``/0 = 1."""
    cpus = os.cpu_count() or 1
    if not n_jobs:
        return 1
    if n_jobs < 0:
        return max(1, cpus + 1 + n_jobs)
    return int(n_jobs)


@contextmanager
def dask_scheduler(address: str | Any) -> Iterator[Any]:
    """Run kamtools' parallel parts on a Dask cluster inside this block.

    ``address`` is a scheduler address (``tcp://host:8786``) or an existing
    ``distributed.Client`` / ``LocalCluster``. Yields the client.
    """
    Client = import_optional("distributed", "dask", "running on a Dask cluster (--scheduler)").Client

    own = False
    if isinstance(address, Client):
        client = address
    elif hasattr(address, "scheduler_address"):
        client, own = Client(address), True
    else:
        client, own = Client(str(address)), True
    token = _CLIENT.set(client)
    try:
        yield client
    finally:
        _CLIENT.reset(token)
        if own:
            client.close()


def active_client() -> Any:
    """The Dask client set by :func:`dask_scheduler`, or None."""
    return _CLIENT.get()


def n_workers(n_jobs: int | None = -1) -> int:
    """How many items can run at once: the cluster's worker threads when a Dask client is
    active (see :func:`dask_scheduler`), else ``resolve_jobs(n_jobs)`` local processes.

    Callers use it to decide how many chunks to cut work into; results must not depend on it.
    """
    client = active_client()
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    return resolve_jobs(n_jobs)


def parallel_map(func: Callable[[Any], Any], items: Sequence[Any], n_jobs: int | None = -1) -> list[Any]:
    """``[func(item) for item in items]``, in parallel; order preserved.

    ``func`` must be a picklable top-level function. With an active Dask client the
    items become one task each on the cluster; otherwise ``n_jobs`` local processes run
    them (``n_jobs=1`` runs them here, without a pool).
    """
    items = list(items)
    client = active_client()
    if client is not None:
        futures = client.map(func, items, pure=False)
        return client.gather(futures)
    jobs = min(resolve_jobs(n_jobs), len(items))
    if jobs <= 1:
        return [func(item) for item in items]
    from joblib import Parallel, delayed, parallel_config

    with _using_local_pool(), parallel_config(**_loky_config()):
        return Parallel(n_jobs=jobs)(delayed(func)(item) for item in items)


def parallel_as_completed(
    func: Callable[[Any], Any],
    items: Sequence[Any],
    on_done: Callable[[Any, Any, BaseException | None], None],
    n_jobs: int | None = -1,
    *,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    cleanup: Callable[[], None] | None = None,
) -> None:
    """Run ``func(item)`` for every item and call ``on_done(item, result, error)`` here, in
    the calling thread, as each one finishes (in the order they finish).

    The items run where :func:`parallel_map` runs them: one task each on the active Dask
    cluster; else in ``n_jobs`` local worker processes started for this call and ended
    with it; else (one worker is enough) here, one after the other.

    ``error`` is what ended the item in a worker: the exception ``func`` raised there, or
    the death of its process (``BrokenProcessPool``, e.g. a worker killed by the system);
    ``result`` is then None. Run here, an exception of ``func`` propagates as from a loop.

    The call stops at once when ``on_done`` raises or the caller is interrupted (Ctrl-C, or
    a SIGTERM handler that raises): the items not started are dropped, the local worker
    processes are killed together with the processes they started, and the exception
    propagates. Results already handed to ``on_done`` stay handled.

    initializer, initargs : ``initializer(*initargs)`` runs once in each local worker
        process before its first item (e.g. to start a process the items reuse).
    cleanup : what workers that outlive the call must undo: run on every Dask worker once
        the items are done (errors ignored), and in a local worker that ends because this
        process is gone (see :func:`die_with_parent`). Never run here.

    ``func``, ``initializer`` and ``cleanup`` must be picklable top-level functions (or
    ``functools.partial`` of them). Local workers end with this process even after
    ``kill -9``: iterate in one thread, which is the one that started the workers.
    """
    items = list(items)
    client = active_client()
    if client is not None:
        _as_completed_on_cluster(client, func, items, on_done, cleanup)
        return
    jobs = min(resolve_jobs(n_jobs), len(items))
    if jobs <= 1:
        for item in items:
            on_done(item, func(item), None)
        return
    _as_completed_in_workers(func, items, on_done, jobs, cleanup, initializer, tuple(initargs))


def _as_completed_on_cluster(client, func, items, on_done, cleanup) -> None:
    from distributed import as_completed

    name = getattr(func, "__name__", None) or getattr(getattr(func, "func", None), "__name__", "task")
    try:
        futures = {
            client.submit(func, item, pure=False, key=f"kamtools-{name}-{uuid.uuid4().hex}"): item for item in items
        }
        for future in as_completed(list(futures)):
            try:
                result, error = future.result(), None
            except Exception as exc:  # noqa: BLE001 - the item failed, the run goes on
                result, error = None, exc
            on_done(futures[future], result, error)
    finally:
        if cleanup is not None:
            try:  # do not leave work behind on a shared cluster
                client.run(cleanup)
            except Exception:  # noqa: BLE001 - it also ends with its worker
                pass


def _pool_worker_init(parent_pid: int, setup: bytes) -> None:
    """First thing in a worker of :func:`parallel_as_completed`: end with the caller, then prepare.

    The pool lives inside one call of the thread that started it, so the parent-death signal
    can be SIGKILL (``hard=True``). ``setup`` (the pickled cleanup, initializer and its
    arguments) is unpickled only once the worker is armed: unpickling imports their modules,
    which takes seconds, and a worker must not outlive a parent killed meanwhile.
    """
    armed: dict[str, Callable[[], None] | None] = {"cleanup": None}

    def cleanup() -> None:
        if armed["cleanup"] is not None:
            armed["cleanup"]()

    die_with_parent(parent_pid, hard=True, cleanup=cleanup)
    armed["cleanup"], initializer, initargs = pickle.loads(setup)
    if initializer is not None:
        initializer(*initargs)


def _as_completed_in_workers(func, items, on_done, workers: int, cleanup, initializer, initargs: tuple) -> None:
    from concurrent.futures import as_completed

    from joblib.externals.loky import ProcessPoolExecutor

    setup = pickle.dumps((cleanup, initializer, initargs))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_pool_worker_init, initargs=(os.getpid(), setup))
    try:
        futures = {pool.submit(func, item): item for item in items}
        for future in as_completed(futures):
            error = future.exception()
            on_done(futures[future], None if error is not None else future.result(), error)
    except BaseException:
        # stopped: drop the queued items and kill the running ones now
        pool.shutdown(wait=True, kill_workers=True)
        raise
    pool.shutdown(wait=True)


# ---- worker processes end with the process that started them ----------------------------------

PR_SET_PDEATHSIG = 1  # prctl option (Linux): a signal for this process when its parent thread ends
PARENT_WATCH_SECONDS = 0.5


def _set_parent_death_signal(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when the thread that started it ends."""
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int, *, hard: bool = False, cleanup: Callable[[], None] | None = None) -> None:
    """Call in a child process: end it as soon as ``parent_pid`` (its parent) is gone.

    A worker must not outlive a parent killed with ``kill -9``. Two mechanisms:

    * Linux's parent-death signal (``prctl(PR_SET_PDEATHSIG)``). It fires when the parent
      *thread* that started the child ends, not only the parent process. ``hard=True``
      asks for SIGKILL: right when the pool's whole life is inside the call of the thread
      that started it (the pool of :func:`parallel_as_completed`). Pools that outlive that
      thread (loky's reusable workers may be started by any thread) use ``hard=False``: the
      signal is SIGUSR2 and its handler ends the process only when the parent process is
      really gone.
    * a watchdog thread that checks every :data:`PARENT_WATCH_SECONDS` whether the parent
      changed (on every platform, and when the signal cannot be delivered to Python code).

    ``cleanup`` runs before a soft exit (e.g. stop this worker's kernels); it is skipped
    by SIGKILL, so anything it would clean must also clean itself up (kernels watch
    their parent too).
    """
    import signal

    def leave() -> None:
        try:
            if cleanup is not None:
                cleanup()
        finally:
            os._exit(1)

    if hard:
        _set_parent_death_signal(signal.SIGKILL)
    elif hasattr(signal, "SIGUSR2") and threading.current_thread() is threading.main_thread():

        def on_signal(signum, frame) -> None:
            if os.getppid() != parent_pid:
                leave()

        signal.signal(signal.SIGUSR2, on_signal)
        _set_parent_death_signal(signal.SIGUSR2)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        leave()

    def watch() -> None:
        while True:
            time.sleep(PARENT_WATCH_SECONDS)
            if os.getppid() != parent_pid:
                leave()

    threading.Thread(target=watch, name="kamtools-parent-watch", daemon=True).start()


def _loky_worker_init(parent_pid: int) -> None:
    die_with_parent(parent_pid, hard=False)


def _loky_config() -> dict:
    """joblib configuration of the local worker processes: loky, ending with this process.

    :func:`parallel_map` and :func:`joblib_backend` pass the same arguments, so that loky
    keeps reusing one set of workers instead of starting new ones.
    """
    return {"backend": "loky", "initializer": _loky_worker_init, "initargs": (os.getpid(),)}


_POOL_LOCK = threading.Lock()
_POOL_USERS = 0  # calls currently running work in the local worker processes


@contextmanager
def _using_local_pool() -> Iterator[None]:
    global _POOL_USERS
    with _POOL_LOCK:
        _POOL_USERS += 1
    try:
        yield
    finally:
        with _POOL_LOCK:
            _POOL_USERS -= 1


def local_pool_busy() -> bool:
    """True while another call (e.g. a stage running in a background thread) keeps the
    local worker processes busy; new work then does better in its own process than queued."""
    return _POOL_USERS > 0


@contextmanager
def joblib_backend(n_jobs: int | None = -1) -> Iterator[int]:
    """Route ``joblib.Parallel`` calls inside the block (e.g. scikit-learn's ``n_jobs``)
    to where :func:`parallel_map` runs: the active Dask cluster, else local loky processes.

    Yields the number of workers to pass as ``n_jobs``: 1 (run here) while the local
    workers are busy with another thread's :func:`parallel_map` (see :func:`local_pool_busy`).
    """
    from joblib import parallel_config

    if active_client() is not None:
        with parallel_config(backend="dask"):
            yield n_workers(n_jobs)
    elif local_pool_busy():  # the workers are busy with another stage: queued work would only wait
        yield 1
    else:
        with parallel_config(**_loky_config()), _using_local_pool():
            yield resolve_jobs(n_jobs)


def _table_path(source: Path, table: str) -> Path | None:
    """``source/<table>.parquet`` or a folder ``source/<table>/`` of Parquet parts, or None."""
    for candidate in (source / f"{table}.parquet", source / table):
        if candidate.exists():
            return candidate
    return None


def monthly_revenue_from_parquet(
    source: str | os.PathLike,
    by: str = "account",
    value: str = "net_revenue",
    as_of: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Monthly totals per account (or account and category) straight from Parquet files.

    For order-line tables too large for one process: Dask (``dask.dataframe.read_parquet``)
    reads the orders in partitions and reduces them to one row per series and month, so
    only that small result (accounts x months) is ever held in memory here. Inside a
    :func:`dask_scheduler` block (or with any default Dask client) the reading and summing
    run on the cluster's workers; otherwise on local threads.

    Parameters
    ----------
    source : a folder holding ``orders.parquet`` (or ``orders/``, a folder of Parquet
        parts) with kamtools' canonical column names, plus ``products.parquet`` for
        ``by="account_category"`` and, when ``as_of`` is given, ``accounts.parquet``. The
        files are not validated here: run ``kamtools validate`` on them first.
    by : ``"account"`` or ``"account_category"``, as in :meth:`Portfolio.monthly`.
    value : ``net_revenue``, ``cost``, ``margin`` or ``quantity``.
    as_of : analysis date; default the last order date. Orders after it are dropped, and
        so are accounts that became customers after it (as :meth:`Portfolio.truncate`).

    Returns
    -------
    The same frame as ``load_portfolio(source, as_of=as_of).monthly(by, value)``: long
    format ``unique_id, ds, y`` plus ``account_id`` (and ``category``), each series
    zero-filled from its first month with an order to the last complete month before
    ``as_of``. Sums are added up partition by partition, so they can differ from the
    in-memory result in the last floating-point digits.

    Example
    -------
    >>> monthly = monthly_revenue_from_parquet("data/erp", by="account")  # doctest: +SKIP
    >>> Forecaster(horizon=12).fit(monthly[["unique_id", "ds", "y"]])  # doctest: +SKIP
    """
    with warnings.catch_warnings():  # dask's Parquet reader uses a pandas keyword that pandas 3.1 deprecates
        warnings.filterwarnings("ignore", message="The inplace keyword", category=Warning)
        return _monthly_from_parquet(Path(source), by, value, as_of)


def _monthly_from_parquet(folder: Path, by: str, value: str, as_of: str | pd.Timestamp | None) -> pd.DataFrame:
    dd = import_optional("dask.dataframe", "dask", "reading order lines with dask.dataframe")

    from kamtools.data.portfolio import last_complete_month, month_start, monthly_from_totals

    if by not in ("account", "account_category"):
        raise ValueError("by must be 'account' or 'account_category'")
    if value not in ("net_revenue", "cost", "margin", "quantity"):
        raise ValueError("value must be 'net_revenue', 'cost', 'margin' or 'quantity'")
    orders_path = _table_path(folder, "orders")
    if orders_path is None:
        raise FileNotFoundError(f"{folder} has no orders.parquet (or orders/ folder of Parquet files)")
    measures = ["net_revenue", "cost"] if value == "margin" else [value]
    columns = ["account_id", "order_date", *measures] + (["product_id"] if by == "account_category" else [])
    lines = dd.read_parquet(str(orders_path))  # lazy: only the schema is read here
    missing = [c for c in columns if c not in lines.columns]
    if missing:
        raise ValueError(
            f"{orders_path} lacks the column(s) {missing}; write the orders with kamtools' canonical column names"
        )
    lines = lines[columns]

    if as_of is None:
        as_of = pd.Timestamp(lines["order_date"].max().compute()).normalize()
        dropped_ids: list[str] = []
    else:
        as_of = pd.Timestamp(as_of).normalize()
        accounts_path = _table_path(folder, "accounts")
        dropped_ids = []
        if accounts_path is not None:
            accounts = pd.read_parquet(accounts_path, columns=["account_id", "customer_since"])
            later = pd.to_datetime(accounts["customer_since"]) > as_of
            dropped_ids = accounts.loc[later, "account_id"].astype(str).tolist()
    end = last_complete_month(as_of)
    keys = ["account_id"] if by == "account" else ["account_id", "category"]

    lines = lines[(lines["order_date"] <= as_of) & (lines["order_date"] < end + pd.DateOffset(months=1))]
    if dropped_ids:
        lines = lines[~lines["account_id"].isin(dropped_ids)]
    if value == "margin":
        lines = lines.assign(margin=lines["net_revenue"] - lines["cost"])
    if by == "account_category":
        products_path = _table_path(folder, "products")
        if products_path is None:
            raise FileNotFoundError(f"{folder} has no products.parquet, needed for by='account_category'")
        products = pd.read_parquet(products_path, columns=["product_id", "category"]).drop_duplicates("product_id")
        lines = lines.merge(products, on="product_id", how="left")
    lines = lines.assign(ds=lines["order_date"].map_partitions(month_start, meta=("ds", "datetime64[us]")))
    grouped = lines.groupby(keys + ["ds"], observed=True)[value].sum().compute()
    grouped = grouped.reset_index()
    for key in keys:  # Dask reads text as pyarrow strings with pd.NA; the Portfolio uses pandas' "str"
        grouped[key] = grouped[key].astype("str")
    grouped = grouped.sort_values(keys + ["ds"], kind="stable").reset_index(drop=True)
    return monthly_from_totals(grouped, by, end, value)
