"""Report sections of the value model (reads the ``value`` and ``value_model`` tables; never refits).

Account: P(alive), expected purchases, revenue and margin of the next 12 months, in
words, and where the account sits among all accounts. Portfolio: the value
distribution, the largest expected values, accounts that have probably stopped buying,
and the fitted model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kamtools import display, formatting
from kamtools.churn.bands import HIGH_RISK_P, MEDIUM_RISK_P, MIN_TO_COMPARE, score_text
from kamtools.credit_only import credit_only, no_orders_phrase
from kamtools.data.portfolio import NotAvailable
from kamtools.plotting.style import money
from kamtools.plotting.value import value_distribution_chart, value_position_chart
from kamtools.sections import account_names, show_notes
from kamtools.sections.forecast import BY_BACKTEST, how_chosen, pooled_reason, unchecked
from kamtools.value.reading import (
    LAPSED,
    SCORE_LABEL,
    model_choice,
    one_time_buyers_model,
    p_alive_informative,
    p_alive_shown_as,
    win_back,
)

_SELECTION_PARAMETERS = {
    "holdout_log_likelihood",
    "holdout_purchase_weeks_predicted",
    "holdout_purchase_weeks_actual",
    "p_alive_one_time_buyers",
    "p_buy_again_one_time_buyers",
    "bought_again_one_time_buyers",
    "identified",
    "chosen",
    "fit_status",
}


MODEL_LABELS = {"bg_nbd": "BG/NBD", "mbg_nbd": "MBG/NBD"}


_SCORE_PREFIX = "P(alive) is shown as an activity score, not a probability: "


# under the value cards where the value model found no drop-out in the history (fit status "no_dropout")
NO_DROPOUT_SENTENCE = (
    "The value model found no account in this portfolio's history that stopped buying, so its P(alive) is close to "
    "100% for every account and does not tell who has stopped: the lapsed accounts under the churn risk and each "
    "account's time since its last order do."
)


def _buy_soon_weeks(model) -> int:
    """The held-out weeks when the activity score is the value model's chance of buying within them rather
    than P(alive) (the ``activity_score`` rows of ``value_model``), else 0."""
    if not isinstance(model, pd.DataFrame) or not {"model", "parameter", "estimate"} <= set(model.columns):
        return 0
    rows = model[model["model"] == "activity_score"].drop_duplicates("parameter").set_index("parameter")["estimate"]
    if rows.get("uses_p_buy") != 1 or pd.isna(rows.get("weeks")):
        return 0
    return max(1, int(rows["weeks"]))


def _plain(note: str, model) -> str:
    """A note of the value model as it should read: where the activity score is the chance of buying soon,
    the P(alive) check's sentence does not also call P(alive) the activity score (it is not, and the
    activity score's own sentence follows to say what it is)."""
    note = str(note)
    if _buy_soon_weeks(model) and note.startswith(_SCORE_PREFIX):
        return "P(alive) is not shown as a probability: " + note[len(_SCORE_PREFIX) :]
    return note


def _once(notes: list[str]) -> list[str]:
    """The notes without one that another note already says word for word (the P(alive) check's sentence
    quotes the activity score's sentence), in order."""
    kept = list(dict.fromkeys(notes))
    return [n for n in kept if not any(n != other and n in other for other in kept)]


def _alive_status(p: float) -> str:
    return "good" if p >= 0.8 else "warn" if p >= LAPSED else "bad"


def _weeks_bought(n_buy: int, t_weeks: float) -> str:
    """'in 7 different weeks over the 51 weeks since its first order'; on a short history, where the buying
    weeks outnumber the rounded weeks since the first order, the weeks counted inclusively (first order's
    week to the analysis date's)."""
    span = round(t_weeks)
    if n_buy > span:
        span = max(n_buy, int(t_weeks) + 1)
        if n_buy == span:
            return f"in each of the {span} weeks from its first order to the analysis date (both weeks counted)"
        return (
            f"in {n_buy} different weeks out of the {span} from its first order to the analysis date (both weeks "
            "counted)"
        )
    weeks = formatting.counted(n_buy, "week", "different weeks")
    return f"in {weeks} over the {formatting.counted(span, 'week')} since its first order"


