"""The recency rule a KAM would use, and the churn table rescored by it when it beats the model out of time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from kamtools.churn.bands import BANDS, _ranked, risk_bands
from kamtools.churn.catalogue import FEATURE_LABELS, format_value
from kamtools.churn.drivers import said_already
from kamtools.churn.reasons import RISK_DIRECTION
from kamtools.churn.sentences import driver_text, recency_rule_reason

WARNING_SIGN = "warning sign"
"""``direction`` of a churn model's driver kept beside the recency rule's probability: a signal the model saw,
which the figure shown does not rest on."""
WARNING_PREFIX = "Warning sign, not in the churn figure: "
"""How such a driver's sentence starts on every face (the overview's main-driver column, the deck, the plan)."""


def _x(df: pd.DataFrame) -> np.ndarray:
    return np.log1p(df["recency_ratio"].fillna(df["recency_ratio"].median()).to_numpy(dtype=float))[:, None]


def _recency_fit(train: pd.DataFrame) -> LogisticRegression:
    return LogisticRegression().fit(_x(train), train["churned"].astype(int).to_numpy())


def recency_baseline(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The simple rule a KAM would use: days since the last order / the usual gap.

    Mapped to a probability by a one-variable logistic fit on ``train`` (so its Brier score
    and calibration are comparable); its ranking (AUC) is the rule's own.
    """
    return _recency_fit(train).predict_proba(_x(test))[:, 1]


def recency_floor(train: pd.DataFrame) -> float:
    """The recency rule's lowest probability: that of an account that ordered today (ratio 0), as fitted on ``train``.

    The rule's probability grows with the order gap, so no active account scores below it."""
    lr = _recency_fit(train)
    return float(1.0 / (1.0 + np.exp(-float(lr.intercept_[0]))))


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
    risk and ranks recomputed, and ``method`` saying why (``reason``; when the rule's lowest figure,
    :func:`recency_floor`, is at or above the ``medium`` cut-off, the method says so: no active account
    can be in the low band). Lapsed accounts and accounts without orders keep their rows.

    A reason explains the figure shown: ``driver_1`` of an active account becomes the order gap the rule
    rests on (:func:`~kamtools.churn.sentences.recency_rule_reason`) and the churn model's first two drivers
    follow in ``driver_2``/``driver_3`` as warning signs (:data:`WARNING_PREFIX`) the figure does not use."""
    out = table.copy()
    active = out["risk_band"].isin(BANDS).to_numpy()
    if not active.any():
        return out
    rows = _gap_rows(features, out.loc[active, "account_id"])
    prob = recency_baseline(training, rows)
    out.loc[active, "churn_probability"] = prob
    base = "risk_base_12m" if "risk_base_12m" in out.columns else "expected_value_12m"  # the forecast, when given
    out.loc[active, "revenue_at_risk"] = prob * out.loc[active, base].fillna(0.0).to_numpy()
    bands, _ = risk_bands(prob, None, high, medium)
    out.loc[active, "risk_band"] = bands
    floor = recency_floor(training)
    if floor >= medium:
        reason = (
            f"{reason}; under this rule an account that has just ordered has a churn probability of {floor:.0%}, the "
            f"lowest it gives, so no active account is in the low band (under {medium:.0%})"
        )
    out.loc[active, "method"] = reason
    if "driver_1" in out.columns:
        _recency_driver_columns(out, active, rows)
    return _ranked(out)


def _recency_driver_columns(out: pd.DataFrame, active: np.ndarray, rows: pd.DataFrame) -> None:
    """``driver_1`` the order gap the rule rests on; ``driver_2``/``driver_3`` the model's first drivers other than
    the order gap, as warning signs (:data:`WARNING_PREFIX`)."""
    cols = [c for c in ("driver_1", "driver_2", "driver_3") if c in out.columns]
    model = out.loc[active, cols].fillna("").astype(str).to_numpy()
    records = rows.to_dict("records")
    firsts, signs = [], []
    for rec, said in zip(records, model, strict=True):
        gap = driver_text("recency_ratio", rec)  # the model's own sentence of the order gap: not a warning sign
        signs.append([f"{WARNING_PREFIX}{t}" for t in said if t and t != gap][: len(cols) - 1])
        firsts.append(recency_rule_reason(rec) or "")
    out.loc[active, "driver_1"] = firsts
    for k, col in enumerate(cols[1:]):
        out.loc[active, col] = [s[k] if k < len(s) else "" for s in signs]


def _first_telling(rows: pd.DataFrame) -> np.ndarray:
    """Per row (sorted by account), whether no earlier row of its account already says its sentence
    (:func:`kamtools.churn.drivers.said_already`)."""
    keep = np.ones(len(rows), dtype=bool)
    said: dict[str, list[str]] = {}
    for k, (aid, sentence) in enumerate(zip(rows["account_id"].astype(str), rows["sentence"].astype(str))):
        before = said.setdefault(aid, [])
        if said_already(sentence, before):
            keep[k] = False
        else:
            before.append(sentence)
    return keep


_GAP_FEATURES = ("days_since_last_order", "recency_ratio")  # what the rule rests on: its reason, not a warning sign


def _gap_rows(features: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The order-gap features of the accounts ``ids``, in their order (absent columns left out)."""
    feats = features.assign(account_id=features["account_id"].astype(str)).set_index("account_id")
    cols = [c for c in ("recency_ratio", "days_since_last_order", "usual_order_gap_days") if c in feats.columns]
    return feats.loc[ids.astype(str), cols].reset_index(drop=True)


