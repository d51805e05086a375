"""Reading raw tables from a folder (CSV, Parquet, Excel), one workbook, or a database.

A reader returns the export exactly as written (CSV and Excel as text/objects, Parquet
and SQL with their own types) with the index set to the row numbers a user sees:

* CSV: the file line number (header = line 1 unless title lines sit above it), blank
  lines, skipped lines and values spanning several lines (quoted newlines) accounted for;
* Excel: the worksheet row number;
* Parquet / SQL: the 1-based row position; a folder of Parquet or CSV parts counts its
  rows across the parts in name order (part-2 before part-10).

Title lines above the header (``Sales report Q3`` and a blank line, as Excel and many
ERP exports write them) are skipped: the header is the first of the top rows that holds
the expected column names, or the row the mapping names with ``header_row``; a warning
says what was skipped. A trailing totals row (``Total`` with sums) is left out with a
warning. File-level trouble (binary garbage named .csv, NUL bytes, corrupt Parquet, lines
with too many fields, a workbook that will not open, a folder or a broken link where a
file should be) comes back as problems naming the file and lines, never as exceptions;
text encodings other than UTF-8 are read correctly and reported as warnings.

One module per concern: :mod:`.base` (file kinds, the raw table), :mod:`.sources` (folder,
workbook, database), :mod:`.csvfile`, :mod:`.excel`, :mod:`.parquet` (and part folders),
:mod:`.header` (finding the header), :mod:`.encoding` and :mod:`.rows` (rows that are not data).
"""

from __future__ import annotations

from kamtools.data.readers.base import (
    CSV_EXTS,
    DELIMITERS,
    ENCODINGS,
    EXCEL_EXTS,
    HEADER_SCAN,
    PARQUET_EXTS,
    SUPPORTED_EXTS,
    Parts,
    RawTable,
    Select,
    SourceNotFoundError,
)
from kamtools.data.readers.csvfile import read_csv
from kamtools.data.readers.encoding import MIXED_ENCODING
from kamtools.data.readers.excel import read_excel
from kamtools.data.readers.header import sniff_delimiter
from kamtools.data.readers.parquet import find_parts, read_parquet, read_parts
from kamtools.data.readers.sources import FolderSource, Source, SqlSource, WorkbookSource, open_source

__all__ = [
    "CSV_EXTS",
    "DELIMITERS",
    "ENCODINGS",
    "EXCEL_EXTS",
    "HEADER_SCAN",
    "MIXED_ENCODING",
    "PARQUET_EXTS",
    "SUPPORTED_EXTS",
    "FolderSource",
    "Parts",
    "RawTable",
    "Select",
    "Source",
    "SourceNotFoundError",
    "SqlSource",
    "WorkbookSource",
    "find_parts",
    "open_source",
    "read_csv",
    "read_excel",
    "read_parquet",
    "read_parts",
    "sniff_delimiter",
]
