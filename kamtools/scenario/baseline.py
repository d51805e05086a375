"""The baseline of a scope: everything :func:`kamtools.scenario.evaluate` needs, gathered once\nfrom the bundle (forecast, targets, margins, elasticities, revenue at risk, whitespace, terms).\n"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from kamtools.data.portfolio import NotAvailable
from kamtools.groups.customers import customers

if TYPE_CHECKING:
    from kamtools.bundle import Bundle
from kamtools.forecast.portfolio_range import total_sd
from kamtools.scenario.constants import _Z80, DEFAULT_ELASTICITY, DEFAULT_PAYMENT_DAYS, ScenarioError
from kamtools.scenario.elasticity import ELASTICITY_COLUMNS, estimate_elasticity
from kamtools.scenario.plan_margin import plan_margin_note
from kamtools.scenario.scopes import parse_scope, scope_accounts, scope_label
from kamtools.target_draws import chance_to_reach, year_total_draws, year_totals_of


# ---------------------------------------------------------------------------------------
# the baseline of a scope: everything evaluate() needs, gathered once
# ---------------------------------------------------------------------------------------
@dataclass
class TargetChance:
    """The year total of a scope's accounts with a target, to judge the chance of reaching their summed target.

    ``booked``: revenue those accounts booked this year; ``totals``: draws of their year total (booked
    included), each account along its own distribution, the accounts sharing the forecast stage's
    common error share ``rho`` (:func:`kamtools.target_draws.year_totals_of`), or None; without draws
    a normal of ``mean`` and ``sd``. ``p``: the chance the bundle already shows for exactly this set at zero levers (the whole
    portfolio's row, or the one account with a target), NaN when none. A scenario scales the rest of
    the year (total minus booked) by its revenue over the baseline's.
    """

    target: float
    booked: float
    totals: np.ndarray | None = None
    mean: float = np.nan
    sd: float = np.nan
    p: float = np.nan
    n_accounts: int = 0
    tied: bool = False  # drawn with the group roll-up's correlation between units (else the common share rho)
    expected: float = np.nan  # the expected year total of these accounts (the pages' figure, booked included)
    rho: float = 0.0  # the accounts' common error share the draws used (forecast_portfolio_range)

    def at(self, ratio: float = 1.0) -> float:
        """The chance of reaching ``target`` when the rest of the year is ``ratio`` times the baseline's."""
        if not np.isfinite(self.target) or self.target <= 0:
            return np.nan
        if ratio == 1.0 and np.isfinite(self.p):
            return float(self.p)
        if self.totals is not None:
            return chance_to_reach(self.booked + ratio * (self.totals - self.booked), self.target)
        mean = self.booked + ratio * (self.mean - self.booked)
        sd = ratio * self.sd
        if not (np.isfinite(mean) and np.isfinite(sd)):
            return np.nan
        if sd <= 1e-9 * max(1.0, abs(mean), abs(self.target)):
            return float(mean >= self.target)
        return float(stats.norm.sf(self.target, loc=mean, scale=sd))

    def range80(self) -> tuple[float, float]:
        """The 80% range of the year total at zero levers: the draws' 10th and 90th percentiles, else
        the normal's (its lower end never below ``booked``)."""
        if self.totals is not None:
            lo, hi = np.quantile(self.totals, [0.1, 0.9])
            return float(lo), float(hi)
        return float(max(self.booked, self.mean - _Z80 * self.sd)), float(self.mean + _Z80 * self.sd)


@dataclass
class Baseline:
    """Precomputed baseline of one scope. Arrays are (categories, months) unless noted.

    Build with :func:`baseline`; tests may construct one directly.

    Attributes
    ----------
    scope, label : the scope string and its human label.
    as_of : analysis date of the bundle.
    categories : (C,) category names.
    months : (T,) month starts of the forecast horizon.
    revenue : (C, T) baseline (forecast) revenue.
    cost_ratio : (C,) cost / revenue at today's prices (1 - margin %).
    elasticity : (C,) price elasticity used by default; ``elasticity_info`` says where each comes from.
    whitespace : (C,) recommended first-year whitespace spend (before capture).
    revenue_at_risk : the churn model's revenue at risk, per year.
    dso_days, payment_terms_days : today's days sales outstanding and contractual terms.
    dso_measured : whether ``dso_days`` comes from the receivables data (False: assumed, as the notes say).
    booked : {year: revenue already booked in that year up to the forecast start}.
    targets : {year: revenue target}; years without a target are absent.
    sd : {year: standard deviation of the baseline forecast of that year's remaining months; several
        accounts share the common error share ``rho``}.
    chance : {year: :class:`TargetChance`} for a scope of several accounts: the year total of its
        accounts with a target, drawn along each account's own distribution, tied by ``rho`` (the whole
        portfolio: the forecast stage's portfolio row); years absent here use the normal of ``sd``.
    rho : the accounts' common error share (the forecast stage's ``forecast_portfolio_range``; 0 = independent).
    history : DataFrame ``ds, revenue`` of actual monthly revenue (for charts).
    baseline_method, notes : how the baseline was obtained, and caveats in plain words.
    """

    scope: str
    label: str
    as_of: pd.Timestamp
    categories: np.ndarray
    months: pd.DatetimeIndex
    revenue: np.ndarray
    cost_ratio: np.ndarray
    elasticity: np.ndarray
    whitespace: np.ndarray
    revenue_at_risk: float = 0.0
    dso_days: float = DEFAULT_PAYMENT_DAYS
    payment_terms_days: float = DEFAULT_PAYMENT_DAYS
    dso_measured: bool = True
    booked: dict[int, float] = field(default_factory=dict)
    targets: dict[int, float] = field(default_factory=dict)
    sd: dict[int, float] = field(default_factory=dict)
    chance: dict[int, TargetChance] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"ds": pd.to_datetime([]), "revenue": []}))
    elasticity_info: pd.DataFrame | None = None
    n_accounts: int = 1
    rho: float = 0.0
    baseline_method: str = "forecast"
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.categories = np.asarray(self.categories, dtype=object)
        self.months = pd.DatetimeIndex(self.months)
        self.revenue = np.asarray(self.revenue, dtype=float).reshape(len(self.categories), len(self.months))
        C = len(self.categories)
        self.cost_ratio = np.broadcast_to(np.asarray(self.cost_ratio, dtype=float), (C,)).copy()
        self.elasticity = np.broadcast_to(np.asarray(self.elasticity, dtype=float), (C,)).copy()
        self.whitespace = np.broadcast_to(np.asarray(self.whitespace, dtype=float), (C,)).copy()
        self._years = self.months.year.to_numpy()
        self._month_share = self._shares()
        s12 = self.revenue[:, :12].sum()
        self._first12 = float(s12)

    def _shares(self) -> np.ndarray:
        tot = self.revenue.sum(axis=0, keepdims=True)
        C = max(len(self.categories), 1)
        return np.where(tot > 0, self.revenue / np.where(tot > 0, tot, 1.0), 1.0 / C)

    @property
    def years(self) -> list[int]:
        return sorted(set(self._years.tolist()))


