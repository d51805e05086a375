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
The cut-offs used are reported (``thresholds``). Accounts with no order (sales lines only: a
return or credit note is not an order) in the lookback window of the churn definition are
**lapsed**: not scored by the model; their probability of placing no order in the horizon is
the rate at which accounts lapsed by the same rule on earlier dates of the history stayed away
(:mod:`kamtools.churn.lapsed`), or missing (shown as "lapsed" without a percentage) when the
history holds too few such dates.

Revenue at risk
---------------
``revenue_at_risk = churn_probability x risk_base_12m`` for every account with a
probability, active or lapsed (one definition: the portfolio total is the sum over all
accounts; a lapsed account without a probability has none). ``risk_base_12m`` is the
account's 12-month forecast (``forecast_summary.forecast_next_12m``, the revenue the reports
tell the KAM to plan with, so the figure never exceeds that forecast) wherever one is given
(``risk_base`` "forecast"); without a forecast (an account the forecast left out, or
:func:`score` called on a Portfolio alone) it is the value model's discounted expected
12-month revenue (``kamtools.value``, ``risk_base`` "value model") or, without the value
model, the last 12 months' revenue as a run rate. :func:`risk_base` says which in a sentence.

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

The fallback is checked out of time inside the history as the P(alive) holdout is
(:func:`fallback_check`): the value model fitted on the orders up to ``as_of - horizon`` must
give the accounts active then a mean within 10 points of the share that placed no order in
the horizon. The ``method`` says so in one sentence; when the history is too short for the
check (CDNOW with 1 month: mean 54.8% against 65.0% that placed no order) or the check fails,
the column is named a churn *score*, not a probability.

