"""The activity score ranks who buys again across one-time and repeat buyers (issue 17, N7).

The audit: 1,000 CDNOW customers at 1997-12-31, where P(alive) is shown as an activity score.
Among the accounts silent for 6 months, one-time buyers (MBG/NBD) averaged 0.38, of whom 8.7%
bought in the next 26 weeks, repeat buyers (BG/NBD) 0.33, of whom 25.6% did: within them the
score ranked backwards (area under the ROC curve 0.47). The chance of buying within the held-out
weeks ranks both kinds on one footing; the value stage takes it as the score when the held-out
weeks say it ranks better, and says so.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from _display import value_section_text
from sklearn.metrics import roc_auc_score

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.value import fit_value
from kamtools.value.activity import ActivityScore, activity_rows, choose_activity_score
from kamtools.value.calibration import PAliveCheck
from kamtools.value.from_bundle import btyd_from_table
from kamtools.value.reading import SCORE_LABEL

AS_OF = pd.Timestamp("1997-12-31")


@pytest.fixture(scope="module")
def cdnow_600():
    """600 random CDNOW customers (seed 5) at 12 months of history, their value tables, and who bought in the
    next 26 weeks."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the CDNOW master log ships with the 'lifetimes' package (test extra), which is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"
    raw = pd.read_csv(path, sep=r"\s+", header=0, names=["customer", "date", "qty", "amount"], dtype=str)
    log = pd.DataFrame(
        {
            "account_id": "C" + raw["customer"].str.zfill(5),
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "quantity": pd.to_numeric(raw["qty"]),
            "net_revenue": pd.to_numeric(raw["amount"]),
        }
    )
    ids = sorted(np.random.default_rng(5).choice(sorted(log["account_id"].unique()), 600, replace=False))
    log = log[log["account_id"].isin(ids)].reset_index(drop=True)
    past = log[log["order_date"] <= AS_OF].reset_index(drop=True)
    orders = past.assign(
        order_id=[f"O{i:06d}" for i in range(len(past))], line=1, product_id="CD", cost=past["net_revenue"] * 0.6
    )
    tables = {
        "accounts": pd.DataFrame({"account_id": ids, "name": ids}),
        "products": pd.DataFrame({"product_id": ["CD"], "category": ["CDs"]}),
        "orders": orders,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fit_value(Portfolio(tables=tables, as_of=AS_OF))
    later = log[(log["order_date"] > AS_OF) & (log["order_date"] <= AS_OF + pd.Timedelta(weeks=26))]
    return out, set(later["account_id"])


def _row(model: pd.DataFrame, name: str, parameter: str) -> pd.Series:
    return model[(model["model"] == name) & (model["parameter"] == parameter)].iloc[0]


def test_the_activity_score_ranks_silent_one_time_and_repeat_buyers_the_right_way(cdnow_600):
    out, bought_later = cdnow_600
    value, model = out["value"], out["value_model"]
    uses = _row(model, "activity_score", "uses_p_buy")
    assert uses["estimate"] == 1
    weeks = int(_row(model, "activity_score", "weeks")["estimate"])
    auc_alive = _row(model, "activity_score", "auc_p_alive")["estimate"]
    auc_buy = _row(model, "activity_score", "auc_p_buy")["estimate"]
    assert auc_buy >= auc_alive + 0.01  # the evidence: the weeks held out inside the history
    assert uses["note"].startswith(
        f"The activity score is the value model's chance that the account buys within the next {weeks} weeks, "
        f"not P(alive): on the last {weeks} weeks held out it ranked who bought again better (area under the ROC "
        f"curve {auc_buy:.2f} against {auc_alive:.2f})"
    )

    # out of time: who bought in the next 26 weeks
    bought = value["account_id"].isin(bought_later)
    silent = (value["T"] - value["recency"]) >= 26
    once = value["frequency"] == 0
    alive = btyd_from_table(model).p_alive(value["frequency"], value["recency"], value["T"])  # the old score
    assert roc_auc_score(bought, value["p_alive"]) > roc_auc_score(bought, alive)
    assert roc_auc_score(bought[silent], value["p_alive"][silent]) > roc_auc_score(bought[silent], alive[silent]) + 0.05
    # among the silent ones, repeat buyers buy again more often, and now score higher than one-time buyers
    assert bought[silent & ~once].mean() > 2 * bought[silent & once].mean()
    assert value.loc[silent & once, "p_alive"].mean() < value.loc[silent & ~once, "p_alive"].mean()


def test_the_account_page_says_what_the_score_is(cdnow_600, monkeypatch):
    out, _ = cdnow_600
    value, model = out["value"], out["value_model"]
    row = value.sort_values("p_alive").iloc[len(value) // 2]
    tables = {"value": value, "value_model": model}
    bundle = SimpleNamespace(table=lambda n: tables.get(n, NotAvailable(f"no {n}")), has=lambda n: n in tables)
    acct = SimpleNamespace(
        bundle=bundle,
        account_id=row["account_id"],
        info={},
        table=lambda n: value[value["account_id"] == row["account_id"]] if n == "value" else bundle.table(n),
        portfolio_table=bundle.table,
    )
    shown = value_section_text(acct, monkeypatch)
    text = shown.text
    assert (SCORE_LABEL, f"{row['p_alive'] * 100:.0f}") in shown.cards
    assert f"activity score of {row['p_alive'] * 100:.0f} out of 100" in text
    assert "The activity score is the value model's chance that the account buys within the next" in text
    assert "P(alive) of" not in text


def test_a_probability_or_an_unchecked_p_alive_keeps_p_alive():
    ok = PAliveCheck(pd.Timestamp("2024-01-07"), 30.0, 100, 0.3, 0.5, 0.3, False, status="ok")
    unchecked = PAliveCheck(None, 10.0, 20, np.nan, np.nan, np.nan, False, status="unchecked")
    for check in (ok, unchecked):
        decision = choose_activity_score(None, check, pd.DataFrame(), AS_OF)
        assert decision == ActivityScore()
        assert activity_rows(decision) == []
        p = np.array([0.2, 0.9])
        assert decision.score(None, pd.DataFrame(), p) is p


class _Ranks:
    """A value model stand-in whose P(alive) and chance of buying rank the accounts as given (by account order)."""

    def __init__(self, alive, buy):
        self.alive, self.buy = np.asarray(alive, float), np.asarray(buy, float)

    def p_alive(self, x, tx, T):
        return self.alive

    def p_purchase(self, t, x, tx, T):
        return self.buy


def _held_out(n_bought: int, n_not: int) -> tuple[pd.DataFrame, PAliveCheck]:
    """Orders of ``n_bought + n_not`` accounts (two weeks each before the cut; the first ``n_bought`` buy again in
    the 18 weeks after it) and a P(alive) check that found P(alive) no probability on those weeks."""
    cut = pd.Timestamp("2025-06-29")
    ids = [f"A{i:03d}" for i in range(n_bought + n_not)]
    rows = [(a, pd.Timestamp("2025-01-08") + pd.Timedelta(weeks=i % 7), 100.0) for i, a in enumerate(ids)]
    rows += [(a, pd.Timestamp("2025-03-05"), 50.0) for a in ids]
    rows += [(a, pd.Timestamp("2025-08-13"), 80.0) for a in ids[:n_bought]]
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    check = PAliveCheck(cut, 18.0, len(ids), n_bought / len(ids), 1.0, 0.9, True, status="score")
    return orders, check


def test_one_account_that_did_not_buy_again_decides_nothing():
    """The demo at 12 months: 35 accounts bought again in the 18 weeks held out and 1 did not, and the overview read
    'it ranked who bought again better (area under the ROC curve 0.97 against 0.04)', a ranking of one account."""
    orders, check = _held_out(35, 1)
    # P(alive) puts the one that did not buy on top, the chance of buying at the bottom: 0.00 against 1.00
    model = _Ranks(alive=np.r_[np.linspace(0.5, 0.9, 35), 0.99], buy=np.r_[np.linspace(0.5, 0.9, 35), 0.01])
    decision = choose_activity_score(model, check, orders, pd.Timestamp("2025-10-31"))
    assert (decision.n_bought, decision.n_not) == (35, 1)
    assert decision.uses_p_buy
    assert "area under the ROC curve" not in decision.sentence
    assert decision.sentence == (
        "The activity score is the value model's chance that the account buys within the next 18 weeks, not "
        "P(alive), because an account that bought rarely can be as likely to be still a customer as a frequent buyer "
        "yet much less likely to buy soon. The last 18 weeks held out cannot test which of the two ranks accounts "
        "better: 35 accounts bought again and 1 account did not, and a test needs at least 10 of each."
    )
    rows = {r["parameter"]: r["estimate"] for r in activity_rows(decision)}
    assert (rows["n_bought"], rows["n_not_bought"]) == (35.0, 1.0)

    # the other way round, one account is no evidence for P(alive) either: the chance of buying stays the score
    flipped = choose_activity_score(_Ranks(model.buy, model.alive), check, orders, pd.Timestamp("2025-10-31"))
    assert flipped.uses_p_buy and flipped.sentence == decision.sentence


def test_ten_of_each_let_the_held_out_weeks_decide():
    orders, check = _held_out(10, 10)
    better_alive = _Ranks(alive=np.r_[np.ones(10), np.zeros(10)], buy=np.r_[np.zeros(10), np.ones(10)])
    assert not choose_activity_score(better_alive, check, orders, pd.Timestamp("2025-10-31")).uses_p_buy
    better_buy = _Ranks(better_alive.buy, better_alive.alive)
    decision = choose_activity_score(better_buy, check, orders, pd.Timestamp("2025-10-31"))
    assert decision.uses_p_buy and "(area under the ROC curve 1.00 against 0.00)" in decision.sentence
