"""The plan agrees with itself on a lapsed account: a likely-lost account gets a win-back objective,
never "Keep the account", and no retention objective where the playbook drops the risk as immaterial
(the CDNOW audit's C00014: "Keep the account: bring churn probability from 96% below 30%" beside
"The playbook calls for no action on this account now")."""

from __future__ import annotations

import pandas as pd
import pytest
from _display import value_section_text

from kamtools import plan as P

AS_OF = pd.Timestamp("2026-06-30")


def _kpis(rows: list[dict]) -> pd.DataFrame:
    base = {"name": "Acme", "owner": "Kim", "revenue_prior_ltm": 0.0, "decision_makers": 1.0}
    return pd.DataFrame([{**base, **r} for r in rows])


def _churn(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).assign(
        risk_band=lambda d: ["high" if p >= 0.3 else "low" for p in d["churn_probability"]]
    )


def _plans(kpis: pd.DataFrame, churn: pd.DataFrame):
    return P.plans({"kpis": kpis, "churn": churn}, AS_OF)


def test_a_likely_lost_account_gets_a_win_back_objective_and_a_playbook_action():
    kpis = _kpis(
        [
            {"account_id": "LOST", "revenue_ltm": 60_000.0, "days_since_last_order": 200.0},
            {"account_id": "RISK", "revenue_ltm": 80_000.0, "days_since_last_order": 30.0},
        ]
    )
    churn = _churn(
        [
            {"account_id": "LOST", "churn_probability": 0.96, "revenue_at_risk": 57_600.0},
            {"account_id": "RISK", "churn_probability": 0.45, "revenue_at_risk": 36_000.0},
        ]
    )
    built = _plans(kpis, churn)
    ret = built.objectives[built.objectives["objective"] == "retention"].set_index("account_id")["text"]
    assert ret["LOST"] == (
        "Win back the account: it has probably stopped buying (churn probability 96%, last order 200 days ago); "
        "a new order would bring back part of the 60.0k of the last 12 months"
    )
    assert "Keep the account" not in ret["LOST"]
    # an account at risk but still buying keeps its "keep" objective, unchanged
    assert ret["RISK"].startswith("Keep the account: bring churn probability from 45% below 30%")
    # the playbook acts on both: the objective never stands without an action
    acted = set(built.actions[built.actions["type"] == "retention"]["account_id"])
    assert {"LOST", "RISK"} <= acted


def test_no_retention_objective_where_the_playbook_finds_the_stake_immaterial():
    # C00014 of the audit: churn 96%, 4 of revenue at risk, under the playbook's floor of 1,000
    kpis = _kpis([{"account_id": "C00014", "revenue_ltm": 39.0, "days_since_last_order": 181.0}])
    churn = _churn([{"account_id": "C00014", "churn_probability": 0.96, "revenue_at_risk": 4.0}])
    built = _plans(kpis, churn)
    assert built.actions.empty  # "The playbook calls for no action on this account now"
    texts = built.objectives["text"].tolist()
    assert not [t for t in texts if "Keep the account" in t or "Win back" in t]
    assert texts == ["Reach 39 revenue in the next 12 months"]


def test_without_a_floor_the_objective_stays_as_before():
    facts = pd.DataFrame([{"account_id": "A", "revenue_ltm": 39.0, "churn_probability": 0.5, "revenue_at_risk": 4.0}])
    obj = P.objectives(facts)
    assert obj[obj["objective"] == "retention"]["text"].iloc[0].startswith("Keep the account: bring churn")


# ---- the plan and the value section agree on a win-back case ------------------------------------------------


def _value_model(check: str) -> pd.DataFrame:
    """A value_model table: MBG/NBD chosen and identified; the P(alive) check's status ``check``."""
    from kamtools.value.calibration import CHECK_STATUSES

    return pd.DataFrame(
        [
            {"model": "mbg_nbd", "parameter": "chosen", "estimate": 1.0, "note": "MBG/NBD fits the holdout better."},
            {"model": "mbg_nbd", "parameter": "fit_status", "estimate": float("nan"), "note": "identified"},
            {
                "model": "p_alive_check",
                "parameter": "check_status",
                "estimate": float(CHECK_STATUSES.index(check)),
                "note": "" if check == "ok" else "P(alive) is shown as an activity score, not a probability: why.",
            },
        ]
    )


