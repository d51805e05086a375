"""The analysis stages: what each reads and writes, and the runner that orders and runs them.

Every stage of :func:`kamtools.bundle.analyze` is declared here once, as a :class:`Stage`:

* ``portfolio``: the Portfolio tables it reads;
* ``reads``: the tables of earlier stages it reads, by name, with the columns it reads
  (``ALL`` for every declared column, e.g. the plan reads each KPI that is a plan fact);
* ``settings``: the settings of ``analyze`` it receives (the playbook, the churn definition);
* ``writes``: the tables it writes, each a :class:`TableSchema` (columns and their kind),
  checked with pandera by :func:`validate_table`;
* ``background``: its heavy work runs in worker processes (or on the Dask cluster), so it
  may run in a thread beside the stages that do not depend on it.

The runner (:func:`execute`, used by ``analyze`` and :func:`run_stages`) orders the stages
from these declarations (:class:`graphlib.TopologicalSorter`, ties in declaration order),
starts a background stage in a thread and joins it before the first stage that depends on
it, hands each stage a read-only :class:`StageInputs` holding only its declared upstream
tables and settings (reading anything else raises :class:`UndeclaredInputError`), and checks
each result: an undeclared table, or a declared column missing that a later stage reads,
raises :class:`StageContractError` naming the stage, the table, the column and its readers.

A new stage adds one :class:`Stage` to ``STAGES`` in :mod:`kamtools.stages.declarations` (its module exposes
``bundle_tables(portfolio, inputs) -> {name: DataFrame | NotAvailable}`` and may declare
``SUMMARY_COLUMNS``); ``python -m kamtools.stages --markdown`` prints the stage diagram of
``docs/architecture.md`` from these declarations.
"""

from kamtools.stages.contract import (
    ALL,
    CHURN_DEFINITION,
    NOTES_KEY,
    PLAYBOOK,
    SETTINGS,
    Stage,
    StageContractError,
    TableSchema,
    UndeclaredInputError,
    table,
)
from kamtools.stages.declarations import STAGES, SUMMARY_TABLE
from kamtools.stages.runner import (
    Run,
    StageInputs,
    StageResult,
    check_result,
    dependencies,
    execute,
    ordered,
    overlap_until,
    readers,
    run_stage,
    run_stages,
    stage,
    upstream,
    validate_table,
    writer_of,
)

__all__ = [
    "ALL",
    "CHURN_DEFINITION",
    "NOTES_KEY",
    "PLAYBOOK",
    "SETTINGS",
    "STAGES",
    "SUMMARY_TABLE",
    "Run",
    "Stage",
    "StageContractError",
    "StageInputs",
    "StageResult",
    "TableSchema",
    "UndeclaredInputError",
    "check_result",
    "dependencies",
    "execute",
    "ordered",
    "overlap_until",
    "readers",
    "run_stage",
    "run_stages",
    "stage",
    "table",
    "upstream",
    "validate_table",
    "writer_of",
]
