"""Price response: a logistic regression of won/lost on our price relative to the competitor's."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from kamtools.competitors.winloss import UNKNOWN_COMPETITOR


class PriceResponseModel(BaseEstimator):
    """Logistic regression of bid outcome on our relative price, with controls.

    ``logit P(won) = b0 + b_price * log(our_price / competitor_price) + competitor
    effects + category effects + b_size * log(amount)``, fitted by maximum likelihood
    (statsmodels GLM, binomial family). A negative ``price_coef_`` means dearer bids are
    won less often.

    Parameters
    ----------
    controls : any of ``"competitor"``, ``"category"``, ``"deal_size"``.
    min_level_n : competitor or category levels with fewer bids are pooled as "other".
    confidence : coverage of the coefficient and curve intervals.

    ``fit(X, y=None)``: ``X`` is a frame of decided bids with ``our_price``,
    ``competitor_price`` (and the control columns ``competitor``, ``category``,
    ``amount``), e.g. from :func:`decided_bids`; ``y`` is 1 for won, 0 for lost
    (default: ``X["won"]`` or ``X["status"] == "won"``). Rows without both prices are
    dropped.

    Learned attributes: ``coefficients_`` (term, coef, std_err, ci_low, ci_high,
    p_value, odds_ratio), ``price_coef_``, ``price_ci_`` (low, high), ``n_obs_``,
    ``win_rate_``, ``levels_`` (kept levels per categorical control), ``result_``
    (the statsmodels results).
    """

    def __init__(
        self,
        controls: Sequence[str] = ("competitor", "category", "deal_size"),
        min_level_n: int = 20,
        confidence: float = 0.95,
    ) -> None:
        self.controls = controls
        self.min_level_n = min_level_n
        self.confidence = confidence

    # -- design ---------------------------------------------------------------------
    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        need = ["our_price", "competitor_price"]
        for c in self.controls:
            if c not in ("competitor", "category", "deal_size"):
                raise ValueError(f"PriceResponseModel: unknown control {c!r}; use competitor, category, deal_size")
        need += [c for c in ("competitor", "category") if c in self.controls]
        if "deal_size" in self.controls:
            need.append("amount")
        missing = [c for c in need if c not in X.columns]
        if missing:
            raise ValueError(f"PriceResponseModel: the bids frame has no column(s) {missing}")
        ratio = X["our_price"].astype(float) / X["competitor_price"].astype(float)
        keep = np.isfinite(ratio) & (ratio > 0)
        return X.loc[keep].assign(_lpr=np.log(ratio[keep]))

    def _design(self, df: pd.DataFrame) -> np.ndarray:
        parts = [np.ones(len(df)), df["_lpr"].to_numpy(dtype=float)]
        for col in ("competitor", "category"):
            if col not in self.controls:
                continue
            kept, ref = self.levels_[col]
            values = df[col].astype("str").fillna(UNKNOWN_COMPETITOR if col == "competitor" else "(missing)").to_numpy()
            values = np.where(np.isin(values, kept), values, "other")
            for level in [lv for lv in kept + ["other"] if lv != ref and f"{col}[{lv}]" in self.terms_]:
                parts.append((values == level).astype(float))
        if "deal_size" in self.controls:
            parts.append(np.log(np.maximum(df["amount"].to_numpy(dtype=float), 1.0)) - self.size_centre_)
        return np.column_stack(parts)

    def fit(self, X: pd.DataFrame, y: np.ndarray | pd.Series | None = None) -> PriceResponseModel:
        """Fit on decided bids (see class docstring). Returns self."""
        import statsmodels.api as sm
        from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

        if y is None:
            if "won" in X.columns:
                y = X["won"]
            elif "status" in X.columns:
                y = X["status"] == "won"
            else:
                raise ValueError("PriceResponseModel.fit: pass y (1 = won) or a frame with a 'won' or 'status' column")
        y = pd.Series(np.asarray(y, dtype=float), index=X.index)
        df = self._frame(X)
        yv = y.loc[df.index].to_numpy()
        if len(df) < 30:
            raise ValueError(
                f"PriceResponseModel: only {len(df)} decided bids have both our_price and competitor_price; "
                "at least 30 are needed to estimate the price effect"
            )
        if yv.min() == yv.max():
            raise ValueError(
                "PriceResponseModel: every priced bid has the same outcome; the price effect is unidentified"
            )
        self.levels_ = {}
        for col in ("competitor", "category"):
            if col not in self.controls:
                continue
            values = df[col].astype("str").fillna(UNKNOWN_COMPETITOR if col == "competitor" else "(missing)")
            counts = values.value_counts()
            kept = sorted(counts[counts >= self.min_level_n].index.tolist())
            ref = counts.index[0] if counts.iloc[0] >= self.min_level_n else "other"
            self.levels_[col] = (kept, ref)
        self.size_centre_ = (
            float(np.log(np.maximum(df["amount"].to_numpy(dtype=float), 1.0)).mean())
            if "deal_size" in self.controls
            else 0.0
        )
        # candidate terms, then drop dummies without any observation
        terms = ["const", "log_price_ratio"]
        for col in ("competitor", "category"):
            if col in self.controls:
                kept, ref = self.levels_[col]
                terms += [f"{col}[{lv}]" for lv in kept + ["other"] if lv != ref]
        if "deal_size" in self.controls:
            terms.append("log_deal_size")
        self.terms_ = terms
        design = self._design(df)
        nonconst = [0, 1] + [j for j in range(2, design.shape[1]) if design[:, j].std() > 0]
        self.terms_ = [terms[j] for j in nonconst]
        design = design[:, nonconst]
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            try:
                result = sm.GLM(yv, design, family=sm.families.Binomial()).fit()
            except PerfectSeparationWarning as exc:
                raise ValueError(
                    "PriceResponseModel: the bids are perfectly separated (some control level is always won or "
                    "always lost); pool rare levels with a larger min_level_n or drop that control"
                ) from exc
        alpha = 1 - self.confidence
        ci = np.asarray(result.conf_int(alpha))
        self.result_ = result
        self.coefficients_ = pd.DataFrame(
            {
                "term": self.terms_,
                "coef": np.asarray(result.params),
                "std_err": np.asarray(result.bse),
                "ci_low": ci[:, 0],
                "ci_high": ci[:, 1],
                "p_value": np.asarray(result.pvalues),
            }
        )
        self.coefficients_["odds_ratio"] = np.exp(self.coefficients_["coef"])
        self.price_coef_ = float(result.params[1])
        self.price_ci_ = (float(ci[1, 0]), float(ci[1, 1]))
        self.n_obs_ = int(len(df))
        self.win_rate_ = float(yv.mean())
        self._train_design_ = design
        return self

    def _check(self) -> None:
        check_is_fitted(self, "result_", msg="This PriceResponseModel is not fitted yet; call fit(bids) first.")

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(n, 2) probabilities of [lost, won] for bids with both prices (others -> NaN)."""
        self._check()
        df = self._frame(X)
        p = np.full(len(X), np.nan)
        p[X.index.get_indexer(df.index)] = expit(self._design(df) @ np.asarray(self.result_.params))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the predicted win probability is at least 0.5, else 0 (NaN rows -> 0)."""
        return (np.nan_to_num(self.predict_proba(X)[:, 1]) >= 0.5).astype(int)

    def curve(self, premiums: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
        """Average win probability over the fitted bids when every bid is priced at ``premium``.

        ``premium`` is our price over the competitor's minus 1 (0.05 = 5% dearer); the
        controls keep their observed mix. The interval is a delta-method confidence
        interval of that average. Returns ``premium, win_probability, ci_low, ci_high``.
        """
        self._check()
        if premiums is None:
            premiums = np.round(np.linspace(-0.15, 0.15, 31), 4)
        premiums = np.asarray(premiums, dtype=float)
        if np.any(premiums <= -1):
            raise ValueError("curve: premiums must be greater than -1 (a price above zero)")
        beta = np.asarray(self.result_.params)
        cov = np.asarray(self.result_.cov_params())
        X = self._train_design_.copy()
        base = X @ beta - X[:, 1] * beta[1]
        z = stats.norm.ppf(0.5 + self.confidence / 2)
        rows = []
        for prem in premiums:
            lp = np.log1p(prem)
            p = expit(base + beta[1] * lp)
            X[:, 1] = lp
            grad = (p * (1 - p)) @ X / len(p)
            se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
            m = float(p.mean())
            rows.append((prem, m, max(m - z * se, 0.0), min(m + z * se, 1.0)))
        return pd.DataFrame(rows, columns=["premium", "win_probability", "ci_low", "ci_high"])

    def win_probability_at(self, premium: float) -> float:
        """Average win probability over the fitted bids at a price premium (0.05 = 5% dearer)."""
        return float(self.curve([premium])["win_probability"].iloc[0])

    def sentence(self, premium: float = 0.05) -> str:
        """'At a 5% premium our win probability falls from X (at price parity) to Y.'"""
        at0, at_p = self.win_probability_at(0.0), self.win_probability_at(premium)
        verb = "falls" if at_p < at0 else "rises"
        text = (
            f"At a {premium:.0%} price premium over the competitor our win probability {verb} from "
            f"{at0:.0%} (at price parity) to {at_p:.0%}."
        )
        lo, hi = self.price_ci_
        if lo <= 0 <= hi:
            text += f" The price effect's {self.confidence:.0%} interval" + _NO_EFFECT.format(
                "fall" if verb == "falls" else "rise"
            )
        return text


# said after a price effect whose confidence interval holds zero ("That interval" / "The price effect's 95% interval")
_NO_EFFECT = (
    " includes no effect of price at all: these bids do not show that our price moves our win rate, so read the {} as "
    "the likelier direction, not as a measured size."
)


def price_response_table(model: PriceResponseModel, premium: float = 0.05) -> pd.DataFrame:
    """A fitted :class:`PriceResponseModel` as one tidy portfolio-level table.

    Columns ``kind, term, value, std_err, ci_low, ci_high, p_value, premium``:

    * ``kind == "coefficient"``: one row per model term (``value`` = coefficient on the
      log-odds scale; ``log_price_ratio`` is the price effect);
    * ``kind == "curve"``: ``term == "win_probability"``, ``premium`` and the average
      predicted win probability with its interval;
    * ``kind == "summary"``: ``n_bids``, ``win_rate``, ``win_probability_at_parity`` and
      ``win_probability_at_premium`` (at ``premium``, stored in the ``premium`` column).
    """
    coef = model.coefficients_.rename(columns={"coef": "value"}).drop(columns="odds_ratio")
    coef.insert(0, "kind", "coefficient")
    coef["premium"] = np.nan
    curve = model.curve()
    curve_rows = pd.DataFrame(
        {
            "kind": "curve",
            "term": "win_probability",
            "value": curve["win_probability"],
            "std_err": np.nan,
            "ci_low": curve["ci_low"],
            "ci_high": curve["ci_high"],
            "p_value": np.nan,
            "premium": curve["premium"],
        }
    )
    at = model.curve([0.0, premium])
    summary = pd.DataFrame(
        {
            "kind": "summary",
            "term": ["n_bids", "win_rate", "win_probability_at_parity", "win_probability_at_premium"],
            "value": [
                float(model.n_obs_),
                model.win_rate_,
                at["win_probability"].iloc[0],
                at["win_probability"].iloc[1],
            ],
            "std_err": np.nan,
            "ci_low": [np.nan, np.nan, at["ci_low"].iloc[0], at["ci_low"].iloc[1]],
            "ci_high": [np.nan, np.nan, at["ci_high"].iloc[0], at["ci_high"].iloc[1]],
            "p_value": np.nan,
            "premium": [np.nan, np.nan, 0.0, premium],
        }
    )
    return pd.concat([coef, curve_rows, summary], ignore_index=True)


def price_response_sentence(table: pd.DataFrame) -> str:
    """The plain sentence of a :func:`price_response_table` (as read from a bundle)."""
    s = table[table["kind"] == "summary"].set_index("term")
    c = table[(table["kind"] == "coefficient") & (table["term"] == "log_price_ratio")]
    at0 = float(s.loc["win_probability_at_parity", "value"])
    at_p = float(s.loc["win_probability_at_premium", "value"])
    prem = float(s.loc["win_probability_at_premium", "premium"])
    verb = "falls" if at_p < at0 else "rises"
    text = (
        f"At a {prem:.0%} price premium over the competitor our win probability {verb} from "
        f"{at0:.0%} (at price parity) to {at_p:.0%}"
    )
    if len(c):
        row = c.iloc[0]
        text += (
            f" (price coefficient {row['value']:.1f} on log price ratio, "
            f"95% CI {row['ci_low']:.1f} to {row['ci_high']:.1f}; {int(s.loc['n_bids', 'value']):,} bids)."
        )
        if float(row["ci_low"]) <= 0 <= float(row["ci_high"]):  # the demo at 12 months: -25.9 to 2.5 on 73 bids
            text += " That interval" + _NO_EFFECT.format("fall" if verb == "falls" else "rise")
    else:
        text += "."
    return text
