"""The activity score: what the value table shows in ``p_alive`` where P(alive) is no probability.

Where the P(alive) check (:mod:`kamtools.value.calibration`) cannot vouch for P(alive), the
reports show it as an activity score, a figure to rank accounts by who is likely to buy
again. P(alive) ranks that poorly when two kinds of account sit on one scale: an account
that bought in one week only and one that bought often, both silent for months, can be
equally likely to be "alive", yet a live one-time buyer buys so rarely that it seldom buys
again soon. The chance of buying within the next weeks (``P(alive) x P(buys | alive)``,
``p_purchase``) ranks both kinds on the same footing. :func:`choose_activity_score` takes it
as the score when, on the weeks the check held out, it ranked who bought again better than
P(alive) (area under the ROC curve); else the score stays P(alive).

CDNOW, 1,000 random customers at 1997-12-31 (BG/NBD chosen, one-time buyers by MBG/NBD; 18
weeks held out): area under the curve for "bought in the next 26 weeks" 0.714 with P(alive) and
0.780 with the chance of buying within 18 weeks; among the 749 accounts silent for 6 months 0.466
and 0.617 (with P(alive) the silent one-time buyers averaged 0.38, of whom 8.7% bought again, the
silent repeat buyers 0.33, of whom 25.6% did). The 500 top buyers: 0.750 and 0.796; 0.436 and 0.453
among the 35 silent ones. On the held-out weeks inside the history: 0.71 and 0.73 (1,000 customers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from kamtools.formatting import counted
from kamtools.value.calibration import PAliveCheck, _credit
from kamtools.value.one_time import decision_rows
from kamtools.value.summary import rfm_summary

# the chance of buying replaces P(alive) only when it ranks the held-out weeks at least this much better (area under
# the ROC curve): 300 CDNOW customers at 6 months, 9 weeks held out, 0.812 against 0.810, is no evidence either way
MIN_AUC_GAIN = 0.01
# the two areas decide only when the held-out weeks hold at least this many accounts that bought again and as many
# that did not (set before measuring). The demo's 40 accounts at 12 months had one that did not, and the page read
# "0.97 against 0.04": a ranking of one account. Below it the chance of buying is the score, as it ranked better in
# every real case above, and the page says the weeks held out could not test it.
MIN_EACH = 10


@dataclass
class ActivityScore:
    """What :func:`choose_activity_score` decided.

    applies : P(alive) is shown as a score and the check held weeks out (the question arose);
    uses_p_buy : the score is the chance of buying within ``weeks`` weeks; weeks : the
    horizon (the held-out weeks, rounded); auc_p_alive, auc_p_buy : area under the ROC curve
    of each for who bought again in the held-out weeks (NaN: not compared); n_bought, n_not :
    the accounts that bought in the held-out weeks and that did not; sentence : what the reader
    is told (empty unless ``uses_p_buy``).
    """

    applies: bool = False
    uses_p_buy: bool = False
    weeks: int = 0
    auc_p_alive: float = np.nan
    auc_p_buy: float = np.nan
    n_bought: int = 0
    n_not: int = 0
    sentence: str = ""

    def score(self, model, summary: pd.DataFrame, p_alive: np.ndarray) -> np.ndarray:
        """The figure for the ``p_alive`` column: ``p_alive`` unchanged, or the chance of buying within
        :attr:`weeks` weeks of every account of ``summary`` (``frequency, recency, T``)."""
        if not self.uses_p_buy:
            return p_alive
        x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        return np.asarray(model.p_purchase(float(self.weeks), x, tx, T), dtype=float)


def _auc(bought: np.ndarray, score: np.ndarray) -> float:
    if bought.all() or not bought.any() or not np.all(np.isfinite(score)):
        return np.nan
    return float(roc_auc_score(bought.astype(int), score))


def choose_activity_score(model, check: PAliveCheck, orders: pd.DataFrame, as_of: pd.Timestamp) -> ActivityScore:
    """Whether the activity score is P(alive) or the chance of buying within the held-out weeks.

    Only when ``check`` (:func:`~kamtools.value.p_alive_check` of ``model``, the model the value
    table shows) found P(alive) no probability (``status == "score"``) on a holdout it ran
    (``cut`` set): a probability stays P(alive), and without held-out weeks there is no
    evidence to choose by. ``model`` scores every account on its history up to the check's cut;
    the chance of buying is taken when its area under the ROC curve for who bought in the
    held-out weeks exceeds P(alive)'s by at least :data:`MIN_AUC_GAIN`, and when fewer than
    :data:`MIN_EACH` accounts bought again or did not (too few to compare the two), the sentence
    saying so.
    """
    if check.status != "score" or check.cut is None or not np.isfinite(check.weeks):
        return ActivityScore()
    out = ActivityScore(applies=True, weeks=max(1, int(round(check.weeks))))
    cut = pd.Timestamp(check.cut)
    cal = rfm_summary(orders, as_of=cut, freq="W")
    later = orders[(orders["order_date"] > cut) & (orders["order_date"] <= pd.Timestamp(as_of)) & ~_credit(orders)]
    bought = cal["account_id"].isin(set(later["account_id"])).to_numpy()
    whole = rfm_summary(orders, as_of=as_of, freq="W").set_index("account_id")["T"]
    x, tx, T = (cal[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    horizon = whole.reindex(cal["account_id"]).to_numpy(dtype=float) - T
    out.auc_p_alive = _auc(bought, model.p_alive(x, tx, T))
    out.auc_p_buy = _auc(bought, model.p_purchase(horizon, x, tx, T))
    out.n_bought, out.n_not = int(bought.sum()), int((~bought).sum())
    what = f"The activity score is the value model's chance that the account buys within the next {out.weeks} weeks"
    why = "an account that bought rarely can be as likely to be still a customer as a frequent buyer yet much less likely to buy soon"
    if min(out.n_bought, out.n_not) < MIN_EACH:
        out.uses_p_buy = True
        out.sentence = (
            f"{what}, not P(alive), because {why}. The last {out.weeks} weeks held out cannot test which of the two "
            f"ranks accounts better: {counted(out.n_bought, 'account')} bought again and {counted(out.n_not, 'account')} did not, and "
            f"a test needs at least {MIN_EACH} of each."
        )
    elif (
        np.isfinite(out.auc_p_alive) and np.isfinite(out.auc_p_buy) and out.auc_p_buy >= out.auc_p_alive + MIN_AUC_GAIN
    ):
        out.uses_p_buy = True
        out.sentence = (
            f"{what}, not P(alive): on the last {out.weeks} weeks held out it ranked who bought again better "
            f"(area under the ROC curve {out.auc_p_buy:.2f} against {out.auc_p_alive:.2f}), because {why}."
        )
    return out


def activity_rows(activity: ActivityScore) -> list[dict]:
    """The ``value_model`` rows of the decision (model ``activity_score``; none when the question did not
    arise): ``uses_p_buy`` (1/0, the sentence in ``note``), ``weeks``, ``auc_p_alive``, ``auc_p_buy``,
    ``n_bought`` and ``n_not_bought`` (the held-out weeks' accounts that bought again and that did not)."""
    if not activity.applies:
        return []
    figures = {
        "uses_p_buy": float(activity.uses_p_buy),
        "weeks": float(activity.weeks),
        "auc_p_alive": activity.auc_p_alive,
        "auc_p_buy": activity.auc_p_buy,
        "n_bought": float(activity.n_bought),
        "n_not_bought": float(activity.n_not),
    }
    return decision_rows("activity_score", figures, activity.sentence)
