"""Report output helpers escape everything that comes from data, and show their output once in a notebook."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from kamtools import display
from kamtools.data import NotAvailable

EVIL = '<script>alert("x")</script> & co'


def test_text_helpers_escape():
    for out in (display.heading(EVIL), display.paragraph(EVIL), display.bullets([EVIL]), display.not_available(EVIL)):
        assert "<script>" not in out
        assert "&lt;script&gt;" in out


def test_table_escapes_cells_and_headers_and_formats_numbers():
    df = pd.DataFrame({EVIL: [EVIL], "revenue": [1234567.0], "win_rate": [0.25]})
    out = display.table(df, pct=["win_rate"])
    assert "<script>" not in out
    assert "1,234,567" in out
    assert "25%" in out


def test_table_truncates_long_frames():
    out = display.table(pd.DataFrame({"x": range(50)}), max_rows=10)
    assert "40 more rows not shown" in out


def test_kpi_cards_escape_labels_and_status():
    out = display.kpi_cards([(EVIL, 3.0, "bad"), ("ok", 1.0, '" onmouseover="x')])
    assert "<script>" not in out and 'onmouseover="x' not in out
    assert 'class="kam-card bad"' in out


def test_not_available_shows_reason():
    assert "No invoices" in display.not_available(NotAvailable("No invoices table was supplied."))


# ---- in a notebook: shown once, no Out[n] echo, the stylesheet travels with the output ------------


class _Events:
    def __init__(self):
        self.callbacks = {}

    def register(self, event, fn):
        self.callbacks.setdefault(event, []).append(fn)


class _Shell:
    """Just enough of an ipykernel shell: pre_run_cell events and the request of the running cell."""

    def __init__(self):
        self.events, self.cell = _Events(), None

    def get_parent(self):
        return {"header": {"msg_type": "execute_request"}, "metadata": {"cellId": self.cell}}

    def run_cell(self, cell_id):
        self.cell = cell_id
        for fn in self.events.callbacks.get("pre_run_cell", []):
            fn(SimpleNamespace(cell_id=cell_id))


@pytest.fixture
def notebook(monkeypatch):
    """A fake running kernel: (shell, the HTML strings it displayed, in order)."""
    import IPython.display

    shell, page = _Shell(), []
    monkeypatch.setattr(display, "_kernel", lambda: shell)
    monkeypatch.setattr(display, "_STYLE", display._StyleState())
    monkeypatch.setattr(IPython.display, "display", lambda obj: page.append(obj.data))
    return shell, page


def test_a_helper_returns_its_html_but_a_notebook_does_not_echo_it():
    from IPython.core.formatters import DisplayFormatter

    out = display.paragraph("Revenue fell 12%")
    assert isinstance(out, str) and out == '<p class="kam-p">Revenue fell 12%</p>'
    # what IPython does with a cell's last value: nothing to show, so no Out[n] with HTML source
    assert DisplayFormatter().format(out) == ({}, {})
    assert DisplayFormatter().format(str(out))[0]["text/plain"].startswith("'<p")


def test_the_first_output_of_a_kernel_carries_the_stylesheet_once(notebook):
    shell, page = notebook
    shell.run_cell("c1")
    cards = display.kpi_cards([("Revenue, last 12 months", "1.20M", "good")])
    display.table(pd.DataFrame({"revenue": [1.0]}))
    shell.run_cell("c2")
    display.paragraph("next cell")
    assert len(page) == 3
    assert page[0].startswith("<style>") and page[0].endswith(cards)
    assert ".kam-card {" in page[0] and "".join(page).count(".kam-card {") == 1
    assert cards == '<div class="kam-cards"><div class="kam-card good"><div class="v">1.20M</div>' + (
        '<div class="l">Revenue, last 12 months</div></div></div>'
    )  # the returned HTML is the component alone, without the stylesheet


def test_running_the_cell_that_holds_the_stylesheet_again_brings_it_back(notebook):
    shell, page = notebook
    shell.run_cell("c1")
    display.heading("Summary")
    shell.run_cell("c2")
    display.heading("Other cell")
    shell.run_cell("c1")  # its old output, stylesheet included, is replaced
    display.heading("Summary again")
    assert ["<style>" in p for p in page] == [True, False, True]


def test_a_report_shows_the_stylesheet_at_its_top_every_time(notebook):
    """Reports in a kept (warm) kernel call style() first in each report: each page gets it once."""
    shell, page = notebook
    for report in ("r1", "r2"):
        shell.run_cell(report)
        display.style()
        display.title("Account")
    assert page == [display.CSS, '<h1 class="kam-h1">Account</h1>'] * 2


def test_the_stylesheet_is_the_packaged_file_and_touches_only_kam_classes():
    from kamtools.resources import templates_dir

    sheet = (templates_dir() / "components.css").read_text(encoding="utf-8")
    assert sheet in display.CSS and display.CSS.startswith("<style>")
    body = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    body = re.sub(r"@media[^{]*\{", "", body)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", body) for s in block.split(",")]
    assert selectors and all("kam-" in s for s in selectors), [s for s in selectors if "kam-" not in s]
