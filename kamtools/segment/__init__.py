"""Which accounts deserve the most attention: RFM, ABC, behavioural clusters, portfolio matrix, tiers.

Building blocks are scikit-learn estimators that work on plain DataFrames:

* :class:`RFMScorer` - recency, frequency and monetary scores (1-5 by quantiles learned in
  ``fit``) and a named RFM segment (champions, loyal, at risk, hibernating, ...);
* :class:`ABCClassifier` - Pareto classes (A = accounts making the top 80% of the value,
  B the next 15%, C the rest);
* :class:`BehaviouralClusters` - k-means on scaled behaviour features, the number of
  clusters chosen by silhouette, each cluster named from its profile (growth and the revenue
  trend read a one-off order month as the forecast does, so one order is not growth);
* :class:`PortfolioMatrix` - customer attractiveness against our strength with the
  customer (0-100 each, weighted criteria) and the four quadrants.

Functions that run on a :class:`~kamtools.data.Portfolio` put them together:
:func:`account_activity` (one row of raw metrics per account), :func:`rfm_scores`,
:func:`abc_classes`, :func:`concentration_curve`, :func:`behavioural_clusters`,
:func:`matrix_criteria`, :func:`portfolio_matrix`, :func:`assign_tiers` and
:func:`segment_accounts` (everything, as the bundle stores it).

Example
-------
>>> from kamtools.datasets import make_portfolio                      # doctest: +SKIP
>>> portfolio, _ = make_portfolio(n_accounts=120, seed=11)            # doctest: +SKIP
>>> result = segment_accounts(portfolio)                              # doctest: +SKIP
>>> result["segments"][["account_id", "rfm_segment", "quadrant", "tier", "tier_reason"]]  # doctest: +SKIP

The package holds one concern per module: :mod:`~kamtools.segment.activity`,
:mod:`~kamtools.segment.rfm`, :mod:`~kamtools.segment.abc`, :mod:`~kamtools.segment.clusters`,
:mod:`~kamtools.segment.matrix`, :mod:`~kamtools.segment.tiers` and
:mod:`~kamtools.segment.stage` (the bundle stage).
"""

from kamtools.segment.abc import ABCClassifier, abc_classes, concentration_curve
from kamtools.segment.activity import ACTIVITY_COLUMNS, account_activity
from kamtools.segment.clusters import CLUSTER_FEATURES, BehaviouralClusters, behavioural_clusters, cluster_features
from kamtools.segment.matrix import (
    ATTRACTIVENESS_WEIGHTS,
    CRITERIA_LABELS,
    NO_STRENGTH,
    POSITION_CRITERIA,
    QUADRANTS,
    STRENGTH_WEIGHTS,
    SUPPORTING_CRITERIA,
    PortfolioMatrix,
    matrix_criteria,
    portfolio_matrix,
    tenure_from_first_order,
)
from kamtools.segment.rfm import (
    RFM_SEGMENT_MEANING,
    RFM_SEGMENTS,
    RFMScorer,
    relabel_lapsed,
    rfm_description,
    rfm_scores,
    rfm_segment_name,
)
from kamtools.segment.stage import SEGMENT_COLUMNS, SUMMARY_COLUMNS, bundle_tables, history_notes, segment_accounts
from kamtools.segment.tiers import assign_tiers

__all__ = [
    "SUMMARY_COLUMNS",
    "ABCClassifier",
    "BehaviouralClusters",
    "PortfolioMatrix",
    "RFMScorer",
    "abc_classes",
    "account_activity",
    "assign_tiers",
    "behavioural_clusters",
    "bundle_tables",
    "cluster_features",
    "concentration_curve",
    "matrix_criteria",
    "portfolio_matrix",
    "rfm_description",
    "rfm_scores",
    "segment_accounts",
    "ACTIVITY_COLUMNS",
    "RFM_SEGMENTS",
    "RFM_SEGMENT_MEANING",
    "rfm_segment_name",
    "relabel_lapsed",
    "CLUSTER_FEATURES",
    "ATTRACTIVENESS_WEIGHTS",
    "STRENGTH_WEIGHTS",
    "CRITERIA_LABELS",
    "QUADRANTS",
    "NO_STRENGTH",
    "POSITION_CRITERIA",
    "SUPPORTING_CRITERIA",
    "tenure_from_first_order",
    "SEGMENT_COLUMNS",
    "history_notes",
]
