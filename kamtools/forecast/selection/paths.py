"""The candidate methods and their forecast paths.

:data:`METHOD_WORDS` names every method an account can get; :data:`CANDIDATES` are the ones the out-of-time
evidence compares, and :func:`candidate_paths` gives each one's path from an account's :class:`State` (the
kamtools model's path comes from the forecast stage), with the one-origin mix of :data:`COMBINED`
(:func:`combined_path`). The BTYD expected value comes from :func:`btyd_fit` / :func:`btyd_paths` (what it says
of each account now: :class:`BtydNow`); :func:`btyd_unusable` refuses a fit whose rates do not vary;
:func:`_own_counts` and :func:`_merge_btyd` make a new account's own count model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.forecast.selection.state import State
from kamtools.value.choice import COMMON_RATE_SHAPE  # one threshold for the value stage's choice and this check

METHOD_WORDS = {
    "model": "kamtools model",
    "recent_mean": "mean of last 6 months",
    "level_12m": "mean of last 12 months",
    "seasonal_naive": "seasonal naive",
    "btyd": "BTYD expected value",
    "zero": "lapsed: zero",
    "window_mean": "mean of all months in the data",
    "returning": "lapsed: what such accounts bought back",
    "combined": "equal mix of the kamtools model, BTYD expected value and mean of last 6 months",
}
# the method words (``forecast_method``) of a forecast that weighs the chance an account has stopped buying (the
# equal mix through its BTYD part and a silent account's mean of recent months); the others follow an account's own
# months as if it goes on buying as it has (the plan and the forecast section say which)
WEIGHS_STOPPING = frozenset(METHOD_WORDS[m] for m in ("btyd", "zero", "returning", "combined"))
COMBINED = ("model", "btyd", "recent_mean")  # the mix's members, equal weights over those that apply to an account
CANDIDATES = ("model", "recent_mean", "level_12m", "seasonal_naive", "btyd")


def candidate_paths(state: State, horizon: int, model: np.ndarray | None, btyd: np.ndarray | None) -> dict:
    """Monthly paths (accounts x horizon) of every candidate; NaN rows where a method does not apply."""
    n = len(state.recent)
    paths = {
        "recent_mean": np.repeat(state.recent[:, None], horizon, axis=1),
        "level_12m": np.repeat(state.level[:, None], horizon, axis=1),
        "seasonal_naive": state.seasonal,
        "zero": np.zeros((n, horizon)),
    }
    if state.window is not None:
        paths["window_mean"] = np.repeat(state.window[:, None], horizon, axis=1)
    if state.former is not None:
        paths["returning"] = np.repeat(state.former[:, None], horizon, axis=1)
    paths["model"] = model if model is not None else np.full((n, horizon), np.nan)
    paths["btyd"] = btyd if btyd is not None else np.full((n, horizon), np.nan)
    paths["combined"] = combined_path(paths)
    return paths


def combined_path(paths: dict, members: tuple[str, ...] = COMBINED) -> np.ndarray:
    """The equal mix of ``members`` (of :data:`COMBINED`): per account, the mean of the members whose whole path
    applies (the mean of the last 6 months always does)."""
    stack = np.stack([paths[m] for m in members])
    ok = np.all(np.isfinite(stack), axis=2)
    n_ok = ok.sum(axis=0)
    total = np.where(ok[:, :, None], stack, 0.0).sum(axis=0)
    return np.where(n_ok[:, None] > 0, total / np.maximum(n_ok, 1)[:, None], np.nan)


@dataclass
class BtydNow:
    """What the buy-till-you-die models say about each account's coming months (rows in ``ids`` order).

    ``paths``: expected revenue per month (n, h); ``p_none``: probability of no order in the first
    k months, k = 1..h (n, h: P(alive) times the chance a live account's posterior rate gives no
    purchase); ``shape``, ``rate``: the posterior Gamma of a live account's purchase rate (per week)
    behind the count distribution of :func:`btyd_total_range`. NaN rows: accounts not in the fit.
    ``status``: the fit's :func:`kamtools.value.choice.fit_status` (``"common_rate"``: every account gets
    about the same rate; ``"unidentified"``: its parameters are not determined by the data)."""

    paths: np.ndarray
    p_none: np.ndarray
    shape: np.ndarray
    rate: np.ndarray
    status: str = "identified"


def btyd_fit(
    orders: pd.DataFrame, as_of: pd.Timestamp, ids: np.ndarray, horizon: int, family: str = "bg_nbd"
) -> BtydNow | None:
    """BG/NBD (or MBG/NBD: ``family="mbg_nbd"``) + Gamma-Gamma fitted on the orders up to ``as_of``:
    :class:`BtydNow` of the accounts ``ids`` (weekly purchase periods, undiscounted); None when the
    models cannot be fitted (too few accounts or repeat buyers)."""
    try:
        from kamtools.value import MIN_ACCOUNTS, MIN_REPEAT_BUYERS, BetaGeo, GammaGamma, ModifiedBetaGeo, rfm_summary
        from kamtools.value.spent import spent
    except ImportError:  # pragma: no cover - a value module without the BTYD estimators
        return None
    estimator = ModifiedBetaGeo if family == "mbg_nbd" else BetaGeo

    past = orders[orders["order_date"] <= as_of]
    if past.empty:
        return None
    weeks = (365.25 / 12) / 7.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cols = ["account_id", "order_date", "net_revenue"] + (["quantity"] if "quantity" in past.columns else [])
            s = rfm_summary(past[cols], as_of=as_of, freq="W")  # quantity: returns are not purchases
            x, t_x, T, m = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary"))
            if len(s) < MIN_ACCOUNTS or int(np.sum(x > 0)) < MIN_REPEAT_BUYERS:
                return None
            bg = estimator().fit(x, t_x, T)
            fallback = float(m[x > 0].mean())
            try:
                # the value stage reports a frequency/value correlation; this candidate only needs the values
                # (and warnings filters are process-wide, not safe to change from this stage's thread)
                avg = GammaGamma(corr_threshold=1.0).fit(x, m).expected_average_value(x, m)
            except ValueError:
                avg = np.where(x > 0, m, fallback)
            avg = np.where(np.isfinite(avg) & (avg >= 0), avg, fallback)
            # an account whose every line is worth 0 showed no spend: not the population's mean purchase
            avg = np.where(spent(past, as_of, s["account_id"]), avg, 0.0)
            cum = np.column_stack(
                [np.zeros(len(x))] + [bg.expected_purchases((k + 1) * weeks, x, t_x, T) for k in range(horizon)]
            )
            p_none = np.column_stack([1.0 - bg.p_purchase((k + 1) * weeks, x, t_x, T) for k in range(horizon)])
            r, alpha = float(bg.params_["r"]), float(bg.params_["alpha"])
            from kamtools.value.choice import NO_DROPOUT_A, fit_status

            status = fit_status(bg)[0]
            if status == "unidentified" and float(bg.params_["a"]) < NO_DROPOUT_A:
                # no drop-out found (a at its bound), whether or not the purchase-rate parameters' standard errors
                # came out finite, which the numerical libraries' versions settle differently on such a fit
                status = "no_dropout"
    except (ValueError, RuntimeError, ArithmeticError, np.linalg.LinAlgError):  # no fit: not a candidate
        return None
    rev = np.diff(cum, axis=1) * avg[:, None]
    rev = np.where(np.isfinite(rev), np.maximum(rev, 0.0), np.nan)
    index = s["account_id"].astype(str).to_numpy()

    def _rows(a: np.ndarray) -> np.ndarray:
        return pd.DataFrame(a, index=index).reindex(ids).to_numpy(dtype=float)

    p_none = np.where(np.isfinite(p_none), np.clip(p_none, 0.0, 1.0), np.nan)
    return BtydNow(_rows(rev), _rows(p_none), _rows(r + x)[:, 0], _rows(alpha + T)[:, 0], status)


def btyd_paths(
    orders: pd.DataFrame, as_of: pd.Timestamp, ids: np.ndarray, horizon: int, family: str = "bg_nbd"
) -> np.ndarray | None:
    """BG/NBD (or MBG/NBD: ``family="mbg_nbd"``) + Gamma-Gamma expected revenue of each account
    in each of the next ``horizon`` months (weekly purchase periods, undiscounted), from
    orders up to ``as_of``; None when the models cannot be fitted (too few accounts or
    repeat buyers). The forecast stage passes the family the value stage chose, so the
    buying-rhythm model behind a forecast is the one behind the account's value."""
    fit = btyd_fit(orders, as_of, ids, horizon, family)
    return None if fit is None else fit.paths


