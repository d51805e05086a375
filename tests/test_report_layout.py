"""The account report as a quarterly-business-review document.

Page one shows the numbers that matter (money in the bundle's currency) and the plan's first
actions with their value at stake; the model diagnostics come last, in the appendix; the
contents list only the sections the report shows. The browser test opens rendered reports in
headless Chromium, on screen and as printed, and checks with JavaScript that no card, table
cell or heading text runs out of its box and that no image is wider than the page.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from report_helpers import NOTEBOOKS, evil_bundle, warm_run

from kamtools import formatting, sections
from kamtools.bundle import Bundle
from kamtools.reports import account_paths

ACCOUNT = "A0005"  # an ordinary account of the evil test portfolio (its neighbours carry hostile ids)

# What the browser test runs on the page: every element whose text runs out of its box, and
# every image wider than the page, as one line each.
OVERFLOW_JS = """
const problems = [];
const page = document.documentElement.clientWidth;
const label = el => el.tagName + '.' + (el.className || '') + ': ' + (el.textContent || el.alt || '').trim().slice(0, 60);
const boxes = document.querySelectorAll(
  '.kam-card, .kam-card .v, .kam-card .l, table.kam-table th, table.kam-table td, h1, h2, h3, p.kam-p, .kam-sub');
for (const el of boxes) {
  if (el.scrollWidth > el.clientWidth + 1) problems.push('text wider than its box: ' + label(el));
  if (el.getBoundingClientRect().right > page + 1) problems.push('beyond the page: ' + label(el));
}
for (const card of document.querySelectorAll('.kam-card')) {
  const outer = card.getBoundingClientRect();
  for (const child of card.children) {
    const r = child.getBoundingClientRect();
    if (r.right > outer.right + 1 || r.left < outer.left - 1) problems.push('outside its card: ' + label(child));
  }
}
for (const img of document.images) {
  const r = img.getBoundingClientRect();
  if (r.right > page + 1) problems.push('image wider than the page: ' + label(img));
}
return problems;
"""


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def _with_currency(tmp_path: Path, code: str) -> Bundle:
    """A copy of the evil bundle whose manifest carries ``settings: {currency: code}``."""
    folder = tmp_path / "bundle"
    shutil.copytree(evil_bundle(), folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["settings"] = {**manifest.get("settings", {}), "currency": code}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return Bundle.open(folder)


def test_currency_of_reads_the_manifest_setting():
    assert formatting.currency_of({"settings": {"currency": " eur "}}) == "EUR"
    assert formatting.currency_of({"settings": {}}) is None
    assert formatting.currency_of({}) is None
    assert formatting.currency_of(type("B", (), {"manifest": {"settings": {"currency": "CHF"}}})()) == "CHF"


@pytest.mark.slow
def test_page_one_shows_the_numbers_and_the_actions_with_value_at_stake_in_the_currency(tmp_path, captured):
    bundle = _with_currency(tmp_path, "EUR")
    acct = bundle.account(ACCOUNT)
    actions = acct.table("plan_actions")
    assert len(actions), "the test account needs plan actions"
    sections.account("summary", acct)
    page = _text("".join(captured))
    for label in ("Revenue, last 12 months", "Forecast revenue, next 12 months", "Health"):
        assert label in page
    # the churn card says what the churn stage gave: a probability ("Churn risk") or a score it could not check
    assert ("Churn risk" in page) != ("Churn score (not a probability)" in page)
    assert formatting.money(acct.info["revenue_ltm"], "EUR") in page and "€" in page
    assert "What we do next" in page and "Value at stake" in page
    first = actions.sort_values("order").iloc[0]
    assert str(first["action"]) in page
    if pd_present(first["value_at_stake"]):
        assert formatting.money(first["value_at_stake"], "EUR") in page
    assert formatting.date(first["due_date"]) in page
    shown = min(len(actions), 5)
    assert page.count(" high ") + page.count(" medium ") + page.count(" low ") >= shown  # one priority per action
    assert "Since the last review" not in page  # no earlier bundle given: no "what changed"


def pd_present(value) -> bool:
    return not formatting.is_missing(value)


def test_contents_list_only_shown_sections_and_the_appendix_comes_last(captured):
    keys = [s.key for s in sections.shown_account_sections()]
    assert keys[0] == "summary" and keys[-1] == "appendix" and "since" not in keys
    assert [s.key for s in sections.shown_account_sections("prev/bundle")][1] == "since"
    nb = nbformat.read(NOTEBOOKS / "account_report.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[-1].strip() == 'sections.account("appendix", acct)'
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    bundle = Bundle.open(evil_bundle())
    sections.account_header(bundle.account(ACCOUNT))
    nav = next(m for m in captured if m.startswith('<nav class="kam-toc"'))
    links = re.findall(r'href="#sec-([a-z_]+)"', nav)
    assert links == keys


@pytest.mark.slow
def test_rendered_report_puts_page_one_first_and_the_appendix_last():
    _, out = warm_run()
    page = account_paths(out, ACCOUNT).html.read_text(encoding="utf-8")
    anchors = re.findall(r'<span class="kam-anchor"[^>]*\bid="sec-([a-z_]+)"', page)
    assert anchors == [s.key for s in sections.shown_account_sections()]
    summary = page[page.index('id="sec-summary"') : page.index(f'id="sec-{anchors[1]}"')]
    assert "What we do next" in summary and "Value at stake" in summary
    appendix = _text(page[page.index('id="sec-appendix"') :])
    assert sections.APPENDIX_TITLE in appendix and "backtest" in appendix.lower()
    forecast = page[page.index('id="sec-forecast"') : page.index('id="sec-segment"')]
    assert "MASE" not in forecast  # the backtest figures moved to the appendix
    assert "@media print" in page


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
        "--disable-dev-shm-usage",
        "--window-size=1300,1000",
    ):
        options.add_argument(arg)
    drv = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("account_id", [ACCOUNT, "A0003"])  # A0003's name is a script tag: long, odd text
def test_no_text_overflows_its_box_on_screen_or_in_print(browser, account_id):
    _, out = warm_run()
    browser.get(account_paths(out, account_id).html.as_uri())
    assert browser.execute_script(OVERFLOW_JS) == []
    # as printed on A4: the page is about 710 CSS pixels wide between the margins
    browser.set_window_size(725, 1000)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.execute_script("return document.documentElement.clientWidth") <= 725
        assert browser.execute_script(OVERFLOW_JS) == []
        appendix_breaks = browser.execute_script(
            "const a = document.querySelector('.kam-anchor[data-section=appendix]');"
            "return a ? getComputedStyle(a).breakBefore : '';"
        )
        # the appendix runs on after the last section: a forced page break left a mostly empty page
        assert appendix_breaks == "auto"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
