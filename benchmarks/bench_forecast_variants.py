"""Forecast combination and survival weighting beside kamtools' per-account choice (research, not shipped).

Reproduces the variant table in the docstring of ``bench_real_data.py`` (section "Forecast
combination and survival weighting"). For each case of that benchmark the forecast stage
runs once; the inputs of its per-account choice (:func:`kamtools.forecast.selection.select`:
history, model forecasts, backtest evidence, BTYD paths) are recorded, and each variant is
computed from them and scored out of time with the same ``score`` and baselines:

* ``A common quantile`` - each account's forecast times the tau-quantile of its class's
  out-of-time ratios actual / forecast, one tau for all accounts so that the total stays;
* ``B combinations by class`` - means of the calibrated candidates as further candidates of
  the class choice;
* ``C recency/frequency chain`` - an empirical P(ordering next month | ordering months,
  months since the last order) rolled forward, times the account's mean ordering month;
* ``D survival median`` - like A with a predictive distribution that is zero with C's
  probability of no order in the horizon;
* ``E mean(kamtools, zero if lapsed)`` - a fixed equal-weight mean.

Added 2026-12-05 (FORECAST17; the table is in ``bench_real_data.py``, section "Shrinkage,
agreement and stacking"):

* ``F EB class factor`` - the calibration factor of each class's chosen method shrunk towards
  the portfolio's factor of that method (empirical Bayes on the log scale: the factor's
  sampling variance by the ratio estimator's delta method, the spread between classes by
  the method of moments);
* ``G two-origin agreement`` - each class's factor checked against the factor of the same
  class and method at a later, shorter origin (the BTYD refitted there): 1 where they
  disagree in direction, else the one nearer 1;
* ``H stacking (cross-fitted)`` - per class, non-negative least squares weights of model,
  BTYD, mean of 6 and of 12 months on the backtest totals, used where their 5-fold
  out-of-fold MAE beat the class's choice (``H in-sample``: everywhere, no such check);
* ``I one-time buyers, MBG`` - every account with one ordering month (not only the silent
  ones kamtools now treats so) on the modified BG/NBD as fitted.

Added 2026-12-05 (FORECAST17, "Why a 2,000-customer sample under-forecasts more than the whole
set" in ``bench_real_data.py``): where the backtest has two origins or more (on CDNOW only at
1998-01, and only for portfolios of up to ``LARGE_PORTFOLIO`` accounts):

* ``J latest origin only`` - the choice made on the evidence of the latest origin alone, as a
  larger portfolio's one-window backtest gives it;
* ``K no own override`` - no account's own backtest overrides its class's choice.

Added 2026-12-05 (FORECAST17, "Shrinking each class's evidence toward the portfolio's" in
``bench_real_data.py``; not kept): every class's choice (``_choose_on`` on a class of at
least ``MIN_CLASS_ROWS`` rows, not the portfolio's own) made after empirical Bayes
shrinkage toward the whole portfolio (:func:`class_shrink`):

* ``L EB class shrink`` - each method's log calibration factor (sampling variance by the
  ratio estimator's delta method) and its log MAE relative to the mean of the class's
  methods (variance var(|error|) / (n MAE^2)) pulled toward the portfolio's, weighted by
  the spread between classes (method of moments, at least ``SHRINK_MIN_SPREAD``) against
  the class's sampling variance; the shrunk factors calibrate, the shrunk MAE chooses;
* ``L factors only`` / ``L MAE only`` - one of the two;
* ``L MAE in the margin only`` - the raw MAE ranks, the shrunk MAE decides only whether a
  strongly corrected method wins by ``CORRECTION_MARGIN``.

Added 2026-12-06 (CHOICE, "Noise gates on the class choice" in ``bench_real_data.py``; not
kept): every class's choice (not the portfolio's own) by :func:`choose_on_gated`:

* ``M paired gate, 2 s.e.`` - a strongly corrected method replaces the best well-calibrated one
  only when it wins by ``CORRECTION_MARGIN`` plus two standard errors of the paired mean
  difference of the rows' absolute errors;
* ``M factor's 2 s.e. reach the band`` - a method counts as well calibrated when two standard
  errors of its factor (ratio estimator) reach ``WELL_CALIBRATED``;
* ``M nearest to the band`` - where no method is well calibrated, the one whose factor is
  nearest to it plays that part in the margin test.

The inputs of ``select`` can be pickled once per case (``recording_select``: its ``args``,
``kwargs``, the actuals and the baselines' scores) and a variant rerun on them in seconds.

Usage::

    python benchmarks/bench_forecast_variants.py                    # 2,000 sample (seeds 1, 2), top 500, demo
    python benchmarks/bench_forecast_variants.py --full --no-demo   # also all 23,570 customers (slow)
    python benchmarks/bench_forecast_variants.py --seeds 3 4 --heavy 0 --no-demo   # two fresh draws
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_real_data as real  # noqa: E402

from kamtools.forecast import accounts as fc_accounts  # noqa: E402
from kamtools.forecast import selection as sel_mod  # noqa: E402


def _set_in_selection(name, value):
    """Set ``name`` in every module of :mod:`kamtools.forecast.selection` that holds it (the package and the
    module that reads it), so that a variant reaches the code as when the selection was one file."""
    for key, mod in list(sys.modules.items()):
        if (key == sel_mod.__name__ or key.startswith(sel_mod.__name__ + ".")) and hasattr(mod, name):
            setattr(mod, name, value)


BASELINES = ("mean of last 6 months", "seasonal naive", "zero if lapsed (3 m)", "BTYD expected value")
COMBINATIONS = {
    "mean of model and BTYD": ("model", "btyd"),
    "mean of model, BTYD, 6 months": ("model", "btyd", "recent_mean"),
    "mean of model, BTYD, 6 and 12 months": ("model", "btyd", "recent_mean", "level_12m"),
    "mean of model and 6 months": ("model", "recent_mean"),
}
TAUS = np.linspace(0.02, 0.98, 97)
_CHOOSE_BY_CLASS = sel_mod.choose_by_class  # the unpatched class choice
_CHOOSE_ON = sel_mod._choose_on  # ... and its comparison
N_MAX, GAP_MAX = 6, 12  # chain states: ordering months 0..6+, months since the last order 0..12+ (13: none yet)


# ---------------------------------------------------------------------------------------
# the inputs of the per-account choice, as the forecast stage passes them
# ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def recording_select():
    """Record the arguments of every :func:`select` call of the forecast stage."""
    seen: list[tuple] = []
    original = fc_accounts.select

    def spy(*args, **kwargs):
        seen.append((args, kwargs))
        return original(*args, **kwargs)

    fc_accounts.select = spy
    try:
        yield seen
    finally:
        fc_accounts.select = original


def frame(ids, mean, lo, hi, horizon) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "account_id": np.repeat(np.asarray(ids).astype(str), horizon),
            "step": np.tile(np.arange(horizon), n),
            "forecast": mean[:, :horizon].ravel(),
            "lo_80": lo[:, :horizon].ravel(),
            "hi_80": hi[:, :horizon].ravel(),
        }
    )


# ---------------------------------------------------------------------------------------
# variants
# ---------------------------------------------------------------------------------------
def common_quantile(sel, ev, y, horizon) -> np.ndarray:
    """A: per-account multipliers (the class's tau-quantile of actual / forecast, one tau, total kept)."""
    if ev is None:
        return np.ones(len(sel.ids))
    klass = sel_mod.account_state(y, sel.mean.shape[1]).klass
    act = ev.actual.sum(axis=1)
    cache: dict = {}

    def ratios(k, m):
        if (k, m) not in cache:
            ok = np.all(np.isfinite(ev.paths[m]), axis=1)
            rows = ok & (ev.klass == k) if np.sum(ok & (ev.klass == k)) >= sel_mod.MIN_CLASS_ROWS else ok
            f, a = ev.paths[m][rows].sum(axis=1), act[rows]
            f, a = f[f > 0], a[f > 0]
            if len(f) < 5:
                cache[(k, m)] = None
            else:  # ratios to the calibrated forecast (forecast-weighted mean 1)
                r = a / f * (f.sum() / a.sum() if a.sum() > 0 else 1.0)
                o = np.argsort(r)
                w = (f / f.sum())[o]
                cache[(k, m)] = (r[o], np.cumsum(w) - 0.5 * w)
        return cache[(k, m)]

    q = np.ones((len(sel.ids), len(TAUS)))
    for i, m in enumerate(sel.method):
        if m == "zero":
            q[i] = 0.0
        elif (rr := ratios(int(klass[i]), m)) is not None:
            q[i] = np.interp(TAUS, rr[1], rr[0])
    return _keep_total(q, sel.mean[:, :horizon].sum(axis=1))


def _log_ratio_var(a: np.ndarray, f: np.ndarray) -> float:
    """Variance of log(sum a / sum f) (ratio estimator, delta method)."""
    big_a, big_f = a.sum(), f.sum()
    if big_a <= 0 or big_f <= 0:
        return np.inf
    n = len(a)
    return float(np.sum((a - big_a / big_f * f) ** 2) * n / max(n - 1, 1) / big_a**2)


@contextlib.contextmanager
def patched_class_choice(adjust):
    """:func:`choose_by_class` followed by ``adjust(ev, available, choices, pooled)`` (restored on exit)."""
    original = sel_mod.choose_by_class

    def choose(ev, available):
        out, pooled = original(ev, available)
        adjust(ev, available, out, pooled)
        return out, pooled

    _set_in_selection("choose_by_class", choose)
    try:
        yield
    finally:
        _set_in_selection("choose_by_class", original)


def eb_factors(ev, available, out, pooled) -> None:
    """F: the chosen method's class factor shrunk towards the pooled factor (empirical Bayes, log scale)."""
    act = ev.actual.sum(axis=1)
    raw = {}
    for k, c in out.items():
        if c.pooled:
            continue
        rows = np.flatnonzero(ev.klass == k)
        for m in available:
            f = ev.paths[m][rows].sum(axis=1)
            ok = np.isfinite(f)
            v = _log_ratio_var(act[rows][ok], f[ok]) if ok.sum() >= 2 else np.inf
            if c.factor.get(m, 0) > 0 and np.isfinite(v):
                raw[(k, m)] = (np.log(c.factor[m]), v)
    for m in available:
        items = [(k, lv) for (k, mm), lv in raw.items() if mm == m]
        if len(items) < 2:
            continue
        lp = np.log(max(pooled.factor.get(m, 1.0), 1e-3))
        logs, vs = np.array([x[1][0] for x in items]), np.array([x[1][1] for x in items])
        tau2 = max(float(np.mean((logs - lp) ** 2) - np.mean(vs)), 1e-4)
        for k, (lk, vk) in items:
            if out[k].method == m:
                w = tau2 / (tau2 + vk)
                out[k].factor = {**out[k].factor, m: float(np.exp(w * lk + (1 - w) * lp))}


# ---------------------------------------------------------------------------------------
# L: each class's factors and relative MAE shrunk towards the portfolio's before its choice
# ---------------------------------------------------------------------------------------
SHRINK_MIN_SPREAD = 1e-4  # the least spread between classes (log scale) the shrinkage assumes
PAIRED_VARIANCE = True  # the relative MAE's sampling variance from paired errors (False: as if independent)


def _shrunk(x: float, v: float, target: float, tau2: float) -> float:
    """Empirical Bayes: ``x`` (sampling variance ``v``) pulled towards ``target`` (spread ``tau2`` between classes)."""
    if not (np.isfinite(x) and np.isfinite(target)):
        return x
    w = tau2 / (tau2 + v) if np.isfinite(v) else 0.0
    return float(w * x + (1 - w) * target)


def choose_on_shrunk(ev, rows, available, prior=None, stats=None, gate_only=False):
    """:func:`kamtools.forecast.selection._choose_on` with empirical Bayes shrinkage.

    ``prior``: per method the portfolio's log factor and log MAE with their spread between
    classes; the class's log factors and its methods' log MAE relative to their mean are
    pulled towards the portfolio's, each weighted by its sampling variance against the spread
    (the factor's by the ratio estimator's delta method, the MAE's as var(|error|) / (n MAE^2)).
    ``stats`` receives the raw values. ``gate_only``: the shrunk MAE decides only the margin a
    strongly corrected method must win by (``CORRECTION_MARGIN``), not the ranking.
    """
    act = ev.actual[rows].sum(axis=1)
    ok = {m: np.all(np.isfinite(ev.paths[m][rows]), axis=1) for m in available}
    enough = max(1, min(sel_mod.MIN_COMPARE_ROWS, len(rows)))
    methods = [m for m in available if ok[m].sum() >= enough]
    if not methods:
        return "recent_mean", {}, {}
    while True:
        common = np.logical_and.reduce([ok[m] for m in methods])
        if common.sum() >= enough or len(methods) == 1:
            break
        methods.remove(min(methods, key=lambda m: ok[m].sum()))
    factor, mae = {}, {}
    for m in available:
        if not ok[m].any():
            continue
        tot = ev.paths[m][rows][ok[m]].sum(axis=1)
        factor[m] = sel_mod._factor(act[ok[m]], tot)
        if factor[m] > 0:
            lf, v = float(np.log(factor[m])), _log_ratio_var(act[ok[m]], tot) if ok[m].sum() >= 2 else np.inf
            if stats is not None:
                stats.setdefault("factor", {})[m] = (lf, v)
            if prior is not None and m in prior["factor"]:
                target, tau2 = prior["factor"][m]
                factor[m] = float(np.clip(np.exp(_shrunk(lf, v, target, tau2)), *sel_mod.FACTOR_BOUNDS))
    silent = [m for m in methods if np.sum(ev.paths[m][rows][ok[m]]) <= 0 < np.sum(act[ok[m]])]
    methods = [m for m in methods if m not in silent] or methods
    err = {}
    for m in methods:
        tot = ev.paths[m][rows][common].sum(axis=1) * factor[m]
        err[m] = np.abs(tot - act[common])
        mae[m] = float(np.mean(err[m])) if common.any() else np.inf
    score = dict(mae)
    pos = [m for m in methods if np.isfinite(mae[m]) and mae[m] > 0]
    n = int(common.sum())
    if len(pos) > 1 and n > 1:
        logs = {m: float(np.log(mae[m])) for m in pos}
        centre = float(np.mean(list(logs.values())))
        if PAIRED_VARIANCE:  # delta method on the paired rows: the methods' errors move together
            mean_rel = np.mean([err[m] / mae[m] for m in pos], axis=0)
            rel = {m: (logs[m] - centre, float(np.var(err[m] / mae[m] - mean_rel, ddof=1) / n)) for m in pos}
        else:
            rel = {m: (logs[m] - centre, float(np.var(err[m], ddof=1) / n / mae[m] ** 2)) for m in pos}
        if stats is not None:
            stats["mae"] = rel
        known = [m for m in pos if prior is not None and m in prior["mae"]]
        if len(known) > 1:
            p_centre = float(np.mean([prior["mae"][m][0] for m in known]))
            for m in known:
                x, v = rel[m]
                score[m] = float(np.exp(centre + _shrunk(x, v, prior["mae"][m][0] - p_centre, prior["mae"][m][1])))
    rank = mae if gate_only else score
    cands = sel_mod.CANDIDATES
    best = min(methods, key=lambda m: (rank[m], cands.index(m)))
    lo, hi = sel_mod.WELL_CALIBRATED
    steady = [m for m in methods if lo <= factor[m] <= hi]
    if best not in steady and steady:
        alt = min(steady, key=lambda m: (rank[m], cands.index(m)))
        if score[best] > (1 - sel_mod.CORRECTION_MARGIN) * score[alt]:
            best = alt
    return best, factor, mae


def class_prior(ev, available, parts=("factor", "mae")) -> dict:
    """L: the portfolio's log factor and log MAE per method, each with its spread between the
    classes of at least ``MIN_CLASS_ROWS`` rows (method of moments: the mean squared distance
    of their raw values from the portfolio's less their mean sampling variance, at least
    ``SHRINK_MIN_SPREAD``)."""
    _, p_factor, p_mae = _CHOOSE_ON(ev, np.arange(len(ev.account)), available)
    raw = []
    for k in np.unique(ev.klass):
        rows = np.flatnonzero(ev.klass == k)
        if len(rows) >= sel_mod.MIN_CLASS_ROWS:
            st: dict = {}
            choose_on_shrunk(ev, rows, available, stats=st)
            raw.append(st)
    prior: dict = {"factor": {}, "mae": {}}
    for m, f in p_factor.items():
        items = [st["factor"][m] for st in raw if m in st.get("factor", {}) and np.isfinite(st["factor"][m][1])]
        if "factor" in parts and f > 0 and len(items) >= 2:
            t = float(np.log(f))
            spread = np.mean([(x - t) ** 2 for x, _ in items]) - np.mean([v for _, v in items])
            prior["factor"][m] = (t, max(float(spread), SHRINK_MIN_SPREAD))
    known = [m for m in p_mae if np.isfinite(p_mae[m]) and p_mae[m] > 0]
    for m in known if "mae" in parts else ():
        items = []
        for st in raw:
            rel = st.get("mae", {})
            both = [o for o in rel if o in known]
            if m in rel and len(both) > 1 and np.isfinite(rel[m][1]):
                t = np.log(p_mae[m]) - np.mean([np.log(p_mae[o]) for o in both])
                items.append((rel[m][0] - t, rel[m][1]))
        if len(items) >= 2:
            spread = np.mean([d**2 for d, _ in items]) - np.mean([v for _, v in items])
            prior["mae"][m] = (float(np.log(p_mae[m])), max(float(spread), SHRINK_MIN_SPREAD))
    return prior


@contextlib.contextmanager
def class_shrink(parts=("factor", "mae"), gate_only=False):
    """L: every class's choice (not the portfolio's) made on shrunk factors and MAE (restored on exit)."""
    cache: dict = {}

    def choose(ev, rows, available, **opts):
        if len(rows) == len(ev.account):
            return _CHOOSE_ON(ev, rows, available, **opts)
        key = (id(ev), tuple(available))
        if key not in cache:
            cache[key] = class_prior(ev, available, parts)
        return choose_on_shrunk(ev, rows, available, cache[key], gate_only=gate_only)

    _set_in_selection("_choose_on", choose)
    try:
        yield
    finally:
        _set_in_selection("_choose_on", _CHOOSE_ON)


def _paired_se(a: np.ndarray, b: np.ndarray) -> float:
    """Standard error of the mean of the paired differences ``a - b`` (0 with fewer than two pairs)."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return float(np.std(d, ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0


def _factor_se(act: np.ndarray, tot: np.ndarray, factor: float) -> float:
    """Standard error of the ratio estimate ``sum(act) / sum(tot)`` over the rows (inf under two rows)."""
    s = float(np.sum(tot))
    if s <= 0 or len(act) < 2:
        return np.inf
    r = act - factor * tot
    return float(np.sqrt(len(r) / (len(r) - 1) * np.sum(r**2)) / s)


def choose_on_gated(ev, rows, available, z_gain=2.0, z_factor=0.0, nearest=False):
    """:func:`kamtools.forecast.selection._choose_on` with the switch away from a well-calibrated method
    demanding evidence beyond noise (M): the corrected method must beat it by ``CORRECTION_MARGIN`` plus
    ``z_gain`` standard errors of the paired mean difference of the rows' absolute errors; a method counts as
    well calibrated when its factor's ``z_factor`` standard errors (ratio estimator) reach
    ``WELL_CALIBRATED``; ``nearest``: where no method is, the one whose factor is nearest to it plays that role.
    """
    act = ev.actual[rows].sum(axis=1)
    ok = {m: np.all(np.isfinite(ev.paths[m][rows]), axis=1) for m in available}
    enough = max(1, min(sel_mod.MIN_COMPARE_ROWS, len(rows)))
    methods = [m for m in available if ok[m].sum() >= enough]
    if not methods:
        return "recent_mean", {}, {}
    while True:
        common = np.logical_and.reduce([ok[m] for m in methods])
        if common.sum() >= enough or len(methods) == 1:
            break
        methods.remove(min(methods, key=lambda m: ok[m].sum()))
    factor, mae, err, spread = {}, {}, {}, {}
    for m in available:
        if not ok[m].any():
            continue
        tot = ev.paths[m][rows][ok[m]].sum(axis=1)
        factor[m] = sel_mod._factor(act[ok[m]], tot)
        spread[m] = z_factor * _factor_se(act[ok[m]], tot, factor[m]) if z_factor else 0.0
    silent = [m for m in methods if np.sum(ev.paths[m][rows][ok[m]]) <= 0 < np.sum(act[ok[m]])]
    methods = [m for m in methods if m not in silent] or methods
    for m in methods:
        err[m] = np.abs(ev.paths[m][rows][common].sum(axis=1) * factor[m] - act[common])
        mae[m] = float(np.mean(err[m])) if common.any() else np.inf
    cands = sel_mod.CANDIDATES
    best = min(methods, key=lambda m: (mae[m], cands.index(m)))
    lo, hi = sel_mod.WELL_CALIBRATED
    steady = [m for m in methods if lo - spread[m] <= factor[m] <= hi + spread[m]]
    if not steady and nearest:

        def off(m: str) -> float:
            f = max(factor[m], 1e-9)
            return max(0.0, float(np.log(lo / f)), float(np.log(f / hi)))

        steady = [min(methods, key=lambda m: (off(m), cands.index(m)))]
    if best not in steady and steady:
        alt = min(steady, key=lambda m: (mae[m], cands.index(m)))
        if mae[best] + z_gain * _paired_se(err[best], err[alt]) > (1 - sel_mod.CORRECTION_MARGIN) * mae[alt]:
            best = alt
    return best, factor, mae


@contextlib.contextmanager
def noise_gate(**kw):
    """M: every class's choice (not the portfolio's) by :func:`choose_on_gated` (restored on exit)."""

    def choose(ev, rows, available, **opts):
        if len(rows) == len(ev.account):
            return _CHOOSE_ON(ev, rows, available, **opts)
        return choose_on_gated(ev, rows, available, **kw)

    _set_in_selection("_choose_on", choose)
    try:
        yield
    finally:
        _set_in_selection("_choose_on", _CHOOSE_ON)


def later_evidence(y, ids, horizon_ev: int, orders, family: str, as_of: pd.Timestamp):
    """G: evidence at the newest origin after the backtest's (horizon 3, else 2 or 1), the BTYD refitted there."""
    t = y.shape[1]
    for h in (3, 2, 1):
        c = t - 1 - h
        if c > t - 1 - horizon_ev:
            break
    months = pd.date_range(end=as_of.to_period("M").to_timestamp(), periods=t, freq="MS")
    cut = (months[c] + pd.offsets.MonthEnd(0)).normalize()
    return sel_mod.build_evidence(y, ids, [c], h, None, {c: sel_mod.btyd_paths(orders, cut, ids, h, family)})


