"""What similar accounts reached out of time, as multiples of their forecast.

The ranges of an account's totals come from the evidence's actual / forecast totals of its class
(:func:`total_ratios`, :func:`total_ratio_range`, :func:`ratio_bounds`), scaled by the account's own steadiness
(:func:`own_errors`, :func:`relative_spread`, :func:`own_spreads`, :func:`total_scores`), widened as far as later
origins strayed further (:func:`later_origin_widening`) and, for a lumpy account, by its lumpier half
(:func:`lumpier_half`); accounts forecast nothing read :func:`silent_ratios`, new accounts what accounts as new
bought next (:func:`young_evidence`, :class:`YoungEvidence`).

**The account's own steadiness** scales those multiples (:func:`own_spreads`, :func:`total_scores`): an
account's own errors are how far its next ``h`` months' totals strayed from its mean of the 6 months before, at
every month of its history that has both (:func:`own_errors`); its spread is their root mean square shrunk
towards the median of the accounts of its class (weighing as ``h`` origins), over that median
(:func:`relative_spread`: the class's multiples already carry how lumpy such accounts are; 1 for an account
without such months, and for all where fewer than 5 accounts have ``h`` of them). Similar accounts' log
multiples are divided by each one's spread at its origin (1 where the history before the origin is too short
to measure it, so far in every case below) and multiplied by this account's. Out of time
(``benchmarks/bench_total_ranges.py --groups``; 12-month totals inside the 80% range, before -> after, median
width (hi - lo) / forecast): demo 300 (4 years, seed 7; cut 12, 15, 18, 21 and 24 months before its end)
steady 80.9% -> 79.5% (width 0.76 -> 0.75), erratic 66.9% -> 70.6% (0.78 -> 1.07), all 70.4% -> 72.9%; its
first 60 accounts (the quick demo) steady 75.8% -> 74.7% (0.70 -> 0.70), erratic 54.1% -> 61.6% (0.79 ->
0.90), all 63.5% -> 67.6%; CDNOW 1,000 at 1997-06-30 (6 months of history: no account has months of its own
to measure) unchanged at 80.3%. Measured against the whole portfolio instead of the class, a lumpy account in a
class of lumpy accounts got a range up to 400 times its forecast (steady 78.8%, erratic 70.4%). A steady
account's range does not get much narrower, because the evidence does not allow it: of the demo's steady
accounts (orders in 10 of 12 months, monthly variation under 50%) one in ten bought under 0.58 of its forecast
in the next 12 months (0.38 in the quick demo), sudden declines that its own past did not show; even the
quarter with the smallest own errors (under 16% a year) strayed from the forecast by more than 46% up or 32%
down one time in five. Tried and dropped: the account's own backtest errors (3 origins of the 12-month
backtest, 3 months apart) in place of its own history's, steady 70.2% at width 0.55 on the demo and 59.6% on
the quick demo; similar accounts split into thirds by their monthly variation, steady 76.0% (0.64) and 63.6%
(0.48); own errors over 3 months ahead (measurable at the backtest's origins too; portfolio's median), steady
70.9% and 66.7%;
errors against a 12-month level instead of the 6-month mean, no change; the same scaling of the monthly
ranges (portfolio's median), steady account-months 86.2% -> 66.4% while erratic 74.0% -> 77.1% (monthly
ranges as they were).

**Later totals strayed further** (:func:`later_origin_widening`): the class's rows of all backtest origins
hold 8 in 10 of their own totals by construction (80-85% of the class's rows fell inside the erratic accounts'
ranges), yet the next 12 months held far fewer (59-78% of the demo's erratic accounts): a 12-month backtest's
origins lie 3 months apart and share most of their months, while the year ahead lies 13 months beyond the
latest. The range built on the class's earliest origin is therefore asked to hold 8 in 10 of its latest
origin's totals (6 months later), and the least widening (about the median, in units of own spread) with which it
does widens the account's range too; never narrowed. On the demo most of the gap is its churn, planted only in
its last two years: accounts that churn in or just before the year ahead held 27-49% of their totals, the
other erratic accounts 78-86% (66% at the earliest cut, whose backtest saw no churn at all). Out of time
(``bench_total_ranges.py --groups``, before -> after, median width / forecast): demo 300 erratic
70.5% -> 75.1% (1.07 -> 1.12), steady 79.7% -> 82.8% (0.75 -> 0.86), lapsed 72.4% -> 73.6%, all 73.4% -> 77.2%;
quick demo erratic 61.6% -> 67.9% (0.89 -> 1.04), steady 74.7% -> 76.8% (0.70 -> 0.86), all 67.6% -> 71.7%;
new accounts and CDNOW 1,000 at 1997-06-30 unchanged (80.3%: its 3-month backtest has one origin).
Tried and dropped: the widening that makes the class's range of all origins hold 8 in 10 of the latest origin's
totals (erratic 72.5% and 62.9%, all 75.0% and 68.6%; steady 80.9% at width 0.79); own spreads with as few as
1, 3 or 6 origins of their own (so that they are measured at the early cuts too), erratic 70.6-71.3% and
64.2-65.4%; the evidence rows divided by their accounts' spreads of today (the scaling of the account, so the
class's rows hold 80% in the same units), erratic 66.1% and 57.2%; a monthly coefficient of variation relative
to the class's as the own spread, measured at the origins and today (its effect measured on the evidence, or
whole), steady down to 70.6% with erratic at most 73.1%.

**A lumpy account takes its lumpier half's range too** (:func:`lumpier_half`): a class (ordering months in the
last 12, months since the last order) holds steady and lumpy accounts alike, and the 10% and 90% quantiles of its
multiples lie between the two. On the demo's class of accounts ordering most months (the recent mean's rows), the
worst tenth of the accounts erratic at their origin reached 0.25-0.48 of their forecast, of the steady ones
0.62-0.71, of the class as a whole 0.55-0.66; the own spread above (1.0-1.2 for most erratic accounts) hardly
moved that. So where both halves of a
class have :data:`MIN_CLASS_ROWS` rows, an account whose coefficient of variation of its last 12 months is above
the class rows' median takes the wider of its class's range and the range built the same way on the lumpier half
alone; a steadier account keeps its class's range (its half's is narrower, but the quick demo's steady accounts
already fall below theirs 18% of the time). Out of time (``bench_total_ranges.py --groups``, before -> after,
median width / forecast): demo 300 erratic 75.1% -> 78.4% (1.12 -> 1.37), all 77.2% -> 79.3% (0.97 -> 1.16);
quick demo erratic 67.9% -> 68.6% (1.04 -> 1.10), all 71.7% -> 72.1%; steady, new and lapsed accounts unchanged
(82.8% and 76.8% at 0.86); CDNOW 1,000 at 1997-06-30 erratic 76.6% -> 77.7%, all 80.3% -> 80.7%. The points do
not move. What is still missing on the demo is mostly its churn, planted only in its last two years: of the
erratic accounts that fell below their range, more than half bought under a quarter of their forecast. Tried and
dropped: each bound the lower / higher of the two ranges' (quick demo erratic 69.2%, but a 12-month range
measured on 6-month totals could then grow less than the random walk's square root); each half's own range for
both halves (steady 78.6% and 59.6% on the quick demo, width 0.71); the
accounts' own spreads measured against their half's (erratic 77.5%, no better); a fixed steadiness threshold (a
coefficient of variation of 0.5: erratic 78.1% and 72.3%, but 0.4 or 0.7 gave 76.2% / 67.9% and 78.6% / 67.9%);
the earliest origin's widening carried on to the year ahead (12 months past the latest origin, twice the
backtest's span: erratic 78.7% and 73.6% but steady 85.8%, width 0.86 -> 0.95; taken per side, erratic 77.4%
and 70.4%); the own spread with
fewer origins or a lighter prior (erratic 74.4-76.1% while widths grew to 1.34).

**A new account's monthly ranges** are its mean so far times what accounts as new bought in a month ahead as a
multiple of theirs (:attr:`YoungEvidence.monthly`), as its 12-month range is, not its class's multiples:
account-months inside the monthly 80% range, new accounts, demo 300 52.3% -> 69.5%, quick demo 27.8% ->
71.1%, CDNOW 1997-06-30 94.5% -> 93.7%; the other accounts' monthly ranges did not move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.forecast.selection.choice import QUANTILES
from kamtools.forecast.selection.evidence import Evidence
from kamtools.forecast.selection.state import MIN_CLASS_ROWS, YOUNG_MONTHS, _last_mean, account_state, cap_spikes

TOTAL_QUANTILES = (0.1, 0.9)  # actual / forecast horizon totals of similar accounts: the total's 80% range
ZERO_START_UPPER = 0.8  # ... its upper quantile where more than 10% bought nothing (the range starts at zero)
MIN_TOTAL_ROWS = 20  # evidence rows with a forecast total a class needs for its total's range
MIN_YOUNG_HORIZON = 3  # new accounts' totals over fewer months ahead are not widened to 12 (a guess, not evidence)
OWN_BASE_MONTHS = 6  # an account's own errors: its next months' total against the mean of this many months before
OWN_FLOOR = 0.05  # ... as log multiples, a total under this multiple (nothing bought) counting as this multiple
LATER_ORIGIN_COVERAGE = 0.8  # the earliest origin's range widens until it holds this share of the latest's


def _class_rows(ev: Evidence, k: int) -> tuple[np.ndarray, int]:
    """(evidence rows, key) of class ``k``: the whole portfolio (key -1) where it has under :data:`MIN_CLASS_ROWS`."""
    rows = np.flatnonzero(ev.klass == k)
    return (np.arange(len(ev.account)), -1) if len(rows) < MIN_CLASS_ROWS else (rows, int(k))


def total_ratios(ev: Evidence, klass: np.ndarray, method: np.ndarray, factor: np.ndarray, months: int) -> list:
    """Per account, the actual / forecast totals of its first ``months`` months (at most the backtest's
    horizon) over the backtest rows of its class (the whole portfolio where the class has under
    :data:`MIN_CLASS_ROWS` rows), its method calibrated as its own forecast is; sorted. None for the zero
    forecast and where fewer than :data:`MIN_TOTAL_ROWS` rows had a forecast total. Accounts sharing
    class, method and factor share one array."""
    return _class_total_ratios(ev, klass, method, factor, months, lambda r, rows: np.sort(r))


def _class_total_ratios(
    ev: Evidence, klass: np.ndarray, method: np.ndarray, factor: np.ndarray, months: int, summarise
) -> list:
    """Per account, ``summarise(ratios, rows)`` of the actual / forecast totals of its first ``months`` months
    over the backtest rows of its class that had a forecast total (``rows``: their evidence row numbers), its
    method calibrated as its own forecast is; None for the zero forecast and under :data:`MIN_TOTAL_ROWS` such
    rows. Accounts sharing class, method and factor share one result."""
    h = max(1, min(int(months), ev.horizon))
    out: list = [None] * len(method)
    cache: dict = {}
    for i in np.flatnonzero(method != "zero"):
        rows, k = _class_rows(ev, klass[i])
        key = (k, method[i], factor[i])
        if key not in cache:
            f = factor[i] * ev.paths[method[i]][rows][:, :h]
            ok = np.all(np.isfinite(f), axis=1) & (np.nansum(f, axis=1) > 0)
            cache[key] = None
            if ok.sum() >= MIN_TOTAL_ROWS:
                cache[key] = summarise(ev.actual[rows][ok][:, :h].sum(axis=1) / f[ok].sum(axis=1), rows[ok])
        out[i] = cache[key]
    return out


def ratio_bounds(ratio: np.ndarray, level: float = 80) -> tuple[float, float]:
    """Range at ``level`` percent of a total as multiples of its forecast from out-of-time ratios: their
    (for 80) 10% and 90% quantiles; zero to the 80% quantile where more than 10% of them are zero."""
    tail = round((1 - level / 100) / 2, 12)
    quantiles = TOTAL_QUANTILES if level == 80 else (tail, 1 - tail)
    upper = ZERO_START_UPPER if level == 80 else level / 100
    low, high = np.quantile(ratio, quantiles)
    return (0.0, float(np.quantile(ratio, upper))) if low <= 0 else (float(low), float(high))


def total_ratio_range(ev: Evidence, klass: np.ndarray, method: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """(n, 2) bounds of each account's 80% range of its horizon total, as multiples of its forecast total.

    :func:`ratio_bounds` of the account's :func:`total_ratios` over the backtest's horizon: 8 in 10
    accounts like it ended inside such a range out of time. NaN where there are no such ratios.
    """
    out = np.full((len(method), 2), np.nan)
    bounds: dict = {}
    for i, ratio in enumerate(total_ratios(ev, klass, method, factor, ev.horizon)):
        if ratio is not None:
            if id(ratio) not in bounds:
                bounds[id(ratio)] = ratio_bounds(ratio)
            out[i] = bounds[id(ratio)]
    return out


def own_errors(y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean squared log error, origins) of each account's own history as a forecast of itself: at every month
    with :data:`OWN_BASE_MONTHS` months of its own before it (spikes capped) and ``h`` after, inside ``y``, the log
    of its next ``h`` months' total over ``h`` times its mean of those months (at least :data:`OWN_FLOOR`). A
    steady account's totals stay near its recent level (small errors), an erratic one's do not."""
    y = np.asarray(y, dtype=float)
    n, t = y.shape
    b = OWN_BASE_MONTHS
    capped, _ = cap_spikes(y)
    zero = np.zeros((n, 1))
    c_base = np.hstack([zero, np.cumsum(np.nan_to_num(capped), axis=1)])
    c_raw = np.hstack([zero, np.cumsum(np.nan_to_num(y), axis=1)])
    c_fin = np.hstack([zero, np.cumsum(np.isfinite(y), axis=1)])
    total, count = np.zeros(n), np.zeros(n)
    for o in range(b - 1, t - h):  # o: the origin's last month
        base = (c_base[:, o + 1] - c_base[:, o + 1 - b]) / b
        ok = (c_fin[:, o + 1] - c_fin[:, o + 1 - b] == b) & (base > 0)
        ahead = c_raw[ok, o + 1 + h] - c_raw[ok, o + 1]
        total[ok] += np.log(np.maximum(ahead / (h * base[ok]), OWN_FLOOR)) ** 2
        count[ok] += 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0), count


