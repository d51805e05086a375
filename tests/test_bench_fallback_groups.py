"""The analyst's rule and the groups of benchmarks/bench_fallback_groups.py (what its table is read from)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _bench import load_benchmark

bench = load_benchmark("bench_fallback_groups")


def _inner() -> pd.DataFrame:
    # cell (0, most): 20 accounts, 2 stayed away; cell (3, one): 4 accounts, all stayed away;
    # recency 3 overall: those 4 plus 16 in (3, some), 8 of them stayed away
    rows = [(0, "most", float(i < 2)) for i in range(20)]
    rows += [(3, "one", 1.0)] * 4
    rows += [(3, "some", float(i < 8)) for i in range(16)]
    return pd.DataFrame(rows, columns=["last", "freq", "churned"])


def test_rule_reads_the_cell_then_the_recency_group_then_the_pool():
    inner = _inner()
    now = pd.DataFrame({"last": [0, 3, 5], "freq": ["most", "one", "most"]})
    got = bench._rule(inner, now)
    assert got[0] == 0.10  # its own cell: 2 of 20
    assert got[1] == (4 + 8) / 20  # a cell of 4 is too small: recency group 3
    assert got[2] == inner["churned"].mean()  # no account 5 months silent at the inner cut: the pool


def test_bands_and_groups_follow_the_pages_cut_offs():
    prob = np.array([0.05, 0.10, 0.29, 0.30, 0.9])
    assert bench._band(prob).tolist() == ["low", "medium", "medium", "high", "high"]
    now = pd.DataFrame(
        {
            "value": np.linspace(0.01, 0.6, 50),
            "fifth": np.repeat(np.arange(1, 6), 10),
            "last": [0] * 40 + [4] * 10,
            "freq": ["most"] * 40 + ["one"] * 10,
            "orders": [25] * 40 + [2] * 10,
        }
    )
    groups = dict(bench._groups(now))
    assert groups["all"].sum() == 50
    assert groups["last<1m most"].sum() == 40 and groups["last 3-5m one"].sum() == 10
    assert groups["20+ order days"].sum() == 40 and groups["1-3 order days"].sum() == 10
    assert groups["band high (by value)"].sum() == int((now["value"] >= 0.30).sum())
