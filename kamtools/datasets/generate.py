"""The demo generator's entry point: :func:`make_portfolio` checks its arguments and runs the phases
over one :class:`~.state.GenState` in the order of their random draws (:func:`generate`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.model import TABLES
from kamtools.data.portfolio import Portfolio

from .accounts import estimate_wallet, make_accounts
from .bids import make_competitor_prices, make_opportunities
from .catalogue import _INDUSTRIES, _NAME_PREFIXES
from .categories import choose_categories
from .churn import monthly_levels, plant_churn
from .complaints import make_complaints
from .groups import GroupLayer, default_groups, group_stream
from .orders import make_invoices, make_orders
from .people import make_relationships
from .products import make_products
from .state import GenState, new_state
from .targets import make_targets
from .tenders import add_tenders
from .truth import PlantedTruth, planted_truth

DEFAULT_END = pd.Timestamp("2026-10-31")
DEMO_SEED = 7
DEMO_ACCOUNTS = 300
DEMO_YEARS = 4
DEMO_CURRENCY = "EUR"  # the demo's prices and revenue are in euros


def make_portfolio(
    n_accounts: int = 300, years: int = 4, seed: int = 7, as_of: str | None = None, groups: int | None = None
) -> tuple[Portfolio, PlantedTruth]:
    """Generate a demo portfolio and what was planted in it.

    Parameters
    ----------
    n_accounts : number of customer accounts (>= 10).
    years : full years of order history (>= 2), ending in the month of ``as_of``.
    seed : seed of the single ``numpy.random.default_rng`` used; same seed -> same tables.
    as_of : analysis date; default 2026-10-31 (the last day of the last generated month).
        Nothing in the tables is dated after it (except expected close dates of open
        opportunities, which lie in the future by nature).
    groups : number of global-account groups (default: one per 15 accounts), each of 3 to 12
        units in different countries under a new parent account ``G0001``, ... (see
        :mod:`kamtools.datasets.groups`), with reporting lines, attitudes, employees on
        interactions and champions who leave before a planted churn. ``0`` makes the demo of
        earlier versions, table for table (the issue-20 columns present and empty).

    Returns
    -------
    (Portfolio, PlantedTruth). At defaults: ~300 accounts, ~100 products, ~150k order
    lines. Revenue in EUR-like units.
    """
    if n_accounts < 10:
        raise ValueError("make_portfolio: n_accounts must be at least 10")
    if years < 2:
        raise ValueError("make_portfolio: years must be at least 2 (churn is planted in the last 2 years)")
    try:
        as_of_ts = DEFAULT_END if as_of is None else pd.Timestamp(as_of).normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"make_portfolio: as_of {as_of!r} is not a date; write it as YYYY-MM-DD") from exc
    if pd.isna(as_of_ts) or not pd.Timestamp("1995-01-01") <= as_of_ts <= pd.Timestamp("2090-12-31"):
        raise ValueError(f"make_portfolio: as_of {as_of!r} must be a date between 1995 and 2090 (YYYY-MM-DD)")
    if groups is not None and (not isinstance(groups, (int, np.integer)) or groups < 0):
        raise ValueError(f"make_portfolio: groups must be a whole number >= 0, not {groups!r}")
    n_groups = default_groups(n_accounts) if groups is None else int(groups)
    state = new_state(np.random.default_rng(seed), n_accounts, years, as_of_ts, seed)
    if n_groups:
        cores = {name: spec[1] for name, spec in _INDUSTRIES.items()}
        state.groups = GroupLayer(group_stream(seed), n_groups, _NAME_PREFIXES, cores)
    return generate(state)


def generate(s: GenState) -> tuple[Portfolio, PlantedTruth]:
    """Run the phases in the order of their random draws (another order makes other tables)."""
    make_products(s)
    make_accounts(s)
    if s.groups is not None:
        s.groups.plan(s)
    choose_categories(s)
    plant_churn(s)
    monthly_levels(s)
    estimate_wallet(s)
    orders = make_orders(s)
    tables = {"accounts": s.accounts_df, "products": s.products_df, "orders": orders}
    tables["invoices"] = make_invoices(s)
    tables["contacts"], tables["interactions"] = make_relationships(s)
    if s.groups is not None:
        s.groups.finish(s, tables)
    else:
        tables = _with_empty_new_columns(tables)
    tables["complaints"] = make_complaints(s)
    tables["opportunities"], tender_schedule = add_tenders(s, make_opportunities(s))
    tables["competitor_prices"] = make_competitor_prices(s)
    tables["targets"] = make_targets(s)
    tables = {name: tables[name] for name in TABLES}
    truth = planted_truth(s, tables)
    truth.tenders = tender_schedule
    return Portfolio(tables, s.as_of), truth


def _with_empty_new_columns(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with every model column they lack added empty (as the loader does for absent
    optional columns), so a demo without groups has the issue-20 columns, all empty."""
    from kamtools.data.parsing import empty_column

    out = {}
    for name, df in tables.items():
        missing = [c for c in TABLES[name].columns if c.name not in df.columns]
        if missing:
            df = df.assign(**{c.name: empty_column(c, df.index) for c in missing})
        out[name] = df
    return out
