"""Buy-till-you-die that fits B2B: MBG/NBD, the holdout choice, degenerate fits, report sentences.

MBG/NBD (Batislam, Gemici & Kaya 2007) lets an account stop right after its first
purchase, so a one-time buyer's P(alive) can fall below 1 (BG/NBD keeps it at 100%).
Correctness is checked against lifetimes' independent ``ModifiedBetaGeoFitter`` on the
real CDNOW sample.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from kamtools.value import (
    FIT_STATUSES,
    BetaGeo,
    ModifiedBetaGeo,
    choose_btyd,
    fit_status,
    rfm_summary,
)


def _lifetimes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("lifetimes")


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the CDNOW data ships with the 'lifetimes' package (test extra), which is not installed")
    raw = pd.read_csv(
        Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "dollars"],
    )
    tx = pd.DataFrame(
        {
            "account_id": raw["customer"].astype(str),
            "order_date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
            "net_revenue": raw["dollars"].astype(float),
        }
    )
    return rfm_summary(tx, as_of="1998-06-30", freq="D", unit="W", calibration_end="1997-09-30")


def _simulate(n: int, r: float, alpha: float, a: float, b: float, weeks: int, seed: int, mbg: bool) -> pd.DataFrame:
    """Orders (account_id, order_date, net_revenue) of a BG/NBD or MBG/NBD buying process, in days."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-02")
    rows = []
    for i in range(n):
        lam = rng.gamma(r, 1 / alpha)  # purchases per week
        p = rng.beta(a, b)
        t = rng.uniform(0, weeks / 3)
        times = [t]
        alive = not (mbg and rng.random() < p)  # MBG: may stop right after the first purchase
        while alive:
            t += rng.exponential(1 / max(lam, 1e-9))
            if t >= weeks:
                break
            times.append(t)
            alive = rng.random() >= p
        for tt in times:
            rows.append((f"C{i:04d}", start + pd.Timedelta(days=int(tt * 7)), 100.0))
    return pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])


# ---------------------------------------------------------------------------------------
# MBG/NBD against lifetimes
# ---------------------------------------------------------------------------------------
def test_mbg_matches_lifetimes_modified_beta_geo_fitter(cdnow_summary):
    lifetimes = _lifetimes()
    x, tx, T = cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]
    ours = ModifiedBetaGeo().fit(x, tx, T)
    theirs = lifetimes.ModifiedBetaGeoFitter().fit(x, tx, T)
    for name in ("r", "alpha", "a", "b"):
        assert ours.params_[name] == pytest.approx(float(theirs.params_[name]), rel=1e-5), name
    assert ours.converged_ and all(np.isfinite(list(ours.standard_errors_.values())))
    theirs.params_ = pd.Series(ours.params_)  # same parameters: the predictions must agree exactly
    for t in (1, 10, 39, 52, 200):
        np.testing.assert_allclose(
            ours.expected_purchases(t, x, tx, T),
            np.asarray(theirs.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T)),
            rtol=1e-6,
        )
    np.testing.assert_allclose(
        ours.p_alive(x, tx, T), np.asarray(theirs.conditional_probability_alive(x, tx, T)), rtol=1e-6
    )
    assert ours.expected_purchases_new(39) == pytest.approx(
        float(theirs.expected_number_of_purchases_up_to_time(39)), rel=1e-6
    )


def test_mbg_gradient_is_the_derivative_of_its_likelihood():
    x = np.array([0.0, 1, 3, 7, 0, 2])
    tx = np.array([0.0, 4, 20, 30, 0, 9])
    T = np.array([10.0, 30, 35, 31, 40, 12])
    theta = np.array([0.7, 5.0, 0.9, 2.5])
    f = lambda th: ModifiedBetaGeo._loglik_terms(th, x, tx, T)[0].sum()  # noqa: E731
    g = lambda th: ModifiedBetaGeo._loglik_terms(th, x, tx, T)[1].sum(axis=0)  # noqa: E731
    assert optimize.check_grad(f, g, theta) < 1e-5 * np.abs(g(theta)).max()


