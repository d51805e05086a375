"""Safe output for notebooks and reports.

Every string that may come from data (account names, ids, free text) passes through
``html.escape`` here, so report sections never build HTML by hand.

Each helper displays its output once in a running notebook (JupyterLab, Voila, papermill)
and returns the same HTML as a :class:`Shown` string, so the same calls serve code and
tests; a notebook cell that ends with a helper call shows the table or chart once and no
``Out[n]`` echo of its HTML source. The styles of the kam-* components live in
``kamtools/templates/components.css``: a report shows them with :func:`style` at its top,
and in a notebook the first helper output of the kernel carries them, so KPI cards and
tables look the same in JupyterLab and Voila as on a report page.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from kamtools import formatting, templating
from kamtools.data.portfolio import NotAvailable

STYLESHEET = "components.css"
"""The component stylesheet in ``kamtools/templates/`` (the one source of the kam-* styles)."""


CSS = f"<style>\n{templating.source(STYLESHEET)}</style>\n"
"""The component stylesheet as one ``<style>`` block (what :func:`style` shows)."""


class Shown(str):
    """The HTML a helper has just shown.

    It is an ordinary string for code and tests (``"kam-card" in kpi_cards(...)``), but a
    notebook does not echo it as the cell's ``Out[n]``: it is already on the page once.
    """

    __slots__ = ()

    def _ipython_display_(self) -> None:
        """Nothing: the helper displayed this HTML when it was called."""


class _StyleState:
    """Whether this kernel's page already carries the stylesheet, and in which cell.

    The stylesheet is shown once per kernel, in front of the first output of a helper, so
    KPI cards and tables look the same in JupyterLab and Voila as in a report. When the cell
    that carries it runs again (its old output, stylesheet included, is replaced), the next
    helper output carries it again.
    """

    def __init__(self) -> None:
        self.cell: object = None  # id of the cell whose output holds the stylesheet (None: unknown)
        self.shown = False
        self.hooked: object = None  # the shell the pre_run_cell hook is registered with

    def hook(self, shell) -> None:
        if self.hooked is shell:
            return
        self.hooked = shell
        try:
            shell.events.register("pre_run_cell", self.before_cell)
        except Exception:  # pragma: no cover - an IPython without events: once per kernel
            pass

    def before_cell(self, info=None) -> None:
        if self.shown and self.cell is not None and getattr(info, "cell_id", None) == self.cell:
            self.shown = False

    def mark(self, shell) -> None:
        self.shown, self.cell = True, _cell_id(shell)


def _cell_id(shell) -> object:
    """Id of the notebook cell being run (JupyterLab and Voila send it), or None."""
    try:
        parent = shell.get_parent()  # ipykernel: the execute_request message being run
    except Exception:
        return None
    return ((parent or {}).get("metadata") or {}).get("cellId")


_STYLE = _StyleState()


def _kernel():
    """The running IPython shell, or None outside IPython (tests, scripts)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def _show(markup: str) -> Shown:
    """Display ``markup`` once in a running notebook (with the stylesheet if the page lacks it)."""
    shell = _kernel()
    if shell is not None:
        from IPython.display import HTML, display

        _STYLE.hook(shell)
        page = markup
        if markup == CSS:
            _STYLE.mark(shell)
        elif not _STYLE.shown:
            _STYLE.mark(shell)
            page = CSS + markup
        display(HTML(page))
    return Shown(markup)


