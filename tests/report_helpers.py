"""Shared builders for the report tests (built once per test session, cached here).

The "evil" portfolio is a small demo portfolio whose account ids and names try to break
out: an id that is Python code, a path-traversal id, an id with a newline, quotes and a
backslash, and a name that is a script tag.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "kamtools" / "notebooks"
EVIL_NAME = '<script>alert(1)</script> & "Sons"'

_TMP = Path(tempfile.mkdtemp(prefix="kamtools-report-tests-"))
atexit.register(shutil.rmtree, _TMP, True)

PWNED = _TMP / "pwned"
CODE_ID = f'x"; import os; os.system("touch {PWNED}"); "'
TRAVERSAL_ID = "../../x"
ODD_ID = "A 4\n'q'\\ \"z"
RENAMES = {"A0001": CODE_ID, "A0002": TRAVERSAL_ID, "A0004": ODD_ID}


def tmp_dir(name: str) -> Path:
    path = _TMP / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def rename_accounts(portfolio, renames: dict[str, str], names: dict[str, str]):
    """A copy of ``portfolio`` with account ids replaced in every table and some names changed."""
    from kamtools.data.portfolio import Portfolio

    tables = {}
    for name, df in portfolio.tables.items():
        df = df.copy()
        if "account_id" in df.columns:
            df["account_id"] = df["account_id"].map(lambda a: renames.get(a, a) if isinstance(a, str) else a)
        tables[name] = df
    acc = tables["accounts"]
    for account_id, new_name in names.items():
        acc.loc[acc["account_id"] == renames.get(account_id, account_id), "name"] = new_name
    return Portfolio(tables, portfolio.as_of)


@lru_cache(maxsize=1)
def evil_portfolio():
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=12, years=3, seed=3)
    return rename_accounts(portfolio, RENAMES, {"A0003": EVIL_NAME})


@lru_cache(maxsize=1)
def evil_bundle() -> Path:
    """Path of the analysed evil portfolio (every stage this checkout has)."""
    from kamtools.bundle import analyze

    out = tmp_dir("evil") / "bundle"
    analyze(evil_portfolio(), out, progress=False)
    return out


@lru_cache(maxsize=1)
def warm_run():
    """(summary, out_dir) of rendering every evil account + overview, warm, in-process."""
    from kamtools.reports import render_reports

    out = tmp_dir("evil-warm")
    summary = render_reports(evil_bundle(), out, workers=1, mode="warm", progress=False, keep_kernel=True)
    return summary, out


@lru_cache(maxsize=1)
def plain_data_dir() -> Path:
    """CSV tables of a small portfolio without the opportunities and invoices tables."""
    from kamtools.datasets import make_portfolio, write_tables

    portfolio, _ = make_portfolio(n_accounts=10, years=3, seed=3)
    data = tmp_dir("plain") / "data"
    write_tables(portfolio, data)
    for table in ("opportunities", "invoices"):
        (data / f"{table}.csv").unlink()
    return data


def make_notebook(extra_cell: str, name: str = "account_report.ipynb") -> Path:
    """A copy of the account report notebook with ``extra_cell`` inserted after the setup cell."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    setup = next(i for i, c in enumerate(nb.cells) if "open_account" in c.source or "open_bundle" in c.source)
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(extra_cell))
    folder = Path(tempfile.mkdtemp(dir=_TMP, prefix="nb-"))
    shutil.copy(NOTEBOOKS / "portfolio_overview.ipynb", folder / "portfolio_overview.ipynb")
    path = folder / name
    nbformat.write(nb, path)
    return path


def report_html(out: Path, account_id: str) -> str:
    from kamtools.reports import account_paths

    return account_paths(out, account_id).html.read_text(encoding="utf-8")


def section_text(page: str, key: str) -> str:
    """The part of a report page from section ``key``'s anchor to the next section anchor."""
    start = page.index(f'id="sec-{key}"')
    nxt = page.find('class="kam-anchor"', start + 10)
    return page[start : nxt if nxt > 0 else len(page)]


def log_entries(out: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in (out / "run.log").read_text().splitlines() if line.strip()]


def account_ids() -> list[str]:
    return sorted(evil_portfolio().accounts["account_id"].tolist())


__all__ = [
    "CODE_ID",
    "EVIL_NAME",
    "ODD_ID",
    "PWNED",
    "TRAVERSAL_ID",
    "account_ids",
    "evil_bundle",
    "log_entries",
    "plain_data_dir",
    "report_html",
    "section_text",
    "make_notebook",
    "tmp_dir",
    "warm_run",
]


def headless_chrome(chromium):
    """A headless Chromium WebDriver (from the ``chromium`` fixture's paths) that keeps the browser's
    console log; the caller quits it."""
    from selenium import webdriver

    binary, driver_path = chromium
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=driver_path))


def index_ids_shown(drv) -> list[str]:
    """The account ids of the index page's rows the browser shows now, in the table's order."""
    from selenium.webdriver.common.by import By

    rows = drv.find_elements(By.CSS_SELECTOR, "#accounts tbody tr")
    return [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows if r.is_displayed()]


def index_totals_shown(drv) -> list[str]:
    """The texts of the index page's totals line as the browser shows it now."""
    from selenium.webdriver.common.by import By

    return [e.text for e in drv.find_elements(By.CSS_SELECTOR, "#kam-totals [data-total]")]
