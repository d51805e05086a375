"""A scenario as plain data (:class:`Scenario`: name, scope and levers) and the planner's defaults."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from kamtools.scenario.constants import (
    DEFAULT_COST_OF_CAPITAL,
    DEFAULT_PROMOTION_UPLIFT,
    ELASTICITY_RANGE,
    ScenarioError,
)
from kamtools.scenario.scopes import parse_scope


# ---------------------------------------------------------------------------------------
# the scenario: plain data
# ---------------------------------------------------------------------------------------
@dataclass
class Scenario:
    """A what-if scenario: scope and levers. All percentages are in percent (3.0 = +3%).

    Parameters
    ----------
    name : label shown in tables and charts.
    scope : ``"portfolio"``, ``"account:<account_id>"`` or ``"<column>:<value>"`` for a
        column of the bundle's account summary (``tier:1``, ``region:North``, ...).
    price_change : price change for every category, percent of today's net price.
    price_change_by_category : per-category price change, replacing ``price_change`` there.
    volume_change : volume change for every category (listings, distribution), percent.
    volume_change_by_category : per-category volume change, replacing ``volume_change``.
    elasticity : price elasticity of volume for every category; None uses the estimate.
    elasticity_by_category : per-category elasticity overrides.
    churn_reduction : share of the churn model's revenue at risk that is kept, percent.
    whitespace_capture : share of the recommended whitespace (first-year spend) won, percent.
    whitespace_ramp_months : months until won whitespace reaches its full monthly run rate.
    promotion_spend : promotion spend per year (revenue currency), spread evenly over months.
    promotion_uplift : incremental revenue per unit of promotion spend (2.0 = 2 per 1 spent).
    payment_terms_days : new contractual payment terms in days; None keeps today's terms.
    cost_of_capital : yearly cost of financing receivables, percent.
    notes : free text.
    """

    name: str = "scenario"
    scope: str = "portfolio"
    price_change: float = 0.0
    price_change_by_category: dict[str, float] = field(default_factory=dict)
    volume_change: float = 0.0
    volume_change_by_category: dict[str, float] = field(default_factory=dict)
    elasticity: float | None = None
    elasticity_by_category: dict[str, float] = field(default_factory=dict)
    churn_reduction: float = 0.0
    whitespace_capture: float = 0.0
    whitespace_ramp_months: int = 3
    promotion_spend: float = 0.0
    promotion_uplift: float = DEFAULT_PROMOTION_UPLIFT
    payment_terms_days: float | None = None
    cost_of_capital: float = DEFAULT_COST_OF_CAPITAL
    notes: str = ""

    def __post_init__(self) -> None:
        self.validate()

    # ---- checks ---------------------------------------------------------------------
    def validate(self) -> Scenario:
        """Raise :class:`ScenarioError` naming the lever and the allowed range; returns self."""
        parse_scope(self.scope)

        def num(name: str, value, lo: float, hi: float) -> None:
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ScenarioError(f"scenario {self.name!r}: {name} must be a number, got {value!r}")
            if not lo <= value <= hi:
                raise ScenarioError(f"scenario {self.name!r}: {name} must be between {lo:g} and {hi:g}, got {value:g}")

        num("price_change", self.price_change, -90.0, 200.0)
        num("volume_change", self.volume_change, -100.0, 500.0)
        for name, mapping, lo, hi in (
            ("price_change_by_category", self.price_change_by_category, -90.0, 200.0),
            ("volume_change_by_category", self.volume_change_by_category, -100.0, 500.0),
            ("elasticity_by_category", self.elasticity_by_category, *ELASTICITY_RANGE),
        ):
            if not isinstance(mapping, dict):
                raise ScenarioError(f"scenario {self.name!r}: {name} must be a mapping category -> number")
            for cat, value in mapping.items():
                num(f"{name}[{cat!r}]", value, lo, hi)
        if self.elasticity is not None:
            num("elasticity", self.elasticity, *ELASTICITY_RANGE)
        num("churn_reduction", self.churn_reduction, 0.0, 100.0)
        num("whitespace_capture", self.whitespace_capture, 0.0, 100.0)
        num("whitespace_ramp_months", self.whitespace_ramp_months, 0, 36)
        num("promotion_spend", self.promotion_spend, 0.0, 1e13)
        num("promotion_uplift", self.promotion_uplift, 0.0, 50.0)
        if self.payment_terms_days is not None:
            num("payment_terms_days", self.payment_terms_days, 0.0, 365.0)
        num("cost_of_capital", self.cost_of_capital, 0.0, 100.0)
        return self

    @property
    def is_neutral(self) -> bool:
        """True when no lever moves anything (the scenario equals the baseline)."""
        return (
            self.price_change == 0
            and not any(self.price_change_by_category.values())
            and self.volume_change == 0
            and not any(self.volume_change_by_category.values())
            and self.churn_reduction == 0
            and self.whitespace_capture == 0
            and self.promotion_spend == 0
            and self.payment_terms_days is None
        )

    # ---- persistence -----------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready dict (with a ``format`` key)."""
        return {"format": "kamtools-scenario/1", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Scenario:
        """Inverse of :meth:`to_dict`; unknown keys raise :class:`ScenarioError`."""
        if not isinstance(data, dict):
            raise ScenarioError(f"a scenario must be a JSON object, got {type(data).__name__}")
        data = dict(data)
        fmt = data.pop("format", "kamtools-scenario/1")
        if fmt != "kamtools-scenario/1":
            raise ScenarioError(f"unknown scenario format {fmt!r} (expected 'kamtools-scenario/1')")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ScenarioError(f"unknown scenario field(s) {unknown}; known fields are {sorted(known)}")
        for key in ("price_change_by_category", "volume_change_by_category", "elasticity_by_category"):
            if key in data and isinstance(data[key], dict):
                data[key] = {str(k): float(v) for k, v in data[key].items()}
        return cls(**data)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"not a valid scenario JSON: {exc}") from exc
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the scenario as JSON to ``path``: a file, or a folder (a :class:`ScenarioStore`).

        An existing file is replaced only when it holds a kamtools scenario and
        ``overwrite`` is True; any other file is never touched (:class:`ScenarioError`).
        """
        from kamtools.scenario.store import ScenarioStore, _write_scenario_file  # the store reads Scenario

        path = Path(path)
        if path.is_dir():
            return ScenarioStore(path).save(self, overwrite=overwrite)
        _write_scenario_file(path, self.to_json() + "\n", overwrite)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Scenario:
        from kamtools.scenario.store import _read_text

        return cls.from_json(_read_text(Path(path)))
