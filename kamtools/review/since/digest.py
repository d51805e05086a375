"""The digest: the portfolio's notable changes, ranked by value at stake."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.formatting import money
from kamtools.review.since.constants import DIGEST_REVISIONS, REVISION_SHARE
from kamtools.review.since.wording import _fmt, _missing, _target_slipping, _tier_text

DIGEST_COLUMNS = ["rank", "account_id", "name", "owner", "kind", "sentence", "value_at_stake"]


DIGEST_KINDS = (
    "churn band",
    "tier",
    "new high risk",
    "target slipping",
    "forecast revision",
    "new account",
    "account gone",
    "done, still holds",
)


def _digest(
    acc: pd.DataFrame,
    risks: pd.DataFrame,
    prev_date,
    cur_date,
    top: int | None = DIGEST_REVISIONS,
    currency: str | None = None,
    actions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    rows = []

    def add(r, kind, sentence, value=None):
        v = r["value_at_stake"] if value is None or _missing(value) else float(value)
        rows.append(
            {
                "account_id": r["account_id"],
                "name": r["name"],
                "owner": r["owner"],
                "kind": kind,
                "sentence": sentence,
                "value_at_stake": float(v),
            }
        )

    for _, r in acc.iterrows():
        for kind, sentence in _account_lines(r, prev_date, cur_date):
            add(r, kind, sentence)
    if "forecast_change_pct" in acc:
        for _, r in _largest_revisions(acc, top).iterrows():
            add(r, "forecast revision", _revision_sentence(r, currency))
    if len(risks):
        high = risks[(risks["status"] == "new") & (risks["severity"].astype(str) == "high")]
        by_id = acc.set_index("account_id")
        for _, k in high.iterrows():
            r = by_id.loc[k["account_id"]].copy()
            r["account_id"] = k["account_id"]
            add(r, "new high risk", f"New high risk: {k['risk']}", k["value_at_stake"])
    if actions is not None and len(actions) and "condition_holds" in actions.columns:
        again = actions[(actions["follow_up"] == "done") & actions["condition_holds"].astype(bool)]
        by_id = acc.set_index("account_id")
        for _, x in again.iterrows():
            if x["account_id"] not in by_id.index:
                continue
            r = by_id.loc[x["account_id"]].copy()
            r["account_id"] = x["account_id"]
            text = str(x["follow_up_text"])
            add(
                r,
                "done, still holds",
                f"{x['action']} ({x['action_id']}): {text[:1].upper()}{text[1:]}",
                x["value_at_stake"],
            )
    return _ranked(rows)


def _points(before: object, after: object) -> str:
    """The fall between two shares as whole percentage points of the rounded shares shown ("1 pt", "8 pts")."""
    pts = round(float(before) * 100) - round(float(after) * 100)
    return f"{pts} {'pt' if abs(pts) == 1 else 'pts'}"


def _account_lines(r: pd.Series, prev_date, cur_date) -> list[tuple[str, str]]:
    """(kind, sentence) of one account's notable changes: new or gone, else churn band, tier and target slipping."""
    if r["status"] == "new":
        return [("new account", f"New since the review of {prev_date}.")]
    if r["status"] == "gone":
        return [("account gone", f"In the analysis of {prev_date}, no longer in the one of {cur_date}.")]
    out = []
    if r.get("band_move"):
        pb, pa = r.get("churn_probability_previous"), r.get("churn_probability_current")
        probs = f" ({_fmt(pb, 'pct')} to {_fmt(pa, 'pct')})" if not _missing(pb) and not _missing(pa) else ""
        word = "up" if r["band_move"] == "worse" else "down"
        out.append(
            ("churn band", f"Churn risk {word} from {r['risk_band_previous']} to {r['risk_band_current']}{probs}.")
        )
    if r.get("tier_move"):
        out.append(
            (
                "tier",
                f"Tier moved {r['tier_move']} from {_tier_text(r['tier_previous'])} to {_tier_text(r['tier_current'])}.",
            )
        )
    if _target_slipping(r):
        out.append(
            (
                "target slipping",
                f"Expected attainment of the year's target down "
                f"{_points(r['target_expected_attainment_previous'], r['target_expected_attainment_current'])}, from "
                f"{_fmt(r['target_expected_attainment_previous'], 'pct')} to {_fmt(r['target_expected_attainment_current'], 'pct')}.",
            )
        )
    return out


def _largest_revisions(acc: pd.DataFrame, top: int | None) -> pd.DataFrame:
    """The accounts in both bundles whose forecast moved by :data:`REVISION_SHARE` or more, largest first
    (at most ``top``; all when None)."""
    rev = acc[(acc["status"] == "both") & (acc["forecast_change_pct"].abs() >= REVISION_SHARE)]
    return rev.reindex(rev["forecast_next_12m_change"].abs().sort_values(ascending=False).index).head(
        top if top is not None else len(rev)
    )


def _revision_sentence(r: pd.Series, currency: str | None) -> str:
    ch = float(r["forecast_next_12m_change"])
    return (
        f"Next-12-month forecast {'raised' if ch > 0 else 'cut'} by {money(abs(ch), currency)} "
        f"({r['forecast_change_pct']:+.0%}), "
        f"from {money(float(r['forecast_next_12m_previous']), currency)} to "
        f"{money(float(r['forecast_next_12m_current']), currency)}."
    )


def _ranked(rows: list[dict]) -> pd.DataFrame:
    """The digest rows ranked by value at stake (then account and kind)."""
    df = pd.DataFrame(rows, columns=DIGEST_COLUMNS[1:])
    if df.empty:
        return pd.DataFrame(columns=DIGEST_COLUMNS)
    kind_order = {k: i for i, k in enumerate(DIGEST_KINDS)}
    df["_k"] = df["kind"].map(kind_order)
    df = df.sort_values(["value_at_stake", "account_id", "_k"], ascending=[False, True, True], kind="stable")
    df = df.drop(columns="_k").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df[DIGEST_COLUMNS]
