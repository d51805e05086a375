"""Warm kernels: execute many parameterized notebooks in one long-lived IPython kernel.

Papermill starts a new kernel for every notebook (about a second of process start and
imports before the first cell runs). :class:`WarmKernel` keeps one kernel alive, with
pandas, matplotlib, pyarrow and every ``kamtools.sections`` module imported once, and
resets it between reports (:func:`kamtools.reports._kernel_side.reset`: fresh user
namespace, no figures, global settings restored). Notebooks still go through
``papermill.execute_notebook`` -- parameters are injected by papermill's own
translator, exactly as in cold mode -- with the engine :class:`WarmEngine`
(registered with papermill as ``"kamtools-warm"``), which runs the cells on the warm
kernel instead of starting one.

Isolation rules:

* one kernel serves one worker at a time (a kernel per worker process or thread);
* the kernel is reset before every report, restarted after ``max_uses`` reports, and
  restarted after any failure (cell error, timeout, dead kernel), so a failing report
  cannot leave state behind for the next one;
* kernels belong to the process that started them and are shut down when it exits;
  ipykernel also exits by itself within a second when its parent process dies (it
  watches the parent named in ``JPY_PARENT_PID``, set by jupyter_client), so a killed
  batch leaves no kernel behind, and the next kernel start removes the socket folders
  of kernels whose process is gone.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

from kamtools.outputs import remove_stale_prefixed

ENGINE_NAME = "kamtools-warm"
# Report kernels hash strings the same way every time, so that anything that iterates a
# set of strings draws the same page in every kernel (byte-identical reruns, warm == cold).
KERNEL_ENV = {"PYTHONHASHSEED": "0"}
# Report kernels run the installed kamtools wherever the caller stands: each starts in a
# private empty folder (its working directory) and IPython does not put that folder on
# sys.path, so a folder named ``kamtools`` where the user runs the batch (e.g. the folder
# above a clone) can never shadow the package.
KERNEL_ARGS = ["--IPKernelApp.ignore_cwd=True"]
SOCKETS_PREFIX = "kamtools-kernel-"
PRELOAD_CODE = "import kamtools.reports._kernel_side as _kam_ks\n_kam_ks.preload()"
RESET_CODE = "import kamtools.reports._kernel_side as _kam_ks\n_kam_ks.reset()"


def kernel_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a report kernel starts with: ``base`` (default this process's) plus
    :data:`KERNEL_ENV`. It is handed to the kernel; this process's own environment is never changed."""
    return {**(os.environ if base is None else base), **KERNEL_ENV}


class ColdKernelManager(AsyncKernelManager):
    """The kernel manager of cold mode: papermill starts a new kernel per notebook with it
    (``kernel_manager_class=``), and each starts with :func:`kernel_env`."""

    async def start_kernel(self, **kw):
        return await super().start_kernel(**{**kw, "env": kernel_env(kw.get("env"))})


async def _quiet_shutdown(km) -> None:
    """Ask the kernel to exit, wait briefly, kill it if needed, remove its files.

    ``KernelManager.shutdown_kernel`` first interrupts the kernel, which then prints a
    KeyboardInterrupt error on the terminal; an idle warm kernel needs no interrupt.
    """
    await ensure_async(km.request_shutdown())
    await ensure_async(km.finish_shutdown(waittime=5))
    await ensure_async(km.cleanup_resources())


