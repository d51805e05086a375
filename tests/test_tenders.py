"""The tender calendar's contract ends (the optional opportunities.contract_end) and the demo's
planted recurring tenders (issue 21)."""

from __future__ import annotations

import pandas as pd
import pytest
from _factory import valid_tables, write_folder

from kamtools.bids.tenders import RFQ_LEAD_MONTHS, tender_calendar
from kamtools.cli import main
from kamtools.data.loader import load_portfolio
from kamtools.data.portfolio import Portfolio
from kamtools.data.validation import DataValidationError

AS_OF = pd.Timestamp("2026-10-31")


def _portfolio(rows: list[dict], as_of: pd.Timestamp = AS_OF) -> Portfolio:
    """A tiny portfolio (the factory's accounts, products and orders) with these opportunities."""
    t = valid_tables()
    opp = pd.DataFrame(rows)
    for col in ("created_date", "close_date", "contract_end"):
        if col in opp.columns:
            opp[col] = pd.to_datetime(opp[col])
    opp = opp.assign(opportunity_id=[f"OP-{i}" for i in range(len(opp))], stage="Closed", probability=1.0)
    tables = {
        "accounts": t["accounts"].assign(customer_since=pd.to_datetime(t["accounts"]["customer_since"])),
        "products": t["products"],
        "orders": t["orders"].assign(order_date=pd.to_datetime(t["orders"]["order_date"])),
        "opportunities": opp,
    }
    return Portfolio(tables=tables, as_of=as_of)


def _bid(created: str, amount: float, status: str = "won", contract_end: str | None = None, **kw) -> dict:
    close = pd.Timestamp(created) + pd.Timedelta(days=45)
    row = {
        "account_id": "A001",
        "created_date": created,
        "close_date": close,
        "status": status,
        "amount": amount,
        "category": "Premixes",
    }
    if contract_end is not None:
        row["contract_end"] = contract_end
    return row | kw


def test_a_contract_end_predicts_the_renewal_tender_with_the_lead_time_and_its_value():
    p = _portfolio(
        [
            _bid("2026-02-10", 80_000.0, contract_end="2027-03-31"),
            _bid("2026-02-20", 20_000.0, contract_end="2027-03-31"),  # a second lot of the same contract
            _bid("2025-06-01", 5_000.0, status="lost"),
            _bid("2026-05-01", 7_000.0, contract_end=None, category="Vitamins"),  # won, end unknown: nothing
        ]
    )
    cal = tender_calendar(p)
    assert RFQ_LEAD_MONTHS == 3
    assert len(cal) == 1
    row = cal.iloc[0]
    assert row["account_id"] == "A001" and row["category"] == "Premixes"
    assert row["expected_month"] == pd.Timestamp("2026-12-01")  # 3 months before March 2027
    assert row["expected_value"] == 100_000.0  # the contract: both won lots
    assert row["contract_end"] == pd.Timestamp("2027-03-31")
    assert row["source"] == "contract end" and row["confidence"] == "high"
    assert row["basis"] == "contract end 2027-03 (won 2026-02): RFQ expected 3 months before"


def test_contract_ends_before_as_of_or_beyond_the_horizon_predict_nothing():
    p = _portfolio(
        [
            _bid("2025-01-10", 50_000.0, contract_end="2026-06-30"),  # ended: its renewal is history
            _bid("2026-05-10", 60_000.0, contract_end="2029-12-31", category="Vitamins"),  # RFQ after 18 months
            _bid("2026-06-10", 70_000.0, status="lost", contract_end="2027-06-30", category="Enzymes"),
        ]
    )
    assert tender_calendar(p).empty


def test_a_due_renewal_is_expected_next_month_unless_its_tender_is_in_the_data():
    due = [_bid("2025-12-01", 50_000.0, contract_end="2026-12-31")]  # RFQ expected 2026-09, nothing since
    cal = tender_calendar(_portfolio(due))
    assert cal["expected_month"].tolist() == [pd.Timestamp("2026-11-01")]
    assert cal["basis"].iloc[0].endswith("; due since 2026-09 and not in the data yet")
    opened = [*due, _bid("2026-09-20", 52_000.0, status="open")]  # the renewal tender is under way
    assert tender_calendar(_portfolio(opened)).empty


