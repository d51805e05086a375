"""The analysis bundle: stages, skipped reasons, summary columns, atomic write, per-account reads.

Stages are replaced by small fake declared stages and modules so that these tests check bundle.py itself,
fast and independent of the analysis modules.
"""

from __future__ import annotations

import json
import sys
import types

import pandas as pd
import pytest

from kamtools.bundle import Bundle, BundleError, analyze
from kamtools.data import NotAvailable
from kamtools.stages import Stage, declarations, table


@pytest.fixture(scope="module")
def tiny():
    from kamtools.datasets import make_portfolio

    return make_portfolio(n_accounts=12, years=2, seed=5)[0]


def _fake_module(name: str, tables, summary=None):
    mod = types.ModuleType(name)
    mod.bundle_tables = tables
    if summary is not None:
        mod.SUMMARY_COLUMNS = summary
    return mod


@pytest.fixture
def fake_stages(monkeypatch):
    """Two fake stages: 'alpha' (per-account + portfolio table) and 'beta' (reads alpha, one NotAvailable)."""
    seen_context = {}

    def alpha_tables(portfolio, context):
        ids = portfolio.accounts["account_id"]
        per = pd.DataFrame({"account_id": ids[::-1].to_numpy(), "score": range(len(ids))})
        rows = pd.DataFrame({"account_id": list(ids) * 2, "k": range(2 * len(ids))})
        return {
            "alpha": per,
            "alpha_rows": rows,
            "alpha_benchmark": pd.DataFrame({"metric": ["m"], "value": [1.0]}),
        }

    def beta_tables(portfolio, context):
        seen_context.update(context)
        return {"beta": NotAvailable("No beta data was supplied, so beta is skipped.")}

    monkeypatch.setitem(
        sys.modules, "kamtools_fake_alpha", _fake_module("kamtools_fake_alpha", alpha_tables, {"alpha": ["score"]})
    )
    monkeypatch.setitem(sys.modules, "kamtools_fake_beta", _fake_module("kamtools_fake_beta", beta_tables))
    alpha = Stage(
        "alpha",
        "kamtools_fake_alpha",
        portfolio=("accounts",),
        writes=(
            table("alpha", "account_id:str score:int"),
            table("alpha_rows", "account_id:str k:int"),
            table("alpha_benchmark", "metric:str value:float"),
        ),
    )
    beta = Stage("beta", "kamtools_fake_beta", portfolio=(), reads={"alpha": ("score",)}, writes=(table("beta", ""),))
    gamma = Stage("gamma", "kamtools_no_such_module_x", portfolio=(), writes=())
    monkeypatch.setattr(declarations, "STAGES", (alpha, beta, gamma))
    return seen_context


def test_analyze_writes_tables_manifest_and_reasons(tiny, tmp_path, fake_stages):
    b = analyze(tiny, tmp_path / "b", progress=False)
    m = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert set(m["tables"]) == {"alpha", "alpha_rows", "alpha_benchmark", "accounts"}
    assert m["tables"]["alpha"]["per_account"] and not m["tables"]["alpha_benchmark"]["per_account"]
    assert m["skipped"]["beta"].startswith("No beta data")
    assert "not part of this kamtools version" in m["skipped"]["gamma"]
    assert m["n_accounts"] == len(tiny.accounts) and m["fingerprint"] == tiny.fingerprint()
    # later stages see earlier tables
    assert "alpha" in fake_stages
    # summary columns are joined into accounts.parquet, one row per account
    acc = b.accounts
    assert len(acc) == len(tiny.accounts) and {"score", "revenue_ltm", "margin_pct_ltm"} <= set(acc.columns)
    assert acc["account_id"].is_monotonic_increasing


def test_bundle_reasons_and_account_slices(tiny, tmp_path, fake_stages):
    b = analyze(tiny, tmp_path / "b", progress=False)
    assert isinstance(b.table("beta"), NotAvailable) and "beta" in str(b.table("beta"))
    assert "not part of this kamtools version" in str(b.table("gamma_things"))
    assert "was not run" in str(b.table("nothing_like_it"))
    acct = b.account("A0003")
    assert acct.info["name"] == tiny.accounts.set_index("account_id").loc["A0003", "name"]
    rows = acct.table("alpha_rows")
    assert len(rows) == 2 and set(rows["account_id"]) == {"A0003"}
    assert isinstance(acct.table("beta"), NotAvailable)
    assert acct.portfolio_table("alpha_benchmark")["value"].tolist() == [1.0]
    with pytest.raises(ValueError, match="portfolio-level"):
        acct.table("alpha_benchmark")
    with pytest.raises(KeyError, match="not in the bundle"):
        b.account("NOPE")


