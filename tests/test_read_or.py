"""Issue 17 (READOR): kamtools' pages read as a KAM would on the UCI Online Retail log (a UK giftware seller's
wholesale customers, 2010-12 to 2011-12), the top 100 by revenue at 2011-11-30 and every customer at 2011-06-30.

- Every behavioural cluster was named "new" ("large, new, frequent orders" for the largest wholesaler, a customer
  through the whole log): 12 months of history make every account's age since its first order under the 2 years
  that name "new", though an account whose first order is at the start of the log may be far older.
- C12415 (Australia): the churn card read "0.2%" and the sentence under it "The estimated probability for this
  account is 0%. 70 of the other 97 active accounts show the same."
- C15749 (lapsed, 52% credit notes): "in none of its 27 cases did accounts like this one bought less than 40%".
- C15098 (98% of its sales credited): "The forecast is 13296% higher".
- The overview's cluster table had an empty "Median growth rate" column; the portfolio deck an empty "Main driver"
  column; an account deck said "No competitive losses recorded." where no opportunities were supplied.
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
from _portfolio import monthly, one_product_portfolio


def _text(shown: list[str]) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(shown))))


def _year_of_orders(first_month: str = "2010-12-01", late: int = 0):
    """36 accounts buying monthly from the log's first month to 2011-11 (sizes and rhythms differ); the last
    ``late`` of them start in September 2011 instead. Each account is a customer since its first order, as the
    loader sets it when customer_since is not exported."""
    rng = np.random.default_rng(7)
    lines = []
    for i in range(36):
        start = "2011-09-01" if i >= 36 - late else first_month
        size = float(rng.choice([200.0, 2_000.0, 20_000.0]))
        every = int(rng.choice([1, 2, 3]))
        for k, day in enumerate(monthly(start, "2011-11-01", day=5)):
            if k % every == 0:
                lines.append((f"C{i:03d}", day, size * float(rng.uniform(0.8, 1.2)), 10.0))
    return lines


def test_a_cluster_is_not_named_new_when_the_history_is_too_short_to_tell():
    from kamtools.segment import behavioural_clusters

    p = one_product_portfolio(_year_of_orders(), "2011-11-30", customer_since="2010-12-01")
    _, profiles = behavioural_clusters(p)
    names = profiles["cluster_name"].tolist()
    assert names and not any("new" in n.split(", ") for n in names), names
    # a log of 12 months still shows accounts whose first order came months after it began
    late = one_product_portfolio(_year_of_orders(late=18), "2011-11-30", customer_since="2010-12-01")
    assign, _ = behavioural_clusters(late)
    latecomers = assign[assign["account_id"] >= "C018"]["cluster_name"]
    assert latecomers.str.split(", ").map(lambda w: "new" in w).any(), latecomers.tolist()


class _ChurnAccount:
    """One account of 98 active ones whose churn figure is the value model's checked probability."""

    bundle = None

    def __init__(self, prob: float):
        method = (
            "the value model's probability of no order in the next 6 months (checked on the history: fitted on "
            "the orders up to 2011-05-30 it gave the 98 accounts active then a mean of 2%, and 2% placed no order)"
        )
        probs = np.r_[[prob], np.full(70, 1e-5), np.linspace(0.001, 0.09, 27)]
        everyone = pd.DataFrame(
            {
                "account_id": [f"C{i:05d}" for i in range(len(probs))],
                "churn_probability": probs,
                "risk_band": "low",
                "revenue_at_risk": probs * 126_370.0,
                "expected_value_12m": 129_068.9,
                "risk_base": "forecast",
                "p_alive": 1.0,
                "method": method,
            }
        )
        self._tables = {
            "churn": everyone.head(1),
            "churn_features": pd.DataFrame(
                [{"account_id": "C00000", "days_since_last_order": 15.0, "usual_order_gap_days": 26.0}]
            ),
        }
        self._portfolio = {"churn": everyone, "churn_evaluation": pd.DataFrame(), "value_model": pd.DataFrame()}

    def table(self, name):
        return self._tables.get(name, pd.DataFrame())

    def portfolio_table(self, name):
        return self._portfolio.get(name, pd.DataFrame())


