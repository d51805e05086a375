"""`kamtools plan` under attack: token, Host and Origin checks, no tracebacks, no shutdown from outside.

The real server is started once per module (``kamtools plan BUNDLE --port P``, Voila on
127.0.0.1) and probed with real HTTP requests (http.client, so the Host header and
cookies are exactly what a test sends) and real websocket handshakes on the kernel
channel (tornado's websocket client). A second server, started with ``--no-token`` on a
notebook whose cell fails, shows that the Host and Origin checks hold without a token
and that a failing cell shows no traceback in the page but one on the console.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import nbformat
import pytest
from planner_helpers import Planner, start_planner
from test_scenario import build_bundle

from kamtools.cli import main as cli_main
from kamtools.cli import plan as plan_cli

EVIL = "evil.example"
SECRET = "kamtools-secret-7f3a"  # raised by the failing notebook: must reach the console, never the page


# ---------------------------------------------------------------------------------------
# plain HTTP against a running `kamtools plan`
# ---------------------------------------------------------------------------------------
@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def cookies(self) -> SimpleCookie:
        jar: SimpleCookie = SimpleCookie()
        for raw in self.headers.get_all("Set-Cookie") or []:
            jar.load(raw)
        return jar


def request(planner: Planner, path: str, method: str = "GET", headers: dict | None = None, body=None) -> Response:
    """One HTTP request to the planner, redirects not followed; ``headers`` may set Host, Cookie, Origin."""
    conn = http.client.HTTPConnection("127.0.0.1", planner.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def cookie_header(jar: SimpleCookie) -> str:
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


def ws_handshake(planner: Planner, kernel_id: str, headers: dict, query: str = "") -> int | str:
    """Open the kernel's websocket channel: "accepted", or the HTTP status that refused it."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{planner.port}/api/kernels/{kernel_id}/channels{query}"

    async def attempt():
        try:
            ws = await websocket_connect(HTTPRequest(url, headers=headers, request_timeout=60))
        except HTTPClientError as exc:
            return exc.code
        ws.close()
        return "accepted"

    return asyncio.run(attempt())


# ---------------------------------------------------------------------------------------
# fixtures: one bundle, one server, one page load (one kernel) per module
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=3, seed=4)
    return build_bundle(portfolio, tmp_path_factory.mktemp("plan-security") / "bundle")


@pytest.fixture(scope="module")
def account_names(bundle) -> list[str]:
    return [str(n) for n in bundle.accounts["name"] if len(str(n)) > 4]


@pytest.fixture(scope="module")
def server(bundle, tmp_path_factory):
    planner = start_planner(str(bundle.path), "--scenarios", str(tmp_path_factory.mktemp("scenarios")))
    yield planner
    planner.stop()


@dataclass
class Session:
    cookies: SimpleCookie
    kernel_id: str
    page: Response


def open_page(server: Planner) -> Session:
    """Load the planner with the printed URL (starts a kernel), as a browser's first visit does."""
    page = request(server, "/?" + urlencode({"token": server.token}))
    assert page.status == 200, page.text[:500]
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page.text)
    assert kernel, "the page names no kernel"
    return Session(page.cookies(), kernel.group(1), page)


@pytest.fixture(scope="module")
def session(server) -> Session:
    return open_page(server)


# ---------------------------------------------------------------------------------------
# the token
# ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_printed_url_has_a_long_random_token(server, session):
    assert server.url.startswith(f"http://127.0.0.1:{server.port}/?token=")
    assert len(server.token) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", server.token)
    # the token is on no command line (other users can read those), nor in Voila's own log lines
    import psutil  # installed with ipykernel

    processes = [psutil.Process(server.proc.pid), *psutil.Process(server.proc.pid).children(recursive=True)]
    assert any("kamtools.cli.plan" in " ".join(p.cmdline()) for p in processes)  # Voila and its kernels
    assert all(server.token not in " ".join(p.cmdline()) for p in processes)
    kernels = [p for p in processes if "ipykernel" in " ".join(p.cmdline())]
    assert kernels and all(
        plan_cli.TOKEN_ENV not in p.environ() for p in kernels
    )  # code in the page's kernel never sees it
    printed = [line for line in server.output().splitlines() if server.token in line]
    assert len(printed) == 1 and "scenario planner for" in printed[0]


