"""Issue 17 (READCJ, after FACECJ and FACECJ2): the grocery panel's top 100 households by revenue up to 2017-06-30, read as a KAM preparing a
quarterly review (overview and seven household pages), and what misled.

- H0889's page gave its usual gap between orders twice, as two numbers: the RFM bullet read 'came within its usual
  gap between orders (4 days)', the churn section 'Last order 3 days ago, within its usual gap of 3.5 days'.
- Every page's "Parts of the plan left out" read 'Competitors: No competitor results are available (that analysis
  was skipped or not run), so its part of the plan is missing.', where the data simply held neither an
  opportunities nor a competitor_prices table (the other parts named their missing table).
- H1899's value section put a forecast 40% below the value model's figure down to "what the accounts of this
  portfolio ... really bought after past dates", where the value model gave every household the same 49.9 purchase
  weeks in 12 months and H1899 had bought in 14 of its 26 weeks.
- The overview's RFM table read 'lost: 7 accounts', 'hibernating: 5', 'at risk: 13', 'cannot lose: 5' with nothing
  saying that 12 of those 30 households had placed their last order within their usual gap between orders (the
  account pages say it, one by one).
- The overview's clusters read 'small, occasional orders, single category' and 'small, occasional orders, single
  category (2)' (1.92 and 4.25 orders a month): the number told the KAM nothing.
- H1852's churn section read 'No order for 12 days, where it usually orders every 2 days' under a churn score of
  0/100 (low) from a value model that saw no household stop (a = 1.5e-08, b = 10,000,000), and nothing said why the
  score ignored the silence.
- The overview's forecast section pointed to the appendix with '(the history is too short to backtest the kamtools
  model)', a word of the analyst's log (PLAIN_BANNED) where the value sections say 'too short to test the kamtools
  model on it'.
- The overview's value section said the value model 'ranks accounts by what they may be worth' and listed H0973 (15
  buying weeks of 25) third by value, above households that bought every week, where the model gave every household
  the same purchase rate (said only in the appendix).
- The index read "Churn figures marked 'score' (such as 57/100) are scores" above 100 rows of 'score 0/100 (low)':
  the 57 was fixed text.
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
from _portfolio import one_product_portfolio
from _segment_page import segment_row, segment_section_text


def _page_text(captured) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "".join(captured))))


def _segment_page(captured, feats: pd.DataFrame) -> str:
    row = segment_row(
        "H0889",
        frequency=52,
        monetary=3_218.05,
        revenue_ltm=3_218.05,
        cluster_name="small, occasional orders, single category",
    )
    return segment_section_text(captured, row, feats)


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


def _plan_unavailable(stages=("kpis", "competitors", "plan"), **extra) -> pd.Series:
    from kamtools.stages.runner import execute

    weeks = pd.date_range("2017-01-02", "2017-06-30", freq="7D")
    lines = [(a, d.strftime("%Y-%m-%d"), 100.0, 1.0) for a in ("H1", "H2", "H3") for d in weeks]
    p = one_product_portfolio(lines, "2017-06-30")
    for name, table in extra.items():
        p.tables[name] = table
    return execute(p, names=list(stages)).tables()["plan_unavailable"].set_index("part")["reason"]


def test_the_plan_names_the_tables_missing_for_its_competitor_part():
    why = _plan_unavailable()
    # the competitor stage's own reason reaches the plan (the stage runner hands on what a stage left out, and why)
    assert why["competitors"] == (
        "Neither opportunities nor competitor_prices were supplied, so competitor threats cannot be assessed."
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
    assert "supplied" not in _plan_unavailable(("kpis", "plan"), competitor_prices=prices)["competitors"]


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


def test_the_overview_rfm_table_says_how_many_quiet_named_accounts_ordered_within_their_usual_gap(captured):
    from types import SimpleNamespace

    from kamtools.sections.segment import _rfm

    seg = pd.DataFrame(
        {
            "account_id": ["H1", "H2", "H3", "H4"],
            "rfm_segment": ["lost", "lost", "at risk", "champions"],
            "revenue_ltm": [3_218.0, 3_000.0, 3_700.0, 11_300.0],
            "lapsed_months": np.nan,
        }
    )
    feats = pd.DataFrame(
        {
            "account_id": ["H1", "H2", "H3", "H4"],
            "recency_ratio": [0.86, 0.5, 6.0, 0.0],
            "days_since_last_order": [3.0, 4.0, 12.0, 0.0],
        }
    )
    bundle = SimpleNamespace(manifest={}, table=lambda name: feats)
    _rfm(bundle, seg)
    assert _page_text(captured).endswith(
        "2 of the 3 accounts named 'lost' or 'at risk' placed their last order within their usual gap between orders "
        "(the longest silence among them 4 days): for them the name only ranks the last order, order count and "
        "revenue among the other accounts' and does not say that they have stopped buying. "
    )
    captured.clear()  # every quiet-named account silent beyond its usual gap: nothing to add
    _rfm(SimpleNamespace(manifest={}, table=lambda name: feats.assign(recency_ratio=2.0)), seg)
    assert "usual gap" not in _page_text(captured)


def test_two_clusters_alike_in_every_trait_are_named_against_each_other():
    from kamtools.segment.clusters import _name_clusters

    # the grocery panel's four clusters at 2017-06-30 (z-scores and medians of their features, rounded)
    z = pd.DataFrame(
        {
            "revenue_level": [1.2, -0.45, -0.55, -0.6],
            "order_frequency": [0.3, 0.2, -2.6, -1.2],
            "category_breadth": [0.0] * 4,
            "margin_pct": [0.0] * 4,
        }
    )
    raw = pd.DataFrame(
        {
            "revenue_level": [8.6, 8.2, 8.2, 8.2],
            "order_frequency": [2.4, 2.4, 1.1, 1.7],
            "category_breadth": [1.0] * 4,
            "margin_pct": [1.0] * 4,
        }
    )
    assert _name_clusters(z, raw) == [
        "large, single category",
        "mid-size, single category",
        "small, occasional orders, single category, fewer orders",
        "small, occasional orders, single category, more orders",
    ]
    # three alike keep their numbers: no pair to compare
    three = _name_clusters(z.iloc[[2, 2, 2]].reset_index(drop=True), raw.iloc[[2, 2, 2]].reset_index(drop=True))
    assert three == [
        "small, occasional orders, single category",
        "small, occasional orders, single category (2)",
        "small, occasional orders, single category (3)",
    ]


def _churn_why(captured, days: float, band: str, a: float) -> str:
    from kamtools.sections.churn import _gap_why

    tables = {
        "churn_features": pd.DataFrame(
            {"account_id": ["H1852"], "days_since_last_order": [days], "usual_order_gap_days": [1.6]}
        ),
        "churn": pd.DataFrame({"account_id": ["H1852"], "churn_probability": [1.5e-11], "risk_band": [band]}),
    }
    model = pd.DataFrame(
        {
            "model": ["bg_nbd"] * 4 + ["bg_nbd"],
            "parameter": ["r", "alpha", "a", "b", "chosen"],
            "estimate": [6.3e7, 6.6e7, a, 1.0e7, 1.0],
        }
    )

    class Acct:
        def table(self, name):
            return tables[name]

        def portfolio_table(self, name):
            return model

    _gap_why(Acct())
    return _page_text(captured)


def test_a_low_churn_score_after_a_long_silence_says_the_value_model_saw_no_one_stop(captured):
    text = _churn_why(captured, 12.0, "low", 1.52e-08)
    assert "No order for 12 days, where it usually orders every 1.6 days." in text
    assert text.rstrip().endswith(
        "The figure stays low after that silence because the value model behind it saw practically no account stop "
        "buying in this history (its chance that an account stops after a purchase week is about 0): it reads any "
        "silence as a pause, so check the silence above with the account rather than rely on the figure."
    )
    for days, band, a in ((3.0, "low", 1.52e-08), (12.0, "low", 1.0e5), (12.0, "medium", 1.52e-08)):
        captured.clear()  # within twice its gap, a model that sees stops, or a figure not low: no such sentence
        assert "stays low" not in _churn_why(captured, days, band, a)


def test_the_decks_churn_reason_after_a_long_silence_also_says_why_the_figure_stays_low():
    from kamtools.deck.build import _order_gap

    def account(days: float, band: str, a: float):
        tables = {
            "churn_features": pd.DataFrame(
                {"account_id": ["C16029"], "days_since_last_order": [days], "usual_order_gap_days": [8.0]}
            ),
            "churn": pd.DataFrame({"account_id": ["C16029"], "churn_probability": [1e-9], "risk_band": [band]}),
        }
        model = pd.DataFrame(
            {"model": ["mbg_nbd"] * 5, "parameter": ["r", "alpha", "a", "b", "chosen"], "estimate": [2, 3, a, 1e7, 1]}
        )
        return SimpleNamespace(table=tables.get, portfolio_table=lambda name: model)

    # Online Retail's C16029 at 2011-11-30: 'Churn probability <0.1% (low band)' beside this silence, and nothing more
    assert _order_gap(account(29.0, "low", 1.52e-08)) == (
        "No order for 29 days, where it usually orders every 8 days. The figure stays low all the same: the value "
        "model saw practically no account stop buying in this history and reads any silence as a pause; check this "
        "one with the account."
    )
    # within twice its gap (C14607: 'No order for 6 days, where it usually orders every 5.5 days' read the same
    # warning), a model that sees stops, or a figure that is not low: no such sentence
    for days, band, a in ((12.0, "low", 1.52e-08), (29.0, "low", 1.0e5), (29.0, "medium", 1.52e-08)):
        assert "stays low" not in _order_gap(account(days, band, a))


def test_the_overviews_pointer_to_the_forecast_appendix_is_in_plain_words():
    from types import SimpleNamespace

    from kamtools.forecast.selection.plain import PLAIN_BANNED
    from kamtools.sections.forecast import appendix_pointer

    short = SimpleNamespace(has=lambda name: name == "forecast_methods")
    text = appendix_pointer(short)
    assert text == (
        "What the forecast could be checked on (the history is too short to test the kamtools model on past data) "
        "and which method each account uses: see the appendix."
    )
    assert not [w for w in PLAIN_BANNED if w.lower() in text.lower()]
    assert appendix_pointer(SimpleNamespace(has=lambda name: False)) == ""


def _value_model(status: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": ["bg_nbd", "bg_nbd"],
            "parameter": ["chosen", "fit_status"],
            "estimate": [1.0, 4.0],
            "note": ["", status],
        }
    )


def test_the_overview_says_what_a_common_rate_value_model_ranks_accounts_by():
    from types import SimpleNamespace

    from kamtools.sections.value import _plan_with_the_forecast

    def bundle(status):
        tables = {
            "forecast_summary": pd.DataFrame({"account_id": ["H1023"], "forecast_next_12m": [846_700.0]}),
            "forecast_methods": pd.DataFrame(),
            "value_model": _value_model(status),
        }
        return SimpleNamespace(table=lambda name: tables[name])

    text = _plan_with_the_forecast(bundle("common_rate"), 818_800.0, None)
    assert text.startswith(
        "The value model's 818.8k ranks accounts by what they may be worth (discounted at 10% a year); on this history "
        "it gives every account the same purchase rate, so it ranks them only by what a purchase week of each is "
        "worth, not by how often they buy. It is not the revenue forecast. The revenue to plan with is the forecast, "
        "846.7k"
    )
    assert "same purchase rate" not in _plan_with_the_forecast(bundle("identified"), 818_800.0, None)


def test_the_index_gives_a_churn_score_of_its_own_table_as_the_example(tmp_path):
    from test_churn_score_faces import SCORE, _churn, _IndexBundle

    from kamtools.reports.index import write_index

    bundle = _IndexBundle(_churn(SCORE).assign(churn_probability=1.45e-11, risk_band="low"))
    bundle.accounts = bundle.accounts.iloc[:1].assign(churn_probability=1.45e-11, risk_band="low", revenue_at_risk=0.0)
    page = write_index(bundle, tmp_path).read_text(encoding="utf-8")
    assert ">score 0/100 (low)<" in page
    assert "Churn figures marked &#x27;score&#x27; (such as 0/100) are scores, not probabilities" in page
    assert "57/100" not in page


def _value_model(status: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": ["mbg_nbd", "mbg_nbd"],
            "parameter": ["chosen", "fit_status"],
            "estimate": [1.0, np.nan],
            "note": ["", status],
        }
    )


def test_one_purchase_rate_for_all_leaves_expected_value_out_of_attractiveness():
    # READCJ: the grocery panel's value model gave every household the same 49.9 purchase weeks, so its expected
    # value ranked households by basket size alone and lifted H0973 (15 buying weeks of 25) in attractiveness
    from kamtools.segment.stage import segment_accounts

    weeks = pd.date_range("2017-01-02", "2017-06-30", freq="7D")
    lines = [("H1", d.strftime("%Y-%m-%d"), 100.0, 1.0) for d in weeks]  # every week, small baskets
    lines += [("H2", d.strftime("%Y-%m-%d"), 300.0, 1.0) for d in weeks[::4]]  # a week in four, large baskets
    lines += [("H3", d.strftime("%Y-%m-%d"), 150.0, 1.0) for d in weeks[::2]]
    p = one_product_portfolio(lines, "2017-06-30")
    value = pd.DataFrame(
        {"account_id": ["H1", "H2", "H3"], "expected_value_12m": [5_000.0, 20_000.0, 7_500.0], "p_alive": [0.9] * 3}
    )
    common = segment_accounts(p, value, value_model=_value_model("common_rate"))["segments"]
    told_apart = segment_accounts(p, value, value_model=_value_model("identified"))["segments"]
    assert "score_expected_value_12m" not in common.columns  # a criterion known for no account drops out
    assert told_apart["score_expected_value_12m"].notna().all()
    # H2 (largest baskets, fewest weeks, less revenue) is no longer raised above the weekly buyer by basket size
    common, told_apart = common.set_index("account_id"), told_apart.set_index("account_id")
    assert told_apart.loc["H2", "attractiveness"] > told_apart.loc["H1", "attractiveness"]
    assert common.loc["H1", "attractiveness"] > common.loc["H2", "attractiveness"]
    # tier 1 (the top 10% of accounts) by revenue, not by an expected value that only says how large a basket is
    assert (
        told_apart.loc["H2", "tier"] == 1 and "by expected 12-month value (20.0k" in told_apart.loc["H2", "tier_reason"]
    )
    assert common.loc["H1", "tier"] == 1 and common.loc["H2", "tier"] != 1
    assert common.loc["H1", "tier_reason"].startswith("Among the top 10% of accounts by revenue, last 12 months (2.6k")
    assert (
        "Not by expected 12-month value: the value model gives every account the same purchase rate"
        in (common.loc["H1", "tier_reason"])
    )


def test_the_segment_section_says_why_expected_value_is_left_out(captured):
    from types import SimpleNamespace

    row = segment_row("H0973", score_revenue_ltm=40.0)
    bundle = SimpleNamespace(table=lambda name: _value_model("common_rate") if name == "value_model" else None)
    text = segment_section_text(captured, row, bundle=bundle)
    assert "Expected 12-month value is left out: the value model gives every account the same purchase rate" in text


def test_without_any_cost_booked_attractiveness_is_not_pulled_towards_50_by_margin():
    # the grocery panel's H0973: attractiveness 62/100 beside its one criterion shown, size 69.5 (margin, 100% for
    # every household as no cost is booked, counted at 50 for all)
    from kamtools.segment.stage import segment_accounts

    weeks = pd.date_range("2017-01-02", "2017-06-30", freq="7D")
    lines = [(f"H{k}", d.strftime("%Y-%m-%d"), 100.0 * k, 1.0) for k in range(1, 6) for d in weeks[::k]]
    p = one_product_portfolio(lines, "2017-06-30")
    p.tables["orders"] = p.orders.assign(cost=0.0)
    seg = segment_accounts(p)["segments"].set_index("account_id")
    assert "score_margin_pct" not in seg.columns
    assert (seg["attractiveness"] - seg["score_revenue_ltm"]).abs().max() < 1e-9
