"""Shared fixtures: small demo portfolios built in memory, once per test session."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def demo():
    """(portfolio, truth) of a small generated demo: 120 accounts, 4 years, seed 11."""
    from kamtools.datasets import make_portfolio

    return make_portfolio(n_accounts=120, years=4, seed=11)


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
