"""PowerPoint decks (`kamtools reports --format pptx`): account decks, customer audience, templates, portfolio deck.

Every generated deck is opened again with python-pptx; one is converted to PDF with
LibreOffice as a second reader. The decks are built from the small hostile portfolio of
``report_helpers`` (ids that try to leave the folder, a script-tag name) and a copy of its
bundle with formula-like names.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest
from report_helpers import EVIL_NAME, TRAVERSAL_ID, evil_bundle, tmp_dir

pptx = pytest.importorskip("pptx")
from pptx import Presentation  # noqa: E402
from pptx.enum.shapes import PP_PLACEHOLDER  # noqa: E402

from kamtools.bundle import Bundle  # noqa: E402
from kamtools.deck.audience import INTERNAL_WORDS, deck_text, internal_terms  # noqa: E402
from kamtools.deck.files import PORTFOLIO_DECK, deck_path, write_decks  # noqa: E402
from kamtools.deck.source import BundleRows  # noqa: E402
from kamtools.deck.template import default_template  # noqa: E402

BIN = Path(sys.executable).parent
FORMULA_NAME = '=HYPERLINK("http://evil.example/x","click")\x07 {{name}} <b>bold</b>'
FORMULA_ID = "A0005"
RECOMMENDED_ID = "A0003"
INTERNAL_SLIDES = 11
CUSTOMER_SLIDES = 7  # with the opportunities slide, drawn only when a category is recommended
PORTFOLIO_SLIDES = 8


def kamtools(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "kamtools"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ},
        stdin=subprocess.DEVNULL,
    )


@lru_cache(maxsize=1)
def hostile_bundle() -> Path:
    """A copy of the evil bundle in which one account's name is a spreadsheet formula with markup."""
    out = tmp_dir("decks") / "hostile-bundle"
    if not out.exists():
        shutil.copytree(evil_bundle(), out)
        for table in ("accounts", "kpis"):
            path = out / f"{table}.parquet"
            df = pd.read_parquet(path)
            df.loc[df["account_id"] == FORMULA_ID, "name"] = FORMULA_NAME
            df.to_parquet(path, index=False)
        # the small portfolio recommends nothing (every adoption probability is below the useful one); one
        # account gets two recommended categories so that the opportunities slide is drawn for it
        path = out / "whitespace_recommendations.parquet"
        recs = pd.read_parquet(path)
        top = recs.index[(recs["account_id"] == RECOMMENDED_ID) & (recs["rank"] <= 2)]
        assert len(top) == 2
        recs.loc[top, "p_adopt"] = [0.25, 0.15]
        recs.loc[top, "expected_value"] = recs.loc[top, "p_adopt"] * recs.loc[top, "spend_if_adopted"]
        recs.loc[top, "recommended"] = True
        recs.to_parquet(path, index=False)
    return out


def recommends(account) -> bool:
    """Whether the account has a recommended whitespace category (its customer deck then has the opportunities)."""
    recs = account.table("whitespace_recommendations")
    return recs is not None and bool(recs["recommended"].any())


@lru_cache(maxsize=2)
def decks(audience: str) -> tuple[Path, object]:
    """(out folder, summary) of every deck of the hostile bundle for ``audience``."""
    out = tmp_dir(f"decks-{audience}")
    summary = write_decks(hostile_bundle(), out, audience=audience, progress=False, portfolio=audience == "internal")
    return out, summary


def charts(prs) -> list:
    return [shape.chart for slide in prs.slides for shape in slide.shapes if shape.has_chart]


def tables(prs) -> list:
    return [shape.table for slide in prs.slides for shape in slide.shapes if shape.has_table]


def slide_titles(prs) -> list[str]:
    return [slide.shapes.title.text if slide.shapes.title is not None else "" for slide in prs.slides]


# ---- account decks -----------------------------------------------------------------------------


