"""The value stage on one-time buyers under BG/NBD and on accounts whose credits exceed their sales (issue 17).

The audit: at 12 months of CDNOW history the holdout chose BG/NBD, which puts every one-time
buyer at P(alive) 100%: the activity score ranked customers silent for a year at 100/100
above every repeat buyer, the account page said "P(alive) 100%" under a card reading
"Activity score", and the value model's expected revenue (so churn's revenue at risk) of such
a customer exceeded the forecast, which values it by MBG/NBD. And a demo account credited 120%
of its sales got "17.6 purchase weeks of about -1.1k each: -18.3k revenue".
"""

from __future__ import annotations

import html
import importlib.util
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.sections import value as section
from kamtools.value import fit_value, p_no_order
from kamtools.value.from_bundle import btyd_from_table
from kamtools.value.reading import SCORE_LABEL, win_back_cases

AS_OF = pd.Timestamp("1997-12-31")


class _Shown:
    """What a section showed: card (label, value) pairs and paragraphs."""

    def __init__(self) -> None:
        self.cards: list[tuple[str, str]] = []
        self.paragraphs: list[str] = []

    def kpi_cards(self, cards):
        self.cards += [(c[0], c[1]) for c in cards]

    def paragraph(self, text):
        self.paragraphs.append(text)

    def bullets(self, items):
        self.paragraphs += list(items)

    def heading(self, *a, **k):
        pass

    def table(self, *a, **k):
        pass

    def figure(self, *a, **k):
        pass

    def not_available(self, reason):
        self.paragraphs.append(str(reason))

    @property
    def text(self) -> str:
        return " ".join(self.paragraphs)


def _account_page(monkeypatch, tables: dict, account: str) -> _Shown:
    """One account's value section (and its appendix part), as shown."""
    monkeypatch.setattr(section, "value_position_chart", lambda *a, **k: None)
    bundle = SimpleNamespace(table=lambda n: tables.get(n, NotAvailable(f"no {n}")), has=lambda n: n in tables)

    def own(name):
        t = tables.get(name, NotAvailable(f"no {name}"))
        return t[t["account_id"] == account] if isinstance(t, pd.DataFrame) and "account_id" in t else t

    acct = SimpleNamespace(bundle=bundle, account_id=account, info={}, table=own, portfolio_table=bundle.table)
    page = _Shown()
    monkeypatch.setattr(section, "display", page)
    section.account_section(acct)
    section.account_appendix(acct)
    return page