The check is in the large only. By group it misses by more (``benchmarks/bench_fallback_groups.py``,
CDNOW lists of 300 and 1,000 and a random 2,000 at 1997-09-30 to 1998-03-31, out of time): the worst group
of 30 or more accounts (risk band, fifth of the probability, months since the last order x months with an
order, order days) misses by 7-42 points. Nothing fitted at the inner cut fixes that: the analyst's rule
(each recency x frequency cell's share that placed no order), Platt and isotonic recalibration of this
probability each win some cases and lose others, and the probability as shown has the lowest mean Brier
score (0.185 over 16 case-dates, against 0.187-0.198) and the smallest mean worst miss (23 points, against
24-27). The groups' misses at the inner cut do not carry over to the analysis date. Heavy buyers are right
on average: accounts with 15 or more order days that it puts at 10-20% had a mean of 14% shown, and 18%
placed no order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamtools.churn._arrays import _codes, _day, _days, _max
from kamtools.churn._training import MIN_CHURN_EVENTS, MIN_TRAIN_ROWS, _model_params
from kamtools.churn._value import from_context, no_order_probability, value_table
from kamtools.churn.bands import BANDS, HIGH_RISK_P, MEDIUM_RISK_P, _ranked, risk_bands
from kamtools.churn.baseline import baseline_beats_model, recency_baseline, rescore_with_recency
from kamtools.churn.drivers import presentable_drivers
from kamtools.churn.evaluation import METRIC_LABELS, ChurnEvaluation, calibration_table, evaluate
from kamtools.churn.features import features
from kamtools.churn.labels import ChurnDefinition, label_accounts, training_set
from kamtools.churn.lapsed import MIN_LAPSED, LapsedRate, lapsed_rate
from kamtools.churn.model import ChurnModel
from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines
from kamtools.history import COVER_SLACK_DAYS

__all__ = [
    "BANDS",
    "MIN_TRAIN_ROWS",
    "MIN_CHURN_EVENTS",
    "ChurnScores",
    "ChurnEvaluation",
    "baseline_beats_model",
    "calibration_table",
    "risk_bands",
    "HIGH_RISK_P",
    "MEDIUM_RISK_P",
    "planted_churn_check",
    "rescore_with_recency",
    "score",
    "score_details",
    "presentable_drivers",
    "evaluate",
    "recency_baseline",
    "METRIC_LABELS",
]


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
    """(active on as_of, ever ordered) per account of p.accounts (vectorised), by sales lines only."""
    index = pd.Index(p.accounts["account_id"].astype(object))
    sales = p.orders[~credit_lines(p.orders)]  # a return or credit note is not an order
    code = _codes(sales["account_id"], index)
    day = _days(sales["order_date"])
    last = _max(code, day, np.ones(len(day), dtype=bool), len(index))
    start = _day(p.as_of - pd.DateOffset(months=definition.lookback_months))
    ever = ~np.isnan(last)
    return ever & (np.nan_to_num(last, nan=-np.inf) > start), ever


@dataclass
class _Probabilities:
    """The churn probability of every account and how it was obtained (a churn model or the value model)."""

    prob: np.ndarray
    method: str
    model: ChurnModel | None = None
    drivers: pd.DataFrame | None = None
    favourable: pd.DataFrame | None = None
    contributions: pd.DataFrame | None = None


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
    forecast: pd.DataFrame | None = None,
) -> ChurnScores | NotAvailable:
    """Fit on history before ``as_of`` and score every account on ``as_of``.

    ``model`` is a dict of :class:`ChurnModel` parameters, an unfitted ChurnModel (cloned
    and trained here) or a *fitted* ChurnModel (used as is, no training). ``value`` is a
    value table (``account_id, p_alive, expected_value_12m``) to use instead of refitting
    the value model at ``as_of``; ``training`` a precomputed :func:`training_set` (same
    portfolio, definition and ``as_of``). ``short_history`` is the sentence saying why the
    history is too short to train (from :func:`kamtools.churn.labels.fit_definition`), used
    as the reason when no model can be trained. ``value_model`` is the value model's
    table (with ``value``, it gives the fallback without refitting). ``forecast`` is the
    forecast stage's ``forecast_summary`` (``account_id, forecast_next_12m``): revenue at risk
    is the probability x that 12-month forecast, the figure the reports plan with; an account
    without one (or every account, when ``forecast`` is None) uses the expected 12-month value
    (:func:`risk_base`). Returns :class:`ChurnScores`, or NotAvailable when neither a churn
    model nor the value model can be fitted.
    """
    d = definition or ChurnDefinition()
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    p = portfolio if as_of == portfolio.as_of else portfolio.truncate(as_of)
    value_tab = _value_for(p, value)
    X = _features_with_value(p, value_tab)
    prefitted = isinstance(model, ChurnModel) and hasattr(model, "estimators_")
    if training is None and not prefitted:
        training = training_set(p, d, step_months=step_months, max_snapshots=max_snapshots)
    elif training is None:
        training = pd.DataFrame({"as_of": pd.to_datetime([]), "churned": pd.Series([], dtype=bool)})
    active, ever = _active_mask(p, d)
    n_events = int(training["churned"].sum()) if len(training) else 0
    n_snap = training["as_of"].nunique() if len(training) else 0
    notes: list[str] = []
    if prefitted or (len(training) >= MIN_TRAIN_ROWS and n_events >= MIN_CHURN_EVENTS and n_snap >= 2):
        scored = _model_probabilities(X, active, training, model, prefitted, d, random_state, top)
    else:
        why = _why_no_model(training, n_snap, n_events, short_history)
        if isinstance(value_tab, str):
            return NotAvailable(f"Churn risk cannot be estimated: {why}, and {value_tab[0].lower()}{value_tab[1:]}")
        scored = _value_model_probabilities(p, X, value, value_model, d, why)
        notes.append(scored.method)
    if isinstance(value_tab, str):
        ev = X["revenue_12m"].to_numpy(dtype=float)
        notes.append(f"Expected 12-month value is last-12-month revenue ({value_tab})")
    else:
        ev = X["expected_value_12m"].to_numpy(dtype=float)
    ev = np.nan_to_num(ev, nan=0.0)
    base, source, note = risk_base(
        X["account_id"], ev, forecast, "value model" if not isinstance(value_tab, str) else None
    )
    notes.append(note)
    gone = lapsed_rate(p, d.lookback_months, d.horizon_months, ~active & ever)
    table, thresholds = _churn_table(X, scored, ev, active, ever, d, high_band_p, medium_band_p, gone, (base, source))
    drivers = None
    if scored.drivers is not None:
        drivers = _add_driver_columns(table, X.loc[active, "account_id"], scored, top)
    table = _ranked(table)
    active_X = X[active].reset_index(drop=True)
    return ChurnScores(
        table, drivers, X, scored.method, thresholds, scored.model, training, notes, active_X, scored.contributions
    )


