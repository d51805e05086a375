"""pandera schemas of the canonical tables, derived from :data:`kamtools.data.model.TABLES`.

Nothing here is typed by hand per table: dtypes, nullability, allowed values, bounds and
primary keys come from the model. Rules that span columns (date order, earliest date)
are declared once below and used by the schemas, the loader and the data dictionary.

Use :func:`schema` for one table, :data:`SCHEMAS` for all of them, and
:func:`validate_tables` to check a dict of canonical tables (e.g. a generated
portfolio) and get a :class:`~kamtools.data.validation.DataValidationError` listing every
failure.

The rules are worded once, here: the ``*_rule`` functions (filled, bounds, earliest date,
after as_of, date order, unique key, references, tree cycles) return the user's message and
hint with the rows that break the rule. The pandera checks of the same rules are built from
the same definitions (:func:`bounds`, the hints) and keep pandera's check names; their error
text adds the rule and what to do (``greater_than_or_equal_to(0): list_price must be at least
0. What to do: ...``), so a user calling ``schema(...).validate`` reads the loader's advice.
The loader applies the rules with row numbers from the file (each row reported once per
column) and then validates the result against these schemas as the contract;
:func:`validate_tables` reports a failed pandera check of a rule with that rule's message,
hint and rows, and checks keys, references and cycles with the same rule functions. What
pandera cannot express (reading, encodings, number and date parsing, the mapping) stays in
the loader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from kamtools.data.model import MAX_MAGNITUDE, TABLES, Column
from kamtools.data.portfolio import credit_lines  # noqa: F401 (part of the rules, used by the loader)
from kamtools.data.validation import DataValidationError, Problem, a_column, count, examples, fmt_value, verb

PANDAS_DTYPES = {
    "id": "str",
    "text": "str",
    "category": "str",
    "date": "datetime64[ns]",
    "float": "float64",
    "int": "int64",
}
"""Canonical dtype of each model type (``str`` is pandas' string dtype, missing = NaN)."""

MIN_DATE = pd.Timestamp("1990-01-01")
"""No date may be earlier (older dates are typos or placeholders like 1900-01-01)."""

MIN_DATE_OVERRIDES: dict[tuple[str, str], pd.Timestamp] = {
    # long-standing customers exist: a relationship may well predate 1990
    ("accounts", "customer_since"): pd.Timestamp("1900-01-01"),
}

PLACEHOLDER_DATES: tuple[str, ...] = (
    "9999-12-31",  # SAP and most ERPs: "open", "not yet", "valid until further notice"
    "9999-12-30",
    "9999-01-01",
    "2999-12-31",
    "2099-12-31",
    "1970-01-01",  # a zero Unix timestamp
    "1900-01-01",  # Excel's first day, often left in empty date cells
    "1899-12-30",  # Excel / OLE day zero
    "1899-12-31",
    "1753-01-01",  # the smallest SQL Server datetime
    "0001-01-01",  # the smallest .NET / SQL date
)
"""Dates that systems write for "no date". In a column that may be empty (close_date,
resolved_date, paid_date) they are read as empty ("not yet") with a warning; the zero
dates 0000-00-00 and 00000000 of MySQL and SAP count as well."""

NOT_YET: dict[tuple[str, str], str] = {
    ("opportunities", "close_date"): "no close date",
    ("complaints", "resolved_date"): "not resolved",
    ("invoices", "paid_date"): "not paid",
}
"""What an empty end date means, per column."""

FUTURE_MARGIN = pd.Timedelta(days=366)
"""A date that has happened may still be a little after today (time zones, a late export);
an event date more than this after today (or after today and more than this after the
99.9th percentile of its column) is a typo such as 2206 for 2026."""

PLANNED_MARGIN = pd.DateOffset(years=5)
"""Planned dates (due_date, close_date of open opportunities) may lie in the future, but not
more than this after today."""

PLANNED_DATES: tuple[tuple[str, str], ...] = (
    ("invoices", "due_date"),
    ("opportunities", "close_date"),
    ("opportunities", "contract_end"),
)
"""Date columns that may lie in the future (close_date only while the opportunity is open; a contract
end usually does)."""

AS_OF_GAP = pd.Timedelta(days=366)
"""A given as_of more than this after the last order date is warned about (every account would look lapsed)."""

DATE_ORDER_RULES: list[tuple[str, str, str]] = [
    # (table, earlier column, later column): later must not be before earlier
    ("opportunities", "created_date", "close_date"),
    ("opportunities", "created_date", "contract_end"),
    ("complaints", "opened_date", "resolved_date"),
    ("invoices", "issue_date", "due_date"),
    ("invoices", "issue_date", "paid_date"),
]


TREES: dict[tuple[str, str], str] = {
    # (table, parent column) -> key column the parent refers to, within the same table
    ("accounts", "parent_account_id"): "account_id",
    ("contacts", "reports_to"): "contact_id",
}
"""Columns that link a row to a parent row of the same table (a group's units, reporting lines).
Any depth is fine; a cycle (a row that is its own parent or ancestor) is an error."""

TREE_WORDS: dict[str, tuple[str, str, str]] = {
    # table -> (what a row is, the rule in words, where the chain should end)
    "accounts": (
        "account",
        "an account cannot be its own parent, directly or through other accounts",
        "leave it empty for the account at the top of the group",
    ),
    "contacts": (
        "contact",
        "a person cannot report to themselves, directly or through others",
        "leave it empty for the most senior person",
    ),
}

MAX_CYCLES_SHOWN = 3


def tree_cycles(df: pd.DataFrame, key: str, parent: str) -> list[list[str]]:
    """Every cycle of the ``parent`` links of ``df`` as chains of ids (``["G1", "G2", "G1"]``),
    found in sorted order; a self-parent is ``["G1", "G1"]``. Parents that are not in ``key``
    are left to the reference check."""
    from kamtools.groups.tree import find_cycle, parent_map

    if parent not in df.columns or key not in df.columns or not df[parent].notna().any():
        return []
    links = parent_map(df, key, parent)
    cycles = []
    while (cycle := find_cycle(links)) is not None:
        cycles.append(cycle)
        for node in cycle:
            links.pop(node, None)
    return cycles


def tree_cycle_rule(table: str, parent: str, df: pd.DataFrame) -> tuple[str, str, pd.Series] | None:
    """(message, hint, rows on a cycle) for the cycles of a :data:`TREES` column, or None.

    The one place that words the rule, for the loader and :func:`validate_tables` alike.
    """
    key = TREES[table, parent]
    cycles = tree_cycles(df, key, parent)
    if not cycles:
        return None
    chains = "; ".join(" -> ".join(c) for c in cycles[:MAX_CYCLES_SHOWN])
    more = len(cycles) - MAX_CYCLES_SHOWN
    on_cycle = {node for c in cycles for node in c}
    word, rule, top = TREE_WORDS[table]
    message = (
        f"{table}.{parent} forms {'a cycle' if len(cycles) == 1 else f'{len(cycles)} cycles'}: {chains}"
        + (f" and {more} more" if more > 0 else "")
        + f" ({rule})."
    )
    hint = f"Fix the {parent} of one {word} on each cycle ({top})."
    return message, hint, df[key].astype("str").isin(on_cycle) & df[parent].notna()


def foreign_keys(table: str) -> list[tuple[str, str, str]]:
    """(column, referenced table, referenced column) of every reference of ``table``."""
    return [(c.name, *c.references.split(".")) for c in TABLES[table].columns if c.references]


def reference_rule(
    table: str, column: str, values: pd.Series, target: pd.Series, reported: pd.Series | None = None
) -> tuple[str, str, pd.Series] | None:
    """(message, hint, rows) for the values of ``table.column`` that ``target`` (the referenced
    column) does not hold, or None. Rows in ``reported`` (already reported) are left out.

    The one place that words the foreign-key rule, for the loader and :func:`validate_tables` alike.
    """
    ref_table = TABLES[table].column(column).references.split(".")[0]
    known = target.dropna()
    unknown = values.notna() & ~values.isin(pd.Index(known.unique()))
    if reported is not None:
        unknown = unknown & ~reported
    if not unknown.any():
        return None
    counts = values[unknown].value_counts()
    listed = ", ".join(f"'{k}' ({count(int(c), 'row')})" for k, c in counts.head(5).items())
    more = f" and {len(counts) - 5:,} more" if len(counts) > 5 else ""
    n = int(unknown.sum())
    message = (
        f"{count(n, 'row')} {verb(n, 'refers', 'refer')} to {count(len(counts), column + ' value')} not in "
        f"{ref_table}: {listed}{more}."
    )
    return message, _reference_hint(table, column, known), unknown


def _reference_hint(table: str, column: str, known: pd.Series) -> str:
    """What to do about ids of ``table.column`` missing from ``known`` (the referenced column, without NaN)."""
    ref_table = TABLES[table].column(column).references.split(".")[0]
    todo = f"Add the missing {ref_table} to the {ref_table} table or remove these rows."
    if ref_table == table:  # a parent link within the table (group units, reporting lines)
        todo = f"Add the missing rows to {table}, or leave {column} empty where there is none."
    example = f" (e.g. {fmt_value(known.iloc[0])} in {ref_table})" if len(known) else ""
    return f"{todo} Ids must match exactly: check prefixes and leading zeros{example}."


NEGATIVE_LINES = ("keep", "drop", "reject")
"""What the loader does with order lines that carry a negative quantity, net_revenue or cost
(returns, credit notes, rebates): ``keep`` them, netted against revenue and margin (default);
``drop`` them with a warning counting them; ``reject`` them as errors with their rows."""

SIGN_RULES: dict[tuple[str, str], str] = {
    ("orders", "quantity"): "greater than 0 on sales lines; negative on returns (with negative net_revenue); "
    "zero or empty only on rebate and credit lines (negative net_revenue), read as 0",
    ("orders", "net_revenue"): "negative on returns, credit notes and rebates (netted against revenue and margin; "
    "not counted as orders)",
    ("orders", "cost"): "negative only on lines with negative quantity or net_revenue; not positive on returns",
}
"""The sign rules of order lines under ``negative_lines: keep`` (see :func:`credit_lines`)."""

RETURNS_DOMINATE = 0.30
"""Returns, credit notes and rebates above this share of gross revenue (in the portfolio or an
account) are warned about: the export may book something else as negative lines."""


def min_date(table: str, column: str) -> pd.Timestamp:
    """Earliest allowed date in ``table.column``."""
    return MIN_DATE_OVERRIDES.get((table, column), MIN_DATE)


def today() -> pd.Timestamp:
    """Today's date (midnight, local time): the reference for "in the future"."""
    return pd.Timestamp.today().normalize()


def far_future(dates: pd.Series, now: pd.Timestamp | None = None) -> pd.Series:
    """True for event dates that cannot have happened yet (see :data:`FUTURE_MARGIN`).

    A date is far in the future when it is more than ``FUTURE_MARGIN`` after ``now``
    (default today), or after ``now`` and more than ``FUTURE_MARGIN`` after the 99.9th
    percentile of the other dates of the column (the bulk of the data). Missing dates
    are False.
    """
    now = today() if now is None else now
    hard = dates > now + FUTURE_MARGIN
    later = dates > now
    if not later.any():
        return hard
    rest = dates[~hard].dropna()
    if rest.empty:
        return hard
    bulk = rest.quantile(0.999, interpolation="lower")
    return hard | (later & (dates > bulk + FUTURE_MARGIN))


def column_rules(table: str, col: Column) -> list[str]:
    """Plain-language rules of one column (used by the data dictionary)."""
    if col.derived:
        rules = [f"when the column is absent{' or a cell is empty' if col.nullable else ''}: {col.derived}"]
    elif (table, col.name) in SIGN_RULES:
        rules = []
    else:
        rules = ["may be empty" if col.nullable else "not empty"]
    if (table, col.name) in SIGN_RULES:
        rules.append(SIGN_RULES[table, col.name])
    if col.allowed:
        rules.append("one of " + ", ".join(col.allowed))
    if col.positive:
        rules.append("> 0")
    if col.min_value is not None and col.max_value is not None:
        rules.append(f"{col.min_value:g} to {col.max_value:g}")
    elif col.min_value is not None:
        rules.append(f">= {col.min_value:g}")
    elif col.max_value is not None:
        rules.append(f"<= {col.max_value:g}")
    if col.dtype in ("float", "int") and col.max_value is None:
        rules.append(f"finite, at most {MAX_MAGNITUDE:.0e} in absolute value".replace("+", ""))
    if col.dtype == "date":
        rules.append(f"not before {min_date(table, col.name).date()}")
        if col.name in TABLES[table].date_columns_bounded:
            rules.append("not after as_of")
        if (table, col.name) in PLANNED_DATES:
            rules.append("at most 5 years after today")
        else:
            rules.append("not far in the future")
        if (table, col.name) in NOT_YET:
            rules.append(f"9999-12-31 and other placeholders mean empty ({NOT_YET[table, col.name]})")
        for t, earlier, later in DATE_ORDER_RULES:
            if t == table and later == col.name:
                rules.append(f"not before {earlier}")
    if col.references:
        rules.append(f"must exist in {col.references}")
    if (table, col.name) in TREES:
        rules.append("any depth; no cycles (a row cannot be its own parent or above itself)")
    if TABLES[table].primary_key == (col.name,):
        rules.append("unique")
    return rules


# ---- the rules in the user's words -----------------------------------------------------------------
# The loader reports a broken rule with its rows in the file and what to do; the schemas below check
# the same rules as the contract. ``fresh`` filters a mask to the rows not yet reported (and marks
# them); a rule is (kind, message, hint, rows).

Fresh = Callable[[pd.Series], pd.Series]
RuleHit = tuple[str, str, str, pd.Series]

COLUMN_HINTS = {
    ("orders", "quantity"): "negative_lines: reject asks every order line to have a positive quantity: remove "
    "cancelled lines, and remove returns and credit notes from the export (or net them against the original line), "
    "or load them as returns with --negative-lines keep (the default).",
    ("orders", "net_revenue"): "negative_lines: reject asks for net revenue that is not negative: remove credit notes "
    "and returns from the export, or net them against the original order line, or load them with "
    "--negative-lines keep (the default).",
    ("orders", "cost"): "negative_lines: reject asks for cost that is not negative: check the cost field of the "
    "export (returns and credit notes belong out of it), or load returns with --negative-lines keep (the default).",
}
"""Hints for the bounds of specific columns; every other column gets one built from the model."""


def _unmarked(mask: pd.Series) -> pd.Series:
    return mask


def _filled_hint(col: Column) -> str:
    return f"Every row needs {a_column(col.name)} ({col.meaning.rstrip('.').lower()}); fill it in or remove the rows."


def filled_rule(col: Column, values: pd.Series, fresh: Fresh = _unmarked) -> RuleHit | None:
    """A column that may not be empty (``nullable=False``)."""
    empty = fresh(values.isna())
    if not empty.any():
        return None
    n = int(empty.sum())
    return ("missing_value", f"{count(n, 'row')} {verb(n, 'has', 'have')} no {col.name}.", _filled_hint(col), empty)


def _earliest_date_hint(col: Column) -> str:
    return "Dates this old are typos or placeholders (such as 1900-01-01); correct them" + (
        " or leave the cell empty." if col.nullable else "."
    )


def earliest_date_rule(table: str, col: Column, values: pd.Series, fresh: Fresh = _unmarked) -> RuleHit | None:
    """No date before :func:`min_date`."""
    lo = min_date(table, col.name)
    early = fresh(values < lo)
    if not early.any():
        return None
    n = int(early.sum())
    return (
        "date_too_early",
        f"{count(n, 'date')} in {col.name} {verb(n, 'is', 'are')} before {lo.date()}.",
        _earliest_date_hint(col),
        early,
    )


def bounds_rules(table: str, col: Column, values: pd.Series, fresh: Fresh = _unmarked) -> list[RuleHit]:
    """Sign and range rules of a numeric column; a 0-1 fraction given as a percentage is named as such."""
    v = values
    if col.min_value == 0 and col.max_value == 1:
        vals = v.dropna()
        over = v > 1
        if over.any() and not ((vals > 0) & (vals < 1)).any() and bool(vals.between(0, 100).all()):
            message = (
                f"{col.name} looks like a percentage (values up to {fmt_value(float(v.max()))}); "
                "it must be a fraction between 0 and 1."
            )
            return [
                ("percent_not_fraction", message, f"Divide {col.name} by 100 in the export (40 -> 0.4).", fresh(over))
            ]
    out = []
    for bound in bounds(col):
        mask = fresh(bound.breaks(v))
        if mask.any():
            n = int(mask.sum())
            out.append(
                (
                    "out_of_range",
                    f"{count(n, 'value')} of {col.name} {verb(n, 'is', 'are')} {bound.what}; {bound.rule(col)}.",
                    _bounds_hint(table, col),
                    mask,
                )
            )
    return out


@dataclass(frozen=True)
class Bound:
    """One sign or range rule of a numeric column: the pandera check that states it and its words."""

    check: str  # pandera's built-in check (gt, ge, le)
    limit: float
    what: str  # what the offending values are ("negative", "above 1")
    must: str  # what they must be ("at least 0")

    def breaks(self, values: pd.Series) -> pd.Series:
        """True where a value breaks the rule (missing values do not)."""
        ops = {"gt": values.le, "ge": values.lt, "le": values.gt}
        return ops[self.check](self.limit)

    def rule(self, col: Column) -> str:
        return f"{col.name} must be {self.must}"


def bounds(col: Column) -> list[Bound]:
    """The sign and range rules of a numeric column, from the model (``positive``, ``min_value``, ``max_value``)."""
    out = []
    if col.positive:
        out.append(Bound("gt", 0, "zero or negative", "greater than 0"))
    if col.min_value is not None:
        below = "negative" if col.min_value == 0 else f"below {col.min_value:g}"
        out.append(Bound("ge", col.min_value, below, f"at least {col.min_value:g}"))
    if col.max_value is not None:
        out.append(Bound("le", col.max_value, f"above {col.max_value:g}", f"at most {col.max_value:g}"))
    return out


def _bounds_hint(table: str, col: Column) -> str:
    return COLUMN_HINTS.get((table, col.name)) or (
        f"Correct these values of {col.name} ({col.meaning.rstrip('.').lower()}) or remove the rows."
    )


def after_as_of_rule(
    table: str, column: str, values: pd.Series, as_of: pd.Timestamp, fresh: Fresh = _unmarked
) -> RuleHit | None:
    """An event date after the default as_of (the last order date); see ``date_columns_bounded``."""
    late = fresh(values > as_of)
    if not late.any():
        return None
    n = int(late.sum())
    return (
        "after_as_of",
        f"{count(n, 'row')} {verb(n, 'is', 'are')} dated after the last order date ({as_of.date()}), "
        "which is the analysis date (as_of) by default.",
        AFTER_AS_OF_HINT,
        late,
    )


AFTER_AS_OF_HINT = (
    "Future dates are data errors: correct them. If this table was exported later than the "
    "orders, pass the export date as as_of (kamtools validate --as-of YYYY-MM-DD); rows "
    "after it are then left out."
)


def date_order_rules(
    table: str, df: pd.DataFrame, fresh: Callable[[str, pd.Series], pd.Series] | None = None
) -> list[tuple[str, str, str, pd.Series, int]]:
    """(later column, message, hint, up to five rows shown as 'earlier ..., later ...', rows) per broken
    :data:`DATE_ORDER_RULES` rule; ``fresh(column, mask)`` as for the other rules."""
    out = []
    for t, earlier, later in DATE_ORDER_RULES:
        if t != table or earlier not in df.columns or later not in df.columns:
            continue
        wrong = df[later] < df[earlier]
        wrong = fresh(later, wrong) if fresh is not None else wrong
        if not wrong.any():
            continue
        idx = df.index[wrong][:5]
        shown = pd.Series(
            [f"{earlier} {a.date()}, {later} {b.date()}" for a, b in zip(df.loc[idx, earlier], df.loc[idx, later])],
            index=idx,
            dtype="object",
        )
        n = int(wrong.sum())
        message = f"{count(n, 'row')} {verb(n, 'has', 'have')} {later} before {earlier}."
        out.append((later, message, _date_order_hint(earlier, later), shown, n))
    return out


def _date_order_hint(earlier: str, later: str) -> str:
    return f"A {later.replace('_', ' ')} cannot precede the {earlier.replace('_', ' ')}: correct one of the two dates."


def duplicate_key_rule(table: str, df: pd.DataFrame) -> tuple[str, str, str, pd.Series, int] | None:
    """(column label, message, hint, up to five duplicated keys by row, rows) when the primary key repeats."""
    pk = list(TABLES[table].primary_key)
    if not pk or any(c not in df.columns for c in pk):
        return None
    keys = df[pk]
    if _keys_unique(keys):
        return None
    dup = keys.duplicated(keep=False) & keys.notna().all(axis=1)
    if not dup.any():
        return None
    label = pk[0] if len(pk) == 1 else " + ".join(pk)
    dups = keys[dup].sort_values(pk, kind="stable")
    if len(pk) == 1:
        shown = dups[pk[0]]
    else:
        shown = pd.Series(
            ["/".join(str(x) for x in row) for row in dups.head(5).itertuples(index=False)],
            index=dups.index[:5],
        )
    n_keys = int(dups.drop_duplicates().shape[0])
    n = int(dup.sum())
    message = (
        f"{count(n_keys, label + ' value')} {verb(n_keys, 'occurs', 'occur')} more than once "
        f"({count(n, 'row')}); each must be unique."
    )
    hint = (
        f"Remove duplicated rows (e.g. an export that was appended twice), or give distinct records distinct {label}."
    )
    return label, message, hint, shown, n


def _keys_unique(keys: pd.DataFrame) -> bool:
    """Fast test that the rows of ``keys`` are unique (missing values count as unique).

    Each column is factorised to integer codes, combined into one int64 key per row and
    sorted: about twice as fast as ``DataFrame.duplicated`` on millions of string keys.
    """
    combined = np.zeros(len(keys), dtype="int64")
    span = 1
    for col in keys.columns:
        codes, uniques = pd.factorize(keys[col], use_na_sentinel=True)
        if (codes < 0).any():
            return False  # rows with missing key parts: let the exact check decide
        n = len(uniques) + 1
        if span > np.iinfo("int64").max // n:
            return False  # would overflow: use the exact check
        combined += codes.astype("int64") * span
        span *= n
    combined.sort()
    return not bool((combined[1:] == combined[:-1]).any())


def column_rule_hits(table: str, col: Column, values: pd.Series, fresh: Fresh, *, filled: bool) -> list[RuleHit]:
    """The rules of one column in the order the loader reports them: filled (when ``filled``), then the
    bounds of a numeric column or the earliest date of a date column; ``fresh`` as for each rule."""
    hits: list[RuleHit | None] = [filled_rule(col, values, fresh)] if filled else []
    if col.dtype in ("float", "int"):
        hits.extend(bounds_rules(table, col, values, fresh))
    if col.dtype == "date":
        hits.append(earliest_date_rule(table, col, values, fresh))
    return [h for h in hits if h is not None]


# ---- the same rules as pandera checks ----------------------------------------------------------------
# A check built from a rule keeps pandera's name (``greater_than_or_equal_to``) and identifier, and its
# error text adds the rule and what to do: ``greater_than_or_equal_to(0): list_price must be at least 0.
# What to do: ...``. :func:`validate_tables` reports a failure of such a check with the rule's own
# message, hint and rows, as the loader does.

WHAT_TO_DO = ". What to do: "

RULED_CHECKS = {
    # pandera check name -> the column dtypes whose rule (see column_rule_hits) it states
    "not_nullable": ("id", "text", "category", "date", "float", "int"),
    "greater_than": ("float", "int"),
    "greater_than_or_equal_to": ("float", "int", "date"),
    "less_than_or_equal_to": ("float", "int"),
}
"""Failures of these checks are reported by :func:`column_rule_hits` (a date's ``less_than_or_equal_to``
is the as_of bound: its words are in the check's error text)."""


def _worded(make: Callable[..., pa.Check], limit: object, rule: str, hint: str) -> pa.Check:
    """The built-in check ``make(limit)`` whose error text carries the rule and what to do."""
    identifier = make(limit).error
    return make(limit, error=f"{identifier}: {rule}{WHAT_TO_DO}{hint}")


def _checks(table: str, col: Column, as_of: pd.Timestamp | None) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.allowed:
        checks.append(pa.Check.isin(list(col.allowed)))
    for bound in bounds(col):
        make = getattr(pa.Check, bound.check)
        checks.append(_worded(make, bound.limit, bound.rule(col), _bounds_hint(table, col)))
    if col.dtype in ("float", "int"):
        checks.append(pa.Check.in_range(-MAX_MAGNITUDE, MAX_MAGNITUDE))  # also rejects inf and -inf
    if col.dtype == "date":
        lo = min_date(table, col.name)
        checks.append(_worded(pa.Check.ge, lo, f"{col.name} must not be before {lo.date()}", _earliest_date_hint(col)))
        if as_of is not None and col.name in TABLES[table].date_columns_bounded:
            rule = f"{col.name} must not be after as_of ({as_of.date()})"
            checks.append(_worded(pa.Check.le, pd.Timestamp(as_of), rule, AFTER_AS_OF_HINT))
    return checks


def _reference_check(table: str, col: Column, references: Mapping[str, pd.DataFrame] | None) -> list[pa.Check]:
    """The foreign key of ``col`` as a check against the referenced table in ``references`` (none when
    that table or its key column is not there)."""
    if not col.references or references is None:
        return []
    ref_table, ref_col = col.references.split(".")
    target = references.get(ref_table)
    if target is None or ref_col not in target.columns:
        return []
    known = target[ref_col].dropna()
    ids = pd.Index(known.unique())
    name = _reference_check_name(col.name, ref_table)
    words = f"{col.name} must exist in {col.references}{WHAT_TO_DO}{_reference_hint(table, col.name, known)}"
    return [pa.Check(lambda s, ids=ids: s.isin(ids), name=name, error=f"{name}: {words}")]


def _reference_check_name(column: str, ref_table: str) -> str:
    return f"{column}_in_{ref_table}"


def _date_order_checks(table: str) -> list[pa.Check]:
    """The :data:`DATE_ORDER_RULES` of ``table`` as frame checks. Their error text stays the check's name
    (``close_date_not_before_created_date``, an identifier callers match); the rule and what to do are
    its description."""
    checks = []
    for t, earlier, later in DATE_ORDER_RULES:
        if t == table:
            name = f"{later}_not_before_{earlier}"
            checks.append(
                pa.Check(
                    lambda df, a=earlier, b=later: ~(df[b] < df[a]),
                    name=name,
                    error=name,
                    description=f"{later} must not be before {earlier}{WHAT_TO_DO}{_date_order_hint(earlier, later)}",
                )
            )
    return checks


def schema(
    table: str,
    *,
    as_of: str | pd.Timestamp | None = None,
    checks: bool = True,
    unique: bool = True,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> pa.DataFrameSchema:
    """The pandera schema of one canonical table.

    ``as_of`` adds "not after as_of" to the bounded date columns; ``checks=False`` keeps
    only structure (columns, dtypes, nullability); ``unique=False`` skips the primary-key
    check (the loader checks keys itself, with row numbers); ``references`` (canonical tables
    by name) adds a check per foreign key whose referenced table it holds
    (``account_id_in_accounts``: every account_id exists in accounts).
    """
    spec = TABLES[table]
    as_of_ts = pd.Timestamp(as_of).normalize() if as_of is not None else None
    columns = {
        c.name: pa.Column(
            PANDAS_DTYPES[c.dtype],
            nullable=c.nullable and not c.derived,  # the loader fills derived columns
            required=c.required or c.derived is not None,
            checks=_checks(table, c, as_of_ts) + _reference_check(table, c, references) if checks else None,
            title=c.name,
            description=c.meaning,
        )
        for c in spec.columns
    }
    frame_checks = []
    if checks and table == "orders":
        frame_checks.append(
            pa.Check(
                lambda df: ~((df["quantity"] < 0) & (df["net_revenue"] > 0)) & df["quantity"].notna(),
                name="return_signs_agree",
                error="return_signs_agree",
            )
        )
    if checks:
        frame_checks.extend(_date_order_checks(table))
    pk = list(spec.primary_key)
    return pa.DataFrameSchema(
        columns,
        checks=frame_checks or None,
        unique=pk if (unique and pk) else None,
        strict=True,
        name=table,
        description=spec.meaning,
    )


SCHEMAS: dict[str, pa.DataFrameSchema] = {name: schema(name) for name in TABLES}
"""Schema of every canonical table (no as_of bound)."""


def validate_tables(tables: dict[str, pd.DataFrame], as_of: str | pd.Timestamp | None = None) -> None:
    """Check canonical tables against their schemas and the foreign keys.

    Raises :class:`DataValidationError` listing every failure (row numbers are 1-based
    positions in each table). Returns None when everything conforms.
    """
    problems: list[Problem] = []
    unknown_ids: list[Problem] = []  # listed after every table's own findings, as the loader does
    for name, df in tables.items():
        if name not in TABLES:
            problems.append(Problem(name, None, f"'{name}' is not a canonical table.", kind="unknown_table"))
            continue
        frame = df.reset_index(drop=True)
        frame.index = frame.index + 1
        try:
            schema(name, as_of=as_of, unique=False, references=tables).validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            for p in _schema_problems(name, frame, exc.failure_cases, tables):
                (unknown_ids if p.kind == "unknown_reference" else problems).append(p)
        dup = duplicate_key_rule(name, frame)  # the loader's rule and words, rather than pandera's unique
        if dup is not None:
            label, message, hint, shown, n = dup
            rows, values, _ = examples(shown, None)
            problems.append(Problem(name, label, message, hint, rows, values, n, kind="duplicate_key"))
    problems.extend(unknown_ids)
    problems.extend(_cycle_problems(tables))
    if problems:
        raise DataValidationError(problems)


def _cycle_problems(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    out = []
    for name, parent in TREES:
        df = tables.get(name)
        if df is None or parent not in df.columns:
            continue
        frame = df.reset_index(drop=True)
        frame.index = frame.index + 1
        found = tree_cycle_rule(name, parent, frame)
        if found is not None:
            message, hint, mask = found
            rows, values, n = examples(frame[parent], mask)
            out.append(Problem(name, parent, message, hint, rows, values, n, kind="cycle"))
    return out


def _schema_problems(
    table: str, frame: pd.DataFrame, fc: pd.DataFrame, tables: Mapping[str, pd.DataFrame]
) -> list[Problem]:
    """The pandera failures of ``frame`` as findings: those of a rule with the rule's message, hint and rows
    (the loader's words), the others as :func:`problems_from_failures` words them."""
    names = fc["check"].astype(str).str.partition(": ")[0].str.partition("(")[0]
    ruled = pd.Series(False, index=fc.index)
    out = []
    for column in fc.loc[fc["column"].isin(frame.columns), "column"].unique():
        col = TABLES[table].column(str(column))
        here = (fc["column"] == column) & names.isin([n for n, types in RULED_CHECKS.items() if col.dtype in types])
        if here.any():
            found = _rule_problems(table, col, frame, filled=bool((names[here] == "not_nullable").any()))
            out.extend(found)
            ruled |= here & bool(found)
    date_order = names.isin([c.name for c in _date_order_checks(table)])
    if date_order.any():
        for later, message, hint, shown, n in date_order_rules(table, frame):
            rows = [int(i) for i in shown.index]
            out.append(Problem(table, later, message, hint, rows, [str(x) for x in shown], n, kind="schema"))
        ruled |= date_order
    for column, ref_table, ref_col in foreign_keys(table):
        unknown = names == _reference_check_name(column, ref_table)
        found = reference_rule(table, column, frame[column], tables[ref_table][ref_col]) if unknown.any() else None
        if found is not None:
            message, hint, mask = found
            rows, values, n = examples(frame[column], mask)
            out.append(Problem(table, column, message, hint, rows, values, n, kind="unknown_reference"))
            ruled |= unknown
    return out + problems_from_failures(table, fc[~ruled])


def _rule_problems(table: str, col: Column, frame: pd.DataFrame, *, filled: bool) -> list[Problem]:
    """The column's rules as the loader reports them (each row once per column), on 1-based rows."""
    reported = np.zeros(len(frame), dtype=bool)

    def fresh(mask: pd.Series) -> pd.Series:
        new = mask & ~reported
        reported[:] = reported | new.to_numpy()
        return new

    out = []
    for _, message, hint, mask in column_rule_hits(table, col, frame[col.name], fresh, filled=filled):
        rows, values, n = examples(frame[col.name], mask)
        out.append(Problem(table, col.name, message, hint, rows, values, n, kind="schema"))
    return out


def problems_from_failures(table: str, fc: pd.DataFrame) -> list[Problem]:
    """One Problem per failed check (frame-wide checks list every column; keep them together); a check
    built from a rule names pandera's check in the message and gives the rule and what to do as hint."""
    out = []
    for check, grp in fc.groupby(fc["check"].astype(str), sort=False):
        columns = [c for c in grp["column"].dropna().astype(str).unique()]
        rows = grp.drop_duplicates("index") if "index" in grp else grp
        idx = rows["index"].dropna() if "index" in rows else pd.Series([], dtype="float64")
        identifier, words = check.partition(": ")[::2] if WHAT_TO_DO in check else (check, "")
        out.append(
            Problem(
                table,
                columns[0] if len(columns) == 1 else None,
                f"failed the schema check {identifier} ({count(len(rows), 'case')}"
                + (f", columns {', '.join(columns)}" if len(columns) > 1 else "")
                + ").",
                words.replace(WHAT_TO_DO, ": ", 1) + ("." if words and not words.endswith(".") else ""),
                rows=[int(i) for i in idx[:5]],
                values=[fmt_value(v) for v in rows["failure_case"][:5]] if len(columns) <= 1 else [],
                n_rows=len(rows),
                kind="schema",
            )
        )
    return out
