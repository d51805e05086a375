"""A bid decided after the analysis date is open with its stage and win probability unknown (issue 17, SWEEPDEMO).

Analysed as of an earlier date (``analyze --as-of``, the way a short history is made of a longer export), a bid won
or lost later was set back to open but kept the CRM's stage and probability of its outcome: the one-month demo's
A0007 listed "OP-00001 Closed Won ... Probability 100%" among its open bids, and its weighted pipeline (76.7k)
was the bids it would win. As of then neither is known: the bid is weighed as a bid without a probability.
"""

from __future__ import annotations

import numpy as np
import pytest
from _factory import write_folder

from kamtools.data.loader import load_portfolio
from kamtools.data.portfolio import OPEN_STAGE_UNKNOWN
from kamtools.kpis import open_bids, pipeline_kpis


@pytest.fixture
def as_of_january(tmp_path):
    # OP-3 (A003, 12,000) was created on 2024-01-05 and won on 2024-03-01, after as_of
    return load_portfolio(write_folder(tmp_path / "export"), as_of="2024-01-31")


def test_a_bid_won_after_as_of_is_open_with_its_stage_and_probability_unknown(as_of_january):
    bids = open_bids(as_of_january).set_index("opportunity_id")
    assert bids.loc["OP-3", "stage"] == OPEN_STAGE_UNKNOWN == "open (stage then unknown)"
    assert np.isnan(as_of_january.tables["opportunities"].set_index("opportunity_id").loc["OP-3", "probability"])


def test_its_weighted_value_is_the_decided_bids_win_rate_not_its_outcome(as_of_january):
    kpis = pipeline_kpis(as_of_january).set_index("account_id")
    # before: 12,000 (probability 1, the bid's later outcome); now the win rate of the bids decided by then (1 of 2)
    assert kpis.loc["A003", "open_value"] == 12000
    assert kpis.loc["A003", "weighted_value"] == pytest.approx(6000)


def test_the_portfolio_itself_is_left_as_it_was(tmp_path):
    full = load_portfolio(write_folder(tmp_path / "export"))
    opp = full.tables["opportunities"].set_index("opportunity_id")
    assert opp.loc["OP-3", "stage"] == "Closed" and opp.loc["OP-3", "probability"] == 1
    cut = full.truncate("2024-01-31").tables["opportunities"].set_index("opportunity_id")
    assert cut.loc["OP-3", "stage"] == OPEN_STAGE_UNKNOWN
    assert opp.loc["OP-3", "stage"] == "Closed"  # truncate edits a copy
    still_open = full.truncate("2024-05-31").tables["opportunities"].set_index("opportunity_id").loc["OP-4"]
    assert still_open["stage"] == "Proposal"  # a bid open all along keeps its stage and probability
    assert still_open["probability"] == pytest.approx(0.4)


def test_the_open_bids_table_weighs_them_as_the_pipeline_figure_does(as_of_january):
    """The one-month demo's A0007 read 'weighted by win probability 100.0k' above a table whose two bids had no
    probability and no weighted value: the table now shows the win rate the figure used."""
    bids = open_bids(as_of_january)
    row = bids.set_index("opportunity_id").loc["OP-3"]
    assert row["probability"] == pytest.approx(0.5) and row["weighted_value"] == pytest.approx(6000)
    kpis = pipeline_kpis(as_of_january).set_index("account_id")
    by_account = bids.groupby("account_id")["weighted_value"].sum()
    for account, weighted in by_account.items():
        assert kpis.loc[account, "weighted_value"] == pytest.approx(weighted)
