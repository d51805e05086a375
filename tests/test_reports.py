"""Batch reports: safe names and parameters, every section shown, index, resume, failures, warm == cold."""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_helpers import (
    CODE_ID,
    EVIL_NAME,
    ODD_ID,
    PWNED,
    TRAVERSAL_ID,
    account_ids,
    evil_bundle,
    log_entries,
    make_notebook,
    report_html,
    section_text,
    tmp_dir,
    warm_run,
)

from kamtools.reports import account_paths, render_reports, report_stem
from kamtools.reports.render import atomic_write
from kamtools.reports.state import freshness, is_up_to_date
from kamtools.sections import PORTFOLIO_SECTIONS, shown_account_sections

# ---- names and parameters -------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_report_stem_is_a_safe_unique_file_name(account_id):
    stem = report_stem(account_id)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}-[0-9a-f]{10}", stem)
    out = Path("/srv/out")
    html_path = account_paths(out, account_id).html
    assert html_path.parent == out / "accounts" and html_path.name == f"{stem}.html"


def test_report_stems_keep_similar_ids_apart():
    ids = ["a/b", "a?b", "a b", "a-b", "A-B", "../../x", "..", ".", "", "con"]
    stems = [report_stem(i) for i in ids]
    assert len(set(stems)) == len(ids)
    assert report_stem("A0001").startswith("A0001-")


@pytest.mark.parametrize("value", [CODE_ID, ODD_ID, TRAVERSAL_ID, 'é\u2028\x00\'"""', "\\", '\\"; x=1; "'])
def test_papermill_injects_parameters_as_literals(value):
    """The injected cell is assignments of constants only: data cannot become code."""
    import nbformat
    import papermill

    from kamtools.reports import default_notebook

    nb = nbformat.read(default_notebook("account"), as_version=4)
    out = papermill.execute_notebook(nb, None, parameters={"account_id": value, "bundle": value}, prepare_only=True)
    injected = next(c.source for c in out.cells if "injected-parameters" in c.metadata.get("tags", []))
    tree = ast.parse(injected)
    assert all(isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) for node in tree.body)
    values = {node.targets[0].id: node.value.value for node in tree.body}
    assert values == {"account_id": value, "bundle": value}


# ---- the warm batch on the evil portfolio -------------------------------------------------------


def test_batch_renders_every_account_and_the_overview():
    summary, out = warm_run()
    statuses = {r["account"]: r["status"] for r in summary.results}
    assert statuses == {**{a: "ok" for a in account_ids()}, "(portfolio overview)": "ok"}, summary.problems
    assert summary.exit_code == 0
    assert not PWNED.exists()  # the code-like account id was data, not code
    written = sorted(p.name for p in (out / "accounts").iterdir())
    assert written == sorted(f"{report_stem(a)}.html" for a in account_ids())
    assert not (out.parent / "x").exists() and not (out.parent.parent / "x").exists()
    assert not list(out.rglob(".*.tmp-*"))


def test_every_section_is_shown_in_order_without_code():
    _, out = warm_run()
    for account_id in (CODE_ID, "A0005"):
        page = report_html(out, account_id)
        positions = [page.index(f'id="sec-{s.key}"') for s in shown_account_sections()]
        assert positions == sorted(positions)
        for s in shown_account_sections():
            body = section_text(page, s.key)
            assert "kam-h2" in body, f"section {s.key} shows no heading"
            assert len(re.sub(r"<[^>]+>", "", body).strip()) > len(s.title) - 10
        assert "sections.account(" not in page and "open_account" not in page  # no code cells
        assert not re.search(r"In\s*\[\d*\]", page)  # no prompts
        assert "@media print" in page
    overview = (out / "portfolio_overview.html").read_text()
    for s in PORTFOLIO_SECTIONS:
        assert f'id="sec-{s.key}"' in overview


