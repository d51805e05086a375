"""Complaints on a short history: counted from the table there is, never against a year before the data
(issue 17, SWEEPDEMO).

The 2-year demo (``make-demo-data --accounts 40 --years 2 --seed 1``) read as a new user makes short histories:

* at one month (as of 2024-11-30) every complaint is dated later, and the account pages said "No complaints table
  was supplied, so complaint KPIs are not available" (and the plan "No complaints table was supplied") beside a
  complaints table of 27 rows: a table with no complaint by then counts none;
* at twelve months (as of 2025-10-31) A0018's page read "1 complaint in the last 12 months vs 0 the year before",
  a year that lies before both the orders and the complaint log (the first complaint: 2024-12-13), and the
  playbook's "complaints rising" rule compared with it. That comparison is left out unless the order history or
  the complaint log reaches back over it.
"""

from __future__ import annotations

import math

import pandas as pd
from _factory import write_folder

from kamtools import display
from kamtools.data.loader import load_portfolio
from kamtools.data.portfolio import NotAvailable
from kamtools.kpis import complaint_kpis
from kamtools.sections import kpis as section

# the factory's orders run from 2023-01-12 to 2024-06-28 and its complaints open on 2023-06-02 (A001),
# 2024-02-10 and 2024-06-01


def _row(frame: pd.DataFrame, account: str) -> pd.Series:
    return frame.set_index("account_id").loc[account]


def test_a_complaints_table_with_none_by_the_analysis_date_counts_none(tmp_path):
    early = load_portfolio(write_folder(tmp_path / "export"), as_of="2023-05-31")
    assert "complaints" in early.tables and len(early.tables["complaints"]) == 0
    kpis = complaint_kpis(early)
    assert not isinstance(kpis, NotAvailable)  # before: "No complaints table was supplied"
    assert (kpis["complaints_open"] == 0).all() and (kpis["complaints_12m"] == 0).all()


def test_no_table_at_all_still_says_so(tmp_path):
    from kamtools.data.portfolio import Portfolio

    full = load_portfolio(write_folder(tmp_path / "export"))
    without = Portfolio({k: v for k, v in full.tables.items() if k != "complaints"}, full.as_of)
    assert complaint_kpis(without).reason == "No complaints table was supplied, so complaint KPIs are not available."


def test_the_year_before_is_not_counted_where_neither_orders_nor_complaints_reach_back(tmp_path):
    full = load_portfolio(write_folder(tmp_path / "export"))  # 18 months of orders
    row = _row(complaint_kpis(full), "A001")
    assert (
        row["complaints_12m"] == 0 and math.isnan(row["complaints_prior_12m"]) and math.isnan(row["complaints_trend"])
    )
    # a complaint log that reaches back over the year before is compared, whatever the orders
    tables = write_folder(tmp_path / "older")
    comp = pd.read_csv(tables / "complaints.csv", dtype=str)
    comp.loc[0, ["opened_date", "resolved_date"]] = ["2022-05-02", "2022-05-20"]
    comp.to_csv(tables / "complaints.csv", index=False)
    older = complaint_kpis(load_portfolio(tables))
    assert older["complaints_prior_12m"].notna().all() and older["complaints_trend"].notna().all()


def test_the_page_says_the_year_before_lies_before_the_history(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(display, "heading", lambda *a, **k: None)
    monkeypatch.setattr(display, "paragraph", shown.append)
    row = {
        "complaints_open": 0,
        "open_low": 0,
        "open_medium": 0,
        "open_high": 0,
        "open_critical": 0,
        "open_severe": 0,
        "complaints_12m": 1,
        "complaints_prior_12m": float("nan"),
        "mean_days_to_resolve": 38.0,
    }

    class Acct:
        def table(self, name):
            return pd.DataFrame([row])

    section._complaints(Acct())
    assert shown == [
        "Open complaints: 0 (low 0, medium 0, high 0, critical 0). 1 complaint in the last 12 months (no comparison "
        "with the year before: it lies before the order history); mean time to resolve 38 days."
    ]
    shown.clear()
    row["complaints_prior_12m"] = 0
    section._complaints(Acct())
    assert "1 complaint in the last 12 months vs 0 the year before; mean time to resolve 38 days." in shown[0]
