"""Recommended prices for open bids: the price that maximises expected margin, with its range.

Margin of a bid priced at ``p`` (in the units of ``our_price``: per unit, or an index)::

    revenue(p) = amount * p / our_price            (amount is the value at the current price)
    cost       = amount * cost_price / our_price   (the volume times our cost; does not move with p)
    margin(p)  = amount * (p - cost_price) / our_price
    expected margin(p) = P(win | p) * margin(p)

``cost_price`` (our cost in price units) is ``cost_ratio`` times the category's usual price
level, the median ``our_price`` of the category's bids (the bid's own price when its
category has none). ``cost_ratio`` is the category's unit cost over list price (mean over
its products in ``products``); for a bid with no known category it is the account's cost
over revenue in its order lines, else the portfolio's. So a bid quoted below the usual
level earns a thinner margin, and one quoted below cost loses money.

The recommended price is the argmax of the expected margin over a fine grid between the
floor and the ceiling (:class:`BidSettings`): the floor is the higher of the price that
still earns ``min_margin_pct`` and the price ``max_discount_pct`` below the current one;
the ceiling is ``max_increase_pct`` above it. ``price_low``/``price_high`` span the prices
whose expected margin is within ``near_best_pct`` of the best, widened to the 10th-90th
percentile of the best price over the posterior draws of the price response.

The best price is recommended only when the change is worth making (:func:`keep_current`): a bid
whose current price already lies in that range, or whose best price gains margin in fewer than
:data:`KEEP_CONFIDENCE` of the posterior draws, keeps its current price ("keep", gain 0). The pricing rules are a company's
bidding policy, set in the playbook's ``bids:`` section (:func:`policy_settings`).

When the competitor's price comes from the price index rather than a quote, it is only known
up to the scatter of quotes around such an index (``ref_sd``, measured by
:func:`kamtools.bids.references.index_scatter`). P(win) is then averaged over that scatter
(:func:`win_probability`, Gauss-Hermite quadrature): the curve is flatter, so the optimum
cuts less; and each posterior draw also draws the competitor's price, so the range of the
best price, the P(win) band and the band of the gained margin carry it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from kamtools.bids.evidence import RESPONSE_ALPHA
from kamtools.bids.winmodel import WinModel, bid_keys
from kamtools.data.portfolio import Portfolio

MIN_MARGIN_PCT = 0.10  # the floor earns at least this margin on revenue
MAX_DISCOUNT_PCT = 0.15  # never more than this below the current price
MAX_INCREASE_PCT = 0.10  # never more than this above the current price
NEAR_BEST_PCT = 0.03  # the range: expected margin within this share of the best
GRID_POINTS = 41  # points of each curve in bid_curves
FINE_POINTS = 401
CHUNK = 400  # bids per block of the posterior computation (bounds memory)
QUADRATURE_POINTS = 12  # Gauss-Hermite nodes over the scatter of an index-based competitor price
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(QUADRATURE_POINTS)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


@dataclass(frozen=True)
class BidSettings:
    """Pricing rules of the bid desk (module defaults; pass another instance to override).

    min_margin_pct : the floor earns at least this margin on revenue (0.10 = 10%).
    max_discount_pct : never recommend more than this much below the current price.
    max_increase_pct : never recommend more than this much above the current price.
    near_best_pct : the price range holds prices whose expected margin is this close to the best.
    grid_points : points of each bid's curve in ``bid_curves``.
    response_alpha : one-sided level of the test that past bids without a competitor quote respond to
        the price index (:mod:`kamtools.bids.evidence`); when they do not, such bids keep their price.
    """

    min_margin_pct: float = MIN_MARGIN_PCT
    max_discount_pct: float = MAX_DISCOUNT_PCT
    max_increase_pct: float = MAX_INCREASE_PCT
    near_best_pct: float = NEAR_BEST_PCT
    grid_points: int = GRID_POINTS
    response_alpha: float = RESPONSE_ALPHA


DEFAULT_SETTINGS = BidSettings()

POLICY_LIMITS = {
    "min_margin_pct": (0.0, 0.9, "the minimum margin on revenue at the floor"),
    "max_discount_pct": (0.0, 0.9, "the largest cut below the current price"),
    "max_increase_pct": (0.0, 1.0, "the largest rise above the current price"),
    "near_best_pct": (0.001, 0.5, "how close to the best expected margin a price of the good range must be"),
    "response_alpha": (0.001, 0.5, "the level of the test that bids without a quote respond to the price index"),
}
"""The bidding policy a company may set (the ``bids:`` section of the playbook): name -> (lowest, highest,
what it is). Shares: 0.10 = 10%."""


def policy_settings(values: dict | None, where: str = "bids") -> BidSettings:
    """:class:`BidSettings` from a mapping of :data:`POLICY_LIMITS` names (the defaults for the rest);
    ValueError naming the setting, its allowed range and the value given when one is unknown or out of range."""
    values = dict(values or {})
    unknown = sorted(set(values) - set(POLICY_LIMITS))
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {unknown}; allowed: {sorted(POLICY_LIMITS)}")
    clean = {}
    for name, value in values.items():
        lo, hi, what = POLICY_LIMITS[name]
        ok = isinstance(value, int | float) and not isinstance(value, bool) and lo <= float(value) <= hi
        if not ok:
            raise ValueError(
                f"{where}.{name} ({what}) must be a share between {lo:g} and {hi:g} (0.10 = 10%), got {value!r}"
            )
        clean[name] = float(value)
    return BidSettings(**clean)


def policy_record(settings: BidSettings) -> dict[str, float]:
    """The bidding policy as the manifest records it (``settings.bids``)."""
    return {name: float(getattr(settings, name)) for name in POLICY_LIMITS}


COST_BASES = ("product cost", "account margin", "portfolio margin")


def cost_ratios(portfolio: Portfolio, frame: pd.DataFrame, before: pd.Timestamp | None = None) -> np.ndarray:
    """Cost over revenue at the current price for each bid of ``frame`` (see module docstring);
    ``before``: the account's and the portfolio's margins from the orders placed before that day only
    (what was known when a past bid was opened)."""
    return cost_sources(portfolio, frame, before)[0]


def cost_sources(
    portfolio: Portfolio, frame: pd.DataFrame, before: pd.Timestamp | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(cost over revenue, where it came from: one of :data:`COST_BASES`) for each bid of ``frame``:
    the category's product cost, else the account's margin in its orders (placed before ``before``
    when given), else the portfolio's."""
    prod = portfolio.tables["products"]
    lp = prod["list_price"].astype(float)
    ratio = (prod["unit_cost"].astype(float) / lp).where(lp > 0)
    by_cat = ratio.groupby(prod["category"].astype("str")).mean()
    lines = portfolio.order_lines
    if before is not None:
        lines = lines[lines["order_date"] < before]
    sums = lines.groupby("account_id", observed=True, sort=False)[["net_revenue", "margin"]].sum()
    rev, mar = sums["net_revenue"], sums["margin"]
    by_acc = (1 - mar / rev).where(rev > 0)
    total_rev = float(lines["net_revenue"].sum())
    overall = 1 - float(lines["margin"].sum()) / total_rev if total_rev > 0 else float(ratio.mean())
    keys = bid_keys(frame)
    from_cat = keys["category"].map(by_cat)
    from_acc = keys["account_id"].map(by_acc)
    out = from_cat.fillna(from_acc).fillna(overall)
    basis = np.where(from_cat.notna(), COST_BASES[0], np.where(from_acc.notna(), COST_BASES[1], COST_BASES[2]))
    return out.to_numpy(dtype=float).clip(0.0, 0.99), basis.astype(object)


