"""Issue 17 (READCJ, after FACECJ and FACECJ2): the grocery panel's top 100 households by revenue up to 2017-06-30, read as a KAM preparing a
quarterly review (overview and seven household pages), and what misled.

- H0889's page gave its usual gap between orders twice, as two numbers: the RFM bullet read 'came within its usual
  gap between orders (4 days)', the churn section 'Last order 3 days ago, within its usual gap of 3.5 days'.
- Every page's "Parts of the plan left out" read 'Competitors: No competitor results are available (that analysis
  was skipped or not run), so its part of the plan is missing.', where the data simply held neither an
  opportunities nor a competitor_prices table (the other parts named their missing table).
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
from _portfolio import one_product_portfolio


def _page_text(captured) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "".join(captured))))


def _segment_page(captured, feats: pd.DataFrame) -> str:
    from kamtools.sections import segment as section

    seg = pd.DataFrame(
        [
            {
                "account_id": "H0889",
                "recency_days": 3.0,
                "frequency": 52,
                "monetary": 3_218.05,
                "rfm_score": "111",
                "rfm_segment": "lost",
                "revenue_ltm": 3_218.05,
                "abc_revenue": "C",
                "abc_margin": "C",
                "cluster_name": "small, occasional orders, single category",
                "attractiveness": 20.0,
                "strength": np.nan,
                "quadrant": "less attractive",
                "tier": 3,
                "tier_reason": "Less attractive account.",
                "lapsed_months": np.nan,
            }
        ]
    )

    class Acct:
        bundle = None
        account_id = "H0889"
        info: dict = {}

        def table(self, name):
            return feats if name == "churn_features" else seg

        def portfolio_table(self, name):
            return seg

    section.account_section(Acct())
    return _page_text(captured)


def test_the_usual_gap_between_orders_reads_the_same_in_the_rfm_bullet_and_the_churn_section(captured):
    from kamtools.churn.sentences import recency_rule_reason, silence_sentence

    feats = pd.DataFrame(
        {
            "account_id": ["H0889"],
            "recency_ratio": [0.86],
            "days_since_last_order": [3.0],
            "usual_order_gap_days": [3.5],
        }
    )
    text = _segment_page(captured, feats)
    assert "came within its usual gap between orders (3.5 days), so it does not say" in text
    assert silence_sentence(3.0, 3.5) == "Last order 3 days ago, within its usual gap of 3.5 days"
    # the recency rule's reason (the churn table's first driver) gives the same gap
    assert recency_rule_reason(feats.iloc[0]) == "Last order 3 days ago, within its usual gap of 3.5 days"
    late = feats.iloc[0].copy()
    late[["recency_ratio", "days_since_last_order"]] = [4.0, 14.0]
    assert recency_rule_reason(late) == "No order for 14 days, 4.0 times its usual gap of 3.5 days"


def _plan_unavailable(**extra) -> pd.Series:
    from kamtools.stages.runner import execute

    weeks = pd.date_range("2017-01-02", "2017-06-30", freq="7D")
    lines = [(a, d.strftime("%Y-%m-%d"), 100.0, 1.0) for a in ("H1", "H2", "H3") for d in weeks]
    p = one_product_portfolio(lines, "2017-06-30")
    for name, table in extra.items():
        p.tables[name] = table
    return execute(p, names=["kpis", "plan"]).tables()["plan_unavailable"].set_index("part")["reason"]


def test_the_plan_names_the_tables_missing_for_its_competitor_part():
    why = _plan_unavailable()
    assert why["competitors"] == (
        "Neither an opportunities nor a competitor_prices table was supplied, so there are no competitor facts."
    )
    assert why["pipeline"] == "No opportunities table was supplied, so there are no pipeline and bid facts."
    # with competitor prices supplied but the competitor analysis not run, the reason does not blame the data
    prices = pd.DataFrame(
        {
            "date": pd.to_datetime(["2017-03-01"]),
            "account_id": ["H1"],
            "category": ["Premixes"],
            "competitor": ["Rival"],
            "price_index": [95.0],
        }
    )
    assert "was supplied" not in _plan_unavailable(competitor_prices=prices)["competitors"]


def _value_outlook(same_rate: bool, method: str = "mean of last 6 months") -> str:
    from types import SimpleNamespace

    from kamtools.sections.value import _outlook

    row = pd.Series(  # H1899: 14 buying weeks in 26, expected 49.9 purchase weeks like every household
        {
            "frequency": 13,
            "T": 26.0,
            "expected_purchases_12m": 49.91,
            "expected_avg_value": 223.76,
            "expected_value_12m": 10_610.37,
            "margin_pct": 1.0,
        }
    )
    info = {"forecast_next_12m": 6_348.40, "forecast_method": method, "forecast_method_reason": "too few like it"}
    acct = SimpleNamespace(info=info, bundle=None, table=lambda name: pd.DataFrame())
    return _outlook(acct, row, float("nan"), same_rate=same_rate)


def test_a_forecast_far_below_a_common_rate_value_names_the_common_rate_as_the_reason():
    text = _value_outlook(same_rate=True)
    assert text.endswith(
        "The forecast is 40% lower: the value model gives every account of this portfolio the same purchase rate, so "
        "this figure does not follow how often this account buys (it bought in 14 different weeks over the 26 weeks "
        "since its first order), while the forecast does (the forecast section gives its reason); this figure is "
        "also discounted."
    )
    assert "really bought after past dates" not in text
    # a value model that tells the accounts' rates apart, or a forecast from that same model: as before
    assert "the same purchase rate" not in _value_outlook(same_rate=False)
    assert "the same purchase rate" not in _value_outlook(same_rate=True, method="BTYD expected value")
