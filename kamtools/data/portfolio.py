"""`Portfolio`: the validated tables of one sales organisation, as of a date.

A Portfolio is what every analysis takes as input. It is built by
:func:`kamtools.load_portfolio` (which validates) or by
:func:`kamtools.datasets.make_portfolio`; after that, code may trust its tables:
canonical column names, ids as ``str``, dates as ``datetime64[ns]``, numbers as floats,
foreign keys resolved, nothing dated after ``as_of``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from kamtools.data.model import OPTIONAL_TABLES, REQUIRED_TABLES, TABLES

OPEN_STAGE_UNKNOWN = "open (stage then unknown)"
"""The stage of a bid that :meth:`Portfolio.truncate` sets back to open: the CRM's stage is its later outcome."""


@dataclass(frozen=True)
class NotAvailable:
    """An analysis result that could not be computed, with the reason in plain words.

    It is falsy, so ``if result:`` reads naturally. Reports show ``reason`` as a sentence.
    """

    reason: str

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.reason


def credit_lines(orders: pd.DataFrame) -> pd.Series:
    """True for order lines that are returns, credit notes or rebates (negative quantity or
    net_revenue). They net against revenue and margin but are not purchases: they do not
    count as orders, purchase occasions or the last order date."""
    credit = orders["net_revenue"] < 0
    if "quantity" in orders.columns:
        credit |= orders["quantity"] < 0
    return credit


def month_start(dates: pd.Series) -> pd.Series:
    """Dates -> first day of their month (datetime64[ns])."""
    return dates.dt.to_period("M").dt.to_timestamp()


def last_complete_month(as_of: pd.Timestamp) -> pd.Timestamp:
    """Start of the last calendar month that ends on or before ``as_of``."""
    as_of = pd.Timestamp(as_of).normalize()
    if (as_of + pd.Timedelta(days=1)).day == 1:
        return as_of.to_period("M").to_timestamp()
    return (as_of.to_period("M") - 1).to_timestamp()


