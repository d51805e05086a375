"""Issue 17 (SWEEPREAL, CDNOW random 1000 at 1997-12-31): the note on forecasts at the top of their range reads in
a KAM's words.

The account page read "The forecast is the top of the 80% range for 607 of 1,000 accounts: out of time, between 80%
and 81% of accounts of this portfolio bought less than their forecast": "out of time" is the analyst's term
(kamtools.forecast.selection.plain.PLAIN_BANNED); the reasons beside it say "in a test on past data"."""

from __future__ import annotations

import numpy as np

from kamtools.forecast import notes, selection
from kamtools.forecast.selection.plain import PLAIN_BANNED

H = 3


def test_the_top_of_range_note_says_a_test_on_past_data():
    rng = np.random.default_rng(5)
    n = 200
    y = rng.gamma(2.0, 50.0, (n, 12)) * (rng.random((n, 12)) < 0.9)
    y[: int(n * 0.85), 6:] = 0.0  # most accounts stop after month 6, a few keep buying
    ids = np.array([f"A{i:03d}" for i in range(n)])
    ev = selection.build_evidence(y, ids, [5, 7], H)
    mean = np.repeat(np.nanmean(y[:, -6:], axis=1, keepdims=True), H, axis=1) + 1.0
    lo, hi = {80: mean * 0.5, 95: mean * 0.3}, {80: mean * 1.5, 95: mean * 1.8}
    sel = selection.select(y, ids, mean, lo, hi, mean * 0.3, ev, None)
    note = notes._top_of_range_note(sel, mean.sum(axis=1) * 4)
    assert note.startswith("The forecast is the top of the 80% range for 200 of 200 accounts: in a test on past data, ")
    assert not [w for w in PLAIN_BANNED if w.lower() in note.lower()]
