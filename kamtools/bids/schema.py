"""The columns of the bid desk's bundle tables, as the bids stage declares them.

The declaration (the ``bids`` stage in :mod:`kamtools.stages.declarations`) is the one place
that names the tables, their columns in order and their kinds; this module reads it, as the
forecast stage does. :func:`typed` casts a result table to its declaration so the kinds hold
on every input (a missing optional column comes out as an empty column of the declared kind).
"""

from __future__ import annotations

import pandas as pd

from kamtools.stages import Stage, stage

_CAST = {"str": "str", "float": "float64", "int": "int64", "datetime": "datetime64[ns]"}

# recommend_bids' columns beyond the declared bid_recommendations table: where the price index
# came from (the reasons read it; the bundle leaves it out), placed after the column it qualifies
_IN_MEMORY = {"price_index_scope": "price_index_used"}


def _stage() -> Stage:
    return stage("bids")


def table_names() -> tuple[str, ...]:
    """The tables the bids stage writes, in the order it declares them."""
    return tuple(t.name for t in _stage().writes)


def portfolio_tables() -> tuple[str, ...]:
    """The Portfolio tables the bids stage reads."""
    return tuple(_stage().portfolio)


def columns(name: str) -> list[tuple[str, str]]:
    """``[(column, kind), ...]`` of a table, as declared."""
    return list(_stage().tables[name].columns)


def rec_columns() -> list[str]:
    """The columns of :func:`kamtools.bids.recommend_bids`' table: the declared ``bid_recommendations``
    columns with the in-memory ones (``price_index_scope``) after the column each qualifies."""
    out = [c for c, _ in columns("bid_recommendations")]
    for col, after in _IN_MEMORY.items():
        out.insert(out.index(after) + 1, col)
    return out


def typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the declared columns of ``name``, in order, each cast to its kind."""
    out = pd.DataFrame(index=frame.index)
    for col, kind in columns(name):
        values = frame[col] if col in frame.columns else pd.Series(None, index=frame.index, dtype="object")
        if kind == "datetime":
            out[col] = pd.to_datetime(values).astype(_CAST[kind])
        elif kind == "str":
            out[col] = values.astype("object").where(values.notna(), None).astype("str")
        else:
            out[col] = values.astype(_CAST[kind])
    return out
