"""Expected future value of each account: buy-till-you-die (BTYD) models.

The workflow is the classic one of Fader, Hardie & Lee (2005):

1. :func:`rfm_summary` turns order lines into one row per account: ``frequency``
   (repeat purchase periods), ``recency`` (time from first to last purchase), ``T``
   (time from first purchase to the analysis date) and ``monetary`` (mean value of the
   repeat purchase periods);
2. :class:`BetaGeo` (BG/NBD) or :class:`ModifiedBetaGeo` (MBG/NBD, which lets an
   account stop right after its first purchase, so a one-time buyer's P(alive) can fall
   below 1) learns how often accounts buy and how likely they are to have stopped
   buying, giving ``p_alive`` and ``expected_purchases``; :func:`choose_btyd` picks one
   of the two on a holdout and flags fits whose parameters the data do not determine;
3. :class:`GammaGamma` learns what a purchase of each account is worth
   (``expected_average_value``);
4. :func:`expected_value` combines both into the discounted expected revenue and margin
   of the next 12 months.

The estimators work on any transaction data set (not only kamtools portfolios) and follow
the scikit-learn estimator contract (parameters in ``__init__``, ``fit`` returns
``self``, learned attributes end in ``_``, ``sklearn.base.clone`` works).

Example
-------
>>> summary = rfm_summary(orders, as_of="2026-10-31", freq="W")          # doctest: +SKIP
>>> bg = BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])  # doctest: +SKIP
>>> bg.p_alive(summary["frequency"], summary["recency"], summary["T"])        # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import order_history

__all__ = [
    "SUMMARY_COLUMNS",
    "BTYDChoice",
    "BetaGeo",
    "GammaGamma",
    "ModifiedBetaGeo",
    "btyd_from_table",
    "choose_btyd",
    "fit_problems",
    "p_no_order",
    "fit_status",
    "bundle_tables",
    "fit_value",
    "expected_value",
    "margin_rates",
    "rfm_summary",
]

SUMMARY_COLUMNS = {"value": ["p_alive", "expected_purchases_12m", "expected_value_12m", "expected_margin_12m"]}

# length of one period in days, for converting recency and T between units
_PERIOD_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
MIN_ACCOUNTS = 10  # fewer accounts with orders than this: no portfolio-level model is fitted
MIN_REPEAT_BUYERS = 5  # fewer accounts that bought again than this: no buying rhythm to learn


# ---------------------------------------------------------------------------------------
# transactions -> BTYD summary
# ---------------------------------------------------------------------------------------
def _period_index(dates: pd.Series, freq: str) -> np.ndarray:
    """Integer index of the calendar period (day, Monday-Sunday week, month) of each date."""
    days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    if freq == "D":
        return days
    if freq == "W":
        return (days + 3) // 7  # 1970-01-01 was a Thursday; weeks start on Monday
    months = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    return months


def _unique_inverse(key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for non-negative int keys below ``n_keys``.

    When the key space is not much larger than the data (accounts x periods usually is
    not), one counting pass replaces the sort: several times faster on millions of lines.
    """
    if len(key) == 0 or n_keys > 4 * len(key) + 1_000_000 or key.min() < 0:
        return np.unique(key, return_inverse=True)
    present = np.bincount(key, minlength=n_keys) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present), rank[key]


def _check_freq(name: str, value: str) -> str:
    if value not in _PERIOD_DAYS:
        raise ValueError(f"{name} must be one of 'D' (days), 'W' (weeks) or 'M' (months), not {value!r}")
    return value


def _orders_frame(orders: pd.DataFrame | Portfolio) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    if isinstance(orders, Portfolio):
        return orders.orders, orders.as_of
    if not isinstance(orders, pd.DataFrame):
        raise TypeError("rfm_summary: orders must be a DataFrame (the orders table) or a Portfolio")
    missing = [c for c in ("account_id", "order_date", "net_revenue") if c not in orders.columns]
    if missing:
        raise ValueError(
            f"rfm_summary: the orders table has no column(s) {missing}; it needs account_id, order_date and "
            "net_revenue (map your column names to these)."
        )
    if not pd.api.types.is_datetime64_any_dtype(orders["order_date"]):
        raise ValueError("rfm_summary: orders.order_date must be a datetime column (use pd.to_datetime)")
    bad = orders["net_revenue"].isna() | orders["order_date"].isna() | orders["account_id"].isna()
    if bad.any():
        rows = list(orders.index[bad.to_numpy()][:5])
        raise ValueError(
            f"rfm_summary: {int(bad.sum())} order line(s) have a missing account_id, order_date or net_revenue "
            f"(first rows: {rows}); fix or drop them."
        )
    return orders, None


