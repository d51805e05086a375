"""The forecast each account gets, assembled: :func:`select`.

:func:`select` reads every account's state (:mod:`~kamtools.forecast.selection.state`), the candidates' paths
(:mod:`~kamtools.forecast.selection.paths`), the out-of-time evidence (:mod:`~kamtools.forecast.selection.evidence`),
the class choice and each account's reason (:mod:`~kamtools.forecast.selection.choice`,
:mod:`~kamtools.forecast.selection.reasons`) and the multiples of its ranges
(:mod:`~kamtools.forecast.selection.multiples`), and gathers them in a :class:`Selection`: per account the method,
the reason, the calibrated monthly path and its 80% and 95% intervals (:func:`_forecasts`).

**Intervals** are conformal: per class and method, quantiles of the evidence's monthly
ratios actual / calibrated forecast give the 80% and 95% bounds as multiples of the
forecast (0 where enough similar accounts bought nothing in a month), read at split conformal's rank for the
number of evidence rows behind them (:func:`~kamtools.forecast.selection.choice.conformal_levels`: an account's
months move together, so the rows are the draws; 32 rows read 7.2% and 92.8% for the 80% bounds, thousands read
10% and 90%). On the Complete Journey's top lists, whose multiples come from 32-77 rows, the monthly 80%
coverage went 61-74% -> 64-78% (``benchmarks/bench_real_data.py``, RANGECJ), the demo's 78.3% -> 78.7%;
sums over months use the errors' correlation measured on the same evidence. Where the BTYD model gives the
account's own chance of no order in the first k months of at least a bound's tail, month k's
range starts at zero (its chance of no order that month is at least that). An account ordering in 9 of its last
12 months or more takes its own chance of an empty month and its own spread on the months it orders instead of
its class's multiples (:mod:`~kamtools.forecast.selection.steady`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from kamtools.forecast.selection.choice import QUANTILES, ClassChoice
from kamtools.forecast.selection.evidence import Evidence
from kamtools.forecast.selection.multiples import (
    YoungEvidence,
    lumpier_half,
    own_spreads,
    total_ratio_range,
    total_ratios,
    variations,
    young_evidence,
)
from kamtools.forecast.selection.paths import METHOD_WORDS, BtydNow, _merge_btyd, _own_counts, candidate_paths
from kamtools.forecast.selection.reasons import _choose_all, _ordered_once
from kamtools.forecast.selection.state import (
    ReturnHistory,
    State,
    account_state,
    history_returns,
    ordering_share,
    ordering_spread,
    spike_notes,
)
from kamtools.forecast.selection.steady import steady_band
from kamtools.forecast.selection.year_mix import (
    BelowCheck,
    below_check,
    mix_ratio,
    mix_reason,
    untested_year,
    year_level,
    year_mixed,
)


@dataclass
class Selection:
    """Per account (rows in ``ids`` order): the chosen method, why, and its forecast path."""

    ids: np.ndarray
    method: np.ndarray  # keys of METHOD_WORDS
    reason: np.ndarray  # one sentence each
    factor: np.ndarray  # calibration factor applied to the method's path
    mean: np.ndarray  # (n, h)
    lo: dict[float, np.ndarray]  # level -> (n, h)
    hi: dict[float, np.ndarray]
    sd: np.ndarray  # (n, h) normal-equivalent spread of each month
    model_intervals: np.ndarray  # bool (n,): intervals are the model's own (scaled), not conformal
    rho: float  # correlation between months of the errors (for sums over months)
    methods: pd.DataFrame  # the evidence per method, for the bundle
    evidence_cases: int
    total_ratio: np.ndarray | None = None  # (n, 2) the horizon total's 80% range as multiples of its forecast
    total_months: int = 0  # the backtest's horizon those multiples were measured on (0: no backtest)
    evidence: Evidence | None = None  # the out-of-time rows behind the choice (None: no backtest)
    klass: np.ndarray | None = None  # (n,) each account's class (account_state)
    one_time: np.ndarray | None = None  # (n,) bool: a silent one-time buyer on the modified BG/NBD as fitted
    btyd: BtydNow | None = None  # what the BTYD model says of each account now (its chance of no order)
    young: np.ndarray | None = None  # (n,) months since a first order inside the data, where under YOUNG_MONTHS
    young_base: np.ndarray | None = None  # (n,) each account's mean so far (State.recent), what young ratios scale
    young_evidence: YoungEvidence | None = None  # what accounts as new bought next (None: too few in the history)
    young_counts: BtydNow | None = None  # a new account's own ordering months as a count model (no portfolio prior)
    spread: np.ndarray | None = None  # (n,) own spread relative to the portfolio's typical one (:func:`own_spreads`)
    evidence_spread: np.ndarray | None = None  # (rows,) the same of each evidence row's account at its origin
    lumpier: np.ndarray | None = None  # (n,) bool: in the lumpier half of its class (:func:`lumpier_half`)
    evidence_lumpier: np.ndarray | None = None  # (rows,) bool: the same of each evidence row at its origin
    variation: np.ndarray | None = None  # (n,) monthly_variation of each account now (:func:`variations`)
    evidence_variation: np.ndarray | None = None  # (rows,) the same of each evidence row's account at its origin
    usual: np.ndarray | None = None  # (n,) each account's mean month of its last 12 (State.level)
    returns: ReturnHistory | None = None  # what accounts silent long bought back in the history (method returning)
    former: np.ndarray | None = None  # (n,) each account's former monthly level (State.former)
    return_of: np.ndarray | None = None  # (n,) object: the ReturnEvidence of each account on returning, else None
    order_weeks: np.ndarray | None = None  # (n,) weeks with an order (for the window mean's range)
    data_weeks: float = 0.0  # weeks of the data
    window_once: np.ndarray | None = None  # (n,) bool: on the window mean as one order once in the next 12 months
    chosen_note: str = ""  # a portfolio chosen by revenue: which accounts the evidence counted (forecast.accounts)
    pooled: ClassChoice | None = None  # the whole portfolio's choice (choose_by_class; None: no evidence)
    tilt: np.ndarray | None = None  # (n,) a list chosen by revenue: the class factor's multiplier by ordering share
    year_mixed: np.ndarray | None = None  # (n,) bool: a level forecast mixed with the last 12 months (year_mix)
    year_above: np.ndarray | None = None  # (n,) bool: the forecast before the mix ran above the year's mean month
    year_check: BelowCheck | None = None  # the test of that mix below the year (None: the history holds no such test)

    def total_ratios(self, months: int) -> list:
        """Per account, sorted out-of-time actual / forecast totals over ``months`` months (:func:`total_ratios`);
        all None without a backtest."""
        if self.evidence is None or self.klass is None:
            return [None] * len(self.ids)
        return total_ratios(self.evidence, self.klass, self.method, self.factor, months)

    @property
    def method_words(self) -> np.ndarray:
        return np.array([METHOD_WORDS[m] for m in self.method], dtype=object)


def _interval(
    mean: np.ndarray, q, last: np.ndarray, lev: float, own_mean: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Conformal bounds at ``lev`` from the evidence quantiles ``q`` (else the spread of the last 12 months).

    ``own_mean``: the forecast is the account's own mean of those months (``window_mean``), so without evidence its
    band is the textbook prediction interval of a new month from them: ``s`` (ddof 1) times ``sqrt(1 + 1/k)``,
    Student's t with ``k - 1`` degrees of freedom. The plain spread (ddof 0, normal) of 3 months held 49% of the
    Complete Journey's household-months at 2017-03 (80% band; this one 73%)."""
    a = (1 - lev / 100) / 2
    k = int(np.isfinite(last).sum())
    if q is None and own_mean and k > 1:
        s = float(np.nanstd(last, ddof=1)) * np.sqrt(1.0 + 1.0 / k)
        z = float(stats.t.ppf(1 - a, k - 1))
        low, high = mean - z * s, mean + z * s
    elif q is None:  # no evidence for this method's errors: the spread of the last 12 months
        s = float(np.nanstd(last)) if k > 1 else 0.5 * float(mean.mean())
        low, high = mean + stats.norm.ppf(a) * s, mean + stats.norm.ppf(1 - a) * s
    else:  # what similar accounts really bought, as a multiple of the forecast
        low = mean * np.interp(a, QUANTILES, q)
        high = mean * np.interp(1 - a, QUANTILES, q)
    return np.minimum(np.maximum(low, 0.0), mean), np.maximum(high, mean)


