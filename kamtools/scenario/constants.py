"""The scenario planner's defaults and its error."""

from __future__ import annotations

from scipy import stats

DEFAULT_ELASTICITY = -1.0  # unit elasticity: a price rise leaves revenue unchanged, volume falls
ELASTICITY_RANGE = (-6.0, 0.0)  # estimates outside are implausible for B2B supply and are not used
MIN_ELASTICITY_OBS = 24  # months with purchases needed for an account-level estimate
MIN_PRICE_VARIATION = 0.01  # sd of the log price index (after controls) below which price never moved
MAX_CI_WIDTH = 2.0  # a 95% interval wider than this says nothing useful
DEFAULT_PAYMENT_DAYS = 30.0
DEFAULT_COST_OF_CAPITAL = 8.0  # percent per year, to price the receivables
DEFAULT_PROMOTION_UPLIFT = 2.0  # incremental revenue per unit of promotion spend
DAYS_PER_YEAR = 365.0
SCOPE_COLUMNS = ("tier", "quadrant", "cluster_name", "rfm_segment", "industry", "region", "owner", "channel")
_Z80 = stats.norm.ppf(0.9)
_Z95 = stats.norm.ppf(0.975)


class ScenarioError(ValueError):
    """A scenario, scope or lever value that cannot be evaluated, with what to do."""
