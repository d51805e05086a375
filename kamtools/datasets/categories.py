"""What each account buys: its initial categories (industry and affinity driven) and their shares,
a category adopted during the history (whitespace), discounts renegotiated once a year, and a
preferred product per category."""

from __future__ import annotations

import numpy as np

from .arrays import _sample_rows
from .catalogue import _AFFINITY_BOOST, _AFFINITY_PAIRS, _CATEGORIES, _INDUSTRIES, CATEGORY_NAMES
from .state import GenState


def choose_categories(s: GenState) -> None:
    """Initial category sets (industry + affinity driven), shares, discounts, adoptions."""
    pref = np.array([_INDUSTRIES[k][0] for k in s.industry_names], dtype=float)[s.industry] + 0.05
    if s.groups is not None:
        pref = s.groups.shared_preferences(pref)
    s.partner = _partners(s.C)
    size_z = (np.log(s.base) - np.log(s.base).mean()) / np.log(s.base).std()
    owned = _initial_sets(s, pref, size_z)
    _adoptions(s, pref, owned)
    deep = _discounts(s, owned, size_z)
    _renegotiations(s, deep)
    s.owned0 = owned
    # each account has a preferred product per category
    u = s.rng.random((s.n, s.C))
    s.pref_prod = s.cat_prod_start[None, :] + (u * s.cat_prod_count[None, :]).astype(np.int64)


def _partners(C: int) -> np.ndarray:
    """(C, C) True for the planted affinity pairs, both ways."""
    partner = np.zeros((C, C), dtype=bool)
    for a, b in _AFFINITY_PAIRS:
        i, j = CATEGORY_NAMES.index(a), CATEGORY_NAMES.index(b)
        partner[i, j] = partner[j, i] = True
    return partner


def _initial_sets(s: GenState, pref: np.ndarray, size_z: np.ndarray) -> np.ndarray:
    """(n, C) the categories bought from the start (more for larger accounts, partners of one bought
    more likely), and their shares of the account's revenue (``s.share``, ``s.main_cat``)."""
    rng, n, C = s.rng, s.n, s.C
    k_cats = np.clip(1 + rng.poisson(np.clip(1.2 + 0.9 * size_z, 0.2, None)), 1, 7)
    owned = np.zeros((n, C), dtype=bool)
    rows = np.arange(n)
    for step in range(int(k_cats.max())):
        w = pref * np.where(owned @ s.partner, _AFFINITY_BOOST, 1.0) * ~owned
        pick = _sample_rows(rng, w, rows)
        active = k_cats > step
        owned[rows[active], pick[active]] = True
    share = rng.gamma(1.2, 1.0, (n, C)) * pref * owned
    s.share = share / share.sum(axis=1, keepdims=True)
    s.main_cat = s.share.argmax(axis=1)
    return owned


def _adoptions(s: GenState, pref: np.ndarray, owned: np.ndarray) -> None:
    """Whitespace adoptions: a new category during the history, affinity-driven (and, in a group,
    mostly a category the sister units buy)."""
    rng, n = s.rng, s.n
    p_adopt = np.array([0.55, 0.3, 0.08, 0.12, 0.45])[s.segment]
    w = (pref + 0.5) * np.where(owned @ s.partner, 1.0, 0.03) * ~owned
    if s.groups is not None:  # sister units' categories: planted cross-unit gaps
        p_adopt, w = s.groups.gap_adoption(owned, p_adopt, w)
    adopt = (rng.random(n) < p_adopt) & (owned.sum(axis=1) < s.C)
    w[~adopt] = 1.0  # unused rows
    new_cat = _sample_rows(rng, w, np.arange(n))
    first = s.start_month + 6
    last = s.M - 4
    ok = adopt & (first < last)
    adopt_month = np.where(ok, rng.integers(np.minimum(first, last - 1), last), -1)
    s.adopt_cat = np.where(ok, new_cat, -1)
    s.adopt_month = adopt_month
    add_share = rng.uniform(0.1, 0.35, n)
    s.adopt_share = np.where(ok, add_share, 0.0)


def _discounts(s: GenState, owned: np.ndarray, size_z: np.ndarray) -> np.ndarray:
    """Discounts at the start of the history (``s.discount``): bigger accounts get more; a few deep
    (loss-making) account x category pairs, which are returned."""
    rng, n, C = s.rng, s.n, s.C
    rank = size_z.argsort().argsort() / max(n - 1, 1)
    disc = rng.normal(0.03 + 0.10 * rank, 0.025)[:, None] + rng.normal(0, 0.015, (n, C))
    disc = np.clip(disc, 0.0, _margins()[None, :] - 0.08)  # ordinary discounts keep a margin
    deep = (rng.random((n, C)) < 0.03) & owned
    disc[deep] = rng.uniform(0.5, 0.62, deep.sum())
    s.discount = disc
    return deep


def _renegotiations(s: GenState, deep: np.ndarray) -> None:
    """``s.discount_t`` (n, M, C): renegotiated once a year on the account's contract month (own
    stream): previous discount + normal(0, 3 pp), kept in [0, category margin - 8 pp]; deep ones
    stay as they are."""
    r, n, M, C = s.price_rng, s.n, s.M, s.C
    contract = r.integers(1, 13, n)
    step = r.normal(0.0, 0.03, (M, n, C))
    hi = np.broadcast_to(_margins()[None, :] - 0.08, (n, C))
    disc_t = np.empty((n, M, C))
    disc_t[:, 0] = s.discount
    for m in range(1, M):
        redo = (s.cal_month[m] == contract)[:, None] & ~deep
        disc_t[:, m] = np.where(redo, np.clip(disc_t[:, m - 1] + step[m], 0.0, hi), disc_t[:, m - 1])
    s.discount_t = disc_t


def _margins() -> np.ndarray:
    """(C,) the categories' mean margins."""
    return np.array([c[2] for c in _CATEGORIES])