def _worse_than_typical(rows: pd.DataFrame, features: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """Per driver row, whether the account's value is worse than the typical active account's (the median of
    ``features`` over ``ids``, in the direction :data:`~kamtools.churn.reasons.RISK_DIRECTION` gives). A fact
    without a number (the competitor bids were lost to) or a median counts as worse. The trained model may weigh a
    value that is better than most accounts' as raising the risk (the quick demo's model did so for bids priced
    level with the competitor's, where the typical bid was 4% dearer); beside a figure that does not use it, such a
    value is no warning."""
    feats = features[features["account_id"].astype(str).isin(set(ids.astype(str)))]
    named = [f for f in rows["feature"].astype(str).unique() if f in RISK_DIRECTION and f in feats.columns]
    typical = {f: pd.to_numeric(feats[f], errors="coerce").median() for f in named}  # once per feature
    keep = np.ones(len(rows), dtype=bool)
    for k, (feature, value) in enumerate(zip(rows["feature"].astype(str), rows["value"], strict=True)):
        median = typical.get(feature, np.nan)
        if pd.notna(value) and pd.notna(median):
            keep[k] = RISK_DIRECTION[feature] * (float(value) - float(median)) > 0
    return keep


def warning_columns(churn: pd.DataFrame, drivers: pd.DataFrame) -> pd.DataFrame:
    """``churn`` with ``driver_2``/``driver_3`` of the active accounts their warning signs in ``drivers``
    (:func:`recency_drivers`) in rank order, so that the churn table's columns (the overview, the deck) list what the
    account page lists."""
    cols = [c for c in ("driver_2", "driver_3") if c in churn.columns]
    if not cols or "direction" not in drivers.columns:
        return churn
    out = churn.copy()
    signs = drivers[drivers["direction"].astype(str) == WARNING_SIGN].sort_values(["account_id", "rank"])
    said = signs.groupby(signs["account_id"].astype(str), sort=False)["sentence"].agg(list)
    rows = out["risk_band"].isin(BANDS)
    for k, col in enumerate(cols):
        out.loc[rows, col] = [
            said[a][k] if a in said.index and k < len(said[a]) else "" for a in out.loc[rows, "account_id"].astype(str)
        ]
    return out


def recency_drivers(
    drivers: pd.DataFrame, churn: pd.DataFrame, features: pd.DataFrame, training: pd.DataFrame
) -> pd.DataFrame:
    """The ``churn_drivers`` table when the recency rule gives the probabilities (:func:`rescore_with_recency`).

    Rank 1 of every active account is the order gap the rule rests on (feature ``recency_ratio``; its
    ``contribution`` is the rule's log-odds above an account that has just ordered; ``raises risk`` when the
    gap is longer than usual, ``lowers risk`` otherwise). The churn model's drivers follow from rank 2 with
    ``direction`` :data:`WARNING_SIGN` and their sentence prefixed by :data:`WARNING_PREFIX`, so no face
    gives them as the reasons for a figure they did not produce. Only the drivers that raise the model's risk and
    whose value is worse than the typical active account's (:func:`_worse_than_typical`) are warning signs; the
    churn table's columns follow with :func:`warning_columns`. Lapsed accounts keep none.
    """
    columns = list(drivers.columns)
    active = churn[churn["risk_band"].isin(BANDS)]
    ids = active["account_id"].astype(str).reset_index(drop=True)
    if ids.empty:
        return drivers.iloc[0:0].copy()
    rows = _gap_rows(features, ids)
    coef = float(_recency_fit(training).coef_[0, 0])
    ratio = rows["recency_ratio"].to_numpy(dtype=float)
    gap = pd.DataFrame(
        {
            "account_id": ids,
            "rank": 1,
            "feature": "recency_ratio",
            "label": FEATURE_LABELS["recency_ratio"],
            "contribution": coef * np.log1p(np.where(np.isnan(ratio), 0.0, ratio)),
            "direction": np.where(ratio > 1.0, "raises risk", "lowers risk"),
            "value": ratio,
            "value_text": [format_value("recency_ratio", v) for v in ratio],
            "sentence": [recency_rule_reason(r) or "" for r in rows.to_dict("records")],
        }
    )
    gap = gap[gap["sentence"] != ""]
    seen = drivers[drivers["account_id"].astype(str).isin(set(ids)) & ~drivers["feature"].isin(_GAP_FEATURES)]
    if "direction" in seen.columns:  # what lowers the risk is no warning
        seen = seen[seen["direction"].astype(str) == "raises risk"]
    seen = seen[_worse_than_typical(seen, features, ids)].copy()
    seen = seen.sort_values(["account_id", "rank"], kind="stable")
    seen = seen[_first_telling(seen)]  # the model's reasons and favourable drivers can tell one fact twice
    seen["rank"] = seen.groupby("account_id", sort=False).cumcount() + 2
    seen["direction"] = WARNING_SIGN
    seen["sentence"] = WARNING_PREFIX + seen["sentence"].astype(str)
    out = pd.concat([gap, seen[gap.columns]], ignore_index=True)
    out = out.sort_values(["account_id", "rank"], kind="stable").reset_index(drop=True)
    out["rank"] = out["rank"].astype(drivers["rank"].dtype if "rank" in drivers.columns else np.int64)
    for col in ("account_id", "feature", "label", "direction", "value_text", "sentence"):
        if col in drivers.columns:
            out[col] = out[col].astype(drivers[col].dtype)
    for col in ("contribution", "value"):
        out[col] = out[col].astype(float)
    return out[columns]
