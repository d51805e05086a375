"""The runner: orders the declared stages, hands each its declared inputs and checks its result."""

from __future__ import annotations

import contextvars
import graphlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.groups.parents import without_group_parents
from kamtools.stages import declarations
from kamtools.stages.contract import (
    ALL,
    CHURN_DEFINITION,
    NOTES_KEY,
    PLAYBOOK,
    Stage,
    StageContractError,
    UndeclaredInputError,
)


def stage(name: str) -> Stage:
    """The declared stage ``name`` (KeyError naming the stages there are)."""
    for s in declarations.STAGES:
        if s.name == name:
            return s
    raise KeyError(f"no stage {name!r}; the stages are {[s.name for s in declarations.STAGES]}")


def writer_of(table_name: str) -> Stage | None:
    """The stage that declares it writes ``table_name`` (None for none)."""
    return next((s for s in declarations.STAGES if table_name in s.tables), None)


def dependencies(s: Stage) -> set[str]:
    """The stages whose tables ``s`` reads."""
    return {w.name for t in s.reads if (w := writer_of(t)) is not None and w.name != s.name}


def readers(table_name: str, column: str | None = None) -> list[str]:
    """The stages that read ``table_name`` (and, given, its ``column``), in declaration order."""
    out = []
    for s in declarations.STAGES:
        cols = s.reads.get(table_name)
        if cols is None:
            continue
        if column is None or cols == ALL or column in cols:
            out.append(s.name)
    return out


def ordered(names: Iterable[str] | None = None) -> list[Stage]:
    """The stages ``names`` (default: all) in an order where each runs after those it reads.

    Ordered with :class:`graphlib.TopologicalSorter` over the declarations; among the stages
    that are ready, the one declared first runs first. A stage left out of ``names`` is not
    run (whoever reads its tables gets none of them).
    """
    if names is not None:
        names = set(names)
        unknown = sorted(names - {s.name for s in declarations.STAGES})
        if unknown:
            raise ValueError(f"no stage {unknown}; the stages are {[s.name for s in declarations.STAGES]}")
    wanted = [s for s in declarations.STAGES if names is None or s.name in names]
    position = {s.name: i for i, s in enumerate(wanted)}
    sorter = graphlib.TopologicalSorter({s.name: dependencies(s) & set(position) for s in wanted})
    sorter.prepare()  # raises graphlib.CycleError naming the stages of a cycle
    ready: list[str] = []
    out: list[Stage] = []
    while sorter.is_active():
        ready.extend(sorter.get_ready())
        ready.sort(key=position.__getitem__)
        name = ready.pop(0)
        out.append(wanted[position[name]])
        sorter.done(name)
    return out


def overlap_until(order: list[Stage]) -> dict[str, str | None]:
    """For each background stage of ``order``: the first later stage that depends on it (directly
    or through another stage), before which it must be joined; None when none does."""
    out: dict[str, str | None] = {}
    for i, s in enumerate(order):
        if not s.background:
            continue
        needs = {s.name}
        out[s.name] = None
        for later in order[i + 1 :]:
            if dependencies(later) & needs:
                out[s.name] = later.name
                break
    return out


class StageInputs(Mapping):
    """What one stage may read: its declared upstream tables (those that were produced) and settings.

    Read-only. Asking for a name the stage does not declare (``inputs["x"]``,
    ``inputs.get("x")``, ``"x" in inputs``) raises :class:`UndeclaredInputError` naming the
    stage and the table; a declared table that was not produced (its stage skipped it or did
    not run) is absent (``get`` returns the default). Where its stage left it out with a reason,
    :meth:`left_out` gives that reason, so a stage can say why a part is missing instead of
    guessing (the plan's competitor part read "that analysis was skipped or not run" where the
    data had neither an opportunities nor a competitor_prices table).
    """

    def __init__(
        self, stage: Stage, available: Mapping[str, object], left_out: Mapping[str, NotAvailable] | None = None
    ) -> None:
        self._stage = stage
        self._declared = set(stage.reads) | set(stage.settings)
        self._data = {k: v for k, v in available.items() if k in self._declared}
        self._left_out = {k: v for k, v in (left_out or {}).items() if k in self._declared and k not in self._data}

    def left_out(self) -> dict[str, NotAvailable]:
        """The declared tables an upstream stage left out, each with its reason."""
        return dict(self._left_out)

    def _check(self, name: object) -> None:
        if name not in self._declared:
            raise UndeclaredInputError(
                f"stage {self._stage.name!r} read {name!r}, which its declaration does not list "
                f"(it reads {sorted(self._stage.reads)}); declare it in kamtools/stages/declarations.py"
            )

    def __getitem__(self, name: str) -> object:
        self._check(name)
        return self._data[name]

    def get(self, name: str, default: object = None) -> object:
        self._check(name)
        return self._data.get(name, default)

    def __contains__(self, name: object) -> bool:
        self._check(name)
        return name in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"StageInputs({self._stage.name}: {sorted(self._data)})"


