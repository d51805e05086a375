"""Phase 6: links between rows: references to other tables and parent links within a table.

The rules and their wording live in :mod:`kamtools.data.schemas` (:func:`reference_rule`,
:func:`tree_cycle_rule`), shared with :func:`kamtools.data.schemas.validate_tables`.
"""

from __future__ import annotations

from kamtools.data import schemas
from kamtools.data.loader.state import Findings, Loaded


def check_references(loaded: Loaded, findings: Findings) -> None:
    """Every reference (account_id, product_id, ...) names a row of the referenced table."""
    for name, df in loaded.tables.items():
        for column, ref_table, ref_col in schemas.foreign_keys(name):
            if column not in df.columns or len(df) == 0:
                continue
            target = loaded.tables.get(ref_table)
            if target is None or ref_col not in target.columns or target[ref_col].notna().sum() == 0:
                continue  # a missing or empty target table is reported on its own
            found = schemas.reference_rule(
                name, column, df[column], target[ref_col], reported=loaded.bad[name].get(column)
            )
            if found is None:
                continue
            message, hint, unknown = found
            loaded.fresh(name, column, unknown)  # mark the rows reported
            findings.problems.append(
                loaded.problem(name, column, "unknown_reference", message, hint, df[column], unknown)
            )


def check_trees(loaded: Loaded, findings: Findings) -> None:
    """Parent links within a table (group units, reporting lines) must not form cycles."""
    for name, parent in schemas.TREES:
        df = loaded.tables.get(name)
        if df is None or parent not in df.columns:
            continue
        found = schemas.tree_cycle_rule(name, parent, df)
        if found is not None:
            message, hint, mask = found
            findings.problems.append(loaded.problem(name, parent, "cycle", message, hint, df[parent], mask))
