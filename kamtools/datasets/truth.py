"""The planted truth: what the generator planted, kept apart from the tables (for tests and benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arrays import _dates, _nat_dates, _str
from .catalogue import _AFFINITY_PAIRS, _COMPETITORS, CATEGORY_NAMES, SEGMENTS
from .state import GenState


@dataclass
class PlantedTruth:
    """What the generator planted, kept apart from the tables (for tests and benchmarks).

    Attributes (all DataFrames)
    ---------------------------
    churn : account_id, churned (bool), churn_kind ('full' / 'partial' / None),
        churn_date (month from which orders stop or drop), signal_start (month the
        leading signals begin, 3-9 months before churn_date); NaT for non-churners.
    segments : account_id, segment (planted behavioural segment, one of ``SEGMENTS``).
    affinities : category_a, category_b, lift (account-level co-purchase lift observed
        in the generated data for the planted pairs).
    competitors : competitor, price_gap (typical price vs ours, -0.08 = 8% cheaper),
        aggressive (bool), strength (share of decided bids against it that it won).
    competitor_accounts : account_id, competitor, attack_start (accounts attacked by an
        aggressive competitor, and from when).
    unreachable_targets : account_id, period (targets planted far above any forecast).
    whitespace_adoptions : account_id, category, start_date (first order of a category
        the account started buying during the history).
    groups : dict account_id -> group_id (the top parent) of every account in a group:
        units, region rows and the parents themselves (empty without groups).
    champions_left : contact_id, account_id, left_date (champions planted to leave; most
        1-4 months before the churn signals of a churner, a few at accounts that stay).
    cross_unit_gaps : account_id, category, adopted_date (a unit that did not buy a
        category at least half of its sister units bought; the date of its first order of
        it when it adopted it during the history, else NaT).
    price_elasticity : dict category -> the planted price elasticity of volume (units bought
        ~ net price ** elasticity, relative to the account's usual price of the category).
    tenders : account_id, category, tender_date (first day of the tender), value (its lots' amounts),
        n_lots, status ('won' when a lot was won, 'open', 'lost', or 'after as_of' for tenders still to
        come), contract_end (recorded on the won lots, NaT otherwise): the recurring tenders planted
        by :mod:`kamtools.datasets.tenders`, a year past as_of included.
    """

    churn: pd.DataFrame
    segments: pd.DataFrame
    affinities: pd.DataFrame
    competitors: pd.DataFrame
    competitor_accounts: pd.DataFrame
    unreachable_targets: pd.DataFrame
    whitespace_adoptions: pd.DataFrame
    groups: dict[str, str] = field(default_factory=dict)
    champions_left: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"contact_id": pd.Series(dtype="str"), "account_id": pd.Series(dtype="str"), "left_date": _dates([])}
        )
    )
    cross_unit_gaps: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"account_id": pd.Series(dtype="str"), "category": pd.Series(dtype="str"), "adopted_date": _dates([])}
        )
    )
    price_elasticity: dict[str, float] = field(default_factory=dict)
    tenders: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {
                "account_id": pd.Series(dtype="str"),
                "category": pd.Series(dtype="str"),
                "tender_date": _dates([]),
                "value": pd.Series(dtype=float),
                "n_lots": pd.Series(dtype=np.int64),
                "status": pd.Series(dtype="str"),
                "contract_end": _dates([]),
            }
        )
    )


def planted_truth(s: GenState, tables: dict[str, pd.DataFrame]) -> PlantedTruth:
    """What was planted, with the lifts, strengths and adoption dates as they came out in the tables."""
    segments = pd.DataFrame({"account_id": _str(s.acc_ids), "segment": _str(np.array(SEGMENTS)[s.segment])})
    unreachable = s.unreachable.copy()
    unreachable["account_id"] = _str(unreachable["account_id"].to_numpy())
    unreachable["period"] = unreachable["period"].astype(np.int64)
    whitespace = _whitespace(s)
    truth = PlantedTruth(
        _churn(s),
        segments,
        _affinities(s),
        _competitors(tables["opportunities"]),
        _attacked_accounts(s),
        unreachable,
        whitespace,
    )
    truth.price_elasticity = {name: float(e) for name, e in zip(CATEGORY_NAMES, s.elasticity, strict=True)}
    if s.groups is not None:
        s.groups.truth(s, truth, whitespace)
    return truth


def _churn(s: GenState) -> pd.DataFrame:
    """Every account: churned or not, how, from when, and when its signals started."""
    md = s.month_days
    churn_date = np.where(s.churned, md[np.minimum(s.churn_month, s.M - 1)], np.iinfo(np.int64).min)
    signal = np.where(s.churned, md[np.clip(s.signal_month, 0, s.M - 1)], np.iinfo(np.int64).min)
    kind = np.where(s.churn_full, "full", np.where(s.churn_partial, "partial", None)).astype(object)
    return pd.DataFrame(
        {
            "account_id": _str(s.acc_ids),
            "churned": s.churned.astype(bool),
            "churn_kind": _str(kind),
            "churn_date": _nat_dates(churn_date),
            "signal_start": _nat_dates(signal),
        }
    )


def _affinities(s: GenState) -> pd.DataFrame:
    """The affinity lift of each planted pair, observed at account level over the whole history."""
    owned = np.zeros((s.n, s.C), dtype=bool)
    owned[s.line_a, s.line_cat] = True
    p = owned.mean(axis=0)
    aff = []
    for x, y in _AFFINITY_PAIRS:
        i, j = CATEGORY_NAMES.index(x), CATEGORY_NAMES.index(y)
        both = (owned[:, i] & owned[:, j]).mean()
        lift = both / (p[i] * p[j]) if p[i] * p[j] > 0 else np.nan
        aff.append((x, y, float(lift)))
    return pd.DataFrame(aff, columns=["category_a", "category_b", "lift"])


def _competitors(opp: pd.DataFrame) -> pd.DataFrame:
    """Each competitor's planted price gap and aggressiveness, and the share of decided bids against
    it that it won."""
    decided = opp[opp["status"].isin(["won", "lost"]) & opp["competitor"].notna()]
    strength = decided.assign(lost=decided["status"] == "lost").groupby("competitor")["lost"].mean()
    return pd.DataFrame(
        {
            "competitor": _str([c[0] for c in _COMPETITORS]),
            "price_gap": [c[1] for c in _COMPETITORS],
            "aggressive": [c[2] for c in _COMPETITORS],
            "strength": [float(strength.get(c[0], np.nan)) for c in _COMPETITORS],
        }
    )


def _attacked_accounts(s: GenState) -> pd.DataFrame:
    """The accounts an aggressive competitor attacked, by whom and from when."""
    att = np.nonzero(s.attacker >= 0)[0]
    return pd.DataFrame(
        {
            "account_id": _str(s.acc_ids[att]),
            "competitor": _str(np.array([c[0] for c in _COMPETITORS])[s.attacker[att]]),
            "attack_start": _dates(s.month_days[np.minimum(s.attack_month[att], s.M - 1)]),
        }
    )


def _whitespace(s: GenState) -> pd.DataFrame:
    """Whitespace adoptions: the first actual order of each adopted category."""
    ai = np.nonzero(s.adopt_cat >= 0)[0]
    is_adopted = s.line_cat == s.adopt_cat[s.line_a]
    first_day = np.full(s.n, np.iinfo(np.int64).max)
    np.minimum.at(first_day, s.line_a[is_adopted], s.line_day[is_adopted])
    ai = ai[first_day[ai] < np.iinfo(np.int64).max]
    return pd.DataFrame(
        {
            "account_id": _str(s.acc_ids[ai]),
            "category": _str(np.array(CATEGORY_NAMES)[s.adopt_cat[ai]]),
            "start_date": _dates(first_day[ai]),
        }
    )
