"""What a deck reads: one account's rows of the analysis bundle, nothing refitted.

For one deck :class:`AccountRows` reads the account's rows like
:meth:`kamtools.bundle.Bundle.account` does (Parquet row-group filtering). For a batch,
:class:`BundleRows` reads each per-account table of the bundle once and hands out the
rows of one account at a time, which is what makes a deck for every account fast.
"""

from __future__ import annotations

import pandas as pd

from kamtools.bundle import Bundle


class AccountRows:
    """One account of a bundle: ``info`` (its summary row) and :meth:`table`."""

    def __init__(self, bundle: Bundle, account_id: str, info: dict, tables: BundleRows | None = None) -> None:
        self.bundle = bundle
        self.account_id = str(account_id)
        self.info = info
        self._rows = tables
        self._view = None if tables is not None else bundle.account(self.account_id)

    @property
    def as_of(self) -> pd.Timestamp:
        return self.bundle.as_of

    def table(self, name: str) -> pd.DataFrame | None:
        """This account's rows of table ``name`` (possibly empty), or None when the bundle has no such table."""
        if not self.bundle.has(name):
            return None
        if self._rows is not None:
            return self._rows.rows(name, self.account_id)
        return self._view.table(name)

    def portfolio_table(self, name: str) -> pd.DataFrame | None:
        return self.bundle.table(name) if self.bundle.has(name) else None


class BundleRows:
    """Every per-account table of a bundle, read once, sliced per account."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self._index: dict[str, dict] = {}  # table -> {account id: its rows}
        summary = bundle.accounts
        self._info = {str(r["account_id"]): r for r in summary.to_dict("records")}

    def rows(self, name: str, account_id: str) -> pd.DataFrame:
        parts = self._index.get(name)
        if parts is None:
            df = self.bundle.table(name)
            parts = (
                {str(k): g.reset_index(drop=True) for k, g in df.groupby("account_id", sort=False)} if len(df) else {}
            )
            parts[None] = df.iloc[0:0]
            self._index[name] = parts
        found = parts.get(account_id)
        return found if found is not None else parts[None]

    def account(self, account_id: str) -> AccountRows:
        if account_id not in self._info:
            raise KeyError(f"account_id {account_id!r} is not in the bundle at {self.bundle.path}")
        return AccountRows(self.bundle, account_id, self._info[account_id], self)


__all__ = ["AccountRows", "BundleRows"]