class WarmKernel:
    """One IPython kernel kept alive across reports, with the heavy imports done.

    Parameters
    ----------
    kernel_name : Jupyter kernel spec to start (the report notebooks use ``python3``).
    max_uses : restart the kernel after this many reports (bounds memory growth).
    startup_timeout : seconds to wait for the kernel to answer after starting.

    Use :meth:`reset` before each report, pass the kernel to
    ``papermill.execute_notebook(..., engine_name=ENGINE_NAME, kernel=kernel)``, call
    :meth:`restart` after a failure and :meth:`shutdown` at the end.
    """

    def __init__(self, kernel_name: str = "python3", max_uses: int = 100, startup_timeout: float = 120) -> None:
        self.kernel_name = kernel_name
        self.max_uses = max_uses
        self.startup_timeout = startup_timeout
        self.km = None
        self.kc = None
        self.uses = 0
        self.starts = 0
        self._sockets: str | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> WarmKernel:
        """Start the kernel and preload the report imports (idempotent)."""
        if self.km is not None:
            return self
        # IPC sockets and the connection file in a private (0700) folder: nothing listens on
        # the network and only this user can reach the kernel. The folder's name carries
        # this process's id, so that the folders of killed runs are found and removed.
        remove_stale_prefixed(tempfile.gettempdir(), SOCKETS_PREFIX)
        self._sockets = tempfile.mkdtemp(prefix=f"{SOCKETS_PREFIX}{os.getpid()}-")
        km = AsyncKernelManager(
            kernel_name=self.kernel_name,
            transport="ipc",
            ip=os.path.join(self._sockets, "k"),
            connection_file=os.path.join(self._sockets, "kernel.json"),
        )
        run_sync(km.start_kernel)(
            extra_arguments=["--HistoryManager.hist_file=:memory:", *KERNEL_ARGS],
            env=kernel_env(),
            cwd=self._sockets,  # private and empty but for the kernel's sockets
        )
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
        except BaseException:
            kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None
            raise
        kc.allow_stdin = False
        self.km, self.kc = km, kc
        self.uses = 0
        self.starts += 1
        try:
            self._run(PRELOAD_CODE, timeout=self.startup_timeout)
        except BaseException:
            self.shutdown()  # never hand out a kernel whose imports failed
            raise
        return self

    def shutdown(self) -> None:
        """Stop the kernel (safe to call twice)."""
        km, kc = self.km, self.kc
        self.km = self.kc = None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001 - best effort while tearing down
                pass
        if km is not None:
            pid = getattr(getattr(km, "provisioner", None), "pid", None)
            try:
                run_sync(_quiet_shutdown)(km)
            except Exception:  # noqa: BLE001 - e.g. called from another thread's event loop
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        if self._sockets:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    def restart(self) -> None:
        """A brand-new kernel (used after a failure or ``max_uses`` reports)."""
        self.shutdown()
        self.start()

    def reset(self) -> None:
        """Prepare for the next report: restart when worn out, else reset the namespace."""
        if self.km is None:
            self.start()
        elif self.uses >= self.max_uses:
            self.restart()
        elif self.uses > 0:
            try:
                self._run(RESET_CODE, timeout=60)
            except Exception:  # noqa: BLE001 - a kernel that cannot reset is replaced
                self.restart()
        self.uses += 1

    def _run(self, code: str, timeout: float) -> None:
        """Execute ``code`` on the kernel; raise if it fails."""
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(code)]
        client = NotebookClient(nb, km=self.km, kernel_name=self.kernel_name, timeout=int(timeout))
        client.kc = self.kc
        client.execute()

    def __enter__(self) -> WarmKernel:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.shutdown()


class WarmEngine(NBClientEngine):
    """Papermill engine that executes the notebook on a :class:`WarmKernel` (``kernel=``)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        kernel: WarmKernel | None = None,
        **kwargs,
    ):
        if kernel is None or kernel.km is None:
            raise ValueError(f"the {ENGINE_NAME!r} papermill engine needs kernel=<a started WarmKernel>")
        kwargs.pop("input_path", None)
        kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        client = PapermillNotebookClient(
            nb_man,
            km=kernel.km,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            **kwargs,
        )
        client.kc = kernel.kc  # reuse the kernel's channels; the client then neither starts nor stops it
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmEngine)

# One warm kernel per thread of a worker process (a kernel's channels belong to the event
# loop of the thread that opened them).
_local = threading.local()
_all_kernels: list[WarmKernel] = []
_lock = threading.Lock()


def thread_kernel(kernel_name: str = "python3", max_uses: int = 100) -> WarmKernel:
    """The started warm kernel of the calling thread (created on first use)."""
    kernel = getattr(_local, "kernel", None)
    if kernel is None or kernel.kernel_name != kernel_name:
        if kernel is not None:
            kernel.shutdown()
        kernel = WarmKernel(kernel_name=kernel_name, max_uses=max_uses)
        _local.kernel = kernel
        with _lock:
            _all_kernels.append(kernel)
    return kernel.start()


def shutdown_all() -> None:
    """Shut down every warm kernel this process started."""
    with _lock:
        kernels = list(_all_kernels)
        _all_kernels.clear()
    for kernel in kernels:
        kernel.shutdown()
    _local.__dict__.clear()


atexit.register(shutdown_all)
