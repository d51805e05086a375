"""The out-of-time evidence the choice is made on.

:func:`build_evidence` stacks, at every backtest origin, each account's class and each candidate method's
forecast of the next months beside what the account bought (:class:`Evidence`); :func:`survival_share` reads
from it what accounts as silent bought back.

**A portfolio chosen by revenue.** A key-account list is often the accounts with the most revenue, and
part of what put an account there is luck that does not repeat, so the list buys less than its history
says. The backtest alone cannot see it: at its origins the accounts that rose into the list only later
were under-forecast, which offsets. Where the portfolio looks chosen by revenue
(:func:`kamtools.churn.lapsed.revenue_floor`), each origin's evidence counts only the accounts the same cut
would have taken then (:func:`build_evidence`'s ``eligible``, from :func:`kamtools.churn.lapsed.chosen_at`:
revenue from the start of the data to the origin at the list's smallest in proportion to the time) whose
place on the list did not hang on the months the origin checks (their revenue before the origin and after
those months reaches the list's smallest, :func:`kamtools.forecast.accounts.place_held`: one that needed
those months is in the portfolio only where it bought in them, so counting it says the list keeps buying),
and the methods note says how many account-origins were counted. CDNOW's top 500 by revenue up to the
as-of date, bias / MAE of the next 5-6 months, every account -> the cut in proportion to the time -> and
place held: +13.0% / 228.6 -> -4.3% / 220.1 -> -10.3% / 226.9 at 1997-06, +23.0% / 220.5 -> +20.0% /
224.7 -> +12.2% / 219.2 at 1997-09, +29.6% / 213.0 -> +11.4% / 196.9 -> -1.3% / 190.4 at
1997-12, +10.0% / 168.8 -> +3.2% / 158.4 -> -13.3% / 158.1 at 1998-01; the top 300 and 1,000 and the demo's top
150 in ``benchmarks/bench_real_data.py``. A natural portfolio (the whole log, a sample, the demo) is not taken
for a chosen one and does not change. Within a class, the factor of such a list is shared out by each account's
share of months with an order (:func:`share_tilt`, the class's total kept): a lumpy account that made the list
with a few large orders regresses more than a steady one that made it on its level. CDNOW's 12 lists: MAE lower
on all 12 (sum 2,349.9 -> 2,236.3), biases within a point.
At a single backtest origin no factor of such a list scales it up
(:func:`kamtools.forecast.selection.choice.list_capped`): the accounts checked there are among its heaviest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kamtools.forecast.selection.paths import candidate_paths
from kamtools.forecast.selection.state import account_state, ordering_share, ordering_spread


@dataclass
class Evidence:
    """Out-of-time rows (account x origin): class, actual monthly path and each candidate's path."""

    account: np.ndarray
    klass: np.ndarray
    scale: np.ndarray
    actual: np.ndarray  # (r, h)
    paths: dict[str, np.ndarray]  # method -> (r, h), NaN rows where it did not apply
    lapsed_ref: np.ndarray  # (r,) the account's usual month at the origin (for the "bought back" share)
    horizon: int
    origin: np.ndarray | None = None  # (r,) the row's origin (index of its last training month)
    silent_long: np.ndarray | None = None  # (r,) silent long against its own history at the origin
    chosen: bool = False  # rows of a portfolio chosen by revenue, each origin counting the accounts chosen then
    share: np.ndarray | None = (
        None  # (r,) chosen portfolio: the account's ordering share at the origin (ordering_share)
    )
    taken: Evidence | None = None  # chosen portfolio counting the accounts whose place held: the rows of every
    # account the cut took at each origin, for the spread of the monthly multiples (choice.range_quantiles)
    ordering: np.ndarray | None = None  # (r,) the account's ordering months in its last 12 at the origin
    log_spread: np.ndarray | None = None  # (r,) their spread of log revenue at the origin (ordering_spread)


def survival_share(ev: Evidence | None) -> tuple[float, int]:
    """(share of their former level, rows) that accounts silent long against their own history
    (:func:`silent_against_history`) bought in the evidence's next months; NaN share without such rows."""
    if ev is None or ev.silent_long is None or not ev.silent_long.any():
        return np.nan, 0
    rows = ev.silent_long
    ref = float(np.sum(ev.lapsed_ref[rows]) * ev.horizon)
    share = float(ev.actual[rows].sum() / ref) if ref > 0 else np.nan
    return share, int(rows.sum())


def build_evidence(
    y: np.ndarray,
    ids: np.ndarray,
    cut_cols: list[int],
    horizon: int,
    model_paths: dict[int, np.ndarray] | None = None,
    btyd_at: dict[int, np.ndarray | None] | None = None,
    eligible: dict[int, np.ndarray] | None = None,
) -> Evidence | None:
    """Evidence rows for the origins ``cut_cols`` (index of each origin's last training month); ``eligible``: per
    origin, the accounts that count there (all where None: a portfolio chosen by revenue counts only those the
    same choice would have taken at the origin, :func:`kamtools.churn.lapsed.chosen_at`)."""
    parts = []
    for c in cut_cols:
        if c < 0 or c + 1 + horizon > y.shape[1]:
            continue
        train = y[:, : c + 1]
        st = account_state(train, horizon)
        keep = st.started if eligible is None else st.started & eligible[c]
        if not keep.any():
            continue
        actual = np.nan_to_num(y[:, c + 1 : c + 1 + horizon])
        model = None if model_paths is None else model_paths.get(c)
        btyd = None if btyd_at is None else btyd_at.get(c)
        paths = candidate_paths(st, horizon, model, btyd)
        parts.append(
            (
                ids[keep],
                st.klass[keep],
                st.scale[keep],
                actual[keep],
                {k: v[keep] for k, v in paths.items()},
                st.level[keep],
                np.full(int(keep.sum()), c),
                st.silent_long[keep],
                ordering_share(train)[keep],
                *(v[keep] for v in ordering_spread(train)),
            )
        )
    if not parts:
        return None
    return Evidence(
        account=np.concatenate([p[0] for p in parts]),
        klass=np.concatenate([p[1] for p in parts]),
        scale=np.concatenate([p[2] for p in parts]),
        actual=np.vstack([p[3] for p in parts]),
        paths={k: np.vstack([p[4][k] for p in parts]) for k in parts[0][4]},
        lapsed_ref=np.concatenate([p[5] for p in parts]),
        horizon=horizon,
        origin=np.concatenate([p[6] for p in parts]),
        silent_long=np.concatenate([p[7] for p in parts]),
        chosen=eligible is not None,
        share=np.concatenate([p[8] for p in parts]) if eligible is not None else None,
        ordering=np.concatenate([p[9] for p in parts]),
        log_spread=np.concatenate([p[10] for p in parts]),
    )
