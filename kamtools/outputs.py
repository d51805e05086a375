"""Where kamtools may write, and how it writes without ever losing or half-writing a file.

The rule, shared by every command that writes (``analyze --out``, ``reports --out``,
``make-demo-data OUT_DIR``, ``demo --out``, ``deliver --to``):

* a path that does not exist yet, or an empty folder, may be used;
* a folder that kamtools made itself may be replaced or updated: it holds the marker
  file :data:`MARKER` (written into every output folder kamtools creates), or it is an
  analysis bundle (``manifest.json`` written by kamtools) or a reports folder
  (``.kamtools-state/``) of an earlier version;
* anything else is refused before any work, with one sentence naming the path and
  what to do: an existing file, a folder holding other files, the data folder being
  analysed or a folder that contains it, and a kamtools folder of another kind (a
  reports folder is not replaced by a bundle).

Writes go to a temporary sibling named ``.NAME.tmp-<pid>-<hex>`` (a file or a whole
folder) and are renamed into place, so a killed run never
leaves a half-written output; the next run removes the temporaries whose owner process
is gone (:func:`remove_stale`), never one that a live process is still writing.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

MARKER = ".kamtools-output.json"
KINDS = {
    "bundle": "analysis bundle",
    "reports": "reports folder",
    "demo-data": "demo data folder",
    "delivery": "delivery folder",
}
# errors that no other file of the run could escape: the run stops with one message
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
# temporaries of kamtools versions that did not put the owner's pid in the name are
# removed once they are this old (no run takes that long between two writes)
LEGACY_TEMP_AGE = 6 * 3600

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<tag>tmp|old)-(?P<pid>\d+)-[0-9a-f]{8}(?:\.pdf)?$")
_LEGACY_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<tag>tmp|old)-[0-9a-f]{8}(?:\.pdf)?$")


class OutputError(Exception):
    """kamtools may not (or could not) write an output; the message says where and what to do."""


# ---- which folders are kamtools' own --------------------------------------------------------


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def output_kind(path: str | os.PathLike) -> str | None:
    """The kind of kamtools output folder at ``path`` (a key of :data:`KINDS`), or None."""
    folder = Path(path)
    if not folder.is_dir():
        return None
    marker = _read_json(folder / MARKER)
    if isinstance(marker, dict) and marker.get("kamtools_output") in KINDS:
        return str(marker["kamtools_output"])
    manifest = _read_json(folder / "manifest.json")
    if isinstance(manifest, dict) and "format" in manifest and "kamtools_version" in manifest:
        return "bundle"
    if (folder / ".kamtools-state").is_dir():
        return "reports"
    return None


def marker_text(kind: str) -> str:
    """The content of :data:`MARKER` for an output of ``kind`` (deterministic)."""
    about = (
        f"This {KINDS[kind]} was written by kamtools. kamtools may replace or update it on its next run; "
        "it never replaces a folder without this file."
    )
    return json.dumps({"kamtools_output": kind, "about": about}, indent=1, sort_keys=True) + "\n"


def _kamtools_entry(path: Path) -> bool:
    """True for what kamtools leaves in a folder next to its outputs: its own folders,
    its demo stamps and its temporaries."""
    if _TEMP.match(path.name) or _LEGACY_TEMP.match(path.name) or path.name == MARKER:
        return True
    if path.name.endswith(".kamtools-demo.json") and path.is_file():
        return True
    return path.is_dir() and output_kind(path) is not None


# ---- the rule --------------------------------------------------------------------------------


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _same_or_inside(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def check_output_dir(
    path: str | os.PathLike,
    kind: str,
    *,
    flag: str = "--out",
    sources: tuple = (),
    reading: str | os.PathLike | None = None,
) -> Path:
    """Raise :class:`OutputError` unless kamtools may write a ``kind`` output at ``path``.

    ``sources`` are data folders being read (refused as outputs, as are folders holding
    them); ``reading`` is a bundle being read by a reports run (refused, as is any folder
    inside it, which ``analyze`` replaces as a whole). Writes nothing; returns the path.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    given = Path(path).expanduser()
    full = given.resolve()
    _refuse_sources(given, full, sources, flag)
    if reading is not None:
        _refuse_bundle_being_read(given, full, reading, flag)
    if kind == "bundle" and _same_or_inside(Path.cwd().resolve(), full):
        raise OutputError(
            f"{given} is the folder you are working in (or holds it), and a bundle folder is replaced as a whole; "
            f"choose a subfolder for {flag}, for example {Path(given) / 'bundle'}"
        )
    if given.is_symlink() and not given.exists():
        raise OutputError(f"{given} is a link to something that does not exist; remove it or choose another {flag}")
    if given.exists() and not given.is_dir():
        raise OutputError(
            f"{given} is an existing file, not a folder; kamtools does not replace files, "
            f"so choose a new or empty folder for {flag}"
        )
    if given.is_dir():
        _check_existing_folder(given, kind, flag)
    else:
        _check_creatable(given, full, flag)
    return given


