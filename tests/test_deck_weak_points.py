"""The account deck's 'weakest points' of the health score are points where the account is worse than the typical
one, as the page's health section has it (issue 17, read on the demo).

Oakwood Hospital SA (health 73/100) listed 'Revenue in the last 3 months up 11% on the 3 months before' as a
weakest point: that component lost points only because most accounts rose more (its percentile 0.57).
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from kamtools.deck.build import _weak_points

MEETINGS = "Meetings, calls, e-mails and visits in the last 6 months down 7% on the 6 months before"


def _components() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "component": ["revenue_change_3m", "interactions_change_6m", "revenue_change_6m", "days_since_last_order"],
            "percentile": [0.566, 0.336, 0.631, 0.45],
            "max_points": [15.7, 12.1, 8.1, 10.0],
            "contribution": [8.9, 4.1, 5.1, 9.0],
            "sentence": [
                "Revenue in the last 3 months up 11% on the 3 months before",
                MEETINGS,
                "Revenue in the last 6 months up 35% on the 6 months before",
                "No order for 3 days",
            ],
        }
    )


def _account(top_weakness: str | None) -> SimpleNamespace:
    health = pd.DataFrame({"account_id": ["A0009"], "health_score": [72.9], "top_weakness": [top_weakness]})
    return SimpleNamespace(table={"health": health}.get)


def test_only_components_worse_than_the_typical_account_are_weak_points():
    comps = _components()
    # the health stage's own weakest point first, then the others below the median by points lost
    assert _weak_points(_account(MEETINGS), comps) == [MEETINGS, "No order for 3 days"]
    assert _weak_points(_account(MEETINGS), comps, most=1) == [MEETINGS]
    # no component worse than the typical account and none on its unhealthy side: nothing to list
    healthy = comps[comps["percentile"] >= 0.5]
    assert _weak_points(_account(None), healthy) == []
    assert "up 11%" not in " ".join(_weak_points(_account(""), comps))
