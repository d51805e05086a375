"""The bid desk: what to bid on every open opportunity, what past bids teach, when tenders come.

Modules (one concern each):

* :mod:`kamtools.bids.winmodel`: P(win) as a function of our price relative to the
  competitor's, pooled over competitors, categories and accounts (how: see there);
* :mod:`kamtools.bids.references`: the competitor price of each bid (quoted, index, none);
* :mod:`kamtools.bids.recommend`: margin, floor and the price that maximises expected margin;
* :mod:`kamtools.bids.evidence`: when a price change may be recommended at all (bids without a
  quote need past ones that respond to the index; the win model must beat the baselines out of
  time, so :func:`bundle_tables` backtests it before it prices);
* :mod:`kamtools.bids.reasons`: the sentence a KAM reads;
* :mod:`kamtools.bids.postbid`: post-bid analysis without leakage, and the out-of-time backtest;
* :mod:`kamtools.bids.tenders`: the calendar of recurring tenders;
* :mod:`kamtools.bids.schema`: the columns and kinds of every table, read from the stage declaration.

Bundle tables (see :func:`bundle_tables`): ``bid_recommendations``, ``bid_curves``,
``bid_pipeline``, ``bid_postmortem``, ``bid_loss_summary``, ``bid_calibration``,
``bid_reliability``, ``tender_calendar`` and ``bid_account_summary`` (one row per account,
joined into ``accounts.parquet``: ``n_open_bids, bid_margin_gain, next_tender_month``).

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=60, years=3, seed=1)
>>> recs, curves, pipeline = recommend_bids(portfolio)
>>> bool((recs["recommended_price"] >= recs["floor_price"] - 1e-9).all())
True
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import expit

from kamtools.bids.evidence import RULE_BASELINE, RULE_NO_RESPONSE, baseline_p_win, model_verdict
from kamtools.bids.reasons import reasons
from kamtools.bids.recommend import (
    DEFAULT_SETTINGS,
    BidSettings,
    Priced,
    cost_prices,
    cost_sources,
    optimise,
    policy_settings,
    price_levels,
)
from kamtools.bids.references import QUOTED, open_bids, reference_prices, training_bids
from kamtools.bids.schema import rec_columns, typed
from kamtools.bids.winmodel import WinModel, log_ratio
from kamtools.data.portfolio import NotAvailable, Portfolio

__all__ = [
    "BidSettings",
    "WinModel",
    "recommend_bids",
    "price_open_bids",
    "fit_win_model",
    "bundle_tables",
    "SUMMARY_COLUMNS",
]

SUMMARY_COLUMNS = {"bid_account_summary": ["n_open_bids", "bid_margin_gain", "next_tender_month"]}


def fit_win_model(portfolio: Portfolio) -> WinModel | NotAvailable:
    """The :class:`WinModel` fitted on every bid decided by the portfolio's as-of date."""
    bids = training_bids(portfolio)
    if isinstance(bids, NotAvailable):
        return bids
    try:
        return WinModel().fit(bids)
    except ValueError as exc:
        return NotAvailable(f"The win model could not be fitted: {exc}.")


