"""Monthly ranges of a list chosen by revenue, widened to every account the cut took (issue 17, TOPRANGE).

In a list chosen by revenue the point is learnt on the backtest rows whose place on the list held whatever the
months checked brought, the list's heaviest and steadiest. Each bound of the class's monthly multiples is also read
on every account the cut took at the origin (``Evidence.taken``, calibrated on those rows themselves), and the
wider one is kept, so that the list's less steady accounts are inside their range 8 months in 10 too (the Complete
Journey's top lists held 64-78% before); the point does not move."""

import numpy as np
import pandas as pd
from test_forecast_chosen_by_revenue import _top40

from kamtools.forecast import accounts
from kamtools.forecast.selection import Evidence, build_evidence, choose_by_class, wide_history
from kamtools.forecast.selection.choice import QUANTILES, _quantiles

H = 3
K = 7  # the one class of the rows


def _accounts(rng, n: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """(actual, forecast) months of ``n`` accounts straying from their forecast by a level of their own (log sd
    ``spread``) and by month."""
    fc = rng.gamma(4.0, 50.0, size=(n, 1)) * np.ones((n, H))
    act = fc * np.exp(rng.normal(0, spread, size=(n, 1)) + rng.normal(0, 0.1, size=(n, H)))
    return act, fc


def _evidence(act: np.ndarray, fc: np.ndarray, taken: Evidence | None = None) -> Evidence:
    r = len(act)
    return Evidence(
        account=np.array([f"A{i}" for i in range(r)]),
        klass=np.full(r, K),
        scale=np.ones(r),
        actual=act,
        paths={"recent_mean": fc},
        lapsed_ref=np.ones(r),
        horizon=H,
        origin=np.zeros(r, dtype=int),
        chosen=True,
        taken=taken,
    )


def _list(rng) -> tuple[Evidence, Evidence]:
    """(the rows whose place held: 40 steady accounts; the same evidence with every account the cut took, those
    and 120 less steady ones, as ``taken``)."""
    steady = _accounts(rng, 40, 0.1)
    other = _accounts(rng, 120, 0.45)
    held = _evidence(*steady)
    taken = _evidence(np.vstack([steady[0], other[0]]), np.vstack([steady[1], other[1]]))
    return held, _evidence(*steady, taken=taken)


def _inside(choice, rng) -> float:
    """Share of the months of new accounts of the list's kind (1 steady in 4) inside the class's 80% range."""
    q = choice.q["recent_mean"]
    lo, hi = np.interp(0.1, QUANTILES, q), np.interp(0.9, QUANTILES, q)
    steady, other = _accounts(rng, 100, 0.1), _accounts(rng, 300, 0.45)
    act, fc = np.vstack([steady[0], other[0]]), np.vstack([steady[1], other[1]]) * choice.factor["recent_mean"]
    return float(np.mean((act >= lo * fc) & (act <= hi * fc)))


def test_the_list_s_less_steady_accounts_are_inside_their_range_eight_months_in_ten():
    rng = np.random.default_rng(17)
    held, with_taken = _list(rng)
    before, _ = choose_by_class(held, ("recent_mean",))
    after, pooled = choose_by_class(with_taken, ("recent_mean",))
    # the point does not move: the same method and factor, learnt on the rows whose place held
    assert after[K].method == before[K].method == "recent_mean"
    assert after[K].factor == before[K].factor and pooled.factor == choose_by_class(held, ("recent_mean",))[1].factor
    check = np.random.default_rng(5)
    assert _inside(before[K], check) < 0.55  # the steadiest accounts' multiples: far too narrow for the list
    assert 0.76 <= _inside(after[K], np.random.default_rng(5)) <= 0.86
    # each bound the wider of the two: here every account the cut took, calibrated on those rows themselves
    t = with_taken.taken
    centre = t.actual.sum() / t.paths["recent_mean"].sum()
    assert np.allclose(after[K].q["recent_mean"], _quantiles(t, np.arange(len(t.account)), "recent_mean", centre))
    assert pooled.q["recent_mean"][2] == after[K].q["recent_mean"][2]  # the whole portfolio's reads them too


def test_where_the_rows_whose_place_held_strayed_further_their_bounds_stay():
    """Each bound is the wider of the two readings: the rows of every account the cut took never narrow a range
    (among the accounts whose place needed the months checked, those that bought little dropped off the list and
    are not seen, so their lower tail is cut off)."""
    rng = np.random.default_rng(23)
    wild, steady = _accounts(rng, 40, 0.45), _accounts(rng, 160, 0.05)
    taken = _evidence(np.vstack([wild[0], steady[0]]), np.vstack([wild[1], steady[1]]))
    own = choose_by_class(_evidence(*wild), ("recent_mean",))[0][K].q["recent_mean"]
    got = choose_by_class(_evidence(*wild, taken=taken), ("recent_mean",))[0][K].q["recent_mean"]
    assert np.array_equal(got, own)


def test_a_list_whose_places_held_keeps_every_account_the_cut_took_for_its_ranges():
    p = _top40()
    y, ids, months = wide_history(p.monthly(by="account")[["unique_id", "ds", "y"]])
    ev, _ = accounts._evidence(p, y, ids, months, [11, 14], 6, None, None)
    index = pd.Index(p.accounts["account_id"].astype(object))
    from kamtools.churn.lapsed import chosen_at

    taken, _ = chosen_at(p, index, [(months[c] + pd.offsets.MonthEnd(0)).normalize() for c in (11, 14)])
    assert ev.taken is not None and len(ev.taken.account) > len(ev.account)
    for c, t in zip((11, 14), taken, strict=True):
        assert sorted(ev.taken.account[ev.taken.origin == c]) == sorted(ids[t])


def test_without_a_cut_of_places_held_the_ranges_read_the_evidence_itself(monkeypatch):
    p = _top40()
    y, ids, months = wide_history(p.monthly(by="account")[["unique_id", "ds", "y"]])
    monkeypatch.setattr(accounts, "place_held", lambda y, c, h, floor: np.zeros(len(y), dtype=bool))
    ev, _ = accounts._evidence(p, y, ids, months, [11, 14], 6, None, None)
    assert ev.taken is None  # the evidence is already every account the cut took
    every = build_evidence(y, ids, [11, 14], 6)
    assert every.taken is None
