"""Risk bands from the churn probability alone, and the churn table ranked by revenue at risk.

The band reads the same on every account: **high** from :data:`HIGH_RISK_P`, **medium** from
:data:`MEDIUM_RISK_P`, **low** below (see :mod:`kamtools.churn.scoring`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

BANDS = ("high", "medium", "low")

HIGH_RISK_P = 0.30
"""Churn probability from which an account is in the **high** risk band."""
MEDIUM_RISK_P = 0.10
"""Churn probability from which an account is in the **medium** risk band."""


MIN_TO_COMPARE = 3  # active accounts needed before "all show the same figure" means anything (not one account's slice)


def same_for_all(churn: object) -> bool:
    """Whether a churn table's active accounts (bands :data:`BANDS`, at least :data:`MIN_TO_COMPARE`) all show the
    same figure in whole points, as the pages print it: the figure then says how many may stop, not which (a short
    history's score, say); the churn section says so and the plan raises no retention action on it."""
    if not isinstance(churn, pd.DataFrame) or not {"risk_band", "churn_probability"} <= set(churn.columns):
        return False
    active = churn[churn["risk_band"].isin(BANDS)]
    points = np.round(pd.to_numeric(active["churn_probability"], errors="coerce").dropna().to_numpy() * 100)
    return len(points) >= MIN_TO_COMPARE and bool(np.all(points == points[0]))


def is_score(method: object) -> bool:
    """True when a churn ``method`` text names a score rather than a probability (the last-resort fallback)."""
    return str(method).startswith("a churn score")


def churn_is_score(churn: object) -> bool:
    """True when a churn table (one account's or the portfolio's) holds scores, not probabilities.

    The one flag every face reads (page one, the churn section, the overview, the plan): the
    ``method`` the churn stage wrote, which names the unchecked fallback "a churn score".
    """
    if not isinstance(churn, pd.DataFrame) or churn.empty or "method" not in churn.columns:
        return False
    return bool(churn["method"].map(is_score).any())


def score_text(value: float) -> str:
    """A churn score as a user reads it: '57/100' (never a percent, which would read as a probability).

    The bands cut a score where they cut a probability, and rounding never carries a score up onto a
    band's edge it is below (0.2996, medium, reads '29.9/100', not '30/100' beside 'medium').
    """
    x = float(value)
    for edge in (MEDIUM_RISK_P, HIGH_RISK_P):
        if x < edge and round(x * 100) >= round(edge * 100):
            return f"{math.floor(x * 1000) / 10:.1f}/100"
    return f"{100 * x:.0f}/100"


def churn_figure(value: float, score: bool) -> str:
    """The churn figure as every face writes it: '57/100' for a score, '57%' for a probability
    ('0.4%' under one percent, so a small probability never reads as 0%)."""
    v = float(value)
    if score:
        return score_text(v)
    return f"{v:.0%}" if abs(v) >= 0.01 or v == 0 else f"{v:.1%}"


def churn_measure(score: bool) -> str:
    """What the churn figure is, in words: 'churn score' or 'churn probability'."""
    return "churn score" if score else "churn probability"


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


_BASE_WORDS = {
    "forecast": "the 12-month forecast",
    "value model": "the value model's expected 12-month value",
    "last 12 months' revenue": "the last 12 months' revenue",
}


def risk_base_words(source: object) -> str:
    """What revenue at risk multiplies the churn probability (or score) by, in words, for a churn table's
    ``risk_base`` (a table written before that column existed used the value model)."""
    text = "value model" if source is None or pd.isna(source) else str(source)
    return _BASE_WORDS.get(text, "the value model's expected 12-month value")


def risk_base_phrase(churn: pd.DataFrame) -> str:
    """The basis of revenue at risk over a whole churn table: "the 12-month forecast", naming the accounts that
    use another figure (no forecast for them), or that other figure when no account has a forecast."""
    if "risk_base" not in churn.columns or not len(churn):
        return risk_base_words(None)
    sources = churn["risk_base"].astype(str)
    if (sources == "forecast").all():
        return risk_base_words("forecast")
    if not (sources == "forecast").any():
        return risk_base_words(sources.iloc[0])
    other = sources[sources != "forecast"]
    n = len(other)
    return (
        f"the 12-month forecast ({risk_base_words(other.iloc[0])} for the {n} account{'s' if n != 1 else ''} "
        "without a forecast)"
    )