def recommend_bids(
    portfolio: Portfolio,
    settings: BidSettings | None = None,
    model: WinModel | None = None,
    calibration: pd.DataFrame | NotAvailable | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | NotAvailable:
    """(bid_recommendations, bid_curves, bid_pipeline) for the open bids; NotAvailable with the reason.

    ``calibration``: the out-of-time ``bid_calibration`` table (:func:`kamtools.bids.postbid.calibration`);
    when the win model's Brier score there is not better than the better baseline's, no price change is
    recommended and P(win) is that baseline's (:mod:`kamtools.bids.evidence`). :func:`bundle_tables`
    passes it; without it (None) the model's probabilities are used."""
    settings = settings or DEFAULT_SETTINGS
    priced = price_open_bids(portfolio, settings, model, calibration)
    if isinstance(priced, NotAvailable):
        return priced
    table, curves, gains = priced
    return table[rec_columns()].reset_index(drop=True), curves, _pipeline(table, gains, settings)


def price_open_bids(
    portfolio: Portfolio,
    settings: BidSettings | None = None,
    model: WinModel | None = None,
    calibration: pd.DataFrame | NotAvailable | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray] | NotAvailable:
    """What :func:`recommend_bids` builds on: (every open bid with all working columns, the curves,
    each bid's gained expected margin per posterior draw ``(n_bids, n_draws)``).

    Bids an evidence rule holds (:mod:`kamtools.bids.evidence`) keep their current price, gain 0 in
    every draw and have no curve; ``price_rule`` says which rule ("" for the others)."""
    settings = settings or DEFAULT_SETTINGS
    bids = open_bids(portfolio)
    if isinstance(bids, NotAvailable):
        return bids
    model = model if model is not None else fit_win_model(portfolio)
    if isinstance(model, NotAvailable):
        return model
    refs = reference_prices(portfolio, bids)
    response = replace(refs.attrs["response"], alpha=settings.response_alpha)
    frame = pd.concat([bids, refs], axis=1)
    frame["competitor"], frame["category"] = frame["competitor_name"], frame["category_name"]
    priced = frame["competitor_price_used"].notna().to_numpy()
    our = frame["our_price"].to_numpy(float)
    ref = np.where(priced, frame["competitor_price_used"].to_numpy(float), our)
    # index-priced bids anchored on the record of bids without a quote (see kamtools.bids.references)
    anchored = np.isfinite(frame["anchor_gap"].to_numpy(float))
    ref = np.where(anchored, ref * np.exp(np.nan_to_num(frame["anchor_gap"].to_numpy(float))), ref)
    priced = priced & ~anchored
    frame["cost_ratio"], frame["cost_basis"] = cost_sources(portfolio, frame)
    acc = frame["account_id"]
    frame["account_bids"] = acc.map(model.account_n_).fillna(0).astype(np.int64)
    frame["account_weight"] = acc.map(model.account_weight_).fillna(0.0).astype(float)
    frame["account_effect"] = acc.map(model.account_effect_).fillna(0.0).astype(float)
    cost = cost_prices(frame["cost_ratio"].to_numpy(), frame, our, price_levels(portfolio.tables["opportunities"]))
    sd = frame["index_sd"].to_numpy(float)
    inputs = Priced(frame, our, ref, priced, cost, frame["amount"].to_numpy(float), sd)
    rec, curves, gains = optimise(model, inputs, settings)
    rec = _hold(portfolio, model, inputs, rec, response, model_verdict(calibration))
    held = rec["price_rule"].to_numpy() != ""
    gains[held] = rec["expected_margin_gain"].to_numpy(float)[held, None]  # no response to draw: the same gain
    curves = curves[~curves["opportunity_id"].isin(frame.loc[held, "opportunity_id"])].reset_index(drop=True)
    table = pd.concat([frame, rec], axis=1)
    kept = (table["recommended_price"] == table["our_price"]).to_numpy()
    for col in ("recommended_price", "price_low", "price_high", "floor_price", "ceiling_price", "best_price"):
        table[col] = table[col].round(1)
    table.loc[kept, "recommended_price"] = table.loc[kept, "our_price"]  # a kept price stays exactly ours
    table["reason"] = pd.Series(reasons(table), index=table.index, dtype="str")
    table["log_ratio"] = log_ratio(table["our_price"], table["competitor_price_used"])
    return table.reset_index(drop=True), curves, gains


def _hold(portfolio: Portfolio, model: WinModel, bids: Priced, rec: pd.DataFrame, response, verdict) -> pd.DataFrame:
    """``rec`` with the bids the evidence rules hold at their current price (see :mod:`kamtools.bids.evidence`):
    every bid when the win model does not beat the better baseline out of time (P(win): that baseline's), else
    the bids without a competitor quote when past ones show no price response (P(win): the account's pooled
    record on bids without a quote). Adds ``price_rule`` and the figures the reasons quote."""
    frame = bids.frame
    rec = rec.copy()
    rule = np.full(len(frame), "", dtype=object)
    p_hold = np.full(len(frame), np.nan)
    unquoted = (frame["price_basis"] != QUOTED).to_numpy()
    if verdict is not None and not verdict.beats:
        rule[:] = RULE_BASELINE
        training = training_bids(portfolio)
        p_hold[:] = baseline_p_win(training, frame["competitor_name"], verdict.baseline)
    elif unquoted.any() and not response.supported:
        rule[unquoted] = RULE_NO_RESPONSE
        p_hold[unquoted] = expit(model.base_logit(frame[unquoted], np.zeros(int(unquoted.sum()), dtype=bool)))
    held = rule != ""
    rec["price_rule"] = rule
    if held.any():
        rec.loc[held, "keep_basis"] = ""
        # the current price, unless it is below the floor of the pricing rules (then the floor); P(win) does not
        # move with the price (no response is measurable), so the gain is 0 unless the floor raises the price
        our, amount, cost, p = bids.our[held], bids.amount[held], bids.cost[held], p_hold[held]
        price = np.maximum(our, rec["floor_price"].to_numpy(float)[held])
        em_cur = p * amount * (our - cost) / our
        em_rec = p * amount * (price - cost) / our
        for col in ("recommended_price", "price_low", "price_high"):
            rec.loc[held, col] = price
        for col in ("p_win_current", "p_win_recommended"):
            rec.loc[held, col] = p
        rec.loc[held, "expected_margin_current"], rec.loc[held, "expected_margin_recommended"] = em_cur, em_rec
        for col in ("expected_margin_gain", "expected_margin_gain_low", "expected_margin_gain_high"):
            rec.loc[held, col] = em_rec - em_cur
    rec["response_n"], rec["response_slope"], rec["response_se"] = response.n, response.slope, response.se
    rec["model_brier"] = verdict.model_brier if verdict is not None else np.nan
    rec["baseline_brier"] = verdict.baseline_brier if verdict is not None else np.nan
    rec["baseline_method"] = verdict.baseline if verdict is not None else ""
    return rec


def _pipeline(table: pd.DataFrame, gains: np.ndarray, settings: BidSettings) -> pd.DataFrame:
    """One row: the open pipeline's expected margin now and at the recommended prices, with a 90% band,
    and the pricing rules used."""
    total = gains.sum(axis=0) if len(table) else np.zeros(1)
    rules = {
        "min_margin_pct": settings.min_margin_pct,
        "max_discount_pct": settings.max_discount_pct,
        "max_increase_pct": settings.max_increase_pct,
        "near_best_pct": settings.near_best_pct,
    }
    return pd.DataFrame(
        {
            "n_open_bids": [len(table)],
            "amount": [float(table["amount"].sum())],
            "expected_margin_current": [float(table["expected_margin_current"].sum())],
            "expected_margin_recommended": [float(table["expected_margin_recommended"].sum())],
            "expected_margin_gain": [float(table["expected_margin_gain"].sum())],
            "expected_margin_gain_low": [float(np.quantile(total, 0.05))],
            "expected_margin_gain_high": [float(np.quantile(total, 0.95))],
            **{k: [float(v)] for k, v in rules.items()},
        }
    )


def _account_summary(portfolio: Portfolio, recs, tenders) -> pd.DataFrame:
    out = portfolio.accounts[["account_id"]].copy()
    if isinstance(recs, pd.DataFrame):
        agg = recs.groupby("account_id").agg(
            n_open_bids=("opportunity_id", "size"), bid_margin_gain=("expected_margin_gain", "sum")
        )
        out = out.merge(agg.reset_index(), on="account_id", how="left")
    else:
        out["n_open_bids"], out["bid_margin_gain"] = 0, np.nan
    out["n_open_bids"] = out["n_open_bids"].fillna(0).astype(np.int64)
    if isinstance(tenders, pd.DataFrame) and len(tenders):
        nxt = tenders.groupby("account_id")["expected_month"].min().rename("next_tender_month")
        out = out.merge(nxt.reset_index(), on="account_id", how="left")
    else:
        out["next_tender_month"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    return out


def context_settings(context) -> BidSettings:
    """The bidding policy of the playbook that :func:`kamtools.bundle.analyze` checked (its ``bids:``
    section, :func:`kamtools.bids.recommend.policy_settings`); the defaults without one."""
    from kamtools.stages import PLAYBOOK

    playbook = context.get(PLAYBOOK) if context is not None else None
    return policy_settings(dict(getattr(playbook, "bids", None) or {}))


def bundle_tables(portfolio: Portfolio, context: dict) -> dict[str, pd.DataFrame | NotAvailable]:
    """The bid-desk tables of the analysis bundle (tables that cannot be computed: NotAvailable)."""
    from kamtools.bids.postbid import calibration, loss_summary, postmortem
    from kamtools.bids.tenders import tender_calendar

    out: dict[str, pd.DataFrame | NotAvailable] = {}
    notes: dict[str, str] = {}
    settings = context_settings(context)
    # the out-of-time backtest first: the recommendations rest on it (kamtools.bids.evidence, rule 2);
    # it scores each decided bid by models fitted on bids decided before it was opened, so nothing leaks
    post = postmortem(portfolio, settings)
    out["bid_calibration"], out["bid_reliability"] = calibration(portfolio, post)
    result = recommend_bids(portfolio, settings, calibration=out["bid_calibration"])
    if isinstance(result, NotAvailable):
        for name in ("bid_recommendations", "bid_curves", "bid_pipeline"):
            out[name] = result
    else:
        out["bid_recommendations"], out["bid_curves"], out["bid_pipeline"] = result
    out["bid_postmortem"] = post
    if isinstance(post, pd.DataFrame) and post["p_win_at_time"].isna().any():
        k = int(post["p_win_at_time"].isna().sum())
        notes["bid_postmortem"] = (
            f"{k} of {len(post)} decided bids have no win probability at the time: too few bids had been "
            "decided before them to fit the model."
        )
    out["bid_loss_summary"] = loss_summary(post)
    out["tender_calendar"] = tender_calendar(portfolio)
    out["bid_account_summary"] = _account_summary(portfolio, out["bid_recommendations"], out["tender_calendar"])
    out = {k: typed(k, v) if isinstance(v, pd.DataFrame) else v for k, v in out.items()}
    if notes:
        out["_notes"] = notes
    return out
