"""What a reader sees of a year's target chance and 80% range (issue 17, kamtools.forecast.targets):

* an account whose method forecast nothing for the rest of the year (the mean of the last 6 months of an
  account silent for half a year), but that is not called lapsed, gets the chance that accounts in the same
  situation really bought enough, not a flat 0% and a range of nothing;
* a year wholly ahead carries the whole of the account's own spread (a year under way 0.75 of it);
* where the year and the next 12 months cover nearly the same months and the year's range is wider, the
  account page says why in one sentence; where its low end lies far below the 12 months', that sentence says
  what the low end is (the monthly band's spread, not a sign the account may stop) and what to plan on.

Measured in benchmarks/bench_target_probability.py."""

from __future__ import annotations

from html import unescape

import numpy as np
import pandas as pd
import pytest

from kamtools.forecast import targets

_IDS = np.array(["A", "N", "S", "Z"])  # A buys 100 a month; N nothing in 12 months; S silent 6 months; Z lapsed
_METHODS = np.array(["recent_mean", "recent_mean", "recent_mean", "zero"])


class _Evidence:
    """40 backtest rows where the mean of the last 6 months forecast nothing for an account whose usual month
    (mean of its last 12) was 60: half bought nothing in the 6 months after, half 30 a month."""

    klass = np.zeros(40, dtype=int)
    account = np.array([f"X{i}" for i in range(40)])
    actual = np.where(np.arange(40)[:, None] % 2 == 0, 0.0, 30.0) * np.ones((40, 18))
    paths = {"recent_mean": np.zeros((40, 18))}
    lapsed_ref = np.full(40, 60.0)
    horizon = 6


class _Selection:
    def __init__(self, sd: float = 20.0):
        self.ids, self.method, self.klass = _IDS, _METHODS, np.zeros(4, dtype=int)
        self.sd, self.rho, self.evidence = np.full((4, 18), sd), 0.5, _Evidence()

    def total_ratios(self, months: int) -> list:
        ratio = np.linspace(0.5, 1.5, 41)
        return [ratio if m != "zero" else None for m in self.method]


class _Forecaster:
    """Forecasts from July 2026 to December 2027: 100 a month for A, nothing for the others."""

    unique_ids_, horizon = _IDS, 18

    def __init__(self, sel):
        self.selection = sel

    def _future_dates(self) -> np.ndarray:
        return np.tile(pd.date_range("2026-07-01", periods=18, freq="MS").to_numpy(), len(_IDS))

    def sum_distributions(self, unique_ids, weights):
        w = np.asarray(weights, dtype=float)
        monthly = np.where(np.asarray(unique_ids) == "A", 100.0, 0.0)
        return w.sum(axis=1) * monthly, np.sqrt((w**2).sum(axis=1)) * 30.0 * (monthly > 0), np.full(len(w), np.inf)


def _history() -> pd.DataFrame:
    months = pd.date_range("2025-07-01", periods=12, freq="MS")
    y = {
        "A": np.full(12, 100.0),
        "N": np.zeros(12),
        "S": np.r_[np.full(6, 120.0), np.zeros(6)],  # usual month 60, nothing since January
        "Z": np.zeros(12),
    }
    return pd.DataFrame(
        {"unique_id": np.repeat(_IDS, 12), "ds": np.tile(months, len(_IDS)), "y": np.concatenate([y[i] for i in _IDS])}
    )


def _attain(year: int = 2026, target: float = 100.0, **kw) -> pd.DataFrame:
    t = pd.DataFrame({"account_id": _IDS, "period": year, "revenue_target": target})
    out = targets.target_attainment(_Forecaster(_Selection()), _history(), t, as_of="2026-06-30", **kw)
    return out.set_index("account_id")


