"""Churn charts: calibration, ROC and cumulative gains, drivers, global importance.

Every function takes DataFrames produced by :mod:`kamtools.churn` (or read from the
bundle) and returns a matplotlib Figure; nothing here fits a model.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kamtools.plotting.style import PALETTE, fit_title, legend_outside, log_scale, new_figure

__all__ = ["calibration_plot", "roc_gains_plot", "drivers_plot", "importance_plot", "risk_map_plot"]

_MODEL_COLOURS = {"churn model": PALETTE["actual"], "recency baseline": PALETTE["baseline"]}


def _colour(name: str, i: int) -> str:
    return _MODEL_COLOURS.get(name, [PALETTE["forecast"], PALETTE["accent"], PALETTE["scenario"]][i % 3])


def calibration_plot(calibration: pd.DataFrame, title: str = "Calibration: predicted vs observed churn") -> Figure:
    """Reliability diagram from ``model, bin, mean_predicted, observed_rate, n`` rows.

    Points on the diagonal mean "a predicted 20% churns 20% of the time"; marker area
    shows how many accounts each bin holds.
    """
    fig, ax = new_figure(5.6, 4.4)
    top = float(np.nanmax(calibration[["mean_predicted", "observed_rate"]].to_numpy())) if len(calibration) else 1.0
    lim = min(1.0, max(0.05, top * 1.1))
    ax.plot([0, lim], [0, lim], color="#999999", linestyle="--", linewidth=1, label="perfect calibration")
    for i, (name, grp) in enumerate(calibration.groupby("model", sort=False)):
        size = 15 + 120 * grp["n"] / max(grp["n"].max(), 1)
        ax.plot(grp["mean_predicted"], grp["observed_rate"], color=_colour(name, i), linewidth=1.5, label=str(name))
        ax.scatter(grp["mean_predicted"], grp["observed_rate"], s=size, color=_colour(name, i), zorder=3)
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel("predicted churn probability (bin mean)")
    ax.set_ylabel("observed churn rate")
    ax.set_title(fit_title(ax, title))
    legend_outside(ax)
    return fig


def roc_gains_plot(roc: pd.DataFrame, gains: pd.DataFrame, metrics: pd.DataFrame | None = None) -> Figure:
    """ROC curves (left) and cumulative gains (right: share of churners found when
    contacting the riskiest x% of accounts), the churn model beside the baseline.

    ``roc``: ``model, fpr, tpr``; ``gains``: ``model, share_accounts, share_churners``;
    ``metrics`` (optional, ``metric, model, baseline``) adds the AUCs to the legend.
    """
    fig, axes = new_figure(10.0, 4.2, ncols=2)
    auc = {}
    if metrics is not None and "roc_auc" in set(metrics["metric"]):
        row = metrics.set_index("metric").loc["roc_auc"]
        auc = {"churn model": row["model"], "recency baseline": row["baseline"]}
    ax = axes[0]
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="random")
    for i, (name, grp) in enumerate(roc.groupby("model", sort=False)):
        label = f"{name} (AUC {auc[name]:.2f})" if name in auc else str(name)
        ax.plot(grp["fpr"], grp["tpr"], color=_colour(name, i), linewidth=1.8, label=label)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC out of time")
    ax.legend(loc="lower right")
    ax = axes[1]
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="random")
    for i, (name, grp) in enumerate(gains.groupby("model", sort=False)):
        ax.plot(grp["share_accounts"], grp["share_churners"], color=_colour(name, i), linewidth=1.8, label=str(name))
    ax.axvline(0.1, color="#cccccc", linewidth=1)
    ax.set_xlabel("share of accounts contacted (riskiest first)")
    ax.set_ylabel("share of churners found")
    ax.set_title("Cumulative gains")
    ax.legend(loc="lower right")
    return fig


def drivers_plot(drivers: pd.DataFrame, title: str = "What drives this account's churn risk") -> Figure:
    """Horizontal bars of one account's drivers (``label, contribution[, value_text][, sentence]``).

    With a ``sentence`` column the bars are labelled with it (the driver in words, with its number).

    Bars to the right raise the risk (red), to the left lower it (green); the unit is the
    change in log-odds of churn.
    """
    d = drivers.sort_values("contribution", key=np.abs, ascending=True)
    labels = [
        f"{lab} ({val})" if "value_text" in d.columns and str(val) not in ("", "nan") else str(lab)
        for lab, val in zip(d["label"], d.get("value_text", d["label"]), strict=True)
    ]
    if "sentence" in d.columns:  # the sentence a KAM reads, with its number
        labels = [
            str(sen) if isinstance(sen, str) and sen not in ("", "nan") else lab
            for sen, lab in zip(d["sentence"], labels, strict=True)
        ]
    labels = [textwrap.fill(lab, 42) for lab in labels]
    fig, ax = new_figure(8.5, 0.6 * len(d) + 1.3)
    colours = [PALETTE["bad"] if c > 0 else PALETTE["good"] for c in d["contribution"]]
    ax.barh(range(len(d)), d["contribution"], color=colours)
    ax.set_yticks(range(len(d)), labels)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel("effect on churn risk (log-odds)\nright: raises the risk, left: lowers it")
    ax.set_title(fit_title(ax, title), loc="left")
    return fig


def importance_plot(
    importance: pd.DataFrame, top: int = 12, title: str = "What predicts churn in this portfolio"
) -> Figure:
    """Global importance (``label, importance, direction``), largest first; colour by sign."""
    d = importance.sort_values("importance", ascending=False).head(top).iloc[::-1]
    fig, ax = new_figure(8.5, 0.5 * len(d) + 1.4)
    colours = [PALETTE["bad"] if s > 0 else PALETTE["good"] if s < 0 else PALETTE["neutral"] for s in d["direction"]]
    ax.barh(range(len(d)), d["importance"], color=colours)
    ax.set_yticks(range(len(d)), [textwrap.fill(str(lab), 45) for lab in d["label"]])
    ax.set_xlabel(
        "mean effect on churn risk (log-odds)\nred: higher values raise the risk, green: lower it, blue: mixed"
    )
    ax.set_title(fit_title(ax, title), loc="left")
    return fig


def risk_map_plot(
    churn: pd.DataFrame, title: str = "Churn probability vs expected value", currency: str | None = None
) -> Figure:
    """Accounts by churn probability (x) and expected 12-month value (y, log, in ``currency``), coloured by
    risk band, from the ``churn`` table."""
    fig, ax = new_figure(7.0, 4.4)
    colours = {"high": PALETTE["bad"], "medium": PALETTE["warn"], "low": PALETTE["good"], "lapsed": PALETTE["baseline"]}
    for band, grp in churn.groupby("risk_band", sort=False):
        if band not in colours:
            continue
        ax.scatter(
            grp["churn_probability"],
            grp["expected_value_12m"].clip(lower=1),
            s=18,
            alpha=0.75,
            color=colours[band],
            label=str(band),
        )
    log_scale(ax, "y", currency)
    ax.set_xlabel("churn probability")
    ax.set_ylabel("expected value next 12 months")
    ax.set_title(fit_title(ax, title))
    legend_outside(ax)
    return fig
