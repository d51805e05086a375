"""A Gamma-Gamma fit the data do not determine is set aside and the reader is told (issue 17, N12).

The audit: on the demo with returns Gamma-Gamma gave p = 21 million with standard error 31.5
million and nothing said so. Accounts whose every purchase week is worth the same (the spread
of an account's purchase values that p measures is nil) drive p off to the same limit.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
from _display import value_section_text

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.value import fit_value
from kamtools.value.gamma_gamma import GammaGamma
from kamtools.value.stage import _gamma_gamma_problems

AS_OF = pd.Timestamp("2024-12-31")


def _portfolio(seed: int = 3) -> Portfolio:
    """25 accounts buying in 6 to 40 of 100 weeks, each purchase week worth the same for the account (900-1,100)."""
    rng = np.random.default_rng(seed)
    ids = [f"A{i:02d}" for i in range(25)]
    rows = []
    for a in ids:
        x, value = int(rng.integers(5, 40)), float(np.round(rng.uniform(900, 1100), 2))
        rows += [
            (a, pd.Timestamp("2023-01-02") + pd.Timedelta(weeks=int(w)), value)
            for w in rng.choice(100, x + 1, replace=False)
        ]
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    orders = orders.assign(
        order_id=[f"O{i:05d}" for i in range(len(orders))],
        line=1,
        product_id="P1",
        quantity=1.0,
        cost=orders["net_revenue"] * 0.7,
    )
    tables = {
        "accounts": pd.DataFrame({"account_id": ids, "name": ids}),
        "products": pd.DataFrame({"product_id": ["P1"], "category": ["Parts"]}),
        "orders": orders,
    }
    return Portfolio(tables=tables, as_of=AS_OF)


def test_a_degenerate_gamma_gamma_fit_is_set_aside_and_said(monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fit_value(_portfolio())
    value, model = out["value"], out["value_model"]
    gg = model[model["model"] == "gamma_gamma"].set_index("parameter")
    assert gg.loc["p", "estimate"] > 1e6  # the fit ran off: p in the millions, its s.e. as large or none at all
    se = gg.loc["p", "std_error"]
    assert not se <= gg.loc["p", "estimate"]  # scipy 1.13 (the lowest allowed) finds no finite s.e. here
    assert gg.loc["set_aside", "estimate"] == 1
    note = gg.loc["set_aside", "note"]
    head = (
        "The Gamma-Gamma fit of the value per purchase week is not determined by this data (p = "
        f"{gg.loc['p', 'estimate']:,.0f} "
    )
    assert note.startswith(head)
    # why, as the optimiser found it: the lowest allowed scipy stops at the edge of the search
    said = f"with standard error {se:,.0f}" if np.isfinite(se) else "without a finite standard error"
    assert note[len(head) :].startswith((said, "at the edge of the search"))
    assert note.endswith(
        "so it is set aside: each account's expected value uses its own mean purchase week (for accounts that "
        "bought in one week only, the mean of those that bought again)."
    )
    # the fallback: each account's own mean purchase week
    assert np.allclose(value["expected_avg_value"], value["monetary"])
    assert out["_notes"]["value"] == (
        "The value per purchase week could not be learnt across accounts (the Gamma-Gamma fit is not determined "
        "by this data), so each account's expected value uses its own mean purchase week (for accounts that bought "
        "in one week only, the mean of those that bought again)."
    )

    # what the account page shows: the note in the value section, the reason in its appendix
    tables = {"value": value, "value_model": model}
    bundle = SimpleNamespace(
        table=lambda n: tables.get(n, NotAvailable(f"no {n}")),
        has=lambda n: n in tables,
        note=lambda n: out["_notes"].get(n),
    )
    account = value["account_id"].iloc[0]
    acct = SimpleNamespace(
        bundle=bundle,
        account_id=account,
        info={},
        table=lambda n: value[value["account_id"] == account] if n == "value" else bundle.table(n),
        portfolio_table=bundle.table,
    )
    shown = value_section_text(acct, monkeypatch, appendix=True).paragraphs
    assert out["_notes"]["value"] in shown
    assert note in shown


def test_a_determined_fit_is_kept():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, 200).astype(float)
    m = rng.gamma(3.0, 100.0, 200) * (1 + rng.gamma(2.0, 0.5, 200) / np.sqrt(x))  # values that vary in a week
    gg = GammaGamma().fit(x, m)
    assert _gamma_gamma_problems(gg) == []