def test_a_rhythm_and_a_contract_end_for_the_same_tender_give_one_row():
    rows = [_bid(d, v, status="lost") for d, v in (("2023-02-06", 90_000.0), ("2024-02-12", 95_000.0))]
    rows.append(_bid("2025-02-03", 100_000.0, contract_end="2026-04-30"))
    rows.append(_bid("2026-02-09", 98_000.0, contract_end="2027-04-30"))
    cal = tender_calendar(_portfolio(rows))
    mine = cal[cal["category"] == "Premixes"]
    # the rhythm expects February 2027, the contract end January 2027: one tender, the contract end's row
    first = mine.iloc[0]
    assert first["expected_month"] == pd.Timestamp("2027-01-01")
    assert first["source"] == "contract end and rhythm"
    assert first["expected_value"] == 98_000.0
    assert first["basis"] == (
        "contract end 2027-04 (won 2026-02): RFQ expected 3 months before; also tendered Premixes in "
        "2023-02, 2024-02, 2025-02 and 2026-02: about yearly"
    )
    assert first["interval_months"] == pytest.approx(12.0, abs=0.3)
    # the rhythm's tender a year later is counted on from the contract end's tender (January), not from its own
    assert mine["source"].tolist() == ["contract end and rhythm", "rhythm"]
    assert mine["expected_month"].iloc[1] == pd.Timestamp("2028-01-01")
    assert mine["basis"].iloc[1].endswith("; counted on from the contract end's tender of 2027-01")


def test_ordinary_bids_between_tenders_do_not_hide_the_rhythm():
    rows = [_bid(d, 100_000.0 + i, status="lost") for i, d in enumerate(["2023-03-10", "2024-03-05", "2025-04-02"])]
    rows += [_bid("2023-09-01", 4_000.0, status="lost"), _bid("2024-10-15", 150_000.0, status="lost")]
    cal = tender_calendar(_portfolio(rows, as_of=pd.Timestamp("2025-10-31")))
    assert cal["expected_month"].tolist() == [pd.Timestamp("2026-04-01"), pd.Timestamp("2027-04-01")]
    assert cal["basis"].iloc[0] == (
        "tendered Premixes in 2023-03, 2024-03 and 2025-04: about yearly "
        "(2 other tenders of the category apart, of other values)"
    )


def test_without_the_contract_end_column_the_calendar_uses_the_rhythm_only(tmp_path):
    t = valid_tables()
    t["opportunities"] = t["opportunities"].drop(columns="contract_end")
    p = load_portfolio(write_folder(tmp_path / "data", t))
    assert p.tables["opportunities"]["contract_end"].isna().all()
    assert "opportunities (opportunities.csv): optional column not supplied (left empty): contract_end." in p.warnings
    cal = tender_calendar(p)
    assert cal.empty and "source" in cal.columns and "contract_end" in cal.columns
    bare = _portfolio([_bid("2026-02-10", 80_000.0)])
    assert "contract_end" not in bare.tables["opportunities"].columns
    assert tender_calendar(bare).empty


def test_the_loader_reads_contract_end_as_an_optional_date(tmp_path):
    t = valid_tables()
    t["opportunities"]["contract_end"] = ["2025-04-30", "", "9999-12-31", ""]
    p = load_portfolio(write_folder(tmp_path / "data", t))
    ends = p.tables["opportunities"]["contract_end"]
    assert ends.iloc[0] == pd.Timestamp("2025-04-30") and ends.iloc[1:].isna().all()  # 9999-12-31: unknown
    assert any(
        "column 'contract_end': 1 value of contract_end is a placeholder for 'no date'" in w and "line 4" in w
        for w in p.warnings
    )


def test_a_contract_end_years_ahead_is_no_typo_but_beyond_5_years_is(tmp_path):
    t = valid_tables()
    today = pd.Timestamp.today().normalize()
    t["opportunities"]["contract_end"] = [(today + pd.DateOffset(years=3)).strftime("%Y-%m-%d"), "", "", ""]
    load_portfolio(write_folder(tmp_path / "ok", t))  # a won bid's contract may run 3 years
    t["opportunities"].loc[2, "contract_end"] = (today + pd.DateOffset(years=6)).strftime("%Y-%m-%d")
    with pytest.raises(DataValidationError) as err:
        load_portfolio(write_folder(tmp_path / "far", t))
    far = [p for p in err.value.problems if p.column == "contract_end"]
    assert far and far[0].kind == "far_future" and far[0].rows == [4]
    assert "more than 5 years after today" in far[0].message


