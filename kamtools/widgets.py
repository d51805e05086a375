"""Interactive scenario planner (ipywidgets): pick an account, move levers, see the plan.

:class:`ScenarioPlanner` puts :mod:`kamtools.scenario` behind sliders. Picking a scope
(an account, a tier or the whole portfolio) gathers its baseline once
(:func:`kamtools.scenario.baseline`); every lever change then runs only the vectorised
:func:`kamtools.scenario.evaluate` (milliseconds), updates the KPI table first and the
chart after it. Lever changes are debounced: the first change after a quiet period is
applied at once, changes arriving while the planner is busy or within ``debounce``
seconds are coalesced into one trailing update. ``debounce=0`` updates synchronously
(tests).

Stable CSS classes (for browser tests and custom styling): ``kam-planner`` (root),
``kam-scope``, ``kam-lever-<name>`` on each lever, ``kam-headline`` with the element
``.kam-projected-revenue`` (its ``data-value`` attribute holds the raw number),
``kam-kpi-table``, ``kam-year-table``, ``kam-chart``, ``kam-notes``, ``kam-status``,
``kam-save``, ``kam-load``, ``kam-compare``, ``kam-reset``, ``kam-compare-table``.

Example (in a notebook)
-----------------------
>>> from kamtools.widgets import ScenarioPlanner
>>> planner = ScenarioPlanner("reports/demo/bundle")    # doctest: +SKIP
>>> planner                                              # doctest: +SKIP
>>> planner.levers["price_change"].value = 3.0          # same as moving the slider  # doctest: +SKIP
>>> planner.result.kpi("revenue_12m")                   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamtools import formatting, templating
from kamtools import scenario as sc
from kamtools.extras import import_optional
from kamtools.plotting.scenario import LiveScenarioChart, scenario_chart_data
from kamtools.scenario.chance_words import attainment_and_chance
from kamtools.scenario.engine import ATTAINMENT_LABEL
from kamtools.scenario_bids import BidLever

W = import_optional("ipywidgets", "planner", "the scenario planner widget")

if TYPE_CHECKING:
    from kamtools.bundle import Bundle

__all__ = ["ScenarioPlanner", "demo_bundle"]

PLANNER_TEMPLATE = "planner.html"
"""The template file of the planner's HTML fragments (one macro each, in ``kamtools/templates``)."""
STYLESHEETS = ("components.css", "planner.css")
"""The planner's styles: the component sheet (tables, cards) and its own rules, both in ``kamtools/templates``."""


def _html(macro: str, *args, **kwargs) -> str:
    """The HTML of ``macro`` of the planner template with these values (every value escaped)."""
    return str(templating.macro(PLANNER_TEMPLATE, macro, extra="planner")(*args, **kwargs))


LEVERS = (
    "price_change",
    "elasticity",
    "volume_change",
    "churn_reduction",
    "whitespace_capture",
    "promotion_spend",
    "promotion_uplift",
    "payment_terms_days",
    "cost_of_capital",
)


def demo_bundle(n_accounts: int = 60, progress: bool = False) -> Bundle:
    """The demo bundle to plan on when none is given.

    ``reports/demo/bundle`` (in the current folder) when ``kamtools demo`` has written it
    there (with the scenario tables); otherwise the first ``n_accounts`` accounts of the committed demo data are
    analysed into ``<temp>/kamtools-planner-demo/bundle`` (reused while the data and the
    code are unchanged).
    """
    import tempfile

    from kamtools.bundle import Bundle, BundleError
    from kamtools.datasets import load_demo
    from kamtools.demo import ensure_bundle, subset

    written = Path("reports") / "demo" / "bundle"  # where `kamtools demo` writes it, from this folder
    try:
        b = Bundle.open(written)
        if b.has("scenario_price_volume"):
            return b
    except BundleError:
        pass
    target = Path(tempfile.gettempdir()) / "kamtools-planner-demo" / "bundle"
    bundle, _ = ensure_bundle(subset(load_demo(), n_accounts), target, progress=progress)
    if not bundle.has("scenario_price_volume"):
        raise sc.ScenarioError(
            f"the demo bundle at {bundle.path} has no scenario tables: the scenario stage is not among "
            "the stages of this version (kamtools.stages.STAGES)"
        )
    return bundle