def _forecast_start(as_of: pd.Timestamp) -> pd.Timestamp:
    """First month the forecast covers: the month after the last complete month."""
    next_day = as_of + pd.Timedelta(days=1)
    last_complete = as_of.to_period("M") if next_day.day == 1 else as_of.to_period("M") - 1
    return (last_complete + 1).to_timestamp()


def _bundle_forecast(bundle: Bundle, ids: np.ndarray, start: pd.Timestamp) -> tuple[pd.DataFrame | None, str]:
    """Account-level monthly forecast rows ``account_id, ds, forecast, sd`` from the bundle, or None."""
    fc = bundle.table("forecast")
    if isinstance(fc, NotAvailable) or fc is None or fc.empty:
        why = fc.reason if isinstance(fc, NotAvailable) else "the forecast table is empty"
        return None, why
    # the account-level series (unique_id == account_id) of the scope, from the first month on
    x = fc[fc["account_id"].isin(ids) & (fc["unique_id"] == fc["account_id"])]
    x = x.assign(_ds=x["ds"].dt.to_period("M").dt.to_timestamp())
    x = x[x["_ds"] >= start]
    out = pd.DataFrame(
        {
            "account_id": x["account_id"].to_numpy(),
            "ds": x["_ds"].to_numpy(),
            "forecast": x["forecast"].to_numpy(dtype=float),
            "sd": x["sd"].to_numpy(dtype=float),
        }
    )
    return out, "forecast"


# correlation of neighbouring months' forecast errors when only per-month intervals are known
FORECAST_ERROR_CORRELATION = 0.5


def _sum_sd(sd: np.ndarray, rho: float = FORECAST_ERROR_CORRELATION) -> float:
    """sd of a sum of monthly forecasts whose errors correlate as rho**|i-j| (AR(1)-like)."""
    sd = np.nan_to_num(np.asarray(sd, dtype=float))
    if sd.size == 0:
        return 0.0
    idx = np.arange(sd.size)
    corr = rho ** np.abs(idx[:, None] - idx[None, :])
    return float(np.sqrt(max(sd @ corr @ sd, 0.0)))


def _forecast_year_dist(bundle: Bundle, ids: np.ndarray) -> dict[tuple[str, int], dict[str, float]]:
    """{(account_id, year): sd, p, target, expected} of the forecast's year total (``forecast_targets``).

    The forecast stage reports the year total's 80% range and P(reach target)
    (:mod:`kamtools.forecast.targets`: similar accounts' out-of-time totals plus part of the
    account's own spread); the range's upper bound gives a normal-equivalent sd (the lower
    bound may be clipped at revenue already booked).
    """
    ft = bundle.table("forecast_targets")
    need = {"account_id", "period", "expected_total", "total_hi_80"}
    if not isinstance(ft, pd.DataFrame) or not need <= set(ft.columns):
        return {}
    x = ft[ft["account_id"].isin(ids)]
    sd = (x["total_hi_80"].to_numpy(dtype=float) - x["expected_total"].to_numpy(dtype=float)) / _Z80
    p = x["p_reach_target"].to_numpy(dtype=float) if "p_reach_target" in x.columns else np.full(len(x), np.nan)
    tgt = x["revenue_target"].to_numpy(dtype=float) if "revenue_target" in x.columns else np.full(len(x), np.nan)
    out = {}
    for a, y, v, pp, t, e in zip(x["account_id"], x["period"], sd, p, tgt, x["expected_total"], strict=True):
        if np.isfinite(v):
            out[(str(a), int(y))] = {"sd": float(max(v, 0.0)), "p": float(pp), "target": float(t), "expected": float(e)}
    return out


