"""What changed since the last review (kamtools.review.since, `kamtools reports --since`)."""

from __future__ import annotations

import html
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from kamtools.bundle import Bundle
from kamtools.review.actions import action_id
from kamtools.review.since import SinceError, compare_bundles

# ---- small hand-made bundles -------------------------------------------------------------------


def _write_bundle(path, as_of: str, tables: dict[str, pd.DataFrame], version: str = "test") -> Bundle:
    path.mkdir(parents=True)
    meta = {}
    for name, df in tables.items():
        df.to_parquet(path / f"{name}.parquet", index=False)
        meta[name] = {"stage": "test", "rows": len(df), "columns": list(df.columns), "per_account": True}
    manifest = {
        "format": 1,
        "kamtools_version": version,
        "as_of": as_of,
        "fingerprint": f"fp-{as_of}",
        "n_accounts": len(tables["accounts"]),
        "tables": meta,
        "skipped": {},
        "notes": {},
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    return Bundle.open(path)


def _accounts(rows: list[dict]) -> pd.DataFrame:
    base = {
        "owner": "K. Novak",
        "revenue_ltm": 100_000.0,
        "forecast_next_12m": 110_000.0,
        "target_period": 2026,
        "target_attainment": 0.8,
        "target_expected_attainment": 1.0,
        "churn_probability": 0.05,
        "risk_band": "low",
        "revenue_at_risk": 5_000.0,
        "tier": 1,
        "quadrant": "strategic",
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def _actions(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """(account_id, rule_id, due_date, value_at_stake) rows of a plan_actions table."""
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "order": list(range(1, len(rows) + 1)),
            "rule_id": [r[1] for r in rows],
            "type": "retention",
            "priority": "high",
            "owner": "K. Novak",
            "due_date": pd.to_datetime([r[2] for r in rows]),
            "action": [f"Do {r[1]} for {r[0]}" for r in rows],
            "value_at_stake": [r[3] for r in rows],
        }
    )


def _risks(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """(account_id, rule_id, severity, value_at_stake) rows of a plan_risks table."""
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "order": list(range(1, len(rows) + 1)),
            "rule_id": [r[1] for r in rows],
            "severity": [r[2] for r in rows],
            "risk": [f"Risk {r[1]} of {r[0]}" for r in rows],
            "value_at_stake": [r[3] for r in rows],
        }
    )


@pytest.fixture
def pair(tmp_path):
    """(current, previous): A1 worse, A2 in both, A3 gone, A4 new; three actions of the previous plan."""
    prev = _write_bundle(
        tmp_path / "2026-10",
        "2026-10-31",
        {
            "accounts": _accounts(
                [
                    {"account_id": "A1", "name": "Alpha <b>AG</b>"},
                    {"account_id": "A2", "name": "Beta"},
                    {"account_id": "A3", "name": "Gamma"},
                ]
            ),
            "plan_actions": _actions(
                [
                    ("A1", "dm_contact", "2026-11-10", 20_000.0),  # due before the current as-of, still fires
                    ("A1", "overdue_ar", "2026-11-15", 8_000.0),  # the rule no longer fires
                    ("A2", "whitespace", "2026-12-20", 30_000.0),  # not yet due
                    ("A2", "target_gap", "2026-11-05", 12_000.0),  # marked done in the CRM
                ]
            ),
            "plan_risks": _risks([("A1", "dm_contact", "medium", 20_000.0), ("A1", "overdue_ar", "high", 8_000.0)]),
            "plan_summary": pd.DataFrame({"account_id": ["A1", "A2", "A3"], "value_at_stake": [28e3, 42e3, 5e3]}),
        },
    )
    cur = _write_bundle(
        tmp_path / "2026-11",
        "2026-11-30",
        {
            "accounts": _accounts(
                [
                    {
                        "account_id": "A1",
                        "name": "Alpha <b>AG</b>",
                        "revenue_ltm": 90_000.0,
                        "forecast_next_12m": 70_000.0,
                        "target_expected_attainment": 0.85,
                        "churn_probability": 0.41,
                        "risk_band": "high",
                        "tier": 2,
                    },
                    {"account_id": "A2", "name": "Beta", "target_attainment": 0.9},
                    {"account_id": "A4", "name": "Delta"},
                ]
            ),
            "plan_actions": _actions(
                [("A1", "dm_contact", "2026-12-30", 20_000.0), ("A2", "whitespace", "2027-01-20", 30_000.0)]
            ),
            "plan_risks": _risks([("A1", "dm_contact", "medium", 20_000.0), ("A1", "churn_high", "high", 37_000.0)]),
            "plan_summary": pd.DataFrame({"account_id": ["A1", "A2", "A4"], "value_at_stake": [57e3, 30e3, 1e3]}),
        },
        version="test-2",
    )
    return cur, prev


