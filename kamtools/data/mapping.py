"""Column mapping: how a company's export names map onto the canonical tables.

A mapping is a YAML file (or the same structure as a dict). Top-level keys are canonical
table names, plus an optional ``defaults`` section::

    defaults:
      decimal: ","              # numbers use a decimal comma ("12,5"); default "."
      date_format: "%d.%m.%Y"   # strptime format for every date column; default: detect
    orders:
      file: sales_lines.csv     # file name in the source folder (default: orders.csv/.parquet/.xlsx)
      columns:                  # export column name -> canonical column name
        Order No: order_id
        Customer: account_id
    opportunities:
      table: CRM_OPPS           # table name when the source is a database
      columns:
        Stage: [stage, status]  # one export column feeding two canonical columns
      values:                   # value maps: export value -> canonical value
        status:
          Closed Won: won
          Closed Lost: lost
          "*": open             # every other value

Per table: ``file``, ``sheet`` (Excel worksheet; default the first), ``table`` (SQL),
``columns``, ``values``, ``decimal``, ``date_format``, ``header_row`` (the CSV line or Excel
row that holds the column names, when title rows sit above it; default: detected). Column and value keys are matched
exactly first, then ignoring case and surrounding spaces.

Every canonical column maps the same way, the optional ones included: a subsidiary's group
(``accounts: {columns: {Parent Account: parent_account_id}}``), a contact's manager and
relationship rating (``contacts: {columns: {Reports To: reports_to, Relationship: attitude},
values: {attitude: {Advocate: champion, Negative: detractor}}}``), or our employee on an
interaction (``interactions: {columns: {Assigned To: employee}}``).

For ``orders`` only: ``negative_lines`` (``keep``, ``drop`` or ``reject``): what to do with
returns, credit notes and rebates (lines with negative quantity, net_revenue or cost); default
``keep`` (netted against revenue and margin). The command-line option ``--negative-lines``
overrides it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kamtools.data.model import TABLES
from kamtools.data.validation import Problem

TABLE_KEYS = ("file", "sheet", "table", "columns", "values", "decimal", "date_format", "header_row", "negative_lines")
DEFAULT_KEYS = ("decimal", "date_format")
CATCH_ALL = "*"
MAX_MAPPING_BYTES = 2 * 2**20
MAX_MAPPING_NODES = 200_000


def normalize_name(name: object) -> str:
    """'Order Date ' -> 'order_date': lower case, runs of non-alphanumerics -> '_'."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def closest(word: str, candidates: list[str], cutoff: float = 0.5) -> str | None:
    """The candidate most similar to ``word`` (difflib ratio >= cutoff), compared normalised."""
    if not candidates:
        return None
    norm = {normalize_name(c): c for c in candidates}
    hit = difflib.get_close_matches(normalize_name(word), list(norm), n=1, cutoff=cutoff)
    return norm[hit[0]] if hit else None


@dataclass
class TableMapping:
    """How one canonical table is found and renamed."""

    file: str | None = None
    sheet: str | int | None = None
    table: str | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)  # export name -> canonical names
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical column -> {export: canonical}
    decimal: str = "."
    date_format: str | None = None
    decimal_given: bool = False  # the mapping declares the decimal separator (else it is detected per file)
    header_row: int | None = None  # 1-based line (CSV) / row (Excel) of the header; None: detect
    negative_lines: str | None = None  # orders only: keep | drop | reject (None: not said; keep)


@dataclass
class Mapping:
    """A parsed, checked mapping. ``problems`` holds what was wrong with it."""

    tables: dict[str, TableMapping]
    problems: list[Problem] = field(default_factory=list)

    def for_table(self, name: str) -> TableMapping:
        return self.tables[name]


def _problem(message: str, hint: str, column: str | None = None, kind: str = "mapping") -> Problem:
    return Problem(table="mapping", column=column, message=message, hint=hint, kind=kind)


