"""Accounts: segment, revenue level and growth, customer since, industry, region, country, channel,
owner, a unique company name, and (once the revenue levels are known) the wallet estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import _dates, _ids, _str
from .catalogue import (
    _CHANNEL_FREQ,
    _CHANNELS,
    _INDUSTRIES,
    _INDUSTRY_FREQ,
    _NAME_PREFIXES,
    _OWNERS,
    _REGIONS,
    _SEGMENT_FREQ,
    SEGMENTS,
)
from .state import GenState


def make_accounts(s: GenState) -> None:
    """The accounts table (``s.accounts_df``, potential_revenue still empty) and the arrays behind it."""
    s.acc_ids = _ids("A", s.n, 4)
    _levels_and_since(s)
    regions, countries, channel, owner = _profiles(s)
    s.accounts_df = pd.DataFrame(
        {
            "account_id": _str(s.acc_ids),
            "name": _str(_names(s, countries)),
            "industry": _str([s.industry_names[i] for i in s.industry]),
            "region": _str([regions[r] for r in s.region]),
            "country": _str([c[0] for c in countries]),
            "channel": _str([_CHANNELS[c] for c in channel]),
            "owner": _str([_OWNERS[o] for o in owner]),
            "customer_since": _dates(s.since_day),
            "potential_revenue": np.nan,  # set in estimate_wallet once the revenue levels are known
        }
    )


def _levels_and_since(s: GenState) -> None:
    """Segment, yearly revenue level at the start of the history, growth, first month and customer since."""
    rng, n = s.rng, s.n
    s.segment = rng.choice(len(SEGMENTS), size=n, p=_SEGMENT_FREQ)
    seg = s.segment
    # yearly revenue level at the start of the history: lognormal, segment-shifted
    shift = np.array([1.3, 0.3, 0.2, -1.2, -0.2])[seg]
    s.base = np.exp(np.log(90_000) + shift + rng.normal(0, 1.05, n))
    # trend per year (log growth)
    lo = np.array([0.10, -0.04, -0.28, -0.06, 0.12])[seg]
    hi = np.array([0.25, 0.06, -0.10, 0.06, 0.35])[seg]
    s.growth = rng.uniform(lo, hi)
    # customer since: existing accounts years before history; new ones inside it
    start_day = s.month_days[0]
    is_new = seg == SEGMENTS.index("new_growing")
    s.start_month = np.zeros(n, dtype=np.int64)
    s.start_month[is_new] = rng.integers(0, max(1, s.M - 12), is_new.sum())
    since = start_day - rng.integers(60, 365 * 20, n)
    since_new = s.month_days[s.start_month] - rng.integers(0, 25, n)
    s.since_day = np.where(is_new, since_new, since)
    s.is_new = is_new


def _profiles(s: GenState) -> tuple[list[str], list[tuple[str, str]], np.ndarray, np.ndarray]:
    """Industry and region (stored), and the region names, (country, legal form) pairs, channel and owner codes."""
    rng, n = s.rng, s.n
    s.industry_names = list(_INDUSTRIES)
    s.industry = rng.choice(len(_INDUSTRIES), size=n, p=_INDUSTRY_FREQ / _INDUSTRY_FREQ.sum())
    regions = list(_REGIONS)
    s.region = rng.choice(len(regions), size=n, p=[0.3, 0.28, 0.27, 0.15])
    country_k = rng.integers(0, 4, n) % np.array([len(_REGIONS[r]) for r in regions])[s.region]
    countries = [_REGIONS[regions[r]][k] for r, k in zip(s.region, country_k)]
    channel = rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_FREQ)
    n_owners = int(np.clip(round(n / 25), 5, len(_OWNERS)))
    owner = rng.integers(0, n_owners, n)
    return regions, countries, channel, owner


def _names(s: GenState, countries: list[tuple[str, str]]) -> list[str]:
    """A unique company name per account ("Nordic Feeds AB"), three of them with characters to escape."""
    rng, n = s.rng, s.n
    names, seen = [], set()
    pre = rng.integers(0, len(_NAME_PREFIXES), n)
    core = rng.integers(0, 4, n)
    for i in range(n):
        cores = _INDUSTRIES[s.industry_names[s.industry[i]]][1]
        name = f"{_NAME_PREFIXES[pre[i]]} {cores[core[i] % len(cores)]} {countries[i][1]}"
        base_name, k = name, 2
        while name in seen:
            name = f"{base_name} ({k})"
            k += 1
        seen.add(name)
        names.append(name)

    # adversarial but valid strings: escaping in CSV, HTML and LaTeX
    def core_of(i: int) -> str:
        return _INDUSTRIES[s.industry_names[s.industry[i]]][1][0]

    names[2] = f"O'Neill & Daughters {core_of(2)} {countries[2][1]}"
    names[3] = f'Smith, Brown "Quality" {core_of(3)} {countries[3][1]}'
    names[9] = f"Müller & Söhne {core_of(9)} {countries[9][1]}"
    return names


def estimate_wallet(s: GenState) -> None:
    """potential_revenue: expected (churn-free) revenue of the last 12 months / share of wallet.

    Our share of wallet is drawn in 10-90%; ~20% of accounts have no estimate.
    """
    rng, n, M = s.rng, s.n, s.M
    sow = np.clip(rng.beta(2.0, 2.2, n) * 0.8 + 0.1, 0.1, 0.9)
    expected = s.base / 12 * s.plan_level[:, M - 12 : M].sum(axis=1) * (1 + s.adopt_share)
    wallet = np.round(expected / sow, -2)
    wallet[rng.random(n) < 0.2] = np.nan
    s.share_of_wallet = sow
    s.accounts_df["potential_revenue"] = wallet.astype(float)
