"""Each account's method and the one sentence on why.

:func:`_choose_all` gives every account its class's choice (:mod:`kamtools.forecast.selection.choice`) unless a
rule of the account's own overrides it: its own out-of-time evidence (:func:`_own_evidence`), a long silence
(zero, survival-scaled or what such accounts bought back: :func:`_silent_scale`, :func:`_lapsed_choice`,
:func:`_returning`), a new account, a silent one-time buyer, or a history too short for any out-of-time check
(:data:`NO_CHECK_BTYD`, :data:`NO_CHECK_WINDOW`, :data:`NO_CHECK_ONCE`). :func:`_choose_account` writes the
account's reason, :func:`_methods_rows` the evidence per method for the bundle.

**A model that followed one low month down** (:func:`collapsed_model`) is not the forecast of an active account
(an order last month and in at least half of its last 12 months): where its path totals under :data:`COLLAPSE`
times the account's mean of the last 6 months (spikes capped), the account takes its class's next method, and
its reason says why. CDNOW top 300 of 1997-06 as of 1997-12-31: C07592 (10.4k in 1997, December 46) 1,002 ->
4,131 for 12 months (it bought 3,574 in six); 13 such account-dates over the recorded CDNOW cases bought 9,755
in six months against 2,603 for the model and 10,311 for the mean of 6 months. The 12 CDNOW top lists and the
natural portfolios: ``benchmarks/bench_real_data.py`` (FC12).

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

**Silent one-time buyers.** An account that ordered in one month of its history only and in
none of the last :data:`SILENT_ONE_TIME_MONTHS` months, in a class the backtest did not see
with :data:`MIN_CLASS_ROWS` rows (on a history of a year or so no backtest origin has such
accounts yet), gets the modified BG/NBD expected value as fitted (``one_time_btyd`` of
:func:`select`: a customer may stop after the first order, where BG/NBD keeps every one-time
buyer alive), not a correction learnt from other classes; the zero rules still apply. On the
CDNOW log this lowered the per-account MAE at 8 of the 9 cases it changed (by up to 4.5%),
see ``benchmarks/bench_real_data.py``.

**New accounts.** The means spread an account's orders over at least :data:`YOUNG_MIN_MONTHS`
months of the data (its months before its first order counting as nothing), and an account with
fewer than :data:`YOUNG_MONTHS` months since its first order (inside the data) is not forecast by the
kamtools model fitted to those few months (its class's next method instead, with the reason): a
first order is not a monthly level. Demo with returns (40 accounts, 12 months of history, as of
2025-10-31): an account one month old with one order of 21k was forecast 129.0k for 12 months and
bought 53.8k; now 86.5k. Counting all of the window's months before the first order as nothing
(44.1k there) lost 0.5% to 0.6% of MAE on the 300-account demo of ``bench_real_data.py``, whose new
accounts grow after their first order, so the floor is three months: CDNOW cases unchanged, the demo
300 within 0.05%, ``bench_short_history.py``'s demo 35,577 -> 35,077 (6-month MAE).

**Without an out-of-time check** (under 4 months of history: no backtest and no comparison of
the simple methods) no account gets a projection of its own few months: in an acquisition
cohort an account's first month is its acquisition order, and the kamtools model (or a mean
since the first order) carries it on for 12 months. Each account gets the BTYD expected
value as fitted (:data:`NO_CHECK_BTYD`: the buying rhythm and spend of all accounts, with the
chance that this one has stopped), or where no BTYD model can be fitted its mean over all
months of the data, months before its first order counting as nothing
(:data:`NO_CHECK_WINDOW`, method ``window_mean``); the zero rules still apply. A BTYD fit
whose purchase rates do not vary between accounts (:func:`btyd_unusable`) is not used: it gave
every one-week buyer of a one-month demo the same 146k (true 43k-79k). Where the value stage's
chosen family has such a fit and the other's rates vary, it names the other for the forecasts
(``forecast_family`` of :func:`kamtools.value.choose_btyd`; on a 3-month cohort scipy 1.13 had
put an MBG/NBD with r = 272k first), and the forecast takes the family it is given. Where no account has
ordered in two different weeks (one order day), an account's one order is taken once in the next
12 months, not every month (:data:`NO_CHECK_ONCE`), with a range from zero to that order every
month; the window mean's other ranges come from the account's own order weeks
(:func:`short_range`). 12-month totals against what was bought (``/tmp`` measurement of
2026-12-05): CDNOW's 246 customers of 1997-01-15 as of 01-31 96.4k -> 8.0k against 16.4k (MAE
348.6 -> 72.1, ranges holding the total 3% -> 94%, every range from zero); the demo of
``make-demo-data --accounts 60 --years 2 --seed 1`` with only October 2025 (45 accounts) 6.79M ->
8.38M against 7.24M (MAE 127.6k -> 101.0k, ranges 20% -> 67%, 33 -> 45 different forecasts);
CDNOW 1,000 at 1 month (BTYD with varying rates) unchanged.

Out of time (``benchmarks/bench_short_history.py``; before -> after this change of
2026-12-05). CDNOW, 1,000 customers, 1 month of history: the next 6 months' bias +613% ->
+19%, MAE 192.5 -> 43.1 (the mean of the last 6 months 192.5, BTYD 43.1); the 12-month total
145.8k -> 24.4k against 18.4k bought; 80% ranges holding the 12-month total 2% -> 82%. 3 months:
+470% / 119.9 -> +10% / 31.6 (mean of last 6 months 119.9, of the data's last 6 months 71.7);
274k -> 48.8k against 44.1k; ranges 70% -> 83%. 6 and 12 months: forecasts unchanged (-1% /
25.2, -18% / 20.2, the lowest MAE), ranges 78% -> 80% at 6 months. Top 500 at 12 months:
of the accounts that bought nothing in the next 6 months, ranges from zero 2% -> 61%; of those
silent 6 months (35), 0% -> 100%. Demo (40 accounts, 2 years, 12 months of history, backtest of
6 months): ranges holding the 12-month total 52% -> 75% (its forecasts did not move: 6-month
MAE 35.3k, bias +6%, beside 35.4k for the mean of the last 6 months and 32.3k for BTYD; 12-month
MAE 66.4k against 61.2k for repeating the last 12 months, still to improve). With 12 months of
history the one backtest origin has 6 months of training, where the means of the last 6 and 12
months are the same, so the evidence cannot choose between them; taking the longer on such a tie
brought the demo's 12-month MAE to 61.7k (6-month 32.5k) but moved the whole CDNOW log at
1997-12 from +7.8% / 21.64 to +8.9% / 21.71 (1,598 accounts of a shrinking cohort), so it is
not done. Over 12 months at
1 and 3 months of history, the BTYD forecast's MAE (76.3, 55.6) is above that of each
customer's revenue so far taken as its next 12 months (58.2, 52.6: a median-like forecast
that MAE favours; its total is -60% and +32% off), and its total +33% and +11%. The CDNOW cases of
``benchmarks/bench_real_data.py`` (sample 2000 and top 500 at 1997-06 and 1997-12) are unchanged
(+2.4% / 27.52, +13.0% / 228.59, -6.2% / 20.36, +30.2% / 214.01; monthly cov80 the same):
with 6 months or more the choice has evidence, and only the ranges moved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from kamtools.display import money
from kamtools.forecast.selection.choice import ClassChoice, choose_by_class, error_correlation, share_tilt
from kamtools.forecast.selection.evidence import Evidence, survival_share
from kamtools.forecast.selection.paths import CANDIDATES, METHOD_WORDS
from kamtools.forecast.selection.state import (
    MIN_CLASS_ROWS,
    YOUNG_MIN_MONTHS,
    ReturnHistory,
    State,
    class_words,
    return_median,
)

MIN_OWN_ORIGINS = 2  # backtest origins an account needs before its own evidence can override its class
MIN_OWN_MONTHS = 12  # ... evidence months (and orders in at least half of them)
OWN_MARGIN = 0.8  # ... and the other method's MAE must be below this share of the class choice's
LAPSED_MONTHS = 12  # silent at least this long (and 4x the account's rhythm) ...
LAPSED_SHARE = 0.05  # ... in a class that bought back less than this share of its former level: zero


def _backtests(n: int) -> str:
    return "1 backtest" if int(n) == 1 else f"{int(n)} backtests"


def _mix_reason(c: ClassChoice, factor: float) -> str:
    """Why an account takes the equal mix (:func:`_mixed_choice`)."""
    single = sorted((o for o in c.mae if o != "combined" and np.isfinite(c.mae[o])), key=lambda o: c.mae[o])
    text = (
        "An equal mix of the kamtools model, the BTYD expected value and the mean of the last 6 months: with a "
        "single backtest date, the evidence across all accounts could not tell the methods apart (horizon totals "
        f"off by {money(c.mae['combined'])} on average for the mix"
    )
    if single:
        text += f", against {money(c.mae[single[0]])} for the {METHOD_WORDS[single[0]]}, the best single method"
    text += "), and a mix errs less than one method picked on so little"
    if abs(factor - 1.0) >= 0.05:
        text += f"; scaled by {factor:.2f} to what such accounts really bought"
    return text + "."


def _class_reason(m: str, k: int, c: ClassChoice, factor: float) -> str:
    if m == "combined" and "combined" in c.mae:
        return _mix_reason(c, factor)
    who = "all accounts" if c.pooled else class_words(k)
    others = sorted((o for o in c.mae if o != m and np.isfinite(c.mae[o])), key=lambda o: c.mae[o])
    rival = "model" if m != "model" and "model" in c.mae else (others[0] if others else None)
    name = f"{METHOD_WORDS[m][0].upper()}{METHOD_WORDS[m][1:]}"
    tied = [o for o in others if m in c.mae and money(c.mae[o]) == money(c.mae[m])]  # a tie is not "lowest"
    if tied:
        text = f"{name} was as good as the {METHOD_WORDS[tied[0]]} out of time among {who}"
        text += f" (horizon totals off by {money(c.mae[m])} on average for both"
        if rival is not None and rival not in tied:
            text += f", against {money(c.mae[rival])} for the {METHOD_WORDS[rival]}"
        text += ")"
    lower = [o for o in others if m in c.mae and o not in tied and c.mae[o] < c.mae[m]]
    if lower and not tied:
        # not the lowest error: the steadiness rule (see _choose_on) preferred a method that needed less correction
        o = c.method if c.method in lower else lower[0]
        words = METHOD_WORDS.get(o, o)
        if m != c.method:  # the class's choice gives this account no forecast: the next best that does
            text = (
                f"{name} is used because the {words}, which erred less out of time among {who} (horizon totals off "
                f"by {money(c.mae[o])} on average, against {money(c.mae[m])} for the {METHOD_WORDS[m]}), gives no "
                "forecast for this account"
            )
        else:
            text = (
                f"{name} was chosen among {who} although the {words} erred slightly less out of time (horizon "
                f"totals off by {money(c.mae[m])} on average, against {money(c.mae[o])}): the {words}'s "
                f"forecasts had to be scaled by {c.factor.get(o, 1.0):.2f} to match what such accounts bought, and a "
                "method that needs that much correction is only taken when its error is clearly lower"
            )
        rival = None
    elif not tied:
        text = f"{name} had the lowest out-of-time error among {who}"
    if rival is not None and m in c.mae and not tied:
        text += (
            f" (horizon totals off by {money(c.mae[m])} on average, against {money(c.mae[rival])} for the "
            f"{METHOD_WORDS[rival]})"
        )
    if abs(factor - 1.0) >= 0.05:
        text += f", scaled by {factor:.2f} to what such accounts really bought"
    elif c.pooled and c.uncorrected:
        text += (
            ", not scaled up to what they bought then: a rise at a single backtest date is mostly the whole "
            "portfolio's growth in that period, which need not repeat"
        )
    if c.pooled:
        text += (
            ". All accounts were compared because too few accounts like this one had been seen for a comparison "
            "of their own"
        )
    return text + "."


def _lapsed_by_gap(state: State) -> np.ndarray:
    """Silent for :data:`LAPSED_MONTHS` or more and four times the account's rhythm."""
    return (state.gap >= LAPSED_MONTHS) & (~np.isfinite(state.rhythm) | (state.gap >= 4 * state.rhythm))