def price_levels(bids: pd.DataFrame) -> pd.Series:
    """The usual price level of each category: the median ``our_price`` of ``bids``."""
    if "our_price" not in bids.columns or bids.empty:
        return pd.Series(dtype=float)
    price = bids["our_price"].astype(float)
    ok = (price > 0).to_numpy()
    return price[ok].groupby(bid_keys(bids)["category"][ok]).median()


def cost_prices(ratio: np.ndarray, frame: pd.DataFrame, our: np.ndarray, levels: pd.Series) -> np.ndarray:
    """Our cost in price units: ``ratio`` times the category's price level (else the bid's own price)."""
    level = bid_keys(frame)["category"].map(levels).to_numpy(float)
    return ratio * np.where(np.isfinite(level), level, our)


def price_bounds(our: np.ndarray, cost: np.ndarray, settings: BidSettings) -> tuple[np.ndarray, np.ndarray]:
    """(floor, ceiling) per bid; ``cost`` is our cost in price units."""
    floor = np.maximum(our * (1 - settings.max_discount_pct), cost / (1 - settings.min_margin_pct))
    ceiling = np.maximum(our * (1 + settings.max_increase_pct), floor * 1.02)
    return floor, ceiling


def grid(floor: np.ndarray, ceiling: np.ndarray, points: int) -> np.ndarray:
    """(n, points) evenly spaced prices from floor to ceiling."""
    t = np.linspace(0.0, 1.0, points)
    return floor[:, None] + (ceiling - floor)[:, None] * t[None, :]