def _extend_to_year_end(
    bundle: Bundle, F: pd.DataFrame, SD: pd.DataFrame, monthly_hist: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DatetimeIndex, str]:
    """Extend per-account monthly forecasts (accounts x months) to December of their last year.

    The missing months take what the forecast stage expects for the whole year
    (``forecast_targets.expected_total`` minus booked and forecast months), spread like the
    same months a year earlier; accounts without that row repeat the same months a year
    earlier. Those months lie inside the 12 forecast months, so "a year earlier" is the
    forecast itself (not history, which may not reach back that far). Their sd is the last
    forecast month's.
    """
    months = pd.DatetimeIndex(F.columns)
    year = int(months[-1].year)
    tail = pd.date_range(months[-1] + pd.DateOffset(months=1), pd.Timestamp(year, 12, 1), freq="MS")
    ft = bundle.table("forecast_targets")
    expected = {}
    if isinstance(ft, pd.DataFrame) and {"account_id", "period", "expected_total", "booked_ytd"} <= set(ft.columns):
        x = ft[pd.to_numeric(ft["period"]) == year]
        expected = dict(zip(x["account_id"], x["expected_total"] - x["booked_ytd"], strict=True))
    earlier = tail - pd.DateOffset(years=1)
    known = pd.concat([monthly_hist.reindex(index=F.index), F], axis=1)
    known = known.loc[:, ~known.columns.duplicated(keep="last")]  # the forecast where both have a month
    last_year = known.reindex(columns=earlier, fill_value=0.0)
    naive = last_year.fillna(0.0).to_numpy(dtype=float)
    in_year = np.asarray(months.year == year)
    ext = naive.copy()
    from_targets = 0
    for i, aid in enumerate(F.index):
        if aid in expected and np.isfinite(expected[aid]):
            rest = max(float(expected[aid]) - float(F.iloc[i, in_year].sum()), 0.0)
            w = naive[i] / naive[i].sum() if naive[i].sum() > 0 else np.full(len(tail), 1.0 / len(tail))
            ext[i] = rest * w
            from_targets += 1
    F2 = pd.concat([F, pd.DataFrame(ext, index=F.index, columns=tail)], axis=1)
    SD2 = pd.concat(
        [SD, pd.DataFrame(np.repeat(SD.iloc[:, [-1]].to_numpy(), len(tail), axis=1), index=SD.index, columns=tail)],
        axis=1,
    )
    span = f"{tail[0]:%b}-{tail[-1]:%b %Y}" if len(tail) > 1 else f"{tail[0]:%b %Y}"
    how = (
        "the forecast's expected year total"
        if from_targets == len(F.index)
        else "the forecast's same months a year earlier"
        if from_targets == 0
        else f"the forecast's expected year total ({from_targets} accounts) or its same months a year earlier"
    )
    note = f"The forecast covers {len(months)} months; {span} (to complete {year}) come from {how}."
    return F2, SD2, pd.DatetimeIndex(F2.columns), note


def _targets(bundle: Bundle, ids: np.ndarray, as_of: pd.Timestamp) -> tuple[dict[int, float], list[str]]:
    """Revenue target per calendar year summed over the scope's accounts that have one."""
    notes: list[str] = []
    ft = bundle.table("forecast_targets")
    if isinstance(ft, pd.DataFrame) and not ft.empty:
        x = ft[ft["account_id"].isin(ids)].dropna(subset=["revenue_target"])
        x = x.drop_duplicates(["account_id", "period"])
        s = x.groupby(pd.to_numeric(x["period"]).astype(int))["revenue_target"].sum()
        if len(s):
            return {int(k): float(v) for k, v in s.items()}, notes
    k = bundle.table("kpis")
    if isinstance(k, pd.DataFrame) and "target" in k.columns:
        x = k[k["account_id"].isin(ids)]
        out = {}
        if x["target"].notna().any():
            out[as_of.year] = float(x["target"].sum(min_count=1))
        if "next_target" in x.columns and x["next_target"].notna().any():
            out[as_of.year + 1] = float(x["next_target"].sum(min_count=1))
        n_with = int(x["target"].notna().sum())
        if 0 < n_with < len(ids):
            notes.append(f"Only {n_with} of {len(ids)} accounts have a target for {as_of.year}.")
        return out, notes
    return {}, ["No revenue targets in the bundle."]