def account_section(acct) -> None:
    """Expected future value of one account."""
    display.heading("Expected future value")
    value = acct.table("value")
    if isinstance(value, NotAvailable):
        display.not_available(value)
        return
    if value.empty:
        if credit_only(acct.info):  # it bought before the data began: only its credit notes are in it
            display.paragraph(
                f"This account has {no_orders_phrase(acct.info)}, so its future value cannot be estimated from its "
                "buying history."
            )
            return
        display.paragraph(
            "This account has no orders yet, so its future value cannot be estimated from its buying history."
        )
        return
    row = value.iloc[0]
    cur = formatting.currency_of(acct.bundle)
    p_alive = float(row["p_alive"])
    margin = row["expected_margin_12m"]
    name, status, _ = model_choice(acct.portfolio_table("value_model"))
    shown_as, why = p_alive_shown_as(acct.portfolio_table("value_model"))
    one_time = int(row["frequency"]) == 0
    mixed = one_time and name != one_time_buyers_model(acct.portfolio_table("value_model"))
    if mixed:  # BG/NBD chosen, this one-time buyer scored by MBG/NBD (kamtools.value.one_time)
        name = "mbg_nbd"
    # a P(alive) the model cannot tell apart from 100% gets no good/bad colour
    informative = p_alive_informative(status, name, one_time)
    alive_card = ("P(alive): still buying", f"{p_alive:.0%}") + ((_alive_status(p_alive),) if informative else ())
    if shown_as == "score":  # not checked against who bought again: a ranking score, no colour
        alive_card = (SCORE_LABEL, f"{p_alive * 100:.0f}")
    display.kpi_cards(
        [
            alive_card,
            ("Expected purchase weeks, next 12 months", f"{row['expected_purchases_12m']:.1f}"),
            ("Value model's expected revenue, next 12 months", money(float(row["expected_value_12m"]), cur)),
            (
                "Value model's expected margin, next 12 months",
                formatting.NO_COST
                if _no_cost(row.get("margin_pct"))
                else money(float(margin), cur)
                if pd.notna(margin)
                else "unknown",
            ),
            ("Share of portfolio value", formatting.pct(row["value_share"])),
        ]
    )
    weeks_since = float(row["T"] - row["recency"])
    over = _weeks_bought(int(row["frequency"]) + 1, float(row["T"]))
    history = (
        f"The account bought {over}; its last order was "
        f"{formatting.counted(round(weeks_since), 'week')} before the analysis date."
    )
    lost = win_back(p_alive, one_time, name, status, shown_as)  # the plan's retention objective asks the same
    verdict = _verdict(p_alive, status, name, one_time, weeks_since, lost, shown_as, mixed)
    by_churn, by_forecast = _lapsed_elsewhere(acct)
    if (by_churn or by_forecast) and not lost and not one_time and status != "no_dropout" and shown_as != "score":
        verdict = _lapsed_verdict(acct, p_alive, weeks_since, by_churn, by_forecast)
    if shown_as == "score" and informative:  # (the other two verdicts say already that it tells nothing)
        weeks = _buy_soon_weeks(acct.portfolio_table("value_model"))
        others = _same_score_for_all(acct.portfolio_table("value"))
        verdict = _score_verdict(p_alive, one_time, why, weeks, others) + _churn_link(acct, tied=others > 0)
    outlook = _outlook(acct, row, margin, same_rate=status == "common_rate")
    display.paragraph(f"{history} {verdict} {outlook}")
    show_notes(acct.bundle, "value")
    everyone = acct.portfolio_table("value")
    if isinstance(everyone, pd.DataFrame) and len(everyone) > 1:
        names = account_names(acct.portfolio_table("accounts"))
        display.figure(
            value_position_chart(
                everyone,
                highlight=acct.account_id,
                names=names,
                currency=formatting.currency_of(acct.bundle),
                shown_as=shown_as,
            ),
            alt="Expected 12-month value against "
            + ("P(alive)" if shown_as == "probability" else "the activity score")
            + ", this account highlighted",
        )


