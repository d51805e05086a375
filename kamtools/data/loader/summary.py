"""Phase 7: what was read, per table (rows and date ranges), for the validation report."""

from __future__ import annotations

from kamtools.data.loader.state import Loaded
from kamtools.data.model import TABLES
from kamtools.data.validation import TableSummary


def summarize(loaded: Loaded, failed: set[str]) -> list[TableSummary]:
    """One summary per canonical table; ``failed``: tables supplied but unreadable."""
    out = []
    for name, spec in TABLES.items():
        df = loaded.tables.get(name)
        origin = loaded.meta.get(name, ("", ""))[0]
        if df is None:
            out.append(TableSummary(name, origin, -1, required=spec.required, unreadable=name in failed))
            continue
        ranges = {}
        for c in spec.columns:
            if c.dtype == "date" and c.name in df.columns and df[c.name].notna().any():
                ranges[c.name] = (df[c.name].min(), df[c.name].max())
        out.append(TableSummary(name, origin, len(df), ranges, spec.required))
    return out
