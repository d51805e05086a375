"""Yearly revenue targets: expected attainment and the probability of reaching each target.

Used by :mod:`kamtools.forecast.accounts` (``forecast_targets``, ``forecast_portfolio_target``);
the public names are importable from there as before.

What the figures mean
---------------------
For an account and calendar year the year's total is ``booked + rest``: ``booked`` is the
revenue already booked in the year up to ``as_of`` (complete months plus the part of the
current month up to ``as_of``) and ``rest`` what the months still to come will bring.
``expected_total`` is ``booked + R`` with ``R = sum_m w_m * Y_m``, ``Y_m`` the forecast of
each remaining month and ``w_m`` 1, except the current, partly booked month whose weight is
the fraction of its days still to come. ``p_reach_target`` is the probability that the
total reaches the target (1 once ``booked`` reaches it) and ``total_lo_80 .. total_hi_80``
the range the total falls into 8 times in 10 (never below ``booked``), widened where needed to hold
``expected_total`` (see below). Years whose remaining months reach beyond the forecast are skipped.

How the rest of the year is spread (``method="blended"``, the default)
-------------------------------------------------------------------------
When the forecaster carries the out-of-time evidence its forecasts were chosen on (the
forecast stage's chosen forecaster, :mod:`kamtools.forecast.selection`), the rest of the
year is ``rest = r * R + e``:

* ``r`` is drawn from what similar accounts really bought over as many months as remain,
  divided by what the account's method (calibrated as its own forecast is) forecast for
  them at backtest origins (:meth:`Selection.total_ratios`: the account's class, the whole
  portfolio where the class is small). An account whose method has too few such totals (the
  seasonal naive needs two years before an origin) takes its class's totals for the mean of
  the last 6 months instead, scaled so that they average out over the class
  (:func:`class_fallback_ratios`);
* ``e`` is normal with :data:`OWN_SPREAD` times the account's own spread of ``R`` (its
  monthly spreads summed with the evidence's month-to-month error correlation), because the
  ratios of similar accounts alone were too narrow: their outer tenths held 29% of the
  remaining months' actual totals, not 20%. A year that starts after the first forecast month
  (next year) takes :data:`OWN_SPREAD_AHEAD` (the whole spread): it lies further ahead than
  the months the ratios were measured on, and with 0.75 its range still held only 61-74% of
  the actual totals (66-76% with the whole spread, Brier lower at 9 of 9 cases).

A new account (under 6 months since its first order) takes for ``r`` what accounts as new bought next
instead (:func:`~kamtools.forecast.selection.young_multiples`: its mean so far times the multiples
its 12-month range reads, with its own chance of no order), as a multiple of its rest of the year: its
class is made of settled accounts, whose ratios gave a few percent around a first order.

An account whose method forecast nothing for the rest of the year but that is not called
lapsed (the mean of the last 6 months of an account silent for half a year) would otherwise
show 0% and a range of nothing, where 7 of 16 such accounts reached their target at one benchmark date. Its rest of
the year is ``r`` times its mean month of the last 12 over the months left, ``r`` from the
backtest rows where the same method forecast nothing for an account that had bought in its
last 12 months (:func:`silent_ratios`; at least ``MIN_TOTAL_ROWS`` of them). The expected
total stays the forecast's, and the range reaches down to it: where every such account bought
again, the ratios' lower tenth lay above the expected total (a range of 180-540 around an
expected 0), which the year chart could only show with a negative error bar; the range is now
0-540. Accounts on the zero forecast (lapsed) or without an order in 12 months keep 0%.

Without that evidence (a history too short for a backtest, a plain
:class:`~kamtools.forecast.core.Forecaster`), for accounts forecast zero or without any such
totals, and with
``method="normal"`` the total is normal (Student-t for the short-series fallback) with mean
``booked + R`` and variance ``w' S w``, ``S`` the covariance of the monthly forecast errors
(months are positively correlated: one level shift moves them all).

Measured (``benchmarks/bench_target_probability.py``: the demo portfolio of 300 accounts at
seeds 7, 11 and 3, cut at five as-of dates, each account's probability for the current year
compared with whether its actual total of that year reached the target): the blended
version's 80% range held the actual total for 73.0-86.0% of the accounts at every date (the
normal one 57.3-76.6%), its mean Brier score was 0.1307 (normal 0.1327), the AUC within 0.006,
and its mean probability within 5 points of the share that reached the target except one
date (-11.8 points, where that year's point forecast ran 11% low; normal -12.6). With the
silent accounts' chance (above) that date is at -9.1 and the mean Brier score 0.1299; the
other dates did not move by more than 0.3 points.

Where a year and the next 12 months cover nearly the same months, the year's range is the
wider one (it carries the own spread, the 12-month range of ``forecast_summary`` does not);
:func:`year_range_note` is the account page's sentence saying why.

Where that makes a year's low end fall far below both its expected total and the 12-month low end
(the issue's 40-account example as of 2025-10-31: A0037, 735.6k in the last 12 months, 2026 from
28.6k where the next 12 months run 401k-1.58M), the cause is the own spread, not similar accounts'
totals: a steady account whose monthly band comes from similar accounts' months at a single
backtest date (0-136k a month around a forecast of 59k) carries that band's whole spread over a
year, the months moving partly together. Checked on that case's kind (40 accounts, 12 months of
history as of 2025-10-31, 16 seeds, 2026 scored on what was bought; 313 + 314 account-years in seeds
1-8 / 9-16), 80% range / share below its low end / Brier:

    whole own spread (kept)       91.4% / 2.0% / 0.235      83.2% / 6.0% / 0.259
    0.75 of it                    87.9% / 4.2% / 0.235      81.3% / 7.0% / 0.262
    0.5 of it                     83.5% / 8.0% / 0.236      77.4% / 10.1% / 0.266
    similar accounts' totals      81.2% / 10.2% / 0.244     77.5% / 8.5% / 0.272
    whole, as a lognormal factor  85.0% / 8.0% / 0.227      80.7% / 7.9% / 0.266

The whole spread has the lowest (or an equal) Brier score on both halves, so the chance stays as it
is; its low end is cautious (2-6% of the totals fell below it, not 10%), and the lognormal factor,
which lifts it, wins on one half and loses on the other (mean chance 7 points under the share that
reached the target on seeds 9-16). So the page says what such a low end is instead
(:func:`year_low_end_note`, in place of :func:`year_range_note`): not a sign that the account may
stop buying, and to plan on the expected total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from kamtools.forecast.core import Forecaster
from kamtools.forecast.portfolio_range import total_sd
from kamtools.forecast.selection import (
    MIN_CLASS_ROWS,
    MIN_TOTAL_ROWS,
    account_state,
    silent_ratios,
    wide_history,
    young_multiples,
)

OWN_SPREAD = 0.75  # share of the account's own spread of the rest of the year added to similar accounts' ratios
OWN_SPREAD_AHEAD = 1.0  # ... for a year that starts after the first forecast month (wholly ahead)
RATIO_POINTS = 101  # longer ratio arrays are summarised by this many of their quantiles (plenty for a 10% tail)
FALLBACK_METHOD = "recent_mean"  # whose out-of-time totals stand in where the account's method has too few
METHODS = ("blended", "normal")
SILENT_REST = True  # accounts whose method forecast nothing for the rest of the year: see _silent_rest
OVERLAP_MONTHS = 10  # a year sharing this many months with the next 12 covers nearly the same months (_near_twelve)
WIDER_BY = 1.1  # ... and its range counts as wider than the 12-month one beyond this factor
LOW_YEAR_SHARE = 0.5  # a year's low end under this share of its expected total and of the 12-month low end: say why
_BISECTIONS = 48  # halvings of the bracket when inverting the mixture's distribution function


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
    booked so far is added to ``booked`` (in place). An account without a series (no complete month with an
    order) takes the months of the series that runs furthest: it is forecast nothing, but the months of its year
    still to come are counted (``months_remaining``) and a year beyond the forecast is skipped for it too."""
    fitted_ids = forecaster.unique_ids_.astype(str)
    fitted = np.isin(uid, fitted_ids)
    # row -> its series; rows without one point at an extra all-zero row added below
    pos = np.where(fitted, np.searchsorted(fitted_ids, uid), len(fitted_ids))

    # future months of every fitted series, (k + 1, h) as year and month numbers; the extra row, for accounts
    # without a series (no order before the as-of date), follows the calendar of the series that runs furthest:
    # such an account expects nothing, but its year is as open (or as far beyond the forecast) as everyone's, so a
    # year still to come is not read as one that ended with nothing booked ("missed")
    h = int(forecaster.horizon)
    future = pd.DatetimeIndex(forecaster._future_dates())
    dates = future.to_numpy(dtype="datetime64[ns]").reshape(-1, h)
    latest = int(np.argmax(dates[:, -1])) if len(dates) else -1
    fut_year = np.asarray(future.year).reshape(-1, h)
    fut_month = np.asarray(future.month).reshape(-1, h)
    fut_year = np.vstack([fut_year, fut_year[latest] if latest >= 0 else np.ones((1, h), dtype=int)])
    fut_month = np.vstack([fut_month, fut_month[latest] if latest >= 0 else np.ones((1, h), dtype=int)])
    last_fc = np.r_[dates[:, -1], dates[latest, -1] if latest >= 0 else np.datetime64("NaT", "ns")]
    ends = hist.groupby(hist["unique_id"].astype(str))["ds"].max().reindex(fitted_ids).to_numpy(dtype="datetime64[ns]")
    last_hist = np.r_[ends, ends.max() if len(ends) else np.datetime64("NaT", "ns")]

    # the year must end within the forecast or the history (else the row is skipped)
    dec = pd.to_datetime({"year": year, "month": 12, "day": 1}).to_numpy(dtype="datetime64[ns]")
    beyond = (dec > last_fc[pos]) & (dec > last_hist[pos])

    w = (fut_year[pos] == year[:, None]).astype(float)
    if as_of is not None:
        as_of_ts = pd.Timestamp(as_of).normalize()
        first_is_current = (fut_year[pos, 0] == as_of_ts.year) & (fut_month[pos, 0] == as_of_ts.month)
        partly = first_is_current & (w[:, 0] > 0)
        w[partly, 0] = (as_of_ts.days_in_month - as_of_ts.day) / as_of_ts.days_in_month
        if booked_partial is not None and partly.any():
            extra = dict(zip(booked_partial["unique_id"].astype(str), booked_partial["booked"].astype(float)))
            booked[partly] += np.array([extra.get(u, 0.0) for u in uid[partly]])
    return w, beyond, fitted


