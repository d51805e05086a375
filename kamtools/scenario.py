"""What-if engine for joint business planning: levers -> revenue, margin, working capital vs target.

A :class:`Scenario` is plain data: a name, a scope (one account, a group of accounts
such as a tier, or the whole portfolio) and levers. :func:`evaluate` applies the levers
to the baseline (the bundle's forecast) and returns baseline and scenario side by side,
per month, per calendar year and per category. Nothing here refits a model at lever
time: :func:`baseline` gathers everything a scope needs once (per-category monthly
baseline arrays, margins, elasticities, revenue at risk, whitespace, payment days,
targets and the forecast's uncertainty), and evaluating a lever change is a handful of
numpy operations on a (categories x months) array.

The arithmetic, per category ``c`` and forecast month ``t`` (all levers in percent)::

    core[c,t]   = baseline[c,t] * (1 + churn_reduction * revenue_at_risk / baseline_12m)
                  + whitespace_capture * recommended_spend[c] / 12 * ramp[t]
    volume[c]   = (1 + price[c]) ** elasticity[c] * (1 + volume_change[c])
    revenue     = core * (1 + price[c]) * volume[c] + promotion_spend / 12 * uplift * share[c,t]
    cost        = core * cost_ratio[c] * volume[c]  + promo revenue * cost_ratio[c] / (1 + price[c])
    trade investment = promotion spend + price discounts (max(0, -price[c]) * core * volume[c])
    receivables = revenue[t] * 12 / 365 * (DSO + new payment terms - current terms)

With every lever at zero the scenario reproduces the baseline exactly. The baseline is
taken as the account's current trajectory, so keeping part of the churn model's revenue
at risk and winning part of the recommended whitespace add to it.

Price elasticity is estimated from the scope's own history (:func:`estimate_elasticity`:
log-log regression of monthly volume at constant prices on the realised price index,
with month-of-year and trend controls, statsmodels, robust standard errors) and falls
back to the tier's pooled estimate, the portfolio's, and finally
:data:`DEFAULT_ELASTICITY` when the history shows too little price variation to tell.
The user can always override it.

Bundle tables written by :func:`bundle_tables` (stage ``scenario``):
``scenario_price_volume`` (account x category x month: quantity, net_revenue, cost,
volume at reference prices, price_index), ``scenario_elasticity`` (account x category:
estimate, CI, the value used and where it comes from), ``scenario_elasticity_pooled``
(tier and portfolio estimates) and ``scenario_terms`` (payment terms and DSO per
account).

Example
-------
>>> from kamtools.bundle import Bundle
>>> b = Bundle.open("reports/demo/bundle")                                   # doctest: +SKIP
>>> s = Scenario("price +3%", scope="account:A0001", price_change=3.0)       # doctest: +SKIP
>>> evaluate(b, s).yearly[["year", "revenue_baseline", "revenue_scenario"]]   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import unicodedata
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from kamtools.data.portfolio import NotAvailable, Portfolio, month_start

if TYPE_CHECKING:
    from kamtools.bundle import Bundle

__all__ = [
    "DEFAULT_ELASTICITY",
    "DEFAULT_PAYMENT_DAYS",
    "Baseline",
    "Scenario",
    "ScenarioError",
    "ScenarioExists",
    "ScenarioResult",
    "ScenarioStore",
    "baseline",
    "batch_account_elasticities",
    "bundle_tables",
    "compare",
    "estimate_elasticity",
    "evaluate",
    "file_name",
    "load",
    "price_volume_table",
    "save",
    "scope_label",
    "scopes",
]

DEFAULT_ELASTICITY = -1.0  # unit elasticity: a price rise leaves revenue unchanged, volume falls
ELASTICITY_RANGE = (-6.0, 0.0)  # estimates outside are implausible for B2B supply and are not used
MIN_ELASTICITY_OBS = 24  # months with purchases needed for an account-level estimate
MIN_PRICE_VARIATION = 0.01  # sd of the log price index (after controls) below which price never moved
MAX_CI_WIDTH = 2.0  # a 95% interval wider than this says nothing useful
DEFAULT_PAYMENT_DAYS = 30.0
DEFAULT_COST_OF_CAPITAL = 8.0  # percent per year, to price the receivables
DEFAULT_PROMOTION_UPLIFT = 2.0  # incremental revenue per unit of promotion spend
DAYS_PER_YEAR = 365.0
SCOPE_COLUMNS = ("tier", "quadrant", "cluster_name", "rfm_segment", "industry", "region", "owner", "channel")
_Z80 = stats.norm.ppf(0.9)
_Z95 = stats.norm.ppf(0.975)


class ScenarioError(ValueError):
    """A scenario, scope or lever value that cannot be evaluated, with what to do."""


# ---------------------------------------------------------------------------------------
# the scenario: plain data
# ---------------------------------------------------------------------------------------
@dataclass
class Scenario:
    """A what-if scenario: scope and levers. All percentages are in percent (3.0 = +3%).

    Parameters
    ----------
    name : label shown in tables and charts.
    scope : ``"portfolio"``, ``"account:<account_id>"`` or ``"<column>:<value>"`` for a
        column of the bundle's account summary (``tier:1``, ``region:North``, ...).
    price_change : price change for every category, percent of today's net price.
    price_change_by_category : per-category price change, replacing ``price_change`` there.
    volume_change : volume change for every category (listings, distribution), percent.
    volume_change_by_category : per-category volume change, replacing ``volume_change``.
    elasticity : price elasticity of volume for every category; None uses the estimate.
    elasticity_by_category : per-category elasticity overrides.
    churn_reduction : share of the churn model's revenue at risk that is kept, percent.
    whitespace_capture : share of the recommended whitespace (first-year spend) won, percent.
    whitespace_ramp_months : months until won whitespace reaches its full monthly run rate.
    promotion_spend : promotion spend per year (revenue currency), spread evenly over months.
    promotion_uplift : incremental revenue per unit of promotion spend (2.0 = 2 per 1 spent).
    payment_terms_days : new contractual payment terms in days; None keeps today's terms.
    cost_of_capital : yearly cost of financing receivables, percent.
    notes : free text.
    """

    name: str = "scenario"
    scope: str = "portfolio"
    price_change: float = 0.0
    price_change_by_category: dict[str, float] = field(default_factory=dict)
    volume_change: float = 0.0
    volume_change_by_category: dict[str, float] = field(default_factory=dict)
    elasticity: float | None = None
    elasticity_by_category: dict[str, float] = field(default_factory=dict)
    churn_reduction: float = 0.0
    whitespace_capture: float = 0.0
    whitespace_ramp_months: int = 3
    promotion_spend: float = 0.0
    promotion_uplift: float = DEFAULT_PROMOTION_UPLIFT
    payment_terms_days: float | None = None
    cost_of_capital: float = DEFAULT_COST_OF_CAPITAL
    notes: str = ""

    def __post_init__(self) -> None:
        self.validate()

    # ---- checks ---------------------------------------------------------------------
    def validate(self) -> Scenario:
        """Raise :class:`ScenarioError` naming the lever and the allowed range; returns self."""
        parse_scope(self.scope)

        def num(name: str, value, lo: float, hi: float) -> None:
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ScenarioError(f"scenario {self.name!r}: {name} must be a number, got {value!r}")
            if not lo <= value <= hi:
                raise ScenarioError(f"scenario {self.name!r}: {name} must be between {lo:g} and {hi:g}, got {value:g}")

        num("price_change", self.price_change, -90.0, 200.0)
        num("volume_change", self.volume_change, -100.0, 500.0)
        for name, mapping, lo, hi in (
            ("price_change_by_category", self.price_change_by_category, -90.0, 200.0),
            ("volume_change_by_category", self.volume_change_by_category, -100.0, 500.0),
            ("elasticity_by_category", self.elasticity_by_category, *ELASTICITY_RANGE),
        ):
            if not isinstance(mapping, dict):
                raise ScenarioError(f"scenario {self.name!r}: {name} must be a mapping category -> number")
            for cat, value in mapping.items():
                num(f"{name}[{cat!r}]", value, lo, hi)
        if self.elasticity is not None:
            num("elasticity", self.elasticity, *ELASTICITY_RANGE)
        num("churn_reduction", self.churn_reduction, 0.0, 100.0)
        num("whitespace_capture", self.whitespace_capture, 0.0, 100.0)
        num("whitespace_ramp_months", self.whitespace_ramp_months, 0, 36)
        num("promotion_spend", self.promotion_spend, 0.0, 1e13)
        num("promotion_uplift", self.promotion_uplift, 0.0, 50.0)
        if self.payment_terms_days is not None:
            num("payment_terms_days", self.payment_terms_days, 0.0, 365.0)
        num("cost_of_capital", self.cost_of_capital, 0.0, 100.0)
        return self

    @property
    def is_neutral(self) -> bool:
        """True when no lever moves anything (the scenario equals the baseline)."""
        return (
            self.price_change == 0
            and not any(self.price_change_by_category.values())
            and self.volume_change == 0
            and not any(self.volume_change_by_category.values())
            and self.churn_reduction == 0
            and self.whitespace_capture == 0
            and self.promotion_spend == 0
            and self.payment_terms_days is None
        )

    # ---- persistence -----------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready dict (with a ``format`` key)."""
        return {"format": "kamtools-scenario/1", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Scenario:
        """Inverse of :meth:`to_dict`; unknown keys raise :class:`ScenarioError`."""
        if not isinstance(data, dict):
            raise ScenarioError(f"a scenario must be a JSON object, got {type(data).__name__}")
        data = dict(data)
        fmt = data.pop("format", "kamtools-scenario/1")
        if fmt != "kamtools-scenario/1":
            raise ScenarioError(f"unknown scenario format {fmt!r} (expected 'kamtools-scenario/1')")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ScenarioError(f"unknown scenario field(s) {unknown}; known fields are {sorted(known)}")
        for key in ("price_change_by_category", "volume_change_by_category", "elasticity_by_category"):
            if key in data and isinstance(data[key], dict):
                data[key] = {str(k): float(v) for k, v in data[key].items()}
        return cls(**data)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"not a valid scenario JSON: {exc}") from exc
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the scenario as JSON to ``path``: a file, or a folder (a :class:`ScenarioStore`).

        An existing file is replaced only when it holds a kamtools scenario and
        ``overwrite`` is True; any other file is never touched (:class:`ScenarioError`).
        """
        path = Path(path)
        if path.is_dir():
            return ScenarioStore(path).save(self, overwrite=overwrite)
        _write_scenario_file(path, self.to_json() + "\n", overwrite)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Scenario:
        return cls.from_json(_read_text(Path(path)))


class ScenarioExists(ScenarioError):
    """A scenario of that name is already saved; saving again needs ``overwrite=True``."""


SCENARIO_FORMAT = "kamtools-scenario/1"
SLUG_CHARS = 60  # readable part of a scenario's file name
HASH_CHARS = 10  # hex digits of the name's SHA-256 that keep file names distinct


def save(scenarios: list[Scenario], path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write several scenarios to one JSON file (a list); same replacement rules as :meth:`Scenario.save`."""
    path = Path(path)
    _write_scenario_file(path, json.dumps([s.to_dict() for s in scenarios], indent=2) + "\n", overwrite)
    return path


