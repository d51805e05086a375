"""The value stage of ``kamtools analyze``: the ``value`` and ``value_model`` tables (:func:`fit_value`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines
from kamtools.history import OrderHistory, order_history
from kamtools.value.activity import ActivityScore, activity_rows, choose_activity_score
from kamtools.value.calibration import CHECK_STATUSES, PAliveCheck, check_weeks, p_alive_check
from kamtools.value.choice import FIT_STATUSES, MIN_ACCOUNTS, MIN_REPEAT_BUYERS, MODEL_LABELS, BTYDChoice, choose_btyd
from kamtools.value.expected import expected_value, margin_rates
from kamtools.value.gamma_gamma import GammaGamma
from kamtools.value.one_time import one_time_rows, score_one_time_buyers
from kamtools.value.spent import spent
from kamtools.value.summary import rfm_summary

SUMMARY_COLUMNS = {"value": ["p_alive", "expected_purchases_12m", "expected_value_12m", "expected_margin_12m"]}

VALUE_COLUMNS = [
    "account_id",
    "frequency",
    "recency",
    "T",
    "monetary",
    "first_purchase",
    "last_purchase",
    "p_alive",
    "expected_purchases_12m",
    "expected_avg_value",
    "expected_value_12m",
    "margin_pct",
    "expected_margin_12m",
    "value_share",
    "p_alive_model",
]


def _model_rows(model: str, est, note: str = "") -> list[dict]:
    rows = [
        {"model": model, "parameter": k, "estimate": v, "std_error": est.standard_errors_[k], "note": note}
        for k, v in est.params_.items()
    ]
    rows.append(
        {
            "model": model,
            "parameter": "log_likelihood",
            "estimate": est.log_likelihood_,
            "std_error": np.nan,
            "note": "",
        }
    )
    rows.append(
        {"model": model, "parameter": "n_accounts", "estimate": float(est.n_obs_), "std_error": np.nan, "note": ""}
    )
    return rows


# selection figures of each BTYD candidate, as rows of the value_model table
_SELECTION_ROWS = {
    "holdout_log_likelihood": "holdout_log_likelihood",
    "holdout_predicted": "holdout_purchase_weeks_predicted",
    "holdout_actual": "holdout_purchase_weeks_actual",
    "p_alive_one_time": "p_alive_one_time_buyers",
    "p_buy_again_one_time": "p_buy_again_one_time_buyers",
    "bought_again_one_time": "bought_again_one_time_buyers",
    "identified": "identified",
    "chosen": "chosen",
}


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The value stage of :func:`kamtools.bundle.analyze` (it reads no earlier table): :func:`fit_value`."""
    return fit_value(portfolio)


