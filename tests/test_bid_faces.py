"""The faces of the bid desk: the account section, the overview page, the charts and the planner's bid lever.

They read only the bid tables of a bundle. Most tests use a small bundle written by hand here
(the shape of the bid stage's tables), so they do not depend on the engine's numbers; the slow
test renders the account report notebook on a real demo bundle.
"""

from __future__ import annotations

import html
import json
import re
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from kamtools import sections
from kamtools.bundle import BUNDLE_FORMAT, MANIFEST, Bundle
from kamtools.scenario_bids import bid_at_price

AS_OF = "2026-10-31"
SCRIPT = "<script>alert(1)</script>"
DOLLAR = "$x$ Acme $\\frac{1}{$"
BID_TABLES = (
    "bid_recommendations",
    "bid_curves",
    "bid_postmortem",
    "bid_loss_summary",
    "bid_calibration",
    "tender_calendar",
)
PORTFOLIO_LEVEL = {"bid_loss_summary", "bid_calibration", "bid_reliability", "bid_pipeline"}


def _curve(oid: str, account: str, amount: float, comp_price: float, cost: float) -> pd.DataFrame:
    price = np.round(np.linspace(85, 115, 61), 2)
    p = 1 / (1 + np.exp(16 * (price / comp_price - 1) - 0.3))
    margin = amount * (price - cost) / price
    return pd.DataFrame(
        {
            "opportunity_id": oid,
            "account_id": account,
            "price": price,
            "p_win": p,
            "p_win_low": np.clip(p - 0.08, 0, 1),
            "p_win_high": np.clip(p + 0.08, 0, 1),
            "expected_margin": p * margin,
        }
    )


def bid_tables(competitor: str = "Vetro") -> dict[str, pd.DataFrame]:
    """Bid tables of two accounts: A1 has two open bids, decided bids and a tender; A2 has none."""
    specs = [
        ("OP-1", "A1", 60000.0, 98.0, 80.0, 101.5, "Premixes", competitor),
        ("OP-2", "A1", 20000.0, 103.0, 85.0, 99.0, "Vitamins", "Kestrel"),
    ]
    curves, recs = [], []
    for oid, acct, amount, cp, cost, ours, cat, comp in specs:
        c = _curve(oid, acct, amount, cp, cost)
        curves.append(c)
        best = c.loc[c["expected_margin"].idxmax()]
        near = c[c["expected_margin"] >= 0.97 * best["expected_margin"]]
        now = bid_at_price(c, ours)
        recs.append(
            {
                "opportunity_id": oid,
                "account_id": acct,
                "category": cat,
                "competitor": comp,
                "amount": amount,
                "our_price": ours,
                "competitor_price": cp,
                "price_basis": "competitor price",
                "recommended_price": float(best["price"]),
                "price_low": float(near["price"].min()),
                "price_high": float(near["price"].max()),
                "floor_price": cost * 1.05,
                "p_win_current": now.p_win,
                "p_win_recommended": float(best["p_win"]),
                "expected_margin_current": now.expected_margin,
                "expected_margin_recommended": float(best["expected_margin"]),
                "expected_margin_gain": float(best["expected_margin"]) - now.expected_margin,
                "expected_margin_gain_low": (float(best["expected_margin"]) - now.expected_margin) * 0.5,
                "expected_margin_gain_high": (float(best["expected_margin"]) - now.expected_margin) * 1.5,
                "reason": f"{comp} quotes {cp:.1f}; the margin peaks below our current price",
            }
        )
    post = pd.DataFrame(
        {
            "opportunity_id": ["OP-9", "OP-8", "OP-7"],
            "account_id": "A1",
            "created_date": pd.to_datetime(["2025-01-10", "2025-04-02", "2025-09-01"]),
            "close_date": pd.to_datetime(["2025-03-01", "2025-06-20", "2025-11-15"]),
            "category": ["Premixes", "Vitamins", "Premixes"],
            "competitor": [competitor, "Kestrel", competitor],
            "status": ["won", "lost", "lost"],
            "our_price": [99.0, 106.0, 104.0],
            "competitor_price": [100.0, 98.0, 103.5],
            "price_gap_pct": [-0.01, 0.082, 0.005],
            "loss_reason": [None, "price", "relationship"],
            "loss_type": [None, "price", "other"],
            "p_win_at_time": [0.6, 0.2, 0.45],
            "recommended_price_at_time": [98.5, 99.0, 101.0],
        }
    )
    loss = pd.DataFrame(
        {
            "competitor": [competitor, competitor, "Kestrel"],
            "category": ["Premixes", "Vitamins", "Vitamins"],
            "n": [30, 12, 20],
            "won": [12, 5, 9],
            "lost": [18, 7, 11],
            "lost_on_price": [12, 2, 3],
            "lost_other": [6, 5, 8],
            "win_rate": [0.4, 5 / 12, 0.45],
            "mean_price_gap_pct": [0.04, 0.01, -0.02],
            "where_we_lose": ["on price", "other reasons", "other reasons"],
        }
    )
    calibration = pd.DataFrame(
        {
            "method": ["win model", "historical win rate", "per-competitor win rate"],
            "n": [400, 400, 400],
            "brier": [0.190, 0.249, 0.244],
            "log_loss": [0.565, 0.692, 0.681],
            "auc": [0.74, 0.5, 0.56],
            "calibration_in_the_large": [0.012, 0.03, 0.02],
        }
    )
    tenders = pd.DataFrame(
        {
            "account_id": ["A1", "A1"],
            "category": ["Premixes", competitor],
            "expected_month": ["2027-02", "2028-06"],
            "expected_value": [150000.0, 40000.0],
            "last_tender_date": pd.to_datetime(["2026-02-10", "2026-06-01"]),
            "n_past_tenders": [3, 2],
            "interval_months": [12.0, 24.0],
            "basis": ["yearly tender, 3 past", "contract end"],
            "confidence": ["high", "low"],
        }
    )
    reliability = pd.DataFrame(
        {
            "method": ["win model"] * 3 + ["historical win rate"],
            "bin_low": [0.1, 0.4, 0.7, 0.4],
            "bin_high": [0.2, 0.5, 0.8, 0.5],
            "n": [100, 200, 100, 400],
            "mean_predicted": [0.15, 0.45, 0.75, 0.47],
            "observed_rate": [0.17, 0.44, 0.71, 0.46],
        }
    )
    recs = pd.DataFrame(recs)
    gain = recs["expected_margin_gain"].sum()
    pipeline = pd.DataFrame(
        {
            "n_open_bids": [len(recs)],
            "amount": [recs["amount"].sum()],
            "expected_margin_current": [recs["expected_margin_current"].sum()],
            "expected_margin_recommended": [recs["expected_margin_recommended"].sum()],
            "expected_margin_gain": [gain],
            "expected_margin_gain_low": [0.7 * gain],
            "expected_margin_gain_high": [1.3 * gain],
            "min_margin_pct": [0.1],
            "max_discount_pct": [0.15],
            "max_increase_pct": [0.1],
            "near_best_pct": [0.02],
        }
    )
    return {
        "bid_pipeline": pipeline,
        "bid_reliability": reliability,
        "bid_recommendations": recs,
        "bid_curves": pd.concat(curves, ignore_index=True),
        "bid_postmortem": post,
        "bid_loss_summary": loss,
        "bid_calibration": calibration,
        "tender_calendar": tenders,
    }


