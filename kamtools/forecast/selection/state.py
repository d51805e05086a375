"""Where each account stands at a date: its class, its level, its silence and its spikes.

:func:`account_state` reads an account's monthly history up to a date: its class of similar accounts (ordering
months in its last 12, months since its last order, :func:`class_words`), its recent and 12-month levels with a
one-off month capped (:func:`cap_spikes`, :func:`spike_notes`), whether it is new (:data:`YOUNG_MONTHS`), a silent
one-time buyer (:func:`silent_one_time`) or silent long against its own history (:func:`silent_against_history`).
:func:`history_returns` asks the whole history what accounts as silent bought back (:class:`ReturnHistory`,
:func:`return_median`). Every later step of the selection reads these; nothing here chooses a method.

**Spikes.** A month above :data:`SPIKE_FACTOR` times the account's median ordering month
(with at least 3 ordering months) is capped there, or counts as a usual ordering month (that
median) where the account ordered in under 3 of its last 6 months, before any level is taken
(:func:`cap_spikes`), so a one-off order is not extrapolated, and the account's
reason names it (:func:`spike_notes`). Demo with a 31.5k order (A0040): 23.6k -> 12.1k; the demo
300's 6-month MAE fell 0.1-0.2% with this alone (35,614 -> 35,580, 29,083 -> 29,031).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamtools.display import money

SPIKE_FACTOR = 3.0  # a month above this multiple of the account's median ordering month is capped
MIN_CLASS_ROWS = 30  # evidence rows (account x origin) a class needs for its own factor and choice
SILENT_MONTHS = 6  # the churn rule's silence: with 4x the account's own rhythm and its longest gap, survival-scaled
SILENT_ONE_TIME_MONTHS = 6  # one ordering month and none in this many: a silent one-time buyer

_ACTIVE_EDGES = (1, 2, 4, 7)  # ordering months in the last 12: 0, 1, 2-3, 4-6, 7+
_ACTIVE_WORDS = (
    "no orders in the last 12 months",
    "one ordering month in the last 12",
    "2 to 3 ordering months in the last 12",
    "4 to 6 ordering months in the last 12",
    "7 or more ordering months in the last 12",
)
_GAP_EDGES = (3, 6, 12)  # months since the last order: 0-2, 3-5, 6-11, 12+
_GAP_WORDS = ("last order 0 to 2 months ago", "last order 3 to 5 months ago", "last order 6 to 11 months ago", "")


def wide_history(hist: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """``unique_id, ds, y`` -> (accounts x months matrix with NaN before an account's first
    month, sorted ids, month starts)."""
    wide = hist.pivot_table(index="unique_id", columns="ds", values="y", aggfunc="sum", sort=True)
    return wide.to_numpy(dtype=float), wide.index.astype(str).to_numpy(), pd.DatetimeIndex(wide.columns)


def cap_spikes(y: np.ndarray, factor: float = SPIKE_FACTOR) -> tuple[np.ndarray, np.ndarray]:
    """Cap each row's months above ``factor`` x the median of its ordering (positive) months (over its whole
    history) there; where the row ordered in fewer than 3 of its last 6 months, such a month counts as a usual
    ordering month (that median) instead: for an account ordering in a month or two per half-year, a capped
    spike was still most of its 6-month mean (demo A0040: one order of 31.5k, capped at 9.2k, was 73% of it
    and made a forecast of 23.6k against 3.4k bought in its other months of the year). Counting every spike
    as a median month raised the demo's 6-month MAE (``bench_real_data.py``) by 2-4%, so accounts ordering
    in most months keep the cap.

    Rows with fewer than 3 ordering months are left alone (their orders are the rhythm, not
    spikes). Returns (capped copy, boolean mask of the capped cells).
    """
    y = np.asarray(y, dtype=float)
    pos = np.where(y > 0, y, np.nan)
    n_pos = np.sum(y > 0, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(pos, axis=1)
    cap = np.where(n_pos >= 3, factor * med, np.inf)[:, None]
    mask = np.isfinite(y) & (y > cap)
    sparse = np.sum(y[:, -6:] > 0, axis=1) < 3  # a month or two per half-year: a capped spike is still most of it
    return np.where(mask, np.where(sparse, med, factor * med)[:, None], y), mask


_SPIKE_WINDOWS = {"recent_mean": 6, "level_12m": 12, "window_mean": 0}  # months each mean reads (0: all)


def spike_notes(y: np.ndarray, method: np.ndarray) -> np.ndarray:
    """Per account, a sentence naming the months :func:`cap_spikes` counted as usual ones inside the window its
    chosen mean reads (empty elsewhere), so a page shows what was set aside."""
    y = np.asarray(y, dtype=float)
    capped, mask = cap_spikes(y)
    out = np.full(len(y), "", dtype=object)
    for i in np.flatnonzero(mask.any(axis=1)):
        k = _SPIKE_WINDOWS.get(str(method[i]))
        if k is None:
            continue
        cells = np.flatnonzero(mask[i, -k:] if k else mask[i])
        if not len(cells):
            continue
        row, usual = (y[i, -k:] if k else y[i]), (capped[i, -k:] if k else capped[i])
        big = float(np.max(row[cells]))
        counts = money(float(usual[cells[0]]))  # every capped month of a row counts as the same usual month
        if len(cells) == 1:
            out[i] = (
                f" Its largest month ({money(big)}) was over {SPIKE_FACTOR:g} times its usual ordering month and "
                f"counts as {counts} in the mean, so a one-off order is not carried forward."
            )
        else:  # one sentence whose subject is the months ('2 months, the largest (72.3k) was over ...' was none)
            out[i] = (
                f" {len(cells)} months were each over {SPIKE_FACTOR:g} times its usual ordering month (the largest "
                f"{money(big)}) and each counts as {counts} in the mean, so one-off orders are not carried forward."
            )
    return out


def silent_one_time(y: np.ndarray) -> np.ndarray:
    """Rows that ordered in one month of their history only and in none of the last :data:`SILENT_ONE_TIME_MONTHS`."""
    ordering = np.nan_to_num(np.asarray(y, dtype=float)) > 0
    if ordering.shape[1] <= SILENT_ONE_TIME_MONTHS:
        return np.zeros(len(ordering), dtype=bool)
    return (ordering.sum(axis=1) == 1) & ~ordering[:, -SILENT_ONE_TIME_MONTHS:].any(axis=1)


YOUNG_MIN_MONTHS = 3  # a mean is taken over at least this many months of the data (its months before a first order: 0)
YOUNG_MONTHS = 6  # an account with fewer months since its first order (inside the data) is not forecast by the model


def _last_mean(y: np.ndarray, k: int) -> np.ndarray:
    """Mean of each row over its months among the last ``k`` (NaN before its first month), over at least
    :data:`YOUNG_MIN_MONTHS` months of the data where the data has them, its months before its first order
    counting as nothing: a new account's first order is spread over three months, not taken as its monthly
    level (a demo account one month old with one order of 21k was forecast 129k for 12 months and bought
    54k; now 86k). 0 for a row without months."""
    block = y[:, -k:]
    n = np.sum(np.isfinite(block), axis=1)
    months = np.maximum(n, min(YOUNG_MIN_MONTHS, block.shape[1]))
    return np.where(n > 0, np.nansum(block, axis=1) / np.maximum(months, 1), 0.0)


@dataclass
class State:
    """What is known about each account at one origin (rows = accounts)."""

    recent: np.ndarray  # mean of last 6 months (spikes capped)
    level: np.ndarray  # mean of last 12 months (spikes capped)
    scale: np.ndarray  # positive unit for interval residuals
    seasonal: np.ndarray  # (n, h) last year's months repeated, NaN without two years
    gap: np.ndarray  # months since the last order
    rhythm: np.ndarray  # months per ordering month (last 12)
    klass: np.ndarray  # class index
    started: np.ndarray  # has at least one month
    silent_one_time: np.ndarray  # ordered in one month only, none in the last SILENT_ONE_TIME_MONTHS
    window: np.ndarray | None = None  # mean over every month of the data (0 before the account's first month)
    window_months: int = 0  # the months of the data
    young: np.ndarray | None = None  # months since the first order where under YOUNG_MONTHS, inside the data; else 0
    silent_long: np.ndarray | None = None  # silent SILENT_MONTHS+, 4x its own rhythm and past its longest earlier gap
    own_rhythm: np.ndarray | None = None  # months per ordering month from its first month to its last order
    ordering: np.ndarray | None = None  # ordering months in the whole block (1: a one-month buyer, no gap to read)
    former: np.ndarray | None = None  # mean month from the first month to the last order (spikes counted as usual)
    before_last: np.ndarray | None = None  # what it bought in the month before its last (NaN with one month)


def silent_against_history(y: np.ndarray, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(silent long, own rhythm) per account: no order for :data:`SILENT_MONTHS` or more (the churn rule),
    at least four times its own rhythm (months per ordering month from its first month to its last order,
    so the silence itself does not stretch the rhythm) and longer than any earlier gap between its orders
    (an account whose history has such pauses is not read as stopped)."""
    n, t = y.shape
    pos = np.nan_to_num(y) > 0
    silent = np.zeros(n, dtype=bool)
    rhythm = np.full(n, np.inf)
    first = np.argmax(np.isfinite(y), axis=1)
    for i in np.flatnonzero(pos.any(axis=1) & (gap >= SILENT_MONTHS)):
        months = np.flatnonzero(pos[i])
        span = months[-1] - first[i] + 1
        rhythm[i] = span / len(months)
        earlier = np.diff(months) - 1 if len(months) > 1 else np.array([0])
        silent[i] = len(months) > 1 and gap[i] >= 4 * rhythm[i] and gap[i] > earlier.max()
    return silent, rhythm


