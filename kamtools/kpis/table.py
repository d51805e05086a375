"""Every KPI block in one row per account, and the portfolio totals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.kpis.base import _at
from kamtools.kpis.complaints import complaint_kpis
from kamtools.kpis.pipeline import pipeline_kpis
from kamtools.kpis.receivables import receivables_kpis
from kamtools.kpis.relationships import relationship_kpis
from kamtools.kpis.revenue import revenue_kpis, target_kpis

BLOCKS = {
    "targets": target_kpis,
    "pipeline": pipeline_kpis,
    "receivables": receivables_kpis,
    "complaints": complaint_kpis,
    "relationships": relationship_kpis,
}


def account_kpis(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None
) -> tuple[pd.DataFrame, dict[str, NotAvailable]]:
    """Every KPI block merged into one row per account, plus the blocks not available.

    Returns ``(kpis, missing)``: ``kpis`` has account_id, name, owner, industry, region and
    the columns of :func:`revenue_kpis` and of every available block (``revenue_ytd`` is
    not repeated); ``missing`` maps block name -> NotAvailable for the blocks whose table
    is absent.
    """
    kpis, blocks = _kpis_and_blocks(portfolio, as_of)
    return kpis, {k: v for k, v in blocks.items() if isinstance(v, NotAvailable)}


def _kpis_and_blocks(
    portfolio: Portfolio, as_of: str | pd.Timestamp | None = None
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame | NotAvailable]]:
    p, as_of = _at(portfolio, as_of)
    base_cols = [c for c in ("account_id", "name", "owner", "industry", "region") if c in p.accounts.columns]
    out = p.accounts[base_cols].reset_index(drop=True)
    out = pd.concat([out, revenue_kpis(p).drop(columns="account_id")], axis=1)
    blocks: dict[str, pd.DataFrame | NotAvailable] = {}
    for name, fn in BLOCKS.items():
        res = fn(p)
        blocks[name] = res
        if isinstance(res, NotAvailable):
            continue
        extra = res.drop(columns=[c for c in res.columns if c in out.columns])
        out = pd.concat([out, extra], axis=1)
    return out, blocks


def portfolio_kpis(kpis: pd.DataFrame, health: pd.DataFrame | None = None) -> pd.DataFrame:
    """Portfolio totals from the per-account KPI table (one row, no account_id).

    Sums money and counts; pooled ratios (growth, margin %, attainment, win rate, DSO, late
    share) are recomputed from the totals, not averaged. Includes ``median_margin_pct`` of
    active accounts (the benchmark for margin objectives) and, when ``health`` is given,
    the number of accounts in each health band.
    """
    k = kpis
    active = k["revenue_ltm"] > 0

    def s(col: str) -> float:
        return float(k[col].sum(min_count=1)) if col in k.columns else np.nan

    row: dict[str, float | int] = {
        "accounts": int(len(k)),
        "active_accounts": int(active.sum()),
        "revenue_ytd": s("revenue_ytd"),
        "revenue_ytd_prior": s("revenue_ytd_prior"),
        "revenue_ltm": s("revenue_ltm"),
        "revenue_prior_ltm": s("revenue_prior_ltm"),
        "margin_ltm": s("margin_ltm"),
        "orders_ltm": s("orders_ltm"),
    }
    if "returns_ltm" in k.columns:
        row["revenue_gross_ltm"], row["returns_ltm"] = s("revenue_gross_ltm"), s("returns_ltm")
        gross = row["revenue_gross_ltm"]
        row["returns_rate"] = row["returns_ltm"] / gross if gross > 0 else np.nan
    row["growth_ytd_pct"] = (
        row["revenue_ytd"] / row["revenue_ytd_prior"] - 1 if row["revenue_ytd_prior"] > 0 else np.nan
    )
    row["growth_pct"] = row["revenue_ltm"] / row["revenue_prior_ltm"] - 1 if row["revenue_prior_ltm"] > 0 else np.nan
    row["margin_pct"] = row["margin_ltm"] / row["revenue_ltm"] if row["revenue_ltm"] else np.nan
    row["median_margin_pct"] = float(k.loc[active, "margin_pct"].median()) if active.any() else np.nan
    ordered = row.get("revenue_gross_ltm", row["revenue_ltm"])  # the sales lines, as each account's (revenue.py)
    row["avg_order_value"] = ordered / row["orders_ltm"] if row["orders_ltm"] else np.nan
    if "target" in k.columns:
        has_t = k["target"].notna()
        row["target_total"] = float(k.loc[has_t, "target"].sum())
        ytd_t = float(k.loc[has_t, "revenue_ytd"].sum())
        known = "target_attainment" not in k.columns or k.loc[has_t, "target_attainment"].notna().any()
        row["target_attainment"] = ytd_t / row["target_total"] if row["target_total"] and known else np.nan
        row["accounts_behind_target_pace"] = int((k["target_pace"] < 0.9).sum())
    if "open_value" in k.columns:
        for c in ("open_bids", "open_value", "weighted_value", "bids_closing_90d", "value_closing_90d"):
            row[c] = s(c)
        row["bids_won_12m"], row["bids_decided_12m"] = s("bids_won_12m"), s("bids_decided_12m")
        row["win_rate"] = row["bids_won_12m"] / row["bids_decided_12m"] if row["bids_decided_12m"] else np.nan
        cyc = k["avg_cycle_days"] * k["bids_decided_12m"]
        row["avg_cycle_days"] = float(cyc.sum() / row["bids_decided_12m"]) if row["bids_decided_12m"] else np.nan
    if "open_ar" in k.columns:
        for c in ("open_ar", "overdue_ar", "ar_not_due", "ar_0_30", "ar_31_60", "ar_61_90", "ar_90_plus"):
            row[c] = s(c)
        row["overdue_60_plus"] = s("overdue_60_plus")
        inv90 = s("invoiced_90d")
        row["dso_days"] = row["open_ar"] / inv90 * 90 if inv90 else np.nan
        due = s("invoices_due_12m")
        row["late_share_12m"] = s("late_invoices_12m") / due if due else np.nan
        row["accounts_overdue_60_plus"] = int((k["overdue_60_plus"] > 0).sum())
    if "complaints_open" in k.columns:
        for c in ("complaints_open", "open_severe", "complaints_12m", "complaints_prior_12m"):
            row[c] = s(c) if k[c].notna().any() else np.nan  # the year before: NaN where it lies before the data
        res = s("resolved_12m")
        row["mean_days_to_resolve"] = (
            float((k["mean_days_to_resolve"].fillna(0) * k["resolved_12m"]).sum() / res) if res else np.nan
        )
    if "single_threaded" in k.columns:
        row["accounts_single_threaded"] = int(k.loc[active, "single_threaded"].sum())
        row["accounts_no_dm_contact_90d"] = int((active & (k["dm_engaged_90d"] == 0)).sum())
        row["contacts"] = s("contacts")
    if health is not None and len(health):
        for band in ("red", "amber", "green"):
            row[f"health_{band}"] = int((health["health_band"] == band).sum())
        row["health_mean"] = float(health["health_score"].mean())
    return pd.DataFrame([row])
