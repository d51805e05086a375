"""The what-if engine: levers applied to a :class:`~kamtools.scenario.Baseline` (vectorised; run on\nevery lever change), per month, year and category, and scenarios compared.\n"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from kamtools.bundle import Bundle
from kamtools.scenario.baseline import Baseline, baseline
from kamtools.scenario.constants import DAYS_PER_YEAR, ScenarioError
from kamtools.scenario.model import Scenario


# ---------------------------------------------------------------------------------------
# evaluation (vectorised; called on every lever change)
# ---------------------------------------------------------------------------------------
@dataclass
class ScenarioResult:
    """Baseline and scenario side by side.

    ``monthly``: one row per forecast month ``ds, year`` with ``<measure>_baseline``,
    ``<measure>_scenario`` for revenue, cost, gross_margin, trade_investment,
    promotion_spend, receivables, financing_cost. ``yearly``: one row per calendar year:
    ``months`` (forecast months in it), ``booked`` (revenue already booked), the measures
    summed over the forecast months, ``revenue_year_*`` (booked + forecast months),
    ``gross_margin_pct_*``, ``receivables_*`` (at year end), ``target``,
    ``attainment_*`` and ``p_target_*``. ``by_category``: per category over the horizon:
    revenue and gross margin, ``price_change_pct``, ``elasticity``, ``volume_change_pct``.
    ``kpis``: the headline comparison over the next twelve months (``metric, label,
    unit, baseline_value, scenario_value, delta``). Every frame has ``scope`` and
    ``scenario`` (the scenario's name).
    """

    scenario: Scenario
    baseline: Baseline
    monthly: pd.DataFrame
    yearly: pd.DataFrame
    by_category: pd.DataFrame
    kpis: pd.DataFrame

    def kpi(self, metric: str, which: str = "scenario") -> float:
        """One headline number, e.g. ``kpi('revenue_12m')``; ``which`` is scenario, baseline or delta."""
        row = self.kpis.loc[self.kpis["metric"] == metric]
        if row.empty:
            raise KeyError(f"no KPI {metric!r}; known: {self.kpis['metric'].tolist()}")
        col = {"scenario": "scenario_value", "baseline": "baseline_value", "delta": "delta"}[which]
        return float(row[col].iloc[0])


KPI_LABELS = {
    "revenue_12m": ("Revenue, next 12 months", "money"),
    "gross_margin_12m": ("Gross margin, next 12 months", "money"),
    "gross_margin_pct_12m": ("Gross margin %", "share"),
    "trade_investment_12m": ("Trade investment (promotions + price discounts)", "money"),
    "margin_after_trade_12m": ("Margin after promotions", "money"),
    "receivables_avg": ("Receivables (average)", "money"),
    "working_capital_cost_12m": ("Cost of financing receivables", "money"),
    "volume_change_12m": ("Volume change (all levers)", "share"),
}


def _lever_vectors(b: Baseline, s: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(price change, volume change, elasticity) per category as fractions."""
    cats = list(b.categories)
    unknown = [c for c in {**s.price_change_by_category, **s.volume_change_by_category} if c not in cats]
    unknown += [c for c in s.elasticity_by_category if c not in cats]
    if unknown:
        raise ScenarioError(
            f"scenario {s.name!r}: unknown categor{'y' if len(unknown) == 1 else 'ies'} {sorted(set(unknown))} "
            f"for scope {b.scope!r}; categories are {cats}"
        )
    p = np.array([s.price_change_by_category.get(c, s.price_change) for c in cats], dtype=float) / 100.0
    v = np.array([s.volume_change_by_category.get(c, s.volume_change) for c in cats], dtype=float) / 100.0
    e = b.elasticity.copy() if s.elasticity is None else np.full(len(cats), float(s.elasticity))
    for c, val in s.elasticity_by_category.items():
        e[cats.index(c)] = float(val)
    return p, v, e


def _project(b: Baseline, s: Scenario) -> dict[str, np.ndarray]:
    """The (C, T) arrays of the scenario, and (T,) totals."""
    C, T = b.revenue.shape
    p, v, e = _lever_vectors(b, s)
    base = b.revenue
    core = base
    if s.churn_reduction and b._first12 > 0 and b.revenue_at_risk > 0:
        core = core * (1.0 + s.churn_reduction / 100.0 * b.revenue_at_risk / b._first12)
    if s.whitespace_capture and b.whitespace.any():
        if s.whitespace_ramp_months > 0:
            ramp = np.minimum(1.0, np.arange(1, T + 1) / float(s.whitespace_ramp_months))
        else:
            ramp = np.ones(T)
        core = core + (s.whitespace_capture / 100.0) * (b.whitespace / 12.0)[:, None] * ramp[None, :]
    # constant-elasticity price response; exactly 1.0 when the price does not change
    price_factor = 1.0 + p
    vol_mult = np.where(p == 0, 1.0, np.power(price_factor, e)) * (1.0 + v)
    units_value = core * vol_mult[:, None]  # scenario volume valued at today's prices
    revenue = units_value * price_factor[:, None]
    cost = units_value * b.cost_ratio[:, None]
    promo_spend = np.full(T, s.promotion_spend / 12.0)
    if s.promotion_spend:
        promo_rev = promo_spend[None, :] * s.promotion_uplift * b._month_share
        revenue = revenue + promo_rev
        cost = cost + promo_rev * (b.cost_ratio / price_factor)[:, None]
    discount = units_value * np.maximum(0.0, -p)[:, None]
    rev_t = revenue.sum(axis=0)
    terms = b.payment_terms_days if s.payment_terms_days is None else float(s.payment_terms_days)
    days = max(b.dso_days + (terms - b.payment_terms_days), 0.0)
    receivables = rev_t * 12.0 / DAYS_PER_YEAR * days
    return {
        "revenue": revenue,
        "cost": cost,
        "units_value": units_value,
        "core": core,
        "promotion_spend": promo_spend,
        "discount": discount.sum(axis=0),
        "receivables": receivables,
        "financing_cost": receivables * s.cost_of_capital / 100.0 / 12.0,
        "price": p,
        "volume": v,
        "elasticity": e,
        "days": np.array(days),
    }


def evaluate(source: Bundle | Baseline, scenario: Scenario) -> ScenarioResult:
    """Baseline and scenario side by side, per month, per year, per category and as KPIs.

    ``source`` is a :class:`~kamtools.bundle.Bundle` (the baseline of
    ``scenario.scope`` is gathered first) or a precomputed :class:`Baseline` of that
    scope (fast: a few milliseconds). Returns a :class:`ScenarioResult`.
    """
    scenario.validate()
    b = source if isinstance(source, Baseline) else baseline(source, scenario.scope)
    if b.scope != scenario.scope:
        raise ScenarioError(
            f"scenario {scenario.name!r} is for scope {scenario.scope!r} but the baseline is for {b.scope!r}"
        )
    neutral = Scenario(name="baseline", scope=b.scope, cost_of_capital=scenario.cost_of_capital)
    base = _project(b, neutral)
    scen = _project(b, scenario)
    T = len(b.months)
    cols: dict[str, np.ndarray] = {}
    for name, arrs in (("baseline", base), ("scenario", scen)):
        rev = arrs["revenue"].sum(axis=0)
        cost = arrs["cost"].sum(axis=0)
        cols[f"revenue_{name}"] = rev
        cols[f"cost_{name}"] = cost
        cols[f"gross_margin_{name}"] = rev - cost
        cols[f"promotion_spend_{name}"] = arrs["promotion_spend"]
        cols[f"trade_investment_{name}"] = arrs["promotion_spend"] + arrs["discount"]
        cols[f"receivables_{name}"] = arrs["receivables"]
        cols[f"financing_cost_{name}"] = arrs["financing_cost"]
    monthly = pd.DataFrame(
        {
            "scope": np.full(T, b.scope, dtype=object),
            "scenario": np.full(T, scenario.name, dtype=object),
            "ds": b.months,
            "year": b._years,
            **cols,
            "revenue_delta": cols["revenue_scenario"] - cols["revenue_baseline"],
        }
    )
    yearly = _yearly(b, cols, scenario)
    by_cat = _by_category(b, base, scen, scenario)
    kpis = _kpis(b, cols, yearly, base, scen, scenario, T)
    return ScenarioResult(scenario, b, monthly, yearly, by_cat, kpis)


def _p_reach(target: float, booked: float, mean: float, sd: float) -> float:
    if not np.isfinite(target) or target <= 0:
        return np.nan
    if not np.isfinite(sd):
        return np.nan
    if sd <= 1e-9 * max(1.0, abs(booked + mean), abs(target)):  # no uncertainty left
        return float(booked + mean >= target)
    return float(stats.norm.sf(target, loc=booked + mean, scale=sd))


_YEAR_SUMS = ("revenue", "cost", "gross_margin", "promotion_spend", "trade_investment", "financing_cost")


def _yearly(b: Baseline, cols: dict[str, np.ndarray], s: Scenario) -> pd.DataFrame:
    years, inv = np.unique(b._years, return_inverse=True)
    Y = len(years)
    out: dict[str, object] = {
        "scope": np.full(Y, b.scope, dtype=object),
        "scenario": np.full(Y, s.name, dtype=object),
        "year": years.astype(np.int64),
        "months": np.bincount(inv, minlength=Y).astype(np.int64),
    }
    # a year is complete when booked months + forecast months cover all twelve
    start = b.months[0]
    booked_months = np.where(years == start.year, start.month - 1, np.where(years < start.year, 12, 0))
    complete = (out["months"] + booked_months) >= 12
    booked = np.array([b.booked.get(int(y), 0.0) for y in years], dtype=float)
    target = np.array([b.targets.get(int(y), np.nan) for y in years], dtype=float)
    out["complete"] = complete
    out["booked"] = booked
    out["target"] = target
    last = np.array([np.nonzero(inv == i)[0][-1] for i in range(Y)], dtype=np.int64)
    for w in ("baseline", "scenario"):
        for m in _YEAR_SUMS:
            out[f"{m}_{w}"] = np.bincount(inv, weights=cols[f"{m}_{w}"], minlength=Y)
        out[f"receivables_{w}"] = cols[f"receivables_{w}"][last]
    with np.errstate(divide="ignore", invalid="ignore"):
        for w in ("baseline", "scenario"):
            rev = out[f"revenue_{w}"]
            out[f"revenue_year_{w}"] = booked + rev
            out[f"gross_margin_pct_{w}"] = np.where(rev > 0, out[f"gross_margin_{w}"] / rev, np.nan)
            ok = (target > 0) & complete
            out[f"attainment_{w}"] = np.where(ok, out[f"revenue_year_{w}"] / np.where(ok, target, 1.0), np.nan)
    # probability of reaching target: the forecast's uncertainty of the remaining months,
    # scaled with the scenario's revenue level (the levers themselves are taken as given);
    # several accounts: draws of each account's own year total (Baseline.chance), else a normal
    pb, ps = np.full(Y, np.nan), np.full(Y, np.nan)
    for i, y in enumerate(years):
        if not complete[i]:
            continue
        sd = b.sd.get(int(y), np.nan)
        rb, rs = out["revenue_baseline"][i], out["revenue_scenario"][i]
        ratio = rs / rb if rb > 0 else 1.0
        chance = b.chance.get(int(y))
        if chance is not None:
            pb[i], ps[i] = chance.at(1.0), chance.at(ratio)
            continue
        pb[i] = _p_reach(target[i], booked[i], rb, sd)
        ps[i] = _p_reach(target[i], booked[i], rs, sd * ratio)
    out["p_target_baseline"] = pb
    out["p_target_scenario"] = ps
    # attainment counts the accounts that hold the target, as the pages do ("by the 39 accounts with a 2026
    # target"): their expected year total, its rest scaled with the scenario's revenue, not the whole scope's
    for i, y in enumerate(years):
        c = b.chance.get(int(y))
        if c is None or not (complete[i] and target[i] > 0 and np.isfinite(c.expected)):
            continue
        rb = out["revenue_baseline"][i]
        for w in ("baseline", "scenario"):
            ratio = out[f"revenue_{w}"][i] / rb if rb > 0 else 1.0
            out[f"attainment_{w}"][i] = (c.booked + ratio * (c.expected - c.booked)) / target[i]
    return pd.DataFrame(out)


def _by_category(b: Baseline, base: dict, scen: dict, s: Scenario) -> pd.DataFrame:
    rb, rs = base["revenue"].sum(axis=1), scen["revenue"].sum(axis=1)
    gb, gs = rb - base["cost"].sum(axis=1), rs - scen["cost"].sum(axis=1)
    vb, vs = base["units_value"].sum(axis=1), scen["units_value"].sum(axis=1)
    C = len(b.categories)
    with np.errstate(divide="ignore", invalid="ignore"):
        vol = np.where(vb > 0, (vs / np.where(vb > 0, vb, 1.0) - 1.0) * 100.0, np.nan)
    return pd.DataFrame(
        {
            "scope": np.full(C, b.scope, dtype=object),
            "scenario": np.full(C, s.name, dtype=object),
            "category": b.categories,
            "revenue_baseline": rb,
            "revenue_scenario": rs,
            "gross_margin_baseline": gb,
            "gross_margin_scenario": gs,
            "price_change_pct": scen["price"] * 100.0,
            "elasticity": scen["elasticity"],
            "volume_change_pct": vol,
            "whitespace_spend": b.whitespace,
        }
    )


ATTAINMENT_LABEL = "Target attainment {y} (expected year total / target)"
"""The KPI row of a year's attainment: the expected year total over the target, not booked so far over it
(the pages' 'Target attainment so far'); the compare table's column reads the same."""


def _kpis(b: Baseline, cols, yearly, base, scen, s: Scenario, T: int) -> pd.DataFrame:
    n = min(12, T)
    metrics, vb, vs = [], [], []

    def add(metric: str, base_value: float, scen_value: float) -> None:
        metrics.append(metric)
        vb.append(float(base_value))
        vs.append(float(scen_value))

    def tot(col: str) -> tuple[float, float]:
        return float(cols[f"{col}_baseline"][:n].sum()), float(cols[f"{col}_scenario"][:n].sum())

    rv = tot("revenue")
    gm = tot("gross_margin")
    pr = tot("promotion_spend")
    add("revenue_12m", *rv)
    add("gross_margin_12m", *gm)
    add("gross_margin_pct_12m", *(g / r if r > 0 else np.nan for g, r in zip(gm, rv, strict=True)))
    add("trade_investment_12m", *tot("trade_investment"))
    add("margin_after_trade_12m", gm[0] - pr[0], gm[1] - pr[1])
    add("receivables_avg", cols["receivables_baseline"][:n].mean(), cols["receivables_scenario"][:n].mean())
    add("working_capital_cost_12m", *tot("financing_cost"))
    ub = float(base["units_value"][:, :n].sum())
    us = float(scen["units_value"][:, :n].sum())
    add("volume_change_12m", 0.0, us / ub - 1.0 if ub > 0 else np.nan)
    labels = [KPI_LABELS[m][0] for m in metrics]
    units = [KPI_LABELS[m][1] for m in metrics]
    for i, y in enumerate(yearly["year"].to_numpy()):
        if np.isfinite(yearly["target"].iat[i]) and yearly["complete"].iat[i]:
            for key, label in (
                ("attainment", ATTAINMENT_LABEL),
                ("p_target", "Probability of reaching the {y} target"),
            ):
                metrics.append(f"{key}_{y}")
                labels.append(label.format(y=y))
                units.append("share")
                vb.append(float(yearly[f"{key}_baseline"].iat[i]))
                vs.append(float(yearly[f"{key}_scenario"].iat[i]))
    k = len(metrics)
    vb_a, vs_a = np.array(vb), np.array(vs)
    return pd.DataFrame(
        {
            "scope": np.full(k, b.scope, dtype=object),
            "scenario": np.full(k, s.name, dtype=object),
            "metric": np.array(metrics, dtype=object),
            "label": np.array(labels, dtype=object),
            "unit": np.array(units, dtype=object),
            "baseline_value": vb_a,
            "scenario_value": vs_a,
            "delta": vs_a - vb_a,
        }
    )


def compare(source: Bundle | Baseline | dict[str, Baseline], scenarios: list[Scenario]) -> pd.DataFrame:
    """Several scenarios in one table: one row per scenario plus one baseline row per scope.

    Columns ``scope, scenario`` and the headline KPIs over the next twelve months
    (``revenue_12m``, ``gross_margin_12m``, ``gross_margin_pct_12m``,
    ``trade_investment_12m``, ``margin_after_trade_12m``, ``receivables_avg``,
    ``working_capital_cost_12m``, ``volume_change_12m``) plus ``attainment_<year>`` and
    ``p_target_<year>`` where targets exist, and ``revenue_vs_baseline`` (scenario minus
    baseline revenue). ``source`` is a Bundle, a Baseline, or a dict ``scope -> Baseline``.
    """
    if not scenarios:
        raise ScenarioError("compare needs at least one scenario")
    cache: dict[str, Baseline] = {}
    if isinstance(source, Baseline):
        cache[source.scope] = source
    elif isinstance(source, dict):
        cache.update(source)
    rows = []
    done_baseline: set[str] = set()
    for s in scenarios:
        if s.scope not in cache:
            if isinstance(source, Baseline | dict):
                raise ScenarioError(f"no baseline for scope {s.scope!r} (scenario {s.name!r}); pass the bundle")
            cache[s.scope] = baseline(source, s.scope)
        res = evaluate(cache[s.scope], s)
        k = res.kpis.set_index("metric")
        if s.scope not in done_baseline:
            rows.append({"scope": s.scope, "scenario": "baseline", **k["baseline_value"].to_dict()})
            done_baseline.add(s.scope)
        rows.append({"scope": s.scope, "scenario": s.name, **k["scenario_value"].to_dict()})
    out = pd.DataFrame(rows)
    base_rev = out[out["scenario"] == "baseline"].set_index("scope")["revenue_12m"]
    out["revenue_vs_baseline"] = out["revenue_12m"] - out["scope"].map(base_rev)
    return out
