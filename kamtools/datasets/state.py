"""The state of one generation run: its random streams, the month grid, and what each phase made.

The phases (:mod:`.products`, :mod:`.accounts`, ...) are functions of a :class:`GenState`; each
reads what earlier phases stored and stores what later ones need. Arrays are indexed by account
(``n``), month (``M`` history months, sometimes 12 more for targets), category (``C``) or product
(``P``). The order of the phases is the order of the random draws, so it is fixed in
:func:`kamtools.datasets.generate.generate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .arrays import _month_grid
from .catalogue import _CATEGORIES

if TYPE_CHECKING:
    from .groups import GroupLayer

_PRICE_STREAM = 181  # child stream of list-price changes, discount renegotiations, promotions, elasticities
_TARGET_STREAM = 182  # child stream of the reachable / stretching target mix
_TENDER_STREAM = 183  # child stream of the planted recurring tenders (kamtools.datasets.tenders)


@dataclass(eq=False)
class GenState:
    """Everything one generation run shares (plain arrays, indexed by account/month/category)."""

    rng: np.random.Generator  # the main stream
    price_rng: np.random.Generator  # prices over time (issue 18): a stream of their own
    target_rng: np.random.Generator  # the reachable / stretching target mix
    n: int  # accounts
    as_of: pd.Timestamp
    as_of_day: int  # days since 1970
    month_days: np.ndarray  # month starts (days since 1970): M history months + 13 after
    M: int  # history months
    n_days: np.ndarray  # (M,) usable days of each history month (the last one ends at as_of)
    cal_month: np.ndarray  # calendar month (1-12) of each month of the grid
    C: int  # categories
    groups: GroupLayer | None = None  # the global-account layer (its own random stream)
    tender_rng: np.random.Generator | None = None  # the planted recurring tenders (a stream of their own)

    # products (make_products, move_prices)
    P: int = field(init=False)
    prod_cat: np.ndarray = field(init=False)
    list_price: np.ndarray = field(init=False)
    unit_cost: np.ndarray = field(init=False)
    prod_ids: np.ndarray = field(init=False)
    products_df: pd.DataFrame = field(init=False)
    prod_pop: np.ndarray = field(init=False)  # popularity of each product within its category
    cat_prod_start: np.ndarray = field(init=False)
    cat_prod_count: np.ndarray = field(init=False)
    lp_index: np.ndarray = field(init=False)  # (M, C) list-price index
    promo: np.ndarray = field(init=False)  # (M, C) share off in promotion months
    elasticity: np.ndarray = field(init=False)  # (C,) planted price elasticity of volume

    # accounts (make_accounts, estimate_wallet)
    acc_ids: np.ndarray = field(init=False)
    segment: np.ndarray = field(init=False)
    base: np.ndarray = field(init=False)  # yearly revenue level at the start of the history
    growth: np.ndarray = field(init=False)
    start_month: np.ndarray = field(init=False)
    since_day: np.ndarray = field(init=False)
    is_new: np.ndarray = field(init=False)
    industry_names: list[str] = field(init=False)
    industry: np.ndarray = field(init=False)
    region: np.ndarray = field(init=False)
    accounts_df: pd.DataFrame = field(init=False)
    share_of_wallet: np.ndarray = field(init=False)

    # categories, adoptions, discounts (choose_categories)
    partner: np.ndarray = field(init=False)  # (C, C) planted affinity pairs
    share: np.ndarray = field(init=False)  # (n, C)
    main_cat: np.ndarray = field(init=False)
    adopt_cat: np.ndarray = field(init=False)  # -1 = no adoption
    adopt_month: np.ndarray = field(init=False)
    adopt_share: np.ndarray = field(init=False)
    discount: np.ndarray = field(init=False)  # (n, C) at the start of the history
    discount_t: np.ndarray = field(init=False)  # (n, M, C) after the yearly renegotiations
    owned0: np.ndarray = field(init=False)  # (n, C) initial category sets
    pref_prod: np.ndarray = field(init=False)  # (n, C) preferred product per category

    # churn and attacks (plant_churn)
    churned: np.ndarray = field(init=False)
    churn_full: np.ndarray = field(init=False)
    churn_partial: np.ndarray = field(init=False)
    churn_month: np.ndarray = field(init=False)  # M + 100 for non-churners
    signal_month: np.ndarray = field(init=False)
    partial_level: np.ndarray = field(init=False)
    attacker: np.ndarray = field(init=False)  # competitor index, -1 = not attacked
    attack_month: np.ndarray = field(init=False)
    dip_month: np.ndarray = field(init=False)

    # account x month levels (monthly_levels)
    plan_level: np.ndarray = field(init=False)  # (n, M + 12) without churn
    signal: np.ndarray = field(init=False)  # (n, M) bool
    signal_frac: np.ndarray = field(init=False)
    after_churn: np.ndarray = field(init=False)
    dip: np.ndarray = field(init=False)
    rate_mult: np.ndarray = field(init=False)
    size_mult: np.ndarray = field(init=False)
    level: np.ndarray = field(init=False)  # (n, M)
    season: np.ndarray = field(init=False)  # (M, C)
    drop_at: np.ndarray = field(init=False)  # (n, C) month a churner drops a category
    cat_w: np.ndarray = field(init=False)  # (n * M, C) category weights
    acc_season: np.ndarray = field(init=False)  # (n, M)

    # order lines (make_orders)
    lam: np.ndarray = field(init=False)  # orders per month
    line_a: np.ndarray = field(init=False)
    line_m: np.ndarray = field(init=False)
    line_cat: np.ndarray = field(init=False)
    line_net: np.ndarray = field(init=False)
    line_day: np.ndarray = field(init=False)

    # targets (make_targets)
    unreachable: pd.DataFrame = field(init=False)  # account_id, period of planted out-of-reach targets


def new_state(rng: np.random.Generator, n: int, years: int, as_of: pd.Timestamp, seed: int = 0) -> GenState:
    """The state before the first phase: streams, the month grid and the calendar."""
    as_of_day = int(np.datetime64(as_of.date(), "D").astype(np.int64))
    month_days, M = _month_grid(as_of, years)
    ends = np.minimum(month_days[1:] - 1, as_of_day)
    return GenState(
        rng=rng,
        # prices over time (issue 18) and the target mix draw from streams of their own, so the
        # main stream's draws (and every table built from them) shift no more than they must
        price_rng=np.random.default_rng([seed, _PRICE_STREAM]),
        target_rng=np.random.default_rng([seed, _TARGET_STREAM]),
        tender_rng=np.random.default_rng([seed, _TENDER_STREAM]),
        n=n,
        as_of=as_of,
        as_of_day=as_of_day,
        month_days=month_days,
        M=M,
        n_days=(ends - month_days[:-1] + 1)[:M],
        cal_month=(month_days.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12) + 1,
        C=len(_CATEGORIES),
    )
