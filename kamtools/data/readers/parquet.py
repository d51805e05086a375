"""Parquet files and folders of parts (Parquet or CSV) read as one table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kamtools.data.mapping import TableMapping
from kamtools.data.readers.base import (
    CSV_EXTS,
    PARQUET_EXTS,
    Parts,
    RawTable,
    Select,
    header_row_ignored,
    natural_key,
    problem,
    unreadable,
)
from kamtools.data.readers.csvfile import read_csv


def find_parts(folder: Path) -> Parts | str:
    """The Parquet or CSV parts of a part folder, or why it is not one.

    Parts are the data files anywhere below ``folder`` (Hive-style ``year=2024/``
    subfolders included); names starting with '.' or '_' (``_SUCCESS``, ``.crc`` files)
    are ignored, as Spark and pyarrow write them.
    """
    try:
        files = [
            p
            for p in folder.rglob("*")
            if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
        ]
    except OSError as exc:
        return f"cannot be listed ({exc})"
    parquet = sorted((p for p in files if p.name.lower().endswith(PARQUET_EXTS)), key=natural_key)
    texts = sorted((p for p in files if p.name.lower().endswith(CSV_EXTS)), key=natural_key)
    name = folder.name.lower()
    if parquet and (not texts or name.endswith(PARQUET_EXTS)):
        return Parts(folder, "parquet", tuple(parquet))
    if texts and (not parquet or name.endswith(CSV_EXTS)):
        return Parts(folder, "csv", tuple(texts))
    if parquet and texts:
        return f"holds both Parquet and CSV files ({parquet[0].name}, {texts[0].name})"
    return "holds no .parquet or .csv parts" + (f" (it holds {files[0].name})" if files else " (it is empty)")


# ---- file readers ------------------------------------------------------------------------------


def arrow_frame(tbl) -> pd.DataFrame:
    """An Arrow table as a DataFrame, dates as datetime64, rows numbered from 1."""
    import pyarrow as pa

    # date32/date64 would arrive as Python objects; cast to timestamps in Arrow (vectorised);
    # microseconds, so that placeholders such as 9999-12-31 reach the date checks instead of overflowing
    for i, fld in enumerate(tbl.schema):
        if pa.types.is_date(fld.type):
            tbl = tbl.set_column(i, fld.name, tbl.column(i).cast(pa.timestamp("us")))
    frame = tbl.to_pandas(ignore_metadata=True, split_blocks=True, self_destruct=True)
    del tbl
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def read_parquet(table: str, path: Path, select: Select) -> RawTable:
    """Only the selected columns are read; date columns come back as datetime64."""
    import pyarrow.parquet as pq

    origin = path.name
    try:
        pf = pq.ParquetFile(path)
        names = [n for n in pf.schema_arrow.names if not n.startswith("__index_level_")]
        cols = select(names) or names[:1]
        tbl = pf.read(columns=cols)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for corrupt files
        return unreadable(
            table,
            origin,
            f"{origin} is not a readable Parquet file ({type(exc).__name__}: {exc}).",
            "Export the table again; the file is damaged or is not Parquet despite its name.",
        )
    return RawTable(table, origin, arrow_frame(tbl), "row", all_columns=names)


def read_parts(table: str, parts: Parts, tmap: TableMapping, select: Select) -> RawTable:
    """A folder of parts as one table: Parquet through a pyarrow dataset, CSV part by part."""
    if parts.kind == "parquet":
        return _read_parquet_parts(table, parts, tmap, select)
    return _read_csv_parts(table, parts, tmap, select)


def _read_parquet_parts(table: str, parts: Parts, tmap: TableMapping, select: Select) -> RawTable:
    """Parquet parts through one pyarrow dataset (Hive-style partition folders become columns)."""
    import pyarrow.dataset as ds

    try:
        dataset = ds.dataset(
            [str(p) for p in parts.files],
            format="parquet",
            partitioning="hive",
            partition_base_dir=str(parts.folder),
        )
        names = [n for n in dataset.schema.names if not n.startswith("__index_level_")]
        cols = select(names) or names[:1]
        tbl = dataset.to_table(columns=cols)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged or mismatched parts
        return unreadable(
            table,
            parts.origin,
            f"the Parquet parts in {parts.folder.name}/ could not be read as one table "
            f"({type(exc).__name__}: {str(exc)[:300]}).",
            "Every part must be a Parquet file with the same columns and column types: export the parts again.",
        )
    raw = RawTable(table, parts.origin, arrow_frame(tbl), "row", all_columns=names)
    if tmap.header_row is not None:
        raw.warnings.append(header_row_ignored(table, raw.origin))
    return raw


def _read_csv_parts(table: str, parts: Parts, tmap: TableMapping, select: Select) -> RawTable:
    """CSV parts read one by one and stacked; a part with another header is reported and left out."""
    raws = [
        read_csv(
            table,
            p,
            select=select,
            header_row=tmap.header_row,
            origin=f"{parts.folder.name}/{p.relative_to(parts.folder).as_posix()}",
        )
        for p in parts.files
    ]
    if len(raws) == 1:
        return raws[0]  # one part: its own line numbers
    out = RawTable(table, parts.origin, pd.DataFrame(), "row")
    frames = []
    columns = None
    for raw in raws:
        out.problems.extend(raw.problems)
        out.warnings.extend(raw.warnings)
        if raw.frame.shape[1] == 0:
            continue
        if columns is None:
            columns = list(raw.frame.columns)
        elif list(raw.frame.columns) != columns:
            added = [c for c in raw.frame.columns if c not in columns]
            lacking = [c for c in columns if c not in raw.frame.columns]
            detail = "; ".join(
                x
                for x in (
                    f"extra: {', '.join(map(repr, added[:5]))}" if added else "",
                    f"lacking: {', '.join(map(repr, lacking[:5]))}" if lacking else "",
                    "same names in another order" if not added and not lacking else "",
                )
                if x
            )
            out.problems.append(
                problem(
                    table,
                    raw.origin,
                    f"{raw.origin} has other columns than the first part {raws[0].origin} ({detail}); it was not read.",
                    "Export every part with the same header.",
                    "part_columns",
                )
            )
            continue
        frames.append(raw.frame)
    if frames:
        frame = pd.concat(frames, ignore_index=True)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        out.frame = frame
    return out