def test_stage_selection_and_replacement_is_atomic(tiny, tmp_path, fake_stages):
    out = tmp_path / "b"
    analyze(tiny, out, progress=False)
    b2 = analyze(tiny, out, progress=False, stages=["beta"])
    assert "alpha" not in b2.manifest["tables"]
    assert not (out / "alpha.parquet").exists()  # the folder was replaced, not merged
    assert [p.name for p in tmp_path.iterdir()] == ["b"]  # no temp folders left behind


def test_failed_analysis_leaves_previous_bundle(tiny, tmp_path, fake_stages, monkeypatch):
    out = tmp_path / "b"
    analyze(tiny, out, progress=False)
    before = (out / "manifest.json").read_text()

    def broken(portfolio, context):
        raise RuntimeError("model blew up")

    monkeypatch.setitem(sys.modules, "kamtools_fake_beta", _fake_module("kamtools_fake_beta", broken))
    with pytest.raises(RuntimeError, match="blew up"):
        analyze(tiny, out, progress=False)
    assert (out / "manifest.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_open_rejects_incomplete_or_foreign_folders(tmp_path):
    with pytest.raises(BundleError, match="not a complete kamtools bundle"):
        Bundle.open(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 999}))
    with pytest.raises(BundleError, match="incompatible"):
        Bundle.open(tmp_path)


def test_an_unknown_stage_name_fails_before_any_work(tiny, tmp_path, fake_stages):
    with pytest.raises(ValueError, match=r"no stage \['alpah'\]; the stages are \['alpha', 'beta', 'gamma'\]"):
        analyze(tiny, tmp_path / "b", progress=False, stages=["alpah"])
    assert not (tmp_path / "b").exists() and list(tmp_path.iterdir()) == []


def test_the_currency_is_checked_first_and_recorded(tiny, tmp_path, fake_stages):
    analyze(tiny, tmp_path / "b", progress=False, currency="eur")
    m = json.loads((tmp_path / "b" / "manifest.json").read_text())
    from kamtools.bids.recommend import DEFAULT_SETTINGS, policy_record

    policy = policy_record(DEFAULT_SETTINGS)  # the built-in playbook's bidding policy, recorded too
    assert m["settings"] == {"currency": "EUR", "negative_lines": None, "bids": policy}
    analyze(tiny, tmp_path / "c", progress=False)
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["settings"] == {
        "currency": None,
        "negative_lines": None,
        "bids": policy,
    }
    with pytest.raises(ValueError, match=r"currency 'euro' is not a three-letter ISO code"):
        analyze(tiny, tmp_path / "d", progress=False, currency="euro")
    assert not (tmp_path / "d").exists()


def test_the_negative_lines_choice_is_checked_first_and_recorded(tiny, tmp_path, fake_stages):
    from kamtools.datasets import write_tables

    write_tables(tiny, tmp_path / "data")
    with pytest.raises(ValueError, match="negative_lines must be keep, drop or reject"):
        analyze(tmp_path / "data", tmp_path / "b", progress=False, negative_lines="burn")
    assert not (tmp_path / "b").exists()
    analyze(tmp_path / "data", tmp_path / "c", progress=False, negative_lines="drop", as_of=tiny.as_of)
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["settings"]["negative_lines"] == "drop"


def test_cli_refuses_a_bad_currency_before_reading_data(tmp_path, capsys):
    from kamtools.cli import main

    code = main(["analyze", str(tmp_path / "no-such-data"), "--out", str(tmp_path / "b"), "--currency", "€"])
    err = capsys.readouterr().err
    assert code == 2 and "currency '€' is not a three-letter ISO code such as EUR, USD or GBP" in err
    assert "No bundle was written." in err and not (tmp_path / "b").exists()