def _finite(value: object) -> float | None:
    """``value`` as a float, or None when it is missing or not finite (shown as 'n/a')."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


LEVER_STYLE = {"description_width": "150px"}

BASELINE_WORDS = {"forecast": "the account forecasts of the reports"}
"""How the notes name the baseline (``Baseline.baseline_method``; the fallbacks are already words)."""


def _lever_layout():
    return W.Layout(width="340px")


LEVER_SPECS = {  # slider levers: name -> (description, min, max, step, value, readout format)
    "price_change": ("Price change %", -20, 20, 0.5, 0.0, ".1f"),
    "elasticity": ("Price elasticity", sc.ELASTICITY_RANGE[0], 0.0, 0.05, -1.0, ".2f"),
    "volume_change": ("Volume change %", -30, 30, 0.5, 0.0, ".1f"),
    "churn_reduction": ("Churn risk kept %", 0, 100, 5, 0.0, ".0f"),
    "whitespace_capture": ("Whitespace won %", 0, 100, 5, 0.0, ".0f"),
    "promotion_uplift": ("Revenue per 1 promo", 0, 6, 0.1, sc.DEFAULT_PROMOTION_UPLIFT, ".1f"),
    "payment_terms_days": ("Payment terms (days)", 0, 180, 1, 30, ".0f"),
    "cost_of_capital": ("Cost of capital %", 0, 20, 0.5, sc.DEFAULT_COST_OF_CAPITAL, ".1f"),
}


def _lever(name: str, desc: str, lo: float, hi: float, step: float, value: float, fmt: str):
    """A lever slider with the class ``kam-lever-<name>`` (hyphens for underscores)."""
    w = W.FloatSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=desc,
        readout_format=fmt,
        continuous_update=True,
        layout=_lever_layout(),
        style=LEVER_STYLE,
    )
    return _classed(w, f"kam-lever-{name.replace('_', '-')}")


def _classed(widget, cls: str):
    """``widget`` with the CSS class ``cls`` (the stable classes named in the module docs)."""
    widget.add_class(cls)
    return widget


class ScenarioPlanner:
    """The scenario planner app: scope picker, levers, live chart, KPI table, save/load/compare.

    Parameters
    ----------
    bundle : a :class:`~kamtools.bundle.Bundle` or the path of a bundle folder.
    scope : scope to open first (default: the largest account).
    debounce : seconds to coalesce rapid lever changes; 0 updates synchronously.
    scenarios_dir : folder where saved scenarios are written as JSON (and read at start);
        None keeps them in memory only.
    scope_columns : account-summary columns offered as group scopes (default: tier).
    chart : draw the live chart (turn off for headless benchmarks).

    Attributes
    ----------
    widget : the root ipywidgets box (displayed when the planner is displayed).
    levers : dict lever name -> widget; ``category_levers``: {category: (price, volume)}.
    baseline : the :class:`~kamtools.scenario.Baseline` of the current scope.
    result : the latest :class:`~kamtools.scenario.ScenarioResult`.
    chart_data : the frame the chart shows (``ds, series, value``).
    saved : {name: Scenario} saved in this session (and found in ``scenarios_dir``, by the name
        stored in each file; see :class:`~kamtools.scenario.ScenarioStore`).
    load_problems : files in ``scenarios_dir`` skipped at start, one sentence each.
    timings : list of dicts ``evaluate_ms, kpis_ms, chart_ms, total_ms`` per update.
    """

    def __init__(
        self,
        bundle: Bundle | str | os.PathLike,
        scope: str | None = None,
        debounce: float = 0.15,
        scenarios_dir: str | os.PathLike | None = None,
        scope_columns: tuple[str, ...] = ("tier",),
        chart: bool = True,
    ):
        from kamtools.bundle import Bundle

        self.bundle = bundle if isinstance(bundle, Bundle) else Bundle.open(bundle)
        self.currency = formatting.currency_of(self.bundle)  # money is written with it everywhere
        self.debounce = float(debounce)
        self.scenarios_dir = Path(scenarios_dir) if scenarios_dir else None
        self.draw_chart = bool(chart)
        self.saved: dict[str, sc.Scenario] = {}
        self._confirm: str | None = None  # name whose replacement the Save button asked to confirm
        self.load_problems: list[str] = []  # files in scenarios_dir that were skipped, and why
        self.timings: list[dict] = []
        self.result: sc.ScenarioResult | None = None
        self.chart_data: pd.DataFrame | None = None
        self.updates = 0
        self.baseline: sc.Baseline | None = None
        self.comparison: pd.DataFrame | None = None
        self.scope_seconds = 0.0
        self._baselines: dict[str, sc.Baseline] = {}
        self._suspend = 0
        self._pending = None
        self._lock = threading.RLock()
        self._last_done = -1e9
        self._defaults: dict[str, float] = {}
        self._chart = LiveScenarioChart(currency=self.currency) if self.draw_chart else None
        self._options = sc.scopes(self.bundle.accounts, scope_columns)
        self._build()
        self._load_dir()
        first = scope or self._default_scope()
        self.set_scope(first)

    # ---- construction ---------------------------------------------------------------
    def _default_scope(self) -> str:
        accounts = [v for _, v in self._options if v.startswith("account:")]
        return accounts[0] if accounts else "portfolio"

    def _build(self) -> None:
        """Make the widgets, lay them out and connect them (the steps below, in this order)."""
        self._build_levers()
        self._build_outputs()
        self._build_manage()
        self.widget = W.VBox(
            [
                W.HTML(_html("style", templating.trusted(*STYLESHEETS))),
                self.scope_picker,
                W.HBox([self._controls(), self._outputs()]),
                self._manage(),
            ]
        )
        self.widget.add_class("kam-planner")
        self._connect()

    def _build_levers(self) -> None:
        """The scope picker, the levers (sliders and boxes), the per-category levers and the elasticity notes."""
        self.scope_picker = W.Dropdown(
            options=self._options,
            description="Plan for",
            layout=W.Layout(width="420px"),
            style={"description_width": "70px"},
        )
        self.scope_picker.add_class("kam-scope")
        self.levers: dict[str, W.Widget] = {name: _lever(name, *spec) for name, spec in LEVER_SPECS.items()}
        self.levers["promotion_spend"] = W.BoundedFloatText(
            value=0.0,
            min=0.0,
            max=1e12,
            step=1000,
            description="Promotion spend / yr",
            layout=_lever_layout(),
            style=LEVER_STYLE,
        )
        self.levers["promotion_spend"].add_class("kam-lever-promotion-spend")
        self.levers = {name: self.levers[name] for name in LEVERS}  # in the order of the controls
        self.category_levers: dict[str, tuple[W.BoundedFloatText, W.BoundedFloatText]] = {}
        self.category_box = W.VBox([])
        self.category_accordion = W.Accordion(children=[self.category_box], layout=W.Layout(width="360px"))
        self.category_accordion.set_title(0, "Per category: price % / volume %")
        self.elasticity_info = _classed(W.HTML(), "kam-elasticity-info")
        self.elasticity_accordion = W.Accordion(children=[self.elasticity_info], layout=W.Layout(width="360px"))
        self.elasticity_accordion.set_title(0, "Where the elasticities come from")
        self.use_estimates = W.Button(description="Use estimated elasticity", layout=W.Layout(width="200px"))
        self.use_estimates.add_class("kam-use-estimates")
        self.bid_lever = BidLever(self.bundle)  # one open bid's price (kamtools.scenario_bids)

    def _build_outputs(self) -> None:
        """The headline, the chart, the KPI and year tables, the notes and the status line."""
        self.headline = _classed(W.HTML(), "kam-headline")
        self.kpi_table = _classed(W.HTML(), "kam-kpi-table")
        self.year_table = _classed(W.HTML(), "kam-year-table")
        self.chart = _classed(W.Image(format="png", layout=W.Layout(width="640px")), "kam-chart")
        self.notes = _classed(W.HTML(), "kam-notes")
        self.status = _classed(W.HTML(), "kam-status")

    def _build_manage(self) -> None:
        """The scenario name, Save, Reset, the saved scenarios, Load, Compare and the comparison table."""
        self.name = _classed(W.Text(value="Scenario 1", description="Name", layout=W.Layout(width="260px")), "kam-name")
        self.save_button = _classed(W.Button(description="Save", layout=W.Layout(width="80px")), "kam-save")
        self.saved_picker = _classed(
            W.Dropdown(options=[], description="Saved", layout=W.Layout(width="260px")), "kam-saved"
        )
        self.load_button = _classed(W.Button(description="Load", layout=W.Layout(width="80px")), "kam-load")
        self.compare_button = _classed(
            W.Button(description="Compare saved", layout=W.Layout(width="130px")), "kam-compare"
        )
        self.reset_button = _classed(W.Button(description="Reset", layout=W.Layout(width="90px")), "kam-reset")
        self.compare_table = _classed(W.HTML(), "kam-compare-table")

    def _controls(self) -> W.VBox:
        """The levers under their headings (pricing, volume, retention, promotions, terms, bid)."""
        lv = self.levers
        parts = {
            "Pricing": [lv["price_change"], lv["elasticity"], self.use_estimates, self.elasticity_accordion],
            "Volume": [lv["volume_change"], self.category_accordion],
            "Retention and growth": [lv["churn_reduction"], lv["whitespace_capture"]],
            "Promotions": [lv["promotion_spend"], lv["promotion_uplift"]],
            "Payment terms": [lv["payment_terms_days"], lv["cost_of_capital"]],
            "Bid price (one open bid)": [self.bid_lever.widget],
        }
        children = [w for heading, items in parts.items() for w in (W.HTML(_html("label", heading)), *items)]
        # never narrower than its levers: in the row beside the outputs a long note squeezed it to about 220 px
        # (a tier's notes), cutting the sliders' values and the headings off behind a scroll bar
        layout = W.Layout(width="380px", min_width="380px", flex="0 0 auto")
        return _classed(W.VBox(children, layout=layout), "kam-controls")

    def _outputs(self) -> W.VBox:
        outputs = [self.headline, self.chart, self.kpi_table, self.year_table, self.notes, self.status]
        return _classed(W.VBox(outputs, layout=W.Layout(flex="1 1 auto", min_width="0")), "kam-outputs")

    def _manage(self) -> W.VBox:
        return W.VBox(
            [
                W.HBox([self.name, self.save_button, self.reset_button]),
                W.HBox([self.saved_picker, self.load_button, self.compare_button]),
                self.compare_table,
            ]
        )

    def _connect(self) -> None:
        """What each control does when it changes or is clicked."""
        self.scope_picker.observe(self._on_scope, names="value")
        for w in self.levers.values():
            w.observe(self._on_lever, names="value")
        self.use_estimates.on_click(lambda _b: self.use_estimated_elasticity())
        self.save_button.on_click(lambda _b: self._save_clicked())
        self.name.observe(lambda _c: setattr(self, "_confirm", None), names="value")
        self.load_button.on_click(lambda _b: self.saved_picker.value and self.load_scenario(self.saved_picker.value))
        self.compare_button.on_click(lambda _b: self.compare_saved())
        self.reset_button.on_click(lambda _b: self.reset())

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ---- scope -------------------------------------------------------------------------
    @property
    def scope(self) -> str:
        return self.scope_picker.value

    def set_scope(self, scope: str) -> None:
        """Switch to ``scope`` (``account:<id>``, ``tier:<v>`` or ``portfolio``) and update."""
        values = [v for _, v in self._options]
        if scope not in values:
            sc.scope_accounts(self.bundle.accounts, scope)  # raises a clear error for unknown ones
            self._options = [*self._options, (sc.scope_label(scope, self.bundle.accounts), scope)]
            self.scope_picker.options = self._options
        if self.scope_picker.value == scope and scope in self._baselines:
            return
        self.scope_picker.value = scope  # -> _on_scope
        if self.baseline is None or self.baseline.scope != scope:
            self._enter_scope(scope)

    def _on_scope(self, change) -> None:
        if change["new"] and change["new"] != change["old"]:
            self._enter_scope(change["new"])

    def _enter_scope(self, scope: str) -> None:
        t0 = time.perf_counter()
        if scope not in self._baselines:
            self._baselines[scope] = sc.baseline(self.bundle, scope)
        b = self.baseline = self._baselines[scope]
        self._build_category_levers(b)
        self.bid_lever.set_account(scope.split(":", 1)[1] if scope.startswith("account:") else None)
        weights = b.revenue.sum(axis=1)
        est = float(np.average(b.elasticity, weights=weights)) if weights.sum() > 0 else float(np.mean(b.elasticity))
        self._defaults = {
            "price_change": 0.0,
            "elasticity": round(est, 2),
            "volume_change": 0.0,
            "churn_reduction": 0.0,
            "whitespace_capture": 0.0,
            "promotion_spend": 0.0,
            "promotion_uplift": sc.DEFAULT_PROMOTION_UPLIFT,
            "payment_terms_days": float(round(b.payment_terms_days)),
            "cost_of_capital": sc.DEFAULT_COST_OF_CAPITAL,
        }
        self._set_levers(self._defaults)
        self.elasticity_info.value = self._elasticity_html(b)
        self.levers["churn_reduction"].tooltip = f"revenue at risk: {self._money(b.revenue_at_risk)} a year"
        self.levers["whitespace_capture"].tooltip = (
            f"recommended whitespace: {self._money(float(b.whitespace.sum()))} a year"
            " (spend if every category is won, not weighted by probability)"
        )
        self.scope_seconds = time.perf_counter() - t0
        self.update()

    def _build_category_levers(self, b: sc.Baseline) -> None:
        for p, v in self.category_levers.values():
            p.unobserve(self._on_lever, names="value")
            v.unobserve(self._on_lever, names="value")
        self.category_levers = {}
        rows = []
        small = W.Layout(width="80px")
        for i, cat in enumerate(b.categories):
            if b.revenue[i].sum() <= 0 and b.whitespace[i] <= 0:
                continue
            p = W.BoundedFloatText(value=0.0, min=-90, max=200, step=0.5, layout=small)
            v = W.BoundedFloatText(value=0.0, min=-100, max=500, step=1, layout=small)
            p.add_class("kam-cat-price")
            v.add_class("kam-cat-volume")
            p.observe(self._on_lever, names="value")
            v.observe(self._on_lever, names="value")
            self.category_levers[str(cat)] = (p, v)
            rows.append(W.HBox([W.Label(str(cat), layout=W.Layout(width="170px")), p, v]))
        self.category_box.children = rows or [W.HTML(_html("no_categories"))]

    def _elasticity_html(self, b: sc.Baseline) -> str:
        info = b.elasticity_info
        if info is None or info.empty:
            return ""
        items = []
        for r in info[info["baseline_revenue"] > 0].itertuples(index=False):
            ci = f", 95% CI {r.ci_low:.2f} to {r.ci_high:.2f}" if np.isfinite(r.ci_low) else ""
            why = f"; own estimate not used: {r.note}" if r.note else ""
            items.append(f"{r.category}: {r.elasticity:.2f} ({r.source}{ci}{why})")
        return _html("elasticities", items)

    # ---- levers ------------------------------------------------------------------------
    def _set_levers(self, values: dict, categories: dict | None = None) -> None:
        self._suspend += 1
        try:
            for k, v in values.items():
                if k in self.levers:
                    self.levers[k].value = v
            for cat, (p, v) in self.category_levers.items():
                pc, vc = (categories or {}).get(cat, (0.0, 0.0))
                p.value, v.value = pc, vc
        finally:
            self._suspend -= 1

    def scenario(self, name: str | None = None) -> sc.Scenario:
        """The Scenario the controls describe now."""
        lv = {k: float(w.value) for k, w in self.levers.items()}
        d = self._defaults
        by_p = {c: float(p.value) for c, (p, _v) in self.category_levers.items() if p.value != 0}
        by_v = {c: float(v.value) for c, (_p, v) in self.category_levers.items() if v.value != 0}
        return sc.Scenario(
            name=name or self.name.value or "scenario",
            scope=self.scope,
            price_change=lv["price_change"],
            price_change_by_category=by_p,
            volume_change=lv["volume_change"],
            volume_change_by_category=by_v,
            elasticity=None if lv["elasticity"] == d.get("elasticity") else lv["elasticity"],
            churn_reduction=lv["churn_reduction"],
            whitespace_capture=lv["whitespace_capture"],
            promotion_spend=lv["promotion_spend"],
            promotion_uplift=lv["promotion_uplift"],
            payment_terms_days=None
            if lv["payment_terms_days"] == d.get("payment_terms_days")
            else lv["payment_terms_days"],
            cost_of_capital=lv["cost_of_capital"],
        )

    def _on_lever(self, change) -> None:
        if self._suspend:
            return
        if self.debounce <= 0:
            self.update()
            return
        with self._lock:
            if self._pending is not None:  # a trailing update is already scheduled: it will see this change
                return
            wait = self._last_done + self.debounce - time.perf_counter()
            if wait <= 0:
                immediate = True
            else:
                immediate = False
                self._pending = self._schedule(wait, self._flush)
        if immediate:
            self.update()

    def _schedule(self, delay: float, fn):
        """Run ``fn`` after ``delay`` seconds on the kernel's event loop (else a timer thread)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            return loop.call_later(delay, fn)
        t = threading.Timer(delay, fn)
        t.daemon = True
        t.start()
        return t

    def _flush(self) -> None:
        with self._lock:
            self._pending = None
        self.update()

    def flush(self) -> None:
        """Apply a pending (debounced) update now."""
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()
            self.update()

    # ---- update ------------------------------------------------------------------------
    def update(self) -> sc.ScenarioResult | None:
        """Evaluate the current levers and redraw the KPI tables, then the chart."""
        with self._lock:
            t0 = time.perf_counter()
            try:
                s = self.scenario()
                res = sc.evaluate(self.baseline, s)
            except sc.ScenarioError as exc:
                self.status.value = _html("bad", exc)
                self._last_done = time.perf_counter()
                return None
            t1 = time.perf_counter()
            self.result = res
            self.headline.value = self._headline_html(res)
            self.kpi_table.value = self._kpi_html(res)
            self.year_table.value = self._year_html(res)
            t2 = time.perf_counter()
            self.chart_data = scenario_chart_data(res)
            if self._chart is not None:
                self.chart.value = self._chart.update(self.chart_data, f"{self.baseline.label}: revenue per month")
            t3 = time.perf_counter()
            self.notes.value = self._notes_html(res)
            self.updates += 1
            timing = {
                "evaluate_ms": (t1 - t0) * 1e3,
                "kpis_ms": (t2 - t1) * 1e3,
                "chart_ms": (t3 - t2) * 1e3,
                "total_ms": (t3 - t0) * 1e3,
            }
            self.timings.append(timing)
            tables_ms = timing["evaluate_ms"] + timing["kpis_ms"]
            self.status.value = _html(
                "muted", f"updated in {timing['total_ms']:.0f} ms (tables after {tables_ms:.0f} ms)"
            )
            self._last_done = time.perf_counter()
            return res

    def _money(self, value: object) -> str:
        return formatting.money(_finite(value), self.currency, missing="n/a")

    def _figure(self, value: object, unit: str) -> str:
        """A KPI in its unit, by the shared formatter: money with the bundle's currency, shares to 0.1%,
        a target's attainment to 0.1% as well, but floored where the pages' whole percent would read 100% for a
        target missed (0.99677: '99.6%' as on the pages, not '99.7%')."""
        x = _finite(value)
        if unit == "attainment":
            if x is not None and 0.995 <= x < 1.0:
                return formatting.attainment(x)  # the pages' floor: '99.6%', never '100%' for a target missed
            return formatting.pct(x, digits=1, missing="n/a")
        if unit == "money":
            return formatting.money(x, self.currency, missing="n/a")
        if unit in ("pct", "share"):
            return formatting.pct(x, digits=1, missing="n/a")
        return formatting.number(x, 2, missing="n/a")

    def _change(self, value: object, unit: str) -> str:
        """A change of a KPI: money signed, shares in points (one decimal: the planner moves them a little)."""
        x = _finite(value)
        if unit in ("pct", "share"):
            return formatting.points(x, digits=1)
        if unit == "money":
            return formatting.signed_money(x, self.currency)
        return "" if x is None else f"{x:+,.2f}"

    def _headline_html(self, res: sc.ScenarioResult) -> str:
        rev = res.kpi("revenue_12m")
        base = res.kpi("revenue_12m", "baseline")
        delta = rev - base
        rel = f" ({formatting.pct(delta / base, signed=True, digits=1)})" if base > 0 else ""
        return _html(
            "headline",
            f"{rev:.2f}",
            self._money(rev),
            "kam-delta-pos" if delta >= 0 else "kam-delta-neg",
            self._change(delta, "money") + rel,
            res.baseline.label,
            res.scenario.name,
        )

    def _kpi_html(self, res: sc.ScenarioResult) -> str:
        rows = []
        for r in res.kpis.itertuples(index=False):
            if not (np.isfinite(r.baseline_value) or np.isfinite(r.scenario_value)):
                continue  # e.g. no forecast uncertainty to compute P(target) from; the notes say why
            unit = "share" if r.unit in ("pct", "share") else r.unit
            shown = "attainment" if str(r.metric).startswith("attainment_") else unit
            rows.append(
                {
                    "metric": r.metric,
                    "label": r.label,
                    "baseline": self._figure(r.baseline_value, shown),
                    "value": f"{r.scenario_value:.6g}",
                    "scenario": self._figure(r.scenario_value, shown),
                    "change": self._change(r.delta, unit),
                }
            )
        return _html("kpi_table", rows)

    def _year_html(self, res: sc.ScenarioResult) -> str:
        rows = []
        for r in res.yearly.itertuples(index=False):
            chances = f"{self._figure(r.p_target_baseline, 'share')} → {self._figure(r.p_target_scenario, 'share')}"
            cells = [
                self._money(r.booked),
                self._money(r.revenue_year_baseline),
                self._money(r.revenue_year_scenario),
                self._figure(r.target, "money"),
                self._figure(r.attainment_scenario, "attainment"),
                chances,
            ]
            rows.append({"year": f"{int(r.year)}{'' if r.complete else ' (part of the year)'}", "cells": cells})
        return _html("year_table", rows)

    def _notes_html(self, res: sc.ScenarioResult) -> str:
        b = res.baseline
        items = [
            f"Baseline: {BASELINE_WORDS.get(b.baseline_method, b.baseline_method)}; {self._scope_count(b)}",
            # the churn section's figure: a churn model's, or its fallback's where no model could be trained
            f"Revenue at risk (as in the reports' churn section): {self._money(b.revenue_at_risk)} a year; "
            f"recommended whitespace: {self._money(float(b.whitespace.sum()))} a year if every category is won "
            "(unweighted: the 'Whitespace won %' lever sets the share captured).",
            *(
                [f"Days sales outstanding today: {b.dso_days:.0f} (payment terms {b.payment_terms_days:.0f} days)."]
                if getattr(b, "dso_measured", True)
                else []  # assumed, not measured: the note below says so (no 'today: 30' as if it were a fact)
            ),
            *b.notes,
            *attainment_and_chance(res, self.currency),  # where attainment and chance point different ways
        ]
        return _html("notes", items)

    def _scope_count(self, b: sc.Baseline) -> str:
        """'40 accounts; as of <date>.' of a scope, counted as the overview counts customers: a group parent
        without orders of its own is left out, and a sentence says so ('1 account' for one)."""
        from kamtools.groups.customers import not_counted_sentence, parents_without_orders

        accounts = self.bundle.accounts
        ids = set(map(str, sc.scope_accounts(accounts, b.scope)))
        parents = int(parents_without_orders(accounts)[accounts["account_id"].astype(str).isin(ids)].sum())
        n = formatting.counted(len(ids) - parents, "account")
        return (
            f"{n}; as of {b.as_of.date()}. {not_counted_sentence(parents)}"
            if parents
            else f"{n}; as of {b.as_of.date()}."
        )

    # ---- actions -----------------------------------------------------------------------
    def use_estimated_elasticity(self) -> None:
        """Drop the elasticity override (back to the estimates)."""
        self.levers["elasticity"].value = self._defaults.get("elasticity", sc.DEFAULT_ELASTICITY)

    def reset(self) -> None:
        """All levers back to the baseline, then update."""
        self._set_levers(self._defaults)
        self.compare_table.value = ""
        self.update()

    def save_scenario(self, name: str | None = None, overwrite: bool = False) -> sc.Scenario:
        """Save the current levers under ``name`` (default: the name box); also to ``scenarios_dir``.

        A name that is already saved (here or in ``scenarios_dir``) is replaced only with
        ``overwrite=True``; otherwise :class:`~kamtools.scenario.ScenarioExists` is raised and
        the status line asks to confirm (the Save button replaces on a second click). A file
        that is not a kamtools scenario is never replaced (:class:`~kamtools.scenario.ScenarioError`).
        Files go to :class:`~kamtools.scenario.ScenarioStore` names inside ``scenarios_dir``.
        """
        label = str(self.name.value if name is None else name).strip()
        try:
            if not label:
                raise sc.ScenarioError("give the scenario a name before saving it")
            s = self.scenario(label)
            replaced = s.name in self.saved
            if replaced and not overwrite:
                raise sc.ScenarioExists(f"a scenario named {s.name!r} is already saved")
            if self.scenarios_dir is not None:
                sc.ScenarioStore(self.scenarios_dir).save(s, overwrite=overwrite)
        except sc.ScenarioExists:
            self._confirm = label
            self.status.value = _html(
                "bad", f"“{label}” is already saved: click Save again to replace it, or change the name."
            )
            raise
        except sc.ScenarioError as exc:
            self._confirm = None
            self.status.value = _html("bad", f"not saved: {exc}")
            raise
        self._confirm = None
        self.saved[s.name] = s
        self._refresh_saved(select=s.name)
        self.status.value = _html("muted", f"{'replaced' if replaced else 'saved'} “{s.name}”")
        return s

    def _save_clicked(self) -> None:
        """The Save button: saves; a name already saved is replaced only on a second click."""
        label = str(self.name.value).strip()
        try:
            self.save_scenario(label, overwrite=bool(label) and self._confirm == label)
        except sc.ScenarioError:
            pass  # the status line says what happened and what to do

    def load_scenario(self, scenario: str | sc.Scenario) -> None:
        """Set the controls from a saved scenario (by name) or a Scenario, switching scope if needed."""
        s = self.saved[scenario] if isinstance(scenario, str) else scenario
        if s.scope != self.scope:
            self._suspend += 1
            try:
                self.set_scope(s.scope)
            finally:
                self._suspend -= 1
        missing = sorted(
            c for c in {**s.price_change_by_category, **s.volume_change_by_category} if c not in self.category_levers
        )
        cats = {
            c: (s.price_change_by_category.get(c, 0.0), s.volume_change_by_category.get(c, 0.0))
            for c in self.category_levers
        }
        values = {
            "price_change": s.price_change,
            "elasticity": self._defaults["elasticity"] if s.elasticity is None else s.elasticity,
            "volume_change": s.volume_change,
            "churn_reduction": s.churn_reduction,
            "whitespace_capture": s.whitespace_capture,
            "promotion_spend": s.promotion_spend,
            "promotion_uplift": s.promotion_uplift,
            "payment_terms_days": (
                self._defaults["payment_terms_days"] if s.payment_terms_days is None else s.payment_terms_days
            ),
            "cost_of_capital": s.cost_of_capital,
        }
        self._set_levers(values, cats)
        self.name.value = s.name
        self.update()
        if missing:
            self.status.value += _html(
                "bad", f"not applied: categories {', '.join(missing)} are not planned in {self.baseline.label}", "div"
            )

    def compare_saved(self, names: list[str] | None = None) -> pd.DataFrame:
        """Compare saved scenarios (all by default) with their baselines; shows and returns the table."""
        chosen = [self.saved[n] for n in (names or list(self.saved))]
        if not chosen:
            chosen = [self.scenario()]
        for s in chosen:
            if s.scope not in self._baselines:
                self._baselines[s.scope] = sc.baseline(self.bundle, s.scope)
        table = sc.compare(self._baselines, chosen)
        self.comparison = table
        self.compare_table.value = self._compare_html(table)
        return table

    def _compare_html(self, table: pd.DataFrame) -> str:
        metrics = [c for c in table.columns if c not in ("scope", "scenario")]
        units = {m: sc.KPI_LABELS.get(m, (m, "money"))[1] for m in metrics}
        for m in metrics:
            if m.startswith("p_target_"):
                units[m] = "share"
            elif m.startswith("attainment_"):
                units[m] = "attainment"
        labels = {m: sc.KPI_LABELS.get(m, (m.replace("_", " "), ""))[0] for m in metrics}
        for m in metrics:  # the KPI table's words, not the column keys ('p target 2025')
            key, _, year = m.rpartition("_")
            if key == "attainment":
                labels[m] = ATTAINMENT_LABEL.format(y=year)
            elif key == "p_target":
                labels[m] = f"Probability of reaching the {year} target"
        labels["revenue_vs_baseline"] = "Revenue change vs baseline"
        rows = []
        for r in table.itertuples(index=False):
            d = r._asdict()
            rows.append(
                {
                    "scope": sc.scope_label(d["scope"], self.bundle.accounts),
                    "scenario": d["scenario"],
                    "cells": [self._figure(d[m], units[m]) for m in metrics],
                }
            )
        return _html("compare_table", [labels[m] for m in metrics], rows)

    def _refresh_saved(self, select: str | None = None) -> None:
        self.saved_picker.options = list(self.saved)
        if select is not None:
            self.saved_picker.value = select

    def _load_dir(self) -> None:
        if self.scenarios_dir is None:
            return
        found, self.load_problems = sc.ScenarioStore(self.scenarios_dir).load_all()
        self.saved.update(found)  # by the name stored in each file
        if self.load_problems:  # shown under the saved scenarios (the status line is redrawn on every update)
            self.compare_table.value = _html("bad_lines", f"In {self.scenarios_dir}: ", self.load_problems)
        self._refresh_saved()
