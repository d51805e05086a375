"""The shared look of kamtools charts.

Every text a kamtools chart shows (titles, tick labels, legends, annotations, cell
labels) is drawn literally: account, product, category and competitor names come from
the user's data, and a ``$`` in them must not switch matplotlib to math markup (where
``Acme $\\frac{1}{$ Co`` fails to draw and ``$x^2$`` would show as a formula). Two
things see to that, both through matplotlib's own ``text.parse_math`` switch:

* :func:`apply_style` (run by the report notebooks and the interactive notebooks) sets it
  to False globally, with the rest of the kamtools look;
* :func:`new_figure` returns a :class:`LiteralTextFigure`, which turns it off for each of
  its texts whenever it is drawn or measured, so a chart is literal even in a process that
  never called :func:`apply_style` (the scenario planner widget, a user's own notebook).
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullLocator  # noqa: E402

from kamtools.display import money  # noqa: E402  (re-exported for the chart modules)

# Colour-blind safe (Okabe-Ito order); role names keep meaning consistent across charts.
PALETTE = {
    "actual": "#0072B2",
    "forecast": "#E69F00",
    "baseline": "#7F7F7F",
    "target": "#D55E00",
    "scenario": "#009E73",
    "good": "#009E73",
    "warn": "#E69F00",
    "bad": "#D55E00",
    "neutral": "#56B4E9",
    "accent": "#CC79A7",
}
SERIES = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#7F7F7F"]

_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=SERIES),
    "legend.frameon": False,
    # names from the data are text, never math markup (see the module docstring)
    "text.parse_math": False,
}
_LITERAL = {"text.parse_math": False}


class LiteralTextFigure(Figure):
    """A Figure that draws every one of its texts literally (no ``$...$`` math markup).

    Before it is drawn or measured, each text of the figure is switched to
    ``parse_math=False``, and the drawing itself runs with ``text.parse_math`` off, so
    tick labels that matplotlib creates while drawing (category axes, more ticks after a
    zoom) are literal too. A ``$`` in any label is shown as a dollar sign.
    """

    def _literal_texts(self) -> None:
        for text in self.findobj(Text):
            if text.get_parse_math():
                text.set_parse_math(False)

    def draw(self, renderer):
        self._literal_texts()
        with plt.rc_context(_LITERAL):
            return super().draw(renderer)

    def get_tightbbox(self, renderer=None, **kwargs):
        self._literal_texts()
        with plt.rc_context(_LITERAL):
            return super().get_tightbbox(renderer, **kwargs)


def apply_style() -> None:
    """Apply the kamtools matplotlib style globally (notebooks call it once)."""
    plt.rcParams.update(_RC)


def new_figure(width: float = 8.0, height: float = 3.6, ncols: int = 1, nrows: int = 1):
    """A styled (Figure, axes) pair; width/height in inches."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(
            nrows, ncols, figsize=(width, height), layout="constrained", FigureClass=LiteralTextFigure
        )
    return fig, ax


LABEL_CHARS = 40
"""Longest name an axis or legend label shows before it is cut with an ellipsis."""


def short_label(text: object, width: int = LABEL_CHARS) -> str:
    """``text`` as an axis or legend label: unchanged, or cut to ``width`` characters with "…".

    Tick and legend labels share the figure with the plot: one 300-character account or
    competitor name would squeeze the plot to nothing. Titles wrap instead (:func:`fit_title`).
    """
    s = str(text)
    return s if len(s) <= width else s[: width - 1].rstrip() + "\u2026"


def wrapped_label(text: object, width: int = 32, lines: int = 3) -> str:
    """``text`` as a tick label over up to ``lines`` lines of about ``width`` characters.

    For labels kamtools writes itself (a health component's meaning, a KPI): cutting them
    at :data:`LABEL_CHARS` would hide the part that says what they measure. Only text
    longer than ``lines`` full lines ends with "…".
    """
    parts = textwrap.wrap(str(text), width=width, break_long_words=True)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip() + "\u2026"
    return "\n".join(parts)


TITLE_CHARS_PER_INCH = 10
"""About how many title characters fit in an inch of a chart's width."""


def fit_title(ax, title: object) -> str:
    """``title`` with line breaks where a line is wider than ``ax``'s share of its figure.

    A title can hold an account name of any length. matplotlib's ``wrap=True`` would do this
    at draw time, but it measures a text with two ``$`` as math markup even when math is
    off (and fails on ``Acme $\\frac{1}{$ Co``), so titles are wrapped here, at spaces,
    by an estimate of ten characters per inch. Shorter lines are returned unchanged.
    """
    text = str(title)
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    columns = spec.get_gridspec().ncols if spec is not None else 1
    width = max(20, int(ax.get_figure().get_figwidth() / columns * TITLE_CHARS_PER_INCH))
    lines = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
        else:
            lines += textwrap.wrap(line, width, expand_tabs=False, replace_whitespace=False) or [line]
    return "\n".join(lines)


def money_formatter(currency: str | None = None) -> FuncFormatter:
    """Tick labels of a money axis, written as every other face writes money
    (:func:`kamtools.formatting.money` with ``currency``: '€1.2M', 'CHF 45.3k')."""
    return FuncFormatter(lambda v, _pos: money(v, currency))


def money_axis(ax, axis: str = "y", currency: str | None = None) -> None:
    """Label the ticks of ``axis`` ('x' or 'y') of ``ax`` as money in ``currency``."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(money_formatter(currency))


def log_scale(ax, axis: str = "x", currency: str | None = None) -> None:
    """Log scale on ``axis`` ('x' or 'y') with decades labelled as money (in ``currency``) and no minor ticks.

    Minor ticks of a log axis add a dozen tick objects per decade that the chart does not
    need and that cost more to lay out and draw than the data (a third of a scatter's time).
    The decades are labelled in plain text (``1k``, ``10k``): matplotlib's own log labels
    are math markup (``$\\mathdefault{10^{3}}$``), which a literal-text chart would show raw.
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(money_formatter(currency))


def legend_outside(ax, ncols: int | None = None, **kwargs):
    """The legend of ``ax`` outside the plot area, so it never hides a data point (issue 17: a legend in a
    corner covered a one-month history's only point).

    In a figure of one axes laid out by :func:`new_figure` (constrained layout) it is a figure legend under
    the plot (``"outside lower center"``), for which the layout makes room; elsewhere it sits to the right of
    the axes. ``handles`` (keyword) replaces the axes' own; other keywords go to ``legend``. None without
    anything to show.
    """
    handles = kwargs.pop("handles", None)
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    else:
        labels = [h.get_label() for h in handles]
    if not handles:
        return None
    kwargs.setdefault("fontsize", 8)
    fig = ax.get_figure()
    if len(fig.axes) == 1 and fig.get_layout_engine() is not None:
        n = ncols or min(len(handles), 5)
        return fig.legend(handles, labels, loc="outside lower center", ncols=n, frameon=False, **kwargs)
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=ncols or 1, **kwargs)


__all__ = [
    "LABEL_CHARS",
    "PALETTE",
    "SERIES",
    "Figure",
    "LiteralTextFigure",
    "apply_style",
    "fit_title",
    "legend_outside",
    "log_scale",
    "money",
    "money_axis",
    "money_formatter",
    "new_figure",
    "short_label",
    "wrapped_label",
]
