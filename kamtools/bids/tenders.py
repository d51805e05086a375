"""The tender calendar: when each account is expected to tender a category next, from two sources.

**A recurring rhythm.** An account's bids in one category are grouped into tenders: a bid opens a
tender, and the bids of the account and category opened within :data:`SAME_TENDER_DAYS` days of that
first bid (a fixed window, not chained from bid to bid) and worth within :data:`LOT_VALUE_RATIO` of it
are its other lots. When the account has at least :data:`MIN_TENDERS` tenders of a category (five
for a half-yearly rhythm: every rhythm spans two years or more) and the gaps between them
are regular (yearly: median 10-14 months, every gap within 3 months of it; half-yearly:
median 5-7 months, every gap within 1.5 months), the next tenders are predicted by adding
the median gap to the last one, and kept when they fall after the as-of date and within
:data:`HORIZON_MONTHS` months. Expected value: the median value of the past tenders.
Confidence: "high" with 4 or more tenders whose gaps are all within 1 month of the median,
"medium" within 2 months, else "low"; one step lower when a predicted tender before the
as-of date is missing from the data (and no prediction at all when two or more are). A tender of
the category of another value opened within the rhythm's tolerance of such a month is not counted
as missing (the basis names it).

**A contract end.** A won opportunity whose ``contract_end`` (optional column) lies after the
as-of date predicts the renewal tender of that account and category :data:`RFQ_LEAD_MONTHS`
months before the contract ends (kept within :data:`HORIZON_MONTHS` months), worth what the
tender it was won in was worth: all its lots, won or lost (the won opportunities of one account and
category ending in the same month are one contract). Confidence "high": the end date is a fact. When that month has passed and no
opportunity of the account and category was opened since :data:`RFQ_LEAD_MONTHS` + 2 months before
the contract end, the tender is due now (expected the month after the as-of date); when one was
opened, the renewal tender is under way and is not predicted again.

When both sources predict a tender of the same account and category within
:data:`SAME_TENDER_MONTHS` months, one row is kept: the contract end's (a fact), its basis naming
both; the ``source`` column says which ("contract end", "rhythm", "contract end and rhythm"). The
rhythm's later tenders are then counted on from the contract end's tender (its expected month plus the
rhythm's interval), not from the rhythm's own last tender.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio

SAME_TENDER_DAYS = 21
"""The lots of one tender are opened within this many days of its first lot (a fixed window from the first
bid, not chained: a stream of ordinary bids of the category does not run together into one tender)."""
LOT_VALUE_RATIO = 3.0
"""The lots of one tender are worth within this factor of each other (a much larger or smaller bid of the
category opened in the same weeks is another business)."""
MIN_TENDERS = 3
HORIZON_MONTHS = 18
DAYS_PER_MONTH = 365.25 / 12
RFQ_LEAD_MONTHS = 3
"""Months between the RFQ of a contract's renewal and the end of the contract: a buyer needs about a
quarter to collect and compare bids, award the contract and hand over before the old one runs out."""
VALUE_RATIO = 2.0
"""The tenders of one rhythm are of about the same scope: each is worth within this factor of the one
before (a much smaller or larger bid of the category in between is another business)."""
SAME_TENDER_MONTHS = 3
"""A rhythm's predicted tender within this many months of a contract end's is the same tender."""
_RHYTHMS = (("about yearly", 10.0, 14.0, 3.0, 3), ("about every six months", 5.0, 7.0, 1.5, 5))
"""(words, shortest and longest median gap in months, largest distance of a gap from the median, fewest
tenders): every rhythm spans two years or more, as a handful of ordinary bids of a category an account buys
often falls about six months apart by chance within one year."""
_LEVELS = ("low", "medium", "high")
COLUMNS = [
    "account_id",
    "category",
    "expected_month",
    "expected_value",
    "last_tender_date",
    "n_past_tenders",
    "interval_months",
    "basis",
    "confidence",
    "source",
    "contract_end",
]
SOURCES = ("rhythm", "contract end", "contract end and rhythm")


def _months_text(months: list[str]) -> str:
    if len(months) > 4:
        return f"{months[0]}, ..., {months[-2]} and {months[-1]} ({len(months)} times)"
    return ", ".join(months[:-1]) + f" and {months[-1]}"


def _tender_ids(frame: pd.DataFrame) -> np.ndarray:
    """The tender of each bid of ``frame`` (sorted by account, category and created date): a bid not yet in a
    tender opens one, and the later bids of the account and category opened within :data:`SAME_TENDER_DAYS`
    days of it and worth within :data:`LOT_VALUE_RATIO` of it are its other lots."""
    key = (frame["account_id"].astype("str") + "\x1f" + frame["category"].astype("str")).to_numpy(dtype=object)
    days = frame["created_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    value = frame["amount"].to_numpy(dtype=float)
    n = len(frame)
    ids = np.full(n, -1, dtype=np.int64)
    count = 0
    for i in range(n):
        if ids[i] >= 0:
            continue
        ids[i] = count
        j = i + 1
        while j < n and key[j] == key[i] and days[j] - days[i] <= SAME_TENDER_DAYS:
            lo, hi = sorted((abs(value[i]), abs(value[j])))
            if ids[j] < 0 and hi <= LOT_VALUE_RATIO * lo:
                ids[j] = count
            j += 1
        count += 1
    return ids


def _tender_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per tender (see :func:`_tender_ids`): account_id, category, start (first bid), value (sum of its
    bids, won or lost), lots (its number of bids)."""
    return _tenders_of(frame)[0]


