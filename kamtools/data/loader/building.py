"""Phase 8: the Portfolio from the checked tables: derived columns, the backtest cut at a
given as_of, warnings about the finished data and the schema contract."""

from __future__ import annotations

import pandas as pd

from kamtools.data.loader.derive import derive_columns
from kamtools.data.loader.notes import credit_warnings, usage_warnings
from kamtools.data.loader.state import Findings, Loaded
from kamtools.data.model import TABLES
from kamtools.data.portfolio import Portfolio
from kamtools.data.validation import Problem, count, sort_problems, verb

RESET_AFTER_AS_OF = [
    # (table, date column, what a later date means as of an earlier day)
    ("opportunities", "close_date", "opportunities decided after as_of set back to open"),
    ("complaints", "resolved_date", "complaints resolved after as_of set back to open"),
    ("invoices", "paid_date", "invoices paid after as_of set back to unpaid"),
    ("contacts", "left_date", "contacts who left after as_of counted as still there"),
]


def build_portfolio(
    loaded: Loaded, as_of: pd.Timestamp, as_of_given: pd.Timestamp | None, findings: Findings
) -> Portfolio | None:
    """The Portfolio, or None when building it found a problem (added to ``findings``).

    Takes the tables out of ``loaded`` (its ``tables`` are empty afterwards).
    """
    tables = {name: df.reset_index(drop=True) for name, df in loaded.tables.items()}
    loaded.tables = {}
    derive_columns(tables, loaded, as_of, findings)
    if as_of_given is not None:
        cut = _truncate(tables, as_of, findings)
        if cut is None:
            return None
        tables = cut
    else:
        _customers_after_as_of(tables["accounts"], as_of, findings)
    usage_warnings(tables, loaded, findings)
    credit_warnings(tables["orders"], loaded, findings)
    _schema_contract(tables, as_of, loaded, findings)
    if findings.problems:
        return None
    warnings = [w.one_line() for w in sort_problems(findings.warnings)]
    return Portfolio(tables, as_of, warnings=warnings, facts=dict(findings.facts))


def _customers_after_as_of(accounts: pd.DataFrame, as_of: pd.Timestamp, findings: Findings) -> None:
    if "customer_since" not in accounts.columns:
        return
    later = accounts["customer_since"] > as_of
    if not later.any():
        return
    n = int(later.sum())
    findings.warnings.append(
        Problem(
            "accounts",
            "customer_since",
            f"{count(n, 'account')} became {verb(n, 'a customer', 'customers')} after the last order date ({as_of.date()}).",
            hint="Check their customer_since dates.",
            rows=[],
            n_rows=n,
            kind="customer_since_after_as_of",
            level="warning",
        )
    )


def _truncate(
    tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, findings: Findings
) -> dict[str, pd.DataFrame] | None:
    """Drop rows after a given as_of (Portfolio.truncate semantics) and report the drops."""
    dropped, reset = _after_as_of(tables, as_of)
    if not dropped and not reset:
        return tables
    portfolio = Portfolio(tables, as_of).truncate(as_of)
    if dropped:
        message = f"rows dated after as_of {as_of.date()} were left out (backtest): " + "; ".join(dropped) + "."
        findings.warnings.append(Problem("source", None, message, kind="dropped_after_as_of", level="warning"))
    if reset:
        message = f"as known on {as_of.date()}: " + "; ".join(reset) + "."
        findings.warnings.append(Problem("source", None, message, kind="reset_after_as_of", level="warning"))
    out = portfolio.tables
    if len(out["orders"]) == 0:
        findings.problems.append(
            Problem(
                "orders",
                "order_date",
                f"no order lines on or before as_of {as_of.date()}.",
                hint="Choose a later as_of.",
                kind="empty_after_as_of",
            )
        )
        return None
    return out


def _after_as_of(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> tuple[list[str], list[str]]:
    """(rows the cut drops, per table; rows it sets back to their state on as_of) as phrases."""
    dropped: list[str] = []
    reset: list[str] = []
    n_acc = int((tables["accounts"]["customer_since"] > as_of).sum())
    if n_acc:
        dropped.append(f"accounts: {n_acc:,} (customer only after as_of, with their rows in other tables)")
    for name, df in tables.items():
        for col in TABLES[name].date_columns_bounded:
            n = int((df[col] > as_of).sum())
            if n:
                dropped.append(f"{name}: {n:,}")
    for name, col, what in RESET_AFTER_AS_OF:
        df = tables.get(name)
        if df is None:
            continue
        later = df[col] > as_of
        if name == "opportunities":
            later &= df["status"] != "open"
        n = int(later.sum())
        if n:
            reset.append(f"{n:,} {what}")
    return dropped, reset


def _schema_contract(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, loaded: Loaded, findings: Findings) -> None:
    """Validate the finished tables against the pandera schemas (structure and rules).

    The checks above should have explained every violation already; anything the
    schemas still find is reported rather than passed on silently.
    """
    import pandera.pandas as pa

    from kamtools.data.schemas import problems_from_failures, schema

    for name, df in tables.items():
        try:
            schema(name, as_of=as_of, unique=False).validate(df, lazy=True)
        except pa.errors.SchemaErrors as exc:
            for p in problems_from_failures(name, exc.failure_cases):
                p.origin = loaded.meta.get(name, (name, ""))[0]
                p.hint = "The loader should have explained this; please report it with the file."
                findings.problems.append(p)
