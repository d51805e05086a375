"""The playbook's rule language: the safe condition evaluator (:class:`Condition`) and the
text templates (:class:`Template`); nothing is ever ``eval``-ed.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamtools.churn.bands import churn_figure
from kamtools.display import money
from kamtools.plan.facts import FACT_UNITS, scored


class PlaybookError(ValueError):
    """A playbook file, rule, condition or template is invalid (the message says where)."""


# ------------------------------------------------------------------------------------------
# the safe condition evaluator
# ------------------------------------------------------------------------------------------
_CMP_OPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
_MAX_CONDITION = 1000


class Condition:
    """A rule condition over facts, e.g. ``days_since_dm_contact > 120 and decision_makers > 0``.

    Allowed: comparisons (``< <= > >= == !=``, chained too), ``and``, ``or``, ``not``,
    parentheses, fact names (:data:`FACTS`), numbers (with a leading minus), strings,
    ``True``/``False``, and ``fact in ("a", "b")`` / ``not in`` with a literal tuple or list.
    Everything else (calls, attributes, subscripts, arithmetic, lambdas, comprehensions,
    unknown names) is rejected with :class:`PlaybookError` when the condition is created.
    Text facts may only be compared with strings, number facts with numbers.

    A missing fact value (NaN) makes every comparison that reads it False.
    """

    def __init__(self, text: str, facts: Mapping[str, str] | None = None) -> None:
        if not isinstance(text, str) or not text.strip():
            raise PlaybookError("a condition must be a non-empty text")
        if len(text) > _MAX_CONDITION:
            raise PlaybookError(f"condition is longer than {_MAX_CONDITION} characters")
        self.text = text.strip()
        self._units = dict(FACT_UNITS if facts is None else facts)
        try:
            tree = ast.parse(self.text, mode="eval")
        except SyntaxError as exc:
            raise PlaybookError(f"condition {self.text!r} is not valid: {exc.msg}") from None
        except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
            raise PlaybookError(f"condition {self.text!r} is not valid: {type(exc).__name__}") from None
        self.names: set[str] = set()
        self._negated = 0  # depth of 'not' around the node being checked
        self._plain: set[str] = set()  # facts read outside any 'not'
        kind = self._check(tree.body)
        # facts read only under a 'not' ('not one_time_buyer == True'): they route an account to this rule
        # rather than a sibling one, and are evidence of the risk only where they hold a figure
        self.guards: set[str] = self.names - self._plain
        if kind not in ("bool", "num"):
            raise PlaybookError(f"condition {self.text!r} must be true or false, not a {kind}")
        self._tree = tree.body

    def __repr__(self) -> str:
        return f"Condition({self.text!r})"

    # ---- validation ----------------------------------------------------------------------
    def _fail(self, node: ast.AST, what: str) -> PlaybookError:
        col = getattr(node, "col_offset", 0)
        return PlaybookError(f"condition {self.text!r}: {what} (at character {col + 1}) is not allowed")

    def _check(self, node: ast.AST) -> str:
        """Validate ``node``; return its kind: 'bool', 'num' or 'text'."""
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                if self._check(v) == "text":
                    raise self._fail(v, "a text value as a true/false operand")
            return "bool"
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                self._negated += 1
                try:
                    kind = self._check(node.operand)
                finally:
                    self._negated -= 1
                if kind == "text":
                    raise self._fail(node, "'not' applied to text")
                return "bool"
            if isinstance(node.op, ast.USub | ast.UAdd):
                if isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float):
                    return "num"
                raise self._fail(node, "a minus sign on anything but a number")
            raise self._fail(node, f"the operator {type(node.op).__name__}")
        if isinstance(node, ast.Compare):
            left = self._check(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                if isinstance(op, ast.In | ast.NotIn):
                    if not isinstance(right_node, ast.Tuple | ast.List) or not right_node.elts:
                        raise self._fail(right_node, "'in' with anything but a literal tuple/list")
                    kinds = {self._literal(e) for e in right_node.elts}
                    if len(kinds) != 1 or kinds != {left}:
                        raise self._fail(right_node, f"'in' mixing {left} and {'/'.join(sorted(kinds))}")
                    right = left
                elif type(op) in _CMP_OPS:
                    right = self._check(right_node)
                    if "text" in (left, right) and left != right:
                        raise self._fail(right_node, "comparing text with a number")
                    if "text" in (left, right) and not isinstance(op, ast.Eq | ast.NotEq):
                        raise self._fail(right_node, "ordering text with < or >")
                else:
                    raise self._fail(node, f"the comparison {type(op).__name__}")
                left = right
            return "bool"
        if isinstance(node, ast.Name):
            if node.id not in self._units:
                close = difflib.get_close_matches(node.id, list(self._units), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else "; see kamtools.plan.FACTS for the names"
                raise PlaybookError(f"condition {self.text!r}: unknown fact {node.id!r}{hint}")
            self.names.add(node.id)
            if not self._negated:
                self._plain.add(node.id)
            return "text" if self._units[node.id] == "text" else "num"
        if isinstance(node, ast.Constant):
            return self._literal(node)
        raise self._fail(node, f"{type(node).__name__.lower()} syntax")

    def _literal(self, node: ast.AST) -> str:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return self._check(node)
        if not isinstance(node, ast.Constant):
            raise self._fail(node, f"{type(node).__name__.lower()} inside a literal list")
        v = node.value
        if isinstance(v, bool) or type(v) in (int, float):
            return "num"
        if isinstance(v, str):
            return "text"
        raise self._fail(node, f"the constant {v!r}")

    # ---- evaluation ----------------------------------------------------------------------
    def evaluate(self, facts: pd.DataFrame) -> np.ndarray:
        """Boolean array: the condition for each row of ``facts`` (missing facts -> False)."""
        missing = [n for n in self.names if n not in facts.columns]
        if missing:
            raise PlaybookError(f"condition {self.text!r}: the facts table has no column {missing}")
        n = len(facts)
        return _truth(self._eval(self._tree, facts), n)

    def _eval(self, node: ast.AST, facts: pd.DataFrame):
        if isinstance(node, ast.BoolOp):
            n = len(facts)
            parts = [_truth(self._eval(v, facts), n) for v in node.values]
            red = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            return red.reduce(parts)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ~_truth(self._eval(node.operand, facts), len(facts))
            value = node.operand.value  # validated: a numeric constant
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Compare):
            n = len(facts)
            result = np.ones(n, dtype=bool)
            left = self._eval(node.left, facts)
            for op, right_node in zip(node.ops, node.comparators):
                if isinstance(op, ast.In | ast.NotIn):
                    values = [self._eval(e, facts) for e in right_node.elts]
                    arr = np.broadcast_to(np.asarray(left, dtype=object), (n,))
                    known = ~pd.isna(arr)
                    hit = np.isin(arr, np.asarray(values, dtype=object)) & known
                    result &= hit if isinstance(op, ast.In) else (~hit & known)
                    left = right_node
                    continue
                right = self._eval(right_node, facts)
                result &= _compare(_CMP_OPS[type(op)], left, right, n)
                left = right
            return result
        if isinstance(node, ast.Name):
            col = facts[node.id]
            if self._units[node.id] == "text":
                return col.astype(object).to_numpy()
            return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        if isinstance(node, ast.Constant):
            return node.value
        raise PlaybookError(f"condition {self.text!r}: cannot evaluate {type(node).__name__}")  # pragma: no cover


def _truth(value, n: int) -> np.ndarray:
    """Truthiness as a boolean array: numbers != 0 and not NaN; scalars broadcast."""
    if isinstance(value, np.ndarray):
        if value.dtype == bool:
            return value
        v = value.astype(float)
        return (v != 0) & ~np.isnan(v)
    return np.full(n, bool(value))


def _compare(op: str, left, right, n: int) -> np.ndarray:
    a = np.broadcast_to(np.asarray(left, dtype=object if _is_text(left) else float), (n,))
    b = np.broadcast_to(np.asarray(right, dtype=object if _is_text(right) else float), (n,))
    known = ~pd.isna(a) & ~pd.isna(b)
    if a.dtype == object or b.dtype == object:
        sa, sb = a.astype(str), b.astype(str)
        out = (sa == sb) if op == "==" else (sa != sb)
        return out & known
    with np.errstate(invalid="ignore"):
        out = {
            ">": np.greater,
            ">=": np.greater_equal,
            "<": np.less,
            "<=": np.less_equal,
            "==": np.equal,
            "!=": np.not_equal,
        }[op](a, b)
    return out & known


def _is_text(value) -> bool:
    return isinstance(value, str) or (isinstance(value, np.ndarray) and value.dtype == object)


# ------------------------------------------------------------------------------------------
# safe templates
# ------------------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_SPEC_OK = re.compile(r"^[<>=^]?[+\- ]?#?0?\d{0,3}[,_]?(?:\.\d{1,2})?[deEfFgGn%s]?$")
_NAMED = ("money", "pct", "pp", "days", "int", "text", "date", "score", "above")
# "count open bid|open bids": the count and the words of its number ('1 open bid', '3 open bids'); plain words only
_COUNTED = re.compile(r"^count ([A-Za-z][A-Za-z /'-]*)\|([A-Za-z][A-Za-z /'-]*)$")


def _format(value, spec: str, unit: str) -> str:
    """One value as text: a named format, a count with its words (``count one|many``), a Python format spec, or by
    the fact's unit."""
    counted = _COUNTED.match(spec)
    if _missing(value):
        return f"n/a {counted.group(2)}" if counted else "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(value).date())
    if counted:
        return f"{float(value):,.0f} {counted.group(1) if round(float(value)) == 1 else counted.group(2)}"
    kind = spec or {
        "money": "money",
        "share": "pct",
        "prob": "pct",
        "pp": "pp",
        "days": "days",
        "count": "int",
        "score": "score",
        "flag": "flag",
    }.get(unit, "")
    v = float(value)
    if kind == "money":
        return money(v)
    if kind == "pct":
        return f"{v:.0%}" if abs(v) >= 0.01 or v == 0 else f"{v:.1%}"
    if kind == "above":  # a signed difference in words: never "-2% above"
        size = f"{abs(v):.0%}" if abs(v) >= 0.01 else f"{abs(v):.1%}"
        return "level with" if size in ("0%", "0.0%") else f"{size} above" if v > 0 else f"{size} below"
    if kind == "pp":
        return f"{v * 100:+.0f} pp"
    if kind == "days":
        return f"{v:,.0f} days"
    if kind in ("int", "score"):
        return f"{v:,.0f}"
    if kind == "flag":
        return "yes" if v else "no"
    if kind in ("text", "date"):
        return f"{v:g}"
    if kind:
        try:
            return format(v, kind)
        except ValueError:  # an integer spec such as "d" on a float value
            try:
                return format(int(round(v)), kind)
            except ValueError:
                return f"{v:g}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