def rfm_summary(
    orders: pd.DataFrame | Portfolio,
    as_of: str | pd.Timestamp | None = None,
    freq: str = "W",
    calibration_end: str | pd.Timestamp | None = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """Per-account BTYD summary (frequency, recency, T, monetary) from order lines.

    Transactions are aggregated per calendar period of ``freq`` (``"D"`` day,
    ``"W"`` Monday-Sunday week, ``"M"`` month): a period with at least one order line
    is one purchase (zero-revenue lines count, as in the CDNOW data of Fader, Hardie &
    Lee 2005). Orders after ``as_of`` are ignored. Returns, credit notes and rebates (lines
    with a negative ``net_revenue`` or ``quantity``) are not purchases: their revenue is
    netted into the account's latest purchase period on or before them (else its first).

    Parameters
    ----------
    orders : the canonical orders table (``account_id``, ``order_date``, ``net_revenue``)
        or a :class:`Portfolio` (then ``as_of`` defaults to the portfolio's).
    as_of : analysis date; default the last order date.
    freq : purchase period, ``"D"``, ``"W"`` or ``"M"``.
    calibration_end : when given, the summary columns describe the calibration period up
        to this date and holdout columns the period after it up to ``as_of`` (backtests).
    unit : time unit of ``recency``, ``T`` and ``duration_holdout``; default ``freq``
        (``freq="D", unit="W"`` gives daily purchases measured in weeks, as in CDNOW).

    Returns
    -------
    DataFrame, one row per account with a purchase up to ``calibration_end`` (or
    ``as_of``): ``account_id``; ``frequency`` (int, purchase periods minus one);
    ``recency`` and ``T`` (float, in ``unit``); ``monetary`` (mean revenue of the repeat
    purchase periods, 0 when frequency is 0); ``first_purchase``, ``last_purchase``
    (dates); with ``calibration_end`` also ``frequency_holdout`` (purchase periods after
    it), ``monetary_holdout`` (their mean revenue, 0 when none) and ``duration_holdout``.
    """
    df, default_as_of = _orders_frame(orders)
    freq = _check_freq("freq", freq)
    unit = _check_freq("unit", unit or freq)
    scale = _PERIOD_DAYS[freq] / _PERIOD_DAYS[unit] if freq != unit else 1.0
    if as_of is None:
        as_of = default_as_of if default_as_of is not None else df["order_date"].max()
    as_of = pd.Timestamp(as_of)
    cut = as_of if calibration_end is None else pd.Timestamp(calibration_end)
    if cut > as_of:
        raise ValueError(f"rfm_summary: calibration_end {cut.date()} is after as_of {as_of.date()}")
    columns = ["account_id", "frequency", "recency", "T", "monetary", "first_purchase", "last_purchase"]
    if calibration_end is not None:
        columns += ["frequency_holdout", "monetary_holdout", "duration_holdout"]

    df = df[df["order_date"] <= as_of]
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}).astype(
            {"account_id": "str", "frequency": "int64"}
        )
    codes, ids = pd.factorize(df["account_id"], sort=True)
    period = _period_index(df["order_date"], freq)
    revenue = df["net_revenue"].to_numpy(dtype=np.float64)
    credit = revenue < 0  # returns, credit notes, rebates: netted, never a purchase occasion
    if "quantity" in df.columns:
        credit |= df["quantity"].to_numpy(dtype=np.float64) < 0
    p_cut = int(_period_index(pd.Series([cut]), freq)[0])
    p_end = int(_period_index(pd.Series([as_of]), freq)[0])
    in_cal = df["order_date"].to_numpy() <= np.datetime64(cut)

    # one row per (account, period): unique over a combined integer key
    p0 = int(period.min())
    span = int(period.max()) - p0 + 1
    key = codes.astype(np.int64) * span + (period - p0)
    n_acc = len(ids)

    def per_period(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        buy = mask & ~credit
        uniq, inverse = _unique_inverse(key[buy], n_acc * span)
        value = np.bincount(inverse, weights=revenue[buy], minlength=len(uniq))
        back = mask & credit
        if back.any() and len(uniq):
            ck, ca = key[back], codes[back].astype(np.int64)
            pos = np.searchsorted(uniq, ck, side="right") - 1  # latest purchase period on or before
            before = (pos >= 0) & (uniq[np.maximum(pos, 0)] // span == ca)
            pos = np.where(before, pos, np.searchsorted(uniq, ca * span))  # else the account's first
            ok = (pos < len(uniq)) & (uniq[np.minimum(pos, len(uniq) - 1)] // span == ca)
            value += np.bincount(pos[ok], weights=revenue[back][ok], minlength=len(uniq))
        return uniq // span, uniq % span + p0, value

    acc, per, value = per_period(in_cal)
    n_periods = np.bincount(acc, minlength=n_acc)
    has = n_periods > 0
    first = np.full(n_acc, np.iinfo(np.int64).max)
    last = np.full(n_acc, np.iinfo(np.int64).min)
    np.minimum.at(first, acc, per)
    np.maximum.at(last, acc, per)
    total = np.bincount(acc, weights=value, minlength=n_acc)
    # value of the first period (uniq is sorted by account then period: first row of each account)
    first_row = np.searchsorted(acc, np.arange(n_acc))
    first_value = np.where(has, value[np.minimum(first_row, len(value) - 1)], 0.0) if len(value) else total
    frequency = np.maximum(n_periods - 1, 0)
    repeat_value = total - first_value
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_value / np.maximum(frequency, 1), 0.0)

    # first/last purchase dates (calendar dates, not periods)
    dates = df["order_date"].to_numpy(dtype="datetime64[ns]")
    first_date = np.full(n_acc, np.datetime64("NaT"), dtype="datetime64[ns]")
    last_date = first_date.copy()
    dint = dates.astype(np.int64)
    fd = np.full(n_acc, np.iinfo(np.int64).max)
    ld = np.full(n_acc, np.iinfo(np.int64).min)
    buy_cal = in_cal & ~credit
    np.minimum.at(fd, codes[buy_cal], dint[buy_cal])
    np.maximum.at(ld, codes[buy_cal], dint[buy_cal])
    first_date[has] = fd[has].astype("datetime64[ns]")
    last_date[has] = ld[has].astype("datetime64[ns]")

    out = pd.DataFrame(
        {
            "account_id": pd.Series(np.asarray(ids, dtype=object), dtype="str"),
            "frequency": frequency.astype(np.int64),
            "recency": ((last - first) * scale).astype(np.float64),
            "T": ((p_cut - first) * scale).astype(np.float64),
            "monetary": monetary.astype(np.float64),
            "first_purchase": first_date,
            "last_purchase": last_date,
        }
    )
    if calibration_end is not None:
        hold = ~in_cal
        h_acc, _, h_value = per_period(hold)
        h_n = np.bincount(h_acc, minlength=n_acc)
        h_total = np.bincount(h_acc, weights=h_value, minlength=n_acc)
        out["frequency_holdout"] = h_n.astype(np.int64)
        out["monetary_holdout"] = np.where(h_n > 0, h_total / np.maximum(h_n, 1), 0.0)
        out["duration_holdout"] = float((p_end - p_cut) * scale)
    out = out[has].reset_index(drop=True)
    return out[columns]


# ---------------------------------------------------------------------------------------
# shared helpers for the estimators
# ---------------------------------------------------------------------------------------
def _as_float_array(name: str, values, allow_negative: bool = False) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has {int((~np.isfinite(arr)).sum())} missing or infinite value(s)")
    if not allow_negative and np.any(arr < 0):
        raise ValueError(f"{name} has {int((arr < 0).sum())} negative value(s); it must be >= 0")
    return arr


def _check_btyd_inputs(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _as_float_array("frequency", frequency)
    t_x = _as_float_array("recency", recency)
    t_cal = _as_float_array("T", T)
    if not (len(x) == len(t_x) == len(t_cal)):
        raise ValueError(f"frequency, recency and T differ in length ({len(x)}, {len(t_x)}, {len(t_cal)})")
    if np.any(np.abs(x - np.round(x)) > 1e-9):
        raise ValueError("frequency must hold whole numbers (repeat purchase periods)")
    if np.any(t_x > t_cal + 1e-9):
        raise ValueError(
            f"{int((t_x > t_cal + 1e-9).sum())} row(s) have recency > T; recency is the time from first to last "
            "purchase and cannot exceed the time from first purchase to the analysis date"
        )
    if np.any((x == 0) & (t_x > 0)):
        raise ValueError("rows with frequency 0 must have recency 0 (no repeat purchase)")
    return x, t_x, t_cal


def _unpack(caller: str, frequency, recency=None, T=None):
    """Accept fit(frequency, recency, T) or fit(DataFrame with those columns)."""
    if recency is None and T is None and isinstance(frequency, pd.DataFrame):
        missing = [c for c in ("frequency", "recency", "T") if c not in frequency.columns]
        if missing:
            raise ValueError(f"the summary table has no column(s) {missing}; use rfm_summary() to build it")
        return frequency["frequency"], frequency["recency"], frequency["T"]
    if recency is None or T is None:
        raise TypeError(f"{caller} needs frequency, recency and T (or one DataFrame holding them)")
    return frequency, recency, T


def _numeric_hessian(grad, theta: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of a function from its analytic gradient (relative steps)."""
    k = len(theta)
    hess = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * max(abs(theta[i]), 1e-8)
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        hess[:, i] = (grad(up) - grad(down)) / (2 * h)
    return (hess + hess.T) / 2


def _standard_errors(hess: np.ndarray) -> np.ndarray:
    """Standard errors from the Hessian of the total log-likelihood (NaN when not invertible)."""
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return np.full(len(hess), np.nan)
    diag = np.diag(cov)
    return np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)


def _minimise(objective, starts: list[np.ndarray], bounds: tuple[float, float], max_iter: int):
    """Best L-BFGS-B result over several starting points (in log-parameter space)."""
    best = None
    for x0 in starts:
        # a 3-4 parameter problem: multi-threaded BLAS inside L-BFGS-B only adds overhead (50x here)
        with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
            res = optimize.minimize(
                objective,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=[bounds] * len(x0),
                options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-8},
            )
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise RuntimeError("the likelihood could not be evaluated at any starting point")
    return best


def _log_hyp2f1_series(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, max_terms: int = 200_000
) -> np.ndarray:
    """log 2F1(a, b; c; z) by summing Gauss' series in log space, for 0 <= z < 1 and a, b, c > 0.

    The fallback for the few arguments where scipy's hyp2f1 over- or underflows (very
    large ``b`` and ``c`` together with ``z`` near 1): every term is positive, so the sum
    is accumulated as a running log-sum-exp and stops when the terms no longer matter.
    """
    a, b, c, z = (np.asarray(v, dtype=np.float64).copy() for v in (a, b, c, z))
    log_z = np.log(np.where(z > 0, z, 1.0))
    log_term = np.zeros_like(z)
    log_total = np.zeros_like(z)
    active = z > 0
    for k in range(max_terms):
        if not active.any():
            break
        idx = np.nonzero(active)[0]
        log_term[idx] += np.log((a[idx] + k) * (b[idx] + k) / ((c[idx] + k) * (k + 1))) + log_z[idx]
        log_total[idx] = np.logaddexp(log_total[idx], log_term[idx])
        # done once terms shrink (ratio < 1) and are negligible against the sum
        ratio = (a[idx] + k + 1) * (b[idx] + k + 1) / ((c[idx] + k + 1) * (k + 2)) * z[idx]
        active[idx] = ~((ratio < 1) & (log_term[idx] - log_total[idx] < -40))
    return log_total


# ---------------------------------------------------------------------------------------
# BG/NBD
# ---------------------------------------------------------------------------------------
class BetaGeo(BaseEstimator):
    """Beta-geometric/negative-binomial (BG/NBD) model of repeat purchasing.

    While "alive", an account buys as a Poisson process with rate lambda ~ Gamma(r, alpha);
    after each purchase it drops out with probability p ~ Beta(a, b). Fitted by exact
    maximum likelihood (Fader, Hardie & Lee 2005) on the BTYD summary, in the time unit of
    ``recency``/``T``.

    Parameters
    ----------
    penalizer : L2 penalty on the parameters (0 = plain maximum likelihood); a small value
        (e.g. 0.001) stabilises fits on very few accounts.
    max_iter : maximum L-BFGS-B iterations.

    Attributes
    ----------
    params_ : dict ``r, alpha, a, b``.
    standard_errors_ : dict, asymptotic standard errors from the Hessian (NaN if singular).
    log_likelihood_ : total log-likelihood at the estimate.
    n_obs_ : accounts used.
    converged_ : whether the optimiser reported success.
    at_bound_ : parameters that ended at the search bound (e^+-17.5). ``a`` at the lower
        bound (nobody drops out) or ``b`` (with ``a``) at the upper bound (every account has
        the same drop-out probability ``a / (a + b)``) are legitimate limits, common in B2B
        data with few drop-outs, and are not warned about; their standard errors are NaN.
        ``r`` or ``alpha`` at a bound raises a RuntimeWarning.

    Example
    -------
    >>> bg = BetaGeo().fit([2, 1, 0], [30.4, 1.7, 0.0], [38.9, 38.9, 38.9])   # doctest: +SKIP
    >>> bg.expected_purchases(52, 2, 30.4, 38.9)                            # doctest: +SKIP
    """

    param_names = ("r", "alpha", "a", "b")
    model_name = "bg_nbd"
    _b_shift = 0  # ModifiedBetaGeo: 1

    def __init__(self, penalizer: float = 0.0, max_iter: int = 2000) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    # -- likelihood ---------------------------------------------------------------------
    @staticmethod
    def _loglik_terms(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
        """Per-row log-likelihood and its gradient wrt (r, alpha, a, b): shapes (n,), (n, 4)."""
        r, alpha, a, b = theta
        rx = r + x
        log_a_T = np.log(alpha + T)
        log_a_tx = np.log(alpha + t_x)
        a1 = special.gammaln(rx) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
        a3 = -rx * log_a_T
        repeat = x > 0
        bx1 = np.where(repeat, b + x - 1, 1.0)
        a4 = np.where(repeat, np.log(a) - np.log(bx1) - rx * log_a_tx, -np.inf)
        lse = np.logaddexp(a3, a4)
        ll = a1 + a2 + lse
        w3 = np.exp(a3 - lse)
        w4 = np.where(repeat, np.exp(a4 - lse), 0.0)
        dr = special.digamma(rx) - special.digamma(r) + np.log(alpha) - w3 * log_a_T - w4 * log_a_tx
        dalpha = r / alpha - w3 * rx / (alpha + T) - w4 * rx / (alpha + t_x)
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + x)
        da = psi_ab - psi_abx + w4 / a
        db = psi_ab + special.digamma(b + x) - special.digamma(b) - psi_abx - w4 / bx1
        return ll, np.column_stack([dr, dalpha, da, db])

    def _total_grad(self, theta, x, t_x, T, weight):
        _, g = self._loglik_terms(theta, x, t_x, T)
        return weight @ g

    def fit(self, frequency, recency=None, T=None) -> BetaGeo:
        """Fit on per-account ``frequency``, ``recency``, ``T`` (arrays, or one summary DataFrame).

        Returns self.
        """
        x, t_x, t_cal = _check_btyd_inputs(*_unpack("BetaGeo.fit", frequency, recency, T))
        if len(x) == 0:
            raise ValueError("BetaGeo.fit: no accounts to fit on")
        # identical summaries share one likelihood evaluation (weekly data repeat a lot)
        rows, weight = np.unique(np.column_stack([x, t_x, t_cal]), axis=0, return_counts=True)
        ux, utx, uT = rows[:, 0], rows[:, 1], rows[:, 2]
        weight = weight.astype(np.float64)
        n = weight.sum()
        pen = float(self.penalizer)

        def objective(phi):
            theta = np.exp(phi)
            ll, g = self._loglik_terms(theta, ux, utx, uT)
            value = -(weight @ ll) / n + pen * np.sum(theta**2)
            grad = -(weight @ g) / n * theta + 2 * pen * theta**2
            if not np.isfinite(value):
                return np.inf, np.zeros_like(phi)
            return value, grad

        # starting values: rate from the data, moderate heterogeneity and dropout
        rate = max(float(np.mean((x + 1) / np.maximum(t_cal, 1e-9))), 1e-6)
        starts = [np.log([1.0, 1.0 / rate, 1.0, 1.0]), np.log([0.3, 0.3 / rate, 0.8, 2.5])]
        res = _minimise(objective, starts, (-18.0, 18.0), int(self.max_iter))
        theta = np.exp(res.x)
        at_bound = [name for name, phi in zip(self.param_names, res.x) if abs(phi) > 17.5]
        self.at_bound_ = at_bound
        # a -> 0, or b (and a) -> infinity, are legitimate limits of the Beta drop-out distribution:
        # (almost) nobody drops out, or everyone has the same drop-out probability a / (a + b). The
        # predictions are exact in those limits; only r and alpha at a bound signal a real problem.
        if {"r", "alpha"} & set(at_bound):
            warnings.warn(
                f"{type(self).__name__}: parameter(s) {at_bound} reached the bound of the search (the data barely identify "
                "them, e.g. very few accounts); predictions are usable, the parameter values are not",
                RuntimeWarning,
                stacklevel=2,
            )
        self.params_ = dict(zip(self.param_names, map(float, theta)))
        ll, _ = self._loglik_terms(theta, ux, utx, uT)
        self.log_likelihood_ = float(weight @ ll)
        hess = _numeric_hessian(lambda th: self._total_grad(th, ux, utx, uT, weight), theta)
        self.standard_errors_ = dict(zip(self.param_names, map(float, _standard_errors(hess))))
        self.n_obs_ = int(n)
        self.converged_ = bool(res.success)
        return self

    # -- predictions --------------------------------------------------------------------
    def _check_fitted(self) -> tuple[float, float, float, float]:
        check_is_fitted(self, "params_", msg="This %(name)s is not fitted yet; call fit(frequency, recency, T) first.")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def _log_alive_odds(self, x, t_x, T):
        """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x) for x > 0, -inf for x == 0."""
        r, alpha, a, b = self._check_fitted()
        repeat = x > 0
        bx1 = np.where(repeat, b + x - 1, 1.0)
        term = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(repeat, term, -np.inf)

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        """Probability that each account is still buying at the end of its history, shape (n,)."""
        x, t_x, t_cal = _check_btyd_inputs(frequency, recency, T)
        return np.exp(-np.logaddexp(0.0, self._log_alive_odds(x, t_x, t_cal)))

    def _expected(self, t, x, t_x, T):
        r, alpha, a, b = self._check_fitted()
        t = np.asarray(t, dtype=np.float64)
        if np.any(t < 0):
            raise ValueError("t (the horizon) must be >= 0")
        b = b + self._b_shift  # MBG/NBD: the same forms with b + 1 (Batislam et al. 2007, eq. 9)
        c = a + b + x - 1
        w = -t / (alpha + T)  # Pfaff argument z / (z - 1), with z = t / (alpha + T + t)
        z = t / (alpha + T + t)

        def g(a_):
            # G = 1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; z). The direct form overflows
            # for the large x of B2B accounts (and large a, b); two exact transformations avoid the
            # prefactor: Pfaff  -> 2F1(r+x, a-1; c; w)                      (used while |w| <= 1)
            #            Euler  -> (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)       (used for long horizons)
            c_ = a_ + b + x - 1
            with np.errstate(all="ignore"):
                pfaff = special.hyp2f1(r + x, a_ - 1, c_, w)
                euler = np.exp((a_ - 1) * np.log1p(-z)) * special.hyp2f1(a_ + b - 1 - r, a_ - 1, c_, z)
            use_pfaff = np.isfinite(pfaff) & ((np.abs(w) <= 1) | ~np.isfinite(euler))
            product = np.where(use_pfaff, pfaff, euler)
            bad = ~np.isfinite(product)
            if np.any(bad):  # both overflow (huge a, b and a long horizon): sum the series in log space
                xb, zb = np.broadcast_to(x, bad.shape)[bad], np.broadcast_to(z, bad.shape)[bad]
                log_sum = _log_hyp2f1_series(r + xb, b + xb, np.broadcast_to(c_, bad.shape)[bad], zb)
                product = product.copy()
                product[bad] = np.exp((r + xb) * np.log1p(-zb) + log_sum)
            return 1.0 - product

        if abs(a - 1) > 1e-4:
            lead = c / (a - 1) * g(a)
        else:  # removable singularity at a = 1: average the two sides
            eps = 1e-4
            lead = 0.5 * ((c + eps) / eps * g(1 + eps) + (c - eps) / (-eps) * g(1 - eps))
        return lead * np.exp(-np.logaddexp(0.0, self._log_alive_odds(x, t_x, T)))

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """Expected number of purchase periods in the next ``t`` time units, per account.

        ``t`` is a scalar or an array broadcastable with the accounts; returns shape (n,).
        """
        x, t_x, t_cal = _check_btyd_inputs(frequency, recency, T)
        return self._expected(t, x, t_x, t_cal)

    def expected_purchases_new(self, t) -> np.ndarray | float:
        """Expected purchases in the first ``t`` time units of a newly acquired account (after its first)."""
        out = self._expected(t, np.zeros(1), np.zeros(1), np.zeros(1))
        return float(out[0]) if np.ndim(t) == 0 else out

    def p_purchase(self, t, frequency, recency, T) -> np.ndarray:
        """Probability that each account buys at least once in the next ``t`` time units, shape (n,).

        P(alive) times the chance that a live account with its posterior purchase rate
        buys within ``t``: ``1 - ((alpha + T) / (alpha + T + t))^(r + x)``. This is what a
        holdout can check directly (who bought again), unlike P(alive) itself.
        """
        x, t_x, t_cal = _check_btyd_inputs(frequency, recency, T)
        r, alpha, _, _ = self._check_fitted()
        t = np.asarray(t, dtype=np.float64)
        buys = -np.expm1((r + x) * (np.log(alpha + t_cal) - np.log(alpha + t_cal + t)))
        return self.p_alive(x, t_x, t_cal) * buys

    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        """Log-likelihood of each account's history (``frequency, recency, T``) under the fitted parameters."""
        x, t_x, t_cal = _check_btyd_inputs(frequency, recency, T)
        r, alpha, a, b = self._check_fitted()
        return self._loglik_terms(np.array([r, alpha, a, b]), x, t_x, t_cal)[0]


class ModifiedBetaGeo(BetaGeo):
    """Modified BG/NBD (MBG/NBD, Batislam, Gemici & Kaya 2007): drop-out is possible at every purchase.

    BG/NBD lets an account drop out only *after a repeat* purchase, so every account that
    bought once is certain to be alive (P(alive) = 1 however long it has been silent). In
    MBG/NBD an account may also drop out right after its first purchase (probability p ~
    Beta(a, b) at time 0 and after each purchase), so a one-time buyer's P(alive) falls
    the longer it stays silent. Same parameters, attributes and methods as
    :class:`BetaGeo`; fitted by exact maximum likelihood. Predictions agree with
    ``lifetimes.ModifiedBetaGeoFitter``.

    Example
    -------
    >>> mbg = ModifiedBetaGeo().fit([2, 1, 0], [30.4, 1.7, 0.0], [38.9, 38.9, 38.9])   # doctest: +SKIP
    >>> mbg.p_alive(0, 0.0, 38.9)                                                   # doctest: +SKIP
    """

    model_name = "mbg_nbd"
    _b_shift = 1

    @staticmethod
    def _loglik_terms(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
        """Per-row log-likelihood and its gradient wrt (r, alpha, a, b): shapes (n,), (n, 4)."""
        r, alpha, a, b = theta
        rx = r + x
        log_a_T = np.log(alpha + T)
        log_a_tx = np.log(alpha + t_x)
        a1 = special.gammaln(rx) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.gammaln(a + b) + special.gammaln(b + x + 1) - special.gammaln(b) - special.gammaln(a + b + x + 1)
        a3 = -rx * log_a_T
        a4 = np.log(a) - np.log(b + x) - rx * log_a_tx  # dropped out right after the last purchase (also x = 0)
        lse = np.logaddexp(a3, a4)
        ll = a1 + a2 + lse
        w3 = np.exp(a3 - lse)
        w4 = np.exp(a4 - lse)
        dr = special.digamma(rx) - special.digamma(r) + np.log(alpha) - w3 * log_a_T - w4 * log_a_tx
        dalpha = r / alpha - w3 * rx / (alpha + T) - w4 * rx / (alpha + t_x)
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + x + 1)
        da = psi_ab - psi_abx + w4 / a
        db = psi_ab + special.digamma(b + x + 1) - special.digamma(b) - psi_abx - w4 / (b + x)
        return ll, np.column_stack([dr, dalpha, da, db])

    def _log_alive_odds(self, x, t_x, T):
        """log of a/(b+x) * ((alpha+T)/(alpha+t_x))^(r+x), for every x (drop-out after the first purchase too)."""
        r, alpha, a, b = self._check_fitted()
        return np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))