def _tasks_csv(path, rows: list[tuple[str, str]]):
    pd.DataFrame({"action_id": [r[0] for r in rows], "status": [r[1] for r in rows]}).to_csv(path, index=False)
    return path


def test_figures_are_the_differences_and_new_and_gone_accounts_are_listed(pair):
    cur, prev = pair
    ch = compare_bundles(cur, prev)
    acc = ch.accounts.set_index("account_id")
    assert acc["status"].to_dict() == {"A1": "both", "A2": "both", "A3": "gone", "A4": "new"}
    assert acc.loc["A1", "revenue_ltm_change"] == pytest.approx(-10_000.0)
    assert acc.loc["A1", "forecast_next_12m_change"] == pytest.approx(-40_000.0)
    assert acc.loc["A1", "churn_probability_change"] == pytest.approx(0.36)
    assert (acc.loc["A1", "band_move"], acc.loc["A1", "tier_move"]) == ("worse", "down")
    a1 = ch.for_account("A1")
    assert "Revenue, last 12 months: down 10.0k (-10%), from 100.0k to 90.0k." in a1.sentences
    assert "Churn risk rose from low to high (probability 5% then, 41% now)." in a1.sentences
    assert "Tier moved from tier 1 to tier 2." in a1.sentences
    fig = a1.figures.set_index("measure")
    assert list(fig.loc["expected_attainment", ["previous_text", "current_text", "change_text"]]) == [
        "100%",
        "85%",
        "-15 pts",
    ]
    assert list(fig.loc["forecast", ["previous_text", "current_text", "change_text"]]) == ["110.0k", "70.0k", "-40.0k"]
    assert ch.for_account("A4").sentences == [
        "This account is new since the review of 2026-10-31: it was not in the previous analysis."
    ]
    assert "no longer in the one of 2026-11-30" in ch.for_account("A3").sentences[0]
    assert any("1 account(s) are new since 2026-10-31 and 1 are no longer" in n for n in ch.notes)
    assert any("different kamtools versions (test and test-2)" in n for n in ch.notes)
    # risks: churn_high is new, overdue_ar resolved
    risks = {(r.account_id, r.rule_id): r.status for r in ch.risks.itertuples()}
    assert risks == {("A1", "churn_high"): "new", ("A1", "overdue_ar"): "resolved"}
    # digest: ranked by value at stake, with the new high risk at its own value
    d = ch.digest
    assert list(d["value_at_stake"]) == sorted(d["value_at_stake"], reverse=True)
    assert set(d.loc[d["account_id"] == "A1", "kind"]) >= {"churn band", "tier", "new high risk", "target slipping"}
    assert set(d.loc[d["account_id"] == "A4", "kind"]) == {"new account"}
    assert set(d.loc[d["account_id"] == "A3", "kind"]) == {"account gone"}
    assert not (d["account_id"] == "A2").any()  # nothing notable changed for A2
    with pytest.raises(KeyError):
        ch.for_account("A9")


