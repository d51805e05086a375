"""Plan actions into the CRM and back: stable ids, mappings, formats, formula injection, scores."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from kamtools.cli import main
from kamtools.resources import resource_path
from kamtools.review.actions import (
    EXPORT_COLUMNS,
    CrmMappingError,
    TaskFileError,
    action_id,
    actions_frame,
    load_crm_mapping,
    read_tasks,
)

STAGES = ["segment", "churn", "kpis", "plan"]
SALESFORCE = resource_path("templates", "crm", "salesforce_task.yml")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """(previous month's bundle, this month's bundle) of one small demo portfolio."""
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=30, years=3, seed=11)
    root = tmp_path_factory.mktemp("crm")
    before = portfolio.as_of - pd.DateOffset(months=1)
    # the previous month without the churn model (its slowest stage): ids do not depend on which stages ran
    prev = analyze(
        portfolio, root / "2026-09", stages=[s for s in STAGES if s != "churn"], as_of=before, progress=False
    )
    now = analyze(portfolio, root / "2026-10", stages=STAGES, progress=False)
    return prev, now


def _rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_action_id_depends_only_on_account_and_rule():
    assert action_id("A0001", "target_gap") == action_id("A0001", "target_gap")
    assert action_id("A0001", "target_gap") != action_id("A0002", "target_gap")
    assert action_id("A0001", "target_gap") != action_id("A0001", "late_payment_trend")
    assert action_id("A0001", "target_gap").startswith("KA-") and len(action_id("x", "y")) == 15


def test_export_twice_keeps_ids_and_replaces_its_own_file(bundles, tmp_path, capsys):
    _, now = bundles
    out = tmp_path / "actions.csv"
    assert main(["export-actions", str(now.path), "--out", str(out)]) == 0
    first = _rows(out)
    assert main(["export-actions", str(now.path), "--out", str(out)]) == 0
    assert "replaced" in capsys.readouterr().out
    second = _rows(out)
    assert list(first[0]) == EXPORT_COLUMNS
    assert [r["action_id"] for r in first] == [r["action_id"] for r in second]
    plan = now.table("plan_actions")
    assert len(first) == len(plan) > 0
    assert len({r["action_id"] for r in first}) == len(first)  # one id per action
    row = first[0]
    assert row["status"] == "open" and row["priority"] in ("high", "medium", "low")
    assert row["account_name"] == now.accounts.set_index("account_id").loc[row["account_id"], "name"]
    assert f"kamtools action {row['action_id']}" in row["description"] and row["description"].startswith("Why: ")
    assert pd.Timestamp(row["due_date"]) > now.as_of
    assert not list(tmp_path.glob(".*tmp*"))  # no temporaries left


def test_ids_are_stable_across_monthly_bundles(bundles):
    prev, now = bundles
    a, b = actions_frame(prev), actions_frame(now)
    both = a.merge(b, on=["account_id", "rule_id"], suffixes=("_prev", "_now"))
    assert len(both) >= 10  # most actions carry over from one month to the next
    assert (both["action_id_prev"] == both["action_id_now"]).all()
    # an id is never reused for another account or rule
    assert not set(a["action_id"]).intersection(b.loc[~b["rule_id"].isin(a["rule_id"]), "action_id"])
    assert a["as_of"].iloc[0] != b["as_of"].iloc[0]


def test_salesforce_mapping_renames_columns_values_and_fixed(bundles, tmp_path):
    _, now = bundles
    out = tmp_path / "sf.csv"
    assert main(["export-actions", str(now.path), "--out", str(out), "--mapping", str(SALESFORCE)]) == 0
    rows = _rows(out)
    assert list(rows[0]) == [
        "kamtools_Action_Id__c",
        "Subject",
        "Description",
        "ActivityDate",
        "Priority",
        "Status",
        "WhatId",
        "Type",
    ]
    ours = actions_frame(now)
    assert [r["kamtools_Action_Id__c"] for r in rows] == ours["action_id"].tolist()
    assert {r["Priority"] for r in rows} <= {"High", "Normal", "Low"}
    assert {r["Status"] for r in rows} == {"Not Started"} and {r["Type"] for r in rows} == {"Other"}
    assert [r["WhatId"] for r in rows] == ours["account_id"].tolist()
    # an export made with another mapping is an earlier export too: it may be replaced
    assert main(["export-actions", str(now.path), "--out", str(out)]) == 0
    assert list(_rows(out)[0]) == EXPORT_COLUMNS


def test_json_format(bundles, tmp_path):
    _, now = bundles
    out = tmp_path / "actions.json"
    assert main(["export-actions", str(now.path), "--out", str(out), "--format", "json"]) == 0
    records = json.loads(out.read_text(encoding="utf-8"))
    ours = actions_frame(now)
    assert [r["action_id"] for r in records] == ours["action_id"].tolist()
    assert list(records[0]) == EXPORT_COLUMNS
    assert isinstance(records[0]["value_at_stake"], float)
    assert main(["export-actions", str(now.path), "--out", str(out), "--format", "json"]) == 0


def test_formula_cells_are_neutralised(tmp_path):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=12, years=3, seed=5)
    hostile = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", " =cmd|' /C calc'!A0"]
    acc = portfolio.accounts
    acc["name"] = [hostile[i % len(hostile)] for i in range(len(acc))]
    acc["owner"] = "=1+2"
    bundle = analyze(portfolio, tmp_path / "b", stages=["kpis", "plan"], progress=False)
    out = tmp_path / "actions.csv"
    assert main(["export-actions", str(bundle.path), "--out", str(out)]) == 0
    rows = _rows(out)
    assert rows
    for r in rows:
        for col in ("account_name", "owner", "subject", "description"):
            cell = r[col]
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (col, cell)
        assert r["account_name"].startswith("'") and r["account_name"][1:] in hostile
        assert r["owner"] == "'=1+2"
        assert r["value_at_stake"] == "" or float(r["value_at_stake"]) > 0  # numbers stay numbers
    scores = tmp_path / "scores.csv"
    assert main(["export-scores", str(bundle.path), "--out", str(scores)]) == 0
    srows = _rows(scores)
    assert all(r["account_name"].startswith("'") and r["owner"] == "'=1+2" for r in srows)
    # JSON is data, not a spreadsheet: written as it is
    js = tmp_path / "actions.json"
    assert main(["export-actions", str(bundle.path), "--out", str(js), "--format", "json"]) == 0
    assert {r["owner"] for r in json.loads(js.read_text(encoding="utf-8"))} == {"=1+2"}


def test_refuses_a_file_kamtools_did_not_write(bundles, tmp_path, capsys):
    _, now = bundles
    mine = tmp_path / "budget.csv"
    mine.write_text("region,budget\nNorth,100\n", encoding="utf-8")
    assert main(["export-actions", str(now.path), "--out", str(mine)]) == 1
    err = capsys.readouterr().err
    assert f"{mine} already exists and is not an earlier kamtools actions export" in err
    assert "Traceback" not in err
    assert mine.read_text(encoding="utf-8") == "region,budget\nNorth,100\n"  # untouched
    # a scores export is not an actions export, and the reverse
    scores = tmp_path / "scores.csv"
    assert main(["export-scores", str(now.path), "--out", str(scores)]) == 0
    assert main(["export-actions", str(now.path), "--out", str(scores)]) == 1
    assert main(["export-actions", str(now.path), "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert main(["export-actions", str(now.path), "--out", str(now.path / "actions.csv")]) == 1
    assert "inside the analysis bundle" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("columns: [Subject]\n", "'columns' must list CRM column: kamtools column pairs"),
        ("columns:\n  Subject: subjct\n", "'subjct' is not a kamtools action column (did you mean 'subject'?)"),
        ("columns: {Subject: subject}\ncolour: red\n", "unknown section(s) 'colour'"),
        ("columns: {Subject: subject}\nvalues: {Priority: {high: High}}\n", "values: 'Priority' is not a CRM column"),
        ("columns: {Subject: subject}\nfixed: {Subject: x}\n", "fixed: 'Subject' is also under 'columns'"),
        ("columns: {Subject: subject\n", "is not valid YAML at line"),
        ("- a\n- b\n", "must be a YAML mapping with a 'columns' section"),
    ],
)
def test_bad_mapping_file_is_named_with_the_entry(bundles, tmp_path, capsys, text, expected):
    _, now = bundles
    bad = tmp_path / "crm.yml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "actions.csv"
    assert main(["export-actions", str(now.path), "--out", str(out), "--mapping", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"the mapping file {bad}" in err and expected in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_mapping_file_and_bundle(tmp_path, capsys, bundles):
    _, now = bundles
    assert main(["export-actions", str(now.path), "--out", str(tmp_path / "a.csv"), "--mapping", "nope.yml"]) == 2
    assert "the mapping file nope.yml does not exist" in capsys.readouterr().err
    assert main(["export-actions", str(tmp_path / "nobundle"), "--out", str(tmp_path / "a.csv")]) == 2
    assert "is not a complete kamtools bundle" in capsys.readouterr().err


def test_read_tasks_round_trip_with_the_salesforce_mapping(bundles, tmp_path):
    _, now = bundles
    out = tmp_path / "sf.csv"
    assert main(["export-actions", str(now.path), "--out", str(out), "--mapping", str(SALESFORCE)]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    frame.loc[0, "Status"] = "Completed"
    frame = frame.drop(columns=["kamtools_Action_Id__c"])  # the id is found in the description too
    manual = pd.DataFrame([{"Subject": "Call the CFO", "Status": "Open", "Description": "", "Priority": "High"}])
    crm_export = tmp_path / "tasks.csv"
    pd.concat([frame, manual]).to_csv(crm_export, index=False)
    tasks = read_tasks(crm_export, mapping=SALESFORCE)
    ours = actions_frame(now)
    assert tasks["action_id"].tolist() == ours["action_id"].tolist()
    assert tasks["done"].tolist() == [True] + [False] * (len(ours) - 1)
    assert set(tasks["priority"]) <= {"high", "medium", "low"}  # values read back in reverse
    assert tasks.attrs["skipped_rows"] == 1  # the task made by hand in the CRM


def test_read_tasks_errors_name_file_column_and_rows(tmp_path):
    tasks = tmp_path / "tasks.csv"
    tasks.write_text("action_id,status\nKA-0123456789ab,done\nKA-0123456789ac,\nKA-0123456789ad,\n", encoding="utf-8")
    with pytest.raises(TaskFileError, match=r"tasks.csv, column 'status': the status is empty on lines 3, 4"):
        read_tasks(tasks)
    tasks.write_text("Id,Subject\n1,x\n", encoding="utf-8")
    with pytest.raises(
        TaskFileError, match=r"no column 'status' with the task status; the file has the columns Id, Sub"
    ):
        read_tasks(tasks)
    tasks.write_text("Subject,Status\nx,Completed\n", encoding="utf-8")
    with pytest.raises(TaskFileError, match="no column with the kamtools action id"):
        read_tasks(tasks, mapping={"columns": {"Subject": "subject", "Status": "status"}})
    with pytest.raises(TaskFileError, match="does not exist"):
        read_tasks(tmp_path / "missing.csv")
    with pytest.raises(CrmMappingError):
        load_crm_mapping({"columns": {"Subject": "nothing"}})


def test_export_scores_columns_from_the_summary(bundles, tmp_path, capsys):
    _, now = bundles
    out = tmp_path / "scores.csv"
    assert main(["export-scores", str(now.path), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "account_id",
        "account_name",
        "owner",
        "tier",
        "health_score",
        "health_band",
        "churn_probability",
        "churn_band",
        "revenue_at_risk",
        "revenue_next_12m",
        "as_of",
    ]
    acc = now.accounts.set_index("account_id")
    assert len(rows) == len(acc)
    r = rows[0]
    a = acc.loc[r["account_id"]]
    # a tier read from a column with gaps (group parents have none) is 2.0 in the table: the CRM field reads '2'
    assert r["churn_band"] == a["risk_band"] and r["tier"] == str(int(a["tier"])) and "." not in r["tier"]
    assert float(r["churn_probability"]) == pytest.approx(a["churn_probability"], abs=1e-4)
    assert float(r["health_score"]) == pytest.approx(a["health_score"], abs=0.05)
    assert r["as_of"] == str(now.as_of.date())
    # the forecast stage did not run: that column is empty and said so
    assert r["revenue_next_12m"] == ""
    assert "revenue_next_12m (no column 'forecast_next_12m') is empty" in capsys.readouterr().err
    assert main(["export-scores", str(now.path), "--out", str(out)]) == 0  # its own file: replaced


def test_read_tasks_from_an_excel_export(tmp_path):
    pytest.importorskip("openpyxl")
    book = tmp_path / "tasks.xlsx"
    pd.DataFrame(
        {
            "Subject": ["a", "b", "made by hand"],
            "Status": ["Completed", "In Progress", "Completed"],
            "Description": ["x\nkamtools action KA-00000000000a (rule r)", "kamtools action KA-00000000000b", ""],
        }
    ).to_excel(book, index=False)
    mapping = {"columns": {"Subject": "subject", "Status": "status", "Description": "description"}}
    tasks = read_tasks(book, mapping=mapping)
    assert tasks["action_id"].tolist() == ["KA-00000000000a", "KA-00000000000b"]
    assert tasks["done"].tolist() == [True, False]
    assert tasks["row"].tolist() == [2, 3]  # worksheet rows
    assert tasks.attrs["skipped_rows"] == 1


def test_a_bundle_without_actions_exports_a_header_only(bundles, tmp_path):
    from kamtools.bundle import Bundle
    from kamtools.review.export import export_actions

    _, now = bundles
    b = Bundle.open(now.path)
    b._cache["plan_actions"] = now.table("plan_actions").iloc[0:0]  # a plan where no rule fired
    frame = actions_frame(b)
    assert frame.empty and list(frame.columns[: len(EXPORT_COLUMNS)]) == EXPORT_COLUMNS
    out = tmp_path / "actions.csv"
    result = export_actions(b, out)
    assert result.rows == 0 and out.read_text(encoding="utf-8").strip() == ",".join(EXPORT_COLUMNS)
    assert export_actions(b, out).replaced  # a header-only export is still recognised as ours
    js = tmp_path / "actions.json"
    export_actions(b, js, fmt="json")
    assert js.read_text(encoding="utf-8").strip() == "[]"
    assert export_actions(b, js, fmt="json").replaced


def test_a_task_done_in_the_crm_is_never_exported_as_open_again(bundles, tmp_path, capsys):
    """Export last month, close one task in the CRM, export this month with --tasks: the closed id is not
    in the file (a re-import does not reopen it); its rule still fires, so it is a new open task with the
    next occurrence's id, naming the closed one; next month the same new id comes back (no duplicate)."""
    from kamtools.review.actions import occurrence_id

    prev, now = bundles
    first = tmp_path / "b1.csv"
    assert main(["export-actions", str(prev.path), "--out", str(first)]) == 0
    rows_then = _rows(first)
    ids_now = {r["action_id"]: r for r in _rows_from(now)}
    again = next(r for r in rows_then if r["action_id"] in ids_now)  # done in the CRM, still in this month's plan
    tasks = tmp_path / "tasks.csv"
    tasks_rows = [{**r, "status": "done" if r["action_id"] == again["action_id"] else "open"} for r in rows_then]
    pd.DataFrame(tasks_rows).to_csv(tasks, index=False)
    capsys.readouterr()

    out = tmp_path / "b2.csv"
    assert main(["export-actions", str(now.path), "--out", str(out), "--tasks", str(tasks)]) == 0
    printed = capsys.readouterr().out
    assert "note: 1 task(s) are done in the CRM task export; 1 of them hold again in this analysis" in printed
    rows = {r["action_id"]: r for r in _rows(out)}
    assert again["action_id"] not in rows  # never written back as open
    new_id = occurrence_id(again["account_id"], ids_now[again["action_id"]]["rule_id"], 2)
    assert rows[new_id]["status"] == "open" and rows[new_id]["account_id"] == again["account_id"]
    assert rows[new_id]["description"].startswith(
        f"The condition holds again: task {again['action_id']} for it was marked done in the CRM"
    )
    assert len(rows) == len(ids_now)  # one row per action, nothing duplicated
    others = set(ids_now) - {again["action_id"]}
    assert others <= set(rows)  # every other action keeps its id

    # the CRM now holds the new task too (open): the next export updates it, under the same id
    pd.DataFrame([*tasks_rows, {**rows[new_id], "status": "open"}]).to_csv(tasks, index=False)
    again_out = tmp_path / "b3.csv"
    assert main(["export-actions", str(now.path), "--out", str(again_out), "--tasks", str(tasks)]) == 0
    assert {r["action_id"] for r in _rows(again_out)} == set(rows)
    # without --tasks: the first ids, all open (as before)
    plain = tmp_path / "plain.csv"
    assert main(["export-actions", str(now.path), "--out", str(plain)]) == 0
    assert {r["action_id"] for r in _rows(plain)} == set(ids_now)


