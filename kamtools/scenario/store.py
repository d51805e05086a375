"""Scenarios saved as JSON files: :func:`save`, :func:`load` and the :class:`ScenarioStore` folder."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import unicodedata
from pathlib import Path

from kamtools.scenario.constants import ScenarioError
from kamtools.scenario.model import Scenario


class ScenarioExists(ScenarioError):
    """A scenario of that name is already saved; saving again needs ``overwrite=True``."""


SCENARIO_FORMAT = "kamtools-scenario/1"
SLUG_CHARS = 60  # readable part of a scenario's file name
HASH_CHARS = 10  # hex digits of the name's SHA-256 that keep file names distinct


def save(scenarios: list[Scenario], path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write several scenarios to one JSON file (a list); same replacement rules as :meth:`Scenario.save`."""
    path = Path(path)
    _write_scenario_file(path, json.dumps([s.to_dict() for s in scenarios], indent=2) + "\n", overwrite)
    return path


def load(path: str | os.PathLike) -> list[Scenario]:
    """Read scenarios from a JSON file holding one scenario or a list of them."""
    try:
        data = json.loads(_read_text(Path(path)))
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path} is not valid JSON: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    return [Scenario.from_dict(d) for d in items]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path} is not a kamtools scenario file (not UTF-8 text)") from exc
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _slug(text: str) -> str:
    """Readable, portable part of a file name: ASCII letters, digits, ``-``, at most 60 characters."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    s = "".join(ch if ch.isalnum() else "-" for ch in ascii_text.strip().lower())
    s = "-".join(p for p in s.split("-") if p)[:SLUG_CHARS].strip("-")
    return s or "scenario"


def file_name(name: str) -> str:
    """The file a scenario named ``name`` is saved to: readable slug + hash of the exact name.

    ``"Price +5%"`` -> ``price-5-<hash>.json`` and ``"Price -5%"`` -> ``price-5-<other hash>.json``;
    any name, however long or strange, gives a short file name without path separators.
    """
    digest = hashlib.sha256(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    return f"{_slug(name)}-{digest}.json"


def _scenario_names(path: Path) -> list[str] | None:
    """Names of the scenarios in a kamtools scenario file; None when it is not one (or unreadable)."""
    try:
        if not path.is_file() or path.stat().st_size > 10_000_000:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(d, dict) and d.get("format") == SCENARIO_FORMAT for d in items):
        return None
    return [str(d.get("name", "")) for d in items]


def _write_scenario_file(path: Path, text: str, overwrite: bool, name: str | None = None) -> None:
    """Write ``text`` to ``path`` atomically; never over a file that is not a kamtools scenario.

    An existing scenario file is replaced only with ``overwrite``; when ``name`` is given it
    must also hold exactly that one scenario (else it is another scenario's file).
    """
    if path.exists() or path.is_symlink():
        names = _scenario_names(path) if not path.is_symlink() else None
        if names is None:
            raise ScenarioError(
                f"{path} exists and is not a kamtools scenario file; it was left as it is. "
                "Move it away or save under another name."
            )
        if name is not None and names != [name]:
            raise ScenarioError(
                f"{path} holds another scenario ({', '.join(repr(n) for n in names)}); it was left as it is. "
                "Save under another name."
            )
        if not overwrite:
            what = f"a scenario named {name!r}" if name is not None else "a kamtools scenario file"
            raise ScenarioExists(f"{what} is already saved in {path}; save again with overwrite=True to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            if overwrite:
                os.replace(tmp, path)
            else:
                try:
                    os.link(tmp, path)  # fails if the file appeared meanwhile: never replaced by a race
                except FileExistsError:
                    raced = True
                except OSError:  # a file system without hard links
                    raced = path.exists()
                    if not raced:
                        os.replace(tmp, path)
                else:
                    raced = False
                if raced:
                    raise ScenarioExists(f"{path} was created by someone else just now; it was left as it is")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise ScenarioError(f"could not save to {path}: {exc.strerror or exc}") from exc


class ScenarioStore:
    """Saved scenarios in a folder: one JSON file per scenario, found again by the name stored inside.

    The file name comes from :func:`file_name` (readable slug + hash of the exact name), so
    different names never share a file and no name can lead outside the folder. Saving a
    name that is already saved raises :class:`ScenarioExists` unless ``overwrite=True``;
    a file that is not a kamtools scenario is never replaced.

    Example
    -------
    >>> store = ScenarioStore("scenarios")                                          # doctest: +SKIP
    >>> store.save(Scenario("Price +5%", scope="account:A0001", price_change=5))    # doctest: +SKIP
    >>> store.load_all()[0]["Price +5%"].price_change                               # doctest: +SKIP
    5.0
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def path_for(self, name: str) -> Path:
        """Where a scenario named ``name`` is saved (always directly inside the folder)."""
        return self.folder / file_name(name)  # file_name has no separator, dot-dot or drive: stays inside

    def find(self, name: str) -> Path | None:
        """The file holding the scenario ``name``: its own file, else an older file with that name inside."""
        own = self.path_for(name)
        if own.exists():
            return own
        for path in self._files():
            names = _scenario_names(path)
            if names == [name]:
                return path
        return None

    def save(self, scenario: Scenario, overwrite: bool = False) -> Path:
        """Save ``scenario`` under its name; returns the file. See the class docstring for the rules."""
        name = scenario.name
        if not str(name).strip():
            raise ScenarioError("give the scenario a name before saving it")
        if self.folder.exists() and not self.folder.is_dir():
            raise ScenarioError(f"cannot save scenarios to {self.folder}: it is a file, not a folder")
        path = self.path_for(name)
        older = None
        if not path.exists():
            older = self.find(name)
            if older is not None and not overwrite:
                raise ScenarioExists(
                    f"a scenario named {name!r} is already saved in {older}; save again with overwrite=True "
                    "to replace it"
                )
        _write_scenario_file(path, scenario.to_json() + "\n", overwrite, name=name)
        if older is not None and older != path:
            older.unlink(missing_ok=True)  # the confirmed replacement lives in the scenario's own file now
        return path

    def load(self, name: str) -> Scenario:
        """The saved scenario ``name`` (:class:`ScenarioError` when there is none)."""
        path = self.find(name)
        if path is None:
            raise ScenarioError(f"no scenario named {name!r} is saved in {self.folder}")
        for s in load(path):
            if s.name == name:
                return s
        raise ScenarioError(f"{path} does not hold the scenario {name!r}")

    def load_all(self) -> tuple[dict[str, Scenario], list[str]]:
        """({name: Scenario} for every scenario in the folder, [one sentence per file that was skipped]).

        A scenario's own file (:func:`file_name`) wins over an older file holding the same name.
        """
        found: dict[str, tuple[Scenario, Path]] = {}
        problems: list[str] = []
        for path in self._files():
            try:
                scenarios = load(path)
            except ScenarioError as exc:
                problems.append(f"skipped {path.name}: {exc}")
                continue
            for s in scenarios:
                previous = found.get(s.name)
                if previous is None:
                    found[s.name] = (s, path)
                elif previous[1] == path:
                    problems.append(f"scenario {s.name!r} is saved twice in {path.name}; using the first one")
                else:
                    if path.name == file_name(s.name):  # its own file wins
                        found[s.name] = (s, path)
                    used = found[s.name][1].name
                    problems.append(
                        f"scenario {s.name!r} is saved in both {previous[1].name} and {path.name}; using {used}"
                    )
        return {name: s for name, (s, _) in found.items()}, problems

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.json") if not p.name.startswith("."))