# ---------------------------------------------------------------------------------------
# BG/NBD or MBG/NBD: identification and holdout choice
# ---------------------------------------------------------------------------------------
MODEL_LABELS = {"bg_nbd": "BG/NBD", "mbg_nbd": "MBG/NBD"}
# standard error above the estimate itself: the data do not even fix the parameter's order of magnitude
# (top 500 CDNOW buyers: BG/NBD a = 70,169 with s.e. 168,190; healthy fits have s.e. well under half the estimate)
DEGENERATE_RELATIVE_SE = 1.0
MIN_HOLDOUT_WEEKS = 8
MIN_CALIBRATION_WEEKS = 13
FIT_STATUSES = ("identified", "common_dropout", "no_dropout", "unidentified")  # best first


def _num(v: float) -> str:
    """A parameter value for a sentence: 70,169 / 2.43 / 1.5e-08."""
    if not np.isfinite(v):
        return str(v)
    if 100 <= abs(v) < 1e9:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def fit_problems(est: BetaGeo) -> list[str]:
    """Why a fitted BG/NBD or MBG/NBD is not identified by its data (empty list when it is).

    A parameter at the search bound, without a finite standard error, or with a standard
    error above :data:`DEGENERATE_RELATIVE_SE` times its estimate (e.g. ``a = 70,169``
    with s.e. 168,190) is not determined by the data: the predictions may still be
    usable, the parameter values are not.
    """
    problems = []
    for name in est.param_names:
        value, se = est.params_[name], est.standard_errors_[name]
        if name in est.at_bound_:
            problems.append(f"{name} = {_num(value)} at the edge of the search")
        elif not np.isfinite(se):
            problems.append(f"{name} = {_num(value)} without a finite standard error")
        elif se > DEGENERATE_RELATIVE_SE * abs(value):
            problems.append(f"{name} = {_num(value)} with standard error {_num(se)}")
    return problems


