"""Issue 17 (FACECJ): the grocery panel's pages read as a KAM would, and what they showed.

- The churn section's "Warning signs" (the recency rule gives the figure, the trained model's drivers follow) listed
  what the model saw even where the account does better than most: the quick demo's A0004 read "Our bids were
  priced level with the competitor's" as a warning sign, where the typical bid was 4% dearer; the function also
  took a driver that lowers the risk as a warning sign.
- The tier reason called a score of 98 out of 100 a "low activity score" (the Complete Journey's random 40
  households: six of them, four at 98).
- 'RFM 225 (at risk) ... last order 2 days ago' on the top 60 households, with nothing saying the name only ranks.
- Every top-60 household read an activity score of 100, which the value section called "useful to rank accounts".
- H2459 had halved its spend within the 9 months, and no sentence on the page said so.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from _segment_page import segment_row, segment_section_text

from kamtools.churn.baseline import WARNING_PREFIX, recency_drivers, warning_columns
from kamtools.sections.churn import _rule_why
from kamtools.segment.tiers import assign_tiers


def _text(shown: list[str]) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(shown)))


class _Account:
    def __init__(self, drivers: pd.DataFrame):
        self._drivers = drivers

    def table(self, name):
        assert name == "churn_drivers"
        return self._drivers


def _training() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ratio = rng.gamma(2.0, 1.0, 600)
    churned = rng.random(600) < 1 / (1 + np.exp(-(np.log1p(ratio) - 3.0)))
    return pd.DataFrame({"recency_ratio": ratio, "churned": churned})


def _rule_case():
    ids = ["A1", "A2", "A3", "A4"]
    churn = pd.DataFrame(
        {
            "account_id": ids,
            "risk_band": ["medium"] * 4,
            "driver_1": ["Last order today, within its usual gap of 3 days"] * 4,
            "driver_2": [WARNING_PREFIX + "Our bids were priced level with the competitor's in the last 12 months"]
            + [""] * 3,
            "driver_3": [WARNING_PREFIX + "68% of the open receivable is overdue"] + [""] * 3,
        }
    )
    features = pd.DataFrame(
        {
            "account_id": ids,
            "recency_ratio": [0.0, 0.5, 0.5, 0.5],
            "days_since_last_order": [0.0, 1.0, 1.0, 1.0],
            "usual_order_gap_days": [3.0] * 4,
            "bid_price_gap_pct": [0.035, 4.3, 5.0, 3.9],  # the typical bid is 4% dearer than the competitor's
            "overdue_share": [0.68, 0.1, 0.0, 0.2],
            "complaints_12m": [0.0, 1.0, 2.0, 0.0],
        }
    )
    drivers = pd.DataFrame(  # the model's drivers of A1, as the churn stage writes them
        {
            "account_id": ["A1", "A1", "A1"],
            "rank": np.array([1, 2, 1], dtype=np.int64),
            "feature": ["bid_price_gap_pct", "overdue_share", "complaints_12m"],
            "label": ["a", "b", "c"],
            "contribution": [0.35, 0.3, -0.4],
            "direction": ["raises risk", "raises risk", "lowers risk"],
            "value": [0.035, 0.68, 0.0],
            "value_text": ["+0.0%", "68%", "0"],
            "sentence": [
                "Our bids were priced level with the competitor's in the last 12 months",
                "68% of the open receivable is overdue",
                "No complaint in the last 12 months",
            ],
        }
    )
    return churn, features, drivers


def test_a_warning_sign_is_a_fact_worse_than_the_typical_account_s_not_one_the_model_happened_to_weigh(captured):
    churn, features, drivers = _rule_case()
    out = recency_drivers(drivers, churn, features, _training())
    _rule_why(_Account(out[out["account_id"] == "A1"]))
    page = _text(captured)
    assert "Warning signs" in page and "68% of the open receivable is overdue." in page
    assert "priced level" not in page  # better than most accounts' bids: no warning
    assert "No complaint" not in page  # lowers the risk: no warning
    assert "does no worse than the typical active account is left out" in page
    # the churn table's columns (the overview's main driver, the deck) list what the page lists
    cols = warning_columns(churn, out).set_index("account_id")
    assert cols.loc["A1", "driver_2"] == WARNING_PREFIX + "68% of the open receivable is overdue"
    assert cols.loc["A1", "driver_3"] == ""


def _tiers(p_alive: np.ndarray) -> pd.DataFrame:
    n = len(p_alive)
    matrix = pd.DataFrame(
        {
            "account_id": [f"H{i}" for i in range(n)],
            "attractiveness": np.linspace(10, 40, n),
            "strength": np.full(n, np.nan),
            "quadrant": ["less attractive"] * n,
        }
    )
    value = pd.DataFrame(
        {"account_id": matrix["account_id"], "expected_value_12m": np.linspace(1, 10, n), "p_alive": p_alive}
    )
    score = pd.DataFrame(  # the value stage's check: P(alive) is a score here, not a probability
        {"model": ["p_alive_check"], "parameter": ["check_status"], "estimate": [3.0], "note": [""]}
    )
    return assign_tiers(matrix, value, value_model=score).set_index("account_id")


def test_a_score_near_100_among_the_lowest_fifth_is_not_called_low():
    # the grocery panel's random 40 at 2017-09-30: households silent for 2 months score 98 out of 100, among the
    # lowest fifth, where nearly every other one scores 99 or 100
    tiers = _tiers(np.r_[0.98, 0.98, np.full(8, 0.999)])
    reason = tiers.loc["H0", "tier_reason"]
    assert "low activity score" not in reason
    assert reason.endswith(
        " Note: among the lowest 20% of accounts by activity score (98 out of 100, where the other accounts score "
        "higher: a ranking, not a probability)."
    )
    assert "activity score" not in tiers.loc["H5", "tier_reason"]


def _rfm_bullet(captured, segment: str, feats: pd.DataFrame | None) -> str:
    row = segment_row(
        "H1111",
        recency_days=2.0,
        frequency=132,
        monetary=10_083.38,
        rfm_score="225",
        rfm_segment=segment,
        revenue_ltm=10_083.38,
        abc_revenue="A",
        abc_margin="A",
        cluster_name="mid-size, new, single category",
        attractiveness=80.0,
        quadrant="attractive",
        tier=2,
        tier_reason="Attractive account.",
    )
    return re.search(r"RFM 225 \(.*?(?= ABC class)", segment_section_text(captured, row, feats)).group(0)


def test_an_rfm_at_risk_whose_last_order_came_within_its_usual_gap_says_it_only_ranks_the_account(captured):
    # the grocery panel's top 60 at 2017-09-30: 'RFM 225 (at risk): ... ordered less recently than most accounts;
    # last order 2 days ago', every household having ordered within 17 days
    within = pd.DataFrame(
        {"account_id": ["H1111"], "recency_ratio": [1.0], "days_since_last_order": [2.0], "usual_order_gap_days": [2.0]}
    )
    line = _rfm_bullet(captured, "at risk", within)
    assert line.endswith(
        "last order 2 days ago, 132 orders and 10.1k revenue in the last 12 months. 'at risk' only ranks this "
        "account's last order, order count and revenue among the other accounts': its last order, 2 days ago, came "
        "within its usual gap between orders (2 days), so it does not say the account has stopped buying."
    )
    captured.clear()  # a silence longer than its usual gap (the random 40's H2106: 65 days, usually 10): no such note
    longer = within.assign(recency_ratio=6.5, days_since_last_order=65.0, usual_order_gap_days=10.0)
    assert "does not say the account has stopped buying" not in _rfm_bullet(captured, "at risk", longer)
    captured.clear()
    assert "does not say" not in _rfm_bullet(captured, "champions", within)


def test_an_activity_score_every_account_shares_is_not_called_a_ranking():
    # the grocery panel's top 60 at 2017-09-30 and at 2017-03-31: every household read 100 out of 100, and the value
    # section said the score was 'useful to rank accounts', its churn link 'both rank accounts'
    from kamtools.churn.bands import score_text
    from kamtools.sections.value import CHURN_SCORE_FALLBACK, _churn_link, _same_score_for_all, _score_verdict

    why = "P(alive) is shown as an activity score, not a probability: on the last 13 weeks held out, ..."
    everyone = pd.DataFrame({"p_alive": np.full(60, 1.0) - np.linspace(0, 1e-4, 60)})
    same = _same_score_for_all(everyone)
    assert same == 59
    text = _score_verdict(1.0, False, why, 0, same)
    assert text.startswith(
        "The value model gives it an activity score of 100 out of 100, as it does every other account (59): on this "
        "history the score does not tell the accounts apart, so it ranks none of them. P(alive) is shown as"
    )
    assert "useful to rank" not in text

    class Acct:
        def table(self, name):
            return pd.DataFrame(
                [{"churn_probability": 0.0, "method": CHURN_SCORE_FALLBACK + "6 months, which could not be checked"}]
            )

    link = _churn_link(Acct(), tied=True)
    assert f"score of {score_text(0.0)} comes from the same value model" in link
    assert "both rank accounts" not in link and link.endswith("neither is a probability to act on.")
    # scores that differ still rank: the sentence says so
    apart = pd.DataFrame({"p_alive": [1.0, 0.99, 0.98, 0.19]})
    assert _same_score_for_all(apart) == 0
    assert "useful to rank accounts" in _score_verdict(0.98, False, why, 0, _same_score_for_all(apart))
    assert "both rank accounts" in _churn_link(Acct())


def test_a_fall_within_a_short_history_is_on_the_forecast_section():
    # the grocery panel's H2459 at 2017-09-30: 3.48k in its first 3 months, 1.84k in its last 3, a forecast of
    # 7.2k for 12 months, and no sentence on the page saying that its spend had halved
    from kamtools.sections.forecast import pace_sentence

    months = pd.date_range("2017-01-01", periods=9, freq="MS")
    hist = pd.DataFrame({"ds": months, "y": [1160.0, 1150.0, 1171.0, 1000.0, 980.0, 910.0, 640.0, 600.0, 600.0]})
    srow = pd.Series({"forecast_next_12m": 7156.11})
    assert pace_sentence(hist, srow) == (
        "Per month, the forecast is 596, against 912 over the account's 9 months of history and 613 in the last 3 "
        "months, 36% down on the 3 before (963 a month)."
    )
    assert pace_sentence(hist.iloc[:5], srow) == ""  # under 6 months: no 3 against 3


def test_the_overview_counts_one_action_and_one_account_in_the_singular():
    # the grocery panel's random 40: '1 actions across 39 account plans; 1 accounts have at least one high-priority
    # action'
    from kamtools.sections.plan import plans_sentence

    assert (
        plans_sentence(1, 39, 1) == "1 action across 39 account plans; 1 account has at least one high-priority action."
    )
    assert plans_sentence(0, 1_000, 0) == (
        "0 actions across 1,000 account plans; 0 accounts have at least one high-priority action."
    )


def test_a_share_of_wallet_change_that_rounds_to_nothing_reads_0_not_minus_0():
    # the quick demo's A0004 (read beside the grocery pages for the churn section's warning signs): '-0'
    from kamtools.sections.competitors import points_change

    assert points_change(-0.003) == "0" and points_change(0.004) == "0"
    assert points_change(-0.021) == "-2" and points_change(0.03) == "+3"