def _fading(check: str):
    """FADING: churn 55% (between the high band's 30% and the likely loss's 80%), P(alive) 20%; STEADY: churn 45%,
    P(alive) 90%."""
    kpis = _kpis(
        [
            {"account_id": "FADING", "revenue_ltm": 50_000.0, "days_since_last_order": 150.0},
            {"account_id": "STEADY", "revenue_ltm": 80_000.0, "days_since_last_order": 20.0},
        ]
    )
    churn = _churn(
        [
            {"account_id": "FADING", "churn_probability": 0.55, "revenue_at_risk": 27_500.0},
            {"account_id": "STEADY", "churn_probability": 0.45, "revenue_at_risk": 36_000.0},
        ]
    )
    value = pd.DataFrame(
        {
            "account_id": ["FADING", "STEADY"],
            "expected_value_12m": [9_000.0, 70_000.0],
            "p_alive": [0.2, 0.9],
            "frequency": [6, 20],
        }
    )
    tables = {"kpis": kpis, "churn": churn, "value": value, "value_model": _value_model(check)}
    return P.plans(tables, AS_OF), tables


def _value_verdict(tables: dict, account: str) -> str:
    """The value section's paragraph on ``account``, as the account report shows it."""
    from types import SimpleNamespace

    from kamtools.data.portfolio import NotAvailable

    row = tables["value"][tables["value"]["account_id"] == account].assign(
        T=100.0,
        recency=80.0,
        monetary=1_000.0,
        expected_purchases_12m=1.0,
        expected_avg_value=1_000.0,
        margin_pct=0.3,
        expected_margin_12m=3_000.0,
        value_share=0.1,
    )
    acct = SimpleNamespace(
        bundle=SimpleNamespace(manifest={}, table=lambda n: NotAvailable(n), has=lambda n: False),
        account_id=account,
        info={},
        table=lambda n: row,
        portfolio_table=lambda n: tables[n] if n == "value_model" else NotAvailable(n),
    )
    with pytest.MonkeyPatch.context() as mp:
        return value_section_text(acct, mp).text


def test_a_trusted_low_p_alive_turns_keep_into_win_back_as_the_value_section_says():
    built, tables = _fading("ok")
    ret = built.objectives[built.objectives["objective"] == "retention"].set_index("account_id")
    assert ret.loc["FADING", "text"] == (
        "Win back the account: it has probably stopped buying (P(alive) 20%, churn probability 55%, last order "
        "150 days ago); a new order would bring back part of the 50.0k of the last 12 months"
    )
    assert ret.loc["FADING", "basis"] == (
        "P(alive) 20%, the value model's win-back case (a checked P(alive) under 50%), with churn probability 55%"
    )
    assert "Treat it as a win-back case." in _value_verdict(tables, "FADING")
    # a P(alive) that is high keeps "keep the account"; the value section does not call it lost either
    assert ret.loc["STEADY", "text"].startswith("Keep the account: bring churn probability from 45% below 30%")
    assert "win-back" not in _value_verdict(tables, "STEADY")
    assert built.facts.set_index("account_id").loc["FADING", "value_win_back"] == 1.0


def test_an_activity_score_draws_no_win_back_and_no_probability_in_the_plan():
    built, tables = _fading("score")
    ret = built.objectives[built.objectives["objective"] == "retention"].set_index("account_id")
    assert ret.loc["FADING", "text"].startswith("Keep the account: bring churn probability from 55% below 30%")
    assert not built.objectives["text"].str.contains("P\\(alive\\)|Win back").any()
    page = _value_verdict(tables, "FADING")
    assert "activity score of 20 out of 100" in page and "win-back" not in page
    facts = built.facts.set_index("account_id")
    assert facts.loc["FADING", "value_win_back"] == 0.0
    assert facts["p_alive"].isna().all()  # no rule or text can show the score as a probability


