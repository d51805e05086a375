"""No command destroys or half-writes a user's files (kamtools.outputs and the commands that write).

Each test runs a command as a user does (``kamtools.cli.main``) and checks the exit code,
the one-sentence message and what is on disk afterwards.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from _factory import write_folder

from kamtools.cli import main
from kamtools.outputs import (
    MARKER,
    OutputError,
    check_output_dir,
    marker_text,
    pid_alive,
    remove_stale,
    temp_name,
)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders)."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def temporaries(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if ".tmp-" in p.name or ".old-" in p.name]


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


@pytest.fixture
def user_folder(tmp_path) -> Path:
    """A folder of a user's own files: exports, notes and a subfolder."""
    folder = write_folder(tmp_path / "victim")
    (folder / "notes.txt").write_text("call Nordic Feed on Monday\n")
    (folder / "archive").mkdir()
    (folder / "archive" / "2023.csv").write_text("a,b\n1,2\n")
    return folder


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_sentence(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ---- analyze --out --------------------------------------------------------------------------------


def test_analyze_refuses_to_write_into_its_own_data_folder(user_folder, capsys):
    before = snapshot(user_folder)
    code, out, err = run_cli(capsys, "analyze", user_folder, "--out", user_folder, "--quiet")
    assert code == 1 and out == ""
    msg = one_sentence(err)
    assert str(user_folder) in msg and "is the data folder being read" in msg and "choose another folder" in msg
    assert snapshot(user_folder) == before
    assert sorted(p.name for p in user_folder.parent.iterdir()) == ["victim"]


def test_analyze_refuses_a_folder_it_did_not_make(user_folder, tmp_path, capsys):
    src = write_folder(tmp_path / "exports")
    before = snapshot(user_folder)
    code, _, err = run_cli(capsys, "analyze", src, "--out", user_folder, "--quiet")
    assert code == 1
    msg = one_sentence(err)
    assert f"{user_folder} already holds files that kamtools did not write" in msg
    assert "archive" in msg and "choose a new or empty folder for --out" in msg
    assert snapshot(user_folder) == before
    assert temporaries(tmp_path) == []


def test_analyze_refuses_an_existing_file_and_a_folder_holding_the_data(tmp_path, capsys):
    src = write_folder(tmp_path / "exports")
    summary = tmp_path / "summary.txt"
    summary.write_text("Q3 summary for the board\n")
    code, _, err = run_cli(capsys, "analyze", src, "--out", summary, "--quiet")
    assert code == 1
    assert f"{summary} is an existing file, not a folder" in one_sentence(err)
    assert summary.read_text() == "Q3 summary for the board\n"

    code, _, err = run_cli(capsys, "analyze", src, "--out", tmp_path, "--quiet")
    assert code == 1
    assert f"{tmp_path} contains the data being read ({src})" in one_sentence(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports", "summary.txt"]


def test_analyze_refuses_a_reports_folder(tmp_path, capsys):
    src = write_folder(tmp_path / "exports")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / MARKER).write_text(json.dumps({"kamtools_output": "reports"}))
    (reports / "index.html").write_text("<p>last quarter</p>")
    code, _, err = run_cli(capsys, "analyze", src, "--out", reports, "--quiet")
    assert code == 1
    assert f"{reports} is a kamtools reports folder, not an analysis bundle" in one_sentence(err)
    assert (reports / "index.html").read_text() == "<p>last quarter</p>"


def test_analyze_uses_an_empty_folder_and_replaces_only_its_own_bundles(tmp_path):
    from kamtools.bundle import analyze
    from kamtools.data.loader import load_portfolio

    portfolio = load_portfolio(write_folder(tmp_path / "exports"))
    out = tmp_path / "bundle"
    out.mkdir()
    first = analyze(portfolio, out, stages=["segment"], progress=False)
    assert (out / MARKER).is_file() and first.has("segments")
    # a bundle of an earlier version (no marker, only manifest.json) is still recognised
    (out / MARKER).unlink()
    second = analyze(portfolio, out, stages=[], progress=False)
    assert not second.has("segments") and not (out / "segments.parquet").exists() and (out / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "exports"]


def test_analyze_removes_temporaries_of_dead_runs_only(tmp_path):
    from kamtools.bundle import analyze
    from kamtools.data.loader import load_portfolio

    portfolio = load_portfolio(write_folder(tmp_path / "exports"))
    out = tmp_path / "bundle"
    stale = tmp_path / f".bundle.tmp-{dead_pid()}-0badf00d"
    stale.mkdir()
    (stale / "value.parquet").write_bytes(b"half a table")
    live = tmp_path / temp_name("bundle")  # owned by this (live) process: another run in progress
    live.mkdir()
    analyze(portfolio, out, stages=[], progress=False)
    assert not stale.exists()
    assert live.is_dir()
    live.rmdir()


def test_a_bundle_moved_aside_by_a_killed_run_is_put_back(tmp_path):
    old = tmp_path / f".bundle.old-{dead_pid()}-12345678"
    old.mkdir()
    (old / "manifest.json").write_text('{"format": 1, "kamtools_version": "0"}')
    half = tmp_path / f".bundle.tmp-{dead_pid()}-87654321"
    half.mkdir()
    removed = remove_stale(tmp_path, "bundle")
    assert removed == [half]
    assert (tmp_path / "bundle" / "manifest.json").read_text() == '{"format": 1, "kamtools_version": "0"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_analyze_on_a_full_disk_keeps_the_previous_bundle(tmp_path, capsys, monkeypatch):
    import kamtools.bundle as kb

    src = write_folder(tmp_path / "exports")
    out = tmp_path / "bundle"
    out.mkdir()
    (out / MARKER).write_text(json.dumps({"kamtools_output": "bundle"}))
    (out / "manifest.json").write_text('{"format": 1, "kamtools_version": "previous"}')
    before = snapshot(out)

    def full_disk(df, path):
        Path(path).write_bytes(b"PAR1 half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(kb, "_write_table", full_disk)
    code, _, err = run_cli(capsys, "analyze", src, "--out", out, "--quiet")
    assert code == 1
    msg = one_sentence(err)
    assert f"could not write {out}: the disk is full" in msg and "the previous bundle (if any) is unchanged" in msg
    assert snapshot(out) == before
    assert temporaries(tmp_path) == []


def test_check_output_dir_refuses_a_broken_link_and_a_file_on_the_path(tmp_path):
    link = tmp_path / "gone"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="link to something that does not exist"):
        check_output_dir(link, "bundle")
    (tmp_path / "plain.txt").write_text("x")
    with pytest.raises(OutputError, match=r"plain.txt is a file, not a folder"):
        check_output_dir(tmp_path / "plain.txt" / "bundle", "bundle")


# ---- make-demo-data, demo ----------------------------------------------------------------------


def test_make_demo_data_never_overwrites_a_users_exports(user_folder, capsys):
    before = snapshot(user_folder)
    code, out, err = run_cli(capsys, "make-demo-data", user_folder, "--accounts", "10", "--years", "2")
    assert code == 1 and out == ""
    msg = one_sentence(err)
    assert msg.startswith("make-demo-data: ") and "already holds files that kamtools did not write" in msg
    assert "choose a new or empty folder for OUT_DIR" in msg
    assert snapshot(user_folder) == before


def test_make_demo_data_refuses_a_file_and_rewrites_its_own_folder(tmp_path, capsys):
    target = tmp_path / "orders.csv"
    target.write_text("order_id\nmine\n")
    code, _, err = run_cli(capsys, "make-demo-data", target, "--accounts", "10", "--years", "2")
    assert code == 1 and "is an existing file" in one_sentence(err)
    assert target.read_text() == "order_id\nmine\n"

    demo = tmp_path / "demo"
    code, _, _ = run_cli(capsys, "make-demo-data", demo, "--accounts", "10", "--years", "2")
    assert code == 0 and (demo / MARKER).is_file() and (demo / "orders.csv").is_file()
    (demo / "README.md").write_text("my notes about this demo\n")
    code, out, _ = run_cli(capsys, "make-demo-data", demo, "--accounts", "10", "--years", "2", "--format", "parquet")
    assert code == 0 and f"wrote {demo / 'orders.parquet'}" in out
    names = sorted(p.name for p in demo.iterdir())
    assert "orders.parquet" in names and not any(n.endswith(".csv") for n in names)  # one file per table
    assert (demo / "README.md").read_text() == "my notes about this demo\n"
    assert temporaries(tmp_path) == []


def test_demo_refuses_a_foreign_folder_before_any_work(user_folder, tmp_path, capsys):
    before = snapshot(user_folder)
    code, out, err = run_cli(capsys, "demo", "--out", user_folder, "--quiet")
    assert code == 1 and "demo portfolio" not in out  # nothing was loaded
    assert "already holds files that kamtools did not write" in one_sentence(err)
    assert snapshot(user_folder) == before

    reports = tmp_path / "reports"
    (reports / "bundle").mkdir(parents=True)
    (reports / "bundle" / "thesis.docx").write_bytes(b"my thesis")
    (reports / MARKER).write_text(json.dumps({"kamtools_output": "reports"}))  # a reports folder of kamtools
    code, _, err = run_cli(capsys, "demo", "--out", reports, "--quiet")
    assert code == 1 and f"{reports / 'bundle'} already holds files" in one_sentence(err)
    assert (reports / "bundle" / "thesis.docx").read_bytes() == b"my thesis"


# ---- reports --out ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory) -> Path:
    """A bundle of the four hand-written accounts (segments only: fast)."""
    from kamtools.bundle import analyze
    from kamtools.data.loader import load_portfolio

    root = tmp_path_factory.mktemp("safety")
    portfolio = load_portfolio(write_folder(root / "exports"))
    analyze(portfolio, root / "bundle", stages=["segment"], progress=False)
    return root / "bundle"


@pytest.fixture(scope="module")
def tiny_notebooks(tmp_path_factory) -> Path:
    """Report notebooks that only print their parameters (the file handling is what is tested)."""
    folder = tmp_path_factory.mktemp("notebooks")
    for name, params in (
        ("account_report.ipynb", "account_id = None\nbundle = None"),
        ("portfolio_overview.ipynb", "bundle = None"),
    ):
        nb = nbformat.v4.new_notebook()
        first = nbformat.v4.new_code_cell(params)
        first.metadata["tags"] = ["parameters"]
        nb.cells = [first, nbformat.v4.new_code_cell("print('report', bundle)")]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / name)
    return folder