def _tenders_of(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """(:func:`_tender_table`, the row number in that table of each bid of ``frame``, on its index)."""
    frame = frame.sort_values(["account_id", "category", "created_date"], kind="stable")
    ids = _tender_ids(frame)
    table = (
        frame.groupby(ids, sort=True)
        .agg(
            account_id=("account_id", "first"),
            category=("category", "first"),
            start=("created_date", "min"),
            value=("amount", "sum"),
            lots=("amount", "size"),
        )
        .reset_index(drop=True)
    )
    return table, pd.Series(ids, index=frame.index)


def _chain(months: np.ndarray, values: np.ndarray, low: float, high: float) -> list[int]:
    """Positions of the longest chain of tenders (``months``: their starts in months, ascending) whose
    consecutive gaps lie within ``low``-``high`` months and whose values are within :data:`VALUE_RATIO`
    of the previous one's; the one worth most in all when several are as long. Bids in between that do not fit
    (an ordinary quote of the category) are left out of the chain."""
    k = len(months)
    best, prev, total = [1] * k, [-1] * k, list(values)
    for i in range(1, k):
        for j in range(i):
            gap = months[i] - months[j]
            lo, hi = sorted((values[i], values[j]))
            if (
                low <= gap <= high
                and hi <= VALUE_RATIO * lo
                and (best[j] + 1, total[j]) > (best[i] - 1, total[i] - values[i])
            ):
                best[i], prev[i], total[i] = best[j] + 1, j, total[j] + values[i]
    i = max(range(k), key=lambda p: (best[p], total[p], p))
    chain = []
    while i >= 0:
        chain.append(i)
        i = prev[i]
    return chain[::-1]


@dataclass(frozen=True)
class _Rhythm:
    """The regular tenders of one account and category (see :func:`_rhythms`)."""

    account_id: str
    category: str
    starts: list[pd.Timestamp]  # the tenders of the rhythm, in order
    values: np.ndarray
    median: float  # median gap, months
    spread: float  # largest distance of a gap from the median, months
    words: str  # "about yearly", ...
    within: float  # largest distance of a gap from the median for this kind of rhythm, months
    others: list[pd.Timestamp]  # starts of the account's other tenders of the category, left out of the rhythm


def _rhythms(tenders: pd.DataFrame) -> list[_Rhythm]:
    """Every account and category with a regular rhythm of :data:`MIN_TENDERS` or more tenders
    (``tenders`` as :func:`_tender_table` makes it: sorted by account, category and start)."""
    acc = tenders["account_id"].to_numpy(dtype=object)
    cat = tenders["category"].to_numpy(dtype=object)
    days = tenders["start"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    value = tenders["value"].to_numpy(dtype=float)
    new = np.r_[True, (acc[1:] != acc[:-1]) | (cat[1:] != cat[:-1])] if len(acc) else np.zeros(0, bool)
    bounds = np.r_[np.flatnonzero(new), len(acc)]
    out = []
    for b, e in zip(bounds[:-1], bounds[1:], strict=True):
        if e - b < MIN_TENDERS:
            continue
        months = (days[b:e] - days[b]) / DAYS_PER_MONTH
        for words, low, high, within, fewest in _RHYTHMS:
            pos = _chain(months, value[b:e], low, high)
            if len(pos) < max(MIN_TENDERS, fewest):
                continue
            gaps = np.diff(months[pos])
            median = float(np.median(gaps))
            spread = float(np.abs(gaps - median).max())
            if low <= median <= high and spread <= within:
                every = [pd.Timestamp(d) for d in days[b:e].astype("datetime64[D]")]
                starts = [every[p] for p in pos]
                others = [d for p, d in enumerate(every) if p not in set(pos)]
                out.append(_Rhythm(acc[b], cat[b], starts, value[b:e][pos], median, spread, words, within, others))
                break
    return out


def _predict(r: _Rhythm, as_of: pd.Timestamp) -> list[dict]:
    """Predicted tenders of one account and category with a regular rhythm."""
    n = len(r.starts)
    level = 2 if (n >= 4 and r.spread <= 1) else 1 if r.spread <= 2 else 0
    step = pd.DateOffset(months=int(round(r.median)))
    last = r.starts[-1]
    nxt, missed, near = last + step, 0, []
    while nxt <= as_of:
        # a tender of the category opened near the expected month (of another value) is not a missing tender
        close = [d for d in r.others if abs((d - nxt).days) <= r.within * DAYS_PER_MONTH]
        if close:
            near.append((nxt, close[0]))
        else:
            missed += 1
        nxt = nxt + step
    if missed > 1:  # the rhythm has broken: more than one expected tender is not in the data
        return []
    months = [d.strftime("%Y-%m") for d in r.starts]
    basis = f"tendered {r.category} in {_months_text(months)}: {r.words}"
    if r.others:
        k = len(r.others)
        basis += f" ({k:,} other {'tender' if k == 1 else 'tenders'} of the category apart, of other values)"
    for expected, seen in near:
        basis += (
            f"; the tender expected about {expected:%Y-%m} may be the one of the category opened {seen:%Y-%m}"
            " (of another value)"
        )
    if missed:
        basis += "; the last expected tender is not in the data"
    out = []
    while nxt <= as_of + pd.DateOffset(months=HORIZON_MONTHS):
        out.append(
            {
                "account_id": r.account_id,
                "category": r.category,
                "expected_month": nxt.to_period("M").start_time,
                "expected_value": float(np.median(r.values)),
                "last_tender_date": last,
                "n_past_tenders": n,
                "interval_months": round(r.median, 1),
                "basis": basis,
                "confidence": _LEVELS[max(level - missed, 0)],
                "source": SOURCES[0],
                "contract_end": pd.NaT,
            }
        )
        nxt = nxt + step
    return out


def _contracts(opp: pd.DataFrame, tender_of: pd.Series, tenders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The contracts we hold that end after ``as_of``: one row per account, category and end month, worth what
    the tenders they were won in were worth (all their lots, won or lost: ``value``, ``lots``; ``tender_of``: the
    row of ``tenders`` of each bid), the last created date of their won opportunities as ``won_date``."""
    won = opp[(opp["status"].astype("str") == "won") & opp["contract_end"].notna() & (opp["contract_end"] > as_of)]
    cols = ["account_id", "category", "end_month", "contract_end", "value", "lots", "won_value", "won_date"]
    if won.empty:
        return pd.DataFrame(columns=cols)
    won = won.assign(end_month=won["contract_end"].dt.to_period("M").dt.start_time, tender=tender_of.reindex(won.index))
    rows = []
    for (acc, cat, end_month), g in won.groupby(["account_id", "category", "end_month"], sort=True):
        t = tenders.iloc[g["tender"].dropna().astype(np.int64).unique()]
        rows.append(
            {
                "account_id": acc,
                "category": cat,
                "end_month": end_month,
                "contract_end": g["contract_end"].max(),
                "value": max(float(t["value"].sum()), float(g["amount"].sum())),
                "lots": max(int(t["lots"].sum()), len(g)),
                "won_value": float(g["amount"].sum()),
                "won_date": g["created_date"].max(),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _contract_rows(opp: pd.DataFrame, tenders: pd.DataFrame, tender_of: pd.Series, as_of: pd.Timestamp) -> list[dict]:
    """Predicted renewal tenders of the contracts that end after ``as_of`` (see module docstring)."""
    contracts = _contracts(opp, tender_of, tenders, as_of)
    if contracts.empty:
        return []
    next_month = (as_of + pd.Timedelta(days=1)).to_period("M").start_time
    last_month = as_of + pd.DateOffset(months=HORIZON_MONTHS)
    past = tenders.groupby(["account_id", "category"], sort=False)["start"].agg(["size", "max"])
    latest = opp.groupby(["account_id", "category"], sort=False)["created_date"].max()
    rows = []
    for c in contracts.itertuples(index=False):
        expected = c.end_month - pd.DateOffset(months=RFQ_LEAD_MONTHS)
        if expected > last_month:
            continue
        basis = f"contract end {c.contract_end:%Y-%m} (won {c.won_date:%Y-%m}): RFQ expected {RFQ_LEAD_MONTHS} months before"
        if c.lots > 1 and c.value > c.won_value:
            basis += (
                f"; worth the whole tender it was won in ({c.lots:,} lots, won and lost), "
                f"{c.won_value:,.0f} of it won by us"
            )
        if expected < next_month:  # the RFQ is due: has it come?
            since = c.end_month - pd.DateOffset(months=RFQ_LEAD_MONTHS + 2)
            last_opened = latest.get((c.account_id, c.category), pd.NaT)
            if pd.notna(last_opened) and last_opened >= since and last_opened > c.won_date:
                continue  # the renewal tender is under way: it is in the opportunities table
            basis += f"; due since {expected:%Y-%m} and not in the data yet"
            expected = next_month
        n, last = past.loc[(c.account_id, c.category)] if (c.account_id, c.category) in past.index else (0, pd.NaT)
        rows.append(
            {
                "account_id": c.account_id,
                "category": c.category,
                "expected_month": expected,
                "expected_value": float(c.value),
                "last_tender_date": last,
                "n_past_tenders": int(n),
                "interval_months": np.nan,
                "basis": basis,
                "confidence": _LEVELS[2],
                "source": SOURCES[1],
                "contract_end": c.contract_end,
            }
        )
    return rows


def _merge(rhythm: list[dict], contract: list[dict], as_of: pd.Timestamp) -> list[dict]:
    """Both lists, a rhythm's tender within :data:`SAME_TENDER_MONTHS` months of a contract end's of
    the same account and category folded into the contract end's row, and the rhythm's later tenders
    counted on from the contract end's tender (its expected month plus the rhythm's interval) instead of
    from the rhythm's last tender."""
    if not contract:
        return rhythm
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for c in contract:
        by_pair.setdefault((c["account_id"], c["category"]), []).append(c)
    kept, anchored = [], {}
    for r in rhythm:
        pair = (r["account_id"], r["category"])
        ends = by_pair.get(pair, [])
        same = [
            c
            for c in ends
            if abs((r["expected_month"] - c["expected_month"]).days) <= SAME_TENDER_MONTHS * DAYS_PER_MONTH
        ]
        if ends:
            anchored.setdefault(pair, r)
        if same:
            c = same[0]
            if c["source"] == SOURCES[1]:
                c["basis"] += f"; also {r['basis']}"
                c["source"] = SOURCES[2]
                c["interval_months"] = r["interval_months"]
        elif not any(r["expected_month"] > c["expected_month"] for c in ends):
            kept.append(r)
    last_month = as_of + pd.DateOffset(months=HORIZON_MONTHS)
    for pair, r in anchored.items():
        c = max(by_pair[pair], key=lambda row: row["expected_month"])
        step = pd.DateOffset(months=int(round(r["interval_months"])))
        nxt = c["expected_month"] + step
        while nxt <= last_month:
            kept.append(
                r
                | {
                    "expected_month": nxt,
                    "basis": f"{r['basis']}; counted on from the contract end's tender of {c['expected_month']:%Y-%m}",
                }
            )
            nxt = nxt + step
    return kept + contract


def tender_calendar(portfolio: Portfolio) -> pd.DataFrame | NotAvailable:
    """Predicted tenders after the as-of date, from recurring rhythms and contract ends (see module docstring)."""
    if not portfolio.has("opportunities"):
        return NotAvailable("No opportunities table was supplied, so past tenders are unknown.")
    opp = portfolio.tables["opportunities"]
    if "category" not in opp.columns:
        return NotAvailable("The opportunities table has no category column, so recurring tenders cannot be seen.")
    opp = opp[opp["category"].notna() & (opp["created_date"] <= portfolio.as_of)]
    if "contract_end" not in opp.columns:  # an optional column: absent = no contract end known
        opp = opp.assign(contract_end=pd.Series(pd.NaT, index=opp.index, dtype="datetime64[ns]"))
    frame = pd.DataFrame(
        {
            "account_id": opp["account_id"],
            "category": opp["category"].astype("str"),
            "created_date": opp["created_date"],
            "amount": opp["amount"].astype(float),
        }
    )
    tenders, tender_of = _tenders_of(frame)
    rows: list[dict] = []
    for rhythm in _rhythms(tenders):
        rows.extend(_predict(rhythm, portfolio.as_of))
    contract_opp = opp.assign(category=opp["category"].astype("str"))
    rows = _merge(rows, _contract_rows(contract_opp, tenders, tender_of, portfolio.as_of), portfolio.as_of)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["expected_month"] = pd.to_datetime(out["expected_month"]).astype("datetime64[ns]")
    out["last_tender_date"] = pd.to_datetime(out["last_tender_date"]).astype("datetime64[ns]")
    out["contract_end"] = pd.to_datetime(out["contract_end"]).astype("datetime64[ns]")
    out["n_past_tenders"] = out["n_past_tenders"].astype(np.int64)
    out["interval_months"] = out["interval_months"].astype(float)
    for col in ("account_id", "category", "basis", "confidence", "source"):
        out[col] = out[col].astype("str")
    return out.sort_values(["expected_month", "account_id", "category"], kind="stable").reset_index(drop=True)
