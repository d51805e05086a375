"""A churn feature with no value at all in the training rows (e.g. no account in a fold had a
bid) must not stop the analysis: scikit-learn's gradient-boosting binning fails on it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn.model import ChurnModel, EmptyColumnsAsZero


def _training_rows(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    gap = rng.gamma(2.0, 30.0, n)
    X = pd.DataFrame(
        {
            "account_id": [f"A{i % 100:03d}" for i in range(n)],
            "as_of": pd.to_datetime("2025-01-31") + pd.to_timedelta((np.arange(n) // 100) * 30, unit="D"),
            "days_since_last_order": gap,
            # one account ever bid: the cross-validation fold that holds it out trains on no value at all
            "bid_win_rate": np.where(np.arange(n) % 100 == 0, rng.random(n), np.nan),
            "industry": rng.choice(["a", "b"], n),
        }
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-(gap - 60) / 20))).astype(int)
    return X, y


def test_boosting_fits_with_a_feature_that_has_no_value():
    X, y = _training_rows()
    model = ChurnModel(model="boosting").fit(X, y)
    p = model.predict_proba(X)[:, 1]
    assert np.isfinite(p).all()
    # the informative feature still ranks accounts: long gaps score higher
    assert p[X["days_since_last_order"] > 120].mean() > p[X["days_since_last_order"] < 30].mean()


def test_only_the_empty_columns_become_constant():
    X = np.array([[1.0, np.nan, np.nan], [2.0, np.nan, 3.0]])
    step = EmptyColumnsAsZero().fit(X)
    out = step.transform(np.array([[5.0, 7.0, np.nan]]))
    np.testing.assert_array_equal(out, [[5.0, 0.0, np.nan]])