def account_state(y: np.ndarray, horizon: int) -> State:
    """Features and simple forecasts from a training block ``y`` (accounts x months)."""
    n, t = y.shape
    capped, _ = cap_spikes(y)
    started = np.any(np.isfinite(y), axis=1)
    recent = _last_mean(capped, 6)
    level = _last_mean(capped, 12)
    overall = np.where(started, np.nansum(capped, axis=1) / np.maximum(np.sum(np.isfinite(y), axis=1), 1), 0.0)
    scale = np.maximum.reduce([level, recent, overall])
    pos = np.nan_to_num(y) > 0
    last_pos = np.where(pos.any(axis=1), t - 1 - np.argmax(pos[:, ::-1], axis=1), -1)
    first = np.argmax(np.isfinite(y), axis=1)
    gap = np.where(last_pos >= 0, t - 1 - last_pos, t - first).astype(float)
    last12 = y[:, -12:]
    avail = np.sum(np.isfinite(last12), axis=1)
    active = np.sum(np.nan_to_num(last12) > 0, axis=1)
    rhythm = np.where(active > 0, avail / np.maximum(active, 1), np.inf)
    abin = np.searchsorted(_ACTIVE_EDGES, active, side="right")  # 0 .. 4
    gbin = np.minimum(np.searchsorted(_GAP_EDGES, gap, side="right"), 2)  # 0 .. 2 (12+ has no order in 12)
    klass = np.where(abin == 0, 0, 1 + (abin - 1) * 3 + gbin)
    seasonal = np.full((n, horizon), np.nan)
    two_years = np.sum(np.isfinite(y), axis=1) >= 24
    if t >= 12 and two_years.any():
        last_year = y[two_years, -12:]
        seasonal[two_years] = np.nan_to_num(last_year[:, np.arange(horizon) % 12])
    window = np.nansum(capped, axis=1) / max(t, 1)
    age = np.sum(np.isfinite(y), axis=1)
    young = np.where(started & (age < YOUNG_MONTHS) & (age < t), age, 0)
    silent_long, own_rhythm = silent_against_history(y, gap)
    return State(
        recent,
        level,
        scale,
        seasonal,
        gap,
        rhythm,
        klass,
        started,
        silent_one_time(y),
        window,
        t,
        young,
        silent_long,
        own_rhythm,
        ordering=np.sum(pos, axis=1),
        former=_former_level(capped, first, last_pos),
        before_last=y[:, -2].astype(float) if y.shape[1] >= 2 else np.full(len(y), np.nan),
    )


