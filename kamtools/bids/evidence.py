"""Two evidence rules: when the bid desk may recommend a price change at all.

1. **Bids without a competitor quote.** For such a bid the competitor's price comes from the
   price index (or is not known at all), and the price response the win model learnt on
   quoted bids is applied through that index. That is only warranted when past bids of the
   same kind show such a response. :func:`no_quote_response` fits a logistic regression of
   won on the index gap, ``log(our price / competitor's price from the index)``, over the
   decided bids without a quote (the index each would have used: the 12 months before its
   month, see :func:`kamtools.bids.references.index_scatter`), and tests the slope with a
   one-sided Wald test (H0: slope >= 0 against a falling win rate as our price rises above
   the index) at level ``alpha`` (:data:`RESPONSE_ALPHA`, a setting of
   :class:`~kamtools.bids.recommend.BidSettings`).

   Why this test and not "is the quoted bids' slope consistent with them": when the index
   hardly varies, or the past bids did not respond to it, the slope over bids without a
   quote has a large standard error, and a large standard error is consistent with any
   slope, the quoted bids' included; a consistency test would then pass exactly when the
   data can tell nothing. The Wald test asks the data to show a response, so an index that
   varies too little to tell, or a response that is not there, both fail it. Fewer than
   :data:`~kamtools.bids.winmodel.MIN_BIDS` such bids, or only wins or only losses, fail it
   too (nothing to test).

   When the test fails, every open bid without a quote keeps its current price (gain 0; no
   curve is drawn), its P(win) is the account's pooled record on bids without a quote (the
   win model's ``no_competitor_price`` level with the account's effect), and its reason
   says why and what to get (the competitor's quote, or a price from the market).

2. **A win model that does not beat the baseline.** The bids stage backtests the win model
   out of time (:func:`kamtools.bids.postbid.calibration`) before it recommends prices.
   When the model's Brier score is not lower than the better of the two baselines (the
   plain historical win rate and the per-competitor win rate), or the backtest scored fewer than
   :data:`MIN_SCORED` decided bids, :func:`model_verdict` says
   so: P(win) shown is that baseline's (fitted on every bid decided by the as-of date), no
   price change is recommended and the reason names both Brier scores.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from kamtools.bids.winmodel import MIN_BIDS

RULE_NO_RESPONSE = "no measurable price response"  # price_rule of a bid held by rule 1
RULE_BASELINE = "win model not better than the baseline"  # price_rule of a bid held by rule 2
RESPONSE_ALPHA = 0.05  # one-sided level of the test of the price response of bids without a quote
MODEL = "win model"


@dataclass(frozen=True)
class ResponseTest:
    """The test of the price response over past bids without a quote (see the module docstring)."""

    n: int  # decided bids without a quote with an index at the time
    slope: float  # logistic slope of won on log(our price / competitor's price from the index)
    se: float  # its standard error
    p_value: float  # one-sided (slope < 0)
    alpha: float

    @property
    def supported(self) -> bool:
        """The past bids without a quote show a falling win rate as our price rises over the index."""
        return bool(np.isfinite(self.p_value) and self.p_value < self.alpha)

    @property
    def measured(self) -> bool:
        """There were enough such bids (with wins and losses and a varying index) to fit the slope."""
        return bool(np.isfinite(self.se))


def response_test(won: np.ndarray, gap: np.ndarray, alpha: float = RESPONSE_ALPHA) -> ResponseTest:
    """One-sided Wald test of the slope of ``won`` on ``gap`` (a logistic regression with an intercept);
    rows where ``gap`` is not finite are left out."""
    import statsmodels.api as sm

    gap = np.asarray(gap, dtype=float)
    ok = np.isfinite(gap)
    y, x = np.asarray(won, dtype=float)[ok], gap[ok]
    n = int(ok.sum())
    none = ResponseTest(n, np.nan, np.nan, np.nan, alpha)
    if n < MIN_BIDS or y.min() == y.max() or np.ptp(x) <= 1e-9:
        return none
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.Logit(y, sm.add_constant(x, has_constant="add")).fit(disp=0, maxiter=100)
        slope, se = float(fit.params[1]), float(fit.bse[1])
    except Exception:  # perfect separation or a singular fit: nothing measurable
        return none
    if not (np.isfinite(slope) and np.isfinite(se) and se > 0):
        return none
    return ResponseTest(n, slope, se, float(norm.cdf(slope / se)), alpha)


def no_quote_response(bids: pd.DataFrame, index: np.ndarray, alpha: float = RESPONSE_ALPHA) -> ResponseTest:
    """:func:`response_test` over the decided ``bids`` without a quote (``log_ratio`` NaN), ``index``: the
    price index each would have used (% of our price; NaN where none was seen)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.log(100.0 / np.asarray(index, dtype=float))
    gap = np.where(bids["log_ratio"].isna().to_numpy(), gap, np.nan)
    return response_test(bids["won"].to_numpy(float), gap, alpha)


MIN_SCORED = MIN_BIDS
"""Decided bids the out-of-time comparison must score before a lower Brier score counts as the win model beating the
baseline: as many as a win model needs to be fitted at all (the demo at 8 months scored 2 bids, the model 0.273
against 0.289 with an AUC of 0.00 against 1.00, and its prices were recommended)."""


@dataclass(frozen=True)
class ModelVerdict:
    """The win model's out-of-time Brier score beside the better baseline's, over ``n`` scored bids."""

    model_brier: float
    baseline: str  # "historical win rate" or "per-competitor win rate"
    baseline_brier: float
    n: int | None = None  # decided bids scored (None: not recorded)

    @property
    def too_few(self) -> bool:
        """True where fewer than :data:`MIN_SCORED` bids were scored: the comparison cannot tell them apart."""
        return self.n is not None and self.n < MIN_SCORED

    @property
    def beats(self) -> bool:
        return bool(self.model_brier < self.baseline_brier) and not self.too_few


def model_verdict(cal) -> ModelVerdict | None:
    """From the ``bid_calibration`` table: the model's Brier score and the better baseline's
    (None when the table is missing or holds no scored model and baseline)."""
    if not isinstance(cal, pd.DataFrame) or not {"method", "brier"} <= set(cal.columns):
        return None
    rows = cal.dropna(subset=["brier"])
    model = rows[rows["method"] == MODEL]
    others = rows[rows["method"] != MODEL]
    if model.empty or others.empty:
        return None
    best = others.loc[others["brier"].astype(float).idxmin()]
    n = pd.to_numeric(model["n"], errors="coerce").iloc[0] if "n" in model.columns else np.nan
    return ModelVerdict(
        float(model["brier"].iloc[0]), str(best["method"]), float(best["brier"]), int(n) if pd.notna(n) else None
    )


def baseline_p_win(training: pd.DataFrame, competitors: pd.Series, method: str) -> np.ndarray:
    """P(win) of open bids against ``competitors`` by a baseline fitted on every decided bid
    (``training``: :func:`kamtools.bids.references.training_bids`): the plain win rate, or the
    per-competitor rate (the plain rate for a competitor never met), as the backtest scores them."""
    won = training["won"].astype(float)
    rate = float(won.mean())
    if method != "per-competitor win rate":
        return np.full(len(competitors), rate)
    per = won.groupby(training["competitor"].astype("str")).mean()
    return competitors.astype("str").map(per).fillna(rate).to_numpy(float)
