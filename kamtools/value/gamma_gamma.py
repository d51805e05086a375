"""What a purchase of each account is worth: the Gamma-Gamma model (:class:`GammaGamma`)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from kamtools.value._estimation import (
    _as_float_array,
    _minimise,
    _newton_polish,
    _numeric_hessian,
    _standard_errors,
)
from kamtools.value.btyd import limit_stands

# p of a fit that stands for its limit p -> infinity with p v fixed (an account's purchases all worth its own mean):
# such fits stopped anywhere from p = 5.5e5 to 1.3e6 on the demo depending on the machine's maths kernels
RIDGE_P = 1e7
# The limit also stands where the fit beats it by under 0.001 in log-likelihood (kamtools.value.btyd.limit_stands):
# on numpy 2.0 / scipy 1.13 with pinned kernels the demo's pre-holdout fit ran past RIDGE_P to p = 6.5e7 and beat
# its limit by 9e-5, above the relative tolerance, where other kernels stood at the limit (tests/test_value_ridge.py,
# CI's lowest versions)


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
    at_bound_ : parameters that ended at the search bound (e^+-17.5, in units of the median value).
    ridge_limit_ : ``"no_spread_within"`` when the likelihood rises along a ridge as ``p`` grows with ``p v``
        fixed (the data show no spread of an account's purchase values around its own mean): the fit is then
        the limit model, an account's mean purchase value ``m ~ InverseGamma(q, s)`` whatever its frequency,
        fitted exactly, and stands at ``p = RIDGE_P``, ``v = s / RIDGE_P`` with NaN standard errors for both;
        ``""`` otherwise. Without it the fit stopped at a point of the ridge that depended on the machine's
        maths kernels (``p = 555,215`` or ``1,306,875`` on the same data).
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

    @staticmethod
    def _limit_terms(psi: np.ndarray, m: np.ndarray):
        """Per-row log-likelihood of the limit p -> infinity (``m ~ InverseGamma(q, s)``, s = p v) and its
        gradient wrt (q, s)."""
        q, s = psi
        log_m = np.log(m)
        ll = q * np.log(s) - special.gammaln(q) - (q + 1) * log_m - s / m
        dq = np.log(s) - special.digamma(q) - log_m
        ds = q / s - 1.0 / m
        return ll, np.column_stack([dq, ds])

    def _fit_limit(self, ms: np.ndarray, theta_s: np.ndarray):
        """The limit p -> infinity fitted to its maximum (on values in units of their median): (q, s), its
        log-likelihood and its Hessian."""
        n = len(ms)

        def objective(phi):
            psi = np.exp(phi)
            ll, g = self._limit_terms(psi, ms)
            value = -ll.sum() / n
            if not np.isfinite(value):
                return np.inf, np.zeros_like(phi)
            return value, -g.sum(axis=0) / n * psi

        inv_mean = float(np.mean(1.0 / ms))
        starts = [np.log([theta_s[1], theta_s[0] * theta_s[2]]), np.log([2.0, 2.0 / inv_mean])]
        starts = [np.clip(s, -18.0, 18.0) for s in starts if np.all(np.isfinite(s))]
        res = _minimise(objective, starts, (-18.0, 18.0), int(self.max_iter))
        phi = _newton_polish(objective, res.x, (-18.0, 18.0))
        psi = np.exp(phi)
        ll, _ = self._limit_terms(psi, ms)
        hess = _numeric_hessian(lambda p: self._limit_terms(p, ms)[1].sum(axis=0), psi)
        return psi, float(ll.sum()), hess, phi

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
        res.x = _newton_polish(objective, res.x, (-18.0, 18.0))  # to the maximum itself, on every machine
        theta_s = np.exp(res.x)
        self.at_bound_ = [name for name, phi in zip(self.param_names, res.x) if abs(phi) > 17.5]
        self.ridge_limit_ = ""
        se = None
        if pen == 0:
            ll_fit = float(self._loglik_terms(theta_s, x, ms)[0].sum())
            psi, ll_limit, limit_hess, phi = self._fit_limit(ms, theta_s)
            if limit_stands(ll_limit, ll_fit):
                # the fit runs along the ridge towards the limit: stand at its canonical point
                theta_s = np.array([RIDGE_P, psi[0], psi[1] / RIDGE_P])
                self.at_bound_ = ["q"] if abs(phi[0]) > 17.5 else []
                self.ridge_limit_ = "no_spread_within"
                se = np.array([np.nan, _standard_errors(limit_hess)[0], np.nan])
        ll_s, _ = self._loglik_terms(theta_s, x, ms)
        if se is None:
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