def _monthly_totals(bundle, pv, hist_ds, ids, start, horizon, notes):
    """(months, the scope's monthly baseline total, forecast sd per account and month or None, method):
    the bundle's forecast (to the end of its last year), else the same month last year."""
    fc, method = _bundle_forecast(bundle, ids, start)
    monthly_hist = pv.assign(_m=hist_ds.dt.to_period("M").dt.to_timestamp()).pivot_table(
        index="account_id", columns="_m", values="net_revenue", aggfunc="sum", fill_value=0.0
    )
    if fc is not None and len(fc):
        n_fc = int(fc.groupby("account_id")["ds"].nunique().max())
        months = pd.date_range(start, periods=n_fc, freq="MS")
        fc = fc[fc["ds"].isin(months)]
        F = fc.pivot_table(index="account_id", columns="ds", values="forecast", aggfunc="sum").reindex(
            columns=months, fill_value=0.0
        )
        SD = fc.pivot_table(index="account_id", columns="ds", values="sd", aggfunc="sum").reindex(columns=months)
        F = F.fillna(0.0)
        baseline_method = "forecast"
        if horizon is None and months[-1].month != 12:
            F, SD, months, tail_note = _extend_to_year_end(bundle, F, SD, monthly_hist)
            notes.append(tail_note)
        elif horizon is not None:
            months = months[: int(horizon)]
            F, SD = F[months], SD[months]
        tot = F.sum(axis=0).to_numpy(dtype=float)
        sd_by_month = SD
    else:
        end = (start + pd.DateOffset(months=11)).replace(month=12)
        months = pd.date_range(start, end, freq="MS")[: int(horizon) if horizon else None]
        last_year = monthly_hist.sum(axis=0)
        first_month = pd.Timestamp(last_year.index.min()) if len(last_year) else start
        covered = [m - pd.DateOffset(years=1) >= first_month for m in months]
        if all(covered):
            notes.append(f"No forecast in the bundle ({method}); the baseline repeats the same month of last year.")
            tot = np.array([float(last_year.get(m - pd.DateOffset(years=1), 0.0)) for m in months])
            baseline_method = "same month last year"
        else:  # last year is (partly) before the order history: its months are unknown, not zero
            n_hist = max(len(pd.date_range(first_month, start - pd.DateOffset(months=1), freq="MS")), 1)
            run_rate = float(last_year.sum()) / n_hist
            tot = np.array(
                [
                    float(last_year.get(m - pd.DateOffset(years=1), 0.0)) if ok else run_rate
                    for m, ok in zip(months, covered, strict=True)
                ]
            )
            notes.append(
                f"No forecast in the bundle ({method}); the same months last year are not all in the order history "
                f"(it starts in {first_month:%b %Y}), so those months take the average month so far "
                f"({n_hist} month{'s' if n_hist != 1 else ''})."
            )
            baseline_method = "average month of the history"
        sd_by_month = None
    return months, tot, sd_by_month, baseline_method


def _category_split(bundle, ids, by_cat, cat_idx, months, tot, baseline_method) -> np.ndarray:
    """The (categories x months) baseline: the total split by the last 12 months' category shares, or
    by the forecast per category (reconciled to the total) when the baseline is the forecast."""
    C, T = len(cat_idx), len(months)
    shares = np.zeros(C)
    if len(by_cat) and by_cat["net_revenue"].sum() > 0:
        for cat, rev in by_cat["net_revenue"].items():
            shares[cat_idx[str(cat)]] = max(float(rev), 0.0)
        shares = shares / shares.sum()
    else:
        shares[:] = 1.0 / C
    revenue = shares[:, None] * tot[None, :]
    fcat = bundle.table("forecast_category")
    if baseline_method == "forecast" and isinstance(fcat, pd.DataFrame):
        x = fcat[fcat["account_id"].isin(ids)]
        x = x.assign(_ds=x["ds"].dt.to_period("M").dt.to_timestamp())
        x = x[x["_ds"].isin(months) & x["category"].astype(str).isin(cat_idx)]
        if len(x):
            grid = np.zeros((C, T))
            piv = x.groupby(["category", "_ds"])["forecast"].sum()
            m_idx = {m: j for j, m in enumerate(months)}
            for (cat, m), v in piv.items():
                grid[cat_idx[str(cat)], m_idx[m]] = max(float(v), 0.0)
            col = grid.sum(axis=0)
            # reconcile: categories scaled to sum to the account forecast
            ok = col > 0
            revenue = np.where(ok[None, :], grid / np.where(ok, col, 1.0)[None, :] * tot[None, :], revenue)
    return revenue


def _cost_ratios(bundle, cats, cat_idx, by_cat, all_cat) -> np.ndarray:
    """Cost ratio per category: the category's history, else the scope's overall ratio (a category new to
    the scope: the portfolio's)."""
    C = len(cat_idx)
    overall_ratio = float(all_cat["cost"].sum() / all_cat["net_revenue"].sum()) if all_cat["net_revenue"].sum() else 0.0
    cost_ratio = np.full(C, overall_ratio)
    for cat in cats:
        src = by_cat if cat in by_cat.index and by_cat.loc[cat, "net_revenue"] > 0 else all_cat
        if cat in src.index and src.loc[cat, "net_revenue"] > 0:
            cost_ratio[cat_idx[cat]] = float(src.loc[cat, "cost"] / src.loc[cat, "net_revenue"])
        elif cat not in all_cat.index:
            # a new category for this scope: the portfolio's margin in it
            everyone = bundle.table("scenario_price_volume")
            g = everyone[everyone["category"] == cat]
            if len(g) and g["net_revenue"].sum() > 0:
                cost_ratio[cat_idx[cat]] = float(g["cost"].sum() / g["net_revenue"].sum())
    return cost_ratio


def _common_share(bundle: Bundle) -> tuple[float, str | None]:
    """The accounts' common error share ``rho`` the forecast stage measured (``forecast_portfolio_range``,
    :mod:`kamtools.forecast.portfolio_range`), and a note where the bundle has none (0: independent)."""
    t = bundle.table("forecast_portfolio_range")
    if not isinstance(t, pd.DataFrame):
        why = (
            "This bundle was written before kamtools stored it; run `kamtools analyze` again to add it."
            if bundle.has("forecast")
            else str(t.reason)
        )
        return 0.0, (
            "The accounts' forecast surprises are taken as independent of each other here: the forecast's measure of "
            f"how far they move together is not in this bundle. {why} So the chance of several accounts together "
            "reaching a target may be surer than it should be (too close to 0% or 100%)."
        )
    if "rho" not in t.columns or len(t) != 1:
        raise ScenarioError(
            f"the bundle at {bundle.path}: table forecast_portfolio_range must have one row with the column rho "
            f"(it has {len(t)} row(s) and the columns {', '.join(map(str, t.columns)) or 'none'})"
        )
    rho = float(pd.to_numeric(t["rho"], errors="coerce").iloc[0])
    if not (np.isfinite(rho) and 0.0 <= rho <= 1.0):
        raise ScenarioError(
            f"the bundle at {bundle.path}: forecast_portfolio_range.rho must lie between 0 and 1 (row 0: "
            f"{t['rho'].iloc[0]!r})"
        )
    return rho, None


