"""Contacts and interactions: the people at each account (decision makers first), and the meetings,
calls, e-mails and visits with them, fading before a churn; some accounts lose access to their
decision makers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import _dates, _ids, _str, _take_str
from .catalogue import _FIRST, _INTERACTION_NOTES, _LAST, _TITLES
from .state import GenState

_ROLES = np.array(["decision_maker", "influencer", "user", "gatekeeper"])
_TYPES = np.array(["meeting", "call", "email", "visit"])


@dataclass
class _Staffing:
    """How many contacts each account has, how many of them are decision makers (listed first), and
    where the account's contacts start in the contacts table."""

    n_contacts: np.ndarray
    n_dm: np.ndarray
    cstart: np.ndarray
    contact_ids: np.ndarray


def make_relationships(s: GenState) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The contacts and the interactions tables."""
    size_z = np.log(s.base / np.median(s.base))
    staff = _staffing(s, size_z)
    return _contacts(s, staff), _interactions(s, staff, size_z)


def _staffing(s: GenState, size_z: np.ndarray) -> _Staffing:
    rng, n = s.rng, s.n
    n_contacts = np.clip(np.round(3 + 1.3 * size_z + rng.normal(0, 1, n)), 2, 8).astype(np.int64)
    single = rng.random(n) < 0.1
    n_contacts[single] = 1
    # decision makers come first within an account
    n_dm = np.where(single, 0, 1 + (rng.random(n) < 0.25 * (n_contacts > 4)))
    n_dm = np.minimum(n_dm, n_contacts)
    cstart = np.cumsum(n_contacts) - n_contacts
    return _Staffing(n_contacts, n_dm, cstart, _ids("K-", int(n_contacts.sum()), 5))


def _contacts(s: GenState, staff: _Staffing) -> pd.DataFrame:
    """Each contact's role (decision makers first), title and seniority, and name."""
    rng = s.rng
    total = len(staff.contact_ids)
    ca = np.repeat(np.arange(s.n), staff.n_contacts)
    pos = np.arange(total) - staff.cstart[ca]
    is_dm = pos < staff.n_dm[ca]
    role_idx = np.where(is_dm, 0, rng.choice([1, 2, 3], size=total, p=[0.45, 0.35, 0.2]))
    title_k = rng.integers(0, 4, total)
    titles, senior = [], []
    for r, k in zip(role_idx, title_k):
        opts = _TITLES[_ROLES[r]]
        t = opts[k % len(opts)]
        titles.append(t[0])
        senior.append(t[1])
    first = rng.integers(0, len(_FIRST), total)
    last = rng.integers(0, len(_LAST), total)
    names = [f"{_FIRST[f]} {_LAST[la]}" for f, la in zip(first, last)]
    title_arr = np.array(titles, dtype=object)
    title_arr[rng.random(total) < 0.05] = None
    return pd.DataFrame(
        {
            "contact_id": _str(staff.contact_ids),
            "account_id": _str(s.acc_ids[ca]),
            "name": _str(names),
            "title": _str(title_arr),
            "role": _str(_ROLES[role_idx]),
            "seniority": _str(senior),
        }
    )


def _interactions(s: GenState, staff: _Staffing, size_z: np.ndarray) -> pd.DataFrame:
    """Interactions per account and month (Poisson, fading before churn), with whom, of which type,
    with which notes, in date order."""
    a, m, day = _interaction_days(s, size_z)
    contact = _met_contact(s, staff, a, m)
    ti, note_code = _types_and_notes(s, len(a))
    flat_notes = [note for t in _TYPES for note in _INTERACTION_NOTES[t]]
    order = np.lexsort((a, day))
    return pd.DataFrame(
        {
            "account_id": _take_str(s.acc_ids, a[order]),
            "contact_id": _take_str(staff.contact_ids, contact[order]),
            "date": _dates(day[order]),
            "type": _take_str(_TYPES, ti[order]),
            "notes": _take_str(flat_notes, note_code[order]),
        }
    )


def _interaction_days(s: GenState, size_z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Account, month and day of each interaction: account x month Poisson, fading before churn."""
    rng, n, M = s.rng, s.n, s.M
    rate = np.clip(1.5 + 1.0 * size_z, 0.7, 8)[:, None] * np.ones((1, M))
    rate = np.where(s.signal, rate * (1 - 0.75 * s.signal_frac), rate)
    rate = np.where(s.after_churn, np.where(s.churn_full[:, None], 0.05, 0.5) * rate, rate)
    started = np.arange(M)[None, :] >= s.start_month[:, None]
    rate = rate * started
    counts = rng.poisson(rate)
    cell = np.repeat(np.arange(n * M), counts.ravel())
    a, m = cell // M, cell % M
    day = s.month_days[m] + (rng.random(len(a)) * s.n_days[m]).astype(np.int64)
    return a, m, day


def _met_contact(s: GenState, staff: _Staffing, a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Row of the contact met in each interaction (-1 = none recorded): a decision maker in 45% of
    the interactions while the account gives access to them, else another contact."""
    rng, n, M = s.rng, s.n, s.M
    n_contacts, n_dm, cstart = staff.n_contacts, staff.n_dm, staff.cstart
    # no decision-maker contact: churners from their signal start, ~10% of others lately
    gap = ~s.churned & (rng.random(n) < 0.08)
    gap_from = np.where(gap, M - rng.integers(4, 9, n), np.where(s.churned, s.signal_month, M + 100))
    dm_ok = (m < gap_from[a]) & (n_dm[a] > 0)
    choose_dm = dm_ok & (rng.random(len(a)) < 0.45)
    n_non = n_contacts - n_dm
    u = rng.random(len(a))
    cidx = np.where(
        choose_dm | (n_non[a] == 0),
        cstart[a] + (u * np.maximum(n_dm[a], 1)).astype(np.int64),
        cstart[a] + n_dm[a] + (u * np.maximum(n_non[a], 1)).astype(np.int64),
    )
    # no suitable contact (only a DM who is not met) or not recorded -> missing contact
    missing = ((n_non[a] == 0) & ~dm_ok) | (rng.random(len(a)) < 0.05)
    return np.where(missing, -1, cidx)


def _types_and_notes(s: GenState, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Type of each interaction and its notes, as an index into the flat list of every type's
    templates (-1 = no notes)."""
    rng = s.rng
    ti = rng.choice(4, size=k, p=[0.2, 0.3, 0.35, 0.15])
    notes_k = rng.integers(0, 4, k)
    n_notes = np.array([len(_INTERACTION_NOTES[t]) for t in _TYPES])
    note_code = (np.cumsum(n_notes) - n_notes)[ti] + notes_k % n_notes[ti]
    note_code[rng.random(k) < 0.25] = -1
    return ti, note_code
