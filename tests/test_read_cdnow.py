"""Issue 17 (READCD): the CDNOW log's pages read as a KAM preparing a quarterly review would, and what misled.

The tables are written as the README tells a user (accounts, products, orders; one product, no cost), from the
CDNOW master log: its top 300 customers by revenue up to 1997-12-31 analysed then, and 300 random customers
(numpy default_rng(17)) analysed at 1997-09-30.

- The value-model appendix read "it would count each of the 1 accounts that bought in one week only" (top 300).
- C19339 (6.6k in March-April 1997, then nothing): its forecast of zero is set by the lapsed rule, "counting on no
  return"; the value section went on "The forecast is 100% lower: it is set by what accounts like this one really
  bought after past dates".
- Where an account's class had too few backtest cases, the whole portfolio's stood in ("All accounts were compared
  because too few accounts like this one had been seen"), yet the range's evidence called them "accounts like this
  one": C05303 (random 300), ordering every 17 days in each of its 9 months, read "accounts like this one bought less
  than 3% of their forecast ... in 248 of 300 cases (83%)", the portfolio's one-time buyers.
- The random 300 at 1997-09-30 (9 months of orders from 1997-01-01) read "could not be checked against the history
  (that needs 9 months of orders ...)" beside "this portfolio has 9 months of order history": the check wanted the
  first order on 30 December. It now runs, and misses by 11 points (61% expected, 72% placed no order), so the
  figure stays a score, now with the measured reason.
- Decks: the competitor slide said "No competitive losses recorded." with no bid data at all; the whitespace slide
  gave no reason (one product category); the churn box read "no drivers listed" where the page gives the order gap;
  the review's risk slide showed an empty "Main driver" column (no churn model, so no drivers).
"""

from __future__ import annotations

import html
import importlib.util
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _bench import load_benchmark
from test_read_quarterly import _slides  # the decks' text per slide, as that test reads it

from kamtools.sections.forecast import low_end_sentence
from kamtools.sections.value import _why_they_differ


def _text(shown: list[str]) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(shown))))


# ---- fast: the sentences ---------------------------------------------------------------------------------------


def _low_end_row(reason: str) -> pd.Series:
    return pd.Series(
        {
            "forecast_next_12m": 765.0,
            "forecast_next_12m_lo_80": 26.0,
            "range_low_months": 3.0,
            "range_low_cases": 300.0,
            "range_low_below": 248.0,
            "range_low_stopped": 248.0,
            "forecast_method_reason": reason,
        }
    )


def test_a_range_from_the_whole_portfolio_does_not_call_its_cases_accounts_like_this_one():
    pooled = (
        "Based on how often and how much it has bought, with the chance that it has stopped (the buying-rhythm "
        "model). In a test on past data among all accounts, this forecast missed their 6-month totals by 1.2k on "
        "average. All accounts were compared because too few accounts like this one had been seen for a test of "
        "their own."
    )
    text = low_end_sentence(_low_end_row(pooled))
    assert "accounts of this portfolio (too few like this one had been seen to take them alone) bought less" in text
    assert "accounts like this one bought" not in text
    one_time = (
        "Ordered in one month only, none in the last 8 months: based on how often and how much accounts buy, by a "
        "buying-rhythm model that allows a customer to stop after the first order, uncorrected (the test on past data "
        "had no similar accounts to correct it with)."
    )
    assert "accounts of this portfolio" in low_end_sentence(_low_end_row(one_time))
    own = (
        "Based on how often and how much it has bought, with the chance that it has stopped (the buying-rhythm "
        "model), the forecast that missed least in a test on past data among accounts that ordered in 9 of the last 12."
    )
    assert "in a test on past data, accounts like this one bought less than 3%" in low_end_sentence(_low_end_row(own))


def test_a_forecast_set_by_a_rule_is_not_said_to_be_what_similar_accounts_bought():
    text = _why_they_differ(0.0, 45.0, ruled=True)
    assert text.startswith("The forecast is 100% lower: it follows that rule")
    assert "really bought" not in text
    pooled = _why_they_differ(5_403.0, 6_776.0, pooled=True)
    assert "what the accounts of this portfolio (too few like this one had been seen) really bought" in pooled
    assert "what accounts like this one really bought" in _why_they_differ(5_403.0, 6_776.0)


