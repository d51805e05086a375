"""``kamtools validate``: the report a user reads, and the exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _factory import valid_tables, write_folder

from kamtools.cli import main

ROOT = Path(__file__).resolve().parents[1]


def broken_folder(tmp_path: Path) -> Path:
    tables = valid_tables()
    tables["orders"].loc[3, "quantity"] = "-2"  # line 5
    tables["opportunities"].loc[0, "status"] = "Closed Won"  # line 2
    tables["accounts"]["Segment"] = "A"  # extra column: a warning
    return write_folder(tmp_path / "export", tables)


def test_valid_folder_report_and_exit_0(tmp_path, capsys):
    code = main(["validate", str(write_folder(tmp_path / "export"))])
    out = capsys.readouterr().out
    assert code == 0
    assert "as_of: 2024-06-28 (last order date)" in out
    assert "orders.csv" in out and "12 rows" in out
    assert "order_date 2023-01-12 to 2024-06-28" in out
    assert "Problems: none" in out and "Warnings: none" in out
    assert out.rstrip().endswith("Result: VALID - the data can be loaded.")


def test_broken_folder_lists_problems_by_table_then_warnings(tmp_path, capsys):
    code = main(["validate", str(broken_folder(tmp_path))])
    out = capsys.readouterr().out
    assert code == 1
    problems = out.index("Problems (2)")
    warnings = out.index("Warnings (1)")
    assert problems < warnings
    block = out[problems:warnings]
    assert block.index("orders (orders.csv)") < block.index("opportunities (opportunities.csv)")  # model order
    assert "1. column 'quantity'" in block and "line 5: -2" in block
    assert "2. column 'status'" in block and "line 2: 'Closed Won'" in block
    assert "What to do:" in block
    assert "'Segment'" in out[warnings:]
    assert "Result: NOT VALID - 2 problems to fix" in out
    assert "Traceback" not in out


def test_as_of_option_reports_dropped_rows(tmp_path, capsys):
    code = main(["validate", str(write_folder(tmp_path / "export")), "--as-of", "2024-01-31"])
    out = capsys.readouterr().out
    assert code == 0
    assert "as_of: 2024-01-31 (given)" in out
    assert "left out (backtest): orders: 3" in out


def test_mapping_option(tmp_path, capsys):
    tables = valid_tables()
    tables["orders"] = tables["orders"].rename(columns={"order_date": "Belegdatum"})
    folder = write_folder(tmp_path / "export", tables)
    mapping = tmp_path / "m.yml"
    mapping.write_text("orders:\n  columns:\n    Belegdatum: order_date\n")
    assert main(["validate", str(folder)]) == 1
    assert "orders: {columns: {'Belegdatum': order_date}}" in capsys.readouterr().out
    assert main(["validate", str(folder), "--mapping", str(mapping)]) == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}/missing"], "source not found"),
        (["{export}", "--mapping", "{tmp}/nope.yml"], "mapping file not found"),
        (["{export}", "--as-of", "someday"], "is not a date"),
        (["sqlite:///{tmp}/none.db"], "SQLite database not found"),
    ],
)
def test_exit_2_when_source_cannot_be_used(tmp_path, capsys, args, message):
    export = write_folder(tmp_path / "export")
    argv = ["validate"] + [a.format(tmp=tmp_path, export=export) for a in args]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_garbage_files_never_give_a_traceback(tmp_path, capsys):
    folder = write_folder(tmp_path / "export")
    (folder / "orders.csv").write_bytes(b"\x00\x01\x02" * 500)
    (folder / "accounts.csv").unlink()
    (folder / "accounts.xlsx").write_bytes(b"PK\x03\x04broken")
    (folder / "targets.csv").write_bytes(b"")
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "orders.csv is not a CSV text file" in out
    assert "accounts.xlsx could not be read as an Excel workbook" in out
    assert "targets.csv could not be read as CSV: the file is empty" in out
    assert "Traceback" not in out


def test_console_script_runs_as_a_user_runs_it(tmp_path):
    exe = Path(sys.executable).parent / "kamtools"
    if not exe.exists():
        pytest.skip("console script not installed")
    res = subprocess.run(
        [str(exe), "validate", str(broken_folder(tmp_path))], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 1
    assert "line 5: -2" in res.stdout and "Result: NOT VALID" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr
    res = subprocess.run([str(exe), "validate", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "source not found" in res.stderr and "Traceback" not in res.stderr
