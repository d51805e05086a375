"""Products and their prices: the catalogue's products with list prices and costs, list prices that
rise each January, promotions, and the planted price elasticity of volume per category."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import _ids, _str
from .catalogue import _CATEGORIES, CATEGORY_NAMES
from .state import GenState


def make_products(s: GenState) -> None:
    """The products table (1 to 3 pack sizes of each stem of a category, list price and cost), each
    product's popularity within its category, and the prices over time (:func:`move_prices`)."""
    rng = s.rng
    rows = []
    for c, (_cat, price, margin, _amp, _peak, stems, packs) in enumerate(_CATEGORIES):
        for stem in stems:
            n_packs = int(rng.integers(1, len(packs) + 1))
            for k, pack in enumerate(packs[:n_packs]):
                size_factor = (1.0, 3.8, 14.0)[k]
                lp = price * size_factor * float(rng.lognormal(0.0, 0.35))
                m = float(np.clip(margin + rng.normal(0, 0.06), 0.15, 0.5))
                rows.append((c, f"{stem} {pack}", round(lp, 2), round(lp * (1 - m), 2)))
    s.P = len(rows)
    s.prod_cat = np.array([r[0] for r in rows])
    s.list_price = np.array([r[2] for r in rows])
    s.unit_cost = np.array([r[3] for r in rows])
    s.prod_ids = _ids("P", s.P, 3)
    s.products_df = pd.DataFrame(
        {
            "product_id": _str(s.prod_ids),
            "name": _str([r[1] for r in rows]),
            "category": _str([CATEGORY_NAMES[r[0]] for r in rows]),
            "list_price": s.list_price.astype(float),
            "unit_cost": s.unit_cost.astype(float),
            "line_type": _str(["product"] * len(rows)),
        }
    )
    # product popularity within category (global) as a cumulative table
    s.prod_pop = rng.gamma(1.0, 1.0, s.P)
    s.cat_prod_start = np.searchsorted(s.prod_cat, np.arange(s.C))
    s.cat_prod_count = np.bincount(s.prod_cat, minlength=s.C)
    move_prices(s)


def move_prices(s: GenState) -> None:
    """Prices that change over time (own stream): a list-price index per category, raised
    each January by 2-6% (compounding, 1.0 in the last history month so the products table
    shows today's list prices; unit costs follow it); promotions in about 3 months a year
    per category (10-20% off); and a planted price elasticity of volume per category,
    uniform in -2.2 to -0.4. (With 2 promotion months of 8-15% and 2 pp discount steps the
    planner could use only 5 of the 11 categories' estimates: 95% intervals wider than 2.)"""
    r, M, C = s.price_rng, s.M, s.C
    jan = s.cal_month[:M] == 1
    jan[0] = False  # the history starts at the index level of its first month
    rise = np.where(jan[:, None], r.uniform(0.02, 0.06, (M, C)), 0.0)
    log_index = np.cumsum(np.log1p(rise), axis=0)
    s.lp_index = np.exp(log_index - log_index[M - 1])  # (M, C)
    promo = r.random((M, C)) < 3 / 12
    s.promo = np.where(promo, r.uniform(0.10, 0.20, (M, C)), 0.0)  # (M, C) share off
    s.elasticity = r.uniform(-2.2, -0.4, C)


def net_factor(s: GenState, a: np.ndarray, m: np.ndarray, cat: np.ndarray, prod: np.ndarray) -> np.ndarray:
    """Net unit price / list price of each line: list-price index x (1 - the account's discount
    that month) x (1 - the category's promotion), the promotion keeping 5% over the product's
    cost (a promotion is not sold at a loss; deep-discount pairs get none)."""
    before = 1 - s.discount_t[a, m, cat]
    cost_share = 1.05 * s.unit_cost[prod] / s.list_price[prod]
    promo = np.minimum(s.promo[m, cat], np.clip(1 - cost_share / before, 0.0, None))
    return s.lp_index[m, cat] * before * (1 - promo)
