"""``kill -9`` at several points of ``kamtools analyze`` and ``kamtools reports``.

After each kill: the previous output is intact, no process of the killed run is left
(worker processes, warm kernels, resource trackers), and the next run succeeds and
leaves no temporary folder or file behind. The kill points are fractions of a first,
complete run's duration, so they fall inside the run on a fast or a loaded machine.

Every process started by a run carries a token in its environment (inherited by the
workers and kernels), which is how leftovers are found, whatever their parent now is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

KAMTOOLS = Path(sys.executable).parent / "kamtools"
TOKEN_VAR = "KAMTOOLS_FAULT_TEST_RUN"
RUN_TIMEOUT = 240  # seconds any one complete run may take on a loaded machine


def processes_with(token: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose environment holds ``token``."""
    needle = f"{TOKEN_VAR}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if state != "Z":
            found.append((int(entry.name), cmd[:160]))
    return found


def assert_no_leftovers(token: str, within: float = 15.0) -> None:
    """Every process of the killed run ends within ``within`` seconds (else: fail, after
    killing them so that the failing test leaves nothing behind either)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = processes_with(token)
        if not left:
            return
        time.sleep(0.25)
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    pytest.fail(f"processes of the killed run still alive after {within:.0f} s: {left}")


def start(args: list, workdir: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    token = uuid.uuid4().hex
    log = open(workdir / f"run-{token[:8]}.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [str(KAMTOOLS), *map(str, args)],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {}), TOKEN_VAR: token},
    )
    log.close()
    return proc, token


def run_to_end(args: list, workdir: Path, env: dict | None = None) -> float:
    t0 = time.monotonic()
    proc, token = start(args, workdir, env)
    code = proc.wait(timeout=RUN_TIMEOUT)
    log = (workdir / f"run-{token[:8]}.log").read_text(errors="replace")
    assert code == 0, log[-3000:]
    assert_no_leftovers(token, within=10)
    return time.monotonic() - t0


def kill_at(args: list, workdir: Path, seconds: float, env: dict | None = None) -> tuple[bool, int, str, list[int]]:
    """Start a run and ``kill -9`` it after ``seconds``: (was it still running, its pid, its
    token, the pids of all its processes just before the kill)."""
    proc, token = start(args, workdir, env)
    try:
        proc.wait(timeout=seconds)
        return False, proc.pid, token, []
    except subprocess.TimeoutExpired:
        tree = [pid for pid, _ in processes_with(token)]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return True, proc.pid, token, tree


def temporaries(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if ".tmp-" in p.name or ".old-" in p.name)


def html_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.html"))}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    from kamtools.cli import main

    root = tmp_path_factory.mktemp("kill")
    # stand-alone accounts only: the kill points are about the bundle and report machinery (the group
    # reports go through the same batch and file writes, and tests/test_group_reports.py covers them)
    assert main(["make-demo-data", str(root / "data"), "--accounts", "30", "--years", "3", "--groups", "0"]) == 0
    return root


def assert_complete_bundle(bundle: Path, when: str) -> None:
    """A bundle a killed run left: every table its manifest lists is there, for every account."""
    written = json.loads((bundle / "manifest.json").read_text())
    assert written["n_accounts"] == 30, when
    missing = [t for t in written["tables"] if not any(bundle.glob(f"{t}.*"))]
    assert not missing, f"{when}: the manifest lists tables the bundle lacks: {missing}"


def test_kill_9_during_analyze(workdir):
    args = ["analyze", "data", "--out", "bundle", "--quiet"]
    full = run_to_end(args, workdir)
    manifest = (workdir / "bundle" / "manifest.json").read_bytes()
    left_temp = []
    for fraction in (0.15, 0.45, 0.8):
        killed, pid, token, _ = kill_at(args, workdir, max(1.0, fraction * full))
        assert_no_leftovers(token)
        if not killed:  # the run finished first: its own complete bundle replaced the previous one
            manifest = (workdir / "bundle" / "manifest.json").read_bytes()
            continue
        now = (workdir / "bundle" / "manifest.json").read_bytes()
        if now != manifest:  # killed after its complete bundle replaced the previous one (while it shut down)
            assert_complete_bundle(workdir / "bundle", f"killed at {fraction:.0%}")
            manifest = now
        left_temp += [p for p in temporaries(workdir) if f".tmp-{pid}-" in p]
    assert left_temp, "no kill point fell inside the bundle write (the machine was faster than the kill points)"

    run_to_end(args, workdir)
    assert temporaries(workdir) == []
    fresh = json.loads((workdir / "bundle" / "manifest.json").read_text())
    assert fresh["n_accounts"] == 30 and "forecast" in fresh["tables"]


@pytest.fixture(scope="module")
def sleepy_notebooks(tmp_path_factory) -> Path:
    """Report notebooks that take a second each (a run then lasts long enough to be killed
    while its workers and warm kernels are busy)."""
    folder = tmp_path_factory.mktemp("notebooks")
    for name, params in (
        ("account_report.ipynb", "account_id = None\nbundle = None"),
        ("portfolio_overview.ipynb", "bundle = None"),
    ):
        nb = nbformat.v4.new_notebook()
        first = nbformat.v4.new_code_cell(params)
        first.metadata["tags"] = ["parameters"]
        nb.cells = [first, nbformat.v4.new_code_cell("import time\ntime.sleep(1)\nprint('report', bundle)")]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / name)
    return folder


def test_kill_9_during_reports(workdir, sleepy_notebooks):
    if not (workdir / "bundle" / "manifest.json").is_file():
        run_to_end(["analyze", "data", "--out", "bundle", "--quiet"], workdir)
    env = {"KAMTOOLS_NOTEBOOKS": str(sleepy_notebooks)}
    args = ["reports", "bundle", "--out", "reports", "--accounts", "A0001", "A0002", "A0003", "--workers", "2"]
    args += ["--quiet"]
    full = run_to_end(args, workdir, env)
    out = workdir / "reports"
    pages = html_files(out)
    assert len(pages) == 5  # index, overview, three accounts
    killed_pids: list[int] = []
    for fraction in (0.3, 0.7):
        killed, pid, token, tree = kill_at([*args, "--force"], workdir, max(1.0, fraction * full), env)
        assert_no_leftovers(token)
        assert html_files(out) == pages, f"killed at {fraction:.0%}"  # whole files only (pages are deterministic)
        for line in (out / "run.log").read_text().splitlines():
            json.loads(line)  # no half-written line
        killed_pids += tree
    assert killed_pids, "the reports run ended before every kill point"

    run_to_end(args, workdir, env)
    assert temporaries(out) == []
    assert html_files(out).keys() == pages.keys()
    # the kernel socket folders of the killed runs' processes are gone too
    sockets = [p.name for p in Path(tempfile.gettempdir()).glob("kamtools-kernel-*")]
    assert [name for name in sockets if int(name.split("-")[2]) in killed_pids] == []


def test_loky_workers_started_by_a_thread_that_ended_stay_in_service():
    """The parent-death signal fires when the *thread* that started a worker ends; the
    analysis starts workers from its background forecast thread, so a worker must then
    check that its parent process is really gone before it ends."""
    import threading

    from kamtools.parallel import parallel_map

    first: list[int] = []
    thread = threading.Thread(target=lambda: first.extend(parallel_map(lambda _: os.getpid(), range(4), n_jobs=2)))
    thread.start()
    thread.join(timeout=RUN_TIMEOUT)
    time.sleep(1.0)  # the signal for the ended thread has arrived by now
    assert os.getpid() not in first
    # the workers that ran the thread's tasks are still running (not ended, not zombies);
    # which of the two pool workers picks up a task is up to loky, so compare processes, not tasks
    for pid in set(first):
        status = Path(f"/proc/{pid}/status")
        assert status.exists(), f"worker {pid} ended with the thread that started it"
        state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
        assert "Z" not in state.split()[1], f"worker {pid} ended with the thread that started it: {state}"
    again = parallel_map(lambda _: os.getpid(), range(4), n_jobs=2)
    assert os.getpid() not in again and len(again) == 4  # the pool still serves work
