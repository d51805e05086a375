"""Charts of whitespace, cross-sell and the trade-lane review.

Each function takes a table produced by :mod:`kamtools.whitespace` (or read from the
bundle) and returns a matplotlib Figure; nothing here fits a model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from kamtools.plotting.style import PALETTE, fit_title, legend_outside, money, money_axis, new_figure, short_label

__all__ = [
    "whitespace_heatmap",
    "adoption_heatmap",
    "top_whitespace_chart",
    "backtest_chart",
    "tradelane_bridge_chart",
    "account_tradelane_chart",
]

STATUS_COLOURS = {"bought": PALETTE["actual"], "lapsed": PALETTE["warn"], "never": "#E8E8E8", "charge": "#F7F7F7"}


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: the table has no column(s) {missing}")


def whitespace_heatmap(
    grid: pd.DataFrame,
    labels: dict[str, str] | None = None,
    max_accounts: int = 30,
    title: str = "Whitespace grid",
    currency: str | None = None,
) -> Figure:
    """Account x category grid: bought (blue, darker = more revenue), lapsed (amber), never (grey).

    ``grid``: rows of the whitespace grid (``account_id, category, status,
    revenue_ltm``; optional ``p_adopt``). Bought cells show last-12-month revenue; open
    cells with an adoption probability show it (e.g. ``"p 12%"``). ``labels`` maps
    account ids to display names. At most ``max_accounts`` accounts (the largest by
    revenue) are drawn; a single account is drawn as one column with the categories
    down the side. Revenue is written in ``currency``.
    """
    _require(grid, ["account_id", "category", "status", "revenue_ltm"], "whitespace_heatmap")
    totals = grid.groupby("account_id", sort=False)["revenue_ltm"].sum().sort_values(ascending=False)
    accounts = totals.index[:max_accounts].tolist()
    sub = grid[grid["account_id"].isin(accounts)]
    categories = sorted(sub["category"].unique())
    n, C = len(accounts), len(categories)
    single = n == 1
    pos_a = {a: i for i, a in enumerate(accounts)}
    pos_c = {c: j for j, c in enumerate(categories)}
    shape = (max(C, 1), 1, 4) if single else (max(n, 1), max(C, 1), 4)
    img = np.ones(shape)
    rev = sub["revenue_ltm"].to_numpy(dtype=float)
    top = np.log1p(rev.max()) if len(rev) and rev.max() > 0 else 1.0
    if single:
        fig, ax = new_figure(5.5, 0.36 * C + 1.2)
    else:
        fig, ax = new_figure(max(6.0, 0.85 * C + 2.5), max(1.6, 0.42 * n + 1.6))
    has_p = "p_adopt" in sub.columns
    for rec in sub.itertuples(index=False):
        i, j = pos_a[rec.account_id], pos_c[rec.category]
        r, c = (j, 0) if single else (i, j)
        colour, text, dark = _heat_cell(rec, top, single, has_p, currency)
        img[r, c] = colour
        if text:
            ax.text(
                c,
                r,
                text,
                ha="center",
                va="center",
                fontsize=7 if not single else 8,
                color="white" if dark else "#222222",
            )
    ax.imshow(img, aspect="auto", interpolation="nearest")
    _heat_ticks(ax, [short_label(labels.get(a, a) if labels else a) for a in accounts], categories, single)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)
    ax.legend(
        handles=[Patch(color=c, label=s) for s, c in STATUS_COLOURS.items()],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
    )
    ax.set_title(fit_title(ax, title))
    return fig


def _heat_cell(rec, top: float, single: bool, has_p: bool, currency: str | None) -> tuple[np.ndarray, str, bool]:
    """(colour, text, dark background) of one grid cell: bought cells shaded by revenue and showing it,
    open cells showing their adoption probability; a single account's cells say their status in words."""
    colour = np.array(to_rgba(STATUS_COLOURS.get(rec.status, "#FFFFFF")))
    text, dark = "", False
    if rec.status == "bought":
        strength = 0.35 + 0.65 * np.log1p(max(rec.revenue_ltm, 0.0)) / top
        colour = colour * strength + np.ones(4) * (1 - strength)
        colour[3] = 1.0
        text, dark = money(rec.revenue_ltm, currency), strength > 0.7
        if single:
            text = f"bought: {text} last 12 months"
    elif has_p and np.isfinite(getattr(rec, "p_adopt", np.nan)):
        text = f"p {rec.p_adopt:.0%}" if not single else f"{rec.status}: {rec.p_adopt:.0%} chance to start in 12 months"
    elif single:
        text = rec.status
    return colour, text, dark