def test_a_contract_end_before_created_date_is_rejected_naming_table_column_and_rows(tmp_path, capsys):
    t = valid_tables()
    t["opportunities"]["contract_end"] = ["2024-03-31", "", "2023-12-31", ""]  # OP-3 was created 2024-01-05
    folder = write_folder(tmp_path / "data", t)
    with pytest.raises(DataValidationError) as err:
        load_portfolio(folder)
    (problem,) = [p for p in err.value.problems if p.column == "contract_end"]
    assert problem.table == "opportunities" and problem.kind == "date_order"
    assert problem.message == "1 row has contract_end before created_date."
    assert problem.rows == [4]  # CSV line 4: the third data row
    assert problem.values == ["created_date 2024-01-05, contract_end 2023-12-31"]
    assert problem.hint == "A contract end cannot precede the created date: correct one of the two dates."
    code = main(["validate", str(folder)])
    out = capsys.readouterr().out
    assert code == 1
    assert "opportunities" in out and "contract_end before created_date" in out and "line 4" in out
    assert "Traceback" not in out


def test_truncate_forgets_the_contract_end_of_a_bid_won_later():
    p = _portfolio([_bid("2026-02-10", 80_000.0, contract_end="2027-03-31")])
    past = p.truncate("2026-03-01")  # decided on 2026-03-27: open on 2026-03-01
    opp = past.tables["opportunities"]
    assert opp["status"].tolist() == ["open"] and opp["contract_end"].isna().all()
    assert tender_calendar(past).empty


def test_the_demo_plants_recurring_tenders_that_the_calendar_finds():
    from kamtools.datasets import make_portfolio
    from kamtools.sections.bids import upcoming_tenders

    p, truth = make_portfolio(60, 4, 3)
    planted = truth.tenders
    assert set(planted.columns) == {
        "account_id",
        "category",
        "tender_date",
        "value",
        "n_lots",
        "status",
        "contract_end",
    }
    per_pair = planted.groupby(["account_id", "category"])["tender_date"]
    gaps = per_pair.diff().dropna().dt.days / 30.44
    assert gaps.between(10, 14.2).all()  # about yearly
    assert 0.1 <= planted["account_id"].nunique() / 60 <= 0.35
    opp = p.tables["opportunities"]
    assert opp["contract_end"].notna().any()
    assert (opp.loc[opp["contract_end"].notna(), "status"] == "won").all()
    assert opp["opportunity_id"].is_unique
    cut = pd.Timestamp("2025-10-31")
    cal = upcoming_tenders(tender_calendar(p.truncate(cut)), cut)
    after = planted[(planted["tender_date"] > cut) & (planted["tender_date"] <= p.as_of)]
    hits = cal.merge(after, on=["account_id", "category"])
    hits = hits[(hits["expected_month"] - hits["tender_date"]).abs() <= pd.Timedelta(days=62)]
    assert hits["source"].eq("rhythm").any() and hits["source"].str.startswith("contract end").any()
    assert len(hits.drop_duplicates(["account_id", "category"])) >= 0.3 * len(after)


def test_the_benchmark_scores_predictions_against_the_planted_tenders():
    from _bench import load_benchmark

    bench = load_benchmark("bench_tenders")
    actual = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A3"],
            "category": ["X", "X", "Y", "Z"],
            "tender_date": pd.to_datetime(["2026-01-15", "2027-01-10", "2026-05-02", "2026-08-20"]),
            "value": [100.0, 110.0, 50.0, 80.0],
        }
    )
    pred = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A4"],
            "category": ["X", "Y", "X"],
            "expected_month": pd.to_datetime(["2026-02-01", "2026-08-01", "2026-03-01"]),
            "expected_value": [120.0, 50.0, 10.0],
        }
    )
    got = bench.score(pred, actual)
    assert got["predicted"] == 3 and got["planted"] == 4
    assert got["prec1"] == pytest.approx(1 / 3)  # A1 one month off; A2 three months off; A4 never tendered
    assert got["prec2"] == pytest.approx(1 / 3)
    assert got["recall2"] == pytest.approx(1 / 4)  # only A1's January 2026 tender was foreseen
    assert got["mae"] == 2.0  # median of 1 (A1) and 3 (A2)
    assert got["value"] == pytest.approx(0.2)  # A1: 120 against 100