def test_the_churn_sentence_shows_the_probability_as_the_card_does(captured):
    from kamtools.sections.churn import account_section

    account_section(_ChurnAccount(0.002015))
    page = _text(captured)
    assert "0.2% Churn probability" in page
    assert "The estimated probability for this account is 0.2%." in page
    assert "is 0%." not in page and "show the same" not in page
    assert "That is higher than for 72% of the active accounts." in page
    captured.clear()
    account_section(_ChurnAccount(0.000009))  # C14646: the card's '<0.1%', shared by most accounts
    page = _text(captured)
    assert "The estimated probability for this account is <0.1%. 70 of the other 97 active accounts show the same." in (
        page
    )


def _summary(low: float, cases: int, below: int) -> pd.Series:
    return pd.Series(
        {
            "forecast_next_12m": 27_300.0,
            "forecast_next_12m_lo_80": low,
            "range_low_months": 6,
            "range_low_cases": cases,
            "range_low_below": below,
            "range_low_stopped": 0,
        }
    )


def test_the_low_end_sentence_says_did_accounts_buy_not_did_accounts_bought():
    from kamtools.sections.forecast import low_end_sentence

    text = low_end_sentence(_summary(11_000.0, 27, 0))
    assert (
        "in none of its 27 cases did accounts like this one buy less than 40% of their forecast over the 6 months"
        in (text)
    )
    assert "did accounts like this one bought" not in text
    assert "did accounts like this one buy nothing over" in low_end_sentence(_summary(0.0, 27, 0))
    # the sentence with cases below the low end is unchanged
    assert (
        "accounts like this one bought less than 40% of their forecast over the 6 months after a past date in "
        "1 of 27 cases"
    ) in low_end_sentence(_summary(11_000.0, 27, 1))


def test_a_forecast_many_times_the_expected_value_reads_as_times_not_a_huge_percent():
    from kamtools.sections.value import _why_they_differ

    text = _why_they_differ(2_813.0, 21.0)  # C15098 at 2011-06-30: 98% of its sales credited
    assert text.startswith("The forecast is 134 times as high: it follows the method and correction that came closest")
    assert "%" not in text.split(":")[0]
    assert _why_they_differ(367_100.0, 247_100.0).startswith("The forecast is 49% higher:")
    assert _why_they_differ(27_300.0, 39_700.0).startswith("The forecast is 31% lower:")


def test_the_lapsed_accounts_have_no_score_where_the_figure_is_a_score():
    from kamtools.sections.churn import revenue_at_risk_sentence

    # every customer at 2011-06-30: a churn score (7 months of history), 236 lapsed accounts
    method = "a churn score, not a probability: the value model's chance of no order in the next 6 months"
    churn = pd.DataFrame(
        {
            "account_id": ["C15749", "C12590", "C17850", "C12939"],
            "churn_probability": [0.36, 0.47, np.nan, np.nan],
            "risk_band": ["high", "high", "lapsed", "lapsed"],
            "revenue_at_risk": [12_300.0, 11_700.0, np.nan, np.nan],
            "risk_base": "forecast",
            "method": [method, method, "lapsed: no orders in the last 6 months"] * 1 + ["lapsed"],
        }
    )
    text = revenue_at_risk_sentence(churn)
    assert "the churn score x" in text
    assert "2 lapsed accounts have no score (the history cannot yet show" in text
    assert "no probability" not in text
    # a probability still reads as one
    prob = churn.assign(method="the value model's probability of no order in the next 6 months")
    assert "2 lapsed accounts have no probability" in revenue_at_risk_sentence(prob)


