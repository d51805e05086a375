"""What a KAM preparing a quarterly review reads on the overview and in the plan (CDNOW top 300, helper READ).

Each test builds the few bundle tables a face reads and asserts the sentence or table the reader sees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.data.portfolio import NotAvailable


class _Bundle:
    """A bundle holding only the given tables (every other one is not available)."""

    manifest: dict = {}
    as_of = pd.Timestamp("1997-12-31")

    def __init__(self, **tables: pd.DataFrame):
        self._tables = tables
        self.accounts = pd.DataFrame({"account_id": ["A", "B", "C", "D"], "name": ["Alpha", "Beta", "Gamma", "Delta"]})

    def table(self, name):
        return self._tables.get(name, NotAvailable(f"{name} is not in this test"))

    def has(self, name):
        return name in self._tables


def _lapsed_churn() -> pd.DataFrame:
    """One active account and three lapsed ones: B bought most in the last 12 months but the value model
    expects almost nothing of it, D the reverse."""
    return pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D"],
            "churn_probability": [0.5, np.nan, np.nan, np.nan],
            "risk_band": ["high", "lapsed", "lapsed", "lapsed"],
            "revenue_at_risk": [500.0, np.nan, np.nan, np.nan],
            "expected_value_12m": [1000.0, 10.0, 120.0, 245.0],
            "method": ["m", "lapsed: x", "lapsed: x", "lapsed: x"],
        }
    )


def test_the_win_back_list_is_led_by_the_lapsed_account_that_bought_most_as_the_plans_win_back_call(captured):
    from kamtools.sections import churn as section

    kpis = pd.DataFrame({"account_id": ["A", "B", "C", "D"], "revenue_ltm": [2000.0, 6552.7, 1134.0, 300.0]})
    section.portfolio_section(_Bundle(churn=_lapsed_churn(), kpis=kpis))
    html = "".join(captured)
    table = html[html.index("win-back candidates") :]
    assert "Revenue, last 12 months" in table and "Value model&#x27;s expected revenue, 12 months" in table
    # Beta (6.6k in the last 12 months, the plan's first win-back call) first, though the value model expects 10
    assert table.index("Beta") < table.index("Gamma") < table.index("Delta")
    assert "6.6k" in table
    assert "the value at stake of the plans&#x27; win-back actions" in table


def test_the_win_back_list_shows_the_forecast_the_account_pages_use_not_the_value_models_figure(captured):
    """Demo of 2026-10-31: A0164, silent 14 months with churn 88%, read 21.1k from the value model on the
    overview's win-back list while its page, its plan and the portfolio total forecast nothing for it."""
    from kamtools.sections import churn as section

    kpis = pd.DataFrame({"account_id": ["A", "B", "C", "D"], "revenue_ltm": [2000.0, 6552.7, 1134.0, 300.0]})
    summary = pd.DataFrame({"account_id": ["A", "B", "C", "D"], "forecast_next_12m": [900.0, 0.0, 0.0, 1607.0]})
    churn = _lapsed_churn().assign(expected_value_12m=[1000.0, 21144.4, 120.0, 245.0])
    section.portfolio_section(_Bundle(churn=churn, kpis=kpis, forecast_summary=summary))
    html = "".join(captured)
    table = html[html.index("win-back candidates") :]
    assert "Forecast, next 12 months" in table
    assert "Value model" not in table and "21.1k" not in table
    assert "1.6k" in table and "1,607" not in table  # money, as beside it
    assert table.index("Beta") < table.index("Gamma") < table.index("Delta")
    # the page says what each forecast rests on; the list does not claim they come without a win-back (Online
    # Retail's C15749: its page said its forecast came only if it was won back)
    assert "the page says what it rests on" in table and "without a win-back" not in table


def test_without_the_kpis_table_the_win_back_list_keeps_the_value_models_order(captured):
    from kamtools.sections import churn as section

    section.portfolio_section(_Bundle(churn=_lapsed_churn()))
    html = "".join(captured)
    table = html[html.index("win-back candidates") :]
    assert table.index("Delta") < table.index("Gamma") < table.index("Beta")
    assert "Revenue, last 12 months" not in table


