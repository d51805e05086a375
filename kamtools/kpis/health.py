"""The account health score: components weighted by what predicts churn on this portfolio's history."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines
from kamtools.history import order_history
from kamtools.kpis.base import _codes, _count
from kamtools.kpis.components import (
    HEALTH_COMPONENTS,
    HEALTH_RISK_DIRECTION,
    WEAK_PERCENTILE,
    _is_weak,
    health_sentence,
)
from kamtools.kpis.table import account_kpis


def _health_frame(portfolio: Portfolio, kpis: pd.DataFrame) -> pd.DataFrame:
    """The candidate health components (columns of HEALTH_COMPONENTS) per account."""
    p = portfolio
    o = p.orders
    idx = _codes(p, "orders")
    d = o["order_date"].to_numpy()
    t = np.datetime64(p.as_of, "ns")
    m6 = np.datetime64(p.as_of - pd.DateOffset(months=6), "ns")
    m12 = np.datetime64(p.as_of - pd.DateOffset(months=12), "ns")
    n = len(p.accounts)
    first_line = o["line"].to_numpy() == 1 if "line" in o.columns else np.ones(len(o), dtype=bool)
    first_line &= ~credit_lines(o).to_numpy()  # a credit note is not an order
    last6 = _count(idx, first_line & (d <= t) & (d > m6), n)
    prev6 = _count(idx, first_line & (d <= m6) & (d > m12), n)
    out = kpis.reindex(columns=["account_id", *HEALTH_COMPONENTS]).copy()
    out["orders_trend"] = np.log1p(last6) - np.log1p(prev6)
    if not order_history(p).covers_months_back(12):  # the 6 months before are not all in the data
        out["orders_trend"] = np.nan
    if "interactions_90d" in kpis.columns:
        out["interactions_trend"] = np.log1p(kpis["interactions_90d"]) - np.log1p(kpis["interactions_prior_90d"])
    # a lost account has no meaningful growth ratio: -100%
    out["growth_pct"] = out["growth_pct"].where(~((kpis["revenue_ltm"] == 0) & (kpis["revenue_prior_ltm"] > 0)), -1.0)
    out["growth_pct"] = out["growth_pct"].clip(upper=3.0)
    return out


class HealthScorer(BaseEstimator):
    """A 0-100 account health score from components weighted by their churn evidence.

    Each component is turned into a percentile (0-1) against the accounts seen in ``fit``
    and oriented so that 1 is the healthy end. The score is ``100 * sum_c w_c * g_c`` with
    ``sum_c w_c = 1``, so each component contributes at most ``100 * w_c`` points and the
    contributions add up to the score. Missing values count as the median (0.5).

    Weights and directions come either from ``importance`` (signed: positive means a
    higher value raises churn risk, e.g. the churn model's global importance), or, when
    ``importance`` is None, from a logistic regression of the churn label ``y`` on the
    component percentiles (``fit(X, y)``): ``w_c`` is proportional to ``|coef_c|``; a
    component whose joint coefficient has the opposite sign of its own association with
    churn is dropped (and the regression refitted), so every direction can be explained.
    Components whose share of the total weight is below ``min_weight`` are dropped.

    Parameters
    ----------
    importance : mapping component -> signed importance, or None (learn from ``y``).
    C : inverse L2 regularisation strength of the logistic regression.
    min_weight : drop components with a weight share below this.
    bands : (red_below, green_from): score < red_below is red, >= green_from green.
    random_state : seed for the logistic regression solver.

    Attributes
    ----------
    components_ : list of kept component names.
    weights_ : ndarray, weight shares (sum 1).
    direction_ : ndarray, +1 when higher values mean more churn risk, else -1.
    reference_ : dict component -> sorted reference values (for percentiles).
    coef_ : ndarray or None, logistic coefficients per kept component (learnt case).

    Example
    -------
    >>> X = pd.DataFrame({"late": [0.0, 0.1, 0.5, 0.9], "growth": [0.2, 0.1, -0.3, -0.5]})
    >>> s = HealthScorer(importance={"late": 1.0, "growth": -1.0}).fit(X)
    >>> s.predict(X).round().tolist()
    [100.0, 75.0, 38.0, 12.0]
    """

    def __init__(
        self,
        importance: Mapping[str, float] | None = None,
        C: float = 1.0,
        min_weight: float = 0.02,
        bands: tuple[float, float] = (40.0, 60.0),
        random_state: int = 0,
    ) -> None:
        self.importance = importance
        self.C = C
        self.min_weight = min_weight
        self.bands = bands
        self.random_state = random_state

    def _percentiles(self, X: pd.DataFrame, components: list[str], reference: dict) -> np.ndarray:
        out = np.full((len(X), len(components)), 0.5)
        for j, c in enumerate(components):
            ref = reference[c]
            if c not in X.columns or len(ref) == 0:
                continue
            v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float)
            ok = ~np.isnan(v)
            lo = np.searchsorted(ref, v[ok], side="left")
            hi = np.searchsorted(ref, v[ok], side="right")
            out[ok, j] = (lo + hi) / (2.0 * len(ref))
        return out

    def fit(self, X: pd.DataFrame, y=None) -> HealthScorer:
        """Learn reference distributions and (without ``importance``) weights from ``y``.

        X : DataFrame (n_accounts, n_components) of numeric component values.
        y : array of 0/1 churn labels, required when ``importance`` is None.
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError("HealthScorer.fit: X must be a DataFrame with one column per component")
        comps = [c for c in X.columns if c != "account_id"]
        if self.importance is not None:
            comps = [c for c in comps if c in self.importance and np.isfinite(self.importance[c])]
        if not comps:
            raise ValueError("HealthScorer.fit: no component of X has an importance; nothing to score")
        reference = {}
        for c in comps:
            v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float)
            reference[c] = np.sort(v[~np.isnan(v)])
        if self.importance is not None:
            signed = np.array([float(self.importance[c]) for c in comps])
            self.coef_ = None
        else:
            if y is None:
                raise ValueError("HealthScorer.fit: give y (churn labels) or importance")
            from sklearn.linear_model import LogisticRegression

            y = np.asarray(y).astype(int)
            if len(np.unique(y)) < 2:
                raise ValueError("HealthScorer.fit: y holds only one class; cannot learn what predicts churn")
            P = self._percentiles(X, comps, reference) - 0.5
            # direction of each component on its own; a joint coefficient of the opposite sign
            # (a suppressor effect of correlated components) would be unexplainable in a
            # report ("more complaints = healthier"), so such components are dropped and the
            # regression refitted without them
            yc = y - y.mean()
            marginal = np.sign((P * yc[:, None]).sum(axis=0))
            active = np.ones(len(comps), dtype=bool)
            signed = np.zeros(len(comps))
            for _ in range(len(comps)):
                lr = LogisticRegression(C=self.C, max_iter=500, random_state=self.random_state)
                lr.fit(P[:, active], y)
                signed = np.zeros(len(comps))
                signed[active] = lr.coef_[0]
                wrong = active & (np.sign(signed) != marginal) & (signed != 0)
                if not wrong.any():
                    break
                active &= ~wrong
                if not active.any():
                    break
            self.coef_ = signed.copy()
        total = np.abs(signed).sum()
        if total <= 0:
            raise ValueError("HealthScorer.fit: every component has zero weight")
        share = np.abs(signed) / total
        keep = share >= self.min_weight
        self.components_ = [c for c, k in zip(comps, keep) if k]
        self.weights_ = share[keep] / share[keep].sum()
        self.direction_ = np.where(signed[keep] > 0, 1, -1)
        if self.coef_ is not None:
            self.coef_ = self.coef_[keep]
        self.reference_ = {c: reference[c] for c in self.components_}
        return self

    def goodness(self, X: pd.DataFrame) -> np.ndarray:
        """(n, n_components) array in [0, 1]: 1 = the healthiest end of the reference."""
        P = self._percentiles(X, self.components_, self.reference_)
        return np.where(self.direction_[None, :] > 0, 1 - P, P)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """(n, n_components) points per component; rows sum to the health score."""
        return 100.0 * self.goodness(X) * self.weights_[None, :]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Health score 0-100 per row of ``X``."""
        return self.contributions(X).sum(axis=1)

    def band(self, score: np.ndarray) -> np.ndarray:
        """'red' / 'amber' / 'green' per score."""
        red, green = self.bands
        score = np.asarray(score, dtype=float)
        return np.where(score < red, "red", np.where(score >= green, "green", "amber"))


def _churn_evidence(context: Mapping[str, object]) -> tuple[dict[str, float], pd.DataFrame, dict] | None:
    """(signed importance, per-account feature values, labels) from the churn stage, if usable."""
    imp = context.get("churn_importance")
    feats = context.get("churn_features")
    if not isinstance(imp, pd.DataFrame) or not isinstance(feats, pd.DataFrame) or imp.empty:
        return None
    # the churn stage's importance (a magnitude) signed by its direction (+1 raises the risk)
    mag = pd.to_numeric(imp["importance"], errors="coerce").abs()
    signed = mag * np.sign(imp["direction"].astype(float).to_numpy())
    names = imp["feature"].astype(str)
    numeric = [c for c in feats.columns if c != "account_id" and pd.api.types.is_numeric_dtype(feats[c])]
    signed = np.asarray(signed, dtype=float)
    importance = {n: float(v) for n, v in zip(names, signed) if n in numeric and np.isfinite(v) and v != 0}
    # a health component is something a KAM can see and act on, weighed the way common sense
    # reads it: static attributes (tenure, region), the account's size and other models'
    # outputs (P(alive), expected value) are left out, and so is a feature whose effect runs
    # against its plain meaning (long tenure or fast growth must not lower health)
    try:
        from kamtools.churn.features import FEATURE_LABELS, PRESENTABLE_FEATURES, RISK_DIRECTION
    except ImportError:
        return None
    hidden = set(FEATURE_LABELS) - PRESENTABLE_FEATURES  # a feature of another model passes as given
    importance = {
        n: v for n, v in importance.items() if n not in hidden and np.sign(v) == RISK_DIRECTION.get(n, np.sign(v))
    }
    # leave out features whose model effect contradicts their plain association with the
    # predicted churn probability (a suppressor effect of correlated features): a health
    # component must read the same way on its own ("more complaints, less healthy")
    churn = context.get("churn")
    if isinstance(churn, pd.DataFrame) and "churn_probability" in churn.columns and importance:
        both = feats[["account_id", *importance]].merge(
            churn[["account_id", "churn_probability"]].drop_duplicates("account_id"), on="account_id", how="inner"
        )
        if len(both) >= 10:
            rho = both[list(importance)].corrwith(both["churn_probability"], method="spearman").fillna(0.0)
            importance = {
                n: v for n, v in importance.items() if not (abs(rho[n]) >= 0.05 and np.sign(rho[n]) != np.sign(v))
            }
    if len(importance) < 2:
        return None
    labels = {}
    if "label" in imp.columns:
        labels = {n: str(lab) for n, lab in zip(names, imp["label"]) if n in importance and pd.notna(lab)}
    return importance, feats, labels


def _churn_labels(portfolio: Portfolio, cutoff: pd.Timestamp, kind: str) -> pd.DataFrame | None:
    """Churn labels (account_id, churned) of the accounts active at ``cutoff``, from kamtools.churn.

    None when the churn module (or its labelling) is not part of this kamtools version.
    """
    try:
        from kamtools.churn.labels import ChurnDefinition, label_accounts
    except ImportError as exc:
        if getattr(exc, "name", None) not in ("kamtools.churn", "kamtools.churn.labels", None):
            raise
        return None
    return label_accounts(portfolio, cutoff, ChurnDefinition(kind=kind))


def _label_window(kind: str) -> int | None:
    try:
        from kamtools.churn.labels import ChurnDefinition
    except ImportError:
        return None
    return ChurnDefinition(kind=kind).label_window_months


def _learn_health(
    portfolio: Portfolio, churn_kind: str, snapshots: int, step_months: int
) -> tuple[HealthScorer, str] | NotAvailable:
    """Fit a HealthScorer on past snapshots of this portfolio and the churn that followed."""
    window = _label_window(churn_kind)
    if window is None:
        return NotAvailable(
            "Health is not available: the churn analysis is not part of this kamtools version, so there is "
            "no evidence of what predicts churn to weight the health components."
        )
    latest = (portfolio.as_of - pd.DateOffset(months=window)).normalize()
    cutoffs = [(latest - pd.DateOffset(months=k * step_months)).normalize() for k in range(snapshots)]
    first_order = portfolio.orders["order_date"].min() if len(portfolio.orders) else latest
    cutoffs = [c for c in cutoffs if c > first_order + pd.DateOffset(months=12)]
    parts = []
    for cutoff in cutoffs:
        labels = _churn_labels(portfolio, cutoff, churn_kind)
        if labels is None or labels.empty:
            continue
        past = portfolio.truncate(cutoff)
        past_kpis, _ = account_kpis(past)
        parts.append(_health_frame(past, past_kpis).merge(labels, on="account_id", how="inner"))
    if not parts:
        history = order_history(portfolio)
        # the churn model's drivers weight it too (health_scores' first source), on a shorter history than this
        # path needs: saying only "needs more than 24 months" read false where 18 months gave a health score
        return NotAvailable(
            f"Health is not available: its weights come from what predicted churn on this portfolio's history: "
            f"the churn model's drivers, which this history did not give (the churn section says why), or the "
            f"churn in the {window} months after past dates that have at least 12 months of orders before them, "
            f"which needs more than {12 + window} months of order history; this portfolio has "
            f"{history.describe()}."
        )
    Xp = pd.concat(parts, ignore_index=True)
    n_churn = int(Xp["churned"].sum())
    if n_churn < 5 or n_churn == len(Xp):
        return NotAvailable(
            f"Health is not available: only {n_churn} of {len(Xp)} account snapshots churned in the "
            f"{window} months after {', '.join(str(c.date()) for c in cutoffs)}; too few to learn what predicts churn."
        )
    comps = [c for c in HEALTH_COMPONENTS if c in Xp.columns and Xp[c].notna().mean() > 0.2]
    scorer = HealthScorer().fit(Xp[comps], Xp["churned"].to_numpy())
    for _ in range(len(comps)):  # no component may read against common sense ("more orders, less healthy")
        wrong = [
            c
            for c, d in zip(scorer.components_, scorer.direction_, strict=True)
            if d != HEALTH_RISK_DIRECTION.get(c, d)
        ]
        comps = [c for c in comps if c not in wrong]
        if not wrong or len(comps) < 2:
            break
        scorer = HealthScorer().fit(Xp[comps], Xp["churned"].to_numpy())
    dates = ", ".join(str(c.date()) for c in cutoffs)
    when = "that date" if len(cutoffs) == 1 else "those dates"
    basis = (
        f"weights from a logistic regression of churn ({n_churn} of {len(Xp)} account snapshots) in the "
        f"{window} months after {dates} on these components measured on {when}"
    )
    return scorer, basis


def _weaknesses(X: pd.DataFrame, comps: list[str], good: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Per account, the sentence of the component losing most points whose value is on the
    unhealthy side (worse than the typical account and past its natural line, e.g. revenue
    falling, a complaint opened); '' when none is. ``X`` holds the components (and, for churn
    features, the other features that give a sentence its context)."""
    lost = np.where(good < WEAK_PERCENTILE, lost, -np.inf)
    numeric = [c for c in X.columns if c != "account_id" and pd.api.types.is_numeric_dtype(X[c])]
    reference = X[numeric].median().to_dict() if numeric else {}
    records = X.to_dict("records")
    out = np.full(len(X), "", dtype=object)
    for i in range(len(X)):
        for j in np.argsort(-lost[i], kind="stable"):
            if not np.isfinite(lost[i, j]):
                break
            if not _is_weak(comps[j], records[i], reference):
                continue
            text = health_sentence(comps[j], records[i])
            if text:
                out[i] = text
                break
    return out