def _year_sd(bundle, ids, months, sd_by_month, booked, tot, rho: float = 0.0) -> dict[int, float]:
    """The sd of each calendar year's total of the scope (empty without forecast intervals)."""
    sd: dict[int, float] = {}
    if sd_by_month is not None:
        dist = _forecast_year_dist(bundle, ids)
        for y in sorted(set(months.year)):
            cols = [m for m in months if m.year == y]
            # the accounts share the common error share rho, as the forecast's portfolio total does
            # (kamtools.forecast.portfolio_range.total_sd; 0 = independent); within an account the
            # forecast's own year-total interval, else correlated months
            own = [
                known["sd"] if (known := dist.get((aid, int(y)))) is not None else _sum_sd(row)
                for aid, row in zip(sd_by_month.index, sd_by_month[cols].to_numpy(dtype=float), strict=True)
            ]
            sd[int(y)] = total_sd(np.asarray(own, dtype=float), rho)
            if len(ids) == 1 and (str(ids[0]), int(y)) in dist:
                # one account: match the forecast's own P(reach target) exactly at zero levers
                d = dist[(str(ids[0]), int(y))]
                mean = booked.get(int(y), 0.0) + float(tot[np.asarray(months.year == y)].sum())
                z = stats.norm.isf(d["p"]) if 0.0 < d["p"] < 1.0 else np.nan
                if np.isfinite(z) and z != 0 and (d["target"] - mean) / z > 0:
                    sd[int(y)] = float((d["target"] - mean) / z)
    return sd


def _group_scores(bundle: Bundle, ids: np.ndarray, group: str) -> tuple[list[str], np.ndarray] | None:
    """(units, scores) of an account group as the group roll-up draws it (:mod:`kamtools.groups.rollup`):
    the units that have a forecast, in order, and the roll-up's copula scores (their monthly revenue
    surprises' correlation, seeded by the group), so that the planner's draws are the roll-up's own.
    None without a forecast to find the units in."""
    from kamtools.groups import reconcile

    fc = bundle.table("forecast")
    if not isinstance(fc, pd.DataFrame) or "account_id" not in fc.columns:
        return None
    units = sorted(set(map(str, ids)) & set(fc["account_id"].astype(str)))
    if not units:
        return None
    history = bundle.table("forecast_history")
    history = history if isinstance(history, pd.DataFrame) else None
    corr = reconcile.surprise_correlation(history, units)
    return units, reconcile.copula_draws(corr, f"group:{group}", reconcile.N_DRAWS)


def _scope_chances(bundle: Bundle, scope: str, ids: np.ndarray, years, rho: float = 0.0) -> dict[int, TargetChance]:
    """{year: :class:`TargetChance`} of a scope (empty without ``forecast_targets`` rows to draw from).

    One account is drawn along its own distribution too, showing its own chance at zero levers: a
    normal matched to that chance fails where the page says 100% (the target passed by booked revenue)
    or where the lopsided year total's expected value lies on the other side of the target than its
    chance says (expected below the target, chance above one half); the 12-month demo had 7 of 79
    account-years so (93% beside the page's 100%, 49% beside 51%).

    The accounts with a target that year are drawn each along its own year-total distribution, their
    scores sharing the forecast stage's common error share ``rho`` (:func:`kamtools.target_draws.year_totals_of`,
    seeded by scope and year; the rule of the portfolio's range and chance, so that a tier or a region
    spreads as the whole portfolio does; 0 = independent). The whole
    portfolio takes the forecast stage's ``forecast_portfolio_target`` row instead, so that the planner
    shows the chance page one shows; a ``group_id`` scope (an account group and its units) draws as
    the group roll-up does (:func:`_group_scores`: the units tied by the roll-up's copula, with its
    seed), so it shows the group report's chance; one account with a target in a larger scope shows
    that account's own chance at zero levers.
    """
    ft = bundle.table("forecast_targets")
    need = {"account_id", "period", "revenue_target", "booked_ytd", "expected_total", "total_lo_80", "total_hi_80"}
    if not len(ids) or not isinstance(ft, pd.DataFrame) or not need <= set(ft.columns):
        return {}
    kind, value = parse_scope(scope)
    rows = ft[ft["account_id"].isin(ids) & ft["revenue_target"].notna()].drop_duplicates(["account_id", "period"])
    period = pd.to_numeric(rows["period"], errors="coerce")
    published = bundle.table("forecast_portfolio_target") if kind == "portfolio" else None
    if isinstance(published, pd.DataFrame) and "p_reach_target" in published.columns:
        published = published.set_index(pd.to_numeric(published["period"], errors="coerce"))
    else:
        published = None
    group = _group_scores(bundle, ids, value) if kind == "group_id" else None
    out: dict[int, TargetChance] = {}
    for y in years:
        t = rows[period == y].sort_values("account_id", kind="stable")
        if t.empty:
            continue
        if group is not None and set(t["account_id"]) <= set(group[0]):
            units, z = group
            t_rows = t.set_index("account_id").reindex(units)
            with_t = t_rows["revenue_target"].notna().to_numpy()
            totals = year_total_draws(z, t_rows)[:, with_t].sum(axis=1)
            own = float(t["p_reach_target"].iloc[0]) if len(t) == 1 and "p_reach_target" in t.columns else np.nan
            out[int(y)] = TargetChance(
                target=float(t["revenue_target"].sum()),
                booked=float(t["booked_ytd"].sum()),
                totals=totals,
                p=own,
                n_accounts=len(t),
                tied=True,
                expected=float(t["expected_total"].sum()),
            )
            continue
        target, booked = float(t["revenue_target"].sum()), float(t["booked_ytd"].sum())
        if published is not None and y in published.index:
            r = published.loc[y]
            mean, hi = float(r["expected_total"]), float(r["total_hi_80"])
            out[int(y)] = TargetChance(
                target=float(r["revenue_target"]),
                booked=float(r["booked_ytd"]),
                mean=mean,
                sd=max(hi - mean, 0.0) / _Z80,
                p=float(r["p_reach_target"]),
                n_accounts=int(r["n_accounts"]) if "n_accounts" in r.index else len(t),
                rho=rho,
                expected=mean,
            )
            continue
        own = float(t["p_reach_target"].iloc[0]) if len(t) == 1 and "p_reach_target" in t.columns else np.nan
        totals = year_totals_of(t, f"planner:{scope}:{int(y)}", rho=rho)
        out[int(y)] = TargetChance(
            target=target,
            booked=booked,
            totals=totals,
            p=own,
            n_accounts=len(t),
            rho=rho,
            expected=float(t["expected_total"].sum()),
        )
    return out


