"""Words and numbers a KAM reads (issue 17, the READER17 audit): the account appendix agrees with the
overview on the churn backtest, a missed target never reads '100% attained', counts carry their noun
in the right number, and shares and scores are rounded as every other face rounds them."""

from __future__ import annotations

from html import escape as esc

import pandas as pd

from kamtools import formatting

RULE = (
    "the recency rule (days since the last order against the account's usual gap), because the churn model "
    "lost to it in a test on past data (the accounts as they were on 2025-10-31; log loss 0.703 against 0.563, ROC AUC 0.67 against 0.71)"
)


AUC = "ROC AUC (ranking; 0.5 = random, 1 = perfect)"
BRIER = "Brier score (mean squared error of the probability; lower is better)"
# the demo's churn test on 2025-10-31: the model lost to the recency rule on both counts
LOST = (
    ("roc_auc", AUC, 0.672, 0.710),
    ("brier", BRIER, 0.203, 0.179),
    ("n_accounts", "Accounts in the test snapshot", 56.0, 56.0),
)


def churn_evaluation(rows=LOST) -> pd.DataFrame:
    """The churn stage's evaluation table (a boosting model tested on 2025-10-31 after 5 snapshots), one row per
    ``(metric, label, model, baseline)``."""
    return pd.DataFrame(
        [
            {
                "metric": m,
                "label": label,
                "model": a,
                "baseline": b,
                "test_as_of": pd.Timestamp("2025-10-31"),
                "chosen_model": "boosting",
                "train_snapshots": 5,
                "definition": "An active account churns when it places no order in the next 6 months.",
                "high_band_from": 0.3,
                "medium_band_from": 0.1,
            }
            for m, label, a, b in rows
        ]
    )


def _churn(method: str, probabilities=(0.05,)) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "account_id": f"A{i}",
                "risk_rank": i,
                "churn_probability": p,
                "risk_band": "low",
                "revenue_at_risk": 10.0,
                "expected_value_12m": 200.0,
                "p_alive": 0.9,
                "method": method,
            }
            for i, p in enumerate(probabilities, start=1)
        ]
    )


class _Account:
    def __init__(self, churn: pd.DataFrame, evaluation):
        self.account_id = "A1"
        self._churn, self._evaluation = churn, evaluation
        self.bundle = None

    def table(self, name):
        return self._churn.head(1) if name == "churn" else pd.DataFrame()

    def portfolio_table(self, name):
        return {"churn": self._churn, "churn_evaluation": self._evaluation}.get(name, pd.DataFrame())


def test_the_account_appendix_says_a_model_was_trained_and_lost_to_the_recency_rule(captured):
    """Seen on every demo account page: 'No churn model was trained, so there is no backtest' beside an
    overview that shows the trained model's backtest (ROC AUC 0.672 against 0.710)."""
    from kamtools.sections import churn as section

    section.account_appendix(_Account(_churn(RULE), churn_evaluation()))
    html = "".join(captured)
    assert "No churn model was trained" not in html
    assert (
        "lost to it in a test on past data (the accounts as they were on 2025-10-31; log loss 0.703 against 0.563, ROC AUC 0.67 against 0.71). "
        "The churn model (boosting) was trained on 5 earlier snapshots and tested on the accounts as they were on "
        "2025-10-31, judged by what happened afterwards; its backtest beside the recency rule:"
    ) in html
    assert "<td>ROC AUC (ranking; 0.5 = random, 1 = perfect)</td><td>0.672</td><td>0.710</td>" in html
    captured.clear()
    section.account_appendix(_Account(_churn("the recency rule"), churn_evaluation()))  # a method that does not say it
    html = "".join(captured)
    assert (
        "A churn model (boosting) was trained on 5 earlier snapshots and tested on the accounts as they were on "
        "2025-10-31, judged by what happened afterwards; it lost to the recency rule in that test (ROC AUC 0.672 "
        "against 0.710; Brier score 0.203 against 0.179, the model first), so every account&#x27;s churn risk "
        "comes from the rule, not the model."
    ) in html
    assert "<td>ROC AUC (ranking; 0.5 = random, 1 = perfect)</td>" in html  # the same table as the overview


def test_the_account_appendix_without_any_backtest_still_says_no_model_was_trained(captured):
    from kamtools.data.portfolio import NotAvailable
    from kamtools.sections import churn as section

    section.account_appendix(_Account(_churn("the recency rule"), NotAvailable("No churn model was trained.")))
    assert "No churn model was trained, so there is no backtest." in "".join(captured)


