"""The bid desk's tables and sentences, built from bundle tables (no drawing): open bids with their recommended
price, the post-bid review of decided bids, the tenders ahead, the pipeline, the losses by competitor and the win
model's calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kamtools import display, formatting
from kamtools.competitors import UNKNOWN_COMPETITOR
from kamtools.plotting.style import money
from kamtools.sections.bids.common import _competitor, _kept, _m, _month, _months, _num, _pct, _price, _range, _text

OPEN_COLUMNS = {
    "bid_text": "Bid",
    "amount_text": "Value",
    "prices_text": "Our price (competitor's)",
    "recommended_text": "Recommended price (good range)",
    "floor_text": "Floor",
    "p_win_text": "P(win) now → recommended",
    "margin_text": "Expected margin now → recommended",
    "gain_text": "Gain (band)",
    "reason": "Why",
}
"""The open-bids table: nine columns, so it prints at a readable size on A4 (the bid's id, category and
competitor share one cell; our price and the competitor's another; the recommendation carries its range)."""


def _recommended(r: dict) -> str:
    """'93.5 (-2%; good 91.0 to 96.0)': the recommended price, its change on ours and the good range;
    'keep 100.8 (good 95.0 to 103.1)' for a bid that keeps its price (no range when it has none)."""
    rec, our = _num(r.get("recommended_price")), _num(r.get("our_price"))
    if _kept(r):
        lo, hi = _num(r.get("price_low")), _num(r.get("price_high"))
        rng = _range(lo, hi, _price) if hi - lo > 1e-9 else ""
        return f"keep {_price(our)}" + (f" (good {rng})" if rng else "")
    notes = []
    if our > 0 and not math.isnan(rec):
        notes.append(formatting.pct(rec / our - 1, signed=True, digits=0))
    lo, hi = _num(r.get("price_low")), _num(r.get("price_high"))
    rng = _range(lo, hi, _price) if hi - lo > 1e-9 else ""  # a bid raised to the floor only has no range
    if rng:
        notes.append(f"good {rng}")
    return _price(rec) + (f" ({'; '.join(notes)})" if notes else "")


def _their_price(r: dict) -> str:
    """The competitor's price as the table shows it: the quote, or the price from the index ('97.0, from the index')."""
    quoted = _price(r.get("competitor_price"))
    if quoted:
        return quoted
    used = _price(r.get("competitor_price_used"))
    return f"{used}, from the index" if used else "unknown"


POOLING_STARTS = (" The account's own ", " The account has no decided bids of its own")
"""How the pooling sentence of a reason (:func:`kamtools.bids.reasons.reasons`) begins."""


def split_pooling(reason: str) -> tuple[str, str]:
    """(the reason without its sentence on how the account's record was pooled, that sentence)."""
    cut = min((i for i in (reason.find(s) for s in POOLING_STARTS) if i >= 0), default=-1)
    if cut < 0:
        return reason, ""
    rest = reason[cut:]
    end = rest.find(".", rest.find("portfolio")) if "portfolio" in rest else -1
    end = len(rest) if end < 0 else end + 1
    return (reason[:cut] + rest[end:]).strip(), rest[:end].strip()


def pooling_note(recs: pd.DataFrame) -> str:
    """Said once above an account's open bids: how its own record was pooled with the portfolio's
    (the same for every open bid of the account); "" when the reasons do not say."""
    notes = [split_pooling(_text(r))[1] for r in recs.get("reason", pd.Series(dtype="str"))]
    notes = list(dict.fromkeys(n for n in notes if n))
    return notes[0] if len(notes) == 1 else ""


def open_bids_table(recs: pd.DataFrame, currency: str | None = None, pooled_once: bool = True) -> pd.DataFrame:
    """The open-bid rows as shown: prices, ranges and probabilities as text (largest gain first); a kept
    price reads 'keep 100.8' with no gain band. ``pooled_once``: the sentence on how the account's record was
    pooled is left out of each Why (the page says it once, :func:`pooling_note`)."""
    recs = recs.sort_values("expected_margin_gain", ascending=False, na_position="last")
    rows = []
    for r in recs.to_dict("records"):
        kept = _kept(r)
        cur_p, rec_p = _pct(r.get("p_win_current")), _pct(r.get("p_win_recommended"))
        cur_m, rec_m = (
            _m(r.get("expected_margin_current"), currency=currency),
            _m(r.get("expected_margin_recommended"), currency=currency),
        )
        band = _range(
            r.get("expected_margin_gain_low"),
            r.get("expected_margin_gain_high"),
            lambda v: _m(v, True, currency=currency),
        )
        gain = _m(r.get("expected_margin_gain"), True, currency=currency)
        rows.append(
            {
                **r,
                "category_text": _text(r.get("category")),
                "amount_text": _m(r.get("amount"), currency=currency),
                "competitor_text": _competitor(r),
                "our_price_text": _price(r.get("our_price")) or "not quoted yet",
                "competitor_price_text": _price(r.get("competitor_price")) or "unknown",
                "recommended_text": _recommended(r),
                "range_text": _range(r.get("price_low"), r.get("price_high"), _price),
                "bid_text": " · ".join(
                    x for x in (_text(r.get("opportunity_id")), _text(r.get("category")), f"vs {_competitor(r)}") if x
                ),
                "prices_text": f"{_price(r.get('our_price')) or 'not quoted yet'} ({_their_price(r)})",
                "floor_text": _price(r.get("floor_price")),
                "p_win_text": f"{cur_p or 'n/a'} (kept)" if kept else f"{cur_p or 'n/a'} → {rec_p or 'n/a'}",
                "margin_text": f"{cur_m or 'n/a'} (kept)" if kept else f"{cur_m or 'n/a'} → {rec_m or 'n/a'}",
                "gain_text": "none: keep" if kept else (f"{gain} ({band})" if gain and band else gain),
                "reason": split_pooling(_text(r.get("reason")))[0] if pooled_once else _text(r.get("reason")),
            }
        )
    made = [c for c in (rows[0] if rows else OPEN_COLUMNS) if c not in recs.columns]
    return pd.DataFrame(rows, columns=[*recs.columns, *made])


def bid_sentence(row: dict, currency: str | None = None) -> str:
    """One open bid in words: what we win and earn now and at the recommended price."""
    oid = _text(row.get("opportunity_id"))
    what = ", ".join(x for x in (_text(row.get("category")), f"against {_competitor(row)}") if x)
    amount = _m(row.get("amount"), currency=currency)
    head = f"{oid} ({what}{', value ' + amount if amount else ''})"
    if _kept(row) and _price(row.get("our_price")):
        return (
            f"{head}: keep our current price {_price(row.get('our_price'))}, at which we win with an estimated "
            f"{_pct(row.get('p_win_current')) or 'n/a'} probability and expect "
            f"{_m(row.get('expected_margin_current'), currency=currency) or 'n/a'} margin (the Why column says why)."
        )
    rec = _price(row.get("recommended_price"))
    rng = _range(row.get("price_low"), row.get("price_high"), _price)
    rec_part = (
        f"at the recommended {rec}{f' (good range {rng})' if rng else ''} P(win) would be "
        f"{_pct(row.get('p_win_recommended')) or 'n/a'} and the expected margin "
        f"{_m(row.get('expected_margin_recommended'), currency=currency) or 'n/a'}"
    )
    if _price(row.get("our_price")):
        now = (
            f"at our current price {_price(row.get('our_price'))} we win with an estimated "
            f"{_pct(row.get('p_win_current')) or 'n/a'} probability and expect "
            f"{_m(row.get('expected_margin_current'), currency=currency) or 'n/a'} margin; "
        )
        gain = _m(row.get("expected_margin_gain"), True, currency=currency)
        band = _range(
            row.get("expected_margin_gain_low"),
            row.get("expected_margin_gain_high"),
            lambda v: _m(v, True, currency=currency),
        )
        tail = f", a change of {gain}{f' (90% band {band})' if band else ''}" if gain else ""
    else:
        now, tail = "no price has been quoted yet; ", ""
    return f"{head}: {now}{rec_part}{tail}."


def rules_text(pipeline=None) -> str:
    """How the recommended price, its floor and its range are set, with the bundle's pricing rules
    (``bid_pipeline``: min_margin_pct, max_discount_pct, max_increase_pct, near_best_pct) when present."""
    row = pipeline.iloc[0].to_dict() if isinstance(pipeline, pd.DataFrame) and len(pipeline) else {}
    margin, discount = _num(row.get("min_margin_pct")), _num(row.get("max_discount_pct"))
    increase, near = _num(row.get("max_increase_pct")), _num(row.get("near_best_pct"))
    if not any(math.isnan(v) for v in (margin, discount, increase, near)):
        floor = (
            f"never below the floor (a margin of at least {margin:.0%} and at most {discount:.0%} below our current "
            f"price) nor more than {increase:.0%} above it"
        )
        near_text = f"within {near:.0%} of the best"
    else:
        floor = "never below the floor (the minimum margin and maximum discount of the pricing rules)"
        near_text = "within a few percent of the best"
    return (
        "Prices are in the units of the opportunities table (our quoted price). The recommended price is the one "
        f"with the highest expected margin (probability of winning x margin at that price), {floor}. The good range "
        f"holds the prices whose expected margin is {near_text}, widened by the uncertainty of the price response "
        "and, for a bid priced from the price index, of the competitor's price around that index; "
        "the gain band (90%) is the range of the gain over that uncertainty. A bid keeps its current price "
        "('keep') when that price already lies in the good range, or when the best price gains margin in fewer "
        "than 2 of 3 draws of that uncertainty (the change is not clearly better). Each account's own decided "
        "bids are pooled with "
        "the portfolio's record: recent bids count more, and a thin or old record leans on the portfolio."
    )


POST_COLUMNS = {
    "close_date": "Closed",
    "opportunity_id": "Opportunity",
    "category": "Category",
    "competitor_text": "Competitor",
    "status": "Result",
    "prices_text": "Our price vs theirs (gap)",
    "reason_text": "Loss reason",
    "p_text": "P(win) the model gave then",
    "rec_text": "Price it would have recommended",
}
POST_ROWS = 10
"""Decided bids shown (the latest); the count of the others is said under the table."""


def postmortem_table(post: pd.DataFrame) -> pd.DataFrame:
    """The decided bids as shown (latest first), with prices and probabilities as text."""
    post = post.assign(_closed=pd.to_datetime(post["close_date"], errors="coerce")).sort_values(
        "_closed", ascending=False
    )
    shown = post.assign(
        close_date=post["_closed"],
        competitor_text=[
            "none known" if _text(c) == UNKNOWN_COMPETITOR else _text(c, "none known")
            for c in post.get("competitor", pd.Series(None, index=post.index))
        ],
        our_price_text=[_price(v) for v in post.get("our_price", pd.Series(np.nan, index=post.index))],
        competitor_price_text=[_price(v) for v in post.get("competitor_price", pd.Series(np.nan, index=post.index))],
        gap_text=post.get("price_gap_pct", pd.Series(np.nan, index=post.index)).map(display.signed_pct),
        reason_text=[
            _text(r, "not recorded") + (" (on price)" if k == "price" and "price" not in _text(r).lower() else "")
            if k
            else ""
            for r, k in zip(post.get("loss_reason", pd.Series("", index=post.index)), _loss_kinds(post))
        ],
        p_text=post.get("p_win_at_time", pd.Series(np.nan, index=post.index))
        .map(_pct)
        .replace("", "n/a (too few earlier bids)"),
        rec_text=post.get("recommended_price_at_time", pd.Series(np.nan, index=post.index)).map(_price),
    ).drop(columns="_closed")
    return shown.assign(
        prices_text=[
            f"{o or 'n/a'} vs {c or 'n/a'}" + (f" ({g})" if g else "")
            for o, c, g in zip(shown["our_price_text"], shown["competitor_price_text"], shown["gap_text"], strict=True)
        ]
    )


def _loss_kinds(post: pd.DataFrame) -> pd.Series:
    """ "price", "other" or "unknown" per lost bid ("" for the rest), from ``loss_type`` or the reason."""
    lost = post["status"].astype(str) == "lost"
    if "loss_type" in post.columns:
        kind = post["loss_type"].astype(str).str.lower()
        kind = kind.where(kind.isin(["price", "other"]), "unknown")
    else:
        reason = post.get("loss_reason", pd.Series("", index=post.index)).map(_text).str.lower()
        kind = pd.Series(
            np.where(reason == "", "unknown", np.where(reason.str.contains("price"), "price", "other")),
            index=post.index,
        )
    return kind.where(lost, "")


def _loss_counts(post: pd.DataFrame) -> tuple[int, int, int, int, int]:
    """(decided, won, lost, lost on price, lost on other reasons) of a post-bid table."""
    status = post["status"].astype(str)
    kind = _loss_kinds(post)
    return (
        len(post),
        int((status == "won").sum()),
        int((status == "lost").sum()),
        int((kind == "price").sum()),
        int((kind == "other").sum()),
    )


def postmortem_sentence(post: pd.DataFrame) -> str:
    n, won, lost, on_price, other = _loss_counts(post)
    text = f"Of the account's {formatting.counted(n, 'decided bid')} we won {won:,} and lost {lost:,}"
    if lost == 1:  # not "1 of the losses was on price and 0 on other reasons"
        why = "on price" if on_price else "on other reasons" if other else "without a recorded reason"
        text += f": the loss was {why}"
    elif lost:
        unknown = lost - on_price - other
        verb = "was" if on_price == 1 else "were"
        text += f": {on_price:,} of the losses {verb} on price and {other:,} on other reasons"
        text += f", {unknown:,} without a recorded reason" if unknown else ""
    text += "."
    p = pd.to_numeric(post.get("p_win_at_time", pd.Series(np.nan, index=post.index)), errors="coerce")
    known = p.notna()
    if known.sum() >= 3:
        won_known = int((post["status"].astype(str)[known] == "won").sum())
        scope = "" if known.all() else f" of the {int(known.sum()):,} bids it could score"
        text += (
            f" The win model, as it stood when each bid was opened, expected {p[known].sum():,.1f} wins"
            f"{scope}; we won {won_known:,}."
        )
    return text


TENDER_COLUMNS = {
    "month_text": "Expected month",
    "account_text": "Account",
    "category": "Category",
    "value_text": "Expected value",
    "last_text": "Last tender",
    "n_past_tenders": "Past tenders",
    "interval_text": "Every",
    "basis": "Basis",
    "confidence": "Confidence",
}


def window_start(as_of: pd.Timestamp) -> pd.Timestamp:
    """First month of "the next 12 months": the month of the day after ``as_of`` (data as of the
    last day of October: November on)."""
    return (pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_period("M").to_timestamp()


def upcoming_tenders(calendar: pd.DataFrame, as_of: pd.Timestamp, months: int = 12) -> pd.DataFrame:
    """Tenders expected in the ``months`` months from :func:`window_start`, soonest first."""
    when = _months(calendar["expected_month"]).dt.to_period("M").dt.to_timestamp()
    start = window_start(as_of)
    end = start + pd.DateOffset(months=months)
    keep = (when >= start) & (when < end)
    out = calendar.assign(_when=when)[keep].sort_values(["_when", "expected_value"], ascending=[True, False])
    return out.drop(columns="_when").reset_index(drop=True)


def tender_rows(calendar: pd.DataFrame, names: dict | None = None) -> pd.DataFrame:
    names = names or {}
    return calendar.assign(
        month_text=calendar["expected_month"].map(_month),
        value_text=calendar["expected_value"].map(_m),
        account_text=[f"{names.get(a, '')} ({a})" if names.get(a) else str(a) for a in calendar.get("account_id", "")],
        last_text=calendar.get("last_tender_date", pd.Series(None, index=calendar.index)).map(
            lambda v: _month(v) if _text(v) else ""
        ),
        interval_text=calendar.get("interval_months", pd.Series(np.nan, index=calendar.index)).map(
            lambda v: f"{_num(v):.0f} months" if not math.isnan(_num(v)) else ""
        ),
    )


PIPELINE_COLUMNS = {
    "opportunity_id": "Opportunity",
    "account_text": "Account",
    "category_text": "Category",
    "competitor_text": "Competitor",
    "amount_text": "Value",
    "our_price_text": "Our price",
    "recommended_text": "Recommended price (good range)",
    "p_win_text": "P(win) now → recommended",
    "gain_text": "Gain (band)",
    "reason": "Why",
}


def _total_band(pipeline, currency: str | None = None) -> str:
    """ " (90% band +a to +b)" from the one-row ``bid_pipeline`` table, or "" without it."""
    if not isinstance(pipeline, pd.DataFrame) or pipeline.empty:
        return ""
    row = pipeline.iloc[0]
    band = _range(
        row.get("expected_margin_gain_low"),
        row.get("expected_margin_gain_high"),
        lambda v: _m(v, True, currency=currency),
    )
    return f" (90% band {band})" if band else ""


def price_moves(recs: pd.DataFrame) -> tuple[int, int]:
    """How many open bids the recommended prices move up and down (the rest keep their price)."""
    recommended = pd.to_numeric(recs["recommended_price"], errors="coerce")
    return int((recommended > recs["our_price"]).sum()), int((recommended < recs["our_price"]).sum())


def gain_card(recs: pd.DataFrame, band: str = "", currency: str | None = None) -> tuple:
    """The KPI card of the margin the recommended prices would gain (``band``: its 90% band, as
    :func:`_total_band` writes it), or, where every bid keeps its price, the card saying no price changes."""
    if sum(price_moves(recs)) == 0:
        return ("Price changes recommended", "none")
    gain = pd.to_numeric(recs["expected_margin_gain"], errors="coerce").sum()
    return (
        f"Expected margin gained at recommended prices{band}",
        _m(gain, True, currency=currency),
        "good" if gain > 0 else "",
    )


def pipeline_sentence(recs: pd.DataFrame, pipeline=None, currency: str | None = None) -> str:
    """The open pipeline in one or two sentences: how many bids, how much margin the prices would gain.

    ``pipeline``: the one-row ``bid_pipeline`` table, whose band of the total gain (from the
    uncertainty of the price response, drawn jointly for all bids) is quoted when present.
    """
    gain = pd.to_numeric(recs["expected_margin_gain"], errors="coerce")
    now = pd.to_numeric(recs.get("expected_margin_current", pd.Series(dtype=float)), errors="coerce").sum()
    n_up, n_down = price_moves(recs)
    text = (
        f"{formatting.counted(len(recs), 'open bid')} from {formatting.counted(recs['account_id'].nunique(), 'account')}, "
        f"worth {money(recs['amount'].sum(), currency)}. "
    )
    if n_up + n_down == 0:  # no gain to speak of, nor a band around it: "would add ±0 (90% band ±0 to ±0)"
        every = "It keeps" if len(recs) == 1 else "Every one keeps"
        return (
            text
            + f"{every} its current price"
            + (f", at which the expected margin is {money(now, currency)}." if now > 0 else ".")
        )
    text += (
        f"Bidding the recommended prices instead of the current ones would add {_m(gain.sum(), True, currency=currency)} of expected "
        f"margin{_total_band(pipeline, currency)}"
    )
    if now > 0:
        text += f" to the {money(now, currency)} expected at the current prices ({gain.sum() / now:+.0%})"
    change = (pd.to_numeric(recs["recommended_price"], errors="coerce") / recs["our_price"] - 1).dropna()
    change = change[change != 0]  # the median of the bids that move (kept prices do not)
    move = f" (median change {change.median():+.1%})" if len(change) else ""
    n_keep = len(recs) - n_down - n_up
    text += f": {n_down:,} {'bid' if n_down == 1 else 'bids'} would go lower and {n_up:,} higher{move}"
    text += f", {n_keep:,} {'keeps its' if n_keep == 1 else 'keep their'} price." if n_keep else "."
    positive = gain[gain > 0].sort_values(ascending=False)
    if len(positive) >= 3 and positive.sum() > 0:
        k = max(1, int(math.ceil(len(positive) * 0.2)))
        text += f" The {k:,} bids with the largest gains hold {positive.head(k).sum() / positive.sum():.0%} of it."
    return text


LOSS_COLUMNS = {
    "competitor": "Competitor",
    "category": "Category",
    "n": "Decided bids",
    "won": "Won",
    "lost_on_price": "Lost on price",
    "lost_other": "Lost on other reasons",
    "win_rate": "Win rate",
    "gap_text": "Mean price gap",
    "where_we_lose": "Where we lose",
}


def loss_sentence(summary: pd.DataFrame) -> str | None:
    """How many losses were on price, and against whom price decides most and least.

    Shares are of the losses with a recorded reason (price or other); losses without one
    are counted apart.
    """
    agg = summary.groupby("competitor", sort=True)[["lost", "lost_on_price", "lost_other"]].sum()
    agg = agg.assign(known=agg["lost_on_price"] + agg["lost_other"])
    total = agg.sum()
    if total["lost"] <= 0:
        return None
    unknown = int(total["lost"] - total["known"])
    text = f"Of {int(total['lost']):,} bids lost, {int(total['lost_on_price']):,} were lost on price"
    if total["known"] > 0:
        text += f" ({total['lost_on_price'] / total['known']:.0%} of those with a recorded reason)"
    text += f" and {int(total['lost_other']):,} on other reasons"
    text += f"; {unknown:,} have no reason recorded." if unknown else "."
    known = agg[(agg["known"] >= 5) & ~agg.index.isin(["(not recorded)", ""])]
    if len(known) >= 2:
        share = (known["lost_on_price"] / known["known"]).sort_values(ascending=False)
        top, low = share.index[0], share.index[-1]
        text += (
            f" Price decides most against {top} ({share.iloc[0]:.0%} of {int(known.loc[top, 'known']):,} losses "
            f"with a reason) and least against {low} ({share.iloc[-1]:.0%} of {int(known.loc[low, 'known']):,}), "
            "where specification, service or relationships matter more."
        )
    return text


def _gap_text(frame: pd.DataFrame) -> pd.DataFrame:
    gap = frame.get("mean_price_gap_pct", pd.Series(np.nan, index=frame.index))
    return frame.assign(gap_text=gap.map(lambda v: "" if pd.isna(v) else f"{v:+.1%}"))


def loss_by_competitor(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per competitor (the categories added up), the most decided bids first, "(not recorded)" last."""
    counts = ["n", "won", "lost", "lost_on_price", "lost_other"]
    frame = (
        summary.assign(_gap_sum=summary["mean_price_gap_pct"] * summary["n"])
        if "mean_price_gap_pct" in summary
        else summary
    )
    agg = frame.groupby("competitor", sort=True).agg(
        **{c: (c, "sum") for c in counts}, **({"_gap_sum": ("_gap_sum", "sum")} if "_gap_sum" in frame else {})
    )
    agg["win_rate"] = agg["won"] / agg["n"].where(agg["n"] > 0)
    if "_gap_sum" in agg:
        has_gap = summary.dropna(subset=["mean_price_gap_pct"]).groupby("competitor")["n"].sum()
        agg["mean_price_gap_pct"] = agg["_gap_sum"] / has_gap.reindex(agg.index).where(lambda v: v > 0)
    known = agg["lost_on_price"] + agg["lost_other"]
    share = agg["lost_on_price"] / known.where(known > 0)
    agg["where_we_lose"] = np.select(
        [known == 0, share >= 2 / 3, share <= 1 / 3], ["", "price", "other reasons"], "mixed"
    )
    agg = agg.reset_index()
    agg["_last"] = agg["competitor"].isin(["(not recorded)", ""])
    agg = agg.sort_values(["_last", "n"], ascending=[True, False]).drop(columns=["_last"])
    return _gap_text(agg)


CALIBRATION_COLUMNS = {
    "method": "Method",
    "n": "Decided bids scored",
    "brier": "Brier score",
    "log_loss": "Log loss",
    "auc": "AUC",
    "citl_text": "Predicted minus observed win rate",
}


def calibration_sentence(cal: pd.DataFrame) -> str:
    """What the calibration numbers mean, and how the first method (the model) compares with the rest."""
    from kamtools.bids.evidence import MIN_SCORED

    period = ""
    if {"scored_from", "scored_to"} <= set(cal.columns) and len(cal):
        first, last = pd.to_datetime(cal["scored_from"].iloc[0]), pd.to_datetime(cal["scored_to"].iloc[0])
        if pd.notna(first) and pd.notna(last):
            period = f" (bids opened from {first:%b %Y} to {last:%b %Y})"
    text = (
        f"Each method gave every decided bid{period} the win probability it would have given on the day the bid "
        "was opened, learning only from the bids decided before (out of time). Brier score and log loss measure how close the probabilities came to what happened "
        "(lower is better; a coin flip scores 0.25 and 0.69); AUC is the chance that a bid we won was given a "
        "higher probability than one we lost (0.5 is guessing, 1 is perfect); the last column is the average "
        "probability minus the share actually won (0 is right on average)."
    )
    rows = cal.dropna(subset=["brier"])
    if len(rows) >= 2:
        model, others = rows.iloc[0], rows.iloc[1:]
        best_other = others.loc[others["brier"].idxmin()]
        better = model["brier"] < best_other["brier"]
        n = pd.to_numeric(pd.Series([model.get("n")]), errors="coerce").iloc[0]
        too_few = bool(better and pd.notna(n) and n < MIN_SCORED)
        auc = (
            f" and AUC {model['auc']:.2f} against {best_other['auc']:.2f}"
            if pd.notna(model.get("auc")) and pd.notna(best_other.get("auc"))
            else ""
        )
        text += (
            f" Here the {model['method']} scores a Brier score of {model['brier']:.3f} against "
            f"{best_other['brier']:.3f} for the {best_other['method']}{auc}: "
            + (
                f"on {formatting.counted(int(n), 'decided bid')} that difference cannot tell them apart (it takes "
                f"{MIN_SCORED}), so the bid desk shows that baseline's win probabilities and recommends no price "
                "change."
                if too_few
                else "its probabilities are the better guide to a bid's chances."
                if better
                else "it does not beat that baseline, so the bid desk shows that baseline's win probabilities and "
                "recommends no price change."
            )
        )
    return text


def held_sentences(recs: pd.DataFrame, cal=None) -> list[str]:
    """What the portfolio page says once about the bids the evidence rules keep at their current price
    (:mod:`kamtools.bids.evidence`): every bid when the win model does not beat the better baseline out of
    time (read from ``bid_calibration``), and the bids without a competitor price that show no response."""
    from kamtools.bids.evidence import MIN_SCORED, model_verdict
    from kamtools.bids.reasons import NO_RESPONSE_TEXT

    out = []
    verdict = model_verdict(cal)
    if verdict is not None and verdict.too_few and verdict.model_brier < verdict.baseline_brier:
        out.append(
            f"In a test on past bids the win model's probabilities came closer to the outcomes than the "
            f"{verdict.baseline}'s (Brier score {verdict.model_brier:.3f} against {verdict.baseline_brier:.3f}; lower is "
            f"closer), but on {formatting.counted(int(verdict.n), 'decided bid')}, "
            f"too few to tell them apart (it takes {MIN_SCORED}), so every P(win) below is that rate's and no price "
            "change is recommended. The scenario planner's bid lever shows no curve for the same reason."
        )
        return out
    if verdict is not None and not verdict.beats:
        out.append(
            f"In a test on past bids the win model's probabilities came no closer to the outcomes than the "
            f"{verdict.baseline}'s (Brier score {verdict.model_brier:.3f} against {verdict.baseline_brier:.3f}; lower is "
            "closer), so every P(win) below is that rate's and no "
            "price change is recommended: a price the model finds best would rest on probabilities that a "
            "plain rate predicts as well. The scenario planner's bid lever shows no curve for the same reason."
        )
        return out
    reasons = recs["reason"].astype("str") if "reason" in recs.columns else pd.Series(dtype="str")
    k = int(reasons.str.contains(NO_RESPONSE_TEXT, regex=False).sum())
    if k:
        out.append(
            f"{k:,} of the {len(recs):,} open bids {'has' if k == 1 else 'have'} no competitor price, and past "
            f"bids without one show no measurable price response, so {'it keeps its' if k == 1 else 'they keep their'} "
            "current price (no gain claimed, no curve); the competitor's quote or a price from the market would let "
            f"kamtools price {'it' if k == 1 else 'them'}."
        )
    return out
