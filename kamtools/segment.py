"""Which accounts deserve the most attention: RFM, ABC, behavioural clusters, portfolio matrix, tiers.

Building blocks are scikit-learn estimators that work on plain DataFrames:

* :class:`RFMScorer` - recency, frequency and monetary scores (1-5 by quantiles learned in
  ``fit``) and a named RFM segment (champions, loyal, at risk, hibernating, ...);
* :class:`ABCClassifier` - Pareto classes (A = accounts making the top 80% of the value,
  B the next 15%, C the rest);
* :class:`BehaviouralClusters` - k-means on scaled behaviour features, the number of
  clusters chosen by silhouette, each cluster named from its profile;
* :class:`PortfolioMatrix` - customer attractiveness against our strength with the
  customer (0-100 each, weighted criteria) and the four quadrants.

Functions that run on a :class:`~kamtools.data.Portfolio` put them together:
:func:`account_activity` (one row of raw metrics per account), :func:`rfm_scores`,
:func:`abc_classes`, :func:`concentration_curve`, :func:`behavioural_clusters`,
:func:`matrix_criteria`, :func:`portfolio_matrix`, :func:`assign_tiers` and
:func:`segment_accounts` (everything, as the bundle stores it).

Example
-------
>>> from kamtools.datasets import make_portfolio                      # doctest: +SKIP
>>> portfolio, _ = make_portfolio(n_accounts=120, seed=11)            # doctest: +SKIP
>>> result = segment_accounts(portfolio)                              # doctest: +SKIP
>>> result["segments"][["account_id", "rfm_segment", "quadrant", "tier", "tier_reason"]]  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines, last_complete_month
from kamtools.display import money
from kamtools.history import COVER_SLACK_DAYS, order_history

__all__ = [
    "SUMMARY_COLUMNS",
    "ABCClassifier",
    "BehaviouralClusters",
    "PortfolioMatrix",
    "RFMScorer",
    "abc_classes",
    "account_activity",
    "assign_tiers",
    "behavioural_clusters",
    "bundle_tables",
    "cluster_features",
    "concentration_curve",
    "matrix_criteria",
    "portfolio_matrix",
    "rfm_scores",
    "segment_accounts",
]

SUMMARY_COLUMNS = {"segments": ["tier", "quadrant", "cluster_name", "rfm_segment", "abc_revenue"]}

# ---------------------------------------------------------------------------------------
# per-account activity (one pass over the order lines)
# ---------------------------------------------------------------------------------------
ACTIVITY_COLUMNS = {
    "account_id": "Account.",
    "revenue_ltm": "Net revenue of the last 12 months.",
    "revenue_prior": "Net revenue of the 12 months before that (only what the order history holds).",
    "margin_ltm": "Margin (net revenue - cost) of the last 12 months.",
    "margin_pct": "margin_ltm / revenue_ltm (NaN without revenue).",
    "growth": "revenue_ltm / revenue_prior - 1, clipped to [-1, 3] (3 when new); NaN when the order history "
    "does not reach back 24 months (the prior year is not in the data).",
    "revenue_trend": "Least-squares slope of the last 24 monthly revenues, relative to their mean, per year; "
    "[-2, 2]; NaN when the order history does not reach back 24 months.",
    "orders_ltm": "Distinct orders in the last 12 months.",
    "orders_per_month": "orders_ltm / 12.",
    "categories_ltm": "Distinct product categories bought in the last 12 months.",
    "recency_days": "Days from the last order to as_of (NaN when never ordered).",
    "first_order_date": "Date of the first order.",
    "last_order_date": "Date of the last order.",
    "tenure_years": "Years from customer_since to as_of.",
    "account_age_years": "Years from the first order to as_of (NaN when never ordered); when the first order is at "
    "the start of an order history shorter than 2 years, the account may be older: the longer of that and "
    "tenure_years.",
    "potential_revenue": "Estimated yearly wallet (from the accounts table, NaN when unknown).",
    "share_of_wallet": "revenue_ltm / potential_revenue, clipped to [0, 1.5] (NaN when unknown).",
}


def _day_numbers(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _count_distinct(acc: np.ndarray, item: np.ndarray, n: int) -> np.ndarray:
    """Per account (codes 0..n-1), the number of distinct non-negative ``item`` codes."""
    keep = (acc >= 0) & (item >= 0)
    if not keep.any():
        return np.zeros(n, dtype=np.int64)
    key = acc[keep].astype(np.int64) * (int(item[keep].max()) + 1) + item[keep]
    uniq = np.unique(key)
    return np.bincount(uniq // (int(item[keep].max()) + 1), minlength=n)


def account_activity(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per account of the accounts table with the raw metrics segmentation uses.

    Reads only order lines dated up to ``as_of`` (default the portfolio's). Columns are
    described in :data:`ACTIVITY_COLUMNS`; accounts without orders have zero revenue and
    orders and NaN dates. Figures whose window lies before the start of the order history
    are NaN, not computed from a window the data does not cover (see :mod:`kamtools.history`).
    """
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    accounts = portfolio.accounts
    ids = accounts["account_id"].astype("str").to_numpy()
    n = len(ids)
    orders = portfolio.orders
    orders = orders[orders["order_date"] <= as_of]
    acc = pd.Index(ids).get_indexer(orders["account_id"])
    day = _day_numbers(orders["order_date"])
    rev = orders["net_revenue"].to_numpy(dtype=np.float64)
    mar = rev - orders["cost"].to_numpy(dtype=np.float64)
    as_of_day = int(np.datetime64(as_of.date(), "D").astype(np.int64))
    history = order_history(portfolio, as_of)
    y1 = int(np.datetime64((as_of - pd.DateOffset(months=12)).date(), "D").astype(np.int64))
    y2 = int(np.datetime64((as_of - pd.DateOffset(months=24)).date(), "D").astype(np.int64))
    known = acc >= 0
    # returns and credit notes net into revenue and margin but are not orders (counts, dates)
    purchase = known & ~credit_lines(orders).to_numpy()
    ltm = known & (day > y1)
    prior = known & (day > y2) & (day <= y1)

    def total(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(acc[mask], weights=values[mask], minlength=n)

    revenue_ltm = total(rev, ltm)
    revenue_prior = total(rev, prior)
    margin_ltm = total(mar, ltm)
    with np.errstate(invalid="ignore", divide="ignore"):
        margin_pct = np.where(revenue_ltm > 0, margin_ltm / revenue_ltm, np.nan)
        growth = np.where(
            revenue_prior > 0,
            revenue_ltm / np.where(revenue_prior > 0, revenue_prior, 1) - 1,
            np.where(revenue_ltm > 0, 3, 0),
        )
    growth = np.clip(growth, -1.0, 3.0)
    if not history.covers_months_back(24):  # the prior 12 months lie (partly) before the data starts
        growth = np.full(n, np.nan)

    # distinct orders and categories in the last 12 months
    order_code = np.full(len(orders), -1, dtype=np.int64)
    bought_ltm = ltm & purchase
    order_code[bought_ltm] = pd.factorize(orders["order_id"].to_numpy()[bought_ltm])[0]
    orders_ltm = _count_distinct(np.where(bought_ltm, acc, -1), order_code, n)
    products = portfolio.products
    cat_codes, _ = pd.factorize(products["category"])
    prod_index = pd.Index(products["product_id"].astype("str"))
    cat = np.full(len(orders), -1, dtype=np.int64)
    pos = prod_index.get_indexer(orders["product_id"].to_numpy()[bought_ltm])
    cat[bought_ltm] = np.where(pos >= 0, cat_codes[np.maximum(pos, 0)], -1)
    categories_ltm = _count_distinct(np.where(bought_ltm, acc, -1), cat, n)

    # first and last order dates
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, acc[purchase], day[purchase])
    np.maximum.at(last, acc[purchase], day[purchase])
    has_orders = last > np.iinfo(np.int64).min
    recency_days = np.where(has_orders, as_of_day - last, np.nan).astype(np.float64)

    def to_dates(days: np.ndarray) -> np.ndarray:
        out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        out[has_orders] = days[has_orders].astype("datetime64[D]").astype("datetime64[ns]")
        return out

    # revenue trend over the last 24 complete months
    last_month = portfolio.last_complete_month if as_of == portfolio.as_of else last_complete_month(as_of)
    month = orders["order_date"].to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    end_m = int(np.datetime64(last_month.date(), "M").astype(np.int64))
    # only months inside the order history: months before it would look like zero revenue
    span = int(min(24, history.complete_months))
    offset = month - (end_m - (span - 1))
    in_window = known & (offset >= 0) & (offset < span)
    if history.covers_months_back(24):  # shorter, and a season or a partial year would pass for a trend
        grid = np.bincount(
            acc[in_window] * span + offset[in_window], weights=rev[in_window], minlength=n * span
        ).reshape(n, span)
        t = np.arange(span, dtype=np.float64) - (span - 1) / 2
        mean = grid.mean(axis=1)
        slope = (grid - mean[:, None]) @ t / (t @ t)
        with np.errstate(invalid="ignore", divide="ignore"):
            trend = np.where(mean > 0, slope * 12 / mean, 0.0)
        trend = np.clip(trend, -2.0, 2.0)
    else:
        trend = np.full(n, np.nan)
    age = np.where(has_orders, (as_of_day - first) / 365.25, np.nan)
    since = accounts["customer_since"].to_numpy(dtype="datetime64[ns]")
    tenure = np.maximum(((np.datetime64(as_of.to_datetime64()) - since) / np.timedelta64(1, "D") / 365.25), 0.0)
    if history.first_order is not None and not history.covers_months_back(24):
        # a first order at the start of a short history says only that the account is at least that
        # old: take the longer of that and its tenure as a customer (the accounts table)
        start = int(np.datetime64(history.first_order.date(), "D").astype(np.int64)) + COVER_SLACK_DAYS
        age = np.where(has_orders & (first <= start), np.fmax(age, tenure), age)

    if "potential_revenue" in accounts.columns:
        potential = accounts["potential_revenue"].to_numpy(dtype=np.float64)
    else:
        potential = np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        sow = np.where(potential > 0, np.clip(revenue_ltm / potential, 0, 1.5), np.nan)

    return pd.DataFrame(
        {
            "account_id": pd.Series(ids, dtype="str"),
            "revenue_ltm": revenue_ltm,
            "revenue_prior": revenue_prior,
            "margin_ltm": margin_ltm,
            "margin_pct": margin_pct,
            "growth": growth,
            "revenue_trend": trend,
            "orders_ltm": orders_ltm.astype(np.int64),
            "orders_per_month": orders_ltm / 12.0,
            "categories_ltm": categories_ltm.astype(np.int64),
            "recency_days": recency_days,
            "first_order_date": to_dates(first),
            "last_order_date": to_dates(last),
            "tenure_years": tenure.astype(np.float64),
            "account_age_years": age,
            "potential_revenue": potential,
            "share_of_wallet": sow,
        }
    )