def _kpis() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "name": ["Alpha", "Beta"],
            "owner": ["CDNOW", "CDNOW"],
            "revenue_ltm": [10_417.05, 6_552.7],
            "revenue_ytd": [10_417.05, 6_552.7],
        }
    )


def test_twelve_months_of_history_no_health_overview_shows_no_change_and_no_all_clear_on_red_health(captured):
    """12 months of history: no health score and no same months of last year. The overview says so and
    neither claims a change on 1996 nor that no account is in the red health band."""
    from kamtools.sections import kpis as section

    tot = pd.DataFrame([{"revenue_ytd": 16_969.75, "growth_ytd_pct": np.nan, "margin_pct": 1.0}])
    health = NotAvailable("Health is not available: it needs more than 24 months of order history.")
    section.portfolio_section(_Bundle(kpis_portfolio=tot, kpis=_kpis(), health=health))
    html = "".join(captured)
    assert "Revenue booked 1 Jan-31 Dec 1997, all accounts" in html
    assert "change on the same months of 1996" not in html
    assert "Health is not available" in html
    assert "red health band" not in html and "Accounts most at risk" not in html


def test_with_health_scores_the_overview_still_lists_red_accounts_and_names_the_change(captured):
    from kamtools.sections import kpis as section

    tot = pd.DataFrame([{"revenue_ytd": 16_969.75, "growth_ytd_pct": 0.12, "margin_pct": 0.3}])
    kpis = _kpis().assign(health_band=["red", "green"], health_score=[24.3, 80.0], top_weakness=["recency", ""])
    health = pd.DataFrame(
        {"account_id": ["A", "B"], "health_score": [24.3, 80.0], "health_band": ["red", "green"], "health_basis": "x"}
    )
    section.portfolio_section(_Bundle(kpis_portfolio=tot, kpis=kpis, health=health))
    html = "".join(captured)
    assert "all accounts (change on the same months of 1996)" in html and "(+12%)" in html
    assert "Accounts most at risk (red health, largest revenue first)" in html and "Alpha" in html


def _twelve_month_bundle(tmp_path, no_cost: bool = False):
    """The first 12 months of a small demo portfolio, with only the accounts, orders and products tables
    (what a new ERP export gives): no prior year, no contacts, invoices, complaints nor bids; with
    ``no_cost`` every order line's cost is 0 (an order log without costs, as CDNOW's)."""
    from kamtools.bundle import analyze
    from kamtools.data.portfolio import Portfolio
    from kamtools.datasets import make_portfolio

    p, _ = make_portfolio(n_accounts=12, years=2, seed=3)
    orders = p.tables["orders"]
    as_of = orders["order_date"].min() + pd.DateOffset(months=12) - pd.Timedelta(days=1)
    tables = {k: p.tables[k] for k in ("accounts", "orders", "products")}
    tables["orders"] = orders[orders["order_date"] <= as_of]
    if no_cost:
        tables["orders"] = tables["orders"].assign(cost=0.0)
    out = tmp_path / "bundle"
    analyze(Portfolio(tables, as_of), out, progress=False)
    return out


