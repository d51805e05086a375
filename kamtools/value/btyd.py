"""The buying-rhythm models: BG/NBD (:class:`BetaGeo`) and MBG/NBD (:class:`ModifiedBetaGeo`)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from kamtools.value._estimation import (
    _check_btyd_inputs,
    _log_hyp2f1_series,
    _minimise,
    _newton_polish,
    _numeric_hessian,
    _standard_errors,
    _unpack,
)

# a + b of a fit that stands for its constant drop-out limit (a, b -> infinity with a / (a + b) fixed): the fits of
# such data stopped anywhere from a + b = 2e7 to 4e7 depending on the machine's maths kernels; predictions at 1e7
# differ from the limit's by about x / 1e7 (relative), and the log-likelihood by under 1e-8 of itself on the demo
RIDGE_SUM = 1e7
# the constant drop-out limit replaces the fit when the fit's log-likelihood is no better than the limit's by more
# than this share of it (a ridge running off to infinity leaves the fit a hair below its limit)
RIDGE_LL_TOLERANCE = 1e-6
# ... or by no more than this in absolute terms (no evidence for the finite point: a likelihood-ratio statistic of
# 0.002); on a small portfolio the relative share is tiny and the kernels' stopping points straddle it
RIDGE_LL_ABSOLUTE = 1e-3


def limit_stands(ll_limit: float, ll_fit: float) -> bool:
    """Whether a fit on a ridge stands at its limit model: the limit's log-likelihood is finite and the fit beats it
    by no more than :data:`RIDGE_LL_TOLERANCE` of itself or :data:`RIDGE_LL_ABSOLUTE`, whichever is larger."""
    return bool(np.isfinite(ll_limit) and ll_limit >= ll_fit - max(RIDGE_LL_TOLERANCE * abs(ll_fit), RIDGE_LL_ABSOLUTE))


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
    ridge_limit_ : ``"constant_dropout"`` when the data cannot tell how the drop-out probability varies
        between accounts (the likelihood rises along a ridge as ``a`` and ``b`` grow with ``a / (a + b)``
        fixed): the fit is then the limit model, every account dropping out after a purchase with the same
        probability ``pi``, fitted exactly, and stands at ``a = pi * RIDGE_SUM``, ``b = (1 - pi) * RIDGE_SUM``
        with NaN standard errors for both (only where ``pi * RIDGE_SUM`` and ``(1 - pi) * RIDGE_SUM`` are at
        least 1); ``"no_dropout"`` when ``a`` ran to 0 or the mean drop-out probability ``a / (a + b)`` to under
        ``1 / RIDGE_SUM`` (nobody drops out, and ``b`` is not determined at all):
        the fit is then the NBD limit (``r``, ``alpha`` fitted exactly) standing at ``a = e^-18`` (the search's
        bound), ``b = RIDGE_SUM`` (the demo's holdout fit had ``b = 46,947`` or ``18,275`` by the kernels);
        ``""`` otherwise. Without it the fit stopped at a point of the
        ridge that depended on the machine's maths kernels (``a = 29,547`` or ``28,092`` on the same data).
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

    @classmethod
    def _limit_terms(cls, psi: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
        """Per-row log-likelihood of the constant drop-out limit and its gradient wrt (r, alpha, eta).

        ``psi = (r, alpha, eta)`` with ``eta = logit(pi)``, ``pi = a / (a + b)`` as ``a, b -> infinity``:
        B(a, b + k) / B(a, b) -> (1 - pi)^k and a / (b + k) -> pi / (1 - pi), with k = x (BG/NBD) or
        x + 1 (MBG/NBD, drop-out also possible right after the first purchase).
        """
        r, alpha, eta = psi
        rx = r + x
        k = x + cls._b_shift
        log_a_T = np.log(alpha + T)
        log_a_tx = np.log(alpha + t_x)
        log_1m_pi = -np.logaddexp(0.0, eta)
        pi = np.exp(-np.logaddexp(0.0, -eta))
        a1 = special.gammaln(rx) - special.gammaln(r) + r * np.log(alpha)
        a3 = -rx * log_a_T
        can_drop = (x > 0) | (cls._b_shift > 0)
        a4 = np.where(can_drop, eta - rx * log_a_tx, -np.inf)
        lse = np.logaddexp(a3, a4)
        ll = a1 + k * log_1m_pi + lse
        w3 = np.exp(a3 - lse)
        w4 = np.where(can_drop, np.exp(a4 - lse), 0.0)
        dr = special.digamma(rx) - special.digamma(r) + np.log(alpha) - w3 * log_a_T - w4 * log_a_tx
        dalpha = r / alpha - w3 * rx / (alpha + T) - w4 * rx / (alpha + t_x)
        deta = -k * pi + w4
        return ll, np.column_stack([dr, dalpha, deta])

    def _fit_limit(self, x, t_x, T, weight, theta: np.ndarray, starts: list[np.ndarray], eta: float | None = None):
        """The constant drop-out limit fitted to its maximum: (r, alpha, eta), its total log-likelihood, its Hessian.

        With ``eta = -inf`` the no-drop-out limit (the NBD model): only r and alpha are fitted.
        """
        n = weight.sum()
        k = 3 if eta is None else 2

        def objective(phi):
            psi = np.array([np.exp(phi[0]), np.exp(phi[1]), phi[2] if eta is None else eta])
            ll, g = self._limit_terms(psi, x, t_x, T)
            value = -(weight @ ll) / n
            if not np.isfinite(value):
                return np.inf, np.zeros_like(phi)
            return value, -(weight @ g[:, :k]) / n * np.array([psi[0], psi[1], 1.0])[:k]

        def to_phi(th):
            return np.array([np.log(th[0]), np.log(th[1]), np.log(th[2]) - np.log(th[3])])[:k]

        phis = [to_phi(theta)] + [to_phi(np.exp(s)) for s in starts]
        phis = [np.clip(p, -18.0, 18.0) for p in phis if np.all(np.isfinite(p))]
        res = _minimise(objective, phis, (-18.0, 18.0), int(self.max_iter))
        phi = _newton_polish(objective, res.x, (-18.0, 18.0))
        psi = np.array([np.exp(phi[0]), np.exp(phi[1]), phi[2] if eta is None else eta])
        ll, _ = self._limit_terms(psi, x, t_x, T)
        if eta is None:
            hess = _numeric_hessian(
                lambda p: weight @ self._limit_terms(p, x, t_x, T)[1], psi, np.array([1e-8, 1e-8, 1.0])
            )
        else:
            hess = _numeric_hessian(
                lambda p: weight @ self._limit_terms(np.array([p[0], p[1], eta]), x, t_x, T)[1][:, :2], psi[:2]
            )
        return psi, float(weight @ ll), hess, phi

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
        res.x = _newton_polish(objective, res.x, (-18.0, 18.0))  # to the maximum itself, on every machine
        theta = np.exp(res.x)
        at_bound = [name for name, phi in zip(self.param_names, res.x) if abs(phi) > 17.5]
        self.ridge_limit_ = ""
        se = None
        if pen == 0:
            ll_fit = float(weight @ self._loglik_terms(theta, ux, utx, uT)[0])
            psi, ll_limit, limit_hess, phi = self._fit_limit(ux, utx, uT, weight, theta, starts)
            pi = float(np.exp(-np.logaddexp(0.0, -psi[2])))
            # a drop-out probability that ran to 0 (or 1) is another limit (no drop-out): not this one
            shared = min(pi, 1.0 - pi) * RIDGE_SUM >= 1.0
            if shared and limit_stands(ll_limit, ll_fit):
                # the fit runs along the ridge towards the limit: stand at its canonical point
                theta = np.array([psi[0], psi[1], pi * RIDGE_SUM, (1.0 - pi) * RIDGE_SUM])
                at_bound = [name for name, p in zip(("r", "alpha"), phi[:2]) if abs(p) > 17.5]
                self.ridge_limit_ = "constant_dropout"
                se = np.concatenate([_standard_errors(limit_hess)[:2], [np.nan, np.nan]])
            elif res.x[2] < -17.5 or theta[2] / (theta[2] + theta[3]) * RIDGE_SUM < 1.0:
                # a ran to 0, or a / (a + b) below 1 / RIDGE_SUM (a = 2e-6 with b = 25,413 or 1e-6 with 48,338 by the
                # kernels on a demo snapshot): nobody drops out and b is not determined; the limit is the NBD model
                psi, ll_nbd, nbd_hess, phi = self._fit_limit(ux, utx, uT, weight, theta, starts, eta=-np.inf)
                if limit_stands(ll_nbd, ll_fit):
                    theta = np.array([psi[0], psi[1], np.exp(-18.0), RIDGE_SUM])
                    at_bound = ["a"] + [name for name, p in zip(("r", "alpha"), phi[:2]) if abs(p) > 17.5]
                    self.ridge_limit_ = "no_dropout"
                    se = np.concatenate([_standard_errors(nbd_hess), [np.nan, np.nan]])
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
        if se is None:
            hess = _numeric_hessian(lambda th: self._total_grad(th, ux, utx, uT, weight), theta)
            se = _standard_errors(hess)
        self.standard_errors_ = dict(zip(self.param_names, map(float, se)))
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
        return self.p_alive(x, t_x, t_cal) * self.p_purchase_if_alive(t, x, t_x, t_cal)

    def p_purchase_if_alive(self, t, frequency, recency, T) -> np.ndarray:
        """Probability that a live account buys at least once in the next ``t`` time units, shape (n,):
        ``1 - ((alpha + T) / (alpha + T + t))^(r + x)`` (its posterior purchase rate)."""
        x, _, t_cal = _check_btyd_inputs(frequency, recency, T)
        r, alpha, _, _ = self._check_fitted()
        t = np.asarray(t, dtype=np.float64)
        return -np.expm1((r + x) * (np.log(alpha + t_cal) - np.log(alpha + t_cal + t)))

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
