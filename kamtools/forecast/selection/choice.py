"""Which method each class of similar accounts gets, from the out-of-time evidence.

:func:`choose_by_class` compares the candidates per class (:func:`_choose_on`: calibration factor and MAE of the
calibrated totals), falls back to the whole portfolio for a class with too few rows, zeroes the classes where
nothing was the better forecast within a bias budget, and at a single backtest origin gives the pooled choice the
equal mix (:func:`_mixed_choice`). Each class's choice (:class:`ClassChoice`) carries its conformal interval
multiples (:func:`_quantiles`); :func:`error_correlation` measures how the months' errors move together.

**Classes of similar accounts.** At each backtest origin an account falls into a class by
how often it ordered (ordering months in its last 12: 0, 1, 2-3, 4-6, 7+) and how long it
has been silent (months since the last order: 0-2, 3-5, 6-11). Per class and method the evidence gives a **calibration factor** (what the
accounts of the class really bought / what the method forecast; this is where survival
enters: a class of accounts long silent, most of which never come back, gets a small
factor) and the **MAE** of the calibrated horizon totals. Each class
uses the method with the lowest MAE, except that a method which needed a large correction
(factor outside :data:`WELL_CALIBRATED`) must beat the best method that did not by
:data:`CORRECTION_MARGIN` (a correction learnt at earlier origins may not hold today: on
the CDNOW log the buying of a young cohort slows as it ages); an account with enough evidence of its own (at least
:data:`~kamtools.forecast.selection.context.MIN_OWN_ORIGINS` origins, :data:`~kamtools.forecast.selection.context.MIN_OWN_MONTHS` months, orders in half of them) switches to another method when that one's
own MAE is at least :data:`~kamtools.forecast.selection.context.OWN_MARGIN` lower. A class with too few rows
(:data:`MIN_CLASS_ROWS`) uses the evidence of the whole portfolio. An account silent for
at least :data:`~kamtools.forecast.selection.lapsed.LAPSED_MONTHS` months and four times its rhythm is forecast zero unless its
class (with at least :data:`MIN_CLASS_ROWS` cases) bought back :data:`~kamtools.forecast.selection.lapsed.LAPSED_SHARE` or more
of its former level; so is
a whole class when zero had the lower out-of-time MAE there, taking the classes that bought
back least first, as long as the zeroed classes together bought no more than
:data:`ZERO_BIAS_BUDGET` of the evidence's revenue (a bound on the bias this adds). A class's
share is counted against the revenue of the backtest origins where such accounts were seen:
counted against every origin's, a class that exists at one origin of two looked half its size
(a 2,000-account sample of the CDNOW log at 1998-01: 2.3-3.7% instead of 7.1%, so about 850
accounts that bought 12% of the next months were zeroed; pooled bias over 16 draws -14.0% ->
-4.2%, mean MAE 16.44 -> 17.81; the whole log, the top 500 and the demo unchanged).

**One backtest origin.** The whole portfolio's factor (used by the classes with too few rows) never scales up
when the evidence comes from a single origin (a history of about a year, or a portfolio of more than 2,000
accounts), unless the portfolio was chosen by revenue (below): over every account at one date, buying above a
method's forecast is mostly that period's growth of the whole portfolio, which need not repeat (as a spike is
not carried on); scaling down stays, since accounts that stopped buying (a young cohort of one-time buyers,
factor 0.08 in a test) are a property of the accounts. On the demo generator with 40 accounts and 12 months of
history (seeds 1-8, as of 2025-10-31, next 6 months) one origin's factor of 1.24-1.33 carried a half-year's
growth and one large account forward: kamtools' mean MAE 40,195 (biases +32% and +36% on two seeds) against
35,392 for the mean of the last 6 months and 35,109 for the BTYD; with the rule 36,320 (+10% at most). On
CDNOW (``select`` rerun on the inputs recorded for ``bench_forecast_variants.py``) ten 2,000 samples: lowest
MAE in 24 -> 28 of 40 draw-dates and both aims in 10 -> 14, mean MAE 27.01 -> 26.81 at 1997-06 and 21.45 ->
20.91 at 1997-12, the other dates equal; the whole log 1997-06 unchanged, 1997-09 -14.5% / 24.53 -> -15.8% /
24.51 (just outside 15%), 1997-12 +2.3% / 21.07 -> -5.4% / 20.63, 1998-01 -8.7% / 17.35 -> -9.0% / 17.33 (equal
to zero if lapsed); the demo 300 (three origins) and the top 500 (chosen by revenue) unchanged. Tried: no
whole-portfolio factor at all at one origin (40-account demo 35,505, but the young cohort above forecast 12
times what it bought, and the top 500 -4.3% -> +40.6% at 1997-06 before the exception for a chosen list).

**A list chosen by revenue at one backtest origin** (:func:`list_capped`) scales nothing up either, its own classes
included; scaling down, the list's regression to the mean, stays. Its evidence is the few accounts whose place on
the list held, among its heaviest, and a method's factor above 1 on them says how the method treats the heaviest
(the BTYD pulls each account towards the list's average), not what the list will buy. The Complete Journey's top 250
by revenue to 2017-06-30 read 32 such accounts at 2017-03: the BTYD scaled by 1.09 erred least there (470.6, the
mean of the last 6 months 478.1) and over-forecast the list by 16.8% (MAE 845.5, against +7.4% / 752.8 for the
mean); unscaled, +7.1% / 780.0 (90% of the paired MAE difference -97.1 to -35.4; the mean's lead, 27.2, is within
sampling error: -66.7 to +11.0). Of the other 33 recorded list-dates (grocery top 500/250/100 at 2017-06/08/09,
CDNOW's top 300/500 at 1997-06/09/12/1998-01 and six lists chosen at an earlier date, the demo's top 150 for seeds
1, 2, 3 and 7 at 2025-10 and 2026-04, on their recorded inputs) none moves.
Tried first and dropped: in such a list, keeping the mean of the last 6 months unless another method erred clearly
less (:data:`MIX_SE` paired standard errors): the grocery top 250 +1.8% / 743.4, but CDNOW's top 300 and 500 at
1997-12 -2.9% / 216.9 -> -30.5% / 205.1 and -0.9% / 181.9 -> -29.8% / 167.8 (the mean's factor read on the heaviest,
0.44, does not carry to the list either).

**One backtest origin: a mix rather than a pick** (:func:`_mixed_choice`). Picking the single best method on one
date of a few dozen accounts is noisy: the accounts that take the whole portfolio's choice (classes with too few
rows, and classes the origin did not see) get the equal mix of the kamtools model, the BTYD expected value and the
mean of the last 6 months (:data:`COMBINED`, each account's mean of the members that apply), never scaled up.
The pick stands where its MAE at the origin is lower than the mix's by more than :data:`MIX_SE` standard errors of
the paired difference, where one of the three could not be checked at the origin, and where the mix itself needed
a correction outside :data:`WELL_CALIBRATED` (a pool of one-time buyers is not the accounts it would be applied
to; on the CDNOW 2,000 samples at 1997-09 that mix under-forecast the repeat buyers of the classes the origin did
not see, 24.58 -> 25.40 on one). Demo generator, 40 accounts, 12 months, as of 2025-10-31, next 6 months:
seeds 1-8 mean MAE 36,320 -> 34,695 (mean of the last 6 months 35,392, BTYD 35,109); seeds 9-16 33,900 ->
31,538 (32,515, 31,189); over seeds 1-16 the 12-month total's 80% range held 72.6% -> 80.5% of the accounts and
the 12-month MAE 70,755 -> 67,000. CDNOW (whole log and ten 2,000 samples at 4 dates), the demo 300 and the top
500 unchanged. Tried: the mix for every pooled choice (CDNOW 1997-06: the model is not checked at its one origin,
and the BTYD and 6-month mean mixed worse than the pick, whole log 27.27 -> 28.01, a sample 25.59 -> 28.76).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kamtools.forecast.selection.evidence import Evidence
from kamtools.forecast.selection.paths import CANDIDATES, COMBINED
from kamtools.forecast.selection.state import MIN_CLASS_ROWS

MIN_COMPARE_ROWS = 15  # rows a method needs (and methods need in common) to be compared
FACTOR_BOUNDS = (0.0, 2.0)
ZERO_BIAS_BUDGET = 0.05  # classes forecast zero may together hold at most this share of what was bought
WELL_CALIBRATED = (2 / 3, 1.5)  # factors in this range: the method was about right without correction
CORRECTION_MARGIN = 0.1  # a method that needed a larger correction must beat those by this share of MAE


@dataclass
class ClassChoice:
    method: str
    factor: dict[str, float]  # calibration factor per method (this class or pooled)
    mae: dict[str, float]  # MAE of calibrated horizon totals per method (on common rows)
    n_rows: int
    pooled: bool
    bought_back: float  # actual / level_12m over the class's rows
    q: dict[str, np.ndarray] = field(default_factory=dict)  # method -> quantiles (0.025, 0.1, 0.9, 0.975)
    uncorrected: bool = False  # the whole portfolio's rise at its one backtest origin, not carried (choose_by_class)
    single: ClassChoice | None = None  # the mix (_mixed_choice): the whole portfolio's single-method choice it replaced
    list_capped: bool = False  # a list chosen by revenue at one origin: a rise of its chosen method not carried
    bought_none: float = float("nan")  # share of the class's rows that bought nothing (set where it is zeroed)


QUANTILES = (0.025, 0.1, 0.9, 0.975)


def _factor(actual_tot: np.ndarray, fc_tot: np.ndarray) -> float:
    s = float(np.sum(fc_tot))
    if s <= 0:
        return 1.0
    return float(np.clip(np.sum(actual_tot) / s, *FACTOR_BOUNDS))


def _distinct(ev: Evidence, rows: np.ndarray, methods: list[str]) -> list[str]:
    """The methods less any that forecast the very same numbers as one before it on the compared rows, where under
    12 months lie behind every past date: with 6 or fewer the mean of the last 12 months is the mean of the last 6
    (the same method under another name), and a reason must not compare a forecast with itself (nor name a 12-month
    window the data did not hold). The first of equal forecasts is kept, the one the choice's tie-break took
    already."""
    if ev.origin is None or not len(rows) or int(np.max(ev.origin[rows])) + 1 >= 12:
        return methods  # a year behind a past date: equal numbers are the data's (flat accounts), not one method twice
    kept: list[str] = []
    for m in methods:
        if not any(np.array_equal(ev.paths[m][rows], ev.paths[k][rows]) for k in kept):
            kept.append(m)
    return kept


def _choose_on(
    ev: Evidence, rows: np.ndarray, available: tuple[str, ...], scale_up: bool = True
) -> tuple[str, dict, dict]:
    """Best method by MAE of calibrated horizon totals on the rows where every compared method applies."""
    act = ev.actual[rows].sum(axis=1)
    ok = {m: np.all(np.isfinite(ev.paths[m][rows]), axis=1) for m in available}
    enough = max(1, min(MIN_COMPARE_ROWS, len(rows)))
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
        factor[m] = _factor(act[ok[m]], tot) if scale_up else min(_factor(act[ok[m]], tot), 1.0)
    # a method that forecast nothing for a class that bought is the zero forecast in disguise
    # (its small MAE would buy a bias): zero is only for the lapsed, by the rule above
    silent = [m for m in methods if np.sum(ev.paths[m][rows][ok[m]]) <= 0 < np.sum(act[ok[m]])]
    methods = [m for m in methods if m not in silent] or methods
    methods = _distinct(ev, rows[common], methods)
    for m in methods:
        tot = ev.paths[m][rows][common].sum(axis=1) * factor[m]
        mae[m] = float(np.mean(np.abs(tot - act[common]))) if common.any() else np.inf
    best = min(methods, key=lambda m: (mae[m], (*CANDIDATES, "combined").index(m)))
    steady = [m for m in methods if WELL_CALIBRATED[0] <= factor[m] <= WELL_CALIBRATED[1]]
    if best not in steady and steady:
        alt = min(steady, key=lambda m: (mae[m], (*CANDIDATES, "combined").index(m)))
        if mae[best] > (1 - CORRECTION_MARGIN) * mae[alt]:
            best = alt
    return best, factor, mae


def conformal_levels(n: int, q=QUANTILES) -> np.ndarray:
    """The levels at which the quantiles ``q`` (:data:`QUANTILES` unless given) are read from ``n`` exchangeable
    evidence rows (account x origin): split conformal's finite-sample rank, the ceil((n + 1) p)-th of ``n`` for an
    upper bound at p (and its mirror for a lower one), so that an account like the rows is inside with the nominal
    chance, not only the rows themselves; the levels stop at 0 and 1 (the rows' smallest and largest multiple)."""
    q = np.asarray(q, dtype=float)
    n = max(int(n), 1)
    return np.where(q < 0.5, np.maximum(0.0, 1 - (1 - q) * (n + 1) / n), np.minimum(1.0, q * (n + 1) / n))


def _quantiles(ev: Evidence, rows: np.ndarray, method: str, factor: float) -> np.ndarray | None:
    """Quantiles of actual / calibrated forecast over the class's evidence months (forecast > 0), read at the
    levels :func:`conformal_levels` gives for the number of rows (accounts x origins) behind them: an account's
    months move together (how far its level strayed from the forecast), so the rows, not the months, are the
    draws whose number decides how far the bounds can fall short."""
    f = factor * ev.paths[method][rows]
    ok = np.isfinite(f) & (f > 0)
    if ok.sum() < 5:
        return None
    return np.quantile(ev.actual[rows][ok] / f[ok], conformal_levels(int(np.any(ok, axis=1).sum())))


def range_quantiles(
    ev: Evidence, rows: np.ndarray, method: str, factor: float, klass: int | None = None
) -> np.ndarray | None:
    """The quantiles of a class's monthly multiples: :func:`_quantiles` of its rows ``rows`` at its ``factor``
    (``klass`` None: the whole portfolio's), each bound widened, in a portfolio chosen by revenue, to what every
    account the cut took strayed from its forecast.

    In such a list the evidence counts only the accounts whose place on the list held whatever the months checked
    brought (``ev.taken`` set: :func:`kamtools.forecast.accounts.place_held`), and the point is learnt on those
    rows; but they are the list's heaviest and steadiest, whose spread of log(actual / forecast) on the grocery top
    lists was half the list's (their 80% monthly ranges held 64-78%). So each bound is also read on every account
    the cut took at the origin (``ev.taken``: the list's kind of account, whether or not its place held), each
    method calibrated on those rows themselves, and the wider of the two bounds is kept. Among the accounts whose
    place needed the months checked, only those that bought in them are still on the list and seen: those rows'
    level is too high (hence calibrated on themselves, not at the point's factor, which would lift the whole range:
    CDNOW's top 300 and 500 at four dates then held 91.6-96.6%, against 88.9-92.9%) and their lower tail is cut off (hence the rows whose place held keep the
    lower bound where theirs is the lower). Elsewhere, the class's own rows alone."""
    own = _quantiles(ev, rows, method, factor)
    taken = ev.taken
    if taken is None or method not in taken.paths:
        return own
    t_rows = np.arange(len(taken.account)) if klass is None else np.flatnonzero(taken.klass == klass)
    path = taken.paths[method][t_rows]
    ok = np.all(np.isfinite(path), axis=1)
    centre = _factor(taken.actual[t_rows][ok].sum(axis=1), path[ok].sum(axis=1))
    wide = _quantiles(taken, t_rows, method, centre) if ok.any() and centre > 0 else None
    if wide is None or own is None:
        return own if own is not None else wide
    return np.where(np.asarray(QUANTILES) < 0.5, np.minimum(own, wide), np.maximum(own, wide))


MIX_SE = 2.0  # a single method replaces the mix only where its MAE is lower by this many standard errors


def _clearly_better(ev: Evidence, rows: np.ndarray, best: str, factor: dict, mae: dict) -> bool:
    """Whether ``best``'s calibrated horizon totals erred less than the mix's (``"combined"``) by more than
    :data:`MIX_SE` standard errors of the paired difference over the rows both methods were compared on."""
    common = np.logical_and.reduce([np.all(np.isfinite(ev.paths[m][rows]), axis=1) for m in mae])
    if common.sum() < 2:
        return False
    act = ev.actual[rows][common].sum(axis=1)
    err = {m: np.abs(ev.paths[m][rows][common].sum(axis=1) * factor.get(m, 1.0) - act) for m in (best, "combined")}
    d = err[best] - err["combined"]
    se = float(np.std(d, ddof=1) / np.sqrt(len(d)))
    return float(np.mean(d)) < -MIX_SE * se


def whole_portfolio_scales(ev: Evidence) -> bool:
    """Whether the whole portfolio's evidence may scale its methods up (:func:`choose_by_class`): from two
    backtest origins or more, or in a portfolio chosen by revenue."""
    return (ev.origin is not None and len(np.unique(ev.origin)) >= 2) or ev.chosen


def list_capped(ev: Evidence) -> bool:
    """Whether the evidence is a list chosen by revenue (``ev.chosen``) checked at a single backtest origin, where no
    method's factor scales it up (:func:`choose_by_class`)."""
    return bool(ev.chosen) and (ev.origin is None or len(np.unique(ev.origin)) < 2)


def _mixed_choice(ev: Evidence, available: tuple[str, ...], pooled: ClassChoice) -> ClassChoice:
    """The whole portfolio's choice for the classes with too few rows of their own, from one backtest origin: the
    equal mix of :data:`COMBINED` (its path from :func:`candidate_paths`, at the origins and today alike) unless
    one of them could not be checked, the pooled choice erred clearly less than the mix
    (:func:`_clearly_better`) or the mix needed a correction outside :data:`WELL_CALIBRATED`; never scaled up."""
    members = tuple(m for m in COMBINED if m in available)
    if len(members) < len(COMBINED):
        return pooled
    all_rows = np.arange(len(ev.account))
    _, factor, mae = _choose_on(ev, all_rows, (*available, "combined"), scale_up=False)
    if "combined" not in mae or pooled.method not in mae or _clearly_better(ev, all_rows, pooled.method, factor, mae):
        return pooled
    if not WELL_CALIBRATED[0] <= factor["combined"] <= WELL_CALIBRATED[1]:  # a mix that needed correction: the
        return pooled  # pool's accounts are not those it is for (a cohort of one-time buyers), as in _choose_on
    raw = _choose_on(ev, all_rows, ("combined",))[1].get("combined", 1.0)
    q = dict(pooled.q)
    q_mix = _quantiles(ev, all_rows, "combined", factor["combined"])
    if q_mix is not None:
        q["combined"] = q_mix
    return ClassChoice("combined", factor, mae, pooled.n_rows, True, pooled.bought_back, q, raw >= 1.05, pooled)


def choose_by_class(ev: Evidence, available: tuple[str, ...]) -> tuple[dict[int, ClassChoice], ClassChoice]:
    """Per class (and for the whole portfolio) the method with the lowest out-of-time MAE.

    The whole portfolio's choice (taken by classes with too few rows) is not scaled up when its evidence comes
    from one backtest origin, unless the portfolio was chosen by revenue (``ev.chosen``): over every account at
    one date, buying above a method's forecast is mostly that period's growth of the whole portfolio (every
    account shares it), which need not repeat, not how the method misjudges one kind of account. Scaling down
    stays: accounts that stopped buying (a young cohort of one-time buyers) are a property of the accounts, not
    of the period. A class's own factor compares its accounts with their own kind and stays. In a list chosen by
    revenue the whole portfolio's factor is the regression to the mean of the choice (module docstring).

    Such a list checked at a single backtest origin (:func:`list_capped`) scales nothing up, its classes included:
    its evidence is the few accounts whose place held (:func:`kamtools.forecast.accounts.place_held`), the list's
    heaviest, and a factor above 1 on them is how a method treats the heaviest (the BTYD pulls each account towards
    the list's average), not what the list will buy: a list chosen by revenue falls back. The Complete Journey's top
    250 of 2017-06-30 read 32 such accounts at 2017-03; the BTYD erred least there scaled up by 1.09 (470.6 against
    478.1 for the mean of the last 6 months at 0.95) and over-forecast the list by 16.8% (the BTYD as fitted
    +7.1%, the mean of the last 6 months +7.4%)."""
    all_rows = np.arange(len(ev.account))
    scale_up = whole_portfolio_scales(ev)
    capped = list_capped(ev)
    best, factor, mae = _choose_on(ev, all_rows, available, scale_up=scale_up and not capped)
    ref = float(np.sum(ev.lapsed_ref) * ev.horizon)
    pooled = ClassChoice(best, factor, mae, len(all_rows), True, float(ev.actual.sum() / ref) if ref > 0 else 1.0)
    if not scale_up or capped:  # was a rise of the chosen method's left out?
        raw = _choose_on(ev, all_rows, (best,))[1].get(best, 1.0)
        pooled.uncorrected = raw >= 1.05
        pooled.list_capped = capped
    for m in factor:
        q = range_quantiles(ev, all_rows, m, factor[m])
        if q is not None:
            pooled.q[m] = q
    if not scale_up:
        pooled = _mixed_choice(ev, available, pooled)
    out: dict[int, ClassChoice] = {}
    for k in np.unique(ev.klass):
        rows = np.flatnonzero(ev.klass == k)
        ref = float(np.sum(ev.lapsed_ref[rows]) * ev.horizon)
        back = float(ev.actual[rows].sum() / ref) if ref > 0 else np.nan
        if len(rows) < MIN_CLASS_ROWS:
            out[int(k)] = ClassChoice(
                pooled.method, pooled.factor, pooled.mae, len(rows), True, back, pooled.q, pooled.uncorrected
            )
            out[int(k)].list_capped = pooled.list_capped
            continue
        b, f, m = _choose_on(ev, rows, available, scale_up=not capped)
        choice = ClassChoice(b, {**pooled.factor, **f}, m, len(rows), False, back)
        if capped:
            choice.uncorrected = _choose_on(ev, rows, (b,))[1].get(b, 1.0) >= 1.05
            choice.list_capped = True
        for meth in choice.factor:
            q = range_quantiles(ev, rows, meth, choice.factor[meth], int(k))
            choice.q[meth] = q if q is not None else pooled.q.get(meth)
        out[int(k)] = choice
    # classes that mostly do not come back: zero where it has the lower error, within a bias budget
    act_tot = ev.actual.sum(axis=1)
    spent = 0.0
    order = sorted(
        (k for k, c in out.items() if not c.pooled and np.isfinite(c.bought_back)), key=lambda k: out[k].bought_back
    )
    for k in order:
        c = out[k]
        rows = ev.klass == k
        zero_mae = float(np.mean(act_tot[rows]))
        # its share of what was bought at the origins where such accounts were seen (a class that exists at one
        # origin of several would otherwise count against every origin's revenue and look smaller than it is)
        seen = np.isin(ev.origin, np.unique(ev.origin[rows])) if ev.origin is not None else np.ones_like(rows)
        total = float(act_tot[seen].sum())
        share = float(act_tot[rows].sum() / total) if total > 0 else 0.0
        if c.method in c.mae and zero_mae < c.mae[c.method] and spent + share <= ZERO_BIAS_BUDGET:
            c.mae["zero"] = zero_mae
            c.method = "zero"
            c.bought_none = float(np.mean(act_tot[rows] <= 0))
            spent += share
    return out, pooled


SHARE_SLOPE_MAX = 5.0  # slopes of share_tilt read (beyond: no tilt); e**5 is a 150-fold spread between the extremes


def share_tilt(
    ev: Evidence,
    choices: dict[int, ClassChoice],
    pooled: ClassChoice,
    klass: np.ndarray,
    share: np.ndarray,
    paths: dict,
) -> np.ndarray | None:
    """In a portfolio chosen by revenue, per account (``klass``, ``share``: :func:`ordering_share` today, ``paths``:
    today's candidate paths), the multiplier of its class factor: exp(b x share), scaled so that each class's total
    today is its class factor's. None where the evidence gives no slope (not a chosen list, under
    :data:`MIN_CLASS_ROWS` usable rows, no slope within :data:`SHARE_SLOPE_MAX`, or none clear of its noise).

    One factor per class scales a lumpy account that made the list with a few large orders like a steady one that
    made it on its level. The slope b is the quasi-Poisson estimate on the evidence rows: each row's actual horizon
    total against its class's calibrated forecast (the class's chosen method and factor, the whole portfolio's for
    classes with too few rows) times exp(b x its ordering share at the origin), each class's rows keeping their
    total; b solves sum (actual - forecast) x (share - the class's forecast-weighted mean share) = 0, so the tilt
    is unbiased along the share as the factor is on the class total (bisection: the sum falls as b rises). A slope
    within one standard error of zero (sandwich) or below it is not read (a lumpy account is never forecast to keep
    more than a steady one: a negative slope is noise or another effect, as in a list without churn), and one above
    is shrunk by it, b (1 - se^2 / b^2). CDNOW's top 300 / 500 / 1,000 at four dates: b 1.1-2.6 before shrinking,
    1.4-4.8 standard errors from zero (``benchmarks/bench_real_data.py``)."""
    if not ev.chosen or ev.share is None:
        return None
    key = np.array([int(k) if int(k) in choices and not choices[int(k)].pooled else -1 for k in ev.klass])
    base = np.full(len(key), np.nan)
    for k in np.unique(key):
        c = choices[int(k)] if k >= 0 else pooled
        if c.method in ev.paths:
            rows = key == k
            base[rows] = c.factor.get(c.method, 1.0) * ev.paths[c.method][rows].sum(axis=1)
    ok = np.isfinite(base) & (base > 0)
    if ok.sum() < MIN_CLASS_ROWS:
        return None
    act, x, centred = ev.actual.sum(axis=1)[ok], ev.share[ok], np.zeros(int(ok.sum()))
    base, key = base[ok], key[ok]
    groups = [key == k for k in np.unique(key)]
    for g in groups:
        centred[g] = x[g] - np.average(x[g], weights=base[g])

    def score(b: float) -> float:
        pred = base * np.exp(b * x)
        for g in groups:
            pred[g] *= base[g].sum() / pred[g].sum()
        return float(np.sum((act - pred) * centred))

    lo, hi = -SHARE_SLOPE_MAX, SHARE_SLOPE_MAX
    if not score(lo) > 0 > score(hi):
        return None
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if score(mid) > 0 else (lo, mid)
    b = (lo + hi) / 2
    pred = base * np.exp(b * x)
    for g in groups:
        pred[g] *= base[g].sum() / pred[g].sum()
    # its standard error (sandwich: the score's spread over its slope); kept only above it, and shrunk by it
    se = float(np.sqrt(np.sum((act - pred) ** 2 * centred**2)) / np.sum(pred * centred**2))
    if not b > se:  # a lumpy account is never forecast to keep more than a steady one
        return None
    b *= 1 - (se / b) ** 2
    tilt = np.exp(b * share)
    key_now = np.array([int(k) if int(k) in choices and not choices[int(k)].pooled else -1 for k in klass])
    for k in np.unique(key_now):
        c = choices[int(k)] if k >= 0 else pooled
        rows = key_now == k
        p = paths[c.method][rows].sum(axis=1) if c.method in paths else np.full(int(rows.sum()), np.nan)
        fin = np.isfinite(p)
        if fin.any() and np.sum(p[fin] * tilt[rows][fin]) > 0:
            tilt[rows] *= np.sum(p[fin]) / np.sum(p[fin] * tilt[rows][fin])
        else:
            tilt[rows] = 1.0
    return tilt


def error_correlation(ev: Evidence, choices: dict[int, ClassChoice]) -> float:
    """Mean correlation between months of the (scaled) evidence errors of the class choices."""
    if ev.horizon < 2:
        return 0.0
    errs = []
    for k, c in choices.items():
        rows = np.flatnonzero(ev.klass == k)
        p = ev.paths[c.method][rows]
        ok = np.all(np.isfinite(p), axis=1) & (ev.scale[rows] > 0)
        if ok.any():
            errs.append((ev.actual[rows][ok] - c.factor.get(c.method, 1.0) * p[ok]) / ev.scale[rows][ok][:, None])
    if not errs:
        return 0.0
    e = np.vstack(errs)
    e = e - e.mean(axis=0)
    var_sum = float(np.var(e.sum(axis=1)))
    var_each = float(np.sum(np.var(e, axis=0)))
    sds = np.std(e, axis=0)
    cross = float(np.sum(np.outer(sds, sds)) - np.sum(sds**2))
    if cross <= 0:
        return 0.0
    return float(np.clip((var_sum - var_each) / cross, 0.0, 1.0))