def _slides(path) -> dict[str, str]:
    from pptx import Presentation

    shown = {}
    for slide in Presentation(str(path)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [" | ".join(c.text for c in row.cells) for row in shape.table.rows]
        title = slide.shapes.title.text if slide.shapes.title is not None else ""
        shown[title] = "\n".join(parts)
    return shown


def test_decks_on_twelve_months_of_orders_show_no_empty_brackets_and_say_what_is_missing(tmp_path):
    pytest.importorskip("pptx")
    from kamtools.bundle import Bundle
    from kamtools.deck.files import write_decks

    bundle = _twelve_month_bundle(tmp_path)
    account = str(Bundle.open(bundle).accounts.sort_values("revenue_ltm").iloc[-1]["account_id"])
    summary = write_decks(bundle, tmp_path / "decks", accounts=[account], progress=False, portfolio=True)
    [deck] = [p for p in (tmp_path / "decks").rglob("*.pptx") if p.resolve() != summary.portfolio]
    mine, portfolio = _slides(deck), _slides(summary.portfolio)
    every = "\n".join([*mine.values(), *portfolio.values()])
    assert "()" not in every and "| /" not in every  # no figure with an empty change or an empty pair
    glance = portfolio["The portfolio at a glance"]
    assert "Revenue, last 12 months |" in glance and "Open bids" not in glance and "Overdue receivables" not in glance
    moved = portfolio["Accounts that moved (last 12 months against the 12 before)"]
    assert "No account is compared with the 12 months before: the order history does not reach back" in moved
    service = mine["Service, receivables and relationships"]
    assert "No complaints or invoices table was supplied." in service
    assert "No contacts or opportunities table was supplied." in service
    assert "Single-threaded" not in service  # not known without contacts, so not 'no'


# ---- the plan of an account that stopped ordering, with a churn probability and no drivers --------------------

_FALLBACK = "the value model's probability of no order in the next 6 months (checked on the history)"


def _plans(kpis_rows: list[dict], churn_rows: list[dict]):
    from kamtools import plan as P

    base = {"name": "Customer", "owner": "CDNOW", "revenue_prior_ltm": np.nan}
    kpis = pd.DataFrame([{**base, **r} for r in kpis_rows])
    churn = pd.DataFrame([{"method": _FALLBACK, **r} for r in churn_rows])
    return P.plans({"kpis": kpis, "churn": churn}, pd.Timestamp("1997-12-31"))


def test_an_account_silent_for_148_days_with_a_92_percent_churn_risk_gets_one_call_not_two():
    """CDNOW C22279: 4.1k in 1997, no order for 148 days, churn 92% from the value model (no drivers). The
    plan called the same buyer twice (check demand, then confirm the next order) and the deck added both
    values at stake (5.8k); one call now, and the churn risk is still listed."""
    built = _plans(
        [{"account_id": "C22279", "revenue_ltm": 4_143.83, "days_since_last_order": 148.0, "orders_ltm": 12.0}],
        [{"account_id": "C22279", "churn_probability": 0.921, "risk_band": "high", "revenue_at_risk": 1_656.7}],
    )
    assert built.actions["action"].tolist() == [
        "Call the buyer to check demand and whether volume is moving to a competitor"
    ]
    assert built.actions["value_at_stake"].sum() == pytest.approx(4_143.83)
    # a recent buyer with the same churn figure still gets the call for its next order
    recent = _plans(
        [{"account_id": "R", "revenue_ltm": 4_143.83, "days_since_last_order": 40.0, "orders_ltm": 12.0}],
        [{"account_id": "R", "churn_probability": 0.921, "risk_band": "high", "revenue_at_risk": 1_656.7}],
    )
    assert recent.actions["rule_id"].tolist() == ["churn_risk_unexplained"]
    assert "Churn drivers listed" not in " ".join(recent.actions["facts"].astype(str))


def test_evidence_leaves_out_the_facts_that_only_rule_out_a_sibling_rule():
    """The risk table's evidence read 'a single purchase, no buying habit to win back: no' beside a 56-order
    account (CDNOW C19339) and 'Churn drivers listed ...: 0' beside a churn risk: facts that only say which
    other rule did not apply. A one-time buyer still shows its flag, as the reason for its low-cost win-back."""
    built = _plans(
        [
            {"account_id": "C19339", "revenue_ltm": 6_552.7, "days_since_last_order": 264.0, "orders_ltm": 56.0},
            {"account_id": "ONCE", "revenue_ltm": 2_200.0, "days_since_last_order": 291.0, "orders_ltm": 1.0},
        ],
        [
            {"account_id": "C19339", "churn_probability": np.nan, "risk_band": "lapsed", "revenue_at_risk": np.nan},
            {"account_id": "ONCE", "churn_probability": np.nan, "risk_band": "lapsed", "revenue_at_risk": np.nan},
        ],
    )
    ev = built.risks.set_index("account_id")["evidence"]
    assert "Churn risk band: lapsed" in ev["C19339"] and "Revenue in the last 12 months: 6.6k" in ev["C19339"]
    assert "single purchase" not in ev["C19339"]
    assert "a single purchase, no buying habit to win back: yes" in ev["ONCE"]


# ---- an order log without costs: every margin is 100% ------------------------------------------------------


def test_a_margin_of_100_percent_says_no_cost_is_booked_wherever_it_is_shown():
    """CDNOW has no costs: the summary read 'Margin, last 12 months: 100%', the talking point 'at a 100.0% gross
    margin', the value section '5.3k margin at its margin of 100%', beside the plan's 'Gross margin: not set
    until the costs are booked'."""
    from kamtools import formatting
    from kamtools.sections.kpis import kpi_cards
    from kamtools.sections.summary import summary_cards
    from kamtools.sections.value import _outlook

    assert formatting.margin_pct(1.0) == "100% (no cost booked)"
    assert formatting.margin_pct(0.234) == "23%" and formatting.margin_pct(float("nan")) == ""
    cards = {label: text for label, text, _ in summary_cards({"revenue_ltm": 10_417.05, "margin_pct_ltm": 1.0})}
    assert cards["Margin, last 12 months"] == "100% (no cost booked)"
    kpi = {label: text for label, text, _ in kpi_cards({"revenue_ltm": 10_417.05, "margin_pct": 1.0})}
    assert kpi["Gross margin %, last 12 months"] == "100% (no cost booked)"

    built = _plans(
        [{"account_id": "C07592", "revenue_ltm": 10_417.05, "revenue_ytd": 10_417.05, "margin_pct": 1.0}],
        [{"account_id": "C07592", "churn_probability": 0.16, "risk_band": "medium", "revenue_at_risk": 115.0}],
    )
    points = " ".join(built.talking_points["text"].astype(str))
    assert "Revenue so far in 1997: 10.4k" in points and "gross margin" not in points
    costed = _plans(
        [{"account_id": "X", "revenue_ltm": 10_000.0, "revenue_ytd": 10_000.0, "margin_pct": 0.25}],
        [{"account_id": "X", "churn_probability": 0.16, "risk_band": "medium", "revenue_at_risk": 115.0}],
    )
    assert "at a 25.0% gross margin" in " ".join(costed.talking_points["text"].astype(str))

    class _Acct:
        info: dict = {}

        def table(self, name):
            return pd.DataFrame()

    row = pd.Series({"expected_purchases_12m": 23.2, "expected_avg_value": 240.0, "expected_value_12m": 5_324.0})
    text = _outlook(_Acct(), pd.concat([row, pd.Series({"margin_pct": 1.0})]), 5_324.0)
    assert "no margin, as no cost is booked on its orders" in text and "margin of 100%" not in text
    text = _outlook(_Acct(), pd.concat([row, pd.Series({"margin_pct": 0.3})]), 1_597.0)
    assert "1.6k margin at its margin of 30%" in text


def test_the_planner_on_an_order_log_without_costs_nor_invoices_says_what_it_assumed(tmp_path):
    """The planner's first screen on CDNOW read 'Revenue at risk (churn model)' where no churn model was trained,
    'Days sales outstanding today: 30' beside 'No receivables data: payment days assumed to be 30', and a gross
    margin of 100% with nothing saying it is no margin."""
    pytest.importorskip("ipywidgets")
    from kamtools.bundle import Bundle
    from kamtools.widgets import ScenarioPlanner

    bundle = Bundle.open(_twelve_month_bundle(tmp_path, no_cost=True))
    notes = ScenarioPlanner(bundle, debounce=0, chart=False).notes.value
    assert "(churn model)" not in notes and "Revenue at risk (as in the reports&#x27; churn section)" in notes
    assert "Days sales outstanding today" not in notes
    assert "No receivables data: payment days assumed to be 30." in notes
    assert "No cost is booked on these orders, so the gross margin equals revenue (100%)" in notes


def test_the_value_overview_on_an_order_log_without_costs_shows_no_expected_margin(tmp_path, captured):
    """The overview's value section showed 'Value model's expected margin 163.2k', the same as the revenue,
    and an 'Expected margin 12m' column equal to the revenue column, for an order log without costs."""
    from kamtools.bundle import Bundle
    from kamtools.sections import value as section

    bundle = Bundle.open(_twelve_month_bundle(tmp_path, no_cost=True))
    if isinstance(bundle.table("value"), NotAvailable):
        pytest.skip("no value model on this small portfolio")
    section.portfolio_section(bundle)
    html = "".join(captured)
    assert "Value model&#x27;s expected margin, next 12 months" in html or "expected margin, next 12 months" in html
    assert "no cost booked" in html and "Expected margin 12m" not in html


def _value_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D"],
            "p_alive": [0.99, 0.97, 0.2, 0.9],
            "expected_value_12m": [9000.0, 4000.0, 500.0, 3380.0],
            "expected_margin_12m": [1800.0, 800.0, 100.0, 676.0],
            "margin_pct": [0.2, 0.2, 0.2, 0.2],
            "value_share": [0.53, 0.24, 0.03, 0.2],
            "monetary": [500.0, 300.0, 100.0, 200.0],
            "frequency": [20, 10, 3, 8],
            "T": [100.0, 100.0, 100.0, 100.0],
            "recency": [99.0, 90.0, 20.0, 95.0],
            "last_purchase": pd.to_datetime(["1997-12-20", "1997-10-01", "1997-03-01", "1997-11-30"]),
        }
    )


