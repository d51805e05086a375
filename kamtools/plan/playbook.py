"""Playbooks: rules read from YAML (:func:`load_playbook`), checked before any work."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kamtools.plan.constants import (
    DEFAULT_PLAYBOOK,
    MAX_ACTIONS_BY_TIER,
    MAX_ACTIONS_DEFAULT,
    MIN_VALUE_AT_STAKE,
    OWNER_ACTIONS_PER_WEEK,
    PRIORITIES,
    STAGGER_DAYS,
)
from kamtools.plan.facts import FACT_UNITS
from kamtools.plan.rules import Condition, PlaybookError, Template
from kamtools.stages import PLAYBOOK


# ------------------------------------------------------------------------------------------
# the playbook
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One playbook rule (see ``kamtools/playbook.yml`` for the file format)."""

    id: str
    when: Condition
    type: str = "general"
    risk: Template | None = None
    action: Template | None = None
    evidence: Template | None = None
    priority: str = "medium"
    due_in_days: int = 30
    owner: Template | None = None
    value: str | None = None  # the money fact that measures what is at stake

    @property
    def names(self) -> list[str]:
        """The facts the condition reads, in a stable order."""
        return sorted(self.when.names)

    @property
    def guards(self) -> set[str]:
        """The facts the condition reads only under a ``not`` (which sibling rule does not apply)."""
        return set(getattr(self.when, "guards", set()))


@dataclass(frozen=True)
class Playbook:
    """An ordered list of rules plus where they came from."""

    rules: tuple[Rule, ...]
    source: str = "built-in"
    min_value_at_stake: float = MIN_VALUE_AT_STAKE
    max_actions: Mapping[str, int] = field(default_factory=lambda: dict(MAX_ACTIONS_BY_TIER))
    max_actions_default: int = MAX_ACTIONS_DEFAULT
    stagger_days: int = STAGGER_DAYS
    owner_actions_per_week: int = OWNER_ACTIONS_PER_WEEK
    bids: Mapping[str, float] = field(default_factory=dict)  # the bidding policy (kamtools.bids.recommend)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"the playbook ({self.source}) has no rule {rule_id!r}")


_RULE_KEYS = {"id", "when", "type", "risk", "action", "evidence", "priority", "due_in_days", "owner", "value"}
_MONEY_FACTS = sorted(k for k, u in FACT_UNITS.items() if u == "money")


