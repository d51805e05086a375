"""The rules for long-silent accounts, and the sentence each writes.

An account silent :data:`LAPSED_MONTHS` months or more and four times its rhythm (:func:`_lapsed_by_gap`) is
forecast zero where its class's backtest showed such accounts do not come back, else from what accounts as silent
bought back in the history (:func:`_lapsed_choice`, :func:`_returning`); an account silent long against its own
history is capped by survival (:func:`_silent_scale`). :func:`kamtools.forecast.selection.reasons._choose_account`
applies them; the reasons of a silent one-time buyer (:func:`_one_time_reason`) and of a lapsed account
(:func:`_lapsed_reason`) are written here too.

**Silent against its own history.** An account with no order for :data:`SILENT_MONTHS` months or more (the
churn rule), at least four times its own rhythm (months per ordering month from its first month to its last
order: the silence itself does not stretch it, as it does the rhythm of the last 12 months) and longer than any
earlier pause between its orders is forecast at most the mean of its last 12 months times survival: the share
of their former level that accounts as silent bought back in the backtest (with :data:`MIN_CLASS_ROWS` such
rows), else the BTYD chance that it orders within the horizon, else zero (:func:`silent_against_history`). A
forecast already below that is kept, and none of these reads growth. Demo (72 accounts, as of 2026-10-31):
A0048, ordering monthly for years and silent for 9 months (P(alive) about 0%), 7.6k (+8% on its last 12
months) -> 0. ``bench_real_data.py``: per-account MAE lower or equal at all 8 CDNOW cases (the 2,000 sample
at 1997-12-31 22.74 -> 22.51, bias +26.4% -> +24.7%), the demo of 300 unchanged.

**Lapsed accounts the backtest cannot judge.** Where the rules above would zero an account only
because the backtest had too few accounts as silent to measure (a lapsed account's class under
:data:`MIN_CLASS_ROWS`, or a long-silent one without a survival share or a checked P(alive)), the
rest of the history is asked instead (:func:`history_returns`): at every month with 3 or more after
it, the accounts silent :data:`SILENT_MONTHS` months or more, long against their own history (or
after one ordering month), and what they bought next as a share of their former monthly level
(:meth:`ReturnHistory.like`: silent at least as long as this account, one-month or repeat buyers
as it is, at least :data:`MIN_CLASS_ROWS` accounts; at the account's own silence each silence counts once, at
the month it reached that length: counted at every month it lasted, as before, an account that never came back
weighed once per month of its silence, and on the case of 30 accounts that came back after 12 months and 10 that
never did, 20% of such silences "ended in an order" instead of 75%, and the point was zero). Its range runs from
zero to what those that came back bought (method ``returning``, :func:`returning_range`), and the reason gives the figures. The point
forecast is its former level times the median of what such a silence led to (:func:`return_median`): no
order with the share of silences that did not end in one, else one of the returns. That is the point with the
lowest absolute error: zero where at most half of such silences ended in an order (:data:`RETURN_LIKELY`), else
the ``(p - 0.5) / p`` quantile of the returns (``p`` the share that ordered), never above the former level, and
zero too where the share bought back is under 1%. The median is read only from accounts of its own kind
(one-month or repeat buyers); where too few of its kind were silent and the evidence pools both, the point is
zero and the reason says why: on the demo of 300 at 2025-10-31 the pooled rows said 85% of such silences ended
in an order, because every one-month buyer silent 7 months or more came back (a yearly buyer's first year
looks like a one-month buyer's silence), while repeat buyers came back at 70%. The 8 repeat buyers forecast
from that evidence, silent 12 to 22 months, then bought 43k in 6 months, all of it one account's (2 of the 8
ordered within 12 months). ``bench_real_data.py``, 6-month MAE of the demo 300: 35,160 -> 34,970 at
2025-10-31 (bias +0.2% -> -0.0%; 34,978 before lapsed accounts had this rule), 28,147 unchanged at 2026-04-30
(its 16 such accounts had a share under a half: zero either way); CDNOW, 1,000 customers and the whole set,
unchanged (every such account had a share under a half). Measured and not kept: the median alone, on the pooled evidence
(demo 2025-10-31: 35,128); the former level times the share bought back (the mean, not the median) for every
such account: CDNOW, 1,000 customers (``bench_real_data.py --sample 1000 --heavy 0``), 6-month bias / MAE at
1997-12-31 +1.4% / 18.47 -> +6.3% / 18.95, at 1998-01-31 -21.4% / 15.89 -> -15.0% / 16.81 (12-21% of
such accounts bought anything, so zero is nearer for most); demo 300: 34,978 -> 35,160 and 28,204 -> 28,683.
The median under-forecasts a total where the returns are skewed (it lies below their mean), a bias that
only the accounts with more than half of such silences ending in an order can carry. The pages no longer
show such an account at 0 (range 0 to 0) with "no similar accounts coming back" beside a churn section
saying 15-77% of them did.
"""

