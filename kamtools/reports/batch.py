"""Render every account report plus the portfolio overview, in parallel, resumably.

The reports run through :func:`kamtools.parallel.parallel_as_completed`: local runs use
``workers`` worker processes, each with its own warm kernel (or papermill's fresh kernel per
notebook in ``mode="cold"``); ``workers=1`` renders in the calling process. With
``scheduler`` the same jobs run as Dask tasks on a ``distributed`` cluster (one task per
report; the workers must see the bundle and the output folder at the same paths, i.e.
share a file system).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from kamtools.extras import require
from kamtools.outputs import (
    OutputError,
    append_line,
    claim_output_dir,
    remove_stale,
    remove_stale_prefixed,
    write_failure,
)
from kamtools.reports.render import MODES, ReportError, ReportJob, find_chromium, render_job, report_label
from kamtools.reports.state import (
    ACCOUNTS_DIR,
    GROUPS_DIR,
    RUN_LOG,
    STATE_DIR,
    account_paths,
    freshness,
    group_paths,
    is_up_to_date,
    overview_paths,
)

FORMATS = ("html", "pdf")
UNKNOWN_ACCOUNT = "account id not in the bundle"
NOTEBOOK_DIR_ENV = "KAMTOOLS_NOTEBOOKS"


def notebook_dir() -> Path:
    """Folder of the report notebooks (``$KAMTOOLS_NOTEBOOKS`` or the ones installed with kamtools)."""
    env = os.environ.get(NOTEBOOK_DIR_ENV)
    if env:
        return Path(env)
    from kamtools.resources import notebooks_dir

    return notebooks_dir()


def default_notebook(kind: str) -> Path:
    """The account report, group report (``kind="group"``) or portfolio overview notebook."""
    name = {"account": "account_report.ipynb", "group": "group_report.ipynb"}.get(kind, "portfolio_overview.ipynb")
    path = notebook_dir() / name
    if not path.is_file():
        raise ReportError(f"report notebook {path} not found; set {NOTEBOOK_DIR_ENV} to the folder holding {name}")
    return path


@dataclass
class RunSummary:
    """What a :func:`render_reports` run did.

    ``results`` has one dict per report considered: ``account`` (id, or
    ``(portfolio overview)``), ``kind``, ``status`` (``ok``, ``partial``, ``failed``,
    ``skipped``), ``seconds``, ``error``.
    """

    out_dir: Path
    index: Path
    results: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r["status"] == status)

    @property
    def problems(self) -> list[dict]:
        return [r for r in self.results if r["status"] in ("failed", "partial")]

    @property
    def exit_code(self) -> int:
        """0 when every report rendered (or was up to date), 1 when some failed."""
        return 1 if self.problems else 0


def _clean_temp_files(out: Path) -> None:
    """Remove temporary files that killed earlier runs left (never those of a live run):
    in the output folder, and the kernel socket and browser profile folders of their
    processes in the system's temporary folder."""
    import tempfile

    from kamtools.reports.kernels import SOCKETS_PREFIX
    from kamtools.reports.render import CHROMIUM_PROFILE_PREFIX

    for folder in (out, out / ACCOUNTS_DIR, out / GROUPS_DIR, out / STATE_DIR):
        remove_stale(folder)
    for prefix in (SOCKETS_PREFIX, CHROMIUM_PROFILE_PREFIX):
        remove_stale_prefixed(tempfile.gettempdir(), prefix)


def _remove_stale_groups(out: Path, parents: list[str]) -> None:
    """Remove the group reports of accounts that are no longer parents in this bundle (only files a
    kamtools run recorded: a group report's sidecar names them), so the folder matches the bundle."""
    from kamtools.reports.state import report_stem

    keep = {report_stem(g) for g in parents}
    for state in sorted((out / STATE_DIR).glob("group-*.json")):
        stem = state.name[len("group-") : -len(".json")]
        if stem in keep:
            continue
        for path in (out / GROUPS_DIR / f"{stem}.html", out / GROUPS_DIR / f"{stem}.pdf", state):
            try:
                if path.is_file() and not path.is_symlink():
                    path.unlink()
            except OSError as exc:
                raise OutputError(write_failure(path, exc)) from exc
    try:
        if not parents and (out / GROUPS_DIR).is_dir() and not any((out / GROUPS_DIR).iterdir()):
            (out / GROUPS_DIR).rmdir()  # a portfolio without groups leaves no empty groups folder
    except OSError:
        pass


