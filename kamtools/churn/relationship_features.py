"""Churn features of the relationship: decision makers met, contact frequency and sponsors who left."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn._arrays import _change, _codes, _count, _days, _max, _months_before
from kamtools.data.portfolio import Portfolio

_SPONSOR_LEFT_MONTHS = 12  # kamtools.relationships.CHAMPION_LEFT_MONTHS (a test keeps them equal)


def _relationship_features(
    p: Portfolio,
    index: pd.Index,
    t: float,
    out: dict[str, np.ndarray],
    unavailable: dict[str, str],
    left_dates: bool = True,
) -> None:
    n = len(index)
    has_contacts, has_inter = p.has("contacts"), p.has("interactions")
    since_start = _days(p.accounts["customer_since"])
    if has_contacts:
        contacts = p.tables["contacts"]
        is_dm = (contacts["role"].astype(object) == "decision_maker").to_numpy()
        out["decision_makers"] = _count(_codes(contacts["account_id"], index), is_dm, n)
    if has_contacts and has_inter:
        inter = p.tables["interactions"]
        dm_ids = pd.Index(contacts.loc[is_dm, "contact_id"].astype(object))
        met_dm = inter["contact_id"].astype(object).isin(dm_ids).to_numpy()
        code = _codes(inter["account_id"], index)
        day = _days(inter["date"])
        last_dm = _max(code, day, met_dm, n)
        # never met a decision maker: the whole relationship so far without one
        out["days_since_decision_maker_contact"] = np.where(np.isnan(last_dm), t - since_start, t - last_dm)
        recent = met_dm & (day > _months_before(p.as_of, 12))
        pairs = pd.DataFrame({"c": code[recent], "k": inter["contact_id"].astype(object).to_numpy()[recent]})
        met = pairs[pairs["c"] >= 0].drop_duplicates().groupby("c").size()
        n_met = np.zeros(n)
        n_met[met.index.to_numpy()] = met.to_numpy()
        out["decision_maker_coverage_12m"] = np.where(
            out["decision_makers"] > 0, n_met / np.maximum(out["decision_makers"], 1), 0.0
        )
    elif has_inter:
        reason = "No contacts table was supplied, so decision-maker contact cannot be measured."
        for f in (
            "decision_makers",
            "decision_maker_coverage_12m",
            "days_since_decision_maker_contact",
            "champion_left",
        ):
            unavailable[f] = reason
    elif has_contacts:
        reason = "No interactions table was supplied, so contact with decision makers cannot be measured."
        for f in ("decision_maker_coverage_12m", "days_since_decision_maker_contact"):
            unavailable[f] = reason
    if has_contacts:
        _sponsor_left_feature(p, index, t, out, unavailable, left_dates)
    if has_inter:
        inter = p.tables["interactions"]
        code = _codes(inter["account_id"], index)
        day = _days(inter["date"])
        out["interactions_90d"] = _count(code, day > t - 90, n)
        recent = _count(code, day > _months_before(p.as_of, 6), n)
        before = _count(code, (day > _months_before(p.as_of, 12)) & (day <= _months_before(p.as_of, 6)), n)
        out["interactions_change_6m"] = _change(recent, before)


def _has_left_dates(p: Portfolio) -> bool:
    """Whether the contacts table records when people left (``contacts.left_date`` holds a date)."""
    contacts = p.tables.get("contacts")
    return contacts is not None and "left_date" in contacts.columns and bool(contacts["left_date"].notna().any())


def _sponsor_left_feature(
    p: Portfolio,
    index: pd.Index,
    t: float,
    out: dict[str, np.ndarray],
    unavailable: dict[str, str],
    left_dates: bool,
) -> None:
    """``champion_left``: 1 when a champion or supporter (or a decision maker not known to be neutral or a
    detractor) left in the last 12 months; only leaving dates on or before ``as_of`` count, so a later
    departure cannot leak into an earlier snapshot. Absent when the data records no leaving date at all
    (``left_dates``, judged on the data before it is cut back to the snapshot, so that every snapshot of
    one portfolio has the feature or none has it)."""
    contacts = p.tables["contacts"]
    left = contacts["left_date"] if "left_date" in contacts.columns else None
    if left is None or not left_dates:
        unavailable["champion_left"] = (
            "No contact has a leaving date (contacts.left_date), so a sponsor leaving the customer cannot be seen."
        )
        return
    from kamtools.relationships.coverage import SPONSOR_ATTITUDES

    day = _days(pd.to_datetime(left, errors="coerce"))
    recent = (day <= t) & (day > _months_before(p.as_of, _SPONSOR_LEFT_MONTHS))  # NaN (still there): False
    attitude = (
        contacts["attitude"].astype(object).str.strip().str.lower()
        if "attitude" in contacts.columns
        else pd.Series(None, index=contacts.index, dtype=object)
    )
    is_dm = (contacts["role"].astype(object) == "decision_maker").to_numpy()
    sponsor = attitude.isin(SPONSOR_ATTITUDES).to_numpy() | (
        is_dm & ~attitude.isin(("detractor", "neutral")).to_numpy()
    )
    n = len(index)
    out["champion_left"] = (_count(_codes(contacts["account_id"], index), recent & sponsor, n) > 0).astype(float)
