"""The out-of-time backtest of the churn model beside the recency baseline: :func:`evaluate`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score, roc_curve

from kamtools.churn._training import MIN_CHURN_EVENTS, MIN_TRAIN_ROWS, _model_params
from kamtools.churn.baseline import recency_baseline
from kamtools.churn.labels import ChurnDefinition, months_needed, training_set
from kamtools.churn.model import ChurnModel
from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import order_history

METRIC_LABELS = {
    "roc_auc": "ROC AUC (ranking; 0.5 = random, 1 = perfect)",
    "pr_auc": "PR AUC (average precision; base rate = random)",
    "brier": "Brier score (mean squared error of the probability; lower is better)",
    "log_loss": "Log loss (lower is better)",
    "lift_top_decile": "Lift in the top 10% (churn rate there / overall churn rate)",
    "captured_top_decile": "Share of churners found in the top 10%",
    "base_rate": "Churn rate in the test snapshot",
    "n_accounts": "Accounts in the test snapshot",
    "n_churned": "Of which churned",
}


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    order = np.argsort(-p, kind="stable")
    k = max(1, int(np.ceil(0.1 * len(y))))
    top_rate = y[order[:k]].mean()
    base = y.mean()
    two = len(np.unique(y)) == 2
    return {
        "roc_auc": roc_auc_score(y, p) if two else np.nan,
        "pr_auc": average_precision_score(y, p) if two else np.nan,
        "brier": brier_score_loss(y, p),
        "log_loss": log_loss(y, p, labels=[0, 1]),
        "lift_top_decile": top_rate / base if base > 0 else np.nan,
        "captured_top_decile": y[order[:k]].sum() / y.sum() if y.sum() > 0 else np.nan,
        "base_rate": base,
        "n_accounts": float(len(y)),
        "n_churned": float(y.sum()),
    }


def calibration_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Equal-count bins of predicted probability: ``bin, mean_predicted, observed_rate, n``."""
    order = np.argsort(p, kind="stable")
    chunks = [c for c in np.array_split(order, min(n_bins, max(1, len(p)))) if len(c)]
    return pd.DataFrame(
        {
            "bin": np.arange(1, len(chunks) + 1),
            "mean_predicted": [float(p[c].mean()) for c in chunks],
            "observed_rate": [float(y[c].mean()) for c in chunks],
            "n": [int(len(c)) for c in chunks],
        }
    )


