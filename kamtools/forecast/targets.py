"""Yearly revenue targets: expected attainment and the probability of reaching each target.

Used by :mod:`kamtools.forecast.accounts` (``forecast_targets``, ``forecast_portfolio_target``);
the public names are importable from there as before.

Target probability
------------------
For an account and calendar year: ``total = booked + sum_m w_m * Y_m`` where ``booked`` is
revenue already booked in the year up to ``as_of`` (complete months plus the part of the
current month up to ``as_of``), ``Y_m`` the forecast of each remaining month and ``w_m``
1, except the current, partly booked month whose weight is the fraction of its days still
to come. ``total`` is taken as normal (Student-t for the short-series fallback) with mean
``booked + w . forecast`` and variance ``w' S w``, where ``S`` is the full covariance of
the monthly forecast errors implied by the selected model's error structure (months are
positively correlated: one level shift moves them all, so independence would understate
the spread). ``p_reach_target = P(total >= target)``; 1 when ``booked`` already reaches
the target. Years whose remaining months reach beyond the forecast are skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from kamtools.forecast.core import Forecaster


def _prob_at_least(target, booked, mean, sd, dof) -> np.ndarray:
    """P(total >= target) per row, total ~ mean + sd * t(dof) (normal where dof is infinite).

    1 once ``booked`` reaches the target; a step at the mean when there is no spread.
    """
    target, booked, mean, sd, dof = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (target, booked, mean, sd, dof))
    )
    z = (target - mean) / np.where(sd > 0, sd, 1.0)
    tail = np.where(np.isinf(dof), stats.norm.sf(z), stats.t.sf(z, np.where(np.isinf(dof), 1.0, dof)))
    return np.where(target <= booked + 1e-9, 1.0, np.where(sd > 0, tail, (mean >= target).astype(float)))


def _upper_quantile(prob: float, dof: np.ndarray) -> np.ndarray:
    """Quantile ``prob`` of a Student-t per row (a normal where ``dof`` is infinite)."""
    return np.where(np.isinf(dof), stats.norm.ppf(prob), stats.t.ppf(prob, np.where(np.isinf(dof), 1.0, dof)))


def _target_rows(targets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account ids, years, targets) of the targets table; an error naming a missing column."""
    id_col = "account_id" if "account_id" in targets.columns else "unique_id"
    missing = [c for c in (id_col, "period", "revenue_target") if c not in targets.columns]
    if missing:
        raise ValueError(f"targets is missing the column(s) {missing}; it needs account_id, period, revenue_target")
    t = targets[[id_col, "period", "revenue_target"]]
    return (
        t[id_col].astype(str).to_numpy(),
        t["period"].to_numpy().astype("int64"),
        t["revenue_target"].to_numpy(dtype=float),
    )