def write_bundle(path, tables: dict[str, pd.DataFrame], skipped: dict[str, str] | None = None) -> Bundle:
    """A minimal bundle folder: accounts, the given tables and a manifest (what Bundle.open needs)."""
    path.mkdir(parents=True, exist_ok=True)
    accounts = pd.DataFrame({"account_id": ["A1", "A2"], "name": [f"Nordic {SCRIPT}", "Quiet Mills"]})
    meta = {}
    for name, df in {"accounts": accounts, **tables}.items():
        if "account_id" in df.columns:
            df = df.sort_values("account_id", kind="stable")
        df.to_parquet(path / f"{name}.parquet", index=False)
        meta[name] = {
            "stage": "bids",
            "rows": len(df),
            "columns": list(df.columns),
            "per_account": name not in PORTFOLIO_LEVEL,
        }
    manifest = {
        "format": BUNDLE_FORMAT,
        "as_of": AS_OF,
        "fingerprint": "test",
        "n_accounts": 2,
        "tables": meta,
        "skipped": skipped or {},
        "notes": {},
    }
    (path / MANIFEST).write_text(json.dumps(manifest))
    return Bundle.open(path)


@pytest.fixture
def bundle(tmp_path):
    return write_bundle(tmp_path / "b", bid_tables())


def _page(captured) -> str:
    return "".join(captured)


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


# ---- the account section ------------------------------------------------------------------------
def test_account_with_bids_shows_prices_curves_postmortem_and_tenders(bundle, captured):
    from kamtools.sections.bids import account_section

    account_section(bundle.account("A1"))
    page = _page(captured)
    text = _text(page)
    assert "Bids and tenders" in text and "Open bids: what to bid" in text
    recs = bundle.table("bid_recommendations").set_index("opportunity_id")
    for oid in ("OP-1", "OP-2"):
        r = recs.loc[oid]
        assert oid in text
        # the table and the sentence show the same recommended price and range
        assert f"{r['recommended_price']:.1f}" in text
        assert f"{r['price_low']:.1f} to {r['price_high']:.1f}" in text
        assert f"{r['p_win_current']:.0%} →" in text
    assert page.count('<img class="kam-fig"') == 2  # one curve per open bid
    assert "Post-bid analysis" in text and "OP-8" in text and "+8%" in text
    assert "we won 1 and lost 2: 1 of the losses was on price and 1 on other reasons" in text
    assert "Upcoming tenders" in text and "Feb 2027" in text
    assert "Jun 2028" not in text  # beyond the next 12 months
    assert "Next expected tender" in text
    assert "a margin of at least 10% and at most 15% below our current price) nor more than 10% above it" in text
    assert "within 2% of the best" in text