def latest_origin(ev):
    """J: the evidence rows of the backtest's latest origin only (what a portfolio of more than
    ``LARGE_PORTFOLIO`` accounts gets: one backtest window); ``ev`` itself when it has one origin."""
    if ev is None or ev.origin is None or len(np.unique(ev.origin)) < 2:
        return ev
    r = ev.origin == ev.origin.max()
    return replace(
        ev,
        account=ev.account[r],
        klass=ev.klass[r],
        scale=ev.scale[r],
        actual=ev.actual[r],
        paths={k: v[r] for k, v in ev.paths.items()},
        lapsed_ref=ev.lapsed_ref[r],
        origin=ev.origin[r],
        silent_long=None if ev.silent_long is None else ev.silent_long[r],
    )


@contextlib.contextmanager
def no_own_override():
    """K: no account's own backtest overrides its class's choice (it needs two origins; see ``select``)."""
    kept = sel_mod.MIN_OWN_ORIGINS
    _set_in_selection("MIN_OWN_ORIGINS", 10**9)
    try:
        yield
    finally:
        _set_in_selection("MIN_OWN_ORIGINS", kept)


def agreement(later):
    """G: a class factor kept only as far as the later origin agrees with it."""

    def agree(f_old: float, f_new) -> float:
        if f_new is None or not np.isfinite(f_new) or f_new <= 0:
            return f_old
        lo, ln = np.log(max(f_old, 1e-6)), np.log(f_new)
        return 1.0 if lo * ln <= 0 else (f_old if abs(lo) <= abs(ln) else f_new)

    def adjust(ev, available, out, pooled) -> None:
        avail = tuple(m for m in available if np.isfinite(later.paths[m]).all(axis=1).any())
        r_out, r_pooled = _CHOOSE_BY_CLASS(later, avail)
        for k, c in out.items():
            if c.method == "zero":
                continue
            rc = r_out.get(k)
            f_new = rc.factor.get(c.method) if rc is not None and not rc.pooled else r_pooled.factor.get(c.method)
            c.factor = {**c.factor, c.method: agree(c.factor.get(c.method, 1.0), f_new)}
        pooled.factor = {m: agree(f, r_pooled.factor.get(m)) for m, f in pooled.factor.items()}

    return adjust


