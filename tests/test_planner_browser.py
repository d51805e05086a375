"""The scenario planner as a web app: `kamtools plan` (Voila) driven by headless Chromium.

The browser test starts ``kamtools plan BUNDLE --port P`` (Voila on 127.0.0.1), picks an
account, moves sliders and checks that the page shows the engine's numbers, measuring
the time from the key press to the updated projected revenue. The screenshot and the
latency figures go to ``reports/test-artifacts/``. Also here: the CLI's own checks and the
notebook run top to bottom (no browser needed).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import nbformat
import pytest
from planner_helpers import start_planner
from test_scenario import build_bundle

from kamtools import scenario as sc
from kamtools.cli import main as cli_main
from kamtools.cli import plan as plan_cli

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "reports" / "test-artifacts"
NOTEBOOK = ROOT / "kamtools" / "notebooks" / "scenario_planner.ipynb"
STARTUP_TIMEOUT = 180  # seconds for Voila + kernel + first drawing on a loaded machine
LATENCY_BOUND_MS = 1000  # hard bound for the test; the aim (reported) is under 300 ms


@pytest.fixture(scope="module")
def planner_bundle(tmp_path_factory):
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=24, years=4, seed=4)
    return build_bundle(portfolio, tmp_path_factory.mktemp("planner-web") / "bundle")


# ---------------------------------------------------------------------------------------
# CLI and notebook (no browser)
# ---------------------------------------------------------------------------------------
def test_voila_command_listens_on_localhost_only(tmp_path):
    cmd = plan_cli.voila_command(tmp_path / "nb.ipynb", 18_999)
    assert "--Voila.ip=127.0.0.1" in cmd and "--no-browser" in cmd and "--port=18999" in cmd
    assert "--Voila.port_retries=0" in cmd  # the printed URL is the real one
    port = plan_cli.free_port()
    assert 0 < port < 65536
    assert plan_cli.notebook_path().name == "scenario_planner.ipynb"


def test_plan_rejects_a_missing_bundle(tmp_path, capsys):
    assert cli_main(["plan", str(tmp_path / "nothing")]) == 2
    assert "not a complete kamtools bundle" in capsys.readouterr().err


def test_notebook_is_committed_clean_with_a_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and 'bundle = ""' in params[0].source
    assert "KAMTOOLS_BUNDLE" in "".join(c.source for c in code)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_on_a_bundle(planner_bundle, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("KAMTOOLS_BUNDLE", str(planner_bundle.path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    last = nb.cells[-1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in last)


# ---------------------------------------------------------------------------------------
# the web app in a real browser
# ---------------------------------------------------------------------------------------
@pytest.fixture
def planner_app(planner_bundle, tmp_path):
    """``kamtools plan`` on a free port; yields (url with its token, bundle); always stopped afterwards."""
    planner = start_planner(str(planner_bundle.path), "--scenarios", str(tmp_path / "scenarios"))
    try:
        yield planner.url, planner_bundle
    finally:
        planner.stop()


@pytest.fixture
def browser(chromium):
    from selenium import webdriver

    binary, driver_path = chromium
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1100",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    drv.set_page_load_timeout(STARTUP_TIMEOUT)
    drv.set_script_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


# Arms a measurement: the key press is timed in the page (capture listener on the slider
# handle) and the update when the projected revenue element changes (MutationObserver).
ARM = """
const handle = document.querySelector(arguments[0]);
const head = document.querySelector('.kam-headline');
const before = document.querySelector('.kam-projected-revenue').dataset.value;
window.__kam = {t0: null, t1: null, before: before, after: null};
handle.addEventListener('keydown', () => { if (window.__kam.t0 === null) window.__kam.t0 = performance.now(); },
                        {capture: true, once: true});
