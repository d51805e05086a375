"""Product lines that rose on one-off orders say so beside the segment line that does (issue 17, SWEEPDEMO).

The 2-year demo with one spike month (June 2026: the 8 largest accounts' orders x10, as of 2026-10-31): A0018's
segment read "this account's +94% on the year before comes from one-off orders; -6% without them", and two screens
down its product lines read "up-trading" +74%, +44%, +84% and +429% with no word on those orders.
"""

from __future__ import annotations

import pandas as pd

from kamtools import display
from kamtools.sections import whitespace as section

INFO = {"one_off_ltm": 551_611.41, "usual_growth": -0.061923, "revenue_ltm": 1_069_027.18}
LANES = pd.DataFrame(
    {
        "account_id": ["A0018"] * 3,
        "category": ["Feed additives", "Premixes", "Lab consumables"],
        "status": ["up-trading", "up-trading", "new"],
        "revenue_prior": [363.2e3, 13.9e3, 0.0],
        "revenue_ltm": [633.3e3, 73.4e3, 101.0e3],
        "revenue_change_pct": [0.743773, 4.292298, float("nan")],
        "margin_ltm": [96.6e3, -40.6e3, 27.9e3],
        "margin_pct_ltm": [0.15, -0.55, 0.28],
        "loss_making": [False, True, False],
    }
)
SAID = (
    "One-off orders add 551.6k to the last 12 months (months far above the account's usual ordering month, which "
    "the forecast does not carry on): a line's rise, and its 'up-trading' or 'new', may be those orders alone; "
    "without them the account's revenue changed -6% on the year before."
)


def test_the_note_names_the_one_off_orders_and_the_change_without_them():
    assert section.one_off_lanes_note(INFO, LANES) == SAID
    # small one-off orders (under a tenth of the year) or no line that rose: nothing to say
    assert section.one_off_lanes_note({**INFO, "one_off_ltm": 50_000.0}, LANES) == ""
    assert section.one_off_lanes_note(INFO, LANES.assign(revenue_change_pct=-0.2)) == ""
    assert section.one_off_lanes_note({}, LANES) == ""


def test_the_product_line_section_shows_it(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(display, "heading", lambda *a, **k: None)
    monkeypatch.setattr(display, "paragraph", shown.append)
    monkeypatch.setattr(display, "table", lambda *a, **k: None)
    monkeypatch.setattr(display, "figure", lambda *a, **k: None)
    monkeypatch.setattr(display, "bullets", lambda items: shown.extend(items))

    class Bundle:
        manifest: dict = {}

        def note(self, name):
            return None

    class Acct:
        info = INFO
        bundle = Bundle()

        def table(self, name):
            return LANES

    section._account_lanes(Acct())
    assert SAID in shown