def reports_args(bundle: Path, out: Path, *accounts: str) -> list:
    return ["reports", bundle, "--out", out, "--accounts", *accounts, "--workers", "1", "--mode", "cold", "--quiet"]


def old_reports_folder(tmp_path: Path) -> Path:
    """A reports folder kamtools wrote earlier (marker, index, a report, the log)."""
    out = tmp_path / "reports"
    (out / "accounts").mkdir(parents=True)
    (out / MARKER).write_text(json.dumps({"kamtools_output": "reports"}))
    (out / "index.html").write_text("<p>previous index</p>")
    (out / "accounts" / "A001-previous.html").write_text("<p>previous report</p>")
    (out / "run.log").write_text('{"account": "A001", "status": "ok"}\n')
    return out


def test_reports_refuses_a_file_a_foreign_folder_and_the_bundle(small_bundle, user_folder, tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_text("<p>my page</p>")
    code, _, err = run_cli(capsys, "reports", small_bundle, "--out", page, "--quiet")
    assert code == 1 and f"error: {page} is an existing file, not a folder" in one_sentence(err)
    assert page.read_text() == "<p>my page</p>"

    before = snapshot(user_folder)
    code, _, err = run_cli(capsys, "reports", small_bundle, "--out", user_folder, "--quiet")
    assert code == 1 and "already holds files that kamtools did not write" in one_sentence(err)
    assert snapshot(user_folder) == before

    bundle_before = snapshot(small_bundle)
    for out in (small_bundle, small_bundle / "reports"):
        code, _, err = run_cli(capsys, "reports", small_bundle, "--out", out, "--quiet")
        assert code == 1 and "analysis bundle" in one_sentence(err)
    assert snapshot(small_bundle) == bundle_before


def test_reports_beside_the_bundle_in_the_same_folder_are_allowed(small_bundle, tmp_path):
    # `kamtools analyze ... --out org/bundle` then `kamtools reports org/bundle --out org`
    org = tmp_path / "org"
    shutil.copytree(small_bundle, org / "bundle")
    assert check_output_dir(org, "reports", reading=org / "bundle") == org


def _immutable(folder: Path) -> bool:
    """Make ``folder`` unwritable, even for root (chattr +i); False when that is not possible."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


def _mutable(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    folder.chmod(0o755)


def test_reports_into_a_read_only_folder_says_so_before_any_work(small_bundle, tmp_path, capsys):
    out = old_reports_folder(tmp_path)
    before = snapshot(out)
    if not _immutable(out):
        pytest.skip("cannot make a folder read-only here (root without chattr)")
    try:
        code, stdout, err = run_cli(capsys, *reports_args(small_bundle, out, "A001"))
    finally:
        _mutable(out)
    assert code == 1 and stdout == ""
    msg = one_sentence(err)
    assert f"could not write {out}" in msg and "make the folder writable or choose another folder for --out" in msg
    assert snapshot(out) == before


def _fill_disk(monkeypatch, inside: Path, after: int = 0) -> list[str]:
    """From the ``after``-th write on, every file written under ``inside`` gets half its data,
    then "No space left on device". Returns the paths whose write failed."""
    import kamtools.outputs as outputs

    failed: list[str] = []
    seen = [0]
    write_text, write_bytes = Path.write_text, Path.write_bytes

    def full(path: Path) -> bool:
        if inside not in path.parents:
            return False
        seen[0] += 1
        return seen[0] > after

    def text(self, data, *args, **kwargs):
        if not full(Path(self)):
            return write_text(self, data, *args, **kwargs)
        write_bytes(self, data.encode()[: len(data) // 2])
        failed.append(str(self))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def append(fh, data):
        if not full(Path(fh.name)):
            return fh.write(data)
        fh.write(data[: len(data) // 2])
        failed.append(fh.name)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", text)
    monkeypatch.setattr(outputs, "_write_bytes", append)
    return failed


def test_reports_on_a_full_disk_before_the_run(small_bundle, tmp_path, capsys, monkeypatch):
    out = old_reports_folder(tmp_path)
    before = snapshot(out)
    _fill_disk(monkeypatch, out)
    code, _, err = run_cli(capsys, *reports_args(small_bundle, out, "A001"))
    assert code == 1
    msg = one_sentence(err)
    assert msg.startswith(f"error: could not write {out}") and "the disk is full" in msg
    assert snapshot(out) == before  # no half-written file, no temporary


@pytest.mark.slow
def test_reports_stop_with_one_sentence_when_the_disk_fills_up(
    small_bundle, tiny_notebooks, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("KAMTOOLS_NOTEBOOKS", str(tiny_notebooks))
    out = tmp_path / "reports"
    code, stdout, _ = run_cli(capsys, *reports_args(small_bundle, out, "A001", "A002"), "--no-overview")
    assert code == 0, stdout
    before = {k: v for k, v in snapshot(out).items() if k.endswith(".html")}
    log_before = (out / "run.log").read_text()

    # the marker check passes; the disk is full when the first report is written
    failed = _fill_disk(monkeypatch, out, after=1)
    code, stdout, err = run_cli(capsys, *reports_args(small_bundle, out, "A001", "A002"), "--no-overview", "--force")
    assert code == 1
    msg = one_sentence(err)
    assert "the disk is full" in msg and "the run stopped there, and the reports written before are kept" in msg
    assert failed and "/accounts/.A001-" in failed[0] and ".html.tmp-" in failed[0]  # the first report's file
    monkeypatch.undo()
    after = snapshot(out)
    assert {k: v for k, v in after.items() if k.endswith(".html")} == before  # previous reports intact
    assert temporaries(out) == []
    assert (out / "run.log").read_text() == log_before  # no half line


@pytest.mark.slow
def test_an_account_whose_report_cannot_be_written_is_failed_with_its_error(
    small_bundle, tiny_notebooks, tmp_path, capsys, monkeypatch
):
    from kamtools.reports import account_paths

    monkeypatch.setenv("KAMTOOLS_NOTEBOOKS", str(tiny_notebooks))
    out = tmp_path / "reports"
    out.mkdir()
    (out / MARKER).write_text(marker_text("reports"))  # a reports folder of an earlier run
    blocked = account_paths(out, "A001").html
    blocked.mkdir(parents=True)  # a folder where the report file should go
    (blocked / "keep.txt").write_text("do not delete")
    code, stdout, err = run_cli(capsys, *reports_args(small_bundle, out, "A001", "A002"), "--no-overview")
    assert code == 1, err
    assert "Traceback" not in err
    assert "1 rendered" in stdout and "1 failed" in stdout
    assert f"A001: could not write {blocked}: a folder of that name is in the way" in stdout
    assert (blocked / "keep.txt").read_text() == "do not delete"  # the cleanup left the folder alone
    assert account_paths(out, "A002").html.is_file()

    index = (out / "index.html").read_text()
    assert "failed: could not write" in index and "a folder of that name is in the way" in index
    row = index.split("<td>A001</td>", 1)[1].split("</tr>", 1)[0]
    assert "failed: could not write" in row and "not rendered" not in row
    log = [json.loads(line) for line in (out / "run.log").read_text().splitlines()]
    a001 = [e for e in log if e["account"] == "A001"]
    assert a001 and a001[-1]["status"] == "failed" and "a folder of that name is in the way" in a001[-1]["error"]
    assert temporaries(out) == []
