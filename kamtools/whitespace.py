"""Whitespace, cross-sell and trade-lane review: where can each account buy more from us?

The **whitespace grid** is every account x product category, each cell ``bought`` (revenue
in the last 12 months), ``lapsed`` (bought before, nothing in the last 12 months) or
``never`` bought. For the empty and lapsed cells of active accounts a **cross-sell
model** estimates the probability that the account starts buying the category in the
next 12 months and what it would spend a year:

* candidate scorers: :class:`PeerScorer` (share of similar accounts, same industry and
  size band or segment, that buy the category), :class:`ItemCFScorer` (item-based
  collaborative filtering: co-purchase probabilities between categories, combined as
  a noisy-or over the categories the account buys) and :class:`BlendScorer` (their
  average); :class:`PopularityScorer` is the baseline;
* :func:`backtest` makes recommendations as of a past date (``portfolio.truncate``)
  and checks them against what accounts really started buying in the following 12
  months (precision and hit rate at N, AUC), beside the popularity baseline;
* :class:`CrossSellModel` picks the scorer with the best backtest precision, calibrates
  scores to adoption probabilities (observed adoption rate by score bin, per
  never/lapsed status, from the most recent backtest window) and picks the spend
  estimate (peer median spend, the account's revenue times the peers' median share, or
  their geometric mean) with the smallest backtest error, scaled to first-year spend.

:func:`recommend` returns the top N opportunities per account (by adoption probability)
with ``expected_value`` (probability x first-year spend) and a rationale in plain words. :func:`tradelanes` is the
year-over-year product-line review (new, lost, up-trading, down-trading, stable,
loss-making lines).

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=80, years=4, seed=2)
>>> recs = recommend(portfolio, n=3)          # fits a CrossSellModel with its backtest
>>> list(recs.columns[:4])
['account_id', 'rank', 'category', 'status']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.display import money
from kamtools.history import order_history

__all__ = [
    "SUMMARY_COLUMNS",
    "Snapshot",
    "snapshot",
    "whitespace_grid",
    "category_affinity",
    "PopularityScorer",
    "PeerScorer",
    "ItemCFScorer",
    "BlendScorer",
    "AdoptionCalibrator",
    "backtest",
    "CrossSellModel",
    "recommend",
    "tradelanes",
    "tradelane_summary",
    "bundle_tables",
]

SUMMARY_COLUMNS = {
    "whitespace_accounts": ["whitespace_value", "top_whitespace_category", "loss_making_lines"],
}
SIZE_BANDS = ("small", "mid-size", "large")
LANE_STATUSES = ("new", "up-trading", "stable", "down-trading", "lost")
MIN_USEFUL_P = 0.10
"""Adoption probability from which a whitespace opportunity is ``recommended``: below it the
category is still listed (ranked) but a KAM's time is better spent elsewhere."""
SEGMENT_COLUMNS = ("tier", "segment", "cluster_name", "quadrant")


def _at(portfolio: Portfolio, as_of: str | pd.Timestamp | None) -> Portfolio:
    if as_of is None or pd.Timestamp(as_of).normalize() == portfolio.as_of:
        return portfolio
    return portfolio.truncate(as_of)


# ---------------------------------------------------------------------------------------
# the account x category state at one date
# ---------------------------------------------------------------------------------------
@dataclass
class Snapshot:
    """Account x category purchase state at ``as_of`` (arrays aligned on accounts x categories).

    Attributes: ``account_ids`` (n,), ``categories`` (C,), ``spend_ltm`` (n, C) revenue in
    the last ``months`` months, ``spend_before`` (n, C) revenue before that window,
    ``last_order`` (n, C) datetime64 (NaT when never), ``industry`` (n,), ``peer_group``
    (n,) labels such as ``"Feed milling, large"``.
    """

    as_of: pd.Timestamp
    months: int | None
    account_ids: np.ndarray
    categories: np.ndarray
    spend_ltm: np.ndarray
    spend_before: np.ndarray
    last_order: np.ndarray
    industry: np.ndarray
    peer_group: np.ndarray

    @property
    def revenue_ltm(self) -> np.ndarray:
        return self.spend_ltm.sum(axis=1)

    @property
    def active(self) -> np.ndarray:
        """Accounts with revenue in the window (only they get recommendations)."""
        return self.revenue_ltm > 0

    @property
    def bought(self) -> np.ndarray:
        return self.spend_ltm > 0

    @property
    def lapsed(self) -> np.ndarray:
        return (self.spend_ltm <= 0) & (self.spend_before > 0)

    @property
    def candidates(self) -> np.ndarray:
        """Cells a recommendation can be made for: active account, category not bought in the window."""
        return ~self.bought & self.active[:, None]

    @cached_property
    def status(self) -> np.ndarray:
        """(n, C) 'bought' / 'lapsed' / 'never'."""
        return np.where(self.bought, "bought", np.where(self.lapsed, "lapsed", "never"))


def _codes(values: pd.Series, categories: np.ndarray) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when absent); hashes each distinct value once."""
    codes, uniques = pd.factorize(values)
    pos = pd.Index(categories).get_indexer(uniques)
    return np.where(codes >= 0, pos[np.maximum(codes, 0)], -1).astype(np.int64)


def _matrix(a: np.ndarray, c: np.ndarray, w: np.ndarray, n: int, C: int) -> np.ndarray:
    ok = (a >= 0) & (c >= 0)
    return np.bincount(a[ok] * C + c[ok], weights=w[ok], minlength=n * C).reshape(n, C)


def _size_bands(revenue: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Tercile size band of yearly revenue among active accounts ('inactive' otherwise)."""
    out = np.full(len(revenue), "inactive", dtype=object)
    if active.any():
        edges = np.quantile(revenue[active], [1 / 3, 2 / 3])
        out[active] = np.array(SIZE_BANDS, dtype=object)[np.searchsorted(edges, revenue[active], side="right")]
    return out


def _segment_labels(segments: pd.DataFrame | None, account_ids: np.ndarray, column: str | None) -> np.ndarray | None:
    if segments is None or isinstance(segments, NotAvailable) or len(segments) == 0:
        return None
    if "account_id" not in segments.columns:
        raise ValueError("segments: the table needs an account_id column")
    if column is None:
        column = next((c for c in SEGMENT_COLUMNS if c in segments.columns), None)
        if column is None:
            return None
    elif column not in segments.columns:
        raise ValueError(f"segments: no column {column!r}; it has {list(segments.columns)}")
    mapping = segments.drop_duplicates("account_id").set_index("account_id")[column].astype("str")
    if column in ("tier", "quadrant"):  # short codes read better with their name: "tier 2"
        mapping = column + " " + mapping
    return pd.Series(account_ids).map(mapping).to_numpy(dtype=object)


