"""What a KAM still read wrong on the CDNOW top 300 (helper FACE2): margins of an order log without costs, the
value and churn sections on the same model, and the deck's value at stake counted once.

The margin tests render the sections of a small portfolio whose order lines all cost 0 (as CDNOW's) and assert
what the reader sees; the other tests build the few rows a face reads.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_read_quarterly import _twelve_month_bundle

from kamtools.data.portfolio import NotAvailable


@pytest.fixture(scope="module")
def no_cost_bundle(tmp_path_factory):
    return _twelve_month_bundle(tmp_path_factory.mktemp("nocost"), no_cost=True)


def _largest(path) -> str:
    from kamtools.bundle import Bundle

    return str(Bundle.open(path).accounts.sort_values("revenue_ltm").iloc[-1]["account_id"])


def test_without_costs_the_product_lines_show_no_margin_columns(no_cost_bundle, captured):
    """CDNOW C07592's product lines read 'CDs 10.4k 10.4k 100%': the margin repeated the revenue."""
    from kamtools.sections import open_account
    from kamtools.sections import whitespace as section

    section.account_section(open_account(str(no_cost_bundle), _largest(no_cost_bundle)))
    html = "".join(captured)
    lines = html[html.index("Product lines year over year") :]
    assert "Revenue, last 12 months" in lines
    assert "Margin %" not in lines and "Margin, last 12 months" not in lines
    assert "No margin is shown: no cost is booked on these product lines" in lines


def test_with_costs_a_line_without_cost_says_so_and_the_others_keep_their_margin():
    from kamtools.sections.whitespace import _lane_columns, _lane_margin

    lanes = pd.DataFrame({"margin_pct_ltm": [0.25, 1.0]})
    assert "margin_pct" in _lane_columns(lanes) and "margin_ltm" in _lane_columns(lanes)
    assert [_lane_margin(x) for x in lanes["margin_pct_ltm"]] == ["25%", "100% (no cost booked)"]
    assert "margin_pct" not in _lane_columns(pd.DataFrame({"margin_pct_ltm": [1.0, float("nan")]}))


def test_without_costs_the_segment_section_shows_no_margin_class_curve_nor_cluster_margin(no_cost_bundle, captured):
    """CDNOW: 'ABC class (revenue / margin) A / A', 'margin 50' among the attractiveness criteria, a margin curve
    over the revenue curve and 'Median margin pct 100%' for every cluster."""
    from kamtools.bundle import Bundle
    from kamtools.sections import no_cost_booked, open_account
    from kamtools.sections import segment as section

    bundle = Bundle.open(no_cost_bundle)
    assert no_cost_booked(bundle)
    section.account_section(open_account(str(no_cost_bundle), _largest(no_cost_bundle)))
    account = "".join(captured)
    assert "ABC class (revenue / margin)" not in account and " by revenue and " not in account
    assert "no class by margin, as no cost is booked" in account and "ABC class (revenue; no cost booked)" in account
    assert ">margin<" not in account  # no 'margin' row among the criteria, and the reason why
    assert "Margin is left out: no cost is booked on the orders" in account
    captured.clear()
    section.portfolio_section(bundle)
    overview = "".join(captured)
    assert "Concentration curve of revenue and margin" not in overview
    assert "no margin curve is drawn" in overview
    assert "margin places every account alike, as no cost is booked" in overview
    assert "Median margin pct" not in overview and "Median categories" in overview


def test_with_costs_the_concentration_chart_keeps_its_margin_curve(captured):
    from kamtools.sections.segment import _concentration

    curve = pd.DataFrame(
        {
            "measure": ["revenue", "revenue", "margin", "margin"],
            "cum_share_accounts": [0.5, 1.0, 0.5, 1.0],
            "cum_share_value": [0.7, 1.0, 0.8, 1.0],
            "abc_class": ["A", "B", "A", "B"],
        }
    )

    class _B:
        manifest: dict = {}
        accounts = pd.DataFrame()

        def __init__(self, margin_pct):
            self.tot = pd.DataFrame([{"margin_pct": margin_pct}])

        def table(self, name):
            return {"segment_concentration": curve, "kpis_portfolio": self.tot}.get(name, NotAvailable(name))

    _concentration(_B(0.3))
    assert "Concentration curve of revenue and margin" in "".join(captured)
    captured.clear()
    _concentration(_B(1.0))
    assert "no margin curve is drawn" in "".join(captured)


def test_the_profile_table_and_the_group_card_say_no_cost_booked():
    from types import SimpleNamespace

    from kamtools.sections.group import _group_cards
    from kamtools.sections.summary import profile_table

    gv = SimpleNamespace(money=lambda v: f"{v:,.0f}")
    cards = {
        label: text for label, text, _ in _group_cards(pd.Series({"revenue_12m": 303_311.46, "margin_pct": 1.0}), gv)
    }
    assert cards["Margin, last 12 months"] == "100% (no cost booked)"

    shown = dict(profile_table({"revenue_ltm": 10_417.05, "margin_ltm": 10_417.05, "margin_pct_ltm": 1.0}).values)
    assert shown["Margin, last 12 months"] == "no cost booked" and shown["Revenue, last 12 months"] == "10.4k"
    costed = dict(profile_table({"revenue_ltm": 10_000.0, "margin_ltm": 2_500.0, "margin_pct_ltm": 0.25}).values)
    assert costed["Margin, last 12 months"] == "2.5k"


