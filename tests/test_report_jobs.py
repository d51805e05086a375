"""One report job at a time, and a batch of them through kamtools.parallel, on tiny notebooks.

The notebooks here hold a parameters cell and one cell of their own, so a kernel start is
the only cost; the full report notebooks are covered by tests/test_reports.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from kamtools.reports.kernels import KERNEL_ENV
from kamtools.reports.render import ReportJob, render_job


def tiny_notebook(folder: Path, code: str, name: str = "tiny.ipynb") -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("bundle = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def tiny_job(folder: Path, notebook: Path, key: str = "") -> ReportJob:
    stem = key or "overview"
    return ReportJob(
        kind="account" if key else "portfolio",
        key=key,
        title=f"Tiny {stem}",
        notebook=str(notebook),
        parameters={"bundle": str(folder)},
        html_path=str(folder / f"{stem}.html"),
        pdf_path=None,
        state_path=str(folder / f"{stem}.json"),
        freshness={"notebook": "tiny"},
    )


def test_cold_mode_hands_the_kernel_its_environment_and_leaves_this_process_alone(tmp_path, monkeypatch):
    (var, value), *_ = KERNEL_ENV.items()
    monkeypatch.delenv(var, raising=False)
    before = dict(os.environ)
    notebook = tiny_notebook(tmp_path, f"import os\nprint('kernel sees', os.environ.get({var!r}))")
    result = render_job(tiny_job(tmp_path, notebook), mode="cold")
    assert result["status"] == "ok", result
    assert f"kernel sees {value}" in (tmp_path / "overview.html").read_text()
    assert dict(os.environ) == before
    assert json.loads((tmp_path / "overview.json").read_text())["status"] == "ok"


@pytest.mark.slow
def test_warm_and_cold_kernels_hash_strings_alike(tmp_path):
    from kamtools.reports.kernels import shutdown_all

    notebook = tiny_notebook(tmp_path, "print('hash', hash('kamtools'))")
    lines = {}
    for mode in ("warm", "cold"):
        folder = tmp_path / mode
        folder.mkdir()
        try:
            result = render_job(tiny_job(folder, notebook), mode=mode)
        finally:
            shutdown_all()
        assert result["status"] == "ok", result
        lines[mode] = re.search(r"hash -?\d+", (folder / "overview.html").read_text()).group()
    assert lines["warm"] == lines["cold"]