def _heat_ticks(ax, names: list[str], categories: list, single: bool) -> None:
    """Category and account tick labels (categories down the side for a single account) and the cell borders."""
    category_labels = [short_label(c) for c in categories]
    n, C = len(names), len(categories)
    ax.grid(False)
    if single:
        ax.set_yticks(np.arange(C), category_labels, fontsize=8)
        ax.set_xticks([0], names, fontsize=8)
        ax.set_yticks(np.arange(-0.5, C, 1), minor=True)
    else:
        ax.set_xticks(np.arange(C), category_labels, rotation=35, ha="right", fontsize=8)
        ax.set_yticks(np.arange(n), names, fontsize=8)
        ax.set_xticks(np.arange(-0.5, C, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n, 1), minor=True)


def adoption_heatmap(grid: pd.DataFrame, by: str = "industry", title: str | None = None) -> Figure:
    """Share of active accounts buying each category, per group (``by`` column, or the
    industry part of ``peer_group`` when ``by="industry"`` is not a column)."""
    _require(grid, ["account_id", "category", "status"], "adoption_heatmap")
    g = grid
    if by not in g.columns:
        if by == "industry" and "peer_group" in g.columns:
            g = g.assign(industry=g["peer_group"].str.rsplit(", ", n=1).str[0])
        else:
            raise ValueError(f"adoption_heatmap: the grid has no column {by!r}")
    active = g.groupby("account_id")["status"].transform(lambda s: (s == "bought").any())
    g = g[active]
    share = g.assign(b=g["status"] == "bought").pivot_table(index=by, columns="category", values="b", aggfunc="mean")
    fig, ax = new_figure(max(6.0, 0.8 * share.shape[1] + 3), max(2.0, 0.4 * share.shape[0] + 1.6))
    im = ax.imshow(share.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0, vmax=1)
    for (i, j), v in np.ndenumerate(share.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7, color="white" if v > 0.6 else "#222222")
    ax.set_xticks(
        np.arange(share.shape[1]), [short_label(c) for c in share.columns], rotation=35, ha="right", fontsize=8
    )
    ax.set_yticks(np.arange(share.shape[0]), [short_label(i) for i in share.index], fontsize=8)
    ax.grid(False)
    fig.colorbar(im, ax=ax, shrink=0.8, label="share of accounts buying")
    ax.set_title(fit_title(ax, title or f"Category adoption by {by}"))
    return fig


def top_whitespace_chart(
    recommendations: pd.DataFrame, by: str = "category", top: int = 12, currency: str | None = None
) -> Figure:
    """Total expected value of the recommendations per category (or another ``by`` column), in ``currency``."""
    _require(recommendations, [by, "expected_value"], "top_whitespace_chart")
    agg = recommendations.groupby(by)["expected_value"].sum().nlargest(top).iloc[::-1]
    fig, ax = new_figure(7.5, max(2.0, 0.38 * len(agg) + 1.0))
    ax.barh(np.arange(len(agg)), agg.to_numpy(), color=PALETTE["scenario"])
    ax.set_yticks(np.arange(len(agg)), [short_label(i) for i in agg.index])
    money_axis(ax, "x", currency)
    ax.set_xlabel("expected first-year value of the recommendations")
    ax.set_title(f"Cross-sell potential by {by}")
    return fig


