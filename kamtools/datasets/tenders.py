"""Recurring tenders: some accounts put one category out to tender about once a year.

Each such account tenders one category (its main one most of the time) every 12 months give or
take one, from a month in its first year as a customer until a full churn ends it; a tender is one
opportunity, or two or three lots opened within three weeks, bid and decided like every other
opportunity (the same price response). A won tender often records its contract end: the month of
the next tender plus two to four months (the buyer's lead time before the old contract runs out).
The schedule runs a year past ``as_of`` so the planted truth holds the tenders still to come.

Everything is drawn from a stream of its own (``GenState.tender_rng``), so the other tables and the
other planted truths are what they were before tenders were planted; only the opportunities table
gains rows (all of them renumbered by date) and the ``contract_end`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import _dates, _ids, _nat_dates, _str
from .bids import bid_stages, competitor_names, loss_reasons, priced_bids
from .catalogue import CATEGORY_NAMES, SEGMENTS
from .state import GenState

TENDER_SHARE = 0.2  # accounts that tender one category yearly
MAIN_CATEGORY_SHARE = 0.7  # their tendered category is their main one, else another they buy
LOTS_SHARE = 0.25  # tenders split into two or three lots (opportunities opened within LOT_DAYS days)
LOT_DAYS = 21
CONTRACT_END_SHARE = 0.6  # won tenders whose contract end is recorded in the CRM
LEAD_MONTHS = (2, 3, 4)  # the next tender comes this many months before the contract ends
FUTURE_MONTHS = 12  # the schedule runs this far past as_of (in the truth only)


def _schedule(s: GenState, rng: np.random.Generator) -> pd.DataFrame:
    """One row per planted tender: account index, category index, month index, the month of the
    next tender (planned even after a churn ends the schedule) and the tender's value."""
    n, M = s.n, s.M
    chosen = np.nonzero(rng.random(n) < TENDER_SHARE)[0]
    rows = []
    for a in chosen:
        owned = np.nonzero(s.owned0[a])[0]
        others = owned[owned != s.main_cat[a]]
        cat = s.main_cat[a] if (rng.random() < MAIN_CATEGORY_SHARE or not len(others)) else rng.choice(others)
        yearly = s.base[a] * rng.uniform(0.15, 0.35)
        month = int(max(s.start_month[a], 0) + rng.integers(0, 12))
        stop = min(int(s.churn_month[a]) if s.churn_full[a] else M + FUTURE_MONTHS, M + FUTURE_MONTHS)
        while month < stop:
            nxt = month + 12 + int(rng.integers(-1, 2))
            value = max(round(yearly * rng.lognormal(0, 0.1), -2), 100.0)
            rows.append((a, cat, month, nxt, value))
            month = nxt
    plan = pd.DataFrame(rows, columns=["a", "cat", "m", "next_m", "value"])
    return plan.astype({"a": np.int64, "cat": np.int64, "m": np.int64, "next_m": np.int64, "value": float})


def _month_start(s: GenState, m: np.ndarray) -> np.ndarray:
    """Day (since 1970) of the first of history month ``m`` (any month, also after the grid)."""
    first = np.datetime64(int(s.month_days[0]), "D").astype("datetime64[M]")
    return (first + np.asarray(m, dtype=np.int64)).astype("datetime64[D]").astype(np.int64)