def test_actions_followed_up_done_overdue_resolved_open(pair, tmp_path):
    from kamtools.review.since import read_task_export

    cur, prev = pair
    tasks = read_task_export(
        _tasks_csv(tmp_path / "tasks.csv", [(action_id("A2", "target_gap"), "Completed"), ("KA-000000000000", "Open")])
    )
    ch = compare_bundles(cur, prev, tasks=tasks)
    follow = {(r.account_id, r.rule_id): r.follow_up for r in ch.actions.itertuples()}
    assert follow == {
        ("A1", "dm_contact"): "overdue",  # due 2026-11-10, before the current as-of, and the rule still fires
        ("A1", "overdue_ar"): "resolved",  # neither a risk nor an action of the current plan
        ("A2", "whitespace"): "open",
        ("A2", "target_gap"): "done",  # its rule no longer fires either, but the CRM says done
    }
    a1 = ch.for_account("A1")
    assert a1.actions.loc[a1.actions["rule_id"] == "dm_contact", "follow_up_text"].item() == "overdue since 2026-11-10"
    assert a1.action_summary == "Of the 2 actions planned on 2026-10-31: 1 resolved, 1 overdue."
    assert set(ch.actions["action_id"]) >= {action_id("A1", "dm_contact"), action_id("A2", "target_gap")}
    assert any("1 task(s) of the CRM export match no action" in n for n in ch.notes)
    # without the export the done action counts as resolved (its rule no longer fires)
    plain = compare_bundles(cur, prev)
    assert plain.actions.set_index("rule_id").loc["target_gap", "follow_up"] == "resolved"


def test_a_mapped_crm_export_marks_the_action_done(pair, tmp_path):
    from kamtools.review.since_pages import prepare_since

    cur, prev = pair
    mapping = tmp_path / "crm.yml"
    mapping.write_text(
        "columns:\n  Subject: subject\n  Description: description\n  Status: status\n"
        "values:\n  Status: {open: Not Started, done: Completed}\n"
    )
    wanted = action_id("A1", "dm_contact")
    pd.DataFrame(
        {
            "Subject": ["Call the buyer", "Made by hand"],
            "Description": [f"Why: no contact.\nkamtools action {wanted} (rule dm_contact)", "no id here"],
            "Status": ["Completed", "Completed"],
        }
    ).to_csv(tmp_path / "sf.csv", index=False)
    changes, params, fresh = prepare_since(cur, prev.path, tmp_path / "sf.csv", mapping)
    assert changes.actions.set_index("action_id").loc[wanted, "follow_up"] == "done"
    assert params["tasks_mapping"] == str(mapping.resolve()) and fresh["tasks"] and fresh["tasks_mapping"]


def test_one_account_compared_alone_gives_the_same_result(pair):
    cur, prev = pair
    whole = compare_bundles(cur, prev).for_account("A1")
    alone = compare_bundles(cur, prev, accounts=["A1"]).for_account("A1")
    assert alone.sentences == whole.sentences
    pd.testing.assert_frame_equal(alone.actions, whole.actions)
    pd.testing.assert_frame_equal(alone.risks, whole.risks)


def test_previous_must_be_older(pair):
    cur, prev = pair
    with pytest.raises(SinceError, match=r"dated 2026-11-30, not before the current bundle \(2026-10-31\)"):
        compare_bundles(prev, cur)
    with pytest.raises(SinceError, match="is the bundle being reported on"):
        compare_bundles(cur, cur)


def _drivers(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """(account_id, feature, value_text, contribution) rows of a churn_drivers table."""
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "rank": list(range(1, len(rows) + 1)),
            "feature": [r[1] for r in rows],
            "label": [f"label of {r[1]}" for r in rows],
            "contribution": [r[3] for r in rows],
            "direction": "raises risk",
            "value": 1.0,
            "value_text": [r[2] for r in rows],
            "sentence": [f"{r[1]} is {r[2]}." for r in rows],
        }
    )


