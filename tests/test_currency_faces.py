"""Money carries the bundle's currency on every face that writes it: the account and portfolio
decks, the delivery digest, the changes since the last review and the scenario planner.

One small bundle analysed with ``currency="EUR"``; each face is built from it and its text
must show amounts as '€1.23M' (kamtools.formatting.money), never a bare figure.
"""

from __future__ import annotations

import io
import re

import pytest

from kamtools.formatting import money

pptx = pytest.importorskip("pptx")

EURO_AMOUNT = re.compile(r"€\d+(\.\d+)?[kMB]?")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio
    from kamtools.outputs import claim_output_dir

    portfolio, _ = make_portfolio(n_accounts=16, years=3, seed=5)
    out = claim_output_dir(tmp_path_factory.mktemp("currency") / "reports", "reports")
    stages = ["value", "segment", "whitespace", "kpis", "plan", "scenario"]
    return analyze(portfolio, out / "bundle", stages=stages, progress=False, currency="EUR")


def _largest(bundle) -> str:
    return str(bundle.accounts.sort_values("revenue_ltm").iloc[-1]["account_id"])


def test_account_and_portfolio_decks_write_money_in_the_currency(bundle):
    from pptx import Presentation

    from kamtools.deck.audience import deck_text
    from kamtools.deck.build import account_deck
    from kamtools.deck.portfolio import portfolio_deck
    from kamtools.deck.source import BundleRows
    from kamtools.deck.template import read_template

    tpl = read_template(None)
    account = BundleRows(bundle).account(_largest(bundle))
    text = "\n".join(deck_text(Presentation(io.BytesIO(account_deck(account, tpl, "internal")))))
    assert money(account.info["revenue_ltm"], "EUR") in text
    customer = "\n".join(deck_text(Presentation(io.BytesIO(account_deck(account, tpl, "customer")))))
    assert money(account.info["revenue_ltm"], "EUR") in customer
    portfolio = "\n".join(deck_text(Presentation(io.BytesIO(portfolio_deck(bundle, tpl)))))
    assert money(bundle.accounts["revenue_ltm"].sum(), "EUR") in portfolio
    for t in (text, customer, portfolio):
        assert EURO_AMOUNT.search(t)


def test_the_delivery_digest_writes_money_in_the_currency(bundle, tmp_path):
    import pandas as pd

    from kamtools.reports.state import report_stem
    from kamtools.review.deliver import build_packs, plan_delivery

    out = bundle.path.parent
    acc = bundle.accounts
    owner = str(acc.sort_values("revenue_ltm").iloc[-1]["owner"])
    owners = pd.DataFrame({"owner": [owner], "email": ["kam@example.com"]})
    dest = build_packs(plan_delivery(out, owners), tmp_path / "delivery")
    digest = (dest / report_stem(owner) / "digest.html").read_text(encoding="utf-8")
    top = acc[acc["owner"] == owner].sort_values("revenue_ltm").iloc[-1]
    assert money(top["revenue_ltm"], "EUR") in digest
    values = re.findall(r'<td class="num">([^<]*)</td>', digest)
    amounts = [v for v in values if v and v != "–"]
    assert amounts and all(v.lstrip("-").startswith("€") for v in amounts), amounts


def test_the_planner_writes_money_in_the_currency(bundle):
    pytest.importorskip("ipywidgets")
    from kamtools.widgets import ScenarioPlanner

    planner = ScenarioPlanner(bundle, debounce=0, chart=False)
    revenue = planner.result.kpi("revenue_12m")
    assert f">{money(revenue, 'EUR')}</span>" in planner.headline.value
    planner.levers["volume_change"].value = 10.0
    assert "+€" in planner.headline.value  # the change against the baseline, signed
    assert EURO_AMOUNT.search(planner.kpi_table.value)
