"""How the reports, the segments and the plan may read P(alive), from the ``value_model`` table.

One place for what every reader of the value table needs to agree on: which BTYD model was
chosen and how well it is identified (:func:`model_choice`), whether P(alive) may be shown
as a probability or only as an activity score (:func:`p_alive_shown_as`, from the value
stage's check on a holdout, :mod:`kamtools.value.calibration`), and when P(alive) makes an
account a win-back case (:func:`win_back`, :func:`win_back_cases`): the value section's
verdict and the plan's retention objective both ask :func:`win_back`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.value.calibration import CHECK_STATUSES

LAPSED = 0.5  # a trusted P(alive) below this: probably stopped buying (a win-back case)
SCORE_LABEL = "Activity score (0-100, not a probability)"  # P(alive) where no holdout vouched for it
SCORE_AXIS = "Activity score (0-100)"  # the same, on a chart's axis


def model_choice(model) -> tuple[str, str, str]:
    """(chosen BTYD model name, its fit status, the sentence on the choice) from the ``value_model`` table.

    Bundles written before the choice existed hold BG/NBD only: ``("bg_nbd", "identified", "")``.
    """
    if not isinstance(model, pd.DataFrame) or "parameter" not in model.columns:
        return "bg_nbd", "identified", ""
    chosen = model[(model["parameter"] == "chosen") & (model["estimate"] == 1)]
    if chosen.empty:
        return "bg_nbd", "identified", ""
    name = str(chosen["model"].iloc[0])
    status = model[(model["model"] == name) & (model["parameter"] == "fit_status")]
    status = status["note"] if "note" in status.columns else pd.Series(dtype="str")
    note = str(chosen["note"].iloc[0]) if "note" in chosen.columns else ""
    return name, str(status.iloc[0]) if len(status) else "identified", note


EV_LEFT_OUT = (
    "Expected 12-month value is left out: the value model gives every account the same purchase rate, so that "
    "figure would rank accounts only by what a purchase week is worth, not by how often they buy."
)


def expected_value_ranks(model) -> bool:
    """Whether the expected 12-month value may rank accounts by attractiveness: not where the chosen value model
    gives every account the same purchase rate (fit status ``common_rate``). The grocery panel's top 100 at
    2017-06-30: every household 49.9 purchase weeks, so the criterion ranked by basket size alone and lifted
    H0973 (15 buying weeks of 25) above households that bought every week (READCJ)."""
    return model_choice(model)[1] != "common_rate"


def one_time_buyers_model(model) -> str:
    """The model behind a one-time buyer's P(alive), from the ``value_model`` table: ``"mbg_nbd"`` when
    the value stage scored one-time buyers by MBG/NBD under a chosen BG/NBD (:mod:`kamtools.value.one_time`),
    else the chosen model's name."""
    name = model_choice(model)[0]
    if not isinstance(model, pd.DataFrame) or "parameter" not in model.columns:
        return name
    row = model[(model["model"] == "one_time_buyers") & (model["parameter"] == "uses_mbg_nbd")]
    return "mbg_nbd" if len(row) and float(row["estimate"].iloc[0]) == 1 else name


def p_alive_shown_as(model) -> tuple[str, str]:
    """(``"probability"`` or ``"score"``, the sentence saying why) from the ``value_model`` table's P(alive) check.

    P(alive) is a probability only when the value stage's check on a holdout inside the
    history vouched for it (:func:`kamtools.value.p_alive_check`); bundles written before
    the check existed: ``("probability", "")``.
    """
    if not isinstance(model, pd.DataFrame) or "parameter" not in model.columns:
        return "probability", ""
    row = model[(model["model"] == "p_alive_check") & (model["parameter"] == "check_status")]
    if row.empty:
        return "probability", ""
    status = CHECK_STATUSES[int(row["estimate"].iloc[0])]
    sentence = str(row["note"].iloc[0]) if "note" in row.columns else ""
    return ("probability" if status in ("ok", "recalibrated") else "score"), sentence


def p_alive_informative(status: str, name: str, one_time: bool) -> bool:
    """Whether the model can tell this account's P(alive) apart from 100%: not when no account of the
    history stopped buying (``no_dropout``), nor for a one-time buyer under BG/NBD (no drop-out
    before the first repeat)."""
    return status != "no_dropout" and not (one_time and name == "bg_nbd")


def win_back(p_alive: float, one_time: bool, name: str, status: str, shown_as: str) -> bool:
    """Whether the value model calls the account a win-back case: P(alive) is a probability on this
    portfolio (``shown_as``), informative for the account (:func:`p_alive_informative`) and under
    :data:`LAPSED`."""
    return (
        shown_as == "probability"
        and p_alive_informative(status, name, one_time)
        and bool(np.isfinite(p_alive))
        and float(p_alive) < LAPSED
    )


def win_back_cases(value: pd.DataFrame, model) -> pd.Series:
    """:func:`win_back` of every row of the ``value`` table (``p_alive``, ``frequency``), as booleans."""
    name, status, _ = model_choice(model)
    once = one_time_buyers_model(model)  # one-time buyers may be scored by MBG/NBD
    shown_as, _ = p_alive_shown_as(model)
    p = pd.to_numeric(value["p_alive"], errors="coerce").to_numpy(dtype=float)
    freq = pd.to_numeric(value["frequency"], errors="coerce").to_numpy(dtype=float) if "frequency" in value else None
    one_time = freq == 0 if freq is not None else np.zeros(len(value), dtype=bool)
    flags = [
        win_back(p[i], bool(one_time[i]), once if one_time[i] else name, status, shown_as) for i in range(len(value))
    ]
    return pd.Series(flags, index=value.index, dtype=bool)