def test_sentence_agrees_with_the_table(bundle, captured):
    from kamtools.sections.bids import account_section, bid_sentence

    account_section(bundle.account("A1"))
    r = bundle.table("bid_recommendations").iloc[0].to_dict()
    sentence = bid_sentence(r)
    assert f"current price {r['our_price']:.1f}" in sentence
    assert f"{r['p_win_current']:.0%} probability" in sentence
    assert f"recommended {r['recommended_price']:.1f}" in sentence
    assert html.escape(sentence) in _page(captured)


def test_account_without_bids_says_so(bundle, captured):
    from kamtools.sections.bids import account_section

    account_section(bundle.account("A2"))
    text = _text(_page(captured))
    assert "This account has no open bids, so there is no price to recommend." in text
    assert "No bid of this account has been decided yet." in text
    assert "No recurring tender or contract end is known for this account" in text
    assert "kam-fig" not in _page(captured)


def test_tables_not_available_give_one_sentence_each(tmp_path, captured):
    reason = "The bid analysis was skipped: the opportunities table has no our_price column."
    b = write_bundle(tmp_path / "na", {}, skipped={name: reason for name in BID_TABLES})
    sections.account("bids", b.account("A1"))
    sections.portfolio("bids", b)
    page = _page(captured)
    assert "kam-error" not in page
    # account: open bids, post-bid, tenders; overview: pipeline, losses, calendar (the calibration is in the
    # overview's appendix)
    assert page.count(html.escape(reason)) == 6
    assert "Bids and tenders" in page and "Bid desk" in page


def test_tables_missing_from_an_older_bundle(tmp_path, captured):
    b = write_bundle(tmp_path / "old", {})
    sections.account("bids", b.account("A1"))
    sections.portfolio("bids", b)
    page = _page(captured)
    assert "kam-error" not in page
    assert "The analysis behind &#x27;bid_recommendations&#x27; was not run for this bundle." in page
    assert "The analysis behind &#x27;tender_calendar&#x27; was not run for this bundle." in page


def test_only_the_curves_missing(tmp_path, captured):
    tables = bid_tables()
    del tables["bid_curves"]
    b = write_bundle(tmp_path / "nc", tables)
    sections.account("bids", b.account("A1"))
    page = _page(captured)
    assert "kam-error" not in page and "OP-1" in page
    assert "The analysis behind &#x27;bid_curves&#x27; was not run for this bundle." in page


def test_hostile_names_are_escaped_in_html(tmp_path, captured):
    b = write_bundle(tmp_path / "evil", bid_tables(competitor=SCRIPT))
    sections.account("bids", b.account("A1"))
    sections.portfolio("bids", b)
    page = _page(captured)
    assert "kam-error" not in page
    assert "<script" not in page
    assert html.escape(SCRIPT) in page
    b2 = write_bundle(tmp_path / "dollar", bid_tables(competitor=DOLLAR))
    captured.clear()
    sections.account("bids", b2.account("A1"))
    assert "kam-error" not in _page(captured) and html.escape(DOLLAR) in _page(captured)


# ---- charts ---------------------------------------------------------------------------------------
def _drawn_texts(fig) -> list[Text]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    assert not [str(w.message) for w in caught]
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


@pytest.mark.parametrize("name", [SCRIPT, DOLLAR, "50% {0} %s", "two\nlines"])
def test_chart_strings_are_literal(name):
    from kamtools.plotting import bids as pb

    t = bid_tables(competitor=name)
    recs = t["bid_recommendations"]
    curve = t["bid_curves"][t["bid_curves"]["opportunity_id"] == "OP-1"]
    labels = pd.Series([f"{o} · {name}" for o in recs["opportunity_id"]], index=recs.index)
    calendar = t["tender_calendar"].assign(expected_month=["2027-02", "2027-05"])
    with matplotlib.rc_context({"text.parse_math": True}):
        figs = [
            (pb.bid_curve_chart(curve, 101.5, 96.0, 84.0, title=f"OP-1 against {name}"), f"OP-1 against {name}"),
            (pb.bid_curve_chart(curve, 101.5, 96.0, competitor=(f"{name} quoted", 98.0)), f"{name} quoted"),
            (pb.pipeline_gain_chart(recs, labels=labels, title=name), f"OP-1 · {name}"),
            (pb.loss_reasons_chart(t["bid_loss_summary"], title=name), name),
            (pb.tender_calendar_chart(calendar, title=name), name),
            (pb.reliability_chart(t["bid_reliability"].assign(method=name), title=name), name),
        ]
        for fig, expected in figs:
            try:
                texts = _drawn_texts(fig)
                shown = [x.get_text() for x in texts]
                assert any(expected in s or expected in s.replace("\n", " ") for s in shown), shown
                assert all(x.get_parse_math() is False for x in texts)
            finally:
                plt.close(fig)


def test_curve_chart_marks_sit_on_the_curves():
    from kamtools.plotting.bids import bid_curve_chart

    curve = bid_tables()["bid_curves"].query("opportunity_id == 'OP-1'")
    fig = bid_curve_chart(curve, current_price=101.5, recommended_price=96.0)
    try:
        texts = [t.get_text() for t in _drawn_texts(fig)]
        at = bid_at_price(curve, 101.5)
        assert f"{at.p_win:.0%}" in texts
        assert "current price 101.5" in texts and "recommended price 96.0" in texts
    finally:
        plt.close(fig)


