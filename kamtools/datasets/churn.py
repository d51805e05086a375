"""Churn and its signals: which accounts churn (fully or partly) and when, the competitor that
attacks them, temporary dips of accounts that stay, and the account x month levels, order rates
and category weights that follow from them."""

from __future__ import annotations

import numpy as np

from .catalogue import _CATEGORIES, _COMPETITORS
from .state import GenState


def plant_churn(s: GenState) -> None:
    """Who churns (fully or partly), when, and when the signals start; the aggressive competitor that
    attacks most churners (and a few others); temporary dips of accounts that stay."""
    rng, n, M = s.rng, s.n, s.M
    seg = s.segment
    p = np.array([0.065, 0.145, 0.37, 0.23, 0.09])[seg]
    # churn in the last 2 years (less when the history is short), signals 3-9 months
    # ahead; the account needs 9 months of normal behaviour before its signals start
    lo = max(M - 24, min(M - 6, 15))
    churn_month = rng.integers(lo, M - 1, n)
    lead = np.minimum(rng.integers(3, 10, n), churn_month - 1)
    eligible = s.start_month <= churn_month - lead - 9
    churned = (rng.random(n) < p) & eligible
    kind_full = rng.random(n) < 0.5
    s.churned = churned
    s.churn_full = churned & kind_full
    s.churn_partial = churned & ~kind_full
    s.churn_month = np.where(churned, churn_month, M + 100)
    s.signal_month = np.where(churned, churn_month - lead, M + 100)
    s.partial_level = rng.uniform(0.15, 0.4, n)
    # accounts attacked by an aggressive competitor: most churners, a few others
    aggressive = [i for i, c in enumerate(_COMPETITORS) if c[2]]
    attacked = np.where(churned, rng.random(n) < 0.65, rng.random(n) < 0.07)
    s.attacker = np.where(attacked, rng.choice(aggressive, size=n), -1)
    attack_start = np.where(churned, s.signal_month - rng.integers(0, 3, n), rng.integers(0, M - 6, n))
    s.attack_month = np.where(attacked, np.maximum(attack_start, s.start_month), M + 100)
    # temporary dips for non-churners (noise of the same kind as churn signals)
    s.dip_month = np.where(~churned & (rng.random(n) < 0.15), rng.integers(6, M, n), M + 100)


def monthly_levels(s: GenState) -> None:
    """Account x month arrays: revenue level, order-rate and order-size multipliers, signal flags."""
    n, M = s.n, s.M
    t = np.arange(M + 12)[None, :]  # incl. 12 future months for targets
    trend = np.exp(s.growth[:, None] * t / 12)
    since = t - s.start_month[:, None]
    ramp = np.where(since >= 0, 1 - np.exp(-(since + 1) / 4.0), 0.0)
    ramp[~s.is_new] = 1.0
    s.plan_level = trend * ramp  # what a planner would expect without churn
    # churn: linear fade in the signal window, stop or drop after
    cm, sm = s.churn_month[:, None], s.signal_month[:, None]
    frac = np.clip((t - sm + 1) / np.maximum(cm - sm, 1), 0, 1)
    in_window = (t >= sm) & (t < cm)
    after = t >= cm
    rate_mult = np.where(in_window, 0.85 - 0.5 * frac, 1.0)
    size_mult = np.where(in_window, 0.95 - 0.3 * frac, 1.0)
    after_level = np.where(s.churn_full, 0.0, s.partial_level)[:, None]
    rate_mult = np.where(after, np.sqrt(after_level), rate_mult)
    size_mult = np.where(after, np.sqrt(after_level), size_mult)
    dip = (t >= s.dip_month[:, None]) & (t < s.dip_month[:, None] + 3)
    rate_mult = np.where(dip, rate_mult * 0.6, rate_mult)
    s.signal = in_window[:, :M]
    s.signal_frac = np.where(in_window, frac, 0.0)[:, :M]
    s.after_churn = after[:, :M]
    s.dip = dip[:, :M]
    s.rate_mult = rate_mult[:, :M]
    s.size_mult = size_mult[:, :M]
    # churners stop growing once their signals start: the drop is measured from there
    frozen = s.plan_level[np.arange(n), np.clip(s.signal_month, 0, M - 1)]
    s.level = np.where(t >= sm, frozen[:, None], s.plan_level)[:, :M]
    _category_weights(s)


def _category_weights(s: GenState) -> None:
    """Category weights per account x month (seasonality, adoption ramp, dropped categories) and the
    account's seasonality that follows from them."""
    n, M = s.n, s.M
    C = s.C
    amp = np.array([c[3] for c in _CATEGORIES])
    peak = np.array([c[4] for c in _CATEGORIES])
    season = 1 + amp[None, :] * np.cos(2 * np.pi * (s.cal_month[:M, None] - peak[None, :]) / 12)  # (M, C)
    s.season = season
    w = s.share[:, None, :] * season[None, :, :]  # (n, M, C)
    has = s.adopt_cat >= 0
    ai = np.nonzero(has)[0]
    ramp_a = np.clip((np.arange(M)[None, :] - s.adopt_month[ai, None] + 1) / 4.0, 0, 1)
    w[ai, :, s.adopt_cat[ai]] = s.adopt_share[ai, None] * ramp_a * season[:, s.adopt_cat[ai]].T
    # churners drop their non-main categories one by one in the signal window
    rng = s.rng
    drop_at = np.where(s.churned[:, None], s.signal_month[:, None] + rng.integers(1, 6, (n, C)), M + 100)
    drop_at[np.arange(n), s.main_cat] = M + 100
    drop_at[s.churn_partial, :] = np.minimum(drop_at[s.churn_partial, :], s.churn_month[s.churn_partial, None])
    drop_at[np.arange(n), s.main_cat] = M + 100
    s.drop_at = drop_at
    dropped = np.arange(M)[None, :, None] >= drop_at[:, None, :]
    w[dropped] = 0.0
    s.cat_w = w
    # account seasonality = share-weighted category seasonality
    tot = w.sum(axis=2)
    base_tot = (s.share[:, None, :] * np.ones((1, M, C))).sum(axis=2)
    s.acc_season = np.where(base_tot > 0, tot / np.maximum(base_tot, 1e-12), 1.0)
    s.acc_season = np.clip(s.acc_season, 0.2, None)
    s.cat_w = w.reshape(n * M, C)