def test_one_time_buyers_get_p_alive_below_one_falling_with_silence(cdnow_summary):
    bg, mbg = BetaGeo().fit(cdnow_summary), ModifiedBetaGeo().fit(cdnow_summary)
    T = np.array([5.0, 20.0, 39.0])
    zero = np.zeros(3)
    assert (bg.p_alive(zero, zero, T) == 1.0).all()  # BG/NBD: no drop-out before the first repeat
    p = mbg.p_alive(zero, zero, T)
    assert (p < 1).all() and p[0] > p[1] > p[2] > 0
    # the chance of buying again within t is P(alive) times the chance a live account buys in t
    buy = mbg.p_purchase(39.0, zero, zero, T)
    assert (buy < p).all() and (buy > 0).all()


# ---------------------------------------------------------------------------------------
# choice between the two, degenerate fits
# ---------------------------------------------------------------------------------------
def test_holdout_prefers_mbg_when_accounts_stop_after_their_first_purchase():
    orders = _simulate(1500, r=1.0, alpha=4.0, a=1.0, b=2.0, weeks=104, seed=1, mbg=True)
    choice = choose_btyd(orders, as_of="2024-12-29")
    sel = choice.selection.set_index("model")
    assert choice.model.model_name == "mbg_nbd" and sel.loc["mbg_nbd", "chosen"]
    assert sel.loc["mbg_nbd", "holdout_log_likelihood"] > sel.loc["bg_nbd", "holdout_log_likelihood"]
    assert choice.holdout_weeks == 34
    assert choice.reason.startswith("The value model is MBG/NBD, chosen over BG/NBD by the log-likelihood of the last")
    # one-time buyers: BG/NBD says all alive; MBG/NBD's predicted share buying again is near what happened
    assert sel.loc["bg_nbd", "p_alive_one_time"] == pytest.approx(1.0)
    assert sel.loc["mbg_nbd", "p_alive_one_time"] < 0.8
    assert abs(sel.loc["mbg_nbd", "p_buy_again_one_time"] - sel.loc["mbg_nbd", "bought_again_one_time"]) < 0.1


def test_a_heavy_buyer_portfolio_without_drop_outs_is_reported_as_degenerate():
    # frequent buyers that practically never stop: the drop-out parameters are not identified
    orders = _simulate(300, r=8.0, alpha=8.0, a=1e-3, b=1e4, weeks=78, seed=2, mbg=False)
    choice = choose_btyd(orders)
    assert choice.status in ("no_dropout", "common_dropout")
    status, sentence = fit_status(choice.model)
    assert status == choice.status and sentence in choice.reason
    assert "P(alive) is close to 100% for every account" in choice.reason or "same probability" in choice.reason
    assert FIT_STATUSES.index(choice.status) > 0
    assert not choice.selection.set_index("model").loc[choice.model.model_name, "identified"]


def test_unidentified_rate_parameters_are_flagged():
    bg = BetaGeo()
    bg.params_ = {"r": 0.5, "alpha": 3.0, "a": 0.8, "b": 2.0}
    bg.standard_errors_ = {"r": 5.0, "alpha": 0.2, "a": 0.1, "b": 0.3}
    bg.at_bound_ = []
    status, sentence = fit_status(bg)
    assert status == "unidentified"
    assert sentence == (
        "The BG/NBD fit's parameters are not determined by this data (r = 0.5 with standard error 5), so its "
        "P(alive) and expected values are rough."
    )


def test_short_history_is_chosen_in_sample_and_says_so():
    orders = _simulate(400, r=1.0, alpha=2.0, a=1.0, b=3.0, weeks=16, seed=3, mbg=True)
    choice = choose_btyd(orders)
    assert choice.holdout_weeks == 0
    assert "too short to hold weeks out for a test" in choice.reason