def test_churn_drivers_that_moved(tmp_path):
    acc = _accounts([{"account_id": "A1", "name": "A"}])
    prev = _write_bundle(
        tmp_path / "p",
        "2026-10-31",
        {
            "accounts": acc,
            "churn_drivers": _drivers(
                [("A1", "recency", "40 days", 0.3), ("A1", "late", "9 days", 0.2), ("A1", "same", "x", 0.1)]
            ),
        },
    )
    cur = _write_bundle(
        tmp_path / "c",
        "2026-11-30",
        {
            "accounts": acc,
            "churn_drivers": _drivers(
                [("A1", "recency", "70 days", 0.5), ("A1", "complaints", "2 open", 0.1), ("A1", "same", "x", 0.1)]
            ),
        },
    )
    d = compare_bundles(cur, prev).for_account("A1").drivers.set_index("feature")
    assert "same" not in d.index  # the same fact as at the last review: nothing moved
    assert d.loc["recency", "status"] == "still a driver"
    assert (d.loc["recency", "previous"], d.loc["recency", "current"]) == ("recency is 40 days.", "recency is 70 days.")
    assert d.loc["recency", "contribution_change"] == pytest.approx(0.2)
    assert d.loc["complaints", "status"] == "new" and d.loc["late", "status"] == "no longer a driver"
    assert list(d["status"]) == ["new", "still a driver", "no longer a driver"]


def test_a_table_missing_in_one_bundle_is_said(tmp_path):
    prev = _write_bundle(tmp_path / "p", "2026-10-31", {"accounts": _accounts([{"account_id": "A1", "name": "A"}])})
    acc = _accounts([{"account_id": "A1", "name": "A"}]).drop(columns=["tier", "quadrant"])
    cur = _write_bundle(
        tmp_path / "c",
        "2026-11-30",
        {"accounts": acc, "plan_risks": _risks([("A1", "r", "high", 1.0)]), "plan_actions": _actions([])},
    )
    ch = compare_bundles(cur, prev)
    text = " ".join(ch.notes)
    assert "The tier is only in one of the bundles" in text
    assert "risks are in only one of the bundles" in text
    assert "previous bundle has no account plan actions" in text
    assert ch.actions.empty and ch.risks.empty


def test_cli_refuses_bad_since_with_one_sentence(pair, tmp_path, capsys):
    from kamtools.cli import main

    cur, prev = pair
    cases = [
        (["--since", str(tmp_path / "nowhere")], "does not exist"),
        (["--since", str(cur.path)], "is the bundle being reported on"),
        (["--since", str(tmp_path)], "is not a complete kamtools bundle"),
        (["--tasks", str(tmp_path / "t.csv")], "--tasks needs --since"),
        (["--since", str(prev.path), "--tasks", str(tmp_path / "none.csv")], "the CRM task export does not exist"),
    ]
    for extra, expected in cases:
        code = main(["reports", str(cur.path), "--out", str(tmp_path / "out"), "--quiet", *extra])
        err = capsys.readouterr().err
        assert code == 1, (extra, err)
        assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    code = main(["reports", str(cur.path), "--out", str(prev.path / "reports"), "--quiet", "--since", str(prev.path)])
    err = capsys.readouterr().err
    assert code == 1 and "which --since only reads" in err and not (prev.path / "reports").exists()
    # the newer bundle given as the previous one
    code = main(["reports", str(prev.path), "--out", str(tmp_path / "out2"), "--quiet", "--since", str(cur.path)])
    err = capsys.readouterr().err
    assert code == 1 and "give the older bundle to --since" in err
    assert not list((tmp_path / "out").glob("accounts/*.html"))  # nothing rendered


