"""Scoring the portfolio, risk bands, revenue at risk and the out-of-time backtest.

Risk bands
----------
The band is a function of the churn probability alone, so it reads the same on every
account: **high** from :data:`HIGH_RISK_P` (30%: churn is likely enough to act on, about
three times the demo's base churn rate), **medium** from :data:`MEDIUM_RISK_P` (10%,
around the base rate), **low** below. A higher probability never gets a lower band, and
the high band holds only the accounts where churn is likely (on the 300-account demo a
small minority). Money is ranked separately: the churn table is ordered by revenue at
risk (``risk_rank``), so a large account at a medium probability still comes first there.
The cut-offs used are reported (``thresholds``). Accounts with no order in the lookback
window of the churn definition are **lapsed** (already gone; not scored by the model).

Revenue at risk
---------------
``revenue_at_risk = churn_probability x expected_value_12m``, where the expected 12-month
value is the value model's discounted expected revenue (``kamtools.value``; note that it
already weighs in the value model's own P(alive), so this is a conservative figure) or,
without the value model, the last 12 months' revenue as a run rate.

Fallback
--------
When history holds too few labelled snapshots or churn events to learn from
(:data:`MIN_TRAIN_ROWS`, :data:`MIN_CHURN_EVENTS`), the probability is the value model's
probability that the account places **no order in the next** ``horizon_months`` (the
full-churn event of the definition; :func:`kamtools.value.p_no_order`), and the
``method`` column says so, adding that partial churn (a revenue drop) is not covered when
the definition includes it. ``1 - P(alive)`` is not used: it is the chance that the
account has already stopped, not of the churn event, and runs far below the churn rate
(CDNOW: mean 0.22 where 52.6% churned). Only when the value tables cannot give it is the
fallback ``1 - P(alive)``, then called a churn *score*, not a probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score, roc_curve

from kamtools.churn._value import from_context, no_order_probability, value_table
from kamtools.churn.features import (
    FEATURE_LABELS,
    PRESENTABLE_FEATURES,
    _codes,
    _day,
    _days,
    _max,
    driver_text,
    features,
    format_value,
    reassuring_side,
    risky_side,
)
from kamtools.churn.labels import ChurnDefinition, training_set
from kamtools.churn.model import ChurnModel
from kamtools.data.portfolio import NotAvailable, Portfolio

__all__ = [
    "MIN_TRAIN_ROWS",
    "MIN_CHURN_EVENTS",
    "ChurnScores",
    "ChurnEvaluation",
    "risk_bands",
    "HIGH_RISK_P",
    "MEDIUM_RISK_P",
    "score",
    "score_details",
    "presentable_drivers",
    "evaluate",
    "recency_baseline",
    "METRIC_LABELS",
]

MIN_TRAIN_ROWS = 100
MIN_CHURN_EVENTS = 15
BANDS = ("high", "medium", "low")

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


# ---------------------------------------------------------------------------------------
# risk bands
# ---------------------------------------------------------------------------------------
HIGH_RISK_P = 0.30
"""Churn probability from which an account is in the **high** risk band."""
MEDIUM_RISK_P = 0.10
"""Churn probability from which an account is in the **medium** risk band."""


def risk_bands(
    probability: np.ndarray,
    revenue_at_risk: np.ndarray | None = None,
    high: float = HIGH_RISK_P,
    medium: float = MEDIUM_RISK_P,
) -> tuple[np.ndarray, dict[str, float]]:
    """Risk band per account from its churn probability only (module docstring).

    ``high`` and ``medium`` are the probability cut-offs (``p >= high`` is high,
    ``medium <= p < high`` medium, the rest low; a missing probability is low).
    ``revenue_at_risk`` is not used for the band (money is ranked separately); it is
    accepted so callers can pass both. Returns (bands array of ``"high"``/``"medium"``/
    ``"low"``, thresholds dict with the cut-offs ``high`` and ``medium``).
    """
    if not 0 < medium < high <= 1:
        raise ValueError("risk_bands: need 0 < medium < high <= 1 (probability cut-offs)")
    p = np.nan_to_num(np.asarray(probability, dtype=float), nan=0.0)
    bands = np.full(len(p), "low", dtype=object)
    bands[p >= medium] = "medium"
    bands[p >= high] = "high"
    return bands, {"high": float(high), "medium": float(medium)}


# ---------------------------------------------------------------------------------------
# drivers shown to a KAM
# ---------------------------------------------------------------------------------------
def presentable_drivers(
    X: pd.DataFrame, contributions: pd.DataFrame, top: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reasons behind each account's churn risk that a KAM can act on, as sentences.

    ``X`` holds the scored accounts' features (one row per account, the order of
    ``contributions``, the model's per-feature log-odds contributions). Only features in
    :data:`~kamtools.churn.features.PRESENTABLE_FEATURES` are considered, so static
    attributes (region, industry, tenure) and other models' outputs (P(alive), expected
    value) may move the probability but are never given as the account's reasons.

    Returns ``(reasons, favourable)``, both with columns ``row`` (position in X), ``rank``,
    ``feature``, ``label``, ``contribution``, ``direction``, ``value``, ``value_text``,
    ``sentence``. ``reasons`` holds up to ``top`` drivers per account that raise the risk
    *and* whose value is on the worrying side (more complaints, falling revenue, a long
    order gap); a value the model weighs against intuition (fast growth raising the risk)
    is not presented as a reason. ``favourable`` holds up to ``top`` drivers that lower
    the risk with a reassuring value ("what works for us").
    """
    cols = [c for c in contributions.columns if c in PRESENTABLE_FEATURES and c in X.columns]
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(X[c])]
    reference = X[numeric].median(numeric_only=True).to_dict() if numeric else {}
    C = contributions[cols].to_numpy(dtype=float) if cols else np.zeros((len(X), 0))
    records = X.to_dict("records")
    found: dict[str, list[tuple]] = {"reasons": [], "favourable": []}
    for i, rec in enumerate(records):
        if not cols:
            break
        c = C[i]
        for kind, order, keep in (
            ("reasons", np.argsort(-c, kind="stable"), risky_side),
            ("favourable", np.argsort(c, kind="stable"), reassuring_side),
        ):
            rank = 0
            said: set[str] = set()  # two features can tell the same fact (order gap in days and as a ratio)
            for j in order:
                if rank >= top or (kind == "reasons" and c[j] <= 0) or (kind == "favourable" and c[j] >= 0):
                    break
                f = cols[j]
                if not keep(f, rec, reference):
                    continue
                sentence = driver_text(f, rec)
                if not sentence or sentence in said:
                    continue
                said.add(sentence)
                rank += 1
                v = rec.get(f)
                num = float(v) if f in numeric and v is not None and not pd.isna(v) else np.nan
                found[kind].append((i, rank, f, float(c[j]), num, format_value(f, v), sentence))
    out = []
    for kind, direction in (("reasons", "raises risk"), ("favourable", "lowers risk")):
        df = pd.DataFrame(
            found[kind], columns=["row", "rank", "feature", "contribution", "value", "value_text", "sentence"]
        )
        df["row"] = df["row"].astype(np.int64)
        df["rank"] = df["rank"].astype(np.int64)
        df.insert(3, "label", df["feature"].map(FEATURE_LABELS))
        df.insert(5, "direction", direction)
        df["contribution"] = df["contribution"].astype(float)
        df["value"] = df["value"].astype(float)
        for col in ("feature", "label", "direction", "value_text", "sentence"):
            df[col] = df[col].astype("str")
        out.append(df)
    return out[0], out[1]


