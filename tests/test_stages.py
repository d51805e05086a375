"""The declared stage contracts (kamtools.stages): order, overlap, inputs, result checks."""

from __future__ import annotations

import graphlib
import sys
import types

import pandas as pd
import pytest

from kamtools import stages as S
from kamtools.data import NotAvailable
from kamtools.stages import Stage, StageContractError, StageInputs, UndeclaredInputError, declarations, table


@pytest.fixture(scope="module")
def tiny():
    from kamtools.datasets import make_portfolio

    return make_portfolio(n_accounts=12, years=2, seed=5)[0]


def test_declarations_are_consistent():
    names = [s.name for s in S.STAGES]
    assert len(names) == len(set(names))
    written = [t.name for s in S.STAGES for t in s.writes]
    assert len(written) == len(set(written)), "two stages declare the same table"
    for s in S.STAGES:
        assert set(s.settings) <= set(S.SETTINGS)
        for name, cols in s.reads.items():
            writer = S.writer_of(name)
            assert writer is not None, f"stage {s.name} reads {name}, which no stage writes"
            if cols != S.ALL:
                missing = set(cols) - set(writer.tables[name].column_names)
                assert not missing, f"stage {s.name} reads {name}.{sorted(missing)}, which {writer.name} does not write"
    # the declared order is already one where each stage runs after those it reads
    assert [s.name for s in S.ordered()] == names


def test_order_follows_the_reads_and_overlap_is_derived(monkeypatch):
    a = Stage("a", "m_a", portfolio=(), writes=(table("ta", "x:int"),))
    slow = Stage("slow", "m_s", portfolio=(), writes=(table("ts", "y:int"),), background=True)
    b = Stage("b", "m_b", portfolio=(), reads={"ta": ("x",)}, writes=(table("tb", "z:int"),))
    c = Stage("c", "m_c", portfolio=(), reads={"tb": ("z",)}, writes=(table("tc", "z:int"),))
    late = Stage("late", "m_l", portfolio=(), reads={"ts": ("y",)}, writes=())
    # declared with b before a: the runner still runs a first
    monkeypatch.setattr(declarations, "STAGES", (b, slow, a, c, late))
    order = S.ordered()
    assert [s.name for s in order] == ["slow", "a", "b", "c", "late"]
    assert S.overlap_until(order) == {"slow": "late"}
    assert S.upstream("c") == ["c", "b", "a"]
    # a background stage read (through another stage) by the next stage is joined before it
    c2 = Stage("c", "m_c", portfolio=(), reads={"ts": ("y",)}, writes=(table("tc", "z:int"),))
    monkeypatch.setattr(declarations, "STAGES", (slow, a, b, c2, late))
    assert S.overlap_until(S.ordered()) == {"slow": "c"}
    loop = Stage("a", "m_a", portfolio=(), reads={"tb": ("z",)}, writes=(table("ta", "x:int"),))
    monkeypatch.setattr(declarations, "STAGES", (loop, b))
    with pytest.raises(graphlib.CycleError):
        S.ordered()


def test_the_real_pipeline_overlaps_the_forecast_until_churn():
    # churn is the first reader: revenue at risk is its figure times the 12-month forecast (issue 17)
    assert S.overlap_until(S.ordered()) == {"forecast": "churn"}
    assert S.overlap_until(S.ordered(["forecast", "churn"])) == {"forecast": "churn"}
    assert S.overlap_until(S.ordered(["value", "forecast"])) == {"forecast": None}
    with pytest.raises(ValueError, match=r"no stage \['forcast'\]; the stages are \['value', 'segment'"):
        S.ordered(["value", "forcast"])