# ---- the value and the churn section on the same value model --------------------------------------------------

_CHECKED = (
    "the value model's probability of no order in the next 6 months (checked on the history: fitted on the orders "
    "up to 1997-06-30 it gave the 300 accounts active then a mean of 21%, and 22% placed no order in the next 6 "
    "months)"
)


class _Acct:
    def __init__(self, method: str):
        self.churn = pd.DataFrame([{"churn_probability": 0.16, "method": method}])

    def table(self, name):
        return self.churn if name == "churn" else NotAvailable(name)


def test_the_value_section_says_the_churn_figure_from_the_same_model_is_the_one_checked():
    """CDNOW C07592: the value section called the activity score 84 'not a probability to act on' and the churn
    section called 16% (the same model's chance of no order in 6 months) a probability checked on the history."""
    from kamtools.sections.value import _churn_link

    text = _churn_link(_Acct(_CHECKED))
    assert (
        "The churn section's 16% comes from the same value model, as its chance of no order in the next 6 months"
        in (text)
    )
    assert "read the churn figure as the chance of losing the account and this score only to rank" in text
    # a trained churn model is another model: no link
    assert _churn_link(_Acct("churn model (gradient boosting)")) == ""
    # as of 1997-06-30 (six months of orders) neither could be checked: both rank, and the reader is told so
    unchecked = _churn_link(
        _Acct(
            "a churn score, not a probability: the value model's chance of no order in the next 6 months, which "
            "could not be checked against the history (that needs 9 months of orders)"
        )
    )
    assert "The churn section's score of 16/100 comes from the same value model" in unchecked
    assert "in the next 6 months, and could not be checked on the history either" in unchecked
    assert "both rank accounts, neither is a probability to act on" in unchecked
    assert _churn_link(_Acct("churn model (gradient boosting)")) == ""


def test_the_churn_section_says_the_activity_score_of_the_same_model_only_ranks(monkeypatch):
    from kamtools.sections import churn as section

    monkeypatch.setattr("kamtools.value.reading.p_alive_shown_as", lambda model: ("score", ""))

    class _A:
        def portfolio_table(self, name):
            return pd.DataFrame()

    row = pd.Series({"method": _CHECKED})
    assert "it ranks accounts, while this probability is the one to act on" in section._value_link(_A(), row)
    monkeypatch.setattr("kamtools.value.reading.p_alive_shown_as", lambda model: ("probability", ""))
    assert section._value_link(_A(), row) == ""


# ---- the value at stake, each account's money once -----------------------------------------------------------


def test_the_value_at_stake_counts_revenue_at_risk_inside_the_last_12_months_revenue_once():
    """C22279 before READ's one call: 'check demand' (last 12 months' revenue 4.1k) and 'confirm the next order'
    (revenue at risk 1.7k) made the deck's total 5.8k, the same money twice."""
    from kamtools.plan.actions import stake_once

    total, notes = stake_once([4_143.83, 1_656.7], ["last 12 months' revenue", "revenue at risk"])
    assert total == pytest.approx(4_143.83)
    assert notes == ["revenue at risk 1.7k is part of last 12 months' revenue 4.1k, counted once"]
    # two rules quoting the same revenue at risk, and an open bid beside it: different money adds
    total, notes = stake_once(
        [55_591.0, 55_591.0, 125_000.0], ["revenue at risk"] * 2 + ["open bids closing in 90 days"]
    )
    assert total == pytest.approx(180_591.0) and notes == ["revenue at risk 55.6k is staked by 2 actions, counted once"]
    # revenue at risk and the forecast's shortfall are separate parts of the revenue: they add
    assert stake_once([300.0, 500.0], ["revenue at risk", "forecast below the last 12 months"])[0] == 800.0
    assert stake_once([float("nan")], ["no money figure: relationship risk"]) == (0.0, [])


def test_the_deck_says_what_its_value_at_stake_adds():
    from kamtools.deck.build import _plan_stake

    class _Account:
        def table(self, name):
            return pd.DataFrame(
                {"value_at_stake": [4_143.83, 1_656.7], "value_basis": ["last 12 months' revenue", "revenue at risk"]}
            )

    shown = _plan_stake(_Account(), {"value_at_stake": 5_800.53}, None)
    assert shown[0] == "4.1k over 2 actions, each sum of money once"
    assert shown[1] == "Revenue at risk 1.7k is part of last 12 months' revenue 4.1k, counted once."