def _model_probabilities(
    X: pd.DataFrame,
    active: np.ndarray,
    training: pd.DataFrame,
    model: ChurnModel | dict | None,
    prefitted: bool,
    d: ChurnDefinition,
    random_state: int,
    top: int,
) -> _Probabilities:
    """The churn model's probabilities and drivers for the active accounts (training it first unless prefitted).

    Features missing now but present in training (e.g. the value model failed today) are added to ``X`` as NaN.
    """
    if prefitted:
        fitted = model
    else:
        fitted = _model_params(model, d, random_state)
        fitted.fit(training.drop(columns="churned"), training["churned"].astype(bool).to_numpy())
    for col in fitted.numeric_columns_ + fitted.categorical_columns_:
        if col not in X.columns:
            X[col] = np.nan
    out = _Probabilities(np.full(len(X), np.nan), "", fitted)
    Xa = X[active].reset_index(drop=True)
    if len(Xa):
        out.prob[active] = fitted.predict_proba(Xa)[:, 1]
        out.contributions = fitted.contributions(Xa)
        out.drivers, out.favourable = presentable_drivers(Xa, out.contributions, top=top)
    out.method = f"churn model ({fitted.chosen_model_}, calibrated {fitted.calibration_method_ or 'no'}"
    if prefitted:
        out.method += "; a model fitted beforehand)"
    else:
        n_snap, n_events = training["as_of"].nunique(), int(training["churned"].sum())
        out.method += (
            f"; trained on {n_snap} snapshots, {len(training):,} account-snapshots, {n_events:,} churn events)"
        )
    return out


def _why_no_model(training: pd.DataFrame, n_snap: int, n_events: int, short_history: str | None) -> str:
    """Why no churn model can be trained: too short a history, or too few accounts."""
    why = (
        f"the history is too short to train a churn model ({n_snap} labelled snapshots, {len(training):,} "
        f"account-snapshots, {n_events:,} churn events; need {MIN_TRAIN_ROWS} rows and {MIN_CHURN_EVENTS} events)"
    )
    if short_history and n_snap < 2:
        why = short_history[0].lower() + short_history[1:].rstrip(".")
    elif n_snap >= 2:
        why = (
            f"there are too few accounts to train a churn model ({n_snap} labelled snapshots give {len(training):,} "
            f"account-snapshots and {n_events:,} churn events; it needs {MIN_TRAIN_ROWS} and {MIN_CHURN_EVENTS})"
        )
    return why


def _value_model_probabilities(
    p: Portfolio,
    X: pd.DataFrame,
    value: pd.DataFrame | None,
    value_model: pd.DataFrame | None,
    d: ChurnDefinition,
    why: str,
) -> _Probabilities:
    """The fallback without a churn model: the value model's probability of no order in the horizon
    (else 1 - P(alive), a score), with the method saying why."""
    h = d.horizon_months
    none = no_order_probability(p, value, value_model, h)
    uncovered = "" if d.kind == "full" else "; a revenue drop (partial churn) is not covered"
    if none is not None:
        prob = X["account_id"].astype(str).map(none).to_numpy(dtype=float)
        check = fallback_check(p, d)
        if check.ok:
            return _Probabilities(
                prob,
                f"the value model's probability of no order in the next {h} months ({check.sentence}){uncovered}, "
                f"because {why}",
            )
        return _Probabilities(
            prob,
            f"a churn score, not a probability: the value model's chance of no order in the next {h} months, "
            f"{check.sentence}{uncovered}, because {why}",
        )
    return _Probabilities(
        1.0 - X["p_alive"].to_numpy(dtype=float),
        f"a churn score, not a probability: 1 - P(alive) from the value model (the chance that the account "
        f"has already stopped buying, which runs below the churn rate), because {why}",
    )


@dataclass(frozen=True)
class FallbackCheck:
    """The fallback checked out of time inside the history (:func:`fallback_check`).

    ok : checked and within :data:`FALLBACK_TOLERANCE` in the large; predicted, observed :
    mean probability of no order at the inner cut and the share of its active accounts that
    placed none (NaN when unchecked); sentence : what the reader is told.
    """

    ok: bool
    predicted: float
    observed: float
    sentence: str


FALLBACK_TOLERANCE = 0.10  # points (in the large) the fallback may miss by and still be shown as a probability
FALLBACK_MIN_ACCOUNTS = 30  # active accounts at the inner cut needed to check the fallback
FALLBACK_MIN_MONTHS = 3  # months of orders before the inner cut needed to fit the value model there


