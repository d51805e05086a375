"""`analyze` on short order histories (issue 17): 1, 3, 8, 12 and 13 months, and a single order day.

A company with a new ERP has a few months of orders. Every stage must finish, adapt to
the history it has and say what it did and did not do, and why, in the manifest and in
the report sections. The portfolios are the 2-year demo portfolio (30 accounts) with the
orders before a date dropped, or with every order moved to one day; the other tables
(CRM, invoices, targets, ...) are left as they are, as a new ERP beside an older CRM.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape, unescape

import numpy as np
import pandas as pd
import pytest

from kamtools.data.portfolio import NotAvailable, Portfolio

AS_OF = pd.Timestamp("2026-10-31")  # the demo's default analysis date
ORDER_DAY = pd.Timestamp("2026-10-20")


@lru_cache(maxsize=1)
def _demo() -> Portfolio:
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=30, years=2, seed=1, groups=0)  # orders on 2026-08-01 (see below)
    assert portfolio.as_of == AS_OF
    return portfolio


def months_of_history(months: int) -> Portfolio:
    """The demo portfolio with only the orders of the last ``months`` calendar months."""
    p = _demo()
    start = AS_OF + pd.Timedelta(days=1) - pd.DateOffset(months=months)
    orders = p.orders[p.orders["order_date"] >= start].reset_index(drop=True)
    return Portfolio({**p.tables, "orders": orders}, AS_OF)


def one_order_day(as_of: pd.Timestamp = AS_OF) -> Portfolio:
    """The last three months' orders of the demo, all placed on one day (an export's first day)."""
    p = months_of_history(3)
    orders = p.orders.assign(order_date=ORDER_DAY)
    out = Portfolio({**p.tables, "orders": orders}, AS_OF)
    return out if as_of == AS_OF else out.truncate(as_of)


_BUNDLES: dict[str, object] = {}


def bundle_for(key: str, portfolio_fn, tmp_path_factory):
    """Analyse once per case (several tests read the same bundle); a fresh folder each time."""
    if key not in _BUNDLES:
        from kamtools.bundle import analyze

        _BUNDLES[key] = analyze(portfolio_fn(), tmp_path_factory.mktemp(f"short-{key}") / "bundle", progress=False)
    return _BUNDLES[key]


def _no_growth_where_the_prior_year_is_missing(bundle) -> None:
    """No "vs prior 12 months" figure when the history does not reach back two years."""
    kpis = bundle.table("kpis")
    assert kpis["growth_pct"].isna().all() and kpis["revenue_prior_ltm"].isna().all()
    assert kpis["growth_ytd_pct"].isna().all()
    assert bundle.table("kpis_portfolio")["growth_pct"].isna().all()
    assert "Growth against the 12 months before the last 12" in bundle.note("kpis")
    seg = bundle.table("segments")
    assert "growing" not in " ".join(seg["cluster_name"].astype(str)) and "shrinking" not in " ".join(
        seg["cluster_name"].astype(str)
    )
    # the matrix does not rank accounts on a fake growth: the criterion drops out
    assert "score_growth" not in seg.columns or seg["score_growth"].isna().all()
    lanes = bundle.table("tradelanes")
    if isinstance(lanes, pd.DataFrame):
        assert (lanes["status"] == "no prior year").all() and lanes["revenue_prior"].isna().all()
    assert "needs 24 months of order history" in bundle.reason("tradelanes_summary").reason


def _history(bundle) -> str:
    return bundle.manifest["history"]["description"]


# ---------------------------------------------------------------------------------------
# 1, 3 and 8 months: no backtest, no growth, churn says how much history it needs
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("months", [1, 8])
def test_one_and_eight_months_finish_and_say_what_is_missing(months, tmp_path_factory):
    bundle = bundle_for(f"{months}m", lambda: months_of_history(months), tmp_path_factory)
    m = bundle.manifest
    assert m["history"]["months"] == months and m["history"]["complete_months"] == months
    # the forecast exists; its backtest is skipped with the history length and what it needs
    fc = bundle.table("forecast")
    assert isinstance(fc, pd.DataFrame) and fc.groupby("account_id").size().eq(12).all()
    reason = m["skipped"]["forecast_backtest"]
    assert (
        reason.startswith(f"{months} month")
        and "too short to test the" in reason
        and "on past data" in reason
        and "backtest" not in reason
        and "at least 9" in reason
    )
    assert isinstance(bundle.table("forecast_accuracy"), NotAvailable)
    assert bundle.table("forecast_summary")["forecast_growth_pct"].isna().all()
    assert _history(bundle) in bundle.note("forecast_growth_pct")
    # churn: no model, and the reason says how many months it needs and how many there are
    assert "needs about 27 months" in m["notes"]["churn"] and _history(bundle) in m["notes"]["churn"]
    churn = bundle.table("churn")
    active = churn[churn["risk_band"].isin(["high", "medium", "low"])]
    assert active["method"].str.contains("needs about 27 months of order history").all()
    assert "needs more than 24 months" in m["skipped"]["health"]
    assert _history(bundle) in m["notes"]["value"]  # expected values rest on a short history
    _no_growth_where_the_prior_year_is_missing(bundle)


def test_three_months_and_the_account_report_says_so(tmp_path_factory, captured):
    from kamtools.sections import forecast as forecast_section
    from kamtools.sections import kpis as kpis_section
    from kamtools.sections import summary as summary_section

    bundle = bundle_for("3m", lambda: months_of_history(3), tmp_path_factory)
    assert _history(bundle) == "3 months of order history (since 2026-08-01)"
    assert "3 months of history: too short to test the forecast" in bundle.manifest["skipped"]["forecast_backtest"]
    _no_growth_where_the_prior_year_is_missing(bundle)
    # this year's target: January to July are not in the data, so no attainment or gap is claimed
    assert set(bundle.table("forecast_targets")["period"]) == {2027}
    assert bundle.note("forecast_targets").startswith("Target attainment for 2025 and 2026 is not shown")
    kpis = bundle.table("kpis")
    assert kpis["target"].notna().any() and kpis["target_attainment"].isna().all() and kpis["target_pace"].isna().all()
    assert not (bundle.table("plan_risks")["rule_id"] == "target_gap").any()

    # the biggest account's report: what was done, what was not, and why
    acct = bundle.account(bundle.accounts.sort_values("revenue_ltm").iloc[-1]["account_id"])
    forecast_section.account_section(acct)
    forecast_section.account_appendix(acct)  # the backtest is in the report's appendix
    html = "".join(captured)
    assert "3 months of history: too short to test the forecast on past data" in html
    assert "Change vs last 12 months" in html and "not available" in html
    assert "repeating last year" not in html and "seasonal naive" not in html
    captured.clear()
    kpis_section.account_section(acct)
    html = "".join(captured)
    assert "vs last year" not in html  # no year-on-year growth card
    assert "are not shown: this portfolio has 3 months of order history" in html
    captured.clear()
    summary_section.account_section(acct)
    assert "This portfolio has 3 months of order history (since 2026-08-01)" in "".join(captured)
    # the overview's appendix says how the forecast was made without a backtest (no methods table to hang it on)
    captured.clear()
    forecast_section.portfolio_appendix(bundle)
    note = bundle.note("forecast_methods")
    assert note and escape(note) in "".join(captured)


# ---------------------------------------------------------------------------------------
# 12 and 13 months: a shorter backtest, counted honestly
# ---------------------------------------------------------------------------------------
def test_twelve_months_backtest_six_months_ahead_from_one_origin(tmp_path_factory):
    bundle = bundle_for("12m", lambda: months_of_history(12), tmp_path_factory)
    acc = bundle.table("forecast_accuracy").set_index("method")
    assert (acc["horizon"] == 6).all() and (acc["n_windows"] == 1).all()
    # 6 months to fit on: the baseline is the recent mean, named as such
    assert "recent_mean" in acc.index and acc.loc["recent_mean", "description"] == "the mean of the last 6 months"
    per = bundle.table("forecast_backtest")
    assert (per["n_windows"] == 1).all() and (per["horizon"] == 6).all() and (per["baseline"] == "recent_mean").all()
    note = bundle.note("forecast_backtest")
    assert note.startswith("12 months of history: the forecast cannot be tested on past data 12 months ahead")
    assert "6 months ahead from 1 past date" in note
    # twelve complete months: the forecast may be compared with them; the KPIs' prior year is missing
    assert bundle.table("forecast_summary")["forecast_growth_pct"].notna().any()
    assert bundle.note("forecast_growth_pct") is None
    _no_growth_where_the_prior_year_is_missing(bundle)


def _thirteen_months(tmp_path_factory):
    """(bundle, the account that starts ordering late): it cannot take part in the earlier backtest window."""
    portfolio = months_of_history(13)
    late = portfolio.orders["account_id"].value_counts().index[0]
    orders = portfolio.orders
    orders = orders[(orders["account_id"] != late) | (orders["order_date"] >= "2025-11-01")].reset_index(drop=True)
    return bundle_for("13m", lambda: Portfolio({**portfolio.tables, "orders": orders}, AS_OF), tmp_path_factory), late


def test_thirteen_months_count_only_the_windows_an_account_had(tmp_path_factory):
    bundle, late = _thirteen_months(tmp_path_factory)
    acc = bundle.table("forecast_accuracy")
    assert (acc["horizon"] == 6).all() and (acc["n_windows"] == 2).all()
    per = bundle.table("forecast_backtest").set_index("account_id")
    assert per["n_windows"].max() == 2
    # 12 months of its orders: 6 to fit on before the later origin, 5 before the earlier one
    assert per.loc[late, "n_windows"] == 1
    assert "6 months ahead from 2 past dates 1 month apart" in bundle.note("forecast_accuracy")
    assert "13 months of order history" in bundle.manifest["notes"]["churn"]
    _no_growth_where_the_prior_year_is_missing(bundle)


# ---------------------------------------------------------------------------------------
# a single order day
# ---------------------------------------------------------------------------------------
def test_a_single_order_day_finishes_and_skips_with_reasons(tmp_path_factory):
    bundle = bundle_for("day", one_order_day, tmp_path_factory)
    m = bundle.manifest
    assert m["history"]["description"] == "12 days of order history (every order on 2026-10-20)"
    # nobody bought twice: no buying rhythm to learn, so no P(alive) and no value
    assert "no account bought again" in m["skipped"]["value"]
    assert "Churn risk cannot be estimated" in m["skipped"]["churn"]
    assert "too short to test the forecast on past data" in m["skipped"]["forecast_backtest"]
    assert isinstance(bundle.table("forecast"), pd.DataFrame)  # one complete month (October) to forecast from
    _no_growth_where_the_prior_year_is_missing(bundle)


def test_a_single_order_day_on_the_analysis_date(tmp_path_factory):
    bundle = bundle_for("day-as-of", lambda: one_order_day(as_of=ORDER_DAY), tmp_path_factory)
    m = bundle.manifest
    assert m["history"]["description"] == "1 day of order history (every order on 2026-10-20)"
    assert "no complete months of order history" in m["skipped"]["forecast"]
    assert "the orders so far all fall in the current month" in m["skipped"]["scenario_price_volume"]
    kpis = bundle.table("kpis")
    assert kpis["revenue_ltm"].sum() > 0 and kpis["growth_pct"].isna().all()


# ---------------------------------------------------------------------------------------
# the building blocks
# ---------------------------------------------------------------------------------------
def test_backtest_plan_shrinks_to_the_history():
    from kamtools.forecast.backtest import plan_backtest

    full = plan_backtest(24, 12, 3)
    assert (full.horizon, full.n_windows, full.step) == (12, 3, 3)
    assert "tested on past data 12 months ahead from 3 past dates 3 months apart" in full.note
    assert (plan_backtest(18, 12, 3).horizon, plan_backtest(18, 12, 3).n_windows) == (12, 1)
    assert (plan_backtest(13, 12, 3).horizon, plan_backtest(13, 12, 3).n_windows) == (6, 2)
    assert (plan_backtest(9, 12, 3).horizon, plan_backtest(9, 12, 3).n_windows) == (3, 1)
    none = plan_backtest(8, 12, 3)
    assert not none.possible and none.note.startswith("8 months of history: too short to test the forecast")


def test_baseline_is_seasonal_only_with_two_seasons():
    from kamtools.forecast.backtest import baseline_forecast

    y = np.arange(1.0, 30.0)
    kind, (mean, lo, hi) = baseline_forecast(y[:24], 3, 12, (80,))
    assert kind == "seasonal_naive" and np.array_equal(mean, y[12:15])
    kind, (mean, lo, hi) = baseline_forecast(y[:23], 3, 12, (80,))
    assert kind == "recent_mean" and np.allclose(mean, y[17:23].mean())
    assert (lo[0] < mean).all() and (hi[0] > mean).all()
    kind, (mean, _, _) = baseline_forecast(y[:1], 3, 12, (80,))  # one month: its value
    assert kind == "recent_mean" and np.allclose(mean, 1.0)


def test_churn_definition_shortens_its_windows_to_fit():
    from kamtools.churn import ChurnDefinition, fit_definition, months_needed

    assert months_needed(ChurnDefinition()) == 27
    fit = fit_definition(months_of_history(20))
    assert fit.trainable and fit.min_history_months == 6
    assert fit.definition.partial_window_months == 6 and fit.definition.horizon_months == 6
    assert "20 months of order history" in fit.note
    assert "the partial-churn window was shortened to 6 months and the history before each snapshot was " in fit.note
    short = fit_definition(months_of_history(13))
    assert not short.trainable and short.definition == ChurnDefinition()
    assert short.note == (
        "The churn model needs about 27 months of order history under this definition (15 with the partial-churn "
        "window shortened to 6 months and the history before each snapshot shortened to 6 months); this portfolio "
        "has 13 months of order history (since 2025-10-01)."
    )
    assert fit_definition(_demo()).note is None or fit_definition(_demo()).trainable


def test_two_years_keep_every_comparison():
    from kamtools.history import order_history

    h = order_history(_demo())
    assert h.months == 24 and h.covers_months_back(24)
    from kamtools.kpis import revenue_kpis

    assert revenue_kpis(_demo())["growth_pct"].notna().any()


def test_analyze_command_prints_what_each_stage_left_out(tmp_path, capsys):
    """`kamtools analyze` on one year of orders says, after the tables, what was done only in part."""
    from kamtools.cli import main

    src = tmp_path / "exports"
    src.mkdir()
    for name, table in months_of_history(12).tables.items():
        if isinstance(table, pd.DataFrame):
            table.to_parquet(src / f"{name}.parquet", index=False)
    code = main(["analyze", str(src), "--out", str(tmp_path / "bundle"), "--as-of", str(AS_OF.date()), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "skipped" in out or "note on" in out
    assert "note on kpis: Growth against the 12 months before the last 12" in out


# ---------------------------------------------------------------------------------------
# the reports on each history: what was checked, in the same words on every face
# ---------------------------------------------------------------------------------------
def _biggest(bundle):
    return bundle.account(bundle.accounts.sort_values("revenue_ltm").iloc[-1]["account_id"])


def _account_report(acct, captured) -> tuple[str, str, str]:
    """(forecast section, its appendix, value section) of one account's report, as text."""
    from kamtools.sections import forecast as forecast_section
    from kamtools.sections import value as value_section

    parts = []
    for show in (forecast_section.account_section, forecast_section.account_appendix, value_section.account_section):
        captured.clear()
        show(acct)
        parts.append(unescape("".join(captured)))
    captured.clear()
    return parts[0], parts[1], parts[2]


