#!/usr/bin/env python3
"""Set up kamtools in a local virtual environment and run the demo or the tests.

    python3 run.py demo    # set up, analyse the demo portfolio, render every report
    python3 run.py test    # set up, lint, run the whole test suite

Needs only Python 3.11+. The environment lives in ./.venv and is reinstalled only when
pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".kamtools-installed"


def sh(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older python3
        sys.exit(f"kamtools needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    sh(str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", ".[test]")
    sh(str(BIN / "python"), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3")
    STAMP.write_text(want)


def main() -> int:
    what = sys.argv[1] if len(sys.argv) > 1 else "help"
    if what not in ("demo", "test"):
        print(__doc__)
        return 2
    setup()
    try:
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