# ---- the overview page ----------------------------------------------------------------------------
def test_overview_page(bundle, captured):
    from kamtools.sections.bids import portfolio_appendix

    sections.portfolio("bids", bundle)
    portfolio_appendix(bundle)  # the win model's calibration, in the overview's appendix
    page = _page(captured)
    text = _text(page)
    assert "kam-error" not in page
    assert "Open pipeline by expected margin gained" in text
    recs = bundle.table("bid_recommendations")
    total = recs["expected_margin_gain"].sum()
    from kamtools.display import money

    assert f"would add +{money(total)} of expected margin" in text
    # ranked: the larger gain comes first in the table
    first, second = recs.sort_values("expected_margin_gain", ascending=False)["opportunity_id"]
    assert text.index(first) < text.index(second)
    assert "Nordic" in text and html.escape(SCRIPT) in page  # account names, escaped
    assert (
        "Of 36 bids lost, 17 were lost on price (47% of those with a recorded reason) and 19 on other reasons." in text
    )
    assert (
        "Price decides most against Vetro (56% of 25 losses with a reason) and least against Kestrel (27% of 11)"
        in text
    )
    assert f"(90% band +{money(0.7 * total)} to +{money(1.3 * total)})" in text
    assert "the win model scores a Brier score of 0.190 against 0.244 for the per-competitor win rate" in text
    assert "its probabilities are the better guide" in text
    assert "(lower is better; a coin flip scores 0.25 and 0.69)" in text
    assert "Tender calendar, next 12 months" in text and "Feb 2027" in text and "Jun 2028" not in text
    assert page.count('<img class="kam-fig"') == 4  # pipeline, losses, reliability, calendar
    assert "Where price costs us most: competitor and category" in text


def test_overview_with_no_open_bids(tmp_path, captured):
    tables = bid_tables()
    tables["bid_recommendations"] = tables["bid_recommendations"].iloc[0:0]
    tables["bid_curves"] = tables["bid_curves"].iloc[0:0]
    b = write_bundle(tmp_path / "none", tables)
    sections.portfolio("bids", b)
    text = _text(_page(captured))
    assert "There are no open bids in the portfolio, so there is no price to recommend." in text


# ---- the lever ------------------------------------------------------------------------------------
def test_lever_matches_the_curve_at_grid_points_and_between():
    curve = bid_tables()["bid_curves"].query("opportunity_id == 'OP-1'").reset_index(drop=True)
    for i in (0, 10, 30, 60):
        row = curve.iloc[i]
        point = bid_at_price(curve, row["price"])
        assert point.p_win == pytest.approx(row["p_win"])
        assert point.expected_margin == pytest.approx(row["expected_margin"])
        assert point.p_win_low == pytest.approx(row["p_win_low"]) and not point.clipped
    a, b = curve.iloc[20], curve.iloc[21]
    mid = bid_at_price(curve, (a["price"] + b["price"]) / 2)
    assert mid.p_win == pytest.approx((a["p_win"] + b["p_win"]) / 2)
    assert mid.expected_margin == pytest.approx((a["expected_margin"] + b["expected_margin"]) / 2)
    # outside the grid: held at the end, and says so
    far = bid_at_price(curve, 150.0)
    assert far.clipped and far.price == curve["price"].max() and far.p_win == pytest.approx(curve["p_win"].iloc[-1])
    with pytest.raises(ValueError, match="no rows"):
        bid_at_price(curve.iloc[0:0], 100.0)


def test_bid_lever_panel_moves_with_the_price(bundle):
    pytest.importorskip("ipywidgets")
    from kamtools.scenario_bids import BidLever

    lever = BidLever(bundle)
    lever.set_account("A1")
    recs = bundle.table("bid_recommendations").sort_values("expected_margin_gain", ascending=False)
    top = recs.iloc[0]
    assert lever.picker.value == top["opportunity_id"]
    assert lever.price.value == pytest.approx(top["our_price"])
    curve = lever.curve()
    assert lever.point.p_win == pytest.approx(bid_at_price(curve, top["our_price"]).p_win)
    lever.price.value = 97.0
    expected = bid_at_price(curve, 97.0)
    assert lever.point.p_win == pytest.approx(expected.p_win)
    assert lever.point.expected_margin == pytest.approx(expected.expected_margin)
    assert f"data-value='{expected.p_win:.6g}'" in lever.output.value
    lever.recommended_button.click()
    assert lever.price.value == pytest.approx(top["recommended_price"])
    # at the recommended price the lever shows the recommendations table's figures (as the report does)
    assert lever.point.p_win == pytest.approx(top["p_win_recommended"])
    assert lever.point.expected_margin == pytest.approx(top["expected_margin_recommended"])
    assert f"{top['p_win_recommended']:.0%}" in lever.output.value
    lever.select(recs.iloc[1]["opportunity_id"])
    assert lever.price.value == pytest.approx(recs.iloc[1]["our_price"])
    lever.set_account("A2")
    assert "This account has no open bids." in lever.output.value and lever.picker.disabled
    lever.set_account(None)
    assert "Pick one account" in lever.output.value


