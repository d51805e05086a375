"""RFM: recency, frequency and monetary scores (1-5) and the named RFM segments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from kamtools.data.portfolio import Portfolio
from kamtools.segment.activity import account_activity

# (name, meaning). The scores are quantile bins among the accounts scored together, so each meaning
# compares the account with the others; it never claims an absolute recency (an account can be in
# the top recency bin and still be lapsed when most of the portfolio is quiet).
RFM_SEGMENTS: list[tuple[str, str]] = [
    ("champions", "ordered more recently, more often and for more than most accounts"),
    (
        "loyal",
        "more orders and spend than most accounts (the two scores averaged); last order about as recent as the "
        "typical account",
    ),
    ("potential loyalist", "ordered more recently than most accounts, with average frequency and spend"),
    ("new", "among the most recent last orders of the portfolio, with few orders and low spend so far"),
    ("promising", "ordered more recently than most accounts, but few orders and low spend"),
    ("needs attention", "average recency, frequency and spend compared with the other accounts"),
    ("about to sleep", "last order about as recent as the typical account, but few orders and low spend"),
    (
        "cannot lose",
        "among the most orders and highest spend (the two scores averaged), but ordered less recently than most "
        "accounts",
    ),
    (
        "at risk",
        "typical or more orders and spend (the two scores averaged), but ordered less recently than most accounts",
    ),
    ("hibernating", "few orders and low spend, and ordered less recently than most accounts"),
    ("lost", "among the least recent last orders, with the fewest orders and lowest spend of the portfolio"),
    (
        "lapsed champions",
        "ordered more often and spent more than most accounts over the last 12 months, but has lapsed (no order for "
        "months), even where its last order is recent next to the other accounts",
    ),
    ("lapsed", "has lapsed (no order for months), with average or low frequency and spend next to the other accounts"),
]
RFM_SEGMENT_MEANING = dict(RFM_SEGMENTS)
# the segments whose name says the account still buys: never given to a lapsed account (:func:`relabel_lapsed`)
_STILL_BUYING = ("champions", "loyal", "potential loyalist", "new", "promising", "needs attention", "about to sleep")


_R_WORDS = {
    5: "among the most recent last orders of the portfolio",
    4: "a more recent last order than most accounts",
    3: "a last order about as recent as the typical account",
    2: "a less recent last order than most accounts",
    1: "among the least recent last orders of the portfolio",
}
_F_WORDS = {
    5: "among the most orders",
    4: "more orders than most accounts",
    3: "about as many orders as the typical account",
    2: "fewer orders than most accounts",
    1: "among the fewest orders",
}
_M_WORDS = {
    5: "among the highest spend",
    4: "more spend than most accounts",
    3: "about the typical spend",
    2: "less spend than most accounts",
    1: "among the lowest spend",
}


def rfm_description(r: object, f: object, m: object, n_bins: int = 5) -> str | None:
    """What an account's own recency, frequency and monetary scores say, each against the accounts scored with it.

    A segment's name groups several scores (e.g. 'at risk' is a recency of 1-2 with the frequency and spend scores
    averaging 3-4), so its one description can contradict an account's scores: the grocery panel's top 60 at
    2017-03-31 read 'RFM 132 (at risk): order often and spend well' with a spend score of 2, which reads here 'among
    the least recent last orders of the portfolio, about as many orders as the typical account, less spend than most
    accounts'.
    ``n_bins``: the top score (scores on another scale are put on 1-5 first). None when a score is unknown.
    """
    try:
        scores = [int(v) for v in (r, f, m)]  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    if n_bins != 5 and n_bins > 1:  # onto the 1-5 scale the named segments use (as RFMScorer.transform does)
        scores = [int(np.rint(1 + (s - 1) * 4 / (n_bins - 1))) for s in scores]
    if not all(1 <= s <= 5 for s in scores):
        return None
    return f"{_R_WORDS[scores[0]]}, {_F_WORDS[scores[1]]}, {_M_WORDS[scores[2]]}"


def relabel_lapsed(segments: pd.Series, lapsed: pd.Series | np.ndarray) -> pd.Series:
    """The RFM segments with a lapsed account never named as one that still buys (issue 17).

    The recency score is relative: in a cohort where most accounts have lapsed, a lapsed account can hold
    the top recency bin and be named a champion. Where ``lapsed`` is True, "champions" and "loyal" (the
    highest frequency and spend) read "lapsed champions" and the other segments that say the account still
    buys ("potential loyalist", "new", "promising", "needs attention", "about to sleep") read "lapsed";
    "cannot lose", "at risk", "hibernating" and "lost" already say it has stopped and are kept.

    >>> relabel_lapsed(pd.Series(["champions", "new", "at risk", "champions"]), [True, True, True, False]).tolist()
    ['lapsed champions', 'lapsed', 'at risk', 'champions']
    """
    gone = np.asarray(lapsed, dtype=bool)
    seg = segments.astype("str")
    top = gone & seg.isin(["champions", "loyal"]).to_numpy()
    rest = gone & seg.isin(_STILL_BUYING).to_numpy() & ~top
    out = seg.mask(top, "lapsed champions").mask(rest, "lapsed")
    return out.astype("str")


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
            # X is the caller's table (any DataFrame with the metrics): its ids are made text here
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