def _verdict(
    p_alive: float,
    status: str,
    name: str,
    one_time: bool,
    weeks_since: float,
    lost: bool,
    shown_as: str = "probability",
    mixed: bool = False,
) -> str:
    """What P(alive) says about this account, in words (how much to trust it depends on the model's status);
    ``lost``: :func:`kamtools.value.reading.win_back` (a win-back case); ``shown_as``: ``"score"`` names the
    figure an activity score (0-100), never a P(alive) percentage; ``mixed``: a one-time buyer scored by
    MBG/NBD although BG/NBD is the chosen model."""
    figure = (
        f"activity score of {p_alive * 100:.0f} out of 100" if shown_as == "score" else f"P(alive) of {p_alive:.0%}"
    )
    if status == "no_dropout":
        verdict = (
            f"The value model found no account in this portfolio's history that stopped buying, so its {figure} "
            "does not tell whether this account is still buying: judge that by the gap since its last order."
        )
    elif one_time and name == "mbg_nbd":
        which = (
            "For accounts that bought in one week only the value model uses its variant that allows"
            if mixed
            else "The value model allows"
        )
        verdict = (
            f"It has bought in one week only. {which} an account to stop right after its first purchase, and from "
            f"{formatting.counted(round(weeks_since), 'week')} of silence puts the chance that it is still an active buyer at {p_alive:.0%}"
            + (": treat it as a win-back case." if lost else ".")
        )
    elif one_time:
        counted = "scores" if shown_as == "score" else "counts"
        verdict = (
            f"It has bought in one week only, so there is no rhythm to judge yet: the model {counted} an account "
            f"that has not bought again as still active ({figure.replace(' of ', ' ', 1)}), which is no evidence "
            "that it will buy."
        )
    elif lost:
        verdict = (
            f"Given how regularly it used to buy, so long a silence makes it likely that it has stopped buying: "
            f"the probability that it is still an active buyer is {p_alive:.0%}. Treat it as a win-back case."
        )
    elif p_alive < 0.8:
        verdict = (
            f"The gap since its last order is longer than usual for it: P(alive) is {p_alive:.0%}, worth a check-in."
        )
    else:
        verdict = f"Its buying rhythm is intact (P(alive) {p_alive:.0%})."
    if status == "unidentified":
        verdict += (
            " The value model's parameters are not determined by this portfolio's data, so read P(alive) and the "
            "expected values as rough."
        )
    elif status == "common_rate":
        verdict += (
            " The value model gives every account of this portfolio the same purchase rate, so read P(alive) and "
            "the expected values as rough."
        )
    return verdict


def _same_score_for_all(value) -> int:
    """How many other accounts show this one's activity score where every account of the portfolio (at least
    :data:`~kamtools.churn.bands.MIN_TO_COMPARE`) shows the same in whole points, as the page prints it; else 0."""
    if not isinstance(value, pd.DataFrame) or "p_alive" not in value.columns:
        return 0
    points = np.round(pd.to_numeric(value["p_alive"], errors="coerce").dropna().to_numpy() * 100)
    if len(points) < MIN_TO_COMPARE or not np.all(points == points[0]):
        return 0
    return len(points) - 1


def _lapsed_elsewhere(acct) -> tuple[bool, bool]:
    """(the churn section calls the account lapsed: no order in the churn definition's last months; its forecast
    follows the rule for lapsed accounts). Either way a high P(alive) is not "its buying rhythm is intact"."""
    churn = acct.table("churn")
    by_churn = (
        isinstance(churn, pd.DataFrame)
        and "risk_band" in churn.columns
        and len(churn)
        and str(churn["risk_band"].iloc[0]) == "lapsed"
    )
    return bool(by_churn), str(acct.info.get("forecast_method") or "").startswith("lapsed")


def _lapsed_verdict(acct, p_alive: float, weeks_since: float, by_churn: bool, by_forecast: bool) -> str:
    """A high P(alive) on an account that the churn section or the forecast treats as lapsed (demo of 2026-10-31,
    A0164: orders in 7 weeks of 175, none for 63 weeks, P(alive) 97% read "its buying rhythm is intact" beside
    "88% (lapsed)" and a forecast of 0): what the model says, why, and that the page's plan does not rest on it."""
    forecast = pd.to_numeric(acct.info.get("forecast_next_12m"), errors="coerce")
    said = ["the churn section treats it as lapsed"] if by_churn else []
    if by_forecast:
        said.append(
            "the forecast counts on no return"
            if pd.notna(forecast) and float(forecast) <= 0
            else "the forecast counts on less than its former level"
        )
    return (
        f"The value model still gives it a P(alive) of {p_alive:.0%}: its orders were far apart, so to a model of the "
        f"whole portfolio's buying {formatting.counted(round(weeks_since), 'week')} without one does not yet prove it "
        f"has stopped. But {' and '.join(said)}, from what accounts as silent did in this history: treat it as a "
        "win-back case, not as a buyer whose rhythm holds."
    )