# ---------------------------------------------------------------------------------------
# bundle, manifest and report sentences
# ---------------------------------------------------------------------------------------
def test_bundle_records_the_choice_in_the_manifest_and_the_model_table(small_portfolio, tmp_path):
    from kamtools.bundle import analyze

    bundle = analyze(small_portfolio, tmp_path / "b", stages=["value"], progress=False)
    note = bundle.manifest["notes"]["value_model"]
    assert note.startswith("The value model is ")
    # the demo's accounts hardly ever stop: the drop-out heterogeneity is not identified, and the note says so
    assert "cannot tell how the drop-out probability varies between accounts" in note
    model = bundle.table("value_model")
    chosen = model[(model["parameter"] == "chosen") & (model["estimate"] == 1)]
    assert len(chosen) == 1 and chosen["note"].iloc[0] == note
    assert {"bg_nbd", "mbg_nbd", "gamma_gamma"} <= set(model["model"])
    assert {"holdout_log_likelihood", "fit_status", "identified"} <= set(model["parameter"])


class _Bundle:
    def __init__(self, notes):
        self.notes = notes

    def note(self, name):
        return self.notes.get(name)


class _Account:
    """The parts of a bundle account the value section reads."""

    def __init__(self, row: dict, model: pd.DataFrame):
        self.account_id = row["account_id"]
        self._value = pd.DataFrame([row])
        self._model = model
        self.bundle = _Bundle({})
        self.info = row

    def table(self, name):
        return self._value

    def portfolio_table(self, name):
        return {"value_model": self._model, "value": self._value}.get(name, pd.DataFrame())


def _model_table(name: str, status: str) -> pd.DataFrame:
    rows = [
        {"model": name, "parameter": "chosen", "estimate": 1.0, "note": f"The value model is {name}."},
        {"model": name, "parameter": "fit_status", "estimate": float(FIT_STATUSES.index(status)), "note": status},
    ]
    return pd.DataFrame(rows)


def _value_row(frequency: int, p_alive: float) -> dict:
    return {
        "account_id": "A1",
        "frequency": frequency,
        "recency": 0.0 if frequency == 0 else 30.0,
        "T": 70.0,
        "monetary": 0.0,
        "p_alive": p_alive,
        "expected_purchases_12m": 0.4,
        "expected_avg_value": 120.0,
        "expected_value_12m": 45.0,
        "margin_pct": 0.3,
        "expected_margin_12m": 13.5,
        "value_share": 0.01,
    }


def test_report_sentences_follow_what_the_model_can_tell(captured):
    from kamtools.display import esc
    from kamtools.sections import value as section

    section.account_section(_Account(_value_row(0, 0.21), _model_table("mbg_nbd", "identified")))
    html = "".join(captured)
    assert "allows an account to stop right after its first purchase" in html
    assert "from 70 weeks of silence puts the chance that it is still an active buyer at 21%" in html
    assert "win-back" in html and "rhythm is intact" not in html

    captured.clear()
    section.account_section(_Account(_value_row(0, 1.0), _model_table("bg_nbd", "identified")))
    html = "".join(captured)
    assert "which is no evidence that it will buy" in html and "rhythm is intact" not in html
    assert 'kam-card good"' not in html  # a 100% the model cannot tell from silence is not shown as good news

    captured.clear()
    section.account_section(_Account(_value_row(5, 1.0), _model_table("bg_nbd", "no_dropout")))
    html = "".join(captured)
    assert esc("found no account in this portfolio's history that stopped buying") in html
    assert "rhythm is intact" not in html

    captured.clear()
    section.account_section(_Account(_value_row(5, 0.95), _model_table("mbg_nbd", "unidentified")))
    html = "".join(captured)
    assert "Its buying rhythm is intact (P(alive) 95%)." in html
    assert esc("The value model's parameters are not determined by this portfolio's data") in html