@pytest.mark.slow
@pytest.mark.parametrize("query", ["", "?token=wrong", "?token="])
def test_without_the_token_only_the_login_page(server, account_names, query):
    r = request(server, "/" + query)
    assert r.status in (302, 403)
    if r.status == 302:
        assert r.headers["Location"].startswith("/login")
        login = request(server, r.headers["Location"])
        assert login.status == 200 and "<form" in login.text
        assert not any(name.startswith("username-") for name in login.cookies())
    for text in (r.text, request(server, "/login").text):
        assert "kernelId" not in text and "kam-" not in text
        assert not any(name in text for name in account_names)
    assert not any(name.startswith("username-") for name in r.cookies())


@pytest.mark.slow
def test_right_token_serves_the_page_and_sets_a_strict_cookie(session, account_names):
    assert "jupyter-widgets" in session.page.text or "widget" in session.page.text
    login = [m for name, m in session.cookies.items() if name.startswith("username-")]
    assert len(login) == 1
    raw = " ".join(session.page.headers.get_all("Set-Cookie"))
    assert "HttpOnly" in raw and "SameSite=Strict" in raw


@pytest.mark.slow
def test_the_cookie_alone_is_enough_for_the_pages_own_requests(server, session):
    r = request(server, f"/api/kernels/{session.kernel_id}", headers={"Cookie": cookie_header(session.cookies)})
    assert r.status == 200 and json.loads(r.text)["id"] == session.kernel_id
    assert request(server, f"/api/kernels/{session.kernel_id}").status == 403  # and without it, nothing


@pytest.mark.slow
def test_apis_refuse_requests_without_credentials(server, session):
    for path in (f"/api/kernels/{session.kernel_id}", "/api/kernels", "/api/sessions", "/api/contents"):
        r = request(server, path)
        assert r.status in (302, 403, 404), (path, r.status)
        assert session.kernel_id not in r.text and '"execution_state"' not in r.text
    assert request(server, "/voila/files/scenario_planner.ipynb", headers=cookies_of(session)).status == 403


def cookies_of(session: Session) -> dict:
    return {"Cookie": cookie_header(session.cookies)}


# ---------------------------------------------------------------------------------------
# Host header (DNS rebinding)
# ---------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:{{port}}", "127.0.0.1.nip.io:{port}", "10.0.0.1:{port}"])
def test_foreign_host_header_is_refused_even_with_token_or_cookie(server, session, host):
    host = host.format(port=server.port)
    for path, headers in (
        ("/?" + urlencode({"token": server.token}), {}),
        ("/", cookies_of(session)),
        (f"/api/kernels/{session.kernel_id}", cookies_of(session)),
        ("/login", {}),
        ("/voila/static/voila.js", {}),  # Voila's plain file handlers are checked too
        ("/voila/templates/lab/static/index.css", {}),
    ):
        r = request(server, path, headers={**headers, "Host": host})
        assert r.status == 403, (path, r.status)
        assert "kernelId" not in r.text and session.kernel_id not in r.text


@pytest.mark.slow
@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}"])
def test_local_host_names_are_accepted(server, session, host):
    headers = {"Host": host.format(port=server.port)}
    r = request(server, f"/api/kernels/{session.kernel_id}?token={server.token}", headers=headers)
    assert r.status == 200 and json.loads(r.text)["id"] == session.kernel_id
    assert request(server, "/voila/static/voila.js", headers=headers).status != 403


# ---------------------------------------------------------------------------------------
# the kernel websocket: Origin
# ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_kernel_websocket_accepts_the_page_and_refuses_foreign_origins(server, session):
    cookie = cookie_header(session.cookies)
    kid = session.kernel_id
    assert ws_handshake(server, kid, {"Cookie": cookie, "Origin": server.origin}) == "accepted"
    assert ws_handshake(server, kid, {"Cookie": cookie, "Origin": f"http://{EVIL}"}) == 403
    assert ws_handshake(server, kid, {"Cookie": cookie, "Origin": f"http://localhost:{server.port + 1}"}) == 403
    # with the token too: a foreign page holding the URL still cannot drive the levers
    assert ws_handshake(server, kid, {"Origin": f"http://{EVIL}"}, f"?token={server.token}") == 403
    assert ws_handshake(server, kid, {"Origin": server.origin}) == 403  # no credentials
    assert ws_handshake(server, kid, {"Origin": server.origin}, "?token=wrong") == 403
    evil_host = {"Cookie": cookie, "Host": f"{EVIL}:{server.port}", "Origin": f"http://{EVIL}:{server.port}"}
    assert ws_handshake(server, kid, evil_host) == 403  # DNS rebinding: Origin matches Host, Host is foreign
    assert ws_handshake(server, kid, {}, f"?token={server.token}") == "accepted"  # a script with the token


