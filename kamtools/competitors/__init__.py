"""Competitors: who we lose to, where, at what price gap, and which accounts are under threat.

Everything here reads the optional ``opportunities`` table (bids, RFQs, tenders with
``status`` won/lost/open, optionally ``competitor``, ``our_price``, ``competitor_price``,
``loss_reason``), the optional ``competitor_prices`` table (market-intelligence price
observations, ``price_index`` = competitor's price as % of ours) and the accounts'
``potential_revenue`` (estimated yearly wallet). When a table or column is missing the
function returns :class:`~kamtools.data.NotAvailable` with the reason in one sentence.

Conventions
-----------
* ``price_gap`` = ``our_price / competitor_price - 1``: our premium over the competitor
  in a bid (+0.05 = we quoted 5% above them, -0.03 = 3% below).
* Win rates are over *decided* bids (won or lost, closed on or before ``as_of``) with a
  Wilson score interval; groups with fewer than ``min_n`` bids are flagged
  ``small_sample``.
* "Last twelve months" (LTM) is ``(as_of - 12 months, as_of]``.

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=60, years=3, seed=1)
>>> wl = win_loss(portfolio)                     # one row per competitor
>>> model = PriceResponseModel().fit(decided_bids(portfolio))
>>> model.price_coef_ < 0                        # dearer bids are won less often
True

The package holds one concern per module: :mod:`~kamtools.competitors.winloss`,
:mod:`~kamtools.competitors.price_response`, :mod:`~kamtools.competitors.prices`,
:mod:`~kamtools.competitors.wallet`, :mod:`~kamtools.competitors.threat` and
:mod:`~kamtools.competitors.stage` (the bundle stage).
"""

from kamtools.competitors.price_response import PriceResponseModel, price_response_sentence, price_response_table
from kamtools.competitors.prices import price_index
from kamtools.competitors.stage import SUMMARY_COLUMNS, bundle_tables
from kamtools.competitors.threat import THREAT_COLUMNS, account_bids, threat_score
from kamtools.competitors.wallet import share_of_wallet
from kamtools.competitors.winloss import (
    MIN_N,
    UNKNOWN_COMPETITOR,
    decided_bids,
    loss_reasons,
    wilson_interval,
    win_loss,
    win_trend,
)

__all__ = [
    "UNKNOWN_COMPETITOR",
    "SUMMARY_COLUMNS",
    "wilson_interval",
    "decided_bids",
    "win_loss",
    "win_trend",
    "loss_reasons",
    "PriceResponseModel",
    "price_response_table",
    "price_response_sentence",
    "price_index",
    "share_of_wallet",
    "account_bids",
    "threat_score",
    "bundle_tables",
    "MIN_N",
    "THREAT_COLUMNS",
]
