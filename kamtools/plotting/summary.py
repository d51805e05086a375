"""Charts of the summary sections (portfolio concentration)."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import PercentFormatter

from kamtools.plotting.style import PALETTE, Figure, new_figure


def concentration_chart(conc: pd.DataFrame) -> Figure:
    """Pareto curve: cumulative share of revenue (y) against share of accounts (x).

    ``conc`` is :func:`kamtools.sections.summary.concentration` output (columns
    ``cum_account_share`` and ``cum_share``, both 0-1).
    """
    fig, ax = new_figure(7.0, 3.4)
    x = [0.0, *conc["cum_account_share"].tolist()]
    y = [0.0, *conc["cum_share"].tolist()]
    ax.plot(x, y, color=PALETTE["actual"], lw=2, label="Our accounts")
    ax.plot([0, 1], [0, 1], color=PALETTE["baseline"], lw=1, ls="--", label="Equal revenue per account")
    ax.axvline(0.2, color=PALETTE["accent"], lw=1, ls=":")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Share of accounts (largest first)")
    ax.set_ylabel("Share of revenue")
    ax.set_title("Revenue concentration, last 12 months")
    ax.legend(loc="lower right")
    return fig
