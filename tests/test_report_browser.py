"""A report and the index in headless Chromium: no console errors, names shown as text, sorting works."""

from __future__ import annotations

import pytest
from report_helpers import EVIL_NAME, warm_run

from kamtools.reports import account_paths

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(chromium):
    from selenium import webdriver

    binary, driver_path = chromium
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def severe(drv) -> list[dict]:
    return [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def no_alert(drv) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        drv.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


def test_report_renders_without_errors_and_shows_the_name_as_text(browser):
    from selenium.webdriver.common.by import By

    _, out = warm_run()
    browser.get(account_paths(out, "A0003").html.as_uri())
    assert browser.title == EVIL_NAME
    assert browser.find_element(By.CSS_SELECTOR, "h1.kam-h1").text == EVIL_NAME
    assert no_alert(browser)
    assert severe(browser) == []
    assert len(browser.find_elements(By.CSS_SELECTOR, "span.kam-anchor")) >= 9
    overview = out / "portfolio_overview.html"
    browser.get(overview.as_uri())
    assert browser.find_element(By.CSS_SELECTOR, "h1.kam-h1").text == "Portfolio overview"
    assert severe(browser) == []


def test_index_sorts_on_click_without_errors(browser):
    from selenium.webdriver.common.by import By

    _, out = warm_run()
    browser.get((out / "index.html").as_uri())
    assert no_alert(browser)

    def column(i: int) -> list[str]:
        return [
            r.find_elements(By.TAG_NAME, "td")[i].get_attribute("data-sort")
            for r in browser.find_elements(By.CSS_SELECTOR, "#accounts tbody tr")
        ]

    heads = browser.find_elements(By.CSS_SELECTOR, "#accounts thead th")
    revenue_col = [h.text for h in heads].index("Revenue, last 12 months")
    heads[revenue_col].click()
    asc = [float(v) for v in column(revenue_col) if v]
    assert asc == sorted(asc) and len(asc) == 12
    heads[revenue_col].click()
    desc = [float(v) for v in column(revenue_col) if v]
    assert desc == sorted(desc, reverse=True)
    heads[0].click()
    names = [
        r.find_elements(By.TAG_NAME, "td")[0].text for r in browser.find_elements(By.CSS_SELECTOR, "#accounts tbody tr")
    ]
    assert EVIL_NAME in names  # the script-tag name is plain text in the table
    assert severe(browser) == []