def _score_verdict(p_alive: float, one_time: bool, why: str, weeks: int = 0, same: int = 0) -> str:
    """What an unchecked P(alive) says about this account: a score to rank by, and why it is no probability.
    ``weeks``: the score is the chance of buying within so many weeks, not P(alive) (said once, plainly;
    how it was chosen is in the appendix). ``same``: every other account (so many) shows the same score, which
    then ranks none of them (the grocery panel's top 60: all read 100 out of 100)."""
    what = "It has bought in one week only. " if one_time else ""
    if same:
        return (
            f"{what}The value model gives it an activity score of {p_alive * 100:.0f} out of 100, as it does every "
            f"other account ({same}): on this history the score does not tell the accounts apart, so it ranks none of "
            "them. " + (why or "P(alive) could not be checked against who bought again on this history.")
        )
    if weeks:
        return (
            f"{what}The value model gives it an activity score of {p_alive * 100:.0f} out of 100 (higher: more likely "
            f"to buy again soon). The activity score is the value model's chance that the account buys within the "
            f"next {formatting.counted(weeks, 'week')}, on a scale of 0 to 100; it is not P(alive), the chance that "
            "the account is still a customer, which the weeks held out in the history could not vouch for as a "
            "probability. Use it to rank accounts, not as a probability to act on alone (the appendix says how it "
            "was chosen)."
        )
    return (
        f"{what}The value model gives it an activity score of {p_alive * 100:.0f} out of 100 (higher: more likely to "
        "buy again soon), useful to rank accounts but not a probability to act on alone. "
        + (why or "P(alive) could not be checked against who bought again on this history.")
    )


CHURN_FALLBACK = "the value model's probability of no order in the next "
"""How the churn stage's ``method`` starts where its figure is the value model's chance of no order,
checked on the history (unchecked, it starts :data:`CHURN_SCORE_FALLBACK`)."""
CHURN_SCORE_FALLBACK = "a churn score, not a probability: the value model's chance of no order in the next "


def _churn_link(acct, tied: bool = False) -> str:
    """Where the churn figure is the same value model's chance of no order, checked on the history, one
    sentence saying which of the two to read for what (CDNOW C07592: an activity score of 84 here, 'not a
    probability to act on', and a churn probability of 16% 'checked on the history' in the churn section)."""
    churn = acct.table("churn")
    if not isinstance(churn, pd.DataFrame) or churn.empty:
        return ""
    row = churn.iloc[0]
    method, p = str(row.get("method", "")), pd.to_numeric(row.get("churn_probability"), errors="coerce")
    if method.startswith(CHURN_SCORE_FALLBACK) and pd.notna(p):  # unchecked there too: both rank
        horizon = method[len(CHURN_SCORE_FALLBACK) :].split(",", 1)[0]
        return (
            f" The churn section's score of {score_text(float(p))} comes from the same value model, as its chance of "
            f"no order in the next {horizon}, and could not be checked on the history either: "
            + ("" if tied else "both rank accounts, ")
            + "neither is a probability to act on."
        )
    if not method.startswith(CHURN_FALLBACK) or pd.isna(p):
        return ""
    horizon = method[len(CHURN_FALLBACK) :].split(" (", 1)[0]  # '6 months'
    return (
        f" The churn section's {formatting.pct_banded(float(p), (MEDIUM_RISK_P, HIGH_RISK_P))} comes from the same "
        "value model, as its chance of no "
        f"order in the next {horizon}: that chance was checked against who ordered in the history and this score "
        "was not, so read the churn figure as the chance of losing the account"
        + ("." if tied else " and this score only to rank accounts by how soon they buy again.")
    )


def _outlook(acct, row: pd.Series, margin: float, same_rate: bool = False) -> str:
    """What the value model expects over the next 12 months, and why the forecast is the figure to plan with
    (``same_rate``: the value model gives every account the same purchase rate)."""
    outlook = (
        f"Over the next 12 months the value model expects about {row['expected_purchases_12m']:.1f} purchase weeks "
        f"of about {money(float(row['expected_avg_value']))} each{_pooled_week(row)}: "
        f"{money(float(row['expected_value_12m']))} revenue (discounted at 10% a year)"
        + (
            "; no margin, as no cost is booked on its orders."
            if pd.notna(margin) and _no_cost(row.get("margin_pct"))  # margin = revenue: not a margin
            else f" and {money(float(margin))} margin at its margin of {row['margin_pct']:.0%}."
            if pd.notna(margin)
            else "."
        )
    )
    returns = _returns_clause(acct, row)
    outlook += returns
    if not returns and float(row["expected_avg_value"]) == 0:  # kamtools.value.spent: no line of positive value
        outlook += (
            " Every order it placed was worth 0: that shows no spend, so the value model expects no revenue from "
            "its purchases (not the portfolio's mean purchase)."
        )
    forecast = acct.info.get("forecast_next_12m")
    if forecast is not None and pd.notna(forecast):
        outlook += (
            f" This figure ranks accounts by value; the revenue to plan with is the forecast on the summary card, "
            f"{money(float(forecast))}, which the forecast stage {_chosen_how(acct)}. "
            + _why_they_differ(
                float(forecast),
                float(row["expected_value_12m"]),
                checked=not unchecked(acct.bundle),
                ruled=_set_by_rule(acct),
                pooled=pooled_reason(acct.info.get("forecast_method_reason")),
                same_rate=_weeks_bought(int(row["frequency"]) + 1, float(row["T"]))
                if same_rate and "BTYD" not in str(acct.info.get("forecast_method") or "")  # not the same model
                else "",
            )
        )
    return outlook