def test_names_and_ids_are_escaped_everywhere():
    _, out = warm_run()
    page = report_html(out, "A0003")
    assert f"<title>{html.escape(EVIL_NAME)}</title>" in page
    assert "<script" not in page  # reports carry no script at all
    assert "script-src 'none'" in page
    code_page = report_html(out, CODE_ID)
    assert f"Account {CODE_ID}" in html.unescape(code_page)  # shown as text
    odd_page = report_html(out, ODD_ID)
    assert html.escape(ODD_ID, quote=False) in odd_page
    index = (out / "index.html").read_text()
    assert "<script>alert" not in index and html.escape(EVIL_NAME) in index
    assert index.count("<script>") == 1  # only the sorting script, allowed by its hash in the CSP
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", index)


def test_index_lists_every_account_with_link_and_headlines():
    _, out = warm_run()
    index = (out / "index.html").read_text()
    rows = re.findall(r"<tr>(.*?)</tr>", index.split("<tbody>")[1], flags=re.S)
    assert len(rows) == len(account_ids())
    for account_id in account_ids():
        href = account_paths(out, account_id).href
        assert f'href="{href}"' in index
        assert (out / href).is_file()
    assert 'href="portfolio_overview.html"' in index
    assert 'data-type="num"' in index


def test_run_log_has_one_line_per_report():
    summary, out = warm_run()
    run_ids = {r["run"] for r in log_entries(out)}
    entries = [e for e in log_entries(out) if e["run"] == sorted(run_ids)[0]]
    assert {e["account"] for e in entries} >= set(account_ids())
    for e in entries:
        assert {"account", "status", "seconds", "error"} <= set(e)


# ---- resume, force, freshness -------------------------------------------------------------------


def test_second_run_skips_and_force_rerenders():
    summary, out = warm_run()
    first = account_paths(out, "A0005").html.stat().st_mtime_ns
    again = render_reports(evil_bundle(), out, workers=1, progress=False, keep_kernel=True)
    assert {r["status"] for r in again.results} == {"skipped"}
    assert again.exit_code == 0
    assert account_paths(out, "A0005").html.stat().st_mtime_ns == first
    forced = render_reports(
        evil_bundle(), out, accounts=["A0005"], workers=1, progress=False, keep_kernel=True, force=True, overview=False
    )
    assert [r["status"] for r in forced.results] == ["ok"]
    assert account_paths(out, "A0005").html.stat().st_mtime_ns != first


def test_freshness_changes_with_notebook_and_bundle(tmp_path):
    from kamtools.bundle import Bundle
    from kamtools.reports import default_notebook

    bundle = Bundle.open(evil_bundle())
    nb = tmp_path / "nb.ipynb"
    nb.write_bytes(default_notebook("account").read_bytes())
    fresh = freshness(bundle, nb)
    nb.write_bytes(nb.read_bytes() + b"\n")
    assert freshness(bundle, nb)["notebook_sha256"] != fresh["notebook_sha256"]
    _, out = warm_run()
    paths = account_paths(out, "A0006")
    real = freshness(bundle, default_notebook("account"))
    assert is_up_to_date(paths, real, want_pdf=False)
    assert not is_up_to_date(paths, {**real, "bundle_fingerprint": "other"}, want_pdf=False)
    assert not is_up_to_date(paths, real, want_pdf=True)  # no PDF was made


