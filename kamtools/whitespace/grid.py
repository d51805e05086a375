"""The account x category purchase state at one date (the whitespace grid) and category affinity."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio

SIZE_BANDS = ("small", "mid-size", "large")
SEGMENT_COLUMNS = ("tier", "segment", "cluster_name", "quadrant")


def _at(portfolio: Portfolio, as_of: str | pd.Timestamp | None) -> Portfolio:
    if as_of is None or pd.Timestamp(as_of).normalize() == portfolio.as_of:
        return portfolio
    return portfolio.truncate(as_of)


@dataclass
class Snapshot:
    """Account x category purchase state at ``as_of`` (arrays aligned on accounts x categories).

    Attributes: ``account_ids`` (n,), ``categories`` (C,), ``spend_ltm`` (n, C) revenue in
    the last ``months`` months, ``spend_before`` (n, C) revenue before that window,
    ``last_order`` (n, C) datetime64 (NaT when never), ``industry`` (n,), ``peer_group``
    (n,) labels such as ``"Feed milling, large"``, ``charges`` (C,) True for a category whose
    products are all marked ``line_type`` charge (postage, fees: never recommended; None: none is).
    """

    as_of: pd.Timestamp
    months: int | None
    account_ids: np.ndarray
    categories: np.ndarray
    spend_ltm: np.ndarray
    spend_before: np.ndarray
    last_order: np.ndarray
    industry: np.ndarray
    peer_group: np.ndarray
    charges: np.ndarray | None = None

    @property
    def revenue_ltm(self) -> np.ndarray:
        return self.spend_ltm.sum(axis=1)

    @property
    def active(self) -> np.ndarray:
        """Accounts with revenue in the window (only they get recommendations)."""
        return self.revenue_ltm > 0

    @property
    def bought(self) -> np.ndarray:
        return self.spend_ltm > 0

    @property
    def lapsed(self) -> np.ndarray:
        return (self.spend_ltm <= 0) & (self.spend_before > 0)

    @property
    def candidates(self) -> np.ndarray:
        """Cells a recommendation can be made for: active account, category not bought in the window and not
        a category of charges (postage, fees: nothing a KAM can sell)."""
        cells = ~self.bought & self.active[:, None]
        return cells if self.charges is None else cells & ~self.charges[None, :]

    @cached_property
    def status(self) -> np.ndarray:
        """(n, C) 'bought' / 'lapsed' / 'never', or 'charge' for a category of charges not bought in the window."""
        status = np.where(self.bought, "bought", np.where(self.lapsed, "lapsed", "never"))
        return status if self.charges is None else np.where(~self.bought & self.charges[None, :], "charge", status)


def _codes(values: pd.Series, categories: np.ndarray) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when absent); hashes each distinct value once."""
    codes, uniques = pd.factorize(values)
    pos = pd.Index(categories).get_indexer(uniques)
    return np.where(codes >= 0, pos[np.maximum(codes, 0)], -1).astype(np.int64)


def _matrix(a: np.ndarray, c: np.ndarray, w: np.ndarray, n: int, C: int) -> np.ndarray:
    ok = (a >= 0) & (c >= 0)
    return np.bincount(a[ok] * C + c[ok], weights=w[ok], minlength=n * C).reshape(n, C)


