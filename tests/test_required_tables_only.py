"""A new user's first run: only the three required tables, with only their required columns.

An order log like CDNOW becomes accounts, products and orders; the README marks every other
table and column as optional (line, cost, customer_since, potential_revenue, parent_account_id).
`kamtools analyze` and `kamtools reports` must then finish and say what they could not do,
never stop with a Python traceback.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pytest

from kamtools.data.portfolio import Portfolio

REQUIRED = {
    "accounts": ["account_id", "name", "industry", "region", "country", "channel", "owner"],
    "products": None,  # its optional columns are not what this test is about
    "orders": None,
}
DROP = {"orders": ("line", "cost"), "products": ()}


@lru_cache(maxsize=1)
def _demo() -> Portfolio:
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=20, years=2, seed=3, groups=0)
    return portfolio


def _export(folder) -> None:
    """Write the demo's three required tables as CSV, without any optional column of interest."""
    folder.mkdir()
    p = _demo()
    for name, keep in REQUIRED.items():
        table = p.tables[name]
        table = table[keep] if keep is not None else table.drop(columns=list(DROP.get(name, ())), errors="ignore")
        table.to_csv(folder / f"{name}.csv", index=False)


@pytest.mark.slow
def test_analyze_and_reports_on_the_required_tables_only(tmp_path, capsys):
    from kamtools.cli import main

    src = tmp_path / "export"
    _export(src)
    assert sorted(f.name for f in src.iterdir()) == ["accounts.csv", "orders.csv", "products.csv"]
    assert "potential_revenue" not in pd.read_csv(src / "accounts.csv").columns

    code = main(["analyze", str(src), "--out", str(tmp_path / "bundle"), "--quiet"])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "Traceback" not in out.out + out.err
    # What the loader derived or could not find is printed, not only kept in the manifest.
    assert "data warning: orders (orders.csv), column 'cost': cost derived from products.unit_cost" in out.out
    assert "data warning: opportunities: optional table not supplied" in out.out

    account = pd.read_csv(src / "accounts.csv")["account_id"].iloc[0]
    code = main(
        ["reports", str(tmp_path / "bundle"), "--out", str(tmp_path / "reports"), "--accounts", account, "--quiet"]
    )
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    reports = list((tmp_path / "reports" / "accounts").glob("*.html"))
    assert len(reports) == 1
    html = reports[0].read_text(encoding="utf-8")
    assert "Traceback" not in html and "Error" not in html.split("<body", 1)[-1][:2000]
    # Without any account's estimated spend, share of wallet is said to be unknown, not shown as 0%.
    assert "share of wallet cannot be computed" in html


def test_an_internal_check_failure_is_reported_as_a_kamtools_fault(tmp_path, monkeypatch, capsys):
    """Should a stage ever break its declared contract, the user reads whose fault it is, not a traceback."""
    import kamtools.bundle
    from kamtools.cli import main
    from kamtools.stages import StageContractError

    def broken(*args, **kwargs):
        raise StageContractError("stage 'churn' wrote the table 'churn_features' without its declared column 'x'")

    monkeypatch.setattr(kamtools.bundle, "analyze", broken)
    src = tmp_path / "export"
    _export(src)
    code = main(["analyze", str(src), "--out", str(tmp_path / "bundle"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert "an internal check of kamtools failed" in err and "not in your data" in err
    assert "No bundle was written." in err
    assert not (tmp_path / "bundle").exists()