# ---------------------------------------------------------------------------------------
# scoring
# ---------------------------------------------------------------------------------------
@dataclass
class ChurnScores:
    """Everything :func:`score_details` computed (the bundle writes these tables)."""

    table: pd.DataFrame
    drivers: pd.DataFrame | None
    features: pd.DataFrame
    method: str
    thresholds: dict[str, float]
    model: ChurnModel | None = None
    training: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    active_features: pd.DataFrame | None = None
    contributions: pd.DataFrame | None = None


def _value_for(p: Portfolio, value: pd.DataFrame | None) -> pd.DataFrame | str:
    if value is not None:
        return from_context(value)
    return value_table(p)


def _features_with_value(p: Portfolio, value_tab: pd.DataFrame | str) -> pd.DataFrame:
    """Features at p.as_of, using an already fitted value table when there is one."""
    X = features(p, use_value=False)
    unavailable = dict(X.attrs.get("unavailable", {}))
    unavailable.pop("p_alive", None)
    unavailable.pop("expected_value_12m", None)
    if isinstance(value_tab, str):
        unavailable["p_alive"] = unavailable["expected_value_12m"] = value_tab
    else:
        X = X.merge(value_tab, on="account_id", how="left")
    X.attrs["unavailable"] = unavailable
    return X


def _active_mask(p: Portfolio, definition: ChurnDefinition) -> tuple[np.ndarray, np.ndarray]:
    """(active on as_of, ever ordered) per account of p.accounts (vectorised)."""
    index = pd.Index(p.accounts["account_id"].astype(object))
    code = _codes(p.orders["account_id"], index)
    day = _days(p.orders["order_date"])
    last = _max(code, day, np.ones(len(day), dtype=bool), len(index))
    start = _day(p.as_of - pd.DateOffset(months=definition.lookback_months))
    ever = ~np.isnan(last)
    return ever & (np.nan_to_num(last, nan=-np.inf) > start), ever


