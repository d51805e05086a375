"""Accounts that have most likely stopped buying: what the forecast note tells the reader (issue 17)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from kamtools.forecast import accounts


def _hist(n_steady: int, n_once: int, months: int = 18) -> pd.DataFrame:
    """Monthly history: steady buyers every month, one-time buyers who ordered 8 months before the end."""
    ds = pd.date_range("2025-01-01", periods=months, freq="MS")
    rows = []
    for i in range(n_steady):
        rows += [(f"S{i:02d}", d, 100.0) for d in ds]
    for i in range(n_once):
        first = months - 9
        rows += [(f"X{i:02d}", d, 50.0 if j == first else 0.0) for j, d in enumerate(ds) if j >= first]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def _selection(hist: pd.DataFrame, per_month: dict[str, float], zero: tuple[str, ...] = ()) -> SimpleNamespace:
    ids = np.array(sorted(hist["unique_id"].unique()))
    mean = np.array([[0.0 if u in zero else per_month[u[0]]] * accounts.HORIZON for u in ids])
    method = np.array(["zero" if u in zero else "btyd" for u in ids])
    return SimpleNamespace(ids=ids, method=method, mean=mean)


def test_silent_one_time_buyers_holding_a_share_of_the_total_are_named_in_the_note():
    hist = _hist(n_steady=10, n_once=20)
    note = accounts._silent_note(hist, _selection(hist, {"S": 100.0, "X": 10.0}))
    # 20 x 10 of 10 x 100 + 20 x 10 a month: 17% of the total
    assert note is not None
    assert note.startswith("20 accounts have ordered in one month only and not in the last 6 months")
    assert "17% of the total" in note and "right in sum, not account by account" in note


def test_no_note_when_they_are_forecast_zero_or_hold_little():
    hist = _hist(n_steady=10, n_once=20)
    zeroed = tuple(f"X{i:02d}" for i in range(20))
    assert accounts._silent_note(hist, _selection(hist, {"S": 100.0, "X": 10.0}, zero=zeroed)) is None
    assert accounts._silent_note(hist, _selection(hist, {"S": 100.0, "X": 1.0})) is None  # 2% of the total
    steady = _hist(n_steady=10, n_once=0)
    assert accounts._silent_note(steady, _selection(steady, {"S": 100.0})) is None
