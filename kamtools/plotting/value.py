"""Charts of the value model (expected future value, P(alive)). They draw; they never fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kamtools.plotting.style import PALETTE, fit_title, legend_outside, log_scale, new_figure, short_label
from kamtools.value.reading import LAPSED, SCORE_AXIS

__all__ = ["value_distribution_chart", "value_position_chart", "holdout_chart"]


def _value_col(value: pd.DataFrame) -> str:
    cols = [c for c in value.columns if c.startswith("expected_value_")]
    if not cols:
        raise ValueError("the value table has no expected_value_<n>m column")
    return cols[0]


def value_distribution_chart(
    value: pd.DataFrame, title: str | None = None, currency: str | None = None, shown_as: str = "probability"
) -> Figure:
    """Two panels: accounts by expected 12-month value (log scale), and by P(alive).

    ``value``: the value bundle table (``expected_value_12m``, ``p_alive``); ``currency``: of the value axis;
    ``shown_as``: ``"score"`` when P(alive) is no probability on this portfolio
    (:func:`kamtools.value.reading.p_alive_shown_as`): the second panel then shows the activity
    score on 0-100 in one colour, with no count of accounts below 50%.
    """
    col = _value_col(value)
    fig, (ax1, ax2) = new_figure(9.5, 3.4, ncols=2)
    ev = value[col].to_numpy(dtype=float)
    pos = ev[np.isfinite(ev) & (ev > 0)]
    if len(pos):
        lo, hi = np.log10(max(pos.min(), 1.0)), np.log10(pos.max() * 1.01)
        bins = np.logspace(lo, max(hi, lo + 0.1), 25)
        ax1.hist(pos, bins=bins, color=PALETTE["actual"], alpha=0.85)
        log_scale(ax1, "x", currency)
        total = pos.sum()
        top = np.sort(pos)[::-1]
        k = max(1, int(np.ceil(0.2 * len(top))))
        ax1.text(
            0.02,
            0.95,
            f"top 20% of accounts: {top[:k].sum() / total:.0%} of the value",
            transform=ax1.transAxes,
            va="top",
            fontsize=9,
        )
    ax1.set_xlabel("expected revenue, next 12 months (log scale)")
    ax1.set_ylabel("accounts")
    ax1.set_title(fit_title(ax1, title or "Expected 12-month value"))
    pa = value["p_alive"].to_numpy(dtype=float)
    pa = pa[np.isfinite(pa)]
    if shown_as == "score":  # a ranking: no threshold colours, no count of accounts that stopped
        counts, edges = np.histogram(pa * 100, bins=np.linspace(0, 100, 21))
        ax2.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=PALETTE["baseline"], alpha=0.85)
        ax2.set_xlabel(SCORE_AXIS)
        ax2.set_ylabel("accounts")
        ax2.set_title("Activity score (a ranking, not a probability)")
        return fig
    bins = np.linspace(0, 1, 21)
    counts, edges = np.histogram(pa, bins=bins)
    colours = [PALETTE["bad"] if e < LAPSED else PALETTE["warn"] if e < 0.8 else PALETTE["good"] for e in edges[:-1]]
    ax2.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=colours, alpha=0.85)
    ax2.set_xlabel("P(alive): probability the account still buys")
    ax2.set_ylabel("accounts")
    ax2.set_title("Still buying?")
    ax2.text(0.02, 0.95, f"{(pa < LAPSED).sum()} account(s) below 50%", transform=ax2.transAxes, va="top", fontsize=9)
    return fig


def value_position_chart(
    value: pd.DataFrame,
    highlight: str | None = None,
    names: dict | None = None,
    currency: str | None = None,
    shown_as: str = "probability",
) -> Figure:
    """Every account as a dot: P(alive) against expected 12-month value (in ``currency``); ``highlight`` one account.

    ``shown_as="score"``: P(alive) is no probability on this portfolio; the vertical axis is the
    activity score (0-100), with no 50% line.
    """
    col = _value_col(value)
    fig, ax = new_figure(7.0, 3.6)
    ev = value[col].clip(lower=1.0)
    scale = 100.0 if shown_as == "score" else 1.0
    ax.scatter(ev, value["p_alive"] * scale, s=14, color=PALETTE["baseline"], alpha=0.45, label="all accounts")
    if highlight is not None:
        row = value[value["account_id"] == highlight]
        if len(row):
            label = (names or {}).get(highlight, highlight)
            ax.scatter(
                row[col].clip(lower=1.0),
                row["p_alive"] * scale,
                s=120,
                color=PALETTE["accent"],
                edgecolor="black",
                zorder=3,
                label=short_label(label),
            )
    log_scale(ax, "x", currency)
    ax.set_ylim(-0.03 * scale, 1.05 * scale)
    if shown_as == "score":
        ax.set_ylabel(SCORE_AXIS)
        ax.set_title("Expected value and activity score")
    else:
        ax.axhline(LAPSED, color=PALETTE["bad"], lw=0.8, ls="--")
        ax.set_ylabel("P(alive)")
        ax.set_title("Expected value and probability of still buying")
    ax.set_xlabel("expected revenue, next 12 months (log scale)")
    legend_outside(ax)
    return fig


def holdout_chart(summary: pd.DataFrame, predicted: np.ndarray | pd.Series, n_groups: int = 8) -> Figure:
    """Backtest: mean actual vs predicted holdout purchases by calibration frequency.

    ``summary``: :func:`kamtools.value.rfm_summary` with ``calibration_end`` (needs
    ``frequency`` and ``frequency_holdout``); ``predicted``: expected holdout purchases
    per row (e.g. ``bg.expected_purchases(summary["duration_holdout"], ...)``). With more
    than ``n_groups`` distinct frequencies, accounts are grouped into frequency quantiles.
    """
    freq = summary["frequency"].to_numpy()
    df = pd.DataFrame(
        {"actual": summary["frequency_holdout"].to_numpy(dtype=float), "predicted": np.asarray(predicted, dtype=float)}
    )
    if len(np.unique(freq)) > n_groups:
        edges = np.unique(np.quantile(freq, np.linspace(0, 1, n_groups + 1)))
        group = np.clip(np.searchsorted(edges, freq, side="right") - 1, 0, len(edges) - 2)
        labels = [f"{int(edges[i])}-{int(edges[i + 1])}" for i in range(len(edges) - 1)]
    else:
        uniq = np.unique(freq)
        group = np.searchsorted(uniq, freq)
        labels = [str(int(u)) for u in uniq]
    df["group"] = group
    g = df.groupby("group")[["actual", "predicted"]].mean()
    fig, ax = new_figure(7.0, 3.4)
    x = np.arange(len(g))
    ax.plot(x, g["actual"], marker="o", color=PALETTE["actual"], label="actual")
    ax.plot(x, g["predicted"], marker="s", ls="--", color=PALETTE["forecast"], label="model")
    ax.set_xticks(x, [labels[i] for i in g.index], fontsize=8)
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout")
    ax.set_title("Backtest: holdout purchases, actual vs model")
    legend_outside(ax)
    return fig
