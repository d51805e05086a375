"""Attacks on the faces of kamtools: markup, paths, notebook parameters and playbooks.

Every string a user's export holds (account and product names, competitors, notes,
complaint descriptions, account ids) and every playbook file is untrusted. These cases
check that such text stays text: escaped in HTML, inside the output folder on disk,
data (never code) in a report notebook, and refused with a clear message in a playbook.
Each case is cheap: one small analysed portfolio (about 4 s) serves all the HTML cases.
"""

from __future__ import annotations

import ast
import html
import os
import re
import textwrap
from pathlib import Path

import pytest
from report_helpers import rename_accounts

from kamtools import plan as P

# ---- the hostile portfolio ------------------------------------------------------------------
NAME = '<script>alert("name")</script> & Sons'
OWNER = "<img src=x onerror=alert(1)>"
PRODUCT = "<iframe src=javascript:alert(1)></iframe>"
CATEGORY = '</td><script>alert("category")</script>'
COMPETITOR = "<svg onload=alert(1)>Rival"
LOSS_REASON = "<a href=javascript:alert(1)>price</a>"
NOTE = "<script>alert('note')</script>"
DESCRIPTION = "<style>body{display:none}</style>"
MARKUP_ID = "<b onmouseover=alert(1)>A9</b>"
PAYLOADS = [NAME, OWNER, PRODUCT, CATEGORY, COMPETITOR, LOSS_REASON, NOTE, DESCRIPTION, MARKUP_ID]