def load_mapping(mapping: str | Path | dict | None) -> Mapping:
    """Read and check a mapping (YAML path, dict or None).

    Raises FileNotFoundError when a path does not exist. Mistakes inside the mapping
    (unknown tables or columns, bad options) come back as ``Mapping.problems``, so they
    are reported together with the data problems.
    """
    problems: list[Problem] = []
    raw: Any
    if mapping is None:
        raw = {}
    elif isinstance(mapping, dict):
        raw = mapping
    else:
        raw = _read_yaml(Path(mapping), problems)
    if not isinstance(raw, dict):
        problems.append(
            _problem(
                "the mapping must be a dictionary with table names as keys.",
                "See data/mapping.example.yml for the format.",
            )
        )
        raw = {}
    base = _defaults(raw, problems)
    tables = {
        name: TableMapping(decimal=base.decimal, date_format=base.date_format, decimal_given=base.decimal_given)
        for name in TABLES
    }
    for key, spec in raw.items():
        if key == "defaults":
            continue
        if key not in TABLES:
            guess = closest(str(key), list(TABLES))
            problems.append(
                _problem(
                    f"'{key}' is not a kamtools table.",
                    (f"Did you mean '{guess}'? " if guess else "") + f"Tables are: {', '.join(TABLES)}.",
                    kind="mapping_table",
                )
            )
            continue
        if spec is None:
            continue
        if not isinstance(spec, dict):
            problems.append(
                _problem(f"the entry for table '{key}' must be a dictionary.", "See data/mapping.example.yml.")
            )
            continue
        tables[key] = _table_mapping(key, spec, tables[key], problems)
    return Mapping(tables=tables, problems=problems)


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    """The parsed YAML file; {} (with a problem) when it is not valid, plain or small."""
    if not path.is_file():
        raise FileNotFoundError(f"mapping file not found: {path}")
    import yaml

    size = path.stat().st_size
    refused = None
    raw: Any = {}
    try:
        if size > MAX_MAPPING_BYTES:
            refused = f"it is {size / 2**20:.1f} MB, and a mapping is a small YAML file (at most 2 MB)"
        else:
            raw = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
            if _too_big(raw):
                refused = (
                    f"it stands for more than {MAX_MAPPING_NODES:,} entries or 20 levels of nesting "
                    "(through YAML aliases or nesting)"
                )
    except yaml.constructor.ConstructorError as exc:
        refused = f"it uses a YAML tag that is not plain data ({str(exc.problem)[:120]})"
    except RecursionError:
        refused = "it is nested too deeply"
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(
            _problem(
                f"the mapping file {path.name} is not valid YAML: {exc}".replace("\n", " "),
                "Check indentation and quoting; see data/mapping.example.yml for the format.",
                kind="mapping_yaml",
            )
        )
        return {}
    if refused:
        problems.append(
            _problem(
                f"the mapping file {path.name} was not read: {refused}.",
                "A mapping holds only table, column and value names (no tags such as !!python/...); "
                "see data/mapping.example.yml for the format.",
                kind="mapping_yaml",
            )
        )
        return {}
    return raw


def _defaults(raw: dict, problems: list[Problem]) -> TableMapping:
    """The ``defaults`` section as the starting point of every table's mapping."""
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict):
        problems.append(_problem("'defaults' must be a dictionary.", "Use e.g. defaults: {decimal: ','}."))
        defaults = {}
    for key in defaults:
        if key not in DEFAULT_KEYS:
            problems.append(_problem(f"unknown option defaults.{key}.", f"Allowed options: {', '.join(DEFAULT_KEYS)}."))
    decimal = _check_decimal(defaults.get("decimal", "."), "defaults", problems)
    date_format = _check_date_format(defaults.get("date_format"), "defaults", problems)
    return TableMapping(decimal=decimal, date_format=date_format, decimal_given="decimal" in defaults)


def _too_big(raw: object) -> bool:
    """True when the parsed YAML has more than MAX_MAPPING_NODES entries or is nested too deeply.

    YAML aliases let a file of a few hundred bytes stand for billions of entries; the walk
    counts an aliased node each time it is reached and stops at the limit.
    """
    budget = MAX_MAPPING_NODES
    stack = [(raw, 0)]
    while stack:
        node, depth = stack.pop()
        budget -= 1
        if budget < 0 or depth > 20:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
            budget -= len(node)
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


