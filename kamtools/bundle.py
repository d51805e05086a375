"""Analyse once, render many: the analysis bundle.

:func:`analyze` fits every portfolio-wide model once and writes a folder::

    BUNDLE_DIR/manifest.json      as_of, fingerprint, version, tables, skipped (with reasons), notes,
                                  history (the span of the order history), timings
    BUNDLE_DIR/<table>.parquet    one file per result table, sorted by account_id

The stages are declared in :mod:`kamtools.stages` (what each reads from the Portfolio and
from earlier stages, what it writes); its runner orders them, hands each only its declared
inputs and checks what it writes. A stage module may also declare ``SUMMARY_COLUMNS =
{table: [columns]}``: those per-account columns are joined into ``accounts.parquet``, the
one summary row per account that the report index and the scenario planner read.

What a stage could do only in part (a shorter backtest, a growth figure left out because
the history does not cover the year before) it says under the key ``"_notes"`` of its
result: ``{name: one sentence}``. The manifest keeps them as ``notes`` beside ``skipped``
(whole tables left out, with the reason); :meth:`Bundle.note` reads one.

The write is atomic: tables go to a temporary sibling folder (``.NAME.tmp-<pid>-<hex>``),
the manifest is written last, and the folder is renamed into place, so an interrupted
run never leaves a bundle that looks complete; the next run removes the temporary
folders of runs that were killed. Only a folder that kamtools made (a bundle) is ever
replaced (see :mod:`kamtools.outputs`). :meth:`Bundle.account` reads only one account's rows
(Parquet row-group filtering on the sorted ``account_id`` column).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from kamtools import __version__
from kamtools import stages as _stages
from kamtools.data.portfolio import NotAvailable, Portfolio, credit_lines

MANIFEST = "manifest.json"
BUNDLE_FORMAT = 1


class BundleError(RuntimeError):
    """A bundle folder is missing, incomplete or from an incompatible version."""


def _base_summary(portfolio: Portfolio) -> pd.DataFrame:
    """The accounts table plus last-twelve-months revenue and margin and order dates."""
    lines = portfolio.order_lines
    start = portfolio.as_of - pd.DateOffset(months=12)
    ltm = lines[lines["order_date"] > start]
    agg = ltm.groupby("account_id", observed=True).agg(revenue_ltm=("net_revenue", "sum"), margin_ltm=("margin", "sum"))
    sales = lines[~credit_lines(lines)]  # a return or credit note is not an order (as in the churn stage)
    dates = sales.groupby("account_id", observed=True)["order_date"].agg(first_order_date="min", last_order_date="max")
    # the first return or credit note: an account with credit lines and no order bought before the data
    credits = lines[credit_lines(lines)].groupby("account_id", observed=True)["order_date"].agg(first_credit_date="min")
    out = portfolio.accounts.merge(agg, on="account_id", how="left").merge(dates, on="account_id", how="left")
    out[["revenue_ltm", "margin_ltm"]] = out[["revenue_ltm", "margin_ltm"]].fillna(0.0)
    out["margin_pct_ltm"] = (out["margin_ltm"] / out["revenue_ltm"]).where(out["revenue_ltm"] > 0)
    return out.merge(credits, on="account_id", how="left")


def _history_record(portfolio: Portfolio) -> dict:
    """The span of the order history for the manifest (see :mod:`kamtools.history`)."""
    from kamtools.history import order_history

    h = order_history(portfolio)
    return {
        "first_order": None if h.first_order is None else str(h.first_order.date()),
        "last_order": None if h.last_order is None else str(h.last_order.date()),
        "months": h.months,
        "complete_months": h.complete_months,
        "description": h.describe(),
    }


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


def _local_sources(source: object) -> tuple[Path, ...]:
    """The local path of a data source given as a folder or file (not a database URL)."""
    if isinstance(source, Portfolio) or source is None:
        return ()
    text = os.fspath(source) if isinstance(source, (str, os.PathLike)) else None
    if not text or "://" in str(text):
        return ()
    return (Path(text),)


def _temp_folder(out: Path) -> Path:
    """A new hidden sibling ``.NAME.tmp-<pid>-<hex>`` of ``out`` to write the bundle into
    (with kamtools' output marker); a run killed before the rename leaves only this
    folder, which the next run removes (see :func:`kamtools.outputs.remove_stale`)."""
    from kamtools.outputs import MARKER, OutputError, marker_text, temp_name, write_failure

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / temp_name(out.name)
        tmp.mkdir()
        (tmp / MARKER).write_text(marker_text("bundle"), encoding="utf-8")
    except OSError as exc:
        raise OutputError(write_failure(out, exc)) from exc
    return tmp


def analyze(
    source: str | os.PathLike | Portfolio,
    out: str | os.PathLike,
    mapping: str | dict | None = None,
    as_of: str | pd.Timestamp | None = None,
    stages: list[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    scheduler: str | object | None = None,
    overlap: bool = True,
    playbook: str | os.PathLike | None = None,
    negative_lines: str | None = None,
    churn_definition: str | dict | object | None = None,
    currency: str | None = None,
) -> Bundle:
    """Load (unless given a Portfolio), fit every analysis once and write the bundle.

    Parameters
    ----------
    source : folder, database URL or an already loaded :class:`Portfolio`.
    out : the bundle folder, written atomically. An existing folder is replaced only when
        it is a kamtools bundle (or empty); anything else (a file, a folder of other files,
        the data folder itself or one holding it) raises :class:`kamtools.outputs.OutputError`
        before any work.
    mapping, as_of, negative_lines : passed to :func:`kamtools.load_portfolio` (``negative_lines``:
        keep, drop or reject returns, credit notes and rebates; default the mapping's, else keep).
    stages : run only these stage names (default: all of :data:`kamtools.stages.STAGES`); a stage
        whose upstream stage is left out runs without those tables; an unknown name raises ValueError
        (before any work).
    progress : show a progress bar over the stages.
    churn_definition : what churn means: a :class:`kamtools.churn.ChurnDefinition`, a dict or
        a spec string such as ``"inactive=9,drop=40,window=6"``
        (:func:`kamtools.churn.definition_from`); checked before any work (ValueError), and
        recorded in the manifest (``churn_definition``). Default: no orders in the next 6
        months, or revenue down more than 50% over the next 12 months.
    currency : ISO code of the revenue currency (``"EUR"``, ``"USD"``, ...): checked before any
        work and recorded in the manifest (``settings.currency``); reports, decks and the planner
        show money with it. Default: none (amounts without a symbol).
    scheduler : address of a Dask distributed scheduler (``tcp://host:8786``), or a
        ``distributed.Client`` / ``LocalCluster``: the parallel parts of the stages
        (per-series forecasting, ...) then run on that cluster instead of in local worker
        processes (see :mod:`kamtools.parallel`). The tables are identical either way.
    overlap : run the background stages (declared ``background=True``: the forecast) in a thread
        while the following stages run, until one that reads their tables (directly or not). Same tables either way;
        False runs the stages strictly one after the other (clean per-stage timings).
    playbook : YAML file of the account-plan rules (default: the built-in
        ``kamtools/playbook.yml``). It is loaded and checked before anything else, so a
        bad file raises :class:`kamtools.plan.PlaybookError` (naming the file and the rule)
        before any data is read; the manifest records its path and SHA-256 (``playbook``).

    The manifest records wall seconds per stage (``timings_seconds``), the CPU seconds of
    this process and its local worker processes (``cpu_seconds``; work on a remote cluster
    is not counted; a stage that overlapped others includes their CPU) and which stages ran
    beside a background stage (``overlapped_stages``). Returns the opened :class:`Bundle`.
    """
    from kamtools.data.loader import check_negative_lines
    from kamtools.outputs import check_output_dir, remove_stale

    # a folder kamtools did not make is refused before any work (never replaced)
    check_output_dir(out, "bundle", sources=_local_sources(source))
    remove_stale(Path(out).parent, Path(out).name)  # temporaries of killed runs
    checked, churn, settings = _checked_settings(stages, playbook, churn_definition, currency)
    # what the loader does with negative order lines (None: the mapping's choice, else keep;
    # an in-memory portfolio was loaded already, so nothing is applied to it)
    given = check_negative_lines(negative_lines)
    settings["negative_lines"] = None if isinstance(source, Portfolio) else given
    say = log or (lambda msg: None)
    options = {"checked": checked, "negative_lines": negative_lines, "churn": churn, "settings": settings}
    run = partial(_analyze, source, out, mapping, as_of, stages, progress, say, overlap=overlap, **options)
    if scheduler is None:
        return run(None)
    from kamtools.parallel import dask_scheduler

    # connect first: an unreachable scheduler fails before any data is loaded
    with dask_scheduler(scheduler):
        say(f"parallel parts run on the Dask cluster at {getattr(scheduler, 'scheduler_address', scheduler)}")
        return run(scheduler)


def _checked_settings(
    stages: list[str] | None,
    playbook: str | os.PathLike | None,
    churn_definition: str | dict | object | None,
    currency: str | None,
) -> tuple[tuple, object | None, dict]:
    """Every setting of :func:`analyze` checked before any work: the stage names, the playbook
    ((Playbook, manifest record)), the churn definition (or None) and the recorded settings."""
    from kamtools.churn.labels import definition_from
    from kamtools.plan import checked_playbook

    _stages.ordered(stages)  # an unknown stage name fails here, before any work
    checked = checked_playbook(playbook)  # a bad playbook fails here, before any work
    churn = None if churn_definition is None else definition_from(churn_definition)  # a bad one fails here too
    settings = {"currency": checked_currency(currency)}  # and a bad currency code
    from kamtools.bids.recommend import policy_record, policy_settings

    settings["bids"] = policy_record(policy_settings(dict(checked[0].bids)))  # the bidding policy (checked above)
    return checked, churn, settings


def checked_currency(code: str | None) -> str | None:
    """``code`` as an upper-case ISO 4217 currency code (three letters), or None; ValueError otherwise."""
    if code is None or str(code).strip() == "":
        return None
    text = str(code).strip().upper()
    if len(text) != 3 or not text.isascii() or not text.isalpha():
        raise ValueError(f"currency {code!r} is not a three-letter ISO code such as EUR, USD or GBP")
    return text


def _analyze(
    source: str | os.PathLike | Portfolio,
    out: str | os.PathLike,
    mapping: str | dict | None,
    as_of: str | pd.Timestamp | None,
    stages: list[str] | None,
    progress: bool,
    say: Callable[[str], None],
    scheduler: str | object | None,
    overlap: bool,
    checked: tuple | None = None,
    negative_lines: str | None = None,
    churn: object | None = None,
    settings: dict | None = None,
) -> Bundle:
    """:func:`analyze` after the Dask client (if any) is set up; ``checked`` is the
    (Playbook, manifest record) pair of :func:`kamtools.plan.checked_playbook`."""
    from tqdm.auto import tqdm

    from kamtools.plan import checked_playbook

    playbook, playbook_record = checked if checked is not None else checked_playbook(None)

    t0, c0 = time.perf_counter(), _cpu_seconds()
    portfolio, source_label = _portfolio(source, mapping, as_of, negative_lines)
    out = Path(out)
    tmp = _temp_folder(out)
    timings = {"load": round(time.perf_counter() - t0, 3)}
    cpu = {"load": round(_cpu_seconds() - c0, 3)}

    def write(stage: _stages.Stage, name: str, table: pd.DataFrame) -> None:
        _write_table(table, tmp / f"{name}.parquet")

    try:
        run = _stages.execute(
            portfolio,
            stages,
            settings={_stages.PLAYBOOK: playbook, _stages.CHURN_DEFINITION: churn},
            overlap=overlap,
            say=say,
            sink=write,
            progress=lambda order: tqdm(order, desc="analyse", disable=not progress, unit="stage"),
            cpu_seconds=_cpu_seconds,
        )
        record = _run_record(run, timings, cpu)

        t, c = time.perf_counter(), _cpu_seconds()
        record["tables"]["accounts"] = _write_summary(portfolio, record.pop("summary_cols"), run.available, tmp)
        timings["write"] = round(time.perf_counter() - t, 3)
        timings["total"] = round(time.perf_counter() - t0, 3)
        cpu["write"] = round(_cpu_seconds() - c, 3)
        cpu["total"] = round(_cpu_seconds() - c0, 3)

        manifest = _manifest(portfolio, source_label, record, scheduler, playbook_record, churn, settings)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        from kamtools.outputs import replace_folder

        replace_folder(tmp, out, "bundle")
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        from kamtools.outputs import OutputError, is_disk_error, write_failure

        if is_disk_error(exc):
            raise OutputError(write_failure(out, exc) + "; the previous bundle (if any) is unchanged") from exc
        raise
    return Bundle.open(out)


def _portfolio(
    source: str | os.PathLike | Portfolio,
    mapping: str | dict | None,
    as_of: str | pd.Timestamp | None,
    negative_lines: str | None,
) -> tuple[Portfolio, str]:
    """The portfolio to analyse (loaded unless given) and how the manifest names its source."""
    if isinstance(source, Portfolio):
        return (source if as_of is None else source.truncate(as_of)), "in-memory portfolio"
    from kamtools.data.loader import load_portfolio

    return load_portfolio(source, mapping=mapping, as_of=as_of, negative_lines=negative_lines), str(source)


def _table_record(stage: str, df: pd.DataFrame) -> dict:
    """What the manifest says about one written table."""
    return {
        "stage": stage,
        "rows": int(len(df)),
        "columns": [str(col) for col in df.columns],
        "per_account": "account_id" in df.columns,
    }


def _run_record(run: _stages.Run, timings: dict, cpu: dict) -> dict:
    """The stages' tables, skipped tables, notes and summary columns in stage order (as if the
    stages had run one after the other); adds each stage's wall and CPU seconds to ``timings``
    and ``cpu``."""
    tables: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    notes: dict[str, str] = {}
    summary_cols: list[tuple[str, list[str]]] = []
    for stage in run.order:
        res = run.results[stage.name]
        tables.update({name: _table_record(stage.name, df) for name, df in res.tables.items()})
        skipped.update({name: na.reason for name, na in res.unavailable.items()})
        notes.update(res.notes)
        summary_cols += res.summary_cols
        if res.wall is not None:
            timings[stage.name], cpu[stage.name] = res.wall, res.cpu
    return {
        "tables": tables,
        "skipped": skipped,
        "notes": notes,
        "summary_cols": summary_cols,
        "timings": timings,
        "cpu": cpu,
        "overlapped": run.overlapped,
    }


def _write_summary(portfolio: Portfolio, summary_cols: list[tuple[str, list[str]]], context: dict, tmp: Path) -> dict:
    """Write ``accounts.parquet`` (the base summary joined with the stages' summary columns);
    returns its manifest record."""
    summary = _base_summary(portfolio)
    for table_name, cols in summary_cols:
        if table_name in context:
            part = context[table_name]
            keep = [col for col in cols if col in part.columns and col not in summary.columns]
            part = part.drop_duplicates("account_id")[["account_id", *keep]]
            summary = summary.merge(part, on="account_id", how="left")
    _write_table(summary, tmp / "accounts.parquet")
    return _table_record("summary", summary)


def _manifest(
    portfolio: Portfolio,
    source_label: str,
    record: dict,
    scheduler: str | object | None,
    playbook_record: dict | None,
    churn: object | None,
    settings: dict | None,
) -> dict:
    """The bundle's manifest (see the module docs)."""
    from kamtools.churn.labels import definition_record

    return {
        "format": BUNDLE_FORMAT,
        "kamtools_version": __version__,
        "as_of": str(portfolio.as_of.date()),
        "fingerprint": portfolio.fingerprint(),
        "source": source_label,
        "n_accounts": int(len(portfolio.accounts)),
        "input_tables": {k: int(len(v)) for k, v in portfolio.tables.items()},
        "tables": record["tables"],
        "skipped": record["skipped"],
        "notes": record["notes"],
        "history": _history_record(portfolio),
        "warnings": list(portfolio.warnings),
        "timings_seconds": record["timings"],
        "cpu_seconds": record["cpu"],
        "overlapped_stages": record["overlapped"],
        "scheduler": None if scheduler is None else str(getattr(scheduler, "scheduler_address", scheduler)),
        "playbook": playbook_record,
        "churn_definition": definition_record(churn),
        "settings": dict(settings or {"currency": None}),
    }


def requested_accounts(accounts, known) -> list[str]:
    """The account ids asked for (``accounts``; None: every id in ``known``), in order and each once. An id the
    bundle does not hold that is a comma-separated list of ids it does hold (``A1,A2``, a common way to type
    several on the command line) counts as those ids; any other unknown id is kept, for the caller to report."""
    known = {str(a) for a in known}
    if accounts is None:
        return sorted(known)
    out: list[str] = []
    for a in (str(x) for x in accounts):
        parts = [p.strip() for p in a.split(",")]
        out += parts if a not in known and "," in a and all(p in known for p in parts) else [a]
    return list(dict.fromkeys(out))


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

    def note(self, name: str) -> str | None:
        """What the analysis behind ``name`` could do only in part (one sentence), if anything."""
        return self.manifest.get("notes", {}).get(name)

    def reason(self, name: str) -> NotAvailable:
        """Why table ``name`` is not in the bundle."""
        skipped = self.manifest["skipped"]
        if name in skipped:
            return NotAvailable(skipped[name])
        for stage in _stages.declarations.STAGES:
            if name.startswith(stage.name) and stage.name in skipped:
                return NotAvailable(skipped[stage.name])
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