class Template:
    """A text with ``{fact}`` / ``{fact:format}`` placeholders, filled safely per account.

    ``format`` is one of money (1.2M), pct (7%), pp (+12 pp), days (140 days), above (a signed share
    in words: '8% above', '2% below', 'level with', so "our price {gap:above} theirs" never reads "-2% above"), int, score,
    text, ``count one|many`` (the count and the words of its number: "{n:count open bid|open bids}" reads '1 open
    bid' or '3 open bids'), or a plain numeric format spec such as ``.1f`` or ``,.0f``. Without a format the
    fact's unit decides. ``{{`` and ``}}`` are literal braces. Attribute access, indexing
    and unknown names are rejected when the template is created; missing values show as
    ``n/a``.
    """

    def __init__(self, text: str, facts: Mapping[str, str] | None = None) -> None:
        if not isinstance(text, str):
            raise PlaybookError(f"a template must be text, got {type(text).__name__}")
        self.text = text
        units = FACT_UNITS if facts is None else facts
        self._units = units
        self.parts: list[tuple[str, str | None, str]] = []  # (literal, fact, spec)
        self.names: set[str] = set()
        pos = 0
        for m in _PLACEHOLDER.finditer(text):
            lit = text[pos : m.start()]
            pos = m.end()
            tok = m.group(0)
            if tok == "{{":
                self.parts.append((lit + "{", None, ""))
                continue
            if tok == "}}":
                self.parts.append((lit + "}", None, ""))
                continue
            if m.group(1) is None:
                raise PlaybookError(f"template {text!r}: a lone {tok!r}; write {tok}{tok} for a literal brace")
            name, _, spec = m.group(1).strip().partition(":")
            name = name.strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise PlaybookError(f"template {text!r}: {{{m.group(1)}}} must be a plain fact name")
            if name not in units:
                close = difflib.get_close_matches(name, list(units), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise PlaybookError(f"template {text!r}: unknown fact {name!r}{hint}")
            spec = spec.strip()
            if spec and spec not in _NAMED and not _SPEC_OK.match(spec) and not _COUNTED.match(spec):
                raise PlaybookError(f"template {text!r}: format {spec!r} of {name!r} is not allowed")
            self.parts.append((lit, name, spec))
            self.names.add(name)
        self.parts.append((text[pos:], None, ""))

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

    def render(self, facts: Mapping[str, object]) -> str:
        """The text for one account's facts (a mapping name -> value)."""
        out = []
        for lit, name, spec in self.parts:
            out.append(lit)
            if name is not None:
                value = facts.get(name)
                if scored(facts, name)[0] and not _missing(value):
                    out.append(churn_figure(value, score=True))  # a score reads '57/100' whatever the format
                else:
                    out.append(_format(value, spec, self._units.get(name, "")))
        return "".join(out)

    def render_many(self, facts: pd.DataFrame) -> list[str]:
        """The text for every row of ``facts``."""
        n = len(facts)
        pieces: list[list[str]] = []
        for lit, name, spec in self.parts:
            pieces.append([lit] * n)
            if name is not None:
                values = facts[name].tolist() if name in facts.columns else [None] * n
                unit = self._units.get(name, "")
                as_score = scored(facts, name)  # a score reads '57/100' whatever the format
                pieces.append(
                    [
                        churn_figure(v, score=True) if s and not _missing(v) else _format(v, spec, unit)
                        for v, s in zip(values, as_score, strict=True)
                    ]
                )
        return ["".join(row) for row in zip(*pieces)] if pieces else [""] * n


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))
