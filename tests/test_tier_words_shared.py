"""A tier reads the same in the planner's scope picker and on the report index: one formatter
(kamtools.formatting.code) turns a whole float (a tier column with gaps is float) into '1'."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.formatting import code
from kamtools.reports.index import NO_TIER, _tier_label
from kamtools.scenario.scopes import scope_accounts, scopes


def test_the_planner_and_the_index_name_each_tier_alike():
    values = [1.0, np.float64(2.0), np.int64(3), "key", 2.5]
    accounts = pd.DataFrame(
        {"account_id": [f"A{i}" for i in range(len(values))], "name": "x", "tier": pd.Series(values, dtype=object)}
    )
    picker = [label for label, scope in scopes(accounts) if scope.startswith("tier:")]
    assert sorted(picker) == sorted(_tier_label(v) for v in values)
    assert sorted(picker) == ["Tier 1", "Tier 2", "Tier 2.5", "Tier 3", "Tier key"]
    assert [code(v) for v in values] == ["1", "2", "3", "key", "2.5"]


def test_a_missing_tier_and_a_padded_one():
    assert _tier_label(np.nan) == NO_TIER and _tier_label(None) == NO_TIER
    accounts = pd.DataFrame({"account_id": ["A1", "A2"], "name": ["x", "y"], "tier": [" 1 ", "2"]})
    assert _tier_label(" 1 ") == "Tier 1"
    assert list(scope_accounts(accounts, "tier:1")) == ["A1"]  # the value as the user types it
