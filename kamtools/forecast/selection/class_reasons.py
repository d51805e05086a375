"""The sentence why an account takes its class's choice (:mod:`kamtools.forecast.selection.choice`).

:func:`_class_reason` says what the out-of-time comparison among similar accounts (or all accounts, where too few
were alike) found for the method the account takes, :func:`_mix_reason` why it takes the equal mix, and
:func:`_zero_class_reason` why a class that did not come back is forecast zero.
"""

from __future__ import annotations

import numpy as np

from kamtools.display import money
from kamtools.forecast.selection.choice import ClassChoice
from kamtools.forecast.selection.paths import METHOD_WORDS
from kamtools.forecast.selection.state import class_words

# the words of a reason whose class had too few backtest cases, so that all accounts stood in for it (the range's
# evidence too: the account page must not call those cases "accounts like this one")
POOLED = "too few accounts like this one had been seen"


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
    elif c.uncorrected and c.list_capped:
        text += (
            ", not scaled up to what they bought then: in a list chosen by revenue the accounts checked at a single "
            "backtest date are few and among its heaviest, and what they bought above the forecast does not carry "
            "to the list, which falls back as such a list does"
        )
    elif c.pooled and c.uncorrected:
        text += (
            ", not scaled up to what they bought then: a rise at a single backtest date is mostly the whole "
            "portfolio's growth in that period, which need not repeat"
        )
    if c.pooled:
        text += f". All accounts were compared because {POOLED} for a comparison of their own"
    return text + "."


def _zero_class_reason(k: int, c: ClassChoice) -> str:
    return (
        f"Similar accounts ({class_words(k)}) bought back only {c.bought_back:.0%} of their former level "
        f"out of time, where a zero forecast erred less (its horizon totals were off by {money(c.mae['zero'])} "
        "on average) than any other."
    )
