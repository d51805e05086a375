"""Per-account strategy reports: analyse once, render every account.

``render_reports(bundle, out_dir)`` executes ``kamtools/notebooks/account_report.ipynb`` once per
account (papermill injects ``account_id`` and ``bundle``) and
``kamtools/notebooks/portfolio_overview.ipynb`` once, exports each to a standalone HTML page
without code (optionally PDF through the system Chromium), writes ``index.html`` and a
JSON-lines ``run.log``, and skips reports that are already up to date.

Modules: :mod:`~kamtools.reports.batch` (the run), :mod:`~kamtools.reports.render`
(one report), :mod:`~kamtools.reports.kernels` (warm kernels, papermill engine
``kamtools-warm``), :mod:`~kamtools.reports.state` (file names, freshness),
:mod:`~kamtools.reports.index` (the index page).
"""

from __future__ import annotations

from kamtools.reports.batch import RunSummary, default_notebook, render_reports
from kamtools.reports.render import ReportError, ReportJob, print_pdf, render_job, to_html
from kamtools.reports.state import account_paths, overview_paths, report_stem

__all__ = [
    "RunSummary",
    "ReportError",
    "ReportJob",
    "render_reports",
    "render_job",
    "default_notebook",
    "to_html",
    "print_pdf",
    "report_stem",
    "account_paths",
    "overview_paths",
]