def test_atomic_write_never_leaves_half_files(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    atomic_write(target, "old")

    def explode(self, *a, **k):
        Path.write_bytes(self, b"half")
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", explode)
    with pytest.raises(OSError):
        atomic_write(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


# ---- failures ---------------------------------------------------------------------------------


def test_one_failing_account_does_not_stop_the_run():
    nb = make_notebook('if account_id == "A0006":\n    raise RuntimeError("planted failure for " + account_id)')
    out = tmp_dir("failing")
    accounts = ["A0005", "A0006", "A0007"]
    summary = render_reports(
        evil_bundle(), out, accounts=accounts, workers=1, notebook=nb, progress=False, keep_kernel=True, overview=False
    )
    status = {r["account"]: r for r in summary.results if r["kind"] == "account"}
    assert status["A0006"]["status"] == "failed" and "planted failure" in status["A0006"]["error"]
    assert status["A0005"]["status"] == status["A0007"]["status"] == "ok"
    assert summary.exit_code == 1
    assert not account_paths(out, "A0006").html.exists()
    index = (out / "index.html").read_text()
    assert "planted failure for A0006" in index
    logged = [e for e in log_entries(out) if e["account"] == "A0006"]
    assert logged[-1]["status"] == "failed" and "planted failure" in logged[-1]["error"]
    # the failed report is retried on the next run; the others are up to date
    again = render_reports(
        evil_bundle(), out, accounts=accounts, workers=1, notebook=nb, progress=False, keep_kernel=True, overview=False
    )
    assert {r["account"]: r["status"] for r in again.results if r["kind"] == "account"} == {
        "A0005": "skipped",
        "A0006": "failed",
        "A0007": "skipped",
    }


def test_a_failing_section_is_explained_and_does_not_leak_to_the_next_report():
    plant = (
        "import sys, types\n"
        'if account_id == "A0005":\n'
        '    fake = types.ModuleType("kamtools.sections.forecast")\n'
        "    def account_section(acct):\n"
        '        raise ValueError("planted section failure")\n'
        "    fake.account_section = account_section\n"
        '    sys.modules["kamtools.sections.forecast"] = fake'
    )
    nb = make_notebook(plant)
    out = tmp_dir("partial")
    summary = render_reports(
        evil_bundle(),
        out,
        accounts=["A0005", "A0007"],
        workers=1,
        notebook=nb,
        progress=False,
        keep_kernel=True,
        overview=False,
    )
    status = {r["account"]: r for r in summary.results}
    assert status["A0005"]["status"] == "partial" and "planted section failure" in status["A0005"]["error"]
    assert status["A0007"]["status"] == "ok"  # the warm kernel was reset between the two
    assert summary.exit_code == 1
    page = report_html(out, "A0005")
    assert "This section could not be drawn" in section_text(page, "forecast")
    assert "planted" not in report_html(out, "A0007")


def test_unknown_account_ids_are_reported_not_rendered():
    out = tmp_dir("unknown")
    summary = render_reports(
        evil_bundle(), out, accounts=["NOPE"], workers=1, progress=False, keep_kernel=True, overview=False
    )
    assert summary.results == [
        {
            "account": "NOPE",
            "kind": "account",
            "status": "failed",
            "seconds": 0.0,
            "error": "account id not in the bundle",
        }
    ]
    assert summary.exit_code == 1
    assert "NOPE" in (out / "index.html").read_text()


def test_bad_arguments_fail_fast():
    with pytest.raises(ValueError, match="format"):
        render_reports(evil_bundle(), tmp_dir("bad"), formats=["docx"], progress=False)
    with pytest.raises(ValueError, match="mode"):
        render_reports(evil_bundle(), tmp_dir("bad"), mode="lukewarm", progress=False)


def _assert_same_page(a: str, b: str, label: str) -> None:
    if a != b:
        import difflib

        diff = list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0))
        pytest.fail(f"{label}: pages differ\n" + "\n".join(line[:200] for line in diff[:20]))


# ---- warm == cold -------------------------------------------------------------------------------


@pytest.mark.slow
def test_warm_and_cold_kernels_give_identical_pages():
    _, warm_out = warm_run()
    out = tmp_dir("evil-cold")
    accounts = [CODE_ID, "A0003"]
    summary = render_reports(evil_bundle(), out, accounts=accounts, workers=2, mode="cold", progress=False)
    assert summary.exit_code == 0, summary.problems
    for account_id in accounts:
        _assert_same_page(report_html(out, account_id), report_html(warm_out, account_id), account_id)
    _assert_same_page(
        (out / "portfolio_overview.html").read_text(), (warm_out / "portfolio_overview.html").read_text(), "overview"
    )
    state = json.loads(account_paths(out, "A0003").state.read_text())
    assert state["status"] == "ok" and state["freshness"]["bundle_fingerprint"]


# ---- the summary section (pure parts) ---------------------------------------------------------


class _FakeBundle:
    manifest = {"skipped": {"churn": "No churn model: too few churned accounts."}}


