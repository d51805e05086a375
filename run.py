#!/usr/bin/env python3
"""Set up kamtools in a local virtual environment and run the demo or the tests.

    python3 run.py demo            # set up, analyse the demo portfolio, render every report
    python3 run.py demo --quick    # the same on 60 accounts, 10 reports: about a minute
    python3 run.py test            # set up, lint, run the whole test suite

Needs only Python 3.11+. The environment lives in ./.venv: kamtools with every optional
part (``.[all,test]``) at the tested versions of constraints.txt. It is reinstalled only
when pyproject.toml or constraints.txt change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".kamtools-installed"
CONSTRAINTS = ROOT / "constraints.txt"


def wanted_stamp() -> str:
    """What the installed environment was made from: pyproject.toml and the constraints file."""
    h = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    h.update(CONSTRAINTS.read_bytes())
    return h.hexdigest()


def say(message: str) -> None:
    print(f"run.py: {message}", flush=True)


def quiet(*cmd: str) -> None:
    """Run ``cmd``; show its output only when it fails."""
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        raise subprocess.CalledProcessError(proc.returncode, cmd)


def sh(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older python3
        sys.exit(f"kamtools needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    want = wanted_stamp()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    t0 = time.perf_counter()
    if not (BIN / "python").exists():
        say(f"creating the virtual environment {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    n = sum(1 for line in CONSTRAINTS.read_text().splitlines() if "==" in line)
    say(
        f"installing kamtools with every optional part and {n} pinned packages (constraints.txt) into .venv; "
        "this happens once and takes 2-5 minutes depending on the network"
    )
    py = str(BIN / "python")
    quiet(py, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    quiet(py, "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), "-e", ".[all,test]")
    # the report notebooks run on the kernel named python3: this environment's Python
    quiet(py, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3")
    STAMP.write_text(want)
    say(f"set-up done in {time.perf_counter() - t0:.0f} s")


def main() -> int:
    what = sys.argv[1] if len(sys.argv) > 1 else "help"
    if what not in ("demo", "test"):
        print(__doc__)
        return 2
    try:
        setup()
        if what == "demo":
            sh(str(BIN / "kamtools"), "demo", *sys.argv[2:])
        else:
            sh(str(BIN / "ruff"), "check", ".")
            sh(str(BIN / "ruff"), "format", "--check", ".")
            sh(str(BIN / "python"), "-m", "pytest", *sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
