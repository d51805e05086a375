"""Library modules do not import the command line: the CLI sits on top of the library."""

from __future__ import annotations

import ast
from pathlib import Path

import kamtools

ROOT = Path(kamtools.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_library_module_imports_the_cli():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n == "kamtools.cli" or n.startswith("kamtools.cli.")
        )
        for path in ROOT.rglob("*.py")
        if path.parts[len(ROOT.parts)] != "cli" and path.name != "__main__.py"
    }
    assert not {k: v for k, v in offenders.items() if v}