def _component_rows(
    account_ids: pd.Series,
    X: pd.DataFrame,
    context_X: pd.DataFrame,
    scorer: HealthScorer,
    good: np.ndarray,
    contrib: np.ndarray,
    label_of: Mapping[str, str],
) -> pd.DataFrame:
    """The long components table: one row per account and component, strongest weight first."""
    comps = scorer.components_
    n, k = len(X), len(comps)
    order = np.argsort(-scorer.weights_, kind="stable")
    values = np.column_stack([pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float) for c in comps])
    components = pd.DataFrame(
        {
            "account_id": np.repeat(account_ids.to_numpy(), k),
            "component": np.tile(np.array(comps, dtype=object)[order], n),
            "label": np.tile(np.array([label_of.get(c, c) for c in comps], dtype=object)[order], n),
            "value": values[:, order].ravel(),
            "percentile": np.round(good[:, order].ravel(), 3),
            "weight": np.tile(scorer.weights_[order], n),
            "max_points": np.tile(100.0 * scorer.weights_[order], n),
            "contribution": contrib[:, order].ravel(),
        }
    )
    components["component"] = components["component"].astype("str")
    components["label"] = components["label"].astype("str")
    ordered = [comps[j] for j in order]
    components["sentence"] = pd.array(
        [health_sentence(c, rec) or "" for rec in context_X.to_dict("records") for c in ordered], dtype="str"
    )
    return components


