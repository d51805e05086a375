"""Benchmark: scenario planner responsiveness (engine, widget, and optionally the browser).

Generates ``make_portfolio(n_accounts, years=4, seed=7)`` and analyses it into a
temporary bundle (value, segment, whitespace, kpis and scenario stages; not timed except
the scenario stage, whose time is read from the manifest), then times

* ``scenario.baseline`` per scope (largest account, a tier, the whole portfolio): the
  work done once when a scope is picked;
* ``scenario.evaluate`` on a precomputed baseline: what every lever change costs;
* ``ScenarioPlanner`` lever changes (debounce off): evaluate + KPI tables (what the
  user waits for) and the chart redraw that follows;
* with ``--browser``: ``kamtools plan`` in headless Chromium, key press on the volume
  slider -> projected revenue updated on the page (median of 10 presses).

Wall times and CPU times are printed with the load average, because the machine may be
shared. ``--stage-scale N`` also times the scenario stage alone on N accounts.
Run: ``.venv/bin/python benchmarks/bench_planner.py [--accounts N] [--browser] [--stage-scale N]``.
Budget: a lever change well under a second in Python; the aim in the browser is 300 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int):
    """(median wall ms, median CPU ms, last result) over ``repeat`` calls."""
    wall, cpu, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
    return statistics.median(wall), statistics.median(cpu), out


def build(n_accounts: int, folder: Path):
    from kamtools import bundle as kb
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=n_accounts, years=4, seed=7)
    stages = list(kb.STAGES)
    if not any(name == "scenario" for name, _ in stages):  # until bundle.STAGES lists the scenario stage
        stages.append(("scenario", "kamtools.scenario"))
    with mock.patch.object(kb, "STAGES", stages):
        return portfolio, kb.analyze(
            portfolio, folder / "bundle", stages=["value", "segment", "whitespace", "kpis", "scenario"], progress=False
        )


def engine(bundle) -> None:
    from kamtools import scenario as sc
    from kamtools.bundle import Bundle

    acc = bundle.accounts.sort_values("revenue_ltm", ascending=False)
    tier = str(acc["tier"].dropna().astype(str).iloc[0])
    rng = np.random.default_rng(0)
    for scope in (f"account:{acc['account_id'].iloc[0]}", f"tier:{tier}", "portfolio"):
        fresh = Bundle.open(bundle.path)  # cold: reads the Parquet tables
        t = time.perf_counter()
        base = sc.baseline(fresh, scope)
        cold = (time.perf_counter() - t) * 1e3
        warm, _, base = timed(lambda s=scope, f=fresh: sc.baseline(f, s), 5)
        levers = [
            sc.Scenario(
                scope=scope,
                price_change=float(rng.uniform(-10, 10)),
                volume_change=float(rng.uniform(-10, 10)),
                churn_reduction=float(rng.uniform(0, 100)),
                whitespace_capture=float(rng.uniform(0, 100)),
                promotion_spend=float(rng.uniform(0, 1e5)),
                payment_terms_days=float(rng.uniform(15, 90)),
            )
            for _ in range(200)
        ]
        it = iter(levers * 2)
        w, c, _ = timed(lambda b=base, i=it: sc.evaluate(b, next(i)), 200)
        print(
            f"  {scope:<16} {base.n_accounts:>5} accounts, {len(base.categories):>2} categories x {len(base.months)} months:"
            f" baseline {cold:7.1f} ms cold / {warm:6.1f} ms warm; evaluate {w:5.2f} ms (CPU {c:5.2f} ms)"
        )


def planner(bundle) -> None:
    from kamtools.widgets import ScenarioPlanner

    t = time.perf_counter()
    p = ScenarioPlanner(bundle, debounce=0)
    print(f"  planner start (largest account, first drawing): {(time.perf_counter() - t) * 1e3:.0f} ms")
    t = time.perf_counter()
    p.set_scope("portfolio")
    print(f"  switch scope to the portfolio (baseline + drawing): {(time.perf_counter() - t) * 1e3:.0f} ms")
    p.set_scope(p._default_scope())
    n0 = len(p.timings)
    for v in np.linspace(-10, 10, 41):
        p.levers["price_change"].value = float(v)
    tm = p.timings[n0:]
    tables = [t["evaluate_ms"] + t["kpis_ms"] for t in tm]
    chart = [t["chart_ms"] for t in tm]
    total = [t["total_ms"] for t in tm]
    print(
        f"  lever change ({len(tm)} moves): tables updated after {statistics.median(tables):.1f} ms median "
        f"(max {max(tables):.1f}); chart {statistics.median(chart):.0f} ms; whole update {statistics.median(total):.0f} ms"
    )


ARM = """
const handle = document.querySelector(arguments[0]);
const before = document.querySelector('.kam-projected-revenue').dataset.value;
window.__kam = {t0: null, t1: null};
handle.addEventListener('keydown', () => { if (window.__kam.t0 === null) window.__kam.t0 = performance.now(); },
                        {capture: true, once: true});