def _booked_in_year(hist: pd.DataFrame, uid: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Revenue of each (account, year) in the complete months of the history."""
    booked_by = hist.groupby([hist["unique_id"].astype(str), hist["ds"].dt.year.rename("year")])["y"].sum()
    return (
        booked_by.reindex(pd.MultiIndex.from_arrays([uid, year], names=["unique_id", "year"]))
        .fillna(0.0)
        .to_numpy(dtype=float, copy=True)
    )


def _year_weights(
    forecaster, hist, uid, year, booked, as_of, booked_partial
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights of each forecast month in the row's year, rows whose year lies beyond the forecast, fitted rows).

    The current, partly booked month weighs the share of its days after ``as_of``; what it
    booked so far is added to ``booked`` (in place)."""
    fitted_ids = forecaster.unique_ids_.astype(str)
    fitted = np.isin(uid, fitted_ids)
    # row -> its series; rows without one point at an extra all-zero row added below
    pos = np.where(fitted, np.searchsorted(fitted_ids, uid), len(fitted_ids))

    # future months of every fitted series, (k + 1, h) as year and month numbers
    h = int(forecaster.horizon)
    future = pd.DatetimeIndex(forecaster._future_dates())
    fut_year = np.vstack([np.asarray(future.year).reshape(-1, h), np.ones((1, h), dtype=int)])
    fut_month = np.vstack([np.asarray(future.month).reshape(-1, h), np.ones((1, h), dtype=int)])
    last_fc = np.r_[future.to_numpy(dtype="datetime64[ns]").reshape(-1, h)[:, -1], np.datetime64("NaT", "ns")]
    last_hist = np.r_[
        hist.groupby(hist["unique_id"].astype(str))["ds"].max().reindex(fitted_ids).to_numpy(dtype="datetime64[ns]"),
        np.datetime64("NaT", "ns"),
    ]

    # the year must end within the forecast or the history (else the row is skipped)
    dec = pd.to_datetime({"year": year, "month": 12, "day": 1}).to_numpy(dtype="datetime64[ns]")
    beyond = fitted & (dec > last_fc[pos]) & (dec > last_hist[pos])

    w = (fut_year[pos] == year[:, None]).astype(float)
    if as_of is not None:
        as_of_ts = pd.Timestamp(as_of).normalize()
        first_is_current = (fut_year[pos, 0] == as_of_ts.year) & (fut_month[pos, 0] == as_of_ts.month)
        partly = fitted & first_is_current & (w[:, 0] > 0)
        w[partly, 0] = (as_of_ts.days_in_month - as_of_ts.day) / as_of_ts.days_in_month
        if booked_partial is not None and partly.any():
            extra = dict(zip(booked_partial["unique_id"].astype(str), booked_partial["booked"].astype(float)))
            booked[partly] += np.array([extra.get(u, 0.0) for u in uid[partly]])
    w[~fitted] = 0.0
    return w, beyond, fitted


def _attainment_frame(uid, year, target, booked, mean, sd, dof, w, beyond, level) -> pd.DataFrame:
    """The :func:`target_attainment` table from each row's booked revenue and the distribution of its total."""
    p = _prob_at_least(target, booked, mean, sd, dof)
    q = _upper_quantile(0.5 + level / 200.0, dof)
    out = pd.DataFrame(
        {
            "account_id": uid,
            "period": year,
            "revenue_target": target,
            "booked_ytd": booked,
            "expected_total": mean,
            "p_reach_target": p,
            "total_lo": np.maximum(booked, mean - q * sd),
            "total_hi": np.maximum(booked, mean + q * sd),
            "months_remaining": np.count_nonzero(w, axis=1),
        }
    )[~beyond]
    out["expected_attainment"] = out["expected_total"] / out["revenue_target"].where(out["revenue_target"] > 0)
    out = out.rename(columns={"total_lo": f"total_lo_{level:g}", "total_hi": f"total_hi_{level:g}"})
    cols = [
        "account_id",
        "period",
        "revenue_target",
        "booked_ytd",
        "expected_total",
        "expected_attainment",
        "p_reach_target",
        f"total_lo_{level:g}",
        f"total_hi_{level:g}",
        "months_remaining",
    ]
    out = out[cols]
    out["period"] = out["period"].astype("int64")
    out["months_remaining"] = out["months_remaining"].astype("int64")
    return out.sort_values(["account_id", "period"]).reset_index(drop=True)


def target_attainment(
    forecaster: Forecaster,
    history: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: str | pd.Timestamp | None = None,
    booked_partial: pd.DataFrame | None = None,
    level: float = 80,
) -> pd.DataFrame:
    """Expected attainment and probability of reaching each yearly target.

    Parameters
    ----------
    forecaster : a :class:`Forecaster` fitted on monthly ``history`` (``unique_id`` = account_id).
    history : the monthly ``unique_id, ds, y`` frame it was fitted on (complete months only).
    targets : ``account_id`` (or ``unique_id``), ``period`` (calendar year), ``revenue_target``.
    as_of : analysis date; when it falls inside the first forecast month, that month counts
        as partly booked (weight = share of its days after ``as_of``).
    booked_partial : ``unique_id, booked`` - revenue booked in that partial month so far.
    level : coverage in percent of the ``total_lo``/``total_hi`` interval of the annual total.

    Returns one row per target that can be evaluated: ``account_id, period, revenue_target,
    booked_ytd, expected_total, expected_attainment, p_reach_target, total_lo_<level>,
    total_hi_<level>, months_remaining``. See the module docstring for the method.
    """
    uid, year, target = _target_rows(targets)
    hist = history[["unique_id", "ds", "y"]]
    booked = _booked_in_year(hist, uid, year)
    w, beyond, fitted = _year_weights(forecaster, hist, uid, year, booked, as_of, booked_partial)

    mean = booked.copy()
    sd = np.zeros(len(uid))
    dof = np.full(len(uid), np.inf)
    ahead = fitted & w.any(axis=1)
    if ahead.any():
        m, s, d = forecaster.sum_distributions(uid[ahead], w[ahead])
        mean[ahead] += m
        sd[ahead], dof[ahead] = s, d
    return _attainment_frame(uid, year, target, booked, mean, sd, dof, w, beyond, level)


def portfolio_target(account_targets: pd.DataFrame, level: float = 80) -> pd.DataFrame:
    """Portfolio totals per period from :func:`target_attainment` rows.

    Targets, booked revenue and expected totals of the accounts with a target add up; the
    spread assumes independent accounts (variances add, each account's variance recovered
    from its ``total_hi_<level>`` bound). Columns: ``period, revenue_target, booked_ytd,
    expected_total, expected_attainment, p_reach_target, total_lo_<level>,
    total_hi_<level>, months_remaining, n_accounts``.
    """
    cols = ["period", "revenue_target", "booked_ytd", "expected_total", "expected_attainment", "p_reach_target"]
    cols += [f"total_lo_{level:g}", f"total_hi_{level:g}", "months_remaining", "n_accounts"]
    if account_targets.empty:
        return pd.DataFrame(columns=cols)
    z = stats.norm.ppf(0.5 + level / 200.0)
    t = account_targets.copy()
    t["_var"] = ((t[f"total_hi_{level:g}"] - t["expected_total"]).clip(lower=0) / z) ** 2
    g = t.groupby("period")
    out = pd.DataFrame(
        {
            "revenue_target": g["revenue_target"].sum(),
            "booked_ytd": g["booked_ytd"].sum(),
            "expected_total": g["expected_total"].sum(),
            "sd_total": np.sqrt(g["_var"].sum()),
            "months_remaining": g["months_remaining"].max(),
            "n_accounts": g.size(),
        }
    ).reset_index()
    out["expected_attainment"] = out["expected_total"] / out["revenue_target"].where(out["revenue_target"] > 0)
    out["p_reach_target"] = _prob_at_least(
        out["revenue_target"], out["booked_ytd"], out["expected_total"], out["sd_total"], np.inf
    )
    out[f"total_lo_{level:g}"] = np.maximum(out["booked_ytd"], out["expected_total"] - z * out["sd_total"])
    out[f"total_hi_{level:g}"] = out["expected_total"] + z * out["sd_total"]
    out["period"] = out["period"].astype("int64")
    out["n_accounts"] = out["n_accounts"].astype("int64")
    out["months_remaining"] = out["months_remaining"].astype("int64")
    return out[cols]


__all__ = ["portfolio_target", "target_attainment"]
