"""Complaints: more of them, and more severe, in a churner's signal window and in the bad spells
of accounts that stay; some still open at the analysis date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import _dates, _ids, _nat_dates, _str
from .catalogue import _COMPLAINT_TEXT, CATEGORY_NAMES
from .state import GenState


def make_complaints(s: GenState) -> pd.DataFrame:
    """Complaints per account and month: more and more severe in a signal window or a dip, longer to
    resolve, some still open at ``as_of``."""
    rng, n, M = s.rng, s.n, s.M
    size_z = np.log(s.base / np.median(s.base))
    base_rate = np.clip(0.03 + 0.02 * size_z, 0.01, 0.12)[:, None] * np.ones((1, M))
    rate = np.where(s.signal, base_rate + 0.35, base_rate)
    rate = np.where(s.dip, rate + 0.12, rate)  # non-churners have bad spells too
    rate = np.where(s.after_churn & s.churn_full[:, None], 0.0, rate)
    rate = rate * (np.arange(M)[None, :] >= s.start_month[:, None])
    counts = rng.poisson(rate)
    cell = np.repeat(np.arange(n * M), counts.ravel())
    a, m = cell // M, cell % M
    day = s.month_days[m] + (rng.random(len(a)) * s.n_days[m]).astype(np.int64)
    sig = s.signal[a, m]
    sev_p_normal = np.array([0.45, 0.35, 0.16, 0.04])
    sev_p_signal = np.array([0.12, 0.33, 0.37, 0.18])
    u = rng.random(len(a))
    sev = np.where(
        sig,
        np.searchsorted(np.cumsum(sev_p_signal), u, side="right"),
        np.searchsorted(np.cumsum(sev_p_normal), u, side="right"),
    ).clip(0, 3)
    days = rng.lognormal(np.log(6) + 0.35 * sev + np.where(sig, 1.1, 0.0), 0.7)
    resolved = day + np.ceil(days).astype(np.int64)
    # still open: not resolved by as_of, or stuck (more likely for recent cases)
    stuck = rng.random(len(a)) < np.where(m >= M - 6, 0.15, 0.005)
    resolved = np.where((resolved > s.as_of_day) | stuck, np.iinfo(np.int64).min, resolved)
    cats = list(_COMPLAINT_TEXT)
    cat_i = rng.choice(len(cats), size=len(a), p=[0.32, 0.28, 0.15, 0.1, 0.15])
    main_cat_name = np.array(CATEGORY_NAMES)[s.main_cat[a]]
    k = rng.integers(0, 3, len(a))
    nn = rng.integers(2, 15, len(a))
    text = [
        _COMPLAINT_TEXT[cats[c]][kk % len(_COMPLAINT_TEXT[cats[c]])].format(cat=mc.lower(), n=x)
        for c, kk, mc, x in zip(cat_i, k, main_cat_name, nn)
    ]
    order = np.lexsort((a, day))
    ids = _ids("C-", len(a), 5)
    return pd.DataFrame(
        {
            "complaint_id": _str(ids),
            "account_id": _str(s.acc_ids[a[order]]),
            "opened_date": _dates(day[order]),
            "resolved_date": _nat_dates(resolved[order]),
            "severity": _str(np.array(["low", "medium", "high", "critical"])[sev[order]]),
            "category": _str(np.array(cats)[cat_i[order]]),
            "description": _str(np.array(text, dtype=object)[order]),
        }
    )
