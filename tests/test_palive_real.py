"""P(alive) on real, short order histories: what the value section and the overview card say.

The audit (issue 17) ran kamtools on 300 CDNOW customers cut at 6 months of history: mean
P(alive) 18.1% where 32.7% bought again within 12 months, "264 Accounts probably no longer
buying", and C00014 "puts the chance that it is still an active buyer at 5%: treat it as a
win-back case". With an inner holdout of 8 weeks nothing in the history can vouch for P(alive),
so the reports now show it as an activity score. On the demo (4 years, a 52-week holdout that
passes) nothing changes.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kamtools.data.loader import load_portfolio
from kamtools.data.portfolio import NotAvailable
from kamtools.sections import value as section
from kamtools.value import check_p_alive, fit_value, rfm_summary
from kamtools.value.btyd import ModifiedBetaGeo
from kamtools.value.calibration import CHECK_STATUSES

AS_OF = pd.Timestamp("1997-06-30")


class _Shown:
    """What a section showed: card (label, value) pairs, paragraphs, headings, table column labels."""

    def __init__(self) -> None:
        self.cards: list[tuple[str, str]] = []
        self.paragraphs: list[str] = []
        self.headings: list[str] = []
        self.columns: list[str] = []
        self.tables: list[tuple[pd.DataFrame, dict, list]] = []  # (frame, column labels, share columns)

    def kpi_cards(self, cards):
        self.cards += [(c[0], c[1]) for c in cards]

    def paragraph(self, text):
        self.paragraphs.append(text)

    def heading(self, text, level=2):
        self.headings.append(text)

    def table(self, df, columns=None, **kw):
        self.columns += list((columns or {}).values())
        self.tables.append((df, dict(columns or {}), list(kw.get("pct", ()))))

    def figure(self, fig, alt=""):
        pass

    def bullets(self, items):
        self.paragraphs += list(items)

    def not_available(self, reason):
        self.paragraphs.append(str(reason))

    @property
    def text(self) -> str:
        return " ".join(self.paragraphs)


class _Bundle:
    def __init__(self, tables):
        self.tables = tables

    def table(self, name):
        return self.tables.get(name, NotAvailable(f"no {name}"))

    def has(self, name):
        return name in self.tables


def _render(monkeypatch, tables: dict, account: str) -> tuple[_Shown, _Shown]:
    """The portfolio section and one account's section, as shown."""
    monkeypatch.setattr(section, "value_distribution_chart", lambda *a, **k: None)
    monkeypatch.setattr(section, "value_position_chart", lambda *a, **k: None)
    bundle = _Bundle(tables)
    overview = _Shown()
    monkeypatch.setattr(section, "display", overview)
    section.portfolio_section(bundle)
    acct = SimpleNamespace(
        bundle=bundle,
        account_id=account,
        info={},
        table=lambda n: tables[n][tables[n]["account_id"] == account] if n == "value" else bundle.table(n),
        portfolio_table=bundle.table,
    )
    page = _Shown()
    monkeypatch.setattr(section, "display", page)
    section.account_section(acct)
    return overview, page


def _cdnow_master() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the CDNOW master log ships with the 'lifetimes' package (test extra), which is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"


