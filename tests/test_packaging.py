"""kamtools as an installed package: resources, optional extras, tested versions, any working folder.

The wheel itself is built, installed into a fresh virtual environment and smoke-tested by
``.ci/run`` (``kamtools demo --quick`` from a folder outside the checkout); these tests
check the parts that can be checked from the development install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
KAMTOOLS_CLI = Path(sys.executable).with_name("kamtools")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _run(args, cwd, env=None, timeout=600):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


# ---- resources -----------------------------------------------------------------------------


def test_resources_are_found_inside_the_package():
    import kamtools
    from kamtools import resources
    from kamtools.datasets import DEMO_DIR
    from kamtools.plan import DEFAULT_PLAYBOOK
    from kamtools.reports import default_notebook
    from kamtools.reports.render import TEMPLATES

    package = Path(kamtools.__file__).parent
    for path in (
        resources.notebook("account_report.ipynb"),
        resources.notebook("portfolio_overview.ipynb"),
        resources.notebook("scenario_planner.ipynb"),
        resources.templates_dir() / "index.js",
        resources.playbook_path(),
        resources.demo_data_dir() / "orders.csv",
    ):
        assert path.is_file(), f"{path} is missing"
        assert path.resolve().is_relative_to(package.resolve()), f"{path} is not inside the kamtools package"
    assert DEMO_DIR == resources.demo_data_dir()
    assert DEFAULT_PLAYBOOK == resources.playbook_path()
    assert TEMPLATES == resources.templates_dir()
    assert default_notebook("account") == resources.notebook("account_report.ipynb")


def test_no_module_finds_files_through_the_source_tree():
    offenders = []
    for path in sorted((ROOT / "kamtools").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"__file__", text) and path.name != "resources.py":
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"use kamtools.resources (importlib.resources) instead of __file__ in {offenders}"


def test_planner_notebook_found_without_a_checkout(monkeypatch):
    from kamtools.cli.plan import NOTEBOOK_DIR_ENV, notebook_path
    from kamtools.resources import notebook

    monkeypatch.delenv(NOTEBOOK_DIR_ENV, raising=False)
    assert notebook_path() == notebook("scenario_planner.ipynb").resolve()
    assert notebook_path().is_file()


def _package_data_patterns() -> list[str]:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    return [pattern for patterns in cfg.values() for pattern in patterns]


def test_package_data_covers_every_non_python_file_of_the_package():
    """Every file git tracks under kamtools/ lands in the wheel (the build includes .py files itself)."""
    tracked = subprocess.run(
        ["git", "ls-files", "kamtools"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    patterns = _package_data_patterns()
    uncovered = [
        f
        for f in tracked
        if not f.endswith(".py") and not any(Path(f).match(f"kamtools/{p}") or Path(f).match(p) for p in patterns)
    ]
    assert not uncovered, f"not in [tool.setuptools.package-data], so missing from the wheel: {uncovered}"


@pytest.mark.slow
def test_built_wheel_carries_the_runtime_files(tmp_path):
    """Build the wheel from a copy of the sources (offline: the test extra's setuptools) and look inside it."""
    from importlib.metadata import version

    if Version(version("setuptools")) < Version("77"):
        pytest.skip("building needs setuptools>=77 (the test extra installs it)")
    src = tmp_path / "src"
    shutil.copytree(ROOT / "kamtools", src / "kamtools", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src)
    args = ["-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)]
    proc = _run([sys.executable, *args], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("kamtools-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "kamtools/templates/index.js",
        "kamtools/templates/index.html",
        "kamtools/notebooks/account_report.ipynb",
        "kamtools/notebooks/scenario_planner.ipynb",
        "kamtools/playbook.yml",
        "kamtools/demo_data/orders.csv",
        "kamtools/demo_data/README.md",
        "kamtools/demo_data/.kamtools-output.json",
        "kamtools/resources.py",
    ):
        assert name in names, f"{name} is not in {wheel.name}"
    # setuptools says nothing about the configuration (no deprecated license table, no data
    # folders installed "as packages by accident")
    noise = re.compile(r"SetuptoolsDeprecationWarning|SetuptoolsWarning|is deprecated|Package would be ignored")
    complaints = [line for line in (proc.stdout + proc.stderr).splitlines() if noise.search(line)]
    assert not complaints, "the build warns:\n" + "\n".join(complaints[:20])


# ---- optional extras -------------------------------------------------------------------------

# Python run in a subprocess: hide the given top-level modules, then run the code.
HIDE = """
import sys
for name in {hidden!r}:
    sys.modules[name] = None   # "import name" now raises ModuleNotFoundError
{code}
"""

CORE_IMPORTS = (
    "import kamtools, kamtools.datasets, kamtools.forecast, kamtools.churn, kamtools.segment, kamtools.value, "
    "kamtools.competitors, kamtools.whitespace, kamtools.kpis, kamtools.plan, kamtools.bundle, kamtools.scenario, "
    "kamtools.parallel, kamtools.data.loader, kamtools.reports, kamtools.sections, kamtools.cli"
)
OPTIONAL = [
    "papermill",
    "nbconvert",
    "nbclient",
    "nbformat",
    "ipykernel",
    "jupyter_client",
    "jupyter_core",
    "jupyter_server",
    "jupyterlab",
    "ipywidgets",
    "IPython",
    "voila",
    "dask",
    "distributed",
    "sqlalchemy",
    "openpyxl",
]


def _python(code: str, hidden: list[str], cwd) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-c", HIDE.format(hidden=hidden, code=code)], cwd=cwd, timeout=120)


def test_core_modules_import_without_any_optional_dependency(tmp_path):
    code = CORE_IMPORTS + "\nprint(sorted(m for m in " + repr(OPTIONAL) + " if sys.modules.get(m) is not None))"
    proc = _python(code, OPTIONAL, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = _python(code, [], tmp_path)  # and nothing optional is imported when it is installed
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", f"importing the core modules imported {proc.stdout.strip()}"


CLI_CASES = [
    # (hidden modules, command line, extra named in the message)
    (["papermill"], ["reports", "BUNDLE", "--out", "out"], "reports"),
    (["ipykernel"], ["demo", "--quick"], "reports"),
    (["voila"], ["plan"], "planner"),
    (["openpyxl"], ["validate", "book.xlsx"], "excel"),
    (["sqlalchemy"], ["validate", "sqlite:///crm.db"], "sql"),
    (["distributed"], ["analyze", "DATA", "--out", "bundle", "--scheduler", "tcp://127.0.0.1:1"], "dask"),
]


@pytest.mark.parametrize("hidden,argv,extra", CLI_CASES, ids=[c[2] + "-" + c[1][0] for c in CLI_CASES])
def test_a_missing_extra_gives_one_sentence_naming_it(tmp_path, hidden, argv, extra):
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (tmp_path / "DATA").mkdir()
    argv = [a.replace("BUNDLE", str(tmp_path / "nothing")) for a in argv]
    code = f"from kamtools.cli import main\nsys.exit(main({argv!r}))"
    proc = _python(code, hidden, tmp_path)
    assert proc.returncode == 2, proc.stdout[-1000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert f"pip install 'kamtools[{extra}]'" in lines[0]
    assert f"extra '{extra}'" in lines[0] and hidden[0] in lines[0]


@pytest.mark.parametrize(
    "hidden,code,extra",
    [
        (["ipywidgets"], "import kamtools.widgets", "planner"),
        (["dask"], "from kamtools.parallel import monthly_revenue_from_parquet as f; f('.')", "dask"),
        (["papermill"], "from kamtools.reports import render_reports as r; r('nothing', 'out')", "reports"),
    ],
    ids=["widgets", "dask-dataframe", "render_reports"],
)
def test_a_missing_extra_in_python_raises_missing_extra(tmp_path, hidden, code, extra):
    wrapped = (
        "from kamtools.extras import MissingExtra\n"
        f"try:\n    {code}\nexcept MissingExtra as exc:\n    print(exc.extra, '|', exc)\n"
        "else:\n    print('no error')\n"
    )
    proc = _python(wrapped, hidden, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got_extra, message = proc.stdout.strip().split(" | ", 1)
    assert got_extra == extra
    assert f"pip install 'kamtools[{extra}]'" in message and hidden[0] in message


def test_extras_in_pyproject_match_kamtools_extras():
    from kamtools.extras import EXTRAS

    optional = PYPROJECT["optional-dependencies"]
    assert set(optional) == set(EXTRAS) | {"all", "test"}
    assert optional["all"] == [f"kamtools[{','.join(EXTRAS)}]"], "the 'all' extra must name every extra"
    for extra, (_, modules) in EXTRAS.items():
        declared = {_canonical(Requirement(r).name) for r in optional[extra]}
        for module in modules:
            dist = MODULE_DIST.get(module, module)
            assert _canonical(dist) in declared, f"extra {extra!r}: {module} comes from no declared requirement"


MODULE_DIST = {
    "distributed": "dask",
    "sqlalchemy": "sqlalchemy",
    "jupyter_server": "jupyter-server",
    "pptx": "python-pptx",
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---- versions: constraints file, pyproject and environment.yml in step -----------------------


def _requirements() -> dict[str, Requirement]:
    """Every requirement of the project (core and extras, self-references dropped), by name."""
    reqs = [Requirement(r) for r in PYPROJECT["dependencies"]]
    for items in PYPROJECT["optional-dependencies"].values():
        reqs += [Requirement(r) for r in items if not r.startswith("kamtools")]
    out: dict[str, Requirement] = {}
    for r in reqs:
        name = re.sub(r"[-_.]+", "-", r.name).lower()
        assert name not in out or str(out[name].specifier) == str(r.specifier), f"{name} declared twice differently"
        out[name] = r
    return out


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        assert version, f"constraints.txt: {line!r} is not an exact pin (name==version)"
        pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_constraints_pin_every_requirement_within_its_bounds():
    pins = _constraints()
    for name, req in _requirements().items():
        assert name in pins, f"constraints.txt has no pin for {name} (a requirement in pyproject.toml)"
        assert req.specifier.contains(Version(pins[name]), prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject.toml's {req}"
        )
    for req in _requirements().values():
        for extra in req.extras:  # e.g. dask[distributed] needs distributed pinned too
            assert extra in pins or extra == "dataframe", f"constraints.txt has no pin for {extra} ({req})"


def test_every_requirement_has_a_lower_bound_and_ruff_is_pinned():
    for req in _requirements().values():
        ops = {s.operator for s in req.specifier}
        assert ops & {">=", "=="}, f"{req}: give a lower bound (the CI lowest-versions step tests it)"
    assert str(_requirements()["ruff"].specifier).startswith("=="), "ruff must be pinned exactly"


# conda-forge packages that pyproject.toml gets through an extra of another package
CONDA_PART_OF = {"distributed": "dask"}  # dask[distributed]


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and Requirement(dep.replace(" ", "")).name not in ("python", "pip"):
            req = Requirement(dep.replace(" ", ""))
            name = _canonical(req.name)
            if name in CONDA_PART_OF:
                owner = _requirements()[CONDA_PART_OF[name]]
                assert str(req.specifier) == str(owner.specifier), f"environment.yml: {req} differs from {owner}"
                continue
            conda[name] = req
    wanted = {n: r for n, r in _requirements().items() if n not in TEST_ONLY}
    assert set(wanted) == set(conda), (
        f"only in pyproject: {sorted(set(wanted) - set(conda))}; only in environment.yml: "
        f"{sorted(set(conda) - set(wanted))}"
    )
    for name, req in wanted.items():
        assert str(conda[name].specifier) == str(req.specifier), (
            f"{name}: pyproject.toml says {req.specifier}, environment.yml {conda[name].specifier}"
        )
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e .[all,test]" in pip_section


# installed by pip from the test extra (not conda packages)
TEST_ONLY = {
    re.sub(r"[-_.]+", "-", Requirement(r).name).lower() for r in PYPROJECT["optional-dependencies"]["test"]
} - {"kamtools"}


def test_run_py_and_ci_install_from_the_constraints_file():
    run_py = (ROOT / "run.py").read_text()
    assert "constraints.txt" in run_py and ".[all,test]" in run_py
    ci = (ROOT / ".ci" / "run").read_text()
    assert "--resolution lowest-direct" in ci and "constraints.txt" in ci and "demo --quick" in ci


# ---- reports from any working folder ----------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=2, seed=5)
    out = tmp_path_factory.mktemp("tiny") / "bundle"
    analyze(portfolio, out, progress=False)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_report_batch_from_the_folder_above_a_checkout(tmp_path, tiny_bundle, mode):
    """The folder above a clone named ``kamtools`` (here: the checkout's parent, and a folder
    with a ``kamtools`` link to the checkout): the report kernels still import the
    installed package, not the folder."""
    above = tmp_path / "above"
    above.mkdir()
    (above / "kamtools").symlink_to(ROOT, target_is_directory=True)
    where = above if mode == "warm" else ROOT.parent
    out = tmp_path / "out"
    argv = [str(KAMTOOLS_CLI), "reports", str(tiny_bundle), "--out", str(out), "--accounts", "A0001"]
    proc = _run(argv + ["--workers", "1", "--mode", mode, "--quiet", "--no-overview"], cwd=where)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 rendered" in proc.stdout and "0 failed" in proc.stdout
    assert list((out / "accounts").glob("*.html"))
    log = [json.loads(line) for line in (out / "run.log").read_text().splitlines()]
    assert [e["status"] for e in log] == ["ok"]


@pytest.mark.slow
def test_failed_report_shows_its_real_error_in_one_line(tmp_path, tiny_bundle):
    """A notebook cell that raises: the summary line names the exception and its message."""
    import nbformat

    from kamtools.resources import notebook

    nb = nbformat.read(notebook("account_report.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise LookupError('no such shelf: B7')"))
    folder = tmp_path / "nbs"
    folder.mkdir()
    nbformat.write(nb, folder / "account_report.ipynb")
    shutil.copy(notebook("portfolio_overview.ipynb"), folder)
    env = {**os.environ, "KAMTOOLS_NOTEBOOKS": str(folder)}
    argv = [str(KAMTOOLS_CLI), "reports", str(tiny_bundle), "--out", str(tmp_path / "out"), "--accounts", "A0001"]
    proc = _run(argv + ["--workers", "1", "--quiet", "--no-overview"], cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    failed = [line for line in proc.stdout.splitlines() if line.strip().startswith("failed:")]
    assert len(failed) == 1, proc.stdout
    assert "LookupError: no such shelf: B7" in failed[0], failed[0]
    assert "CellExecutionError" not in proc.stdout


def test_preload_failure_is_reported_with_its_cause():
    """A warm kernel whose start-up code fails: the error names the cell's exception, not nbclient's wrapper."""
    from nbclient.exceptions import CellExecutionError

    from kamtools.reports.render import _error_text

    exc = CellExecutionError(
        "An error occurred while executing the following cell:\n------------------\nimport x\n",
        "ModuleNotFoundError",
        "No module named 'kamtools.reports._kernel_side'",
    )
    text = _error_text(exc)
    assert text.startswith("ModuleNotFoundError: No module named 'kamtools.reports._kernel_side'"), text
    assert "\n" not in text


# ---- quick to try, honest about time ------------------------------------------------------------


def test_quick_demo_picks_the_largest_accounts():
    import pandas as pd

    from kamtools.cli.demo import QUICK_REPORTS, quick_accounts

    class FakeBundle:
        accounts = pd.DataFrame(
            {"account_id": [f"A{i:02d}" for i in range(30)], "revenue_ltm": [float((i * 7) % 30) for i in range(30)]}
        )

    chosen = quick_accounts(FakeBundle())
    revenue = FakeBundle.accounts.set_index("account_id")["revenue_ltm"]
    assert len(chosen) == QUICK_REPORTS
    assert sorted(revenue[chosen], reverse=True) == sorted(revenue, reverse=True)[:QUICK_REPORTS]


def test_time_estimates_scale_with_the_machine_and_read_plainly():
    from kamtools.cli.demo import about, analysis_seconds, report_seconds

    assert analysis_seconds(300, 3.0) == pytest.approx(2 * analysis_seconds(300, 1.5))
    assert analysis_seconds(300, 1.5) > analysis_seconds(60, 1.5)
    assert report_seconds(301, 1, 1.5) > report_seconds(301, 2, 1.5)
    assert about(31) == "about 30 s on this machine"
    assert about(2) == "about 5 s on this machine"
    assert about(365) == "about 6 min on this machine"


def test_demo_help_offers_the_quick_demo():
    from kamtools.cli import build_parser

    text = build_parser()._subparsers._group_actions[0].choices["demo"].format_help()
    assert "--quick" in text and "about a minute" in text
