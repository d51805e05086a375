"""What churn means, and the labelled training data built from history.

Churn definition (:class:`ChurnDefinition`)
-------------------------------------------
An account that was *active* on a snapshot date ``t`` (it ordered in the
``active_months`` before ``t``; default = ``horizon_months``) is labelled

* ``kind="full"``: **churned** when it places **no order** in the
  ``horizon_months`` (default 6) after ``t``;
* ``kind="partial"``: churned when its revenue in the ``partial_window_months``
  (default 12) after ``t`` is more than ``partial_drop`` (default 50%) below its revenue
  in the same length of time before ``t``;
* ``kind="any"`` (default): either of the two. It is the default because a key
  account that halves its spend is lost business as surely as one that stops, and on
  the demo it flags planted churners earlier (59% in the high band 3-5 months ahead,
  against 39% for ``"full"``).

Accounts not active on ``t`` had already lapsed: they are excluded from that snapshot
(predicting that a gone account stays gone teaches nothing).

Training data (:func:`training_set`)
------------------------------------
Snapshots step back through history every ``step_months`` (default 3) from the latest
date whose label window is complete before the portfolio's ``as_of``; each snapshot's
features come from :func:`kamtools.churn.features` at that date (the portfolio cut back
to it) and its label only from what happened after it. Snapshots need
``min_history_months`` (default 12) of order history before them.

Short histories (:func:`fit_definition`)
----------------------------------------
Training needs at least two snapshots, so the default definition needs about
``12 + 12 + 3 = 27`` months of order history (history before the first snapshot, its
label window, one step), counted in calendar months as the reports count them (the first
order's month counts whole; one more when the analysis date is not a month's last day). With less, :func:`fit_definition` shortens the partial-churn
window and the history before a snapshot together (to 9, then 6 months; the 6-month
inactivity rule stays), which needs 21 or 15 months. Below that no churn model can be
trained and the reason says how many months are needed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from kamtools.churn._arrays import _codes, _count, _day, _days, _sum
from kamtools.churn.features import features
from kamtools.data.portfolio import Portfolio, credit_lines

__all__ = [
    "DEFINITION_CONTEXT_KEY",
    "MIN_SNAPSHOTS",
    "ChurnDefinition",
    "definition_from",
    "definition_record",
    "DefinitionFit",
    "fit_definition",
    "label_accounts",
    "months_needed",
    "snapshot_dates",
    "training_set",
]

MIN_SNAPSHOTS = 2  # labelled snapshots a churn model needs (see kamtools.churn.scoring)
SHORTER_WINDOWS = (9, 6)  # partial-churn window and history before a snapshot, tried in turn

_KINDS = ("full", "partial", "any")
DEFINITION_CONTEXT_KEY = "_churn_definition"  # where kamtools analyze hands the user's definition to the churn stage


@dataclass(frozen=True)
class ChurnDefinition:
    """When an account counts as churned (see the module docstring).

    Parameters
    ----------
    kind : ``"full"`` (no orders in the next ``horizon_months``), ``"partial"`` (revenue
        in the next ``partial_window_months`` down more than ``partial_drop`` vs the same
        period before) or ``"any"``.
    horizon_months : months without orders that make a full churn (default 6).
    partial_window_months : comparison window for partial churn (default 12).
    partial_drop : revenue drop that makes a partial churn (0.5 = down more than 50%).
    active_months : an account is active (and labelled) on a snapshot when it ordered in
        this many months before it; default ``horizon_months``.
    """

    kind: str = "any"
    horizon_months: int = 6
    partial_window_months: int = 12
    partial_drop: float = 0.5
    active_months: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"ChurnDefinition.kind must be one of {_KINDS}, got {self.kind!r}")
        if self.horizon_months < 1 or self.partial_window_months < 1:
            raise ValueError("ChurnDefinition: horizon_months and partial_window_months must be at least 1")
        if not 0 < self.partial_drop < 1:
            raise ValueError("ChurnDefinition.partial_drop must be between 0 and 1 (0.5 = down more than 50%)")

    @property
    def label_window_months(self) -> int:
        """Months after a snapshot needed to know its label."""
        if self.kind == "full":
            return self.horizon_months
        if self.kind == "partial":
            return self.partial_window_months
        return max(self.horizon_months, self.partial_window_months)

    @property
    def lookback_months(self) -> int:
        """Months before a snapshot in which an order makes the account active."""
        return self.active_months if self.active_months is not None else self.horizon_months

    def describe(self) -> str:
        """The definition in one sentence for reports."""
        full = f"no orders in the next {self.horizon_months} months"
        partial = (
            f"revenue in the next {self.partial_window_months} months down more than "
            f"{self.partial_drop:.0%} on the {self.partial_window_months} months before"
        )
        what = {"full": full, "partial": partial, "any": f"{full}, or {partial}"}[self.kind]
        return f"An active account (ordered in the last {self.lookback_months} months) churns when it has {what}."


_SPEC_KEYS = {
    "kind": "kind",
    "inactive": "horizon_months",
    "inactive_months": "horizon_months",
    "horizon_months": "horizon_months",
    "drop": "partial_drop",
    "partial_drop": "partial_drop",
    "window": "partial_window_months",
    "window_months": "partial_window_months",
    "partial_window_months": "partial_window_months",
    "active": "active_months",
    "active_months": "active_months",
}
SPEC_HELP = (
    "comma-separated key=value pairs: inactive=MONTHS (no orders for this long is a full churn), "
    "drop=PERCENT (revenue down more than this is a partial churn; 0 turns partial churn off), "
    "window=MONTHS (the partial-churn comparison window), kind=full|partial|any, active=MONTHS; "
    "e.g. 'inactive=9,drop=40,window=6'"
)


def definition_from(spec: str | dict | ChurnDefinition | None = None, **overrides) -> ChurnDefinition:
    """A :class:`ChurnDefinition` from a spec string, a dict, a definition or None (the default).

    The spec string is ``"inactive=9,drop=40,window=6"`` (see :data:`SPEC_HELP`); dict keys
    are the same names or the field names of ChurnDefinition. ``drop`` is in percent when
    above 1 (``40`` = ``0.4``); ``drop=0`` means full churn only. ``overrides`` (the same
    keys, None = not given) are applied last, as the CLI's single flags are. Raises
    ValueError with a sentence naming the bad part.
    """
    if isinstance(spec, ChurnDefinition):
        items: dict = asdict(spec)
    elif spec is None:
        items = {}
    elif isinstance(spec, dict):
        items = dict(spec)
    elif isinstance(spec, str):
        items = {}
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep or not value.strip():
                raise ValueError(f"churn definition: {part!r} is not key=value ({SPEC_HELP})")
            items[key.strip().lower()] = value.strip()
    else:
        raise ValueError(f"churn definition: expected a spec string, a dict or a ChurnDefinition, not {type(spec)}")
    items.update({k: v for k, v in overrides.items() if v is not None})
    fields: dict = {}
    for key, value in items.items():
        field_name = _SPEC_KEYS.get(str(key).lower())
        if field_name is None:
            raise ValueError(f"churn definition: unknown key {key!r} ({SPEC_HELP})")
        if field_name == "kind":
            fields["kind"] = str(value).strip().lower()
            continue
        if value is None:
            fields[field_name] = None
            continue
        try:
            number = float(str(value).strip().rstrip("%"))
        except ValueError:
            raise ValueError(f"churn definition: {key}={value!r} is not a number") from None
        if field_name == "partial_drop":
            fields[field_name] = number / 100 if number > 1 or str(value).strip().endswith("%") else number
        else:
            if number != int(number) or number < 1:
                raise ValueError(f"churn definition: {key}={value!r} must be a whole number of months, at least 1")
            fields[field_name] = int(number)
    if fields.get("partial_drop") == 0:  # drop=0: full churn only
        fields.pop("partial_drop")
        if fields.get("kind", "full") != "full":
            raise ValueError("churn definition: drop=0 turns partial churn off, so kind must be full")
        fields["kind"] = "full"
    return ChurnDefinition(**fields)


def definition_record(definition: ChurnDefinition | None) -> dict:
    """The manifest's record of the churn definition asked for (``source`` user or default)."""
    d = definition or ChurnDefinition()
    return {
        "source": "default" if definition is None or definition == ChurnDefinition() else "user",
        **asdict(d),
        "describe": d.describe(),
    }


