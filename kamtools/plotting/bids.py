"""Charts of the bid desk: the win/margin curve of one bid, the pipeline by margin gained,
where we lose, and the tender calendar.

Each function takes a table of the bid stage of the bundle (``bid_curves``,
``bid_recommendations``, ``bid_loss_summary``, ``tender_calendar``) and returns a
matplotlib Figure; nothing here fits a model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from kamtools.plotting.style import PALETTE, SERIES, fit_title, legend_outside, money, new_figure, short_label

__all__ = [
    "bid_curve_chart",
    "pipeline_gain_chart",
    "loss_reasons_chart",
    "reliability_chart",
    "tender_calendar_chart",
]


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: the table has no column(s) {missing}")


def price_text(x: float) -> str:
    """A price as the bid tables show it (one decimal below 1,000, none above)."""
    return f"{x:,.1f}" if abs(x) < 1000 else f"{x:,.0f}"


def _money_axis(ax, axis: str = "y", currency: str | None = None) -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: money(v, currency)))


def bid_curve_chart(
    curve: pd.DataFrame,
    current_price: float | None = None,
    recommended_price: float | None = None,
    floor_price: float | None = None,
    title: str = "Win probability and expected margin by our price",
    current_values: tuple[float, float] | None = None,
    recommended_values: tuple[float, float] | None = None,
    good_range: tuple[float, float] | None = None,
    currency: str | None = None,
    competitor: tuple[str, float] | None = None,
) -> Figure:
    """P(win) (with its band) and expected margin against our price for one open bid.

    ``curve``: the rows of ``bid_curves`` for one opportunity (``price, p_win, p_win_low,
    p_win_high, expected_margin``). The current and the recommended price are marked with
    vertical lines and a dot on each curve, labelled with (P(win), expected margin): the
    ``current_values`` / ``recommended_values`` when given (the figures of the
    recommendations table, so chart and table agree), else read off the curve by
    interpolation. A floor price, when given, shades the prices below it; ``good_range``
    (low, high) shades the prices whose expected margin is close to the best. Margins are in ``currency``.
    ``competitor`` (label, price): the competitor's price (quoted or from the index), marked with a dotted
    vertical line labelled with that text, drawn literally (a name from the data is never markup).
    """
    _require(curve, ["price", "p_win", "expected_margin"], "bid_curve_chart")
    c = curve.sort_values("price")
    x = c["price"].to_numpy(dtype=float)
    fig, (top, bottom) = new_figure(7.5, 5.0, nrows=2)
    top.sharex(bottom)
    if {"p_win_low", "p_win_high"} <= set(c.columns):
        top.fill_between(x, c["p_win_low"], c["p_win_high"], color=PALETTE["actual"], alpha=0.18, label="90% band")
    top.plot(x, c["p_win"], color=PALETTE["actual"], lw=2, label="P(win)")
    bottom.plot(x, c["expected_margin"], color=PALETTE["forecast"], lw=2, label="expected margin")
    marks = [
        (current_price, current_values, "current", PALETTE["baseline"], "--"),
        (recommended_price, recommended_values, "recommended", PALETTE["scenario"], "-"),
    ]
    kept = current_price is not None and recommended_price is not None and current_price == recommended_price
    for price, given, name, colour, style in marks:
        if price is None or not np.isfinite(price) or len(x) == 0 or (kept and name == "recommended"):
            continue  # a kept price is marked once, as the current price to keep
        name = "current price to keep" if kept else f"{name} price"
        p = float(price)
        for k, (ax, col, fmt) in enumerate(
            ((top, "p_win", lambda v: f"{v:.0%}"), (bottom, "expected_margin", lambda v: money(v, currency)))
        ):
            y = float(np.interp(p, x, c[col].to_numpy(dtype=float)))
            if given is not None and np.isfinite(given[k]):
                y = float(given[k])
            ax.axvline(p, color=colour, ls=style, lw=1.3)
            ax.plot([p], [y], "o", color=colour, ms=6)
            ax.annotate(fmt(y), (p, y), textcoords="offset points", xytext=(5, 6), fontsize=8, color=colour)
        bottom.plot([], [], color=colour, ls=style, lw=1.3, label=f"{name} {price_text(p)}")
    if competitor is not None and competitor[1] is not None and np.isfinite(competitor[1]) and len(x):
        label, theirs = short_label(competitor[0]), float(competitor[1])
        for ax in (top, bottom):
            ax.axvline(theirs, color=PALETTE["bad"], ls=":", lw=1.3)
        top.text(theirs, 0.03, f" {label}", rotation=90, va="bottom", ha="right", fontsize=8, color=PALETTE["bad"])
        bottom.plot([], [], color=PALETTE["bad"], ls=":", lw=1.3, label=f"{label} {price_text(theirs)}")
    if floor_price is not None and np.isfinite(floor_price) and len(x) and floor_price > x.min() + 0.02 * np.ptp(x):
        for ax in (top, bottom):
            ax.axvspan(x.min(), float(floor_price), color=PALETTE["bad"], alpha=0.07, lw=0)
        bottom.plot([], [], color=PALETTE["bad"], alpha=0.3, lw=6, label=f"below the floor {price_text(floor_price)}")
    if (
        good_range is not None
        and all(v is not None and np.isfinite(v) for v in good_range)
        and good_range[1] > good_range[0]
    ):
        for ax in (top, bottom):
            ax.axvspan(float(good_range[0]), float(good_range[1]), color=PALETTE["scenario"], alpha=0.10, lw=0)
        bottom.plot(
            [],
            [],
            color=PALETTE["scenario"],
            alpha=0.3,
            lw=6,
            label=f"good range {price_text(good_range[0])}-{price_text(good_range[1])}",
        )
    top.set_ylim(0, 1)
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0%}"))
    top.set_ylabel("P(win)")
    top.legend(loc="upper right", fontsize=8)
    top.tick_params(labelbottom=False)
    _money_axis(bottom, "y", currency)
    bottom.set_ylabel("expected margin")
    bottom.set_xlabel("our price")
    bottom.legend(loc="best", fontsize=8)
    top.set_title(fit_title(top, title))
    return fig


def pipeline_gain_chart(
    recs: pd.DataFrame,
    labels: pd.Series | None = None,
    top: int = 15,
    title: str = "Expected margin gained per open bid",
    currency: str | None = None,
) -> Figure:
    """Horizontal bars of the expected margin gained per open bid, with its band.

    ``recs``: rows of ``bid_recommendations`` (``opportunity_id, expected_margin_gain``
    and, when present, ``expected_margin_gain_low/high``); ``labels`` (aligned on
    ``recs``' index) replaces the opportunity ids on the axis; margins are in ``currency``.
    """
    _require(recs, ["opportunity_id", "expected_margin_gain"], "pipeline_gain_chart")
    rows = recs.nlargest(top, "expected_margin_gain").iloc[::-1]
    names = (labels.loc[rows.index] if labels is not None else rows["opportunity_id"]).astype(str)
    fig, ax = new_figure(9, max(2.2, 0.36 * len(rows) + 1.2))
    y = np.arange(len(rows))
    gain = rows["expected_margin_gain"].to_numpy(dtype=float)
    ax.barh(y, gain, color=PALETTE["scenario"], alpha=0.85, label="expected margin gained")
    if {"expected_margin_gain_low", "expected_margin_gain_high"} <= set(rows.columns):
        lo = rows["expected_margin_gain_low"].to_numpy(dtype=float)
        hi = rows["expected_margin_gain_high"].to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            err = np.vstack([np.clip(gain - lo, 0, None), np.clip(hi - gain, 0, None)])[:, ok]
            ax.errorbar(gain[ok], y[ok], xerr=err, fmt="none", ecolor="#333333", capsize=3, lw=1, label="90% band")
    ax.set_yticks(y, [short_label(n, 48) for n in names])
    ax.axvline(0, color=PALETTE["baseline"], lw=1)
    _money_axis(ax, "x", currency)
    ax.set_xlabel("at the recommended price minus at the current one")
    if len(rows):
        legend_outside(ax)
    ax.set_title(fit_title(ax, title))
    return fig


def loss_reasons_chart(summary: pd.DataFrame, title: str = "Bids lost on price and on other reasons") -> Figure:
    """Stacked bars per competitor: bids lost on price, on other reasons, without a reason, won.

    ``summary``: ``bid_loss_summary`` rows (``competitor, won, lost_on_price, lost_other``
    and, when present, ``lost``); rows of several categories are added up per competitor.
    """
    _require(summary, ["competitor", "won", "lost_on_price", "lost_other"], "loss_reasons_chart")
    cols = ["won", "lost_on_price", "lost_other", *(["lost"] if "lost" in summary.columns else [])]
    agg = summary.groupby("competitor", sort=True)[cols].sum()
    agg["lost_unknown"] = (agg["lost"] - agg["lost_on_price"] - agg["lost_other"]).clip(lower=0) if "lost" in agg else 0
    agg = agg.assign(total=agg[["won", "lost_on_price", "lost_other", "lost_unknown"]].sum(axis=1)).sort_values("total")
    fig, ax = new_figure(8, max(2.0, 0.42 * len(agg) + 1.2))
    y = np.arange(len(agg))
    left = np.zeros(len(agg))
    for col, label, colour in (
        ("lost_on_price", "lost on price", PALETTE["bad"]),
        ("lost_other", "lost on other reasons", PALETTE["warn"]),
        ("lost_unknown", "lost, no reason recorded", PALETTE["baseline"]),
        ("won", "won", PALETTE["good"]),
    ):
        vals = agg[col].to_numpy(dtype=float)
        if col == "lost_unknown" and not vals.any():
            continue
        ax.barh(y, vals, left=left, color=colour, label=label)
        left += vals
    ax.set_yticks(y, [short_label(c) for c in agg.index])
    ax.set_xlabel("decided bids")
    if len(agg):
        legend_outside(ax)
    ax.set_title(fit_title(ax, title))
    return fig


def reliability_chart(
    reliability: pd.DataFrame,
    title: str = "Predicted win probability against the share won (out of time)",
    min_bids: int = 10,
) -> Figure:
    """Reliability diagram of the win model and its baselines.

    ``reliability``: ``bid_reliability`` rows (``method, mean_predicted, observed_rate, n``),
    one per method and probability bin. Points on the diagonal mean "bids given 30% were
    won 30% of the time"; marker area shows how many bids each bin holds. Bins of fewer than
    ``min_bids`` bids are left out (their share won is noise).
    """
    _require(reliability, ["method", "mean_predicted", "observed_rate", "n"], "reliability_chart")
    reliability = reliability[reliability["n"] >= min_bids]
    fig, ax = new_figure(5.8, 4.4)
    ax.plot([0, 1], [0, 1], color=PALETTE["baseline"], ls="--", lw=1, label="perfectly calibrated")
    top = max(int(reliability["n"].max()), 1) if len(reliability) else 1
    for i, (name, grp) in enumerate(reliability.groupby("method", sort=False)):
        grp = grp.sort_values("mean_predicted")
        colour = SERIES[i % len(SERIES)]
        ax.plot(grp["mean_predicted"], grp["observed_rate"], color=colour, lw=1.5, label=short_label(name))
        ax.scatter(grp["mean_predicted"], grp["observed_rate"], s=12 + 120 * grp["n"] / top, color=colour, zorder=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    pct = FuncFormatter(lambda v, _pos: f"{v:.0%}")
    ax.xaxis.set_major_formatter(pct)
    ax.yaxis.set_major_formatter(pct)
    ax.set_xlabel(f"predicted P(win) (bin mean; bins of at least {min_bids} bids)")
    ax.set_ylabel("share of those bids won")
    legend_outside(ax)
    ax.set_title(fit_title(ax, title))
    return fig


def tender_calendar_chart(
    calendar: pd.DataFrame,
    title: str = "Expected tenders by month, next 12 months (number of tenders on each bar)",
    start: object = None,
    months: int = 12,
    currency: str | None = None,
) -> Figure:
    """Bars of the expected tender value per month, labelled with the number of tenders.

    ``calendar``: ``tender_calendar`` rows already cut to the months to show
    (``expected_month`` as a date or ``YYYY-MM`` text, ``expected_value``). With ``start``
    (a date), the axis shows every one of ``months`` months from its month on, empty ones too.
    Values are in ``currency``.
    """
    _require(calendar, ["expected_month", "expected_value"], "tender_calendar_chart")
    when = pd.to_datetime(calendar["expected_month"].astype(str), errors="coerce").dt.to_period("M")
    grouped = (
        pd.DataFrame({"month": when, "value": calendar["expected_value"].astype(float)})
        .dropna(subset=["month"])
        .groupby("month")["value"]
        .agg(["sum", "count"])
        .sort_index()
    )
    if start is not None:
        first = pd.Timestamp(start).to_period("M")
        grouped = grouped.reindex(pd.period_range(first, periods=months, freq="M"), fill_value=0)
    fig, ax = new_figure(8, 3.0)
    x = np.arange(len(grouped))
    bars = ax.bar(x, grouped["sum"], color=PALETTE["neutral"])
    for bar, n in zip(bars, grouped["count"]):
        if not n:
            continue
        ax.annotate(
            f"{int(n)}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            textcoords="offset points",
            xytext=(0, 2),
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(x, [p.strftime("%b %Y") for p in grouped.index], rotation=45, ha="right")
    _money_axis(ax, "y", currency)
    ax.set_ylabel("expected value")
    ax.set_title(fit_title(ax, title))
    return fig