def test_bid_lever_escapes_and_survives_missing_tables(tmp_path):
    pytest.importorskip("ipywidgets")
    from kamtools.scenario_bids import BidLever

    b = write_bundle(tmp_path / "evil", bid_tables(competitor=SCRIPT))
    lever = BidLever(b)
    lever.set_account("A1")
    assert "<script" not in lever.output.value and html.escape(SCRIPT) in lever.output.value
    assert any(SCRIPT in label for label, _ in lever.picker.options)  # a Dropdown label is text, not HTML
    lever = BidLever(write_bundle(tmp_path / "none", {}))
    lever.set_account("A1")
    assert "bid_recommendations" in lever.output.value and lever.point is None


# ---- a real bundle: the report notebook and the planner -------------------------------------------
@pytest.fixture(scope="module")
def demo_bid_bundle(tmp_path_factory):
    """A small generated portfolio analysed with the scenario stages and the bid tables."""
    from test_scenario import add_table

    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio
    from kamtools.stages import STAGES

    portfolio, _ = make_portfolio(n_accounts=40, years=4, seed=4)
    path = tmp_path_factory.mktemp("bid-demo") / "bundle"
    wanted = ["value", "segment", "whitespace", "kpis", "scenario", "bids"]
    analyze(portfolio, path, stages=[s.name for s in STAGES if s.name in wanted], progress=False)
    if not Bundle.open(path).has("bid_recommendations"):  # a kamtools whose stage list does not name the bids yet
        from kamtools.bids import bundle_tables

        for name, table in bundle_tables(portfolio, {}).items():
            if isinstance(table, pd.DataFrame):
                add_table(path, name, table)
    bundle = Bundle.open(path)
    assert isinstance(bundle.table("bid_recommendations"), pd.DataFrame)
    return bundle


def _busiest(bundle) -> str:
    recs = bundle.table("bid_recommendations")
    return str(recs.groupby("account_id").size().sort_values(kind="stable").index[-1])


@pytest.mark.slow
def test_account_report_notebook_shows_the_bid_section(demo_bid_bundle, tmp_path):
    import nbformat
    import papermill as pm

    from kamtools.reports import default_notebook

    account = _busiest(demo_bid_bundle)
    source = nbformat.read(default_notebook("account"), as_version=4)
    assert all(not c.get("outputs") for c in source.cells if c.cell_type == "code")  # committed without outputs
    out = tmp_path / "report.ipynb"
    pm.execute_notebook(
        str(default_notebook("account")),
        str(out),
        parameters={"account_id": account, "bundle": str(demo_bid_bundle.path)},
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=600,
    )
    from kamtools.sections.bids import CHARTS_PER_ACCOUNT

    nb = nbformat.read(out, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and 'sections.account("bids"' in c.source)
    markup = "".join("".join(o.get("data", {}).get("text/html", "")) for o in cell.outputs)
    assert not any(o.get("output_type") == "error" for o in cell.outputs)
    assert not any(sections.SECTION_ERROR_KEY in o.get("metadata", {}) for o in cell.outputs)
    assert 'id="sec-bids"' in markup and "Open bids: what to bid" in markup
    recs = demo_bid_bundle.account(account).table("bid_recommendations")
    for r in recs.itertuples():
        assert r.opportunity_id in markup and f"{r.recommended_price:.1f}" in markup
    assert markup.count('<img class="kam-fig"') == min(len(recs), CHARTS_PER_ACCOUNT)