class _Bundle:
    """The few tables a face reads, and why the others are missing (as ``Bundle.reason`` gives it)."""

    manifest: dict = {"settings": {}}
    as_of = pd.Timestamp("2011-06-30")  # every bundle has its analysis date (the deck reads a new account's age)

    def __init__(self, tables: dict[str, pd.DataFrame], skipped: dict[str, str] | None = None):
        self._tables, self._skipped = tables, skipped or {}

    def has(self, name):
        return name in self._tables

    def table(self, name):
        from kamtools.data.portfolio import NotAvailable

        return self._tables[name] if name in self._tables else NotAvailable(self._skipped.get(name, "not run"))

    def reason(self, name):
        from kamtools.data.portfolio import NotAvailable

        return NotAvailable(self._skipped.get(name, "not run"))


def _table_cells(slide) -> list[list[str]]:
    return [
        [c.text for c in row.cells]
        for shape in slide.shapes
        if getattr(shape, "has_table", False) and shape.has_table
        for row in shape.table.rows
    ]


def test_the_portfolio_deck_has_no_empty_main_driver_column():
    from kamtools.deck.portfolio import _at_risk
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    ids = ["C12409", "C12433", "C14607"]
    method = "the value model's probability of no order in the next 6 months (checked on the history)"
    churn = pd.DataFrame({"account_id": ids, "churn_probability": [0.09, 0.08, 0.06], "method": method, "driver_1": ""})
    acc = pd.DataFrame(
        {
            "account_id": ids,
            "name": [f"Customer {i[1:]}" for i in ids],
            "churn_probability": [0.09, 0.08, 0.06],
            "risk_band": "low",
            "revenue_at_risk": [1_900.0, 1_300.0, 1_100.0],
        }
    )
    deck = Deck(default_template().read_bytes())
    _at_risk(deck, acc, _Bundle({"churn": churn}))
    rows = _table_cells(deck.prs.slides[-1])
    assert rows[0] == ["Account", "Churn", "Band", "At risk"]
    assert rows[1] == ["Customer 12409", "9%", "low", "1.9k"]
    # a trained model's drivers still get their column
    deck = Deck(default_template().read_bytes())
    _at_risk(deck, acc, _Bundle({"churn": churn.assign(driver_1=["No order for 45 days", "", ""])}))
    rows = _table_cells(deck.prs.slides[-1])
    assert rows[0][-1] == "Main driver" and rows[1][-1] == "No order for 45 days"


def test_an_account_deck_says_why_competitors_are_unknown_not_that_no_losses_were_recorded():
    from kamtools.deck.build import _internal_competitors
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    why = "Neither opportunities nor competitor_prices were supplied, so competitor threats cannot be assessed."
    bundle = _Bundle({}, {"competitor_threat": why})

    class Account:
        def __init__(self, bundle):
            self.bundle = bundle

        def table(self, name):
            return None

    deck = Deck(default_template().read_bytes())
    _internal_competitors(deck, Account(bundle))
    text = "\n".join(s.text_frame.text for s in deck.prs.slides[-1].shapes if s.has_text_frame)
    assert "Competitive threat: not scored" in text and why in text
    assert "No competitive losses recorded." not in text
    # a threat table without this account's row: nothing was lost to a competitor
    deck = Deck(default_template().read_bytes())
    _internal_competitors(deck, Account(_Bundle({"competitor_threat": pd.DataFrame()})))
    text = "\n".join(s.text_frame.text for s in deck.prs.slides[-1].shapes if s.has_text_frame)
    assert "No competitive losses recorded." in text