def _pooled_week(row: pd.Series) -> str:
    """Where the account has bought in one week only, that the value of its purchase weeks is not its own: the value
    model (Gamma-Gamma, or the mean of the repeat buyers where that fit is set aside) learns it from the accounts that
    bought again. The demo at one month read "32.1 purchase weeks of about 4.3k each: 130.2k revenue" alike for an
    account that bought 111.2k and one that bought 233 in their single week."""
    frequency = pd.to_numeric(row.get("frequency"), errors="coerce")
    if not pd.notna(frequency) or frequency != 0 or not float(row["expected_avg_value"]) > 0:
        return ""
    return (
        " (not its own figure: what a purchase week of the accounts that bought again is worth, as one week of its "
        "own does not show what its next ones will be)"
    )


def _chosen_how(acct) -> str:
    """How the forecast stage came to this account's forecast: a lapsed account's forecast is set by the
    lapsed rule (what accounts as silent bought after such silences, where the history holds them), not by the
    backtest of the methods, which its forecast section may say could not judge it."""
    method = str(acct.info.get("forecast_method") or "")
    if method.startswith("lapsed"):
        return (
            "set for this account by its rule for lapsed accounts, not by the test on past data (the forecast "
            "section gives the rule and its evidence)"
        )
    if _set_by_rule(acct):
        return (
            "set for this account by a rule the test on past data could not judge (the forecast section gives the rule)"
        )
    return f"chose for this account {how_chosen(acct.bundle)}"


def _set_by_rule(acct) -> bool:
    """True where a rule, not the backtest's choice, set the account's forecast (:func:`_chosen_how`): the lapsed
    rule, or a rule the backtest had no similar accounts to judge."""
    from kamtools.forecast.selection.lapsed import NOT_JUDGED

    if str(acct.info.get("forecast_method") or "").startswith("lapsed"):
        return True
    reason = str(acct.info.get("forecast_method_reason") or "")
    return how_chosen(acct.bundle) == BY_BACKTEST and any(words in reason for words in NOT_JUDGED)


def _why_they_differ(
    forecast: float,
    value: float,
    checked: bool = True,
    ruled: bool = False,
    pooled: bool = False,
    same_rate: str = "",
) -> str:
    """Why the forecast and the value model's expected revenue differ, in proportion to how much they do: beyond
    15% the difference is the forecast's calibration to what similar accounts bought out of time (a year's
    discounting at 10% moves the value by about 5%), which the reader should not put down to discounting. Where the
    history allowed no out-of-time check (``checked`` False) the forecast is not such a calibration, and the
    sentence says that neither figure was checked. Where a rule set the forecast (``ruled``: the lapsed rule, or one
    the backtest could not judge) it is not that calibration either, and the sentence names the rule instead (CDNOW's
    top 300 at 1997-12-31: C19339's zero, set by the lapsed rule "counting on no return", read "set by what accounts
    like this one really bought after past dates"). ``pooled``: the forecast's reason says too few accounts like
    this one had been seen, so the calibration is to what the portfolio's accounts bought, and the sentence says so.
    The test chose the method and its correction; it did not set the figure (Online Retail's top 100: C14646's
    forecast, 49% above this figure, read "set by what the accounts of this portfolio really bought" beside a
    forecast section saying it was not raised to match what they bought).
    ``same_rate``: where the value model gives every account the same purchase rate, how often this account bought
    ('in 14 different weeks over the 26 weeks since its first order'): the difference is that rate, which the
    sentence names in place of the calibration (the grocery panel's top 100 at 2017-06-30: H1899, 14 buying weeks
    of 26, was expected 49.9 purchase weeks in 12 months like every household, and the page put its forecast 40%
    lower down to "what the accounts of this portfolio really bought after past dates")."""
    if not value > 0 or math.isnan(forecast):
        return "The two differ because this one is discounted and follows the portfolio-wide buying model."
    ratio = forecast / value
    if abs(ratio - 1) <= 0.15:
        return "The two differ a little because this one is discounted and follows the portfolio-wide buying model."
    side = "lower" if ratio < 1 else "higher"
    # beyond three times, a percent ('13296% higher') is unreadable: say how many times as high
    by = f"{ratio:,.0f} times as high" if ratio >= 3 else f"{abs(ratio - 1):.0%} {side}"
    if ruled:  # the rule the sentence before names, not a calibration to what similar accounts bought
        return (
            f"The forecast is {by}: it follows that rule, while this figure follows the "
            "portfolio-wide buying model and is discounted."
        )
    if not checked:  # no out-of-time check: the forecast is not "what similar accounts really bought"
        return (
            f"The forecast is {by}: it is the method the forecast section names for this "
            "account, not checked against what similar accounts bought (the history is too short), while this "
            "figure follows the portfolio-wide buying model and is discounted; neither has been tested on past data."
        )
    if same_rate:  # the value model's one purchase rate for all, not the forecast's calibration, sets the gap
        return (
            f"The forecast is {by}: the value model gives every account of this portfolio the same purchase rate, "
            f"so this figure does not follow how often this account buys (it bought {same_rate}), while the "
            "forecast does (the forecast section gives its reason); this figure is also discounted."
        )
    who = "the accounts of this portfolio (too few like this one had been seen)" if pooled else "accounts like this one"
    return (
        f"The forecast is {by}: it follows the method and correction that came closest to what {who} really "
        "bought after past dates (the forecast section gives its reason), while this figure follows the "
        "portfolio-wide buying model and is discounted."
    )


