"""Price / volume history and price elasticity (account, tier and portfolio estimates)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines, month_start

if TYPE_CHECKING:
    from kamtools.bundle import Bundle
from kamtools.scenario.constants import (
    _Z95,
    DEFAULT_ELASTICITY,
    ELASTICITY_RANGE,
    MAX_CI_WIDTH,
    MIN_ELASTICITY_OBS,
    MIN_PRICE_VARIATION,
    ScenarioError,
)
from kamtools.scenario.scopes import parse_scope, scope_accounts

# ---------------------------------------------------------------------------------------
# price / volume history and elasticity
# ---------------------------------------------------------------------------------------
PRICE_VOLUME_COLUMNS = ["account_id", "category", "ds", "quantity", "net_revenue", "cost", "volume", "price_index"]


def price_volume_table(portfolio: Portfolio) -> pd.DataFrame:
    """Monthly quantity, revenue and cost per account and category, with a price index.

    Columns ``account_id, category, ds`` (month start), ``quantity`` (units),
    ``net_revenue``, ``cost``, ``volume`` (units valued at each product's reference price:
    its median net unit price over the portfolio's history, so product mix does not look
    like a price change) and ``price_index`` (``net_revenue / volume``: 1.0 = the
    reference price). Months up to the last complete month before ``as_of`` only; a
    month without purchases has no row.

    Returns, credit notes and rebates (:func:`~kamtools.data.portfolio.credit_lines`) are
    netted as in the revenue KPIs: a return (negative quantity) takes its units off the
    month's quantity and volume and its amount off revenue and cost; a rebate or credit
    note without units returned lowers revenue only, so it shows as a lower price. The
    reference prices come from sales lines alone. A month whose credits outweigh its
    sales has no price index (its volume or revenue is not positive).
    """
    lines = portfolio.order_lines
    end = portfolio.last_complete_month
    ds = month_start(lines["order_date"])
    credit = credit_lines(lines)
    sale = ~credit & (lines["quantity"] > 0)
    # a credit line's units count only when goods come back (negative quantity)
    qty = np.where(credit, np.minimum(lines["quantity"].to_numpy(dtype=float), 0.0), lines["quantity"])
    keep = (ds <= end) & (sale | credit)
    lines = (
        lines[["account_id", "product_id", "category", "net_revenue", "cost"]]
        .assign(quantity=qty, ds=ds, _sale=sale)
        .loc[keep]
    )
    if not lines["_sale"].any():
        return pd.DataFrame({c: pd.Series([], dtype=_PV_DTYPES[c]) for c in PRICE_VOLUME_COLUMNS})
    sales = lines[lines["_sale"]]
    ref = (sales["net_revenue"] / sales["quantity"]).groupby(sales["product_id"], observed=True).median()
    ref_price = lines["product_id"].map(ref).fillna(0.0).to_numpy(dtype=float)
    lines = lines.assign(volume=lines["quantity"].to_numpy(dtype=float) * ref_price)
    out = (
        lines.groupby(["account_id", "category", "ds"], observed=True, sort=True)[
            ["quantity", "net_revenue", "cost", "volume"]
        ]
        .sum()
        .reset_index()
    )
    out["price_index"] = (out["net_revenue"] / out["volume"]).where((out["volume"] > 0) & (out["net_revenue"] > 0))
    out["category"] = out["category"].astype(str)
    return out[PRICE_VOLUME_COLUMNS]


_PV_DTYPES = {
    "account_id": "str",
    "category": "str",
    "ds": "datetime64[ns]",
    "quantity": "float64",
    "net_revenue": "float64",
    "cost": "float64",
    "volume": "float64",
    "price_index": "float64",
}

ELASTICITY_COLUMNS = [
    "category",
    "estimate",
    "std_err",
    "ci_low",
    "ci_high",
    "n_obs",
    "n_accounts",
    "price_variation",
    "usable",
    "reason",
]


def _design(frame: pd.DataFrame, within: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(y, X, groups, names) for log volume ~ log price + month-of-year + trend (+ account effects).

    ``within``: absorb account fixed effects by demeaning every column within account
    (the exact fixed-effects estimator); else an intercept is included.
    """
    y = np.log(frame["volume"].to_numpy(dtype=float))
    logp = np.log(frame["price_index"].to_numpy(dtype=float))
    ds = pd.DatetimeIndex(frame["ds"])
    month = ds.month.to_numpy()
    trend = ((ds.year - ds.year.min()) * 12 + ds.month).to_numpy(dtype=float) / 12.0
    present = np.unique(month)
    dummies = [(month == m).astype(float) for m in present[1:]]
    cols = [logp, trend, *dummies]
    names = ["log_price", "trend", *[f"month_{m}" for m in present[1:]]]
    X = np.column_stack(cols)
    groups = frame["account_id"].to_numpy()
    if within:
        codes, _ = pd.factorize(groups)
        counts = np.bincount(codes).astype(float)

        def demean(a: np.ndarray) -> np.ndarray:
            if a.ndim == 1:
                return a - (np.bincount(codes, weights=a) / counts)[codes]
            return np.column_stack([demean(a[:, j]) for j in range(a.shape[1])])

        y, X = demean(y), demean(X)
        # drop columns that are constant within every account (nothing left to estimate)
        keep = np.r_[True, np.abs(X[:, 1:]).max(axis=0) > 1e-12] if X.shape[1] > 1 else np.array([True])
        X = X[:, keep]
        names = [n for n, k in zip(names, keep, strict=True) if k]
    else:
        X = np.column_stack([np.ones(len(y)), X])
        names = ["const", *names]
    return y, X, groups, names