def esc(value: object) -> str:
    """HTML-escape any value's text (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def style() -> str:
    """Display the component stylesheet (a report calls it once at its top; a notebook needs not)."""
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


def money(x: float, currency: str | None = None) -> str:
    """Compact money text: 1234567 -> '1.23M', 45300 -> '45.3k', 812 -> '812' (see :mod:`kamtools.formatting`)."""
    return formatting.money(x, currency)


def signed_pct(x: float) -> str:
    """A change as signed percent text (0.053 -> '+5%'); '' when missing."""
    return formatting.pct(x, signed=True)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def _fmt(value: object, share: bool = False) -> tuple[str, bool]:
    """A cell's text by :mod:`kamtools.formatting`, and whether it is a number (right-aligned).

    ``share``: the caller says the column holds shares (0-1), written as percent ('5%',
    '0.4%'); a column's name is never read for it. Other numbers: whole numbers with
    thousands separators, others with two decimals below 100.
    """
    if formatting.is_missing(value) and not isinstance(value, str):
        return formatting.MISSING, False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if _is_number(value):
        x = float(value)
        if share:
            return formatting.pct(x), True
        if x.is_integer() or abs(x) >= 100:
            return formatting.count(x), True
        return formatting.number(x, 2), True
    if isinstance(value, pd.Timestamp):
        return formatting.date(value), False
    return str(value), False


def _money_cell(value: object, currency: str | None) -> object:
    if _is_number(value):
        return formatting.money(value, currency)
    return value


def table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    max_rows: int = 30,
    header: bool = True,
    money: Iterable[str] = (),
    currency: str | None = None,
    pct: Iterable[str] = (),
) -> str:
    """An HTML table of ``df`` (every cell escaped), its numbers written by :mod:`kamtools.formatting`.

    ``columns`` maps column names to display labels and selects/ordering them.
    The caller names the columns that need a unit (a column's name is never guessed from):
    those in ``money`` are amounts, written as everywhere else (``formatting.money`` with
    ``currency``: '€803.8k', not '803,800'); those in ``pct`` are shares (0-1), written as
    percent ('5%', '0.4%'). Other numbers are plain ('1,234', '0.87'). Numbers and amounts are
    right-aligned; text (also in a money column: a reason instead of a figure) is left-aligned.
    ``header=False`` leaves out the heading row (e.g. for a label/value list).
    """
    amounts = {str(c) for c in money if c in df.columns}
    shares = {str(c) for c in pct if c in df.columns}
    if amounts:  # numbers become money text; a cell that is already text (e.g. '35.6k (lost)') stays
        df = df.assign(**{c: [_money_cell(v, currency) for v in df[c]] for c in amounts})
    if columns:
        amounts = {str(columns.get(c, c)) for c in amounts}
        shares = {str(columns.get(c, c)) for c in shares}
        df = df[[c for c in columns if c in df.columns]].rename(columns=dict(columns))
    shown = df.head(max_rows)
    head = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    rows = []
    for rec in shown.itertuples(index=False, name=None):
        cells = []
        for col, val in zip(shown.columns, rec, strict=True):
            text, numeric = _fmt(val, str(col) in shares)
            if numeric or (str(col) in amounts and _money_text(text)):
                cells.append(f'<td class="num">{esc(text)}</td>')
            elif isinstance(val, pd.Timestamp) and text:  # a date never breaks at its hyphens
                cells.append(f'<td class="date">{esc(text)}</td>')
            else:
                cells.append(f"<td>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="kam-na">{len(df) - max_rows} more rows not shown.</p>' if len(df) > max_rows else ""
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    return _show(f'<table class="kam-table">{thead}<tbody>{"".join(rows)}</tbody></table>{more}')


def _money_text(text: str) -> bool:
    """Text that reads as an amount ('€35.6k (lost)', '-1.20M'): it starts with a figure, so it lines up
    with the numbers; a reason in words ('no money figure: ...') does not."""
    head = text.lstrip("+-±")
    head = head[len(_currency_prefix(head)) :]
    return bool(head) and head[0].isdigit()


def _currency_prefix(text: str) -> str:
    for symbol in formatting.CURRENCY_SYMBOLS.values():
        if text.startswith(symbol):
            return symbol
    code = text[:4]
    return code if len(code) == 4 and code[:3].isalpha() and code[:3].isupper() and code[3] == " " else ""


def kpi_cards(cards: Iterable[tuple[str, object] | tuple[str, object, str]]) -> str:
    """A row of KPI cards: (label, value[, status]) with status good/warn/bad.

    A value is best given as text written by :mod:`kamtools.formatting` (money with its
    currency, a share as percent); a bare number is written plain ('1,234', '0.87'), since a
    card's label is never read to guess its unit."""
    parts = []
    for card in cards:
        label, value = card[0], card[1]
        status = card[2] if len(card) > 2 else ""
        text, _ = _fmt(value)
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