def _returns_clause(acct, row: pd.Series) -> str:
    """How the account's returns and credit notes enter its purchase value (empty when it has none)."""
    kpis = acct.table("kpis")
    if not isinstance(kpis, pd.DataFrame) or kpis.empty or "returns_rate" not in kpis.columns:
        return ""
    rate = pd.to_numeric(kpis["returns_rate"], errors="coerce").iloc[0]
    if not pd.notna(rate) or rate <= 0:
        return ""
    if rate >= 1:
        return (
            f" Its returns and credit notes of the last 12 months ({rate:.0%} of its sales) exceed its sales, so "
            "the value model expects no net revenue from its purchases."
        )
    return (
        f" A purchase week is valued at its sales less the account's returns and credit notes ({rate:.0%} of its "
        "sales in the last 12 months)."
    )


def account_appendix(acct) -> None:
    """Appendix part of the account report: which buying model gives P(alive) and the expected
    value, how it was chosen and what its fit leaves uncertain."""
    display.heading("Value model: which model and how well it fits", level=3)
    model = acct.portfolio_table("value_model")
    if isinstance(model, NotAvailable):
        display.not_available(model)
        return
    if not isinstance(model, pd.DataFrame) or model.empty:
        display.paragraph("No value model was fitted for this portfolio.")
        return
    name, status, reason = model_choice(model)
    reason = reason.strip()
    fit = {
        "identified": "Its parameters are well determined by this portfolio's data.",
        "unidentified": "Its parameters are not well determined by this portfolio's data: read P(alive) and the "
        "expected values as rough.",
        "no_dropout": "No account in this portfolio's history stopped buying, so P(alive) cannot tell who has.",
        "common_dropout": "Its data cannot tell how likely accounts are to stop apart: it gives every account the "
        "same chance of stopping after a purchase week, so P(alive) follows only how long each has been silent "
        "against its own rhythm.",
        "common_rate": "It gives every account the same purchase rate, so it cannot tell accounts apart by how often "
        "they buy: read P(alive) and the expected values as rough.",
    }.get(status, "")
    if (
        "not determined" in reason
        or "no account" in reason.lower()
        or "cannot tell how the drop-out" in reason
        or (status == "common_rate" and "the same purchase rate" in reason)
    ):
        fit = ""  # the sentence on the choice already says it
    display.paragraph(
        f"{MODEL_LABELS.get(name, name)} (how often accounts buy and how likely they are to have stopped) and "
        f"Gamma-Gamma (value per purchase week), fitted on all accounts. {reason} {fit}".strip().replace("  ", " ")
    )
    # the model's other notes: what the sentence above does not say already (not the bare fit status words)
    raw = model["note"].dropna().astype(str).str.strip().unique() if "note" in model.columns else []
    said = "not determined" in reason
    shown_as, why = p_alive_shown_as(model)
    # the account's verdict quotes the check's sentence already, unless it said what the score is in its own words
    said_why = why if shown_as == "score" and not _buy_soon_weeks(model) else ""
    notes = _once(
        [
            _plain(n, model)
            for n in raw
            if len(n.split()) > 2 and n not in reason and not (said and "not determined" in n) and n != said_why
        ]
    )
    if said_why:  # nor the activity score's sentence, which that sentence ends with
        notes = [n for n in notes if n not in said_why]
    if notes:
        display.bullets(notes)


