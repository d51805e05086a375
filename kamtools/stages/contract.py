"""The declaration of a stage's contract: :class:`Stage`, :class:`TableSchema` and the errors.

See :mod:`kamtools.stages` for how the runner uses them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

NOTES_KEY = "_notes"  # a stage's {name: sentence} on what it could do only in part
ALL = ("*",)  # a read of every declared column of a table
PLAYBOOK = "_playbook"  # setting: the checked Playbook (kamtools.plan.checked_playbook)
CHURN_DEFINITION = "_churn_definition"  # setting: the ChurnDefinition (None: the default)
SETTINGS = {PLAYBOOK: "the account-plan playbook", CHURN_DEFINITION: "the churn definition"}

# the kind of a column -> (dtype test, words for a message)
_KINDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "str": (lambda t: pd.api.types.is_string_dtype(t) or pd.api.types.is_object_dtype(t), "text"),
    "float": (pd.api.types.is_float_dtype, "a float"),
    "int": (lambda t: pd.api.types.is_integer_dtype(t) and not pd.api.types.is_bool_dtype(t), "an integer"),
    "number": (lambda t: pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t), "a number"),
    "bool": (pd.api.types.is_bool_dtype, "true/false"),
    "datetime": (pd.api.types.is_datetime64_any_dtype, "a date"),
    "category": (lambda t: isinstance(t, pd.CategoricalDtype), "a category"),
}


class StageContractError(RuntimeError):
    """A stage's result does not match its declaration (a table or a column)."""


class UndeclaredInputError(KeyError):
    """A stage read a table or setting that its declaration does not list."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class TableSchema:
    """A table a stage writes: its columns in order, each with its kind (see :data:`_KINDS`).

    ``optional`` are the columns written only when their source is there (an optional
    Portfolio table such as targets or invoices, or the churn model for the health score);
    whoever reads one handles its absence.
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    optional: frozenset[str] = frozenset()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns if c not in self.optional)

    @property
    def per_account(self) -> bool:
        return "account_id" in self.column_names

    def pandera(self, extra: Iterable[str] = ()):
        """The :class:`pandera.DataFrameSchema` of this table (``extra``: further columns allowed, any kind)."""
        import pandera.pandas as pa

        cols = {
            name: pa.Column(
                None,
                checks=pa.Check(
                    lambda s, test=_KINDS[kind][0]: bool(test(s.dtype)),
                    element_wise=False,
                    error=f"is {_KINDS[kind][1]} ({kind})",
                ),
                nullable=True,
                required=name not in self.optional,
            )
            for name, kind in self.columns
        }
        cols.update({name: pa.Column(None, nullable=True) for name in extra if name not in cols})
        return pa.DataFrameSchema(cols, strict=True, name=self.name)


def table(name: str, spec: str) -> TableSchema:
    """A :class:`TableSchema` from ``"column:kind column:kind? ..."`` (``?``: an optional column)."""
    columns, optional = [], set()
    for item in spec.split():
        col, _, kind = item.partition(":")
        if kind.endswith("?"):
            kind = kind[:-1]
            optional.add(col)
        if kind not in _KINDS:
            raise ValueError(f"table {name!r}: column {col!r} has the unknown kind {kind!r}")
        columns.append((col, kind))
    return TableSchema(name, tuple(columns), frozenset(optional))


@dataclass(frozen=True)
class Stage:
    """One analysis stage's contract (see the module docs)."""

    name: str
    module: str  # the module whose bundle_tables(portfolio, inputs) runs the stage
    portfolio: tuple[str, ...]
    writes: tuple[TableSchema, ...]
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    settings: tuple[str, ...] = ()
    background: bool = False
    summary: str = "SUMMARY_COLUMNS"  # the module's {table: [columns]} joined into accounts.parquet
    # sees the group parents (children, no orders: kamtools.groups.parents); other stages get the
    # portfolio without them, so a holding company is never read as a customer who stopped buying
    group_parents: bool = False

    @property
    def tables(self) -> dict[str, TableSchema]:
        return {t.name: t for t in self.writes}

    def entry(self) -> Callable | None:
        """The stage's ``bundle_tables`` (None when its module is not part of this installation)."""
        try:
            module = importlib.import_module(self.module)
        except ModuleNotFoundError as exc:
            if exc.name != self.module:
                raise
            return None
        return getattr(module, "bundle_tables", None)

    def summary_columns(self) -> dict[str, list[str]]:
        return dict(getattr(importlib.import_module(self.module), self.summary, {}))


# the per-account summary that analyze writes as accounts.parquet: these columns, then the
# SUMMARY_COLUMNS of every stage that ran