def fit_value(portfolio: Portfolio, activity_score: bool = True) -> dict[str, pd.DataFrame | NotAvailable]:
    """Fit BG/NBD or MBG/NBD (:func:`choose_btyd`) + Gamma-Gamma on the whole portfolio (weekly
    periods) and score every account (at ``portfolio.as_of``; the churn model calls it on
    earlier snapshots of the portfolio to build its training features).

    Returns ``value`` (one row per account that has ordered: :data:`VALUE_COLUMNS`, with
    ``value_share`` = share of the portfolio's expected 12-month value) and
    ``value_model`` (portfolio-level: ``model, parameter, estimate, std_error, note,
    time_unit, chosen``: the parameters of both BTYD candidates and of Gamma-Gamma, and
    per candidate its holdout figures, ``identified`` and ``chosen`` as 1/0 rows and
    ``fit_status`` (index in :data:`FIT_STATUSES`, its name in ``note``; where the chosen fit gives
    every account the same purchase rate and the other's rates vary, a ``forecast_family`` row of
    the other: the account forecasts use it), and the rows of
    the P(alive) check on a holdout inside the history (:func:`p_alive_check`, model
    ``p_alive_check``: ``check_status`` says whether P(alive) may be shown as a
    probability; ``p_alive`` is recalibrated when the check found it understating and a
    recalibration closed the gap), and, when BG/NBD is chosen and some accounts bought in one
    week only, the rows of model ``one_time_buyers`` (:func:`kamtools.value.one_time.one_time_rows`:
    whether their P(alive), expected purchases and value come from MBG/NBD, and the evidence));
    Gamma-Gamma learns purchase values from the sales lines, and each account's expected value
    keeps ``1 - returns rate`` of them (:func:`_sales_summary`), so it is never negative;
    ``_notes["value_model"]`` is the sentence saying which BTYD model was chosen and why.
    Where P(alive) is no probability, ``p_alive`` holds the activity score of
    :func:`~kamtools.value.activity.choose_activity_score` (with ``activity_score=False``, as the churn
    model's training snapshots ask, P(alive) itself, so that a feature keeps one meaning across them);
    ``p_alive_model`` always holds the model's P(alive), which churn scores with for the same reason.
    A degenerate Gamma-Gamma fit (:func:`_gamma_gamma_problems`) is set aside: accounts are valued at
    their own mean purchase week, ``value_model`` says so (row ``set_aside``) and ``_notes["value"]``
    tells the reader.
    NotAvailable when fewer than :data:`MIN_ACCOUNTS` accounts ordered or fewer than
    :data:`MIN_REPEAT_BUYERS` bought again in a later week (nothing to learn a buying
    rhythm from); with less than 12 months of order history ``_notes`` says that the
    12-month values rest on a short history.
    """
    summary = rfm_summary(portfolio, freq="W")
    history = order_history(portfolio)
    reason = _too_little_to_learn(summary, history)
    if reason is not None:
        return {"value": reason, "value_model": reason}
    choice = choose_btyd(portfolio.orders, as_of=portfolio.as_of)
    orders = portfolio.orders[portfolio.orders["order_date"] <= portfolio.as_of]
    one_time = score_one_time_buyers(choice, orders, portfolio.as_of, check_weeks(choice, orders, portfolio.as_of))
    gross, kept = _sales_summary(portfolio, summary)
    # an account whose every line is worth 0 showed no spend: valued at 0, not at the population's mean purchase
    kept = np.where(spent(portfolio.orders, portfolio.as_of, summary["account_id"]), kept, 0.0)
    gg, gg_note, gg_fit = _fit_gamma_gamma(gross)
    margins = margin_rates(portfolio)
    ev = expected_value(
        gross, one_time.model, gg, months=12, discount_rate=0.10, unit="W", margin_pct=margins, net_share=kept
    )
    check = p_alive_check(choice, portfolio.orders, portfolio.as_of, model=one_time.model)
    activity = (
        choose_activity_score(one_time.model, check, orders, portfolio.as_of) if activity_score else ActivityScore()
    )
    raw = ev["p_alive"].to_numpy(dtype=float)
    # the model's own P(alive) (after the check), kept whatever is shown: churn learns from it at every snapshot
    ev["p_alive_model"] = check.apply(raw)
    if activity.uses_p_buy:  # P(alive) is shown as a score, and the chance of buying soon ranks better
        ev["p_alive"] = activity.score(one_time.model, gross, raw)
        check.sentence = f"{check.sentence} {activity.sentence}"
    else:
        ev["p_alive"] = ev["p_alive_model"]
    value = summary.merge(ev, on="account_id", how="left").merge(margins, on="account_id", how="left")
    total = value["expected_value_12m"].clip(lower=0).sum()
    value["value_share"] = value["expected_value_12m"].clip(lower=0) / total if total > 0 else 0.0
    model = pd.DataFrame(
        _btyd_rows(choice)
        + one_time_rows(one_time)
        + _gamma_gamma_rows(gg, gg_note, gg_fit)
        + _check_rows(check)
        + activity_rows(activity)
    )
    model["note"] = model["note"].fillna("").astype("str")
    model["time_unit"] = "week"
    model["chosen"] = model["model"].isin([choice.model.model_name, "gamma_gamma"])
    out: dict[str, pd.DataFrame | NotAvailable] = {"value": value[VALUE_COLUMNS], "value_model": model}
    out["_notes"] = {"value_model": choice.reason}
    value_notes = []
    if history.complete_months < 12:
        value_notes.append(
            f"The value model learnt the accounts' buying rhythm from {history.describe()} and projects 12 "
            "months ahead, so its P(alive) and expected values rest on few purchases per account: treat them "
            "as rough."
        )
    if gg is None and gg_fit is not None:  # a degenerate Gamma-Gamma fit, set aside
        value_notes.append(
            "The value per purchase week could not be learnt across accounts (the Gamma-Gamma fit is not "
            "determined by this data), so each account's expected value uses its own mean purchase week (for "
            "accounts that bought in one week only, the mean of those that bought again)."
        )
    if value_notes:
        out["_notes"] |= {"value": " ".join(value_notes)}
    return out


