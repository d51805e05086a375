"""Phase 5: the analysis date (as_of) and the dates measured against it or against today."""

from __future__ import annotations

import pandas as pd

from kamtools.data import schemas
from kamtools.data.loader.state import Findings, Loaded
from kamtools.data.model import TABLES
from kamtools.data.schemas import AS_OF_GAP, NOT_YET, PLANNED_DATES, PLANNED_MARGIN
from kamtools.data.validation import Problem, count, examples, verb


def settle_as_of(loaded: Loaded, as_of_given: pd.Timestamp | None, findings: Findings) -> pd.Timestamp | None:
    """The analysis date: ``as_of_given``, else the last order date (None without readable orders).

    Reports dates far in the future first (so a typo such as 2206 does not become the
    analysis date), then, for the default as_of, dates after it.
    """
    _check_future_dates(loaded, schemas.today(), as_of_given is None, findings)
    last = _last_order_date(loaded)
    if as_of_given is not None:
        if last is not None and as_of_given - last > AS_OF_GAP:
            findings.warnings.append(_as_of_after_data(as_of_given, last))
        return as_of_given
    if last is None:
        return None
    _orders_after_today(loaded, last, schemas.today(), findings)
    _check_after_as_of(loaded, last, findings)
    _end_dates_after_as_of(loaded, last, findings)
    return last


TODAY_SLACK = pd.Timedelta(days=2)  # an order dated this little after today is a time zone or a late clock


def _orders_after_today(loaded: Loaded, last: pd.Timestamp, now: pd.Timestamp, findings: Findings) -> None:
    """Order dates after today, not far enough to be reported as typos (schemas.far_future), that would become the
    default analysis date: warned about with their rows (one line dated 2027-02-01 on 2026-12-08 moved the analysis
    two months ahead, doubling the lapsed accounts and halving the next 12 months' forecast, with no word)."""
    if last <= now + TODAY_SLACK:
        return
    dates = loaded.tables["orders"]["order_date"]
    late = _unreported_order_dates(loaded).gt(now + TODAY_SLACK).reindex(dates.index, fill_value=False)
    n = int(late.sum())
    findings.warnings.append(
        Problem(
            "orders",
            "order_date",
            f"{count(n, 'order line')} {verb(n, 'is', 'are')} dated after today ({now.date()}), the last on "
            f"{last.date()}; the analysis date (as_of) is the last order date, so every account is judged as of a "
            "day that has not come yet (its silence and the forecast's months count from it).",
            "Correct the dates if they are typos, or pass the export date as --as-of to analyse as of that day "
            "(later lines are then left out and counted).",
            *examples(dates, late),
            *loaded.meta["orders"],
            kind="orders_after_today",
            level="warning",
        )
    )


def _as_of_after_data(as_of: pd.Timestamp, last: pd.Timestamp) -> Problem:
    years = (as_of - last).days / 365.25
    return Problem(
        "source",
        None,
        f"as_of {as_of.date()} is {years:.1f} years after the last order date ({last.date()}): "
        "every account will look as if it had stopped buying.",
        hint="Check the --as-of date (a typo in the year?); leave it out to analyse as of the last order date.",
        kind="as_of_after_data",
        level="warning",
    )


def _check_after_as_of(loaded: Loaded, as_of: pd.Timestamp, findings: Findings) -> None:
    """Event dates after the default as_of (the last order date) are errors."""
    for name, df in loaded.tables.items():
        for col in TABLES[name].date_columns_bounded:
            if not loaded.checked(name, col):
                continue
            hit = schemas.after_as_of_rule(name, col, df[col], as_of, lambda m, t=name, c=col: loaded.fresh(t, c, m))
            if hit is not None:
                kind, message, hint, late = hit
                findings.problems.append(loaded.problem(name, col, kind, message, hint, df[col], late))


def _last_order_date(loaded: Loaded) -> pd.Timestamp | None:
    """The last order date that is not reported as a problem (a typo such as 2206 does not count)."""
    orders = loaded.tables.get("orders")
    if orders is None or "order_date" not in orders.columns:
        return None
    dates = _unreported_order_dates(loaded).dropna()
    return None if dates.empty else pd.Timestamp(dates.max()).normalize()


def _unreported_order_dates(loaded: Loaded) -> pd.Series:
    """The order dates not reported as a problem (a typo such as 2206 is left out), on the orders' index."""
    dates = loaded.tables["orders"]["order_date"]
    reported = loaded.bad.get("orders", {}).get("order_date")
    return dates if reported is None else dates[~reported]


def _check_future_dates(loaded: Loaded, now: pd.Timestamp, default_as_of: bool, findings: Findings) -> None:
    """Dates that cannot have happened yet, in every date column (see schemas.far_future)."""
    for name, df in loaded.tables.items():
        for col in TABLES[name].columns:
            if col.dtype != "date" or not loaded.checked(name, col.name):
                continue
            v = df[col.name]
            planned = (name, col.name) in PLANNED_DATES
            far = loaded.fresh(name, col.name, _far_dates(name, col.name, df, now, planned))
            if not far.any():
                continue
            n = int(far.sum())
            limit = "more than 5 years after today" if planned else "in the future"
            message = f"{count(n, 'date')} in {col.name} {verb(n, 'lies', 'lie')} far {limit} (today is {now.date()})"
            if (name, col.name) == ("orders", "order_date") and default_as_of:
                message += "; the analysis date (as_of) is the last order date before them"
            hint = "Dates that have not happened yet are typos (such as 2206 for 2026): correct the year"
            if (name, col.name) in NOT_YET:
                hint += f", or leave the cell empty ({NOT_YET[name, col.name]})."
            elif planned:
                hint += "."
            else:
                hint += " or remove the rows."
            findings.problems.append(loaded.problem(name, col.name, "far_future", message + ".", hint, v, far))


def _far_dates(name: str, column: str, df: pd.DataFrame, now: pd.Timestamp, planned: bool) -> pd.Series:
    """Rows of ``df[column]`` too far in the future (planned dates: more than PLANNED_MARGIN after today)."""
    v = df[column]
    if not planned:
        return schemas.far_future(v, now)
    far = v > now + PLANNED_MARGIN
    if (name, column) == ("opportunities", "close_date") and "status" in df.columns:  # a decision has happened
        decided = df["status"].isin(["won", "lost"])
        far = (far & ~decided) | (schemas.far_future(v.where(decided), now) & decided)
    return far


def _end_dates_after_as_of(loaded: Loaded, as_of: pd.Timestamp, findings: Findings) -> None:
    """Resolved, paid and decision dates after the default as_of: warned about with their rows."""
    not_yet = {"close_date": "decided", "resolved_date": "resolved", "paid_date": "paid"}
    for name, col in NOT_YET:
        df = loaded.tables.get(name)
        if df is None or col not in df.columns or col not in loaded.bad[name]:
            continue
        late = (df[col] > as_of) & ~loaded.bad[name][col]
        if name == "opportunities" and "status" in df.columns:
            late &= df["status"].isin(["won", "lost"])
        if not late.any():
            continue
        n = int(late.sum())
        findings.warnings.append(
            Problem(
                name,
                col,
                f"{count(n, 'row')} {verb(n, 'has', 'have')} {col} after the analysis date {as_of.date()} "
                f"(the last order date): on that date they were not yet {not_yet[col]}.",
                "Nothing to do if this table was exported later than the orders; pass the export date as --as-of "
                "to analyse as of that day, or correct the dates.",
                *examples(df[col], late),
                *loaded.meta[name],
                kind="end_after_as_of",
                level="warning",
            )
        )
