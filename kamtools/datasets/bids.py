"""Bids and competitors: opportunities won or lost against a competitor's price (the attacker of an
attacked account most of the time), and the competitors' price sightings in the market and at
accounts."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .arrays import _dates, _ids, _sample_rows, _str
from .catalogue import _COMPETITOR_FREQ, _COMPETITORS, _LOSS_REASONS_OTHER, CATEGORY_NAMES, SEGMENTS
from .state import GenState


def make_opportunities(s: GenState) -> pd.DataFrame:
    """Opportunities per account and month: more in a signal window, won or lost on our price against
    the competitor's (the attacker's at an attacked account), a loss reason, open ones at a stage."""
    rng, M = s.rng, s.M
    a, m, created, close = _bid_dates(s)
    k = len(a)
    attacked = np.arange(M)[None, :] >= s.attack_month[:, None]
    # category: mostly what they buy, sometimes a whitespace bid
    owned_w = s.owned0[a].astype(float) + 0.08
    cat = _sample_rows(rng, owned_w, np.arange(k))
    # competitor, prices and outcome: the price response every demo bid follows
    att = attacked[a, m]
    sig = s.signal[a, m] | s.after_churn[a, m]
    strategic = s.segment[a] == SEGMENTS.index("strategic_growing")
    bid = priced_bids(rng, att, s.attacker[a], sig, strategic)
    decided = close <= s.as_of_day
    status, stage, prob = bid_stages(rng, bid.won, decided)
    amount = np.round(s.base[a] * rng.uniform(0.04, 0.3, k) * rng.lognormal(0, 0.3, k), -2)
    amount = np.maximum(amount, 100.0)
    reason = loss_reasons(rng, bid, sig, status)
    comp_price = np.where(bid.unknown, np.nan, bid.comp_price)
    o = np.lexsort((a, created))
    ids = _ids("OP-", k, 5)
    return pd.DataFrame(
        {
            "opportunity_id": _str(ids),
            "account_id": _str(s.acc_ids[a[o]]),
            "created_date": _dates(created[o]),
            "close_date": _dates(close[o]),
            "stage": _str(stage[o]),
            "status": _str(status[o]),
            "amount": amount[o].astype(float),
            "probability": prob[o].astype(float),
            "category": _str(np.array(CATEGORY_NAMES)[cat[o]]),
            "our_price": bid.our_price[o].astype(float),
            "competitor": _str(competitor_names(bid)[o]),
            "competitor_price": comp_price[o].astype(float),
            "loss_reason": _str(reason[o]),
        }
    )


class PricedBids(NamedTuple):
    """The competitor and prices of each bid and whether we win it (:func:`priced_bids`)."""

    comp: np.ndarray  # index into _COMPETITORS
    unknown: np.ndarray  # the competitor is not recorded
    our_price: np.ndarray  # price index, 100 = list
    comp_price: np.ndarray  # the competitor's price index
    rel: np.ndarray  # log of our price over theirs: > 0, we are more expensive
    won: np.ndarray  # the bid is won (if decided)


def priced_bids(
    rng: np.random.Generator, att: np.ndarray, attacker: np.ndarray, sig: np.ndarray, strategic: np.ndarray
) -> PricedBids:
    """The price response every demo bid follows, from one random stream in a fixed order.

    The competitor is the attacker (``attacker``, per bid) on four of five bids at an attacked
    account (``att``), else drawn by market presence, and unrecorded on 12%; our price and the
    competitor's are indices (the attacker undercuts deeper); the chance to win falls with our price
    above theirs (when known), in a signal window (``sig``) and rises at strategic accounts.
    """
    k = len(att)
    comp = rng.choice(len(_COMPETITORS), size=k, p=_COMPETITOR_FREQ)
    comp = np.where(att & (rng.random(k) < 0.8), attacker, comp)
    unknown = rng.random(k) < 0.12
    gap = np.array([c[1] for c in _COMPETITORS])[comp]
    our_price = np.round(100 * np.exp(rng.normal(0, 0.03, k)), 1)
    deeper = np.where(att, -0.025, 0.0)
    comp_price = np.round(our_price * np.exp(gap + deeper + rng.normal(0, 0.035, k)), 1)
    rel = np.log(our_price / comp_price)
    logit = 0.35 - 16.0 * np.where(unknown, 0.0, rel) - 1.1 * sig + 0.4 * strategic
    won = rng.random(k) < 1 / (1 + np.exp(-logit))
    return PricedBids(comp, unknown, our_price, comp_price, rel, won)


def bid_stages(
    rng: np.random.Generator, won: np.ndarray, decided: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status (won, lost, open), CRM stage and probability of each bid; an open bid's stage is drawn."""
    status = np.where(decided, np.where(won, "won", "lost"), "open")
    stage_open = rng.choice(3, size=len(won), p=[0.4, 0.35, 0.25])
    stage = np.where(
        status == "won",
        "Closed Won",
        np.where(status == "lost", "Closed Lost", np.array(["Qualification", "Proposal", "Negotiation"])[stage_open]),
    )
    prob = np.where(status == "won", 1.0, np.where(status == "lost", 0.0, np.array([0.2, 0.4, 0.6])[stage_open]))
    return status, stage, prob