from __future__ import annotations

import numpy as np

from kamtools.display import money
from kamtools.forecast.selection.choice import ClassChoice
from kamtools.forecast.selection.context import _Context
from kamtools.forecast.selection.plain import TEST
from kamtools.forecast.selection.state import MIN_CLASS_ROWS, State, return_median

LAPSED_MONTHS = 12  # silent at least this long (and 4x the account's rhythm) ...
LAPSED_SHARE = 0.05  # ... in a class that bought back less than this share of its former level: zero

MIN_SURVIVAL = 0.01  # a survival share under this forecasts a long-silent account zero (the lapsed rule's figures)


def _lapsed_by_gap(state: State) -> np.ndarray:
    """Silent for :data:`LAPSED_MONTHS` or more and four times the account's rhythm."""
    return (state.gap >= LAPSED_MONTHS) & (~np.isfinite(state.rhythm) | (state.gap >= 4 * state.rhythm))


def _months(n: float) -> str:
    return "1 month" if int(n) == 1 else f"{int(n)} months"


def _silence(gap: float, once: bool, lower: bool = False) -> str:
    """The silence in whole months with no order (the months after the last order's month, so it agrees with
    the days since the last order), and against what: a one-month buyer has no gap between orders to compare
    (``lower``: after a colon, "no order ...")."""
    head = f"{'n' if lower else 'N'}o order for {_months(gap)}"
    return head + (" after ordering in one month only" if once else ", over four times its usual gap between orders")


NO_SIMILAR = "the test on past data had no similar accounts to correct it with"
# the words of a reason whose method the backtest could not judge for this account (a rule, not a choice by backtest):
# other faces read them so they do not call the forecast "chosen by backtest"
NOT_JUDGED = (NO_SIMILAR, "had too few accounts silent this long")


def _one_time_reason(gap: float, backtested: bool) -> str:
    why = NO_SIMILAR if backtested else "there is no test on past data to check it"
    return (
        f"Ordered in one month only, none in the last {_months(gap)}: based on how often and how much accounts buy, "
        f"by a buying-rhythm model that allows a customer to stop after the first order, uncorrected ({why})."
    )


def _lapsed_reason(gap: float, c: ClassChoice, once: bool = False) -> str:
    text = "Forecast zero: " + _silence(gap, once, lower=True)
    if c.n_rows >= MIN_CLASS_ROWS and np.isfinite(c.bought_back):
        return text + f", and {TEST} similar accounts bought back only {c.bought_back:.0%} of their former level."
    return text + (
        ", and the tests on past data and the rest of the history had too few accounts silent this long to measure "
        "how many come back, so the forecast counts on no return."
    )


def _every(months: float) -> str:
    return "every month" if months < 1.5 else f"every {months:.0f} months"


def _lowered(f: float) -> str:
    """ ", lowered to 35%", or " in full (times 100%)" where the share rounds to all of it."""
    return f", lowered to {f:.0%}" if f < 0.995 else f" in full (times {f:.0%})"


def _silent_scale(i: int, gap: float, cx: _Context) -> tuple[str, float, str]:
    """(method, factor, reason) of an account silent long against its own history: the mean of its last 12
    months scaled by survival (never above it, so never growth), zero where nothing measures survival."""
    head = (
        f"No order for {int(gap)} months, while it used to order about {_every(float(cx.own_rhythm[i]))} and "
        "never paused this long before"
    )
    share, rows = cx.survival
    if rows >= MIN_CLASS_ROWS and np.isfinite(share):
        f = float(min(max(share, 0.0), 1.0))
        if f < MIN_SURVIVAL:
            return (
                "zero",
                0.0,
                f"Forecast zero. {head}: {TEST}, {rows} accounts as silent bought back under 1% of their level.",
            )
        return (
            "level_12m",
            f,
            (
                f"Based on its average month over the last 12 months{_lowered(f)}. {head}: {TEST}, {rows} "
                f"accounts as silent bought {f:.0%} of their former level."
            ),
        )
    p = np.nan if cx.buys_again is None else float(cx.buys_again[i])
    if np.isfinite(p):
        f = float(min(max(p, 0.0), 1.0))
        if f < MIN_SURVIVAL:  # a forecast of a few cents reads as a forecast; the account is treated as lapsed
            return (
                "zero",
                0.0,
                f"Forecast zero. {head}: the buying-rhythm model puts its chance of ordering again in the next "
                f"{cx.horizon} months under 1%.",
            )
        return (
            "level_12m",
            f,
            (
                f"Based on its average month over the last 12 months{_lowered(f)}. {head}: {f:.0%} is the "
                f"buying-rhythm model's chance that it orders again in the next {cx.horizon} months."
            ),
        )
    back = None if cx.returns is None else _returning(i, head, gap, cx)
    if back is not None:
        return back
    return (
        "zero",
        0.0,
        f"Forecast zero. {head}: the test on past data had too few accounts silent this long to measure how many come "
        "back and no checked buying-rhythm model gives its chance of ordering again, so the forecast counts on no "
        "return.",
    )


