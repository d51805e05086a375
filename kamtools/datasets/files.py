"""Writing a portfolio as files, and reading the demo shipped with kamtools (or the user's data)."""

from __future__ import annotations

import os
from pathlib import Path

from kamtools.data.model import TABLES
from kamtools.data.portfolio import Portfolio
from kamtools.resources import demo_data_dir

from .generate import DEFAULT_END, DEMO_ACCOUNTS, DEMO_SEED, DEMO_YEARS, make_portfolio
from .truth import PlantedTruth

DEMO_DIR = demo_data_dir()  # kamtools/demo_data/, package data found with importlib.resources


def write_tables(portfolio: Portfolio, out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write one file per table (``accounts.csv``, ``orders.csv``, ...) into ``out_dir``.

    CSV output is deterministic: ISO dates (YYYY-MM-DD), floats with up to 12 significant
    digits, empty cells for missing values, UTF-8, ``\\n`` line endings. ``fmt`` is
    ``"csv"`` or ``"parquet"``. Returns the written paths in table order.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"write_tables: fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in TABLES:
        if name not in portfolio.tables:
            continue
        df = portfolio.tables[name]
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            df.to_csv(
                path, index=False, date_format="%Y-%m-%d", float_format="%.12g", lineterminator="\n", encoding="utf-8"
            )
        else:
            df.to_parquet(path, index=False)
        paths.append(path)
    return paths


def load_demo() -> Portfolio:
    """The demo portfolio shipped with kamtools (``kamtools/demo_data/``, as_of 2026-10-31), loaded and validated like user data.

    The planted truth is not stored; regenerate it with
    ``make_portfolio(DEMO_ACCOUNTS, DEMO_YEARS, DEMO_SEED)`` when a test needs it.
    """
    from kamtools.data.loader import load_portfolio

    if not (DEMO_DIR / "orders.csv").exists():
        raise FileNotFoundError(
            f"No demo data in {DEMO_DIR}: this kamtools installation is incomplete; reinstall it, or regenerate "
            f"the demo with `kamtools make-demo-data {DEMO_DIR}` (see {DEMO_DIR / 'README.md'})"
        )
    return load_portfolio(DEMO_DIR, as_of=DEFAULT_END)


def your_data_or_demo(
    data: str | os.PathLike | None = None,
    mapping: str | os.PathLike | None = None,
    *,
    n_accounts: int = DEMO_ACCOUNTS,
    years: int = DEMO_YEARS,
    seed: int = DEMO_SEED,
) -> tuple[Portfolio, PlantedTruth | None]:
    """The portfolio a notebook works on: the user's tables when ``data`` is given, else a generated demo.

    ``data`` is anything :func:`kamtools.load_portfolio` reads (a folder of files, an
    ``.xlsx`` workbook, a database URL) with an optional column ``mapping``; it comes with
    no planted truth (``None``). Without ``data`` the demo of ``n_accounts`` accounts over
    ``years`` years is generated from ``seed``, with what was planted in it.
    """
    if data:
        from kamtools.data.loader import load_portfolio

        return load_portfolio(data, mapping=mapping), None
    return make_portfolio(n_accounts=n_accounts, years=years, seed=seed)