def portfolio_appendix(bundle) -> None:
    """Appendix part of the portfolio overview: the value model's parameters and its holdout test."""
    display.heading("Value model: which model and how well it fits", 3)
    model = bundle.table("value_model")
    if isinstance(model, NotAvailable):
        display.not_available(model)
        return
    if len(model):
        name, _, reason = model_choice(model)
        display.paragraph(
            f"{MODEL_LABELS.get(name, name)} (how often accounts buy and how likely they are to have stopped; time "
            "in weeks) and Gamma-Gamma (value per purchase week), fitted by maximum likelihood on all accounts. "
            + reason
        )
        params = model[~model["parameter"].isin(_SELECTION_PARAMETERS)]
        if "chosen" in params.columns:
            params = params[params["chosen"].astype(bool)]
        display.table(
            params,
            columns={"model": "Model", "parameter": "Parameter", "estimate": "Estimate", "std_error": "Std. error"},
        )
        sel = model[model["parameter"].isin(_SELECTION_PARAMETERS)]
        if len(sel) and sel["parameter"].eq("holdout_log_likelihood").any():
            wide = sel.pivot_table(index="model", columns="parameter", values="estimate", aggfunc="first")
            wide = wide.reset_index().assign(model=lambda d: d["model"].map(MODEL_LABELS).fillna(d["model"]))
            display.heading("BG/NBD or MBG/NBD: the holdout test", 3)
            display.table(
                wide,
                columns={
                    "model": "Model",
                    "holdout_log_likelihood": "Holdout log-likelihood (higher is better)",
                    "holdout_purchase_weeks_predicted": "Purchase weeks predicted in the holdout",
                    "holdout_purchase_weeks_actual": "Purchase weeks in the holdout",
                    "p_buy_again_one_time_buyers": "One-time buyers: predicted share buying again",
                    "bought_again_one_time_buyers": "One-time buyers: share that bought again",
                },
                pct=["p_buy_again_one_time_buyers", "bought_again_one_time_buyers"],
            )
        # the fit_status row's note is a status word (the paragraph above says what it means in words)
        said = model.loc[model["parameter"] != "fit_status", "note"].dropna().unique()
        notes = _once([_plain(n, model) for n in said if len(str(n).split()) > 1])
        if notes:
            display.bullets(notes)


_no_cost = formatting.no_cost


def _plan_with_the_forecast(bundle, value_total: float, cur: str | None) -> str:
    """One sentence under the value cards: the value model's 12-month total is not the revenue forecast the
    rest of the report plans with (the sum of the account forecasts, on the overview's "Forecast against
    target" card), and, where the forecast stage measured it, how far the value model's account totals were
    off out of time (``forecast_methods``' ``btyd`` row). Demo of 2026-10-31: 16.88M beside a forecast of
    21.08M on the same page, with nothing to say which to use; the value model's totals had come to 15% less
    than the accounts bought. Where the value model gives every account the same purchase rate, the sentence says
    what its ranking then follows (the grocery panel's top 100 at 2017-06-30 ranked H0973, which bought in 15 of its 25
    weeks, third by value, above households that bought every week). "" without a forecast."""
    summary = bundle.table("forecast_summary")
    if not isinstance(summary, pd.DataFrame) or "forecast_next_12m" not in summary.columns:
        return ""
    forecast = float(pd.to_numeric(summary["forecast_next_12m"], errors="coerce").sum())
    if not math.isfinite(forecast):
        return ""
    text = (
        f"The value model's {money(value_total, cur)} ranks accounts by what they may be worth (discounted at 10% a "
        f"year); it is not the revenue forecast. The revenue to plan with is the forecast, {money(forecast, cur)} "
        "for the next 12 months, the sum of the account forecasts that every account page, plan and target uses."
    )
    if model_choice(bundle.table("value_model"))[1] == "common_rate":  # its ranking is not by buying frequency
        text = text.replace(
            "year); it is not the revenue forecast.",
            "year); on this history it gives every account the same purchase rate, so it ranks them only by what a "
            "purchase week of each is worth, not by how often they buy. It is not the revenue forecast.",
            1,
        )
    methods = bundle.table("forecast_methods")
    if isinstance(methods, pd.DataFrame) and {"method", "bias_pct", "cases"} <= set(methods.columns):
        row = methods[methods["method"] == "btyd"]
        bias = float(row["bias_pct"].iloc[0]) if len(row) else math.nan
        if math.isfinite(bias) and abs(bias) >= 0.5:
            cases = formatting.counted(int(row["cases"].iloc[0]), "case")
            side = "less" if bias < 0 else "more"
            text += (
                f" In a test on past data ({cases}) the value model's totals for accounts came to {abs(bias):.0f}% {side} "
                "than they went on to buy."
            )
    return text


