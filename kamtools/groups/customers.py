"""Who counts as a customer on the faces: the one rule behind every count of accounts.

A portfolio with global accounts has parent accounts that only hold a group together (a holding,
a regional head office): no order of their own, their units buy. They are rows of the accounts
summary, but not customers: the per-account analyses leave them out (see
:mod:`kamtools.groups.parents`), and a count of accounts must too. The index page's totals (and the
totals its filters show) and the portfolio overview count with :func:`customers`, and say how many
parents they left out with :func:`not_counted_sentence`, so the two pages name the same number.

A parent that has orders of its own is a customer like any other (also when it bought nothing in the
last 12 months: it is then a lapsed customer).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["customers", "not_counted_sentence", "parents_without_orders"]


def parents_without_orders(accounts: pd.DataFrame) -> pd.Series:
    """For each row of an accounts summary: is it a group parent with no order of its own?

    A group parent is an account that another account of the table names as its
    ``parent_account_id``. It has no order of its own when it has no ``first_order_date`` (the
    first of its own order lines, from the bundle's summary) and no revenue in the last 12 months
    (``revenue_ltm``); a table without one of those columns says nothing of orders through it.
    The same accounts as :func:`kamtools.groups.parents.group_parents` finds in a portfolio.
    """
    none = pd.Series(False, index=accounts.index)
    if "parent_account_id" not in accounts.columns:
        return none
    ids = accounts["account_id"]
    parents = set(accounts["parent_account_id"].dropna()) & set(ids)
    if not parents:
        return none
    no_first = accounts["first_order_date"].isna() if "first_order_date" in accounts.columns else True
    revenue = pd.to_numeric(accounts.get("revenue_ltm", pd.Series(0.0, index=accounts.index)), errors="coerce")
    return ids.isin(parents) & no_first & ~(revenue.fillna(0.0) > 0)


def customers(accounts: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``accounts`` that are customers: every account but the group parents without orders."""
    return accounts[~parents_without_orders(accounts)]


def not_counted_sentence(n: int) -> str:
    """The sentence a count of customers carries when it left group parents out ('' when none)."""
    from kamtools.formatting import count

    if n <= 0:
        return ""
    if n == 1:
        return "1 group parent without orders of its own is not counted (its units are)."
    return f"{count(n)} group parents without orders of their own are not counted (their units are)."
