"""Peer revenue shares when returns leave an account's net revenue at zero or below (issue 17, a real log).

In the UCI Online Retail log an account can buy giftware and have a larger credit note booked on charges
(postage, manual adjustments) in the same 12 months: its net revenue is zero or negative while it still
bought a category. Its share of revenue is then undefined; it used to be divided anyway, which printed
numpy's "divide by zero" warning in the middle of ``kamtools analyze`` and put an infinite or negative
share into the category's peer median.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from kamtools.whitespace.grid import Snapshot
from kamtools.whitespace.spend import _SpendModel


def _snapshot(spend: list[list[float]]) -> Snapshot:
    n, C = len(spend), len(spend[0])
    return Snapshot(
        as_of=pd.Timestamp("2011-11-30"),
        months=12,
        account_ids=np.array([f"C{i}" for i in range(n)]),
        categories=np.array(["Giftware", "Charges"])[:C],
        spend_ltm=np.array(spend, dtype=float),
        spend_before=np.zeros((n, C)),
        last_order=np.full((n, C), np.datetime64("NaT"), dtype="datetime64[ns]"),
        industry=np.array(["Unknown"] * n),
        peer_group=np.array(["Unknown, small"] * n),
    )


def test_accounts_without_positive_revenue_add_no_share_and_no_warning():
    snap = _snapshot(
        [
            [100.0, 0.0],  # giftware only: share 1
            [60.0, 40.0],  # share 0.6
            [30.0, 70.0],  # share 0.3
            [12.24, -12.24],  # a credit note on charges as large as its purchases: net 0
            [63.0, -106.40],  # a larger one: net -43.40
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what the user saw was numpy's RuntimeWarning on the terminal
        model = _SpendModel(snap)
    giftware = model.buyers[model.buyers["c"] == 0]
    assert len(giftware) == 5  # their spend still counts
    assert giftware["share"].isna().sum() == 2
    assert model.overall.loc[0, "share"] == 0.6  # the median of 1, 0.6 and 0.3, not of inf or -1.45 too
    assert model.overall.loc[0, "spend"] == 60.0
