"""The sentences the forecast stage writes beside its tables.

The methods note (:func:`_methods_note`: what the out-of-time comparison chose, and how the methods did), the
notes on the 80% ranges of the 12-month totals (:func:`_range_note`: new accounts, accounts forecast nothing,
the ranges' widening; :func:`_top_of_range_note`), the note on what the evidence counted (:func:`_evidence_note`),
the note on silent accounts (:func:`_silent_note`) and, on a list chosen by revenue, the one on its ordering-share
tilt (:func:`_tilt_note`). :func:`kamtools.forecast.accounts.bundle_tables` keeps
them in the bundle's notes (:func:`_note_methods`), and the report pages quote them. :data:`HORIZON` is the
stage's: the months of the total these notes speak of.
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from kamtools.display import money
from kamtools.forecast.selection import (
    CANDIDATES,
    METHOD_WORDS,
    MIN_CLASS_ROWS,
    TILTED,
    YOUNG_MONTHS,
    Selection,
    range_widening,
    silent_ratios,
    whole_portfolio_scales,
    wide_history,
)
from kamtools.forecast.selection.year_mix import CHECK_ACCOUNTS

HORIZON = 12


def _pooled_comparison(sel: Selection) -> tuple[str, dict, dict, int, tuple[str, ...]] | None:
    """The comparison the choice made for the whole portfolio (``Selection.pooled``, as
    :func:`kamtools.forecast.selection.choose_by_class` made it; where it took the mix, the single-method choice the
    mix replaced): (best method, correction factors, MAE of the corrected horizon totals on the cases every compared
    method shares, the number of those cases, the methods that could have been compared); None without evidence."""
    ev = sel.evidence
    whole = getattr(sel, "pooled", None)
    if ev is None or whole is None or not len(ev.account):
        return None
    if whole.single is not None:
        whole = whole.single
    if not whole.mae:
        return None
    common = np.logical_and.reduce([np.all(np.isfinite(ev.paths[m]), axis=1) for m in whole.mae])
    # every method that applies to some case has a factor (kamtools.forecast.selection._choose_on)
    return whole.method, whole.factor, whole.mae, int(common.sum()), tuple(whole.factor)


def _evidence_words(sel: Selection, m: str) -> str:
    """The method's words as the backtest used it: where every origin had under 12 months of training, the
    mean of the last 12 months was the mean of the months there were (so it is said)."""
    ev = sel.evidence
    if m != "level_12m" or ev is None or ev.origin is None or not len(ev.origin):
        return METHOD_WORDS[m]
    lo, hi = int(np.min(ev.origin)) + 1, int(np.max(ev.origin)) + 1
    if hi >= 12:
        return METHOD_WORDS[m]
    months = f"{hi} months" if lo == hi else f"{lo} to {hi} months"
    return f"mean of last 12 months (at the backtest's origin{'' if lo == hi else 's'}: the mean of the {months} there were)"


def _methods_note(sel: Selection, lead: str = "Out of time", cases_of: str = "account-origins") -> str:
    """One sentence (a few at most) on the out-of-time comparison and what the accounts use.

    The figures are the choice's own: each method corrected by its factor and compared on the cases every
    compared method shares, so they match the "off by ... against ..." of the accounts' reasons. ``lead``
    names the evidence ("Out of time" for a backtest, the one comparison on a short history)."""
    counts = pd.Series(sel.method_words).value_counts()
    by_method = ". Accounts by method: " + ", ".join(f"{w} {n:,}" for w, n in counts.items()) + "."
    pooled = _pooled_comparison(sel)
    if pooled is None:
        t = sel.methods.set_index("method")
        parts = [f"{t.loc[m, 'description']} {money(t.loc[m, 'mae'])}" for m in t.index if m != "zero"]
        return (
            f"{lead} ({sel.evidence_cases} account-origins), an account's total over the horizon was off on "
            "average by: " + "; ".join(parts) + by_method
        )
    best, factor, mae, cases, available = pooled
    order = [m for m in CANDIDATES if m in mae]
    parts = [f"{_evidence_words(sel, m)} {money(mae[m])}" for m in order]
    whole = getattr(sel, "pooled", None)
    if np.any(np.asarray(sel.method) == "combined") and whole is not None and "combined" in whole.mae:
        # the one-origin mix, on the same cases and as corrected as the reasons of the accounts taking it quote it
        parts.append(f"{METHOD_WORDS['combined']} {money(whole.mae['combined'])}")
    h = sel.evidence.horizon
    corrected = (
        "each method corrected by its factor as in the choice"
        if whole_portfolio_scales(sel.evidence)
        else "each method corrected by its factor as in the choice, but never up: a rise at a single backtest date "
        "is mostly the whole portfolio's growth in that period"
    )
    text = (
        f"{lead} ({cases:,} {cases_of} where every method below could be checked; {h}-month totals, {corrected}), "
        "an account's total was off on average by: " + "; ".join(parts)
    )
    simple = [m for m in order if m != "model"]
    if "model" in mae and simple:
        rival = min(simple, key=lambda m: mae[m])
        if mae["model"] > mae[rival]:
            lost = "did no better than" if money(mae["model"]) == money(mae[rival]) else "lost to"  # a tie
            text += (
                f". The kamtools model {lost} the {METHOD_WORDS[rival]} overall ({money(mae['model'])} against "
                f"{money(mae[rival])}), so each account uses the method that did best for similar accounts"
            )
    lowest = min(order, key=lambda m: (mae[m], CANDIDATES.index(m)))
    if lowest != best and best in mae:
        text += (
            f". The {METHOD_WORDS[lowest]} erred least only after a large correction (factor {factor[lowest]:.2f}), "
            f"which may not hold today, so the {METHOD_WORDS[best]} is preferred where accounts are compared as a whole"
        )
    ev = sel.evidence
    common = np.logical_and.reduce([np.all(np.isfinite(ev.paths[m]), axis=1) for m in mae if m in ev.paths])
    same = {  # left out of the comparison as the same forecasts as a compared method (selection.choice._distinct)
        m: k
        for m in available
        if m not in mae and m in ev.paths
        for k in order
        if k in ev.paths and np.array_equal(ev.paths[m][common], ev.paths[k][common])
    }
    for m, k in same.items():
        text += f". The {METHOD_WORDS[m]} forecast the same as the {METHOD_WORDS[k]} there, so it is not counted twice"
    left = [METHOD_WORDS[m] for m in available if m not in mae and m not in same]
    if left:
        text += f". Too few cases to compare: {', '.join(left)}"
    if np.any(np.asarray(sel.method) == "combined"):
        text += (
            ". A single backtest date could not tell these methods apart across all accounts, so the accounts "
            "without a comparison of their own take an equal mix of the kamtools model, the BTYD expected value "
            "and the mean of the last 6 months, which errs less than one method picked on so little"
        )
    return text + by_method


def _young_range_note(sel: Selection) -> str:
    """One sentence on where a new account's 80% range comes from (:func:`kamtools.forecast.selection.total_range`),
    or nothing when no account is new."""
    young = getattr(sel, "young", None)
    if young is None or not np.any((np.asarray(young) > 0) & (sel.method != "zero")):
        return ""
    new = f"A new account (under {YOUNG_MONTHS} months since its first order)"
    ev = getattr(sel, "young_evidence", None)
    if ev is not None:
        return (
            f" {new} takes instead what accounts as new bought in the {ev.months} months after such a month of the "
            f"history ({len(ev.ratios):,} cases), as a multiple of their mean so far"
            + (", widened to 12 months" if ev.months < HORIZON else "")
            + ": one or two orders say little about the next year."
        )
    if getattr(sel, "btyd", None) is not None:
        return (
            f" {new} takes the BTYD model's range instead (its own chance of no order, else its purchases as the "
            "model spreads them): the history has too few accounts as new with months after them to learn from."
        )
    return (
        f" {new} takes the range its own ordering months give (its rate of ordering months from those months "
        "alone): the history has too few accounts as new to learn from and no buying-rhythm model could be "
        "fitted, and one or two orders say little about the next year."
    )


def _range_note(sel: Selection, lead: str = "out of time") -> str:
    """One sentence on what an account's 80% range of its 12-month total means, naming whose totals it comes
    from: the accounts of its class, or of the whole portfolio where the class has too few cases (and, where
    accounts are new, one on where theirs comes from)."""
    return _range_sentence(sel, lead) + _young_range_note(sel) + _silent_range_note(sel)


def _silent_range_note(sel: Selection) -> str:
    """One sentence on the range of an account whose method forecast nothing although no rule called it lapsed
    (:func:`kamtools.forecast.selection._silent_range`), or nothing when there is none."""
    usual = getattr(sel, "usual", None)
    if usual is None or getattr(sel, "evidence", None) is None:
        return ""
    silent = (sel.method != "zero") & (sel.mean[:, :HORIZON].sum(axis=1) <= 0) & (np.asarray(usual) > 0)
    if not any(silent_ratios(sel.evidence, str(m), HORIZON) is not None for m in np.unique(sel.method[silent])):
        return ""
    return (
        " An account forecast nothing although it is not called lapsed (silent for half a year) has a range from "
        "zero up to what accounts in that situation bought back out of time, as a multiple of their usual month."
    )


def _range_sentence(sel: Selection, lead: str) -> str:
    own = getattr(sel, "btyd", None) is not None
    if sel.total_ratio is None:
        method = np.asarray(sel.method)
        on_mean = method == "window_mean"
        if own and on_mean.any():  # the BTYD set aside for the accounts' own means (a fit without drop-out)
            return (
                "The history is too short for a backtest, and the buying-rhythm model found no account that has "
                "stopped buying, so an account on its own mean of the months known has an 80% range of its 12-month "
                "total from its own weeks with an order (its weekly rate from those weeks alone, with its chance of "
                "no order), not checked against what similar accounts really bought."
                + (
                    " An account on the BTYD expected value has the model's range: nothing with its own chance of no "
                    "order, else its purchases as the model spreads them."
                    if ((method != "zero") & ~on_mean).any()
                    else ""
                )
            )
        if own:
            return (
                "The history is too short for a backtest, so the 80% range of an account's 12-month total is the "
                "BTYD model's: nothing with the account's own chance of no order (the range starts at zero where "
                "that is 10% or more), else its purchases as the model spreads them, at its expected value; not "
                "checked against what similar accounts really bought."
            )
        return (
            "The history is too short for a backtest and for a buying-rhythm model, so the 80% range of an "
            "account's 12-month total comes from its own weeks with an order (its weekly rate from those weeks alone, "
            "with its chance of no order; one order once, where no account has reordered yet, from zero to that "
            "order every month), not checked against what similar accounts really bought: a month or two of orders "
            "says little about the next year."
        )
    months = (
        ""
        if sel.total_months >= HORIZON
        else (
            f" (measured on {sel.total_months}-month totals and widened to 12 months as the spread of such totals "
            "grows with the months they cover, at least as a random walk's; a 12-month range could not be checked)"
        )
    )
    chance = (
        " Where the BTYD model gives the account's own chance of no order in those 12 months, that chance "
        "replaces theirs, and the range starts at zero where it is 10% or more."
        if own
        else ""
    )
    has = np.isfinite(sel.total_ratio[:, 0])
    ev = sel.evidence
    if ev is not None and sel.klass is not None and has.any():
        sizes = pd.Series(ev.klass).value_counts()
        pooled = sizes.reindex(sel.klass[has]).fillna(0).to_numpy() < MIN_CLASS_ROWS
    else:
        pooled = np.zeros(int(has.sum()), dtype=bool)
    if pooled.all():
        who = "accounts of this portfolio"
    elif not pooled.any():
        who = "accounts like this one (by ordering months in the last 12 and months since the last order)"
    else:
        who = (
            "accounts like this one (by ordering months in the last 12 and months since the last order; for the "
            f"{int(pooled.sum()):,} accounts whose kind had too few cases, all accounts of this portfolio)"
        )
    spread = getattr(sel, "spread", None)
    own = (
        " Those multiples are read in units of each account's own steadiness (how far its totals strayed from its "
        "recent level at earlier months of its own history) and scaled by this account's: a steady account's range "
        "is narrower than its kind's, an erratic one's wider."
        if spread is not None and np.any(np.abs(np.asarray(spread)[has] - 1.0) > 1e-9)
        else ""
    )
    widen = range_widening(sel, HORIZON) if isinstance(sel, Selection) else np.full(len(has), np.nan)
    wider = (
        " Where such accounts' totals at the latest backtest date strayed further than those at the earliest, the "
        "range is widened (about its middle) until the earliest date's range holds 8 in 10 of the latest's: the next "
        "12 months lie further from the backtest than its dates lie from each other."
        if np.any(np.asarray(widen)[has] > 1.0)
        else ""
    )
    lumpier = getattr(sel, "lumpier", None)
    lumpy = (
        " An account whose months vary more than those of half of its kind (the coefficient of variation of its "
        "last 12 months) takes the wider of its kind's range and that of the lumpier half: a kind's range lies "
        "between its steady accounts' and its lumpy ones'."
        if lumpier is not None and np.any(np.asarray(lumpier)[has])
        else ""
    )
    variation = getattr(sel, "variation", None)
    like = (
        " An account whose kind had too few cases takes the wider of that range and the one from the "
        f"{MIN_CLASS_ROWS} cases whose months varied most like its own (the coefficient of variation of their last 12 "
        "months, at the time), their multiples as they were: a portfolio's cases are mostly its steadier kinds'."
        if variation is not None and np.any(pooled & np.isfinite(np.asarray(variation, dtype=float)[has]))
        else ""
    )
    return (
        f"The 80% range of an account's 12-month total is where 8 in 10 {who} ended {lead}{months}: the total they "
        "bought as a multiple of their forecast, applied to this account's forecast."
        + own
        + wider
        + lumpy
        + like
        + chance
    )


def _share(values: np.ndarray) -> str:
    lo, hi = float(np.min(values)), float(np.max(values))
    return f"{lo:.0%}" if f"{lo:.0%}" == f"{hi:.0%}" else f"between {lo:.0%} and {hi:.0%}"


def _top_of_range_note(
    sel: Selection, m: np.ndarray, lead: str = "out of time", hi: np.ndarray | None = None
) -> str | None:
    """One sentence on the accounts whose forecast is the top of their 80% range (8 in 10 similar accounts
    bought less than their forecast out of time, so the range is shown up to the forecast), or None.
    ``hi``: the ranges' upper ends as shown (default: the similar accounts' multiples alone)."""
    if sel.total_ratio is None or sel.evidence is None:
        return None
    below = sel.total_ratio[:, 1] < 1 if hi is None else hi <= m
    top = np.isfinite(sel.total_ratio[:, 1]) & below & (m > 0)
    if not top.any():
        return None
    ratios = sel.total_ratios(sel.evidence.horizon)
    less = np.array([np.mean(ratios[i] < 1) for i in np.flatnonzero(top)])
    none = np.array([np.mean(ratios[i] <= 0) for i in np.flatnonzero(top)])
    sizes = pd.Series(sel.evidence.klass).value_counts()
    pooled = (sizes.reindex(sel.klass[top]).fillna(0).to_numpy() < MIN_CLASS_ROWS).all()
    who = "accounts of this portfolio" if pooled else "accounts like them"
    nothing = f" ({_share(none)} nothing)" if none.max() > 0 else ""
    said = "in a test on past data" if lead == "out of time" else lead  # an account page's words, not the method's
    head = (
        f"The forecast is the top of the 80% range for {int(top.sum()):,} of {len(m):,} accounts: {said}, "
        f"{_share(less)} of {who} bought less than their forecast{nothing}, while a few bought far more. The "
        "forecast is what such accounts bought on average, "
    )
    if less.min() >= 0.8:  # the similar accounts alone put the forecast above 8 in 10 of them
        return head + (
            "so it lies above what 8 in 10 of them reached, and their range is shown from its low end up to the "
            "forecast."
        )
    # fewer than 8 in 10 bought less: the range's top falls below the forecast for another reason; say which
    why = (
        "each account's own chance of buying nothing in the 12 months (BTYD model) mixed in"
        if sel.btyd is not None
        else "the spread measured out of time carried to 12 months"
    )
    return head + (
        f"and the top of these accounts' 80% range, with {why}, falls below it: their range is shown from its "
        "low end up to the forecast."
    )


def _evidence_note(plan, sel: Selection, n_months: int, last_month: pd.Timestamp) -> str:
    """One sentence on what out-of-time check the forecasts had: the backtest's note, or where the history
    is too short to backtest the kamtools model, the one comparison of the simple methods (or that there was
    none). The manifest keeps it as the reason of ``forecast_backtest``; every report face reads it there."""
    if plan.possible:
        return plan.note
    head = plan.note.split(", so its accuracy is not shown")[0].rstrip(".")
    if sel.evidence is None and not np.any(np.asarray(sel.method) == "btyd"):
        return (
            f"{head}, and too short to compare even the simple methods out of time (that needs 4 months), and no "
            "buying-rhythm model could be fitted that tells accounts apart, so each account gets its mean over the "
            "months of the data (an account with one order, where no account has reordered yet, that order once "
            "in the next 12 months; zero where it has lapsed), unchecked, and no accuracy is shown."
        )
    if sel.evidence is None:
        return (
            f"{head}, and too short to compare even the simple methods out of time (that needs 4 months), so each "
            "account gets the BTYD expected value (its mean over the months of the data where no BTYD model can be "
            "fitted, zero where it has lapsed), unchecked, and no accuracy is shown."
        )
    h = int(sel.evidence.horizon)
    origin = pd.Timestamp(last_month) - pd.DateOffset(months=h)
    first = origin + pd.DateOffset(months=1)
    last = pd.Timestamp(last_month)
    span = (
        f"{first:%B %Y}" if h == 1 else f"{first:%B}{'' if first.year == last.year else f' {first:%Y}'} to {last:%B %Y}"
    )
    head = head.replace("too short to test the forecast", "too short to test the kamtools model", 1)
    return (
        f"{head}; instead the simple methods were compared once, on the {h} month{'s' if h != 1 else ''} after "
        f"{origin:%B %Y} ({span}, forecast from the months up to then), and each account uses the one that erred "
        "least there; the forecast's accuracy over 12 months is not known."
    )


SILENT_MONTHS = 6  # one ordering month and none in this many: most likely gone (see _silent_note)
SILENT_SHARE = 0.05  # ... named in the methods note when they hold this share of the forecast total


def _silent_note(hist: pd.DataFrame, sel: Selection) -> str | None:
    """One sentence on accounts that ordered in one month only and not in the last
    :data:`SILENT_MONTHS` (not yet forecast zero) when they hold :data:`SILENT_SHARE` or more
    of the forecast total: each carries what similar accounts bought on average (or, where the
    backtest saw no similar accounts, the modified BG/NBD expected value), right in sum but not
    one by one. On the CDNOW log (``benchmarks/bench_real_data.py``) such customers
    bought 9% to 22% of the next six months' revenue, while most of them bought nothing."""
    y, ids, _ = wide_history(hist)
    if y.shape[1] <= SILENT_MONTHS or not np.array_equal(ids, sel.ids):
        return None
    ordering = np.nan_to_num(y) > 0
    silent = (ordering.sum(axis=1) == 1) & ~ordering[:, -SILENT_MONTHS:].any(axis=1) & (sel.method != "zero")
    h = min(HORIZON, sel.mean.shape[1])
    total = float(sel.mean[:, :h].sum())
    share = float(sel.mean[silent, :h].sum()) / total if total > 0 else 0.0
    if not silent.any() or share < SILENT_SHARE:
        return None
    n = int(silent.sum())
    who = "1 account has" if n == 1 else f"{n:,} accounts have"
    one_time = getattr(sel, "one_time", None)
    n_mbg = int(np.sum(silent & one_time)) if one_time is not None else 0
    if n_mbg == 0:
        what = "what similar accounts bought on average"
    elif n_mbg == n:
        what = "the modified BG/NBD expected value (the backtest had no similar accounts)"
    else:
        what = (
            f"what similar accounts bought on average, or for {n_mbg:,} of them the modified BG/NBD expected value "
            "(the backtest had no similar accounts)"
        )
    return (
        f"{who} ordered in one month only and not in the last {SILENT_MONTHS} months; their forecasts, "
        f"{share:.0%} of the total, are {what}. Most such accounts buy "
        "nothing again and a few come back, so these forecasts are right in sum, not account by account."
    )


