"""Issue 17 (SWEEPREAL, CDNOW random 1000 at 1998-06-30): a lapsed account's appendix does not deny the churn
model its active neighbours take.

With 18 months of history the churn model trained (logistic, on 3 snapshots) and gave the 234 accounts still
ordering their risk; the 766 lapsed took the lapsed rule. Their account pages read "No churn model was trained, so
there is no backtest." beside an overview quoting the trained model; where the model had been backtested and won,
the same page would have said it "lost to the recency rule ... so every account's churn risk comes from the rule".
"""

from __future__ import annotations

import pandas as pd
from test_words_reader17 import AUC, BRIER, churn_evaluation

from kamtools.data.portfolio import NotAvailable

LAPSED = (
    "lapsed: no orders in the last 6 months; the probability of no order in the next 6 months is the share of "
    "accounts lapsed by the same rule on 6 earlier dates"
)
MODEL = "churn model (logistic, calibrated sigmoid; trained on 3 snapshots)"


# a churn model backtested and better than the recency rule on both counts
WON = (("roc_auc", AUC, 0.78, 0.70), ("brier", BRIER, 0.16, 0.19))


class _Account:
    def __init__(self, evaluation):
        self.account_id = "A1"
        self.bundle = None
        self._churn = pd.DataFrame(
            {
                "account_id": ["A1", "A2"],
                "churn_probability": [0.98, 0.2],
                "risk_band": ["lapsed", "medium"],
                "method": [LAPSED, MODEL],
            }
        )
        self._evaluation = evaluation

    def table(self, name):
        return self._churn.head(1) if name == "churn" else pd.DataFrame()

    def portfolio_table(self, name):
        return {"churn": self._churn, "churn_evaluation": self._evaluation}.get(name, pd.DataFrame())


def test_a_lapsed_account_names_the_model_the_others_take_and_why_it_was_not_backtested(captured):
    from kamtools.sections import churn as section

    why = "Too little history before 1997-12-30 to backtest the churn model out of time (1 training snapshots)."
    section.account_appendix(_Account(NotAvailable(why)))
    html = "".join(captured)
    assert "No churn model was trained" not in html
    assert f"How the churn risk was estimated for this account: {LAPSED}." in html
    assert f"The accounts still ordering take the {MODEL}." in html
    assert why in html


def test_a_lapsed_account_beside_a_model_that_won_does_not_say_it_lost(captured):
    from kamtools.sections import churn as section

    section.account_appendix(_Account(churn_evaluation(WON)))
    html = "".join(captured)
    assert "lost to the recency rule" not in html and "No churn model was trained" not in html
    assert "The model (boosting) was trained on 5 earlier snapshots" in html
    assert "<td>ROC AUC (ranking; 0.5 = random, 1 = perfect)</td>" in html
