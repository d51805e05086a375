"""Bad inputs at the level of files, folders, databases and the mapping: what real exports
look like (title rows, part folders, links, NUL bytes, encodings, line endings, totals rows)
and attacks (markup, path traversal, hostile YAML). Each case builds a small source, loads it
and checks the message the user sees: table, file, line or row numbers and what to do.

The value-level corpus is ``CASES`` in test_data_validation.py.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from _factory import valid_tables, write_folder, write_sqlite

from kamtools.cli import main
from kamtools.data.loader import load_portfolio, validate_source
from kamtools.data.validation import DataValidationError, ValidationReport

Tables = dict[str, pd.DataFrame]
Built = tuple[object, object]  # (source, mapping)


@dataclass
class Case:
    """One source; ``level`` says whether the main finding is an error or a warning (then the load succeeds)."""

    id: str
    build: Callable[[Path], Built]
    expect: list[str]  # substrings of what the user reads (problems and warnings)
    kind: str | None = None  # Problem.kind of the main finding (None: the source must simply load)
    table: str | None = None
    level: str = "error"
    rows: list[int] = field(default_factory=list)  # must be among the finding's rows
    absent: list[str] = field(default_factory=list)  # must not be in what the user reads
    check: Callable[[ValidationReport], None] | None = None


# ---- builders ------------------------------------------------------------------------------------


def folder(tmp: Path, edit: Callable[[Tables], None] | None = None, fmt: str = "csv") -> Path:
    tables = valid_tables()
    if edit:
        edit(tables)
    return write_folder(tmp / "export", tables, fmt=fmt)


def setcell(table: str, row: int, column: str, value: object) -> Callable[[Tables], None]:
    def edit(t: Tables) -> None:
        t[table].loc[row, column] = value

    return edit


def prepend(table: str, text: str, edit: Callable[[Tables], None] | None = None, **csv_kw) -> Callable[[Path], Built]:
    """Title lines above the header of ``table``.csv."""

    def build(tmp: Path) -> Built:
        f = folder(tmp, edit)
        if csv_kw:
            valid = valid_tables()
            if edit:
                edit(valid)
            valid[table].to_csv(f / f"{table}.csv", index=False, **csv_kw)
        path = f / f"{table}.csv"
        path.write_text(text + path.read_text(encoding="utf-8"), encoding="utf-8")
        return f, None

    return build


def with_mapping(build: Callable[[Path], Built], mapping: dict) -> Callable[[Path], Built]:
    def wrapped(tmp: Path) -> Built:
        return build(tmp)[0], mapping

    return wrapped


def rewrite_bytes(table: str, change: Callable[[bytes], bytes], edit=None) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        f = folder(tmp, edit)
        path = f / f"{table}.csv"
        path.write_bytes(change(path.read_bytes()))
        return f, None

    return build


def excel_with_titles(titles: list[list[str]], start: int, edit=None) -> Callable[[Path], Built]:
    """orders.xlsx whose header sits on row ``start + 1`` below ``titles``."""

    def build(tmp: Path) -> Built:
        tables = valid_tables()
        if edit:
            edit(tables)
        f = write_folder(tmp / "export", tables)
        (f / "orders.csv").unlink()
        with pd.ExcelWriter(f / "orders.xlsx") as w:
            pd.DataFrame(titles).to_excel(w, index=False, header=False)
            tables["orders"].to_excel(w, index=False, startrow=start)
        return f, None

    return build


def excel_not_at_a1(tmp: Path) -> Built:
    tables = valid_tables()
    tables["orders"].loc[2, "cost"] = "-5"
    f = write_folder(tmp / "export", tables)
    (f / "orders.csv").unlink()
    with pd.ExcelWriter(f / "orders.xlsx") as w:
        tables["orders"].to_excel(w, index=False, startrow=2, startcol=1)  # header on row 3, from column B
    return f, None


def parquet_parts(names: list[str], sub: str = "orders", extra: dict[str, str] | None = None, edit=None):
    """orders split into Parquet parts named ``names`` (6 rows in the first, the rest in the second)."""

    def build(tmp: Path) -> Built:
        tables = valid_tables()
        if edit:
            edit(tables)
        f = write_folder(tmp / "export", tables)
        (f / "orders.csv").unlink()
        d = f / sub
        d.mkdir()
        o = tables["orders"]
        for name, rows in zip(names, (o.iloc[:6], o.iloc[6:])):
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            rows.to_parquet(d / name, index=False)
        for name, text in (extra or {}).items():
            (d / name).write_text(text)
        return f, None

    return build


def _also_parts(f: Path) -> Path:
    (f / "orders").mkdir()
    valid_tables()["orders"].to_parquet(f / "orders" / "part-0.parquet", index=False)
    return f


def parquet_parts_mismatched(tmp: Path) -> Built:
    tables = valid_tables()
    f = write_folder(tmp / "export", tables)
    (f / "orders.csv").unlink()
    (f / "orders").mkdir()
    o = tables["orders"].copy()
    o["quantity"] = o["quantity"].astype(int)
    o.iloc[:6].to_parquet(f / "orders" / "part-0.parquet", index=False)
    late = o.iloc[6:].copy()
    late["quantity"] = ["many"] + [str(q) for q in late["quantity"].iloc[1:]]
    late.to_parquet(f / "orders" / "part-1.parquet", index=False)
    return f, None


def csv_parts(rename_in_second: bool = False, edit=None) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        tables = valid_tables()
        if edit:
            edit(tables)
        f = write_folder(tmp / "export", tables)
        (f / "orders.csv").unlink()
        d = f / "orders.csv"  # as Spark writes it: a folder named like the file
        d.mkdir()
        o = tables["orders"]
        o.iloc[:6].to_csv(d / "part-00000.csv", index=False)
        late = o.iloc[6:].rename(columns={"cost": "Kosten"}) if rename_in_second else o.iloc[6:]
        late.to_csv(d / "part-00001.csv", index=False)
        (d / "_SUCCESS").write_text("")
        (d / ".part-00000.csv.crc").write_bytes(b"\x00\x01crc")
        return f, None

    return build


def folder_named_like_file(content: str | None) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        f = folder(tmp)
        (f / "complaints.csv").unlink()
        (f / "complaints.csv").mkdir()
        if content:
            (f / "complaints.csv" / content).write_text("see the CRM")
        return f, None

    return build


def broken_link(table: str) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        f = folder(tmp)
        (f / f"{table}.csv").unlink()
        os.symlink("exports-2024/missing.csv", f / f"{table}.csv")
        return f, None

    return build


def link_outside(tmp: Path) -> Built:
    f = folder(tmp)
    elsewhere = tmp / "shared-drive"
    elsewhere.mkdir()
    shutil.move(f / "orders.csv", elsewhere / "orders.csv")
    os.symlink(elsewhere / "orders.csv", f / "orders.csv")
    return f, None


def extra_rows(n: int) -> Callable[[Tables], None]:
    """``n`` more valid order lines (to push a defect past the first 4 KB of the file)."""

    def edit(t: Tables) -> None:
        more = pd.DataFrame(
            {
                "order_id": [f"SO-2{i:03d}" for i in range(n)],
                "line": "1",
                "account_id": "A001",
                "product_id": "P01",
                "order_date": "2023-01-12",
                "quantity": "1",
                "net_revenue": "40",
                "cost": "27",
            }
        )
        t["orders"] = pd.concat([t["orders"], more], ignore_index=True)

    return edit


def utf16_without_bom(tmp: Path) -> Built:
    f = folder(tmp, setcell("orders", 5, "quantity", "-1"))
    path = f / "orders.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))
    return f, None


def utf16_with_title(tmp: Path) -> Built:
    """Excel's 'Unicode text': UTF-16 with BOM, TAB-separated, here with a title line."""
    f = folder(tmp, setcell("orders", 5, "quantity", "-1"))
    path = f / "orders.csv"
    text = "Auftragspositionen\n" + valid_orders_tsv(setcell("orders", 5, "quantity", "-1"))
    path.write_bytes(text.encode("utf-16"))
    return f, None


