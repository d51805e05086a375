"""Competitors: who we lose to, where, at what price gap, and which accounts are under threat.

Everything here reads the optional ``opportunities`` table (bids, RFQs, tenders with
``status`` won/lost/open, optionally ``competitor``, ``our_price``, ``competitor_price``,
``loss_reason``), the optional ``competitor_prices`` table (market-intelligence price
observations, ``price_index`` = competitor's price as % of ours) and the accounts'
``potential_revenue`` (estimated yearly wallet). When a table or column is missing the
function returns :class:`~kamtools.data.NotAvailable` with the reason in one sentence.

Conventions
-----------
* ``price_gap`` = ``our_price / competitor_price - 1``: our premium over the competitor
  in a bid (+0.05 = we quoted 5% above them, -0.03 = 3% below).
* Win rates are over *decided* bids (won or lost, closed on or before ``as_of``) with a
  Wilson score interval; groups with fewer than ``min_n`` bids are flagged
  ``small_sample``.
* "Last twelve months" (LTM) is ``(as_of - 12 months, as_of]``.

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=60, years=3, seed=1)
>>> wl = win_loss(portfolio)                     # one row per competitor
>>> model = PriceResponseModel().fit(decided_bids(portfolio))
>>> model.price_coef_ < 0                        # dearer bids are won less often
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.display import money

__all__ = [
    "UNKNOWN_COMPETITOR",
    "SUMMARY_COLUMNS",
    "wilson_interval",
    "decided_bids",
    "win_loss",
    "win_trend",
    "loss_reasons",
    "PriceResponseModel",
    "price_response_table",
    "price_response_sentence",
    "price_index",
    "share_of_wallet",
    "account_bids",
    "threat_score",
    "bundle_tables",
]

UNKNOWN_COMPETITOR = "(not recorded)"
MIN_N = 10

# the one-row-per-account headline numbers joined into accounts.parquet
SUMMARY_COLUMNS = {
    "competitor_threat": ["threat_score", "threat_band", "main_competitor"],
    "share_of_wallet": ["share_of_wallet", "share_of_wallet_change"],
}


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _at(portfolio: Portfolio, as_of: str | pd.Timestamp | None) -> Portfolio:
    """The portfolio as known on ``as_of`` (itself when ``as_of`` is None or its own date)."""
    if as_of is None or pd.Timestamp(as_of).normalize() == portfolio.as_of:
        return portfolio
    return portfolio.truncate(as_of)


def wilson_interval(
    wins: np.ndarray | Sequence[float] | float, n: np.ndarray | Sequence[float] | float, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion, vectorised.

    Parameters
    ----------
    wins, n : successes and trials (arrays of the same shape, or scalars).
    confidence : two-sided coverage, e.g. 0.95.

    Returns ``(low, high)`` arrays in [0, 1]; NaN where ``n == 0``.

    >>> lo, hi = wilson_interval(7, 10)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.397, 0.892)
    """
    wins = np.asarray(wins, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = wins / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


def _period_start(dates: pd.Series, freq: str) -> pd.Series:
    """Start of the quarter ("Q"), half-year ("H") or year ("Y") of each date."""
    if freq == "Q":
        return dates.dt.to_period("Q").dt.start_time.astype("datetime64[ns]")
    if freq == "H":
        month = np.where(dates.dt.month <= 6, 1, 7)
        return pd.to_datetime(pd.DataFrame({"year": dates.dt.year, "month": month, "day": 1})).astype("datetime64[ns]")
    if freq == "Y":
        return dates.dt.to_period("Y").dt.start_time.astype("datetime64[ns]")
    raise ValueError(f"freq must be 'Q' (quarter), 'H' (half-year) or 'Y' (year), not {freq!r}")


def _period_label(start: pd.Series, freq: str) -> pd.Series:
    year = start.dt.year.astype(str)
    if freq == "Q":
        return year + "-Q" + start.dt.quarter.astype(str)
    if freq == "H":
        return year + "-H" + np.where(start.dt.month <= 6, "1", "2")
    return year


# ---------------------------------------------------------------------------------------
# win / loss
# ---------------------------------------------------------------------------------------
def decided_bids(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Won and lost opportunities decided on or before ``as_of``, ready for analysis.

    Returns the opportunities rows (all their columns) with ``status`` in won/lost and
    ``close_date <= as_of``, plus:

    ``won`` (bool), ``competitor`` (missing names -> ``"(not recorded)"``),
    ``price_gap`` (our_price / competitor_price - 1; NaN when either price is missing),
    ``log_price_ratio`` (log(our_price / competitor_price)).

    NotAvailable when no opportunities table was supplied.
    """
    portfolio = _at(portfolio, as_of)
    if not portfolio.has("opportunities"):
        return NotAvailable(
            "No opportunities table was supplied, so bids won and lost against competitors are unknown."
        )
    opp = portfolio.tables["opportunities"]
    decided = opp[opp["status"].isin(["won", "lost"]) & (opp["close_date"] <= portfolio.as_of)].copy()
    decided["won"] = decided["status"] == "won"
    if "competitor" in decided.columns:
        decided["competitor"] = decided["competitor"].astype("str").fillna(UNKNOWN_COMPETITOR)
    else:
        decided["competitor"] = UNKNOWN_COMPETITOR
    if "our_price" in decided.columns and "competitor_price" in decided.columns:
        ratio = decided["our_price"].astype(float) / decided["competitor_price"].astype(float)
        ratio = ratio.where(np.isfinite(ratio) & (ratio > 0))
        decided["price_gap"] = ratio - 1
        decided["log_price_ratio"] = np.log(ratio)
    else:
        decided["price_gap"] = np.nan
        decided["log_price_ratio"] = np.nan
    return decided.reset_index(drop=True)


def _win_loss_table(bids: pd.DataFrame, keys: list[str], min_n: int, confidence: float) -> pd.DataFrame:
    """Aggregate decided bids by ``keys`` into win counts, Wilson CIs and average price gaps."""
    frame = bids.assign(
        _one=1,
        _lost=~bids["won"],
        _gap_won=bids["price_gap"].where(bids["won"]),
        _gap_lost=bids["price_gap"].where(~bids["won"]),
        _amt_won=bids["amount"].where(bids["won"], 0.0),
        _amt_lost=bids["amount"].where(~bids["won"], 0.0),
    )
    if not keys:
        frame = frame.assign(_all="all bids")
        keys = ["_all"]
    out = (
        frame.groupby(keys, observed=True, sort=True)
        .agg(
            n=("_one", "sum"),
            wins=("won", "sum"),
            losses=("_lost", "sum"),
            avg_price_gap=("price_gap", "mean"),
            avg_price_gap_won=("_gap_won", "mean"),
            avg_price_gap_lost=("_gap_lost", "mean"),
            n_priced=("price_gap", "count"),
            won_amount=("_amt_won", "sum"),
            lost_amount=("_amt_lost", "sum"),
        )
        .reset_index()
    )
    if "_all" in out.columns:
        out = out.drop(columns="_all")
    out["n"] = out["n"].astype(np.int64)
    out["wins"] = out["wins"].astype(np.int64)
    out["losses"] = out["losses"].astype(np.int64)
    out["n_priced"] = out["n_priced"].astype(np.int64)
    out["win_rate"] = out["wins"] / out["n"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["wins"].to_numpy(), out["n"].to_numpy(), confidence)
    out["small_sample"] = out["n"] < min_n
    order = [k for k in keys if k != "_all"] + [
        "n",
        "wins",
        "losses",
        "win_rate",
        "ci_low",
        "ci_high",
        "small_sample",
        "avg_price_gap",
        "avg_price_gap_won",
        "avg_price_gap_lost",
        "n_priced",
        "won_amount",
        "lost_amount",
    ]
    return out[order]


def win_loss(
    portfolio: Portfolio,
    by: str | Sequence[str] | None = "competitor",
    as_of: str | pd.Timestamp | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
    since: str | pd.Timestamp | None = None,
) -> pd.DataFrame | NotAvailable:
    """Win rate of decided bids, overall (``by=None``) or per group (default: per competitor).

    Parameters
    ----------
    by : column(s) of :func:`decided_bids` to group by, e.g. ``"competitor"``,
        ``["competitor", "category"]``, ``"account_id"``; None for one overall row.
    min_n : groups with fewer decided bids are flagged ``small_sample``.
    confidence : coverage of the Wilson interval.
    since : only bids closed after this date (e.g. the last 12 months).

    Returns one row per group: the ``by`` columns, ``n`` (decided bids), ``wins``,
    ``losses``, ``win_rate``, ``ci_low``, ``ci_high``, ``small_sample``,
    ``avg_price_gap`` / ``avg_price_gap_won`` / ``avg_price_gap_lost`` (mean of
    our_price / competitor_price - 1; positive = we were dearer), ``n_priced`` (bids
    with both prices), ``won_amount``, ``lost_amount`` (sum of ``amount``).
    """
    bids = decided_bids(portfolio, as_of)
    if isinstance(bids, NotAvailable):
        return bids
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [k for k in keys if k not in bids.columns]
    if missing:
        raise ValueError(f"win_loss: the opportunities table has no column(s) {missing} to group by")
    if since is not None:
        bids = bids[bids["close_date"] > pd.Timestamp(since)]
    for k in keys:
        if bids[k].dtype == object or pd.api.types.is_string_dtype(bids[k]):
            bids = bids.assign(**{k: bids[k].fillna("(missing)")})
    return _win_loss_table(bids, keys, min_n, confidence)


def win_trend(
    portfolio: Portfolio,
    freq: str = "Q",
    by: str | None = None,
    as_of: str | pd.Timestamp | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
) -> pd.DataFrame | NotAvailable:
    """Win rate per period of the close date: quarter (``"Q"``), half-year (``"H"``) or year (``"Y"``).

    Returns the :func:`win_loss` columns per period (and per ``by`` group when given),
    with ``period_start`` (datetime) and ``period`` (label such as ``"2025-Q3"``).
    """
    bids = decided_bids(portfolio, as_of)
    if isinstance(bids, NotAvailable):
        return bids
    bids = bids.assign(period_start=_period_start(bids["close_date"], freq))
    keys = ([by] if by else []) + ["period_start"]
    out = _win_loss_table(bids, keys, min_n, confidence)
    out.insert(len(keys), "period", _period_label(out["period_start"], freq))
    return out


def loss_reasons(
    portfolio: Portfolio, by: str | None = "competitor", as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame | NotAvailable:
    """Why bids were lost: counts and shares of ``loss_reason`` (per ``by`` group).

    Returns ``[by], loss_reason, n, share, lost_amount`` (share within the group), sorted
    by group and descending count. Missing reasons are counted as ``"(not recorded)"``.
    """
    bids = decided_bids(portfolio, as_of)
    if isinstance(bids, NotAvailable):
        return bids
    if "loss_reason" not in bids.columns:
        return NotAvailable("The opportunities table has no loss_reason column, so loss reasons are unknown.")
    lost = bids[~bids["won"]].assign(loss_reason=lambda d: d["loss_reason"].astype("str").fillna("(not recorded)"))
    keys = ([by] if by else []) + ["loss_reason"]
    out = (
        lost.groupby(keys, observed=True).agg(n=("opportunity_id", "size"), lost_amount=("amount", "sum")).reset_index()
    )
    total = out.groupby(by)["n"].transform("sum") if by else out["n"].sum()
    out["share"] = out["n"] / total
    out["n"] = out["n"].astype(np.int64)
    sort = ([by] if by else []) + ["n"]
    return out.sort_values(sort, ascending=[True] * (len(sort) - 1) + [False], kind="stable")[
        keys + ["n", "share", "lost_amount"]
    ].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# price response: logistic regression of won/lost on our relative price
# ---------------------------------------------------------------------------------------
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
        return (
            f"At a {premium:.0%} price premium over the competitor our win probability {verb} from "
            f"{at0:.0%} (at price parity) to {at_p:.0%}."
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
    else:
        text += "."
    return text


# ---------------------------------------------------------------------------------------
# competitor prices
# ---------------------------------------------------------------------------------------
def price_index(
    portfolio: Portfolio,
    freq: str = "Q",
    as_of: str | pd.Timestamp | None = None,
    scope: str = "all",
) -> pd.DataFrame | NotAvailable:
    """Competitors' price index (their price as % of ours) by competitor, category and period.

    Parameters
    ----------
    freq : ``"Q"``, ``"H"`` or ``"Y"`` periods of the observation date.
    scope : ``"all"`` observations, ``"market"`` (no account_id) or ``"account"`` only.

    Returns ``competitor, category, period_start, period, price_index`` (mean),
    ``price_index_median``, ``n_obs``, ``price_gap`` (our premium implied by the mean
    index: 100 / index - 1). Rows with ``category == "All categories"`` pool the
    categories of a competitor. NotAvailable without competitor_prices.
    """
    portfolio = _at(portfolio, as_of)
    if not portfolio.has("competitor_prices"):
        return NotAvailable("No competitor_prices table was supplied, so our price position is unknown.")
    cp = portfolio.tables["competitor_prices"]
    if scope == "market":
        cp = cp[cp["account_id"].isna()] if "account_id" in cp.columns else cp
    elif scope == "account":
        cp = cp[cp["account_id"].notna()] if "account_id" in cp.columns else cp.iloc[0:0]
    elif scope != "all":
        raise ValueError("price_index: scope must be 'all', 'market' or 'account'")
    if cp.empty:
        return NotAvailable(f"No competitor price observations in scope {scope!r}.")
    cp = cp.assign(period_start=_period_start(cp["date"], freq))
    both = pd.concat([cp, cp.assign(category="All categories")], ignore_index=True)
    out = (
        both.groupby(["competitor", "category", "period_start"], observed=True)["price_index"]
        .agg(price_index="mean", price_index_median="median", n_obs="size")
        .reset_index()
    )
    out.insert(3, "period", _period_label(out["period_start"], freq))
    out["n_obs"] = out["n_obs"].astype(np.int64)
    out["price_gap"] = 100 / out["price_index"] - 1
    return out


# ---------------------------------------------------------------------------------------
# share of wallet
# ---------------------------------------------------------------------------------------
def _revenue_windows(portfolio: Portfolio) -> pd.DataFrame:
    """Per account: revenue in the last 12 months and in the 12 months before."""
    orders = portfolio.orders
    t1 = portfolio.as_of - pd.DateOffset(months=12)
    t0 = portfolio.as_of - pd.DateOffset(months=24)
    od = orders["order_date"]
    ltm = od > t1
    prior = (od > t0) & ~ltm
    frame = pd.DataFrame(
        {
            "account_id": orders["account_id"],
            "revenue_ltm": orders["net_revenue"].where(ltm, 0.0),
            "revenue_prior_12m": orders["net_revenue"].where(prior, 0.0),
        }
    )[(od > t0).to_numpy()]
    agg = frame.groupby("account_id", observed=True)[["revenue_ltm", "revenue_prior_12m"]].sum().reset_index()
    out = portfolio.accounts[["account_id"]].merge(agg, on="account_id", how="left")
    out[["revenue_ltm", "revenue_prior_12m"]] = out[["revenue_ltm", "revenue_prior_12m"]].fillna(0.0)
    return out


def share_of_wallet(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Our share of each account's wallet: revenue last 12 months / potential_revenue.

    ``potential_revenue`` is the account's estimated yearly spend in our categories (one
    current estimate, so the prior-year share uses the same wallet). Returns one row per
    account: ``account_id, potential_revenue, revenue_ltm, revenue_prior_12m,
    share_of_wallet, share_of_wallet_prior, share_of_wallet_change`` (points, this year
    minus prior), ``headroom`` (potential - revenue_ltm, at least 0), ``wallet_known``.
    Shares are NaN where the potential is unknown or zero; a share above 1 means the
    wallet estimate is too low. NotAvailable when no account has a potential.
    """
    portfolio = _at(portfolio, as_of)
    acc = portfolio.accounts
    if "potential_revenue" not in acc.columns or not acc["potential_revenue"].gt(0).any():
        return NotAvailable(
            "No account has a potential_revenue (wallet estimate), so share of wallet cannot be computed."
        )
    out = _revenue_windows(portfolio).merge(acc[["account_id", "potential_revenue"]], on="account_id", how="left")
    pot = out["potential_revenue"].astype(float)
    known = pot > 0
    out["wallet_known"] = known
    out["share_of_wallet"] = (out["revenue_ltm"] / pot).where(known)
    out["share_of_wallet_prior"] = (out["revenue_prior_12m"] / pot).where(known)
    out["share_of_wallet_change"] = out["share_of_wallet"] - out["share_of_wallet_prior"]
    out["headroom"] = (pot - out["revenue_ltm"]).clip(lower=0).where(known)
    cols = [
        "account_id",
        "potential_revenue",
        "revenue_ltm",
        "revenue_prior_12m",
        "share_of_wallet",
        "share_of_wallet_prior",
        "share_of_wallet_change",
        "headroom",
        "wallet_known",
    ]
    return out[cols]


# ---------------------------------------------------------------------------------------
# per-account bids and threat
# ---------------------------------------------------------------------------------------
def account_bids(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, months: int = 24, min_n: int = MIN_N
) -> pd.DataFrame | NotAvailable:
    """Per account and competitor: bids of the last ``months`` months, won and lost, price gaps.

    Returns ``account_id, competitor, n_bids`` (decided), ``wins, losses, win_rate,
    ci_low, ci_high, small_sample, avg_price_gap_won, avg_price_gap_lost, won_amount,
    lost_amount, open_bids, open_amount, last_bid_date``. Accounts without bids in the
    window have no rows.
    """
    portfolio = _at(portfolio, as_of)
    bids = decided_bids(portfolio)
    if isinstance(bids, NotAvailable):
        return bids
    start = portfolio.as_of - pd.DateOffset(months=months)
    recent = bids[bids["close_date"] > start]
    table = _win_loss_table(recent, ["account_id", "competitor"], min_n, 0.95).rename(columns={"n": "n_bids"})
    table = table.drop(columns=["avg_price_gap", "n_priced"])
    opp = portfolio.tables["opportunities"]
    open_ = opp[opp["status"] == "open"]
    comp = open_["competitor"].astype("str").fillna(UNKNOWN_COMPETITOR) if "competitor" in open_ else UNKNOWN_COMPETITOR
    open_agg = (
        open_.assign(competitor=comp)
        .groupby(["account_id", "competitor"], observed=True)
        .agg(open_bids=("opportunity_id", "size"), open_amount=("amount", "sum"))
        .reset_index()
    )
    created = opp[opp["created_date"] > start].assign(
        competitor=lambda d: (
            d["competitor"].astype("str").fillna(UNKNOWN_COMPETITOR) if "competitor" in d else UNKNOWN_COMPETITOR
        )
    )
    last = created.groupby(["account_id", "competitor"], observed=True)["created_date"].max().rename("last_bid_date")
    out = table.merge(open_agg, on=["account_id", "competitor"], how="outer").merge(
        last.reset_index(), on=["account_id", "competitor"], how="left"
    )
    for c in ("n_bids", "wins", "losses", "open_bids"):
        out[c] = out[c].fillna(0).astype(np.int64)
    for c in ("won_amount", "lost_amount", "open_amount"):
        out[c] = out[c].fillna(0.0)
    out["small_sample"] = out["n_bids"] < min_n
    return out.sort_values(["account_id", "n_bids"], ascending=[True, False], kind="stable").reset_index(drop=True)


def _pct(x: pd.Series) -> pd.Series:
    return (x * 100).round().astype("Int64").astype("str")


THREAT_COLUMNS = [
    "account_id",
    "threat_score",
    "threat_band",
    "main_competitor",
    "n_bids_recent",
    "n_lost_recent",
    "lost_amount_recent",
    "lost_to_main",
    "price_gap",
    "price_gap_source",
    "revenue_ltm",
    "revenue_prior_12m",
    "revenue_change_pct",
    "share_of_wallet",
    "share_of_wallet_prior",
    "threat_losses",
    "threat_price",
    "threat_wallet",
    "reasons",
]


def _with_bid_evidence(out: pd.DataFrame, portfolio: Portfolio, start: pd.Timestamp, has_opp: bool) -> pd.DataFrame:
    """``out`` with the decided bids since ``start`` per account (``n_bids_recent, n_lost_recent,
    lost_amount_recent``) and the main competitor in them (``main_from_bids, lost_to_main, gap_bids``):
    the one with the most lost value, then the most bids, named competitors only."""
    per_comp = pd.DataFrame(columns=["account_id", "competitor", "n", "lost", "lost_amount", "gap"])
    if has_opp:
        bids = decided_bids(portfolio)
        recent = bids[bids["close_date"] > start]
        per_comp = (
            recent.assign(lost=~recent["won"], lost_amt=recent["amount"].where(~recent["won"], 0.0))
            .groupby(["account_id", "competitor"], observed=True)
            .agg(n=("won", "size"), lost=("lost", "sum"), lost_amount=("lost_amt", "sum"), gap=("price_gap", "mean"))
            .reset_index()
        )
    totals = per_comp.groupby("account_id", observed=True).agg(
        n_bids_recent=("n", "sum"), n_lost_recent=("lost", "sum"), lost_amount_recent=("lost_amount", "sum")
    )
    out = out.merge(totals.reset_index(), on="account_id", how="left")
    for c in ("n_bids_recent", "n_lost_recent"):
        out[c] = out[c].fillna(0).astype(np.int64)
    out["lost_amount_recent"] = out["lost_amount_recent"].fillna(0.0)
    named = per_comp[per_comp["competitor"] != UNKNOWN_COMPETITOR]
    main_bids = (
        named.sort_values(
            ["account_id", "lost_amount", "lost", "n"], ascending=[True, False, False, False], kind="stable"
        )
        .drop_duplicates("account_id")
        .rename(columns={"competitor": "main_from_bids", "lost": "lost_to_main", "gap": "gap_bids"})[
            ["account_id", "main_from_bids", "lost_to_main", "gap_bids"]
        ]
    )
    return out.merge(main_bids, on="account_id", how="left")


def _with_price_evidence(out: pd.DataFrame, portfolio: Portfolio, start: pd.Timestamp, has_cp: bool) -> pd.DataFrame:
    """``out`` with the cheapest competitor seen at the account since ``start`` (``main_from_prices``) and our
    premium over it (``gap_prices``), from account-level competitor price observations."""
    if not (has_cp and "account_id" in portfolio.tables["competitor_prices"].columns):
        out["main_from_prices"] = pd.Series(pd.NA, index=out.index, dtype="str")
        out["gap_prices"] = np.nan
        return out
    cp = portfolio.tables["competitor_prices"]
    cp = cp[cp["account_id"].notna() & (cp["date"] > start)]
    obs = (
        cp.groupby(["account_id", "competitor"], observed=True)["price_index"]
        .mean()
        .reset_index()
        .sort_values(["account_id", "price_index"], kind="stable")
        .drop_duplicates("account_id")
        .rename(columns={"competitor": "main_from_prices"})
    )
    obs["gap_prices"] = 100 / obs["price_index"] - 1
    return out.merge(obs[["account_id", "main_from_prices", "gap_prices"]], on="account_id", how="left")


def _set_main_competitor(out: pd.DataFrame) -> None:
    """``main_competitor`` (from the bids, else the price observations) and ``price_gap`` with its source."""
    out["main_competitor"] = out["main_from_bids"].fillna(out["main_from_prices"]).fillna("").astype("str")
    gap_bids_ok = out["gap_bids"].notna()
    out["price_gap"] = out["gap_bids"].where(gap_bids_ok, out["gap_prices"])
    # when the price observation is about the same competitor as the bids, use the larger gap
    same = out["main_from_prices"] == out["main_from_bids"]
    out.loc[same.fillna(False), "price_gap"] = out.loc[same.fillna(False), ["gap_bids", "gap_prices"]].max(axis=1)
    out["price_gap_source"] = np.where(
        gap_bids_ok, "bids", np.where(out["gap_prices"].notna(), "price observations", "none")
    )
    out["lost_to_main"] = out["lost_to_main"].fillna(0).astype(np.int64)


def _set_wallet(out: pd.DataFrame, portfolio: Portfolio) -> None:
    """``revenue_change_pct`` on the prior 12 months and the share of wallet now and then (NaN without a potential)."""
    prior = out["revenue_prior_12m"]
    out["revenue_change_pct"] = ((out["revenue_ltm"] - prior) / prior).where(prior > 0)
    pot = portfolio.accounts.set_index("account_id").get("potential_revenue")
    if pot is not None:
        pot = out["account_id"].map(pot).astype(float)
        known = pot > 0
        out["share_of_wallet"] = (out["revenue_ltm"] / pot).where(known)
        out["share_of_wallet_prior"] = (prior / pot).where(known)
    else:
        out["share_of_wallet"] = np.nan
        out["share_of_wallet_prior"] = np.nan


def _set_score(out: pd.DataFrame, weights: tuple[float, float, float]) -> None:
    """The three components (0-1), ``threat_score`` (0-100, their weighted mean) and ``threat_band``."""
    n_lost = out["n_lost_recent"].to_numpy(dtype=float)
    n_bids = out["n_bids_recent"].to_numpy(dtype=float)
    loss_rate = np.divide(n_lost, n_bids, out=np.zeros_like(n_lost), where=n_bids > 0)
    out["threat_losses"] = (1 - 0.5**n_lost) * (0.5 + 0.5 * loss_rate)
    out["threat_price"] = (out["price_gap"].fillna(0.0) / 0.10).clip(0, 1)
    out["threat_wallet"] = (-out["revenue_change_pct"].fillna(0.0) / 0.5).clip(0, 1)
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    score = 100 * (w[0] * out["threat_losses"] + w[1] * out["threat_price"] + w[2] * out["threat_wallet"])
    out["threat_score"] = score.round(0)
    out["threat_band"] = np.select([score >= 60, score >= 30], ["high", "medium"], "low")


def _threat_reasons(out: pd.DataFrame, months: int) -> np.ndarray:
    """The reasons in plain words, one string per account (built column-wise)."""
    comp = out["main_competitor"]
    has_comp = comp != ""
    r_loss = np.where(
        out["n_lost_recent"] > 0,
        "Lost "
        + out["n_lost_recent"].astype(str)
        + " of "
        + out["n_bids_recent"].astype(str)
        + np.where(out["n_bids_recent"] == 1, " bid", " bids")
        + f" in the last {months} months"
        + np.where(
            (out["lost_to_main"] > 0) & has_comp,
            ", " + out["lost_to_main"].astype(str) + " to " + comp,
            "",
        )
        + " (lost value "
        + out["lost_amount_recent"].map(money)
        + ").",
        "",
    )
    gap_txt = _pct(out["price_gap"].abs())
    r_price = np.where(
        out["price_gap"] > 0.005,
        np.where(
            out["price_gap_source"] == "bids",
            "Our bids were on average " + gap_txt + "% above " + np.where(has_comp, comp, "the competitor") + ".",
            np.where(has_comp, comp, "A competitor") + " was seen " + gap_txt + "% below our price at this account.",
        ),
        "",
    )
    sow_known = out["share_of_wallet"].notna() & out["share_of_wallet_prior"].notna()
    fell = out["revenue_change_pct"] < -0.05
    r_wallet = np.where(
        fell,
        np.where(
            sow_known,
            "Share of wallet fell from "
            + _pct(out["share_of_wallet_prior"])
            + "% to "
            + _pct(out["share_of_wallet"])
            + "% (revenue "
            + _pct(out["revenue_change_pct"])
            + "%).",
            "Revenue fell " + _pct(-out["revenue_change_pct"]) + "% on the prior 12 months.",
        ),
        "",
    )
    joined = (pd.Series(r_loss) + " " + pd.Series(r_price) + " " + pd.Series(r_wallet)).str.strip()
    joined = joined.str.replace(r"\s+", " ", regex=True)
    return np.where(joined == "", "No recent losses, price gap or decline in share of wallet.", joined)


def threat_score(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    months: int = 12,
    weights: tuple[float, float, float] = (0.45, 0.25, 0.30),
) -> pd.DataFrame | NotAvailable:
    """A competitor threat score per account (0-100), its main competitor and its reasons.

    Three pieces of evidence, each scaled to 0-1 and combined with ``weights``:

    * losses: bids lost in the last ``months`` months, ``(1 - 0.5 ** n_lost)`` times
      ``(0.5 + 0.5 * loss rate)`` (one loss 0.25-0.5, three or more close to 1);
    * price: our premium over the main competitor (recent bids, else account-level
      price observations), ``premium / 10%`` capped at 1;
    * wallet: fall in share of wallet (revenue, where no potential is known) over the
      prior 12 months, ``decline / 50%`` capped at 1.

    ``main_competitor`` is the competitor with the largest lost value in the window, else
    the one met most in recent bids, else the cheapest one seen at the account.

    Returns one row per account: ``account_id, threat_score, threat_band`` (low < 30 <=
    medium < 60 <= high), ``main_competitor`` (empty string when none is known),
    ``n_bids_recent, n_lost_recent, lost_amount_recent, lost_to_main, price_gap``
    (our premium), ``price_gap_source`` (bids / price observations / none),
    ``revenue_ltm, revenue_prior_12m, revenue_change_pct, share_of_wallet,
    share_of_wallet_prior, threat_losses, threat_price, threat_wallet, reasons``
    (plain sentences joined by " ").
    NotAvailable when neither opportunities nor competitor_prices were supplied.
    """
    portfolio = _at(portfolio, as_of)
    has_opp, has_cp = portfolio.has("opportunities"), portfolio.has("competitor_prices")
    if not (has_opp or has_cp):
        return NotAvailable(
            "Neither opportunities nor competitor_prices were supplied, so competitor threats cannot be assessed."
        )
    start = portfolio.as_of - pd.DateOffset(months=months)
    out = portfolio.accounts[["account_id"]].copy().merge(_revenue_windows(portfolio), on="account_id", how="left")
    out = _with_bid_evidence(out, portfolio, start, has_opp)
    out = _with_price_evidence(out, portfolio, start, has_cp)
    _set_main_competitor(out)
    _set_wallet(out, portfolio)
    _set_score(out, weights)
    out["reasons"] = _threat_reasons(out, months)
    result = out[THREAT_COLUMNS].copy()
    result["reasons"] = result["reasons"].astype("str")
    return result


# ---------------------------------------------------------------------------------------
# bundle
# ---------------------------------------------------------------------------------------
def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The competitor tables of the analysis bundle.

    ``competitor_winloss`` (portfolio-level, per competitor; an ``"All competitors"``
    row first), ``competitor_price_response`` (portfolio-level, see
    :func:`price_response_table`), ``competitor_price_index`` (portfolio-level),
    ``competitor_loss_reasons`` (portfolio-level), ``share_of_wallet``,
    ``competitor_threat`` and ``competitor_account_bids`` (per account). Tables whose
    data are missing come back as NotAvailable with the reason.
    """
    out: dict[str, pd.DataFrame | NotAvailable] = {}
    bids = decided_bids(portfolio)
    if isinstance(bids, NotAvailable):
        for name in ("competitor_winloss", "competitor_price_response", "competitor_loss_reasons"):
            out[name] = bids
        out["competitor_account_bids"] = bids
    else:
        if bids.empty:
            out["competitor_winloss"] = NotAvailable("No bid has been decided (won or lost) yet.")
        else:
            overall = win_loss(portfolio, by=None).assign(competitor="All competitors")
            per = win_loss(portfolio, by="competitor")
            out["competitor_winloss"] = pd.concat([overall[per.columns], per], ignore_index=True)
        if not bids["price_gap"].notna().any():
            out["competitor_price_response"] = NotAvailable(
                "The opportunities have no our_price and competitor_price, so the effect of price on winning "
                "cannot be estimated."
            )
        else:
            try:
                model = PriceResponseModel().fit(bids)
                out["competitor_price_response"] = price_response_table(model)
            except ValueError as exc:
                out["competitor_price_response"] = NotAvailable(f"The price-response model could not be fitted: {exc}.")
        reasons = loss_reasons(portfolio)
        out["competitor_loss_reasons"] = reasons
        out["competitor_account_bids"] = account_bids(portfolio)
    out["competitor_price_index"] = price_index(portfolio)
    out["share_of_wallet"] = share_of_wallet(portfolio)
    out["competitor_threat"] = threat_score(portfolio)
    return out
