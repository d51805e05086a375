"""The report commands as a user runs them: analyze -> reports, demo, papermill by hand, PDF, Dask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import (
    CODE_ID,
    NOTEBOOKS,
    evil_bundle,
    make_notebook,
    plain_data_dir,
    report_html,
    section_text,
    tmp_dir,
    warm_run,
)

from kamtools.reports import account_paths, render_reports
from kamtools.sections import shown_account_sections

BIN = Path(sys.executable).parent


def kamtools(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "kamtools"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_analyze_then_reports_end_to_end_with_missing_tables():
    data = plain_data_dir()  # no opportunities, no invoices
    work = tmp_dir("cli-e2e")
    done = kamtools("analyze", str(data), "--out", str(work / "bundle"), "--quiet")
    assert done.returncode == 0, done.stderr
    out = work / "out"
    done = kamtools("reports", str(work / "bundle"), "--out", str(out), "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "11 rendered" in done.stdout and f"index: {out / 'index.html'}" in done.stdout
    ids = [f"A{i:04d}" for i in range(1, 11)]
    index = (out / "index.html").read_text()
    for account_id in ids:
        page = report_html(out, account_id)
        for s in shown_account_sections():
            assert f'id="sec-{s.key}"' in page
        assert f'href="{account_paths(out, account_id).href}"' in index
    # sections whose tables are missing say why instead of disappearing
    kpis = section_text(report_html(out, "A0001"), "kpis")
    assert "kam-na" in kpis and ("opportunit" in kpis.lower() or "invoice" in kpis.lower())
    log = [json.loads(line) for line in (out / "run.log").read_text().splitlines()]
    assert {e["status"] for e in log} == {"ok"} and len(log) == 11

    again = kamtools("reports", str(work / "bundle"), "--out", str(out), "--quiet")
    assert again.returncode == 0 and "0 rendered, 11 up to date" in again.stdout
    forced = kamtools(
        "reports",
        str(work / "bundle"),
        "--out",
        str(out),
        "--quiet",
        "--force",
        "--accounts",
        "A0002",
        "--workers",
        "1",
    )
    assert forced.returncode == 0 and "2 rendered" in forced.stdout  # the account and the overview


@pytest.mark.slow
def test_reports_exit_code_and_index_when_an_account_fails():
    nb = make_notebook('if account_id == "A0006":\n    raise RuntimeError("planted CLI failure")')
    out = tmp_dir("cli-fail")
    done = kamtools(
        "reports",
        str(evil_bundle()),
        "--out",
        str(out),
        "--accounts",
        "A0005",
        "A0006",
        "--workers",
        "2",
        "--quiet",
        "--no-overview",
        env={"KAMTOOLS_NOTEBOOKS": str(nb.parent)},
    )
    assert done.returncode == 1
    assert "failed: A0006: RuntimeError: planted CLI failure" in done.stdout
    assert account_paths(out, "A0005").html.is_file() and not account_paths(out, "A0006").html.exists()
    assert "planted CLI failure" in (out / "index.html").read_text()


def test_reports_rejects_a_missing_bundle(tmp_path):
    done = kamtools("reports", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "kamtools analyze" in done.stderr


def test_notebook_runs_by_hand_with_papermill():
    out = tmp_dir("by-hand") / "out.ipynb"
    done = subprocess.run(
        [
            str(BIN / "papermill"),
            str(NOTEBOOKS / "account_report.ipynb"),
            str(out),
            "-p",
            "account_id",
            "A0005",
            "-p",
            "bundle",
            str(evil_bundle()),
            "--no-progress-bar",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    nb = json.loads(out.read_text())
    html_out = "".join(
        "".join(o.get("data", {}).get("text/html", "")) for c in nb["cells"] for o in c.get("outputs", [])
    )
    for s in shown_account_sections():
        assert f'id="sec-{s.key}"' in html_out
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))


@pytest.mark.slow
def test_pdf_export_with_system_chromium(chromium):
    out = tmp_dir("pdf")
    summary = render_reports(
        evil_bundle(), out, accounts=["A0003"], formats=["html", "pdf"], workers=1, progress=False, overview=False
    )
    assert summary.exit_code == 0, summary.problems
    pdf = account_paths(out, "A0003").pdf
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5_000
    assert f'href="{account_paths(out, "A0003").href[:-5]}.pdf"' in (out / "index.html").read_text()
    # PDFs count for freshness: asking for them again is a no-op, html-only is a no-op too
    again = render_reports(
        evil_bundle(), out, accounts=["A0003"], formats=["html", "pdf"], workers=1, progress=False, overview=False
    )
    assert [r["status"] for r in again.results] == ["skipped"]


@pytest.mark.slow
def test_dask_cluster_gives_the_same_reports():
    from distributed import LocalCluster

    _, local_out = warm_run()
    out = tmp_dir("dask")
    accounts = [CODE_ID, "A0003", "A0007"]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = render_reports(
            evil_bundle(), out, accounts=accounts, scheduler=cluster.scheduler_address, progress=False, overview=False
        )
    assert summary.exit_code == 0, summary.problems
    assert sorted(r["account"] for r in summary.results) == sorted(accounts)
    for account_id in accounts:
        assert report_html(out, account_id) == report_html(local_out, account_id), account_id


@pytest.mark.slow
def test_demo_command_runs_the_whole_job():
    out = tmp_dir("demo")
    done = kamtools("demo", "--out", str(out), "--accounts", "12", "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"Open {out / 'index.html'}" in done.stdout
    # 12 accounts, whole groups at a time, and the parents of those groups (their group reports)
    from kamtools.datasets import load_demo
    from kamtools.demo import subset
    from kamtools.sections.group import group_ids

    accounts = subset(load_demo(), 12).accounts
    ids = set(accounts["account_id"])
    assert {p.name.rsplit("-", 1)[0] for p in (out / "accounts").glob("*.html")} == ids
    parents = group_ids(accounts)  # each parent also has its group report (global account plan)
    assert {p.name.rsplit("-", 1)[0] for p in (out / "groups").glob("*.html")} == set(parents)
    again = kamtools("demo", "--out", str(out), "--accounts", "12", "--quiet")
    up_to_date = len(ids) + len(parents) + 1  # account reports, group reports, the overview
    assert "analysis skipped" in again.stdout and f"0 rendered, {up_to_date} up to date" in again.stdout
