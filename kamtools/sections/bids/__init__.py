"""Report sections of the bid desk (reads the bid tables of the bundle; never refits).

Account (:mod:`.account`): the open bids with the recommended price, its range and the reason, the
win/margin curve of the largest ones, the post-bid table of decided bids and the tenders
expected next. Portfolio (:mod:`.portfolio`): the open pipeline ranked by the expected margin the
recommended prices would gain, where we lose on price and where on other reasons, how well the win
model is calibrated beside the plain baselines, and the tender calendar of the next 12 months.
The tables and sentences both draw from are in :mod:`.tables`, the shared formatting in :mod:`.common`.
"""

from kamtools.sections.bids.account import account_section
from kamtools.sections.bids.common import CHARTS_PER_ACCOUNT, TITLE
from kamtools.sections.bids.portfolio import portfolio_appendix, portfolio_section
from kamtools.sections.bids.tables import (
    CALIBRATION_COLUMNS,
    LOSS_COLUMNS,
    OPEN_COLUMNS,
    PIPELINE_COLUMNS,
    POST_COLUMNS,
    POST_ROWS,
    TENDER_COLUMNS,
    bid_sentence,
    calibration_sentence,
    loss_by_competitor,
    loss_sentence,
    open_bids_table,
    pipeline_sentence,
    postmortem_sentence,
    postmortem_table,
    rules_text,
    tender_rows,
    upcoming_tenders,
    window_start,
)

__all__ = [
    "CALIBRATION_COLUMNS",
    "CHARTS_PER_ACCOUNT",
    "LOSS_COLUMNS",
    "OPEN_COLUMNS",
    "PIPELINE_COLUMNS",
    "POST_COLUMNS",
    "POST_ROWS",
    "TENDER_COLUMNS",
    "TITLE",
    "account_section",
    "bid_sentence",
    "calibration_sentence",
    "loss_by_competitor",
    "loss_sentence",
    "open_bids_table",
    "pipeline_sentence",
    "portfolio_appendix",
    "portfolio_section",
    "postmortem_sentence",
    "postmortem_table",
    "rules_text",
    "tender_rows",
    "upcoming_tenders",
    "window_start",
]
