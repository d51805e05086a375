"""Lapsed accounts, credit notes, the short-history message and the fallback's check (issue 17).

* A lapsed account's churn probability is the share of accounts lapsed by the same rule on
  earlier dates of the history that placed no order in the horizon (not 100%); without such
  dates it is shown as lapsed with no percentage.
* Revenue at risk has one definition (probability x the 12-month forecast, the expected 12-month
  value where there is none, over every account with a probability): the overview's total is the index's.
* A credit note is not an order: it neither makes a lapsed account active nor an account not churned.
* The message on a short history is right about what was shortened and what is needed.
* The fallback is checked on the history, or named a score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _portfolio import monthly as _monthly
from _portfolio import one_product_portfolio

from kamtools.churn import ChurnDefinition, definition_from, fit_definition, label_accounts
from kamtools.churn.lapsed import lapsed_rate
from kamtools.churn.scoring import _active_mask, fallback_check
from kamtools.data.portfolio import Portfolio


def _portfolio(order_days: dict[str, list[str]], as_of: str, credits: dict[str, list[str]] | None = None) -> Portfolio:
    """Accounts with one 100.0 order on each date given (and a -30.0 credit note on each credit date)."""
    lines = [(a, d, 100.0, 1.0) for a, days in order_days.items() for d in days]
    lines += [(a, d, -30.0, -1.0) for a, days in (credits or {}).items() for d in days]
    return one_product_portfolio(lines, as_of)


def _leavers_portfolio() -> Portfolio:
    """Two years: 30 steady buyers, 40 accounts that stop after March 2023 (8 of them order again
    in May 2024) and 10 that stop after March 2024: all 50 are lapsed on the analysis date."""
    days: dict[str, list[str]] = {f"S{i:02d}": _monthly("2023-01-01", "2024-12-31") for i in range(30)}
    for i in range(40):
        days[f"L{i:02d}"] = _monthly("2023-01-01", "2023-03-31") + (["2024-05-10"] if i < 8 else [])
    for i in range(10):
        days[f"N{i:02d}"] = _monthly("2023-01-01", "2024-03-31")
    return _portfolio(days, "2024-12-31")


def _brute_force(p: Portfolio, lookback: int, horizon: int) -> tuple[int, int]:
    """(lapsed account-dates, of which stayed away) counted the slow way, date by date."""
    o = p.orders
    n = away = 0
    k = 0
    while True:
        t = p.as_of - pd.DateOffset(months=horizon + k)
        k += 1
        if t < o["order_date"].min() + pd.DateOffset(months=lookback):
            return n, away
        for _, g in o.groupby("account_id"):
            before = g[g["order_date"] <= t]
            if before.empty or before["order_date"].max() > t - pd.DateOffset(months=lookback):
                continue
            n += 1
            after = g[(g["order_date"] > t) & (g["order_date"] <= t + pd.DateOffset(months=horizon))]
            away += after.empty


def test_a_lapsed_account_gets_the_rate_at_which_lapsed_accounts_stayed_away_not_100_percent():
    p = _leavers_portfolio()
    active, ever = _active_mask(p, ChurnDefinition())
    ids = p.accounts["account_id"].astype(str).to_numpy()
    assert set(ids[~active & ever]) == {f"N{i:02d}" for i in range(10)} | {f"L{i:02d}" for i in range(40)}
    rate = lapsed_rate(p, 6, 6, ~active & ever)
    n, away = _brute_force(p, 6, 6)
    assert (rate.n, rate.stayed_away) == (n, away) and n > 100
    shown = rate.probability[~active & ever]
    assert np.isfinite(shown).all() and (shown < 1).all() and (shown > 0.5).all()
    assert np.isnan(rate.probability[active]).all()
    assert f"({away:,} of {n:,}, {away / n:.0%}), read by how long the account has been silent" in rate.sentence
    # 8 of the 2023 leavers came back in May 2024: the share fell across the dates and is not carried below them
    assert np.allclose(shown, away / n)
    assert rate.sentence.endswith("(the share did not rise across the dates, so no drift is carried to today)")


def test_a_seasonal_buyer_between_orders_reads_lower_than_a_monthly_buyer_that_stopped():
    """Lapsed by the same 6-month rule, but the history shows who comes back: the seasonal buyer
    (an order every 7 months) always did, the monthly buyers that went silent never did."""
    days: dict[str, list[str]] = {f"S{i:02d}": _monthly("2022-01-01", "2024-11-30") for i in range(20)}
    seasonal = [str((pd.Timestamp("2022-01-15") + pd.DateOffset(months=7 * k)).date()) for k in range(5)]
    days |= {f"Q{i:02d}": seasonal for i in range(30)}  # last order 2024-05-15: silent 6.5 months on 2024-11-30
    for i in range(30):  # monthly buyers that stopped, one after another
        stop = pd.Timestamp("2022-06-01") + pd.DateOffset(months=i % 20)
        days[f"M{i:02d}"] = _monthly("2022-01-01", str(stop.date()))
    p = _portfolio(days, "2024-11-30")
    active, ever = _active_mask(p, ChurnDefinition())
    rate = lapsed_rate(p, 6, 6, ~active & ever)
    ids = p.accounts["account_id"].astype(str).to_numpy()
    seasonal_p = rate.probability[np.char.startswith(ids.astype(str), "Q")]
    stopped_p = rate.probability[np.char.startswith(ids.astype(str), "M")]
    assert np.isfinite(seasonal_p).all() and np.isfinite(stopped_p).all()
    assert seasonal_p.max() < 0.4 and stopped_p.min() > 0.8, (seasonal_p.max(), stopped_p.min())


def test_the_churn_table_and_the_account_page_show_the_lapsed_probability_and_its_revenue_at_risk(captured):
    from kamtools.churn.scoring import score
    from kamtools.sections import churn as section

    table = score(_leavers_portfolio())
    lapsed = table[table["risk_band"] == "lapsed"]
    assert len(lapsed) == 50 and lapsed["churn_probability"].between(0.5, 0.99).all()
    assert np.allclose(lapsed["revenue_at_risk"], lapsed["churn_probability"] * lapsed["expected_value_12m"])
    method = lapsed["method"].iloc[0]
    assert method.startswith("lapsed: no orders in the last 6 months; the probability of no order in the next 6")
    assert "earlier dates of the history" in method
    section.account_section(_Account(lapsed.iloc[[0]]))
    html = "".join(captured)
    assert f"{lapsed['churn_probability'].iloc[0]:.0%}" in html and "100%" not in html
    assert "Revenue at risk = probability x the value model&#x27;s expected 12-month value" in html  # no forecast given


def test_without_earlier_lapsed_accounts_the_page_says_lapsed_and_shows_no_percentage(captured):
    from kamtools.churn.scoring import score
    from kamtools.sections import churn as section

    days = {f"S{i:02d}": _monthly("2024-01-01", "2024-12-31") for i in range(30)}
    days |= {f"L{i:02d}": _monthly("2024-01-01", "2024-03-31") for i in range(10)}
    table = score(_portfolio(days, "2024-12-31"))
    lapsed = table[table["risk_band"] == "lapsed"]
    assert len(lapsed) == 10 and lapsed["churn_probability"].isna().all() and lapsed["revenue_at_risk"].isna().all()
    assert lapsed["method"].iloc[0] == (
        "lapsed: no orders in the last 6 months; the history holds no account that had lapsed on an earlier date "
        "whose next 6 months have passed (it needs 20), so no probability of staying away is given"
    )
    section.account_section(_Account(lapsed.iloc[[0]]))
    html = "".join(captured)
    assert "not estimated" in html and "%" not in html.split("Risk band")[0].split("Churn probability")[1]
    assert "so no probability of staying away is given" in html


def test_revenue_at_risk_is_one_total_over_every_account_as_on_the_index(captured):
    from kamtools.sections import churn as section

    churn = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D"],
            "churn_probability": [0.5, 0.2, 0.8, np.nan],
            "risk_band": ["high", "medium", "lapsed", "lapsed"],
            "revenue_at_risk": [500.0, 100.0, 40.0, np.nan],
            "expected_value_12m": [1000.0, 500.0, 50.0, 30.0],
            "method": ["m", "m", "lapsed: x", "lapsed: y"],
        }
    )
    text = section.revenue_at_risk_sentence(churn)
    assert text.startswith(
        "Revenue at risk is the churn probability x the value model's expected 12-month value, added up over"
    )  # a table without risk_base (no forecast): the value model's figure
    assert "(the same total as the index): 600 on active accounts and 40 on lapsed ones." in text
    assert text.endswith(
        "1 lapsed account has no probability (the history cannot yet show how often lapsed accounts come back), "
        "so it adds nothing."
    )
    alone = section.revenue_at_risk_sentence(churn[churn["account_id"] != "C"])
    assert "600 on active accounts. 1 lapsed account has no probability" in alone  # no "0 on lapsed ones"
    section.portfolio_section(_Bundle(churn))
    html = "".join(captured)
    assert "Revenue at risk" in html and "640" in html and "(active accounts)" not in html
    # where the active accounts' figures are scores (CDNOW's random 300 at 1997-09), a lapsed one has no score
    scored = churn.assign(method=["a churn score, not a probability: x"] * 2 + ["lapsed: x", "lapsed: y"])
    assert section.revenue_at_risk_sentence(scored).endswith(
        "1 lapsed account has no score (the history cannot yet show how often lapsed accounts come back), so it "
        "adds nothing."
    )


def test_a_credit_note_does_not_make_a_lapsed_account_active_nor_count_as_an_order_after_a_snapshot():
    days = {"A": ["2024-01-15", "2024-02-21"], "B": _monthly("2024-01-01", "2024-12-31")}
    p = _portfolio(days, "2024-12-31", credits={"A": ["2024-11-30"]})
    active, ever = _active_mask(p, ChurnDefinition())
    assert list(active) == [False, True] and list(ever) == [True, True]
    # a credit note in the horizon is not an order: A still churned after its February order
    q = _portfolio({"A": ["2024-01-15", "2024-02-21"]}, "2024-12-31", credits={"A": ["2024-05-01"]})
    labels = label_accounts(q, "2024-03-31", ChurnDefinition(kind="full"))
    assert labels.set_index("account_id")["churned"].to_dict() == {"A": True}


def test_the_short_history_message_is_right_about_what_was_shortened_and_what_is_needed():
    days = {f"S{i:02d}": _monthly("2024-01-01", "2024-12-31") for i in range(30)}
    twelve = _portfolio(days, "2024-12-31")
    fit = fit_definition(twelve, definition_from("inactive=3,drop=40,window=3"))
    assert fit.trainable and fit.min_history_months == 6
    assert fit.note.startswith(
        "With 12 months of order history (since 2024-01-15) the history before each snapshot was shortened to 6 "
        "months to fit (as asked they need about 18 months): "
    )
    mid = _portfolio(days, "2024-12-20")  # December is not complete: one more month is needed
    short = fit_definition(mid, definition_from("inactive=3,drop=40,window=3"))
    assert not short.trainable
    assert short.note == (
        "The churn model needs about 19 months of order history under this definition (13 with the history before "
        "each snapshot shortened to 6 months); this portfolio has 12 months of order history (since 2024-01-15)."
    )


def test_the_fallback_says_whether_it_was_checked_on_the_history():
    one_month = _portfolio({f"S{i:02d}": ["2024-12-03"] for i in range(40)}, "2024-12-31")
    check = fallback_check(one_month, ChurnDefinition())
    assert not check.ok and check.sentence.startswith("which could not be checked against the history")
    days = {f"S{i:02d}": _monthly("2024-01-01", "2024-12-31") for i in range(30)}
    days |= {f"L{i:02d}": _monthly("2024-01-01", "2024-04-30") for i in range(20)}
    check = fallback_check(_portfolio(days, "2024-12-31"), ChurnDefinition())
    if np.isnan(check.predicted):
        pytest.skip("value model unavailable")
    assert "fitted on the orders up to 2024-06-30 it gave the 50 accounts active then a mean of" in check.sentence
    assert "placed no order in the next 6 months" in check.sentence
    assert check.observed == pytest.approx(20 / 50)
    assert check.ok == (abs(check.predicted - check.observed) <= 0.10)
    assert check.sentence.startswith("checked on the history" if check.ok else "which missed by more than 10")


def test_a_fallback_that_passes_its_check_says_the_check_is_in_the_large(monkeypatch):
    """A check of the mean over all accounts says so: kinds of accounts can miss by more (bench_fallback_groups)."""
    from kamtools.churn import scoring

    days = {f"S{i:02d}": _monthly("2024-01-01", "2024-12-31") for i in range(30)}
    days |= {f"L{i:02d}": _monthly("2024-01-01", "2024-04-30") for i in range(20)}
    portfolio = _portfolio(days, "2024-12-31")
    ids = portfolio.accounts["account_id"].astype(str)
    # a value model that gave every account the share that then placed no order (20 of 50)
    monkeypatch.setattr(scoring, "no_order_probability", lambda *a, **k: pd.Series(0.4, index=ids.to_numpy()))
    check = fallback_check(portfolio, ChurnDefinition())
    assert check.ok and check.predicted == pytest.approx(0.4) and check.observed == pytest.approx(0.4)
    assert check.sentence.startswith("checked on the history: fitted on the orders up to 2024-06-30")
    assert check.sentence.endswith("which checks them all together, not each kind of account")


def test_an_unchecked_fallback_is_shown_as_a_score_in_one_sentence(captured):
    from kamtools.churn.scoring import score
    from kamtools.sections import churn as section

    days = {f"S{i:02d}": ["2024-12-03", "2024-12-17"] if i % 2 else ["2024-12-10"] for i in range(40)}
    table = score(_portfolio(days, "2024-12-31"))
    active = table[table["risk_band"].isin(["high", "medium", "low"])]
    assert len(active) == 40
    method = active["method"].iloc[0]
    assert method.startswith(
        "a churn score, not a probability: the value model's chance of no order in the next 6 months, which could "
        "not be checked against the history (that needs 9 months of orders and 30 active accounts"
    )
    section.account_section(_Account(active.iloc[[0]]))
    html = "".join(captured)
    assert "Churn score (not a probability)" in html and "churn score (a ranking, not a probability)" in html


class _Bundle:
    accounts = pd.DataFrame({"account_id": ["A", "B", "C", "D"], "name": ["a", "b", "c", "d"]})
    manifest: dict = {}

    def __init__(self, churn: pd.DataFrame):
        self._churn = churn

    def table(self, name):
        from kamtools.data.portfolio import NotAvailable

        return self._churn if name == "churn" else NotAvailable("not in this test")


class _Account:
    def __init__(self, churn: pd.DataFrame):
        self.account_id = str(churn["account_id"].iloc[0])
        self._churn = churn.reset_index(drop=True)
        self.bundle = None

    def table(self, name):
        return self._churn if name == "churn" else pd.DataFrame()

    def portfolio_table(self, name):
        return self._churn if name == "churn" else pd.DataFrame()