def test_the_churn_fallback_check_counts_nine_months_from_new_year_as_nine_months():
    """A first order on 1 January and an analysis on 30 September: 9 months, as the page counts them."""
    from kamtools.churn.labels import ChurnDefinition
    from kamtools.churn.scoring import fallback_check
    from kamtools.data.portfolio import Portfolio

    rng = np.random.default_rng(5)
    rows = []
    for a in range(60):
        days = np.sort(rng.choice(272, size=int(rng.integers(2, 12)), replace=False))
        rows += [(f"A{a:03d}", pd.Timestamp("1997-01-01") + pd.Timedelta(days=int(d))) for d in days]
    orders = pd.DataFrame(rows, columns=["account_id", "order_date"])
    orders = orders.assign(
        order_id=[f"O{i}" for i in range(len(orders))], line=1, product_id="CD", quantity=1, net_revenue=20.0, cost=0.0
    )
    first = orders.groupby("account_id")["order_date"].min()
    p = Portfolio(
        {
            "accounts": pd.DataFrame({"account_id": first.index, "name": first.index, "customer_since": first.values}),
            "products": pd.DataFrame({"product_id": ["CD"], "category": ["CDs"]}),
            "orders": orders,
        },
        pd.Timestamp("1997-09-30"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check = fallback_check(p, ChurnDefinition(kind="full", horizon_months=6))
    assert "could not be checked" not in check.sentence
    assert "fitted on the orders up to 1997-03-30" in check.sentence


# ---- slow: the CDNOW pages and decks ---------------------------------------------------------------------------


def _cdnow_log() -> pd.DataFrame:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the CDNOW master log ships with the 'lifetimes' package (test extra), which is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"
    return load_benchmark("bench_real_data").read_cdnow(path)  # the bench's reader: one way to read the log


def _user_tables(log: pd.DataFrame, folder: Path) -> Path:
    """accounts, products and orders as CSV files, the way the README tells a user (one product, no cost)."""
    folder.mkdir(parents=True, exist_ok=True)
    first = log.groupby("customer")["date"].min()
    pd.DataFrame(
        {
            "account_id": first.index,
            "name": "Customer " + first.index.str[1:],
            "industry": "Consumer",
            "region": "US",
            "country": "US",
            "channel": "Online",
            "owner": "CDNOW",
            "customer_since": first.dt.strftime("%Y-%m-%d").to_numpy(),
        }
    ).to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        {"product_id": ["CD"], "name": ["Compact disc"], "category": ["CDs"], "list_price": [0.0], "unit_cost": [0.0]}
    ).to_csv(folder / "products.csv", index=False)
    log = log.sort_values(["customer", "date"], kind="stable").reset_index(drop=True)
    pd.DataFrame(
        {
            "order_id": [f"O{i:06d}" for i in range(len(log))],
            "line": 1,
            "account_id": log["customer"],
            "product_id": "CD",
            "order_date": log["date"].dt.strftime("%Y-%m-%d"),
            "quantity": log["qty"],
            "net_revenue": log["amount"],
            "cost": 0.0,
        }
    ).to_csv(folder / "orders.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def cdnow_bundles(tmp_path_factory):
    """{'top300': bundle at 1997-12-31, 'random300': bundle at 1997-09-30}, analysed from the user's files."""
    from kamtools.bundle import analyze
    from kamtools.data.loader import load_portfolio

    log = _cdnow_log()
    tmp = tmp_path_factory.mktemp("readcd")
    top = set(log[log["date"] <= "1997-12-31"].groupby("customer")["amount"].sum().nlargest(300).index)
    ids = np.array(sorted(log["customer"].unique()))
    random = set(np.random.default_rng(17).choice(ids, 300, replace=False))
    out = {}
    for name, chosen, as_of in (("top300", top, "1997-12-31"), ("random300", random, "1997-09-30")):
        folder = _user_tables(log[log["customer"].isin(chosen)], tmp / name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            portfolio = load_portfolio(folder, as_of=as_of)
            analyze(portfolio, tmp / f"{name}-bundle", progress=False)
        out[name] = tmp / f"{name}-bundle"
    return out


def _section(module, bundle_path: Path, account: str | None, captured: list[str], appendix: bool = False) -> str:
    """The text a section shows (its charts left out)."""
    from kamtools import display
    from kamtools.bundle import Bundle

    figure, display.figure = display.figure, lambda *a, **k: None
    try:
        return _shown(module, Bundle.open(bundle_path), account, captured, appendix)
    finally:
        display.figure = figure


def _shown(module, bundle, account: str | None, captured: list[str], appendix: bool) -> str:
    captured.clear()
    if account is None:
        (module.portfolio_appendix if appendix else module.portfolio_section)(bundle)
    else:
        acct = bundle.account(account)
        module.account_section(acct)
        if appendix:
            module.account_appendix(acct)
    return _text(captured)


@pytest.mark.slow
def test_cdnow_top300_value_pages_say_one_account_and_name_the_lapsed_rule(cdnow_bundles, captured):
    from kamtools.sections import value

    appendix = _section(value, cdnow_bundles["top300"], None, captured, appendix=True)
    assert "it would count the 1 account that bought in one week only as certainly still buying" in appendix
    assert "Its P(alive) and expected purchases come from MBG/NBD" in appendix
    assert "1 accounts" not in appendix
    lapsed = _section(value, cdnow_bundles["top300"], "C19339", captured)
    assert "set for this account by its rule for lapsed accounts" in lapsed
    assert "The forecast is 100% lower: it follows that rule" in lapsed
    assert "really bought after past dates" not in lapsed
    steady = _section(value, cdnow_bundles["top300"], "C07592", captured)
    assert "what the accounts of this portfolio (too few like this one had been seen) really bought" in steady


@pytest.mark.slow
def test_cdnow_random300_steady_buyer_range_names_the_portfolios_cases(cdnow_bundles, captured):
    from kamtools.sections import forecast

    page = _section(forecast, cdnow_bundles["random300"], "C05303", captured)
    assert "All accounts were compared because too few accounts like this one had been seen" in page
    assert (
        "in a test on past data, accounts of this portfolio (too few like this one had been seen to take them alone)"
        in page
    )
    assert "accounts like this one bought less than" not in page


@pytest.mark.slow
def test_cdnow_random300_churn_check_runs_on_nine_months(cdnow_bundles, captured):
    from kamtools.sections import churn

    page = _section(churn, cdnow_bundles["random300"], None, captured)
    assert "this portfolio has 9 months of order history" in page
    assert "that needs 9 months of orders" not in page
    assert "fitted on the orders up to 1997-03-30 it gave the 300 accounts active then a mean of 61%" in page
    assert "a churn score, not a probability" in page  # it missed by 11 points: still a score


@pytest.mark.slow
def test_cdnow_top300_decks_say_why_slides_are_empty_and_show_no_empty_column(cdnow_bundles, tmp_path):
    pytest.importorskip("pptx")
    from kamtools.deck.files import write_decks

    summary = write_decks(
        cdnow_bundles["top300"], tmp_path / "decks", accounts=["C07592"], progress=False, portfolio=True
    )
    [deck] = [p for p in (tmp_path / "decks").rglob("*.pptx") if p.resolve() != summary.portfolio]
    mine, review = _slides(deck), _slides(summary.portfolio)
    competitors = mine["Competitors"]
    assert "Neither opportunities nor competitor_prices were supplied" in competitors
    assert "No competitive losses recorded" not in competitors
    assert "the data holds one product category (CDs)" in mine["Whitespace: what they could buy"]
    risks = mine["Risks and their drivers"]
    assert "No order for 19 days, where it usually orders every 2 days." in risks
    assert "no drivers listed" not in risks
    at_risk = review["Revenue at risk"]
    assert "Account | Churn | Band | At risk" in at_risk and "Main driver" not in at_risk  # no empty column
    assert "Customer 22279 | 77% | high | 403" in at_risk


@pytest.mark.slow
def test_cdnow_top300_clusters_table_has_no_empty_growth_column(cdnow_bundles, captured):
    """12 months of orders: no cluster has a growth rate (the segment note says why), so no empty column."""
    from kamtools import display
    from kamtools.bundle import Bundle
    from kamtools.sections import segment

    figure, display.figure = display.figure, lambda *a, **k: None
    try:
        captured.clear()
        segment._clusters(Bundle.open(cdnow_bundles["top300"]))
    finally:
        display.figure = figure
    page = _text(captured)
    assert "Median revenue 12m" in page and "large, new, frequent orders" in page
    assert "Median growth rate" not in page


@pytest.mark.slow
def test_cdnow_top300_a_probability_just_under_the_high_band_reads_the_same_on_every_face(cdnow_bundles, captured):
    """C08671: 29.89%, medium band. The card and the index read 29.8%; the sentence under the card, the value
    section and the overview's table read 30%, the high band's edge."""
    from kamtools.sections import churn, value

    page = _section(churn, cdnow_bundles["top300"], "C08671", captured)
    assert "The estimated probability for this account is 29.8%." in page
    assert " 30% " not in page.replace("below 30%", "").replace("10% to 30%", "")
    assert "The churn section's 29.8% comes from the same value model" in _section(
        value, cdnow_bundles["top300"], "C08671", captured
    )
    overview = _section(churn, cdnow_bundles["top300"], None, captured)
    assert "C08671 Customer 08671 medium 29.8%" in overview


@pytest.mark.slow
def test_cdnow_random300_deck_on_nine_months_shows_no_empty_change(cdnow_bundles, tmp_path):
    """9 months of orders: no change against the last 12 months is known, and the deck read '5 ( on the last 12
    months)'; 4.90 keeps its decimals (it read 5)."""
    pytest.importorskip("pptx")
    from kamtools.deck.files import write_decks

    write_decks(cdnow_bundles["random300"], tmp_path / "decks", accounts=["C00162"], progress=False, portfolio=False)
    [deck] = list((tmp_path / "decks").rglob("*.pptx"))
    shown = _slides(deck)["Revenue and forecast"]
    assert "Forecast for the next 12 months: 4.90, based on the buying-rhythm model." in shown
    assert "( on" not in shown and "()" not in shown
