"""The bid lever of the scenario planner: move our price for one open bid, see P(win) and
expected margin move.

Everything is read off the bundle's ``bid_curves`` (a price grid per open opportunity with
``p_win``, its band and ``expected_margin``) by linear interpolation between grid points;
nothing is refitted. :func:`bid_at_price` is the calculation; :class:`BidLever` is the
small ipywidgets panel the planner shows for an account scope (a bid picker, a price slider
and a table of now / at this price / recommended).

Example
-------
>>> from kamtools.bundle import Bundle                       # doctest: +SKIP
>>> curves = Bundle.open("reports/demo/bundle").account("A0001").table("bid_curves")  # doctest: +SKIP
>>> bid_at_price(curves[curves.opportunity_id == "OP-00123"], 98.0)  # doctest: +SKIP
BidPoint(price=98.0, p_win=0.61, ...)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from kamtools import formatting
from kamtools.data.portfolio import NotAvailable
from kamtools.display import esc

__all__ = ["BidPoint", "bid_at_price", "lever_point", "open_bids", "bid_label", "BidLever"]


@dataclass(frozen=True)
class BidPoint:
    """One open bid at one price: win probability (with its band) and expected margin.

    ``clipped`` is True when the asked price lay outside the curve's grid and the nearest
    grid end was used instead (``price`` is then that end).
    """

    price: float
    p_win: float
    p_win_low: float
    p_win_high: float
    expected_margin: float
    clipped: bool = False


def bid_at_price(curve: pd.DataFrame, price: float) -> BidPoint:
    """P(win), its band and the expected margin of one bid at ``price``, interpolated on its curve.

    ``curve``: the ``bid_curves`` rows of one opportunity (``price, p_win, expected_margin``
    and optionally ``p_win_low, p_win_high``). A price outside the grid is held at the
    nearest end (``clipped=True``): the curve says nothing beyond it.
    """
    if curve is None or len(curve) == 0:
        raise ValueError("bid_at_price: the curve has no rows (no price grid for this bid)")
    missing = [c for c in ("price", "p_win", "expected_margin") if c not in curve.columns]
    if missing:
        raise ValueError(f"bid_at_price: the curve has no column(s) {missing}")
    c = curve.dropna(subset=["price"]).sort_values("price").drop_duplicates("price")
    x = c["price"].to_numpy(dtype=float)
    asked = float(price)
    at = min(max(asked, float(x[0])), float(x[-1]))

    def interp(col: str) -> float:
        if col not in c.columns:
            return math.nan
        return float(np.interp(at, x, c[col].to_numpy(dtype=float)))

    return BidPoint(
        price=at,
        p_win=interp("p_win"),
        p_win_low=interp("p_win_low"),
        p_win_high=interp("p_win_high"),
        expected_margin=interp("expected_margin"),
        clipped=at != asked,
    )


PRICE_TOLERANCE = 0.05
"""Prices are shown to one decimal: a slider price this close to the current or the recommended
price is that price, and shows the recommendations table's figures for it."""


def _anchor(row: dict, price_col: str, p_col: str, m_col: str) -> BidPoint | None:
    try:
        price, p, m = float(row.get(price_col)), float(row.get(p_col)), float(row.get(m_col))
    except (TypeError, ValueError):
        return None
    if not (np.isfinite(price) and np.isfinite(p) and np.isfinite(m)):
        return None
    return BidPoint(price=price, p_win=p, p_win_low=math.nan, p_win_high=math.nan, expected_margin=m)


def lever_point(row: dict, curve: pd.DataFrame, price: float) -> BidPoint:
    """The bid at ``price`` as the lever shows it: read off the curve (:func:`bid_at_price`),
    except at the current or the recommended price (within :data:`PRICE_TOLERANCE`), where
    P(win) and expected margin are the recommendations table's, so that the lever, the report
    and the reason sentence show the same figures (the band still comes from the curve)."""
    point = bid_at_price(curve, price)
    for anchor in (
        _anchor(row, "recommended_price", "p_win_recommended", "expected_margin_recommended"),
        _anchor(row, "our_price", "p_win_current", "expected_margin_current"),
    ):
        if anchor is not None and abs(float(price) - anchor.price) <= PRICE_TOLERANCE:
            return replace(point, p_win=anchor.p_win, expected_margin=anchor.expected_margin)
    return point


