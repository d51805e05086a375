"""Safe output for notebooks and reports.

Every string that may come from data (account names, ids, free text) passes through
``html.escape`` here, so report sections never build HTML by hand. Each helper
displays its output in a running notebook and also returns the HTML string, so the
same calls serve tests.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable

CSS = """
<style>
.kam-h1 {font-size: 1.8em; margin: .2em 0 .1em;}
.kam-sub {color: #555; margin: 0 0 .4em;}
.kam-toc {font-size: .85em; margin: 0 0 1em; line-height: 1.7;}
.kam-toc a {color: #0072B2; text-decoration: none; white-space: nowrap;}
.kam-h2 {font-size: 1.35em; margin: 1.2em 0 .3em; border-bottom: 2px solid #0072B2; padding-bottom: .15em;}
.kam-h3 {font-size: 1.1em; margin: 1em 0 .3em;}
.kam-p {max-width: 60em; line-height: 1.45;}
.kam-na {color: #666; font-style: italic;}
.kam-cards {display: flex; flex-wrap: wrap; gap: .6em; margin: .5em 0;}
.kam-card {border: 1px solid #ddd; border-radius: 6px; padding: .45em .8em; min-width: 9em; break-inside: avoid;}
.kam-card .v {font-size: 1.25em; font-weight: bold;}
.kam-card .l {font-size: .8em; color: #555;}
.kam-card.good {border-left: 5px solid #009E73;} .kam-card.warn {border-left: 5px solid #E69F00;}
.kam-card.bad {border-left: 5px solid #D55E00;}
table.kam-table {border-collapse: collapse; font-size: .9em; margin: .4em 0; break-inside: avoid;}
table.kam-table th, table.kam-table td {border-bottom: 1px solid #e3e3e3; padding: .25em .6em; text-align: left;}
table.kam-table td.num {text-align: right; font-variant-numeric: tabular-nums;}
img.kam-fig {max-width: 100%; break-inside: avoid;}
@media print {.kam-toc {display: none;} .kam-h2 {break-after: avoid;} .kam-card, table.kam-table, img.kam-fig {break-inside: avoid;}}
</style>
"""


def _show(markup: str) -> str:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display

        if get_ipython() is not None:
            display(HTML(markup))
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass
    return markup


def esc(value: object) -> str:
    """HTML-escape any value's text (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def style() -> str:
    """Display the report stylesheet (call once at the top of a report)."""
    return _show(CSS)


def title(text: str, subtitle: str | None = None) -> str:
    """The report title (level-1 heading) with an optional context line under it."""
    sub = f'<p class="kam-sub">{esc(subtitle)}</p>' if subtitle else ""
    return _show(f'<h1 class="kam-h1">{esc(text)}</h1>{sub}')


def anchor(name: str) -> str:
    """An invisible link target ``id="sec-<name>"`` (reports mark each section's start with it)."""
    return _show(f'<span class="kam-anchor" id="sec-{esc(name)}" data-section="{esc(name)}"></span>')


def contents(entries: Iterable[tuple[str, str]]) -> str:
    """A one-line table of contents: (anchor name, label) pairs linking to :func:`anchor` targets."""
    links = " · ".join(f'<a href="#sec-{esc(name)}">{esc(label)}</a>' for name, label in entries)
    return _show(f'<nav class="kam-toc">{links}</nav>')


def heading(text: str, level: int = 2) -> str:
    """A section (level 2) or subsection (level 3) heading."""
    tag = "h2" if level <= 2 else "h3"
    return _show(f'<{tag} class="kam-h{2 if level <= 2 else 3}">{esc(text)}</{tag}>')


def paragraph(text: str) -> str:
    """A paragraph of plain text."""
    return _show(f'<p class="kam-p">{esc(text)}</p>')


def bullets(items: Iterable[str]) -> str:
    """A bulleted list of plain-text items."""
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return _show(f'<ul class="kam-p">{lis}</ul>')


def not_available(reason: NotAvailable | str) -> str:
    """The sentence shown instead of a section whose data is missing."""
    return _show(f'<p class="kam-na">{esc(str(reason))}</p>')


def money(x: float) -> str:
    """Compact money text: 1234567 -> '1.23M', 45300 -> '45.3k', 812 -> '812'."""
    a = abs(x)
    for size, suffix, digits in ((1e9, "B", 2), (1e6, "M", 2), (1e3, "k", 1)):
        if a >= size:
            return f"{x / size:.{digits}f}{suffix}"
    return f"{x:.0f}"


def signed_pct(x: float) -> str:
    """A change as signed percent text (0.053 -> '+5%'); '' when missing."""
    return "" if pd.isna(x) else f"{x:+.0%}"


def _fmt(value: object, col: str) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "", False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if isinstance(value, int | float | np.integer | np.floating):
        value = float(value)
        lowered = col.lower()
        if any(k in lowered for k in ("pct", "share", "rate", "prob", "p_", "coverage")) and abs(value) <= 1.5:
            return f"{value:.0%}" if abs(value) >= 0.01 or value == 0 else f"{value:.1%}", True
        if float(value).is_integer():
            return f"{value:,.0f}", True
        if abs(value) >= 100:
            return f"{value:,.0f}", True
        return f"{value:,.2f}", True
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d"), False
    return str(value), False


def table(df: pd.DataFrame, columns: Mapping[str, str] | None = None, max_rows: int = 30, header: bool = True) -> str:
    """An HTML table of ``df`` (every cell escaped).

    ``columns`` maps column names to display labels and selects/ordering them.
    Numbers are formatted (percentages for share/rate/probability columns).
    ``header=False`` leaves out the heading row (e.g. for a label/value list).
    """
    if columns:
        df = df[[c for c in columns if c in df.columns]].rename(columns=dict(columns))
    shown = df.head(max_rows)
    head = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    rows = []
    for rec in shown.itertuples(index=False, name=None):
        cells = []
        for col, val in zip(shown.columns, rec, strict=True):
            text, numeric = _fmt(val, str(col))
            cells.append(f'<td class="num">{esc(text)}</td>' if numeric else f"<td>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="kam-na">{len(df) - max_rows} more rows not shown.</p>' if len(df) > max_rows else ""
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    return _show(f'<table class="kam-table">{thead}<tbody>{"".join(rows)}</tbody></table>{more}')


def kpi_cards(cards: Iterable[tuple[str, object] | tuple[str, object, str]]) -> str:
    """A row of KPI cards: (label, value[, status]) with status good/warn/bad."""
    parts = []
    for card in cards:
        label, value = card[0], card[1]
        status = card[2] if len(card) > 2 else ""
        text, _ = _fmt(value, str(label))
        cls = f"kam-card {esc(status)}" if status in ("good", "warn", "bad") else "kam-card"
        parts.append(f'<div class="{cls}"><div class="v">{esc(text)}</div><div class="l">{esc(label)}</div></div>')
    return _show(f'<div class="kam-cards">{"".join(parts)}</div>')


def figure(fig, alt: str = "chart") -> str:
    """Embed a matplotlib figure as an inline PNG and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    # A figure with a layout engine (kamtools' new_figure uses constrained layout) already
    # fills its canvas; "tight" would draw it twice for nothing (~30% of the save time).
    tight = None if fig.get_layout_engine() is not None else "tight"
    fig.savefig(buf, format="png", bbox_inches=tight)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return _show(f'<img class="kam-fig" alt="{esc(alt)}" src="data:image/png;base64,{data}"/>')