def test_the_lowest_risk_account_is_never_lower_than_100_percent_of_the_accounts(captured):
    """'That is lower than for 100% of the active accounts' cannot be true: the account is one of them."""
    from kamtools.sections import churn as section

    probabilities = [0.01] + [0.05 + i / 10_000 for i in range(299)]
    acct = _Account(_churn("churn model (boosting)", probabilities), pd.DataFrame())
    text = section._position(acct, 0.01)
    assert text == " That is lower than for 99.6% of the active accounts."
    assert section._position(acct, 0.05 + 298 / 10_000) == " That is higher than for 99.6% of the active accounts."


def test_a_missed_target_never_reads_100_percent_attained():
    """Seen on the demo overview: '2025: 18.37M booked against a target of 18.46M (100% attained; missed)'."""
    from kamtools.sections.forecast import target_sentence

    row = pd.Series(
        {
            "period": 2025,
            "revenue_target": 18_460_000.0,
            "booked_ytd": 18_370_000.0,
            "expected_total": 18_370_000.0,
            "p_reach_target": 0.0,
            "months_remaining": 0,
        }
    )
    assert target_sentence(row) == "2025: 18.37M booked against a target of 18.46M (99.5% attained; missed)."
    reached = row.copy()
    reached["booked_ytd"] = 18_470_000.0
    assert target_sentence(reached) == "2025: 18.47M booked against a target of 18.46M (100% attained; reached)."
    assert formatting.attainment(0.87) == "87%" and formatting.attainment(0.9996) == "99.9%"


def test_the_kpi_and_page_one_target_cards_never_round_a_shortfall_up_to_100_percent():
    from kamtools.sections.kpis import kpi_cards
    from kamtools.sections.summary import target_card

    card = target_card({"target_attainment": 0.998, "target_period": 2026})
    assert card is not None and card[1].startswith("2026: 99.8% reached")
    cards = {label: text for label, text, _ in kpi_cards({"target_attainment": 0.997, "target_pace": 0.999})}
    assert cards["Target attainment (pace)"] == "99.7% (99.9%)"


def test_a_tiny_share_reads_below_a_tenth_of_a_percent_not_zero():
    """The shortfall table mixed '0%' (exactly none) and '0.0%' (a chance that rounds to nothing)."""
    assert [formatting.pct(p) for p in (0.0, 0.0004, 0.004, 0.04)] == ["0%", "<0.1%", "0.4%", "4%"]
    assert esc("<0.1%") in formatting_table_cells([0.0, 0.0004])


def formatting_table_cells(shares) -> str:
    from kamtools import display

    return display.table(pd.DataFrame({"p": shares}), pct=["p"])


def test_counted_puts_the_noun_in_the_right_number_with_a_thousands_separator():
    assert formatting.counted(1, "day") == "1 day"
    assert formatting.counted(2, "day") == "2 days"
    assert formatting.counted(1000, "account") == "1,000 accounts"
    assert formatting.counted(1, "category", "categories") == "1 category"
    assert formatting.counted(0, "category", "categories") == "0 categories"


CHECK = (
    "P(alive) is shown as an activity score, not a probability: on the last 18 weeks held out, 20% of the accounts "
    "bought again where the model expected 19% (mean P(alive) at their start 50%), but a holdout under 26 weeks "
    "misses the accounts that come back after a long silence."
)
ACTIVITY = (
    "The activity score is the value model's chance that the account buys within the next 18 weeks, not P(alive): "
    "on the last 18 weeks held out it ranked who bought again better (area under the ROC curve 0.73 against 0.71)."
)


def _value_model(buy_soon: bool = True) -> pd.DataFrame:
    from kamtools.value.calibration import CHECK_STATUSES

    rows = [
        ("mbg_nbd", "chosen", 1.0, "MBG/NBD was chosen on the holdout."),
        ("mbg_nbd", "fit_status", float("nan"), "identified"),
        ("p_alive_check", "check_status", float(CHECK_STATUSES.index("score")), f"{CHECK} {ACTIVITY}"),
    ]
    if buy_soon:
        rows += [("activity_score", "uses_p_buy", 1.0, ACTIVITY), ("activity_score", "weeks", 18.0, "")]
    return pd.DataFrame(
        [{"model": m, "parameter": p, "estimate": e, "std_error": float("nan"), "note": n} for m, p, e, n in rows]
    )


