"""The account plan: profile, objectives, risks with evidence, actions and QBR talking points.

A plan is built from *facts*: one row per account of named numbers and texts (revenue,
target pace, days since decision-maker contact, overdue receivables, churn probability,
competitor threat, forecast, whitespace, ...; see :data:`FACTS`) gathered from the
results of every analysis (:func:`account_facts`). Then

* objectives for the next 12 months are computed (:func:`objectives`): revenue = forecast
  + realistic whitespace capture, margin, and retention for accounts at risk;
* the *playbook* (``kamtools/playbook.yml``, or a team's own file) is applied: each rule
  has a condition over facts (``days_since_dm_contact > 120 and decision_makers > 0``),
  a risk text, an action text, a priority, a due time and the money fact that measures
  what is at stake (``value``). A rule that fires yields a risk and/or an action, each with
  the evidence (the rule's texts filled with the account's numbers, plus the facts its
  condition read) and its value at stake;
* the plan prioritises: risks and actions below ``min_value_at_stake`` are dropped, the
  rest are ranked by value at stake, each account keeps at most its tier's number of
  actions (one per topic before a second of the same type), and due dates are staggered so
  the first action is due first;
* talking points for the quarterly business review are written from the result.

Conditions are evaluated by a small safe evaluator (:class:`Condition`): the text is
parsed with :mod:`ast` and only comparisons, ``and``/``or``/``not``, fact names, numbers,
strings and literal tuples for ``in`` are accepted; nothing is ever ``eval``-ed. Templates
(:class:`Template`) accept only ``{fact}`` or ``{fact:format}`` placeholders.

Everything is vectorised over accounts (conditions are array expressions over the facts
table), so plans for 10,000 accounts take seconds.

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, _ = make_portfolio(n_accounts=60, years=3, seed=3)
>>> plan = account_plan(portfolio, "A0002")  # doctest: +SKIP
>>> plan.actions[["priority", "action", "evidence"]]  # doctest: +SKIP
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.display import money
from kamtools.resources import playbook_path
from kamtools.stages import PLAYBOOK
from kamtools.stages import stage as _stage

__all__ = [
    "DEFAULT_PLAYBOOK",
    "FACTS",
    "SUMMARY_COLUMNS",
    "AccountPlan",
    "Condition",
    "Playbook",
    "PlaybookError",
    "Rule",
    "Template",
    "account_facts",
    "account_plan",
    "apply_playbook",
    "bundle_tables",
    "checked_playbook",
    "load_playbook",
    "objectives",
    "plans",
    "talking_points",
]

DEFAULT_PLAYBOOK = playbook_path()  # kamtools/playbook.yml, found with importlib.resources

SUMMARY_COLUMNS = {
    "plan_summary": ["revenue_objective", "n_risks", "n_actions", "n_high_priority", "top_action"],
}

# objectives
WHITESPACE_TOP_N = 3  # recommendations counted in the revenue objective
RETENTION_CHURN_P = 0.3  # churn probability from which a retention objective is set (the high risk band)
RETENTION_TARGET_P = 0.3  # ... and the probability it aims to get below (out of the high band)
RETENTION_HEALTH_TARGET = 40.0  # without a churn model: raise a red health score to amber
PRIORITIES = {"high": 1, "medium": 2, "low": 3}

# prioritising (defaults; a playbook file may set them, see kamtools/playbook.yml)
MIN_VALUE_AT_STAKE = 1000.0  # actions and risks whose money at stake is below this are dropped
MAX_ACTIONS_BY_TIER = {"1": 5, "2": 3, "3": 2}  # at most this many actions per account, by tier
MAX_ACTIONS_DEFAULT = 3  # ... for an account without a tier
STAGGER_DAYS = 7  # each action is due at least this many days after the one ranked before it
OWNER_ACTIONS_PER_WEEK = 10  # at most this many actions due per owner in any week (then later weeks)
CATEGORY_DECLINE = -0.25  # a category whose last 12 months fell by this much or more is declining

# ------------------------------------------------------------------------------------------
# facts
# ------------------------------------------------------------------------------------------
# name -> (unit, meaning). Units: money, share (fraction shown as %), pp (difference of
# fractions, shown as percentage points), days, count, number, score, prob, flag (0/1),
# text, date. Facts whose analysis is missing are NaN/empty; conditions on them are False.
_FACT_SPEC: dict[str, tuple[str, str]] = {
    # account
    "name": ("text", "Account name"),
    "owner": ("text", "Key account manager who owns the account"),
    "industry": ("text", "Industry"),
    "region": ("text", "Sales region"),
    "tenure_years": ("number", "Years as a customer"),
    # performance
    "revenue_ytd": ("money", "Revenue this calendar year to date"),
    "revenue_ytd_prior": ("money", "Revenue in the same period last year"),
    "growth_ytd_pct": ("share", "YTD revenue vs the same period last year, minus 1"),
    "revenue_ltm": ("money", "Revenue in the last 12 months"),
    "revenue_prior_ltm": ("money", "Revenue in the 12 months before"),
    "growth_pct": ("share", "Last 12 months' revenue vs the 12 months before, minus 1"),
    "margin_ltm": ("money", "Gross margin in the last 12 months"),
    "margin_pct": ("share", "Gross margin % in the last 12 months"),
    "margin_benchmark": ("share", "Median gross margin % of the portfolio's active accounts"),
    "margin_gap_pct": ("pp", "margin_pct minus margin_benchmark"),
    "margin_loss": ("money", "Gross margin lost in the last 12 months (0 when the margin is positive)"),
    "margin_gap_value": ("money", "Margin gained by reaching the portfolio median on the last 12 months' revenue"),
    "orders_ltm": ("count", "Orders in the last 12 months"),
    "avg_order_value": ("money", "Average order value, last 12 months"),
    "days_since_last_order": ("days", "Days since the last order"),
    # targets
    "target": ("money", "Revenue target of the current calendar year"),
    "target_attainment": ("share", "YTD revenue / this year's target"),
    "target_pace": ("share", "YTD revenue / pro-rata target (1 = on pace)"),
    "target_gap": ("money", "This year's target minus YTD revenue"),
    "next_target": ("money", "Revenue target of next calendar year"),
    # pipeline
    "open_bids": ("count", "Open bids"),
    "open_value": ("money", "Value of open bids"),
    "weighted_value": ("money", "Open bids weighted by win probability"),
    "bids_closing_90d": ("count", "Open bids expected to close in the next 90 days"),
    "value_closing_90d": ("money", "Value of the bids closing in the next 90 days"),
    "bids_decided_12m": ("count", "Bids decided (won or lost) in the last 12 months"),
    "bids_lost_12m": ("count", "Bids lost in the last 12 months"),
    "win_rate": ("share", "Bids won / decided, last 12 months"),
    "avg_cycle_days": ("days", "Average days from bid creation to decision"),
    "top_loss_competitor": ("text", "Competitor we lost most bids to (last 12 months)"),
    "lost_to_top_competitor": ("count", "Bids lost to that competitor (last 12 months)"),
    "loss_price_gap_pct": ("share", "Our price vs that competitor's on those lost bids, minus 1"),
    "top_loss_category": ("text", "Category most of those lost bids were for"),
    "top_loss_reason": ("text", "Most frequent loss reason (last 12 months)"),
    "lost_value_12m": ("money", "Value of the bids lost in the last 12 months"),
    "value_loss_competitor": ("text", "Competitor we lost the most bid value to (last 24 months)"),
    "lost_value_to_competitor": ("money", "Bid value lost to that competitor (last 24 months)"),
    "lost_bids_to_competitor": ("count", "Bids lost to that competitor (last 24 months)"),
    "lost_value_price_gap_pct": ("share", "Our price vs that competitor's on those lost bids, minus 1"),
    "lost_value_vs_revenue": ("share", "lost_value_to_competitor / revenue_ltm"),
    # category trends (last 12 months vs the 12 before, per product category)
    "category_declines": ("count", "Categories whose revenue fell by 25% or more (or stopped)"),
    "category_decline_value": ("money", "Revenue lost in those categories vs the 12 months before"),
    "declining_categories": ("text", "The declining categories with their change, largest loss first"),
    "top_declining_category": ("text", "The category with the largest revenue loss"),
    # receivables
    "open_ar": ("money", "Open receivables"),
    "overdue_ar": ("money", "Receivables past their due date"),
    "overdue_60_plus": ("money", "Receivables more than 60 days past due"),
    "ar_90_plus": ("money", "Receivables more than 90 days past due"),
    "overdue_invoices": ("count", "Invoices past due"),
    "oldest_overdue_days": ("days", "Days past due of the oldest unpaid invoice"),
    "dso_days": ("days", "Days sales outstanding (open AR / last 90 days' invoicing x 90)"),
    "late_share_12m": ("share", "Share of invoices due in the last 12 months paid late"),
    "late_share_trend": ("pp", "late_share_12m minus the same share a year earlier"),
    # complaints
    "complaints_open": ("count", "Open complaints"),
    "open_severe": ("count", "Open high or critical complaints"),
    "oldest_open_severe_days": ("days", "Age of the oldest open high/critical complaint"),
    "complaints_12m": ("count", "Complaints opened in the last 12 months"),
    "complaints_trend": ("number", "Complaints in the last 12 months minus the 12 months before"),
    "mean_days_to_resolve": ("days", "Mean days to resolve a complaint (last 12 months)"),
    # relationships
    "contacts": ("count", "Contacts known at the account"),
    "decision_makers": ("count", "Decision makers known at the account"),
    "dm_engaged_90d": ("count", "Decision makers met or spoken to in the last 90 days"),
    "days_since_dm_contact": ("days", "Days since the last decision-maker contact"),
    "days_since_senior_contact": ("days", "Days since the last executive/senior contact"),
    "days_since_last_contact": ("days", "Days since the last logged interaction"),
    "engaged_contacts_90d": ("count", "Contacts engaged in the last 90 days"),
    "engaged_contacts_180d": ("count", "Contacts engaged in the last 180 days"),
    "interactions_90d": ("count", "Interactions in the last 90 days"),
    "single_threaded": ("flag", "Exactly one contact engaged in the last 180 days"),
    # health
    "health_score": ("score", "Health score 0-100"),
    "health_band": ("text", "Health band: red, amber or green"),
    "top_weakness": ("text", "Health component losing most points"),
    # churn
    "churn_probability": ("prob", "Churn probability (see the churn section for how it was estimated)"),
    "churn_risk_band": ("text", "Churn risk band"),
    "revenue_at_risk": ("money", "Revenue at risk (churn model)"),
    "churn_drivers": ("text", "Top churn drivers in words"),
    # competitors
    "threat_score": ("score", "Competitor threat score 0-100"),
    "threat_band": ("text", "Competitor threat band"),
    "main_competitor": ("text", "Main competitor at the account"),
    "threat_reasons": ("text", "Why the competitor threat is rated so"),
    "share_of_wallet": ("share", "Our share of the account's estimated spend"),
    # value and segment
    "expected_value_12m": ("money", "Expected revenue in the next 12 months (value model)"),
    "p_alive": ("prob", "Probability the account is still buying"),
    "segment": ("text", "Behavioural segment"),
    "tier": ("text", "Account tier"),
    "quadrant": ("text", "Portfolio-matrix quadrant"),
    # forecast
    "forecast_12m": ("money", "Forecast revenue for the next 12 months"),
    "forecast_vs_next_target": ("share", "forecast_12m / next_target minus 1"),
    "next_target_shortfall": ("money", "next_target minus forecast_12m (0 when the forecast reaches it)"),
    "p_target": ("prob", "Probability of reaching the target (forecast)"),
    # whitespace
    "whitespace_capture": (
        "money",
        "Realistic whitespace capture: sum of p_adopt x yearly spend if adopted over the top 3 recommended "
        "categories (adoption probability of 10% or more), i.e. probability-weighted",
    ),
    "top_whitespace_category": ("text", "Top whitespace recommendation"),
    "top_whitespace_p": ("prob", "Adoption probability of the top recommendation"),
    "top_whitespace_value": ("money", "Yearly spend of the top recommendation if adopted (unweighted)"),
    "top_whitespace_ev": ("money", "Probability-weighted yearly value of the top recommendation"),
    "whitespace_recommendations": ("count", "Recommended whitespace categories (adoption probability of 10% or more)"),
    # objectives (computed before the playbook runs, so rules may use them)
    "revenue_objective": ("money", "Revenue objective for the next 12 months"),
    "margin_pct_objective": ("share", "Margin % objective for the next 12 months"),
}
FACTS: dict[str, str] = {k: v[1] for k, v in _FACT_SPEC.items()}
"""Fact name -> meaning: the names a playbook condition or template may use."""
FACT_UNITS: dict[str, str] = {k: v[0] for k, v in _FACT_SPEC.items()}
_TEXT_FACTS = {k for k, u in FACT_UNITS.items() if u == "text"}


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
        kind = self._check(tree.body)
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
                if self._check(node.operand) == "text":
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
_NAMED = ("money", "pct", "pp", "days", "int", "text", "date", "score")


def _format(value, spec: str, unit: str) -> str:
    """One value as text: a named format, a Python format spec, or by the fact's unit."""
    if _missing(value):
        return "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(value).date())
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

    ``format`` is one of money (1.2M), pct (7%), pp (+12 pp), days (140 days), int, score,
    text, or a plain numeric format spec such as ``.1f`` or ``,.0f``. Without a format the
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
            if spec and spec not in _NAMED and not _SPEC_OK.match(spec):
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
                out.append(_format(facts.get(name), spec, self._units.get(name, "")))
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
                pieces.append([_format(v, spec, unit) for v in values])
        return ["".join(row) for row in zip(*pieces)] if pieces else [""] * n


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


