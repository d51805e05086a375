"""The RFM line's "now lapsed" note reads the segment stage's ``lapsed_months`` fact, not the tier reason's words.

It used to parse the tier reason ("Lapsed (no order in the last 6 months) ...") with a regex, so rewording
the tier rule would have dropped the note without a test noticing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_rfm_words import _bullet, _segment_row

from kamtools.churn.labels import ChurnDefinition
from kamtools.segment import SEGMENT_COLUMNS, bundle_tables, segment_accounts
from kamtools.stages.declarations import STAGES


def _lapsed_ids(portfolio, months: int) -> set[str]:
    last = portfolio.orders.groupby("account_id")["order_date"].max()
    return set(last[last <= portfolio.as_of - pd.DateOffset(months=months)].index.astype(str))


def test_the_segment_stage_stores_the_months_of_each_lapsed_account(small_portfolio):
    seg = segment_accounts(small_portfolio)["segments"].set_index("account_id")
    lapsed = _lapsed_ids(small_portfolio, 6)
    assert lapsed, "the demo should hold lapsed accounts"
    assert (seg.loc[sorted(lapsed), "lapsed_months"] == 6.0).all()
    assert seg.drop(index=sorted(lapsed))["lapsed_months"].isna().all()
    # the fact and the tier reason say the same thing
    assert (seg["lapsed_months"].notna() == seg["tier_reason"].str.startswith("Lapsed (")).all()


def test_the_months_follow_the_churn_definition(small_portfolio):
    seg = bundle_tables(small_portfolio, {"_churn_definition": ChurnDefinition(horizon_months=3)})["segments"]
    seg = seg.set_index("account_id")
    three = _lapsed_ids(small_portfolio, 3)
    assert three and (seg.loc[sorted(three), "lapsed_months"] == 3.0).all()


def test_the_column_is_declared_in_the_segment_stages_contract():
    stage = next(s for s in STAGES if s.name == "segment")
    declared = next(t for t in stage.writes if t.name == "segments")
    assert "lapsed_months" in declared.column_names and "lapsed_months" in SEGMENT_COLUMNS


def test_a_reworded_tier_reason_keeps_the_note(captured):
    row = _segment_row(tier_reason="A win-back case worth pursuing: silent for half a year (attractiveness 80/100).")
    line = _bullet(row, captured)
    assert line.startswith("RFM 455 (champions, now lapsed: no order in the last 6 months): ")


def test_no_note_without_the_fact_whatever_the_reason_says(captured):
    line = _bullet(_segment_row(lapsed_months=np.nan), captured)
    assert line.startswith("RFM 455 (champions): ") and "now lapsed" not in line


def test_a_bundle_written_before_the_fact_existed_shows_no_note(captured):
    line = _bullet(_segment_row().drop(columns="lapsed_months"), captured)
    assert line.startswith("RFM 455 (champions): ")
