"""Issue 17 (SWEEPREAL, Online Retail top 200 at 2011-05-31 with --negative-lines drop): the pages say that
returns were left out at load.

The command line warned "1,219 order lines ... were left out (negative_lines: drop): 80,277 of credited revenue is
not netted", but the overview and the account pages said nothing of it: their revenue, margin and forecasts read as
if netted. The KPI stage's note (shown on the overview and every account page) now names what was left out."""

from __future__ import annotations

import pandas as pd

from kamtools import load_portfolio
from kamtools.kpis.stage import bundle_tables


def _folder(tmp_path):
    pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "name": ["Acme", "Bolt"],
            "industry": "Retail",
            "region": "UK",
            "country": "United Kingdom",
            "channel": "Online",
            "owner": "Kim",
        }
    ).to_csv(tmp_path / "accounts.csv", index=False)
    pd.DataFrame(
        {"product_id": ["P1"], "name": ["Mug"], "category": ["Giftware"], "list_price": [2.0], "unit_cost": [1.0]}
    ).to_csv(tmp_path / "products.csv", index=False)
    dates = pd.date_range("2025-01-05", periods=12, freq="MS") + pd.Timedelta(days=4)
    rows = [
        {
            "order_id": f"{a}{i}",
            "account_id": a,
            "product_id": "P1",
            "order_date": d.date(),
            "quantity": 10,
            "net_revenue": 20.0,
        }
        for a in ("A1", "A2")
        for i, d in enumerate(dates)
    ]
    rows.append(
        {
            "order_id": "C1",
            "account_id": "A1",
            "product_id": "P1",
            "order_date": dates[5].date(),
            "quantity": -40,
            "net_revenue": -1234.0,
        }
    )
    pd.DataFrame(rows).to_csv(tmp_path / "orders.csv", index=False)
    return tmp_path


def test_the_kpi_note_names_the_returns_left_out_at_load(tmp_path):
    portfolio = load_portfolio(_folder(tmp_path), negative_lines="drop", as_of="2025-12-31")
    assert portfolio.facts == {"negative_lines_dropped": {"lines": 1, "credited": 1_234.0}}
    note = bundle_tables(portfolio, {})["_notes"]["kpis"]
    assert (
        "Returns, credit notes and rebates were left out when the data was loaded (1 order line with a negative "
        "quantity, revenue or cost, 1,234 of credited revenue): revenue, margin, growth and forecasts are gross of "
        "returns"
    ) in note


def test_kept_returns_give_no_such_note(tmp_path):
    portfolio = load_portfolio(_folder(tmp_path), as_of="2025-12-31")
    note = bundle_tables(portfolio, {}).get("_notes", {}).get("kpis", "")
    assert "left out when the data was loaded" not in note
    assert "net of returns" in note