const obs = new MutationObserver(() => {
  const el = document.querySelector('.kam-projected-revenue');
  if (el && el.dataset.value !== before && window.__kam.t1 === null) { window.__kam.t1 = performance.now(); obs.disconnect(); }
});
obs.observe(document.querySelector('.kam-headline'), {subtree: true, childList: true, characterData: true, attributes: true});
"""


def browser(bundle, presses: int = 10) -> None:
    import shutil

    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from kamtools.cli.plan import free_port

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        print("  browser: skipped (chromium/chromedriver not installed)")
        return
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kamtools", "plan", str(bundle.path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    drv = None
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        for line in proc.stdout:
            if url in line and "scenario planner" in line:
                url = line.split(" at ", 1)[1].split()[0]  # as printed: with its access token
                break
            if time.monotonic() > deadline:
                break
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for a in (
            "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
            "--disable-sync --no-first-run --window-size=1400,1000"
        ).split():
            opts.add_argument(a)
        drv = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=driver))
        drv.set_page_load_timeout(180)
        t = time.perf_counter()
        drv.get(url)
        WebDriverWait(drv, 180).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kam-projected-revenue"))
        print(f"  page load to first drawing: {time.perf_counter() - t:.1f} s")
        css = ".kam-lever-volume-change .noUi-handle"
        handle = drv.find_element(By.CSS_SELECTOR, css)
        lat = []
        for _ in range(presses):
            drv.execute_script(ARM, css)
            handle.send_keys(Keys.ARROW_RIGHT)
            WebDriverWait(drv, 15, poll_frequency=0.02).until(lambda d: d.execute_script("return window.__kam.t1"))
            k = drv.execute_script("return window.__kam")
            lat.append(k["t1"] - k["t0"])
            time.sleep(0.3)
        print(
            f"  key press -> projected revenue updated: median {statistics.median(lat):.0f} ms, "
            f"max {max(lat):.0f} ms over {presses} presses (aim < 300 ms)"
        )
    finally:
        if drv is not None:
            drv.quit()
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


def stage_at_scale(n_accounts: int) -> None:
    """Time the scenario stage alone (price/volume table, pooled and per-account elasticities, terms)."""
    import pandas as pd
    import statsmodels.api  # noqa: F401 - imported once, outside the timing

    from kamtools import scenario as sc
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=n_accounts, years=4, seed=7)
    portfolio.order_lines  # noqa: B018 - the shared view is built by earlier stages in analyze
    ids = portfolio.accounts["account_id"]
    segments = pd.DataFrame({"account_id": ids, "tier": (["1", "2", "3"] * n_accounts)[: len(ids)]})
    t, c = time.perf_counter(), time.process_time()
    out = sc.bundle_tables(portfolio, {"segments": segments})
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    el = out["scenario_elasticity"]
    print(
        f"  scenario.bundle_tables for {n_accounts:,} accounts ({len(portfolio.orders):,} order lines): "
        f"{wall:.1f} s (CPU {cpu:.1f} s); {len(el):,} account x category elasticities, "
        f"{int(el['usable'].sum()):,} estimated from own history"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=300, help="accounts in the generated portfolio (300)")
    ap.add_argument("--browser", action="store_true", help="also measure in headless Chromium via kamtools plan")
    ap.add_argument("--stage-scale", type=int, metavar="N", help="also time the scenario stage alone on N accounts")
    args = ap.parse_args()
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        portfolio, bundle = build(args.accounts, Path(tmp))
        print(
            f"bundle of {portfolio} in {time.perf_counter() - t:.1f} s; "
            f"scenario stage {bundle.manifest['timings_seconds']['scenario']:.2f} s "
            f"({bundle.manifest['tables']['scenario_price_volume']['rows']:,} account x category x month rows)"
        )
        print("engine:")
        engine(bundle)
        print("widget (Python, debounce off):")
        planner(bundle)
        if args.browser:
            print("browser:")
            browser(bundle)
    if args.stage_scale:
        print("scenario stage at scale:")
        stage_at_scale(args.stage_scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
