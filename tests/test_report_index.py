"""The report index page: KAM column, filters, totals of the rows shown, health and churn filled or explained.

The page is written from a small hand-made summary table (no analysis run), so each case
takes a fraction of a second; one case drives the filters in headless Chromium.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from report_helpers import headless_chrome, index_ids_shown, index_totals_shown

from kamtools.formatting import money
from kamtools.reports.index import write_index

HOSTILE_KAM = '<img src=x onerror=alert("kam")>'
QUOTED_KAM = 'O\'Brien "the closer" & <b>co</b>'


@dataclass
class FakeBundle:
    """What the index reads of a bundle: the summary rows and the manifest."""

    accounts: pd.DataFrame
    manifest: dict
    path: Path = Path(".")


def summary(**drop) -> pd.DataFrame:
    rows = [
        # id, name, owner, tier, health, health band, churn, risk band, revenue, forecast, at risk
        ("A1", "Alpha AG", "B. Berg", 1, 71.4, "green", 0.04, "low", 1_250_000.0, 1_310_000.0, 40_000.0),
        ("A2", "Beta BV", HOSTILE_KAM, 2, 38.0, "red", 0.41, "high", 310_500.0, 250_000.0, 102_500.0),
        ("A3", "Gamma SA", "B. Berg", 2, 55.5, "amber", 0.15, "medium", 98_760.0, 101_000.0, 15_000.0),
        ("A4", "Delta Oy", None, 3, None, None, None, None, 0.0, 0.0, None),
        ("A5", "Epsilon Ltd", QUOTED_KAM, 1, 62.0, "green", 0.97, "lapsed", 45_000.0, 0.0, 43_650.0),
        ("A6", "Zeta AB", "a. Aalto", 3, 44.0, "amber", 0.09, "low", 12_345.0, 15_000.0, 1_100.0),
    ]
    cols = ["account_id", "name", "owner", "tier", "health_score", "health_band", "churn_probability", "risk_band"]
    cols += ["revenue_ltm", "forecast_next_12m", "revenue_at_risk"]
    df = pd.DataFrame(rows, columns=cols)
    return df.drop(columns=[c for c in drop.get("columns", [])])


def manifest(**extra) -> dict:
    return {"as_of": "2026-10-31", "skipped": {}, **extra}


def page_of(tmp_path, accounts: pd.DataFrame, **extra) -> str:
    return write_index(FakeBundle(accounts, manifest(**extra)), tmp_path).read_text(encoding="utf-8")


def totals_table(page: str) -> dict[str, list[str]]:
    data = re.search(r'id="kam-totals" data-totals="([^"]*)"', page).group(1)
    return json.loads(html.unescape(data))


def options(page: str, key: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select data-filter="{key}">(.*?)</select>', page, flags=re.S).group(1)
    return [(v, html.unescape(t)) for v, t in re.findall(r'<option value="([^"]*)">([^<]*)</option>', select)]


def body_rows(page: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], flags=re.S)


def test_hostile_kam_names_are_escaped_text(tmp_path):
    page = page_of(tmp_path, summary())
    for kam in (HOSTILE_KAM, QUOTED_KAM):
        assert kam not in page
        assert f">{html.escape(kam, quote=True)}</td>" in page  # the KAM cell
        assert f">{html.escape(kam)}</option>" in page  # the filter's option
    assert "<img" not in page and "<b>co" not in page
    assert page.count("<script") == 1  # the page's own script, allowed by its hash in the CSP
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", page)


def test_kam_column_and_filters_with_their_options(tmp_path):
    page = page_of(tmp_path, summary())
    heads = re.findall(r"<th [^>]*>([^<]*)</th>", page)
    assert heads[:4] == ["Account", "Id", "KAM", "Tier"]
    assert "Health" in heads and "Churn risk" in heads and "Forecast, next 12 months" in heads
    assert "Revenue at risk" in heads
    # KAMs alphabetically (case aside: '<' sorts first), accounts without an owner last
    assert options(page, "kam") == [
        ("", "All KAMs"),
        ("0", HOSTILE_KAM),
        ("1", "a. Aalto"),
        ("2", "B. Berg"),
        ("3", QUOTED_KAM),
        ("4", "no KAM on file"),
    ]
    assert options(page, "tier") == [("", "All tiers"), ("0", "Tier 1"), ("1", "Tier 2"), ("2", "Tier 3")]
    # risk bands most urgent first, unscored accounts last
    assert options(page, "band") == [
        ("", "All risk bands"),
        ("0", "high"),
        ("1", "medium"),
        ("2", "low"),
        ("3", "lapsed"),
        ("4", "not scored"),
    ]
    # each row carries the option it matches in the column the filter reads
    rows = {re.search(r"<td>(A\d)</td>", r).group(1): r for r in body_rows(page)}
    assert re.findall(r'data-f="(\d)"', rows["A1"]) == ["2", "0", "2"]
    assert re.findall(r'data-f="(\d)"', rows["A4"]) == ["4", "2", "4"]


def test_rows_largest_revenue_first_with_health_and_churn_filled_or_marked(tmp_path):
    page = page_of(tmp_path, summary())
    rows = body_rows(page)
    assert [re.search(r"<td>(A\d)</td>", r).group(1) for r in rows] == ["A1", "A2", "A3", "A5", "A6", "A4"]
    a2 = rows[1]
    assert ">38 (red)</td>" in a2 and ">41% (high)</td>" in a2
    assert f">{money(310_500)}</td>" in a2 and f">{money(250_000)}</td>" in a2 and f">{money(102_500)}</td>" in a2
    a4 = rows[-1]
    assert a4.count(">not scored</td>") == 2  # health and churn: said, not left empty
    assert "1 account has no health score" in page and "1 account has no churn probability" in page


def test_totals_equal_the_sums_of_the_bundle_columns(tmp_path):
    acc = summary()
    page = page_of(tmp_path, acc)
    table = totals_table(page)

    def line(rows: pd.DataFrame, everyone: bool = False) -> list[str]:
        shown = "6 accounts" if everyone else f"{len(rows)} of 6 accounts"
        return [shown] + [
            money(rows[c].fillna(0).sum()) for c in ("revenue_ltm", "forecast_next_12m", "revenue_at_risk")
        ]

    assert table["||"] == line(acc, everyone=True)
    # the line first shown on the page is the whole portfolio's
    shown = re.findall(r'<strong data-total="\d">([^<]*)</strong>', page)
    assert shown == line(acc, everyone=True)
    berg = acc[acc["owner"] == "B. Berg"]
    assert table["2||"] == line(berg)
    assert table["2|1|"] == line(berg[berg["tier"] == 2])
    assert table["||2"] == line(acc[acc["risk_band"] == "low"])
    assert table["|2|2"] == line(acc[(acc["tier"] == 3) & (acc["risk_band"] == "low")])
    assert table["4||"] == line(acc[acc["owner"].isna()])
    assert table["none"] == ["0 of 6 accounts", "0", "0", "0"]
    assert "1|0|" not in table  # a combination no account has: the page shows the "none" line


def test_totals_use_the_bundle_currency(tmp_path):
    table = totals_table(page_of(tmp_path, summary(), settings={"currency": "EUR"}))
    assert table["||"][1] == money(summary()["revenue_ltm"].sum(), "EUR") == "€1.72M"


def test_a_bundle_without_health_and_churn_says_why_instead_of_empty_cells(tmp_path):
    acc = summary(
        columns=[
            "health_score",
            "health_band",
            "churn_probability",
            "risk_band",
            "revenue_at_risk",
            "forecast_next_12m",
        ]
    )
    page = page_of(tmp_path, acc, skipped={"churn": "The churn model needs 12 months of order history; there are 7."})
    heads = re.findall(r"<th [^>]*>([^<]*)</th>", page)
    assert "Health" not in heads and "Churn risk" not in heads and "Revenue at risk" not in heads
    assert "Churn risk and revenue at risk not shown: The churn model needs 12 months of order history" in page
    assert (
        "Health not shown: the KPI and health analysis was not run for this bundle (kamtools analyze runs it)." in page
    )
    assert "Forecast not shown: the forecast analysis was not run for this bundle" in page
    assert 'data-filter="band"' not in page  # no risk band filter without risk bands
    assert totals_table(page)["||"] == ["6 accounts", money(acc["revenue_ltm"].sum())]
    assert all(r.count("<td") == 6 for r in body_rows(page))  # account, id, KAM, tier, revenue, report


@pytest.mark.browser
def test_filters_hide_rows_and_update_the_totals_in_the_browser(chromium, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    acc = summary()
    path = write_index(FakeBundle(acc, manifest()), tmp_path)
    drv = headless_chrome(chromium)
    try:
        drv.get(path.as_uri())

        def shown_ids() -> list[str]:
            return index_ids_shown(drv)

        def totals() -> list[str]:
            return index_totals_shown(drv)

        assert shown_ids() == ["A1", "A2", "A3", "A5", "A6", "A4"]
        Select(drv.find_element(By.CSS_SELECTOR, 'select[data-filter="kam"]')).select_by_visible_text("B. Berg")
        assert shown_ids() == ["A1", "A3"]
        berg = acc[acc["owner"] == "B. Berg"]
        assert totals() == [
            "2 of 6 accounts",
            *(money(berg[c].sum()) for c in ("revenue_ltm", "forecast_next_12m", "revenue_at_risk")),
        ]
        Select(drv.find_element(By.CSS_SELECTOR, 'select[data-filter="band"]')).select_by_visible_text("high")
        assert shown_ids() == [] and drv.find_element(By.ID, "kam-none").is_displayed()
        assert totals() == ["0 of 6 accounts", "0", "0", "0"]
        Select(drv.find_element(By.CSS_SELECTOR, 'select[data-filter="kam"]')).select_by_index(0)
        assert shown_ids() == ["A2"]
        # the hostile KAM's name is shown as text in its row, not run
        assert HOSTILE_KAM in drv.find_element(By.CSS_SELECTOR, "#accounts tbody tr:not([hidden])").text
        assert [e for e in drv.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        drv.quit()


def test_subtitle_counts_reports_in_words_and_the_report_cell_links_the_report(tmp_path):
    from kamtools.reports.state import account_paths

    paths = account_paths(tmp_path, "A1")
    paths.html.parent.mkdir(parents=True, exist_ok=True)
    paths.html.write_text("<p>report</p>")
    paths.state.parent.mkdir(parents=True, exist_ok=True)
    paths.state.write_text(json.dumps({"status": "ok"}))
    page = page_of(tmp_path, summary())
    assert "6 accounts · data as of 2026-10-31 · reports: 1 ready, 5 not rendered" in page
    row = next(r for r in body_rows(page) if "<td>A1</td>" in r)
    assert f'<span class="kam-status ok"><a href="{paths.href}">report</a></span>' in row
