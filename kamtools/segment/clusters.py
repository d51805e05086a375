"""Behavioural clusters: k-means on scaled behaviour features, each cluster named from its profile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import COVER_SLACK_DAYS, order_history
from kamtools.segment.activity import NEW_ACCOUNT_YEARS, account_activity

CLUSTER_FEATURES = {
    "revenue_level": "log(1 + mean yearly revenue of the last 24 months)",
    "revenue_trend": "relative slope of monthly revenue over 24 months, per year",
    "order_frequency": "log(1 + orders per month), last 12 months",
    "category_breadth": "distinct product categories, last 12 months",
    "margin_pct": "margin share of revenue, last 12 months",
    "growth": "log of (revenue last 12 months + c) / (revenue of the 12 before + c), c = 5% of a typical account's, "
    "one-off order months counted as usual ones; [-3, 3]",
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
    # growth reads the usual revenue: a one-off order month is not growth (account_activity's usual_revenue_*)
    usual_ltm = activity.get("usual_revenue_ltm", activity["revenue_ltm"]).clip(lower=0).to_numpy(dtype=np.float64)
    usual_prior = activity.get("usual_revenue_prior", activity["revenue_prior"])
    usual_prior = usual_prior.clip(lower=0).to_numpy(dtype=np.float64)
    out = pd.DataFrame(
        {
            "account_id": activity["account_id"],
            "revenue_level": np.log1p(yearly),
            "revenue_trend": activity["revenue_trend"],
            "order_frequency": np.log1p(activity["orders_per_month"]),
            "category_breadth": activity["categories_ltm"].astype(np.float64),
            "margin_pct": activity["margin_pct"],
            "growth": np.where(prior_known, np.clip(np.log((usual_ltm + c) / (usual_prior + c)), -3.0, 3.0), np.nan),
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


def _describe(
    z: Mapping[str, float],
    raw: Mapping[str, float],
    p_alive_is_probability: bool = True,
    age_known_below: float = np.inf,
) -> list[tuple[float, str]]:
    """(distinctiveness, phrase) candidates for naming a cluster, from its z-scores and raw medians.

    A median P(alive) under 50% names the cluster ``lapsing`` only when P(alive) is a probability on this
    portfolio (:func:`kamtools.value.reading.p_alive_shown_as`); an activity score says nothing of the kind.
    ``new`` needs a median account age under :data:`NEW_ACCOUNT_YEARS` and under ``age_known_below``: an age
    at or above that (a first order at the start of an order history shorter than that) says only that the
    account is at least that old, not that it is new.
    """
    phrases: list[tuple[float, str]] = []
    zs = z.get("revenue_level", 0.0)
    size = "large" if zs > 0.5 else "small" if zs < -0.5 else "mid-size"
    phrases.append((np.inf, size))  # always first
    g = raw.get("growth", np.nan)
    tr = raw.get("revenue_trend", np.nan)
    change = np.nanmean([g, tr]) if not (np.isnan(g) and np.isnan(tr)) else np.nan
    pa = raw.get("p_alive", np.nan) if p_alive_is_probability else np.nan
    if not np.isnan(pa) and pa < 0.5:
        phrases.append((np.inf, "lapsing"))
    elif not np.isnan(change):
        if change > 0.08:
            trend = "fast-growing" if change > 0.3 else "growing"
        else:
            trend = "shrinking" if change < -0.08 else "stable"
        phrases.append((np.inf, trend))
    if raw.get("account_age", np.nan) < min(NEW_ACCOUNT_YEARS, age_known_below):
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


def _name_clusters(
    z: pd.DataFrame, raw: pd.DataFrame, p_alive_is_probability: bool = True, age_known_below: float = np.inf
) -> list[str]:
    """Unique human-readable names: size and trend first, then the most distinctive traits (``lapsing`` only
    from a P(alive) that is a probability, ``new`` only from an age the history can show, see
    :func:`_describe`)."""
    cands = []
    for k in z.index:
        ph = _describe(z.loc[k].to_dict(), raw.loc[k].to_dict(), p_alive_is_probability, age_known_below)
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
    names = _compared(names, z)
    seen: dict[str, int] = {}
    out = []
    for nm in names:
        seen[nm] = seen.get(nm, 0) + 1
        out.append(nm if seen[nm] == 1 else f"{nm} ({seen[nm]})")
    return out


# traits a KAM reads on the page (the clusters table's medians), as (fewer, more) words, for clusters whose names
# still collide once every trait of :func:`_describe` is used
_COMPARED = (
    ("order_frequency", ("fewer orders", "more orders")),
    ("revenue_level", ("less revenue", "more revenue")),
    ("category_breadth", ("fewer categories", "more categories")),
    ("margin_pct", ("lower margin", "higher margin")),
)


def _compared(names: list[str], z: pd.DataFrame) -> list[str]:
    """``names`` where two clusters still share one: each of the two named against the other by the trait that
    sets them furthest apart ('small, occasional orders, single category, fewer orders' and '..., more orders').
    The grocery panel's top 100 households at 2017-06-30 read 'small, occasional orders, single category' and
    'small, occasional orders, single category (2)', with 1.92 and 4.25 orders a month; a number tells a KAM
    nothing. Three or more alike keep the number (:func:`_name_clusters`)."""
    out = list(names)
    for nm in {n for n in names if names.count(n) == 2}:
        i, j = (k for k, n in enumerate(names) if n == nm)
        best = None
        for feature, words in _COMPARED:
            if feature not in z.columns:
                continue
            a, b = z[feature].iloc[i], z[feature].iloc[j]
            if pd.notna(a) and pd.notna(b) and a != b and (best is None or abs(a - b) > best[0]):
                best = (abs(a - b), words, a < b)
        if best is None:
            continue
        _, (fewer, more), i_lower = best
        out[i] = f"{nm}, {fewer if i_lower else more}"
        out[j] = f"{nm}, {more if i_lower else fewer}"
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
    p_alive_is_probability : False when the value model's P(alive) is only an activity score
    (it still clusters; no cluster is named ``lapsing`` from it).
    age_known_below : years of order history before as_of, less the slack of a first order at its start:
    an account age (years since the first order) at or above it may be longer, so no cluster whose median age
    reaches it is named ``new`` (default: no limit).

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
        p_alive_is_probability: bool = True,
        age_known_below: float = np.inf,
    ) -> None:
        self.min_clusters = min_clusters
        self.max_clusters = max_clusters
        self.n_init = n_init
        self.random_state = random_state
        self.silhouette_sample = silhouette_sample
        self.features = features
        self.p_alive_is_probability = p_alive_is_probability
        self.age_known_below = age_known_below

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
        self.cluster_names_ = _name_clusters(z, raw, self.p_alive_is_probability, self.age_known_below)
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
    # an order in the 24 months counts even when credit notes net its revenue to nothing or less
    recent = act["recency_days"].le(730) if "recency_days" in act.columns else False
    active = (act["revenue_ltm"] > 0) | (act["revenue_prior"] > 0) | recent
    history = order_history(portfolio)
    if history.first_order is not None and "age_known_below" not in params:
        # an account whose first order is at the start of the history is at least that old, maybe older: a
        # history shorter than NEW_ACCOUNT_YEARS cannot call it new (every account's age would be under it)
        span = (history.as_of - history.first_order).days - COVER_SLACK_DAYS
        params["age_known_below"] = span / 365.25
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