@dataclass
class _OwnEvidence:
    """Each account's own out-of-time errors, per method (mean and count of its horizon-total errors)."""

    mae: pd.DataFrame  # account x (method, mean | count)
    rows: pd.Series  # account -> its evidence rows
    regular: set  # accounts whose own evidence may override their class's choice


def _own_evidence(ev: Evidence, available: tuple[str, ...], choices: dict, pooled: ClassChoice) -> _OwnEvidence:
    """Per account and method, the MAE of the calibrated horizon totals over the account's evidence rows."""
    act_tot = ev.actual.sum(axis=1)
    own = pd.DataFrame({"account": ev.account})
    for m in available:
        f_row = np.array([choices.get(int(k), pooled).factor.get(m, 1.0) for k in ev.klass])
        own[m] = np.abs(ev.paths[m].sum(axis=1) * f_row - act_tot)
    own_mae = own.groupby("account", sort=True).agg(["mean", "count"])
    own_rows = own.groupby("account", sort=True).size()
    # only a regular buyer's own backtest says something about it: for an account that bought
    # nothing in the windows, the lowest forecast always "wins" (and would bias the total)
    ordering = pd.Series((ev.actual > 0).sum(axis=1), index=ev.account).groupby(level=0).sum()
    regular = set(
        own_rows.index[
            (own_rows >= MIN_OWN_ORIGINS)
            & (own_rows * ev.horizon >= MIN_OWN_MONTHS)
            & (ordering.reindex(own_rows.index) >= 0.5 * own_rows * ev.horizon)
        ]
    )
    return _OwnEvidence(own_mae, own_rows, regular)


