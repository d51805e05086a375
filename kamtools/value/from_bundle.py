"""The chosen BTYD model read back from a ``value_model`` bundle table, and what it predicts."""

from __future__ import annotations

import pandas as pd

from kamtools.value.btyd import BetaGeo, ModifiedBetaGeo
from kamtools.value.one_time import OneTimeFromModified


def _rebuilt(model: pd.DataFrame, name: str) -> BetaGeo | None:
    rows = model[model["model"] == name].set_index("parameter")["estimate"]
    if not set(BetaGeo.param_names) <= set(rows.index):
        return None
    est = ModifiedBetaGeo() if name == "mbg_nbd" else BetaGeo()
    est.params_ = {k: float(rows[k]) for k in est.param_names}
    return est


def btyd_from_table(model: pd.DataFrame) -> BetaGeo | OneTimeFromModified | None:
    """The model behind the value table, rebuilt from a ``value_model`` bundle table (None when it holds none):
    the chosen BG/NBD or MBG/NBD, or BG/NBD with MBG/NBD for the one-time buyers when the value stage
    scored them so (:mod:`kamtools.value.one_time`).

    Bundles written before the choice existed hold BG/NBD only, which is then returned.
    """
    if not isinstance(model, pd.DataFrame) or not {"model", "parameter", "estimate"} <= set(model.columns):
        return None
    chosen = model[(model["parameter"] == "chosen") & (model["estimate"] == 1)]["model"]
    name = str(chosen.iloc[0]) if len(chosen) else "bg_nbd"
    est = _rebuilt(model, name)
    uses = model[(model["model"] == "one_time_buyers") & (model["parameter"] == "uses_mbg_nbd")]["estimate"]
    if est is not None and name == "bg_nbd" and len(uses) and float(uses.iloc[0]) == 1:
        once = _rebuilt(model, "mbg_nbd")
        if once is not None:
            return OneTimeFromModified(est, once)
    return est


def p_no_order(value: pd.DataFrame, model: pd.DataFrame, months: float) -> pd.Series | None:
    """Probability that each account places no order in the next ``months`` months, by the value model.

    ``value`` and ``model`` are the ``value`` and ``value_model`` bundle tables; returns a
    Series indexed by account_id (None when the tables hold no fitted model). It is
    ``1 - BetaGeo.p_purchase``: an account that has stopped buying never orders again, a
    live one may still go ``months`` without an order.
    """
    est = btyd_from_table(model)
    if est is None or not isinstance(value, pd.DataFrame) or value.empty:
        return None
    weeks = months * (365.25 / 12) / 7.0
    buy = est.p_purchase(weeks, value["frequency"], value["recency"], value["T"])
    return pd.Series(1.0 - buy, index=value["account_id"].astype(str).to_numpy(), name="p_no_order")
