"""Report sections of the churn model (reads the ``churn*`` bundle tables; never refits).

Account: churn probability, risk band, revenue at risk and the top drivers, as sentences
and a bar chart. Portfolio: the backtest against the recency baseline, the calibration
chart, what predicts churn, and the accounts ranked by revenue at risk.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kamtools import display, formatting
from kamtools.churn.bands import (  # noqa: F401
    churn_is_score,
    is_score,
    risk_base_phrase,
    risk_base_words,
    same_for_all,
    score_text,
)
from kamtools.churn.baseline import WARNING_PREFIX
from kamtools.churn.scoring import HIGH_RISK_P, MEDIUM_RISK_P, MIN_CHURN_EVENTS
from kamtools.churn.sentences import silence_sentence
from kamtools.credit_only import credit_only, no_orders_phrase
from kamtools.data.portfolio import NotAvailable
from kamtools.plotting.churn import calibration_plot, drivers_plot, importance_plot
from kamtools.plotting.style import money
from kamtools.sections import account_names, show_notes

ACTIVE_BANDS = ("high", "medium", "low")
_STATUS = {"high": "bad", "medium": "warn", "low": "good", "lapsed": "bad"}
_SHOWN_METRICS = ["roc_auc", "pr_auc", "brier", "lift_top_decile", "captured_top_decile", "base_rate", "n_accounts"]


_DEFINITION = re.compile(r"An active account \(ordered in the last \d+ months\) churns when it has [^.]*\.")


def _definition(table, bundle=None) -> str:
    """The churn definition the model was trained on, in one sentence: the backtest's record; without a
    backtest (too little history before its test date), the definition the churn stage fitted to the
    history (its note says so when it shortened the windows), else the one the manifest records."""
    if isinstance(table, pd.DataFrame) and "definition" in table.columns and len(table):
        return str(table["definition"].iloc[0])
    if bundle is not None:
        found = _DEFINITION.search(bundle.note("churn") or "")
        if found:
            return found.group(0)
        asked = (getattr(bundle, "manifest", None) or {}).get("churn_definition") or {}
        if isinstance(asked, dict) and asked.get("describe"):
            return str(asked["describe"])
    return "An active account churns when it places no order in the next 6 months."


RECENCY_RULE = "the recency rule"  # how kamtools.churn's method starts where the rule beat the model out of time


def driver_heading(methods) -> str:
    """The heading of the at-risk lists' reason column: where every figure listed is the recency rule's, its reason
    is the order gap it rests on, not a driver ('Main driver: Last order today, within its usual gap of 1 day'
    beside 11% and 450.1k at risk, the demo's Oakwood Hospital SA)."""
    shown = [str(m) for m in methods]
    return "Rests on (order gap)" if shown and all(m.startswith(RECENCY_RULE) for m in shown) else "Main driver"


def first_warning_sign(row: dict) -> str:
    """The first warning sign the churn model saw that the figure does not use (``driver_2``/``driver_3`` of a
    figure from the recency rule; ``row`` a ``churn`` row as a dict), without its prefix; empty where there is none."""
    for col in ("driver_2", "driver_3"):
        text = row.get(col)
        if isinstance(text, str) and text.startswith(WARNING_PREFIX):
            return text.removeprefix(WARNING_PREFIX)
    return ""


def _defined(method: object) -> bool:
    """True where the churn figure is the chance of churn as the churn definition has it: the churn model's, or the
    recency rule's that beat it out of time (fitted to the same labels), not the value model's chance of no order."""
    return str(method).startswith(("churn model", RECENCY_RULE))


def _metric_text(metric: str, value: float) -> str:
    if pd.isna(value):
        return ""
    if metric in ("captured_top_decile", "base_rate"):
        return f"{value:.0%}"
    if metric.startswith("n_"):
        return f"{value:,.0f}"
    if metric == "lift_top_decile":
        return f"{value:.1f}x"
    return f"{value:.3f}"


def driver_sentence(row: pd.Series) -> str:
    """One driver as the sentence a KAM reads: 'No order for 144 days, this account usually orders every 40 days.'

    Uses the ``sentence`` the churn stage wrote (:func:`kamtools.churn.features.driver_text`);
    a bundle written before sentences existed gets the plain label with its value.
    """
    text = row.get("sentence")
    if not isinstance(text, str) or not text or text == "nan":
        text = f"{row['label']}: {row['value_text']}"
    return text.rstrip(".") + "."


def account_section(acct) -> None:
    """Churn risk of one account and what drives it."""
    display.heading("Churn risk and its drivers")
    churn = acct.table("churn")
    if isinstance(churn, NotAvailable):
        display.not_available(churn)
        return
    if churn.empty:
        display.paragraph("This account was not a customer on the analysis date, so it has no churn estimate.")
        return
    row = churn.iloc[0]
    band = str(row["risk_band"])
    prob = row["churn_probability"]
    evaluation = acct.portfolio_table("churn_evaluation")
    if band == "no orders yet":
        if credit_only(acct.info):  # it bought before the data began: only its credit notes are in it
            display.paragraph(
                f"This account has {no_orders_phrase(acct.info)}, so there is no buying pattern to judge churn from."
            )
            return
        display.paragraph("This account has not ordered yet, so there is no buying pattern to judge churn from.")
        return
    score = churn_is_score(churn)
    _cards(acct, row, band, prob, score)
    if band == "lapsed":
        _lapsed(acct, row)
        return
    position = _position(acct, prob)
    band_text = {
        "high": f"It is in the high band (churn probability {HIGH_RISK_P:.0%} or more).",
        "medium": f"It is in the medium band (churn probability {MEDIUM_RISK_P:.0%} to {HIGH_RISK_P:.0%}).",
        "low": f"It is in the low band (churn probability below {MEDIUM_RISK_P:.0%}).",
    }[band]
    base = risk_base_words(row.get("risk_base"))
    at_risk = f"Revenue at risk = probability x {base}"
    if score:  # the bands cut the score at the same points; the money is weighted by a score, not expected
        band_text = {
            "high": f"It is in the high band (churn score {score_text(HIGH_RISK_P)} or more).",
            "medium": f"It is in the medium band (churn score {score_text(MEDIUM_RISK_P)} to {score_text(HIGH_RISK_P)}).",
            "low": f"It is in the low band (churn score below {score_text(MEDIUM_RISK_P)}).",
        }[band]
        at_risk = (
            f"Revenue at risk, score-weighted (score x {base}: a figure to rank accounts by, not an expected loss)"
        )
    model = str(row["method"]).startswith("churn model")
    # the fallback (the value model's chance of no order) uses no churn definition; the model and the recency rule
    # were fitted to it, and "18%" means nothing to a KAM who is not told what it is the chance of
    definition = f"{_definition(evaluation, acct.bundle)} " if _defined(row["method"]) else ""
    what = "churn score (a ranking, not a probability)" if score else "estimated probability"
    shown = _shown(prob, score)  # as the card above shows it
    display.paragraph(
        f"{definition}The {what} for this account is {shown}.{position} "
        f"{band_text} {at_risk} = {money(float(row['revenue_at_risk']))}."
    )
    if not model:
        display.paragraph(f"How this was estimated: {row['method']}.{_value_link(acct, row)}")
        _rule_why(acct)  # the recency rule's order gap, and the trained model's signs beside it
        return
    show_notes(acct.bundle, "churn")  # windows of the churn definition shortened to the history
    _why(acct, row)


def _value_link(acct, row: pd.Series) -> str:
    """Where this figure is the value model's chance of no order checked on the history and the expected-value
    section shows the same model's P(alive) as an unchecked activity score: which to read for what."""
    from kamtools.sections.value import CHURN_FALLBACK
    from kamtools.value.reading import p_alive_shown_as

    if not str(row.get("method", "")).startswith(CHURN_FALLBACK):
        return ""
    shown_as, _ = p_alive_shown_as(acct.portfolio_table("value_model"))
    if shown_as != "score":
        return ""
    return (
        " The activity score in the expected-value section comes from the same value model but was not checked "
        "on the history: it ranks accounts, while this probability is the one to act on."
    )


def _cards(acct, row: pd.Series, band: str, prob: float, score: bool) -> None:
    """Probability (or score), band, revenue at risk and the 12-month figure it is taken of (:func:`_base_card`)."""
    cur = formatting.currency_of(acct.bundle)  # the same text as page one and the index
    display.kpi_cards(
        [
            (
                "Churn score (not a probability)" if score else "Churn probability",
                score_text(prob)
                if score and pd.notna(prob)
                else formatting.pct_banded(
                    prob, (MEDIUM_RISK_P, HIGH_RISK_P), missing="not estimated" if band == "lapsed" else "unknown"
                ),
                _STATUS.get(band, ""),
            ),
            ("Risk band", band, _STATUS.get(band, "")),
            (
                "Revenue at risk (score-weighted)" if score else "Revenue at risk",
                "not estimated" if pd.isna(row["revenue_at_risk"]) else money(float(row["revenue_at_risk"]), cur),
            ),
            _base_card(row, cur),
        ]
    )


_BASE_CARDS = {
    "forecast": "Forecast revenue, next 12 months",
    "last 12 months' revenue": "Revenue, last 12 months",
}


def _base_card(row: pd.Series, cur: str | None) -> tuple[str, str]:
    """The figure revenue at risk multiplies the probability by (``risk_base_12m``, named by ``risk_base``), so the
    card beside it agrees with it: the demo's A0050 showed the value model's 2.47M beside "revenue at risk =
    probability x the 12-month forecast = 686.0k" (18% of the forecast's 3.76M). A table without that column
    (written before it) used the value model."""
    base = row.get("risk_base_12m")
    label = _BASE_CARDS.get(str(row.get("risk_base")))
    if label is None or base is None or pd.isna(base):
        return "Value model's expected revenue, next 12 months", money(float(row["expected_value_12m"]), cur)
    return label, money(float(base), cur)


def _lapsed(acct, row: pd.Series) -> None:
    """A lapsed account: the method, the win-back advice and what it bought in the last 12 months."""
    feats = acct.table("churn_features")
    bought, spent = "", 0.0
    if isinstance(feats, pd.DataFrame) and len(feats) and "revenue_12m" in feats.columns:
        spent = float(feats["revenue_12m"].iloc[0])
        bought = f" It bought {money(spent)} in the last 12 months."
    at_risk = ""
    if not pd.isna(row["churn_probability"]) and not pd.isna(row["revenue_at_risk"]):
        rar = money(float(row["revenue_at_risk"]))
        at_risk = f" Revenue at risk = probability x {risk_base_words(row.get('risk_base'))} = {rar}."
        if row.get("risk_base") == "forecast" and rar == money(0.0) and money(spent) != money(0.0):
            at_risk = (  # the plan already counts it lost: what it bought is not at risk but to win back
                f"{at_risk[:-1]}: the forecast already expects next to nothing from it, so the plan does not count on "
                "what it bought; winning it back would add to the plan."
            )
    display.paragraph(
        f"{row['method'][0].upper()}{row['method'][1:]}. By the churn definition the account has already "
        f"lapsed: treat it as a win-back case.{bought}{at_risk}"
    )


def _shown(prob: float, score: bool) -> str:
    """The account's churn figure as the card shows it: '57/100' for a score, else the banded percent
    ('0.2%', '<0.1%'), so the sentence under the card never reads '0%' beside a card's '0.2%'."""
    return score_text(prob) if score else formatting.pct_banded(prob, (MEDIUM_RISK_P, HIGH_RISK_P))


def _position(acct, prob: float) -> str:
    """Where the account's probability stands among the active accounts, as a sentence (or "").

    Where most active accounts show the same figure (as the page shows it: whole points out of 100 for a
    score, the card's percent for a probability: a portfolio of figures near 0 on a short history), the
    sentence says so rather than calling a 0/100 "higher than" accounts that also read 0/100."""
    everyone = acct.portfolio_table("churn")
    position = ""
    if isinstance(everyone, pd.DataFrame):
        active = everyone[everyone["risk_band"].isin(ACTIVE_BANDS)]
        if len(active) > 1:
            values = active["churn_probability"].to_numpy(dtype=float)
            score = churn_is_score(everyone)
            mine = _shown(float(prob), score)
            same = int(sum(_shown(v, score) == mine for v in values))
            below = float((values < prob).mean())
            above = float((values > prob).mean())
            if same >= 0.5 * len(active):
                others = max(same - 1, 0)
                if same_for_all(everyone):  # the rule by which the plan raises no action on it
                    what = "score" if churn_is_score(everyone) else "probability"
                    position = (
                        f" Every other active account ({others}) shows the same: this {what} does not tell the "
                        "active accounts apart."
                    )
                elif others == len(active) - 1:  # too few accounts to call the figure uninformative
                    position = " The other active account shows the same."
                else:
                    position = f" {others} of the other {len(active) - 1} active accounts show the same."
            # never '100%' of the accounts: the account itself is one of them, so rounding must not reach 100
            elif below >= 0.5:
                position = f" That is higher than for {formatting.pct_banded(below, (1.0,))} of the active accounts."
            else:
                position = f" That is lower than for {formatting.pct_banded(above, (1.0,))} of the active accounts."
    return position


def _rule_why(acct) -> None:
    """Where a rule (not the churn model) gave the figure: the order gap it rests on, then the trained
    model's drivers as warning signs the figure does not include (rows the churn stage marks so)."""
    drivers = acct.table("churn_drivers")
    if isinstance(drivers, NotAvailable) or drivers.empty or "direction" not in drivers.columns:
        _gap_why(acct)  # a fallback without drivers (the value model's score): the order gap it reads
        return
    drivers = drivers.sort_values("rank")
    direction = drivers["direction"].astype(str)
    basis, signs = drivers[direction != "warning sign"], drivers[direction == "warning sign"]
    if not basis.empty:
        display.heading("Why", level=3)
        display.bullets([driver_sentence(r) for _, r in basis.iterrows()])
    if not signs.empty:
        display.heading("Warning signs", level=3)
        display.paragraph(
            "The trained churn model saw these; its figure lost to the rule in a test on past data, so they are not in the "
            "figure above, but each is something to check with the account (a fact on which it does no worse than "
            "the typical active account is left out)."
        )
        display.bullets([driver_sentence(r).removeprefix(WARNING_PREFIX) for _, r in signs.iterrows()])


def _gap_why(acct) -> None:
    """The reason of a churn figure no driver explains (the value model's chance of no order, or a rule): the
    account's silence against its usual gap between orders, from the churn features (READ, the grocery panel's
    random 40: H1564's 115 days without an order, where it usually ordered every 9.5 days, appeared only in the
    plan's risk, and its churn section gave no reason). Nothing when the features are missing."""
    feats = acct.table("churn_features")
    if isinstance(feats, NotAvailable) or feats.empty or "days_since_last_order" not in feats.columns:
        return
    row = feats.iloc[0]
    usual = float(row["usual_order_gap_days"]) if pd.notna(row.get("usual_order_gap_days")) else np.nan
    days = float(row["days_since_last_order"]) if pd.notna(row["days_since_last_order"]) else np.nan
    sentence = silence_sentence(days, usual)
    if sentence is None:
        return
    display.heading("Why", level=3)
    display.paragraph(
        "The figure reads the account's buying rhythm (how often it ordered and how long ago it last did); no other "
        "fact enters it. Where the account stands against its own rhythm:"
    )
    display.bullets([f"{sentence}."])
    if long_silence(days, usual) and no_stop_seen(acct):
        display.paragraph(
            "The figure stays low after that silence because the value model behind it saw practically no account "
            "stop buying in this history (its chance that an account stops after a purchase week is about 0): it "
            "reads any silence as a pause, so check the silence above with the account rather than rely on the figure."
        )


# the deck's shorter form of the paragraph above, under the same silence
NO_STOP_SEEN_SHORT = (
    "The figure stays low all the same: the value model saw practically no account stop buying in this history and "
    "reads any silence as a pause; check this one with the account."
)


LONG_SILENCE = 2.0  # a silence this many times the usual gap between orders is worth checking (6 days after 5.5 is not)


def long_silence(days: float, usual: float) -> bool:
    """True where the account has been silent for more than :data:`LONG_SILENCE` times its usual gap."""
    return bool(np.isfinite(days) and np.isfinite(usual) and days > LONG_SILENCE * usual)


NO_STOP_SEEN = 1e-3  # the value model's chance of stopping after a purchase week, a / (a + b), below which it saw none


def no_stop_seen(acct) -> bool:
    """True where the churn figure is low (its band) and the chosen value model's chance that an account stops
    after a purchase week, a / (a + b), is under :data:`NO_STOP_SEEN`: such a model keeps the figure low however
    long the silence. The grocery panel's top 100 at 2017-06-30 (a = 1.5e-08, b = 10,000,000): H1852, 'No order for
    12 days, where it usually orders every 2 days', read a churn score of 0/100, low, with nothing saying why."""
    from kamtools.value.reading import model_choice

    churn = acct.table("churn")
    if not isinstance(churn, pd.DataFrame) or churn.empty or str(churn["risk_band"].iloc[0]) != "low":
        return False
    model = acct.portfolio_table("value_model") if hasattr(acct, "portfolio_table") else None
    if not isinstance(model, pd.DataFrame) or not {"model", "parameter", "estimate"} <= set(model.columns):
        return False
    name = model_choice(model)[0]
    est = model[model["model"] == name].set_index("parameter")["estimate"]
    a, b = (pd.to_numeric(est.get(k), errors="coerce") for k in ("a", "b"))
    return bool(pd.notna(a) and pd.notna(b) and a + b > 0 and a / (a + b) < NO_STOP_SEEN)


def _why(acct, row: pd.Series) -> None:
    """The drivers that raise the risk, as sentences and a chart, and what works in our favour."""
    drivers = acct.table("churn_drivers")
    if isinstance(drivers, NotAvailable):
        display.not_available(drivers)
        return
    if "direction" in drivers.columns:  # reasons are only drivers that raise the risk
        drivers = drivers[drivers["direction"].astype(str) == "raises risk"]
    drivers = drivers.sort_values("rank")
    display.heading("Why", level=3)
    if drivers.empty:
        display.paragraph(
            "Nothing the account does stands out as a reason: no order gap, falling volume, complaint, late payment, "
            "contact gap, lost bid or price gap is behind this estimate. It comes from the account's profile "
            "(such as its industry, size and buying pattern), which the model weighs but which is not a reason "
            "to act on."
        )
    else:
        display.bullets([driver_sentence(r) for _, r in drivers.iterrows()])
        display.figure(drivers_plot(drivers), alt="Bar chart of the reasons that raise this account's churn risk")
        display.paragraph(
            "Only what a KAM can see and act on is listed, and only where it raises the risk. Each bar is how much "
            "that fact raises the risk compared with a typical account. The account's profile (industry, region, "
            "how long it has been a customer) and other models' estimates also inform the probability but are not "
            "listed as reasons."
        )
    favour = str(row.get("in_our_favour", "") or "")
    if favour and favour != "nan":
        display.heading("What works for us", level=3)
        display.bullets([f"{s.strip().rstrip('.')}." for s in favour.split("; ") if s.strip()])


def _backtest_table(evaluation: pd.DataFrame) -> None:
    """The out-of-time backtest measures of the churn model beside the recency baseline."""
    shown = evaluation.set_index("metric").reindex([m for m in _SHOWN_METRICS if m in set(evaluation["metric"])])
    shown = shown.reset_index()
    for col in ("model", "baseline"):
        shown[col] = [_metric_text(m, v) for m, v in zip(shown["metric"], shown[col], strict=True)]
    display.table(
        shown[["label", "model", "baseline"]],
        columns={"label": "Measure", "model": "Churn model", "baseline": "Recency baseline"},
    )


def _calibration_chart(calibration) -> None:
    if isinstance(calibration, pd.DataFrame) and len(calibration):
        display.figure(
            calibration_plot(calibration),
            alt="Calibration chart: predicted churn probability against the churn rate observed afterwards",
        )


def _too_few_cases(by: pd.DataFrame) -> str | None:
    """The smaller side of the churn test's snapshot in words ("12 churn events", "9 accounts that kept buying")
    when it is under :data:`~kamtools.churn.scoring.MIN_CHURN_EVENTS`, the fewest churn events the model is trained
    on (set before measuring, as the bid desk's MIN_SCORED): then a model that scored better on it is not called
    the better guide. None when both sides reach it or the test's counts are missing (older bundles)."""
    try:
        n, churned = float(by.loc["n_accounts", "model"]), float(by.loc["n_churned", "model"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite(n) and np.isfinite(churned)):
        return None
    stayed = n - churned
    if min(churned, stayed) >= MIN_CHURN_EVENTS:
        return None
    if churned <= stayed:
        return formatting.counted(int(churned), "churn event")
    return formatting.counted(int(stayed), "account that kept buying", "accounts that kept buying")


def backtest_sentence(evaluation: pd.DataFrame) -> str:
    """The backtest in one sentence: how well the model ranked and scored churn beside the recency
    baseline, and what that means for reading a probability ('' without the measures)."""
    by = evaluation.set_index("metric")
    if not {"roc_auc", "brier"} <= set(by.index):
        return ""
    auc, brier = by.loc["roc_auc"], by.loc["brier"]
    text = (
        f"In that test the model ranked churners with a ROC AUC of {formatting.number(auc['model'], 2)} against "
        f"{formatting.number(auc['baseline'], 2)} for the rule of thumb (0.5 is guessing, 1 is perfect) and scored a "
        f"Brier score of {formatting.number(brier['model'], 3)} against {formatting.number(brier['baseline'], 3)} "
        "(lower is better): "
    )
    better = auc["model"] >= auc["baseline"] and brier["model"] <= brier["baseline"]
    worse = auc["model"] < auc["baseline"] and brier["model"] > brier["baseline"]
    few = _too_few_cases(by)
    if better and few is not None:
        return text + (
            f"but the test held only {few}, and the model is trained only on {MIN_CHURN_EVENTS} or more, too few to "
            "tell the two apart, so read the churn probability beside the gap since the last order."
        )
    if better:
        return text + "its probabilities are the better guide."
    if worse:
        return text + "the rule of thumb did better, so read this account's churn probability with care."
    return text + "neither is better on both counts, so read the churn probability beside the gap since the last order."


def account_appendix(acct) -> None:
    """Appendix part of the account report: how the churn probability was estimated and how well
    the model predicted churn out of time (portfolio-wide backtest and calibration)."""
    display.heading("Churn model: out-of-time backtest and calibration", level=3)
    churn = acct.table("churn")
    if isinstance(churn, NotAvailable):
        display.not_available(churn)
        return
    method = str(churn["method"].iloc[0]) if len(churn) and "method" in churn.columns else ""
    evaluation = acct.portfolio_table("churn_evaluation")
    model = _portfolio_model(acct) if not method.startswith("churn model") else None
    if model is not None:
        # a lapsed account takes the lapsed rule while the portfolio's active accounts take the trained model:
        # "no churn model was trained" (or "it lost to the recency rule") would contradict the overview
        text = (
            f"How the churn risk was estimated for this account: {method}. The accounts still ordering take the "
            f"{model}."
        )
        if isinstance(evaluation, pd.DataFrame) and len(evaluation):
            ev = evaluation.iloc[0]
            display.paragraph(
                f"{text} The model ({ev['chosen_model']}) was trained on {int(ev['train_snapshots'])} earlier "
                f"snapshots and tested on the accounts as they were on {formatting.date(ev['test_as_of'])}, judged "
                f"by what happened afterwards. {backtest_sentence(evaluation)}"
            )
            _backtest_table(evaluation)
        else:
            why = evaluation.reason if isinstance(evaluation, NotAvailable) else "No backtest of it was run."
            display.paragraph(f"{text} {why}")
        return
    if not method.startswith("churn model"):
        if isinstance(evaluation, pd.DataFrame) and len(evaluation):
            # a model was trained and tested, but lost to the recency rule: say so, with its figures
            display.paragraph(f"How the churn risk was estimated: {method}. {_lost_sentence(evaluation, method)}")
            _backtest_table(evaluation)
            return
        display.paragraph(
            f"How the churn risk was estimated: {method or 'not at all for this account'}. No churn model was "
            "trained, so there is no backtest."
        )
        return
    if not isinstance(evaluation, pd.DataFrame) or evaluation.empty:
        display.not_available(evaluation if isinstance(evaluation, NotAvailable) else "No backtest was run.")
        return
    ev = evaluation.iloc[0]
    display.paragraph(
        f"{_definition(evaluation)} The model ({ev['chosen_model']}) was trained on {int(ev['train_snapshots'])} "
        f"earlier snapshots and tested on the accounts as they were on {formatting.date(ev['test_as_of'])}, judged "
        "by what happened afterwards, beside the rule of thumb 'days since the last order against the usual gap'. "
        f"Risk bands: high from {formatting.pct(ev['high_band_from'])}, medium from "
        f"{formatting.pct(ev['medium_band_from'])}. {backtest_sentence(evaluation)}"
    )


def _portfolio_model(acct) -> str | None:
    """The trained churn model's method as the portfolio's other accounts carry it (``"churn model (logistic,
    ...)"``), or None where no account takes a model."""
    churn = acct.portfolio_table("churn")
    if not isinstance(churn, pd.DataFrame) or "method" not in churn.columns:
        return None
    methods = churn["method"].astype(str)
    models = methods[methods.str.startswith("churn model")]
    return str(models.iloc[0]) if len(models) else None


def _lost_sentence(evaluation: pd.DataFrame, method: str = "") -> str:
    """A churn model that was trained but lost to the recency rule out of time, with its figures (unless
    ``method``, the sentence before it, quotes them already: then what was tested and where the table is)."""
    ev = evaluation.iloc[0]
    trained = (
        f"churn model ({ev['chosen_model']}) was trained on {int(ev['train_snapshots'])} earlier snapshots and "
        f"tested on the accounts as they were on {formatting.date(ev['test_as_of'])}, judged by what happened "
        "afterwards"
    )
    if "lost to it" in method:
        return f"The {trained}; its backtest beside the recency rule:"
    by = evaluation.set_index("metric")
    figures = []
    if "roc_auc" in by.index:
        auc = by.loc["roc_auc"]
        figures.append(
            f"ROC AUC {_metric_text('roc_auc', auc['model'])} against {_metric_text('roc_auc', auc['baseline'])}"
        )
    if "brier" in by.index:
        brier = by.loc["brier"]
        figures.append(
            f"Brier score {_metric_text('brier', brier['model'])} against {_metric_text('brier', brier['baseline'])}"
        )
    shown = f" ({'; '.join(figures)}, the model first)" if figures else ""
    return (
        f"A {trained}; it lost to the recency rule in that test{shown}, so every account's churn risk comes from "
        "the rule, not the model."
    )


def portfolio_appendix(bundle) -> None:
    """Appendix part of the portfolio overview: the churn model's out-of-time backtest against the
    recency rule, and its calibration."""
    display.heading("Churn model: out-of-time backtest and calibration", level=3)
    churn = bundle.table("churn")
    if isinstance(churn, NotAvailable):
        display.not_available(churn)
        return
    evaluation = bundle.table("churn_evaluation")
    methods = churn["method"].drop_duplicates().tolist() if "method" in churn.columns else []
    model = bool(methods) and str(methods[0]).startswith("churn model")
    if isinstance(evaluation, pd.DataFrame) and len(evaluation):
        ev = evaluation.iloc[0]
        display.paragraph(
            f"Does the model predict churn? Trained on {int(ev['train_snapshots'])} earlier snapshots of history and "
            f"tested on the accounts as they were on {formatting.date(ev['test_as_of'])}, judged by what happened "
            f"afterwards (an out-of-time backtest); model family: {ev['chosen_model']}. The baseline is the rule of "
            "thumb 'days since the last order compared with the account's usual gap'."
        )
        _backtest_table(evaluation)
    elif methods and not model:
        display.not_available("No churn model was trained, so there is no out-of-time backtest.")
    else:
        display.not_available(evaluation if isinstance(evaluation, NotAvailable) else "No backtest was run.")
    _calibration_chart(bundle.table("churn_calibration"))


def revenue_at_risk_sentence(churn: pd.DataFrame, currency: str | None = None) -> str:
    """What the portfolio's revenue at risk adds up (the same total as the index's): one definition for every account."""
    active = churn[churn["risk_band"].isin(ACTIVE_BANDS)]
    lapsed = churn[churn["risk_band"] == "lapsed"]
    unknown = int(lapsed["churn_probability"].isna().sum())
    total = money(float(active["revenue_at_risk"].sum()), currency)
    text = (
        f"Revenue at risk is the churn probability x {risk_base_phrase(churn)}, added up over every account that "
        f"has a probability (the same total as the index): {total} on active accounts"
    )
    if churn_is_score(active):
        text = (
            f"Revenue at risk is score-weighted here: the churn score x {risk_base_phrase(churn)}, added up over "
            f"every account that has a score (the same total as the index): {total} on active accounts. It ranks "
            "the money; it is not an expected loss, because the score is not a probability"
        )
    if unknown < len(lapsed):
        text += f" and {money(float(lapsed['revenue_at_risk'].sum()), currency)} on lapsed ones"
    text += "."
    if unknown:
        figure = "score" if churn_is_score(active) else "probability"  # what the active accounts' figures are
        text += (
            f" {unknown:,} lapsed account{'s have' if unknown != 1 else ' has'} no {figure} (the history cannot "
            f"yet show how often lapsed accounts come back), so {'they add' if unknown != 1 else 'it adds'} nothing."
        )
    return text


def portfolio_section(bundle) -> None:
    """What predicts churn and the accounts ranked by revenue at risk (the model's backtest and
    calibration are in the appendix, :func:`portfolio_appendix`)."""
    display.heading("Risks ranked by revenue at risk")
    churn = bundle.table("churn")
    if isinstance(churn, NotAvailable):
        display.not_available(churn)
        return
    active = churn[churn["risk_band"].isin(ACTIVE_BANDS)]
    high = active[active["risk_band"] == "high"]
    lapsed = churn[churn["risk_band"] == "lapsed"]
    cur = formatting.currency_of(bundle)
    display.kpi_cards(
        [
            ("Revenue at risk", money(float(churn["revenue_at_risk"].sum()), cur)),
            ("Accounts in the high band", formatting.count(len(high)), "bad" if len(high) else "good"),
            ("Revenue at risk in the high band", money(float(high["revenue_at_risk"].sum()), cur)),
            ("Lapsed accounts (no recent orders)", formatting.count(len(lapsed)), "warn" if len(lapsed) else "good"),
        ]
    )
    display.paragraph(revenue_at_risk_sentence(churn, cur))
    evaluation = bundle.table("churn_evaluation")
    methods = active["method"].drop_duplicates().tolist()
    model = bool(methods) and str(methods[0]).startswith("churn model")
    if methods:
        definition = f" {_definition(evaluation, bundle)}" if _defined(methods[0]) else ""
        display.paragraph(f"How the churn risk was estimated: {methods[0]}.{definition}")
    if model:
        show_notes(bundle, "churn")  # the windows of the churn definition were shortened
    if isinstance(evaluation, pd.DataFrame) and len(evaluation):
        ev = evaluation.iloc[0]
        display.paragraph(
            f"Risk bands follow the churn probability only: high from {ev['high_band_from']:.0%}, medium from "
            f"{ev['medium_band_from']:.0%}, low below. The money is ranked separately: accounts are listed by "
            f"revenue at risk (probability x {risk_base_phrase(churn)})."
        )
        display.paragraph("How well the model predicted churn in a test on past data: see the appendix.")
    elif methods and not model:
        display.paragraph("No churn model was trained, so none was tested on past data.")
    importance = bundle.table("churn_importance")
    if isinstance(importance, pd.DataFrame) and len(importance):
        display.figure(importance_plot(importance), alt="Bar chart of the factors that predict churn in this portfolio")
    names = account_names(bundle.accounts)
    display.heading("Accounts ranked by revenue at risk", level=3)
    at_risk = active[active["risk_band"].isin(["high", "medium"])].sort_values("revenue_at_risk", ascending=False)
    if at_risk.empty:
        display.paragraph("No active account is in the high or medium band.")
    else:
        top = at_risk.head(20).assign(name=lambda d: d["account_id"].map(names).fillna(""))
        # money as on the index and the account reports ('€52.6k', not '52,564')
        top["revenue_at_risk"] = top["revenue_at_risk"].map(lambda v: money(v, cur))
        scored = churn_is_score(active)
        if scored:  # '57/100' as on page one and the index, never a percent
            top["churn_probability"] = top["churn_probability"].map(score_text)
        else:  # as the index and the account pages: 29.9% beside 'medium', never 30%
            top["churn_probability"] = top["churn_probability"].map(
                lambda v: formatting.pct_banded(v, (MEDIUM_RISK_P, HIGH_RISK_P))
            )
        cols = {
            "account_id": "Account",
            "name": "Name",
            "risk_band": "Band",
            "churn_probability": "Churn score (not a probability)" if scored else "Churn probability",
            "revenue_at_risk": "Revenue at risk",
        }
        if "driver_1" in top.columns:
            cols["driver_1"] = driver_heading(top["method"]) if "method" in top.columns else "Main driver"
            top["warning_sign"] = [first_warning_sign(r) for r in top.to_dict("records")]
            if top["warning_sign"].astype(bool).any():  # what to check with the account beside the figure
                cols["warning_sign"] = "Warning sign to check (not in the figure)"
        display.table(
            top,
            columns=cols,
            max_rows=20,
        )
    if len(lapsed):
        display.heading("Lapsed accounts: win-back candidates", level=3)
        worth, columns, note = _win_back_candidates(bundle, lapsed)
        worth = worth.assign(name=worth["account_id"].map(names).fillna(""))
        for col in ("revenue_ltm", "expected_value_12m", "forecast_next_12m"):
            if col in worth.columns:
                worth[col] = worth[col].map(lambda v: money(v, cur))
        worth["churn_probability"] = worth["churn_probability"].map(
            lambda v: formatting.pct(v, missing="not estimated")
        )
        display.table(
            worth,
            columns=columns,
            max_rows=10,
            money=[c for c in ("revenue_ltm", "expected_value_12m", "forecast_next_12m") if c in columns],
            currency=formatting.currency_of(bundle),
        )
        if note:
            display.paragraph(note)


def _win_back_candidates(bundle, lapsed: pd.DataFrame, n: int = 10) -> tuple[pd.DataFrame, dict[str, str], str]:
    """The ``n`` lapsed accounts most worth a win-back call, the table's columns and a sentence on the order.

    Ranked as the plan ranks its win-back actions: by the revenue of the last 12 months (the value
    at stake those actions name), from the ``kpis`` table, so the largest account the plan calls
    back heads this list too. Beside it the forecast of the next 12 months (``forecast_summary``), the figure its
    own page, the plan and the portfolio's totals use; only without a forecast, the value model's expected revenue.
    (The value model keeps many lapsed accounts alive that the forecast, which follows what silent accounts
    really bought, sets to zero: demo of 2026-10-31, A0164 silent 14 months, churn 88%, value model
    21.1k, forecast 0.) Without the ``kpis`` table, by that expected revenue (as before)."""
    columns = {"account_id": "Account", "name": "Name", "churn_probability": "Churn probability"}
    forecast = bundle.table("forecast_summary")
    if isinstance(forecast, pd.DataFrame) and {"account_id", "forecast_next_12m"} <= set(forecast.columns):
        ahead = forecast.drop_duplicates("account_id").set_index("account_id")["forecast_next_12m"]
        lapsed = lapsed.assign(forecast_next_12m=lapsed["account_id"].map(ahead))
        expected, label = "forecast_next_12m", "Forecast, next 12 months"
        says = (
            "the forecast is the one the account's page and the portfolio's totals use, and the page says what it "
            "rests on (for some, what accounts as silent bought back; for others, their own months as if they went "
            "on buying as they have, which comes only with a win-back)"
        )
    else:
        expected, label = "expected_value_12m", "Value model's expected revenue, 12 months"
        says = "the value model's expected revenue is what it expects them to buy without a win-back"
    kpis = bundle.table("kpis")
    if isinstance(kpis, pd.DataFrame) and {"account_id", "revenue_ltm"} <= set(kpis.columns):
        ltm = kpis.drop_duplicates("account_id").set_index("account_id")["revenue_ltm"]
        ranked = lapsed.assign(revenue_ltm=lapsed["account_id"].map(ltm))
        ranked = ranked.sort_values(["revenue_ltm", expected], ascending=False, na_position="last")
        columns |= {"revenue_ltm": "Revenue, last 12 months", expected: label}
        note = (
            f"Largest revenue of the last 12 months first, the value at stake of the plans' win-back actions; {says}."
        )
        return ranked.head(n), columns, note
    columns[expected] = label if expected == "forecast_next_12m" else "Expected revenue, 12 months"
    return lapsed.sort_values(expected, ascending=False, na_position="last").head(n), columns, ""
