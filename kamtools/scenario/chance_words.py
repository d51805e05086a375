"""The sentence that reconciles a year's target attainment with its chance of reaching the target.

The planner's target attainment is the expected year total over the target (booked so far plus the
forecast); its chance of reaching the target counts the drawn year totals that reach it, each account
drawn along its own 80% range and its own chance (:mod:`kamtools.target_draws`). Those draws are lopsided,
so the two can point different ways: Tier 3 of the 12-month demo read 'Target attainment 2026 97.1%'
beside a 65.7% chance with nothing saying why (half of its draws lie above 318.2k, above the expected
277.3k). :func:`attainment_and_chance` says what each figure is where that happens.
"""

from __future__ import annotations

import numpy as np

from kamtools import formatting

__all__ = ["attainment_and_chance"]


def _share(x: float) -> str:
    """An attainment as the planner's tables write it: to 0.1%, a target missed never '100.0%'."""
    return formatting.attainment(x) if 0.995 <= x < 1.0 else formatting.pct(x, digits=1)


def attainment_and_chance(res, currency: str | None = None) -> list[str]:
    """One sentence per year of ``res`` (a :class:`~kamtools.scenario.ScenarioResult`) whose scenario
    attainment and chance of reaching the target point different ways (attainment under 100% with a chance
    above one half, or at least 100% with a chance under one half), at the scenario's levers; empty
    otherwise, and where the chance is not drawn here (the whole portfolio's published figure, a normal) or is
    one account's own (its page's)."""
    b = res.baseline
    out = []
    for r in res.yearly.itertuples(index=False):
        c = b.chance.get(int(r.year))
        att, p = float(r.attainment_scenario), float(r.p_target_scenario)
        if c is None or c.totals is None or np.isfinite(c.p) or b.n_accounts < 2:
            continue  # not drawn here: one account's own chance, as its page shows it
        if not (r.complete and np.isfinite(att) and np.isfinite(p)):
            continue
        short = att < 1.0
        if not ((short and p > 0.5) or (not short and p < 0.5)) or not (np.isfinite(c.target) and c.target > 0):
            continue  # they point the same way: nothing to reconcile
        ratio = float(r.revenue_scenario) / float(r.revenue_baseline) if r.revenue_baseline > 0 else 1.0
        expected = c.booked + ratio * (c.expected - c.booked)
        middle = c.booked + ratio * (float(np.median(c.totals)) - c.booked)
        money = lambda x: formatting.money(x, currency)  # noqa: E731
        whose = f" of the {formatting.counted(c.n_accounts, 'account')} with a target"
        source = f"booked so far {money(c.booked)} plus the forecast" if c.booked > 0 else "the forecast"
        how = (
            f"above {money(middle)}: the target is reached more often than not although the expected total "
            "falls short of it"
            if short
            else f"below {money(middle)}: the target is missed more often than not although the expected total "
            "passes it"
        )
        out.append(
            f"{int(r.year)}: target attainment, {_share(att)}, is the expected year total{whose}, "
            f"{money(expected)} ({source}), over their target, {money(c.target)}; the chance of reaching it, "
            f"{formatting.pct(p, digits=1)}, counts year totals drawn along each account's own 80% range and own "
            f"chance, and half of those lie {how}."
        )
    return out
