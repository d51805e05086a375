"""The reasons behind each account's churn risk that a KAM can act on, as sentences: :func:`presentable_drivers`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.churn.catalogue import FEATURE_LABELS, format_value
from kamtools.churn.reasons import PRESENTABLE_FEATURES, reassuring_side, risky_side
from kamtools.churn.sentences import driver_text


def presentable_drivers(
    X: pd.DataFrame, contributions: pd.DataFrame, top: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reasons behind each account's churn risk that a KAM can act on, as sentences.

    ``X`` holds the scored accounts' features (one row per account, the order of
    ``contributions``, the model's per-feature log-odds contributions). Only features in
    :data:`~kamtools.churn.features.PRESENTABLE_FEATURES` are considered, so static
    attributes (region, industry, tenure) and other models' outputs (P(alive), expected
    value) may move the probability but are never given as the account's reasons.

    Returns ``(reasons, favourable)``, both with columns ``row`` (position in X), ``rank``,
    ``feature``, ``label``, ``contribution``, ``direction``, ``value``, ``value_text``,
    ``sentence``. ``reasons`` holds up to ``top`` drivers per account that raise the risk
    *and* whose value is on the worrying side (more complaints, falling revenue, a long
    order gap); a value the model weighs against intuition (fast growth raising the risk)
    is not presented as a reason. ``favourable`` holds up to ``top`` drivers that lower
    the risk with a reassuring value ("what works for us").
    """
    cols = [c for c in contributions.columns if c in PRESENTABLE_FEATURES and c in X.columns]
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(X[c])]
    reference = X[numeric].median(numeric_only=True).to_dict() if numeric else {}
    C = contributions[cols].to_numpy(dtype=float) if cols else np.zeros((len(X), 0))
    records = X.to_dict("records")
    found: dict[str, list[tuple]] = {"reasons": [], "favourable": []}
    for i, rec in enumerate(records):
        if not cols:
            break
        c = C[i]
        for kind, order, keep in (
            ("reasons", np.argsort(-c, kind="stable"), risky_side),
            ("favourable", np.argsort(c, kind="stable"), reassuring_side),
        ):
            rank = 0
            # two features can tell the same fact: the order gap in days and as a ratio, or the bids lost in 12 months
            # alone and inside the sentence of the bids lost to competitors
            said: list[str] = []
            for j in order:
                if rank >= top or (kind == "reasons" and c[j] <= 0) or (kind == "favourable" and c[j] >= 0):
                    break
                f = cols[j]
                if not keep(f, rec, reference):
                    continue
                sentence = driver_text(f, rec)
                if not sentence or said_already(sentence, said):
                    continue
                said.append(sentence)
                rank += 1
                v = rec.get(f)
                num = float(v) if f in numeric and v is not None and not pd.isna(v) else np.nan
                found[kind].append((i, rank, f, float(c[j]), num, format_value(f, v), sentence))
    out = []
    for kind, direction in (("reasons", "raises risk"), ("favourable", "lowers risk")):
        df = pd.DataFrame(
            found[kind], columns=["row", "rank", "feature", "contribution", "value", "value_text", "sentence"]
        )
        df["row"] = df["row"].astype(np.int64)
        df["rank"] = df["rank"].astype(np.int64)
        df.insert(3, "label", df["feature"].map(FEATURE_LABELS))
        df.insert(5, "direction", direction)
        df["contribution"] = df["contribution"].astype(float)
        df["value"] = df["value"].astype(float)
        for col in ("feature", "label", "direction", "value_text", "sentence"):
            df[col] = df[col].astype("str")
        out.append(df)
    return out[0], out[1]


def said_already(sentence: str, said: list[str]) -> bool:
    """Whether ``sentence`` says what one of ``said`` already says (the same words, or within the other's)."""
    new = sentence.lower()
    return any(new in old.lower() or old.lower() in new for old in said)