def test_the_overview_cluster_table_has_no_empty_growth_column(captured):
    from kamtools.sections.segment import _clusters

    profiles = pd.DataFrame(
        {
            "cluster": [0, 1],
            "cluster_name": ["large, frequent orders", "small, new, single category"],
            "n_accounts": [8, 15],
            "revenue_share": [0.26, 0.07],
            "median_revenue_ltm": [82_200.0, 10_700.0],
            "median_orders_per_month": [5.58, 1.25],
            "median_categories": [2.0, 1.0],
            "median_margin_pct": [1.0, 1.0],
            "median_growth": [np.nan, np.nan],  # 12 months of history: no growth is known
            "mean_revenue_level": [11.3, 9.3],
            "mean_order_frequency": [1.9, 0.8],
            "mean_category_breadth": [2.0, 1.0],
        }
    )
    _clusters(_Bundle({"segment_profiles": profiles}))
    page = _text(captured)
    assert "Median revenue 12m" in page and "large, frequent orders" in page
    assert "Median growth rate" not in page
    captured.clear()
    _clusters(_Bundle({"segment_profiles": profiles.assign(median_growth=[0.12, -0.05])}))
    assert "Median growth rate" in _text(captured)


class _DeckAccount:
    """One account as the internal deck reads it (``AccountRows``): its info row and its tables."""

    account_id = "C15098"

    def __init__(self, info: dict, tables: dict[str, pd.DataFrame]):
        self.info, self._tables = info, tables
        self.bundle = _Bundle({"forecast_backtest": pd.DataFrame(), **tables})

    def table(self, name):
        return self._tables.get(name)


def _deck_text(deck) -> str:
    slide = deck.prs.slides[-1]
    out = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
    return "\n".join(out + [c for row in _table_cells(slide) for c in row])


# C15098 at 2011-06-30: bought 39.6k of Giftware, 39.0k credited under Charges (manual credit notes): net 650
_C15098 = {
    "revenue_ltm": 650.0,
    "revenue_ytd": 650.0,
    "forecast_next_12m": 2_813.0,
    "forecast_next_12m_lo_80": 0.0,
    "forecast_next_12m_hi_80": 6_500.0,
    "forecast_growth_pct": np.nan,  # 7 months of history: no change against the last 12 months is known
    "forecast_method": "mean of last 6 months",
    "margin_ltm": 650.0,
    "margin_pct_ltm": 1.0,
    "tier": 3,
    "quadrant": "less attractive",
}


def test_the_deck_forecast_line_has_no_empty_change_in_brackets():
    from kamtools.deck.build import _internal_forecast
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    months = pd.date_range("2010-12-01", "2011-06-01", freq="MS")
    tables = {
        "forecast_history": pd.DataFrame({"ds": months, "y": [0, 0, 0, 0, 0, 0, 650.0]}),
        "forecast": pd.DataFrame(
            {
                "ds": pd.date_range("2011-07-01", periods=12, freq="MS"),
                "forecast": 234.0,
                "lo_80": 0.0,
                "hi_80": 540.0,
            }
        ),
    }
    deck = Deck(default_template().read_bytes())
    _internal_forecast(deck, _DeckAccount(_C15098, tables))
    text = _deck_text(deck)
    assert "Forecast for the next 12 months: 2.8k, based on the average of the last 6 months." in text
    assert "method: mean of last" not in text  # the analyst's name of the method (SWEEPREAL)
    assert "( on the last 12 months)" not in text
    deck = Deck(default_template().read_bytes())
    _internal_forecast(deck, _DeckAccount({**_C15098, "forecast_growth_pct": 27.0}, tables))
    assert "Forecast for the next 12 months: 2.8k (+27% on the last 12 months), based on" in _deck_text(deck)


def test_the_deck_glance_has_no_empty_top_risk_or_action_headings():
    from kamtools.deck.build import _internal_glance
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    # C12503: its only line is a credit note of 1,126; the plan finds no risk and no action
    plan = pd.DataFrame([{"account_id": "C12503", "top_risk": np.nan, "top_action": np.nan, "value_at_stake": 0.0}])
    deck = Deck(default_template().read_bytes())
    _internal_glance(deck, _DeckAccount({**_C15098, "revenue_ltm": -1_126.0}, {"plan_summary": plan}))
    text = _deck_text(deck)
    assert "Top risk" not in text and "Top action" not in text
    plan = plan.assign(top_risk="Churn score 41/100 with 1.1k revenue at risk", top_action="Call the buyer")
    deck = Deck(default_template().read_bytes())
    _internal_glance(deck, _DeckAccount(_C15098, {"plan_summary": plan}))
    text = _deck_text(deck)
    assert "Top risk\nChurn score 41/100 with 1.1k revenue at risk" in text and "Top action\nCall the buyer" in text


