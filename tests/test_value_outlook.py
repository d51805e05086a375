"""The value section's sentence on why its expected revenue and the forecast differ (issue 17, read as a KAM:
CDNOW's top customer as of 1997-06-30 had 6.8k expected by the value model and a 3.8k forecast, and the page
put the gap down to discounting, which moves a year's value by about 5%)."""

from __future__ import annotations

from kamtools.sections.value import _why_they_differ


def test_a_large_gap_is_put_down_to_the_forecast_calibration_not_to_discounting():
    text = _why_they_differ(3_830.0, 6_800.0)
    assert text.startswith(
        "The forecast is 44% lower: it follows the method and correction that came closest to what accounts like "
        "this one really bought"
    )
    assert "higher" in _why_they_differ(9_000.0, 6_000.0)


def test_a_small_gap_is_discounting_and_the_buying_model():
    assert _why_they_differ(6_500.0, 6_800.0).startswith("The two differ a little because this one is discounted")