def _overview_appendix(bundle, captured) -> str:
    from kamtools.sections import forecast as forecast_section

    captured.clear()
    forecast_section.portfolio_appendix(bundle)
    text = unescape("".join(captured))
    captured.clear()
    return text


def _no_backtest_claims(*texts: str) -> None:
    """Nothing says the forecast was chosen or measured by a backtest, or by "back-tests"."""
    for text in texts:
        assert "by backtest" not in text and "back-tests" not in text and "Out of time (" not in text


@pytest.mark.parametrize("key", ["1m", "day"])
def test_reports_without_any_out_of_time_check_say_the_model_is_unchecked(key, tmp_path_factory, captured):
    make = (lambda: months_of_history(1)) if key == "1m" else one_order_day
    bundle = bundle_for(key, make, tmp_path_factory)
    reason = bundle.reason("forecast_backtest").reason
    head = "1 month of history: too short to test the forecast on past data (that needs at least 9"
    assert reason.startswith(head)
    assert "too short to compare even the simple methods out of time (that needs 4 months)" in reason
    # what every account's own line says: the BTYD expected value (or its mean), not the model as fitted
    btyd_words = "so each account gets the BTYD expected value (its mean over the months of the data where"
    window_words = "could be fitted that tells accounts apart, so each account gets its mean over the months of the"
    assert btyd_words in reason or window_words in reason
    if key == "day":  # nobody has ordered twice: no buying-rhythm model, and the reason does not claim one
        assert window_words in reason and "that order once in the next 12 months" in reason
    assert "kamtools model as fitted" not in reason
    assert isinstance(bundle.table("forecast_methods"), NotAvailable)
    acct = _biggest(bundle)
    section, appendix, value = _account_report(acct, captured)
    # no check: never the model's trend of a month or a day, but the BTYD expected value (or the mean of all months)
    from kamtools.forecast.selection import NO_CHECK_BTYD, NO_CHECK_ONCE, NO_CHECK_ONE_MONTH

    method = bundle.table("forecast").set_index("account_id").loc[acct.account_id, "method"].iloc[0]
    assert method in ("BTYD expected value", "mean of all months in the data")
    expected = NO_CHECK_BTYD if method == "BTYD expected value" else NO_CHECK_ONE_MONTH  # its month carried forward
    if key == "day":  # one order day: nobody has reordered, so the order once in 12 months (not 12 times)
        expected = NO_CHECK_ONCE.format(months=1, s="")
    assert expected in section and "kamtools model is used as fitted" not in section
    assert reason in appendix  # the appendix says the same, in the stage's own sentence
    _no_backtest_claims(section, appendix, value)
    if "the revenue to plan with" in value:  # the value model ran: it does not claim a backtest either
        assert "without a test on past data (the history is too short for one)" in value
    overview = _overview_appendix(bundle, captured)
    assert reason in overview and "Which method each account" not in overview
    assert "not checked against what similar accounts really bought" in overview
    assert ("is the BTYD model's" if method == "BTYD expected value" else "its own weeks with an order") in overview