def valid_orders_tsv(edit) -> str:
    t = valid_tables()
    edit(t)
    return t["orders"].to_csv(index=False, sep="\t")


def line_endings(kind: str) -> Callable[[Path], Built]:
    def change(b: bytes) -> bytes:
        if kind == "cr":
            return b.replace(b"\n", b"\r")
        lines = b.split(b"\n")[:-1]
        return b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines))

    return rewrite_bytes("orders", change, setcell("orders", 5, "quantity", "-1"))


def quoted_newline_then_bad_line(tmp: Path) -> Built:
    t = valid_tables()
    t["complaints"].loc[0, "description"] = 'Late delivery,\nsecond "try" failed\ntoo'
    f = write_folder(tmp / "export", t)
    path = f / "complaints.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[-1] += ",surplus"  # complaint C-3, on line 6 of the file (line 2 + 2 continuation lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f, None


def add_total_row(t: Tables) -> None:
    total = {c: "" for c in t["orders"].columns}
    total.update(order_id="Total", quantity="535", net_revenue="24030", cost="16001")
    t["orders"] = pd.concat([t["orders"], pd.DataFrame([total])], ignore_index=True)


def excel_total_row(tmp: Path) -> Built:
    tables = valid_tables()
    f = write_folder(tmp / "export", tables)
    (f / "orders.csv").unlink()
    o = tables["orders"].astype(object)
    o.loc[len(o)] = ["Grand total:", None, None, None, None, 535, 24030.0, 16001.0]
    o.to_excel(f / "orders.xlsx", index=False)
    return f, None