def _fit_elasticity(frame: pd.DataFrame, pooled: bool) -> dict:
    """One log-log fit; a dict of :data:`ELASTICITY_COLUMNS` (without category)."""
    import statsmodels.api as sm

    frame = frame[(frame["volume"] > 0) & (frame["price_index"] > 0)]
    n = len(frame)
    n_acc = int(frame["account_id"].nunique()) if n else 0
    res = {"estimate": np.nan, "std_err": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n_obs": n, "n_accounts": n_acc}
    res["price_variation"] = np.nan
    min_obs = MIN_ELASTICITY_OBS if not pooled else max(MIN_ELASTICITY_OBS, 2 * n_acc)
    if n < min_obs:
        return {**res, "usable": False, "reason": f"only {n} months with purchases (needs {min_obs})"}
    y, X, groups, names = _design(frame, within=pooled)
    j = names.index("log_price") if "log_price" in names else -1
    if j < 0:
        return {**res, "price_variation": 0.0, "usable": False, "reason": "the price never changed"}
    # price variation left after the controls (what the slope is identified from)
    others = np.delete(X, j, axis=1)
    xp = X[:, j]
    if others.shape[1]:
        # normal equations on the small Gram matrix (an SVD of the tall design is far slower)
        coef, *_ = np.linalg.lstsq(others.T @ others, others.T @ xp, rcond=None)
        xp = xp - others @ coef
    variation = float(np.std(xp))
    res["price_variation"] = variation
    if variation < MIN_PRICE_VARIATION:
        return {
            **res,
            "usable": False,
            "reason": f"the price hardly moved (sd {variation:.1%} after seasonal and trend controls)",
        }
    model = sm.OLS(y, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pooled and n_acc > 1:
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]})
        else:
            fit = model.fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    est, se = float(fit.params[j]), float(fit.bse[j])
    lo, hi = (float(v) for v in np.asarray(fit.conf_int(alpha=0.05))[j])
    res.update(estimate=est, std_err=se, ci_low=lo, ci_high=hi)
    if not np.isfinite(se) or hi - lo > MAX_CI_WIDTH:
        return {**res, "usable": False, "reason": f"too uncertain (95% CI {lo:.2f} to {hi:.2f})"}
    if not ELASTICITY_RANGE[0] <= est <= ELASTICITY_RANGE[1]:
        return {**res, "usable": False, "reason": f"implausible estimate {est:.2f} (expected between -6 and 0)"}
    return {**res, "usable": True, "reason": "estimated from own history"}


