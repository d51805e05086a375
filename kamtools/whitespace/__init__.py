"""Whitespace, cross-sell and trade-lane review: where can each account buy more from us?

The **whitespace grid** is every account x product category, each cell ``bought`` (revenue
in the last 12 months), ``lapsed`` (bought before, nothing in the last 12 months) or
``never`` bought. For the empty and lapsed cells of active accounts a **cross-sell
model** estimates the probability that the account starts buying the category in the
next 12 months and what it would spend a year:

* candidate scorers: :class:`PeerScorer` (share of similar accounts, same industry and
  size band or segment, that buy the category), :class:`ItemCFScorer` (item-based
  collaborative filtering: co-purchase probabilities between categories, combined as
  a noisy-or over the categories the account buys) and :class:`BlendScorer` (their
  average); :class:`PopularityScorer` is the baseline;
* :func:`backtest` makes recommendations as of a past date (``portfolio.truncate``)
  and checks them against what accounts really started buying in the following 12
  months (precision and hit rate at N, AUC), beside the popularity baseline;
* :class:`CrossSellModel` picks the scorer with the best backtest precision, calibrates
  scores to adoption probabilities (observed adoption rate by score bin, per
  never/lapsed status, from the most recent backtest window) and picks the spend
  estimate (peer median spend, the account's revenue times the peers' median share, or
  their geometric mean) with the smallest backtest error, scaled to first-year spend.
  Below 24 months of orders there is no backtest window, so nothing to calibrate on: the
  raw score then ranks the categories, ``p_adopt`` and ``expected_value`` are NaN (a score
  is not a probability: on the demo its mean runs 15-35 points above the share of cells
  adopted) and the reports call it an uncalibrated score.

:func:`recommend` returns the top N opportunities per account (by adoption probability)
with ``expected_value`` (probability x first-year spend) and a rationale in plain words. :func:`tradelanes` is the
year-over-year product-line review (new, lost, up-trading, down-trading, stable,
loss-making lines).

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=80, years=4, seed=2)
>>> recs = recommend(portfolio, n=3)          # fits a CrossSellModel with its backtest
>>> list(recs.columns[:4])
['account_id', 'rank', 'category', 'status']

The package holds one concern per module: :mod:`~kamtools.whitespace.grid` (the account x
category state and category affinity), :mod:`~kamtools.whitespace.scorers` (scorers and the
calibrator), :mod:`~kamtools.whitespace.spend` (spend if adopted),
:mod:`~kamtools.whitespace.backtest`, :mod:`~kamtools.whitespace.model` (:class:`CrossSellModel`
and :func:`recommend`), :mod:`~kamtools.whitespace.tradelanes` and
:mod:`~kamtools.whitespace.stage` (the bundle stage).
"""

from kamtools.whitespace.backtest import backtest
from kamtools.whitespace.grid import SIZE_BANDS, Snapshot, category_affinity, snapshot, whitespace_grid
from kamtools.whitespace.model import MIN_USEFUL_P, CrossSellModel, recommend
from kamtools.whitespace.scorers import (
    AdoptionCalibrator,
    BlendScorer,
    ItemCFScorer,
    PeerScorer,
    PopularityScorer,
    default_scorers,
)
from kamtools.whitespace.spend import SPEND_METHODS
from kamtools.whitespace.stage import SUMMARY_COLUMNS, bundle_tables
from kamtools.whitespace.tradelanes import (
    CREDITS_ONLY,
    LANE_STATUSES,
    NO_PRIOR_YEAR,
    tradelane_summary,
    tradelanes,
    without_prior_year,
)

__all__ = [
    "SUMMARY_COLUMNS",
    "Snapshot",
    "snapshot",
    "whitespace_grid",
    "category_affinity",
    "PopularityScorer",
    "PeerScorer",
    "ItemCFScorer",
    "BlendScorer",
    "AdoptionCalibrator",
    "backtest",
    "CrossSellModel",
    "recommend",
    "tradelanes",
    "tradelane_summary",
    "bundle_tables",
    "SIZE_BANDS",
    "LANE_STATUSES",
    "MIN_USEFUL_P",
    "CREDITS_ONLY",
    "NO_PRIOR_YEAR",
    "SPEND_METHODS",
    "default_scorers",
    "without_prior_year",
]
