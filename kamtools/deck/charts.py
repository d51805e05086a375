"""Native PowerPoint charts and tables, with their data, that a KAM can edit.

Charts are chart objects (with their data in the embedded workbook that PowerPoint's
"Edit data" opens), not pictures, and take their colours from the template's theme.
The embedded workbook is written with XlsxWriter's string conversions off, so a
category such as ``=HYPERLINK(...)`` or ``http://...`` stays text there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from xml.sax.saxutils import escape

from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE, MSO_THEME_COLOR
from pptx.util import Emu, Pt

from kamtools.deck.text import literal, missing

MONEY_FORMAT = "#,##0;-#,##0"
PCT_FORMAT = "0%"

_INERT = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


class _InertWorkbookWriter(CategoryWorkbookWriter):
    @contextmanager
    def _open_worksheet(self, xlsx_file):
        from xlsxwriter import Workbook

        workbook = Workbook(xlsx_file, _INERT)
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class InertChartData(CategoryChartData):
    """Category chart data whose workbook keeps every string as text."""

    @property
    def _workbook_writer(self):
        writer = self.__dict__.get("_kam_writer")
        if writer is None:
            writer = self.__dict__["_kam_writer"] = _InertWorkbookWriter(self)
        return writer


Box = tuple[int, int, int, int]


def _axis_format(number_format: str, series: dict[str, Sequence[object]]) -> str:
    """Money axes in thousands or millions ('350k', '1.2M') so the labels stay short."""
    if number_format != MONEY_FORMAT:
        return number_format
    top = max((abs(float(v)) for values in series.values() for v in values if not missing(v)), default=0.0)
    if top >= 2e6:
        return '#,##0.0,,"M"'
    if top >= 1e4:
        return '#,##0,"k"'
    return number_format


def chart_data(categories: Sequence[object], series: dict[str, Sequence[object]], number_format: str) -> InertChartData:
    data = InertChartData(number_format=number_format)
    data.categories = [literal(c, 60) or "-" for c in categories]
    for name, values in series.items():
        data.add_series(literal(name, 60), [None if missing(v) else float(v) for v in values])
    return data


def add_chart(
    slide,
    kind: str,
    box: Box,
    categories: Sequence[object],
    series: dict[str, Sequence[object]],
    number_format: str = MONEY_FORMAT,
    title: str | None = None,
    legend: bool | None = None,
    dashed: Sequence[str] = (),
):
    """A native chart of ``kind`` (line, line_plain, column, bar, stacked_column, doughnut) in ``box``; returns it.

    ``bar`` charts list the first category at the top (their data is stored bottom up)."""
    chart_type = {
        "line": XL_CHART_TYPE.LINE_MARKERS,
        "line_plain": XL_CHART_TYPE.LINE,
        "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
        "bar": XL_CHART_TYPE.BAR_CLUSTERED,
        "stacked_column": XL_CHART_TYPE.COLUMN_STACKED,
        "doughnut": XL_CHART_TYPE.DOUGHNUT,
    }[kind]
    left, top, width, height = box
    if kind == "bar":  # horizontal bars are drawn bottom up: reversed, the first category is at the top
        categories = list(categories)[::-1]
        series = {name: list(values)[::-1] for name, values in series.items()}
    frame = slide.shapes.add_chart(
        chart_type, Emu(left), Emu(top), Emu(width), Emu(height), chart_data(categories, series, number_format)
    )
    chart = frame.chart
    chart.font.size = Pt(11)
    show_legend = len(series) > 1 or kind == "doughnut" if legend is None else legend
    chart.has_legend = show_legend
    if show_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    if title:
        chart.has_title = True
        chart.chart_title.text_frame.text = literal(title, 120)
        chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(13)
    else:
        chart.has_title = False
    if kind != "doughnut":
        value_axis = chart.value_axis
        value_axis.has_major_gridlines = True
        value_axis.tick_labels.number_format = _axis_format(number_format, series)
        value_axis.tick_labels.number_format_is_linked = False
        value_axis.tick_labels.font.size = Pt(10)
        chart.category_axis.tick_labels.font.size = Pt(10)
    if kind.startswith("line"):
        for plot in chart.plots:
            for s in plot.series:
                s.smooth = False
                if s.name in dashed:  # a range around another series: thin dashed line, no markers
                    s.marker.style = XL_MARKER_STYLE.NONE
                    s.format.line.dash_style = MSO_LINE.DASH
                    s.format.line.width = Pt(1.25)
                    s.format.line.color.theme_color = MSO_THEME_COLOR.ACCENT_2
    if kind == "doughnut":
        plot = chart.plots[0]
        plot.has_data_labels = True
        plot.data_labels.number_format = "0%"
        plot.data_labels.number_format_is_linked = False
        plot.data_labels.show_percentage = True
        plot.data_labels.show_value = False
        plot.data_labels.font.size = Pt(10)
    return chart


_TABLE_STYLE = "{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"  # Medium Style 2, accent 1: the theme's colours
_A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _cell_xml(text: str, size: int, right: bool) -> str:
    align = ' algn="r"' if right else ""
    if not text:
        return f'<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:pPr{align}/><a:endParaRPr lang="en-US" sz="{size * 100}"/></a:p></a:txBody><a:tcPr/></a:tc>'
    return (
        f'<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:pPr{align}/><a:r><a:rPr lang="en-US" sz="{size * 100}"/>'
        f"<a:t>{escape(text)}</a:t></a:r></a:p></a:txBody><a:tcPr/></a:tc>"
    )


def add_table(
    slide,
    box: Box,
    header: Sequence[str] | None,
    rows: Sequence[Sequence[object]],
    widths: Sequence[float] | None = None,
    font_size: int = 12,
    numeric: Sequence[bool] | None = None,
):
    """A real table (a heading row and ``rows``, every value as literal text) in ``box``; returns it.

    ``header`` None: no heading row (a label/value list). ``widths`` are relative column
    widths; ``numeric`` columns are right-aligned. The table XML is written in one piece
    (much faster than cell by cell) with the template's table style.
    """
    from pptx.oxml import parse_xml

    left, top, width, height = box
    body = [[literal(v, 400) for v in row] for row in rows]
    head = [literal(v, 400) for v in header] if header else None
    n_cols = len(head) if head else (len(body[0]) if body else 1)
    lines = ([head] if head else []) + body or [[""] * n_cols]
    row_height = int(Pt(font_size * 2.1))
    weights = list(widths) if widths else [1.0] * n_cols
    total = sum(weights)
    cols = [int(width * w / total) for w in weights]
    right = list(numeric) if numeric else [False] * n_cols
    first = 1 if head else 0
    xml = [
        f'<a:tbl xmlns:a="{_A_NS}"><a:tblPr firstRow="{first}" bandRow="1"><a:tableStyleId>{_TABLE_STYLE}'
        "</a:tableStyleId></a:tblPr><a:tblGrid>",
        *(f'<a:gridCol w="{w}"/>' for w in cols),
        "</a:tblGrid>",
    ]
    for r, values in enumerate(lines):
        xml.append(f'<a:tr h="{row_height}">')
        xml.extend(_cell_xml(v, font_size, right[c] and r >= first) for c, v in enumerate(values))
        xml.append("</a:tr>")
    xml.append("</a:tbl>")
    frame = slide.shapes.add_table(1, 1, Emu(left), Emu(top), Emu(sum(cols)), Emu(row_height * len(lines)))
    data = frame._element.graphic.graphicData
    data.replace(data.tbl, parse_xml("".join(xml)))
    return frame.table


__all__ = ["MONEY_FORMAT", "PCT_FORMAT", "InertChartData", "add_chart", "add_table", "chart_data"]