def _order_arrays(portfolio: Portfolio, index: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(account code, day, net revenue, is a sales line) of every order line (returns and credit
    notes net into revenue but are not orders: they never make an account active or not churned)."""
    orders = portfolio.orders
    return (
        _codes(orders["account_id"], index),
        _days(orders["order_date"]),
        orders["net_revenue"].to_numpy(dtype=float),
        ~credit_lines(orders).to_numpy(),
    )


def label_accounts(
    portfolio: Portfolio, as_of: str | pd.Timestamp, definition: ChurnDefinition | None = None
) -> pd.DataFrame:
    """Churn labels of the accounts active on ``as_of``, from what happened after it.

    Returns ``account_id, churned`` (bool) for every account that was a customer on
    ``as_of`` and ordered in the ``definition.lookback_months`` before it. Raises
    ValueError when the label window runs past the portfolio's ``as_of``.
    """
    d = definition or ChurnDefinition()
    t = pd.Timestamp(as_of).normalize()
    end = t + pd.DateOffset(months=d.label_window_months)
    if end > portfolio.as_of:
        raise ValueError(
            f"label_accounts: the label window of {t.date()} ends on {end.date()}, after the data's "
            f"as_of {portfolio.as_of.date()}; pick an earlier date."
        )
    accounts = portfolio.accounts[portfolio.accounts["customer_since"] <= t]
    index = pd.Index(accounts["account_id"].astype(object))
    n = len(index)
    code, day, rev, sale = _order_arrays(portfolio, index)
    td = _day(t)

    def months(k: int) -> float:
        return _day(t + pd.DateOffset(months=k))

    active = _count(code, sale & (day > months(-d.lookback_months)) & (day <= td), n) > 0
    churned = np.zeros(n, dtype=bool)
    if d.kind in ("full", "any"):
        future = _count(code, sale & (day > td) & (day <= months(d.horizon_months)), n)
        churned |= future == 0
    if d.kind in ("partial", "any"):
        w = d.partial_window_months
        after = _sum(code, rev, (day > td) & (day <= months(w)), n)
        before = _sum(code, rev, (day > months(-w)) & (day <= td), n)
        churned |= (before > 0) & (after < (1 - d.partial_drop) * before)
    return pd.DataFrame({"account_id": index.astype(str)[active], "churned": churned[active]})


def snapshot_dates(
    portfolio: Portfolio,
    definition: ChurnDefinition | None = None,
    step_months: int = 3,
    max_snapshots: int | None = None,
    min_history_months: int = 12,
) -> list[pd.Timestamp]:
    """Snapshot dates, oldest first, whose label window ends on or before ``portfolio.as_of``.

    The latest is ``as_of - label window``; earlier ones step back ``step_months`` while at
    least ``min_history_months`` calendar months of orders precede them (the month of the first
    order counts whole). Empty when history is too short.
    """
    d = definition or ChurnDefinition()
    if step_months < 1:
        raise ValueError("step_months must be at least 1")
    if portfolio.orders.empty:
        return []
    first = pd.Timestamp(portfolio.orders["order_date"].min())
    # history counted in calendar months, as the reports count it (orders from January to June are 6 months)
    earliest = (first.to_period("M") + (min_history_months - 1)).to_timestamp(how="end").normalize()
    out: list[pd.Timestamp] = []
    k = 0
    while max_snapshots is None or len(out) < max_snapshots:
        t = (portfolio.as_of - pd.DateOffset(months=d.label_window_months + k * step_months)).normalize()
        if t < earliest:
            break
        out.append(t)
        k += 1
    return sorted(out)


def training_set(
    portfolio: Portfolio,
    definition: ChurnDefinition | None = None,
    as_of: str | pd.Timestamp | None = None,
    step_months: int = 3,
    max_snapshots: int | None = None,
    min_history_months: int = 12,
    use_value: bool = True,
    snapshots: list[pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Labelled snapshots of history: features at each date, label from what followed.

    ``as_of`` (default the portfolio's) cuts the portfolio first, so labels too use only
    data up to it. Returns one row per (snapshot, active account): ``account_id``,
    ``as_of`` (the snapshot date), the feature columns of :func:`features`, and
    ``churned`` (bool). Empty (no rows) when no snapshot has a complete label window;
    ``df.attrs["snapshots"]`` lists the dates used.
    """
    d = definition or ChurnDefinition()
    p = portfolio if as_of is None or pd.Timestamp(as_of) == portfolio.as_of else portfolio.truncate(as_of)
    dates = snapshots if snapshots is not None else snapshot_dates(p, d, step_months, max_snapshots, min_history_months)
    parts = []
    unavailable: dict[str, str] = {}
    for t in dates:
        labels = label_accounts(p, t, d)
        if labels.empty:
            continue
        X = features(p, t, use_value=use_value)
        unavailable.update(X.attrs.get("unavailable", {}))
        part = labels.merge(X, on="account_id", how="left", validate="one_to_one")
        part.insert(1, "as_of", pd.Timestamp(t))
        parts.append(part)
    if not parts:
        out = pd.DataFrame({"account_id": pd.Series([], dtype="str"), "as_of": pd.to_datetime([]), "churned": []})
    else:
        out = pd.concat(parts, ignore_index=True)
        cols = [c for c in out.columns if c != "churned"] + ["churned"]
        out = out[cols]
    out.attrs["snapshots"] = [str(pd.Timestamp(t).date()) for t in dates]
    out.attrs["unavailable"] = {k: v for k, v in unavailable.items() if k not in out.columns}
    out.attrs["definition"] = d.describe()
    return out


def months_needed(
    definition: ChurnDefinition | None = None,
    min_history_months: int = 12,
    step_months: int = 3,
    snapshots: int = MIN_SNAPSHOTS,
) -> int:
    """Months of order history that ``snapshots`` labelled snapshots need under ``definition``:
    the history before the first snapshot, the label window after the last, and the steps between."""
    d = definition or ChurnDefinition()
    return int(min_history_months + d.label_window_months + step_months * (snapshots - 1))


@dataclass(frozen=True)
class DefinitionFit:
    """What :func:`fit_definition` chose.

    definition : the churn definition to train with (the requested one, or one with shorter
        windows); min_history_months : history each snapshot needs before it;
    trainable : at least :data:`MIN_SNAPSHOTS` snapshots exist under it;
    note : one sentence on what was shortened, or on what is missing (None when nothing changed).
    """

    definition: ChurnDefinition
    min_history_months: int
    trainable: bool
    note: str | None


def _needed(portfolio: Portfolio, d: ChurnDefinition, history_months: int, step_months: int) -> int:
    """:func:`months_needed` in calendar months up to the portfolio's as_of: one more when as_of is not
    a month's last day (its month is not complete, so the earliest snapshot falls short of a month end)."""
    n = months_needed(d, history_months, step_months)
    month_end = (portfolio.as_of + pd.Timedelta(days=1)).day == 1
    return n if month_end else n + 1


def _what_was_shortened(
    d: ChurnDefinition, short: ChurnDefinition, history_months: int, hist: int, verb: bool = True
) -> str:
    """What a shorter fit changed, in words: the partial-churn window and/or the history before each snapshot."""
    parts = []
    if short.partial_window_months != d.partial_window_months:
        parts.append(
            f"the partial-churn window {'was ' if verb else ''}shortened to {short.partial_window_months} months"
        )
    if hist != history_months:
        parts.append(f"the history before each snapshot {'was ' if verb else ''}shortened to {hist} months")
    return " and ".join(parts) or "the churn definition as asked"


def fit_definition(
    portfolio: Portfolio,
    definition: ChurnDefinition | None = None,
    min_history_months: int = 12,
    step_months: int = 3,
) -> DefinitionFit:
    """The churn definition whose windows fit the portfolio's order history.

    Keeps ``definition`` when it yields :data:`MIN_SNAPSHOTS` labelled snapshots; else
    shortens its partial-churn window and the history before a snapshot together to
    :data:`SHORTER_WINDOWS` months and takes the first that
    does. When none does, the requested definition is returned with ``trainable=False``
    and a note saying how many months of history a churn model needs.
    """
    from kamtools.history import order_history

    d = definition or ChurnDefinition()
    if len(snapshot_dates(portfolio, d, step_months, MIN_SNAPSHOTS, min_history_months)) >= MIN_SNAPSHOTS:
        return DefinitionFit(d, min_history_months, True, None)
    history = order_history(portfolio)
    tried: list[tuple[ChurnDefinition, int]] = []
    for w in SHORTER_WINDOWS:
        short = d if d.kind == "full" else replace(d, partial_window_months=min(int(w), d.partial_window_months))
        hist = min(int(w), min_history_months)
        if (short, hist) == (d, min_history_months) or (short, hist) in tried:
            continue
        tried.append((short, hist))
        if len(snapshot_dates(portfolio, short, step_months, MIN_SNAPSHOTS, hist)) >= MIN_SNAPSHOTS:
            note = (
                f"With {history.describe()} {_what_was_shortened(d, short, min_history_months, hist)} to fit "
                f"(as asked they need about {_needed(portfolio, d, min_history_months, step_months)} months): "
                f"{short.describe()} Each snapshot it learns from has at least {hist} months of orders before it."
            )
            return DefinitionFit(short, hist, True, note)
    need = _needed(portfolio, d, min_history_months, step_months)
    shortest = min(tried, key=lambda sh: months_needed(sh[0], sh[1], step_months), default=None)
    extra = ""
    if shortest is not None and _needed(portfolio, *shortest, step_months) < need:
        extra = (
            f" ({_needed(portfolio, *shortest, step_months)} with "
            f"{_what_was_shortened(d, shortest[0], min_history_months, shortest[1], verb=False)})"
        )
    note = (
        f"The churn model needs about {need} months of order history under this definition{extra}; "
        f"this portfolio has {history.describe()}."
    )
    return DefinitionFit(d, min_history_months, False, note)
