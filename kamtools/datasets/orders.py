"""Orders and invoices: orders placed at the account's monthly rate, their lines (category from the
account-month mix, preferred or popular product, whole units at the month's net price), and one
invoice per account and month with orders, paid on time or late."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import _dates, _nat_dates, _sample_rows, _sample_rows_grouped, _seq_ids, _take_str
from .catalogue import SEGMENTS
from .products import net_factor
from .state import GenState


def make_orders(s: GenState) -> pd.DataFrame:
    """The order lines, one per product and order; the lines' account, month, category, net revenue
    and day are kept in ``s.line_*`` for the later tables and the truth."""
    a, m, day, cell, mu_lines = _place_orders(s)
    k_lines = 1 + s.rng.poisson(mu_lines[a])
    order_idx = np.repeat(np.arange(len(a)), k_lines)
    prod, units = _line_units(s, a, m, cell, k_lines, mu_lines)
    order_idx, prod, qty = _whole_units(s, order_idx, prod, units)
    la, lm, cat = a[order_idx], m[order_idx], s.prod_cat[prod]
    net_unit = s.list_price[prod] * net_factor(s, la, lm, cat, prod)
    net = np.round(qty * net_unit, 2)
    # unit costs move with the list-price index (margins keep their level over the years)
    cost = np.round(qty * s.unit_cost[prod] * s.lp_index[lm, cat] * s.rng.normal(1.0, 0.02, len(la)), 2)
    # orders without any line left disappear; number the rest in date order
    new_order = np.r_[True, order_idx[1:] != order_idx[:-1]] if len(order_idx) else np.zeros(0, bool)
    order_no = np.cumsum(new_order)
    first_line = np.nonzero(new_order)[0]
    line_no = np.arange(len(order_idx)) - np.repeat(first_line, np.diff(np.r_[first_line, len(order_idx)])) + 1
    s.line_a, s.line_m, s.line_cat, s.line_net, s.line_day = la, lm, cat, net, day[order_idx]

    n_kept = int(order_no[-1]) if len(order_no) else 0
    return pd.DataFrame(
        {
            "order_id": _seq_ids("SO-", n_kept, 7).take(order_no - 1).reset_index(drop=True),
            "line": line_no.astype(np.int64),
            "account_id": _take_str(s.acc_ids, la),
            "product_id": _take_str(s.prod_ids, prod),
            "order_date": _dates(day[order_idx]),
            "quantity": qty.astype(float),
            "net_revenue": net.astype(float),
            "cost": cost.astype(float),
        }
    )


def _place_orders(s: GenState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Orders per account and month (Poisson at the account's rate), in date order: their account,
    month, day and account-month cell, and the mean number of extra lines per order of each account."""
    rng, n, M = s.rng, s.n, s.M
    # orders per month: larger accounts order more often; small ones are intermittent
    lam = 4.0 * (s.base / 90_000) ** 0.45 * rng.lognormal(0, 0.25, n)
    lam = np.where(s.segment == SEGMENTS.index("small_occasional"), rng.uniform(0.12, 0.6, n), lam)
    lam = np.clip(lam, 0.1, 60)
    n_cats = s.owned0.sum(axis=1)
    mu_lines = 0.6 + 0.55 * n_cats  # extra lines per order beyond the first
    s.lam = lam
    rate = lam[:, None] * np.sqrt(s.level) * s.rate_mult * s.acc_season
    rate[s.after_churn & s.churn_full[:, None]] = 0.0
    counts = rng.poisson(rate)
    cell = np.repeat(np.arange(n * M), counts.ravel())
    a, m = cell // M, cell % M
    day = s.month_days[m] + (rng.random(len(a)) * s.n_days[m]).astype(np.int64)
    order = np.lexsort((a, day))
    return a[order], m[order], day[order], cell[order], mu_lines


