"""Group parents: accounts that only hold a group together (children, no orders of their own).

A parent such as a holding company or a regional head office may buy nothing itself: its units
do. Per-account analyses must not read such an account as a customer who never ordered (a lost
RFM segment, a health score with a weakness, talking points on zero revenue). The stage runner
therefore hands every stage the portfolio :func:`without_group_parents`, except the stages that
deal with groups (declared ``group_parents=True``): the group roll-ups and the relationship map.

A parent that trades (has orders) is a customer like any other and stays in every stage; its
own figures are then part of its group's roll-up.
"""

from __future__ import annotations

import pandas as pd

from kamtools.data.portfolio import Portfolio

__all__ = ["group_parents", "without_group_parents"]


def group_parents(portfolio: Portfolio) -> list[str]:
    """Ids of the accounts that have at least one child and no order line, sorted."""
    accounts = portfolio.accounts
    if "parent_account_id" not in accounts.columns or accounts["parent_account_id"].isna().all():
        return []
    ids = set(accounts["account_id"])
    parents = set(accounts["parent_account_id"].dropna()) & ids
    if not parents:
        return []
    trading = set(portfolio.orders["account_id"].unique())
    return sorted(parents - trading)


def without_group_parents(portfolio: Portfolio) -> Portfolio:
    """``portfolio`` without the group parents of :func:`group_parents` (their rows in every table
    with an ``account_id`` go too); the same object when there are none."""
    drop = group_parents(portfolio)
    if not drop:
        return portfolio
    tables: dict[str, pd.DataFrame] = {}
    for name, df in portfolio.tables.items():
        if "account_id" in df.columns:
            df = df[~df["account_id"].isin(drop)].reset_index(drop=True)
        tables[name] = df
    return Portfolio(tables, portfolio.as_of, warnings=list(portfolio.warnings), facts=dict(portfolio.facts))
