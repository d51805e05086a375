"""Issue 17 (SWEEPREAL, CDNOW top 100): the reason health is missing names both ways it could be weighted.

At 12 months of history the page read "Health is not available: ... so it needs more than 24 months of order
history"; at 18 months the same customers got a health score (red, 26/100), weighted by the churn model that the
shortened churn windows let train. The requirement stated was false: a KAM told to wait for 24 months would not
expect it at 18. The reason now names the churn model's drivers as the first source and the 24 months as the
other."""

from __future__ import annotations

import pandas as pd

from kamtools import kpis as K
from kamtools.data.portfolio import NotAvailable, Portfolio


def test_the_missing_health_reason_names_the_churn_model_as_well_as_24_months(small_portfolio):
    as_of = small_portfolio.as_of
    start = (as_of - pd.DateOffset(months=12)).normalize()
    tables = dict(small_portfolio.tables)
    tables["orders"] = tables["orders"][tables["orders"]["order_date"] > start].reset_index(drop=True)
    short = Portfolio(tables, as_of, warnings=[])
    res = K.health_scores(short, None, {})
    assert isinstance(res, NotAvailable)
    assert "churn model" in res.reason
    assert "more than 24 months of order history" in res.reason
    assert "so it needs more than 24 months" not in res.reason
