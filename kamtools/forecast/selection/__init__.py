"""Which forecast each account gets: the method its out-of-time evidence favours.

A fitted model is not automatically better than what a careful analyst would do by hand.
For every account this package compares, on out-of-time evidence (the backtest windows of
the forecast stage), the kamtools model with the simple alternatives:

* ``model`` - the kamtools forecast (:class:`~kamtools.forecast.core.Forecaster`);
* ``recent_mean`` - the mean of the last 6 months;
* ``level_12m`` - the mean of the last 12 months;
* ``seasonal_naive`` - each month as the same month a year earlier (accounts with two years);
* ``btyd`` - the buy-till-you-die expected value: BG/NBD expected purchases in each coming
  month (which carries P(alive)) times the Gamma-Gamma expected purchase value;
* ``zero`` - nothing, for an account that has clearly stopped buying.

The package, from the ground up (each module imports only those listed before it):

* :mod:`~kamtools.forecast.selection.state` - where each account stands at a date (class, level, silence, spikes)
  and what accounts as silent bought back in the history;
* :mod:`~kamtools.forecast.selection.paths` - the candidate methods, their paths and the BTYD fit;
* :mod:`~kamtools.forecast.selection.evidence` - the out-of-time evidence at the backtest origins;
* :mod:`~kamtools.forecast.selection.choice` - which method each class of similar accounts gets;
* :mod:`~kamtools.forecast.selection.class_reasons` - the sentence why an account takes its class's choice;
* :mod:`~kamtools.forecast.selection.context` - what every account's choice reads, its own out-of-time evidence
  among it;
* :mod:`~kamtools.forecast.selection.lapsed` - the rules for long-silent accounts (zero, survival-scaled or what
  such accounts bought back) and their sentences;
* :mod:`~kamtools.forecast.selection.steady` - a steady account's monthly range from its own spread on the months
  it orders;
* :mod:`~kamtools.forecast.selection.reasons` - each account's method and the sentence why;
* :mod:`~kamtools.forecast.selection.multiples` - what similar accounts reached out of time, as multiples of
  their forecast, and the account's own steadiness;
* :mod:`~kamtools.forecast.selection.assembly` - :func:`select`, which gathers all of it in a
  :class:`Selection`;
* :mod:`~kamtools.forecast.selection.ranges` - the range of an account's total read from a :class:`Selection`.

The names that code elsewhere imports from here stay importable from here, as when this was one file.
"""

from __future__ import annotations

# __all__ is the public face; the other names are those that code elsewhere (kamtools.forecast.accounts,
# kamtools.forecast.notes, kamtools.forecast.targets, tests, benchmarks) imports from here
from kamtools.forecast.selection.assembly import (  # noqa: F401
    Selection,
    select,
)
from kamtools.forecast.selection.choice import (  # noqa: F401
    CORRECTION_MARGIN,
    FACTOR_BOUNDS,
    MIN_COMPARE_ROWS,
    WELL_CALIBRATED,
    ClassChoice,
    _choose_on,
    _factor,
    choose_by_class,
    error_correlation,
    share_tilt,
    whole_portfolio_scales,
)
from kamtools.forecast.selection.class_reasons import _class_reason  # noqa: F401
from kamtools.forecast.selection.context import MIN_OWN_ORIGINS, _own_evidence  # noqa: F401
from kamtools.forecast.selection.evidence import (  # noqa: F401
    Evidence,
    build_evidence,
)
from kamtools.forecast.selection.lapsed import _lapsed_reason, _one_time_reason, _silent_scale  # noqa: F401
from kamtools.forecast.selection.multiples import (  # noqa: F401
    MIN_TOTAL_ROWS,
    MIN_YOUNG_HORIZON,
    _class_total_ratios,
    later_origin_widening,
    lumpier_half,
    own_errors,
    ratio_bounds,
    relative_spread,
    silent_ratios,
    total_ratio_range,
    total_ratios,
    young_evidence,
)
from kamtools.forecast.selection.paths import (  # noqa: F401
    CANDIDATES,
    METHOD_WORDS,
    BtydNow,
    btyd_fit,
    btyd_paths,
    btyd_unusable,
    candidate_paths,
)
from kamtools.forecast.selection.ranges import (  # noqa: F401
    _silent_range,
    range_widening,
    returning_range,
    short_range,
    total_range,
    young_multiples,
)
from kamtools.forecast.selection.reasons import (  # noqa: F401
    NO_CHECK_BTYD,
    NO_CHECK_NO_DROPOUT,
    NO_CHECK_ONCE,
    NO_CHECK_ONE_MONTH,
    NO_CHECK_WINDOW,
    NO_DROPOUT_MONTHS,
    TILTED,
)
from kamtools.forecast.selection.state import (  # noqa: F401
    MIN_CLASS_ROWS,
    SPIKE_FACTOR,
    YOUNG_MONTHS,
    ReturnEvidence,
    ReturnHistory,
    State,
    account_state,
    cap_spikes,
    class_words,
    history_returns,
    return_median,
    silent_against_history,
    silent_one_time,
    spike_notes,
    wide_history,
)

__all__ = [
    "CANDIDATES",
    "Selection",
    "select",
    "METHOD_WORDS",
    "ClassChoice",
    "Evidence",
    "State",
    "account_state",
    "btyd_paths",
    "build_evidence",
    "cap_spikes",
    "spike_notes",
    "history_returns",
    "ReturnHistory",
    "return_median",
    "returning_range",
    "range_widening",
    "later_origin_widening",
    "short_range",
    "choose_by_class",
    "class_words",
    "error_correlation",
    "silent_one_time",
    "wide_history",
]