def backtest_chart(backtest: pd.DataFrame) -> Figure:
    """Precision at N and hit rate of each scorer and ranking in the backtest, beside popularity."""
    _require(backtest, ["scorer", "ranking", "precision_at_n", "hit_rate"], "backtest_chart")
    rows = backtest.assign(label=backtest["scorer"] + " / " + backtest["ranking"])
    fig, axes = new_figure(9, max(2.4, 0.35 * len(rows) + 1.2), ncols=2)
    y = np.arange(len(rows))
    colours = [
        PALETTE["baseline"] if s == "popularity" else PALETTE["scenario"] if sel else PALETTE["actual"]
        for s, sel in zip(rows["scorer"], rows.get("selected", pd.Series(False, index=rows.index)))
    ]
    n = int(rows["n"].iloc[0]) if "n" in rows.columns and len(rows) else 5
    for ax, col, name in ((axes[0], "precision_at_n", f"precision at {n}"), (axes[1], "hit_rate", f"hit rate at {n}")):
        ax.barh(y, rows[col], color=colours)
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.1%}" if v < 0.1 else f"{v:.0%}")
        ax.set_title(name)
    axes[0].set_yticks(y, rows["label"].tolist(), fontsize=8)
    axes[1].set_yticks(y, [""] * len(y))
    for ax in axes:
        ax.invert_yaxis()  # first row on top
    axes[1].legend(
        handles=[
            Patch(color=PALETTE["scenario"], label="selected"),
            Patch(color=PALETTE["actual"], label="candidate"),
            Patch(color=PALETTE["baseline"], label="popularity baseline"),
        ],
        loc="lower right",
        fontsize=8,
    )
    return fig


def tradelane_bridge_chart(
    summary: pd.DataFrame, title: str = "Revenue bridge, prior 12 months to last 12", currency: str | None = None
) -> Figure:
    """Waterfall from prior-year to last-12-month revenue through new, up, stable, down and lost lines
    (amounts in ``currency``).

    ``summary``: :func:`kamtools.whitespace.tradelane_summary` (rows per status and ``all lines``).
    """
    _require(summary, ["status", "revenue_ltm", "revenue_prior", "revenue_change"], "tradelane_bridge_chart")
    s = summary.set_index("status")
    steps = [("prior 12 months", float(s.loc["all lines", "revenue_prior"]), "total")]
    for status in ("new", "up-trading", "stable", "down-trading", "lost"):
        if status in s.index:
            steps.append((status, float(s.loc[status, "revenue_change"]), "delta"))
    steps.append(("last 12 months", float(s.loc["all lines", "revenue_ltm"]), "total"))
    fig, ax = new_figure(8, 3.6)
    level = 0.0
    for k, (_name, value, kind) in enumerate(steps):
        if kind == "total":
            ax.bar(k, value, color=PALETTE["actual"])
            level = value
            ax.text(k, value, money(value, currency), ha="center", va="bottom", fontsize=8)
        else:
            bottom = level if value >= 0 else level + value
            ax.bar(k, abs(value), bottom=bottom, color=PALETTE["good"] if value >= 0 else PALETTE["bad"])
            ax.text(
                k,
                max(level, level + value),
                f"{'+' if value >= 0 else '-'}{money(abs(value), currency)}",
                ha="center",
                va="bottom",
                fontsize=8,
            )
            level += value
    ax.set_xticks(np.arange(len(steps)), [s_[0] for s_ in steps], rotation=20, ha="right")
    money_axis(ax, "y", currency)
    ax.set_title(fit_title(ax, title))
    return fig


def account_tradelane_chart(
    lanes: pd.DataFrame, title: str = "Product lines: prior 12 months vs last 12", currency: str | None = None
) -> Figure:
    """Paired bars of prior and last-12-month revenue (in ``currency``) per product line of one account,
    with the line's status; loss-making lines are marked."""
    _require(lanes, ["category", "status", "revenue_ltm", "revenue_prior", "loss_making"], "account_tradelane_chart")
    rows = lanes.sort_values("revenue_ltm", ascending=True)
    fig, ax = new_figure(8, max(2.0, 0.45 * len(rows) + 1.0))
    y = np.arange(len(rows))
    ax.barh(y + 0.2, rows["revenue_prior"], height=0.4, color=PALETTE["baseline"], label="prior 12 months")
    ax.barh(y - 0.2, rows["revenue_ltm"], height=0.4, color=PALETTE["actual"], label="last 12 months")
    labels = [
        f"{short_label(c)} ({s}{', LOSS-MAKING' if lm else ''})"
        for c, s, lm in zip(rows["category"], rows["status"], rows["loss_making"])
    ]
    ax.set_yticks(y, labels, fontsize=8)
    money_axis(ax, "x", currency)
    legend_outside(ax)
    ax.set_title(fit_title(ax, title))
    return fig
