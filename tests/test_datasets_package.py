"""The demo generator as a package: its public names keep their import path, and small demos in
settings the shipped demo does not use (a mid-month as_of, 5 years, many or one group, 10 accounts)
keep every byte of their files and of their planted truth (the phases draw in a fixed order)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import kamtools.datasets as ds
from kamtools.datasets import make_portfolio, write_tables

DIGESTS = Path(__file__).parent / "data" / "demo_small_digests.json"
"""sha256 of each CSV file and planted-truth table of the SETTINGS below. After an intended change of
the generator, rewrite it with ``KAMTOOLS_WRITE_DIGEST=1 .venv/bin/python -m pytest tests/test_datasets_package.py``.

Rewritten for the planted recurring tenders (issue 21, kamtools.datasets.tenders): only
``csv/opportunities.csv`` changed (the tenders' bids among the others, every row renumbered by
date, the new ``contract_end`` column), ``truth/competitors.csv`` (its win shares count the tender
bids too) and the new ``truth/tenders.csv``; the tenders draw from a stream of their own, so every
other file kept its digest."""

SETTINGS = {
    "s11_a90_y5_g12_asof": dict(n_accounts=90, years=5, seed=11, groups=12, as_of="2024-03-15"),
    "s2_a10_y2_g1": dict(n_accounts=10, years=2, seed=2, groups=1),
}
TRUTH_TABLES = (
    "churn",
    "segments",
    "affinities",
    "competitors",
    "competitor_accounts",
    "unreachable_targets",
    "whitespace_adoptions",
    "champions_left",
    "cross_unit_gaps",
    "tenders",
)


def test_public_names_keep_their_import_path():
    used_elsewhere = {
        "PlantedTruth",
        "make_portfolio",
        "your_data_or_demo",
        "load_demo",
        "write_tables",
        "DEMO_DIR",
        "DEMO_SEED",
        "DEMO_ACCOUNTS",
        "DEMO_YEARS",
        "DEMO_CURRENCY",
        "CATEGORY_NAMES",
        "SEGMENTS",
    }
    assert used_elsewhere <= set(ds.__all__)
    for name in ds.__all__:
        assert getattr(ds, name) is not None, name
    assert ds.DEMO_DIR.name == "demo_data"
    from kamtools.datasets.groups import GroupLayer  # the global-account layer moved into the package

    assert callable(GroupLayer.plan)


def _digests(key: str, tmp_path: Path) -> dict[str, str]:
    portfolio, truth = make_portfolio(**SETTINGS[key])
    out = {}
    for path in write_tables(portfolio, tmp_path / key, fmt="csv"):
        out[f"csv/{path.name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    for name in TRUTH_TABLES:
        text = getattr(truth, name).to_csv(index=False, float_format="%.17g", lineterminator="\n")
        out[f"truth/{name}.csv"] = hashlib.sha256(text.encode()).hexdigest()
    return out


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_small_demos_keep_every_byte(key, tmp_path):
    got = _digests(key, tmp_path)
    if os.environ.get("KAMTOOLS_WRITE_DIGEST"):
        pinned = json.loads(DIGESTS.read_text(encoding="utf-8")) if DIGESTS.exists() else {}
        pinned[key] = got
        DIGESTS.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))[key]
    changed = sorted(name for name in expected.keys() | got.keys() if expected.get(name) != got.get(name))
    assert not changed, f"{key}: these files of the demo changed: {changed}"
