"""Money axes of the charts carry the bundle's currency, as every other face does.

Each chart function with a money axis takes ``currency=``; its tick labels are written by
:func:`kamtools.formatting.money` ('€45k', 'CHF 1.2M'), and the report sections pass the
bundle's ``settings.currency``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from kamtools import formatting


def _ticks(fig, axis: str, index: int = 0) -> list[str]:
    """The visible tick labels of ``axis`` ('x' or 'y') of the ``index``-th axes, after a draw."""
    try:
        fig.canvas.draw()
        ax = fig.axes[index]
        labels = (ax.xaxis if axis == "x" else ax.yaxis).get_ticklabels()
        return [t.get_text() for t in labels if t.get_visible() and t.get_text()]
    finally:
        plt.close(fig)


def _monthly(n: int = 12, start: str = "2025-01-01") -> pd.Series:
    return pd.Series(pd.date_range(start, periods=n, freq="MS"))


def _forecast_chart(currency):
    from kamtools.plotting.forecast import forecast_chart

    hist = pd.DataFrame({"ds": _monthly(), "y": np.linspace(2e4, 5e4, 12)})
    ds = _monthly(6, "2026-01-01")
    fc = pd.DataFrame({"ds": ds, "forecast": 4e4, "lo_80": 3e4, "hi_80": 5e4, "lo_95": 2e4, "hi_95": 6e4})
    return forecast_chart(hist, fc, currency=currency), "y", 0


def _target_gap_chart(currency):
    from kamtools.plotting.forecast import target_gap_chart

    t = pd.DataFrame(
        {
            "period": [2026],
            "revenue_target": [6e5],
            "booked_ytd": [2e5],
            "expected_total": [5e5],
            "total_lo_80": [4e5],
            "total_hi_80": [5.5e5],
        }
    )
    return target_gap_chart(t, currency=currency), "x", 0


def _ageing_chart(currency):
    from kamtools.plotting.kpis import ageing_chart

    ageing = pd.DataFrame(
        {
            "bucket_order": [0, 1],
            "bucket": ["not_due", "0_30"],
            "bucket_label": ["not due", "1-30"],
            "amount": [4e4, 1e4],
        }
    )
    return ageing_chart(ageing, currency=currency), "y", 0


def _value_position_chart(currency):
    from kamtools.plotting.value import value_position_chart

    value = pd.DataFrame(
        {"account_id": ["A", "B", "C"], "expected_value_12m": [2e3, 3e4, 5e5], "p_alive": [0.2, 0.6, 0.9]}
    )
    return value_position_chart(value, highlight="B", currency=currency), "x", 0


def _value_distribution_chart(currency):
    from kamtools.plotting.value import value_distribution_chart

    value = pd.DataFrame({"expected_value_12m": np.geomspace(1e3, 1e6, 30), "p_alive": np.linspace(0.1, 0.9, 30)})
    return value_distribution_chart(value, currency=currency), "x", 0


def _top_whitespace_chart(currency):
    from kamtools.plotting.whitespace import top_whitespace_chart

    recs = pd.DataFrame({"category": ["a", "b"], "expected_value": [3e4, 1e4]})
    return top_whitespace_chart(recs, currency=currency), "x", 0


def _tradelane_bridge_chart(currency):
    from kamtools.plotting.whitespace import tradelane_bridge_chart

    bridge = pd.DataFrame(
        {
            "status": ["new", "lost", "all lines"],
            "revenue_ltm": [1e4, 0.0, 1e5],
            "revenue_prior": [0.0, 2e4, 1.1e5],
            "revenue_change": [1e4, -2e4, -1e4],
        }
    )
    return tradelane_bridge_chart(bridge, currency=currency), "y", 0


def _account_tradelane_chart(currency):
    from kamtools.plotting.whitespace import account_tradelane_chart

    lanes = pd.DataFrame(
        {
            "category": ["a", "b"],
            "status": ["new", "stable"],
            "revenue_ltm": [1e4, 3e4],
            "revenue_prior": [0.0, 2.5e4],
            "loss_making": [False, False],
        }
    )
    return account_tradelane_chart(lanes, currency=currency), "x", 0


def _scenario_data():
    from kamtools.plotting.scenario import SERIES

    ds = _monthly()
    return pd.concat(
        [pd.DataFrame({"ds": ds, "series": s, "value": np.linspace(1e4, 2e4, 12)}) for s in SERIES], ignore_index=True
    )


def _scenario_chart(currency):
    from kamtools.plotting.scenario import scenario_chart

    return scenario_chart(_scenario_data(), currency=currency), "y", 0


def _live_scenario_chart(currency):
    from kamtools.plotting.scenario import LiveScenarioChart

    live = LiveScenarioChart(currency=currency)
    live.update(_scenario_data())
    return live.fig, "y", 0


def _pipeline_gain_chart(currency):
    from kamtools.plotting.bids import pipeline_gain_chart

    recs = pd.DataFrame({"opportunity_id": ["OP-1", "OP-2"], "expected_margin_gain": [3e4, 1e4]})
    return pipeline_gain_chart(recs, currency=currency), "x", 0


def _tender_calendar_chart(currency):
    from kamtools.plotting.bids import tender_calendar_chart

    calendar = pd.DataFrame({"expected_month": ["2027-01", "2027-03"], "expected_value": [5e4, 2e4]})
    return tender_calendar_chart(calendar, start="2026-11-01", currency=currency), "y", 0


def _bid_curve_chart(currency):
    from kamtools.plotting.bids import bid_curve_chart

    price = np.linspace(85.0, 115.0, 31)
    p_win = 1 / (1 + np.exp(0.3 * (price - 100)))
    curve = pd.DataFrame({"price": price, "p_win": p_win, "expected_margin": p_win * (price - 80) * 1000})
    return bid_curve_chart(curve, 102.0, 96.0, currency=currency), "y", 1  # the margin panel


def _tier_chart(currency):
    from kamtools.plotting.segment import tier_chart

    seg = pd.DataFrame({"account_id": ["A", "B", "C"], "tier": [1, 2, 3], "revenue_ltm": [5e5, 1e5, 2e4]})
    return tier_chart(seg, currency=currency), "y", 1  # the revenue panel


def _risk_map_plot(currency):
    from kamtools.plotting.churn import risk_map_plot

    churn = pd.DataFrame(
        {
            "risk_band": ["high", "low", "medium"],
            "churn_probability": [0.7, 0.1, 0.3],
            "expected_value_12m": [1e3, 1e5, 1e4],
        }
    )
    return risk_map_plot(churn, currency=currency), "y", 0


MONEY_CHARTS = [
    _forecast_chart,
    _target_gap_chart,
    _ageing_chart,
    _value_position_chart,
    _value_distribution_chart,
    _top_whitespace_chart,
    _tradelane_bridge_chart,
    _account_tradelane_chart,
    _scenario_chart,
    _live_scenario_chart,
    _pipeline_gain_chart,
    _tender_calendar_chart,
    _bid_curve_chart,
    _tier_chart,
    _risk_map_plot,
]


@pytest.mark.parametrize("build", MONEY_CHARTS, ids=lambda f: f.__name__.strip("_"))
def test_money_axis_shows_the_currency(build):
    fig, axis, index = build("EUR")
    labels = _ticks(fig, axis, index)
    assert labels, "no tick labels drawn"
    # every non-zero tick reads like the cards and tables: '€40.0k', '-€10.0k'
    nonzero = [s for s in labels if s.strip("-") not in ("0", "")]
    assert nonzero and all("€" in s for s in nonzero), labels


@pytest.mark.parametrize("build", [_forecast_chart, _scenario_chart, _tender_calendar_chart], ids=["fc", "sc", "tc"])
def test_a_currency_without_symbol_is_written_as_its_code(build):
    fig, axis, index = build("chf")
    labels = _ticks(fig, axis, index)
    assert any(s.startswith("CHF ") for s in labels), labels


def test_without_a_currency_the_axis_has_no_symbol():
    fig, axis, index = _forecast_chart(None)
    labels = _ticks(fig, axis, index)
    assert labels and not any(c in s for s in labels for c in "€$£") and not any("EUR" in s for s in labels)
    assert "40.0k" in labels or any(s.endswith("k") for s in labels), labels


def test_tick_labels_match_the_shared_formatter():
    from kamtools.plotting.style import money_formatter

    fmt = money_formatter("USD")
    assert [fmt(v, 0) for v in (0, 45_300, 1_234_567)] == [formatting.money(v, "USD") for v in (0, 45_300, 1_234_567)]
    assert fmt(45_300, 0) == "$45.3k"


@pytest.fixture(scope="module")
def euro_bundle(tmp_path_factory):
    """A small portfolio analysed with ``currency='EUR'`` (value and segment stages: a few seconds)."""
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=12, years=3, seed=3)
    out = tmp_path_factory.mktemp("euro") / "bundle"
    return analyze(portfolio, out, stages=["value", "segment"], progress=False, currency="EUR")


def test_report_sections_pass_the_bundle_currency_to_their_charts(euro_bundle, captured, monkeypatch):
    from kamtools import display, sections

    assert formatting.currency_of(euro_bundle) == "EUR"
    drawn: list[list[str]] = []
    original = display.figure

    def keep_ticks(fig, alt="chart"):
        fig.canvas.draw()
        ticks = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels() + ax.get_yticklabels()]
        drawn.append(ticks)
        return original(fig, alt)

    monkeypatch.setattr(display, "figure", keep_ticks)
    monkeypatch.setattr(sections, "STRICT", True)
    sections.portfolio("value", euro_bundle)
    sections.portfolio("segment", euro_bundle)
    acct = euro_bundle.account(str(euro_bundle.accounts["account_id"].iloc[0]))
    sections.account("value", acct)
    ticks = [s for fig in drawn for s in fig]
    assert sum("€" in s for s in ticks) >= 3, ticks
    assert not any(s.endswith(("k", "M")) and "€" not in s for s in ticks), ticks


def test_target_sentences_write_money_with_the_currency_and_shares_as_the_cards_do():
    """The target outlook reads like page one: '€1.37M', and a 0.8% chance is '0.8%' in both places."""
    from kamtools.sections.forecast import target_sentence

    open_year = pd.Series(
        {
            "period": 2026,
            "revenue_target": 1.72e6,
            "booked_ytd": 1.21e6,
            "expected_total": 1.39e6,
            "p_reach_target": 0.008,
            "total_lo_80": 1.21e6,
            "total_hi_80": 1.56e6,
            "months_remaining": 2,
        }
    )
    text = target_sentence(open_year, "EUR")
    assert "€1.21M booked so far" in text and "target of €1.72M" in text and "(80% range €1.21M-€1.56M)" in text
    assert f"probability of reaching the target {formatting.pct(0.008)}." in text and "0.8%" in text
    closed_year = pd.concat(
        [open_year, pd.Series({"months_remaining": 0, "booked_ytd": 1.37e6, "revenue_target": 1.61e6})]
    )
    closed = target_sentence(closed_year[~closed_year.index.duplicated(keep="last")], "EUR")
    assert closed == "2026: €1.37M booked against a target of €1.61M (85% attained; missed)."
