"""The sentence why an account takes its class's choice (:mod:`kamtools.forecast.selection.choice`).

:func:`_class_reason` says what the account's forecast rests on and what the test on past data among similar accounts
(or all accounts, where too few were alike) found for it, in the plain words of
:mod:`kamtools.forecast.selection.plain`; :func:`_mix_reason` why it takes the equal mix, and
:func:`_zero_class_reason` why a class that did not come back is forecast zero.
"""

from __future__ import annotations

import numpy as np

from kamtools.display import money
from kamtools.forecast.selection.choice import ClassChoice
from kamtools.forecast.selection.plain import TEST, adjusted, basis, short, totals
from kamtools.forecast.selection.state import class_words

# the words of a reason whose class had too few backtest cases, so that all accounts stood in for it (the range's
# evidence too: the account page must not call those cases "accounts like this one")
POOLED = "too few accounts like this one had been seen"


def _mix_reason(c: ClassChoice, factor: float, horizon: int | None = None) -> str:
    """Why an account takes the equal mix (:func:`_mixed_choice`)."""
    single = sorted((o for o in c.mae if o != "combined" and np.isfinite(c.mae[o])), key=lambda o: c.mae[o])
    scaled = abs(factor - 1.0) >= 0.05
    text = (
        f"Based on {basis('combined')}{adjusted(factor) if scaled else ''}. The test on past data had a single date, "
        "and across all accounts it could not tell these forecasts apart (the mix missed "
        f"{totals(horizon)} by {money(c.mae['combined'])} on average"
    )
    if single:
        text += f", against {money(c.mae[single[0]])} for {short(single[0])}, the best single forecast"
    text += "), and a mix errs less than one forecast picked on so little"
    if scaled:
        text += f"; such accounts bought {factor:.0%} of what it forecast"
    return text + "."


def _class_reason(m: str, k: int, c: ClassChoice, factor: float, horizon: int | None = None) -> str:
    """What the account's forecast rests on, then what the test on past data among accounts like it (or all
    accounts, where too few were alike) found for it: how far its totals missed, against its rival's, and the
    correction to what such accounts bought."""
    if m == "combined" and "combined" in c.mae:
        return _mix_reason(c, factor, horizon)
    who = "all accounts" if c.pooled else class_words(k)
    others = sorted((o for o in c.mae if o != m and np.isfinite(c.mae[o])), key=lambda o: c.mae[o])
    rival = "model" if m != "model" and "model" in c.mae else (others[0] if others else None)
    scaled = abs(factor - 1.0) >= 0.05
    head = f"Based on {basis(m)}{adjusted(factor) if scaled else ''}"
    among = f"{TEST} among {who}"
    tied = [o for o in others if m in c.mae and money(c.mae[o]) == money(c.mae[m])]  # a tie is not "lowest"
    if tied:
        text = (
            f"{head}. {among[0].upper()}{among[1:]}, this forecast missed {totals(horizon)} by {money(c.mae[m])} on "
            f"average, as little as {short(tied[0])}"
        )
        if rival is not None and rival not in tied:
            text += f" ({short(rival)} missed by {money(c.mae[rival])})"
    lower = [o for o in others if m in c.mae and o not in tied and c.mae[o] < c.mae[m]]
    if lower and not tied:
        # not the lowest error: the steadiness rule (see _choose_on) preferred a method that needed less correction
        o = c.method if c.method in lower else lower[0]
        words = short(o)
        if m != c.method:  # the class's choice gives this account no forecast: the next best that does
            text = (
                f"{head}, because {words}, which missed less {among} ({totals(horizon)} off by {money(c.mae[o])} on "
                f"average, against {money(c.mae[m])} for this forecast), gives no forecast for this account"
            )
        else:
            text = (
                f"{head}, although {words} missed slightly less {among} (this forecast missed {totals(horizon)} by "
                f"{money(c.mae[m])} on average, against {money(c.mae[o])}): {words} had to be "
                f"{'lowered' if c.factor.get(o, 1.0) < 1 else 'raised'} to {c.factor.get(o, 1.0):.0%} to match what "
                "such accounts bought, and a forecast that needs that much correction is only taken when it misses "
                "clearly less"
            )
    elif not tied:
        if m in c.mae:
            text = (
                f"{head}. {among[0].upper()}{among[1:]}, this forecast missed {totals(horizon)} by "
                f"{money(c.mae[m])} on average, the least of the forecasts compared"
            )
            if rival is not None:
                text += f" ({short(rival)} missed by {money(c.mae[rival])})"
        else:
            text = f"{head}, the forecast that missed least {among}"
    if scaled:
        text += f"; such accounts bought {factor:.0%} of what it forecast"
    elif c.uncorrected and c.list_capped:
        text += (
            "; they bought more than forecast then, but it is not raised to match: in a list chosen by revenue the "
            "accounts tested at a single "
            "past date are few and among its heaviest, and what they bought above the forecast does not carry "
            "to the list, which falls back as such a list does"
        )
    elif c.pooled and c.uncorrected:
        text += (
            "; they bought more than forecast then, but it is not raised to match: a rise at a single past date is "
            "mostly the whole "
            "portfolio's growth in that period, which need not repeat"
        )
    if c.pooled:
        text += f". All accounts were compared because {POOLED} for a test of their own"
    return text + "."


def _zero_class_reason(k: int, c: ClassChoice, horizon: int | None = None) -> str:
    """A class forecast zero because zero missed least. Where most of its accounts bought nothing, the sentence says
    so before what they bought together: Online Retail's "bought back only 79% of their former level" read as a
    reason to expect most of the level, where most accounts bought nothing and a few bought much."""
    missed = f"a forecast of zero missed least ({totals(horizon)} off by {money(c.mae['zero'])} on average)"
    if np.isfinite(c.bought_none) and c.bought_none >= 0.5:
        return (
            f"Forecast zero: {TEST}, {c.bought_none:.0%} of similar accounts ({class_words(k)}) bought nothing and "
            f"all of them together bought {c.bought_back:.0%} of their former level, so for a typical account "
            f"{missed}."
        )
    return (
        f"Forecast zero: {TEST}, similar accounts ({class_words(k)}) bought back only {c.bought_back:.0%} of their "
        f"former level, and {missed}."
    )
