"""One-time buyers under BG/NBD: score them with MBG/NBD when the history does not say otherwise.

BG/NBD lets an account drop out only after a repeat purchase, so every account that bought in
one week only has P(alive) = 100% however long it has been silent. Where the holdout chose
BG/NBD, its activity score then ranks a one-time buyer silent for a year above every repeat
buyer, and its expected value of such an account exceeds what the forecast (which values
silent one-time buyers by MBG/NBD) expects. :func:`score_one_time_buyers` therefore takes
the one-time buyers' P(alive), expected purchases and P(buy) from the MBG/NBD fitted on the
same history (:class:`OneTimeFromModified`), unless the last weeks of the history, held out
as the P(alive) check holds them out, show that mix ranking who bought again worse than
BG/NBD alone (area under the ROC curve of P(alive) for "bought again").

CDNOW, 1,000 random customers at 12 months of history (BG/NBD chosen): the area under the
curve of P(alive) for "bought in the next 26 weeks" is 0.31 with BG/NBD alone (one-time buyers
at 100%, of whom 8.7% bought) and 0.71 with the mix; on the 18 held-out weeks inside the
history 0.35 and 0.71.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from kamtools.value.btyd import BetaGeo, ModifiedBetaGeo
from kamtools.value.summary import rfm_summary

USABLE_STATUSES = ("identified", "common_dropout")  # an MBG/NBD fit whose one-time P(alive) tells something
MIN_EVIDENCE_ACCOUNTS = 30  # accounts at the inner cut needed to compare the rankings
MIN_EVIDENCE_ONE_TIME = 5  # one-time buyers at the inner cut needed to compare the rankings
_UNUSABLE = {
    "no_dropout": "it finds no account that stopped buying",
    "unidentified": "its parameters are not determined by this data",
    "common_rate": "it gives every account the same purchase rate",
}


class OneTimeFromModified:
    """BG/NBD for accounts that bought in more than one week, MBG/NBD for one-time buyers (frequency 0).

    Offers what the value stage asks of a fitted model (``p_alive``, ``p_purchase``,
    ``p_purchase_if_alive``, ``expected_purchases``); ``model_name`` and ``params_`` are
    those of the BG/NBD (the chosen model).
    """

    def __init__(self, repeat: BetaGeo, one_time: ModifiedBetaGeo) -> None:
        self.repeat = repeat
        self.one_time = one_time
        self.model_name = repeat.model_name
        self.params_ = repeat.params_

    def _split(self, method: str, frequency, *args) -> np.ndarray:
        x = np.asarray(frequency, dtype=float)
        repeat = getattr(self.repeat, method)(*args)
        once = getattr(self.one_time, method)(*args)
        return np.where(np.broadcast_to(x == 0, np.shape(repeat)), once, repeat)

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        return self._split("p_alive", frequency, frequency, recency, T)

    def p_purchase(self, t, frequency, recency, T) -> np.ndarray:
        return self._split("p_purchase", frequency, t, frequency, recency, T)

    def p_purchase_if_alive(self, t, frequency, recency, T) -> np.ndarray:
        return self._split("p_purchase_if_alive", frequency, t, frequency, recency, T)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        return self._split("expected_purchases", frequency, t, frequency, recency, T)


@dataclass
class OneTimeScoring:
    """What :func:`score_one_time_buyers` decided.

    model : the model the value table shows (the chosen one, or :class:`OneTimeFromModified`);
    uses_mbg : whether one-time buyers are scored by MBG/NBD; applies : whether the question
    arose (BG/NBD chosen and some account bought in one week only); one_time_buyers : how many
    at the analysis date; auc_chosen, auc_mix : area under the ROC curve of P(alive) for who
    bought again in the held-out weeks, with the chosen model alone and with the mix (NaN:
    not compared); weeks : held-out weeks; sentence : what the reader is told (empty when the
    question did not arise).
    """

    model: BetaGeo | OneTimeFromModified
    uses_mbg: bool = False
    applies: bool = False
    one_time_buyers: int = 0
    auc_chosen: float = np.nan
    auc_mix: float = np.nan
    weeks: float = np.nan
    sentence: str = ""


def _auc(bought: np.ndarray, score: np.ndarray) -> float:
    if bought.all() or not bought.any():
        return np.nan
    return float(roc_auc_score(bought.astype(int), score))


def score_one_time_buyers(choice, orders: pd.DataFrame, as_of: pd.Timestamp, weeks: int) -> OneTimeScoring:
    """Whether the one-time buyers get MBG/NBD's P(alive) and expected values under a chosen BG/NBD.

    Only when :func:`~kamtools.value.choose_btyd` chose BG/NBD, some account bought in one week
    only, and the MBG/NBD fit is usable (:data:`USABLE_STATUSES`). The models fitted on the whole
    history score every account on its history up to ``weeks`` before ``as_of`` (as
    :func:`~kamtools.value.check_p_alive` does); the mix is kept unless its P(alive) ranks who
    bought in the held-out weeks worse than BG/NBD's (a lower area under the ROC curve). Without
    enough accounts for that comparison the mix is kept: BG/NBD's 100% for every one-time buyer
    ranks nothing.
    """
    from kamtools.value.calibration import _credit
    from kamtools.value.choice import _week_end_before, fit_status

    chosen = choice.model
    summary = rfm_summary(orders, as_of=as_of, freq="W")
    n_once = int((summary["frequency"] == 0).sum())
    mbg = choice.fits.get("mbg_nbd")
    if chosen.model_name != "bg_nbd" or n_once == 0 or mbg is None:
        return OneTimeScoring(chosen, one_time_buyers=n_once)
    out = OneTimeScoring(chosen, applies=True, one_time_buyers=n_once, weeks=float(weeks))
    status = fit_status(mbg)[0]
    if status not in USABLE_STATUSES:
        out.sentence = (
            f"BG/NBD counts {_once_buyers(n_once, 'every one of the')} as certainly still buying (it lets an account "
            f"stop only after a repeat purchase), and the MBG/NBD fit that would let {_they(n_once)} stop earlier is "
            f"not usable here ({_UNUSABLE[status]}): these figures tell nothing about whether {_they(n_once, True)} "
            f"still {'buys' if n_once == 1 else 'buy'}."
        )
        return out
    mix = OneTimeFromModified(chosen, mbg)
    cut = _week_end_before(pd.Timestamp(as_of) - pd.Timedelta(weeks=int(weeks)))
    cal = rfm_summary(orders, as_of=cut, freq="W")
    once_cal = cal["frequency"].to_numpy() == 0
    if len(cal) >= MIN_EVIDENCE_ACCOUNTS and once_cal.sum() >= MIN_EVIDENCE_ONE_TIME:
        later = orders[(orders["order_date"] > cut) & (orders["order_date"] <= as_of) & ~_credit(orders)]
        bought = cal["account_id"].isin(set(later["account_id"])).to_numpy()
        x, tx, T = (cal[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        # the held-out weeks in the summary's weekly periods (as the P(alive) check counts them)
        out.weeks = float(np.mean(summary.set_index("account_id")["T"].reindex(cal["account_id"]).to_numpy() - T))
        out.auc_chosen = _auc(bought, chosen.p_alive(x, tx, T))
        out.auc_mix = _auc(bought, mix.p_alive(x, tx, T))
    lead = (
        f"BG/NBD lets an account stop only after a repeat purchase, so it would count {_once_buyers(n_once, 'each of the')} "
        f"as certainly still buying, however long {'it has' if n_once == 1 else 'they have'} been silent"
    )
    if np.isfinite(out.auc_chosen) and np.isfinite(out.auc_mix) and out.auc_mix < out.auc_chosen:
        out.sentence = (
            f"{lead}; MBG/NBD, which lets {_they(n_once)} stop after {'its' if n_once == 1 else 'their'} first "
            f"purchase, ranked who bought again in the last {out.weeks:.0f} weeks held out less well (area under the "
            f"ROC curve {out.auc_mix:.2f} against {out.auc_chosen:.2f}), so {_they(n_once, True)} "
            f"{'keeps' if n_once == 1 else 'keep'} BG/NBD's figures, which tell nothing about whether "
            f"{_they(n_once, True)} still {'buys' if n_once == 1 else 'buy'}."
        )
        return out
    evidence = (
        f": on the last {out.weeks:.0f} weeks held out it ranks who bought again better (area under the ROC curve "
        f"{out.auc_mix:.2f} against {out.auc_chosen:.2f} with BG/NBD alone)"
        if np.isfinite(out.auc_mix) and np.isfinite(out.auc_chosen)
        else " (the history is too short to compare the two on held-out weeks)"
    )
    out.model, out.uses_mbg = mix, True
    out.sentence = (
        f"{lead}. {'Its' if n_once == 1 else 'Their'} P(alive) and expected purchases come from MBG/NBD instead, "
        "fitted on the same history, "
        f"which lets an account stop right after its first purchase{evidence}; the accounts that bought again "
        "keep BG/NBD's."
    )
    return out


def _once_buyers(n: int, every: str) -> str:
    """'the 1 account that bought in one week only', else '{every} 12 accounts that bought in one week only'."""
    if n == 1:
        return "the 1 account that bought in one week only"
    return f"{every} {n:,} accounts that bought in one week only"


def _they(n: int, subject: bool = False) -> str:
    """The pronoun for ``n`` one-time buyers: 'it', else 'them' ('they' as the ``subject``)."""
    return "it" if n == 1 else ("they" if subject else "them")


def one_time_rows(scoring: OneTimeScoring) -> list[dict]:
    """The ``value_model`` rows of the decision (model ``one_time_buyers``; none when the question did not arise):
    ``uses_mbg_nbd`` (1/0, the sentence in ``note``), ``accounts``, ``auc_chosen``, ``auc_mix``, ``check_weeks``."""
    if not scoring.applies:
        return []
    figures = {
        "uses_mbg_nbd": float(scoring.uses_mbg),
        "accounts": float(scoring.one_time_buyers),
        "auc_chosen": scoring.auc_chosen,
        "auc_mix": scoring.auc_mix,
        "check_weeks": scoring.weeks,
    }
    return decision_rows("one_time_buyers", figures, scoring.sentence)


def decision_rows(model: str, figures: dict, sentence: str) -> list[dict]:
    """``value_model`` rows of one of the value stage's decisions: a row per figure (no standard error), the
    reader's sentence in the first row's ``note``."""
    rows = [
        {"model": model, "parameter": k, "estimate": float(v), "std_error": np.nan, "note": ""}
        for k, v in figures.items()
    ]
    rows[0]["note"] = sentence
    return rows