def _parse_rule(raw: object, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise PlaybookError(f"{where}: each rule must be a mapping with id, when, risk/action, priority, due_in_days")
    rid = raw.get("id")
    if not isinstance(rid, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]{0,63}", rid):
        raise PlaybookError(f"{where}: rule id {rid!r} must be a short name (letters, digits, _ or -)")
    at = f"{where}, rule {rid!r}"
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise PlaybookError(f"{at}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
    if "when" not in raw:
        raise PlaybookError(f"{at}: 'when' (the condition) is required")
    try:
        when = Condition(str(raw["when"]))
        risk = Template(str(raw["risk"])) if raw.get("risk") else None
        action = Template(str(raw["action"])) if raw.get("action") else None
        evidence = Template(str(raw["evidence"])) if raw.get("evidence") else None
        owner = Template(str(raw["owner"])) if raw.get("owner") else None
    except PlaybookError as exc:
        raise PlaybookError(f"{at}: {exc}") from None
    if risk is None and action is None:
        raise PlaybookError(f"{at}: give a 'risk' text, an 'action' text or both")
    if action is not None and risk is None and evidence is None:
        raise PlaybookError(f"{at}: an action needs its evidence: give a 'risk' or an 'evidence' text")
    priority = str(raw.get("priority", "medium")).lower()
    if priority not in PRIORITIES:
        raise PlaybookError(f"{at}: priority {priority!r} must be one of {list(PRIORITIES)}")
    due = raw.get("due_in_days", 30)
    if isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= 3650:
        raise PlaybookError(f"{at}: due_in_days must be a whole number of days between 0 and 3650, got {due!r}")
    rtype = str(raw.get("type", "general"))
    value = raw.get("value")
    if value is not None and value not in _MONEY_FACTS:
        close = difflib.get_close_matches(str(value), _MONEY_FACTS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; one of {', '.join(_MONEY_FACTS)}"
        raise PlaybookError(f"{at}: value {value!r} must name a money fact (the value at stake){hint}")
    return Rule(rid, when, rtype, risk, action, evidence, priority, int(due), owner, value)


def _read_yaml(path: Path) -> dict:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PlaybookError(
            f"playbook {path} is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8 and try again"
        ) from None
    except OSError as exc:
        raise PlaybookError(f"playbook {path} cannot be read: {exc.strerror or exc}") from None
    try:
        # safe_load builds only plain data: a tag such as !!python/object/apply is refused
        data = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        line = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark is not None else ""
        raise PlaybookError(
            f"playbook {path} is refused{line}: {exc.problem}. A playbook holds only text, numbers, "
            "lists and mappings; YAML tags that build Python objects are never run"
        ) from None
    except yaml.YAMLError as exc:
        raise PlaybookError(f"playbook {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
        raise PlaybookError(f"playbook {path} must be a mapping with a 'rules' list")
    return data


_SETTINGS = ("min_value_at_stake", "max_actions_per_account", "stagger_days", "owner_actions_per_week", "bids")


def _parse_bids(data: Mapping, where: str) -> dict:
    """The ``bids:`` section (the bid desk's pricing policy), checked; {} when the file has none."""
    if "bids" not in data or data["bids"] is None:
        return {}
    from kamtools.bids.recommend import policy_settings

    section = data["bids"]
    if not isinstance(section, Mapping):
        raise PlaybookError(f"{where}: bids must map a pricing setting (such as min_margin_pct) to a share")
    try:
        policy_settings(dict(section), f"{where}: bids")
    except ValueError as exc:
        raise PlaybookError(str(exc)) from None
    return {"bids": {str(k): float(v) for k, v in section.items()}}


def _parse_settings(data: Mapping, where: str) -> dict:
    """The playbook's prioritising settings (only those the file gives)."""
    out: dict = {}
    if "min_value_at_stake" in data:
        v = data["min_value_at_stake"]
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < 1e12:
            raise PlaybookError(f"{where}: min_value_at_stake must be a number of 0 or more, got {v!r}")
        out["min_value_at_stake"] = float(v)
    if "stagger_days" in data:
        v = data["stagger_days"]
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 365:
            raise PlaybookError(f"{where}: stagger_days must be a whole number of days between 0 and 365, got {v!r}")
        out["stagger_days"] = int(v)
    if "owner_actions_per_week" in data:
        v = data["owner_actions_per_week"]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1000:
            raise PlaybookError(f"{where}: owner_actions_per_week must be a whole number from 1 to 1000, got {v!r}")
        out["owner_actions_per_week"] = int(v)
    if "max_actions_per_account" in data:
        caps = data["max_actions_per_account"]
        if not isinstance(caps, Mapping):
            raise PlaybookError(f"{where}: max_actions_per_account must map a tier (or 'default') to a count")
        clean = {}
        for tier, n in caps.items():
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100:
                raise PlaybookError(f"{where}: max_actions_per_account[{tier!r}] must be a whole number from 1 to 100")
            clean[str(tier)] = int(n)
        default = clean.pop("default", None)
        out["max_actions"] = clean
        if default is not None:
            out["max_actions_default"] = default
    return out


def load_playbook(source: str | os.PathLike | Mapping | Playbook | None = None) -> Playbook:
    """Read and validate a playbook; None gives the built-in ``kamtools/playbook.yml``.

    ``source`` is a YAML file path, an already parsed mapping, or a Playbook. A file with
    ``extends: default`` starts from the built-in rules: its rules replace built-in rules
    with the same id (in place) or are appended, and ``disable: [id, ...]`` removes
    built-in rules. Without ``extends`` the file is the whole playbook. Raises
    :class:`PlaybookError` naming the file, the rule and the problem.
    """
    if isinstance(source, Playbook):
        return source
    if source is None:
        path = DEFAULT_PLAYBOOK
        data = _read_yaml(path)
        where = str(path)
    elif isinstance(source, Mapping):
        data, where = dict(source), "playbook mapping"
    else:
        path = Path(source)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise PlaybookError(f"playbook file {path} {what}")
        data, where = _read_yaml(path), str(path)
    unknown = set(data) - {"version", "extends", "disable", "rules", "description", *_SETTINGS}
    if unknown:
        raise PlaybookError(f"{where}: unknown top-level field(s) {sorted(unknown)}")
    settings = {**_parse_settings(data, where), **_parse_bids(data, where)}
    rules = [_parse_rule(r, where) for r in data.get("rules") or []]
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise PlaybookError(f"{where}: rule id(s) {dup} appear more than once")
    extends = data.get("extends")
    if extends is None:
        if data.get("disable"):
            raise PlaybookError(f"{where}: 'disable' needs 'extends: default'")
        if not rules:
            raise PlaybookError(f"{where}: the playbook has no rules")
        return Playbook(tuple(rules), where, **settings)
    if extends != "default":
        raise PlaybookError(f"{where}: extends must be 'default' (the built-in playbook), got {extends!r}")
    default = load_playbook(None)
    base = list(default.rules)
    settings = {
        "min_value_at_stake": default.min_value_at_stake,
        "max_actions": default.max_actions,
        "max_actions_default": default.max_actions_default,
        "stagger_days": default.stagger_days,
        "owner_actions_per_week": default.owner_actions_per_week,
        **settings,
        "bids": {**default.bids, **settings.get("bids", {})},
    }
    disable = data.get("disable") or []
    if not isinstance(disable, list):
        raise PlaybookError(f"{where}: 'disable' must be a list of rule ids")
    unknown_ids = [d for d in disable if d not in {r.id for r in base}]
    if unknown_ids:
        raise PlaybookError(f"{where}: cannot disable unknown built-in rule(s) {unknown_ids}")
    base = [r for r in base if r.id not in disable]
    by_id = {r.id: r for r in rules}
    merged = [by_id.pop(r.id, r) for r in base]
    merged += [r for r in rules if r.id in by_id]
    return Playbook(tuple(merged), f"{where} (extends the built-in playbook)", **settings)


PLAYBOOK_CONTEXT_KEY = PLAYBOOK
"""Key of the checked :class:`Playbook` in the context :func:`kamtools.bundle.analyze`
hands to the plan stage (:func:`bundle_tables`)."""


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def checked_playbook(path: str | os.PathLike | None = None) -> tuple[Playbook, dict]:
    """Load and check the playbook file at ``path`` (None: the built-in one) before any work.

    Returns the :class:`Playbook` and what the bundle's manifest records about it:
    ``{"path": <absolute path> or "built-in", "sha256": <hash of the file>, "rules": <count>}``
    (plus ``built_in_sha256`` for a file that ``extends: default``). Raises
    :class:`PlaybookError` naming the file, the rule and the problem: a missing or
    unreadable file, bad YAML, unknown fields, a rule whose condition or texts do not
    compile.
    """
    if path is None:
        playbook = load_playbook(None)
        return playbook, {"path": "built-in", "sha256": _sha256(DEFAULT_PLAYBOOK), "rules": len(playbook)}
    if isinstance(path, Mapping | Playbook) or not isinstance(path, str | os.PathLike):
        raise PlaybookError(f"the playbook must be the path of a YAML file, got {type(path).__name__}")
    file = Path(path)
    playbook = load_playbook(file)
    try:
        digest = _sha256(file)
    except OSError as exc:  # pragma: no cover - it was readable a moment ago
        raise PlaybookError(f"playbook {file} cannot be read: {exc.strerror or exc}") from None
    record = {"path": str(file.resolve()), "sha256": digest, "rules": len(playbook)}
    if playbook.source.endswith("(extends the built-in playbook)"):
        record["built_in_sha256"] = _sha256(DEFAULT_PLAYBOOK)
    return playbook, record