def _checked_arguments(bundle, scheduler, mode: str, formats: Iterable[str]):
    """(the opened bundle, whether PDFs are wanted); fails on a bad argument before any work."""
    from kamtools.bundle import Bundle

    require("reports")
    if scheduler is not None:
        require("dask", "rendering reports on a Dask cluster")
    if not isinstance(bundle, Bundle):
        bundle = Bundle.open(bundle)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    formats = [f.strip().lower() for f in formats if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown report format(s) {bad}; choose from {list(FORMATS)}")
    want_pdf = "pdf" in formats
    if want_pdf and find_chromium() is None:
        raise ReportError("--format pdf needs the system Chromium (Debian: apt-get install chromium); none was found")
    return bundle, want_pdf


def _make_folder(path: Path) -> None:
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(write_failure(path, exc)) from exc


def _claim_out_dir(bundle, out_dir: str | os.PathLike, since) -> Path:
    """The output folder, resolved, with its report folders made and earlier runs' temporary files removed.

    Only a new or empty folder, or one kamtools made, is written into; checked before any work."""
    if since is not None:  # the previous bundle is only read: never write into it
        from kamtools.review.since_pages import check_out_dir

        check_out_dir(out_dir, since, bundle)
    out = claim_output_dir(out_dir, "reports", flag="--out", reading=bundle.path).resolve()
    for sub in (ACCOUNTS_DIR, STATE_DIR):
        _make_folder(out / sub)
    _clean_temp_files(out)
    return out


def _notebook(path: str | os.PathLike | None, kind: str) -> Path:
    return Path(path).resolve() if path else default_notebook(kind).resolve()


def _since_inputs(bundle, since, tasks, tasks_mapping) -> tuple:
    """(changes, notebook parameters, freshness value) of ``--since``; (None, {}, None) without it.

    Checked (and the digest computed) before any report is rendered."""
    if since is not None:
        from kamtools.review.since_pages import prepare_since

        return prepare_since(bundle, since, tasks, tasks_mapping)
    if tasks is not None or tasks_mapping is not None:
        from kamtools.review.since import SinceError

        raise SinceError(
            "--tasks needs --since PREVIOUS_BUNDLE: the task export follows up the previous review's actions"
        )
    return None, {}, None


# kind: (where its files go, its page title, its page description)
_KINDS = {
    "portfolio": (lambda out, key: overview_paths(out), "Portfolio overview", "Portfolio overview, data as of {as_of}"),
    "account": (account_paths, "{name}", "Account strategy report for account {key}, data as of {as_of}"),
    "group": (group_paths, "{name}: global account plan", "Global account plan for group {key}, data as of {as_of}"),
}


@dataclass
class _Plan:
    """The reports of one run: the jobs to render, and the rows of the reports not rendered
    (already up to date, or asked for an account the bundle does not have)."""

    out: Path
    bundle: object
    want_pdf: bool
    force: bool
    kernel_name: str
    timeout: float | None
    jobs: list[ReportJob] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bundle_path = str(Path(self.bundle.path).resolve())
        self.rows = self.bundle.accounts.set_index("account_id", drop=False)

    def queue(self, accounts, overview: bool, groups: bool, notebooks: tuple, since, tasks, tasks_mapping):
        """Queue the overview, the accounts' reports and the groups' reports; returns the ``--since`` changes."""
        notebook, overview_notebook, group_notebook = notebooks
        nb_account, nb_overview = _notebook(notebook, "account"), _notebook(overview_notebook, "portfolio")
        fresh_account, fresh_overview = freshness(self.bundle, nb_account), freshness(self.bundle, nb_overview)
        changes, since_params, since_fresh = _since_inputs(self.bundle, since, tasks, tasks_mapping)
        if since_fresh is not None:
            fresh_account = {**fresh_account, "since": since_fresh}
            fresh_overview = {**fresh_overview, "since": since_fresh}
        from kamtools.sections.group import group_ids

        parents = group_ids(self.bundle.accounts) if groups else []
        nb_group = _notebook(group_notebook, "group") if parents else None
        if parents:
            _make_folder(self.out / GROUPS_DIR)
        from kamtools.bundle import requested_accounts

        known = set(self.rows.index.astype(str))
        wanted = requested_accounts(accounts, known) if accounts is not None else list(self.rows.index)
        for a in wanted:
            if a not in known:
                self.unknown.append(
                    {"account": a, "kind": "account", "status": "failed", "seconds": 0.0, "error": UNKNOWN_ACCOUNT}
                )
        if overview:
            self._add("portfolio", "", nb_overview, fresh_overview, {"bundle": self.bundle_path, **since_params})
        for a in wanted:
            if a in known:
                params = {"account_id": a, "bundle": self.bundle_path, **since_params}
                self._add("account", a, nb_account, fresh_account, params)
        if groups and accounts is None:
            _remove_stale_groups(self.out, parents)
        fresh_group = freshness(self.bundle, nb_group) if nb_group is not None else {}
        for g in parents:
            if accounts is None or g in wanted:
                self._add("group", g, nb_group, fresh_group, {"group_id": g, "bundle": self.bundle_path})
        return changes

    def _add(self, kind: str, key: str, notebook: Path, fresh: dict, parameters: dict) -> None:
        """Queue one report, or record it as skipped when it is up to date."""
        where, title, subtitle = _KINDS[kind]
        paths = where(self.out, key)
        if not self.force and is_up_to_date(paths, fresh, self.want_pdf):
            self.skipped.append(
                {"account": report_label(kind, key), "kind": kind, "status": "skipped", "seconds": 0.0, "error": None}
            )
            return
        name = self.rows.loc[key, "name"] if kind != "portfolio" else None
        name = str(name) if isinstance(name, str) and name.strip() else key
        as_of = self.bundle.manifest["as_of"]
        self.jobs.append(
            ReportJob(
                kind=kind,
                key=key,
                title=title.format(name=name),
                notebook=str(notebook),
                parameters=parameters,
                html_path=str(paths.html),
                pdf_path=str(paths.pdf) if self.want_pdf else None,
                state_path=str(paths.state),
                freshness=fresh,
                kernel_name=self.kernel_name,
                timeout=self.timeout,
                subtitle=subtitle.format(key=key, as_of=as_of),
            )
        )


class _RunLog:
    """``run.log``: one JSON line per report of this run, written whole or not at all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]

    def write(self, result: dict) -> None:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "run": self.run_id,
            "account": result["account"],
            "kind": result.get("kind", "account"),
            "status": result["status"],
            "seconds": result.get("seconds"),
            "error": result.get("error"),
        }
        for extra in ("warnings", "sections_failed", "traceback"):
            if result.get(extra):
                entry[extra] = result[extra]
        try:
            append_line(self.path, json.dumps(entry, ensure_ascii=False))
        except OSError as exc:
            raise OutputError(write_failure(self.path, exc)) from exc


def _start_warm_kernel(kernel_name: str) -> None:
    """Start a report worker's warm kernel before its first report (the first report retries on failure)."""
    from kamtools.reports.kernels import thread_kernel

    try:
        thread_kernel(kernel_name)
    except Exception:  # noqa: BLE001 - the first job retries and reports the error
        pass


def _crashed(job: ReportJob, exc: BaseException) -> dict:
    return {
        "account": job.label,
        "kind": job.kind,
        "status": "failed",
        "seconds": None,
        "error": " ".join(f"worker crashed: {type(exc).__name__}: {exc}".split())[:1000],
    }


def _render_all(
    jobs: list[ReportJob],
    mode: str,
    workers: int,
    scheduler,
    keep_kernel: bool,
    on_result: Callable[[ReportJob, dict], None],
) -> None:
    """Render ``jobs`` where :func:`kamtools.parallel.parallel_as_completed` runs them (the Dask
    cluster of ``scheduler``, else ``workers`` local processes, each with its own warm kernel in
    warm mode, or this process); ``on_result`` gets each result here as it comes.

    A worker that dies fails its reports, not the run. An exception of ``on_result`` or an
    interrupt stops the run at once: queued reports are dropped and the running ones stopped
    (their outputs are written atomically, so nothing half-written is left).
    """
    from kamtools.parallel import dask_scheduler, parallel_as_completed
    from kamtools.reports.kernels import shutdown_all

    def done(job: ReportJob, result: dict | None, error: BaseException | None) -> None:
        on_result(job, _crashed(job, error) if error is not None else result)

    warm = mode == "warm"
    try:
        with dask_scheduler(scheduler) if scheduler is not None else nullcontext():
            parallel_as_completed(
                partial(render_job, mode=mode),
                jobs,
                done,
                n_jobs=max(1, min(int(workers), len(jobs))),
                initializer=_start_warm_kernel if warm else None,
                initargs=(jobs[0].kernel_name,),
                cleanup=shutdown_all if warm else None,  # no idle report kernels left on a cluster
            )
    finally:
        if not keep_kernel:
            shutdown_all()  # this process's warm kernel (one worker renders here)


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM ends the batch like Ctrl-C (workers stopped, index written); main thread only."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(
    plan: _Plan, results: list[dict], progress: bool, mode: str, workers: int, scheduler, keep_kernel: bool
) -> bool:
    """Render the plan's jobs, adding each result to ``results``, ``run.log`` and the progress bar
    (see :func:`_render_all`). Returns True when the run went to its end (it raises otherwise)."""
    from tqdm.auto import tqdm

    log = _RunLog(plan.out / RUN_LOG)
    for r in results:
        log.write(r)
    bar = tqdm(total=len(plan.jobs), desc="reports", unit="report", disable=not progress)

    def on_result(job: ReportJob, result: dict) -> None:
        results.append(result)
        if result.get("abort"):  # a full disk or read-only folder: no later report could be written
            raise OutputError(f"{result['abort']}; the run stopped there, and the reports written before are kept")
        log.write(result)
        bar.update(1)
        if result["status"] == "failed":
            bar.set_postfix_str(f"last failure: {job.label}", refresh=False)

    try:
        with _sigterm_interrupts():
            if plan.jobs:
                _render_all(plan.jobs, mode, workers, scheduler, keep_kernel, on_result)
    finally:
        bar.close()
    return True