def _lapsed_choice(i: int, gap: float, c: ClassChoice, cx: _Context) -> tuple[str, float, str]:
    """(method, factor, reason) of an account lapsed by its gap: zero where its class's backtest showed such
    accounts do not come back; where the backtest had too few of them to say, what accounts as silent bought
    back in the history (:func:`_returning`); else zero, saying that nothing measured a return."""
    once = cx.ordering is not None and int(cx.ordering[i]) == 1
    judged = c.n_rows >= MIN_CLASS_ROWS and np.isfinite(c.bought_back)
    back = None if judged or cx.returns is None else _returning(i, _silence(gap, once), gap, cx)
    return back or ("zero", 0.0, _lapsed_reason(gap, c, once))


def _returning(i: int, head: str, gap: float, cx: _Context) -> tuple[str, float, str] | None:
    """(method, factor, reason) of a long-silent account the backtest could not judge, from what accounts as
    silent bought back in the history (:meth:`ReturnHistory.like`); None where the history has too few such
    accounts.

    The point is the median of what such a silence led to (:func:`return_median`), the point with the lowest
    absolute error: zero where at most half of such silences ended in an order (:data:`RETURN_LIKELY`), else
    a return as large as the middle one. It is read only from accounts of the same kind (one-month or repeat
    buyers): where too few of its kind were silent, the pooled evidence gives its range and its words but the
    point stays zero. Zero too where they bought back under :data:`MIN_SURVIVAL` of their level, or without a
    former level."""
    once = cx.ordering is not None and int(cx.ordering[i]) == 1
    r = cx.returns.like(gap, once)
    if r is None:
        return None
    who = {True: "one-month buyers", False: "accounts that had ordered in several months", None: "accounts"}[r.once]
    counted = (
        f"{r.bought:.0%} of those silences ended in an order"
        if r.per_silence
        else f"counted at every month they were that silent, {r.bought:.0%} of those months were followed by an order"
    )
    seen = (
        f"in this history {r.rows:,} {who} were silent {r.silence} months or more; {counted} within up to "
        f"{_months(r.months)}, and they bought {r.share:.1%} of their former monthly level"
    )
    former = 0.0 if cx.paths.get("returning") is None else float(cx.paths["returning"][i, 0])
    if r.share < MIN_SURVIVAL or not former > 0:
        return (
            "zero",
            0.0,
            f"Forecast zero. {head}: the test on past data had too few accounts silent this long to judge, and {seen}.",
        )
    judge = f"{head}: the test on past data had too few accounts silent this long to judge, and {seen}"
    span = "its range starts at zero and reaches what such accounts that came back bought."
    f = return_median(r)
    if f <= 0.0:  # at most half of such silences ended in an order: nothing is the likeliest outcome
        return (
            "returning",
            0.0,
            (
                f"Forecast zero. {judge}. {'Most such silences' if r.per_silence else 'Most of those months'} did not end in an "
                f"order, so the forecast counts on nothing from it (the likeliest outcome); {span}"
            ),
        )
    if r.once is None:  # one-month and repeat buyers together: a return of the one says little of the other
        kind = "were one-month buyers" if once else "had ordered in several months"
        return (
            "returning",
            0.0,
            (
                f"Forecast zero. {judge}. Fewer than {MIN_CLASS_ROWS} of them {kind}, too few to tell how often an account like this "
                "one comes back (one-month buyers and repeat buyers come back at different rates), so the forecast "
                f"counts on nothing from it; {span}"
            ),
        )
    f = min(f, 1.0)  # never growth on a silence
    return (
        "returning",
        float(f),
        (
            f"Based on its former monthly level ({money(former)}), lowered to {f:.1%}. {judge}; {f:.1%} is the "
            f"middle outcome of such silences (as many ended lower, or in no order, as higher); {span}"
        ),
    )
