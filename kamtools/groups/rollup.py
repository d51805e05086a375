"""Every analysis at each parent level of the account hierarchy: the ``group_rollup`` table.

A group's figures are read from the per-account tables of the earlier stages (nothing is
refitted) and rolled up over the accounts it holds: itself (when it has figures of its own) and
every account below it, at all levels.

* ``n_units`` counts the units of a group: the accounts at the lowest level below it, at all levels (the
  sub-groups between are not units; ``n_children`` counts the direct children, sub-groups included).
* Additive figures are sums: revenue and margin of the last 12 months and of the 12 before,
  revenue at risk (the churn stage's figure of each unit: its churn probability, or score, x its
  12-month forecast, ``risk_base_12m``, or x the value model's expected 12-month value where the
  forecast gives none, see :func:`kamtools.churn.scoring.risk_base`; a group's risk is the revenue at
  risk summed over its units, never an average of probabilities), open
  pipeline, open and overdue receivables, open complaints, the forecast of the next 12 months,
  the year's target, the units without an active contact.
* Ratios are taken from the sums: growth (revenue over the prior 12 months, NaN when the order
  history does not cover that window, as in the KPI stage), margin %, share of wallet (revenue
  over stated potential, over the units whose potential is known).
* The forecast interval and the chance to reach the target come from the reconciled joint
  distribution of the units (:mod:`kamtools.groups.reconcile`); each unit's year total is drawn
  along its own distribution from the forecast stage (its 80% range and its chance of reaching its
  target kept, :func:`kamtools.target_draws.year_total_draws`), so a group of one unit shows that unit's own chance; it
  also shows the unit's own 80% range of the next 12 months (several units combine by joint draws). The target is the sum of this
  year's targets of the accounts that trade in the group (a target written on a parent that does not
  trade is not added: the forecast stage gives no year total for it to be measured against).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.groups import reconcile
from kamtools.target_draws import chance_to_reach, year_total_draws

__all__ = ["ROLLUP_COLUMNS", "FORECAST_COLUMNS", "membership", "rollup", "reconciled_forecast", "year_total_draws"]

ROLLUP_COLUMNS = [
    "account_id",
    "group_id",
    "depth",
    "n_units",
    "n_children",
    "revenue_12m",
    "revenue_prior_12m",
    "growth",
    "margin_12m",
    "margin_pct",
    "forecast_12m",
    "forecast_low",
    "forecast_high",
    "target",
    "p_reach_target",
    "revenue_at_risk",
    "pipeline_open",
    "receivables_open",
    "receivables_overdue",
    "complaints_open",
    "share_of_wallet",
    "n_units_no_contact",
    "reconciliation",
]
FORECAST_COLUMNS = ["unique_id", "ds", "y_hat", "y_low", "y_high", "level"]


def membership(hier: pd.DataFrame) -> pd.DataFrame:
    """``parent, account_id``: every group (``is_group``) with itself and each account below it."""
    parents = set(hier.loc[hier["is_group"], "account_id"])
    if not parents:
        return pd.DataFrame({"parent": pd.Series([], dtype="str"), "account_id": pd.Series([], dtype="str")})
    up = hier.set_index("account_id")["parent_account_id"]
    up = up[up.notna()]
    pairs = [pd.DataFrame({"account_id": hier["account_id"], "parent": hier["account_id"]})]
    level = pd.DataFrame({"account_id": up.index, "parent": up.to_numpy()})
    while len(level):  # one step up per round: depth rounds in all
        pairs.append(level)
        level = level.assign(parent=level["parent"].map(up))
        level = level[level["parent"].notna()]
    long = pd.concat(pairs, ignore_index=True).astype({"account_id": "str", "parent": "str"})
    long = long[long["parent"].isin(parents)]
    return long[["parent", "account_id"]].sort_values(["parent", "account_id"]).reset_index(drop=True)


def _sum(members: pd.DataFrame, values: pd.DataFrame, col: str) -> pd.Series:
    """Per parent: the sum of ``col`` over its members (NaN when no member has a value)."""
    if values is None or col not in values.columns:
        return pd.Series(np.nan, index=members["parent"].unique())
    v = values.drop_duplicates("account_id").set_index("account_id")[col].astype(float)
    joined = members.assign(_v=members["account_id"].map(v).to_numpy())
    return joined.groupby("parent", sort=True)["_v"].sum(min_count=1)


def rollup(
    hier: pd.DataFrame,
    figures: pd.DataFrame,
    forecast: dict[str, pd.DataFrame],
    no_contact: pd.Series | None,
) -> pd.DataFrame:
    """The ``group_rollup`` table from the hierarchy and the per-account ``figures``.

    ``figures``: account_id and any of revenue_12m, revenue_prior_12m, margin_12m, revenue_at_risk,
    pipeline_open, receivables_open, receivables_overdue, complaints_open, wallet_revenue,
    wallet_potential (the last two only for units whose potential is known); ``forecast``: the
    output of :func:`reconciled_forecast` (``totals``: per parent forecast_12m, low, high, target,
    p_reach_target); ``no_contact``: per account, True when it has no active contact (None without
    a contacts table), counted over the units below a group that trade.
    """
    members = membership(hier)
    groups = hier[hier["is_group"]].set_index("account_id")
    if groups.empty:
        return _typed(pd.DataFrame({c: [] for c in ROLLUP_COLUMNS}))
    out = pd.DataFrame(index=pd.Index(sorted(groups.index), name="account_id"))
    out["group_id"] = groups["group_id"]
    out["depth"] = groups["depth"]
    leaf = ~hier.set_index("account_id")["is_group"].astype(bool)
    below = members[(members["parent"] != members["account_id"]).to_numpy()]
    below = below[below["account_id"].map(leaf).fillna(True).astype(bool).to_numpy()]
    # units: the accounts at the lowest level below the group (the sub-groups between are not counted), as the
    # index and the global account plan count them
    out["n_units"] = below.groupby("parent").size().reindex(out.index).fillna(0).astype(np.int64)
    out["n_children"] = groups["n_children"]
    for col in (
        "revenue_12m",
        "revenue_prior_12m",
        "margin_12m",
        "revenue_at_risk",
        "pipeline_open",
        "receivables_open",
        "receivables_overdue",
        "complaints_open",
    ):
        out[col] = _sum(members, figures, col)
    for col in ("revenue_12m", "margin_12m", "revenue_at_risk"):
        out[col] = out[col].fillna(0.0)
    prior = out["revenue_prior_12m"]
    out["growth"] = (out["revenue_12m"] / prior - 1).where(prior > 0)
    out["margin_pct"] = (out["margin_12m"] / out["revenue_12m"]).where(out["revenue_12m"] > 0)
    wallet = _sum(members, figures, "wallet_potential")
    out["share_of_wallet"] = (_sum(members, figures, "wallet_revenue") / wallet).where(wallet > 0)
    totals = forecast.get("totals")
    for col in ("forecast_12m", "forecast_low", "forecast_high", "target", "p_reach_target"):
        out[col] = totals[col].reindex(out.index) if totals is not None and col in totals else np.nan
    if no_contact is None:
        out["n_units_no_contact"] = np.nan
    else:
        trades = hier.set_index("account_id")["trades"] if "trades" in hier else None
        units = members[members["parent"] != members["account_id"]]
        if trades is not None:  # a region level that does not trade is not a unit to cover
            units = units[units["account_id"].map(trades).fillna(True).astype(bool).to_numpy()]
        flag = units["account_id"].map(no_contact).fillna(True).astype(bool)
        out["n_units_no_contact"] = flag.groupby(units["parent"]).sum().reindex(out.index).fillna(0).astype(np.int64)
    # the words of each group's own draws (how many months its units' co-movement was measured on)
    words = totals["reconciliation"] if totals is not None and "reconciliation" in totals else None
    out["reconciliation"] = reconcile.METHOD if words is None else words.reindex(out.index).fillna(reconcile.METHOD)
    return _typed(out.reset_index())


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    kinds = {c: float for c in ROLLUP_COLUMNS}
    kinds.update({"account_id": "str", "group_id": "str", "reconciliation": "str"})
    kinds.update({"depth": np.int64, "n_units": np.int64, "n_children": np.int64})
    if "n_units_no_contact" in df and df["n_units_no_contact"].notna().all():
        kinds["n_units_no_contact"] = np.int64
    return df.astype(kinds)[ROLLUP_COLUMNS].reset_index(drop=True)


def _empty_forecast() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": pd.Series([], dtype="str"),
            "ds": pd.Series([], dtype="datetime64[ns]"),
            "y_hat": pd.Series([], dtype=float),
            "y_low": pd.Series([], dtype=float),
            "y_high": pd.Series([], dtype=float),
            "level": pd.Series([], dtype=np.int64),
        }
    )


def reconciled_forecast(
    hier: pd.DataFrame,
    monthly: pd.DataFrame | None,
    summary: pd.DataFrame | None,
    targets: pd.DataFrame | None,
    history: pd.DataFrame | None,
    year: int,
    n_draws: int = reconcile.N_DRAWS,
) -> dict[str, pd.DataFrame]:
    """The reconciled group forecast: ``monthly`` (the ``group_forecast`` table) and ``totals``.

    ``monthly``: the forecast stage's ``forecast`` (account_id, ds, forecast, sd, or hi_80 without sd);
    ``summary``: its ``forecast_summary`` (forecast_next_12m and its 80% bounds); ``targets``: its
    ``forecast_targets`` (the rows of ``year`` are used); ``history``: its ``forecast_history``.
    ``totals`` is indexed by parent: reconciliation (:func:`reconcile.method_words` of its top group's draws),
    forecast_12m, forecast_low, forecast_high (80%), target,
    p_reach_target (the share of joint draws in which the units with a target of ``year`` together
    reach the sum of their targets, each unit drawn by :func:`year_total_draws`; a single unit's own
    chance; NaN when none has one). A one-unit group's 80% range is its unit's own.
    """
    members = membership(hier)
    if members.empty or monthly is None or monthly.empty:
        return {"monthly": _empty_forecast(), "totals": pd.DataFrame()}
    trading = set(monthly["account_id"])
    members = members[members["account_id"].isin(trading)]
    group_of = hier.set_index("account_id")["group_id"]
    members = members.assign(top=members["parent"].map(group_of))
    months = np.sort(monthly["ds"].unique())
    wide = _wide_forecast(monthly, months)
    summ = None if summary is None or summary.empty else summary.drop_duplicates("account_id").set_index("account_id")
    tgt = _year_targets(targets, year)
    month_rows, total_rows = [], []
    for top, part in members.groupby("top", sort=True):
        units = sorted(part["account_id"].unique())
        draws = _GroupDraws.of(top, units, history, wide, summ, tgt, n_draws)
        index = {u: i for i, u in enumerate(units)}
        for parent, sub in part.groupby("parent", sort=True):
            cols = [index[a] for a in sub["account_id"]]
            month_rows += draws.monthly_rows(parent, cols, months)
            total_rows.append(draws.total_row(parent, cols))
    out = pd.DataFrame(month_rows, columns=["unique_id", "ds", "y_hat", "y_low", "y_high"])
    out["level"] = np.int64(reconcile.LEVEL)
    out = out.astype({"unique_id": "str"})
    totals = pd.DataFrame(total_rows).set_index("account_id") if total_rows else pd.DataFrame()
    return {"monthly": out[FORECAST_COLUMNS], "totals": totals}


_QUANTILES = [0.5 - reconcile.LEVEL / 200, 0.5 + reconcile.LEVEL / 200]


def _wide_forecast(monthly: pd.DataFrame, months: np.ndarray) -> dict[str, pd.DataFrame]:
    """The monthly forecast and its sd (from hi_80 when there is no sd column), account x month."""
    fc = monthly
    sd = fc["sd"] if "sd" in fc else reconcile.sd_from_upper(fc["forecast"], fc["hi_80"])
    fc = fc.assign(sd=sd)
    return {
        col: fc.pivot_table(index="account_id", columns="ds", values=col, aggfunc="first", dropna=False).reindex(
            columns=months
        )
        for col in ("forecast", "sd")
    }


def _year_targets(targets: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    """The forecast stage's target rows of ``year`` by account (None when there are none)."""
    if targets is None or targets.empty:
        return None
    tgt = targets[pd.to_numeric(targets["period"], errors="coerce") == year].drop_duplicates("account_id")
    return tgt.set_index("account_id") if len(tgt) else None


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as floats, all NaN where the frame lacks it."""
    return frame[name].to_numpy(dtype=float) if name in frame.columns else np.full(len(frame), np.nan)


@dataclass
class _GroupDraws:
    """Joint draws of one top group's units (same copula scores for months, year and target)."""

    mean: np.ndarray  # (units, months) monthly forecast
    draws: np.ndarray  # (n, units, months)
    year_mean: np.ndarray | None = None
    year_draws: np.ndarray | None = None  # (n, units)
    year_range: np.ndarray | None = None  # (units, 2) each unit's own 80% range of the next 12 months
    target_draws: np.ndarray | None = None  # (n, units)
    has_target: np.ndarray | None = None
    target_value: np.ndarray | None = None
    target_p: np.ndarray | None = None  # each unit's own chance (forecast_targets)
    surprise_months: int = reconcile.SURPRISE_MONTHS  # months the units' co-movement was measured on

    @classmethod
    def of(cls, top, units, history, wide, summ, tgt, n_draws: int) -> _GroupDraws:
        surprise = reconcile.surprises(history, units, reconcile.SURPRISE_MONTHS)  # once: correlation and its months
        corr = reconcile.correlation_of(surprise)
        z = reconcile.copula_draws(corr, f"group:{top}", n_draws)
        # monthly draws: (n, k, months), every month from the same scores
        q_unit = {col: w.reindex(units).to_numpy(dtype=float) for col, w in wide.items()}
        mean = np.nan_to_num(q_unit["forecast"])
        # the forecast stage's normal; bounds cut at 0 below
        out = cls(mean, reconcile.normal_draws(z, mean, q_unit["sd"]))
        out.surprise_months = reconcile.surprise_months(surprise)
        if summ is not None:
            s = summ.reindex(units)
            out.year_mean = s["forecast_next_12m"].fillna(0.0).to_numpy(dtype=float)
            # the 12-month range comes from quantiles of past outcomes (lopsided where many similar
            # accounts bought nothing): its width, not its upper side alone, gives the spread
            year_sd = reconcile.sd_from_range(s["forecast_next_12m_lo_80"], s["forecast_next_12m_hi_80"])
            out.year_draws = reconcile.normal_draws(z, out.year_mean, year_sd)
            out.year_range = s[["forecast_next_12m_lo_80", "forecast_next_12m_hi_80"]].to_numpy(dtype=float)
        if tgt is not None:
            t_rows = tgt.reindex(units)
            out.has_target = t_rows["revenue_target"].notna().to_numpy()
            if out.has_target.any():
                out.target_value = t_rows["revenue_target"].to_numpy(dtype=float)
                out.target_p = _column(t_rows, "p_reach_target")
                out.target_draws = year_total_draws(z, t_rows)
        return out

    def monthly_rows(self, parent: str, cols: list[int], months: np.ndarray) -> list[tuple]:
        """(parent, month, forecast, low, high) of the units ``cols`` together."""
        paths = self.draws[:, cols, :].sum(axis=1)  # (n, months)
        low, high = np.clip(np.quantile(paths, _QUANTILES, axis=0), 0.0, None)
        return [
            (parent, ds, float(self.mean[cols, t].sum()), float(low[t]), float(high[t])) for t, ds in enumerate(months)
        ]

    def total_row(self, parent: str, cols: list[int]) -> dict:
        """The next 12 months' forecast with its interval and the chance to reach the year's target."""
        row: dict = {"account_id": parent, "reconciliation": reconcile.method_words(self.surprise_months)}
        if self.year_draws is not None:
            tot = self.year_draws[:, cols].sum(axis=1)
            row["forecast_12m"] = float(self.year_mean[cols].sum())
            own = self.year_range[cols[0]] if len(cols) == 1 else np.array([np.nan])
            bounds = own if np.all(np.isfinite(own)) else np.quantile(tot, _QUANTILES)  # one unit: its own range
            row["forecast_low"], row["forecast_high"] = (float(v) for v in np.clip(bounds, 0.0, None))
        if self.target_draws is not None:
            with_t = [c for c in cols if self.has_target[c]]
            if with_t:
                goal = float(self.target_value[with_t].sum())
                row["target"] = goal
                if len(with_t) == 1 and np.isfinite(self.target_p[with_t[0]]):  # one unit: its own chance
                    row["p_reach_target"] = float(self.target_p[with_t[0]])
                else:
                    row["p_reach_target"] = chance_to_reach(self.target_draws[:, with_t].sum(axis=1), goal)
        return row
