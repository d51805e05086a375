"""Issue 17 (SWEEPREAL, CDNOW top 100 at 1997-12-31 and Online Retail top 200, --format pptx): the account deck's
forecast line names the method in a KAM's words.

The slide read "Forecast for the next 12 months: 4.9k (-53% on the last 12 months), method: BTYD expected value."
beside an HTML page whose reason says "Based on how often and how much it has bought ... (the buying-rhythm model)".
"""

from __future__ import annotations

from kamtools.forecast.selection.paths import METHOD_WORDS
from kamtools.forecast.selection.plain import PLAIN_BANNED, slide_words


def test_every_method_has_slide_words_without_the_analysts_terms():
    for key, description in METHOD_WORDS.items():
        words = slide_words(description)
        assert words, key
        assert not [w for w in PLAIN_BANNED if w.lower() in words.lower()], (key, words)
    assert slide_words("BTYD expected value") == "the buying-rhythm model"
    assert slide_words("lapsed: zero") == "nothing: the account is treated as lapsed"
    assert slide_words("something else") is None