def test_tasks_mapping_needs_tasks_and_a_bad_task_file_is_named(bundles, tmp_path, capsys):
    _, now = bundles
    out = tmp_path / "a.csv"
    assert main(["export-actions", str(now.path), "--out", str(out), "--tasks-mapping", str(SALESFORCE)]) == 2
    assert "--tasks-mapping needs --tasks" in capsys.readouterr().err
    missing = tmp_path / "nope.csv"
    assert main(["export-actions", str(now.path), "--out", str(out), "--tasks", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"error: --tasks: {missing}: the CRM task export does not exist" in err and not out.exists()


def _rows_from(bundle) -> list[dict]:
    frame = actions_frame(bundle)
    return frame.astype(str).to_dict("records")


def test_an_empty_score_column_names_the_reason_of_its_own_analysis(bundles, tmp_path):
    """A 13-month bundle's empty health columns were explained by the first three skipped tables of the bundle (the
    churn backtest's reason three times), not by why health was skipped."""
    import shutil

    from kamtools.bundle import MANIFEST, Bundle, _write_table
    from kamtools.review.export import scores_frame

    path = tmp_path / "bundle"
    shutil.copytree(bundles[1].path, path)
    acc = Bundle.open(path).accounts.drop(columns=["health_score", "health_band"])
    _write_table(acc, path / "accounts.parquet")
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["skipped"] = {
        "churn_calibration": "The churn backtest needs more history.",
        "churn_drivers": "No churn model was trained.",
        "whitespace_backtest": "The order history is too short to test the cross-sell recommendations.",
        "health": "Health is not available: its weights need more history.",
    }
    (path / MANIFEST).write_text(json.dumps(manifest))
    frame, notes = scores_frame(path)
    assert frame["health_score"].isna().all()
    (note,) = notes
    assert "health_score (no column 'health_score'), health_band (no column 'health_band')" in note
    assert "skipped in this bundle: health: Health is not available: its weights need more history.)" in note
    assert "churn" not in note and "cross-sell" not in note