def _value_account(model: pd.DataFrame, frequency: int = 6, t: float = 51.0, recency: float = 50.0):
    from types import SimpleNamespace

    value = pd.DataFrame(
        [
            {
                "account_id": "C1",
                "p_alive": 0.05,
                "frequency": frequency,
                "T": t,
                "recency": recency,
                "expected_purchases_12m": 0.3,
                "expected_avg_value": 44.0,
                "expected_value_12m": 11.0,
                "expected_margin_12m": 5.0,
                "margin_pct": 0.48,
                "value_share": 0.0001,
            }
        ]
    )
    tables = {"value": value, "value_model": model}
    bundle = SimpleNamespace(table=lambda n: tables.get(n, pd.DataFrame()), manifest={})
    return SimpleNamespace(
        bundle=bundle, account_id="C1", info={}, table=lambda n: tables.get(n), portfolio_table=bundle.table
    )


def test_the_account_page_says_once_and_plainly_what_the_activity_score_is(captured):
    """CDNOW at 12 months: 'P(alive) is shown as an activity score ... The activity score is ... not P(alive)'
    read as a contradiction on the account page, and the appendix printed the second sentence again."""
    from kamtools.sections import value as section

    section.account_section(_value_account(_value_model()))
    page = "".join(captured)
    assert (
        "The activity score is the value model&#x27;s chance that the account buys within the next 18 weeks, on a "
        "scale of 0 to 100; it is not P(alive), the chance that the account is still a customer"
    ) in page
    assert "shown as an activity score" not in page
    assert page.count("The activity score is") == 1
    captured.clear()
    section.account_appendix(_value_account(_value_model()))
    appendix = "".join(captured)
    assert "P(alive) is not shown as a probability: on the last 18 weeks held out" in appendix
    assert "shown as an activity score" not in appendix
    assert appendix.count("ranked who bought again better") == 1


def test_without_the_chance_of_buying_soon_the_check_sentence_is_quoted_as_before(captured):
    from kamtools.sections import value as section

    section.account_section(_value_account(_value_model(buy_soon=False)))
    assert esc(CHECK) in "".join(captured)


def test_the_value_page_writes_weeks_in_the_right_number(captured):
    """'bought in 1 different weeks', '33 week(s) before the analysis date'."""
    from kamtools.sections import value as section

    section.account_section(_value_account(_value_model(), frequency=0, t=2.0, recency=1.0))
    page = "".join(captured)
    assert "The account bought in 1 week over the 2 weeks since its first order; its last order was 1 week before" in (
        page
    )
    captured.clear()
    section.account_section(_value_account(_value_model(), frequency=6, t=51.0, recency=18.0))
    assert "bought in 7 different weeks over the 51 weeks since its first order; its last order was 33 weeks" in (
        "".join(captured)
    )


def test_the_value_overview_counts_a_thousand_accounts_with_a_separator(captured):
    from types import SimpleNamespace

    from kamtools.sections import value as section

    value = pd.concat([_value_account(_value_model()).table("value")] * 1000, ignore_index=True)
    value["account_id"] = [f"C{i}" for i in range(1000)]
    tables = {"value": value, "value_model": _value_model()}
    bundle = SimpleNamespace(
        table=lambda n: tables.get(n, pd.DataFrame()), has=tables.__contains__, manifest={}, accounts=pd.DataFrame()
    )
    section.portfolio_section(bundle)
    cards = "".join(captured)
    assert "1,000" in cards and ">1000<" not in cards
    assert "P(alive) is not shown as a probability" in cards and "shown as an activity score" not in cards


def test_the_red_health_list_shows_whole_scores_as_the_index_does(captured):
    """The overview printed '24.30' and '26.70' where the index shows '24' and '27'."""
    from types import SimpleNamespace

    from kamtools.sections import kpis as section

    kpis = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "name": ["Acme", "Bolt"],
            "owner": ["Kim", "Lee"],
            "revenue_ltm": [163_200.0, 22_400.0],
            "health_score": [24.3, 26.7],
            "health_band": ["red", "red"],
            "top_weakness": ["No order for 23 days", "No order for 249 days"],
        }
    )
    section._most_at_risk(SimpleNamespace(manifest={}), kpis)
    html = "".join(captured)
    assert '<td class="num">24</td>' in html and '<td class="num">27</td>' in html
    assert "24.30" not in html and "26.70" not in html


def test_kpi_sentences_count_days_complaints_and_contacts_in_the_right_number():
    from kamtools.sections import kpis as section

    assert section._days(1.0) == "1 day" and section._days(0.6) == "1 day" and section._days(12.0) == "12 days"
    assert formatting.counted(1500, "day") == "1,500 days"