def test_digest_page_and_index_column_escape_the_data(pair, tmp_path):
    from kamtools.reports.index import write_index
    from kamtools.review.since_pages import prepare_since, write_digest

    cur, prev = pair
    out = tmp_path / "out"
    out.mkdir()
    changes, params, fresh = prepare_since(cur, prev.path)
    assert params["since"] == str(prev.path.resolve()) and params["tasks"] == ""
    assert fresh["previous_fingerprint"] == "fp-2026-10-31"
    page = write_digest(changes, cur, out).read_text()
    assert "<b>AG</b>" not in page and "Alpha &lt;b&gt;AG&lt;/b&gt;" in page
    assert "Churn risk up from low to high (5% to 41%)." in page
    assert "<script" not in page and "script-src 'none'" in page
    assert page.index("Alpha") < page.index("Beta") if "Beta" in page else True
    index = write_index(cur, out, changes=changes).read_text()
    assert '<th scope="col" data-type="text">Since the last review</th>' in index
    assert 'href="since.html"' in index
    assert "churn low → high; tier 1 → tier 2; forecast -36%; target slipping; new high risk" in index
    plain = write_index(cur, out).read_text()
    assert "Since the last review" not in plain
    # the record `kamtools deliver` reads: the same digest rows and actions, for this bundle only
    from kamtools.review.since_pages import read_record

    record, sentence = read_record(out, cur)
    assert sentence == "Changes since the review of 2026-10-31."
    assert [d["sentence"] for d in record["digest"]] == list(changes.digest["sentence"])
    assert {x["action_id"] for x in record["actions"]} == set(changes.actions["action_id"])
    assert record["since"] == fresh
    assert read_record(out, prev)[0] is None  # made for other data


# ---- the demo, analysed a month apart ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_pair(tmp_path_factory):
    """The demo (120 accounts) analysed on 2026-10-31 and 2026-11-30."""
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=120, years=4, seed=11, as_of="2026-11-30")
    root = tmp_path_factory.mktemp("since")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prev = analyze(portfolio, root / "2026-10", as_of="2026-10-31", progress=False)
        cur = analyze(portfolio, root / "2026-11", progress=False)
    return cur, prev


@pytest.mark.slow
def test_demo_changes_equal_the_differences_of_the_bundles(demo_pair):
    cur, prev = demo_pair
    ch = compare_bundles(cur, prev)
    a, b = cur.accounts.set_index("account_id"), prev.accounts.set_index("account_id")
    acc = ch.accounts.set_index("account_id")
    common = a.index.intersection(b.index)
    assert set(acc.index[acc["status"] == "both"]) == set(common)
    for col in ("revenue_ltm", "forecast_next_12m", "churn_probability", "target_attainment"):
        expected = a.loc[common, col] - b.loc[common, col]
        np.testing.assert_allclose(acc.loc[common, f"{col}_change"], expected, rtol=1e-12, equal_nan=True)
    # group parents without orders have no risk band in either bundle: not a move
    moved = acc.loc[common][a.loc[common, "risk_band"].fillna("") != b.loc[common, "risk_band"].fillna("")]
    assert set(moved.index) == set(acc.index[acc["band_move"] != ""]) - (set(acc.index) - set(common))
    # risks: new = in the current plan and not in the previous one (account + rule)
    keys = {
        name: set(zip(t["account_id"], t["rule_id"], strict=True))
        for name, t in (("cur", cur.table("plan_risks")), ("prev", prev.table("plan_risks")))
    }
    new = {(r.account_id, r.rule_id) for r in ch.risks.itertuples() if r.status == "new"}
    resolved = {(r.account_id, r.rule_id) for r in ch.risks.itertuples() if r.status == "resolved"}
    assert new == keys["cur"] - keys["prev"] and resolved == keys["prev"] - keys["cur"]
    # every action of the previous plan is followed up once, overdue ones were due before the current as-of
    assert len(ch.actions) == len(prev.table("plan_actions"))
    over = ch.actions[ch.actions["follow_up"] == "overdue"]
    assert len(over) and (pd.to_datetime(over["due_date"]) < cur.as_of).all()
    # the sentences a report shows carry the bundles' own numbers
    acct = str(ch.digest["account_id"].iloc[0])
    one = ch.for_account(acct)
    fc = one.figures.set_index("measure").loc["forecast"]
    assert fc["previous"] == pytest.approx(b.loc[acct, "forecast_next_12m"])
    assert fc["current"] == pytest.approx(a.loc[acct, "forecast_next_12m"])
    assert list(ch.digest["value_at_stake"]) == sorted(ch.digest["value_at_stake"], reverse=True)


