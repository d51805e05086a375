"""Render every account report plus the portfolio overview, in parallel, resumably.

Local runs use a pool of worker processes (``workers``), each with its own warm kernel
(or papermill's fresh kernel per notebook in ``mode="cold"``); ``workers=1`` renders in
the calling process. With ``scheduler`` the same jobs run as Dask tasks on a
``distributed`` cluster (one task per report; the workers must see the bundle and the
output folder at the same paths, i.e. share a file system).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
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
from kamtools.reports.render import MODES, ReportError, ReportJob, find_chromium, render_job
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


def _worker_init(mode: str, kernel_name: str, parent_pid: int) -> None:
    """End with the batch (a killed batch must not leave workers behind) and start the warm kernel.

    The pool is started and shut down inside one call of the batch's thread, so the
    parent-death signal can be SIGKILL; the worker's kernels see their parent go and end too.
    """
    from kamtools.parallel import die_with_parent
    from kamtools.reports.kernels import shutdown_all

    die_with_parent(parent_pid, hard=True, cleanup=shutdown_all)
    if mode == "warm":
        from kamtools.reports.kernels import thread_kernel

        try:
            thread_kernel(kernel_name)
        except Exception:  # noqa: BLE001 - the first job retries and reports the error
            pass


def _run_local(
    jobs: list[ReportJob], mode: str, workers: int, on_result: Callable[[ReportJob, dict], None], keep_kernel: bool
) -> None:
    if workers <= 1:
        from kamtools.reports.kernels import shutdown_all

        try:
            for job in jobs:
                on_result(job, render_job(job, mode))
        finally:
            if not keep_kernel:
                shutdown_all()
        return
    ctx = multiprocessing.get_context("spawn")
    kernel_name = jobs[0].kernel_name
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(mode, kernel_name, os.getpid())
    )
    try:
        futures = {pool.submit(render_job, job, mode): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker fails its report, not the run
                result = _crashed(job, exc)
            on_result(job, result)
    except BaseException:
        # interrupted: drop queued reports and stop the running ones now (their outputs
        # are written atomically, so nothing half-written is left)
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        raise
    pool.shutdown(wait=True)


def _run_dask(jobs: list[ReportJob], mode: str, scheduler, on_result: Callable[[ReportJob, dict], None]) -> None:
    from distributed import Client
    from distributed import as_completed as dask_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = {
            client.submit(render_job, job, mode, pure=False, key=f"kamtools-report-{uuid.uuid4().hex}"): job
            for job in jobs
        }
        for fut in dask_completed(list(futures)):
            job = futures[fut]
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001
                result = _crashed(job, exc)
            on_result(job, result)
    finally:
        if mode == "warm":
            try:  # do not leave idle report kernels on a shared cluster
                from kamtools.reports.kernels import shutdown_all

                client.run(shutdown_all)
            except Exception:  # noqa: BLE001 - kernels also exit with their worker
                pass
        if client is not scheduler:
            client.close()


def _crashed(job: ReportJob, exc: BaseException) -> dict:
    return {
        "account": job.label,
        "kind": job.kind,
        "status": "failed",
        "seconds": None,
        "error": f"worker crashed: {type(exc).__name__}: {exc}"[:1000],
    }


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
    from tqdm.auto import tqdm

    from kamtools.bundle import Bundle
    from kamtools.reports.index import write_index

    t0 = time.perf_counter()
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
    # only a new or empty folder, or one kamtools made, is written into; checked before any work
    if since is not None:  # the previous bundle is only read: never write into it
        from kamtools.review.since_pages import check_out_dir

        check_out_dir(out_dir, since, bundle)
    out = claim_output_dir(out_dir, "reports", flag="--out", reading=bundle.path).resolve()
    for sub in (ACCOUNTS_DIR, STATE_DIR):
        try:
            (out / sub).mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(write_failure(out / sub, exc)) from exc
    _clean_temp_files(out)

    nb_account = Path(notebook).resolve() if notebook else default_notebook("account").resolve()
    nb_overview = Path(overview_notebook).resolve() if overview_notebook else default_notebook("portfolio").resolve()
    fresh_account = freshness(bundle, nb_account)
    fresh_overview = freshness(bundle, nb_overview)
    bundle_path = str(Path(bundle.path).resolve())
    since_params: dict[str, str] = {}
    changes = None
    if since is not None:  # checked (and the digest computed) before any report is rendered
        from kamtools.review.since_pages import prepare_since

        changes, since_params, since_fresh = prepare_since(bundle, since, tasks, tasks_mapping)
        fresh_account = {**fresh_account, "since": since_fresh}
        fresh_overview = {**fresh_overview, "since": since_fresh}
    elif tasks is not None or tasks_mapping is not None:
        from kamtools.review.since import SinceError

        raise SinceError(
            "--tasks needs --since PREVIOUS_BUNDLE: the task export follows up the previous review's actions"
        )

    from kamtools.sections.group import group_ids

    parents = group_ids(bundle.accounts) if groups else []
    nb_group = None
    if parents:
        nb_group = Path(group_notebook).resolve() if group_notebook else default_notebook("group").resolve()
        try:
            (out / GROUPS_DIR).mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(write_failure(out / GROUPS_DIR, exc)) from exc
    summary_rows = bundle.accounts.set_index("account_id", drop=False)
    known = set(summary_rows.index.astype(str))
    wanted = list(dict.fromkeys(str(a) for a in accounts)) if accounts is not None else list(summary_rows.index)
    results: list[dict] = []
    unknown = [a for a in wanted if a not in known]
    for a in unknown:
        results.append(
            {
                "account": a,
                "kind": "account",
                "status": "failed",
                "seconds": 0.0,
                "error": "account id not in the bundle",
            }
        )

    jobs: list[ReportJob] = []
    skipped: list[dict] = []
    if overview:
        paths = overview_paths(out)
        if not force and is_up_to_date(paths, fresh_overview, want_pdf):
            skipped.append(
                {
                    "account": "(portfolio overview)",
                    "kind": "portfolio",
                    "status": "skipped",
                    "seconds": 0.0,
                    "error": None,
                }
            )
        else:
            jobs.append(
                ReportJob(
                    kind="portfolio",
                    key="",
                    title="Portfolio overview",
                    notebook=str(nb_overview),
                    parameters={"bundle": bundle_path, **since_params},
                    html_path=str(paths.html),
                    pdf_path=str(paths.pdf) if want_pdf else None,
                    state_path=str(paths.state),
                    freshness=fresh_overview,
                    kernel_name=kernel_name,
                    timeout=timeout,
                    subtitle=f"Portfolio overview, data as of {bundle.manifest['as_of']}",
                )
            )
    for account_id in wanted:
        if account_id not in known:
            continue
        paths = account_paths(out, account_id)
        if not force and is_up_to_date(paths, fresh_account, want_pdf):
            skipped.append(
                {"account": account_id, "kind": "account", "status": "skipped", "seconds": 0.0, "error": None}
            )
            continue
        name = summary_rows.loc[account_id, "name"]
        title = str(name) if isinstance(name, str) and name.strip() else account_id
        jobs.append(
            ReportJob(
                kind="account",
                key=account_id,
                title=title,
                notebook=str(nb_account),
                parameters={"account_id": account_id, "bundle": bundle_path, **since_params},
                html_path=str(paths.html),
                pdf_path=str(paths.pdf) if want_pdf else None,
                state_path=str(paths.state),
                freshness=fresh_account,
                kernel_name=kernel_name,
                timeout=timeout,
                subtitle=f"Account strategy report for account {account_id}, data as of {bundle.manifest['as_of']}",
            )
        )

    if groups and accounts is None:
        _remove_stale_groups(out, parents)
    fresh_group = freshness(bundle, nb_group) if nb_group is not None else {}
    for group_id in parents:
        if accounts is not None and group_id not in wanted:
            continue
        paths = group_paths(out, group_id)
        label = f"{group_id} (group report)"
        if not force and is_up_to_date(paths, fresh_group, want_pdf):
            skipped.append({"account": label, "kind": "group", "status": "skipped", "seconds": 0.0, "error": None})
            continue
        name = summary_rows.loc[group_id, "name"]
        title = str(name) if isinstance(name, str) and name.strip() else group_id
        jobs.append(
            ReportJob(
                kind="group",
                key=group_id,
                title=f"{title}: global account plan",
                notebook=str(nb_group),
                parameters={"group_id": group_id, "bundle": bundle_path},
                html_path=str(paths.html),
                pdf_path=str(paths.pdf) if want_pdf else None,
                state_path=str(paths.state),
                freshness=fresh_group,
                kernel_name=kernel_name,
                timeout=timeout,
                subtitle=f"Global account plan for group {group_id}, data as of {bundle.manifest['as_of']}",
            )
        )

    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    log_path = out / RUN_LOG

    def log(result: dict) -> None:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "run": run_id,
            "account": result["account"],
            "kind": result.get("kind", "account"),
            "status": result["status"],
            "seconds": result.get("seconds"),
            "error": result.get("error"),
        }
        for extra in ("warnings", "sections_failed", "traceback"):
            if result.get(extra):
                entry[extra] = result[extra]
        try:  # a whole line or none
            append_line(log_path, json.dumps(entry, ensure_ascii=False))
        except OSError as exc:
            raise OutputError(write_failure(log_path, exc)) from exc

    for r in results + skipped:
        log(r)
    results += skipped

    bar = tqdm(total=len(jobs), desc="reports", unit="report", disable=not progress)

    def on_result(job: ReportJob, result: dict) -> None:
        results.append(result)
        if result.get("abort"):  # a full disk or read-only folder: no later report could be written
            raise OutputError(f"{result['abort']}; the run stopped there, and the reports written before are kept")
        log(result)
        bar.update(1)
        if result["status"] == "failed":
            bar.set_postfix_str(f"last failure: {job.label}", refresh=False)

    def _terminate(signum, frame):  # SIGTERM ends the batch like Ctrl-C: workers stopped, index written
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    finished = False
    try:
        if jobs:
            if scheduler is not None:
                _run_dask(jobs, mode, scheduler, on_result)
            else:
                _run_local(jobs, mode, max(1, min(int(workers), len(jobs))), on_result, keep_kernel)
        finished = True
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        bar.close()
        problems = [f"{r['account']}: {r['error']}" for r in results if r["account"] in unknown]
        failed_now = {r["account"]: r for r in results if r["status"] == "failed" and r.get("kind") == "account"}
        try:
            if changes is not None:
                from kamtools.review.since_pages import write_digest

                write_digest(changes, bundle, out)
            index = write_index(bundle, out, problems=problems, failed=failed_now, changes=changes)
        except OSError as exc:
            if finished:  # the run itself went well: say why the index is missing
                raise OutputError(write_failure(out / "index.html", exc)) from exc
            index = out / "index.html"  # the run's own error is what is reported; the old index stays
    for r in results:
        r.pop("traceback", None)
    return RunSummary(out_dir=out, index=index, results=results, seconds=round(time.perf_counter() - t0, 3))