def plant_tenders(s: GenState, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bids of the planted tenders in the columns of the opportunities table, the tender schedule
    for the truth). Bids are opened on or before ``as_of``; the schedule runs past it."""
    plan = _schedule(s, rng)
    t = len(plan)
    month_len = _month_start(s, plan["m"] + 1) - _month_start(s, plan["m"])
    start = _month_start(s, plan["m"]) + (rng.random(t) * month_len).astype(np.int64)
    n_lots = np.where(rng.random(t) < LOTS_SHARE, rng.integers(2, 4, t), 1)
    ends_known = rng.random(t) < CONTRACT_END_SHARE
    lead = rng.choice(LEAD_MONTHS, size=t)
    # contract end: the last day of the month LEAD months after the next tender's month
    contract_end = _month_start(s, plan["next_m"] + lead + 1) - 1
    # the lots: the first on the tender's day, the others within LOT_DAYS days; the value split among them
    tid = np.repeat(np.arange(t), n_lots)
    first = np.r_[True, tid[1:] != tid[:-1]] if len(tid) else np.zeros(0, bool)
    created = start[tid] + np.where(first, 0, rng.integers(1, LOT_DAYS + 1, len(tid)))
    share = rng.uniform(0.5, 1.5, len(tid))
    share = share / np.bincount(tid, weights=share, minlength=t)[tid]
    amount = np.maximum(np.round(plan["value"].to_numpy()[tid] * share, -2), 100.0)
    bids = _bid(s, rng, plan["a"].to_numpy()[tid], plan["m"].to_numpy()[tid], created)
    bids["category"] = _str(np.array(CATEGORY_NAMES)[plan["cat"].to_numpy()[tid]])
    bids["amount"] = amount.astype(float)
    won = (bids["status"] == "won").to_numpy()
    bids["contract_end"] = _nat_dates(np.where(won & ends_known[tid], contract_end[tid], np.iinfo(np.int64).min))
    bids["_account"] = plan["a"].to_numpy()[tid]
    seen = created <= s.as_of_day
    bids = bids[seen].reset_index(drop=True)
    # the schedule (truth): per tender its first day, value, lots, outcome and recorded contract end
    tid, amount = tid[seen], amount[seen]
    outcomes = np.array(["after as_of", "lost", "open", "won"], dtype=object)  # a tender is won when a lot is
    rank = np.zeros(t, dtype=np.int64)
    np.maximum.at(rank, tid, pd.Index(outcomes).get_indexer(bids["status"].to_numpy()))
    status = outcomes[rank]
    recorded = np.full(t, np.iinfo(np.int64).min)
    has_end = bids["contract_end"].notna().to_numpy()
    recorded[tid[has_end]] = contract_end[tid[has_end]]
    truth = pd.DataFrame(
        {
            "account_id": _str(s.acc_ids[plan["a"].to_numpy()]),
            "category": _str(np.array(CATEGORY_NAMES)[plan["cat"].to_numpy()]),
            "tender_date": _dates(start),
            "value": np.bincount(tid, weights=amount, minlength=t) if len(tid) else np.zeros(t),
            "n_lots": n_lots.astype(np.int64),
            "status": _str(status),
            "contract_end": _nat_dates(recorded),
        }
    )
    future = truth["status"] == "after as_of"
    truth.loc[future, "value"] = plan.loc[future, "value"].to_numpy()
    truth = truth.sort_values(["tender_date", "account_id"], kind="stable").reset_index(drop=True)
    return bids, truth


def _bid(s: GenState, rng: np.random.Generator, a: np.ndarray, m: np.ndarray, created: np.ndarray) -> pd.DataFrame:
    """Competitor, prices, outcome and stage of each bid, by the rules of the other opportunities
    (the same helpers as :func:`kamtools.datasets.bids.make_opportunities`: the same price response)."""
    k, M = len(a), s.M
    hist = np.minimum(m, M - 1)
    att = (hist >= s.attack_month[a]) & (s.attacker[a] >= 0)
    sig = (s.signal[a, hist] | s.after_churn[a, hist]) & (m < M)
    strategic = s.segment[a] == SEGMENTS.index("strategic_growing")
    bid = priced_bids(rng, att, s.attacker[a], sig, strategic)
    close = created + np.round(rng.lognormal(np.log(60), 0.6, k)).astype(np.int64) + 5
    status, stage, prob = bid_stages(rng, bid.won, close <= s.as_of_day)
    reason = loss_reasons(rng, bid, sig, status)
    return pd.DataFrame(
        {
            "account_id": _str(s.acc_ids[a]),
            "created_date": _dates(created),
            "close_date": _dates(close),
            "stage": _str(stage),
            "status": _str(status),
            "probability": prob.astype(float),
            "our_price": bid.our_price.astype(float),
            "competitor": _str(competitor_names(bid)),
            "competitor_price": np.where(bid.unknown, np.nan, bid.comp_price).astype(float),
            "loss_reason": _str(reason),
        }
    )


def add_tenders(s: GenState, opportunities: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The opportunities table with the planted tenders' bids among them (every row renumbered in
    order of created date, then account), the ``contract_end`` column, and the tender schedule."""
    bids, schedule = plant_tenders(s, s.tender_rng)
    order_of = pd.Series(np.arange(s.n), index=pd.Index(s.acc_ids[: s.n]))
    base = opportunities.assign(
        contract_end=pd.Series(pd.NaT, index=opportunities.index, dtype="datetime64[ns]"),
        _account=order_of.reindex(opportunities["account_id"].to_numpy()).to_numpy(),
    )
    both = pd.concat([base.drop(columns="opportunity_id"), bids], ignore_index=True)
    both["_source"] = np.r_[np.zeros(len(base), np.int64), np.ones(len(bids), np.int64)]
    both = both.sort_values(["created_date", "_account", "_source"], kind="stable").reset_index(drop=True)
    both.insert(0, "opportunity_id", _str(_ids("OP-", len(both), 5)))
    columns = [*opportunities.columns, "contract_end"]
    return both[columns], schedule
