"""Where the portfolio forecast's change on the last 12 months comes from (overview and review deck).

CDNOW's top 100 at 1997-12-31: the overview's card and the deck's forecast slide read 'Portfolio forecast, next
12 months: 89.8k (-50% on the last 12 months)' beside 'Revenue at risk 5.9k', with nothing joining the two.
The sentence splits the change into the accounts judged lapsed and those forecast above and below their own last
12 months, names the largest movers and says that revenue at risk is not part of the fall.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from kamtools.sections.forecast import CHANGE_EXPLAINED, change_sentence

pytest.importorskip("pptx")


class _Bundle:
    """The parts of a bundle the sentence reads: the accounts table, the notes, the manifest's currency."""

    def __init__(self, accounts: pd.DataFrame, notes: dict | None = None):
        self.accounts = accounts
        self.manifest = {"settings": {"currency": None}, "notes": notes or {}}

    def note(self, key: str) -> str | None:
        return self.manifest["notes"].get(key)


def _port(actual_months: int, forecast_total: float) -> pd.DataFrame:
    months = pd.date_range("1997-01-01", periods=actual_months + 12, freq="MS")
    kind = ["actual"] * actual_months + ["forecast"] * 12
    return pd.DataFrame(
        {
            "ds": months,
            "kind": kind,
            "y": [1.0] * actual_months + [float("nan")] * 12,
            "forecast": [float("nan")] * actual_months + [forecast_total / 12] * 12,
        }
    )


def _accounts(rows: list[tuple]) -> pd.DataFrame:
    cols = ["account_id", "name", "revenue_ltm", "forecast_next_12m", "forecast_method", "revenue_at_risk"]
    return pd.DataFrame(rows, columns=cols)


FALLING = _accounts(
    [
        ("C1", "Lapsed Ltd", 10_000.0, 0.0, "lapsed: zero", float("nan")),
        ("C2", "Big Fall plc", 50_000.0, 20_000.0, "BTYD expected value", 2_000.0),
        ("C3", "Small Fall", 20_000.0, 15_000.0, "kamtools model", 500.0),
        ("C4", "Riser <b>&co</b>", 20_000.0, 25_000.0, "kamtools model", 300.0),
    ]
)


def test_a_fall_is_split_into_lapsed_accounts_fallers_and_risers_that_add_up():
    total = float(FALLING["forecast_next_12m"].sum())  # 60k on 100k: -40%
    text = change_sentence(_Bundle(FALLING), _port(12, total))
    assert text.startswith("Where the change on the last 12 months comes from (100.0k to 60.0k): ")
    assert "1 account judged lapsed (10.0k to 0)" in text
    assert "1 account forecast above its own last 12 months (20.0k to 25.0k)" in text
    assert "2 accounts forecast below their own last 12 months (70.0k to 35.0k)" in text
    # the largest falls first (the lapsed account's 10k is one of them), never a riser among them
    assert (
        "The largest falls: Big Fall plc (50.0k to 20.0k), Lapsed Ltd (10.0k to 0), Small Fall (20.0k to 15.0k)" in text
    )
    assert "Riser" not in text.split("The largest falls:")[1]
    # revenue at risk is a different figure, named with its total
    assert "Revenue at risk (2.8k) is not part of this fall: it is the share of the 60.0k forecast" in text


def test_a_rise_names_the_largest_rises_and_says_nothing_of_revenue_at_risk():
    rising = _accounts(
        [
            ("C1", "Up One", 10_000.0, 30_000.0, "kamtools model", 100.0),
            ("C2", "Flat", 10_000.0, 10_000.0, "mean of last 6 months", 100.0),
            ("C3", "Down", 10_000.0, 8_000.0, "kamtools model", 100.0),
        ]
    )
    text = change_sentence(_Bundle(rising), _port(12, 48_000.0))
    assert "(30.0k to 48.0k)" in text
    assert "The largest rises: Up One (10.0k to 30.0k); each account's page says why." in text
    assert "Flat" not in text and "Down" not in text.split("The largest rises:")[1]
    assert "Revenue at risk" not in text


def test_no_sentence_for_a_small_change_or_without_12_months_of_actuals():
    steady = _accounts([("C1", "A", 100.0, 100.0 * (1 + CHANGE_EXPLAINED / 2), "kamtools model", 1.0)])
    assert change_sentence(_Bundle(steady), _port(12, float(steady["forecast_next_12m"].sum()))) is None
    # with 8 months of data the last 12 months are not all known: no change, so nothing to explain
    assert change_sentence(_Bundle(FALLING), _port(8, 60_000.0)) is None


def test_group_roll_up_rows_are_not_counted_as_accounts():
    with_group = pd.concat(
        [FALLING.assign(is_group=False), _accounts([("G1", "Group", 0.0, 60_000.0, None, None)]).assign(is_group=True)]
    )
    text = change_sentence(_Bundle(with_group), _port(12, 60_000.0))
    assert "(100.0k to 60.0k)" in text and "Group" not in text


def test_the_review_deck_gives_the_sentence_on_the_forecast_slide_and_in_its_notes(tmp_path):
    from pptx import Presentation
    from test_deck_portfolio_range import _bundle

    from kamtools.bundle import Bundle, _write_table
    from kamtools.deck.portfolio import portfolio_deck
    from kamtools.deck.template import default_template

    path = tmp_path / "bundle"
    bundle = _bundle(path, with_targets=False)
    # the forecast stage's summary columns (not run here): the accounts' forecasts add up to the table's 1.2k
    acc = bundle.accounts.copy()
    acc["forecast_next_12m"] = 1_200.0 * acc["revenue_ltm"] / acc["revenue_ltm"].sum()
    acc["forecast_method"] = "kamtools model"
    acc["churn_probability"], acc["risk_band"] = 0.1, "medium"  # the churn stage's columns, one figure for all
    acc["revenue_at_risk"] = acc["churn_probability"] * acc["forecast_next_12m"]
    _write_table(acc, path / "accounts.parquet")
    bundle = Bundle.open(path)
    text = change_sentence(bundle, bundle.table("forecast_portfolio"))
    assert text is not None and "forecast below their own last 12 months" in text
    assert "Revenue at risk (120) is not part of this fall" in text
    prs = Presentation(io.BytesIO(portfolio_deck(bundle, default_template().read_bytes())))
    slide = next(
        s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text == "Forecast against target"
    )
    texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
    assert any(text in t for t in texts)  # on the slide, under the forecast total
    assert text in slide.notes_slide.notes_text_frame.text
    assert "\n".join(texts).endswith("\nNo revenue targets are recorded.")
