"""The analysis notebooks as a user runs them: tables and charts shown once, never their HTML source.

Each test executes a shipped notebook top to bottom on a fresh kernel (papermill, the shared
``run_notebook`` runner) and reads what the executed notebook holds, the way JupyterLab or
Voila would render it.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import run_notebook

from kamtools.resources import notebook

ANALYSIS_NOTEBOOKS = ("forecasting.ipynb", "churn.ipynb", "segmentation_value.ipynb", "competitors_whitespace.ipynb")
MARKUP = re.compile(r"^\s*['\"]?<(div|table|img|style|h[1-6]|p|ul|nav|span)\b", re.I)  # a str's repr is quoted
CARD_RULE = ".kam-card {"


def _outputs(nb):
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            yield i, out


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def html_outputs(nb) -> list[str]:
    return [_text(o["data"]["text/html"]) for _, o in _outputs(nb) if "text/html" in o.get("data", {})]


def raw_html_as_text(nb) -> list[tuple[int, str]]:
    """(cell index, text) of every output that shows HTML source or image bytes as plain text."""
    bad = []
    for i, out in _outputs(nb):
        texts = [_text(out.get("text", ""))] + [_text(out.get("data", {}).get("text/plain", ""))]
        for text in texts:
            if MARKUP.match(text) or "data:image/png;base64" in text or re.search(r"<(\w*)Figure size", text):
                bad.append((i, text[:80]))
    return bad


def assert_shown_once_and_styled(nb, min_figures: int) -> str:
    bad = raw_html_as_text(nb)
    assert not bad, f"outputs showing HTML source or a figure's repr instead of the thing itself: {bad}"
    # no cell's result is an echo of what a helper already displayed
    assert not [i for i, o in _outputs(nb) if o["output_type"] == "execute_result" and "kam-" in str(o["data"])]
    page = "\n".join(html_outputs(nb))
    assert page.count('<img class="kam-fig"') >= min_figures
    # the component stylesheet is on the page exactly once, before the first component it styles
    assert page.count(CARD_RULE) == 1
    first_component = re.search(r'class="kam-(cards|table|fig|p|h\d|na)"', page)
    assert first_component and page.index(CARD_RULE) < first_component.start()
    return page


def test_the_check_catches_an_echoed_helper_and_a_figure_repr():
    """What the notebooks showed before: the helper's HTML string as the cell's Out[n], a bare figure."""
    nb = nbformat.v4.new_notebook()
    echoed = nbformat.v4.new_code_cell("table(df)")
    echoed.outputs = [
        nbformat.v4.new_output("display_data", {"text/html": '<table class="kam-table"></table>'}),
        nbformat.v4.new_output(
            "execute_result", {"text/plain": "'<table class=\"kam-table\"></table>'"}, execution_count=1
        ),
    ]
    chart = nbformat.v4.new_code_cell("chart()")
    chart.outputs = [
        nbformat.v4.new_output(
            "execute_result", {"text/plain": "<LiteralTextFigure size 800x345 with 1 Axes>"}, execution_count=2
        )
    ]
    image = nbformat.v4.new_code_cell("figure(fig)")
    image.outputs = [nbformat.v4.new_output("stream", name="stdout", text="data:image/png;base64,iVBOR")]
    nb.cells = [echoed, chart, image]
    assert [i for i, _ in raw_html_as_text(nb)] == [0, 1, 2]


@pytest.mark.parametrize("name", ANALYSIS_NOTEBOOKS)
def test_each_analysis_notebook_says_how_to_run_it_on_your_own_data(name):
    nb = nbformat.read(notebook(name), as_version=4)
    params = nb.cells[0]
    assert "parameters" in params.metadata.get("tags", [])
    assert re.search(r"^data = None\b", params.source, re.M) and re.search(r"^mapping = None\b", params.source, re.M)
    intro = [c.source for c in nb.cells[:4] if c.cell_type == "markdown"]
    how = next((s for s in intro if s.startswith("## Run it on your own data")), "")
    assert 'data = "exports/"' in how and f"papermill kamtools/notebooks/{name}" in how and "-p data" in how
    assert "kamtools validate" in how
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks without outputs"


@pytest.fixture(scope="module")
def own_exports(tmp_path_factory):
    """A folder of CSV exports, as a user would have them (a small generated portfolio)."""
    from kamtools.datasets import make_portfolio, write_tables

    portfolio, _ = make_portfolio(n_accounts=12, years=3, seed=3)
    folder = tmp_path_factory.mktemp("exports")
    write_tables(portfolio, folder)
    return folder


@pytest.mark.slow
def test_forecasting_on_your_own_exports_shows_cards_tables_and_charts_once(own_exports, tmp_path):
    _, nb = run_notebook("forecasting.ipynb", {"data": str(own_exports)}, tmp_path)
    page = assert_shown_once_and_styled(nb, min_figures=6)
    assert 'class="kam-cards"' in page and "Forecast, next 12 months" in page
    assert '<table class="kam-table">' in page and "Probability of reaching target" in page
    streams = "".join(_text(o.get("text", "")) for _, o in _outputs(nb) if o["output_type"] == "stream")
    assert "Your own data: no planted targets to check." in streams
    first = next(o for _, o in _outputs(nb) if o["output_type"] == "execute_result")
    assert "accounts=12" in _text(first["data"]["text/plain"])  # the user's 12 accounts, not the demo's


@pytest.mark.slow
def test_competitors_notebook_draws_every_chart_as_an_image(tmp_path):
    _, nb = run_notebook("competitors_whitespace.ipynb", {"N_ACCOUNTS": 30, "SEED": 3}, tmp_path)
    page = assert_shown_once_and_styled(nb, min_figures=10)
    assert 'alt="win rate by competitor"' in page and 'alt="trade lanes bridge"' in page


@pytest.mark.slow
def test_every_report_page_rendered_in_one_kept_kernel_carries_the_stylesheet_once():
    """The report pipeline is unchanged: reports share a warm kernel, and each page still gets its styles once."""
    from report_helpers import warm_run

    from kamtools.display import CSS

    _, out = warm_run()
    pages = [p for p in sorted(out.rglob("*.html")) if p.name != "index.html"]
    assert len(pages) >= 2
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.count(CSS.strip()) == 1, page.name
        assert text.index(CSS.strip()) < text.index('class="kam-h1"'), page.name
        assert not re.search(r"&lt;(div|table|img|p|h\d) class=(&quot;|&#34;|\")kam-", text), (
            page.name
        )  # no echoed source
