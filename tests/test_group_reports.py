"""Group reports (global account plans), the index's hierarchy and the overview's global accounts.

The index cases use a small hand-made summary table (no analysis). The rendering cases share one
analysed bundle of a small portfolio with a two-level group (top group -> region -> units, plus a
unit directly under the top), whose top group has a hostile id and name; the portfolio without
parents is a small demo portfolio made with groups=0.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest
from report_helpers import headless_chrome, index_ids_shown, index_totals_shown, report_html, tmp_dir
from test_report_index import FakeBundle, body_rows, manifest, options, summary, totals_table

from kamtools.formatting import currency_of, money
from kamtools.reports.index import write_index
from kamtools.reports.state import account_paths, group_paths, report_stem

TOP = "../G1"  # a path-traversal id for the top group
TOP_NAME = '<script>alert("g")</script> ../x & Co'
REGION = "R1"
REGION_NAME = "Acme Europe"
UNITS = {"A0001": REGION, "A0002": REGION, "A0003": TOP, REGION: TOP}


# ---- the index from a hand-made summary ---------------------------------------------------------


def grouped_summary() -> pd.DataFrame:
    acc = summary()
    extra = pd.DataFrame(
        [
            {"account_id": "G1", "name": TOP_NAME, "revenue_ltm": 0.0, "forecast_next_12m": 0.0},
            {"account_id": "R1", "name": REGION_NAME, "revenue_ltm": 5_000.0, "forecast_next_12m": 4_000.0},
        ]
    )
    acc = pd.concat([acc, extra], ignore_index=True)
    acc["parent_account_id"] = acc["account_id"].map({"A1": "R1", "A2": "R1", "A3": "G1", "R1": "G1"})
    return acc


def test_index_totals_count_each_account_once_and_filter_by_group(tmp_path):
    acc = grouped_summary()
    page = write_index(FakeBundle(acc, manifest()), tmp_path).read_text(encoding="utf-8")
    table = totals_table(page)
    # four filters now (kam|tier|band|group); all accounts: the sum of every account's own revenue. G1 holds the
    # group and has no orders of its own: listed, not counted (kamtools.groups.customers; the overview agrees)
    assert table["|||"] == [f"{len(acc) - 1} accounts", money(acc["revenue_ltm"].sum())] + table["|||"][2:]
    assert money(acc["revenue_ltm"].sum()) == money(1_250_000 + 310_500 + 98_760 + 45_000 + 12_345 + 5_000)
    groups = options(page, "group")
    assert groups[0] == ("", "All groups and stand-alone accounts")
    assert [label for _, label in groups[1:]] == [TOP_NAME, "stand-alone accounts"]
    # the group's own line: its units and the region, each with its own revenue, counted once
    in_group = acc["account_id"].isin(["G1", "R1", "A1", "A2", "A3"])
    assert table["|||0"][:2] == ["4 of 7 accounts", money(acc.loc[in_group, "revenue_ltm"].sum())]
    assert table["|||1"][:2] == ["3 of 7 accounts", money(acc.loc[~in_group, "revenue_ltm"].sum())]
    # the script reads the key order from the page
    assert 'data-keys="kam,tier,band,group"' in page
    # the global accounts block: the group expandable to its units, the region expandable in turn
    block = page.split('id="kam-groups"')[1].split("</section>")[0]
    assert block.count("<details") == 2 and "Global accounts (1)" in block
    assert "3 units at the lowest level" in block  # A1, A2, A3 (the region is a level in between)
    assert html.escape(REGION_NAME) in block and "Alpha AG" in block
    assert "(its own orders)" in block  # R1 orders itself
    rows = body_rows(page)
    assert len(rows) == len(acc)


def test_index_hostile_group_name_is_inert(tmp_path):
    page = write_index(FakeBundle(grouped_summary(), manifest()), tmp_path).read_text(encoding="utf-8")
    assert '<script>alert("g")' not in page
    assert html.escape(TOP_NAME) in page
    assert page.count("<script") == 1


def test_index_without_parents_has_no_group_column_filter_or_block(tmp_path):
    acc = summary()
    page = write_index(FakeBundle(acc, manifest()), tmp_path).read_text(encoding="utf-8")
    assert 'id="kam-groups"' not in page and 'data-filter="group"' not in page and "Global accounts" not in page
    assert 'data-keys="kam,tier,band"' in page
    assert totals_table(page)["||"][1] == money(acc["revenue_ltm"].sum())


# ---- rendered reports of a grouped bundle -----------------------------------------------------------


@lru_cache(maxsize=1)
def grouped_portfolio():
    from kamtools.data.portfolio import Portfolio
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=3, seed=5)
    tables = {name: df.copy() for name, df in portfolio.tables.items()}
    acc = tables["accounts"]
    parents = acc.iloc[[0, 0]].copy()
    parents["account_id"] = [TOP, REGION]
    parents["name"] = [TOP_NAME, REGION_NAME]
    acc = pd.concat([acc, parents], ignore_index=True)
    acc["parent_account_id"] = acc["account_id"].map(UNITS).astype(object)
    tables["accounts"] = acc
    return Portfolio(tables, portfolio.as_of)


@lru_cache(maxsize=1)
def grouped_run():
    from kamtools.bundle import analyze
    from kamtools.reports import render_reports

    bundle = analyze(grouped_portfolio(), tmp_dir("grouped") / "bundle", progress=False)
    out = tmp_dir("grouped-out")
    summary = render_reports(bundle.path, out, workers=1, mode="warm", progress=False, keep_kernel=True)
    return bundle, summary, out


def _hrefs(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a href="([^"#]+)"', page)]


@pytest.mark.slow
def test_grouped_bundle_renders_a_report_per_parent_with_links_both_ways():
    bundle, summary, out = grouped_run()
    assert summary.exit_code == 0, summary.problems
    kinds = {r["account"]: r["kind"] for r in summary.results}
    assert kinds[f"{TOP} (group report)"] == "group" and kinds[f"{REGION} (group report)"] == "group"
    top = group_paths(out, TOP)
    region = group_paths(out, REGION)
    assert top.html.is_file() and region.html.is_file()
    assert top.html.parent == out / "groups" and top.html.name == f"{report_stem(TOP)}.html"  # never leaves out/
    page = top.html.read_text(encoding="utf-8")
    # every section in order, no code
    positions = [page.index(f'id="sec-{key}"') for key in ("summary", "units", "opportunities", "relationships")]
    positions.append(page.index('id="sec-actions"'))
    assert positions == sorted(positions)
    assert "What stands out" in page and "How the group forecast is made:" in page
    assert "could not be drawn" not in page  # every section drew itself
    assert "sections.group" not in page and "open_group" not in page  # no code
    # group -> every trading unit's report, and -> the region's plan; each link opens an existing file
    links = _hrefs(page)
    for unit in ("A0001", "A0002", "A0003"):
        assert f"../accounts/{report_stem(unit)}.html" in links
    assert f"../groups/{report_stem(REGION)}.html" in links
    for href in links:
        assert (top.html.parent / href).resolve().is_file(), href
    # a unit's report -> its group and region, shown by name; the files exist
    unit_page = report_html(out, "A0001")
    unit_links = _hrefs(unit_page)
    for gid in (TOP, REGION):
        href = f"../groups/{report_stem(gid)}.html"
        assert href in unit_links and (account_paths(out, "A0001").html.parent / href).resolve().is_file()
    assert REGION_NAME in unit_page and "&lt;script&gt;alert(" in unit_page  # named, the hostile name as text
    # a stand-alone account shows no group
    assert "kam-group-line" not in report_html(out, "A0005")
    # the region's plan names the group above it
    assert f"../groups/{report_stem(TOP)}.html" in _hrefs(region.html.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_hostile_group_name_and_id_are_inert_in_every_page():
    _, _, out = grouped_run()
    pages = [group_paths(out, TOP).html, group_paths(out, REGION).html, account_paths(out, "A0001").html]
    pages += [out / "index.html", out / "portfolio_overview.html"]
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert '<script>alert("g")' not in text, path
        assert "<script" not in text or path.name == "index.html"
    assert "&lt;script&gt;alert(" in group_paths(out, TOP).html.read_text(encoding="utf-8")  # shown as text
    # nothing was written outside the output folder
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "accounts",
        "groups",
        "index.html",
        "portfolio_overview.html",
        "run.log",
    ]
    assert not (out.parent / "G1").exists() and not (out / "G1").exists()


@pytest.mark.slow
def test_index_totals_equal_the_sum_of_trading_accounts_and_show_the_group():
    bundle, _, out = grouped_run()
    page = (out / "index.html").read_text(encoding="utf-8")
    total = bundle.accounts["revenue_ltm"].sum()
    assert totals_table(page)["|||"][1] == money(total, currency_of(bundle))
    block = page.split('id="kam-groups"')[1].split("</section>")[0]
    assert f'href="groups/{report_stem(TOP)}.html"' in block and f'href="groups/{report_stem(REGION)}.html"' in block
    assert "Global accounts (1)" in block


@pytest.mark.slow
def test_overview_counts_revenue_once_and_lists_global_accounts():
    bundle, _, out = grouped_run()
    page = (out / "portfolio_overview.html").read_text(encoding="utf-8")
    assert money(bundle.accounts["revenue_ltm"].sum(), currency_of(bundle)) in page
    assert "Global accounts" in page


@lru_cache(maxsize=1)
def flat_run():
    """A small portfolio without parents (the generator's ``groups=0``), analysed and rendered."""
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio
    from kamtools.reports import render_reports

    portfolio, _ = make_portfolio(n_accounts=10, years=2, seed=3, groups=0)
    bundle = analyze(portfolio, tmp_dir("flat") / "bundle", progress=False)
    out = tmp_dir("flat-out")
    summary = render_reports(bundle.path, out, workers=1, mode="warm", progress=False, keep_kernel=True)
    return bundle, summary, out


@pytest.mark.slow
def test_portfolio_without_parents_renders_the_same_files_and_no_group_part():
    bundle, summary, out = flat_run()
    assert summary.exit_code == 0, summary.problems
    ids = bundle.accounts["account_id"].tolist()
    assert "parent_account_id" not in bundle.accounts or bundle.accounts["parent_account_id"].isna().all()
    expected = {"index.html", "portfolio_overview.html", "run.log"}
    expected |= {str(account_paths(out, a).html.relative_to(out)) for a in ids}
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")}
    files = {f for f in files if ".kamtools-state" not in f}
    assert files == expected
    assert not (out / "groups").exists()
    assert not any(r["kind"] == "group" for r in summary.results)
    assert "Global accounts" not in (out / "portfolio_overview.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="kam-groups"' not in index and 'data-filter="group"' not in index
    assert totals_table(index)["||"][1] == money(bundle.accounts["revenue_ltm"].sum(), currency_of(bundle))
    for account_id in ids:
        assert "kam-group-line" not in report_html(out, account_id)


@pytest.mark.slow
def test_group_report_prints_to_pdf_on_few_pages():
    bundle, _, _ = grouped_run()
    from kamtools.reports import render_reports

    out = tmp_dir("grouped-pdf")
    summary = render_reports(
        bundle.path, out, accounts=[TOP], formats=["html", "pdf"], workers=1, progress=False, keep_kernel=True
    )
    assert summary.exit_code == 0, summary.problems
    pdf = group_paths(out, TOP).pdf
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", data)) <= 4  # a few A4 pages
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="groups/{report_stem(TOP)}.pdf"' in index


# ---- the group report's sections from hand-made tables (no analysis) ------------------------------

HOSTILE_CATEGORY = "<img src=x onerror=alert(1)>"
HOSTILE_UNIT = 'Unit "<b>Two</b>" & Sons'


class HandBundle:
    """What the group sections read of a bundle: tables by name, the accounts, the manifest."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = tables
        self.manifest = {"as_of": "2026-10-31", "skipped": {}, "settings": {"currency": "EUR"}}
        self.path = Path(".")
        self.as_of = pd.Timestamp("2026-10-31")

    @property
    def accounts(self) -> pd.DataFrame:
        return self.tables["accounts"]

    def table(self, name: str):
        from kamtools.data.portfolio import NotAvailable

        return self.tables[name] if name in self.tables else NotAvailable(f"The {name} analysis was not run.")

    def has(self, name: str) -> bool:
        return name in self.tables

    def note(self, name: str):
        return None


def hand_bundle(**drop) -> HandBundle:
    accounts = pd.DataFrame(
        {
            "account_id": ["G1", "U1", "U2", "S1"],
            "name": ["Globex Group", "Globex France", HOSTILE_UNIT, "Solo Ltd"],
            "parent_account_id": [None, "G1", "G1", None],
            "country": [None, "FR", "DE", "GB"],
            "revenue_ltm": [0.0, 800_000.0, 200_000.0, 50_000.0],
            "growth_pct": [None, 0.05, -0.3, 0.0],
            "forecast_next_12m": [None, 820_000.0, 150_000.0, 50_000.0],
            "churn_probability": [None, 0.02, 0.6, 0.1],
            "risk_band": [None, "low", "high", "low"],
            "revenue_at_risk": [None, 16_000.0, 120_000.0, 5_000.0],
        }
    )
    rollup = pd.DataFrame(
        [
            {
                "account_id": "G1",
                "group_id": "G1",
                "depth": 0,
                "n_units": 2,
                "revenue_12m": 1_000_000.0,
                "growth": -0.04,
                "margin_pct": 0.3,
                "forecast_12m": 970_000.0,
                "forecast_low": 800_000.0,
                "forecast_high": 1_150_000.0,
                "target": 1_100_000.0,
                "p_reach_target": 0.2,
                "revenue_at_risk": 136_000.0,
                "reconciliation": "bottom-up: the group is the sum of its units",
            }
        ]
    )
    opp = pd.DataFrame(
        {
            "group_id": ["G1"] * 4,
            "account_id": ["U1", "U1", "U2", "U2"],
            "category": ["Feed", HOSTILE_CATEGORY, "Feed", HOSTILE_CATEGORY],
            "buys": [True, True, True, False],
            "unit_revenue_12m": [800_000.0, 800_000.0, 200_000.0, 200_000.0],
            "expected_value": [None, None, None, 42_000.0],
            "n_sisters": [1, 1, 1, 1],
            "n_sisters_buying": [1, 1, 1, 1],
            "p_adopt": [None, None, None, 0.35],
            "reason": [None, None, None, "bought by 1 of 1 sister companies, not by this unit: expected 42k a year"],
        }
    )
    findings = pd.DataFrame(
        {
            "account_id": ["U2"],
            "group_id": ["G1"],
            "kind": ["dm_not_met"],
            "severity": ["high"],
            "evidence": ["Decision maker <i>X</i> was last met 300 days ago."],
        }
    )
    actions = pd.DataFrame(
        {
            "account_id": ["U2", "U1", "S1"],
            "priority": ["high", "medium", "high"],
            "action": ["Win back <script>volume</script>", "Grow feed", "Not in the group"],
            "value_at_stake": [120_000.0, 30_000.0, 9_999.0],
            "owner": ["A. B", "A. B", "C. D"],
            "due_date": pd.to_datetime(["2026-11-20", "2026-12-01", "2026-11-01"]),
        }
    )
    # the forecast stage's year totals: the units' 2026 targets add up to the roll-up's (S1 is not in the group)
    year_totals = pd.DataFrame(
        {
            "account_id": ["U1", "U2", "U1", "S1"],
            "period": [2026, 2026, 2027, 2026],
            "revenue_target": [880_000.0, 220_000.0, 950_000.0, 40_000.0],
            "expected_total": [800_000.0, 150_000.0, 820_000.0, 45_000.0],
        }
    )
    tables = {
        "accounts": accounts,
        "group_rollup": rollup,
        "forecast_targets": year_totals,
        "opportunity_map": opp,
        "coverage_findings": findings,
        "plan_actions": actions,
        "relationship_map": pd.DataFrame(columns=["contact_id", "account_id"]),
    }
    for name in drop.get("tables", ()):
        tables.pop(name)
    return HandBundle(tables)


def shown(monkeypatch, bundle: HandBundle, keys=("summary", "units", "opportunities", "relationships", "actions")):
    """The markup the group sections display (captured; strict: a failing section raises)."""
    from kamtools import display, sections
    from kamtools.sections.group import group, group_view

    out: list[str] = []
    monkeypatch.setattr(display, "_show", lambda markup: out.append(str(markup)) or markup)
    monkeypatch.setattr(sections, "STRICT", True)
    gv = group_view(bundle, "G1")
    for key in keys:
        group(key, gv)
    return "".join(out)


def test_group_sections_from_hand_made_tables(monkeypatch):
    page = shown(monkeypatch, hand_bundle())
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    # summary: roll-up figures with the currency, the method, what stands out
    assert "€1.00M (-4% on the year before)" in text and "€970.0k (80% range €800.0k to €1.15M)" in text
    assert "How the group forecast is made: bottom-up: the group is the sum of its units." in text
    assert "Globex France brings 80% of the group's revenue" in text
    # the year the target is of, not the next 12 months (the demo's Vista Water Group read "The forecast reaches the
    # group's target" beside a 7% chance to reach it: the next 12 months' forecast against the 2025 target)
    assert (
        "Its units with a 2026 target are expected to book €950.0k in 2026 against that target of €1.10M (86%), "
        "€150.0k short; the chance to reach it is 20%." in text
    )
    assert "Chance to reach the 2026 target of €1.10M" in text and "The forecast falls" not in text
    assert "1 relationship coverage finding (1 high); most severe at " in text  # was "1 ... findings"
    assert "88% of the revenue at risk is at " + HOSTILE_UNIT in text
    # units: each unit linked to its report, the stand-alone account not in the group
    assert f'href="../accounts/{report_stem("U1")}.html"' in page and f"../accounts/{report_stem('U2')}" in page
    assert "Solo Ltd" not in text and "Not in the group" not in text
    # opportunity map: the gap with its value, the sentence with the unit and its country
    assert "€42.0k" in text
    assert f"{HOSTILE_UNIT} (DE), {HOSTILE_CATEGORY}: bought by 1 of 1 sister company, not by this unit: " in text
    assert "expected €42.0k a year (35% chance in the next 12 months)" in text
    # actions ranked by value at stake, in money
    assert text.index("Win back <script>volume</script>") < text.index("Grow feed") and "€120.0k" in text
    assert "No contact is recorded at any unit of this group." in text
    # every data string is inert
    for raw in ("<img src=x", "<b>Two</b>", "<script>volume", "<i>X</i>"):
        assert raw not in page


def test_units_without_a_prior_year_leave_the_growth_column_out_and_say_why(monkeypatch):
    """On a history under two years no unit has a growth figure: the column would be empty (the demo cut at 19
    months showed it so), so it is left out and one sentence says why; with a prior year it is there."""
    with_growth = html.unescape(re.sub(r"<[^>]+>", " ", shown(monkeypatch, hand_bundle(), keys=("units",))))
    assert "Growth on the 12 months before" in with_growth and "-30%" in with_growth
    assert "No unit's growth is shown" not in with_growth
    bundle = hand_bundle()
    bundle.tables["accounts"] = bundle.tables["accounts"].assign(growth_pct=None)
    text = html.unescape(re.sub(r"<[^>]+>", " ", shown(monkeypatch, bundle, keys=("units",))))
    assert "Growth on the 12 months before" not in text
    assert "No unit's growth is shown: the order history does not reach back to the 12 months before." in text


def test_group_sections_say_why_when_an_analysis_is_missing(monkeypatch):
    page = shown(monkeypatch, hand_bundle(tables=["group_rollup", "opportunity_map", "coverage_findings"]))
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "The group_rollup analysis was not run." in text
    assert "Revenue of the group's accounts, last 12 months (summed here): €1.00M." in text
    assert "The opportunity_map analysis was not run." in text
    assert "The coverage_findings analysis was not run." in text
    assert "Globex France" in text  # the units table needs only the accounts


def test_unit_report_line_links_to_its_group_and_a_stand_alone_account_shows_none(monkeypatch):
    from kamtools import display
    from kamtools.sections.group import group_line

    bundle = hand_bundle()
    out: list[str] = []
    monkeypatch.setattr(display, "_show", lambda markup: out.append(str(markup)) or markup)

    class Acct:
        def __init__(self, account_id):
            self.bundle, self.account_id = bundle, account_id

    group_line(Acct("U2"))
    assert f'href="../groups/{report_stem("G1")}.html"' in out[-1] and "Globex Group" in out[-1]
    group_line(Acct("G1"))
    assert "heads a group of 2 direct units" in out[-1]
    n = len(out)
    group_line(Acct("S1"))
    assert len(out) == n


def test_group_reports_of_former_parents_are_removed_and_other_files_kept(tmp_path):
    from kamtools.reports.batch import _remove_stale_groups

    (tmp_path / "groups").mkdir()
    (tmp_path / ".kamtools-state").mkdir()
    for gid in ("G1", "G2"):
        stem = report_stem(gid)
        (tmp_path / "groups" / f"{stem}.html").write_text("old")
        (tmp_path / "groups" / f"{stem}.pdf").write_text("old")
        (tmp_path / ".kamtools-state" / f"group-{stem}.json").write_text("{}")
    (tmp_path / "groups" / "notes.txt").write_text("mine")  # not a report kamtools recorded: kept
    _remove_stale_groups(tmp_path, ["G2"])
    left = sorted(p.name for p in (tmp_path / "groups").iterdir())
    assert left == sorted([f"{report_stem('G2')}.html", f"{report_stem('G2')}.pdf", "notes.txt"])
    assert not (tmp_path / ".kamtools-state" / f"group-{report_stem('G1')}.json").exists()
    (tmp_path / "groups" / "notes.txt").unlink()
    _remove_stale_groups(tmp_path, [])  # no parents any more: nothing of the groups is left
    assert not (tmp_path / "groups").exists()


@pytest.mark.browser
def test_group_filter_and_expandable_groups_in_the_browser(chromium, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    acc = grouped_summary()
    path = write_index(FakeBundle(acc, manifest()), tmp_path)
    drv = headless_chrome(chromium)
    try:
        drv.get(path.as_uri())

        def shown_ids() -> list[str]:
            return sorted(index_ids_shown(drv))

        def totals() -> list[str]:
            return index_totals_shown(drv)

        assert len(shown_ids()) == len(acc)
        Select(drv.find_element(By.CSS_SELECTOR, 'select[data-filter="group"]')).select_by_index(1)
        assert shown_ids() == ["A1", "A2", "A3", "G1", "R1"]
        in_group = acc[acc["account_id"].isin(["A1", "A2", "A3", "G1", "R1"])]
        assert totals()[:2] == ["4 of 7 accounts", money(in_group["revenue_ltm"].sum())]  # G1: no orders, not counted
        Select(drv.find_element(By.CSS_SELECTOR, 'select[data-filter="group"]')).select_by_visible_text(
            "stand-alone accounts"
        )
        assert shown_ids() == ["A4", "A5", "A6"]
        # the group opens to its units, the region inside it opens in turn
        group = drv.find_element(By.CSS_SELECTOR, "#kam-groups details.kam-group")
        unit = group.find_element(By.XPATH, "./ul/li[contains(., 'Gamma SA')]")
        assert not unit.is_displayed()
        group.find_element(By.TAG_NAME, "summary").click()
        assert unit.is_displayed()
        assert TOP_NAME in group.find_element(By.TAG_NAME, "summary").text  # the hostile name, as text
        assert [e for e in drv.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        drv.quit()


def test_the_group_forecast_is_explained_in_a_kams_words(monkeypatch):
    """The demo's group pages read 'tied by a Gaussian copula ... Ledoit-Wolf shrinkage' in their summary."""
    from kamtools.groups.reconcile import METHOD

    bundle = hand_bundle()
    bundle.tables["group_rollup"] = bundle.tables["group_rollup"].assign(reconciliation=METHOD)
    text = html.unescape(re.sub(r"<[^>]+>", " ", shown(monkeypatch, bundle, keys=("summary",))))
    said = text.split("How the group forecast is made:")[1].split(".")[0]
    assert "the sum of the units' forecasts at every level; its 80% range comes from 2,000 draws" in said
    for word in ("copula", "Ledoit", "Gaussian", "bottom-up"):
        assert word not in said
