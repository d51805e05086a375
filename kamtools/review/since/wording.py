"""How the comparison's figures and moves are written: values, changes, band and tier moves, badges."""

from __future__ import annotations

import math

import pandas as pd

from kamtools.formatting import money, pct, signed_money
from kamtools.review.since.constants import BAND_ORDER, REVISION_SHARE, TARGET_SLIP


def _missing(v: object) -> bool:
    return (
        v is None
        or v is pd.NA
        or v is pd.NaT
        or (isinstance(v, float) and math.isnan(v))
        or str(v) in ("nan", "None", "")
    )


def _fmt(value: object, kind: str, currency: str | None = None) -> str:
    """A figure of the comparison: money with the bundle's currency, shares as whole percents
    (the same rounding as the points of a change beside them)."""
    if _missing(value):
        return "n/a"
    return money(value, currency) if kind == "money" else pct(value, digits=0)


def _fmt_change(
    value: object, kind: str, before: object = None, after: object = None, currency: str | None = None
) -> str:
    """A change as text: money signed, shares in percentage points. With ``before`` and
    ``after`` the points are those between the two rounded percentages shown beside it
    (73% to 81% reads +8 pts, whatever the decimals)."""
    if _missing(value):
        return ""
    v = float(value)
    if kind == "money":
        return signed_money(v, currency)
    pts = round(v * 100)
    if not _missing(before) and not _missing(after):
        pts = round(float(after) * 100) - round(float(before) * 100)
    if pts == 0:
        return "±0 pts"
    return f"{pts:+d} {'pt' if abs(pts) == 1 else 'pts'}"


def _band_move(before: object, after: object) -> str:
    b, a = BAND_ORDER.get(str(before)), BAND_ORDER.get(str(after))
    if b is None or a is None or a == b:
        return ""
    return "worse" if a > b else "better"


def _tier_text(v: object) -> str:
    if _missing(v):
        return "n/a"
    try:
        return f"tier {int(float(v))}"
    except (TypeError, ValueError):
        return f"tier {v}"


def _tier_move(before: object, after: object) -> str:
    if _missing(before) or _missing(after) or str(before) == str(after):
        return ""
    try:
        return "up" if float(after) < float(before) else "down"  # tier 1 is the top tier
    except (TypeError, ValueError):
        return "changed"


def _target_slipping(r) -> bool:
    """Expected attainment of the year's target down :data:`TARGET_SLIP` or more and now below 100%."""
    ch, now = r.get("target_expected_attainment_change"), r.get("target_expected_attainment_current")
    return not _missing(ch) and float(ch) <= -TARGET_SLIP and not _missing(now) and float(now) < 1


def _badge(r: pd.Series, new_high_risks: int = 0) -> str:
    """The index's short text: band, tier and forecast moves, a slipping target and new high risks."""
    if r["status"] == "new":
        return "new account"
    if r["status"] == "gone":
        return "account gone"
    bits = []
    if r.get("band_move"):
        bits.append(f"churn {r['risk_band_previous']} → {r['risk_band_current']}")
    if r.get("tier_move"):
        bits.append(f"{_tier_text(r['tier_previous'])} → {_tier_text(r['tier_current'])}")
    change = r.get("forecast_change_pct")
    if not _missing(change) and abs(float(change)) >= REVISION_SHARE:
        bits.append(f"forecast {pct(change, signed=True, digits=0)}")
    if _target_slipping(r):
        bits.append("target slipping")
    if new_high_risks:
        bits.append("new high risk" if new_high_risks == 1 else f"{new_high_risks} new high risks")
    return "; ".join(bits)
