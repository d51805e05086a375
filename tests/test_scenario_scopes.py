"""Scope names in the planner read as a KAM types them."""

import numpy as np
import pandas as pd

from kamtools.scenario.scopes import scope_accounts, scopes


def test_tier_held_as_float_reads_as_whole_number():
    # a tier column with a gap is float in pandas; the picker must not say "Tier 1.0"
    accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "name": ["x", "y", "z"], "tier": [1.0, 2.0, np.nan]})
    labels = [label for label, _ in scopes(accounts)]
    assert "Tier 1" in labels and "Tier 2" in labels
    assert not any(label.endswith(".0") for label in labels)
    assert list(scope_accounts(accounts, "tier:1")) == ["A1"]
    assert list(scope_accounts(accounts, "tier:1.0")) == ["A1"]  # what older notes may hold still works


def test_text_tiers_unchanged():
    accounts = pd.DataFrame({"account_id": ["A1", "A2"], "name": ["x", "y"], "tier": ["1", "key"]})
    assert [s for _, s in scopes(accounts)][:3] == ["portfolio", "tier:1", "tier:key"]