def test_internal_decks_carry_native_charts_with_the_bundles_data_and_tables():
    out, summary = decks("internal")
    bundle = Bundle.open(hostile_bundle())
    ids = bundle.account_ids()
    assert summary.failed == {} and sorted(summary.written) == sorted(ids)
    rows = BundleRows(bundle)
    for account_id in ids:
        path = deck_path(out, account_id, "internal")
        assert path.parent == (out / "accounts").resolve() and path.is_file()
        prs = Presentation(str(path))
        assert len(prs.slides) == INTERNAL_SLIDES
        name = rows.account(account_id).info["name"]
        expected = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", name)
        assert prs.slides[0].shapes.title.text == expected
        assert len(charts(prs)) >= 4 and len(tables(prs)) >= 6
        titles = slide_titles(prs)
        assert {"At a glance", "Revenue and forecast", "Risks and their drivers", "Competitors", "The plan"} <= set(
            titles
        )
    # the revenue chart holds the account's monthly revenue and forecast, as data
    account = rows.account("A0003")
    prs = Presentation(str(deck_path(out, "A0003", "internal")))
    slide = prs.slides[slide_titles(prs).index("Revenue and forecast")]
    chart = next(s.chart for s in slide.shapes if s.has_chart)
    series = {s.name: list(s.values) for s in chart.plots[0].series}
    history = account.table("forecast_history").sort_values("ds").tail(24)
    forecast = account.table("forecast").sort_values("ds")
    n = len(history)
    assert series["Revenue"][:n] == pytest.approx(history["y"].tolist())
    assert series["Forecast"][n:] == pytest.approx(forecast["forecast"].tolist())
    assert list(chart.plots[0].categories)[0] == pd.Timestamp(history["ds"].iloc[0]).strftime("%b %Y")
    # the category slide lists the categories of the trade-lane table
    cats = account.table("tradelanes")
    slide = prs.slides[slide_titles(prs).index("Category mix and margins")]
    table = next(s.table for s in slide.shapes if s.has_table)
    shown = [table.cell(r, 0).text for r in range(1, len(table.rows))]
    assert set(shown) <= set(cats["category"]) and shown


def _word_hits(text: str) -> list[str]:
    lowered = text.lower()
    return [w for w in INTERNAL_WORDS if re.search(rf"\b{re.escape(w)}", lowered)]


def _without_data_strings(account, text: str) -> str:
    """``text`` without the strings that come from data (names, categories), which may contain any word."""
    data_strings = [str(account.info.get(c) or "") for c in ("name", "industry", "country", "owner")]
    for table, column in (
        ("tradelanes", "category"),
        ("whitespace_recommendations", "category"),
        ("whitespace_recommendations", "related_category"),
    ):
        df = account.table(table)
        if df is not None:
            data_strings += [str(x) for x in df[column].dropna()]
    for s in sorted(set(data_strings), key=len, reverse=True):
        if s:
            text = text.replace(s, " ")
    return text


def test_customer_decks_contain_nothing_internal():
    out, summary = decks("customer")
    bundle = Bundle.open(hostile_bundle())
    rows = BundleRows(bundle)
    assert summary.failed == {} and summary.portfolio is None
    checked = 0
    for account_id in bundle.account_ids():
        account = rows.account(account_id)
        prs = Presentation(str(deck_path(out, account_id, "customer")))
        assert len(prs.slides) == CUSTOMER_SLIDES - (not recommends(account))
        texts = deck_text(prs)
        full = "\n".join(texts)
        own_words = _without_data_strings(account, full)
        assert _word_hits(own_words) == [], (account_id, _word_hits(own_words))
        for term in internal_terms(account):
            assert term not in full, (account_id, term)
        # the plan's own wording (internal notes) and the whitespace figures never appear
        for table, column in (
            ("plan_actions", "action"),
            ("plan_actions", "evidence"),
            ("plan_risks", "risk"),
            ("plan_talking_points", "text"),
            ("whitespace_recommendations", "rationale"),
            ("churn_drivers", "sentence"),
            ("health_components", "sentence"),
        ):
            df = account.table(table)
            for value in [] if df is None else df[column].dropna().astype(str):
                if len(value) > 12:
                    assert value not in full, (account_id, table, value)
        p = account.info.get("churn_probability")
        assert f"{p:.1%}" not in full and f"{p:.3f}" not in full
        checked += 1
    assert checked == len(bundle.account_ids())