const obs = new MutationObserver(() => {
  const el = document.querySelector('.kam-projected-revenue');
  if (el && el.dataset.value !== before && window.__kam.t1 === null) {
    window.__kam.t1 = performance.now(); window.__kam.after = el.dataset.value; obs.disconnect();
  }
});
obs.observe(head, {subtree: true, childList: true, characterData: true, attributes: true});
"""
VOLUME = ".kam-lever-volume-change .noUi-handle"
PRICE = ".kam-lever-price-change .noUi-handle"


def _value(drv, css: str) -> float:
    """``data-value`` of the element, read in one script call (the widget may replace it at any moment)."""
    v = drv.execute_script("const e = document.querySelector(arguments[0]); return e ? e.dataset.value : null;", css)
    return float("nan") if v is None else float(v)


@pytest.mark.browser
def test_planner_in_the_browser_follows_the_sliders(planner_app, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, bundle = planner_app
    browser.get(url)
    WebDriverWait(browser, STARTUP_TIMEOUT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kam-projected-revenue"))

    # pick the second-largest account
    picker = Select(browser.find_element(By.CSS_SELECTOR, ".kam-scope select"))
    accounts = [o.text for o in picker.options if o.text[:1] == "A" and " " in o.text]
    choice = accounts[1]
    account_id = choice.split(" ", 1)[0]
    picker.select_by_visible_text(choice)
    WebDriverWait(browser, 60).until(
        lambda d: account_id in d.execute_script("return document.querySelector('.kam-headline').innerText")
    )
    scope = f"account:{account_id}"
    base = sc.baseline(bundle, scope)

    def expected(**levers) -> sc.ScenarioResult:
        return sc.evaluate(base, sc.Scenario(scope=scope, **levers))

    WebDriverWait(browser, 30).until(
        lambda d: abs(_value(d, ".kam-projected-revenue") - expected().kpi("revenue_12m")) < 0.01
    )

    # move the volume slider step by step: each update is timed and checked against the engine
    handle = browser.find_element(By.CSS_SELECTOR, VOLUME)
    latencies = []
    for _ in range(6):
        browser.execute_script(ARM, VOLUME)
        handle.send_keys(Keys.ARROW_RIGHT)
        WebDriverWait(browser, 15, poll_frequency=0.05).until(lambda d: d.execute_script("return window.__kam.t1"))
        probe = browser.execute_script("return window.__kam")
        latencies.append(probe["t1"] - probe["t0"])
        volume = float(handle.get_attribute("aria-valuenow"))
        want = expected(volume_change=volume).kpi("revenue_12m")
        assert float(probe["after"]) == pytest.approx(want, abs=0.01)
        assert float(probe["after"]) > float(probe["before"])  # more volume, more revenue
        time.sleep(0.3)  # let the debounce window pass: every press is a fresh change
    assert volume == pytest.approx(3.0)

    # a price rise with the account's elasticities: the KPI table's gross margin follows the engine
    price_handle = browser.find_element(By.CSS_SELECTOR, PRICE)
    for _ in range(4):
        price_handle.send_keys(Keys.ARROW_RIGHT)
    price = float(price_handle.get_attribute("aria-valuenow"))
    assert price == pytest.approx(2.0)
    want = expected(volume_change=volume, price_change=price)
    gm_cell = "tr[data-metric='gross_margin_12m'] td.kam-value"
    WebDriverWait(browser, 15, poll_frequency=0.05).until(
        lambda d: abs(_value(d, gm_cell) - want.kpi("gross_margin_12m")) <= 1e-5 * abs(want.kpi("gross_margin_12m"))
    )
    assert _value(browser, ".kam-projected-revenue") == pytest.approx(want.kpi("revenue_12m"), abs=0.01)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "planner_browser.png"
    browser.save_screenshot(str(shot))
    median = statistics.median(latencies)
    figures = {
        "lever_to_update_ms": [round(x, 1) for x in latencies],
        "median_ms": round(median, 1),
        "max_ms": round(max(latencies), 1),
        "aim_ms": 300,
        "account": account_id,
    }
    (ARTIFACTS / "planner_browser_latency.json").write_text(json.dumps(figures, indent=2))
    print(
        f"\nscreenshot: {shot}\nbrowser lever -> update latency: median {median:.0f} ms, all {figures['lever_to_update_ms']}"
    )

    # Voila's page template links Font Awesome from a CDN; offline that is the only allowed error
    severe = [
        e
        for e in browser.get_log("browser")
        if e["level"] == "SEVERE" and not ("cdn.jsdelivr.net" in e["message"] and e.get("source") == "network")
    ]
    assert severe == []
    assert median < LATENCY_BOUND_MS