_SETTINGS = ("min_value_at_stake", "max_actions_per_account", "stagger_days", "owner_actions_per_week")


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
    settings = _parse_settings(data, where)
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


# ------------------------------------------------------------------------------------------
# facts from the analysis tables
# ------------------------------------------------------------------------------------------
def _present(t: object) -> bool:
    return isinstance(t, pd.DataFrame) and "account_id" in t.columns


def _one_per_account(df: pd.DataFrame) -> pd.DataFrame:
    df = df.assign(account_id=df["account_id"].astype(str))
    return df.drop_duplicates("account_id")


def _reason(tables: Mapping[str, object], name: str, what: str) -> str:
    t = tables.get(name)
    if isinstance(t, NotAvailable):
        return t.reason
    return (
        f"No {what} results are available (that analysis was skipped or not run), so its part of the plan is missing."
    )


# (table, {fact: the table's column}, plan part, what the part is called): one fact per account
_FACT_COLUMNS: tuple[tuple[str, dict[str, str], str, str], ...] = (
    (
        "churn",
        {
            "churn_probability": "churn_probability",
            "churn_risk_band": "risk_band",
            "revenue_at_risk": "revenue_at_risk",
        },
        "churn",
        "churn",
    ),
    (
        "competitor_threat",
        {
            "threat_score": "threat_score",
            "threat_band": "threat_band",
            "main_competitor": "main_competitor",
            "threat_reasons": "reasons",
            "share_of_wallet": "share_of_wallet",
        },
        "competitors",
        "competitor",
    ),
    ("value", {"expected_value_12m": "expected_value_12m", "p_alive": "p_alive"}, "value", "value"),
    ("segments", {"segment": "cluster_name", "tier": "tier", "quadrant": "quadrant"}, "segment", "segment"),
)