def _line_units(
    s: GenState, a: np.ndarray, m: np.ndarray, cell: np.ndarray, k_lines: np.ndarray, mu_lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Product and (fractional) units of each drawn line: the category from the account-month mix,
    the account's preferred product or a popular one, revenue following the account's level."""
    rng = s.rng
    la = np.repeat(a, k_lines)
    lm = np.repeat(m, k_lines)
    cat = _sample_rows(rng, s.cat_w, np.repeat(cell, k_lines))
    use_pref = rng.random(len(la)) < 0.45
    pop = _sample_rows_grouped(rng, s.prod_pop, s.cat_prod_start, s.cat_prod_count, cat)
    prod = np.where(use_pref, s.pref_prod[la, cat], pop)
    # revenue per order follows the account's level (sqrt split between count and size)
    order_value = s.base / 12 / s.lam
    # (an adopted category adds revenue through more orders: it raises acc_season)
    lv = order_value[la] * np.sqrt(s.level[la, lm]) * s.size_mult[la, lm]
    line_rev = lv / (1 + mu_lines[la]) * rng.lognormal(-0.32, 0.8, len(la))
    # the net price moves with list-price changes, renegotiated discounts and promotions; the
    # volume bought answers with the category's planted elasticity, relative to the account's
    # usual (geometric mean) price of the category: units ~ price ** elasticity
    factor = s.lp_index[None, :, :] * (1 - s.discount_t) * (1 - s.promo[None, :, :])  # (n, M, C)
    usual = np.exp(np.log(factor).mean(axis=1))  # (n, C)
    line_factor = net_factor(s, la, lm, cat, prod)
    line_rev = line_rev * (line_factor / usual[la, cat]) ** (1 + s.elasticity[cat])
    return prod, line_rev / (s.list_price[prod] * line_factor)


def _whole_units(
    s: GenState, order_idx: np.ndarray, prod: np.ndarray, units: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One line per product and order with whole units, by unbiased stochastic rounding (a small
    account rarely buys an expensive item rather than always buying one); lines of 0 units dropped.
    Returns the lines' order index, product and quantity."""
    key, inv = np.unique(order_idx * s.P + prod, return_inverse=True)
    units = np.bincount(inv, weights=units, minlength=len(key))
    qty = np.floor(units)
    qty += s.rng.random(len(qty)) < units - qty
    keep = qty > 0
    key, qty = key[keep], qty[keep]
    return key // s.P, key % s.P, qty


def make_invoices(s: GenState) -> pd.DataFrame:
    """One invoice per account and month with orders, issued at month end."""
    rng, n, M = s.rng, s.n, s.M
    cell = s.line_a * M + s.line_m
    amount = np.bincount(cell, weights=s.line_net, minlength=n * M)
    cells = np.nonzero(amount > 0)[0]
    a, m = cells // M, cells % M
    issue = np.minimum(s.month_days[m + 1] - 1, s.as_of_day)
    terms = np.array([30, 45, 60])[rng.choice(3, size=n, p=[0.5, 0.3, 0.2])]
    due = issue + terms[a]
    # payment behaviour: most on time, some habitually late, churners late in their window
    habit = rng.choice(3, size=n, p=[0.72, 0.23, 0.05])
    p_late = np.array([0.08, 0.4, 0.9])[habit]
    mean_late = np.array([6.0, 12.0, 30.0])[habit]
    late = rng.random(len(a)) < p_late[a]
    delay = np.where(late, 1 + rng.exponential(mean_late[a]), -rng.exponential(3.0, len(a)))
    risky = s.signal[a, m] | s.after_churn[a, m]
    delay = np.where(risky, 12 + rng.exponential(32.0, len(a)), delay)
    delay = np.maximum(delay, -terms[a] + 1).round().astype(np.int64)
    paid = due + delay
    paid = np.where(paid > s.as_of_day, np.iinfo(np.int64).min, paid)
    order = np.lexsort((a, issue))
    df = pd.DataFrame(
        {
            "invoice_id": _seq_ids("INV-", len(a), 7),
            "account_id": _take_str(s.acc_ids, a[order]),
            "issue_date": _dates(issue[order]),
            "due_date": _dates(due[order]),
            "paid_date": _nat_dates(paid[order]),
            "amount": np.round(amount[cells][order], 2),
        }
    )
    return df
