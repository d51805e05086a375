"""The cross-sell model (scorer, calibration and spend estimate picked by backtest) and its recommendations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.display import money
from kamtools.whitespace.backtest import (
    LapsedAdjustment,
    _calibrate_lapsed,
    _rank_key,
    _run_backtest,
    _topn,
    revenue_ratio,
)
from kamtools.whitespace.grid import Snapshot, _at, _grid_frame, category_affinity, snapshot
from kamtools.whitespace.scorers import AdoptionCalibrator, ItemCFScorer, PeerScorer, default_scorers
from kamtools.whitespace.spend import SPEND_METHODS, _SpendModel

MIN_USEFUL_P = 0.10
"""Adoption probability from which a whitespace opportunity is ``recommended``: below it the
category is still listed (ranked) but a KAM's time is better spent elsewhere."""


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


def _uncalibrated_reason(backtest_reason: str) -> str:
    """The one sentence a user reads where the cross-sell scores are not calibrated."""
    return (
        backtest_reason.rstrip(".")
        + ". Without that test the cross-sell scores cannot be turned into adoption probabilities: categories are "
        "ranked by a score that is not a probability (the share of similar accounts and of buyers of related categories that "
        "buy them), no adoption probability or probability-weighted value is given, and none is counted in the "
        "plan's revenue objective."
    )


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
    ``affinity_`` (category pairs), ``lapsed_adjustment_`` (a
    :class:`~kamtools.whitespace.backtest.LapsedAdjustment`: the lapsed level of the last 6 months, used when
    the calibration window had no lapsed cell). ``recommend(portfolio)`` and ``score_grid(portfolio)``
    apply them at ``portfolio.as_of``, where a lapsed category of an account whose revenue fell below half of
    the year before has its chance scaled by that ratio, as a hazard
    (:func:`~kamtools.whitespace.backtest.scale_by_activity`). ``spend_scale_`` is the backtest's median ratio of
    adopters' actual first-year spend to the peer estimate (new categories ramp up), so
    ``spend_if_adopted`` is first-year revenue. Without enough history for a backtest the blend
    scorer is used (``calibrated_ = False``): the raw score ranks the categories, ``p_adopt`` and
    ``expected_value`` are NaN (a score is not a probability) and ``recommended`` compares the score
    with :data:`MIN_USEFUL_P`; :attr:`uncalibrated_reason_` says why in one sentence.
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
            self.uncalibrated_reason_ = _uncalibrated_reason(result.reason)
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
            self.uncalibrated_reason_ = None
            v = result.value_metrics.set_index("method")["median_actual_to_predicted"]
            ratio = v.get(self.spend_method_, np.nan)
            self.spend_scale_ = float(np.clip(ratio, 0.1, 1.5)) if np.isfinite(ratio) else 1.0
        self.lapsed_adjustment_ = LapsedAdjustment.fit(portfolio, portfolio.as_of, self.months)
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
        # without a calibration the raw score is not a probability: no p_adopt (nor expected value) is given
        if self.calibrated_:
            ratio = revenue_ratio(portfolio, snap.as_of, snap.account_ids)
            p = _calibrate_lapsed(self.calibrator_, self.lapsed_adjustment_, score, snap, ratio)
        else:
            p = np.full(score.shape, np.nan)
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
        if not self.calibrated_:
            key = score  # no probability: rank by the raw score
        elif self.rank_by == "expected_value":
            key = ev
        else:
            key = _rank_key(p, np.nan_to_num(score))
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
        useful = out["p_adopt"] if self.calibrated_ else out["score"]
        out["recommended"] = (useful >= MIN_USEFUL_P).to_numpy(dtype=bool)
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
    probability to start buying within 12 months; NaN when the history is too short to
    calibrate, see :class:`CrossSellModel`), ``spend_if_adopted`` (first-year
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