def snapshot(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    months: int | None = 12,
    segments: pd.DataFrame | None = None,
    peer_column: str | None = None,
) -> Snapshot:
    """The account x category purchase matrices at ``as_of`` (reads nothing after it).

    Peer groups are industry x size band (terciles of revenue in the window among active
    accounts; ``months=None``: the whole history); when ``segments`` (a table with ``account_id`` and a label column, e.g.
    the bundle's segments) is given, industry x segment label (``peer_column``, default
    the first of tier / segment / cluster_name / quadrant it has).
    """
    portfolio = _at(portfolio, as_of)
    as_of_ts = portfolio.as_of
    accounts = portfolio.accounts
    account_ids = accounts["account_id"].to_numpy(dtype=object)
    categories = np.array(sorted(portfolio.products["category"].dropna().astype(str).unique()), dtype=object)
    n, C = len(account_ids), len(categories)
    lines = portfolio.order_lines
    lines = lines[lines["order_date"] <= as_of_ts]
    a = _codes(lines["account_id"], account_ids)
    c = _codes(lines["category"], categories)
    rev = lines["net_revenue"].to_numpy(dtype=float)
    if months is None:  # the whole history counts as "the window"
        in_window = np.ones(len(lines), dtype=bool)
    else:
        in_window = (lines["order_date"] > as_of_ts - pd.DateOffset(months=months)).to_numpy()
    spend_ltm = _matrix(a[in_window], c[in_window], rev[in_window], n, C)
    spend_before = _matrix(a[~in_window], c[~in_window], rev[~in_window], n, C)
    last = np.full(n * C, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = (a >= 0) & (c >= 0)
    if ok.any():
        cell = a[ok] * C + c[ok]
        mx = pd.Series(lines["order_date"].to_numpy()[ok]).groupby(cell).max()
        last[mx.index.to_numpy()] = mx.to_numpy()
    industry = accounts["industry"].astype("str").fillna("(unknown industry)").to_numpy(dtype=object)
    active = spend_ltm.sum(axis=1) > 0
    seg = _segment_labels(segments, account_ids, peer_column)
    second = _size_bands(spend_ltm.sum(axis=1), active) if seg is None else np.where(pd.isna(seg), "other", seg)
    peer = (pd.Series(industry) + ", " + pd.Series(second).astype(str)).to_numpy(dtype=object)
    return Snapshot(
        as_of_ts, months, account_ids, categories, spend_ltm, spend_before, last.reshape(n, C), industry, peer
    )


def whitespace_grid(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, months: int = 12) -> pd.DataFrame:
    """The whitespace grid: one row per account x product category.

    Returns ``account_id, category, status`` (bought / lapsed / never), ``revenue_ltm``
    (last ``months`` months), ``revenue_before`` (earlier), ``last_order_date``.
    """
    return _grid_frame(snapshot(portfolio, as_of, months))


def _grid_frame(snap: Snapshot) -> pd.DataFrame:
    n, C = snap.spend_ltm.shape
    return pd.DataFrame(
        {
            "account_id": pd.Series(np.repeat(snap.account_ids, C), dtype="str"),
            "category": pd.Series(np.tile(snap.categories, n), dtype="str"),
            "status": pd.Series(snap.status.ravel(), dtype="str"),
            "revenue_ltm": snap.spend_ltm.ravel(),
            "revenue_before": snap.spend_before.ravel(),
            "last_order_date": snap.last_order.ravel(),
        }
    )


# ---------------------------------------------------------------------------------------
# category affinity (co-occurrence)
# ---------------------------------------------------------------------------------------
def _cooccurrence(owned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = owned.astype(float)
    co = b.T @ b
    return co, np.diag(co).copy()


def category_affinity(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, months: int | None = None
) -> pd.DataFrame:
    """Which categories are bought together: item-item similarity and co-occurrence lift.

    An account "buys" a category when it ordered it in the last ``months`` months (all
    history up to ``as_of`` when None). One row per ordered pair of different categories:
    ``category_a, category_b, n_a, n_b, n_both`` (accounts), ``confidence`` (share of
    ``a``-buyers that also buy ``b``), ``lift`` (P(a and b) / (P(a) P(b))), ``cosine``
    (n_both / sqrt(n_a n_b)). Sorted by descending lift.
    """
    snap = snapshot(portfolio, as_of, months)
    owned = (snap.spend_ltm > 0)[snap.active]
    co, n_i = _cooccurrence(owned)
    N = max(len(owned), 1)
    C = len(snap.categories)
    i, j = np.nonzero(~np.eye(C, dtype=bool))
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = co[i, j] / n_i[i]
        lift = co[i, j] * N / (n_i[i] * n_i[j])
        cosine = co[i, j] / np.sqrt(n_i[i] * n_i[j])
    out = pd.DataFrame(
        {
            "category_a": pd.Series(snap.categories[i], dtype="str"),
            "category_b": pd.Series(snap.categories[j], dtype="str"),
            "n_a": n_i[i].astype(np.int64),
            "n_b": n_i[j].astype(np.int64),
            "n_both": co[i, j].astype(np.int64),
            "confidence": conf,
            "lift": lift,
            "cosine": cosine,
        }
    )
    return out.sort_values(["lift", "n_both"], ascending=False, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# scorers: (n_accounts, n_categories) spend matrix -> adoption scores in [0, 1]
# ---------------------------------------------------------------------------------------
def _as_matrix(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"expected an (accounts, categories) matrix, got shape {X.shape}")
    return X


class PopularityScorer(BaseEstimator):
    """Baseline: the share of active accounts that buy each category (same for every account).

    ``fit(X)`` with ``X`` the (accounts, categories) spend matrix of the last 12 months;
    learns ``adoption_rate_`` (C,). ``predict(X)`` -> (n, C) scores.
    """

    def fit(self, X, y=None, groups=None) -> PopularityScorer:
        X = _as_matrix(X)
        active = X.sum(axis=1) > 0
        self.adoption_rate_ = (X[active] > 0).mean(axis=0) if active.any() else np.zeros(X.shape[1])
        return self

    def predict(self, X, groups=None) -> np.ndarray:
        X = _as_matrix(X)
        return np.broadcast_to(self.adoption_rate_, X.shape).copy()


class PeerScorer(BaseEstimator):
    """Share of similar accounts (same peer group) that buy each category, shrunk to the overall share.

    ``score = (buyers in group + prior_strength * overall share) / (group size + prior_strength)``
    over active accounts. ``fit(X, groups=labels)`` learns ``groups_`` (labels),
    ``group_buyers_`` (G, C), ``group_sizes_`` (G,), ``adoption_rate_`` (C,).
    ``predict(X, groups)``: unseen groups get the overall share.
    """

    def __init__(self, prior_strength: float = 5.0) -> None:
        self.prior_strength = prior_strength

    def fit(self, X, y=None, groups=None) -> PeerScorer:
        X = _as_matrix(X)
        if groups is None:
            groups = np.zeros(len(X), dtype=object)
        groups = np.asarray(groups, dtype=object)
        active = X.sum(axis=1) > 0
        labels, codes = np.unique(groups.astype(str), return_inverse=True)
        b = (X > 0) & active[:, None]
        G = len(labels)
        buyers = np.zeros((G, X.shape[1]))
        np.add.at(buyers, codes, b.astype(float))
        self.groups_ = labels
        self.group_buyers_ = buyers
        self.group_sizes_ = np.bincount(codes, weights=active.astype(float), minlength=G)
        self.adoption_rate_ = b[active].mean(axis=0) if active.any() else np.zeros(X.shape[1])
        return self

    def _group_index(self, groups, n: int) -> np.ndarray:
        if groups is None:
            groups = np.zeros(n, dtype=object)
        g = np.asarray(groups, dtype=object).astype(str)
        idx = np.searchsorted(self.groups_, g)
        idx = np.clip(idx, 0, len(self.groups_) - 1)
        return np.where(self.groups_[idx] == g, idx, -1)

    def peer_share(self, X, groups=None) -> tuple[np.ndarray, np.ndarray]:
        """(raw share of the account's peer group buying each category (n, C), peer group size (n,))."""
        X = _as_matrix(X)
        idx = self._group_index(groups, len(X))
        known = idx >= 0
        size = np.where(known, self.group_sizes_[np.maximum(idx, 0)], 0.0)
        buyers = np.where(known[:, None], self.group_buyers_[np.maximum(idx, 0)], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(size[:, None] > 0, buyers / size[:, None], np.nan)
        return share, size

    def predict(self, X, groups=None) -> np.ndarray:
        X = _as_matrix(X)
        idx = self._group_index(groups, len(X))
        known = idx >= 0
        size = np.where(known, self.group_sizes_[np.maximum(idx, 0)], 0.0)[:, None]
        buyers = np.where(known[:, None], self.group_buyers_[np.maximum(idx, 0)], 0.0)
        m = self.prior_strength
        denom = size + m
        with np.errstate(invalid="ignore", divide="ignore"):
            score = (buyers + m * self.adoption_rate_[None, :]) / denom
        return np.where(denom > 0, score, self.adoption_rate_[None, :])  # no peers -> overall share


class ItemCFScorer(BaseEstimator):
    """Item-based collaborative filtering on the account x category purchase matrix.

    Learns ``confidence_`` (C, C): P(buys j | buys i), shrunk towards P(j) with
    ``prior_strength`` pseudo-accounts; ``similarity_`` (cosine) and ``lift_``. The
    score of category j for an account is a noisy-or over the categories it buys,
    ``1 - prod_i (1 - confidence_[i, j])``; accounts that buy nothing get P(j).
    """

    def __init__(self, prior_strength: float = 5.0) -> None:
        self.prior_strength = prior_strength

    def fit(self, X, y=None, groups=None) -> ItemCFScorer:
        X = _as_matrix(X)
        active = X.sum(axis=1) > 0
        b = (X[active] > 0).astype(float)
        co, n_i = _cooccurrence(b)
        N = max(len(b), 1)
        p = n_i / N
        m = self.prior_strength
        conf = (co + m * p[None, :]) / (n_i[:, None] + m)
        np.fill_diagonal(conf, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = np.where(np.outer(n_i, n_i) > 0, co / np.sqrt(np.outer(n_i, n_i)), 0.0)
            lift = np.where(np.outer(n_i, n_i) > 0, co * N / np.outer(n_i, n_i), np.nan)
        np.fill_diagonal(sim, 0.0)
        self.confidence_ = conf
        self.similarity_ = sim
        self.lift_ = lift
        self.adoption_rate_ = p
        return self

    def predict(self, X, groups=None) -> np.ndarray:
        X = _as_matrix(X)
        b = (X > 0).astype(float)
        log_miss = np.log1p(-np.clip(self.confidence_, 0.0, 1 - 1e-9))
        score = 1 - np.exp(b @ log_miss)
        none = b.sum(axis=1) == 0
        score[none] = self.adoption_rate_
        return score

    def strongest_link(self, X) -> tuple[np.ndarray, np.ndarray]:
        """For each account x category: the bought category i with the highest P(j | i), and that P.

        Returns ``(index (n, C), confidence (n, C))``; index -1 where the account buys nothing.
        Loops over categories (not accounts), so it stays vectorised.
        """
        X = _as_matrix(X)
        b = X > 0
        n, C = b.shape
        best = np.full((n, C), -1, dtype=np.int64)
        best_conf = np.full((n, C), -np.inf)
        for i in range(C):
            cand = np.where(b[:, i : i + 1], self.confidence_[i][None, :], -np.inf)
            better = cand > best_conf
            best = np.where(better, i, best)
            best_conf = np.where(better, cand, best_conf)
        return best, np.where(np.isfinite(best_conf), best_conf, np.nan)


class BlendScorer(BaseEstimator):
    """Weighted average of :class:`PeerScorer` and :class:`ItemCFScorer` scores."""

    def __init__(self, weight: float = 0.5, prior_strength: float = 5.0) -> None:
        self.weight = weight
        self.prior_strength = prior_strength

    def fit(self, X, y=None, groups=None) -> BlendScorer:
        self.peer_ = PeerScorer(self.prior_strength).fit(X, groups=groups)
        self.itemcf_ = ItemCFScorer(self.prior_strength).fit(X)
        return self

    def predict(self, X, groups=None) -> np.ndarray:
        return self.weight * self.peer_.predict(X, groups) + (1 - self.weight) * self.itemcf_.predict(X)


def default_scorers() -> dict[str, BaseEstimator]:
    """The candidate scorers compared by the backtest, by name."""
    return {"peers": PeerScorer(), "co_purchase": ItemCFScorer(), "blend": BlendScorer()}


# ---------------------------------------------------------------------------------------
# calibration: score -> probability of adoption (per never / lapsed status)
# ---------------------------------------------------------------------------------------
class AdoptionCalibrator(BaseEstimator):
    """Observed adoption rate by score bin, separately for never-bought and lapsed cells.

    ``fit(score, y, lapsed)``: scores are cut into quantile bins (about
    ``min_positives`` adoptions per bin, at most ``n_bins``), each bin's rate is shrunk
    towards its status's overall rate with ``prior_strength`` pseudo-cells and made
    non-decreasing in the score (isotonic); ``predict`` interpolates linearly between
    bin mean scores. Learned: ``table_`` (status, bin, score_low, score_high,
    score_mean, n_cells, n_adopted, adoption_rate).
    """

    def __init__(self, n_bins: int = 10, min_positives: int = 5, prior_strength: float = 10.0) -> None:
        self.n_bins = n_bins
        self.min_positives = min_positives
        self.prior_strength = prior_strength

    def fit(self, score, y, lapsed=None) -> AdoptionCalibrator:
        score = np.asarray(score, dtype=float)
        y = np.asarray(y, dtype=bool)
        lapsed = np.zeros(len(score), dtype=bool) if lapsed is None else np.asarray(lapsed, dtype=bool)
        if len(score) == 0:
            raise ValueError("AdoptionCalibrator.fit: no candidate cells to calibrate on")
        overall = (y.sum() + 1) / (len(y) + 2)
        rows = []
        self.curves_ = {}
        for status, mask in (("never", ~lapsed), ("lapsed", lapsed)):
            s, t = score[mask], y[mask]
            if len(s) == 0:
                self.curves_[status] = (np.array([0.0]), np.array([overall]))
                continue
            m = self.prior_strength
            base = (t.sum() + m * overall) / (len(t) + m)
            k = int(np.clip(t.sum() // max(self.min_positives, 1), 1, self.n_bins))
            edges = np.unique(np.quantile(s, np.linspace(0, 1, k + 1)))
            b = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, max(len(edges) - 2, 0))
            nb = max(len(edges) - 1, 1)
            cnt = np.bincount(b, minlength=nb).astype(float)
            pos = np.bincount(b, weights=t.astype(float), minlength=nb)
            mean_s = np.bincount(b, weights=s, minlength=nb) / np.maximum(cnt, 1)
            used = cnt > 0
            rate = (pos + m * base) / (cnt + m)
            if used.sum() > 1:
                iso = IsotonicRegression(increasing=True, out_of_bounds="clip")
                rate[used] = iso.fit(mean_s[used], rate[used], sample_weight=cnt[used]).predict(mean_s[used])
            self.curves_[status] = (mean_s[used], rate[used])
            lows = edges[:-1] if len(edges) > 1 else edges
            highs = edges[1:] if len(edges) > 1 else edges
            for j in np.nonzero(used)[0]:
                rows.append((status, int(j), lows[j], highs[j], mean_s[j], int(cnt[j]), int(pos[j]), rate[j]))
        self.table_ = pd.DataFrame(
            rows,
            columns=["status", "bin", "score_low", "score_high", "score_mean", "n_cells", "n_adopted", "adoption_rate"],
        )
        return self

    def predict(self, score, lapsed=None) -> np.ndarray:
        """Adoption probability of each cell (same shape as ``score``)."""
        score = np.asarray(score, dtype=float)
        lapsed = np.zeros(score.shape, dtype=bool) if lapsed is None else np.asarray(lapsed, dtype=bool)
        out = np.empty(score.shape)
        for status, mask in (("never", ~lapsed), ("lapsed", lapsed)):
            xs, ys = self.curves_[status]
            out[mask] = np.interp(score[mask], xs, ys)
        return out


# ---------------------------------------------------------------------------------------
# spend if adopted
# ---------------------------------------------------------------------------------------
SPEND_METHODS = ("peer_median", "peer_share", "peer_blend")


class _SpendModel:
    """Median yearly spend and median revenue share of each category among its buyers.

    ``peer_median``: the median spend of buyers; ``peer_share``: the account's revenue
    times the buyers' median share of revenue in the category; ``peer_blend``: the
    geometric mean of the two. Estimated per peer group, falling back to the industry and then to all buyers when a
    level has fewer than ``min_buyers`` buyers of the category.
    """

    def __init__(self, snap: Snapshot, min_buyers: int = 3) -> None:
        S = snap.spend_ltm
        self.C = S.shape[1]
        rev = S.sum(axis=1)
        a, c = np.nonzero(S > 0)
        self.buyers = pd.DataFrame({"c": c, "spend": S[a, c], "share": S[a, c] / rev[a]})
        self.min_buyers = min_buyers
        self.levels = {}
        for level, labels in (("peer", snap.peer_group), ("industry", snap.industry)):
            lab = pd.Series(labels.astype(str))
            self.levels[level] = self._medians(lab.to_numpy()[a])
        overall = self.buyers.groupby("c").agg(spend=("spend", "median"), share=("share", "median"))
        self.overall = overall.reindex(range(self.C))

    def _medians(self, keys: np.ndarray) -> pd.DataFrame:
        df = self.buyers.assign(key=keys)
        agg = df.groupby(["key", "c"]).agg(spend=("spend", "median"), share=("share", "median"), k=("spend", "size"))
        return agg[agg["k"] >= self.min_buyers]

    def _lookup(self, level: str, labels: np.ndarray, column: str) -> np.ndarray:
        table = self.levels[level][column]
        n = len(labels)
        idx = pd.MultiIndex.from_arrays([np.repeat(labels.astype(str), self.C), np.tile(np.arange(self.C), n)])
        return table.reindex(idx).to_numpy(dtype=float).reshape(n, self.C)

    def predict(self, snap: Snapshot, method: str) -> tuple[np.ndarray, np.ndarray]:
        """(spend if adopted (n, C), peer-group median spend (n, C), NaN without enough peer buyers)."""
        if method not in SPEND_METHODS:
            raise ValueError(f"spend method must be one of {SPEND_METHODS}, not {method!r}")

        def level_estimate(column: str) -> np.ndarray:
            est = self._lookup("peer", snap.peer_group, column)
            est = np.where(np.isnan(est), self._lookup("industry", snap.industry, column), est)
            est = np.where(np.isnan(est), self.overall[column].to_numpy(dtype=float)[None, :], est)
            return np.nan_to_num(est)

        median = level_estimate("spend") if method != "peer_share" else None
        share = level_estimate("share") * snap.revenue_ltm[:, None] if method != "peer_median" else None
        est = median if share is None else share if median is None else np.sqrt(median * share)
        return est, self._lookup("peer", snap.peer_group, "spend")


# ---------------------------------------------------------------------------------------
# backtest
# ---------------------------------------------------------------------------------------
@dataclass
class _Window:
    """One backtest window: the snapshot at the cutoff and what happened in the horizon after it."""

    snap: Snapshot
    adopted: np.ndarray  # (n, C) candidate cells bought in (cutoff, cutoff + horizon]
    spend_after: np.ndarray  # (n, C) revenue in the horizon
    scores: dict[str, np.ndarray]


def _window(portfolio: Portfolio, cutoff: pd.Timestamp, horizon_months: int, months: int, scorers: dict) -> _Window:
    snap = snapshot(portfolio.truncate(cutoff), months=months)
    end = cutoff + pd.DateOffset(months=horizon_months)
    lines = portfolio.order_lines
    od = lines["order_date"]
    w = lines[(od > cutoff) & (od <= end)]
    n, C = snap.spend_ltm.shape
    after = _matrix(
        _codes(w["account_id"], snap.account_ids),
        _codes(w["category"], snap.categories),
        w["net_revenue"].to_numpy(dtype=float),
        n,
        C,
    )
    adopted = snap.candidates & (after > 0)
    scores = {}
    for name, est in scorers.items():
        fitted = clone(est).fit(snap.spend_ltm, groups=snap.peer_group)
        scores[name] = fitted.predict(snap.spend_ltm, groups=snap.peer_group)
    return _Window(snap, adopted, after, scores)


def _topn(rank_key: np.ndarray, candidates: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(column indices (accounts, n) of the n best candidate cells per account, validity mask)."""
    key = np.where(candidates, rank_key, -np.inf)
    top = np.argsort(-key, axis=1, kind="stable")[:, :n]
    valid = np.isfinite(np.take_along_axis(key, top, axis=1))
    return top, valid


def _metrics(rank_key: np.ndarray, score: np.ndarray, win: _Window, n: int) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    cand = win.snap.candidates
    y = win.adopted
    top, valid = _topn(rank_key, cand, n)
    hits = np.take_along_axis(y, top, axis=1) & valid
    evaluated = cand.any(axis=1)
    adopters = y.any(axis=1) & evaluated
    n_recs = int(valid[evaluated].sum())
    # the best any ranking could do: every recommendation slot filled with an adoption where there is one
    ceiling = np.minimum(y.sum(axis=1), valid.sum(axis=1))[evaluated].sum()
    yc = y[cand]
    auc = float(roc_auc_score(yc, score[cand])) if 0 < yc.sum() < len(yc) else np.nan
    return {
        "precision_at_n": hits.sum() / n_recs if n_recs else np.nan,
        "precision_ceiling": ceiling / n_recs if n_recs else np.nan,
        "hit_rate": (hits.any(axis=1) & adopters).sum() / adopters.sum() if adopters.any() else np.nan,
        "account_hit_rate": hits.any(axis=1)[evaluated].mean() if evaluated.any() else np.nan,
        "recall_at_n": hits.sum() / y.sum() if y.sum() else np.nan,
        "auc": auc,
        "n_accounts": int(evaluated.sum()),
        "n_adopting_accounts": int(adopters.sum()),
        "n_adoptions": int(y.sum()),
        "n_candidates": int(cand.sum()),
        "base_rate": y.sum() / cand.sum() if cand.sum() else np.nan,
    }


def _rank_key(p: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank by calibrated probability, ties broken by the raw score."""
    return p + 1e-9 * score


@dataclass
class _BacktestResult:
    metrics: pd.DataFrame
    selected: str
    spend_method: str
    value_metrics: pd.DataFrame
    latest: _Window
    calibration_mode: str


def _history_start(portfolio: Portfolio) -> pd.Timestamp | None:
    od = portfolio.orders["order_date"]
    return None if od.empty else od.min()


def _run_backtest(
    portfolio: Portfolio,
    n: int = 5,
    months: int = 12,
    horizon_months: int = 12,
    scorers: dict[str, BaseEstimator] | None = None,
    cutoff: str | pd.Timestamp | None = None,
    calibrator: AdoptionCalibrator | None = None,
) -> _BacktestResult | NotAvailable:
    scorers = default_scorers() if scorers is None else dict(scorers)
    if not scorers:
        raise ValueError("backtest: give at least one candidate scorer")
    calibrator = AdoptionCalibrator() if calibrator is None else calibrator
    first = _history_start(portfolio)
    c2 = portfolio.as_of - pd.DateOffset(months=horizon_months) if cutoff is None else pd.Timestamp(cutoff)
    if c2 + pd.DateOffset(months=horizon_months) > portfolio.as_of:
        raise ValueError(f"backtest: the cutoff {c2.date()} leaves less than {horizon_months} months before as_of")
    if first is None or first > c2 - pd.DateOffset(months=months) + pd.DateOffset(months=1):
        return NotAvailable(
            f"The order history is too short for a whitespace backtest: it needs {months + horizon_months} months "
            f"and this portfolio has {order_history(portfolio).describe()}."
        )
    all_scorers = {**scorers, "popularity": PopularityScorer()}
    w2 = _window(portfolio, c2, horizon_months, months, all_scorers)
    c1 = c2 - pd.DateOffset(months=horizon_months)
    w1 = None
    if first <= c1 - pd.DateOffset(months=months) + pd.DateOffset(months=1):
        w1 = _window(portfolio, c1, horizon_months, months, scorers)
    mode = "previous window" if w1 is not None else "in-sample"
    rows = []
    calibrated: dict[str, np.ndarray] = {}
    for name in all_scorers:
        s2 = w2.scores[name]
        m = _metrics(s2, s2, w2, n)
        rows.append({"scorer": name, "ranking": "score", **m})
        if name == "popularity":
            continue
        fit_w = w1 if w1 is not None else w2
        cand = fit_w.snap.candidates
        cal = clone(calibrator).fit(fit_w.scores[name][cand], fit_w.adopted[cand], fit_w.snap.lapsed[cand])
        p = cal.predict(s2, w2.snap.lapsed)
        calibrated[name] = p
        rows.append({"scorer": name, "ranking": "calibrated", **_metrics(_rank_key(p, s2), s2, w2, n)})
    metrics = pd.DataFrame(rows)
    cal_rows = metrics[metrics["ranking"] == "calibrated"].fillna({"precision_at_n": -1, "hit_rate": -1, "auc": -1})
    best = cal_rows.sort_values(["precision_at_n", "hit_rate", "auc"], ascending=False, kind="stable").iloc[0]
    selected = str(best["scorer"])

    # spend estimate: which method predicts adopters' spend in the horizon better?
    spend_model = _SpendModel(w2.snap)
    ai, ci = np.nonzero(w2.adopted)
    vrows, preds = [], {}
    for method in SPEND_METHODS:
        pred, _ = spend_model.predict(w2.snap, method)
        preds[method] = pred
        pr, act = pred[ai, ci], w2.spend_after[ai, ci]
        ok = (pr > 0) & (act > 0)
        ratio = np.log(act[ok] / pr[ok])
        vrows.append(
            {
                "method": method,
                "n_adoptions": int(ok.sum()),
                "median_abs_log_error": float(np.median(np.abs(ratio))) if ok.any() else np.nan,
                "median_actual_to_predicted": float(np.exp(np.median(ratio))) if ok.any() else np.nan,
            }
        )
    value = pd.DataFrame(vrows)
    vbest = value.fillna({"median_abs_log_error": np.inf}).sort_values("median_abs_log_error", kind="stable")
    spend_method = str(vbest["method"].iloc[0])
    value["selected"] = value["method"] == spend_method
    value.insert(1, "cutoff", c2)

    # the alternative ranking: calibrated probability x spend
    ev_rows = []
    for name in scorers:
        p = calibrated[name]
        ev = p * np.nan_to_num(preds[spend_method])
        ev_rows.append({"scorer": name, "ranking": "expected_value", **_metrics(ev, w2.scores[name], w2, n)})
    metrics = pd.concat([metrics, pd.DataFrame(ev_rows)], ignore_index=True)
    base = metrics.loc[metrics["scorer"] == "popularity", "precision_at_n"].iloc[0]
    metrics["lift_over_popularity"] = metrics["precision_at_n"] / base if base > 0 else np.nan
    metrics["selected"] = (metrics["scorer"] == selected) & (metrics["ranking"] == "calibrated")
    metrics.insert(2, "n", n)
    metrics.insert(3, "cutoff", c2)
    metrics.insert(4, "horizon_months", horizon_months)
    metrics.insert(5, "calibration", np.where(metrics["ranking"] == "score", "", mode))
    return _BacktestResult(metrics, selected, spend_method, value, w2, mode)


def backtest(
    portfolio: Portfolio,
    n: int = 5,
    cutoff: str | pd.Timestamp | None = None,
    horizon_months: int = 12,
    months: int = 12,
    scorers: dict[str, BaseEstimator] | None = None,
) -> pd.DataFrame | NotAvailable:
    """Backtest cross-sell recommendations made as of a past date.

    At ``cutoff`` (default ``as_of - horizon_months``) every scorer ranks the empty and
    lapsed cells of each active account using only ``portfolio.truncate(cutoff)``; the
    top ``n`` are compared with the categories the account actually bought in the
    following ``horizon_months`` months (and did not buy in the ``months`` before the
    cutoff). Rankings: ``score`` (raw scorer output) and ``calibrated`` (probabilities
    calibrated on the window before, so lapsed cells rank by their own adoption rates);
    ``popularity`` (the most-bought categories the account lacks) is the baseline.

    Returns one row per scorer x ranking: ``scorer, ranking, n, cutoff, horizon_months,
    calibration, precision_at_n`` (share of recommendations adopted),
    ``precision_ceiling`` (the best precision any ranking could reach, as few accounts
    adopt anything in a year), ``hit_rate``
    (share of adopting accounts with an adoption among their n recommendations),
    ``account_hit_rate`` (same over all evaluated accounts), ``recall_at_n``, ``auc``
    (over all candidate cells), ``n_accounts, n_adopting_accounts, n_adoptions,
    n_candidates, base_rate, lift_over_popularity, selected``. NotAvailable when the
    order history is shorter than ``months + horizon_months``.
    """
    result = _run_backtest(portfolio, n, months, horizon_months, scorers, cutoff)
    return result if isinstance(result, NotAvailable) else result.metrics


# ---------------------------------------------------------------------------------------
# the cross-sell model
# ---------------------------------------------------------------------------------------
def _peer_evidence(snap: Snapshot, min_peers: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of *other* active accounts of the same peer group buying each category, for rationales.

    Uses the peer group when it has at least ``min_peers`` other active accounts, else the
    industry, else all active accounts. Returns ``(share (n, C), n_peers (n,), group label (n,))``.
    """
    X, own = snap.spend_ltm, snap.active.astype(float)
    n = len(X)
    share = np.full(X.shape, np.nan)
    size = np.zeros(n)
    label = np.full(n, "all active accounts", dtype=object)
    done = np.zeros(n, dtype=bool)
    levels = [(snap.peer_group, snap.peer_group), (snap.industry, snap.industry), (np.zeros(n, dtype=object), label)]
    for groups, labels in levels:
        raw, total = PeerScorer(prior_strength=0.0).fit(X, groups=groups).peer_share(X, groups)
        others = total - own
        use = ~done & ((others >= min_peers) | (groups is levels[-1][0]))
        with np.errstate(invalid="ignore", divide="ignore"):
            loo = np.where(others[:, None] > 0, (raw * total[:, None] - snap.bought) / others[:, None], np.nan)
        share[use] = loo[use]
        size[use] = others[use]
        label[use] = labels[use]
        done |= use
    return share, size, label


class CrossSellModel(BaseEstimator):
    """Cross-sell opportunities per account: scorer picked and probabilities calibrated by backtest.

    Parameters
    ----------
    scorer : ``"auto"`` (best backtest precision among ``peers``, ``co_purchase``,
        ``blend``) or one of those names.
    n : recommendations per account (also the N of the backtest).
    months : the window that defines "bought" (and lapsed: bought before it only).
    horizon_months : how far ahead adoption is measured in the backtest.
    spend_method : ``"auto"`` (smallest backtest error), ``"peer_median"``, ``"peer_share"``
        or ``"peer_blend"``.
    rank_by : ``"p_adopt"`` (default; the ranking the backtest selects on) or
        ``"expected_value"`` (p_adopt x spend; see the backtest's ``expected_value`` rows).

    ``fit(portfolio, segments=None)`` runs the backtest and learns ``scorer_`` (name),
    ``spend_method_``, ``backtest_`` (see :func:`backtest`), ``value_backtest_``,
    ``calibrator_`` (fitted on the most recent window) and ``calibration_`` (its table),
    ``affinity_`` (category pairs). ``recommend(portfolio)`` and ``score_grid(portfolio)``
    apply it at ``portfolio.as_of``. ``spend_scale_`` is the backtest's median ratio of
    adopters' actual first-year spend to the peer estimate (new categories ramp up), so
    ``spend_if_adopted`` is first-year revenue. Without enough history for a backtest the blend
    scorer is used and ``p_adopt`` is the raw score (``calibrated_ = False``).
    """

    def __init__(
        self,
        scorer: str = "auto",
        n: int = 5,
        months: int = 12,
        horizon_months: int = 12,
        spend_method: str = "auto",
        rank_by: str = "p_adopt",
    ) -> None:
        self.scorer = scorer
        self.n = n
        self.months = months
        self.horizon_months = horizon_months
        self.spend_method = spend_method
        self.rank_by = rank_by

    def fit(self, portfolio: Portfolio, y=None, segments: pd.DataFrame | None = None) -> CrossSellModel:
        """Backtest, select the scorer and spend estimate, calibrate. Returns self."""
        candidates = default_scorers()
        if self.scorer != "auto" and self.scorer not in candidates:
            raise ValueError(f"CrossSellModel: scorer must be 'auto' or one of {list(candidates)}, not {self.scorer!r}")
        if self.spend_method != "auto" and self.spend_method not in SPEND_METHODS:
            raise ValueError(f"CrossSellModel: spend_method must be 'auto' or one of {SPEND_METHODS}")
        if self.rank_by not in ("expected_value", "p_adopt"):
            raise ValueError("CrossSellModel: rank_by must be 'expected_value' or 'p_adopt'")
        scorers = candidates if self.scorer == "auto" else {self.scorer: candidates[self.scorer]}
        result = _run_backtest(portfolio, self.n, self.months, self.horizon_months, scorers)
        self.segments_ = segments
        if isinstance(result, NotAvailable):
            self.backtest_ = result
            self.value_backtest_ = result
            self.scorer_ = "blend" if self.scorer == "auto" else self.scorer
            self.spend_method_ = "peer_share" if self.spend_method == "auto" else self.spend_method
            self.calibrator_ = None
            self.calibration_ = result
            self.calibrated_ = False
            self.spend_scale_ = 1.0
        else:
            self.backtest_ = result.metrics
            self.value_backtest_ = result.value_metrics
            self.scorer_ = result.selected
            self.spend_method_ = result.spend_method if self.spend_method == "auto" else self.spend_method
            w = result.latest
            cand = w.snap.candidates
            self.calibrator_ = AdoptionCalibrator().fit(
                w.scores[self.scorer_][cand], w.adopted[cand], w.snap.lapsed[cand]
            )
            self.calibration_ = self.calibrator_.table_.assign(scorer=self.scorer_)
            self.calibrated_ = True
            v = result.value_metrics.set_index("method")["median_actual_to_predicted"]
            ratio = v.get(self.spend_method_, np.nan)
            self.spend_scale_ = float(np.clip(ratio, 0.1, 1.5)) if np.isfinite(ratio) else 1.0
        self.affinity_ = category_affinity(portfolio, months=self.months)
        return self

    # -- application ------------------------------------------------------------------
    def _check(self) -> None:
        check_is_fitted(self, "scorer_", msg="This CrossSellModel is not fitted yet; call fit(portfolio) first.")

    def _score(self, portfolio: Portfolio, segments: pd.DataFrame | None) -> dict[str, np.ndarray | Snapshot]:
        self._check()
        segments = self.segments_ if segments is None else segments
        snap = snapshot(portfolio, months=self.months, segments=segments)
        X, groups = snap.spend_ltm, snap.peer_group
        est = default_scorers()[self.scorer_].fit(X, groups=groups)
        score = est.predict(X, groups=groups)
        p = self.calibrator_.predict(score, snap.lapsed) if self.calibrated_ else score
        spend_model = _SpendModel(snap)
        spend, median_spend = spend_model.predict(snap, self.spend_method_)
        spend = spend * self.spend_scale_
        share, size, evidence = _peer_evidence(snap)
        cf = ItemCFScorer().fit(X)
        link, link_conf = cf.strongest_link(X)
        cand = snap.candidates
        return {
            "snap": snap,
            "score": np.where(cand, score, np.nan),
            "p_adopt": np.where(cand, p, np.nan),
            "spend": np.where(cand, spend, np.nan),
            "median_spend": median_spend,
            "peer_share": share,
            "peer_size": size,
            "peer_evidence_group": evidence,
            "link": link,
            "link_conf": link_conf,
        }

    def score_grid(self, portfolio: Portfolio, segments: pd.DataFrame | None = None) -> pd.DataFrame:
        """The whitespace grid with ``score, p_adopt, spend_if_adopted, expected_value`` per empty/lapsed cell.

        Cells that are bought, or belong to accounts without revenue in the window,
        have NaN in those columns. Adds ``peer_group``.
        """
        return self._grid_from(self._score(portfolio, segments))

    def _grid_from(self, s: dict) -> pd.DataFrame:
        snap = s["snap"]
        grid = _grid_frame(snap)
        C = len(snap.categories)
        grid["peer_group"] = pd.Series(np.repeat(snap.peer_group, C), dtype="str")
        grid["score"] = s["score"].ravel()
        grid["p_adopt"] = s["p_adopt"].ravel()
        grid["spend_if_adopted"] = s["spend"].ravel()
        grid["expected_value"] = (s["p_adopt"] * s["spend"]).ravel()
        return grid

    def recommend(
        self,
        portfolio: Portfolio,
        account_id: str | Sequence[str] | None = None,
        n: int | None = None,
        segments: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Top ``n`` cross-sell opportunities per account (see :func:`recommend`)."""
        return self._recommend_from(self._score(portfolio, segments), account_id, n)

    def _recommend_from(self, s: dict, account_id: str | Sequence[str] | None, n: int | None) -> pd.DataFrame:
        n = self.n if n is None else int(n)
        if n < 1:
            raise ValueError("recommend: n must be at least 1")
        snap: Snapshot = s["snap"]
        rows = np.arange(len(snap.account_ids))
        if account_id is not None:
            wanted = [account_id] if isinstance(account_id, str) else list(account_id)
            known = pd.Index(snap.account_ids)
            unknown = [a for a in wanted if a not in known]
            if unknown:
                raise KeyError(f"recommend: account_id(s) {unknown} are not in the accounts table")
            rows = known.get_indexer(wanted)
        p, spend, score = s["p_adopt"][rows], s["spend"][rows], s["score"][rows]
        ev = p * spend
        key = ev if self.rank_by == "expected_value" else _rank_key(p, np.nan_to_num(score))
        cand = snap.candidates[rows]
        top, valid = _topn(np.nan_to_num(key, nan=-1.0), cand, n)
        r_idx, rank_pos = np.nonzero(valid)
        acc_rows = rows[r_idx]
        cat = top[r_idx, rank_pos]
        sub = (r_idx, cat)
        full = (acc_rows, cat)
        out = pd.DataFrame(
            {
                "account_id": pd.Series(snap.account_ids[acc_rows], dtype="str"),
                "rank": (rank_pos + 1).astype(np.int64),
                "category": pd.Series(snap.categories[cat], dtype="str"),
                "status": pd.Series(snap.status[full], dtype="str"),
                "score": score[sub],
                "p_adopt": p[sub],
                "spend_if_adopted": spend[sub],
                "expected_value": ev[sub],
                "peer_group": pd.Series(snap.peer_group[acc_rows], dtype="str"),
                "peer_evidence_group": pd.Series(s["peer_evidence_group"][acc_rows], dtype="str"),
                "peer_share": s["peer_share"][full],
                "n_peers": s["peer_size"][acc_rows].astype(np.int64),
                "peer_median_spend": s["median_spend"][full],
                "related_category": pd.Series(
                    np.where(s["link"][full] >= 0, snap.categories[np.maximum(s["link"][full], 0)], None), dtype="str"
                ),
                "related_share": s["link_conf"][full],
                "last_order_date": snap.last_order[full],
                "scorer": self.scorer_,
            }
        )
        out["rationale"] = _rationale(out, snap.months)
        out["recommended"] = (out["p_adopt"] >= MIN_USEFUL_P).to_numpy(dtype=bool)
        return out.reset_index(drop=True)


def _rationale(recs: pd.DataFrame, months: int) -> pd.Series:
    """Plain-words reason per recommendation, built column-wise.

    Leads with the stronger evidence: the share of similar accounts buying the category,
    or the share of buyers of a related category (that this account buys) who also buy it.
    """
    if recs.empty:
        return pd.Series([], dtype="str")

    def pct(x: pd.Series) -> pd.Series:
        return (x * 100).round().astype("Int64").astype("str")

    median = recs["peer_median_spend"]
    has_median = median.notna() & (median > 0)
    peer = (
        pct(recs["peer_share"])
        + "% of "
        + recs["n_peers"].astype(str)
        + " similar accounts ("
        + recs["peer_evidence_group"]
        + ") buy "
        + recs["category"]
        + pd.Series(np.where(has_median, " (median spend " + median.map(money) + " a year).", "."), index=recs.index)
    )
    link = (
        pct(recs["related_share"])
        + "% of accounts that buy "
        + recs["related_category"].fillna("")
        + " (as this account does) also buy "
        + recs["category"]
        + "."
    )
    use_link = recs["related_category"].notna() & (
        recs["peer_share"].isna() | (recs["related_share"] > recs["peer_share"])
    )
    few_peers = use_link & recs["peer_share"].notna() & (recs["peer_share"] < 0.10)
    group = " similar accounts (" + recs["peer_evidence_group"] + ")"
    caveat = pd.Series(
        np.where(
            recs["peer_share"] > 0,
            " Only " + pct(recs["peer_share"]) + "% of " + recs["n_peers"].astype(str) + group + " buy it.",
            " None of the " + recs["n_peers"].astype(str) + group + " buys it yet.",
        ),
        index=recs.index,
    )
    text = peer.where(~use_link, link) + caveat.where(few_peers, "")
    text = text + " Expected first-year spend if it starts: " + recs["spend_if_adopted"].map(money) + "."
    lapsed = (
        " Bought until "
        + recs["last_order_date"].dt.strftime("%b %Y").fillna("")
        + f", nothing in the last {months} months."
    )
    text = text + lapsed.where(recs["status"] == "lapsed", "")
    return text.fillna("").str.strip().astype("str")


def recommend(
    portfolio: Portfolio,
    account_id: str | Sequence[str] | None = None,
    n: int = 5,
    segments: pd.DataFrame | None = None,
    model: CrossSellModel | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Top ``n`` cross-sell opportunities per account, with expected value and a rationale.

    Fits a :class:`CrossSellModel` (backtest-selected scorer, calibrated probabilities)
    unless a fitted ``model`` is given; ``as_of`` makes them as of an earlier date
    (``portfolio.truncate(as_of)``). Only active accounts (revenue in the last 12
    months) get recommendations; ``account_id`` (one id or a list) restricts the output.

    Returns one row per recommendation: ``account_id, rank`` (1 = best), ``category,
    status`` (never / lapsed), ``score`` (raw scorer output), ``p_adopt`` (calibrated
    probability to start buying within 12 months), ``spend_if_adopted`` (first-year
    revenue), ``expected_value`` (= p_adopt x spend_if_adopted), ``peer_group`` (the
    scorer's peer group), ``peer_evidence_group, peer_share, n_peers`` (share of the
    other active accounts of that group buying the category; the industry or all
    accounts when the peer group has fewer than 5 others), ``peer_median_spend, related_category, related_share, last_order_date,
    scorer, rationale`` (e.g. "72% of 25 similar accounts (Feed milling, large) buy
    Feed additives; median spend 41.0k a year."), ``recommended`` (True where p_adopt is
    at least :data:`MIN_USEFUL_P`; the rest are ranked opportunities, not recommendations).
    """
    portfolio = _at(portfolio, as_of)
    if model is None:
        model = CrossSellModel(n=n).fit(portfolio, segments=segments)
    return model.recommend(portfolio, account_id=account_id, n=n, segments=segments)


# ---------------------------------------------------------------------------------------
# trade lanes / product-line review
# ---------------------------------------------------------------------------------------
def tradelanes(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    up: float = 0.10,
    down: float = 0.10,
    months: int = 12,
) -> pd.DataFrame:
    """Year-over-year review of each account x product line (category).

    Compares the last ``months`` months with the ``months`` before. ``status``: ``new``
    (nothing before), ``lost`` (nothing now), ``up-trading`` (revenue up more than
    ``up``), ``down-trading`` (down more than ``down``), else ``stable``.

    Returns one row per account x category with revenue in either period:
    ``account_id, category, status, revenue_ltm, revenue_prior, revenue_change,
    revenue_change_pct, margin_ltm, margin_prior, margin_change, margin_pct_ltm,
    margin_pct_prior, loss_making`` (margin in the last period below zero).
    """
    portfolio = _at(portfolio, as_of)
    lines = portfolio.order_lines
    t1 = portfolio.as_of - pd.DateOffset(months=months)
    t0 = portfolio.as_of - pd.DateOffset(months=2 * months)
    od = lines["order_date"]
    keep = (od > t0) & (od <= portfolio.as_of)
    sub = lines.loc[keep, ["account_id", "category", "net_revenue", "margin"]]
    now = (od[keep] > t1).to_numpy()
    frame = sub.assign(
        revenue_ltm=np.where(now, sub["net_revenue"], 0.0),
        revenue_prior=np.where(now, 0.0, sub["net_revenue"]),
        margin_ltm=np.where(now, sub["margin"], 0.0),
        margin_prior=np.where(now, 0.0, sub["margin"]),
    )
    out = (
        frame.groupby(["account_id", "category"], observed=True, sort=True)[
            ["revenue_ltm", "revenue_prior", "margin_ltm", "margin_prior"]
        ]
        .sum()
        .reset_index()
    )
    out["revenue_change"] = out["revenue_ltm"] - out["revenue_prior"]
    prior = out["revenue_prior"]
    out["revenue_change_pct"] = (out["revenue_change"] / prior).where(prior > 0)
    out["margin_change"] = out["margin_ltm"] - out["margin_prior"]
    out["margin_pct_ltm"] = (out["margin_ltm"] / out["revenue_ltm"]).where(out["revenue_ltm"] > 0)
    out["margin_pct_prior"] = (out["margin_prior"] / prior).where(prior > 0)
    chg = out["revenue_change_pct"]
    status = np.select(
        [prior <= 0, out["revenue_ltm"] <= 0, chg > up, chg < -down],
        ["new", "lost", "up-trading", "down-trading"],
        "stable",
    )
    out.insert(2, "status", pd.Series(status, dtype="str"))
    out["loss_making"] = (out["margin_ltm"] < 0) & (out["revenue_ltm"] > 0)
    out["account_id"] = out["account_id"].astype("str")
    out["category"] = out["category"].astype("str")
    return out


NO_PRIOR_YEAR = "no prior year"  # trade-lane status when the prior 12 months are not in the data


def without_prior_year(lanes: pd.DataFrame) -> pd.DataFrame:
    """:func:`tradelanes` rows when the 12 months before the last 12 are not in the order
    history: the prior-year figures are unknown (NaN), not zero, and the status is
    :data:`NO_PRIOR_YEAR` instead of a comparison; the last 12 months and ``loss_making`` stay."""
    out = lanes[lanes["revenue_ltm"] != 0].copy()
    for col in ("revenue_prior", "revenue_change", "revenue_change_pct", "margin_prior", "margin_change"):
        out[col] = np.nan
    out["margin_pct_prior"] = np.nan
    out["status"] = pd.Series([NO_PRIOR_YEAR] * len(out), index=out.index, dtype="str")
    return out.reset_index(drop=True)


def tradelane_summary(lanes: pd.DataFrame) -> pd.DataFrame:
    """Portfolio summary of :func:`tradelanes`: one row per status plus ``all lines``.

    Columns ``status, n_lanes, n_accounts, revenue_ltm, revenue_prior, revenue_change,
    margin_ltm, margin_prior, margin_change, n_loss_making, margin_loss_making``.
    """
    frame = lanes.assign(
        _lm_margin=lanes["margin_ltm"].where(lanes["loss_making"], 0.0), _lm=lanes["loss_making"].astype(int)
    )
    aggs = {
        "n_lanes": ("category", "size"),
        "n_accounts": ("account_id", "nunique"),
        "revenue_ltm": ("revenue_ltm", "sum"),
        "revenue_prior": ("revenue_prior", "sum"),
        "revenue_change": ("revenue_change", "sum"),
        "margin_ltm": ("margin_ltm", "sum"),
        "margin_prior": ("margin_prior", "sum"),
        "margin_change": ("margin_change", "sum"),
        "n_loss_making": ("_lm", "sum"),
        "margin_loss_making": ("_lm_margin", "sum"),
    }
    per = frame.groupby("status", observed=True).agg(**aggs).reindex(list(LANE_STATUSES))
    per = per.fillna(0).reset_index()
    total = frame.assign(status="all lines").groupby("status").agg(**aggs).reset_index()
    out = pd.concat([per, total], ignore_index=True)
    for c in ("n_lanes", "n_accounts", "n_loss_making"):
        out[c] = out[c].astype(np.int64)
    out["status"] = out["status"].astype("str")
    return out


# ---------------------------------------------------------------------------------------
# bundle
# ---------------------------------------------------------------------------------------
def _account_summary(
    snap_grid: pd.DataFrame, recs: pd.DataFrame, lanes: pd.DataFrame, accounts: pd.Series
) -> pd.DataFrame:
    base = pd.DataFrame({"account_id": accounts.astype("str")})
    g = snap_grid.assign(
        _bought=snap_grid["status"] == "bought",
        _lapsed=snap_grid["status"] == "lapsed",
        _never=snap_grid["status"] == "never",
    )
    cells = g.groupby("account_id", observed=True).agg(
        n_categories_bought=("_bought", "sum"), n_lapsed=("_lapsed", "sum"), n_never=("_never", "sum")
    )
    useful = recs[recs["recommended"]] if "recommended" in recs.columns else recs
    r = useful.groupby("account_id", observed=True).agg(
        whitespace_value=("expected_value", "sum"), n_recommendations=("category", "size")
    )
    top = useful.drop_duplicates("account_id").set_index("account_id")[["category", "expected_value"]]
    top.columns = ["top_whitespace_category", "top_whitespace_value"]
    lane_counts = pd.crosstab(lanes["account_id"], lanes["status"]).reindex(columns=list(LANE_STATUSES), fill_value=0)
    lane_counts.columns = [f"lines_{c.replace('-', '_')}" for c in lane_counts.columns]
    lm = lanes.groupby("account_id", observed=True)["loss_making"].sum().rename("loss_making_lines")
    out = base.merge(cells, on="account_id", how="left").merge(r, on="account_id", how="left")
    out = out.merge(top, on="account_id", how="left").merge(lane_counts, on="account_id", how="left")
    out = out.merge(lm, on="account_id", how="left")
    ints = ["n_categories_bought", "n_lapsed", "n_never", "n_recommendations", "loss_making_lines"]
    ints += list(lane_counts.columns)
    for c in ints:
        out[c] = out[c].fillna(0).astype(np.int64)
    out["whitespace_value"] = out["whitespace_value"].fillna(0.0)
    out["top_whitespace_category"] = out["top_whitespace_category"].astype("str")
    return out


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The whitespace and trade-lane tables of the analysis bundle.

    Per account: ``whitespace_grid`` (account x category with status, revenue, p_adopt,
    expected_value), ``whitespace_recommendations`` (top 5), ``whitespace_accounts``
    (one row: whitespace_value, top category, lapsed/never counts, trade-lane counts,
    loss-making lines), ``tradelanes`` (account x category). Portfolio-level:
    ``whitespace_backtest``, ``whitespace_value_backtest``, ``whitespace_calibration``,
    ``whitespace_affinity``, ``tradelanes_summary``. Uses ``inputs["segments"]`` for
    the peer groups when present.
    """
    segments = inputs.get("segments")
    if isinstance(segments, NotAvailable):
        segments = None
    out: dict[str, pd.DataFrame | NotAvailable] = {}
    model = CrossSellModel().fit(portfolio, segments=segments)
    scored = model._score(portfolio, segments)
    grid = model._grid_from(scored)
    recs = model._recommend_from(scored, None, None)
    lanes = tradelanes(portfolio)
    history = order_history(portfolio)
    lanes_missing: NotAvailable | None = None
    if not history.covers_months_back(24):  # the prior 12 months are not (all) in the data
        lanes_missing = NotAvailable(
            "The trade-lane review compares each product line's last 12 months with the 12 before; that needs 24 "
            f"months of order history and this portfolio has {history.describe()}, so no line is called new, "
            "up-trading, down-trading or lost (loss-making lines are still shown)."
        )
        lanes = without_prior_year(lanes)
    out["whitespace_grid"] = grid
    out["whitespace_recommendations"] = recs
    out["whitespace_accounts"] = _account_summary(grid, recs, lanes, portfolio.accounts["account_id"])
    out["whitespace_backtest"] = model.backtest_
    out["whitespace_value_backtest"] = model.value_backtest_
    out["whitespace_calibration"] = model.calibration_
    out["whitespace_affinity"] = model.affinity_
    if lanes_missing is not None:
        out["tradelanes_summary"] = lanes_missing
        out["tradelanes"] = lanes if len(lanes) else lanes_missing
        out["_notes"] = {"tradelanes": lanes_missing.reason}
    elif len(lanes):
        out["tradelanes"] = lanes
        out["tradelanes_summary"] = tradelane_summary(lanes)
    else:
        out["tradelanes"] = out["tradelanes_summary"] = NotAvailable(
            "No orders in the last two years, so there is no trade-lane review."
        )
    return out
