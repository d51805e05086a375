"""A tier-1 account whose forecast falls well below its last 12 months gets an action (issue 17: read as a KAM,
CDNOW's top customer, forecast 850 after 1.5k, read "The playbook calls for no action on this account now")."""

from __future__ import annotations

import pandas as pd

from kamtools import plan as P

AS_OF = pd.Timestamp("1997-12-31")


def _tables(rows: dict[str, tuple[float, float, str, str]]):
    """rows: account -> (revenue of the last 12 months, forecast of the next 12, tier, churn band)."""
    ids = list(rows)
    kpis = pd.DataFrame(
        {
            "account_id": ids,
            "name": ids,
            "owner": "Kim",
            "revenue_ltm": [rows[a][0] for a in ids],
            "revenue_prior_ltm": 0.0,
            "days_since_last_order": 30.0,
            "tier": [rows[a][2] for a in ids],
        }
    )
    churn = pd.DataFrame(
        {
            "account_id": ids,
            "churn_probability": [0.9 if rows[a][3] == "lapsed" else 0.1 for a in ids],
            "risk_band": [rows[a][3] for a in ids],
            "revenue_at_risk": 0.0,
        }
    )
    months = pd.date_range("1998-01-01", periods=12, freq="MS")
    forecast = pd.DataFrame(
        [{"unique_id": a, "account_id": a, "ds": ds, "forecast": rows[a][1] / 12} for a in ids for ds in months]
    )
    portfolio = pd.DataFrame(
        {"median_margin_pct": [0.3], "revenue_ltm": [sum(r[0] for r in rows.values())], "active_accounts": [len(ids)]}
    )
    return {"kpis": kpis, "churn": churn, "forecast": forecast, "kpis_portfolio": portfolio}


def test_a_key_account_forecast_well_below_its_year_gets_a_demand_review():
    built = P.plans(
        _tables(
            {
                "TOP": (150_000.0, 85_000.0, "1", "medium"),  # -43%: the action
                "FLAT": (120_000.0, 110_000.0, "1", "low"),  # -8%: nothing
                "MID": (90_000.0, 30_000.0, "2", "low"),  # tier 2: nothing from this rule
                "GONE": (80_000.0, 5_000.0, "1", "lapsed"),  # the win-back call covers it
            }
        ),
        AS_OF,
    )
    rules = built.actions.groupby("account_id")["rule_id"].apply(set)
    assert "forecast_decline" in rules["TOP"]
    assert all("forecast_decline" not in rules.get(a, set()) for a in ("FLAT", "MID", "GONE"))
    top = built.actions[(built.actions["account_id"] == "TOP") & (built.actions["rule_id"] == "forecast_decline")]
    assert top["evidence"].iloc[0] == "Forecast for the next 12 months 85.0k, -43% against 150.0k in the last 12 months"
    assert top["priority"].iloc[0] == "medium"
    assert top["value_basis"].iloc[0] == "forecast below the last 12 months"
    assert round(float(top["value_at_stake"].iloc[0])) == 65_000


def test_no_demand_review_against_a_year_the_history_does_not_hold():
    """Six months of orders (CDNOW's top customer as of 1997-06-30 read 7.0k in "the last 12 months" against a
    12-month forecast of 3.8k): the forecast page leaves the change out, and the plan does not act on it either."""
    rows = {"TOP": (150_000.0, 85_000.0, "1", "medium"), "OLD": (150_000.0, 85_000.0, "1", "medium")}
    tables = _tables(rows)
    tables["forecast_summary"] = pd.DataFrame(
        {"account_id": ["TOP", "OLD"], "revenue_last_12m": [150_000.0, 150_000.0], "forecast_growth_pct": [None, -43.3]}
    )
    built = P.plans(tables, AS_OF)
    rules = built.actions.groupby("account_id")["rule_id"].apply(set)
    assert "forecast_decline" not in rules.get("TOP", set())
    assert "forecast_decline" in rules["OLD"]
    facts = built.facts.set_index("account_id")
    assert pd.isna(facts.loc["TOP", "forecast_vs_ltm"]) and pd.isna(facts.loc["TOP", "forecast_shortfall"])
    assert round(float(facts.loc["OLD", "forecast_shortfall"])) == 65_000
