"""The decks read as a KAM beside the HTML pages of the same bundle (issue 17): the portfolio deck counts
the accounts the overview counts, a row of two figures loses its ' / before' where one is unknown, and a
new account's forecast change says that its last 12 months are its first months."""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from test_decks import hostile_bundle

pptx = pytest.importorskip("pptx")
from pptx import Presentation  # noqa: E402
from test_decks_truth import _decks, _slide_text  # noqa: E402

from kamtools.bundle import Bundle  # noqa: E402
from kamtools.deck.portfolio import portfolio_deck  # noqa: E402
from kamtools.deck.template import read_template  # noqa: E402

NEW, PARENTED = "A0003", "A0005"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The hostile bundle with A0003 first ordering in September of the analysis year (two months of orders),
    no earlier period of its complaints and interactions, and a group parent G9 without orders over A0005."""
    path = tmp_path_factory.mktemp("deck17") / "bundle"
    shutil.copytree(hostile_bundle(), path)
    acc = pd.read_parquet(path / "accounts.parquet")
    assert acc.loc[acc["account_id"] == NEW, "forecast_growth_pct"].notna().all()
    acc.loc[acc["account_id"] == NEW, "first_order_date"] = pd.Timestamp("2026-09-10")
    acc.loc[acc["account_id"] == PARENTED, "parent_account_id"] = "G9"
    parent = {c: None for c in acc.columns} | {"account_id": "G9", "name": "Nine Group", "revenue_ltm": 0.0}
    acc = pd.concat([acc, pd.DataFrame([parent]).astype({"first_order_date": acc["first_order_date"].dtype})])
    acc.to_parquet(path / "accounts.parquet", index=False)
    kpis = pd.read_parquet(path / "kpis.parquet")
    kpis.loc[kpis["account_id"] == NEW, ["complaints_prior_12m", "interactions_prior_90d"]] = np.nan
    kpis.to_parquet(path / "kpis.parquet", index=False)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["tables"]["accounts"]["rows"] = len(acc)
    (path / "manifest.json").write_text(json.dumps(manifest))
    return Bundle.open(path)


def test_the_portfolio_deck_counts_the_accounts_the_overview_counts(bundle):
    """The 12-month demo's deck read '42 accounts (internal)' and 'Accounts (active) 42 (40)' beside the overview's
    40 accounts: its 2 group parents without orders of their own are no customers."""
    n = len(bundle.accounts) - 1
    prs = Presentation(io.BytesIO(portfolio_deck(bundle, read_template(None))))
    title = "\n".join(s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame)
    assert f"{n} accounts (internal)" in title
    glance = _slide_text(prs, "The portfolio at a glance").split("\n")
    got = glance[glance.index("Accounts (active)") + 1]
    assert got.split(" ")[0] == str(n)


def test_service_rows_with_one_period_drop_before_and_a_new_account_says_so(bundle, tmp_path):
    prs = _decks(bundle.path, tmp_path / "d", [NEW])[NEW]
    service = _slide_text(prs, "Service, receivables and relationships").split("\n")
    assert "Complaints, last 12 months" in service and "Complaints, last 12 months / before" not in service
    assert "Interactions, last 90 days" in service and "Interactions, last 90 days / before" not in service
    forecast = _slide_text(prs, "Revenue and forecast")
    assert "on the last 12 months, a new account whose last 12 months hold only its first 2 months of orders)" in (
        forecast
    )


def test_a_new_accounts_monthly_slide_is_not_titled_year_on_year(tmp_path):
    """The 12-month demo's new A0006 (2 months of orders) had a slide 'Revenue by month, year on year' over one
    series: no earlier year to compare with."""
    from test_decks import slide_titles

    path = tmp_path / "bundle"
    shutil.copytree(hostile_bundle(), path)
    hist = pd.read_parquet(path / "forecast_history.parquet")
    mine = hist["account_id"] == NEW
    last = hist.loc[mine, "ds"].max()
    hist = hist[~mine | (hist["ds"] > last - pd.DateOffset(months=2))]
    hist.to_parquet(path / "forecast_history.parquet", index=False)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["tables"]["forecast_history"]["rows"] = len(hist)
    (path / "manifest.json").write_text(json.dumps(manifest))
    decks = _decks(Bundle.open(path), tmp_path / "out", [NEW, PARENTED])
    assert "Revenue by month" in slide_titles(decks[NEW])
    assert "Revenue by month, year on year" not in slide_titles(decks[NEW])
    assert "Revenue by month, year on year" in slide_titles(decks[PARENTED])  # a long history keeps its title


def test_the_whitespace_slide_keeps_what_the_uncalibrated_scores_mean_for_the_plan():
    """Cut at 400 characters, Online Retail's note on its uncalibrated scores lost its end on the deck ('... and none
    is counted in the plan's revenue objective'), the part a KAM needs before quoting a whitespace figure."""
    from types import SimpleNamespace

    from kamtools.deck.build import SCORES_NOT_COUNTED, _uncalibrated_note

    long = (
        "The order history is too short to test the cross-sell recommendations on past data: it needs 24 months and "
        "this portfolio has 12 months of order history (since 2010-12-01). Without that test the cross-sell scores "
        "cannot be turned into adoption probabilities: categories are ranked by a score that is not a probability "
        "(the share of similar accounts and of buyers of related categories that buy them), no adoption probability "
        "or probability-weighted value is given, and none is counted in the plan's revenue objective."
    )
    note = _uncalibrated_note(SimpleNamespace(note=lambda name: long))
    assert note.startswith("The order history is too short to test the cross-sell recommendations on past data")
    assert note.endswith(SCORES_NOT_COUNTED) and "…" not in note and len(note) < 400