def _normal_summary(target, booked, mean, sd, dof, level) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p_reach_target, total_lo, total_hi) per row with the total ~ ``mean + sd * t(dof)``."""
    q = _upper_quantile(0.5 + level / 200.0, dof)
    return (
        _prob_at_least(target, booked, mean, sd, dof),
        np.maximum(booked, mean - q * sd),
        np.maximum(booked, mean + q * sd),
    )


def class_fallback_ratios(evidence, klass: int, months: int) -> np.ndarray | None:
    """Sorted out-of-time actual / forecast totals over ``months`` months of the mean of the last 6 months,
    on the backtest rows of class ``klass`` (the whole portfolio where the class has under
    ``MIN_CLASS_ROWS`` rows), divided by their pooled ratio so that they average out to the class's
    actual total. None with fewer than ``MIN_TOTAL_ROWS`` usable rows or nothing bought."""
    rows = np.flatnonzero(evidence.klass == klass)
    if len(rows) < MIN_CLASS_ROWS:
        rows = np.arange(len(evidence.account))
    h = max(1, min(int(months), evidence.horizon))
    fc = evidence.paths[FALLBACK_METHOD][rows][:, :h]
    ok = np.all(np.isfinite(fc), axis=1) & (np.nansum(fc, axis=1) > 0)
    if ok.sum() < MIN_TOTAL_ROWS:
        return None
    act, fc_tot = evidence.actual[rows][ok][:, :h].sum(axis=1), fc[ok].sum(axis=1)
    if act.sum() <= 0:
        return None
    return np.sort(act * fc_tot.sum() / (act.sum() * fc_tot))


def _ratio_points(ratio: np.ndarray) -> np.ndarray:
    """The ratios themselves, or :data:`RATIO_POINTS` evenly spaced quantiles of them when there are more."""
    ratio = np.asarray(ratio, dtype=float)
    if len(ratio) <= RATIO_POINTS:
        return ratio
    return np.quantile(ratio, (np.arange(RATIO_POINTS) + 0.5) / RATIO_POINTS)


def _mixture_cdf(x: np.ndarray, centres: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """P(total <= x) per row of an equal-weight mixture of normals at ``centres`` (rows, k) with ``spread``
    (rows,); steps at the centres where the spread is zero."""
    gap = x[:, None] - centres
    s = spread[:, None]
    return np.where(s > 0, special.ndtr(gap / np.where(s > 0, s, 1.0)), (gap >= 0).astype(float)).mean(axis=1)


def blended_summary(
    booked, rest, ratios, spread, target, level: float = 80
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p_reach_target, total_lo, total_hi) of ``total = booked + r * rest + e`` per row.

    ``r`` is equally likely to be any of the row's ``ratios`` (one array shared by every row: out-of-time
    actual / forecast totals of similar accounts), ``e`` normal with standard deviation ``spread`` (per
    row; 0 for none). The probability is ``P(total >= target)`` (1 once ``booked`` reaches the target);
    the bounds are the total's ``(100 - level) / 2`` and ``(100 + level) / 2`` percent quantiles, never
    below ``booked``. With every ratio 1 and no spread the range is the forecast ``booked + rest`` itself.
    """
    booked, rest, spread, target = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (booked, rest, spread, target))
    booked, rest, spread, target = np.broadcast_arrays(booked, rest, spread, target)
    centres = booked[:, None] + _ratio_points(ratios)[None, :] * rest[:, None]
    s = spread[:, None]
    above = np.where(
        s > 0, stats.norm.sf((target[:, None] - centres) / np.where(s > 0, s, 1.0)), (centres >= target[:, None])
    )
    p = np.where(target <= booked + 1e-9, 1.0, above.mean(axis=1))
    tail = (1 - level / 100) / 2
    bounds = []
    for prob in (tail, 1 - tail):
        low = centres.min(axis=1) - 8 * spread - 1.0
        high = centres.max(axis=1) + 8 * spread + 1.0
        for _ in range(_BISECTIONS):  # the smallest total whose distribution function reaches prob
            mid = (low + high) / 2
            short = _mixture_cdf(mid, centres, spread) < prob
            low, high = np.where(short, mid, low), np.where(short, high, mid)
        bounds.append(np.maximum(booked, high))
    return p, bounds[0], bounds[1]


