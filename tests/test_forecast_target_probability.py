"""The probability of reaching a yearly target (issues 17/18): a target already booked is certain,
and the out-of-time totals of similar accounts that bench_target_probability.py compares it with
hold what those accounts really bought over the months left (often nothing)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from test_forecast_total_range import AS_OF, _occasional_buyers

from kamtools.data.portfolio import Portfolio
from kamtools.forecast import accounts, selection


@lru_cache(maxsize=1)
def _run() -> tuple[pd.DataFrame, object, object]:
    """(forecast_targets, the stage's selection, target_attainment with its forecast for other targets), with
    targets at each account's revenue booked this year (already reached) for half the accounts and twice that
    for the others."""
    base = _occasional_buyers()
    orders = base.orders
    booked = orders[orders["order_date"].dt.year == AS_OF.year].groupby("account_id")["net_revenue"].sum()
    ids = sorted(base.accounts["account_id"])
    target = [booked.get(a, 0.0) * (1 if n % 2 == 0 else 2) + 1.0 * (n % 2) for n, a in enumerate(ids)]
    targets = pd.DataFrame({"account_id": ids, "period": AS_OF.year, "revenue_target": target})
    kept = {}
    g = accounts._target_tables.__globals__
    shipped = g["target_attainment"]

    def keep(forecaster, hist, t, **kw):
        kept["sel"] = forecaster._sel
        kept["again"] = lambda other: shipped(forecaster, hist, other, **kw)
        return shipped(forecaster, hist, t, **kw)

    g["target_attainment"] = keep
    try:
        tables = accounts.bundle_tables(Portfolio({**base.tables, "targets": targets}, AS_OF), {})
    finally:
        g["target_attainment"] = shipped
    return tables["forecast_targets"], kept["sel"], kept["again"]


def test_a_target_already_booked_is_certain_and_its_range_starts_at_what_is_booked():
    tt, _, _ = _run()
    done = tt[tt["booked_ytd"] >= tt["revenue_target"]]
    assert len(done) >= 15
    assert (done["p_reach_target"] == 1.0).all()
    assert (done["total_lo_80"] >= done["booked_ytd"] - 1e-9).all()
    open_ = tt[tt["booked_ytd"] < tt["revenue_target"]]
    assert len(open_) >= 15 and (open_["p_reach_target"] < 1.0).all()


def test_similar_accounts_totals_over_the_months_left_include_those_that_bought_nothing():
    tt, sel, _ = _run()
    months = int(tt["months_remaining"].max())
    assert months == 6  # July to December
    ratios = sel.total_ratios(months)
    have = [r for r, m in zip(ratios, sel.method) if m != "zero"]
    assert have and all(r is not None and np.all(np.diff(r) >= 0) for r in have)
    # accounts that order about once a year: a good share of six-month windows bought nothing
    zero_share = np.mean(have[0] == 0)
    assert 0.2 < zero_share < 0.8
    assert selection.ratio_bounds(have[0])[0] == 0.0
    # the 12-month range shown on page one reads the same ratios over the backtest's horizon
    full = selection.total_ratios(sel.evidence, sel.klass, sel.method, sel.factor, sel.total_months)
    i = next(i for i, r in enumerate(full) if r is not None)
    assert np.allclose(sel.total_ratio[i], selection.ratio_bounds(full[i]))


def test_the_chance_falls_as_the_target_rises_and_the_range_holds_what_is_booked_and_expected():
    tt, _, again = _run()
    open_ = tt[(tt["booked_ytd"] < tt["revenue_target"]) & (tt["expected_total"] > tt["booked_ytd"])]
    assert len(open_) >= 10
    lo, hi = open_["total_lo_80"], open_["total_hi_80"]
    assert (lo >= open_["booked_ytd"] - 1e-9).all() and (lo <= open_["expected_total"] + 1e-9).all()
    assert (hi >= open_["expected_total"] - 1e-9).all()
    rest = open_["expected_total"] - open_["booked_ytd"]
    chances = []
    for k in (0.5, 1.0, 2.0, 100.0):  # targets at booked + k times the forecast of the months left
        t = pd.DataFrame(
            {
                "account_id": open_["account_id"],
                "period": open_["period"],
                "revenue_target": open_["booked_ytd"] + k * rest,
            }
        )
        chances.append(again(t).set_index("account_id")["p_reach_target"].reindex(open_["account_id"]).to_numpy())
    assert all(np.all(a >= b - 1e-12) for a, b in zip(chances, chances[1:]))
    assert np.all(chances[0] > 0.5) and np.all(chances[-1] < 0.01)
