"""Analyse once, render many: the analysis bundle.

:func:`analyze` fits every portfolio-wide model once and writes a folder::

    BUNDLE_DIR/manifest.json      as_of, fingerprint, version, tables, skipped (with reasons), timings
    BUNDLE_DIR/<table>.parquet    one file per result table, sorted by account_id

Every analysis module exposes ``bundle_tables(portfolio, context) -> {name: DataFrame |
NotAvailable}``; stages run in :data:`STAGES` order and later stages read earlier
results from ``context``. A module may also declare ``SUMMARY_COLUMNS = {table:
[columns]}``: those per-account columns are joined into ``accounts.parquet``, the one
summary row per account that the report index and the scenario planner read.

The write is atomic: tables go to a temporary sibling folder, the manifest is written
last, and the folder is renamed into place, so an interrupted run never leaves a
bundle that looks complete. :meth:`Bundle.account` reads only one account's rows
(Parquet row-group filtering on the sorted ``account_id`` column).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kamtools import __version__
from kamtools.data.portfolio import NotAvailable, Portfolio

MANIFEST = "manifest.json"
BUNDLE_FORMAT = 1

# (stage name, module). Order matters: later stages may read earlier tables.
STAGES: list[tuple[str, str]] = [
    ("value", "kamtools.value"),
    ("segment", "kamtools.segment"),
    ("forecast", "kamtools.forecast"),
    ("churn", "kamtools.churn"),
    ("competitors", "kamtools.competitors"),
    ("whitespace", "kamtools.whitespace"),
    ("kpis", "kamtools.kpis"),
    ("plan", "kamtools.plan"),
    ("scenario", "kamtools.scenario"),
]


class BundleError(RuntimeError):
    """A bundle folder is missing, incomplete or from an incompatible version."""


def _base_summary(portfolio: Portfolio) -> pd.DataFrame:
    """The accounts table plus last-twelve-months revenue and margin and order dates."""
    lines = portfolio.order_lines
    start = portfolio.as_of - pd.DateOffset(months=12)
    ltm = lines[lines["order_date"] > start]
    agg = ltm.groupby("account_id", observed=True).agg(revenue_ltm=("net_revenue", "sum"), margin_ltm=("margin", "sum"))
    dates = lines.groupby("account_id", observed=True)["order_date"].agg(first_order_date="min", last_order_date="max")
    out = portfolio.accounts.merge(agg, on="account_id", how="left").merge(dates, on="account_id", how="left")
    out[["revenue_ltm", "margin_ltm"]] = out[["revenue_ltm", "margin_ltm"]].fillna(0.0)
    out["margin_pct_ltm"] = (out["margin_ltm"] / out["revenue_ltm"]).where(out["revenue_ltm"] > 0)
    return out


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and its worker processes (live or ended).

    Worker pools (loky, a local Dask cluster) outlive a stage, so the live child processes
    are read as well as the ended ones that the OS has already accounted to this process.
    Work on a remote Dask cluster is not included.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: this process only
        return time.process_time()
    own = resource.getrusage(resource.RUSAGE_SELF)
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with dask.distributed
        return total
    for child in psutil.Process().children(recursive=True):
        try:
            t = child.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


def _write_table(df: pd.DataFrame, path: Path) -> None:
    if "account_id" in df.columns:
        df = df.sort_values("account_id", kind="stable")
    df.reset_index(drop=True).to_parquet(path, index=False, row_group_size=20_000)


@dataclass
class _Run:
    """Bookkeeping of one :func:`analyze` run: tables so far, skipped, timings."""

    tmp: Path
    context: dict[str, pd.DataFrame] = field(default_factory=dict)
    tables_meta: dict[str, dict] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    summary_cols: list[tuple[str, list[str]]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def stage(self, stage: str, module_name: str, portfolio: Portfolio, say: Callable[[str], None]) -> None:
        """Run one stage's ``bundle_tables`` and write its tables."""
        t, c = time.perf_counter(), _cpu_seconds()
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            self.skipped[stage] = f"The {stage} analysis is not part of this kamtools version."
            return
        if not hasattr(module, "bundle_tables"):  # a module that is not wired into bundles (yet)
            self.skipped[stage] = f"The {stage} analysis is not part of this kamtools version."
            return
        say(f"{stage}: fitting")
        produced = module.bundle_tables(portfolio, self.context)
        for name, result in produced.items():
            if isinstance(result, NotAvailable):
                self.skipped[name] = result.reason
                continue
            _write_table(result, self.tmp / f"{name}.parquet")
            self.context[name] = result
            self.tables_meta[name] = {
                "stage": stage,
                "rows": int(len(result)),
                "columns": [str(col) for col in result.columns],
                "per_account": "account_id" in result.columns,
            }
        self.summary_cols += [(t_, cols) for t_, cols in getattr(module, "SUMMARY_COLUMNS", {}).items()]
        self.timings[stage] = round(time.perf_counter() - t, 3)
        self.cpu[stage] = round(_cpu_seconds() - c, 3)


