"""Share of wallet: revenue against the account's estimated yearly potential, now and a year before."""

from __future__ import annotations

import pandas as pd

from kamtools.competitors.winloss import _at
from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.history import order_history

PRIOR_YEAR_MONTHS = 24  # the last 12 months and the 12 before: what a "vs the prior 12 months" figure needs
ABOVE_ESTIMATE = "above its wallet estimate"  # shown for a share over 100%: the estimate is below what was bought


def above_estimate(share: object) -> bool:
    """A share of wallet over 100%: the wallet estimate (``potential_revenue``) is below what the account bought, so
    the estimate, not the share, is wrong, and no share is quoted."""
    return bool(pd.notna(share) and float(share) > 1.0)


def over_estimate(sow: pd.DataFrame) -> pd.Series:
    """Rows of a :func:`share_of_wallet` frame whose share is over 100% in the last 12 months or the 12 before
    (:func:`above_estimate`): no share, and no change of share, is quoted for them."""
    return sow["share_of_wallet"].gt(1.0) | sow["share_of_wallet_prior"].gt(1.0)


def share_text(share: object) -> str:
    """A share of wallet as every page and deck shows it: a percent up to 100%, else :data:`ABOVE_ESTIMATE`."""
    from kamtools.formatting import pct

    return ABOVE_ESTIMATE if above_estimate(share) else pct(share)


def prior_year_note(portfolio: Portfolio, what: str, so: str = "it is not shown") -> str | None:
    """One sentence saying that ``what`` (compared with the prior 12 months) is left out (``so``) because
    the order history does not reach back 24 months; None when it does."""
    history = order_history(portfolio)
    if history.covers_months_back(PRIOR_YEAR_MONTHS):
        return None
    return (
        f"{what} compares the last 12 months with the 12 before; that needs {PRIOR_YEAR_MONTHS} months of order "
        f"history and this portfolio has {history.describe()}, so {so} (not enough history)."
    )


def _revenue_windows(portfolio: Portfolio) -> pd.DataFrame:
    """Per account: revenue in the last 12 months and in the 12 months before (NaN when the order
    history does not reach back 24 months: a year that is not, or only partly, in the data is unknown)."""
    orders = portfolio.orders
    t1 = portfolio.as_of - pd.DateOffset(months=12)
    t0 = portfolio.as_of - pd.DateOffset(months=24)
    od = orders["order_date"]
    ltm = od > t1
    prior = (od > t0) & ~ltm
    frame = pd.DataFrame(
        {
            "account_id": orders["account_id"],
            "revenue_ltm": orders["net_revenue"].where(ltm, 0.0),
            "revenue_prior_12m": orders["net_revenue"].where(prior, 0.0),
        }
    )[(od > t0).to_numpy()]
    agg = frame.groupby("account_id", observed=True)[["revenue_ltm", "revenue_prior_12m"]].sum().reset_index()
    out = portfolio.accounts[["account_id"]].merge(agg, on="account_id", how="left")
    out[["revenue_ltm", "revenue_prior_12m"]] = out[["revenue_ltm", "revenue_prior_12m"]].fillna(0.0)
    if not order_history(portfolio).covers_months_back(PRIOR_YEAR_MONTHS):
        out["revenue_prior_12m"] = float("nan")
    return out


def share_of_wallet(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame | NotAvailable:
    """Our share of each account's wallet: revenue last 12 months / potential_revenue.

    ``potential_revenue`` is the account's estimated yearly spend in our categories (one
    current estimate, so the prior-year share uses the same wallet). Returns one row per
    account: ``account_id, potential_revenue, revenue_ltm, revenue_prior_12m,
    share_of_wallet, share_of_wallet_prior, share_of_wallet_change`` (points, this year
    minus prior), ``headroom`` (potential - revenue_ltm, at least 0), ``wallet_known``.
    ``revenue_prior_12m``, ``share_of_wallet_prior`` and ``share_of_wallet_change`` are NaN
    when the order history does not reach back 24 months (see :func:`prior_year_note`).
    Shares are NaN where the potential is unknown or zero and 0 where returns and credit
    notes exceed the orders (net revenue below 0); a share above 1 means the wallet
    estimate is too low. NotAvailable when no account has a potential.
    """
    portfolio = _at(portfolio, as_of)
    acc = portfolio.accounts
    if "potential_revenue" not in acc.columns or not acc["potential_revenue"].gt(0).any():
        return NotAvailable(
            "No account has a potential_revenue (wallet estimate), so share of wallet cannot be computed."
        )
    out = _revenue_windows(portfolio).merge(acc[["account_id", "potential_revenue"]], on="account_id", how="left")
    pot = out["potential_revenue"].astype(float)
    known = pot > 0
    out["wallet_known"] = known
    # net revenue below 0 (returns and credit notes only) is no share of the wallet: floor at 0
    out["share_of_wallet"] = (out["revenue_ltm"].clip(lower=0) / pot).where(known)
    out["share_of_wallet_prior"] = (out["revenue_prior_12m"].clip(lower=0) / pot).where(known)
    out["share_of_wallet_change"] = out["share_of_wallet"] - out["share_of_wallet_prior"]
    out["headroom"] = (pot - out["revenue_ltm"]).clip(lower=0).where(known)
    cols = [
        "account_id",
        "potential_revenue",
        "revenue_ltm",
        "revenue_prior_12m",
        "share_of_wallet",
        "share_of_wallet_prior",
        "share_of_wallet_change",
        "headroom",
        "wallet_known",
    ]
    return out[cols]