def stacked(args, kwargs, sel, cross_fit: bool = True, folds: int = 5) -> np.ndarray:
    """H: per class, NNLS weights of the candidates on the backtest totals (where cross-fitting says they help)."""
    from scipy.optimize import nnls

    y, mm, ev, btyd_now = args[0], args[2], args[6], args[7]
    if ev is None:
        return sel.mean
    h = mm.shape[1]
    st = sel_mod.account_state(y, h)
    paths = sel_mod.candidate_paths(st, h, mm, btyd_now)
    cands = [
        m
        for m in ("model", "btyd", "recent_mean", "level_12m")
        if np.isfinite(ev.paths[m]).all(axis=1).sum() > sel_mod.MIN_CLASS_ROWS and (m != "btyd" or btyd_now is not None)
    ]
    act = ev.actual.sum(axis=1)
    x = np.column_stack([ev.paths[m].sum(axis=1) for m in cands])
    okr = np.all(np.isfinite(x), axis=1)
    avail = tuple(m for m in sel_mod.CANDIDATES if np.isfinite(ev.paths[m]).all(axis=1).any())
    choices, pooled = sel_mod.choose_by_class(
        ev, avail if btyd_now is not None else tuple(a for a in avail if a != "btyd")
    )
    rng = np.random.default_rng(0)
    w_pooled = nnls(x[okr], act[okr])[0]
    mean = sel.mean.copy()
    for k in np.unique(st.klass):
        rows = okr & (ev.klass == k)
        c = choices.get(int(k))
        if cross_fit and (c is None or c.pooled or c.method == "zero" or rows.sum() < sel_mod.MIN_CLASS_ROWS):
            continue
        w = nnls(x[rows], act[rows])[0] if rows.sum() >= sel_mod.MIN_CLASS_ROWS else w_pooled
        if cross_fit:
            r = np.flatnonzero(rows)
            fold = rng.permutation(len(r)) % folds
            pred = np.zeros(len(r))
            for f in range(folds):
                pred[fold == f] = x[r[fold == f]] @ nnls(x[r[fold != f]], act[r[fold != f]])[0]
            p = ev.paths[c.method][r].sum(axis=1) * c.factor.get(c.method, 1.0)
            if not np.mean(np.abs(pred - act[r])) < np.mean(np.abs(p - act[r])):
                continue
        acc = np.flatnonzero((st.klass == k) & (sel.method != "zero"))
        p_now = np.stack([paths[m][acc] for m in cands], axis=-1)
        ok = np.all(np.isfinite(p_now), axis=(1, 2))
        mean[acc[ok]] = np.einsum("nhc,c->nh", p_now[ok], w)
    return mean


