"""Warnings and notes about a loaded portfolio: unused rows, group parents, returns and credit notes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data import schemas
from kamtools.data.loader.state import Findings, Loaded
from kamtools.data.validation import Problem, count, verb


def usage_warnings(tables: dict[str, pd.DataFrame], loaded: Loaded, findings: Findings) -> None:
    """Accounts without orders, products never ordered, contacts without interactions."""

    def unused(table: str, key: str, used: pd.Series, what: str) -> None:
        df = tables[table]
        idle = ~df[key].isin(pd.Index(used.dropna().unique()))
        n = int(idle.sum())
        if n:
            ids = df.loc[idle, key].head(5).tolist()
            findings.warnings.append(
                Problem(
                    table,
                    None,
                    f"{n:,} of {len(df):,} {what}: {', '.join(map(str, ids))}{', ...' if n > 5 else '.'}",
                    origin=loaded.meta.get(table, (table, ""))[0],
                    n_rows=n,
                    kind=f"unused_{table}",
                    level="warning",
                )
            )

    orders = tables["orders"]
    parents = tables["accounts"]["parent_account_id"].dropna()  # a group parent need not buy itself
    unused("accounts", "account_id", pd.concat([orders["account_id"], parents]), "accounts have no orders")
    _group_parents_note(tables["accounts"], orders, parents, loaded, findings)
    unused("products", "product_id", orders["product_id"], "products were never ordered")
    if "contacts" in tables and "interactions" in tables:
        unused("contacts", "contact_id", tables["interactions"]["contact_id"], "contacts have no interactions")


def _group_parents_note(
    accounts: pd.DataFrame, orders: pd.DataFrame, parents: pd.Series, loaded: Loaded, findings: Findings
) -> None:
    """Say (as information, not a fault) that parents without orders of their own are groups."""
    group_only = accounts["account_id"].isin(pd.Index(parents.unique())) & ~accounts["account_id"].isin(
        pd.Index(orders["account_id"].unique())
    )
    n = int(group_only.sum())
    if not n:
        return
    ids = accounts.loc[group_only, "account_id"].head(5).tolist()
    findings.warnings.append(
        Problem(
            "accounts",
            "parent_account_id",
            f"{count(n, 'group parent')} without orders of {verb(n, 'its', 'their')} own "
            f"({', '.join(map(str, ids))}{', ...' if n > 5 else ''}): read as "
            f"{verb(n, 'a group', 'groups')} of {verb(n, 'its', 'their')} units, not as customers.",
            origin=loaded.meta.get("accounts", ("accounts", ""))[0],
            n_rows=n,
            kind="group_parents_without_orders",
            level="info",
        )
    )


def credit_warnings(orders: pd.DataFrame, loaded: Loaded, findings: Findings) -> None:
    """Count the returns, credit notes and rebates kept, and warn when they dominate."""
    credit = schemas.credit_lines(orders)
    if not credit.any():
        return
    r = orders["net_revenue"]
    n = int(credit.sum())
    returned = float(-r[r < 0].sum())
    gross = float(r[r > 0].sum())
    origin = loaded.meta.get("orders", ("orders", ""))[0]
    findings.warnings.append(
        Problem(
            "orders",
            None,
            f"{count(n, 'order line')} {verb(n, 'is a return, credit note or rebate', 'are returns, credit notes or rebates')} "
            f"(negative quantity or net_revenue, {returned:,.0f} of revenue in total): netted against revenue "
            "and margin, and not counted as orders or purchase occasions.",
            hint="Nothing to do if that is right; --negative-lines drop leaves them out, --negative-lines reject "
            "lists them as errors.",
            n_rows=n,
            origin=origin,
            kind="negative_lines",
            level="warning",
        )
    )
    found = _returns_dominate(orders, returned, gross)
    if found is not None:
        message, n_heavy = found
        findings.warnings.append(
            Problem(
                "orders",
                "net_revenue",
                message + ".",
                hint="Check that the export books only returns, credit notes and rebates as negative lines (not, "
                "e.g., cancellations of lines left out of the export); their revenue, growth and forecasts are "
                "net of them.",
                n_rows=n_heavy,
                origin=origin,
                kind="returns_dominate",
                level="warning",
            )
        )


def heavy_returns(orders: pd.DataFrame) -> pd.DataFrame:
    """The accounts whose returns, credit notes and rebates over the whole history exceed
    :data:`~kamtools.data.schemas.RETURNS_DOMINATE` of their gross revenue (or their gross revenue), most returned
    first: columns ``gross``, ``returned`` (both positive), indexed by account id. The load's warning and the
    account pages' note (:func:`kamtools.kpis.stage.returns_notes`) name the same accounts."""
    r = orders["net_revenue"]
    by = pd.DataFrame({"account_id": orders["account_id"], "gross": r.clip(lower=0), "returned": (-r).clip(lower=0)})
    acc = by.groupby("account_id", sort=True)[["gross", "returned"]].sum()
    share = acc["returned"] / acc["gross"].where(acc["gross"] > 0)
    heavy = acc[(acc["returned"] > acc["gross"]) | (share > schemas.RETURNS_DOMINATE)]
    return heavy.sort_values("returned", ascending=False, kind="stable")


def heavy_returns_named(heavy: pd.DataFrame, limit: int = 10) -> str:
    """The accounts of :func:`heavy_returns` as the warning names them, each with its share over the whole history
    ('A0005 (31% over the whole history)'), so it is not read against a returns card of the last 12 months."""
    named = []
    for acc_id, row in heavy.head(limit).iterrows():
        if row["returned"] > row["gross"]:
            named.append(f"{acc_id} (net revenue {row['gross'] - row['returned']:,.0f} over the whole history)")
        else:
            named.append(f"{acc_id} ({row['returned'] / row['gross']:.0%} over the whole history)")
    more = f" and {len(heavy) - limit:,} more" if len(heavy) > limit else ""
    return ", ".join(named) + more


def _returns_dominate(orders: pd.DataFrame, returned: float, gross: float) -> tuple[str, int] | None:
    """(message, accounts named) when returns exceed RETURNS_DOMINATE of gross revenue, else None."""
    heavy = heavy_returns(orders)
    portfolio_share = returned / gross if gross > 0 else np.inf
    if heavy.empty and portfolio_share <= schemas.RETURNS_DOMINATE:
        return None
    named = heavy_returns_named(heavy)
    limit = f"{schemas.RETURNS_DOMINATE:.0%}"
    if portfolio_share > schemas.RETURNS_DOMINATE:
        share_text = "all of" if not np.isfinite(portfolio_share) else f"{portfolio_share:.0%} of"
        message = f"returns, credit notes and rebates are {share_text} gross revenue over the whole history (more than {limit})"
        if named:
            message += "; accounts where they dominate: " + named
    else:
        message = (
            f"returns, credit notes and rebates exceed {limit} of gross revenue (or make net revenue negative) "
            f"in {count(len(heavy), 'account')}: " + named
        )
    return message, int(len(heavy))
