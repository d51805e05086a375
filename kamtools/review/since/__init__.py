"""What changed since the last review: one analysis bundle compared with an earlier one.

``kamtools analyze`` runs each month; :func:`compare_bundles` puts this month's bundle
beside last month's (or last quarter's) and says, per account:

* status: ``both`` (in both bundles), ``new`` (only in the current one), ``gone`` (only in
  the previous one);
* revenue of the last 12 months (``revenue_ltm``), next-12-month forecast
  (``forecast_next_12m``), target attainment year to date (``target_attainment``) and
  the expected attainment of the year's target (``target_expected_attainment``; compared
  only when both bundles measure the same target year), churn probability and band
  (``churn_probability``, ``risk_band``), tier and portfolio quadrant (``tier``,
  ``quadrant``): before, now and the difference;
* the churn drivers that moved (``churn_drivers``, by feature): new, no longer a driver,
  or still a driver with its value then and now;
* new and resolved risks (``plan_risks``, by playbook rule);
* the previous plan's actions followed up (``plan_actions``): ``done`` (marked done in a
  CRM task export, see :func:`kamtools.review.actions.read_tasks`; when its rule still fires,
  ``condition_holds`` is True and the text says "done in the CRM ..., but the condition still
  holds: <evidence>", also a "done, still holds" line of the digest), ``resolved`` (the
  playbook rule behind it no longer fires for the account: neither a risk nor an action of
  the current plan), ``overdue`` (due before the current as-of date) or ``open``; each
  action carries its stable id (:func:`kamtools.review.actions.action_id`);
* value at stake: the money the account's current plan actions protect or win
  (``plan_summary.value_at_stake``; the previous plan's for an account that is gone).

:attr:`Changes.digest` ranks the portfolio's notable changes by value at stake: accounts
that changed churn band or tier, new high-severity risks, targets slipping (expected
attainment down by :data:`TARGET_SLIP` or more and now below 100%), the largest forecast revisions (at least
:data:`REVISION_SHARE` of the previous forecast), new accounts and accounts gone.

Bundles written by different kamtools versions, with different account sets or with a
table in only one of them are compared where they can be; :attr:`Changes.notes` says
what was left out and why. The previous bundle must be the earlier one
(:class:`SinceError` otherwise). Both bundles are only read.

Example
-------
>>> from kamtools.bundle import Bundle  # doctest: +SKIP
>>> changes = compare_bundles(Bundle.open("bundles/2026-11"), Bundle.open("bundles/2026-10"))  # doctest: +SKIP
>>> changes.digest.head()  # doctest: +SKIP
>>> changes.for_account("A0002").sentences  # doctest: +SKIP
"""

from kamtools.review.since.compare import compare_bundles
from kamtools.review.since.constants import (
    ACTION_STATUSES,
    MEASURES,
    REVISION_SHARE,
    TARGET_SLIP,
    SinceError,
)
from kamtools.review.since.reading import check_order, open_previous, read_task_export, since_freshness
from kamtools.review.since.result import AccountChanges, Changes

__all__ = [
    "ACTION_STATUSES",
    "MEASURES",
    "REVISION_SHARE",
    "TARGET_SLIP",
    "AccountChanges",
    "Changes",
    "SinceError",
    "check_order",
    "compare_bundles",
    "open_previous",
    "read_task_export",
    "since_freshness",
]