def _refuse_sources(given: Path, full: Path, sources: tuple, flag: str) -> None:
    """Refuse a data folder being read, or a folder holding one, as an output."""
    for source in sources:
        src = Path(source).expanduser().resolve()
        if full == src:
            raise OutputError(
                f"{given} is the data folder being read; choose another folder for {flag} "
                f"(kamtools never writes into its source data)"
            )
        if _same_or_inside(src, full):
            raise OutputError(f"{given} contains the data being read ({source}); choose a folder outside it for {flag}")


def _refuse_bundle_being_read(given: Path, full: Path, reading: str | os.PathLike, flag: str) -> None:
    """Refuse the bundle being read, or a folder inside it (``analyze`` replaces it as a whole)."""
    bundle = Path(reading).expanduser().resolve()
    if full == bundle:
        raise OutputError(
            f"{given} is the analysis bundle being read; choose another folder for {flag}, "
            f"for example {bundle.parent / 'reports'}"
        )
    if bundle in full.parents:
        raise OutputError(
            f"{given} is inside the analysis bundle {reading}, which `kamtools analyze` replaces as a whole; "
            f"choose a folder outside it for {flag}"
        )


def _check_existing_folder(given: Path, kind: str, flag: str) -> None:
    """An existing folder may hold a ``kind`` output when kamtools made it as one, or it is empty
    (for reports: holds only what kamtools leaves, e.g. the bundle the reports are made from)."""
    found = output_kind(given)
    if found == kind:
        return
    if found is not None:
        raise OutputError(
            f"{given} is a kamtools {KINDS[found]}, not {_a(KINDS[kind])}; choose another folder for {flag}"
        )
    try:
        entries = sorted(given.iterdir())
    except OSError as exc:
        raise OutputError(f"cannot read the folder {given} ({exc.strerror}); choose another folder for {flag}") from exc
    if not entries:
        return
    if kind == "reports" and all(_kamtools_entry(e) for e in entries):
        return  # e.g. a folder that so far only holds the bundle the reports are made from
    names = ", ".join(e.name for e in entries[:3]) + (", ..." if len(entries) > 3 else "")
    raise OutputError(
        f"{given} already holds files that kamtools did not write ({names}); kamtools only replaces "
        f"folders it made itself, so choose a new or empty folder for {flag}"
    )


def _check_creatable(given: Path, full: Path, flag: str) -> None:
    """A new folder can be made: its nearest existing ancestor is a writable folder."""
    ancestor = full.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot create {given}: {ancestor} is a file, not a folder; choose another path for {flag}")
    if not os.access(ancestor, os.W_OK):
        raise OutputError(
            f"cannot create {given}: the folder {ancestor} is not writable; choose a folder you can write to for {flag}"
        )


def claim_output_dir(path: str | os.PathLike, kind: str, **check) -> Path:
    """:func:`check_output_dir`, then create the folder and (re)write its :data:`MARKER`.

    Writing the marker also proves the folder is writable: a read-only folder or a full
    disk is reported here, before any work, as an :class:`OutputError`.
    """
    folder = check_output_dir(path, kind, **check)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / MARKER
        if _read_json(marker) != json.loads(marker_text(kind)):
            write_atomic(marker, marker_text(kind))
        else:  # already marked: still prove that the folder takes new files
            probe = folder / temp_name("write-check")
            with open(probe, "xb", buffering=0) as fh:
                _write_bytes(fh, b"ok")
            probe.unlink()
    except OSError as exc:
        raise OutputError(write_failure(folder, exc, flag=check.get("flag", "--out"))) from exc
    return folder


# ---- messages ------------------------------------------------------------------------------


def is_disk_error(exc: BaseException) -> bool:
    """True for write errors that every other file of the run would hit too (full disk,
    read-only or forbidden folder, I/O error)."""
    return isinstance(exc, OSError) and exc.errno in DISK_ERRNOS