def database(edit_sql: str | None = None, drop: str | None = None, mapping: dict | None = None):
    def build(tmp: Path) -> Built:
        import sqlalchemy as sa

        tables = valid_tables()
        if drop:
            tables["erp_lines"] = tables.pop(drop)
        url = write_sqlite(tmp / "crm.db", tables)
        if edit_sql:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(edit_sql))
            engine.dispose()
        return url, mapping

    return build


def workbook_without(sheet: str) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        path = tmp / "crm.xlsx"
        with pd.ExcelWriter(path) as w:
            for name, df in valid_tables().items():
                if name != sheet:
                    df.to_excel(w, sheet_name=name, index=False)
                else:
                    df.to_excel(w, sheet_name="Sales lines", index=False)
        return path, None

    return build


def mapping_file(text: str, base: Callable[[Path], Built] | None = None) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        f = (base or (lambda t: (folder(t), None)))(tmp)[0]
        path = tmp / "mapping.yml"
        path.write_text(text, encoding="utf-8")
        return f, path

    return build


def markup_names(tmp: Path) -> Built:
    t = valid_tables()
    t["accounts"].loc[0, "name"] = "<script>alert('x')</script>"
    t["orders"].loc[2, "product_id"] = "<img src=x onerror=alert(1)>"
    t["accounts"]["<b>Segment</b>"] = "A"
    return write_folder(tmp / "export", t), None


ALIAS_BOMB = "\n".join(
    [
        'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]',
        *[f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)],
        "orders:",
        "  file: *a8",
    ]
)

