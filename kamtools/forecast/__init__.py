"""Sales forecasting per account: what will this account buy, and will we hit target?

Public API
----------
:func:`forecast`          many series (``unique_id, ds, y``) -> long frame of forecasts with intervals
:class:`Forecaster`       the same as an estimator (``fit(history).predict()``), plus error covariances
:func:`backtest`          rolling-origin MASE / sMAPE / bias / coverage beside seasonal naive
:func:`target_attainment` booked + forecast vs yearly target: expected attainment, P(reach target)
:func:`reconcile`         category forecasts scaled to sum to their account forecast
:func:`bundle_tables`     the forecast stage of ``kamtools analyze``

Method in one paragraph: per series, an all-zero series forecasts zero, intermittent
demand (ADI > 1.32) gets TSB (a Croston-type method that also decays when orders stop),
very short series (< 8 points) the mean, and everything else the median of ETS
(AICc-selected), Theta and ARIMA forecasts fitted with statsmodels on the STL-adjusted
series. Forecasts of non-negative series are clipped at zero. Intervals come from the
model's error structure with Student-t quantiles; nothing is random, so results are
deterministic and identical for any ``n_jobs``. See :mod:`kamtools.forecast._engine`.

In ``kamtools analyze`` each account then gets the method its out-of-time evidence favours
among that model and the simple alternatives (recent means, seasonal naive, the BTYD
expected value, zero for a lapsed account), with the reason: :mod:`kamtools.forecast.selection`.
"""

from kamtools.forecast._validate import ForecastInputError
from kamtools.forecast.accounts import SUMMARY_COLUMNS, bundle_tables, portfolio_target, reconcile, target_attainment
from kamtools.forecast.backtest import BacktestResult, backtest, seasonal_naive
from kamtools.forecast.core import Forecaster, forecast

__all__ = [
    "SUMMARY_COLUMNS",
    "BacktestResult",
    "ForecastInputError",
    "Forecaster",
    "backtest",
    "bundle_tables",
    "forecast",
    "portfolio_target",
    "reconcile",
    "seasonal_naive",
    "target_attainment",
]