def fallback_check(p: Portfolio, d: ChurnDefinition) -> FallbackCheck:
    """Checks the fallback (the value model's probability of no order in the next ``horizon_months``)
    as the P(alive) holdout does: fitted on the orders up to ``as_of - horizon``, is its mean over the
    accounts active then within 10 points of the share that placed no order in the months that followed?"""
    h = d.horizon_months
    cut = (p.as_of - pd.DateOffset(months=h)).normalize()
    sales = p.orders.loc[~credit_lines(p.orders), "order_date"]
    # the months counted as the page counts them (kamtools.history): a first order on 1 January covers a fit window
    # from 30 December (CDNOW at 1997-09-30 read "needs 9 months of orders" beside "this portfolio has 9 months")
    start = cut - pd.DateOffset(months=FALLBACK_MIN_MONTHS) + pd.Timedelta(days=COVER_SLACK_DAYS)
    enough = len(sales) and pd.Timestamp(sales.min()) <= start
    unchecked = (
        f"which could not be checked against the history (that needs {h + FALLBACK_MIN_MONTHS} months of orders "
        f"and {FALLBACK_MIN_ACCOUNTS} active accounts: {FALLBACK_MIN_MONTHS} to fit on and {h} to see who ordered)"
    )
    if not enough:
        return FallbackCheck(False, np.nan, np.nan, unchecked)
    labels = label_accounts(p, cut, ChurnDefinition(kind="full", horizon_months=h, active_months=d.lookback_months))
    if len(labels) < FALLBACK_MIN_ACCOUNTS:
        return FallbackCheck(False, np.nan, np.nan, unchecked)
    past = no_order_probability(p.truncate(cut), None, None, h)
    predicted = labels["account_id"].astype(str).map(past).to_numpy(dtype=float) if past is not None else None
    if predicted is None or np.isnan(predicted).all():
        return FallbackCheck(False, np.nan, np.nan, unchecked + "; the value model could not be fitted there")
    seen = ~np.isnan(predicted)
    pred = float(np.mean(predicted[seen]))
    obs = float(labels["churned"].to_numpy(dtype=float)[seen].mean())
    found = (
        f"fitted on the orders up to {cut.date()} it gave the {int(seen.sum()):,} accounts active then a mean of "
        f"{pred:.0%}, and {obs:.0%} placed no order in the next {h} months"
    )
    if abs(pred - obs) <= FALLBACK_TOLERANCE:
        # in the large only: groups of similar accounts missed by up to 30 points on CDNOW (bench_fallback_groups)
        return FallbackCheck(
            True,
            pred,
            obs,
            f"checked on the history: {found}, which checks them all together, not each kind of account",
        )
    return FallbackCheck(
        False,
        pred,
        obs,
        f"which missed by more than {FALLBACK_TOLERANCE:.0%} points when checked on the history: {found}",
    )


