"""Project hygiene: notebooks clean, CLI discoverable (dependencies: tests/test_packaging.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "kamtools" / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs_and_with_parameters_cell(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    with_output = [i for i, c in enumerate(code) if c.get("outputs") or c.get("execution_count")]
    assert not with_output, f"{path.name}: code cells {with_output} carry outputs; clear them before committing"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one code cell tagged 'parameters'"


def test_there_are_notebooks():
    assert NOTEBOOKS, "kamtools/notebooks/ holds no notebook"


def test_cli_help_lists_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "kamtools", "--help"], capture_output=True, text=True, check=True
    ).stdout
    from kamtools.cli import COMMAND_MODULES

    for mod in COMMAND_MODULES:
        assert mod.replace("_", "-") in out, f"`kamtools --help` does not list {mod}"


def test_each_command_help_has_an_example():
    from kamtools.cli import COMMAND_MODULES

    for mod in COMMAND_MODULES:
        cmd = mod.replace("_", "-")
        out = subprocess.run(
            [sys.executable, "-m", "kamtools", cmd, "--help"], capture_output=True, text=True, check=True
        ).stdout
        assert "example:" in out and f"kamtools {cmd}" in out, f"`kamtools {cmd} --help` shows no example"