def _model_params(model: ChurnModel | dict | None, definition: ChurnDefinition, random_state: int) -> ChurnModel:
    if isinstance(model, ChurnModel):
        from sklearn.base import clone

        return clone(model)
    params = {"time_gap_months": definition.label_window_months, "random_state": random_state}
    params.update(model or {})
    return ChurnModel(**params)


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """The churn table ordered by revenue at risk (ties by account_id), ``risk_rank`` 1..n as its second column."""
    out = table.drop(columns="risk_rank", errors="ignore")
    out = out.sort_values(["revenue_at_risk", "account_id"], ascending=[False, True], kind="stable")
    out.insert(1, "risk_rank", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)


def score_details(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    definition: ChurnDefinition | None = None,
    model: ChurnModel | dict | None = None,
    value: pd.DataFrame | None = None,
    training: pd.DataFrame | None = None,
    high_band_p: float = HIGH_RISK_P,
    medium_band_p: float = MEDIUM_RISK_P,
    top: int = 3,
    step_months: int = 3,
    max_snapshots: int | None = None,
    random_state: int = 0,
    short_history: str | None = None,
    value_model: pd.DataFrame | None = None,
) -> ChurnScores | NotAvailable:
    """Fit on history before ``as_of`` and score every account on ``as_of``.

    ``model`` is a dict of :class:`ChurnModel` parameters, an unfitted ChurnModel (cloned
    and trained here) or a *fitted* ChurnModel (used as is, no training). ``value`` is a
    value table (``account_id, p_alive, expected_value_12m``) to use instead of refitting
    the value model at ``as_of``; ``training`` a precomputed :func:`training_set` (same
    portfolio, definition and ``as_of``). ``short_history`` is the sentence saying why the
    history is too short to train (from :func:`kamtools.churn.labels.fit_definition`), used
    as the reason when no model can be trained. ``value_model`` is the value model's
    table (with ``value``, it gives the fallback without refitting). Returns
    :class:`ChurnScores`, or NotAvailable when neither a churn model nor the value
    model can be fitted.
    """
    d = definition or ChurnDefinition()
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    p = portfolio if as_of == portfolio.as_of else portfolio.truncate(as_of)
    value_tab = _value_for(p, value)
    X = _features_with_value(p, value_tab)
    if training is None and not (isinstance(model, ChurnModel) and hasattr(model, "estimators_")):
        training = training_set(p, d, step_months=step_months, max_snapshots=max_snapshots)
    elif training is None:
        training = pd.DataFrame({"as_of": pd.to_datetime([]), "churned": pd.Series([], dtype=bool)})
    active, ever = _active_mask(p, d)
    n_events = int(training["churned"].sum()) if len(training) else 0
    n_snap = training["as_of"].nunique() if len(training) else 0
    notes: list[str] = []
    fitted: ChurnModel | None = None
    drivers: pd.DataFrame | None = None
    favourable: pd.DataFrame | None = None
    contributions: pd.DataFrame | None = None
    prefitted = isinstance(model, ChurnModel) and hasattr(model, "estimators_")
    if prefitted or (len(training) >= MIN_TRAIN_ROWS and n_events >= MIN_CHURN_EVENTS and n_snap >= 2):
        if prefitted:
            fitted = model
        else:
            fitted = _model_params(model, d, random_state)
            fitted.fit(training.drop(columns="churned"), training["churned"].astype(bool).to_numpy())
        # features missing now but present in training (e.g. value model failed today): NaN
        for col in fitted.numeric_columns_ + fitted.categorical_columns_:
            if col not in X.columns:
                X[col] = np.nan
        prob = np.full(len(X), np.nan)
        Xa = X[active].reset_index(drop=True)
        if len(Xa):
            prob[active] = fitted.predict_proba(Xa)[:, 1]
            contributions = fitted.contributions(Xa)
            drivers, favourable = presentable_drivers(Xa, contributions, top=top)
        method_active = f"churn model ({fitted.chosen_model_}, calibrated {fitted.calibration_method_ or 'no'}"
        if prefitted:
            method_active += "; a model fitted beforehand)"
        else:
            method_active += (
                f"; trained on {n_snap} snapshots, {len(training):,} account-snapshots, {n_events} churn events)"
            )
    else:
        why = (
            f"the history is too short to train a churn model ({n_snap} labelled snapshots, {len(training):,} "
            f"account-snapshots, {n_events} churn events; need {MIN_TRAIN_ROWS} rows and {MIN_CHURN_EVENTS} events)"
        )
        if short_history and n_snap < 2:
            why = short_history[0].lower() + short_history[1:].rstrip(".")
        elif n_snap >= 2:
            why = (
                f"there are too few accounts to train a churn model ({n_snap} labelled snapshots give {len(training):,} "
                f"account-snapshots and {n_events} churn events; it needs {MIN_TRAIN_ROWS} and {MIN_CHURN_EVENTS})"
            )
        if isinstance(value_tab, str):
            return NotAvailable(f"Churn risk cannot be estimated: {why}, and {value_tab[0].lower()}{value_tab[1:]}")
        h = d.horizon_months
        none = no_order_probability(p, value, value_model, h)
        uncovered = "" if d.kind == "full" else "; a revenue drop (partial churn) is not covered"
        if none is not None:
            prob = X["account_id"].astype(str).map(none).to_numpy(dtype=float)
            method_active = (
                f"the value model's probability of no order in the next {h} months{uncovered}, because {why}"
            )
        else:
            prob = 1.0 - X["p_alive"].to_numpy(dtype=float)
            method_active = (
                f"a churn score, not a probability: 1 - P(alive) from the value model (the chance that the account "
                f"has already stopped buying, which runs below the churn rate), because {why}"
            )
        notes.append(method_active)
    if isinstance(value_tab, str):
        ev = X["revenue_12m"].to_numpy(dtype=float)
        notes.append(f"Expected 12-month value is last-12-month revenue ({value_tab})")
    else:
        ev = X["expected_value_12m"].to_numpy(dtype=float)
    ev = np.nan_to_num(ev, nan=0.0)
    lapsed = ~active
    prob = np.where(lapsed & ever, 1.0, prob)
    rar = np.nan_to_num(prob * ev, nan=0.0)
    bands, thresholds = risk_bands(np.where(active, prob, 0.0)[active], rar[active], high_band_p, medium_band_p)
    band = np.full(len(X), "lapsed", dtype=object)
    band[active] = bands
    band[~ever] = "no orders yet"
    method = np.full(len(X), method_active, dtype=object)
    method[lapsed & ever] = f"lapsed: no orders in the last {d.lookback_months} months"
    method[~ever] = "no orders yet"
    table = pd.DataFrame(
        {
            "account_id": X["account_id"].astype(str).to_numpy(),
            "churn_probability": prob,
            "risk_band": pd.array(band, dtype="str"),
            "revenue_at_risk": rar,
            "expected_value_12m": ev,
            "p_alive": X["p_alive"].to_numpy(dtype=float) if "p_alive" in X.columns else np.nan,
            "method": pd.array(method, dtype="str"),
        }
    )
    if drivers is not None:
        ids = X.loc[active, "account_id"].astype(str).to_numpy()
        drivers.insert(0, "account_id", pd.array(ids[drivers["row"].to_numpy()], dtype="str"))
        drivers = drivers.drop(columns="row")
        wide = drivers.pivot(index="account_id", columns="rank", values="sentence") if len(drivers) else None
        for r in range(1, top + 1):
            col = wide[r] if wide is not None and r in wide.columns else pd.Series(dtype="str")
            table[f"driver_{r}"] = table["account_id"].map(col).fillna("").astype("str")
        if favourable is not None:
            good = favourable.assign(account_id=ids[favourable["row"].to_numpy()])
            joined = good.groupby("account_id", sort=False)["sentence"].agg("; ".join)
            table["in_our_favour"] = table["account_id"].map(joined).fillna("").astype("str")
    table = _ranked(table)
    active_X = X[active].reset_index(drop=True)
    return ChurnScores(table, drivers, X, method_active, thresholds, fitted, training, notes, active_X, contributions)


