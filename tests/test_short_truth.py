"""Short histories, lapsed accounts and spikes read truthfully (issue 17, helper SHORT).

* a lapsed account the backtest cannot judge carries what accounts as silent bought back in the history
  (not zero), with a range from zero; where none came back it is zero and the reason gives that figure;
* one order day with nobody reordering: the order once in the next 12 months, range zero to every month;
* a BTYD fit with one common purchase rate is not used without a check;
* a spike of an account ordering in a month or two per half-year counts as a usual month, and is named;
* a one-month buyer's silence is not compared with a gap between orders it never had.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from kamtools.forecast import selection
from kamtools.forecast.accounts import _evidence_words

T, H = 30, 6


def _silent_portfolio(back_at: int, every: int = 3):
    """40 steady accounts, 60 that ordered in months 0-5 (one in ``every`` comes back at ``back_at``), one lapsed."""
    rows, ids = [], []
    for i in range(40):
        rows.append(np.full(T, 100.0))
        ids.append(f"S{i:02d}")
    for i in range(60):
        r = np.zeros(T)
        r[:6] = 50.0
        if i % every == 0:
            r[back_at:] = 50.0
        rows.append(r)
        ids.append(f"P{i:02d}")
    r = np.zeros(T)
    r[:11] = 200.0
    rows.append(r)
    ids.append("LAPSED")
    return np.array(rows), np.array(ids)


def _select(y, ids, ev, **kw):
    h = H if ev is not None else 12
    mean = np.repeat(np.nan_to_num(y[:, -1:]), h, axis=1)
    return selection.select(
        y, ids, mean, {80: mean * 0.8, 95: mean * 0.7}, {80: mean * 1.2, 95: mean * 1.3}, mean * 0.15, ev, None, **kw
    )


def test_a_lapsed_account_the_backtest_cannot_judge_is_zero_with_a_range_where_most_such_accounts_stayed_away():
    y, ids = _silent_portfolio(back_at=25)
    sel = _select(y, ids, selection.build_evidence(y, ids, [T - 1 - H], H))
    i = list(ids).index("LAPSED")
    assert sel.method_words[i] == "lapsed: what such accounts bought back"
    # 14% of such silences ended in an order: nothing is the likeliest outcome (and the lowest absolute error)
    assert sel.mean[i].sum() == 0
    assert sel.reason[i] == (
        "Forecast zero. No order for 19 months, over four times its usual gap between orders: the test on past data "
        "had too few accounts silent this long to judge, and in this history 60 accounts that had ordered in several months were silent "
        "19 months or more; 33% of those silences ended in an order within up to 5 months, and they bought 33.3% of "
        "their former monthly level. Most such silences did not end in an order, so the forecast counts on nothing "
        "from it (the likeliest outcome); its range starts at zero and reaches what such accounts that came back "
        "bought."
    )
    lo, hi = selection.returning_range(sel, 12)
    assert lo[i] == 0.0 and hi[i] >= 12 * 200 * 0.5  # a return is in the range: up to what those that came back bought
    assert np.isnan(np.delete(lo, i)).all()


def _mixed_portfolio(repeat: int, once: int, levels=(25.0, 50.0, 100.0, 200.0), stay_away: int = 4):
    """40 steady accounts; ``repeat`` repeat buyers (months 0-5 at 50), of which one in ``stay_away`` never comes
    back and the others come back at month 25 at one of ``levels``; ``once`` one-month buyers (month 0 at 50) that
    all come back at month 25 (a yearly buyer's first year looks like a one-month buyer's silence); one lapsed
    repeat buyer (200 a month for 11 months)."""
    rows, ids = [np.full(T, 100.0) for _ in range(40)], [f"S{i:02d}" for i in range(40)]
    for i in range(repeat):
        r = np.zeros(T)
        r[:6] = 50.0
        if i % stay_away:
            r[25:] = levels[i % len(levels)]
        rows.append(r)
        ids.append(f"P{i:02d}")
    for i in range(once):
        r = np.zeros(T)
        r[0] = 50.0
        r[25:] = 50.0
        rows.append(r)
        ids.append(f"O{i:02d}")
    r = np.zeros(T)
    r[:11] = 200.0
    rows.append(r)
    ids.append("LAPSED")
    return np.array(rows), np.array(ids)


def test_a_lapsed_account_carries_the_middle_outcome_of_such_silences_where_most_ended_in_an_order():
    # 2 in 3 came back, at half to four times their level; each silence counts once
    y, ids = _mixed_portfolio(repeat=60, once=0, stay_away=3)
    sel = _select(y, ids, selection.build_evidence(y, ids, [T - 1 - H], H))
    i = list(ids).index("LAPSED")
    r = sel.return_of[i]
    assert r.once is False and np.isclose(r.bought, 40 / 60)
    assert sel.method[i] == "returning" and sel.mean[i].sum() > 0
    assert np.isclose(sel.mean[i].sum(), 200 * sel.factor[i] * H)
    assert f"; {sel.factor[i]:.1%} is the middle outcome" in (sel.reason[i])
    # the point has the lowest mean absolute error over what such silences led to: nothing, or a return
    outcomes = r.multiples
    came, gone = len(r.multiples), (1 - r.bought) / r.bought * len(r.multiples)

    def mae(x):
        return (gone * x + np.abs(outcomes - x).sum()) / (gone + came)

    f = sel.factor[i]
    assert 0 < f < r.share  # the median of skewed returns lies below their mean
    for other in (0.0, r.share, 0.8 * f, 1.2 * f):
        assert mae(f) <= mae(other) + 1e-12
    lo, hi = selection.returning_range(sel, 12)
    assert lo[i] == 0.0 and hi[i] > sel.mean[i].sum()


def test_a_repeat_buyers_point_is_not_read_from_one_month_buyers_coming_back():
    # 20 repeat buyers silent as long (too few alone), 40 one-month buyers that all came back: together most
    # such silences ended in an order, but that is the one-month buyers' rate, not a repeat buyer's
    y, ids = _mixed_portfolio(repeat=20, once=40, stay_away=2)
    sel = _select(y, ids, selection.build_evidence(y, ids, [T - 1 - H], H))
    i = list(ids).index("LAPSED")
    r = sel.return_of[i]
    assert r.once is None and r.bought > 0.5
    assert sel.method[i] == "returning" and sel.mean[i].sum() == 0
    assert sel.reason[i].endswith(
        "Fewer than 30 of them had ordered in several months, too few to tell how often an account like this one "
        "comes back (one-month buyers and repeat buyers come back at different rates), so the forecast counts on "
        "nothing from it; its range starts at zero and reaches what such accounts that came back bought."
    )
    lo, hi = selection.returning_range(sel, 12)
    assert lo[i] == 0.0 and hi[i] > 0  # a return stays in the range


def test_the_middle_outcome_is_zero_where_at_most_half_came_back_and_else_a_quantile_of_the_returns():
    def ev(bought, multiples):
        m = np.sort(np.asarray(multiples, float))
        return selection.ReturnEvidence(float(np.mean(m)) * bought, 40, bought, m, 12, 6, False)

    assert selection.return_median(ev(0.5, [1.0, 2.0])) == 0.0  # half came back: nothing is as likely
    assert selection.return_median(ev(0.3, [1.0, 2.0])) == 0.0
    assert selection.return_median(ev(1.0, [0.1, 0.2, 0.9])) == 0.2  # all came back: their median
    # 3 in 4 came back: the middle of all outcomes is the third of the way up the returns
    assert np.isclose(selection.return_median(ev(0.75, [0.0 + k for k in range(4)])), 1.0)


def test_a_lapsed_account_is_zero_where_no_account_as_silent_came_back_and_says_so():
    y, ids = _silent_portfolio(back_at=16)  # they came back after 10 months; none after 19
    sel = _select(y, ids, selection.build_evidence(y, ids, [T - 1 - H], H))
    i = list(ids).index("LAPSED")
    assert sel.method[i] == "zero" and sel.mean[i].sum() == 0
    assert (
        "in this history 40 accounts that had ordered in several months were silent 19 months or more; 0% of"
        in (sel.reason[i])
    )
    assert "shows no similar accounts coming back" not in sel.reason[i]


def test_one_order_day_where_nobody_reordered_is_that_order_once_with_a_range_from_zero():
    y = np.array([[72.0], [15.0], [300.0]])
    ids = np.array(["A", "B", "C"])
    sel = _select(y, ids, None, order_weeks=np.ones(3), data_weeks=17 / 7)
    assert set(sel.method) == {"window_mean"}
    assert np.allclose(sel.mean.sum(axis=1), [72.0, 15.0, 300.0])  # once in 12 months, not 12 times
    assert sel.reason[0].startswith(
        "Ordered in one week only in the 1 month of the data, and no account of the portfolio has ordered in two "
        "different weeks yet, so nothing shows how often accounts reorder"
    )
    lo, hi = selection.short_range(sel, sel.mean.sum(axis=1), 12)
    assert np.allclose(lo, 0.0) and np.allclose(hi, [864.0, 180.0, 3600.0])


def test_where_some_accounts_reordered_the_window_mean_stays_and_its_range_comes_from_its_own_weeks():
    y = np.array([[100.0], [400.0], [50.0]])
    ids = np.array(["A", "B", "C"])
    sel = _select(y, ids, None, order_weeks=np.array([1.0, 4.0, 2.0]), data_weeks=31 / 7, btyd_unidentified=True)
    assert np.allclose(sel.mean.sum(axis=1), [1200.0, 4800.0, 600.0])
    assert sel.reason[0].endswith(
        "A buying-rhythm model was fitted, but so short a history does not determine it: it gives every account "
        "about the same number of purchases, so it is not used."
    )
    m = sel.mean.sum(axis=1)
    lo, hi = selection.short_range(sel, m, 12)
    assert (lo < m).all() and (hi > m).all()
    # one week says less than four: a wider range, as a multiple of the forecast
    assert hi[0] / lo[0] > hi[1] / lo[1]


def test_a_btyd_fit_with_one_common_rate_is_unusable_without_a_check():
    def fit(shape, status="identified"):
        n = len(shape)
        return selection.BtydNow(np.zeros((n, 1)), np.zeros((n, 1)), np.asarray(shape, float), np.ones(n), status)

    assert selection.btyd_unusable(fit([4.2e6, 4.2e6 + 3]))  # no heterogeneity: every account the same rate
    # rates that still vary keep the fit, even where its other parameters are at the edge
    assert not selection.btyd_unusable(fit([0.5, 3.5], "unidentified"))
    assert not selection.btyd_unusable(fit([0.5, 3.5])) and not selection.btyd_unusable(None)


def test_a_spike_of_a_sparse_buyer_counts_as_a_usual_month_and_is_named():
    sparse = [100.0, 0, 120, 0, 110, 0, 0, 0, 0, 0, 3000.0, 0]  # one ordering month in its last 6
    steady = [100.0, 120, 110, 100, 3000.0, 105, 100, 110, 120, 100, 100, 105]
    capped, mask = selection.cap_spikes(np.array([sparse, steady]))
    assert mask[0, 10] and capped[0, 10] == 115.0  # its median ordering month
    assert mask[1, 4] and capped[1, 4] == 3 * 105.0  # an account ordering most months keeps the cap
    notes = selection.spike_notes(np.array([sparse, steady]), np.array(["recent_mean", "recent_mean"]))
    assert (
        "Its largest month (3.0k) was over 3 times its usual ordering month and counts as 115 in the mean" in (notes[0])
    )
    assert notes[1] == ""  # its spike lies outside the 6 months its mean reads


def test_a_one_month_buyers_silence_is_counted_in_months_without_an_order_and_not_against_a_gap():
    assert selection._one_time_reason(11, True).startswith("Ordered in one month only, none in the last 11 months:")
    c = selection.ClassChoice("zero", {}, {}, 0, True, np.nan)
    once = selection._lapsed_reason(14, c, once=True)
    assert once.startswith("Forecast zero: no order for 14 months after ordering in one month only")
    assert "usual gap" not in once


def test_the_methods_note_says_the_mean_of_last_12_months_was_the_mean_of_the_months_there_were():
    sel = SimpleNamespace(evidence=SimpleNamespace(origin=np.array([4, 4])))
    assert _evidence_words(sel, "level_12m") == (
        "mean of last 12 months (at the backtest's origin: the mean of the 5 months there were)"
    )
    assert _evidence_words(SimpleNamespace(evidence=SimpleNamespace(origin=np.array([13]))), "level_12m") == (
        "mean of last 12 months"
    )


def test_the_page_names_a_lapsed_accounts_method_in_a_sentence_a_reader_can_follow():
    import pandas as pd

    from kamtools.sections.forecast import method_sentence

    row = pd.Series({"method": selection.METHOD_WORDS["returning"], "method_reason": "No order for 12 months."})
    text = method_sentence(row, "Theta")
    assert text.startswith(
        "This account is treated as lapsed, and its forecast reads what accounts as silent bought back."
    )
    assert "uses the lapsed" not in text


def test_without_a_check_the_forecasts_use_the_family_whose_rates_vary_as_the_value_stage_names_it(
    tmp_path, monkeypatch
):
    """On a 3-month acquisition cohort the MBG/NBD fit runs to a common purchase rate (Gamma shape r = 272k on
    scipy 1.13, millions on 1.17) while the BG/NBD still tells accounts apart. scipy 1.13 put the MBG/NBD first
    (its parameters looked determined, the BG/NBD's did not) and the forecast then fell back to every account's
    mean month carried on for 12 months, the first-month extrapolation issue 17 found. Here the MBG/NBD is forced
    ahead on the likelihood: the value stage keeps it for the values but names the BG/NBD for the forecasts
    (kamtools.value.choose_btyd), its note says so, and the forecast takes the BG/NBD's expected value."""
    import pandas as pd
    import test_short_history as short

    from kamtools.bundle import analyze
    from kamtools.value import ModifiedBetaGeo, choice

    portfolio = short._acquisition_cohort(tmp_path / "data")
    ids = np.array(sorted(portfolio.accounts["account_id"]))
    end = pd.Timestamp("2026-03-31")
    assert selection.btyd_unusable(selection.btyd_fit(portfolio.orders, end, ids, 12, "mbg_nbd"))
    bg = selection.btyd_fit(portfolio.orders, end, ids, 12, "bg_nbd")
    assert not selection.btyd_unusable(bg)
    fit_quietly = choice._fit_quietly

    def mbg_ahead(cls, summary):  # as if the optimiser had left the MBG/NBD with the better likelihood
        est, messages = fit_quietly(cls, summary)
        if cls is ModifiedBetaGeo:
            est.log_likelihood_ += 100.0
        return est, messages

    monkeypatch.setattr(choice, "_fit_quietly", mbg_ahead)
    bundle = analyze(portfolio, tmp_path / "bundle", stages=["value", "forecast"], progress=False)
    model = bundle.table("value_model")
    chosen = model[(model["parameter"] == "chosen") & (model["estimate"] == 1)]
    assert chosen["model"].tolist() == ["mbg_nbd"]
    status = model[(model["model"] == "mbg_nbd") & (model["parameter"] == "fit_status")]
    assert status["note"].tolist() == ["common_rate"]
    assert model.loc[model["parameter"] == "forecast_family", "model"].tolist() == ["bg_nbd"]
    note = bundle.manifest["notes"]["value_model"]
    assert note.startswith("The value model is MBG/NBD, chosen over BG/NBD by the log-likelihood of the whole history")
    assert "The MBG/NBD fit gives every account the same purchase rate" in note
    assert "The account forecasts use the BG/NBD fit instead, whose purchase rates vary between accounts." in note
    row = bundle.table("forecast_summary").set_index("account_id").loc["N000"]
    assert row["forecast_method"] == "BTYD expected value"
    assert abs(row["forecast_next_12m"] - float(bg.paths[list(ids).index("N000")].sum())) < 1e-6
    total = bundle.table("forecast_summary")["forecast_next_12m"].sum()
    assert total < 0.5 * portfolio.orders["net_revenue"].sum() / 3 * 12


def _long_silent_portfolio(silent: int):
    """40 steady accounts; 30 repeat buyers (months 0-3 at 50) that came back at month 16, after 12 months without
    an order, at half, once or twice their level; 10 that never came back, so were silent at every month from the
    sixth on; one account that ordered 200 a month for 10 months and has been silent ``silent`` months since."""
    rows, ids = [np.full(T, 100.0) for _ in range(40)], [f"S{i:02d}" for i in range(40)]
    for i in range(40):
        r = np.zeros(T)
        r[:4] = 50.0
        if i < 30:
            r[16:] = (25.0, 50.0, 100.0)[i % 3]
        rows.append(r)
        ids.append(f"P{i:02d}")
    r = np.full(T, np.nan)
    r[T - silent - 10 : T - silent] = 200.0
    r[T - silent :] = 0.0
    rows.append(r)
    ids.append("LAPSED")
    return np.array(rows), np.array(ids)


def test_a_silence_counts_once_so_accounts_silent_for_years_do_not_outweigh_those_that_came_back():
    # 30 of the 40 silences of 12 months ended in an order. Counted at every month they lasted, the 10 that never
    # ended weighed 12 months each and 20% "came back": the point was zero. Each silence once: 75% came back.
    y, ids = _long_silent_portfolio(silent=12)
    sel = _select(y, ids, selection.build_evidence(y, ids, [T - 1 - H], H))
    i = list(ids).index("LAPSED")
    r = sel.return_of[i]
    assert (r.rows, r.bought, r.silence, r.per_silence) == (40, 0.75, 12, True)
    assert (
        "40 accounts that had ordered in several months were silent 12 months or more; 75% of those silences "
        in (sel.reason[i])
    )
    # the middle outcome: a third of the way up the returns (half, once, twice its level), 10 of each
    f = float(np.quantile(np.repeat([0.5, 1.0, 2.0], 10), 1 / 3))
    assert sel.method[i] == "returning" and np.isclose(sel.factor[i], f) and 0.8 < f < 0.9
    assert np.isclose(sel.mean[i].sum(), 200 * f * H)
    lo, hi = selection.returning_range(sel, 12)
    assert lo[i] == 0.0 and hi[i] == 12 * 200 * 2.0  # up to the largest return, twice the former level


def test_a_silence_longer_than_the_history_holds_enough_of_reads_the_shorter_ones_at_every_month():
    # only the 10 that never came back were silent 15 months: the 12-month silences stand in, each counted at every
    # month it lasted (at the month it reached 12 months, each would stand for silences shorter than this one)
    y, ids = _long_silent_portfolio(silent=15)
    sel = _select(y, ids, selection.build_evidence(y, ids, [T - 1 - H], H))
    i = list(ids).index("LAPSED")
    r = sel.return_of[i]
    assert (r.silence, r.per_silence) == (12, False) and r.bought < 0.25
    assert sel.method[i] == "returning" and sel.mean[i].sum() == 0
    assert (
        f"were silent 12 months or more; counted at every month they were that silent, {r.bought:.0%} of those "
        "months were followed by an order within up to 12 months"
    ) in sel.reason[i]
    # the conclusion speaks of what was counted: months, not silences
    assert "Most of those months did not end in an order" in sel.reason[i] and "Most such silences" not in sel.reason[i]