def test_the_faces_say_which_tenders_come_from_a_contract_end(tmp_path, captured):
    from test_bid_faces import _page, _text, bid_tables, write_bundle

    from kamtools import sections
    from kamtools.sections.bids import account_section

    tables = bid_tables()
    tables["tender_calendar"] = tables["tender_calendar"].assign(
        expected_month=pd.to_datetime(["2027-02-01", "2027-05-01"]),
        basis=["tendered Premixes in 2024-02, 2025-02 and 2026-02: about yearly", "contract end 2027-08 (won 2026-06)"],
        source=["rhythm", "contract end"],
        confidence=["high", "high"],
        contract_end=pd.to_datetime([None, "2027-08-31"]),
    )
    bundle = write_bundle(tmp_path / "b", tables)
    account_section(bundle.account("A1"))
    text = _text(_page(captured))
    assert (
        "1 is expected a few months before a contract of ours ends, the other from the account's rhythm of past "
        "tenders." in text
    )
    assert "contract end 2027-08 (won 2026-06)" in text
    captured.clear()
    sections.portfolio("bids", bundle)
    text = _text(_page(captured))
    assert (
        "(1 a few months before a contract of ours ends, the other from a rhythm of past tenders); the table lists"
        in text
    )


def test_a_demo_without_tendering_accounts_has_an_empty_schedule():
    from kamtools.datasets import make_portfolio

    p, truth = make_portfolio(10, 2, 9, groups=0)  # no account of this one tenders
    assert truth.tenders.empty and list(truth.tenders.columns)[:3] == ["account_id", "category", "tender_date"]
    opp = p.tables["opportunities"]
    assert opp["contract_end"].isna().all() and str(opp["contract_end"].dtype) == "datetime64[ns]"
    assert tender_calendar(p).empty


# ---- issue 21 audit: lots, a stream of ordinary bids, contract value, low confidence ------------------------
def _stream_and_lots() -> list[dict]:
    """Yearly tenders of about 28k, then in March 2026 a tender of three lots (one won, with its contract end)
    among ordinary bids of the category: one of 90.6k before it and one of 22.8k three weeks after its lots."""
    rows = [_bid(d, v, status="lost") for d, v in (("2023-03-11", 28_300.0), ("2024-02-28", 31_400.0))]
    rows.append(_bid("2025-02-03", 23_100.0, status="lost"))
    rows.append(_bid("2026-03-02", 90_600.0, status="lost"))  # an ordinary bid
    rows += [_bid("2026-03-18", 10_900.0, status="lost"), _bid("2026-03-22", 9_000.0, status="lost")]
    rows.append(_bid("2026-03-22", 8_400.0, contract_end="2027-06-30"))
    rows.append(_bid("2026-04-11", 22_800.0, status="lost"))  # an ordinary bid
    return rows


def test_ordinary_bids_do_not_chain_into_one_tender_and_the_contract_is_worth_the_whole_tender():
    cal = tender_calendar(_portfolio(_stream_and_lots()))
    first = cal.iloc[0]
    assert first["expected_month"] == pd.Timestamp("2027-03-01")
    assert first["source"] == "contract end and rhythm"
    # the whole tender the contract was won in (three lots, two of them lost), not only the lot we won
    assert first["expected_value"] == 28_300.0
    assert first["basis"] == (
        "contract end 2027-06 (won 2026-03): RFQ expected 3 months before; worth the whole tender it was won in "
        "(3 lots, won and lost), 8,400 of it won by us; also tendered Premixes in 2023-03, 2024-02, 2025-02 and "
        "2026-03: about yearly (2 other tenders of the category apart, of other values)"
    )
    assert "not in the data" not in " ".join(cal["basis"])
    # the last tender of the rhythm is the three lots of March 2026, not 141.7k of five bids run together
    assert cal["last_tender_date"].iloc[1] == pd.Timestamp("2026-03-18")
    assert cal["expected_value"].iloc[1] == pytest.approx(28_300.0)