# ---------------------------------------------------------------------------------------
# shutting kernels or the server down
# ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_shutdown_requests_from_outside_are_refused(server, session):
    kid = session.kernel_id
    cookie = cookie_header(session.cookies)
    xsrf = session.cookies["_xsrf"].value if "_xsrf" in session.cookies else "x"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    attempts = [
        ("POST", f"/voila/api/shutdown/{kid}", {**form}, f"_xsrf={xsrf}"),
        ("DELETE", f"/api/kernels/{kid}", {}, None),
        ("POST", f"/api/kernels/{kid}/restart", {}, None),
        ("POST", f"/api/kernels/{kid}/interrupt", {}, None),
        ("POST", "/api/shutdown", {}, None),
        ("POST", "/api/kernels", {}, "{}"),
        # with the login cookie but as a foreign page would send it (no XSRF value, or a foreign Origin)
        ("POST", f"/voila/api/shutdown/{kid}", {**form, "Cookie": cookie}, "_xsrf="),
        ("DELETE", f"/api/kernels/{kid}", {"Cookie": cookie}, None),
        ("POST", f"/voila/api/shutdown/{kid}", {**form, "Cookie": cookie, "Origin": f"http://{EVIL}"}, f"_xsrf={xsrf}"),
    ]
    for method, path, headers, body in attempts:
        r = request(server, path, method=method, headers=headers, body=body)
        assert r.status in (403, 404, 405), (method, path, headers, r.status)
    assert server.proc.poll() is None  # the server runs on
    alive = request(server, f"/api/kernels/{kid}", headers={"Cookie": cookie})
    assert alive.status == 200 and json.loads(alive.text)["id"] == kid  # and so does the kernel


@pytest.mark.slow
def test_the_pages_own_shutdown_on_closing_works(server):
    own = open_page(server)  # a second visit: its own kernel
    assert "_xsrf" in own.cookies  # the page sends it back with its shutdown request
    headers = {
        "Cookie": cookie_header(own.cookies),
        "Origin": server.origin,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    r = request(server, f"/voila/api/shutdown/{own.kernel_id}", "POST", headers, f"_xsrf={own.cookies['_xsrf'].value}")
    assert r.status == 204
    gone = request(server, f"/api/kernels/{own.kernel_id}", headers={"Cookie": cookie_header(own.cookies)})
    assert gone.status == 404


# ---------------------------------------------------------------------------------------
# no tracebacks to the page
# ---------------------------------------------------------------------------------------
TRACEBACK_SIGNS = ("Traceback (most recent call last)", 'File "', "AssertionError", "ValueError", "site-packages")


@pytest.mark.slow
def test_error_pages_carry_no_traceback(server, session):
    for path in ("/voila/templates/nonsense", "/voila/templates/lab/notstatic/x", "/voila/static/..%2f..%2fapp.py"):
        r = request(server, path, headers=cookies_of(session))
        assert r.status >= 400
        assert not any(sign in r.text for sign in TRACEBACK_SIGNS), r.text[:300]
    r = request(server, "/api/kernels/00000000-0000-0000-0000-000000000000", headers=cookies_of(session))
    assert r.status == 404 and not json.loads(r.text).get("traceback")
    assert "Traceback (most recent call last)" in server.output()  # the server logs it on its console


@pytest.fixture(scope="module")
def failing_no_token_server(bundle, tmp_path_factory):
    """``kamtools plan --no-token`` on a notebook whose only cell raises (its own kernel, quick to run).

    The user's Jupyter configuration asks Voila for tracebacks and remote access: kamtools
    overrides both.
    """
    folder = tmp_path_factory.mktemp("failing-notebook")
    config = {
        "VoilaConfiguration": {"show_tracebacks": True},
        "Voila": {"tornado_settings": {"allow_remote_access": True}},
    }
    (folder / "voila.json").write_text(json.dumps(config))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f'raise RuntimeError("{SECRET}: customer margin 42%")')]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "failing.ipynb"
    nbformat.write(nb, path)
    planner = start_planner(
        str(bundle.path), "--notebook", str(path), "--no-token", env={"JUPYTER_CONFIG_DIR": str(folder)}
    )
    yield planner
    planner.stop()


