"""Phase 3: order lines: number the lines, then the sign rules of returns, credit notes and rebates.

``negative_lines`` (see :data:`kamtools.data.schemas.NEGATIVE_LINES`) decides what happens to
lines with a negative quantity, net_revenue or cost: ``keep`` checks that their signs agree
(:data:`kamtools.data.schemas.SIGN_RULES`), ``drop`` leaves them out with a warning and
``reject`` reports them as errors.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kamtools.data.loader.rules import check_bounds
from kamtools.data.loader.state import Findings, Loaded
from kamtools.data.model import TABLES
from kamtools.data.validation import Problem, count, verb


@dataclasses.dataclass
class _Lines:
    """The sign-relevant columns of the order lines; ``readable``: both quantity and net_revenue were read."""

    readable: pd.Series
    q: pd.Series
    r: pd.Series
    c: pd.Series

    def keep(self, rows: pd.Series) -> _Lines:
        return _Lines(self.readable[rows], self.q[rows], self.r[rows], self.c[rows])


def number_lines(loaded: Loaded, findings: Findings) -> None:
    """``orders.line`` absent: number the lines 1, 2, ... within each order, in export order."""
    df = loaded.tables.get("orders")
    if df is None or "line" in loaded.bad.get("orders", {}) or "order_id" not in df.columns or len(df) == 0:
        return
    df["line"] = df.groupby("order_id", sort=False, dropna=False).cumcount().astype("int64") + 1
    findings.warnings.append(
        Problem(
            "orders",
            "line",
            "the orders have no line column: the lines are numbered 1, 2, ... within each order, in the "
            "order of the export.",
            hint="Nothing to do; map the export's line number column (orders: {columns: {'Item': line}}) if "
            "it has one.",
            origin=loaded.meta.get("orders", ("orders", ""))[0],
            kind="derived_line",
            level="warning",
        )
    )


def check_signs(loaded: Loaded, negative_lines: str, findings: Findings) -> None:
    """Negative quantity, net_revenue or cost on order lines, by ``negative_lines``.

    Writes: ``drop`` replaces ``loaded.tables["orders"]`` (and its reported rows) without the
    negative lines; rebate lines without a quantity get quantity 0.
    """
    df = loaded.tables.get("orders")
    if df is None or len(df) == 0 or "quantity" not in df.columns or "net_revenue" not in df.columns:
        return
    lines = _lines(df, loaded.bad["orders"])
    if negative_lines == "reject":
        _reject_negative(loaded, df, findings)
        return
    if negative_lines == "drop":
        lines = _drop_negative(loaded, lines, findings)
        df = loaded.tables["orders"]
    credit = lines.readable & ((lines.r < 0) | (lines.q < 0))
    _returns_disagree(loaded, lines, findings)
    rebate = lines.readable & lines.q.isna() & (lines.r < 0)  # a rebate or credit line without units: quantity 0
    if rebate.any():
        df.loc[rebate, "quantity"] = 0.0
        lines.q = df["quantity"]
    _zero_quantity(loaded, lines, credit, findings)
    _cost_signs(loaded, lines, credit, findings)


def _lines(df: pd.DataFrame, bad: dict[str, pd.Series]) -> _Lines:
    none = pd.Series(False, index=df.index)
    readable = ~bad.get("quantity", none) & ~bad.get("net_revenue", none) & df["net_revenue"].notna()
    cost_ok = ~bad["cost"] if "cost" in bad else none
    c = df["cost"].where(cost_ok) if "cost" in df.columns else pd.Series(np.nan, index=df.index)
    return _Lines(readable, df["quantity"], df["net_revenue"], c)


def _reject_negative(loaded: Loaded, df: pd.DataFrame, findings: Findings) -> None:
    """negative_lines: reject: every order line needs quantity > 0, net_revenue >= 0, cost >= 0."""
    spec = TABLES["orders"]
    rules = {"quantity": {"positive": True}, "net_revenue": {"min_value": 0}, "cost": {"min_value": 0}}
    for name, rule in rules.items():
        if name in df.columns and name in loaded.bad["orders"]:
            check_bounds(loaded, "orders", dataclasses.replace(spec.column(name), **rule), df[name], findings)


def _drop_negative(loaded: Loaded, lines: _Lines, findings: Findings) -> _Lines:
    """negative_lines: drop: leave the lines out, warning how much credited revenue that hides."""
    q, r, c = lines.q, lines.r, lines.c
    drop = lines.readable & ((q < 0) | (r < 0) | (c < 0))
    if not drop.any():
        return lines
    n = int(drop.sum())
    credited = float(-r[drop & (r < 0)].sum())
    findings.facts["negative_lines_dropped"] = {"lines": n, "credited": credited}
    findings.warnings.append(
        loaded.problem(
            "orders",
            None,
            "negative_lines_dropped",
            f"{count(n, 'order line')} with a negative quantity, net_revenue or cost (returns, credit "
            f"notes, rebates) {verb(n, 'was', 'were')} left out (negative_lines: drop): "
            f"{credited:,.0f} of credited revenue is not netted, so revenue and margin are shown "
            "gross of returns.",
            "Use --negative-lines keep (the default) to net them against revenue and margin.",
            r,
            drop,
        )
    )
    keep = ~drop
    loaded.tables["orders"] = loaded.tables["orders"][keep].copy()
    loaded.bad["orders"] = {k: v[keep] for k, v in loaded.bad["orders"].items()}
    return lines.keep(keep)


def _returns_disagree(loaded: Loaded, lines: _Lines, findings: Findings) -> None:
    """A return has a negative quantity and a negative net_revenue."""
    q, r = lines.q, lines.r
    disagree = loaded.fresh("orders", "quantity", lines.readable & (q < 0) & (r > 0))
    if not disagree.any():
        return
    n = int(disagree.sum())
    findings.problems.append(
        loaded.problem(
            "orders",
            "quantity",
            "sign_mismatch",
            f"{count(n, 'line')} {verb(n, 'has', 'have')} a negative quantity but a positive net_revenue: a "
            "return carries a negative quantity, net_revenue and cost.",
            "Correct the sign of the quantity or of the net revenue, or leave such lines out with "
            "--negative-lines drop.",
            q,
            disagree,
        )
    )


def _zero_quantity(loaded: Loaded, lines: _Lines, credit: pd.Series, findings: Findings) -> None:
    """Quantity 0 only on rebate and credit lines."""
    q = lines.q
    zero = loaded.fresh("orders", "quantity", lines.readable & (q == 0) & ~credit)
    if not zero.any():
        return
    n = int(zero.sum())
    findings.problems.append(
        loaded.problem(
            "orders",
            "quantity",
            "out_of_range",
            f"{count(n, 'value')} of quantity {verb(n, 'is', 'are')} zero on lines whose net_revenue is not "
            "negative; quantity must be greater than 0 (only rebate and credit lines, with a negative "
            "net_revenue, may have quantity 0).",
            "Remove cancelled lines, or correct the quantity.",
            q,
            zero,
        )
    )


def _cost_signs(loaded: Loaded, lines: _Lines, credit: pd.Series, findings: Findings) -> None:
    """A negative cost only on credit lines; a return's cost is not positive."""
    q, r, c = lines.q, lines.r, lines.c
    cost_neg = loaded.fresh("orders", "cost", lines.readable & (c < 0) & ~credit)
    if cost_neg.any():
        n = int(cost_neg.sum())
        findings.problems.append(
            loaded.problem(
                "orders",
                "cost",
                "out_of_range",
                f"{count(n, 'value')} of cost {verb(n, 'is', 'are')} negative on sales lines (positive quantity "
                "and net_revenue); only returns and credit lines may carry a negative cost.",
                "Check the cost field of the export for these lines.",
                c,
                cost_neg,
            )
        )
    cost_pos = loaded.fresh("orders", "cost", lines.readable & (c > 0) & (q < 0) & (r <= 0))
    if cost_pos.any():
        n = int(cost_pos.sum())
        findings.problems.append(
            loaded.problem(
                "orders",
                "cost",
                "sign_mismatch",
                f"{count(n, 'return line')} (negative quantity) {verb(n, 'has', 'have')} a positive cost: the "
                "cost of returned goods comes back, so it must be negative or zero, or the margin is counted "
                "down twice.",
                "Give returns a negative cost (or leave the cell empty to derive it from products.unit_cost).",
                c,
                cost_pos,
            )
        )
