"""The accuracy the report shows is the accuracy of what it forecasts (issue 17).

The overview's "How accurate is the forecast?" table leads with the forecast as shipped (each
account's chosen method and correction factor at the backtest's origins), names the kamtools model
as one candidate and how many accounts use it, and says what its coverage counts (account-months,
horizon totals). Each account's appendix describes the method that account uses. A tie is called
a tie ("as good as"), never "the lowest".
"""

from __future__ import annotations

import re
from html import unescape
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kamtools.forecast import selection
from kamtools.forecast.backtest import CHOSEN_WORDS, backtest, chosen_accuracy

START = pd.Timestamp("2024-01-01")


def _text(captured: list[str]) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", "".join(captured)))


# ---------------------------------------------------------------------------------------
# the figures: each account's chosen method at the backtest's origin, by hand
# ---------------------------------------------------------------------------------------
def _history() -> pd.DataFrame:
    """14 months of three accounts: A stops after month 12, B alternates 10/20 then buys 30 twice, C 5/7 on."""
    months = pd.date_range(START, periods=14, freq="MS")
    a = [10.0, 12.0] * 6 + [0.0, 0.0]
    b = [10.0, 20.0] * 6 + [30.0, 30.0]
    c = [5.0, 7.0] * 7
    return pd.DataFrame(
        {"unique_id": np.repeat(["A", "B", "C"], 14), "ds": np.tile(months, 3), "y": np.array(a + b + c)}
    )


def _selection(hist: pd.DataFrame, bt) -> SimpleNamespace:
    """What the forecast stage's selection holds, chosen by hand: A zero, B the 6-month mean doubled, C the model."""
    y, ids, months = selection.wide_history(hist)
    cut = int(months.get_loc(pd.Timestamp(bt.forecasts["cutoff"].iloc[0])))
    grid = np.full((3, 2), np.nan)
    for i, uid in enumerate(ids):
        grid[i] = bt.forecasts.loc[bt.forecasts["unique_id"] == uid, "forecast"].to_numpy()
    ev = selection.build_evidence(y, ids, [cut], 2, {cut: grid}, None)
    ones = np.ones((3, 12))
    return SimpleNamespace(
        ids=ids,
        method=np.array(["zero", "recent_mean", "model"]),
        method_words=np.array(["lapsed: zero", "mean of last 6 months", "kamtools model"]),
        factor=np.array([0.0, 2.0, 1.0]),
        mean=ones,  # today's interval as multiples of the forecast: 0.5-1.5 (80%), 0.25-1.75 (95%)
        lo={80: 0.5 * ones, 95: 0.25 * ones},
        hi={80: 1.5 * ones, 95: 1.75 * ones},
        model_intervals=np.array([False, False, True]),
        evidence=ev,
    )


def test_the_forecast_as_shipped_is_each_accounts_chosen_method_at_the_backtest_origin():
    hist = _history()
    bt = backtest(hist, horizon=2, n_windows=1, min_train=6, level=(80, 95), freq="MS", n_jobs=1)
    per = bt.per_series.rename(columns={"unique_id": "account_id"})
    per["horizon"] = 2
    acc = bt.overall.assign(horizon=2, n_windows=1, n_windows_planned=1)
    sel = _selection(hist, bt)
    summary = pd.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "forecast_next_12m": [0.0, 100.0, 60.0],
            "forecast_next_12m_lo_80": [0.0, 50.0, 30.0],
            "forecast_next_12m_hi_80": [0.0, 200.0, 90.0],
        }
    )
    out, table = chosen_accuracy(bt, per, acc, sel, summary)

    assert list(table["method"]) == ["chosen", "model", "recent_mean"]
    assert table["description"].tolist()[:2] == [
        CHOSEN_WORDS,
        "kamtools model (one candidate, used by 1 of 3 accounts)",
    ]
    rows = out.set_index("account_id")
    assert rows["method"].tolist() == ["lapsed: zero", "mean of last 6 months", "kamtools model"]
    assert (rows["n_windows_chosen"] == 1).all()
    # A: zero against the two empty months; B: twice the last 6 months' mean (15) = 30, what it bought
    assert rows.loc["A", "mase_chosen"] == 0 and rows.loc["B", "mase_chosen"] == 0
    assert rows.loc["B", "bias_pct_chosen"] == 0 and np.isnan(rows.loc["A", "bias_pct_chosen"])
    assert rows.loc["A", "coverage_80_chosen"] == 1 and rows.loc["B", "coverage_80_chosen"] == 1
    # C keeps the model: the same figures as the model's backtest (its own intervals, factor 1)
    for col in ("mase", "smape", "bias_pct", "coverage_80", "coverage_95"):
        assert rows.loc["C", f"{col}_chosen"] == pytest.approx(rows.loc["C", col])
    # the whole: the shipped forecasts' error over all the account-months, beside the model's on the same months
    f = bt.forecasts
    c_err = (f.loc[f["unique_id"] == "C", "forecast"] - [5.0, 7.0]).sum()
    shipped = table.set_index("method").loc["chosen"]
    assert shipped["bias_pct"] == pytest.approx(100 * c_err / (0 + 60 + 12))
    model_err = (f["forecast"] - f["y"]).sum()
    assert table.set_index("method").loc["model", "bias_pct"] == pytest.approx(100 * model_err / 72)
    assert shipped["zero_months"] == pytest.approx(2 / 6)  # A's two months
    # horizon totals: A's 0 in [0, 0], B's 60 in [30, 120]; C's inside its range as multiples 0.5-1.5
    c_tot = f.loc[f["unique_id"] == "C", "forecast"].sum()
    c_in = 0.5 * c_tot <= 12.0 <= 1.5 * c_tot
    assert rows.loc["C", "coverage_total_80_chosen"] == float(c_in)
    assert shipped["coverage_total_80"] == pytest.approx((2 + c_in) / 3)