def _account_rows(bundle, account_id: str, name: str) -> pd.DataFrame | NotAvailable:
    if not bundle.has(name):
        return bundle.reason(name)
    try:
        return bundle.account(account_id).table(name)
    except ValueError:  # a portfolio-level table: cut it to the account
        whole = bundle.table(name)
        return whole[whole["account_id"] == str(account_id)].reset_index(drop=True)


def open_bids(bundle, account_id: str) -> tuple[pd.DataFrame | NotAvailable, pd.DataFrame | NotAvailable]:
    """(``bid_recommendations`` rows, ``bid_curves`` rows) of one account, largest gain first."""
    recs = _account_rows(bundle, account_id, "bid_recommendations")
    curves = _account_rows(bundle, account_id, "bid_curves")
    if isinstance(recs, pd.DataFrame) and "expected_margin_gain" in recs.columns:
        recs = recs.sort_values("expected_margin_gain", ascending=False, na_position="last").reset_index(drop=True)
    return recs, curves


def _price_text(x: float) -> str:
    """A unit price: exact (one decimal under a thousand), unlike compact money."""
    v = _finite(x)
    return formatting.number(v, 1 if v is not None and abs(v) < 1000 else 0, missing="n/a")


def _text(value: object, missing: str) -> str:
    s = "" if value is None else str(value)
    return missing if s in ("", "nan", "None", "<NA>") else s


def bid_label(row: dict, currency: str | None = None) -> str:
    """The picker label of one open bid: id, category, competitor and value (in ``currency``)."""
    amount = _finite(row.get("amount"))
    value = f" · {formatting.money(amount, currency)}" if amount is not None else ""
    return (
        f"{_text(row.get('opportunity_id'), '?')} · {_text(row.get('category'), 'no category')} · "
        f"vs {_text(row.get('competitor'), 'no known competitor')}{value}"
    )


def _finite(x: object) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def lever_table_html(row: dict, point: BidPoint, current: BidPoint | None, currency: str | None = None) -> str:
    """The lever's table: now, at the slider's price, at the recommended price (all escaped; money in ``currency``)."""

    def _pct(x: object) -> str:
        return formatting.pct(_finite(x), digits=0, missing="n/a")

    rec_price = float(row.get("recommended_price", math.nan))
    rec_p, rec_m = (
        float(row.get("p_win_recommended", math.nan)),
        float(row.get("expected_margin_recommended", math.nan)),
    )
    band = (
        f" ({_pct(point.p_win_low)}-{_pct(point.p_win_high)})"
        if np.isfinite(point.p_win_low) and np.isfinite(point.p_win_high)
        else ""
    )
    cols = [
        (
            "Current price",
            current.price if current else math.nan,
            current.p_win if current else math.nan,
            "",
            current.expected_margin if current else math.nan,
        ),
        ("At this price", point.price, point.p_win, band, point.expected_margin),
        ("Recommended", rec_price, rec_p, "", rec_m),
    ]
    body = "".join(
        f"<tr><td>{esc(name)}</td><td class='num'>{esc(_price_text(price))}</td>"
        f"<td class='num'{' data-value=' + repr(f'{p:.6g}') if name == 'At this price' else ''}>"
        f"{esc(_pct(p) + extra)}</td>"
        f"<td class='num'{' data-value=' + repr(f'{m:.6g}') if name == 'At this price' else ''}>{esc(formatting.money(_finite(m), currency, missing='n/a'))}</td></tr>"
        for name, price, p, extra, m in cols
    )
    html = (
        "<table class='kam-table kam-bid-table'><thead><tr><th></th><th>Our price</th><th>P(win) (band)</th>"
        f"<th>Expected margin</th></tr></thead><tbody>{body}</tbody></table>"
    )
    notes = []
    if current is not None and abs(point.price - current.price) <= PRICE_TOLERANCE:
        notes.append("This is the current price; move the slider to see P(win) and expected margin change.")
    elif current is not None and np.isfinite(current.expected_margin):
        notes.append(
            f"Moving from the current price changes the expected margin by "
            f"{formatting.signed_money(_finite(point.expected_margin - current.expected_margin), currency)} "
            f"and P(win) by {(point.p_win - current.p_win) * 100:+.0f} points."
        )
    elif current is None:
        notes.append("No price has been quoted for this bid yet.")
    if point.clipped:
        notes.append("The price is at the end of the bid's price grid; the curve says nothing beyond it.")
    reason = _text(row.get("reason"), "")
    if reason:
        notes.append(f"Why the recommendation: {reason}")
    return html + "".join(f"<div class='kam-muted'>{esc(n)}</div>" for n in notes)


