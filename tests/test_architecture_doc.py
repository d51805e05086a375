"""docs/architecture.md is generated from the stage declarations and cannot drift from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kamtools.stages.docs import markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def test_committed_architecture_page_equals_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/architecture.md is out of date: run `.venv/bin/python -m kamtools.stages --markdown > docs/architecture.md`"
    )


def test_the_page_draws_every_stage_with_what_it_reads_and_writes():
    text = markdown()
    assert "```mermaid" in text and "flowchart LR" in text
    assert "st_value -->|value<br/>value_model| st_churn" in text  # churn reads two value tables
    assert "st_forecast -->|forecast<br/>forecast_summary<br/>forecast_targets| st_plan" in text
    assert "| **forecast** (background) | `kamtools.forecast` |" in text
    assert "- `kpis` (per account):" in text and "health_score:float?" in text


def test_module_command_prints_the_page_and_asks_for_the_flag():
    done = subprocess.run(
        [sys.executable, "-m", "kamtools.stages", "--markdown"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout == markdown()
    bare = subprocess.run([sys.executable, "-m", "kamtools.stages"], capture_output=True, text=True, timeout=60)
    assert bare.returncode == 2 and "--markdown" in bare.stdout
