"""Phase 4: the rules of each table on its own: empty tables, empty cells, bounds, earliest
dates, unique keys and date order.

The rules and their wording live in :mod:`kamtools.data.schemas` (beside the pandera checks
of the same rules); here they are applied with row numbers from the file, each row reported
once per column.
"""

from __future__ import annotations

import pandas as pd

from kamtools.data import schemas
from kamtools.data.loader.state import Findings, Loaded
from kamtools.data.model import TABLES, Column, Table
from kamtools.data.validation import Problem, examples


def check_tables(loaded: Loaded, findings: Findings) -> None:
    """Every table: not empty when required; then its columns, primary key and date order."""
    for name, df in loaded.tables.items():
        spec = TABLES[name]
        if len(df) == 0:
            findings.add([_empty_table(loaded, name, spec, df)])
            continue
        _check_columns(loaded, name, spec, df, findings)
        _check_primary_key(loaded, name, df, findings)
        _check_date_order(loaded, name, df, findings)


def _empty_table(loaded: Loaded, name: str, spec: Table, df: pd.DataFrame) -> Problem:
    if spec.required:
        return loaded.problem(
            name,
            None,
            "empty_table",
            f"required table {name} has no rows.",
            f"Export {name} again with its data; kamtools needs at least one row.",
            df.index.to_series(),
            None,
        )
    return Problem(
        name, None, "the table has no rows.", origin=loaded.meta[name][0], kind="empty_table", level="warning"
    )


def _report(loaded: Loaded, name: str, column: str, hits: list, values: pd.Series, findings: Findings) -> None:
    for hit in hits:
        if hit is None:
            continue
        kind, message, hint, mask = hit
        findings.problems.append(loaded.problem(name, column, kind, message, hint, values, mask))


def _check_columns(loaded: Loaded, name: str, spec: Table, df: pd.DataFrame, findings: Findings) -> None:
    for col in spec.columns:
        if not loaded.checked(name, col.name):
            continue
        v = df[col.name]

        def fresh(mask: pd.Series, column: str = col.name) -> pd.Series:
            return loaded.fresh(name, column, mask)

        hits = schemas.column_rule_hits(name, col, v, fresh, filled=not col.nullable)
        _report(loaded, name, col.name, hits, v, findings)


def check_bounds(loaded: Loaded, name: str, col: Column, v: pd.Series, findings: Findings) -> None:
    """Sign and range rules of a numeric column (see :func:`kamtools.data.schemas.bounds_rules`)."""
    hits = schemas.bounds_rules(name, col, v, lambda mask: loaded.fresh(name, col.name, mask))
    _report(loaded, name, col.name, hits, v, findings)


def _check_primary_key(loaded: Loaded, name: str, df: pd.DataFrame, findings: Findings) -> None:
    found = schemas.duplicate_key_rule(name, df)
    if found is None:
        return
    label, message, hint, shown, n = found
    rows, vals, _ = examples(shown, None)
    findings.problems.append(
        Problem(name, label, message, hint, rows, vals, n, *loaded.meta[name], kind="duplicate_key")
    )


def _check_date_order(loaded: Loaded, name: str, df: pd.DataFrame, findings: Findings) -> None:
    origin, label = loaded.meta.get(name, (name, "row"))
    for later, message, hint, shown, n in schemas.date_order_rules(name, df, lambda c, m: loaded.fresh(name, c, m)):
        rows = [int(i) for i in shown.index]
        findings.problems.append(
            Problem(name, later, message, hint, rows, [str(x) for x in shown], n, origin, label, "date_order")
        )
