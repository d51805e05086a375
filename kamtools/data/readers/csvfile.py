"""Delimited text files (CSV, TSV, gzip), every cell as text, rows numbered by file line."""

from __future__ import annotations

import csv
import gzip
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamtools.data.readers.base import ENCODINGS, MAGIC, RawTable, Select, problem, unreadable
from kamtools.data.readers.encoding import MIXED_ENCODING, decode_head, head_bytes, legacy_lines, utf16_without_bom
from kamtools.data.readers.header import Layout, find_header, renamed_duplicates, title_warning
from kamtools.data.readers.rows import drop_blank_rows, drop_total_rows, report_nul
from kamtools.data.validation import Problem, count, verb


def _scan_bytes(path: Path, compression: str | None) -> tuple[int, list[int]]:
    """(number of lines, the lines holding NUL bytes) of the whole file, read in chunks."""
    opener = gzip.open if compression == "gzip" else open
    newlines = 0
    last = b"\n"
    nul_lines: list[int] = []
    with opener(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            if b"\x00" in chunk:
                arr = np.frombuffer(chunk, dtype=np.uint8)
                nl = np.flatnonzero(arr == 10)
                zeros = np.flatnonzero(arr == 0)
                nul_lines.extend(np.unique(newlines + np.searchsorted(nl, zeros) + 1).tolist())
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    lines = newlines + (0 if last == b"\n" else 1)
    return lines, sorted(set(nul_lines))


def _record_lines(
    path: Path, encoding: str, compression: str | None, sep: str, skip: int, width: int
) -> tuple[list[int], list[tuple[int, int, int]]] | None:
    """The first line of every data record, and the (line, expected, found) of records with too many fields.

    Needed when values span lines (quoted newlines) or lines end in a bare CR; None when
    the file cannot be walked with Python's csv module.
    """
    opener = gzip.open if compression == "gzip" else open
    starts: list[int] = []
    bad: list[tuple[int, int, int]] = []
    try:
        with opener(path, "rt", encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=sep)
            prev = 0
            for i, fields in enumerate(reader):
                start, prev = prev + 1, reader.line_num
                if i <= skip:
                    continue
                if len(fields) > width:
                    bad.append((start, width, len(fields)))
                else:
                    starts.append(start)
    except (csv.Error, UnicodeDecodeError, OSError, EOFError):
        return None
    return starts, bad


@dataclass
class _Parsed:
    """What pandas read, and what it said about the file on the way."""

    frame: pd.DataFrame
    encoding: str
    bad_lines: list[tuple[int, int, int]]  # (record, expected fields, found fields)
    first_truncated: bool  # the first data record had more fields than the header
    legacy: list[int]  # lines in Windows-1252 within a UTF-8 file


def read_csv(
    table: str,
    path: Path,
    select: Select | None = None,
    header_row: int | None = None,
    origin: str | None = None,
) -> RawTable:
    """A delimited text file, every cell as text.

    Detects gzip, the delimiter (, ; TAB |), UTF-8 (with or without BOM), UTF-16 (with or
    without BOM) and falls back to cp1252 / latin-1 with a warning. The header is the first
    of the top lines that holds the table's column names (``select`` tells which names are
    expected), or line ``header_row``. Only empty cells are missing values. Lines holding
    NUL bytes are errors naming the lines.
    """
    origin = origin or path.name
    opened = _open_text(table, path, origin)
    if isinstance(opened, RawTable):
        return opened
    head, compression, encodings = opened
    layout = find_header(decode_head(head, encodings[0]), select, header_row, table, origin, whole=len(head) < 65536)
    if isinstance(layout, Problem):
        return RawTable(table, origin, pd.DataFrame(), "line", problems=[layout])
    sep = layout.sep if layout is not None else ","
    skip = layout.skip if layout is not None else 0
    parsed = _parse(table, path, origin, sep, skip, encodings, compression)
    if isinstance(parsed, RawTable):
        return parsed
    frame = parsed.frame
    raw = RawTable(table, origin, frame, "line")
    raw.warnings.extend(_encoding_warnings(table, origin, parsed))
    if renamed_duplicates(frame.columns):  # read the header row as written (same options as above)
        row1 = pd.read_csv(
            path,
            sep=sep,
            header=None,
            nrows=1,
            dtype=str,
            keep_default_na=False,
            skiprows=skip,
            encoding=parsed.encoding,
            compression=compression,
        ).iloc[0]
        raw.header = [str(c).replace("\ufeff", "").strip() for c in row1]
    frame.columns = [str(c).replace("\ufeff", "").replace("\x00", "").strip() for c in frame.columns]
    header_line, header_end = (layout.line, layout.end) if layout is not None else (1, 1)
    raw.frame, bad_lines, nul_lines = _number_lines(path, parsed, layout, compression, sep, skip)
    if bad_lines:
        raw.problems.append(_bad_lines_problem(table, origin, bad_lines, sep))
    if nul_lines:
        report_nul(raw, nul_lines, header_line, header_end)
    if layout is not None and layout.titles:
        raw.warnings.append(title_warning(table, origin, "line", header_line, layout.titles, header_row is not None))
    drop_total_rows(raw)
    drop_blank_rows(raw)
    return raw


def _open_text(table: str, path: Path, origin: str) -> tuple[bytes, str | None, tuple[str, ...]] | RawTable:
    """(first bytes, compression, encodings to try), or an unreadable table for a file that is not text."""
    head, compression, prob = head_bytes(path)
    if prob is not None:
        prob.table = table
        prob.origin = origin
        return RawTable(table, origin, pd.DataFrame(), "line", problems=[prob])
    sample = head[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head, compression, ("utf-16",)
    if utf16 := utf16_without_bom(sample):
        return head, compression, (utf16,)
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            return _not_csv(
                table,
                origin,
                f"{origin} is not a CSV text file: it is {what}.",
                "Give the file the right extension (.xlsx, .parquet) or export the table as CSV.",
            )
    # binary: many control characters, or nothing but NULs (NULs inside text are named by line below)
    if sample and (sum(0 < b < 9 or 13 < b < 32 for b in sample) > len(sample) * 0.05 or not sample.strip(b"\x00")):
        return _not_csv(
            table,
            origin,
            f"{origin} is not a CSV text file (it holds binary data).",
            "Export the table again as CSV (comma- or semicolon-separated text).",
        )
    return head, compression, ENCODINGS


def _not_csv(table: str, origin: str, message: str, hint: str) -> RawTable:
    return RawTable(table, origin, pd.DataFrame(), "line", problems=[problem(table, origin, message, hint, "not_csv")])


def _parse(
    table: str,
    path: Path,
    origin: str,
    sep: str,
    skip: int,
    encodings: tuple[str, ...],
    compression: str | None,
) -> _Parsed | RawTable:
    """The file through pandas, trying the encodings in turn (a mixed UTF-8/Windows-1252 file gets its own)."""
    candidates = list(encodings)
    legacy: list[int] = []
    for enc in candidates:
        bad_lines: list[tuple[int, int, int]] = []
        first_truncated = False
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                frame = pd.read_csv(
                    path,
                    sep=sep,
                    dtype=str,
                    keep_default_na=False,
                    na_values=[""],
                    skip_blank_lines=False,
                    skiprows=skip,
                    index_col=False,
                    encoding=enc,
                    compression=compression,
                    on_bad_lines="warn",
                    engine="c",
                )
            for w in caught:
                text = str(w.message)
                for m in re.finditer(r"line (\d+): expected (\d+) fields, saw (\d+)", text):
                    bad_lines.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
                first_truncated |= "Length of header or names does not match" in text
            return _Parsed(frame, enc, bad_lines, first_truncated, legacy)
        except UnicodeDecodeError:
            if enc == "utf-8-sig" and (legacy := legacy_lines(path, compression)):
                candidates.insert(1, MIXED_ENCODING)  # UTF-8 and Windows-1252 lines in one file
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError, EOFError) as exc:
            msg = str(exc).strip() or type(exc).__name__
            hint = "Export the table again as CSV with a header row."
            if isinstance(exc, pd.errors.EmptyDataError):
                msg = "the file is empty (no header row)"
                hint = f"Export {table} again with a header row naming the columns."
            return unreadable(table, origin, f"{origin} could not be read as CSV: {msg}.", hint, "line")
    raise AssertionError("latin-1 decodes any byte sequence")


def _encoding_warnings(table: str, origin: str, parsed: _Parsed) -> list[Problem]:
    if parsed.encoding == MIXED_ENCODING:
        legacy = parsed.legacy
        return [
            problem(
                table,
                origin,
                f"{origin} mixes encodings: {count(len(legacy), 'line')} {verb(len(legacy), 'is', 'are')} "
                "Windows-1252, the others UTF-8; each line was read in its own encoding.",
                "Check the text on these lines; save exports as UTF-8 to be sure.",
                "encoding",
                level="warning",
                rows=legacy[:5],
                n_rows=len(legacy),
                row_label="line",
            )
        ]
    if parsed.encoding not in ("utf-8-sig",):
        return [
            problem(
                table,
                origin,
                f"{origin} is not UTF-8; it was read as {parsed.encoding}.",
                "Nothing to fix if the text looks right; save exports as UTF-8 to be sure.",
                "encoding",
                level="warning",
            )
        ]
    return []


def _number_lines(
    path: Path, parsed: _Parsed, layout: Layout | None, compression: str | None, sep: str, skip: int
) -> tuple[pd.DataFrame, list[tuple[int, int, int]], list[int]]:
    """(frame indexed by file line, records with too many fields by line, lines holding NUL bytes).

    pandas counts records; a record is one line unless a quoted value spans lines.
    """
    frame, bad_lines = parsed.frame, parsed.bad_lines
    width = frame.shape[1]
    header_end = layout.end if layout is not None else 1
    if parsed.first_truncated and len(frame):
        # the first data record had more fields than the header; pandas cut it to size: treat it like the others
        frame = frame.iloc[1:]
        bad_lines.insert(0, (skip + 2, width, (layout.next_fields if layout is not None else None) or width + 1))
    offset = header_end - (skip + 1)
    bad_lines = [(r + offset, e, s) for r, e, s in bad_lines]
    n_lines, nul_lines = (None, []) if parsed.encoding.startswith("utf-16") else _scan_bytes(path, compression)
    lines = None
    if n_lines is None or n_lines != header_end + len(frame) + len(bad_lines):
        walked = _record_lines(path, parsed.encoding, compression, sep, skip, width)
        if walked is not None and len(walked[0]) == len(frame):
            lines = np.asarray(walked[0], dtype="int64")
            bad_lines = walked[1]
    if lines is None:
        skipped = sorted(b[0] for b in bad_lines)
        lines = np.arange(header_end + 1, header_end + 1 + len(frame) + len(skipped))
        lines = lines[~np.isin(lines, skipped)][: len(frame)]
    frame.index = pd.Index(lines)
    return frame, bad_lines, nul_lines


def _bad_lines_problem(table: str, origin: str, bad_lines: list[tuple[int, int, int]], sep: str) -> Problem:
    expected = bad_lines[0][1]
    shown = bad_lines[:5]
    n = len(bad_lines)
    return Problem(
        table=table,
        column=None,
        message=f"{count(n, 'line')} {verb(n, 'has', 'have')} more fields than the header ({expected}) and cannot be read.",
        hint=f"A value probably contains the delimiter '{_sep_name(sep)}': put such values in double quotes, "
        "or check that the header names every column.",
        rows=[b[0] for b in shown],
        values=[f"{b[2]} fields" for b in shown],
        n_rows=n,
        origin=origin,
        row_label="line",
        kind="bad_lines",
    )


def _sep_name(sep: str) -> str:
    return {"\t": "TAB"}.get(sep, sep)