def relative_spread(y: np.ndarray, h: int, klass: np.ndarray | None = None) -> np.ndarray:
    """Each account's own spread (:func:`own_errors`) relative to that of accounts like it: the square root of
    its mean squared error, shrunk towards the median of the accounts of its class (``klass``; the whole
    portfolio where the class has fewer than 5) with ``h`` origins or more (the prior, weighing as ``h``
    origins: overlapping origins repeat each other), over that median. The class's multiples already carry
    how lumpy such accounts are (a class is made by ordering months); this says whether the account is
    steadier or lumpier than they are. 1 for an account without origins of its own, and for every account
    where fewer than 5 have ``h`` origins."""
    ms, k = own_errors(y, h)
    full = k >= h
    if full.sum() < 5:
        return np.ones(len(ms))
    prior = np.full(len(ms), float(np.median(ms[full])))
    if klass is not None:
        klass = np.asarray(klass)
        for c in np.unique(klass):
            mine = full & (klass == c)
            if mine.sum() >= 5:
                prior[klass == c] = float(np.median(ms[mine]))
    ok = prior > 0
    out = np.ones(len(ms))
    out[ok] = np.sqrt((k[ok] * ms[ok] + h * prior[ok]) / (k[ok] + h) / prior[ok])
    return out


def own_spreads(y: np.ndarray, ids: np.ndarray, ev: Evidence | None) -> dict:
    """``spread`` and ``evidence_spread`` of a :class:`Selection`: :func:`relative_spread` over the backtest's
    horizon of every account now and of each evidence row's account at its origin (from the history up to it
    only); None without a backtest."""
    if ev is None or ev.origin is None:
        return {"spread": None, "evidence_spread": None}
    h = int(ev.horizon)
    rows_of = pd.Index(np.asarray(ids).astype(str)).get_indexer(np.asarray(ev.account).astype(str))
    at_row = np.ones(len(ev.account))
    for c in np.unique(ev.origin):
        rows = np.flatnonzero((ev.origin == c) & (rows_of >= 0))
        past = y[:, : int(c) + 1]
        at_row[rows] = relative_spread(past, h, account_state(past, h).klass)[rows_of[rows]]
    return {"spread": relative_spread(y, h, account_state(y, h).klass), "evidence_spread": at_row}


