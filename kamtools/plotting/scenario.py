"""Charts of the scenario planner: baseline vs scenario vs target.

:func:`scenario_chart_data` turns a :class:`~kamtools.scenario.ScenarioResult` into one
long frame (``ds, series, value``) that both the static chart and the live widget draw,
and that tests can read. :func:`scenario_chart` returns a new Figure;
:class:`LiveScenarioChart` keeps one Figure and only moves its lines, so a lever change
re-renders in tens of milliseconds (the planner widget uses it).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator

from kamtools.plotting.style import PALETTE, fit_title, legend_outside, money_axis, new_figure

SERIES = ("actual", "baseline", "scenario", "target")
LABELS = {
    "actual": "Actual",
    "baseline": "Baseline (forecast)",
    "scenario": "Scenario",
    "target": "Target (monthly run rate)",
}
HISTORY_MONTHS = 24


def scenario_chart_data(result, history_months: int = HISTORY_MONTHS) -> pd.DataFrame:
    """Long frame ``ds, series, value`` of monthly revenue: actual history (last
    ``history_months``), baseline and scenario over the forecast horizon, and the target
    as a monthly run rate (yearly target / 12) for each year that has one."""
    b = result.baseline
    m = result.monthly
    hist = b.history.sort_values("ds").tail(history_months)
    parts = [
        pd.DataFrame({"ds": pd.to_datetime(hist["ds"]), "series": "actual", "value": hist["revenue"].to_numpy(float)}),
        pd.DataFrame({"ds": m["ds"], "series": "baseline", "value": m["revenue_baseline"].to_numpy(float)}),
        pd.DataFrame({"ds": m["ds"], "series": "scenario", "value": m["revenue_scenario"].to_numpy(float)}),
    ]
    if b.targets:
        first = hist["ds"].min() if len(hist) else m["ds"].min()
        months = pd.date_range(pd.Timestamp(first), m["ds"].max(), freq="MS")
        run = np.array([b.targets.get(int(d.year), np.nan) / 12.0 for d in months])
        parts.append(pd.DataFrame({"ds": months, "series": "target", "value": run}))
    out = pd.concat(parts, ignore_index=True)
    out["series"] = out["series"].astype("str")
    return out


def _style_axes(ax, title: str, currency: str | None = None) -> None:
    ax.set_title(fit_title(ax, title), loc="left")
    ax.set_ylabel("revenue per month")
    money_axis(ax, "y", currency)
    ax.set_ylim(bottom=0)


def _month_number(ds: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months since year 0 (x positions: cheap to draw, unlike a date axis)."""
    d = pd.DatetimeIndex(ds)
    return (d.year * 12 + d.month - 1).to_numpy(dtype=float)


def _xy(data: pd.DataFrame, series: str) -> tuple[np.ndarray, np.ndarray]:
    d = data[data["series"] == series]
    return _month_number(d["ds"]), d["value"].to_numpy(float)


def _month_ticks(ax, data: pd.DataFrame) -> None:
    """Ticks every quarter, labelled 'Jan 2026' at year starts and 'Apr' etc. otherwise."""
    if data.empty:
        return
    x = _month_number(data["ds"])
    lo, hi = int(x.min()), int(x.max())
    ticks = [m for m in range(lo, hi + 1) if m % 3 == 0]
    names = ("Jan", "Apr", "Jul", "Oct")
    labels = [f"{names[(m % 12) // 3]}\n{m // 12}" if m % 12 == 0 else names[(m % 12) // 3] for m in ticks]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter(labels))
    ax.set_xlim(lo - 0.5, hi + 0.5)


def scenario_chart(
    data: pd.DataFrame, title: str = "Revenue: baseline vs scenario vs target", currency: str | None = None
) -> Figure:
    """Monthly revenue chart from :func:`scenario_chart_data` (revenue in ``currency``); returns a new Figure."""
    fig, ax = new_figure(8.0, 3.4)
    _draw(ax, data)
    _month_ticks(ax, data)
    _style_axes(ax, title, currency)
    legend_outside(ax, ncols=4)
    return fig


def _draw(ax, data: pd.DataFrame) -> dict:
    lines = {}
    styles = {
        "actual": {"color": PALETTE["actual"], "lw": 1.6},
        "baseline": {"color": PALETTE["baseline"], "lw": 1.6, "ls": "--"},
        "scenario": {"color": PALETTE["scenario"], "lw": 2.2},
        "target": {"color": PALETTE["target"], "lw": 1.2, "ls": ":", "drawstyle": "steps-mid"},
    }
    for s in SERIES:
        x, y = _xy(data, s)
        (lines[s],) = ax.plot(x, y, label=LABELS[s], **styles[s])
    return lines


class LiveScenarioChart:
    """One Figure whose lines are updated in place; ``render()`` returns PNG bytes.

    >>> chart = LiveScenarioChart()                       # doctest: +SKIP
    >>> png = chart.update(scenario_chart_data(result))   # doctest: +SKIP

    ``currency`` (the bundle's, ``formatting.currency_of``) labels the revenue axis: '€45k'.
    """

    def __init__(self, width: float = 8.0, height: float = 3.2, dpi: int = 80, currency: str | None = None):
        self.dpi = dpi
        self.fig, self.ax = new_figure(width, height)
        self.lines = _draw(self.ax, pd.DataFrame({"ds": pd.to_datetime([]), "series": [], "value": []}))
        _style_axes(self.ax, "Revenue: baseline vs scenario vs target", currency)
        legend_outside(self.ax, ncols=4)
        self.data: pd.DataFrame | None = None
        self._laid_out = False

    def update(self, data: pd.DataFrame, title: str | None = None) -> bytes:
        """Move the lines to ``data`` (from :func:`scenario_chart_data`) and render PNG bytes."""
        self.data = data
        for s, line in self.lines.items():
            x, y = _xy(data, s)
            line.set_data(x, y)
        if title is not None:
            self.ax.set_title(fit_title(self.ax, title), loc="left")
        vals = data["value"].to_numpy(float)
        top = float(np.nanmax(vals)) if len(vals) and np.isfinite(vals).any() else 1.0
        self.ax.set_ylim(0, max(top * 1.15, 1.0))
        _month_ticks(self.ax, data)
        png = self.render()
        if not self._laid_out:
            # the constrained layout is solved once; later renders keep it (much faster)
            self.fig.set_layout_engine("none")
            self._laid_out = True
        return png

    def render(self) -> bytes:
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.dpi)
        return buf.getvalue()


__all__ = ["LiveScenarioChart", "scenario_chart", "scenario_chart_data"]