def score(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, **kwargs) -> pd.DataFrame | NotAvailable:
    """Churn risk of every account on ``as_of`` (default the portfolio's).

    A :class:`ChurnModel` is trained on labelled history before ``as_of`` (see
    :func:`kamtools.churn.training_set`) and applied to today's features.

    Returns one row per account, highest revenue at risk first: ``account_id``,
    ``risk_rank``, ``churn_probability`` (calibrated, 0-1), ``risk_band`` (high / medium
    / low from the probability, ``lapsed``, ``no orders yet``), ``revenue_at_risk``
    (probability x expected 12-month value, currency), ``expected_value_12m``,
    ``p_alive``, ``method`` (how the probability was obtained, including the fallback),
    ``driver_1..driver_3`` (the reasons that raise the risk, as sentences a KAM can act on;
    empty when none is presentable, see :func:`presentable_drivers`) and ``in_our_favour``
    (drivers that lower the risk, as sentences joined by "; "). Keyword arguments go to
    :func:`score_details`. NotAvailable when nothing can be estimated.
    """
    result = score_details(portfolio, as_of, **kwargs)
    if isinstance(result, NotAvailable):
        return result
    out = result.table
    out.attrs["thresholds"] = result.thresholds
    out.attrs["method"] = result.method
    return out


