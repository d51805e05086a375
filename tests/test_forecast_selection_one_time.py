"""Silent one-time buyers: the modified BG/NBD expected value where the backtest saw no such accounts (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

from kamtools.forecast import accounts, selection

H = 6


def _portfolio(n_steady: int = 40, n_once: int = 30, months: int = 12, once_at: int = 2):
    """Steady buyers (100 every month) and one-time buyers (one order of 80 in month ``once_at``, then
    nothing), the history starting with the first month; the backtest origin is where a 12-month history
    puts it (6 months of training, 6 ahead), when none of the one-time buyers was silent for 6 months yet."""
    ids = np.array([f"S{i:02d}" for i in range(n_steady)] + [f"X{i:02d}" for i in range(n_once)])
    y = np.full((len(ids), months), 100.0)
    y[n_steady:] = 0.0
    y[n_steady:, once_at] = 80.0
    y[n_steady:, :once_at] = np.nan  # not yet a customer
    c = 5
    model_paths = {c: np.full((len(ids), H), 100.0)}
    model_paths[c][n_steady:] = 0.0
    btyd_at = {c: np.where(np.arange(len(ids))[:, None] < n_steady, 95.0, 5.0) * np.ones((1, H))}
    ev = selection.build_evidence(y, ids, [c], H, model_paths, btyd_at)
    return y, ids, ev


def _select(y, ids, ev, one_time_btyd):
    n = len(ids)
    mean = np.where(np.arange(n)[:, None] < 40, 100.0, 10.0) * np.ones((1, H))
    lo = {80: mean * 0.8, 95: mean * 0.7}
    hi = {80: mean * 1.2, 95: mean * 1.3}
    btyd_now = np.where(np.arange(n)[:, None] < 40, 95.0, 6.0) * np.ones((1, H))
    return selection.select(y, ids, mean, lo, hi, mean * 0.15, ev, btyd_now, one_time_btyd=one_time_btyd)


def test_silent_one_time_buyers_of_an_unseen_class_get_the_modified_bg_nbd_as_fitted_and_say_why():
    y, ids, ev = _portfolio()
    mbg = np.full((len(ids), H), 1.5)
    sel = _select(y, ids, ev, mbg)
    once = np.char.startswith(ids.astype(str), "X")
    assert (sel.method[once] == "btyd").all() and np.allclose(sel.factor[once], 1.0)
    assert np.allclose(sel.mean[once], 1.5)  # the modified BG/NBD's path, not a correction learnt elsewhere
    assert sel.one_time[once].all() and not sel.one_time[~once].any()
    assert sel.reason[once][0] == (
        "Ordered in one month only, none in the last 9 months: based on how often and how much accounts buy, by a "
        "buying-rhythm model that allows a customer to stop after the first order, uncorrected (the test on past data "
        "had no similar accounts to correct it with)."
    )
    assert sel.method_words[once][0] == "BTYD expected value"
    # the steady buyers keep their class's choice
    assert not any("one month only" in r for r in sel.reason[~once])


def test_without_the_modified_bg_nbd_the_class_choice_stays():
    y, ids, ev = _portfolio()
    sel = _select(y, ids, ev, None)
    once = np.char.startswith(ids.astype(str), "X")
    assert not sel.one_time.any()
    assert not any("stop after the first order" in r for r in sel.reason)
    assert not np.allclose(sel.mean[once], 1.5)


def test_a_class_the_backtest_saw_keeps_its_evidence():
    # 18 months: 40 steady buyers, 30 one-time buyers of month 0 (silent 8 months at the origin, month 8) and
    # 30 of month 9 (silent 8 months today, the same class, not yet customers at the origin)
    y, ids, _ = _portfolio(n_steady=40, n_once=60, months=18, once_at=0)
    y[70:] = 0.0
    y[70:, 9] = 80.0
    y[70:, :9] = np.nan
    n, c = len(ids), 8
    model_paths = {c: np.where(np.arange(n)[:, None] < 40, 100.0, 0.0) * np.ones((1, H))}
    btyd_at = {c: np.where(np.arange(n)[:, None] < 40, 95.0, 5.0) * np.ones((1, H))}
    ev = selection.build_evidence(y, ids, [c], H, model_paths, btyd_at)
    assert np.sum(ev.klass == selection.account_state(y, H).klass[-1]) == 30  # seen: 30 rows of that class
    sel = _select(y, ids, ev, np.full((n, H), 1.5))
    assert not sel.one_time[70:].any()
    assert not any("stop after the first order" in r for r in sel.reason[70:])


def test_a_one_time_buyer_silent_long_enough_to_be_lapsed_is_still_forecast_zero():
    y, ids, ev = _portfolio(months=16, once_at=1)  # silent 14 months at the end
    c = 5
    n = len(ids)
    ev = selection.build_evidence(
        y,
        ids,
        [c],
        H,
        {c: np.where(np.arange(n)[:, None] < 40, 100.0, 0.0) * np.ones((1, H))},
        {c: np.where(np.arange(n)[:, None] < 40, 95.0, 5.0) * np.ones((1, H))},
    )
    sel = _select(y, ids, ev, np.full((n, H), 1.5))
    once = np.char.startswith(ids.astype(str), "X")
    assert (sel.method[once] == "zero").all() and not sel.one_time.any()
    # a one-month buyer has no gap between orders to compare its silence with
    assert sel.reason[once][0].startswith("Forecast zero. No order for 14 months after ordering in one month only")


def test_without_a_backtest_the_reason_says_there_was_none():
    y, ids, _ = _portfolio(months=8, once_at=0)  # silent 7 months, no evidence
    sel = _select(y, ids, None, np.full((len(ids), H), 1.5))
    once = np.char.startswith(ids.astype(str), "X")
    assert (sel.method[once] == "btyd").all() and np.allclose(sel.mean[once], 1.5)
    assert sel.reason[once][0].endswith("(there is no test on past data to check it).")


def test_the_methods_note_says_which_silent_buyers_carry_the_modified_bg_nbd():
    y, ids, ev = _portfolio(n_steady=10)
    import pandas as pd

    ds = pd.date_range("2025-01-01", periods=y.shape[1], freq="MS")
    hist = pd.DataFrame(
        [(u, d, v) for u, row in zip(ids, y) for d, v in zip(ds, row) if np.isfinite(v)],
        columns=["unique_id", "ds", "y"],
    )
    n = len(ids)
    mean = np.where(np.arange(n)[:, None] < 10, 100.0, 40.0) * np.ones((1, accounts.HORIZON))
    method = np.array(["btyd"] * n)
    one_time = np.char.startswith(ids.astype(str), "X")
    from types import SimpleNamespace

    note = accounts._silent_note(hist, SimpleNamespace(ids=ids, method=method, mean=mean, one_time=one_time))
    assert note.startswith("30 accounts have ordered in one month only and not in the last 6 months")
    assert "are the modified BG/NBD expected value (the backtest had no similar accounts)" in note
    one_time[-5:] = False
    note = accounts._silent_note(hist, SimpleNamespace(ids=ids, method=method, mean=mean, one_time=one_time))
    assert "what similar accounts bought on average, or for 25 of them the modified BG/NBD expected value" in note


def _one_time_portfolio():
    """12 months to 2026-06-30: 40 steady buyers (orders in most weeks) and 40 customers who ordered once,
    in August 2025, and never again."""
    import pandas as pd

    from kamtools.data.portfolio import Portfolio

    as_of = pd.Timestamp("2026-06-30")
    rng = np.random.default_rng(5)
    rows = []
    for i in range(40):
        for day in pd.date_range("2025-07-01", as_of, freq="7D"):
            if rng.random() < 0.6:
                rows.append((f"S{i:02d}", day, round(200 * (1 + 0.3 * rng.random()), 2)))
    for i in range(40):
        rows.append((f"X{i:02d}", pd.Timestamp("2025-08-12") + pd.Timedelta(days=i % 10), 150.0))
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    orders.insert(0, "order_id", [f"O{i:06d}" for i in range(len(orders))])
    orders.insert(1, "line", 1)
    orders["product_id"] = "P1"
    orders["quantity"] = 1.0
    orders["cost"] = orders["net_revenue"] * 0.6
    ids = sorted(orders["account_id"].unique())
    first = orders.groupby("account_id")["order_date"].min()
    accounts_t = pd.DataFrame({"account_id": ids, "name": ids, "customer_since": first.loc[ids].to_numpy()})
    accounts_t["industry"] = "Feed"
    products = pd.DataFrame(
        {"product_id": ["P1"], "name": ["Premix"], "category": ["Premixes"], "list_price": [1.0], "unit_cost": [0.6]}
    )
    return Portfolio({"accounts": accounts_t, "products": products, "orders": orders}, as_of)


@pytest.mark.slow
def test_the_bundle_names_the_modified_bg_nbd_for_silent_one_time_buyers(monkeypatch):
    # this history's MBG/NBD fit has a and b both near zero (half the accounts drop out at once, half never),
    # which kamtools.value.choice.fit_status calls "no_dropout": taken as usable here to test that path (the
    # unusable one: tests/test_reaudit17_fixes.py)
    real = accounts.btyd_fit

    def usable(orders, as_of, ids, horizon, family="bg_nbd"):
        fit = real(orders, as_of, ids, horizon, family)
        if fit is not None:
            fit.status = "identified"
        return fit

    monkeypatch.setattr(accounts, "btyd_fit", usable)
    tables = accounts.bundle_tables(_one_time_portfolio(), {})
    summary = tables["forecast_summary"].set_index("account_id")
    once = summary.loc[[f"X{i:02d}" for i in range(40)]]
    assert (once["forecast_method"] == "BTYD expected value").all()
    assert (
        once["forecast_method_reason"]
        .str.startswith("Ordered in one month only, none in the last 10 months: based on how often and how much")
        .all()
    )
    assert (once["forecast_next_12m"] > 0).all()  # not forecast zero: some such customers come back
    steady = summary.loc[[f"S{i:02d}" for i in range(40)]]
    assert not steady["forecast_method_reason"].str.contains("one month only").any()
