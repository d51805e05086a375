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
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

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
    from distributed import Client

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
    from joblib import Parallel, delayed

    return Parallel(n_jobs=jobs, backend="loky")(delayed(func)(item) for item in items)
