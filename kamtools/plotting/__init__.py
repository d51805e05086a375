"""Every kamtools chart, in one style.

Plotting is kept apart from fitting: functions here take DataFrames produced by the
analysis modules and return a matplotlib ``Figure``. Each topic has its own module
(``plotting/forecast.py``, ``plotting/segment.py``, ...); this package sets the style.
"""

from kamtools.plotting.style import PALETTE, apply_style, new_figure

__all__ = ["PALETTE", "apply_style", "new_figure"]
