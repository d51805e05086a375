"""kamtools.value and kamtools.churn are packages of one concern per module (issue 16); every name that
was imported from the old modules still imports from the same path, and no module of theirs is long."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

OLD_PATHS = {
    "kamtools.value": [
        "SUMMARY_COLUMNS",
        "VALUE_COLUMNS",
        "MODEL_LABELS",
        "FIT_STATUSES",
        "MIN_ACCOUNTS",
        "MIN_REPEAT_BUYERS",
        "BTYDChoice",
        "BetaGeo",
        "GammaGamma",
        "ModifiedBetaGeo",
        "btyd_from_table",
        "bundle_tables",
        "choose_btyd",
        "expected_value",
        "fit_problems",
        "fit_status",
        "fit_value",
        "margin_rates",
        "p_no_order",
        "rfm_summary",
    ],
    "kamtools.churn.features": [
        "FEATURE_LABELS",
        "FEATURE_UNITS",
        "FEATURE_SOURCES",
        "CATEGORICAL_FEATURES",
        "PRESENTABLE_FEATURES",
        "RISK_DIRECTION",
        "driver_text",
        "features",
        "feature_availability",
        "format_value",
        "reassuring_side",
        "risky_side",
        "_SPONSOR_LEFT_MONTHS",
    ],
    "kamtools.churn.scoring": [
        "HIGH_RISK_P",
        "MEDIUM_RISK_P",
        "METRIC_LABELS",
        "MIN_TRAIN_ROWS",
        "MIN_CHURN_EVENTS",
        "ChurnEvaluation",
        "ChurnScores",
        "baseline_beats_model",
        "calibration_table",
        "evaluate",
        "planted_churn_check",
        "presentable_drivers",
        "recency_baseline",
        "rescore_with_recency",
        "risk_bands",
        "score",
        "score_details",
    ],
}


@pytest.mark.parametrize("module", sorted(OLD_PATHS))
def test_names_import_from_their_old_path(module):
    mod = importlib.import_module(module)
    missing = [name for name in OLD_PATHS[module] if not hasattr(mod, name)]
    assert not missing, f"{module} lost {missing}"
    assert set(getattr(mod, "__all__", [])) <= set(dir(mod))


@pytest.mark.parametrize("package", ["value", "churn"])
def test_no_module_is_over_800_lines(package):
    root = Path(importlib.import_module("kamtools").__file__).parent / package
    long = {p.name: n for p in root.glob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800}
    assert not long, f"kamtools/{package} modules over 800 lines: {long}"


def test_churn_reads_the_models_p_alive_where_the_value_table_shows_an_activity_score():
    # the churn model learns P(alive) at its snapshots; a table showing an activity score must not swap the feature
    import pandas as pd

    from kamtools.churn._value import from_context

    table = pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "p_alive": [0.05, 0.40],  # the activity score the faces show
            "p_alive_model": [0.70, 0.95],
            "expected_value_12m": [10.0, 20.0],
        }
    )
    out = from_context(table)
    assert out["p_alive"].tolist() == [0.70, 0.95]
    assert from_context(table.drop(columns="p_alive_model"))["p_alive"].tolist() == [0.05, 0.40]