def test_a_silent_account_not_called_lapsed_gets_the_chance_similar_silent_accounts_had(monkeypatch):
    ratios = targets.silent_ratios(_Evidence(), "recent_mean", 6)
    # what they bought over 6 months as a multiple of 6 usual months: nothing for half, half of it for the others
    assert np.allclose(ratios, np.r_[np.zeros(20), np.full(20, 0.5)])
    assert targets.silent_ratios(_Evidence(), "zero", 6) is None
    s = _attain().loc["S"]
    # its own forecast still says nothing more is coming this year ...
    assert s["expected_total"] == 0.0 and s["booked_ytd"] == 0.0 and s["months_remaining"] == 6
    # ... but half of the accounts like it bought 0.5 x 60 x 6 = 180 again, enough for a target of 100
    assert s["p_reach_target"] == pytest.approx(0.5)
    assert s["total_lo_80"] == pytest.approx(0.0) and s["total_hi_80"] == pytest.approx(180.0, abs=0.5)
    assert _attain(target=200.0).loc["S", "p_reach_target"] == pytest.approx(0.0)
    # before this change (and still for an account with nothing in 12 months or one on the lapsed rule): 0%
    monkeypatch.setattr(targets, "SILENT_REST", False)
    assert _attain().loc["S", "p_reach_target"] == 0.0 and _attain().loc["S", "total_hi_80"] == 0.0


def test_an_account_without_orders_in_12_months_or_called_lapsed_still_has_no_chance():
    out = _attain()
    for who in ("N", "Z"):
        assert out.loc[who, "p_reach_target"] == 0.0
        assert out.loc[who, "total_lo_80"] == 0.0 and out.loc[who, "total_hi_80"] == 0.0


def test_a_year_wholly_ahead_carries_the_whole_own_spread_and_the_year_under_way_does_not():
    ahead = _attain(year=2027, target=1300.0).loc["A"]
    assert ahead["months_remaining"] == 12 and ahead["expected_total"] == pytest.approx(1200.0)
    less = _attain(year=2027, target=1300.0, own_spread_ahead=targets.OWN_SPREAD).loc["A"]
    assert ahead["total_hi_80"] - ahead["total_lo_80"] > less["total_hi_80"] - less["total_lo_80"] + 1.0
    assert ahead["p_reach_target"] > less["p_reach_target"]  # a target above the expected total: wider, likelier
    now = _attain(year=2026, target=700.0).loc["A"]
    same = _attain(year=2026, target=700.0, own_spread_ahead=targets.OWN_SPREAD).loc["A"]
    assert now["total_hi_80"] == pytest.approx(same["total_hi_80"])  # the year under way keeps 0.75


def _summary(lo: float, hi: float) -> pd.Series:
    return pd.Series({"forecast_next_12m": 650.0, "forecast_next_12m_lo_80": lo, "forecast_next_12m_hi_80": hi})


def _year_rows(months: int, lo: float, hi: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"account_id": "A", "period": [2027], "months_remaining": [months], "total_lo_80": [lo], "total_hi_80": [hi]}
    )


def test_the_note_says_why_a_year_range_is_wider_than_the_next_12_months_only_where_they_overlap():
    note = targets.year_range_note(_year_rows(12, 73_000.0, 1_024_000.0), _summary(215_000.0, 829_000.0))
    assert note is not None and note.startswith("The 80% range of the year total for 2027 is wider than that of")
    assert "similar accounts' totals" in note and "own month-to-month spread" in note and note.count(". ") == 0
    # two months left in the year: not the same months as the next 12, nothing to explain
    assert targets.year_range_note(_year_rows(2, 73_000.0, 1_024_000.0), _summary(215_000.0, 829_000.0)) is None
    # about as wide: no note; no 12-month range: no note
    assert targets.year_range_note(_year_rows(12, 200_000.0, 840_000.0), _summary(215_000.0, 829_000.0)) is None
    assert targets.year_range_note(_year_rows(12, 0.0, 1e6), None) is None
    # the months it shares with the next 12, not its months ahead: 2027 seen from 2026-10-31 shares 10 (Jan-Oct);
    # seen from 2026-04-30 it is wholly ahead too but shares 4 (the demo cut at 30 months read "both cover nearly
    # the same months" of 2026 as of 2025-04-30)
    wide = _year_rows(12, 73_000.0, 1_024_000.0), _summary(215_000.0, 829_000.0)
    assert targets.year_range_note(*wide, as_of=pd.Timestamp("2026-10-31")) == note
    assert targets.year_range_note(*wide, as_of=pd.Timestamp("2026-04-30")) is None


