"""From a single backtest origin, the accounts that take the whole portfolio's choice get an equal mix of the
kamtools model, the BTYD expected value and the mean of the last 6 months, unless the pooled pick erred clearly
less than the mix there; from two origins the pick stands as before."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.forecast import selection as S

H = 6
N = 20  # fewer than MIN_CLASS_ROWS: every account takes the whole portfolio's choice


def _case(origins: int, model_noise: float = 15.0, seed: int = 5):
    rng = np.random.default_rng(seed)
    months = 6 + 3 * (origins - 1) + H + 6  # the last origin leaves 6 months after its horizon
    y = 100.0 + rng.normal(0.0, 10.0, (N, months))
    ids = np.array([f"A{i:02d}" for i in range(N)])
    cuts = [5 + 3 * o for o in range(origins)]
    model, btyd = {}, {}
    for c in cuts:
        truth = y[:, c + 1 : c + 1 + H]
        model[c] = truth + rng.normal(0.0, model_noise, truth.shape)
        btyd[c] = truth + rng.normal(0.0, 15.0, truth.shape)
    ev = S.build_evidence(y, ids, cuts, H, model, btyd)
    now_model = np.full((N, H), 104.0)
    now_btyd = np.full((N, H), 96.0)
    lo = {80: now_model * 0.8, 95: now_model * 0.7}
    hi = {80: now_model * 1.2, 95: now_model * 1.3}
    sel = S.select(y, ids, now_model, lo, hi, now_model * 0.1, ev, now_btyd)
    return y, sel


def test_one_origin_mixes_the_methods_the_evidence_cannot_tell_apart():
    y, sel = _case(1)
    assert (sel.method == "combined").all()
    assert sel.method_words[0].startswith("equal mix of the kamtools model")
    mix = (104.0 + 96.0 + y[:, -6:].mean(axis=1)) / 3  # equal weights of model, BTYD and the 6-month mean
    assert np.allclose(sel.mean, sel.factor[:, None] * mix[:, None])
    assert (sel.factor <= 1.0).all()  # never scaled up from one origin
    reason = sel.reason[0]
    assert reason.startswith(
        "Based on an equal mix of three forecasts: a model of its own monthly history (the kamtools"
    )
    assert "single date" in reason and "the best single forecast" in reason
    assert (sel.lo[80] <= sel.mean + 1e-9).all() and (sel.hi[80] >= sel.mean - 1e-9).all()


def test_a_method_clearly_better_at_the_one_origin_is_kept():
    _, sel = _case(1, model_noise=0.0)  # the model was exact at the origin: clearly better than any mix
    assert (sel.method == "model").all()
    assert "equal mix" not in sel.reason[0]


def test_two_origins_pick_one_method_as_before():
    _, sel = _case(2)
    assert not (sel.method == "combined").any()


def test_the_methods_table_and_note_show_the_mix():
    from kamtools.forecast.accounts import _methods_note

    _, sel = _case(1)
    row = sel.methods.set_index("method").loc["combined"]
    assert row["accounts_using"] == N
    assert row["description"].startswith("equal mix of the kamtools model")
    note = _methods_note(sel)
    assert "A single backtest date could not tell these methods apart" in note
    _, sel2 = _case(2)
    assert "combined" not in set(sel2.methods["method"])
    assert "equal mix" not in _methods_note(sel2)


def test_the_forecast_section_says_when_accounts_take_the_mix():
    """The forecast page's paragraph on methods names the mix where accounts take it, and only then."""
    from kamtools.sections.forecast import _mix_sentence

    methods = pd.DataFrame({"method": ["btyd", "combined"], "accounts_using": [10, 30]})
    assert _mix_sentence(methods).startswith(
        " With a backtest at a single date, 30 accounts take an equal mix of methods instead"
    )
    assert _mix_sentence(methods.assign(accounts_using=[40, 0])) == ""