def baseline(bundle: Bundle, scope: str, horizon: int | None = None) -> Baseline:
    """Gather the baseline of ``scope`` from a bundle (call once per scope; evaluate is then cheap).

    The monthly baseline is the bundle's account forecast (``forecast`` table), extended
    to the end of its last calendar year from the forecast's expected year total
    (``forecast_targets``; else the same months last year) so that next year's target
    can be judged, and split into categories by ``forecast_category`` (else by each
    category's share of the last twelve months' revenue). Without a forecast the
    baseline is the same month of last year (seasonal naive), and the notes say so.
    The year's uncertainty is the forecast's own (``forecast_targets``: for one account,
    matched so that zero levers give the forecast's P(reach target) exactly), else the
    monthly intervals combined with correlated months; accounts share the forecast stage's
    common error share ``rho`` (``forecast_portfolio_range``; the bundle's, never refitted). For
    several accounts the chance of reaching their summed target comes from draws of each account's
    own year total tied by ``rho`` (:func:`_scope_chances`; the whole portfolio: the forecast stage's
    portfolio row).
    ``horizon`` cuts the baseline to that many months (no extension).
    """
    accounts = bundle.accounts
    ids = scope_accounts(accounts, scope)
    label = scope_label(scope, accounts)
    as_of = bundle.as_of
    start = _forecast_start(as_of)
    notes: list[str] = []
    pv, hist_ds, by_cat, all_cat = _scope_price_volume(bundle, ids, start)
    ws_cat = _scope_whitespace(bundle, ids, notes)
    cats = sorted(set(by_cat.index.astype(str)) | set(ws_cat.index.astype(str))) or ["all"]
    cat_idx = {c: i for i, c in enumerate(cats)}

    months, tot, sd_by_month, baseline_method = _monthly_totals(bundle, pv, hist_ds, ids, start, horizon, notes)
    revenue = _category_split(bundle, ids, by_cat, cat_idx, months, tot, baseline_method)
    # margins: cost ratio per category (category history, else the scope's overall ratio)
    cost_ratio = _cost_ratios(bundle, cats, cat_idx, by_cat, all_cat)
    if len(cost_ratio) and np.allclose(cost_ratio, 0.0):  # an order log without costs
        notes.append(
            "No cost is booked on these orders, so the gross margin equals revenue (100%): it is not a real margin "
            "(add the cost of each order line, or products.unit_cost)."
        )
    if len(ids) == 1:  # the account plan's margin objective reads differently: say what the planner's figure is
        said = plan_margin_note(bundle, str(ids[0]), np.array(cats, dtype=object), revenue, cost_ratio, by_cat)
        notes += [said] if said else []
    whitespace = np.zeros(len(cats))
    for cat, v in ws_cat.items():
        whitespace[cat_idx[str(cat)]] = max(float(v), 0.0)
    elasticity, info = _scope_elasticity(bundle, scope, ids, cats, revenue.sum(axis=1))

    rar = _scope_revenue_at_risk(bundle, ids, notes)
    n_notes = len(notes)
    dso, terms = _scope_payment_days(bundle, ids, notes)
    dso_measured = len(notes) == n_notes  # the payment days add a note only where they are assumed
    hist = pv.groupby(hist_ds.dt.to_period("M").dt.to_timestamp())["net_revenue"].sum()
    booked = {
        int(y): float(hist[(hist.index.year == y) & (hist.index < start)].sum()) for y in sorted(set(months.year))
    }
    targets, tnotes = _targets(bundle, ids, as_of)
    notes += tnotes
    rho, rho_note = _common_share(bundle) if len(ids) > 1 else (0.0, None)
    sd = _year_sd(bundle, ids, months, sd_by_month, booked, tot, rho)
    chance = _scope_chances(bundle, scope, ids, sorted(set(months.year)), rho)
    if rho_note and (any(c.totals is not None and not c.tied for c in chance.values()) or (targets and not chance)):
        notes.append(rho_note)  # only where accounts are added here (not the published or the group's figures)
    drawn = {y: c.n_accounts for y, c in chance.items() if c.totals is not None}
    if drawn and len(ids) > 1:
        counts = sorted(set(drawn.values()))
        # one count, or each year's ('the accounts with a target (12 in 2025, 11 in 2026)', not '11-12 accounts')
        n = (
            f"{counts[0]} accounts with a target"
            if len(counts) == 1
            else "accounts with a target (" + ", ".join(f"{k} in {y}" for y, k in sorted(drawn.items())) + ")"
        )
        first = next(c for c in chance.values() if c.totals is not None)
        n_draws = f"{len(first.totals):,} draws"
        if first.tied:
            how = f"tied as in the group roll-up, {n_draws}"
        elif rho > 0:
            how = f"{n_draws}, the accounts' surprises moving together as in the portfolio's range"
        else:
            how = f"{n_draws}, accounts independent"
        together = (
            f" They move together as far as they did in the forecast's test on past data (how far they moved as one, "
            f"from 0 for not at all to 1 for wholly: {rho:.2f})."
            if rho > 0 and not first.tied
            else ""
        )
        notes.append(
            f"The chance of reaching target adds the {n}, each drawn along its own "
            f"forecast of the year ({how}).{together}"
        )
    n_customers = len(customers(accounts[accounts["account_id"].isin(ids)]))
    for y, c in sorted(chance.items()):
        if 0 < c.n_accounts < n_customers and np.isfinite(c.expected):
            notes.append(
                f"Target attainment and the chance to reach the {y} target count the {c.n_accounts} of the "
                f"{n_customers} accounts that have a {y} target; the year table's Baseline and Scenario columns "
                f"add all {n_customers}."
            )
    if not any(np.isfinite(v) and v > 0 for v in sd.values()) and targets:
        notes.append("The forecast has no intervals here, so the probability of reaching target is not shown.")
    return Baseline(
        scope=scope,
        label=label,
        as_of=as_of,
        categories=np.array(cats, dtype=object),
        months=months,
        revenue=revenue,
        cost_ratio=cost_ratio,
        elasticity=elasticity,
        whitespace=whitespace,
        revenue_at_risk=rar,
        dso_days=dso,
        payment_terms_days=terms,
        dso_measured=dso_measured,
        booked=booked,
        targets=targets,
        sd=sd,
        chance=chance,
        history=pd.DataFrame({"ds": hist.index, "revenue": hist.to_numpy(dtype=float)}),
        elasticity_info=info,
        n_accounts=len(ids),
        rho=rho,
        baseline_method=baseline_method,
        notes=notes,
    )


