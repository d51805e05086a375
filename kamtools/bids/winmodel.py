"""The win model of the bid desk: P(win) of a bid as a function of our price.

``logit P(win) = b0 + b_price * log(our_price / competitor_price) + b_unpriced * [no competitor price]
+ competitor effect + category effect + account effect``

How it is fitted and how thin data is pooled:

* The fixed part (intercept, price slope, the no-competitor-price flag, one effect per
  competitor and per category) is a penalised logistic regression fitted by Newton's
  method. Competitor and category effects have a normal prior centred on 0 with sd
  :data:`GROUP_PRIOR_SD` (an L2 penalty), so a competitor or category with few bids
  stays close to the portfolio and one never seen gets exactly the portfolio's value.
  The price slope has a weak normal prior (:data:`PRICE_PRIOR_MEAN`,
  :data:`PRICE_PRIOR_SD`): with hundreds of priced bids the data decide; with a handful
  it keeps the curve sensible.
* Each account's own record enters as a random intercept shrunk towards 0 (empirical
  Bayes with a normal prior of sd :data:`ACCOUNT_PRIOR_SD`): its estimate is the sum of
  the account's residuals over their binomial information plus the prior precision,
  iterated a few times with the fixed part refitted on top (penalised quasi-likelihood).
  An account with 3 bids moves a little from the portfolio, one with 30 a lot, one with
  none not at all. Recent bids count more: each bid's residual and information are weighted
  by ``0.5 ** (age / ACCOUNT_HALF_LIFE_DAYS)`` (age: days before the latest bid's created
  date), so an account that has turned away lately shows it, and an old record is pooled
  more. ``account_weight_`` is the share of its own record the estimate keeps,
  ``info / (info + 1 / ACCOUNT_PRIOR_SD**2)`` (``info``: the weighted sum of p(1 - p) over
  its bids). The fixed part (price response, competitors, categories) weighs every bid alike.
* The uncertainty of the price response is a posterior sample: :data:`N_DRAWS` draws of
  the fixed part from the Laplace approximation (normal with the inverse penalised
  Hessian as covariance) and of each account effect from its own normal approximation,
  with a fixed seed, so results are deterministic.
* The curve is monotone decreasing in our price: the slope (and every draw of it) is
  capped at :data:`MAX_SLOPE` < 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

from kamtools.competitors import UNKNOWN_COMPETITOR

GROUP_PRIOR_SD = 0.5
ACCOUNT_PRIOR_SD = 0.5
PRICE_PRIOR_MEAN = -10.0
PRICE_PRIOR_SD = 5.0
MAX_SLOPE = -0.5
N_DRAWS = 200
SEED = 2112
MIN_BIDS = 20  # decided bids (with both outcomes) needed to fit
BACKFIT_ROUNDS = 4
ACCOUNT_HALF_LIFE_DAYS = 365.0  # an account's bid counts half as much in its account effect a year later
MISSING_CATEGORY = "(missing)"


def bid_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """``account_id, competitor, category`` of a bids frame as plain strings (missing -> labels)."""
    cols = ["account_id", "competitor", "category"]
    if all(c in frame.columns and pd.api.types.is_string_dtype(frame[c]) for c in cols):
        if not frame[cols].isna().any().any():  # already plain keys (e.g. from training_bids)
            return frame[cols]
    out = pd.DataFrame(index=frame.index)
    # fit() and draws() take the caller's bids frame: its ids may be numbers
    out["account_id"] = frame["account_id"].astype("str")
    comp = frame["competitor"] if "competitor" in frame.columns else pd.Series(np.nan, index=frame.index)
    out["competitor"] = comp.astype("object").where(comp.notna(), UNKNOWN_COMPETITOR).astype("str")
    cat = frame["category"] if "category" in frame.columns else pd.Series(np.nan, index=frame.index)
    out["category"] = cat.astype("object").where(cat.notna(), MISSING_CATEGORY).astype("str")
    return out


def log_ratio(our: pd.Series | np.ndarray, competitor: pd.Series | np.ndarray) -> np.ndarray:
    """log(our / competitor) where both are positive and finite, else NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(our, dtype=float) / np.asarray(competitor, dtype=float)
        return np.where(np.isfinite(r) & (r > 0), np.log(r), np.nan)