def test_a_rhythm_does_not_predict_again_after_its_tender_became_a_contract_end_row():
    rows = [_bid(d, 6_000.0 + i, status="lost") for i, d in enumerate(("2023-02-26", "2024-02-08", "2025-01-20"))]
    rows.append(_bid("2026-01-15", 5_000.0, contract_end="2027-04-30"))
    cal = tender_calendar(_portfolio(rows))
    # one tender in the next 12 months (January 2027, the contract end's); the rhythm's next 11 months on
    assert cal["expected_month"].tolist() == [pd.Timestamp("2027-01-01"), pd.Timestamp("2027-12-01")]
    assert cal["source"].tolist() == ["contract end and rhythm", "rhythm"]
    assert cal["basis"].iloc[1].endswith("counted on from the contract end's tender of 2027-01")


def test_a_bid_of_the_category_near_the_expected_month_is_not_a_missing_tender():
    rows = [_bid(d, 100_000.0, status="lost") for d in ("2022-03-10", "2023-03-05", "2024-03-12")]
    rows.append(_bid("2025-03-20", 20_000.0, status="lost"))  # the category, near the expected month, smaller
    cal = tender_calendar(_portfolio(rows, as_of=pd.Timestamp("2025-10-31")))
    row = cal.iloc[0]
    assert row["expected_month"] == pd.Timestamp("2026-03-01")
    assert row["confidence"] == "medium"  # three tenders: not lowered for a missing tender
    assert row["basis"] == (
        "tendered Premixes in 2022-03, 2023-03 and 2024-03: about yearly (1 other tender of the category apart, "
        "of other values); the tender expected about 2025-03 may be the one of the category opened 2025-03 "
        "(of another value)"
    )


def _low_rhythm_bundle(tmp_path):
    """The faces' bundle with a calendar of two rows of A1: a contract end (high) and a broken rhythm (low)."""
    from test_bid_faces import bid_tables, write_bundle

    rows = [_bid(d, 95_000.0, status="lost", category="Diagnostics") for d in ("2023-03-10", "2024-02-12")]
    rows.append(_bid("2025-01-27", 96_000.0, status="lost", category="Diagnostics"))
    rows.append(_bid("2026-02-10", 40_000.0, contract_end="2027-08-31"))
    cal = tender_calendar(_portfolio(rows)).assign(account_id="A1")
    assert cal["confidence"].tolist()[:2] == ["low", "high"]
    tables = bid_tables()
    tables["tender_calendar"] = cal
    return write_bundle(tmp_path / "b", tables)


def test_the_faces_say_low_confidence_and_leave_it_out_of_the_figures(tmp_path, captured):
    from test_bid_faces import _page, _text

    from kamtools import sections
    from kamtools.sections.bids import account_section

    bundle = _low_rhythm_bundle(tmp_path)
    account_section(bundle.account("A1"))
    text = " ".join(_text(_page(captured)).split())
    assert "Nov 2026 (low confidence) Next expected tender" in text
    assert (
        "One tender from this account is expected in the next 12 months, worth about 40.0k: Premixes, in May 2027."
        in text
    )
    assert (
        "With low confidence, 2 more tenders worth about 190.0k may come (Diagnostics, about Nov 2026), left out "
        "of the figures above: its rhythm of past tenders is broken (a tender it expected is missing from the "
        "data), so ask the buyer before planning on it." in text
    )
    captured.clear()
    sections.portfolio("bids", bundle)
    text = " ".join(_text(_page(captured)).split())
    assert "1 (+2 low confidence) Tenders expected, next 12 months" in text
    assert "One tender from 1 account is expected in the next 12 months, worth about 40.0k" in text
    assert (
        "2 more tenders worth about 190.0k may come from a rhythm of past tenders with low confidence (a tender the "
        'rhythm expected is missing from the data): listed with confidence "low", left out of these figures and '
        "of the chart." in text
    )


def test_an_account_with_only_a_low_confidence_tender_says_so(tmp_path, captured):
    from test_bid_faces import _page, _text, bid_tables, write_bundle

    from kamtools.sections.bids import account_section

    rows = [_bid(d, 95_000.0, status="lost") for d in ("2023-03-10", "2024-02-12", "2025-01-27")]
    tables = bid_tables()
    tables["tender_calendar"] = tender_calendar(_portfolio(rows)).assign(account_id="A1")
    account_section(write_bundle(tmp_path / "b", tables).account("A1"))
    text = " ".join(_text(_page(captured)).split())
    assert (
        "No tender from this account is expected with confidence in the next 12 months; with low confidence, 2 "
        "tenders worth about 190.0k may come (Premixes, about Nov 2026)" in text
    )