def win_probability(base: np.ndarray, slope: float, lx: np.ndarray, ref_sd: np.ndarray | None = None) -> np.ndarray:
    """P(win) of bids at log(price / competitor price) ``lx`` (``(n,)`` or ``(n, g)``), with
    ``base`` the log-odds at parity ``(n,)``. Where ``ref_sd`` > 0 the competitor's log price
    scatters normally by ``ref_sd`` around its estimate and P(win) is the average over it."""
    lx2 = lx if lx.ndim == 2 else lx[:, None]
    p = expit(base[:, None] + slope * lx2)
    if ref_sd is not None and (ref_sd > 0).any():
        r = ref_sd > 0
        eta = base[r][:, None, None] + slope * (lx2[r][:, :, None] - ref_sd[r][:, None, None] * _NODES)
        p[r] = expit(eta) @ _WEIGHTS
    return p if lx.ndim == 2 else p[:, 0]


def expected_margin(p_win: np.ndarray, price: np.ndarray, our: np.ndarray, cost: np.ndarray, amount: np.ndarray):
    """P(win) x margin (``cost`` in price units); the bid arrays broadcast against a price grid on the last axis."""
    return p_win * amount * (price - cost) / our


def best_price(
    base: np.ndarray,
    slope: float,
    ref: np.ndarray,
    our: np.ndarray,
    cost: np.ndarray,
    amount: np.ndarray,
    floor: np.ndarray,
    ceiling: np.ndarray,
    near_best_pct: float = DEFAULT_SETTINGS.near_best_pct,
    ref_sd: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Argmax of expected margin on a fine grid: (best price, lowest and highest near-best price);
    ``ref_sd``: the scatter of an index-based competitor price (see :func:`win_probability`)."""
    prices = grid(floor, ceiling, FINE_POINTS)
    p = win_probability(base, slope, np.log(prices / ref[:, None]), ref_sd)
    em = expected_margin(p, prices, our[:, None], cost[:, None], amount[:, None])
    best = em.max(axis=1)
    near = em >= best[:, None] - near_best_pct * np.abs(best[:, None])
    low = np.where(near, prices, np.inf).min(axis=1)
    high = np.where(near, prices, -np.inf).max(axis=1)
    return prices[np.arange(len(prices)), em.argmax(axis=1)], low, high


@dataclass
class Priced:
    """The open bids with everything the optimisation needs (arrays aligned with ``frame``)."""

    frame: pd.DataFrame
    our: np.ndarray
    ref: np.ndarray  # the competitor's price, or our own price when none is known
    priced: np.ndarray  # a competitor price (quoted or from the index) is known
    cost: np.ndarray  # our cost in price units (see cost_prices)
    amount: np.ndarray
    ref_sd: np.ndarray | None = None  # log-scale scatter of ``ref`` (index-based prices; 0 or None: known)

    def __post_init__(self) -> None:
        if self.ref_sd is None:
            self.ref_sd = np.zeros(len(self.our))


def optimise(model: WinModel, bids: Priced, settings: BidSettings) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Recommendations (one row per bid), curves (grid rows) and the draws of each bid's gain ``(n, D)``."""
    base = model.base_logit(bids.frame, bids.priced)
    our, cost, amount, ref = bids.our, bids.cost, bids.amount, bids.ref
    floor, ceiling = price_bounds(our, cost, settings)
    sd = bids.ref_sd
    rec, low, high = best_price(base, model.slope, ref, our, cost, amount, floor, ceiling, settings.near_best_pct, sd)
    p_cur = win_probability(base, model.slope, np.log(our / ref), sd)
    p_rec = win_probability(base, model.slope, np.log(rec / ref), sd)
    em_cur = expected_margin(p_cur, our, our, cost, amount)
    em_rec = expected_margin(p_rec, rec, our, cost, amount)
    by_discount = our * (1 - settings.max_discount_pct) >= cost / (1 - settings.min_margin_pct)
    floor_rule = np.where(
        by_discount,
        f"{settings.max_discount_pct:.0%} maximum discount",
        f"{settings.min_margin_pct:.0%} minimum margin",
    )
    rec_frame = pd.DataFrame(
        {
            "floor_rule": floor_rule,
            "ceiling_rule": f"{settings.max_increase_pct:.0%} maximum rise",
            "recommended_price": rec,
            "price_low": low,
            "price_high": high,
            "floor_price": floor,
            "ceiling_price": ceiling,
            "cost_price": cost,
            "p_win_current": p_cur,
            "p_win_recommended": p_rec,
            "expected_margin_current": em_cur,
            "expected_margin_recommended": em_rec,
            "expected_margin_gain": em_rec - em_cur,
        },
        index=bids.frame.index,
    )
    curves, gains, best_lo, best_hi = _posterior(model, bids, base, rec, floor, ceiling, settings)
    rec_frame["price_low"] = np.minimum(rec_frame["price_low"], best_lo)
    rec_frame["price_high"] = np.maximum(rec_frame["price_high"], best_hi)
    rec_frame["expected_margin_gain_low"], rec_frame["expected_margin_gain_high"] = np.quantile(
        gains, [0.05, 0.95], axis=1
    )
    return keep_current(rec_frame, our, gains), curves, gains


KEEP_IN_RANGE = "in range"  # keep_basis: the current price lies in the good range
KEEP_UNCERTAIN = "gain not certain"  # keep_basis: the best price gains in fewer than KEEP_CONFIDENCE of the draws
KEEP_CONFIDENCE = 2 / 3  # share of posterior draws in which a change must gain margin to be recommended


def keep_current(rec: pd.DataFrame, our: np.ndarray, gains: np.ndarray) -> pd.DataFrame:
    """``rec`` with the bids whose current price should stand set back to it ("keep").

    A bid keeps its price when that price (not below the floor) lies in the good range
    (``price_low``-``price_high``), or when the best price gains margin in fewer than
    :data:`KEEP_CONFIDENCE` of the price response's posterior draws (the change is not clearly
    better; the rule of the 90% band including zero kept bids whose gain was positive in 9 of 10
    draws, and on the demo left 25k of the planted response's gain unclaimed). Such a bid's recommended price is its current
    price, with its P(win) and expected margin, and a gain of 0 (also in every row of ``gains``,
    changed in place). ``keep_basis`` says which (:data:`KEEP_IN_RANGE`, :data:`KEEP_UNCERTAIN`,
    "" for a change); ``best_price``, ``best_gain``, ``best_gain_low``/``_high`` keep what the
    change would have been (the reasons quote them)."""
    rec = rec.copy()
    lo, hi = rec["price_low"].to_numpy(float), rec["price_high"].to_numpy(float)
    g_lo, g_hi = rec["expected_margin_gain_low"].to_numpy(float), rec["expected_margin_gain_high"].to_numpy(float)
    allowed = our >= rec["floor_price"].to_numpy(float) - 1e-9
    in_range = allowed & (our >= lo - 1e-9) & (our <= hi + 1e-9)
    positive = (gains > 0).mean(axis=1) if gains.size else np.zeros(len(our))
    uncertain = allowed & ~in_range & (positive < KEEP_CONFIDENCE)
    rec["best_gain_positive"] = positive
    keep = in_range | uncertain
    rec["keep_basis"] = np.where(in_range, KEEP_IN_RANGE, np.where(uncertain, KEEP_UNCERTAIN, ""))
    rec["best_price"] = rec["recommended_price"]
    rec["best_gain"] = rec["expected_margin_gain"]
    rec["best_gain_low"], rec["best_gain_high"] = g_lo, g_hi
    if keep.any():
        rec.loc[keep, "recommended_price"] = our[keep]
        rec.loc[keep, "p_win_recommended"] = rec.loc[keep, "p_win_current"]
        rec.loc[keep, "expected_margin_recommended"] = rec.loc[keep, "expected_margin_current"]
        for col in ("expected_margin_gain", "expected_margin_gain_low", "expected_margin_gain_high"):
            rec.loc[keep, col] = 0.0
        gains[keep] = 0.0
    return rec


def _posterior(model, bids: Priced, base, rec, floor, ceiling, settings: BidSettings):
    """Curves with bands, the gain per posterior draw, and the 10-90% range of the best price.

    Each draw takes the price response from the model's posterior and, for an index-priced bid,
    the competitor's log price from its scatter (``ref_sd``) around the estimate."""
    g = settings.grid_points
    prices = grid(floor, ceiling, g)
    n = len(prices)
    gains = np.empty((n, model.n_draws))
    best_lo, best_hi = np.empty(n), np.empty(n)
    p_lo, p_hi = np.empty((n, g)), np.empty((n, g))
    draw_base, slopes = model.draws(bids.frame, bids.priced)
    if (bids.ref_sd > 0).any():
        z = np.random.default_rng(model.seed + 1).standard_normal(draw_base.shape)
        # log(competitor price / estimate) e in each draw: slope x (log(p / ref) - e) moves into the base
        draw_base = draw_base - slopes[None, :] * (bids.ref_sd[:, None] * z)
    for s in range(0, n, CHUNK):
        sl = slice(s, min(s + CHUNK, n))
        ref, our, cost, amount = bids.ref[sl], bids.our[sl], bids.cost[sl], bids.amount[sl]
        lx = np.log(prices[sl] / ref[:, None])  # (b, g)
        pw = expit(draw_base[sl][:, :, None] + slopes[None, :, None] * lx[:, None, :])  # (b, D, g)
        p_lo[sl], p_hi[sl] = np.quantile(pw, [0.05, 0.95], axis=1)
        em = expected_margin(pw, prices[sl][:, None, :], our[:, None, None], cost[:, None, None], amount[:, None, None])
        best = prices[sl][np.arange(len(ref))[:, None], em.argmax(axis=2)]  # (b, D)
        best_lo[sl], best_hi[sl] = np.quantile(best, [0.10, 0.90], axis=1)
        lc, lr_ = np.log(our / ref), np.log(rec[sl] / ref)
        p_c = expit(draw_base[sl] + slopes[None, :] * lc[:, None])
        p_r = expit(draw_base[sl] + slopes[None, :] * lr_[:, None])
        gains[sl] = expected_margin(p_r, rec[sl][:, None], our[:, None], cost[:, None], amount[:, None]) - (
            expected_margin(p_c, our[:, None], our[:, None], cost[:, None], amount[:, None])
        )
    p = win_probability(base, model.slope, np.log(prices / bids.ref[:, None]), bids.ref_sd)
    p_lo, p_hi = np.minimum(p_lo, p), np.maximum(p_hi, p)  # the band holds the estimate (a skewed spread may not)
    em = expected_margin(p, prices, bids.our[:, None], bids.cost[:, None], bids.amount[:, None])
    curves = pd.DataFrame(
        {
            "opportunity_id": np.repeat(bids.frame["opportunity_id"].to_numpy(), g),
            "account_id": np.repeat(bids.frame["account_id"].to_numpy(), g),
            "price": prices.ravel(),
            "p_win": p.ravel(),
            "p_win_low": p_lo.ravel(),
            "p_win_high": p_hi.ravel(),
            "expected_margin": em.ravel(),
        }
    )
    return curves, gains, best_lo, best_hi
