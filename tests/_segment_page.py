"""One account's segment section, rendered from a one-row ``segments`` table (no bundle).

The grocery-panel reading tests build an account's segment row by hand and read what its section says. Start
from :func:`segment_row` (a tier-3 account with no strength and no lapse; override what the case is about) and
read the page with :func:`segment_section_text`.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd


def segment_row(account_id: str, **values) -> dict:
    """A segments row for ``account_id``: a small, less attractive tier-3 account unless ``values`` say otherwise."""
    row = {
        "account_id": account_id,
        "recency_days": 3.0,
        "frequency": 20,
        "monetary": 600.0,
        "rfm_score": "111",
        "rfm_segment": "lost",
        "revenue_ltm": 600.0,
        "abc_revenue": "C",
        "abc_margin": "C",
        "cluster_name": "small",
        "attractiveness": 20.0,
        "strength": np.nan,
        "quadrant": "less attractive",
        "tier": 3,
        "tier_reason": "Less attractive account.",
        "lapsed_months": np.nan,
    }
    row.update(values)
    return row


class _Account:
    """What the segment section reads of an account: its segments row, when given its churn features, and the
    bundle (None, or a stand-in whose ``table(name)`` gives the portfolio tables the section asks for)."""

    info: dict = {}

    def __init__(self, seg: pd.DataFrame, feats: pd.DataFrame | None, bundle=None):
        self.account_id = seg["account_id"].iloc[0]
        self._seg, self._feats, self.bundle = seg, feats, bundle

    def table(self, name):
        return self._feats if name == "churn_features" else self._seg

    def portfolio_table(self, name):
        return self._seg


def segment_section_text(captured: list[str], row: dict, feats: pd.DataFrame | None = None, bundle=None) -> str:
    """The text (tags stripped, entities decoded, spaces folded) the segment section shows for one account."""
    from kamtools.sections import segment as section

    section.account_section(_Account(pd.DataFrame([row]), feats, bundle))
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "".join(captured))))
