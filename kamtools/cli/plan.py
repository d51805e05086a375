"""``kamtools plan``: the scenario planner as a local web app (Voila), on one bundle.

Starts Voila on ``notebooks/scenario_planner.ipynb`` listening on 127.0.0.1 only, passes
the bundle to the notebook through the ``KAMTOOLS_BUNDLE`` environment variable, waits
until the server answers, prints the URL and runs until Ctrl-C (or SIGTERM), then stops
Voila and its kernels.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

NAME = "plan"
HELP = "Open the scenario planner (levers -> revenue, margin, working capital vs target) as a local web app."
EXAMPLE = "kamtools plan reports/demo/bundle --port 8866"

NOTEBOOK = "scenario_planner.ipynb"
NOTEBOOK_DIR_ENV = "KAMTOOLS_NOTEBOOKS"
BUNDLE_ENV = "KAMTOOLS_BUNDLE"
SCENARIOS_ENV = "KAMTOOLS_SCENARIOS"
HOST = "127.0.0.1"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "bundle",
        nargs="?",
        metavar="BUNDLE_DIR",
        help="analysis bundle written by `kamtools analyze` (default: the demo bundle)",
    )
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument(
        "--scenarios", metavar="DIR", help="folder to save scenarios to as JSON (default: BUNDLE_DIR/../scenarios)"
    )
    p.add_argument(
        "--notebook", metavar="PATH", help=f"planner notebook (default: the checkout's notebooks/{NOTEBOOK})"
    )
    p.add_argument("--startup-timeout", type=float, default=120, metavar="S", help="seconds to wait for Voila (120)")


def free_port(host: str = HOST) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def notebook_path(explicit: str | None = None) -> Path:
    """The planner notebook: ``explicit``, ``$KAMTOOLS_NOTEBOOKS/scenario_planner.ipynb`` or the installed one."""
    if explicit:
        return Path(explicit).resolve()
    env = os.environ.get(NOTEBOOK_DIR_ENV)
    if env:
        folder = Path(env)
    else:
        from kamtools.resources import notebooks_dir

        folder = notebooks_dir()
    return (folder / NOTEBOOK).resolve()


def voila_command(notebook: Path, port: int) -> list[str]:
    """The Voila command line: localhost only, no browser, exactly this port."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--port={port}",
        "--no-browser",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        "--show_tracebacks=True",
    ]


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float, host: str = HOST) -> bool:
    """Wait until something listens on ``host:port`` (True), the process exits or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate Voila (it shuts its kernels down), killing it after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def run(args: argparse.Namespace) -> int:
    from kamtools.bundle import Bundle, BundleError

    if args.bundle:
        try:
            bundle = Bundle.open(args.bundle)
        except BundleError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not bundle.has("scenario_price_volume"):
            print(
                f"error: the bundle at {bundle.path} has no scenario tables; re-run `kamtools analyze` "
                "with this kamtools version",
                file=sys.stderr,
            )
            return 2
    else:
        from kamtools.widgets import demo_bundle

        print("no bundle given: using the demo bundle", flush=True)
        bundle = demo_bundle()
    notebook = notebook_path(args.notebook)
    if not notebook.is_file():
        print(
            f"error: planner notebook {notebook} not found; set {NOTEBOOK_DIR_ENV} or pass --notebook", file=sys.stderr
        )
        return 2
    port = args.port or free_port()
    if not 0 < port < 65536:
        print(f"error: --port must be between 1 and 65535, got {port}", file=sys.stderr)
        return 2
    scenarios = Path(args.scenarios) if args.scenarios else bundle.path.resolve().parent / "scenarios"
    env = dict(os.environ)
    env[BUNDLE_ENV] = str(bundle.path.resolve())
    env[SCENARIOS_ENV] = str(scenarios.resolve())
    url = f"http://{HOST}:{port}/"
    proc = subprocess.Popen(voila_command(notebook, port), env=env, cwd=str(notebook.parent))

    def on_term(signum, frame):  # stop Voila too when we are asked to stop
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        if not wait_until_up(port, proc, args.startup_timeout):
            code = proc.poll()
            print(
                f"error: Voila did not start on {url}"
                + (f" (exit code {code}; is the port in use?)" if code is not None else " in time"),
                file=sys.stderr,
            )
            return 1
        print(f"scenario planner for {bundle.path} at {url}  (Ctrl-C to stop)", flush=True)
        return int(proc.wait())
    except KeyboardInterrupt:
        print("stopping the planner", file=sys.stderr, flush=True)
        return 0
    finally:
        stop(proc)
        signal.signal(signal.SIGTERM, previous)