# ---------------------------------------------------------------------------------------
# RFM
# ---------------------------------------------------------------------------------------
# (name, rule on R and FM = round((F + M) / 2), both on a 1-5 scale, meaning). First match wins.
RFM_SEGMENTS: list[tuple[str, str]] = [
    ("champions", "bought recently, buy often and spend the most"),
    ("loyal", "buy often and spend a lot, a little less recently"),
    ("potential loyalist", "recent, with average frequency and spend"),
    ("new", "bought very recently for the first times, low frequency and spend"),
    ("promising", "recent, but low frequency and spend"),
    ("needs attention", "average recency, frequency and spend"),
    ("about to sleep", "below-average recency, low frequency and spend"),
    ("cannot lose", "used to buy the most, but not recently"),
    ("at risk", "bought often and spent well, but long ago"),
    ("hibernating", "low spend and frequency, last order long ago"),
    ("lost", "lowest recency, frequency and spend"),
]
RFM_SEGMENT_MEANING = dict(RFM_SEGMENTS)


def rfm_segment_name(r: int, fm: int) -> str:
    """Named RFM segment from the recency score ``r`` and the frequency-monetary score ``fm`` (1-5)."""
    if r >= 4:
        if fm >= 4:
            return "champions"
        if fm >= 2:
            return "potential loyalist"
        return "new" if r == 5 else "promising"
    if r == 3:
        if fm >= 4:
            return "loyal"
        return "needs attention" if fm == 3 else "about to sleep"
    if fm == 5:
        return "cannot lose"
    if fm >= 3:
        return "at risk"
    return "hibernating" if r == 2 else "lost"