def health_scores(
    portfolio: Portfolio,
    kpis: pd.DataFrame | None = None,
    context: Mapping[str, object] | None = None,
    top_components: int = 8,
    churn_kind: str = "any",
    snapshots: int | None = None,
    step_months: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame] | NotAvailable:
    """Health score (0-100), band and component contributions per account.

    Evidence, in order of preference:

    1. the churn stage's ``churn_importance`` (signed global importance: positive = raises
       churn risk) with ``churn_features`` (feature values per account as of now): the
       ``top_components`` strongest numeric features become the components (a feature
       whose model effect has the opposite sign of its rank correlation with the
       predicted ``churn_probability`` is left out, so each component reads one way);
    2. otherwise a logistic regression fitted here on history (:func:`_learn_health`): the
       components of :data:`HEALTH_COMPONENTS` measured on ``snapshots`` past dates
       ``step_months`` apart (default: one date for 3,000 accounts or more, else two),
       against the churn label that followed each date
       (``kamtools.churn.labels.label_accounts`` with ``ChurnDefinition(kind=churn_kind)``;
       ``"any"`` = stopped ordering or revenue more than halved);
    3. otherwise NotAvailable.

    Only what a KAM can see and act on becomes a component: static attributes (tenure,
    region, industry) and other models' outputs (P(alive), expected value) never do, and a
    component whose weight runs against its plain meaning is left out
    (:data:`HEALTH_RISK_DIRECTION`, :data:`kamtools.churn.features.RISK_DIRECTION`).

    Returns ``(health, components)``: ``health`` has account_id, health_score, health_band
    (red/amber/green), top_weakness (the component losing most points among those on the
    unhealthy side, as a sentence with its number; empty when none is),
    health_basis (plain-words source of the weights); ``components`` (long, per account and
    component, strongest weight first) has account_id, component, label, value, percentile
    (goodness 0-1, 1 = healthiest), weight, max_points, contribution (points; they sum to
    the score) and sentence (the account's value in words, e.g. "2 complaints opened in the
    last 12 months"; empty when unknown).
    """
    context = context or {}
    if kpis is None:
        kpis, _ = account_kpis(portfolio)
    evidence = _churn_evidence(context)
    if evidence is not None:
        importance, feats, labels = evidence
        top = sorted(importance, key=lambda c: -abs(importance[c]))[:top_components]
        X = kpis[["account_id"]].merge(feats[["account_id", *top]], on="account_id", how="left")
        scorer = HealthScorer(importance={c: importance[c] for c in top}).fit(X[top])
        basis = "weights from the churn model's global feature importance"
        context_X = kpis[["account_id"]].merge(feats, on="account_id", how="left")  # gives sentences their context
        label_of = {c: labels.get(c, HEALTH_COMPONENTS.get(c, c.replace("_", " ").capitalize())) for c in top}
    else:
        if snapshots is None:
            snapshots = 1 if len(portfolio.accounts) >= 3000 else 2
        learnt = _learn_health(portfolio, churn_kind, snapshots, step_months)
        if isinstance(learnt, NotAvailable):
            return learnt
        scorer, basis = learnt
        X = _health_frame(portfolio, kpis)
        label_of = HEALTH_COMPONENTS
        context_X = X
    comps = scorer.components_
    good = scorer.goodness(X)
    contrib = 100.0 * good * scorer.weights_[None, :]
    score = contrib.sum(axis=1)
    lost = 100.0 * scorer.weights_[None, :] - contrib
    weakest = _weaknesses(context_X, comps, good, lost)
    health = pd.DataFrame(
        {
            "account_id": kpis["account_id"].to_numpy(),
            "health_score": np.round(score, 1),
            "health_band": scorer.band(score),
            "top_weakness": pd.array(weakest, dtype="str"),
            "health_basis": basis,
        }
    )
    components = _component_rows(health["account_id"], X, context_X, scorer, good, contrib, label_of)
    # no sales order up to the analysis date (none, or only returns and credit notes): its components were all
    # missing and counted as the median, so a brand-new account and one seen only through a credit note scored 62
    # and 66 (green)
    none = kpis["last_order_date"].isna().to_numpy()
    if none.any():  # no order to measure: the components' medians would read as a healthy account
        health.loc[none, "health_score"] = np.nan
        health.loc[none, "health_band"] = NOT_SCORED
        health.loc[none, "top_weakness"] = ""
        components = components[~components["account_id"].isin(health.loc[none, "account_id"])].reset_index(drop=True)
    return health, components


NOT_SCORED = "not scored"  # the band of an account without an order in the data
NO_ORDERS_HEALTH = (
    "Health is not scored for this account: it has no order in the data, and the score's components measure how an "
    "account buys and is served beside the accounts that went on to churn."
)