# orders row i sits on CSV line i + 2 when the header is line 1
CASES = [
    # ---- title rows above the header ----
    Case(
        "csv_title_and_blank_line",
        prepend("orders", "Sales report Q3\n\n"),
        ["orders (orders.csv): skipped 2 title lines above the header on line 3 ('Sales report Q3')", "header_row: 3"],
        "title_rows",
        "orders",
        level="warning",
        absent=["has no rows", "required column"],
    ),
    Case(
        "csv_title_rows_keep_true_line_numbers",
        prepend("orders", "Sales report Q3\n\n", setcell("orders", 3, "quantity", "-3")),
        ["line 7: -3"],
        "sign_mismatch",
        "orders",
        rows=[7],
    ),
    Case(
        "csv_title_padded_with_commas",
        prepend("orders", "Sales report Q3,,,,,,,\n,,,,,,,\n"),
        ["skipped 2 title lines above the header on line 3 ('Sales report Q3')"],
        "title_rows",
        "orders",
        level="warning",
    ),
    Case(
        "csv_several_title_rows",
        prepend("products", "ACME Feed GmbH\nProduct master\nExported 2024-07-01 08:15\n\n"),
        ["products (products.csv): skipped 4 title lines above the header on line 5", "'ACME Feed GmbH'"],
        "title_rows",
        "products",
        level="warning",
    ),
    Case(
        "semicolon_export_with_title",
        prepend("orders", "Umsatzbericht;Q3 2024\n", sep=";"),
        ["skipped 1 title line above the header on line 2 ('Umsatzbericht;Q3 2024')"],
        "title_rows",
        "orders",
        level="warning",
    ),
    Case(
        "tab_export_with_title_and_error",
        prepend("orders", "Order lines\n", setcell("orders", 0, "quantity", "0"), sep="\t"),
        ["line 3: 0", "quantity must be greater than 0"],
        "out_of_range",
        "orders",
        rows=[3],
    ),
    Case(
        "title_naming_two_columns",
        prepend("orders", "Report of quantity and net revenue\nquantity,net_revenue\n\n"),
        ["skipped 3 title lines above the header on line 4"],
        "title_rows",
        "orders",
        level="warning",
    ),
    Case(
        "header_row_from_mapping",
        with_mapping(prepend("orders", "Order lines\nRegion: all\nOwner: all\n\n"), {"orders": {"header_row": 5}}),
        ["skipped 4 title lines above the header on line 5", "as the mapping's header_row says"],
        "title_rows",
        "orders",
        level="warning",
    ),
    Case(
        "header_row_past_the_end",
        with_mapping(prepend("orders", "Order lines\n"), {"orders": {"header_row": 50}}),
        ["the mapping says the header of orders is on line 50, but orders.csv has only 14 lines"],
        "header_row",
        "orders",
    ),
    Case(
        "header_row_on_blank_line",
        with_mapping(prepend("orders", "Order lines\n\n"), {"orders": {"header_row": 2}}),
        ["the mapping says the header of orders is on line 2, but line 2 is empty"],
        "header_row",
        "orders",
    ),
    Case(
        "header_row_not_a_number",
        with_mapping(prepend("orders", "Order lines\n"), {"orders": {"header_row": "second"}}),
        ["orders.header_row must be the line (CSV) or row (Excel) number of the header, such as 3, not 'second'"],
        "mapping",
        "mapping",
    ),
    Case(
        "excel_title_rows",
        excel_with_titles(
            [["Sales report Q3"], ["exported 2024-07-01"]], start=3, edit=setcell("orders", 4, "quantity", "-3")
        ),
        ["orders (orders.xlsx)", "row 9: -3"],
        "sign_mismatch",
        "orders",
        rows=[9],
        check=lambda r: _has(r.warnings, "title_rows", "skipped 3 title rows above the header on row 4"),
    ),
    Case(
        "empty_excel_sheet",
        excel_with_titles([], start=0, edit=lambda t: t.__setitem__("orders", t["orders"].iloc[:0, :0])),
        ["orders (orders.xlsx): orders.xlsx is empty (no header row)", "Export orders again with a header row"],
        "unreadable",
        "orders",
    ),
    Case(
        "excel_header_row_from_mapping",
        with_mapping(excel_with_titles([["ACME"], ["Order lines"], ["Q3"]], start=4), {"orders": {"header_row": 5}}),
        ["skipped 4 title rows above the header on row 5", "as the mapping's header_row says"],
        "title_rows",
        "orders",
        level="warning",
    ),
    Case(
        "excel_table_starting_at_b3",
        excel_not_at_a1,
        ["orders (orders.xlsx), column 'cost'", "row 6: -5"],
        "out_of_range",
        "orders",
        rows=[6],
    ),
    # ---- folders of parts ----
    Case(
        "parquet_part_folder",
        parquet_parts(["part-0.parquet", "part-1.parquet"], edit=setcell("orders", 8, "cost", "-1")),
        ["orders (orders/ (2 Parquet parts, rows counted in name order))", "row 9: -1"],
        "out_of_range",
        "orders",
        rows=[9],
        absent=["Put a file named orders.csv"],
    ),
    Case(
        "parquet_parts_in_natural_order",
        parquet_parts(["part-2.parquet", "part-10.parquet"], edit=setcell("orders", 1, "cost", "-1")),
        ["row 2: -1"],
        "out_of_range",
        "orders",
        rows=[2],
    ),
    Case(
        "spark_parquet_folder_with_marker_files",
        parquet_parts(
            ["part-00000-c0ffee.snappy.parquet", "part-00001-c0ffee.snappy.parquet"],
            sub="orders.parquet",
            extra={"_SUCCESS": "", ".part-00000-c0ffee.snappy.parquet.crc": "crc"},
        ),
        [],
        check=lambda r: _origin(r, "orders", "orders.parquet/ (2 Parquet parts"),
    ),
    Case(
        "hive_partitioned_parquet_folder",
        parquet_parts(["year=2023/part-0.parquet", "year=2024/part-0.parquet"]),
        ["1 column not used: 'year'"],
        "extra_columns",
        "orders",
        level="warning",
        check=lambda r: _origin(r, "orders", "orders/ (2 Parquet parts"),
    ),
    Case(
        "mapping_names_a_part_folder",
        with_mapping(parquet_parts(["a.parquet", "b.parquet"], sub="erp_lines"), {"orders": {"file": "erp_lines"}}),
        [],
        check=lambda r: _origin(r, "orders", "erp_lines/ (2 Parquet parts"),
    ),
    Case(
        "file_and_part_folder_for_one_table",
        lambda tmp: (_also_parts(folder(tmp)), None),
        ["several files could hold table orders: orders.csv, orders/", "orders: {file: orders.csv}"],
        "ambiguous_file",
        "orders",
    ),
    Case(
        "parquet_parts_that_disagree",
        parquet_parts_mismatched,
        ["the Parquet parts in orders/ could not be read as one table", "'many'", "same columns and column types"],
        "unreadable",
        "orders",
    ),
    Case(
        "csv_part_folder",
        csv_parts(edit=setcell("orders", 8, "quantity", "x")),
        ["orders (orders.csv/ (2 CSV parts, rows counted in name order))", "row 9: 'x'"],
        "not_a_number",
        "orders",
        rows=[9],
    ),
    Case(
        "csv_parts_with_another_header",
        csv_parts(rename_in_second=True),
        ["orders.csv/part-00001.csv has other columns than the first part", "extra: 'Kosten'", "lacking: 'cost'"],
        "part_columns",
        "orders",
    ),
    # ---- folders and links where a file should be ----
    Case(
        "empty_folder_named_like_a_file",
        folder_named_like_file(None),
        ["complaints (complaints.csv): complaints.csv is a folder, not a file: it holds no .parquet or .csv parts"],
        "not_a_file",
        "complaints",
        absent=["optional table not supplied"],
    ),
    Case(
        "folder_named_like_a_file_with_other_content",
        folder_named_like_file("readme.md"),
        ["complaints.csv is a folder, not a file", "(it holds readme.md)"],
        "not_a_file",
        "complaints",
    ),
    Case(
        "dangling_symlink_optional_table",
        broken_link("complaints"),
        ["complaints.csv is a broken link to 'exports-2024/missing.csv': nothing is there"],
        "broken_link",
        "complaints",
        absent=["optional table not supplied"],
    ),
    Case(
        "dangling_symlink_required_table",
        broken_link("orders"),
        ["orders.csv is a broken link to 'exports-2024/missing.csv'", "Point the link at the exported file"],
        "broken_link",
        "orders",
        absent=["Put a file named orders.csv"],
    ),
    Case(
        "symlink_to_a_file_outside_the_folder",
        link_outside,
        ["orders.csv is a link to", "shared-drive/orders.csv, outside the source folder; it was read from there"],
        "link_outside",
        "orders",
        level="warning",
    ),
    # ---- bytes: NUL, encodings, line endings ----
    Case(
        "nul_byte_in_the_first_4kb",
        rewrite_bytes("orders", lambda b: b.replace(b"SO-1003", b"SO-10\x0003")),
        ["orders (orders.csv): 1 line holds NUL bytes", "line 5: order_id 'SO-10\\x0003'", "Export orders again"],
        "nul_bytes",
        "orders",
        rows=[5],
        absent=["binary data"],
    ),
    Case(
        "nul_byte_after_the_first_4kb",
        rewrite_bytes("orders", lambda b: b.replace(b"SO-2150", b"SO-2\x00150"), extra_rows(200)),
        ["1 line holds NUL bytes", "line 164: order_id 'SO-2\\x00150'"],
        "nul_bytes",
        "orders",
        rows=[164],
    ),
    Case(
        "nul_bytes_on_several_lines_and_the_header",
        rewrite_bytes("products", lambda b: b.replace(b"list_price", b"list\x00price").replace(b"P03", b"P\x0003")),
        ["2 lines hold NUL bytes", "line 1: (the header)", "line 4: product_id 'P\\x0003'"],
        "nul_bytes",
        "products",
        rows=[1, 4],
    ),
    Case(
        "nul_padding_after_a_crash",
        rewrite_bytes("orders", lambda b: b + b"\x00" * 20000),
        ["1 line holds NUL bytes", "line 14: order_id '\\x00\\x00"],
        "nul_bytes",
        "orders",
        rows=[14],
        check=lambda r: _kinds(r, ["nul_bytes"]),
    ),
    Case(
        "file_of_nul_bytes_only",
        rewrite_bytes("orders", lambda b: b"\x00" * 5000),
        ["orders.csv is not a CSV text file (it holds binary data)"],
        "not_csv",
        "orders",
    ),
    Case(
        "utf8_bom_and_title_row",
        rewrite_bytes("accounts", lambda b: "\ufeffKundenliste\n".encode() + b),
        ["accounts (accounts.csv): skipped 1 title line above the header on line 2 ('Kundenliste')"],
        "title_rows",
        "accounts",
        level="warning",
    ),
    Case(
        "utf16_without_bom",
        utf16_without_bom,
        ["line 7: -1"],
        "sign_mismatch",
        "orders",
        rows=[7],
        check=lambda r: _has(r.warnings, "encoding", "read as utf-16-le"),
    ),
    Case(
        "utf16_tab_text_with_title",
        utf16_with_title,
        ["line 8: -1"],
        "sign_mismatch",
        "orders",
        rows=[8],
        check=lambda r: _has(r.warnings, "title_rows", "('Auftragspositionen')"),
    ),
    Case("mixed_line_endings", line_endings("mixed"), ["line 7: -1"], "sign_mismatch", "orders", rows=[7]),
    Case("old_mac_line_endings", line_endings("cr"), ["line 7: -1"], "sign_mismatch", "orders", rows=[7]),
    Case(
        "quoted_newline_in_a_field",
        lambda tmp: (
            folder(
                tmp,
                lambda t: (
                    setcell("complaints", 0, "description", "Late delivery,\ntwice")(t),
                    setcell("complaints", 2, "severity", "urgent")(t),
                ),
            ),
            None,
        ),
        ["line 5: 'urgent'"],
        "not_allowed",
        "complaints",
        rows=[5],
    ),
    Case(
        "quoted_newlines_then_a_line_with_too_many_fields",
        quoted_newline_then_bad_line,
        ["1 line has more fields than the header (7)", "line 6: 8 fields"],
        "bad_lines",
        "complaints",
        rows=[6],
    ),
    Case(
        "first_data_line_with_an_extra_field",
        rewrite_bytes("orders", lambda b: b.replace(b"\n", b",surplus\n", 2).replace(b",surplus\n", b"\n", 1)),
        ["1 line has more fields than the header (8)", "line 2: 9 fields"],
        "bad_lines",
        "orders",
        rows=[2],
    ),
    # ---- empty and header-only files ----
    Case(
        "only_blank_lines",
        rewrite_bytes("orders", lambda b: b"\n\n\r\n"),
        ["orders.csv could not be read as CSV: the file is empty (no header row)"],
        "unreadable",
        "orders",
    ),
    Case(
        "header_only_required_table",
        rewrite_bytes("products", lambda b: b.split(b"\n")[0] + b"\n"),
        ["required table products has no rows"],
        "empty_table",
        "products",
    ),
    Case(
        "header_only_optional_table",
        rewrite_bytes("complaints", lambda b: b.split(b"\n")[0] + b"\n"),
        ["complaints (complaints.csv): the table has no rows."],
        "empty_table",
        "complaints",
        level="warning",
    ),
    # ---- totals rows ----
    Case(
        "trailing_total_row",
        lambda tmp: (folder(tmp, add_total_row), None),
        ["orders (orders.csv): the last line is a totals row and was left out", "line 14: 'Total | 535 | 24030"],
        "total_row",
        "orders",
        level="warning",
        rows=[14],
        check=lambda r: _rows(r, "orders", 12),
    ),
    Case(
        "excel_grand_total_row",
        excel_total_row,
        ["the last row is a totals row and was left out", "row 14: 'Grand total:"],
        "total_row",
        "orders",
        level="warning",
        rows=[14],
        check=lambda r: _rows(r, "orders", 12),
    ),
    # ---- workbooks and databases ----
    Case(
        "workbook_without_the_sheet",
        workbook_without("orders"),
        [
            "required table orders not found: the workbook crm.xlsx has no sheet named orders",
            "(sheets there: accounts, products, Sales lines, opportunities",
        ],
        "missing_table",
        "orders",
        absent=["Put a file named orders.csv"],
    ),
    Case(
        "database_without_the_table",
        database(drop="orders"),
        [
            "required table orders not found in the database (tables and views there: accounts,",
            "erp_lines",
            "orders: {table: NAME}",
        ],
        "missing_table",
        "orders",
        absent=["Put a file named orders.csv"],
    ),
    Case(
        "database_view_serves_as_the_table",
        database("CREATE VIEW orders AS SELECT * FROM erp_lines", drop="orders"),
        [],
        check=lambda r: _origin(r, "orders", "database view orders"),
    ),
    Case(
        "database_mapping_names_a_missing_table",
        database(mapping={"orders": {"table": "SALES"}}),
        ["the mapping names the database table 'SALES' for table orders", "no such table or view"],
        "missing_file",
        "orders",
    ),
    # ---- attacks ----
    Case(
        "mapping_path_traversal",
        with_mapping(lambda tmp: (folder(tmp), None), {"orders": {"file": "../../etc/passwd"}}),
        ["the mapping names the file '../../etc/passwd' for table orders, which is outside the source folder"],
        "outside_source",
        "orders",
        absent=["root:"],
    ),
    Case(
        "mapping_absolute_path",
        with_mapping(lambda tmp: (folder(tmp), None), {"accounts": {"file": "/etc/hostname"}}),
        ["'/etc/hostname' for table accounts, which is outside the source folder"],
        "outside_source",
        "accounts",
    ),
    Case(
        "mapping_python_tag",
        mapping_file('orders: !!python/object/apply:os.system ["echo pwned > pwned.txt"]\n'),
        ["the mapping file mapping.yml was not read: it uses a YAML tag that is not plain data", "!!python"],
        "mapping_yaml",
        "mapping",
    ),
    Case(
        "mapping_alias_bomb",
        mapping_file(ALIAS_BOMB),
        ["was not read: it stands for more than 200,000 entries"],
        "mapping_yaml",
        "mapping",
    ),
    Case(
        "mapping_too_large",
        mapping_file("# padding\n" * 300_000 + "orders: {file: orders.csv}\n"),
        ["the mapping file mapping.yml was not read: it is 2.9 MB"],
        "mapping_yaml",
        "mapping",
    ),
    Case(
        "mapping_nested_too_deeply",
        mapping_file("orders: " + "[" * 5000 + "]" * 5000 + "\n"),
        ["the mapping file mapping.yml was not read"],
        "mapping_yaml",
        "mapping",
    ),
]