def _own_override(
    uid: str, i: int, m: str, own: _OwnEvidence, available: tuple[str, ...], paths: dict, horizon: int
) -> tuple[str, str] | None:
    """(method, reason) when another method beat ``m`` in the account's own backtest by :data:`OWN_MARGIN`."""
    row = own.mae.loc[uid]
    best_alt, best_val = None, np.inf
    base = row[(m, "mean")] if (m, "mean") in row.index else np.nan
    for alt in available:
        if alt == m or not np.all(np.isfinite(paths[alt][i])):
            continue
        val = row[(alt, "mean")]
        if np.isfinite(val) and row[(alt, "count")] == own.rows[uid] and val < best_val:
            best_alt, best_val = alt, val
    if best_alt is None or not np.isfinite(base) or not best_val < OWN_MARGIN * base:
        return None
    text = (
        f"{METHOD_WORDS[best_alt][0].upper()}{METHOD_WORDS[best_alt][1:]} beat the "
        f"{METHOD_WORDS[m]} in this account's own backtest: its {horizon}-month totals were off by "
        f"{money(best_val)} on average against {money(base)}, over {_backtests(own.rows[uid])}."
    )
    return best_alt, text


def _zero_class_reason(k: int, c: ClassChoice) -> str:
    return (
        f"Similar accounts ({class_words(k)}) bought back only {c.bought_back:.0%} of their former level "
        f"out of time, where a zero forecast erred less (its horizon totals were off by {money(c.mae['zero'])} "
        "on average) than any other."
    )


