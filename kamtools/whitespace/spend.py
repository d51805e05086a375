"""What an account would spend a year on a category it starts buying (peer medians and shares)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.whitespace.grid import Snapshot

SPEND_METHODS = ("peer_median", "peer_share", "peer_blend")


class _SpendModel:
    """Median yearly spend and median revenue share of each category among its buyers.

    ``peer_median``: the median spend of buyers; ``peer_share``: the account's revenue
    times the buyers' median share of revenue in the category; ``peer_blend``: the
    geometric mean of the two. Estimated per peer group, falling back to the industry and then to all buyers when a
    level has fewer than ``min_buyers`` buyers of the category.
    """

    def __init__(self, snap: Snapshot, min_buyers: int = 3) -> None:
        S = snap.spend_ltm
        self.C = S.shape[1]
        rev = S.sum(axis=1)
        a, c = np.nonzero(S > 0)
        # A share of revenue needs revenue: returns booked in other categories can leave an account's net at
        # zero or below (a real log's credit notes), and its share is then left out of the medians.
        share = np.divide(S[a, c], rev[a], out=np.full(len(a), np.nan), where=rev[a] > 0)
        self.buyers = pd.DataFrame({"c": c, "spend": S[a, c], "share": share})
        self.min_buyers = min_buyers
        self.levels = {}
        for level, labels in (("peer", snap.peer_group), ("industry", snap.industry)):
            lab = pd.Series(labels.astype(str))
            self.levels[level] = self._medians(lab.to_numpy()[a])
        overall = self.buyers.groupby("c").agg(spend=("spend", "median"), share=("share", "median"))
        self.overall = overall.reindex(range(self.C))

    def _medians(self, keys: np.ndarray) -> pd.DataFrame:
        df = self.buyers.assign(key=keys)
        agg = df.groupby(["key", "c"]).agg(spend=("spend", "median"), share=("share", "median"), k=("spend", "size"))
        return agg[agg["k"] >= self.min_buyers]

    def _lookup(self, level: str, labels: np.ndarray, column: str) -> np.ndarray:
        table = self.levels[level][column]
        n = len(labels)
        idx = pd.MultiIndex.from_arrays([np.repeat(labels.astype(str), self.C), np.tile(np.arange(self.C), n)])
        return table.reindex(idx).to_numpy(dtype=float).reshape(n, self.C)

    def predict(self, snap: Snapshot, method: str) -> tuple[np.ndarray, np.ndarray]:
        """(spend if adopted (n, C), peer-group median spend (n, C), NaN without enough peer buyers)."""
        if method not in SPEND_METHODS:
            raise ValueError(f"spend method must be one of {SPEND_METHODS}, not {method!r}")

        def level_estimate(column: str) -> np.ndarray:
            est = self._lookup("peer", snap.peer_group, column)
            est = np.where(np.isnan(est), self._lookup("industry", snap.industry, column), est)
            est = np.where(np.isnan(est), self.overall[column].to_numpy(dtype=float)[None, :], est)
            return np.nan_to_num(est)

        median = level_estimate("spend") if method != "peer_share" else None
        share = (
            level_estimate("share") * np.clip(snap.revenue_ltm, 0.0, None)[:, None] if method != "peer_median" else None
        )  # returns above orders: no negative spend
        est = median if share is None else share if median is None else np.sqrt(median * share)
        return est, self._lookup("peer", snap.peer_group, "spend")
