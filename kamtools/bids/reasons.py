"""One plain sentence per recommended price, for the KAM to act on."""

from __future__ import annotations

import pandas as pd

from kamtools.bids.evidence import MIN_SCORED, RULE_BASELINE
from kamtools.bids.recommend import KEEP_IN_RANGE
from kamtools.bids.references import HISTORY, INDEX, QUOTED
from kamtools.competitors import UNKNOWN_COMPETITOR
from kamtools.display import money


def _basis(row: dict) -> str:
    name = row["competitor"] if row["competitor"] != UNKNOWN_COMPETITOR else "the competitor"
    if row["price_basis"] == QUOTED:
        return f"{name} quoted {row['competitor_price']:.1f}"
    if row["price_basis"] == INDEX:
        where = f" in {row['category']}" if row["category"] and row["category"] != "(missing)" else ""
        whose = {
            "account": f"{name}'s prices seen at this account{where} average an index of",
            "competitor": f"{name}'s price index{where} is",
        }.get(row["price_index_scope"], f"the market price index{where} is")
        return (
            f"{whose} {row['price_index_used']:.0f} "
            f"(about {row['competitor_price_used']:.1f} against our {row['our_price']:.1f})" + _index_caveat(row)
        )
    assert row["price_basis"] == HISTORY
    return "no competitor price is known, so this rests on the account's win history"


def _index_caveat(row: dict) -> str:
    """How the uncertainty of an index-based competitor price entered the curve."""
    sd, n = row.get("index_sd", 0.0), int(row.get("index_scatter_n", 0) or 0)
    if not sd or sd != sd:
        return ""
    measured = (
        f"measured on {n:,} past bids with a quote" if n else "assumed: too few past bids with a quote to measure"
    )
    text = f"; quotes scatter about ±{sd:.1%} around such an index ({measured}), which flattens the win curve"
    anchor_n = int(row.get("anchor_n", 0) or 0)
    if anchor_n:
        text += f"; the curve starts from the win record of {anchor_n:,} past bids without a quote"
    return text


def _context(row: dict) -> str:
    """How the account's own record was pooled, and where the margin came from when not from product cost."""
    n = int(row.get("account_bids", 0) or 0)
    if n:
        bids = "bid carries" if n == 1 else "bids carry"
        text = (
            f" The account's own {n:,} decided {bids} {row['account_weight']:.0%} weight (recent ones count more) "
            "and the portfolio's record the rest (a thin or old record leans on the portfolio)."
        )
    else:
        text = " The account has no decided bids of its own, so its win curve is the portfolio's."
    return text + _cost_context(row)


def _cost_context(row: dict) -> str:
    """Where the margin came from when not from product cost ("" when from product cost)."""
    text = ""
    basis = row.get("cost_basis", "product cost")
    if basis == "account margin":
        text += " No product cost is known for this category, so the margin is the account's margin in its orders."
    elif basis == "portfolio margin":
        text += (
            " Neither a product cost for this category nor orders of this account are known, "
            "so the margin is the portfolio's margin in its orders."
        )
    return text


def _sign_money(x: float) -> str:
    return ("+" if x >= 0 else "-") + money(abs(x))


NO_RESPONSE_TEXT = "past bids without one show no measurable price response"
"""Words of the reason of a bid held by the first evidence rule (:mod:`kamtools.bids.evidence`); faces count them."""


def _unquoted(row: dict) -> str:
    """What is known of the competitor's price of a bid without a quote (the table shows the index's price)."""
    theirs = row.get("competitor_price_used")
    if row["price_basis"] == INDEX and theirs is not None and theirs == theirs:
        return f"no competitor quote is known (the price index puts theirs at about {theirs:.1f})"
    return "no competitor price is known"


def _held(row: dict) -> str:
    """The sentence of a bid an evidence rule keeps at its current price (or raises to the floor only)."""
    cur = row["our_price"]
    margin = f"P(win) {row['p_win_current']:.0%}, expected margin {money(row['expected_margin_current'])}"
    head = f"Keep {cur:.1f}"
    if cur < row["floor_price"] - 1e-6:
        head = (
            f"Raise to the floor {row['recommended_price']:.1f} from {cur:.1f} (the minimum margin or the largest "
            "discount allowed) and no further"
        )
        margin += f" now, {_sign_money(row['expected_margin_gain'])} at the floor if P(win) holds"
    if row["price_rule"] == RULE_BASELINE:
        if row["model_brier"] < row["baseline_brier"]:  # held as too few bids were scored to tell them apart
            return (
                f"{head}: in a test on past bids the win model's probabilities came closer to the outcomes than the "
                f"{row['baseline_method']}'s (Brier score {row['model_brier']:.3f} against {row['baseline_brier']:.3f}; "
                f"lower is closer) on fewer than {MIN_SCORED} decided bids, too few to tell them apart, so kamtools "
                f"shows that rate's P(win) and recommends no price change ({margin})."
            )
        return (
            f"{head}: in a test on past bids the win model's probabilities came no closer to the outcomes than the "
            f"{row['baseline_method']}'s (Brier score {row['model_brier']:.3f} against {row['baseline_brier']:.3f}; "
            f"lower is closer), so kamtools shows that rate's P(win) and recommends no price change ({margin})."
        )
    n, slope, se = int(row.get("response_n", 0) or 0), row.get("response_slope"), row.get("response_se")
    if se is not None and se == se:
        evidence = (
            f"over {n:,} decided bids without a quote, the slope of wins on our price gap to the index is "
            f"{slope:.1f} with a standard error of {se:.1f}"
        )
    elif n:
        evidence = f"only {n:,} decided bids without a quote had a price index, too few to measure it"
    else:
        evidence = "no decided bid without a quote had a price index to measure it against"
    return (
        f"{head}: {_unquoted(row)} and {NO_RESPONSE_TEXT} ({evidence}), so kamtools does not "
        f"recommend a change; get the competitor's quote or a price from the market to price this bid "
        f"({margin} from the account's record on bids without a quote)."
    )


