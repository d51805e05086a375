"""What-if engine for joint business planning: levers -> revenue, margin, working capital vs target.

A :class:`Scenario` is plain data: a name, a scope (one account, a group of accounts
such as a tier, or the whole portfolio) and levers. :func:`evaluate` applies the levers
to the baseline (the bundle's forecast) and returns baseline and scenario side by side,
per month, per calendar year and per category. Nothing here refits a model at lever
time: :func:`baseline` gathers everything a scope needs once (per-category monthly
baseline arrays, margins, elasticities, revenue at risk, whitespace, payment days,
targets and the forecast's uncertainty), and evaluating a lever change is a handful of
numpy operations on a (categories x months) array.

The arithmetic, per category ``c`` and forecast month ``t`` (all levers in percent)::

    core[c,t]   = baseline[c,t] * (1 + churn_reduction * revenue_at_risk / baseline_12m)
                  + whitespace_capture * recommended_spend[c] / 12 * ramp[t]
    volume[c]   = (1 + price[c]) ** elasticity[c] * (1 + volume_change[c])
    revenue     = core * (1 + price[c]) * volume[c] + promotion_spend / 12 * uplift * share[c,t]
    cost        = core * cost_ratio[c] * volume[c]  + promo revenue * cost_ratio[c] / (1 + price[c])
    trade investment = promotion spend + price discounts (max(0, -price[c]) * core * volume[c])
    receivables = revenue[t] * 12 / 365 * (DSO + new payment terms - current terms)

The chance of reaching a year's target at zero levers is the one the reports show: one account's
own (``forecast_targets``), the whole portfolio's (``forecast_portfolio_target``), an account group's
(``group_rollup``); any other set of accounts draws each account's year total along its own
distribution, the accounts tied by the forecast stage's common error share (``forecast_portfolio_range``,
the rule of the portfolio's range: :mod:`kamtools.forecast.portfolio_range`, :mod:`kamtools.target_draws`),
so that a tier or a region spreads as the whole portfolio does. The levers scale the rest of the year.

With every lever at zero the scenario reproduces the baseline exactly. The baseline is
taken as the account's current trajectory, so keeping part of the churn model's revenue
at risk and winning part of the recommended whitespace add to it.

Price elasticity is estimated from the scope's own history (:func:`estimate_elasticity`:
log-log regression of monthly volume at constant prices on the realised price index,
with month-of-year and trend controls, statsmodels, robust standard errors) and falls
back to the tier's pooled estimate, the portfolio's, and finally
:data:`DEFAULT_ELASTICITY` when the history shows too little price variation to tell.
The user can always override it.

The package holds one concern per module: :mod:`~kamtools.scenario.model` (the
:class:`Scenario`), :mod:`~kamtools.scenario.store` (scenario files),
:mod:`~kamtools.scenario.scopes`, :mod:`~kamtools.scenario.elasticity`,
:mod:`~kamtools.scenario.stage` (the bundle stage, on a Portfolio),
:mod:`~kamtools.scenario.baseline` and :mod:`~kamtools.scenario.engine` (the what-if engine,
on a Bundle); the defaults are in :mod:`~kamtools.scenario.constants`.

Bundle tables written by :func:`bundle_tables` (stage ``scenario``):
``scenario_price_volume`` (account x category x month: quantity, net_revenue, cost,
volume at reference prices, price_index), ``scenario_elasticity`` (account x category:
estimate, CI, the value used and where it comes from), ``scenario_elasticity_pooled``
(tier and portfolio estimates) and ``scenario_terms`` (payment terms and DSO per
account).

Example
-------
>>> from kamtools.bundle import Bundle
>>> b = Bundle.open("reports/demo/bundle")                                   # doctest: +SKIP
>>> s = Scenario("price +3%", scope="account:A0001", price_change=3.0)       # doctest: +SKIP
>>> evaluate(b, s).yearly[["year", "revenue_baseline", "revenue_scenario"]]   # doctest: +SKIP
"""

from kamtools.scenario.baseline import Baseline, baseline
from kamtools.scenario.constants import (
    DEFAULT_COST_OF_CAPITAL,
    DEFAULT_ELASTICITY,
    DEFAULT_PAYMENT_DAYS,
    DEFAULT_PROMOTION_UPLIFT,
    ELASTICITY_RANGE,
    SCOPE_COLUMNS,
    ScenarioError,
)
from kamtools.scenario.elasticity import (
    PRICE_VOLUME_COLUMNS,
    batch_account_elasticities,
    estimate_elasticity,
    price_volume_table,
)
from kamtools.scenario.engine import KPI_LABELS, ScenarioResult, compare, evaluate
from kamtools.scenario.model import Scenario
from kamtools.scenario.scopes import parse_scope, scope_accounts, scope_label, scopes
from kamtools.scenario.stage import bundle_tables
from kamtools.scenario.store import HASH_CHARS, ScenarioExists, ScenarioStore, file_name, load, save

__all__ = [
    "DEFAULT_COST_OF_CAPITAL",
    "DEFAULT_PROMOTION_UPLIFT",
    "ELASTICITY_RANGE",
    "HASH_CHARS",
    "KPI_LABELS",
    "PRICE_VOLUME_COLUMNS",
    "SCOPE_COLUMNS",
    "parse_scope",
    "scope_accounts",
    "DEFAULT_ELASTICITY",
    "DEFAULT_PAYMENT_DAYS",
    "Baseline",
    "Scenario",
    "ScenarioError",
    "ScenarioExists",
    "ScenarioResult",
    "ScenarioStore",
    "baseline",
    "batch_account_elasticities",
    "bundle_tables",
    "compare",
    "estimate_elasticity",
    "evaluate",
    "file_name",
    "load",
    "price_volume_table",
    "save",
    "scope_label",
    "scopes",
]
