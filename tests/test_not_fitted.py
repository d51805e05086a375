"""Every kamtools estimator used before fit raises sklearn's NotFittedError naming the fit call.

One error type for one mistake: code that catches sklearn's ``NotFittedError`` (a
``ValueError``) works the same for kamtools' models as for scikit-learn's.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from kamtools.churn.model import ChurnModel
from kamtools.competitors import PriceResponseModel
from kamtools.forecast.core import Forecaster
from kamtools.segment import ABCClassifier, BehaviouralClusters, PortfolioMatrix, RFMScorer
from kamtools.value import BetaGeo, GammaGamma, ModifiedBetaGeo
from kamtools.whitespace import CrossSellModel

X = pd.DataFrame({"a": [1.0, 2.0]})

CASES = {
    "ChurnModel": (lambda: ChurnModel().predict_proba(X), "fit(X, y)"),
    "Forecaster": (lambda: Forecaster().predict(), "fit(history)"),
    "PriceResponseModel": (lambda: PriceResponseModel().predict_proba(X), "fit(bids)"),
    "BetaGeo": (lambda: BetaGeo().expected_purchases(1, [1], [1], [2]), "fit(frequency, recency, T)"),
    "ModifiedBetaGeo": (lambda: ModifiedBetaGeo().expected_purchases(1, [1], [1], [2]), "fit(frequency, recency, T)"),
    "GammaGamma": (lambda: GammaGamma().expected_average_value([1], [10.0]), "fit(frequency, monetary)"),
    "CrossSellModel": (lambda: CrossSellModel().score_grid(None), "fit(portfolio)"),
    "RFMScorer": (lambda: RFMScorer().transform(X), "fit(X)"),
    "ABCClassifier": (lambda: ABCClassifier().predict([1.0]), "fit(values)"),
    "BehaviouralClusters": (lambda: BehaviouralClusters().predict(X), "fit(X)"),
    "PortfolioMatrix": (lambda: PortfolioMatrix().transform(X), "fit(X)"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_use_before_fit_raises_not_fitted_error(name):
    call, fit_call = CASES[name]
    with pytest.raises(NotFittedError) as err:
        call()
    message = str(err.value)
    assert name in message and "not fitted" in message and f"call {fit_call} first" in message