def _scope_price_volume(
    bundle: Bundle, ids: np.ndarray, start: pd.Timestamp
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.DataFrame]:
    """The scope's monthly price-volume rows, their dates, and revenue and cost per category over the
    last twelve months (else all history) and over all history."""
    pv = bundle.table("scenario_price_volume")
    if isinstance(pv, NotAvailable):
        raise ScenarioError(
            f"the bundle at {bundle.path} has no scenario tables ({pv.reason}); "
            "re-run `kamtools analyze` with the scenario stage"
        )
    pv = pv[pv["account_id"].isin(ids)]
    hist_ds = pd.to_datetime(pv["ds"])
    ltm = pv[hist_ds >= start - pd.DateOffset(months=12)]
    if ltm["net_revenue"].sum() <= 0:
        ltm = pv
    by_cat = ltm.groupby("category", observed=True)[["net_revenue", "cost"]].sum()
    all_cat = pv.groupby("category", observed=True)[["net_revenue", "cost"]].sum()
    return pv, hist_ds, by_cat, all_cat


def _scope_whitespace(bundle: Bundle, ids: np.ndarray, notes: list[str]) -> pd.Series:
    """Recommended whitespace spend per category of the scope (empty, with a note, without recommendations)."""
    ws = bundle.table("whitespace_recommendations")
    if isinstance(ws, pd.DataFrame) and not ws.empty:
        w = ws[ws["account_id"].isin(ids)]
        return w.groupby(w["category"].astype(str))["spend_if_adopted"].sum()
    notes.append("No whitespace recommendations in the bundle: the whitespace lever has no effect.")
    return pd.Series(dtype=float)


def _scope_revenue_at_risk(bundle: Bundle, ids: np.ndarray, notes: list[str]) -> float:
    """The churn model's revenue at risk of the scope (0, with a note, without churn scores)."""
    churn = bundle.table("churn")
    if isinstance(churn, pd.DataFrame) and "revenue_at_risk" in churn.columns:
        return float(np.nansum(churn.loc[churn["account_id"].isin(ids), "revenue_at_risk"]))
    notes.append("No churn scores in the bundle: the churn lever has no effect.")
    return 0.0


def _scope_elasticity(
    bundle: Bundle, scope: str, ids: np.ndarray, cats: list[str], weight: np.ndarray
) -> tuple[np.ndarray, pd.DataFrame]:
    """Default elasticity per category for the scope, and a table saying where each comes from.

    Columns of the table: ``category, elasticity`` (used), ``source`` (account, pooled
    over the scope, tier/portfolio pooled, default), ``estimate, ci_low, ci_high`` of the
    estimate that is used (NaN for the default), ``note`` (why the scope's own estimate
    was not used) and ``baseline_revenue``.
    """
    kind, _ = parse_scope(scope)
    rows_by_key = _pooled_rows(bundle, scope, kind, cats)

    def usable(key):
        r = rows_by_key.get(key)
        return r if r is not None and bool(r.usable) else None

    own_by_cat: dict = {}
    if kind == "account":
        own = bundle.table("scenario_elasticity")
        if isinstance(own, pd.DataFrame):
            own = own[own["account_id"] == ids[0]]
            own_by_cat = {str(r.category): r for r in own.itertuples(index=False)}
    rows = [
        _account_elasticity(cat, own_by_cat.get(cat), usable)
        if kind == "account"
        else _pooled_elasticity(scope, cat, rows_by_key.get((scope, cat)), usable)
        for cat in cats
    ]
    info = pd.DataFrame(rows, columns=["category", "elasticity", "source", "estimate", "ci_low", "ci_high", "note"])
    info["baseline_revenue"] = np.asarray(weight, dtype=float)
    return info["elasticity"].to_numpy(dtype=float), info


