"""The recency rule a KAM would use, and the churn table rescored by it when it beats the model out of time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from kamtools.churn.bands import BANDS, _ranked, risk_bands


def recency_baseline(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The simple rule a KAM would use: days since the last order / the usual gap.

    Mapped to a probability by a one-variable logistic fit on ``train`` (so its Brier score
    and calibration are comparable); its ranking (AUC) is the rule's own.
    """

    def x(df: pd.DataFrame) -> np.ndarray:
        return np.log1p(df["recency_ratio"].fillna(df["recency_ratio"].median()).to_numpy(dtype=float))[:, None]

    lr = LogisticRegression().fit(x(train), train["churned"].astype(int).to_numpy())
    return lr.predict_proba(x(test))[:, 1]


def baseline_beats_model(metrics: pd.DataFrame) -> bool:
    """True when the recency rule beat the churn model in the out-of-time test on both the
    probability (log loss) and the ranking (ROC AUC): then its probabilities are shown instead."""
    m = metrics.set_index("metric")
    try:
        ll_model, ll_base = float(m.loc["log_loss", "model"]), float(m.loc["log_loss", "baseline"])
        auc_model, auc_base = float(m.loc["roc_auc", "model"]), float(m.loc["roc_auc", "baseline"])
    except (KeyError, TypeError, ValueError):
        return False
    if not all(np.isfinite([ll_model, ll_base, auc_model, auc_base])):
        return False
    return ll_model > ll_base and auc_model < auc_base


def rescore_with_recency(
    table: pd.DataFrame, features: pd.DataFrame, training: pd.DataFrame, reason: str, high: float, medium: float
) -> pd.DataFrame:
    """``table`` (the ``churn`` table) with the active accounts' probabilities from the recency
    rule (:func:`recency_baseline`, fitted on the same ``training`` rows), bands, revenue at
    risk and ranks recomputed, and ``method`` saying why (``reason``). Lapsed accounts and
    accounts without orders keep their rows; the drivers stay (they are the account's signals)."""
    out = table.copy()
    active = out["risk_band"].isin(BANDS).to_numpy()
    if not active.any():
        return out
    feats = features.assign(account_id=features["account_id"].astype(str)).set_index("account_id")
    rows = feats.loc[out.loc[active, "account_id"].astype(str), ["recency_ratio"]]
    prob = recency_baseline(training, rows.reset_index(drop=True))
    out.loc[active, "churn_probability"] = prob
    out.loc[active, "revenue_at_risk"] = prob * out.loc[active, "expected_value_12m"].fillna(0.0).to_numpy()
    bands, _ = risk_bands(prob, None, high, medium)
    out.loc[active, "risk_band"] = bands
    out.loc[active, "method"] = reason
    return _ranked(out)
