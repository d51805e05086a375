"""The cross-sell backtest: recommendations made as of a past date against what accounts then bought."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import order_history
from kamtools.whitespace.grid import Snapshot, _codes, _matrix, snapshot
from kamtools.whitespace.scorers import AdoptionCalibrator, PopularityScorer, default_scorers
from kamtools.whitespace.spend import SPEND_METHODS, _SpendModel


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


RECENT_MONTHS = 6
"""Length of the most recent window whose lapsed cells give the lapsed level when the calibration window has none."""
FELL_TO = 0.5
"""An account's revenue "fell" when its last 12 months are below this share of the 12 months before."""


def revenue_ratio(portfolio: Portfolio, as_of: pd.Timestamp, account_ids: np.ndarray) -> np.ndarray:
    """(n,) each account's revenue in the 12 months to ``as_of`` over its revenue in the 12 months before; NaN
    where that earlier revenue is not positive (or the account has no order line). Reads nothing after ``as_of``."""
    lines = portfolio.order_lines
    od = lines["order_date"]
    a = _codes(lines["account_id"], account_ids)
    rev = lines["net_revenue"].to_numpy(dtype=float)
    year_ago = as_of - pd.DateOffset(months=12)
    last = ((od > year_ago) & (od <= as_of)).to_numpy() & (a >= 0)
    before = ((od > year_ago - pd.DateOffset(months=12)) & (od <= year_ago)).to_numpy() & (a >= 0)
    n = len(account_ids)
    r_last = np.bincount(a[last], weights=rev[last], minlength=n)
    r_before = np.bincount(a[before], weights=rev[before], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(r_before > 0, r_last / r_before, np.nan)


def revenue_fell(portfolio: Portfolio, as_of: pd.Timestamp, account_ids: np.ndarray) -> np.ndarray:
    """(n,) True where an account's revenue in the 12 months to ``as_of`` is below :data:`FELL_TO` times its
    revenue in the 12 months before (and that earlier revenue is positive); reads nothing after ``as_of``."""
    ratio = revenue_ratio(portfolio, as_of, account_ids)
    return np.nan_to_num(ratio, nan=np.inf) < FELL_TO


def scale_by_activity(p: np.ndarray, lapsed: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """``p`` (n, C) with each lapsed cell of an account whose revenue fell (``ratio``, see :func:`revenue_ratio`,
    below :data:`FELL_TO`) scaled as a hazard by the account's remaining activity: ``1 - (1 - p) ** ratio``.

    A lapsed category comes back at one of the account's purchases; an account that now buys a fraction ``ratio``
    of what it bought the year before has that fraction of the chances, so the rate (hazard) of the category
    coming back is scaled by ``ratio``. The calibration window, a year older, cannot learn this (its accounts whose
    revenue fell were mostly passing dips; nor can the last 6 months, see
    ``benchmarks/bench_competitors_whitespace.py``): the scaling has no fitted parameter. Smaller falls are within
    the year-to-year noise of an account's revenue (and partly the lapsed category's own revenue) and are left
    alone, as are cells that are not lapsed.
    """
    x = np.clip(np.nan_to_num(np.asarray(ratio, dtype=float), nan=1.0), 0.0, 1.0)
    fell = x < FELL_TO
    scaled = 1.0 - (1.0 - np.clip(p, 0.0, 1.0)) ** x[:, None]
    return np.where(lapsed & fell[:, None], scaled, p)


@dataclass
class LapsedAdjustment:
    """How the lapsed categories of the most recent :data:`RECENT_MONTHS` months came back, as of ``cutoff``.

    ``rate_12m`` is their pooled rate ((adopted + 1) / (cells + 2)) as a 12-month probability
    (1 - (1 - r)^(12 / RECENT_MONTHS)): the lapsed level used when the calibration window has no lapsed cell
    (24 months of history); NaN where the recent window has no lapsed cell either. ``n_cells`` and ``n_adopted``
    are the lapsed cells of that window and how many were bought again in it.
    """

    cutoff: pd.Timestamp
    n_cells: int
    n_adopted: int
    rate_12m: float

    @classmethod
    def fit(cls, portfolio: Portfolio, as_of: pd.Timestamp, months: int = 12) -> LapsedAdjustment:
        """Measured on ``portfolio`` up to ``as_of`` only (the window ends there)."""
        cutoff = as_of - pd.DateOffset(months=RECENT_MONTHS)
        first = _history_start(portfolio)
        if first is None or first > cutoff - pd.DateOffset(months=months):  # no lapsed cell is possible yet
            return cls(cutoff, 0, 0, np.nan)
        w = _window(portfolio, cutoff, RECENT_MONTHS, months, {})
        lapsed = w.snap.lapsed & w.snap.candidates
        n, y = int(lapsed.sum()), int((w.adopted & lapsed).sum())
        if n == 0:
            return cls(cutoff, 0, 0, np.nan)
        recent = (y + 1) / (n + 2)  # none (or all) bought again in a few cells is not 0 (or 1)
        return cls(cutoff, n, y, float(1 - (1 - recent) ** (12 / RECENT_MONTHS)))


def _calibrate_lapsed(
    cal: AdoptionCalibrator, adj: LapsedAdjustment, score: np.ndarray, snap: Snapshot, ratio: np.ndarray
) -> np.ndarray:
    """Calibrated probabilities at ``snap``: the lapsed level from the recent window when the calibration
    window had no lapsed cell, then the lapsed cells of accounts whose revenue fell scaled by their activity
    (``ratio``, see :func:`scale_by_activity`)."""
    p = cal.predict(score, snap.lapsed)
    if not cal.has_lapsed_ and np.isfinite(adj.rate_12m):
        p = np.where(snap.lapsed, adj.rate_12m, p)
    return scale_by_activity(p, snap.lapsed, ratio)


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


def _spend_backtest(w2: _Window, c2: pd.Timestamp) -> tuple[pd.DataFrame, str, dict[str, np.ndarray]]:
    """Which spend method predicts adopters' spend in the horizon best: (table, chosen method, predictions)."""
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
    return value, spend_method, preds


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
            f"The order history is too short to test the cross-sell recommendations on past data: it needs {months + horizon_months} months "
            f"and this portfolio has {order_history(portfolio).describe()}."
        )
    all_scorers = {**scorers, "popularity": PopularityScorer()}
    w2 = _window(portfolio, c2, horizon_months, months, all_scorers)
    c1 = c2 - pd.DateOffset(months=horizon_months)
    w1 = None
    if first <= c1 - pd.DateOffset(months=months) + pd.DateOffset(months=1):
        w1 = _window(portfolio, c1, horizon_months, months, scorers)
    mode = "previous window" if w1 is not None else "in-sample"
    if not w2.snap.candidates.any() or not (w1 if w1 is not None else w2).snap.candidates.any():
        return NotAvailable(
            f"No account had a category left to start buying at {c2.date()}: every account that bought then "
            "already bought every product category (categories of charges are no whitespace), so there is nothing "
            "to backtest recommendations on."
        )
    # the recent lapsed level (used when the calibration window has no lapsed cell) and each account's activity
    adj2 = LapsedAdjustment.fit(portfolio, c2, months)
    ratio2 = revenue_ratio(portfolio, c2, w2.snap.account_ids)
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
        p = _calibrate_lapsed(cal, adj2, s2, w2.snap, ratio2)
        calibrated[name] = p
        rows.append({"scorer": name, "ranking": "calibrated", **_metrics(_rank_key(p, s2), s2, w2, n)})
    metrics = pd.DataFrame(rows)
    cal_rows = metrics[metrics["ranking"] == "calibrated"].fillna({"precision_at_n": -1, "hit_rate": -1, "auc": -1})
    best = cal_rows.sort_values(["precision_at_n", "hit_rate", "auc"], ascending=False, kind="stable").iloc[0]
    selected = str(best["scorer"])

    value, spend_method, preds = _spend_backtest(w2, c2)

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
