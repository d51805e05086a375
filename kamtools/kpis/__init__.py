"""Account KPIs: performance, pipeline, receivables, complaints, relationships and health.

Every block is one vectorised function ``block(portfolio, as_of=None, ...) -> DataFrame``
with one row per account (``account_id`` first) or :class:`~kamtools.data.NotAvailable`
when the table it needs was not supplied. All of them read nothing dated after ``as_of``
(default: the portfolio's ``as_of``; an earlier date works on ``portfolio.truncate(as_of)``
so that facts learnt later, such as payments and bid outcomes, are hidden too).

Blocks and their headline columns (money in the revenue currency, days are calendar days):

=====================  ==================================================================
:func:`revenue_kpis`   revenue_ytd, revenue_ytd_prior, growth_ytd_pct, revenue_ltm,
                       revenue_prior_ltm, growth_pct (LTM vs the 12 months before),
                       margin_ltm, margin_pct, orders_ltm, avg_order_value,
                       returns_ltm, returns_rate (returned / gross revenue, LTM),
                       days_since_last_order, tenure_years
:func:`target_kpis`    target, target_attainment (YTD / target of the current calendar
                       year), target_pace (YTD / pro-rata target), target_gap, next_target
:func:`pipeline_kpis`  open_bids, open_value, weighted_value (amount x probability),
                       win_rate, avg_cycle_days, bids_closing_90d, post-bid summary of the
                       last 12 months' losses (top_loss_competitor, loss_price_gap_pct, ...)
:func:`receivables_kpis` open_ar, overdue_ar, ar_not_due / ar_0_30 / ar_31_60 / ar_61_90 /
                       ar_90_plus (by days past due), overdue_60_plus, dso_days,
                       late_share_12m and its trend
:func:`complaint_kpis` complaints_open, open by severity, open_severe, mean_days_to_resolve,
                       complaints_12m and its trend
:func:`relationship_kpis` contacts by role, dm_engaged_90d, days_since_dm_contact,
                       days_since_senior_contact, engaged_contacts_180d, single_threaded
=====================  ==================================================================

Health (:func:`health_scores`) is a 0-100 score whose components and weights come from
what predicts churn on this portfolio's history (see :class:`HealthScorer`).

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=50, years=3, seed=1)
>>> revenue_kpis(portfolio).columns[0]
'account_id'

The package holds one concern per module: :mod:`~kamtools.kpis.revenue`,
:mod:`~kamtools.kpis.pipeline`, :mod:`~kamtools.kpis.receivables`,
:mod:`~kamtools.kpis.complaints` and :mod:`~kamtools.kpis.relationships` (the KPI blocks, on
the helpers in :mod:`~kamtools.kpis.base`), :mod:`~kamtools.kpis.table` (all blocks in one
table), :mod:`~kamtools.kpis.components` and :mod:`~kamtools.kpis.health` (the health score)
and :mod:`~kamtools.kpis.stage` (the bundle stage).
"""

from kamtools.kpis.complaints import SEVERE, complaint_kpis
from kamtools.kpis.components import HEALTH_COMPONENTS, HEALTH_RISK_DIRECTION, health_sentence
from kamtools.kpis.health import HealthScorer, health_scores
from kamtools.kpis.pipeline import bid_losses, open_bids, pipeline_kpis
from kamtools.kpis.receivables import AGEING_BUCKETS, receivables_ageing, receivables_kpis
from kamtools.kpis.relationships import SENIOR, relationship_kpis
from kamtools.kpis.revenue import revenue_kpis, target_kpis
from kamtools.kpis.stage import SUMMARY_COLUMNS, bundle_tables, history_notes, returns_notes
from kamtools.kpis.table import BLOCKS, account_kpis, portfolio_kpis

__all__ = [
    "SUMMARY_COLUMNS",
    "HEALTH_COMPONENTS",
    "HEALTH_RISK_DIRECTION",
    "health_sentence",
    "HealthScorer",
    "account_kpis",
    "bid_losses",
    "bundle_tables",
    "complaint_kpis",
    "health_scores",
    "open_bids",
    "pipeline_kpis",
    "portfolio_kpis",
    "receivables_ageing",
    "receivables_kpis",
    "relationship_kpis",
    "revenue_kpis",
    "target_kpis",
    "AGEING_BUCKETS",
    "BLOCKS",
    "SEVERE",
    "SENIOR",
    "returns_notes",
    "history_notes",
]
