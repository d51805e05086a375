"""How much order history a portfolio has, and whether a comparison window lies inside it.

Every analysis that compares "the last 12 months" with "the 12 months before", fits a
seasonal pattern or backtests a forecast needs history that may not exist: a company
with a new ERP has a few months of orders. :func:`order_history` measures what exists;
:meth:`OrderHistory.covers` says whether a window starting at a date is covered by it,
and :meth:`OrderHistory.describe` gives the words for the reports ("8 months of order
history (since 2026-03-02)").

A window counts as covered when the first order falls no later than
:data:`COVER_SLACK_DAYS` after the window's start: an export whose first order is on
the 3rd of the month covers a window that starts on the 1st, but one that starts a
year later does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kamtools.data.portfolio import Portfolio, last_complete_month

COVER_SLACK_DAYS = 31

__all__ = ["COVER_SLACK_DAYS", "OrderHistory", "order_history"]


@dataclass(frozen=True)
class OrderHistory:
    """The span of a portfolio's order history up to its ``as_of``.

    first_order, last_order : dates of the first and last order line (None without orders).
    as_of : the analysis date.
    months : calendar months from the first order's month to ``as_of``'s month, counting
        both (0 without orders): the length of the longest monthly revenue series plus the
        current, partly booked month when ``as_of`` is not a month end.
    complete_months : complete calendar months from the first order's month to the last
        complete month before ``as_of`` (the length of the longest monthly series).
    """

    first_order: pd.Timestamp | None
    last_order: pd.Timestamp | None
    as_of: pd.Timestamp
    months: int
    complete_months: int

    @property
    def days(self) -> int:
        """Days from the first order to ``as_of``, both counted (0 without orders)."""
        if self.first_order is None:
            return 0
        return int((self.as_of - self.first_order).days) + 1

    @property
    def one_day(self) -> bool:
        """True when every order was placed on a single day."""
        return self.first_order is not None and self.first_order == self.last_order

    def covers(self, start: pd.Timestamp | str) -> bool:
        """True when the order history reaches back to ``start`` (see the module docstring)."""
        if self.first_order is None:
            return False
        return self.first_order <= pd.Timestamp(start) + pd.Timedelta(days=COVER_SLACK_DAYS)

    def covers_months_back(self, months: int) -> bool:
        """True when the history reaches back ``months`` months before ``as_of``."""
        return self.covers(self.as_of - pd.DateOffset(months=months))

    def describe(self) -> str:
        """The history in words, e.g. "8 months of order history (since 2026-03-02)" (in days
        when it is shorter than four weeks)."""
        if self.first_order is None:
            return "no order history"
        span = _months(self.months) if self.months > 1 or self.days >= 28 else _days(self.days)
        if self.one_day:
            return f"{span} of order history (every order on {self.first_order.date()})"
        return f"{span} of order history (since {self.first_order.date()})"

    def not_covered(self, what: str, months_back: int) -> str:
        """One sentence saying that ``what`` needs ``months_back`` months of history that do not exist."""
        return (
            f"{what} needs {months_back} months of order history and this portfolio has {self.describe()}, "
            "so it is not shown."
        )


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def order_history(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> OrderHistory:
    """The span of ``portfolio``'s order history up to ``as_of`` (default the portfolio's;
    see :class:`OrderHistory`)."""
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    dates = portfolio.orders["order_date"]
    dates = dates[dates <= as_of]
    if dates.empty:
        return OrderHistory(None, None, as_of, 0, 0)
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    first_month = first.to_period("M")
    months = (as_of.to_period("M") - first_month).n + 1
    complete = (last_complete_month(as_of).to_period("M") - first_month).n + 1
    return OrderHistory(first, last, as_of, int(months), int(max(complete, 0)))