@pytest.mark.slow
def test_report_rendered_since_shows_the_section(demo_pair, tmp_path):
    from kamtools.reports import render_reports
    from kamtools.reports.state import account_paths

    cur, prev = demo_pair
    ch = compare_bundles(cur, prev)
    acct = str(ch.digest["account_id"].iloc[0])
    tasks = _tasks_csv(tmp_path / "tasks.csv", [(ch.actions["action_id"].iloc[0], "done")])
    out = tmp_path / "out"
    summary = render_reports(
        cur, out, accounts=[acct], workers=1, overview=True, progress=False, since=prev.path, tasks=tasks
    )
    assert summary.exit_code == 0, summary.problems
    overview = html.unescape((out / "portfolio_overview.html").read_text())
    assert f"Compared with the analysis of {prev.as_of.date()}" in overview
    assert str(ch.digest["sentence"].iloc[0]) in overview  # the largest change leads the overview's digest
    page = account_paths(out, acct).html.read_text()
    start = page.index('id="sec-since"')
    section = page[start : page.index('id="sec-forecast"')]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    one = ch.for_account(acct)
    assert "Since the last review" in text and f"Compared with the analysis of {prev.as_of.date()}" in text
    text = html.unescape(text)
    assert one.highlights  # the first account of the digest has something notable
    for sentence in one.highlights:
        assert sentence in text
    for f in one.figures.itertuples():  # the figures table: then, now and the change
        assert f"{f.label} {f.previous_text} {f.current_text} {f.change_text}".strip() in text
    assert "Actions of the last review, followed up" in text
    assert (out / "since.html").is_file() and 'href="since.html"' in (out / "index.html").read_text()
    # rendered again with the same --since: up to date; without it: rendered again (no stale section)
    again = render_reports(
        cur, out, accounts=[acct], workers=1, overview=True, progress=False, since=prev.path, tasks=tasks
    )
    assert again.count("skipped") == 2  # the account report and the overview


def test_portfolio_overview_lists_the_largest_changes(pair, captured):
    """The overview's section: counts of accounts and changes, the digest by value at stake, escaped."""
    from kamtools import sections
    from kamtools.sections.since import portfolio_with_previous

    cur, prev = pair
    ch = compare_bundles(cur, prev)
    sections.portfolio("since", portfolio_with_previous(cur, str(prev.path)))
    page = "".join(captured)
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    assert f"Compared with the analysis of {prev.as_of.date()}" in text
    assert "Accounts in both reviews" in text and "New accounts" in text and "Accounts gone" in text
    for sentence in ch.digest["sentence"].head(15):
        assert sentence in text
    assert "Alpha <b>AG</b>" in text and "<b>AG</b>" not in page  # the name is shown, never as markup
    captured.clear()
    sections.portfolio("since", portfolio_with_previous(cur, ""))
    assert "nothing to compare with" in "".join(captured)


def test_money_is_written_in_the_current_bundles_currency(pair):
    cur, prev = pair
    manifest = json.loads((cur.path / "manifest.json").read_text())
    manifest["settings"] = {"currency": "EUR"}
    (cur.path / "manifest.json").write_text(json.dumps(manifest))
    one = compare_bundles(Bundle.open(cur.path), prev).for_account("A1")
    revenue = one.figures.set_index("measure").loc["revenue"]
    assert revenue["current_text"] == "€90.0k" and revenue["change_text"].startswith(("+€", "-€"))


