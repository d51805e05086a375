"""A year of history that the out-of-time test could not use: a level forecast above the year, mixed with it.

With 12 to about 17 months of history the backtest's origins hold under 12 months each, so the choice can compare
the kamtools model with the mean of the last 6 months but never with a 12-month method (at such an origin the mean
of the last 12 months is the mean of the last 6). Both carry the latest months' level into every month ahead: a
history that ends after a season's peak (Online Retail's top 100 at 2011-11-30, after an autumn that bought 1.6 to
2.0 times a spring month) is forecast the peak for a whole year (C14911: 125.6k in its 12 months, 310.4k
forecast; the portfolio +29% on its year).

Such an account, forecast by one of those level methods above the mean month of its last 12 months (:func:`year_level`:
spikes capped as every method reads them, its first month left out where it lies among them), with 12 months or more
of its own, gets the equal mix of that forecast (as chosen and corrected) and that mean; its ranges keep their width
relative to the forecast, and its reason says so. A forecast below its year is left as it is: a fall in the latest
months may be a season's trough but also an account fading, which the year's mean would hide (CDNOW, a cohort whose
buying fell all year: mixing both ways raised the error of the 455 accounts it moved at 1997-12 by 27%, 25.5 ->
32.3, and by 12% with their first month left out).

Measured (``benchmarks/bench_year_mix.py``, figures there). The forecasting-competition monthly series cut to 12-17
months (M1, M3, Tourism; 12-month totals, error as a share of the yearly level): kamtools model 0.127 / 0.108 /
0.291, mixed both ways 0.117 / 0.096 / 0.204, mixed only where above its year 0.126 / 0.103 / 0.248 (medians 2-4%
above the model's on M1 and M3, 14% below on Tourism). On account logs the rule as kept moves no CDNOW account at 1997-12 or 1998-01 (their latest months
run below their year) and lowers the error of the accounts it moves on the demo portfolios cut 12 and 15 months
after their first order (four cases set before the rule, four held out after it). Online Retail's top 100 at
2011-11-30 (no months after it in the log): 54 accounts mixed, portfolio forecast 3.94M -> 3.49M on a year of
3.05M, C14911 310.4k -> 219.6k.

Below the year, where the history can test it (:func:`below_check`). With 18 to 23 months of history there is a date
12 months into the data with 6 or more months after it: there, for the accounts with a year of their own whose last 6
months ran below their year, the totals of the months after are compared between the latest 6 months' level and the
half-and-half mix. Where the mix missed by less (summed over 30 or more such accounts), a level forecast below its
year is mixed too; else it is left as it is. ``benchmarks/bench_year_and_half.py``: the demo generator's 300 accounts
cut 18-20 months after their first order (4 seeds, 12 cases) 711,516 -> 701,838 summed MAE (seasonal naive 703,481),
behind seasonal naive beyond sampling error in 1 case -> 0; 12 held-out cases (seeds 11, 13, 17, 19 at 18, 20 and 22
months, chosen before the run) 679,299 -> 673,639, the lowest MAE in 6 -> 8, the totals' bias -16.4%..+1.9% ->
-12.2%..+3.3%; the test favoured the mix in all 24. The grocer of ``bench_grocery.py`` at 2007-06-30 (18 months, one
cohort whose buying kept falling): the test found the mix worse (117 accounts: 206 orders missed against 165), so
nothing moves there. The forecasting-competition monthly series cut to 18, 20 and 22 months (``bench_year_mix.py
--below``, each set at each length one portfolio): the test favoured the mix in all 9, and the mean error of the
12-month totals fell from mixing above only to as shipped by 6% on M1 (0.1325 -> 0.1241), 7% on M3 (0.0976 ->
0.0912) and 16% on Tourism (0.2540 -> 0.2143; a whole year repeated, 0.1663, stays best on those seasonal series). With 12-17 months (every real log's dates but the grocer's) there is no such date and the rule
stays one way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kamtools.display import money
from kamtools.forecast.selection.state import cap_spikes

YEAR_MONTHS = 12  # an account with this many months of its own, and no origin of the backtest with as many
LEVEL_METHODS = ("model", "recent_mean")  # the methods that carry the latest months' level through the year
MIX_WEIGHT = 0.5  # the last 12 months' share of the mixed forecast
MIX_WORDS = "mixed half and half with the mean of its last 12 months"  # the reason's words; the deck's slide reads them
CHECK_MONTHS = 6  # the fewest months after the date a year into the data that test the mix below the year
CHECK_ACCOUNTS = 30  # the fewest accounts below their year at that date for the test to decide


@dataclass(frozen=True)
class BelowCheck:
    """The test of the mix below the year at the date :data:`YEAR_MONTHS` months into the data (:func:`below_check`)."""

    accounts: int  # accounts with a year of their own then, whose last 6 months ran below their year
    months: int  # months of data after that date, whose totals were compared
    level_error: float  # summed absolute miss of those totals by the latest 6 months' level
    mix_error: float  # the same by the half-and-half mix with the year's mean month

    @property
    def favours_mix(self) -> bool:
        """Enough accounts were tested and the mix missed by less."""
        return self.accounts >= CHECK_ACCOUNTS and self.mix_error < self.level_error

    @property
    def change(self) -> float:
        """The mix's summed miss against the level's, as a share (-0.1: 10% less)."""
        return self.mix_error / self.level_error - 1 if self.level_error > 0 else 0.0


def below_check(y: np.ndarray) -> BelowCheck | None:
    """Would the mix have served the accounts below their year? Tested at the date :data:`YEAR_MONTHS` months into
    ``y`` (accounts x months, NaN before an account's first month), on the accounts with a year of their own there
    whose last 6 months' mean (spikes capped) ran below their year (:func:`year_level`): each one's total over the
    months after, against that level and against the mix, times the months. None where fewer than
    :data:`CHECK_MONTHS` months follow the date (with 24 or more the backtest itself holds a year)."""
    ahead = y.shape[1] - YEAR_MONTHS
    if ahead < CHECK_MONTHS:
        return None
    past = y[:, :YEAR_MONTHS]
    own = np.all(np.isfinite(past), axis=1)
    capped, _ = cap_spikes(past)
    latest = np.where(own, np.nan_to_num(capped[:, -6:]).mean(axis=1), 0.0)
    year = year_level(past)
    rows = own & (latest > 0) & (latest < year)
    bought = np.nansum(y[rows, YEAR_MONTHS:], axis=1)
    mix = (1 - MIX_WEIGHT) * latest[rows] + MIX_WEIGHT * year[rows]
    return BelowCheck(
        accounts=int(rows.sum()),
        months=int(ahead),
        level_error=float(np.abs(bought - ahead * latest[rows]).sum()),
        mix_error=float(np.abs(bought - ahead * mix).sum()),
    )


def untested_year(origins: np.ndarray | None) -> bool:
    """No backtest origin held :data:`YEAR_MONTHS` months of data (``origins``: each evidence row's last training
    month, :attr:`Evidence.origin`; None: no backtest), so no 12-month method could be checked out of time."""
    return origins is None or len(origins) == 0 or int(np.max(origins)) + 1 < YEAR_MONTHS


def year_mixed(
    y: np.ndarray,
    method: np.ndarray,
    mean: np.ndarray,
    origins: np.ndarray | None,
    level: np.ndarray,
    below: bool = False,
) -> np.ndarray:
    """Accounts (bool, rows of ``y``) whose level forecast is mixed with their last 12 months: forecast by a
    :data:`LEVEL_METHODS` method above their ``level`` (:func:`year_level`; ``below`` True, as :func:`below_check`
    favoured: above or below it), with :data:`YEAR_MONTHS` months of their own, a forecast above zero in every month
    (a range can be scaled with it) and a history whose year the backtest could not test."""
    if y.shape[1] < YEAR_MONTHS or not untested_year(origins):
        return np.zeros(len(method), dtype=bool)
    own = np.sum(np.isfinite(y), axis=1) >= YEAR_MONTHS
    side = np.ones(len(method), dtype=bool) if below else mean.mean(axis=1) > level  # the latest level above the year's
    return np.isin(np.asarray(method), LEVEL_METHODS) & own & np.all(mean > 0, axis=1) & side


def year_level(y: np.ndarray) -> np.ndarray:
    """Each account's mean month over the last 12 months (spikes capped, as every method reads them), its first
    month left out where it lies among them: a first order is an account's start, not its level (CDNOW's customers,
    all first buying in 1997's first quarter, bought most in their first month)."""
    capped, _ = cap_spikes(y)
    start = max(y.shape[1] - YEAR_MONTHS, 0)
    block = capped[:, start:].copy()
    first = np.argmax(np.isfinite(y), axis=1)
    rows = np.flatnonzero(first >= start)
    block[rows, first[rows] - start] = np.nan
    seen = np.isfinite(block).any(axis=1)
    out = np.zeros(len(block))
    out[seen] = np.nanmean(block[seen], axis=1)
    return out


def mix_ratio(mean: np.ndarray, mixed: np.ndarray, level: np.ndarray) -> np.ndarray:
    """(n, h) multiples that turn each month's forecast into the mix with the year's ``level`` (1 outside ``mixed``):
    its bounds and spread scale by the same multiple, so a range keeps its width relative to the forecast."""
    ratio = np.ones_like(mean, dtype=float)
    target = (1 - MIX_WEIGHT) * mean[mixed] + MIX_WEIGHT * level[mixed, None]
    ratio[mixed] = target / mean[mixed]
    return ratio


def mix_reason(level: float, months: int, above: bool = True, check: BelowCheck | None = None) -> str:
    """The sentence added to a mixed account's reason (``level``: the mean of its last 12 months per month;
    ``months``: the months of data; ``above``: its forecast ran above that mean, else below it, as ``check``
    favoured)."""
    lead = (
        f" {MIX_WORDS.capitalize()} ({money(level)} a month), which it ran {'above' if above else 'below'}: "
        f"with {months} months of history the test on past data could not check a forecast over a whole year, and "
    )
    if above or check is None:
        return lead + "the latest months' level alone would carry a season's peak into every month ahead."
    return lead + (
        f"from the date a year into the data the mix missed the next {check.months} months of the accounts then "
        f"below their year by {abs(check.change):.0%} less than their latest months' level."
    )
