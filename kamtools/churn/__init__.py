"""Churn risk: which accounts are we about to lose, and why?

Most account "health scores" are weighted by intuition and do not predict churn. This
module learns churn from the portfolio's own history, proves it out of time against a
simple rule, and explains every account's risk in plain language.

* :func:`features` — one row per account from data known on ``as_of`` only (the
  portfolio is truncated first; leakage is impossible by construction): recency and
  cadence vs the account's usual gap, revenue/order trends, dropped categories, margin
  trend, complaints, payment behaviour, stakeholder coverage, lost bids and to whom,
  competitor price gaps, P(alive) and expected value from :mod:`kamtools.value`.
  Labels in :data:`FEATURE_LABELS`.
* :class:`ChurnDefinition` and :func:`training_set` — what churn means (default: no
  orders in the next 6 months) and labelled snapshots stepping back through history.
* :class:`ChurnModel` — a calibrated scikit-learn classifier for any tabular data set,
  choosing between a regularised logistic model, gradient boosting and their blend on
  held-out evidence, with per-row :meth:`~ChurnModel.explain`.
* :func:`score` — probability, risk band (chosen from revenue at risk), revenue at risk
  (probability x the account's 12-month forecast when one is given, else x the value
  model's expected 12-month value) and top drivers per account, falling back to the value model's probability of no order in
  the next ``horizon_months`` when history is too short to train a model.
* :func:`evaluate` — out-of-time backtest beside the recency baseline.
* :func:`bundle_tables` — the tables written by ``kamtools analyze``.

Example
-------
>>> from kamtools.churn import score, evaluate
>>> risk = score(portfolio)                       # doctest: +SKIP
>>> evaluate(portfolio).metrics                   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kamtools.churn.bands import churn_is_score
from kamtools.churn.baseline import recency_drivers, warning_columns
from kamtools.churn.features import (
    CATEGORICAL_FEATURES,
    FEATURE_LABELS,
    FEATURE_SOURCES,
    FEATURE_UNITS,
    feature_availability,
    features,
    format_value,
)
from kamtools.churn.labels import (
    DEFINITION_CONTEXT_KEY,
    ChurnDefinition,
    definition_from,
    definition_record,
    fit_definition,
    label_accounts,
    months_needed,
    snapshot_dates,
    training_set,
)
from kamtools.churn.model import ChurnModel
from kamtools.churn.scoring import (
    ChurnEvaluation,
    ChurnScores,
    baseline_beats_model,
    calibration_table,
    evaluate,
    planted_churn_check,
    recency_baseline,
    rescore_with_recency,
    risk_bands,
    score,
    score_details,
)
from kamtools.data.portfolio import NotAvailable, Portfolio

__all__ = [
    "CATEGORICAL_FEATURES",
    "FEATURE_LABELS",
    "FEATURE_SOURCES",
    "FEATURE_UNITS",
    "SUMMARY_COLUMNS",
    "ChurnDefinition",
    "ChurnEvaluation",
    "ChurnModel",
    "ChurnScores",
    "bundle_tables",
    "definition_from",
    "definition_record",
    "calibration_table",
    "evaluate",
    "feature_availability",
    "features",
    "fit_definition",
    "format_value",
    "label_accounts",
    "months_needed",
    "planted_churn_check",
    "recency_baseline",
    "risk_bands",
    "score",
    "score_details",
    "snapshot_dates",
    "training_set",
]

SUMMARY_COLUMNS = {"churn": ["churn_probability", "risk_band", "revenue_at_risk"]}

CHURN_COLUMNS = [
    "account_id",
    "risk_rank",
    "churn_probability",
    "risk_band",
    "revenue_at_risk",
    "expected_value_12m",
    "risk_base_12m",
    "risk_base",
    "p_alive",
    "method",
]
DRIVER_COLUMNS = [
    "account_id",
    "rank",
    "feature",
    "label",
    "contribution",
    "direction",
    "value",
    "value_text",
    "sentence",
]


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """Fit the churn model once for ``kamtools analyze`` and return its tables.

    ``churn`` (per account: ``risk_rank, churn_probability, risk_band, revenue_at_risk,
    expected_value_12m, p_alive, method``, ``driver_1..3`` and ``in_our_favour``: sentences
    a KAM can act on), ``churn_drivers`` (per account and rank, only the presentable drivers that raise
    the risk: ``feature, label, contribution, direction, value, value_text, sentence``),
    ``churn_features`` (per account feature values), and portfolio-level
    ``churn_evaluation`` (``metric, label, model, baseline`` plus the test snapshot, the
    chosen model, the definition and the band thresholds), ``churn_calibration``
    (``model, bin, mean_predicted, observed_rate, n``), ``churn_importance``
    (``feature, label, importance, share, direction, effect``) and
    ``churn_model_selection``. ``inputs["value"]`` is used for today's P(alive) and
    expected value when present; ``inputs["forecast_summary"]`` gives the 12-month forecast that
    revenue at risk multiplies (``risk_base_12m``, ``risk_base``: "forecast", or the value model
    for an account without one; ``_notes`` says which).

    The churn definition is ``inputs["_churn_definition"]`` (the one given to
    ``kamtools analyze``) or the default. Its windows are shortened when the order history is too short
    for them (:func:`kamtools.churn.labels.fit_definition`); ``_notes`` says so, or says how
    many months a churn model needs when none can be trained.
    """
    fit = fit_definition(portfolio, inputs.get(DEFINITION_CONTEXT_KEY) or ChurnDefinition())
    d = fit.definition
    value = inputs.get("value")
    training = training_set(portfolio, d, min_history_months=fit.min_history_months)
    res = score_details(
        portfolio,
        definition=d,
        value=value,
        training=training,
        short_history=None if fit.trainable else fit.note,
        value_model=inputs.get("value_model"),
        forecast=inputs.get("forecast_summary"),
    )
    if isinstance(res, NotAvailable):
        names = ["churn", "churn_drivers", "churn_features", "churn_evaluation", "churn_calibration"]
        return {n: res for n in names + ["churn_importance", "churn_model_selection"]}
    basis = next((n for n in res.notes if n.startswith("Revenue at risk is")), "")  # forecast or value model
    if churn_is_score(res.table):  # the unchecked fallback: a score, as the manifest's skip reasons say
        basis = basis.replace("the churn probability x", "the churn score x", 1)
    notes = {"churn": " ".join(n for n in (fit.note, basis) if n)} if fit.note or basis else {}
    out: dict[str, pd.DataFrame | NotAvailable] = {"_notes": notes}
    driver_cols = [c for c in res.table.columns if c.startswith("driver_") or c == "in_our_favour"]
    out["churn"] = res.table[CHURN_COLUMNS + driver_cols].copy()
    out["churn_features"] = res.features.copy()
    if res.model is None:
        why = NotAvailable(f"No churn model was trained; churn risk is {res.method}.")
        for n in (
            "churn_drivers",
            "churn_evaluation",
            "churn_calibration",
            "churn_importance",
            "churn_model_selection",
        ):
            out[n] = why
        return out
    out |= _model_tables(res)
    ev = evaluate(portfolio, d, training=training, min_history_months=fit.min_history_months)
    if isinstance(ev, NotAvailable):
        out["churn_evaluation"] = out["churn_calibration"] = ev
        return out
    out["churn_evaluation"], out["churn"] = _evaluation_table(ev, res, out["churn"], training, notes)
    if (out["churn_evaluation"]["shown"] == "baseline").any() and isinstance(out["churn_drivers"], pd.DataFrame):
        # the reasons explain the figure shown: the order gap first, the model's drivers as warning signs
        out["churn_drivers"] = recency_drivers(out["churn_drivers"], out["churn"], res.features, training)
        out["churn"] = warning_columns(out["churn"], out["churn_drivers"])  # the same warning signs on every face
    out["churn_calibration"] = ev.calibration
    return out


def _model_tables(res: ChurnScores) -> dict[str, pd.DataFrame | NotAvailable]:
    """``churn_drivers``, ``churn_importance`` and ``churn_model_selection`` of a trained churn model."""
    out: dict[str, pd.DataFrame | NotAvailable] = {}
    out["churn_drivers"] = (
        res.drivers[DRIVER_COLUMNS].copy()
        if res.drivers is not None
        else NotAvailable("No account was active, so there are no drivers to show.")
    )
    if res.contributions is not None and len(res.contributions):
        out["churn_importance"] = res.model.importance_from_contributions(res.active_features, res.contributions)
    else:
        out["churn_importance"] = NotAvailable("No account was active, so feature importance cannot be measured.")
    sel = res.model.selection_scores_.copy()
    sel["chosen"] = sel["model"] == res.model.chosen_model_
    out["churn_model_selection"] = sel if len(sel) else NotAvailable("The model family was fixed, not selected.")
    return out


def _evaluation_table(
    ev: ChurnEvaluation, res: ChurnScores, churn: pd.DataFrame, training: pd.DataFrame, notes: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``churn_evaluation``, ``churn``): the backtest's metrics with the test snapshot, the model, the definition
    and the band cut-offs; when the recency rule beat the model out of time, the churn table rescored by the
    rule and ``notes["churn"]`` saying so."""
    metrics = ev.metrics.copy()
    metrics["test_as_of"] = ev.test_as_of
    metrics["train_snapshots"] = len(ev.train_snapshots)
    metrics["chosen_model"] = ev.chosen_model
    metrics["definition"] = ev.definition
    metrics["high_band_from"] = res.thresholds["high"]
    metrics["medium_band_from"] = res.thresholds["medium"]
    if not baseline_beats_model(ev.metrics):  # a model that lost out of time is not shown as if it won
        metrics["shown"] = "model"
        return metrics, churn
    m = ev.metrics.set_index("metric")
    reason = (
        f"the recency rule (days since the last order against the account's usual gap), because the churn model "
        f"lost to it in a test on past data (the accounts as they were on {pd.Timestamp(ev.test_as_of).date()}; log loss "
        f"{m.loc['log_loss', 'model']:.3f} against {m.loc['log_loss', 'baseline']:.3f}, ROC AUC "
        f"{m.loc['roc_auc', 'model']:.2f} against {m.loc['roc_auc', 'baseline']:.2f})"
    )
    churn = rescore_with_recency(
        churn, res.features, training, reason, res.thresholds["high"], res.thresholds["medium"]
    )
    notes["churn"] = (
        f"Churn probabilities are {reason}; the first driver is the order gap the rule rests on, the churn model's "
        "drivers follow as warning signs the figure does not use."
    ) + (f" {notes['churn']}" if notes.get("churn") else "")
    metrics["shown"] = "baseline"
    return metrics, churn