@pytest.mark.slow
def test_cli_reports_since_with_a_crm_task_export_end_to_end(demo_pair, tmp_path, capsys):
    """export-actions (Salesforce mapping) from last month's bundle, one task marked Completed in the CRM,
    then `kamtools reports BUNDLE --out OUT --since PREVIOUS --tasks tasks.csv --tasks-mapping ...`: the
    account report shows that action done and another still open or overdue; the change record and a
    KAM's delivery digest agree."""
    from kamtools.cli import main
    from kamtools.reports.state import account_paths, report_stem
    from kamtools.resources import resource_path

    cur, prev = demo_pair
    salesforce = resource_path("templates", "crm", "salesforce_task.yml")
    exported = tmp_path / "actions.csv"
    assert main(["export-actions", str(prev.path), "--out", str(exported), "--mapping", str(salesforce)]) == 0
    capsys.readouterr()
    tasks = pd.read_csv(exported, dtype=str, keep_default_na=False)
    assert set(tasks["Status"]) == {"Not Started"}
    # an account with an action whose rule still fires (open or overdue without the CRM) and another one
    plain = compare_bundles(cur, prev).actions
    waiting = plain[plain["follow_up"].isin(["open", "overdue"])]
    acct = next(a for a, g in plain.groupby("account_id") if len(g) >= 2 and a in set(waiting["account_id"]))
    other = waiting.loc[waiting["account_id"] == acct].iloc[0]
    others = plain[(plain["account_id"] == acct) & (plain["action_id"] != other["action_id"])]
    still = others[others["follow_up"].isin(["open", "overdue"])]  # prefer one whose condition still holds
    done = (still if len(still) else others).iloc[0]
    assert done["follow_up"] != "done"
    tasks.loc[tasks["kamtools_Action_Id__c"] == done["action_id"], "Status"] = "Completed"  # done in the CRM
    assert (tasks["Status"] == "Completed").sum() == 1
    tasks_csv = tmp_path / "tasks.csv"
    tasks.to_csv(tasks_csv, index=False)

    out = tmp_path / "out"
    args = ["reports", str(cur.path), "--out", str(out), "--accounts", acct, "--workers", "1", "--no-overview"]
    args += ["--since", str(prev.path), "--tasks", str(tasks_csv), "--tasks-mapping", str(salesforce), "--quiet"]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    page = account_paths(out, acct).html.read_text(encoding="utf-8")
    section = page[page.index('id="sec-since"') : page.index('id="sec-forecast"')]
    assert "Actions of the last review, followed up" in section
    rows = {}
    for row in re.findall(r"<tr.*?</tr>", section, flags=re.S):
        text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)))
        for aid in (done["action_id"], other["action_id"]):
            if aid in text:
                rows[aid] = text
    # done in the CRM: plainly done when its rule no longer fires, else the condition still holds (with why)
    holds = done["follow_up"] in ("open", "overdue")
    wording = "but the condition still holds:" if holds else "done (marked done in the CRM)"
    assert wording in rows[done["action_id"]]
    wanted = "still open" if other["follow_up"] == "open" else f"overdue since {pd.Timestamp(other['due_date']).date()}"
    assert wanted in rows[other["action_id"]] and "marked done" not in rows[other["action_id"]]
    assert (out / "since.html").is_file()
    # what `kamtools deliver` reads: the same follow-up, and the KAM's digest shows it
    record = json.loads((out / ".kamtools-state" / "since.json").read_text(encoding="utf-8"))
    follow = {x["action_id"]: x["follow_up"] for x in record["actions"]}
    assert follow[done["action_id"]] == "done" and follow[other["action_id"]] == other["follow_up"]
    owner = cur.accounts.set_index("account_id").loc[acct, "owner"]
    owners = tmp_path / "owners.csv"
    owners.write_text(f"owner,email\n{owner},kam@example.com\n", encoding="utf-8")
    deliver = ["deliver", str(out), "--owners", str(owners), "--bundle", str(cur.path), "--to", str(tmp_path / "d")]
    assert main(deliver) == 0
    digest = html.unescape((tmp_path / "d" / report_stem(owner) / "digest.html").read_text(encoding="utf-8"))
    row = next(r for r in re.findall(r"<tr>.*?</tr>", digest, flags=re.S) if done["action_id"] in r)
    assert wording in row