ARROW = "→"  # the one arrow of the bid desk (its tables use it too)


def _position(row: dict, price: float) -> str:
    """'; at 97.6 we are 11% under their price, a margin of 18%': where ``price`` stands against the competitor's
    price (quoted or from the index; left out when none is known) and the margin it earns."""
    parts = []
    theirs = row.get("competitor_price_used")
    if row["price_basis"] != HISTORY and theirs is not None and theirs == theirs and theirs > 0:
        gap = price / theirs - 1
        side = "under" if gap < 0 else "over"
        parts.append(f"{abs(gap):.0%} {side} their price" if abs(gap) >= 0.005 else "level with their price")
    cost = row.get("cost_price")
    if cost is not None and cost == cost and price > 0:
        parts.append(f"a margin of {(price - cost) / price:.0%}")
    return (
        f"; at {price:.1f} we are {' with '.join(parts)}"
        if len(parts) == 2
        else (f"; at {price:.1f}: {parts[0]}" if parts else "")
    )


def _band(lo: float, hi: float) -> str:
    return f"{_sign_money(lo)} to {_sign_money(hi)}"


def _keep(row: dict, basis: str) -> str:
    """The sentence of a bid whose current price stands (see :func:`kamtools.bids.recommend.keep_current`)."""
    cur = row["our_price"]
    if row.get("keep_basis") == KEEP_IN_RANGE:
        why = f"it is already within the range of near-best prices ({row['price_low']:.1f}-{row['price_high']:.1f})"
    else:
        why = (
            f"the gain is not certain (the best estimate {row['best_price']:.1f} gains margin in "
            f"{row['best_gain_positive']:.0%} of the price response's draws; band "
            f"{_band(row['best_gain_low'], row['best_gain_high'])})"
        )
    return (
        f"Keep {cur:.1f}: {why}; {basis}{_position(row, cur)}; P(win) {row['p_win_current']:.0%}, "
        f"expected margin {money(row['expected_margin_current'])}."
    )


def reason(row: dict) -> str:
    """'Bid 97.5 instead of 101.0: Vetro quoted 96.0; at 97.5 we are 2% over their price with a margin of 18%;
    P(win) 38% → 55%, expected margin +4.1k.'"""
    if row.get("price_rule"):
        return _held(row)
    cur, rec = row["our_price"], row["recommended_price"]
    basis = _basis(row)
    if row.get("keep_basis"):
        return _keep(row, basis)
    move = f"P(win) {row['p_win_current']:.0%} {ARROW} {row['p_win_recommended']:.0%}"
    if cur < row["floor_price"] - 1e-6:
        return (
            f"Raise to {rec:.1f} from {cur:.1f}: the current price is below the floor "
            f"({row['floor_price']:.1f}: {row.get('floor_rule') or 'the minimum margin or the largest discount allowed'})"
            f"; {basis}{_position(row, rec)}; {move}, expected margin {_sign_money(row['expected_margin_gain'])}."
        )
    text = (
        f"Bid {rec:.1f} instead of {cur:.1f}: {basis}{_position(row, rec)}; {move}, "
        f"expected margin {_sign_money(row['expected_margin_gain'])}"
    )
    rule = row.get("floor_rule") or "the minimum margin or the largest discount allowed"
    if abs(rec - row["floor_price"]) < 1e-6:
        text += f" (at the floor: {rule})"
    elif 0 < rec - row["floor_price"] <= 0.01 * row["floor_price"]:
        text += f" ({rec - row['floor_price']:.1f} above the floor of {row['floor_price']:.1f}: {rule})"
    elif abs(rec - row["ceiling_price"]) < 1e-6:
        text += f" (at the ceiling: {row.get('ceiling_rule') or 'the largest price rise allowed'})"
    if not row.get("price_given", True):
        text += "; no price was quoted yet, so prices are on our standard scale of 100"
    return text + "."


def reasons(table: pd.DataFrame) -> list[str]:
    """The sentence of every row of a recommendations table, with how its account's record was pooled
    and where its margin came from when not from product cost."""
    return [
        reason(row) + (_cost_context(row) if row.get("price_rule") == RULE_BASELINE else _context(row))
        for row in table.to_dict("records")
    ]
