"""Account ids asked for on the command line: ``--accounts A1,A2`` (commas, as a user types a list) renders both
(issue 17, read as a KAM: ``kamtools reports B --accounts C07592,C19339`` failed with "account id not in the
bundle")."""

from __future__ import annotations

from kamtools.bundle import requested_accounts


def test_a_comma_separated_list_of_known_ids_counts_as_those_ids():
    known = ["C07592", "C19339", "C1"]
    assert requested_accounts(["C07592,C19339"], known) == ["C07592", "C19339"]
    assert requested_accounts(["C07592, C19339", "C1", "C07592"], known) == ["C07592", "C19339", "C1"]


def test_an_id_that_holds_a_comma_itself_or_an_unknown_part_is_kept_as_typed():
    assert requested_accounts(["Smith, Jones & Co"], ["Smith, Jones & Co", "Smith"]) == ["Smith, Jones & Co"]
    assert requested_accounts(["C1,NOPE"], ["C1"]) == ["C1,NOPE"]  # reported as not in the bundle
