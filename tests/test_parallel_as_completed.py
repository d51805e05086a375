"""kamtools.parallel.parallel_as_completed: results handed over as they finish, failures per
item, and a stop that kills the local workers at once."""

from __future__ import annotations

import functools
import os
import signal
import time
from pathlib import Path

import pytest

from kamtools.parallel import parallel_as_completed

_PREPARED: list[str] = []


def _prepare(tag: str) -> None:
    _PREPARED.append(tag)


def _work(item: int) -> tuple[int, int, list[str]]:
    if item == 3:
        raise ValueError(f"planted failure for item {item}")
    return item * 10, os.getpid(), list(_PREPARED)


def _die(item: int) -> int:
    if item == 0:
        os.kill(os.getpid(), signal.SIGKILL)  # as the system's out-of-memory killer would
    return item


def _slow(folder: str, item: int) -> int:
    if item == 0:
        return item
    Path(folder, f"started-{item}-{os.getpid()}").touch()
    time.sleep(60)
    return item


def _collect(done: list) -> callable:
    return lambda item, result, error: done.append((item, result, error))


def test_local_workers_hand_over_every_item_with_its_own_failure():
    done: list = []
    parallel_as_completed(_work, range(6), _collect(done), n_jobs=2, initializer=_prepare, initargs=("ready",))
    assert sorted(item for item, _, _ in done) == list(range(6))
    by_item = {item: (result, error) for item, result, error in done}
    result, error = by_item[3]
    assert result is None and isinstance(error, ValueError) and "planted failure for item 3" in str(error)
    for item in (0, 1, 2, 4, 5):
        value, pid, prepared = by_item[item][0]
        assert value == item * 10 and by_item[item][1] is None
        assert pid != os.getpid()  # ran in a worker process ...
        assert prepared == ["ready"]  # ... prepared once by the initializer


def test_one_worker_runs_the_items_here_in_order():
    done: list = []
    parallel_as_completed(_work, [0, 1, 2], _collect(done), n_jobs=1, initializer=_prepare, initargs=("x",))
    assert [(item, result[0], result[1], error) for item, result, error in done] == [
        (i, i * 10, os.getpid(), None) for i in range(3)
    ]
    with pytest.raises(ValueError, match="planted failure"):  # here, as from a loop
        parallel_as_completed(_work, [3], _collect([]), n_jobs=1)
    parallel_as_completed(_work, [], _collect(done), n_jobs=2)  # nothing to do: no pool either


def test_a_killed_worker_fails_its_items_not_the_call():
    done: list = []
    parallel_as_completed(_die, range(4), _collect(done), n_jobs=2)
    assert sorted(item for item, _, _ in done) == list(range(4))
    failed = {item: error for item, _, error in done if error is not None}
    assert 0 in failed
    assert all("terminated" in str(error).lower() or "broken" in str(error).lower() for error in failed.values())


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_stop_kills_the_running_workers_and_drops_the_rest(tmp_path):
    class Stop(Exception):
        pass

    def on_done(item, result, error):
        deadline = time.monotonic() + 60  # the other worker is busy with a long item by now
        while not list(tmp_path.glob("started-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        raise Stop

    t0 = time.monotonic()
    with pytest.raises(Stop):
        parallel_as_completed(functools.partial(_slow, str(tmp_path)), range(6), on_done, n_jobs=2)
    assert time.monotonic() - t0 < 45, "the call waited for the long items"
    started = list(tmp_path.glob("started-*"))
    assert 1 <= len(started) <= 2  # the items not started were dropped
    pids = {int(p.name.split("-")[2]) for p in started}
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids), "a worker outlived the stop"


_CLEANED: list[str] = []


def _clean() -> None:
    _CLEANED.append("done")


def test_on_a_dask_cluster_each_item_is_a_task_and_cleanup_runs_on_the_workers():
    distributed = pytest.importorskip("distributed")
    from kamtools.parallel import dask_scheduler

    done: list = []
    _CLEANED.clear()
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        with dask_scheduler(cluster):
            parallel_as_completed(_work, range(5), _collect(done), n_jobs=1, cleanup=_clean)
    assert sorted(item for item, _, _ in done) == list(range(5))
    assert isinstance(dict((i, e) for i, _, e in done)[3], ValueError)
    assert _CLEANED == ["done"]  # the in-process worker ran it once
