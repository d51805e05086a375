"""Checking and regularising the long-format ``unique_id, ds, y`` input.

Rules (each broken rule raises :class:`ForecastInputError` naming the column and up to
ten offending ``unique_id`` values):

* columns ``unique_id``, ``ds`` and ``y`` must exist;
* ``ds`` must be dates (or parseable as dates) without missing values;
* ``y`` must be numeric (or text that is entirely numeric) and finite;
* each ``(unique_id, ds)`` pair appears once;
* dates must sit on the frequency grid (e.g. month starts for ``freq="MS"``); a series
  whose dates fall between grid points (mid-month dates, mixed spacing) is irregular.

Rows need not be sorted (they are sorted by ``unique_id, ds``). **Gaps** - periods
missing inside a series - are filled with ``fill_value`` (default 0.0: for sales, a month
without orders is a month with zero revenue); pass ``fill_value=None`` to reject gaps
instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

REQUIRED = ("unique_id", "ds", "y")
_PERIOD_FREQ = {"MS": "M", "ME": "M", "M": "M", "QS": "Q", "QE": "Q", "Q": "Q", "YS": "Y", "YE": "Y", "Y": "Y"}


class ForecastInputError(ValueError):
    """The history frame handed to the forecaster is malformed."""


def _ids(values) -> str:
    vals = sorted({str(v) for v in values})
    shown = ", ".join(repr(v) for v in vals[:10])
    more = f" and {len(vals) - 10} more" if len(vals) > 10 else ""
    return shown + more


def _period_freq(freq: str) -> str:
    base = freq.split("-")[0].upper()
    if base in _PERIOD_FREQ:
        return _PERIOD_FREQ[base]
    if base in ("D", "B", "H", "h") or base.startswith("W"):
        return freq if base.startswith("W") else base
    raise ForecastInputError(
        f"freq={freq!r} is not supported; use a monthly ('MS', 'ME'), quarterly ('QS', 'QE'), "
        "yearly ('YS', 'YE'), weekly ('W-SUN', ...) or daily ('D') frequency."
    )


def infer_freq(ds: pd.Series) -> str:
    """Guess the frequency: mostly month starts -> 'MS', mostly month ends -> 'ME', else pandas' guess.

    "Mostly" so that a few stray mid-month dates are reported as irregular dates of the
    series holding them rather than as an unknown frequency.
    """
    if ds.empty:
        return "MS"
    if float(ds.dt.is_month_start.mean()) > 0.5:
        return "MS"
    if float(ds.dt.is_month_end.mean()) > 0.5:
        return "ME"
    uniq = pd.DatetimeIndex(ds.drop_duplicates().sort_values())
    guess = pd.infer_freq(uniq) if len(uniq) >= 3 else None
    if guess is None:
        raise ForecastInputError(
            "column 'ds': could not infer the frequency of the dates (they are neither all month "
            "starts nor all month ends nor evenly spaced); pass freq= explicitly, e.g. freq='MS'."
        )
    return guess


def grid_positions(ds: pd.Series, freq: str) -> np.ndarray:
    """Integer position of each date on the frequency grid (consecutive periods differ by 1)."""
    pfreq = _period_freq(freq)
    return np.asarray(ds.dt.to_period(pfreq).array.asi8, dtype=np.int64)


def grid_dates(positions: np.ndarray, like: str, freq: str) -> pd.DatetimeIndex:
    """Inverse of :func:`grid_positions` (dates in the convention of ``freq``)."""
    pfreq = _period_freq(freq)
    periods = pd.PeriodIndex.from_ordinals(np.asarray(positions, dtype=np.int64), freq=pfreq)
    base = freq.split("-")[0].upper()
    how = "end" if base in ("ME", "QE", "YE", "M", "Q", "Y") else "start"
    out = periods.to_timestamp(how=how)
    return out.normalize() if how == "end" else out


def validate_history(
    history: pd.DataFrame, freq: str | None = None, fill_value: float | None = 0.0
) -> tuple[pd.DataFrame, str]:
    """Check ``history`` and return ``(clean, freq)``.

    ``clean`` has columns ``unique_id`` (str), ``ds`` (datetime64[ns]), ``y`` (float64),
    ``pos`` (int grid position), sorted by ``unique_id, ds``, gaps filled.
    """
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

    # ---- ds
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
    df["ds"] = ds

    # ---- y
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
    df["y"] = y

    # ---- duplicates
    dup = df.duplicated(["unique_id", "ds"], keep=False)
    if dup.any():
        raise ForecastInputError(
            f"columns 'unique_id','ds': {int(dup.sum())} rows repeat a (unique_id, ds) pair, in unique_id "
            f"{_ids(df.loc[dup, 'unique_id'])}; aggregate them first (e.g. groupby(['unique_id','ds']).sum())."
        )

    # ---- frequency grid
    freq = freq or infer_freq(df["ds"])
    pos = grid_positions(df["ds"], freq)
    on_grid = grid_dates(pos, df["ds"].iloc[0], freq).to_numpy() == df["ds"].to_numpy()
    if not on_grid.all():
        raise ForecastInputError(
            f"column 'ds': dates in unique_id {_ids(df.loc[~on_grid, 'unique_id'])} are irregular - they do not fall on "
            f"the {freq!r} grid (e.g. {df.loc[~on_grid, 'ds'].iloc[0].date()}). Aggregate to one row per period "
            f"(e.g. df.ds.dt.to_period('M').dt.to_timestamp()) or pass the right freq=."
        )
    df["pos"] = pos
    df = df.sort_values(["unique_id", "pos"], kind="stable").reset_index(drop=True)

    # ---- gaps
    first = df.groupby("unique_id", sort=False)["pos"].transform("min")
    last = df.groupby("unique_id", sort=False)["pos"].transform("max")
    counts = df.groupby("unique_id", sort=False)["pos"].transform("size")
    gappy = (last - first + 1) != counts
    if gappy.any():
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
        df["ds"] = grid_dates(df["pos"].to_numpy(), "", freq)
    return df[["unique_id", "ds", "y", "pos"]], freq
