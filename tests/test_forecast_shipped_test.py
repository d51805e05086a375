"""The overview and the review deck say how far the forecast as shipped missed in its own test, beside the total.

The grocer's analysis at 2007-06-30 (``benchmarks/bench_grocery.py``) gave a portfolio forecast whose own test, the
forecast as shipped applied at the one backtest origin, summed to 38% less than the accounts bought; only the
appendix's table said so. Where that miss is 15% or more either way, one sentence now stands beside the total.
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import pandas as pd
import pytest

from kamtools.data.portfolio import NotAvailable
from kamtools.sections.forecast import SHIPPED_TEST_SAID, appendix_pointer, shipped_test_sentence


def _bundle(bias: float | None, windows: int = 1, horizon: int = 12):
    acc = pd.DataFrame(
        {
            "method": ["chosen", "model", "recent_mean"],
            "bias_pct": [bias, 155.0, 158.0],
            "horizon": horizon,
            "n_windows": windows,
        }
    )
    return SimpleNamespace(table=lambda name: acc, has=lambda name: name == "forecast_accuracy")


def test_a_large_miss_of_the_forecast_as_shipped_is_said_with_its_test():
    text = shipped_test_sentence(_bundle(-37.6))
    assert text == (
        "In the test on past data (1 past date, 12 months ahead) the account forecasts as shipped added up to 38% "
        "less than the accounts bought: one test at one date says how far such a total can miss, not that this one "
        "will miss the same way."
    )
    # the other candidates' biases (155%, 158%) are not the forecast as shipped and are not read
    assert "155" not in text and "158" not in text
    many = shipped_test_sentence(_bundle(21.0, windows=3, horizon=6))
    assert "(3 past dates, 6 months ahead)" in many and "21% more than the accounts bought: the tests say" in many


def test_a_small_miss_or_no_test_says_nothing():
    assert shipped_test_sentence(_bundle(-(SHIPPED_TEST_SAID - 0.1))) == ""
    assert shipped_test_sentence(_bundle(None)) == ""
    gone = SimpleNamespace(table=lambda name: NotAvailable("no backtest"), has=lambda name: False)
    assert shipped_test_sentence(gone) == ""


@pytest.fixture
def shipped_bundle(tmp_path):
    """A small bundle (test_deck_portfolio_range's) whose forecast as shipped missed its test by -31%."""
    from test_deck_portfolio_range import _bundle as deck_bundle
    from test_scenario import add_table

    from kamtools.bundle import Bundle

    path = tmp_path / "bundle"
    deck_bundle(path, with_targets=False)
    add_table(path, "forecast_accuracy", _bundle(-31.0, horizon=6).table("forecast_accuracy"))
    return Bundle.open(path)


def test_the_overview_gives_it_under_the_portfolio_forecast(shipped_bundle, captured):
    from kamtools.sections import forecast

    forecast.portfolio_section(shipped_bundle)
    page = "\n".join(captured)
    said = page.index("(1 past date, 6 months ahead) the account forecasts as shipped added up to 31% less")
    assert said < page.index("<img")  # under the total and its cards, above the chart
    assert appendix_pointer(shipped_bundle).startswith("How accurate the forecast was")  # the pointer stays a pointer


def test_the_review_deck_gives_it_in_the_forecast_slides_notes(shipped_bundle):
    pytest.importorskip("pptx")
    from pptx import Presentation

    from kamtools.deck.portfolio import portfolio_deck
    from kamtools.deck.template import default_template

    prs = Presentation(io.BytesIO(portfolio_deck(shipped_bundle, default_template().read_bytes())))
    slide = next(
        s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text == "Forecast against target"
    )
    notes = slide.notes_slide.notes_text_frame.text
    assert "added up to 31% less than the accounts bought" in notes
    assert "(1 past date, 6 months ahead)" in notes


def test_the_appendix_tables_write_bias_and_smape_as_the_sentences_do(shipped_bundle, captured):
    # the backtest table read "-10.46" beside "155" (percent points with two decimals below 100)
    from kamtools.sections import forecast

    acc = (
        _bundle(-10.46, horizon=6)
        .table("forecast_accuracy")
        .assign(
            description=["forecast as shipped", "kamtools model", "the mean of the last 6 months"],
            mase=[0.43, 1.01, 1.02],
            smape=[59.89, 177.1, 177.0],
            coverage_80=0.9,
            coverage_95=0.97,
            n_series=533,
        )
    )
    forecast._shipped_accuracy(shipped_bundle, acc)
    table = captured[0]
    assert ">-10%<" in table and ">155%<" in table and ">60%<" in table and ">177%<" in table
    assert "10.46" not in table and "59.89" not in table
