"""What one load hands from phase to phase.

:class:`Findings` collects the problems (errors) and warnings of every phase, in the order
they are found. :class:`Loaded` holds the converted tables together with what the checks
need to know about them: where each table came from and which rows of each column were
already reported (a row is reported once per column, by the first rule that catches it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from kamtools.data.readers import RawTable
from kamtools.data.validation import Problem, examples


@dataclass
class Findings:
    """Errors (``problems``) and warnings found so far; phases only append to them. ``facts`` holds what a phase did
    to the data as numbers, for the pages' notes (:attr:`kamtools.data.portfolio.Portfolio.facts`)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    facts: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(self, found: Iterable[Problem]) -> None:
        """Errors to ``problems``; warnings and information to ``warnings``."""
        for p in found:
            (self.problems if p.level == "error" else self.warnings).append(p)


@dataclass
class ReadTables:
    """The outcome of the reading phase: raw text tables and where they came from."""

    raw: dict[str, RawTable] = field(default_factory=dict)
    meta: dict[str, tuple[str, str]] = field(default_factory=dict)  # table -> (origin, row_label)
    failed: set[str] = field(default_factory=set)  # supplied, but could not be read


@dataclass
class Loaded:
    """Converted tables (index = row numbers in the file) and the rows already reported."""

    tables: dict[str, pd.DataFrame]
    bad: dict[str, dict[str, pd.Series]]  # table -> column -> rows already reported
    meta: dict[str, tuple[str, str]]  # table -> (origin, row_label)

    def problem(
        self, name: str, column: str | None, kind: str, message: str, hint: str, values: pd.Series, mask
    ) -> Problem:
        """A Problem for the rows of ``values`` where ``mask`` holds, located in its file."""
        origin, label = self.meta.get(name, (name, "row"))
        rows, vals, n = examples(values, mask)
        return Problem(name, column, message, hint, rows, vals, n, origin, label, kind)

    def fresh(self, name: str, col: str, mask: pd.Series) -> pd.Series:
        """``mask`` without the rows already reported for this column; marks them reported."""
        if not mask.any():
            return mask
        bad = self.bad[name].get(col)
        if bad is not None:
            mask = mask & ~bad
            self.bad[name][col] = bad | mask
        return mask

    def checked(self, name: str, column: str) -> bool:
        """True when ``column`` was read from the export (only such columns are checked)."""
        return column in self.tables[name].columns and column in self.bad[name]
