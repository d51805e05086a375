"""Each account's method and the one sentence on why.

:func:`_choose_all` gives every account its class's choice (:mod:`kamtools.forecast.selection.choice`, in the words
of :mod:`kamtools.forecast.selection.class_reasons`) unless a rule of the account's own overrides it: its own
out-of-time evidence (:func:`_own_override`, on what :mod:`kamtools.forecast.selection.context` gathered), a long
silence (zero, survival-scaled or what such accounts bought back: :mod:`kamtools.forecast.selection.lapsed`), a new
account, a silent one-time buyer, or a history too short for any out-of-time check (:data:`NO_CHECK_BTYD`,
:data:`NO_CHECK_WINDOW`, :data:`NO_CHECK_ONCE`). :func:`_choose_account` writes the account's reason,
:func:`_methods_rows` the evidence per method for the bundle.

**An account chosen by its own few tests keeps the range of accounts like it, and its reason says why**
(:data:`~kamtools.forecast.selection.plain.OWN_TESTS_RANGE`; OWNRANGE, 2026-12-06). The quick demo's A0007 read
"missed its 12-month totals by 11.9k on average" (2% of 609.5k) beside an 80% range of 0.15x-1.49x. Out of time
(demo 300 and its first 60 accounts, 5 cuts each, ``benchmarks/bench_range_width.py``) those ranges held 82.9% and
78.0% of such accounts' next 12 months, while about half of the accounts missed by more than their largest own miss;
a range built on their own misses (t-widened for 3 origins) held 59.0% and 51.0%, and was dropped.

**A model that followed one low month down** (:func:`collapsed_model`) is not the forecast of an active account
(an order last month and in at least half of its last 12 months): where its path totals under :data:`COLLAPSE`
times the account's mean of the last 6 months (spikes capped), the account takes its class's next method, and
its reason says why. CDNOW top 300 of 1997-06 as of 1997-12-31: C07592 (10.4k in 1997, December 46) 1,002 ->
4,131 for 12 months (it bought 3,574 in six); 13 such account-dates over the recorded CDNOW cases bought 9,755
in six months against 2,603 for the model and 10,311 for the mean of 6 months. The 12 CDNOW top lists and the
natural portfolios: ``benchmarks/bench_real_data.py`` (FC12).

**Silent one-time buyers.** An account that ordered in one month of its history only and in
none of the last :data:`SILENT_ONE_TIME_MONTHS` months, in a class the backtest did not see
with :data:`MIN_CLASS_ROWS` rows (on a history of a year or so no backtest origin has such
accounts yet), gets the modified BG/NBD expected value as fitted (``one_time_btyd`` of
:func:`select`: a customer may stop after the first order, where BG/NBD keeps every one-time
buyer alive), not a correction learnt from other classes; the zero rules still apply. On the
CDNOW log this lowered the per-account MAE at 8 of the 9 cases it changed (by up to 4.5%),
see ``benchmarks/bench_real_data.py``. Where that fit is not usable they keep their class's own-history choice
(Online Retail's top 100 at 2011-11-30: C12590, 9.9k in one month and silent 6, forecast 16.4k for 12 months).
Measured on 2026-12-07 (``benchmarks/bench_one_time_fallback.py``, rules set before measuring): only Online
Retail's whole customer list took that path out of time (235, 339 and 449 accounts at 2011-06, -07 and -08; one of
its top 100, none in CDNOW or the demo), and a third of them ordered again within 3 to 5 months (84.3k, 86.0k,
77.9k, forecast 0, 0 and 20.2k). The history held no evidence of such silences, so the lapsed rule's point
(:func:`~kamtools.forecast.selection.lapsed._returning`) and zero are the same: MAE 523.90 -> 522.07 at 2011-08
but bias -37.9% -> -38.7%; the BTYD expected value raised every MAE. No rule won everywhere; none was kept.

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
CDNOW 1,000 at 1 month (BTYD with varying rates) unchanged. With one month of data the window mean is that month
carried forward, and its reason says so plainly (:data:`NO_CHECK_ONE_MONTH`): CDNOW's top 500 at 1997-01-31, whose
fit has one rate for all, +574% against what they bought (the Complete Journey's weekly shoppers +3.5%); no rule
from inside one month held on both (``benchmarks/bench_real_data.py``, "Short histories, measured").

**A BTYD fit that found no drop-out** (value stage status ``no_dropout``, or its ``a`` at the bound
:data:`~kamtools.value.choice.NO_DROPOUT_A` whatever its standard errors: P(alive) about 100% for everyone) is not
the forecast either from 3 months of data on (:data:`NO_DROPOUT_MONTHS`): every account on it takes its own mean
of the data's months instead (:data:`NO_CHECK_NO_DROPOUT`, method ``window_mean``). A history in which nobody has
stopped is one of steady buyers, whose own months measure their level, and the fit's pooled rate and spend pull
each of them towards the portfolio's mean: the Complete Journey's 2,280 households at 2017-03-31 (3 months)
got 2.52, 1.56, 1.10, 0.91 and 0.77 times what each fifth by spend so far bought in the next 6 months.
The form set first, before measuring (the own mean only for accounts with an order in every month, the rest on
the BTYD), was dropped on its figures: MAE 465.6 -> 413.2 but bias -0.1% -> +9.4%, the BTYD's over-forecast of
the irregular households no longer offset; this form, the whole fit set aside, came second. Measured with
``benchmarks/bench_real_data.py`` on 2026-12-06 (bias / MAE of 6-month totals / 80% coverage of
account-months): the Complete Journey's households at 2017-03 -0.1% / 465.6 / 39% -> -3.0% / 356.1 / 49% (73%
with the monthly band below; the mean of the months known -0.0% / 360.7 / 61%; kamtools 109.5 lower than
before, 90% 95.6 to 123.9, and 4.6 under the mean, 90% 1.4 to 8.1); its top 250 (a common-rate fit, already on
the window mean), every CDNOW case at 1, 2 and 3 months (the fit finds drop-out at 3
months, whole log included) and the demo bundle unchanged; ``bench_short_history.py``'s demo (40 accounts) at
2025-01-31, 3 months: -13% / 35,152 -> -7% / 25,814 (6-month MAE), 12-month ranges holding 69% -> 74%. The
demo of 40 accounts, seeds 1-4, cut to 3 months from 2025-01, -04 and -07 (12 cases): the rule acts in 7, MAE
lower in 6 (by 3.5k to 25.2k; 90% intervals clear of zero in 2), higher in 1 (seed 1 at 2025-09-30, 35,823 ->
43,003, 90% -4.4k to +22.7k); the demo of 300 (seed 7) at 3 months from 2025-11 and 2026-01: 65,295 -> 47,353
and 66,888 -> 38,227. The monthly bands of the window mean are the prediction interval of a new month
(:func:`kamtools.forecast.selection.assembly._interval`). Its lowest fifth by spend at 2017-03 (0.33 of what it
bought) is more a fifth chosen by low spend regressing to the mean than households new in February or March:
three other forms of the own mean (since the first order, by days or by whole months; Buhlmann's credibility
mean) were measured and not kept (``benchmarks/bench_real_data.py``, "Short histories, measured").

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

from dataclasses import replace

import numpy as np

from kamtools.display import money
from kamtools.forecast.selection.choice import ClassChoice, choose_by_class, error_correlation, share_tilt
from kamtools.forecast.selection.class_reasons import _class_reason, _zero_class_reason
from kamtools.forecast.selection.context import OWN_MARGIN, _Context, _own_evidence, _OwnEvidence
from kamtools.forecast.selection.evidence import Evidence, survival_share
from kamtools.forecast.selection.lapsed import (
    LAPSED_SHARE,
    _lapsed_by_gap,
    _lapsed_choice,
    _one_time_reason,
    _silence,
    _silent_scale,
)
from kamtools.forecast.selection.paths import CANDIDATES, METHOD_WORDS
from kamtools.forecast.selection.plain import OWN_TESTS_RANGE, TEST, adjusted, basis, short
from kamtools.forecast.selection.state import MIN_CLASS_ROWS, YOUNG_MIN_MONTHS, ReturnHistory, State
from kamtools.forecast.selection.steady import steady_scores


def _past_dates(n: int) -> str:
    return "1 past date" if int(n) == 1 else f"{int(n)} past dates"


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
        f"Based on {basis(best_alt)}, which did best on this account's own past: tested at "
        f"{_past_dates(own.rows[uid])}, this forecast missed its {horizon}-month totals by {money(best_val)} on "
        f"average, against {money(base)} for {short(m)}."
    ) + OWN_TESTS_RANGE
    return best_alt, text


NO_CHECK_BTYD = (
    "Based on how often and how much all accounts buy, with the chance that this one has stopped (the buying-rhythm "
    "model, uncorrected), not on a projection of this account's own few months: the history is too short to test "
    "any forecast on past data."
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
NO_CHECK_NO_DROPOUT = (
    "Based on this account's own average month over the {months} months of the data (months before its first order "
    "count as nothing): the history is too short to test any forecast on past data, and the buying-rhythm model "
    "fitted to its {months} months found no account that has stopped buying, so it cannot tell who has stopped and "
    "pulls every account towards the portfolio's average."
)
# a fit without drop-out sets the BTYD aside only from this many months of data on: at 1 or 2 months no account has
# had time to stop, so "no drop-out" says nothing (CDNOW's sample at 1 month and top 500 at 2 months fit so, and a
# 1-month mean carries an acquisition order on every month)
NO_DROPOUT_MONTHS = 3
NO_CHECK_WINDOW = (
    "Based on this account's average month over the {months} month{s} of the data (months before its first order "
    "count as nothing), not on a projection of its own first months: the history is too short to test any forecast "
    "on past data or to fit a buying-rhythm model."
)
# the same with one month of data, where that mean is the month itself: said plainly, with what it risks
NO_CHECK_ONE_MONTH = (
    "Based on this account's one month of data, carried forward to every coming month, unchecked: the history holds "
    "one month, too short to test any forecast on past data or to fit a buying-rhythm model. Where that month holds a first "
    "purchase that is not repeated every month (a new customer's first order), this is several times too high: one "
    "month shows neither how often accounts reorder nor how many stop."
)


def _young_reason(age: int, m: str, f: float) -> str:
    months = "1 month" if age == 1 else f"{age} months"
    scaled = abs(f - 1) > 0.005
    text = (
        f"A new account (first order {months} ago): based on {basis(m)}{adjusted(f) if scaled else ''}, its orders "
        f"spread over at least {YOUNG_MIN_MONTHS} months, not on a model fitted to its own {months}, which would take "
        "a first order for its monthly level"
    )
    return text + (f"; {TEST}, similar accounts bought {f:.0%} of that forecast." if scaled else ".")


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
    scaled = abs(f - 1) > 0.005
    text = (
        f"Based on {basis(m)}{adjusted(f) if scaled else ''}: a model of its own monthly history (the kamtools model) "
        f"followed one low month down to {money(model_month)} a month, under {COLLAPSE:.0%} of the {money(recent)} a "
        "month this account bought in its last 6 months, although it orders in most months and ordered last month"
    )
    return text + (f"; {TEST}, similar accounts bought {f:.0%} of that forecast." if scaled else ".")


TILTED = 0.005  # a tilt (share_tilt) this far off 1 or more moves an account's factor, and its reason says so


def _tilt_words(tilt: float, share: float) -> str:
    return (
        " In a list chosen by revenue part of a place is luck that does not repeat, more so for an account that "
        "made it with a few large orders than for one that orders steadily: the class's correction is shared out by "
        f"the share of months with an order ({share:.0%} for this account), so its forecast is {tilt:.2f} times that "
        "of accounts like it (what such accounts bought after earlier dates)."
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
    text = _class_reason(m, k, c, f, cx.horizon)
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
    if cx.tilt is not None and abs(cx.tilt[i] - 1.0) >= TILTED:  # a chosen list: the class factor by ordering share
        f *= float(cx.tilt[i])
        text += _tilt_words(float(cx.tilt[i]), float(cx.share[i]))
    if cx.one_time[i]:
        m, f, text = "btyd", 1.0, _one_time_reason(gap, True)
    if c.method == "zero" and not (uid in cx.own.regular and m != "zero"):
        m, f, text = "zero", 0.0, _zero_class_reason(k, c, cx.horizon)
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


def _no_dropout(state: State, has_btyd: np.ndarray, status: str | None) -> np.ndarray:
    """Accounts that take their own mean of the data's months instead of the BTYD expected value, without an
    out-of-time check: all those on the BTYD where its fit found no drop-out (status ``"no_dropout"``, the value
    stage's own flag that it cannot tell who has stopped) in :data:`NO_DROPOUT_MONTHS` or more months of data."""
    if status != "no_dropout" or int(state.window_months) < NO_DROPOUT_MONTHS:
        return np.zeros(len(has_btyd), dtype=bool)
    return has_btyd.copy()


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
    btyd_status: str | None = None,
    ordering: np.ndarray | None = None,
) -> tuple:
    """(method, factor, reason, quantiles, rho, methods rows, one-time mask, the whole portfolio's choice, tilt,
    steady scores) of every account (the whole portfolio's choice and tilt None without evidence; tilt None where
    :func:`share_tilt` read none; the steady scores, per account, :func:`~kamtools.forecast.selection.steady.
    steady_scores` of its ordering months in the last 12, ``ordering``, all None without evidence or ``ordering``).

    ``btyd_status``: the BTYD fit's :func:`kamtools.value.choice.fit_status` (without a check, ``"no_dropout"`` sets
    it aside: :func:`_no_dropout`).

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
        window = NO_CHECK_ONE_MONTH if months == 1 else NO_CHECK_WINDOW.format(months=months, s=s)
        reason[~has_btyd] = window + (NO_CHECK_UNIDENTIFIED if unidentified else "")
        once = _ordered_once(order_weeks, has_btyd)
        if once.any():  # nobody has reordered yet: a first order is not a monthly level
            paths["window_mean"] = paths["window_mean"].copy()
            paths["window_mean"][once] *= months / max(months, 12)
            reason[once] = NO_CHECK_ONCE.format(months=months, s=s)
        own = _no_dropout(state, has_btyd, btyd_status)
        method[own] = "window_mean"
        reason[own] = NO_CHECK_NO_DROPOUT.format(months=months)
        method[one_time] = "btyd"
        for i in np.flatnonzero(one_time):
            reason[i] = _one_time_reason(state.gap[i], False)
        method[lapsed] = "zero"
        for i in np.flatnonzero(lapsed):
            once = state.ordering is not None and int(state.ordering[i]) == 1
            reason[i] = "Forecast zero: " + _silence(state.gap[i], once, lower=True) + "."
        return method, factor, reason, qs, 0.0, [], one_time & (method == "btyd"), None, None, [None] * n
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
    rho = error_correlation(ev, choices)
    steady = [None] * n if ordering is None else steady_scores(ev, choices, pooled, state.klass, method, ordering)
    return method, factor, reason, qs, rho, rows_out, one_time & (method == "btyd"), pooled, cx.tilt, steady