# ---------------------------------------------------------------------------------------
# what the reader sees: the overview's table and an account's appendix
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=12, years=2, seed=3)
    return analyze(portfolio, tmp_path_factory.mktemp("acc") / "b", stages=["forecast"], progress=False)


def test_the_overview_table_leads_with_the_forecast_as_shipped(bundle, captured):
    from kamtools.sections import forecast as section

    section.portfolio_appendix(bundle)
    text = _text(captured)
    part = text[text.index("How accurate is the forecast?") : text.index("Which method each account")]
    acc = bundle.table("forecast_accuracy").set_index("method")
    uses = bundle.table("forecast").drop_duplicates("account_id")["method"]
    n_model = int((uses == "kamtools model").sum())
    # the first row is the forecast as shipped, with its own figures; the model is one candidate, counted
    first = part.index("forecast as shipped (each account's chosen method)")
    model = part.index(f"kamtools model (one candidate, used by {n_model} of 12 accounts)")
    assert first < model < part.index("the mean of the last 6 months")
    row = re.sub(r"\s+", " ", part[first:model])
    shipped = acc.loc["chosen"]
    assert f"{shipped['mase']:.2f}" in row and f"{shipped['coverage_80']:.0%}" in row
    assert f"{shipped['coverage_total_80']:.0%}" in row
    assert (
        f"{shipped['mase']:.2f} for the forecast as shipped, {acc.loc['model', 'mase']:.2f} for the kamtools model"
        in (re.sub(r"\s+", " ", part))
    )
    # what coverage counts, and that the choice was learnt on the same backtests
    flat = re.sub(r"\s+", " ", part)
    assert "The interval columns count account-months" in flat
    assert f"{shipped['zero_months']:.0%} of them had no revenue" in flat
    cases = int(bundle.table("forecast_backtest")["n_windows_chosen"].sum())
    assert "Totals inside 80% range counts horizon totals" in flat and f"of the {cases:,} account-origins" in flat
    assert "(an account counts once for each backtest origin it was checked at, where the Accounts column" in flat
    assert "learnt on these same backtests" in flat
    assert "kamtools forecast" not in text


def test_an_accounts_appendix_describes_the_method_it_uses(bundle, captured):
    from kamtools.sections import forecast as section

    per = bundle.table("forecast_backtest").set_index("account_id")
    other = per[(per["method"] != "kamtools model") & (per["n_windows_chosen"] == per["n_windows"])]
    assert len(other), "the demo should have an account on a simple method"
    uid = other.index[0]
    row = other.loc[uid]
    section.account_appendix(bundle.account(uid))
    flat = re.sub(r"\s+", " ", _text(captured))
    assert f"the forecast ({row['method']})" in flat
    assert f"MASE {row['mase_chosen']:.2f} vs {row['mase_naive']:.2f}" in flat
    months = int(row["n_windows_chosen"] * row["horizon"])
    assert f"of {months} actual months fell inside its 80% interval" in flat
    assert (
        f"The kamtools model, one of the candidates and not used for this account, had MASE {row['mase']:.2f}" in flat
    )
    assert "not used here" not in flat