@pytest.fixture(scope="module")
def cdnow_500():
    """500 random CDNOW customers (seed 17) at 12 months of history (the holdout chooses BG/NBD), the
    portfolio, its value tables and the whole log (who bought in the next 26 weeks)."""
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
    ids = sorted(np.random.default_rng(17).choice(sorted(log["account_id"].unique()), 500, replace=False))
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
    portfolio = Portfolio(tables=tables, as_of=AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fit_value(portfolio)
    later = log[(log["order_date"] > AS_OF) & (log["order_date"] <= AS_OF + pd.Timedelta(weeks=26))]
    return portfolio, out, set(later["account_id"])


def _row(model: pd.DataFrame, name: str, parameter: str) -> pd.Series:
    return model[(model["model"] == name) & (model["parameter"] == parameter)].iloc[0]


def test_one_time_buyers_are_scored_by_mbg_nbd_on_the_evidence_of_the_holdout(cdnow_500):
    _, out, bought_later = cdnow_500
    value, model = out["value"], out["value_model"]
    assert _row(model, "bg_nbd", "chosen")["estimate"] == 1  # the holdout still chooses BG/NBD
    uses = _row(model, "one_time_buyers", "uses_mbg_nbd")
    assert uses["estimate"] == 1
    auc_chosen = _row(model, "one_time_buyers", "auc_chosen")["estimate"]
    auc_mix = _row(model, "one_time_buyers", "auc_mix")["estimate"]
    assert auc_mix > auc_chosen + 0.2  # the evidence: held-out weeks inside the history
    assert uses["note"].startswith("BG/NBD lets an account stop only after a repeat purchase, so it would count each")
    assert "Their P(alive) and expected purchases come from MBG/NBD instead" in uses["note"]
    assert f"area under the ROC curve {auc_mix:.2f} against {auc_chosen:.2f} with BG/NBD alone" in uses["note"]

    # out of time: the score now ranks who bought in the next 26 weeks (BG/NBD alone ranked them backwards)
    one = value["frequency"] == 0
    bought = value["account_id"].isin(bought_later)
    assert 0 < one.sum() < len(value)
    bg = btyd_from_table(model).repeat  # BG/NBD alone: every one-time buyer at 100%
    alone = bg.p_alive(value["frequency"], value["recency"], value["T"])
    assert roc_auc_score(bought, alone) < 0.5 < 0.6 < roc_auc_score(bought, value["p_alive"])
    silent_year = one & (value["T"] - value["recency"] >= 48)
    assert silent_year.sum() > 20
    # no one-time buyer silent for most of a year ranks at the top, nor above the typical repeat buyer
    assert value.loc[silent_year, "p_alive"].max() < 0.99
    assert value.loc[silent_year, "p_alive"].mean() < value.loc[~one, "p_alive"].median()
    assert value.loc[silent_year, "account_id"].isin(bought_later).mean() < 0.1  # and few of them bought


def test_the_value_of_a_silent_one_time_buyer_stays_under_the_forecast_for_it(cdnow_500):
    """Churn's revenue at risk is probability x the value model's expected revenue: it may not exceed the
    forecast, which gives a silent one-time buyer the modified BG/NBD expected value (undiscounted)."""
    from kamtools.forecast.selection import btyd_fit

    portfolio, out, _ = cdnow_500
    value = out["value"]
    silent = value[(value["frequency"] == 0) & (value["T"] - value["recency"] >= 26)]
    ids = np.sort(silent["account_id"].to_numpy())
    fit = btyd_fit(portfolio.orders, AS_OF, ids, 12, "mbg_nbd")
    forecast = pd.Series(fit.paths.sum(axis=1), index=ids)
    ev = silent.set_index("account_id")["expected_value_12m"].reindex(ids)
    assert (ev <= forecast + 1e-9).all()
    assert (ev >= 0.85 * forecast).all()  # the same model, discounted at 10% a year


def test_the_churn_fallback_reads_the_same_mix(cdnow_500):
    from kamtools.value import ModifiedBetaGeo

    _, out, _ = cdnow_500
    value, model = out["value"], out["value_model"]
    none = p_no_order(value, model, 6)
    mbg = btyd_from_table(model).one_time
    assert isinstance(mbg, ModifiedBetaGeo)
    once = value[value["frequency"] == 0]
    weeks = 6 * (365.25 / 12) / 7.0
    expected = 1 - mbg.p_purchase(weeks, once["frequency"], once["recency"], once["T"])
    assert none.reindex(once["account_id"]).to_numpy() == pytest.approx(expected)


def test_the_account_page_shows_a_score_and_never_p_alive_100(cdnow_500, monkeypatch):
    _, out, _ = cdnow_500
    value, model = out["value"], out["value_model"]
    silent = value[(value["frequency"] == 0)].sort_values("T", ascending=False).iloc[0]
    page = _account_page(monkeypatch, {"value": value, "value_model": model}, silent["account_id"])
    shown = dict(page.cards)
    if SCORE_LABEL in shown:
        assert int(shown[SCORE_LABEL]) == round(silent["p_alive"] * 100) < 100
        assert "P(alive) 100%" not in page.text and "P(alive) of" not in page.text
        assert f"activity score of {silent['p_alive'] * 100:.0f} out of 100" in page.text
    else:
        assert shown["P(alive): still buying"] == f"{silent['p_alive']:.0%}"
        assert (
            "For accounts that bought in one week only the value model uses its variant that allows an account to stop"
            in page.text
        )
    assert "Fit: " not in page.text  # the appendix says in words what the fit status means
    assert "cannot tell how the drop-out probability varies between accounts" in page.text
    assert "Their P(alive) and expected purchases come from MBG/NBD instead" in page.text


def _fake_model(status: str, shown: str, reason: str = "The value model is BG/NBD.") -> pd.DataFrame:
    rows = [
        {"model": "bg_nbd", "parameter": "chosen", "estimate": 1.0, "note": reason},
        {"model": "mbg_nbd", "parameter": "chosen", "estimate": 0.0, "note": ""},
        {"model": "bg_nbd", "parameter": "fit_status", "estimate": 1.0, "note": status},
        {
            "model": "p_alive_check",
            "parameter": "check_status",
            "estimate": 2.0 if shown == "score" else 0.0,
            "note": "P(alive) is shown as an activity score, not a probability: too short." if shown == "score" else "",
        },
    ]
    return pd.DataFrame(rows).assign(std_error=np.nan)


def _one_account(**kw) -> pd.DataFrame:
    row = {
        "account_id": "A1",
        "frequency": 0,
        "recency": 0.0,
        "T": 52.0,
        "monetary": 0.0,
        "p_alive": 1.0,
        "expected_purchases_12m": 0.4,
        "expected_avg_value": 40.0,
        "expected_value_12m": 15.0,
        "margin_pct": 0.2,
        "expected_margin_12m": 3.0,
        "value_share": 0.01,
    }
    return pd.DataFrame([row | kw])


@pytest.mark.parametrize("status", ["identified", "no_dropout"])
def test_a_score_card_is_never_followed_by_a_p_alive_percentage(status, monkeypatch):
    """A BG/NBD one-time buyer (or a fit without drop-out) where P(alive) is a score: no 'P(alive) 100%'."""
    tables = {"value": _one_account(), "value_model": _fake_model(status, "score")}
    page = _account_page(monkeypatch, tables, "A1")
    assert (SCORE_LABEL, "100") in page.cards
    assert "P(alive) 100%" not in page.text and "P(alive) of 100%" not in page.text
    assert "100 out of 100" in page.text
    # shown as a probability, the same account keeps its P(alive) wording
    tables["value_model"] = _fake_model(status, "probability")
    page = _account_page(monkeypatch, tables, "A1")
    assert "P(alive) 100%" in page.text or "P(alive) of 100%" in page.text


def test_common_dropout_reads_as_a_sentence_in_the_appendix(monkeypatch):
    tables = {"value": _one_account(frequency=3, recency=40.0), "value_model": _fake_model("common_dropout", "score")}
    page = _account_page(monkeypatch, tables, "A1")
    assert "Fit: common_dropout" not in page.text and "common_dropout" not in page.text
    assert "it gives every account the same chance of stopping after a purchase week" in page.text


@pytest.fixture(scope="module")
def credited():
    """The demo (40 accounts, 2 years, seed 1) as of 2025-10-31 with a credit note of 120% of the sales of its
    most regular recent buyer on 2025-10-20 (the audit's case), the same portfolio without it, and its id."""
    from kamtools.datasets import make_portfolio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = make_portfolio(n_accounts=40, years=2, seed=1, groups=0)[0].truncate("2025-10-31")
    orders = base.orders
    recent = orders[orders["order_date"] > base.as_of - pd.Timedelta(days=90)]
    target = recent.groupby("account_id")["order_date"].nunique().sort_index().idxmax()  # a regular buyer
    mine = orders[orders["account_id"] == target]
    note = mine.iloc[[0]].assign(
        order_id="CN-1",
        order_date=pd.Timestamp("2025-10-20"),
        quantity=-1.0,
        net_revenue=-1.2 * float(mine["net_revenue"].sum()),
        cost=-1.0 * float(mine["cost"].sum()),
    )
    with_note = Portfolio(
        tables={**base.tables, "orders": pd.concat([orders, note], ignore_index=True)}, as_of=base.as_of
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_value(base)["value"], fit_value(with_note), with_note, target


def test_credits_above_sales_give_no_negative_value(credited, monkeypatch):
    before, out, _, target = credited
    value = out["value"]
    assert (value["expected_avg_value"] >= 0).all() and (value["expected_value_12m"] >= 0).all()
    row = value[value["account_id"] == target].iloc[0]
    assert row["expected_value_12m"] == 0 and row["expected_avg_value"] == 0
    assert row["monetary"] < 0  # the table's own history stays net of the credit
    # Gamma-Gamma learns from sales: every other account's value is what it was without the credit note
    others = value[value["account_id"] != target].set_index("account_id")["expected_value_12m"]
    was = before.set_index("account_id")["expected_value_12m"].reindex(others.index)
    assert others.to_numpy() == pytest.approx(was.to_numpy(), rel=1e-9)

    kpis = pd.DataFrame({"account_id": [target], "returns_rate": [1.2]})
    page = _account_page(monkeypatch, {"value": value, "value_model": out["value_model"], "kpis": kpis}, target)
    assert "-" not in [v[0] for _, v in page.cards if v]  # no negative figure on a card
    assert "of about 0 each: 0 revenue" in page.text
    assert (
        "Its returns and credit notes of the last 12 months (120% of its sales) exceed its sales, so the value "
        "model expects no net revenue from its purchases." in page.text
    )


def test_an_account_with_orders_netted_to_nothing_is_not_without_recent_orders(credited):
    from kamtools.segment.clusters import behavioural_clusters

    _, out, portfolio, target = credited
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assignments, _ = behavioural_clusters(portfolio, out["value"])
    name = assignments.set_index("account_id").loc[target, "cluster_name"]
    assert name != "no recent orders"


def test_win_back_reads_one_time_buyers_by_the_model_that_scored_them(cdnow_500):
    _, out, _ = cdnow_500
    value, model = out["value"], out["value_model"]
    flags = win_back_cases(value, model)
    # where P(alive) is a probability, a one-time buyer scored low by MBG/NBD may be a win-back case; as a
    # score (this history), none is
    shown = model[(model["model"] == "p_alive_check") & (model["parameter"] == "check_status")]["estimate"]
    if int(shown.iloc[0]) >= 2:
        assert not flags.any()
    else:
        assert flags[(value["frequency"] == 0) & (value["p_alive"] < 0.5)].all()


@pytest.mark.parametrize("status", ["identified", "common_dropout", "no_dropout"])
def test_the_overview_appendix_lists_no_raw_status_word(status, captured):
    class _Bundle:
        def table(self, name):
            return _fake_model(status, "score")

    section.portfolio_appendix(_Bundle())
    items = [html.unescape(li).strip() for m in captured for li in re.findall(r"<li[^>]*>(.*?)</li>", m, flags=re.S)]
    assert status not in items
    assert "P(alive) is shown as an activity score, not a probability: too short." in items