def one_time_mbg(args, sel, orders, as_of: pd.Timestamp) -> np.ndarray:
    """I: every account with one ordering month (not zeroed) on the modified BG/NBD as fitted."""
    y, ids, h = args[0], np.asarray(args[1]).astype(str), args[2].shape[1]
    cut = (as_of.to_period("M").to_timestamp() + pd.offsets.MonthEnd(0)).normalize()
    p = sel_mod.btyd_paths(orders, cut, ids, h, "mbg_nbd")
    mean = sel.mean.copy()
    if p is not None:
        one = (np.sum(np.nan_to_num(y) > 0, axis=1) == 1) & (sel.method != "zero") & np.all(np.isfinite(p), axis=1)
        mean[one] = p[one]
    return mean


def _keep_total(q: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """The column of multipliers ``q`` (accounts x tau) whose weighted total is nearest the expected total."""
    j = int(np.argmin(np.abs((q * totals[:, None]).sum(axis=0) - totals.sum())))
    return q[:, j]


@contextlib.contextmanager
def with_combinations():
    """The class choice with the :data:`COMBINATIONS` as further candidates (restored on exit)."""
    saved = (sel_mod.CANDIDATES, dict(sel_mod.METHOD_WORDS), sel_mod.candidate_paths)
    base_paths = sel_mod.candidate_paths

    def paths_with(state, horizon, model, btyd):
        p = base_paths(state, horizon, model, btyd)
        p.update(combined(p))
        return p

    _set_in_selection("CANDIDATES", saved[0] + tuple(COMBINATIONS))
    sel_mod.METHOD_WORDS.update({k: k for k in COMBINATIONS})
    _set_in_selection("candidate_paths", paths_with)
    try:
        yield
    finally:
        _set_in_selection("CANDIDATES", saved[0])
        _set_in_selection("candidate_paths", saved[2])
        sel_mod.METHOD_WORDS.clear()
        sel_mod.METHOD_WORDS.update(saved[1])


def combined(paths: dict) -> dict:
    out = {}
    for name, members in COMBINATIONS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(np.stack([paths[m] for m in members]), axis=0)
        out[name] = np.where(np.isfinite(paths["model"]), mean, np.nan)
    return out


def rf_chain(y: np.ndarray, horizon: int, months: int = 6, prior: float = 20.0):
    """C: (expected revenue per coming month, P(no order in the horizon)) from the recency/frequency chain."""
    capped, _ = sel_mod.cap_spikes(np.asarray(y, dtype=float))
    n, t = capped.shape
    started = np.isfinite(capped)
    pos = np.nan_to_num(capped) > 0
    count = np.cumsum(pos, axis=1)
    total = np.cumsum(np.nan_to_num(capped) * pos, axis=1)
    last = np.maximum.accumulate(np.where(pos, np.arange(t)[None, :], -1), axis=1)
    gap = np.where(last >= 0, np.arange(t)[None, :] - last, GAP_MAX + 1)
    width = GAP_MAX + 2
    state = np.minimum(count, N_MAX) * width + np.minimum(gap, GAP_MAX + 1)
    n_states = (N_MAX + 1) * width
    seen, bought = np.zeros(n_states), np.zeros(n_states)
    spend, usual = 0.0, 0.0
    for c in range(max(0, t - 1 - months), t - 1):
        ok = started[:, c]
        np.add.at(seen, state[ok, c], 1)
        np.add.at(bought, state[ok, c], pos[ok, c + 1])
        had = ok & (count[:, c] > 0) & pos[:, c + 1]
        spend += float(np.nansum(capped[had, c + 1]))
        usual += float(np.sum(total[had, c] / count[had, c]))
    overall = bought.sum() / max(seen.sum(), 1)
    by_gap = (bought.reshape(-1, width).sum(0) + prior * overall) / (seen.reshape(-1, width).sum(0) + prior)
    p = (bought + prior * np.tile(by_gap, N_MAX + 1)) / (seen + prior)
    n_of, gap_of = np.arange(n_states) // width, np.arange(n_states) % width
    to_buy = np.minimum(n_of + 1, N_MAX) * width
    to_wait = n_of * width + np.where(gap_of == GAP_MAX + 1, GAP_MAX + 1, np.minimum(gap_of + 1, GAP_MAX))
    prob = np.zeros((n, n_states))
    prob[np.arange(n), state[:, -1]] = started[:, -1]
    silent = prob.copy()
    p_order = np.zeros((n, horizon))
    for k in range(horizon):
        p_order[:, k] = prob @ p
        nxt = np.zeros_like(prob)
        np.add.at(nxt.T, to_buy, (prob * p).T)
        np.add.at(nxt.T, to_wait, (prob * (1 - p)).T)
        prob = nxt
        quiet = np.zeros_like(silent)
        np.add.at(quiet.T, to_wait, (silent * (1 - p)).T)
        silent = quiet
    avg = np.where(count[:, -1] > 0, total[:, -1] / np.maximum(count[:, -1], 1), np.nan)
    avg = np.where(np.isfinite(avg), avg, np.nanmean(avg) if np.isfinite(avg).any() else 0.0)
    return p_order * (avg * (spend / usual if usual > 0 else 1.0))[:, None], silent.sum(axis=1)


def survival_median(sel, p_none: np.ndarray, horizon: int) -> np.ndarray:
    """D: multipliers from a predictive distribution that is 0 with ``p_none``, else expected / P(order)."""
    expected = sel.mean[:, :horizon].sum(axis=1)
    given_order = expected / np.maximum(1 - p_none, 1e-3)
    for tau in np.linspace(0.3, 1.0, 71):
        keep = p_none < tau
        if given_order[keep].sum() >= expected.sum():
            point = np.where(keep, given_order, 0.0) * (expected.sum() / given_order[keep].sum())
            break
    else:
        point = given_order
    return np.where(expected > 0, point / np.where(expected > 0, expected, 1.0), 0.0)


# ---------------------------------------------------------------------------------------
# one case
# ---------------------------------------------------------------------------------------
def run_case(label: str, full, ids, as_of: str, horizon: int) -> pd.DataFrame:
    from kamtools import value as value_stage

    t0 = time.perf_counter()
    ts = pd.Timestamp(as_of)
    past = real.keep_accounts(full, ids).truncate(ts)
    ctx: dict = {}
    with warnings.catch_warnings(), recording_select() as calls:
        warnings.simplefilter("ignore")
        with contextlib.suppress(Exception):  # the forecast stage then runs without the value tables
            ctx.update({k: v for k, v in value_stage.bundle_tables(past, {}).items() if isinstance(v, pd.DataFrame)})
        fc_accounts.bundle_tables(past, ctx)
    args, kwargs = calls[-1]
    y, ev = args[0], args[6]
    act = real.actuals(full, ts, horizon, sorted(np.asarray(args[1]).astype(str)))
    rows = []

    def add(name, f):
        rows.append({"case": label, "as_of": as_of, "method": name, **real.score(f, act)})

    alternatives = real.baselines(past, horizon)
    if (b := real.btyd(past, horizon)) is not None:
        alternatives["BTYD expected value"] = b
    for name in BASELINES:
        if name in alternatives:
            add(name, alternatives[name])
    sel = sel_mod.select(*args, **kwargs)
    add("kamtools", frame(sel.ids, sel.mean, sel.lo[80], sel.hi[80], horizon))
    for name, mult in (
        ("A common quantile", common_quantile(sel, ev, y, horizon)),
        ("D survival median", survival_median(sel, rf_chain(y, horizon)[1], horizon)),
    ):
        m = sel.mean * mult[:, None]
        add(name, frame(sel.ids, m, np.minimum(sel.lo[80], m), np.maximum(sel.hi[80], m), horizon))
    with with_combinations():
        ev_b = None if ev is None else replace(ev, paths={**ev.paths, **combined(ev.paths)})
        s_b = sel_mod.select(*args[:6], ev_b, *args[7:], **kwargs)
    add("B combinations by class", frame(s_b.ids, s_b.mean, s_b.lo[80], s_b.hi[80], horizon))
    chain = rf_chain(y, horizon)[0]
    add("C recency/frequency chain", frame(sel.ids, chain, np.zeros_like(chain), np.zeros_like(chain), horizon))
    key = ["account_id", "step"]
    k = frame(sel.ids, sel.mean, sel.lo[80], sel.hi[80], horizon).set_index(key)
    z = alternatives["zero if lapsed (3 m)"].set_index(key)[["forecast", "lo_80", "hi_80"]].reindex(k.index).fillna(0)
    e = (k + z) / 2
    e["lo_80"], e["hi_80"] = np.minimum(k["lo_80"], z["lo_80"]), np.maximum(k["hi_80"], z["hi_80"])
    add("E mean(kamtools, zero if lapsed)", e.reset_index())
    zeros = np.zeros_like(sel.mean)
    with patched_class_choice(eb_factors):
        s_f = sel_mod.select(*args, **kwargs)
    add("F EB class factor", frame(s_f.ids, s_f.mean, s_f.lo[80], s_f.hi[80], horizon))
    orders = past.order_lines[
        [c for c in ("account_id", "order_date", "net_revenue", "quantity") if c in past.order_lines]
    ]
    if ev is not None:
        later = later_evidence(y, np.asarray(args[1]).astype(str), ev.horizon, orders, family_of(ctx), ts)
        with patched_class_choice(agreement(later)):
            s_g = sel_mod.select(*args, **kwargs)
        add("G two-origin agreement", frame(s_g.ids, s_g.mean, s_g.lo[80], s_g.hi[80], horizon))
    add("H stacking (cross-fitted)", frame(sel.ids, stacked(args, kwargs, sel), zeros, zeros, horizon))
    add("H in-sample", frame(sel.ids, stacked(args, kwargs, sel, cross_fit=False), zeros, zeros, horizon))
    add("I one-time buyers, MBG", frame(sel.ids, one_time_mbg(args, sel, orders, ts), zeros, zeros, horizon))
    s_j = sel_mod.select(*args[:6], latest_origin(ev), *args[7:], **kwargs)
    add("J latest origin only", frame(s_j.ids, s_j.mean, s_j.lo[80], s_j.hi[80], horizon))
    with no_own_override():
        s_k = sel_mod.select(*args, **kwargs)
    add("K no own override", frame(s_k.ids, s_k.mean, s_k.lo[80], s_k.hi[80], horizon))
    for name, parts, gate in (
        ("L EB class shrink", ("factor", "mae"), False),
        ("L factors only", ("factor",), False),
        ("L MAE only", ("mae",), False),
        ("L MAE in the margin only", ("mae",), True),
    ):
        with class_shrink(parts, gate):
            s_l = sel_mod.select(*args, **kwargs)
        add(name, frame(s_l.ids, s_l.mean, s_l.lo[80], s_l.hi[80], horizon))
    for name, kw in (
        ("M paired gate, 2 s.e.", {"z_gain": 2.0}),
        ("M factor's 2 s.e. reach the band", {"z_gain": 0.0, "z_factor": 2.0}),
        ("M nearest to the band", {"z_gain": 0.0, "nearest": True}),
    ):
        with noise_gate(**kw):
            s_m = sel_mod.select(*args, **kwargs)
        add(name, frame(s_m.ids, s_m.mean, s_m.lo[80], s_m.hi[80], horizon))
    print(f"  [{label} {as_of}: {time.perf_counter() - t0:.0f} s]", flush=True)
    return pd.DataFrame(rows)


def family_of(ctx: dict) -> str:
    return fc_accounts.btyd_family(ctx.get("value_model"))


def summary(res: pd.DataFrame) -> pd.DataFrame:
    """Per variant: cases with the lowest MAE of all baselines, and of those with |bias| under 15%."""
    out = []
    for method in res["method"].unique():
        if method in BASELINES:
            continue
        wins = both = 0
        for _, d in res.groupby(["case", "as_of"]):
            best = d[d["method"].isin(BASELINES)]["mae"].min()
            r = d[d["method"] == method].iloc[0]
            wins += bool(r["mae"] < best)
            both += bool(r["mae"] < best and abs(r["bias_pct"]) < 15)
        out.append({"method": method, "lowest_mae": wins, "and_bias_under_15": both})
    return pd.DataFrame(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--heavy", type=int, default=500)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--no-demo", action="store_true")
    ap.add_argument("--as-of", nargs="*", default=["1997-06-30", "1997-09-30", "1997-12-31", "1998-01-31"])
    ap.add_argument("--out", default=None, help="write the figures as CSV here")
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        full = real.cdnow_portfolio(real.read_cdnow(real.cdnow_path()), Path(tmp) / "cdnow")
        all_ids = sorted(full.accounts["account_id"].astype(str))
        end = pd.Timestamp("1998-06-30")
        rngs = {seed: np.random.default_rng(seed) for seed in args.seeds}
        for as_of in args.as_of:
            ts = pd.Timestamp(as_of)
            horizon = min(6, (end.year - ts.year) * 12 + end.month - ts.month)
            cases = []
            for seed, rng in rngs.items() if args.sample else ():
                cases.append(
                    (f"sample {args.sample} seed {seed}", sorted(rng.choice(all_ids, args.sample, replace=False)))
                )
            if args.heavy:
                o = full.orders[full.orders["order_date"] <= ts]
                top = o.groupby("account_id")["net_revenue"].sum().nlargest(args.heavy).index.astype(str)
                cases.append((f"top {args.heavy}", sorted(top)))
            if args.full and ts < pd.Timestamp("1998-01-01"):  # the whole set at the three dates of the table
                cases.append(("all", all_ids))
            for label, ids in cases:
                results.append(run_case(label, full, ids, as_of, horizon))
    if not args.no_demo:
        for demo, ids, as_of in real.demo_cases():
            results.append(run_case("demo 300", demo, ids, as_of, 6))
    res = pd.concat(results, ignore_index=True)
    cell = res.assign(v=res.apply(lambda r: f"{r.bias_pct:+.1f}% / {r.mae:,.2f} / {r.cov80:.0f}%", axis=1))
    pd.set_option("display.width", 250)
    print(cell.pivot_table(index=["case", "as_of"], columns="method", values="v", aggfunc="first").to_string())
    print(summary(res).to_string(index=False))
    if args.out:
        res.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
