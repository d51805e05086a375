"""Issue 17: a plan's order-gap risk gives the silence against the account's own rhythm.

"No order for 130 days" means one thing for an account that ordered every week and another for one that orders
twice a year; the churn section already says which ("where it usually orders every 9.5 days"), and the plan's risk
now says it too. The rule still fires at 120 days whatever the usual gap: out of time, accounts silent for more
than 120 days reordered within 90 days about as often inside 1.5 times their usual gap as beyond it (the demo of
300 at seven cuts: 58% of 26 and 42% of 125; the CDNOW log at three: 21% of 1,163 and 17% of 12,284), so the gap
adds context, not a reason to stay quiet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools import plan as P

AS_OF = pd.Timestamp("2026-06-30")


def _risks(days: float, usual: float | None) -> pd.DataFrame:
    kpis = pd.DataFrame(
        [
            {
                "account_id": "A1",
                "name": "Acme",
                "owner": "Kim",
                "revenue_ltm": 500_000.0,
                "revenue_prior_ltm": 480_000.0,
                "days_since_last_order": days,
            }
        ]
    )
    tables = {"kpis": kpis}
    if usual is not None:
        tables["churn_features"] = pd.DataFrame(
            [{"account_id": "A1", "days_since_last_order": days, "usual_order_gap_days": usual}]
        )
    facts, _ = P.account_facts(tables, AS_OF)
    risks, _ = P.apply_playbook(facts, None, AS_OF)
    return risks[risks["rule_id"] == "order_gap"]


def test_the_order_gap_risk_names_the_accounts_usual_gap():
    risk = _risks(130.0, 9.5)
    assert risk["risk"].tolist() == [
        "No order for 130 days, where it usually orders every 9.5 days (last 12 months' revenue 500.0k)"
    ]
    assert _risks(130.0, 91.0)["risk"].str.contains("where it usually orders every 91 days").all()


def test_without_a_usual_gap_the_risk_reads_as_before_and_never_n_a():
    for usual in (None, np.nan):  # no churn features, or one order day (no gap between orders)
        risk = _risks(130.0, usual)
        assert risk["risk"].tolist() == ["No order for 130 days (last 12 months' revenue 500.0k)"]
