"""Opening the previous bundle, checking the order of the two, reading their tables and the task export."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from kamtools.review.since.constants import SinceError


def open_previous(path: str | os.PathLike, current=None):
    """Open the previous bundle at ``path`` (read only); :class:`SinceError` with one sentence otherwise.

    With ``current`` (a :class:`kamtools.bundle.Bundle`), the previous bundle must be dated
    before it and must not be the same folder.
    """
    from kamtools.bundle import Bundle, BundleError

    p = Path(path)
    if not p.exists():
        raise SinceError(f"--since: {p} does not exist; give the folder of the previous analysis bundle")
    if not p.is_dir():
        raise SinceError(f"--since: {p} is not a folder; give the folder of the previous analysis bundle")
    try:
        previous = Bundle.open(p)
        previous.as_of  # noqa: B018 - a manifest without a date is not a bundle
    except (BundleError, KeyError, ValueError, OSError) as exc:
        raise SinceError(
            f"--since: {exc}"
            if isinstance(exc, BundleError)
            else f"--since: {p} is not a readable kamtools bundle ({exc})"
        ) from exc
    if current is not None:
        check_order(current, previous)
    return previous


def check_order(current, previous) -> None:
    """:class:`SinceError` unless ``previous`` is dated before ``current``."""
    if Path(previous.path).resolve() == Path(current.path).resolve():
        raise SinceError(f"--since: {previous.path} is the bundle being reported on; give the previous month's bundle")
    if previous.as_of >= current.as_of:
        raise SinceError(
            f"--since: the previous bundle {previous.path} is dated {previous.as_of.date()}, not before the current "
            f"bundle ({current.as_of.date()}); give the older bundle to --since"
        )


def _read(bundle, name: str, accounts: list[str] | None) -> pd.DataFrame | None:
    """Table ``name`` of ``bundle`` (only ``accounts``' rows when given), or None when it is not there."""
    if not bundle.has(name):
        return None
    if accounts is None:
        return bundle.table(name)
    return pd.read_parquet(Path(bundle.path) / f"{name}.parquet", filters=[("account_id", "in", list(accounts))])


def since_freshness(
    previous, tasks_path: str | os.PathLike | None = None, mapping: str | os.PathLike | None = None
) -> dict:
    """What a report rendered ``--since`` depends on: the previous bundle and the task export (hashes)."""

    def digest(path) -> str | None:
        if path is None or str(path) == "":
            return None
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]

    return {
        "previous_fingerprint": previous.fingerprint,
        "previous_manifest": digest(Path(previous.path) / "manifest.json"),
        "tasks": digest(tasks_path),
        "tasks_mapping": digest(mapping),
    }


def read_task_export(path: str | os.PathLike, mapping: str | os.PathLike | None = None) -> pd.DataFrame:
    """A CRM task export read with :func:`kamtools.review.actions.read_tasks`; its errors as :class:`SinceError`."""
    from kamtools.review.actions import CrmMappingError, TaskFileError, read_tasks

    try:
        return read_tasks(path, mapping=mapping or None)
    except (TaskFileError, CrmMappingError) as exc:
        raise SinceError(f"--tasks: {exc}") from exc
