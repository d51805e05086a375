"""Per-account bids by competitor and the competitor threat score with its reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.competitors.wallet import PRIOR_YEAR_MONTHS, _revenue_windows, over_estimate
from kamtools.competitors.winloss import MIN_N, UNKNOWN_COMPETITOR, _at, _win_loss_table, decided_bids
from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.display import money


def account_bids(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None, months: int = 24, min_n: int = MIN_N
) -> pd.DataFrame | NotAvailable:
    """Per account and competitor: bids of the last ``months`` months, won and lost, price gaps.

    Returns ``account_id, competitor, n_bids`` (decided), ``wins, losses, win_rate,
    ci_low, ci_high, small_sample, avg_price_gap_won, avg_price_gap_lost, won_amount,
    lost_amount, open_bids, open_amount, last_bid_date``. Accounts without bids in the
    window have no rows.
    """
    portfolio = _at(portfolio, as_of)
    bids = decided_bids(portfolio)
    if isinstance(bids, NotAvailable):
        return bids
    start = portfolio.as_of - pd.DateOffset(months=months)
    recent = bids[bids["close_date"] > start]
    table = _win_loss_table(recent, ["account_id", "competitor"], min_n, 0.95).rename(columns={"n": "n_bids"})
    table = table.drop(columns=["avg_price_gap", "n_priced"])
    opp = portfolio.tables["opportunities"]
    open_ = opp[opp["status"] == "open"]
    comp = open_["competitor"].astype("str").fillna(UNKNOWN_COMPETITOR) if "competitor" in open_ else UNKNOWN_COMPETITOR
    open_agg = (
        open_.assign(competitor=comp)
        .groupby(["account_id", "competitor"], observed=True)
        .agg(open_bids=("opportunity_id", "size"), open_amount=("amount", "sum"))
        .reset_index()
    )
    created = opp[opp["created_date"] > start].assign(
        competitor=lambda d: (
            d["competitor"].astype("str").fillna(UNKNOWN_COMPETITOR) if "competitor" in d else UNKNOWN_COMPETITOR
        )
    )
    last = created.groupby(["account_id", "competitor"], observed=True)["created_date"].max().rename("last_bid_date")
    out = table.merge(open_agg, on=["account_id", "competitor"], how="outer").merge(
        last.reset_index(), on=["account_id", "competitor"], how="left"
    )
    for c in ("n_bids", "wins", "losses", "open_bids"):
        out[c] = out[c].fillna(0).astype(np.int64)
    for c in ("won_amount", "lost_amount", "open_amount"):
        out[c] = out[c].fillna(0.0)
    out["small_sample"] = out["n_bids"] < min_n
    return out.sort_values(["account_id", "n_bids"], ascending=[True, False], kind="stable").reset_index(drop=True)


def _pct(x: pd.Series) -> pd.Series:
    return (x * 100).round().astype("Int64").astype("str")


THREAT_COLUMNS = [
    "account_id",
    "threat_score",
    "threat_band",
    "main_competitor",
    "n_bids_recent",
    "n_lost_recent",
    "lost_amount_recent",
    "lost_to_main",
    "price_gap",
    "price_gap_source",
    "revenue_ltm",
    "revenue_prior_12m",
    "revenue_change_pct",
    "share_of_wallet",
    "share_of_wallet_prior",
    "threat_losses",
    "threat_price",
    "threat_wallet",
    "reasons",
]


def _with_bid_evidence(out: pd.DataFrame, portfolio: Portfolio, start: pd.Timestamp, has_opp: bool) -> pd.DataFrame:
    """``out`` with the decided bids since ``start`` per account (``n_bids_recent, n_lost_recent,
    lost_amount_recent``) and the main competitor in them (``main_from_bids, lost_to_main, gap_bids``):
    the one with the most lost value, then the most bids, named competitors only."""
    per_comp = pd.DataFrame(columns=["account_id", "competitor", "n", "lost", "lost_amount", "gap"])
    if has_opp:
        bids = decided_bids(portfolio)
        recent = bids[bids["close_date"] > start]
        per_comp = (
            recent.assign(lost=~recent["won"], lost_amt=recent["amount"].where(~recent["won"], 0.0))
            .groupby(["account_id", "competitor"], observed=True)
            .agg(n=("won", "size"), lost=("lost", "sum"), lost_amount=("lost_amt", "sum"), gap=("price_gap", "mean"))
            .reset_index()
        )
    totals = per_comp.groupby("account_id", observed=True).agg(
        n_bids_recent=("n", "sum"), n_lost_recent=("lost", "sum"), lost_amount_recent=("lost_amount", "sum")
    )
    out = out.merge(totals.reset_index(), on="account_id", how="left")
    for c in ("n_bids_recent", "n_lost_recent"):
        out[c] = out[c].fillna(0).astype(np.int64)
    out["lost_amount_recent"] = out["lost_amount_recent"].fillna(0.0)
    named = per_comp[per_comp["competitor"] != UNKNOWN_COMPETITOR]
    main_bids = (
        named.sort_values(
            ["account_id", "lost_amount", "lost", "n"], ascending=[True, False, False, False], kind="stable"
        )
        .drop_duplicates("account_id")
        .rename(columns={"competitor": "main_from_bids", "lost": "lost_to_main", "gap": "gap_bids"})[
            ["account_id", "main_from_bids", "lost_to_main", "gap_bids"]
        ]
    )
    return out.merge(main_bids, on="account_id", how="left")


def _with_price_evidence(out: pd.DataFrame, portfolio: Portfolio, start: pd.Timestamp, has_cp: bool) -> pd.DataFrame:
    """``out`` with the cheapest competitor seen at the account since ``start`` (``main_from_prices``) and our
    premium over it (``gap_prices``), from account-level competitor price observations."""
    if not (has_cp and "account_id" in portfolio.tables["competitor_prices"].columns):
        out["main_from_prices"] = pd.Series(pd.NA, index=out.index, dtype="str")
        out["gap_prices"] = np.nan
        return out
    cp = portfolio.tables["competitor_prices"]
    cp = cp[cp["account_id"].notna() & (cp["date"] > start)]
    obs = (
        cp.groupby(["account_id", "competitor"], observed=True)["price_index"]
        .mean()
        .reset_index()
        .sort_values(["account_id", "price_index"], kind="stable")
        .drop_duplicates("account_id")
        .rename(columns={"competitor": "main_from_prices"})
    )
    obs["gap_prices"] = 100 / obs["price_index"] - 1
    return out.merge(obs[["account_id", "main_from_prices", "gap_prices"]], on="account_id", how="left")


def _set_main_competitor(out: pd.DataFrame) -> None:
    """``main_competitor`` (from the bids, else the price observations) and ``price_gap`` with its source."""
    out["main_competitor"] = out["main_from_bids"].fillna(out["main_from_prices"]).fillna("").astype("str")
    gap_bids_ok = out["gap_bids"].notna()
    out["price_gap"] = out["gap_bids"].where(gap_bids_ok, out["gap_prices"])
    # when the price observation is about the same competitor as the bids, use the larger gap
    same = out["main_from_prices"] == out["main_from_bids"]
    out.loc[same.fillna(False), "price_gap"] = out.loc[same.fillna(False), ["gap_bids", "gap_prices"]].max(axis=1)
    out["price_gap_source"] = np.where(
        gap_bids_ok, "bids", np.where(out["gap_prices"].notna(), "price observations", "none")
    )
    out["lost_to_main"] = out["lost_to_main"].fillna(0).astype(np.int64)


def _set_wallet(out: pd.DataFrame, portfolio: Portfolio) -> None:
    """``revenue_change_pct`` on the prior 12 months and the share of wallet now and then (NaN without a potential)."""
    prior = out["revenue_prior_12m"]
    out["revenue_change_pct"] = ((out["revenue_ltm"] - prior) / prior).where(prior > 0)
    pot = portfolio.accounts.set_index("account_id").get("potential_revenue")
    if pot is not None:
        pot = out["account_id"].map(pot).astype(float)
        known = pot > 0
        out["share_of_wallet"] = (out["revenue_ltm"].clip(lower=0) / pot).where(known)  # returns only: 0
        out["share_of_wallet_prior"] = (prior.clip(lower=0) / pot).where(known)
    else:
        out["share_of_wallet"] = np.nan
        out["share_of_wallet_prior"] = np.nan


def _set_score(out: pd.DataFrame, weights: tuple[float, float, float]) -> None:
    """The three components (0-1), ``threat_score`` (0-100, their weighted mean) and ``threat_band``."""
    n_lost = out["n_lost_recent"].to_numpy(dtype=float)
    n_bids = out["n_bids_recent"].to_numpy(dtype=float)
    loss_rate = np.divide(n_lost, n_bids, out=np.zeros_like(n_lost), where=n_bids > 0)
    out["threat_losses"] = (1 - 0.5**n_lost) * (0.5 + 0.5 * loss_rate)
    out["threat_price"] = (out["price_gap"].fillna(0.0) / 0.10).clip(0, 1)
    out["threat_wallet"] = (-out["revenue_change_pct"].fillna(0.0) / 0.5).clip(0, 1)
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    score = 100 * (w[0] * out["threat_losses"] + w[1] * out["threat_price"] + w[2] * out["threat_wallet"])
    out["threat_score"] = score.round(0)
    out["threat_band"] = np.select([score >= 60, score >= 30], ["high", "medium"], "low")


def _threat_reasons(out: pd.DataFrame, months: int, prior_known: bool = True) -> np.ndarray:
    """The reasons in plain words, one string per account (built column-wise). Without the prior 12
    months in the order history (``prior_known`` False) no trend is claimed either way."""
    comp = out["main_competitor"]
    has_comp = comp != ""
    r_loss = np.where(
        out["n_lost_recent"] > 0,
        "Lost "
        + out["n_lost_recent"].astype(str)
        + " of "
        + out["n_bids_recent"].astype(str)
        + np.where(out["n_bids_recent"] == 1, " bid", " bids")
        + f" in the last {months} months, worth "
        + out["lost_amount_recent"].map(money)
        # whose value: all the lost bids', never read as the main competitor's share of it
        + np.where(out["n_lost_recent"] > 1, " in all", "")
        + np.where(
            (out["lost_to_main"] > 0) & has_comp,
            np.where(
                out["n_lost_recent"] > 1,
                "; " + out["lost_to_main"].astype(str) + " of them to " + comp,
                "; it went to " + comp,
            ),
            "",
        )
        + ".",
        "",
    )
    gap_txt = _pct(out["price_gap"].abs())
    r_price = np.where(
        out["price_gap"] > 0.005,
        np.where(
            out["price_gap_source"] == "bids",
            "Our bids were on average " + gap_txt + "% above " + np.where(has_comp, comp, "the competitor") + ".",
            np.where(has_comp, comp, "A competitor") + " was seen " + gap_txt + "% below our price at this account.",
        ),
        "",
    )
    sow_known = out["share_of_wallet"].notna() & out["share_of_wallet_prior"].notna()
    # a share over 100% means the wallet estimate is below what the account bought: no share to quote
    over = over_estimate(out)
    fell = out["revenue_change_pct"] < -0.05
    ltm = out["revenue_ltm"] if "revenue_ltm" in out.columns else pd.Series(np.nan, index=out.index)
    r_wallet = np.where(
        fell,
        np.where(
            sow_known & over,
            "Revenue fell "
            + _pct(-out["revenue_change_pct"])
            + "% on the prior 12 months (share of wallet not shown: the wallet estimate, potential_revenue, is "
            "below what the account bought).",
            np.where(
                sow_known & (ltm < 0),
                "Share of wallet fell from "
                + _pct(out["share_of_wallet_prior"])
                + "% to 0%: returns and credit notes exceeded its orders in the last 12 months (net revenue "
                + ltm.map(money)
                + ").",
                np.where(
                    sow_known,
                    "Share of wallet fell from "
                    + _pct(out["share_of_wallet_prior"])
                    + "% to "
                    + _pct(out["share_of_wallet"])
                    + "% (revenue "
                    + _pct(out["revenue_change_pct"])
                    + "%).",
                    "Revenue fell " + _pct(-out["revenue_change_pct"]) + "% on the prior 12 months.",
                ),
            ),
        ),
        "",
    )
    joined = (pd.Series(r_loss) + " " + pd.Series(r_price) + " " + pd.Series(r_wallet)).str.strip()
    joined = joined.str.replace(r"\s+", " ", regex=True)
    if not prior_known:
        none = (
            "No recent losses or price gap. Revenue and share of wallet are not compared with the prior 12 months "
            f"(not enough history: that needs {PRIOR_YEAR_MONTHS} months of orders)."
        )
        return np.where(joined == "", none, joined)
    return np.where(joined == "", "No recent losses, price gap or decline in share of wallet.", joined)


def threat_score(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp | None = None,
    months: int = 12,
    weights: tuple[float, float, float] = (0.45, 0.25, 0.30),
) -> pd.DataFrame | NotAvailable:
    """A competitor threat score per account (0-100), its main competitor and its reasons.

    Three pieces of evidence, each scaled to 0-1 and combined with ``weights``:

    * losses: bids lost in the last ``months`` months, ``(1 - 0.5 ** n_lost)`` times
      ``(0.5 + 0.5 * loss rate)`` (one loss 0.25-0.5, three or more close to 1);
    * price: our premium over the main competitor (recent bids, else account-level
      price observations), ``premium / 10%`` capped at 1;
    * wallet: fall in share of wallet (revenue, where no potential is known) over the
      prior 12 months, ``decline / 50%`` capped at 1; 0 (no evidence) when the order history
      does not reach back 24 months, where ``revenue_prior_12m``, ``revenue_change_pct`` and
      ``share_of_wallet_prior`` are NaN (a partly covered prior year would understate it).

    ``main_competitor`` is the competitor with the largest lost value in the window, else
    the one met most in recent bids, else the cheapest one seen at the account.

    Returns one row per account: ``account_id, threat_score, threat_band`` (low < 30 <=
    medium < 60 <= high), ``main_competitor`` (empty string when none is known),
    ``n_bids_recent, n_lost_recent, lost_amount_recent, lost_to_main, price_gap``
    (our premium), ``price_gap_source`` (bids / price observations / none),
    ``revenue_ltm, revenue_prior_12m, revenue_change_pct, share_of_wallet,
    share_of_wallet_prior, threat_losses, threat_price, threat_wallet, reasons``
    (plain sentences joined by " ").
    NotAvailable when neither opportunities nor competitor_prices were supplied.
    """
    portfolio = _at(portfolio, as_of)
    has_opp, has_cp = portfolio.has("opportunities"), portfolio.has("competitor_prices")
    if not (has_opp or has_cp):
        return NotAvailable(
            "Neither opportunities nor competitor_prices were supplied, so competitor threats cannot be assessed."
        )
    start = portfolio.as_of - pd.DateOffset(months=months)
    out = portfolio.accounts[["account_id"]].copy().merge(_revenue_windows(portfolio), on="account_id", how="left")
    out = _with_bid_evidence(out, portfolio, start, has_opp)
    out = _with_price_evidence(out, portfolio, start, has_cp)
    _set_main_competitor(out)
    _set_wallet(out, portfolio)
    _set_score(out, weights)
    out["reasons"] = _threat_reasons(out, months, prior_known=bool(out["revenue_prior_12m"].notna().any()))
    result = out[THREAT_COLUMNS].copy()
    result["reasons"] = result["reasons"].astype("str")
    return result
