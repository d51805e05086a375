"""Issue 17 (SWEEPREAL, Online Retail top 200 at 2011-05-31): a method that forecast the very same numbers as
another at the test's past date is not a second forecast to compare with.

With 6 months of history the short-history comparison's past date had 3 months behind it, so "the average of the
last 12 months" and "the average of the last 6 months" were both the average of those 3 months. The account page
read "this forecast missed their 3-month totals by 2.7k on average, as little as the average of the last 12 months":
a tie with itself under another name, and a 12-month window the data did not hold. The duplicate now leaves the
comparison (the forecast chosen does not change: the first candidate of equal numbers was already the one taken)."""

from __future__ import annotations

import numpy as np

from kamtools.forecast import selection as S

H = 3


def _evidence(level: np.ndarray) -> S.Evidence:
    r = 40
    rng = np.random.default_rng(0)
    mean6 = rng.uniform(500.0, 1500.0, (r, 1)) * np.ones((r, H))
    return S.Evidence(
        account=np.array([f"A{i}" for i in range(r)], dtype=object),
        klass=np.ones(r, dtype=int),
        scale=np.ones(r),
        actual=mean6 * rng.uniform(0.5, 1.5, (r, H)),
        paths={"recent_mean": mean6, "level_12m": level(mean6), "btyd": np.full((r, H), 1000.0)},
        lapsed_ref=mean6[:, 0],
        horizon=H,
        origin=np.zeros(r, dtype=int),
    )


def _reason(ev: S.Evidence) -> tuple[str, S.ClassChoice]:
    choices, pooled = S.choose_by_class(ev, ("recent_mean", "level_12m", "btyd"))
    c = choices[1]
    return S._class_reason(c.method, 1, c, c.factor[c.method], H), pooled


def test_a_method_with_the_same_numbers_is_not_a_rival_nor_a_tie():
    reason, pooled = _reason(_evidence(lambda m: m.copy()))
    assert pooled.method == "recent_mean"
    assert "level_12m" not in pooled.mae
    assert "as little as" not in reason
    assert "last 12 months" not in reason
    assert "the least of the forecasts compared" in reason


def test_a_method_with_other_numbers_is_still_compared():
    reason, pooled = _reason(_evidence(lambda m: m * 1.1))
    assert "level_12m" in pooled.mae


def test_the_methods_note_says_why_the_12_month_mean_is_not_counted():
    """The note read "Too few cases to compare: mean of last 12 months" once the duplicate left the comparison:
    there were as many cases as for the mean of 6 months; it forecast the same numbers."""
    import pandas as pd

    from kamtools.forecast import notes, selection

    rng = np.random.default_rng(3)
    y = rng.gamma(2.0, 50.0, (60, 6)) * (rng.random((60, 6)) < 0.8)
    ids = np.array([f"A{i:02d}" for i in range(len(y))])
    ev = selection.build_evidence(y, ids, [2], H)  # 3 months behind the one past date: both means the same
    mean = np.repeat(np.nanmean(y, axis=1, keepdims=True), H, axis=1)
    sel = selection.select(
        y, ids, mean, {80: mean * 0.5, 95: mean * 0.3}, {80: mean * 1.5, 95: mean * 1.8}, mean * 0.3, ev, None
    )
    months = pd.date_range("2023-01-01", periods=y.shape[1], freq="MS")
    hist = pd.DataFrame({"unique_id": np.repeat(ids, y.shape[1]), "ds": np.tile(months, len(y)), "y": y.ravel()})
    out: dict[str, str] = {}
    notes._note_methods(hist, sel, out)
    note = out["forecast_methods"]
    assert "mean of last 12 months forecast the same as the mean of last 6 months there" in note
    assert "Too few cases to compare: mean of last 12 months" not in note