@pytest.mark.slow
def test_planner_bid_lever_reads_the_curves(demo_bid_bundle):
    pytest.importorskip("ipywidgets")
    from kamtools.widgets import ScenarioPlanner

    account = _busiest(demo_bid_bundle)
    planner = ScenarioPlanner(demo_bid_bundle, scope=f"account:{account}", debounce=0, chart=False)
    lever = planner.bid_lever
    recs = demo_bid_bundle.account(account).table("bid_recommendations")
    assert {v for _, v in lever.picker.options} == set(recs["opportunity_id"])
    curve = lever.curve()
    row = recs.set_index("opportunity_id").loc[lever.picker.value]
    anchors = [row["our_price"], row["recommended_price"]]
    prices = [p for p in curve["price"] if min(abs(p - a) for a in anchors) > 0.1]
    for price in (prices[0], prices[len(prices) // 2], prices[-1]):
        lever.price.value = float(price)
        expected = bid_at_price(curve, lever.price.value)
        assert lever.point.p_win == pytest.approx(expected.p_win)
        assert lever.point.expected_margin == pytest.approx(expected.expected_margin)
    # the scenario levers are untouched by the bid lever
    assert planner.result.scenario.is_neutral
    planner.set_scope("portfolio")
    assert "Pick one account" in lever.output.value
    assert lever.point is None and lever.picker.disabled and lever.price.disabled


def test_next_twelve_months_start_after_the_data_date():
    from kamtools.sections.bids import upcoming_tenders

    cal = pd.DataFrame(
        {
            "account_id": "A1",
            "expected_month": pd.to_datetime(["2026-10-01", "2026-11-01", "2027-10-01", "2027-11-01"]),
            "expected_value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    kept = upcoming_tenders(cal, pd.Timestamp("2026-10-31"))
    assert kept["expected_value"].tolist() == [2.0, 3.0]  # November to October
    assert upcoming_tenders(cal, pd.Timestamp("2026-10-15"))["expected_value"].tolist() == [1.0, 2.0]


def test_postmortem_losses_without_a_reason_and_bids_the_model_could_not_score():
    from kamtools.sections.bids import postmortem_sentence, postmortem_table

    post = bid_tables()["bid_postmortem"]
    post.loc[2, ["loss_reason", "loss_type"]] = [None, "unknown"]
    post.loc[0, "p_win_at_time"] = np.nan
    sentence = postmortem_sentence(post)
    assert "lost 2: 1 of the losses was on price and 0 on other reasons, 1 without a recorded reason." in sentence
    shown = postmortem_table(post).set_index("opportunity_id")
    assert shown.loc["OP-7", "reason_text"] == "not recorded"
    assert shown.loc["OP-9", "p_text"] == "n/a (too few earlier bids)" and shown.loc["OP-9", "reason_text"] == ""


def test_lever_point_shows_the_table_figures_at_the_current_and_recommended_price():
    from kamtools.scenario_bids import lever_point

    t = bid_tables()
    row = t["bid_recommendations"].iloc[0].to_dict()
    curve = t["bid_curves"].query("opportunity_id == @row['opportunity_id']")
    # the table's figures differ a little from the curve's (a price rounded to one decimal)
    row.update(p_win_recommended=row["p_win_recommended"] + 0.004, expected_margin_recommended=12345.0)
    at_rec = lever_point(row, curve, row["recommended_price"] + 0.04)
    assert at_rec.p_win == row["p_win_recommended"] and at_rec.expected_margin == 12345.0
    assert np.isfinite(at_rec.p_win_low)  # the band still from the curve
    away = lever_point(row, curve, row["recommended_price"] + 1.0)
    assert away == bid_at_price(curve, row["recommended_price"] + 1.0)


# ---- the evidence rules: bids kept at their current price -----------------------------------------
HELD_REASON = (
    "Keep {p:.1f}: in a test on past bids the win model's probabilities came no closer to the outcomes than the "
    "per-competitor win rate's (Brier score 0.251 against 0.244; lower is closer), so kamtools shows that rate's P(win) and recommends no price change (P(win) 40%, expected "
    "margin 5k)."
)
NO_RESPONSE_REASON = (
    "Keep {p:.1f}: no competitor price is known and past bids without one show no measurable price response "
    "(over 288 decided bids without a quote, the slope of wins on our price gap to the index is -0.4 with a "
    "standard error of 13.7), so kamtools does not recommend a change; get the competitor's quote or a price "
    "from the market to price this bid (P(win) 58%, expected margin 3.9k from the account's record on bids "
    "without a quote)."
)


def held_tables(which: str) -> dict[str, pd.DataFrame]:
    """The hand-made bid tables with bids an evidence rule keeps at their price: every bid ("baseline": the
    win model's Brier score 0.251 loses to the per-competitor rate's 0.244) or OP-2 only ("no response")."""
    tables = bid_tables()
    recs = tables["bid_recommendations"].copy()
    held = recs["opportunity_id"] == "OP-2" if which == "no response" else recs["opportunity_id"].notna()
    template = NO_RESPONSE_REASON if which == "no response" else HELD_REASON
    for col in ("recommended_price", "price_low", "price_high"):
        recs.loc[held, col] = recs.loc[held, "our_price"]
    recs.loc[held, "p_win_recommended"] = recs.loc[held, "p_win_current"]
    recs.loc[held, "expected_margin_recommended"] = recs.loc[held, "expected_margin_current"]
    for col in ("expected_margin_gain", "expected_margin_gain_low", "expected_margin_gain_high"):
        recs.loc[held, col] = 0.0
    recs.loc[held, "reason"] = [template.format(p=p) for p in recs.loc[held, "our_price"]]
    tables["bid_recommendations"] = recs
    tables["bid_curves"] = tables["bid_curves"][
        ~tables["bid_curves"]["opportunity_id"].isin(recs["opportunity_id"][held])
    ]
    gain = recs["expected_margin_gain"].sum()
    tables["bid_pipeline"] = tables["bid_pipeline"].assign(
        expected_margin_gain=gain, expected_margin_gain_low=0.7 * gain, expected_margin_gain_high=1.3 * gain
    )
    if which == "baseline":
        tables["bid_calibration"] = tables["bid_calibration"].assign(brier=[0.251, 0.249, 0.244])
    return tables


def test_overview_says_once_that_a_losing_win_model_changes_no_price(tmp_path, captured):
    from kamtools.sections.bids import portfolio_appendix

    b = write_bundle(tmp_path / "lose", held_tables("baseline"))
    sections.portfolio("bids", b)
    portfolio_appendix(b)
    text = _text(_page(captured))
    said = (
        "In a test on past bids the win model's probabilities came no closer to the outcomes than the per-competitor "
        "win rate's (Brier score 0.251 against 0.244; lower is closer), so every P(win) below is that rate's and no price change is recommended"
    )
    assert text.count(said) == 1
    assert "The scenario planner's bid lever shows no curve for the same reason." in text
    # every bid keeps its price: no "would add ±0 of expected margin (90% band ±0 to ±0)", no chart of zero gains
    assert "Every one keeps its current price, at which the expected margin is" in text
    assert "±0" not in text and "would add" not in text and "Gain = expected margin" not in text
    assert "none Price changes recommended" in " ".join(text.split())  # the card: its value, then its label
    assert "Expected margin gained at recommended prices" not in text
    assert (
        "it does not beat that baseline, so the bid desk shows that baseline's win probabilities and recommends "
        "no price change." in text
    )
    assert "read its probabilities with care" not in text and "its probabilities are the better guide" not in text
    assert HELD_REASON.format(p=101.5) in text


def test_the_post_bid_table_shows_no_recommended_price_where_the_win_model_lost(tmp_path, captured):
    # the open bids keep their price because the win model came no closer than a plain rate; the decided bids'
    # table must not go on quoting the price that same model "would have recommended"
    b = write_bundle(tmp_path / "lose", held_tables("baseline"))
    sections.account("bids", b.account("A1"))
    text = " ".join(_text(_page(captured)).split())
    assert "Post-bid analysis" in text and "OP-8" in text
    assert "Price it would have recommended" not in text
    assert "P(win) the model gave then" in text
    assert (
        "No price it would have recommended is shown: in a test on past bids the win model came no closer to the "
        "outcomes than the per-competitor win rate, so kamtools recommends no price change, for these bids as for "
        "the open ones." in text
    )


def test_the_post_bid_table_shows_the_recommended_price_where_the_win_model_won(bundle, captured):
    sections.account("bids", bundle.account("A1"))
    text = " ".join(_text(_page(captured)).split())
    assert "Price it would have recommended" in text and "No price it would have recommended" not in text


def test_overview_counts_the_bids_without_a_measurable_response(tmp_path, captured):
    b = write_bundle(tmp_path / "flat", held_tables("no response"))
    sections.portfolio("bids", b)
    text = _text(_page(captured))
    assert (
        "1 of the 2 open bids has no competitor price, and past bids without one show no measurable price "
        "response, so it keeps its current price (no gain claimed, no curve)"
    ) in text
    assert "Out of time the win model's Brier score" not in text  # the model wins here (0.190 against 0.244)


def test_account_section_and_lever_say_why_a_held_bid_has_no_curve(tmp_path, captured):
    b = write_bundle(tmp_path / "flat", held_tables("no response"))
    sections.account("bids", b.account("A1"))
    text = _text(_page(captured))
    assert "No curve is drawn for this bid: kamtools recommends no price change (the Why column says why)." in text
    assert NO_RESPONSE_REASON.format(p=99.0) in text
    pytest.importorskip("ipywidgets")
    from kamtools.scenario_bids import BidLever

    lever = BidLever(b)
    lever.set_account("A1")
    lever.select("OP-2")
    assert lever.point is None
    assert (
        "No price curve is shown for this bid, because kamtools recommends no price change. "
        + NO_RESPONSE_REASON.format(p=99.0)
    ) in html.unescape(lever.output.value)
    lever.select("OP-1")  # the quoted bid keeps its curve
    assert lever.point is not None and "data-value" in lever.output.value
    lose = BidLever(write_bundle(tmp_path / "lose", held_tables("baseline")))
    lose.set_account("A1")
    assert lose.point is None and "no closer to the outcomes" in html.unescape(lose.output.value)


# ---- kept bids, index prices, the pooling sentence ---------------------------------------------------
POOLED = (
    "The account's own 17 decided bids carry 25% weight (recent ones count more) and the portfolio's record the "
    "rest (a thin or old record leans on the portfolio)."
)


def kept_tables() -> dict[str, pd.DataFrame]:
    """The hand-made tables with OP-2 kept at 99.0 (inside its good range), priced from the index (97.0), and
    OP-1 against a competitor not recorded; both reasons end with the account's pooling sentence."""
    tables = bid_tables()
    recs = tables["bid_recommendations"].copy()
    two = recs["opportunity_id"] == "OP-2"
    recs.loc[two, ["recommended_price", "price_low", "price_high"]] = [99.0, 95.5, 100.5]
    recs.loc[two, "p_win_recommended"] = recs.loc[two, "p_win_current"]
    recs.loc[two, "expected_margin_recommended"] = recs.loc[two, "expected_margin_current"]
    recs.loc[two, ["expected_margin_gain", "expected_margin_gain_low", "expected_margin_gain_high"]] = 0.0
    recs.loc[two, "competitor_price"] = np.nan
    recs["competitor_price_used"] = np.where(two, 97.0, recs["competitor_price"])
    recs.loc[two, "reason"] = (
        "Keep 99.0: it is already within the range of near-best prices (95.5-100.5); Kestrel's price index is 102 "
        "(about 97.0 against our 99.0); at 99.0 we are 2% over their price with a margin of 14%; P(win) 40%, "
        "expected margin 5k."
    )
    recs.loc[~two, "competitor"] = "(not recorded)"
    recs["reason"] = recs["reason"] + " " + POOLED
    tables["bid_recommendations"] = recs
    return tables


def test_a_kept_bid_reads_keep_with_its_reason_and_no_zero_range(tmp_path, captured):
    b = write_bundle(tmp_path / "kept", kept_tables())
    sections.account("bids", b.account("A1"))
    text = " ".join(_text(_page(captured)).split())
    assert "keep 99.0 (good 95.5 to 100.5)" in text
    assert "none: keep" in text and "±0" not in text and "99.0 to 99.0" not in text
    assert "it is already within the range of near-best prices (95.5-100.5)" in text
    assert "OP-2 (Vitamins, against Kestrel, value 20.0k): keep our current price 99.0, at which we win" in text
    assert "a change of" not in text.split("OP-2 (Vitamins")[1].split(".")[0]
    # the competitor's price from the index is shown and marked
    assert "99.0 (97.0, from the index)" in text and "(unknown)" not in text
    # a competitor not recorded reads as such, never as "(not recorded)"
    assert "against no known competitor" in text and "against (not recorded)" not in text
    # the pooling sentence once, above the table, not in every row's Why
    assert text.count(POOLED) == 1
    assert text.index(POOLED) < text.index("Why")


def test_the_overview_table_says_keep_and_the_rules_say_what_keep_means(tmp_path, captured):
    b = write_bundle(tmp_path / "kept", kept_tables())
    sections.portfolio("bids", b)
    text = " ".join(_text(_page(captured)).split())
    assert "keep 99.0 (good 95.5 to 100.5)" in text and "none: keep" in text
    assert "1 bid would go lower and 0 higher (median change " in text and ", 1 keeps its price." in text
    assert (
        "A bid keeps its current price ('keep') when that price already lies in the good range, or when the best "
        "price gains margin in fewer than 2 of 3 draws of that uncertainty" in text
    )
    assert POOLED not in text  # the overview says how records are pooled in general, once
    assert text.count("Each account's own decided bids are pooled with the portfolio's record") == 1


def test_loss_counts_agree_in_number():
    from kamtools.sections.bids import postmortem_sentence

    post = bid_tables()["bid_postmortem"]
    assert "lost 2: 1 of the losses was on price and 1 on other reasons." in postmortem_sentence(post)
    post.loc[2, ["loss_reason", "loss_type"]] = ["price too high", "price"]
    assert "lost 2: 2 of the losses were on price and 0 on other reasons." in postmortem_sentence(post)
    # one decided bid, one loss: the quick demo read "Of the account's 1 decided bids we won 0 and lost 1: 1 of the
    # losses was on price and 0 on other reasons."
    one = post[post["status"].astype(str) == "lost"].head(1)
    assert postmortem_sentence(one).startswith("Of the account's 1 decided bid we won 0 and lost 1: the loss was on ")


def test_a_pipeline_of_one_bid_reads_in_the_singular():
    from kamtools.sections.bids.tables import pipeline_sentence

    recs = bid_tables()["bid_recommendations"].head(1)
    assert pipeline_sentence(recs).startswith("1 open bid from 1 account, worth ")


def test_the_curve_chart_marks_the_competitors_price():
    from kamtools.plotting.bids import bid_curve_chart

    curve = bid_tables()["bid_curves"].query("opportunity_id == 'OP-1'")
    fig = bid_curve_chart(curve, current_price=101.5, recommended_price=96.0, competitor=("Vetro quoted", 98.0))
    try:
        texts = [t.get_text() for t in _drawn_texts(fig)]
        assert " Vetro quoted" in texts and "Vetro quoted 98.0" in texts  # the line's label and the legend's
        xs = {
            round(float(line.get_xdata()[0]), 3) for ax in fig.axes for line in ax.get_lines() if len(line.get_xdata())
        }
        assert 98.0 in xs
    finally:
        plt.close(fig)


def test_a_kept_price_is_marked_once_on_the_curve_chart():
    from kamtools.plotting.bids import bid_curve_chart

    curve = bid_tables()["bid_curves"].query("opportunity_id == 'OP-1'")
    fig = bid_curve_chart(curve, current_price=99.0, recommended_price=99.0)
    try:
        texts = [t.get_text() for t in _drawn_texts(fig)]
        assert "current price to keep 99.0" in texts
        assert not any(t.startswith("recommended price") for t in texts)
    finally:
        plt.close(fig)


def test_the_post_bid_table_names_no_competitor_when_none_was_recorded():
    from kamtools.sections.bids import postmortem_table

    post = bid_tables()["bid_postmortem"].assign(competitor="(not recorded)")
    assert set(postmortem_table(post)["competitor_text"]) == {"none known"}