def monthly_variation(y: np.ndarray) -> np.ndarray:
    """Each account's coefficient of variation of its monthly revenue over its last 12 months (months before its
    first order and without orders count as 0; inf where it bought nothing in them): how lumpy its months are."""
    last = np.nan_to_num(np.asarray(y, dtype=float)[:, -12:])
    mean = last.mean(axis=1)
    out = np.full(len(last), np.inf)
    ok = mean > 0
    out[ok] = last[ok].std(axis=1) / mean[ok]
    return out


def lumpier_half(
    y: np.ndarray, ids: np.ndarray, ev: Evidence | None, klass: np.ndarray, var: dict | None = None
) -> dict:
    """``lumpier`` and ``evidence_lumpier`` of a :class:`Selection`: the accounts now, and the evidence rows at
    their origins (from the history up to it only), whose :func:`monthly_variation` is above the median of their
    class's evidence rows, in the classes where both halves have :data:`MIN_CLASS_ROWS` rows or more (False
    elsewhere); None without a backtest. A class (ordering months and months since the last order) mixes steady
    accounts with lumpy ones, and its multiples' 10% and 90% quantiles sit between the two: a lumpy account
    takes the wider of its class's range and its lumpier half's (:func:`total_range`). ``var``: the
    :func:`variations` of the same arguments, where already computed."""
    if ev is None or ev.origin is None:
        return {"lumpier": None, "evidence_lumpier": None}
    var = variations(y, ids, ev) if var is None else var
    now, at_row = var["variation"], var["evidence_variation"]
    klass_now = np.asarray(klass)
    lumpier, ev_lumpier = np.zeros(len(now), dtype=bool), np.zeros(len(at_row), dtype=bool)
    for k in np.unique(ev.klass):
        mine = np.asarray(ev.klass) == k
        cut = float(np.median(at_row[mine]))
        above = mine & (at_row > cut)
        if above.sum() >= MIN_CLASS_ROWS and (mine & ~above).sum() >= MIN_CLASS_ROWS:
            ev_lumpier |= above
            lumpier |= (klass_now == k) & (now > cut)
    return {"lumpier": lumpier, "evidence_lumpier": ev_lumpier}


