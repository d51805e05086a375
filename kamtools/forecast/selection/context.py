"""What every account's choice reads (:class:`_Context`): the candidate paths, the class choices and the
account's own out-of-time evidence (:func:`_own_evidence`), which may override its class's choice
(:func:`kamtools.forecast.selection.reasons._own_override`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.forecast.selection.choice import ClassChoice
from kamtools.forecast.selection.evidence import Evidence
from kamtools.forecast.selection.state import ReturnHistory

MIN_OWN_ORIGINS = 2  # backtest origins an account needs before its own evidence can override its class
MIN_OWN_MONTHS = 12  # ... evidence months (and orders in at least half of them)
OWN_MARGIN = 0.8  # ... and the other method's MAE must be below this share of the class choice's


@dataclass
class _OwnEvidence:
    """Each account's own out-of-time errors, per method (mean and count of its horizon-total errors)."""

    mae: pd.DataFrame  # account x (method, mean | count)
    rows: pd.Series  # account -> its evidence rows
    regular: set  # accounts whose own evidence may override their class's choice


def _own_evidence(ev: Evidence, available: tuple[str, ...], choices: dict, pooled: ClassChoice) -> _OwnEvidence:
    """Per account and method, the MAE of the calibrated horizon totals over the account's evidence rows."""
    act_tot = ev.actual.sum(axis=1)
    own = pd.DataFrame({"account": ev.account})
    for m in available:
        f_row = np.array([choices.get(int(k), pooled).factor.get(m, 1.0) for k in ev.klass])
        own[m] = np.abs(ev.paths[m].sum(axis=1) * f_row - act_tot)
    own_mae = own.groupby("account", sort=True).agg(["mean", "count"])
    own_rows = own.groupby("account", sort=True).size()
    # only a regular buyer's own backtest says something about it: for an account that bought
    # nothing in the windows, the lowest forecast always "wins" (and would bias the total)
    ordering = pd.Series((ev.actual > 0).sum(axis=1), index=ev.account).groupby(level=0).sum()
    regular = set(
        own_rows.index[
            (own_rows >= MIN_OWN_ORIGINS)
            & (own_rows * ev.horizon >= MIN_OWN_MONTHS)
            & (ordering.reindex(own_rows.index) >= 0.5 * own_rows * ev.horizon)
        ]
    )
    return _OwnEvidence(own_mae, own_rows, regular)


@dataclass
class _Context:
    """What every account's choice reads: candidate paths, class choices, own evidence."""

    paths: dict
    choices: dict[int, ClassChoice]
    pooled: ClassChoice
    unseen: ClassChoice  # a class the evidence never saw
    own: _OwnEvidence
    available: tuple[str, ...]
    horizon: int
    one_time: np.ndarray  # (n,) bool: silent one-time buyers of unseen classes on the modified BG/NBD path
    young: np.ndarray | None = None  # (n,) months since a first order inside the data, where under YOUNG_MONTHS
    survival: tuple[float, int] = (np.nan, 0)  # :func:`survival_share` of the evidence
    buys_again: np.ndarray | None = None  # (n,) BTYD chance of an order within the horizon (NaN: not fitted)
    silent_long: np.ndarray | None = None  # (n,) State.silent_long
    own_rhythm: np.ndarray | None = None  # (n,) State.own_rhythm
    ordering: np.ndarray | None = None  # (n,) State.ordering
    returns: ReturnHistory | None = None  # what accounts silent long bought back in the history (history_returns)
    tilt: np.ndarray | None = (
        None  # (n,) chosen portfolio: the class factor's multiplier by ordering share (share_tilt)
    )
    share: np.ndarray | None = None  # (n,) ordering_share today, where tilt is set
    collapsed: np.ndarray | None = None  # (n,) bool: the model's path collapsed below an active account's level