def _pooled_rows(bundle: Bundle, scope: str, kind: str, cats: list[str]) -> dict:
    """The bundle's pooled elasticity rows by (scope, category); a group that analyze did not pool
    (e.g. a region) is estimated now."""
    pooled = bundle.table("scenario_elasticity_pooled")
    if not isinstance(pooled, pd.DataFrame):
        pooled = pd.DataFrame(columns=["scope", *ELASTICITY_COLUMNS])
    if kind != "account" and not (pooled["scope"].astype(str) == scope).any():
        try:
            pooled = pd.concat([pooled, estimate_elasticity(bundle, scope, cats)], ignore_index=True)
        except ScenarioError:
            pass
    return {(str(r.scope), str(r.category)): r for r in pooled.itertuples(index=False)}


def _elasticity_row(cat: str, value: float, src: str, est=np.nan, lo=np.nan, hi=np.nan, note: str = "") -> dict:
    return {
        "category": cat,
        "elasticity": float(value),
        "source": src,
        "estimate": float(est),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "note": note,
    }


def _account_elasticity(cat: str, r, usable) -> dict:
    """One account's elasticity of ``cat``: its own row of ``scenario_elasticity`` (with the pooled
    estimate it fell back to), else the portfolio's pooled estimate, else the default."""
    if r is None:
        note = "no purchases of this category yet"
        p = usable(("portfolio", cat))
        if p is not None:
            return _elasticity_row(cat, p.estimate, "portfolio pooled", p.estimate, p.ci_low, p.ci_high, note)
        return _elasticity_row(cat, DEFAULT_ELASTICITY, "default", note=note)
    src = str(r.elasticity_source)
    if src == "account":
        return _elasticity_row(cat, r.elasticity, src, r.estimate, r.ci_low, r.ci_high)
    p = None
    if src == "portfolio pooled":
        p = usable(("portfolio", cat))
    elif src.startswith("tier "):
        p = usable((f"tier:{src.split()[1]}", cat))
    if p is not None:
        return _elasticity_row(cat, r.elasticity, src, p.estimate, p.ci_low, p.ci_high, str(r.reason))
    return _elasticity_row(cat, r.elasticity, src, note=str(r.reason))


def _pooled_elasticity(scope: str, cat: str, own_row, usable) -> dict:
    """A group scope's elasticity of ``cat``: pooled over the scope, else the portfolio's, else the default."""
    p = usable((scope, cat))
    if p is not None:
        return _elasticity_row(cat, p.estimate, "pooled over the scope", p.estimate, p.ci_low, p.ci_high)
    note = str(own_row.reason) if own_row is not None else "not estimated"
    p = usable(("portfolio", cat))
    if p is not None:
        return _elasticity_row(cat, p.estimate, "portfolio pooled", p.estimate, p.ci_low, p.ci_high, note)
    return _elasticity_row(cat, DEFAULT_ELASTICITY, "default", note=note)


def _scope_payment_days(bundle: Bundle, ids: np.ndarray, notes: list[str]) -> tuple[float, float]:
    """(DSO, contractual terms) of the scope, revenue-weighted over its accounts."""
    k = bundle.table("kpis")
    terms_t = bundle.table("scenario_terms")
    acc = bundle.accounts
    w = acc.loc[acc["account_id"].isin(ids), ["account_id", "revenue_ltm"]].copy()
    if isinstance(k, pd.DataFrame) and "dso_days" in k.columns:
        w = w.merge(k[["account_id", "dso_days"]], on="account_id", how="left")
    else:
        w["dso_days"] = np.nan
    if isinstance(terms_t, pd.DataFrame):
        w = w.merge(terms_t, on="account_id", how="left")
    else:
        w["payment_terms_days"] = w["days_late_avg"] = np.nan
    weights = w["revenue_ltm"].fillna(0.0).clip(lower=0).to_numpy(dtype=float)

    def wavg(col: str) -> float:
        v = w[col].to_numpy(dtype=float)
        ok = np.isfinite(v)
        if not ok.any():
            return np.nan
        ww = weights[ok]
        return float(np.average(v[ok], weights=ww)) if ww.sum() > 0 else float(np.mean(v[ok]))

    terms = wavg("payment_terms_days")
    dso = wavg("dso_days")
    if not np.isfinite(dso):
        late = wavg("days_late_avg")
        dso = terms + (late if np.isfinite(late) else 0.0) if np.isfinite(terms) else np.nan
    if not np.isfinite(terms):
        terms = dso if np.isfinite(dso) else DEFAULT_PAYMENT_DAYS
    if not np.isfinite(dso):
        notes.append(f"No receivables data: payment days assumed to be {DEFAULT_PAYMENT_DAYS:g}.")
        dso = DEFAULT_PAYMENT_DAYS
    return float(dso), float(terms)
