"""Cross-unit whitespace: what a group's units buy, what their sister units buy, what a gap is worth.

The strongest cross-sell signal a group offers is its own units: a category that most sister
companies buy and one unit does not is a gap a KAM can close with references inside the group.

* :func:`unit_scores` - for every unit (an account in a group of two or more accounts that trade)
  and category at a date: ``n_sisters`` (the other units of the same top-level group with revenue
  in the last 12 months), ``n_sisters_buying`` (those that bought the category in that window) and
  the cross-unit score ``(n_sisters_buying + 2 x share of all active accounts buying it) /
  (n_sisters + 2)`` (the sister share, shrunk towards the category's popularity when there are
  few sisters).
* :func:`opportunity_map` - the ``opportunity_map`` table: the score calibrated into ``p_adopt``
  (logistic regression on the most recent complete year: scores as of 12 months before the
  analysis date against what the units started buying since), the first-year spend if adopted
  (the buying sisters' median share of their revenue spent on the category, times the unit's
  revenue; the sisters' median spend when the unit's revenue says nothing), ``expected_value``
  (probability x spend) and a sentence (:func:`reason`).
* :func:`cross_unit_backtest` - as of an earlier date, each unit's not-yet-bought categories are
  ranked by the cross-unit score and by the peer-based whitespace scorer of
  :mod:`kamtools.whitespace` (share of similar accounts, same industry and size band, buying
  it); precision at 5 is the share of those five recommendations the unit bought in the next 12
  months. Both methods rank the same units' same candidate categories; ``precision_ceiling`` is
  the best precision any ranking could reach (few units adopt five categories a year) and ``auc``
  the ranking quality over all candidate cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools import formatting
from kamtools.data.portfolio import Portfolio
from kamtools.groups import tree

__all__ = [
    "PRIOR_STRENGTH",
    "TOP_N",
    "UNCALIBRATED_NOTE",
    "UnitScores",
    "chance_words",
    "cross_unit_backtest",
    "empty_backtest",
    "empty_map",
    "opportunity_map",
    "reason",
    "unit_scores",
]

PRIOR_STRENGTH = 2.0
TOP_N = 5
WINDOW_MONTHS = 12
# the stage's note where no year of adoptions and misses could calibrate the score (the faces read it to word the
# figure as a score, not a chance)
UNCALIBRATED_NOTE = (
    "The opportunity map's adoption chance is the sister share itself (shrunk towards the category's "
    "popularity), not calibrated: calibration needs two years of history with adoptions and misses."
)


def chance_words(p: float, calibrated: bool = True) -> str:
    """A gap's adoption figure in a KAM's words: "13% chance in the next 12 months" where the score was calibrated on
    a past year's adoptions, else "score 13%: the share of sister units buying it, not a tested chance"."""
    if calibrated:
        return f"{formatting.pct(p)} chance in the next 12 months"
    return f"score {formatting.pct(p)}: the share of sister units buying it, not a tested chance"


MAP_COLUMNS = [
    "group_id",
    "account_id",
    "category",
    "buys",
    "unit_revenue_12m",
    "n_sisters",
    "n_sisters_buying",
    "sister_share",
    "p_adopt",
    "expected_value",
    "reason",
]
BACKTEST_COLUMNS = ["method", "as_of", "precision_at_5", "n_units", "n_adoptions", "precision_ceiling", "auc"]


@dataclass
class UnitScores:
    """Units x categories at ``as_of`` (arrays aligned on ``unit_ids`` x ``categories``)."""

    as_of: pd.Timestamp
    snap: object  # kamtools.whitespace.Snapshot of the whole portfolio
    rows: np.ndarray  # row of each unit in the snapshot
    unit_ids: np.ndarray
    group_ids: np.ndarray
    categories: np.ndarray
    spend: np.ndarray  # (u, C) revenue in the window
    n_sisters: np.ndarray  # (u,)
    n_buying: np.ndarray  # (u, C)
    score: np.ndarray  # (u, C)
    spend_if_adopted: np.ndarray  # (u, C)

    @property
    def revenue(self) -> np.ndarray:
        return self.spend.sum(axis=1)

    @property
    def candidates(self) -> np.ndarray:
        """Cells a unit could start buying: it trades, has a sister that trades, and did not buy it."""
        return (self.spend <= 0) & (self.revenue > 0)[:, None] & (self.n_sisters > 0)[:, None]

    @property
    def lapsed(self) -> np.ndarray:
        return (self.spend <= 0) & (self.snap.spend_before[self.rows] > 0)