def _check_decimal(value: object, where: str, problems: list[Problem]) -> str:
    if value in (".", ","):
        return str(value)
    problems.append(_problem(f"{where}.decimal must be '.' or ',', not {value!r}.", "Use decimal: ',' for '12,5'."))
    return "."


def _check_date_format(value: object, where: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "%" not in value:
        problems.append(
            _problem(
                f"{where}.date_format must be a strptime format such as '%d/%m/%Y', not {value!r}.",
                "Use %Y for the year, %m for the month, %d for the day.",
            )
        )
        return None
    return value


def _table_mapping(name: str, spec: dict, base: TableMapping, problems: list[Problem]) -> TableMapping:
    """One table's entry of the mapping, checked; starts from ``base`` (the defaults)."""
    for key in spec:
        if key not in TABLE_KEYS:
            guess = closest(str(key), list(TABLE_KEYS))
            problems.append(
                _problem(
                    f"unknown option '{key}' for table '{name}'.",
                    (f"Did you mean '{guess}'? " if guess else "") + f"Options are: {', '.join(TABLE_KEYS)}.",
                )
            )
    out = TableMapping(decimal=base.decimal, date_format=base.date_format, decimal_given=base.decimal_given)
    _where_and_format(name, spec, out, problems)
    if spec.get("negative_lines") is not None:
        out.negative_lines = _negative_lines(name, spec["negative_lines"], problems)
    out.columns = _column_map(name, spec.get("columns") or {}, problems)
    out.values = _value_maps(name, spec.get("values") or {}, problems)
    return out


def _where_and_format(name: str, spec: dict, out: TableMapping, problems: list[Problem]) -> None:
    """file, table, sheet, decimal, date_format and header_row of one table."""
    for key in ("file", "table"):
        if spec.get(key) is not None:
            setattr(out, key, str(spec[key]))
    if spec.get("sheet") is not None:
        out.sheet = spec["sheet"] if isinstance(spec["sheet"], int) else str(spec["sheet"])
    if "decimal" in spec:
        out.decimal = _check_decimal(spec["decimal"], name, problems)
        out.decimal_given = True
    if "date_format" in spec:
        out.date_format = _check_date_format(spec["date_format"], name, problems)
    if spec.get("header_row") is not None:
        row = spec["header_row"]
        if isinstance(row, int) and not isinstance(row, bool) and row >= 1:
            out.header_row = row
        else:
            problems.append(
                _problem(
                    f"{name}.header_row must be the line (CSV) or row (Excel) number of the header, "
                    f"such as 3, not {str(row)[:40]!r}.",
                    "Count from 1 at the top of the file, as a text editor or Excel numbers them.",
                )
            )


def _negative_lines(name: str, choice: object, problems: list[Problem]) -> str | None:
    """orders.negative_lines as keep / drop / reject; None (with a problem) otherwise."""
    from kamtools.data.schemas import NEGATIVE_LINES

    if name != "orders":
        problems.append(
            _problem(
                f"negative_lines is an option of the orders table, not of '{name}'.",
                "Move it under orders: orders: {negative_lines: drop}.",
            )
        )
        return None
    if str(choice).strip().lower() not in NEGATIVE_LINES:
        problems.append(
            _problem(
                f"orders.negative_lines must be keep, drop or reject, not {str(choice)[:40]!r}.",
                "keep: returns and credit notes are netted against revenue; drop: they are left out with a "
                "warning; reject: they are errors.",
            )
        )
        return None
    return str(choice).strip().lower()


def _column_map(name: str, cols: object, problems: list[Problem]) -> dict[str, list[str]]:
    """Export column name -> the canonical columns it feeds (unknown targets reported)."""
    canon = TABLES[name].column_names
    out: dict[str, list[str]] = {}
    if not isinstance(cols, dict):
        problems.append(
            _problem(
                f"{name}.columns must map export names to canonical names.", "E.g. columns: {'Order No': order_id}."
            )
        )
        return out
    for export, targets in cols.items():
        targets_list = targets if isinstance(targets, list) else [targets]
        good = []
        for target in targets_list:
            if target in canon:
                good.append(target)
                continue
            guess = closest(str(target), canon)
            problems.append(
                _problem(
                    f"table '{name}' has no column '{target}' (mapped from '{export}').",
                    (f"Did you mean '{guess}'? " if guess else "") + f"Columns of {name}: {', '.join(canon)}.",
                    column=str(target),
                    kind="mapping_column",
                )
            )
        if good:
            out[str(export)] = good
    return out


def _value_maps(name: str, values: object, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """Canonical column -> {export value: canonical value}, for id, text and category columns."""
    table = TABLES[name]
    canon = table.column_names
    out: dict[str, dict[str, str]] = {}
    if not isinstance(values, dict):
        problems.append(
            _problem(
                f"{name}.values must map column names to value maps.", "E.g. values: {status: {'Closed Won': won}}."
            )
        )
        return out
    for col, vmap in values.items():
        if col not in canon:
            guess = closest(str(col), canon)
            problems.append(
                _problem(
                    f"value map for unknown column '{col}' of table '{name}'.",
                    (f"Did you mean '{guess}'? " if guess else "")
                    + "Value maps are keyed by the canonical column name.",
                    column=str(col),
                    kind="mapping_column",
                )
            )
            continue
        dtype = table.column(col).dtype
        if dtype not in ("id", "text", "category"):
            problems.append(
                _problem(
                    f"value map for column '{name}.{col}', which holds {dtype} values.",
                    "Value maps apply to id, text and category columns only.",
                    column=str(col),
                )
            )
            continue
        if not isinstance(vmap, dict):
            problems.append(
                _problem(
                    f"the value map for '{name}.{col}' must be a dictionary.", "E.g. {'Closed Won': won}.", column=col
                )
            )
            continue
        out[col] = {str(k).strip(): str(v).strip() for k, v in vmap.items()}
    return out


def resolve_columns(
    table_name: str, raw_columns: list[str], tmap: TableMapping
) -> tuple[dict[str, list[str]], list[str], dict[str, list[str]]]:
    """Match the export's column names to canonical ones.

    Returns ``(rename, extra, clashes)``: ``rename`` maps each used raw column to the
    canonical column(s) it feeds, ``extra`` lists raw columns that match nothing (they are
    left out), ``clashes`` maps a canonical column to the raw columns that all claim it.
    Matching order: the mapping (exactly, then ignoring case/spaces), then the canonical
    name itself ignoring case, spaces and punctuation ("Order Date" -> order_date).
    """
    canon = TABLES[table_name].column_names
    canon_norm = {normalize_name(c): c for c in canon}
    # also without separators: "OrderDate" / "order-date" -> order_date
    canon_norm.update({normalize_name(c).replace("_", ""): c for c in canon})
    map_exact = tmap.columns
    map_norm = {normalize_name(k): v for k, v in tmap.columns.items()}
    rename: dict[str, list[str]] = {}
    extra: list[str] = []
    claimed: dict[str, list[str]] = {}
    for raw in raw_columns:
        key = str(raw)
        if key in map_exact:
            targets = map_exact[key]
        elif key.strip() in map_exact:
            targets = map_exact[key.strip()]
        elif normalize_name(key) in map_norm:
            targets = map_norm[normalize_name(key)]
        elif normalize_name(key) in canon_norm:
            targets = [canon_norm[normalize_name(key)]]
        elif normalize_name(key).replace("_", "") in canon_norm:
            targets = [canon_norm[normalize_name(key).replace("_", "")]]
        else:
            extra.append(key)
            continue
        rename[key] = list(targets)
        for t in targets:
            claimed.setdefault(t, []).append(key)
    clashes = {}
    for col, raws in claimed.items():
        if len(raws) > 1:
            # an exact canonical name wins over looser matches silently only if it is the only exact one
            exact = [r for r in raws if r == col]
            if len(exact) == 1 and all(r not in map_exact for r in raws):
                for r in raws:
                    if r != col:
                        rename[r] = [t for t in rename[r] if t != col]
                        if not rename[r]:
                            del rename[r]
                            extra.append(r)
                continue
            clashes[col] = raws
    return rename, extra, clashes