NO_CHECK_BTYD = (
    "The history is too short for an out-of-time check, so the forecast is the BTYD expected value as fitted (the "
    "buying rhythm and spend of all accounts, with the chance that this one has stopped), not a projection of this "
    "account's own few months."
)


NO_CHECK_UNIDENTIFIED = (
    " A buying-rhythm model was fitted, but so short a history does not determine it: it gives every account about "
    "the same number of purchases, so it is not used."
)
NO_CHECK_ONCE = (
    "Ordered in one week only in the {months} month{s} of the data, and no account of the portfolio has ordered in "
    "two different weeks yet, so nothing shows how often accounts reorder: the forecast is that order once in the "
    "next 12 months (not repeated every month), and its range runs from zero (it may never order again) to that "
    "order every month."
)
NO_CHECK_WINDOW = (
    "The history is too short for an out-of-time check and for a buying-rhythm model, so the forecast is this "
    "account's mean over the {months} month{s} of the data (months before its first order count as nothing), not a "
    "projection of its own first months."
)


def _months(n: float) -> str:
    return "1 month" if int(n) == 1 else f"{int(n)} months"


def _silence(gap: float, once: bool) -> str:
    """The silence in whole months with no order (the months after the last order's month, so it agrees with
    the days since the last order), and against what: a one-month buyer has no gap between orders to compare."""
    head = f"No order for {_months(gap)}"
    return head + (" after ordering in one month only" if once else ", over four times its usual gap between orders")


NO_SIMILAR = "the backtest had no similar accounts to correct it with"
# the words of a reason whose method the backtest could not judge for this account (a rule, not a choice by backtest):
# other faces read them so they do not call the forecast "chosen by backtest"
NOT_JUDGED = (NO_SIMILAR, "had too few accounts silent this long")


