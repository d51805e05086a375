"""Charts of the KPI and plan sections: AR ageing, health, pipeline and action counts.

Every function takes DataFrames produced by :mod:`kamtools.kpis` / :mod:`kamtools.plan`
(as stored in the bundle) and returns a matplotlib Figure; nothing is fitted here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.plotting.style import (
    PALETTE,
    Figure,
    fit_title,
    legend_outside,
    money,
    money_axis,
    new_figure,
    short_label,
    wrapped_label,
)

__all__ = ["action_counts_chart", "ageing_chart", "health_components_chart", "health_distribution_chart"]

_BUCKET_COLOURS = {
    "not_due": PALETTE["good"],
    "0_30": PALETTE["neutral"],
    "31_60": PALETTE["warn"],
    "61_90": PALETTE["target"],
    "90_plus": PALETTE["bad"],
}
_BAND_COLOURS = {"red": PALETTE["bad"], "amber": PALETTE["warn"], "green": PALETTE["good"]}
_PRIORITY_COLOURS = {"high": PALETTE["bad"], "medium": PALETTE["warn"], "low": PALETTE["neutral"]}


def ageing_chart(
    ageing: pd.DataFrame, title: str = "Open receivables by days past due", currency: str | None = None
) -> Figure:
    """Bars of open AR per ageing bucket for one account (or summed over several).

    ``ageing``: rows of the ``receivables`` table (bucket, bucket_label, bucket_order,
    amount). Buckets past due are coloured from blue (0-30 days) to red (over 90 days).
    Amounts are written in ``currency`` (the bundle's).
    """
    g = (
        ageing.groupby(["bucket_order", "bucket", "bucket_label"], observed=True)["amount"]
        .sum()
        .reset_index()
        .sort_values("bucket_order")
    )
    fig, ax = new_figure(6.5, 3.0)
    colours = [_BUCKET_COLOURS.get(b, PALETTE["baseline"]) for b in g["bucket"]]
    bars = ax.bar(g["bucket_label"].astype(str), g["amount"].to_numpy(dtype=float), color=colours)
    for bar, v in zip(bars, g["amount"].to_numpy(dtype=float)):
        if v > 0:
            ax.annotate(
                money(v, currency), (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom", fontsize=8
            )
    money_axis(ax, "y", currency)
    ax.set_ylabel("Open amount")
    ax.set_title(fit_title(ax, title))
    ax.tick_params(axis="x", labelrotation=15)
    ax.grid(axis="x", visible=False)
    return fig


def health_components_chart(components: pd.DataFrame, title: str = "Health score: points per component") -> Figure:
    """Horizontal bars: points each component contributes (filled) out of its maximum (outline).

    ``components``: one account's rows of ``health_components`` (label, contribution,
    max_points). The weights come from the churn evidence, so longer outlines are the
    components that predict churn more.
    """
    c = components.sort_values("max_points", ascending=True)
    labels = [wrapped_label(lab) for lab in c["label"]]
    fig, ax = new_figure(7.5, 0.5 * len(c) + 1.2)
    y = np.arange(len(c))
    ax.barh(y, c["max_points"], color="none", edgecolor=PALETTE["baseline"], lw=1, label="maximum")
    good = c["contribution"] / c["max_points"].where(c["max_points"] > 0)
    colours = [PALETTE["good"] if g >= 0.6 else PALETTE["warn"] if g >= 0.3 else PALETTE["bad"] for g in good.fillna(0)]
    ax.barh(y, c["contribution"], color=colours, label="points")
    ax.set_yticks(y, labels, fontsize=8)
    legend_outside(ax)
    ax.set_xlabel("Points (all components together: 0-100)")
    ax.set_title(fit_title(ax, title))
    ax.grid(axis="y", visible=False)
    return fig


def health_distribution_chart(
    health: pd.DataFrame, bands: tuple[float, float] | None = None, title: str = "Account health across the portfolio"
) -> Figure:
    """Histogram of health scores coloured by band (red / amber / green).

    ``health``: the ``health`` table (health_score, health_band). ``bands`` (red below,
    green from) draws the thresholds when given.
    """
    fig, ax = new_figure(7.0, 3.0)
    bins = np.linspace(0, 100, 21)
    data, colours, labels = [], [], []
    for band in ("red", "amber", "green"):
        s = health.loc[health["health_band"] == band, "health_score"].dropna()
        data.append(s.to_numpy(dtype=float))
        colours.append(_BAND_COLOURS[band])
        labels.append(f"{band} ({len(s):,})")
    ax.hist(data, bins=bins, stacked=True, color=colours, label=labels)
    if bands is not None:
        for b in bands:
            ax.axvline(b, color=PALETTE["baseline"], ls="--", lw=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Health score")
    ax.set_ylabel("Accounts")
    ax.set_title(fit_title(ax, title))
    legend_outside(ax)
    return fig


def action_counts_chart(actions: pd.DataFrame, by: str = "type", title: str | None = None) -> Figure:
    """Stacked horizontal bars: number of plan actions per ``by`` (type or owner) and priority.

    ``actions``: the ``plan_actions`` table (or any frame with ``by`` and ``priority``).
    """
    counts = actions.groupby([by, "priority"], observed=True).size().unstack(fill_value=0)
    counts = counts.reindex(columns=[p for p in ("high", "medium", "low") if p in counts.columns])
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    fig, ax = new_figure(7.0, 0.35 * len(counts) + 1.3)
    left = np.zeros(len(counts))
    y = np.arange(len(counts))
    for p in counts.columns:
        ax.barh(y, counts[p].to_numpy(), left=left, color=_PRIORITY_COLOURS[p], label=p)
        left += counts[p].to_numpy()
    ax.set_yticks(y, [short_label(i) for i in counts.index])
    ax.set_xlabel("Actions")
    ax.set_title(fit_title(ax, title or f"Plan actions by {by} and priority"))
    legend_outside(ax, title="priority")
    ax.grid(axis="y", visible=False)
    return fig
