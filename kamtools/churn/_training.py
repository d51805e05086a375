"""What a churn model needs to be trained, and the model built from the caller's choice."""

from __future__ import annotations

from kamtools.churn.labels import ChurnDefinition
from kamtools.churn.model import ChurnModel

MIN_TRAIN_ROWS = 100
MIN_CHURN_EVENTS = 15


def _model_params(model: ChurnModel | dict | None, definition: ChurnDefinition, random_state: int) -> ChurnModel:
    if isinstance(model, ChurnModel):
        from sklearn.base import clone

        return clone(model)
    params = {"time_gap_months": definition.label_window_months, "random_state": random_state}
    params.update(model or {})
    return ChurnModel(**params)
