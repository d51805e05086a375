"""Small vectorised helpers of the demo generator: ids, string and date columns, weighted draws, the month grid."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """['A0001', 'A0002', ...] as a numpy unicode array."""
    width = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)])


def _str(values) -> pd.Series:
    """Values (None = missing) -> pandas string Series."""
    return pd.Series(values, dtype="str")


def _take_str(labels, codes: np.ndarray) -> pd.Series:
    """``labels[codes]`` as a pandas string Series, fast for millions of rows; code -1 = missing."""
    lab = pd.Series([*list(labels), None], dtype="str")
    codes = np.asarray(codes, dtype=np.int64)
    return lab.take(np.where(codes < 0, len(lab) - 1, codes)).reset_index(drop=True)


def _seq_ids(prefix: str, n: int, width: int) -> pd.Series:
    """'SO-0000001', 'SO-0000002', ... as a pandas string Series (vectorised)."""
    width = max(width, len(str(n)))
    return (prefix + pd.Series(np.arange(1, n + 1)).astype("str").str.zfill(width)).astype("str")


def _dates(days: np.ndarray) -> pd.Series:
    """Days since 1970-01-01 (int) -> datetime64[ns] Series."""
    days = np.asarray(days)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    return pd.Series(out)


def _sample_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of ``rows`` draw a column index with probability ∝ ``weights[row]``.

    ``weights`` is (R, K) with every used row summing to > 0. Vectorised inverse-CDF on a
    flattened, row-offset cumulative array.
    """
    r, k = weights.shape
    cum = np.cumsum(weights, axis=1, dtype=np.float64)
    total = cum[:, -1:].copy()
    total[total <= 0] = 1.0
    cum = cum / total + np.arange(r, dtype=np.float64)[:, None]
    cum[:, -1] = np.arange(1, r + 1)  # exact row ends
    u = rows + rng.random(len(rows)) * (1 - 1e-12)
    idx = np.searchsorted(cum.ravel(), u, side="right")
    return np.minimum(idx - rows * k, k - 1)


def _month_grid(end: pd.Timestamp, years: int) -> tuple[np.ndarray, int]:
    """(month starts as days since epoch for M+13 months incl. 12 future ones, n history months)."""
    m_hist = years * 12
    last = np.datetime64(end.to_period("M").to_timestamp().date(), "M")
    months = last - np.arange(m_hist - 1, -13 - 1, -1)  # m_hist history months + 13 after (for targets/ends)
    return months.astype("datetime64[D]").astype(np.int64), m_hist


def _nat_dates(days: np.ndarray) -> pd.Series:
    """Like _dates, with int64-min entries meaning missing (NaT)."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == np.iinfo(np.int64).min
    out = np.where(missing, 0, days).astype("datetime64[D]").astype("datetime64[ns]")
    out[missing] = np.datetime64("NaT")
    return pd.Series(out)


def _sample_rows_grouped(
    rng: np.random.Generator, weights: np.ndarray, start: np.ndarray, count: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """For each entry of ``group`` draw an item of that group (items contiguous from ``start``) ∝ weights."""
    cum = np.zeros(len(weights))
    gid = np.repeat(np.arange(len(start)), count)
    for g in range(len(start)):
        s, c = start[g], count[g]
        w = np.cumsum(weights[s : s + c])
        cum[s : s + c] = w / w[-1]
    cum = cum + gid
    cum[start + count - 1] = np.arange(1, len(start) + 1)
    u = group + rng.random(len(group)) * (1 - 1e-12)
    idx = np.searchsorted(cum, u, side="right")
    return np.minimum(idx, start[group] + count[group] - 1)