def held_note(row: dict) -> str:
    """The lever's note for a bid without a curve: when kamtools keeps its current price (an evidence rule of
    :mod:`kamtools.bids.evidence`: no measurable price response, or a win model no better than a plain rate),
    why, in the recommendation's own words; else that the bundle holds no curve."""
    rec, our = _finite(row.get("recommended_price")), _finite(row.get("our_price"))
    reason = _text(row.get("reason"), "")
    if rec is not None and our is not None and abs(rec - our) < 1e-9 and reason:
        return f"No price curve is shown for this bid, because kamtools recommends no price change. {reason}"
    return "The bundle holds no price curve for this bid."


class BidLever:
    """The planner's bid lever: pick one open bid of the account, move our price.

    Parameters
    ----------
    bundle : the planner's :class:`~kamtools.bundle.Bundle`.

    Attributes
    ----------
    widget : the root box (CSS class ``kam-bid-lever``); ``picker`` (``kam-bid-picker``),
        ``price`` (``kam-lever-bid-price``), ``output`` (``kam-bid-output``).
    point : the :class:`BidPoint` shown now (None without a bid).
    """

    def __init__(self, bundle):
        from kamtools.extras import import_optional

        W = import_optional("ipywidgets", "planner", "the scenario planner widget")
        self.bundle = bundle
        self.currency = formatting.currency_of(bundle)
        self.account_id: str | None = None
        self.recs: pd.DataFrame | NotAvailable = NotAvailable("No account chosen.")
        self.curves: pd.DataFrame | NotAvailable = NotAvailable("No account chosen.")
        self.point: BidPoint | None = None
        self._busy = False
        style = {"description_width": "150px"}
        self.picker = W.Dropdown(options=[], description="Open bid", layout=W.Layout(width="340px"), style=style)
        self.picker.add_class("kam-bid-picker")
        self.price = W.FloatSlider(
            value=100.0,
            min=0.0,
            max=200.0,
            step=0.1,
            description="Our price",
            readout_format=".1f",
            continuous_update=True,
            layout=W.Layout(width="340px"),
            style=style,
        )
        self.price.add_class("kam-lever-bid-price")
        self.recommended_button = W.Button(description="Recommended price", layout=W.Layout(width="160px"))
        self.recommended_button.add_class("kam-bid-recommended")
        self.current_button = W.Button(description="Current price", layout=W.Layout(width="120px"))
        self.current_button.add_class("kam-bid-current")
        self.output = W.HTML()
        self.output.add_class("kam-bid-output")
        self.widget = W.VBox(
            [self.picker, self.price, W.HBox([self.current_button, self.recommended_button]), self.output]
        )
        self.widget.add_class("kam-bid-lever")
        self.picker.observe(self._on_pick, names="value")
        self.price.observe(lambda _c: self.update(), names="value")
        self.recommended_button.on_click(lambda _b: self.set_price(self._row().get("recommended_price")))
        self.current_button.on_click(lambda _b: self.set_price(self._row().get("our_price")))

    # ---- account and bid ----------------------------------------------------------------
    def set_account(self, account_id: str | None) -> None:
        """Show the open bids of ``account_id`` (None: a group scope, which has no single bid)."""
        self.account_id = account_id
        if account_id is None:
            self.recs = NotAvailable("Pick one account to move the price of one of its open bids.")
            self.curves = self.recs
        else:
            try:
                self.recs, self.curves = open_bids(self.bundle, account_id)
            except Exception as exc:  # a damaged bid table must not stop the rest of the planner
                self.recs = NotAvailable(
                    f"The bid tables of this account could not be read ({type(exc).__name__}: {exc})."
                )
                self.curves = self.recs
        options: list[tuple[str, str]] = []
        if isinstance(self.recs, pd.DataFrame):
            options = [(bid_label(r, self.currency), str(r["opportunity_id"])) for r in self.recs.to_dict("records")]
        self._busy = True
        try:
            self.picker.options = options
            self.picker.value = options[0][1] if options else None
        finally:
            self._busy = False
        self.picker.disabled = not options
        self.price.disabled = not options
        self.recommended_button.disabled = self.current_button.disabled = not options
        self._show(self.picker, bool(options))
        self._enter_bid()

    @staticmethod
    def _show(widget, shown: bool) -> None:
        """Show or hide ``widget`` (hidden, not greyed: a scope without a bid has no price to show)."""
        widget.layout.display = None if shown else "none"

    def select(self, opportunity_id: str) -> None:
        """Choose the open bid ``opportunity_id`` of the current account."""
        self.picker.value = str(opportunity_id)

    def set_price(self, price: object) -> None:
        """Move the price slider to ``price`` (ignored when it is missing)."""
        try:
            p = float(price)
        except (TypeError, ValueError):
            return
        if np.isfinite(p):
            self.price.value = min(max(p, self.price.min), self.price.max)

    def _on_pick(self, change) -> None:
        if not self._busy and change["new"] != change["old"]:
            self._enter_bid()

    def _row(self) -> dict:
        if not isinstance(self.recs, pd.DataFrame) or self.picker.value is None:
            return {}
        hit = self.recs[self.recs["opportunity_id"] == str(self.picker.value)]
        return hit.iloc[0].to_dict() if len(hit) else {}

    def curve(self) -> pd.DataFrame:
        """The ``bid_curves`` rows of the chosen bid (empty when there is none)."""
        if not isinstance(self.curves, pd.DataFrame) or self.picker.value is None:
            return pd.DataFrame(columns=["price", "p_win", "expected_margin"])
        return self.curves[self.curves["opportunity_id"] == str(self.picker.value)]

    def _enter_bid(self) -> None:
        row, curve = self._row(), self.curve()
        # without a curve the slider would move nothing: it is held at the bid's price and greyed out
        held = not row or curve.empty
        self.price.disabled = self.recommended_button.disabled = self.current_button.disabled = held
        our = _finite(row.get("our_price"))
        # a slider is shown only with a price of this bid on it: a tier, the portfolio or an account without open
        # bids hid nothing before and kept the previous account's price on the greyed slider (the 12-month demo)
        for w in (self.price, self.current_button, self.recommended_button):
            self._show(w, bool(row) and (not curve.empty or our is not None))
        if held:
            self.point = None
            if our is not None:
                self._busy = True
                try:
                    self.price.min, self.price.max = min(our, self.price.min), max(our, self.price.max)
                    self.price.value = our
                finally:
                    self._busy = False
            if isinstance(self.recs, NotAvailable):
                message = str(self.recs)
            elif isinstance(self.curves, NotAvailable):
                message = str(self.curves)
            elif not row:
                message = "This account has no open bids."
            else:
                message = held_note(row)
            self.output.value = f"<div class='kam-muted'>{esc(message)}</div>"
            return
        prices = curve["price"].astype(float)
        lo, hi = float(prices.min()), float(prices.max())
        start = row.get("our_price")
        start = float(start) if start is not None and np.isfinite(float(start)) else float(row["recommended_price"])
        self._busy = True
        try:
            # widen first so that min <= value <= max holds at every step
            self.price.min, self.price.max = min(lo, self.price.min), max(hi, self.price.max)
            self.price.step = 0.1 if hi - lo >= 5 else max((hi - lo) / 100, 0.001)
            self.price.value = min(max(start, lo), hi)
            self.price.min, self.price.max = lo, hi
        finally:
            self._busy = False
        self.update()

    # ---- update ----------------------------------------------------------------------------
    def update(self) -> BidPoint | None:
        """Read P(win) and expected margin at the slider's price off the chosen bid's curve."""
        if self._busy:
            return self.point
        row, curve = self._row(), self.curve()
        if not row or curve.empty:
            return None
        self.point = lever_point(row, curve, float(self.price.value))
        our = row.get("our_price")
        current = lever_point(row, curve, float(our)) if our is not None and np.isfinite(float(our)) else None
        self.output.value = lever_table_html(row, self.point, current, self.currency)
        return self.point
