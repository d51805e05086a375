"""Page contradictions a KAM would trip over (issue 17, the FACES2 pass): a portfolio figure never reads as
the account's, a share never goes below 0, a note agrees with its own numbers, a tie says nothing, a count
of weeks fits in its span, and an empty section says why."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
from _factory import valid_tables, write_folder
from _threat import no_bid_threat_rows

from kamtools.data.loader import load_portfolio


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def _shown(captured) -> str:
    return _text(" ".join(captured))


# ---- 5. credit notes: whose returns rate, and no share below 0 ----------------------------------------


def _credited(tmp_path):
    """The factory export with a credit note on A001 larger than its orders of the last 12 months."""
    tables = valid_tables()
    tables["orders"].loc[len(tables["orders"])] = ["CN-9001", "1", "A001", "P01", "2024-06-01", "-500", "-20000", ""]
    return load_portfolio(write_folder(tmp_path / "export", tables))


def test_the_returns_note_says_it_is_the_portfolios_and_the_card_rounds_as_the_note():
    from kamtools.kpis.stage import returns_notes
    from kamtools.sections.kpis import returns_card

    note = returns_notes(pd.DataFrame({"returns_ltm": [119_100.0], "returns_rate": [0.0141]}))[0]
    assert "(across the portfolio 1.4% of gross revenue in the last 12 months;" in note
    assert "each account's own share is on its returns card" in note
    # the overview card and the note: one decimal under 10%, so 1.4% is not shown as 1% beside it
    assert returns_card({"returns_ltm": 119_100.0, "returns_rate": 0.0141})[1].startswith("1.4% of gross")
    assert returns_card({"returns_ltm": 112_900.0, "returns_rate": 0.51})[1].startswith("51% of gross")


def test_returns_above_the_orders_give_a_share_of_wallet_and_attainment_of_zero(tmp_path):
    from kamtools.competitors.wallet import share_of_wallet
    from kamtools.kpis import target_kpis

    p = _credited(tmp_path)
    sow = share_of_wallet(p).set_index("account_id")
    assert sow.loc["A001", "revenue_ltm"] < 0
    assert sow.loc["A001", "share_of_wallet"] == 0.0  # not -1%
    t = target_kpis(p).set_index("account_id")
    assert t.loc["A001", "revenue_ytd"] < 0
    assert t.loc["A001", "target_attainment"] == 0.0  # "0% reached", not "-107% reached"
    assert t.loc["A001", "target_pace"] == 0.0
    assert t.loc["A001", "target_gap"] > t.loc["A001", "target"]  # still to sell: more than the target
    assert t.loc["A002", "target_attainment"] > 0


def test_the_threat_reason_says_returns_only_where_net_revenue_is_negative():
    from kamtools.competitors.threat import _threat_reasons

    out = no_bid_threat_rows(
        account_id=["A0003", "A0004"],
        revenue_ltm=[-1_300.0, 9_000.0],
        revenue_prior_12m=[18_700.0, 18_000.0],
        revenue_change_pct=[-1.07, -0.5],
        share_of_wallet=[0.0, 0.16],
        share_of_wallet_prior=[0.34, 0.33],
    )
    reasons = _threat_reasons(out, 12)
    assert "Share of wallet fell from 34% to 0%: returns and credit notes exceeded its orders" in reasons[0]
    assert "net revenue -1.3k" in reasons[0] and "-2%" not in reasons[0] and "-107%" not in reasons[0]
    assert "Share of wallet fell from 33% to 16% (revenue -50%)." in reasons[1]


# ---- 6. the forecast_summary note agrees with its own shares ---------------------------------------------


class _Sel:
    """What the top-of-range note reads of a Selection: per-account multiples of similar accounts."""

    def __init__(self, ratios: list[np.ndarray], btyd: object = "btyd"):
        n = len(ratios)
        self.total_ratio = np.column_stack([np.full(n, 0.2), np.full(n, 0.9)])
        self.evidence = SimpleNamespace(horizon=12, klass=np.array(["a"] * 50))
        self.klass = np.array(["a"] * n)
        self.btyd = btyd
        self._ratios = ratios

    def total_ratios(self, h):
        return self._ratios


def test_the_top_of_range_note_never_claims_8_in_10_when_half_bought_less():
    from kamtools.forecast.accounts import _top_of_range_note

    half = [np.r_[np.full(5, 0.5), np.full(5, 1.5)]] * 3  # 50% bought less than their forecast
    m = np.array([100.0, 200.0, 300.0])
    note = _top_of_range_note(_Sel(half), m, "out of time", hi=m)
    assert "50% of accounts like them bought less than their forecast" in note
    assert "8 in 10" not in note
    assert "own chance of buying nothing in the 12 months" in note
    assert "their range is shown from its low end up to the forecast" in note
    most = [np.r_[np.full(9, 0.5), np.full(1, 3.0)]] * 3  # 90% bought less: the original reading holds
    note = _top_of_range_note(_Sel(most), m, "out of time", hi=m)
    assert "90% of accounts like them bought less" in note and "above what 8 in 10 of them reached" in note


# ---- 7. ties and week counts -----------------------------------------------------------------------------


def test_no_low_activity_note_when_every_account_scores_100():
    from kamtools.segment.tiers import assign_tiers

    n = 10
    matrix = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "attractiveness": np.linspace(10, 90, n),
            "strength": np.full(n, np.nan),
            "quadrant": ["less attractive"] * n,
        }
    )
    value = pd.DataFrame(
        {
            "account_id": matrix["account_id"],
            "expected_value_12m": np.linspace(1, 10, n),
            "p_alive": 1.0 - np.linspace(0, 1e-9, n),  # all read "100 out of 100"
        }
    )
    score = pd.DataFrame(  # the value stage's check: P(alive) is a score here, not a probability
        {"model": ["p_alive_check"], "parameter": ["check_status"], "estimate": [3.0], "note": [""]}
    )
    tiers = assign_tiers(matrix, value, value_model=score)
    assert not tiers["tier_reason"].str.contains("lowest 20% of accounts by activity score").any()
    value["p_alive"] = np.linspace(0.05, 1.0, n)  # a score that separates accounts still earns the note
    tiers = assign_tiers(matrix, value, value_model=score)
    assert tiers["tier_reason"].str.contains("lowest 20% of accounts by activity score").sum() == 2


# ---- 8. the target the forecast section shows is on page one --------------------------------------------


def test_page_one_takes_the_forecast_target_where_the_summary_row_has_none():
    from kamtools.sections.summary import _with_forecast_target, missing_headlines, target_card

    info = {"account_id": "A0032", "target_attainment": np.nan, "target_probability": np.nan}
    targets = pd.DataFrame({"period": [2027], "p_reach_target": [0.2078], "expected_attainment": [0.89]})
    shown = _with_forecast_target(info, targets)
    assert target_card(shown)[1] == "2027: 21% chance to make it"
    bundle = SimpleNamespace(manifest={"skipped": {}})
    assert not any(m.startswith("Target status") for m in missing_headlines(shown, bundle))
    # a kpis attainment of this year is kept as it is (never paired with next year's probability)
    kept = {"target_attainment": 0.7, "target_period": 2026}
    assert _with_forecast_target(kept, targets) is kept


# ---- 11. the manifest's churn note words a score as a score -----------------------------------------------


def test_the_churn_note_says_score_where_the_churn_is_a_score(monkeypatch):
    import kamtools.churn as churn

    method = "a churn score, not a probability: the value model's chance of no order in the next 6 months"
    res = SimpleNamespace(
        table=pd.DataFrame({"account_id": ["A1"], "method": [method]}),
        notes=["Revenue at risk is the churn probability x the account's 12-month forecast."],
        features=pd.DataFrame(),
        model=None,
        method=method,
    )
    fit = SimpleNamespace(
        definition=None, trainable=False, note="The churn model needs 27 months.", min_history_months=27
    )
    monkeypatch.setattr(churn, "fit_definition", lambda p, d: fit)
    monkeypatch.setattr(churn, "training_set", lambda *a, **k: None)
    monkeypatch.setattr(churn, "score_details", lambda *a, **k: res)
    monkeypatch.setattr(churn, "CHURN_COLUMNS", ["account_id"])
    note = churn.bundle_tables(None, {})["_notes"]["churn"]
    assert "Revenue at risk is the churn score x the account's 12-month forecast." in note
    assert "probability x" not in note
    res.table["method"] = "model"  # a trained model's probability keeps the word
    note = churn.bundle_tables(None, {})["_notes"]["churn"]
    assert "Revenue at risk is the churn probability x" in note


def test_the_weeks_bought_fit_in_the_weeks_counted():
    from kamtools.sections.value import _weeks_bought

    assert (
        _weeks_bought(4, 3.1) == "in each of the 4 weeks from its first order to the analysis date (both weeks counted)"
    )
    assert _weeks_bought(4, 4.4) == "in 4 different weeks over the 4 weeks since its first order"
    assert _weeks_bought(7, 51.0) == "in 7 different weeks over the 51 weeks since its first order"
    assert _weeks_bought(1, 2.0) == "in 1 week over the 2 weeks since its first order"


# ---- 12 / 13. empty sections say why; no 100% margin to hold without costs --------------------------------


def test_no_account_bought_again_is_worded_without_a_zero(tmp_path):
    from kamtools.history import order_history
    from kamtools.value.stage import _too_little_to_learn

    p = load_portfolio(write_folder(tmp_path / "export", valid_tables()))
    reason = str(_too_little_to_learn(pd.DataFrame({"frequency": np.zeros(300)}), order_history(p)))
    assert "and no account bought again in a later week" in reason and "only 0" not in reason
    reason = str(_too_little_to_learn(pd.DataFrame({"frequency": np.r_[np.zeros(299), 1.0]}), order_history(p)))
    assert "and only 1 account bought again in a later week" in reason


def test_a_margin_of_100_percent_without_costs_is_not_an_objective_to_hold():
    from kamtools.kpis.stage import cost_notes
    from kamtools.plan.objectives import _margin_objectives

    facts = pd.DataFrame({"margin_pct": [1.0, 0.3], "margin_benchmark": [1.0, 0.25]})
    rows = _margin_objectives(facts, np.array(["C1", "C2"]), np.array([100.0, 200.0]))
    text = {r[0]: (r[6], r[7]) for r in rows}
    assert "hold it" not in text["C1"][1] and "every cost is 0" in text["C1"][1]
    assert text["C1"][0] == "Gross margin: not set until the costs are booked (every cost on its orders is 0)"
    assert text["C2"][1].endswith("hold it")
    target = {r[0]: r[4] for r in rows}  # no margin target until the costs are booked (plan_summary reads it)
    assert np.isnan(target["C1"]) and np.isclose(target["C2"], 0.3)
    kpis = pd.DataFrame({"revenue_ltm": [10.0, 20.0, 0.0], "margin_ltm": [10.0, 20.0, 0.0]})
    assert "Every cost on the orders of the last 12 months is 0" in cost_notes(kpis)[0]
    assert cost_notes(kpis.assign(margin_ltm=[4.0, 20.0, 0.0])) == []


def test_an_account_far_from_its_clusters_size_says_so():
    from kamtools.sections.segment import _own_size

    row = pd.Series({"cluster_name": "mid-size, new, single category", "score_revenue_ltm": 8.9})
    assert _own_size(row) == (
        " (named for its members' typical revenue; this account's own revenue, last 12 months, is at percentile 9 "
        "of all accounts)"
    )
    assert _own_size(row.copy().replace({8.9: 50.0})) == ""
    assert _own_size(pd.Series({"cluster_name": "large, stable", "score_revenue_ltm": 80.0})) == ""


def test_no_recommendation_says_every_category_is_bought(captured):
    from kamtools.sections.whitespace import _top_whitespace, no_recommendations

    two = pd.DataFrame({"account_id": ["C1", "C1"], "category": ["CDs", "DVDs"], "status": ["bought", "bought"]})
    assert no_recommendations(two, "the account") == (
        "No recommendations: the account already buys every category in the data (2 categories)."
    )
    grid = pd.DataFrame({"account_id": ["C1", "C2"], "category": ["CDs", "CDs"], "status": ["bought", "never"]})
    recs = pd.DataFrame(columns=["account_id", "category", "p_adopt", "expected_value", "recommended", "scorer"])
    bundle = SimpleNamespace(
        table=lambda name: {"whitespace_recommendations": recs, "whitespace_grid": grid}[name],
        accounts=pd.DataFrame({"account_id": ["C1", "C2"]}),
        manifest={"skipped": {}, "settings": {}},
    )
    _top_whitespace(bundle)
    page = _shown(captured)
    assert "No recommendations: the data holds one product category (CDs), so there is no other category" in page
    assert "0 accounts have 0 recommended categories" not in page and "adoption probability" not in page


# ---- 12. every heading of a one-order-day page has a sentence under it -------------------------------------


def _empty_headings(markup: list[str]) -> list[str]:
    """Headings followed directly by a heading of the same or a higher rank (nothing said under them)."""
    seq = []
    for m in markup:
        h = re.match(r"\s*<h([1-6])[^>]*>(.*?)</h\1>\s*$", str(m), flags=re.S)
        if h:
            seq.append((int(h.group(1)), _text(h.group(2)).strip()))
        elif "kam-anchor" not in str(m):
            seq.append((9, ""))
    return [t for (lv, t), (nxt, _) in zip(seq, seq[1:] + [(1, "")]) if lv < 9 and nxt <= lv]


def test_a_one_order_day_page_says_why_each_section_is_empty(tmp_path, monkeypatch, captured):
    import warnings

    import kamtools.sections as sections
    from kamtools.bundle import Bundle, analyze

    tables = valid_tables()
    keep = {"accounts", "products", "orders"}
    tables = {k: v for k, v in tables.items() if k in keep}
    tables["orders"]["order_date"] = "2024-06-28"
    p = load_portfolio(write_folder(tmp_path / "export", tables))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analyze(p, tmp_path / "b", progress=False)
    monkeypatch.setattr(sections, "STRICT", True)
    bundle = Bundle.open(tmp_path / "b")
    acct = bundle.account("A001")
    for s in sections.ACCOUNT_SECTIONS:
        sections.account(s.key, acct)
    page = list(captured)
    assert _empty_headings(page) == []
    text = _shown(page)
    for why in ("No invoices table was supplied", "No complaints table was supplied", "No contacts table"):
        assert why in text
    captured.clear()
    for s in sections.PORTFOLIO_SECTIONS:
        sections.portfolio(s.key, bundle)
    assert _empty_headings(list(captured)) == []
