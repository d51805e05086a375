"""Phase 2: rename the export's columns and convert every cell to its canonical dtype."""

from __future__ import annotations

import pandas as pd

from kamtools.data.loader.columns import repeated_names, resolve_table_columns
from kamtools.data.loader.formats import day_first, number_format
from kamtools.data.loader.state import Findings, Loaded, ReadTables
from kamtools.data.mapping import Mapping, TableMapping
from kamtools.data.model import TABLES
from kamtools.data.parsing import Where, convert, empty_column
from kamtools.data.readers import RawTable


def convert_tables(read: ReadTables, mapping: Mapping, findings: Findings) -> Loaded:
    """Canonical tables from the raw ones (whose text is freed on the way).

    Every converted column comes with the mask of rows its conversion reported, so later
    rules do not report those rows again.
    """
    tmaps = {name: mapping.for_table(name) for name in read.raw}
    repeated = {name: repeated_names(name, raw, tmaps[name], findings) for name, raw in read.raw.items()}
    resolved = {name: resolve_table_columns(name, raw, tmaps[name], findings) for name, raw in read.raw.items()}
    dayfirst = day_first(read.raw, resolved, {name: t.date_format for name, t in tmaps.items()})
    loaded = Loaded({}, {}, read.meta)
    for name, raw in read.raw.items():
        tmap = tmaps[name]
        decimal = tmap.decimal if tmap.decimal_given else number_format(name, raw, resolved[name], findings)
        frame, bad = _convert_table(name, raw, tmap, resolved[name], repeated[name], decimal, dayfirst, findings)
        raw.frame = pd.DataFrame()  # free the raw text early
        loaded.tables[name] = frame
        loaded.bad[name] = bad
    read.raw = {}
    return loaded


def _convert_table(
    name: str,
    raw: RawTable,
    tmap: TableMapping,
    rename: dict[str, list[str]],
    repeated: set[str],
    decimal: str,
    dayfirst: bool | None,
    findings: Findings,
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """One table: (canonical frame, rows reported per column)."""
    out: dict[str, pd.Series] = {}
    bad: dict[str, pd.Series] = {}
    for col in TABLES[name].columns:
        sources = [r for r, ts in rename.items() if col.name in ts]
        if col.name in repeated:  # reported: two columns of that name, neither is used
            out[col.name] = empty_column(col, raw.frame.index)
            bad[col.name] = pd.Series(True, index=raw.frame.index)
            continue
        if not sources:
            if not col.required:
                out[col.name] = empty_column(col, raw.frame.index)
            continue
        where = Where(name, col, raw.origin, raw.row_label)
        conv, probs, badmask = convert(
            raw.frame[sources[0]],
            where,
            vmap=tmap.values.get(col.name),
            decimal=decimal,
            date_format=tmap.date_format,
            dayfirst=dayfirst,
        )
        out[col.name] = conv
        bad[col.name] = badmask
        findings.add(probs)
    return pd.DataFrame(out, copy=False), bad
