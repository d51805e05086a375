"""The common part of the accounts' forecast errors, and the portfolio total's spread built on it.

The portfolio total is the sum of the account forecasts. Its spread is not the accounts' spreads added as
independent errors: a season, the economy or a calibration factor that is off moves many accounts at once.
With accounts of spreads ``s_i`` whose errors share one correlation ``rho`` (equicorrelation),

    Var(total) = (1 - rho) * sum_i s_i**2 + rho * (sum_i s_i)**2,

which is the independent sum at ``rho = 0`` and the fully common ``(sum s_i)**2`` at ``rho = 1``.

``rho`` is measured on the forecast stage's own backtest (:func:`common_part`): at every origin and month of
it, the portfolio total's out-of-time error of the forecast as shipped (each account's chosen method and
correction factor, :func:`kamtools.forecast.backtest.chosen_rows`) against the accounts' spreads at that origin,

    rho = sum_{origin, month} (E**2 - V) / sum_{origin, month} (S**2 - V),    clipped to [0, 1],

where ``E`` is the month's actual total minus its forecast, ``V = sum_i s_i**2`` and ``S = sum_i s_i`` over the
accounts forecast at that origin (``s_i`` from each row's upper 80% bound, ``(hi - forecast) / z``). The rule was
set before the figures after it were measured (``benchmarks/bench_portfolio_range.py``).

What it cannot learn: a swing its origins did not see (a season first met after the backtest's months; one
origin's months all share one state of the economy). :attr:`CommonPart.sentence` says what the range rests on,
and the overview prints it next to the range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class CommonPart:
    """``rho`` (the accounts' common error share; 0 where nothing measured it), the backtest origins and
    origin-months behind it, and one sentence on what the portfolio range rests on."""

    rho: float
    n_origins: int
    n_months: int
    sentence: str
    # measured beside rho for bench_portfolio_range's variant (one relative shock common to all accounts, the
    # spread of the total's share it moves); the range does not use it (the variant was dropped, see the bench)
    shock: float = 0.0


def common_part(rows: pd.DataFrame | None, level: float = 80) -> CommonPart:
    """``rho`` from the chosen forecast's backtest rows (``cutoff, ds, y, chosen, chosen_hi_<level>``; one row
    per account, origin and month); the module docstring gives the rule. ``rows`` None or empty: no backtest,
    ``rho = 0`` and a sentence saying the range is then a lower bound."""
    if rows is None or len(rows) == 0:
        return CommonPart(
            0.0,
            0,
            0,
            "The portfolio range treats the accounts' surprises as independent of each other: the history is too "
            "short for a test on past data to measure how far they move together, so read it as the narrowest the "
            "total could spread.",
        )
    need = ["cutoff", "ds", "y", "chosen", f"chosen_hi_{level:g}"]
    missing = [c for c in need if c not in rows.columns]
    if missing:
        raise ValueError(f"common_part: the backtest rows lack column(s) {', '.join(missing)}")
    z = stats.norm.ppf(0.5 + level / 200.0)
    s = np.clip(
        (rows[f"chosen_hi_{level:g}"].to_numpy(dtype=float) - rows["chosen"].to_numpy(dtype=float)) / z, 0, None
    )
    frame = pd.DataFrame(
        {
            "cutoff": rows["cutoff"].to_numpy(),
            "ds": rows["ds"].to_numpy(),
            "e": rows["y"].to_numpy(dtype=float) - rows["chosen"].to_numpy(dtype=float),
            "s": np.nan_to_num(s),
        }
    )
    frame["v"] = frame["s"] ** 2
    frame["f"] = rows["chosen"].to_numpy(dtype=float)
    g = frame.groupby(["cutoff", "ds"], sort=True)[["e", "s", "v", "f"]].sum()
    num = float(np.sum(g["e"] ** 2 - g["v"]))
    den = float(np.sum(g["s"] ** 2 - g["v"]))
    rho = float(np.clip(num / den, 0.0, 1.0)) if den > 0 else 0.0
    f2 = float(np.sum(g["f"] ** 2))
    shock = float(np.sqrt(max(num, 0.0) / f2)) if f2 > 0 else 0.0
    n_origins = int(frame["cutoff"].nunique())
    n_months = len(g)
    ratio = float(np.sqrt(np.sum(g["e"] ** 2) / np.sum(g["v"]))) if float(np.sum(g["v"])) > 0 else np.nan
    origins = "one past date" if n_origins == 1 else f"{n_origins} past dates"
    # the months ahead of each past date ("2 past dates, 12 months forecast from them" counted 6 ahead of each)
    per = g.groupby(level="cutoff").size()
    if per.nunique() == 1:
        origins += f", {int(per.iloc[0])} months forecast from {'it' if n_origins == 1 else 'each'}"
    else:
        origins += f", {per.min()} to {per.max()} months forecast from each"
    if rho > 0:
        head = (
            f"The portfolio range lets the accounts' surprises move together as far as they did in a test on past data "
            f"({origins}: the portfolio totals missed by {ratio:.1f} times what "
            f"independent accounts would allow; how far the accounts moved as one, from 0 for not at all to 1 for "
            f"wholly: {rho:.2f})."
        )
    else:
        head = (
            f"The portfolio range treats the accounts' surprises as independent: in a test on past data ({origins}) "
            "the portfolio totals stayed within what independent accounts allow."
        )
    if n_origins > 1:
        tail = " A swing those months did not hold (a season first met later) is not in the range."
    elif rho > 0:
        tail = (
            " One past date's months share one season and one state of the market, so the months ahead may miss by "
            "more or by far less than those did."
        )
    else:
        tail = (
            " One past date's months share one season and one state of the market, so a swing it did not see is not in "
            "the range: read it as the narrowest the total could spread."
        )
    return CommonPart(rho, n_origins, n_months, head + tail, shock)


def total_sd(sd: np.ndarray, rho: float) -> float:
    """The spread of a sum of terms of spreads ``sd`` sharing one error correlation ``rho``."""
    sd = np.nan_to_num(np.asarray(sd, dtype=float))
    var = (1.0 - rho) * float(np.sum(sd**2)) + rho * float(np.sum(sd)) ** 2
    return float(np.sqrt(max(var, 0.0)))


__all__ = ["CommonPart", "common_part", "total_sd"]