@dataclass
class WinModel:
    """Penalised logistic win model with pooled competitor, category and account effects.

    ``fit(bids)`` takes decided bids with ``account_id, competitor, category, won`` and
    ``log_ratio`` (log of our price over the competitor's; NaN when no competitor price).
    """

    group_prior_sd: float = GROUP_PRIOR_SD
    account_prior_sd: float = ACCOUNT_PRIOR_SD
    seed: int = SEED
    n_draws: int = N_DRAWS
    competitors_: list[str] = field(default_factory=list)
    categories_: list[str] = field(default_factory=list)
    beta_: np.ndarray | None = None
    cov_: np.ndarray | None = None
    account_effect_: dict[str, float] = field(default_factory=dict)
    account_sd_: dict[str, float] = field(default_factory=dict)
    account_n_: dict[str, int] = field(default_factory=dict)
    account_weight_: dict[str, float] = field(default_factory=dict)
    half_life_days: float | None = ACCOUNT_HALF_LIFE_DAYS  # None: every bid of an account counts alike
    n_obs_: int = 0
    win_rate_: float = float("nan")

    # -- design -------------------------------------------------------------------------
    def _design(self, keys: pd.DataFrame, lr: np.ndarray) -> np.ndarray:
        n, k, c = len(keys), len(self.competitors_), len(self.categories_)
        x = np.zeros((n, 3 + k + c))
        priced = np.isfinite(lr)
        x[:, 0] = 1.0
        x[:, 1] = np.where(priced, lr, 0.0)
        x[:, 2] = (~priced).astype(float)
        ci = pd.Index(self.competitors_).get_indexer(keys["competitor"])
        gi = pd.Index(self.categories_).get_indexer(keys["category"])
        rows = np.arange(n)
        x[rows[ci >= 0], 3 + ci[ci >= 0]] = 1.0
        x[rows[gi >= 0], 3 + k + gi[gi >= 0]] = 1.0
        return x

    def _penalty(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        prec = np.full(p, 1.0 / self.group_prior_sd**2)
        prec[0] = 1e-6
        prec[1] = 1.0 / PRICE_PRIOR_SD**2
        prec[2] = 1.0 / 2.0**2
        mean = np.zeros(p)
        mean[1] = PRICE_PRIOR_MEAN
        return prec, mean

    @staticmethod
    def _newton(x, y, offset, prec, mean, beta, iters: int = 25) -> tuple[np.ndarray, np.ndarray]:
        for _ in range(iters):
            p = expit(x @ beta + offset)
            w = p * (1 - p)
            grad = x.T @ (y - p) - prec * (beta - mean)
            xs = x * np.sqrt(w)[:, None]
            hess = xs.T @ xs + np.diag(prec)  # X'WX as a symmetric product (syrk): 3x faster
            step = np.linalg.solve(hess, grad)
            beta = beta + step
            if np.max(np.abs(step)) < 1e-6:
                break
        p = expit(x @ beta + offset)
        xs = x * np.sqrt(p * (1 - p))[:, None]
        return beta, xs.T @ xs + np.diag(prec)

    # -- fit ----------------------------------------------------------------------------
    def _terms(self) -> list[str]:
        return (
            ["const", "log_price_ratio", "no_competitor_price"]
            + [f"competitor[{c}]" for c in self.competitors_]
            + [f"category[{c}]" for c in self.categories_]
        )

    def _start(self, warm: WinModel | None, y: np.ndarray, mean: np.ndarray, accounts: pd.Index):
        """Starting values: a previous fit's (matched by term and account), else the prior."""
        beta = mean.copy()
        beta[0] = np.log((y.mean() + 0.01) / (1 - y.mean() + 0.01))
        u = np.zeros(len(accounts))
        if warm is not None and warm.beta_ is not None:
            old = dict(zip(warm._terms(), warm.beta_, strict=True))
            beta = np.array([old.get(t, b) for t, b in zip(self._terms(), beta, strict=True)])
            u = accounts.to_series().map(warm.account_effect_).fillna(0.0).to_numpy(float)
        return beta, u

    def fit(self, bids: pd.DataFrame, warm: WinModel | None = None) -> WinModel:
        """Fit on decided bids (see class docstring); ``warm``: a fit on fewer bids to start from. Returns self."""
        y = np.asarray(bids["won"], dtype=float)
        if len(y) < MIN_BIDS or y.min() == y.max():
            raise ValueError(
                f"the win model needs at least {MIN_BIDS} decided bids with both wins and losses "
                f"({len(y)} decided, {int(y.sum())} won)"
            )
        keys = bid_keys(bids)
        lr = np.asarray(bids["log_ratio"], dtype=float)
        self.competitors_ = sorted(keys["competitor"].unique().tolist())
        self.categories_ = sorted(keys["category"].unique().tolist())
        x = self._design(keys, lr)
        prec, mean = self._penalty(x.shape[1])
        acc_codes, accounts = pd.factorize(keys["account_id"])
        tau2 = self.account_prior_sd**2
        rw = np.ones(len(y))
        if self.half_life_days and "created_date" in bids.columns:
            created = pd.to_datetime(bids["created_date"])
            age = (created.max() - created).dt.days.to_numpy(float)
            rw = np.where(np.isfinite(age), 0.5 ** (age / self.half_life_days), 1.0)
        beta, u = self._start(warm, y, mean, accounts)
        for _ in range(BACKFIT_ROUNDS):  # fixed part given the account effects, then the account effects
            beta, hess = self._newton(x, y, u[acc_codes], prec, mean, beta)
            eta = x @ beta
            before = u.copy()
            for _ in range(4):
                p = expit(eta + u[acc_codes])
                resid = np.bincount(acc_codes, rw * (y - p), len(accounts))
                info = np.bincount(acc_codes, rw * p * (1 - p), len(accounts))
                u = u + (resid - u / tau2) / (info + 1 / tau2)
            if np.max(np.abs(u - before), initial=0.0) < 1e-3:
                break
        beta[1] = min(beta[1], MAX_SLOPE)
        self.beta_ = beta
        self.cov_ = np.linalg.inv(hess)
        self.account_effect_ = dict(zip(accounts, u, strict=True))
        self.account_sd_ = dict(zip(accounts, 1 / np.sqrt(info + 1 / tau2), strict=True))
        # how much of the account's own record its estimate keeps (the rest is the portfolio's 0)
        self.account_n_ = dict(zip(accounts, np.bincount(acc_codes, minlength=len(accounts)).tolist(), strict=True))
        self.account_weight_ = dict(zip(accounts, info * tau2 / (info * tau2 + 1), strict=True))
        self.n_obs_ = len(y)
        self.win_rate_ = float(y.mean())
        return self

    # -- prediction ---------------------------------------------------------------------
    @property
    def slope(self) -> float:
        """The price coefficient on log(our / competitor) (negative)."""
        return float(self.beta_[1])

    def base_logit(self, frame: pd.DataFrame, priced: np.ndarray) -> np.ndarray:
        """Log-odds of each bid at price parity (or, when ``priced`` is False, at its own price
        with no competitor price known): everything but the price term."""
        keys = bid_keys(frame)
        lr = np.where(np.asarray(priced, dtype=bool), 0.0, np.nan)
        return self._design(keys, lr) @ self.beta_ + self._account_values(keys, self.account_effect_, 0.0)

    @staticmethod
    def _account_values(keys: pd.DataFrame, values: dict[str, float], default: float) -> np.ndarray:
        """Each bid's account value (``default`` for an account the model has not seen)."""
        index = pd.Index(list(values.keys()))
        pos = index.get_indexer(keys["account_id"])
        found = np.asarray(list(values.values()), dtype=float)
        return np.where(pos >= 0, found[np.maximum(pos, 0)] if len(found) else default, default)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """P(win) of bids with ``account_id, competitor, category, log_ratio``."""
        lr = np.asarray(frame["log_ratio"], dtype=float)
        priced = np.isfinite(lr)
        return expit(self.base_logit(frame, priced) + self.slope * np.where(priced, lr, 0.0))

    def draws(self, frame: pd.DataFrame, priced: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior draws: (base logits ``(n, D)``, slopes ``(D,)``) for the bids of ``frame``."""
        rng = np.random.default_rng(self.seed)
        d = self.n_draws
        beta = rng.multivariate_normal(self.beta_, self.cov_, size=d, method="cholesky")
        beta[:, 1] = np.minimum(beta[:, 1], MAX_SLOPE)
        keys = bid_keys(frame)
        lr = np.where(np.asarray(priced, dtype=bool), 0.0, np.nan)
        fixed = self._design(keys, lr) @ beta.T
        acc = self._account_values(keys, self.account_effect_, 0.0)
        sd = self._account_values(keys, self.account_sd_, self.account_prior_sd)
        codes, uniq = pd.factorize(keys["account_id"])
        z = rng.standard_normal((len(uniq), d))
        return fixed + acc[:, None] + sd[:, None] * z[codes], beta[:, 1]