def fit_status(est: BetaGeo) -> tuple[str, str]:
    """(status, sentence) of a fitted BG/NBD or MBG/NBD, from :func:`fit_problems`.

    * ``"identified"``: every parameter is determined by the data (sentence empty);
    * ``"common_dropout"``: only ``a`` and ``b`` are undetermined, both large: the data
      cannot tell how the drop-out probability varies between accounts, and the fit has
      reduced to the simpler model where every account drops out after a purchase with
      the same probability ``a / (a + b)``; its predictions are those of that model;
    * ``"no_dropout"``: ``a`` went to zero: the data show no drop-out, so P(alive) is
      about 100% for every account and tells nothing about who is still buying;
    * ``"unidentified"``: the purchase-rate parameters (``r``, ``alpha``) are not
      determined: treat P(alive) and expected values as rough.
    """
    problems = fit_problems(est)
    label = MODEL_LABELS.get(getattr(est, "model_name", ""), type(est).__name__)
    if not problems:
        return "identified", ""
    bad = {p.split(" = ")[0] for p in problems}
    a, b = est.params_["a"], est.params_["b"]
    detail = "; ".join(problems)
    if bad <= {"a", "b"} and a < 1e-4:
        return "no_dropout", (
            f"The {label} fit found no drop-out in this history ({detail}): P(alive) is close to 100% for every "
            "account, which says only that no account has been silent long enough to tell."
        )
    if bad <= {"a", "b"} and a >= 1 and b >= 1:
        return "common_dropout", (
            f"The {label} fit cannot tell how the drop-out probability varies between accounts ({detail}); it "
            f"reduces to the simpler model in which every account stops after a purchase week with the same "
            f"probability, {a / (a + b):.2%}, and its predictions are those of that model."
        )
    return "unidentified", (
        f"The {label} fit's parameters are not determined by this data ({detail}), so its P(alive) and expected "
        "values are rough."
    )


