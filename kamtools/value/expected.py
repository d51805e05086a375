"""Discounted expected revenue and margin per account (:func:`expected_value`) and margin rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import Portfolio
from kamtools.value.btyd import BetaGeo
from kamtools.value.gamma_gamma import GammaGamma
from kamtools.value.summary import _PERIOD_DAYS, _check_freq


def expected_value(
    summary: pd.DataFrame,
    bg: BetaGeo,
    gg: GammaGamma | None = None,
    months: int = 12,
    discount_rate: float = 0.10,
    unit: str = "W",
    margin_pct: float | pd.DataFrame | None = None,
    net_share: np.ndarray | None = None,
) -> pd.DataFrame:
    """Discounted expected revenue and margin per account over the next ``months`` months.

    Expected purchases in each future month (differences of the cumulative
    :meth:`BetaGeo.expected_purchases`) are discounted monthly at the yearly
    ``discount_rate`` and valued at the expected purchase value (``gg``; without it, the
    account's own ``monetary``; accounts without repeat purchases, or when the
    Gamma-Gamma population mean does not exist, get the mean over accounts with repeat
    purchases).

    Parameters
    ----------
    summary : output of :func:`rfm_summary` (``account_id, frequency, recency, T, monetary``).
    bg, gg : fitted models (in the time unit ``unit`` of the summary).
    months : horizon in months; ``discount_rate`` : yearly rate (0.10 = 10%).
    margin_pct : margin as a share of revenue, one number for all or a DataFrame
        ``account_id, margin_pct``; None leaves the margin empty.
    net_share : per summary row, the share of its sales an account keeps after returns,
        credit notes and rebates (1 - its returns rate, clipped to [0, 1]); it multiplies the
        expected purchase value, which ``gg`` learns from sales (``monetary`` of the sales
        lines: a purchase value netted with a credit larger than it would be negative, and
        Gamma-Gamma values only positive purchases). None: 1 for every account.

    Returns
    -------
    DataFrame ``account_id, p_alive, expected_purchases_{months}m`` (undiscounted count of
    purchase periods), ``expected_avg_value``, ``expected_value_{months}m`` (discounted
    revenue), ``expected_margin_{months}m``.
    """
    unit = _check_freq("unit", unit)
    if months < 1:
        raise ValueError("months must be >= 1")
    missing = [c for c in ("account_id", "frequency", "recency", "T", "monetary") if c not in summary.columns]
    if missing:
        raise ValueError(f"expected_value: the summary has no column(s) {missing}; build it with rfm_summary()")
    x = summary["frequency"].to_numpy(dtype=np.float64)
    t_x = summary["recency"].to_numpy(dtype=np.float64)
    T = summary["T"].to_numpy(dtype=np.float64)
    m = summary["monetary"].to_numpy(dtype=np.float64)
    per_month = (365.25 / 12) / _PERIOD_DAYS[unit]
    edges = np.arange(months + 1) * per_month
    cum = np.column_stack([bg.expected_purchases(e, x, t_x, T) for e in edges[1:]])
    monthly = np.diff(np.column_stack([np.zeros(len(x)), cum]), axis=1)
    monthly_rate = (1 + discount_rate) ** (1 / 12) - 1
    discount = (1 + monthly_rate) ** -np.arange(1, months + 1)
    fallback = float(m[x > 0].mean()) if np.any(x > 0) else 0.0
    avg = gg.expected_average_value(x, m) if gg is not None else np.where(x > 0, m, fallback)
    avg = np.where(np.isfinite(avg), avg, fallback)  # e.g. Gamma-Gamma q <= 1 has no population mean
    if net_share is not None:
        avg = np.maximum(avg, 0.0) * np.clip(np.nan_to_num(np.asarray(net_share, dtype=float), nan=1.0), 0.0, 1.0)
    revenue = (monthly @ discount) * avg
    out = pd.DataFrame(
        {
            "account_id": summary["account_id"].astype("str").to_numpy(),
            "p_alive": bg.p_alive(x, t_x, T),
            f"expected_purchases_{months}m": cum[:, -1],
            "expected_avg_value": avg,
            f"expected_value_{months}m": revenue,
        }
    )
    if margin_pct is None:
        rate = np.full(len(out), np.nan)
    elif isinstance(margin_pct, pd.DataFrame):
        if not {"account_id", "margin_pct"} <= set(margin_pct.columns):
            raise ValueError("expected_value: margin_pct must have columns account_id and margin_pct")
        rate = out[["account_id"]].merge(margin_pct, on="account_id", how="left")["margin_pct"].to_numpy(float)
    else:
        rate = np.full(len(out), float(margin_pct))
    out[f"expected_margin_{months}m"] = revenue * rate
    return out


def margin_rates(portfolio: Portfolio, months: int = 12) -> pd.DataFrame:
    """Each account's margin as a share of revenue: last ``months`` months, else all history.

    Returns ``account_id, margin_pct`` (NaN when the account has no revenue; clipped to [-1, 1]).
    """
    lines = portfolio.orders
    lines = lines[lines["order_date"] <= portfolio.as_of]
    recent = lines["order_date"] > portfolio.as_of - pd.DateOffset(months=months)
    agg = (
        pd.DataFrame(
            {
                "account_id": lines["account_id"],
                "rev": lines["net_revenue"],
                "mar": lines["net_revenue"] - lines["cost"],
                "rev_recent": lines["net_revenue"].where(recent, 0.0),
                "mar_recent": (lines["net_revenue"] - lines["cost"]).where(recent, 0.0),
            }
        )
        .groupby("account_id", sort=True)
        .sum()
    )
    pct = (agg["mar_recent"] / agg["rev_recent"]).where(agg["rev_recent"] > 0)
    pct = pct.fillna((agg["mar"] / agg["rev"]).where(agg["rev"] > 0))
    return pd.DataFrame({"account_id": agg.index.astype("str"), "margin_pct": pct.clip(-1, 1).to_numpy()})
