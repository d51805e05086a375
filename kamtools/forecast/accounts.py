"""Account level: revenue forecasts per account and category, targets, and the bundle tables.

Reconciliation (how the numbers add up)
---------------------------------------
* **Accounts are the anchor.** Each account's monthly revenue is forecast directly.
* **Categories are scaled to their account** (proportional top-down from the account,
  with proportions taken from the category forecasts). The category series are forecast
  with Theta alone (``CATEGORY_METHOD``): they only set the split of an account's
  forecast, and on a 1,000-account demo portfolio (2,502 account x category series,
  rolling origin, 2 windows, 12 months) Theta had MASE 0.945 against 0.940 for the
  ETS/Theta/ARIMA combination at a third of the compute (7.3 s against 21.2 s), which
  matters most for large portfolios, where categories outnumber accounts 2.5 to 1.
  Per account and month, every
  category forecast - and its interval bounds - is multiplied by
  ``account forecast / sum of the account's category forecasts``. When the category
  forecasts sum to zero but the account's does not, the account forecast is split by the
  categories' shares of the last 12 months' revenue. Category intervals remain marginal
  intervals of each category (they are not meant to add up).
* **The portfolio is the sum of the accounts.** Its interval lets the accounts' errors share
  a common part (a season, the economy or a calibration factor that is off moves many accounts
  at once): ``Var = (1 - rho) sum s_i^2 + rho (sum s_i)^2``, ``rho`` measured on the backtest's
  out-of-time portfolio totals (:mod:`kamtools.forecast.portfolio_range`). Without a backtest
  ``rho = 0`` (variances add) and the note ``forecast_portfolio`` says to read it as the narrowest
  the total could spread; a swing the backtest's months did not see is in no range.

Target probability
------------------
See :mod:`kamtools.forecast.targets` (:func:`target_attainment`, :func:`portfolio_target`).

Bundle tables (:func:`bundle_tables`)
-------------------------------------
Tables (money in the revenue currency, ``ds`` = month start):

* ``forecast`` - account_id, unique_id, ds, forecast, lo_80, hi_80, lo_95, hi_95, sd, model,
  method, method_reason: the next 12 months of revenue per account. ``method`` is the
  method the account's out-of-time evidence favoured (``kamtools model``, ``mean of last
  6 months``, ``mean of last 12 months``, ``seasonal naive``, ``BTYD expected value`` or
  ``lapsed: zero``), ``method_reason`` one sentence on why, and ``model`` the kamtools
  model fitted to the account (whether or not it is used); see
  :mod:`kamtools.forecast.selection`. Months above 3 times an account's median ordering
  month are capped before anything is fitted (one-off orders are not extrapolated).
  Returns, credit notes and rebates enter the series the forecast learns from as each account's
  returns rate (:func:`_sales_history`), not in the month they were booked; the actuals shown stay net.
* ``forecast_methods`` - the out-of-time comparison behind the choice, one row per method:
  description, cases (account x backtest origin), mae and bias_pct of the horizon total
  as forecast, factor (the portfolio's correction) and mae_calibrated, accounts_using.
* ``forecast_history`` - account_id, ds, y: monthly revenue actuals (complete months).
* ``forecast_category`` - account_id, category, unique_id, ds, forecast, lo/hi, model,
  scale: per account and product category, reconciled to the account forecast.
* ``forecast_backtest`` - account_id, n_windows (the windows this account had: it needs
  ``MIN_BACKTEST_TRAIN`` months before an origin), mase, smape, bias_pct, coverage_80,
  coverage_95, the same with suffix ``_naive`` for the baseline (seasonal naive with two
  years of training, else the mean of the last 6 months; ``baseline`` names it),
  mase_ratio, beats_naive, horizon. Up to 3 rolling origins 3 months apart, 12 months
  ahead (1 origin above ``LARGE_PORTFOLIO`` accounts); a shorter history gets a shorter
  horizon and fewer origins (:func:`kamtools.forecast.backtest.plan_backtest`), and
  below 9 months no backtest (NotAvailable with the reason).
  Also, for the method the account uses (``method``, in words): n_windows_chosen, mase_chosen,
  smape_chosen, bias_pct_chosen, coverage_80_chosen, coverage_95_chosen, coverage_total_80_chosen
  (:func:`kamtools.forecast.backtest.chosen_accuracy`).
* ``forecast_accuracy`` - portfolio-level backtest summary, one row each for the forecast as
  shipped (``chosen``: each account's chosen method and factor), the kamtools ``model`` (one
  candidate) and the baseline, on the same account-months: method, description, mase,
  smape, bias_pct, coverage_80, coverage_95 (shares of account-months), n_series,
  coverage_total_80 (share of account-origins whose horizon total fell inside its 80% range;
  chosen row), zero_months (share of the account-months without revenue), horizon,
  n_windows (origins that ran), n_windows_planned.
* ``forecast_targets`` - account_id, period, revenue_target, booked_ytd, expected_total,
  expected_attainment, p_reach_target, total_lo_80, total_hi_80, months_remaining
  (NotAvailable without a targets table; years that began before the order history are
  left out, with a note).
* ``forecast_portfolio`` - ds, kind (actual/forecast), y, forecast, lo/hi: the portfolio
  total (sum of accounts), its range from the accounts' spreads with their common part
  (:func:`kamtools.forecast.portfolio_range.common_part`); the note ``forecast_portfolio``
  says what that rests on (origins, origin-months, how far the totals missed), and the
  overview prints it beside the chart.
* ``forecast_portfolio_range`` - one row: rho (the accounts' common error share the portfolio
  range rests on, 0 = independent accounts), n_origins and n_months (the backtest origins and
  origin-months that measured it; 0 without a backtest). The faces that add accounts (the
  scenario planner's scopes) read it, so that any set of accounts spreads as the portfolio does.
* ``forecast_portfolio_target`` - period, revenue_target, booked_ytd, expected_total,
  expected_attainment, p_reach_target, total_lo_80, total_hi_80, n_accounts: the same
  common part spreads the year total, so the chance is as sure as the backtest allows.
* ``forecast_summary`` - one row per account: revenue_last_12m, forecast_next_12m (+80%
  range, :func:`kamtools.forecast.selection.total_range`: nothing with the account's own BTYD
  chance of no order in the 12 months, else the forecast times what buying accounts of its
  class reached out of time (actual / forecast totals in units of each one's own steadiness,
  times this account's, widened to 12 months where the backtest was shorter, and widened as far as the
  range of its class's earliest backtest origin had to widen to hold 8 in 10 of its latest's; a lumpy
  account the wider of that and the lumpier half of its class's; an account of a class with too few rows the
  wider of the portfolio's and that of the rows nearest it in monthly variation); from zero to the 80% quantile where that chance is 10% or more (the class's
  share of nothing without a BTYD model), and up to the forecast where that lies above: the
  note ``forecast_summary`` then says why; without a backtest the BTYD model's own count
  distribution, else ``forecast +- q s``), forecast_growth_pct, forecast_model, forecast_method, forecast_method_reason,
  forecast_mase, forecast_mase_naive. The 12-month total and the targets follow the chosen
  method, so the portfolio total is the sum of the chosen account forecasts.
  ``forecast_growth_pct`` is NaN when the order history is shorter than 12 months
  (the last 12 months are not all in the data). Where the range's low end lies under half the
  forecast, ``range_low_months``, ``range_low_cases``, ``range_low_below`` and ``range_low_stopped``
  say what the backtest holds behind it (:func:`low_end_evidence`: of the account's class's cases, how
  many bought under the same share of their forecast, and how many of those had stopped ordering); NaN
  elsewhere. On the quick demo's A0009 (forecast 4.06M, low end 996k) the account page reads them as
  one sentence.

``_notes`` maps table names to one sentence each on what the history allowed (the
backtest's horizon and origins, why growth is missing; ``forecast_unseen_months``, under 12
complete months of history, the calendar months it never saw, whose seasonal rise the forecast
cannot hold: on the CDNOW log as of 1997-06-30, January to June only, it fell 5% short over
July-September but 25% over the holiday quarter); the bundle keeps them in its manifest. Where the history is too short to backtest the kamtools model, the reason of
``forecast_backtest`` and ``forecast_accuracy`` says what was checked instead (one
comparison of the simple methods, or none), and every report face quotes that sentence.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines, month_start, monthly_from_totals
from kamtools.forecast.backtest import backtest, chosen_accuracy, chosen_rows, plan_backtest
from kamtools.forecast.core import Forecaster
from kamtools.forecast.notes import (  # noqa: F401 (tests read the notes from here too)
    HORIZON,
    _evidence_note,
    _evidence_words,
    _methods_note,
    _note_methods,
    _pooled_comparison,
    _range_note,
    _silent_note,
    _silent_range_note,
    _top_of_range_note,
    unseen_months_note,
)
from kamtools.forecast.portfolio_range import common_part, total_sd
from kamtools.forecast.selection import (
    MIN_CLASS_ROWS,
    SPIKE_FACTOR,
    Selection,
    _class_total_ratios,
    btyd_fit,
    btyd_paths,
    btyd_unusable,
    build_evidence,
    returning_range,
    select,
    short_range,
    silent_one_time,
    total_range,
    wide_history,
)
from kamtools.forecast.targets import _upper_quantile, portfolio_target, target_attainment
from kamtools.history import order_history
from kamtools.value.one_time import USABLE_STATUSES
from kamtools.value.reading import p_alive_shown_as

BACKTEST_WINDOWS = 3
LARGE_PORTFOLIO = 2000  # accounts; above this the backtest uses one window (3 passes less over every account)
LEVEL = (80, 95)
CATEGORY_METHOD = "theta"  # account x category series: see the module docstring

# per-account columns joined into the bundle's accounts summary row
SUMMARY_COLUMNS = {
    "forecast_summary": [
        "revenue_last_12m",
        "forecast_next_12m",
        "forecast_next_12m_lo_80",
        "forecast_next_12m_hi_80",
        "forecast_growth_pct",
        "forecast_model",
        "forecast_method",
        "forecast_method_reason",
        "forecast_mase",
        "forecast_mase_naive",
        "target_period",
        "revenue_target",
        "target_probability",
        "target_expected_attainment",
    ],
}


# ---------------------------------------------------------------------------------------
# reconciliation
# ---------------------------------------------------------------------------------------
def reconcile(
    account_fc: pd.DataFrame,
    category_fc: pd.DataFrame,
    category_history: pd.DataFrame | None = None,
    level: tuple[float, ...] = LEVEL,
) -> pd.DataFrame:
    """Scale category forecasts so that, per account and period, they sum to the account forecast.

    ``account_fc``: ``account_id, ds, forecast`` (+ intervals); ``category_fc``: ``account_id,
    category, ds, forecast, lo_*, hi_*``. ``category_history`` (``account_id, category, ds, y``)
    gives the fallback split (last 12 periods' shares) where the category forecasts of an
    account sum to zero. Returns ``category_fc`` with scaled values and a ``scale`` column.
    """
    bounds = [f"{s}_{lev:g}" for lev in level for s in ("lo", "hi")]
    cat = category_fc.copy().reset_index(drop=True)
    acc = account_fc[["account_id", "ds", "forecast"]].rename(columns={"forecast": "_account"})
    cat = cat.merge(acc, on=["account_id", "ds"], how="left", validate="many_to_one")
    total = cat.groupby(["account_id", "ds"], observed=True)["forecast"].transform("sum").to_numpy()
    account = cat["_account"].fillna(pd.Series(total)).to_numpy()
    scaled = total > 0
    factor = np.where(scaled, account / np.where(scaled, total, 1.0), np.nan)
    for col in ["forecast", *bounds]:
        vals = cat[col].to_numpy(dtype=float)
        cat[col] = np.where(scaled, vals * np.nan_to_num(factor), vals)
    split = ~scaled & (account > 0)
    if split.any():
        share = np.full(len(cat), np.nan)
        if category_history is not None and len(category_history):
            last = category_history.groupby("account_id")["ds"].transform("max")
            recent = category_history[category_history["ds"] > last - pd.DateOffset(months=12)]
            tot = recent.groupby(["account_id", "category"], observed=True)["y"].sum()
            tot = (tot / tot.groupby(level="account_id").transform("sum")).rename("_share").reset_index()
            share = (
                cat[["account_id", "category"]]
                .merge(tot, on=["account_id", "category"], how="left")["_share"]
                .to_numpy()
            )
        n_cat = cat.groupby(["account_id", "ds"], observed=True)["category"].transform("size").to_numpy()
        share = np.where(np.isfinite(share) & (share > 0), share, 0.0)
        share_sum = pd.Series(share).groupby([cat["account_id"], cat["ds"]], observed=True).transform("sum").to_numpy()
        share = np.where(share_sum > 0, share / np.where(share_sum > 0, share_sum, 1.0), 1.0 / n_cat)
        point = share * account
        cat["forecast"] = np.where(split, point, cat["forecast"].to_numpy())
        for col in bounds:
            vals = cat[col].to_numpy(dtype=float)
            bound = np.maximum(vals, point) if col.startswith("hi") else np.minimum(vals, point)
            cat[col] = np.where(split, bound, vals)
    cat["scale"] = factor
    return cat.drop(columns=["_account"])


# ---------------------------------------------------------------------------------------
# bundle
# ---------------------------------------------------------------------------------------
def _fit_horizon(portfolio: Portfolio, horizon: int) -> int:
    """Months to forecast: the report horizon, extended to cover next year's December
    so that next year's target can be assessed."""
    first = portfolio.last_complete_month + pd.DateOffset(months=1)
    dec_next = pd.Timestamp(year=portfolio.as_of.year + 1, month=12, day=1)
    months = (dec_next.year - first.year) * 12 + dec_next.month - first.month + 1
    return int(max(horizon, months)) if portfolio.has("targets") else horizon


def _portfolio_series(acc_fc: pd.DataFrame, hist: pd.DataFrame, level, rho: float = 0.0) -> pd.DataFrame:
    """Portfolio total per month: actuals, then the sum of the account forecasts with an
    interval from the accounts' monthly spreads ``sd`` sharing the common error share ``rho``
    (:func:`kamtools.forecast.portfolio_range.common_part`, measured on the backtest; 0 = independent
    accounts, variances add): ``Var = (1 - rho) sum sd_i^2 + rho (sum sd_i)^2``, a normal total cut at zero."""
    g = acc_fc.groupby("ds")
    tot = pd.DataFrame(
        {"forecast": g["forecast"].sum(), "_sd": g["sd"].apply(lambda s: total_sd(s.to_numpy(), rho))}
    ).reset_index()
    for lev in level:
        z = stats.norm.ppf(0.5 + lev / 200.0)
        tot[f"lo_{lev:g}"] = np.maximum(tot["forecast"] - z * tot["_sd"], 0.0)
        tot[f"hi_{lev:g}"] = tot["forecast"] + z * tot["_sd"]
    tot["y"] = np.nan
    actual = hist.groupby("ds")["y"].sum().reset_index()
    actual["kind"] = "actual"
    tot["kind"] = "forecast"
    out = pd.concat([actual, tot.drop(columns="_sd")], ignore_index=True)
    cols = ["ds", "kind", "y", "forecast"] + [f"{s}_{lev:g}" for lev in level for s in ("lo", "hi")]
    return out[cols].sort_values("ds").reset_index(drop=True)


def btyd_family(value_model: object) -> str:
    """The BTYD model the value stage chose for the account forecasts (its ``value_model`` table's
    ``forecast_family`` row where the chosen fit gives every account the same purchase rate and the other
    family's rates vary, else its ``chosen`` row): ``bg_nbd`` or ``mbg_nbd``; ``bg_nbd`` when the value
    stage did not run or chose none."""
    if not isinstance(value_model, pd.DataFrame) or value_model.empty:
        return "bg_nbd"
    chosen = value_model[(value_model["parameter"] == "forecast_family") & (value_model["estimate"] == 1)]
    if chosen.empty:
        chosen = value_model[(value_model["parameter"] == "chosen") & (value_model["estimate"] == 1)]
    name = str(chosen["model"].iloc[0]) if len(chosen) else "bg_nbd"
    return name if name in ("bg_nbd", "mbg_nbd") else "bg_nbd"


def _month_end(month_start: pd.Timestamp) -> pd.Timestamp:
    return (pd.Timestamp(month_start) + pd.offsets.MonthEnd(0)).normalize()


def _evidence(portfolio: Portfolio, y, ids, months, cut_cols, horizon, model_paths, btyd_at) -> tuple:
    """(:func:`build_evidence`, a sentence for the methods note). In a portfolio chosen by revenue
    (:func:`kamtools.churn.lapsed.chosen_at`) each origin counts only the accounts that the same cut would have
    taken then. The others are in the portfolio because of what they bought after the origin, and counting them
    hides the regression to the mean of a list chosen by revenue: part of what put an account at the top is luck
    that does not repeat (module docstring).

    Of those, it counts only the accounts whose place on the list did not hang on the months it judges
    (:func:`place_held`): an account the cut took at an origin that then bought little in the months after it
    fell below the list's floor and is not in the portfolio, so among those that needed those months to stay, only
    the ones that bought are seen, and the check would learn that the list keeps buying. Where too few remain,
    every account the cut took counts. Where they suffice, the evidence keeps the rows of every account the cut took
    as ``taken``, from which the monthly ranges also read how far the list's kind of account strayed
    (:func:`kamtools.forecast.selection.choice.range_quantiles`); the points do not read them."""
    from kamtools.churn.lapsed import chosen_at  # the detector's rule lives with the lapsed churn rate

    everyone = build_evidence(y, ids, cut_cols, horizon, model_paths, btyd_at)
    taken, floor = chosen_at(portfolio, pd.Index(ids.astype(object)), [_month_end(months[c]) for c in cut_cols])
    if taken is None or everyone is None:
        return everyone, ""
    later = _chosen_earlier(portfolio, ids)
    held = [t & place_held(y, c, horizon, floor) for c, t in zip(cut_cols, taken, strict=True)]
    for eligible in (held, taken):
        ev = build_evidence(y, ids, cut_cols, horizon, model_paths, btyd_at, dict(zip(cut_cols, eligible, strict=True)))
        if ev is not None and len(ev.account) >= MIN_CLASS_ROWS:
            break
    if ev is None or len(ev.account) < MIN_CLASS_ROWS or len(ev.account) == len(everyone.account):
        return everyone, later  # too few to learn from, or nothing left out
    if eligible is held:  # the monthly ranges read every account the cut took too (choice.range_quantiles)
        ev.taken = build_evidence(
            y, ids, cut_cols, horizon, model_paths, btyd_at, dict(zip(cut_cols, taken, strict=True))
        )
    return ev, (
        "The portfolio looks chosen by revenue, so the out-of-time check counts at each origin only the accounts that "
        f"would have made the list then ({len(ev.account):,} of {len(everyone.account):,} account-origins): the others "
        "are on it because of what they bought later"
        + (
            "; and of those only the accounts whose revenue before the origin and after the months checked already "
            "keeps them on the list (one that bought little in those months would have dropped off it and is not "
            "seen, so counting those that needed them would say the list keeps buying)."
            if eligible is held
            else "."
        )
    ) + (" " + later if later else "")


def _chosen_earlier(portfolio: Portfolio, ids: np.ndarray) -> str:
    """A sentence for the methods note where the list looks chosen by its revenue up to a date before the analysis
    date (:func:`kamtools.churn.lapsed.choice_date`), else "".

    The out-of-time check sees such a list only at origins soon after its choice, where the months that chose it
    are the history the methods read, and reads the regression to the mean of a list just chosen. Months later the
    methods read months that did not choose it. CDNOW's top 300 of 1997-06-30 analysed at 1998-01-31: at the
    origins the last 6 months' mean was followed by 43% of it, the list then bought 87% of its last 6 months, and
    the forecast was 41% short; the six CDNOW lists chosen 3 to 7 months before their analysis date were all
    forecast short (7% to 41%; the twelve chosen at their analysis date: -18% to +13%). Counting at each origin only
    the accounts that the earlier date's cut took, or those that a cut as many months before the origin took, did
    not help (``benchmarks/bench_real_data.py``), so the page says so rather than correct it."""
    from kamtools.churn.lapsed import choice_date

    when = choice_date(portfolio, pd.Index(np.asarray(ids).astype(object)))
    as_of = pd.Timestamp(portfolio.as_of).normalize()
    if when is None or when >= as_of:
        return ""
    months = (as_of.year - when.year) * 12 + as_of.month - when.month
    return (
        f"The list looks chosen by its revenue up to {when:%Y-%m-%d}, {months} month{'s' if months != 1 else ''} "
        "before the analysis date. The out-of-time check sees it only soon after that date, when a list chosen by "
        "revenue falls back the most, so this forecast may be too low."
    )


def place_held(y: np.ndarray, c: int, horizon: int, floor: float) -> np.ndarray:
    """Per account (rows of ``y``, monthly revenue to the analysis date): whether its revenue up to month ``c`` and
    after month ``c + horizon`` reaches ``floor`` (the list's smallest revenue), i.e. whether it would be on a list
    chosen by revenue at the analysis date whatever it bought in the ``horizon`` months after ``c``."""
    y = np.nan_to_num(np.asarray(y, dtype=float))
    return y[:, : c + 1].sum(axis=1) + y[:, c + 1 + horizon :].sum(axis=1) >= floor


def _select(
    portfolio: Portfolio,
    hist: pd.DataFrame,
    model: Forecaster,
    raw_fc: pd.DataFrame,
    model_sd: pd.DataFrame,
    bt,
    plan,
    fit_h: int,
    family: str = "bg_nbd",
    p_alive_checked: bool = True,
) -> Selection:
    """Each account's method from the out-of-time evidence (:func:`kamtools.forecast.selection.select`).

    ``family``: the BTYD model the value stage chose (``bg_nbd`` or ``mbg_nbd``), refitted at
    every backtest origin for the BTYD candidate.

    The evidence is the forecast backtest's windows (the model's forecasts beside the simple
    methods at the same origins); when the history allows no backtest of the model but has
    at least 4 months, one origin 1 to 3 months before the end compares the simple methods.
    """
    y, ids, months = wide_history(hist)
    fitted = model.unique_ids_.astype(str)
    if not np.array_equal(ids, fitted):  # pragma: no cover - both come from the same history
        raise RuntimeError("forecast: account order of the history and the model differ")
    k = len(ids)
    mean = raw_fc["forecast"].to_numpy(dtype=float).reshape(k, fit_h)
    lo = {lev: raw_fc[f"lo_{lev:g}"].to_numpy(dtype=float).reshape(k, fit_h) for lev in LEVEL}
    hi = {lev: raw_fc[f"hi_{lev:g}"].to_numpy(dtype=float).reshape(k, fit_h) for lev in LEVEL}
    sd = model_sd["sd"].to_numpy(dtype=float).reshape(k, fit_h)
    lines = portfolio.order_lines
    orders = lines[["account_id", "order_date", "net_revenue"]]
    ev, chosen_note = None, ""
    if bt is not None:
        f = bt.forecasts
        horizon = int(plan.horizon)
        model_paths, btyd_at, cut_cols = {}, {}, []
        for cutoff, part in f.groupby("cutoff", sort=True):
            c = int(months.get_loc(pd.Timestamp(cutoff)))
            step = (
                (part["ds"].dt.year - pd.Timestamp(cutoff).year) * 12 + part["ds"].dt.month - cutoff.month - 1
            ).to_numpy()
            grid = np.full((k, horizon), np.nan)
            rows = np.searchsorted(ids, part["unique_id"].to_numpy())
            grid[rows, step] = part["forecast"].to_numpy(dtype=float)
            model_paths[c] = grid
            btyd_at[c] = btyd_paths(orders, _month_end(cutoff), ids, horizon, family)
            cut_cols.append(c)
        ev, chosen_note = _evidence(portfolio, y, ids, months, cut_cols, horizon, model_paths, btyd_at)
    elif y.shape[1] >= 4:
        horizon = min(3, y.shape[1] - 3)
        c = y.shape[1] - 1 - horizon
        paths = {c: btyd_paths(orders, _month_end(months[c]), ids, horizon, family)}
        ev, chosen_note = _evidence(portfolio, y, ids, months, [c], horizon, None, paths)
    now_fit = btyd_fit(orders, _month_end(months[-1]), ids, fit_h, family)
    # a family whose fit gives every account one purchase rate comes here only where the other's does too (the value
    # stage names the other for the forecasts otherwise: btyd_family), or where this fit at the end of the last
    # complete month differs from the value stage's at as_of
    unidentified = ev is None and btyd_unusable(now_fit)
    if unidentified:  # without a check, a fit that gives every account about the same rate is not a forecast
        now_fit = None
    now = None if now_fit is None else now_fit.paths
    weeks, data_weeks = _order_weeks(orders, ids, _month_end(months[-1]), months[0])
    one_time_fit = None  # the modified BG/NBD for silent one-time buyers (kamtools.forecast.selection)
    if silent_one_time(y).any():
        one_time_fit = (
            now_fit if family == "mbg_nbd" else btyd_fit(orders, _month_end(months[-1]), ids, fit_h, "mbg_nbd")
        )
        if one_time_fit is not None and one_time_fit.status not in USABLE_STATUSES:
            # the value stage's rule (kamtools.value.one_time): an MBG/NBD fit that finds no drop-out or is
            # not determined says nothing about whether a one-time buyer still buys; the class choice stands
            one_time_fit = None
    one_time = None if one_time_fit is None else one_time_fit.paths
    sel = select(
        y,
        ids,
        mean,
        lo,
        hi,
        sd,
        ev,
        now,
        LEVEL,
        one_time_btyd=one_time,
        btyd_fit_now=now_fit,
        one_time_fit=one_time_fit,
        p_alive_checked=p_alive_checked,
        order_weeks=weeks,
        data_weeks=data_weeks,
        btyd_unidentified=unidentified,
    )
    sel.chosen_note = chosen_note
    return sel


def _order_weeks(orders: pd.DataFrame, ids: np.ndarray, end: pd.Timestamp, start: pd.Timestamp) -> tuple:
    """(weeks with an order per account in ``ids`` order, weeks from ``start`` to ``end``)."""
    past = orders[(orders["order_date"] <= end) & (orders["net_revenue"] > 0)]
    week = (past["order_date"] - pd.Timestamp(start)).dt.days // 7
    counts = week.groupby(past["account_id"].astype(str)).nunique()
    span = max((pd.Timestamp(end) - pd.Timestamp(start)).days + 1, 1) / 7.0
    return counts.reindex(np.asarray(ids).astype(str)).fillna(0).to_numpy(dtype=float), float(span)


class _ChosenForecaster:
    """The chosen per-account forecasts behind the interface :func:`target_attainment` reads.

    Accounts on the model keep its error covariance (scaled by their calibration factor);
    the others sum their monthly spreads with the months' error correlation measured on the
    evidence (``Selection.rho``).
    """

    def __init__(self, model: Forecaster, sel: Selection) -> None:
        self._model = model
        self._sel = sel
        self.unique_ids_ = model.unique_ids_
        self.horizon = model.horizon

    @property
    def selection(self) -> Selection:
        """The per-account choice and its out-of-time evidence (read by :func:`target_attainment`)."""
        return self._sel

    def _future_dates(self) -> np.ndarray:
        return self._model._future_dates()

    def sum_distributions(self, unique_ids, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sel = self._sel
        ids = np.asarray(unique_ids, dtype=object).astype(str)
        w = np.asarray(weights, dtype=float)
        pos = np.searchsorted(sel.ids, ids)
        m = np.einsum("rh,rh->r", w, sel.mean[pos])
        sdw = w * sel.sd[pos]
        var = (1 - sel.rho) * np.sum(sdw**2, axis=1) + sel.rho * np.sum(sdw, axis=1) ** 2
        s = np.sqrt(np.maximum(var, 0.0))
        dof = np.full(len(ids), np.inf)
        use = sel.model_intervals[pos]
        if use.any():
            mm, ss, dd = self._model.sum_distributions(ids[use], w[use])
            f = sel.factor[pos][use]
            m[use], s[use], dof[use] = f * mm, f * ss, dd
        return m, s, dof


def _declared(table: str) -> list[str]:
    """The columns of ``table`` in the order the forecast stage declares them (kamtools.stages)."""
    from kamtools.stages import stage

    return list(stage("forecast").tables[table].column_names)


def _capped(hist: pd.DataFrame, notes: dict[str, str]) -> pd.DataFrame:
    """``hist`` with a one-off spike month capped before anything is fitted (see kamtools.forecast.selection)."""
    pos_y = hist["y"].where(hist["y"] > 0)
    by_acc = pos_y.groupby(hist["unique_id"])
    cap = (SPIKE_FACTOR * by_acc.transform("median")).where(by_acc.transform("count") >= 3)
    spiked = (cap.notna() & (hist["y"] > cap)).to_numpy()
    if spiked.any():
        n_acc = hist.loc[spiked, "unique_id"].nunique()
        notes["forecast"] = (
            f"{int(spiked.sum())} month(s) of {n_acc} account(s) above {SPIKE_FACTOR:g} times the account's median "
            "ordering month were capped there before fitting, so one-off orders are not extrapolated."
        )
    return hist.assign(y=np.where(spiked, cap, hist["y"]))


def _sales_history(portfolio: Portfolio, monthly: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The monthly series the forecast learns from: each account's sales (lines without returns, credit notes
    and rebates) times the share of its sales it keeps after them, ``1 - returns rate``.

    A credit note is booked on one day but stands for goods bought over months (often before the data
    starts); netted into its month, one credit note larger than the account's recent sales made an active
    account read as one that stopped buying (a demo account with four orders in its last month and a
    7.6k credit then was forecast nothing; it bought 16.5k in the next 12 months). The returns rate is
    the account's credited / sold over the last 12 months (all of the history when it sold nothing in
    them), shrunk toward the portfolio's by the sales of a median account: ``(credited + w R) / (sold + w)``,
    so one credit note moves a small account's rate a little and a habit of returns moves a large account's
    rate to its own. Without credit lines this is ``monthly`` itself (and no note). The actuals the bundle
    shows (history, the last 12 months, booked revenue) stay net of everything as booked. Returns the series
    and the sentence for the ``forecast`` note."""
    lines = portfolio.order_lines
    credit = credit_lines(lines)
    end = portfolio.last_complete_month
    ds = month_start(lines["order_date"])
    keep = (ds <= end).to_numpy()
    if not (credit.to_numpy() & keep).any():
        return monthly, None
    rev = lines["net_revenue"].astype(float)
    parts = pd.DataFrame(
        {
            "account_id": lines["account_id"],
            "ds": ds,
            "net_revenue": rev.where(~credit, 0.0),  # a credit line's month stays in the series, as nothing sold
            "credited": (-rev).clip(lower=0.0).where(credit, 0.0),
        }
    )[keep]
    grouped = parts.groupby(["account_id", "ds"], observed=True, sort=True)["net_revenue"].sum().reset_index()
    sales = monthly_from_totals(grouped, "account", end, "net_revenue")
    recent = parts["ds"] > end - pd.DateOffset(months=12)
    per = (
        pd.DataFrame(
            {
                "sold": parts["net_revenue"].clip(lower=0.0),
                "credited": parts["credited"],
                "sold_12": parts["net_revenue"].clip(lower=0.0).where(recent, 0.0),
                "credited_12": parts["credited"].where(recent, 0.0),
                "account_id": parts["account_id"].astype(str),
            }
        )
        .groupby("account_id")[["sold", "credited", "sold_12", "credited_12"]]
        .sum()
    )
    use12 = per["sold_12"] > 0
    sold = per["sold_12"].where(use12, per["sold"])
    credited = per["credited_12"].where(use12, per["credited"])
    pool_sold, pool_cred = (
        (per["sold_12"].sum(), per["credited_12"].sum()) if use12.any() else (per["sold"].sum(), per["credited"].sum())
    )
    pool_rate = float(pool_cred / pool_sold) if pool_sold > 0 else 0.0
    weight = float(sold[sold > 0].median()) if (sold > 0).any() else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (credited + weight * pool_rate) / (sold + weight)
    kept = (1.0 - rate.fillna(pool_rate)).clip(0.0, 1.0)
    factor = sales["unique_id"].astype(str).map(kept).fillna(1.0).to_numpy(dtype=float)
    note = (
        f"Returns, credit notes and rebates ({pool_rate:.1%} of sales{' in the last 12 months' if use12.any() else ''}) "
        "enter each account's forecast as its returns rate (its own, weighed against the portfolio's by how much it "
        "sells), not in the month they were booked, so one credit note does not make an active account look stopped."
    )
    return sales.assign(y=sales["y"].to_numpy(dtype=float) * factor), note


def _unscored_note(plan, hist_fit: pd.DataFrame) -> str:
    """Why a backtest that ran scored no account (the portfolio of order lines mostly negated, net of its returns
    rate, forecast nothing: its test read 'MASE nan' over 0 accounts and 100% of months inside every interval)."""
    why = (
        " every account's monthly revenue the forecast learns from, net of its returns and credit notes, was zero"
        if not (hist_fit["y"] > 0).any()
        else " no account had revenue that moved in its months before a past date, which the errors are scaled by"
    )
    return f"{plan.note} No account's forecast error could be scored in that test:{why}, so its accuracy is not shown."


def _account_backtest(hist: pd.DataFrame, hist_fit: pd.DataFrame, n_series: int, notes: dict[str, str]):
    """(plan, backtest or None, per-account table, accuracy table): as long and as often as the history allows."""
    windows = BACKTEST_WINDOWS if n_series <= LARGE_PORTFOLIO else 1
    n_months = int(hist.groupby("unique_id").size().max())
    plan = plan_backtest(n_months, HORIZON, windows)
    if not plan.possible:
        return plan, None, NotAvailable(plan.note), NotAvailable(plan.note)
    bt = backtest(
        hist_fit,
        horizon=plan.horizon,
        n_windows=plan.n_windows,
        step=plan.step,
        min_train=plan.min_train,
        level=LEVEL,
        freq="MS",
    )
    per = bt.per_series.rename(columns={"unique_id": "account_id"})
    per["beats_naive"] = per["mase_ratio"] < 1
    per["horizon"] = plan.horizon
    accuracy = bt.overall.copy()
    accuracy["horizon"] = plan.horizon
    accuracy["n_windows"] = int(per["n_windows"].max())
    accuracy["n_windows_planned"] = plan.n_windows
    notes["forecast_backtest"] = notes["forecast_accuracy"] = plan.note
    return plan, bt, per, accuracy


def _category_forecast(portfolio: Portfolio, acc_fc: pd.DataFrame) -> pd.DataFrame:
    """Per account and product category, reconciled to the account forecast ``acc_fc``."""
    cat_hist = portfolio.monthly(by="account_category")
    cat_model = Forecaster(horizon=HORIZON, level=LEVEL, freq="MS", method=CATEGORY_METHOD).fit(
        cat_hist[["unique_id", "ds", "y"]]
    )
    cat_fc = cat_model.predict()
    keys = cat_hist.drop_duplicates("unique_id")[["unique_id", "account_id", "category"]]
    cat_fc = cat_fc.merge(keys, on="unique_id", how="left", validate="many_to_one")
    cat_fc = reconcile(acc_fc, cat_fc, cat_hist, LEVEL)
    cat_fc = cat_fc[_declared("forecast_category")].sort_values(["account_id", "category", "ds"]).reset_index(drop=True)
    cat_fc["category"] = cat_fc["category"].astype(str)
    return cat_fc


def _total_range(m: np.ndarray, s: np.ndarray, dof: np.ndarray, sel: Selection) -> tuple[np.ndarray, np.ndarray]:
    """80% range of each account's 12-month total (:func:`kamtools.forecast.selection.total_range`): the
    account's own chance of no order mixed with the multiples similar accounts' totals ended at out of time
    (in units of their own steadiness, times this account's; widened to 12 months where measured on shorter
    totals, and as far as the class's earliest backtest origin's range missed of its latest; a lumpy account
    the wider of that and its class's lumpier half's), or without a backtest with the BTYD model's count distribution; for an account whose method
    forecast nothing although no rule called it lapsed, zero to what such accounts bought back;
    ``forecast +- q s`` where none exists. The forecast always lies inside."""
    q = _upper_quantile(0.9, dof)
    lo, hi = np.maximum(m - q * s, 0.0), m + q * s
    r_lo, r_hi = total_range(sel, m, HORIZON)
    for b_lo, b_hi in (returning_range(sel, HORIZON), short_range(sel, m, HORIZON)):
        back = np.isfinite(b_lo)  # a lapsed account on what such accounts bought back; the window mean's own range
        r_lo[back], r_hi[back] = b_lo[back], b_hi[back]
    has = np.isfinite(r_lo) & np.isfinite(r_hi) & (m >= 0)
    lo[has] = np.minimum(r_lo[has], m[has])
    hi[has] = np.maximum(r_hi[has], m[has])
    return lo, hi


LOW_END = 0.5  # a range whose low end lies under this share of the forecast gets the evidence behind it
STOPPED_MONTHS = 3  # an evidence case "had stopped ordering": no order in the last this many months it covers
LOW_END_COLUMNS = ("range_low_months", "range_low_cases", "range_low_below", "range_low_stopped")


def low_end_evidence(sel: Selection, m: np.ndarray, lo: np.ndarray) -> dict[str, np.ndarray]:
    """What the backtest holds behind a range whose low end lies far below the forecast (``lo`` under
    :data:`LOW_END` times ``m``), per account (NaN elsewhere and without a backtest): over the backtest's rows of
    the account's class (the whole portfolio where the class is small), its method calibrated as its forecast
    is, ``range_low_months`` the months the rows cover, ``range_low_cases`` the rows with a forecast total,
    ``range_low_below`` those whose actual total was under the same share of their forecast as the low end is of
    this account's, and ``range_low_stopped`` how many of those had no order in their last
    :data:`STOPPED_MONTHS` months (accounts that stopped ordering). The account page turns them into one sentence,
    so a low end reads as what such accounts did, not as an alarm."""
    n = len(sel.ids)
    out = {c: np.full(n, np.nan) for c in LOW_END_COLUMNS}
    ev = sel.evidence
    if ev is None or sel.klass is None:
        return out
    far = np.isfinite(lo) & (m > 0) & (lo < LOW_END * m) & (sel.method != "zero")
    if not far.any():
        return out
    h = int(ev.horizon)
    k = min(STOPPED_MONTHS, h)
    stopped = np.all(ev.actual[:, h - k : h] <= 0, axis=1)
    method = np.where(far, sel.method, "zero")  # only the accounts that need it
    pairs = _class_total_ratios(ev, sel.klass, method, sel.factor, h, lambda r, rows: (r, rows))
    for i in np.flatnonzero(far):
        if pairs[i] is None:
            continue
        ratio, rows = pairs[i]
        below = ratio < lo[i] / m[i] if lo[i] > 0 else ratio <= 0
        out["range_low_months"][i] = h
        out["range_low_cases"][i] = len(ratio)
        out["range_low_below"][i] = int(below.sum())
        out["range_low_stopped"][i] = int(stopped[rows[below]].sum())
    return out


def _account_summary(
    portfolio, hist, model, chosen, sel, per, history, fit_h, notes, lead: str = "out of time"
) -> pd.DataFrame:
    """One row per account: the last 12 months, the next 12 (chosen method, 80% interval), growth, backtest MASE."""
    last12 = hist[hist["ds"] > portfolio.last_complete_month - pd.DateOffset(months=12)]
    rev12 = last12.groupby("unique_id")["y"].sum()
    ids = model.unique_ids_
    w = np.r_[np.ones(HORIZON), np.zeros(fit_h - HORIZON)]
    m, s, dof = chosen.sum_distributions(ids, np.tile(w, (len(ids), 1)))
    lo, hi = _total_range(m, s, dof, sel)
    top = _top_of_range_note(sel, m, lead, hi)
    if top:
        notes["forecast_summary"] = top
    summary = pd.DataFrame(
        {
            "account_id": ids.astype(str),
            "revenue_last_12m": rev12.reindex(ids).fillna(0.0).to_numpy(dtype=float),
            "forecast_next_12m": m,
            "forecast_next_12m_lo_80": lo,
            "forecast_next_12m_hi_80": hi,
            "forecast_model": model.models_["model"].to_numpy(),
            "forecast_method": sel.method_words,
            "forecast_method_reason": sel.reason,
            **low_end_evidence(sel, m, lo),
        }
    )
    summary["forecast_growth_pct"] = 100 * (
        summary["forecast_next_12m"] / summary["revenue_last_12m"].where(summary["revenue_last_12m"] > 0) - 1
    )
    if history.complete_months < 12:  # the "last 12 months" are only part of a year
        summary["forecast_growth_pct"] = np.nan
        notes["forecast_growth_pct"] = (
            f"The change against the last 12 months is not shown: this portfolio has {history.describe()}, "
            "so its last 12 months are not all in the data."
        )
    if isinstance(per, pd.DataFrame):
        summary = summary.merge(
            per[["account_id", "mase", "mase_naive"]].rename(
                columns={"mase": "forecast_mase", "mase_naive": "forecast_mase_naive"}
            ),
            on="account_id",
            how="left",
        )
    else:
        summary["forecast_mase"] = summary["forecast_mase_naive"] = np.nan
    return summary


def _years_beyond(targets: pd.DataFrame, attained: pd.DataFrame, as_of: pd.Timestamp, chosen) -> str:
    """One sentence on the target years still to come that :func:`target_attainment` left out because they end after
    the forecast (which runs to next year's December, :func:`_fit_horizon`), or "" where none was. Without it, a
    portfolio whose targets all lie further ahead read "No targets were supplied." (the demo cut at 13 months, its
    targets for 2025 to 2027)."""
    years = pd.to_numeric(targets["period"], errors="coerce").dropna().astype(int)
    left = sorted(set(years[years > as_of.year]) - set(attained["period"].astype(int)))
    if not left:
        return ""
    end = pd.DatetimeIndex(chosen._future_dates()).max()
    listed = ", ".join(str(y) for y in left[:-1]) + f" and {left[-1]}" if len(left) > 1 else str(left[0])
    return (
        f"Targets for {listed} are not set against the forecast: it runs to {end:%B %Y}, and "
        f"{'that year ends' if len(left) == 1 else 'those years end'} later."
    )


def _target_tables(portfolio, chosen, hist, history, summary, tables, notes, rho: float = 0.0) -> None:
    """``forecast_targets`` and ``forecast_portfolio_target`` into ``tables`` (and this year's target
    columns into its ``forecast_summary``), or NotAvailable without a targets table."""
    if portfolio.has("targets"):
        as_of = portfolio.as_of
        partial = None
        if as_of.month == (as_of + pd.Timedelta(days=1)).month:  # as_of inside a month: partly booked
            lines = portfolio.order_lines
            start = as_of.to_period("M").to_timestamp()
            cur = lines[(lines["order_date"] >= start) & (lines["order_date"] <= as_of)]
            partial = cur.groupby("account_id")["net_revenue"].sum().rename("booked").reset_index()
            partial = partial.rename(columns={"account_id": "unique_id"})
        targets = portfolio.tables["targets"]
        # a year that began before the order history: what was booked in it is not all in the data
        years = pd.to_numeric(targets["period"], errors="coerce")
        unknown = sorted(
            int(y)
            for y in years.dropna().unique()
            if y <= as_of.year and not history.covers(pd.Timestamp(year=int(y), month=1, day=1))
        )
        if unknown:
            targets = targets[~years.isin(unknown)]
            listed = " and ".join(
                [", ".join(str(y) for y in unknown[:-1]), str(unknown[-1])] if len(unknown) > 1 else [str(unknown[0])]
            )
            notes["forecast_targets"] = (
                f"Target attainment for {listed} is not shown: this portfolio has {history.describe()}, so the "
                f"revenue booked earlier in {'that year' if len(unknown) == 1 else 'those years'} is not in the data."
            )
        tt = target_attainment(chosen, hist, targets, as_of=as_of, booked_partial=partial)
        beyond = _years_beyond(targets, tt, as_of, chosen)
        if beyond:
            notes["forecast_targets"] = (notes.get("forecast_targets", "") + " " + beyond).strip()
        tables["forecast_targets"] = tt
        tables["forecast_portfolio_target"] = portfolio_target(tt, rho=rho)
        this_year = tt[tt["period"] == as_of.year][
            ["account_id", "period", "revenue_target", "p_reach_target", "expected_attainment"]
        ]
        this_year = this_year.rename(
            columns={
                "period": "target_period",
                "p_reach_target": "target_probability",
                "expected_attainment": "target_expected_attainment",
            }
        )
        summary = summary.merge(this_year, on="account_id", how="left")
        tables["forecast_summary"] = summary
    else:
        reason = NotAvailable(
            "No targets table was supplied, so target attainment and its probability are not computed."
        )
        tables["forecast_targets"] = reason
        tables["forecast_portfolio_target"] = reason


_FORECAST_TABLES = (
    "forecast",
    "forecast_history",
    "forecast_category",
    "forecast_backtest",
    "forecast_accuracy",
    "forecast_targets",
    "forecast_portfolio",
    "forecast_portfolio_range",
    "forecast_portfolio_target",
    "forecast_summary",
)


def _account_forecast(sel: Selection, raw_fc: pd.DataFrame, model_sd: pd.DataFrame, fit_h: int) -> pd.DataFrame:
    """The chosen forecast of every account over the fitted horizon, one row per account and month."""
    raw_fc = raw_fc.merge(model_sd, on=["unique_id", "ds"], how="left", validate="one_to_one")
    acc_full = pd.DataFrame(
        {
            "account_id": np.repeat(sel.ids, fit_h),
            "unique_id": np.repeat(sel.ids, fit_h),
            "ds": raw_fc["ds"].to_numpy(),
            "forecast": sel.mean.ravel(),
            **{
                f"{s_}_{lev:g}": (sel.lo if s_ == "lo" else sel.hi)[lev].ravel() for lev in LEVEL for s_ in ("lo", "hi")
            },
            "sd": sel.sd.ravel(),
            "model": raw_fc["model"].to_numpy(),
            "method": np.repeat(sel.method_words, fit_h),
            "method_reason": np.repeat(sel.reason, fit_h),
        }
    )
    assert len(acc_full) == len(sel.ids) * fit_h
    return acc_full


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The forecast stage of ``kamtools analyze`` (it reads no earlier table): the tables listed in
    the module docstring (money in the revenue currency, ``ds`` = month start), and ``_notes``."""
    monthly = portfolio.monthly(by="account")
    if monthly.empty:
        reason = NotAvailable(
            "There are no complete months of order history before the analysis date to forecast from."
        )
        return {name: reason for name in _FORECAST_TABLES}
    hist = monthly[["unique_id", "ds", "y"]]  # net of returns as booked: the actuals shown
    notes: dict[str, str] = {}
    fit_h = _fit_horizon(portfolio, HORIZON)
    sales, returns_note = _sales_history(portfolio, monthly)  # what the forecast learns from
    sales = sales[["unique_id", "ds", "y"]]
    hist_fit = _capped(sales, notes)
    if returns_note:
        notes["forecast"] = (notes.get("forecast", "") + " " + returns_note).strip()
    model = Forecaster(horizon=fit_h, level=LEVEL, freq="MS").fit(hist_fit)
    raw_fc = model.predict()
    first = portfolio.last_complete_month + pd.DateOffset(months=1)
    last = first + pd.DateOffset(months=HORIZON - 1)
    model_sd = model.period_sd()

    history = order_history(portfolio)
    unseen = unseen_months_note(history, portfolio.last_complete_month)
    if unseen:  # the forecast section, the portfolio's and the methods note say it where it applies
        notes["forecast_unseen_months"] = unseen
    plan, bt, per, accuracy = _account_backtest(sales, hist_fit, model.unique_ids_.size, notes)

    # ---- the method each account gets, from out-of-time evidence (kamtools.forecast.selection)
    value_model = inputs.get("value_model")
    checked = p_alive_shown_as(value_model)[0] == "probability"  # the value stage's check vouched for P(alive)
    sel = _select(portfolio, sales, model, raw_fc, model_sd, bt, plan, fit_h, btyd_family(value_model), checked)
    acc_full = _account_forecast(sel, raw_fc, model_sd, fit_h)
    acc_fc = acc_full[acc_full["ds"] <= last].reset_index(drop=True)
    chosen = _ChosenForecaster(model, sel)
    _note_methods(sales, sel, notes, backtested=plan.possible)
    if not plan.possible:  # what was checked instead, in one sentence every face reads
        n_months = int(hist.groupby("unique_id").size().max())
        per = accuracy = NotAvailable(_evidence_note(plan, sel, n_months, hist["ds"].max()))
    cat_fc = _category_forecast(portfolio, acc_fc)
    lead = "out of time" if plan.possible else "in the one comparison of the simple methods"
    summary = _account_summary(portfolio, hist, model, chosen, sel, per, history, fit_h, notes, lead)
    common = common_part(None)  # how far the accounts' errors move together (kamtools.forecast.portfolio_range)
    if bt is not None:  # the forecast as shipped (each account's chosen method) at the backtest's origins
        per, accuracy = chosen_accuracy(bt, per, accuracy, sel, summary, LEVEL)
        common = common_part(chosen_rows(bt, sel, summary, LEVEL))
        if not int(accuracy["n_series"].max()):  # nothing scored: a table of 'nan' MASE over 0 accounts says nothing
            per = accuracy = NotAvailable(_unscored_note(plan, hist_fit))
    notes["forecast_portfolio"] = common.sentence

    tables: dict[str, pd.DataFrame | NotAvailable] = {
        "forecast": acc_fc[_declared("forecast")],
        "forecast_methods": sel.methods
        if len(sel.methods)
        else NotAvailable("The history is too short for an out-of-time comparison of the forecast methods."),
        "forecast_history": monthly[["account_id", "ds", "y"]].reset_index(drop=True),
        "forecast_category": cat_fc,
        "forecast_backtest": per,
        "forecast_accuracy": accuracy,
        "forecast_portfolio": _portfolio_series(acc_fc, hist, LEVEL, common.rho),
        "forecast_portfolio_range": pd.DataFrame(
            {"rho": [float(common.rho)], "n_origins": [int(common.n_origins)], "n_months": [int(common.n_months)]}
        ).astype({"n_origins": "int64", "n_months": "int64"}),
        "forecast_summary": summary,
    }

    _target_tables(portfolio, chosen, hist, history, summary, tables, notes, common.rho)
    tables["_notes"] = notes
    return tables


__all__ = ["SUMMARY_COLUMNS", "bundle_tables", "portfolio_target", "reconcile", "target_attainment"]