def test_summary_cards_show_the_headlines_with_status():
    from kamtools.sections.summary import summary_cards

    info = {
        "cluster_name": "Steady buyers",
        "tier": "A",
        "revenue_ltm": 1_234_567.0,
        "margin_pct_ltm": -0.05,
        "expected_value_12m": 800_000.0,
        "health_score": 42.0,
        "health_band": "watch",
        "churn_probability": 0.62,
        "revenue_at_risk": 500_000.0,
        "target_attainment": 0.4,
        "target_pace": 0.8,
        "main_competitor": "Vetro",
        "threat_band": "high",
    }
    cards = {label: (text, status) for label, text, status in summary_cards(info)}
    assert cards["Segment"] == ("Steady buyers", "") and cards["Tier"] == ("A", "")
    assert cards["Revenue, last 12 months"] == ("1.23M", "")
    assert cards["Margin, last 12 months"] == ("-5%", "bad")
    assert cards["Health"] == ("42 (watch)", "warn")
    assert cards["Churn risk"] == ("62%", "bad")
    assert cards["Target status"] == ("40% reached", "bad")  # behind pace
    assert cards["Main competitor"] == ("Vetro (high threat)", "bad")
    assert not any("Expected value" in label for label in cards), "page one has one next-12-months figure"


def test_segment_name_does_not_contradict_the_account():
    """A cluster named 'growing' beside an account that fell says so on the card."""
    from kamtools.sections.summary import segment_text

    name = "large, growing, frequent orders"
    assert segment_text(name, -0.14) == f"{name} (the group's profile; this account -14% on the year before)"
    assert segment_text(name, 0.05) == name
    assert segment_text("small, shrinking", 0.3).endswith("this account +30% on the year before)")
    assert segment_text("mid-size, stable", 0.05) == "mid-size, stable"
    assert segment_text(name, None) == name


def test_summary_has_one_next_12_months_figure():
    """The forecast is the headline; the plan's objective card appears only when it differs."""
    from kamtools.sections.summary import summary_cards

    info = {
        "revenue_ltm": 1_000_000.0,
        "expected_value_12m": 700_000.0,
        "forecast_next_12m": 750_000.0,
        "forecast_next_12m_lo_80": 600_000.0,
        "forecast_next_12m_hi_80": 900_000.0,
        "revenue_objective": 750_000.0,
    }
    cards = {label: (text, status) for label, text, status in summary_cards(info)}
    assert cards["Forecast revenue, next 12 months"] == ("750.0k (80% range 600.0k to 900.0k)", "bad")  # -25%
    next_12 = [label for label in cards if "next 12 months" in label]
    assert next_12 == ["Forecast revenue, next 12 months"]
    info["revenue_objective"] = 800_000.0
    cards = {label: text for label, text, _ in summary_cards(info)}
    assert cards["Revenue objective, next 12 months"] == "800.0k"


def test_missing_headlines_name_the_reason():
    from kamtools.sections.summary import missing_headlines

    info = {"tier": None, "cluster_name": "x", "health_score": 50.0}
    lines = missing_headlines(info, _FakeBundle())
    assert "Tier not shown: the analysis gave this account no value." in lines
    # the reason names churn already, so it stands alone (no "No churn risk: No churn model ...")
    assert "No churn model: too few churned accounts." in lines
    assert not any(line.startswith(("Segment", "Health", "No churn risk")) for line in lines)


def test_concentration_and_top_share():
    import pandas as pd

    from kamtools.sections.summary import concentration, top_share

    acc = pd.DataFrame(
        {"account_id": list("abcde"), "name": list("ABCDE"), "revenue_ltm": [10.0, 0.0, 50.0, None, 40.0]}
    )
    conc = concentration(acc)
    assert conc["account_id"].tolist() == ["c", "e", "a", "b", "d"]
    assert conc["cum_share"].iloc[-1] == pytest.approx(1.0)
    assert top_share(conc, 0.2) == pytest.approx(0.5)  # top 1 of 5 accounts
    assert top_share(conc, 0.4) == pytest.approx(0.9)
