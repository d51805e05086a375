"""What a KAM reading the demo pages still tripped over (issue 17, the FACES pass): each face says the same
thing the same way, and every figure says what it is."""

from __future__ import annotations

import html
import re

import pandas as pd
from test_group_reports import HandBundle, grouped_summary
from test_report_index import FakeBundle, manifest

from kamtools.reports.index import write_index


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def _captured(monkeypatch) -> list[str]:
    from kamtools import display

    out: list[str] = []
    monkeypatch.setattr(display, "_show", lambda markup: out.append(str(markup)) or markup)
    return out


# ---- 1. a group's units: one definition on the index and in the overview ----------------------------


def test_index_and_overview_count_a_groups_units_alike_and_say_how(monkeypatch, tmp_path):
    from kamtools.groups.rollup import rollup
    from kamtools.groups.tree import hierarchy
    from kamtools.sections.summary import _global_accounts

    acc = grouped_summary()  # G1 > R1 > (A1, A2); G1 > A3: three units at the lowest level, one sub-group
    roll = rollup(hierarchy(acc), acc[["account_id"]].assign(revenue_12m=acc["revenue_ltm"]), {}, None)
    assert roll.set_index("account_id").loc["G1", "n_units"] == 3  # not 4 (the region R1 is not a unit)
    page = write_index(FakeBundle(acc, manifest()), tmp_path).read_text(encoding="utf-8")
    block = _text(page.split('id="kam-groups"')[1].split("</section>")[0])
    assert "G1 · 3 units at the lowest level ·" in block
    assert "its units are the accounts at the lowest level, the sub-groups between are not counted" in block

    out = _captured(monkeypatch)
    _global_accounts(HandBundle({"accounts": acc, "group_rollup": roll}), 1_721_605.0, "EUR")
    overview = "".join(out)
    header = re.findall(r"<th[^>]*>(.*?)</th>", overview)
    assert "Units (lowest-level accounts)" in [html.unescape(h) for h in header]
    cells = [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", overview)]
    assert cells[:2] == [html.unescape(acc.set_index("account_id").loc["G1", "name"]), "3"]


# ---- 2. RFM: no lapsed "champion", on a cohort where most accounts have lapsed ------------------------


def _lapsed_cohort():
    """A generated portfolio read five months after its last order: every account has lapsed (5 months), and
    the relative recency bins still put a fifth of them in the top bin."""
    from kamtools.data.portfolio import Portfolio
    from kamtools.datasets import make_portfolio

    p, _ = make_portfolio(n_accounts=40, years=2, seed=3, groups=0)
    return Portfolio(p.tables, p.orders["order_date"].max() + pd.DateOffset(months=5))


def test_a_lapsed_account_is_never_named_a_champion_on_any_face(captured):
    import warnings

    from test_rfm_words import _bullet

    from kamtools.sections.segment import _rfm
    from kamtools.segment import RFM_SEGMENT_MEANING, segment_accounts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        seg = segment_accounts(_lapsed_cohort(), lapsed_months=5)["segments"]
    gone = seg["lapsed_months"].notna()
    assert gone.all()
    still_buying = {"champions", "loyal", "potential loyalist", "new", "promising", "needs attention", "about to sleep"}
    assert not seg.loc[gone, "rfm_segment"].isin(still_buying).any()
    top = seg[(seg["r_score"] == 5) & (seg["f_score"] + seg["m_score"] >= 8)]
    assert len(top) and (top["rfm_segment"] == "lapsed champions").all()  # what the relative bins would call champions
    # the account page: the segment's name and its meaning say lapsed, once
    row = top.iloc[[0]].reset_index(drop=True)
    line = _bullet(row, captured)
    assert line.startswith(f"RFM {row.loc[0, 'rfm_score']} (lapsed champions: no order in the last 5 months): ")
    assert "now lapsed" not in line and "has lapsed (no order for months)" in line
    # the overview's RFM table names the same segments, each with its meaning
    captured.clear()

    class Bundle:
        manifest = {"settings": {}}

    _rfm(Bundle(), seg)
    overview = _text("".join(captured))
    for name in seg["rfm_segment"].unique():
        assert name in overview and RFM_SEGMENT_MEANING[name] in overview
    assert "champions" not in overview.replace("lapsed champions", "")


# ---- 6. driver sentences count with their noun in the right number ------------------------------------


def test_driver_sentences_count_one_day_as_one_day():
    from kamtools.churn.sentences import driver_text, recency_rule_reason

    assert driver_text("days_late_change_6m", {"days_late_change_6m": 1.0}) == (
        "Invoices paid 1 day later in the last 6 months than in the 6 before"
    )
    assert driver_text("days_late_avg_12m", {"days_late_avg_12m": 1.2}) == (
        "Invoices paid 1 day late on average in the last 12 months"
    )
    row = {"days_since_last_order": 1.0, "usual_order_gap_days": 1.0, "recency_ratio": 1.0}
    assert driver_text("days_since_last_order", row) == "Last order 1 day ago, this account usually orders every 1 day"
    row = {"days_since_last_order": 1_500.0, "usual_order_gap_days": 30.0, "recency_ratio": 50.0}
    assert driver_text("recency_ratio", row) == "No order for 1,500 days, this account usually orders every 30 days"
    assert recency_rule_reason(row) == "No order for 1,500 days, 50.0 times its usual gap of 30 days"
    assert driver_text("complaint_resolution_days", {"complaint_resolution_days": 1.0}) == (
        "Complaints took 1 day on average to resolve (last 12 months)"
    )
    assert driver_text("days_since_decision_maker_contact", {"days_since_decision_maker_contact": 1.0}) == (
        "Last contact with a decision maker 1 day ago"
    )
    assert driver_text("complaints_12m", {"complaints_12m": 1.0, "complaints_open": 1.0}) == (
        "1 complaint opened in the last 12 months, 1 still open"
    )
    assert driver_text("bids_lost_12m", {"bids_lost_12m": 1_200.0}) == "1,200 bids lost in the last 12 months"
    # the health components' sentences and the drivers' numbers count the same way
    from kamtools.churn.catalogue import format_value
    from kamtools.kpis.components import health_sentence

    assert health_sentence("days_since_last_order", {"days_since_last_order": 1.0}) == "No order for 1 day"
    assert health_sentence("days_since_dm_contact", {"days_since_dm_contact": 1.0}) == (
        "No contact with a decision maker for 1 day"
    )
    assert health_sentence("open_severe", {"open_severe": 1.0}) == "1 high or critical complaint open"
    assert format_value("days_since_last_order", 1.0) == "1 day"
    assert (
        format_value("days_late_change_6m", 1.0) == "+1 day" and format_value("days_late_change_6m", -3.0) == "-3 days"
    )


# ---- 7. talking points word attainment as the pages do -----------------------------------------------


def test_talking_point_never_rounds_a_missed_target_up_to_100_percent():
    from kamtools.plan.talking_points import _pipeline_point, _target_point

    rec = {"target": 1_000_000.0, "target_attainment": 0.996, "target_pace": 0.97, "p_target": 0.4}
    text = _target_point(rec, 2026)
    assert text.startswith("99.6% of the 2026 target of ") and "100%" not in text
    assert _target_point({**rec, "target_attainment": 1.004}, 2026).startswith("100% of the 2026 target")
    rec = {"open_bids": 1.0, "open_value": 5_000.0, "weighted_value": 2_000.0, "bids_closing_90d": 1.0}
    assert _pipeline_point(rec).startswith("1 open bid worth ")


# ---- 8. revenue at risk: the basis is the 12-month forecast wherever it is explained ----------------


def test_revenue_at_risk_is_explained_as_the_churn_figure_times_the_12_month_forecast():
    import json
    from pathlib import Path

    import kamtools
    from kamtools.groups import rollup

    assert "x expected value" not in rollup.__doc__ and "12-month forecast" in rollup.__doc__
    nb = json.loads((Path(kamtools.__file__).parent / "notebooks" / "churn.ipynb").read_text(encoding="utf-8"))
    words = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    words = re.sub(r"\s+", " ", words)
    assert "Revenue at risk = churn probability x the account's 12-month forecast in the reports" in words
    code = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "Revenue at risk = churn probability x {risk_base_phrase(table)}." in code  # the basis it used


# ---- 3. the overview's year-to-date and attainment figures say which is which ------------------------


def test_overview_tells_booked_so_far_from_the_expected_year_total():
    from kamtools.sections.forecast import target_sentence
    from kamtools.sections.kpis import portfolio_cards

    as_of = pd.Timestamp("2026-10-31")
    tot = {"revenue_ytd": 17_676_041.75, "growth_ytd_pct": 0.114, "margin_pct": 0.2, "target_attainment": 0.7819}
    cards = {label: value for label, value, _ in portfolio_cards(tot, "EUR", as_of)}
    assert cards["Revenue booked 1 Jan-31 Oct 2026, all accounts (change on the same months of 2025)"] == (
        "€17.68M (+11%)"
    )
    assert cards["Target attainment so far: booked 1 Jan-31 Oct 2026 / the 2026 target"] == "78%"
    row = pd.Series(
        {
            "period": 2026,
            "revenue_target": 22_604_600.0,
            "booked_ytd": 17_674_675.4,
            "expected_total": 21_160_540.0,
            "p_reach_target": 0.015,
            "total_lo_80": 20_306_790.0,
            "total_hi_80": 22_014_300.0,
            "months_remaining": 2,
            "n_accounts": 57,
        }
    )
    assert target_sentence(row, "EUR", as_of) == (
        "2026: €17.67M booked 1 Jan-31 Oct 2026 by the 57 accounts with a 2026 target (78% of the target, booked "
        "so far); expected year total €21.16M (80% range €20.31M-€22.01M) against a target of €22.60M: expected "
        "attainment 94% (the expected year total against the target), probability of reaching the target 2%."
    )
    # a later year: nothing booked yet, no booked share
    later = row.copy()
    later[["period", "booked_ytd", "months_remaining"]] = [2027, 0.0, 12]
    assert target_sentence(later, "EUR", as_of).startswith("2027: €0 booked so far by the 57 accounts with a 2027 ")


# ---- 4. two competitors on one page: the page says why -------------------------------------------------


class _Acct:
    """What the competitor and summary sections read of one lapsed account."""

    account_id = "C9"

    class bundle:  # noqa: N801 - a stand-in for the bundle: only its currency is read
        manifest = {"settings": {"currency": "EUR"}}

    def __init__(self, tables: dict, info: dict):
        self.tables, self.info = tables, info

    def table(self, name):
        from kamtools.data.portfolio import NotAvailable

        return self.tables.get(name, NotAvailable(f"The {name} analysis was not run."))


def _lapsed_with_two_competitors() -> _Acct:
    threat = pd.DataFrame(
        [{"threat_score": 41.0, "threat_band": "medium", "main_competitor": "Vetro", "reasons": "Cheaper prices seen."}]
    )
    bids = pd.DataFrame(
        {
            "competitor": ["Astra", "Vetro", "unknown", "Kestrel"],
            "n_bids": [3, 1, 5, 4],
            "wins": [0, 1, 0, 0],
            "losses": [3, 0, 5, 4],
            "win_rate": [0.0, 1.0, 0.0, 0.0],
            "avg_price_gap_lost": [0.08, None, 0.1, 0.05],
            "avg_price_gap_won": [None, -0.02, None, None],
            "lost_amount": [84_000.0, 0.0, 200_000.0, 20_000.0],
            "open_bids": [0, 0, 0, 0],
        }
    )
    actions = pd.DataFrame({"action": ["Win back the volume going to Astra: review our price position", "Call"]})
    return _Acct(
        {"competitor_threat": threat, "competitor_account_bids": bids, "plan_actions": actions},
        {"main_competitor": "Vetro", "threat_band": "medium"},
    )


def test_a_page_naming_two_competitors_says_which_is_which(captured):
    from kamtools.sections.competitors import account_section, competitors_apart
    from kamtools.sections.summary import _with_loss_leader

    acct = _lapsed_with_two_competitors()
    account_section(acct)
    text = _text("".join(captured))
    assert (
        "Competitors named on this page: Vetro is the main competitor by threat (the last 12 months' bids, else the "
        "competitor prices seen at this account); Astra is the one we lost the most bid value to in the last 24 "
        "months (€84.0k in 3 bids), whom the plan's actions name." in text
    )
    # page one: the card says the same
    assert _with_loss_leader(acct, "Vetro (medium threat)") == (
        "Vetro (medium threat); most bid value lost (24 months): Astra"
    )
    bids = acct.tables["competitor_account_bids"]
    # no main competitor by threat, and no action naming the other: said as it is
    assert competitors_apart("", bids, "EUR") == (
        "Competitors named on this page: no competitor stands out by threat (none is named in the last 12 months' "
        "bids or prices); Astra is the one we lost the most bid value to in the last 24 months (€84.0k in 3 bids)."
    )
    # the bid-pricing action's competitor (most bids lost, 12 months), when the plan names it
    assert competitors_apart("Astra", bids, "EUR", ["Review bid pricing for Pumps against Kestrel"], "Kestrel") == (
        "Competitors named on this page: Astra is the main competitor by threat (the last 12 months' bids, else the "
        "competitor prices seen at this account); Kestrel is the one we lost the most bids to in the last 12 "
        "months, whom the plan's actions name."
    )
    # one competitor for all: nothing added
    same = bids.assign(competitor=["Vetro", "Astra", "unknown", "Kestrel"])
    assert competitors_apart("Vetro", same) is None
    assert _with_loss_leader(_Acct({"competitor_account_bids": same}, acct.info), "Vetro (medium threat)") == (
        "Vetro (medium threat)"
    )


# ---- 5. a legend never hides a data point --------------------------------------------------------------


def _legend_boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return [leg.get_window_extent(renderer) for leg in legends]


def test_a_one_month_historys_only_point_is_not_under_the_legend():
    import matplotlib.pyplot as plt

    from kamtools.plotting.forecast import forecast_chart

    history = pd.DataFrame({"ds": [pd.Timestamp("2026-10-01")], "y": [52_000.0]})
    ds = pd.date_range("2026-11-01", periods=12, freq="MS")
    fc = pd.DataFrame(
        {"ds": ds, "forecast": 30_000.0, "lo_80": 20_000.0, "hi_80": 40_000.0, "lo_95": 15_000.0, "hi_95": 45_000.0}
    )
    targets = pd.DataFrame({"period": [2026, 2027], "revenue_target": [480_000.0, 500_000.0]})
    fig = forecast_chart(history, fc, monthly_target=targets, currency="EUR")
    boxes = _legend_boxes(fig)
    assert len(boxes) == 1
    ax = fig.axes[0]
    point = ax.transData.transform((ax.convert_xunits(history["ds"].iloc[0]), 52_000.0))
    assert not boxes[0].contains(*point)
    assert not boxes[0].overlaps(ax.get_window_extent())  # outside the plot area: no point can be under it
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["actual", "95% interval", "80% interval", "forecast", "target / 12"]
    plt.close(fig)


def test_every_single_axes_chart_legend_sits_outside_its_plot():
    import matplotlib.pyplot as plt
    from test_chart_strings import BUILDERS  # every chart of kamtools.plotting, built from small frames

    checked = 0
    for build in BUILDERS.values():
        for fig, _ in build():
            if len(fig.axes) == 1:
                for box in _legend_boxes(fig):
                    assert not box.overlaps(fig.axes[0].get_window_extent()), fig.axes[0].get_title()
                    checked += 1
            plt.close(fig)
    assert checked >= 10


def test_the_global_account_plan_counts_its_units_as_the_index_does(monkeypatch):
    from kamtools.sections.group import group_header, group_view

    acc = grouped_summary()
    out = _captured(monkeypatch)
    group_header(group_view(HandBundle({"accounts": acc}), "G1"))
    assert "3 units at the lowest level under 1 sub-group" in _text("".join(out))