def _own_spread_of_rest(sel, pos: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spread of each row's weighted sum of monthly forecasts: the monthly spreads ``sel.sd`` summed with
    the evidence's month-to-month error correlation ``sel.rho``."""
    sdw = w * sel.sd[pos]
    var = (1 - sel.rho) * np.sum(sdw**2, axis=1) + sel.rho * np.sum(sdw, axis=1) ** 2
    return np.sqrt(np.maximum(var, 0.0))


def _blend(sel, uid, target, booked, mean, w, rows, p, lo, hi, own_spread, level, own_spread_ahead) -> None:
    """Replace ``p``, ``lo`` and ``hi`` (in place) of ``rows`` by :func:`blended_summary` of the rest of the
    year on similar accounts' out-of-time ratios; rows without such ratios keep what they have."""
    pos = np.searchsorted(sel.ids, uid[rows])
    months = np.count_nonzero(w[rows], axis=1)
    # a year that starts after the first forecast month lies further ahead than the ratios' months: the whole spread
    share = np.where(w[rows, 0] > 0, own_spread, own_spread_ahead)
    spread = share * _own_spread_of_rest(sel, pos, w[rows])
    groups: dict[int, tuple[np.ndarray, list[int]]] = {}
    young = getattr(sel, "young", None)
    for n in np.unique(months):
        own = sel.total_ratios(int(n))
        fallback: dict[int, np.ndarray | None] = {}
        for j in np.flatnonzero(months == n):
            ratio = own[pos[j]]
            if young is not None and young[pos[j]] > 0 and sel.method[pos[j]] != "zero":
                # a new account: what accounts as new bought next, as the 12-month range has it, not its class's
                mult = young_multiples(sel, int(pos[j]), int(n))
                rest = float(mean[rows[j]] - booked[rows[j]])
                if mult is not None and rest > 0:
                    groups[-1 - j] = (mult * int(n) * float(sel.young_base[pos[j]]) / rest, [j])
                    continue
            if ratio is None and sel.method[pos[j]] != "zero":
                k = int(sel.klass[pos[j]])
                if k not in fallback:
                    fallback[k] = class_fallback_ratios(sel.evidence, k, int(n))
                ratio = fallback[k]
            if ratio is not None:
                groups.setdefault(id(ratio), (ratio, []))[1].append(j)
    for ratio, members in groups.values():
        j = np.asarray(members)
        i = rows[j]
        p[i], lo[i], hi[i] = blended_summary(booked[i], mean[i] - booked[i], ratio, spread[j], target[i], level)


def _silent_rest(sel, hist, uid, target, booked, w, rows, p, lo, hi, level) -> None:
    """Replace ``p``, ``lo`` and ``hi`` (in place) of ``rows`` (accounts whose method forecast nothing for the rest
    of the year although it does not call them lapsed) by :func:`blended_summary` of ``r`` times their mean month
    of the last 12 over the remaining months, ``r`` from :func:`silent_ratios`; rows without such ratios or without
    an order in the last 12 months keep what they have (nothing to come)."""
    y, ids, _ = wide_history(hist)
    if not len(ids):
        return
    level_now = account_state(y, 1).level
    at = np.searchsorted(ids, uid[rows])
    found = (at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == uid[rows])
    usual = np.where(found, level_now[np.minimum(at, len(ids) - 1)], 0.0)
    method = sel.method[np.searchsorted(sel.ids, uid[rows])]
    months = np.count_nonzero(w[rows], axis=1)
    for m in np.unique(method):
        for n in np.unique(months[method == m]):
            ratio = silent_ratios(sel.evidence, str(m), int(n))
            j = np.flatnonzero((method == m) & (months == n) & (usual > 0))
            if ratio is None or not len(j):
                continue
            i = rows[j]
            rest = usual[j] * w[i].sum(axis=1)
            p[i], lo[i], hi[i] = blended_summary(booked[i], rest, ratio, np.zeros(len(j)), target[i], level)


def _attainment_frame(uid, year, target, booked, mean, p, lo, hi, w, beyond, level) -> pd.DataFrame:
    """The :func:`target_attainment` table from each row's booked revenue, expected total, probability and range."""
    out = pd.DataFrame(
        {
            "account_id": uid,
            "period": year,
            "revenue_target": target,
            "booked_ytd": booked,
            "expected_total": mean,
            "p_reach_target": p,
            "total_lo": lo,
            "total_hi": hi,
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
    method: str = "blended",
    own_spread: float = OWN_SPREAD,
    own_spread_ahead: float = OWN_SPREAD_AHEAD,
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
    method : ``"blended"`` (similar accounts' out-of-time ratios plus ``own_spread`` times the
        account's own spread, where the forecaster carries its out-of-time evidence as the forecast
        stage's does) or ``"normal"`` (the total as a normal around the expected total: the method
        used before, kept for comparison).
    own_spread : the blended method's share of the account's own spread (a year under way).
    own_spread_ahead : the same for a year that starts after the first forecast month.

    Returns one row per target that can be evaluated: ``account_id, period, revenue_target,
    booked_ytd, expected_total, expected_attainment, p_reach_target, total_lo_<level>,
    total_hi_<level>, months_remaining``. See the module docstring for the method.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
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
    p, lo, hi = _normal_summary(target, booked, mean, sd, dof, level)
    sel = getattr(forecaster, "selection", None)  # the chosen forecaster's out-of-time evidence (forecast stage)
    if method == "blended" and getattr(sel, "evidence", None) is not None and getattr(sel, "klass", None) is not None:
        rows = np.flatnonzero(ahead & ~beyond & (mean > booked))
        if len(rows):
            _blend(sel, uid, target, booked, mean, w, rows, p, lo, hi, own_spread, level, own_spread_ahead)
        if SILENT_REST:
            known = np.isin(uid, sel.ids)
            chosen = np.full(len(uid), "zero", dtype=object)
            chosen[known] = sel.method[np.searchsorted(sel.ids, uid[known])]
            silent = np.flatnonzero(ahead & ~beyond & (mean <= booked) & (chosen != "zero"))
            if len(silent):
                _silent_rest(sel, hist, uid, target, booked, w, silent, p, lo, hi, level)
    # a range holds its expected total: where similar accounts' totals all lie above it (a silent account's
    # comebacks, all positive) the range reaches down to it; the expected total itself stays the forecast's
    lo, hi = np.minimum(lo, mean), np.maximum(hi, mean)
    return _attainment_frame(uid, year, target, booked, mean, p, lo, hi, w, beyond, level)


def _twelve_month_range(year_rows: pd.DataFrame, summary_row, need: set[str]) -> tuple[float, float] | None:
    """(low, high) of the next 12 months' 80% range from an account's ``forecast_summary`` row, where its
    ``forecast_targets`` rows are there with the columns ``need`` and both ends are finite numbers; else None."""
    if year_rows is None or summary_row is None or not len(year_rows) or not need <= set(year_rows.columns):
        return None
    try:
        lo12 = float(summary_row["forecast_next_12m_lo_80"])
        hi12 = float(summary_row["forecast_next_12m_hi_80"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lo12, hi12) if np.isfinite(lo12) and np.isfinite(hi12) else None


def _near_twelve(year_rows: pd.DataFrame, as_of=None) -> pd.Series:
    """Rows whose year shares at least :data:`OVERLAP_MONTHS` months with the next 12 months: counted from ``as_of``
    (the next 12 months start with the month after the last complete one), else from the year's months ahead
    (``months_remaining``), which overstates next year's share: 2026 seen from 2025-04-30 has 12 months ahead and
    shares 4 with the next 12 months (its page read "both cover nearly the same months")."""
    if as_of is None:
        return pd.to_numeric(year_rows["months_remaining"], errors="coerce") >= OVERLAP_MONTHS
    first = (pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_period("M")
    shared = pd.Series(pd.period_range(first, periods=12, freq="M").year).value_counts()
    return pd.to_numeric(year_rows["period"], errors="coerce").map(shared).fillna(0) >= OVERLAP_MONTHS


def year_range_note(year_rows: pd.DataFrame, summary_row, as_of=None) -> str | None:
    """One sentence on why a year's 80% range is wider than the next 12 months' 80% range where the two cover
    nearly the same months (the year has at least :data:`OVERLAP_MONTHS` months ahead), for one account's
    ``forecast_targets`` rows and its ``forecast_summary`` row; None where they do not differ so (or a range is
    missing). The 12-month range is similar accounts' out-of-time totals alone; a year's range adds part of the
    account's own spread, because those totals alone held too few of the actual year totals."""
    twelve = _twelve_month_range(year_rows, summary_row, {"period", "months_remaining", "total_lo_80", "total_hi_80"})
    if twelve is None:
        return None
    lo12, hi12 = twelve
    rows = year_rows[_near_twelve(year_rows, as_of)]
    width = pd.to_numeric(rows["total_hi_80"], errors="coerce") - pd.to_numeric(rows["total_lo_80"], errors="coerce")
    wider = rows[width > WIDER_BY * max(hi12 - lo12, 0.0)]
    if not len(wider):
        return None
    years = sorted(int(y) for y in wider["period"])
    named = " and ".join(str(y) for y in years)
    return (
        f"The 80% range of the year total for {named} is wider than that of the next 12 months although both "
        "cover nearly the same months: the 12-month range is only where similar accounts' totals ended in a test "
        "on past data, while a year's range adds this account's own month-to-month spread, because on past years those "
        "totals alone held too few of the actual year totals (the wider range is the better guide)."
    )


NARROWER_BY = 0.5  # an unchecked year range under half the width of the 12-month one is named on the page


def unchecked_year_note(year_rows: pd.DataFrame, summary_row, money=None, as_of=None) -> str | None:
    """One sentence where no out-of-time check of any kind was possible (the history is too short) and a year's
    80% range is far narrower (under :data:`NARROWER_BY` of the width) than the next 12 months' although both
    cover nearly the same months: the 12-month range comes from the account's own weeks with an order (or the
    value model's chance of no order), the year's from the month-to-month spread of its forecast alone, so the
    year's range and its chance of reaching the target claim more certainty than the history holds. Read on 1
    month of the demo (A0034: next 12 months 11.7k-328.2k, 2027 112.5k-163.6k, "100% chance") and on one order
    day (A0031: 0-17.3k, 2027 1.2k-1.7k, "0%" against a 9.7k target). None elsewhere. The caller shows it only
    where the bundle holds no out-of-time check."""
    from kamtools.formatting import pct

    need = {"period", "months_remaining", "total_lo_80", "total_hi_80", "p_reach_target"}
    twelve = _twelve_month_range(year_rows, summary_row, need)
    if twelve is None or twelve[1] <= twelve[0]:
        return None
    lo12, hi12 = twelve
    if money is None:
        from kamtools.formatting import money
    rows = year_rows[_near_twelve(year_rows, as_of)]
    width = pd.to_numeric(rows["total_hi_80"], errors="coerce") - pd.to_numeric(rows["total_lo_80"], errors="coerce")
    narrow = rows[width < NARROWER_BY * (hi12 - lo12)]
    if not len(narrow):
        return None
    row = narrow.sort_values("period").iloc[0]
    year = int(row["period"])
    p = pd.to_numeric(pd.Series([row["p_reach_target"]]), errors="coerce").iloc[0]
    chance = f" and its {pct(float(p))} chance of reaching the target" if pd.notna(p) else ""
    return (
        f"The 80% range of {year} ({money(float(row['total_lo_80']))}-{money(float(row['total_hi_80']))}) is far "
        f"narrower than the next 12 months' ({money(lo12)}-{money(hi12)}) although both cover nearly the same months: "
        "the history is too short to test any forecast on past data, and the year's range carries only the "
        "month-to-month "
        f"spread of this forecast, not how far such forecasts can miss. So that range{chance} claim more certainty "
        "than the history holds: read the 12-month range."
    )


def year_low_end_note(
    year_rows: pd.DataFrame, summary_row, band: tuple[float, float] | None = None, money=None, as_of=None
) -> str | None:
    """One sentence for a KAM on a year's 80% range whose low end lies far below both its expected total (under
    :data:`LOW_YEAR_SHARE` of it) and the next 12 months' low end, where the year covers nearly the same months
    (at least :data:`OVERLAP_MONTHS` ahead): the low end adds the spread of the account's monthly band (``band``:
    its typical monthly 80% interval, ``(lo, hi)``) over the year to what similar accounts' totals did, so it is
    not a sign that the account may stop; to plan, the expected total. It says what :func:`year_range_note` says
    and more, so a page shows one or the other. None elsewhere.
    ``money`` formats amounts (default: :func:`kamtools.formatting.money` without a currency)."""
    twelve = _twelve_month_range(
        year_rows, summary_row, {"period", "months_remaining", "expected_total", "total_lo_80"}
    )
    if twelve is None:
        return None
    lo12, hi12 = twelve
    if money is None:
        from kamtools.formatting import money
    num = {
        c: pd.to_numeric(year_rows[c], errors="coerce") for c in ("months_remaining", "expected_total", "total_lo_80")
    }
    far = (
        _near_twelve(year_rows, as_of)
        & (num["expected_total"] > 0)
        & (num["total_lo_80"] < LOW_YEAR_SHARE * num["expected_total"])
        & (num["total_lo_80"] < LOW_YEAR_SHARE * lo12)
    )
    if not far.any():
        return None
    row = year_rows[far].sort_values("period").iloc[0]
    monthly = (
        f" (about {money(band[0])}-{money(band[1])} a month)"
        if band is not None and all(np.isfinite(float(b)) for b in band)
        else ""
    )
    year = int(row["period"])
    return (
        f"The 80% range of {year} reaches down to {money(float(row['total_lo_80']))}, far below the next 12 months' "
        f"range ({money(lo12)}-{money(hi12)}) although both cover nearly the same months. That low end is not a sign "
        "that this account may stop buying: the 12-month range is where accounts like this one ended in a test on past "
        "data, and "
        f"the year's range adds to it the spread of this account's monthly band{monthly}, months moving partly "
        "together, because those totals alone held too few of the actual year totals in the past. Plan on the "
        f"expected {money(float(row['expected_total']))}; the year's range is what the chance of reaching the {year} "
        "target is read from."
    )


def portfolio_target(account_targets: pd.DataFrame, level: float = 80, rho: float = 0.0) -> pd.DataFrame:
    """Portfolio totals per period from :func:`target_attainment` rows.

    Targets, booked revenue and expected totals of the accounts with a target add up; each
    account's spread is recovered from its ``total_hi_<level>`` bound as a normal's would be, and
    the accounts' errors share the common part ``rho`` measured on the backtest
    (:func:`kamtools.forecast.portfolio_range.common_part`; 0 = independent accounts, variances add):
    ``Var = (1 - rho) sum s_i^2 + rho (sum s_i)^2``. The total is taken as normal, so the chance to
    reach the target is as sure as the backtest's portfolio totals allow, not as independent accounts
    would make it. Columns: ``period, revenue_target, booked_ytd,
    expected_total, expected_attainment, p_reach_target, total_lo_<level>,
    total_hi_<level>, months_remaining, n_accounts``.
    """
    cols = ["period", "revenue_target", "booked_ytd", "expected_total", "expected_attainment", "p_reach_target"]
    cols += [f"total_lo_{level:g}", f"total_hi_{level:g}", "months_remaining", "n_accounts"]
    if account_targets.empty:
        return pd.DataFrame(columns=cols)
    z = stats.norm.ppf(0.5 + level / 200.0)
    t = account_targets.copy()
    t["_sd"] = (t[f"total_hi_{level:g}"] - t["expected_total"]).clip(lower=0) / z
    g = t.groupby("period")
    out = pd.DataFrame(
        {
            "revenue_target": g["revenue_target"].sum(),
            "booked_ytd": g["booked_ytd"].sum(),
            "expected_total": g["expected_total"].sum(),
            "sd_total": g["_sd"].apply(lambda s: total_sd(s.to_numpy(), rho)),
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


__all__ = [
    "blended_summary",
    "class_fallback_ratios",
    "portfolio_target",
    "silent_ratios",
    "target_attainment",
    "unchecked_year_note",
    "year_low_end_note",
    "year_range_note",
]