def unit_scores(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> UnitScores:
    """The cross-unit counts, scores and spend estimates of every group unit at ``as_of``."""
    from kamtools.whitespace import snapshot

    p = portfolio if as_of is None else portfolio.truncate(as_of)
    snap = snapshot(p, months=WINDOW_MONTHS)
    hier = tree.hierarchy(p.accounts).set_index("account_id")
    ids = np.asarray(snap.account_ids, dtype=str)
    group = hier["group_id"].reindex(ids).fillna(pd.Series(ids, index=ids)).to_numpy(dtype=str)
    trading = set(p.orders["account_id"].unique())
    size = pd.Series(group).map(pd.Series(group).value_counts()).to_numpy()
    is_unit = (size > 1) & np.isin(ids, list(trading))
    rows = np.flatnonzero(is_unit)
    spend = snap.spend_ltm
    bought = spend > 0
    active = snap.active
    popularity = bought[active].mean(axis=0) if active.any() else np.zeros(spend.shape[1])
    # per top group: active units and buyers of each category
    codes, uniques = pd.factorize(group)
    G, C = len(uniques), spend.shape[1]
    g_active = np.bincount(codes, weights=active.astype(float), minlength=G)
    g_buyers = np.zeros((G, C))
    np.add.at(g_buyers, codes, (bought & active[:, None]).astype(float))
    u_codes = codes[rows]
    n_sisters = g_active[u_codes] - active[rows]
    n_buying = g_buyers[u_codes] - (bought[rows] & active[rows, None])
    m = PRIOR_STRENGTH
    score = (n_buying + m * popularity[None, :]) / (n_sisters[:, None] + m)
    # first-year spend if adopted: the buying sisters' median share of revenue on the category
    revenue = spend.sum(axis=1)
    share = np.where(revenue[:, None] > 0, spend / np.where(revenue > 0, revenue, 1.0)[:, None], np.nan)
    share = np.where(bought, share, np.nan)
    spend_buying = np.where(bought, spend, np.nan)
    med_share = pd.DataFrame(share).groupby(codes).median().reindex(range(G)).to_numpy(dtype=float)
    med_spend = pd.DataFrame(spend_buying).groupby(codes).median().reindex(range(G)).to_numpy(dtype=float)
    # the unit itself is not a sister: where it buys, its own spend is in the median (only used for
    # rows it does not buy, where it is not a buyer, so the medians are over sisters there)
    unit_rev = revenue[rows][:, None]
    est = np.where(unit_rev > 0, med_share[u_codes] * unit_rev, np.nan)
    est = np.where(np.isfinite(est) & (est > 0), est, med_spend[u_codes])
    return UnitScores(
        as_of=snap.as_of,
        snap=snap,
        rows=rows,
        unit_ids=ids[rows],
        group_ids=group[rows],
        categories=np.asarray(snap.categories, dtype=str),
        spend=spend[rows],
        n_sisters=n_sisters.astype(np.int64),
        n_buying=n_buying.astype(np.int64),
        score=score,
        spend_if_adopted=est,
    )


def _adopted(portfolio: Portfolio, us: UnitScores, end: pd.Timestamp) -> np.ndarray:
    """(u, C): the unit bought the category after ``us.as_of`` up to ``end`` and not in the window before."""
    lines = portfolio.order_lines
    od = lines["order_date"]
    w = lines[(od > us.as_of) & (od <= end) & lines["account_id"].isin(us.unit_ids)]
    after = np.zeros(us.spend.shape)
    a = pd.Index(us.unit_ids).get_indexer(w["account_id"])
    c = pd.Index(us.categories).get_indexer(w["category"].astype(str))
    ok = (a >= 0) & (c >= 0)
    np.add.at(after, (a[ok], c[ok]), w["net_revenue"].to_numpy(dtype=float)[ok])
    return us.candidates & (after > 0)


def _features(us: UnitScores) -> np.ndarray:
    s = np.clip(us.score, 1e-4, 1 - 1e-4)
    return np.column_stack([np.log(s / (1 - s)).ravel(), us.lapsed.ravel().astype(float)])


def _calibrator(portfolio: Portfolio):
    """Logistic regression of adoption on the cross-unit score, fitted on the last complete year
    (None when the history is too short or the year shows no adoption / no miss)."""
    from sklearn.linear_model import LogisticRegression

    from kamtools.history import order_history

    cutoff = portfolio.as_of - pd.DateOffset(months=WINDOW_MONTHS)
    if not order_history(portfolio).covers(cutoff - pd.DateOffset(months=WINDOW_MONTHS)):
        return None
    past = unit_scores(portfolio, cutoff)
    cand = past.candidates
    if not cand.any():
        return None
    y = _adopted(portfolio, past, portfolio.as_of)[cand]
    if y.all() or not y.any():
        return None
    X = _features(past)[cand.ravel()]
    return LogisticRegression(C=1.0).fit(X, y)


def reason(
    buys: bool,
    unit_revenue: float,
    spend: float,
    n_sisters: int,
    n_buying: int,
    p_adopt: float,
    expected_value: float,
    lapsed: bool = False,
    currency: str | None = None,
    calibrated: bool = True,
) -> str:
    """One sentence on a unit x category cell, in a KAM's words (money with ``currency``; ``calibrated``: whether
    ``p_adopt`` is a chance calibrated on a past year or the score itself, :func:`chance_words`)."""
    sisters = f"{n_buying} of {n_sisters} sister {'company' if n_sisters == 1 else 'companies'}"
    if n_sisters == 0:
        return "No sister company of this unit ordered in the last 12 months, so there is nothing to compare with."
    if buys:
        return f"Buys it ({formatting.money(spend, currency)} in the last 12 months); {sisters} buy it too."
    if unit_revenue <= 0:
        return f"This unit has not ordered anything in the last 12 months; {sisters} buy this category."
    if n_buying == 0:
        return f"None of its {n_sisters} sister companies buys it either."
    before = " (it bought it before, not in the last 12 months)" if lapsed else ""
    chance = "" if formatting.is_missing(p_adopt) else f" ({chance_words(p_adopt, calibrated)})"
    return (
        f"Bought by {sisters}, not by this unit{before}: expected "
        f"{formatting.money(expected_value, currency)} a year{chance}."
    )


def empty_map() -> pd.DataFrame:
    """An ``opportunity_map`` without rows (a portfolio without groups)."""
    return _typed_map(pd.DataFrame({c: [] for c in MAP_COLUMNS}))


def empty_backtest() -> pd.DataFrame:
    """A ``cross_unit_backtest`` without rows."""
    kinds = {"method": "str", "as_of": "datetime64[ns]", "precision_at_5": float, "n_units": np.int64}
    kinds.update({"n_adoptions": np.int64, "precision_ceiling": float, "auc": float})
    return pd.DataFrame({c: [] for c in BACKTEST_COLUMNS}).astype(kinds)


def opportunity_map(portfolio: Portfolio, currency: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """The ``opportunity_map`` table (see the module docs) and a note on the calibration (or None)."""
    us = unit_scores(portfolio)
    u, C = us.spend.shape
    if u == 0:
        return empty_map(), None
    cal = _calibrator(portfolio)
    note = None
    if cal is not None:
        p = cal.predict_proba(_features(us))[:, 1].reshape(u, C)
    else:
        p = us.score
        note = UNCALIBRATED_NOTE
    cand = us.candidates
    p = np.where(cand, p, np.nan)
    ev = np.where(cand, p * np.nan_to_num(us.spend_if_adopted), np.nan)
    buys = us.spend > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        sister_share = np.where(us.n_sisters[:, None] > 0, us.n_buying / us.n_sisters[:, None], np.nan)
    lapsed = us.lapsed
    revenue = us.revenue
    texts = [
        reason(
            bool(buys[i, j]),
            float(revenue[i]),
            float(us.spend[i, j]),
            int(us.n_sisters[i]),
            int(us.n_buying[i, j]),
            float(p[i, j]),
            float(ev[i, j]),
            bool(lapsed[i, j]),
            currency,
            cal is not None,
        )
        for i in range(u)
        for j in range(C)
    ]
    out = pd.DataFrame(
        {
            "group_id": np.repeat(us.group_ids, C),
            "account_id": np.repeat(us.unit_ids, C),
            "category": np.tile(us.categories, u),
            "buys": buys.ravel(),
            "unit_revenue_12m": np.repeat(revenue, C),
            "n_sisters": np.repeat(us.n_sisters, C),
            "n_sisters_buying": us.n_buying.ravel(),
            "sister_share": sister_share.ravel(),
            "p_adopt": p.ravel(),
            "expected_value": ev.ravel(),
            "reason": texts,
        }
    )
    return _typed_map(out), note


def _typed_map(df: pd.DataFrame) -> pd.DataFrame:
    kinds = {
        "group_id": "str",
        "account_id": "str",
        "category": "str",
        "buys": bool,
        "unit_revenue_12m": float,
        "n_sisters": np.int64,
        "n_sisters_buying": np.int64,
        "sister_share": float,
        "p_adopt": float,
        "expected_value": float,
        "reason": "str",
    }
    return df.astype(kinds)[MAP_COLUMNS].reset_index(drop=True)


def _precision(key: np.ndarray, cand: np.ndarray, adopted: np.ndarray, n: int = TOP_N) -> tuple[float, float]:
    """(share of the top ``n`` candidates per unit that were adopted, the best share any ranking could reach)."""
    masked = np.where(cand, key, -np.inf)
    top = np.argsort(-masked, axis=1, kind="stable")[:, :n]
    valid = np.isfinite(np.take_along_axis(masked, top, axis=1))
    hits = np.take_along_axis(adopted, top, axis=1) & valid
    if not valid.sum():
        return np.nan, np.nan
    ceiling = np.minimum(adopted.sum(axis=1), valid.sum(axis=1)).sum()
    return float(hits.sum() / valid.sum()), float(ceiling / valid.sum())


def _auc(key: np.ndarray, cand: np.ndarray, adopted: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    y = adopted[cand]
    return float(roc_auc_score(y, key[cand])) if 0 < y.sum() < len(y) else np.nan


def cross_unit_backtest(portfolio: Portfolio, horizon_months: int = 12) -> pd.DataFrame:
    """Precision at 5 of the cross-unit ranking and of the peer-based whitespace ranking, as of
    ``horizon_months`` before the analysis date (empty when the history or the groups do not allow it)."""
    from kamtools.history import order_history
    from kamtools.whitespace import PeerScorer

    empty = empty_backtest()
    cutoff = portfolio.as_of - pd.DateOffset(months=horizon_months)
    if not order_history(portfolio).covers(cutoff - pd.DateOffset(months=WINDOW_MONTHS)):
        return empty
    us = unit_scores(portfolio, cutoff)
    cand = us.candidates
    evaluated = cand.any(axis=1)
    if not evaluated.any():
        return empty
    adopted = _adopted(portfolio, us, portfolio.as_of)
    snap = us.snap
    peer = PeerScorer().fit(snap.spend_ltm, groups=snap.peer_group).predict(snap.spend_ltm, groups=snap.peer_group)
    peer = peer[us.rows]
    popularity = (snap.spend_ltm > 0)[snap.active].mean(axis=0) if snap.active.any() else 0.0
    cand, adopted = cand[evaluated], adopted[evaluated]
    keys = {
        "cross_unit": us.score[evaluated] + 1e-9 * popularity,
        "peer": peer[evaluated] + 1e-9 * popularity,
    }
    rows = []
    for name, key in keys.items():
        precision, ceiling = _precision(key, cand, adopted)
        rows.append(
            {
                "method": name,
                "as_of": cutoff,
                "precision_at_5": precision,
                "n_units": int(evaluated.sum()),
                "n_adoptions": int(adopted.sum()),
                "precision_ceiling": ceiling,
                "auc": _auc(key, cand, adopted),
            }
        )
    return pd.DataFrame(rows).astype(empty.dtypes.to_dict())
