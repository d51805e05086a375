"""The churn fallback shown on a short history is calibrated to what it predicts (issue 17).

With less history than a churn model needs, the churn probability shown is the value
model's probability of no order in the next 6 months. Judged out of time against that
event, its mean must be within 10 points of the share of accounts that really placed no
order (the issue's "calibrated in the large"); benchmarks/bench_btyd_real.py measures the
same on the CDNOW log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.churn import ChurnDefinition, label_accounts
from kamtools.churn.scoring import score
from kamtools.data.portfolio import NotAvailable
from kamtools.datasets import make_portfolio


@pytest.mark.slow
def test_the_fallback_on_18_months_is_calibrated_in_the_large_out_of_time():
    full, _ = make_portfolio(n_accounts=120, years=2, seed=3)
    as_of = (full.as_of.to_period("M") - 6).to_timestamp(how="end").normalize()
    start = as_of - pd.DateOffset(months=18)
    past = full.truncate(as_of)
    tables = dict(past.tables)
    tables["orders"] = tables["orders"][tables["orders"]["order_date"] > start].reset_index(drop=True)
    short = type(past)(tables, as_of)
    res = score(short)
    if isinstance(res, NotAvailable):
        pytest.skip(f"value model unavailable: {res}")
    active = res[res["risk_band"].isin(["high", "medium", "low"])]
    assert len(active) >= 50
    assert active["method"].str.startswith("the value model's probability of no order in the next 6 months").all()
    truth = label_accounts(full, as_of, ChurnDefinition(kind="full")).set_index("account_id")["churned"]
    seen = active[active["account_id"].isin(truth.index)]
    observed = truth.reindex(seen["account_id"]).astype(float).to_numpy()
    predicted = seen["churn_probability"].to_numpy(dtype=float)
    assert abs(float(np.mean(predicted)) - float(np.mean(observed))) <= 0.10, (np.mean(predicted), np.mean(observed))
