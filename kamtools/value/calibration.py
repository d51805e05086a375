"""Is P(alive) honest on this portfolio? A check on a holdout inside the history, and a recalibration.

P(alive) itself is never observed, but one consequence of it is: an account that buys again
was alive. So the share of accounts that buy again within some weeks is a floor under the
share still alive, and the model predicts that share as ``P(alive) x P(buys within the
weeks | alive)`` (``p_purchase``). :func:`check_p_alive` fits the chosen model on the history
up to an inner cut (the last weeks of the history held out), and compares what it said at
the cut with who bought again in the held-out weeks:

* ``mean_p_alive`` (at the cut) against ``bought_again`` (the floor): a mean P(alive) below
  the share that bought again is wrong whatever happens next;
* ``mean_p_buy`` against ``bought_again``: calibration in the large of the part that can be
  checked.

A holdout shorter than :data:`MIN_VOUCH_WEEKS` cannot vouch for P(alive) (accounts that come
back after a long silence fall outside it), so P(alive) is then shown as an activity score.
When the model understates who buys again by more than :data:`TOLERANCE` (10 points) on the
inner holdout, P(alive) is recalibrated Platt-style: ``P'(alive) = expit(c0 + c1 logit
P(alive))``, with ``c0, c1`` chosen by the likelihood of who bought again in the held-out
weeks, given ``P'(alive) x P(buys within the weeks | alive)``. The check is repeated on the
recalibrated values (in-sample for the two coefficients): when it still fails, P(alive) is
not a probability on this portfolio and the reports call it a score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from kamtools.value.btyd import BetaGeo
from kamtools.value.summary import rfm_summary

TOLERANCE = 0.10  # P(alive) may understate who buys again by at most this many points (in the large)
MIN_CHECK_ACCOUNTS = 30  # fewer accounts at the inner cut than this: no check (too little to judge)
MIN_CHECK_WEEKS = 4  # a holdout shorter than this tells too little
# a holdout shorter than this cannot vouch for P(alive) as a probability: the accounts that come back after a long
# silence are not in it. 300 CDNOW customers with 6 months of history: the 8-week holdout found P(alive) fine
# (model 13.5% buying in it, 12.0% did), yet the shown mean P(alive) was 18.1% where 32.7% bought within 12 months.
MIN_VOUCH_WEEKS = 26
CHECK_STATUSES = ("ok", "recalibrated", "score", "unchecked")  # how the reports may show P(alive)
_EPS = 1e-6


@dataclass
class PAliveCheck:
    """What :func:`check_p_alive` found on the inner holdout (figures are shares, 0-1).

    cut : the inner cut (a Sunday); weeks : held-out weeks; accounts : accounts that had
    ordered by the cut; bought_again : share of them that bought in the held-out weeks;
    mean_p_alive, mean_p_buy : the model's mean P(alive) at the cut and mean predicted
    probability of buying in the held-out weeks; understates : ``bought_again - mean_p_buy``
    exceeded :data:`TOLERANCE`; coefficients : ``(c0, c1)`` of the recalibration (``(0, 1)``: none);
    calibrated_p_alive, calibrated_p_buy : the same means after recalibration;
    status : ``"ok"`` (no recalibration needed), ``"recalibrated"``, ``"score"`` (still
    understating after recalibration, or a holdout under :data:`MIN_VOUCH_WEEKS` weeks
    that cannot vouch for it: not a probability) or ``"unchecked"`` (history too short,
    or too few accounts, for an inner holdout: not a probability either); sentence : what
    the reader is told (empty when ``ok``).
    """

    cut: pd.Timestamp | None
    weeks: float
    accounts: int
    bought_again: float
    mean_p_alive: float
    mean_p_buy: float
    understates: bool
    coefficients: tuple[float, float] = (0.0, 1.0)
    calibrated_p_alive: float = np.nan
    calibrated_p_buy: float = np.nan
    status: str = "ok"
    sentence: str = ""

    @property
    def is_probability(self) -> bool:
        """Whether the reports may show P(alive) as a probability (checked, or recalibrated, on a long holdout)."""
        return self.status in ("ok", "recalibrated")

    def apply(self, p_alive: np.ndarray) -> np.ndarray:
        """P(alive) values after the recalibration (unchanged unless a recalibration was fitted)."""
        p = np.asarray(p_alive, dtype=float)
        if not self.understates or self.coefficients == (0.0, 1.0):
            return p
        return recalibrate(p, self.coefficients)


def _logit(p: np.ndarray) -> np.ndarray:
    return special.logit(np.clip(p, _EPS, 1 - _EPS))


def recalibrate(p_alive: np.ndarray, coefficients: tuple[float, float]) -> np.ndarray:
    """``expit(c0 + c1 logit P(alive))`` (P(alive) clipped to [1e-6, 1 - 1e-6] first)."""
    c0, c1 = coefficients
    return special.expit(c0 + c1 * _logit(np.asarray(p_alive, dtype=float)))


def fit_recalibration(p_alive: np.ndarray, buys_if_alive: np.ndarray, bought: np.ndarray) -> tuple[float, float]:
    """``(c0, c1)`` maximising the likelihood of ``bought`` (0/1) under ``expit(c0 + c1 logit p) x q``.

    The slope is kept in [0.2, 5] (the ranking of P(alive) is kept; an extreme slope would
    rest on a handful of accounts).
    """
    z = _logit(np.asarray(p_alive, float))
    q = np.clip(np.asarray(buys_if_alive, float), _EPS, 1.0)
    y = np.asarray(bought, float)

    def nll(c):
        s = special.expit(c[0] + c[1] * z) * q
        s = np.clip(s, _EPS, 1 - _EPS)
        return -float(np.sum(y * np.log(s) + (1 - y) * np.log1p(-s)))

    res = optimize.minimize(nll, x0=np.array([0.0, 1.0]), method="L-BFGS-B", bounds=[(-20.0, 20.0), (0.2, 5.0)])
    return float(res.x[0]), float(res.x[1])


def check_p_alive(model: BetaGeo, orders: pd.DataFrame, as_of: pd.Timestamp, weeks: int) -> PAliveCheck:
    """Check the P(alive) of the fitted ``model`` at ``weeks`` before ``as_of`` against who bought after.

    ``model`` is the one the reports show (fitted on the whole history): its parameters
    score each account on its history up to the inner cut, so the check and the
    recalibration judge the very P(alive) function that is shown (a model refitted at the
    cut is another model: on 300 CDNOW customers with 6 months it said 36% where the shown
    one says 18%). ``orders`` has ``account_id, order_date``. The model understates
    when the share that bought again in the held-out weeks exceeds the model's mean
    predicted probability of buying in them by more than :data:`TOLERANCE` (so also when it
    exceeds the mean P(alive) at the cut by that much: a floor P(alive) may not be under). Then
    :func:`fit_recalibration` is fitted on the held-out weeks and both figures are checked
    again with the recalibrated P(alive).
    """
    from kamtools.value.choice import _week_end_before  # late import: choice imports this module

    as_of = pd.Timestamp(as_of)
    cut = _week_end_before(as_of - pd.Timedelta(weeks=int(weeks)))
    cal = rfm_summary(orders, as_of=cut, freq="W")
    if len(cal) < MIN_CHECK_ACCOUNTS or weeks < MIN_CHECK_WEEKS or int((cal["frequency"] > 0).sum()) < 5:
        return PAliveCheck(
            None,
            float(weeks),
            len(cal),
            np.nan,
            np.nan,
            np.nan,
            False,
            status="unchecked",
            sentence=(
                "P(alive) is shown as an activity score, not a probability: the history is too short (or holds too "
                "few accounts) to hold weeks out and check it against who bought again."
            ),
        )
    frame = orders[["account_id", "order_date"]]
    later = frame[(frame["order_date"] > cut) & (frame["order_date"] <= as_of) & ~_credit(orders)]
    bought = cal["account_id"].isin(set(later["account_id"])).to_numpy()
    # the held-out weeks in the summary's own weekly periods (as the choice between the models counts them)
    whole = rfm_summary(orders, as_of=as_of, freq="W").set_index("account_id")["T"]
    horizon = whole.reindex(cal["account_id"]).to_numpy(dtype=float) - cal["T"].to_numpy(dtype=float)
    est = model
    x, tx, T = cal["frequency"].to_numpy(float), cal["recency"].to_numpy(float), cal["T"].to_numpy(float)
    p = est.p_alive(x, tx, T)
    q = est.p_purchase_if_alive(horizon, x, tx, T)
    share = float(bought.mean())
    understates = _shortfall(share, p, q) > TOLERANCE
    out = PAliveCheck(
        cut, float(np.mean(horizon)), len(cal), share, float(p.mean()), float((p * q).mean()), bool(understates)
    )
    found = (
        f"on the last {out.weeks:.0f} weeks held out, {share:.0%} of the accounts bought again where the model "
        f"expected {out.mean_p_buy:.0%} (mean P(alive) at their start {out.mean_p_alive:.0%})"
    )
    if understates:
        coef = fit_recalibration(p, q, bought)
        p2 = recalibrate(p, coef)
        out.coefficients = coef
        out.calibrated_p_alive, out.calibrated_p_buy = float(p2.mean()), float((p2 * q).mean())
        if _shortfall(share, p2, q) > TOLERANCE:
            out.status = "score"
            out.sentence = (
                f"P(alive) is shown as an activity score, not a probability: {found}, and no recalibration "
                "closes the gap."
            )
            return out
        out.status = "recalibrated"
        found += f"; P(alive) is recalibrated on those weeks (now {out.calibrated_p_buy:.0%} expected)"
    if out.weeks < MIN_VOUCH_WEEKS:
        out.status = "score"
        out.sentence = (
            f"P(alive) is shown as an activity score, not a probability: {found}, but a holdout under "
            f"{MIN_VOUCH_WEEKS} weeks misses the accounts that come back after a long silence (on real order logs "
            "with six months of history such P(alive) ran up to 15 points below the share that bought again)."
        )
    elif out.status == "recalibrated":
        out.sentence = f"The value model understated who buys again: {found}."
    return out


def _credit(orders: pd.DataFrame) -> pd.Series:
    """Returns, credit notes and rebates (negative revenue or quantity): not a purchase, so no sign of life."""
    credit = pd.Series(False, index=orders.index)
    for column in ("net_revenue", "quantity"):
        if column in orders.columns:
            credit |= pd.to_numeric(orders[column], errors="coerce").fillna(0.0) < 0
    return credit


def _shortfall(share: float, p_alive: np.ndarray, buys_if_alive: np.ndarray) -> float:
    """How far the model falls short of who bought again (in shares): ``share - mean P(buy)``.

    ``P(buy) = P(alive) x P(buys | alive) <= P(alive)``, so a P(alive) below the share that
    bought again shows here first.
    """
    return share - float(np.mean(p_alive * buys_if_alive))


def check_weeks(choice, frame: pd.DataFrame, as_of: pd.Timestamp) -> int:
    """The weeks the check holds out: those of the choice (a third of the history, at most 52); with a
    history too short for them, a third of the history."""
    if choice.holdout_weeks:
        return int(choice.holdout_weeks)
    return min(52, int((pd.Timestamp(as_of) - frame["order_date"].min()).days // 7) // 3)


def p_alive_check(choice, orders: pd.DataFrame, as_of: pd.Timestamp, model: BetaGeo | None = None) -> PAliveCheck:
    """:func:`check_p_alive` of the model :func:`~kamtools.value.choose_btyd` chose (or of ``model``, the
    one the value table shows: :mod:`kamtools.value.one_time`), on the holdout weeks of :func:`check_weeks`
    (at least :data:`MIN_CHECK_WEEKS`, else unchecked).
    """
    from kamtools.value.summary import _orders_frame

    frame, _ = _orders_frame(orders)
    as_of = pd.Timestamp(as_of)
    frame = frame[frame["order_date"] <= as_of]
    return check_p_alive(choice.model if model is None else model, frame, as_of, check_weeks(choice, frame, as_of))
