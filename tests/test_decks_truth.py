"""Decks tell what the bundle and the HTML report tell: the whitespace follows the ``recommended`` flag,
the portfolio digest shows the adverse changes first, the customer deck's sentences are true to the
figures, and the "since" slides carry the figures of the two bundles they compare."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pandas as pd
import pytest
from test_decks import RECOMMENDED_ID, hostile_bundle, slide_titles

pptx = pytest.importorskip("pptx")
from pptx import Presentation  # noqa: E402
from test_since import demo_pair  # noqa: E402, F401  (the two-date demo pair, a module fixture)

from kamtools.bundle import Bundle  # noqa: E402
from kamtools.deck.audience import deck_text, stake_amounts  # noqa: E402
from kamtools.deck.changes import (  # noqa: E402
    DIGEST_ROWS,
    DIGEST_SLIDES,
    digest_order,
    portfolio_slides,
    purchases_sentence,
)
from kamtools.deck.files import write_decks  # noqa: E402
from kamtools.deck.slides import Deck  # noqa: E402
from kamtools.deck.source import BundleRows  # noqa: E402
from kamtools.deck.template import default_template  # noqa: E402
from kamtools.deck.text import singular, wording  # noqa: E402

NOTHING_RECOMMENDED = "A0006"


def _slide_text(prs, title: str) -> str:
    slide = prs.slides[slide_titles(prs).index(title)]
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame and shape != slide.shapes.title:
            out.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            out += [c.text for row in shape.table.rows for c in row.cells]
    return "\n".join(out)


def _decks(bundle, out, accounts, audience="internal", **kw):
    summary = write_decks(bundle, out, accounts=accounts, audience=audience, progress=False, portfolio=False, **kw)
    assert summary.failed == {}
    return {a: Presentation(str(p)) for a, p in summary.written.items()}


# ---- 1. whitespace: the recommended flag, as the HTML report reads it ------------------------------------


def test_nothing_recommended_is_said_internally_and_never_put_to_the_customer(tmp_path):
    bundle = Bundle.open(hostile_bundle())
    recs = bundle.table("whitespace_recommendations")
    mine = recs[recs["account_id"] == NOTHING_RECOMMENDED]
    assert len(mine) and not mine["recommended"].any()
    internal = _decks(hostile_bundle(), tmp_path / "i", [NOTHING_RECOMMENDED, RECOMMENDED_ID])
    text = _slide_text(internal[NOTHING_RECOMMENDED], "Whitespace: what they could buy")
    assert text.startswith(
        "No category is recommended: every opportunity has an adoption probability below 10%, too low to be worth "
        "a KAM's time."
    )
    assert "Not recommended (adoption probability below 10%): " in text
    assert "Chance to start" not in text  # no table of unrecommended rows
    assert "Whitespace (expected value)\nnone recommended" in _slide_text(internal[NOTHING_RECOMMENDED], "At a glance")
    # the account with two recommended categories: exactly those in the table, the rest listed below it
    text = _slide_text(internal[RECOMMENDED_ID], "Whitespace: what they could buy")
    ranked = recs[recs["account_id"] == RECOMMENDED_ID].sort_values("rank")
    assert "Chance to start" in text and "25.0%" in text and "15.0%" in text
    for category in ranked["category"].head(2):
        assert f"\n{category}\n" in f"\n{text}\n"
    assert "Not recommended (adoption probability below 10%): " in text

    customer = _decks(hostile_bundle(), tmp_path / "c", [NOTHING_RECOMMENDED, RECOMMENDED_ID], "customer")
    prs = customer[NOTHING_RECOMMENDED]
    assert "Opportunities for you" not in slide_titles(prs)
    full = "\n".join(deck_text(prs))
    assert "Explore " not in full and "Present " not in full
    prs = customer[RECOMMENDED_ID]
    first, second = (str(c) for c in ranked["category"].head(2))
    assert "Opportunities for you" in slide_titles(prs)
    offered = _slide_text(prs, "Opportunities for you")
    assert first in offered and second in offered
    for category in ranked["category"].iloc[2:]:
        assert f"\n{category}\n" not in f"\n{offered}\n"
    assert f"Explore {first} and {second} together" in "\n".join(deck_text(prs))


@pytest.mark.slow
def test_uncalibrated_scores_are_named_so_and_nothing_is_offered(tmp_path):
    """p_adopt is NaN when the history was too short to calibrate: the slide speaks of scores, as the HTML does."""
    copy = tmp_path / "bundle"
    shutil.copytree(hostile_bundle(), copy)
    path = copy / "whitespace_recommendations.parquet"
    recs = pd.read_parquet(path)
    recs["p_adopt"] = float("nan")
    recs["expected_value"] = float("nan")
    recs["recommended"] = recs["score"] >= 0.1
    recs.to_parquet(path, index=False)
    mine = recs[recs["account_id"] == RECOMMENDED_ID]
    internal = _decks(copy, tmp_path / "i", [RECOMMENDED_ID])[RECOMMENDED_ID]
    text = _slide_text(internal, "Whitespace: what they could buy")
    assert "Probability" not in text and "Chance to start" not in text
    if mine["recommended"].any():
        assert "Score (not a probability)" in text and "not estimated" in text
    else:
        assert text.startswith("No category is listed: every opportunity scores below 10%.")
    assert "adoption probabilities" in text  # the bundle's reason (or the report's general sentence)
    glance = _slide_text(internal, "At a glance")
    assert "Whitespace (expected value)\nnot estimated (scores, not probabilities)" in glance
    customer = _decks(copy, tmp_path / "c", [RECOMMENDED_ID], "customer")[RECOMMENDED_ID]
    assert ("Opportunities for you" in slide_titles(customer)) == bool(mine["recommended"].any())


# ---- 2. the portfolio digest: adverse changes first, nothing hidden --------------------------------------


def _digest(n_raises: int) -> pd.DataFrame:
    """``n_raises`` forecast raises with large values at stake, then the adverse changes ranked below them."""
    rows = [
        ("forecast revision", f"Next-12-month forecast raised by {i}k (+10%), from 1k to 2k.", 900_000 - i * 1000)
        for i in range(n_raises)
    ]
    rows += [
        ("churn band", "Churn risk down from high to medium (40% to 20%).", 500_000),
        ("churn band", "Churn risk up from medium to high (24% to 35%).", 3_000),
        ("new high risk", "New high risk: Revenue falling in 1 categories: Premixes -28%.", 2_000),
        ("target slipping", "Expected attainment of the year's target down 5 pts, from 92% to 87%.", 1_000),
        ("forecast revision", "Next-12-month forecast cut by 5.0k (-10%), from 50.0k to 45.0k.", 500),
    ]
    df = pd.DataFrame(rows, columns=["kind", "sentence", "value_at_stake"])
    df.insert(0, "rank", range(1, len(df) + 1))
    df.insert(1, "account_id", [f"A{i:04d}" for i in range(len(df))])
    df.insert(2, "name", [f"Account {i}" for i in range(len(df))])
    df.insert(3, "owner", "K. Smith")
    return df


def _portfolio_tables(digest: pd.DataFrame) -> tuple[list[str], list[list[str]], str]:
    changes = SimpleNamespace(previous_as_of=pd.Timestamp("2026-09-30"), digest=digest, notes=[])
    deck = Deck(default_template().read_bytes(), None)
    portfolio_slides(changes)(deck, None)
    titles = [s.shapes.title.text for s in deck.prs.slides]
    rows, texts = [], []
    for slide in deck.prs.slides:
        for shape in slide.shapes:
            if getattr(shape, "has_table", False) and shape.has_table:
                rows += [[c.text for c in r.cells] for r in list(shape.table.rows)[1:]]
            elif shape.has_text_frame and shape != slide.shapes.title:
                texts.append(shape.text_frame.text)
    return titles, rows, "\n".join(texts)


def test_adverse_changes_ranked_low_lead_the_digest():
    titles, rows, text = _portfolio_tables(_digest(12))  # the adverse rows are ranked 14 to 17 of 17
    assert titles == [
        "Since the last review (2026-09-30): what changed",
        "Since the last review (2026-09-30): what changed (2 of 2)",
    ]
    kinds = [r[1] for r in rows]
    assert kinds[:4] == ["churn band", "new high risk", "target slipping", "forecast revision"]
    assert rows[0][2] == "Churn risk up from medium to high (24% to 35%)."
    assert rows[1][2] == "New high risk: Revenue falling in 1 category: Premixes -28%."
    assert rows[3][2].startswith("Next-12-month forecast cut")
    assert len(rows) == 17  # every change is shown: nothing cut below the cap
    assert "17 changes, 4 of them adverse" in text and "more: see" not in text


def test_a_long_digest_is_capped_and_says_how_many_are_left():
    digest = _digest(50)
    titles, rows, text = _portfolio_tables(digest)
    assert len(titles) == DIGEST_SLIDES and len(rows) == DIGEST_ROWS * DIGEST_SLIDES
    assert [r[1] for r in rows[:4]] == ["churn band", "new high risk", "target slipping", "forecast revision"]
    assert f"And {len(digest) - DIGEST_ROWS * DIGEST_SLIDES} more: see since.html." in text


# ---- 3. and 4. wording -----------------------------------------------------------------------------------


def test_purchases_sentence_is_true_to_the_change():
    deck = SimpleNamespace(currency="EUR")
    fell = purchases_sentence(100_000, 76_000, "30 Sep 2026", deck)
    assert fell == (
        "Your purchases over the last 12 months fell by €24.0k (-24%) since our review of 30 Sep 2026, to €76.0k."
    )
    assert "Thank you" not in fell
    same = purchases_sentence(28_224, 28_200, "30 Sep 2026", deck)
    assert (
        same == "Your purchases over the last 12 months are about unchanged since our review of 30 Sep 2026 (€28.2k)."
    )
    grew = purchases_sentence(500_900, 531_200, "30 Sep 2026", deck)
    assert grew.startswith("Your purchases over the last 12 months grew by €30.3k (+6%)") and "Thank you" in grew


def test_customer_since_counts_whole_years():
    from kamtools.deck.build import _customer_since

    as_of = pd.Timestamp("2026-10-31")
    assert _customer_since(pd.Timestamp("2016-01-15"), as_of) == "2016 (10 years)"
    assert _customer_since(pd.Timestamp("2015-12-20"), as_of) == "2015 (10 years)"  # 10.86 years: not 11
    assert _customer_since(pd.Timestamp("2025-10-31"), as_of) == "2025 (1 year)"
    assert _customer_since(pd.Timestamp("2026-03-01"), as_of) == "2026 (less than a year)"


def _service(prs) -> str:
    return _slide_text(prs, "Service")


def test_service_slide_says_only_what_the_complaints_data_shows(tmp_path):
    bundle = Bundle.open(hostile_bundle())
    comp = bundle.table("complaints_summary").set_index("account_id")
    prs = _decks(hostile_bundle(), tmp_path / "c", list(comp.index), "customer")
    seen = set()
    for account_id, c in comp.iterrows():
        text = _service(prs[account_id])
        assert "Orders, last 12 months" in text and "Orders delivered" not in text
        if c["complaints_12m"] == 0 and c["complaints_open"] == 0:
            assert "No complaints recorded in the last 12 months." in text
            seen.add("none")
        elif c["complaints_open"] > 0:
            assert "Every complaint" not in text
        elif c["resolved_12m"] >= c["complaints_12m"]:
            assert "Every complaint of the last 12 months has been resolved." in text
            seen.add("all resolved")
    assert "none" in seen
    # without a complaints table nothing is claimed about complaints
    copy = tmp_path / "bundle"
    shutil.copytree(hostile_bundle(), copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["tables"].pop("complaints_summary")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    (copy / "complaints_summary.parquet").unlink()
    text = _service(_decks(copy, tmp_path / "c2", [RECOMMENDED_ID], "customer")[RECOMMENDED_ID])
    assert "complaint" not in text.lower()


def test_sentences_use_the_singular_for_one_and_cut_at_a_word():
    assert singular("Revenue falling in 1 categories: Premixes") == "Revenue falling in 1 category: Premixes"
    assert singular("-1 pts") == "-1 pt" and singular("+11 pts") == "+11 pts" and singular("1.5 pts") == "1.5 pts"
    action = (
        "Win back the volume going to Brightwater Supply: review our price position and offer on the lost bids, "
        "and agree a response with sales management before the next bid"
    )
    cut = wording(action, 160)
    assert cut.endswith("before the\u2026") and len(cut) <= 160


def test_internal_price_gaps_say_what_each_compares(tmp_path):
    bundle = Bundle.open(hostile_bundle())
    threat = bundle.table("competitor_threat").dropna(subset=["price_gap"])
    if threat.empty:
        pytest.skip("no competitor price gap in the small portfolio")
    row = threat.iloc[0]
    prs = _decks(hostile_bundle(), tmp_path / "i", [row["account_id"]])[row["account_id"]]
    text = _slide_text(prs, "Competitors")
    assert "Price gaps compare different bids:" in text
    assert f"on our bids against {row['main_competitor']}, last 12 months (threat)" in text
    assert "compare the lost bids only" in text


# ---- 5. the since slides against the two-date demo pair --------------------------------------------------


@pytest.mark.slow
def test_since_slides_carry_the_two_bundles_figures(demo_pair, tmp_path):  # noqa: F811
    from kamtools.formatting import money
    from kamtools.review.since import compare_bundles

    cur, prev = demo_pair
    ch = compare_bundles(cur, prev)
    acct = str(ch.digest["account_id"].iloc[0])
    out = tmp_path / "out"
    summary = write_decks(cur.path, out, accounts=[acct], since=prev.path, progress=False)
    assert summary.failed == {}
    prs = Presentation(str(summary.written[acct]))
    when = str(prev.as_of.date())
    text = _slide_text(prs, f"Since the last review ({when})")
    one = ch.for_account(acct)
    for f in one.figures.itertuples():
        assert f.previous_text in text and f.current_text in text
    a = cur.accounts.set_index("account_id").loc[acct]
    b = prev.accounts.set_index("account_id").loc[acct]
    assert money(b["revenue_ltm"]) in text and money(a["revenue_ltm"]) in text
    # the portfolio digest: every adverse change of the comparison is on the first slides, before the rest
    portfolio = Presentation(str(summary.portfolio))
    shown = []
    for slide in portfolio.slides:
        if not slide.shapes.title.text.startswith(f"Since the last review ({when}): what changed"):
            continue
        for shape in slide.shapes:
            if getattr(shape, "has_table", False) and shape.has_table:
                shown += [(r.cells[0].text, r.cells[2].text) for r in list(shape.table.rows)[1:]]
    adverse = ch.digest[
        ch.digest["kind"].isin(["new high risk", "target slipping"])
        | ch.digest["sentence"].astype(str).str.startswith("Churn risk up")
    ]
    assert len(adverse)  # a month of the demo has adverse changes to show
    n = min(len(adverse), len(shown))
    wanted = {wording(s, 220) for s in adverse["sentence"].astype(str)}
    assert all(s in wanted for _, s in shown[:n])  # the adverse changes come first, however they rank
    assert [s for _, s in shown] == [wording(s, 220) for s in digest_order(ch.digest)["sentence"].head(len(shown))]
    if len(ch.digest) > len(shown):
        text = "\n".join(deck_text(portfolio))
        assert f"And {len(ch.digest) - len(shown)} more: see since.html." in text
    assert len(shown) == min(len(ch.digest), DIGEST_ROWS * DIGEST_SLIDES)
    # the customer deck: how their purchases moved, with both figures
    customer = write_decks(
        cur.path, out, accounts=[acct], since=prev.path, audience="customer", progress=False, portfolio=False
    )
    prs = Presentation(str(customer.written[acct]))
    spoken = prev.as_of.strftime("%d %b %Y").lstrip("0")
    text = _slide_text(prs, f"Since our last review ({spoken})")
    assert money(b["revenue_ltm"]) in text and money(a["revenue_ltm"]) in text
    assert "Thank you" not in text or a["revenue_ltm"] > b["revenue_ltm"]


def test_stake_amounts_are_checked_on_the_customer_deck():
    """The customer figure check covers the plan's value-at-stake amounts and share of wallet."""
    from kamtools.deck.audience import internal_terms

    bundle = Bundle.open(hostile_bundle())
    rows = BundleRows(bundle)
    checked = 0
    for account_id in bundle.account_ids():
        account = rows.account(account_id)
        terms = internal_terms(account)
        checked += len(stake_amounts(account))
        assert set(stake_amounts(account)) <= set(terms)
        sow = account.info.get("share_of_wallet")
        if sow is not None and sow == sow:
            assert f"{float(sow):.1%}" in terms
    assert checked > 0