def net_negative_months(grouped: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Months whose returns and credit notes exceed their sales: the excess is netted against
    the following months of the series (and, when none are left, the latest earlier ones).

    A credit note is often booked in a month without sales of its own; a month of negative
    revenue is an artefact of that booking date, and it would make a revenue series that no
    forecasting model is built for. The total of each series is kept, except in a series whose
    credits exceed all its sales (goods bought before the data starts, returned after): it is
    zero throughout, as a revenue series cannot go below nothing (the loader names such
    accounts, and the KPIs keep their negative net revenue). ``grouped`` is sorted by ``keys``
    and ``ds`` (see :func:`monthly_from_totals`).
    """
    negative = grouped[value] < 0
    if not negative.any():
        return grouped
    grouped = grouped.reset_index(drop=True)
    hit = grouped[keys].merge(grouped.loc[negative, keys].drop_duplicates(), on=keys, how="left", indicator=True)
    affected = grouped.index[(hit["_merge"] == "both").to_numpy()]
    y = grouped[value].to_numpy(dtype=float, copy=True)
    for positions in grouped.loc[affected].groupby(keys, sort=False, observed=True).indices.values():
        rows = affected[positions]
        vals = y[rows]
        carry = 0.0
        for i in range(len(vals)):  # forward: a credit reduces the next months' sales
            vals[i] += carry
            carry = min(vals[i], 0.0)
            vals[i] = max(vals[i], 0.0)
        for i in range(len(vals) - 1, -1, -1):  # what is left: against the latest earlier months
            if carry >= 0:
                break
            vals[i] += carry
            carry = min(vals[i], 0.0)
            vals[i] = max(vals[i], 0.0)
        y[rows] = vals  # credits beyond every sale of the series: nothing left to net them against
    return grouped.assign(**{value: y})


def monthly_from_totals(grouped: pd.DataFrame, by: str, end: pd.Timestamp, value: str) -> pd.DataFrame:
    """Monthly totals -> the zero-filled long format of :meth:`Portfolio.monthly`.

    ``grouped`` has one row per series and month with an order: the key columns
    (``account_id``, plus ``category`` for ``by="account_category"``), ``ds`` (month
    start, at most ``end``) and ``value``, sorted by keys and ``ds``. Shared by
    :meth:`Portfolio.monthly` and :func:`kamtools.parallel.monthly_revenue_from_parquet`.
    """
    keys = ["account_id"] if by == "account" else ["account_id", "category"]
    if grouped.empty:
        return pd.DataFrame({"unique_id": [], "ds": pd.to_datetime([]), "y": [], **{k: [] for k in keys}})
    if value in ("net_revenue", "quantity"):
        grouped = net_negative_months(grouped, keys, value)
    # zero-fill each series from its first month to `end` with one vectorised build
    first = grouped.groupby(keys, observed=True, sort=True)["ds"].min().reset_index()
    n_months = (end.year - first["ds"].dt.year) * 12 + (end.month - first["ds"].dt.month) + 1
    rep = first.loc[first.index.repeat(n_months)].reset_index(drop=True)
    counts = n_months.to_numpy(dtype=np.int64)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    start_period = rep["ds"].dt.to_period("M")
    rep["ds"] = (start_period + offsets).dt.to_timestamp()
    full = rep.merge(grouped, on=keys + ["ds"], how="left")
    full[value] = full[value].fillna(0.0)
    if by == "account":
        full["unique_id"] = full["account_id"]
    else:
        full["unique_id"] = full["account_id"] + "|" + full["category"].astype(str)
    cols = ["unique_id", "ds", "y"] + keys
    return full.rename(columns={value: "y"})[cols].reset_index(drop=True)


@dataclass(eq=False)
class Portfolio:
    """Validated tables plus the analysis date.

    Attributes
    ----------
    tables : dict[str, DataFrame]
        Canonical tables by name; optional tables that were not supplied are absent.
    as_of : Timestamp
        The analysis date. No table holds anything dated after it.
    warnings : list[str]
        Non-fatal data-quality findings from loading (shown by ``kamtools validate``).
    facts : dict[str, dict[str, float]]
        What loading did to the data, as numbers, for the pages' notes: ``same_day_corrections`` and
        ``negative_lines_dropped``, each ``{"lines": ..., "credited": ...}`` (credit lines, credited revenue).
    """

    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    warnings: list[str] = field(default_factory=list)
    facts: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [t for t in REQUIRED_TABLES if t not in self.tables]
        if missing:
            raise ValueError(f"Portfolio needs the tables {missing}")
        self.as_of = pd.Timestamp(self.as_of).normalize()

    # ---- tables -------------------------------------------------------------------
    @property
    def accounts(self) -> pd.DataFrame:
        return self.tables["accounts"]

    @property
    def products(self) -> pd.DataFrame:
        return self.tables["products"]

    @property
    def orders(self) -> pd.DataFrame:
        return self.tables["orders"]

    def has(self, table: str) -> bool:
        """True when the optional ``table`` was supplied and has at least one row."""
        return table in self.tables and len(self.tables[table]) > 0

    def get(self, table: str) -> pd.DataFrame | None:
        """The table, or None when it was not supplied."""
        return self.tables.get(table)

    def missing_reason(self, *tables: str) -> NotAvailable | None:
        """NotAvailable naming the first missing table among ``tables``, else None."""
        for t in tables:
            if not self.has(t):
                return NotAvailable(f"No {t} table was supplied, so this section is skipped.")
        return None

    @property
    def available_tables(self) -> list[str]:
        return [t for t in REQUIRED_TABLES + OPTIONAL_TABLES if t in self.tables]

    # ---- shared views -----------------------------------------------------------------
    @cached_property
    def order_lines(self) -> pd.DataFrame:
        """Order lines with ``category`` and ``margin`` (net_revenue - cost) added."""
        products = self.products
        product_index = pd.Index(products["product_id"])
        if not product_index.is_unique:  # let merge raise its many-to-one error
            lines = self.orders.merge(
                products[["product_id", "category"]], on="product_id", how="left", validate="many_to_one"
            )
        else:  # a positional lookup: half the time of a merge on millions of lines
            codes, uniques = pd.factorize(self.orders["product_id"])
            at_unique = product_index.get_indexer(uniques)
            pos = np.where(codes >= 0, at_unique[np.maximum(codes, 0)] if len(uniques) else -1, -1)
            lines = self.orders.copy()
            lines["category"] = products["category"].array.take(pos, allow_fill=True)
        lines["margin"] = lines["net_revenue"] - lines["cost"]
        return lines

    @property
    def last_complete_month(self) -> pd.Timestamp:
        """Start of the last calendar month that ends on or before ``as_of``."""
        return last_complete_month(self.as_of)

    def monthly(self, by: str = "account", value: str = "net_revenue") -> pd.DataFrame:
        """Monthly totals in long format ``unique_id, ds, y`` (plus ``account_id``).

        ``by="account"`` gives one series per account (``unique_id`` = account_id);
        ``by="account_category"`` one per account and product category
        (``unique_id`` = ``"<account_id>|<category>"``, with ``category`` column).
        ``value`` is ``net_revenue``, ``cost``, ``margin`` or ``quantity``.

        Each series runs from its first month with an order to the last complete month
        before ``as_of`` (a partial month would look like a drop), zero-filled in between.
        Returns and credit notes net into revenue and quantity; a month where they exceed the
        sales is netted against the following months (see :func:`net_negative_months`).
        """
        if by not in ("account", "account_category"):
            raise ValueError("by must be 'account' or 'account_category'")
        keys = ["account_id"] if by == "account" else ["account_id", "category"]
        lines = self.order_lines
        end = self.last_complete_month
        ds = month_start(lines["order_date"])
        keep = ds <= end
        grouped = (
            lines.loc[keep, keys + [value]]
            .assign(ds=ds[keep])
            .groupby(keys + ["ds"], observed=True, sort=True)[value]
            .sum()
            .reset_index()
        )
        return monthly_from_totals(grouped, by, end, value)

    # ---- time travel -------------------------------------------------------------------
    def truncate(self, as_of: str | pd.Timestamp) -> Portfolio:
        """The portfolio as it was known on ``as_of`` (an earlier date).

        Rows dated after ``as_of`` are dropped; facts that became known only later are
        reset: opportunities decided after ``as_of`` are open again (their stage
        :data:`OPEN_STAGE_UNKNOWN` and no win probability), complaints resolved
        later are open, invoices paid later are unpaid, accounts that became customers
        later are dropped (with their rows in every table), except a group parent whose units
        are kept (a parent without orders of its own has the analysis date as customer_since);
        a contact who left later is still there.
        """
        as_of = pd.Timestamp(as_of).normalize()
        if as_of > self.as_of:
            raise ValueError(f"truncate: {as_of.date()} is after the portfolio's as_of {self.as_of.date()}")
        out: dict[str, pd.DataFrame] = {}
        later = self.accounts["customer_since"] > as_of
        parents = self.accounts["account_id"].isin(_ancestors(self.accounts, later))
        accounts = self.accounts[~later | parents]
        if (later & parents).any():  # a group's parent joined later than its units: a group from as_of on
            accounts = accounts.assign(customer_since=accounts["customer_since"].clip(upper=as_of))
        later &= ~parents
        dropped_ids = self.accounts.loc[later, "account_id"]  # usually few or none: filter by them
        out["accounts"] = accounts.reset_index(drop=True)
        out["products"] = self.products
        for name, df in self.tables.items():
            if name in ("accounts", "products"):
                continue
            spec = TABLES[name]
            for col in spec.date_columns_bounded:
                df = df[df[col] <= as_of]
            if len(dropped_ids) and "account_id" in df.columns:
                df = df[~df["account_id"].isin(dropped_ids)]
            if name in ("opportunities", "complaints", "invoices"):
                df = df.copy()  # edited below; the other tables are only filtered (copy-on-write)
            if name == "opportunities":
                later = df["close_date"] > as_of
                decided = later & (df["status"] != "open")
                df.loc[decided, "loss_reason"] = None
                # the CRM's stage and win probability of a bid decided later are its outcome ('Closed Won', 1.0):
                # as of then both are unknown, so the pipeline weighs it as a bid without a probability
                df.loc[decided, "stage"] = OPEN_STAGE_UNKNOWN
                if "probability" in df.columns:
                    df.loc[decided, "probability"] = np.nan
                df.loc[later, "status"] = "open"
                if "contract_end" in df.columns:  # not won yet, so no contract yet
                    df.loc[later, "contract_end"] = pd.NaT
            elif name == "complaints":
                df.loc[df["resolved_date"] > as_of, "resolved_date"] = pd.NaT
            elif name == "invoices":
                df.loc[df["paid_date"] > as_of, "paid_date"] = pd.NaT
            elif name == "contacts" and "left_date" in df.columns:
                df = df.copy()
                df.loc[df["left_date"] > as_of, "left_date"] = pd.NaT
            out[name] = df.reset_index(drop=True)
        return Portfolio(out, as_of, warnings=[])

    # ---- identity ---------------------------------------------------------------------
    def fingerprint(self) -> str:
        """Stable SHA-256 of the table contents and as_of (first 16 hex digits)."""
        h = hashlib.sha256(str(self.as_of.date()).encode())
        for name in sorted(self.tables):
            df = self.tables[name]
            h.update(name.encode())
            h.update(",".join(map(str, df.columns)).encode())
            h.update(pd.util.hash_pandas_object(df, index=False).values.tobytes())
        return h.hexdigest()[:16]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        return f"Portfolio(as_of={self.as_of.date()}, {sizes})"


def _ancestors(accounts: pd.DataFrame, dropped: pd.Series) -> set[str]:
    """Ids of every parent above an account that is not ``dropped`` (kept so the hierarchy stays whole)."""
    if "parent_account_id" not in accounts.columns or not accounts["parent_account_id"].notna().any():
        return set()
    parents = accounts.dropna(subset=["parent_account_id"]).set_index("account_id")["parent_account_id"].to_dict()
    found: set[str] = set()
    level = set(parents).intersection(accounts.loc[~dropped, "account_id"])
    while level:
        level = {parents[a] for a in level if a in parents} - found
        found |= level
    return found
