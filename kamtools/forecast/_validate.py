"""Checking and regularising the long-format ``unique_id, ds, y`` input.

Rules (each broken rule raises :class:`ForecastInputError` naming the column and up to
ten offending ``unique_id`` values):

* columns ``unique_id``, ``ds`` and ``y`` must exist;
* ``ds`` must be dates (or parseable as dates) without missing values;
* ``y`` must be numeric (or text that is entirely numeric) and finite;
* each ``(unique_id, ds)`` pair appears once;
* dates must sit on one regular grid (e.g. month starts for ``freq="MS"``, every third
  month start for quarterly data); a series whose dates fall between grid points
  (mid-month dates, mixed spacing) is irregular.

Rows need not be sorted (they are sorted by ``unique_id, ds``). **Gaps** - periods
missing inside a series - are filled with ``fill_value`` (default 0.0: for sales, a month
without orders is a month with zero revenue); pass ``fill_value=None`` to reject gaps
instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

REQUIRED = ("unique_id", "ds", "y")
_MONTH_FREQS = {"M": 1, "MS": 1, "ME": 1, "Q": 3, "QS": 3, "QE": 3, "Y": 12, "YS": 12, "YE": 12, "A": 12, "AS": 12}
_DAY_FREQS = {"D": 1, "W": 7}
_FREQ_NAMES = {("month", 1): "M", ("month", 3): "Q", ("month", 12): "Y", ("day", 1): "D", ("day", 7): "W"}


class ForecastInputError(ValueError):
    """The history frame handed to the forecaster is malformed."""


def _ids(values) -> str:
    vals = sorted({str(v) for v in values})
    shown = ", ".join(repr(v) for v in vals[:10])
    more = f" and {len(vals) - 10} more" if len(vals) > 10 else ""
    return shown + more


@dataclass(frozen=True)
class Grid:
    """The regular time grid of the series: every ``step`` months (or days) from ``phase``.

    Months are counted from January 1970, days from 1970-01-01; a date's grid position is
    ``(index - phase) / step``. Monthly dates sit on month starts, or on month ends when
    ``month_end``.
    """

    unit: str  # "month" or "day"
    step: int
    phase: int = 0
    month_end: bool = False

    @property
    def freq(self) -> str:
        """The pandas-style name: 'MS', 'ME', 'QS', 'QE', 'YS', 'YE', 'D', 'W' or '<k>D'."""
        base = _FREQ_NAMES.get((self.unit, self.step))
        if base is None:
            return f"{self.step}D" if self.unit == "day" else f"{self.step}MS"
        if self.unit == "month":
            return base + ("E" if self.month_end else "S")
        return base

    def index(self, ds: pd.Series) -> np.ndarray:
        """Months (or days) since 1970 of each date."""
        if self.unit == "month":
            return (ds.dt.year.to_numpy(dtype=np.int64) - 1970) * 12 + ds.dt.month.to_numpy(dtype=np.int64) - 1
        return (ds.to_numpy(dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(np.int64)

    def dates(self, positions: np.ndarray) -> pd.DatetimeIndex:
        """Grid positions -> dates."""
        idx = np.asarray(positions, dtype=np.int64) * self.step + self.phase
        if self.unit == "month":
            start = (np.datetime64("1970-01", "M") + idx).astype("datetime64[ns]")
            out = pd.DatetimeIndex(start)
            return out + pd.offsets.MonthEnd(0) if self.month_end else out
        return pd.DatetimeIndex((np.datetime64("1970-01-01", "D") + idx).astype("datetime64[ns]"))


def _step_from_data(index: np.ndarray, ids: np.ndarray) -> int:
    """Most common positive gap between consecutive dates of the same series (1 if none)."""
    order = np.lexsort((index, ids))
    idx, sid = index[order], ids[order]
    gaps = np.diff(idx)[sid[1:] == sid[:-1]]
    gaps = gaps[gaps > 0]
    if len(gaps) == 0:
        return 1
    vals, counts = np.unique(gaps, return_counts=True)
    return int(vals[np.argmax(counts)])


def make_grid(ds: pd.Series, ids: np.ndarray, freq: str | Grid | None) -> Grid:
    """The grid of ``freq`` (or inferred from the dates when None), phase taken from the data.

    Inference: mostly month starts -> monthly steps anchored at month starts ('MS', or 'QS'
    / 'YS' when consecutive dates are 3 / 12 months apart), mostly month ends -> the same at
    month ends, else day steps of the most common gap ('D', 'W', ...). "Mostly" so that a
    few stray dates are reported as irregular dates of the series holding them.
    """
    if isinstance(freq, Grid):
        return freq
    if freq is None:
        if ds.empty or float(ds.dt.is_month_start.mean()) > 0.5:
            unit, month_end = "month", False
        elif float(ds.dt.is_month_end.mean()) > 0.5:
            unit, month_end = "month", True
        else:
            unit, month_end = "day", False
        probe = Grid(unit, 1, 0, month_end)
        step = _step_from_data(probe.index(ds), ids)
    else:
        base = str(freq).split("-")[0]
        upper = base.upper()
        if upper in _MONTH_FREQS:
            unit, step, month_end = "month", _MONTH_FREQS[upper], upper.endswith("E") or upper in ("M", "Q", "Y", "A")
            if upper in ("M", "Q", "Y", "A"):  # bare pandas aliases: decide start/end from the data
                month_end = float(ds.dt.is_month_end.mean()) > float(ds.dt.is_month_start.mean())
        elif upper in _DAY_FREQS or (upper.endswith("D") and upper[:-1].isdigit()):
            unit, month_end = "day", False
            step = _DAY_FREQS.get(upper) or int(upper[:-1])
        else:
            raise ForecastInputError(
                f"freq={freq!r} is not supported; use monthly ('MS', 'ME'), quarterly ('QS', 'QE'), "
                "yearly ('YS', 'YE'), weekly ('W', 'W-MON', ...) or daily ('D') data."
            )
    probe = Grid(unit, step, 0, month_end)
    rem = probe.index(ds) % step if len(ds) else np.array([0])
    vals, counts = np.unique(rem, return_counts=True)
    return Grid(unit, step, int(vals[np.argmax(counts)]), month_end)


def _as_frame(history: pd.DataFrame) -> pd.DataFrame:
    """``unique_id`` (str), ``ds``, ``y`` of ``history``, after checking it is a non-empty frame with them."""
    if not isinstance(history, pd.DataFrame):
        raise ForecastInputError(
            f"history must be a pandas DataFrame with columns {list(REQUIRED)}, got {type(history).__name__}"
        )
    missing = [c for c in REQUIRED if c not in history.columns]
    if missing:
        raise ForecastInputError(
            f"history is missing the column(s) {missing}; it needs {list(REQUIRED)} "
            f"(long format: one row per series and period). Columns found: {list(history.columns)}"
        )
    if history.empty:
        raise ForecastInputError("history has no rows; there is nothing to forecast.")
    df = pd.DataFrame(
        {
            "unique_id": history["unique_id"].astype(str).to_numpy(),
            "ds": history["ds"].to_numpy(),
            "y": history["y"].to_numpy(),
        }
    )
    if history["unique_id"].isna().any():
        raise ForecastInputError("column 'unique_id' has missing values; every row needs a series id.")
    return df


def _checked_dates(df: pd.DataFrame) -> pd.Series:
    """``df.ds`` as naive datetime64[ns], or an error naming the series with values that are not dates."""
    ds = df["ds"]
    if not pd.api.types.is_datetime64_any_dtype(ds):
        with warnings.catch_warnings():  # mixed formats are parsed one by one: fine here
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(ds, errors="coerce")
        bad = parsed.isna() & ds.notna()
        if bad.any():
            raise ForecastInputError(
                f"column 'ds' has values that are not dates (e.g. {ds[bad].iloc[0]!r}) in unique_id "
                f"{_ids(df.loc[bad, 'unique_id'])}; convert them with pd.to_datetime."
            )
        ds = parsed
    if getattr(ds.dt, "tz", None) is not None:
        ds = ds.dt.tz_localize(None)
    ds = ds.astype("datetime64[ns]")
    if ds.isna().any():
        raise ForecastInputError(f"column 'ds' has missing dates in unique_id {_ids(df.loc[ds.isna(), 'unique_id'])}.")
    return ds


def _checked_values(df: pd.DataFrame) -> pd.Series:
    """``df.y`` as finite float64, or an error naming the series with non-numeric or missing values."""
    y = df["y"]
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        num = pd.to_numeric(y, errors="coerce")
        bad = num.isna() & y.notna()
        if bad.any() or pd.api.types.is_bool_dtype(y):
            ids = df.loc[bad, "unique_id"] if bad.any() else df["unique_id"]
            raise ForecastInputError(
                f"column 'y' must be numeric; non-numeric values (e.g. {y[bad].iloc[0] if bad.any() else y.iloc[0]!r}) "
                f"in unique_id {_ids(ids)}."
            )
        y = num
    y = y.astype("float64")
    bad = ~np.isfinite(y.to_numpy())
    if bad.any():
        raise ForecastInputError(
            f"column 'y' has missing or infinite values in unique_id {_ids(df.loc[bad, 'unique_id'])}; "
            "fill them (e.g. with 0 for periods without sales) or drop those rows."
        )
    return y


def _check_unique_periods(df: pd.DataFrame) -> None:
    dup = df.duplicated(["unique_id", "ds"], keep=False)
    if dup.any():
        raise ForecastInputError(
            f"columns 'unique_id','ds': {int(dup.sum())} rows repeat a (unique_id, ds) pair, in unique_id "
            f"{_ids(df.loc[dup, 'unique_id'])}; aggregate them first (e.g. groupby(['unique_id','ds']).sum())."
        )


def _on_grid(df: pd.DataFrame, freq: str | Grid | None) -> tuple[pd.DataFrame, Grid]:
    """``df`` with each date's grid position ``pos``, sorted by ``unique_id, pos``; an error for dates off the grid."""
    grid = make_grid(df["ds"], df["unique_id"].to_numpy(), freq)
    index = grid.index(df["ds"])
    pos = (index - grid.phase) // grid.step
    on_grid = grid.dates(pos).to_numpy() == df["ds"].to_numpy()
    if not on_grid.all():
        raise ForecastInputError(
            f"column 'ds': dates in unique_id {_ids(df.loc[~on_grid, 'unique_id'])} are irregular - they do not fall on "
            f"the {grid.freq!r} grid of the other dates (e.g. {df.loc[~on_grid, 'ds'].iloc[0].date()}). Aggregate to "
            "one row per period (e.g. df.ds.dt.to_period('M').dt.to_timestamp()) or pass the right freq=."
        )
    df["pos"] = pos
    return df.sort_values(["unique_id", "pos"], kind="stable").reset_index(drop=True), grid