def load(path: str | os.PathLike) -> list[Scenario]:
    """Read scenarios from a JSON file holding one scenario or a list of them."""
    try:
        data = json.loads(_read_text(Path(path)))
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path} is not valid JSON: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    return [Scenario.from_dict(d) for d in items]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path} is not a kamtools scenario file (not UTF-8 text)") from exc
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _slug(text: str) -> str:
    """Readable, portable part of a file name: ASCII letters, digits, ``-``, at most 60 characters."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    s = "".join(ch if ch.isalnum() else "-" for ch in ascii_text.strip().lower())
    s = "-".join(p for p in s.split("-") if p)[:SLUG_CHARS].strip("-")
    return s or "scenario"


def file_name(name: str) -> str:
    """The file a scenario named ``name`` is saved to: readable slug + hash of the exact name.

    ``"Price +5%"`` -> ``price-5-<hash>.json`` and ``"Price -5%"`` -> ``price-5-<other hash>.json``;
    any name, however long or strange, gives a short file name without path separators.
    """
    digest = hashlib.sha256(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    return f"{_slug(name)}-{digest}.json"


def _scenario_names(path: Path) -> list[str] | None:
    """Names of the scenarios in a kamtools scenario file; None when it is not one (or unreadable)."""
    try:
        if not path.is_file() or path.stat().st_size > 10_000_000:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(d, dict) and d.get("format") == SCENARIO_FORMAT for d in items):
        return None
    return [str(d.get("name", "")) for d in items]


def _write_scenario_file(path: Path, text: str, overwrite: bool, name: str | None = None) -> None:
    """Write ``text`` to ``path`` atomically; never over a file that is not a kamtools scenario.

    An existing scenario file is replaced only with ``overwrite``; when ``name`` is given it
    must also hold exactly that one scenario (else it is another scenario's file).
    """
    if path.exists() or path.is_symlink():
        names = _scenario_names(path) if not path.is_symlink() else None
        if names is None:
            raise ScenarioError(
                f"{path} exists and is not a kamtools scenario file; it was left as it is. "
                "Move it away or save under another name."
            )
        if name is not None and names != [name]:
            raise ScenarioError(
                f"{path} holds another scenario ({', '.join(repr(n) for n in names)}); it was left as it is. "
                "Save under another name."
            )
        if not overwrite:
            what = f"a scenario named {name!r}" if name is not None else "a kamtools scenario file"
            raise ScenarioExists(f"{what} is already saved in {path}; save again with overwrite=True to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            if overwrite:
                os.replace(tmp, path)
            else:
                try:
                    os.link(tmp, path)  # fails if the file appeared meanwhile: never replaced by a race
                except FileExistsError:
                    raced = True
                except OSError:  # a file system without hard links
                    raced = path.exists()
                    if not raced:
                        os.replace(tmp, path)
                else:
                    raced = False
                if raced:
                    raise ScenarioExists(f"{path} was created by someone else just now; it was left as it is")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise ScenarioError(f"could not save to {path}: {exc.strerror or exc}") from exc


class ScenarioStore:
    """Saved scenarios in a folder: one JSON file per scenario, found again by the name stored inside.

    The file name comes from :func:`file_name` (readable slug + hash of the exact name), so
    different names never share a file and no name can lead outside the folder. Saving a
    name that is already saved raises :class:`ScenarioExists` unless ``overwrite=True``;
    a file that is not a kamtools scenario is never replaced.

    Example
    -------
    >>> store = ScenarioStore("scenarios")                                          # doctest: +SKIP
    >>> store.save(Scenario("Price +5%", scope="account:A0001", price_change=5))    # doctest: +SKIP
    >>> store.load_all()[0]["Price +5%"].price_change                               # doctest: +SKIP
    5.0
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def path_for(self, name: str) -> Path:
        """Where a scenario named ``name`` is saved (always directly inside the folder)."""
        return self.folder / file_name(name)  # file_name has no separator, dot-dot or drive: stays inside

    def find(self, name: str) -> Path | None:
        """The file holding the scenario ``name``: its own file, else an older file with that name inside."""
        own = self.path_for(name)
        if own.exists():
            return own
        for path in self._files():
            names = _scenario_names(path)
            if names == [name]:
                return path
        return None

    def save(self, scenario: Scenario, overwrite: bool = False) -> Path:
        """Save ``scenario`` under its name; returns the file. See the class docstring for the rules."""
        name = scenario.name
        if not str(name).strip():
            raise ScenarioError("give the scenario a name before saving it")
        if self.folder.exists() and not self.folder.is_dir():
            raise ScenarioError(f"cannot save scenarios to {self.folder}: it is a file, not a folder")
        path = self.path_for(name)
        older = None
        if not path.exists():
            older = self.find(name)
            if older is not None and not overwrite:
                raise ScenarioExists(
                    f"a scenario named {name!r} is already saved in {older}; save again with overwrite=True "
                    "to replace it"
                )
        _write_scenario_file(path, scenario.to_json() + "\n", overwrite, name=name)
        if older is not None and older != path:
            older.unlink(missing_ok=True)  # the confirmed replacement lives in the scenario's own file now
        return path

    def load(self, name: str) -> Scenario:
        """The saved scenario ``name`` (:class:`ScenarioError` when there is none)."""
        path = self.find(name)
        if path is None:
            raise ScenarioError(f"no scenario named {name!r} is saved in {self.folder}")
        for s in load(path):
            if s.name == name:
                return s
        raise ScenarioError(f"{path} does not hold the scenario {name!r}")

    def load_all(self) -> tuple[dict[str, Scenario], list[str]]:
        """({name: Scenario} for every scenario in the folder, [one sentence per file that was skipped]).

        A scenario's own file (:func:`file_name`) wins over an older file holding the same name.
        """
        found: dict[str, tuple[Scenario, Path]] = {}
        problems: list[str] = []
        for path in self._files():
            try:
                scenarios = load(path)
            except ScenarioError as exc:
                problems.append(f"skipped {path.name}: {exc}")
                continue
            for s in scenarios:
                previous = found.get(s.name)
                if previous is None:
                    found[s.name] = (s, path)
                elif previous[1] == path:
                    problems.append(f"scenario {s.name!r} is saved twice in {path.name}; using the first one")
                else:
                    if path.name == file_name(s.name):  # its own file wins
                        found[s.name] = (s, path)
                    used = found[s.name][1].name
                    problems.append(
                        f"scenario {s.name!r} is saved in both {previous[1].name} and {path.name}; using {used}"
                    )
        return {name: s for name, (s, _) in found.items()}, problems

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.json") if not p.name.startswith("."))


# ---------------------------------------------------------------------------------------
# scopes
# ---------------------------------------------------------------------------------------
def parse_scope(scope: str) -> tuple[str, str | None]:
    """``"portfolio"`` -> ("portfolio", None); ``"account:A1"`` -> ("account", "A1"); ``"tier:1"`` -> ("tier", "1")."""
    if not isinstance(scope, str) or not scope.strip():
        raise ScenarioError(f"scope must be 'portfolio', 'account:<id>' or '<column>:<value>', got {scope!r}")
    scope = scope.strip()
    if scope == "portfolio":
        return "portfolio", None
    kind, sep, value = scope.partition(":")
    if not sep or not kind or value == "":
        raise ScenarioError(f"scope must be 'portfolio', 'account:<id>' or '<column>:<value>', got {scope!r}")
    return kind, value


def scope_accounts(accounts: pd.DataFrame, scope: str) -> np.ndarray:
    """Account ids in ``scope`` (from the bundle's account summary)."""
    kind, value = parse_scope(scope)
    ids = accounts["account_id"].astype(str)
    if kind == "portfolio":
        return ids.to_numpy()
    if kind == "account":
        if value not in set(ids):
            raise ScenarioError(f"scope {scope!r}: account_id {value!r} is not in the bundle's accounts table")
        return np.array([value], dtype=object)
    if kind not in accounts.columns:
        raise ScenarioError(
            f"scope {scope!r}: the accounts summary has no column {kind!r}; "
            f"use 'portfolio', 'account:<id>' or one of {[c for c in SCOPE_COLUMNS if c in accounts.columns]}"
        )
    keep = accounts[kind].astype(str) == value
    if not keep.any():
        seen = sorted(accounts[kind].dropna().astype(str).unique())[:12]
        raise ScenarioError(f"scope {scope!r}: no account has {kind} = {value!r}; values are {seen}")
    return ids[keep].to_numpy()


def scope_label(scope: str, accounts: pd.DataFrame | None = None) -> str:
    """Human label of a scope: 'Whole portfolio', 'A0001 Rhine Poultry Ltd', 'Tier 1'."""
    kind, value = parse_scope(scope)
    if kind == "portfolio":
        return "Whole portfolio"
    if kind == "account":
        if accounts is not None and "name" in accounts.columns:
            hit = accounts.loc[accounts["account_id"].astype(str) == value, "name"]
            if len(hit):
                return f"{value} {hit.iloc[0]}"
        return str(value)
    return f"{kind.replace('_', ' ').capitalize()} {value}"


def scopes(accounts: pd.DataFrame, columns: tuple[str, ...] = ("tier",)) -> list[tuple[str, str]]:
    """Pickable scopes as ``(label, scope)``: the portfolio, each value of ``columns``, each account.

    Accounts are ordered by last-twelve-months revenue (largest first) when known.
    """
    out = [(scope_label("portfolio"), "portfolio")]
    for col in columns:
        if col in accounts.columns:
            for v in sorted(accounts[col].dropna().astype(str).unique()):
                out.append((scope_label(f"{col}:{v}"), f"{col}:{v}"))
    acc = accounts
    if "revenue_ltm" in acc.columns:
        acc = acc.sort_values(["revenue_ltm", "account_id"], ascending=[False, True], kind="stable")
    for aid, name in zip(acc["account_id"].astype(str), acc.get("name", acc["account_id"]).astype(str), strict=True):
        out.append((f"{aid} {name}", f"account:{aid}"))
    return out


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
    """
    lines = portfolio.order_lines
    end = portfolio.last_complete_month
    ds = month_start(lines["order_date"])
    keep = (ds <= end) & (lines["quantity"] > 0)
    lines = lines.loc[keep, ["account_id", "product_id", "category", "quantity", "net_revenue", "cost"]].assign(
        ds=ds[keep]
    )
    if lines.empty:
        return pd.DataFrame({c: pd.Series([], dtype=_PV_DTYPES[c]) for c in PRICE_VOLUME_COLUMNS})
    unit = lines["net_revenue"] / lines["quantity"]
    ref = unit.groupby(lines["product_id"], observed=True).median()
    ref_price = lines["product_id"].map(ref).to_numpy(dtype=float)
    lines = lines.assign(volume=lines["quantity"].to_numpy(dtype=float) * ref_price)
    out = (
        lines.groupby(["account_id", "category", "ds"], observed=True, sort=True)[
            ["quantity", "net_revenue", "cost", "volume"]
        ]
        .sum()
        .reset_index()
    )
    out["price_index"] = (out["net_revenue"] / out["volume"]).where(out["volume"] > 0)
    out["account_id"] = out["account_id"].astype(str)
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
    groups = frame["account_id"].astype(str).to_numpy()
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
            part = pv[pv["account_id"].isin(ids.astype(str))]
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
    keys = d[["account_id", "category"]].astype(str)
    g, uniques = pd.factorize(pd.MultiIndex.from_frame(keys))
    G = len(uniques)
    ds = pd.DatetimeIndex(d["ds"])
    moy = ds.month.to_numpy() - 1
    y = np.log(d["volume"].to_numpy(dtype=float))
    x = np.log(d["price_index"].to_numpy(dtype=float))
    t = (ds.year.to_numpy() * 12 + moy).astype(float) / 12.0
    n = np.bincount(g, minlength=G).astype(float)
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
    variation = np.sqrt(sxx / n)
    lo, hi = b - _Z95 * se, b + _Z95 * se
    k = n_moy + 2.0  # intercept, month dummies, trend, log price
    reason = np.full(G, "estimated from own history", dtype=object)
    usable = np.ones(G, dtype=bool)

    def flag(mask: np.ndarray, texts) -> None:
        new = mask & usable
        reason[new] = texts[new] if isinstance(texts, np.ndarray) else texts
        usable[new] = False

    flag(
        n < np.maximum(MIN_ELASTICITY_OBS, k + 1),
        np.array([f"only {int(v)} months with purchases" for v in n], dtype=object),
    )
    flat = ~(variation >= MIN_PRICE_VARIATION)
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
    # no estimate is reported from too few months or a price that never moved (nothing to read into it)
    few = (n < np.maximum(MIN_ELASTICITY_OBS, k + 1)) | flat
    out = pd.DataFrame(
        {
            "account_id": pd.Series(uniques.get_level_values(0), dtype="str"),
            "category": pd.Series(uniques.get_level_values(1), dtype="str"),
            "estimate": np.where(few, np.nan, b),
            "std_err": np.where(few, np.nan, se),
            "ci_low": np.where(few, np.nan, lo),
            "ci_high": np.where(few, np.nan, hi),
            "n_obs": n.astype(np.int64),
            "price_variation": np.where(n < np.maximum(MIN_ELASTICITY_OBS, k + 1), np.nan, variation),
            "usable": usable,
            "reason": pd.Series(reason, dtype="str"),
        }
    )
    return out[cols]


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


def _payment_terms(portfolio: Portfolio) -> pd.DataFrame:
    """Per account: median contractual payment terms and mean days late of the last 12 months' invoices."""
    inv = portfolio.get("invoices")
    ids = portfolio.accounts["account_id"].astype(str)
    out = pd.DataFrame({"account_id": ids})
    if inv is None or inv.empty:
        out["payment_terms_days"] = np.nan
        out["days_late_avg"] = np.nan
        return out
    recent = inv[inv["issue_date"] > portfolio.as_of - pd.DateOffset(months=12)]
    if recent.empty:
        recent = inv
    terms = (recent["due_date"] - recent["issue_date"]).dt.days.astype(float)
    late = ((recent["paid_date"] - recent["due_date"]).dt.days.astype(float)).clip(lower=0)
    agg = (
        pd.DataFrame({"account_id": recent["account_id"].astype(str), "terms": terms, "late": late})
        .groupby("account_id")
        .agg(payment_terms_days=("terms", "median"), days_late_avg=("late", "mean"))
    )
    return out.merge(agg.reset_index(), on="account_id", how="left")


def bundle_tables(portfolio: Portfolio, context: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame | NotAvailable]:
    """The scenario stage of ``kamtools analyze``.

    ``scenario_price_volume`` (per account x category x month, see
    :func:`price_volume_table`), ``scenario_elasticity`` (per account x category:
    ``estimate, std_err, ci_low, ci_high, n_obs, price_variation, usable, reason``, the
    ``elasticity`` used and its ``elasticity_source``: account, tier pooled, portfolio
    pooled or default), portfolio-level ``scenario_elasticity_pooled`` (``scope,
    category`` and the estimate columns, for ``portfolio`` and each ``tier:<value>``)
    and ``scenario_terms`` (per account: ``payment_terms_days``, ``days_late_avg``).
    Uses ``context["segments"]`` for the tiers when present.
    """
    pv = price_volume_table(portfolio)
    if pv.empty:
        na = NotAvailable(
            "No complete month of orders before the analysis date (the planner works on whole months"
            + ("; the orders so far all fall in the current month" if len(portfolio.orders) else "")
            + "), so there is nothing to plan from yet."
        )
        return {n: na for n in ("scenario_price_volume", "scenario_elasticity", "scenario_elasticity_pooled")} | {
            "scenario_terms": _payment_terms(portfolio)
        }
    accounts = portfolio.accounts[["account_id"]].astype({"account_id": "str"})
    segments = context.get("segments")
    tiers = None
    if isinstance(segments, pd.DataFrame) and "tier" in segments.columns:
        seg = segments[["account_id", "tier"]].astype({"account_id": "str"})
        accounts = accounts.merge(seg, on="account_id", how="left")
        tiers = seg.dropna().assign(tier=lambda d: d["tier"].astype(str)).set_index("account_id")["tier"]
    pooled = _pooled_elasticities(pv, accounts)
    own = _account_elasticities(pv, pooled, tiers)
    return {
        "scenario_price_volume": pv,
        "scenario_elasticity": own,
        "scenario_elasticity_pooled": pooled,
        "scenario_terms": _payment_terms(portfolio),
    }


# ---------------------------------------------------------------------------------------
# the baseline of a scope: everything evaluate() needs, gathered once
# ---------------------------------------------------------------------------------------
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
    booked : {year: revenue already booked in that year up to the forecast start}.
    targets : {year: revenue target}; years without a target are absent.
    sd : {year: standard deviation of the baseline forecast of that year's remaining months}.
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
    booked: dict[int, float] = field(default_factory=dict)
    targets: dict[int, float] = field(default_factory=dict)
    sd: dict[int, float] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"ds": pd.to_datetime([]), "revenue": []}))
    elasticity_info: pd.DataFrame | None = None
    n_accounts: int = 1
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
            "account_id": x["account_id"].astype(str).to_numpy(),
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

    The forecast stage computes the year total's distribution with the full covariance of
    the monthly errors and reports an 80% interval and P(reach target); the interval's
    upper bound gives the sd (the lower bound may be clipped at revenue already booked).
    """
    ft = bundle.table("forecast_targets")
    need = {"account_id", "period", "expected_total", "total_hi_80"}
    if not isinstance(ft, pd.DataFrame) or not need <= set(ft.columns):
        return {}
    x = ft[ft["account_id"].astype(str).isin(ids)]
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
        expected = dict(zip(x["account_id"].astype(str), x["expected_total"] - x["booked_ytd"], strict=True))
    earlier = tail - pd.DateOffset(years=1)
    known = pd.concat([monthly_hist.reindex(index=F.index), F], axis=1)
    known = known.loc[:, ~known.columns.duplicated(keep="last")]  # the forecast where both have a month
    last_year = known.reindex(columns=earlier, fill_value=0.0)
    naive = last_year.fillna(0.0).to_numpy(dtype=float)
    in_year = np.asarray(months.year == year)
    ext = naive.copy()
    from_targets = 0
    for i, aid in enumerate(F.index.astype(str)):
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
        x = k[k["account_id"].astype(str).isin(ids)]
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
    monthly intervals combined with correlated months; accounts are independent.
    ``horizon`` cuts the baseline to that many months (no extension).
    """
    accounts = bundle.accounts
    ids = scope_accounts(accounts, scope)
    label = scope_label(scope, accounts)
    as_of = bundle.as_of
    start = _forecast_start(as_of)
    notes: list[str] = []
    pv = bundle.table("scenario_price_volume")
    if isinstance(pv, NotAvailable):
        raise ScenarioError(
            f"the bundle at {bundle.path} has no scenario tables ({pv.reason}); "
            "re-run `kamtools analyze` with the scenario stage"
        )
    pv = pv[pv["account_id"].isin(ids)]
    hist_ds = pd.to_datetime(pv["ds"])
    # category mix and margin from the last twelve months (else all history)
    ltm = pv[hist_ds >= start - pd.DateOffset(months=12)]
    if ltm["net_revenue"].sum() <= 0:
        ltm = pv
    by_cat = ltm.groupby("category", observed=True)[["net_revenue", "cost"]].sum()
    all_cat = pv.groupby("category", observed=True)[["net_revenue", "cost"]].sum()

    # whitespace recommendations of the scope
    ws = bundle.table("whitespace_recommendations")
    ws_cat = pd.Series(dtype=float)
    if isinstance(ws, pd.DataFrame) and not ws.empty:
        w = ws[ws["account_id"].isin(ids)]
        ws_cat = w.groupby(w["category"].astype(str))["spend_if_adopted"].sum()
    else:
        notes.append("No whitespace recommendations in the bundle: the whitespace lever has no effect.")

    cats = sorted(set(by_cat.index.astype(str)) | set(ws_cat.index.astype(str)))
    if not cats:
        cats = ["all"]
    C = len(cats)
    cat_idx = {c: i for i, c in enumerate(cats)}

    # ---- monthly baseline per account (to the end of the last forecast year), then categories
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
    T = len(months)
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

    # ---- margins: cost ratio per category (category history, else the scope's overall ratio)
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

    whitespace = np.zeros(C)
    for cat, v in ws_cat.items():
        whitespace[cat_idx[str(cat)]] = max(float(v), 0.0)

    # ---- elasticity
    elasticity, info = _scope_elasticity(bundle, scope, ids, cats, revenue.sum(axis=1))

    # ---- churn, payment, booked, targets
    rar = 0.0
    churn = bundle.table("churn")
    if isinstance(churn, pd.DataFrame) and "revenue_at_risk" in churn.columns:
        rar = float(np.nansum(churn.loc[churn["account_id"].astype(str).isin(ids), "revenue_at_risk"]))
    else:
        notes.append("No churn scores in the bundle: the churn lever has no effect.")
    dso, terms = _scope_payment_days(bundle, ids, notes)

    hist = pv.groupby(hist_ds.dt.to_period("M").dt.to_timestamp())["net_revenue"].sum()
    booked = {}
    for y in sorted(set(months.year)):
        booked[int(y)] = float(hist[(hist.index.year == y) & (hist.index < start)].sum())
    targets, tnotes = _targets(bundle, ids, as_of)
    notes += tnotes
    sd: dict[int, float] = {}
    if sd_by_month is not None:
        dist = _forecast_year_dist(bundle, ids)
        for y in sorted(set(months.year)):
            cols = [m for m in months if m.year == y]
            variance = 0.0
            # accounts independent of each other (as the forecast's portfolio total assumes);
            # within an account the forecast's own year-total interval, else correlated months
            for aid, row in zip(sd_by_month.index.astype(str), sd_by_month[cols].to_numpy(dtype=float), strict=True):
                known = dist.get((aid, int(y)))
                variance += (known["sd"] if known is not None else _sum_sd(row)) ** 2
            sd[int(y)] = float(np.sqrt(variance))
            if len(ids) == 1 and (str(ids[0]), int(y)) in dist:
                # one account: match the forecast's own P(reach target) exactly at zero levers
                d = dist[(str(ids[0]), int(y))]
                mean = booked.get(int(y), 0.0) + float(tot[np.asarray(months.year == y)].sum())
                z = stats.norm.isf(d["p"]) if 0.0 < d["p"] < 1.0 else np.nan
                if np.isfinite(z) and z != 0 and (d["target"] - mean) / z > 0:
                    sd[int(y)] = float((d["target"] - mean) / z)
    if not any(np.isfinite(v) and v > 0 for v in sd.values()) and targets:
        notes.append("The forecast has no intervals here, so the probability of reaching target is not shown.")
    history = pd.DataFrame({"ds": hist.index, "revenue": hist.to_numpy(dtype=float)})
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
        booked=booked,
        targets=targets,
        sd=sd,
        history=history,
        elasticity_info=info,
        n_accounts=len(ids),
        baseline_method=baseline_method,
        notes=notes,
    )


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
    pooled = bundle.table("scenario_elasticity_pooled")
    if not isinstance(pooled, pd.DataFrame):
        pooled = pd.DataFrame(columns=["scope", *ELASTICITY_COLUMNS])
    if kind != "account" and not (pooled["scope"].astype(str) == scope).any():
        # a group analyze did not pool (e.g. a region): estimate it now
        try:
            pooled = pd.concat([pooled, estimate_elasticity(bundle, scope, cats)], ignore_index=True)
        except ScenarioError:
            pass
    rows_by_key = {(str(r.scope), str(r.category)): r for r in pooled.itertuples(index=False)}

    def usable(key):
        r = rows_by_key.get(key)
        return r if r is not None and bool(r.usable) else None

    own_by_cat: dict = {}
    if kind == "account":
        own = bundle.table("scenario_elasticity")
        if isinstance(own, pd.DataFrame):
            own = own[own["account_id"].astype(str) == ids[0]]
            own_by_cat = {str(r.category): r for r in own.itertuples(index=False)}
    out = np.full(len(cats), DEFAULT_ELASTICITY)
    rows = []
    for i, cat in enumerate(cats):
        est = lo = hi = np.nan
        note = ""
        if kind == "account":
            r = own_by_cat.get(cat)
            if r is None:
                src, note = "default", "no purchases of this category yet"
                p = usable(("portfolio", cat))
                if p is not None:
                    src, out[i], est, lo, hi = "portfolio pooled", p.estimate, p.estimate, p.ci_low, p.ci_high
            else:
                src = str(r.elasticity_source)
                out[i] = float(r.elasticity)
                if src == "account":
                    est, lo, hi = r.estimate, r.ci_low, r.ci_high
                else:
                    note = str(r.reason)
                    p = None
                    if src == "portfolio pooled":
                        p = usable(("portfolio", cat))
                    elif src.startswith("tier "):
                        p = usable((f"tier:{src.split()[1]}", cat))
                    if p is not None:
                        est, lo, hi = p.estimate, p.ci_low, p.ci_high
        else:
            own_row = rows_by_key.get((scope, cat))
            p = usable((scope, cat))
            if p is not None:
                src, out[i], est, lo, hi = "pooled over the scope", p.estimate, p.estimate, p.ci_low, p.ci_high
            else:
                note = str(own_row.reason) if own_row is not None else "not estimated"
                p = usable(("portfolio", cat))
                if p is not None:
                    src, out[i], est, lo, hi = "portfolio pooled", p.estimate, p.estimate, p.ci_low, p.ci_high
                else:
                    src = "default"
        rows.append(
            {
                "category": cat,
                "elasticity": float(out[i]),
                "source": src,
                "estimate": float(est),
                "ci_low": float(lo),
                "ci_high": float(hi),
                "note": note,
            }
        )
    info = pd.DataFrame(rows, columns=["category", "elasticity", "source", "estimate", "ci_low", "ci_high", "note"])
    info["baseline_revenue"] = np.asarray(weight, dtype=float)
    return out, info


