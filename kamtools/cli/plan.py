"""``kamtools plan``: the scenario planner as a local web app (Voila), on one bundle.

Starts Voila on the planner notebook (:func:`notebook_path`) listening on 127.0.0.1 only, passes
the bundle to the notebook through the ``KAMTOOLS_BUNDLE`` environment variable, waits
until the server answers, prints the URL and runs until Ctrl-C (or SIGTERM), then stops
Voila and its kernels.

Security, as in Jupyter's own server (jupyter_server's handlers do the checks; this module
only chooses their settings, see :func:`security_settings`):

* a random token (:func:`secrets.token_urlsafe`) is part of the printed URL
  (``http://127.0.0.1:PORT/?token=...``); the first request with it sets a signed,
  HttpOnly, SameSite=Strict login cookie, so the page's own requests (kernel websocket,
  widgets) work. Without the token or the cookie the page redirects to a login form and
  the APIs and the kernel websocket answer 403. The token travels to the Voila process in
  its environment (never on a command line other users can read) and is removed from it
  before any kernel starts.
* the ``Host`` header must name this machine (``localhost``, ``127.0.0.1``, ``::1``), so a
  web page cannot reach the planner through DNS rebinding; static files are checked too.
* the kernel websocket and the APIs refuse a foreign ``Origin``, even with the token.
* no tracebacks go to the page (``VoilaConfiguration.show_tracebacks=False``); errors are
  logged on the console. Files next to the notebook are not served.
* ``--no-token`` and ``--ip ADDRESS`` relax this for those who need it, with a warning.

The Voila process itself runs :func:`voila_main` (``python -m kamtools.cli.plan``): Voila
with these settings forced after every configuration file is read.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

NAME = "plan"
HELP = "Open the scenario planner (levers -> revenue, margin, working capital vs target) as a local web app."
EXAMPLE = "kamtools plan reports/demo/bundle --port 8866"

NOTEBOOK = "scenario_planner.ipynb"
NOTEBOOK_DIR_ENV = "KAMTOOLS_NOTEBOOKS"
BUNDLE_ENV = "KAMTOOLS_BUNDLE"
SCENARIOS_ENV = "KAMTOOLS_SCENARIOS"
TOKEN_ENV = "KAMTOOLS_PLAN_TOKEN"  # parent -> Voila process only; "" means --no-token
HOST = "127.0.0.1"
LOCAL_HOSTNAMES = ["localhost"]  # besides every loopback address (127.0.0.0/8, ::1)
WILDCARDS = ("", "0.0.0.0", "::")

NO_TOKEN_WARNING = (
    "warning: --no-token: the planner answers every request without asking for a token. Any program or "
    "person that can reach {where} (every user of this machine{network}) can read the account names and "
    "figures of the bundle, move the levers and save scenarios. Use it only on a machine you do not share."
)
IP_WARNING = (
    "warning: --ip {ip}: the planner listens beyond this machine, over plain HTTP (not encrypted). Anyone on "
    "the network who gets the URL with its token can read the account names and figures of the bundle, and the "
    "token and the data cross the network readable by others on the way; the Host header check against DNS "
    "rebinding is off. Use it only on a network you trust, or behind an HTTPS reverse proxy."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "bundle",
        nargs="?",
        metavar="BUNDLE_DIR",
        help="analysis bundle written by `kamtools analyze` (default: the demo bundle)",
    )
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    p.add_argument(
        "--scenarios", metavar="DIR", help="folder to save scenarios to as JSON (default: BUNDLE_DIR/../scenarios)"
    )
    p.add_argument(
        "--notebook", metavar="PATH", help=f"planner notebook (default: the {NOTEBOOK} installed with kamtools)"
    )
    p.add_argument("--startup-timeout", type=float, default=120, metavar="S", help="seconds to wait for Voila (120)")
    p.add_argument(
        "--ip",
        metavar="ADDRESS",
        default=HOST,
        help=f"address to listen on (default {HOST}, this machine only); another address opens the planner "
        "to the network (prints a warning)",
    )
    p.add_argument(
        "--no-token",
        action="store_true",
        help="serve without the access token in the URL (prints a warning; not recommended)",
    )


def free_port(host: str = HOST) -> int:
    """A TCP port that is free on ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def notebook_path(explicit: str | None = None) -> Path:
    """The planner notebook: ``explicit``, ``$KAMTOOLS_NOTEBOOKS/scenario_planner.ipynb`` or the installed one."""
    if explicit:
        return Path(explicit).resolve()
    env = os.environ.get(NOTEBOOK_DIR_ENV)
    if env:
        folder = Path(env)
    else:
        from kamtools.resources import notebooks_dir

        folder = notebooks_dir()
    return (folder / NOTEBOOK).resolve()


