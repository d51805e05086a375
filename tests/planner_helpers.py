"""A running `kamtools plan` for the planner tests (security and browser): started as a user
starts it, read until it prints its URL (with its access token), stopped with its kernels."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import pytest

from kamtools.cli import plan as plan_cli

STARTUP_TIMEOUT = 180  # seconds for Voila to answer on a loaded machine


@dataclass
class Planner:
    proc: subprocess.Popen
    port: int
    url: str  # exactly as printed
    log: list[str] = field(default_factory=list)

    @property
    def token(self) -> str:
        m = re.search(r"[?&]token=([^&\s]+)", self.url)
        return m.group(1) if m else ""

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        time.sleep(0.3)  # let the pump thread catch up with the last lines
        return "".join(self.log)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # kamtools plan stops Voila, which shuts its kernels down
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def start_planner(*args: str, env: dict | None = None) -> Planner:
    """Run ``kamtools plan ARGS --port P`` until it prints its URL (stdout and stderr are collected)."""
    port = plan_cli.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kamtools", "plan", *args, "--port", str(port)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: Voila and its kernels can be stopped together
    )
    lines: queue.Queue[str] = queue.Queue()
    log: list[str] = []

    def pump():
        for line in proc.stdout:
            log.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    planner = Planner(proc, port, "", log)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while True:
            if time.monotonic() > deadline:
                pytest.fail(f"kamtools plan did not print its URL in {STARTUP_TIMEOUT} s:\n" + "".join(log[-40:]))
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if proc.poll() is not None:
                    pytest.fail(f"kamtools plan exited with {proc.returncode}:\n" + "".join(log[-40:]))
                continue
            m = re.search(r"scenario planner for .* at (http://\S+)", line)
            if m:
                planner.url = m.group(1)
                return planner
    except BaseException:
        planner.stop()
        raise
