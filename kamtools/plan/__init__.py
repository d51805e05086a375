"""The account plan: profile, objectives, risks with evidence, actions and QBR talking points.

A plan is built from *facts*: one row per account of named numbers and texts (revenue,
target pace, days since decision-maker contact, overdue receivables, churn probability,
competitor threat, forecast, whitespace, ...; see :data:`FACTS`) gathered from the
results of every analysis (:func:`account_facts`). Then

* objectives for the next 12 months are computed (:func:`objectives`): revenue = forecast
  + realistic whitespace capture, margin, and retention for accounts at risk;
* the *playbook* (``kamtools/playbook.yml``, or a team's own file) is applied: each rule
  has a condition over facts (``days_since_dm_contact > 120 and decision_makers > 0``),
  a risk text, an action text, a priority, a due time and the money fact that measures
  what is at stake (``value``). A rule that fires yields a risk and/or an action, each with
  the evidence (the rule's texts filled with the account's numbers, plus the facts its
  condition read) and its value at stake;
* the plan prioritises: risks and actions below ``min_value_at_stake`` are dropped, the
  rest are ranked by priority (high, medium, low), then value at stake (largest first,
  unknown last), then playbook order, so an account's first action (its top action) is
  the one to do first; each account keeps at most its tier's number of actions (within a
  priority, one per topic before a second of the same type), and due dates are staggered so
  the first action is due first;
* talking points for the quarterly business review are written from the result.

Conditions are evaluated by a small safe evaluator (:class:`Condition`): the text is
parsed with :mod:`ast` and only comparisons, ``and``/``or``/``not``, fact names, numbers,
strings and literal tuples for ``in`` are accepted; nothing is ever ``eval``-ed. Templates
(:class:`Template`) accept only ``{fact}`` or ``{fact:format}`` placeholders.

The package holds one concern per module: :mod:`~kamtools.plan.facts` (the facts and how
they are read from the analysis tables), :mod:`~kamtools.plan.rules` (the condition
language and templates), :mod:`~kamtools.plan.playbook` (reading and checking playbooks),
:mod:`~kamtools.plan.objectives`, :mod:`~kamtools.plan.actions` (applying the playbook,
prioritising), :mod:`~kamtools.plan.talking_points`, :mod:`~kamtools.plan.assembly`
(:class:`AccountPlan`, :func:`account_plan`) and :mod:`~kamtools.plan.stage` (the bundle
stage); the defaults are in :mod:`~kamtools.plan.constants`.

Everything is vectorised over accounts (conditions are array expressions over the facts
table), so plans for 10,000 accounts take seconds.

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=60, years=3, seed=3)
>>> plan = account_plan(portfolio, "A0002")  # doctest: +SKIP
>>> plan.actions[["priority", "action", "evidence"]]  # doctest: +SKIP
"""

from kamtools.plan.actions import apply_playbook
from kamtools.plan.assembly import AccountPlan, account_plan, plans
from kamtools.plan.constants import (
    CATEGORY_DECLINE,
    DEFAULT_PLAYBOOK,
    MAX_ACTIONS_BY_TIER,
    MAX_ACTIONS_DEFAULT,
    MIN_VALUE_AT_STAKE,
    OWNER_ACTIONS_PER_WEEK,
    PRIORITIES,
    RETENTION_CHURN_P,
    RETENTION_HEALTH_TARGET,
    RETENTION_TARGET_P,
    STAGGER_DAYS,
    SUMMARY_COLUMNS,
    WHITESPACE_TOP_N,
)
from kamtools.plan.facts import FACT_UNITS, FACTS, account_facts
from kamtools.plan.objectives import objectives
from kamtools.plan.playbook import PLAYBOOK_CONTEXT_KEY, Playbook, Rule, checked_playbook, load_playbook
from kamtools.plan.rules import Condition, PlaybookError, Template
from kamtools.plan.stage import bundle_tables
from kamtools.plan.talking_points import talking_points

__all__ = [
    "CATEGORY_DECLINE",
    "DEFAULT_PLAYBOOK",
    "FACTS",
    "FACT_UNITS",
    "MAX_ACTIONS_BY_TIER",
    "MAX_ACTIONS_DEFAULT",
    "MIN_VALUE_AT_STAKE",
    "OWNER_ACTIONS_PER_WEEK",
    "PLAYBOOK_CONTEXT_KEY",
    "PRIORITIES",
    "RETENTION_CHURN_P",
    "RETENTION_HEALTH_TARGET",
    "RETENTION_TARGET_P",
    "STAGGER_DAYS",
    "SUMMARY_COLUMNS",
    "WHITESPACE_TOP_N",
    "AccountPlan",
    "Condition",
    "Playbook",
    "PlaybookError",
    "Rule",
    "Template",
    "account_facts",
    "account_plan",
    "apply_playbook",
    "bundle_tables",
    "checked_playbook",
    "load_playbook",
    "objectives",
    "plans",
    "talking_points",
]