def is_loopback(ip: str) -> bool:
    """True for ``localhost`` and every loopback address (127.0.0.0/8, ::1)."""
    ip = ip.strip().strip("[]")
    if ip.lower() in LOCAL_HOSTNAMES:
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def local_host_header(host: str) -> bool:
    """Whether a ``Host`` header (``name[:port]``) names this machine, as jupyter_server's check_host decides."""
    match = re.match(r"^(.*?)(:\d+)?$", host.strip())
    name = (match.group(1) if match else host).lower()
    return is_loopback(name)


def security_settings(ip: str) -> dict:
    """Tornado settings read by jupyter_server's handlers: Host, Origin and XSRF checks, no tracebacks.

    ``allow_remote_access`` is off when listening on a loopback address (the ``Host`` header
    must then name this machine: the DNS-rebinding defence), on for another address (as
    jupyter_server decides by default: the host name users type is not known in advance).
    """
    return {
        "allow_remote_access": not is_loopback(ip),
        "local_hostnames": list(LOCAL_HOSTNAMES),
        "allow_origin": "",  # no cross-origin requests: the Origin must match the Host
        "allow_origin_pat": None,
        "disable_check_xsrf": False,
        "serve_traceback": False,  # tornado's own error pages: status line only
        "debug": False,
    }


def voila_command(notebook: Path, port: int, ip: str = HOST) -> list[str]:
    """The Voila command line: ``ip`` only (127.0.0.1 by default), no browser, exactly this port.

    It runs :func:`voila_main` (Voila with :func:`security_settings`); the token comes
    through the ``KAMTOOLS_PLAN_TOKEN`` environment variable (a random one when unset).
    """
    return [
        sys.executable,
        "-m",
        "kamtools.cli.plan",
        str(notebook),
        f"--port={port}",
        "--no-browser",
        f"--Voila.ip={ip}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.show_tracebacks=False",
    ]


