"""One report job at a time, and a batch of them through kamtools.parallel, on tiny notebooks.

The notebooks here hold a parameters cell and one cell of their own, so a kernel start is
the only cost; the full report notebooks are covered by tests/test_reports.py.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from kamtools.reports.kernels import KERNEL_ENV
from kamtools.reports.render import ReportJob, render_job
from kamtools.reports.state import account_paths


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


def _kernel_vars() -> dict:
    """This process's values of the variables kamtools hands a report kernel. (Only these are compared:
    importing a kernel library may set its own, e.g. debugpy's PYDEVD_USE_FRAME_EVAL on older versions.)"""
    return {k: os.environ.get(k) for k in KERNEL_ENV}


def test_cold_mode_hands_the_kernel_its_environment_and_leaves_this_process_alone(tmp_path, monkeypatch):
    (var, value), *_ = KERNEL_ENV.items()
    monkeypatch.delenv(var, raising=False)
    before = _kernel_vars()
    notebook = tiny_notebook(tmp_path, f"import os\nprint('kernel sees', os.environ.get({var!r}))")
    result = render_job(tiny_job(tmp_path, notebook), mode="cold")
    assert result["status"] == "ok", result
    assert f"kernel sees {value}" in (tmp_path / "overview.html").read_text()
    assert _kernel_vars() == before
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


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    """A bundle with the kpis stage only (a few seconds), and report notebooks that only print their parameters."""
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio
    from kamtools.sections.group import group_ids

    root = tmp_path_factory.mktemp("tiny")
    portfolio, _ = make_portfolio(n_accounts=10, years=2, seed=1, groups=1)
    bundle = analyze(portfolio, root / "bundle", stages=["kpis"], progress=False)
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for name, params in (
        ("account_report.ipynb", "account_id = None"),
        ("group_report.ipynb", "group_id = None"),
        ("portfolio_overview.ipynb", "pass"),
    ):
        tiny_notebook(notebooks, f"{params}\nprint('params', {params.split()[0]!r}, bundle is not None)", name)
    return bundle, notebooks, group_ids(bundle.accounts)


@pytest.mark.slow
def test_a_batch_in_worker_processes_renders_skips_and_logs(tiny_bundle, tmp_path, monkeypatch):
    from kamtools.reports import render_reports
    from kamtools.reports.state import group_paths, overview_paths

    bundle, notebooks, parents = tiny_bundle
    assert parents, "the tiny bundle has a group"
    monkeypatch.setenv("KAMTOOLS_NOTEBOOKS", str(notebooks))
    before = _kernel_vars()
    wanted = ["A0002", "NOPE", *parents[:1]]
    out = tmp_path / "out"
    summary = render_reports(bundle, out, accounts=wanted, workers=2, mode="cold", progress=False)
    assert _kernel_vars() == before
    rows = {r["account"]: r for r in summary.results}
    assert rows["NOPE"] == {
        "account": "NOPE",
        "kind": "account",
        "status": "failed",
        "seconds": 0.0,
        "error": "account id not in the bundle",
    }
    assert summary.results[0]["account"] == "NOPE"  # the unknown ids come first, then what ran
    expected = {"A0002", "(portfolio overview)", *parents[:1], *(f"{g} (group report)" for g in parents[:1])}
    assert {a for a, r in rows.items() if r["status"] == "ok"} == expected
    names = bundle.accounts.set_index("account_id")["name"]
    page = account_paths(out, "A0002").html.read_text()
    assert f"<title>{html.escape(names['A0002'])}</title>" in page
    assert f"Account strategy report for account A0002, data as of {bundle.manifest['as_of']}" in page
    assert "Portfolio overview, data as of" in overview_paths(out).html.read_text()
    group_page = group_paths(out, parents[0]).html.read_text()
    assert f"{html.escape(names[parents[0]])}: global account plan" in group_page
    assert "NOPE" in (out / "index.html").read_text()
    log = [json.loads(line) for line in (out / "run.log").read_text().splitlines()]
    assert sorted(e["account"] for e in log) == sorted(rows)

    again = render_reports(bundle, out, accounts=wanted, workers=2, mode="cold", progress=False)
    assert [(r["account"], r["status"]) for r in again.results] == [("NOPE", "failed")] + [
        (label, "skipped") for label in ["(portfolio overview)", "A0002", *parents[:1]]
    ] + [(f"{g} (group report)", "skipped") for g in parents[:1]]