def check_result(s: Stage, produced: Mapping[str, object]) -> None:
    """Raise :class:`StageContractError` when ``s`` wrote a table it does not declare, or a
    non-empty table without a declared column that a later stage reads."""
    for name, result in produced.items():
        if name == NOTES_KEY or isinstance(result, NotAvailable):
            continue
        declared = s.tables.get(name)
        if declared is None:
            raise StageContractError(
                f"stage {s.name!r} wrote the table {name!r}, which its declaration does not list "
                f"(it declares {sorted(s.tables)}); declare it in kamtools/stages/declarations.py"
            )
        if not isinstance(result, pd.DataFrame) or result.empty:
            continue
        for col in declared.required:
            if col not in result.columns and (who := readers(name, col)):
                raise StageContractError(
                    f"stage {s.name!r} wrote the table {name!r} without its declared column {col!r}, "
                    f"which stage(s) {', '.join(who)} read"
                )


def validate_table(s: Stage, name: str, df: pd.DataFrame, extra: Iterable[str] = ()) -> None:
    """Check ``df`` against the schema that stage ``s`` declares for ``name`` (pandera).

    Raises :class:`StageContractError` listing every column that is missing, undeclared or of
    another kind, and which stages read the missing ones.
    """
    import pandera.errors as pe

    try:
        s.tables[name].pandera(extra).validate(df, lazy=True)
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for row in cases.itertuples():
            col = row.failure_case if row.check == "column_in_dataframe" else row.column
            if row.check == "column_in_dataframe":
                who = readers(name, str(col))
                lines.append(f"column {col!r} is missing" + (f" (read by {', '.join(who)})" if who else ""))
            elif row.check == "column_in_schema":
                lines.append(f"column {row.failure_case!r} is not declared")
            else:
                lines.append(f"column {col!r} is not as declared: it {row.check} (found {df[col].dtype})")
        raise StageContractError(f"stage {s.name!r}, table {name!r}: " + "; ".join(lines)) from None


