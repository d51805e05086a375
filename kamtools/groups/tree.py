"""The account hierarchy from ``accounts.parent_account_id``: parents, cycles, groups, descendants.

A portfolio without parents is flat: every account is its own group at depth 0 and nothing
is a group. Depth is unlimited (group -> region -> country entity -> site ...). The loader
rejects unknown parents and cycles (:func:`find_cycle`), so :func:`hierarchy` may assume a
forest; it still refuses a cycle with a ValueError rather than looping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["parent_map", "find_cycle", "hierarchy", "descendants", "children", "UNITS_HEADER", "units_text"]

# What a group's "units" are, said the same way on every face that counts them (the index, the overview's global
# accounts, the global account plan; the ``group_rollup`` table's ``n_units``): the accounts at the lowest level
# below the group; the sub-groups between (regions, country entities) are not counted.
UNITS_HEADER = "Units (lowest-level accounts)"


def units_text(n: int) -> str:
    """'3 units at the lowest level' (the sub-groups between not counted), as the index and the group plan say it."""
    from kamtools.formatting import counted

    return f"{counted(n, 'unit')} at the lowest level"


HIERARCHY_COLUMNS = [
    "account_id",
    "parent_account_id",
    "group_id",
    "depth",
    "path",
    "n_children",
    "n_descendants",
    "is_group",
]
PATH_SEPARATOR = " > "


def parent_map(accounts: pd.DataFrame, child: str = "account_id", parent: str = "parent_account_id") -> dict[str, str]:
    """Child id -> parent id for the rows that have a parent (an absent column = no parents).

    ``child`` and ``parent`` name the columns, so the same helper serves contacts
    (``contact_id`` -> ``reports_to``).
    """
    if parent not in accounts.columns or len(accounts) == 0:
        return {}
    rows = accounts[accounts[parent].notna()]
    # also called on frames not yet in a Portfolio (the loader's cycle check, the demo data generator)
    return dict(zip(rows[child].astype(str), rows[parent].astype(str), strict=True))


def find_cycle(parents: dict[str, str]) -> list[str] | None:
    """The first cycle in ``parents`` as a chain that ends where it starts, e.g. ``["G1", "G2", "G1"]``.

    A self-parent is a cycle of one: ``["G1", "G1"]``. Ids are visited in sorted order, so the
    answer is deterministic; the chain starts at the smallest id on the cycle. None when the
    links form a forest (ids whose parent is not a key are simply tops).
    """
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done (leads to a top)
    for start in sorted(parents):
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in parents and state.get(node) is None:
            state[node] = 1
            walk.append(node)
            node = parents[node]
        if node is not None and state.get(node) == 1:
            loop = walk[walk.index(node) :]
            first = loop.index(min(loop))
            loop = loop[first:] + loop[:first]
            return [*loop, loop[0]]
        for n in walk:
            state[n] = 2
    return None


def hierarchy(accounts: pd.DataFrame) -> pd.DataFrame:
    """One row per account, sorted by account_id: its parent, group, depth, path and size.

    Columns: account_id, parent_account_id (NaN at the top), group_id (top-most ancestor, the
    account itself when it has no parent), depth (0 at the top), path (ids from the top joined
    by " > "), n_children (direct), n_descendants (all levels), is_group (n_children > 0).
    Raises ValueError on a cycle (the loader reports those as data errors first).
    """
    # as parent_map: also on frames not yet in a Portfolio (the demo data generator)
    ids = accounts["account_id"].astype(str).sort_values(kind="stable").tolist()
    known = set(ids)
    parents = {k: v for k, v in parent_map(accounts).items() if v in known}
    cycle = find_cycle(parents)
    if cycle is not None:
        raise ValueError(f"accounts.parent_account_id forms a cycle: {' -> '.join(cycle)}")
    paths: dict[str, list[str]] = {}
    for account in ids:
        _path_of(account, parents, paths)
    n_children = pd.Series(list(parents.values()), dtype=object).value_counts()
    n_desc: dict[str, int] = dict.fromkeys(ids, 0)
    for path in paths.values():
        for ancestor in path[:-1]:
            n_desc[ancestor] += 1
    out = pd.DataFrame(
        {
            "account_id": pd.Series(ids, dtype="str"),
            "parent_account_id": pd.Series([parents.get(a) for a in ids], dtype="str"),
            "group_id": pd.Series([paths[a][0] for a in ids], dtype="str"),
            "depth": np.array([len(paths[a]) - 1 for a in ids], dtype=np.int64),
            "path": pd.Series([PATH_SEPARATOR.join(paths[a]) for a in ids], dtype="str"),
            "n_children": np.array([int(n_children.get(a, 0)) for a in ids], dtype=np.int64),
            "n_descendants": np.array([n_desc[a] for a in ids], dtype=np.int64),
        }
    )
    out["is_group"] = out["n_children"] > 0
    return out[HIERARCHY_COLUMNS]


def _path_of(account: str, parents: dict[str, str], paths: dict[str, list[str]]) -> list[str]:
    """Ids from the top down to ``account`` (memoised in ``paths``; iterative, any depth)."""
    chain: list[str] = []
    node = account
    while node not in paths:
        chain.append(node)
        if node not in parents:
            break
        node = parents[node]
    base = paths.get(node, []) if node not in chain else []
    for n in reversed(chain):
        base = [*base, n]
        paths[n] = base
    return paths[account]


def descendants(hier: pd.DataFrame, account_id: str, include_self: bool = False) -> list[str]:
    """Ids of every account below ``account_id`` (all levels), sorted; with it when ``include_self``."""
    account_id = str(account_id)
    below: list[str] = []
    level = [account_id]
    kids = hier.loc[hier["parent_account_id"].notna(), ["parent_account_id", "account_id"]]
    by_parent = kids.groupby("parent_account_id", sort=False)["account_id"].agg(list).to_dict()
    while level:
        level = [c for p in level for c in by_parent.get(p, [])]
        below.extend(level)
    if include_self and (hier["account_id"] == account_id).any():
        below.append(account_id)
    return sorted(below)


def children(hier: pd.DataFrame, account_id: str) -> list[str]:
    """Ids of the accounts directly below ``account_id``, sorted."""
    return sorted(hier.loc[hier["parent_account_id"] == str(account_id), "account_id"].tolist())