def _has(findings, kind: str, text: str) -> None:
    assert any(p.kind == kind and text in str(p) for p in findings), [str(p) for p in findings]


def _origin(report: ValidationReport, table: str, origin: str) -> None:
    (summary,) = [s for s in report.tables if s.name == table]
    assert summary.origin.startswith(origin), summary.origin
    assert summary.rows == 12


def _kinds(report: ValidationReport, kinds: list[str]) -> None:
    assert [p.kind for p in report.problems] == kinds, [str(p) for p in report.problems]


def _rows(report: ValidationReport, table: str, n: int) -> None:
    (summary,) = [s for s in report.tables if s.name == table]
    assert summary.rows == n


def test_corpus_size():
    from test_data_validation import CASES as VALUE_CASES

    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert len(CASES) + len(VALUE_CASES) >= 90  # with the value cases of the other corpus files: 100+


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_source_is_reported(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)  # anything a hostile mapping might write would land here
    source, mapping = case.build(tmp_path)
    started = time.perf_counter()
    report = validate_source(source, mapping=mapping)
    assert time.perf_counter() - started < 20
    findings = report.problems + report.warnings
    text = "\n".join(str(p) for p in findings)
    for piece in case.expect:
        assert piece in text, f"{piece!r} not in:\n{text}"
    for piece in case.absent:
        assert piece not in text, f"{piece!r} in:\n{text}"
    assert "Traceback" not in text
    if case.kind is None or case.level == "warning":
        assert not report.problems, text
        assert report.portfolio is not None
    if case.kind is not None:
        pool = report.problems if case.level == "error" else report.warnings
        main_finding = [p for p in pool if p.kind == case.kind and p.table == case.table]
        assert main_finding, f"no {case.level} {case.kind} for {case.table}:\n{text}"
        assert set(case.rows) <= set(main_finding[0].rows), main_finding[0].rows
    if case.check:
        case.check(report)
    assert not (tmp_path / "pwned.txt").exists()