def test_eight_months_reports_tell_one_story_about_the_one_comparison(tmp_path_factory, captured):
    bundle = bundle_for("8m", lambda: months_of_history(8), tmp_path_factory)
    reason = bundle.reason("forecast_backtest").reason
    assert reason == bundle.reason("forecast_accuracy").reason
    assert reason.startswith(
        "8 months of history: too short to test the kamtools model on past data (that needs at least 9"
    )
    assert (
        "instead the simple methods were compared once, on the 3 months after July 2026 (August to October 2026, "
        "forecast from the months up to then), and each account uses the one that erred least there" in reason
    )
    note = bundle.note("forecast_methods")
    assert note.startswith("In the one comparison of the simple methods (")
    assert "ended in that comparison (measured on 3-month totals and widened to 12 months" in note

    acct = _biggest(bundle)
    section, appendix, value = _account_report(acct, captured)
    method = bundle.table("forecast").set_index("account_id").loc[acct.account_id, "method"].iloc[0]
    # the forecast section names the method and, in the same paragraph, what its error was measured on
    # the reason names what the forecast rests on (the kamtools model's head names its model too)
    assert "The forecast uses the kamtools model (" in section if method == "kamtools model" else "Based on " in section
    assert reason in section and reason in appendix
    assert "so its accuracy is not shown" not in section + appendix
    assert "Forecast: what was checked out of time" in appendix and "backtest accuracy" not in appendix
    # the value section no longer says "by backtest": it says what the forecast stage did
    assert "after one test of the simple methods on past data (the history is too short to test the" in value
    _no_backtest_claims(section, appendix, value)

    overview = _overview_appendix(bundle, captured)
    assert reason in overview and note in overview
    _no_backtest_claims(overview)
    # the figures of the overview's note are the ones the accounts' reasons quote
    _note_matches_the_reasons(bundle)


