"""The group report's "Largest gaps": only gaps with a useful adoption probability (the threshold of the
account reports, :data:`kamtools.whitespace.MIN_USEFUL_P`), ranked by probability-weighted value, and one
sentence on what was left out (the hand-made group of ``test_group_reports``)."""

from __future__ import annotations

import html
import re

import pandas as pd
from test_group_reports import HOSTILE_CATEGORY, HOSTILE_UNIT, hand_bundle, shown


def gap_map(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """An opportunity map of the hand-made group: each unit buys Feed; ``rows`` are its gaps
    (unit, category, adoption probability, expected value)."""
    buys = [("U1", "Feed", None, None), ("U2", "Feed", None, None)]
    cells = [(a, c, True, p, ev) for a, c, p, ev in buys] + [(a, c, False, p, ev) for a, c, p, ev in rows]
    return pd.DataFrame(
        {
            "group_id": "G1",
            "account_id": [c[0] for c in cells],
            "category": [c[1] for c in cells],
            "buys": [c[2] for c in cells],
            "unit_revenue_12m": [800_000.0 if c[0] == "U1" else 200_000.0 for c in cells],
            "n_sisters": 1,
            "n_sisters_buying": 1,
            "p_adopt": [c[3] for c in cells],
            "expected_value": [c[4] for c in cells],
            "reason": None,
        }
    )


def largest_gaps_part(text: str) -> str:
    return text[text.index("Largest gaps") :]


def test_largest_gaps_are_the_likely_ones_ranked_by_weighted_value(monkeypatch):
    """A gap below the account reports' useful adoption probability (10%) is not among the group's largest
    gaps however large its value; the likely ones are ranked by probability-weighted value, and one sentence
    counts what was left out."""
    import kamtools.sections.group as group_section

    monkeypatch.setattr(group_section, "TOP_GAPS", 2)
    bundle = hand_bundle()
    bundle.tables["opportunity_map"] = gap_map(
        [
            ("U1", "Sealants", 0.04, 60_000.0),  # the largest value, but a 4% chance
            ("U2", HOSTILE_CATEGORY, 0.35, 42_000.0),
            ("U2", "Coatings", 0.12, 6_000.0),
            ("U1", "Adhesives", 0.10, 3_000.0),  # at the threshold: likely, but third of the likely ones
            ("U1", "Pumps", 0.099, 2_000.0),
        ]
    )
    text = html.unescape(re.sub(r"<[^>]+>", " ", shown(monkeypatch, bundle, keys=("summary", "opportunities"))))
    part = largest_gaps_part(text)
    first = f"{HOSTILE_UNIT} (DE), {HOSTILE_CATEGORY}: bought by 1 of 1 sister company, not by this unit: "
    assert first + "expected €42.0k a year (35% chance in the next 12 months)." in part
    second = f"{HOSTILE_UNIT} (DE), Coatings: "
    assert second + "bought by 1 of 1 sister company, not by this unit: expected €6.0k a year (12% chance" in part
    assert part.index(first) < part.index(second)
    assert "Sealants" not in part and "Adhesives" not in part and "Pumps" not in part
    assert (
        "Left out: 2 gaps with less than a 10% chance of adoption in the next 12 months and 1 smaller one; "
        "all 5 gaps are worth €113.0k a year together, probability-weighted." in part
    )
    assert (
        f"Largest cross-sell gap: {HOSTILE_CATEGORY} at {HOSTILE_UNIT}, expected €42.0k a year (35% chance; "
        "3 of the 5 gaps have at least a 10% chance of adoption)." in text
    )


def test_group_without_a_likely_gap_says_so_with_the_threshold(monkeypatch):
    bundle = hand_bundle()
    bundle.tables["opportunity_map"] = gap_map([("U1", "Sealants", 0.05, 60_000.0), ("U2", "Coatings", 0.04, 2_000.0)])
    text = html.unescape(re.sub(r"<[^>]+>", " ", shown(monkeypatch, bundle, keys=("summary", "opportunities"))))
    part = largest_gaps_part(text)
    assert (
        "No gap has at least a 10% chance of adoption in the next 12 months (the probability from which the "
        "account reports recommend a category); the 2 gaps are worth €62.0k a year together, probability-weighted."
        in part
    )
    assert "Sealants" not in part and "Coatings" not in part
    assert "None of the 2 cross-sell gaps has at least a 10% chance of adoption in the next 12 months." in text
    assert "Largest cross-sell gap" not in text


def test_an_uncalibrated_map_reads_its_figure_as_a_score_not_a_chance(monkeypatch):
    """With under two years of history the stage cannot calibrate the adoption chance and says so in its note; the
    global account plan then words each figure as a score and says once what it is (seen on the demo cut at 19
    months: "expected 3.51M a year (80% chance in the next 12 months)" beside an overview calling it not calibrated)."""
    from kamtools.groups.opportunity import UNCALIBRATED_NOTE

    bundle = hand_bundle()
    bundle.note = lambda name: UNCALIBRATED_NOTE if name == "opportunity_map" else None
    bundle.tables["opportunity_map"] = gap_map(
        [("U2", "Coatings", 0.35, 42_000.0), ("U1", "Sealants", 0.05, 60_000.0), ("U1", "Pumps", 0.12, 6_000.0)]
    )
    text = html.unescape(re.sub(r"<[^>]+>", " ", shown(monkeypatch, bundle, keys=("summary", "opportunities"))))
    assert "chance in the next 12 months" not in text and "chance of adoption" not in text
    part = largest_gaps_part(text)
    assert "expected €42.0k a year (score 35%: the share of sister units buying it, not a tested chance)." in part
    assert (
        "Left out: 1 gap with a score under 10%; all 3 gaps are worth €108.0k a year together, weighted by their "
        in part
    )
    assert "probability-weighted" not in text
    assert "each gap is weighted by a score, the share of its sister units that buy the category" in text
    assert "read the amounts as a ranking of where to look first, not as revenue to plan with." in text
    assert (
        f"Largest cross-sell gap: Coatings at {HOSTILE_UNIT}, expected €42.0k a year (score 35%, not a tested chance; "
        "2 of the 3 gaps have a score of at least 10%)." in text
    )