def variations(y: np.ndarray, ids: np.ndarray, ev: Evidence | None) -> dict:
    """``variation`` and ``evidence_variation`` of a :class:`Selection`: :func:`monthly_variation` of every account
    now, and of each evidence row's account at its origin (from the history up to it only; inf for a row whose
    account is not in ``ids``); None without a backtest. An account of a class with too few evidence rows takes
    the rows nearest it in this (:func:`_like_in_variation`)."""
    if ev is None or ev.origin is None:
        return {"variation": None, "evidence_variation": None}
    rows_of = pd.Index(np.asarray(ids).astype(str)).get_indexer(np.asarray(ev.account).astype(str))
    at_row = np.full(len(ev.account), np.inf)
    for c in np.unique(ev.origin):
        rows = np.flatnonzero((ev.origin == c) & (rows_of >= 0))
        at_row[rows] = monthly_variation(y[:, : int(c) + 1])[rows_of[rows]]
    return {"variation": monthly_variation(y), "evidence_variation": at_row}


def silent_ratios(evidence, method: str, months: int) -> np.ndarray | None:
    """Sorted out-of-time totals over ``months`` months of the backtest rows where ``method`` forecast nothing
    for an account that had bought in its last 12 months, as multiples of that account's mean month of those
    12 (at the origin) times ``months``: what accounts whose method saw no orders ahead really bought, against
    their usual level. None with fewer than :data:`MIN_TOTAL_ROWS` such rows or for the zero method itself."""
    if method == "zero" or method not in evidence.paths:
        return None
    h = max(1, min(int(months), evidence.horizon))
    path = evidence.paths[method][:, :h]
    rows = np.all(np.isfinite(path), axis=1) & (np.abs(path).sum(axis=1) <= 0) & (evidence.lapsed_ref > 0)
    if rows.sum() < MIN_TOTAL_ROWS:
        return None
    return np.sort(evidence.actual[rows][:, :h].sum(axis=1) / (evidence.lapsed_ref[rows] * h))


