"""Defaults of the account plan: objectives, prioritising, the built-in playbook's path."""

from __future__ import annotations

from kamtools.resources import playbook_path

DEFAULT_PLAYBOOK = playbook_path()  # kamtools/playbook.yml, found with importlib.resources

SUMMARY_COLUMNS = {
    "plan_summary": ["revenue_objective", "n_risks", "n_actions", "n_high_priority", "top_action"],
}

# objectives
WHITESPACE_TOP_N = 3  # recommendations counted in the revenue objective
RETENTION_CHURN_P = 0.3  # churn probability from which a retention objective is set (the high risk band)
RETENTION_TARGET_P = 0.3  # ... and the probability it aims to get below (out of the high band)
LIKELY_LOST_P = 0.8  # churn probability from which the account has probably stopped: a win-back objective
RETENTION_HEALTH_TARGET = 40.0  # without a churn model: raise a red health score to amber
PRIORITIES = {"high": 1, "medium": 2, "low": 3}

# prioritising (defaults; a playbook file may set them, see kamtools/playbook.yml)
MIN_VALUE_AT_STAKE = 1000.0  # actions and risks whose money at stake is below this are dropped
MAX_ACTIONS_BY_TIER = {"1": 5, "2": 3, "3": 2}  # at most this many actions per account, by tier
MAX_ACTIONS_DEFAULT = 3  # ... for an account without a tier
STAGGER_DAYS = 7  # each action is due at least this many days after the one ranked before it
OWNER_ACTIONS_PER_WEEK = 10  # at most this many actions due per owner in any week (then later weeks)
CATEGORY_DECLINE = -0.25  # a category whose last 12 months fell by this much or more is declining
