"""The competitors stage: the bundle's competitor tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kamtools.competitors.price_response import PriceResponseModel, price_response_table
from kamtools.competitors.prices import price_index
from kamtools.competitors.threat import account_bids, threat_score
from kamtools.competitors.wallet import prior_year_note, share_of_wallet
from kamtools.competitors.winloss import decided_bids, loss_reasons, win_loss
from kamtools.data.portfolio import NotAvailable, Portfolio

# the one-row-per-account headline numbers joined into accounts.parquet
SUMMARY_COLUMNS = {
    "competitor_threat": ["threat_score", "threat_band", "main_competitor"],
    "share_of_wallet": ["share_of_wallet", "share_of_wallet_change"],
}


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The competitor tables of the analysis bundle.

    ``competitor_winloss`` (portfolio-level, per competitor; an ``"All competitors"``
    row first), ``competitor_price_response`` (portfolio-level, see
    :func:`price_response_table`), ``competitor_price_index`` (portfolio-level),
    ``competitor_loss_reasons`` (portfolio-level), ``share_of_wallet``,
    ``competitor_threat`` and ``competitor_account_bids`` (per account). Tables whose
    data are missing come back as NotAvailable with the reason. When the order history does
    not reach back 24 months, the prior-year figures are NaN and ``_notes`` says so.
    """
    out: dict[str, pd.DataFrame | NotAvailable] = {}
    bids = decided_bids(portfolio)
    if isinstance(bids, NotAvailable):
        for name in ("competitor_winloss", "competitor_price_response", "competitor_loss_reasons"):
            out[name] = bids
        out["competitor_account_bids"] = bids
    else:
        if bids.empty:
            out["competitor_winloss"] = NotAvailable("No bid has been decided (won or lost) yet.")
        else:
            overall = win_loss(portfolio, by=None).assign(competitor="All competitors")
            per = win_loss(portfolio, by="competitor")
            out["competitor_winloss"] = pd.concat([overall[per.columns], per], ignore_index=True)
        if not bids["price_gap"].notna().any():
            out["competitor_price_response"] = NotAvailable(
                "The opportunities have no our_price and competitor_price, so the effect of price on winning "
                "cannot be estimated."
            )
        else:
            try:
                model = PriceResponseModel().fit(bids)
                out["competitor_price_response"] = price_response_table(model)
            except ValueError as exc:
                out["competitor_price_response"] = NotAvailable(f"The price-response model could not be fitted: {exc}.")
        reasons = loss_reasons(portfolio)
        out["competitor_loss_reasons"] = reasons
        out["competitor_account_bids"] = account_bids(portfolio)
    out["competitor_price_index"] = price_index(portfolio)
    out["share_of_wallet"] = share_of_wallet(portfolio)
    out["competitor_threat"] = threat_score(portfolio)
    notes = {
        name: note
        for name, what, so in (
            ("share_of_wallet", "The change in share of wallet", "it is not shown"),
            (
                "competitor_threat",
                "The threat's wallet evidence (a fall in revenue or share of wallet)",
                "the threat scores leave it out and count only lost bids and price gaps",
            ),
        )
        if isinstance(out[name], pd.DataFrame) and (note := prior_year_note(portfolio, what, so)) is not None
    }
    if notes:
        out["_notes"] = notes
    return out
