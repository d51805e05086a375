"""Expected future value of each account: buy-till-you-die (BTYD) models.

The workflow is the classic one of Fader, Hardie & Lee (2005):

1. :func:`rfm_summary` turns order lines into one row per account: ``frequency``
   (repeat purchase periods), ``recency`` (time from first to last purchase), ``T``
   (time from first purchase to the analysis date) and ``monetary`` (mean value of the
   repeat purchase periods);
2. :class:`BetaGeo` (BG/NBD) or :class:`ModifiedBetaGeo` (MBG/NBD, which lets an
   account stop right after its first purchase, so a one-time buyer's P(alive) can fall
   below 1) learns how often accounts buy and how likely they are to have stopped
   buying, giving ``p_alive`` and ``expected_purchases``; :func:`choose_btyd` picks one
   of the two on a holdout and flags fits whose parameters the data do not determine;
3. :class:`GammaGamma` learns what a purchase of each account is worth
   (``expected_average_value``);
4. :func:`expected_value` combines both into the discounted expected revenue and margin
   of the next 12 months.

The estimators work on any transaction data set (not only kamtools portfolios) and follow
the scikit-learn estimator contract (parameters in ``__init__``, ``fit`` returns
``self``, learned attributes end in ``_``, ``sklearn.base.clone`` works).

One module per step: ``summary`` (order lines -> BTYD summary), ``btyd`` (BG/NBD and
MBG/NBD), ``choice`` (identification and the holdout choice between them), ``one_time``
(one-time buyers under a chosen BG/NBD scored by MBG/NBD, on the evidence of a holdout),
``gamma_gamma``, ``expected`` (expected value and margin rates), ``stage`` (the value
stage's tables) and ``from_bundle`` (the chosen model read back from a bundle).

Example
-------
>>> summary = rfm_summary(orders, as_of="2026-10-31", freq="W")          # doctest: +SKIP
>>> bg = BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])  # doctest: +SKIP
>>> bg.p_alive(summary["frequency"], summary["recency"], summary["T"])        # doctest: +SKIP
"""

from kamtools.value.btyd import BetaGeo, ModifiedBetaGeo
from kamtools.value.calibration import PAliveCheck, check_p_alive, p_alive_check
from kamtools.value.choice import (
    FIT_STATUSES,
    MIN_ACCOUNTS,
    MIN_REPEAT_BUYERS,
    MODEL_LABELS,
    BTYDChoice,
    choose_btyd,
    fit_problems,
    fit_status,
)
from kamtools.value.expected import expected_value, margin_rates
from kamtools.value.from_bundle import btyd_from_table, p_no_order
from kamtools.value.gamma_gamma import GammaGamma
from kamtools.value.stage import SUMMARY_COLUMNS, VALUE_COLUMNS, bundle_tables, fit_value
from kamtools.value.summary import rfm_summary

__all__ = [
    "FIT_STATUSES",
    "MIN_ACCOUNTS",
    "MIN_REPEAT_BUYERS",
    "MODEL_LABELS",
    "SUMMARY_COLUMNS",
    "VALUE_COLUMNS",
    "BTYDChoice",
    "BetaGeo",
    "GammaGamma",
    "ModifiedBetaGeo",
    "PAliveCheck",
    "check_p_alive",
    "p_alive_check",
    "btyd_from_table",
    "choose_btyd",
    "fit_problems",
    "p_no_order",
    "fit_status",
    "bundle_tables",
    "fit_value",
    "expected_value",
    "margin_rates",
    "rfm_summary",
]