PATH_IDS = ["../../x", "/etc/passwd", "CON", "..\\..\\windows\\win.ini", "LONG" * 80]
CODE_IDS = [
    'x"; import os; os.system("touch pwned"); "',
    "x'; import os; os.system('touch pwned'); '",
    '"""; import os #',
    "a\nimport os\nos.system('touch pwned')",
    "{__import__('os').system('touch pwned')}",
    "\\'; __import__('os') #",
    "a\u2028import os",
    "nul\x00byte",
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(bundle, {role: account id}) of a 12-account demo with hostile names and ids."""
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=12, years=3, seed=3)
    ids = sorted(portfolio.accounts["account_id"])
    renames = {ids[2 + i]: new for i, new in enumerate([MARKUP_ID, *PATH_IDS])}
    portfolio = rename_accounts(portfolio, renames, {ids[0]: NAME})
    t = portfolio.tables
    t["accounts"].loc[t["accounts"]["account_id"] == ids[0], "owner"] = OWNER
    t["products"].loc[:, "name"] = PRODUCT
    category = t["products"]["category"].iloc[0]
    for name in ("products", "opportunities", "competitor_prices"):
        t[name]["category"] = t[name]["category"].replace(category, CATEGORY)
    competitor = t["opportunities"]["competitor"].dropna().iloc[0]
    for name in ("opportunities", "competitor_prices"):
        t[name]["competitor"] = t[name]["competitor"].replace(competitor, COMPETITOR)
    t["opportunities"].loc[t["opportunities"]["loss_reason"].notna(), "loss_reason"] = LOSS_REASON
    t["interactions"]["notes"] = NOTE
    t["complaints"]["description"] = DESCRIPTION
    t["complaints"]["category"] = DESCRIPTION
    out = tmp_path_factory.mktemp("hostile") / "bundle"
    bundle = analyze(portfolio, out, progress=False)
    return bundle, {"named": ids[0], "markup_id": MARKUP_ID}


def _raw_payloads(page: str) -> list[str]:
    """The payloads that appear unescaped in ``page``."""
    return [p for p in PAYLOADS if p in page]


def _page(captured) -> str:
    return "".join(captured)


# names each section shows (escaped), so the checks below see the payloads flow through
SHOWN_IN_ACCOUNT = {"summary": [OWNER], "whitespace": [CATEGORY], "plan": [OWNER]}
SHOWN_IN_PORTFOLIO = {"competitors": [NAME, COMPETITOR, MARKUP_ID], "whitespace": [CATEGORY, MARKUP_ID]}


# ---- markup reaches HTML escaped -------------------------------------------------------------
@pytest.mark.parametrize("key", ["summary", "segment", "competitors", "whitespace", "kpis", "plan"])
def test_account_sections_escape_every_name(hostile, captured, monkeypatch, key):
    """Account name, owner, products, categories, competitors, loss reasons, notes and
    complaint texts are markup in the data; each account section shows them as text."""
    from kamtools import sections

    bundle, roles = hostile
    monkeypatch.setattr(sections, "STRICT", True)  # a section that fails raises here
    acct = bundle.account(roles["named"])
    sections.account_header(acct)
    sections.account(key, acct)
    page = _page(captured)
    assert _raw_payloads(page) == []
    assert html.escape(NAME, quote=True) in page  # the report title shows the name as text
    for shown in SHOWN_IN_ACCOUNT.get(key, []):
        assert html.escape(shown, quote=True) in page
    assert "could not be drawn" not in page


def test_account_header_escapes_the_owner_and_an_id_made_of_markup(hostile, captured):
    from kamtools import sections

    bundle, roles = hostile
    sections.account_header(bundle.account(roles["named"]))
    sections.account_header(bundle.account(roles["markup_id"]))
    page = _page(captured)
    assert _raw_payloads(page) == []
    assert html.escape(OWNER, quote=True) in page and html.escape(MARKUP_ID, quote=True) in page


@pytest.mark.parametrize("key", ["competitors", "whitespace", "kpis"])
def test_portfolio_sections_escape_every_name(hostile, captured, monkeypatch, key):
    from kamtools import sections

    bundle, _ = hostile
    monkeypatch.setattr(sections, "STRICT", True)
    if key == "whitespace":
        # the small hostile portfolio has no category above the 10% adoption threshold; list
        # every opportunity in the top table so that the escaping of its names is what is tested
        import kamtools.sections.whitespace as ws_section

        monkeypatch.setattr(ws_section, "split_recommended", lambda recs: (recs, recs.iloc[0:0]))
    sections.portfolio_header(bundle)
    sections.portfolio(key, bundle)
    page = _page(captured)
    assert _raw_payloads(page) == [] and "could not be drawn" not in page
    for shown in SHOWN_IN_PORTFOLIO.get(key, []):
        assert html.escape(shown, quote=True) in page


def test_index_page_escapes_names_and_ids_and_links_only_safe_file_names(hostile, tmp_path):
    from kamtools.reports.index import write_index

    bundle, _ = hostile
    page = write_index(bundle, tmp_path).read_text(encoding="utf-8")
    assert _raw_payloads(page) == []
    assert html.escape(NAME, quote=True) in page and html.escape(MARKUP_ID, quote=True) in page
    assert page.count("<script>") == 1  # the page's own sorting script, allowed by its CSP hash
    for href in re.findall(r'href="([^"]*)"', page):
        assert re.fullmatch(r"(accounts/)?[A-Za-z0-9_.-]+", href), href


def test_report_page_title_is_escaped():
    import nbformat

    from kamtools.reports.render import to_html

    page = to_html(nbformat.v4.new_notebook(), NAME, subtitle=f"Account {MARKUP_ID}")
    assert _raw_payloads(page) == []
    assert f"<title>{html.escape(NAME, quote=True)}</title>" in page
    assert "script-src 'none'" in page  # reports run no script at all, whatever slips through


# ---- account ids never lead out of the output folder ----------------------------------------
@pytest.mark.parametrize("account_id", [*PATH_IDS, MARKUP_ID, *CODE_IDS, ".", "..", "", "NUL", "com1", "a/../../b"])
def test_report_files_stay_inside_the_output_folder(tmp_path, account_id):
    """Reports are named ``<slug>-<hash>``: no separator, no dot, not a reserved device name."""
    from kamtools.reports import account_paths
    from kamtools.reports.render import atomic_write

    out = tmp_path / "out"
    paths = account_paths(out, account_id)
    for path in (paths.html, paths.pdf, paths.state):
        assert path.resolve().parent in ((out / "accounts").resolve(), (out / ".kamtools-state").resolve())
        stem = path.name.rsplit(".", 1)[0]
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}-[0-9a-f]{10}", stem), stem
        assert stem.upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    atomic_write(paths.html, "<p>report</p>")
    atomic_write(paths.state, "{}")
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted([f"out/.kamtools-state/{paths.state.name}", f"out/accounts/{paths.html.name}"]), (
        written
    )  # nothing beside or above the output folder


def test_hostile_ids_get_distinct_report_files(hostile, tmp_path):
    from kamtools.reports import account_paths

    bundle, _ = hostile
    ids = bundle.accounts["account_id"].astype(str).tolist()
    assert set(PATH_IDS) <= set(ids)  # the bundle kept the ids as they were
    names = {account_paths(tmp_path, a).html.name for a in ids}
    assert len(names) == len(ids)


# ---- notebook parameters are data, never code -----------------------------------------------
@pytest.mark.parametrize("value", CODE_IDS)
def test_report_parameters_are_injected_as_constants(value, tmp_path):
    """The parameters cell papermill writes for a report (as kamtools.reports passes them)
    assigns constants only; run with no builtins at all, it defines exactly the values."""
    import papermill

    from kamtools.reports import default_notebook
    from kamtools.reports.render import load_notebook

    bundle_path = str(tmp_path / 'it\'s "a" bundle')
    nb = papermill.execute_notebook(
        load_notebook(str(default_notebook("account"))),
        None,
        parameters={"account_id": value, "bundle": bundle_path},
        prepare_only=True,
    )
    cell = next(c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    tree = ast.parse(cell)
    assert all(isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) for n in tree.body)
    namespace: dict = {"__builtins__": {}}  # no import, no call could run
    exec(compile(tree, "<injected>", "exec"), namespace)
    namespace.pop("__builtins__")
    assert namespace == {"account_id": value, "bundle": bundle_path}
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


# ---- playbooks: hostile YAML and rules that try to escape the sandbox -----------------------
def _playbook(tmp_path, text: str) -> Path:
    path = tmp_path / "team_playbook.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body",
    [
        "rules: !!python/object/apply:os.system ['touch {pwned}']",
        "rules:\n  - !!python/object/new:subprocess.Popen [['touch', '{pwned}']]",
        "rules: [{id: x, when: !!python/name:os.system , risk: r}]",
    ],
)
def test_python_yaml_tags_are_refused_and_never_run(tmp_path, body):
    pwned = tmp_path / "pwned"
    path = _playbook(tmp_path, body.replace("{pwned}", str(pwned)))
    with pytest.raises(P.PlaybookError) as info:
        P.checked_playbook(path)
    message = str(info.value)
    assert str(path) in message and "YAML tags that build Python objects are never run" in message
    assert not pwned.exists()


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 10)]
    path = _playbook(tmp_path, "\n".join(lines) + "\nrules: *a9\n")
    with pytest.raises(P.PlaybookError, match="unknown top-level field"):
        P.checked_playbook(path)


@pytest.mark.parametrize(
    "when, message",
    [
        ("__import__('os').system('id') == 0", "call syntax (at character 1) is not allowed"),
        ("revenue_ltm.__class__ == 0", "attribute syntax"),
        ("().__class__.__bases__[0].__subclasses__() == 0", "syntax (at character 1) is not allowed"),
        ("[c for c in ()] == 0", "listcomp syntax"),
        ("(lambda: 1)() == 1", "call syntax"),
        ("open('/etc/passwd') == 0", "call syntax"),
        ("revenue_ltm ** 99999 > 0", "binop syntax"),
        ("__builtins__ == 0", "unknown fact '__builtins__'"),
    ],
)
def test_playbook_sandbox_refuses_code_in_conditions(tmp_path, when, message):
    path = _playbook(tmp_path, f"rules: [{{id: sneaky, when: {when!r}, risk: 'r'}}]")
    with pytest.raises(P.PlaybookError) as info:
        P.checked_playbook(path)
    text = str(info.value)
    assert "rule 'sneaky'" in text and str(path) in text and message in text, text


@pytest.mark.parametrize(
    "risk, message",
    [
        ("{revenue_ltm.__class__.__mro__}", "must be a plain fact name"),
        ("{revenue_ltm[0]}", "must be a plain fact name"),
        ("{__import__}", "unknown fact '__import__'"),
        ("{revenue_ltm:{revenue_ltm}}", "a lone '{'"),
        ("{0.__class__}", "must be a plain fact name"),
    ],
)
def test_playbook_sandbox_refuses_code_in_texts(tmp_path, risk, message):
    path = _playbook(tmp_path, f"rules: [{{id: sneaky, when: 'revenue_ltm > 0', risk: {risk!r}}}]")
    with pytest.raises(P.PlaybookError) as info:
        P.checked_playbook(path)
    assert "rule 'sneaky'" in str(info.value) and message in str(info.value), str(info.value)


def test_cli_refuses_a_sandbox_escape_with_one_sentence(tmp_path, capsys):
    from kamtools.cli import main

    path = _playbook(tmp_path, "rules: [{id: sneaky, when: \"__import__('os').system('id') == 0\", risk: r}]")
    code = main(["analyze", str(tmp_path / "data"), "--out", str(tmp_path / "bundle"), "--playbook", str(path)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "rule 'sneaky'" in err and "call syntax (at character 1) is not allowed" in err
    assert not (tmp_path / "bundle").exists()
    assert os.listdir(tmp_path) == ["team_playbook.yml"]