def test_customer_deck_speaks_to_the_customer():
    out, _ = decks("customer")
    prs = Presentation(str(deck_path(out, "A0003", "customer")))
    titles = slide_titles(prs)
    assert titles == [
        EVIL_NAME,
        "Our partnership",
        "Your purchases over time",
        "What you buy from us",
        "Opportunities for you",
        "Service",
        "Joint objectives and next steps",
    ]
    body = "\n".join(deck_text(prs))
    assert "Business review" in body and "Next steps:" in body
    chart = charts(prs)[0]
    assert [s.name for s in chart.plots[0].series][0].startswith("Last 12 months")


def _chart_on(prs, title: str):
    """The native chart of the slide titled ``title`` (python-pptx reads it back from the deck)."""
    slide = prs.slides[slide_titles(prs).index(title)]
    found = [s.chart for s in slide.shapes if s.has_chart]
    assert len(found) == 1, (title, len(found))
    return found[0]


def test_customer_deck_charts_hold_the_bundles_figures():
    """Every chart of every customer deck, read back with python-pptx, against the bundle tables it
    is drawn from: monthly revenue (forecast_history) and revenue by category (tradelanes)."""
    from kamtools.deck.text import literal

    out, _ = decks("customer")
    bundle = Bundle.open(hostile_bundle())
    history = bundle.table("forecast_history")
    lanes = bundle.table("tradelanes")
    compared = 0
    for account_id in bundle.account_ids():
        prs = Presentation(str(deck_path(out, account_id, "customer")))
        assert len(charts(prs)) == 2  # the monthly purchases and the categories: nothing else is charted
        # monthly revenue: the last 12 months of the history against the 12 before, month by month
        months = history[history["account_id"] == account_id].sort_values("ds")
        recent, before = months.tail(12), months.iloc[max(0, len(months) - 24) : max(0, len(months) - 12)]
        chart = _chart_on(prs, "Your purchases over time")
        plot = chart.plots[0]
        assert list(plot.categories) == [pd.Timestamp(d).strftime("%b") for d in recent["ds"]]
        series = list(plot.series)
        assert series[0].name.startswith("Last 12 months (")
        assert list(series[0].values) == pytest.approx(recent["y"].tolist(), rel=1e-9, abs=0.005)
        if len(before):
            assert series[1].name.startswith("12 months before (")
            then = list(series[1].values)
            pad = len(recent) - len(before)
            assert then[:pad] == [None] * pad
            assert then[pad:] == pytest.approx(before["y"].tolist(), rel=1e-9, abs=0.005)
        # revenue by category: the largest categories of the last 12 months, both periods
        mine = lanes[(lanes["account_id"] == account_id) & ((lanes["revenue_ltm"] > 0) | (lanes["revenue_prior"] > 0))]
        chart = _chart_on(prs, "What you buy from us")
        plot = chart.plots[0]
        shown = list(plot.categories)[::-1]  # bars are stored bottom up: the largest is drawn at the top
        assert len(shown) == min(8, len(mine)) and len(set(shown)) == len(shown)
        values = {s.name: list(s.values)[::-1] for s in plot.series}
        assert set(values) == {"Last 12 months", "12 months before"}
        by_name = mine.assign(shown=[literal(c, 60) for c in mine["category"]]).set_index("shown")
        for i, name in enumerate(shown):
            assert values["Last 12 months"][i] == pytest.approx(by_name.loc[name, "revenue_ltm"], rel=1e-9, abs=0.005)
            assert values["12 months before"][i] == pytest.approx(
                by_name.loc[name, "revenue_prior"], rel=1e-9, abs=0.005
            )
        left_out = by_name.drop(index=shown)["revenue_ltm"]
        assert left_out.empty or min(values["Last 12 months"]) >= left_out.max()  # the largest are the ones shown
        assert values["Last 12 months"] == sorted(values["Last 12 months"], reverse=True)
        compared += 1
    assert compared == len(bundle.account_ids())


