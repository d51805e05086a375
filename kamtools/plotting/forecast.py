"""Charts of the revenue forecast: history with forecast bands, target gap, backtest accuracy.

They take the forecast stage's tables (or any frames with the same columns) and return a
matplotlib Figure; they never fit anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from kamtools.plotting.style import PALETTE, fit_title, legend_outside, money_axis, new_figure

__all__ = ["forecast_chart", "target_gap_chart", "backtest_chart", "target_probability_chart"]


def forecast_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    title: str | None = None,
    months_of_history: int | None = 36,
    monthly_target: pd.DataFrame | None = None,
    currency: str | None = None,
) -> Figure:
    """Monthly actuals, then the forecast with its 80% and 95% intervals.

    history : ``ds, y`` (one series; complete months).
    forecast : ``ds, forecast, lo_80, hi_80, lo_95, hi_95`` (one series).
    months_of_history : show only the last N months of actuals (None: all).
    monthly_target : optional ``period, revenue_target``: drawn as the monthly run rate
        each year's target asks for (target / 12), as a dashed step line.
    currency : the bundle's currency (``formatting.currency_of``): the revenue axis reads '€45k'.
    """
    fig, ax = new_figure(9.0, 3.6)
    hist = history.sort_values("ds")
    if months_of_history is not None and len(hist) > months_of_history:
        hist = hist.iloc[-months_of_history:]
    fc = forecast.sort_values("ds")
    ax.plot(hist["ds"], hist["y"], color=PALETTE["actual"], lw=1.8, marker="o", ms=3, label="actual")
    if len(fc):
        if "lo_95" in fc.columns:
            ax.fill_between(
                fc["ds"], fc["lo_95"], fc["hi_95"], color=PALETTE["forecast"], alpha=0.18, lw=0, label="95% interval"
            )
        if "lo_80" in fc.columns:
            ax.fill_between(
                fc["ds"], fc["lo_80"], fc["hi_80"], color=PALETTE["forecast"], alpha=0.35, lw=0, label="80% interval"
            )
        # join the last actual to the first forecast so the line reads continuously
        if len(hist):
            ax.plot(
                [hist["ds"].iloc[-1], fc["ds"].iloc[0]],
                [hist["y"].iloc[-1], fc["forecast"].iloc[0]],
                color=PALETTE["forecast"],
                lw=1.2,
                ls=":",
            )
        ax.plot(fc["ds"], fc["forecast"], color=PALETTE["forecast"], lw=2.0, marker="o", ms=3, label="forecast")
        ax.axvline(fc["ds"].iloc[0], color=PALETTE["baseline"], lw=0.8, ls="--")
    if monthly_target is not None and len(monthly_target):
        start = hist["ds"].min() if len(hist) else fc["ds"].min()
        end = fc["ds"].max() if len(fc) else hist["ds"].max()
        first = True
        for rec in monthly_target.itertuples(index=False):
            year, target = int(rec.period), float(rec.revenue_target)
            x0 = max(pd.Timestamp(year=year, month=1, day=1), start)
            x1 = min(pd.Timestamp(year=year, month=12, day=1), end)
            if x0 > x1:
                continue
            ax.hlines(
                target / 12,
                x0,
                x1,
                colors=PALETTE["target"],
                linestyles="--",
                lw=1.4,
                label="target / 12" if first else None,
            )
            first = False
    ax.set_ylim(bottom=0) if (len(hist) == 0 or hist["y"].min() >= 0) else None
    money_axis(ax, "y", currency)
    ax.set_ylabel("revenue per month")
    ax.set_title(fit_title(ax, title or "Monthly revenue: actuals and forecast"))
    legend_outside(ax)
    fig.autofmt_xdate()
    return fig


def target_gap_chart(
    targets: pd.DataFrame,
    title: str | None = None,
    level: int = 80,
    currency: str | None = None,
    unchecked: bool = False,
) -> Figure:
    """Per year: revenue booked, expected remainder (with its interval) and the target.

    targets : ``period, revenue_target, booked_ytd, expected_total, total_lo_<level>,
    total_hi_<level>`` and optionally ``p_reach_target`` (one row per year), as in the
    ``forecast_targets`` (one account) or ``forecast_portfolio_target`` tables.
    ``currency``: the currency of the revenue axis. ``unchecked``: no out-of-time check of any kind stands behind
    the chances, so a year still to come reads 'P(target) 100% (unchecked)', as the cards and decks mark it.
    """
    t = targets.sort_values("period").reset_index(drop=True)
    fig, ax = new_figure(8.0, 1.4 + 0.75 * max(len(t), 1))
    if t.empty:
        ax.text(0.5, 0.5, "no targets", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    y = np.arange(len(t))
    booked = t["booked_ytd"].to_numpy(float)
    expected = t["expected_total"].to_numpy(float)
    ax.barh(y, booked, color=PALETTE["actual"], height=0.55, label="booked")
    ax.barh(
        y,
        np.maximum(expected - booked, 0),
        left=booked,
        color=PALETTE["forecast"],
        alpha=0.6,
        height=0.55,
        label="expected still to come",
    )
    lo_col, hi_col = f"total_lo_{level}", f"total_hi_{level}"
    if lo_col in t.columns and hi_col in t.columns:
        lo = t[lo_col].to_numpy(float)
        hi = t[hi_col].to_numpy(float)
        ax.errorbar(
            expected,
            y,
            # a range may sit beside its expected total (a silent account's rest of the year): no negative arm
            xerr=[np.clip(expected - lo, 0, None), np.clip(hi - expected, 0, None)],
            fmt="none",
            ecolor="black",
            capsize=4,
            lw=1,
            label=f"{level}% interval",
        )
    ax.scatter(
        t["revenue_target"], y, marker="|", s=900, color=PALETTE["target"], linewidths=3, label="target", zorder=5
    )
    labels = []
    for rec in t.itertuples(index=False):
        lab = str(int(rec.period))
        p = getattr(rec, "p_reach_target", None)
        if p is not None and pd.notna(p):
            months = getattr(rec, "months_remaining", None)
            mark = unchecked and (months is None or pd.isna(months) or months > 0)
            lab += f"\nP(target) {p:.0%}" + (" (unchecked)" if mark else "")
        labels.append(lab)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    money_axis(ax, "x", currency)
    ax.set_xlabel("revenue in the year")
    ax.set_title(fit_title(ax, title or "Year totals against target"))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), fontsize=8, ncols=4)
    ax.set_xlim(left=0)
    return fig


def backtest_chart(
    per_series: pd.DataFrame,
    title: str | None = None,
    highlight: str | None = None,
    baseline: str = "seasonal naive",
) -> Figure:
    """Backtest MASE of the forecast against its baseline, one dot per series.

    per_series : ``mase, mase_naive`` (and ``account_id`` or ``unique_id`` to highlight one).
    baseline : what the baseline was, in words (seasonal naive needs two years of history;
        shorter backtests compare with the mean of the last 6 months).
    Dots below the diagonal: the forecast beat the baseline.
    """
    fig, ax = new_figure(4.8, 4.2)
    d = per_series.dropna(subset=["mase", "mase_naive"])
    if d.empty:
        ax.text(0.5, 0.5, "no backtest", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    hi = float(np.nanquantile(np.r_[d["mase"], d["mase_naive"]], 0.98)) * 1.1
    better = d["mase"] < d["mase_naive"]
    ax.scatter(
        d.loc[better, "mase_naive"],
        d.loc[better, "mase"],
        s=14,
        color=PALETTE["good"],
        alpha=0.7,
        label=f"forecast better ({better.mean():.0%})",
    )
    ax.scatter(
        d.loc[~better, "mase_naive"],
        d.loc[~better, "mase"],
        s=14,
        color=PALETTE["bad"],
        alpha=0.7,
        label=f"{baseline} better",
    )
    key = "account_id" if "account_id" in d.columns else "unique_id" if "unique_id" in d.columns else None
    if highlight is not None and key is not None:
        row = d[d[key].astype(str) == str(highlight)]
        if len(row):
            ax.scatter(
                row["mase_naive"], row["mase"], s=120, facecolors="none", edgecolors="black", lw=2, label="this account"
            )
    ax.plot([0, hi], [0, hi], color=PALETTE["baseline"], lw=1, ls="--")
    ax.set_xlim(0, hi)
    ax.set_ylim(0, hi)
    ax.set_xlabel(f"MASE of {baseline}")
    ax.set_ylabel("MASE of the forecast")
    ax.set_title(fit_title(ax, title or f"Backtest error: forecast vs {baseline}"))
    legend_outside(ax)
    return fig


def target_probability_chart(targets: pd.DataFrame, period: int, title: str | None = None) -> Figure:
    """Accounts by probability of reaching their ``period`` target (``forecast_targets`` rows)."""
    fig, ax = new_figure(6.5, 3.2)
    p = targets.loc[targets["period"] == period, "p_reach_target"].to_numpy(dtype=float)
    p = p[np.isfinite(p)]
    bins = np.linspace(0, 1, 11)
    counts, edges = np.histogram(p, bins=bins)
    colours = [PALETTE["bad"] if e < 0.3 else PALETTE["warn"] if e < 0.6 else PALETTE["good"] for e in edges[:-1]]
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=colours, alpha=0.85, edgecolor="white")
    ax.set_xlabel(f"probability of reaching the {period} target")
    ax.set_ylabel("accounts")
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0%}"))
    ax.set_title(fit_title(ax, title or f"How likely is each account to reach its {period} target?"))
    return fig
