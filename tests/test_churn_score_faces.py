"""Where the churn stage could only give a score (its fallback unchecked on the history), every face says
"score" and none says "probability" (re-audit of issue 17: CDNOW with one month of history showed
"Churn score (not a probability)" in the churn section beside "57% (high)" on page one and "bring churn
probability from 57% below 30%" in the plan). A probability bundle reads as before."""

from __future__ import annotations

from html import escape as esc

import pandas as pd

from kamtools import plan as P
from kamtools.churn.bands import churn_is_score
from kamtools.sections.summary import summary_cards

AS_OF = pd.Timestamp("2026-06-30")
SCORE = "a churn score, not a probability: the value model's chance of no order in the next 6 months"
PROBABILITY = "the value model's probability of no order in the next 6 months, checked on the history"


def _churn(method: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "account_id": "A1",
                "risk_rank": 1,
                "churn_probability": 0.57,
                "risk_band": "high",
                "revenue_at_risk": 34.0,
                "expected_value_12m": 60.0,
                "p_alive": 0.5,
                "method": method,
            }
        ]
    )


class _Account:
    def __init__(self, method: str):
        self.account_id = "A1"
        self._churn = _churn(method)
        self.bundle = None

    def table(self, name):
        return self._churn

    def portfolio_table(self, name):
        return self._churn if name == "churn" else pd.DataFrame()


def test_the_flag_is_read_from_the_churn_method():
    assert churn_is_score(_churn(SCORE)) and not churn_is_score(_churn(PROBABILITY))
    assert not churn_is_score(pd.DataFrame()) and not churn_is_score(None)


def test_page_one_card_says_score_on_a_score_bundle_and_percent_on_a_probability_bundle():
    info = {"churn_probability": 0.57, "risk_band": "high", "revenue_at_risk": 34.0}
    cards = {label: text for label, text, _ in summary_cards(info, None, churn_is_score(_churn(SCORE)))}
    assert cards["Churn score (not a probability)"] == "score 57/100 (high)"
    assert "Revenue at risk (score-weighted)" in cards and "Churn risk" not in cards
    cards = {label: text for label, text, _ in summary_cards(info, None, churn_is_score(_churn(PROBABILITY)))}
    assert cards["Churn risk"] == "57% (high)" and "Revenue at risk" in cards


def test_the_churn_paragraph_of_a_score_never_calls_it_a_probability(captured):
    from kamtools.sections import churn as section

    section.account_section(_Account(SCORE))
    html = "".join(captured)
    assert "The churn score (a ranking, not a probability) for this account is 57/100." in html
    assert "It is in the high band (churn score 30/100 or more)." in html
    # a churn table without risk_base was written before the forecast was its basis: the value model's figure
    assert (
        esc("score x the value model's expected 12-month value: a figure to rank accounts by, not an expected loss")
        in html
    )
    assert "churn probability" not in html.replace(esc(SCORE), "").lower()
    assert "57%" not in html


def test_the_churn_paragraph_of_a_probability_is_unchanged(captured):
    from kamtools.sections import churn as section

    section.account_section(_Account(PROBABILITY))
    html = "".join(captured)
    assert "It is in the high band (churn probability 30% or more)." in html
    assert esc("Revenue at risk = probability x the value model's expected 12-month value = 34.") in html


def _plans_kpis() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "account_id": "A1",
                "name": "Acme",
                "owner": "Kim",
                "revenue_prior_ltm": 0.0,
                "decision_makers": 0.0,
                "revenue_ltm": 80_000.0,
                "days_since_last_order": 30.0,
            }
        ]
    )


def _plans(method: str):
    churn = _churn(method).assign(revenue_at_risk=36_000.0)
    return P.plans({"kpis": _plans_kpis(), "churn": churn}, AS_OF)


def test_the_plan_of_a_score_bundle_says_churn_score():
    built = _plans(SCORE)
    ret = built.objectives[built.objectives["objective"] == "retention"].iloc[0]
    # a score is no target to steer to: the objective is the repeat order that lowers it (issue 17, READER17)
    assert ret["text"].startswith("Keep the account: get a repeat order (churn score 57/100, high from 30/100")
    assert ret["basis"] == "churn score 57/100 (threshold 30/100)"
    risks = " ".join(built.risks.astype(str).to_numpy().ravel())
    assert "Churn score 57/100" in risks
    texts = " ".join(str(v) for t in (built.objectives, built.risks, built.actions) for v in t.to_numpy().ravel())
    assert "churn probability" not in texts.lower() and "57%" not in texts


def test_the_plan_of_a_probability_bundle_is_unchanged():
    built = _plans(PROBABILITY)
    ret = built.objectives[built.objectives["objective"] == "retention"].iloc[0]
    assert ret["text"].startswith("Keep the account: bring churn probability from 57% below 30%")
    assert ret["basis"] == "churn probability 57% (threshold 30%)"
    assert "Churn probability 57%" in " ".join(built.risks.astype(str).to_numpy().ravel())


def test_the_deck_names_a_score_as_a_score_and_a_probability_as_before():
    from types import SimpleNamespace

    from kamtools.deck.build import _churn_figure, _churn_score

    def account(method: str):
        return SimpleNamespace(info={"churn_probability": 0.57}, table=lambda name: _churn(method))

    assert _churn_score(account(SCORE)) and _churn_figure(account(SCORE)) == "57/100"
    assert not _churn_score(account(PROBABILITY)) and _churn_figure(account(PROBABILITY)) == "57%"
    no_churn = SimpleNamespace(info={"churn_probability": 0.57}, table=lambda name: None)
    assert _churn_figure(no_churn) == "57%"


