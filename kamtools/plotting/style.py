"""The shared look of kamtools charts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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
}


def apply_style() -> None:
    """Apply the kamtools matplotlib style globally (notebooks call it once)."""
    plt.rcParams.update(_RC)


def new_figure(width: float = 8.0, height: float = 3.6, ncols: int = 1, nrows: int = 1):
    """A styled (Figure, axes) pair; width/height in inches."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained")
    return fig, ax


def log_scale(ax, axis: str = "x") -> None:
    """Log scale on ``axis`` ('x' or 'y') with labelled decades and no minor ticks.

    Minor ticks of a log axis add a dozen tick objects per decade that the chart does not
    need and that cost more to lay out and draw than the data (a third of a scatter's time).
    """
    from matplotlib.ticker import NullLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_minor_locator(NullLocator())


__all__ = ["PALETTE", "SERIES", "apply_style", "new_figure", "log_scale", "money", "Figure"]