def _scope_payment_days(bundle: Bundle, ids: np.ndarray, notes: list[str]) -> tuple[float, float]:
    """(DSO, contractual terms) of the scope, revenue-weighted over its accounts."""
    k = bundle.table("kpis")
    terms_t = bundle.table("scenario_terms")
    acc = bundle.accounts
    w = acc.loc[acc["account_id"].astype(str).isin(ids), ["account_id", "revenue_ltm"]].copy()
    w["account_id"] = w["account_id"].astype(str)
    if isinstance(k, pd.DataFrame) and "dso_days" in k.columns:
        w = w.merge(k[["account_id", "dso_days"]].astype({"account_id": "str"}), on="account_id", how="left")
    else:
        w["dso_days"] = np.nan
    if isinstance(terms_t, pd.DataFrame):
        w = w.merge(terms_t.astype({"account_id": "str"}), on="account_id", how="left")
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
    # scaled with the scenario's revenue level (the levers themselves are taken as given)
    pb, ps = np.full(Y, np.nan), np.full(Y, np.nan)
    for i, y in enumerate(years):
        if not complete[i]:
            continue
        sd = b.sd.get(int(y), np.nan)
        rb, rs = out["revenue_baseline"][i], out["revenue_scenario"][i]
        ratio = rs / rb if rb > 0 else 1.0
        pb[i] = _p_reach(target[i], booked[i], rb, sd)
        ps[i] = _p_reach(target[i], booked[i], rs, sd * ratio)
    out["p_target_baseline"] = pb
    out["p_target_scenario"] = ps
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
                ("attainment", "Target attainment {y}"),
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