class _IndexBundle:
    """What the index reads of a bundle: the summary rows, the manifest and (here) the churn table."""

    def __init__(self, churn: pd.DataFrame):
        self.accounts = pd.DataFrame(
            {
                "account_id": ["A1", "A2"],
                "name": ["Acme", "Brix"],
                "churn_probability": [0.57, 0.9],
                "risk_band": ["high", "lapsed"],
                "revenue_ltm": [80_000.0, 5_000.0],
                "revenue_at_risk": [34_000.0, 4_500.0],
            }
        )
        self.manifest = {"as_of": "2026-06-30", "skipped": {}}
        self.path = "."
        self._churn = churn

    def table(self, name):
        return self._churn if name == "churn" else None


def _index_page(tmp_path, churn: pd.DataFrame) -> str:
    from kamtools.reports.index import write_index

    return write_index(_IndexBundle(churn), tmp_path).read_text(encoding="utf-8")


def _two_accounts(first: str, second: str) -> pd.DataFrame:
    return pd.concat(
        [_churn(first), _churn(second).assign(account_id="A2", risk_band="lapsed", churn_probability=0.9)],
        ignore_index=True,
    )


def test_the_index_names_a_score_as_a_score_and_says_why_once(tmp_path):
    from kamtools.reports.index import SCORE_NOTE

    page = _index_page(tmp_path, _two_accounts(SCORE, SCORE))
    assert ">Churn score (not a probability)<" in page
    assert ">score 57/100 (high)<" in page and ">score 90/100 (lapsed)<" in page
    assert esc(SCORE_NOTE.format(example=" (such as 90/100)")) in page  # its highest score (READCJ)
    assert page.count("are scores, not probabilities") == 1
    assert "57%" not in page


def test_a_lapsed_accounts_rate_beside_scores_stays_a_percent_under_a_neutral_head(tmp_path):
    lapsed_rate = "lapsed: no orders in the last 6 months; the probability of no order in the next 6 months is 90%"
    page = _index_page(tmp_path, _two_accounts(SCORE, lapsed_rate))
    assert ">Churn risk<" in page and ">Churn score (not a probability)<" not in page
    assert ">score 57/100 (high)<" in page and ">90% (lapsed)<" in page


def test_the_index_of_a_probability_bundle_is_unchanged(tmp_path):
    page = _index_page(tmp_path, _two_accounts(PROBABILITY, PROBABILITY))
    assert ">Churn risk<" in page and ">57% (high)<" in page
    assert "score" not in page.lower().replace("health score", "")


def test_a_custom_playbooks_churn_figure_reads_as_a_score_and_the_evidence_names_it(tmp_path):
    from kamtools.plan.playbook import load_playbook

    book = tmp_path / "playbook.yml"
    book.write_text(
        "version: 1\n"
        "rules:\n"
        "  - id: own_churn_rule\n"
        "    type: retention\n"
        "    when: churn_probability >= 0.3\n"
        '    risk: "{churn_label} {churn_figure}; as a percent it would read {churn_probability:pct}"\n'
        '    action: "Call the buyer"\n'
        "    priority: high\n"
        "    due_in_days: 7\n",
        encoding="utf-8",
    )
    kpis = _plans_kpis()
    for method, risk, evidence in (
        (SCORE, "Churn score 57/100; as a percent it would read 57/100", "Churn score, not a probability"),
        (PROBABILITY, "Churn probability 57%; as a percent it would read 57%", "Churn probability (see"),
    ):
        built = P.plans({"kpis": kpis, "churn": _churn(method)}, AS_OF, playbook=load_playbook(book))
        row = built.risks[built.risks["rule_id"] == "own_churn_rule"].iloc[0]
        assert row["risk"] == risk
        assert row["evidence"].startswith(evidence)


def test_the_plan_facts_carry_the_score_flag_per_account():
    from kamtools.plan.facts import account_facts

    churn = _two_accounts(SCORE, "lapsed: no orders in the last 6 months; the probability is 90%")
    kpis = pd.concat([_plans_kpis(), _plans_kpis().assign(account_id="A2")], ignore_index=True)
    facts, _ = account_facts({"kpis": kpis, "churn": churn}, AS_OF)
    facts = facts.set_index("account_id")
    assert facts.loc["A1", "churn_is_score"] == 1 and facts.loc["A2", "churn_is_score"] == 0
    assert facts.loc["A1", ["churn_label", "churn_figure"]].tolist() == ["Churn score", "57/100"]
    assert facts.loc["A2", ["churn_label", "churn_figure"]].tolist() == ["Churn probability", "90%"]


def test_the_portfolio_decks_at_risk_table_reads_a_score_as_one():
    from kamtools.deck.portfolio import _scored

    class _Bundle:
        def __init__(self, churn):
            self._churn = churn

        def has(self, name):
            return name == "churn"

        def table(self, name):
            return self._churn

    assert _scored(_Bundle(_two_accounts(SCORE, PROBABILITY))) == {"A1"}
    assert _scored(_Bundle(_churn(PROBABILITY))) == frozenset()


def test_a_score_never_rounds_onto_the_edge_of_a_band_it_is_below():
    from kamtools.churn.bands import score_text

    assert [score_text(v) for v in (0.2996, 0.3014, 0.0996, 0.57)] == ["29.9/100", "30/100", "9.9/100", "57/100"]
