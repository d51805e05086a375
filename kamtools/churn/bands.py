"""Risk bands from the churn probability alone, and the churn table ranked by revenue at risk.

The band reads the same on every account: **high** from :data:`HIGH_RISK_P`, **medium** from
:data:`MEDIUM_RISK_P`, **low** below (see :mod:`kamtools.churn.scoring`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BANDS = ("high", "medium", "low")

HIGH_RISK_P = 0.30
"""Churn probability from which an account is in the **high** risk band."""
MEDIUM_RISK_P = 0.10
"""Churn probability from which an account is in the **medium** risk band."""


def risk_bands(
    probability: np.ndarray,
    revenue_at_risk: np.ndarray | None = None,
    high: float = HIGH_RISK_P,
    medium: float = MEDIUM_RISK_P,
) -> tuple[np.ndarray, dict[str, float]]:
    """Risk band per account from its churn probability only (module docstring).

    ``high`` and ``medium`` are the probability cut-offs (``p >= high`` is high,
    ``medium <= p < high`` medium, the rest low; a missing probability is low).
    ``revenue_at_risk`` is not used for the band (money is ranked separately); it is
    accepted so callers can pass both. Returns (bands array of ``"high"``/``"medium"``/
    ``"low"``, thresholds dict with the cut-offs ``high`` and ``medium``).
    """
    if not 0 < medium < high <= 1:
        raise ValueError("risk_bands: need 0 < medium < high <= 1 (probability cut-offs)")
    p = np.nan_to_num(np.asarray(probability, dtype=float), nan=0.0)
    bands = np.full(len(p), "low", dtype=object)
    bands[p >= medium] = "medium"
    bands[p >= high] = "high"
    return bands, {"high": float(high), "medium": float(medium)}


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """The churn table ordered by revenue at risk (ties by account_id), ``risk_rank`` 1..n as its second column."""
    out = table.drop(columns="risk_rank", errors="ignore")
    out = out.sort_values(["revenue_at_risk", "account_id"], ascending=[False, True], kind="stable")
    out.insert(1, "risk_rank", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)