def test_index_badge_names_new_high_risks_and_slipping_targets(pair):
    """The index's "since" cell names every digest line of an account: a slipping target and a new high
    risk too, not only band, tier and forecast moves."""
    cur, prev = pair
    acc = compare_bundles(cur, prev).accounts.set_index("account_id")
    assert acc.loc["A1", "badge"] == "churn low → high; tier 1 → tier 2; forecast -36%; target slipping; new high risk"
    assert acc.loc["A2", "badge"] == "" and not acc.loc["A2", "badge_worse"]
    assert acc.loc["A1", "badge_worse"]
    from kamtools.review.since.wording import _badge

    row = acc.loc["A2"].copy()
    row["target_expected_attainment_change"], row["target_expected_attainment_current"] = -0.08, 0.9
    assert _badge(row, 2) == "target slipping; 2 new high risks"  # only these two moved


def test_a_done_action_whose_condition_still_holds_says_so(pair, tmp_path):
    """Marked done in the CRM, but its rule still fires: the follow-up, the account's highlights, the
    digest (since.html and its record for `kamtools deliver`) say the condition still holds, with the evidence."""
    from kamtools.review.since import read_task_export
    from kamtools.review.since_pages import read_record, write_digest

    cur, prev = pair
    done = action_id("A1", "dm_contact")  # still a risk and an action of the current plan
    tasks = read_task_export(_tasks_csv(tmp_path / "tasks.csv", [(done, "Completed")]))
    ch = compare_bundles(cur, prev, tasks=tasks)
    row = ch.actions.set_index("action_id").loc[done]
    wording = "done in the CRM (by the review of 2026-11-30), but the condition still holds: Risk dm_contact of A1."
    assert row["follow_up"] == "done" and bool(row["condition_holds"]) and row["follow_up_text"] == wording
    line = (
        f"Do dm_contact for A1 ({done}): Done in the CRM (by the review of 2026-11-30), but the condition still holds"
    )
    assert any(s.startswith(line) for s in ch.for_account("A1").highlights)
    assert ch.digest.loc[ch.digest["kind"] == "done, still holds", "sentence"].str.startswith(line).all()
    out = tmp_path / "out"
    out.mkdir()
    page = html.unescape(write_digest(ch, cur, out).read_text())
    assert '<span class="kind">done, still holds:</span> Do dm_contact for A1' in page and wording[1:60] in page
    record, _ = read_record(out, cur)
    assert any(x["follow_up_text"] == wording for x in record["actions"])
    # an action done whose rule no longer fires is plainly done
    other = read_task_export(_tasks_csv(tmp_path / "t2.csv", [(action_id("A1", "overdue_ar"), "Completed")]))
    plain = compare_bundles(cur, prev, tasks=other).actions.set_index("rule_id").loc["overdue_ar"]
    assert plain["follow_up_text"] == "done (marked done in the CRM)" and not plain["condition_holds"]


def test_a_later_occurrence_in_the_crm_is_the_one_followed_up(pair, tmp_path):
    """When the first task was closed and its rule's next occurrence (exported by export-actions --tasks) is
    in the CRM export, the follow-up reads the state of that later task."""
    from kamtools.review.actions import occurrence_id
    from kamtools.review.since import read_task_export

    cur, prev = pair
    first, second = occurrence_id("A1", "dm_contact", 1), occurrence_id("A1", "dm_contact", 2)
    tasks = read_task_export(_tasks_csv(tmp_path / "tasks.csv", [(first, "Completed"), (second, "Open")]))
    ch = compare_bundles(cur, prev, tasks=tasks)
    row = ch.actions.set_index("rule_id").loc["dm_contact"]
    assert row["action_id"] == second and row["follow_up"] == "overdue"
    assert not any("match no action" in n for n in ch.notes)