def later_origin_widening(scores: np.ndarray, origins: np.ndarray | None) -> float:
    """How much the 80% range of a class's evidence must widen to hold its own later rows: the range of the
    ``scores`` (log multiples) at the earliest origin (their 10% and 90% quantiles) is widened about its median by
    the least factor with which it holds :data:`LATER_ORIGIN_COVERAGE` of the scores at the latest origin. The
    rows of all origins together hold 80% by construction, yet the next 12 months lie further from them than
    their origins lie from each other (a 12-month backtest's origins are 3 months apart and share most of their
    months): a class whose later rows strayed beyond its earlier ones is taken to stray as far again ahead. 1
    (no widening) with one origin, fewer than :data:`MIN_TOTAL_ROWS` rows at either end, or a range of width zero."""
    if origins is None or not len(scores) or len(scores) != len(origins):
        return 1.0
    first, last = np.min(origins), np.max(origins)
    early, late = scores[origins == first], scores[origins == last]
    if first == last or len(early) < MIN_TOTAL_ROWS or len(late) < MIN_TOTAL_ROWS:
        return 1.0
    low, mid, high = np.quantile(early, [TOTAL_QUANTILES[0], 0.5, TOTAL_QUANTILES[1]])
    if not (low < mid < high):
        return 1.0
    need = np.where(late > mid, (late - mid) / (high - mid), (mid - late) / (mid - low))  # widening each row needs
    return max(1.0, float(np.quantile(need, LATER_ORIGIN_COVERAGE, method="inverted_cdf")))