def _churn_table(
    X: pd.DataFrame,
    scored: _Probabilities,
    ev: np.ndarray,
    active: np.ndarray,
    ever: np.ndarray,
    d: ChurnDefinition,
    high_band_p: float,
    medium_band_p: float,
    gone: LapsedRate,
    base: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The churn table before ranking and the band cut-offs used. A lapsed account's probability
    is the history's rate of lapsed accounts staying away (:mod:`kamtools.churn.lapsed`), NaN
    when the history cannot tell; its revenue at risk is then NaN too (not counted). ``base`` is the
    12-month figure revenue at risk multiplies and where it comes from (:func:`risk_base`); default ``ev``."""
    lapsed = ~active
    amount, source = base if base is not None else (ev, np.full(len(X), "value model", dtype=object))
    prob = np.where(lapsed & ever, gone.probability, scored.prob)
    rar = np.where(lapsed & ever & np.isnan(prob), np.nan, np.nan_to_num(prob * amount, nan=0.0))
    bands, thresholds = risk_bands(np.where(active, prob, 0.0)[active], rar[active], high_band_p, medium_band_p)
    band = np.full(len(X), "lapsed", dtype=object)
    band[active] = bands
    band[~ever] = "no orders yet"
    method = np.full(len(X), scored.method, dtype=object)
    method[lapsed & ever] = f"lapsed: no orders in the last {d.lookback_months} months; " + (
        f"the probability of no order in the next {d.horizon_months} months is {gone.sentence}"
        if gone.n >= MIN_LAPSED
        else gone.sentence
    )
    method[~ever] = "no orders yet"
    table = pd.DataFrame(
        {
            "account_id": X["account_id"].astype(str).to_numpy(),
            "churn_probability": prob,
            "risk_band": pd.array(band, dtype="str"),
            "revenue_at_risk": rar,
            "expected_value_12m": ev,
            "risk_base_12m": amount,
            "risk_base": pd.array(source, dtype="str"),
            "p_alive": X["p_alive"].to_numpy(dtype=float) if "p_alive" in X.columns else np.nan,
            "method": pd.array(method, dtype="str"),
        }
    )
    return table, thresholds


RISK_BASE_FORECAST = "forecast"


def risk_base(
    account_ids: pd.Series, ev: np.ndarray, forecast: pd.DataFrame | None, ev_source: str | None = "value model"
) -> tuple[np.ndarray, np.ndarray, str]:
    """(12-month figure, its source per account, a sentence) that revenue at risk multiplies the churn probability by.

    The figure is the account's 12-month forecast (``forecast["forecast_next_12m"]``, the revenue the reports tell
    the KAM to plan with) wherever the forecast gives one; elsewhere ``ev``: the value model's expected 12-month
    value (``ev_source`` "value model") or, without it (``ev_source`` None), the last 12 months' revenue. So revenue
    at risk never exceeds the forecast it is part of."""
    ids = account_ids.astype(str).to_numpy()
    fallback = ev_source or "last 12 months' revenue"
    fallback_words = (
        "the value model's expected 12-month value" if ev_source else "the last 12 months' revenue as a run rate"
    )
    fc = np.full(len(ids), np.nan)
    if isinstance(forecast, pd.DataFrame) and {"account_id", "forecast_next_12m"} <= set(forecast.columns):
        by_id = forecast.drop_duplicates("account_id").set_index(forecast["account_id"].drop_duplicates().astype(str))
        fc = pd.to_numeric(pd.Series(ids).map(by_id["forecast_next_12m"]), errors="coerce").to_numpy(dtype=float)
    has = np.isfinite(fc)
    amount = np.where(has, np.clip(fc, 0.0, None), ev)
    source = np.where(has, RISK_BASE_FORECAST, fallback).astype(object)
    if has.all():
        note = "Revenue at risk is the churn probability x the account's 12-month forecast."
    elif has.any():
        n = int((~has).sum())
        note = (
            f"Revenue at risk is the churn probability x the account's 12-month forecast; "
            f"{n} account{'s' if n != 1 else ''} without a forecast use{'' if n != 1 else 's'} {fallback_words}."
        )
    else:
        note = f"Revenue at risk is the churn probability x {fallback_words} (no 12-month forecast was given)."
    return amount, source, note


def _add_driver_columns(table: pd.DataFrame, active_ids: pd.Series, scored: _Probabilities, top: int) -> pd.DataFrame:
    """Adds ``driver_1..top`` and ``in_our_favour`` to ``table``; returns the drivers by account_id."""
    ids = active_ids.astype(str).to_numpy()
    drivers = scored.drivers
    drivers.insert(0, "account_id", pd.array(ids[drivers["row"].to_numpy()], dtype="str"))
    drivers = drivers.drop(columns="row")
    wide = drivers.pivot(index="account_id", columns="rank", values="sentence") if len(drivers) else None
    for r in range(1, top + 1):
        col = wide[r] if wide is not None and r in wide.columns else pd.Series(dtype="str")
        table[f"driver_{r}"] = table["account_id"].map(col).fillna("").astype("str")
    if scored.favourable is not None:
        good = scored.favourable.assign(account_id=ids[scored.favourable["row"].to_numpy()])
        joined = good.groupby("account_id", sort=False)["sentence"].agg("; ".join)
        table["in_our_favour"] = table["account_id"].map(joined).fillna("").astype("str")
    return drivers


def score(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, **kwargs) -> pd.DataFrame | NotAvailable:
    """Churn risk of every account on ``as_of`` (default the portfolio's).

    A :class:`ChurnModel` is trained on labelled history before ``as_of`` (see
    :func:`kamtools.churn.training_set`) and applied to today's features.

    Returns one row per account, highest revenue at risk first: ``account_id``,
    ``risk_rank``, ``churn_probability`` (calibrated, 0-1), ``risk_band`` (high / medium
    / low from the probability, ``lapsed``, ``no orders yet``), ``revenue_at_risk``
    (probability x the 12-month forecast given as ``forecast``, else x the expected 12-month value, currency),
    ``expected_value_12m``, ``risk_base_12m`` and ``risk_base`` (the figure multiplied and its source),
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