def _size_bands(revenue: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Tercile size band of yearly revenue among active accounts ('inactive' otherwise)."""
    out = np.full(len(revenue), "inactive", dtype=object)
    if active.any():
        edges = np.quantile(revenue[active], [1 / 3, 2 / 3])
        out[active] = np.array(SIZE_BANDS, dtype=object)[np.searchsorted(edges, revenue[active], side="right")]
    return out


def _segment_labels(segments: pd.DataFrame | None, account_ids: np.ndarray, column: str | None) -> np.ndarray | None:
    if segments is None or isinstance(segments, NotAvailable) or len(segments) == 0:
        return None
    if "account_id" not in segments.columns:
        raise ValueError("segments: the table needs an account_id column")
    if column is None:
        column = next((c for c in SEGMENT_COLUMNS if c in segments.columns), None)
        if column is None:
            return None
    elif column not in segments.columns:
        raise ValueError(f"segments: no column {column!r}; it has {list(segments.columns)}")
    mapping = segments.drop_duplicates("account_id").set_index("account_id")[column].astype("str")
    if column in ("tier", "quadrant"):  # short codes read better with their name: "tier 2"
        mapping = column + " " + mapping
    return pd.Series(account_ids).map(mapping).to_numpy(dtype=object)


def snapshot(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    months: int | None = 12,
    segments: pd.DataFrame | None = None,
    peer_column: str | None = None,
) -> Snapshot:
    """The account x category purchase matrices at ``as_of`` (reads nothing after it).

    Peer groups are industry x size band (terciles of revenue in the window among active
    accounts; ``months=None``: the whole history); when ``segments`` (a table with ``account_id`` and a label column, e.g.
    the bundle's segments) is given, industry x segment label (``peer_column``, default
    the first of tier / segment / cluster_name / quadrant it has).
    """
    portfolio = _at(portfolio, as_of)
    as_of_ts = portfolio.as_of
    accounts = portfolio.accounts
    account_ids = accounts["account_id"].to_numpy(dtype=object)
    categories = np.array(sorted(portfolio.products["category"].dropna().astype(str).unique()), dtype=object)
    n, C = len(account_ids), len(categories)
    lines = portfolio.order_lines
    lines = lines[lines["order_date"] <= as_of_ts]
    a = _codes(lines["account_id"], account_ids)
    c = _codes(lines["category"], categories)
    rev = lines["net_revenue"].to_numpy(dtype=float)
    if months is None:  # the whole history counts as "the window"
        in_window = np.ones(len(lines), dtype=bool)
    else:
        in_window = (lines["order_date"] > as_of_ts - pd.DateOffset(months=months)).to_numpy()
    spend_ltm = _matrix(a[in_window], c[in_window], rev[in_window], n, C)
    spend_before = _matrix(a[~in_window], c[~in_window], rev[~in_window], n, C)
    last = np.full(n * C, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = (a >= 0) & (c >= 0)
    if ok.any():
        cell = a[ok] * C + c[ok]
        mx = pd.Series(lines["order_date"].to_numpy()[ok]).groupby(cell).max()
        last[mx.index.to_numpy()] = mx.to_numpy()
    industry = accounts["industry"].astype("str").fillna("(unknown industry)").to_numpy(dtype=object)
    active = spend_ltm.sum(axis=1) > 0
    seg = _segment_labels(segments, account_ids, peer_column)
    second = _size_bands(spend_ltm.sum(axis=1), active) if seg is None else np.where(pd.isna(seg), "other", seg)
    peer = (pd.Series(industry) + ", " + pd.Series(second).astype(str)).to_numpy(dtype=object)
    return Snapshot(
        as_of_ts,
        months,
        account_ids,
        categories,
        spend_ltm,
        spend_before,
        last.reshape(n, C),
        industry,
        peer,
        charge_categories(portfolio.products, categories),
    )


def charge_categories(products: pd.DataFrame, categories: np.ndarray) -> np.ndarray:
    """(C,) True for each category whose every product is marked ``line_type`` charge (False without the
    column: a portfolio built without the loader, whose products are all products)."""
    if "line_type" not in products.columns:
        return np.zeros(len(categories), dtype=bool)
    charge = products["line_type"].astype("str").eq("charge")
    every = charge.groupby(products["category"].astype("str")).all()
    return every.reindex(pd.Index(categories, dtype="str")).fillna(False).to_numpy(dtype=bool)


def whitespace_grid(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, months: int = 12) -> pd.DataFrame:
    """The whitespace grid: one row per account x product category.

    Returns ``account_id, category, status`` (bought / lapsed / never; charge: a category of charges, see
    ``products.line_type``, not bought in the window, which is no whitespace), ``revenue_ltm``
    (last ``months`` months), ``revenue_before`` (earlier), ``last_order_date``.
    """
    return _grid_frame(snapshot(portfolio, as_of, months))


def _grid_frame(snap: Snapshot) -> pd.DataFrame:
    n, C = snap.spend_ltm.shape
    return pd.DataFrame(
        {
            "account_id": pd.Series(np.repeat(snap.account_ids, C), dtype="str"),
            "category": pd.Series(np.tile(snap.categories, n), dtype="str"),
            "status": pd.Series(snap.status.ravel(), dtype="str"),
            "revenue_ltm": snap.spend_ltm.ravel(),
            "revenue_before": snap.spend_before.ravel(),
            "last_order_date": snap.last_order.ravel(),
        }
    )


# ---------------------------------------------------------------------------------------
# category affinity (co-occurrence)
# ---------------------------------------------------------------------------------------
def _cooccurrence(owned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = owned.astype(float)
    co = b.T @ b
    return co, np.diag(co).copy()


def category_affinity(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, months: int | None = None
) -> pd.DataFrame:
    """Which categories are bought together: item-item similarity and co-occurrence lift.

    An account "buys" a category when it ordered it in the last ``months`` months (all
    history up to ``as_of`` when None). One row per ordered pair of different categories:
    ``category_a, category_b, n_a, n_b, n_both`` (accounts), ``confidence`` (share of
    ``a``-buyers that also buy ``b``), ``lift`` (P(a and b) / (P(a) P(b))), ``cosine``
    (n_both / sqrt(n_a n_b)). Sorted by descending lift.
    """
    snap = snapshot(portfolio, as_of, months)
    owned = (snap.spend_ltm > 0)[snap.active]
    co, n_i = _cooccurrence(owned)
    N = max(len(owned), 1)
    C = len(snap.categories)
    i, j = np.nonzero(~np.eye(C, dtype=bool))
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = co[i, j] / n_i[i]
        lift = co[i, j] * N / (n_i[i] * n_i[j])
        cosine = co[i, j] / np.sqrt(n_i[i] * n_i[j])
    out = pd.DataFrame(
        {
            "category_a": pd.Series(snap.categories[i], dtype="str"),
            "category_b": pd.Series(snap.categories[j], dtype="str"),
            "n_a": n_i[i].astype(np.int64),
            "n_b": n_i[j].astype(np.int64),
            "n_both": co[i, j].astype(np.int64),
            "confidence": conf,
            "lift": lift,
            "cosine": cosine,
        }
    )
    return out.sort_values(["lift", "n_both"], ascending=False, kind="stable").reset_index(drop=True)