# ---- what the user sees on the command line ----------------------------------------------------


def test_validate_cli_names_skipped_title_rows(tmp_path, capsys):
    source, _ = prepend("orders", "Sales report Q3\n\n")(tmp_path)
    code = main(["validate", str(source)])
    out = capsys.readouterr().out
    assert code == 0
    assert "skipped 2 title lines above the header on line 3 ('Sales report Q3')" in out
    assert "12 rows" in out
    assert out.rstrip().endswith("Result: VALID - the data can be loaded.")


def test_validate_cli_keeps_markup_literal(tmp_path, capsys):
    source, _ = markup_names(tmp_path)
    code = main(["validate", str(source)])
    out = capsys.readouterr().out
    assert code == 1
    assert "'<img src=x onerror=alert(1)>'" in out  # the unknown product id, as written
    assert "'<b>Segment</b>'" in out  # the unused column, as written
    assert "&lt;" not in out and "Traceback" not in out


def test_markup_in_names_loads_as_plain_text(tmp_path):
    tables = valid_tables()
    tables["accounts"].loc[0, "name"] = "<script>alert('x')</script>"
    portfolio = load_portfolio(write_folder(tmp_path / "ok", tables))
    assert portfolio.tables["accounts"]["name"].iloc[0] == "<script>alert('x')</script>"


def test_validate_cli_database_without_the_table(tmp_path, capsys):
    url, _ = database(drop="orders")(tmp_path)
    code = main(["validate", url])
    out = capsys.readouterr().out
    assert code == 1
    assert "table orders not found in the database (tables and views there:" in out
    assert "Put a file named" not in out


def test_validate_cli_part_folder(tmp_path, capsys):
    source, _ = parquet_parts(["part-0.parquet", "part-1.parquet"])(tmp_path)
    code = main(["validate", str(source)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "orders/ (2 Parquet parts, rows counted in name order)" in out


def test_load_portfolio_raises_one_error_for_a_broken_link(tmp_path):
    source, _ = broken_link("orders")(tmp_path)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(source)
    assert [p.kind for p in info.value.problems] == ["broken_link"]


def test_a_large_legal_mapping_is_read(tmp_path):
    """5,000 column aliases (about 150 KB of YAML) are a legal mapping and load quickly."""
    lines = ["orders:", "  columns:"] + [f"    'Legacy column {i}': quantity" for i in range(5000)]
    path = tmp_path / "mapping.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    portfolio = load_portfolio(folder(tmp_path), mapping=path)
    assert time.perf_counter() - started < 20
    assert len(portfolio.tables["orders"]) == 12