def test_the_deck_category_slide_names_the_categories_credit_notes_net_below_zero():
    from kamtools.deck.build import _internal_categories
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    lanes = pd.DataFrame(
        {
            "account_id": "C15098",
            "category": ["Giftware", "Charges"],
            "revenue_ltm": [39_619.5, -38_970.0],
            "revenue_prior": [0.0, 0.0],
            "revenue_change_pct": [np.nan, np.nan],
            "margin_pct_ltm": [1.0, np.nan],
            "status": ["no prior year", "no prior year"],
            "loss_making": [False, False],
        }
    )
    deck = Deck(default_template().read_bytes())
    _internal_categories(deck, _DeckAccount(_C15098, {"tradelanes": lanes}))
    text = _deck_text(deck)
    assert "39.6k" in text  # the table still shows what it bought of Giftware
    assert (
        "Not shown: categories whose credit notes exceed their sales in the last 12 months (Charges -39.0k); the "
        "account's net revenue is 650."
    ) in text
    deck = Deck(default_template().read_bytes())
    _internal_categories(deck, _DeckAccount(_C15098, {"tradelanes": lanes.head(1)}))
    assert "Not shown" not in _deck_text(deck)


class _ForecastAccount:
    """C15749 at 2011-11-30 as the forecast section reads it: lapsed (no order for 226 days), forecast 27.3k."""

    account_id = "C15749"
    info = {"name": "Customer 15749", "revenue_ltm": 21_535.9}
    as_of = pd.Timestamp("2011-11-30")

    def __init__(self, band: str = "lapsed"):
        self.bundle = _Bundle({"forecast_backtest": pd.DataFrame()})
        self.bundle.note = lambda name: None
        self._tables = {
            "forecast_summary": pd.DataFrame(
                [
                    {
                        "account_id": "C15749",
                        "forecast_next_12m": 27_300.0,
                        "forecast_next_12m_lo_80": 11_000.0,
                        "forecast_next_12m_hi_80": 96_100.0,
                        "forecast_growth_pct": 27.0,
                    }
                ]
            ),
            "churn": pd.DataFrame([{"account_id": "C15749", "risk_band": band, "churn_probability": np.nan}]),
            "churn_features": pd.DataFrame([{"account_id": "C15749", "days_since_last_order": 226.0}]),
        }

    def table(self, name):
        return self._tables.get(name)


def test_a_lapsed_account_s_forecast_rise_is_not_shown_as_good_news(captured):
    from kamtools.sections.forecast import _account_cards, lapsed_sentence

    acct = _ForecastAccount()
    srow = acct.table("forecast_summary").iloc[0]
    _account_cards(acct, srow, None)
    cards = " ".join(captured)
    assert re.search(r'<div class="kam-card"><div class="v">\+27%</div>', cards), cards
    assert lapsed_sentence(acct, srow) == (
        "The account has lapsed (no order for 226 days; the churn section and the plan treat it as a win-back case): "
        "this forecast follows its own months as if it goes on buying as it has, so it comes only if it is won back."
    )
    # a forecast from what silent accounts bought back already counts those that never came back: no "only if"
    weighed = srow.copy()
    weighed["forecast_method"] = "lapsed: what such accounts bought back"
    assert lapsed_sentence(acct, weighed) == (
        "The account has lapsed (no order for 226 days; the churn section and the plan treat it as a win-back case): "
        "this forecast already weighs the chance that it has stopped buying; a win-back is what would lift it."
    )
    captured.clear()
    active = _ForecastAccount("low")
    _account_cards(active, srow, None)
    assert re.search(r'<div class="kam-card good"><div class="v">\+27%</div>', " ".join(captured))
    assert lapsed_sentence(active, srow) is None
    zero = srow.copy()
    zero["forecast_next_12m"] = 0.0  # a lapsed account forecast at zero says nothing to win back here
    assert lapsed_sentence(acct, zero) is None