class _Bundle:
    manifest = {"settings": {"currency": "EUR"}}

    def note(self, name):
        return None


class _Account:
    bundle = _Bundle()
    as_of = pd.Timestamp("2026-10-31")  # the page says what is booked by this date

    def __init__(self, summary: pd.DataFrame):
        self._summary = summary

    def table(self, name):
        return self._summary if name == "forecast_summary" else None


def test_the_account_page_says_in_one_sentence_why_the_2027_range_is_wider(captured):
    from kamtools.sections import forecast as section

    rows = pd.DataFrame(
        {
            "account_id": "A0007",
            "period": [2026, 2027],
            "revenue_target": [679_700.0, 723_500.0],
            "booked_ytd": [493_154.0, 0.0],
            "expected_total": [621_140.0, 647_714.0],
            "p_reach_target": [0.29, 0.33],
            "total_lo_80": [493_154.0, 72_873.0],
            "total_hi_80": [784_635.0, 1_023_962.0],
            "months_remaining": [2, 12],
        }
    )
    summary = pd.DataFrame([{"account_id": "A0007", **_summary(215_413.0, 829_345.0).to_dict()}])
    section._account_targets(_Account(summary), rows)
    html = unescape("".join(captured))
    assert "80% range €72.9k-€1.02M" in html  # the year's range as the bullet shows it
    # its low end lies far below the 12 months': the one sentence says what that low end is and what to plan on
    assert (
        "The 80% range of 2027 reaches down to €72.9k, far below the next 12 months' range (€215.4k-€829.3k) "
        "although both cover nearly the same months. That low end is not a sign that this account may stop buying"
    ) in html
    assert "Plan on the expected €647.7k; the year's range is what the chance of reaching the 2027 target" in html
    assert "wider than that of the next 12 months" not in html and "of 2026" not in html
    captured.clear()
    rows.loc[1, "total_lo_80"] = 200_000.0  # a low end near the 12 months': the range is only wider, and says why
    section._account_targets(_Account(summary), rows)
    html = unescape("".join(captured))
    assert "The 80% range of the year total for 2027 is wider than that of the next 12 months" in html
    assert "for 2026" not in html and "reaches down to" not in html
    captured.clear()
    section._account_targets(_Account(summary.iloc[:0]), rows)  # no 12-month range on the page: no sentence
    assert "wider than that of the next 12 months" not in "".join(captured)


class _AllCameBack(_Evidence):
    """The same 40 rows, every one of which bought 30 a month again."""

    actual = np.full((40, 18), 30.0)


def test_a_silent_account_s_range_holds_its_expected_total_even_where_every_similar_account_came_back():
    sel = _Selection()
    sel.evidence = _AllCameBack()
    t = pd.DataFrame({"account_id": _IDS, "period": 2026, "revenue_target": 100.0})
    s = targets.target_attainment(_Forecaster(sel), _history(), t, as_of="2026-06-30").set_index("account_id").loc["S"]
    # every similar account bought 0.5 x 60 x 6 = 180: the chance is theirs, the expected total the forecast's (0)
    assert s["p_reach_target"] == pytest.approx(1.0) and s["expected_total"] == 0.0
    # the range runs from the expected total up (it was 180-180, wholly above the expected total)
    assert s["total_lo_80"] == pytest.approx(0.0) and s["total_hi_80"] == pytest.approx(180.0, abs=0.5)
    out = targets.target_attainment(_Forecaster(_Selection()), _history(), t, as_of="2026-06-30")
    assert (out["total_lo_80"] <= out["expected_total"] + 1e-9).all()
    assert (out["total_hi_80"] >= out["expected_total"] - 1e-9).all()