def total_scores(
    ev: Evidence, klass: np.ndarray, method: np.ndarray, factor: np.ndarray, months: int, spread: np.ndarray
) -> list:
    """Per account, :func:`total_ratios`' rows that bought as sorted log multiples divided by each row's own
    spread at its origin (``spread``, :func:`own_spreads`), and the share of rows that bought nothing: what
    similar accounts reached in units of their own steadiness, which times an account's own spread gives its
    log multiples (a steady account's range narrows, an erratic one's widens). The multiples are spread about
    their median by :func:`later_origin_widening` of the same rows (the third element): what the class's earlier
    rows missed of its later ones. None where total_ratios is."""

    def in_units(r: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, float, float]:
        bought = r > 0
        scores = np.log(r[bought]) / spread[rows][bought]
        widen = 1.0
        if len(scores):
            origins = None if ev.origin is None else np.asarray(ev.origin)[rows][bought]
            widen = later_origin_widening(scores, origins)
            mid = float(np.median(scores))
            scores = mid + widen * (scores - mid)
        return np.sort(scores), float(np.mean(~bought)), widen

    return _class_total_ratios(ev, klass, method, factor, months, in_units)


@dataclass
class YoungEvidence:
    """What accounts as new as a young account bought next: out-of-time totals of the accounts that were
    young (:data:`YOUNG_MONTHS`) at some month of the history, over the ``months`` months after it, as
    multiples of their mean so far (:func:`_last_mean` of 6 months, the one a young account's own forecast
    starts from); ``halves``: the same over ``months // 2`` months (for :func:`_spread_growth`); ``ages``: each
    row's months since its first order at its origin (a young account takes the rows of its own age where they
    are :data:`MIN_TOTAL_ROWS` or more: a first month spread over three is a smaller share of an account's level
    than two or five months are)."""

    ratios: np.ndarray  # sorted
    months: int
    halves: np.ndarray | None
    ages: np.ndarray | None = None  # (rows,) in the order of ``ratios``
    monthly: np.ndarray | None = None  # QUANTILES of the same rows' single months ahead over their mean so far