def _one_time_reason(gap: float, backtested: bool) -> str:
    why = NO_SIMILAR if backtested else "there is no backtest to check it"
    return (
        f"Ordered in one month only, none in the last {_months(gap)}: the modified BG/NBD expected value as fitted, "
        f"which allows a customer to stop after the first order ({why})."
    )


def _lapsed_reason(gap: float, c: ClassChoice, once: bool = False) -> str:
    text = _silence(gap, once)
    if c.n_rows >= MIN_CLASS_ROWS and np.isfinite(c.bought_back):
        return text + f", and similar accounts bought back only {c.bought_back:.0%} of their former level out of time."
    return text + (
        ": the backtest and the rest of the history had too few accounts silent this long to measure how many come "
        "back, so the forecast counts on no return."
    )


@dataclass
class _Context:
    """What every account's choice reads: candidate paths, class choices, own evidence."""

    paths: dict
    choices: dict[int, ClassChoice]
    pooled: ClassChoice
    unseen: ClassChoice  # a class the evidence never saw
    own: _OwnEvidence
    available: tuple[str, ...]
    horizon: int
    one_time: np.ndarray  # (n,) bool: silent one-time buyers of unseen classes on the modified BG/NBD path
    young: np.ndarray | None = None  # (n,) months since a first order inside the data, where under YOUNG_MONTHS
    survival: tuple[float, int] = (np.nan, 0)  # :func:`survival_share` of the evidence
    buys_again: np.ndarray | None = None  # (n,) BTYD chance of an order within the horizon (NaN: not fitted)
    silent_long: np.ndarray | None = None  # (n,) State.silent_long
    own_rhythm: np.ndarray | None = None  # (n,) State.own_rhythm
    ordering: np.ndarray | None = None  # (n,) State.ordering
    returns: ReturnHistory | None = None  # what accounts silent long bought back in the history (history_returns)
    tilt: np.ndarray | None = (
        None  # (n,) chosen portfolio: the class factor's multiplier by ordering share (share_tilt)
    )
    share: np.ndarray | None = None  # (n,) ordering_share today, where tilt is set
    collapsed: np.ndarray | None = None  # (n,) bool: the model's path collapsed below an active account's level


def _every(months: float) -> str:
    return "every month" if months < 1.5 else f"every {months:.0f} months"