def unseen_months_note(history, last_complete: pd.Timestamp) -> str | None:
    """One sentence naming the calendar months the history has never seen, where it holds under 12 complete
    months: a seasonal rise in those months (a year-end peak) cannot be in a forecast learnt from the others.
    None with a full year or more (or no complete month). ``history``: :func:`kamtools.history.order_history`;
    ``last_complete``: the last complete month before the analysis date."""
    n = int(history.complete_months)
    if n <= 0 or n >= 12:
        return None
    last = int(pd.Timestamp(last_complete).month)
    seen = [(last - n + i) % 12 + 1 for i in range(n)]
    unseen = [(last + i) % 12 + 1 for i in range(12 - n)]

    def span(months: list[int]) -> str:
        names = [calendar.month_name[m] for m in months]
        return names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"

    peak = ", such as a year-end peak," if 12 in unseen else ""
    return f"The history holds {span(seen)} only: a seasonal rise in {span(unseen)}{peak} cannot be in this forecast."


def _tilt_note(sel: Selection) -> str:
    """One sentence on the ordering-share tilt of a list chosen by revenue (``Selection.tilt``, from
    :func:`kamtools.forecast.selection.share_tilt`), where it moved an account's forecast; else nothing."""
    tilt = getattr(sel, "tilt", None)
    if tilt is None or not np.any(np.abs(np.asarray(tilt, dtype=float) - 1.0) >= TILTED):
        return ""
    return (
        " On a list chosen by revenue, an account that made it with a few large orders owes more of its place to "
        "luck that does not repeat than one that orders steadily, so each kind's correction is shared out by the "
        "share of months with an order, the steadier keeping more of their level (an account's reason gives its "
        "multiple)."
    )