def test_unknown_account_is_failed_and_the_others_written(tmp_path):
    summary = write_decks(
        hostile_bundle(), tmp_path / "out", accounts=["A0003", "nope"], progress=False, portfolio=False
    )
    assert summary.failed == {"nope": "account id not in the bundle"}
    assert list(summary.written) == ["A0003"] and summary.exit_code == 1


def test_ids_typed_with_commas_are_each_written(tmp_path):
    """``kamtools decks B --accounts A0003,A0005`` (commas, as a list is often typed) writes both decks."""
    summary = write_decks(hostile_bundle(), tmp_path / "out", accounts=["A0003,A0005"], progress=False, portfolio=False)
    assert summary.failed == {} and sorted(summary.written) == ["A0003", "A0005"]


# ---- hostile strings ---------------------------------------------------------------------------


def test_hostile_names_and_ids_stay_literal_and_inside_the_folder():
    out, _ = decks("internal")
    files = sorted(p.name for p in (out / "accounts").iterdir())
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{10}-internal\.pptx", f) for f in files), files
    assert not (out.parent / "x").exists() and not list(out.parent.parent.glob("x*internal.pptx"))
    assert deck_path(out, TRAVERSAL_ID).parent == out / "accounts"
    prs = Presentation(str(deck_path(out, FORMULA_ID, "internal")))
    shown = FORMULA_NAME.replace("\x07", "")
    assert prs.slides[0].shapes.title.text == shown
    # the portfolio deck's charts carry the names as category text, never as formulas
    portfolio = Presentation(str(out / PORTFOLIO_DECK))
    names = [str(c) for chart in charts(portfolio) for c in chart.plots[0].categories]
    assert EVIL_NAME in names and any(n.startswith(shown[:45]) for n in names)  # long names are shortened
    workbook_strings = ""
    for chart in charts(portfolio):
        with zipfile.ZipFile(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob)) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
            if "xl/sharedStrings.xml" in book.namelist():
                workbook_strings += book.read("xl/sharedStrings.xml").decode()
        assert "<f>" not in sheet and "<hyperlink" not in sheet  # no formula, no link: text only
    assert '=HYPERLINK("http://evil.example/x"' in workbook_strings.replace("&quot;", '"')


# ---- the portfolio deck ----------------------------------------------------------------------------


def test_portfolio_deck_has_the_management_review():
    out, summary = decks("internal")
    assert summary.portfolio == (out / PORTFOLIO_DECK).resolve()
    prs = Presentation(str(summary.portfolio))
    titles = slide_titles(prs)
    assert len(prs.slides) == PORTFOLIO_SLIDES
    assert titles[1:] == [
        "The portfolio at a glance",
        "Concentration",
        "Tiers",
        "Accounts that moved (last 12 months against the 12 before)",
        "Revenue at risk",
        "Forecast against target",
        "The most valuable actions",
    ]
    bundle = Bundle.open(hostile_bundle())
    acc = bundle.accounts
    risk_chart = next(s.chart for s in prs.slides[titles.index("Revenue at risk")].shapes if s.has_chart)
    top = acc.sort_values("revenue_at_risk", ascending=False).head(10)
    # bars are stored bottom up, so the largest (first) is drawn at the top
    assert list(risk_chart.plots[0].series[0].values)[::-1] == pytest.approx(top["revenue_at_risk"].tolist())
    actions = next(s.table for s in prs.slides[titles.index("The most valuable actions")].shapes if s.has_table)
    assert len(actions.rows) > 1


# ---- templates ------------------------------------------------------------------------------------

CORP_RED = "C00000"


