"""ABC (Pareto) classes and the concentration curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from kamtools.data.portfolio import Portfolio
from kamtools.segment.activity import account_activity


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
