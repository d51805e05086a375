"""The plain words of a forecast reason: what a forecast rests on, and how a test on past data is said.

An account's reason (``forecast_summary.forecast_method_reason``, on the account page and in the deck's speaker
notes) is read by a key account manager preparing a review, not by an analyst: it names what the forecast is based
on (:func:`basis`: its own recent months, how often accounts like it buy, ...) and gives the evidence in figures
the reader can check (shares, months, counts, amounts), never a method's name without those words. The methods
appendix names the methods (``forecast_method`` and the ``forecast_methods`` table keep the names for analysts).

:data:`PLAIN_BANNED` lists the words a reason must not use; ``tests/test_plain_reasons.py`` holds every reason
kind to it.
"""

from __future__ import annotations

# what each method's forecast rests on, as the object of "based on"
BASIS = {
    "model": "a model of its own monthly history (the kamtools model)",
    "recent_mean": "its average month over the last 6 months",
    "level_12m": "its average month over the last 12 months",
    "seasonal_naive": "what it bought in the same months a year before",
    "btyd": "how often and how much it has bought, with the chance that it has stopped (the buying-rhythm model)",
    "window_mean": "its average month over all months of the data",
    "combined": (
        "an equal mix of three forecasts: a model of its own monthly history (the kamtools model), the buying-rhythm "
        "model and its average month over the last 6 months"
    ),
    "zero": "nothing (lapsed)",
    "returning": "what accounts as silent bought back",
}

# a method named beside another (the rival of a comparison): short, the appendix explains the names
SHORT = {
    "model": "the kamtools model",
    "recent_mean": "the average of the last 6 months",
    "level_12m": "the average of the last 12 months",
    "seasonal_naive": "the same months a year before",
    "btyd": "the buying-rhythm model",
    "window_mean": "the average of all months of the data",
    "combined": "the equal mix",
    "zero": "a forecast of zero",
}

# how every reason says "out of time": a test of the forecasts on past dates, against what was then bought
TEST = "in a test on past data"
# after an account's own test (reasons._own_override): why its range is wider than its own misses. Out of time the
# accounts chosen by their own few tests missed their next 12 months by more than their largest own miss about half
# the time (demo 300 and quick demo, 5 cuts: benchmarks/bench_range_width.py, OWNRANGE)
OWN_TESTS_RANGE = (
    " Those few tests also chose this forecast, so they tend to understate how far the next year may stray; its 80% "
    "range is where accounts like this one ended."
)

# how a reason of a zero forecast begins (a page whose head says the forecast is zero reads on after it)
ZERO_LEADS = ("Forecast zero: ", "Forecast zero. ")

# words of the analyst's log that no reason may use (the appendix explains the methods; "kamtools model" and
# "buying-rhythm model" appear only beside the plain words of BASIS)
PLAIN_BANNED = (
    "out of time",
    "out-of-time",
    "horizon total",
    "backtest",
    "BTYD",
    "BG/NBD",
    "expected value",
    "scaled by",
    "as fitted",
    "MAE",
    "calibrat",
    "mean of last",
)


def basis(method: str) -> str:
    """What a forecast by ``method`` rests on, in plain words (the method's key where none are written)."""
    return BASIS.get(method, method)


def short(method: str) -> str:
    """A method named beside another, in a few words."""
    return SHORT.get(method, method)


def adjusted(factor: float) -> str:
    """The words of a correction of the forecast to what such accounts bought: a factor 0.63 reads ", lowered by
    37%", 1.06 ", raised by 6%" (the reason gives the share they bought, 63% or 106%, beside it); a factor of 0
    ", lowered to zero" (one-time buyers who never came back: "lowered by 100%" read as a figure, not a zero)."""
    if factor <= 0:
        return ", lowered to zero"
    if factor < 0.005:  # not zero, yet it would round to "lowered by 100%"
        return ", lowered by over 99%"
    return f", {'lowered' if factor < 1 else 'raised'} by {abs(factor - 1):.0%}"


def months(n: int) -> str:
    return "1 month" if int(n) == 1 else f"{int(n)} months"


def totals(horizon: int | None) -> str:
    """What the test compared: each account's total over the months after a past date."""
    return "their totals" if horizon is None else f"their {int(horizon)}-month totals"


def glossary() -> str:
    """The methods appendix's key from the reasons' plain words to the methods' names (``forecast_methods``)."""
    from kamtools.forecast.selection.paths import CANDIDATES, METHOD_WORDS  # the analyst's names of the table

    named = "; ".join(f"{METHOD_WORDS[m]}: {BASIS[m]}" for m in (*CANDIDATES, "window_mean"))
    return (
        ' The account pages\' reasons say this in plain words: "a test on past data" is this out-of-time '
        'comparison, "missed their 12-month totals by X on average" the MAE after correction, "lowered by 37%" a '
        f"correction factor of 0.63, and each method is named by what it rests on ({named})."
    )


# what a slide says the forecast is based on, where a page gives the whole reason (kamtools.deck.build): the
# method's key as in kamtools.forecast.selection.paths.METHOD_WORDS, whose names ("BTYD expected value", "mean of last
# 6 months") are the analyst's
SLIDE = {
    **SHORT,
    "zero": "nothing: the account is treated as lapsed",
    "returning": "what accounts as silent bought back",
    "combined": "an equal mix of three forecasts",
}


def slide_words(description: object) -> str | None:
    """The plain words of a forecast method named by its description (``forecast_summary.forecast_method``, e.g.
    ``"BTYD expected value"`` -> ``"the buying-rhythm model"``); None for a description no method has."""
    from kamtools.forecast.selection.paths import METHOD_WORDS

    keys = {words: key for key, words in METHOD_WORDS.items()}
    key = keys.get(str(description))
    return SLIDE.get(key) if key else None