MIN_SURVIVAL = 0.01  # a survival share under this forecasts a long-silent account zero (the lapsed rule's figures)


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
                f"{head}: {rows} accounts as silent in the backtest bought back under 1% of their level.",
            )
        return (
            "level_12m",
            f,
            (
                f"{head}: the mean of its last 12 months times {f:.0%}, what {rows} accounts as silent in the backtest "
                "bought of their former level."
            ),
        )
    p = np.nan if cx.buys_again is None else float(cx.buys_again[i])
    if np.isfinite(p):
        f = float(min(max(p, 0.0), 1.0))
        if f < MIN_SURVIVAL:  # a forecast of a few cents reads as a forecast; the account is treated as lapsed
            return (
                "zero",
                0.0,
                f"{head}: the buying-rhythm model puts its chance of ordering again in the next {cx.horizon} months "
                "under 1%.",
            )
        return (
            "level_12m",
            f,
            (
                f"{head}: the mean of its last 12 months times {f:.0%}, the buying-rhythm model's chance that it "
                f"orders again in the next {cx.horizon} months."
            ),
        )
    back = None if cx.returns is None else _returning(i, head, gap, cx)
    if back is not None:
        return back
    return (
        "zero",
        0.0,
        f"{head}: the backtest had too few accounts silent this long to measure how many come back and no checked "
        "buying-rhythm model gives its chance of ordering again, so the forecast counts on no return.",
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
        return "zero", 0.0, f"{head}: the backtest had too few accounts silent this long to judge, and {seen}."
    judge = f"{head}: the backtest had too few accounts silent this long to judge, and {seen}"
    span = "its range starts at zero and reaches what such accounts that came back bought."
    f = return_median(r)
    if f <= 0.0:  # at most half of such silences ended in an order: nothing is the likeliest outcome
        return (
            "returning",
            0.0,
            (
                f"{judge}. {'Most such silences' if r.per_silence else 'Most of those months'} did not end in an "
                f"order, so the forecast counts on nothing from it (the likeliest outcome); {span}"
            ),
        )
    if r.once is None:  # one-month and repeat buyers together: a return of the one says little of the other
        kind = "were one-month buyers" if once else "had ordered in several months"
        return (
            "returning",
            0.0,
            (
                f"{judge}. Fewer than {MIN_CLASS_ROWS} of them {kind}, too few to tell how often an account like this "
                "one comes back (one-month buyers and repeat buyers come back at different rates), so the forecast "
                f"counts on nothing from it; {span}"
            ),
        )
    f = min(f, 1.0)  # never growth on a silence
    return (
        "returning",
        float(f),
        (
            f"{judge}, so the forecast is its former monthly level ({money(former)}) times {f:.1%}, the middle "
            f"outcome of such silences (as many ended lower, or in no order, as higher); {span}"
        ),
    )


def _young_reason(age: int, m: str, f: float) -> str:
    months = "1 month" if age == 1 else f"{age} months"
    text = (
        f"A new account (first order {months} ago): the {METHOD_WORDS[m]}, its orders spread over at least "
        f"{YOUNG_MIN_MONTHS} months, not the kamtools model fitted to its own {months}, which takes a first order "
        "for a level"
    )
    return text + (f", scaled by {f:.2f} to what similar accounts really bought." if abs(f - 1) > 0.005 else ".")


COLLAPSE = 0.4  # a model path under this share of an active account's mean of the last 6 months has collapsed
ACTIVE_RHYTHM = 2.0  # active: an order in the last month and in at least half of the last 12 (months per order)


def collapsed_model(
    model: np.ndarray,
    recent: np.ndarray,
    gap: np.ndarray,
    rhythm: np.ndarray,
    before_last: np.ndarray | None = None,
) -> np.ndarray:
    """Per account, whether the kamtools model's path (accounts x months) totals under :data:`COLLAPSE` times its
    mean of the last 6 months (spikes capped) over the same months, for an account that ordered in its last month
    and at least every :data:`ACTIVE_RHYTHM` months: a model that follows one low month down.

    ``before_last`` (what each account bought in the month before its last): only where that month held up (at
    least :data:`COLLAPSE` times the mean) is the low month a single one; two low months in a row are a decline,
    which the model may rightly follow (the demo's 40 accounts with 12 months of history, seeds 1-16: the four
    accounts so excluded bought 43k-67k against 254k-312k for the mean, and the rule cost 0.6-0.7% of MAE with
    them; CDNOW's cases all held up)."""
    with np.errstate(invalid="ignore"):
        active = (np.asarray(gap) == 0) & (np.asarray(rhythm) <= ACTIVE_RHYTHM) & (recent > 0)
        if before_last is not None:
            active &= np.nan_to_num(np.asarray(before_last, dtype=float)) >= COLLAPSE * recent
        return active & np.all(np.isfinite(model), axis=1) & (model.sum(axis=1) < COLLAPSE * recent * model.shape[1])


def _collapsed_reason(m: str, f: float, recent: float, model_month: float) -> str:
    text = (
        f"The {METHOD_WORDS[m]}: the kamtools model followed one low month down to {money(model_month)} a month, under "
        f"{COLLAPSE:.0%} of the {money(recent)} a month this account bought in its last 6 months, although it orders "
        "in most months and ordered last month"
    )
    return text + (f"; scaled by {f:.2f} to what similar accounts really bought." if abs(f - 1) > 0.005 else ".")


def _tilt_words(tilt: float, share: float) -> str:
    return (
        " In a list chosen by revenue part of a place is luck that does not repeat, more so for an account that "
        "made it with a few large orders than for one that orders steadily: the class's correction is shared out by "
        f"the share of months with an order ({share:.0%} for this account), so its forecast is {tilt:.2f} times the "
        "class's (what such accounts bought after earlier dates)."
    )


def _choose_account(i: int, uid: str, k: int, gap: float, lapsed: bool, cx: _Context) -> tuple[str, float, str, object]:
    """(method, factor, reason, interval quantiles) of one account: its class's choice, then its own
    evidence, the silent one-time buyer's modified BG/NBD where the class went unseen, then the zero
    rules (class that does not come back; lapsed by its gap)."""
    c = cx.choices.get(k) or cx.unseen
    ranked = [c.method] + sorted((m for m in c.mae if m != c.method), key=lambda m: c.mae[m])
    ranked += [m for m in ("recent_mean", "level_12m") if m not in ranked]
    m = next(x for x in ranked if np.all(np.isfinite(cx.paths[x][i])))
    f = c.factor.get(m, 1.0)
    text = _class_reason(m, k, c, f)
    if uid in cx.own.regular:
        switch = _own_override(uid, i, m, cx.own, cx.available, cx.paths, cx.horizon)
        if switch is not None:
            m, text = switch
            f = c.factor.get(m, 1.0)
    age = 0 if cx.young is None else int(cx.young[i])
    if age and m in ("model", "combined"):  # a model fitted to a new account's few months carries its first order on
        m = next(x for x in ranked if x not in ("model", "combined") and np.all(np.isfinite(cx.paths[x][i])))
        f = c.factor.get(m, 1.0)
        text = _young_reason(age, m, f)
    elif cx.collapsed is not None and cx.collapsed[i] and m in ("model", "combined"):
        model_month = float(np.mean(cx.paths["model"][i]))
        m = next(x for x in ranked if x not in ("model", "combined") and np.all(np.isfinite(cx.paths[x][i])))
        f = c.factor.get(m, 1.0)
        text = _collapsed_reason(m, f, float(cx.paths["recent_mean"][i][0]), model_month)
    if cx.tilt is not None and abs(cx.tilt[i] - 1.0) >= 0.005:  # a chosen list: the class factor by ordering share
        f *= float(cx.tilt[i])
        text += _tilt_words(float(cx.tilt[i]), float(cx.share[i]))
    if cx.one_time[i]:
        m, f, text = "btyd", 1.0, _one_time_reason(gap, True)
    if c.method == "zero" and not (uid in cx.own.regular and m != "zero"):
        m, f, text = "zero", 0.0, _zero_class_reason(k, c)
    comes_back = c.n_rows >= MIN_CLASS_ROWS and np.isfinite(c.bought_back) and c.bought_back >= LAPSED_SHARE
    if lapsed and not comes_back:
        m, f, text = _lapsed_choice(i, gap, c, cx)
    elif cx.silent_long is not None and cx.silent_long[i] and m != "zero":
        scaled = _silent_scale(i, gap, cx)  # a cap: a forecast already below survival's is kept
        if scaled[1] * np.sum(cx.paths[scaled[0]][i]) < f * np.sum(cx.paths[m][i]):
            m, f, text = scaled
    q = c.q.get(m, cx.pooled.q.get(m)) if m != "zero" else None
    return m, f, text, q


def _methods_rows(ev: Evidence, pooled: ClassChoice) -> list[dict]:
    """The out-of-time comparison per method, for the bundle's ``forecast_methods`` table."""
    act_tot = ev.actual.sum(axis=1)
    rows_out = []
    mixed = ("combined",) if pooled.method == "combined" else ()  # the mix, where accounts take it (_mixed_choice)
    for m in (*CANDIDATES, "zero", *mixed):
        if m not in ev.paths:
            continue
        p = ev.paths[m]
        ok = np.all(np.isfinite(p), axis=1)
        if not ok.any():
            continue
        fc = p[ok].sum(axis=1)
        a = act_tot[ok]
        rows_out.append(
            {
                "method": m,
                "description": METHOD_WORDS[m],
                "cases": int(ok.sum()),
                "mae": float(np.mean(np.abs(fc - a))),
                "bias_pct": float(100 * (fc.sum() / a.sum() - 1)) if a.sum() > 0 else np.nan,
                "factor": float(pooled.factor.get(m, np.nan)),
                "mae_calibrated": float(np.mean(np.abs(fc * pooled.factor.get(m, 1.0) - a))),
                "accounts_using": 0,
            }
        )
    return rows_out


def _ordered_once(order_weeks: np.ndarray | None, has_btyd: np.ndarray) -> np.ndarray:
    """Accounts on the window mean that ordered in one week only, where no account ordered in two weeks."""
    if order_weeks is None:
        return np.zeros(len(has_btyd), dtype=bool)
    weeks = np.nan_to_num(np.asarray(order_weeks, dtype=float))
    if (weeks >= 2).any():
        return np.zeros(len(has_btyd), dtype=bool)
    return ~has_btyd & (weeks == 1)


def _choose_all(
    state: State,
    ids: np.ndarray,
    paths: dict,
    ev: Evidence | None,
    btyd_now,
    one_time_btyd: np.ndarray | None = None,
    buys_again: np.ndarray | None = None,
    returns: ReturnHistory | None = None,
    order_weeks: np.ndarray | None = None,
    unidentified: bool = False,
    share: np.ndarray | None = None,
) -> tuple:
    """(method, factor, reason, quantiles, rho, methods rows, one-time mask) of every account.

    ``share``: each account's :func:`ordering_share` today, which in a portfolio chosen by revenue shares its class
    factor out (:func:`share_tilt`).

    ``one_time_btyd``: the modified BG/NBD's monthly path per account (None: not fitted); the silent
    one-time buyers of classes the evidence did not see get it as their ``paths["btyd"]`` row (the mask)."""
    n = len(ids)
    method = np.full(n, "model", dtype=object)
    reason = np.full(n, "", dtype=object)
    factor = np.ones(n)
    qs: list = [None] * n
    lapsed = _lapsed_by_gap(state)
    one_time = np.zeros(n, dtype=bool)
    if one_time_btyd is not None:
        h = paths["btyd"].shape[1]
        one_time = state.silent_one_time & np.all(np.isfinite(one_time_btyd[:, :h]), axis=1)
        if ev is not None:
            k_ev, rows = np.unique(ev.klass, return_counts=True)
            one_time &= ~np.isin(state.klass, k_ev[rows >= MIN_CLASS_ROWS])
        paths["btyd"] = np.where(one_time[:, None], one_time_btyd[:, :h], paths["btyd"])
    if ev is None:  # never a trend of the account's own few months (an acquisition month is no level)
        has_btyd = np.all(np.isfinite(paths["btyd"]), axis=1) & (btyd_now is not None)
        method[:] = np.where(has_btyd, "btyd", "window_mean")
        months = int(state.window_months)
        reason[:] = NO_CHECK_BTYD
        s = "" if months == 1 else "s"
        reason[~has_btyd] = NO_CHECK_WINDOW.format(months=months, s=s) + (NO_CHECK_UNIDENTIFIED if unidentified else "")
        once = _ordered_once(order_weeks, has_btyd)
        if once.any():  # nobody has reordered yet: a first order is not a monthly level
            paths["window_mean"] = paths["window_mean"].copy()
            paths["window_mean"][once] *= months / max(months, 12)
            reason[once] = NO_CHECK_ONCE.format(months=months, s=s)
        method[one_time] = "btyd"
        for i in np.flatnonzero(one_time):
            reason[i] = _one_time_reason(state.gap[i], False)
        method[lapsed] = "zero"
        for i in np.flatnonzero(lapsed):
            once = state.ordering is not None and int(state.ordering[i]) == 1
            reason[i] = _silence(state.gap[i], once) + "."
        return method, factor, reason, qs, 0.0, [], one_time & (method == "btyd")
    available = tuple(m for m in CANDIDATES if np.isfinite(ev.paths[m]).all(axis=1).any())
    if btyd_now is None:
        available = tuple(m for m in available if m != "btyd")
    choices, pooled = choose_by_class(ev, available)
    cx = _Context(
        paths=paths,
        choices=choices,
        pooled=pooled,
        unseen=replace(pooled, n_rows=0, bought_back=np.nan),
        own=_own_evidence(ev, available, choices, pooled),
        available=available,
        horizon=ev.horizon,
        one_time=one_time,
        young=state.young,
        survival=survival_share(ev),
        buys_again=buys_again,
        silent_long=state.silent_long,
        own_rhythm=state.own_rhythm,
        ordering=state.ordering,
        returns=returns,
        collapsed=collapsed_model(paths["model"], state.recent, state.gap, state.rhythm, state.before_last),
    )
    if share is not None:
        cx.tilt = share_tilt(ev, choices, pooled, state.klass, share, paths)
        cx.share = share
    for i in range(n):
        method[i], factor[i], reason[i], qs[i] = _choose_account(
            i, ids[i], int(state.klass[i]), state.gap[i], bool(lapsed[i]), cx
        )
    rows_out = _methods_rows(ev, pooled)
    return method, factor, reason, qs, error_correlation(ev, choices), rows_out, one_time & (method == "btyd")