def test_the_decks_forecast_slide_of_a_lapsed_account_says_it_comes_only_with_a_win_back():
    from kamtools.deck.build import _internal_forecast
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    def slide_text(band: str) -> str:
        acct = _ForecastAccount(band)
        acct.bundle.as_of = acct.as_of
        acct.info = {**acct.info, **acct.table("forecast_summary").iloc[0].to_dict(), "forecast_method": "kamtools"}
        history = pd.DataFrame({"ds": pd.date_range("2010-12-01", periods=12, freq="MS"), "y": [21_535.9] + [0.0] * 11})
        acct._tables["forecast_history"] = history
        deck = Deck(default_template().read_bytes())
        _internal_forecast(deck, acct)
        return _deck_text(deck)

    # C15749's slide read only 'Forecast for the next 12 months: 21.4k (-0.5% on the last 12 months), based on the
    # kamtools model.' beside a chart of one month's order and ten silent months
    assert (
        "The account has lapsed (no order for 226 days; the risks slide and the plan treat it as a win-back case): "
        "this forecast follows its own months as if it goes on buying as it has, so it comes only if it is won back."
    ) in slide_text("lapsed")
    assert "lapsed" not in slide_text("low")


def test_the_deck_glance_says_when_the_last_12_months_are_a_shorter_history():
    from kamtools.deck.build import _internal_glance
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template
    from kamtools.sections import last_12_months_label

    def glance(months: int | None) -> str:
        account = _DeckAccount(_C15098, {})
        account.bundle.manifest = {"settings": {}, "history": {} if months is None else {"months": months}}
        deck = Deck(default_template().read_bytes())
        _internal_glance(deck, account)
        return _deck_text(deck)

    # C15098 at 2011-06-30 has 7 months of orders; the grocery panel's H0973 read 'Revenue, last 12 months 4.6k'
    # beside a 9.0k forecast, its 4.6k being 6 months
    assert "Revenue, last 12 months (all 7 months of order history)" in glance(7)
    for months in (12, 30, None):
        assert "order history" not in glance(months) and "Revenue, last 12 months" in glance(months)
    one = SimpleNamespace(manifest={"history": {"months": 1}})
    assert last_12_months_label(one) == "Revenue, last 12 months (the only month of order history)"


def test_the_deck_glance_writes_no_zero_for_a_plan_without_actions_or_nothing_to_recommend():
    from kamtools.deck.build import _internal_glance
    from kamtools.deck.slides import Deck
    from kamtools.deck.template import default_template

    # the grocery panel's H0973: 'Whitespace (expected value) 0' (one product category in the data) and 'Value at
    # stake in the plan 0' beside a plan slide saying no action applies
    plan = pd.DataFrame([{"account_id": "C15098", "top_risk": np.nan, "top_action": np.nan, "value_at_stake": 0.0}])
    tables = {
        "plan_summary": plan,
        "plan_actions": pd.DataFrame(columns=["account_id", "action", "value_at_stake", "value_basis"]),
        "whitespace_recommendations": pd.DataFrame(columns=["account_id", "category", "rank", "p_adopt"]),
    }
    deck = Deck(default_template().read_bytes())
    _internal_glance(deck, _DeckAccount({**_C15098, "whitespace_value": 0.0}, tables))
    text = _deck_text(deck)
    assert "Whitespace (expected value)\nnone: no category to recommend (see the whitespace slide)" in text
    assert "Value at stake" not in text and "No plan actions for this account." in text