def _note_matches_the_reasons(bundle) -> None:
    """Every "missed ... by X on average (Z missed by Y)" of a reason drawn from the whole portfolio appears in
    the methods note as "<method> X" and "Z Y" (same cases, same correction); the reasons name a rival in the plain
    words of :data:`kamtools.forecast.selection.plain.SHORT`, the note by its method's name."""
    import re

    from kamtools.forecast.selection.paths import METHOD_WORDS
    from kamtools.forecast.selection.plain import SHORT

    named = {words: METHOD_WORDS[m] for m, words in SHORT.items()}
    note = bundle.note("forecast_methods")
    fc = bundle.table("forecast").drop_duplicates("account_id")
    pooled = fc[fc["method_reason"].str.contains("among all accounts", regex=False)]
    for _, row in pooled.iterrows():
        m = re.search(
            r"totals by ([\d.,]+k?M?) on average, [^(]*\((the [a-z0-9 -]+) missed by ([\d.,]+k?M?)\)",
            row["method_reason"],
        )
        if m:
            assert f"{row['method']} {m.group(1)}" in note, (row["method_reason"], note)
            assert f"{named[m.group(2)]} {m.group(3)}" in note, (row["method_reason"], note)
    mixed = fc[fc["method_reason"].str.contains("the mix missed", regex=False)]
    for _, row in mixed.iterrows():  # the one-origin mix: its figure and the best single method's
        m = re.search(
            r"the mix missed [a-z0-9 -]+ by ([\d.,]+k?M?) on average, against ([\d.,]+k?M?) for (the [a-z0-9 -]+), "
            "the best",
            row["method_reason"],
        )
        assert m, row["method_reason"]
        assert f"{row['method']} {m.group(1)}" in note, (row["method_reason"], note)
        assert f"{named[m.group(3)]} {m.group(2)}" in note, (row["method_reason"], note)
    assert len(pooled) + len(mixed), "no account's reason drew on the whole portfolio: nothing was compared"


