"""Charts of the segmentation: concentration curve, portfolio matrix, clusters, tiers. They never fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from kamtools.plotting.style import PALETTE, SERIES, legend_outside, money, new_figure, short_label

__all__ = ["cluster_profile_chart", "concentration_chart", "portfolio_matrix_chart", "tier_chart"]

TIER_COLOURS = {1: PALETTE["actual"], 2: PALETTE["forecast"], 3: PALETTE["baseline"]}
QUADRANT_LABELS = {
    "strategic": (75, 97, "STRATEGIC"),
    "develop": (25, 97, "DEVELOP"),
    "maintain": (75, 3, "MAINTAIN"),
    "streamline": (25, 3, "STREAMLINE"),
}


def concentration_chart(curve: pd.DataFrame, thresholds: tuple[float, float] = (0.8, 0.95)) -> Figure:
    """Pareto curve: cumulative share of value against cumulative share of accounts.

    ``curve``: :func:`kamtools.segment.concentration_curve` output, or the bundle's
    ``segment_concentration`` table (one line per ``measure``).
    """
    fig, ax = new_figure(6.5, 3.8)
    groups = list(curve.groupby("measure", sort=False)) if "measure" in curve.columns else [("value", curve)]
    for i, (measure, df) in enumerate(groups):
        x = np.concatenate([[0.0], df["cum_share_accounts"].to_numpy(dtype=float)])
        y = np.concatenate([[0.0], df["cum_share_value"].to_numpy(dtype=float)])
        ax.plot(x, y, color=SERIES[i % len(SERIES)], lw=2, label=str(measure))
        if i == 0 and len(df):
            for t in thresholds:
                reach = np.nonzero(y >= t - 1e-12)[0]
                if len(reach):
                    xs = x[reach[0]]
                    ax.plot([0, xs, xs], [t, t, 0], color=PALETTE["baseline"], lw=0.8, ls=":")
                    ax.annotate(
                        f"{xs:.0%} of accounts -> {t:.0%}",
                        (xs, t),
                        xytext=(6, -12),
                        textcoords="offset points",
                        fontsize=8,
                    )
    ax.plot([0, 1], [0, 1], color=PALETTE["baseline"], lw=0.8, ls="--", label="equal shares")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("share of accounts (largest first)")
    ax.set_ylabel("cumulative share of the total")
    ax.set_title("Concentration (Pareto) curve")
    legend_outside(ax)
    return fig


def portfolio_matrix_chart(
    segments: pd.DataFrame, highlight: str | None = None, label: str | None = None, size_col: str = "revenue_ltm"
) -> Figure:
    """The KAM portfolio matrix: customer attractiveness (y) against our strength (x), 0-100.

    ``segments`` needs ``account_id, attractiveness, strength`` (and ``tier``,
    ``size_col`` when present for colour and dot size). ``highlight`` marks one account.
    """
    fig, ax = new_figure(6.8, 5.2)
    df = segments.dropna(subset=["attractiveness", "strength"])
    if size_col in df.columns and df[size_col].max() > 0:
        size = 12 + 220 * np.sqrt(df[size_col].clip(lower=0) / df[size_col].max())
    else:
        size = np.full(len(df), 24.0)
    if "tier" in df.columns:
        for tier in sorted(df["tier"].dropna().unique()):
            m = (df["tier"] == tier).to_numpy()
            ax.scatter(df.loc[m, "strength"], df.loc[m, "attractiveness"], s=np.asarray(size)[m],
                       color=TIER_COLOURS.get(int(tier), PALETTE["neutral"]), alpha=0.55, edgecolor="white", lw=0.5,
                       label=f"tier {int(tier)}")  # fmt: skip
    else:
        ax.scatter(df["strength"], df["attractiveness"], s=size, color=PALETTE["actual"], alpha=0.55)
    ax.axhline(50, color="black", lw=0.8)
    ax.axvline(50, color="black", lw=0.8)
    for x, y, text in QUADRANT_LABELS.values():
        ax.text(x, y, text, ha="center", va="center", fontsize=9, color="#555", fontweight="bold", alpha=0.8)
    if highlight is not None:
        row = df[df["account_id"] == highlight]
        if len(row):
            sx, sy = float(row["strength"].iloc[0]), float(row["attractiveness"].iloc[0])
            ax.scatter([sx], [sy], s=260, facecolor="none", edgecolor=PALETTE["accent"], lw=2.5, zorder=4)
            ax.annotate(
                short_label(label or highlight),
                (sx, sy),
                xytext=(10, 10),
                textcoords="offset points",
                fontsize=9,
                fontweight="bold",
                color="black",
                zorder=5,
            )
    ax.set_xlim(-2, 102)
    ax.set_ylim(-2, 102)
    ax.set_xlabel("our strength with the customer (0-100)")
    ax.set_ylabel("customer attractiveness (0-100)")
    ax.set_title("Portfolio matrix")
    if "tier" in df.columns:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), markerscale=0.6)
    return fig


def cluster_profile_chart(profiles: pd.DataFrame) -> Figure:
    """Heat map of the clusters' mean features (each feature coloured relative to the clusters).

    ``profiles``: the ``segment_profiles`` table (``cluster_name``, ``n_accounts`` and
    ``mean_<feature>`` columns). Cells show the mean; colours compare clusters per feature.
    """
    feats = [c for c in profiles.columns if c.startswith("mean_")]
    if not feats:
        raise ValueError("the profiles table has no mean_<feature> columns")
    vals = profiles[feats].to_numpy(dtype=float)
    lo, hi = np.nanmin(vals, axis=0), np.nanmax(vals, axis=0)
    rel = (vals - lo) / np.where(hi > lo, hi - lo, 1.0)
    fig, ax = new_figure(1.3 + 1.05 * len(feats), 0.9 + 0.55 * len(profiles))
    ax.imshow(rel, cmap="Blues", aspect="auto", vmin=-0.15, vmax=1.15)
    ax.grid(False)
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            v = vals[i, j]
            text = "" if not np.isfinite(v) else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if rel[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(feats)), [f.removeprefix("mean_").replace("_", "\n") for f in feats], fontsize=8)
    ylabels = [f"{short_label(n)} ({c})" for n, c in zip(profiles["cluster_name"], profiles["n_accounts"])]
    ax.set_yticks(range(len(profiles)), ylabels, fontsize=8)
    ax.set_title("Cluster profiles: mean features (darker = higher)")
    return fig


def tier_chart(segments: pd.DataFrame, value_col: str = "revenue_ltm", currency: str | None = None) -> Figure:
    """Accounts and revenue (in ``currency``) per tier (two bar panels)."""
    g = segments.groupby("tier").agg(accounts=("account_id", "size"), value=(value_col, "sum")).sort_index()
    fig, (ax1, ax2) = new_figure(8.0, 3.0, ncols=2)
    colours = [TIER_COLOURS.get(int(t), PALETTE["neutral"]) for t in g.index]
    labels = [f"tier {int(t)}" for t in g.index]
    ax1.bar(labels, g["accounts"], color=colours)
    ax1.set_title("Accounts per tier")
    ax2.bar(labels, g["value"], color=colours)
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: money(x, currency)))
    share = g["value"] / g["value"].sum() if g["value"].sum() > 0 else g["value"] * 0
    for i, s in enumerate(share):
        ax2.text(i, g["value"].iloc[i], f"{s:.0%}", ha="center", va="bottom", fontsize=9)
    ax2.set_title("Revenue, last 12 months")
    return fig
