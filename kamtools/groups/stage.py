"""The ``groups`` stage of ``kamtools analyze``: roll-ups, the reconciled group forecast, the
cross-unit opportunity map and its backtest (see :mod:`kamtools.groups.rollup`,
:mod:`kamtools.groups.reconcile` and :mod:`kamtools.groups.opportunity`).

It runs after the forecast, churn, competitor and KPI stages and reads their per-account tables;
it is the one stage (with the relationship map) that sees the group parents that do not trade
(:mod:`kamtools.groups.parents`). Their own open bids, receivables and complaints, which the KPI
stage does not see, are counted with the KPI stage's own functions on those parents alone.

A portfolio without any ``parent_account_id`` gets empty group tables; ``group_hierarchy`` still
has one row per account (each its own group at depth 0), so the accounts summary gains
``group_id``, ``depth`` and ``is_group`` either way.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.groups import opportunity, rollup, tree
from kamtools.groups.parents import group_parents

__all__ = ["SUMMARY_COLUMNS", "bundle_tables"]

SUMMARY_COLUMNS = {"group_hierarchy": ["group_id", "depth", "is_group"]}


def _table(inputs: Mapping[str, object], name: str) -> pd.DataFrame | None:
    df = inputs.get(name)
    return df if isinstance(df, pd.DataFrame) and not df.empty else None


def _own_figures_of_parents(portfolio: Portfolio, parents: list[str]) -> pd.DataFrame | None:
    """Open bids, receivables and complaints of the group parents that do not trade (the KPI
    stage's functions on a portfolio of those parents only)."""
    if not parents:
        return None
    from kamtools import kpis

    tables = {
        name: (df[df["account_id"].isin(parents)].reset_index(drop=True) if "account_id" in df.columns else df)
        for name, df in portfolio.tables.items()
    }
    sub = Portfolio(tables, portfolio.as_of, warnings=[])
    out = pd.DataFrame({"account_id": parents})
    for fn, cols in (
        (kpis.pipeline_kpis, {"open_value": "pipeline_open"}),
        (kpis.receivables_kpis, {"open_ar": "receivables_open", "overdue_ar": "receivables_overdue"}),
        (kpis.complaint_kpis, {"complaints_open": "complaints_open"}),
    ):
        got = fn(sub)
        if isinstance(got, pd.DataFrame):
            out = out.merge(got[["account_id", *cols]].rename(columns=cols), on="account_id", how="left")
    return out


def _figures(portfolio: Portfolio, inputs: Mapping[str, object], parents: list[str]) -> pd.DataFrame:
    """Per account: the additive figures the roll-up sums (from the earlier stages' tables)."""
    fig = pd.DataFrame({"account_id": portfolio.accounts["account_id"]})
    kp = _table(inputs, "kpis")
    if kp is not None:
        cols = {
            "revenue_ltm": "revenue_12m",
            "revenue_prior_ltm": "revenue_prior_12m",
            "margin_ltm": "margin_12m",
            "open_value": "pipeline_open",
            "open_ar": "receivables_open",
            "overdue_ar": "receivables_overdue",
            "complaints_open": "complaints_open",
        }
        keep = {k: v for k, v in cols.items() if k in kp.columns}
        fig = fig.merge(kp[["account_id", *keep]].rename(columns=keep), on="account_id", how="left")
    churn = _table(inputs, "churn")
    if churn is not None:
        fig = fig.merge(churn[["account_id", "revenue_at_risk"]], on="account_id", how="left")
    sow = _table(inputs, "share_of_wallet")
    if sow is not None:
        known = sow[sow["wallet_known"].astype(bool)]
        w = known[["account_id", "revenue_ltm", "potential_revenue"]].rename(
            columns={"revenue_ltm": "wallet_revenue", "potential_revenue": "wallet_potential"}
        )
        fig = fig.merge(w, on="account_id", how="left")
    own = _own_figures_of_parents(portfolio, parents)
    if own is not None:
        own = own.set_index("account_id")
        at = fig["account_id"].isin(own.index)
        for col in own.columns:
            if col not in fig.columns:
                fig[col] = np.nan
            fig.loc[at, col] = fig.loc[at, "account_id"].map(own[col]).to_numpy()
    return fig


def _no_contact(portfolio: Portfolio) -> pd.Series | None:
    """Per account: True when no contact of the account is still there (no ``left_date``)."""
    if "contacts" not in portfolio.tables:
        return None
    ct = portfolio.tables["contacts"]
    if "left_date" in ct.columns:
        ct = ct[ct["left_date"].isna() | (ct["left_date"] > portfolio.as_of)]
    have = set(ct["account_id"])
    ids = portfolio.accounts["account_id"]
    return pd.Series(~ids.isin(have).to_numpy(), index=ids.to_numpy())


def bundle_tables(portfolio: Portfolio, inputs: Mapping[str, object]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The groups stage (see the module docs).

    Tables: ``group_hierarchy`` (one row per account: parent, group, depth, path, children,
    descendants, is_group, trades), ``group_rollup``, ``group_forecast``, ``opportunity_map`` and
    ``cross_unit_backtest`` (the last four empty for a portfolio without groups).
    """
    hier = tree.hierarchy(portfolio.accounts)
    trading = set(portfolio.orders["account_id"].unique())
    hier["trades"] = hier["account_id"].isin(trading)
    notes: dict[str, str] = {}
    parents = group_parents(portfolio)
    fc = rollup.reconciled_forecast(
        hier,
        _table(inputs, "forecast"),
        _table(inputs, "forecast_summary"),
        _table(inputs, "forecast_targets"),
        _table(inputs, "forecast_history"),
        portfolio.as_of.year,
    )
    figures = _figures(portfolio, inputs, parents)
    table = rollup.rollup(hier, figures, fc, _no_contact(portfolio))
    has_groups = bool(hier["is_group"].any())
    if has_groups:
        opp, note = opportunity.opportunity_map(portfolio)
        if note:
            notes["opportunity_map"] = note
        backtest = opportunity.cross_unit_backtest(portfolio)
        if backtest.empty:
            notes["cross_unit_backtest"] = (
                "The cross-unit backtest needs two years of order history and groups whose units trade; "
                "it is not shown."
            )
    else:
        opp, backtest = opportunity.empty_map(), opportunity.empty_backtest()
    return {
        "group_hierarchy": hier.reset_index(drop=True),
        "group_rollup": table,
        "group_forecast": fc["monthly"],
        "opportunity_map": opp,
        "cross_unit_backtest": backtest,
        "_notes": notes,
    }