def _filled_gaps(df: pd.DataFrame, grid: Grid, fill_value: float | None) -> pd.DataFrame:
    """Periods missing inside a series added with ``fill_value`` (an error when it is None)."""
    first = df.groupby("unique_id", sort=False)["pos"].transform("min")
    last = df.groupby("unique_id", sort=False)["pos"].transform("max")
    counts = df.groupby("unique_id", sort=False)["pos"].transform("size")
    gappy = (last - first + 1) != counts
    if not gappy.any():
        return df
    if fill_value is None:
        raise ForecastInputError(
            f"column 'ds': periods are missing inside unique_id {_ids(df.loc[gappy, 'unique_id'])}; "
            "add them (with y=0 for periods without sales) or call with fill_value=0."
        )
    span = df.groupby("unique_id", sort=False)["pos"].agg(["min", "max"])
    lengths = (span["max"] - span["min"] + 1).to_numpy()
    full_pos = np.concatenate([np.arange(a, b + 1) for a, b in zip(span["min"], span["max"])])
    full = pd.DataFrame({"unique_id": np.repeat(span.index.to_numpy(), lengths), "pos": full_pos})
    df = full.merge(df, on=["unique_id", "pos"], how="left")
    df["y"] = df["y"].fillna(float(fill_value))
    df["ds"] = grid.dates(df["pos"].to_numpy())
    return df


def validate_history(
    history: pd.DataFrame, freq: str | Grid | None = None, fill_value: float | None = 0.0
) -> tuple[pd.DataFrame, Grid]:
    """Check ``history`` and return ``(clean, grid)``.

    ``clean`` has columns ``unique_id`` (str), ``ds`` (datetime64[ns]), ``y`` (float64),
    ``pos`` (int grid position), sorted by ``unique_id, ds``, gaps filled.
    """
    df = _as_frame(history)
    df["ds"] = _checked_dates(df)
    df["y"] = _checked_values(df)
    _check_unique_periods(df)
    df, grid = _on_grid(df, freq)
    df = _filled_gaps(df, grid, fill_value)
    return df[["unique_id", "ds", "y", "pos"]], grid