def test_twelve_months_reports_the_backtest_and_a_methods_note_that_matches_the_reasons(tmp_path_factory, captured):
    bundle = bundle_for("12m", lambda: months_of_history(12), tmp_path_factory)
    acct = _biggest(bundle)
    section, appendix, value = _account_report(acct, captured)
    assert "Forecast: backtest accuracy" in appendix
    assert "In 1 backtest (forecasting 6 months ahead from earlier dates" in appendix
    assert (
        "Portfolio-wide, 12 months of history; the forecast cannot be tested on past data 12 months ahead (that needs "
        "18), so it was tested 6 months ahead from 1 past date" in appendix
    )
    assert (
        "too short to test the forecast" not in section + appendix
        and "too short to test the kamtools" not in section + appendix
    )
    if "the revenue to plan with" in value:
        assert "which the forecast stage chose for this account by a test on past data." in value
    overview = _overview_appendix(bundle, captured)
    note = bundle.note("forecast_methods")
    assert note.startswith("Out of time (") and "6-month totals, each method corrected by its factor" in note
    assert note in overview and "back-tests" not in overview
    _note_matches_the_reasons(bundle)
    # "lost overall" only when the model's corrected error on the shared cases is the higher one
    if "The kamtools model lost to the" in note:
        assert "so each account uses the method that did best for similar accounts" in note