def account_facts(
    tables: Mapping[str, pd.DataFrame | NotAvailable], as_of: pd.Timestamp | str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The facts table (one row per account, every column of :data:`FACTS`).

    ``tables`` maps result-table names to DataFrames (whole tables or one account's slice;
    NotAvailable or absent tables leave their facts missing): ``kpis`` (required),
    ``kpis_portfolio``, ``churn``, ``churn_drivers``, ``competitor_threat``, ``value``,
    ``segments``, ``forecast``, ``forecast_targets``, ``whitespace_recommendations``,
    ``tradelanes`` (declining categories), ``competitor_account_bids`` or ``pipeline_losses``
    (bid value lost per competitor).

    Returns ``(facts, unavailable)`` where ``unavailable`` maps a plan part (``churn``,
    ``competitors``, ``forecast``, ``whitespace``, ``segment``, ``value``, ``targets``,
    ``pipeline``, ``receivables``, ``complaints``, ``relationships``, ``health``) to the
    reason it is missing.
    """
    as_of = pd.Timestamp(as_of)
    kpis = tables.get("kpis")
    if not _present(kpis):
        raise ValueError("account_facts: the 'kpis' table is required (run kamtools.kpis first)")
    f = _one_per_account(kpis).reset_index(drop=True)
    f = f[[c for c in f.columns if c in FACTS or c == "account_id"]].copy()
    unavailable: dict[str, str] = {}
    block_cols = {
        "targets": ("target", "No targets table was supplied, so there is no target attainment."),
        "pipeline": ("open_value", "No opportunities table was supplied, so there are no pipeline and bid facts."),
        "receivables": ("open_ar", "No invoices table was supplied, so there are no receivables facts."),
        "complaints": ("complaints_open", "No complaints table was supplied, so there are no complaint facts."),
        "relationships": (
            "contacts",
            "No contacts or interactions table was supplied, so there are no relationship facts.",
        ),
        "health": ("health_score", "No health score is available (no churn evidence to weight it)."),
    }
    for block, (col, why) in block_cols.items():
        if col not in f.columns:
            unavailable[block] = why
    if "health" in unavailable:
        h = tables.get("health")
        if isinstance(h, NotAvailable):
            unavailable["health"] = h.reason

    # margin benchmark: portfolio median of active accounts (from the portfolio table when
    # only this account's slice is at hand)
    kp = tables.get("kpis_portfolio")
    if isinstance(kp, pd.DataFrame) and "median_margin_pct" in kp.columns and len(kp):
        bench = float(kp["median_margin_pct"].iloc[0])
    elif len(f) > 1 and "margin_pct" in f.columns:
        bench = float(f.loc[f["revenue_ltm"] > 0, "margin_pct"].median())
    else:
        bench = np.nan
    f["margin_benchmark"] = bench
    f["margin_gap_pct"] = f["margin_pct"] - bench if "margin_pct" in f.columns else np.nan

    def merge(name: str, cols: dict[str, str], part: str, what: str) -> None:
        """Facts ``cols`` (fact: the column of table ``name`` declared in kamtools.stages) of each account."""
        nonlocal f
        t = tables.get(name)
        if not _present(t):
            unavailable.setdefault(part, _reason(tables, name, what))
            return
        pick = {fact: col for fact, col in cols.items() if fact not in f.columns}
        sub = _one_per_account(t)[["account_id", *pick.values()]].rename(columns={v: k for k, v in pick.items()})
        f = f.merge(sub, on="account_id", how="left")

    for name, cols, part, what in _FACT_COLUMNS:
        merge(name, cols, part, what)
    _churn_driver_facts(tables, f, unavailable)
    f = _forecast_facts(tables, f, as_of, unavailable)
    f = _whitespace_facts(tables, f, unavailable)
    f = _category_facts(tables, f)
    f = _competitor_loss_facts(tables, f)

    for name, unit in FACT_UNITS.items():
        if name not in f.columns:
            f[name] = pd.Series(pd.NA, index=f.index, dtype="str") if unit == "text" else np.nan
    _money_facts(f)
    for name in _TEXT_FACTS:
        f[name] = f[name].astype("str")
    f["single_threaded"] = pd.to_numeric(f["single_threaded"].astype(float), errors="coerce")
    obj = objectives(f)
    rev = obj[obj["objective"] == "revenue"].set_index("account_id")["target_value"]
    mar = obj[obj["objective"] == "margin"].set_index("account_id")["target_value"]
    f["revenue_objective"] = f["account_id"].map(rev).astype(float)
    f["margin_pct_objective"] = f["account_id"].map(mar).astype(float)
    return f[["account_id", *FACTS]], unavailable


def _money_facts(f: pd.DataFrame) -> None:
    """Facts that put a figure of money on a situation (the value at stake of its actions)."""

    def num(name: str) -> pd.Series:
        return pd.to_numeric(f[name], errors="coerce").astype(float)

    rev, margin = num("revenue_ltm"), num("margin_ltm")
    f["margin_loss"] = (-margin).clip(lower=0.0)
    f["margin_gap_value"] = (rev * (num("margin_benchmark") - num("margin_pct"))).clip(lower=0.0)
    f["next_target_shortfall"] = (num("next_target") - num("forecast_12m")).clip(lower=0.0)
    f["top_whitespace_ev"] = num("top_whitespace_p") * num("top_whitespace_value")
    f["lost_value_vs_revenue"] = (num("lost_value_to_competitor") / rev).where(rev > 0)


def _category_facts(tables: Mapping[str, object], f: pd.DataFrame) -> pd.DataFrame:
    """Declining categories from the trade-lane table (each category's last 12 months vs the 12 before)."""
    t = tables.get("tradelanes")
    if not _present(t) or t.empty:
        return f
    x = t.assign(account_id=t["account_id"].astype(str))
    ltm = pd.to_numeric(x["revenue_ltm"], errors="coerce").fillna(0.0)
    prior = pd.to_numeric(x["revenue_prior"], errors="coerce")
    change = ltm / prior - 1
    x = x.assign(_loss=prior - ltm, _chg=change)[(prior > 0) & (change <= CATEGORY_DECLINE)]
    x = x.sort_values(["account_id", "_loss"], ascending=[True, False], kind="stable")
    f["category_declines"] = f["account_id"].map(x.groupby("account_id").size()).fillna(0).astype(float)
    f["category_decline_value"] = f["account_id"].map(x.groupby("account_id")["_loss"].sum()).fillna(0.0)
    words = x["category"].astype(str) + " " + (x["_chg"] * 100).map(lambda v: f"{v:+.0f}%").astype(str)
    top3 = words.groupby(x["account_id"], sort=False).agg(lambda s: ", ".join(s.head(3)))
    f["declining_categories"] = f["account_id"].map(top3).astype("str")
    first = x.drop_duplicates("account_id").set_index("account_id")["category"].astype(str)
    f["top_declining_category"] = f["account_id"].map(first).astype("str")
    return f


_LOSS_SOURCES = (  # table, lost value, bids lost, price gap on the lost bids
    ("competitor_account_bids", "lost_amount", "losses", "avg_price_gap_lost"),  # last 24 months
    ("pipeline_losses", "lost_value", "bids_lost", "price_gap_pct"),  # last 12 months (without the above)
)


def _competitor_loss_facts(tables: Mapping[str, object], f: pd.DataFrame) -> pd.DataFrame:
    """The competitor we lost the most bid value to: the competitor analysis, else the post-bid table."""
    found = [
        (tables[name], value, count, gap)
        for name, value, count, gap in _LOSS_SOURCES
        if _present(tables.get(name)) and not tables[name].empty and {"competitor", value} <= set(tables[name].columns)
    ]
    if not found:
        return f
    t, value, count, gap = found[0]
    x = t.assign(account_id=t["account_id"].astype(str), _v=pd.to_numeric(t[value], errors="coerce"))
    named = ~x["competitor"].astype(str).str.strip().str.lower().isin(["unknown", "(not recorded)", "", "nan"])
    x = x[named & (x["_v"] > 0)].sort_values(["account_id", "_v"], ascending=[True, False], kind="stable")
    top = x.drop_duplicates("account_id").set_index("account_id")
    f["value_loss_competitor"] = f["account_id"].map(top["competitor"].astype(str)).astype("str")
    f["lost_value_to_competitor"] = f["account_id"].map(top["_v"]).astype(float)
    if count in top.columns:
        f["lost_bids_to_competitor"] = f["account_id"].map(top[count]).astype(float)
    if gap in top.columns:
        f["lost_value_price_gap_pct"] = f["account_id"].map(top[gap]).astype(float)
    return f


def _churn_driver_facts(tables: Mapping[str, object], f: pd.DataFrame, unavailable: dict[str, str]) -> None:
    d = tables.get("churn_drivers")
    if not _present(d) or d.empty:
        return
    # the churn stage's drivers in rank order; only those that raise the risk
    d = d[d["direction"] == "raises risk"].sort_values(["account_id", "rank"], kind="stable")
    top = d.groupby("account_id", sort=False).head(3)
    joined = top.groupby("account_id", sort=False)["sentence"].agg(lambda s: "; ".join(str(x).rstrip(".") for x in s))
    f["churn_drivers"] = f["account_id"].map(joined).astype("str")


def _forecast_facts(
    tables: Mapping[str, object], f: pd.DataFrame, as_of: pd.Timestamp, unavailable: dict[str, str]
) -> pd.DataFrame:
    fc = tables.get("forecast")
    got = False
    if _present(fc) and not fc.empty:
        # the account-level series (unique_id == account_id) over the 12 months after the last
        # complete month of history (what the forecast covers)
        x = fc[fc["unique_id"] == fc["account_id"]]
        last_complete = (as_of + pd.Timedelta(days=1)).to_period("M") - 1
        first = (last_complete + 1).to_timestamp()
        x = x[(x["ds"] >= first) & (x["ds"] < first + pd.DateOffset(months=12))]
        s = x.groupby("account_id")["forecast"].sum(min_count=1)
        f["forecast_12m"] = f["account_id"].map(s).astype(float)
        got = True
    if not got:
        unavailable["forecast"] = _reason(tables, "forecast", "forecast")
    ft = tables.get("forecast_targets")
    if _present(ft) and not ft.empty:
        # this calendar year's target (the forecast's probability of reaching it)
        x = ft[pd.to_numeric(ft["period"], errors="coerce") == as_of.year]
        p_reach = x.drop_duplicates("account_id").set_index("account_id")["p_reach_target"]
        f["p_target"] = pd.to_numeric(f["account_id"].map(p_reach), errors="coerce")
    if "forecast_12m" in f.columns and "next_target" in f.columns:
        nt = f["next_target"].astype(float)
        f["forecast_vs_next_target"] = (f["forecast_12m"] / nt - 1).where(nt > 0)
    return f


def _whitespace_facts(tables: Mapping[str, object], f: pd.DataFrame, unavailable: dict[str, str]) -> pd.DataFrame:
    ws = tables.get("whitespace_recommendations")
    if not _present(ws):
        unavailable["whitespace"] = _reason(tables, "whitespace_recommendations", "whitespace")
        return f
    if ws.empty:
        f["whitespace_recommendations"] = 0.0
        f["whitespace_capture"] = 0.0
        return f
    # the value if the account adopts (whitespace's expected_value is already p_adopt x it); only
    # the recommendations with a useful adoption probability count (whitespace's own flag)
    x = ws.assign(
        _p=pd.to_numeric(ws["p_adopt"], errors="coerce"), _v=pd.to_numeric(ws["spend_if_adopted"], errors="coerce")
    )
    x = x[x["recommended"].astype(bool)]
    x["_ev"] = x["_p"] * x["_v"]
    x = x.sort_values(["account_id", "rank"], kind="stable")
    top = x.groupby("account_id", sort=False).head(WHITESPACE_TOP_N)
    first = top.drop_duplicates("account_id").set_index("account_id")
    f["whitespace_recommendations"] = f["account_id"].map(x.groupby("account_id").size()).fillna(0).astype(float)
    f["whitespace_capture"] = f["account_id"].map(top.groupby("account_id")["_ev"].sum()).fillna(0.0)
    f["top_whitespace_p"] = f["account_id"].map(first["_p"]).astype(float)
    f["top_whitespace_value"] = f["account_id"].map(first["_v"]).astype(float)
    f["top_whitespace_category"] = f["account_id"].map(first["category"].astype(str)).astype("str")
    return f


# ------------------------------------------------------------------------------------------
# objectives
# ------------------------------------------------------------------------------------------
def objectives(facts: pd.DataFrame) -> pd.DataFrame:
    """Objectives for the next 12 months per account, in order: revenue, margin, retention.

    * revenue = forecast for the next 12 months (else last 12 months' revenue as run rate)
      + realistic whitespace capture (sum of p_adopt x yearly spend if adopted of the top
      :data:`WHITESPACE_TOP_N` recommendations); not set when both are zero;
    * margin % = current margin when at or above the portfolio median, else current + half
      of the gap to the median; in money = revenue objective x that %;
    * retention, for accounts still buying and at risk: churn probability >=
      :data:`RETENTION_CHURN_P` -> get it below :data:`RETENTION_TARGET_P`; without a churn
      model, health band red -> raise the score to :data:`RETENTION_HEALTH_TARGET` (amber).

    Returns columns: account_id, order, objective (revenue / margin / retention), metric,
    baseline, target_value, unit (money / share / prob / score), text, basis (the numbers
    it is derived from).
    """
    n = len(facts)
    ids = facts["account_id"].astype(str).to_numpy()

    def col(name: str) -> np.ndarray:
        return (
            pd.to_numeric(facts[name], errors="coerce").to_numpy(dtype=float) if name in facts else np.full(n, np.nan)
        )

    rev_ltm, fc, cap = col("revenue_ltm"), col("forecast_12m"), np.nan_to_num(col("whitespace_capture"))
    # the KPIs leave the prior year's revenue unknown (NaN) when the order history is under two years
    short = np.isnan(col("revenue_prior_ltm")) if "revenue_prior_ltm" in facts else np.zeros(n, dtype=bool)
    has_fc = ~np.isnan(fc)
    baseline = np.where(has_fc, fc, np.nan_to_num(rev_ltm))
    objective = baseline + cap
    next_t = col("next_target")
    cats = facts["top_whitespace_category"] if "top_whitespace_category" in facts else pd.Series([None] * n)
    rows = []
    for i in range(n):
        if objective[i] <= 0:
            continue
        base_txt = (
            f"forecast for the next 12 months {money(baseline[i])}"
            if has_fc[i]
            else f"no forecast available: last 12 months' revenue {money(baseline[i])} as run rate"
            + (" (the order history may hold less than 12 months of it)" if short[i] else "")
        )
        ws_txt = (
            f" + whitespace {money(cap[i])} (top recommendation: {cats.iloc[i]})"
            if cap[i] > 0 and isinstance(cats.iloc[i], str)
            else (f" + whitespace {money(cap[i])}" if cap[i] > 0 else "")
        )
        tgt_txt = (
            f"; next year's target {money(next_t[i])} ({objective[i] / next_t[i]:.0%} covered)" if next_t[i] > 0 else ""
        )
        rows.append(
            (
                ids[i],
                "revenue",
                "revenue, next 12 months",
                baseline[i],
                objective[i],
                "money",
                f"Reach {money(objective[i])} revenue in the next 12 months",
                base_txt + ws_txt + tgt_txt,
            )
        )
    margin, bench = col("margin_pct"), col("margin_benchmark")
    below = margin < bench
    m_obj = np.where(below, margin + 0.5 * (bench - margin), margin)
    for i in range(n):
        if objective[i] <= 0 or np.isnan(margin[i]):
            continue
        if below[i]:
            basis = f"margin {margin[i]:.1%} vs portfolio median {bench[i]:.1%}: close half of the gap"
        elif not np.isnan(bench[i]):
            basis = f"margin {margin[i]:.1%} is at or above the portfolio median {bench[i]:.1%}: hold it"
        else:
            basis = f"margin {margin[i]:.1%}: hold it"
        rows.append(
            (
                ids[i],
                "margin",
                "gross margin %",
                margin[i],
                m_obj[i],
                "share",
                f"Gross margin of {m_obj[i]:.1%} ({money(objective[i] * m_obj[i])} on the revenue objective)",
                basis,
            )
        )
    p, rar, hs = col("churn_probability"), col("revenue_at_risk"), col("health_score")
    band = facts["health_band"].astype(str).to_numpy() if "health_band" in facts else np.full(n, "")
    for i in range(n):
        if p[i] >= RETENTION_CHURN_P and rev_ltm[i] > 0:
            rar_txt = f", protecting {money(rar[i])} of revenue at risk" if rar[i] > 0 else ""
            rows.append(
                (
                    ids[i],
                    "retention",
                    "churn probability",
                    p[i],
                    RETENTION_TARGET_P,
                    "prob",
                    f"Keep the account: bring churn probability from {p[i]:.0%} below {RETENTION_TARGET_P:.0%}"
                    + (" (out of the high risk band)" if RETENTION_TARGET_P == RETENTION_CHURN_P else "")
                    + rar_txt,
                    f"churn probability {p[i]:.0%} (threshold {RETENTION_CHURN_P:.0%})",
                )
            )
        elif np.isnan(p[i]) and band[i] == "red" and rev_ltm[i] > 0:
            rows.append(
                (
                    ids[i],
                    "retention",
                    "health score",
                    hs[i],
                    RETENTION_HEALTH_TARGET,
                    "score",
                    f"Keep the account: raise health from {hs[i]:.0f} to at least {RETENTION_HEALTH_TARGET:.0f} (amber)",
                    f"health {hs[i]:.0f}/100 (red) with {money(rev_ltm[i])} revenue in the last 12 months",
                )
            )
    cols = ["account_id", "objective", "metric", "baseline", "target_value", "unit", "text", "basis"]
    out = pd.DataFrame(rows, columns=cols)
    kind_order = {"revenue": 0, "margin": 1, "retention": 2}
    out = out.assign(_k=out["objective"].map(kind_order)).sort_values(["account_id", "_k"], kind="stable")
    out.insert(1, "order", out.groupby("account_id").cumcount().astype(np.int64) + 1)
    out = out.drop(columns="_k").reset_index(drop=True)
    for c in ("account_id", "objective", "metric", "unit", "text", "basis"):
        out[c] = out[c].astype("str")
    return out


# ------------------------------------------------------------------------------------------
# applying the playbook
# ------------------------------------------------------------------------------------------
def _facts_text(facts: pd.DataFrame, names: list[str]) -> list[str]:
    """'name = value; ...' of the facts a condition read, per row."""
    if not names:
        return [""] * len(facts)
    cols = [
        [None if _missing(v) else f"{n} = {_format(v, '', FACT_UNITS.get(n, ''))}" for v in facts[n].tolist()]
        for n in names
    ]
    return ["; ".join(p for p in parts if p is not None) for parts in zip(*cols)]


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def apply_playbook(
    facts: pd.DataFrame, playbook: Playbook | None = None, as_of: pd.Timestamp | str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate every rule on every account (vectorised); return ``(risks, actions)``.

    ``risks``: account_id, order, rule_id, type, severity (the rule's priority), risk,
    value_at_stake, value_basis, evidence (the facts the condition read, e.g.
    ``days_since_dm_contact = 140 days``).
    ``actions``: account_id, order, rule_id, type, priority, owner, due_date, due_in_days,
    action, value_at_stake (the money the action protects or wins, from the rule's
    ``value`` fact: revenue at risk, overdue receivables, probability-weighted whitespace,
    lost bid value, ...), value_basis (what that figure is), evidence (the risk or evidence
    text with the account's numbers), facts (as in risks).

    Prioritising: a risk or action whose value at stake is known and below the playbook's
    ``min_value_at_stake`` is dropped (immaterial); the rest are ranked per account by value
    at stake (largest first; unknown last), then priority, then playbook order; each account
    keeps at most ``max_actions_per_account`` actions for its tier; due dates are staggered
    so the first action is due first: each is due on its rule's ``due_in_days`` or
    ``stagger_days`` after the action before it, whichever is later, and an owner has at
    most ``owner_actions_per_week`` actions due in a week (the rest move to later weeks).
    """
    playbook = load_playbook(playbook)
    as_of = pd.Timestamp(as_of if as_of is not None else pd.Timestamp.today()).normalize()
    risk_parts, action_parts = [], []
    for k, rule in enumerate(playbook.rules):
        hit = rule.when.evaluate(facts)
        if not hit.any():
            continue
        sub = facts.loc[hit]
        ids = sub["account_id"].astype(str).to_numpy()
        value = (
            pd.to_numeric(sub[rule.value], errors="coerce").to_numpy(dtype=float)
            if rule.value is not None and rule.value in sub.columns
            else np.full(len(sub), np.nan)
        )
        basis = _VALUE_BASIS.get(rule.value, FACTS.get(rule.value, "")) if rule.value else ""
        facts_txt = _facts_text(sub, rule.names)
        risk_txt = rule.risk.render_many(sub) if rule.risk is not None else None
        if risk_txt is not None:
            risk_parts.append(
                pd.DataFrame(
                    {
                        "account_id": ids,
                        "rule_id": rule.id,
                        "type": rule.type,
                        "severity": rule.priority,
                        "risk": risk_txt,
                        "value_at_stake": value,
                        "value_basis": basis,
                        "evidence": facts_txt,
                        "_rank": PRIORITIES[rule.priority],
                        "_k": k,
                    }
                )
            )
        if rule.action is not None:
            ev = rule.evidence.render_many(sub) if rule.evidence is not None else risk_txt
            owner = rule.owner.render_many(sub) if rule.owner is not None else sub["owner"].astype(str).tolist()
            action_parts.append(
                pd.DataFrame(
                    {
                        "account_id": ids,
                        "rule_id": rule.id,
                        "type": rule.type,
                        "priority": rule.priority,
                        "owner": owner,
                        "due_date": as_of + pd.Timedelta(days=rule.due_in_days),
                        "due_in_days": np.int64(rule.due_in_days),
                        "action": rule.action.render_many(sub),
                        "value_at_stake": value,
                        "value_basis": basis,
                        "evidence": ev,
                        "facts": facts_txt,
                        "_rank": PRIORITIES[rule.priority],
                        "_k": k,
                    }
                )
            )
    risk_cols = [
        "account_id",
        "order",
        "rule_id",
        "type",
        "severity",
        "risk",
        "value_at_stake",
        "value_basis",
        "evidence",
    ]
    action_cols = [
        "account_id",
        "order",
        "rule_id",
        "type",
        "priority",
        "owner",
        "due_date",
        "due_in_days",
        "action",
        "value_at_stake",
        "value_basis",
        "evidence",
        "facts",
    ]
    floor = playbook.min_value_at_stake
    risk_parts = [_material(x, floor) for x in risk_parts]
    action_parts = [_material(x, floor) for x in action_parts]
    risks = _ordered(risk_parts, ["_v", "_rank", "_k"], risk_cols)
    actions = _ordered(action_parts, ["_v", "_rank", "due_in_days", "_k"], action_cols)
    actions = _capped(actions, facts, playbook)
    actions = _staggered(actions, as_of, playbook.stagger_days, playbook.owner_actions_per_week)
    return risks, actions


_VALUE_BASIS = {
    "revenue_at_risk": "revenue at risk",
    "revenue_ltm": "last 12 months' revenue",
    "revenue_prior_ltm": "revenue of the 12 months before",
    "overdue_60_plus": "receivables over 60 days overdue",
    "overdue_ar": "overdue receivables",
    "open_ar": "open receivables",
    "value_closing_90d": "open bids closing in 90 days",
    "lost_value_12m": "bids lost in the last 12 months",
    "lost_value_to_competitor": "bids lost to the competitor",
    "target_gap": "revenue still to sell for the target",
    "next_target_shortfall": "forecast shortfall against next year's target",
    "top_whitespace_ev": "whitespace, probability-weighted",
    "margin_loss": "margin lost",
    "margin_gap_value": "margin to gain",
    "category_decline_value": "revenue lost in declining categories",
}


def _material(part: pd.DataFrame, floor: float) -> pd.DataFrame:
    """Drop rows whose value at stake is known and below ``floor``; add the ranking key."""
    v = part["value_at_stake"].astype(float)
    part = part[~(v < floor)].copy()
    part["_v"] = -part["value_at_stake"].astype(float).fillna(-np.inf)  # largest first, unknown last
    return part


def _capped(actions: pd.DataFrame, facts: pd.DataFrame, playbook: Playbook) -> pd.DataFrame:
    """Keep at most the tier's number of actions per account.

    The actions arrive in rank order; a second action of the same type (two target actions,
    say) moves behind the first action of every other type, so the few actions kept cover
    different topics; actions without a money figure come after all that have one.
    """
    if actions.empty:
        return actions
    repeat = actions.groupby(["account_id", "type"], sort=False).cumcount().to_numpy() > 0
    unknown = actions["value_at_stake"].isna().to_numpy()  # no money figure: after every action with one
    actions = actions.assign(_unknown=unknown, _repeat=repeat)
    actions = actions.sort_values(["account_id", "_unknown", "_repeat", "order"], kind="stable")
    actions = actions.drop(columns=["_unknown", "_repeat"]).reset_index(drop=True)
    actions["order"] = actions.groupby("account_id").cumcount().astype(np.int64) + 1
    tier = facts.assign(account_id=facts["account_id"].astype(str)).drop_duplicates("account_id")
    tier = tier.set_index("account_id")["tier"].astype(str).str.strip().str.removeprefix("Tier ").str.strip()
    cap = actions["account_id"].map(tier).map(playbook.max_actions).fillna(playbook.max_actions_default)
    out = actions[actions["order"] <= cap.to_numpy()].reset_index(drop=True)
    return out


def _staggered(actions: pd.DataFrame, as_of: pd.Timestamp, step: int, per_week: int) -> pd.DataFrame:
    """Due dates in rank order and within each owner's capacity.

    Each action is due at its rule's time or ``step`` days after the account's action ranked
    before it, whichever is later; and no owner gets more than ``per_week`` actions due in
    one week (weeks counted from the data date): the rest move to the next week with room.
    The owner's capacity goes to the biggest stakes first (every account's first action,
    largest value first, then every second action, ...).
    """
    if actions.empty:
        return actions
    rule_due = actions["due_in_days"].to_numpy(dtype=np.int64)
    due = rule_due.copy()
    acc = actions["account_id"].to_numpy()
    owner = actions["owner"].astype(str).str.replace(r" \+ .*$", "", regex=True).to_numpy()
    value = actions["value_at_stake"].astype(float).fillna(-np.inf).to_numpy()
    visit = np.lexsort((-value, actions["order"].to_numpy()))  # by rank, then largest value
    prev = np.full(len(due), -1)  # row of the action ranked before, in the same account
    same = np.r_[False, acc[1:] == acc[:-1]]  # rows are sorted by account, then rank
    prev[same] = np.nonzero(same)[0] - 1
    load: dict[tuple[str, int], int] = {}
    for i in visit:  # an account's earlier actions are always placed first (lower order)
        d = int(rule_due[i]) if prev[i] < 0 else max(int(rule_due[i]), int(due[prev[i]]) + step)
        week = d // 7
        while load.get((owner[i], week), 0) >= per_week:
            week += 1
        if week > d // 7:
            d = week * 7
        load[(owner[i], week)] = load.get((owner[i], week), 0) + 1
        due[i] = d
    actions = actions.copy()
    actions["due_in_days"] = due
    actions["due_date"] = as_of + pd.to_timedelta(due, unit="D")
    return actions


def _ordered(parts: list[pd.DataFrame], keys: list[str], cols: list[str]) -> pd.DataFrame:
    if not parts:
        empty = {c: pd.Series([], dtype="str") for c in cols}
        empty["order"] = pd.Series([], dtype=np.int64)
        empty["value_at_stake"] = pd.Series([], dtype=float)
        if "due_date" in cols:
            empty["due_date"] = pd.Series([], dtype="datetime64[ns]")
            empty["due_in_days"] = pd.Series([], dtype=np.int64)
        return pd.DataFrame(empty)[cols]
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(["account_id", *keys], kind="stable")
    df["order"] = df.groupby("account_id").cumcount().astype(np.int64) + 1
    df = df[cols].reset_index(drop=True)
    for c in cols:
        if c not in ("order", "due_date", "due_in_days", "value_at_stake"):
            df[c] = df[c].astype("str")
    return df


# ------------------------------------------------------------------------------------------
# talking points
# ------------------------------------------------------------------------------------------
def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return np.nan


def talking_points(
    facts: pd.DataFrame,
    objectives_df: pd.DataFrame,
    risks: pd.DataFrame,
    actions: pd.DataFrame,
    as_of: pd.Timestamp | str,
    max_risks: int = 2,
    max_actions: int = 3,
) -> pd.DataFrame:
    """A few QBR sentences per account, from its facts, objectives, risks and actions.

    Returns columns: account_id, order, topic (performance, target, objective, pipeline,
    relationship, risk, action), text.
    """
    year = pd.Timestamp(as_of).year
    obj = objectives_df[objectives_df["order"] == 1].set_index("account_id")["text"].to_dict()
    rev_basis = objectives_df[objectives_df["objective"] == "revenue"].set_index("account_id")["basis"].to_dict()
    top_r: dict[str, list[str]] = {}
    sel = risks[risks["order"] <= max_risks]
    for aid, text in zip(sel["account_id"].tolist(), sel["risk"].tolist()):
        top_r.setdefault(aid, []).append(text)
    top_a: dict[str, list[str]] = {}
    sel = actions[actions["order"] <= max_actions]
    due = sel["due_date"].dt.strftime("%Y-%m-%d").tolist()
    for aid, text, d in zip(sel["account_id"].tolist(), sel["action"].tolist(), due):
        top_a.setdefault(aid, []).append(f"{text} (by {d})")
    rows: list[tuple[str, str, str]] = []
    used = [
        "account_id", "revenue_ytd", "revenue_ytd_prior", "growth_ytd_pct", "margin_pct", "target", "target_pace",
        "target_attainment", "p_target", "open_bids", "open_value", "weighted_value", "bids_closing_90d",
        "health_score", "health_band", "top_weakness",
    ]  # fmt: skip
    has_prior = "revenue_ytd_prior" in facts.columns
    for rec in facts.reindex(columns=used).to_dict("records"):
        aid = rec["account_id"]
        ytd, prior = _num(rec.get("revenue_ytd")), _num(rec.get("revenue_ytd_prior"))
        g = _num(rec.get("growth_ytd_pct"))
        perf = f"Revenue so far in {year}: {money(ytd)}"
        if not np.isnan(g) and prior > 0:
            perf += f", {g:+.0%} on the same period last year"
        elif has_prior and np.isnan(prior):  # the KPIs leave it NaN when it lies before the order history
            perf += " (no comparison with the same period last year: it lies before the order history)"
        m = _num(rec.get("margin_pct"))
        if not np.isnan(m):
            perf += f", at a {m:.1%} gross margin (last 12 months)"
        rows.append((aid, "performance", perf + "."))
        tgt = _num(rec.get("target"))
        if tgt > 0:
            pace = _num(rec.get("target_pace"))
            txt = f"{_num(rec.get('target_attainment')):.0%} of the {year} target of {money(tgt)} reached"
            if not np.isnan(pace):
                txt += "; on pace" if pace >= 1 else f"; {1 - pace:.0%} behind the pro-rata pace"
            p_t = _num(rec.get("p_target"))
            if not np.isnan(p_t):
                txt += f"; {p_t:.0%} probability of reaching it"
            rows.append((aid, "target", txt + "."))
        if aid in obj:
            basis = rev_basis.get(aid)
            rows.append((aid, "objective", obj[aid] + (f" ({basis})." if basis else ".")))
        ob = _num(rec.get("open_bids"))
        if ob > 0:
            rows.append(
                (
                    aid,
                    "pipeline",
                    f"{ob:.0f} open bid{'s' if ob != 1 else ''} worth {money(_num(rec.get('open_value')))} "
                    f"(weighted {money(_num(rec.get('weighted_value')))}), "
                    f"{_num(rec.get('bids_closing_90d')):.0f} closing in the next 90 days.",
                )
            )
        hs = _num(rec.get("health_score"))
        if not np.isnan(hs):
            weak = rec.get("top_weakness")
            weak_txt = f"; weakest point: {str(weak).lower()}" if isinstance(weak, str) and weak else ""
            rows.append((aid, "relationship", f"Account health {hs:.0f}/100 ({rec.get('health_band')}){weak_txt}."))
        for r in top_r.get(aid, []):
            rows.append((aid, "risk", f"Risk: {r}."))
        for a in top_a.get(aid, []):
            rows.append((aid, "action", f"Next step: {a}."))
    out = pd.DataFrame(rows, columns=["account_id", "topic", "text"])
    out.insert(1, "order", out.groupby("account_id", sort=False).cumcount().astype(np.int64) + 1)
    for c in ("account_id", "topic", "text"):
        out[c] = out[c].astype("str")
    return out


# ------------------------------------------------------------------------------------------
# the plan object
# ------------------------------------------------------------------------------------------
@dataclass
class AccountPlan:
    """One account's plan. ``to_frames()`` gives every part as a DataFrame.

    Attributes
    ----------
    account_id, name, owner : who the plan is for and who owns it.
    as_of : the data date the plan is built on.
    profile : dict of segment, tier, quadrant, tenure_years, expected_value_12m,
        revenue_ltm, health_score, health_band, industry, region (None when unknown).
    objectives, risks, actions, talking_points : DataFrames as from :func:`objectives`,
        :func:`apply_playbook` and :func:`talking_points` (this account's rows).
    facts : dict of every fact of :data:`FACTS` for this account.
    unavailable : plan part -> reason it is missing (shown as sentences in reports).
    playbook : where the rules came from.
    """

    account_id: str
    name: str
    owner: str
    as_of: pd.Timestamp
    profile: dict
    objectives: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame
    talking_points: pd.DataFrame
    facts: dict
    unavailable: dict[str, str] = field(default_factory=dict)
    playbook: str = "built-in"

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """{'profile', 'objectives', 'risks', 'actions', 'talking_points', 'unavailable'} DataFrames."""
        prof = pd.DataFrame(
            {
                "account_id": self.account_id,
                "field": list(self.profile),
                "value": [None if v is None else str(v) for v in self.profile.values()],
            }
        )
        una = pd.DataFrame(
            {"account_id": self.account_id, "part": list(self.unavailable), "reason": list(self.unavailable.values())}
        )
        return {
            "profile": prof,
            "objectives": self.objectives,
            "risks": self.risks,
            "actions": self.actions,
            "talking_points": self.talking_points,
            "unavailable": una,
        }

    @property
    def points(self) -> list[str]:
        """The talking points as a list of sentences."""
        return self.talking_points["text"].tolist()


_PROFILE = (
    "segment",
    "tier",
    "quadrant",
    "tenure_years",
    "expected_value_12m",
    "revenue_ltm",
    "health_score",
    "health_band",
    "industry",
    "region",
)


def _clean(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass
class _Plans:
    facts: pd.DataFrame
    objectives: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame
    talking_points: pd.DataFrame
    unavailable: dict[str, str]
    playbook: Playbook
    as_of: pd.Timestamp


def plans(
    tables: Mapping[str, pd.DataFrame | NotAvailable],
    as_of: pd.Timestamp | str,
    playbook: str | os.PathLike | Mapping | Playbook | None = None,
) -> _Plans:
    """Plans for every account in ``tables`` (vectorised; see :func:`account_facts`)."""
    pb = load_playbook(playbook)
    as_of = pd.Timestamp(as_of).normalize()
    facts, unavailable = account_facts(tables, as_of)
    obj = objectives(facts)
    risks, actions = apply_playbook(facts, pb, as_of)
    tp = talking_points(facts, obj, risks, actions, as_of)
    return _Plans(facts, obj, risks, actions, tp, unavailable, pb, as_of)


def _to_plan(all_plans: _Plans, account_id: str, unavailable: dict[str, str]) -> AccountPlan:
    f = all_plans.facts
    row = f[f["account_id"] == account_id]
    if row.empty:
        raise KeyError(f"account_id {account_id!r} has no KPIs to plan from")
    facts = {k: _clean(v) for k, v in row.iloc[0].to_dict().items()}

    def rows(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["account_id"] == account_id].reset_index(drop=True)

    return AccountPlan(
        account_id=account_id,
        name=str(facts.get("name") or account_id),
        owner=str(facts.get("owner") or ""),
        as_of=all_plans.as_of,
        profile={k: facts.get(k) for k in _PROFILE},
        objectives=rows(all_plans.objectives),
        risks=rows(all_plans.risks),
        actions=rows(all_plans.actions),
        talking_points=rows(all_plans.talking_points),
        facts=facts,
        unavailable=unavailable,
        playbook=all_plans.playbook.source,
    )


# the per-account tables the plan reads (kpis_portfolio, portfolio-level, is read apart)
_SOURCE_TABLES = ("kpis", "health", *(t for t in _stage("plan").reads if t not in ("kpis", "kpis_portfolio", "health")))


def account_plan(
    source,
    account_id: str,
    playbook: str | os.PathLike | Mapping | Playbook | None = None,
    context: Mapping[str, pd.DataFrame | NotAvailable] | None = None,
) -> AccountPlan:
    """The plan of one account.

    ``source`` is a :class:`kamtools.bundle.Bundle` (only this account's slice is read),
    an :class:`~kamtools.bundle.AccountView`, or a :class:`Portfolio`: then the stages the
    plan reads from run in memory (:func:`kamtools.stages.run_stages`), unless ``context``
    holds their tables already (e.g. ``run_stages(portfolio, upto="kpis")``, kept for
    several accounts). ``playbook`` is a YAML path (or mapping / Playbook) replacing or
    extending the built-in rules. Raises KeyError for an unknown account.
    """
    account_id = str(account_id)
    if isinstance(source, Portfolio):
        if context is None:
            from kamtools.stages import dependencies, run_stages, stage, upstream

            needed = {name for dep in dependencies(stage("plan")) for name in upstream(dep)}
            context = run_stages(source, stages=needed)
        ctx = dict(context)
        if account_id not in set(source.accounts["account_id"].astype(str)):
            raise KeyError(f"account_id {account_id!r} is not in the portfolio")
        tables = {name: _slice(ctx.get(name), account_id) for name in _SOURCE_TABLES}
        tables["kpis_portfolio"] = ctx.get("kpis_portfolio")
        as_of = source.as_of
    else:
        acct = source.account(account_id) if hasattr(source, "account") else source
        tables = {name: acct.table(name) for name in _SOURCE_TABLES}
        tables["kpis_portfolio"] = acct.portfolio_table("kpis_portfolio")
        as_of = acct.as_of
    if not _present(tables.get("kpis")) or tables["kpis"].empty:
        reason = tables.get("kpis")
        raise ValueError(
            f"account_plan: no KPIs for account {account_id!r}"
            + (f" ({reason.reason})" if isinstance(reason, NotAvailable) else "")
        )
    built = plans(tables, as_of, playbook)
    return _to_plan(built, account_id, built.unavailable)


def _slice(table, account_id: str):
    if isinstance(table, pd.DataFrame) and "account_id" in table.columns:
        return table[table["account_id"].astype(str) == account_id].reset_index(drop=True)
    return table


# ------------------------------------------------------------------------------------------
# bundle
# ------------------------------------------------------------------------------------------
def bundle_tables(
    portfolio: Portfolio,
    context: dict[str, pd.DataFrame],
    playbook: str | os.PathLike | Mapping | Playbook | None = None,
) -> dict[str, pd.DataFrame | NotAvailable]:
    """The plan stage of :func:`kamtools.bundle.analyze`: plans for every account.

    Tables (per account, rows in order): ``plan_objectives``, ``plan_risks``,
    ``plan_actions``, ``plan_talking_points``; ``plan_summary`` (one row per account:
    revenue_objective, margin_pct_objective, n_risks, n_actions, n_high_priority,
    value_at_stake (sum over its actions), top_action, top_risk); ``plan_unavailable`` (portfolio-level: part, reason).
    The playbook is ``playbook``, else the one :func:`kamtools.bundle.analyze` checked and
    put in ``context`` (under :data:`PLAYBOOK_CONTEXT_KEY`), else the built-in one.
    """
    ctx: dict[str, pd.DataFrame | NotAvailable] = dict(context)
    if not _present(ctx.get("kpis")):
        reason = ctx.get("kpis")
        na = NotAvailable(
            "Account plans need the KPIs, which are not available"
            + (f": {reason.reason}" if isinstance(reason, NotAvailable) else ".")
        )
        return {n: na for n in ("plan_objectives", "plan_risks", "plan_actions", "plan_talking_points", "plan_summary")}
    pb = playbook if playbook is not None else context.get(PLAYBOOK_CONTEXT_KEY)
    built = plans(ctx, portfolio.as_of, pb)
    f = built.facts
    a, r = built.actions, built.risks
    summary = pd.DataFrame({"account_id": f["account_id"].astype(str)})
    summary["revenue_objective"] = f["revenue_objective"].to_numpy()
    summary["margin_pct_objective"] = f["margin_pct_objective"].to_numpy()
    summary["n_risks"] = summary["account_id"].map(r.groupby("account_id").size()).fillna(0).astype(np.int64)
    summary["n_actions"] = summary["account_id"].map(a.groupby("account_id").size()).fillna(0).astype(np.int64)
    high = a[a["priority"] == "high"].groupby("account_id").size()
    summary["n_high_priority"] = summary["account_id"].map(high).fillna(0).astype(np.int64)
    summary["value_at_stake"] = summary["account_id"].map(a.groupby("account_id")["value_at_stake"].sum()).fillna(0.0)
    first_a = a[a["order"] == 1].set_index("account_id")["action"]
    first_r = r[r["order"] == 1].set_index("account_id")["risk"]
    summary["top_action"] = summary["account_id"].map(first_a).astype("str")
    summary["top_risk"] = summary["account_id"].map(first_r).astype("str")
    unavailable = pd.DataFrame(
        {"part": list(built.unavailable), "reason": list(built.unavailable.values())}, dtype="str"
    )
    return {
        "plan_objectives": built.objectives,
        "plan_risks": r,
        "plan_actions": a,
        "plan_talking_points": built.talking_points,
        "plan_summary": summary,
        "plan_unavailable": unavailable,
    }