def _write_index(plan: _Plan, results: list[dict], changes, finished: bool) -> Path:
    """Write the index (and the ``--since`` digest); a run that failed keeps the old index."""
    from kamtools.reports.index import write_index

    out = plan.out
    problems = [f"{r['account']}: {r['error']}" for r in plan.unknown]
    failed_now = {r["account"]: r for r in results if r["status"] == "failed" and r.get("kind") == "account"}
    try:
        if changes is not None:
            from kamtools.review.since_pages import write_digest

            write_digest(changes, plan.bundle, out)
        return write_index(plan.bundle, out, problems=problems, failed=failed_now, changes=changes)
    except OSError as exc:
        if finished:  # the run itself went well: say why the index is missing
            raise OutputError(write_failure(out / "index.html", exc)) from exc
        return out / "index.html"  # the run's own error is what is reported; the old index stays


def render_reports(
    bundle,
    out_dir: str | os.PathLike,
    accounts: Iterable[str] | None = None,
    workers: int = 2,
    scheduler=None,
    formats: Iterable[str] = ("html",),
    force: bool = False,
    mode: str = "warm",
    progress: bool = True,
    overview: bool = True,
    notebook: str | os.PathLike | None = None,
    overview_notebook: str | os.PathLike | None = None,
    group_notebook: str | os.PathLike | None = None,
    groups: bool = True,
    timeout: float | None = 600.0,
    kernel_name: str = "python3",
    keep_kernel: bool = False,
    since: str | os.PathLike | None = None,
    tasks: str | os.PathLike | None = None,
    tasks_mapping: str | os.PathLike | None = None,
) -> RunSummary:
    """Render account reports and the portfolio overview from an analysis bundle.

    Parameters
    ----------
    bundle : a :class:`kamtools.bundle.Bundle` or the path of a bundle folder.
    out_dir : output folder: ``index.html``, ``portfolio_overview.html``,
        ``accounts/<stem>.html`` (see :func:`kamtools.reports.state.report_stem`),
        ``run.log`` (JSON lines) and ``.kamtools-state/`` (one sidecar per report).
    accounts : account ids to render (default: every account of the bundle).
    workers : parallel worker processes for local runs (1 = in this process).
    scheduler : a Dask scheduler address (or ``distributed.Client``) to run on instead.
    formats : ``html`` always; add ``pdf`` for a PDF beside each report (system Chromium).
    force : re-render reports that are up to date.
    mode : ``"warm"`` (kernels kept alive between reports) or ``"cold"`` (papermill's
        new kernel per notebook); both give identical pages.
    notebook, overview_notebook, group_notebook : override the report notebooks (same parameters).
    groups : also render one group report (global account plan) per parent account, in
        ``OUT_DIR/groups/`` (only when the bundle's accounts have parents; with ``accounts``,
        only for the parents among them). Account reports of units link to it.
    timeout : seconds one notebook cell may run.
    keep_kernel : with ``workers=1`` and ``mode="warm"``, keep this process's warm kernel
        for the next call (it is shut down at exit or by
        :func:`kamtools.reports.kernels.shutdown_all`).
    since : the previous analysis bundle (only read): every account report gains what changed
        since then, the index a change column and ``OUT_DIR/since.html`` the portfolio change
        digest (see :mod:`kamtools.review.since`). ``tasks`` (a CRM task export) and
        ``tasks_mapping`` (its CRM mapping) mark the previous plan's actions done.

    Returns a :class:`RunSummary`; ``summary.exit_code`` is 1 when any report failed.
    """
    t0 = time.perf_counter()
    bundle, want_pdf = _checked_arguments(bundle, scheduler, mode, formats)
    out = _claim_out_dir(bundle, out_dir, since)
    plan = _Plan(out, bundle, want_pdf, force, kernel_name, timeout)
    notebooks = (notebook, overview_notebook, group_notebook)
    changes = plan.queue(accounts, overview, groups, notebooks, since, tasks, tasks_mapping)
    results = plan.unknown + plan.skipped
    finished = False
    try:
        finished = _run(plan, results, progress, mode, workers, scheduler, keep_kernel)
    finally:
        index = _write_index(plan, results, changes, finished)
    for r in results:
        r.pop("traceback", None)
    return RunSummary(out_dir=out, index=index, results=results, seconds=round(time.perf_counter() - t0, 3))