def write_failure(path: str | os.PathLike, exc: OSError, flag: str = "--out") -> str:
    """One sentence saying that ``path`` could not be written, why, and what to do."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"could not write {path}: the disk is full ({reason}); free some space and run again"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"could not write {path}: {reason}; make the folder writable or choose another folder for {flag}"
    if exc.errno == errno.EISDIR:
        return f"could not write {path}: a folder of that name is in the way; move or rename that folder"
    if exc.errno == errno.ENOTDIR:
        return f"could not write {path}: a file stands where a folder is needed on that path; move or rename it"
    return f"could not write {path}: {reason}"


# ---- temporaries ---------------------------------------------------------------------------


def replace_folder(tmp: Path, target: Path, kind: str, flag: str = "--out") -> None:
    """Rename the finished folder ``tmp`` to ``target``, replacing what kamtools made there.

    ``target`` is checked again (a folder kamtools did not make may have appeared during
    the run). The previous folder is moved aside first and removed only once the new one
    is in place; if the rename fails it is put back, and if the process dies in between
    the next run finds it under its temporary name.
    """
    check_output_dir(target, kind, flag=flag)
    backup = None
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        target.rmdir()
    elif target.exists() or target.is_symlink():
        backup = target.parent / temp_name(target.name, "old")
        target.rename(backup)
    try:
        tmp.rename(target)
    except BaseException:
        if backup is not None:
            backup.rename(target)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def temp_name(name: str, tag: str = "tmp") -> str:
    """``.NAME.<tag>-<pid>-<hex>``: a hidden temporary that names the process writing it."""
    return f".{name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` exists on this machine (a zombie counts as gone)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2 :].split()[0] != "Z"
    except (OSError, ValueError, IndexError):
        return True


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def remove_stale(folder: str | os.PathLike, name: str | None = None) -> list[Path]:
    """Remove the temporaries in ``folder`` (of output ``name`` only, when given) that no
    live process owns; returns what was removed.

    A backup ``.NAME.old-<pid>-<hex>`` whose owner died between moving the previous
    output aside and moving the new one in is put back as ``NAME`` when ``NAME`` is
    missing, so the previous output is never lost.
    """
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is not None:
            if pid_alive(int(match["pid"])):
                continue
        else:
            match = _LEGACY_TEMP.match(entry.name)
            if match is None:
                continue
            try:
                if now - entry.lstat().st_mtime < LEGACY_TEMP_AGE:
                    continue
            except OSError:
                continue
        if name is not None and match["name"] != name:
            continue
        target = folder / match["name"]
        if match["tag"] == "old" and entry.is_dir() and not target.exists() and not target.is_symlink():
            try:
                entry.rename(target)
                continue
            except OSError:
                pass
        if _remove(entry):
            removed.append(entry)
    return removed


def remove_stale_prefixed(root: str | os.PathLike, prefix: str) -> list[Path]:
    """Remove folders ``root/<prefix><pid>-...`` (e.g. kernel sockets, browser profiles in
    the temporary folder) whose owner process ``pid`` is gone; returns what was removed."""
    removed: list[Path] = []
    try:
        entries = sorted(Path(root).glob(prefix + "*"))
    except OSError:
        return removed
    for entry in entries:
        owner = entry.name[len(prefix) :].split("-", 1)[0]
        if owner.isdigit() and entry.is_dir() and not entry.is_symlink() and not pid_alive(int(owner)):
            if _remove(entry):
                removed.append(entry)
    return removed


# ---- writing ---------------------------------------------------------------------------------


def _write_bytes(fh, data: bytes) -> None:
    """Write all of ``data`` to the unbuffered binary file ``fh`` (an error surfaces here,
    not at close). Tests replace it to simulate a full disk."""
    view = memoryview(data)
    while view:
        view = view[fh.write(view) :]


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to a temporary sibling and rename it over ``path``.

    Either the old content or the complete new content is at ``path`` afterwards, even
    when the disk fills up or the process is killed; a failed write leaves no temporary.
    """
    path = Path(path)
    tmp = path.with_name(temp_name(path.name))
    try:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def append_line(path: str | os.PathLike, line: str) -> None:
    """Append ``line`` and a newline to ``path``: the whole line, or nothing (a failed
    append is cut off again)."""
    raw = (line.rstrip("\n") + "\n").encode("utf-8")
    with open(path, "ab", buffering=0) as fh:
        start = fh.seek(0, os.SEEK_END)
        try:
            _write_bytes(fh, raw)
        except BaseException:
            try:
                fh.truncate(start)
            except OSError:
                pass
            raise
