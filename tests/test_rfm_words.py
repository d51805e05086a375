"""The RFM sentence compares an account with the others and never calls a lapsed account recent (issue 17).

The CDNOW audit: C02470 read "RFM 455 (champions): bought recently, ...; last order 230 days ago" (lapsed, but
in the top recency quintile of a quiet portfolio), and a demo account "hibernating ... last order long ago"
with its last order 35 days ago. The scores are quantile bins, so the words are relative.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kamtools.segment import RFM_SEGMENT_MEANING


def _segment_row(**over) -> pd.DataFrame:
    row = {
        "account_id": "C1",
        "recency_days": 230.0,
        "frequency": 9,
        "monetary": 12_000.0,
        "r_score": 4,
        "f_score": 5,
        "m_score": 5,
        "rfm_score": "455",
        "rfm_segment": "champions",
        "revenue_ltm": 12_000.0,
        "margin_ltm": 3_000.0,
        "abc_revenue": "A",
        "abc_margin": "A",
        "cluster": 0,
        "cluster_name": "Steady buyers",
        "attractiveness": 80.0,
        "strength": np.nan,
        "quadrant": "attractive",
        "tier": 2,
        "tier_reason": "Lapsed (no order in the last 6 months) but attractive: a win-back case worth pursuing "
        "(attractiveness 80/100, strength not available).",
        "lapsed_months": 6.0,  # the segment stage's fact behind the tier reason
    }
    row.update(over)
    return pd.DataFrame([row])


def _bullet(seg: pd.DataFrame, captured) -> str:
    from kamtools.sections import segment as section

    class Acct:
        bundle = None
        account_id = "C1"
        info: dict = {}

        def table(self, name):
            return seg

        def portfolio_table(self, name):
            return seg

    section.account_section(Acct())
    text = re.sub(r"<[^>]+>", " ", "".join(captured))
    return re.search(r"RFM \d+ \(.*?months\.", text).group(0)


def test_no_rfm_meaning_claims_an_absolute_recency():
    for name, meaning in RFM_SEGMENT_MEANING.items():
        assert "long ago" not in meaning and "bought recently" not in meaning, name
        # "recently" only as a comparison with the other accounts
        assert re.sub(r"(more|less) recently", "", meaning).count("recently") == 0, name


def test_a_lapsed_champion_says_it_is_lapsed(captured):
    line = _bullet(_segment_row(), captured)
    assert line == (
        "RFM 455 (champions, now lapsed: no order in the last 6 months): a more recent last order than most "
        "accounts, among the most orders, among the highest spend; last order 230 days ago, 9 orders and 12.0k "
        "revenue in the last 12 months."
    )


def test_an_active_hibernating_account_is_compared_not_called_long_gone(captured):
    seg = _segment_row(
        recency_days=35.0,
        frequency=1,
        monetary=400.0,
        r_score=2,
        f_score=1,
        m_score=1,
        rfm_score="211",
        rfm_segment="hibernating",
        tier=3,
        tier_reason="Less attractive account (attractiveness 20/100, strength not available).",
        lapsed_months=np.nan,
    )
    line = _bullet(seg, captured)
    assert "now lapsed" not in line
    assert line.startswith(
        "RFM 211 (hibernating): a less recent last order than most accounts, among the fewest orders, among the "
        "lowest spend; last order 35 days ago"
    )


def test_one_day_and_one_order_read_in_the_singular(captured):
    line = _bullet(_segment_row(recency_days=1.0, frequency=1, lapsed_months=np.nan), captured)
    assert "last order 1 day ago, 1 order and " in line