def voila_main(argv: list[str] | None = None) -> None:
    """Run Voila in this process with kamtools' security settings (the target of :func:`voila_command`)."""
    from jupyter_server.auth.identity import PasswordIdentityProvider
    from jupyter_server.base.handlers import JupyterHandler
    from tornado import web
    from traitlets import Dict
    from voila.app import Voila
    from voila.handler import VoilaHandler

    class StrictOriginIdentityProvider(PasswordIdentityProvider):
        """Checks the Origin of token-authenticated requests too; login cookie SameSite=Strict."""

        cookie_options = Dict({"samesite": "Strict"}, config=True)

        def should_check_origin(self, handler) -> bool:
            return True

    class LocalHostOnly:
        """For Voila's plain tornado file handlers, which skip jupyter_server's Host check."""

        def prepare(self):
            if not self.settings.get("allow_remote_access") and not local_host_header(self.request.host):
                raise web.HTTPError(403)
            return super().prepare()

    class XsrfCookieWithPage:
        """Give the page the ``_xsrf`` cookie its shutdown request on closing must send back."""

        async def get(self, *args, **kwargs):
            self.xsrf_token  # noqa: B018 (reading it sets the cookie)
            return await super().get(*args, **kwargs)

    token = os.environ.pop(TOKEN_ENV, None)  # kernels started later do not inherit it

    class PlannerVoila(Voila):
        def initialize(self, argv=None):
            super().initialize(argv)
            # forced after the command line and every configuration file (~/.jupyter/voila.json, ...)
            self.token = token
            self.auto_token = token is None  # never serve without a token by accident
            self.identity_provider_class = StrictOriginIdentityProvider
            self.voila_configuration.show_tracebacks = False
            self.voila_configuration.file_allowlist = []  # serve no file from the notebook's folder

        def init_settings(self):
            settings = super().init_settings()
            # applied by Voila.start() after the settings, so they win over configuration files
            self.tornado_settings = {**self.tornado_settings, **security_settings(self.ip)}
            return settings

        def init_handlers(self):
            handlers = []
            for pattern, handler, *rest in super().init_handlers():
                if isinstance(handler, type) and not issubclass(handler, JupyterHandler):
                    handler = type(handler.__name__, (LocalHostOnly, handler), {})
                elif isinstance(handler, type) and issubclass(handler, VoilaHandler):
                    handler = type(handler.__name__, (XsrfCookieWithPage, handler), {})
                handlers.append((pattern, handler, *rest))
            return handlers

    PlannerVoila.launch_instance(argv=argv)


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float, host: str = HOST) -> bool:
    """Wait until something listens on ``host:port`` (True), the process exits or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate Voila (it shuts its kernels down), killing it after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _url_host(ip: str) -> str:
    if ip in WILDCARDS:
        return socket.gethostname()
    return f"[{ip}]" if ":" in ip else ip


def _connect_host(ip: str) -> str:
    if ip in WILDCARDS:
        return "::1" if ip == "::" else HOST
    return ip


def _check_listen(ip: str, port: int) -> str | None:
    """None when ``ip:port`` can be listened on now, else why not (one sentence)."""
    try:
        infos = socket.getaddrinfo(ip or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        return f"--ip {ip!r} is not an address of this machine ({exc})"
    family, _, _, _, address = infos[0]
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            if os.name != "nt":  # as tornado does: a port in TIME_WAIT can be listened on again
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(address)
    except OSError as exc:
        return f"cannot listen on {ip}:{port}: {exc.strerror or exc}"
    return None


def run(args: argparse.Namespace) -> int:
    from kamtools.bundle import Bundle, BundleError

    ip = (args.ip or "").strip()
    if ip.startswith("[") and ip.endswith("]"):
        ip = ip[1:-1]
    port = args.port
    if port and not 0 < port < 65536:
        print(f"error: --port must be between 1 and 65535, got {port}", file=sys.stderr)
        return 2
    problem = _check_listen(ip, port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.bundle:
        try:
            bundle = Bundle.open(args.bundle)
        except BundleError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not bundle.has("scenario_price_volume"):
            print(
                f"error: the bundle at {bundle.path} has no scenario tables; re-run `kamtools analyze` "
                "with this kamtools version",
                file=sys.stderr,
            )
            return 2
    else:
        from kamtools.widgets import demo_bundle

        print("no bundle given: using the demo bundle", flush=True)
        bundle = demo_bundle()
    notebook = notebook_path(args.notebook)
    if not notebook.is_file():
        print(
            f"error: planner notebook {notebook} not found; set {NOTEBOOK_DIR_ENV} or pass --notebook", file=sys.stderr
        )
        return 2
    port = port or free_port(ip or "0.0.0.0")
    scenarios = Path(args.scenarios) if args.scenarios else bundle.path.resolve().parent / "scenarios"
    base = f"http://{_url_host(ip)}:{port}/"
    if args.no_token:
        token = ""
        network = "" if is_loopback(ip) else ", and everyone on the network"
        print(NO_TOKEN_WARNING.format(where=base, network=network), file=sys.stderr, flush=True)
    else:
        token = secrets.token_urlsafe(32)
    if not is_loopback(ip):
        print(IP_WARNING.format(ip=ip or "''"), file=sys.stderr, flush=True)
    url = f"{base}?token={token}" if token else base
    env = dict(os.environ)
    env[BUNDLE_ENV] = str(bundle.path.resolve())
    env[SCENARIOS_ENV] = str(scenarios.resolve())
    env[TOKEN_ENV] = token
    proc = subprocess.Popen(voila_command(notebook, port, ip), env=env, cwd=str(notebook.parent))

    def on_term(signum, frame):  # stop Voila too when we are asked to stop
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        if not wait_until_up(port, proc, args.startup_timeout, _connect_host(ip)):
            code = proc.poll()
            print(
                f"error: Voila did not start on {base}"
                + (f" (exit code {code}; is the port in use?)" if code is not None else " in time"),
                file=sys.stderr,
            )
            return 1
        print(f"scenario planner for {bundle.path} at {url}  (Ctrl-C to stop)", flush=True)
        return int(proc.wait())
    except KeyboardInterrupt:
        print("stopping the planner", file=sys.stderr, flush=True)
        return 0
    finally:
        stop(proc)
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # the Voila process started by `kamtools plan` (see voila_command)
    voila_main(sys.argv[1:])