def _price_volume(source: Portfolio | Bundle, scope: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(price-volume rows of the scope, accounts summary) from a Portfolio or a Bundle."""
    if isinstance(source, Portfolio):
        pv = price_volume_table(source)
        accounts = source.accounts.copy()
        kind, _ = parse_scope(scope)
        if kind not in ("portfolio", "account") and kind not in accounts.columns:
            raise ScenarioError(
                f"scope {scope!r}: a Portfolio has no {kind!r} column; pass the bundle to use segment scopes"
            )
    else:
        pv = source.table("scenario_price_volume")
        if isinstance(pv, NotAvailable):
            raise ScenarioError(
                "the bundle has no scenario_price_volume table: re-run `kamtools analyze` with the scenario stage"
            )
        accounts = source.accounts
    ids = scope_accounts(accounts, scope)
    return pv[pv["account_id"].isin(ids)], accounts


def estimate_elasticity(
    source: Portfolio | Bundle, scope: str = "portfolio", categories: list[str] | None = None
) -> pd.DataFrame:
    """Price elasticity of volume per product category for a scope, with its 95% CI.

    ``source`` is a :class:`~kamtools.data.Portfolio` or a :class:`~kamtools.bundle.Bundle`
    (its ``scenario_price_volume`` table). For each category: OLS of log monthly volume
    (units at reference prices) on the log price index, with month-of-year dummies and a
    linear trend; for a multi-account scope with account fixed effects (within
    transformation) and standard errors clustered by account, for one account with
    HAC (Newey-West, 3 lags) standard errors. Months without purchases are left out (the
    estimate is about how much is bought, not whether).

    Returns one row per category: ``category, estimate, std_err, ci_low, ci_high,
    n_obs, n_accounts, price_variation, usable, reason`` plus ``scope``. ``usable`` is
    False (with the reason) when there are too few months, the price hardly moved, the
    interval is wider than :data:`MAX_CI_WIDTH` or the estimate lies outside
    :data:`ELASTICITY_RANGE`; callers then fall back (see :func:`baseline`).
    """
    pv, _ = _price_volume(source, scope)
    pooled = parse_scope(scope)[0] != "account"
    cats = sorted(pv["category"].astype(str).unique()) if categories is None else list(categories)
    rows = []
    grouped = dict(tuple(pv.groupby("category", observed=True, sort=False)))
    for cat in cats:
        frame = grouped.get(cat, pv.iloc[0:0])
        rows.append({"category": cat, **_fit_elasticity(frame, pooled)})
    out = pd.DataFrame(rows, columns=ELASTICITY_COLUMNS)
    out.insert(0, "scope", scope)
    out["category"] = out["category"].astype(str)
    return out


def _pooled_elasticities(pv: pd.DataFrame, accounts: pd.DataFrame, scope_column: str = "tier") -> pd.DataFrame:
    """Pooled estimates for the whole portfolio and for each value of ``scope_column``."""
    frames = [_estimate_rows(pv, "portfolio", pooled=True)]
    if scope_column in accounts.columns:
        for value, ids in accounts.groupby(accounts[scope_column].astype(str), sort=True)["account_id"]:
            part = pv[pv["account_id"].isin(ids)]
            frames.append(_estimate_rows(part, f"{scope_column}:{value}", pooled=True))
    return pd.concat(frames, ignore_index=True)


def _estimate_rows(pv: pd.DataFrame, scope: str, pooled: bool) -> pd.DataFrame:
    rows = [{"category": str(cat), **_fit_elasticity(g, pooled)} for cat, g in pv.groupby("category", observed=True)]
    out = pd.DataFrame(rows, columns=ELASTICITY_COLUMNS)
    out.insert(0, "scope", scope)
    return out


HAC_LAGS = 3


def batch_account_elasticities(pv: pd.DataFrame) -> pd.DataFrame:
    """Account-level elasticity estimates for every account x category at once (vectorised).

    The same regression as :func:`estimate_elasticity` for one account (log volume on
    log price index, month-of-year dummies, trend, intercept; Newey-West standard
    errors with :data:`HAC_LAGS` lags, normal 95% interval), computed for all series
    together: by Frisch-Waugh-Lovell the slope is the regression of residualised log
    volume on residualised log price, where residualising means demeaning within
    (series, calendar month) and then partialling out the (demeaned) trend. Matches
    statsmodels ``OLS(...).fit(cov_type="HAC")`` to rounding (tested), but takes seconds
    for tens of thousands of series instead of minutes.

    Returns ``account_id, category, estimate, std_err, ci_low, ci_high, n_obs,
    price_variation, usable, reason``.
    """
    cols = ["account_id", "category", *ELASTICITY_COLUMNS[1:5], "n_obs", "price_variation", "usable", "reason"]
    d = pv[(pv["volume"] > 0) & (pv["price_index"] > 0)].sort_values(["account_id", "category", "ds"], kind="stable")
    if d.empty:
        return pd.DataFrame({c: [] for c in cols})
    keys = d[["account_id", "category"]]
    g, uniques = pd.factorize(pd.MultiIndex.from_frame(keys))
    ds = pd.DatetimeIndex(d["ds"])
    moy = ds.month.to_numpy() - 1
    y = np.log(d["volume"].to_numpy(dtype=float))
    x = np.log(d["price_index"].to_numpy(dtype=float))
    t = (ds.year.to_numpy() * 12 + moy).astype(float) / 12.0
    n = np.bincount(g, minlength=len(uniques)).astype(float)
    b, se, sxx, n_moy = _hac_slopes(g, len(uniques), moy, y, x, t)
    variation = np.sqrt(sxx / n)
    lo, hi = b - _Z95 * se, b + _Z95 * se
    k = n_moy + 2.0  # intercept, month dummies, trend, log price
    short = n < np.maximum(MIN_ELASTICITY_OBS, k + 1)
    flat = ~(variation >= MIN_PRICE_VARIATION)
    usable, reason = _usability(n, short, flat, variation, b, se, lo, hi)
    # no estimate is reported from too few months or a price that never moved (nothing to read into it)
    few = short | flat
    out = pd.DataFrame(
        {
            "account_id": pd.Series(uniques.get_level_values(0), dtype="str"),
            "category": pd.Series(uniques.get_level_values(1), dtype="str"),
            "estimate": np.where(few, np.nan, b),
            "std_err": np.where(few, np.nan, se),
            "ci_low": np.where(few, np.nan, lo),
            "ci_high": np.where(few, np.nan, hi),
            "n_obs": n.astype(np.int64),
            "price_variation": np.where(short, np.nan, variation),
            "usable": usable,
            "reason": pd.Series(reason, dtype="str"),
        }
    )
    return out[cols]


def _hac_slopes(
    g: np.ndarray, G: int, moy: np.ndarray, y: np.ndarray, x: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per series ``g`` (0..G-1, rows sorted by series and date): the slope of ``y`` on ``x`` after
    month-of-year (``moy``) dummies and trend ``t``, its Newey-West standard error, the residual
    price variance sum and the number of calendar months seen."""
    cell = g * 12 + moy
    cell_n = np.bincount(cell, minlength=G * 12).astype(float)
    n_moy = np.bincount(np.arange(G * 12) // 12, weights=(cell_n > 0).astype(float), minlength=G)

    def demean_cells(v: np.ndarray) -> np.ndarray:
        sums = np.bincount(cell, weights=v, minlength=G * 12)
        return v - (sums / np.where(cell_n > 0, cell_n, 1.0))[cell]

    def per_group(v: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=v, minlength=G)

    ry, rx, rt = demean_cells(y), demean_cells(x), demean_cells(t)
    stt = per_group(rt * rt)
    safe = np.where(stt > 1e-12, stt, 1.0)
    by = np.where(stt > 1e-12, per_group(ry * rt) / safe, 0.0)
    bx = np.where(stt > 1e-12, per_group(rx * rt) / safe, 0.0)
    ry = ry - by[g] * rt
    rx = rx - bx[g] * rt
    sxx = per_group(rx * rx)
    ok = sxx > 1e-18
    b = np.where(ok, per_group(rx * ry) / np.where(ok, sxx, 1.0), np.nan)
    e = ry - np.nan_to_num(b)[g] * rx
    u = rx * e
    S = per_group(u * u)
    for lag in range(1, HAC_LAGS + 1):
        same = g[lag:] == g[:-lag]
        S += (1.0 - lag / (HAC_LAGS + 1.0)) * 2.0 * np.bincount(g[lag:], weights=u[lag:] * u[:-lag] * same, minlength=G)
    se = np.where(ok, np.sqrt(np.maximum(S, 0.0)) / np.where(ok, sxx, 1.0), np.nan)
    return b, se, sxx, n_moy


def _usability(
    n: np.ndarray,
    short: np.ndarray,
    flat: np.ndarray,
    variation: np.ndarray,
    b: np.ndarray,
    se: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each series' estimate is usable and, if not, the first reason in this order: too
    few months, a flat price, too uncertain, implausible."""
    reason = np.full(len(n), "estimated from own history", dtype=object)
    usable = np.ones(len(n), dtype=bool)

    def flag(mask: np.ndarray, texts) -> None:
        new = mask & usable
        reason[new] = texts[new] if isinstance(texts, np.ndarray) else texts
        usable[new] = False

    flag(short, np.array([f"only {int(v)} months with purchases" for v in n], dtype=object))
    flag(
        flat,
        np.array(
            [f"the price hardly moved (sd {v:.1%} after seasonal and trend controls)" for v in variation], dtype=object
        ),
    )
    flag(
        ~np.isfinite(se) | (hi - lo > MAX_CI_WIDTH),
        np.array([f"too uncertain (95% CI {a:.2f} to {c:.2f})" for a, c in zip(lo, hi, strict=True)], dtype=object),
    )
    flag(
        (b < ELASTICITY_RANGE[0]) | (b > ELASTICITY_RANGE[1]),
        np.array([f"implausible estimate {v:.2f} (expected between -6 and 0)" for v in b], dtype=object),
    )
    return usable, reason


def _account_elasticities(pv: pd.DataFrame, pooled: pd.DataFrame, tiers: pd.Series | None) -> pd.DataFrame:
    """Per account and category: own estimate when usable, else tier, else portfolio, else default."""
    own = batch_account_elasticities(pv)
    lookup = {(r.scope, r.category): r.estimate for r in pooled.itertuples(index=False) if r.usable}
    tier = own["account_id"].map(tiers) if tiers is not None else pd.Series(np.nan, index=own.index)
    used = np.full(len(own), DEFAULT_ELASTICITY)
    source = np.full(len(own), "default", dtype=object)
    for i, (usable, est, cat, t) in enumerate(
        zip(own["usable"].to_numpy(), own["estimate"].to_numpy(), own["category"], tier, strict=True)
    ):
        if usable:
            used[i], source[i] = est, "account"
        elif isinstance(t, str) and (f"tier:{t}", cat) in lookup:
            used[i], source[i] = lookup[(f"tier:{t}", cat)], f"tier {t} pooled"
        elif ("portfolio", cat) in lookup:
            used[i], source[i] = lookup[("portfolio", cat)], "portfolio pooled"
    own["elasticity"] = used
    own["elasticity_source"] = pd.Series(source, dtype="str")
    return own
