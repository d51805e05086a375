"""`ChurnModel`: a calibrated churn classifier for any tabular customer data set.

It follows the scikit-learn estimator contract (``clone``, ``cross_val_score``,
pipelines work) and accepts a DataFrame of numeric and text columns with missing values,
not only kamtools features. Two model families are built:

``"logistic"``
    median imputation with missing-value indicators, a signed log transform of heavily
    skewed numbers, one-hot encoding of text columns (``handle_unknown="ignore"``,
    rare levels grouped), standardisation of every column and an L2-regularised
    logistic regression.
``"boosting"``
    histogram gradient boosting with native categorical splits (text columns ordinal-
    encoded, unknown levels at predict time treated as missing) and native missing values.

``model="auto"`` compares both, and their average (``"blend"``), on held-out data —
out of time when the data has a snapshot column (train on earlier snapshots, validate on
the latest), otherwise grouped (by ``id_column``) or stratified cross-validation — and
keeps the one with the lowest log loss; the evidence is in ``selection_scores_`` and the
winner in ``chosen_model_``. Probabilities are calibrated with
``CalibratedClassifierCV`` (isotonic when there are at least 2,000 rows and 50
positives, sigmoid otherwise), its folds grouped by ``id_column`` so that snapshots of
one account never sit on both sides of a fold.

Explanations (:meth:`ChurnModel.explain`) are additive contributions to the log-odds of
the (uncalibrated) base model, per original column:

* logistic: ``coef x standardised value`` summed over the columns a feature expands to
  (its one-hot levels, its missing indicator); 0 means "like the average training row"
  (standardised values are clipped to +-8, so no single feature can swing a prediction
  without bound when it lies far outside its training range);
* boosting: occlusion against a reference: the change in log-odds when this one feature
  is replaced by its typical training value (median, or most frequent level), averaged
  over ``n_reference`` reference rows (1 = the typical row; more = random training rows,
  an interventional one-feature-at-a-time approximation of SHAP values);
* blend: the average of the two.

Calibration is a monotone map of the base score, so the sign of a contribution is the
sign of its effect on the calibrated probability.

Example
-------
>>> model = ChurnModel(random_state=0).fit(X, y)          # doctest: +SKIP
>>> model.predict_proba(X_new)[:, 1]                       # doctest: +SKIP
>>> model.explain(X_new, top=3)                            # doctest: +SKIP
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from kamtools.churn.features import FEATURE_LABELS, format_value
from kamtools.parallel import joblib_backend

__all__ = ["ChurnModel", "MODEL_FAMILIES"]

MODEL_FAMILIES = ("logistic", "boosting", "blend")
_SKEW_LIMIT = 2.0
_P_FLOOR = 0.001  # probabilities are kept within [0.1%, 99.9%]
_MAX_LEVELS = 30  # one-hot: rarer levels are grouped as "infrequent"
_PARALLEL_FOLDS_FROM = 20_000  # rows; below this, starting worker processes costs more than it saves
_Z_LIMIT = 8.0  # standardised values are clipped here: a feature far outside its training
# range (or almost constant in training) cannot swing a linear prediction without bound


def _single_threaded(method):
    """Run with one OpenMP thread: on small CPUs gradient boosting's OpenMP threads spin
    and contend (measured 10-20x slower with 2 threads on a 2-core machine)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="openmp"):
            return method(*args, **kwargs)

    return wrapper


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def _skew(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    if len(x) < 10 or np.std(x) == 0:
        return 0.0
    z = (x - x.mean()) / x.std()
    return float(np.mean(z**3))


class EmptyColumnsAsZero(TransformerMixin, BaseEstimator):
    """Replace the columns that are all missing in the training rows with zeros.

    Gradient boosting handles missing values itself, but scikit-learn's binning fails
    ("window shape cannot be larger than input array shape") on a column with no value at
    all, which happens when a cross-validation fold holds no account with, say, a bid or
    a complaint. Such a column carries no information in that fold; a constant keeps it
    out of every split. Other columns pass through unchanged, missing values included.
    """

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.empty_ = np.isnan(X).all(axis=0) if len(X) else np.zeros(X.shape[1], dtype=bool)
        return self

    def transform(self, X):
        check_is_fitted(self, "empty_")
        X = np.array(X, dtype=np.float64, copy=True)
        X[:, self.empty_] = 0.0
        return X


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Calibrated churn classifier with per-row explanations (see the module docstring).

    Parameters
    ----------
    model : ``"auto"`` (compare and choose), ``"logistic"``, ``"boosting"`` or ``"blend"``.
    calibration : ``"auto"``, ``"isotonic"``, ``"sigmoid"`` or None (no calibration).
    C : inverse L2 regularisation strength of the logistic model.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization :
        gradient-boosting settings.
    cv : folds for calibration and (without a time column) for model selection.
    id_column : column identifying the customer (used to group folds, not as a feature).
    time_column : snapshot date column (used for out-of-time selection, not as a feature).
    time_gap_months : in out-of-time selection, training rows must be at least this many
        months older than the validation snapshot (set it to the label window so that no
        training label looks past the validation date).
    n_reference : reference rows for the boosting explanation (1 = the typical row).
    random_state : seed for folds, boosting and reference rows.

    Attributes
    ----------
    classes_ : the two class labels; ``predict_proba[:, 1]`` is for ``classes_[1]``.
    chosen_model_ : the family used for predictions.
    selection_scores_ : DataFrame ``model, log_loss, brier, roc_auc, n_train, n_valid, scheme``
        (empty when ``model`` was not ``"auto"``).
    numeric_columns_, categorical_columns_, dropped_columns_ : how the input columns were used.
    calibration_method_ : the calibration actually used.
    estimators_ : dict family -> fitted (calibrated) estimator.
    """

    def __init__(
        self,
        model: str = "auto",
        calibration: str | None = "auto",
        C: float = 0.5,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        cv: int = 3,
        id_column: str | None = "account_id",
        time_column: str | None = "as_of",
        time_gap_months: int = 0,
        n_reference: int = 1,
        random_state: int | None = 0,
    ) -> None:
        self.model = model
        self.calibration = calibration
        self.C = C
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.cv = cv
        self.id_column = id_column
        self.time_column = time_column
        self.time_gap_months = time_gap_months
        self.n_reference = n_reference
        self.random_state = random_state

    # ---- input handling -------------------------------------------------------------------
    @staticmethod
    def _frame(X) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X.reset_index(drop=True)
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"ChurnModel: X must be a 2-d table (DataFrame or array), got shape {arr.shape}")
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    def _special(self, X: pd.DataFrame) -> tuple[pd.Series | None, pd.Series | None]:
        groups = X[self.id_column] if self.id_column and self.id_column in X.columns else None
        time = None
        if self.time_column and self.time_column in X.columns:
            time = pd.to_datetime(X[self.time_column])
        return groups, time

    def _infer_columns(self, X: pd.DataFrame) -> None:
        special = {c for c in (self.id_column, self.time_column) if c}
        numeric, categorical, dropped = [], [], []
        for col in X.columns:
            s = X[col]
            if col in special:
                continue
            if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
                dropped.append(str(col))
            elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
                v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                v = v[np.isfinite(v)]
                if len(v) == 0 or np.ptp(v) <= 1e-9 * max(1.0, float(np.max(np.abs(v)))):
                    dropped.append(str(col))  # constant (or empty) in training: carries no information
                else:
                    numeric.append(col)
            elif s.notna().sum() == 0:
                dropped.append(str(col))
            else:
                categorical.append(col)
        if not numeric and not categorical:
            raise ValueError("ChurnModel: X has no usable feature columns (only ids, dates or empty columns)")
        self.numeric_columns_ = numeric
        self.categorical_columns_ = categorical
        self.dropped_columns_ = dropped

    def _prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """Select the fitted columns, numbers as float64 (skewed ones signed-log), text as object."""
        need = self.numeric_columns_ + self.categorical_columns_
        missing = [c for c in need if c not in X.columns]
        if missing:
            raise ValueError(f"ChurnModel: X lacks the column(s) {missing} that the model was fitted with")
        out: dict = {}
        for c in self.numeric_columns_:
            v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            out[c] = _signed_log(v) if c in self.log_columns_ else v
        for c in self.categorical_columns_:
            s = X[c]
            vals = s.astype(object).to_numpy()
            mask = s.isna().to_numpy()
            text = np.array([str(v) for v in vals], dtype=object)
            text[mask] = np.nan
            out[c] = text
        return pd.DataFrame(out, columns=need)

    # ---- building blocks ---------------------------------------------------------------------
    def _pipeline(self, kind: str) -> Pipeline:
        num, cat = self.numeric_columns_, self.categorical_columns_
        if kind == "logistic":
            parts = []
            if num:
                parts.append(
                    ("num", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), num)
                )
            for i, col in enumerate(cat):
                enc = Pipeline(
                    [
                        ("fill", SimpleImputer(strategy="constant", fill_value="(missing)")),
                        (
                            "onehot",
                            OneHotEncoder(handle_unknown="ignore", max_categories=_MAX_LEVELS, sparse_output=False),
                        ),
                    ]
                )
                parts.append((f"cat{i}", enc, [col]))
            prep = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
            clf = LogisticRegression(C=self.C, max_iter=5000)
            clip = FunctionTransformer(np.clip, kw_args={"a_min": -_Z_LIMIT, "a_max": _Z_LIMIT})
            return Pipeline([("prep", prep), ("scale", StandardScaler()), ("clip", clip), ("clf", clf)])
        if kind == "boosting":
            parts = [("num", "passthrough", num)] if num else []
            if cat:
                enc = OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                    max_categories=250,
                    dtype=np.float64,
                )
                parts.append(("cat", enc, cat))
            prep = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
            mask = [False] * len(num) + [True] * len(cat)
            clf = HistGradientBoostingClassifier(
                learning_rate=self.learning_rate,
                max_iter=self.max_iter,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                categorical_features=mask if any(mask) else None,
                random_state=self.random_state,
            )
            return Pipeline([("prep", prep), ("empty", EmptyColumnsAsZero()), ("clf", clf)])
        raise ValueError(f"unknown model family {kind!r}")

    def _splits(self, y: np.ndarray, groups: np.ndarray | None, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
        idx = np.zeros(len(y))
        if groups is not None and len(np.unique(groups)) >= n_splits:
            return list(GroupKFold(n_splits=n_splits).split(idx, y, groups))
        return list(StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state).split(idx, y))

    def _calibration_method(self, y: np.ndarray) -> str | None:
        if self.calibration is None:
            return None
        if self.calibration == "auto":
            return "isotonic" if len(y) >= 2000 and min(y.sum(), len(y) - y.sum()) >= 50 else "sigmoid"
        if self.calibration not in ("isotonic", "sigmoid"):
            raise ValueError("ChurnModel.calibration must be 'auto', 'isotonic', 'sigmoid' or None")
        return self.calibration

    def _fit_family(self, kind: str, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray | None):
        pipe = self._pipeline(kind)
        method = self._calibration_method(y)
        n_splits = int(min(self.cv, y.sum(), len(y) - y.sum()))
        if method is None or n_splits < 2:
            return pipe.fit(X, y)
        splits = self._splits(y, groups, n_splits)
        if any(len(np.unique(y[tr])) < 2 for tr, _ in splits):
            splits = self._splits(y, None, n_splits)
        if len(y) < _PARALLEL_FOLDS_FROM:
            return CalibratedClassifierCV(pipe, method=method, cv=splits, ensemble=False).fit(X, y)
        # large data: the calibration folds are fitted side by side, in local worker
        # processes or on the active Dask cluster (same folds, same seeds: same model)
        with joblib_backend(-1) as workers:
            jobs = min(workers, len(splits))
            return CalibratedClassifierCV(pipe, method=method, cv=splits, ensemble=False, n_jobs=jobs).fit(X, y)

    def _fit_families(self, kinds, X, y, groups) -> dict:
        fams = {"logistic", "boosting"} if "blend" in kinds else set(kinds)
        return {k: self._fit_family(k, X, y, groups) for k in sorted(fams)}

    @staticmethod
    def _proba(estimators: dict, kind: str, X: pd.DataFrame) -> np.ndarray:
        if kind == "blend":
            return 0.5 * (estimators["logistic"].predict_proba(X)[:, 1] + estimators["boosting"].predict_proba(X)[:, 1])
        return estimators[kind].predict_proba(X)[:, 1]

    def _select(self, X: pd.DataFrame, y: np.ndarray, groups, time) -> pd.DataFrame:
        """Held-out scores of each family; the lowest log loss wins."""
        splits, scheme = None, ""
        if time is not None and time.nunique() >= 2:
            last = time.max()
            cutoff = last - pd.DateOffset(months=self.time_gap_months) if self.time_gap_months else last
            train = np.flatnonzero(
                (time < cutoff).to_numpy() if self.time_gap_months == 0 else (time <= cutoff).to_numpy()
            )
            valid = np.flatnonzero((time == last).to_numpy())
            if len(np.unique(y[train])) == 2 and len(np.unique(y[valid])) == 2 and y[train].sum() >= 5:
                splits, scheme = [(train, valid)], f"out of time (validated on {last.date()})"
        if splits is None:
            n_splits = int(min(self.cv, y.sum(), len(y) - y.sum()))
            if n_splits < 2:
                raise ValueError("ChurnModel: too few rows of the rarer class to compare models; pass model='logistic'")
            splits = self._splits(y, groups, n_splits)
            scheme = "grouped cross-validation" if groups is not None else "stratified cross-validation"
        preds = {k: np.full(len(y), np.nan) for k in MODEL_FAMILIES}
        for tr, va in splits:
            g = None if groups is None else groups[tr]
            fitted = self._fit_families(MODEL_FAMILIES, X.iloc[tr], y[tr], g)
            for k in MODEL_FAMILIES:
                preds[k][va] = self._proba(fitted, k, X.iloc[va])
        held = ~np.isnan(preds["logistic"])
        rows = []
        for k in MODEL_FAMILIES:
            p = np.clip(preds[k][held], 1e-6, 1 - 1e-6)
            rows.append(
                {
                    "model": k,
                    "log_loss": log_loss(y[held], p, labels=[0, 1]),
                    "brier": brier_score_loss(y[held], p),
                    "roc_auc": roc_auc_score(y[held], p) if len(np.unique(y[held])) == 2 else np.nan,
                    "n_train": int(sum(len(tr) for tr, _ in splits) / len(splits)),
                    "n_valid": int(held.sum()),
                    "scheme": scheme,
                }
            )
        return pd.DataFrame(rows)

    # ---- estimator API -----------------------------------------------------------------------
    @_single_threaded
    def fit(self, X, y) -> ChurnModel:
        """Fit on a table ``X`` (n_rows x columns) and binary labels ``y`` (n_rows,)."""
        if self.model not in ("auto", *MODEL_FAMILIES):
            raise ValueError(f"ChurnModel.model must be 'auto' or one of {MODEL_FAMILIES}, got {self.model!r}")
        X = self._frame(X)
        y_arr = np.asarray(y)
        if y_arr.ndim != 1 or len(y_arr) != len(X):
            raise ValueError(
                f"ChurnModel: y must be 1-d with one label per row of X ({len(X)}), got shape {y_arr.shape}"
            )
        if pd.isna(y_arr).any():
            raise ValueError("ChurnModel: y has missing labels; drop those rows first")
        self.classes_ = np.unique(y_arr)
        if len(self.classes_) != 2:
            raise ValueError(f"ChurnModel needs exactly two classes in y (churned or not), got {list(self.classes_)}")
        yb = (y_arr == self.classes_[1]).astype(int)
        groups, time = self._special(X)
        self._infer_columns(X)
        self.n_features_in_ = len(self.numeric_columns_) + len(self.categorical_columns_)
        self.log_columns_ = [
            c
            for c in self.numeric_columns_
            if abs(_skew(pd.to_numeric(X[c], errors="coerce").to_numpy(float))) > _SKEW_LIMIT
        ]
        Xp = self._prepare(X)
        g = None if groups is None else groups.astype(str).to_numpy()
        if self.model == "auto":
            self.selection_scores_ = self._select(Xp, yb, g, time)
            best = self.selection_scores_.sort_values(["log_loss", "model"], kind="stable").iloc[0]
            self.chosen_model_ = str(best["model"])
        else:
            self.selection_scores_ = pd.DataFrame(
                columns=["model", "log_loss", "brier", "roc_auc", "n_train", "n_valid", "scheme"]
            )
            self.chosen_model_ = self.model
        self.calibration_method_ = self._calibration_method(yb)
        self.estimators_ = self._fit_families([self.chosen_model_], Xp, yb, g)
        self._set_reference(Xp)
        self.base_rate_ = float(yb.mean())
        return self

    def _set_reference(self, Xp: pd.DataFrame) -> None:
        ref = {}
        for c in self.numeric_columns_:
            v = Xp[c].to_numpy(dtype=float)
            ref[c] = float(np.nanmedian(v)) if np.any(~np.isnan(v)) else np.nan
        for c in self.categorical_columns_:
            mode = Xp[c].dropna().mode()
            ref[c] = mode.iloc[0] if len(mode) else np.nan
        typical = pd.DataFrame([ref], columns=Xp.columns)
        if self.n_reference <= 1:
            self.reference_ = typical
        else:
            rng = np.random.default_rng(self.random_state)
            take = rng.choice(len(Xp), size=min(self.n_reference, len(Xp)), replace=False)
            self.reference_ = Xp.iloc[np.sort(take)].reset_index(drop=True)

    def _check_fitted(self) -> None:
        check_is_fitted(self, "estimators_", msg="This ChurnModel is not fitted yet; call fit(X, y) first.")

    @_single_threaded
    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, shape (n_rows, 2); column 1 is ``classes_[1]`` (churn)."""
        self._check_fitted()
        p = self._proba(self.estimators_, self.chosen_model_, self._prepare(self._frame(X)))
        # isotonic calibration returns exact 0 or 1 for bins without (or with only) churners;
        # no account is certain to stay or to go
        p = np.clip(p, _P_FLOOR, 1.0 - _P_FLOOR)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """Class labels at probability 0.5 (for risk bands use the probabilities)."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    # ---- explanations ------------------------------------------------------------------------
    @staticmethod
    def _base(est):
        """The uncalibrated pipeline fitted on all rows."""
        if isinstance(est, CalibratedClassifierCV):
            return est.calibrated_classifiers_[0].estimator
        return est

    def _linear_contributions(self, Xp: pd.DataFrame) -> np.ndarray:
        pipe = self._base(self.estimators_["logistic"])
        prep = pipe.named_steps["prep"]
        Z = pipe[:-1].transform(Xp)
        coef = pipe.named_steps["clf"].coef_.ravel()
        owner: list[int] = []
        cols = list(Xp.columns)
        for name, trans, columns in prep.transformers_:
            if name == "remainder" or trans == "drop":
                continue
            if name == "num":
                owner += [cols.index(c) for c in columns]
                ind = trans.indicator_
                if ind is not None:
                    owner += [cols.index(columns[i]) for i in ind.features_]
            else:
                owner += [cols.index(columns[0])] * len(trans.get_feature_names_out())
        M = np.zeros((len(owner), len(cols)))
        M[np.arange(len(owner)), owner] = 1.0
        return (Z * coef) @ M

    def _occlusion_contributions(self, Xp: pd.DataFrame) -> np.ndarray:
        base = self._base(self.estimators_["boosting"])
        prep, clf = base.named_steps["prep"], base.named_steps["clf"]
        # the boosting pipeline's encoder keeps the column order (numbers, then text), so
        # occlusion can work on the encoded matrix and skip re-encoding every copy
        Z = np.asarray(prep.transform(Xp), dtype=float)
        Zref = np.asarray(prep.transform(self.reference_), dtype=float)
        n, p = Z.shape
        refs = len(Zref)
        f = clf.decision_function(Z)
        out = np.zeros((n, p))
        per_chunk = max(1, 250_000 // max(n * refs, 1))
        for start in range(0, p, per_chunk):
            block = range(start, min(start + per_chunk, p))
            stacked = np.tile(Z, (len(block) * refs, 1))
            for i, j in enumerate(block):
                for r in range(refs):
                    k = i * refs + r
                    stacked[k * n : (k + 1) * n, j] = Zref[r, j]
            g = clf.decision_function(stacked).reshape(len(block), refs, n)
            for i, j in enumerate(block):
                out[:, j] = f - g[i].mean(axis=0)
        return out

    @_single_threaded
    def contributions(self, X) -> pd.DataFrame:
        """Per-row, per-feature contributions to the churn log-odds (n_rows x features)."""
        self._check_fitted()
        Xp = self._prepare(self._frame(X))
        if self.chosen_model_ == "logistic":
            c = self._linear_contributions(Xp)
        elif self.chosen_model_ == "boosting":
            c = self._occlusion_contributions(Xp)
        else:
            c = 0.5 * (self._linear_contributions(Xp) + self._occlusion_contributions(Xp))
        return pd.DataFrame(c, columns=[str(col) for col in Xp.columns])

    def explain(self, X, top: int | None = 3) -> pd.DataFrame:
        """The features that push each row's churn risk up or down.

        Returns a long DataFrame, ``top`` rows per input row ordered by absolute
        contribution (all features when ``top`` is None): ``row`` (position in X),
        ``account_id`` (when X has the id column), ``rank``, ``feature``, ``label``
        (plain language), ``contribution`` (log-odds; + raises the risk), ``direction``
        (``"raises risk"`` / ``"lowers risk"``), ``value`` (the row's number, NaN for text)
        and ``value_text`` (the value in words).
        """
        Xf = self._frame(X)
        return self.explain_contributions(Xf, self.contributions(Xf), top)

    def explain_contributions(self, X: pd.DataFrame, contrib: pd.DataFrame, top: int | None = 3) -> pd.DataFrame:
        """:meth:`explain` from contributions already computed with :meth:`contributions`."""
        Xf = self._frame(X)
        n, p = contrib.shape
        values = contrib.to_numpy()
        order = np.argsort(-np.abs(values), axis=1, kind="stable")
        k = p if top is None else min(top, p)
        rows = np.repeat(np.arange(n), k)
        feat_idx = order[:, :k].ravel()
        cols = np.array(contrib.columns, dtype=object)
        feats = cols[feat_idx]
        c = values[rows, feat_idx]
        raw = {col: Xf[col].to_numpy() for col in contrib.columns}
        val = [raw[f][r] for r, f in zip(rows, feats, strict=True)]
        num = np.array(
            [
                float(v) if f in self.numeric_columns_ and not pd.isna(v) else np.nan
                for v, f in zip(val, feats, strict=True)
            ]
        )
        out = pd.DataFrame({"row": rows})
        if self.id_column and self.id_column in Xf.columns:
            out["account_id"] = Xf[self.id_column].astype(str).to_numpy()[rows]
        out["rank"] = np.tile(np.arange(1, k + 1), n)
        out["feature"] = feats.astype(str)
        out["label"] = [FEATURE_LABELS.get(f, f.replace("_", " ")) for f in feats]
        out["contribution"] = c
        out["direction"] = np.where(c > 0, "raises risk", np.where(c < 0, "lowers risk", "no effect"))
        out["value"] = num
        out["value_text"] = [format_value(f, v) for f, v in zip(feats, val, strict=True)]
        for col in ("feature", "label", "direction", "value_text"):
            out[col] = out[col].astype("str")
        return out

    def global_importance(self, X) -> pd.DataFrame:
        """Which features drive churn across the rows of ``X``, with the sign of the effect.

        Returns one row per feature, most important first: ``feature, label, importance``
        (mean absolute contribution, log-odds), ``share`` (of the total importance),
        ``direction`` (+1: higher values raise the risk, -1: lower it, 0: mixed or a text
        feature; from the rank correlation of value and contribution) and ``effect`` (words).
        """
        Xf = self._frame(X)
        return self.importance_from_contributions(Xf, self.contributions(Xf))

    def importance_from_contributions(self, X: pd.DataFrame, contrib: pd.DataFrame) -> pd.DataFrame:
        """:meth:`global_importance` from contributions already computed."""
        Xf = self._frame(X)
        rows = []
        total = float(np.abs(contrib.to_numpy()).mean(axis=0).sum()) or 1.0
        for col in contrib.columns:
            c = contrib[col].to_numpy()
            imp = float(np.mean(np.abs(c)))
            direction = 0
            if col in self.numeric_columns_:
                v = pd.to_numeric(Xf[col], errors="coerce")
                ok = v.notna().to_numpy()
                if ok.sum() > 2 and np.std(c[ok]) > 0 and v[ok].nunique() > 1:
                    rho = pd.Series(v[ok].to_numpy()).rank().corr(pd.Series(c[ok]).rank())
                    direction = int(np.sign(rho)) if abs(rho) >= 0.1 else 0
            effect = {
                1: "higher values raise the risk",
                -1: "higher values lower the risk",
                0: "mixed or depends on level",
            }[direction]
            rows.append(
                {
                    "feature": col,
                    "label": FEATURE_LABELS.get(col, col.replace("_", " ")),
                    "importance": imp,
                    "share": imp / total,
                    "direction": direction,
                    "effect": effect,
                }
            )
        out = pd.DataFrame(rows).sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
        return out.reset_index(drop=True)