# ---------------------------------------------------------------------------------------
# a tie is not "the lowest"
# ---------------------------------------------------------------------------------------
def test_a_tie_in_mase_reads_as_good_as():
    from kamtools.sections.forecast import accuracy_sentence, chosen_sentence

    row = pd.Series({"mase": 0.831, "mase_naive": 0.829, "n_windows": 1, "horizon": 6, "baseline": "recent_mean"})
    text = accuracy_sentence(row)
    assert "the forecast was as good as the mean of the last 6 months (MASE 0.83 vs 0.83" in text
    assert "0% higher" not in text and "0% lower" not in text
    row = pd.Series(
        {
            "method": "BTYD expected value",
            "mase": 0.9,
            "mase_chosen": 0.83,
            "mase_naive": 0.834,
            "n_windows": 1,
            "n_windows_chosen": 1,
            "horizon": 6,
            "baseline": "recent_mean",
            "coverage_80_chosen": 5 / 6,
            "coverage_total_80_chosen": 1.0,
        }
    )
    text = chosen_sentence(row)
    assert text.startswith(
        "In 1 backtest (forecasting 6 months ahead from earlier dates and comparing with what happened), the forecast "
        "(BTYD expected value) was as good as the mean of the last 6 months (MASE 0.83 vs 0.83"
    )
    assert "5 of 6 actual months fell inside its 80% interval" in text
    assert "its 6-month total fell inside its 80% range in 1 of 1 backtest." in text
    assert text.endswith("The kamtools model, one of the candidates and not used for this account, had MASE 0.90.")


def test_a_class_choice_tied_on_the_shown_figures_is_as_good_as_not_the_lowest():
    # 35.81 and 35.84 both read 35.8: a tie on the figures the reader sees
    tie = selection.ClassChoice("btyd", {"btyd": 1.06}, {"btyd": 35.81, "recent_mean": 35.84}, 40, False, 0.9)
    text = selection._class_reason("btyd", 4, tie, 1.06)
    assert "lowest" not in text
    assert text.startswith(
        "Based on how often and how much it has bought, with the chance that it has stopped (the buying-rhythm "
        "model), raised by 6%. In a test on past data among accounts"
    )
    assert (
        "this forecast missed their totals by 35.8 on average, as little as the average of the last 6 months;" in text
    )
    # with the kamtools model compared too, its figure stays beside the tie
    tie = selection.ClassChoice("btyd", {}, {"btyd": 35.81, "recent_mean": 35.84, "model": 50.0}, 40, False, 0.9)
    text = selection._class_reason("btyd", 4, tie, 1.0)
    assert (
        "missed their totals by 35.8 on average, as little as the average of the last 6 months (the kamtools model missed by 50)."
        in text
    )
    # a clear winner keeps "the least"
    win = selection.ClassChoice("btyd", {}, {"btyd": 30.0, "recent_mean": 36.1}, 40, False, 0.9)
    assert "the least of the forecasts compared" in selection._class_reason("btyd", 4, win, 1.0)


def test_a_class_choice_that_is_not_the_lowest_error_says_why_it_was_taken():
    # the steadiness rule: the model erred a little less but needed a large correction
    steady = selection.ClassChoice(
        "btyd", {"btyd": 1.02, "model": 0.4}, {"btyd": 17.0, "model": 16.0, "recent_mean": 30.0}, 40, False, 0.9
    )
    text = selection._class_reason("btyd", 4, steady, 1.02)
    assert "lowest" not in text
    assert "although the kamtools model missed slightly less in a test on past data among accounts" in text
    assert (
        "(this forecast missed their totals by 17 on average, against 16): the kamtools model had to be lowered to 40%"
        in text
    )
    # the class's choice gives this account no forecast: the next best method is used, and said so
    text = selection._class_reason("recent_mean", 4, steady, 1.0)
    assert "lowest" not in text
    assert text.startswith(
        "Based on its average month over the last 6 months, because the buying-rhythm model, which missed less"
    )
    assert "(their totals off by 17 on average, against 30 for this forecast), gives no forecast" in text


def test_the_methods_note_calls_a_tie_with_the_model_no_better_not_lost(monkeypatch):
    from kamtools.forecast import accounts, notes

    mae = {"model": 30.02, "recent_mean": 29.98, "btyd": 27.0}  # the first two both read 30
    factor = {"model": 0.43, "recent_mean": 0.32, "btyd": 0.98}
    monkeypatch.setattr(
        notes, "_pooled_comparison", lambda sel: ("btyd", factor, mae, 340, ("model", "recent_mean", "btyd"))
    )
    sel = SimpleNamespace(
        method=np.array(["btyd"] * 3),
        method_words=np.array(["BTYD expected value"] * 3),
        evidence=SimpleNamespace(horizon=6, origin=np.array([0, 1]), chosen=False, paths={}),
    )
    # the best simple method is the BTYD (27 against the model's 30): lost
    assert "The kamtools model lost to the BTYD expected value overall (30 against 27)" in accounts._methods_note(sel)
    mae["btyd"] = 30.4  # now the mean of the last 6 months (30) is the rival, and 30 against 30 is a tie
    note = accounts._methods_note(sel)
    assert "The kamtools model did no better than the mean of last 6 months overall (30 against 30)" in note
    assert "lost to" not in note


