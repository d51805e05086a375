"""Cross-sell scorers (spend matrix -> adoption scores in [0, 1]) and the adoption-probability calibrator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression

from kamtools.whitespace.grid import _cooccurrence


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
    score_mean, n_cells, n_adopted, adoption_rate) and ``has_lapsed_`` (False when no lapsed
    cell was given: their curve is then the overall rate, not a measured one).
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
        self.has_lapsed_ = bool(lapsed.any())  # without lapsed cells their curve is the overall rate, not measured
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
