"""Names from the data reach every chart literally.

Account, product, category, competitor and owner names are the user's data. A ``$`` in
them must not switch matplotlib to math markup (``Acme $\\frac{1}{$ Co`` used to make six
report sections fail, ``$x^2$`` drew a formula), and markup, backslashes, ``%``, braces,
newlines and very long names must neither raise nor change the text. Each chart function
of :mod:`kamtools.plotting` is drawn with such names and its rendered text objects are
read back.
"""

from __future__ import annotations

import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

FRAC = "Acme $\\frac{1}{$ Co"  # unbalanced math: a parse error if read as markup
POWER = "$x^2$"  # valid math: would draw as x squared
BOLD = "<b>bold</b>"
BACKSLASH_N = "a\\nb"  # a backslash and an n, not a line break
FORMAT = "50% {0} {name} %s %%"
NEWLINE = "two\nlines"
LONG = ("A very long account name " * 12).rstrip() + "!"  # 300 characters
assert len(LONG) == 300
HOSTILE = [FRAC, POWER, BOLD, BACKSLASH_N, FORMAT, NEWLINE, LONG]
# axis and legend labels cut a long name (or the plot would be squeezed to nothing)
SHORT = LONG[:39].rstrip() + "\u2026"


def _texts(fig) -> list[Text]:
    """Every visible text of ``fig`` after a full draw (ticks are made while drawing)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    # e.g. "constrained_layout not applied because axes sizes collapsed to zero" when a
    # 300-character label leaves the plot no room
    assert not [str(w.message) for w in caught], [str(w.message) for w in caught]
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _check(fig, expected: list[str]) -> list[str]:
    """Draw ``fig``; assert each expected name is shown verbatim and nothing is math."""
    try:
        texts = _texts(fig)
        shown = [t.get_text() for t in texts]
        for name in expected:
            # a title longer than the chart is wide is broken into lines at its spaces
            assert any(name in s or name in s.replace("\n", " ") for s in shown), f"{name!r} not shown: {shown}"
        for t in texts:
            assert t.get_parse_math() is False, f"{t.get_text()!r} would be read as math markup"
        # the text drawn is the text set: no markup was stripped, no placeholder filled
        assert not any("\\mathdefault" in s for s in shown), shown
        return shown
    finally:
        plt.close(fig)


@pytest.fixture(autouse=True)
def math_on():
    """Draw as a process that never applied the kamtools style would (math markup on)."""
    with matplotlib.rc_context({"text.parse_math": True}):
        yield


def _names(k: int) -> list[str]:
    return [HOSTILE[i % len(HOSTILE)] for i in range(k)]


# ---- one builder per chart function: (figure, the names it must show) -----------------------
def segment_charts():
    from kamtools.plotting import segment as s

    n = 8
    ids = [f"A{i}" for i in range(n)]
    seg = pd.DataFrame(
        {
            "account_id": ids,
            "attractiveness": np.linspace(10, 90, n),
            "strength": np.linspace(90, 10, n),
            "tier": [1, 2, 3, 1, 2, 3, 1, 2],
            "revenue_ltm": np.linspace(1e3, 1e6, n),
        }
    )
    curve = pd.DataFrame(
        {
            "measure": [POWER] * 4 + [FRAC] * 4,
            "cum_share_accounts": [0.25, 0.5, 0.75, 1.0] * 2,
            "cum_share_value": [0.6, 0.85, 0.96, 1.0] * 2,
        }
    )
    profiles = pd.DataFrame(
        {"cluster_name": [FRAC, POWER, BOLD], "n_accounts": [3, 4, 5], "mean_recency": [1.0, 2.0, 30.0]}
    )
    return [
        (s.concentration_chart(curve), [POWER, FRAC]),
        (s.portfolio_matrix_chart(seg, highlight="A3", label=FRAC), [FRAC]),
        (s.portfolio_matrix_chart(seg, highlight="A3", label=LONG), [SHORT]),
        (s.cluster_profile_chart(profiles), [f"{FRAC} (3)", f"{POWER} (4)", f"{BOLD} (5)"]),
        (s.tier_chart(seg), ["tier 1"]),
    ]


def churn_charts():
    from kamtools.plotting import churn as c

    cal = pd.DataFrame(
        {
            "model": [POWER] * 3 + [FRAC] * 3,
            "bin": [0, 1, 2] * 2,
            "mean_predicted": [0.1, 0.3, 0.6] * 2,
            "observed_rate": [0.12, 0.28, 0.55] * 2,
            "n": [10, 20, 5] * 2,
        }
    )
    roc = pd.DataFrame({"model": [POWER] * 3 + [BOLD] * 3, "fpr": [0, 0.5, 1] * 2, "tpr": [0, 0.7, 1] * 2})
    gains = roc.rename(columns={"fpr": "share_accounts", "tpr": "share_churners"})
    drivers = pd.DataFrame(
        {"label": [FRAC, POWER, BACKSLASH_N], "contribution": [0.4, -0.2, 0.1], "value_text": [BOLD, "", FORMAT]}
    )
    importance = pd.DataFrame({"label": [FRAC, POWER, FORMAT], "importance": [0.3, 0.2, 0.1], "direction": [1, -1, 0]})
    risk = pd.DataFrame(
        {
            "churn_probability": [0.1, 0.5, 0.9, 0.2],
            "expected_value_12m": [10.0, 1e4, 1e6, 300.0],
            "risk_band": ["low", "medium", "high", "lapsed"],
        }
    )
    return [
        (c.calibration_plot(cal, title=FRAC), [FRAC, POWER]),
        (c.roc_gains_plot(roc, gains), [POWER, BOLD]),
        # driver labels are wrapped at 42 characters: the pieces are literal
        (c.drivers_plot(drivers, title=POWER), [f"{FRAC} ({BOLD})", POWER, "$x^2$", BACKSLASH_N]),
        (c.importance_plot(importance, title=BOLD), [FRAC, POWER, FORMAT, BOLD]),
        (c.risk_map_plot(risk, title=FRAC), [FRAC, "1.0k", "1.00M"]),
    ]


def competitor_charts():
    from kamtools.plotting import competitors as k

    comps = [FRAC, POWER, BOLD, BACKSLASH_N, FORMAT, LONG]
    shown = [FRAC, POWER, BOLD, BACKSLASH_N, FORMAT, SHORT]
    winloss = pd.DataFrame(
        {
            "competitor": [*comps, "All competitors"],
            "n": [10, 4, 7, 9, 12, 3, 45],
            "win_rate": [0.3, 0.5, 0.45, 0.6, 0.2, 0.7, 0.4],
            "ci_low": [0.1, 0.2, 0.2, 0.3, 0.05, 0.3, 0.3],
            "ci_high": [0.5, 0.8, 0.7, 0.85, 0.4, 0.95, 0.5],
            "small_sample": [False, True, False, False, False, True, False],
        }
    )
    curve = pd.DataFrame(
        {
            "premium": [-0.2, 0.0, 0.2],
            "win_probability": [0.6, 0.5, 0.3],
            "ci_low": [0.5, 0.4, 0.2],
            "ci_high": [0.7, 0.6, 0.4],
        }
    )
    periods = pd.to_datetime(["2025-01-01", "2025-04-01", "2025-07-01"])
    index = pd.DataFrame(
        {
            "competitor": np.repeat([FRAC, POWER], 3),
            "category": POWER,
            "period_start": np.tile(periods, 2),
            "price_index": [95.0, 97, 99, 104, 102, 101],
        }
    )
    bids = pd.DataFrame({"competitor": comps, "wins": [1, 2, 3, 4, 5, 6], "losses": [6, 5, 4, 3, 2, 1]})
    threat = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "threat_score": [80.0, 50, 20],
            "threat_band": ["high", "medium", "low"],
            "main_competitor": [FRAC, POWER, ""],
        }
    )
    labels = pd.Series([BOLD, NEWLINE, LONG], index=threat.index)
    return [
        (k.winloss_chart(winloss, title=POWER), [f"{c} (n=" for c in shown] + [POWER]),
        (k.price_response_chart(curve, title=FRAC), [FRAC]),
        (k.price_index_chart(index, category=POWER), [FRAC, POWER, f"Competitor price index ({POWER})"]),
        (k.account_bids_chart(bids, title=BACKSLASH_N), shown + [BACKSLASH_N]),
        (k.threat_chart(threat, labels=labels), [f"{BOLD} ({FRAC})", f"{NEWLINE} ({POWER})", SHORT]),
    ]


def kpi_charts():
    from kamtools.plotting import kpis as p
    from kamtools.plotting.style import wrapped_label

    ageing = pd.DataFrame(
        {
            "bucket_order": [0, 1, 4],
            "bucket": ["not_due", "0_30", "90_plus"],
            "bucket_label": ["not due", "1-30 days", "over 90 days"],
            "amount": [1000.0, 500.0, 250.0],
        }
    )
    components = pd.DataFrame(
        {"label": [FRAC, POWER, LONG], "contribution": [10.0, 5.0, 1.0], "max_points": [20.0, 10.0, 5.0]}
    )
    health = pd.DataFrame({"health_score": [10.0, 50, 90], "health_band": ["red", "amber", "green"]})
    actions = pd.DataFrame(
        {"owner": [FRAC, POWER, POWER, BOLD, FORMAT], "priority": ["high", "low", "medium", "high", "low"]}
    )
    return [
        (p.ageing_chart(ageing, title=FRAC), [FRAC, "not due"]),
        # kamtools' own component labels wrap over three lines instead of being cut at one
        (p.health_components_chart(components, title=POWER), [FRAC, POWER, wrapped_label(LONG).replace("\n", " ")]),
        (p.health_distribution_chart(health, bands=(40, 70), title=BOLD), [BOLD, "red (1)"]),
        (p.action_counts_chart(actions, by="owner", title=BACKSLASH_N), [FRAC, POWER, BOLD, FORMAT, BACKSLASH_N]),
    ]


def value_charts():
    from kamtools.plotting import value as v

    value = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4"],
            "expected_value_12m": [50.0, 2e3, 4e4, 1e6],
            "p_alive": [0.2, 0.6, 0.9, 0.99],
        }
    )
    summary = pd.DataFrame({"frequency": [0, 1, 2, 3, 1, 2], "frequency_holdout": [0, 1, 1, 2, 0, 3]})
    return [
        (v.value_distribution_chart(value, title=FRAC), [FRAC]),
        (v.value_position_chart(value, highlight="A2", names={"A2": POWER}), [POWER]),
        (v.value_position_chart(value, highlight="A3", names={"A3": LONG}), [SHORT]),
        (v.holdout_chart(summary, np.array([0.1, 0.9, 1.5, 2.5, 1.0, 2.0])), ["actual"]),
    ]


def forecast_charts():
    from kamtools.plotting import forecast as f

    ds = pd.date_range("2024-01-01", periods=24, freq="MS")
    history = pd.DataFrame({"ds": ds[:18], "y": np.linspace(1e4, 2e4, 18)})
    fc = pd.DataFrame({"ds": ds[18:], "forecast": 2e4, "lo_80": 1.5e4, "hi_80": 2.5e4, "lo_95": 1e4, "hi_95": 3e4})
    targets = pd.DataFrame(
        {
            "period": [2024, 2025],
            "revenue_target": [2e5, 2.5e5],
            "booked_ytd": [1.8e5, 1e5],
            "expected_total": [1.8e5, 2.4e5],
            "total_lo_80": [1.8e5, 2.1e5],
            "total_hi_80": [1.8e5, 2.7e5],
            "p_reach_target": [0.0, 0.4],
        }
    )
    per_series = pd.DataFrame({"account_id": [FRAC, "B"], "mase": [0.8, 1.2], "mase_naive": [1.0, 1.0]})
    return [
        (f.forecast_chart(history, fc, title=FRAC, monthly_target=targets), [FRAC]),
        # a title wraps to the chart's width instead: the whole name is kept
        (f.forecast_chart(history, fc, title=f"Monthly revenue of {LONG}: forecast"), [LONG]),
        (f.target_gap_chart(targets, title=POWER), [POWER]),
        (f.backtest_chart(per_series, title=LONG, highlight=FRAC), [LONG, "this account"]),
        (f.target_probability_chart(targets, 2025, title=BOLD), [BOLD]),
    ]


def whitespace_charts():
    from kamtools.plotting import whitespace as w

    cats = [FRAC, POWER, BOLD]
    grid = pd.DataFrame(
        {
            "account_id": np.repeat(["A1", "A2"], 3),
            "category": cats * 2,
            "status": ["bought", "lapsed", "never", "never", "bought", "bought"],
            "revenue_ltm": [1e4, 0, 0, 0, 5e3, 2e3],
            "p_adopt": [np.nan, 0.3, 0.1, 0.2, np.nan, np.nan],
            "industry": [FORMAT] * 3 + [NEWLINE] * 3,
        }
    )
    one = grid[grid["account_id"] == "A1"]
    recs = pd.DataFrame({"category": cats, "expected_value": [3e3, 2e3, 1e3]})
    backtest = pd.DataFrame(
        {
            "scorer": [POWER, "popularity"],
            "ranking": [FRAC, "value"],
            "precision_at_n": [0.2, 0.1],
            "hit_rate": [0.5, 0.3],
            "n": [5, 5],
        }
    )
    bridge = pd.DataFrame(
        {
            "status": ["new", "lost", "all lines"],
            "revenue_ltm": [1e3, 0.0, 1e4],
            "revenue_prior": [0.0, 2e3, 1.1e4],
            "revenue_change": [1e3, -2e3, -1e3],
        }
    )
    lanes = pd.DataFrame(
        {
            "category": cats,
            "status": ["new", POWER, "stable"],
            "revenue_ltm": [1e3, 2e3, 3e3],
            "revenue_prior": [0.0, 2.5e3, 3e3],
            "loss_making": [False, True, False],
        }
    )
    names = {"A1": LONG, "A2": BACKSLASH_N}
    return [
        (w.whitespace_heatmap(grid, labels=names, title=FORMAT), cats + [SHORT, BACKSLASH_N, FORMAT]),
        (w.whitespace_heatmap(one, labels=names), cats + [SHORT]),
        (w.adoption_heatmap(grid, title=POWER), cats + [FORMAT, NEWLINE, POWER]),
        (w.top_whitespace_chart(recs), cats),
        (w.backtest_chart(backtest), [f"{POWER} / {FRAC}"]),
        (w.tradelane_bridge_chart(bridge, title=FRAC), [FRAC]),
        (w.account_tradelane_chart(lanes, title=BOLD), [f"{FRAC} (new)", f"{POWER} ({POWER}, LOSS-MAKING)", BOLD]),
    ]


def scenario_charts():
    from kamtools.plotting import scenario as sc

    ds = pd.date_range("2025-01-01", periods=12, freq="MS")
    data = pd.concat(
        [pd.DataFrame({"ds": ds, "series": s, "value": np.linspace(1e3, 2e3, 12)}) for s in sc.SERIES],
        ignore_index=True,
    )
    live = sc.LiveScenarioChart()
    png = live.update(data, title=f"{FRAC}: revenue per month")
    assert png.startswith(b"\x89PNG")
    live.update(data, title=f"{POWER}: revenue per month")  # a second render keeps the layout
    return [
        (sc.scenario_chart(data, title=FRAC), [FRAC, "Scenario"]),
        (live.fig, [f"{POWER}: revenue per month"]),
    ]


def bid_charts():
    from kamtools.plotting import bids as b

    price = np.linspace(85.0, 115.0, 31)
    p_win = 1 / (1 + np.exp(0.3 * (price - 100)))
    curve = pd.DataFrame(
        {
            "price": price,
            "p_win": p_win,
            "p_win_low": p_win * 0.8,
            "p_win_high": p_win**0.8,
            "expected_margin": p_win * (price - 80) * 100,
        }
    )
    recs = pd.DataFrame(
        {
            "opportunity_id": ["OP-1", "OP-2", "OP-3"],
            "expected_margin_gain": [3e3, 1e3, 200.0],
            "expected_margin_gain_low": [1e3, -100.0, 50.0],
            "expected_margin_gain_high": [5e3, 2e3, 400.0],
        }
    )
    labels = pd.Series([FRAC, POWER, LONG], index=recs.index)
    losses = pd.DataFrame(
        {
            "competitor": [FRAC, POWER, BOLD],
            "won": [3, 4, 5],
            "lost": [6, 5, 4],
            "lost_on_price": [4, 1, 2],
            "lost_other": [1, 4, 2],
        }
    )
    reliability = pd.DataFrame(
        {
            "method": [FORMAT] * 2 + [NEWLINE] * 2,
            "mean_predicted": [0.2, 0.6] * 2,
            "observed_rate": [0.25, 0.55] * 2,
            "n": [20, 30] * 2,
        }
    )
    calendar = pd.DataFrame({"expected_month": ["2027-01", "2027-03"], "expected_value": [5e4, 2e4]})
    return [
        (
            b.bid_curve_chart(curve, 102.0, 96.0, 88.0, title=FRAC, good_range=(94.0, 98.0)),
            [FRAC, "current price 102.0"],
        ),
        (b.pipeline_gain_chart(recs, labels=labels, title=POWER), [FRAC, POWER, LONG[:47].rstrip() + "\u2026"]),
        (b.loss_reasons_chart(losses, title=BACKSLASH_N), [FRAC, POWER, BOLD, BACKSLASH_N]),
        (b.reliability_chart(reliability, title=BOLD), [FORMAT, NEWLINE, BOLD]),
        (b.tender_calendar_chart(calendar, title=FRAC, start="2026-11-01"), [FRAC, "Jan 2027"]),
    ]


def relationship_charts():
    from kamtools.plotting import relationships as r

    def person(i: int, name: str, account: str, boss: str | None) -> dict:
        return {
            "contact_id": f"{account}-C{i}",
            "account_id": account,
            "group_id": "G1",
            "name": name,
            "title": FORMAT if i == 1 else "Head of Purchasing",
            "role": ["decision_maker", "influencer", "user"][i % 3],
            "seniority": ["executive", "senior", "manager"][i % 3],
            "attitude": ["champion", "detractor", "neutral"][i % 3],
            "reports_to": boss,
            "left_date": pd.NaT,
            "is_decision_maker": i == 0,
            "has_left": False,
            "last_contact_date": pd.NaT,
            "days_since_contact": 30.0,
            "n_interactions_12m": 2,
            "owner": BOLD if i == 2 else "M. Berg",
        }

    tree = pd.DataFrame([person(0, FRAC, "A1", None), person(1, POWER, "A1", "A1-C0"), person(2, BOLD, "A1", "A1-C0")])
    grid = tree.assign(reports_to=None)
    group = pd.concat([grid, grid.assign(account_id="A2", contact_id=lambda d: "A2" + d["contact_id"].str[2:])])
    names = {"A1": BACKSLASH_N, "A2": NEWLINE.replace("\n", " ")}
    return [
        (r.org_chart(tree, title=FRAC), [FRAC, POWER, BOLD]),
        (r.org_chart(grid, title=POWER), [FRAC, POWER, BOLD]),
        (r.org_chart(group, title=BOLD, account_names=names), [BACKSLASH_N, FRAC]),
    ]


BUILDERS = {
    "bids": bid_charts,
    "segment": segment_charts,
    "churn": churn_charts,
    "competitors": competitor_charts,
    "kpis": kpi_charts,
    "value": value_charts,
    "forecast": forecast_charts,
    "whitespace": whitespace_charts,
    "scenario": scenario_charts,
    "relationships": relationship_charts,
}


@pytest.mark.parametrize("topic", sorted(BUILDERS))
def test_every_chart_shows_hostile_names_literally(topic):
    charts = BUILDERS[topic]()
    assert charts
    for fig, expected in charts:
        _check(fig, expected)


def test_every_chart_function_is_covered():
    """A new chart function in kamtools.plotting must be added to the builders above."""
    import importlib
    import inspect

    source = inspect.getsource(importlib.import_module(__name__))
    for topic in BUILDERS:
        module = importlib.import_module(f"kamtools.plotting.{topic}")
        for name in module.__all__:
            if name in ("scenario_chart_data",) or not callable(getattr(module, name)):
                continue  # data or constants, not a chart
            assert f".{name}(" in source or f"{name}()" in source, f"{topic}.{name} is not drawn by this test"


def test_saved_png_draws_the_dollar_names():
    """Saving (what reports do) succeeds; it used to fail with a math parse error."""
    import io

    from kamtools.plotting.competitors import account_bids_chart

    fig = account_bids_chart(pd.DataFrame({"competitor": [FRAC, POWER], "wins": [1, 2], "losses": [2, 1]}))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    assert buf.getvalue().startswith(b"\x89PNG")


def test_texts_added_after_the_chart_is_built_are_literal_too():
    """A notebook user adding a title or a note to a kamtools chart gets literal text as well."""
    from kamtools.plotting.style import new_figure

    fig, ax = new_figure()
    ax.bar([FRAC, POWER], [1, 2])  # category axis: its tick labels are made while drawing
    ax.set_title(POWER)
    ax.annotate(FRAC, (0, 1))
    shown = _check(fig, [FRAC, POWER])
    assert shown.count(POWER) >= 2


def test_apply_style_turns_math_markup_off():
    from kamtools.plotting.style import apply_style

    with matplotlib.rc_context():
        apply_style()
        assert matplotlib.rcParams["text.parse_math"] is False
        fig = plt.figure()  # even a plain matplotlib figure drawn in a styled notebook
        fig.suptitle(FRAC)
        fig.canvas.draw()
        plt.close(fig)


# ---- end to end: report sections of an analysed portfolio whose names hold "$" -------------
@pytest.fixture(scope="module")
def dollar_bundle(tmp_path_factory):
    """A small analysed portfolio: an account named FRAC, a competitor named POWER and a
    product category named FORMAT (value, segment and competitor stages only: ~2 s)."""
    from kamtools.bundle import analyze
    from kamtools.data.portfolio import Portfolio
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=12, years=3, seed=3)
    tables = {name: df.copy() for name, df in portfolio.tables.items()}
    opp = tables["opportunities"]
    competitor = opp["competitor"].dropna().value_counts().index[0]
    category = tables["products"]["category"].iloc[0]
    account = opp.loc[opp["competitor"] == competitor, "account_id"].value_counts().index[0]
    for name in ("opportunities", "competitor_prices"):
        tables[name]["competitor"] = tables[name]["competitor"].replace(competitor, POWER)
    for name in ("products", "opportunities", "competitor_prices"):
        tables[name]["category"] = tables[name]["category"].replace(category, FORMAT)
    accounts = tables["accounts"]
    accounts.loc[accounts["account_id"] == account, "name"] = FRAC
    out = tmp_path_factory.mktemp("dollar") / "bundle"
    bundle = analyze(
        Portfolio(tables, portfolio.as_of), out, stages=["value", "segment", "competitors"], progress=False
    )
    return bundle, account


def test_report_sections_draw_dollar_names(dollar_bundle, captured, monkeypatch):
    """The segment and competitor sections (which failed on such names) draw their charts,
    and the charts carry the names literally; the page shows them escaped."""
    from kamtools import display, sections

    bundle, account = dollar_bundle
    drawn: list[list[str]] = []
    original = display.figure

    def keep_texts(fig, alt="chart"):
        markup = original(fig, alt)  # saves the PNG (a math parse error would raise here)
        drawn.append([t.get_text() for t in fig.findobj(Text) if t.get_visible()])
        return markup

    monkeypatch.setattr(display, "figure", keep_texts)
    monkeypatch.setattr(sections, "STRICT", True)  # a failing section raises instead of a note
    acct = bundle.account(account)
    sections.account_header(acct)
    sections.account("segment", acct)
    sections.account("competitors", acct)
    sections.portfolio("competitors", bundle)
    texts = [s for fig in drawn for s in fig]
    assert any(FRAC in s for s in texts), texts  # the account's label in the portfolio matrix
    assert any(POWER in s for s in texts), texts  # the competitor on the bid and win-rate charts
    page = "".join(captured)
    assert "could not be drawn" not in page
    assert "Acme $\\frac{1}{$ Co" in page  # the title: HTML has nothing to escape in it
    assert "$x^2$" in page


def test_health_component_labels_are_wrapped_not_cut():
    """kamtools' own long labels (what a health component measures) keep every word."""
    import pandas as pd

    from kamtools.plotting.kpis import health_components_chart
    from kamtools.plotting.style import wrapped_label

    label = "Average days to resolve a complaint (last 12 months, open ones to date)"
    comps = pd.DataFrame({"label": [label, "Bid win rate"], "contribution": [2.0, 5.0], "max_points": [4.0, 10.0]})
    fig = health_components_chart(comps)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert label in [t.replace("\n", " ") for t in ticks]
    assert "\u2026" not in "".join(ticks)
    assert wrapped_label("x" * 200).endswith("\u2026") and wrapped_label("x" * 200).count("\n") == 2