def test_the_methods_note_keeps_small_errors_apart_and_counts_with_separators(monkeypatch):
    # an order log without amounts (each order worth 1): the errors are around 1 and read "1 against 1" before
    from kamtools.forecast import accounts, notes

    mae = {"model": 1.27, "recent_mean": 1.50, "btyd": 1.21}
    factor = {"model": 0.39, "recent_mean": 0.43, "btyd": 0.74}
    monkeypatch.setattr(
        notes, "_pooled_comparison", lambda sel: ("btyd", factor, mae, 539, ("model", "recent_mean", "btyd"))
    )
    sel = SimpleNamespace(
        method=np.array(["btyd"] * 1220 + ["zero"] * 52),
        method_words=np.array(["BTYD expected value"] * 1220 + ["lapsed: zero"] * 52),
        evidence=SimpleNamespace(horizon=6, origin=np.array([0]), chosen=False, paths={}),
    )
    note = accounts._methods_note(sel)
    assert "kamtools model 1.27; mean of last 6 months 1.50; BTYD expected value 1.21" in note
    assert "The kamtools model lost to the BTYD expected value overall (1.27 against 1.21)" in note
    assert "Accounts by method: BTYD expected value 1,220, lapsed: zero 52." in note


def test_a_method_that_had_no_forecast_at_the_origin_is_left_out_and_said_so():
    from kamtools.sections.forecast import chosen_sentence

    hist = _history()
    bt = backtest(hist, horizon=2, n_windows=1, min_train=6, level=(80, 95), freq="MS", n_jobs=1)
    per = bt.per_series.rename(columns={"unique_id": "account_id"}).assign(horizon=2)
    acc = bt.overall.assign(horizon=2, n_windows=1, n_windows_planned=1)
    sel = _selection(hist, bt)
    sel.method = np.array(["zero", "seasonal_naive", "model"])  # B: seasonal naive, which 12 months cannot give
    sel.method_words = np.array(["lapsed: zero", "seasonal naive", "kamtools model"])
    summary = pd.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "forecast_next_12m": [0.0, 100.0, 60.0],
            "forecast_next_12m_lo_80": [0.0, 50.0, 30.0],
            "forecast_next_12m_hi_80": [0.0, 200.0, 90.0],
        }
    )
    out, table = chosen_accuracy(bt, per, acc, sel, summary)
    rows = out.set_index("account_id")
    assert rows.loc["B", "n_windows_chosen"] == 0 and np.isnan(rows.loc["B", "mase_chosen"])
    # every row of the table is measured on the same account-months: A's and C's (4 of the 6)
    model_on_a_c = bt.forecasts[bt.forecasts["unique_id"] != "B"]
    err = (model_on_a_c["forecast"] - model_on_a_c["y"]).sum()
    assert table.set_index("method").loc["model", "bias_pct"] == pytest.approx(100 * err / 12)
    assert table.set_index("method").loc["chosen", "zero_months"] == pytest.approx(2 / 4)
    text = chosen_sentence(rows.loc["B"])
    assert text.startswith(
        "The method this account's forecast uses, the seasonal naive, could not be applied at any of its backtest "
        "origins, so its accuracy is not known."
    )
    assert "The kamtools model, one of the candidates and not used for this account, had MASE" in text


def test_a_lapsed_accounts_appendix_names_the_zero_forecast_once():
    from kamtools.sections.forecast import chosen_sentence

    row = pd.Series(
        {
            "method": "lapsed: zero",
            "mase": 0.85,
            "mase_chosen": 0.0,
            "mase_naive": 0.42,
            "n_windows": 2,
            "n_windows_chosen": 2,
            "horizon": 6,
            "baseline": "recent_mean",
            "coverage_80_chosen": 1.0,
            "coverage_total_80_chosen": 1.0,
        }
    )
    text = chosen_sentence(row)
    assert (
        "the error of the zero forecast (the account is treated as lapsed) was 100% lower than that of the mean" in text
    )
    assert "((" not in text and "))" not in text
    assert "12 of 12 actual months fell inside its 80% interval" in text


def test_an_account_on_the_mean_of_6_months_is_not_set_beside_itself():
    """CDNOW top 300 (FC12): C07592 on the mean of the last 6 months read "the error of the forecast (mean of last 6
    months) was 37% lower than that of the mean of the last 6 months": the one corrected, the other as it is."""
    from kamtools.sections.forecast import chosen_sentence

    row = pd.Series(
        {
            "method": "mean of last 6 months",
            "mase": 1.02,
            "mase_chosen": 0.64,
            "mase_naive": 1.02,
            "n_windows": 1,
            "n_windows_chosen": 1,
            "horizon": 6,
            "baseline": "recent_mean",
        }
    )
    text = chosen_sentence(row)
    assert (
        "the error of the forecast (mean of last 6 months, corrected as for this account) was 37% lower than that of "
        "the mean of the last 6 months as it is (MASE 0.64 vs 1.02 for mean of last 6 months as it is)" in text
    )
