"""Inputs of the competitor threat's reasons (``kamtools.competitors.threat._threat_reasons``) for tests."""

from __future__ import annotations

import pandas as pd


def no_bid_threat_rows(**columns: list) -> pd.DataFrame:
    """``_threat_reasons``' input for accounts with no recent bids, no main competitor and no price gap, so only
    the ``columns`` given (one list per column, one value per account: revenue, share of wallet) give reasons."""
    n = len(next(iter(columns.values())))
    quiet = {
        "main_competitor": [""] * n,
        "n_lost_recent": [0] * n,
        "n_bids_recent": [0] * n,
        "lost_to_main": [0] * n,
        "lost_amount_recent": [0.0] * n,
        "price_gap": [0.0] * n,
        "price_gap_source": [""] * n,
    }
    return pd.DataFrame({**quiet, **columns})