def test_the_value_cards_say_the_forecast_is_the_revenue_to_plan_with_and_how_far_the_value_model_was_off(captured):
    """Demo of 2026-10-31: "Value model's expected revenue, next 12 months 16.88M" and, further down the same
    overview, "Portfolio forecast, next 12 months 21.08M", with nothing saying which a KAM plans with."""
    from kamtools.sections import value as section

    summary = pd.DataFrame({"account_id": ["A", "B", "C", "D"], "forecast_next_12m": [12000.0, 5000.0, 0.0, 4100.0]})
    methods = pd.DataFrame({"method": ["model", "btyd"], "bias_pct": [8.7, -15.3], "cases": [171, 179]})
    section.portfolio_section(_Bundle(value=_value_rows(), forecast_summary=summary, forecast_methods=methods))
    html = "".join(captured)
    assert "16.9k" in html and "21.1k" in html  # value total 16,880 beside the forecast's 21,100
    assert "it is not the revenue forecast. The revenue to plan with is the forecast, 21.1k" in html
    assert "In a test on past data (179 cases) the value model&#x27;s totals for accounts came to 15% less" in html


def test_without_a_forecast_the_value_cards_stand_alone(captured):
    from kamtools.sections import value as section

    section.portfolio_section(_Bundle(value=_value_rows()))
    assert "revenue to plan with" not in "".join(captured)


def test_a_value_model_without_drop_out_does_not_count_accounts_that_stopped(captured):
    """Demo cut at 19 months: the MBG/NBD fit found no drop-out, and the overview's card read "Accounts probably no
    longer buying 0" a few lines above "13 lapsed accounts" under the churn risk. The card now reads "not known"
    and one sentence says why."""
    from kamtools.sections import value as section

    model = pd.DataFrame(
        {
            "model": ["mbg_nbd", "mbg_nbd"],
            "parameter": ["chosen", "fit_status"],
            "estimate": [1.0, np.nan],
            "note": ["", "no_dropout"],
        }
    )
    section.portfolio_section(_Bundle(value=_value_rows(), value_model=model))
    html = "".join(captured)
    assert '>not known</div><div class="l">Accounts probably no longer buying' in html
    assert "found no account in this portfolio&#x27;s history that stopped buying" in html
    # with a drop-out found, the count stands
    captured.clear()
    model.loc[1, "note"] = "identified"
    section.portfolio_section(_Bundle(value=_value_rows(), value_model=model))
    html = "".join(captured)
    assert "not known" not in html and "stopped buying, so its P(alive)" not in html
