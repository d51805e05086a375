#!/usr/bin/env python3
"""Write constraints.txt: the exact versions installed in this environment of everything
``kamtools[all,test]`` needs (its requirements and theirs, recursively).

Run it with the project's environment after a deliberate upgrade, then run the tests:

    .venv/bin/pip install --upgrade -e '.[all,test]'      # newest versions the bounds allow
    .venv/bin/python .ci/freeze_constraints.py               # pin them
    python3 run.py test
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# Tested versions: every package kamtools[all,test] needs, pinned exactly.
# run.py and CI install with `pip install -c constraints.txt`; pyproject.toml holds the
# (tested) lower bounds. Regenerate with .ci/freeze_constraints.py (see its docstring).
"""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements(extras: set[str]) -> list[Requirement]:
    """The requirements of ``kamtools[extras]`` as pyproject.toml declares them (self-references expanded)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional = project.get("optional-dependencies", {})
    reqs = [Requirement(r) for r in project["dependencies"]]
    todo, done = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in done:
            continue
        done.add(extra)
        for line in optional[extra]:
            req = Requirement(line)
            if canonical(req.name) == "kamtools":
                todo += sorted(req.extras)
            else:
                reqs.append(req)
    return reqs


def closure(requirements: list[Requirement]) -> dict[str, str]:
    """{canonical name: installed version} of ``requirements`` and theirs, recursively."""
    found: dict[str, str] = {}
    todo: list[tuple[str, set[str]]] = [(r.name, set(r.extras)) for r in requirements]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, wanted = todo.pop()
        key = (canonical(name), frozenset(wanted))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{name} is not installed here; install kamtools[all,test] first")
        found[canonical(name)] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            envs = [{"extra": e} for e in wanted] or [{"extra": ""}]
            if req.marker is not None and not any(req.marker.evaluate(env) for env in envs):
                continue
            todo.append((req.name, set(req.extras)))
    return found


def main() -> int:
    pins = closure(project_requirements({"all", "test"}))
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    (ROOT / "constraints.txt").write_text(HEADER + "\n".join(lines) + "\n")
    print(f"constraints.txt: {len(lines)} pinned packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