@pytest.mark.slow
def test_no_token_warns_and_keeps_the_host_and_origin_checks(failing_no_token_server):
    srv = failing_no_token_server
    out = srv.output()
    assert "warning: --no-token" in out and "every user of this machine" in out
    assert srv.url == f"http://127.0.0.1:{srv.port}/" and "token=" not in srv.url
    page = request(srv, "/")
    assert page.status == 200  # no token asked for
    kid = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page.text).group(1)
    assert request(srv, "/", headers={"Host": EVIL}).status == 403
    assert ws_handshake(srv, kid, {"Origin": f"http://{EVIL}"}) == 403
    assert ws_handshake(srv, kid, {"Origin": srv.origin}) == "accepted"
    # a failing cell: a short notice in the page, the error itself only on the console
    assert "There was an error when executing cell" in page.text
    assert SECRET not in page.text and "Traceback" not in page.text and "RuntimeError" not in page.text
    deadline = time.monotonic() + 30
    while SECRET not in srv.output() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert SECRET in srv.output()


# ---------------------------------------------------------------------------------------
# the command line (no server)
# ---------------------------------------------------------------------------------------
def test_security_settings_and_local_names():
    local = plan_cli.security_settings("127.0.0.1")
    assert local["allow_remote_access"] is False and local["allow_origin"] == ""
    assert local["disable_check_xsrf"] is False and local["serve_traceback"] is False
    assert plan_cli.security_settings("0.0.0.0")["allow_remote_access"] is True
    for host in ("127.0.0.1:8866", "localhost:8866", "LOCALHOST", "[::1]:8866", "[::1]", "127.0.0.2"):
        assert plan_cli.local_host_header(host), host
    for host in (EVIL, f"{EVIL}:8866", "10.0.0.1:8866", "127.0.0.1.nip.io", "localhost.evil.example", ""):
        assert not plan_cli.local_host_header(host), host
    cmd = plan_cli.voila_command(Path("nb.ipynb"), 18_999)
    assert "--VoilaConfiguration.show_tracebacks=False" in cmd and "--show_tracebacks=True" not in cmd
    assert not any("token" in part.lower() for part in cmd)  # the token never goes on a command line


def test_ip_flag_warns_about_the_network(bundle, monkeypatch, capsys):
    started = {}

    class NotStarted:  # stands in for the Voila process: exits at once
        def __init__(self, cmd, env, cwd):
            started.update(cmd=cmd, env=env)

        def poll(self):
            return 3

        def wait(self, timeout=None):
            return 3

    monkeypatch.setattr(plan_cli, "_check_listen", lambda ip, port: None)
    monkeypatch.setattr(plan_cli.subprocess, "Popen", NotStarted)
    assert cli_main(["plan", str(bundle.path), "--ip", "0.0.0.0", "--port", "18999"]) == 1
    err = capsys.readouterr().err
    assert "warning: --ip 0.0.0.0: the planner listens beyond this machine, over plain HTTP" in err
    assert "Voila did not start" in err
    assert "--Voila.ip=0.0.0.0" in started["cmd"]
    assert len(started["env"][plan_cli.TOKEN_ENV]) >= 40  # still a token
    assert cli_main(["plan", str(bundle.path), "--ip", "0.0.0.0", "--port", "18999", "--no-token"]) == 1
    err = capsys.readouterr().err
    assert "warning: --no-token" in err and "everyone on the network" in err
    assert started["env"][plan_cli.TOKEN_ENV] == ""
    assert cli_main(["plan", str(bundle.path), "--ip", "localhost", "--port", "18999"]) == 1
    assert "warning" not in capsys.readouterr().err  # loopback: nothing to warn about


def test_address_or_port_that_cannot_be_used_is_one_clear_error(bundle, capsys):
    assert cli_main(["plan", str(bundle.path), "--ip", "203.0.113.9"]) == 2  # TEST-NET: not on this machine
    err = capsys.readouterr().err
    assert err.startswith("error: cannot listen on 203.0.113.9:0") and "Traceback" not in err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli_main(["plan", str(bundle.path), "--port", str(port)]) == 2
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in capsys.readouterr().err
