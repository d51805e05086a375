"""The 80% range of an account's total over the next months, from a :class:`Selection`.

:func:`total_range` takes each account's range from what suits it: the multiples of similar accounts
(:func:`_evidence_bounds`, from :mod:`~kamtools.forecast.selection.multiples`) mixed with its own BTYD chance of
no order, a new account's (:func:`_young_range`, :func:`young_multiples`), an account forecast nothing
(:func:`_silent_range`), or the BTYD count distribution (:func:`_count_range`). :func:`returning_range` and
:func:`short_range` give the ranges of the lapsed accounts forecast what such accounts bought back and of the
window mean; :func:`range_widening` says how far an account's range was widened.

**A new account's range** of its 12-month total (:func:`total_range`) is not taken from its class: a
new account falls in the class of one ordering month, made of settled accounts, whose multiples gave a
one-order account about +-7% around its point. It is its mean so far times what accounts as new bought
next, as a multiple of theirs (:func:`young_evidence`: every month of the history as an origin, the
accounts first seen after :data:`YOUNG_MONTHS` months of the data where enough, the rows of the
account's own age where :data:`MIN_TOTAL_ROWS`), mixed with its BTYD chance of no order; where the
history has too few such accounts, the BTYD count distribution; without a BTYD fit, its own ordering
months as a count model (:func:`_own_counts`). Ranges holding the next 12 months' total, new accounts
(before -> after; the other accounts' ranges did not move): demo 300 accounts (4 years, seed 7) scored
12, 15, 18, 21 and 24 months before its end, 32 new accounts in all, 9 (28%) -> 23 (72%); every miss
lay above the range (the demo's new accounts grow after their first orders). CDNOW 1,000 customers at
6 months of history (660 new): 81.7% -> 82.1% (the others 76.8%); at 3 months unchanged (84.5%: no
month of the history has 3 months after it, so the BTYD count distribution as before).

**The range of the 12-month total** (:func:`total_range`) mixes the account's own BTYD chance
of no order in the 12 months with what similar accounts that bought reached out of time (a
portfolio's ratios may not fit an account long silent: on the CDNOW top 500 at 12 months, 362
accounts fell back to the whole portfolio's ratios, where most customers did buy, and every
lapsed account's range lay above zero); it starts at zero where that chance is 10% or more.
Ratios measured on a backtest shorter than 12 months are widened to 12 (their log spread by
``(12 / h) ** g``, ``g`` the growth measured from ``h / 2`` to ``h`` months, at least a random
walk's 0.5). Without a backtest, the BTYD model's own count distribution gives the range.

**An account of a class too small for its own rows takes the rows as lumpy as it is too**
(:func:`_like_in_variation`, :func:`variations`). A class with under :data:`MIN_CLASS_ROWS` evidence rows takes
the whole portfolio's multiples, which are mostly those of the large classes' accounts ordering in most months:
on the quick demo (60 accounts) 37 of its 159 erratic account-cuts are in such classes (ordering in 2-6 of 12
months; 5% on the demo of 300) and held 54.1% of their 12-month totals, against 73.0% for the other erratic ones.
Such an account now takes the wider of the portfolio's range and the range built the same way on the
:data:`MIN_CLASS_ROWS` evidence rows nearest its own coefficient of variation of its last 12 months (at their
origins), their multiples as they were (in units of own spread, as the class's are read, the rows chosen for
their lumpiness counted it twice: upper ends of 20 to 6,000 times the forecast). Out of time
(``bench_total_ranges.py --groups``, before -> after, median width / forecast): quick demo erratic 68.6% ->
69.8% (1.10 -> 1.17; those in small classes 54.1% -> 59.5%), demo 300 erratic 78.4% -> 78.9% (1.37), lapsed
73.6% -> 83.9% (2.04 -> 3.35), all 79.3% -> 80.1%; steady and new unchanged; CDNOW 1,000 at 1997-06-30 erratic
77.7% -> 78.3%, all 80.7% -> 80.9%; the target-probability bench (seed 7) identical; points do not move. What
remains on the quick demo is which accounts it holds: its erratic account-cuts, in the demo of 300 with its
evidence, hold 73.0% (small-class ones 62.2%), against 78.4% for the demo's erratic accounts as a whole.
Tried and dropped: the whole portfolio's lumpier half (split at the median of all rows, as a class is) for
such accounts, in units of own spread (quick demo erratic 71.7%, but the upper ends above) or as they were
(70.4%, demo 300 erratic 78.7%, lapsed unchanged at 73.6%).

**An account likely to buy nothing whose range's top fell below its point** (its own BTYD chance of no order,
mixed in, left the top under the class mean that is its point: shown as "0 to" the point) takes the top of its
kind's range, as the class's own share of nothing gives it (:func:`total_range`). Such accounts bought what
their points said in all (18 CDNOW top lists, 6 months: 27.2k against 26.7k; their own chance gave 5.6k), but
22% of them more than the point and 75% nothing: the 524 ranges that move held 77.3% -> 82.3% of their totals;
natural portfolios (the whole log, ten samples at 4 dates, the demo 300) 90.8% -> 91.5% of 26,868, no list's
coverage down. The point does not move (``benchmarks/bench_real_data.py``, FC12).

**An account forecast nothing although no rule called it lapsed** (its mean of the last 6 months after half
a year of silence) gets a range from zero to the upper end of what accounts whose method saw nothing ahead
bought out of time, as a multiple of their usual month (:func:`_silent_range`, :func:`silent_ratios`): demo
300 at 12 months before its end, 8 of 16 such accounts bought in the next 12 months, 7 of them inside (a
range of nothing before); lapsed accounts (no order in 6 months) inside 55.2% -> 65.5% over the five cuts.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import stats

from kamtools.forecast.selection.assembly import Selection
from kamtools.forecast.selection.evidence import Evidence
from kamtools.forecast.selection.multiples import (
    MIN_TOTAL_ROWS,
    TOTAL_QUANTILES,
    ZERO_START_UPPER,
    ratio_bounds,
    silent_ratios,
    total_ratios,
    total_scores,
)
from kamtools.forecast.selection.paths import BtydNow
from kamtools.forecast.selection.state import MIN_CLASS_ROWS


def range_widening(sel: Selection, months: int) -> np.ndarray:
    """Per account, the :func:`later_origin_widening` its ``months``-month range took (1 where none, NaN where its
    range does not come from similar accounts' multiples)."""
    out = np.full(len(sel.ids), np.nan)
    if sel.evidence is None or sel.klass is None:
        return out
    h = max(1, min(int(months), sel.evidence.horizon))
    own = sel.spread is not None and sel.evidence_spread is not None
    unit = sel.evidence_spread if own else np.ones(len(sel.evidence.account))
    for i, sc in enumerate(total_scores(sel.evidence, sel.klass, sel.method, sel.factor, h, unit)):
        if sc is not None:
            out[i] = sc[2]
    return out


def short_range(sel: Selection, m: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of the 80% range of the ``months``-month total ``m`` of each account on the window mean (no
    out-of-time check, no usable BTYD model; NaN elsewhere). An account taken as one order once (nobody has
    reordered yet): zero to that order every month. Else its own weeks with an order: ``k`` weeks in the data's
    ``T`` give its weekly rate the Gamma(k, T) of those weeks alone, its purchases ahead a negative binomial
    scaled to the forecast, mixed with its chance of none, ``(T / (T + weeks ahead)) ** k``."""
    n = len(sel.ids)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    rows = (np.asarray(sel.method) == "window_mean") & (m > 0)
    if sel.order_weeks is None or not rows.any() or sel.data_weeks <= 0:
        return lo, hi
    once = rows & (sel.window_once if sel.window_once is not None else False)
    lo[once], hi[once] = 0.0, m[once] * max(months, 12)
    k = np.where(rows & ~once & (sel.order_weeks > 0), sel.order_weeks, np.nan)
    ahead = months * (365.25 / 12) / 7.0
    p = (sel.data_weeks / (sel.data_weeks + ahead)) ** k
    own = BtydNow(np.full((n, 1), np.nan), p[:, None], k, np.full(n, sel.data_weeks))
    c_lo, c_hi = _count_range(own, rows & ~once & np.isfinite(k), p, m, months)
    done = np.isfinite(c_lo) & np.isfinite(c_hi)
    lo[done], hi[done] = c_lo[done], c_hi[done]
    return lo, hi


def returning_range(sel: Selection, months: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of the 80% range of the ``months``-month total of each account on ``returning`` (NaN elsewhere):
    zero with the share of silent accounts that did not order again in the history, else its former level times
    ``months`` times what those that came back bought per month, as a multiple of theirs. The range starts at
    zero and reaches at least what the median account that came back bought (where most did not come back, the
    mixture's 80% quantile is zero; the range then holds more than 8 in 10 such accounts)."""
    n = len(sel.ids)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    if sel.return_of is None or sel.former is None:
        return lo, hi
    for i in np.flatnonzero(np.asarray(sel.method) == "returning"):
        r = sel.return_of[i]
        if r is None or not len(r.multiples):
            continue
        _, upper = _mixture_bounds(r.multiples, 1.0, 1.0 - r.bought)
        lo[i] = 0.0
        hi[i] = months * float(sel.former[i]) * max(upper, float(np.median(r.multiples)))
    return lo, hi


def _spread_growth(short: np.ndarray, long: np.ndarray, ratio_months: float) -> float:
    """How the spread of buying accounts' actual / forecast totals grew with the months they cover: the
    exponent g of ``width(long) = width(short) * ratio_months ** g`` (widths of the 10%-90% log ratios),
    within 0.5 and 1: level changes accumulate at least like a random walk's (0.5) while the lumpiness of
    short totals, which evens out, can hide that growth between ``h / 2`` and ``h``; 0.5 where it cannot be
    measured."""
    a, b = short[short > 0], long[long > 0]
    if len(a) < MIN_TOTAL_ROWS or len(b) < MIN_TOTAL_ROWS or ratio_months <= 1:
        return 0.5
    wa, wb = (float(np.subtract(*np.quantile(np.log(v), [0.9, 0.1]))) for v in (a, b))
    if wa <= 0 or wb <= 0:
        return 0.5
    return float(np.clip(np.log(wb / wa) / np.log(ratio_months), 0.5, 1.0))


def _mixture_bounds(positive: np.ndarray, scale: float, p: float, transform=None) -> tuple[float, float]:
    """80% range of a total that is zero with probability ``p`` and else ``scale`` times a draw of the sorted
    ``positive`` multiples: its 10% and 90% quantiles, or zero to its 80% quantile where ``p`` reaches 10%.
    ``transform``: an increasing function turning a quantile of ``positive`` into the multiple (the quantiles of
    log multiples, then the multiple: one quantile per bound instead of a transformed copy of every value)."""
    lower, upper = TOTAL_QUANTILES

    def at(q: float) -> float:
        v = float(np.quantile(positive, q))
        return scale * (float(transform(v)) if transform is not None else v)

    if p >= lower:
        q = (ZERO_START_UPPER - p) / (1 - p) if p < 1 else 0.0
        return 0.0, at(q) if q > 0 else 0.0
    return at((lower - p) / (1 - p)), at((upper - p) / (1 - p))


_NO_CLASS = -(10**6)  # the class of evidence rows outside a lumpier half (no account has it)


def _evidence_bounds(
    sel: Selection, ev: Evidence, live: np.ndarray, m: np.ndarray, months: int, p_own: np.ndarray, lo, hi
) -> None:
    """Set (in place) ``lo`` and ``hi`` of the ``live`` accounts with multiples in ``ev`` (the backtest's rows, or
    those of the lumpier halves of their classes): :func:`total_range` from similar accounts' multiples."""
    n = len(sel.ids)
    h = max(1, min(int(months), ev.horizon))
    ratios = total_ratios(ev, sel.klass, sel.method, sel.factor, h)
    halves = (
        total_ratios(ev, sel.klass, sel.method, sel.factor, max(1, h // 2)) if months > h and h >= 2 else [None] * n
    )
    own = sel.spread is not None and sel.evidence_spread is not None
    unit = sel.evidence_spread if own else np.ones(len(ev.account))
    scores = total_scores(ev, sel.klass, sel.method, sel.factor, h, unit)
    done: dict = {}
    for i in np.flatnonzero(live):
        r = ratios[i]
        if r is None:
            continue
        key = id(r)
        if key not in done:
            pos = r[r > 0]
            grow = 1.0
            if months > h and len(pos):
                g = _spread_growth(halves[i], r, h / max(1, h // 2)) if halves[i] is not None else 0.5
                grow = (months / h) ** g
            # log multiples of an account whose own spread is the typical one (1), sorted; their median
            logs = scores[i][0]
            mid = float(np.median(logs)) if len(logs) else 0.0
            done[key] = (logs, mid, grow, float(np.mean(r <= 0)))
        logs, mid, grow, z = done[key]
        p = float(p_own[i]) if np.isfinite(p_own[i]) else z
        if not len(logs):
            lo[i], hi[i] = 0.0, 0.0
            continue
        d = float(sel.spread[i]) if own else 1.0
        scale = (1 - z) / (1 - p) if p < 1 else 0.0
        bounds = _mixture_bounds(logs, scale, p, lambda v, d=d, c=mid, g=grow: np.exp(d * (c + g * (v - c))))
        lo[i], hi[i] = (m[i] * b for b in bounds)


_NEAR_CLASS = -(10**6) - 1  # the class of the evidence rows nearest an account in variation (no account has it)
VARIATION_FLOOR = 1e-3  # the least coefficient of variation compared in logs (a constant account's is 0)


def _like_in_variation(sel: Selection, live: np.ndarray, m: np.ndarray, months: int, p_own: np.ndarray, lo, hi) -> None:
    """Set (in place) the range of each ``live`` account whose class has under :data:`MIN_CLASS_ROWS` evidence rows
    (so that it took the whole portfolio's multiples, :func:`_class_rows`) to the wider of that and the range built
    the same way on the :data:`MIN_CLASS_ROWS` evidence rows whose :func:`monthly_variation` at their origin is
    nearest its own now (in logs; ties in row order): the whole portfolio is mostly the accounts of the large
    classes, steadier than an account ordering in a few months. Those rows' multiples are taken as they are, not
    in units of own spread (:func:`total_scores`): rows chosen for being as lumpy as the account already carry its
    lumpiness, and scaling them by its own spread counted it twice (quick demo: upper ends of 20 to 6,000 times
    the forecast). Accounts without a variation (no order in their last 12 months) keep their range."""
    ev = sel.evidence
    if ev is None or sel.klass is None or sel.variation is None or sel.evidence_variation is None:
        return
    k_ev, counts = np.unique(np.asarray(ev.klass), return_counts=True)
    now = np.asarray(sel.variation, dtype=float)
    at_row = np.asarray(sel.evidence_variation, dtype=float)
    small = live & ~np.isin(np.asarray(sel.klass), k_ev[counts >= MIN_CLASS_ROWS]) & np.isfinite(now)
    small &= np.isfinite(lo) & np.isfinite(hi)
    usable = np.isfinite(at_row)
    if not small.any() or usable.sum() < MIN_CLASS_ROWS:
        return
    logs = np.log(np.maximum(np.where(usable, at_row, 1.0), VARIATION_FLOOR))
    n = len(sel.ids)
    for i in np.flatnonzero(small):
        dist = np.where(usable, np.abs(logs - np.log(max(float(now[i]), VARIATION_FLOOR))), np.inf)
        near = np.zeros(len(at_row), dtype=bool)
        near[np.argsort(dist, kind="stable")[:MIN_CLASS_ROWS]] = True
        one = np.arange(n) == i
        alone = replace(
            sel,
            klass=np.where(one, _NEAR_CLASS, sel.klass),
            method=np.where(one, sel.method, "zero"),  # the other accounts' multiples are not needed here
            spread=None,
            evidence_spread=None,
        )
        n_lo, n_hi = np.full(n, np.nan), np.full(n, np.nan)
        _evidence_bounds(
            alone, replace(ev, klass=np.where(near, _NEAR_CLASS, _NO_CLASS)), one, m, months, p_own, n_lo, n_hi
        )
        if np.isfinite(n_lo[i]) and np.isfinite(n_hi[i]) and _wider(n_lo[one], n_hi[one], lo[one], hi[one])[0]:
            lo[i], hi[i] = n_lo[i], n_hi[i]


def _wider(lo: np.ndarray, hi: np.ndarray, lo2: np.ndarray, hi2: np.ndarray) -> np.ndarray:
    """Where the range ``lo..hi`` is wider than ``lo2..hi2``: in logs (hi / lo), a range from zero the widest (two
    from zero: the higher top)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(lo > 0, np.log(hi / np.where(lo > 0, lo, 1.0)), np.inf)
        w2 = np.where(lo2 > 0, np.log(hi2 / np.where(lo2 > 0, lo2, 1.0)), np.inf)
    return (w > w2) | (np.isinf(w) & np.isinf(w2) & (hi > hi2))


def _similar_bounds(sel: Selection, live: np.ndarray, m: np.ndarray, months: int, p_own: np.ndarray, lo, hi) -> None:
    """Set (in place) ``lo`` and ``hi`` of the ``live`` accounts from similar accounts' multiples: their class's
    (:func:`_evidence_bounds`), the wider with its lumpier half's, and with the rows nearest in variation where the
    class is too small (:func:`_like_in_variation`); ``p_own`` NaN: the class's own share of nothing."""
    n = len(sel.ids)
    _evidence_bounds(sel, sel.evidence, live, m, months, p_own, lo, hi)
    if sel.lumpier is not None and sel.evidence_lumpier is not None:  # the wider of its class's and its half's
        lumpy = live & np.asarray(sel.lumpier, dtype=bool) & np.isfinite(lo) & np.isfinite(hi)
        if lumpy.any():
            ev = sel.evidence
            half = replace(ev, klass=np.where(sel.evidence_lumpier, ev.klass, _NO_CLASS))
            l_lo, l_hi = np.full(n, np.nan), np.full(n, np.nan)
            _evidence_bounds(sel, half, lumpy, m, months, p_own, l_lo, l_hi)
            ok = lumpy & np.isfinite(l_lo) & np.isfinite(l_hi)
            take = ok & _wider(l_lo, l_hi, lo, hi)
            lo[take], hi[take] = l_lo[take], l_hi[take]
    _like_in_variation(sel, live, m, months, p_own, lo, hi)  # a class too small for its own rows


def total_range(sel: Selection, m: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of each account's 80% range of its ``months``-month total ``m`` (NaN where nothing says).

    * **Its own chance of buying nothing.** Where the BTYD model gives the account's probability ``p`` of no
      order in those months (``Selection.btyd``), the range is a mixture: nothing with probability ``p``,
      else the forecast times what similar accounts that bought reached; where ``p`` is 10% or more the range
      starts at zero. The buyers' multiples are scaled by (1 - their class's share of nothing) / (1 - ``p``),
      so the expected multiple stays the class's. Without the BTYD model, the class's share of nothing.
    * **Similar accounts' multiples** are the out-of-time ratios of :func:`total_ratios` over the backtest's
      horizon ``h``. Where ``months`` is longer, their spread (in logs, about the median) is widened by
      ``(months / h) ** g``, with ``g`` how the spread grew from ``h / 2`` to ``h`` months in the same
      evidence (:func:`_spread_growth`): a range measured on 6-month totals is not applied to 12 as it is.
    * **Later totals strayed further.** The multiples (in units of own spread, :func:`total_scores`) are spread
      about their median by :func:`later_origin_widening`: as far as the range of the class's earliest backtest
      origin had to widen to hold 8 in 10 of its latest origin's totals.
    * **A lumpy account.** Where its class splits (:func:`lumpier_half`), an account in the lumpier half takes
      the wider of its class's range and the same range built on the lumpier half's rows alone.
    * **A class too small for its own rows.** An account whose class took the whole portfolio's rows takes the
      wider of that range and the one built on the rows nearest it in monthly variation
      (:func:`_like_in_variation`).
    * **No backtest.** The BTYD model's own count distribution: a live account's purchases in the months
      are negative binomial (its posterior Gamma rate), those above zero scaled to the forecast, mixed with
      ``p``.
    """
    n = len(sel.ids)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    info = sel.btyd
    p_own = np.full(n, np.nan)
    if info is not None and info.p_none.shape[1] >= 1:
        p_own = info.p_none[:, min(months, info.p_none.shape[1]) - 1]
    live = (sel.method != "zero") & (m > 0)
    young = np.zeros(n, dtype=bool) if sel.young is None else (np.asarray(sel.young) > 0) & live
    if young.any():  # a new account's range: what accounts as new bought next (else its BTYD count distribution)
        y_lo, y_hi = _young_range(sel, young, p_own, months)
        if sel.young_evidence is None and info is not None:
            y_lo, y_hi = _count_range(info, young, p_own, m, months)
        elif sel.young_evidence is None and sel.young_counts is not None:
            own = sel.young_counts
            p_counts = own.p_none[:, min(months, own.p_none.shape[1]) - 1]
            y_lo, y_hi = _count_range(own, young, p_counts, m, months)
        done_young = young & np.isfinite(y_lo) & np.isfinite(y_hi)
        lo[done_young], hi[done_young] = y_lo[done_young], y_hi[done_young]
        live = live & ~done_young
    if sel.evidence is not None and sel.klass is not None:
        _similar_bounds(sel, live, m, months, p_own, lo, hi)
        # its own chance of nothing put the top below the point: the top of its kind's range, as they were
        below = live & np.isfinite(p_own) & np.isfinite(hi) & (hi < m)
        if below.any():
            k_lo, k_hi = np.full(n, np.nan), np.full(n, np.nan)
            _similar_bounds(sel, below, m, months, np.full(n, np.nan), k_lo, k_hi)
            up = below & np.isfinite(k_hi) & (k_hi > hi)
            hi[up] = k_hi[up]
        _silent_range(sel, m, months, lo, hi)
        return lo, hi
    if info is None:
        return lo, hi
    c_lo, c_hi = _count_range(info, live, p_own, m, months)
    lo[live], hi[live] = c_lo[live], c_hi[live]
    return lo, hi


def _silent_range(sel: Selection, m: np.ndarray, months: int, lo: np.ndarray, hi: np.ndarray) -> None:
    """Set (in place) the range of each account whose method forecast nothing although no rule called it lapsed
    (the mean of the last 6 months of an account silent for half a year): from zero (its forecast) to
    :func:`ratio_bounds`' upper end of what accounts whose method saw nothing ahead bought out of time
    (:func:`silent_ratios`), as a multiple of its mean month of the last 12 times ``months``. A range of
    nothing said they could not buy, where on the demo (300 accounts, 12 months before its end) 8 of 16 did."""
    if sel.evidence is None or sel.usual is None:
        return
    rows = np.flatnonzero((sel.method != "zero") & (m <= 0) & (np.asarray(sel.usual) > 0))
    done: dict = {}
    for i in rows:
        meth = str(sel.method[i])
        if meth not in done:
            r = silent_ratios(sel.evidence, meth, months)
            done[meth] = None if r is None else ratio_bounds(r)[1]
        if done[meth] is not None:
            lo[i], hi[i] = 0.0, float(sel.usual[i]) * months * done[meth]


def _count_range(info: BtydNow, rows: np.ndarray, p_own: np.ndarray, m: np.ndarray, months: int):
    """(lo, hi) of the ``rows``' 80% ranges from the BTYD model's own count distribution: a live account's
    purchases in the months are negative binomial (its posterior Gamma rate), those above zero scaled to the
    forecast ``m``, mixed with its chance ``p_own`` of no order (NaN elsewhere)."""
    n = len(m)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    t = months * (365.25 / 12) / 7.0
    for i in np.flatnonzero(rows & np.isfinite(p_own) & np.isfinite(info.shape) & (info.rate > 0)):
        a, prob = float(info.shape[i]), float(info.rate[i] / (info.rate[i] + t))
        p0_alive = prob**a  # a live account's chance of no purchase
        if p0_alive >= 1:
            continue
        levels = p0_alive + (1 - p0_alive) * np.linspace(0.0005, 0.9995, 1000)
        counts = stats.nbinom.ppf(levels, a, prob)  # purchases of a live account that buys (quantile grid)
        counts = counts[counts > 0]
        if not len(counts):
            continue
        p = float(p_own[i])
        scale = m[i] / ((1 - p) * float(np.mean(counts))) if p < 1 else 0.0
        lo[i], hi[i] = _mixture_bounds(np.sort(counts), scale, p)
    return lo, hi


def _young_range(sel: Selection, rows: np.ndarray, p_own: np.ndarray, months: int):
    """(lo, hi) of the ``rows``' (new accounts') 80% ranges from :class:`YoungEvidence`: the account's mean so
    far times what accounts as new bought next as a multiple of theirs (widened to ``months`` as
    :func:`total_range` widens), mixed with its own BTYD chance of no order where the model gives one (else
    the share of those accounts that bought nothing). NaN without such evidence."""
    n = len(sel.ids)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    ev = sel.young_evidence
    if ev is None or sel.young_base is None:
        return lo, hi
    g = 0.5
    if ev.halves is not None and months > ev.months:
        g = _spread_growth(ev.halves, ev.ratios, ev.months / max(1, ev.months // 2))
    done: dict[int, tuple[np.ndarray, float]] = {}
    for i in np.flatnonzero(rows & (sel.young_base > 0)):
        age = int(sel.young[i]) if sel.young is not None else 0
        own = ev.ages is not None and int(np.sum(ev.ages == age)) >= MIN_TOTAL_ROWS
        key = age if own else 0
        if key not in done:
            r = ev.ratios[ev.ages == age] if own else ev.ratios
            pos = np.sort(r[r > 0])
            if months > ev.months and len(pos):
                logs = np.log(pos)
                mid = float(np.median(logs))
                pos = np.exp(mid + (months / ev.months) ** g * (logs - mid))
            done[key] = (pos, float(np.mean(r <= 0)))
        pos, z = done[key]
        if not len(pos):
            lo[i], hi[i] = 0.0, 0.0
            continue
        p = float(p_own[i]) if np.isfinite(p_own[i]) else z
        scale = (1 - z) / (1 - p) if p < 1 else 0.0
        base = months * float(sel.young_base[i])
        lo[i], hi[i] = (base * b for b in _mixture_bounds(pos, scale, p))
    return lo, hi


def young_multiples(sel: Selection, i: int, months: int, points: int = 201) -> np.ndarray | None:
    """Sorted multiples of a new account's (row ``i``) mean so far times ``months``, ``points`` evenly spaced
    quantiles of what :func:`_young_range` mixes: nothing with its own BTYD chance of no order in the months
    (else the share of accounts as new that bought nothing), else what accounts as new bought next as a
    multiple of theirs. For a target year's range (:mod:`kamtools.forecast.targets`), whose months ahead are
    fewer than 12: the multiples are those of :class:`YoungEvidence`'s months, not narrowed to fewer. None
    without such evidence or a mean so far."""
    ev = sel.young_evidence
    if ev is None or sel.young_base is None or not sel.young_base[i] > 0:
        return None
    age = int(sel.young[i]) if sel.young is not None else 0
    own = ev.ages is not None and int(np.sum(ev.ages == age)) >= MIN_TOTAL_ROWS
    r = ev.ratios[ev.ages == age] if own else ev.ratios
    pos = np.sort(r[r > 0])
    if months > ev.months and len(pos):
        g = 0.5
        if ev.halves is not None:
            g = _spread_growth(ev.halves, ev.ratios, ev.months / max(1, ev.months // 2))
        logs = np.log(pos)
        mid = float(np.median(logs))
        pos = np.exp(mid + (months / ev.months) ** g * (logs - mid))
    z = float(np.mean(r <= 0))
    p = z
    if sel.btyd is not None and sel.btyd.p_none.shape[1] >= 1:
        own_p = sel.btyd.p_none[i, min(months, sel.btyd.p_none.shape[1]) - 1]
        p = float(own_p) if np.isfinite(own_p) else z
    if not len(pos) or p >= 1:
        return np.zeros(points)
    u = (np.arange(points) + 0.5) / points
    scale = (1 - z) / (1 - p)
    return np.where(u < p, 0.0, scale * np.quantile(pos, np.clip((u - p) / (1 - p), 0.0, 1.0)))
