"""Scopes: one account, a group of accounts (a tier, a region, ...) or the whole portfolio."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.formatting import code, counted
from kamtools.groups.customers import parents_without_orders
from kamtools.scenario.constants import SCOPE_COLUMNS, ScenarioError


# ---------------------------------------------------------------------------------------
# scopes
# ---------------------------------------------------------------------------------------
def parse_scope(scope: str) -> tuple[str, str | None]:
    """``"portfolio"`` -> ("portfolio", None); ``"account:A1"`` -> ("account", "A1"); ``"tier:1"`` -> ("tier", "1")."""
    if not isinstance(scope, str) or not scope.strip():
        raise ScenarioError(f"scope must be 'portfolio', 'account:<id>' or '<column>:<value>', got {scope!r}")
    scope = scope.strip()
    if scope == "portfolio":
        return "portfolio", None
    kind, sep, value = scope.partition(":")
    if not sep or not kind or value == "":
        raise ScenarioError(f"scope must be 'portfolio', 'account:<id>' or '<column>:<value>', got {scope!r}")
    return kind, value


def scope_accounts(accounts: pd.DataFrame, scope: str) -> np.ndarray:
    """Account ids in ``scope`` (from the bundle's account summary)."""
    kind, value = parse_scope(scope)
    ids = accounts["account_id"]
    if kind == "portfolio":
        return ids.to_numpy()
    if kind == "account":
        if value not in set(ids):
            raise ScenarioError(f"scope {scope!r}: account_id {value!r} is not in the bundle's accounts table")
        return np.array([value], dtype=object)
    if kind not in accounts.columns:
        raise ScenarioError(
            f"scope {scope!r}: the accounts summary has no column {kind!r}; "
            f"use 'portfolio', 'account:<id>' or one of {[c for c in SCOPE_COLUMNS if c in accounts.columns]}"
        )
    # the scope value is the user's text; the column may hold numbers ("tier:1" and "tier:1.0" both work)
    keep = (_as_text(accounts[kind]) == value) | (accounts[kind].astype(str) == value)
    if not keep.any():
        seen = sorted(_as_text(accounts[kind].dropna()).unique())[:12]
        raise ScenarioError(f"scope {scope!r}: no account has {kind} = {value!r}; values are {seen}")
    return ids[keep].to_numpy()


def _as_text(values: pd.Series) -> pd.Series:
    """A column's values as the user types them (:func:`kamtools.formatting.code`: a whole number held
    as a float, as in a tier column with gaps, reads "1", not "1.0")."""
    return values.map(code)


def scope_label(scope: str, accounts: pd.DataFrame | None = None) -> str:
    """Human label of a scope: 'Whole portfolio', 'A0001 Rhine Poultry Ltd', 'Tier 1'."""
    kind, value = parse_scope(scope)
    if kind == "portfolio":
        return "Whole portfolio"
    if kind == "account":
        if accounts is not None and "name" in accounts.columns:
            hit = accounts.loc[accounts["account_id"] == value, "name"]
            if len(hit):
                return f"{value} {hit.iloc[0]}"
        return str(value)
    if kind == "group_id":  # a global account: its parent's name and its units (the overview's words)
        if accounts is not None and "name" in accounts.columns:
            hit = accounts.loc[accounts["account_id"] == value, "name"]
            if len(hit):
                # units as the overview counts them: the lowest-level accounts (a head office with orders is none)
                group = accounts[_as_text(accounts["group_id"]) == value]
                units = int((~group["account_id"].isin(set(accounts["parent_account_id"].dropna()))).sum())
                return f"{value} {hit.iloc[0]} (global account, {counted(units, 'unit')})"
        return f"Global account {value}"
    return f"{kind.replace('_', ' ').capitalize()} {value}"


def scopes(accounts: pd.DataFrame, columns: tuple[str, ...] = ("tier",)) -> list[tuple[str, str]]:
    """Pickable scopes as ``(label, scope)``: the portfolio, each value of ``columns``, each account.

    Accounts are ordered by last-twelve-months revenue (largest first) when known.
    """
    out = [(scope_label("portfolio"), "portfolio")]
    for col in columns:
        if col in accounts.columns:
            for v in sorted(_as_text(accounts[col].dropna()).unique()):
                out.append((scope_label(f"{col}:{v}"), f"{col}:{v}"))
    acc = accounts
    if "revenue_ltm" in acc.columns:
        acc = acc.sort_values(["revenue_ltm", "account_id"], ascending=[False, True], kind="stable")
    # a group parent without orders of its own is no customer (kamtools.groups.customers): planned as its
    # group of units, not as an account of zeros
    parent = parents_without_orders(acc) & (acc["group_id"].notna() if "group_id" in acc.columns else False)
    for aid, name, is_parent in zip(
        acc["account_id"], acc.get("name", acc["account_id"]).astype(str), parent, strict=True
    ):
        if is_parent:  # a regional parent plans as its whole group, offered once (the quick demo has two per group)
            group = code(acc.loc[acc["account_id"] == aid, "group_id"].iloc[0])
            if f"group_id:{group}" not in {v for _, v in out}:
                out.append((scope_label(f"group_id:{group}", accounts), f"group_id:{group}"))
        else:
            out.append((f"{aid} {name}", f"account:{aid}"))
    return out
