"""Optional parts of kamtools and the one-sentence message when one is not installed.

A core install (``pip install kamtools``) loads data, runs every analysis, writes the
analysis bundle and has the whole command line. The faces that need heavier libraries
are extras, installed on demand:

=========== ============================================ ==========================================
extra       what it adds                                 used by
=========== ============================================ ==========================================
``reports`` papermill, nbconvert, nbclient, ipykernel    ``kamtools reports``, ``kamtools demo``
``planner`` Voila, ipywidgets, ipykernel                 ``kamtools plan``, ``kamtools.widgets``
``dask``    dask.distributed, dask.dataframe             ``--scheduler``, ``monthly_revenue_from_parquet``
``sql``     SQLAlchemy                                   database URLs as a data source
``excel``   openpyxl                                     ``.xlsx`` workbooks and files
``lab``     JupyterLab                                   the interactive notebooks
``decks``   python-pptx                                  ``kamtools reports --format pptx``
``all``     every extra above
=========== ============================================ ==========================================

:func:`require` checks an extra before the work starts and raises :class:`MissingExtra`
(an ``ImportError``) whose message names the extra and the pip command; the command line
prints that sentence and exits with code 2.
"""

from __future__ import annotations

import importlib
import importlib.util

__all__ = ["EXTRAS", "MissingExtra", "require", "import_optional", "missing_modules"]

# extra -> (what it is for, modules it must provide)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "reports": (
        "rendering reports",
        ("papermill", "nbconvert", "nbclient", "nbformat", "ipykernel", "jupyter_client", "jupyter_core"),
    ),
    "planner": ("the scenario planner", ("ipywidgets", "voila", "jupyter_server", "ipykernel")),
    "dask": ("running on a Dask cluster", ("dask", "distributed")),
    "sql": ("reading from a database", ("sqlalchemy",)),
    "excel": ("reading Excel workbooks", ("openpyxl",)),
    "lab": ("the interactive notebooks in JupyterLab", ("jupyterlab", "ipywidgets", "ipykernel")),
    "decks": ("PowerPoint decks", ("pptx",)),
}


class MissingExtra(ImportError):
    """An optional part of kamtools is needed but not installed; the message says how to install it."""

    def __init__(self, extra: str, modules: list[str], what: str | None = None) -> None:
        purpose = what or EXTRAS[extra][0]
        names = ", ".join(modules)
        super().__init__(
            f"{purpose[:1].upper() + purpose[1:]} needs the optional kamtools extra '{extra}' "
            f"({names} {'is' if len(modules) == 1 else 'are'} not installed): pip install 'kamtools[{extra}]'",
            name=modules[0] if modules else None,
        )
        self.extra = extra
        self.modules = modules


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that cannot be imported, or sys.modules[name] is None
        return False


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (empty when the extra is installed)."""
    return [m for m in EXTRAS[extra][1] if not _importable(m)]


def require(extra: str, what: str | None = None) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` is installed.

    ``what`` replaces the default description of what needs it ("rendering reports").
    Cheap: modules are looked up, not imported.
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown kamtools extra {extra!r}; choose from {sorted(EXTRAS)}")
    missing = missing_modules(extra)
    if missing:
        raise MissingExtra(extra, missing, what)


def import_optional(module: str, extra: str, what: str | None = None):
    """``importlib.import_module(module)``, or :class:`MissingExtra` naming ``extra`` when it is absent."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = module.split(".")[0]
        if exc.name is not None and exc.name.split(".")[0] != top:
            raise  # the module is there but one of its own imports is broken
        raise MissingExtra(extra, [top], what) from exc