def _fit_quietly(cls, summary: pd.DataFrame) -> tuple[BetaGeo, list[str]]:
    est = cls(penalizer=0.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(summary["frequency"], summary["recency"], summary["T"])
    return est, [str(w.message) for w in caught]


def _week_end_before(day: pd.Timestamp) -> pd.Timestamp:
    """The Sunday on or before ``day`` (end of a Monday-Sunday purchase week)."""
    day = pd.Timestamp(day).normalize()
    return day - pd.Timedelta(days=(day.day_of_week + 1) % 7)


@dataclass
class BTYDChoice:
    """What :func:`choose_btyd` found.

    model : the chosen model, fitted on all of the history; fits : both models fitted on
    all of the history, by name; problems : :func:`fit_problems` of each; selection :
    one row per candidate (``model, holdout_log_likelihood, holdout_predicted,
    holdout_actual, one_time_buyers, p_alive_one_time, p_buy_again_one_time,
    bought_again_one_time, in_sample_log_likelihood, identified, status, chosen``);
    holdout_weeks : length of the holdout (0 when the history is too short for one);
    reason : sentences on the choice and on what the fit can tell; identified : False
    when the chosen model's purchase-rate parameters are not determined by the data;
    status : its :func:`fit_status`.
    """

    model: BetaGeo
    fits: dict[str, BetaGeo]
    problems: dict[str, list[str]]
    selection: pd.DataFrame
    holdout_weeks: int
    reason: str
    identified: bool
    status: str = "identified"
    warnings: dict[str, list[str]] = field(default_factory=dict)


def _holdout_scores(orders, as_of: pd.Timestamp, summary: pd.DataFrame, holdout_weeks: int) -> dict | None:
    """Fit both models on the history before a holdout of ``holdout_weeks`` and score them on it."""
    cut = _week_end_before(as_of - pd.Timedelta(weeks=holdout_weeks))
    cal = rfm_summary(orders, as_of=cut, freq="W")
    if len(cal) < MIN_ACCOUNTS or int((cal["frequency"] > 0).sum()) < MIN_REPEAT_BUYERS:
        return None
    full = summary.set_index("account_id").loc[cal["account_id"]]
    new_purchases = full["frequency"].to_numpy() - cal["frequency"].to_numpy()
    one_time = cal["frequency"].to_numpy() == 0
    horizon = full["T"].to_numpy() - cal["T"].to_numpy()
    out = {"cut": cut, "weeks": float(np.mean(horizon)), "scores": {}}
    for cls in (BetaGeo, ModifiedBetaGeo):
        est, _ = _fit_quietly(cls, cal)
        # the likelihood of the whole history = that of the calibration part x that of the holdout given it
        ll = est.log_likelihood(full["frequency"], full["recency"], full["T"]) - est.log_likelihood(
            cal["frequency"], cal["recency"], cal["T"]
        )
        predicted = est.expected_purchases(horizon, cal["frequency"], cal["recency"], cal["T"])
        p_alive = est.p_alive(cal["frequency"], cal["recency"], cal["T"])
        p_buy = est.p_purchase(horizon, cal["frequency"], cal["recency"], cal["T"])
        out["scores"][cls.model_name] = {
            "holdout_log_likelihood": float(ll.sum()),
            "holdout_predicted": float(predicted.sum()),
            "holdout_actual": float(new_purchases.sum()),
            "one_time_buyers": int(one_time.sum()),
            "p_alive_one_time": float(p_alive[one_time].mean()) if one_time.any() else np.nan,
            "p_buy_again_one_time": float(p_buy[one_time].mean()) if one_time.any() else np.nan,
            "bought_again_one_time": float((new_purchases[one_time] > 0).mean()) if one_time.any() else np.nan,
        }
    return out


def choose_btyd(
    orders: pd.DataFrame | Portfolio, as_of: str | pd.Timestamp | None = None, holdout_weeks: int | None = None
) -> BTYDChoice:
    """Fit BG/NBD and MBG/NBD (weekly purchases) and choose between them on a holdout.

    The last ``holdout_weeks`` (default a third of the history, at most 52 weeks) are held
    out: both models are fitted on the weeks before and scored by the log-likelihood of
    what each account did in the holdout given what it did before (the likelihood of the
    whole history minus that of the calibration part). The better one is refitted on all
    of the history. A model whose parameters the data determine less well
    (:func:`fit_status`, in the order of :data:`FIT_STATUSES`) is passed over for the
    other; between equals the holdout decides. With a history too short for a holdout
    (under 8 + 13 weeks, or too few repeat buyers before it), the in-sample
    log-likelihood decides (both models have four parameters), and ``reason`` says so.
    """
    frame, default_as_of = _orders_frame(orders)
    if as_of is None:
        as_of = default_as_of if default_as_of is not None else frame["order_date"].max()
    as_of = pd.Timestamp(as_of)
    summary = rfm_summary(frame, as_of=as_of, freq="W")
    if len(summary) == 0 or int((summary["frequency"] > 0).sum()) == 0:
        raise ValueError("choose_btyd: no account bought in more than one week, so there is no buying rhythm to learn")
    fits, messages, problems, statuses = {}, {}, {}, {}
    for cls in (BetaGeo, ModifiedBetaGeo):
        est, msgs = _fit_quietly(cls, summary)
        fits[cls.model_name], messages[cls.model_name] = est, msgs
        problems[cls.model_name] = fit_problems(est)
        statuses[cls.model_name] = fit_status(est)
    first = frame.loc[frame["order_date"] <= as_of, "order_date"].min()
    weeks = int((as_of - first).days // 7)
    if holdout_weeks is None:
        holdout_weeks = min(52, weeks // 3)
    holdout = None
    if holdout_weeks >= MIN_HOLDOUT_WEEKS and weeks - holdout_weeks >= MIN_CALIBRATION_WEEKS:
        holdout = _holdout_scores(frame, as_of, summary, int(holdout_weeks))
    rows = []
    for name, est in fits.items():
        row = {"model": name, "in_sample_log_likelihood": est.log_likelihood_}
        if holdout is not None:
            row.update(holdout["scores"][name])
        row["identified"] = statuses[name][0] == "identified"
        row["status"] = statuses[name][0]
        rows.append(row)
    selection = pd.DataFrame(rows)
    by = "holdout_log_likelihood" if holdout is not None else "in_sample_log_likelihood"
    ranked = selection.sort_values(by, ascending=False, kind="stable")["model"].tolist()
    best = ranked[0]
    rank = {m: FIT_STATUSES.index(statuses[m][0]) for m in ranked}
    chosen = min(ranked, key=lambda m: rank[m])  # stable: the holdout winner among the best-determined fits
    other = [m for m in ranked if m != chosen][0]
    scores = selection.set_index("model")[by]
    how = (
        f"the log-likelihood of the last {holdout['weeks']:.0f} weeks' purchases predicted from the weeks before "
        f"({MODEL_LABELS['bg_nbd']} {scores['bg_nbd']:,.1f}, {MODEL_LABELS['mbg_nbd']} {scores['mbg_nbd']:,.1f})"
        if holdout is not None
        else "the log-likelihood of the whole history (too short to hold weeks out for a test)"
    )
    if chosen != best:
        reason = (
            f"The value model is {MODEL_LABELS[chosen]}: {MODEL_LABELS[best]} scored better on {how}, but its "
            f"parameters are less well determined by this data ({'; '.join(problems[best])})."
        )
    else:
        reason = f"The value model is {MODEL_LABELS[chosen]}, chosen over {MODEL_LABELS[other]} by {how}."
    if statuses[chosen][1]:
        reason += " " + statuses[chosen][1]
    selection["chosen"] = selection["model"] == chosen
    return BTYDChoice(
        model=fits[chosen],
        fits=fits,
        problems=problems,
        selection=selection,
        holdout_weeks=int(holdout_weeks) if holdout is not None else 0,
        reason=reason,
        identified=statuses[chosen][0] != "unidentified",
        status=statuses[chosen][0],
        warnings=messages,
    )


# ---------------------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------------------
class GammaGamma(BaseEstimator):
    """Gamma-Gamma model of the value of an account's purchases (Fader, Hardie & Lee 2005).

    Each purchase value is Gamma(p, nu); nu varies over accounts as Gamma(q, v). Fitted by
    maximum likelihood on accounts with ``frequency > 0`` and ``monetary > 0`` (mean value
    of the repeat purchases). The model assumes the value of purchases does not depend on
    how often an account buys: :meth:`fit` warns when ``|Pearson r| > corr_threshold``.

    Attributes
    ----------
    params_ : dict ``p, q, v`` (``v`` in money units).
    standard_errors_, log_likelihood_, n_obs_, converged_ : as in :class:`BetaGeo`.
    frequency_monetary_corr_ : Pearson correlation of frequency and monetary in the fit data.
    """

    param_names = ("p", "q", "v")

    def __init__(self, penalizer: float = 0.0, corr_threshold: float = 0.3, max_iter: int = 2000) -> None:
        self.penalizer = penalizer
        self.corr_threshold = corr_threshold
        self.max_iter = max_iter

    @staticmethod
    def _loglik_terms(theta: np.ndarray, x: np.ndarray, m: np.ndarray):
        p, q, v = theta
        px = p * x
        log_v_xm = np.log(v + x * m)
        ll = (
            special.gammaln(px + q)
            - special.gammaln(px)
            - special.gammaln(q)
            + q * np.log(v)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * log_v_xm
        )
        psi = special.digamma(px + q)
        dp = x * (psi - special.digamma(px) + np.log(m) + np.log(x) - log_v_xm)
        dq = psi - special.digamma(q) + np.log(v) - log_v_xm
        dv = q / v - (px + q) / (v + x * m)
        return ll, np.column_stack([dp, dq, dv])

    def fit(self, frequency, monetary) -> GammaGamma:
        """Fit on per-account ``frequency`` and ``monetary`` (mean repeat purchase value). Returns self."""
        x = _as_float_array("frequency", frequency)
        m = _as_float_array("monetary", monetary, allow_negative=True)
        if len(x) != len(m):
            raise ValueError(f"frequency and monetary differ in length ({len(x)}, {len(m)})")
        keep = (x > 0) & (m > 0)
        x, m = x[keep], m[keep]
        if len(x) < 3:
            raise ValueError(
                f"GammaGamma.fit needs at least 3 accounts with repeat purchases of positive value; got {len(x)}"
            )
        corr = float(np.corrcoef(x, m)[0, 1]) if np.std(x) > 0 and np.std(m) > 0 else 0.0
        self.frequency_monetary_corr_ = corr
        if abs(corr) > self.corr_threshold:
            warnings.warn(
                f"GammaGamma: purchase frequency and value are correlated (Pearson r = {corr:.2f}); the model "
                "assumes they are independent, so expected values may be biased",
                UserWarning,
                stacklevel=2,
            )
        # fit in units of the median value (v is a scale parameter), then scale back
        scale = float(np.median(m))
        ms = m / scale
        pen = float(self.penalizer)
        n = len(x)

        def objective(phi):
            theta = np.exp(phi)
            ll, g = self._loglik_terms(theta, x, ms)
            value = -ll.sum() / n + pen * np.sum(theta**2)
            grad = -g.sum(axis=0) / n * theta + 2 * pen * theta**2
            if not np.isfinite(value):
                return np.inf, np.zeros_like(phi)
            return value, grad

        mean = float(np.mean(ms))
        starts = [np.log([1.0, 2.0, mean]), np.log([5.0, 4.0, 3.0 * mean / 5.0]), np.log([20.0, 3.0, mean / 10.0])]
        res = _minimise(objective, starts, (-18.0, 18.0), int(self.max_iter))
        theta_s = np.exp(res.x)
        ll_s, _ = self._loglik_terms(theta_s, x, ms)
        hess = _numeric_hessian(lambda th: self._loglik_terms(th, x, ms)[1].sum(axis=0), theta_s)
        se = _standard_errors(hess)
        theta = theta_s * np.array([1.0, 1.0, scale])
        self.params_ = dict(zip(self.param_names, map(float, theta)))
        self.standard_errors_ = dict(zip(self.param_names, map(float, se * np.array([1.0, 1.0, scale]))))
        self.log_likelihood_ = float(ll_s.sum() - n * np.log(scale))  # density of m, not of m / scale
        self.n_obs_ = n
        self.converged_ = bool(res.success)
        return self

    def population_mean(self) -> float:
        """Mean purchase value of an account with no repeat history, p v / (q - 1) (NaN if q <= 1)."""
        p, q, v = self._params()
        return p * v / (q - 1) if q > 1 else float("nan")

    def _params(self) -> tuple[float, float, float]:
        check_is_fitted(self, "params_", msg="This GammaGamma is not fitted yet; call fit(frequency, monetary) first.")
        return self.params_["p"], self.params_["q"], self.params_["v"]

    def expected_average_value(self, frequency, monetary) -> np.ndarray:
        """Expected mean value of each account's future purchases, shape (n,), in money units.

        A weighted average of the population mean and the account's own ``monetary``;
        accounts with ``frequency == 0`` get the population mean.
        """
        p, q, v = self._params()
        x = _as_float_array("frequency", frequency)
        m = _as_float_array("monetary", monetary, allow_negative=True)
        denom = p * x + q - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(denom > 0, p * (v + x * m) / np.where(denom > 0, denom, 1.0), m)  # q <= 1: no shrinkage
        return np.where(x > 0, own, self.population_mean())


# ---------------------------------------------------------------------------------------
# expected value
# ---------------------------------------------------------------------------------------
def expected_value(
    summary: pd.DataFrame,
    bg: BetaGeo,
    gg: GammaGamma | None = None,
    months: int = 12,
    discount_rate: float = 0.10,
    unit: str = "W",
    margin_pct: float | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Discounted expected revenue and margin per account over the next ``months`` months.

    Expected purchases in each future month (differences of the cumulative
    :meth:`BetaGeo.expected_purchases`) are discounted monthly at the yearly
    ``discount_rate`` and valued at the expected purchase value (``gg``; without it, the
    account's own ``monetary``; accounts without repeat purchases, or when the
    Gamma-Gamma population mean does not exist, get the mean over accounts with repeat
    purchases).

    Parameters
    ----------
    summary : output of :func:`rfm_summary` (``account_id, frequency, recency, T, monetary``).
    bg, gg : fitted models (in the time unit ``unit`` of the summary).
    months : horizon in months; ``discount_rate`` : yearly rate (0.10 = 10%).
    margin_pct : margin as a share of revenue, one number for all or a DataFrame
        ``account_id, margin_pct``; None leaves the margin empty.

    Returns
    -------
    DataFrame ``account_id, p_alive, expected_purchases_{months}m`` (undiscounted count of
    purchase periods), ``expected_avg_value``, ``expected_value_{months}m`` (discounted
    revenue), ``expected_margin_{months}m``.
    """
    unit = _check_freq("unit", unit)
    if months < 1:
        raise ValueError("months must be >= 1")
    missing = [c for c in ("account_id", "frequency", "recency", "T", "monetary") if c not in summary.columns]
    if missing:
        raise ValueError(f"expected_value: the summary has no column(s) {missing}; build it with rfm_summary()")
    x = summary["frequency"].to_numpy(dtype=np.float64)
    t_x = summary["recency"].to_numpy(dtype=np.float64)
    T = summary["T"].to_numpy(dtype=np.float64)
    m = summary["monetary"].to_numpy(dtype=np.float64)
    per_month = (365.25 / 12) / _PERIOD_DAYS[unit]
    edges = np.arange(months + 1) * per_month
    cum = np.column_stack([bg.expected_purchases(e, x, t_x, T) for e in edges[1:]])
    monthly = np.diff(np.column_stack([np.zeros(len(x)), cum]), axis=1)
    monthly_rate = (1 + discount_rate) ** (1 / 12) - 1
    discount = (1 + monthly_rate) ** -np.arange(1, months + 1)
    fallback = float(m[x > 0].mean()) if np.any(x > 0) else 0.0
    avg = gg.expected_average_value(x, m) if gg is not None else np.where(x > 0, m, fallback)
    avg = np.where(np.isfinite(avg), avg, fallback)  # e.g. Gamma-Gamma q <= 1 has no population mean
    revenue = (monthly @ discount) * avg
    out = pd.DataFrame(
        {
            "account_id": summary["account_id"].astype("str").to_numpy(),
            "p_alive": bg.p_alive(x, t_x, T),
            f"expected_purchases_{months}m": cum[:, -1],
            "expected_avg_value": avg,
            f"expected_value_{months}m": revenue,
        }
    )
    if margin_pct is None:
        rate = np.full(len(out), np.nan)
    elif isinstance(margin_pct, pd.DataFrame):
        if not {"account_id", "margin_pct"} <= set(margin_pct.columns):
            raise ValueError("expected_value: margin_pct must have columns account_id and margin_pct")
        rate = out[["account_id"]].merge(margin_pct, on="account_id", how="left")["margin_pct"].to_numpy(float)
    else:
        rate = np.full(len(out), float(margin_pct))
    out[f"expected_margin_{months}m"] = revenue * rate
    return out


def margin_rates(portfolio: Portfolio, months: int = 12) -> pd.DataFrame:
    """Each account's margin as a share of revenue: last ``months`` months, else all history.

    Returns ``account_id, margin_pct`` (NaN when the account has no revenue; clipped to [-1, 1]).
    """
    lines = portfolio.orders
    lines = lines[lines["order_date"] <= portfolio.as_of]
    recent = lines["order_date"] > portfolio.as_of - pd.DateOffset(months=months)
    agg = (
        pd.DataFrame(
            {
                "account_id": lines["account_id"],
                "rev": lines["net_revenue"],
                "mar": lines["net_revenue"] - lines["cost"],
                "rev_recent": lines["net_revenue"].where(recent, 0.0),
                "mar_recent": (lines["net_revenue"] - lines["cost"]).where(recent, 0.0),
            }
        )
        .groupby("account_id", sort=True)
        .sum()
    )
    pct = (agg["mar_recent"] / agg["rev_recent"]).where(agg["rev_recent"] > 0)
    pct = pct.fillna((agg["mar"] / agg["rev"]).where(agg["rev"] > 0))
    return pd.DataFrame({"account_id": agg.index.astype("str"), "margin_pct": pct.clip(-1, 1).to_numpy()})


# ---------------------------------------------------------------------------------------
# bundle
# ---------------------------------------------------------------------------------------
VALUE_COLUMNS = [
    "account_id",
    "frequency",
    "recency",
    "T",
    "monetary",
    "first_purchase",
    "last_purchase",
    "p_alive",
    "expected_purchases_12m",
    "expected_avg_value",
    "expected_value_12m",
    "margin_pct",
    "expected_margin_12m",
    "value_share",
]


def _model_rows(model: str, est, note: str = "") -> list[dict]:
    rows = [
        {"model": model, "parameter": k, "estimate": v, "std_error": est.standard_errors_[k], "note": note}
        for k, v in est.params_.items()
    ]
    rows.append(
        {
            "model": model,
            "parameter": "log_likelihood",
            "estimate": est.log_likelihood_,
            "std_error": np.nan,
            "note": "",
        }
    )
    rows.append(
        {"model": model, "parameter": "n_accounts", "estimate": float(est.n_obs_), "std_error": np.nan, "note": ""}
    )
    return rows


def btyd_from_table(model: pd.DataFrame) -> BetaGeo | None:
    """The chosen BG/NBD or MBG/NBD rebuilt from a ``value_model`` bundle table (None when it holds none).

    Bundles written before the choice existed hold BG/NBD only, which is then returned.
    """
    if not isinstance(model, pd.DataFrame) or not {"model", "parameter", "estimate"} <= set(model.columns):
        return None
    chosen = model[(model["parameter"] == "chosen") & (model["estimate"] == 1)]["model"]
    name = str(chosen.iloc[0]) if len(chosen) else "bg_nbd"
    rows = model[model["model"] == name].set_index("parameter")["estimate"]
    if not set(BetaGeo.param_names) <= set(rows.index):
        return None
    est = ModifiedBetaGeo() if name == "mbg_nbd" else BetaGeo()
    est.params_ = {k: float(rows[k]) for k in est.param_names}
    return est


def p_no_order(value: pd.DataFrame, model: pd.DataFrame, months: float) -> pd.Series | None:
    """Probability that each account places no order in the next ``months`` months, by the value model.

    ``value`` and ``model`` are the ``value`` and ``value_model`` bundle tables; returns a
    Series indexed by account_id (None when the tables hold no fitted model). It is
    ``1 - BetaGeo.p_purchase``: an account that has stopped buying never orders again, a
    live one may still go ``months`` without an order.
    """
    est = btyd_from_table(model)
    if est is None or not isinstance(value, pd.DataFrame) or value.empty:
        return None
    weeks = months * (365.25 / 12) / 7.0
    buy = est.p_purchase(weeks, value["frequency"], value["recency"], value["T"])
    return pd.Series(1.0 - buy, index=value["account_id"].astype(str).to_numpy(), name="p_no_order")


# selection figures of each BTYD candidate, as rows of the value_model table
_SELECTION_ROWS = {
    "holdout_log_likelihood": "holdout_log_likelihood",
    "holdout_predicted": "holdout_purchase_weeks_predicted",
    "holdout_actual": "holdout_purchase_weeks_actual",
    "p_alive_one_time": "p_alive_one_time_buyers",
    "p_buy_again_one_time": "p_buy_again_one_time_buyers",
    "bought_again_one_time": "bought_again_one_time_buyers",
    "identified": "identified",
    "chosen": "chosen",
}


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The value stage of :func:`kamtools.bundle.analyze` (it reads no earlier table): :func:`fit_value`."""
    return fit_value(portfolio)


def fit_value(portfolio: Portfolio) -> dict[str, pd.DataFrame | NotAvailable]:
    """Fit BG/NBD or MBG/NBD (:func:`choose_btyd`) + Gamma-Gamma on the whole portfolio (weekly
    periods) and score every account (at ``portfolio.as_of``; the churn model calls it on
    earlier snapshots of the portfolio to build its training features).

    Returns ``value`` (one row per account that has ordered: :data:`VALUE_COLUMNS`, with
    ``value_share`` = share of the portfolio's expected 12-month value) and
    ``value_model`` (portfolio-level: ``model, parameter, estimate, std_error, note,
    time_unit, chosen``: the parameters of both BTYD candidates and of Gamma-Gamma, and
    per candidate its holdout figures, ``identified`` and ``chosen`` as 1/0 rows and
    ``fit_status`` (index in :data:`FIT_STATUSES`, its name in ``note``));
    ``_notes["value_model"]`` is the sentence saying which BTYD model was chosen and why.
    NotAvailable when fewer than :data:`MIN_ACCOUNTS` accounts ordered or fewer than
    :data:`MIN_REPEAT_BUYERS` bought again in a later week (nothing to learn a buying
    rhythm from); with less than 12 months of order history ``_notes`` says that the
    12-month values rest on a short history.
    """
    summary = rfm_summary(portfolio, freq="W")
    history = order_history(portfolio)
    if len(summary) < MIN_ACCOUNTS:
        reason = NotAvailable(
            f"The value model needs at least {MIN_ACCOUNTS} accounts with orders to learn from; "
            f"this portfolio has {len(summary)}."
        )
        return {"value": reason, "value_model": reason}
    repeaters = int((summary["frequency"] > 0).sum())
    if repeaters < MIN_REPEAT_BUYERS:
        reason = NotAvailable(
            f"The value model learns each account's buying rhythm from repeat purchases, and only {repeaters} "
            f"account{'s' if repeaters != 1 else ''} bought again in a later week in {history.describe()}; it needs "
            f"at least {MIN_REPEAT_BUYERS}, so P(alive) and expected values are not estimated."
        )
        return {"value": reason, "value_model": reason}
    choice = choose_btyd(portfolio.orders, as_of=portfolio.as_of)
    bg = choice.model
    gg: GammaGamma | None = GammaGamma()
    gg_note = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            gg.fit(summary["frequency"], summary["monetary"])
        except ValueError as exc:
            gg, gg_note = None, f"Gamma-Gamma not fitted ({exc}); accounts are valued at their own mean purchase."
    gg_note = "; ".join([gg_note] * bool(gg_note) + [str(w.message) for w in caught])
    margins = margin_rates(portfolio)
    ev = expected_value(summary, bg, gg, months=12, discount_rate=0.10, unit="W", margin_pct=margins)
    value = summary.merge(ev, on="account_id", how="left").merge(margins, on="account_id", how="left")
    total = value["expected_value_12m"].clip(lower=0).sum()
    value["value_share"] = value["expected_value_12m"].clip(lower=0) / total if total > 0 else 0.0
    rows = []
    for name, est in choice.fits.items():
        problems = choice.problems[name]
        note = "; ".join(choice.warnings.get(name, []))
        if problems:
            note = f"{MODEL_LABELS[name]} parameters not determined by the data: {'; '.join(problems)}."
        rows += _model_rows(name, est, note)
    for rec in choice.selection.to_dict("records"):
        for key, label in _SELECTION_ROWS.items():
            if key in rec:
                rows.append(
                    {"model": rec["model"], "parameter": label, "estimate": float(rec[key]), "std_error": np.nan}
                )
        rows[-1]["note"] = choice.reason if rec["chosen"] else ""
        status = str(rec["status"])
        rows.append(
            {
                "model": rec["model"],
                "parameter": "fit_status",
                "estimate": float(FIT_STATUSES.index(status)),
                "std_error": np.nan,
                "note": status,
            }
        )
    if gg is not None:
        rows += _model_rows("gamma_gamma", gg, gg_note)
        rows.append(
            {
                "model": "gamma_gamma",
                "parameter": "frequency_monetary_corr",
                "estimate": gg.frequency_monetary_corr_,
                "std_error": np.nan,
                "note": "",
            }
        )
    elif gg_note:
        rows.append(
            {
                "model": "gamma_gamma",
                "parameter": "not_fitted",
                "estimate": np.nan,
                "std_error": np.nan,
                "note": gg_note,
            }
        )
    model = pd.DataFrame(rows)
    model["note"] = model["note"].fillna("").astype("str")
    model["time_unit"] = "week"
    model["chosen"] = model["model"].isin([bg.model_name, "gamma_gamma"])
    out: dict[str, pd.DataFrame | NotAvailable] = {"value": value[VALUE_COLUMNS], "value_model": model}
    out["_notes"] = {"value_model": choice.reason}
    if history.complete_months < 12:
        out["_notes"] |= {
            "value": (
                f"The value model learnt the accounts' buying rhythm from {history.describe()} and projects 12 "
                "months ahead, so its P(alive) and expected values rest on few purchases per account: treat them "
                "as rough."
            )
        }
    return out