def _gains(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    order = np.argsort(-p, kind="stable")
    n = len(y)
    hits = np.cumsum(y[order])
    share_accounts = np.arange(1, n + 1) / n
    captured = hits / max(y.sum(), 1)
    grid = np.linspace(0.0, 1.0, 51)
    return pd.DataFrame(
        {"share_accounts": grid, "share_churners": np.interp(grid, np.r_[0, share_accounts], np.r_[0, captured])}
    )


@dataclass
class ChurnEvaluation:
    """Out-of-time backtest of the churn model beside the recency baseline.

    Attributes: ``metrics`` (``metric, label, model, baseline``), ``calibration``
    (``model, bin, mean_predicted, observed_rate, n``), ``roc`` (``model, fpr, tpr``),
    ``gains`` (``model, share_accounts, share_churners``), ``predictions`` (``account_id,
    as_of, churned, p_model, p_baseline``), ``selection`` (the model's
    ``selection_scores_``), ``importance`` (global importance on the test snapshot),
    ``chosen_model``, ``test_as_of``, ``train_snapshots``, ``definition``.
    """

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    roc: pd.DataFrame
    gains: pd.DataFrame
    predictions: pd.DataFrame
    selection: pd.DataFrame
    importance: pd.DataFrame
    chosen_model: str
    test_as_of: pd.Timestamp
    train_snapshots: list[pd.Timestamp]
    definition: str
    model: ChurnModel | None = None


def evaluate(
    portfolio: Portfolio,
    definition: ChurnDefinition | None = None,
    test_as_of: str | pd.Timestamp | None = None,
    model: ChurnModel | dict | None = None,
    training: pd.DataFrame | None = None,
    step_months: int = 3,
    max_snapshots: int | None = None,
    random_state: int = 0,
    min_history_months: int = 12,
) -> ChurnEvaluation | NotAvailable:
    """Out-of-time backtest: train on snapshots before a cutoff, test on a later one.

    The test snapshot is ``test_as_of`` (default: the latest snapshot with a complete
    label window). The model is trained only on snapshots whose label window ends on or
    before it, so no training label has seen the test period. Metrics (ROC AUC, PR AUC,
    Brier, log loss, top-decile lift) are reported beside the recency baseline
    (:func:`recency_baseline`). NotAvailable when history is too short (the reason says
    how many months the backtest needs: ``min_history_months`` before the first training
    snapshot, two label windows and a step).
    """
    d = definition or ChurnDefinition()
    if training is None:
        training = training_set(
            portfolio, d, step_months=step_months, max_snapshots=max_snapshots, min_history_months=min_history_months
        )
    split = _out_of_time_split(portfolio, training, d, test_as_of, step_months, min_history_months)
    if isinstance(split, NotAvailable):
        return split
    train, test, t_test = split
    fitted = _model_params(model, d, random_state)
    fitted.fit(train.drop(columns="churned"), train["churned"].astype(bool).to_numpy())
    y = test["churned"].astype(int).to_numpy()
    Xte = test.drop(columns="churned")
    p_model = fitted.predict_proba(Xte)[:, 1]
    p_base = recency_baseline(train, test)
    calibration, roc_df, gains_df = _curves(y, p_model, p_base)
    predictions = pd.DataFrame(
        {
            "account_id": test["account_id"].astype(str).to_numpy(),
            "as_of": test["as_of"].to_numpy(),
            "churned": y.astype(bool),
            "p_model": p_model,
            "p_baseline": p_base,
        }
    )
    return ChurnEvaluation(
        metrics=_metrics_table(y, p_model, p_base),
        calibration=calibration,
        roc=roc_df,
        gains=gains_df,
        predictions=predictions,
        selection=fitted.selection_scores_,
        importance=fitted.global_importance(Xte),
        chosen_model=fitted.chosen_model_,
        test_as_of=t_test,
        train_snapshots=[pd.Timestamp(s) for s in sorted(train["as_of"].unique())],
        definition=d.describe(),
        model=fitted,
    )


def _out_of_time_split(
    portfolio: Portfolio,
    training: pd.DataFrame,
    d: ChurnDefinition,
    test_as_of: str | pd.Timestamp | None,
    step_months: int,
    min_history_months: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp] | NotAvailable:
    """(train, test, test date): the test snapshot and the snapshots whose label window closed before it,
    or NotAvailable saying why the history cannot be backtested."""
    if training.empty:
        return NotAvailable(
            "No snapshot of history has a complete label window, so the churn model cannot be backtested."
        )
    snaps = sorted(training["as_of"].unique())
    t_test = pd.Timestamp(test_as_of) if test_as_of is not None else pd.Timestamp(snaps[-1])
    test = training[training["as_of"] == t_test]
    if test.empty:
        return NotAvailable(
            f"No labelled snapshot on {t_test.date()}; choose one of {[str(pd.Timestamp(s).date()) for s in snaps]}."
        )
    cutoff = t_test - pd.DateOffset(months=d.label_window_months)
    train = training[training["as_of"] <= cutoff]
    n_events = int(train["churned"].sum())
    if train["as_of"].nunique() < 2:
        need = months_needed(d, min_history_months, step_months) + d.label_window_months
        return NotAvailable(
            f"Too little history before {t_test.date()} to backtest the churn model out of time "
            f"({train['as_of'].nunique()} training snapshots before it): the backtest needs about {need} months of "
            f"order history under this definition, and this portfolio has {order_history(portfolio).describe()}."
        )
    if len(train) < MIN_TRAIN_ROWS or n_events < MIN_CHURN_EVENTS:
        return NotAvailable(
            f"Too few accounts before {t_test.date()} to backtest the churn model ({len(train):,} account-snapshots, "
            f"{n_events:,} churn events; it needs {MIN_TRAIN_ROWS} and {MIN_CHURN_EVENTS})."
        )
    return train, test, t_test


def _metrics_table(y: np.ndarray, p_model: np.ndarray, p_base: np.ndarray) -> pd.DataFrame:
    """``metric, label, model, baseline``: each metric of the model beside the recency baseline."""
    m_model, m_base = _metrics(y, p_model), _metrics(y, p_base)
    return pd.DataFrame(
        {
            "metric": list(m_model),
            "label": [METRIC_LABELS[k] for k in m_model],
            "model": [m_model[k] for k in m_model],
            "baseline": [m_base[k] for k in m_model],
        }
    )


def _curves(y: np.ndarray, p_model: np.ndarray, p_base: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Calibration bins, ROC curve and cumulative gains of the model and of the baseline."""
    names = {"model": "churn model", "baseline": "recency baseline"}
    calib, roc, gains = [], [], []
    for key, pr in (("model", p_model), ("baseline", p_base)):
        calib.append(calibration_table(y, pr).assign(model=names[key]))
        if len(np.unique(y)) == 2:
            fpr, tpr, _ = roc_curve(y, pr)
            roc.append(pd.DataFrame({"model": names[key], "fpr": fpr, "tpr": tpr}))
        gains.append(_gains(y, pr).assign(model=names[key]))
    calibration = pd.concat(calib, ignore_index=True)[["model", "bin", "mean_predicted", "observed_rate", "n"]]
    roc_df = pd.concat(roc, ignore_index=True) if roc else pd.DataFrame(columns=["model", "fpr", "tpr"])
    gains_df = pd.concat(gains, ignore_index=True)[["model", "share_accounts", "share_churners"]]
    return calibration, roc_df, gains_df
