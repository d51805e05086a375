"""The planner's bid lever when the scope changes (issue 17, planfix): the 12-month demo's greyed slider, held at
one account's quoted price, kept that price ('Our price 99.4', greyed) after the scope was switched to a tier or
to the whole portfolio, where no bid is planned. Without a bid to price the slider and its buttons are hidden;
an account with a held bid shows them again, at that bid's price."""

from __future__ import annotations

import pytest
from test_bid_faces import held_tables, write_bundle

pytest.importorskip("ipywidgets")


def _shown(widget) -> bool:
    return widget.layout.display != "none"


def test_switching_to_a_scope_without_a_bid_hides_the_held_slider(tmp_path):
    from kamtools.scenario_bids import BidLever

    lever = BidLever(write_bundle(tmp_path / "held", held_tables("no response")))
    lever.set_account("A1")
    lever.select("OP-2")  # held at its quoted 99.0, greyed
    assert _shown(lever.price) and lever.price.disabled and lever.price.value == pytest.approx(99.0)
    for scope in (None, "A2"):  # a tier or the portfolio (no single account), then an account without open bids
        lever.set_account(scope)
        assert not _shown(lever.price), f"the slider still shows {lever.price.value} for {scope}"
        assert not _shown(lever.current_button) and not _shown(lever.recommended_button)
        assert not _shown(lever.picker)
        assert lever.point is None
    assert "This account has no open bids." in lever.output.value
    lever.set_account(None)
    assert "Pick one account" in lever.output.value
    lever.set_account("A1")  # back to an account with bids: shown again, at the chosen bid's own price
    assert _shown(lever.price) and _shown(lever.picker) and _shown(lever.current_button)
    lever.select("OP-2")
    assert _shown(lever.price) and lever.price.disabled and lever.price.value == pytest.approx(99.0)
    lever.select("OP-1")
    assert not lever.price.disabled and lever.point is not None
