"""Report section "Appendix: how sure are these numbers" (the last section of an account report
and of the portfolio overview).

The model diagnostics that back the evidence sections, gathered at the end so that the report
reads as a business review first: how the forecast was made and how accurate its backtests
were, how well the churn model predicted out of time, which value model gives P(alive), and
how well the win model of the bid desk is calibrated. Each part is drawn by its topic's module
(``account_appendix`` / ``portfolio_appendix`` of :mod:`~kamtools.sections.forecast`,
:mod:`~kamtools.sections.churn`, :mod:`~kamtools.sections.value`, and the bid desk's calibration
from :mod:`~kamtools.sections.bids`); a part whose analysis is not in the bundle is left out.
"""

from __future__ import annotations

from kamtools import display, formatting
from kamtools.data.portfolio import NotAvailable
from kamtools.sections import APPENDIX_TITLE, bids, churn, forecast, value

# (stage, section module): the appendix parts, in the order of the evidence sections
PARTS = (("forecast", forecast), ("value", value), ("churn", churn))


def _skipped(bundle, stage: str) -> bool:
    return stage in bundle.manifest.get("skipped", {})


def _bid_calibration(bundle) -> None:
    """How well the bid desk's win model predicts (portfolio-wide, out of time): its table and
    sentence from :mod:`kamtools.sections.bids`, without the reliability chart of the overview."""
    display.heading("Bid win model: out-of-time calibration", level=3)
    cal = bundle.table("bid_calibration")
    if isinstance(cal, NotAvailable):
        display.not_available(cal)
        return
    if cal.empty:
        display.paragraph("Too few bids have been decided to backtest the win model.")
        return
    three = {col: [formatting.number(v, 3) for v in cal[col]] for col in ("brier", "log_loss", "auc") if col in cal}
    if "calibration_in_the_large" in cal.columns:
        three["citl_text"] = [
            "" if formatting.is_missing(v) else f"{float(v) * 100:+.1f} points" for v in cal["calibration_in_the_large"]
        ]
    display.table(cal.assign(**three), columns=bids.CALIBRATION_COLUMNS)
    display.paragraph(bids.calibration_sentence(cal))


def account_section(acct) -> None:
    """The model diagnostics of one account's report."""
    display.heading(APPENDIX_TITLE)
    display.paragraph(
        "How far each estimate in this report can be trusted: what was checked out of time (backtests where the history "
        "allows them) and the calibration of the models "
        "behind the forecast, the churn risk, the expected value and the bid recommendations."
    )
    shown = 0
    for stage, module in PARTS:
        if _skipped(acct.bundle, stage):
            continue
        module.account_appendix(acct)
        shown += 1
    if not _skipped(acct.bundle, "bids") and acct.bundle.has("bid_calibration"):
        _bid_calibration(acct.bundle)
        shown += 1
    if not shown:
        display.paragraph("None of the models behind this report's estimates is part of this bundle.")


def portfolio_section(bundle) -> None:
    """The model diagnostics of the portfolio overview: the forecast's backtests and methods, the value
    model's fit, the churn model's backtest and calibration and the win model's calibration."""
    display.heading(APPENDIX_TITLE)
    display.paragraph(
        "How far the estimates in this overview can be trusted: what was checked out of time (backtests where the history "
        "allows them) and the calibration of the models "
        "behind the forecast, the expected value, the churn risk and the bid recommendations."
    )
    shown = 0
    for stage, module in PARTS:
        if _skipped(bundle, stage):
            continue
        module.portfolio_appendix(bundle)
        shown += 1
    if not _skipped(bundle, "bids") and bundle.has("bid_calibration"):
        bids.portfolio_appendix(bundle)
        shown += 1
    if not shown:
        display.paragraph("None of the models behind this overview's estimates is part of this bundle.")
