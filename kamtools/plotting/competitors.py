"""Charts of the competitor analysis: win rates with intervals, price response, price index, bids.

Each function takes a table produced by :mod:`kamtools.competitors` (or read from the
bundle) and returns a matplotlib Figure; nothing here fits a model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from kamtools.plotting.style import PALETTE, SERIES, fit_title, legend_outside, new_figure, short_label

__all__ = ["winloss_chart", "price_response_chart", "price_index_chart", "account_bids_chart", "threat_chart"]


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: the table has no column(s) {missing}")


def winloss_chart(winloss: pd.DataFrame, title: str = "Our win rate against each competitor") -> Figure:
    """Horizontal bars of win rate per competitor with Wilson intervals.

    ``winloss``: rows of :func:`kamtools.competitors.win_loss` (``competitor, n,
    win_rate, ci_low, ci_high, small_sample``). An ``"All competitors"`` row is drawn
    as a dashed reference line; small samples are drawn hatched and labelled.
    """
    _require(winloss, ["competitor", "n", "win_rate", "ci_low", "ci_high"], "winloss_chart")
    overall = winloss[winloss["competitor"] == "All competitors"]
    rows = winloss[winloss["competitor"] != "All competitors"].sort_values("win_rate", ascending=True)
    fig, ax = new_figure(8, max(2.2, 0.45 * len(rows) + 1.2))
    y = np.arange(len(rows))
    small = rows["small_sample"].to_numpy(dtype=bool) if "small_sample" in rows else np.zeros(len(rows), bool)
    colors = [PALETTE["bad"] if r < 0.4 else PALETTE["warn"] if r < 0.5 else PALETTE["good"] for r in rows["win_rate"]]
    bars = ax.barh(y, rows["win_rate"], color=colors, alpha=0.85)
    for bar, is_small in zip(bars, small):
        if is_small:
            bar.set_hatch("//")
            bar.set_alpha(0.45)
    # the Wilson bounds sit a rounding error beyond 0 or 1 wins of n (5.6e-17 for 0 of 3): no error bar is negative
    err = np.clip(np.vstack([rows["win_rate"] - rows["ci_low"], rows["ci_high"] - rows["win_rate"]]), 0, None)
    ax.errorbar(rows["win_rate"], y, xerr=err, fmt="none", ecolor="#333333", capsize=3, lw=1)
    labels = [
        f"{short_label(c)} (n={n}{', small sample' if s else ''})"
        for c, n, s in zip(rows["competitor"], rows["n"], small)
    ]
    ax.set_yticks(y, labels)
    if len(overall):
        ax.axvline(float(overall["win_rate"].iloc[0]), color=PALETTE["baseline"], ls="--", lw=1.2, label="all bids")
        legend_outside(ax)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("share of decided bids won (bars: 95% interval)")
    ax.set_title(fit_title(ax, title))
    return fig


def price_response_chart(table: pd.DataFrame, title: str = "Win probability by our price premium") -> Figure:
    """The fitted price-response curve with its confidence band.

    ``table``: a :func:`kamtools.competitors.price_response_table` (rows with
    ``kind == "curve"``) or a frame from ``PriceResponseModel.curve()`` (``premium,
    win_probability, ci_low, ci_high``). Marks price parity and, when present, the
    summary premium (e.g. +5%).
    """
    if "kind" in table.columns:
        curve = table[table["kind"] == "curve"].rename(columns={"value": "win_probability"})
        summary = table[table["kind"] == "summary"].set_index("term")
    else:
        curve, summary = table, None
    _require(curve, ["premium", "win_probability", "ci_low", "ci_high"], "price_response_chart")
    curve = curve.sort_values("premium")
    fig, ax = new_figure(7, 3.6)
    x = curve["premium"].to_numpy(dtype=float)
    ax.fill_between(x, curve["ci_low"], curve["ci_high"], color=PALETTE["actual"], alpha=0.18, label="95% interval")
    ax.plot(x, curve["win_probability"], color=PALETTE["actual"], lw=2, label="average win probability")
    ax.axvline(0, color=PALETTE["baseline"], lw=1, ls=":")
    if summary is not None and "win_probability_at_premium" in summary.index:
        prem = float(summary.loc["win_probability_at_premium", "premium"])
        for term, colour in (
            ("win_probability_at_parity", PALETTE["good"]),
            ("win_probability_at_premium", PALETTE["bad"]),
        ):
            px = 0.0 if term.endswith("parity") else prem
            py = float(summary.loc[term, "value"])
            ax.plot([px], [py], "o", color=colour)
            ax.annotate(f"{py:.0%}", (px, py), textcoords="offset points", xytext=(6, 6))
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:+.0%}")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("our price vs the competitor's (premium)")
    ax.set_ylabel("win probability")
    ax.set_ylim(0, 1)
    legend_outside(ax)
    ax.set_title(fit_title(ax, title))
    return fig


def price_index_chart(index: pd.DataFrame, category: str = "All categories", title: str | None = None) -> Figure:
    """Competitors' price index (their price as % of ours) over time, one line each.

    ``index``: :func:`kamtools.competitors.price_index` (``competitor, category,
    period_start, price_index``). 100 = the same price as ours; below = cheaper.
    """
    _require(index, ["competitor", "category", "period_start", "price_index"], "price_index_chart")
    sub = index[index["category"] == category]
    fig, ax = new_figure(8, 3.4)
    for k, (comp, part) in enumerate(sub.groupby("competitor", sort=True)):
        part = part.sort_values("period_start")
        ax.plot(
            part["period_start"],
            part["price_index"],
            marker="o",
            ms=3,
            color=SERIES[k % len(SERIES)],
            label=short_label(comp),
        )
    ax.axhline(100, color=PALETTE["baseline"], ls="--", lw=1, label="our price")
    ax.set_ylabel("competitor price, % of ours")
    ax.set_title(fit_title(ax, title or f"Competitor price index ({category})"))
    if len(sub):
        legend_outside(ax)
    return fig


def account_bids_chart(bids: pd.DataFrame, title: str = "Bids won and lost by competitor") -> Figure:
    """Stacked bars of won and lost bids per competitor for one account.

    ``bids``: rows of :func:`kamtools.competitors.account_bids` (``competitor, wins, losses``).
    """
    _require(bids, ["competitor", "wins", "losses"], "account_bids_chart")
    rows = bids.sort_values("losses", ascending=True)
    fig, ax = new_figure(7, max(1.8, 0.45 * len(rows) + 1.0))
    y = np.arange(len(rows))
    ax.barh(y, rows["wins"], color=PALETTE["good"], label="won")
    ax.barh(y, rows["losses"], left=rows["wins"], color=PALETTE["bad"], label="lost")
    ax.set_yticks(y, [short_label(c) for c in rows["competitor"]])
    ax.set_xlabel("decided bids")
    legend_outside(ax)
    ax.set_title(fit_title(ax, title))
    return fig


def threat_chart(threat: pd.DataFrame, labels: pd.Series | None = None, top: int = 15) -> Figure:
    """The ``top`` accounts by competitor threat score, coloured by band.

    ``threat``: :func:`kamtools.competitors.threat_score` rows; ``labels`` (optional,
    aligned on ``threat``'s index) replaces account ids on the axis, e.g. account names.
    """
    _require(threat, ["account_id", "threat_score", "threat_band", "main_competitor"], "threat_chart")
    rows = threat.nlargest(top, "threat_score").iloc[::-1]
    names = (labels.loc[rows.index] if labels is not None else rows["account_id"]).astype(str)
    colour = {"high": PALETTE["bad"], "medium": PALETTE["warn"], "low": PALETTE["good"]}
    fig, ax = new_figure(8, max(2.2, 0.38 * len(rows) + 1.0))
    y = np.arange(len(rows))
    ax.barh(y, rows["threat_score"], color=[colour.get(b, PALETTE["neutral"]) for b in rows["threat_band"]])
    ax.set_yticks(
        y,
        [
            f"{short_label(n)} ({short_label(c)})" if c else short_label(n)
            for n, c in zip(names, rows["main_competitor"])
        ],
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("threat score (0-100)")
    legend_outside(ax, handles=[Patch(color=v, label=k) for k, v in colour.items()])
    ax.set_title("Accounts most under competitor threat")
    return fig
