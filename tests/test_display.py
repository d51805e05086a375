"""Report output helpers escape everything that comes from data."""

from __future__ import annotations

import pandas as pd

from kamtools import display
from kamtools.data import NotAvailable

EVIL = '<script>alert("x")</script> & co'


def test_text_helpers_escape():
    for out in (display.heading(EVIL), display.paragraph(EVIL), display.bullets([EVIL]), display.not_available(EVIL)):
        assert "<script>" not in out
        assert "&lt;script&gt;" in out


def test_table_escapes_cells_and_headers_and_formats_numbers():
    df = pd.DataFrame({EVIL: [EVIL], "revenue": [1234567.0], "win_rate": [0.25]})
    out = display.table(df)
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