def _forecasts(
    y, paths, method, factor, qs, model_lo, model_hi, no_evidence: bool, level, p_none=None, young=None, steady=None
) -> tuple:
    """(mean, lo, hi, model_intervals) of every account from its method, factor and interval quantiles.

    ``p_none`` (n, h): the account's own chance of no order in its first k months (BTYD); month k's chance of
    no order is at least that, so where it reaches the lower tail of a level the month's range starts at zero.
    ``young``: (rows, mean so far, :class:`YoungEvidence`) of the new accounts, whose monthly ranges are their mean
    so far times what accounts as new bought in a month ahead as a multiple of theirs (``YoungEvidence.monthly``),
    as their 12-month range is (:func:`total_range`), not their class's (settled accounts) multiples.
    ``steady``: (scores, ordering months, spread) per account, whose steady accounts' months take a range of their
    own (:mod:`~kamtools.forecast.selection.steady`) in place of their class's multiples."""
    n, h = paths["model"].shape
    mean = np.zeros((n, h))
    lo = {lev: np.zeros((n, h)) for lev in level}
    hi = {lev: np.zeros((n, h)) for lev in level}
    model_iv = np.zeros(n, dtype=bool)
    for i in range(n):
        m = method[i]
        if m == "zero":
            continue
        mean[i] = factor[i] * paths[m][i]
        if factor[i] <= 0:  # the accounts like it bought nothing after past dates: no band around the zero either
            continue
        if m == "model" and (no_evidence or qs[i] is None):  # the model's own intervals, scaled
            model_iv[i] = True
            for lev in level:
                lo[lev][i] = factor[i] * model_lo[lev][i]
                hi[lev][i] = factor[i] * model_hi[lev][i]
            continue
        scores = None if steady is None or qs[i] is None else steady[0][i]
        for lev in level:
            if scores is not None and steady[2][i] > 0:  # a steady account: its own spread on its ordering months
                lo[lev][i], hi[lev][i] = steady_band(mean[i], int(steady[1][i]), float(steady[2][i]), scores, lev)
            else:
                lo[lev][i], hi[lev][i] = _interval(mean[i], qs[i], y[i, -12:], lev, m == "window_mean")
    if young is not None and young[2] is not None and young[2].monthly is not None:
        rows, base, ev = young
        for i in np.flatnonzero(rows & (base > 0) & (method != "zero")):
            for lev in level:
                a = (1 - lev / 100) / 2
                low, high = (base[i] * np.interp(q, QUANTILES, ev.monthly) for q in (a, 1 - a))
                lo[lev][i] = np.minimum(np.full(h, low), mean[i])
                hi[lev][i] = np.maximum(np.full(h, high), mean[i])
            model_iv[i] = False
    if p_none is not None:
        for lev in level:
            nothing = np.nan_to_num(p_none[:, :h], nan=0.0) >= (1 - lev / 100) / 2
            lo[lev] = np.where(nothing, 0.0, lo[lev])
    return mean, lo, hi, model_iv


