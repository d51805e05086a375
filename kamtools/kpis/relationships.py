"""Relationship KPIs per account: contacts by role, engagement, time since the last contact."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.kpis.base import _CODES, DAY, _at, _base, _codes, _count, _days_since, _last_date

SENIOR = ("executive", "senior")


def relationship_kpis(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    window_days: int = 90,
    thread_window_days: int = 180,
) -> pd.DataFrame | NotAvailable:
    """Stakeholder coverage and engagement per account.

    A contact is *engaged* when an interaction with them is logged in the window. Senior =
    seniority executive or senior. When an account never had a decision-maker (or senior)
    interaction in the data, ``days_since_dm_contact`` (``days_since_senior_contact``)
    counts from the later of the start of the interaction history and ``customer_since``
    (a lower bound) and ``dm_contact_never`` is True. An account is ``single_threaded`` when
    exactly one contact was engaged in the last ``thread_window_days``.

    Returns columns: account_id, contacts, decision_makers, influencers, users, gatekeepers,
    senior_contacts, interactions_90d, interactions_prior_90d, engaged_contacts_90d,
    dm_engaged_90d, senior_engaged_90d, days_since_last_contact, days_since_dm_contact,
    dm_contact_never, days_since_senior_contact, engaged_contacts_180d, single_threaded.
    """
    p, as_of = _at(portfolio, as_of)
    miss = p.missing_reason("contacts", "interactions")
    if miss is not None:
        return NotAvailable(miss.reason.replace("this section is skipped", "relationship KPIs are not available"))
    ct, it = p.tables["contacts"], p.tables["interactions"]
    n = len(p.accounts)
    t = np.datetime64(as_of, "ns")
    cidx = _codes(p, "contacts")
    role = ct["role"].astype(str).str.lower().to_numpy()
    senior = np.isin(ct["seniority"].astype(str).str.lower().to_numpy(), SENIOR)
    all_rows = np.ones(len(ct), dtype=bool)
    out = _base(p)
    out["contacts"] = _count(cidx, all_rows, n)
    for r, col in [("decision_maker", "decision_makers"), ("influencer", "influencers"), ("user", "users")]:
        out[col] = _count(cidx, role == r, n)
    out["gatekeepers"] = _count(cidx, role == "gatekeeper", n)
    out["senior_contacts"] = _count(cidx, senior, n)

    iidx = _codes(p, "interactions")
    d = it["date"].to_numpy()
    known = d <= t
    # the contact of each interaction: position in the contacts table (-1 when missing)
    cache = _CODES.setdefault(p, {})
    if "interaction_contact" not in cache:
        cache["interaction_contact"] = pd.Index(ct["contact_id"]).get_indexer(it["contact_id"])
    cpos = cache["interaction_contact"]
    has_c = cpos >= 0
    i_dm = has_c & (role[np.maximum(cpos, 0)] == "decision_maker")
    i_sen = has_c & senior[np.maximum(cpos, 0)]
    w = window_days * DAY
    recent = known & (d > t - w)
    out["interactions_90d"] = _count(iidx, recent, n)
    out["interactions_prior_90d"] = _count(iidx, known & (d <= t - w) & (d > t - 2 * w), n)

    def engaged(mask: np.ndarray) -> np.ndarray:
        sel = mask & has_c & (iidx >= 0)
        uniq = np.unique(cpos[sel])
        return np.bincount(cidx[uniq][cidx[uniq] >= 0], minlength=n).astype(np.int64)

    out["engaged_contacts_90d"] = engaged(recent)
    out["dm_engaged_90d"] = engaged(recent & i_dm)
    out["senior_engaged_90d"] = engaged(recent & i_sen)
    last = _last_date(iidx, known, d, n)
    out["days_since_last_contact"] = _days_since(as_of, last)
    history_start = d[known].min() if known.any() else t
    since = p.accounts["customer_since"].to_numpy()
    floor_days = _days_since(as_of, np.maximum(since, history_start))
    dm_last = _last_date(iidx, known & i_dm, d, n)
    out["days_since_dm_contact"] = np.where(np.isnat(dm_last), floor_days, _days_since(as_of, dm_last))
    out["dm_contact_never"] = np.isnat(dm_last)
    sen_last = _last_date(iidx, known & i_sen, d, n)
    out["days_since_senior_contact"] = np.where(np.isnat(sen_last), floor_days, _days_since(as_of, sen_last))
    out["engaged_contacts_180d"] = engaged(known & (d > t - thread_window_days * DAY))
    out["single_threaded"] = out["engaged_contacts_180d"] == 1
    return out
