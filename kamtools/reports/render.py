"""Render one report: execute the parameterized notebook, export HTML (and PDF), write atomically.

This is the unit of work of :func:`kamtools.reports.render_reports`; it runs in a worker
process (local batches) or on a Dask worker, and returns a plain dict so that results
travel between processes cheaply.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from kamtools.outputs import is_disk_error, remove_stale_prefixed, temp_name, write_atomic, write_failure
from kamtools.resources import templates_dir
from kamtools.sections import SECTION_ERROR_KEY

TEMPLATES = templates_dir()
MODES = ("warm", "cold")

# Content-Security-Policy of every report page: no script may run, only inline styles
# and inline (data:) images load. Escaping keeps data out of markup; the policy is the
# second wall should anything slip through.
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'; base-uri 'none'"


@dataclass(frozen=True)
class ReportJob:
    """Everything a worker needs to render one report (picklable, paths absolute).

    kind : ``"account"``, ``"group"`` (a parent account's global account plan) or ``"portfolio"``.
    key : the account id (the parent's id for a group; ``""`` for the portfolio overview).
    title : page title (the account name); escaped when written.
    parameters : notebook parameters, injected by papermill as Python literals.
    html_path, pdf_path : outputs (``pdf_path`` None when PDF is not wanted).
    state_path : the sidecar JSON recording what the report was rendered from.
    freshness : the values that make a report up to date (see :mod:`kamtools.reports.state`).
    """

    kind: str
    key: str
    title: str
    notebook: str
    parameters: dict
    html_path: str
    pdf_path: str | None
    state_path: str
    freshness: dict
    kernel_name: str = "python3"
    timeout: float | None = 600.0
    subtitle: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return report_label(self.kind, self.key)


def report_label(kind: str, key: str) -> str:
    """How a report is named in the summary, the log and the index: the account id, ``<id> (group
    report)`` or ``(portfolio overview)``."""
    if kind == "account":
        return key
    if kind == "group":
        return f"{key} (group report)"
    return "(portfolio overview)"


class ReportError(RuntimeError):
    """A report could not be rendered; the message says why in one line."""


# ---- files ----------------------------------------------------------------------------------


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to a temporary sibling and rename it over ``path`` (never half-written;
    see :func:`kamtools.outputs.write_atomic`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


class OutputWriteError(ReportError):
    """A report's file could not be written (``path``, ``error``: the OSError)."""

    def __init__(self, path: str | os.PathLike, error: OSError) -> None:
        super().__init__(write_failure(path, error))
        self.path, self.error = str(path), error

    def __reduce__(self):
        return (type(self), (self.path, self.error))


def _write_output(path: str | os.PathLike, data: str | bytes) -> None:
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise OutputWriteError(path, exc) from exc


def _remove_outdated(*paths: str | None) -> None:
    """Remove a failed report's earlier files (they no longer match the bundle); files
    only, and never an error of its own."""
    for path in paths:
        if path and os.path.isfile(path) and not os.path.islink(path):
            try:
                os.unlink(path)
            except OSError:
                pass


def sha256_file(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@lru_cache(maxsize=8)
def _load_notebook(path: str, mtime_ns: int):
    import nbformat

    return nbformat.read(path, as_version=4)


def load_notebook(path: str):
    """The notebook at ``path`` (cached per worker while the file is unchanged)."""
    return _load_notebook(path, os.stat(path).st_mtime_ns)


# ---- execute ---------------------------------------------------------------------------------


def execute(job: ReportJob, mode: str = "warm"):
    """Execute the job's notebook with its parameters; returns the executed NotebookNode.

    Raises ``papermill.PapermillExecutionError`` when a cell fails.
    """
    import papermill

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    nb = copy.deepcopy(load_notebook(job.notebook))
    common = dict(
        parameters=dict(job.parameters),
        kernel_name=job.kernel_name,
        progress_bar=False,
        execution_timeout=job.timeout,
        start_timeout=120,
        log_output=False,
    )
    if mode == "cold":
        from kamtools.reports.kernels import KERNEL_ARGS, ColdKernelManager

        # papermill's new kernel gets its environment from ColdKernelManager (this process's is left alone)
        # and starts in a private empty folder, not the caller's (see kernels.KERNEL_ARGS)
        with tempfile.TemporaryDirectory(prefix="kamtools-kernel-") as workdir:
            return papermill.execute_notebook(
                nb,
                None,
                resources={"metadata": {"path": workdir}},
                extra_arguments=list(KERNEL_ARGS),
                kernel_manager_class=ColdKernelManager,
                **common,
            )

    from kamtools.reports.kernels import ENGINE_NAME, thread_kernel

    kernel = thread_kernel(job.kernel_name)
    kernel.reset()
    try:
        return papermill.execute_notebook(nb, None, engine_name=ENGINE_NAME, kernel=kernel, **common)
    except BaseException:
        kernel.restart()  # never reuse a kernel that just failed
        raise


def collect_problems(nb) -> tuple[list[dict], list[str]]:
    """(section errors, stderr texts) found in the executed notebook's outputs."""
    section_errors, stderr = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata") or {}
            if SECTION_ERROR_KEY in meta:
                section_errors.append(dict(meta[SECTION_ERROR_KEY]))
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                stderr.append(str(out.get("text", "")))
    return section_errors, stderr


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
        exclude_unknown=True,
    )


def to_html(nb, title: str, subtitle: str = "") -> str:
    """The executed notebook as a standalone report page: outputs only, no code, no prompts.

    Warnings written to stderr are dropped from the page (they are logged instead); cell
    ids are made deterministic so that the same inputs give byte-identical pages.
    """
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
        if "outputs" in cell:
            cell["outputs"] = [
                o for o in cell["outputs"] if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    body, _ = _exporter().from_notebook_node(nb)
    from markupsafe import Markup

    from kamtools.templating import environment, trusted

    # the frame through the shared template engine: title and subtitle come from the data (escaped);
    # the policy, the stylesheet and nbconvert's body are kamtools' own markup
    return (
        environment("reports", "writing report pages")
        .get_template("report.html")
        .render(title=title, description=subtitle, csp=Markup(REPORT_CSP), css=trusted("report.css"), body=Markup(body))
    )


# ---- PDF ---------------------------------------------------------------------------------------


def find_chromium() -> str | None:
    """The system Chromium/Chrome executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, timeout: float = 180) -> None:
    """Print ``html_path`` to ``pdf_path`` with the system's headless Chromium (atomic)."""
    exe = find_chromium()
    if exe is None:
        raise ReportError("PDF export needs the system Chromium (Debian: apt-get install chromium); none was found")
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    tmp = pdf_path.with_name(temp_name(pdf_path.name) + ".pdf")
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}  # a stray DISPLAY can hang headless printing
    remove_stale_profiles()
    try:
        with tempfile.TemporaryDirectory(prefix=f"{CHROMIUM_PROFILE_PREFIX}{os.getpid()}-") as profile:
            cmd = [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--no-pdf-header-footer",
                f"--user-data-dir={profile}",
                f"--print-to-pdf={tmp}",
                html_path.as_uri(),
            ]
            # Chromium only prints one page: when this process is killed it ends by itself
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if not tmp.exists() or tmp.stat().st_size == 0 or tmp.read_bytes()[:5] != b"%PDF-":
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise ReportError(f"Chromium did not write a PDF (exit {proc.returncode}): {tail[0][:200]}")
        try:
            os.replace(tmp, pdf_path)
        except OSError as exc:
            raise OutputWriteError(pdf_path, exc) from exc
    except subprocess.TimeoutExpired as exc:
        raise ReportError(f"Chromium took more than {timeout:.0f} s to print the PDF") from exc
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass


CHROMIUM_PROFILE_PREFIX = "kamtools-chromium-"


def remove_stale_profiles() -> None:
    """Remove Chromium profile folders of PDF exports whose process was killed."""
    remove_stale_prefixed(tempfile.gettempdir(), CHROMIUM_PROFILE_PREFIX)


# ---- the unit of work -------------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return " ".join(f"{exc.ename}: {exc.evalue} (notebook cell {exc.exec_count})".split())[:1000]
    if getattr(exc, "ename", None):  # nbclient's CellExecutionError (e.g. a warm kernel's start-up code failed)
        return " ".join(f"{exc.ename}: {getattr(exc, 'evalue', '')}".split())[:1000]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:1000]


def render_job(job: ReportJob, mode: str = "warm") -> dict:
    """Render one report and record it; never raises for a report problem.

    Returns ``{account, kind, status, seconds, error, warnings, sections_failed}`` with
    ``status`` ``ok``, ``partial`` (some sections could not be drawn) or ``failed``.
    On success the HTML (and PDF) are replaced atomically and the sidecar records the
    job's freshness values; on failure any previous output of the report is removed
    (it no longer matches the bundle) and the sidecar records the error.

    A file that cannot be written fails the report with a message naming the path. When
    the cause would stop every other file too (full disk, read-only folder), the result
    also has ``abort`` (that message): the batch stops, and this report's previous files
    are left as they were.
    """
    t0 = time.perf_counter()
    result = {"account": job.label, "kind": job.kind, "status": "failed", "error": None, "warnings": 0}
    try:
        nb = execute(job, mode)
        section_errors, stderr = collect_problems(nb)
        page = to_html(nb, job.title, job.subtitle)
        _write_output(job.html_path, page)
        if job.pdf_path:
            print_pdf(job.html_path, job.pdf_path)
        result["warnings"] = len(stderr)
        if section_errors:
            result["status"] = "partial"
            result["sections_failed"] = [e["section"] for e in section_errors]
            result["error"] = "; ".join(f"{e['section']}: {e['error']}" for e in section_errors)[:1000]
        else:
            result["status"] = "ok"
    except OutputWriteError as exc:
        result["error"] = str(exc)[:1000]
        if is_disk_error(exc.error):
            result["abort"] = result["error"]
    except Exception as exc:  # noqa: BLE001 - one failing report must not stop the batch
        result["error"] = _error_text(exc)
        result["traceback"] = traceback.format_exc()[-3000:]
        _remove_outdated(job.html_path, job.pdf_path)
    result["seconds"] = round(time.perf_counter() - t0, 3)
    if "abort" in result:
        return result
    state = {
        "account_id": job.key,
        "kind": job.kind,
        "notebook": job.notebook,
        "status": result["status"],
        "error": result["error"],
        "seconds": result["seconds"],
        "formats": ["html"] + (["pdf"] if job.pdf_path else []),
        "freshness": job.freshness if result["status"] != "failed" else None,
        "rendered_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        _write_output(job.state_path, json.dumps(state, indent=1, sort_keys=True))
    except OutputWriteError as exc:  # without its record the report cannot count as rendered
        if is_disk_error(exc.error):
            result["abort"] = str(exc)[:1000]
        result["status"] = "failed"
        result["error"] = (f"{result['error']}; " if result["error"] else "") + str(exc)
        result["error"] = result["error"][:1000]
    return result


def job_dict(job: ReportJob) -> dict:
    """The job as plain data (for logs and debugging)."""
    return asdict(job)