def select(
    y: np.ndarray,
    ids: np.ndarray,
    model_mean: np.ndarray,
    model_lo: dict[float, np.ndarray],
    model_hi: dict[float, np.ndarray],
    model_sd: np.ndarray,
    ev: Evidence | None,
    btyd_now: np.ndarray | None = None,
    level: tuple[float, ...] = (80, 95),
    one_time_btyd: np.ndarray | None = None,
    btyd_fit_now: BtydNow | None = None,
    one_time_fit: BtydNow | None = None,
    p_alive_checked: bool = True,
    order_weeks: np.ndarray | None = None,
    data_weeks: float = 0.0,
    btyd_unidentified: bool = False,
) -> Selection:
    """Choose each account's method (see the module docstring) and build its forecast.

    ``y``: accounts x months history (NaN before an account's first month, rows in ``ids``
    order); ``model_*``: the kamtools model's forecast (accounts x h) and intervals;
    ``ev``: out-of-time evidence (None when the history allows none); ``btyd_now``: the
    BTYD expected revenue per coming month (None when not fitted); ``one_time_btyd``: the
    modified BG/NBD's (for the silent one-time buyers, see the module docstring; None: not fitted);
    ``btyd_fit_now`` / ``one_time_fit``: the fits behind those two (:func:`btyd_fit`), whose chance of no
    order starts an account's ranges at zero where it should (:func:`total_range`); ``p_alive_checked``: the
    value stage's check vouched for the BTYD P(alive) as a probability, so its chance of an order may scale a
    long-silent account's forecast (:func:`silent_against_history`); ``order_weeks``: each account's weeks with
    an order (``data_weeks``: the weeks of the data), whose own count gives the range of an account on the window
    mean (:func:`short_range`); ``btyd_unidentified``: a BTYD fit was set aside as not determined by the data
    (the reason says so).
    """
    n, h = model_mean.shape
    state = account_state(y, h)
    paths = candidate_paths(state, h, model_mean, btyd_now)
    buys_again = None
    if p_alive_checked and btyd_fit_now is not None and btyd_fit_now.p_none.shape[1] >= h:
        buys_again = 1 - btyd_fit_now.p_none[:, h - 1]
    returns = history_returns(y) if ev is not None else None
    share = ordering_share(y) if ev is not None and ev.chosen else None
    ordering, spread = ordering_spread(y)
    method, factor, reason, qs, rho, rows_out, one_time, pooled, tilt, steady = _choose_all(
        state,
        ids,
        paths,
        ev,
        btyd_now,
        one_time_btyd,
        buys_again,
        returns,
        order_weeks,
        btyd_unidentified,
        share,
        None if btyd_fit_now is None else btyd_fit_now.status,
        ordering,
    )
    reason = np.array([r + s for r, s in zip(reason, spike_notes(y, method))], dtype=object)
    info = _merge_btyd(n, btyd_fit_now, one_time_fit, one_time)
    p_none = None if info is None else info.p_none
    young_ev = young_evidence(y) if np.any(state.young) else None
    young = (np.asarray(state.young) > 0, state.recent, young_ev)
    mean, lo, hi, model_iv = _forecasts(
        y, paths, method, factor, qs, model_lo, model_hi, ev is None, level, p_none, young, (steady, ordering, spread)
    )
    # a level forecast on a year of history the backtest could not test: half of it becomes the last 12 months
    year = year_level(y)  # each account's mean month of its last 12 (first month left out)
    origins = None if ev is None else ev.origin
    check = below_check(y) if untested_year(origins) else None  # below the year too, where a test favours it
    mixed = year_mixed(y, method, mean, origins, year, below=check is not None and check.favours_mix)
    above = mean.mean(axis=1) > year
    ratio = mix_ratio(mean, mixed, year)
    mean, lo, hi = mean * ratio, {k: v * ratio for k, v in lo.items()}, {k: v * ratio for k, v in hi.items()}
    for i in np.flatnonzero(mixed):
        reason[i] += mix_reason(float(year[i]), y.shape[1], bool(above[i]), check)
    lev0 = 80 if 80 in lo else level[0]
    zl = stats.norm.ppf(0.5 + lev0 / 200)
    sd = np.where(model_iv[:, None], factor[:, None] * model_sd * ratio, (hi[lev0] - lo[lev0]) / (2 * zl))
    var = variations(y, ids, ev)  # each account's monthly variation now and at the origins (for the ranges)
    methods = pd.DataFrame(rows_out)
    if len(methods):
        counts = pd.Series(method).value_counts()
        methods["accounts_using"] = methods["method"].map(counts).fillna(0).astype("int64")
    return Selection(
        ids=np.asarray(ids).astype(str),
        method=method.astype(str),
        reason=reason.astype(str),
        factor=factor,
        mean=mean,
        lo=lo,
        hi=hi,
        sd=sd,
        model_intervals=model_iv,
        rho=rho,
        methods=methods,
        evidence_cases=0 if ev is None else len(ev.account),
        total_ratio=None if ev is None else total_ratio_range(ev, state.klass, method, factor),
        total_months=0 if ev is None else ev.horizon,
        evidence=ev,
        klass=state.klass,
        one_time=one_time,
        btyd=info,
        young=state.young,
        young_base=state.recent,
        young_evidence=young_ev,
        young_counts=_own_counts(y, state.young, h) if np.any(state.young) else None,
        **own_spreads(y, ids, ev),
        **lumpier_half(y, ids, ev, state.klass, var),
        **var,
        usual=state.level,
        returns=returns,
        former=state.former,
        return_of=_return_of(returns, state, method),
        order_weeks=None if order_weeks is None else np.asarray(order_weeks, dtype=float),
        data_weeks=float(data_weeks),
        window_once=_ordered_once(order_weeks, method != "window_mean") if ev is None else None,
        pooled=pooled,
        tilt=tilt,
        year_mixed=mixed,
        year_above=above,
        year_check=check,
    )


def _return_of(returns: ReturnHistory | None, state: State, method: np.ndarray) -> np.ndarray | None:
    """Per account on ``returning``, the :class:`ReturnEvidence` its forecast used (None elsewhere)."""
    if returns is None or state.ordering is None:
        return None
    out = np.full(len(method), None, dtype=object)
    for i in np.flatnonzero(np.asarray(method) == "returning"):
        out[i] = returns.like(state.gap[i], int(state.ordering[i]) == 1)
    return out