class RFMScorer(TransformerMixin, BaseEstimator):
    """Recency, frequency and monetary scores from quantile bins learned in ``fit``.

    Input: a DataFrame with ``recency_days`` (days since the last order; lower is better,
    NaN = never ordered), ``frequency`` (orders in the scoring window) and ``monetary``
    (revenue in the window); an ``account_id`` column is carried through.

    Parameters
    ----------
    bins : number of equal-frequency bins (5 gives scores 1-5), or the inner quantiles,
        e.g. ``(0.2, 0.4, 0.6, 0.8)``. Bins are right-closed like ``pandas.qcut``.

    Attributes
    ----------
    edges_ : dict column -> inner bin edges (values) learned from the training data.
    n_bins_ : number of bins (the top score).

    ``transform`` returns ``[account_id], r_score, f_score, m_score, rfm_score`` (text
    like ``"545"``) and ``rfm_segment`` (see :data:`RFM_SEGMENTS`); ``predict`` returns
    the segment names.
    """

    columns = ("recency_days", "frequency", "monetary")

    def __init__(self, bins: int | Sequence[float] = 5) -> None:
        self.bins = bins

    def _quantiles(self) -> np.ndarray:
        if isinstance(self.bins, int | np.integer):
            if self.bins < 2:
                raise ValueError("RFMScorer: bins must be at least 2")
            return np.arange(1, self.bins) / self.bins
        q = np.asarray(self.bins, dtype=float)
        if q.ndim != 1 or len(q) == 0 or np.any((q <= 0) | (q >= 1)) or np.any(np.diff(q) <= 0):
            raise ValueError("RFMScorer: bins must be an int or increasing quantiles strictly between 0 and 1")
        return q

    def _frame(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError("RFMScorer expects a DataFrame with recency_days, frequency and monetary")
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise ValueError(f"RFMScorer: the input has no column(s) {missing}")
        return X

    def fit(self, X: pd.DataFrame, y=None) -> RFMScorer:
        """Learn the bin edges of each column from ``X``. Returns self."""
        X = self._frame(X)
        q = self._quantiles()
        if len(X) == 0:
            raise ValueError("RFMScorer.fit: no rows")
        edges = {}
        for col in self.columns:
            values = X[col].to_numpy(dtype=np.float64)
            values = values[np.isfinite(values)]
            edges[col] = np.quantile(values, q) if len(values) else np.full(len(q), np.nan)
        self.edges_ = edges
        self.n_bins_ = len(q) + 1
        return self

    def _score(self, col: str, values: np.ndarray) -> np.ndarray:
        edges = self.edges_[col]
        if np.all(np.isnan(edges)):
            return np.full(len(values), (self.n_bins_ + 1) // 2)
        bin_ = np.searchsorted(edges, values, side="left") + 1  # 1 .. n_bins, right-closed bins
        if col == "recency_days":
            score = self.n_bins_ + 1 - bin_
            return np.where(np.isnan(values), 1, score)  # never ordered: worst recency
        return np.where(np.isnan(values), 1, bin_)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Scores and named segment per row (see the class docstring)."""
        check_is_fitted(self, "edges_", msg="This RFMScorer is not fitted yet; call fit(X) first.")
        X = self._frame(X)
        scores = {
            key: self._score(col, X[col].to_numpy(dtype=np.float64))
            for key, col in zip(("r_score", "f_score", "m_score"), self.columns)
        }
        out = pd.DataFrame({k: v.astype(np.int64) for k, v in scores.items()})
        if "account_id" in X.columns:
            out.insert(0, "account_id", X["account_id"].astype("str").to_numpy())
        out["rfm_score"] = (
            out["r_score"].astype("str") + out["f_score"].astype("str") + out["m_score"].astype("str")
        ).astype("str")
        # named segments are defined on a 1-5 scale
        to5 = (lambda s: np.rint(1 + (s - 1) * 4 / (self.n_bins_ - 1)).astype(int)) if self.n_bins_ != 5 else np.asarray
        r5 = to5(out["r_score"].to_numpy())
        fm5 = np.floor((to5(out["f_score"].to_numpy()) + to5(out["m_score"].to_numpy())) / 2 + 0.5).astype(int)
        out["rfm_segment"] = pd.Series([rfm_segment_name(r, fm) for r, fm in zip(r5, fm5)], dtype="str")
        return out

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Named RFM segment per row."""
        return self.transform(X)["rfm_segment"].to_numpy()


def rfm_scores(
    portfolio: Portfolio, bins: int | Sequence[float] = 5, activity: pd.DataFrame | None = None
) -> pd.DataFrame:
    """RFM scores and segments of every account (frequency and spend over the last 12 months).

    Returns ``account_id, recency_days, frequency, monetary, r_score, f_score, m_score,
    rfm_score, rfm_segment``.
    """
    act = account_activity(portfolio) if activity is None else activity
    X = pd.DataFrame(
        {
            "account_id": act["account_id"],
            "recency_days": act["recency_days"],
            "frequency": act["orders_ltm"].astype(np.float64),
            "monetary": act["revenue_ltm"],
        }
    )
    scored = RFMScorer(bins=bins).fit(X).transform(X)
    return X.merge(scored, on="account_id", how="left")


# ---------------------------------------------------------------------------------------
# ABC / Pareto
# ---------------------------------------------------------------------------------------
def _values(X) -> np.ndarray:
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError("ABCClassifier expects one value column (e.g. df[['revenue_ltm']]) or a 1-D array")
        X = X.iloc[:, 0]
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError("ABCClassifier expects a 1-D array of values (one per account)")
    return np.nan_to_num(arr, nan=0.0)


class ABCClassifier(BaseEstimator):
    """Pareto (ABC) classes of accounts by a value such as revenue or margin.

    Sorting accounts by value (largest first), class A holds the accounts that make up
    the first ``thresholds[0]`` of the total (the account that crosses the threshold is
    included), B those up to ``thresholds[1]``, C the rest. Accounts with value <= 0 are C.

    Attributes
    ----------
    cutoffs_ : (smallest value in A, smallest value in B); ``predict`` uses these, so new
        accounts are classed against the training portfolio.
    total_ : total positive value of the training data.
    """

    def __init__(self, thresholds: tuple[float, float] = (0.8, 0.95)) -> None:
        self.thresholds = thresholds

    def fit(self, X, y=None) -> ABCClassifier:
        """Learn the value cut-offs from the values ``X`` (1-D, or a one-column DataFrame). Returns self."""
        a, b = (float(t) for t in self.thresholds)
        if not 0 < a < b <= 1:
            raise ValueError("ABCClassifier: thresholds must satisfy 0 < A < B <= 1, e.g. (0.8, 0.95)")
        v = _values(X)
        pos = np.sort(v[v > 0])[::-1]
        total = pos.sum()
        self.total_ = float(total)
        if total <= 0:
            self.cutoffs_ = (np.inf, np.inf)
            return self
        before = (np.cumsum(pos) - pos) / total  # share reached before each account
        in_a = before < a - 1e-12
        in_b = before < b - 1e-12
        self.cutoffs_ = (float(pos[in_a].min()), float(pos[in_b].min()))
        return self

    def predict(self, X) -> np.ndarray:
        """'A', 'B' or 'C' per value."""
        check_is_fitted(self, "cutoffs_", msg="This ABCClassifier is not fitted yet; call fit(values) first.")
        v = _values(X)
        ca, cb = self.cutoffs_
        return np.where((v > 0) & (v >= ca), "A", np.where((v > 0) & (v >= cb), "B", "C")).astype(object)

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).predict(X)


def concentration_curve(
    values: pd.DataFrame, value_col: str, thresholds: tuple[float, float] = (0.8, 0.95)
) -> pd.DataFrame:
    """The Pareto (concentration) curve of ``values[value_col]`` over accounts.

    Returns one row per account, largest first: ``account_id, rank`` (1 = largest),
    ``value``, ``cum_share_accounts`` (share of accounts up to this one),
    ``cum_share_value`` (share of the positive total up to this one) and ``abc_class``.
    """
    if value_col not in values.columns:
        raise ValueError(f"concentration_curve: no column {value_col!r}")
    df = values[["account_id", value_col]].rename(columns={value_col: "value"}).copy()
    df["value"] = df["value"].fillna(0.0).astype(np.float64)
    df = df.sort_values(["value", "account_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    n = len(df)
    total = df["value"].clip(lower=0).sum()
    df["rank"] = np.arange(1, n + 1)
    df["cum_share_accounts"] = df["rank"] / max(n, 1)
    df["cum_share_value"] = df["value"].clip(lower=0).cumsum() / total if total > 0 else 0.0
    df["abc_class"] = ABCClassifier(thresholds).fit(df["value"]).predict(df["value"])
    df["abc_class"] = df["abc_class"].astype("str")
    return df[["account_id", "rank", "value", "cum_share_accounts", "cum_share_value", "abc_class"]]


def abc_classes(
    portfolio: Portfolio, thresholds: tuple[float, float] = (0.8, 0.95), activity: pd.DataFrame | None = None
) -> pd.DataFrame:
    """ABC classes by last-12-month revenue and by margin.

    Returns ``account_id, revenue_ltm, margin_ltm, abc_revenue, abc_margin``.
    """
    act = account_activity(portfolio) if activity is None else activity
    out = act[["account_id", "revenue_ltm", "margin_ltm"]].copy()
    out["abc_revenue"] = pd.Series(ABCClassifier(thresholds).fit_predict(out["revenue_ltm"]), dtype="str")
    out["abc_margin"] = pd.Series(ABCClassifier(thresholds).fit_predict(out["margin_ltm"]), dtype="str")
    return out


# ---------------------------------------------------------------------------------------
# behavioural clusters
# ---------------------------------------------------------------------------------------
CLUSTER_FEATURES = {
    "revenue_level": "log(1 + mean yearly revenue of the last 24 months)",
    "revenue_trend": "relative slope of monthly revenue over 24 months, per year",
    "order_frequency": "log(1 + orders per month), last 12 months",
    "category_breadth": "distinct product categories, last 12 months",
    "margin_pct": "margin share of revenue, last 12 months",
    "growth": "log of (revenue last 12 months + c) / (revenue of the 12 before + c), c = 5% of a typical account's; [-3, 3]",
    "account_age": "years since the first order (new accounts behave differently)",
    "expected_value": "log(1 + expected revenue of the next 12 months) (value model)",
    "p_alive": "probability that the account is still buying (value model)",
}


def cluster_features(activity: pd.DataFrame, value: pd.DataFrame | None = None) -> pd.DataFrame:
    """Behaviour features (:data:`CLUSTER_FEATURES`) per account from :func:`account_activity`.

    ``value`` (the value bundle table, ``account_id, expected_value_12m, p_alive``) adds the
    two value-model features; without it they are NaN (and dropped by the clusterer).
    """
    rev_ltm = activity["revenue_ltm"].clip(lower=0).to_numpy(dtype=np.float64)
    rev_prior = activity["revenue_prior"].clip(lower=0).to_numpy(dtype=np.float64)
    prior_known = activity["growth"].notna().to_numpy()  # the prior 12 months are in the order history
    yearly = np.where(prior_known, (rev_ltm + rev_prior) / 2, rev_ltm)
    # smoothing for the growth ratio: 5% of a typical account's yearly revenue (scale-free)
    typical = np.median(yearly[yearly > 0]) if np.any(yearly > 0) else 1.0
    c = 0.05 * typical
    out = pd.DataFrame(
        {
            "account_id": activity["account_id"],
            "revenue_level": np.log1p(yearly),
            "revenue_trend": activity["revenue_trend"],
            "order_frequency": np.log1p(activity["orders_per_month"]),
            "category_breadth": activity["categories_ltm"].astype(np.float64),
            "margin_pct": activity["margin_pct"],
            "growth": np.where(prior_known, np.clip(np.log((rev_ltm + c) / (rev_prior + c)), -3.0, 3.0), np.nan),
            "account_age": activity["account_age_years"],
        }
    )
    if value is not None and not isinstance(value, NotAvailable) and len(value):
        v = out[["account_id"]].merge(
            value[["account_id", "expected_value_12m", "p_alive"]], on="account_id", how="left"
        )
        out["expected_value"] = np.log1p(v["expected_value_12m"].clip(lower=0)).to_numpy()
        out["p_alive"] = v["p_alive"].to_numpy()
    else:
        out["expected_value"] = np.nan
        out["p_alive"] = np.nan
    return out


def _describe(z: Mapping[str, float], raw: Mapping[str, float]) -> list[tuple[float, str]]:
    """(distinctiveness, phrase) candidates for naming a cluster, from its z-scores and raw medians."""
    phrases: list[tuple[float, str]] = []
    zs = z.get("revenue_level", 0.0)
    size = "large" if zs > 0.5 else "small" if zs < -0.5 else "mid-size"
    phrases.append((np.inf, size))  # always first
    g = raw.get("growth", np.nan)
    tr = raw.get("revenue_trend", np.nan)
    change = np.nanmean([g, tr]) if not (np.isnan(g) and np.isnan(tr)) else np.nan
    pa = raw.get("p_alive", np.nan)
    if not np.isnan(pa) and pa < 0.5:
        phrases.append((np.inf, "lapsing"))
    elif not np.isnan(change):
        if change > 0.08:
            trend = "fast-growing" if change > 0.3 else "growing"
        else:
            trend = "shrinking" if change < -0.08 else "stable"
        phrases.append((np.inf, trend))
    if raw.get("account_age", np.nan) < 2:
        phrases.insert(1, (np.inf, "new"))
    zb = z.get("category_breadth", 0.0)
    if raw.get("category_breadth", np.nan) <= 1.5:
        phrases.append((abs(zb) + 0.5, "single category"))
    elif zb > 0.5:
        phrases.append((abs(zb), "broad range"))
    elif zb < -0.5:
        phrases.append((abs(zb), "narrow range"))
    zf = z.get("order_frequency", 0.0)
    if zf > 0.5:
        phrases.append((abs(zf), "frequent orders"))
    elif zf < -0.5:
        phrases.append((abs(zf), "occasional orders"))
    zm = z.get("margin_pct", 0.0)
    if zm > 0.5:
        phrases.append((abs(zm), "high margin"))
    elif zm < -0.5:
        phrases.append((abs(zm), "low margin"))
    return phrases


def _name_clusters(z: pd.DataFrame, raw: pd.DataFrame) -> list[str]:
    """Unique human-readable names: size and trend first, then the most distinctive traits."""
    cands = []
    for k in z.index:
        ph = _describe(z.loc[k].to_dict(), raw.loc[k].to_dict())
        fixed = [p for s, p in ph if np.isinf(s)]
        rest = [p for s, p in sorted((x for x in ph if not np.isinf(x[0])), key=lambda x: -x[0])]
        cands.append((fixed, rest))
    n_extra = [1] * len(cands)
    names = [", ".join(f + r[:1]) for f, r in cands]
    for _ in range(6):  # add traits to clusters whose names collide
        dup = {nm for nm in names if names.count(nm) > 1}
        if not dup:
            break
        for i, (f, r) in enumerate(cands):
            if names[i] in dup and n_extra[i] < len(r):
                n_extra[i] += 1
                names[i] = ", ".join(f + r[: n_extra[i]])
    seen: dict[str, int] = {}
    out = []
    for nm in names:
        seen[nm] = seen.get(nm, 0) + 1
        out.append(nm if seen[nm] == 1 else f"{nm} ({seen[nm]})")
    return out


class BehaviouralClusters(ClusterMixin, BaseEstimator):
    """K-means clusters of accounts on scaled behaviour features, named from their profile.

    The number of clusters is the one with the best silhouette score between
    ``min_clusters`` and ``max_clusters``. Features with no values are dropped, missing
    values take the feature's median. Cluster labels are ordered by mean revenue level
    (0 = largest accounts), so they are stable across runs with the same ``random_state``.

    Parameters
    ----------
    min_clusters, max_clusters : range of k tried.
    n_init : k-means restarts per k (>= 10 for stable results).
    random_state : seed of k-means and of the silhouette sample.
    silhouette_sample : at most this many accounts score each k (silhouette is O(n^2)).
    features : feature columns to use (default: every numeric column except account_id).

    Attributes
    ----------
    features_in_ : used feature names; medians_, scaler_, kmeans_ : fitted preprocessing
    and model; n_clusters_ : chosen k; silhouette_scores_ : dict k -> score; labels_ :
    training labels; cluster_names_ : name per label; profiles_ : DataFrame per cluster
    (``cluster, cluster_name, n_accounts, share_accounts`` and the mean of each feature).
    """

    def __init__(
        self,
        min_clusters: int = 3,
        max_clusters: int = 7,
        n_init: int = 10,
        random_state: int | None = 0,
        silhouette_sample: int = 4000,
        features: Sequence[str] | None = None,
    ) -> None:
        self.min_clusters = min_clusters
        self.max_clusters = max_clusters
        self.n_init = n_init
        self.random_state = random_state
        self.silhouette_sample = silhouette_sample
        self.features = features

    def _matrix(self, X: pd.DataFrame, fitting: bool) -> np.ndarray:
        if not isinstance(X, pd.DataFrame):
            raise TypeError("BehaviouralClusters expects a DataFrame of features (see cluster_features)")
        if fitting:
            cols = (
                list(self.features)
                if self.features is not None
                else [c for c in X.columns if c != "account_id" and pd.api.types.is_numeric_dtype(X[c])]
            )
            missing = [c for c in cols if c not in X.columns]
            if missing:
                raise ValueError(f"BehaviouralClusters: the input has no feature column(s) {missing}")
            cols = [c for c in cols if X[c].notna().any()]
            if not cols:
                raise ValueError("BehaviouralClusters: no feature has any value")
            self.features_in_ = cols
            self.medians_ = X[cols].median().to_dict()
        missing = [c for c in self.features_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"BehaviouralClusters: the input has no feature column(s) {missing}")
        return X[self.features_in_].astype(np.float64).fillna(self.medians_).to_numpy()

    def fit(self, X: pd.DataFrame, y=None) -> BehaviouralClusters:
        """Scale, choose k, cluster, order and name the clusters. Returns self."""
        lo, hi = int(self.min_clusters), int(self.max_clusters)
        if lo < 2 or hi < lo:
            raise ValueError("BehaviouralClusters: need 2 <= min_clusters <= max_clusters")
        M = self._matrix(X, fitting=True)
        n = len(M)
        if n <= lo:
            raise ValueError(f"BehaviouralClusters: {n} accounts are too few for {lo} clusters")
        self.scaler_ = StandardScaler().fit(M)
        Z = self.scaler_.transform(M)
        rng = np.random.default_rng(self.random_state)
        sample = rng.choice(n, size=self.silhouette_sample, replace=False) if n > self.silhouette_sample else None
        Zs = Z if sample is None else Z[sample]
        scores, models = {}, {}
        # single-threaded: on a small shared machine OpenMP/BLAS threads contend and slow k-means 100x
        with threadpool_limits(1):
            for k in range(lo, min(hi, n - 1) + 1):
                km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(Z)
                labels = km.labels_ if sample is None else km.labels_[sample]
                if len(np.unique(labels)) < 2:
                    continue
                scores[k] = float(silhouette_score(Zs, labels))
                models[k] = km
        if not scores:
            raise ValueError("BehaviouralClusters: the accounts do not separate into clusters (all identical?)")
        best = max(scores, key=lambda k: (round(scores[k], 6), -k))
        km = models[best]
        # order clusters by mean revenue level (or first feature), largest first
        key_feature = "revenue_level" if "revenue_level" in self.features_in_ else self.features_in_[0]
        j = self.features_in_.index(key_feature)
        order = np.argsort(-km.cluster_centers_[:, j], kind="stable")
        self.order_ = np.empty_like(order)
        self.order_[order] = np.arange(len(order))
        self.kmeans_ = km
        self.n_clusters_ = best
        self.silhouette_scores_ = scores
        self.labels_ = self.order_[km.labels_]
        self._profile(X, M, Z)
        return self

    def _profile(self, X: pd.DataFrame, M: np.ndarray, Z: np.ndarray) -> None:
        labels = self.labels_
        k = self.n_clusters_
        z = pd.DataFrame(Z, columns=self.features_in_).groupby(labels).mean().reindex(range(k))
        raw = pd.DataFrame(M, columns=self.features_in_).groupby(labels).median().reindex(range(k))
        self.cluster_names_ = _name_clusters(z, raw)
        counts = np.bincount(labels, minlength=k)
        prof = pd.DataFrame(
            {
                "cluster": np.arange(k, dtype=np.int64),
                "cluster_name": pd.Series(self.cluster_names_, dtype="str"),
                "n_accounts": counts.astype(np.int64),
                "share_accounts": counts / counts.sum(),
            }
        )
        means = pd.DataFrame(M, columns=self.features_in_).groupby(labels).mean().reindex(range(k))
        for col in self.features_in_:
            prof[f"mean_{col}"] = means[col].to_numpy()
        self.profiles_ = prof

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Cluster label (0 .. n_clusters_-1) per row."""
        check_is_fitted(self, "kmeans_", msg="This BehaviouralClusters is not fitted yet; call fit(X) first.")
        Z = self.scaler_.transform(self._matrix(X, fitting=False))
        with threadpool_limits(1):
            return self.order_[self.kmeans_.predict(Z)]

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Distance of each row to each cluster centre (columns in label order), shape (n, k)."""
        check_is_fitted(self, "kmeans_", msg="This BehaviouralClusters is not fitted yet; call fit(X) first.")
        Z = self.scaler_.transform(self._matrix(X, fitting=False))
        d = self.kmeans_.transform(Z)
        out = np.empty_like(d)
        out[:, self.order_] = d
        return out


def behavioural_clusters(
    portfolio: Portfolio,
    value: pd.DataFrame | None = None,
    activity: pd.DataFrame | None = None,
    random_state: int = 0,
    **params,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster the accounts that have ordered in the last 24 months.

    Returns ``(assignments, profiles)``: ``account_id, cluster, cluster_name`` for every
    account (cluster -1 / "no recent orders" for accounts without orders in 24 months),
    and :attr:`BehaviouralClusters.profiles_` extended with ``revenue_share`` and the
    median revenue, orders per month, categories, margin and growth of each cluster.
    """
    act = account_activity(portfolio) if activity is None else activity
    feats = cluster_features(act, value)
    active = (act["revenue_ltm"] > 0) | (act["revenue_prior"] > 0)
    model = BehaviouralClusters(random_state=random_state, **params).fit(feats[active.to_numpy()])
    labels = np.full(len(act), -1, dtype=np.int64)
    labels[active.to_numpy()] = model.labels_
    names = np.array(model.cluster_names_ + ["no recent orders"], dtype=object)
    assignments = pd.DataFrame(
        {"account_id": act["account_id"], "cluster": labels, "cluster_name": pd.Series(names[labels], dtype="str")}
    )
    prof = model.profiles_.copy()
    a = act[active.to_numpy()].assign(cluster=model.labels_)
    total = a["revenue_ltm"].clip(lower=0).sum()
    g = a.groupby("cluster")
    prof["revenue_share"] = (
        (g["revenue_ltm"].sum().clip(lower=0) / total if total > 0 else 0.0).reindex(prof["cluster"]).to_numpy()
    )
    for col, out_col in (
        ("revenue_ltm", "median_revenue_ltm"),
        ("orders_per_month", "median_orders_per_month"),
        ("categories_ltm", "median_categories"),
        ("margin_pct", "median_margin_pct"),
        ("growth", "median_growth"),
    ):
        prof[out_col] = g[col].median().reindex(prof["cluster"]).to_numpy()
    prof["silhouette"] = model.silhouette_scores_[model.n_clusters_]
    return assignments, prof


# ---------------------------------------------------------------------------------------
# portfolio matrix (attractiveness x strength)
# ---------------------------------------------------------------------------------------
ATTRACTIVENESS_WEIGHTS = {
    "revenue_ltm": 0.25,
    "growth": 0.20,
    "margin_pct": 0.15,
    "expected_value_12m": 0.25,
    "potential_revenue": 0.15,
}
STRENGTH_WEIGHTS = {
    "share_of_wallet": 0.35,
    "relationship_coverage": 0.25,
    "win_rate": 0.20,
    "tenure_years": 0.20,
}
CRITERIA_LABELS = {
    "revenue_ltm": "size (revenue, last 12 months)",
    "growth": "growth",
    "margin_pct": "margin",
    "expected_value_12m": "expected 12-month value",
    "potential_revenue": "wallet (potential revenue)",
    "share_of_wallet": "share of wallet",
    "relationship_coverage": "relationship coverage",
    "win_rate": "win rate",
    "tenure_years": "tenure",
}
QUADRANTS = {
    "strategic": "attractive account where we are strong: invest and grow together",
    "maintain": "we are strong in a less attractive account: keep it efficiently (status quo)",
    "develop": "attractive account where we are weak: build the relationship and share",
    "streamline": "less attractive and we are weak: serve efficiently, at low cost",
}


def matrix_criteria(
    portfolio: Portfolio, value: pd.DataFrame | None = None, activity: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The criteria of the portfolio matrix, one row per account (NaN where unknown).

    Attractiveness: ``revenue_ltm, growth, margin_pct, expected_value_12m`` (needs
    ``value``), ``potential_revenue``. Strength: ``share_of_wallet``,
    ``relationship_coverage`` (half: share of the account's decision makers and
    executive/senior contacts met in the last 12 months; half: interactions in the last
    12 months, one a month = full; needs contacts and interactions), ``win_rate`` (won /
    decided opportunities closed in the last 24 months, shrunk as (won + 1) / (decided +
    2); NaN without decided bids), ``tenure_years``.
    """
    act = account_activity(portfolio) if activity is None else activity
    as_of = portfolio.as_of
    out = act[
        ["account_id", "revenue_ltm", "growth", "margin_pct", "potential_revenue", "share_of_wallet", "tenure_years"]
    ].copy()
    if value is not None and not isinstance(value, NotAvailable) and "expected_value_12m" in value.columns:
        out = out.merge(value[["account_id", "expected_value_12m"]], on="account_id", how="left")
    else:
        out["expected_value_12m"] = np.nan

    out["relationship_coverage"] = np.nan
    if portfolio.has("contacts") and portfolio.has("interactions"):
        contacts = portfolio.get("contacts")
        inter = portfolio.get("interactions")
        recent = inter[(inter["date"] > as_of - pd.DateOffset(months=12)) & (inter["date"] <= as_of)]
        key = contacts[(contacts["role"] == "decision_maker") | contacts["seniority"].isin(["executive", "senior"])]
        met = set(recent["contact_id"].dropna().astype("str"))
        key = key.assign(met=key["contact_id"].astype("str").isin(met))
        share_met = key.groupby("account_id")["met"].mean()
        touches = recent.groupby("account_id").size()
        ids = out["account_id"]
        part1 = ids.map(share_met).fillna(0.0).astype(np.float64)
        part2 = (ids.map(touches).fillna(0).astype(np.float64) / 12.0).clip(upper=1.0)
        out["relationship_coverage"] = (0.5 * part1 + 0.5 * part2).to_numpy()

    out["win_rate"] = np.nan
    if portfolio.has("opportunities"):
        opp = portfolio.get("opportunities")
        decided = opp[
            opp["status"].isin(["won", "lost"])
            & (opp["close_date"] <= as_of)
            & (opp["close_date"] > as_of - pd.DateOffset(months=24))
        ]
        g = decided.assign(won=decided["status"] == "won").groupby("account_id")["won"].agg(["sum", "count"])
        rate = (g["sum"] + 1) / (g["count"] + 2)
        out["win_rate"] = out["account_id"].map(rate).astype(np.float64).to_numpy()
    cols = ["account_id", *ATTRACTIVENESS_WEIGHTS, *STRENGTH_WEIGHTS]
    return out[cols]


class PortfolioMatrix(TransformerMixin, BaseEstimator):
    """Attractiveness x strength matrix (0-100 scores) with four named quadrants.

    Each criterion is turned into a 0-100 score by its percentile among the accounts
    seen in ``fit`` (mid-rank for ties); a dimension's score is the weighted mean of its
    criterion scores, with the weights renormalised per account over the criteria known
    for that account (criteria missing for everyone drop out). Accounts at or above
    ``split`` on a dimension are "high".

    Parameters
    ----------
    attractiveness_weights, strength_weights : dict criterion -> weight (default
        :data:`ATTRACTIVENESS_WEIGHTS`, :data:`STRENGTH_WEIGHTS`). Higher criterion values
        are better.
    split : the score separating low from high (50 = the portfolio median).

    Attributes
    ----------
    reference_ : dict criterion -> sorted training values; weights_ : dict dimension ->
    {criterion: normalised weight} of the criteria available in training.

    ``transform`` returns ``[account_id], attractiveness, strength, quadrant`` and one
    ``score_<criterion>`` column per criterion; ``predict`` returns the quadrant.
    """

    def __init__(
        self,
        attractiveness_weights: Mapping[str, float] | None = None,
        strength_weights: Mapping[str, float] | None = None,
        split: float = 50.0,
    ) -> None:
        self.attractiveness_weights = attractiveness_weights
        self.strength_weights = strength_weights
        self.split = split

    def fit(self, X: pd.DataFrame, y=None) -> PortfolioMatrix:
        """Learn the reference distribution of every criterion. Returns self."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError("PortfolioMatrix expects a DataFrame of criteria (see matrix_criteria)")
        weights = {
            "attractiveness": dict(self.attractiveness_weights or ATTRACTIVENESS_WEIGHTS),
            "strength": dict(self.strength_weights or STRENGTH_WEIGHTS),
        }
        self.reference_ = {}
        self.weights_ = {}
        for dim, w in weights.items():
            if any(v < 0 for v in w.values()):
                raise ValueError(f"PortfolioMatrix: {dim} weights must be >= 0")
            usable = {}
            for crit, wt in w.items():
                if wt <= 0 or crit not in X.columns:
                    continue
                vals = X[crit].to_numpy(dtype=np.float64)
                vals = np.sort(vals[np.isfinite(vals)])
                if len(vals):
                    self.reference_[crit] = vals
                    usable[crit] = wt
            if not usable:
                raise ValueError(
                    f"PortfolioMatrix: none of the {dim} criteria {sorted(w)} has values; supply at least one"
                )
            total = sum(usable.values())
            self.weights_[dim] = {k: v / total for k, v in usable.items()}
        return self

    def _percentile(self, crit: str, values: np.ndarray) -> np.ndarray:
        ref = self.reference_[crit]
        lo = np.searchsorted(ref, values, side="left")
        hi = np.searchsorted(ref, values, side="right")
        score = 100.0 * (lo + hi) / (2 * len(ref))
        return np.where(np.isfinite(values), score, np.nan)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Scores and quadrant per row (see the class docstring)."""
        check_is_fitted(self, "weights_", msg="This PortfolioMatrix is not fitted yet; call fit(X) first.")
        scores: dict[str, np.ndarray] = {}
        dims: dict[str, np.ndarray] = {}
        for dim, w in self.weights_.items():
            num = np.zeros(len(X))
            den = np.zeros(len(X))
            for crit, wt in w.items():
                vals = X[crit].to_numpy(dtype=np.float64) if crit in X.columns else np.full(len(X), np.nan)
                s = self._percentile(crit, vals)
                scores[f"score_{crit}"] = s
                known = np.isfinite(s)
                num += np.where(known, s * wt, 0.0)
                den += np.where(known, wt, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                dims[dim] = np.where(den > 0, num / den, np.nan)
        high_a = np.nan_to_num(dims["attractiveness"], nan=0.0) >= self.split
        high_s = np.nan_to_num(dims["strength"], nan=0.0) >= self.split
        quadrant = np.where(
            high_a, np.where(high_s, "strategic", "develop"), np.where(high_s, "maintain", "streamline")
        )
        out = pd.DataFrame(
            {"attractiveness": dims["attractiveness"], "strength": dims["strength"], "quadrant": quadrant, **scores}
        )
        out["quadrant"] = out["quadrant"].astype("str")
        if "account_id" in X.columns:
            out.insert(0, "account_id", X["account_id"].astype("str").to_numpy())
        return out

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Quadrant name per row."""
        return self.transform(X)["quadrant"].to_numpy()


def portfolio_matrix(
    portfolio: Portfolio,
    value: pd.DataFrame | None = None,
    attractiveness_weights: Mapping[str, float] | None = None,
    strength_weights: Mapping[str, float] | None = None,
    split: float = 50.0,
    activity: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Attractiveness, strength (0-100) and quadrant of every account, with the raw criteria.

    Returns :func:`matrix_criteria` columns plus ``attractiveness, strength, quadrant``
    and ``score_<criterion>`` columns.
    """
    crit = matrix_criteria(portfolio, value, activity)
    model = PortfolioMatrix(attractiveness_weights, strength_weights, split).fit(crit)
    return crit.merge(model.transform(crit), on="account_id", how="left")


# ---------------------------------------------------------------------------------------
# tiers
# ---------------------------------------------------------------------------------------
def assign_tiers(
    matrix: pd.DataFrame, value: pd.DataFrame | None = None, top_value_share: float = 0.10
) -> pd.DataFrame:
    """Tier 1/2/3 per account with the reason in plain words.

    Rules, first match wins: (1) strategic quadrant -> tier 1; (2) expected 12-month
    value in the top ``top_value_share`` of accounts (needs ``value``) -> tier 1; (3)
    develop quadrant -> tier 2; (4) maintain quadrant -> tier 2; (5) otherwise tier 3.

    ``matrix`` needs ``account_id, attractiveness, strength, quadrant``; ``value`` (optional)
    ``account_id, expected_value_12m`` and optionally ``p_alive``.
    Returns ``account_id, tier`` (int) and ``tier_reason``.
    """
    m = matrix[["account_id", "attractiveness", "strength", "quadrant"]].copy()
    if value is not None and not isinstance(value, NotAvailable) and "expected_value_12m" in value.columns:
        keep = ["account_id", "expected_value_12m"] + (["p_alive"] if "p_alive" in value.columns else [])
        m = m.merge(value[keep], on="account_id", how="left")
    else:
        m["expected_value_12m"] = np.nan
    if "p_alive" not in m.columns:
        m["p_alive"] = np.nan
    ev = m["expected_value_12m"].to_numpy(dtype=np.float64)
    n_top = int(np.ceil(top_value_share * np.isfinite(ev).sum())) if np.isfinite(ev).any() else 0
    top = np.zeros(len(m), dtype=bool)
    if n_top > 0:
        order = np.argsort(-np.nan_to_num(ev, nan=-np.inf), kind="stable")[:n_top]
        top[order] = True
    tiers, reasons = [], []
    for i, row in enumerate(m.itertuples(index=False)):
        a, s = row.attractiveness, row.strength
        pos = f"attractiveness {a:.0f}/100, strength {s:.0f}/100"
        if row.quadrant == "strategic":
            tiers.append(1)
            reasons.append(f"Strategic account: attractive and we are strong ({pos}).")
        elif top[i]:
            tiers.append(1)
            reasons.append(
                f"Among the top {top_value_share:.0%} of accounts by expected 12-month value "
                f"({money(row.expected_value_12m)}), although in the {row.quadrant} quadrant ({pos})."
            )
        elif row.quadrant == "develop":
            tiers.append(2)
            reasons.append(f"Attractive account where our position is weak: develop it ({pos}).")
        elif row.quadrant == "maintain":
            tiers.append(2)
            reasons.append(f"Strong position in a less attractive account: maintain it efficiently ({pos}).")
        else:
            tiers.append(3)
            reasons.append(f"Less attractive account with a weak position: serve it efficiently ({pos}).")
        if np.isfinite(row.p_alive) and row.p_alive < 0.3:
            reasons[-1] += f" Note: it has probably stopped buying (P(alive) {row.p_alive:.0%})."
    return pd.DataFrame(
        {
            "account_id": m["account_id"],
            "tier": np.array(tiers, dtype=np.int64),
            "tier_reason": pd.Series(reasons, dtype="str"),
        }
    )


# ---------------------------------------------------------------------------------------
# everything together
# ---------------------------------------------------------------------------------------
SEGMENT_COLUMNS = [
    "account_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "rfm_segment",
    "revenue_ltm",
    "margin_ltm",
    "abc_revenue",
    "abc_margin",
    "cluster",
    "cluster_name",
    "attractiveness",
    "strength",
    "quadrant",
    "tier",
    "tier_reason",
]


def segment_accounts(
    portfolio: Portfolio,
    value: pd.DataFrame | None = None,
    random_state: int = 0,
    abc_thresholds: tuple[float, float] = (0.8, 0.95),
    rfm_bins: int | Sequence[float] = 5,
    attractiveness_weights: Mapping[str, float] | None = None,
    strength_weights: Mapping[str, float] | None = None,
    top_value_share: float = 0.10,
) -> dict[str, pd.DataFrame]:
    """Every segmentation of every account, as the bundle stores it.

    ``value`` is the value table (:func:`kamtools.value.bundle_tables`), or None.
    Returns ``{"segments": per account (:data:`SEGMENT_COLUMNS` + ``score_<criterion>``
    matrix criterion scores), "segment_profiles": per cluster, "segment_concentration":
    the concentration curves (``measure`` revenue / margin, ``rank, cum_share_accounts,
    cum_share_value, value, abc_class``; no account_id, portfolio-level)}``. With too few
    active accounts to cluster, ``cluster`` is -1 and the profiles table is empty.
    """
    act = account_activity(portfolio)
    rfm = rfm_scores(portfolio, bins=rfm_bins, activity=act)
    abc = abc_classes(portfolio, abc_thresholds, activity=act)
    try:
        clusters, profiles = behavioural_clusters(portfolio, value, activity=act, random_state=random_state)
    except ValueError as exc:
        clusters = pd.DataFrame(
            {
                "account_id": act["account_id"],
                "cluster": np.int64(-1),
                "cluster_name": pd.Series(["not clustered"] * len(act), dtype="str"),
            }
        )
        profiles = pd.DataFrame(
            {
                "cluster": pd.Series(dtype="int64"),
                "cluster_name": pd.Series(dtype="str"),
                "note": pd.Series(dtype="str"),
            }
        )
        warnings.warn(f"segment: accounts not clustered: {exc}", RuntimeWarning, stacklevel=2)
    matrix = portfolio_matrix(portfolio, value, attractiveness_weights, strength_weights, activity=act)
    tiers = assign_tiers(matrix, value, top_value_share)
    score_cols = [c for c in matrix.columns if c.startswith("score_")]
    seg = (
        rfm.merge(abc[["account_id", "revenue_ltm", "margin_ltm", "abc_revenue", "abc_margin"]], on="account_id")
        .merge(clusters, on="account_id")
        .merge(matrix[["account_id", "attractiveness", "strength", "quadrant", *score_cols]], on="account_id")
        .merge(tiers, on="account_id")
    )
    seg = seg[SEGMENT_COLUMNS + score_cols]
    curves = []
    for measure, col in (("revenue", "revenue_ltm"), ("margin", "margin_ltm")):
        c = concentration_curve(act, col, abc_thresholds).drop(columns="account_id")
        c.insert(0, "measure", measure)
        curves.append(c)
    concentration = pd.concat(curves, ignore_index=True)
    concentration["measure"] = concentration["measure"].astype("str")
    return {
        "segments": seg.reset_index(drop=True),
        "segment_profiles": profiles,
        "segment_concentration": concentration,
    }


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """Bundle stage: ``segments`` (per account), ``segment_profiles`` and ``segment_concentration``.

    Reads the value model's results from ``inputs["value"]`` when present.
    """
    if portfolio.orders.empty:
        reason = NotAvailable("There are no orders, so accounts cannot be segmented.")
        return {"segments": reason, "segment_profiles": reason, "segment_concentration": reason}
    value = inputs.get("value")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = segment_accounts(portfolio, value)
    tables: dict[str, pd.DataFrame | NotAvailable] = dict(out)
    if out["segment_profiles"].empty:
        tables["segment_profiles"] = NotAvailable("Too few accounts with recent orders to form behavioural clusters.")
    notes = history_notes(portfolio)
    if notes:
        tables["_notes"] = {"segments": " ".join(notes)}
    return tables


def history_notes(portfolio: Portfolio) -> list[str]:
    """Sentences on what segmentation left out because the order history is short (empty when nothing)."""
    history = order_history(portfolio)
    if history.covers_months_back(24):
        return []
    return [
        f"Growth and the revenue trend are not used: they compare the last 12 months with the 12 before (the "
        f"trend fits 24 months), and this portfolio has {history.describe()}; so no cluster is called growing or "
        "shrinking and the portfolio matrix weighs the other attractiveness criteria."
    ]
