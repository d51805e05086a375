"""Rolling-origin evaluation of the forecaster, always beside a simple baseline.

The baseline is the one a careful analyst would use for the history a backtest window
has: **seasonal naive** (each month as the same month a year earlier) when the training
part holds at least two full seasons (:data:`SEASONAL_BASELINE_CYCLES`), otherwise the
**mean of the recent months** (the last :data:`RECENT_MONTHS`, or all when fewer). With
less than two seasons a "seasonal" naive would repeat a single year's noise (and below
one season it is only the last value), so it is neither used nor named as such.
:func:`plan_backtest` shrinks the horizon and the number of windows to what a history
allows, or says in one sentence why no backtest is possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from kamtools.forecast._validate import validate_history
from kamtools.forecast.core import Forecaster, _check_level

SEASONAL_BASELINE_CYCLES = 2  # full seasons of training before the baseline is seasonal naive
RECENT_MONTHS = 6  # periods averaged by the recent-mean baseline
MIN_BACKTEST_TRAIN = 6  # periods a series needs before a backtest origin to take part in that window
BACKTEST_HORIZONS = (12, 6, 3)  # horizons tried, longest first, when the history is short

# baseline keys -> words for reports
BASELINE_WORDS = {
    "seasonal_naive": "seasonal naive (each month as the same month a year earlier)",
    "recent_mean": f"the mean of the last {RECENT_MONTHS} months",
}
BASELINE_SHORT = {"seasonal_naive": "seasonal naive", "recent_mean": f"mean of last {RECENT_MONTHS} months"}


@dataclass(frozen=True)
class BacktestPlan:
    """What backtest a history allows (see :func:`plan_backtest`).

    ``horizon`` and ``n_windows`` are 0 when no backtest is possible; ``note`` is one
    sentence for the report and the bundle manifest either way.
    """

    horizon: int
    n_windows: int
    step: int
    min_train: int
    note: str

    @property
    def possible(self) -> bool:
        return self.n_windows > 0


def _n(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def plan_backtest(
    n_periods: int,
    horizon: int = 12,
    n_windows: int = 3,
    min_train: int = MIN_BACKTEST_TRAIN,
    horizons: tuple[int, ...] = BACKTEST_HORIZONS,
    unit: str = "month",
) -> BacktestPlan:
    """The longest backtest horizon and the most windows (up to ``n_windows``) that a history
    of ``n_periods`` allows, each window keeping ``min_train`` periods to fit on.

    The horizon is ``horizon`` when ``n_periods >= min_train + horizon``, else the longest
    of ``horizons`` below it that fits; windows are ``step = max(1, h // 4)`` apart. When
    not even the shortest horizon fits, the plan has no windows and ``note`` says what is
    needed.
    """
    n_periods, horizon = int(n_periods), int(horizon)
    tried = [horizon] + [h for h in horizons if h < horizon]
    for h in tried:
        if n_periods - h >= min_train:
            step = max(1, h // 4)
            windows = min(int(n_windows), 1 + (n_periods - min_train - h) // step)
            head = f"{_n(n_periods, unit)} of history"
            if h < horizon:
                what = (
                    f"{head}: the forecast cannot be tested on past data {_n(horizon, unit)} ahead (that needs "
                    f"{min_train + horizon}), so it was tested {_n(h, unit)} ahead"
                )
            else:
                what = f"{head}: the forecast was tested on past data {_n(h, unit)} ahead"
            what += f" from {_n(windows, 'past date')}" + (f" {_n(step, unit)} apart" if windows > 1 else "")
            what += f", each forecast from at least {_n(min_train, unit)} before it."
            return BacktestPlan(h, windows, step, int(min_train), what)
    shortest = min(tried)
    return BacktestPlan(
        0,
        0,
        0,
        int(min_train),
        f"{_n(n_periods, unit)} of history: too short to test the forecast on past data (that needs at least "
        f"{min_train + shortest}: {min_train} to fit on and {shortest} to compare with), so its accuracy is not shown.",
    )


@dataclass
class BacktestResult:
    """What :func:`backtest` returns.

    per_series : DataFrame
        One row per series: ``unique_id, n_windows`` (the windows this series really took
        part in), ``mase, smape, bias_pct, coverage_<lvl>...`` for the forecaster and the
        same metrics with suffix ``_naive`` for the baseline, ``mase_ratio`` (forecaster
        MASE / baseline MASE; < 1 is better), ``baseline`` (``seasonal_naive``,
        ``recent_mean``, or both joined by ``+`` when the windows differed) and
        ``n_windows_seasonal`` (windows whose baseline was seasonal naive).
    overall : DataFrame
        One row per method: ``forecast`` and the baseline (``seasonal_naive`` or
        ``recent_mean`` when every window used it, else ``baseline``): mean MASE and sMAPE
        over series, volume-weighted ``bias_pct``, mean interval coverage, ``n_series``,
        and ``description`` (the method in words).
    forecasts : DataFrame
        Every backtest forecast: ``unique_id, cutoff, ds, y, forecast, lo_*, hi_*, model,
        naive, naive_lo_*, naive_hi_*, baseline, window, scale`` (``scale``: the MASE
        denominator of that series and window).
    """

    per_series: pd.DataFrame
    overall: pd.DataFrame
    forecasts: pd.DataFrame


def seasonal_naive(y: np.ndarray, horizon: int, season_length: int, level) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seasonal-naive forecast with its textbook normal intervals.

    ``y_{n+h} = y_{n+h-m*k}`` with ``k = ceil(h/m)``; the error sd grows with the number of
    seasons ahead, ``sigma * sqrt(k)`` (sigma from in-sample seasonal differences). With
    less than one season of history it is the naive (last value) forecast.
    Returns ``(mean (h,), lo (L, h), hi (L, h))``.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    m = season_length if n > season_length else 1
    h = np.arange(horizon)
    if n >= m:
        mean = y[n - m + (h % m)]
    else:  # pragma: no cover - n >= 1 always gives m <= n here
        mean = np.full(horizon, y[-1])
    diffs = y[m:] - y[:-m] if n > m else np.array([])
    sigma = float(np.sqrt(np.mean(diffs**2))) if len(diffs) else (0.5 * abs(y[-1]))
    k = h // m + 1
    q = stats.norm.ppf(0.5 + np.asarray(level) / 200.0)[:, None]
    sd = sigma * np.sqrt(k)[None, :]
    return mean, mean[None, :] - q * sd, mean[None, :] + q * sd


def recent_mean(y: np.ndarray, horizon: int, level, window: int = RECENT_MONTHS):
    """Mean of the last ``window`` values (all when fewer) with normal intervals.

    The error sd is the sd of the last ``2 * window`` values (ddof 1) widened for the
    uncertainty of the mean, ``s * sqrt(1 + 1/k)``; one value gets a 50% coefficient of
    variation. Returns ``(mean (h,), lo (L, h), hi (L, h))``.
    """
    y = np.asarray(y, dtype=float)
    k = min(len(y), int(window))
    value = float(np.mean(y[-k:]))
    spread = y[-2 * int(window) :]
    s = float(np.std(spread, ddof=1)) if len(spread) > 1 else 0.5 * abs(value)
    sd = s * np.sqrt(1.0 + 1.0 / k)
    mean = np.full(int(horizon), value)
    q = stats.norm.ppf(0.5 + np.asarray(level) / 200.0)[:, None]
    return mean, mean[None, :] - q * sd, mean[None, :] + q * sd


def baseline_forecast(y: np.ndarray, horizon: int, season_length: int, level) -> tuple[str, tuple]:
    """The baseline for a training series: ``("seasonal_naive", ...)`` with at least
    :data:`SEASONAL_BASELINE_CYCLES` full seasons, else ``("recent_mean", ...)``; the
    tuple is ``(mean, lo, hi)`` as :func:`seasonal_naive` returns it."""
    if season_length > 1 and len(y) >= SEASONAL_BASELINE_CYCLES * season_length:
        return "seasonal_naive", seasonal_naive(y, horizon, season_length, level)
    return "recent_mean", recent_mean(y, horizon, level)


def _scale(train: np.ndarray, m: int) -> float:
    """MASE denominator: in-sample mean absolute seasonal difference when the training part
    holds two full seasons, else the mean absolute month-to-month change."""
    if m > 1 and len(train) >= SEASONAL_BASELINE_CYCLES * m:
        return float(np.mean(np.abs(train[m:] - train[:-m])))
    if len(train) > 1:
        return float(np.mean(np.abs(np.diff(train))))
    return np.nan


def _smape(a: np.ndarray, f: np.ndarray) -> np.ndarray:
    den = np.abs(a) + np.abs(f)
    return np.where(den > 0, 200.0 * np.abs(a - f) / np.where(den > 0, den, 1.0), 0.0)


def _baseline_columns(fc, clean, bounds, cut, keep, horizon, season_length, level, nonnegative) -> None:
    """The baseline of every kept series (its forecast, intervals, kind), its MASE scale and cutoff, into ``fc``."""
    yv = clean["y"].to_numpy()
    naive, nlo, nhi, scales, cutoffs, kinds = [], [], [], [], [], []
    for i in np.flatnonzero(keep):
        tr = yv[bounds[i] : bounds[i] + cut[i]]
        kind, (mean, lo, hi) = baseline_forecast(tr, horizon, season_length, level)
        kinds.append(np.repeat(kind, horizon))
        nonneg = bool(np.all(tr >= 0)) if nonnegative is None else bool(nonnegative)
        if nonneg:
            mean, lo, hi = np.maximum(mean, 0), np.maximum(lo, 0), np.maximum(hi, 0)
        naive.append(mean)
        nlo.append(lo)
        nhi.append(hi)
        scales.append(np.full(horizon, _scale(tr, season_length)))
        cutoffs.append(np.repeat(clean["ds"].iloc[bounds[i] + cut[i] - 1], horizon))
    fc["cutoff"] = np.concatenate(cutoffs)
    fc["naive"] = np.concatenate(naive)
    for j, lev in enumerate(level):
        fc[f"naive_lo_{lev:g}"] = np.concatenate([x[j] for x in nlo])
        fc[f"naive_hi_{lev:g}"] = np.concatenate([x[j] for x in nhi])
    fc["_scale"] = np.concatenate(scales)
    fc["baseline"] = np.concatenate(kinds)


def _window(clean, bounds, cut, keep, horizon, season_length, level, freq, n_jobs, kwargs) -> pd.DataFrame:
    """One origin: the model fitted on each kept series' first ``cut`` periods, beside the actuals and baseline."""
    rows = np.concatenate([np.arange(bounds[i], bounds[i] + cut[i]) for i in np.flatnonzero(keep)])
    train = clean.iloc[rows][["unique_id", "ds", "y"]]
    fc = Forecaster(horizon, season_length, level, freq, n_jobs=n_jobs, **kwargs).fit(train).predict()
    test_rows = np.concatenate(
        [np.arange(bounds[i] + cut[i], bounds[i] + cut[i] + horizon) for i in np.flatnonzero(keep)]
    )
    actual = clean.iloc[test_rows][["unique_id", "ds", "y"]]
    fc = fc.merge(actual, on=["unique_id", "ds"], how="left", validate="one_to_one")
    _baseline_columns(fc, clean, bounds, cut, keep, horizon, season_length, level, kwargs.get("nonnegative"))
    return fc


def backtest(
    history: pd.DataFrame,
    horizon: int = 12,
    n_windows: int = 3,
    step: int | None = None,
    season_length: int = 12,
    level: tuple[float, ...] = (80, 95),
    freq: str | None = None,
    n_jobs: int | None = -1,
    min_train: int = 1,
    **kwargs,
) -> BacktestResult:
    """Rolling-origin evaluation of :class:`Forecaster` beside a simple baseline.

    For window ``w = 0 .. n_windows-1`` each series is cut at its own last date minus
    ``horizon + w * step`` periods, forecast from that cutoff, and compared with the
    actuals of the next ``horizon`` periods (all inside the history). ``step`` defaults to
    ``max(1, horizon // 4)``. A series with fewer than ``min_train`` observations before a
    cutoff sits that window out (so ``n_windows`` per series counts only the windows it
    had). The baseline of each series and window is seasonal naive with two full seasons
    of training, else the mean of the recent months (see the module docstring).
    Use :func:`plan_backtest` to choose a horizon and windows that a history allows.

    Metrics per series and window (then averaged over windows):
    MASE = mean |error| / in-sample mean |seasonal difference| of the training part
    (lag 1 with less than two seasons; undefined, NaN, for a constant training series);
    sMAPE in percent (0 when actual and forecast are both 0); ``bias_pct`` = sum(forecast -
    actual) / sum |actual| * 100 (positive: over-forecast); coverage = share of actuals
    inside each interval. Further keyword arguments go to :class:`Forecaster`.
    """
    horizon = int(horizon)
    level = _check_level(level)
    if n_windows < 1:
        raise ValueError("n_windows must be >= 1")
    step = max(1, horizon // 4) if step is None else int(step)
    clean, freq = validate_history(history, freq, kwargs.get("fill_value", 0.0))  # freq: the Grid from now on
    ids, starts = np.unique(clean["unique_id"].to_numpy(), return_index=True)
    bounds = np.r_[starts, len(clean)]
    lens = np.diff(bounds)

    frames = []
    for w in range(n_windows):
        cut = lens - horizon - w * step  # training length per series
        keep = cut >= max(1, min_train)
        if keep.any():
            fc = _window(clean, bounds, cut, keep, horizon, season_length, level, freq, n_jobs, kwargs)
            fc["window"] = w
            frames.append(fc)
    if not frames:
        raise ValueError(
            f"no series is long enough to backtest {n_windows} window(s) of horizon {horizon} "
            f"(step {step}); shorten the horizon or n_windows."
        )
    allfc = pd.concat(frames, ignore_index=True)
    per_series = _per_series(allfc, level)
    overall = _overall(allfc, per_series, level)
    cols = ["unique_id", "cutoff", "ds", "y", "forecast"]
    cols += [f"{s}_{lev:g}" for lev in level for s in ("lo", "hi")] + ["model", "naive"]
    cols += [f"naive_{s}_{lev:g}" for lev in level for s in ("lo", "hi")] + ["baseline", "window"]
    forecasts = allfc[cols].assign(scale=allfc["_scale"]).sort_values(["unique_id", "cutoff", "ds"])
    forecasts = forecasts.reset_index(drop=True)
    return BacktestResult(per_series, overall, forecasts)


def _window_metrics(df: pd.DataFrame, fcol: str, lo_fmt: str, hi_fmt: str, level) -> pd.DataFrame:
    a = df["y"].to_numpy()
    f = df[fcol].to_numpy()
    work = pd.DataFrame(
        {
            "unique_id": df["unique_id"].to_numpy(),
            "window": df["window"].to_numpy(),
            "abs_scaled": np.abs(a - f) / np.where(df["_scale"].to_numpy() > 0, df["_scale"].to_numpy(), np.nan),
            "smape": _smape(a, f),
            "err": f - a,
            "abs_actual": np.abs(a),
        }
    )
    for lev in level:
        lo = df[lo_fmt.format(lev)].to_numpy()
        hi = df[hi_fmt.format(lev)].to_numpy()
        work[f"coverage_{lev:g}"] = ((a >= lo) & (a <= hi)).astype(float)
    agg = {"abs_scaled": "mean", "smape": "mean", "err": "sum", "abs_actual": "sum"}
    agg.update({f"coverage_{lev:g}": "mean" for lev in level})
    per_window = work.groupby(["unique_id", "window"], sort=True).agg(agg)
    per_window["abs_scaled"] = work.groupby(["unique_id", "window"], sort=True)["abs_scaled"].mean()
    return per_window


def _series_metrics(df: pd.DataFrame, fcol: str, lo_fmt: str, hi_fmt: str, level) -> pd.DataFrame:
    """Per series (index ``unique_id``): n_windows, then MASE, sMAPE, bias and coverage averaged over its windows."""
    pw = _window_metrics(df, fcol, lo_fmt, hi_fmt, level)
    g = pw.groupby(level="unique_id", sort=True)
    res = pd.DataFrame(
        {
            "mase": g["abs_scaled"].mean(),
            "smape": g["smape"].mean(),
            "bias_pct": 100.0 * g["err"].sum() / g["abs_actual"].sum().replace(0, np.nan),
            **{f"coverage_{lev:g}": g[f"coverage_{lev:g}"].mean() for lev in level},
        }
    )
    res.insert(0, "n_windows", g.size())
    return res


def _per_series(allfc: pd.DataFrame, level) -> pd.DataFrame:
    out = {}
    for tag, fcol, lo_fmt, hi_fmt in (
        ("", "forecast", "lo_{:g}", "hi_{:g}"),
        ("_naive", "naive", "naive_lo_{:g}", "naive_hi_{:g}"),
    ):
        res = _series_metrics(allfc, fcol, lo_fmt, hi_fmt, level)
        if tag:
            res = res.drop(columns="n_windows")
        out[tag] = res.add_suffix(tag) if tag else res
    per = out[""].join(out["_naive"])
    per["mase_ratio"] = per["mase"] / per["mase_naive"].replace(0, np.nan)
    kinds = allfc.groupby(["unique_id", "window"], sort=True)["baseline"].first()
    seasonal = (kinds == "seasonal_naive").groupby(level="unique_id").sum()
    per["baseline"] = kinds.groupby(level="unique_id").agg(lambda k: "+".join(sorted(set(k), reverse=True)))
    per["n_windows_seasonal"] = seasonal.reindex(per.index).fillna(0).astype("int64")
    per = per.reset_index()
    per["n_windows"] = per["n_windows"].astype("int64")
    return per


def baseline_words(kinds: str) -> str:
    """A ``baseline`` value of :func:`backtest` (``seasonal_naive``, ``recent_mean`` or both
    joined by ``+``) in words."""
    parts = [k for k in str(kinds).split("+") if k in BASELINE_WORDS]
    if len(parts) == 1:
        return BASELINE_WORDS[parts[0]]
    return "seasonal naive where the window had two full years to repeat, otherwise " + BASELINE_WORDS["recent_mean"]


def _overall(allfc: pd.DataFrame, per: pd.DataFrame, level) -> pd.DataFrame:
    rows = []
    kinds = sorted(set(allfc["baseline"]), reverse=True)
    base = kinds[0] if len(kinds) == 1 else "baseline"
    for method, tag, fcol in (("forecast", "", "forecast"), (base, "_naive", "naive")):
        err = (allfc[fcol] - allfc["y"]).sum()
        vol = allfc["y"].abs().sum()
        row = {
            "method": method,
            "description": "kamtools model" if not tag else baseline_words("+".join(kinds)),
            "mase": float(per[f"mase{tag}"].mean()),
            "smape": float(per[f"smape{tag}"].mean()),
            "bias_pct": float(100.0 * err / vol) if vol > 0 else np.nan,
        }
        for lev in level:
            row[f"coverage_{lev:g}"] = float(per[f"coverage_{lev:g}{tag}"].mean())
        row["n_series"] = int(per[f"mase{tag}"].notna().sum())
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# the forecast as shipped: each account's chosen method at the backtest's origins
# ---------------------------------------------------------------------------------------
CHOSEN_WORDS = "forecast as shipped (each account's chosen method)"
CHOSEN_COLUMNS = (
    "method",
    "n_windows_chosen",
    "mase_chosen",
    "smape_chosen",
    "bias_pct_chosen",
    "coverage_80_chosen",
    "coverage_95_chosen",
    "coverage_total_80_chosen",
)


def _evidence_origin(account: np.ndarray) -> np.ndarray:
    """The origin (0, 1, ... in date order) of each row of the forecast selection's evidence: it stacks one block
    per backtest origin, oldest first, with the accounts sorted within a block (and every account of a block in
    the next one, so a block starts where the ids stop rising)."""
    acc = np.asarray(account).astype(str)
    return np.cumsum(np.r_[True, acc[1:] <= acc[:-1]]) - 1 if len(acc) else np.zeros(0, dtype=int)


def _chosen_rows(bt: BacktestResult, sel, summary: pd.DataFrame, level) -> pd.DataFrame:
    """The backtest's rows with ``chosen`` (each account's chosen method and correction factor at that origin),
    its monthly interval bounds and ``total_lo`` / ``total_hi`` (the 80% range of the horizon total as
    multiples of it, as on the account's page); rows where the chosen method had no forecast are left out."""
    ev = sel.evidence
    f = bt.forecasts.copy()
    f["unique_id"] = f["unique_id"].astype(str)
    cutoffs = np.sort(f["cutoff"].unique())
    origin = _evidence_origin(ev.account)
    if len(origin) == 0 or origin.max() + 1 != len(cutoffs):
        raise RuntimeError("forecast: the selection's evidence does not match the backtest's origins")
    rows = pd.DataFrame(
        {"unique_id": np.asarray(ev.account).astype(str), "cutoff": cutoffs[origin], "_row": np.arange(len(origin))}
    )
    f = f.merge(rows, on=["unique_id", "cutoff"], how="inner", validate="many_to_one")
    ids = np.asarray(sel.ids).astype(str)
    i = np.searchsorted(ids, f["unique_id"].to_numpy())
    r = f["_row"].to_numpy()
    cut = pd.to_datetime(f["cutoff"])
    step = ((f["ds"].dt.year - cut.dt.year) * 12 + f["ds"].dt.month - cut.dt.month - 1).to_numpy()
    method = np.asarray(sel.method)[i]
    factor = np.asarray(sel.factor, dtype=float)[i]
    chosen = np.full(len(f), np.nan)
    for m in np.unique(method):
        at = method == m
        if m == "zero":
            chosen[at] = 0.0
        elif m in ev.paths:  # a method the evidence did not carry had no forecast there (left out below)
            chosen[at] = factor[at] * ev.paths[m][r[at], step[at]]
    f["chosen"] = chosen
    today = sel.mean[i, step]
    own = np.asarray(sel.model_intervals, dtype=bool)[i]  # the model's own intervals, scaled by the factor
    for lev in level:
        for side in ("lo", "hi"):
            bound = (sel.lo if side == "lo" else sel.hi)[lev][i, step]
            ratio = np.where(today > 0, bound / np.where(today > 0, today, 1.0), 1.0)
            f[f"chosen_{side}_{lev:g}"] = np.where(own, factor * f[f"{side}_{lev:g}"].to_numpy(), chosen * ratio)
    s = summary.set_index(summary["account_id"].astype(str))
    fc12 = s["forecast_next_12m"].reindex(ids[i]).to_numpy(dtype=float)
    pos = np.isfinite(fc12) & (fc12 > 0)
    for col, bound in (("total_lo", "forecast_next_12m_lo_80"), ("total_hi", "forecast_next_12m_hi_80")):
        b = s[bound].reindex(ids[i]).to_numpy(dtype=float)
        f[col] = np.where(pos, b / np.where(pos, fc12, 1.0), 1.0)
    f["_scale"] = f["scale"]  # the MASE denominator, as _window_metrics reads it
    return f[np.isfinite(f["chosen"].to_numpy())].reset_index(drop=True)


def chosen_rows(bt: BacktestResult, sel, summary: pd.DataFrame, level=(80, 95)) -> pd.DataFrame:
    """The backtest of the forecast as shipped, one row per account, origin and month (``unique_id, cutoff, ds,
    y, chosen, chosen_lo_<level>, chosen_hi_<level>``, ...): what :func:`chosen_accuracy` scores, and what
    :func:`kamtools.forecast.portfolio_range.common_part` measures the accounts' common error on."""
    return _chosen_rows(bt, sel, summary, level)


def _total_inside(rows: pd.DataFrame) -> pd.Series:
    """Per (unique_id, window): 1.0 when the actual horizon total fell inside the 80% range of the chosen total."""
    g = rows.assign(_lo=rows["chosen"] * rows["total_lo"], _hi=rows["chosen"] * rows["total_hi"]).groupby(
        ["unique_id", "window"], sort=True
    )
    tot = g[["y", "chosen", "_lo", "_hi"]].sum()
    lo = np.minimum(tot["_lo"], tot["chosen"])
    hi = np.maximum(tot["_hi"], tot["chosen"])
    tol = 1e-9 * np.maximum(1.0, tot["chosen"].abs())
    return ((tot["y"] >= lo - tol) & (tot["y"] <= hi + tol)).astype(float)


def chosen_accuracy(
    bt: BacktestResult, per: pd.DataFrame, accuracy: pd.DataFrame, sel, summary: pd.DataFrame, level=(80, 95)
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The backtest of the forecast as shipped, beside the kamtools model and the baseline on the same cases.

    ``sel`` is the forecast selection (:class:`kamtools.forecast.selection.Selection`, built on ``bt``'s
    origins): each account's chosen method and correction factor are applied at every backtest origin it took
    part in, with its interval as the same multiples of the forecast as today's (the model's own backtest
    intervals, scaled, where the account keeps the model's), and the 80% range of its horizon total as the
    same multiples of the total as on the account's page (``summary``: ``forecast_summary``).

    Returns ``per`` with :data:`CHOSEN_COLUMNS` (``method`` in words; the metrics over the windows where the
    chosen method had a forecast) and the accuracy table with three rows: ``chosen`` (the forecast as shipped),
    ``model`` (the kamtools model, one candidate) and the baseline, all on the account-months where the chosen
    method had a forecast; ``coverage_*`` there is the share of those account-months inside the interval,
    ``coverage_total_80`` the share of account-origins whose horizon total fell inside its 80% range (chosen row
    only) and ``zero_months`` the share of those account-months without revenue.

    The choice and its factors were learnt on these same origins, so the ``chosen`` row is in-sample for the
    choice (each method's forecast itself is out of time); the report says so.
    """
    rows = _chosen_rows(bt, sel, summary, level)
    res = _series_metrics(rows, "chosen", "chosen_lo_{:g}", "chosen_hi_{:g}", level) if len(rows) else None
    out = per.copy()
    key = out["account_id"].astype(str)
    words = pd.Series(np.asarray(sel.method_words), index=np.asarray(sel.ids).astype(str))
    out["method"] = key.map(words).fillna("").astype(str).to_numpy()
    for col in CHOSEN_COLUMNS[1:]:
        base = col.removesuffix("_chosen")
        if res is None:
            out[col] = 0 if col == "n_windows_chosen" else np.nan
        elif col == "coverage_total_80_chosen":
            inside = _total_inside(rows).groupby(level="unique_id").mean()
            out[col] = key.map(inside).to_numpy(dtype=float)
        else:
            out[col] = key.map(res[base]).to_numpy()
    out["n_windows_chosen"] = out["n_windows_chosen"].fillna(0).astype("int64")

    head = accuracy.iloc[0]
    kinds = sorted(set(rows["baseline"]), reverse=True) if len(rows) else [str(accuracy["method"].iloc[-1])]
    base_key = kinds[0] if len(kinds) == 1 else "baseline"
    n_model = int(np.sum(np.asarray(sel.method) == "model"))
    n_all = len(sel.method)
    model_words = f"kamtools model (one candidate, used by {n_model:,} of {n_all:,} accounts)"
    table = []
    for method, words, fcol, lo_fmt, hi_fmt in (
        ("chosen", CHOSEN_WORDS, "chosen", "chosen_lo_{:g}", "chosen_hi_{:g}"),
        ("model", model_words, "forecast", "lo_{:g}", "hi_{:g}"),
        (base_key, baseline_words("+".join(kinds)), "naive", "naive_lo_{:g}", "naive_hi_{:g}"),
    ):
        row = {"method": method, "description": words}
        if len(rows):
            m = _series_metrics(rows, fcol, lo_fmt, hi_fmt, level)
            a, fc = rows["y"].to_numpy(), rows[fcol].to_numpy()
            vol = float(np.abs(a).sum())
            row.update(
                mase=float(m["mase"].mean()),
                smape=float(m["smape"].mean()),
                bias_pct=float(100.0 * (fc - a).sum() / vol) if vol > 0 else np.nan,
                **{
                    f"coverage_{lev:g}": float(
                        np.mean((a >= rows[lo_fmt.format(lev)].to_numpy()) & (a <= rows[hi_fmt.format(lev)].to_numpy()))
                    )
                    for lev in level
                },
                n_series=int(m["mase"].notna().sum()),
                coverage_total_80=float(_total_inside(rows).mean()) if method == "chosen" else np.nan,
                zero_months=float(np.mean(a == 0)),
            )
        else:
            row.update(mase=np.nan, smape=np.nan, bias_pct=np.nan, n_series=0, coverage_total_80=np.nan)
            row.update({f"coverage_{lev:g}": np.nan for lev in level}, zero_months=np.nan)
        row.update(horizon=head["horizon"], n_windows=head["n_windows"], n_windows_planned=head["n_windows_planned"])
        table.append(row)
    acc = pd.DataFrame(table)
    for col in ("n_series", "horizon", "n_windows", "n_windows_planned"):
        acc[col] = acc[col].astype("int64")
    return out, acc


__all__ = [
    "BASELINE_SHORT",
    "BASELINE_WORDS",
    "BacktestPlan",
    "BacktestResult",
    "CHOSEN_COLUMNS",
    "CHOSEN_WORDS",
    "backtest",
    "baseline_forecast",
    "baseline_words",
    "chosen_accuracy",
    "chosen_rows",
    "plan_backtest",
    "recent_mean",
    "seasonal_naive",
]