def analyze(
    source: str | os.PathLike | Portfolio,
    out: str | os.PathLike,
    mapping: str | dict | None = None,
    as_of: str | pd.Timestamp | None = None,
    stages: list[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    scheduler: str | object | None = None,
) -> Bundle:
    """Load (unless given a Portfolio), fit every analysis once and write the bundle.

    Parameters
    ----------
    source : folder, database URL or an already loaded :class:`Portfolio`.
    out : the bundle folder; replaced atomically when it exists.
    mapping, as_of : passed to :func:`kamtools.load_portfolio`.
    stages : run only these stage names (default: all of :data:`STAGES`).
    progress : show a progress bar over the stages.
    scheduler : address of a Dask distributed scheduler (``tcp://host:8786``), or a
        ``distributed.Client`` / ``LocalCluster``: the parallel parts of the stages
        (per-series forecasting, ...) then run on that cluster instead of in local worker
        processes (see :mod:`kamtools.parallel`). The tables are identical either way.

    The manifest records wall seconds per stage (``timings_seconds``) and the CPU seconds
    of this process and its local worker processes (``cpu_seconds``; work done on a remote
    cluster is not counted). Returns the opened :class:`Bundle`.
    """
    say = log or (lambda msg: None)
    if scheduler is None:
        return _analyze(source, out, mapping, as_of, stages, progress, say, None)
    from kamtools.parallel import dask_scheduler

    # connect first: an unreachable scheduler fails before any data is loaded
    with dask_scheduler(scheduler):
        say(f"parallel parts run on the Dask cluster at {getattr(scheduler, 'scheduler_address', scheduler)}")
        return _analyze(source, out, mapping, as_of, stages, progress, say, scheduler)


def _analyze(
    source: str | os.PathLike | Portfolio,
    out: str | os.PathLike,
    mapping: str | dict | None,
    as_of: str | pd.Timestamp | None,
    stages: list[str] | None,
    progress: bool,
    say: Callable[[str], None],
    scheduler: str | object | None,
) -> Bundle:
    """:func:`analyze` after the Dask client (if any) is set up."""
    from tqdm.auto import tqdm

    t0, c0 = time.perf_counter(), _cpu_seconds()
    if isinstance(source, Portfolio):
        portfolio = source if as_of is None else source.truncate(as_of)
        source_label = "in-memory portfolio"
    else:
        from kamtools.data.loader import load_portfolio

        portfolio = load_portfolio(source, mapping=mapping, as_of=as_of)
        source_label = str(source)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    run = _Run(tmp)
    run.timings["load"] = round(time.perf_counter() - t0, 3)
    run.cpu["load"] = round(_cpu_seconds() - c0, 3)
    try:
        selected = [s for s in STAGES if stages is None or s[0] in stages]
        for stage, module_name in tqdm(selected, desc="analyse", disable=not progress, unit="stage"):
            run.stage(stage, module_name, portfolio, say)

        t, c = time.perf_counter(), _cpu_seconds()
        summary = _base_summary(portfolio)
        for table_name, cols in run.summary_cols:
            if table_name in run.context:
                part = run.context[table_name]
                keep = [col for col in cols if col in part.columns and col not in summary.columns]
                part = part.drop_duplicates("account_id")[["account_id", *keep]]
                summary = summary.merge(part, on="account_id", how="left")
        _write_table(summary, tmp / "accounts.parquet")
        run.tables_meta["accounts"] = {
            "stage": "summary",
            "rows": int(len(summary)),
            "columns": [str(col) for col in summary.columns],
            "per_account": True,
        }
        run.timings["write"] = round(time.perf_counter() - t, 3)
        run.timings["total"] = round(time.perf_counter() - t0, 3)
        run.cpu["write"] = round(_cpu_seconds() - c, 3)
        run.cpu["total"] = round(_cpu_seconds() - c0, 3)

        manifest = {
            "format": BUNDLE_FORMAT,
            "kamtools_version": __version__,
            "as_of": str(portfolio.as_of.date()),
            "fingerprint": portfolio.fingerprint(),
            "source": source_label,
            "n_accounts": int(len(portfolio.accounts)),
            "input_tables": {k: int(len(v)) for k, v in portfolio.tables.items()},
            "tables": run.tables_meta,
            "skipped": run.skipped,
            "warnings": list(portfolio.warnings),
            "timings_seconds": run.timings,
            "cpu_seconds": run.cpu,
            "scheduler": None if scheduler is None else str(getattr(scheduler, "scheduler_address", scheduler)),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        backup = None
        if out.exists():
            backup = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            out.rename(backup)
        tmp.rename(out)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Bundle.open(out)


@dataclass
class Bundle:
    """An analysis bundle on disk. Open with :meth:`Bundle.open`."""

    path: Path
    manifest: dict
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, path: str | os.PathLike) -> Bundle:
        """Open a bundle folder written by :func:`analyze`."""
        path = Path(path)
        mf = path / MANIFEST
        if not mf.is_file():
            raise BundleError(
                f"{path} is not a complete kamtools bundle (no {MANIFEST}). "
                "Run `kamtools analyze SOURCE --out BUNDLE_DIR` first."
            )
        manifest = json.loads(mf.read_text())
        if manifest.get("format") != BUNDLE_FORMAT:
            raise BundleError(f"{path} was written by an incompatible kamtools version; re-run `kamtools analyze`.")
        return cls(path, manifest)

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.manifest["as_of"])

    @property
    def fingerprint(self) -> str:
        return self.manifest["fingerprint"]

    def has(self, name: str) -> bool:
        return name in self.manifest["tables"]

    def reason(self, name: str) -> NotAvailable:
        """Why table ``name`` is not in the bundle."""
        skipped = self.manifest["skipped"]
        if name in skipped:
            return NotAvailable(skipped[name])
        for stage, _ in STAGES:
            if name.startswith(stage) and stage in skipped:
                return NotAvailable(skipped[stage])
        return NotAvailable(f"The analysis behind '{name}' was not run for this bundle.")

    def table(self, name: str) -> pd.DataFrame | NotAvailable:
        """A whole result table (cached), or NotAvailable with the reason."""
        if not self.has(name):
            return self.reason(name)
        if name not in self._cache:
            self._cache[name] = pd.read_parquet(self.path / f"{name}.parquet")
        return self._cache[name]

    @property
    def accounts(self) -> pd.DataFrame:
        """The summary row per account."""
        return self.table("accounts")

    def account_ids(self) -> list[str]:
        return self.accounts["account_id"].tolist()

    def account(self, account_id: str) -> AccountView:
        """One account's slice of the bundle; raises KeyError for an unknown id."""
        rows = pd.read_parquet(self.path / "accounts.parquet", filters=[("account_id", "==", str(account_id))])
        if rows.empty:
            raise KeyError(f"account_id {account_id!r} is not in the bundle at {self.path}")
        return AccountView(self, str(account_id), rows.iloc[0].to_dict())


@dataclass
class AccountView:
    """The rows of one account in every per-account table of a bundle."""

    bundle: Bundle
    account_id: str
    info: dict
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def as_of(self) -> pd.Timestamp:
        return self.bundle.as_of

    def table(self, name: str) -> pd.DataFrame | NotAvailable:
        """This account's rows of table ``name`` (possibly empty), or NotAvailable."""
        if not self.bundle.has(name):
            return self.bundle.reason(name)
        if not self.bundle.manifest["tables"][name]["per_account"]:
            raise ValueError(f"table {name!r} is portfolio-level; use portfolio_table()")
        if name not in self._cache:
            self._cache[name] = pd.read_parquet(
                self.bundle.path / f"{name}.parquet", filters=[("account_id", "==", self.account_id)]
            ).reset_index(drop=True)
        return self._cache[name]

    def portfolio_table(self, name: str) -> pd.DataFrame | NotAvailable:
        """A portfolio-level table (no account_id column), e.g. benchmarks for context."""
        return self.bundle.table(name)