def _sales_summary(portfolio: Portfolio, summary: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The summary with ``monetary`` from the sales lines only, and the share of its sales each account keeps.

    Gamma-Gamma learns what a purchase week is worth from sales: a week netted with a credit
    note larger than it would be worth less than nothing. What the account keeps after its
    returns, credit notes and rebates is ``1 - returns rate`` (clipped to [0, 1]), with the
    returns rate of the KPIs (credited / gross revenue of the last 12 months; all of the
    history when the account sold nothing in them).
    """
    orders = portfolio.orders[portfolio.orders["order_date"] <= portfolio.as_of]
    credit = credit_lines(orders)
    if not credit.any():
        return summary, np.ones(len(summary))
    sales = rfm_summary(orders[~credit], as_of=portfolio.as_of, freq="W").set_index("account_id")
    gross = summary.assign(monetary=sales["monetary"].reindex(summary["account_id"]).fillna(0.0).to_numpy())
    rev = orders["net_revenue"].astype(float)
    recent = orders["order_date"] > portfolio.as_of - pd.DateOffset(months=12)
    parts = pd.DataFrame(
        {
            "account_id": orders["account_id"].astype(str),
            "sold": rev.clip(lower=0),
            "credited": (-rev).clip(lower=0),
            "sold_ltm": rev.clip(lower=0).where(recent, 0.0),
            "credited_ltm": (-rev).clip(lower=0).where(recent, 0.0),
        }
    ).groupby("account_id")
    totals = parts.sum().reindex(summary["account_id"].astype(str)).fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(
            totals["sold_ltm"] > 0,
            totals["credited_ltm"] / totals["sold_ltm"],
            np.where(totals["sold"] > 0, totals["credited"] / totals["sold"], 0.0),
        )
    return gross, np.clip(1.0 - rate, 0.0, 1.0)


def _too_little_to_learn(summary: pd.DataFrame, history: OrderHistory) -> NotAvailable | None:
    """Why no value model can be fitted (too few accounts with orders, or too few repeat buyers), else None."""
    if len(summary) < MIN_ACCOUNTS:
        return NotAvailable(
            f"The value model needs at least {MIN_ACCOUNTS} accounts with orders to learn from; "
            f"this portfolio has {len(summary)}."
        )
    repeaters = int((summary["frequency"] > 0).sum())
    if repeaters < MIN_REPEAT_BUYERS:
        return NotAvailable(
            "The value model learns each account's buying rhythm from repeat purchases, and "
            + (f"only {repeaters} account{'s' if repeaters != 1 else ''}" if repeaters else "no account")
            + f" bought again in a later week in {history.describe()}; it needs "
            f"at least {MIN_REPEAT_BUYERS}, so P(alive) and expected values are not estimated."
        )
    return None


def _fit_gamma_gamma(summary: pd.DataFrame) -> tuple[GammaGamma | None, str, GammaGamma | None]:
    """Gamma-Gamma fitted on the summary (None when it cannot be, or when the data do not determine its
    parameters), the note on its fit and warnings, and the fit itself (also when set aside).

    A fit that :func:`_gamma_gamma_problems` finds degenerate is set aside: the demo with returns gave
    ``p = 21,087,100`` with standard error 31,468,730 (and ``v = 0.00018``, s.e. 0.00027). Each account
    is then valued at its own mean purchase week (the mean of the accounts that bought again for those
    that did not).
    """
    gg: GammaGamma | None = GammaGamma()
    gg_note = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            gg.fit(summary["frequency"], summary["monetary"])
        except ValueError as exc:
            gg, gg_note = None, f"Gamma-Gamma not fitted ({exc}); accounts are valued at their own mean purchase."
    fitted = gg
    problems = _gamma_gamma_problems(gg) if gg is not None else []
    if problems:
        gg, gg_note = (
            None,
            (
                f"The Gamma-Gamma fit of the value per purchase week is not determined by this data ({'; '.join(problems)}), "
                "so it is set aside: each account's expected value uses its own mean purchase week (for accounts that "
                "bought in one week only, the mean of those that bought again)."
            ),
        )
    return gg, "; ".join([gg_note] * bool(gg_note) + [str(w.message) for w in caught]), fitted


# p or q above this: the fit ran off towards a limit (p: no spread of an account's purchase values, q: no spread
# between accounts) where the likelihood no longer fixes the value (synthetic accounts of constant purchase values:
# p = 20,397,491 with s.e. 20,384,652 or 13,795,131 with s.e. 14,348,275)
GG_HUGE = 1e4
GG_HUGE_RELATIVE_SE = 10.0  # a standard error ten times the estimate: the data do not fix the parameter at all


def _gamma_gamma_problems(gg: GammaGamma) -> list[str]:
    """Why a Gamma-Gamma fit is degenerate (empty list when it is not): a parameter at the edge of the
    search or without a finite standard error, a standard error over :data:`GG_HUGE_RELATIVE_SE` times
    its estimate, or ``p`` or ``q`` over :data:`GG_HUGE`.

    Looser than the BG/NBD check (:func:`~kamtools.value.choice.fit_problems`, standard error above the
    estimate): ``p`` and ``v`` are strongly correlated, so on a few dozen accounts each alone may have a
    standard error above its estimate while the mean purchase value they imply is well determined.
    """
    from kamtools.value.choice import _num

    problems = []
    for name in gg.param_names:
        value, se = gg.params_[name], gg.standard_errors_[name]
        if name in getattr(gg, "at_bound_", []):
            problems.append(f"{name} = {_num(value)} at the edge of the search")
        elif not np.isfinite(se):
            problems.append(f"{name} = {_num(value)} without a finite standard error")
        elif se > GG_HUGE_RELATIVE_SE * abs(value) or (name in ("p", "q") and value > GG_HUGE):
            problems.append(f"{name} = {_num(value)} with standard error {_num(se)}")
    return problems


def _btyd_rows(choice: BTYDChoice) -> list[dict]:
    """The value_model rows of both BTYD candidates: parameters, then per candidate its holdout figures and status."""
    rows = []
    for name, est in choice.fits.items():
        problems = choice.problems[name]
        note = "; ".join(choice.warnings.get(name, []))
        if problems:
            note = f"{MODEL_LABELS[name]} parameters not determined by the data: {'; '.join(problems)}."
        rows += _model_rows(name, est, note)
    for rec in choice.selection.to_dict("records"):
        for key, label in _SELECTION_ROWS.items():
            if key in rec:
                rows.append(
                    {"model": rec["model"], "parameter": label, "estimate": float(rec[key]), "std_error": np.nan}
                )
        rows[-1]["note"] = choice.reason if rec["chosen"] else ""
        status = str(rec["status"])
        rows.append(
            {
                "model": rec["model"],
                "parameter": "fit_status",
                "estimate": float(FIT_STATUSES.index(status)),
                "std_error": np.nan,
                "note": status,
            }
        )
    if choice.forecast_family and choice.forecast_family != choice.model.model_name:
        # the account forecasts need purchase rates that vary between accounts, which only this family's fit has
        rows.append(
            {
                "model": choice.forecast_family,
                "parameter": "forecast_family",
                "estimate": 1.0,
                "std_error": np.nan,
                "note": "",  # the chosen row's note (the choice's reason) says why
            }
        )
    return rows


def _check_rows(check: PAliveCheck) -> list[dict]:
    """The value_model rows of the P(alive) check (model ``p_alive_check``): its figures, and its status
    (index in :data:`CHECK_STATUSES`, the reader's sentence in ``note``)."""
    figures = {
        "check_weeks": check.weeks,
        "check_bought_again": check.bought_again,
        "check_mean_p_alive": check.mean_p_alive,
        "check_mean_p_buy": check.mean_p_buy,
        "check_recalibration_c0": check.coefficients[0],
        "check_recalibration_c1": check.coefficients[1],
    }
    rows = [
        {"model": "p_alive_check", "parameter": k, "estimate": float(v), "std_error": np.nan, "note": ""}
        for k, v in figures.items()
    ]
    rows.append(
        {
            "model": "p_alive_check",
            "parameter": "check_status",
            "estimate": float(CHECK_STATUSES.index(check.status)),
            "std_error": np.nan,
            "note": check.sentence,
        }
    )
    return rows


def _gamma_gamma_rows(gg: GammaGamma | None, gg_note: str, fitted: GammaGamma | None = None) -> list[dict]:
    """The value_model rows of Gamma-Gamma: its parameters, or why it was not fitted (with the parameters of a
    fit set aside as not determined by the data, and ``set_aside`` = 1 with the sentence in ``note``)."""
    if gg is None and fitted is not None:
        rows = _model_rows("gamma_gamma", fitted, gg_note)
        rows.append(
            {"model": "gamma_gamma", "parameter": "set_aside", "estimate": 1.0, "std_error": np.nan, "note": gg_note}
        )
        return rows
    if gg is not None:
        rows = _model_rows("gamma_gamma", gg, gg_note)
        rows.append(
            {
                "model": "gamma_gamma",
                "parameter": "frequency_monetary_corr",
                "estimate": gg.frequency_monetary_corr_,
                "std_error": np.nan,
                "note": "",
            }
        )
        return rows
    if gg_note:
        return [
            {
                "model": "gamma_gamma",
                "parameter": "not_fitted",
                "estimate": np.nan,
                "std_error": np.nan,
                "note": gg_note,
            }
        ]
    return []
