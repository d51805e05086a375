"""The portfolio matrix: customer attractiveness against our strength with the customer, four quadrants."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.formatting import all_no_cost
from kamtools.segment.activity import account_activity

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
# the criteria that measure our position with the customer; a strength resting on none of them
# (tenure alone) is not shown (see PortfolioMatrix)
POSITION_CRITERIA = ("share_of_wallet", "relationship_coverage", "win_rate")
SUPPORTING_CRITERIA = ("tenure_years",)  # weighed beside a position criterion, never alone
QUADRANTS = {
    "strategic": "attractive account where we are strong: invest and grow together",
    "maintain": "we are strong in a less attractive account: keep it efficiently (status quo)",
    "develop": "attractive account where we are weak: build the relationship and share",
    "streamline": "less attractive and we are weak: serve efficiently, at low cost",
    # placed by attractiveness only: our strength with the account is not known (see PortfolioMatrix)
    "attractive": "attractive account, our strength with it not known: give it attention by its value and find "
    "out our position (share of wallet, contacts, bids)",
    "less attractive": "less attractive account, our strength with it not known: serve it efficiently, at low cost",
}
NO_STRENGTH = (
    "Our strength with the customer is not available: the data holds no share of wallet "
    "(accounts.potential_revenue), no contacts with interactions and no decided bids (opportunities), "
    "and tenure alone says how long an account has bought, not how strong our position is"
)


def matrix_criteria(
    portfolio: Portfolio, value: pd.DataFrame | None = None, activity: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The criteria of the portfolio matrix, one row per account (NaN where unknown).

    Attractiveness: ``revenue_ltm, growth, margin_pct`` (NaN for every account when every known margin is
    100%, no cost booked: it would place all of them alike at 50 and pull each attractiveness towards 50; the
    grocery panel's H0973 read 62 beside its one criterion shown, size 69.5), ``expected_value_12m`` (needs ``value``), ``potential_revenue``. Strength: ``share_of_wallet``,
    ``relationship_coverage`` (half: share of the account's decision makers and
    executive/senior contacts met in the last 12 months; half: interactions in the last
    12 months, one a month = full; needs contacts and interactions), ``win_rate`` (won /
    decided opportunities closed in the last 24 months, shrunk as (won + 1) / (decided +
    2); NaN without decided bids), ``tenure_years`` (NaN for every account when the accounts'
    customer_since is only their first order date, see :func:`tenure_from_first_order`: the order
    history then says all that tenure would).
    """
    act = account_activity(portfolio) if activity is None else activity
    as_of = portfolio.as_of
    out = act[
        ["account_id", "revenue_ltm", "growth", "margin_pct", "potential_revenue", "share_of_wallet", "tenure_years"]
    ].copy()
    if tenure_from_first_order(portfolio, act):
        out["tenure_years"] = np.nan
    if all_no_cost(out["margin_pct"]):  # no cost booked: every margin 100%, placing all accounts alike at 50
        out["margin_pct"] = np.nan
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
        met = set(recent["contact_id"].dropna())
        key = key.assign(met=key["contact_id"].isin(met))
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


def tenure_from_first_order(portfolio: Portfolio, activity: pd.DataFrame | None = None) -> bool:
    """True when no account's ``customer_since`` lies more than a day before its first order.

    That is what the loader fills in when the export has no customer_since (and what a system that
    opens the customer record with the first order holds): tenure is then the age of the account in
    the order history, which says nothing about our position with the customer.
    """
    act = account_activity(portfolio) if activity is None else activity
    first = act.set_index("account_id")["first_order_date"].dropna()
    if first.empty:
        return False
    since = portfolio.accounts.drop_duplicates("account_id").set_index("account_id")["customer_since"]
    since = since.reindex(first.index)
    return bool((since.isna() | (since >= first - pd.Timedelta(days=1))).all())


class PortfolioMatrix(TransformerMixin, BaseEstimator):
    """Attractiveness x strength matrix (0-100 scores) with four named quadrants.

    Each criterion is turned into a 0-100 score by its percentile among the accounts
    seen in ``fit`` (mid-rank for ties); a dimension's score is the weighted mean of its
    criterion scores, with the weights renormalised per account over the criteria known
    for that account (criteria missing for everyone drop out). Accounts at or above
    ``split`` on a dimension are "high".

    Strength must rest on evidence of our position with the customer: a criterion of
    :data:`POSITION_CRITERIA` (share of wallet, relationship coverage, win rate) or one the
    caller names in ``strength_weights`` that is not a :data:`SUPPORTING_CRITERIA`. Tenure only
    supports them: an account for which none of them is known has no strength (NaN), and when
    no account has one, ``strength_available_`` is False. Such accounts are placed by
    attractiveness alone, in the quadrants ``attractive`` or ``less attractive``. The order log's
    own measures (recency, frequency, revenue) are deliberately not used as strength: they say
    how healthy and how large the buying is (RFM, the churn risk and attractiveness already use
    them), not what share of the customer's business we hold or how well we are connected, so
    an order-log-only portfolio gets no strength rather than a second reading of the same data.

    Parameters
    ----------
    attractiveness_weights, strength_weights : dict criterion -> weight (default
        :data:`ATTRACTIVENESS_WEIGHTS`, :data:`STRENGTH_WEIGHTS`). Higher criterion values
        are better.
    split : the score separating low from high (50 = the portfolio median).

    Attributes
    ----------
    reference_ : dict criterion -> sorted training values; weights_ : dict dimension ->
    {criterion: normalised weight} of the criteria available in training (strength: empty
    when no position criterion is); strength_available_ : bool.

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
            if dim == "strength" and not [c for c in usable if c not in SUPPORTING_CRITERIA]:
                usable = {}  # tenure alone is no evidence of our position: strength is not available
            elif not usable:
                raise ValueError(
                    f"PortfolioMatrix: none of the {dim} criteria {sorted(w)} has values; supply at least one"
                )
            total = sum(usable.values())
            self.weights_[dim] = {k: v / total for k, v in usable.items()}
        self.strength_available_ = bool(self.weights_["strength"])
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
            evidence = np.zeros(len(X), dtype=bool)
            for crit, wt in w.items():
                vals = X[crit].to_numpy(dtype=np.float64) if crit in X.columns else np.full(len(X), np.nan)
                s = self._percentile(crit, vals)
                scores[f"score_{crit}"] = s
                known = np.isfinite(s)
                num += np.where(known, s * wt, 0.0)
                den += np.where(known, wt, 0.0)
                evidence |= known & (crit not in SUPPORTING_CRITERIA)
            with np.errstate(invalid="ignore", divide="ignore"):
                dims[dim] = np.where(den > 0, num / den, np.nan)
            if dim == "strength":  # no position criterion known for the account: no strength
                dims[dim] = np.where(evidence, dims[dim], np.nan)
        high_a = np.nan_to_num(dims["attractiveness"], nan=0.0) >= self.split
        high_s = np.nan_to_num(dims["strength"], nan=0.0) >= self.split
        quadrant = np.where(
            high_a, np.where(high_s, "strategic", "develop"), np.where(high_s, "maintain", "streamline")
        )
        quadrant = np.where(np.isfinite(dims["strength"]), quadrant, np.where(high_a, "attractive", "less attractive"))
        out = pd.DataFrame(
            {"attractiveness": dims["attractiveness"], "strength": dims["strength"], "quadrant": quadrant, **scores}
        )
        out["quadrant"] = out["quadrant"].astype("str")
        if "account_id" in X.columns:
            # X is the caller's table (any DataFrame with the criteria): its ids are made text here
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