def btyd_unusable(fit: BtydNow | None) -> bool:
    """A BTYD fit that cannot stand without an out-of-time check: its purchase rates do not vary between
    accounts (a Gamma prior of shape at least :data:`COMMON_RATE_SHAPE`, at the edge of the search), so every
    account gets about the same number of purchases whatever it bought (a demo of one month: every one-week
    buyer 292.9k, 80% range 236.1k to 351.2k, for true totals of 43k-79k). A fit whose other parameters are
    undetermined but whose rates still vary keeps its place (an acquisition cohort of 3 months). The value stage
    passes the forecasts a family with this fit only where the other family's fit has it too
    (:func:`kamtools.value.choose_btyd`, status ``"common_rate"``), so this check guards that case and a fit
    at the end of the last complete month that differs from the value stage's at ``as_of``."""
    if fit is None:
        return False
    shape = np.asarray(fit.shape, dtype=float)
    return bool(np.isfinite(shape).any() and np.nanmin(shape) >= COMMON_RATE_SHAPE)


def _own_counts(y: np.ndarray, young: np.ndarray, h: int) -> BtydNow:
    """A new account's own buying as a count model, where nothing else measures it: ``k`` ordering months in
    its ``a`` months give its rate of ordering months the Gamma(k, a) of those months alone (no portfolio
    prior), its months ahead a negative binomial (the BTYD count distribution without a fitted population;
    rates per week as :func:`btyd_fit` gives them). NaN rows for the other accounts."""
    n = len(young)
    weeks = (365.25 / 12) / 7.0
    k = np.sum(np.nan_to_num(np.asarray(y, dtype=float)) > 0, axis=1).astype(float)
    ok = (np.asarray(young) > 0) & (k > 0)
    shape = np.where(ok, k, np.nan)
    rate = np.where(ok, np.asarray(young, dtype=float) * weeks, np.nan)
    ahead = np.arange(1, h + 1)[None, :]
    age = np.asarray(young, dtype=float)[:, None]
    p_none = np.where(ok[:, None], (age / np.maximum(age + ahead, 1)) ** shape[:, None], np.nan)
    return BtydNow(np.full((n, h), np.nan), p_none, shape, rate)


def _merge_btyd(n: int, now: BtydNow | None, one_time_fit: BtydNow | None, one_time: np.ndarray) -> BtydNow | None:
    """One :class:`BtydNow` for every account: the modified BG/NBD's rows for the silent one-time buyers on
    its path, the chosen model's for the others (NaN rows where neither was fitted)."""
    if now is None and one_time_fit is None:
        return None
    h = (now or one_time_fit).p_none.shape[1]
    out = BtydNow(np.full((n, h), np.nan), np.full((n, h), np.nan), np.full(n, np.nan), np.full(n, np.nan))
    for fit, rows in ((now, ~one_time), (one_time_fit, one_time)):
        if fit is None:
            continue
        k = min(h, fit.p_none.shape[1])
        out.paths[rows, :k] = fit.paths[rows, :k]
        out.p_none[rows, :k] = fit.p_none[rows, :k]
        out.shape[rows], out.rate[rows] = fit.shape[rows], fit.rate[rows]
    return out