def test_a_lapsed_account_is_a_win_back_case_whatever_its_estimated_probability():
    # the churn stage estimates a lapsed account's probability from earlier lapses (here 75%,
    # under the 80% of a likely loss) or leaves it unknown: both are win-back cases, never "Keep"
    kpis = _kpis(
        [
            {"account_id": "L75", "revenue_ltm": 50_000.0, "days_since_last_order": 250.0},
            {"account_id": "LNA", "revenue_ltm": 40_000.0, "days_since_last_order": 300.0},
        ]
    )
    churn = pd.DataFrame(
        [
            {"account_id": "L75", "churn_probability": 0.75, "revenue_at_risk": 30_000.0, "risk_band": "lapsed"},
            {
                "account_id": "LNA",
                "churn_probability": float("nan"),
                "revenue_at_risk": float("nan"),
                "risk_band": "lapsed",
            },
        ]
    )
    built = _plans(kpis, churn)
    ret = built.objectives[built.objectives["objective"] == "retention"].set_index("account_id")
    assert ret.loc["L75", "text"].startswith(
        "Win back the account: it has probably stopped buying (churn probability 75%, last order 250 days ago)"
    )
    assert ret.loc["L75", "basis"] == "lapsed: no order within the churn definition's window (churn probability 75%)"
    assert ret.loc["LNA", "text"].startswith(
        "Win back the account: it has probably stopped buying (churn probability not estimated, last order 300 days"
    )
    assert not ret["text"].str.contains("Keep the account").any()


def test_a_likely_lost_accounts_revenue_objective_is_reached_by_winning_it_back():
    """CDNOW top 300 (READ, as of 1997-12-31): C22279, churn 92%, read "Reach 1.8k revenue in the next 12 months"
    beside "Win back the account: it has probably stopped buying": the forecast is what accounts like it bought on
    average, most of them nothing, so the revenue comes only with a win-back."""
    kpis = _kpis(
        [
            {"account_id": "LOST", "revenue_ltm": 60_000.0, "days_since_last_order": 200.0},
            {"account_id": "RISK", "revenue_ltm": 80_000.0, "days_since_last_order": 30.0},
        ]
    )
    churn = _churn(
        [
            {"account_id": "LOST", "churn_probability": 0.92, "revenue_at_risk": 12_000.0},
            {"account_id": "RISK", "churn_probability": 0.45, "revenue_at_risk": 36_000.0},
        ]
    )
    months = pd.date_range("2026-07-01", periods=12, freq="MS")
    fc = pd.DataFrame(
        [
            {"unique_id": a, "account_id": a, "ds": d, "forecast": v}
            for a, v in (("LOST", 1_000.0), ("RISK", 6_000.0))
            for d in months
        ]
    )
    built = P.plans({"kpis": kpis, "churn": churn, "forecast": fc}, AS_OF)
    rev = built.objectives[built.objectives["objective"] == "revenue"].set_index("account_id")
    assert rev.loc["LOST", "text"] == "Reach 12.0k revenue in the next 12 months by winning the account back"
    assert rev.loc["LOST", "basis"] == (
        "forecast for the next 12 months 12.0k, what accounts like it bought on average: most of them nothing, a few "
        "far more"
    )
    # an account still buying keeps its objective as it was
    assert rev.loc["RISK", "text"] == "Reach 72.0k revenue in the next 12 months"


@pytest.mark.parametrize(
    ("method", "basis"),
    [
        (
            "kamtools model",
            "forecast for the next 12 months 12.0k, from its own months as if it goes on buying as it has; it has "
            "probably stopped, so that comes only if the account is won back",
        ),
        (
            "lapsed: what such accounts bought back",
            "forecast for the next 12 months 12.0k, what accounts like it bought on average: most of them nothing, a "
            "few far more",
        ),
    ],
)
def test_a_win_back_objective_says_what_its_forecast_rests_on(method, basis):
    """Online Retail's top 100 at 2011-11-30: C15749, silent 226 days, read "Reach 27.3k revenue ... by winning the
    account back (forecast ... 27.3k, what accounts like it bought on average: most of them nothing, a few far
    more)", but its forecast came from its own two ordering months (TSB), not from accounts like it."""
    kpis = _kpis([{"account_id": "LOST", "revenue_ltm": 60_000.0, "days_since_last_order": 200.0}])
    churn = _churn([{"account_id": "LOST", "churn_probability": 0.92, "revenue_at_risk": 12_000.0}])
    months = pd.date_range("2026-07-01", periods=12, freq="MS")
    fc = pd.DataFrame([{"unique_id": "LOST", "account_id": "LOST", "ds": d, "forecast": 1_000.0} for d in months])
    summary = pd.DataFrame({"account_id": ["LOST"], "forecast_method": [method]})
    built = P.plans({"kpis": kpis, "churn": churn, "forecast": fc, "forecast_summary": summary}, AS_OF)
    rev = built.objectives[built.objectives["objective"] == "revenue"].set_index("account_id")
    assert rev.loc["LOST", "text"] == "Reach 12.0k revenue in the next 12 months by winning the account back"
    assert rev.loc["LOST", "basis"] == basis
