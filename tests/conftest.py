"""Shared fixtures: small demo portfolios built in memory, once per test session."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def demo():
    """(portfolio, truth) of a small generated demo: 120 accounts, 4 years, seed 11, no global-account
    groups (the demo the tests were written against; tests of groups make their own)."""
    from kamtools.datasets import make_portfolio

    return make_portfolio(n_accounts=120, years=4, seed=11, groups=0)


@pytest.fixture(scope="session")
def small_portfolio(demo):
    """The Portfolio of the `demo` fixture."""
    return demo[0]


def chromium_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) executables, or None when not installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture
def chromium():
    """Paths of the system Chromium and ChromeDriver; skips (or fails in CI) when missing."""
    paths = chromium_paths()
    if paths is None:
        if os.environ.get("KAMTOOLS_REQUIRE_BROWSER"):
            pytest.fail("chromium/chromedriver not installed but KAMTOOLS_REQUIRE_BROWSER is set")
        pytest.skip(
            "browser test: Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        )
    return paths


def run_notebook(name: str, parameters: dict, tmp_path) -> tuple[int, object]:
    """Execute ``kamtools/notebooks/<name>`` top to bottom on a fresh kernel with papermill.

    Checks first that the committed notebook is clean (no outputs, first cell tagged
    ``parameters``). Returns (number of images it drew, the executed notebook).
    """
    from pathlib import Path

    import nbformat
    import papermill as pm

    root = Path(__file__).resolve().parents[1]
    path = root / "kamtools" / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    assert "parameters" in nb.cells[0].metadata.get("tags", [])
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(path),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(root),
        execution_timeout=600,  # a hung cell fails the test instead of stalling the suite
    )
    executed = nbformat.read(out, as_version=4)
    images = sum(
        "image/png" in o.get("data", {}) or "<img" in "".join(o.get("data", {}).get("text/html", ""))
        for c in executed.cells
        for o in c.get("outputs", [])
    )
    return images, executed


@pytest.fixture
def captured(monkeypatch):
    """The HTML strings that `kamtools.display` helpers show during a test, in order."""
    from kamtools import display

    shown: list[str] = []
    original = display._show

    def keep(markup: str) -> str:
        shown.append(markup)
        return original(markup)

    monkeypatch.setattr(display, "_show", keep)
    return shown
