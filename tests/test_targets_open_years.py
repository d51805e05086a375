"""A target of an account that has not ordered yet is read as a year still open, not one that ended (issue 17).

Seen on the demo portfolio cut at 19 months (300 accounts, 2024-05-31): four accounts without an order before the
analysis date had targets for 2026 and 2027, years the forecast does not reach, and the overview read
"2026: 0 booked against a target of 488.9k (0% attained; missed)." about a year that had not begun.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from kamtools.data.portfolio import Portfolio
from kamtools.sections.forecast import target_sentence

AS_OF = pd.Timestamp("2025-06-30")


@lru_cache(maxsize=2)
def _tables(only_year: int | None = None) -> dict:
    """The forecast stage's tables of the demo cut at AS_OF with an account that has not ordered (NEWCO); with
    ``only_year``, the targets of that year alone."""
    from kamtools.datasets import make_portfolio
    from kamtools.forecast import accounts as fc_accounts

    p, _ = make_portfolio(n_accounts=30, years=2, seed=1, groups=0)
    p = p.truncate(AS_OF)
    new = p.accounts.iloc[[0]].assign(account_id="NEWCO", name="New Co", customer_since=pd.Timestamp("2025-01-01"))
    targets = pd.concat(
        [
            p.tables["targets"],
            pd.DataFrame({"account_id": "NEWCO", "period": [2025, 2026, 2027], "revenue_target": [1e5, 2e5, 3e5]}),
        ],
        ignore_index=True,
    )
    if only_year is not None:
        targets = targets[targets["period"] == only_year]
    accounts = pd.concat([p.accounts, new], ignore_index=True)
    portfolio = Portfolio({**p.tables, "accounts": accounts, "targets": targets}, AS_OF)
    return fc_accounts.bundle_tables(portfolio, {})


def test_an_account_without_orders_has_open_years_and_none_beyond_the_forecast():
    tables = _tables()
    fc = tables["forecast"]
    assert "NEWCO" not in set(fc["account_id"].astype(str))  # nothing to forecast from
    targets = tables["forecast_targets"]
    last_forecast_year = int(pd.Timestamp(fc["ds"].max()).year)
    new = targets[targets["account_id"].astype(str) == "NEWCO"].set_index("period")
    # 2025: July to December still to come, nothing expected; 2026 all ahead
    assert new.loc[2025, "months_remaining"] == 6 and new.loc[2025, "expected_total"] == 0
    assert new.loc[2026, "months_remaining"] == 12
    # a year beyond the forecast is left out for it as for every account that has a forecast
    assert not (targets["period"] > last_forecast_year).any()


def test_the_portfolio_never_calls_a_year_still_to_come_missed():
    portfolio = _tables()["forecast_portfolio_target"]
    for _, row in portfolio.iterrows():
        text = target_sentence(row, as_of=AS_OF)
        if int(row["period"]) >= AS_OF.year:
            assert "missed" not in text and "reached" not in text, text
            assert row["months_remaining"] > 0


def test_target_years_beyond_the_forecast_are_named_not_taken_for_no_targets(captured):
    """The demo cut at 13 months (targets for 2025 to 2027, the forecast to December 2024) read "No targets were
    supplied." and its account pages "the analysis gave this account no value"."""
    from kamtools.sections.forecast import _portfolio_targets

    said = "Targets for 2027 are not set against the forecast: it runs to December 2026, and that year ends later."
    assert said in _tables()["_notes"]["forecast_targets"]  # beside the years it could set against it
    tables = _tables(2027)
    assert tables["forecast_portfolio_target"].empty and tables["forecast_targets"].empty
    assert tables["_notes"]["forecast_targets"] == said

    class _Bundle:
        as_of = AS_OF
        manifest: dict = {"settings": {}}

        def table(self, name):
            return tables[name]

        def note(self, name):
            return tables["_notes"].get(name)

    _portfolio_targets(_Bundle(), None)
    text = "".join(captured)
    assert "not set against the forecast: it runs to December 2026" in text and "No targets were supplied" not in text


def test_an_account_page_says_why_its_target_status_is_missing():
    from kamtools.sections.summary import missing_headlines

    said = "Targets for 2025 are not set against the forecast: it runs to December 2024, and that year ends later."

    class _Bundle:
        manifest: dict = {"skipped": {}}

        def note(self, name):
            return said if name == "forecast_targets" else None

    lines = missing_headlines({"target_probability": None}, _Bundle())
    assert said in lines and not [line for line in lines if "gave this account no value" in line]


def test_the_account_forecast_section_names_the_years_it_left_out(captured):
    """The demo cut at 13 months read "No revenue target is recorded for this account." under the forecast of an
    account with targets for 2025 to 2027."""
    from kamtools.sections.forecast import _account_targets

    tables = _tables(2027)

    class _Bundle:
        def note(self, name):
            return tables["_notes"].get(name)

    class _Account:
        bundle = _Bundle()
        as_of = AS_OF

        def table(self, name):
            return tables[name]

    _account_targets(_Account(), None)
    text = "".join(captured)
    assert "No revenue target the forecast can be set against is recorded for this account." in text
    assert "Targets for 2027 are not set against the forecast: it runs to December 2026" in text


def test_the_review_deck_names_the_target_years_beyond_the_forecast(tmp_path):
    """The review deck's forecast slide read "No revenue targets are recorded." on the demo cut at 13 months."""
    import io
    import json

    from pptx import Presentation
    from test_deck_portfolio_range import _bundle

    from kamtools.bundle import MANIFEST, Bundle
    from kamtools.deck.portfolio import portfolio_deck
    from kamtools.deck.template import default_template

    said = "Targets for 2028 are not set against the forecast: it runs to December 2027, and that year ends later."
    path = tmp_path / "bundle"
    _bundle(path, with_targets=False)
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["notes"]["forecast_targets"] = said
    (path / MANIFEST).write_text(json.dumps(manifest))
    prs = Presentation(io.BytesIO(portfolio_deck(Bundle.open(path), default_template().read_bytes())))
    slide = next(
        s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text == "Forecast against target"
    )
    texts = "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    assert texts.endswith("\n" + said) and "No revenue targets are recorded" not in texts