def test_thirteen_months_reports_two_origins(tmp_path_factory, captured):
    bundle, _ = _thirteen_months(tmp_path_factory)
    section, appendix, value = _account_report(_biggest(bundle), captured)
    assert "(forecasting 6 months ahead from earlier dates and comparing with what happened)" in appendix
    assert (
        "Portfolio-wide, 13 months of history; the forecast cannot be tested on past data 12 months ahead" in appendix
    )
    assert "6 months ahead from 2 past dates 1 month apart" in appendix
    assert (
        "too short to test the forecast" not in section + appendix
        and "too short to test the kamtools" not in section + appendix
    )
    overview = _overview_appendix(bundle, captured)
    assert bundle.note("forecast_methods") in overview and "back-tests" not in overview
    _note_matches_the_reasons(bundle)


# ---------------------------------------------------------------------------------------
# an acquisition cohort: a customer's single (first) month is no level to extrapolate
# ---------------------------------------------------------------------------------------
def _acquisition_cohort(folder, n: int = 150) -> Portfolio:
    """Three months of a young cohort, as the CDNOW log at 3 months, written as a user would (required tables
    only) and loaded: every account's first order falls in January to March 2026, one in four orders again a
    few weeks later; N000 ordered once, 221 on 15 March."""
    from kamtools import load_portfolio

    rng = np.random.default_rng(17)
    ids = [f"N{i:03d}" for i in range(n)]
    rows = [("N000", pd.Timestamp("2026-03-15"), 221.0)]
    for i, acc in enumerate(ids[1:], start=1):
        first = pd.Timestamp("2026-01-02") + pd.Timedelta(days=int(rng.integers(0, 85)))
        rows.append((acc, first, float(rng.uniform(20, 80))))
        later = first + pd.Timedelta(days=int(rng.integers(7, 40)))
        if i % 4 == 0 and later <= pd.Timestamp("2026-03-31"):
            rows.append((acc, later, float(rng.uniform(20, 80))))
    orders = pd.DataFrame(rows, columns=["account_id", "order_date", "net_revenue"])
    orders.insert(0, "order_id", [f"O{i:04d}" for i in range(len(orders))])
    orders = orders.assign(product_id="P1", quantity=1)
    folder.mkdir(parents=True, exist_ok=True)
    orders.to_csv(folder / "orders.csv", index=False)
    pd.DataFrame(
        {
            "account_id": ids,
            "name": ids,
            "industry": "Retail",
            "region": "US",
            "country": "US",
            "channel": "Online",
            "owner": "Shop",
        }
    ).to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        {"product_id": ["P1"], "name": ["CD"], "category": ["Music"], "list_price": [15.0], "unit_cost": [9.0]}
    ).to_csv(folder / "products.csv", index=False)
    return load_portfolio(folder, as_of="2026-03-31")