@pytest.fixture(scope="module")
def cdnow_300(tmp_path_factory):
    """The audit's portfolio: 300 random CDNOW customers (seed 17), orders to 1997-06-30; and the full log."""
    raw = pd.read_csv(_cdnow_master(), sep=r"\s+", header=0, names=["customer", "date", "qty", "amount"], dtype=str)
    log = pd.DataFrame(
        {
            "customer": "C" + raw["customer"].str.zfill(5),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "qty": pd.to_numeric(raw["qty"]),
            "amount": pd.to_numeric(raw["amount"]),
        }
    )
    ids = sorted(np.random.default_rng(17).choice(sorted(log["customer"].unique()), 300, replace=False))
    log = log[log["customer"].isin(ids)]
    cut = log[log["date"] <= AS_OF].sort_values(["customer", "date"]).reset_index(drop=True)
    folder = tmp_path_factory.mktemp("cdnow300")
    pd.DataFrame({"account_id": ids, "name": ["Customer " + i[1:] for i in ids]}).assign(
        industry="Consumer", region="US", country="US", channel="Online", owner="CDNOW"
    ).to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        {"product_id": ["CD"], "name": ["Compact disc"], "category": ["CDs"], "list_price": [0.0], "unit_cost": [0.0]}
    ).to_csv(folder / "products.csv", index=False)
    pd.DataFrame(
        {
            "order_id": [f"O{i:06d}" for i in range(len(cut))],
            "account_id": cut["customer"],
            "product_id": "CD",
            "order_date": cut["date"].dt.strftime("%Y-%m-%d"),
            "quantity": cut["qty"],
            "net_revenue": cut["amount"],
        }
    ).to_csv(folder / "orders.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        portfolio = load_portfolio(folder, as_of=AS_OF)  # the audit: --as-of 1997-06-30
        tables = fit_value(portfolio)
    return tables, log, portfolio


def test_short_real_history_shows_an_activity_score_not_a_probability(cdnow_300, monkeypatch):
    tables, log, _ = cdnow_300
    value = tables["value"]
    # why: the model's P(alive) runs far below the share that bought again (a floor under the share alive)
    later = log[(log["date"] > AS_OF) & (log["date"] <= AS_OF + pd.DateOffset(months=12))]
    bought = value["account_id"].isin(set(later["customer"])).mean()
    assert value["p_alive"].mean() == pytest.approx(0.181, abs=0.005)
    assert bought == pytest.approx(0.327, abs=0.001)
    model = tables["value_model"]
    status = model[(model["model"] == "p_alive_check") & (model["parameter"] == "check_status")]
    assert CHECK_STATUSES[int(status["estimate"].iloc[0])] == "score"

    overview, page = _render(monkeypatch, {"value": value, "value_model": model}, "C00014")
    labels = [label for label, _ in overview.cards]
    assert "Accounts probably no longer buying" not in labels
    assert labels == [
        "Value model's expected revenue, next 12 months",
        "Value model's expected margin, next 12 months",
        "Accounts scored",
    ]
    assert "Probably stopped buying (P(alive) below 50%)" not in overview.headings
    assert "Activity score (0-100, not a probability)" in overview.columns
    assert "Alive probability" not in overview.columns
    assert overview.paragraphs[0].startswith(
        "P(alive) is shown as an activity score, not a probability: on the last 9 weeks held out, 12% of the "
        "accounts bought again where the model expected 14% (mean P(alive) at their start 24%), but a holdout under 26 weeks "
        "misses the accounts that come back after a long silence"
    )
    assert "So no count of accounts that have stopped buying is given" in overview.paragraphs[0]

    assert ("Activity score (0-100, not a probability)", "5") in page.cards
    assert "P(alive): still buying" not in [label for label, _ in page.cards]
    assert (
        "It has bought in one week only. The value model gives it an activity score of 5 out of 100 (higher: more "
        "likely to buy again soon), useful to rank accounts but not a probability to act on alone. P(alive) is shown as "
        "an activity score, not a probability" in page.text
    )
    assert "win-back" not in page.text and "chance that it is still an active buyer" not in page.text
    # the account's appendix does not repeat the sentence its verdict quotes
    appendix = _Shown()
    monkeypatch.setattr(section, "display", appendix)
    section.account_appendix(SimpleNamespace(portfolio_table=_Bundle({"value_model": model}).table))
    assert appendix.paragraphs and not [p for p in appendix.paragraphs if "activity score" in p]


def test_the_demo_keeps_its_probability_and_its_lapsed_count(monkeypatch):
    from kamtools.datasets import make_portfolio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        portfolio = make_portfolio(n_accounts=40, years=4, seed=7, groups=0)[0]
        tables = fit_value(portfolio)
    value, model = tables["value"], tables["value_model"]
    status = model[(model["model"] == "p_alive_check") & (model["parameter"] == "check_status")]
    assert CHECK_STATUSES[int(status["estimate"].iloc[0])] == "ok"
    # the check held out 52 weeks: 95% bought again, the model expected 97%, mean P(alive) 99%
    rows = model[model["model"] == "p_alive_check"].set_index("parameter")["estimate"]
    assert rows["check_weeks"] >= 52 and rows["check_bought_again"] == pytest.approx(0.95)
    assert (rows["check_recalibration_c0"], rows["check_recalibration_c1"]) == (0.0, 1.0)  # P(alive) unchanged
    lapsed = int((value["p_alive"] < 0.5).sum())
    regular = value.sort_values("frequency").iloc[-1]["account_id"]
    overview, page = _render(monkeypatch, {"value": value, "value_model": model}, regular)
    assert ("Accounts probably no longer buying", f"{lapsed}") in overview.cards
    assert "Alive probability" in overview.columns
    assert not [p for p in overview.paragraphs if "activity score" in p]
    assert page.cards[0][0] == "P(alive): still buying"
    assert "Its buying rhythm is intact (P(alive) 100%)." in page.text


def test_the_check_recalibrates_a_p_alive_that_understates_on_a_long_holdout():
    """Simulated: accounts buy every few weeks for years and a third stop at a random date; the model
    given to the check believes they drop out after almost every purchase."""
    rng = np.random.default_rng(3)
    rows = []
    start, end = pd.Timestamp("2022-01-03"), pd.Timestamp("2025-12-31")
    for k in range(120):
        day = start + pd.Timedelta(days=int(rng.integers(0, 60)))
        stop = start + pd.Timedelta(days=int(rng.integers(200, 1460))) if k % 3 == 0 else end
        while day <= stop:
            rows.append((f"A{k:03d}", day, 100.0))
            day += pd.Timedelta(days=int(rng.integers(20, 120)))
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    wrong = ModifiedBetaGeo()
    wrong.params_ = {"r": 2.0, "alpha": 20.0, "a": 3.0, "b": 0.5}
    check = check_p_alive(wrong, orders, end, 52)
    assert check.weeks >= 52 and check.understates
    assert check.bought_again - check.mean_p_buy > 0.10  # the model expected far fewer to buy again
    assert check.status == "recalibrated"
    assert abs(check.calibrated_p_buy - check.bought_again) <= 0.10
    assert check.calibrated_p_alive >= check.bought_again - 0.10
    s = rfm_summary(orders, as_of=end, freq="W")
    raw = wrong.p_alive(s["frequency"], s["recency"], s["T"])
    shown = check.apply(raw)
    assert shown.mean() > raw.mean()
    assert np.all(np.diff(shown[np.argsort(raw)]) >= -1e-12)  # the ranking is kept
    assert check.sentence == (
        "The value model understated who buys again: on the last 53 weeks held out, 73% of the accounts bought again "
        "where the model expected 55% (mean P(alive) at their start 56%); P(alive) is recalibrated on those weeks (now 74% expected)."
    )


# ---- every other place that shows P(alive) follows the check's status ------------------------------------------


@pytest.fixture(scope="module")
def demo_value():
    from kamtools.datasets import make_portfolio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        portfolio = make_portfolio(n_accounts=40, years=4, seed=7, groups=0)[0]
        return portfolio, fit_value(portfolio)


def _segments(portfolio, tables) -> pd.DataFrame:
    from kamtools import segment

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = segment.bundle_tables(portfolio, {k: tables[k] for k in ("value", "value_model") if k in tables})
    return out["segments"].set_index("account_id")


def test_the_tier_reason_calls_a_low_score_a_score_not_a_stopped_account(cdnow_300):
    tables, _, portfolio = cdnow_300
    reason = _segments(portfolio, tables).loc["C00014", "tier_reason"]
    assert reason.endswith(
        " Note: among the lowest 20% of accounts by activity score (5 out of 100, where the other accounts score "
        "higher: a ranking, not a probability)."
    )
    assert "stopped buying" not in reason and "P(alive)" not in reason
    # a score is a ranking: the note goes to the lowest fifth, whatever the score's level
    noted = _segments(portfolio, tables)["tier_reason"].str.contains("lowest 20% of accounts by activity score").mean()
    assert 0.05 < noted <= 0.2
    # no behavioural cluster is called lapsing from the score (a bundle without the check would call one so)
    names = set(_segments(portfolio, tables)["cluster_name"])
    unchecked = set(_segments(portfolio, {"value": tables["value"]})["cluster_name"])
    assert not [n for n in names if "lapsing" in n] and [n for n in unchecked if "lapsing" in n]


def test_the_demo_tier_reason_keeps_its_probability(demo_value):
    portfolio, tables = demo_value
    reason = _segments(portfolio, tables).loc["A0005", "tier_reason"]
    assert reason.endswith(" Note: it has probably stopped buying (P(alive) 0%).")


def _labels(fig) -> list[str]:
    return [t for ax in fig.axes for t in (ax.get_xlabel(), ax.get_ylabel(), ax.get_title())]


def test_the_value_charts_label_the_score_axis(cdnow_300, demo_value):
    from matplotlib import pyplot as plt

    from kamtools.plotting.value import value_distribution_chart, value_position_chart

    value = cdnow_300[0]["value"]
    dist = value_distribution_chart(value, shown_as="score")
    pos = value_position_chart(value, highlight="C00014", shown_as="score")
    assert dist.axes[1].get_xlabel() == "Activity score (0-100)"
    assert pos.axes[0].get_ylabel() == "Activity score (0-100)"
    assert not [t for f in (dist, pos) for t in _labels(f) if "P(alive)" in t or "probability of" in t]
    assert not [t for t in dist.axes[1].texts if "below 50%" in t.get_text()]  # no count of stopped accounts
    assert pos.axes[0].get_ylim()[1] == pytest.approx(105.0)
    highlighted = pos.axes[0].collections[1].get_offsets()[0][1]
    assert highlighted == pytest.approx(value.set_index("account_id").loc["C00014", "p_alive"] * 100)
    # probability mode (the demo): as before
    demo = demo_value[1]["value"]
    dist, pos = value_distribution_chart(demo), value_position_chart(demo, highlight="A0005")
    assert dist.axes[1].get_xlabel() == "P(alive): probability the account still buys"
    assert pos.axes[0].get_ylabel() == "P(alive)"
    assert [t.get_text() for t in dist.axes[1].texts] == [f"{int((demo['p_alive'] < 0.5).sum())} account(s) below 50%"]
    plt.close("all")


def _largest_values(overview: _Shown) -> tuple[pd.DataFrame, dict, list]:
    return next(t for t in overview.tables if "Share of value" in t[1].values())


def test_the_overview_table_shows_the_score_on_0_to_100(cdnow_300, demo_value, monkeypatch):
    tables = cdnow_300[0]
    overview, _ = _render(monkeypatch, {"value": tables["value"], "value_model": tables["value_model"]}, "C00014")
    frame, labels, shares = _largest_values(overview)
    assert labels["p_alive"] == "Activity score (0-100, not a probability)"
    assert "p_alive" not in shares and "value_share" in shares
    raw = tables["value"].set_index("account_id")["p_alive"]
    assert [int(v) for v in frame["p_alive"]] == [round(raw[a] * 100) for a in frame["account_id"]]
    from kamtools import display

    html = display.table(frame, columns=labels, pct=shares)
    first = frame.iloc[0]
    score_cell = f'<td class="num">{int(first["p_alive"])}</td><td class="num">{first["value_share"]:.0%}</td>'
    assert score_cell in html  # the score as a number out of 100 beside the share of value in percent
    # the demo: a probability, as a percent
    demo = demo_value[1]
    overview, _ = _render(monkeypatch, {"value": demo["value"], "value_model": demo["value_model"]}, "A0005")
    frame, labels, shares = _largest_values(overview)
    assert labels["p_alive"] == "Alive probability" and "p_alive" in shares
    assert frame["p_alive"].between(0, 1).all()
