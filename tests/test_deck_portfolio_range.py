"""The portfolio deck's forecast slide says what the portfolio range rests on, in the overview's words (the forecast
stage's note ``forecast_portfolio``, :mod:`kamtools.forecast.portfolio_range`), and the sentence fits its box."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest
from test_scenario import add_table, build_bundle

pytest.importorskip("pptx")
from pptx import Presentation  # noqa: E402
from pptx.util import Emu  # noqa: E402

from kamtools.bundle import MANIFEST, Bundle  # noqa: E402
from kamtools.deck.portfolio import portfolio_deck  # noqa: E402
from kamtools.deck.template import default_template  # noqa: E402
from kamtools.sections.forecast import range_rests_on  # noqa: E402

# the longest form of the note (kamtools.forecast.portfolio_range.common_part: a common part measured at one date)
NOTE = (
    "The portfolio range lets the accounts' surprises move together as far as they did in a test on past data (one "
    "past date, 6 months forecast from it: the portfolio totals missed by 18.1 times what independent accounts "
    "would allow; how far the accounts moved as one, from 0 for not at all to 1 for wholly: 1.00). One past date's "
    "months share one season and one state of the market, so the months ahead may miss by more or by far less than "
    "those did."
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return _bundle(tmp_path_factory.mktemp("deckrange") / "bundle", with_targets=True)


@pytest.fixture(scope="module")
def bundle_without_targets(tmp_path_factory):
    return _bundle(tmp_path_factory.mktemp("deckrange") / "bundle", with_targets=False)


def _bundle(path, with_targets: bool):
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=3, seed=5)
    build_bundle(portfolio, path, stages=("value", "segment"))
    months = pd.date_range("2025-11-01", periods=24, freq="MS")
    actual = months < pd.Timestamp("2026-11-01")
    add_table(
        path,
        "forecast_portfolio",
        pd.DataFrame(
            {
                "ds": months,
                "kind": ["actual" if a else "forecast" for a in actual],
                "y": [100.0 if a else float("nan") for a in actual],
                "forecast": [float("nan") if a else 100.0 for a in actual],
                "lo_80": [float("nan") if a else 0.0 for a in actual],
                "hi_80": [float("nan") if a else 250.0 for a in actual],
            }
        ),
    )
    rows = {"period": [2026, 2027], "revenue_target": [1300.0, 1400.0], "booked_ytd": [1000.0, 0.0]}
    rows |= {"expected_total": [1200.0, 1200.0], "expected_attainment": [0.92, 0.86], "p_reach_target": [0.2, 0.3]}
    if with_targets:
        add_table(path, "forecast_portfolio_target", pd.DataFrame(rows))
    manifest = json.loads((path / MANIFEST).read_text())
    manifest.setdefault("notes", {})["forecast_portfolio"] = NOTE
    (path / MANIFEST).write_text(json.dumps(manifest))
    return Bundle.open(path)


def _forecast_slide(bundle):
    prs = Presentation(io.BytesIO(portfolio_deck(bundle, default_template().read_bytes())))
    return next(
        s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text == "Forecast against target"
    )


def test_the_forecast_slide_says_what_the_range_rests_on_as_the_overview_does(bundle):
    slide = _forecast_slide(bundle)
    texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
    assert range_rests_on(bundle) in texts  # the overview's sentence, whole
    assert range_rests_on(bundle) == "The portfolio forecast is the sum of the account forecasts. " + NOTE


def test_the_sentence_fits_between_the_chart_and_the_table(bundle):
    slide = _forecast_slide(bundle)
    box = next(sh for sh in slide.shapes if sh.has_text_frame and NOTE in sh.text_frame.text)
    chart = next(sh for sh in slide.shapes if sh.has_chart)
    table = next(sh for sh in slide.shapes if sh.has_table)
    assert chart.top + chart.height <= box.top and box.top + box.height <= table.top
    assert table.top + table.height <= Presentation(str(default_template())).slide_height
    # at its font size, with a generous average character width (0.55 em), its lines fit the box's height
    size = box.text_frame.paragraphs[0].font.size.pt
    inner_w = Emu(box.width - box.text_frame.margin_left - box.text_frame.margin_right).pt
    inner_h = Emu(box.height - box.text_frame.margin_top - box.text_frame.margin_bottom).pt
    lines = math.ceil(len(box.text_frame.text) / (inner_w / (0.55 * size)))
    assert lines * size * 1.2 <= inner_h


def test_without_targets_the_slide_gives_the_forecast_total_the_overview_cards_give(bundle_without_targets):
    from kamtools.sections.forecast import portfolio_change

    slide = _forecast_slide(bundle_without_targets)
    texts = "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    # Online Retail's top 100: the chart and 'No revenue targets are recorded.', but not the 3.94M the overview shows
    port = bundle_without_targets.table("forecast_portfolio")
    change = portfolio_change(bundle_without_targets, port[port["kind"] == "actual"], port[port["kind"] == "forecast"])
    assert change is not None
    assert f"Portfolio forecast, next 12 months: 1.2k ({change:+.0%} on the last 12 months)" in texts
    assert texts.endswith("\nNo revenue targets are recorded.")
