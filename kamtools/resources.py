"""Files that ship inside the kamtools package, found wherever kamtools is installed.

The report and analysis notebooks (``kamtools/notebooks/``), the HTML/CSS/JS templates
(``kamtools/templates/``), the default action playbook (``kamtools/playbook.yml``) and the
demo portfolio (``kamtools/demo_data/``) are package data: a wheel carries them, and they
are located through :mod:`importlib.resources` -- never relative to a source checkout --
so a ``pip install``-ed kamtools finds them from any working folder, exactly like an
editable install in a checkout does.

Example
-------
>>> from kamtools.resources import notebook
>>> notebook("account_report.ipynb").name
'account_report.ipynb'
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["resource_path", "notebooks_dir", "notebook", "templates_dir", "demo_data_dir", "playbook_path"]

NOTEBOOKS = "notebooks"
TEMPLATES = "templates"
DEMO_DATA = "demo_data"
PLAYBOOK = "playbook.yml"


def resource_path(*parts: str) -> Path:
    """The file-system path of ``kamtools/<parts...>`` in the installed package.

    kamtools is installed as plain files (wheel or editable), so the resource is a real
    path that notebooks, papermill and Voila can open. The path may not exist (callers
    say which file is missing).
    """
    node = files("kamtools")
    for part in parts:
        node = node.joinpath(part)
    if not isinstance(node, Path):
        raise RuntimeError(
            f"kamtools is installed in a form without plain files ({type(node).__name__}); "
            "install it from its wheel with pip so that its notebooks and data are files on disk"
        )
    return node


def notebooks_dir() -> Path:
    """Folder of the shipped notebooks (report notebooks, scenario planner, analysis notebooks)."""
    return resource_path(NOTEBOOKS)


def notebook(name: str) -> Path:
    """Path of the shipped notebook ``name`` (e.g. ``"account_report.ipynb"``)."""
    return resource_path(NOTEBOOKS, name)


def templates_dir() -> Path:
    """Folder of the report and index page templates."""
    return resource_path(TEMPLATES)


def demo_data_dir() -> Path:
    """Folder of the committed demo portfolio (one CSV per table)."""
    return resource_path(DEMO_DATA)


def playbook_path() -> Path:
    """The default action playbook of :mod:`kamtools.plan`."""
    return resource_path(PLAYBOOK)