def portfolio_section(bundle) -> None:
    """Expected future value of the portfolio."""
    display.heading("Expected future value")
    value = bundle.table("value")
    if isinstance(value, NotAvailable):
        display.not_available(value)
        return
    cur = formatting.currency_of(bundle)
    lapsed = value[value["p_alive"] < LAPSED]
    _, status, _ = model_choice(bundle.table("value_model"))
    shown_as, why = p_alive_shown_as(bundle.table("value_model"))
    # with no drop-out in the history, "none stopped" is not good news, only no evidence: the card reads "not known"
    # (a "0" stood beside the risk section's count of lapsed accounts on the demo cut at 19 months)
    no_dropout = status == "no_dropout"
    lapsed_status = ("bad" if len(lapsed) else "good",) if not no_dropout else ()
    # an order log without costs: every margin equals revenue, no margin to show
    no_cost = "margin_pct" in value.columns and bool(value["margin_pct"].map(_no_cost).all())
    cards = [
        ("Value model's expected revenue, next 12 months", money(float(value["expected_value_12m"].sum()), cur)),
        (
            "Value model's expected margin, next 12 months",
            formatting.NO_COST if no_cost else money(float(value["expected_margin_12m"].sum(skipna=True)), cur),
        ),
        (
            "Accounts probably no longer buying",
            "not known" if no_dropout else formatting.count(len(lapsed)),
            *lapsed_status,
        ),
        ("Accounts scored", formatting.count(len(value))),
    ]
    if shown_as == "score":  # an unchecked P(alive) cannot count who has stopped buying
        lapsed = lapsed.iloc[0:0]
        cards.pop(2)
    display.kpi_cards(cards)
    plan_with = _plan_with_the_forecast(bundle, float(value["expected_value_12m"].sum()), cur)
    if plan_with:
        display.paragraph(plan_with)
    if shown_as == "score":
        display.paragraph(
            _plain(why, bundle.table("value_model"))
            + " So no count of accounts that have stopped buying is given; the activity score ranks accounts."
        )
    elif no_dropout:
        display.paragraph(NO_DROPOUT_SENTENCE)
    show_notes(bundle, "value")
    display.figure(
        value_distribution_chart(value, currency=cur, shown_as=shown_as),
        alt="Distribution of expected 12-month value and of "
        + ("P(alive)" if shown_as == "probability" else "the activity score"),
    )
    names = account_names(bundle.table("accounts"))
    top = (
        value.sort_values("expected_value_12m", ascending=False)
        .head(10)
        .assign(name=lambda d: d["account_id"].map(names))
    )
    if shown_as == "score":  # a ranking on 0-100, not a share
        top = top.assign(p_alive=(top["p_alive"] * 100).round().astype("Int64"))
    display.heading("Largest expected values", 3)
    display.table(
        top,
        columns={
            "account_id": "Account",
            "name": "Name",
            "expected_value_12m": "Value model's expected revenue 12m",
            **({} if no_cost else {"expected_margin_12m": "Expected margin 12m"}),
            "p_alive": "Alive probability" if shown_as == "probability" else SCORE_LABEL,
            "value_share": "Share of value",
        },
        money=["expected_value_12m", "expected_margin_12m"],
        currency=formatting.currency_of(bundle),
        pct=["p_alive", "value_share"] if shown_as == "probability" else ["value_share"],
    )
    if len(lapsed):
        display.heading("Probably stopped buying (P(alive) below 50%)", 3)
        lost = lapsed.assign(
            name=lambda d: d["account_id"].map(names),
            past_yearly=lambda d: d["monetary"] * (d["frequency"] + 1) / d["T"].clip(lower=1) * 52,
        ).sort_values("past_yearly", ascending=False)
        display.table(
            lost,
            columns={
                "account_id": "Account",
                "name": "Name",
                "last_purchase": "Last order",
                "past_yearly": "Yearly revenue while active",
                "p_alive": "Alive probability",
            },
            max_rows=15,
            money=["past_yearly"],
            currency=formatting.currency_of(bundle),
            pct=["p_alive"],
        )
    if bundle.has("value_model"):
        display.paragraph("Which value model was chosen and how well it fits: see the appendix.")