def young_evidence(y: np.ndarray, most: int = 12) -> YoungEvidence | None:
    """:class:`YoungEvidence` from every month of the history ``y`` (accounts x months, NaN before an account's
    first month) as an origin, over the longest horizon up to ``most`` months with at least :data:`MIN_TOTAL_ROWS`
    such rows; None where the history has too few accounts that were young with months after them.

    The backtest's origins are few, and its classes are made of settled accounts: a new account falls in the
    class of one ordering month and took its range from accounts that had bought for years (80% ranges of
    about +-7% around a new account's first order). A new account's next year is what new accounts' next
    years were, which every month of the history shows where accounts were acquired.

    An account first seen in the data's first months may be an old customer that did not order in them, so
    the accounts first seen after :data:`YOUNG_MONTHS` months of the data are taken where they are enough
    (demo, 300 accounts, 3 years before the cut: 133 such rows, next-12-month multiples of 0.10, 1.15 and 7.06
    at the 10%, 50% and 90% quantiles, against 0.10, 0.75 and 4.12 with every account first seen after the first
    month: the demo's new accounts grow after their first orders)."""
    for settled in (YOUNG_MONTHS, 1):
        ev = _young_evidence(np.asarray(y, dtype=float), most, settled)
        if ev is not None:
            return ev
    return None


def _young_evidence(y: np.ndarray, most: int, settled: int) -> YoungEvidence | None:
    """:func:`young_evidence` from the accounts first seen at month ``settled`` of the data or later."""
    n, t = y.shape
    if t < 2:
        return None
    first = np.where(np.isfinite(y).any(axis=1), np.argmax(np.isfinite(y), axis=1), t)
    rows: dict[int, list] = {}
    for c in range(t - 1):
        age = c + 1 - first
        who = np.flatnonzero((age > 0) & (age < YOUNG_MONTHS) & (first >= settled))
        if not len(who):
            continue
        capped, _ = cap_spikes(y[who, : c + 1])
        base = _last_mean(capped, 6)
        future = np.nan_to_num(y[who, c + 1 : c + 1 + most])
        rows[c] = [base, np.cumsum(future, axis=1), age[who]]
    for h in range(min(most, t - 1), MIN_YOUNG_HORIZON - 1, -1):
        ratio, half, ages, month = [], [], [], []
        for c, (base, cum, a) in rows.items():
            if c + h > t - 1:
                continue
            ok = base > 0
            ratio.append(cum[ok, h - 1] / (h * base[ok]))
            ages.append(a[ok])
            month.append((np.diff(cum[ok, :h], axis=1, prepend=0.0) / base[ok, None]).ravel())
            if h >= 2:
                half.append(cum[ok, h // 2 - 1] / ((h // 2) * base[ok]))
        r = np.concatenate(ratio) if ratio else np.zeros(0)
        if len(r) >= MIN_TOTAL_ROWS:
            order = np.argsort(r, kind="stable")
            halves = np.sort(np.concatenate(half)) if half else None
            monthly = np.quantile(np.concatenate(month), QUANTILES)
            return YoungEvidence(r[order], h, halves, np.concatenate(ages)[order], monthly)
    return None