def test_inputs_hold_only_the_declared_tables():
    s = S.stage("segment")
    inputs = StageInputs(s, {"value": pd.DataFrame({"account_id": ["A"]}), "churn": pd.DataFrame()})
    assert list(inputs) == ["value"] and inputs.get("value") is not None
    with pytest.raises(UndeclaredInputError, match="stage 'segment' read 'churn', which its declaration does not list"):
        inputs.get("churn")
    with pytest.raises(UndeclaredInputError, match="'forecast'"):
        _ = "forecast" in inputs
    with pytest.raises(TypeError):
        inputs["value"] = pd.DataFrame()  # read-only
    # a declared table that was not produced is simply absent
    assert StageInputs(s, {}).get("value") is None


def _fake(monkeypatch, name, fn):
    mod = types.ModuleType(name)
    mod.bundle_tables = fn
    monkeypatch.setitem(sys.modules, name, mod)


def test_a_renamed_column_fails_naming_the_stages_that_read_it(tiny, monkeypatch):
    from kamtools import value

    def renamed(portfolio, inputs):
        out = value.bundle_tables(portfolio, inputs)
        out["value"] = out["value"].rename(columns={"p_alive": "prob_alive"})
        return out

    _fake(monkeypatch, "kamtools_fake_value", renamed)
    fake = Stage("value", "kamtools_fake_value", portfolio=("orders",), writes=S.stage("value").writes)
    monkeypatch.setattr(declarations, "STAGES", (fake, *declarations.STAGES[1:]))
    with pytest.raises(StageContractError) as err:
        S.execute(tiny, ["value"])
    msg = str(err.value)
    assert "stage 'value' wrote the table 'value' without its declared column 'p_alive'" in msg
    assert "segment" in msg and "churn" in msg and "plan" in msg


def test_an_undeclared_table_or_a_schema_mismatch_is_named(tiny, monkeypatch):
    _fake(monkeypatch, "kamtools_fake_x", lambda p, i: {"x": pd.DataFrame({"a": [1]}), "extra": pd.DataFrame()})
    x = Stage("x", "kamtools_fake_x", portfolio=(), writes=(table("x", "a:int"),))
    monkeypatch.setattr(declarations, "STAGES", (x,))
    with pytest.raises(StageContractError, match="stage 'x' wrote the table 'extra', which its declaration does not"):
        S.execute(tiny)
    with pytest.raises(StageContractError) as err:
        S.validate_table(x, "x", pd.DataFrame({"a": [1.5], "b": ["?"]}))
    assert "stage 'x', table 'x'" in str(err.value)
    assert "column 'b' is not declared" in str(err.value) and "'a' is not as declared" in str(err.value)


def test_run_stages_runs_only_what_the_stage_needs(tiny):
    tables = S.run_stages(tiny, upto="segment")
    assert {"value", "value_model", "segments"} <= set(tables)
    assert not any(name.startswith(("forecast", "churn", "kpis", "plan")) for name in tables)
    assert isinstance(tables.get("segment_profiles"), (pd.DataFrame, NotAvailable))


def test_no_stage_calls_another_stages_entry_point():
    """Only the runner calls a stage's bundle_tables (one way to produce each table)."""
    import ast
    from pathlib import Path

    import kamtools

    root = Path(kamtools.__file__).parent
    calls = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if name == "bundle_tables":
                    calls.append(f"{path.relative_to(root)}:{node.lineno}")
    assert calls == [], f"bundle_tables called outside the runner: {calls}"


def test_account_plan_on_a_portfolio_runs_the_plans_upstream_stages(tiny, monkeypatch):
    from kamtools import plan as P
    from kamtools.stages import runner

    ran = []
    real = runner.run_stage

    def spy(s, *args, **kwargs):
        ran.append(s.name)
        return real(s, *args, **kwargs)

    monkeypatch.setattr(runner, "run_stage", spy)
    aid = tiny.accounts["account_id"].iloc[0]
    plan = P.account_plan(tiny, aid)
    assert plan.account_id == aid and {"revenue_ltm", "health_score"} <= set(plan.facts)
    # every stage the plan reads from ran, in their declared order, and nothing else
    assert ran == [s.name for s in S.ordered(S.upstream("plan")) if s.name != "plan"]
    assert "scenario" not in ran and "bids" not in ran