def _year_mix_note(sel: Selection) -> str:
    """The sentences on the accounts whose level forecast was mixed with their last 12 months, and on the test of
    that mix below the year where the history held one (:mod:`kamtools.forecast.selection.year_mix`); else
    nothing."""
    mixed = getattr(sel, "year_mixed", None)
    mixed = np.zeros(0, dtype=bool) if mixed is None else np.asarray(mixed, dtype=bool)
    above = getattr(sel, "year_above", None)
    above = np.ones(len(mixed), dtype=bool) if above is None else np.asarray(above, dtype=bool)
    check = getattr(sel, "year_check", None)
    n, m = int(np.sum(mixed & above)), int(np.sum(mixed & ~above))
    out = ""
    if n or m:
        out = (
            " The test's past dates held under 12 months of history, so it could not check a forecast over a whole year"
        )
    if n:
        who = f"{n:,} account{'s' if n != 1 else ''}"
        out += (
            f"; {who} forecast by the kamtools model or the mean of the last 6 months above the mean month of "
            f"{'their' if n != 1 else 'its'} last 12 months, which would carry a season's peak into every month ahead, "
            f"{'are' if n != 1 else 'is'} forecast half by that and half by that mean (on forecasting-competition "
            "series cut to 12-17 months, this missed 12-month totals by 1-15% less than the model alone on average, "
            "most on seasonal series)."
        )
    elif m:
        out += "."
    if check is None or (not check.accounts):
        return out
    k = check.accounts
    their = "their" if k != 1 else "its"
    tested = (
        f" From the date a year into the data, {k:,} account{'s' if k != 1 else ''} with a year of {their} own then "
        f"ran below {their} year; over the {check.months} months after it the mix with the year's mean month missed "
        f"{their} totals by {abs(check.change):.0%} {'less' if check.change < 0 else 'more'} than the latest 6 "
        "months' level"
    )
    if m:
        who = f"{m:,} account{'s' if m != 1 else ''} forecast below {'their' if m != 1 else 'its'} year"
        return out + tested + f", so {who} {'are' if m != 1 else 'is'} mixed the same way."
    if check.favours_mix:
        return out + tested + "."
    few = ", too few accounts to decide on" if k < CHECK_ACCOUNTS else ""
    return out + tested + few + ", so a forecast below its year is left as it is."


def _note_methods(hist: pd.DataFrame, sel: Selection, notes: dict[str, str], backtested: bool = True) -> None:
    """The methods note (the out-of-time comparison, then the silent one-time buyers) into ``notes``;
    ``backtested`` False: the evidence is the one comparison of the simple methods on a short history."""
    lead = "Out of time" if backtested else "In the one comparison of the simple methods"
    where = "out of time" if backtested else "in that comparison"
    if len(sel.methods):
        cases_of = "account-origins" if backtested else "accounts"
        chosen = f" {sel.chosen_note}" if sel.chosen_note else ""
        chosen += _tilt_note(sel) + _year_mix_note(sel)
        notes["forecast_methods"] = _methods_note(sel, lead, cases_of) + chosen + " " + _range_note(sel, where)
    else:
        notes["forecast_methods"] = _range_note(sel, where)
    silent = _silent_note(hist, sel)
    if silent:
        notes["forecast_methods"] = (notes.get("forecast_methods", "") + " " + silent).strip()