# ---------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------
def recency_baseline(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The simple rule a KAM would use: days since the last order / the usual gap.

    Mapped to a probability by a one-variable logistic fit on ``train`` (so its Brier score
    and calibration are comparable); its ranking (AUC) is the rule's own.
    """

    def x(df: pd.DataFrame) -> np.ndarray:
        return np.log1p(df["recency_ratio"].fillna(df["recency_ratio"].median()).to_numpy(dtype=float))[:, None]

    lr = LogisticRegression().fit(x(train), train["churned"].astype(int).to_numpy())
    return lr.predict_proba(x(test))[:, 1]


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
        from kamtools.churn.labels import months_needed
        from kamtools.history import order_history

        need = months_needed(d, min_history_months, step_months) + d.label_window_months
        return NotAvailable(
            f"Too little history before {t_test.date()} to backtest the churn model out of time "
            f"({train['as_of'].nunique()} training snapshots before it): the backtest needs about {need} months of "
            f"order history under this definition, and this portfolio has {order_history(portfolio).describe()}."
        )
    if len(train) < MIN_TRAIN_ROWS or n_events < MIN_CHURN_EVENTS:
        return NotAvailable(
            f"Too few accounts before {t_test.date()} to backtest the churn model ({len(train):,} account-snapshots, "
            f"{n_events} churn events; it needs {MIN_TRAIN_ROWS} and {MIN_CHURN_EVENTS})."
        )
    fitted = _model_params(model, d, random_state)
    fitted.fit(train.drop(columns="churned"), train["churned"].astype(bool).to_numpy())
    y = test["churned"].astype(int).to_numpy()
    Xte = test.drop(columns="churned")
    p_model = fitted.predict_proba(Xte)[:, 1]
    p_base = recency_baseline(train, test)
    m_model, m_base = _metrics(y, p_model), _metrics(y, p_base)
    metrics = pd.DataFrame(
        {
            "metric": list(m_model),
            "label": [METRIC_LABELS[k] for k in m_model],
            "model": [m_model[k] for k in m_model],
            "baseline": [m_base[k] for k in m_model],
        }
    )
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
        metrics=metrics,
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


def planted_churn_check(
    portfolio: Portfolio,
    truth_churn: pd.DataFrame,
    months_before: int = 3,
    definition: ChurnDefinition | None = None,
    step_months: int = 3,
    **kwargs,
) -> pd.DataFrame:
    """Were planted churners flagged at least ``months_before`` months before they churned?

    For demo data (``truth_churn`` is ``PlantedTruth.churn``: ``account_id, churned,
    churn_kind, churn_date``). Scoring dates lie on a grid every ``step_months`` ending at
    the portfolio's ``as_of``; each planted churner is looked up at the latest grid date at
    least ``months_before`` months before its churn date, where a model trained only on
    history before that date scored it (:func:`score_details`). The labelled snapshots are
    computed once from the whole portfolio and each fit uses only those whose label window
    had closed by its scoring date, which equals building them from the truncated portfolio.

    Returns ``account_id, churn_kind, churn_date, scored_on, months_ahead,
    churn_probability, risk_band, risk_rank_pct`` (rank among active accounts as a share;
    small = riskiest) and ``method`` (model or P(alive) fallback on that date).
    """
    d = definition or ChurnDefinition()
    churners = truth_churn[truth_churn["churned"].astype(bool)].copy()
    grid = [(portfolio.as_of - pd.DateOffset(months=k * step_months)).normalize() for k in range(0, 400 // step_months)]
    history = training_set(portfolio, d, step_months=step_months)
    latest = []
    for date in churners["churn_date"]:
        limit = pd.Timestamp(date) - pd.DateOffset(months=months_before) - pd.Timedelta(days=1)
        ok = [g for g in grid if g <= limit]
        latest.append(max(ok) if ok else pd.NaT)
    churners["scored_on"] = pd.to_datetime(latest)
    rows = []
    for when, group in churners.dropna(subset=["scored_on"]).groupby("scored_on"):
        train = history[history["as_of"] <= when - pd.DateOffset(months=d.label_window_months)]
        res = score_details(portfolio, as_of=when, definition=d, training=train, step_months=step_months, **kwargs)
        if isinstance(res, NotAvailable):
            continue
        t = res.table
        active = t[t["risk_band"].isin(BANDS)].copy()
        active["risk_rank_pct"] = active["churn_probability"].rank(ascending=False, pct=True)
        scored = t[["account_id", "churn_probability", "risk_band", "method"]].merge(
            active[["account_id", "risk_rank_pct"]], on="account_id", how="left"
        )
        rows.append(group.merge(scored, on="account_id", how="left"))
    cols = [
        "account_id",
        "churn_kind",
        "churn_date",
        "scored_on",
        "months_ahead",
        "churn_probability",
        "risk_band",
        "risk_rank_pct",
        "method",
    ]
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    out["months_ahead"] = (out["churn_date"] - out["scored_on"]).dt.days / (365.25 / 12)
    return out[cols].sort_values(["churn_date", "account_id"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# a model that loses out of time is not shown
# ---------------------------------------------------------------------------------------
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