def _corp_template(path: Path) -> Path:
    """A company template: another colour theme and font, a master logo text, layouts
    reordered and renamed, and a sample slide that must not reach the decks."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    prs = Presentation(str(default_template()))
    theme = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme.blob)
    ns = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    root.find(".//a:clrScheme/a:accent1/a:srgbClr", ns).set("val", CORP_RED)
    root.find(".//a:fontScheme/a:majorFont/a:latin", ns).set("typeface", "Georgia")
    theme.blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    ids = prs.slide_master.element.find("{http://schemas.openxmlformats.org/presentationml/2006/main}sldLayoutIdLst")
    items = list(ids)
    for item in items:
        ids.remove(item)
    for item in reversed(items):  # the last layouts first: picking by position would go wrong
        ids.append(item)
    for i, layout in enumerate(prs.slide_layouts):
        layout.name = f"ACME layout {i}"
    sample = prs.slides.add_slide(prs.slide_layouts[0])
    sample.shapes.add_textbox(0, 0, 100000, 100000).text_frame.text = "TEMPLATE SAMPLE SLIDE"
    scratch = prs.slides.add_slide(prs.slide_layouts[0])
    logo = scratch.shapes.add_textbox(0, 0, 2000000, 300000)
    logo.text_frame.text = "ACME CONFIDENTIAL"
    prs.slide_master.shapes._spTree.append(logo._element)
    ids2 = prs.slides._sldIdLst
    prs.part.drop_rel(ids2[-1].rId)
    ids2.remove(ids2[-1])
    prs.save(str(path))
    return path


def test_company_template_master_colours_and_layouts_are_used(tmp_path):
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    template = _corp_template(tmp_path / "corp.pptx")
    summary = write_decks(hostile_bundle(), tmp_path / "out", accounts=["A0003"], template=template, progress=False)
    assert summary.failed == {}
    for path in (summary.written["A0003"], summary.portfolio):
        prs = Presentation(str(path))
        theme = prs.slide_master.part.part_related_by(RT.THEME).blob.decode()
        assert CORP_RED in theme and "Georgia" in theme
        master_text = [s.text_frame.text for s in prs.slide_master.shapes if s.has_text_frame]
        assert "ACME CONFIDENTIAL" in master_text
        assert "TEMPLATE SAMPLE SLIDE" not in "\n".join(deck_text(prs))
        first = prs.slides[0].slide_layout
        assert first.name.startswith("ACME layout")
        assert PP_PLACEHOLDER.CENTER_TITLE in [p.placeholder_format.type for p in first.placeholders]
        for slide in list(prs.slides)[1:]:
            kinds = [p.placeholder_format.type for p in slide.placeholders]
            assert kinds and kinds[0] == PP_PLACEHOLDER.TITLE  # a title, no empty placeholders left
            assert all(k in (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT) for k in kinds)
    # the default template is 16:9 and different from the company's
    default = Presentation(str(default_template()))
    assert round(default.slide_width / default.slide_height, 2) == round(16 / 9, 2)


# ---- the command line ---------------------------------------------------------------------------


def test_cli_pptx_alone_writes_decks_without_rendering_reports(tmp_path):
    out = tmp_path / "out"
    done = kamtools(
        "reports",
        str(hostile_bundle()),
        "--out",
        str(out),
        "--format",
        "pptx",
        "--audience",
        "customer",
        "--quiet",
        "--accounts",
        "A0003",
        "A0006",
    )
    assert done.returncode == 0, done.stderr
    assert "decks: 2 customer deck(s) written, 0 failed" in done.stdout
    # the management review is internal: a customer run's folder never holds it
    assert "portfolio deck: not written for a customer audience" in done.stdout
    assert not (out / PORTFOLIO_DECK).exists()
    assert sorted(p.name for p in (out / "accounts").iterdir()) == sorted(
        deck_path(out, a, "customer").name for a in ("A0003", "A0006")
    )
    assert not (out / "index.html").exists() and not list((out / "accounts").glob("*.html"))
    assert json.loads((out / ".kamtools-output.json").read_text())["kamtools_output"] == "reports"


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p / "missing.pptx", "does not exist"),
        (lambda p: (p / "notes.pptx").write_text("not a deck") and p / "notes.pptx", "is not a PowerPoint file"),
        (lambda p: _zip(p / "book.pptx"), "not a PowerPoint presentation python-pptx can open"),
    ],
)
def test_cli_bad_template_is_one_sentence_and_exit_1(tmp_path, make, needle):
    template = make(tmp_path)
    out = tmp_path / "out"
    done = kamtools(
        "reports", str(hostile_bundle()), "--out", str(out), "--format", "pptx", "--template", str(template), "--quiet"
    )
    assert done.returncode == 1
    assert needle in done.stderr and str(template) in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a presentation")
    return path


def test_cli_refuses_an_output_that_is_a_file_and_an_unknown_format(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("mine")
    done = kamtools("reports", str(hostile_bundle()), "--out", str(target), "--format", "pptx", "--quiet")
    assert done.returncode == 1 and "is an existing file" in done.stderr and target.read_text() == "mine"
    done = kamtools("reports", str(hostile_bundle()), "--out", str(tmp_path / "o"), "--format", "pptx,docx")
    assert done.returncode == 2 and "unknown --format docx; choose from html, pdf and pptx" in done.stderr


# ---- since the last review ------------------------------------------------------------------------


def test_since_slides_show_the_changes(tmp_path):
    previous = tmp_path / "previous"
    shutil.copytree(hostile_bundle(), previous)
    manifest = json.loads((previous / "manifest.json").read_text())
    manifest["as_of"] = str((pd.Timestamp(manifest["as_of"]) - pd.DateOffset(months=1)).date())
    (previous / "manifest.json").write_text(json.dumps(manifest))
    acc = pd.read_parquet(previous / "accounts.parquet")
    acc.loc[acc["account_id"] == "A0003", "revenue_ltm"] = 123_456.0
    acc.to_parquet(previous / "accounts.parquet", index=False)
    out = tmp_path / "out"
    summary = write_decks(hostile_bundle(), out, accounts=["A0003"], since=previous, progress=False)
    prs = Presentation(str(summary.written["A0003"]))
    titles = slide_titles(prs)
    when = manifest["as_of"]
    assert titles[2] == f"Since the last review ({when})" and len(prs.slides) > INTERNAL_SLIDES  # after the overview
    text = "\n".join(deck_text(prs))
    assert "123.5k" in text
    portfolio = Presentation(str(summary.portfolio))
    assert slide_titles(portfolio)[1] == f"Since the last review ({when}): what changed"
    # a decks-only run keeps the changes for `kamtools deliver` as a reports run does
    from kamtools.review.since_pages import read_record

    record, sentence = read_record(out, Bundle.open(hostile_bundle()))
    assert (
        record is not None and record["previous_as_of"] == when and sentence == f"Changes since the review of {when}."
    )
    customer = write_decks(
        hostile_bundle(), out, accounts=["A0003"], since=previous, audience="customer", progress=False, portfolio=False
    )
    prs = Presentation(str(customer.written["A0003"]))
    spoken = pd.Timestamp(when).strftime("%d %b %Y").lstrip("0")
    assert slide_titles(prs)[2] == f"Since our last review ({spoken})" and len(prs.slides) == CUSTOMER_SLIDES + 1
    text = "\n".join(deck_text(prs))
    assert "123.5k" in text and f"since our review of {spoken}" in text
    account = BundleRows(Bundle.open(hostile_bundle())).account("A0003")
    assert _word_hits(_without_data_strings(account, text)) == []
    assert all(term not in text for term in internal_terms(account))


# ---- a second reader: LibreOffice ------------------------------------------------------------------


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("KAMTOOLS_REQUIRE_BROWSER"):
            pytest.fail("LibreOffice (soffice) is not installed but KAMTOOLS_REQUIRE_BROWSER is set")
        pytest.skip("deck PDF check: LibreOffice is not installed (apt-get install libreoffice-impress)")
    return found


@pytest.mark.slow
def test_libreoffice_converts_a_deck_to_pdf_with_a_page_per_slide(tmp_path):
    soffice = _soffice()
    out, _ = decks("internal")
    deck = deck_path(out, "A0003", "internal")
    n_slides = len(Presentation(str(deck)).slides)
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(deck),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    pdf = tmp_path / (deck.stem + ".pdf")
    assert done.returncode == 0 and pdf.is_file(), done.stdout + done.stderr
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))
    assert pages == n_slides


def test_a_bundle_with_only_the_summary_table_still_gives_decks_that_say_why(tmp_path):
    sparse = tmp_path / "sparse"
    shutil.copytree(hostile_bundle(), sparse)
    manifest = json.loads((sparse / "manifest.json").read_text())
    manifest["tables"] = {"accounts": manifest["tables"]["accounts"]}
    manifest["skipped"] = {"forecast": "The forecast was left out for this test."}
    (sparse / "manifest.json").write_text(json.dumps(manifest))
    runs = {}
    for audience in ("internal", "customer"):
        runs[audience] = summary = write_decks(
            sparse, tmp_path / audience, accounts=["A0003"], audience=audience, progress=False
        )
        # the portfolio deck (the management review) is written for the internal audience only
        assert summary.failed == {} and (summary.portfolio is not None) == (audience == "internal")
        prs = Presentation(str(summary.written["A0003"]))
        # no whitespace table: no opportunities slide (nothing is put to the customer as recommended)
        assert len(prs.slides) == (INTERNAL_SLIDES if audience == "internal" else CUSTOMER_SLIDES - 1)
        text = "\n".join(deck_text(prs))
        if audience == "internal":
            assert "The forecast was left out for this test." in text
    portfolio = "\n".join(deck_text(Presentation(str(runs["internal"].portfolio))))
    assert (
        "The portfolio forecast is not in this bundle." in portfolio and "No plan actions in this bundle." in portfolio
    )


@pytest.mark.slow
def test_cli_html_and_pptx_put_the_deck_beside_the_report(tmp_path):
    from kamtools.reports import account_paths

    out = tmp_path / "out"
    done = kamtools(
        "reports",
        str(hostile_bundle()),
        "--out",
        str(out),
        "--format",
        "html,pptx",
        "--quiet",
        "--accounts",
        "A0003",
        "--workers",
        "1",
        "--no-overview",
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reports: 1 rendered" in done.stdout and "decks: 1 internal deck(s) written, 0 failed" in done.stdout
    html = account_paths(out, "A0003").html
    deck = deck_path(out, "A0003", "internal")
    assert html.is_file() and deck.is_file() and html.parent == deck.parent
    assert html.name.removesuffix(".html") == deck.name.removesuffix("-internal.pptx")
    assert not (out / PORTFOLIO_DECK).exists()  # --no-overview: no portfolio deck either
    # the index written with the reports links the deck beside the report
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="accounts/{deck.name}">deck</a>' in index


@pytest.mark.slow
def test_cli_html_pdf_and_pptx_in_one_run(tmp_path, chromium):
    """`--format html,pdf,pptx`: each account has its report, its PDF and its deck side by side, and the
    index links all three (the PDF needs the system Chromium: the `chromium` fixture skips without it)."""
    from kamtools.reports import account_paths

    out = tmp_path / "out"
    accounts = ["A0003", "A0006"]
    done = kamtools(
        "reports",
        str(hostile_bundle()),
        "--out",
        str(out),
        "--format",
        "html,pdf,pptx",
        "--quiet",
        "--accounts",
        *accounts,
        "--workers",
        "1",
        "--no-overview",
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reports: 2 rendered" in done.stdout and "decks: 2 internal deck(s) written, 0 failed" in done.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    names = set()
    for account_id in accounts:
        paths = account_paths(out, account_id)
        deck = deck_path(out, account_id, "internal")
        assert paths.html.is_file() and paths.pdf.is_file() and deck.is_file()
        assert paths.html.parent == paths.pdf.parent == deck.parent == (out / "accounts").resolve()
        assert paths.pdf.read_bytes()[:5] == b"%PDF-" and paths.pdf.stat().st_size > 5_000
        assert len(Presentation(str(deck)).slides) == INTERNAL_SLIDES
        stem = paths.html.name.removesuffix(".html")
        assert paths.pdf.name == f"{stem}.pdf" and deck.name == f"{stem}-internal.pptx"
        for name in (paths.html.name, paths.pdf.name, deck.name):
            assert f'href="accounts/{name}"' in index, name
        names |= {paths.html.name, paths.pdf.name, deck.name}
    assert sorted(p.name for p in (out / "accounts").iterdir()) == sorted(names)  # nothing else, nothing missing
