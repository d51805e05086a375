"""Where reports go and when they are up to date.

File names are derived from account ids with :func:`report_stem` (a slug of safe
characters plus a short hash of the exact id), so any id -- ``../../x``, ``CON``,
``<script>``, two ids that differ only in punctuation -- maps to a distinct file inside
``OUT_DIR/accounts/``.

A report is up to date when its sidecar (``OUT_DIR/.kamtools-state/<stem>.json``)
records the same :func:`freshness` values as the current run: bundle fingerprint,
manifest hash, notebook hash, kamtools version and a hash of the kamtools source that
draws the report, and its output files exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kamtools import __version__

ACCOUNTS_DIR = "accounts"
GROUPS_DIR = "groups"  # the global account plans (one per parent account), only when the bundle has groups
STATE_DIR = ".kamtools-state"
OVERVIEW_STEM = "portfolio_overview"
RUN_LOG = "run.log"
INDEX = "index.html"

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def report_stem(account_id: str) -> str:
    """A file-name stem for ``account_id``: ``<slug>-<10 hex of sha256(id)>``.

    Only ``[A-Za-z0-9_-]`` survive in the slug (max 40 characters), so the stem has no
    path separators, no dots and cannot leave its folder; the hash keeps ids unique.
    """
    text = str(account_id)
    slug = _UNSAFE.sub("-", text).strip("-_")[:40].strip("-_") or "account"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}-{digest}"


@dataclass(frozen=True)
class ReportPaths:
    """The files of one report inside ``OUT_DIR``."""

    html: Path
    pdf: Path
    state: Path
    href: str  # link from index.html (relative, safe characters only)


def account_paths(out_dir: str | os.PathLike, account_id: str) -> ReportPaths:
    """Paths of an account's report under ``out_dir`` (always inside ``out_dir/accounts``)."""
    out = Path(out_dir)
    stem = report_stem(account_id)
    return ReportPaths(
        html=out / ACCOUNTS_DIR / f"{stem}.html",
        pdf=out / ACCOUNTS_DIR / f"{stem}.pdf",
        state=out / STATE_DIR / f"{stem}.json",
        href=f"{ACCOUNTS_DIR}/{stem}.html",
    )


def group_paths(out_dir: str | os.PathLike, group_id: str) -> ReportPaths:
    """Paths of a parent account's group report (its global account plan), always inside
    ``out_dir/groups``; its sidecar is ``.kamtools-state/group-<stem>.json``."""
    out = Path(out_dir)
    stem = report_stem(group_id)
    return ReportPaths(
        html=out / GROUPS_DIR / f"{stem}.html",
        pdf=out / GROUPS_DIR / f"{stem}.pdf",
        state=out / STATE_DIR / f"group-{stem}.json",
        href=f"{GROUPS_DIR}/{stem}.html",
    )


def group_href_from_report(group_id: str) -> str:
    """The link from an account report (``accounts/``) or a group report (``groups/``) to a group report."""
    return f"../{GROUPS_DIR}/{report_stem(group_id)}.html"


def account_href_from_report(account_id: str) -> str:
    """The link from a group report (``groups/``) to an account report (``accounts/``)."""
    return f"../{ACCOUNTS_DIR}/{report_stem(account_id)}.html"


PORTFOLIO_DECK = "portfolio_review.pptx"  # the portfolio review deck, at the top of the output folder


def deck_href(account_id: str, audience: str) -> str:
    """Where an account's deck for ``audience`` (internal or customer) goes, relative to the output folder."""
    return f"{ACCOUNTS_DIR}/{report_stem(account_id)}-{audience}.pptx"


def overview_paths(out_dir: str | os.PathLike) -> ReportPaths:
    """Paths of the portfolio overview under ``out_dir``."""
    out = Path(out_dir)
    return ReportPaths(
        html=out / f"{OVERVIEW_STEM}.html",
        pdf=out / f"{OVERVIEW_STEM}.pdf",
        state=out / STATE_DIR / f"{OVERVIEW_STEM}.json",
        href=f"{OVERVIEW_STEM}.html",
    )


# The kamtools code that draws reports from a bundle. Analysis modules are not listed:
# a change there reaches reports through a new bundle (new manifest).
REPORT_CODE = ("sections", "plotting", "reports", "review", "templates", "display.py", "bundle.py")


def _hash_files(parts: tuple[str, ...] | None) -> str:
    from kamtools.resources import resource_path

    root = resource_path()  # the installed kamtools package
    tops = [root] if parts is None else [root / part for part in parts]
    files = sorted(
        p
        for top in tops
        for p in ([top] if top.is_file() else top.rglob("*"))
        if p.suffix in (".py", ".html", ".css", ".js", ".yml") and "__pycache__" not in p.parts
    )
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def code_hash() -> str:
    """SHA-256 (16 hex) of the kamtools source files and templates that draw reports."""
    return _hash_files(REPORT_CODE)


@lru_cache(maxsize=1)
def package_hash() -> str:
    """SHA-256 (16 hex) of every kamtools source file (analyses included)."""
    return _hash_files(None)


def freshness(bundle, notebook: str | os.PathLike) -> dict:
    """The values that decide whether a report rendered earlier is still up to date."""
    return {
        "bundle_fingerprint": bundle.fingerprint,
        "manifest_sha256": hashlib.sha256((Path(bundle.path) / "manifest.json").read_bytes()).hexdigest()[:16],
        "notebook_sha256": hashlib.sha256(Path(notebook).read_bytes()).hexdigest()[:16],
        "kamtools_version": __version__,
        "code_sha256": code_hash(),
    }


def read_state(path: str | os.PathLike) -> dict | None:
    """The sidecar of a report, or None when missing or unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_up_to_date(paths: ReportPaths, fresh: dict, want_pdf: bool) -> bool:
    """True when the report exists and was rendered from exactly ``fresh``."""
    state = read_state(paths.state)
    if not state or state.get("status") not in ("ok", "partial") or state.get("freshness") != fresh:
        return False
    if not paths.html.is_file():
        return False
    if want_pdf and ("pdf" not in state.get("formats", []) or not paths.pdf.is_file()):
        return False
    return True