def loss_reasons(rng: np.random.Generator, bid: PricedBids, sig: np.ndarray, status: np.ndarray) -> np.ndarray:
    """The loss reason of each lost bid (None on the others): mostly price where we were over 3% dearer
    than a known competitor, often the relationship in a signal window, else one of the other reasons."""
    k = len(status)
    other = np.array(_LOSS_REASONS_OTHER)[rng.choice(5, size=k, p=[0.35, 0.2, 0.2, 0.15, 0.1])]
    other = np.where(sig & (rng.random(k) < 0.5), "relationship", other)
    price_loss = (bid.rel > 0.03) & ~bid.unknown
    reason = np.where(price_loss & (rng.random(k) < 0.8), "price", other).astype(object)
    reason[status != "lost"] = None
    return reason


def competitor_names(bid: PricedBids) -> np.ndarray:
    """The competitor's name of each bid, None where it is not recorded."""
    names = np.array([c[0] for c in _COMPETITORS], dtype=object)[bid.comp]
    names[bid.unknown] = None
    return names


def _bid_dates(s: GenState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Account, month, created and close day of each opportunity: per account and month Poisson, more
    for larger accounts and in a signal window, few after a full churn."""
    rng, n, M = s.rng, s.n, s.M
    size_z = np.log(s.base / np.median(s.base))
    per_month = np.clip(0.18 + 0.09 * size_z, 0.04, 0.6)[:, None] * np.ones((1, M))
    per_month = np.where(s.signal, per_month * 2.0, per_month)
    per_month = np.where(s.after_churn & s.churn_full[:, None], per_month * 0.2, per_month)
    per_month = per_month * (np.arange(M)[None, :] >= s.start_month[:, None])
    counts = rng.poisson(per_month)
    cell = np.repeat(np.arange(n * M), counts.ravel())
    a, m = cell // M, cell % M
    k = len(a)
    created = s.month_days[m] + (rng.random(k) * s.n_days[m]).astype(np.int64)
    cycle = np.round(rng.lognormal(np.log(60), 0.6, k)).astype(np.int64) + 5
    return a, m, created, created + cycle


def make_competitor_prices(s: GenState) -> pd.DataFrame:
    """Competitor price sightings (index, our price = 100): market prices per category, competitor and
    month (AR(1) noise), deeper ones of an attacker at the accounts it attacks, a few elsewhere."""
    rng, M, C = s.rng, s.M, s.C
    K = len(_COMPETITORS)
    gap = np.array([c[1] for c in _COMPETITORS])
    offset = rng.normal(0, 0.015, (C, K))
    # AR(1) market noise per category x competitor over months
    eps = rng.normal(0, 0.008, (M, C, K))
    noise = np.zeros((M, C, K))
    for t in range(M):
        noise[t] = (0.8 * noise[t - 1] if t else 0) + eps[t]
    idx = 100 * np.exp(gap[None, None, :] + offset[None] + noise)
    mm, cc, kk = np.meshgrid(np.arange(M), np.arange(C), np.arange(K), indexing="ij")
    keep = rng.random(mm.shape) < 0.85  # not every competitor seen every month
    market = pd.DataFrame(
        {
            "day": s.month_days[mm[keep]],
            "acc": -1,
            "cat": cc[keep],
            "comp": kk[keep],
            "price_index": np.round(idx[keep], 1),
        }
    )
    # per-account sightings: attackers undercut deeper; a few random sightings elsewhere
    n = s.n
    att = np.nonzero(s.attacker >= 0)[0]
    n_obs = rng.integers(2, 7, len(att))
    aa = np.repeat(att, n_obs)
    mo = np.minimum(s.attack_month[aa] + rng.integers(0, 12, len(aa)), M - 1)
    rows_a = pd.DataFrame(
        {
            "day": s.month_days[mo] + (rng.random(len(aa)) * s.n_days[mo]).astype(np.int64),
            "acc": aa,
            "cat": s.main_cat[aa],
            "comp": s.attacker[aa],
            "price_index": np.round(100 * np.exp(gap[s.attacker[aa]] - 0.03 + rng.normal(0, 0.02, len(aa))), 1),
        }
    )
    others = np.nonzero(rng.random(n) < 0.12)[0]
    comp_o = rng.choice(K, size=len(others), p=_COMPETITOR_FREQ)
    mo = rng.integers(0, M, len(others))
    rows_o = pd.DataFrame(
        {
            "day": s.month_days[mo] + (rng.random(len(others)) * s.n_days[mo]).astype(np.int64),
            "acc": others,
            "cat": s.main_cat[others],
            "comp": comp_o,
            "price_index": np.round(100 * np.exp(gap[comp_o] + rng.normal(0, 0.03, len(others))), 1),
        }
    )
    df = pd.concat([market, rows_a, rows_o], ignore_index=True)
    df = df[df["day"] <= s.as_of_day].sort_values(["day", "acc", "cat", "comp"], kind="stable")
    acc = np.where(df["acc"].to_numpy() >= 0, s.acc_ids[np.maximum(df["acc"].to_numpy(), 0)].astype(object), None)
    return pd.DataFrame(
        {
            "date": _dates(df["day"].to_numpy()),
            "account_id": _str(acc),
            "category": _str(np.array(CATEGORY_NAMES)[df["cat"].to_numpy()]),
            "competitor": _str(np.array([c[0] for c in _COMPETITORS])[df["comp"].to_numpy()]),
            "price_index": df["price_index"].to_numpy(dtype=float),
        }
    )