def ordering_share(y: np.ndarray) -> np.ndarray:
    """Per account, the share of its months (from its first month in ``y`` to the end) with an order: 1 for an
    account that ordered every month, near 0 for one that placed a single large order long ago (0 before any)."""
    months = np.sum(np.isfinite(y), axis=1)
    return np.where(months > 0, np.sum(np.nan_to_num(y) > 0, axis=1) / np.maximum(months, 1), 0.0)


def ordering_spread(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per account, (months with an order among its last 12, the standard deviation (ddof 1) of the log of its
    revenue in those months): how far its ordering months stray from one another, whatever its level. The spread
    is NaN where the account has fewer than 12 months in ``y`` or fewer than 2 ordering months in them (the class
    "7 or more ordering months" mixes accounts ordering every month with accounts skipping one in three:
    :mod:`~kamtools.forecast.selection.steady`)."""
    last = np.asarray(y, dtype=float)[:, -12:]
    pos = np.nan_to_num(last) > 0
    k = pos.sum(axis=1)
    spread = np.full(len(last), np.nan)
    ok = (np.isfinite(last).sum(axis=1) == 12) & (k >= 2) if last.shape[1] == 12 else np.zeros(len(last), bool)
    if ok.any():
        logs = np.where(pos[ok], np.log(np.where(pos[ok], last[ok], 1.0)), np.nan)
        spread[ok] = np.nanstd(logs, axis=1, ddof=1)
    return k, np.where(spread < 1e-9, 0.0, spread)  # the same sum every month: no spread (not a rounding's)


def _former_level(capped: np.ndarray, first: np.ndarray, last_pos: np.ndarray) -> np.ndarray:
    """Each row's mean month while it bought: from its first month to its last order (0 without an order)."""
    span = np.maximum(last_pos - first + 1, 1)
    return np.where(last_pos >= 0, np.nansum(capped, axis=1) / span, 0.0)


@dataclass
class ReturnEvidence:
    """What accounts silent ``silence`` months or more at some month of the history bought in the months the
    history holds after it (at least :data:`RETURN_WATCH` of them, at most 12): ``share`` of their former level
    (:func:`_former_level`) per month watched, ``bought`` the share of them that ordered again, ``multiples``
    (sorted) what those that ordered bought per month watched, as multiples of their former level; ``months``
    the longest watch; ``once``: the rows are one-month buyers (True), repeat buyers (False) or both (None);
    ``per_silence``: each silence counts once, at the month it reached ``silence`` months (True), or at every
    month it lasted that long (False: the history had too few accounts as silent as the account asked about,
    see :meth:`ReturnHistory.like`)."""

    share: float
    rows: int
    bought: float
    multiples: np.ndarray
    months: int
    silence: int
    once: bool | None
    per_silence: bool = True


@dataclass
class ReturnHistory:
    """Every (account, month) of the history where the account had been silent :data:`SILENT_MONTHS` months or
    more, long against its own history (:func:`silent_against_history`) or after one ordering month, with
    :data:`RETURN_WATCH` months or more after it (:func:`history_returns`)."""

    act: np.ndarray  # bought in the months watched
    ref: np.ndarray  # former monthly level at that month
    watched: np.ndarray  # months watched (at most 12)
    silence: np.ndarray  # months silent at that month
    once: np.ndarray  # had ordered in one month only
    account: np.ndarray  # the row's account (its index): an account silent at several months counts once
    spell: np.ndarray | None = None  # the month of the last order before the silence (account and spell: one silence)
    _cache: dict = field(default_factory=dict)

    def like(self, gap: float, once: bool) -> ReturnEvidence | None:
        """What accounts like this one bought back: the rows silent at least as long (else the longest silence
        with :data:`MIN_CLASS_ROWS` accounts; ``rows`` counts accounts) among the one-month or the repeat buyers as
        this account is (both where either has too few rows); None where even the shortest silence has too few
        rows.

        At the account's own silence each silence counts once, at the month it reached that length
        (:meth:`_first_of_silence`): that is the account's condition, and counted at every month it lasted, one
        account silent for two years weighed as much as twenty that came back after the first of those months
        (on the CDNOW log, for the lapsed accounts read at their own silence, the share of such silences that ended
        in an order went up at 17 of 22 whole-log and sample dates and down at 3 by at most 0.3 points, toward the
        share of them that then ordered, above both at every date). Where too few
        accounts were as silent and a shorter silence is read instead, every month counts: each silence at the
        month it reached the shorter length would stand for silences shorter than this account's, which come
        back more often (the demo of 300 at 2026-04-30: 49% -> 64% ended in an order, while 18% of the accounts
        it was read for then ordered)."""
        key = (int(gap), bool(once))
        if key not in self._cache:
            out = None
            for split in (bool(once), None):
                same = np.ones(len(self.act), dtype=bool) if split is None else self.once == split
                for g in range(int(gap), SILENT_MONTHS - 1, -1):
                    rows = same & (self.silence >= g)
                    if len(np.unique(self.account[rows])) >= MIN_CLASS_ROWS:
                        per_silence = g == int(gap) and self.spell is not None
                        if per_silence:
                            rows = self._first_of_silence(rows)
                        a, r, w = self.act[rows], self.ref[rows], self.watched[rows]
                        came = a > 0
                        out = ReturnEvidence(
                            float(a.sum() / np.sum(r * w)),
                            len(np.unique(self.account[rows])),
                            float(came.mean()),
                            np.sort(a[came] / (r[came] * w[came])),
                            int(w.max()),
                            g,
                            split,
                            per_silence,
                        )
                        break
                if out is not None:
                    break
            self._cache[key] = out
        return self._cache[key]

    def _first_of_silence(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` with each silence of each account once: its first month among them (the shortest silence
        there, the longest watch; the rows are in the order of their months)."""
        idx = np.flatnonzero(rows)
        _, first = np.unique(np.stack([self.account[idx], self.spell[idx]], axis=1), axis=0, return_index=True)
        out = np.zeros(len(rows), dtype=bool)
        out[idx[first]] = True
        return out


RETURN_WATCH = 3  # months after a silence the history must hold before that silence counts as evidence


def history_returns(y: np.ndarray) -> ReturnHistory | None:
    """:class:`ReturnHistory` from every month of ``y`` (accounts x months) with :data:`RETURN_WATCH` months
    after it: the accounts that had ordered and then had no order for :data:`SILENT_MONTHS` months or more
    there; None without such rows."""
    y = np.asarray(y, dtype=float)
    t = y.shape[1]
    parts = []
    for o in range(SILENT_MONTHS - 1, t - RETURN_WATCH):
        train = y[:, : o + 1]
        pos = np.nan_to_num(train) > 0
        has = pos.any(axis=1)
        last = np.where(has, o - np.argmax(pos[:, ::-1], axis=1), -1)
        gap = (o - last).astype(float)
        long, _ = silent_against_history(train, np.where(has, gap, 0.0))
        # silent long against its own history (a sporadic buyer's usual pause is no silence), or a one-month buyer
        rows = has & (gap >= SILENT_MONTHS) & (long | (pos.sum(axis=1) == 1))
        if not rows.any():
            continue
        capped, _ = cap_spikes(train[rows])
        first = np.argmax(np.isfinite(train[rows]), axis=1)
        ref = _former_level(capped, first, last[rows])
        w = min(12, t - 1 - o)
        act = np.nansum(y[rows, o + 1 : o + 1 + w], axis=1)
        parts.append(
            (
                act,
                ref,
                np.full(len(ref), w),
                (o - last)[rows],
                pos[rows].sum(axis=1) == 1,
                np.flatnonzero(rows),
                last[rows],
            )
        )
    if not parts:
        return None
    cols = [np.concatenate([p[j] for p in parts]) for j in range(7)]
    ok = cols[1] > 0
    return ReturnHistory(*(c[ok] for c in cols))


def class_words(k: int) -> str:
    """The class of similar accounts in words."""
    k = int(k)
    if k == 0:
        return "accounts with " + _ACTIVE_WORDS[0]
    abin, gbin = 1 + (k - 1) // 3, (k - 1) % 3
    return f"accounts with {_ACTIVE_WORDS[abin]}, {_GAP_WORDS[gbin]}"


RETURN_LIKELY = 0.5  # above this share of silences ending in an order, the median outcome of one is a return


def return_median(r: ReturnEvidence) -> float:
    """The median monthly multiple of its former level that a silence like ``r`` led to: no order with chance
    ``1 - r.bought``, else one of ``r.multiples``. Zero where at most half ended in an order
    (:data:`RETURN_LIKELY`), else the ``(p - 0.5) / p`` quantile of the multiples of those that ordered (``p`` =
    ``r.bought``), the point with the lowest mean absolute error over such outcomes. It is below the mean
    (``r.share``) where the multiples are skewed, so a sum of such points under-forecasts the total."""
    p = float(r.bought)
    if not p > RETURN_LIKELY or not len(r.multiples):
        return 0.0
    return float(np.quantile(r.multiples, (p - RETURN_LIKELY) / p))