@dataclass
class StageResult:
    """What one stage produced (applied to the run in stage order)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    unavailable: dict[str, NotAvailable] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    summary_cols: list[tuple[str, list[str]]] = field(default_factory=list)
    ran: bool = False
    wall: float | None = None
    cpu: float | None = None


Sink = Callable[[Stage, str, pd.DataFrame], None]


def run_stage(
    s: Stage,
    portfolio: Portfolio,
    available: Mapping[str, object],
    say: Callable[[str], None] = lambda msg: None,
    sink: Sink | None = None,
    cpu_seconds: Callable[[], float] = time.process_time,
    left_out: Mapping[str, NotAvailable] | None = None,
) -> StageResult:
    """Run one stage on its declared inputs, check its result and hand each table to ``sink``.
    ``left_out``: the tables earlier stages left out, with their reasons (:meth:`StageInputs.left_out`)."""
    res = StageResult()
    t, c = time.perf_counter(), cpu_seconds()
    fn = s.entry()
    if fn is None:
        res.unavailable[s.name] = NotAvailable(f"The {s.name} analysis is not part of this kamtools version.")
        return res
    say(f"{s.name}: fitting")
    produced = fn(portfolio, StageInputs(s, available, left_out))
    check_result(s, produced)
    res.ran = True
    for name, result in produced.items():
        if name == NOTES_KEY:
            res.notes.update({str(k): str(v) for k, v in dict(result).items()})
        elif isinstance(result, NotAvailable):
            res.unavailable[name] = result
        else:
            res.tables[name] = result
            if sink is not None:
                sink(s, name, result)
    res.summary_cols = [(t_, list(cols)) for t_, cols in s.summary_columns().items()]
    res.wall = round(time.perf_counter() - t, 3)
    res.cpu = round(cpu_seconds() - c, 3)
    return res


class _Background:
    """One stage running in a thread (with this context's Dask client, see kamtools.parallel)."""

    def __init__(self, s: Stage, *args) -> None:
        self.stage = s
        self.result: StageResult | None = None
        self.error: BaseException | None = None
        ctx = contextvars.copy_context()
        self.thread = threading.Thread(
            target=ctx.run, args=(self._target, s, *args), name=f"kamtools-{s.name}", daemon=True
        )
        self.thread.start()

    def _target(self, *args) -> None:
        try:
            self.result = run_stage(*args)
        except BaseException as exc:  # re-raised in the main thread by join()
            self.error = exc

    def join(self) -> StageResult:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


@dataclass
class Run:
    """The results of :func:`execute`: per stage (in order), and every table and setting by name."""

    order: list[Stage]
    results: dict[str, StageResult]
    available: dict[str, object]
    overlapped: dict[str, list[str]]

    def tables(self) -> dict[str, pd.DataFrame | NotAvailable]:
        """Every table produced or left out (with the reason), by name."""
        out: dict[str, pd.DataFrame | NotAvailable] = {}
        for res in self.results.values():
            out.update(res.unavailable)
            out.update(res.tables)
        return out


def execute(
    portfolio: Portfolio,
    names: Iterable[str] | None = None,
    settings: Mapping[str, object] | None = None,
    overlap: bool = True,
    say: Callable[[str], None] = lambda msg: None,
    sink: Sink | None = None,
    progress: Callable[[Iterable[Stage]], Iterable[Stage]] = iter,
    cpu_seconds: Callable[[], float] = time.process_time,
) -> Run:
    """Run the stages ``names`` (default: all) on ``portfolio`` in declaration order (see :func:`ordered`).

    ``settings`` maps :data:`SETTINGS` keys to their values. With ``overlap``, a background
    stage runs in a thread until the first stage that depends on it (:func:`overlap_until`);
    the tables are the same either way. ``sink(stage, name, table)`` receives each table
    (in the stage's thread), e.g. to write it. Stages not declared ``group_parents`` get the portfolio
    without the accounts that only group others (:func:`kamtools.groups.parents.without_group_parents`).
    """
    order = ordered(names)
    join_before = overlap_until(order) if overlap else {}
    trading = without_group_parents(portfolio)  # the same object when no account only groups others
    available: dict[str, object] = dict(settings or {})
    left_out: dict[str, NotAvailable] = {}  # tables a stage left out, with the reason
    results: dict[str, StageResult] = {}
    overlapped: dict[str, list[str]] = {}
    background: _Background | None = None

    def apply(s: Stage, res: StageResult) -> None:
        results[s.name] = res
        available.update(res.tables)
        left_out.update(res.unavailable)

    for s in progress(order):
        if background is not None and s.name == join_before[background.stage.name]:
            apply(background.stage, background.join())
            background = None
        if background is None and s.name in join_before:
            seen = portfolio if s.group_parents else trading
            background = _Background(s, seen, dict(available), say, sink, cpu_seconds, dict(left_out))
            overlapped[s.name] = []
            continue
        if background is not None:
            overlapped[background.stage.name].append(s.name)
        seen = portfolio if s.group_parents else trading
        apply(s, run_stage(s, seen, available, say, sink, cpu_seconds, left_out))
    if background is not None:
        apply(background.stage, background.join())
    return Run(order, {s.name: results[s.name] for s in order}, available, overlapped)


def upstream(name: str) -> list[str]:
    """``name`` and every stage it reads from, directly or through others."""
    seen: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(dependencies(stage(current)))
    return seen


def run_stages(
    portfolio: Portfolio,
    upto: str | None = None,
    stages: Iterable[str] | None = None,
    playbook: object = None,
    churn_definition: object = None,
) -> dict[str, pd.DataFrame | NotAvailable]:
    """Run stages in memory (nothing written) and return every table by name (NotAvailable: why not).

    ``upto``: the stage ``upto`` and the stages it reads from (e.g. ``upto="plan"``);
    ``stages``: these stages; neither: all. ``playbook`` and ``churn_definition`` as in
    :func:`kamtools.bundle.analyze`.
    """
    from kamtools.churn.labels import definition_from
    from kamtools.plan import checked_playbook

    names = upstream(upto) if upto is not None else stages
    settings = {
        PLAYBOOK: checked_playbook(playbook)[0],
        CHURN_DEFINITION: None if churn_definition is None else definition_from(churn_definition),
    }
    return execute(portfolio, names, settings).tables()
