"""Project hygiene: dependencies in step, notebooks clean, CLI discoverable."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda names that differ from the PyPI names
CONDA_TO_PYPI = {"distributed": "dask[distributed]", "dask": "dask[distributed]"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~ ]", req.strip(), maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pypi = {_name(d): d.replace(" ", "") for d in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python", "pip")):
            name = _name(dep)
            conda[CONDA_TO_PYPI.get(name, name)] = dep.replace(" ", "")
    assert set(pypi) == set(conda), (
        f"only in pyproject: {set(pypi) - set(conda)}; only in environment.yml: {set(conda) - set(pypi)}"
    )
    for name, spec in pypi.items():
        lower = spec[len(name) :]
        if name != "dask[distributed]":
            assert conda[name][len(name) :] == lower, f"{name}: pyproject says {spec}, environment.yml {conda[name]}"
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e .[test]" in pip_section


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