def test_a_single_first_month_is_not_extrapolated_and_its_range_includes_zero(tmp_path_factory, captured):
    from kamtools.forecast.selection import NO_CHECK_BTYD, btyd_fit
    from kamtools.sections import forecast as forecast_section

    portfolio = _acquisition_cohort(tmp_path_factory.mktemp("cohort-data"))
    bundle = bundle_for("cohort", lambda: portfolio, tmp_path_factory)
    row = bundle.table("forecast_summary").set_index("account_id").loc["N000"]
    # not 12 x 221: the BTYD expected value the forecast stage fitted (and close to the value stage's)
    assert row["forecast_method"] == "BTYD expected value" and row["forecast_method_reason"] == NO_CHECK_BTYD
    ids = np.array(sorted(portfolio.accounts["account_id"]))
    fit = btyd_fit(portfolio.orders, pd.Timestamp("2026-03-31"), ids, 12, "bg_nbd")
    family_fit = btyd_fit(portfolio.orders, pd.Timestamp("2026-03-31"), ids, 12, "mbg_nbd")
    own = {name: float(f.paths[0].sum()) for name, f in (("bg_nbd", fit), ("mbg_nbd", family_fit)) if f is not None}
    used = [name for name, v in own.items() if abs(row["forecast_next_12m"] - v) < 1e-6 * max(v, 1.0)]
    assert used
    assert row["forecast_next_12m"] < 0.5 * 221 * 12
    from kamtools.forecast.accounts import btyd_family

    # the family the value stage names for the forecasts: its MBG/NBD runs to a common rate here (r = 272k on scipy
    # 1.13, millions on 1.17), so the forecasts get the BG/NBD on both, whichever the values use
    assert btyd_family(bundle.table("value_model")) == "bg_nbd" and "bg_nbd" in used
    from kamtools.value.reading import model_choice

    if model_choice(bundle.table("value_model"))[0] in used:  # the values use the same family
        value = bundle.table("value").set_index("account_id").loc["N000", "expected_value_12m"]
        assert abs(row["forecast_next_12m"] / value - 1) < 0.25
    # its 80% range starts at zero: it may well buy nothing (and the forecast lies inside)
    assert row["forecast_next_12m_lo_80"] == 0 and row["forecast_next_12m_hi_80"] >= row["forecast_next_12m"]
    # what the account page shows
    captured.clear()
    forecast_section.account_section(bundle.account("N000"))
    html = unescape("".join(captured))
    assert "80% range, next 12 months" in html and NO_CHECK_BTYD in html
    from kamtools import formatting
    from kamtools.plotting.style import money

    currency = formatting.currency_of(bundle)
    assert f"{money(0.0, currency)}-{money(float(row['forecast_next_12m_hi_80']), currency)}" in html
    # the portfolio's 12-month total is what the buying-rhythm model expects, not the cohort's first months x 12
    total = bundle.table("forecast_summary")["forecast_next_12m"].sum()
    first_months = portfolio.orders["net_revenue"].sum() / 3 * 12
    assert total < 0.5 * first_months


def test_the_months_the_history_never_saw_are_named_where_the_forecast_is_read(tmp_path_factory, captured):
    """8 months (March to October 2026): the account page, the portfolio's forecast section and the methods note
    say that November to February were never seen; 12 months say nothing of the kind."""
    from kamtools.sections import forecast as forecast_section

    bundle = bundle_for("8m", lambda: months_of_history(8), tmp_path_factory)
    note = bundle.note("forecast_unseen_months")
    assert note == (
        "The history holds March to October only: a seasonal rise in November to February, such as a year-end "
        "peak, cannot be in this forecast."
    )
    section, _, _ = _account_report(_biggest(bundle), captured)
    assert note in section
    assert note in _overview_appendix(bundle, captured)
    forecast_section.portfolio_section(bundle)
    assert note in unescape("".join(captured))

    full_year = bundle_for("12m", lambda: months_of_history(12), tmp_path_factory)
    assert full_year.note("forecast_unseen_months") is None
    section, appendix, _ = _account_report(_biggest(full_year), captured)
    assert "The history holds" not in section + appendix + _overview_appendix(full_year, captured)
