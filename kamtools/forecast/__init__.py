"""Sales forecasting per account: what will this account buy, and will we hit target?

Public API
----------
:func:`forecast`          many series (``unique_id, ds, y``) -> long frame of forecasts with intervals
:class:`Forecaster`       the same as an estimator (``fit(history).predict()``), plus error covariances
:func:`backtest`          rolling-origin MASE / sMAPE / bias / coverage beside seasonal naive
:func:`target_attainment` booked + forecast vs target: expected attainment, P(reach target)
:func:`reconcile`         category forecasts scaled to sum to their account forecast
:func:`bundle_tables`     the forecast stage of ``kamtools analyze``

Method in one paragraph: per series, an all-zero series forecasts zero, intermittent
demand (ADI > 1.32) gets TSB (a Croston variant that also decays when orders stop), very short series (< 8 points)
the mean, and everything else a median combination of ETS (AICc-selected), Theta and
ARIMA fitted with statsmodels on the seasonally adjusted series. Forecasts of
non-negative series are clipped at zero. See :mod:`kamtools.forecast._engine`.
"""

from kamtools.forecast._validate import ForecastInputError
from kamtools.forecast.backtest import BacktestResult, backtest, seasonal_naive
from kamtools.forecast.core import Forecaster, forecast

__all__ = [
    "BacktestResult",
    "ForecastInputError",
    "Forecaster",
    "backtest",
    "bundle_tables",
    "forecast",
    "reconcile",
    "seasonal_naive",
    "target_attainment",
]


def __getattr__(name: str):  # the account-level layer is loaded on first use
    if name in ("bundle_tables", "reconcile", "target_attainment", "SUMMARY_COLUMNS"):
        from kamtools.forecast import accounts

        return getattr(accounts, name)
    raise AttributeError(f"module 'kamtools.forecast' has no attribute {name!r}")
